import { describe, expect, it } from 'vitest';
import { MarketData } from '../../src/market/market-data.js';
import { ManualClock } from '../../src/model/clock.js';
import { AdaptiveRouting, adaptiveWeights } from '../../src/routing/adaptive-weights.js';
import { Router } from '../../src/routing/router.js';
import { testInstruments } from '../helpers/model.js';
import { levels } from '../helpers/levels.js';


/** Three venues; a 10 bps taker fee at b, none at a and c. */
function setup() {
  const clock = new ManualClock();
  const instruments = testInstruments();
  const venues = ['a', 'b', 'c'];
  const md = new MarketData(instruments, venues, ['0', '10', '0'], clock, { depth: 5, staleMs: 1000 });
  const symbols = instruments.list.map((i) => i.symbol);
  const router = new Router(venues, symbols, symbols.map((_, s): Record<string, number> => (s === 0 ? { a: 1, b: 1, c: 1 } : {})));
  return { clock, md, router };
}

describe('adaptive weights', () => {
  it('weigh each venue by its depth within the band of the best fee-adjusted price, bids and asks', () => {
    const { md } = setup();
    // a: tight and deep; b: same prices but a 10 bps fee pushes them out of a 5 bps band; c: one level in, one out
    md.snapshot(0, 0, levels([[10_000, 30], [9_999, 20]]), levels([[10_001, 30], [10_002, 20]]), 0);
    md.snapshot(1, 0, levels([[10_000, 500]]), levels([[10_001, 500]]), 0);
    md.snapshot(2, 0, levels([[9_998, 7], [9_900, 100]]), levels([[10_003, 9], [10_200, 100]]), 0);
    const out = new Float64Array(3);
    expect(adaptiveWeights(md, 0, { bandBps: 5 }, out, 0)).toBe(true);
    expect([...out]).toEqual([100, 0, 16]);
    // a wider band takes b in (10 bps fee + 1 tick)
    adaptiveWeights(md, 0, { bandBps: 12 }, out, 0);
    expect([...out]).toEqual([100, 1000, 16]);
  });

  it('no usable book: false and all zero', () => {
    const { md } = setup();
    const out = new Float64Array(3).fill(9);
    expect(adaptiveWeights(md, 0, { bandBps: 5 }, out, 0)).toBe(false);
    expect([...out]).toEqual([0, 0, 0]);
  });

  it('AdaptiveRouting swaps the tables; a stale venue drops out; no book at all gives the configured weights back', () => {
    const { clock, md, router } = setup();
    const adaptive = new AdaptiveRouting(router, md, { bandBps: 5 });
    md.snapshot(0, 0, levels([[10_000, 30]]), levels([[10_001, 30]]), 0);
    md.snapshot(2, 0, levels([[10_000, 10]]), levels([[10_001, 10]]), 0);
    adaptive.refresh();
    expect(router.slots(0)).toEqual({ a: 192, b: 0, c: 64 });
    const hits = [0, 0, 0];
    for (let i = 0; i < 256; i++) hits[router.route(0)]! += 1;
    expect(hits).toEqual([192, 0, 64]);
    // c goes quiet: stale after staleMs, out of the weights
    md.sweep(); // both books seen now
    clock.advance(600);
    md.alive(0); // a's venue keeps speaking
    md.sweep();
    clock.advance(600); // c: 1200 ms, a: 600 ms
    adaptive.refresh();
    expect(router.slots(0)).toEqual({ a: 256, b: 0, c: 0 });
    // nothing usable: back to the configuration
    clock.advance(2000);
    md.sweep();
    adaptive.refresh();
    expect(router.slots(0)).toEqual({ a: 86, b: 85, c: 85 });
    expect(adaptive.rebuilds).toBe(3);
  });

  it('refuses a band that is not positive and a router over other venues', () => {
    const { md, router } = setup();
    expect(() => new AdaptiveRouting(router, md, { bandBps: 0 })).toThrow(RangeError);
    expect(() => new AdaptiveRouting(new Router(['a', 'b'], ['X'], [{ a: 1 }]), md, { bandBps: 1 })).toThrow(RangeError);
  });
});
