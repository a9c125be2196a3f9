/**
 * Exact decimal helpers for the fake venues (test infrastructure).
 *
 * Prices and quantities cross the wire as decimal strings; inside the fakes they are integer ticks and lots
 * (what the crossing engine takes), and money amounts (balances, notionals) are bigint multiples of 10^-AMOUNT_SCALE.
 * Text is read and written with the project's decimal module (src/model/decimal.ts): that is exact arithmetic, not
 * behaviour under test; what the fakes send stays the venues' own formatting (a fixed number of decimals where the
 * venue writes one, truncated, or the shortest form). Nothing here rounds silently except the explicit
 * `floorDiv`/`formatAmount(…, decimals)` helpers.
 */
import { fixedDecimalText, parseDecimal, signedDecimalText } from '../../src/model/decimal.js';

/** Decimal places of the fixed-point bigint used for balances and notionals. */
export const AMOUNT_SCALE = 18;
const AMOUNT_ONE = 10n ** BigInt(AMOUNT_SCALE);

/**
 * Parses a non-negative plain decimal string (surrounding white space allowed; no sign, no exponent) into a bigint
 * amount; undefined when malformed or when it has non-zero digits beyond AMOUNT_SCALE decimals.
 */
export function parseAmount(text: string | undefined | null): bigint | undefined {
  if (typeof text !== 'string') return undefined;
  const p = parseDecimal(text.trim());
  if (p === undefined) return undefined;
  if (p.scale <= AMOUNT_SCALE) return p.units * 10n ** BigInt(AMOUNT_SCALE - p.scale);
  // more digits than we keep: accept only trailing zeros
  const drop = 10n ** BigInt(p.scale - AMOUNT_SCALE);
  return p.units % drop === 0n ? p.units / drop : undefined;
}

/** Formats an amount with exactly `decimals` places (truncating toward zero), or minimal digits when omitted. */
export function formatAmount(amount: bigint, decimals?: number): string {
  if (decimals === undefined) return signedDecimalText(amount, AMOUNT_SCALE);
  // bigint division truncates toward zero; a value that truncates to zero has no sign ("0.00", never "-0.00")
  const places = Math.min(decimals, AMOUNT_SCALE);
  return fixedDecimalText(amount / 10n ** BigInt(AMOUNT_SCALE - places), places);
}

/** A price or quantity grid: decimal increment <-> integer steps. */
export class Grid {
  readonly increment: bigint;
  readonly text: string;
  /** Decimal places of the increment (e.g. 2 for 0.01, 0 for 1). */
  readonly decimals: number;

  constructor(incrementText: string) {
    const inc = parseAmount(incrementText);
    if (inc === undefined || inc <= 0n) throw new RangeError(`bad increment ${incrementText}`);
    this.increment = inc;
    this.text = formatAmount(inc);
    const dot = this.text.indexOf('.');
    this.decimals = dot < 0 ? 0 : this.text.length - dot - 1;
  }

  /**
   * Steps for a decimal string: a safe integer >= 0, or 'malformed' / 'off-grid' / 'too-large'.
   */
  steps(text: string | undefined | null): number | 'malformed' | 'off-grid' | 'too-large' {
    const v = parseAmount(text);
    if (v === undefined) return 'malformed';
    if (v % this.increment !== 0n) return 'off-grid';
    const n = v / this.increment;
    if (n > BigInt(Number.MAX_SAFE_INTEGER)) return 'too-large';
    return Number(n);
  }

  /** Largest whole number of steps not above `amount`. */
  floorSteps(amount: bigint): number {
    if (amount <= 0n) return 0;
    const n = amount / this.increment;
    return n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n);
  }

  /** Amount of `steps` increments. */
  amount(steps: number): bigint {
    return BigInt(steps) * this.increment;
  }

  /** Decimal text of `steps` increments with `decimals` places (default: the increment's own). */
  format(steps: number, decimals: number = this.decimals): string {
    return formatAmount(this.amount(steps), decimals);
  }
}

/** price * qty as an amount, given steps on two grids. */
export function notional(priceGrid: Grid, priceTicks: number, lotGrid: Grid, lots: number): bigint {
  return (BigInt(priceTicks) * priceGrid.increment * BigInt(lots) * lotGrid.increment) / AMOUNT_ONE;
}

/** Lots affordable with `quote` at `priceTicks`, floor. */
export function lotsForQuote(priceGrid: Grid, priceTicks: number, lotGrid: Grid, quote: bigint): number {
  const perLot = notional(priceGrid, priceTicks, lotGrid, 1);
  if (perLot <= 0n || quote <= 0n) return 0;
  const n = quote / perLot;
  return n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n);
}

/** Average price text = quote / base, with `decimals` places, or '0' when base is 0. */
export function averagePrice(quote: bigint, base: bigint, decimals: number): string {
  if (base === 0n) return formatAmount(0n, decimals);
  return formatAmount((quote * AMOUNT_ONE) / base, decimals);
}
