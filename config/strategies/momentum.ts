/**
 * Example strategy: momentum on the market's own prices. It follows the last price move it saw on one symbol —
 * a trade at a venue printing above or below the previous trade (onTrade), or the mid of the consolidated top of
 * book moving (onMarket) — and every `intervalMs` sends one small IOC limit order in that direction, priced from the
 * top of book: the best ask plus `slippageTicks` to buy, the best bid minus `slippageTicks` to sell, pinned to the
 * venue that quotes that best price (fee-adjusted, as the daemon's consolidated book ranks it). What does not fill
 * at once is canceled by the venue (IOC), so a stale price costs nothing. One order in flight at a time, never more
 * than `maxPositionLots` either way. Until the daemon has a book and a price move for the symbol, it waits.
 *
 * Parameters (ctx.params; all optional):
 *   symbol           default: the first of the strategy's symbols (BTC-USDT in paper.yaml)
 *   quantity         order size, decimal (default "0.001": 0.001 BTC, far inside paper.yaml's 2 BTC limit)
 *   intervalMs       default 1000
 *   maxPositionLots  default 20 orders' worth
 *   slippageTicks    how far through the best price the limit goes (default 2)
 *   pinVenue         send to the venue of the best price (default true); false: let the routing table choose
 *
 * The module imports types only: everything it uses at run time comes from ctx.
 */
import type { MarketTrade, Side, Strategy, StrategyContext, StrategyEvent, TopOfBook } from '../../src/strategy/sdk.js';

export default function momentum(ctx: StrategyContext): Strategy {
  const symbol = String(ctx.params.symbol ?? ctx.symbols[0] ?? 'BTC-USDT');
  const ins = ctx.instrument(symbol);
  if (ins === undefined) throw new Error(`momentum: unknown symbol ${symbol}`);
  const quantity = String(ctx.params.quantity ?? '0.001');
  const lots = ins.qtyToLots(quantity);
  if (!lots.ok) throw new Error(`momentum: quantity ${quantity} is not on the lot grid of ${symbol}`);
  const intervalMs = Number(ctx.params.intervalMs ?? 1000);
  const maxPosition = Number(ctx.params.maxPositionLots ?? 20 * lots.value);
  const slippage = Math.max(0, Math.floor(Number(ctx.params.slippageTicks ?? 2)));
  const pinVenue = ctx.params.pinVenue !== false;

  let position = 0; // lots, + long / - short
  let direction: Side | undefined; // the last move seen: up BUY, down SELL
  let lastMid2 = 0; // bid + ask of the last two-sided top seen (twice the mid, in ticks)
  let lastTrade = 0; // ticks of the last trade seen
  let inFlight = 0; // seq of the order not finished yet (0 = none)
  let refusals = 0;
  let tradesSeen = 0;
  let orders = 0;

  const moved = (from: number, to: number): void => {
    if (from !== 0 && to !== from) direction = to > from ? 'BUY' : 'SELL';
  };

  const tick = (): void => {
    if (inFlight !== 0 || ctx.stopping || direction === undefined) return;
    const buy = direction === 'BUY';
    if (buy ? position + lots.value > maxPosition : position - lots.value < -maxPosition) return;
    const top = ctx.topOfBook(symbol);
    if (top === undefined) return;
    const best = buy ? top.askTicks : top.bidTicks; // 0: nothing to take on that side
    const price = buy ? best + slippage : best - slippage;
    if (best === 0 || price <= 0) return;
    const venue = pinVenue ? (buy ? top.askVenue : top.bidVenue) : undefined;
    const r = ctx.submit({
      symbol, side: direction, type: 'LIMIT', timeInForce: 'IOC', price: ins.ticksToPrice(price), quantity,
      ...(venue === undefined ? {} : { venue }),
    });
    if (r.ok) {
      inFlight = r.seq;
      orders++;
    } else if (++refusals % 10 === 1) {
      ctx.log.warn('order refused', { code: r.code, message: r.message, refusals });
    }
  };

  const onFill = (e: StrategyEvent): void => {
    position += e.side === 'BUY' ? e.qtyLots : -e.qtyLots;
  };

  return {
    start() {
      ctx.log.info('momentum started', { symbol, quantity, intervalMs, slippageTicks: slippage });
      ctx.every(intervalMs, tick);
    },
    onMarket(top: TopOfBook) {
      if (top.symbol !== symbol || top.bidLots === 0 || top.askLots === 0) return;
      const mid2 = top.bidTicks + top.askTicks;
      moved(lastMid2, mid2);
      lastMid2 = mid2;
    },
    onTrade(t: MarketTrade) {
      if (t.symbol !== symbol) return;
      tradesSeen++;
      moved(lastTrade, t.priceTicks);
      lastTrade = t.priceTicks;
    },
    onEvent(e) {
      if (e.kind === 'FILL') onFill(e);
      if (e.kind === 'RESYNC') {
        // some events were lost (or a restarted incarnation starts): the order in flight is open (in the snapshot), or
        // not read by the daemon yet (seq above readSeq, not withdrawn: its events come after this RESYNC), or finished.
        // Forgetting one not read yet would put a second order in flight. Without a snapshot nothing is known: its
        // IOC ends by itself.
        const orders = e.orders;
        if (orders === null) inFlight = 0;
        else if (inFlight !== 0) {
          const unread = inFlight > e.readSeq && !(e.withdrawn ?? []).includes(inFlight);
          if (!unread && !orders.some((o) => o.seq === inFlight)) inFlight = 0;
        } else {
          // an order of ours still open that we do not know (an earlier incarnation's): wait for it as the one in flight
          inFlight = orders.find((o) => o.seq > 0 && o.symbol === symbol)?.seq ?? 0;
        }
        return;
      }
      if (e.terminal && e.seq === inFlight) {
        inFlight = 0;
        if (e.kind !== 'FILL') ctx.log.debug('order ended without a full fill', { kind: e.kind, code: e.code });
      }
    },
    stop() {
      ctx.log.info('momentum stopping', {
        position: ins.lotsToQty(Math.abs(position)), long: position >= 0, orders, tradesSeen, tradesLost: ctx.tradesLost,
      });
    },
  };
}
