/**
 * Positions and PnL per strategy x instrument x venue, exactly (bigint, never floats), fed by the order tracker's
 * applied FILL transitions (a duplicate fill is never counted twice; a journal replay rebuilds the same rows; journal
 * snapshots carry them: `export` / `import`).
 *
 * Which fills count: every applied fill of an order that is not held at the pseudo venue `smart`. A parent held there
 * (sweep, emulated stop, algorithm) gets its fills only as roll-ups of its children's fills (src/parents/
 * parent-orders.ts), so they are counted once, at the child, at the child's venue (`fill.venue`). A parent's own
 * fills before it was held (part crossed in the internal crossing book) count, at venue `internal`.
 *
 * Per row (signed quantities: long > 0, short < 0):
 *  - quantity in lots;
 *  - cost: the open position's cost in FINE units (one tick x one lot of the instrument / 10^FINE_EXTRA), signed
 *    like the quantity; average cost = cost / quantity;
 *  - realised PnL (average-cost method), fine units, quote currency, GROSS of fees: a fill that reduces the position
 *    realises closed x (price - average cost); one that flips it realises the closed part and opens the rest at the
 *    fill price. The closed part's cost is cost x closed / quantity rounded half away from zero to a fine unit, and
 *    the same amount leaves the cost: realised - cost is always exactly the quote cash the fills moved (so a round
 *    trip's realised PnL is exact, and the paper balances derived from it are exact);
 *  - fees per currency as the venues charged them (exact decimal sums).
 *
 * Unrealised at mark M (ticks, from the injected `markOf`; 0 = unknown -> unrealised null): quantity x M - cost.
 * netPnl = realised + unrealised - fees paid in the quote currency - fees paid in the base currency valued at M.
 * Fees in a third currency (BNB) are listed in `fees` and in `feesNotInNet`, never in netPnl (no price for them
 * here). netPnl is null when it needs the mark and there is none (an open position or base-currency fees).
 *
 * The cheap numbers (`strategyNetPnlUnits`, `totalNetPnlUnits`, for a daily-loss check on the dispatch thread):
 * sums of per-row caches (recomputed on the first read after a fill, not per fill) over the rows whose quote
 * currency is `pnlCurrency` (the first instrument's quote unless given), in integer units of 10^-scale of it, scale = InstrumentRegistry.notionalScale (the common notional unit
 * of pre-trade risk, `unitScale` here). Exact when every fee is a whole number of units and base fees whole lots;
 * otherwise conservative: realised PnL rounded down to a unit, quote fees rounded up to a unit, base fees up to a
 * whole lot. Without a mark, a row's unrealised PnL counts as 0 and its base fees are not counted. Exact while
 * every intermediate stays below 2^53; beyond, the result is the nearest double (right magnitude, not exact).
 *
 * Off the dispatch hot path: once per fill (it parses the fee like the fee ledger does).
 */
import type { TrackerListener } from '../core/order-tracker.js';
import type { JournalStatePart } from '../core/state-parts.js';
import type { OrderStore, OrderView } from '../core/order-store.js';
import { BUY, NO_VENUE } from '../core/order-store.js';
import { parseDecimal, parseSignedDecimal, pow10, signedDecimalText, type ParsedDecimal } from '../model/decimal.js';
import { FeeMemo } from './fee-memo.js';
import type { Instrument } from '../model/instrument.js';
import type { OrderUpdate, Transition } from '../model/lifecycle.js';

/** Extra decimal digits of the fine unit below one tick x one lot (average-cost splits). */
export const FINE_EXTRA = 8;
const FINE = 10n ** BigInt(FINE_EXTRA);

/** One row for the API (decimal strings). */
export interface PositionRow {
  readonly strategy: string;
  readonly symbol: string;
  readonly venue: string;
  /** Signed base quantity (long > 0). */
  readonly quantity: string;
  /** Average cost (quote per base) of the open position, rounded to the tick's decimals + 8; null when flat. */
  readonly averageCost: string | null;
  /** Quote currency, gross of fees. */
  readonly realisedPnl: string;
  /** Quote currency at `mark`; null when the mark is unknown and the position is not flat. */
  readonly unrealisedPnl: string | null;
  /** realised + unrealised - quote fees - base fees at mark; null when that needs an unknown mark. */
  readonly netPnl: string | null;
  /** Fees paid (negative: rebates) per currency. */
  readonly fees: Readonly<Record<string, string>>;
  /** Currencies of `fees` not in netPnl (neither base nor quote). */
  readonly feesNotInNet: readonly string[];
  /** The mark used (price), null when unknown. */
  readonly mark: string | null;
  readonly quote: string;
  readonly fills: number;
}

/** A row as journal snapshots carry it (integers as decimal strings: they may exceed 2^53). */
export interface PositionSnapshotRow {
  readonly strategy: string;
  readonly symbol: string;
  readonly venue: string;
  readonly qtyLots: string;
  /** Fine units: tick x lot / 10^fineExtra. */
  readonly cost: string;
  readonly realised: string;
  readonly fineExtra: number;
  readonly fees: Readonly<Record<string, string>>;
  readonly fills: number;
}

export interface PositionFilter {
  readonly strategy?: string | undefined;
  readonly symbol?: string | undefined;
  readonly venue?: string | undefined;
}

interface Sum {
  units: bigint;
  scale: number;
}

class Row {
  qty = 0n;
  cost = 0n;
  realised = 0n;
  readonly fees = new Map<string, Sum>();
  fills = 0;
  // cheap-number caches (see the header), in common units / lots
  qtyN = 0;
  cashU = 0;
  realisedU = 0;
  quoteFeeU = 0;
  baseFeeLots = 0;
  /** The caches above are behind the exact values (a fill came since they were computed): see PositionLedger.fresh. */
  stale = false;
  readonly counted: boolean;
  constructor(
    readonly strategyIndex: number,
    readonly strategy: string,
    readonly ins: Instrument,
    readonly venue: string,
    pnlCurrency: string,
  ) {
    this.counted = ins.quote === pnlCurrency;
  }
}

function addSum(map: Map<string, Sum>, currency: string, p: ParsedDecimal): void {
  addUnits(map, currency, p.units, p.scale);
}

/** map[currency] += units / 10^scale, exactly. */
function addUnits(map: Map<string, Sum>, currency: string, units: bigint, scale: number): void {
  let s = map.get(currency);
  if (s === undefined) map.set(currency, (s = { units: 0n, scale: 0 }));
  if (scale > s.scale) {
    s.units *= pow10(scale - s.scale);
    s.scale = scale;
  }
  s.units += scale === s.scale ? units : units * pow10(s.scale - scale);
}

/** a / b rounded half away from zero (b > 0). */
function roundDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  const r = a % b;
  if (2n * (r < 0n ? -r : r) >= b) return a < 0n ? q - 1n : q + 1n;
  return q;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n ? q - 1n : q;
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return -floorDiv(-a, b);
}

const INTEGER_RE = /^-?\d+$/;

function isSnapshotRow(x: unknown): x is PositionSnapshotRow {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as Record<string, unknown>;
  return typeof r['strategy'] === 'string' && typeof r['symbol'] === 'string' && typeof r['venue'] === 'string'
    && typeof r['qtyLots'] === 'string' && INTEGER_RE.test(r['qtyLots']) && typeof r['cost'] === 'string' && INTEGER_RE.test(r['cost'])
    && typeof r['realised'] === 'string' && INTEGER_RE.test(r['realised']) && Number.isSafeInteger(r['fineExtra']) && (r['fineExtra'] as number) >= 0
    && typeof r['fees'] === 'object' && r['fees'] !== null && Number.isSafeInteger(r['fills']);
}

function toNumber(x: bigint): number {
  return Number(x); // nearest double beyond 2^53 (documented)
}

/** units / 10^scale + units2 / 10^scale2, as one Sum. */
function addParsed(a: Sum, b: Sum): Sum {
  const scale = Math.max(a.scale, b.scale);
  return { units: a.units * 10n ** BigInt(scale - a.scale) + b.units * 10n ** BigInt(scale - b.scale), scale };
}

export class PositionLedger implements TrackerListener, JournalStatePart {
  /** Acts on fills only (the tracker calls it for nothing else). */
  readonly fillsOnly = true;
  /** Its section of journal snapshots (`parts.positions`); it writes no EVENT records (FILL records rebuild it). */
  readonly name = 'positions';
  private readonly rows = new Map<string, Row>();
  /** Per venue name, its rows by strategyIndex x instruments + instrumentIndex (the per-fill lookup). */
  private readonly rowsByVenue = new Map<string, (Row | undefined)[]>();
  private readonly feeMemo = new FeeMemo();
  /**
   * Memos of apply's bigints (a bigint is immutable: handing the same one out again is exact). finePrice's two last
   * prices and their bigints (a buy and a sell in turn come at two prices).
   */
  private lastPriceTicks = NaN;
  private lastFinePrice = 0n;
  private prevPriceTicks = NaN;
  private prevFinePrice = 0n;
  /** lotsOf's last quantity, as a bigint and negated (a buy and a sell of one size in turn: both at hand). */
  private lastLots = NaN;
  private lastLotsBig = 0n;
  private lastNegLotsBig = 0n;
  private readonly byStrategy: Row[][];
  private readonly all: Row[] = [];
  private readonly smart: number;
  /** Per venue name: fills counted (VenueBalances tells a fill that came while it read the venue). */
  private readonly venueFills = new Map<string, number>();
  /** Per venue name: its rows (what its flows are summed from). */
  private readonly venueRows = new Map<string, Row[]>();
  private readonly tickUnits: bigint[];
  private readonly lotUnits: bigint[];
  private readonly factor: bigint[];
  private readonly instrumentCount: number;
  /** The same as doubles (exact: a factor beyond 2^53 leaves no order the edges accept). */
  private readonly factorN: Float64Array;
  /** Per venue: what its counted fills moved, per currency, as of `fills` fills counted there (see venueFlows). */
  private readonly flows = new Map<string, { fills: number; sums: Map<string, Sum> }>();
  readonly pnlCurrency: string;
  /** Scale of the cheap numbers: units of 10^-unitScale of pnlCurrency. */
  readonly unitScale: number;
  /** Told after every counted fill, with its venue name (VenueBalances). */
  onVenueFill: ((venue: string) => void) | undefined;

  constructor(
    private readonly store: OrderStore,
    private readonly strategyIds: readonly string[],
    /** Mark of an instrument in ticks, 0 = unknown (pre-trade risk's markOf: last fill or reference price). */
    private readonly markOf: (instrumentIndex: number) => number,
    options: { pnlCurrency?: string; smartVenue?: string } = {},
  ) {
    const list = store.instruments.list;
    this.pnlCurrency = options.pnlCurrency ?? list[0]?.quote ?? '';
    this.unitScale = store.instruments.notionalScale;
    const smart = store.venueIndex(options.smartVenue ?? 'smart');
    this.smart = smart === NO_VENUE ? -1 : smart;
    this.byStrategy = strategyIds.map(() => []);
    this.tickUnits = list.map((i) => parseDecimal(i.tick.text)!.units);
    this.lotUnits = list.map((i) => parseDecimal(i.lot.text)!.units);
    this.instrumentCount = list.length;
    // common units per tick x lot
    this.factor = list.map((i, k) => this.tickUnits[k]! * this.lotUnits[k]! * 10n ** BigInt(this.unitScale - i.tick.scale - i.lot.scale));
    this.factorN = Float64Array.from(this.factor, (f) => Number(f));
  }

  onTransition(order: OrderView, update: OrderUpdate, _t: Transition): void {
    if (update.kind !== 'FILL') return;
    const slot = order.slot;
    if (this.smart >= 0 && this.store.venue[slot] === this.smart) return; // a roll-up: counted at the child
    const f = update.fill;
    this.apply(order.strategyIndex, this.store.symbol[slot]!, f.venue, this.store.side[slot] === BUY ? 1 : -1, f.priceTicks, f.qtyLots, f.fee, f.feeCurrency);
  }

  /** Count one fill (the tracker's listener calls this; public for tools and tests). */
  apply(strategyIndex: number, instrumentIndex: number, venue: string, sign: 1 | -1, priceTicks: number, qtyLots: number, fee: string, feeCurrency: string): void {
    const ins = this.store.instruments.at(instrumentIndex);
    const r = this.row(strategyIndex, ins, venue);
    const p = this.finePrice(priceTicks);
    const q = sign === 1 ? qtyLots : -qtyLots;
    const absD = this.lotsOf(q < 0 ? -q : q); // |d|
    let d = q < 0 ? this.lastNegLotsBig : absD;
    if (r.qty !== 0n && (r.qty > 0n) !== (d > 0n)) {
      const long = r.qty > 0n;
      const abs = long ? r.qty : -r.qty;
      if (absD >= abs) {
        // The whole position closes (and the rest of the fill opens the other way): closed = abs, so the closed part's
        // cost, roundDiv(cost x abs, abs), is the cost itself, exactly — the general case's values, fewer bigints made.
        const proceeds = abs * p;
        r.realised += (long ? proceeds : -proceeds) - r.cost;
        r.cost = 0n;
        d = absD === abs ? 0n : d + r.qty; // what is left of the fill (opens the other way)
        r.qty = 0n;
      } else {
        const close = absD;
        const closedCost = roundDiv(r.cost * close, abs);
        const qsign = long ? 1n : -1n;
        r.realised += qsign * close * p - closedCost;
        r.cost -= closedCost;
        r.qty -= qsign * close;
        d = 0n; // nothing left of the fill (d + qsign x close)
      }
    }
    if (d !== 0n) {
      r.cost += d * p;
      r.qty = r.qty === 0n ? d : r.qty + d;
    }
    r.fills++;
    const parsed = this.feeMemo.parse(fee);
    const feeIn = feeCurrency !== '' ? feeCurrency : ins.quote;
    if (parsed !== undefined) addSum(r.fees, feeIn, parsed);
    r.stale = true; // the cheap numbers are computed when next read (fresh)
    // the venue's flows are summed from its rows when next read (venueFlows)
    this.venueFills.set(venue, (this.venueFills.get(venue) ?? 0) + 1);
    this.onVenueFill?.(venue);
  }

  /** priceTicks x FINE as a bigint (the last one made is handed out again: fills come at few prices). */
  private finePrice(priceTicks: number): bigint {
    if (priceTicks === this.lastPriceTicks) return this.lastFinePrice;
    if (priceTicks === this.prevPriceTicks) return this.prevFinePrice;
    this.prevPriceTicks = this.lastPriceTicks;
    this.prevFinePrice = this.lastFinePrice;
    this.lastFinePrice = BigInt(priceTicks) * FINE;
    this.lastPriceTicks = priceTicks;
    return this.lastFinePrice;
  }

  /** Lots (a magnitude, >= 0) as a bigint, its negation in lastNegLotsBig (the last ones made are handed out again). */
  private lotsOf(lots: number): bigint {
    if (lots !== this.lastLots) {
      this.lastLotsBig = BigInt(lots);
      this.lastNegLotsBig = -this.lastLotsBig;
      this.lastLots = lots;
    }
    return this.lastLotsBig;
  }

  private row(strategyIndex: number, ins: Instrument, venue: string): Row {
    let byIndex = this.rowsByVenue.get(venue);
    if (byIndex === undefined) this.rowsByVenue.set(venue, (byIndex = []));
    const at = strategyIndex * this.instrumentCount + ins.index;
    let r = byIndex[at];
    if (r !== undefined) return r;
    const key = `${strategyIndex}\u0000${ins.index}\u0000${venue}`;
    r = this.rows.get(key);
    if (r === undefined) {
      r = new Row(strategyIndex, this.strategyIds[strategyIndex] ?? `#${strategyIndex}`, ins, venue, this.pnlCurrency);
      this.rows.set(key, r);
      this.all.push(r);
      let atVenue = this.venueRows.get(venue);
      if (atVenue === undefined) this.venueRows.set(venue, (atVenue = []));
      atVenue.push(r);
      this.byStrategy[strategyIndex]?.push(r);
    }
    byIndex[at] = r;
    return r;
  }

  /** The row with its cheap-number caches up to date (computed once after the fills that made them stale). */
  private fresh(r: Row): Row {
    if (r.stale) this.refresh(r);
    return r;
  }

  /** The row's cheap-number caches from its exact values. */
  private refresh(r: Row): void {
    r.stale = false;
    const i = r.ins.index;
    const factor = this.factor[i]!;
    r.qtyN = toNumber(r.qty);
    r.cashU = toNumber(floorDiv((r.realised - r.cost) * factor, FINE));
    r.realisedU = toNumber(floorDiv(r.realised * factor, FINE));
    const q = r.fees.get(r.ins.quote);
    // quote fee in units of 10^-unitScale, rounded up
    r.quoteFeeU = q === undefined ? 0 : toNumber(q.scale <= this.unitScale ? q.units * pow10(this.unitScale - q.scale) : ceilDiv(q.units, pow10(q.scale - this.unitScale)));
    const b = r.ins.base === r.ins.quote ? undefined : r.fees.get(r.ins.base);
    if (b === undefined) r.baseFeeLots = 0;
    else {
      // base fee / lot = b.units / 10^b.scale / (lotUnits / 10^lotScale), rounded up
      const ls = r.ins.lot.scale;
      const num = b.units * pow10(ls);
      const den = this.lotUnits[i]! * pow10(b.scale);
      r.baseFeeLots = toNumber(ceilDiv(num, den));
    }
  }

  /** Net PnL of one strategy in units of 10^-unitScale of pnlCurrency (see the header). Allocation-free, except that a row that had fills since it was last read recomputes its caches once. */
  strategyNetPnlUnits(strategyIndex: number): number {
    const rows = this.byStrategy[strategyIndex];
    if (rows === undefined) return 0;
    let sum = 0;
    for (let k = 0; k < rows.length; k++) sum += this.netUnits(rows[k]!);
    return sum;
  }

  /** Net PnL of every strategy (see strategyNetPnlUnits). */
  totalNetPnlUnits(): number {
    let sum = 0;
    const rows = this.all;
    for (let k = 0; k < rows.length; k++) sum += this.netUnits(rows[k]!);
    return sum;
  }

  private netUnits(row: Row): number {
    if (!row.counted) return 0;
    const r = this.fresh(row);
    const i = r.ins.index;
    const mark = this.markOf(i);
    if (!(mark > 0)) return r.realisedU - r.quoteFeeU;
    // realised - cost + qty x mark - fees  (cash + value at mark)
    return r.cashU + (r.qtyN - r.baseFeeLots) * mark * this.factorN[i]! - r.quoteFeeU;
  }

  /** Fills counted at a venue so far. */
  fillsAt(venue: string): number {
    return this.venueFills.get(venue) ?? 0;
  }

  /**
   * What the fills counted at `venue` moved, per currency, exactly: + base bought / - base sold, - quote paid /
   * + quote received, - fees (a rebate adds). All strategies. For the venue balances. Summed from the venue's rows
   * when read after a fill there (not per fill), then kept until the next; read-only to callers, and valid until the
   * next fill (copy it to keep it).
   */
  venueFlows(venue: string): ReadonlyMap<string, Readonly<Sum>> {
    const rows = this.venueRows.get(venue);
    if (rows === undefined) return EMPTY_FLOWS;
    const fills = this.venueFills.get(venue) ?? 0;
    let cached = this.flows.get(venue);
    if (cached === undefined || cached.fills !== fills) this.flows.set(venue, (cached = { fills, sums: this.flowsFromRows(rows) }));
    return cached.sums;
  }

  /** The flows from the rows (realised - cost is exactly the quote cash: see the header). */
  private flowsFromRows(rows: readonly Row[]): Map<string, Sum> {
    const out = new Map<string, Sum>();
    for (const r of rows) {
      const i = r.ins.index;
      const t = r.ins.tick.scale;
      const l = r.ins.lot.scale;
      addSum(out, r.ins.base, { units: r.qty * this.lotUnits[i]!, scale: l });
      // realised - cost is exact quote cash in fine units: x tick units x lot units / 10^(t + l + FINE_EXTRA)
      addSum(out, r.ins.quote, { units: (r.realised - r.cost) * this.tickUnits[i]! * this.lotUnits[i]!, scale: t + l + FINE_EXTRA });
      for (const [c, s] of r.fees) addSum(out, c, { units: -s.units, scale: s.scale });
    }
    return out;
  }

  /** Rows for the API, sorted by strategy, symbol, venue; `filter` keeps the rows that match every field given. */
  list(filter: PositionFilter = {}): PositionRow[] {
    const out: PositionRow[] = [];
    for (const r of this.all) {
      if (filter.strategy !== undefined && r.strategy !== filter.strategy) continue;
      if (filter.symbol !== undefined && r.ins.symbol !== filter.symbol) continue;
      if (filter.venue !== undefined && r.venue !== filter.venue) continue;
      out.push(this.describe(r));
    }
    return out.sort((a, b) => (a.strategy !== b.strategy ? (a.strategy < b.strategy ? -1 : 1) : a.symbol !== b.symbol ? (a.symbol < b.symbol ? -1 : 1) : a.venue < b.venue ? -1 : a.venue > b.venue ? 1 : 0));
  }

  private describe(r: Row): PositionRow {
    const ins = r.ins;
    const i = ins.index;
    const fineScale = ins.tick.scale + ins.lot.scale + FINE_EXTRA;
    const tl = this.tickUnits[i]! * this.lotUnits[i]!;
    const money = (fine: bigint): Sum => ({ units: fine * tl, scale: fineScale });
    const markTicks = this.markOf(i);
    const known = markTicks > 0;
    const realised = money(r.realised);
    const unrealised = known ? money(r.qty * BigInt(markTicks) * FINE - r.cost) : r.qty === 0n ? { units: 0n, scale: 0 } : undefined;
    const fees: Record<string, string> = {};
    const notInNet: string[] = [];
    let net: Sum | undefined = unrealised === undefined ? undefined : addParsed(realised, unrealised);
    for (const [c, s] of [...r.fees].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      fees[c] = signedDecimalText(s.units, s.scale);
      if (c === ins.quote) {
        if (net !== undefined) net = addParsed(net, { units: -s.units, scale: s.scale });
      } else if (c === ins.base) {
        if (s.units === 0n) continue;
        // base fee x mark price: s / 10^scale x markTicks x tickUnits / 10^tickScale
        net = net === undefined || !known ? undefined : addParsed(net, { units: -s.units * BigInt(markTicks) * this.tickUnits[i]!, scale: s.scale + ins.tick.scale });
      } else notInNet.push(c);
    }
    let averageCost: string | null = null;
    if (r.qty !== 0n) {
      // cost / qty ticks x tick size, rounded to tick decimals + 8
      const digits = ins.tick.scale + 8;
      const num = r.cost * this.tickUnits[i]! * 10n ** BigInt(digits);
      const den = r.qty * FINE * 10n ** BigInt(ins.tick.scale);
      averageCost = signedDecimalText(roundDiv(den < 0n ? -num : num, den < 0n ? -den : den), digits);
    }
    return {
      strategy: r.strategy,
      symbol: ins.symbol,
      venue: r.venue,
      quantity: signedDecimalText(r.qty * this.lotUnits[i]!, ins.lot.scale),
      averageCost,
      realisedPnl: signedDecimalText(realised.units, realised.scale),
      unrealisedPnl: unrealised === undefined ? null : signedDecimalText(unrealised.units, unrealised.scale),
      netPnl: net === undefined ? null : signedDecimalText(net.units, net.scale),
      fees,
      feesNotInNet: notInNet,
      mark: known ? ins.ticksToPrice(markTicks) : null,
      quote: ins.quote,
      fills: r.fills,
    };
  }

  /** For journal snapshots: the exact state, by names. */
  export(): PositionSnapshotRow[] {
    return this.all.map((r) => {
      const fees: Record<string, string> = {};
      for (const [c, s] of r.fees) fees[c] = signedDecimalText(s.units, s.scale);
      return { strategy: r.strategy, symbol: r.ins.symbol, venue: r.venue, qtyLots: r.qty.toString(), cost: r.cost.toString(), realised: r.realised.toString(), fineExtra: FINE_EXTRA, fees, fills: r.fills };
    });
  }

  /** Nothing: the ledger writes no EVENT records of its own (JournalStatePart). */
  onEvent(_event: Readonly<Record<string, unknown>>): void {}

  /**
   * Restore what `export` gave (a snapshot section); replaces every row. Rows of strategies or instruments no longer
   * configured are dropped, and so are rows that are not what `export` writes.
   */
  import(section: unknown): void {
    const rows = Array.isArray(section) ? (section as unknown[]).filter(isSnapshotRow) : [];
    this.rows.clear();
    this.rowsByVenue.clear();
    this.venueRows.clear();
    this.all.length = 0;
    for (const list of this.byStrategy) list.length = 0;
    this.venueFills.clear();
    for (const x of rows) {
      const s = this.strategyIds.indexOf(x.strategy);
      const ins = this.store.instruments.get(x.symbol);
      if (s < 0 || ins === undefined) continue;
      const r = this.row(s, ins, x.venue);
      const shift = 10n ** BigInt(Math.abs(FINE_EXTRA - x.fineExtra));
      const rescale = (v: bigint): bigint => (x.fineExtra <= FINE_EXTRA ? v * shift : roundDiv(v, shift));
      r.qty = BigInt(x.qtyLots);
      r.cost = rescale(BigInt(x.cost));
      r.realised = rescale(BigInt(x.realised));
      r.fills = x.fills;
      for (const [c, text] of Object.entries(x.fees)) {
        const p = parseSignedDecimal(text);
        if (p !== undefined) addSum(r.fees, c, p);
      }
      this.refresh(r);
    }
    this.flows.clear();
  }
}

const EMPTY_FLOWS: ReadonlyMap<string, Sum> = new Map();
