/**
 * The project's one decimal text module. Exact conversion between decimal strings (the edges: API, YAML config,
 * venues) and integers: integer multiples of an increment (ticks of a tick size, lots of a lot size) used everywhere
 * in the core, and scaled bigints (value = units / 10^scale) for money off the hot path. Nothing here rounds silently:
 * a value off the grid is an error. BigInt is used only at the edges.
 *
 * The edges differ in what they accept, so each form has its own explicit entry point:
 *  - parseDecimal / parseSignedDecimal: plain digits ("007.50" allowed), an optional "-" for the signed one; no "+",
 *    no exponent, no white space. The API, increments, fee bps.
 *  - isDecimalText / normaliseDecimal: the config's strict form (no leading zeros, exponents up to
 *    MAX_DECIMAL_EXPONENT, as YAML writes small floats); plain text is kept as written.
 *  - decimalTextFromNumber / decimalText: JSON numbers (their shortest round-trip text) and, for decimalText, venue
 *    strings (trimmed, "+" or "-", leading and trailing zeros dropped).
 */
/** String.prototype.charCodeAt as a constant: see src/model/json-text.ts (a megamorphic `text.charCodeAt` per char). */
const charCodeAt = String.prototype.charCodeAt;

const SIGNED_DECIMAL_RE = /^(-?)(\d+)(?:\.(\d+))?$/;
/** What a venue may send as text: either sign, surrounding white space is trimmed first. */
const VENUE_DECIMAL_RE = /^[+-]?\d+(?:\.\d+)?$/;

/** Config plain decimal: optional minus, no leading zeros (except a lone 0), optional fraction. "0.01", "-1", "60000". */
const PLAIN_DECIMAL_RE = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?$/;
/** Config decimal in exponent form, as YAML writes small floats: "1e-8", "2.5E+3"; groups: sign, int, fraction, exponent. */
const EXPONENT_DECIMAL_RE = /^(-?)(0|[1-9][0-9]*)(?:\.([0-9]+))?[eE]([+-]?[0-9]+)$/;
/** Config exponents beyond this are refused (no instrument needs them and they would expand to huge strings). */
export const MAX_DECIMAL_EXPONENT = 30;

/** A parsed non-negative decimal: value = units / 10^scale. */
export interface ParsedDecimal {
  readonly units: bigint;
  readonly scale: number;
}

export function parseDecimal(text: string): ParsedDecimal | undefined {
  return parsePlainDecimal(text, false);
}

/** Digits a double holds exactly whatever they are (10^15 < 2^53). */
const SAFE_DIGITS = 15;

/**
 * parseDecimal (signed: parseSignedDecimal) in one pass over the text, without a regular expression: up to
 * SAFE_DIGITS digits in a double (exact), more through the digits' text (a fill's fee or price is parsed per fill).
 */
function parsePlainDecimal(text: string, signed: boolean): ParsedDecimal | undefined {
  const n = text.length;
  let i = 0;
  let neg = false;
  if (signed && n > 0 && charCodeAt.call(text, 0) === 45) {
    neg = true;
    i = 1;
  }
  const first = i;
  let point = -1;
  let v = 0;
  for (; i < n; i++) {
    const c = charCodeAt.call(text, i);
    if (c === 46) {
      if (point >= 0 || i === first) return undefined;
      point = i;
      continue;
    }
    if (c < 48 || c > 57) return undefined;
    v = v * 10 + (c - 48);
  }
  if (i === first || point === n - 1) return undefined;
  const scale = point < 0 ? 0 : n - 1 - point;
  const digits = n - first - (point < 0 ? 0 : 1);
  let units: bigint;
  if (digits <= SAFE_DIGITS) units = BigInt(v);
  else units = BigInt(point < 0 ? text.slice(first) : text.slice(first, point) + text.slice(point + 1));
  return { units: neg ? -units : units, scale };
}

/** Whether `text` is what parseSignedDecimal accepts (no allocation). */
export function isSignedDecimal(text: string): boolean {
  return SIGNED_DECIMAL_RE.test(text);
}

/** Signed decimal (fees in basis points may be negative for maker rebates). */
export function parseSignedDecimal(text: string): ParsedDecimal | undefined {
  return parsePlainDecimal(text, true);
}

/** Whether `text` is a config decimal: strict plain form, or exponent form with |exponent| <= MAX_DECIMAL_EXPONENT. */
export function isDecimalText(text: string): boolean {
  if (PLAIN_DECIMAL_RE.test(text)) return true;
  const m = EXPONENT_DECIMAL_RE.exec(text);
  return m !== null && Math.abs(Number(m[4])) <= MAX_DECIMAL_EXPONENT;
}

/**
 * Exponent forms become their shortest plain decimal ("1e-8" -> "0.00000001", "1.50e2" -> "150", "-0e3" -> "0");
 * anything else is returned unchanged (a config value's source text is kept as written, "0.10" stays "0.10").
 */
export function normaliseDecimal(text: string): string {
  const m = EXPONENT_DECIMAL_RE.exec(text);
  if (m === null) return text;
  const frac = m[3] ?? '';
  const digits = BigInt(m[2] + frac);
  const scale = frac.length - Number(m[4]);
  const units = scale >= 0 ? digits : digits * pow10(-scale);
  return signedDecimalText(m[1] === '-' ? -units : units, Math.max(0, scale));
}

/**
 * Canonical text for a JSON number received at an edge: the shortest round-trip representation
 * (what the sender typed for up to 15-17 significant digits), with exponents expanded.
 * Returns undefined for NaN, infinities and negative numbers.
 */
export function decimalTextFromNumber(value: number): string | undefined {
  if (!Number.isFinite(value) || value < 0) return undefined;
  // String() of a finite double is either plain and canonical or in the exponent form normaliseDecimal expands
  // (String(-0) is "0").
  return normaliseDecimal(String(value));
}

/**
 * Canonical signed decimal text of a value a venue sent (string or number), or undefined when it is not a decimal:
 * strings are trimmed and may carry "+" or "-" (no exponent); numbers are read as their shortest round-trip text.
 * Leading zeros of the integer part and trailing zeros of the fraction are dropped; "-0" becomes "0".
 */
export function decimalText(value: unknown): string | undefined {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return undefined;
    return canonical(normaliseDecimal(String(value)));
  }
  if (typeof value === 'string') {
    const s = value.trim();
    if (!VENUE_DECIMAL_RE.test(s)) return undefined;
    return canonical(s.startsWith('+') ? s.slice(1) : s);
  }
  return undefined;
}

/** Exact product of two signed decimal texts, shortest form. Throws on non-decimals. */
export function mulDecimal(a: string, b: string): string {
  const x = parseSignedDecimal(a);
  const y = parseSignedDecimal(b);
  if (x === undefined || y === undefined) throw new RangeError(`not decimals: "${a}" x "${b}"`);
  return signedDecimalText(x.units * y.units, x.scale + y.scale);
}

/** Exact sum of two signed decimal texts, shortest form. Throws on non-decimals. */
export function addDecimal(a: string, b: string): string {
  const x = parseSignedDecimal(a);
  const y = parseSignedDecimal(b);
  if (x === undefined || y === undefined) throw new RangeError(`not decimals: "${a}" + "${b}"`);
  const [u, v] = align(x, y);
  return signedDecimalText(u + v, Math.max(x.scale, y.scale));
}

/** The negated signed decimal text, shortest form. Throws on a non-decimal. */
export function negDecimal(a: string): string {
  const x = parseSignedDecimal(a);
  if (x === undefined) throw new RangeError(`not a decimal: "${a}"`);
  return signedDecimalText(-x.units, x.scale);
}

/** Whether a signed decimal text is zero (false for a non-decimal). */
export function isZeroDecimal(a: string): boolean {
  const x = parseSignedDecimal(a);
  return x !== undefined && x.units === 0n;
}

/** A config decimal (isDecimalText) as a scaled bigint. Throws on text that is not one (the schema checks first). */
function toScaled(text: string): ParsedDecimal {
  const p = parseSignedDecimal(normaliseDecimal(text));
  if (p === undefined) throw new RangeError(`not a decimal: "${text}"`);
  return p;
}

function align(a: ParsedDecimal, b: ParsedDecimal): [bigint, bigint] {
  const scale = Math.max(a.scale, b.scale);
  return [a.units * pow10(scale - a.scale), b.units * pow10(scale - b.scale)];
}

/** Sign of a config decimal: -1, 0 or 1. */
export function decimalSign(text: string): -1 | 0 | 1 {
  const { units } = toScaled(text);
  return units === 0n ? 0 : units < 0n ? -1 : 1;
}

/** Compare two config decimals exactly: -1, 0 or 1. */
export function compareDecimals(a: string, b: string): -1 | 0 | 1 {
  const [x, y] = align(toScaled(a), toScaled(b));
  return x === y ? 0 : x < y ? -1 : 1;
}

/**
 * If config decimal `value` is an exact multiple of `step` (step > 0), the multiple as a bigint; otherwise undefined.
 * Used to check that prices sit on the tick grid and quantities on the lot grid.
 */
export function exactMultiple(value: string, step: string): bigint | undefined {
  const [v, s] = align(toScaled(value), toScaled(step));
  if (s <= 0n) return undefined;
  return v % s === 0n ? v / s : undefined;
}

/** 10^0 .. 10^63 as bigints, made once (per-fill money arithmetic scales by these). */
const POW10N: readonly bigint[] = Array.from({ length: 64 }, (_, i) => 10n ** BigInt(i));

/** 10^n as a bigint (n >= 0; a table lookup below 64). */
export function pow10(n: number): bigint {
  return n < 64 ? POW10N[n]! : 10n ** BigInt(n);
}

/**
 * parseSignedDecimal with a one-entry memo: a venue charges the same fee text fill after fill ("0", the same bps of
 * the same size), and a parsed decimal is immutable, so the last text's result is handed out again. One per owner.
 */
export class SignedDecimalMemo {
  private text: string | undefined;
  private parsed: ParsedDecimal | undefined;

  parse(text: string): ParsedDecimal | undefined {
    if (text !== this.text) {
      this.parsed = parseSignedDecimal(text);
      this.text = text;
    }
    return this.parsed;
  }
}

/** Text of units / 10^scale with exactly `scale` decimals (signed): 1234n, 2 -> "12.34"; 5n, 3 -> "0.005". */
export function fixedDecimalText(units: bigint, scale: number): string {
  const neg = units < 0n;
  return withPoint(neg, (neg ? -units : units).toString(), scale);
}

/** `digits` (of a magnitude) with the decimal point `scale` places from the right, zero-padded, signed. */
function withPoint(neg: boolean, digits: string, scale: number): string {
  if (scale > 0) {
    if (digits.length <= scale) digits = '0'.repeat(scale - digits.length + 1) + digits;
    digits = digits.slice(0, digits.length - scale) + '.' + digits.slice(digits.length - scale);
  }
  return neg ? '-' + digits : digits;
}

/**
 * fixedDecimalText of a safe-integer `units` (signed), without a bigint: the number's own digits (a safe integer
 * prints in plain digits, never an exponent).
 */
function fixedSafeText(units: number, scale: number): string {
  const neg = units < 0;
  return withPoint(neg, String(neg ? -units : units), scale);
}

/**
 * Text of `count` x `units` / 10^scale: in doubles when `unitsNumber` (units as a number, or NaN when it is not a
 * safe integer) times count is still a safe integer — a product past 2^53 rounds to a double that is not one, so
 * the check is exact — else in bigints.
 */
function productText(count: number, units: bigint, unitsNumber: number, scale: number): string {
  const product = count * unitsNumber;
  return Number.isSafeInteger(product) ? fixedSafeText(product, scale) : fixedDecimalText(BigInt(count) * units, scale);
}

/** 10^0 .. 10^22: every one is an exact double. */
const POW10 = Float64Array.from({ length: 23 }, (_, i) => 10 ** i);

export type GridError = 'NOT_A_DECIMAL' | 'OFF_GRID' | 'TOO_LARGE';

/** Result of a conversion: a non-negative safe integer, or an error tag (never thrown). */
export type GridResult = { ok: true; value: number } | { ok: false; error: GridError };

const OFF_GRID: GridResult = Object.freeze({ ok: false, error: 'OFF_GRID' });

/** Entries of an increment's cache of texts (a power of two). */
const TEXT_CACHE_SIZE = 32;

/**
 * An increment such as a tick size "0.01" or a lot size "0.00001". Converts exactly between decimal
 * text and integer counts of the increment.
 */
export class Increment {
  readonly text: string;
  /** The increment in units of 10^-scale ("0.25" -> 25n with scale 2). */
  readonly units: bigint;
  private readonly unitsNumber: number;
  /** units as a number when it is a safe integer, else NaN (toText then counts in bigints). */
  private readonly safeUnits: number;
  readonly scale: number;

  constructor(text: string) {
    const p = parseDecimal(text);
    if (p === undefined || p.units === 0n) throw new RangeError(`increment must be a positive decimal, got "${text}"`);
    this.units = p.units;
    this.scale = p.scale;
    this.unitsNumber = Number(p.units);
    this.safeUnits = Number.isSafeInteger(this.unitsNumber) ? this.unitsNumber : NaN;
    this.text = fixedDecimalText(p.units, p.scale);
  }

  /** Exact count of increments in `text`; an error when off the grid, not a decimal, or beyond 2^53-1. */
  toCount(text: string): GridResult {
    // in doubles when every step stays a safe integer (floorCount: exact, and exact about being on the grid)
    const fast = this.floorCount(text);
    if (fast >= 0) return this.lastExact ? { ok: true, value: fast } : OFF_GRID;
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

  /** Whether the last floorCount() was on the grid (no remainder). */
  lastExact = true;

  /**
   * Count of increments in a plain decimal text ("123", "0.0150"), floored, without allocating: for the market-data
   * path, where venues send every price and size as text. -1 when the text is not a plain non-negative decimal or
   * the arithmetic would leave the safe-integer range. `lastExact` tells whether the value was on the grid.
   */
  floorCount(text: string): number {
    let mantissa = 0;
    let frac = -1;
    const n = text.length;
    if (n === 0) return -1;
    for (let i = 0; i < n; i++) {
      const c = charCodeAt.call(text, i);
      if (c === 46 /* . */) {
        if (frac >= 0 || i === 0 || i === n - 1) return -1;
        frac = 0;
        continue;
      }
      if (c < 48 || c > 57) return -1;
      mantissa = mantissa * 10 + (c - 48);
      if (mantissa > Number.MAX_SAFE_INTEGER) return -1;
      if (frac >= 0) frac++;
    }
    const f = frac < 0 ? 0 : frac;
    // value / increment = mantissa / 10^f / (units / 10^scale)
    if (f >= this.scale) {
      const d = this.unitsNumber * POW10[f - this.scale]!;
      if (!(d <= Number.MAX_SAFE_INTEGER)) return -1;
      const q = Math.floor(mantissa / d);
      this.lastExact = q * d === mantissa;
      return q;
    }
    const num = mantissa * POW10[this.scale - f]!;
    if (!(num <= Number.MAX_SAFE_INTEGER)) return -1;
    const q = Math.floor(num / this.unitsNumber);
    this.lastExact = q * this.unitsNumber === num;
    return q;
  }

  /**
   * The texts toText made last, direct-mapped by the count's low bits: an order's quantity, its filled quantity and
   * its limit price are written into every answer and event about it (a hit is one comparison, no string made).
   */
  private readonly textCounts = new Float64Array(TEXT_CACHE_SIZE).fill(NaN);
  private readonly texts: string[] = new Array<string>(TEXT_CACHE_SIZE).fill('');

  /** Decimal text of `count` increments, written with the increment's number of decimals. */
  toText(count: number): string {
    const k = count & (TEXT_CACHE_SIZE - 1);
    if (this.textCounts[k] === count) return this.texts[k]!;
    if (!Number.isSafeInteger(count)) throw new RangeError(`count must be a safe integer, got ${count}`);
    const text = productText(count, this.units, this.safeUnits, this.scale);
    this.textCounts[k] = count;
    this.texts[k] = text;
    return text;
  }
}

/**
 * The product of a tick count and a lot count is a notional in units of tickSize x lotSize.
 * NotionalScale converts decimal notionals (limits, minimum notional) to and from those units.
 */
export class NotionalScale {
  private readonly units: bigint;
  /** units as a number when it is a safe integer, else NaN. */
  private readonly safeUnits: number;
  private readonly scale: number;

  constructor(tick: Increment, lot: Increment) {
    const t = parseDecimal(tick.text)!;
    const l = parseDecimal(lot.text)!;
    this.units = t.units * l.units;
    this.safeUnits = this.units <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(this.units) : NaN;
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
    return productText(units, this.units, this.safeUnits, this.scale);
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
  return trimZeros(fixedDecimalText(units, t.scale + l.scale + b.scale + 4));
}

/** Entries of a FeeRate's memo of texts made (a power of two). */
const FEE_MEMO_SIZE = 16;
const FEE_MEMO_MASK = FEE_MEMO_SIZE - 1;

/**
 * feeText for one instrument's increments and one rate, with the increments and the bps parsed once: a venue that
 * charges the same rate fill after fill (the paper venue) makes each fee's text from integers, without parsing decimal
 * text per fill. text() is byte-identical to feeText(tick, lot, priceTicks, qtyLots, bps) and throws what it throws
 * (bps not a decimal, a price or quantity BigInt refuses); test/paper/fee-rate.test.ts compares the two on random
 * input. When price x quantity x rate fits a safe integer the fee is computed in doubles (exact there), else in bigints.
 */
export class FeeRate {
  /** tick units x lot units x bps units: the fee is priceTicks x qtyLots x factor / 10^scale. */
  private readonly factor: bigint;
  /** `factor` as a double when it is a safe integer, else NaN (no double path). */
  private readonly factorNumber: number;
  private readonly scale: number;
  /** Whether `bps` is a signed decimal (when not, text() throws as feeText does). */
  private readonly valid: boolean;
  /**
   * The texts made last, direct-mapped by (price ^ quantity) & FEE_MEMO_MASK: a venue's fills repeat the same price and
   * quantity fill after fill (takers of one size against one level), and a text already made is returned, not made
   * again (a string is a value: the same text either way). Only texts made without throwing are kept; NaN (no entry)
   * never equals a price.
   */
  private readonly memoPrice = new Float64Array(FEE_MEMO_SIZE).fill(Number.NaN);
  private readonly memoQty = new Float64Array(FEE_MEMO_SIZE).fill(Number.NaN);
  private readonly memoText: string[] = new Array<string>(FEE_MEMO_SIZE).fill('');

  constructor(readonly tick: Increment, readonly lot: Increment, readonly bps: string) {
    const b = parseSignedDecimal(bps);
    const t = parseDecimal(tick.text)!;
    const l = parseDecimal(lot.text)!;
    this.valid = b !== undefined;
    this.factor = b === undefined ? 0n : t.units * l.units * b.units;
    const f = Number(this.factor);
    this.factorNumber = Number.isSafeInteger(f) ? f : Number.NaN;
    this.scale = t.scale + l.scale + (b === undefined ? 0 : b.scale) + 4;
  }

  /** Fee of a trade of `qtyLots` at `priceTicks`, as feeText writes it. */
  text(priceTicks: number, qtyLots: number): string {
    const k = (priceTicks ^ qtyLots) & FEE_MEMO_MASK;
    if (this.memoPrice[k] === priceTicks && this.memoQty[k] === qtyLots) return this.memoText[k]!;
    const text = this.make(priceTicks, qtyLots);
    this.memoPrice[k] = priceTicks;
    this.memoQty[k] = qtyLots;
    this.memoText[k] = text;
    return text;
  }

  private make(priceTicks: number, qtyLots: number): string {
    if (!this.valid) return feeText(this.tick, this.lot, priceTicks, qtyLots, this.bps); // throws its error
    if (Number.isSafeInteger(priceTicks) && Number.isSafeInteger(qtyLots)) {
      // |factor| is 0 or at least 1, so a product at most 2^53 - 1 in magnitude had every step exact (a step
      // beyond 2^53 rounds to 2^53 or more, which the check refuses); NaN factor fails the check too.
      const n = priceTicks * qtyLots * this.factorNumber;
      if (n <= Number.MAX_SAFE_INTEGER && n >= -Number.MAX_SAFE_INTEGER) return safeIntegerDecimalText(n, this.scale);
    }
    return signedDecimalText(BigInt(priceTicks) * BigInt(qtyLots) * this.factor, this.scale);
  }
}

/** '', '0', '00', ... up to 22 zeros, made once (the leading zeros of a fraction). */
const ZEROS: readonly string[] = Array.from({ length: 23 }, (_, i) => '0'.repeat(i));

/**
 * signedDecimalText for a safe integer `units` given as a double: trailing zeros are dropped from the number itself,
 * and up to 22 decimals the integer and fraction parts are split exactly in doubles (10^s is exact, % is exact, and
 * the difference divides exactly).
 */
function safeIntegerDecimalText(units: number, scale: number): string {
  if (units === 0) return '0'; // -0 too
  const neg = units < 0;
  let n = neg ? -units : units;
  let s = scale;
  while (s > 0 && n % 10 === 0) {
    n /= 10; // exact: n is a multiple of 10
    s--;
  }
  let text: string;
  if (s === 0) {
    text = String(n); // plain digits: an integer below 2^53 is never written with an exponent
  } else if (s < POW10.length) {
    const p = POW10[s]!;
    const frac = n % p; // not 0: its last digit is not 0
    const fracDigits = String(frac);
    text = String((n - frac) / p) + '.' + ZEROS[s - fracDigits.length]! + fracDigits;
  } else {
    text = fixedDecimalText(BigInt(n), s);
  }
  return neg ? '-' + text : text;
}

/** Shortest decimal text of units / 10^scale (signed; no trailing zeros): the inverse of parseSignedDecimal. */
export function signedDecimalText(units: bigint, scale: number): string {
  return trimZeros(fixedDecimalText(units, scale));
}

/** Canonical form of a signed plain decimal text (no leading or trailing zeros, no "-0"). */
function canonical(text: string): string {
  const p = parseSignedDecimal(text);
  return p === undefined ? text : signedDecimalText(p.units, p.scale);
}

function trimZeros(text: string): string {
  if (!text.includes('.')) return text;
  const t = text.replace(/0+$/, '').replace(/\.$/, '');
  return t === '-0' ? '0' : t;
}
