import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSignedDecimal } from '../../src/model/decimal.js';
import { FeeMemo } from '../../src/risk/fee-memo.js';

describe('FeeMemo', () => {
  it('answers what parseSignedDecimal answers, whatever the order of the texts (two remembered)', () => {
    const text = fc.constantFrom('0', '0.0606', '-0.0594', '1e3', '', 'abc', '12.5000', '0.0606');
    fc.assert(fc.property(fc.array(text, { maxLength: 40 }), (texts) => {
      const memo = new FeeMemo();
      for (const t of texts) expect(memo.parse(t)).toEqual(parseSignedDecimal(t));
    }), { numRuns: 300 });
  });

  it('hands out the same answer again for either of the last two texts (no parse)', () => {
    const memo = new FeeMemo();
    const a = memo.parse('0.0606');
    const b = memo.parse('0.0594');
    expect(memo.parse('0.0606')).toBe(a);
    expect(memo.parse('0.0594')).toBe(b);
    memo.parse('1');
    expect(memo.parse('0.0594')).toBe(b); // still one of the last two
  });
});
