import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BearerAuth, generateToken } from '../../src/api/auth.js';

describe('BearerAuth', () => {
  const token = generateToken();
  const auth = new BearerAuth(token);

  it('accepts the token and nothing else: not a prefix, an extension, another case, one byte changed, or empty', () => {
    expect(auth.check(token)).toBe(true);
    expect(auth.check(undefined)).toBe(false);
    expect(auth.check('')).toBe(false);
    expect(auth.check(token.slice(0, -1))).toBe(false);
    expect(auth.check(`${token}0`)).toBe(false);
    expect(auth.check(token.toUpperCase())).toBe(false);
    for (let i = 0; i < token.length; i++) expect(auth.check(`${token.slice(0, i)}${token[i] === 'a' ? 'b' : 'a'}${token.slice(i + 1)}`)).toBe(false);
  });

  it('compares UTF-8 bytes: a non-ASCII token is matched exactly, and text of the same length in characters but not in bytes is refused', () => {
    const t = 'clé-secrète-0123456789';
    const a = new BearerAuth(t);
    expect(a.check(t)).toBe(true);
    expect(a.check('cle-secrete-0123456789')).toBe(false);
    expect(a.check(t.normalize('NFD'))).toBe(false);
  });

  it('any other text is refused (property)', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (s) => {
      expect(auth.check(s)).toBe(s === token);
    }), { numRuns: 2000 });
  });

  it('refuses a token under 16 characters at construction', () => {
    expect(() => new BearerAuth('short')).toThrow(RangeError);
  });
});
