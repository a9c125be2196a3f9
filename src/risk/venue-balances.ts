/**
 * Balances per venue x currency (total and free, exact decimals), what the daemon expects them to be:
 *  - a paper venue with `paper.balances` in its configuration: those amounts (free = total), moved by the fills
 *    counted at that venue (PositionLedger.venueFlows: + base bought, - quote paid, - fees, and the reverse for sells);
 *  - an exchange venue (its adapter reads balances: VenueAdapter.balances): the last reading of the venue, moved by
 *    our fills since. `reconcile` (at start, then on a timer: `start` / `stop`) reads the venue again and compares
 *    the TOTAL of each currency with the expected one; a difference (a deposit, a withdrawal, a fill we did not get,
 *    another program on the account) is logged at warn, shown on the row (`difference`) and counted; then the
 *    venue's word becomes the new base. A reading during which one of our fills at that venue arrived proves nothing
 *    (the venue may or may not have counted it): it is neither compared nor adopted, the next tick tries again.
 *    A venue that is down is retried on the next tick; nothing waits for it.
 *  - any other venue: not tracked (no rows, never a routing constraint).
 *
 * Free = the expected free amount less what our open orders placed since the base lock at the venue (a buy locks
 * its rest x limit price of quote, a sell its rest of base; fees are not locked, as on Binance and OKX). Those locks
 * are kept per order by the tracker listener here (integers, allocation-free: it runs on every transition); a
 * market buy's lock is its risk price (0 for a child: not locked).
 *
 * For routing, `fillConstraints` writes the planner's baseBalanceLots / quoteBalanceUnits of one symbol from cached
 * numbers (allocation-free): a tracked venue gets its free base (lots, floored) and free quote (ticks x lots,
 * floored); the planner then sends a buy child only what the quote pays for with the taker fee, a sell child only
 * the base there is. An untracked venue, or an exchange venue not read yet, is unconstrained.
 */
import type { OrderStore, OrderView } from '../core/order-store.js';
import { BUY } from '../core/order-store.js';
import type { TrackerListener } from '../core/order-tracker.js';
import type { Clock } from '../model/clock.js';
import { decimalText, parseDecimal, parseSignedDecimal, signedDecimalText } from '../model/decimal.js';
import type { OrderUpdate, Transition } from '../model/lifecycle.js';
import { isOpen, ORDER_STATES } from '../model/order.js';
import type { PositionLedger } from './position-ledger.js';

/** One currency as a venue reports it: decimal texts. */
export interface VenueBalanceReading {
  readonly free: string;
  readonly total: string;
}

/** Reads a venue's balances (VenueAdapter.balances). */
export type BalanceSource = () => Promise<ReadonlyMap<string, VenueBalanceReading>>;

export interface VenueBalanceSetup {
  readonly name: string;
  /** A paper venue's configured balances (decimal texts): tracked from these. */
  readonly initial?: Readonly<Record<string, string>> | undefined;
  /** An exchange venue's reading of its balances: tracked from its readings. */
  readonly source?: BalanceSource | undefined;
}

/** One balance for the API (GET /v1/balances). */
export interface BalanceRow {
  readonly venue: string;
  readonly currency: string;
  /** Expected total (decimal text). */
  readonly total: string;
  /** Expected free (decimal text). */
  readonly free: string;
  /** 'config' (paper) or 'venue' (the last reading). */
  readonly source: 'config' | 'venue';
  /** When the venue was last read and compared (clock ms); null for config or not yet. */
  readonly lastReconciledAt: number | null;
  /** Venue total - expected total at the last comparison (decimal text; "0" = none); null before any. */
  readonly difference: string | null;
}

/** Per venue, for metrics and health. */
export interface VenueBalanceStatus {
  readonly venue: string;
  readonly tracked: boolean;
  /** Where its balances come from: its configuration, the venue's readings, or none (not tracked). */
  readonly source: 'config' | 'venue' | 'none';
  readonly lastReconciledAt: number | null;
  /** Differences found so far (currencies x comparisons). */
  readonly differences: number;
  /** Readings not compared because one of our fills came meanwhile. */
  readonly inconclusive: number;
  readonly lastError: string | null;
}

export interface BalanceLog {
  warn(obj: object, msg: string): void;
}

interface Sum {
  units: bigint;
  scale: number;
}

const ZERO: Sum = { units: 0n, scale: 0 };

function add(a: Sum, b: Sum, sign: 1n | -1n = 1n): Sum {
  const scale = Math.max(a.scale, b.scale);
  return { units: a.units * 10n ** BigInt(scale - a.scale) + sign * b.units * 10n ** BigInt(scale - b.scale), scale };
}

function text(s: Sum): string {
  return signedDecimalText(s.units, s.scale);
}

function parse(textValue: string): Sum | undefined {
  const canonical = decimalText(textValue);
  return canonical === undefined ? undefined : parseSignedDecimal(canonical);
}

interface VenueState {
  readonly name: string;
  readonly source: BalanceSource | undefined;
  kind: 'config' | 'venue' | 'none';
  base: Map<string, { free: Sum; total: Sum }>;
  baseFlows: ReadonlyMap<string, Sum>;
  /** Our locks (units of the currency's scale) when the base was taken. */
  baseLocks: Float64Array;
  differences: Map<string, Sum> | undefined;
  differenceCount: number;
  inconclusive: number;
  lastReconciledAt: number | null;
  lastError: string | null;
  inFlight: Promise<void> | undefined;
}

export class VenueBalances implements TrackerListener {
  private readonly venues: VenueState[];
  private readonly byName = new Map<string, number>();
  /** Currencies of the instruments (routing works in these), their index and scale (decimals of their unit). */
  private readonly currencies: string[] = [];
  private readonly currencyIndex = new Map<string, number>();
  private readonly unitScale: number[] = [];
  /** Per instrument: its base and quote currency index; units of them per lot, per tick x lot. */
  private readonly baseOf: Int32Array;
  private readonly quoteOf: Int32Array;
  private readonly baseFactor: Float64Array;
  private readonly quoteFactor: Float64Array;
  /** Per venue x currency: 1 = tracked (routing constraint). */
  private readonly tracked: Uint8Array;
  /** Per venue x currency: expected free before the locks since the base, in the currency's units (floored). */
  private readonly freeExLocks: Float64Array;
  /** Per venue: 1 = fills came since freeExLocks was computed (recomputed when next read, not per fill). */
  private readonly stale: Uint8Array;
  /** Per venue x currency: what our open orders at the venue lock, in the currency's units. */
  private readonly locks: Float64Array;
  /** Per venue: 1 = its balances are tracked (configured, or read from it): our open orders lock part of them. */
  private readonly keepsLocks: Uint8Array;
  /** Per order slot: the lock it holds (cell venue x currency, -1 none) and its amount. */
  private lockCell = new Int32Array(0);
  private lockAmount = new Float64Array(0);
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly store: OrderStore,
    private readonly positions: PositionLedger,
    setups: readonly VenueBalanceSetup[],
    private readonly clock: Clock,
    private readonly log: BalanceLog,
  ) {
    const list = store.instruments.list;
    const scaleOf = new Map<string, number>();
    for (const ins of list) {
      scaleOf.set(ins.base, Math.max(scaleOf.get(ins.base) ?? 0, ins.lot.scale));
      scaleOf.set(ins.quote, Math.max(scaleOf.get(ins.quote) ?? 0, ins.tick.scale + ins.lot.scale));
    }
    for (const [c, k] of scaleOf) {
      this.currencyIndex.set(c, this.currencies.length);
      this.currencies.push(c);
      this.unitScale.push(k);
    }
    this.baseOf = Int32Array.from(list, (i) => this.currencyIndex.get(i.base)!);
    this.quoteOf = Int32Array.from(list, (i) => this.currencyIndex.get(i.quote)!);
    this.baseFactor = Float64Array.from(list, (i) => {
      const lot = parseDecimal(i.lot.text)!;
      return Number(lot.units * 10n ** BigInt(this.unitScale[this.baseOf[i.index]!]! - lot.scale));
    });
    this.quoteFactor = Float64Array.from(list, (i) => {
      const t = parseDecimal(i.tick.text)!;
      const l = parseDecimal(i.lot.text)!;
      return Number(t.units * l.units * 10n ** BigInt(this.unitScale[this.quoteOf[i.index]!]! - t.scale - l.scale));
    });
    const C = this.currencies.length;
    this.venues = setups.map((s, v) => {
      this.byName.set(s.name, v);
      const st: VenueState = {
        name: s.name, source: s.source, kind: 'none', base: new Map(), baseFlows: new Map(), baseLocks: new Float64Array(C),
        differences: undefined, differenceCount: 0, inconclusive: 0, lastReconciledAt: null, lastError: null, inFlight: undefined,
      };
      if (s.initial !== undefined) {
        st.kind = 'config';
        for (const [c, amount] of Object.entries(s.initial)) {
          const p = parse(amount);
          if (p === undefined) throw new RangeError(`venue ${s.name}: balance ${c} "${amount}" is not a decimal`);
          st.base.set(c, { free: p, total: p });
        }
      }
      return st;
    });
    this.tracked = new Uint8Array(setups.length);
    this.keepsLocks = Uint8Array.from(setups, (s) => (s.initial !== undefined || s.source !== undefined ? 1 : 0));
    this.freeExLocks = new Float64Array(setups.length * C);
    this.stale = new Uint8Array(setups.length);
    this.locks = new Float64Array(setups.length * C);
    this.ensure(store.capacity);
    positions.onVenueFill = (venue) => {
      const v = this.byName.get(venue);
      if (v !== undefined) this.stale[v] = 1;
    };
    for (let v = 0; v < this.venues.length; v++) this.recompute(v);
  }

  // ------------------------------------------------------------------------------- locks (TrackerListener)

  /** Whether any venue's balances are tracked (without any, the order path need not call this listener). */
  get tracksAny(): boolean {
    return this.keepsLocks.includes(1);
  }

  onTransition(order: OrderView, _update: OrderUpdate, t: Transition): void {
    const slot = order.slot;
    if (slot >= this.lockCell.length) this.ensure(this.store.capacity);
    const old = this.lockCell[slot]!;
    if (old >= 0) {
      this.locks[old]! -= this.lockAmount[slot]!;
      this.lockCell[slot] = -1;
      this.lockAmount[slot] = 0;
    }
    if (!isOpen(t.to) || t.to === 'CREATED') return;
    this.lock(slot);
  }

  /** Takes the lock of the open order in `slot` at its venue (none when the venue is not one of ours). */
  private lock(slot: number): void {
    const s = this.store;
    const v = s.venue[slot]!;
    if (v >= this.venues.length || this.keepsLocks[v] === 0) return;
    const rest = s.qtyLots[slot]! - s.filledLots[slot]!;
    if (!(rest > 0)) return;
    const i = s.symbol[slot]!;
    const C = this.currencies.length;
    let cell: number;
    let amount: number;
    if (s.side[slot] === BUY) {
      const price = s.priceTicks[slot]! > 0 ? s.priceTicks[slot]! : s.riskPriceTicks[slot]!;
      if (!(price > 0)) return;
      cell = v * C + this.quoteOf[i]!;
      amount = rest * price * this.quoteFactor[i]!;
    } else {
      cell = v * C + this.baseOf[i]!;
      amount = rest * this.baseFactor[i]!;
    }
    this.lockCell[slot] = cell;
    this.lockAmount[slot] = amount;
    this.locks[cell]! += amount;
  }

  /**
   * Every lock from the store's open orders again (after a journal snapshot was restored: restored orders reach no
   * listener), then every venue's cached numbers (the position ledger may have been restored too).
   */
  refresh(): void {
    this.ensure(this.store.capacity);
    this.locks.fill(0);
    this.lockCell.fill(-1);
    this.lockAmount.fill(0);
    const s = this.store;
    for (let slot = 0; slot < s.capacity; slot++) {
      if (s.id[slot]! < 0) continue;
      const state = s.state[slot]!;
      if (state === 0 /* CREATED */) continue;
      if (!isOpen(ORDER_STATES[state]!)) continue;
      this.lock(slot);
    }
    for (let v = 0; v < this.venues.length; v++) this.recompute(v);
  }

  private ensure(capacity: number): void {
    if (capacity <= this.lockCell.length) return;
    const cell = new Int32Array(capacity).fill(-1);
    cell.set(this.lockCell);
    const amount = new Float64Array(capacity);
    amount.set(this.lockAmount);
    this.lockCell = cell;
    this.lockAmount = amount;
  }

  // ------------------------------------------------------------------------------- expected balances

  /** Venue v's cached routing numbers from its base, the flows since and the locks at its base. */
  private recompute(v: number): void {
    this.stale[v] = 0;
    const st = this.venues[v]!;
    this.tracked[v] = st.kind === 'none' ? 0 : 1;
    if (st.kind === 'none') return;
    const flows = this.positions.venueFlows(st.name);
    const C = this.currencies.length;
    for (let c = 0; c < C; c++) {
      const cur = this.currencies[c]!;
      const free = add(add(st.base.get(cur)?.free ?? ZERO, flows.get(cur) ?? ZERO), st.baseFlows.get(cur) ?? ZERO, -1n);
      const k = this.unitScale[c]!;
      // floored to the currency's unit
      let units = free.scale <= k ? free.units * 10n ** BigInt(k - free.scale) : free.units / 10n ** BigInt(free.scale - k);
      if (free.scale > k && free.units < 0n && units * 10n ** BigInt(free.scale - k) !== free.units) units -= 1n;
      const n = Number(units) + st.baseLocks[c]!;
      this.freeExLocks[v * C + c] = n > Number.MAX_SAFE_INTEGER ? Number.MAX_SAFE_INTEGER : n < -Number.MAX_SAFE_INTEGER ? -Number.MAX_SAFE_INTEGER : n;
    }
  }

  /** Expected balances of venue v, per currency. */
  private expected(v: number): Map<string, { free: Sum; total: Sum }> {
    const st = this.venues[v]!;
    const out = new Map<string, { free: Sum; total: Sum }>();
    if (st.kind === 'none') return out;
    const flows = this.positions.venueFlows(st.name);
    const names = new Set<string>([...st.base.keys(), ...flows.keys(), ...st.baseFlows.keys()]);
    const C = this.currencies.length;
    for (const cur of names) {
      const moved = add(flows.get(cur) ?? ZERO, st.baseFlows.get(cur) ?? ZERO, -1n);
      const b = st.base.get(cur) ?? { free: ZERO, total: ZERO };
      let free = add(b.free, moved);
      const c = this.currencyIndex.get(cur);
      if (c !== undefined) {
        // our locks placed since the base (integers in the currency's unit)
        const delta = this.locks[v * C + c]! - st.baseLocks[c]!;
        if (delta !== 0) free = add(free, { units: BigInt(delta), scale: this.unitScale[c]! }, -1n);
      }
      out.set(cur, { free, total: add(b.total, moved) });
    }
    return out;
  }

  /**
   * Writes the planner's balance constraints of `symbol` (RoutePlanner baseBalanceLots / quoteBalanceUnits).
   * Allocation-free, except that a venue with fills since it was last read recomputes its numbers once.
   */
  fillConstraints(planner: { readonly venueCount: number; readonly symbolCount: number; readonly baseBalanceLots: Float64Array; readonly quoteBalanceUnits: Float64Array }, symbol: number): void {
    const S = planner.symbolCount;
    const C = this.currencies.length;
    const n = planner.venueCount < this.venues.length ? planner.venueCount : this.venues.length;
    const q = this.quoteOf[symbol]!;
    const b = this.baseOf[symbol]!;
    for (let v = 0; v < n; v++) {
      const vs = v * S + symbol;
      if (this.tracked[v] !== 1) {
        planner.baseBalanceLots[vs] = Infinity;
        planner.quoteBalanceUnits[vs] = Infinity;
        continue;
      }
      if (this.stale[v] === 1) this.recompute(v);
      const fq = this.freeExLocks[v * C + q]! - this.locks[v * C + q]!;
      const fb = this.freeExLocks[v * C + b]! - this.locks[v * C + b]!;
      planner.quoteBalanceUnits[vs] = fq > 0 ? Math.floor(fq / this.quoteFactor[symbol]!) : 0;
      planner.baseBalanceLots[vs] = fb > 0 ? Math.floor(fb / this.baseFactor[symbol]!) : 0;
    }
  }

  // ------------------------------------------------------------------------------- reconciliation

  /**
   * Reads venue `v` and compares (see the header). Never rejects: a failure is kept (`status().lastError`), logged,
   * and the next call tries again. A call while a reading is in flight waits for that one.
   */
  reconcile(v: number): Promise<void> {
    const st = this.venues[v];
    if (st === undefined || st.source === undefined) return Promise.resolve();
    st.inFlight ??= this.readOnce(v, st).finally(() => {
      st.inFlight = undefined;
    });
    return st.inFlight;
  }

  /** Every venue with a source, in parallel. */
  async reconcileAll(): Promise<void> {
    await Promise.all(this.venues.map((_, v) => this.reconcile(v)));
  }

  private async readOnce(v: number, st: VenueState): Promise<void> {
    const before = this.positions.fillsAt(st.name);
    let reading: ReadonlyMap<string, VenueBalanceReading>;
    try {
      reading = await st.source!();
    } catch (err) {
      st.lastError = err instanceof Error ? err.message : String(err);
      this.log.warn({ venue: st.name, err: st.lastError }, 'venue balances could not be read: retried on the next tick');
      return;
    }
    st.lastError = null;
    if (this.positions.fillsAt(st.name) !== before) {
      st.inconclusive++;
      return;
    }
    this.adopt(v, st, reading);
  }

  private adopt(v: number, st: VenueState, reading: ReadonlyMap<string, VenueBalanceReading>): void {
    const read = new Map<string, { free: Sum; total: Sum }>();
    for (const [cur, r] of reading) {
      const free = parse(r.free);
      const total = parse(r.total);
      if (free === undefined || total === undefined) continue;
      read.set(cur, { free, total });
    }
    if (st.kind === 'venue') {
      const expected = this.expected(v);
      const diffs = new Map<string, Sum>();
      for (const cur of new Set([...expected.keys(), ...read.keys()])) {
        const want = expected.get(cur)?.total ?? ZERO;
        const got = read.get(cur)?.total ?? ZERO;
        const d = add(got, want, -1n);
        diffs.set(cur, d);
        if (d.units !== 0n) {
          st.differenceCount++;
          this.log.warn({ venue: st.name, currency: cur, expected: text(want), venueTotal: text(got), difference: text(d) },
            'venue balance differs from what our fills explain: the venue\'s is taken');
        }
      }
      st.differences = diffs;
    }
    st.kind = 'venue';
    st.base = read;
    // a copy: the ledger's sums move on with the next fills
    st.baseFlows = new Map([...this.positions.venueFlows(st.name)].map(([c, f]) => [c, { units: f.units, scale: f.scale }]));
    const C = this.currencies.length;
    for (let c = 0; c < C; c++) st.baseLocks[c] = this.locks[v * C + c]!;
    st.lastReconciledAt = this.clock.now();
    this.recompute(v);
  }

  /** Reconcile every venue now, then every `intervalMs` (off the dispatch thread: async; a tick never overlaps a reading). */
  start(intervalMs: number): Promise<void> {
    this.stop();
    if (intervalMs > 0) {
      this.timer = setInterval(() => void this.reconcileAll(), intervalMs);
      this.timer.unref?.();
    }
    return this.reconcileAll();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  // ------------------------------------------------------------------------------- views

  /** Rows for GET /v1/balances, sorted by venue, currency. Zero balances of exchange venues are left out. */
  list(): BalanceRow[] {
    const out: BalanceRow[] = [];
    this.venues.forEach((st, v) => {
      if (st.kind === 'none') return;
      const source = st.kind;
      for (const [cur, e] of this.expected(v)) {
        const d = st.differences?.get(cur);
        if (source === 'venue' && e.total.units === 0n && e.free.units === 0n && (d === undefined || d.units === 0n)) continue;
        out.push({
          venue: st.name, currency: cur, total: text(e.total), free: text(e.free), source,
          lastReconciledAt: source === 'venue' ? st.lastReconciledAt : null,
          difference: d === undefined ? (source === 'venue' && st.differences !== undefined ? '0' : null) : text(d),
        });
      }
    });
    return out.sort((a, b) => (a.venue !== b.venue ? (a.venue < b.venue ? -1 : 1) : a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0));
  }

  status(): VenueBalanceStatus[] {
    return this.venues.map((st) => ({
      venue: st.name, tracked: st.kind !== 'none', source: st.kind, lastReconciledAt: st.lastReconciledAt, differences: st.differenceCount,
      inconclusive: st.inconclusive, lastError: st.lastError,
    }));
  }
}

