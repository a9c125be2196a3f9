/**
 * The design's example order enhancer: urgency when a confident prediction agrees with the order's side, a smaller
 * size when the risk score is high. It keeps the latest signal per symbol, fed from the Redis stream
 * `{keyPrefix}signals:{symbol}` (configure `enhancer.signals: true`; publish with scripts/publish-signals.mjs).
 *
 * Signal fields (strings, as Redis stores them):
 *   confidence  0..1   how sure the prediction engine is of `direction`
 *   direction   up | down   where the price is predicted to go (BUY and SELL are accepted too: up = BUY, down = SELL)
 *   risk        0..1   the risk score
 *   ts          epoch ms when the prediction was made (absent: when the daemon read it)
 * A signal older than params.maxAgeMs (default 5000) is ignored, as is one with a field that is not a number in 0..1,
 * and one stamped more than maxAgeMs ahead of the daemon's clock (a ts in µs or ns, a clock far ahead: its age cannot
 * be known, and it would never grow old); one stamped less ahead counts from when the daemon read it.
 *
 * Per order of one of the strategy's symbols, with a fresh signal:
 *   - confidence above params.confidenceAbove (default 0.8) and the direction agreeing with the side (up: BUY,
 *     down: SELL): the order is made marketable (a LIMIT order that is not post-only becomes MARKET IOC);
 *   - risk above params.riskAbove (default 0.7): its quantity is halved, rounded down to the lot grid; when half
 *     would be below the instrument's minimum quantity (or, for an order that keeps its limit, below the minimum
 *     notional at that limit) the size is left as it is.
 * Pre-trade risk checks the order afterwards as it checks any order.
 *
 *     strategies:
 *       - id: alpha
 *         symbols: [BTC-USDT]
 *         enhancer: { module: enhancers/prediction.ts, signals: true, params: { maxAgeMs: 5000 } }
 */
import type { EnhancerChange, EnhancerContext, EnhancerOrder, OrderEnhancer } from '../../src/intake/enhancer-sdk.js';

interface Signal {
  confidence: number;
  /** 1 up (BUY), -1 down (SELL), 0 none. */
  direction: number;
  risk: number;
  ts: number;
}

function unit(text: string | undefined): number {
  if (text === undefined || text === '') return Number.NaN;
  const v = Number(text);
  return v >= 0 && v <= 1 ? v : Number.NaN;
}

function numberParam(params: Readonly<Record<string, unknown>>, name: string, fallback: number): number {
  const v = params[name];
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

export default function create(ctx: EnhancerContext): OrderEnhancer {
  const maxAgeMs = numberParam(ctx.params, 'maxAgeMs', 5000);
  const confidenceAbove = numberParam(ctx.params, 'confidenceAbove', 0.8);
  const riskAbove = numberParam(ctx.params, 'riskAbove', 0.7);
  // the latest signal of each of the strategy's symbols (bounded by its symbols)
  const latest = new Map<string, Signal>();
  for (const s of ctx.symbols) latest.set(s, { confidence: Number.NaN, direction: 0, risk: Number.NaN, ts: -Infinity });
  let ignored = 0;

  return {
    onSignal(symbol, fields) {
      const sig = latest.get(symbol);
      if (sig === undefined) return;
      const confidence = unit(fields.confidence);
      const risk = unit(fields.risk);
      const d = (fields.direction ?? '').toLowerCase();
      const direction = d === 'up' || d === 'buy' ? 1 : d === 'down' || d === 'sell' ? -1 : 0;
      const now = ctx.clock.now();
      const ts = fields.ts === undefined || fields.ts === '' ? now : Number(fields.ts);
      if ((Number.isNaN(confidence) && Number.isNaN(risk)) || !Number.isFinite(ts) || ts > now + maxAgeMs) {
        if (ignored++ === 0) ctx.log.warn('signal ignored: no usable confidence or risk, or a bad ts', { symbol });
        return;
      }
      sig.confidence = confidence;
      sig.direction = direction;
      sig.risk = risk;
      sig.ts = Math.min(ts, now);
    },

    enhance(order: EnhancerOrder, change: EnhancerChange) {
      const sig = latest.get(order.symbol);
      if (sig === undefined || ctx.clock.now() - sig.ts > maxAgeMs) return;
      const agrees = order.side === 'BUY' ? sig.direction === 1 : sig.direction === -1;
      const marketable = agrees && sig.confidence > confidenceAbove && order.type === 'LIMIT' && !order.postOnly;
      if (marketable) change.marketable = true;
      if (sig.risk > riskAbove) {
        const ins = order.instrument;
        const half = Math.floor(order.qtyLots / 2);
        const price = marketable ? 0 : order.priceTicks;
        const notionalOk = price === 0 || ins.minNotionalUnits === 0 || price * half >= ins.minNotionalUnits;
        if (half >= ins.minQtyLots && notionalOk) change.qtyLots = half;
      }
    },
  };
}
