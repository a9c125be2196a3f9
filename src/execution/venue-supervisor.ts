/**
 * Venues that cannot start must not stop the daemon.
 *
 * `RestartingVenue` stands in for an exchange adapter: when the adapter's start() fails for a reason a retry can
 * cure (connection refused, 5xx, timeout while loading markets or opening the stream), the daemon starts without the
 * venue, the venue stays closed to new orders, and the start is tried again with exponential backoff (a fresh adapter
 * each time: a failed start stops its adapter). Once an attempt succeeds, `ready()` (the daemon: reconcile the venue
 * with its journal) runs, and only when it succeeds is the venue opened; a failed `ready()` is retried with the same
 * backoff; so is the reconciliation of a venue that started at once but could not be reconciled (`readyFailed`).
 * Errors an operator must fix — credentials refused (VENUE_AUTH_FAILED), a configuration the venue
 * contradicts (CONFIG_INVALID: instrument not listed, grid mismatch) — are not retried: at start they refuse the start
 * as before; on a later attempt they leave the venue down (state `failed`) and say so.
 *
 * `VenueGate` decides what the router may use: a venue is available only when it is open (started and reconciled)
 * AND its adapter says it is healthy (circuit breaker closed, session up). The adapter's own UP report never opens a
 * venue that is not started or not reconciled.
 *
 * Health is the word of the adapter in use: each adapter reports through a sink of its own (`build(sink)`), and a
 * replaced adapter's health reports are dropped. When an adapter that had reported DOWN (its breaker opened while its
 * start failed) is replaced, the venue is reported UP for the new one, whose breaker starts closed: only UP closes a
 * breaker's DOWN, and a stopped adapter never sends it — the venue stayed unavailable (its /health reason the old
 * breaker's) though the new adapter started, was reconciled and worked.
 */
import type { Logger } from '../telemetry/logger.js';
import type { Instrument } from '../model/instrument.js';
import type { OrderId } from '../model/ids.js';
import type {
  AmendRequest, CancelRequest, OrderBatch, ReportSink, VenueAdapter, VenueBalance, VenueFill, VenueHealth, VenueOrderStatus,
} from './venue.js';

/** Exponential backoff between start attempts: minMs, 2·minMs, … never above maxMs. */
export interface StartRetry {
  readonly minMs: number;
  readonly maxMs: number;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Codes of start failures no retry can cure: the operator has to act. */
const OPERATOR_ERRORS: ReadonlySet<string> = new Set(['VENUE_AUTH_FAILED', 'CONFIG_INVALID']);

/** The catalogue code of an error when it has one (SwitchyardError, VenueError). */
export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A start failure that a retry cannot cure (credentials refused, configuration contradicted by the venue). */
export function isOperatorError(err: unknown): boolean {
  const code = errorCode(err);
  return code !== undefined && OPERATOR_ERRORS.has(code);
}

/**
 * starting: first attempt under way; retrying: an attempt failed, the next is scheduled (or running); reconciling:
 * started, `ready()` not done yet; up: open to new orders; failed: an operator error on a later attempt (no more
 * retries); stopped.
 */
export type VenueStartState = 'starting' | 'retrying' | 'reconciling' | 'up' | 'failed' | 'stopped';

export interface VenueStartStatus {
  readonly state: VenueStartState;
  /** Failed attempts (start or ready) since the last success. */
  readonly failures: number;
  /** Retries made so far (attempts after the first), for the metrics. */
  readonly retries: number;
  /** The last failure: its catalogue code (VENUE_UNAVAILABLE when it had none) and message. */
  readonly lastError?: { readonly code: string; readonly message: string };
  /** When the next attempt is due (clock ms), while retrying. */
  readonly nextAttemptAt?: number;
}

export interface RestartingVenueOptions {
  readonly retry: StartRetry;
  /** Reports for orders the venue cannot take while it is not up (never expected: the router does not route there). */
  readonly sink: ReportSink;
  readonly log: Logger;
  readonly now: () => number;
  readonly timers?: Timers;
  /**
   * Make the venue ready for orders (reconcile it) after a start that followed a failure, or after `readyFailed`.
   * Resolves true when it may be opened; false or a throw retries later.
   */
  readonly ready: () => Promise<boolean>;
  /** The venue is up (after ready()) or down again; for the gate. */
  readonly onState?: (state: VenueStartState) => void;
}

export class RestartingVenue implements VenueAdapter {
  private current: VenueAdapter;
  /** What the adapter in use last said of the venue's health (a new adapter starts UP: its breaker is closed). */
  private health: VenueHealth = 'UP';
  private state: VenueStartState = 'starting';
  private failures = 0;
  private retries = 0;
  private lastError: { code: string; message: string } | undefined;
  private nextAttemptAt: number | undefined;
  private timer: unknown;
  private attempt: Promise<void> | undefined;
  private readonly timers: Timers;
  /**
   * Amend, when the adapter can (VenueAdapter.amend: absent, the daemon refuses amends ORDER_NOT_AMENDABLE): sent on
   * while the venue is up, else refused AMEND_REJECTED VENUE_UNAVAILABLE (the order keeps its terms).
   */
  readonly amend: ((request: AmendRequest) => void) | undefined;

  constructor(
    readonly name: string,
    /** A new adapter that reports to `sink` (its own: see adapterSink). */
    private readonly build: (sink: ReportSink) => VenueAdapter,
    private readonly options: RestartingVenueOptions,
  ) {
    // built now, as before: a configuration error shows at construction
    this.current = this.buildAdapter();
    this.timers = options.timers ?? realTimers;
    // every adapter `build` makes is of one kind: the first says whether it amends
    this.amend = this.current.amend === undefined ? undefined : (request) => this.amendNow(request);
  }

  /** The adapter in use (a new one after each failed start). */
  get adapter(): VenueAdapter {
    return this.current;
  }

  /** A new adapter with a sink of its own: its execution reports pass; its health reports only while it is in use. */
  private buildAdapter(): VenueAdapter {
    const sink = this.options.sink;
    let adapter: VenueAdapter | undefined;
    const own: ReportSink = {
      report: (venue, report) => sink.report(venue, report),
      health: (venue, health, reason) => {
        if (adapter !== undefined && adapter !== this.current) return; // replaced: no longer the venue's word
        this.health = health;
        sink.health?.(venue, health, reason);
      },
    };
    adapter = this.build(own);
    return adapter;
  }

  /** `adapter` replaces the one in use: the venue's health is its word from now on, UP until it says otherwise. */
  private replaceWith(adapter: VenueAdapter): void {
    this.current = adapter;
    if (this.health === 'UP') return;
    this.health = 'UP';
    this.options.sink.health?.(this.name, 'UP');
  }

  private get stopped(): boolean {
    return this.state === 'stopped';
  }

  get isUp(): boolean {
    return this.state === 'up';
  }

  status(): VenueStartStatus {
    return {
      state: this.state,
      failures: this.failures,
      retries: this.retries,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      ...(this.state === 'retrying' && this.nextAttemptAt !== undefined ? { nextAttemptAt: this.nextAttemptAt } : {}),
    };
  }

  /** VenueAdapter.start: the first attempt only, failing on any error (for callers that want the old contract). */
  async start(): Promise<void> {
    await this.current.start();
    this.setState('up');
  }

  /**
   * The daemon's start: the first attempt. Resolves true when the venue started, false when it did not and retries
   * are scheduled; rejects with an operator error (credentials, configuration), which no retry can cure.
   */
  async startOrRetry(): Promise<boolean> {
    try {
      await this.current.start();
    } catch (err) {
      if (isOperatorError(err)) {
        this.note(err);
        throw err;
      }
      this.failed(err, 'start');
      return false;
    }
    this.setState('up');
    return true;
  }

  /**
   * Start a venue whose start was held back (its account lease was another daemon's, src/bus/account-lease.ts) now
   * that it may trade: start, then made ready (reconciled) and opened, with the usual retries. Nothing when it was
   * started already.
   */
  startHeld(): void {
    if (this.state !== 'starting' || this.attempt !== undefined || this.timer !== undefined) return;
    this.attempt = this.retryStart();
  }

  /**
   * The venue started, but the daemon could not make it ready (its reconciliation at start failed): it stays closed
   * and `ready()` is retried with the same backoff, as for a venue that started late.
   */
  readyFailed(err: unknown): void {
    if (this.state !== 'up') return;
    this.failed(err, 'ready');
  }

  private setState(state: VenueStartState): void {
    if (this.stopped) return;
    this.state = state;
    this.options.onState?.(state);
  }

  private note(err: unknown): void {
    this.lastError = { code: errorCode(err) ?? 'VENUE_UNAVAILABLE', message: err instanceof Error ? err.message : String(err) };
  }

  /** An attempt failed: schedule the next one after the backoff. */
  private failed(err: unknown, what: 'start' | 'ready'): void {
    this.note(err);
    this.failures++;
    if (this.stopped) return;
    const { minMs, maxMs } = this.options.retry;
    // 2^(failures-1) without overflow: the exponent stops mattering once maxMs is reached
    const delay = Math.min(maxMs, minMs * 2 ** Math.min(this.failures - 1, 30));
    this.nextAttemptAt = this.options.now() + delay;
    this.setState('retrying');
    this.options.log.error(
      { venue: this.name, code: this.lastError!.code, error: this.lastError!.message, failures: this.failures, retryInMs: delay },
      what === 'start' ? 'venue did not start: it stays closed to new orders, start retried' : 'venue started but could not be made ready: retried',
    );
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      this.attempt = what === 'start' ? this.retryStart() : this.retryReady();
    }, delay);
  }

  private async retryStart(): Promise<void> {
    if (this.stopped) return;
    this.retries++;
    let adapter: VenueAdapter;
    try {
      adapter = this.buildAdapter();
      this.replaceWith(adapter);
      await adapter.start();
    } catch (err) {
      if (this.stopped) return;
      if (isOperatorError(err)) {
        this.note(err);
        this.failures++;
        this.setState('failed');
        this.options.log.error({ venue: this.name, code: this.lastError!.code, error: this.lastError!.message }, 'venue start refused for a reason a retry cannot cure: it stays closed until restarted');
        return;
      }
      this.failed(err, 'start');
      return;
    }
    if (this.stopped) {
      await adapter.stop();
      return;
    }
    this.options.log.info({ venue: this.name, failures: this.failures }, 'venue started after all: reconciling before opening it');
    await this.retryReady();
  }

  private async retryReady(): Promise<void> {
    if (this.stopped) return;
    this.setState('reconciling');
    let ok = false;
    let error: unknown = new Error('not ready');
    try {
      ok = await this.options.ready();
    } catch (err) {
      error = err;
    }
    if (this.stopped) return;
    if (!ok) {
      this.failed(error, 'ready');
      return;
    }
    this.failures = 0;
    this.nextAttemptAt = undefined;
    this.setState('up');
    this.options.log.info({ venue: this.name }, 'venue open to new orders');
  }

  // ---------------------------------------------------------------------------------------------- VenueAdapter

  submit(batch: OrderBatch): void {
    if (this.state === 'up') {
      this.current.submit(batch);
      return;
    }
    // The router does not route to a venue that is not up; should an order come anyway, it never left.
    const ids: OrderId[] = [];
    for (let i = 0; i < batch.count; i++) ids.push(batch.orderId(i));
    queueMicrotask(() => {
      for (const orderId of ids) this.options.sink.report(this.name, { kind: 'REJECTED', orderId, reason: 'VENUE_UNAVAILABLE' });
    });
  }

  cancel(request: CancelRequest): void {
    if (this.state === 'up' || this.state === 'reconciling') {
      this.current.cancel(request);
      return;
    }
    // Not started: nothing can reach the venue. The order stays as it is (reconciliation looks at it once it is up).
    queueMicrotask(() => this.options.sink.report(this.name, { kind: 'CANCEL_REJECTED', orderId: request.orderId, reason: 'VENUE_UNAVAILABLE' }));
  }

  private amendNow(request: AmendRequest): void {
    const amend = this.current.amend;
    if (this.state === 'up' && amend !== undefined) {
      amend.call(this.current, request);
      return;
    }
    // Not up: nothing can reach the venue; the order keeps its terms.
    queueMicrotask(() => this.options.sink.report(this.name, { kind: 'AMEND_REJECTED', orderId: request.orderId, reason: 'VENUE_UNAVAILABLE' }));
  }

  adopt(order: { readonly orderId: OrderId; readonly clientOrderId: string; readonly instrument: Instrument; readonly venueOrderId?: string | undefined; readonly qtyLots?: number }): void {
    this.current.adopt?.(order);
  }

  lookup(clientOrderId: string, instrument: Instrument, venueOrderId?: string): Promise<VenueOrderStatus | null> {
    const a = this.current;
    if (a.lookup === undefined) return Promise.reject(new Error(`${this.name}: the adapter cannot look orders up`));
    return a.lookup(clientOrderId, instrument, venueOrderId);
  }

  validityWindowMs(): number {
    return this.current.validityWindowMs?.() ?? 0;
  }

  headroom(instrument: Instrument): number {
    return this.current.headroom?.(instrument) ?? Infinity;
  }

  openOrders(instruments: readonly Instrument[]): Promise<VenueOrderStatus[]> {
    const a = this.current;
    if (a.openOrders === undefined) return Promise.reject(new Error(`${this.name}: the adapter cannot list open orders`));
    return a.openOrders(instruments);
  }

  balances(): Promise<ReadonlyMap<string, VenueBalance>> {
    const a = this.current;
    if (a.balances === undefined) return Promise.reject(new Error(`${this.name}: the adapter cannot read balances`));
    if (!this.isUp) return Promise.reject(new Error(`${this.name}: not started (retrying)`));
    return a.balances();
  }

    fillsSince(sinceMs: number, instruments: readonly Instrument[]): Promise<VenueFill[]> {
    const a = this.current;
    if (a.fillsSince === undefined) return Promise.reject(new Error(`${this.name}: the adapter cannot list fills`));
    return a.fillsSince(sinceMs, instruments);
  }

  async stop(): Promise<void> {
    const was = this.state;
    this.state = 'stopped';
    this.options.onState?.('stopped');
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    // an attempt under way finishes (and stops its adapter) on its own; wait for it so nothing is left running
    await this.attempt?.catch(() => undefined);
    // a failed start already stopped its adapter; stopping again is harmless for the exchange adapters
    if (was !== 'stopped') await this.current.stop();
  }
}

/**
 * What the router may use: `available[v]` = open (started and reconciled) AND healthy (the adapter's own UP/DOWN
 * reports) AND not halted AND its account lease held (when leases are on: src/bus/account-lease.ts). Writes the
 * dispatcher's `available` array in place, and its `leasedElsewhere` array (1 = closed for want of the lease: an order pinned
 * there is denied VENUE_LEASED, not VENUE_UNAVAILABLE).
 */
export class VenueGate {
  private readonly open: Uint8Array;
  private readonly healthy: Uint8Array;
  /** 1 = HALTED by its trading state (operator, kill switch): closed to new orders whatever the venue says. */
  private readonly halted: Uint8Array;
  /** Why the venue's account lease is not ours (undefined: held, or no lease needed). */
  private readonly unleased: (string | undefined)[];
  /**
   * Why the venue is closed, and why it is unhealthy: kept apart, so that what /health shows is the cause that still
   * holds (a venue reconciled at last while its breaker is open says so, not "not reconciled").
   */
  private readonly closedReasons: (string | undefined)[];
  private readonly downReasons: (string | undefined)[];

  constructor(private readonly available: Uint8Array, private readonly leasedElsewhere: Uint8Array = new Uint8Array(available.length)) {
    this.open = new Uint8Array(available.length).fill(1);
    this.healthy = new Uint8Array(available.length).fill(1);
    this.halted = new Uint8Array(available.length);
    this.unleased = new Array<string | undefined>(available.length).fill(undefined);
    this.closedReasons = new Array<string | undefined>(available.length).fill(undefined);
    this.downReasons = new Array<string | undefined>(available.length).fill(undefined);
  }

  setOpen(v: number, open: boolean, reason?: string): void {
    this.open[v] = open ? 1 : 0;
    this.closedReasons[v] = open ? undefined : reason;
    this.apply(v);
  }

  setHealth(v: number, up: boolean, reason?: string): void {
    this.healthy[v] = up ? 1 : 0;
    this.downReasons[v] = up ? undefined : reason;
    this.apply(v);
  }

  setHalted(v: number, halted: boolean): void {
    this.halted[v] = halted ? 1 : 0;
    this.apply(v);
  }

  /** The venue's account lease: held (or not needed), or not held with the reason (VENUE_LEASED: who holds it). */
  setLease(v: number, held: boolean, reason?: string): void {
    this.unleased[v] = held ? undefined : (reason ?? 'VENUE_LEASED');
    this.apply(v);
  }

  isOpen(v: number): boolean {
    return this.open[v] === 1;
  }

  isHealthy(v: number): boolean {
    return this.healthy[v] === 1;
  }

  /**
   * Why the venue is not available, undefined when it is: halted, its lease not ours, closed (not started, not
   * reconciled), then unhealthy, in that order — the first cause that holds.
   */
  reason(v: number): string | undefined {
    if (this.available[v] === 1) return undefined;
    if (this.halted[v] === 1) return 'TRADING_HALTED';
    if (this.unleased[v] !== undefined) return this.unleased[v];
    return this.open[v] === 0 ? this.closedReasons[v] : this.downReasons[v];
  }

  private apply(v: number): void {
    const held = this.unleased[v] === undefined ? 1 : 0;
    this.leasedElsewhere[v] = held ^ 1;
    this.available[v] = this.open[v]! & this.healthy[v]! & (this.halted[v]! ^ 1) & held;
  }
}
