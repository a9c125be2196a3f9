/**
 * Property tests: random operation streams (every order type, every STP mode, cancels, reduces,
 * price changes, some invalid input) run on the engine and on the reference book must give the
 * same statuses, the same events in the same order and the same final book; invariants are checked
 * after every operation.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OrderBook, OrderInfo } from '../../src/matching/order-book.js';
import type { OrderBookOptions } from '../../src/matching/types.js';
import { Prng } from '../../adapters/paper/prng.js';
import { RecordingSink } from './helpers.js';
import { type Ev, ReferenceBook } from './reference-book.js';

type Op =
  | { k: 'submit'; side: number; type: number; price: number; qty: number; owner: number; stp: number; stopPrice: number; reuse: number }
  | { k: 'cancel'; pick: number }
  | { k: 'reduce'; pick: number; qty: number }
  | { k: 'move'; pick: number; price: number }
  | { k: 'snap' };

const typeArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant(0) }, // LIMIT
  { weight: 2, arbitrary: fc.constant(1) }, // MARKET
  { weight: 2, arbitrary: fc.constant(2) }, // IOC
  { weight: 2, arbitrary: fc.constant(3) }, // FOK
  { weight: 2, arbitrary: fc.constant(4) }, // POST_ONLY
  { weight: 2, arbitrary: fc.constant(5) }, // STOP
  { weight: 2, arbitrary: fc.constant(6) }, // STOP_LIMIT
  { weight: 1, arbitrary: fc.constant(7) }, // invalid
);

const qtyArb = fc.oneof(
  { weight: 40, arbitrary: fc.integer({ min: 1, max: 20 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -3, 2.5, Number.NaN) },
);

function opArb(priceArb: fc.Arbitrary<number>, allowSnap: boolean, qty: fc.Arbitrary<number> = qtyArb): fc.Arbitrary<Op> {
  const submit = fc.record({
    k: fc.constant('submit' as const),
    side: fc.oneof({ weight: 30, arbitrary: fc.integer({ min: 0, max: 1 }) }, { weight: 1, arbitrary: fc.constant(2) }),
    type: typeArb,
    price: fc.oneof({ weight: 40, arbitrary: priceArb }, { weight: 1, arbitrary: fc.constantFrom(0, -1, 1.5) }),
    qty,
    owner: fc.integer({ min: 0, max: 2 }),
    stp: fc.integer({ min: 0, max: 4 }),
    stopPrice: priceArb,
    reuse: fc.integer({ min: 0, max: 24 }),
  });
  const arbs: fc.WeightedArbitrary<Op>[] = [
    { weight: 10, arbitrary: submit },
    { weight: 3, arbitrary: fc.record({ k: fc.constant('cancel' as const), pick: fc.nat() }) },
    { weight: 2, arbitrary: fc.record({ k: fc.constant('reduce' as const), pick: fc.nat(), qty: fc.integer({ min: 0, max: 22 }) }) },
    { weight: 2, arbitrary: fc.record({ k: fc.constant('move' as const), pick: fc.nat(), price: priceArb }) },
  ];
  if (allowSnap) arbs.push({ weight: 1, arbitrary: fc.constant({ k: 'snap' as const }) });
  return fc.oneof(...arbs);
}

interface Acct {
  qty: number;
  filled: number;
  cancelled: number;
  reduced: number;
}

/** Runs `ops` on both books and checks everything; returns the engine for further checks. */
function runStream(ops: Op[], options: OrderBookOptions): OrderBook {
  const sink = new RecordingSink();
  let book = new OrderBook(sink, options);
  const ref = new ReferenceBook();
  const ids: number[] = [];
  let nextId = 1;
  const acct = new Map<number, Acct>();
  const info = new Float64Array(OrderInfo.LENGTH);

  const openQty = (id: number) => (book.getOrder(id, info) ? info[OrderInfo.QTY] : 0);

  for (let step = 0; step < ops.length; step++) {
    const op = ops[step];
    let s1: number;
    let s2: number;
    const pick = (n: number) => (ids.length === 0 ? 0 : ids[n % ids.length]);
    switch (op.k) {
      case 'submit': {
        const id = op.reuse === 0 && ids.length > 0 ? pick(step) : nextId++;
        if (!ids.includes(id)) ids.push(id);
        s1 = book.submit(id, op.owner, op.side, op.type, op.price, op.qty, op.stp, op.stopPrice);
        s2 = ref.submit(id, op.owner, op.side, op.type, op.price, op.qty, op.stp, op.stopPrice);
        break;
      }
      case 'cancel': {
        const id = pick(op.pick);
        s1 = book.cancel(id);
        s2 = ref.cancel(id);
        break;
      }
      case 'reduce': {
        const id = pick(op.pick);
        const before = openQty(id);
        s1 = book.reduce(id, op.qty);
        s2 = ref.reduce(id, op.qty);
        if (s1 === 0) acct.get(id)!.reduced += before - op.qty;
        break;
      }
      case 'move': {
        const id = pick(op.pick);
        s1 = book.changePrice(id, op.price);
        s2 = ref.changePrice(id, op.price);
        break;
      }
      case 'snap': {
        // Round trip through JSON into a fresh engine, which then continues the stream.
        const json = JSON.stringify(book.snapshot());
        const fresh = new OrderBook(sink, options);
        s1 = fresh.restore(JSON.parse(json));
        s2 = 0;
        expect(fresh.snapshot()).toEqual(book.snapshot());
        book = fresh;
        break;
      }
    }
    const got = sink.take();
    const want = ref.events;
    ref.events = [];
    if (s1 !== s2 || !sameEvents(got, want)) {
      throw new Error(`step ${step} ${JSON.stringify(op)}: status ${s1} vs ${s2}\n got ${JSON.stringify(got)}\nwant ${JSON.stringify(want)}`);
    }

    // Quantity accounting from the events.
    for (const e of got) {
      if (e[0] === 'accept') {
        const prev = acct.get(e[1]);
        // An id is only accepted again once its previous life is fully accounted for.
        if (prev !== undefined) expect(prev.filled + prev.cancelled + prev.reduced).toBe(prev.qty);
        acct.set(e[1], { qty: e[6], filled: 0, cancelled: 0, reduced: 0 });
      } else if (e[0] === 'fill') {
        expect(e[6]).toBeGreaterThan(0);
        acct.get(e[1])!.filled += e[6];
        acct.get(e[2])!.filled += e[6];
      } else if (e[0] === 'cancel') {
        acct.get(e[1])!.cancelled += e[3];
      }
    }
    checkInvariants(book, acct, openQty);
    checkObservables(book, ref, ids, step, info, step % 16 === 0 || step === ops.length - 1);
  }
  const snap = book.snapshot();
  expect({ lastPrice: snap.lastPrice, orders: snap.orders, stops: snap.stops }).toEqual(ref.snapshot());
  checkDepth(book);
  return book;
}

/**
 * Every query agrees with the reference after each operation: best prices, last price, each level (price, total,
 * orders) best first; and every 16th operation (`full`) also levelQty at and next to each level and each known id's
 * getOrder (those cost the reference a scan per level or id).
 */
function checkObservables(book: OrderBook, ref: ReferenceBook, ids: number[], step: number, info: Float64Array, full: boolean): void {
  const fail = (what: string, got: unknown, want: unknown) => {
    throw new Error(`step ${step}: ${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  };
  if (!Object.is(book.bestBid(), ref.bestBid())) fail('bestBid', book.bestBid(), ref.bestBid());
  if (!Object.is(book.bestAsk(), ref.bestAsk())) fail('bestAsk', book.bestAsk(), ref.bestAsk());
  if (!Object.is(book.lastPrice(), ref.last ?? NaN)) fail('lastPrice', book.lastPrice(), ref.last);
  for (const side of [0, 1]) {
    const want = ref.levels(side);
    if (book.levelCount(side) !== want.length) fail(`levelCount(${side})`, book.levelCount(side), want.length);
    const prices = new Float64Array(want.length + 1);
    const qtys = new Float64Array(want.length + 1);
    const counts = new Int32Array(want.length + 1);
    const n = book.depth(side, want.length + 1, prices, qtys, counts);
    const got = Array.from(prices.subarray(0, n), (p, i) => [p, qtys[i], counts[i]]);
    if (JSON.stringify(got) !== JSON.stringify(want)) fail(`depth(${side})`, got, want);
    if (!full) continue;
    for (const [p] of want) {
      for (const q of [p - 1, p, p + 1]) {
        if (book.levelQty(side, q) !== ref.levelTotal(side, q)) fail(`levelQty(${side}, ${q})`, book.levelQty(side, q), ref.levelTotal(side, q));
      }
    }
  }
  if (!full) return;
  for (const id of ids) {
    const want = ref.orderInfo(id);
    const got = book.getOrder(id, info) ? Array.from(info) : null;
    if (JSON.stringify(got) !== JSON.stringify(want)) fail(`getOrder(${id})`, got, want);
  }
}

function sameEvents(a: Ev[], b: Ev[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function checkInvariants(book: OrderBook, acct: Map<number, Acct>, openQty: (id: number) => number): void {
  const bid = book.bestBid();
  const ask = book.bestAsk();
  if (!Number.isNaN(bid) && !Number.isNaN(ask) && !(bid < ask)) throw new Error(`crossed at rest: ${bid} >= ${ask}`);
  let open = 0;
  for (const [id, a] of acct) {
    const q = openQty(id);
    if (q > 0) open++;
    if (a.filled > a.qty) throw new Error(`order ${id} overfilled`);
    if (a.filled + a.cancelled + a.reduced + q !== a.qty) {
      throw new Error(`order ${id}: filled ${a.filled} + cancelled ${a.cancelled} + reduced ${a.reduced} + open ${q} != ${a.qty}`);
    }
  }
  expect(book.restingCount + book.pendingStopCount).toBe(open);
}

/** Aggregated depth agrees with the orders listed in the snapshot. */
function checkDepth(book: OrderBook): void {
  const snap = book.snapshot();
  for (const side of [0, 1]) {
    const agg = new Map<number, [number, number]>();
    for (let i = 0; i < snap.orders.length; i += 7) {
      if (snap.orders[i + 2] !== side) continue;
      const p = snap.orders[i + 3];
      const cur = agg.get(p) ?? [0, 0];
      agg.set(p, [cur[0] + snap.orders[i + 4], cur[1] + 1]);
    }
    const prices = new Float64Array(agg.size + 1);
    const qtys = new Float64Array(agg.size + 1);
    const counts = new Int32Array(agg.size + 1);
    const n = book.depth(side, agg.size + 1, prices, qtys, counts);
    expect(n).toBe(agg.size);
    expect(book.levelCount(side)).toBe(agg.size);
    const order = [...agg.keys()].sort((a, b) => (side === 0 ? b - a : a - b));
    for (let i = 0; i < n; i++) {
      expect(prices[i]).toBe(order[i]);
      expect([qtys[i], counts[i]]).toEqual(agg.get(order[i]));
    }
  }
}

/**
 * Regime streams: phases of activity around centres far apart (more than the window), with levels left behind in
 * earlier phases (in the overflows), cancels aimed at live orders of any phase, price moves within and across phases,
 * prices at the window's edges, optionally centres at the ends of the tick range (1, 2^52) and quantities near 2^53,
 * every type and STP mode. Built from a seed with the project's Prng.
 */
function regimeOps(seed: number, phases: number, width: number, extremes: boolean, big = false): Op[] {
  const rng = new Prng(seed);
  const ops: Op[] = [];
  const centres: number[] = [];
  let known = 0;
  const live: { idx: number; phase: number }[] = [];
  const centreOf = () => {
    const r = rng.next();
    if (extremes && r < 0.25) return rng.next() < 0.5 ? 1 + rng.int(0, 50) : 2 ** 52 - rng.int(0, 50);
    if (centres.length > 0 && r < 0.5) return centres[rng.int(0, centres.length - 1)]! + rng.int(-width, width);
    return 100_000 + rng.int(-40, 40) * width;
  };
  for (let ph = 0; ph < phases; ph++) {
    const c = centreOf();
    centres.push(c);
    const spread = [5, 50, 300, 1024, 2048, 3 * width][rng.int(0, 5)]!;
    const len = rng.next() < 0.15 ? rng.int(1000, 1500) : rng.int(30, 300);
    const clamp = (p: number) => Math.min(2 ** 52, Math.max(1, p));
    // the window is placed with its key 3/4 of the way up (1,024 wide: base key - 768, end key + 256; wider after growth)
    const edges = [-768, -769, -767, 255, 256, 257, -1536, -1537, 511, 512, -3072, 1023, 1024];
    const near = () => clamp(rng.next() < 0.1 ? c + edges[rng.int(0, edges.length - 1)]! : c + rng.int(-spread, spread));
    const qty = (lo: number, hi: number) => (big && rng.next() < 0.3 ? [2 ** 52, 2 ** 53 - 2, Number.MAX_SAFE_INTEGER, 3 * 2 ** 50][rng.int(0, 3)]! : rng.int(lo, hi));
    for (let i = 0; i < len; i++) {
      const r = rng.next();
      if (r < 0.003) {
        ops.push({ k: 'snap' });
      } else if (r < 0.45 || live.length === 0) {
        const side = rng.int(0, 1);
        const p = rng.next() < 0.1 ? near() : clamp(side === 0 ? c - rng.int(0, spread) : c + 1 + rng.int(0, spread));
        const t = rng.next();
        const type = t < 0.8 ? 0 : t < 0.88 ? 4 : t < 0.92 ? 2 : t < 0.95 ? 3 : t < 0.97 ? 1 : t < 0.985 ? 5 : 6;
        ops.push({ k: 'submit', side, type, price: type === 2 || type === 3 ? near() : p, qty: qty(1, 9), owner: rng.int(0, 2), stp: rng.int(0, 4), stopPrice: near(), reuse: 1 });
        live.push({ idx: known++, phase: ph });
      } else if (r < 0.8) {
        const j = rng.int(0, live.length - 1);
        const o = live[j]!;
        live[j] = live[live.length - 1]!;
        live.pop();
        ops.push({ k: 'cancel', pick: o.idx });
      } else if (r < 0.9) {
        const o = live[rng.int(0, live.length - 1)]!;
        const to = rng.next() < 0.5 ? near() : clamp(centres[rng.int(0, centres.length - 1)]! + rng.int(-spread, spread));
        ops.push({ k: 'move', pick: o.idx, price: to });
      } else if (r < 0.95) {
        const o = live[rng.int(0, live.length - 1)]!;
        ops.push({ k: 'reduce', pick: o.idx, qty: big && rng.next() < 0.5 ? rng.int(1, 2 ** 52) : rng.int(1, 5) });
      } else {
        // a sweep: MARKET or FOK of a larger size
        ops.push({ k: 'submit', side: rng.int(0, 1), type: rng.next() < 0.5 ? 1 : 3, price: near(), qty: qty(5, 60), owner: rng.int(0, 2), stp: rng.int(0, 4), stopPrice: 1, reuse: 1 });
        known++;
      }
    }
  }
  return ops;
}

describe('OrderBook vs reference book (property)', () => {
  it('narrow prices: every type, STP mode, cancel, reduce, price change', () => {
    fc.assert(
      fc.property(fc.array(opArb(fc.integer({ min: 95, max: 105 }), false), { minLength: 1, maxLength: 250, size: 'max' }), (ops) => {
        runStream(ops, { initialCapacity: 4, windowTicks: 1024 });
      }),
      { numRuns: 800 },
    );
  });

  it('wide and sparse prices move the window and use the overflow', () => {
    const price = fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 1995, max: 2010 }) },
      { weight: 2, arbitrary: fc.integer({ min: 1, max: 6000 }) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 50_000_000 }) },
      { weight: 1, arbitrary: fc.constantFrom(1, 2 ** 40, 2 ** 52 - 1, 2 ** 52, 2 ** 52 + 1, Number.MAX_SAFE_INTEGER) },
    );
    fc.assert(
      fc.property(fc.array(opArb(price, false), { minLength: 1, maxLength: 250, size: 'max' }), fc.constantFrom(1024, 4096), (ops, windowTicks) => {
        runStream(ops, { initialCapacity: 4, windowTicks });
      }),
      { numRuns: 500 },
    );
  });

  it('snapshot/restore in the middle of a stream continues identically', () => {
    fc.assert(
      fc.property(fc.array(opArb(fc.integer({ min: 97, max: 103 }), true), { minLength: 1, maxLength: 150, size: 'max' }), (ops) => {
        runStream(ops, { initialCapacity: 8 });
      }),
      { numRuns: 150 },
    );
  });

  it('trending prices keep moving the window both ways', () => {
    // Prices drift by a random walk far larger than the window.
    const walk = fc.array(fc.integer({ min: -400, max: 400 }), { minLength: 1, maxLength: 300, size: 'max' }).map((steps) => {
      const ops: Op[] = [];
      let mid = 100_000;
      let i = 0;
      for (const d of steps) {
        mid = Math.max(2000, mid + d);
        const side = i++ % 2;
        const price = side === 0 ? mid - (Math.abs(d) % 7) : mid + (Math.abs(d) % 5);
        ops.push({ k: 'submit', side, type: d % 9 === 0 ? 1 : 0, price, qty: 1 + (Math.abs(d) % 9), owner: 0, stp: 0, stopPrice: 1, reuse: 1 });
        if (d % 3 === 0) ops.push({ k: 'cancel', pick: Math.abs(d) });
      }
      return ops;
    });
    fc.assert(
      fc.property(walk, fc.constantFrom(1024, 4096), (ops, windowTicks) => {
        runStream(ops, { initialCapacity: 4, windowTicks });
      }),
      { numRuns: 100 },
    );
  });

  it('far jumps: one order far above (or below) the rest placed and cancelled again and again among normal flow', () => {
    // A thin book around 100,000 with a window of 1,024 ticks; the "jumper" rests 50,000 ticks away and is
    // cancelled a few operations later, while normal flow (every type, STP, reduce, price change) goes on.
    const near = fc.integer({ min: 99_990, max: 100_010 });
    const flow = opArb(near, true);
    const cycle = fc.record({
      side: fc.integer({ min: 0, max: 1 }),
      away: fc.constantFrom(50_000, -50_000, 1_500, -1_500),
      type: fc.constantFrom(0, 0, 0, 4), // LIMIT or POST_ONLY
      flow: fc.array(flow, { maxLength: 6 }),
    });
    const stream = fc.array(cycle, { minLength: 1, maxLength: 60 }).map((cycles) => {
      const ops: Op[] = [];
      // runStream's ids list grows by one per submit with a new id (reuse != 0, or the very first submit).
      let known = 0;
      const count = (op: Op) => {
        if (op.k === 'submit' && (op.reuse !== 0 || known === 0)) known++;
      };
      cycles.forEach((c, i) => {
        const jumper = known;
        const jump: Op = { k: 'submit', side: c.side, type: c.type, price: 100_000 + c.away, qty: 3, owner: 1, stp: 0, stopPrice: 1, reuse: 1 };
        ops.push(jump);
        count(jump);
        for (const op of c.flow) {
          ops.push(op);
          count(op);
        }
        // Then the jumper leaves: cancelled, or moved back next to the book (where it may trade).
        ops.push(i % 2 === 0 ? { k: 'cancel', pick: jumper } : { k: 'move', pick: jumper, price: 100_000 + (i % 7) - 3 });
      });
      return ops;
    });
    fc.assert(
      fc.property(stream, (ops) => {
        runStream(ops, { initialCapacity: 4, windowTicks: 1024 });
      }),
      { numRuns: 150 },
    );
  });

  it('one-sided thin books with far-apart levels, long enough to move the window both ways', () => {
    // Levels 3,000 ticks apart with a 1,024-tick window: nearly every operation is outside the window, so
    // the window is re-placed many times per stream; market and IOC orders sweep across window and overflows.
    const price = fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: -30, max: 30 }).map((j) => 200_000 + j * 3000) },
      { weight: 2, arbitrary: fc.integer({ min: 199_990, max: 200_010 }) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 ** 40 }) },
    );
    const oneSided = opArb(price, false).map((op): Op => (op.k === 'submit' && op.type !== 1 && op.type !== 2 && op.type !== 3 ? { ...op, side: 0 } : op));
    fc.assert(
      fc.property(fc.array(oneSided, { minLength: 100, maxLength: 500, size: 'max' }), fc.constantFrom(1024, 4096), (ops, windowTicks) => {
        runStream(ops, { initialCapacity: 4, windowTicks });
      }),
      { numRuns: 40 },
    );
  });

  it('huge quantities: level totals stop at MAX_QTY, FOK decisions stay exact (same as the reference)', () => {
    const big = fc.oneof(
      { weight: 3, arbitrary: fc.integer({ min: 1, max: 20 }) },
      { weight: 2, arbitrary: fc.constantFrom(2 ** 52, 2 ** 52 + 1, 2 ** 53 - 2, Number.MAX_SAFE_INTEGER, 3 * 2 ** 50) },
      { weight: 1, arbitrary: fc.integer({ min: 2 ** 51, max: Number.MAX_SAFE_INTEGER }) },
    );
    fc.assert(
      fc.property(fc.array(opArb(fc.integer({ min: 98, max: 102 }), true, big), { minLength: 1, maxLength: 150, size: 'max' }), (ops) => {
        runStream(ops, { initialCapacity: 4, windowTicks: 1024 });
      }),
      { numRuns: 300 },
    );
  });

  it('regimes far apart: the window moves both ways and grows, levels migrate between window and overflows', () => {
    // Every query (best prices, depth, levelQty, getOrder) is compared after each operation (runStream).
    fc.assert(
      fc.property(
        fc.integer(),
        fc.integer({ min: 1, max: 6 }),
        fc.constantFrom(1024, 2048, 4096),
        fc.boolean(),
        fc.boolean(),
        (seed, phases, windowTicks, extremes, big) => {
          runStream(regimeOps(seed, phases, windowTicks, extremes, big), { initialCapacity: 4, windowTicks });
        },
      ),
      { numRuns: 12 },
    );
  });
});
