import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fnv1a32, symbolHash } from '../../src/routing/symbol-hash.js';

/** Reference FNV-1a 32 over TextEncoder bytes, written independently of src. */
function reference(text: string): number {
  let h = 2166136261;
  for (const b of new TextEncoder().encode(text)) {
    h = (h ^ b) >>> 0;
    h = Number((BigInt(h) * 16777619n) % 2n ** 32n);
  }
  return h;
}

describe('symbol hash (FNV-1a 32 over UTF-8)', () => {
  it.each([
    ['', 0x811c9dc5],
    ['a', 0xe40c292c],
    ['foobar', 0xbf9cf968],
  ])('published test vector %j', (text, hash) => {
    expect(fnv1a32(text)).toBe(hash);
  });

  it('is unsigned and matches the reference for symbols', () => {
    for (const s of ['BTCUSDT', 'ETHUSDT', 'BTC/USDT', 'BTC-USDT-SWAP', 'DOGEUSDT']) {
      const h = symbolHash(s);
      expect(h).toBe(reference(s));
      expect(Number.isInteger(h) && h >= 0 && h < 2 ** 32).toBe(true);
    }
  });

  it('hashes UTF-8 bytes, not UTF-16 code units', () => {
    for (const s of ['é', '€', '日本', '🚀', 'a\u{10FFFF}b', '\uD800', 'x\uDC00y', '\uD83D']) {
      expect(fnv1a32(s), JSON.stringify(s)).toBe(reference(s));
    }
  });

  it('property: equals the reference for any string, including lone surrogates', () => {
    const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: codeUnit })), (s) => {
        const h = fnv1a32(s);
        expect(h).toBe(reference(s));
        expect(h >>> 0).toBe(h);
      }),
      { numRuns: 2000 },
    );
  });
});
