/**
 * The paper venue's fee texts come from FeeRate (the rate and increments parsed once); feeText, the general decimal
 * path, is the reference: on random increments, bps (maker rebates, many decimals, leading zeros), prices and
 * quantities (safe-integer products and beyond), the two give byte-identical text and throw the same errors. On
 * OurOrders: each fill pays its instrument's and liquidity's rate; and the order history (live orders by client order
 * id, finished ones searched in the retained ring) answers lookups, duplicate refusals and sizes exactly as the one map
 * of live and retained orders by client order id it replaced (HistoryModel, that map's rules) on random sequences.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OurOrders } from '../../adapters/paper/our-orders.js';
import type { ExecutionReport, VenueOrder } from '../../src/execution/venue.js';
import { FeeRate, Increment, feeText } from '../../src/model/decimal.js';
import { Instrument } from '../../src/model/instrument.js';

const MAX = Number.MAX_SAFE_INTEGER;

/** A positive increment text: 1 to 6 digits, 0 to 12 decimals ("0.00025", "5", "0.1", "10"). */
const incrementArb = fc
  .tuple(fc.integer({ min: 1, max: 999_999 }), fc.integer({ min: 0, max: 12 }))
  .map(([units, scale]) => new Increment(text(BigInt(units), scale)));

/** A signed bps text as parseSignedDecimal takes it: rebates, zero, "-0", leading and trailing zeros, many decimals. */
const bpsArb = fc.oneof(
  fc.constantFrom('0', '-0', '1', '5', '-1', '0.5', '-0.25', '007.50', '0.000', '-0.0001', '2.5', '10'),
  fc.tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 18n }), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 3 }))
    .map(([neg, units, scale, lead]) => (neg ? '-' : '') + '0'.repeat(lead) + text(units, scale)),
);

/**
 * Counts that keep products in doubles, and ones that leave the safe-integer range (the bigint path); round ones
 * (a multiple of a power of ten) make fees with trailing zeros to drop, down to whole numbers.
 */
const countArb = fc.oneof(
  fc.integer({ min: 0, max: 1_000 }),
  fc.tuple(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 13 })).map(([units, zeros]) => units * 10 ** zeros),
  fc.integer({ min: 0, max: 100_000_000 }),
  fc.integer({ min: 0, max: MAX }),
  fc.constantFrom(0, 1, MAX, MAX - 1, 2 ** 26, 2 ** 27 + 1),
);

/** units / 10^scale with exactly `scale` decimals (written here, not taken from src). */
function text(units: bigint, scale: number): string {
  const s = units.toString().padStart(scale + 1, '0');
  return scale === 0 ? s : `${s.slice(0, s.length - scale)}.${s.slice(s.length - scale)}`;
}

/** The outcome of a call: its text, or the error it threw (class and message). */
function outcome(fn: () => string): string {
  try {
    return `ok ${fn()}`;
  } catch (e) {
    return `threw ${(e as Error).constructor.name}: ${(e as Error).message}`;
  }
}

describe('FeeRate: byte-identical to feeText', () => {
  it('on random increments, bps, prices and quantities', () => {
    fc.assert(
      fc.property(incrementArb, incrementArb, bpsArb, countArb, countArb, (tick, lot, bps, price, qty) => {
        expect(new FeeRate(tick, lot, bps).text(price, qty)).toBe(feeText(tick, lot, price, qty, bps));
      }),
      { numRuns: 20_000 },
    );
  });

  it('one rate over many fills (the rate is made once and reused)', () => {
    fc.assert(
      fc.property(incrementArb, incrementArb, bpsArb, fc.array(fc.tuple(countArb, countArb), { minLength: 1, maxLength: 50 }), (tick, lot, bps, fills) => {
        const rate = new FeeRate(tick, lot, bps);
        for (const [price, qty] of fills) expect(rate.text(price, qty)).toBe(feeText(tick, lot, price, qty, bps));
      }),
      { numRuns: 2_000 },
    );
  });

  it('fills that repeat prices and quantities, and ones that share a memo entry (the texts made are kept and reused)', () => {
    // A few pairs drawn at random, each also shifted by 16 in its price or quantity (the same memo entry: the low bits
    // of price ^ quantity are unchanged) and mixed with pairs that throw (not integers), then replayed in random order:
    // every text, and every error, is what feeText gives for that pair.
    const pairArb = fc.tuple(fc.oneof(countArb, fc.constantFrom(1.5, -0, 2 ** 60)), fc.oneof(countArb, fc.constantFrom(0.25, -0)));
    fc.assert(
      fc.property(
        incrementArb, incrementArb, bpsArb, fc.array(pairArb, { minLength: 1, maxLength: 6 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 2 })), { minLength: 1, maxLength: 80 }),
        (tick, lot, bps, pairs, picks) => {
          const rate = new FeeRate(tick, lot, bps);
          for (const [pick, shift] of picks) {
            const [p, q] = pairs[pick % pairs.length]!;
            const price = shift === 1 ? p + 16 : p;
            const qty = shift === 2 ? q + 16 : q;
            expect(outcome(() => rate.text(price, qty))).toBe(outcome(() => feeText(tick, lot, price, qty, bps)));
          }
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('at the edge of the double path: products just below, at and above 2^53', () => {
    const one = new Increment('1');
    const cases: [number, number, string][] = [
      [MAX, 1, '1'], [MAX, 1, '-1'], [2 ** 52, 2, '1'], [2 ** 52, 2, '-1'], [2 ** 26, 2 ** 27, '1'], [2 ** 26 + 1, 2 ** 27, '1'],
      [94_906_265, 94_906_265, '1'], [94_906_266, 94_906_266, '1'], [3, 3_002_399_751_580_331, '1'], [3, 3_002_399_751_580_331, '-1'],
      [MAX, MAX, '99.99'], [0, MAX, '-5'], [MAX, 0, '1'], [10, 10, '0.0000000000000000001'],
      // whole fees: every decimal dropped ("100", "-3", "0")
      [1_000_000, 1_000_000, '10000'], [10_000, 100_000, '-1'], [100_000_000, 100_000, '0.5'], [3, 0, '-7'],
    ];
    for (const [price, qty, bps] of cases) {
      for (const [tick, lot] of [[one, one], [new Increment('0.01'), new Increment('0.00001')], [new Increment('10'), new Increment('100')]] as const) {
        expect(new FeeRate(tick, lot, bps).text(price, qty)).toBe(feeText(tick, lot, price, qty, bps));
      }
    }
  });

  it('throws what feeText throws: bps not a decimal, a price or quantity that is not an integer', () => {
    const tick = new Increment('0.01');
    const lot = new Increment('0.001');
    const cases: [number, number, string][] = [
      [100, 1, '1e-3'], [100, 1, '+1'], [100, 1, ''], [100, 1, ' 1'], [100, 1, 'abc'], [1.5, 1, '1'], [1, 0.25, '1'],
      [Number.NaN, 1, '1'], [1, Number.POSITIVE_INFINITY, '1'], [1.5, Number.NaN, '1'], [2 ** 60, 3, '1'], [3, 2 ** 60 + 2 ** 10, '-0.5'],
    ];
    for (const [price, qty, bps] of cases) {
      const expected = outcome(() => feeText(tick, lot, price, qty, bps));
      expect(outcome(() => new FeeRate(tick, lot, bps).text(price, qty))).toBe(expected);
    }
  });
});

describe('OurOrders: fee rates per instrument and liquidity, client order ids', () => {
  const BTC = new Instrument({ symbol: 'BTC-USDT', base: 'BTC', quote: 'USDT', tickSize: '0.01', lotSize: '0.00001' }, 0);
  // the same index as BTC (instruments of different registries): its rate must not be taken for BTC's
  const ETH = new Instrument({ symbol: 'ETH-USDT', base: 'ETH', quote: 'USDT', tickSize: '0.1', lotSize: '0.001' }, 0);
  const SOL = new Instrument({ symbol: 'SOL-USDT', base: 'SOL', quote: 'USDT', tickSize: '0.001', lotSize: '0.01' }, 5);

  function rig(retainFinished: number, makerBps = '-0.25', takerBps = '4.5') {
    const reports: ExecutionReport[] = [];
    const orders = new OurOrders({ name: 'sim', makerBps, takerBps, retainFinished }, { report: (_n, r) => reports.push(r) });
    const order = (id: number, instrument: Instrument, clientOrderId = `c${id}`, qtyLots = 100): VenueOrder => ({
      orderId: id, clientOrderId, instrument, side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', postOnly: false, priceTicks: 1000,
      stopTicks: 0, qtyLots,
    });
    return { reports, orders, order };
  }

  it('each fill pays its instrument\'s and liquidity\'s rate, as feeText computes it', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(BTC, ETH, SOL), fc.boolean(), fc.integer({ min: 1, max: 10_000_000 }), fc.integer({ min: 1, max: 1_000 })), { minLength: 1, maxLength: 40 }),
        bpsArb, bpsArb,
        (fills, makerBps, takerBps) => {
          const { reports, orders, order } = rig(8, makerBps, takerBps);
          fills.forEach(([ins, maker, price, qty], i) => {
            orders.open(order(i + 1, ins, `c${i + 1}`, 1_000_000));
            orders.fill(i + 1, price, qty, maker ? 'MAKER' : 'TAKER');
            const f = reports.at(-1) as Extract<ExecutionReport, { kind: 'FILL' }>;
            expect(f).toMatchObject({ kind: 'FILL', orderId: i + 1, priceTicks: price, qtyLots: qty, liquidity: maker ? 'MAKER' : 'TAKER', feeCurrency: 'USDT' });
            expect(f.fee).toBe(feeText(ins.tick, ins.lot, price, qty, maker ? makerBps : takerBps));
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('venue order ids and trade ids count up under the venue\'s name', () => {
    const { reports, orders, order } = rig(8);
    expect(orders.open(order(1, BTC))!.venueOrderId).toBe('sim-1');
    orders.fill(1, 1000, 10, 'TAKER');
    expect(orders.open(order(2, BTC))!.venueOrderId).toBe('sim-3');
    expect(reports).toEqual([expect.objectContaining({ kind: 'FILL', tradeId: 'sim-t2', fee: '0.00000045', venueTs: 0 })]);
  });

  /** The venue's order history as it was kept before (one map of live and retained orders by client order id): the reference. */
  class HistoryModel {
    private seq = 0;
    private readonly live = new Map<number, ModelOrder>();
    readonly byClientId = new Map<string, ModelOrder>();
    /** Every order opened, by id. */
    readonly all = new Map<number, ModelOrder>();
    private readonly ring: ModelOrder[] = [];
    constructor(private readonly retain: number) {}
    open(id: number, cid: string, qty: number): ModelOrder | undefined {
      const p = this.byClientId.get(cid);
      if (p !== undefined && (p.state === 'OPEN' || p.state === 'PARTIALLY_FILLED')) return undefined;
      const m: ModelOrder = { id, cid, qty, filled: 0, state: 'OPEN', venueOrderId: `sim-${++this.seq}` };
      this.live.set(id, m);
      this.byClientId.set(cid, m);
      this.all.set(id, m);
      return m;
    }
    fill(id: number, qty: number): void {
      const m = this.live.get(id);
      if (m === undefined) return;
      m.filled += qty;
      if (m.filled >= m.qty) this.finish(m, 'FILLED');
      else m.state = 'PARTIALLY_FILLED';
      this.seq++;
    }
    finish(m: ModelOrder, state: string): void {
      m.state = state;
      if (this.live.get(m.id) !== m) return;
      this.live.delete(m.id);
      if (this.retain === 0) return this.forget(m);
      if (this.ring.length === this.retain) this.forget(this.ring.shift()!);
      this.ring.push(m);
    }
    private forget(m: ModelOrder): void {
      if (this.byClientId.get(m.cid) === m) this.byClientId.delete(m.cid);
    }
  }
  interface ModelOrder { id: number; cid: string; qty: number; filled: number; state: string; venueOrderId: string }

  it('lookups, duplicate refusals and sizes answer as the single client order id map did (random opens, fills, expiries, reused ids)', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('open' as const), cid: fc.integer({ min: 0, max: 7 }), qty: fc.integer({ min: 1, max: 3 }) }),
      fc.record({ kind: fc.constant('fill' as const), pick: fc.nat(), qty: fc.integer({ min: 1, max: 2 }) }),
      fc.record({ kind: fc.constant('expire' as const), pick: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 6 }), fc.array(op, { maxLength: 120 }), (retain, ops) => {
        const { orders, order } = rig(retain);
        const model = new HistoryModel(retain);
        const mine = new Map<number, NonNullable<ReturnType<OurOrders['open']>>>(); // every order opened, by id
        let nextId = 0;
        for (const o of ops) {
          if (o.kind === 'open') {
            const id = ++nextId;
            const got = orders.open(order(id, BTC, `cid${o.cid}`, o.qty));
            const want = model.open(id, `cid${o.cid}`, o.qty);
            expect(got === undefined).toBe(want === undefined);
            if (got !== undefined) mine.set(id, got);
          } else if (nextId > 0) {
            const id = 1 + (o.pick % nextId); // may be finished or refused: both sides ignore it alike
            if (o.kind === 'fill') {
              orders.fill(id, 1000, o.qty, 'TAKER');
              model.fill(id, o.qty);
            } else {
              // expire finishes the order object itself (even one already finished: its state changes, as before)
              const m = mine.get(id);
              if (m !== undefined) {
                orders.expire(m, 'test');
                model.finish(model.all.get(id)!, 'EXPIRED');
              }
            }
          }
          for (let c = 0; c < 8; c++) {
            const got = orders.lookup(`cid${c}`);
            const want = model.byClientId.get(`cid${c}`);
            expect(got === null ? null : { state: got.state, filled: got.filledLots, qty: got.qtyLots, v: got.venueOrderId })
              .toEqual(want === undefined ? null : { state: want.state, filled: want.filled, qty: want.qty, v: want.venueOrderId });
          }
          expect(orders.sizes().byClientId).toBe(model.byClientId.size);
        }
      }),
      { numRuns: 1_000 },
    );
  });

  for (const retain of [0, 1, 3]) {
    it(`a client order id reused after its order finished (retaining ${retain}): the newest order keeps it until it is forgotten`, () => {
      const { reports, orders, order } = rig(retain);
      const a = orders.open(order(1, BTC, 'X'))!;
      // open: a second order under the same id is refused
      expect(orders.open(order(2, BTC, 'X'))).toBeUndefined();
      expect(reports.at(-1)).toEqual({ kind: 'REJECTED', orderId: 2, reason: 'duplicate client order id' });
      orders.fill(1, 1000, 100, 'TAKER'); // a finishes
      expect(orders.lookup('X')?.venueOrderId).toBe(retain === 0 ? undefined : a.venueOrderId);
      const b = orders.open(order(3, BTC, 'X'))!; // allowed: a is finished
      expect(b).toBeDefined();
      expect(orders.lookup('X')?.venueOrderId).toBe(b.venueOrderId);
      // other orders finish until a leaves the retained ring: b keeps the id
      for (let i = 0; i < retain + 2; i++) {
        orders.open(order(10 + i, BTC));
        orders.fill(10 + i, 1000, 100, 'MAKER');
        expect(orders.lookup('X')).toMatchObject({ venueOrderId: b.venueOrderId, state: 'OPEN' });
      }
      orders.fill(3, 1000, 100, 'TAKER'); // b finishes: retained, then forgotten
      expect(orders.lookup('X')).toEqual(retain === 0 ? null : expect.objectContaining({ venueOrderId: b.venueOrderId, state: 'FILLED' }));
      for (let i = 0; i < retain; i++) {
        orders.open(order(20 + i, BTC));
        orders.fill(20 + i, 1000, 100, 'MAKER');
      }
      expect(orders.lookup('X')).toBeNull();
      expect(orders.sizes().byClientId).toBe(retain);
      // the id is free again
      expect(orders.open(order(30, BTC, 'X'))).toBeDefined();
      expect(orders.lookup('X')).toMatchObject({ state: 'OPEN' });
    });
  }
});
