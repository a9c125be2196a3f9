/**
 * Decimal strings as they appear in the YAML config (tick sizes, lot sizes, quantities, notionals, prices, fees).
 *
 * Money never goes through a JS float here: values are kept as their source text, validated with a strict regex,
 * and compared with bigint arithmetic. Exponent forms ("1e-8", "2.5E3") are normalised to plain decimals.
 */

/** Plain decimal: optional minus, no leading zeros (except a lone 0), optional fraction. "0.01", "-1", "60000". */
export const PLAIN_DECIMAL_RE = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?$/;
/** Decimal in exponent form, as YAML writes small floats: "1e-8", "2.5E+3". */
export const EXPONENT_DECIMAL_RE = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?[eE][+-]?[0-9]+$/;

/** Exponents beyond this are rejected (no instrument needs them and they would expand to huge strings). */
export const MAX_DECIMAL_EXPONENT = 30;

export function isDecimalText(text: string): boolean {
  if (PLAIN_DECIMAL_RE.test(text)) return true;
  if (!EXPONENT_DECIMAL_RE.test(text)) return false;
  const exp = Number(text.slice(text.search(/[eE]/) + 1));
  return Math.abs(exp) <= MAX_DECIMAL_EXPONENT;
}

/**
 * Normalise a valid decimal text: exponent forms become plain decimals ("1e-8" -> "0.00000001",
 * "1.5e3" -> "1500"); plain decimals are returned unchanged (their source text is kept as written).
 */
export function normaliseDecimal(text: string): string {
  if (!EXPONENT_DECIMAL_RE.test(text)) return text;
  const negative = text.startsWith('-');
  const body = negative ? text.slice(1) : text;
  const eAt = body.search(/[eE]/);
  const mantissa = body.slice(0, eAt);
  const exp = Number(body.slice(eAt + 1));
  const dot = mantissa.indexOf('.');
  const intPart = dot < 0 ? mantissa : mantissa.slice(0, dot);
  const fracPart = dot < 0 ? '' : mantissa.slice(dot + 1);
  const digits = intPart + fracPart;
  let point = intPart.length + exp; // position of the decimal point inside `digits`
  let padded = digits;
  if (point <= 0) {
    padded = '0'.repeat(1 - point) + digits;
    point = 1;
  } else if (point > digits.length) {
    padded = digits + '0'.repeat(point - digits.length);
  }
  let whole = padded.slice(0, point).replace(/^0+(?=[0-9])/, '');
  const frac = padded.slice(point).replace(/0+$/, '');
  if (whole === '') whole = '0';
  const out = frac === '' ? whole : `${whole}.${frac}`;
  const isZero = /^0(?:\.0*)?$/.test(out);
  return negative && !isZero ? `-${out}` : out;
}

/** A decimal as an exact scaled integer: value = units / 10^scale. */
export interface ScaledDecimal {
  units: bigint;
  scale: number;
}

/** Parse a plain decimal (as produced by normaliseDecimal) into a scaled bigint. */
export function toScaled(text: string): ScaledDecimal {
  const plain = normaliseDecimal(text);
  const negative = plain.startsWith('-');
  const body = negative ? plain.slice(1) : plain;
  const dot = body.indexOf('.');
  const digits = dot < 0 ? body : body.slice(0, dot) + body.slice(dot + 1);
  const scale = dot < 0 ? 0 : body.length - dot - 1;
  const units = BigInt(digits);
  return { units: negative ? -units : units, scale };
}

function align(a: ScaledDecimal, b: ScaledDecimal): [bigint, bigint] {
  const scale = Math.max(a.scale, b.scale);
  return [a.units * 10n ** BigInt(scale - a.scale), b.units * 10n ** BigInt(scale - b.scale)];
}

/** Sign of a decimal text: -1, 0 or 1. */
export function decimalSign(text: string): -1 | 0 | 1 {
  const { units } = toScaled(text);
  return units === 0n ? 0 : units < 0n ? -1 : 1;
}

/** Compare two decimal texts exactly: -1, 0 or 1. */
export function compareDecimals(a: string, b: string): -1 | 0 | 1 {
  const [x, y] = align(toScaled(a), toScaled(b));
  return x === y ? 0 : x < y ? -1 : 1;
}

/**
 * If `value` is an exact multiple of `step` (step > 0), the multiple as a bigint; otherwise undefined.
 * Used to check that prices sit on the tick grid and quantities on the lot grid.
 */
export function exactMultiple(value: string, step: string): bigint | undefined {
  const [v, s] = align(toScaled(value), toScaled(step));
  if (s <= 0n) return undefined;
  return v % s === 0n ? v / s : undefined;
}
