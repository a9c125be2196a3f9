/**
 * The order enhancer stage: per strategy, an optional enhancer module (src/intake/enhancer-sdk.ts) that may adjust
 * each order the strategy sends, synchronously, before the order is created and queued — hence before pre-trade risk,
 * which the dispatcher runs later on every order as usual (an enhancer can never bypass it).
 *
 * Per order (OrderIntake.submitFields, orders of strategies with an enhancer whose `parent` is 0 and that are not
 * TWAP/iceberg parents):
 *  1. suspended (bypassed after a decision over budget or 3 errors in a row, for suspendMs): the order goes on as
 *     is — outcome `suspended`;
 *  2. else the terms the enhancer may change are copied (preallocated: nothing is allocated when it changes nothing),
 *     `enhance` runs in a try/catch and is timed on the injected clock (monoMs);
 *  3. over budget (budgetUs): the decision is discarded, the original goes on, the enhancer is suspended —
 *     `over_budget`; threw: the original goes on — `error` (the third error in a row suspends it too);
 *  4. else the change is validated against the original (quantity lowered only, on the lot grid, at least the minimum
 *     quantity and, for a priced order, the minimum notional; a limit tightened only; MARKET/IOC as the SDK documents;
 *     any priority): an invalid change is discarded as a whole — `invalid`; a valid one is applied to the order's
 *     fields — `changed`; no change — `unchanged`.
 * Every applied change and every discarded decision is journaled once the order exists (an EVENT record
 * `{"event":"enhanced", outcome, orderId, clientOrderId, strategy, symbol, before, after?, reason?, elapsedUs}`; replay
 * ignores it: it changes no state, the ORDER record holds the terms in force). Unchanged and suspended orders are
 * only counted. Metrics: switchyard_enhancer_decisions_total{strategy,outcome} and
 * switchyard_enhancer_decision_seconds{strategy} (the time of each decision that ran).
 */
import { Counter, type Registry } from 'prom-client';
import type { Metric } from 'prom-client';
import {
  ALGO_NONE, BUY, OrderView, PRIORITY_CODE, SELL, TIF_CODE, TYPE_CODE, type NewOrderFields, type OrderStore,
} from '../core/order-store.js';
import type { Clock } from '../model/clock.js';
import type { Instrument, InstrumentRegistry } from '../model/instrument.js';
import { MAX_PRICE_TICKS, MAX_PRICE_TICKS_TEXT, ORDER_TYPES, PRIORITIES, TIME_IN_FORCES, type OrderType, type Priority, type Side, type TimeInForce } from '../model/order.js';
import type {
  EnhancerChange, EnhancerOrder, OrderEnhancer,
} from './enhancer-sdk.js';
import { TypedHistogram } from '../telemetry/typed-histogram.js';

export const ENHANCER_OUTCOMES = ['unchanged', 'changed', 'error', 'over_budget', 'invalid', 'suspended'] as const;
export type EnhancerOutcome = (typeof ENHANCER_OUTCOMES)[number];
const UNCHANGED = 0;
const CHANGED = 1;
const ERROR = 2;
const OVER_BUDGET = 3;
const INVALID = 4;
const SUSPENDED = 5;
const OUTCOMES = ENHANCER_OUTCOMES.length;

/** Errors in a row after which an enhancer is suspended like one over budget. */
export const ENHANCER_MAX_CONSECUTIVE_ERRORS = 3;

const DECISION_SECONDS_BUCKETS = [0.00001, 0.000025, 0.00005, 0.0001, 0.0002, 0.0005, 0.001, 0.005, 0.05];

const MARKET = TYPE_CODE.MARKET;
const LIMIT = TYPE_CODE.LIMIT;
const STOP_LIMIT = TYPE_CODE.STOP_LIMIT;
const IOC = TIF_CODE.IOC;
const FOK = TIF_CODE.FOK;
const GTC = TIF_CODE.GTC;

/** What the journal sink needs (JournalRecorder.event). */
export interface EnhancerJournal {
  event(body: Record<string, unknown>): number;
}

/** Logging as the daemon's logger (pino) does it. */
export interface EnhancerLog {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface EnhancerSettings {
  /** Time a decision may take (µs). */
  readonly budgetUs: number;
  /** Bypass after a decision over budget (ms). */
  readonly suspendMs: number;
  /** The strategy's symbols. */
  readonly symbols: readonly string[];
  /** Feed `signals:{symbol}` entries of those symbols to onSignal. */
  readonly signals: boolean;
}

/** One strategy's enhancer and its state. */
class EnhancerEntry {
  suspendedUntil = -Infinity;
  consecutiveErrors = 0;
  /** Calls into enhance (tests, diagnostics). */
  calls = 0;
  signalErrors = 0;
  readonly budgetMs: number;
  constructor(
    readonly strategy: number,
    readonly enhancer: OrderEnhancer,
    readonly settings: EnhancerSettings,
  ) {
    this.budgetMs = settings.budgetUs / 1000;
  }
}

/**
 * The reused view of the order under decision (reads the intake's fields). What it reads is held in private fields
 * (#): an enhancer gets only the getters, never a handle on the intake's NewOrderFields (through which it could raise
 * the quantity, flip the side or change the symbol, strategy or client order id past the validation and the journal).
 */
class OrderFieldsView implements EnhancerOrder {
  #f: NewOrderFields | undefined;
  #ins: Instrument | undefined;
  #strategyName = '';
  bind(f: NewOrderFields, ins: Instrument, strategyName: string): void {
    this.#f = f;
    this.#ins = ins;
    this.#strategyName = strategyName;
  }
  unbind(): void {
    this.#f = undefined;
  }
  get strategy(): string {
    return this.#strategyName;
  }
  get symbol(): string {
    return this.#ins!.symbol;
  }
  get instrument(): Instrument {
    return this.#ins!;
  }
  get side(): Side {
    return this.#f!.side === BUY ? 'BUY' : 'SELL';
  }
  get type(): OrderType {
    return ORDER_TYPES[this.#f!.type]!;
  }
  get timeInForce(): TimeInForce {
    return TIME_IN_FORCES[this.#f!.tif]!;
  }
  get postOnly(): boolean {
    return this.#f!.postOnly;
  }
  get priority(): Priority {
    return PRIORITIES[this.#f!.priority]!;
  }
  get priceTicks(): number {
    return this.#f!.priceTicks;
  }
  get qtyLots(): number {
    return this.#f!.qtyLots;
  }
  get price(): string {
    return this.#f!.priceTicks > 0 ? this.#ins!.ticksToPrice(this.#f!.priceTicks) : '';
  }
  get quantity(): string {
    return this.#ins!.lotsToQty(this.#f!.qtyLots);
  }
  get clientOrderId(): string | undefined {
    return this.#f!.clientOrderId;
  }
}

/** The terms an enhancer may change, as integers. */
interface Terms {
  type: number;
  tif: number;
  postOnly: boolean;
  priority: number;
  priceTicks: number;
  qtyLots: number;
}

function copyTerms(to: Terms, from: Terms): void {
  to.type = from.type;
  to.tif = from.tif;
  to.postOnly = from.postOnly;
  to.priority = from.priority;
  to.priceTicks = from.priceTicks;
  to.qtyLots = from.qtyLots;
}

function sameTerms(a: Terms, b: Terms): boolean {
  return a.type === b.type && a.tif === b.tif && a.postOnly === b.postOnly && a.priority === b.priority
    && a.priceTicks === b.priceTicks && a.qtyLots === b.qtyLots;
}

function newTerms(): Terms {
  return { type: 0, tif: 0, postOnly: false, priority: 0, priceTicks: 0, qtyLots: 0 };
}

function priorityCode(p: unknown): number {
  return p === 'HIGH' ? PRIORITY_CODE.HIGH : p === 'NORMAL' ? PRIORITY_CODE.NORMAL : p === 'LOW' ? PRIORITY_CODE.LOW : -1;
}

/**
 * The enhancers of the strategies that have one, by strategy index, with their counts and metrics. The intake calls
 * `enhance` then (once the order exists) `journalPending` or (when it refused the order after all) `dropPending`.
 */
export class OrderEnhancers {
  private readonly entries: (EnhancerEntry | undefined)[];
  private readonly bySymbol = new Map<string, EnhancerEntry[]>();
  /** [strategy * OUTCOMES + outcome] */
  private readonly counts: Float64Array;
  private readonly histogram: TypedHistogram;
  private journal: EnhancerJournal | undefined;
  /** Sealed, as `change`: an enhancer cannot turn their fields into accessors or add its own to them. */
  private readonly view = Object.seal(new OrderFieldsView());
  private readonly change: EnhancerChange = Object.seal({ marketable: false, timeInForce: undefined, qtyLots: undefined, priceTicks: undefined, priority: undefined });
  private readonly before = newTerms();
  private readonly after = newTerms();
  /** The decision waiting for its order to exist (journalPending): -1 none, else an outcome. */
  private pendingOutcome = -1;
  private pendingReason = '';
  private pendingElapsedUs = 0;
  private pendingStrategy = 0;
  private pendingSymbol = 0;
  private orderView: OrderView | undefined;
  /** [0] when the decision started, [1] how long it took (monotonic ms): kept here, not in boxed locals. */
  private readonly times = new Float64Array(2);

  constructor(
    private readonly strategyIds: readonly string[],
    private readonly instruments: InstrumentRegistry,
    private readonly clock: Clock,
    private readonly log: EnhancerLog,
    registry?: Registry,
  ) {
    this.entries = strategyIds.map(() => undefined);
    this.counts = new Float64Array(strategyIds.length * OUTCOMES);
    this.histogram = new TypedHistogram(
      'switchyard_enhancer_decision_seconds',
      'Time an order enhancer took to decide about one order (decisions over budget included)',
      [{ name: 'strategy', values: strategyIds }],
      DECISION_SECONDS_BUCKETS,
      1e6,
    );
    if (registry !== undefined) {
      registry.registerMetric(this.histogram as unknown as Metric);
      const counts = this.counts;
      new Counter({
        name: 'switchyard_enhancer_decisions_total',
        help: 'Orders through an order enhancer by outcome: unchanged, changed, error, over_budget, invalid (discarded: the original went on), suspended (bypassed)',
        labelNames: ['strategy', 'outcome'],
        registers: [registry],
        collect() {
          this.reset();
          for (let s = 0; s < strategyIds.length; s++) {
            for (let o = 0; o < OUTCOMES; o++) {
              const n = counts[s * OUTCOMES + o]!;
              if (n > 0) this.inc({ strategy: strategyIds[s]!, outcome: ENHANCER_OUTCOMES[o]! }, n);
            }
          }
        },
      });
    }
  }

  /** Sets strategy `strategy`'s enhancer (one per strategy). */
  add(strategy: number, enhancer: OrderEnhancer, settings: EnhancerSettings): void {
    if (strategy < 0 || strategy >= this.entries.length) throw new RangeError(`no strategy ${strategy}`);
    if (this.entries[strategy] !== undefined) throw new Error(`strategy ${this.strategyIds[strategy]} already has an enhancer`);
    const e = new EnhancerEntry(strategy, enhancer, settings);
    this.entries[strategy] = e;
    if (settings.signals) {
      for (const sym of settings.symbols) {
        let list = this.bySymbol.get(sym);
        if (list === undefined) this.bySymbol.set(sym, (list = []));
        list.push(e);
      }
    }
  }

  /** Where applied and discarded decisions are journaled (the path's JournalRecorder); none: not journaled. */
  setJournal(journal: EnhancerJournal | undefined): void {
    this.journal = journal;
  }

  has(strategy: number): boolean {
    return this.entries[strategy] !== undefined;
  }

  get size(): number {
    let n = 0;
    for (const e of this.entries) if (e !== undefined) n++;
    return n;
  }

  /** Symbols whose signals some enhancer reads (`signals: true`): what the signal feed subscribes to. */
  signalSymbols(): string[] {
    return [...this.bySymbol.keys()];
  }

  /**
   * A signal entry for `symbol`: to every enhancer that reads signals of it. An onSignal that throws is counted
   * (signalErrors) and does not stop the others. Returns how many enhancers got it.
   */
  feedSignal(symbol: string, fields: Readonly<Record<string, string>>): number {
    const list = this.bySymbol.get(symbol);
    if (list === undefined) return 0;
    for (const e of list) {
      try {
        const r: unknown = e.enhancer.onSignal?.(symbol, fields);
        // an async onSignal: its rejection is counted like a throw (unhandled, it would end the process)
        if (r !== undefined) settleQuietly(r, (err) => this.signalFailed(e, err));
      } catch (err) {
        this.signalFailed(e, err);
      }
    }
    return list.length;
  }

  private signalFailed(e: EnhancerEntry, err: unknown): void {
    if (e.signalErrors++ === 0) this.log.warn({ strategy: this.strategyIds[e.strategy], err: errText(err) }, 'order enhancer onSignal threw (counted; logged once)');
  }

  /** Orders of `strategy` with `outcome` so far. */
  count(strategy: number | string, outcome: EnhancerOutcome): number {
    const s = typeof strategy === 'number' ? strategy : this.strategyIds.indexOf(strategy);
    return this.counts[s * OUTCOMES + ENHANCER_OUTCOMES.indexOf(outcome)]!;
  }

  /** Calls into strategy `strategy`'s enhance so far. */
  calls(strategy: number): number {
    return this.entries[strategy]?.calls ?? 0;
  }

  /** onSignal calls of strategy `strategy` that threw. */
  signalErrors(strategy: number): number {
    return this.entries[strategy]?.signalErrors ?? 0;
  }

  /** Is strategy `strategy`'s enhancer bypassed now? */
  suspended(strategy: number): boolean {
    const e = this.entries[strategy];
    return e !== undefined && this.clock.monoMs() < e.suspendedUntil;
  }

  /** Decision time observations of a strategy (count, sum in seconds). */
  decisionTimes(strategy: number): { count: number; sum: number } {
    return this.histogram.cell(strategy);
  }

  /**
   * Runs the strategy's enhancer on an order's fields (the intake's, before the order is created) and applies a valid
   * change to them. Returns true when a decision waits to be journaled (journalPending / dropPending).
   */
  enhance(f: NewOrderFields): boolean {
    this.pendingOutcome = -1;
    const e = this.entries[f.strategy];
    if (e === undefined || f.parent !== 0 || f.algo !== ALGO_NONE) return false;
    const base = f.strategy * OUTCOMES;
    const t = this.times;
    t[0] = this.clock.monoMs();
    if (t[0]! < e.suspendedUntil) {
      this.counts[base + SUSPENDED]!++;
      return false;
    }
    const before = this.before;
    copyTerms(before, f);
    const ins = this.instruments.at(f.symbol);
    const view = this.view;
    const strategyName = this.strategyIds[f.strategy]!;
    view.bind(f, ins, strategyName);
    const change = this.change;
    change.marketable = false;
    change.timeInForce = undefined;
    change.qtyLots = undefined;
    change.priceTicks = undefined;
    change.priority = undefined;
    let thrown: unknown;
    let threw = false;
    let returned: unknown;
    let gavePromise = false;
    e.calls++;
    try {
      returned = e.enhancer.enhance(view, change);
    } catch (err) {
      threw = true;
      thrown = err;
    }
    t[1] = this.clock.monoMs() - t[0]!;
    view.unbind();
    // An `async` enhance returns a promise: its decision is not made synchronously (what it set before its first
    // await is half of one) and a rejection nobody handles would end the process (Node's default). Handled, and
    // discarded as an error.
    if (returned !== undefined && !threw && settleQuietly(returned)) {
      threw = true;
      gavePromise = true;
    }
    const elapsedUs = Math.round(t[1]! * 1000);
    this.histogram.observe(f.strategy, elapsedUs);
    this.pendingStrategy = f.strategy;
    this.pendingSymbol = f.symbol;
    this.pendingElapsedUs = elapsedUs;
    if (t[1]! > e.budgetMs) {
      e.suspendedUntil = t[0]! + t[1]! + e.settings.suspendMs;
      this.counts[base + OVER_BUDGET]!++;
      this.log.warn({ strategy: strategyName, elapsedUs, budgetUs: e.settings.budgetUs, suspendMs: e.settings.suspendMs }, 'order enhancer over its budget: decision discarded, enhancer bypassed for suspendMs');
      return this.pend(OVER_BUDGET, `took ${elapsedUs} µs, over the budget of ${e.settings.budgetUs} µs: suspended for ${e.settings.suspendMs} ms`);
    }
    if (threw) {
      this.counts[base + ERROR]!++;
      let reason = gavePromise ? 'returned a promise (an async enhance?): a decision must be made synchronously' : `threw: ${errText(thrown)}`;
      if (++e.consecutiveErrors >= ENHANCER_MAX_CONSECUTIVE_ERRORS) {
        e.consecutiveErrors = 0;
        e.suspendedUntil = t[0]! + t[1]! + e.settings.suspendMs;
        reason += `; ${ENHANCER_MAX_CONSECUTIVE_ERRORS} errors in a row: suspended for ${e.settings.suspendMs} ms`;
        this.log.warn({ strategy: strategyName, err: gavePromise ? reason : errText(thrown), suspendMs: e.settings.suspendMs }, 'order enhancer threw repeatedly: bypassed for suspendMs');
      }
      return this.pend(ERROR, reason);
    }
    e.consecutiveErrors = 0;
    if (!change.marketable && change.timeInForce === undefined && change.qtyLots === undefined && change.priceTicks === undefined && change.priority === undefined) {
      this.counts[base + UNCHANGED]!++;
      return false;
    }
    let invalid: string | undefined;
    try {
      invalid = this.validate(f, ins);
    } catch (err) {
      invalid = `the change could not be read: ${errText(err)}`;
    }
    if (invalid !== undefined) {
      this.counts[base + INVALID]!++;
      return this.pend(INVALID, invalid);
    }
    if (sameTerms(this.after, before)) {
      this.counts[base + UNCHANGED]!++;
      return false;
    }
    const a = this.after;
    f.type = a.type;
    f.tif = a.tif;
    f.postOnly = a.postOnly;
    f.priority = a.priority;
    f.priceTicks = a.priceTicks;
    f.qtyLots = a.qtyLots;
    this.counts[base + CHANGED]!++;
    return this.pend(CHANGED, '');
  }

  private pend(outcome: number, reason: string): boolean {
    if (this.journal === undefined) return false;
    this.pendingOutcome = outcome;
    this.pendingReason = reason;
    return true;
  }

  /** The change in `this.change` checked against the original `f` into `this.after`; a reason when invalid. */
  private validate(f: NewOrderFields, ins: Instrument): string | undefined {
    const c = this.change;
    const a = this.after;
    copyTerms(a, f);
    if (c.marketable === true) {
      if (f.type !== LIMIT && f.type !== MARKET) return `marketable: a ${ORDER_TYPES[f.type]} order cannot be made a market order`;
      if (f.postOnly) return 'marketable: the order is post-only';
      a.type = MARKET;
      a.priceTicks = 0;
      a.tif = f.tif === FOK ? FOK : IOC;
    } else if (c.marketable !== false) {
      return 'marketable must be a boolean';
    }
    if (c.timeInForce !== undefined) {
      if (c.timeInForce !== 'IOC') return `timeInForce may only be made IOC, not ${String(c.timeInForce)}`;
      if (f.tif === FOK) return 'timeInForce: a FOK order cannot be made IOC (it would allow a partial fill)';
      if (f.postOnly) return 'timeInForce: the order is post-only';
      if (a.tif === GTC) a.tif = IOC;
    }
    if (c.qtyLots !== undefined) {
      const q = c.qtyLots;
      if (!Number.isSafeInteger(q) || q <= 0) return `qtyLots ${String(q)} is not a positive whole number of lots`;
      if (q > f.qtyLots) return `qtyLots ${q} is above the order's ${f.qtyLots}: quantity is never raised`;
      if (q < ins.minQtyLots) return `qtyLots ${q} is below the minimum quantity ${ins.minQtyLots} lots`;
      a.qtyLots = q;
    }
    if (c.priceTicks !== undefined && a.type !== MARKET) {
      const p = c.priceTicks;
      if (f.type !== LIMIT && f.type !== STOP_LIMIT) return `priceTicks: a ${ORDER_TYPES[f.type]} order has no limit to tighten`;
      if (!Number.isSafeInteger(p) || p <= 0) return `priceTicks ${String(p)} is not a positive whole number of ticks`;
      // a SELL is tightened upwards: not past the core's price bound, which submitFields checked before this stage
      if (p > MAX_PRICE_TICKS) return `priceTicks ${p} is above the largest price the core holds exactly, ${MAX_PRICE_TICKS_TEXT}`;
      if (f.side === BUY ? p > f.priceTicks : p < f.priceTicks) {
        return `priceTicks ${p} loosens the ${f.side === SELL ? 'SELL' : 'BUY'} limit ${f.priceTicks}: a limit is only tightened`;
      }
      a.priceTicks = p;
    }
    if (c.priority !== undefined) {
      const code = priorityCode(c.priority);
      if (code < 0) return `priority ${String(c.priority)} is not HIGH, NORMAL or LOW`;
      a.priority = code;
    }
    if (!this.instruments.notionalFits(f.symbol, a.priceTicks, a.qtyLots)) return 'price x quantity is too large to be counted exactly';
    const valuedAt = a.priceTicks > 0 ? a.priceTicks : a.type === MARKET ? 0 : f.stopTicks;
    if (ins.minNotionalUnits > 0 && valuedAt > 0 && valuedAt * a.qtyLots < ins.minNotionalUnits) {
      return 'price x quantity is below the minimum notional';
    }
    return undefined;
  }

  /** Journals the decision `enhance` left pending, naming the order now in `slot`. */
  journalPending(store: OrderStore, slot: number): void {
    const outcome = this.pendingOutcome;
    this.pendingOutcome = -1;
    const journal = this.journal;
    if (outcome < 0 || journal === undefined) return;
    const view = (this.orderView ??= new OrderView(store)).at(slot);
    const ins = this.instruments.at(this.pendingSymbol);
    const body: Record<string, unknown> = {
      event: 'enhanced',
      outcome: ENHANCER_OUTCOMES[outcome],
      orderId: view.id,
      clientOrderId: view.clientOrderId,
      strategy: this.strategyIds[this.pendingStrategy],
      symbol: ins.symbol,
      before: termsJson(this.before, ins),
    };
    if (outcome === CHANGED) body.after = termsJson(this.after, ins);
    else body.reason = this.pendingReason;
    body.elapsedUs = this.pendingElapsedUs;
    journal.event(body);
  }

  /** The order of the decision `enhance` left pending was refused after all: nothing to journal. */
  dropPending(): void {
    this.pendingOutcome = -1;
  }

  /** Stops every enhancer (stop()); one that throws is logged. */
  stop(): void {
    for (const e of this.entries) {
      if (e === undefined) continue;
      try {
        e.enhancer.stop?.();
      } catch (err) {
        this.log.warn({ strategy: this.strategyIds[e.strategy], err: errText(err) }, 'order enhancer stop threw');
      }
    }
  }
}

function termsJson(t: Terms, ins: Instrument): Record<string, unknown> {
  return {
    type: ORDER_TYPES[t.type],
    timeInForce: TIME_IN_FORCES[t.tif],
    postOnly: t.postOnly,
    price: t.priceTicks > 0 ? ins.ticksToPrice(t.priceTicks) : null,
    quantity: ins.lotsToQty(t.qtyLots),
    priority: PRIORITIES[t.priority],
  };
}

/**
 * When `value` is a thenable (a promise an enhancer returned), handles its rejection (`onRejected`, else nothing) so it
 * never becomes an unhandled rejection; true when it was one. Never throws (a hostile `then` getter is a thenable).
 */
function settleQuietly(value: unknown, onRejected?: (err: unknown) => void): boolean {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  try {
    const then = (value as { then?: unknown }).then;
    if (typeof then !== 'function') return false;
    (then as (a: undefined, b: (err: unknown) => void) => unknown).call(value, undefined, (err) => {
      try {
        onRejected?.(err);
      } catch {
        // counted already or nothing to do
      }
    });
  } catch {
    // a `then` that throws: it is still not a synchronous decision
  }
  return true;
}

/** What was thrown, as text (never throws itself: an enhancer may throw anything). */
export function errText(err: unknown): string {
  try {
    return err instanceof Error ? String(err.message) : String(err);
  } catch {
    return 'an unprintable value';
  }
}

