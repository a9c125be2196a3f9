import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConsolidatedBook, FEE_SCALE, feeMillionths } from '../../src/market/consolidated-book.js';
import { BookLadder } from '../../src/market/venue-book.js';

describe('fee in millionths of the price', () => {
  it('is exact to 0.01 bps and rounds half away from zero below it', () => {
    expect(feeMillionths('10')).toBe(1000);
    expect(feeMillionths('7.5')).toBe(750);
    expect(feeMillionths('2.25')).toBe(225);
    expect(feeMillionths('0.005')).toBe(1);
    expect(feeMillionths('0.004')).toBe(0);
    expect(feeMillionths('-0.015')).toBe(-2);
    expect(() => feeMillionths('abc')).toThrow(RangeError);
    expect(() => feeMillionths('10000')).toThrow(RangeError);
  });
});

describe('the consolidated book', () => {
  it('merges the usable venues\' top levels ranked by fee-adjusted price, as a brute-force sort does', () => {
    const level = fc.tuple(fc.integer({ min: 90, max: 110 }), fc.integer({ min: 1, max: 9 }));
    fc.assert(
      fc.property(
        fc.array(fc.record({ bids: fc.array(level, { maxLength: 12 }), asks: fc.array(level, { maxLength: 12 }), fee: fc.integer({ min: -100, max: 2000 }), usable: fc.boolean() }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 8 }),
        (venues, depth) => {
          const bidL = venues.map((v) => {
            const l = new BookLadder(64, true);
            for (const [p, q] of v.bids) l.set(p, q);
            return l;
          });
          const askL = venues.map((v) => {
            const l = new BookLadder(64, false);
            for (const [p, q] of v.asks) l.set(p, q);
            return l;
          });
          const usable = Uint8Array.from(venues, (v) => (v.usable ? 1 : 0));
          const fee = Int32Array.from(venues, (v) => v.fee);
          const c = new ConsolidatedBook(depth, venues.length);
          c.rebuild(bidL, askL, usable, fee);
          const expected = (ladders: BookLadder[], ask: boolean) => {
            const all: { adj: number; venue: number; price: number; qty: number; rank: number }[] = [];
            ladders.forEach((l, v) => {
              if (usable[v] !== 1) return;
              for (let i = 0; i < Math.min(depth, l.count); i++) {
                all.push({ adj: l.price[i]! * (ask ? FEE_SCALE + fee[v]! : FEE_SCALE - fee[v]!), venue: v, price: l.price[i]!, qty: l.qty[i]!, rank: i });
              }
            });
            // best first; equal adjusted prices: the lower venue index first (stable per venue)
            all.sort((a, b) => (ask ? a.adj - b.adj : b.adj - a.adj) || a.venue - b.venue || a.rank - b.rank);
            return all.slice(0, depth).map((x) => [x.price, x.qty, x.venue, x.adj]);
          };
          const got = (s: ConsolidatedBook['bids']) => Array.from({ length: s.count }, (_, i) => [s.price[i], s.qty[i], s.venue[i], s.adjusted[i]]);
          expect(got(c.bids)).toEqual(expected(bidL, false));
          expect(got(c.asks)).toEqual(expected(askL, true));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('ranks by what a taker really pays: a cheaper ask with a higher fee can come second', () => {
    const a = new BookLadder(4, false);
    const b = new BookLadder(4, false);
    a.set(10_000, 1); // 100.00 at 10 bps -> 100.10
    b.set(10_005, 1); // 100.05 at 0 bps -> 100.05
    const c = new ConsolidatedBook(2, 2);
    c.rebuild([new BookLadder(4, true), new BookLadder(4, true)], [a, b], Uint8Array.of(1, 1), Int32Array.of(1000, 0));
    expect(Array.from(c.asks.venue.subarray(0, c.asks.count))).toEqual([1, 0]);
  });
});
