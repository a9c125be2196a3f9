import type { ErrorCode } from '../model/errors.js';
import { parseDecimal, parseSignedDecimal, signedDecimalText } from '../model/decimal.js';
import type { InstrumentRegistry } from '../model/instrument.js';
import type { Side } from '../model/order.js';
import type { Clock } from '../model/clock.js';

/** Limits of one strategy; decimals as strings, as configured. Absent = no limit at this level. */
export interface StrategyRiskSpec {
  readonly id: string;
  readonly symbols: readonly string[];
  readonly maxOrderQty?: Readonly<Record<string, string>> | undefined;
  readonly maxOrderNotional?: string | undefined;
  readonly maxOpenOrders?: number | undefined;
  readonly maxGrossExposure?: string | undefined;
  /** Per symbol, in base units: |position + open orders on the order's side + the order| at most this. */
  readonly maxPosition?: Readonly<Record<string, string>> | undefined;
  /** Token bucket of new orders: refilled at this rate, holding at most `orderBurst` (default: the rate). */
  readonly maxOrdersPerSecond?: number | undefined;
  readonly orderBurst?: number | undefined;
  /** Token bucket of cancels (checked by the intake when a cancel is asked for). */
  readonly maxCancelsPerSecond?: number | undefined;
  readonly cancelBurst?: number | undefined;
}

export interface DaemonRiskSpec {
  readonly maxOpenOrders?: number | undefined;
  readonly maxOrderNotional?: string | undefined;
  readonly maxGrossExposure?: string | undefined;
  /** Per symbol: a limit price more than this many bps through the mark is denied (absent: no collar). */
  readonly priceCollarBps?: Readonly<Record<string, number>> | undefined;
}

/** Side codes of the order store (core/order-store.ts BUY / SELL). */
const BUY = 0;

const MAX = Number.MAX_SAFE_INTEGER;

function signedQty(text: (lots: number) => string, lots: number): string {
  return (lots < 0 ? '-' : '') + text(Math.abs(lots));
}

/**
 * Pre-trade risk, run in the single dispatching thread for every order. Per strategy and for the whole daemon:
 * symbols allowed, maximum order quantity (per symbol), maximum order notional, maximum open orders and maximum
 * gross exposure. Gross exposure = notional of open orders (remaining quantity at the reserved price) + the
 * absolute position of each symbol valued at its mark (last fill price, or the configured reference price).
 *
 * Notionals of different instruments are summed exactly, as integers in one common unit: 10^-S of the quote
 * currency, S the largest (tick decimals + lot decimals) over all instruments. All instruments share one quote
 * currency (checked by the configuration). A limit too large to express in that unit is a construction error.
 * Everything lives in typed arrays: a check allocates nothing.
 */
export class PreTradeRisk {
  private readonly n: number;
  private readonly strategyIds: readonly string[];
  private readonly strategyIndexById = new Map<string, number>();
  /** per instrument: common units per (tick x lot) */
  private readonly factor: Float64Array;
  /** per instrument: mark price in ticks (0 = unknown) */
  private readonly mark: Float64Array;
  /** per strategy x instrument */
  private readonly allowed: Uint8Array;
  private readonly maxQtyLots: Float64Array;
  private readonly position: Float64Array;
  private readonly maxPositionLots: Float64Array;
  /** open (reserved) quantity per side: what is still to fill of the strategy's open buy / sell orders */
  private readonly openBuyLots: Float64Array;
  private readonly openSellLots: Float64Array;
  /** per instrument: price collar in bps (0: none) */
  private readonly collarBps: Float64Array;
  /** per instrument: minimum notional, ticks x lots (a market order is checked at its mark) */
  private readonly minNotional: Float64Array;
  /** per strategy: token buckets of orders and cancels (rate per ms, burst, tokens, last refill in wall ms) */
  private readonly orderRate: Float64Array;
  private readonly orderBurst: Float64Array;
  private readonly orderTokens: Float64Array;
  private readonly orderRefill: Float64Array;
  private readonly cancelRate: Float64Array;
  private readonly cancelBurst: Float64Array;
  private readonly cancelTokens: Float64Array;
  private readonly cancelRefill: Float64Array;
  /** Wall time (ms) in cell 0: the clock's own cell, or one this instance fills from the clock per check. */
  private time: Float64Array = new Float64Array(1);
  private clock: Clock | undefined;
  /** per strategy */
  private readonly maxOrderNotional: Float64Array;
  private readonly maxOpen: Float64Array;
  private readonly maxGross: Float64Array;
  private readonly openOrders: Float64Array;
  private readonly openNotional: Float64Array;
  /** daemon-wide */
  private globalMaxOrderNotional: number;
  private globalMaxOpen: number;
  private globalMaxGross: number;
  private globalOpenOrders = 0;
  private globalOpenNotional = 0;
  /** per strategy x instrument: base-currency fees below one lot, not yet netted from the position (sparse) */
  private readonly feeRemainder = new Map<number, { units: bigint; scale: number }>();
  /** Fills whose base fee left a part lot in `feeRemainder` (not a whole number of lots). */
  feeRemainderFills = 0;
  /** per instrument: sum over strategies of |position| */
  private readonly grossPosition: Float64Array;
  /** Where the exposure sums are written (no double returned from a call: see check). */
  private readonly sum = new Float64Array(1);
  /**
   * Times a notional passed 2^53 - 1 common units and was held at that bound (inexact). Orders whose notional would
   * are refused at the edge (NOTIONAL_TOO_LARGE) and by check() for market orders, so this stays 0; a guard, counted
   * if it ever fires (a journal written before that refusal existed, positions summed beyond the bound).
   */
  saturated = 0;
  /** per instrument: the largest ticks x lots whose notional in common units is a safe integer */
  private readonly maxUnits: Float64Array;
  readonly commonScale: number;

  constructor(
    private readonly instruments: InstrumentRegistry,
    strategies: readonly StrategyRiskSpec[],
    daemon: DaemonRiskSpec,
  ) {
    const list = instruments.list;
    const n = (this.n = list.length);
    let scale = 0;
    for (const ins of list) scale = Math.max(scale, ins.tick.scale + ins.lot.scale);
    this.commonScale = scale;
    this.factor = new Float64Array(n);
    for (const ins of list) {
      // tick x lot = tickUnits x lotUnits / 10^(tickScale+lotScale) = factor / 10^scale
      const t = parseDecimal(ins.tick.text)!;
      const l = parseDecimal(ins.lot.text)!;
      const f = t.units * l.units * 10n ** BigInt(scale - ins.tick.scale - ins.lot.scale);
      if (f > BigInt(MAX)) throw new RangeError(`${ins.symbol}: tick x lot too large for risk accounting`);
      this.factor[ins.index] = Number(f);
    }
    this.maxUnits = Float64Array.from(instruments.maxNotionalUnits);
    this.mark = new Float64Array(n);
    this.collarBps = new Float64Array(n);
    this.minNotional = Float64Array.from(list.map((ins) => ins.minNotionalUnits));
    for (const [sym, bps] of Object.entries(daemon.priceCollarBps ?? {})) {
      const ins = instruments.get(sym);
      if (ins === undefined) throw new RangeError(`risk.priceCollarBps: unknown symbol ${sym}`);
      if (!Number.isSafeInteger(bps) || bps <= 0) throw new RangeError(`risk.priceCollarBps ${sym}: ${bps} is not a positive whole number of bps`);
      this.collarBps[ins.index] = bps;
    }
    const s = strategies.length;
    this.strategyIds = strategies.map((x) => x.id);
    strategies.forEach((x, i) => this.strategyIndexById.set(x.id, i));
    this.allowed = new Uint8Array(s * n);
    this.maxQtyLots = new Float64Array(s * n).fill(MAX);
    this.position = new Float64Array(s * n);
    this.maxPositionLots = new Float64Array(s * n).fill(MAX);
    this.openBuyLots = new Float64Array(s * n);
    this.openSellLots = new Float64Array(s * n);
    this.orderRate = new Float64Array(s);
    this.orderBurst = new Float64Array(s);
    this.orderTokens = new Float64Array(s);
    this.orderRefill = new Float64Array(s);
    this.cancelRate = new Float64Array(s);
    this.cancelBurst = new Float64Array(s);
    this.cancelTokens = new Float64Array(s);
    this.cancelRefill = new Float64Array(s);
    this.maxOrderNotional = new Float64Array(s);
    this.maxOpen = new Float64Array(s);
    this.maxGross = new Float64Array(s);
    this.openOrders = new Float64Array(s);
    this.openNotional = new Float64Array(s);
    this.grossPosition = new Float64Array(n);
    strategies.forEach((spec, si) => {
      for (const sym of spec.symbols) {
        const ins = instruments.get(sym);
        if (ins === undefined) throw new RangeError(`strategy ${spec.id}: unknown symbol ${sym}`);
        this.allowed[si * n + ins.index] = 1;
      }
      for (const [sym, qty] of Object.entries(spec.maxOrderQty ?? {})) {
        const ins = instruments.get(sym);
        if (ins === undefined) throw new RangeError(`strategy ${spec.id}: maxOrderQty for unknown symbol ${sym}`);
        const r = ins.qtyToLots(qty);
        if (!r.ok) throw new RangeError(`strategy ${spec.id}: maxOrderQty ${sym} ${qty} is not a whole number of lots`);
        this.maxQtyLots[si * n + ins.index] = r.value;
      }
      for (const [sym, qty] of Object.entries(spec.maxPosition ?? {})) {
        const ins = instruments.get(sym);
        if (ins === undefined) throw new RangeError(`strategy ${spec.id}: maxPosition for unknown symbol ${sym}`);
        const r = ins.qtyToLots(qty);
        if (!r.ok) throw new RangeError(`strategy ${spec.id}: maxPosition ${sym} ${qty} is not a whole number of lots`);
        this.maxPositionLots[si * n + ins.index] = r.value;
      }
      this.setBucket(this.orderRate, this.orderBurst, this.orderTokens, si, spec.maxOrdersPerSecond, spec.orderBurst, `strategy ${spec.id} maxOrdersPerSecond`);
      this.setBucket(this.cancelRate, this.cancelBurst, this.cancelTokens, si, spec.maxCancelsPerSecond, spec.cancelBurst, `strategy ${spec.id} maxCancelsPerSecond`);
      this.maxOrderNotional[si] = this.limit(spec.maxOrderNotional, `strategy ${spec.id} maxOrderNotional`);
      this.maxOpen[si] = spec.maxOpenOrders ?? MAX;
      this.maxGross[si] = this.limit(spec.maxGrossExposure, `strategy ${spec.id} maxGrossExposure`);
    });
    this.globalMaxOrderNotional = this.limit(daemon.maxOrderNotional, 'risk.maxOrderNotional');
    this.globalMaxOpen = daemon.maxOpenOrders ?? MAX;
    this.globalMaxGross = this.limit(daemon.maxGrossExposure, 'risk.maxGrossExposure');
  }

  /** A token bucket: rate per second (absent: none), burst (default: the rate, at least 1). Starts full. */
  private setBucket(rate: Float64Array, burst: Float64Array, tokens: Float64Array, si: number, perSecond: number | undefined, size: number | undefined, what: string): void {
    if (perSecond === undefined) {
      rate[si] = 0;
      return;
    }
    if (!(perSecond > 0) || !Number.isFinite(perSecond)) throw new RangeError(`${what}: ${perSecond} is not a positive rate`);
    rate[si] = perSecond / 1000;
    burst[si] = size ?? Math.max(1, perSecond);
    if (!(burst[si]! >= 1)) throw new RangeError(`${what}: the burst must be at least 1`);
    tokens[si] = burst[si]!;
  }

  /**
   * The time source of the rate limits (wall ms). With a clock that keeps its time in a cell (CoarseClock,
   * ManualClock), reading it allocates nothing; without a clock the buckets never refill (tests that set none).
   */
  setClock(clock: Clock): void {
    this.clock = clock;
    if (clock.cell !== undefined) this.time = clock.cell;
  }

  /** A decimal limit in common units (rounded down: never more permissive than configured). */
  private limit(text: string | undefined, what: string): number {
    if (text === undefined) return MAX;
    const p = parseDecimal(text);
    if (p === undefined) throw new RangeError(`${what}: ${text} is not a decimal`);
    const units = p.scale <= this.commonScale
      ? p.units * 10n ** BigInt(this.commonScale - p.scale)
      : p.units / 10n ** BigInt(p.scale - this.commonScale);
    if (units >= BigInt(MAX)) {
      throw new RangeError(`${what}: ${text} is too large to account exactly at the instruments' precision (10^-${this.commonScale})`);
    }
    return Number(units);
  }

  /**
   * Take over another instance's limits (configuration reload) while keeping this one's open orders, exposure
   * and positions. The other must have the same strategies and instruments.
   */
  adoptLimits(other: PreTradeRisk): void {
    if (other.strategyIds.join('\n') !== this.strategyIds.join('\n') || other.n !== this.n || other.commonScale !== this.commonScale) {
      throw new RangeError('a reload cannot change the strategies or instruments of pre-trade risk');
    }
    this.allowed.set(other.allowed);
    this.maxQtyLots.set(other.maxQtyLots);
    this.maxPositionLots.set(other.maxPositionLots);
    this.collarBps.set(other.collarBps);
    // new rates and bursts; the tokens in hand stay (at most the new burst)
    for (let i = 0; i < this.orderTokens.length; i++) {
      // a bucket that had no limit starts full
      this.orderTokens[i] = this.orderRate[i] === 0 ? other.orderBurst[i]! : Math.min(this.orderTokens[i]!, other.orderBurst[i]!);
      this.cancelTokens[i] = this.cancelRate[i] === 0 ? other.cancelBurst[i]! : Math.min(this.cancelTokens[i]!, other.cancelBurst[i]!);
    }
    this.orderRate.set(other.orderRate);
    this.orderBurst.set(other.orderBurst);
    this.cancelRate.set(other.cancelRate);
    this.cancelBurst.set(other.cancelBurst);
    this.maxOrderNotional.set(other.maxOrderNotional);
    this.maxOpen.set(other.maxOpen);
    this.maxGross.set(other.maxGross);
    this.globalMaxOrderNotional = other.globalMaxOrderNotional;
    this.globalMaxOpen = other.globalMaxOpen;
    this.globalMaxGross = other.globalMaxGross;
  }

  strategyIndex(id: string): number {
    return this.strategyIndexById.get(id) ?? -1;
  }

  strategyId(index: number): string {
    return this.strategyIds[index]!;
  }

  setMark(instrumentIndex: number, priceTicks: number): void {
    this.mark[instrumentIndex] = priceTicks;
  }

  markOf(instrumentIndex: number): number {
    return this.mark[instrumentIndex]!;
  }

  /** Notional of priceTicks x qtyLots of an instrument in common units (held at 2^53 - 1 and counted beyond it). */
  notional(instrumentIndex: number, priceTicks: number, qtyLots: number): number {
    const units = priceTicks * qtyLots;
    if (units > this.maxUnits[instrumentIndex]!) {
      this.saturated++;
      return MAX;
    }
    return units * this.factor[instrumentIndex]!;
  }

  /*
   * The hot paths below (check, onFill, onClose and the exposure sums) compute notionals inline and pass sums
   * through `this.sum` instead of calling notional() / returning them: a notional is usually above the small-integer
   * range, and a call that returns such a double boxes it on the heap (16 bytes per order) whenever V8 does not
   * inline the call — which it sometimes does not (test/intake/submit-path-allocation.test.ts caught it).
   */

  /**
   * Check an order and, when it passes, reserve it (one open order, its notional). Returns null when the
   * order passes, else the code of the first limit it breaks. `priceTicks` 0 means a market order, valued at
   * the instrument's mark (the caller keeps the price it reserved at: the limit price or that mark).
   */
  check(strategy: number, instrumentIndex: number, side: number, priceTicks: number, qtyLots: number): ErrorCode | null {
    const n = this.n;
    const cell = strategy * n + instrumentIndex;
    if (this.allowed[cell] !== 1) return 'RISK_SYMBOL_NOT_ALLOWED';
    if (qtyLots > this.maxQtyLots[cell]!) return 'RISK_MAX_ORDER_QTY';
    if (this.orderRate[strategy]! > 0 && !this.refill(this.orderRate, this.orderBurst, this.orderTokens, this.orderRefill, strategy)) return 'RISK_ORDER_RATE';
    const mark = this.mark[instrumentIndex]!;
    const price = priceTicks > 0 ? priceTicks : mark;
    if (price === 0) return 'RISK_NO_REFERENCE_PRICE';
    let notional = price * qtyLots;
    // a market order is checked at its mark like a limit order at its price (limit orders were checked at the edge)
    if (priceTicks === 0 && notional < this.minNotional[instrumentIndex]!) return 'BELOW_MIN_NOTIONAL';
    const collar = this.collarBps[instrumentIndex]!;
    if (collar > 0 && priceTicks > 0 && mark > 0) {
      const band = Math.floor((mark * collar) / 10_000);
      if (side === BUY ? priceTicks > mark + band : priceTicks < mark - band) return 'RISK_PRICE_COLLAR';
    }
    // Limit and stop orders beyond the bound were refused at the edge; a market order is valued here, at its mark.
    // Either way nothing is reserved that cannot be counted exactly (exact: see InstrumentRegistry.notionalFits).
    if (notional > this.maxUnits[instrumentIndex]!) return 'NOTIONAL_TOO_LARGE';
    notional *= this.factor[instrumentIndex]!;
    if (notional > this.maxOrderNotional[strategy]! || notional > this.globalMaxOrderNotional) return 'RISK_MAX_NOTIONAL';
    const position = this.position[cell]!;
    if (side === BUY ? position + this.openBuyLots[cell]! + qtyLots > this.maxPositionLots[cell]!
      : this.openSellLots[cell]! + qtyLots - position > this.maxPositionLots[cell]!) {
      return 'RISK_MAX_POSITION';
    }
    if (this.openOrders[strategy]! + 1 > this.maxOpen[strategy]! || this.globalOpenOrders + 1 > this.globalMaxOpen) {
      return 'RISK_MAX_OPEN_ORDERS';
    }
    this.positionExposure(strategy);
    if (this.openNotional[strategy]! + this.sum[0]! + notional > this.maxGross[strategy]!) {
      return 'RISK_MAX_GROSS_EXPOSURE';
    }
    this.globalPositionExposure();
    if (this.globalOpenNotional + this.sum[0]! + notional > this.globalMaxGross) {
      return 'RISK_MAX_GROSS_EXPOSURE';
    }
    if (this.orderRate[strategy]! > 0) this.orderTokens[strategy]!--;
    this.openOrders[strategy]!++;
    this.globalOpenOrders++;
    this.openNotional[strategy]! += notional;
    this.globalOpenNotional += notional;
    if (side === BUY) this.openBuyLots[cell]! += qtyLots;
    else this.openSellLots[cell]! += qtyLots;
    return null;
  }

  /**
   * Whether an order only reduces the strategy's position in the symbol (REDUCING trading state): it is on the other
   * side of the position and, with the strategy's open orders on its side, does not go past flat.
   */
  reduces(strategy: number, instrumentIndex: number, side: number, qtyLots: number): boolean {
    const cell = strategy * this.n + instrumentIndex;
    const position = this.position[cell]!;
    return side === BUY ? position < 0 && this.openBuyLots[cell]! + qtyLots <= -position
      : position > 0 && this.openSellLots[cell]! + qtyLots <= position;
  }

  /**
   * A cancel asked for by the strategy that sends `cancels` cancels to venues (a parent's: one per child): false when
   * it is over its maxCancelsPerSecond (no whole token); otherwise one token is taken per venue cancel. More than the
   * bucket holds leaves it below zero, owed: the strategy's next cancels wait until it has refilled past one again (a
   * parent with more children than `cancelBurst` can still be canceled, and the rate still holds over time).
   */
  takeCancel(strategy: number, cancels = 1): boolean {
    if (this.cancelRate[strategy] === 0) return true;
    if (!this.refill(this.cancelRate, this.cancelBurst, this.cancelTokens, this.cancelRefill, strategy)) return false;
    this.cancelTokens[strategy]! -= cancels;
    return true;
  }

  /** Refills a bucket to now; true when it holds a whole token. */
  private refill(rate: Float64Array, burst: Float64Array, tokens: Float64Array, last: Float64Array, strategy: number): boolean {
    if (this.clock !== undefined && this.clock.cell === undefined) this.time[0] = this.clock.now();
    const now = this.time[0]!;
    const elapsed = now - last[strategy]!;
    if (elapsed > 0) {
      const t = tokens[strategy]! + elapsed * rate[strategy]!;
      tokens[strategy] = t < burst[strategy]! ? t : burst[strategy]!;
    }
    // a wall clock stepped back: nothing is refilled until it passes the last refill again
    if (elapsed !== 0) last[strategy] = now > last[strategy]! ? now : last[strategy]!;
    return tokens[strategy]! >= 1;
  }

  /**
   * Why `check` refused an order, naming the limit and its value (the API's error message). Computed when asked,
   * from the order and the limits now (off the hot path; counts such as open orders are today's).
   */
  explain(code: ErrorCode, strategy: number, instrumentIndex: number, side: number, priceTicks: number, qtyLots: number): string {
    const ins = this.instruments.at(instrumentIndex);
    const id = this.strategyIds[strategy] ?? `#${strategy}`;
    const cell = strategy * this.n + instrumentIndex;
    const mark = this.mark[instrumentIndex]!;
    const price = priceTicks > 0 ? priceTicks : mark;
    const notional = price > 0 && price * qtyLots <= this.maxUnits[instrumentIndex]! ? price * qtyLots * this.factor[instrumentIndex]! : MAX;
    const q = ins.quote;
    const units = (u: number): string => this.unitsText(u);
    switch (code) {
      case 'RISK_SYMBOL_NOT_ALLOWED':
        return `strategy ${id} may not trade ${ins.symbol} (not in its symbols)`;
      case 'RISK_MAX_ORDER_QTY':
        return `quantity ${ins.lotsToQty(qtyLots)} above strategy ${id} maxOrderQty ${ins.symbol} ${ins.lotsToQty(this.maxQtyLots[cell]!)}`;
      case 'RISK_ORDER_RATE':
        return `strategy ${id} is over its maxOrdersPerSecond ${this.orderRate[strategy]! * 1000} (burst ${this.orderBurst[strategy]})`;
      case 'RISK_CANCEL_RATE':
        return `strategy ${id} is over its maxCancelsPerSecond ${this.cancelRate[strategy]! * 1000} (burst ${this.cancelBurst[strategy]})`;
      case 'RISK_NO_REFERENCE_PRICE':
        return `no mark for ${ins.symbol} yet (no market data, no fill, no referencePrice): a market order cannot be valued`;
      case 'BELOW_MIN_NOTIONAL':
        return `market order worth ${units(notional)} ${q} at the mark ${ins.ticksToPrice(mark)}, below ${ins.symbol} minNotional ${units(this.minNotional[instrumentIndex]! * this.factor[instrumentIndex]!)} ${q}`;
      case 'RISK_PRICE_COLLAR': {
        const band = Math.floor((mark * this.collarBps[instrumentIndex]!) / 10_000);
        const bound = side === BUY ? mark + band : mark - band;
        return `limit price ${ins.ticksToPrice(priceTicks)} is ${side === BUY ? 'above' : 'below'} ${ins.ticksToPrice(bound)}: risk.priceCollarBps ${ins.symbol} ${this.collarBps[instrumentIndex]} through the mark ${ins.ticksToPrice(mark)}`;
      }
      case 'NOTIONAL_TOO_LARGE':
        return `the order's notional at ${ins.ticksToPrice(price)} cannot be counted exactly`;
      case 'RISK_MAX_NOTIONAL':
        return notional > this.maxOrderNotional[strategy]!
          ? `order notional ${units(notional)} ${q} above strategy ${id} maxOrderNotional ${units(this.maxOrderNotional[strategy]!)} ${q}`
          : `order notional ${units(notional)} ${q} above risk.maxOrderNotional ${units(this.globalMaxOrderNotional)} ${q}`;
      case 'RISK_MAX_POSITION': {
        const pos = this.position[cell]!;
        const after = side === BUY ? pos + this.openBuyLots[cell]! + qtyLots : pos - this.openSellLots[cell]! - qtyLots;
        return `position ${signedQty(ins.lotsToQty.bind(ins), after)} ${ins.base} after this order and the open ${side === BUY ? 'buys' : 'sells'} would pass strategy ${id} maxPosition ${ins.symbol} ${ins.lotsToQty(this.maxPositionLots[cell]!)}`;
      }
      case 'RISK_MAX_OPEN_ORDERS':
        return this.openOrders[strategy]! + 1 > this.maxOpen[strategy]!
          ? `strategy ${id} has ${this.openOrders[strategy]} open orders: maxOpenOrders ${this.maxOpen[strategy]}`
          : `the daemon has ${this.globalOpenOrders} open orders: risk.maxOpenOrders ${this.globalMaxOpen}`;
      case 'RISK_MAX_GROSS_EXPOSURE': {
        this.positionExposure(strategy);
        const mine = this.openNotional[strategy]! + this.sum[0]! + notional;
        if (mine > this.maxGross[strategy]!) return `gross exposure ${units(mine)} ${q} with this order above strategy ${id} maxGrossExposure ${units(this.maxGross[strategy]!)} ${q}`;
        this.globalPositionExposure();
        return `daemon gross exposure ${units(this.globalOpenNotional + this.sum[0]! + notional)} ${q} with this order above risk.maxGrossExposure ${units(this.globalMaxGross)} ${q}`;
      }
      default:
        return code;
    }
  }

  /** Common units as decimal text of the quote currency. */
  private unitsText(units: number): string {
    return signedDecimalText(BigInt(Math.round(units)), this.commonScale);
  }

  /**
   * Positions (lots, per strategy x instrument), marks (ticks, per instrument) and the base fees not yet netted
   * (cell index -> decimal text of the base currency, see netBaseFee), for journal snapshots.
   */
  exportPositions(): { positions: number[]; marks: number[]; feeRemainders: Record<string, string> } {
    const feeRemainders: Record<string, string> = {};
    for (const [cell, r] of this.feeRemainder) feeRemainders[String(cell)] = signedDecimalText(r.units, r.scale);
    return { positions: Array.from(this.position), marks: Array.from(this.mark), feeRemainders };
  }

  /** Restore what exportPositions gave (open-order reservations are rebuilt separately, with `reserve`). */
  importPositions(state: { positions: readonly number[]; marks: readonly number[]; feeRemainders?: Readonly<Record<string, string>> | undefined }): void {
    if (state.positions.length !== this.position.length || state.marks.length !== this.mark.length) {
      throw new RangeError('the snapshot was taken with other strategies or instruments');
    }
    this.feeRemainder.clear();
    for (const [cell, text] of Object.entries(state.feeRemainders ?? {})) {
      const p = parseSignedDecimal(text);
      if (p !== undefined && p.units !== 0n) this.feeRemainder.set(Number(cell), p);
    }
    this.position.set(state.positions);
    for (let i = 0; i < this.mark.length; i++) if (state.marks[i]! > 0) this.mark[i] = state.marks[i]!;
    this.grossPosition.fill(0);
    const n = this.n;
    for (let k = 0; k < this.position.length; k++) this.grossPosition[k % n]! += Math.abs(this.position[k]!);
  }

  /** Reserve an order without checking limits (an order replayed from the journal was checked when it was new). */
  reserve(strategy: number, instrumentIndex: number, side: number, priceTicks: number, qtyLots: number): void {
    const notional = this.notional(instrumentIndex, priceTicks, qtyLots);
    const cell = strategy * this.n + instrumentIndex;
    if (side === BUY) this.openBuyLots[cell]! += qtyLots;
    else this.openSellLots[cell]! += qtyLots;
    this.openOrders[strategy]!++;
    this.globalOpenOrders++;
    this.openNotional[strategy]! += notional;
    this.globalOpenNotional += notional;
  }

  /**
   * A fill: the position moves, the mark follows the trade, and (while the order is open) its reserved notional
   * shrinks. A late fill on an order already closed (canceled then filled) had its reservation released already.
   */
  onFill(strategy: number, instrumentIndex: number, side: Side, reservedPriceTicks: number, fillPriceTicks: number, qtyLots: number, orderWasOpen: boolean): void {
    if (orderWasOpen) {
      let released = reservedPriceTicks * qtyLots;
      if (released > this.maxUnits[instrumentIndex]!) {
        released = MAX; // never for an order check() reserved: counted
        this.saturated++;
      } else {
        released *= this.factor[instrumentIndex]!;
      }
      this.openNotional[strategy]! -= released;
      this.globalOpenNotional -= released;
      const c = strategy * this.n + instrumentIndex;
      if (side === 'BUY') this.openBuyLots[c]! -= qtyLots;
      else this.openSellLots[c]! -= qtyLots;
    }
    const cell = strategy * this.n + instrumentIndex;
    const before = this.position[cell]!;
    const after = side === 'BUY' ? before + qtyLots : before - qtyLots;
    this.position[cell] = after;
    this.grossPosition[instrumentIndex]! += Math.abs(after) - Math.abs(before);
    this.mark[instrumentIndex] = fillPriceTicks;
  }

  /** Base currency of an instrument (fees in it are netted from positions). */
  baseOf(instrumentIndex: number): string {
    return this.instruments.at(instrumentIndex).base;
  }

  /**
   * A fee paid in the base currency (positive = paid, negative = rebate, decimal text) comes out of the position.
   * Positions stay whole lots (every check and exposure sum works in lots), so the fee is netted exactly in whole
   * lots and what is left below one lot is kept, exactly, per strategy x instrument (`feeRemainders`): the next
   * fees add to it and it is netted as soon as it makes a whole lot. Nothing is rounded away: position x lot +
   * remainder is the true holding. A fee that leaves a remainder is counted (`feeRemainderFills`).
   * Off the hot path (once per fill with a base-currency fee).
   */
  netBaseFee(strategy: number, instrumentIndex: number, fee: string): void {
    const f = parseSignedDecimal(fee);
    if (f === undefined) return;
    const cell = strategy * this.n + instrumentIndex;
    const lot = parseDecimal(this.instruments.at(instrumentIndex).lot.text)!;
    const prev = this.feeRemainder.get(cell) ?? { units: 0n, scale: 0 };
    const scale = Math.max(f.scale, prev.scale, lot.scale);
    const up = (u: bigint, sc: number): bigint => u * 10n ** BigInt(scale - sc);
    const total = up(f.units, f.scale) + up(prev.units, prev.scale);
    const lotUnits = up(lot.units, lot.scale);
    const lots = total / lotUnits; // truncates toward zero: a part lot stays in the remainder, whatever its sign
    const rest = total - lots * lotUnits;
    if (rest === 0n) this.feeRemainder.delete(cell);
    else {
      this.feeRemainder.set(cell, { units: rest, scale });
      this.feeRemainderFills++;
    }
    if (lots === 0n) return;
    const before = this.position[cell]!;
    const after = before - Number(lots);
    this.position[cell] = after;
    this.grossPosition[instrumentIndex]! += Math.abs(after) - Math.abs(before);
  }

  /** Base fees not yet netted from a position (below one lot), decimal text of the base currency. */
  feeRemainderOf(strategy: number, instrumentIndex: number): string {
    const r = this.feeRemainder.get(strategy * this.n + instrumentIndex);
    return r === undefined ? '0' : signedDecimalText(r.units, r.scale);
  }

  /** Position in lots (per strategy x instrument). */
  positionOf(strategy: number, instrumentIndex: number): number {
    return this.position[strategy * this.n + instrumentIndex]!;
  }

  /** The order is done: release its open-order slot and whatever of its notional is still reserved. */
  onClose(strategy: number, instrumentIndex: number, side: number, reservedPriceTicks: number, remainingLots: number): void {
    const cell = strategy * this.n + instrumentIndex;
    if (side === BUY) this.openBuyLots[cell]! -= remainingLots;
    else this.openSellLots[cell]! -= remainingLots;
    let released = reservedPriceTicks * remainingLots;
    if (released > this.maxUnits[instrumentIndex]!) {
      released = MAX; // never for an order check() reserved: counted
      this.saturated++;
    } else {
      released *= this.factor[instrumentIndex]!;
    }
    this.openOrders[strategy]!--;
    this.globalOpenOrders--;
    this.openNotional[strategy]! -= released;
    this.globalOpenNotional -= released;
  }

  /** Exposure of a strategy's positions at their marks, into sum[0]. */
  private positionExposure(strategy: number): void {
    this.exposureInto(this.position, strategy * this.n);
  }

  /** Exposure of all positions at their marks, into sum[0]. */
  private globalPositionExposure(): void {
    this.exposureInto(this.grossPosition, 0);
  }

  /** Exposure of positions[base .. base + n) at their marks, into sum[0] (no allocation: a double crosses no call). */
  private exposureInto(positions: Float64Array, base: number): void {
    let sum = 0;
    for (let i = 0; i < this.n; i++) {
      const p = positions[base + i]!;
      if (p === 0) continue;
      const x = this.mark[i]! * Math.abs(p);
      // a position beyond what can be counted exactly: held at the bound (stricter limits, never looser), counted
      if (x > this.maxUnits[i]!) {
        this.saturated++;
        sum += MAX;
      } else {
        sum += x * this.factor[i]!;
      }
    }
    if (sum > MAX) {
      this.saturated++;
      sum = MAX;
    }
    this.sum[0] = sum;
  }

  /** Read-only view of open orders, reserved notional and positions per strategy (diagnostics, tests). */
  /** Open quantity (lots) of a strategy's orders on one side of an instrument (tests, diagnostics). */
  openLotsOf(strategy: number, instrumentIndex: number, side: number): number {
    const cell = strategy * this.n + instrumentIndex;
    return side === BUY ? this.openBuyLots[cell]! : this.openSellLots[cell]!;
  }

  snapshot(): { strategies: { id: string; openOrders: number; openNotional: string; positions: Record<string, string> }[]; openOrders: number } {
    const toText = (units: number): string => {
      const s = this.commonScale;
      const digits = BigInt(Math.round(units)).toString().padStart(s + 1, '0');
      return s === 0 ? digits : digits.slice(0, digits.length - s) + '.' + digits.slice(digits.length - s);
    };
    return {
      openOrders: this.globalOpenOrders,
      strategies: this.strategyIds.map((id, si) => {
        const positions: Record<string, string> = {};
        for (const ins of this.instruments.list) {
          const p = this.position[si * this.n + ins.index]!;
          if (p !== 0) positions[ins.symbol] = (p < 0 ? '-' : '') + ins.lotsToQty(Math.abs(p));
        }
        return { id, openOrders: this.openOrders[si]!, openNotional: toText(this.openNotional[si]!), positions };
      }),
    };
  }

  /**
   * Check an amend of an open order (price and/or quantity) against the order limits: the symbol still allowed, the
   * new total quantity within maxOrderQty, the price collar, the new order notional (new price x new total) within
   * maxOrderNotional, and — for what the amend adds to the rest (`new* - old*`, the old rest reserved at
   * `oldPriceTicks`) — the maximum position and gross exposure. Returns null when it passes, else the code of the first
   * limit it breaks. Nothing is reserved here: the reservation follows the terms the venue confirms
   * (risk-accounting.ts moves it on AMENDED), so a refused or failed amend leaves nothing to undo. Not on a hot path.
   */
  checkAmend(
    strategy: number, instrumentIndex: number, side: number, oldPriceTicks: number, oldRemainingLots: number,
    newPriceTicks: number, newRemainingLots: number, newTotalLots: number,
  ): ErrorCode | null {
    const cell = strategy * this.n + instrumentIndex;
    if (this.allowed[cell] !== 1) return 'RISK_SYMBOL_NOT_ALLOWED';
    if (newTotalLots > this.maxQtyLots[cell]!) return 'RISK_MAX_ORDER_QTY';
    const mark = this.mark[instrumentIndex]!;
    const collar = this.collarBps[instrumentIndex]!;
    if (collar > 0 && newPriceTicks !== oldPriceTicks && mark > 0) {
      const band = Math.floor((mark * collar) / 10_000);
      if (side === BUY ? newPriceTicks > mark + band : newPriceTicks < mark - band) return 'RISK_PRICE_COLLAR';
    }
    if (newPriceTicks * newTotalLots > this.maxUnits[instrumentIndex]!) return 'NOTIONAL_TOO_LARGE';
    const orderNotional = newPriceTicks * newTotalLots * this.factor[instrumentIndex]!;
    if (orderNotional > this.maxOrderNotional[strategy]! || orderNotional > this.globalMaxOrderNotional) return 'RISK_MAX_NOTIONAL';
    const addedLots = newRemainingLots - oldRemainingLots;
    if (addedLots > 0) {
      const position = this.position[cell]!;
      if (side === BUY ? position + this.openBuyLots[cell]! + addedLots > this.maxPositionLots[cell]!
        : this.openSellLots[cell]! + addedLots - position > this.maxPositionLots[cell]!) {
        return 'RISK_MAX_POSITION';
      }
    }
    const added = (newPriceTicks * newRemainingLots - oldPriceTicks * oldRemainingLots) * this.factor[instrumentIndex]!;
    if (added > 0) {
      this.positionExposure(strategy);
      if (this.openNotional[strategy]! + this.sum[0]! + added > this.maxGross[strategy]!) return 'RISK_MAX_GROSS_EXPOSURE';
      this.globalPositionExposure();
      if (this.globalOpenNotional + this.sum[0]! + added > this.globalMaxGross) return 'RISK_MAX_GROSS_EXPOSURE';
    }
    return null;
  }
}
