/**
 * Exact conversion between decimal strings (the edges: API, YAML, venues) and integer multiples of an
 * increment (ticks of a tick size, lots of a lot size) used everywhere in the core.
 * Nothing here rounds silently: a value off the grid is an error. BigInt is used only at the edges.
 */
const DECIMAL_RE = /^(\d+)(?:\.(\d+))?$/;
const SIGNED_DECIMAL_RE = /^(-?)(\d+)(?:\.(\d+))?$/;

/** A parsed non-negative decimal: value = units / 10^scale. */
export interface ParsedDecimal {
  readonly units: bigint;
  readonly scale: number;
}

export function parseDecimal(text: string): ParsedDecimal | undefined {
  const m = DECIMAL_RE.exec(text);
  if (m === null) return undefined;
  const frac = m[2] ?? '';
  return { units: BigInt(m[1] + frac), scale: frac.length };
}

/** Signed decimal (fees in basis points may be negative for maker rebates). */
export function parseSignedDecimal(text: string): { units: bigint; scale: number } | undefined {
  const m = SIGNED_DECIMAL_RE.exec(text);
  if (m === null) return undefined;
  const frac = m[3] ?? '';
  const units = BigInt(m[2] + frac);
  return { units: m[1] === '-' ? -units : units, scale: frac.length };
}

/**
 * Canonical text for a JSON number received at an edge: the shortest round-trip representation
 * (what the sender typed for up to 15-17 significant digits), with exponents expanded.
 * Returns undefined for NaN, infinities and negative numbers.
 */
export function decimalTextFromNumber(value: number): string | undefined {
  if (!Number.isFinite(value) || value < 0) return undefined;
  const s = String(value);
  const e = s.indexOf('e');
  if (e < 0) return s;
  const mantissa = s.slice(0, e);
  const exp = Number(s.slice(e + 1));
  const [intPart, fracPart = ''] = mantissa.split('.');
  const digits = intPart + fracPart;
  const point = intPart.length + exp;
  if (point <= 0) return '0.' + '0'.repeat(-point) + digits;
  if (point >= digits.length) return digits + '0'.repeat(point - digits.length);
  return digits.slice(0, point) + '.' + digits.slice(point);
}

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

function formatUnits(units: bigint, scale: number): string {
  const neg = units < 0n;
  let digits = (neg ? -units : units).toString();
  if (scale > 0) {
    if (digits.length <= scale) digits = '0'.repeat(scale - digits.length + 1) + digits;
    digits = digits.slice(0, digits.length - scale) + '.' + digits.slice(digits.length - scale);
  }
  return neg ? '-' + digits : digits;
}

export type GridError = 'NOT_A_DECIMAL' | 'OFF_GRID' | 'TOO_LARGE';

/** Result of a conversion: a non-negative safe integer, or an error tag (never thrown). */
export type GridResult = { ok: true; value: number } | { ok: false; error: GridError };

/**
 * An increment such as a tick size "0.01" or a lot size "0.00001". Converts exactly between decimal
 * text and integer counts of the increment.
 */
export class Increment {
  readonly text: string;
  private readonly units: bigint;
  readonly scale: number;

  constructor(text: string) {
    const p = parseDecimal(text);
    if (p === undefined || p.units === 0n) throw new RangeError(`increment must be a positive decimal, got "${text}"`);
    this.units = p.units;
    this.scale = p.scale;
    this.text = formatUnits(p.units, p.scale);
  }

  /** Exact count of increments in `text`; an error when off the grid, not a decimal, or beyond 2^53-1. */
  toCount(text: string): GridResult {
    const p = parseDecimal(text);
    if (p === undefined) return { ok: false, error: 'NOT_A_DECIMAL' };
    // value / increment = (p.units / 10^p.scale) / (units / 10^scale) = p.units * 10^scale / (units * 10^p.scale)
    const num = p.units * pow10(this.scale);
    const den = this.units * pow10(p.scale);
    if (num % den !== 0n) return { ok: false, error: 'OFF_GRID' };
    const count = num / den;
    if (count > BigInt(Number.MAX_SAFE_INTEGER)) return { ok: false, error: 'TOO_LARGE' };
    return { ok: true, value: Number(count) };
  }

  /** Decimal text of `count` increments, written with the increment's number of decimals. */
  toText(count: number): string {
    if (!Number.isSafeInteger(count)) throw new RangeError(`count must be a safe integer, got ${count}`);
    return formatUnits(BigInt(count) * this.units, this.scale);
  }
}

/**
 * The product of a tick count and a lot count is a notional in units of tickSize x lotSize.
 * NotionalScale converts decimal notionals (limits, minimum notional) to and from those units.
 */
export class NotionalScale {
  private readonly units: bigint;
  private readonly scale: number;

  constructor(tick: Increment, lot: Increment) {
    const t = parseDecimal(tick.text)!;
    const l = parseDecimal(lot.text)!;
    this.units = t.units * l.units;
    this.scale = t.scale + l.scale;
  }

  /**
   * Smallest unit count whose value is >= `text`. Use it for a minimum (minimum notional: an order passes when
   * units >= ceilUnits(min)). For a maximum use floorUnits: units <= ceilUnits(max) would let through a notional
   * up to one unit above an off-grid maximum.
   */
  ceilUnits(text: string): number | undefined {
    return this.convert(text, true);
  }

  /** Largest unit count whose value is <= `text`. Use it for a maximum (a limit: an order passes when units <= floorUnits(max)). */
  floorUnits(text: string): number | undefined {
    return this.convert(text, false);
  }

  toText(units: number): string {
    return formatUnits(BigInt(units) * this.units, this.scale);
  }

  private convert(text: string, ceil: boolean): number | undefined {
    const p = parseDecimal(text);
    if (p === undefined) return undefined;
    const num = p.units * pow10(this.scale);
    const den = this.units * pow10(p.scale);
    let q = num / den;
    if (ceil && q * den !== num) q += 1n;
    // A limit beyond what a safe integer holds is effectively unlimited.
    return q > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(q);
  }
}

/**
 * Multiply a notional (price ticks x qty lots) without leaving the safe-integer range; saturates. The edges refuse
 * orders whose notional would not fit (NOTIONAL_TOO_LARGE, InstrumentRegistry.notionalFits), so within an order's
 * limit this never saturates; a fill far beyond its order's limit still could (counted by pre-trade risk).
 */
export function notionalUnits(priceTicks: number, qtyLots: number): number {
  const n = priceTicks * qtyLots;
  return n > Number.MAX_SAFE_INTEGER ? Number.MAX_SAFE_INTEGER : n;
}

/**
 * Fee of a trade in quote currency as exact decimal text: price x quantity x bps / 10,000. Negative bps
 * (a maker rebate) give a negative fee. Off the hot path (venue adapters and reports).
 */
export function feeText(tick: Increment, lot: Increment, priceTicks: number, qtyLots: number, bps: string): string {
  const b = parseSignedDecimal(bps);
  if (b === undefined) throw new RangeError(`fee bps "${bps}" is not a decimal`);
  const t = parseDecimal(tick.text)!;
  const l = parseDecimal(lot.text)!;
  const units = BigInt(priceTicks) * t.units * BigInt(qtyLots) * l.units * b.units;
  return trimZeros(formatUnits(units, t.scale + l.scale + b.scale + 4));
}

/** Shortest decimal text of units / 10^scale (signed; no trailing zeros): the inverse of parseSignedDecimal. */
export function signedDecimalText(units: bigint, scale: number): string {
  return trimZeros(formatUnits(units, scale));
}

function trimZeros(text: string): string {
  if (!text.includes('.')) return text;
  const t = text.replace(/0+$/, '').replace(/\.$/, '');
  return t === '-0' ? '0' : t;
}
