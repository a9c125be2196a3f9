import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { byteText, oneByteText } from '../../src/model/byte-text.js';

describe('byteText', () => {
  it('is one character per byte of bytes[start, end), also in a view that starts inside its buffer', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(20), fc.nat(200), fc.nat(200), (raw, lead, a, b) => {
      const backing = new Uint8Array(lead + raw.length);
      backing.set(raw, lead);
      const view = backing.subarray(lead);
      const start = Math.min(a, b, raw.length);
      const end = Math.min(Math.max(a, b), raw.length);
      expect(byteText(view, start, end)).toBe(String.fromCharCode(...raw.subarray(start, end)));
    }));
  });
});

describe('oneByteText', () => {
  it('gives back the same text, whatever it holds (beyond Latin-1 too, unpaired surrogates included)', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' })), (s) => {
      expect(oneByteText(s)).toBe(s);
    }));
    // a Latin-1 text cut from a two-byte one (what a YAML file with an em dash in a comment gives)
    const cut = 'venue — sim-b'.slice(8);
    expect(oneByteText(cut)).toBe('sim-b');
  });
});

