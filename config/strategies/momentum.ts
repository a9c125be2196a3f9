/**
 * Example strategy: momentum. Every `intervalMs` it sends one small MARKET order on one symbol, in the
 * direction the price last moved (judged from its own fills: the only prices a strategy sees), never holding
 * more than `maxPositionLots` either way. One order in flight at a time: at most one order per interval.
 *
 * Parameters (ctx.params; all optional):
 *   symbol           default: the first of the strategy's symbols (BTC-USDT in paper.yaml)
 *   quantity         order size, decimal (default "0.001": 0.001 BTC, far inside paper.yaml's 2 BTC limit)
 *   intervalMs       default 1000
 *   maxPositionLots  default 20 orders' worth
 *
 * The module imports types only: everything it uses at run time comes from ctx.
 */
import type { Strategy, StrategyContext, StrategyEvent } from '../../src/strategy/sdk.js';

export default function momentum(ctx: StrategyContext): Strategy {
  const symbol = String(ctx.params.symbol ?? ctx.symbols[0] ?? 'BTC-USDT');
  const ins = ctx.instrument(symbol);
  if (ins === undefined) throw new Error(`momentum: unknown symbol ${symbol}`);
  const quantity = String(ctx.params.quantity ?? '0.001');
  const lots = ins.qtyToLots(quantity);
  if (!lots.ok) throw new Error(`momentum: quantity ${quantity} is not on the lot grid of ${symbol}`);
  const intervalMs = Number(ctx.params.intervalMs ?? 1000);
  const maxPosition = Number(ctx.params.maxPositionLots ?? 20 * lots.value);

  let position = 0; // lots, + long / - short
  let lastPrice = 0; // ticks of the last fill
  let direction: 'BUY' | 'SELL' = 'BUY';
  let inFlight = 0; // seq of the order not finished yet (0 = none)
  let refusals = 0;

  const tick = (): void => {
    if (inFlight !== 0 || ctx.stopping) return;
    let side = direction;
    if (position >= maxPosition) side = 'SELL';
    else if (position <= -maxPosition) side = 'BUY';
    const r = ctx.submit({ symbol, side, type: 'MARKET', quantity });
    if (r.ok) {
      inFlight = r.seq;
    } else if (++refusals % 10 === 1) {
      ctx.log.warn('order refused', { code: r.code, message: r.message, refusals });
    }
  };

  const onFill = (e: StrategyEvent): void => {
    position += e.side === 'BUY' ? e.qtyLots : -e.qtyLots;
    if (lastPrice !== 0 && e.priceTicks !== lastPrice) direction = e.priceTicks > lastPrice ? 'BUY' : 'SELL';
    lastPrice = e.priceTicks;
  };

  return {
    start() {
      ctx.log.info('momentum started', { symbol, quantity, intervalMs });
      ctx.every(intervalMs, tick);
    },
    onEvent(e) {
      if (e.kind === 'FILL') onFill(e);
      if (e.kind === 'RESYNC') {
        // some events were lost: whatever was in flight is either in the snapshot or finished
        inFlight = e.orders?.find((o) => o.seq === inFlight)?.seq ?? 0;
        return;
      }
      if (e.terminal && e.seq === inFlight) {
        inFlight = 0;
        if (e.kind !== 'FILL') ctx.log.debug('order ended without a full fill', { kind: e.kind, code: e.code });
      }
    },
    stop() {
      ctx.log.info('momentum stopping', { position: ins.lotsToQty(Math.abs(position)), long: position >= 0 });
    },
  };
}
