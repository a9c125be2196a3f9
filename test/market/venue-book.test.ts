import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LevelBuffer } from '../../src/market/feed.js';
import { BookLadder } from '../../src/market/venue-book.js';

/** The simplest book: a map of price -> qty, sorted on read. */
function reference(ops: readonly [number, number][], descending: boolean, capacity: number): [number, number][] {
  const m = new Map<number, number>();
  for (const [p, q] of ops) {
    if (q > 0) m.set(p, q);
    else m.delete(p);
  }
  return [...m].sort((a, b) => (descending ? b[0] - a[0] : a[0] - b[0])).slice(0, capacity);
}

function levels(l: BookLadder): [number, number][] {
  return Array.from({ length: l.count }, (_, i) => [l.price[i]!, l.qty[i]!] as [number, number]);
}

describe('a venue book ladder', () => {
  it('equals a sorted map after any sequence of absolute level changes (bids and asks, below capacity)', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.array(fc.tuple(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 5 })), { maxLength: 300 }), (desc, ops) => {
        const l = new BookLadder(64, desc);
        for (const [p, q] of ops) l.set(p, q);
        expect(levels(l)).toEqual(reference(ops, desc, 64));
      }),
      { numRuns: 300 },
    );
  });

  it('when full keeps the best `capacity` levels it was told about; a worse new level is not held', () => {
    const l = new BookLadder(3, true);
    for (const p of [10, 9, 8]) l.set(p, 1);
    l.set(7, 1); // worse than all three: not held
    expect(levels(l)).toEqual([[10, 1], [9, 1], [8, 1]]);
    l.set(11, 2); // better: the worst falls off
    expect(levels(l)).toEqual([[11, 2], [10, 1], [9, 1]]);
    l.set(10, 0);
    expect(levels(l)).toEqual([[11, 2], [9, 1]]);
  });

  it('loads a snapshot (sorted or not; zero sizes dropped)', () => {
    const buf = new LevelBuffer(8);
    for (const [p, q] of [[5, 1], [7, 2], [6, 0], [9, 3]] as const) buf.push(p, q);
    const asks = new BookLadder(8, false);
    asks.set(1, 1);
    asks.load(buf);
    expect(levels(asks)).toEqual([[5, 1], [7, 2], [9, 3]]);
    const sorted = new LevelBuffer(4);
    for (const [p, q] of [[9, 1], [8, 0], [7, 2]] as const) sorted.push(p, q);
    const bids = new BookLadder(4, true);
    bids.load(sorted);
    expect(levels(bids)).toEqual([[9, 1], [7, 2]]);
  });
});
