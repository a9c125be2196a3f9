import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { randomSource } from '../../adapters/paper/prng.js';
import { Router } from '../../src/routing/router.js';
import { fnv1a32 } from '../../src/routing/symbol-hash.js';

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

  it('stores each symbol hash (FNV-1a of the symbol)', () => {
    const r = router();
    SYMBOLS.forEach((s, i) => expect(r.symbolHash(i)).toBe(fnv1a32(s)));
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
  it('picks slot (hash XOR qty) & 0xFF of the symbol table', () => {
    const r = router();
    for (let s = 0; s < 3; s++) {
      const table = r.table256(s);
      for (let q = 0; q < 1024; q++) {
        expect(r.route(s, q)).toBe(table[(fnv1a32(SYMBOLS[s]!) ^ q) & 0xff]);
      }
    }
  });

  it('is deterministic', () => {
    const a = router();
    const b = router();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (s, q) => {
        expect(a.route(s, q)).toBe(a.route(s, q));
        expect(a.route(s, q)).toBe(b.route(s, q));
        expect(a.route(s, q, ALL)).toBe(a.route(s, q));
      }),
    );
  });

  it('uses the low 32 bits of the quantity: 2^32 + 5 routes like 5', () => {
    const r = router();
    for (let s = 0; s < 3; s++) {
      for (const q of [0, 5, 77, 255, 256, 1000]) {
        expect(r.route(s, 2 ** 32 + q)).toBe(r.route(s, q));
        expect(r.route(s, 2 ** 40 + q)).toBe(r.route(s, q));
        expect(r.route(s, 2 ** 52 + 2 ** 33 + q)).toBe(r.route(s, q));
      }
    }
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 ** 21 - 1 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), (s, high, low) => {
        expect(r.route(s, high * 2 ** 32 + low)).toBe(r.route(s, low));
      }),
    );
  });

  it('a symbol with one venue always routes there', () => {
    const r = router();
    for (let q = 0; q < 300; q++) expect(r.route(2, q)).toBe(1);
  });

  it('a symbol without a route gives -1', () => {
    const r = router();
    expect(r.hasRoute(3)).toBe(false);
    expect(r.route(3, 1)).toBe(-1);
    expect(r.route(3, 1, ALL)).toBe(-1);
    expect(() => r.route(4, 1)).toThrow(RangeError);
    expect(() => r.route(-1, 1)).toThrow(RangeError);
    expect(() => r.route(0.5, 1)).toThrow(RangeError);
  });

  it('skips unavailable venues by walking to the next usable slot', () => {
    const r = router();
    const s = 1; // ETHUSDT, three venues
    const table = r.table256(s);
    const h = fnv1a32(SYMBOLS[s]!);
    for (let q = 0; q < 512; q++) {
      const first = table[(h ^ q) & 0xff]!;
      for (const down of [0, 1, 2]) {
        const available = new Uint8Array([1, 1, 1]);
        available[down] = 0;
        const got = r.route(s, q, available);
        expect(got).not.toBe(down);
        if (first !== down) {
          expect(got).toBe(first);
        } else {
          // the next slot after the chosen one whose venue is up
          let i = ((h ^ q) & 0xff) + 1;
          while (table[i & 0xff] === down) i++;
          expect(got).toBe(table[i & 0xff]);
        }
      }
    }
  });

  it('with one venue left up, every order goes there; with none, -1', () => {
    const r = router();
    for (let q = 0; q < 300; q++) {
      expect(r.route(0, q, new Uint8Array([0, 1, 1]))).toBe(1);
      expect(r.route(0, q, new Uint8Array([1, 0, 0]))).toBe(0);
      // paper is up but does not list BTCUSDT
      expect(r.route(0, q, new Uint8Array([0, 0, 1]))).toBe(-1);
      expect(r.route(1, q, new Uint8Array([0, 0, 0]))).toBe(-1);
    }
  });

  it('the empirical share of random quantities approximates the weights', () => {
    const r = Router.fromConfig(
      [{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd' }],
      ['BTCUSDT', 'ETHUSDT'],
      { BTCUSDT: { a: 50, b: 30, c: 20 }, ETHUSDT: { a: 1, b: 1, c: 1, d: 5 } },
    );
    // seeded so the empirical test is deterministic
    const rand = randomSource(42);
    const N = 200_000;
    const cases: Array<[number, number[]]> = [[0, [50, 30, 20, 0]], [1, [1, 1, 1, 5]]];
    for (const [s, weights] of cases) {
      const hits = [0, 0, 0, 0];
      for (let i = 0; i < N; i++) {
        const q = 1 + Math.floor(rand() * 10_000_000);
        hits[r.route(s, q)]! += 1;
      }
      const total = weights.reduce((a, b) => a + b, 0);
      weights.forEach((w, v) => expect(Math.abs(hits[v]! / N - w / total)).toBeLessThan(0.01));
    }
  });

  it('nearby quantities spread over the venues (interleaved slots)', () => {
    const r = router();
    // ETHUSDT 1:1:1: 16 consecutive quantities hit 16 distinct slots, which cover all three venues
    const seen = new Set<number>();
    for (let q = 1000; q < 1016; q++) seen.add(r.route(1, q));
    expect(seen.size).toBe(3);
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
