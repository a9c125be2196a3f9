/** Property tests of the engine's building blocks against naive models. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Bitset } from '../../src/matching/bitset.js';
import { IdMap } from '../../src/core/id-map.js';
import { OrderPool } from '../../src/matching/order-pool.js';
import { PriceLadder } from '../../src/matching/price-levels.js';

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
});
