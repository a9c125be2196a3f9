import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MarketData } from '../../src/market/market-data.js';
import { ManualClock } from '../../src/model/clock.js';
import { InstrumentRegistry } from '../../src/model/instrument.js';
import { RoutePlanner } from '../../src/routing/route-planner.js';
import { levels } from '../helpers/levels.js';

const BUY = 0;
const SELL = 1;
/** Symbol 0: tick 1, lot 1, no min notional. Symbol 1: the same with a min notional of 50,000 units. */
const X = 0;
const Y = 1;

type Ladder = readonly (readonly [number, number])[];


function setup(fees: readonly string[] = ['0', '0', '0'], maxLevels?: number) {
  const clock = new ManualClock();
  const instruments = new InstrumentRegistry([
    { symbol: 'X-USD', base: 'X', quote: 'USD', tickSize: '1', lotSize: '1' },
    { symbol: 'Y-USD', base: 'Y', quote: 'USD', tickSize: '1', lotSize: '1', minNotional: '50000' },
  ]);
  const venues = fees.map((_, i) => String.fromCharCode(97 + i));
  const md = new MarketData(instruments, venues, fees, clock, { depth: 20, staleMs: 1000 });
  const planner = new RoutePlanner(md, maxLevels === undefined ? {} : { maxLevels });
  const book = (v: number, bids: Ladder, asks: Ladder, symbol = X): void => md.snapshot(v, symbol, levels(bids), levels(asks), 0);
  const now = (): number => clock.monoMs();
  return { clock, md, planner, book, now };
}

/** The children of the last sweep as [venue, qty, price]. */
function children(p: RoutePlanner): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (let i = 0; i < p.childCount; i++) out.push([p.childVenue[i]!, p.childQty[i]!, p.childPrice[i]!]);
  return out;
}

describe('RoutePlanner construction', () => {
  it('refuses bad input with RangeErrors', () => {
    const { md } = setup();
    expect(() => new RoutePlanner(md, { maxLevels: 0 })).toThrow(RangeError);
    expect(() => new RoutePlanner(md, { maxLevels: 1.5 })).toThrow(RangeError);
    const p = new RoutePlanner(md);
    expect(() => p.setLotStep(0, X, 0)).toThrow(RangeError);
    expect(() => p.setLotStep(3, X, 1)).toThrow(RangeError);
    expect(() => p.sweep(X, 2, 1, 0, 0)).toThrow(RangeError);
    expect(() => p.best(X, BUY, 0, 0, 0)).toThrow(RangeError);
    expect(() => p.best(X, BUY, 1.5, 0, 0)).toThrow(RangeError);
    expect(() => p.best(5, BUY, 1, 0, 0)).toThrow(RangeError);
    expect(() => p.best(X, BUY, 1, -1, 0)).toThrow(RangeError);
  });

  it('defaults: min notional from the instrument, lot step 1, balances unlimited', () => {
    const { planner } = setup();
    expect(planner.minNotionalUnits[0 * 2 + Y]).toBe(50_000);
    expect(planner.minNotionalUnits[0 * 2 + X]).toBe(0);
    expect(planner.lotStep.every((s) => s === 1)).toBe(true);
    expect(planner.quoteBalanceUnits[0]).toBe(Infinity);
  });
});

describe('RoutePlanner.best', () => {
  it('picks the cheapest venue for the full size', () => {
    const { planner, book, now } = setup();
    book(0, [[9990, 100]], [[10_002, 100]]);
    book(1, [[9995, 100]], [[10_000, 100]]);
    book(2, [[9999, 100]], [[10_001, 100]]);
    expect(planner.best(X, BUY, 50, 0, now())).toBe(1);
    expect(planner.bestFill).toBe(50);
    expect(planner.bestWorstPrice).toBe(10_000);
    expect(planner.best(X, SELL, 50, 0, now())).toBe(2);
  });

  it('fees change the winner', () => {
    // a: 10000 x 1.001 = 10010 > b: 10005 x 1.0000 -> b, although a's raw price is better
    const { planner, book, now } = setup(['10', '0', '0']);
    book(0, [[9995, 100]], [[10_000, 100]]);
    book(1, [[9990, 100]], [[10_005, 100]]);
    expect(planner.best(X, BUY, 10, 0, now())).toBe(1);
    // sells: a 9995 x 0.999 = 9985.005 < b 9990 -> b
    expect(planner.best(X, SELL, 10, 0, now())).toBe(1);
    // without the fee a wins both
    planner.fee[0] = 0;
    expect(planner.best(X, BUY, 10, 0, now())).toBe(0);
    expect(planner.best(X, SELL, 10, 0, now())).toBe(0);
  });

  it('depth changes the winner for a large order; a full fill beats a partial one', () => {
    const { planner, book, now } = setup();
    book(0, [], [[10_000, 10], [10_100, 100]]);
    book(1, [], [[10_010, 200]]);
    expect(planner.best(X, BUY, 5, 0, now())).toBe(0);
    // a: (10 x 10000 + 90 x 10100) / 100 = 10090 > b 10010
    expect(planner.best(X, BUY, 100, 0, now())).toBe(1);
    // a cannot fill 300 nor can b: b fills more (200 vs 110)
    expect(planner.best(X, BUY, 300, 0, now())).toBe(1);
    expect(planner.bestFill).toBe(200);
    // limit 10005: only a has anything within it
    expect(planner.best(X, BUY, 100, 10_005, now())).toBe(0);
    expect(planner.bestFill).toBe(10);
  });

  it('walks at most maxLevels levels per venue', () => {
    const { planner, book, now } = setup(['0', '0', '0'], 2);
    book(0, [], [[10_000, 10], [10_001, 10], [10_002, 100]]);
    book(1, [], [[10_050, 100]]);
    // 3 levels would fill a; 2 cannot, so b (full fill) wins
    expect(planner.best(X, BUY, 50, 0, now())).toBe(1);
  });

  it('skips a venue that is unusable, has no headroom, no balance or no usable book', () => {
    const { planner, book, now, clock, md } = setup();
    book(0, [[9999, 100]], [[10_000, 100]]);
    book(1, [[9998, 100]], [[10_001, 100]]);
    expect(planner.best(X, BUY, 10, 0, now())).toBe(0);
    planner.usable[0] = 0;
    expect(planner.best(X, BUY, 10, 0, now())).toBe(1);
    planner.usable[0] = 1;
    planner.headroom[0] = 0.5;
    expect(planner.best(X, BUY, 10, 0, now())).toBe(1);
    planner.headroom[0] = 1;
    planner.quoteBalanceUnits[0 * 2 + X] = 0;
    expect(planner.best(X, BUY, 10, 0, now())).toBe(1);
    expect(planner.best(X, SELL, 10, 0, now())).toBe(0);
    planner.baseBalanceLots[0 * 2 + X] = 0;
    expect(planner.best(X, SELL, 10, 0, now())).toBe(1);
    planner.baseBalanceLots[1 * 2 + X] = 0;
    expect(planner.best(X, SELL, 10, 0, now())).toBe(-1);
    // no book at all (venue c never had one) and stale books
    planner.baseBalanceLots.fill(Infinity);
    planner.quoteBalanceUnits.fill(Infinity);
    md.sweep();
    clock.advance(2000);
    expect(planner.best(X, BUY, 10, 0, now())).toBe(-1);
    expect(planner.sweep(X, BUY, 10, 0, now())).toBe(0);
    expect(planner.restLots).toBe(10);
    expect(planner.restVenue).toBe(-1);
  });

  it('a partial balance caps what the venue could fill', () => {
    const { planner, book, now } = setup();
    book(0, [], [[10_000, 100]]);
    book(1, [], [[10_001, 100]]);
    planner.quoteBalanceUnits[0 * 2 + X] = 10_000 * 40;
    expect(planner.best(X, BUY, 50, 0, now())).toBe(1);
    expect(planner.best(X, BUY, 40, 0, now())).toBe(0);
  });
});

describe('RoutePlanner.sweep', () => {
  it('splits across levels and venues in fee-adjusted order', () => {
    const { planner, book, now } = setup(['0', '0', '10']);
    book(0, [], [[10_000, 10], [10_002, 10]]);
    book(1, [], [[10_001, 10], [10_003, 10]]);
    // c: 9995 x 1.001 = 10004.995: after everything of a and b up to 10003
    book(2, [], [[9995, 100]]);
    expect(planner.sweep(X, BUY, 25, 0, now())).toBe(2);
    expect(children(planner)).toEqual([[0, 15, 10_002], [1, 10, 10_001]]);
    expect(planner.restLots).toBe(0);
    expect(planner.restVenue).toBe(-1);
    expect(planner.sweep(X, BUY, 50, 0, now())).toBe(3);
    expect(children(planner)).toEqual([[0, 20, 10_002], [1, 20, 10_003], [2, 10, 9995]]);
  });

  it('never takes a level past the limit (raw price) and leaves the rest', () => {
    const { planner, book, now } = setup(['0', '5', '0']);
    book(0, [], [[10_000, 10], [10_002, 10]]);
    book(1, [], [[10_001, 10], [10_003, 10]]);
    expect(planner.sweep(X, BUY, 100, 10_001, now())).toBe(2);
    expect(children(planner)).toEqual([[0, 10, 10_000], [1, 10, 10_001]]);
    expect(planner.restLots).toBe(80);
    // the rest rests at the lowest taker fee: a (0 bps); venue c has no book
    expect(planner.restVenue).toBe(0);
    // a limit below every ask: no child, all rest
    expect(planner.sweep(X, BUY, 100, 9000, now())).toBe(0);
    expect(planner.restLots).toBe(100);
    expect(planner.restVenue).toBe(0);
  });

  it('floors each child to its venue lot step', () => {
    const { planner, book, now } = setup();
    book(0, [], [[10_000, 10], [10_002, 10]]);
    book(1, [], [[10_001, 10]]);
    planner.setLotStep(0, X, 4);
    expect(planner.sweep(X, BUY, 25, 0, now())).toBe(2);
    // a was given 15 (10 @ 10000 + 5 @ 10002) -> 12, which needs the 10002 level
    expect(children(planner)).toEqual([[0, 12, 10_002], [1, 10, 10_001]]);
    expect(planner.restLots).toBe(3);
    planner.setLotStep(0, X, 5);
    planner.sweep(X, BUY, 21, 0, now());
    // a was given 11 -> 10, which the 10000 level covers: price 10000
    expect(children(planner)).toEqual([[0, 10, 10_000], [1, 10, 10_001]]);
    expect(planner.restLots).toBe(1);
  });

  it('drops a child below the venue min notional', () => {
    const { planner, book, now } = setup();
    book(0, [], [[10_000, 3]], Y);
    book(1, [], [[10_001, 100]], Y);
    // a: 3 x 10000 = 30000 < 50000 (the instrument's min notional): dropped, its 3 lots go to the rest
    expect(planner.sweep(Y, BUY, 10, 0, now())).toBe(1);
    expect(children(planner)).toEqual([[1, 7, 10_001]]);
    expect(planner.restLots).toBe(3);
    planner.minNotionalUnits[0 * 2 + Y] = 30_000;
    expect(planner.sweep(Y, BUY, 10, 0, now())).toBe(2);
    expect(planner.restLots).toBe(0);
  });

  it('caps a buy child by the quote balance (at its price plus fee) and a sell by the base balance', () => {
    const { planner, book, now } = setup(['10', '0', '0']);
    book(0, [[9999, 100]], [[10_000, 100]]);
    book(1, [[9000, 100]], [[11_000, 100]]);
    // a: a lot costs 10000 x 1.001 = 10010 units
    planner.quoteBalanceUnits[0 * 2 + X] = 100_100;
    planner.sweep(X, BUY, 30, 0, now());
    expect(children(planner)).toEqual([[0, 10, 10_000], [1, 20, 11_000]]);
    planner.quoteBalanceUnits[0 * 2 + X] = 100_099;
    planner.sweep(X, BUY, 30, 0, now());
    expect(children(planner)).toEqual([[0, 9, 10_000], [1, 21, 11_000]]);
    planner.baseBalanceLots[0 * 2 + X] = 7;
    planner.sweep(X, SELL, 30, 0, now());
    expect(children(planner)).toEqual([[0, 7, 9999], [1, 23, 9000]]);
  });

  it('a buy balance cap falls as the price rises', () => {
    const { planner, book, now } = setup();
    book(0, [], [[100, 10], [200, 10]]);
    planner.quoteBalanceUnits[0 * 2 + X] = 2000; // 20 @ 100, but only 10 @ 200
    planner.sweep(X, BUY, 20, 0, now());
    expect(children(planner)).toEqual([[0, 10, 100]]);
    planner.quoteBalanceUnits[0 * 2 + X] = 2400; // 12 @ 200
    planner.sweep(X, BUY, 20, 0, now());
    expect(children(planner)).toEqual([[0, 12, 200]]);
    expect(planner.restLots).toBe(8);
  });

  it('rest venue: lowest taker fee among eligible venues, a venue with a child needs headroom for a second order', () => {
    const { planner, book, now } = setup(['3', '1', '1']);
    book(0, [], [[10_000, 10]]);
    book(1, [], [[10_010, 10]]);
    book(2, [], [[10_050, 10]]);
    planner.sweep(X, BUY, 100, 10_010, now());
    expect(children(planner)).toEqual([[0, 10, 10_000], [1, 10, 10_010]]);
    expect(planner.restVenue).toBe(1); // fee 1 bps, ties to the lower index
    planner.headroom[1] = 1;
    planner.sweep(X, BUY, 100, 10_010, now());
    expect(planner.restVenue).toBe(2);
    planner.usable[2] = 0;
    planner.sweep(X, BUY, 100, 10_010, now());
    expect(planner.restVenue).toBe(0);
  });

  it('sells mirror buys: highest proceeds net of fee first, limit is a floor', () => {
    const { planner, book, now } = setup(['0', '0', '10']);
    book(0, [[10_000, 10], [9998, 10]], []);
    book(1, [[9999, 10], [9997, 10]], []);
    // c: 10004 x 0.999 = 9993.996: after everything of a and b down to 9997
    book(2, [[10_004, 100]], []);
    expect(planner.sweep(X, SELL, 25, 0, now())).toBe(2);
    expect(children(planner)).toEqual([[0, 15, 9998], [1, 10, 9999]]);
    // limit 9998: b's 9997 is past it; c's 10004 is not (the limit is on the raw price)
    expect(planner.sweep(X, SELL, 100, 9998, now())).toBe(3);
    expect(children(planner)).toEqual([[0, 20, 9998], [1, 10, 9999], [2, 70, 10_004]]);
    planner.sweep(X, SELL, 150, 9998, now());
    expect(children(planner)).toEqual([[0, 20, 9998], [1, 10, 9999], [2, 100, 10_004]]);
    expect(planner.restLots).toBe(20);
    expect(planner.restVenue).toBe(0);
  });

  it('property: children + rest = quantity, prices within the limit, no venue twice, constraints hold', () => {
    const ladder = fc.array(fc.tuple(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 50 })), { maxLength: 25 });
    const venue = fc.record({
      bids: ladder, asks: ladder, fee: fc.constantFrom('0', '1', '2.5', '7.5', '10', '-0.5'),
      usable: fc.boolean(), headroom: fc.constantFrom(0, 1, 2, 5), lotStep: fc.integer({ min: 1, max: 7 }),
      minNotional: fc.constantFrom(0, 0, 5_000, 200_000), base: fc.constantFrom(Infinity, 0, 3, 40, 500), quote: fc.constantFrom(Infinity, 0, 50_000, 2_000_000),
    });
    fc.assert(
      fc.property(
        fc.array(venue, { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 1 }), fc.integer({ min: 1, max: 2000 }),
        fc.oneof(fc.constant(0), fc.integer({ min: 9_900, max: 10_100 })), fc.integer({ min: 1, max: 25 }),
        (venues, side, qty, limit, maxLevels) => {
          const { planner, md, now } = setup(venues.map((v) => v.fee), maxLevels);
          venues.forEach((v, i) => {
            // bids below 10000, asks from 10001: never crossed
            const bids = new Map<number, number>();
            const asks = new Map<number, number>();
            for (const [d, q] of v.bids) bids.set(10_000 - d, q);
            for (const [d, q] of v.asks) asks.set(10_000 + d, q);
            md.snapshot(i, X, levels([...bids].sort((a, b) => b[0] - a[0])), levels([...asks].sort((a, b) => a[0] - b[0])), 0);
            planner.usable[i] = v.usable ? 1 : 0;
            planner.headroom[i] = v.headroom;
            planner.setLotStep(i, X, v.lotStep);
            planner.minNotionalUnits[i * 2 + X] = v.minNotional;
            planner.baseBalanceLots[i * 2 + X] = v.base;
            planner.quoteBalanceUnits[i * 2 + X] = v.quote;
          });
          const n = planner.sweep(X, side, qty, limit, now());
          let sum = planner.restLots;
          const seen = new Set<number>();
          for (let c = 0; c < n; c++) {
            const v = planner.childVenue[c]!;
            const q = planner.childQty[c]!;
            const p = planner.childPrice[c]!;
            const spec = venues[v]!;
            expect(seen.has(v)).toBe(false);
            seen.add(v);
            expect(Number.isSafeInteger(q) && q > 0).toBe(true);
            expect(q % spec.lotStep).toBe(0);
            if (limit > 0) expect(side === BUY ? p <= limit : p >= limit).toBe(true);
            expect(spec.usable && spec.headroom >= 1).toBe(true);
            expect(q * p).toBeGreaterThanOrEqual(spec.minNotional);
            if (side === BUY) expect(q * p * (1 + planner.fee[v]! / 1e6)).toBeLessThanOrEqual(spec.quote);
            else expect(q).toBeLessThanOrEqual(spec.base);
            // the venue's book holds q within its first maxLevels levels at prices no worse than p
            const ladder = side === BUY ? md.book(v, X).asks : md.book(v, X).bids;
            let depth = 0;
            for (let i = 0; i < Math.min(ladder.count, maxLevels); i++) {
              if (side === BUY ? ladder.price[i]! <= p : ladder.price[i]! >= p) depth += ladder.qty[i]!;
            }
            expect(depth).toBeGreaterThanOrEqual(q);
            sum += q;
          }
          expect(Number.isSafeInteger(planner.restLots) && planner.restLots >= 0).toBe(true);
          expect(sum).toBe(qty);
          if (planner.restLots === 0) expect(planner.restVenue).toBe(-1);
          if (planner.restVenue >= 0) expect(venues[planner.restVenue]!.usable).toBe(true);
          // best agrees with the eligibility rules: the chosen venue is usable with headroom
          const b = planner.best(X, side, qty, limit, now());
          if (b >= 0) expect(venues[b]!.usable && venues[b]!.headroom >= 1).toBe(true);
          if (b >= 0) expect(planner.bestFill).toBeLessThanOrEqual(qty);
        },
      ),
      { numRuns: 400, seed: 20261202 },
    );
  });
});
