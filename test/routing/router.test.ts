import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Router } from '../../src/routing/router.js';

const VENUES = [{ name: 'binance' }, { name: 'okx' }, { name: 'paper' }];
const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'DOGEUSDT'];
const ROUTING = {
  BTCUSDT: { binance: 3, okx: 1 },
  ETHUSDT: { binance: 1, okx: 1, paper: 1 },
  SOLUSDT: { okx: 2, paper: 0 },
  // DOGEUSDT: no routing entry -> no route
};

function router(): Router {
  return Router.fromConfig(VENUES, SYMBOLS, ROUTING);
}

const ALL = new Uint8Array([1, 1, 1]);

describe('Router construction', () => {
  it('indexes venues in configuration order', () => {
    const r = router();
    expect(r.venueIndex('binance')).toBe(0);
    expect(r.venueIndex('okx')).toBe(1);
    expect(r.venueIndex('paper')).toBe(2);
    expect(r.venueIndex('kraken')).toBe(-1);
    expect(r.venueName(1)).toBe('okx');
    expect(r.venueCount).toBe(3);
    expect(r.symbolCount).toBe(4);
  });

  it('slots() reports the slot counts of the venues that list the symbol', () => {
    const r = router();
    expect(r.slots(0)).toEqual({ binance: 192, okx: 64 });
    expect(r.slots(1)).toEqual({ binance: 86, okx: 85, paper: 85 });
    expect(r.slots(2)).toEqual({ okx: 256 });
    expect(r.slots(3)).toEqual({});
    expect(() => r.slots(4)).toThrow(RangeError);
  });

  it('rejects unknown venues, unknown symbols, bad weights and duplicate venues', () => {
    expect(() => Router.fromConfig(VENUES, SYMBOLS, { BTCUSDT: { kraken: 1 } })).toThrow(/unknown venue kraken/);
    expect(() => Router.fromConfig(VENUES, SYMBOLS, { XRPUSDT: { okx: 1 } })).toThrow(/unknown symbol XRPUSDT/);
    expect(() => Router.fromConfig(VENUES, SYMBOLS, { BTCUSDT: { okx: -1 } })).toThrow(RangeError);
    expect(() => Router.fromConfig(VENUES, SYMBOLS, { BTCUSDT: { okx: NaN } })).toThrow(RangeError);
    expect(() => Router.fromConfig([{ name: 'a' }, { name: 'a' }], SYMBOLS, {})).toThrow(/duplicate venue/);
    expect(() => new Router(['a'], ['X', 'Y'], [{ a: 1 }])).toThrow(RangeError);
  });
});

describe('Router.route', () => {
  it('walks the symbol table in sequence: order i of a symbol takes slot i mod 256', () => {
    const r = router();
    for (let s = 0; s < 3; s++) {
      const table = r.table256(s);
      for (let i = 0; i < 1024; i++) {
        expect(r.peek(s)).toBe(table[i % 256]);
        expect(r.route(s)).toBe(table[i % 256]);
      }
    }
  });

  it('each symbol has its own sequence', () => {
    const r = router();
    const eth = r.table256(1);
    for (let i = 0; i < 10; i++) r.route(0);
    for (let i = 0; i < 300; i++) expect(r.route(1)).toBe(eth[i % 256]);
  });

  it('any order stream, fixed sizes included, follows the weights within 1 % (and within 2 orders over any run)', () => {
    const r = Router.fromConfig(
      [{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd' }],
      ['BTCUSDT', 'ETHUSDT', 'XRPUSDT'],
      { BTCUSDT: { a: 50, b: 30, c: 20 }, ETHUSDT: { a: 1, b: 1, c: 1, d: 5 }, XRPUSDT: { a: 997, b: 2, c: 1 } },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 0, max: 255 }), (s, n, skip) => {
        const weights = [[50, 30, 20, 0], [1, 1, 1, 5], [997, 2, 1, 0]][s]!;
        const total = weights.reduce((a, b) => a + b, 0);
        for (let i = 0; i < skip; i++) r.route(s); // start anywhere in the sequence
        const hits = [0, 0, 0, 0];
        for (let i = 0; i < n; i++) hits[r.route(s)]! += 1;
        weights.forEach((w, v) => {
          // the table's share is the weight's within 1/256 (apportionment), and a run is within 2 orders of it
          expect(Math.abs(hits[v]! - (n * w) / total)).toBeLessThanOrEqual(n / 256 + 2);
          if (n >= 512) expect(Math.abs(hits[v]! / n - w / total)).toBeLessThan(0.01);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('peek does not move the cursor', () => {
    const r = router();
    const first = r.peek(1);
    expect(r.peek(1)).toBe(first);
    expect(r.route(1)).toBe(first);
  });

  it('a symbol with one venue always routes there', () => {
    const r = router();
    for (let q = 0; q < 300; q++) expect(r.route(2)).toBe(1);
  });

  it('a symbol without a route gives -1', () => {
    const r = router();
    expect(r.hasRoute(3)).toBe(false);
    expect(r.route(3)).toBe(-1);
    expect(r.route(3, ALL)).toBe(-1);
    expect(() => r.route(4)).toThrow(RangeError);
    expect(() => r.route(-1)).toThrow(RangeError);
    expect(() => r.route(0.5)).toThrow(RangeError);
    expect(() => r.peek(4)).toThrow(RangeError);
  });

  it('skips unavailable venues by walking to the next usable slot', () => {
    const s = 1; // ETHUSDT, three venues
    const table = router().table256(s);
    for (const down of [0, 1, 2]) {
      const available = new Uint8Array([1, 1, 1]);
      available[down] = 0;
      // from a fresh cursor: the table's sequence with the down venue's slots left out
      const fresh = router();
      const rest = [...table].filter((v) => v !== down);
      const hits = [0, 0, 0];
      for (let i = 0; i < 512; i++) {
        const got = fresh.route(s, available);
        hits[got]! += 1;
        expect(got).toBe(rest[i % rest.length]);
      }
      expect(hits[down]).toBe(0);
    }
  });

  it('with a venue down, the others share its flow as their weights say', () => {
    const r = Router.fromConfig([{ name: 'a' }, { name: 'b' }, { name: 'c' }], ['X'], { X: { a: 2, b: 1, c: 1 } });
    const hits = [0, 0, 0];
    for (let i = 0; i < 2560; i++) hits[r.route(0, new Uint8Array([0, 1, 1]))]! += 1;
    expect(hits[0]).toBe(0);
    expect(hits).toEqual([0, 1280, 1280]);
  });

  it('with one venue left up, every order goes there; with none, -1', () => {
    const r = router();
    for (let q = 0; q < 300; q++) {
      expect(r.route(0, new Uint8Array([0, 1, 1]))).toBe(1);
      expect(r.route(0, new Uint8Array([1, 0, 0]))).toBe(0);
      // paper is up but does not list BTCUSDT
      expect(r.route(0, new Uint8Array([0, 0, 1]))).toBe(-1);
      expect(r.route(1, new Uint8Array([0, 0, 0]))).toBe(-1);
    }
  });

  it('consecutive orders spread over the venues (interleaved slots)', () => {
    const r = router();
    // ETHUSDT 1:1:1 (86/85/85 slots): any 4 consecutive orders cover all three venues
    const seq = Array.from({ length: 512 }, () => r.route(1));
    for (let k = 0; k + 4 <= seq.length; k++) expect(new Set(seq.slice(k, k + 4)).size).toBe(3);
  });
});

describe('Router.setWeights (adaptive tables)', () => {
  it('rebuilds the table in place; the next orders follow the new weights', () => {
    const r = router();
    expect(r.setWeights(1, [1, 3, 0])).toBe(true);
    expect(r.slots(1)).toEqual({ binance: 64, okx: 192, paper: 0 });
    expect(r.effectiveWeights(1)).toEqual({ binance: 1, okx: 3, paper: 0 });
    const hits = [0, 0, 0];
    for (let i = 0; i < 256; i++) hits[r.route(1)]! += 1;
    expect(hits).toEqual([64, 192, 0]);
    expect(r.setWeights(1, [1, 3, 0])).toBe(false); // unchanged
  });

  it('never gives slots to a venue the configuration does not route the symbol to', () => {
    const r = router();
    r.setWeights(0, [1, 1, 100]); // paper does not list BTCUSDT
    expect(r.slots(0)).toEqual({ binance: 128, okx: 128 });
  });

  it('falls back to the configured weights when no allowed venue has a weight', () => {
    const r = router();
    r.setWeights(0, [5, 1, 0]);
    r.setWeights(0, [0, 0, 7]);
    expect(r.slots(0)).toEqual({ binance: 192, okx: 64 });
  });

  it('refuses bad input and leaves a symbol without a route alone', () => {
    const r = router();
    expect(() => r.setWeights(0, [1, 1])).toThrow(RangeError);
    expect(() => r.setWeights(0, [1, -1, 0])).toThrow(RangeError);
    expect(() => r.setWeights(9, [1, 1, 1])).toThrow(RangeError);
    expect(r.setWeights(3, [1, 1, 1])).toBe(false);
    expect(r.route(3)).toBe(-1);
  });

  it('adopt() carries the tables of a reloaded configuration', () => {
    const r = router();
    r.setWeights(1, [1, 3, 0]);
    r.adopt(router());
    expect(r.slots(1)).toEqual({ binance: 86, okx: 85, paper: 85 });
  });
});

describe('pinned venues: listsSymbol', () => {
  it('is true only when the venue has a weight > 0 for the symbol', () => {
    const r = router();
    expect(r.listsSymbol(0, 0)).toBe(true); // binance BTCUSDT
    expect(r.listsSymbol(1, 0)).toBe(true); // okx BTCUSDT
    expect(r.listsSymbol(2, 0)).toBe(false); // paper not named for BTCUSDT
    expect(r.listsSymbol(2, 2)).toBe(false); // paper weight 0 for SOLUSDT
    expect(r.listsSymbol(1, 2)).toBe(true);
    expect(r.listsSymbol(0, 3)).toBe(false); // DOGEUSDT has no routing
    expect(r.listsSymbol(r.venueIndex('kraken'), 0)).toBe(false);
    expect(r.listsSymbol(0, 99)).toBe(false);
  });

  it('a listed venue with a tiny weight takes pinned orders though it has no slot', () => {
    const r = new Router(['big', 'tiny'], ['BTCUSDT'], [{ big: 1000, tiny: 1 }]);
    expect(r.slots(0)).toEqual({ big: 256, tiny: 0 });
    expect(r.listsSymbol(1, 0)).toBe(true);
  });
});
