import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { OpenHashMap, orderIdHash } from '../../adapters/paper/open-hash-map.js';

type Op = { kind: 'set' | 'delete' | 'get'; key: number; value: number };

describe('OpenHashMap (the paper venue live orders)', () => {
  // hashes from a small range make long probe runs that wrap around the table: what backward-shift deletion must get right
  const hashOf = (k: number, spread: number): number => (spread === 0 ? orderIdHash(k) : (k * 7) % spread);

  it('behaves like a Map under any sequence of sets, deletes and gets (colliding hashes included)', () => {
    fc.assert(fc.property(
      fc.array(fc.record({ kind: fc.constantFrom<Op['kind']>('set', 'set', 'delete', 'get'), key: fc.integer({ min: 1, max: 200 }), value: fc.integer() }), { maxLength: 600 }),
      fc.constantFrom(0, 3, 17, 64),
      (ops, spread) => {
        const map = new OpenHashMap<number, number>(4);
        const model = new Map<number, number>();
        for (const op of ops) {
          const h = hashOf(op.key, spread);
          if (op.kind === 'set') {
            map.set(op.key, h, op.value);
            model.set(op.key, op.value);
          } else if (op.kind === 'delete') {
            expect(map.delete(op.key, h)).toBe(model.delete(op.key));
          } else {
            expect(map.get(op.key, h)).toBe(model.get(op.key));
          }
          expect(map.size).toBe(model.size);
        }
        for (let k = 1; k <= 200; k++) expect(map.get(k, hashOf(k, spread))).toBe(model.get(k));
        const keys: number[] = [];
        map.forEachKey((k) => keys.push(k));
        expect(keys.sort((a, b) => a - b)).toEqual([...model.keys()].sort((a, b) => a - b));
        const values: number[] = [];
        map.forEachValue((v) => values.push(v));
        expect(values.sort((a, b) => a - b)).toEqual([...model.values()].sort((a, b) => a - b));
      },
    ), { numRuns: 300 });
  });

  it('takes string keys (compared by value) and keeps its table when it empties: waves of orders reallocate nothing', () => {
    const map = new OpenHashMap<string, number>(4);
    const hash = (s: string): number => s.length; // collide on purpose
    for (let wave = 0; wave < 3; wave++) {
      for (let i = 0; i < 1000; i++) map.set(`c${i}`, hash(`c${i}`), i);
      const capacity = map.capacity;
      expect(map.size).toBe(1000);
      expect(map.get(['c', '5', '0', '0'].join(''), 4)).toBe(500);
      for (let i = 0; i < 1000; i++) expect(map.delete(`c${i}`, hash(`c${i}`))).toBe(true);
      expect(map.size).toBe(0);
      expect(map.capacity).toBe(capacity);
    }
    expect(map.capacity).toBeLessThanOrEqual(4096);
  });

  it('orderIdHash spreads consecutive ids over the low bits the table uses', () => {
    const buckets = new Set<number>();
    for (let id = 1_000_000; id < 1_000_000 + 1024; id++) buckets.add(orderIdHash(id) & 1023);
    expect(buckets.size).toBe(1024);
    expect(orderIdHash(2 ** 40 + 5)).not.toBe(orderIdHash(5));
  });
});
