/**
 * The SDK's submit encoder (order-encoder.ts) against the edge decoder it stands in for: for any order object, the fast
 * path either declines (the runtime then runs decodeOrder) or writes exactly the record decodeOrder's intent gives — it
 * never accepts what decodeOrder refuses, except the core's notional bound, which the main thread checks for every
 * record (OrderIntake.submitFields: NOTIONAL_TOO_LARGE). And through the SDK, refusals keep their codes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeOrder } from '../../src/intake/order-decoder.js';
import { Doorbell } from '../../src/intake/ring/doorbell.js';
import { OrderRecord, submitRecordFromIntent } from '../../src/intake/ring/order-record.js';
import { InstrumentRegistry } from '../../src/model/instrument.js';
import { SubmitEncoder } from '../../src/strategy/order-encoder.js';
import { HostedStrategy } from '../../src/strategy/strategy-host.js';
import { StrategyRuntime } from '../../src/strategy/strategy-runtime.js';
import { INSTRUMENTS, VENUES } from './helpers.js';

const instruments = new InstrumentRegistry(INSTRUMENTS);

function plain(rec: OrderRecord): Record<string, unknown> {
  const { clientOrderId, clientOrderIdWords, ...rest } = rec;
  void clientOrderIdWords;
  return { ...rest, cid: String.fromCharCode(...clientOrderId.subarray(0, rec.clientOrderIdLength)) };
}

const decimal = fc.oneof(
  fc.constantFrom('60000', '60000.01', '60000.005', '0.001', '0.00001', '0.000015', '0', '00.10', '1e3', '-1', '', '.5', '5.', ' 1', '99999999999999999999'),
  fc.tuple(fc.integer({ min: 0, max: 99_999 }), fc.integer({ min: 0, max: 99_999 }), fc.integer({ min: 0, max: 6 }))
    .map(([i, f, d]) => (d === 0 ? `${i}` : `${i}.${String(f).padStart(d, '0').slice(0, d)}`)),
  fc.double({ min: 0, max: 200_000, noNaN: true }),
  fc.constantFrom(0.001, 60000.5, 1e-7, -0, Number.NaN, Infinity, 1e21),
  fc.constant(undefined),
  fc.constant(null),
);

const wide = fc.record(
  {
    symbol: fc.constantFrom('BTC-USDT', 'ETH-USDT', 'DOGE-USDT', 5),
    side: fc.constantFrom('BUY', 'SELL', 'buy', 'Sell', 'HOLD', undefined),
    type: fc.constantFrom('LIMIT', 'MARKET', 'STOP', 'STOP_LIMIT', 'TRAILING_STOP', 'limit', 'ICEBERG', undefined),
    timeInForce: fc.constantFrom('GTC', 'IOC', 'FOK', 'ioc', 'DAY', undefined),
    postOnly: fc.constantFrom(true, false, 'yes', undefined),
    price: decimal,
    stopPrice: decimal,
    quantity: decimal,
    clientOrderId: fc.constantFrom('abc123', 'A'.repeat(32), 'A'.repeat(33), 'not-ok', '', 7, undefined),
    priority: fc.constantFrom('HIGH', 'NORMAL', 'LOW', 'low', 'URGENT', undefined),
    venue: fc.constantFrom('sim-a', 'sim-b', 'nowhere', '', undefined),
    tag: fc.constantFrom(0, 7, 0xffffffff, 2 ** 32, -1, 1.5, '3', undefined),
    colour: fc.constantFrom('red', undefined),
  },
  { requiredKeys: [] },
).map((o) => {
  // a key present with undefined is not the same as an absent key for the key check: drop undefined ones most times
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined || k === 'stopPrice') out[k] = v;
  return out;
});

/** A valid order (mostly), then 0 to 2 of its fields replaced by anything `wide` makes. */
const goodPrice = fc.constantFrom('60000', '60000.01', 60000.5, '3000', '00.10', 61234.56);
const goodQty = fc.constantFrom('0.001', 0.5, '1', '0.0001', '2.5');
const valid = fc.record({
  symbol: fc.constantFrom('BTC-USDT', 'ETH-USDT'),
  side: fc.constantFrom('BUY', 'SELL'),
  type: fc.constantFrom('LIMIT', 'MARKET', 'STOP', 'STOP_LIMIT', undefined),
  price: goodPrice,
  stopPrice: goodPrice,
  quantity: goodQty,
  extra: fc.subarray(['timeInForce', 'postOnly', 'priority', 'venue', 'tag', 'clientOrderId'] as const),
}).map(({ type, price, stopPrice, extra, ...rest }) => {
  const o: Record<string, unknown> = { ...rest };
  if (type !== undefined) o.type = type;
  if (type === undefined || type === 'LIMIT' || type === 'STOP_LIMIT') o.price = price;
  if (type === 'STOP' || type === 'STOP_LIMIT') o.stopPrice = stopPrice;
  const marketLike = type === 'MARKET' || type === 'STOP';
  for (const k of extra) {
    if (k === 'timeInForce') o.timeInForce = marketLike ? 'IOC' : 'FOK';
    else if (k === 'postOnly') o.postOnly = !marketLike && o.timeInForce === undefined && type !== 'STOP_LIMIT';
    else if (k === 'priority') o.priority = 'LOW';
    else if (k === 'venue') o.venue = 'sim-a';
    else if (k === 'tag') o.tag = 12;
    else o.clientOrderId = 'cid42';
  }
  return o;
});
const order = fc.oneof(
  { weight: 1, arbitrary: wide },
  {
    weight: 3,
    arbitrary: fc.tuple(valid, wide, fc.subarray(['symbol', 'side', 'type', 'timeInForce', 'postOnly', 'price', 'stopPrice', 'quantity', 'clientOrderId', 'priority', 'venue', 'tag', 'colour'], { maxLength: 2 }))
      .map(([v, w, keys]) => {
        const o = { ...v };
        for (const k of keys) {
          if (k in w) o[k] = w[k];
          else delete o[k];
        }
        return o;
      }),
  },
);

describe('SubmitEncoder: the fast path agrees with decodeOrder', () => {
  it('declines, or writes the record decodeOrder\'s intent gives (never accepts what it refuses, but the notional bound)', () => {
    const enc = new SubmitEncoder(instruments, VENUES);
    const fast = new OrderRecord();
    const slow = new OrderRecord();
    let taken = 0;
    fc.assert(
      fc.property(order, (o) => {
        const accepted = enc.encode(o as never, fast.reset());
        if (!accepted) return;
        taken++;
        const { tag, ...body } = o;
        const r = decodeOrder({ ...body, strategy: 's' }, instruments);
        if (!r.ok) {
          expect(r.error.code).toBe('NOTIONAL_TOO_LARGE');
          return;
        }
        const venue = r.intent.venue === undefined ? 255 : VENUES.indexOf(r.intent.venue);
        expect(venue).toBeGreaterThanOrEqual(0);
        submitRecordFromIntent(r.intent, instruments.get(r.intent.symbol)!.index, venue, 0, (tag as number | undefined) ?? 0, slow.reset());
        expect(plain(fast)).toEqual(plain(slow));
      }),
      { numRuns: 20_000, seed: 4242 },
    );
    expect(taken).toBeGreaterThan(2000); // the generator reaches the fast path
  });

  it('an encoder that remembers its last counts writes what a fresh one writes, order after order', () => {
    // values from a small pool, so that the same text or number comes again, on either instrument (their lot sizes
    // differ: the same quantity text is a different count), and declined values come between accepted ones
    const pooled = fc.constantFrom('60000', '60000.01', 60000.01, '0.001', 0.001, '0.0001', '0.00001', '1', 1, '-1', '', undefined);
    const seqOrder = fc.record({
      symbol: fc.constantFrom('BTC-USDT', 'ETH-USDT'),
      side: fc.constantFrom('BUY', 'SELL'),
      type: fc.constantFrom('LIMIT', 'STOP_LIMIT', 'MARKET'),
      price: pooled,
      stopPrice: pooled,
      quantity: pooled,
    }).map(({ type, price, stopPrice, ...rest }) => {
      const o: Record<string, unknown> = { ...rest, type };
      if (type !== 'MARKET') o.price = price;
      if (type === 'STOP_LIMIT') o.stopPrice = stopPrice;
      return o;
    });
    const kept = new SubmitEncoder(instruments, VENUES);
    const a = new OrderRecord();
    const b = new OrderRecord();
    let accepted = 0;
    fc.assert(
      fc.property(fc.array(fc.oneof({ weight: 4, arbitrary: seqOrder }, { weight: 1, arbitrary: order }), { maxLength: 40 }), (orders) => {
        for (const o of orders) {
          const ok = kept.encode(o as never, a.reset());
          expect(new SubmitEncoder(instruments, VENUES).encode(o as never, b.reset())).toBe(ok);
          if (!ok) continue;
          accepted++;
          expect(plain(a)).toEqual(plain(b));
        }
      }),
      { numRuns: 2_000, seed: 777 },
    );
    expect(accepted).toBeGreaterThan(1500); // the sequences reach the fast path
  });

  it('takes the common shapes, strings and numbers alike', () => {
    const enc = new SubmitEncoder(instruments, VENUES);
    const rec = new OrderRecord();
    expect(enc.encode({ symbol: 'BTC-USDT', side: 'BUY', price: '60000.01', quantity: '0.001' }, rec)).toBe(true);
    expect(rec).toMatchObject({ symbol: 0, side: 0, type: 0, timeInForce: 0, priceTicks: 6_000_001, qtyLots: 100, venue: 255, priority: 1 });
    expect(enc.encode({ symbol: 'ETH-USDT', side: 'SELL', type: 'MARKET', quantity: 0.5, venue: 'sim-b', tag: 9, clientOrderId: 'x1' }, rec)).toBe(true);
    expect(rec).toMatchObject({ symbol: 1, side: 1, type: 1, timeInForce: 1, priceTicks: 0, qtyLots: 5000, venue: 1, tag: 9, clientOrderIdLength: 2 });
    expect(enc.encode({ symbol: 'BTC-USDT', side: 'BUY', type: 'STOP_LIMIT', price: 60000, stopPrice: '59000.5', quantity: '1', timeInForce: 'FOK', priority: 'HIGH' }, rec)).toBe(true);
    expect(rec).toMatchObject({ type: 3, timeInForce: 2, priority: 0, priceTicks: 6_000_000, stopTicks: 5_900_050, qtyLots: 100_000 });
  });
});

describe('SDK submit refusals keep their codes (fast path declines, the decoder says why)', () => {
  it('codes for bad input; fields a ring record cannot carry are refused, not dropped', async () => {
    const hosted = new HostedStrategy({ id: 's', module: 'unused', symbols: ['BTC-USDT'] }, 0, 64, 64);
    const runtime = new StrategyRuntime(hosted.workerData('unused', INSTRUMENTS, VENUES, Doorbell.create(), 0), { post: () => undefined });
    await runtime.start({});
    const { ctx } = runtime;
    const base = { symbol: 'BTC-USDT', side: 'BUY', price: '60000', quantity: '0.001' } as const;
    const codes = [
      ctx.submit({ ...base, side: 'buy' as never }), // accepted by the decoder (ASCII case-insensitive)
      ctx.submit({ ...base, timeInForce: 'DAY' as never }),
      ctx.submit({ ...base, quantity: '0.0000001' }),
      ctx.submit({ ...base, price: '0' }),
      ctx.submit({ ...base, route: 'best' } as never),
      ctx.submit({ ...base, algo: { type: 'TWAP', horizonMs: 60000, intervalMs: 5000 } } as never),
      ctx.submit({ ...base, type: 'TRAILING_STOP', trailingOffset: '10' } as never),
      ctx.submit({ ...base, tag: 1.5 }),
      ctx.submit({ ...base, postOnly: true, timeInForce: 'IOC' }),
      // an order naming another strategy is refused (as over Redis), not quietly sent as this one's; its own name is fine
      ctx.submit({ ...base, strategy: 'hedger' } as never),
      ctx.submit({ ...base, strategy: 's' } as never),
    ].map((r) => (r.ok ? 'OK' : r.code));
    expect(codes).toEqual([
      'OK', 'INVALID_FIELD', 'QUANTITY_NOT_ON_LOT', 'INVALID_PRICE', 'UNKNOWN_FIELD', 'UNKNOWN_FIELD', 'UNKNOWN_FIELD', 'INVALID_FIELD', 'INVALID_FIELD',
      'STRATEGY_MISMATCH', 'OK',
    ]);
    await runtime.stop();
  });
});
