import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdMap, type IdMapKeys } from '../../src/core/id-map.js';

/** A slot store as IdMap sees it: capacity and ids, a free list, growth by doubling. */
class Slots {
  capacity = 4;
  id = new Float64Array(4).fill(-1);
  private readonly free: number[] = [3, 2, 1, 0];

  /** A free slot; `grew` tells whether the store doubled for it (the map must resize then). */
  take(): { slot: number; grew: boolean } {
    let grew = false;
    if (this.free.length === 0) {
      const old = this.capacity;
      const id = new Float64Array(old * 2).fill(-1);
      id.set(this.id);
      this.id = id;
      this.capacity = old * 2;
      for (let s = this.capacity - 1; s >= old; s--) this.free.push(s);
      grew = true;
    }
    return { slot: this.free.pop()!, grew };
  }

  give(slot: number): void {
    this.id[slot] = -1;
    this.free.push(slot);
  }
}

/** Applies `ops` (add or remove an id) to an IdMap over Slots and to a Map, checking every answer against the Map. */
function check(keys: IdMapKeys, ops: readonly (readonly [boolean, number])[]): void {
  const slots = new Slots();
  const map = new IdMap(slots, keys);
  const model = new Map<number, number>();
  for (const [add, id] of ops) {
    if (add && !model.has(id)) {
      const { slot, grew } = slots.take();
      if (grew) map.resize();
      slots.id[slot] = id;
      map.insert(slot);
      model.set(id, slot);
    } else if (!add) {
      const slot = map.remove(id);
      expect(slot).toBe(model.get(id) ?? -1);
      if (slot >= 0) slots.give(slot);
      model.delete(id);
    }
    expect(map.size).toBe(model.size);
  }
  for (const [id, slot] of model) expect(map.get(id)).toBe(slot);
  expect(map.get(2 ** 53 - 1)).toBe(model.get(2 ** 53 - 1) ?? -1);
}

describe('IdMap keys', () => {
  it('answers like a Map whatever the ids, for either kind of keys (sequential only places them differently)', () => {
    // ids that meet at home buckets under 'sequential' (k, k + 2^n), past 2^31 and 2^32, and any safe integer
    const idArb = fc.oneof(
      fc.integer({ min: 0, max: 64 }),
      fc.tuple(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 2, max: 12 })).map(([k, n]) => k + 2 ** n),
      fc.integer({ min: 2 ** 31 - 3, max: 2 ** 31 + 3 }),
      fc.integer({ min: 2 ** 32 - 3, max: 2 ** 32 + 3 }),
      fc.maxSafeNat(),
    );
    fc.assert(
      fc.property(fc.constantFrom<IdMapKeys>('any', 'sequential'), fc.array(fc.tuple(fc.boolean(), idArb), { maxLength: 400, size: 'max' }), (keys, ops) => {
        check(keys, ops);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps sequential ids findable as the oldest are forgotten and the counter goes round the table many times', () => {
    // as the order store uses it: ids 1, 2, 3, ... with the 1000 newest held, and a few old ones held throughout
    const ops: [boolean, number][] = [];
    const held = [3, 700, 1025, 2048];
    for (let id = 1; id <= 20_000; id++) {
      ops.push([true, id]);
      const old = id - 1000;
      if (old > 0 && !held.includes(old)) ops.push([false, old]);
    }
    check('sequential', ops);
  });
});
