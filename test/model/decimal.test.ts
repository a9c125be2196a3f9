import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  Increment,
  NotionalScale,
  decimalText,
  decimalTextFromNumber,
  fixedDecimalText,
  isDecimalText,
  negDecimal,
  normaliseDecimal,
  notionalUnits,
  parseDecimal,
  parseSignedDecimal,
  signedDecimalText,
} from '../../src/model/decimal.js';

const MAX = Number.MAX_SAFE_INTEGER;

/** Written independently of src: `units / 10^scale` as text with exactly `scale` decimals. */
function fixed(units: bigint, scale: number): string {
  const s = units.toString().padStart(scale + 1, '0');
  return scale === 0 ? s : `${s.slice(0, s.length - scale)}.${s.slice(s.length - scale)}`;
}

/** The increments the properties run over: powers of ten and not. [text, units, scale] */
const INCREMENTS: ReadonlyArray<readonly [string, bigint, number]> = [
  ['1', 1n, 0],
  ['0.01', 1n, 2],
  ['0.00000001', 1n, 8],
  ['0.5', 5n, 1],
  ['0.25', 25n, 2],
  ['5', 5n, 0],
  ['10', 10n, 0],
  ['0.0025', 25n, 4],
  ['0.1', 1n, 1],
];
const incrementArb = fc.constantFrom(...INCREMENTS);
const countArb = fc.oneof(
  fc.integer({ min: 0, max: MAX }),
  fc.integer({ min: 0, max: 1000 }),
  fc.constantFrom(0, 1, MAX, MAX - 1, 2 ** 32, 2 ** 32 + 1),
);

describe('parseDecimal', () => {
  it('parses plain non-negative decimals', () => {
    expect(parseDecimal('0')).toEqual({ units: 0n, scale: 0 });
    expect(parseDecimal('12.340')).toEqual({ units: 12340n, scale: 3 });
    expect(parseDecimal('007')).toEqual({ units: 7n, scale: 0 });
  });

  it.each(['1e5', '-1', '', '1.', '.5', ' 1', '1 ', 'NaN', 'Infinity', '+1', '0x10', '1,5', '1.2.3', '١'])(
    'rejects %j',
    (text) => {
      expect(parseDecimal(text)).toBeUndefined();
    },
  );

  it('parses signed decimals for fees', () => {
    expect(parseSignedDecimal('-0.5')).toEqual({ units: -5n, scale: 1 });
    expect(parseSignedDecimal('2.5')).toEqual({ units: 25n, scale: 1 });
    expect(parseSignedDecimal('--1')).toBeUndefined();
    expect(parseSignedDecimal('+1')).toBeUndefined();
  });

  it('parses many digits exactly (past what a double holds)', () => {
    expect(parseDecimal('123456789012345.6')).toEqual({ units: 1234567890123456n, scale: 1 });
    expect(parseSignedDecimal('-99999999999999999999.000000000000000001')).toEqual({ units: -99999999999999999999000000000000000001n, scale: 18 });
    expect(parseDecimal('999999999999999')).toEqual({ units: 999999999999999n, scale: 0 });
    expect(parseSignedDecimal('-0')).toEqual({ units: 0n, scale: 0 });
  });

  it('accepts exactly the plain form (the regular expression it replaced), with the units of its digits', () => {
    const plain = /^(-?)(\d+)(?:\.(\d+))?$/;
    const reference = (text: string, signed: boolean) => {
      const m = plain.exec(text);
      if (m === null || (!signed && m[1] === '-')) return undefined;
      const units = BigInt(m[2]! + (m[3] ?? ''));
      return { units: m[1] === '-' ? -units : units, scale: (m[3] ?? '').length };
    };
    const text = fc.oneof(
      fc.string({ unit: fc.constantFrom('0', '1', '5', '9', '.', '-', '+', 'e', ' ', '٣'), maxLength: 40 }),
      fc.tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.nat(25)).map(([neg, u, scale]) => {
        const d = u.toString().padStart(scale + 1, '0');
        return `${neg ? '-' : ''}${scale === 0 ? d : `${d.slice(0, d.length - scale)}.${d.slice(d.length - scale)}`}`;
      }),
    );
    fc.assert(fc.property(text, (t) => {
      expect(parseDecimal(t)).toEqual(reference(t, false));
      expect(parseSignedDecimal(t)).toEqual(reference(t, true));
    }), { numRuns: 3000 });
  });
});

describe('Increment', () => {
  it('rejects increments that are not positive decimals', () => {
    for (const bad of ['0', '0.000', '-0.01', '', '1e-2', 'abc', '.1']) {
      expect(() => new Increment(bad), bad).toThrow(RangeError);
    }
  });

  it('converts text to counts and back exactly', () => {
    const tick = new Increment('0.01');
    expect(tick.toCount('123.45')).toEqual({ ok: true, value: 12345 });
    expect(tick.toCount('123.4')).toEqual({ ok: true, value: 12340 });
    expect(tick.toCount('123.450000')).toEqual({ ok: true, value: 12345 });
    expect(tick.toCount('0')).toEqual({ ok: true, value: 0 });
    expect(tick.toCount('0.00')).toEqual({ ok: true, value: 0 });
    expect(tick.toCount('00.01')).toEqual({ ok: true, value: 1 });
    expect(tick.toText(12345)).toBe('123.45');
    expect(tick.toText(12340)).toBe('123.40');
    expect(tick.toText(1)).toBe('0.01');
    expect(tick.toText(0)).toBe('0.00');

    const lot = new Increment('0.00001');
    expect(lot.toCount('1.5')).toEqual({ ok: true, value: 150000 });
    expect(lot.toText(150000)).toBe('1.50000');
    expect(lot.toText(7)).toBe('0.00007');
  });

  it('keeps the increment text canonical', () => {
    expect(new Increment('0.01').text).toBe('0.01');
    expect(new Increment('00.5').text).toBe('0.5');
    expect(new Increment('5').scale).toBe(0);
  });

  it('never rounds: values off the tick or lot grid are OFF_GRID', () => {
    const tick = new Increment('0.01');
    expect(tick.toCount('0.001')).toEqual({ ok: false, error: 'OFF_GRID' });
    expect(tick.toCount('123.455')).toEqual({ ok: false, error: 'OFF_GRID' });
    expect(tick.toCount('0.0099999999999999999999')).toEqual({ ok: false, error: 'OFF_GRID' });
    const lot = new Increment('0.001');
    expect(lot.toCount('1.0005')).toEqual({ ok: false, error: 'OFF_GRID' });
  });

  it.each(['1e5', '-1', '', '1.', '.5', ' 1', 'NaN', '1_000', 'Infinity'])('rejects the non-decimal %j', (text) => {
    expect(new Increment('0.01').toCount(text)).toEqual({ ok: false, error: 'NOT_A_DECIMAL' });
  });

  it('rejects counts beyond 2^53-1 as TOO_LARGE', () => {
    const one = new Increment('1');
    expect(one.toCount(String(MAX))).toEqual({ ok: true, value: MAX });
    expect(one.toCount('9007199254740992')).toEqual({ ok: false, error: 'TOO_LARGE' });
    expect(one.toCount('1' + '0'.repeat(40))).toEqual({ ok: false, error: 'TOO_LARGE' });
    const tick = new Increment('0.01');
    expect(tick.toCount('90071992547409.91')).toEqual({ ok: true, value: MAX });
    expect(tick.toCount('90071992547409.92')).toEqual({ ok: false, error: 'TOO_LARGE' });
  });

  it('toCount is exactly the count in bigint arithmetic (in doubles where that is exact, else in bigints)', () => {
    const reference = (inc: Increment, text: string) => {
      const m = /^(\d+)(?:\.(\d+))?$/.exec(text);
      if (m === null) return { ok: false, error: 'NOT_A_DECIMAL' };
      const frac = m[2] ?? '';
      const num = BigInt(m[1]! + frac) * 10n ** BigInt(inc.scale);
      const den = inc.units * 10n ** BigInt(frac.length);
      if (num % den !== 0n) return { ok: false, error: 'OFF_GRID' };
      const count = num / den;
      return count > BigInt(MAX) ? { ok: false, error: 'TOO_LARGE' } : { ok: true, value: Number(count) };
    };
    const increment = fc.tuple(fc.bigInt({ min: 1n, max: 10n ** 18n }), fc.nat(20)).map(([u, scale]) => {
      const d = u.toString().padStart(scale + 1, '0');
      return new Increment(scale === 0 ? d : `${d.slice(0, d.length - scale)}.${d.slice(d.length - scale)}`);
    });
    const text = fc.oneof(
      fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 24n }), fc.nat(24)).map(([u, scale]) => {
        const d = u.toString().padStart(scale + 1, '0');
        return scale === 0 ? d : `${d.slice(0, d.length - scale)}.${d.slice(d.length - scale)}`;
      }),
      fc.string({ unit: fc.constantFrom('0', '1', '5', '.', '-', 'e'), maxLength: 20 }),
    );
    // on the grid too: a count of the increment written out
    const onGrid = fc.tuple(increment, fc.integer({ min: 0, max: MAX }), fc.nat(3)).map(([inc, count, pad]) => {
      const t = inc.toText(count);
      return [inc, pad > 0 ? `${t}${t.includes('.') ? '' : '.'}${'0'.repeat(pad)}` : t] as const;
    });
    fc.assert(fc.property(fc.oneof(fc.tuple(increment, text), onGrid), ([inc, t]) => {
      expect(inc.toCount(t)).toEqual(reference(inc, t));
    }), { numRuns: 3000 });
  });

  it('toText gives the same text for a count whatever it wrote before (its cache of recent texts)', () => {
    const counts = fc.array(fc.oneof(fc.integer({ min: -100, max: 100 }), fc.integer({ min: -MAX, max: MAX }), fc.constantFrom(0, 32, 64, 33, 1)), { minLength: 1, maxLength: 200 });
    fc.assert(fc.property(fc.constantFrom('0.01', '0.00001', '5', '0.25'), counts, (step, list) => {
      const inc = new Increment(step);
      for (const c of list) expect(inc.toText(c)).toBe(fixedDecimalText(BigInt(c) * inc.units, inc.scale));
    }), { numRuns: 200 });
  });

  it('toText refuses counts that are not safe integers', () => {
    const tick = new Increment('0.01');
    for (const bad of [1.5, NaN, Infinity, MAX + 1]) expect(() => tick.toText(bad)).toThrow(RangeError);
  });

  it('handles tick sizes that are not powers of ten (0.5, 0.25, 5)', () => {
    const half = new Increment('0.5');
    expect(half.toCount('1.5')).toEqual({ ok: true, value: 3 });
    expect(half.toCount('2')).toEqual({ ok: true, value: 4 });
    expect(half.toCount('0.50')).toEqual({ ok: true, value: 1 });
    expect(half.toCount('0.25')).toEqual({ ok: false, error: 'OFF_GRID' });
    expect(half.toCount('1.1')).toEqual({ ok: false, error: 'OFF_GRID' });
    expect(half.toText(3)).toBe('1.5');
    expect(half.toText(4)).toBe('2.0');

    const quarter = new Increment('0.25');
    expect(quarter.toCount('0.75')).toEqual({ ok: true, value: 3 });
    expect(quarter.toCount('1.5')).toEqual({ ok: true, value: 6 });
    expect(quarter.toCount('0.3')).toEqual({ ok: false, error: 'OFF_GRID' });
    expect(quarter.toCount('0.125')).toEqual({ ok: false, error: 'OFF_GRID' });
    expect(quarter.toText(6)).toBe('1.50');

    const five = new Increment('5');
    expect(five.toCount('10')).toEqual({ ok: true, value: 2 });
    expect(five.toCount('10.0')).toEqual({ ok: true, value: 2 });
    expect(five.toCount('12')).toEqual({ ok: false, error: 'OFF_GRID' });
    expect(five.toCount('2.5')).toEqual({ ok: false, error: 'OFF_GRID' });
    expect(five.toText(3)).toBe('15');
  });

  it('property: toCount(toText(n)) === n for every safe count', () => {
    fc.assert(
      fc.property(incrementArb, countArb, ([text, units], n) => {
        const inc = new Increment(text);
        // toText of a count whose value is beyond 2^53-1 increments is fine; toCount must give n back exactly.
        expect(inc.toCount(inc.toText(n))).toEqual({ ok: true, value: n });
        // and toText is the exact value, independently computed
        expect(inc.toText(n)).toBe(fixed(BigInt(n) * units, INCREMENTS.find((i) => i[0] === text)![2]));
      }),
      { numRuns: 2000 },
    );
  });

  it('property: toText is exact where count x units passes 2^53 and for increments beyond a safe integer (doubles, then bigints)', () => {
    const wide = fc.constantFrom<readonly [string, bigint, number]>(
      ['3', 3n, 0], ['0.000007', 7n, 6], ['90071992547409.93', 9007199254740993n, 2], ['123456789012345678901234567890', 123456789012345678901234567890n, 0],
    );
    const near = fc.oneof(countArb, fc.integer({ min: -MAX, max: MAX }), fc.integer({ min: 0, max: 2 ** 20 }).map((d) => Math.floor(2 ** 53 / 3) - 2 ** 19 + d));
    fc.assert(
      fc.property(wide, near, ([text, units, scale], n) => {
        expect(new Increment(text).toText(n)).toBe(n < 0 ? `-${fixed(BigInt(-n) * units, scale)}` : fixed(BigInt(n) * units, scale));
        const notional = new NotionalScale(new Increment(text), new Increment('0.01'));
        expect(notional.toText(n)).toBe(n < 0 ? `-${fixed(BigInt(-n) * units, scale + 2)}` : fixed(BigInt(n) * units, scale + 2));
      }),
      { numRuns: 2000 },
    );
  });

  it('property: on-grid decimal strings come back written with the increment decimals', () => {
    fc.assert(
      fc.property(incrementArb, countArb, fc.nat({ max: 6 }), fc.boolean(), ([text, units, scale], n, extraZeros, leadingZero) => {
        const inc = new Increment(text);
        const canonical = fixed(BigInt(n) * units, scale);
        // The same value spelled differently: trailing zeros stripped, then some added back, maybe a leading zero.
        let s = canonical.includes('.') ? canonical.replace(/0+$/, '').replace(/\.$/, '') : canonical;
        if (extraZeros > 0) s += (s.includes('.') ? '' : '.') + '0'.repeat(extraZeros);
        if (leadingZero) s = '0' + s;
        const r = inc.toCount(s);
        expect(r).toEqual({ ok: true, value: n });
        if (r.ok) expect(inc.toText(r.value)).toBe(canonical);
      }),
      { numRuns: 2000 },
    );
  });

  it('property: off-grid strings are always OFF_GRID', () => {
    fc.assert(
      fc.property(
        incrementArb,
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.nat({ max: 4 }),
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        ([text, units, scale], n, j, r) => {
          // value = n * increment + delta with 0 < delta < increment, written with scale + j decimals
          const step = units * 10n ** BigInt(j);
          const delta = (r % (step - 1n || 1n)) + 1n;
          fc.pre(delta < step);
          const s = fixed(BigInt(n) * step + delta, scale + j);
          expect(new Increment(text).toCount(s)).toEqual({ ok: false, error: 'OFF_GRID' });
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('property: strings with more decimals than the increment are on grid only when the extra digits are zero', () => {
    const tick = new Increment('0.01');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 9 }), fc.integer({ min: 0, max: 999 }), (cents, extra) => {
        const s = `${fixed(BigInt(cents), 2)}${String(extra).padStart(3, '0')}`;
        const r = tick.toCount(s);
        if (extra === 0) expect(r).toEqual({ ok: true, value: cents });
        else expect(r).toEqual({ ok: false, error: 'OFF_GRID' });
      }),
    );
  });
});

describe('decimalTextFromNumber', () => {
  it.each([
    [1e-8, '0.00000001'],
    [1.5e-7, '0.00000015'],
    [1e-7, '0.0000001'],
    [1e21, '1000000000000000000000'],
    [1.5e21, '1500000000000000000000'],
    [1.2345e25, '12345000000000000000000000'],
    [123.45, '123.45'],
    [0.1, '0.1'],
    [0, '0'],
    [-0, '0'],
    [42, '42'],
    [5e-324, '0.' + '0'.repeat(323) + '5'],
  ])('%s -> %s', (value, text) => {
    expect(decimalTextFromNumber(value)).toBe(text);
  });

  it.each([NaN, Infinity, -Infinity, -1, -1e-8])('%s -> undefined', (value) => {
    expect(decimalTextFromNumber(value)).toBeUndefined();
  });

  it('property: the text parses as a decimal and reads back as the same number', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }), (x) => {
        const text = decimalTextFromNumber(x)!;
        expect(text).toMatch(/^\d+(\.\d+)?$/);
        expect(Number(text)).toBe(x === 0 ? 0 : x);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('NotionalScale', () => {
  // tick 0.01 x lot 0.001: one unit is 0.00001 of the quote currency
  const scale = new NotionalScale(new Increment('0.01'), new Increment('0.001'));

  it('converts exact notionals to units', () => {
    expect(scale.ceilUnits('10')).toBe(1_000_000);
    expect(scale.floorUnits('10')).toBe(1_000_000);
    expect(scale.ceilUnits('0.00001')).toBe(1);
    expect(scale.ceilUnits('0')).toBe(0);
    expect(scale.toText(1_000_000)).toBe('10.00000');
  });

  it('ceil and floor differ by one off the grid', () => {
    expect(scale.ceilUnits('0.000015')).toBe(2);
    expect(scale.floorUnits('0.000015')).toBe(1);
    expect(scale.ceilUnits('10.000001')).toBe(1_000_001);
    expect(scale.floorUnits('10.000001')).toBe(1_000_000);
    expect(scale.floorUnits('0.000009')).toBe(0);
    expect(scale.ceilUnits('0.000009')).toBe(1);
  });

  it('works with increments that are not powers of ten', () => {
    // tick 0.5 x lot 0.25: one unit is 0.125
    const odd = new NotionalScale(new Increment('0.5'), new Increment('0.25'));
    expect(odd.ceilUnits('1')).toBe(8);
    expect(odd.ceilUnits('1.1')).toBe(9);
    expect(odd.floorUnits('1.1')).toBe(8);
    expect(odd.toText(9)).toBe('1.125');
  });

  it('returns undefined for non-decimals and saturates huge limits', () => {
    expect(scale.ceilUnits('-1')).toBeUndefined();
    expect(scale.floorUnits('1e3')).toBeUndefined();
    expect(scale.ceilUnits('1' + '0'.repeat(30))).toBe(MAX);
    expect(scale.floorUnits('1' + '0'.repeat(30))).toBe(MAX);
  });

  it('property: floor <= exact <= ceil, within one unit', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 10n }), fc.nat({ max: 9 }), (units, decimals) => {
        const text = fixed(units, decimals);
        const lo = scale.floorUnits(text)!;
        const hi = scale.ceilUnits(text)!;
        // exact value in scale units (1e-5): units * 10^5 / 10^decimals
        const num = units * 10n ** 5n;
        const den = 10n ** BigInt(decimals);
        expect(BigInt(lo) * den <= num).toBe(true);
        expect(BigInt(hi) * den >= num).toBe(true);
        expect(hi - lo).toBe(num % den === 0n ? 0 : 1);
      }),
    );
  });
});

describe('notionalUnits', () => {
  it('multiplies exactly within the safe range', () => {
    expect(notionalUnits(12345, 1000)).toBe(12_345_000);
    expect(notionalUnits(0, MAX)).toBe(0);
    expect(notionalUnits(1, MAX)).toBe(MAX);
    expect(notionalUnits(2 ** 26, 2 ** 26)).toBe(2 ** 52);
  });

  it('saturates at 2^53-1 instead of losing precision', () => {
    expect(notionalUnits(2 ** 27, 2 ** 26)).toBe(MAX);
    expect(notionalUnits(MAX, MAX)).toBe(MAX);
    expect(notionalUnits(2, MAX)).toBe(MAX);
  });

  it('property: exact or saturated, never a rounded value', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX }), fc.integer({ min: 0, max: MAX }), (p, q) => {
        const exact = BigInt(p) * BigInt(q);
        const got = notionalUnits(p, q);
        expect(Number.isSafeInteger(got)).toBe(true);
        expect(BigInt(got)).toBe(exact > BigInt(MAX) ? BigInt(MAX) : exact);
      }),
      { numRuns: 2000 },
    );
  });
});

// One module serves three edges that accept different forms (API and increments, YAML config, venue values). Each
// keeps its own entry point; these tests pin what each accepts, so unifying the code changed no caller's rules.
describe('one module, each edge its own form', () => {
  type Parsed = { units: bigint; scale: number } | undefined;
  const d = (units: bigint, scale: number): Parsed => ({ units, scale });
  // [text, parseDecimal, parseSignedDecimal, isDecimalText (config), decimalText (venue)]
  const table: [string, Parsed, Parsed, boolean, string | undefined][] = [
    ['1', d(1n, 0), d(1n, 0), true, '1'],
    ['007.50', d(750n, 2), d(750n, 2), false, '7.5'],
    ['-1', undefined, d(-1n, 0), true, '-1'],
    ['+1', undefined, undefined, false, '1'],
    ['-0', undefined, d(0n, 0), true, '0'],
    ['1e-8', undefined, undefined, true, undefined],
    ['1.5E3', undefined, undefined, true, undefined],
    [' 1 ', undefined, undefined, false, '1'],
    ['.5', undefined, undefined, false, undefined],
    ['5.', undefined, undefined, false, undefined],
    ['01', d(1n, 0), d(1n, 0), false, '1'],
    ['1.2.3', undefined, undefined, false, undefined],
    ['', undefined, undefined, false, undefined],
  ];

  it.each(table)('%j', (text, unsigned, signed, config, venue) => {
    expect(parseDecimal(text)).toEqual(unsigned);
    expect(parseSignedDecimal(text)).toEqual(signed);
    expect(isDecimalText(text)).toBe(config);
    expect(decimalText(text)).toBe(venue);
  });

  it('config exponents are bounded; normalising keeps plain text as written', () => {
    expect(isDecimalText('1e30')).toBe(true);
    expect(isDecimalText('1e31')).toBe(false);
    expect(isDecimalText('1e-31')).toBe(false);
    expect(normaliseDecimal('0.10')).toBe('0.10');
    expect(normaliseDecimal('1.50e2')).toBe('150');
  });

  it('property: a number reads as the same decimal whether it comes as a JSON number, a venue value or config text', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const venue = decimalText(x)!;
        // canonical: no leading zeros, no trailing fraction zeros, no "-0"
        expect(venue).toMatch(/^-?(?:0|[1-9]\d*)(?:\.\d*[1-9])?$/);
        expect(venue).not.toBe('-0');
        expect(Number(venue)).toBe(x === 0 ? 0 : x);
        // the config path expands the same exponent text to the same digits
        const canonicalConfig = decimalText(normaliseDecimal(String(x)));
        expect(canonicalConfig).toBe(venue);
        if (x >= 0) expect(decimalText(decimalTextFromNumber(x))).toBe(venue);
        if (x !== 0) expect(decimalText(-x)).toBe(negDecimal(venue));
      }),
      { numRuns: 2000 },
    );
  });

  it('property: fixed and shortest formatting agree with each other and with the parser', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.integer({ min: 0, max: 24 }), (units, scale) => {
        const fixed = fixedDecimalText(units, scale);
        expect(parseSignedDecimal(fixed)).toEqual({ units, scale });
        expect(fixed.split('.')[1]?.length ?? 0).toBe(scale);
        const shortest = signedDecimalText(units, scale);
        expect(decimalText(fixed)).toBe(shortest);
        const p = parseSignedDecimal(shortest)!;
        expect(p.units * 10n ** BigInt(scale - p.scale)).toBe(units);
      }),
      { numRuns: 2000 },
    );
  });
});
