/**
 * Example strategy: a market maker. Keeps one post-only bid and one post-only ask, `spreadTicks` either
 * side of a reference price, on one symbol:
 *  - the reference starts from a small MARKET order (its fill price tells where the market is);
 *  - after a fill the reference moves to the fill price and the other side is re-quoted around it;
 *  - a quote refused for crossing (post-only) means the market moved through it: the reference steps away;
 *  - quotes untouched for `refreshMs` are canceled and placed again (the market drifts);
 *  - after lost events (RESYNC) it keeps the quotes still open or not yet read by the daemon, and cancels any open order
 *    of its own it does not track (after a restart: its predecessor's quotes; see resync below).
 * Quotes are (re)placed on a timer every `quoteIntervalMs`, one per side at most, so the strategy sends a
 * few orders per second at most; if risk refuses an order it waits `backoffMs` before quoting again.
 *
 * Parameters (ctx.params; all optional):
 *   symbol           default: the first of the strategy's symbols (BTC-USDT in paper.yaml)
 *   quantity         quote size (default "0.001" — paper.yaml allows 0.5 BTC per order)
 *   probeQuantity    size of the price-discovery market order (default: `quantity`; a market order is held to the
 *                    symbol's minimum notional at the mark, like a limit order)
 *   spreadTicks      distance of each quote from the reference (default 10 ticks)
 *   quoteIntervalMs  default 500
 *   refreshMs        default 10000
 *   backoffMs        default 5000
 */
import type { Side, Strategy, StrategyContext, StrategyEvent } from '../../src/strategy/sdk.js';

interface Quote {
  seq: number;
  orderId: number;
  placedAt: number;
  canceling: boolean;
}

export default function marketMaker(ctx: StrategyContext): Strategy {
  const symbol = String(ctx.params.symbol ?? ctx.symbols[0] ?? 'BTC-USDT');
  const ins = ctx.instrument(symbol);
  if (ins === undefined) throw new Error(`market-maker: unknown symbol ${symbol}`);
  const quantity = String(ctx.params.quantity ?? '0.001');
  const probeQuantity = String(ctx.params.probeQuantity ?? quantity);
  const spread = Math.max(1, Math.floor(Number(ctx.params.spreadTicks ?? 10)));
  const quoteIntervalMs = Number(ctx.params.quoteIntervalMs ?? 500);
  const refreshMs = Number(ctx.params.refreshMs ?? 10_000);
  const backoffMs = Number(ctx.params.backoffMs ?? 5000);

  let reference = 0; // ticks; 0 until the probe filled
  let probeSeq = 0;
  let pausedUntil = 0;
  const quotes: Record<Side, Quote | undefined> = { BUY: undefined, SELL: undefined };

  const sideOf = (seq: number): Side | undefined =>
    quotes.BUY?.seq === seq ? 'BUY' : quotes.SELL?.seq === seq ? 'SELL' : undefined;

  const cancelQuote = (side: Side): void => {
    const q = quotes[side];
    if (q === undefined || q.canceling) return;
    const r = ctx.cancel(q.orderId !== 0 ? { orderId: q.orderId } : { seq: q.seq });
    if (r.ok) q.canceling = true;
  };

  const place = (side: Side): void => {
    const priceTicks = side === 'BUY' ? reference - spread : reference + spread;
    if (priceTicks <= 0) return;
    const r = ctx.submit({ symbol, side, type: 'LIMIT', postOnly: true, price: ins.ticksToPrice(priceTicks), quantity });
    if (r.ok) quotes[side] = { seq: r.seq, orderId: 0, placedAt: ctx.clock.now(), canceling: false };
    else if (r.code !== 'QUEUE_FULL') {
      ctx.log.warn('quote refused', { side, code: r.code, message: r.message });
      pausedUntil = ctx.clock.now() + backoffMs;
    }
  };

  const tick = (): void => {
    const now = ctx.clock.now();
    if (ctx.stopping || now < pausedUntil) return;
    if (reference === 0) {
      if (probeSeq === 0) {
        const r = ctx.submit({ symbol, side: 'BUY', type: 'MARKET', quantity: probeQuantity });
        if (r.ok) probeSeq = r.seq;
        else pausedUntil = now + backoffMs;
      }
      return;
    }
    // both sides reach the daemon together (one publish)
    ctx.batch(() => {
      for (const side of ['BUY', 'SELL'] as const) {
        const q = quotes[side];
        if (q === undefined) place(side);
        else if (now - q.placedAt > refreshMs) cancelQuote(side);
      }
    });
  };

  const onEvent = (e: StrategyEvent): void => {
    if (e.kind === 'RESYNC') return resync(e);
    if (e.seq === probeSeq && probeSeq !== 0) {
      if (e.kind === 'FILL') reference = e.priceTicks;
      if (e.terminal) probeSeq = 0;
      return;
    }
    const side = sideOf(e.seq);
    if (side === undefined) return;
    const q = quotes[side]!;
    if (e.kind === 'ACK') q.orderId = e.orderId;
    if (e.kind === 'FILL') {
      reference = e.priceTicks;
      cancelQuote(side === 'BUY' ? 'SELL' : 'BUY'); // re-quote the other side around the new reference
    }
    if (e.kind === 'REJECTED') reference += side === 'BUY' ? -spread : spread; // our quote would have crossed
    // (ORDER_WITHDRAWN: our own cancel took the quote back before the daemon read it: nothing to back off from)
    if (e.kind === 'DENIED' || (e.kind === 'REFUSED' && e.code !== 'ORDER_WITHDRAWN')) {
      ctx.log.warn('quote denied', { side, code: e.code });
      pausedUntil = ctx.clock.now() + backoffMs;
    }
    if (e.terminal) quotes[side] = undefined;
  };

  /**
   * Some events were lost (or this is a restarted incarnation's first event): set what we track from the snapshot.
   *  - a quote the snapshot shows open: kept, with its order id;
   *  - a quote not in it whose submit the daemon had not read yet (seq above readSeq, not withdrawn): kept — it is not
   *    gone, its ACK (or refusal) comes after this RESYNC; forgotten, its side would be quoted again and this one would
   *    become a live order nobody tracks;
   *  - a quote not in it that the daemon had read (or that a cancel of ours withdrew): finished, forgotten;
   *  - an open order of ours (one that came from our rings: seq > 0) that we do not track — an earlier incarnation's
   *    after a restart, or one lost track of — is canceled, not adopted: we cannot tell whether its price still fits
   *    (after a restart the reference is probed again), and an order on the book that nobody manages is exposure
   *    nobody watches; canceled, the quoting starts again from what we know.
   * Without a snapshot (orders null: nothing is known) every tracked quote is canceled (by seq a submit still unread
   * is withdrawn) and forgotten: it is placed again fresh, none is left behind untracked.
   */
  const resync = (e: StrategyEvent): void => {
    const orders = e.orders;
    if (orders === null) {
      for (const side of ['BUY', 'SELL'] as const) {
        cancelQuote(side);
        quotes[side] = undefined;
      }
      probeSeq = 0;
      return;
    }
    const withdrawn = e.withdrawn ?? [];
    const unread = (seq: number): boolean => seq > e.readSeq && !withdrawn.includes(seq);
    for (const side of ['BUY', 'SELL'] as const) {
      const q = quotes[side];
      if (q === undefined) continue;
      const open = orders.find((o) => o.seq === q.seq);
      if (open !== undefined) {
        q.orderId = open.orderId;
        if (open.state === 'PENDING_CANCEL') q.canceling = true;
      } else if (!unread(q.seq)) {
        quotes[side] = undefined;
      }
    }
    if (probeSeq !== 0 && !orders.some((o) => o.seq === probeSeq) && !unread(probeSeq)) probeSeq = 0;
    for (const o of orders) {
      if (o.seq === 0 || o.seq === probeSeq || o.seq === quotes.BUY?.seq || o.seq === quotes.SELL?.seq) continue;
      if (o.state === 'PENDING_CANCEL') continue; // on its way out already
      const r = ctx.cancel({ orderId: o.orderId });
      ctx.log.info('canceling an open order of ours not tracked', { orderId: o.orderId, seq: o.seq, side: o.side, ok: r.ok });
    }
  };

  return {
    start() {
      ctx.log.info('market maker started', { symbol, quantity, spreadTicks: spread });
      ctx.every(quoteIntervalMs, tick);
    },
    onEvent,
    stop() {
      // take our quotes off the book (the daemon's shutdown policy may also cancel everything)
      cancelQuote('BUY');
      cancelQuote('SELL');
    },
  };
}
