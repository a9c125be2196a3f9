import { fixedDecimalText, Increment, NotionalScale, parseDecimal, pow10, type GridResult } from './decimal.js';

/** Extra decimals shown on average prices (truncated, never rounded up). */
const AVG_EXTRA_DECIMALS = 8;
const AVG_SCALE = pow10(AVG_EXTRA_DECIMALS);
/** Entries of an instrument's cache of average price texts (a power of two). */
const AVG_CACHE_SIZE = 32;

/** What a configured instrument needs to be built. Decimal values are strings. */
export interface InstrumentSpec {
  readonly symbol: string;
  readonly base: string;
  readonly quote: string;
  readonly tickSize: string;
  readonly lotSize: string;
  /** Minimum order quantity (decimal), defaults to one lot. */
  readonly minQty?: string | undefined;
  /** Minimum price x quantity in quote currency (decimal), defaults to 0. */
  readonly minNotional?: string | undefined;
}

/**
 * A tradable instrument. Prices are integer ticks, quantities integer lots; notionals (ticks x lots) are in
 * units of tickSize x lotSize of the quote currency.
 */
export class Instrument {
  readonly symbol: string;
  readonly base: string;
  readonly quote: string;
  /** Dense index, assigned in configuration order; used by typed-array tables. */
  readonly index: number;
  readonly tick: Increment;
  readonly lot: Increment;
  readonly notional: NotionalScale;
  readonly minQtyLots: number;
  /** Minimum notional in ticks x lots units. */
  readonly minNotionalUnits: number;
  /** averagePrice's texts of whole tick prices, direct-mapped by the price's low bits. */
  private readonly avgTicks = new Float64Array(AVG_CACHE_SIZE).fill(NaN);
  private readonly avgTexts: string[] = new Array<string>(AVG_CACHE_SIZE).fill('');

  constructor(spec: InstrumentSpec, index: number) {
    this.symbol = spec.symbol;
    this.base = spec.base;
    this.quote = spec.quote;
    this.index = index;
    this.tick = new Increment(spec.tickSize);
    this.lot = new Increment(spec.lotSize);
    this.notional = new NotionalScale(this.tick, this.lot);
    if (spec.minQty !== undefined) {
      const r = this.lot.toCount(spec.minQty);
      if (!r.ok || r.value < 1) throw new RangeError(`${spec.symbol}: minQty ${spec.minQty} must be a positive whole number of lots (${spec.lotSize})`);
      this.minQtyLots = r.value;
    } else {
      this.minQtyLots = 1;
    }
    const mn = spec.minNotional === undefined ? 0 : this.notional.ceilUnits(spec.minNotional);
    if (mn === undefined) throw new RangeError(`${spec.symbol}: minNotional ${spec.minNotional} is not a decimal`);
    this.minNotionalUnits = mn;
  }

  priceToTicks(text: string): GridResult {
    return this.tick.toCount(text);
  }

  qtyToLots(text: string): GridResult {
    return this.lot.toCount(text);
  }

  ticksToPrice(ticks: number): string {
    return this.tick.toText(ticks);
  }

  lotsToQty(lots: number): string {
    return this.lot.toText(lots);
  }

  /**
   * The average price of `lots` filled for `notional` (ticks x lots units) as price text with the tick's decimals
   * plus AVG_EXTRA_DECIMALS, truncated (never rounded up), trailing zeros dropped; null when nothing is filled.
   */
  averagePrice(notional: number, lots: number): string | null {
    if (!(lots > 0)) return null;
    // every lot at one price (the usual case: one fill, or fills at the same price): that price, its text made once
    // per price (a safe-integer notional divisible by lots: the quotient is exact in doubles)
    if (Number.isSafeInteger(notional) && notional % lots === 0) {
      const ticks = notional / lots;
      const k = ticks & (AVG_CACHE_SIZE - 1);
      if (this.avgTicks[k] === ticks) return this.avgTexts[k]!;
      const text = withoutTrailingZeros(this.tick.toText(ticks));
      this.avgTicks[k] = ticks;
      this.avgTexts[k] = text;
      return text;
    }
    // truncated in the price's last decimal (not in ticks: a tick of 25 would multiply the truncation by 25)
    const scaled = (BigInt(notional) * this.tick.units * AVG_SCALE) / BigInt(lots);
    return withoutTrailingZeros(fixedDecimalText(scaled, this.tick.scale + AVG_EXTRA_DECIMALS));
  }
}

/** Instruments by symbol and by index. */
export class InstrumentRegistry {
  private readonly bySymbol = new Map<string, Instrument>();
  readonly list: readonly Instrument[];

  /**
   * Notionals of all instruments are counted in one unit, 10^-notionalScale of the quote currency (S = the largest
   * tick decimals + lot decimals): pre-trade risk sums them exactly there.
   */
  readonly notionalScale: number;
  /** Per instrument: common units per (tick x lot). */
  readonly notionalFactor: Float64Array;
  /**
   * Per instrument: the largest price ticks x quantity lots whose notional in common units is still a safe integer.
   * An order above it is refused at the edge (NOTIONAL_TOO_LARGE): the core never holds a notional it cannot count
   * exactly (ticks x lots for average prices, x factor for risk reservations).
   */
  readonly maxNotionalUnits: Float64Array;

  constructor(specs: readonly InstrumentSpec[]) {
    this.list = specs.map((s, i) => new Instrument(s, i));
    for (const ins of this.list) {
      if (this.bySymbol.has(ins.symbol)) throw new RangeError(`duplicate instrument ${ins.symbol}`);
      this.bySymbol.set(ins.symbol, ins);
    }
    let scale = 0;
    for (const ins of this.list) scale = Math.max(scale, ins.tick.scale + ins.lot.scale);
    this.notionalScale = scale;
    this.notionalFactor = new Float64Array(this.list.length);
    this.maxNotionalUnits = new Float64Array(this.list.length);
    const max = BigInt(Number.MAX_SAFE_INTEGER);
    for (const ins of this.list) {
      const t = parseDecimal(ins.tick.text)!;
      const l = parseDecimal(ins.lot.text)!;
      const f = t.units * l.units * 10n ** BigInt(scale - ins.tick.scale - ins.lot.scale);
      // a factor beyond a safe integer leaves no order small enough (pre-trade risk refuses such a configuration)
      this.notionalFactor[ins.index] = f > max ? Infinity : Number(f);
      this.maxNotionalUnits[ins.index] = f > max ? 0 : Number(max / f);
    }
  }

  /**
   * True when `priceTicks` x `qtyLots` of instrument `index` is a notional the core holds exactly (see
   * maxNotionalUnits). Exact for any safe-integer inputs: a product above the bound rounds to a double that is
   * still above it. Allocates nothing (the submit path calls it).
   */
  notionalFits(index: number, priceTicks: number, qtyLots: number): boolean {
    return priceTicks * qtyLots <= this.maxNotionalUnits[index]!;
  }

  get(symbol: string): Instrument | undefined {
    return this.bySymbol.get(symbol);
  }

  at(index: number): Instrument {
    const ins = this.list[index];
    if (ins === undefined) throw new RangeError(`no instrument at index ${index}`);
    return ins;
  }
}

/** A decimal text without the zeros at the end of its fraction (and its point, when nothing is left after it). */
function withoutTrailingZeros(text: string): string {
  if (!text.includes('.')) return text;
  // by hand, not by a regular expression: averagePrice makes one for every price its cache misses (history rows)
  let end = text.length;
  while (text.charCodeAt(end - 1) === 48 /* 0 */) end--;
  if (text.charCodeAt(end - 1) === 46 /* . */) end--;
  return end === text.length ? text : text.slice(0, end);
}
