/** Property tests of the engine's building blocks against naive models. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Bitset } from '../../src/matching/bitset.js';
import { IdMap } from '../../src/core/id-map.js';
import { OrderPool } from '../../src/matching/order-pool.js';
import { PriceLadder } from '../../src/matching/price-levels.js';
import type { SortedLevels } from '../../src/matching/sorted-levels.js';
import { Prng } from '../../adapters/paper/prng.js';

describe('Bitset', () => {
  it('prevSet agrees with a linear scan', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1024, 65536),
        fc.array(fc.tuple(fc.boolean(), fc.nat(), fc.nat()), { maxLength: 300, size: 'max' }),
        (size, ops) => {
          const bits = new Bitset(size);
          const model = new Uint8Array(size);
          for (const [set, a, q] of ops) {
            const i = a % size;
            if (set) bits.set(i);
            else bits.clear(i);
            model[i] = set ? 1 : 0;
            const from = q % size;
            let want = -1;
            for (let j = from; j >= 0; j--) {
              if (model[j] === 1) {
                want = j;
                break;
              }
            }
            expect(bits.prevSet(from)).toBe(want);
            expect(bits.has(i)).toBe(set);
          }
          expect(bits.prevSet(-1)).toBe(-1);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('IdMap', () => {
  it('behaves like a Map from safe-integer ids to slots, across growth', () => {
    const idArb = fc.oneof(fc.integer({ min: 0, max: 64 }), fc.maxSafeNat(), fc.integer({ min: 2 ** 31 - 3, max: 2 ** 31 + 3 }));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), idArb), { maxLength: 400, size: 'max' }), (ops) => {
        const pool = new OrderPool(4);
        const map = new IdMap(pool);
        const model = new Map<number, number>();
        for (const [add, id] of ops) {
          if (add && !model.has(id)) {
            const cap = pool.capacity;
            const s = pool.alloc();
            if (pool.capacity !== cap) map.resize();
            pool.id[s] = id;
            map.insert(s);
            model.set(id, s);
          } else if (!add) {
            const s = map.remove(id);
            expect(s).toBe(model.get(id) ?? -1);
            if (s >= 0) pool.free(s);
            model.delete(id);
          }
          expect(map.size).toBe(model.size);
          expect(map.get(id)).toBe(model.get(id) ?? -1);
        }
        for (const [k, v] of model) expect(map.get(k)).toBe(v);
      }),
      { numRuns: 100 },
    );
  });
});

/** The ladder's private parts, for checking its partition invariant. */
interface LadderInternals {
  base: number;
  width: number;
  inWindow: number;
  slots: Int32Array | null;
  bits: Bitset | null;
  lower: SortedLevels;
  upper: SortedLevels;
}

/** Every key in exactly one place: lower (< base, ascending), the window (slot + bit), upper (>= base + width, negated ascending). */
function checkPartition(ladder: PriceLadder, model: Map<number, number>): void {
  const l = ladder as unknown as LadderInternals;
  const errors: string[] = [];
  const seen = new Map<number, number>();
  for (let i = 0; i < l.lower.size; i++) {
    const k = l.lower.keys[i];
    if (i > 0 && !(k > l.lower.keys[i - 1])) errors.push(`lower not ascending at ${i}`);
    if (!(k < l.base)) errors.push(`lower key ${k} not below base ${l.base}`);
    seen.set(k, l.lower.levels[i]);
  }
  for (let i = 0; i < l.upper.size; i++) {
    const k = -l.upper.keys[i];
    if (i > 0 && !(l.upper.keys[i] > l.upper.keys[i - 1])) errors.push(`upper not ascending at ${i}`);
    if (!(k >= l.base + l.width)) errors.push(`upper key ${k} inside or below the window at ${l.base}`);
    seen.set(k, l.upper.levels[i]);
  }
  let inWindow = 0;
  if (l.slots !== null) {
    for (let r = 0; r < l.width; r++) {
      if (l.bits!.has(r) !== l.slots[r] >= 0) errors.push(`bit ${r} disagrees with its slot`);
      if (l.slots[r] >= 0) {
        inWindow++;
        seen.set(l.base + r, l.slots[r]);
      }
    }
  }
  if (l.inWindow !== inWindow) errors.push(`inWindow ${l.inWindow}, counted ${inWindow}`);
  expect(errors).toEqual([]);
  expect(seen).toEqual(model);
}

/** Applies add/remove operations to a ladder and a Map model, checking best, lookups, walks and the partition. */
function runLadder(ladder: PriceLadder, ops: Array<[boolean, number, number]>, fullCheckEvery = 1): void {
  const model = new Map<number, number>();
  let nextLevel = 0;
  let step = 0;
  for (const [add, k, pick] of ops) {
    if (add) {
      if (model.has(k)) continue;
      ladder.insert(k, nextLevel);
      model.set(k, nextLevel++);
    } else {
      if (model.size === 0) continue;
      const key = [...model.keys()][pick % model.size];
      ladder.remove(key);
      model.delete(key);
    }
    const sorted = [...model.keys()].sort((a, b) => b - a);
    expect(ladder.count).toBe(model.size);
    expect(ladder.bestKey).toBe(sorted.length > 0 ? sorted[0] : -Infinity);
    expect(ladder.bestLevel).toBe(sorted.length > 0 ? model.get(sorted[0]) : -1);
    if (++step % fullCheckEvery !== 0) continue;
    checkPartition(ladder, model);
    for (const key of sorted) expect(ladder.find(key)).toBe(model.get(key));
    const keyOf = new Map([...model].map(([kk, v]) => [v, kk]));
    const walked: number[] = [];
    let key = Infinity;
    for (let i = 0; i < sorted.length; i++) {
      const lvl = i === 0 ? ladder.bestLevel : ladder.levelBelow(key);
      key = keyOf.get(lvl)!;
      walked.push(key);
    }
    expect(walked).toEqual(sorted);
    if (sorted.length > 0) expect(ladder.levelBelow(sorted[sorted.length - 1])).toBe(-1);
  }
}

describe('PriceLadder', () => {
  it('tracks the best key and walks levels in order, inside and outside the window', () => {
    const keyArb = fc.oneof(
      fc.integer({ min: 5000, max: 7000 }),
      fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
      fc.integer({ min: -3000, max: 3000 }),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), keyArb, fc.nat()), { maxLength: 300, size: 'max' }), (ops) => {
        const ladder = new PriceLadder(1024);
        const model = new Map<number, number>();
        let nextLevel = 0;
        for (const [add, k, pick] of ops) {
          if (add) {
            if (model.has(k)) continue;
            ladder.insert(k, nextLevel);
            model.set(k, nextLevel++);
          } else {
            if (model.size === 0) continue;
            const key = [...model.keys()][pick % model.size];
            ladder.remove(key);
            model.delete(key);
          }
          const sorted = [...model.keys()].sort((a, b) => b - a);
          expect(ladder.count).toBe(model.size);
          expect(ladder.bestKey).toBe(sorted.length > 0 ? sorted[0] : -Infinity);
          expect(ladder.bestLevel).toBe(sorted.length > 0 ? model.get(sorted[0]) : -1);
          for (const key of sorted) expect(ladder.find(key)).toBe(model.get(key));
          expect(ladder.find(123_456_789)).toBe(model.get(123_456_789) ?? -1);
          // Walk from the best down.
          const keyOf = new Map([...model].map(([k, v]) => [v, k]));
          const walked: number[] = [];
          let key = Infinity;
          for (let i = 0; i < sorted.length; i++) {
            const lvl = i === 0 ? ladder.bestLevel : ladder.levelBelow(key);
            key = keyOf.get(lvl)!;
            walked.push(key);
          }
          expect(walked).toEqual(sorted);
          if (sorted.length > 0) expect(ladder.levelBelow(sorted[sorted.length - 1])).toBe(-1);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('far jumps, one-sided far-apart levels and trends: every key in one place, best and walks right', () => {
    // Keys clustered near a home price, a far key jumping in and out above or below it, far-apart
    // levels and drifting clusters, in streams long enough for activity to move the window both ways.
    const op = (home: number) =>
      fc.oneof(
        { weight: 6, arbitrary: fc.tuple(fc.boolean(), fc.integer({ min: home - 60, max: home + 60 }), fc.nat()) },
        { weight: 2, arbitrary: fc.tuple(fc.boolean(), fc.constantFrom(home + 50_000, home - 50_000, home + 1500), fc.nat()) },
        { weight: 2, arbitrary: fc.tuple(fc.boolean(), fc.integer({ min: -40, max: 40 }).map((j) => home + j * 3000), fc.nat()) },
        { weight: 1, arbitrary: fc.tuple(fc.boolean(), fc.integer({ min: -(2 ** 52), max: 2 ** 52 }), fc.nat()) },
      );
    const stream = fc
      .array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.array(op(0), { minLength: 1, maxLength: 200 })), { minLength: 1, maxLength: 6 })
      .map((chunks) => chunks.flatMap(([shift, ops]) => ops.map(([a, k, p]): [boolean, number, number] => [a, k + shift * 20_000, p])));
    fc.assert(
      fc.property(stream, fc.constantFrom(1024, 4096, 16384), (ops, width) => {
        runLadder(new PriceLadder(width), ops, 7);
      }),
      { numRuns: 60 },
    );
  });

  it('a far key placed and removed again and again never moves the window', () => {
    const ladder = new PriceLadder(16384);
    const model = new Map<number, number>();
    for (let i = 0; i < 100; i++) {
      ladder.insert(100_000 - i, i);
      model.set(100_000 - i, i);
    }
    expect(ladder.moves).toBe(1); // placed on the first key
    for (let j = 0; j < 5000; j++) {
      ladder.insert(150_000, 1000);
      expect(ladder.bestKey).toBe(150_000);
      ladder.remove(150_000);
      expect(ladder.bestKey).toBe(100_000);
      // normal flow in the window between jumps
      ladder.remove(100_000 - (j % 100));
      ladder.insert(100_000 - (j % 100), j % 100);
    }
    expect(ladder.moves).toBe(1);
    expect(ladder.width).toBe(1024); // a wider window would not hold the far key either: it does not grow
    checkPartition(ladder, model);
  });

  it('moves the window when activity outside it dominates, carrying only the levels that change place', () => {
    const ladder = new PriceLadder(1024);
    const model = new Map<number, number>();
    // A stale far level keeps the window's old place busy; then everything happens 100,000 keys below.
    ladder.insert(0, 0);
    model.set(0, 0);
    for (let i = 400; i >= 1; i--) {
      ladder.insert(-100_000 + i, i);
      model.set(-100_000 + i, i);
    }
    expect(ladder.moves).toBe(2); // placed on key 0, then moved once onto the busy keys
    expect(ladder.overflowSize()).toBe(1); // only the stale level is outside the window now (in `upper`)
    expect(ladder.bestKey).toBe(0);
    checkPartition(ladder, model);
    ladder.remove(0);
    model.delete(0);
    expect(ladder.bestKey).toBe(-99_600);
    checkPartition(ladder, model);
    // Levels far apart (more than the window): the window holds at most one of them at a time.
    const far = new PriceLadder(1024);
    const m2 = new Map<number, number>();
    for (let i = 0; i < 300; i++) {
      const k = (i % 30) * 5000 + (i % 7);
      if (m2.has(k)) {
        far.remove(k);
        m2.delete(k);
      } else {
        far.insert(k, i);
        m2.set(k, i);
      }
      checkPartition(far, m2);
    }
  });

  it('allocates its window on the first key only, 1,024 ticks wide (preallocated: at its most)', () => {
    const ladder = new PriceLadder(16384);
    expect(ladder.windowAllocated).toBe(false);
    expect(ladder.find(5)).toBe(-1);
    expect(ladder.levelBelow(5)).toBe(-1);
    const empty = ladder.heldBytes();
    expect(empty).toBeLessThan(1024);
    ladder.insert(5, 0);
    expect(ladder.windowAllocated).toBe(true);
    expect(ladder.width).toBe(1024);
    expect(ladder.heldBytes()).toBeGreaterThanOrEqual(empty + 1024 * 4);
    expect(ladder.heldBytes()).toBeLessThan(empty + 2 * 1024 * 4);
    expect(new PriceLadder(1024, true).windowAllocated).toBe(true);
    const pre = new PriceLadder(16384, true);
    expect(pre.width).toBe(16384);
    expect(pre.heldBytes()).toBeGreaterThanOrEqual(16384 * 4);
  });

  it('doubles its window while activity keeps falling just outside it, up to maxWidth, with every key in one place', () => {
    // Keys spread over 6,000 ticks, placed and removed at random: a 1,024-tick window holds a sixth of them.
    const run = (maxWidth: number, spread: number): PriceLadder => {
      const rng = new Prng(11);
      const ladder = new PriceLadder(maxWidth);
      const model = new Map<number, number>();
      const keys: number[] = [];
      for (let i = 0; i < 30_000; i++) {
        if (keys.length > 0 && rng.int(0, 2) === 0) {
          const j = rng.int(0, keys.length - 1);
          const k = keys[j]!;
          keys[j] = keys[keys.length - 1]!;
          keys.pop();
          ladder.remove(k);
          model.delete(k);
        } else {
          const k = 100_000 + rng.int(0, 5999) * spread;
          if (model.has(k)) continue;
          ladder.insert(k, i);
          model.set(k, i);
          keys.push(k);
        }
        if (i % 1000 === 0) {
          checkPartition(ladder, model);
          expect(ladder.bestKey).toBe(keys.length > 0 ? Math.max(...keys) : -Infinity);
        }
      }
      checkPartition(ladder, model);
      return ladder;
    };
    const grown = run(16384, 1);
    expect(grown.width).toBeGreaterThanOrEqual(4096);
    expect(grown.width).toBeLessThanOrEqual(16384);
    // The same keys with a smaller maxWidth: it stops there.
    expect(run(2048, 1).width).toBe(2048);
    // Spread 100 times wider: a doubled window would hold hardly more of them, so it stays as it is.
    expect(run(16384, 100).width).toBe(1024);
  });

  it('stays within 2,048 ticks while the prices stay within a few hundred; a trend grows it up to maxWidth at most', () => {
    const rng = new Prng(5);
    // 100,000 levels added within 200 ticks of a mid that drifts `drift` ticks over the stream; the oldest removed
    // once 150 rest (the book follows the price)
    const run = (drift: number, maxWidth: number) => {
      const ladder = new PriceLadder(maxWidth);
      const model = new Map<number, number>();
      const queue: number[] = [];
      for (let i = 0; i < 100_000; i++) {
        const k = 50_000 + Math.floor((i * drift) / 100_000) + rng.int(-200, 199);
        if (model.has(k)) continue;
        ladder.insert(k, i);
        model.set(k, i);
        queue.push(k);
        if (queue.length > 150) {
          const old = queue.shift()!;
          ladder.remove(old);
          model.delete(old);
        }
        if (i % 5000 === 0) checkPartition(ladder, model);
      }
      checkPartition(ladder, model);
      return ladder;
    };
    // (placed on the first key at 3/4 of its width, the window may hold only part of the 400 ticks: doubled once)
    expect(run(0, 16384).width).toBeLessThanOrEqual(2048);
    expect(run(200, 16384).width).toBeLessThanOrEqual(2048);
    const trend = run(50_000, 8192);
    expect(trend.width).toBeLessThanOrEqual(8192);
    expect(trend.moves).toBeGreaterThan(1);
  });
});
