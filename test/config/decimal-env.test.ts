import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareDecimals, exactMultiple, isDecimalText, normaliseDecimal } from '../../src/model/decimal.js';
import { isSecretKey, substituteEnv } from '../../src/config/env.js';
import { formatPath } from '../../src/config/errors.js';

describe('decimal text', () => {
  it('normalises exponent forms to plain decimals', () => {
    const cases: [string, string][] = [
      ['1e-8', '0.00000001'],
      ['1E-8', '0.00000001'],
      ['2.5e3', '2500'],
      ['2.5e+3', '2500'],
      ['1.25e1', '12.5'],
      ['-1.5e-2', '-0.015'],
      ['0e5', '0'],
      ['-0e-3', '0'],
      ['1.50e2', '150'],
      ['1.234e2', '123.4'],
      ['0.1', '0.1'],
      ['0.10', '0.10'],
    ];
    for (const [input, want] of cases) expect(normaliseDecimal(input), input).toBe(want);
  });

  it('accepts only strict decimals', () => {
    for (const good of ['0', '-0', '1', '0.01', '60000', '-0.5', '1e-8', '1.5E30']) expect(isDecimalText(good), good).toBe(true);
    for (const bad of ['', '.5', '5.', '01', '+1', '1_000', '0x10', '1e', '1e-31', 'NaN', ' 1', '1,5', '1.2.3']) {
      expect(isDecimalText(bad), bad).toBe(false);
    }
  });

  it('exponent form and plain form agree (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), fc.integer({ min: -20, max: 20 }), (mantissa, exp) => {
        const text = `${mantissa}e${exp}`;
        const plain = normaliseDecimal(text);
        expect(isDecimalText(plain)).toBe(true);
        // plain = units / 10^f.length must equal mantissa * 10^exp, checked with bigints
        const [w, f = ''] = plain.replace('-', '').split('.');
        const units = BigInt(w + f) * (plain.startsWith('-') ? -1n : 1n);
        const s = exp + f.length;
        if (s >= 0) expect(units).toBe(mantissa * 10n ** BigInt(s));
        else expect(units * 10n ** BigInt(-s)).toBe(mantissa);
      }),
    );
  });

  it('compares and divides exactly', () => {
    expect(compareDecimals('0.10', '0.1')).toBe(0);
    expect(compareDecimals('0.3', '0.30000000000000001')).toBe(-1);
    expect(exactMultiple('60000', '0.01')).toBe(6000000n);
    expect(exactMultiple('0.00003', '0.00001')).toBe(3n);
    expect(exactMultiple('0.000015', '0.00001')).toBeUndefined();
  });
});

describe('env substitution', () => {
  it('resolves, defaults and escapes', () => {
    const env = { A: 'x', EMPTY: '' };
    expect(substituteEnv('${A}', env)).toEqual({ ok: true, value: 'x' });
    expect(substituteEnv('pre-${A}-post', env)).toEqual({ ok: true, value: 'pre-x-post' });
    expect(substituteEnv('${B:-dflt}', env)).toEqual({ ok: true, value: 'dflt' });
    expect(substituteEnv('${EMPTY:-dflt}', env)).toEqual({ ok: true, value: 'dflt' });
    expect(substituteEnv('${EMPTY}', env)).toEqual({ ok: true, value: '' });
    expect(substituteEnv('${B:-}', env)).toEqual({ ok: true, value: '' });
    expect(substituteEnv('$${A}', env)).toEqual({ ok: true, value: '${A}' });
    expect(substituteEnv('cost $5', env)).toEqual({ ok: true, value: 'cost $5' });
  });

  it('collects every problem', () => {
    expect(substituteEnv('${B} ${C} ${1X} ${A', { A: 'a' })).toEqual({
      ok: false,
      errors: [
        'environment variable B is not set',
        'environment variable C is not set',
        'malformed env reference "${1X}": expected ${NAME} or ${NAME:-default}',
        'malformed env reference: "${" without a closing "}" (write "$${" for a literal "${")',
      ],
    });
  });

  it('recognises secret key names', () => {
    for (const k of ['apiKey', 'api_key', 'API-KEY', 'secret', 'passphrase', 'password', 'token']) expect(isSecretKey(k), k).toBe(true);
    for (const k of ['tokenFile', 'key', 'secrets', 'name']) expect(isSecretKey(k), k).toBe(false);
  });
});

describe('paths', () => {
  it('formats dotted paths with indices', () => {
    expect(formatPath(['venues', 1, 'fees', 'takerBps'])).toBe('venues[1].fees.takerBps');
    expect(formatPath(['routing', 'BTC-USDT', 'sim-a'])).toBe('routing.BTC-USDT.sim-a');
    expect(formatPath(['routing', 'odd key'])).toBe('routing["odd key"]');
    expect(formatPath([])).toBe('');
  });
});
