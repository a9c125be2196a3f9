/**
 * Exact decimal text helpers for values received from venues (fees, quantities). No float arithmetic: numbers
 * from ccxt are turned into their shortest round-trip text first, which is what the venue sent for ordinary values.
 */
import { decimalTextFromNumber, parseSignedDecimal } from '../../src/model/decimal.js';

const SIGNED_RE = /^[+-]?\d+(?:\.\d+)?$/;

/** Canonical signed decimal text of a venue value (string or number), or undefined when it is not a decimal. */
export function decimalText(value: unknown): string | undefined {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return undefined;
    const t = decimalTextFromNumber(Math.abs(value));
    return t === undefined ? undefined : normalise((value < 0 ? '-' : '') + t);
  }
  if (typeof value === 'string') {
    const s = value.trim();
    if (!SIGNED_RE.test(s)) return undefined;
    return normalise(s.startsWith('+') ? s.slice(1) : s);
  }
  return undefined;
}

/** Drops leading zeros of the integer part and trailing zeros of the fraction; "-0" becomes "0". */
function normalise(text: string): string {
  const p = parseSignedDecimal(text);
  if (p === undefined) return text;
  return format(p.units, p.scale);
}

function format(units: bigint, scale: number): string {
  const neg = units < 0n;
  let digits = (neg ? -units : units).toString();
  if (scale > 0) {
    if (digits.length <= scale) digits = '0'.repeat(scale - digits.length + 1) + digits;
    digits = `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
    digits = digits.replace(/0+$/, '').replace(/\.$/, '');
  }
  if (digits === '0') return '0';
  return neg ? `-${digits}` : digits;
}

/** Exact product of two signed decimal texts. Throws on non-decimals. */
export function mulDecimal(a: string, b: string): string {
  const x = parseSignedDecimal(a);
  const y = parseSignedDecimal(b);
  if (x === undefined || y === undefined) throw new RangeError(`not decimals: "${a}" x "${b}"`);
  return format(x.units * y.units, x.scale + y.scale);
}

/** The negated decimal text. */
export function negDecimal(a: string): string {
  const x = parseSignedDecimal(a);
  if (x === undefined) throw new RangeError(`not a decimal: "${a}"`);
  return format(-x.units, x.scale);
}

export function isZeroDecimal(a: string): boolean {
  const x = parseSignedDecimal(a);
  return x !== undefined && x.units === 0n;
}
