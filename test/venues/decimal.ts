/**
 * Exact decimal helpers for the fake venues (test infrastructure, self-contained on purpose).
 *
 * Prices and quantities cross the wire as decimal strings; inside the fakes they are integer ticks and lots
 * (what the crossing engine takes), and money amounts (balances, notionals) are bigint multiples of 10^-AMOUNT_SCALE.
 * Nothing here rounds silently except the explicit `floorDiv`/`formatAmount(…, decimals)` helpers.
 */

/** Decimal places of the fixed-point bigint used for balances and notionals. */
export const AMOUNT_SCALE = 18;
const AMOUNT_ONE = 10n ** BigInt(AMOUNT_SCALE);

const DEC_RE = /^(\d*)(?:\.(\d*))?$/;

/** Parses a non-negative decimal string (no exponent, no sign) into a bigint amount; undefined when malformed. */
export function parseAmount(text: string | undefined | null): bigint | undefined {
  if (typeof text !== 'string') return undefined;
  const m = DEC_RE.exec(text.trim());
  if (m === null) return undefined;
  const intPart = m[1] ?? '';
  const frac = m[2] ?? '';
  if (intPart === '' && frac === '') return undefined;
  if (frac.length > AMOUNT_SCALE) {
    // more digits than we keep: accept only trailing zeros
    if (!/^0*$/.test(frac.slice(AMOUNT_SCALE))) return undefined;
  }
  const f = (frac + '0'.repeat(AMOUNT_SCALE)).slice(0, AMOUNT_SCALE);
  return BigInt((intPart === '' ? '0' : intPart) + f);
}

/** Formats an amount with exactly `decimals` places (truncating toward zero), or minimal digits when omitted. */
export function formatAmount(amount: bigint, decimals?: number): string {
  const neg = amount < 0n;
  const abs = neg ? -amount : amount;
  const int = abs / AMOUNT_ONE;
  let frac = (abs % AMOUNT_ONE).toString().padStart(AMOUNT_SCALE, '0');
  if (decimals === undefined) {
    frac = frac.replace(/0+$/, '');
  } else {
    frac = frac.slice(0, decimals);
  }
  const body = frac.length > 0 ? `${int}.${frac}` : `${int}`;
  return neg && /[1-9]/.test(body) ? `-${body}` : body;
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
