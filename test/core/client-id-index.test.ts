import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClientIdIndex } from '../../src/core/client-id-index.js';

/**
 * The index against a model: a Map from key to slot, kept as the tracker keeps its index (each slot under at most
 * one key, the store's clientIds[slot] being that key; setting a key another slot holds moves it).
 */
class Model {
  readonly byKey = new Map<string, number>();
  readonly keyOf = new Map<number, string>();

  set(key: string, slot: number): void {
    const mine = this.keyOf.get(slot);
    if (mine !== undefined) this.byKey.delete(mine);
    const other = this.byKey.get(key);
    if (other !== undefined) this.keyOf.delete(other);
    this.byKey.set(key, slot);
    this.keyOf.set(slot, key);
  }

  remove(slot: number): void {
    const key = this.keyOf.get(slot);
    if (key === undefined) return;
    this.keyOf.delete(slot);
    this.byKey.delete(key);
  }
}

type Op = { kind: 'set'; key: string; slot: number } | { kind: 'remove'; slot: number } | { kind: 'get'; key: string };

const KEYS = fc.oneof(
  fc.constantFrom('a', 'b', 'A1', 'x9', 'ord1', 'ord2', 'ord10'),
  fc.stringMatching(/^[a-zA-Z0-9]{1,6}$/),
);

function ops(maxSlot: number): fc.Arbitrary<Op[]> {
  const slot = fc.nat(maxSlot);
  return fc.array(fc.oneof(
    fc.record({ kind: fc.constant('set' as const), key: KEYS, slot }),
    fc.record({ kind: fc.constant('remove' as const), slot }),
    fc.record({ kind: fc.constant('get' as const), key: KEYS }),
  ), { maxLength: 300 });
}

function check(seed: number, list: readonly Op[], initialSlots: number): void {
  const clientIds: (string | undefined)[] = [];
  const index = new ClientIdIndex({ clientIds }, seed, initialSlots);
  const model = new Model();
  for (const op of list) {
    if (op.kind === 'set') {
      // as the tracker does: the store holds the key at the slot before the index is told (a slot the key moves
      // from keeps it in the store: an amend that rebinds an order to an id another order has)
      clientIds[op.slot] = op.key;
      index.set(op.key, op.slot);
      model.set(op.key, op.slot);
    } else if (op.kind === 'remove') {
      index.remove(op.slot);
      model.remove(op.slot);
      clientIds[op.slot] = undefined;
    } else {
      expect(index.get(op.key)).toBe(model.byKey.get(op.key) ?? -1);
    }
    expect(index.size).toBe(model.byKey.size);
  }
  for (const [key, slot] of model.byKey) expect(index.get(key)).toBe(slot);
  for (let s = 0; s < clientIds.length; s++) expect(index.has(s)).toBe(model.keyOf.has(s));
}

describe('ClientIdIndex', () => {
  it('answers as a Map from key to slot, through adds, moves, removals and growth', () => {
    fc.assert(fc.property(fc.integer(), ops(40), (seed, list) => check(seed, list, 4)), { numRuns: 300 });
  });

  it('stays exact when every key has the same bucket (a hash that collides on all keys: long probe runs, wrapping)', () => {
    // seed 0 and a table of 32 buckets; the hash is replaced by one constant bucket through a subclass
    class Colliding extends ClientIdIndex {
      override hash(): number {
        return 31; // the last bucket: every run wraps around the table's end
      }
    }
    fc.assert(fc.property(ops(12), (list) => {
      const clientIds: (string | undefined)[] = [];
      const index = new Colliding({ clientIds }, 0, 4);
      const model = new Model();
      for (const op of list) {
        if (op.kind === 'set') {
          clientIds[op.slot] = op.key;
          index.set(op.key, op.slot);
          model.set(op.key, op.slot);
        } else if (op.kind === 'remove') {
          index.remove(op.slot);
          model.remove(op.slot);
          clientIds[op.slot] = undefined;
        } else expect(index.get(op.key)).toBe(model.byKey.get(op.key) ?? -1);
      }
      for (const [key, slot] of model.byKey) expect(index.get(key)).toBe(slot);
      expect(index.size).toBe(model.byKey.size);
    }), { numRuns: 200 });
  });

  it('finds nothing for a key whose hash matches but whose text differs, and keys differing in one code unit', () => {
    const clientIds: (string | undefined)[] = ['abc', 'abd', 'ab'];
    const index = new ClientIdIndex({ clientIds }, 7, 4);
    index.set('abc', 0);
    index.set('abd', 1);
    index.set('ab', 2);
    expect([index.get('abc'), index.get('abd'), index.get('ab'), index.get('abe'), index.get('a'), index.get('')]).toEqual([0, 1, 2, -1, -1, -1]);
  });

  it('gives the same answers whatever its seed (the seed only places keys)', () => {
    fc.assert(fc.property(fc.integer(), fc.integer(), ops(30), (a, b, list) => {
      check(a, list, 16);
      check(b, list, 16);
    }), { numRuns: 50 });
  });

  it('spreads keys that differ only in their last characters (the ids a client counts up) over the buckets', () => {
    const clientIds: string[] = [];
    const index = new ClientIdIndex({ clientIds }, 12345, 1 << 12);
    const homes = new Set<number>();
    for (let n = 0; n < 4096; n++) {
      const key = `L00${n.toString(36)}`;
      clientIds[n] = key;
      index.set(key, n);
      homes.add(index.hash(key) & (index.buckets - 1));
    }
    // 4096 keys in 8192 buckets: a uniform hash leaves about 8192 x (1 - e^-0.5) = 3223 buckets taken
    expect(homes.size).toBeGreaterThan(2900);
  });
});
