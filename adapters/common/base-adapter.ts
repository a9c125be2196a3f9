/**
 * The part of an exchange adapter that does not depend on the transport: idempotent submission, unknown outcomes,
 * cancels, the circuit breaker, rate limits, the stream-down REST polling and reconciliation. ccxt, binance-ws and
 * okx-ws extend it and supply the transport (connect, place, cancel, queries, the execution-report stream).
 *
 * Submission. submit() copies the batch view into TrackedOrders (client order id recorded first), then each request
 * (one order, or an OKX batch of up to 20) waits for rate-limit tokens and an in-flight slot, and goes out. Each
 * entry's answer is handled on its own:
 *  - accepted           ACCEPTED (and fills, when the answer carries them);
 *  - refused            REJECTED with the catalogue code and the venue's reason;
 *  - rate limited       sent again after Retry-After (at most maxRateLimitRetries times): it never executed;
 *  - no answer          (timeout, lost connection, 5xx, duplicate client id): the order stays SUBMITTED and is
 *                       looked up by client order id until the venue knows it. Not found is only conclusive once the
 *                       request can no longer execute (its validity window: Binance recvWindow, OKX expTime or the
 *                       request timestamp window, plus clockSkewMs); then REJECTED VENUE_TIMEOUT. Never resent.
 *
 * Cancels go out at cancel priority by the venue order id our order is bound to (by client order id only while
 * none is known): a client order id is unique only among an account's open orders, so once ours has closed (filled
 * while its report was lost, canceled) another program with the same keys may hold it, and a cancel by client id
 * would cancel their order. Lookups and trade fetches of a bound order go by its venue id too. A cancel for an order
 * whose submission has not resolved waits for it (or drops the order before it is sent: CANCELED). A refused cancel
 * is CANCEL_REJECTED and the order is looked up, so a fill that won the race is reported.
 *
 * Streams. The transport calls streamUp() once its execution-report subscription is confirmed and streamDown() when
 * it is lost. While down, open orders and fills are polled by REST every pollIntervalMs; on the way back up one
 * reconciliation covers what happened meanwhile. Trade ids make every source idempotent (order-ledger.ts).
 */
import type { Logger } from 'pino';
import {
  toVenueOrders,
  type CancelRequest,
  type OrderBatch,
  type ReportSink,
  type VenueAdapter,
  type VenueFill,
  type VenueOrderStatus,
} from '../../src/execution/venue.js';
import type { Clock } from '../../src/model/clock.js';
import { SwitchyardError } from '../../src/model/errors.js';
import type { Instrument } from '../../src/model/instrument.js';
import { Backoff, sleep } from './backoff.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { type FillFee, fillFee } from './fees.js';
import { VenueError, asVenueError, notSent, unknownOutcome } from './errors.js';
import { checkMarkets } from './market-check.js';
import { type LedgerFees, OrderLedger, type TrackedOrder } from './order-ledger.js';
import { type Cost, type PoolSpec, type RunOptions, VenueRateLimiter } from './rate-limiter.js';
import type { AdapterSettings } from './settings.js';
import { type CancelResult, type OrderSnapshot, type PlaceResult, TERMINAL_STATES, type TradeEvent, type VenueMarket } from './types.js';

export type QueryKind = 'order' | 'open' | 'trades' | 'orderTrades';

export interface OrderRef {
  readonly clientOrderId: string | undefined;
  readonly venueOrderId: string | undefined;
  readonly instrument: Instrument;
}

export interface TradeQuery {
  /** Trades at or after (epoch ms). */
  readonly sinceMs?: number | undefined;
  /** Only this order's trades. */
  readonly venueOrderId?: string | undefined;
}

export interface BaseAdapterOptions {
  readonly name: string;
  readonly instruments: readonly Instrument[];
  readonly sink: ReportSink;
  readonly log: Logger;
  readonly clock: Clock;
  readonly fees: LedgerFees;
  readonly settings: AdapterSettings;
  readonly pools: readonly PoolSpec[];
}

export interface AdapterStats {
  ordersSent: number;
  /** Orders whose submission had no usable answer. */
  unknownOutcomes: number;
  /** Lookups by client order id made to resolve them. */
  lookups: number;
  /** Unknown outcomes resolved by finding the order. */
  resolvedByLookup: number;
  /** Unknown outcomes resolved as never executed (not found after the validity window). */
  resolvedNotFound: number;
  /** Orders sent again after a rate-limit refusal. */
  rateLimitRetries: number;
  streamDrops: number;
  reconciliations: number;
  gapFills: number;
  /** New orders the venue refused as a duplicate client order id (then looked up: adopted only if ours). */
  duplicateAnswers: number;
  /** Of those, found at the venue and taken as ours (what we sent, e.g. an earlier request of ours). */
  duplicatesAdopted: number;
}

const GAP_DELAY_MS = 300;

export abstract class BaseVenueAdapter implements VenueAdapter {
  readonly name: string;
  protected readonly log: Logger;
  protected readonly clock: Clock;
  protected readonly sink: ReportSink;
  protected readonly settings: AdapterSettings;
  protected readonly instruments: readonly Instrument[];
  protected readonly bySymbol: ReadonlyMap<string, Instrument>;
  readonly ledger: OrderLedger;
  readonly limiter: VenueRateLimiter;
  readonly breaker: CircuitBreaker;
  readonly counters: AdapterStats = {
    ordersSent: 0,
    unknownOutcomes: 0,
    lookups: 0,
    resolvedByLookup: 0,
    resolvedNotFound: 0,
    rateLimitRetries: 0,
    streamDrops: 0,
    reconciliations: 0,
    gapFills: 0,
    duplicateAnswers: 0,
    duplicatesAdopted: 0,
  };
  protected stopped = false;
  protected started = false;
  /** Aborted by stop(): every sleep and wait of the adapter ends. */
  protected readonly abort = new AbortController();
  private live = false;
  private downSince = 0;
  private lastReconcileAt = 0;
  private pollTimer: NodeJS.Timeout | undefined;
  private reconcileTimer: NodeJS.Timeout | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private reconciling: Promise<void> | undefined;
  private streamWaiters: Array<() => void> = [];
  /** A definitive refusal (credentials) met while starting: start() fails with it. */
  private startFailure: VenueError | undefined;
  /** Configured rates, for a trade the venue reported without a fee (see common/fees.ts). */
  private readonly fees: LedgerFees;

  constructor(options: BaseAdapterOptions) {
    this.name = options.name;
    this.log = options.log;
    this.clock = options.clock;
    this.sink = options.sink;
    this.settings = options.settings;
    this.instruments = options.instruments;
    this.bySymbol = new Map(options.instruments.map((i) => [i.symbol, i]));
    this.fees = options.fees;
    this.ledger = new OrderLedger(options.name, options.sink, options.log, options.fees, () => this.clock.now(), (i) => this.venueSymbol(i));
    this.limiter = new VenueRateLimiter({
      venue: options.name,
      pools: options.pools,
      maxInFlight: options.settings.maxInFlight,
      log: options.log,
    });
    this.breaker = new CircuitBreaker(options.settings.circuitBreaker, {
      onOpen: (reason) => {
        this.log.warn({ venue: this.name, reason }, 'circuit breaker open: venue DOWN');
        this.sink.health?.(this.name, 'DOWN', reason);
      },
      onClose: () => {
        this.log.info({ venue: this.name }, 'circuit breaker closed: venue UP');
        this.sink.health?.(this.name, 'UP');
      },
      probe: () => this.probe(),
    });
  }

  // ------------------------------------------------------------------------------------------ transport hooks

  /** Connects and loads the venue's markets (and limits). */
  protected abstract connect(): Promise<VenueMarket[]>;
  /** Starts the execution-report stream; resolves once streamUp() was called or after streamStartTimeoutMs. */
  protected abstract openStream(): Promise<void>;
  protected abstract closeTransport(): Promise<void>;
  protected abstract placeCosts(group: readonly TrackedOrder[]): Cost[];
  protected abstract cancelCosts(t: TrackedOrder): Cost[];
  protected abstract queryCosts(kind: QueryKind, instrument: Instrument): Cost[];
  /** Sends one request for the group; one result per order, in order. Throws a VenueError for the whole request. */
  protected abstract place(group: readonly TrackedOrder[]): Promise<PlaceResult[]>;
  protected abstract sendCancel(t: TrackedOrder): Promise<CancelResult>;
  /** The order, or null when the venue has no such order. */
  protected abstract fetchOrder(ref: OrderRef): Promise<OrderSnapshot | null>;
  protected abstract fetchOpen(instrument: Instrument): Promise<OrderSnapshot[]>;
  protected abstract fetchTrades(instrument: Instrument, query: TradeQuery): Promise<TradeEvent[]>;
  /** How long after it was sent a request that got no answer may still execute at the venue (before clockSkewMs). */
  protected abstract requestValidityMs(): number;

  /** See VenueAdapter.validityWindowMs: the venue's request window plus clock skew. */
  validityWindowMs(): number {
    return this.requestValidityMs() + this.settings.clockSkewMs;
  }

  /** How new orders are grouped into requests (default: one order per request). */
  protected planGroups(orders: readonly TrackedOrder[]): TrackedOrder[][] {
    return orders.map((t) => [t]);
  }

  /**
   * The venue's symbol text for an instrument, as the adapter's snapshots state it (OrderSnapshot.venueSymbol):
   * part of the check that an order found under our client order id is ours. undefined = not checked.
   */
  protected venueSymbol(_instrument: Instrument): string | undefined {
    return undefined;
  }

  /** Whether orders can be sent right now (native adapters: their websocket session is up). */
  protected transportReady(): boolean {
    return true;
  }

  /** The half-open probe: a cheap private read. */
  protected async probe(): Promise<void> {
    const inst = this.instruments[0];
    if (inst === undefined) return;
    await this.query('open', inst, () => this.fetchOpen(inst), false);
  }

  // ------------------------------------------------------------------------------------------ lifecycle

  async start(): Promise<void> {
    try {
      const markets = await this.connect();
      const check = checkMarkets(this.name, this.instruments, markets);
      for (const w of check.warnings) this.log.warn({ venue: this.name }, w);
      if (check.errors.length > 0) {
        throw new SwitchyardError('CONFIG_INVALID', `venue ${this.name}: ${check.errors.join('; ')}`, { venue: this.name, errors: check.errors });
      }
      await this.openStream();
      if (this.startFailure !== undefined) {
        throw new SwitchyardError(this.startFailure.code, `venue ${this.name}: ${this.startFailure.message}`, { venue: this.name });
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.started = true;
    this.lastReconcileAt = this.clock.now();
    if (!this.transportReady()) {
      // up, but not usable yet: DOWN until the connection is there (the breaker's probe checks it)
      this.breaker.forceOpen('not connected at start', this.settings.circuitBreaker.openMs);
    }
    if (!this.live) {
      this.log.warn({ venue: this.name }, 'execution-report stream not up yet: polling by REST meanwhile');
      this.downSince = this.clock.now();
      this.startPolling();
    }
    if (this.settings.reconcileIntervalMs > 0) {
      this.reconcileTimer = setInterval(() => {
        if (this.live) void this.reconcile('periodic');
      }, this.settings.reconcileIntervalMs);
      this.reconcileTimer.unref();
    }
    this.pruneTimer = setInterval(() => this.ledger.prune(this.settings.retainDoneMs), Math.min(60_000, Math.max(1000, this.settings.retainDoneMs)));
    this.pruneTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    if (this.pollTimer !== undefined) clearInterval(this.pollTimer);
    if (this.reconcileTimer !== undefined) clearInterval(this.reconcileTimer);
    if (this.pruneTimer !== undefined) clearInterval(this.pruneTimer);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.breaker.stop();
    this.limiter.stop();
    for (const w of this.streamWaiters) w();
    this.streamWaiters = [];
    try {
      await this.closeTransport();
    } catch (err) {
      this.log.warn({ venue: this.name, err: errText(err) }, 'closing the venue connection failed');
    }
  }

  /** Counters of the adapter, its rate limiter and its ledger. */
  stats(): AdapterStats & { limiter: VenueRateLimiter['stats']; ledger: OrderLedger['stats']; breaker: string; streamLive: boolean } {
    return { ...this.counters, limiter: { ...this.limiter.stats }, ledger: { ...this.ledger.stats }, breaker: this.breaker.state, streamLive: this.live };
  }

  get streamLive(): boolean {
    return this.live;
  }

  // ------------------------------------------------------------------------------------------ submission

  submit(batch: OrderBatch): void {
    const orders: TrackedOrder[] = [];
    for (const order of toVenueOrders(batch)) orders.push(this.ledger.add(order));
    if (orders.length > 0) void this.placeNew(orders);
  }

  private refusal(t: TrackedOrder): string | undefined {
    if (this.stopped) return 'VENUE_UNAVAILABLE: adapter stopped';
    if (t.type === 'STOP' || t.type === 'STOP_LIMIT') return `VENUE_REJECTED: ${t.type} orders are not supported by the ${this.name} adapter`;
    const ours = this.bySymbol.get(t.instrument.symbol);
    if (ours === undefined || ours.tick.text !== t.instrument.tick.text || ours.lot.text !== t.instrument.lot.text) {
      return `VENUE_REJECTED: ${t.instrument.symbol} is not configured on venue ${this.name} (or with another tick/lot size)`;
    }
    if (!this.breaker.allowsOrders()) return `VENUE_UNAVAILABLE: circuit breaker ${this.breaker.state} (${this.breaker.reason})`;
    const paused = this.limiter.pausedUntilMs;
    if (paused - this.clock.now() > this.settings.requestTimeoutMs) return `VENUE_RATE_LIMITED: venue paused for ${Math.ceil((paused - this.clock.now()) / 1000)} s`;
    return undefined;
  }

  private async placeNew(orders: TrackedOrder[]): Promise<void> {
    // Reports never come out of submit() itself.
    await Promise.resolve();
    try {
      const go: TrackedOrder[] = [];
      for (const t of orders) {
        const why = this.refusal(t);
        if (why !== undefined) this.ledger.reject(t, why);
        else go.push(t);
      }
      await Promise.all(this.planGroups(go).map((g) => this.placeGroup(g, 0)));
    } catch (err) {
      this.log.error({ venue: this.name, err: errText(err) }, 'placing orders failed unexpectedly');
    }
  }

  private async placeGroup(group: TrackedOrder[], attempt: number): Promise<void> {
    let sending: TrackedOrder[] = group;
    let results: readonly PlaceResult[];
    let thrown = false;
    const options: RunOptions = { maxPauseWaitMs: this.settings.requestTimeoutMs };
    try {
      results = await this.limiter.run(
        this.placeCosts(group),
        'order',
        async () => {
          sending = group.filter((t) => {
            if (!t.cancelWanted) return true;
            this.ledger.canceledUnsent(t);
            return false;
          });
          if (sending.length === 0) return [];
          if (!this.breaker.allowsOrders()) throw notSent(`circuit breaker ${this.breaker.state} (${this.breaker.reason})`);
          const now = this.clock.now();
          for (const t of sending) {
            t.phase = 'SENT';
            t.sentAt = now;
          }
          this.counters.ordersSent += sending.length;
          return this.place(sending);
        },
        options,
      );
      this.breaker.success();
    } catch (err) {
      thrown = true;
      const e = asVenueError(err);
      this.account(e);
      results = sending.map(() => ({ kind: 'failed', error: e }) as const);
    }
    const retry: TrackedOrder[] = [];
    let refusedEntries = 0;
    let refusal: VenueError | undefined;
    for (let i = 0; i < sending.length; i++) {
      const t = sending[i]!;
      const r: PlaceResult = results[i] ?? { kind: 'failed', error: unknownOutcome('the venue answer has no entry for this order') };
      if (r.kind === 'accepted') {
        this.ledger.accept(t, r.venueOrderId);
        if (r.snapshot !== undefined) this.applySnapshot(r.snapshot);
        for (const tr of r.trades ?? []) this.ledger.applyTrade(tr);
        this.afterKnown(t);
        continue;
      }
      const e = r.error;
      switch (e.kind) {
        case 'rate-limited':
          refusedEntries++;
          refusal = e;
          if (attempt < this.settings.maxRateLimitRetries && !this.stopped) {
            t.phase = 'QUEUED';
            retry.push(t);
          } else {
            this.ledger.reject(t, e.reason);
          }
          break;
        case 'duplicate':
          // Nothing was placed by this request: another open order holds the client order id. Ours (an earlier
          // request) is adopted; anyone else's is left alone and ours is REJECTED (resolveUnknown).
          t.phase = 'UNKNOWN';
          this.counters.duplicateAnswers++;
          this.log.warn({ venue: this.name, orderId: t.orderId, clientOrderId: t.clientOrderId, reason: e.message }, 'client order id refused as a duplicate: looking up the order that holds it');
          void this.resolveUnknown(t, e.message, true);
          break;
        case 'unknown':
        case 'not-found':
          t.phase = 'UNKNOWN';
          this.counters.unknownOutcomes++;
          this.log.warn({ venue: this.name, orderId: t.orderId, clientOrderId: t.clientOrderId, reason: e.message }, 'submit outcome unknown: looking the order up by client id');
          void this.resolveUnknown(t, e.message);
          break;
        case 'banned':
          this.breaker.forceOpen(e.reason, e.details.retryAfterMs ?? 120_000);
          this.ledger.reject(t, e.reason);
          break;
        case 'auth':
          this.breaker.forceOpen(e.reason, this.settings.circuitBreaker.maxOpenMs);
          this.ledger.reject(t, e.reason);
          break;
        default:
          this.ledger.reject(t, e.reason);
      }
    }
    if (refusal !== undefined && !thrown) {
      // entries of an answered request (a batch) refused on their own: learn from them too
      this.limiter.refused(refusal, this.placeCosts(sending).map((c) => c.pool), refusedEntries);
    }
    if (retry.length > 0) {
      this.counters.rateLimitRetries += retry.length;
      await Promise.all(this.planGroups(retry).map((g) => this.placeGroup(g, attempt + 1)));
    }
  }

  /** Breaker accounting for a request that threw. */
  private account(e: VenueError): void {
    if (e.venueFailure) this.breaker.failure(e.message);
    else if (e.kind !== 'not-sent') this.breaker.success();
  }

  /** The submission is resolved (accepted): a cancel that waited for it goes now. */
  private afterKnown(t: TrackedOrder): void {
    if (t.cancelWanted && t.accepted && !t.done && !t.cancelInFlight) {
      t.cancelWanted = false;
      void this.cancelFlow(t, 0);
    }
  }

  /**
   * Looks an order up by client order id after a submission without a usable answer (timeout, lost connection, 5xx)
   * or one the venue refused as a duplicate client order id (`duplicate`: that request placed nothing). An order
   * found there is taken as ours only if it is what we sent (symbol, side, type, quantity, price: order-match.ts):
   *  - found, ours            ACCEPTED (and its fills), as if the answer had come;
   *  - found, someone else's  left alone and logged (never tracked, never canceled); ours is REJECTED
   *                           DUPLICATE_CLIENT_ORDER_ID at once after a duplicate answer, or when the other order is
   *                           open (the venue would then have refused ours); after the validity window when the other
   *                           order is final (ours, still on its way, might yet execute: its own reports would tell);
   *  - not found              looked up again until the request's validity window has passed (a venue's queries may
   *                           lag its answers); then REJECTED VENUE_TIMEOUT, or DUPLICATE_CLIENT_ORDER_ID after a
   *                           duplicate answer (the order that held the id is gone or on another symbol: nothing of
   *                           ours was placed, and nothing is adopted blindly).
   */
  private async resolveUnknown(t: TrackedOrder, why: string, duplicate = false): Promise<void> {
    const deadline = t.sentAt + this.validityWindowMs();
    const backoff = new Backoff({ minMs: 100, maxMs: 2000 });
    let foreign: { venueOrderId: string | undefined; mismatches: string[] } | undefined;
    while (!this.stopped) {
      if (t.accepted || t.done) {
        this.afterKnown(t);
        return;
      }
      let snap: OrderSnapshot | null;
      try {
        this.counters.lookups++;
        snap = await this.query('order', t.instrument, () => this.fetchOrder(t));
      } catch (err) {
        this.log.warn({ venue: this.name, clientOrderId: t.clientOrderId, err: errText(err) }, 'lookup failed; trying again');
        await sleep(backoff.next(), this.abort.signal);
        continue;
      }
      if (t.accepted || t.done) {
        this.afterKnown(t);
        return;
      }
      if (snap !== null) {
        const mismatches = this.ledger.isForeign(snap.venueOrderId) ? ['known to be another order'] : this.ledger.mismatches(t, snap).map((m) => m.text);
        if (mismatches.length === 0) {
          if (duplicate) this.counters.duplicatesAdopted++;
          else this.counters.resolvedByLookup++;
          this.applySnapshot(snap);
          if (!t.accepted && !t.done) this.ledger.accept(t, snap.venueOrderId);
          this.afterKnown(t);
          return;
        }
        this.ledger.markForeign(t, snap.venueOrderId, snap.state, mismatches);
        foreign = { venueOrderId: snap.venueOrderId, mismatches };
        if (duplicate || !TERMINAL_STATES.has(snap.state)) {
          this.rejectDuplicate(t, why, foreign);
          return;
        }
      }
      const now = this.clock.now();
      if (now >= deadline) {
        if (duplicate || foreign !== undefined) {
          this.rejectDuplicate(t, why, foreign);
          return;
        }
        this.counters.resolvedNotFound++;
        t.givenUp = true; // still looked for by reconciliation while retained: a lagging venue query would show it
        this.ledger.reject(
          t,
          `VENUE_TIMEOUT: ${why}; the venue has no order with client id ${t.clientOrderId} after the request's validity window`,
        );
        if (t.cancelWanted) this.ledger.cancelRejected(t, 'VENUE_REJECTED: the order never reached the venue');
        return;
      }
      await sleep(Math.max(backoff.next(), deadline - now + 1), this.abort.signal);
    }
  }

  /** Our order is not at the venue: another order holds its client order id there (left alone). */
  private rejectDuplicate(t: TrackedOrder, why: string, foreign: { venueOrderId: string | undefined; mismatches: string[] } | undefined): void {
    const held =
      foreign === undefined
        ? `no order with that id found in ${t.instrument.symbol} within the request's validity window`
        : `the venue's order ${foreign.venueOrderId ?? '(no id)'} under that id is not ours (${foreign.mismatches.join('; ')}); left alone`;
    this.ledger.reject(t, `DUPLICATE_CLIENT_ORDER_ID: ${why}; client order id ${t.clientOrderId}: ${held}`);
    // a cancel that waited for the submission: there is nothing of ours to cancel, and the other order is not ours
    if (t.cancelWanted) this.ledger.cancelRejected(t, 'ORDER_NOT_CANCELABLE: the order was rejected (duplicate client order id); nothing was canceled');
  }

  protected applySnapshot(s: OrderSnapshot): TrackedOrder | undefined {
    const t = this.ledger.applySnapshot(s);
    if (t !== undefined && t.hasGap) this.scheduleGap(t, GAP_DELAY_MS);
    return t;
  }

  protected applyTrade(tr: TradeEvent): void {
    this.ledger.applyTrade(tr);
  }

  /** The venue's filled quantity is ahead of the fills we know: fetch the order's trades unless the stream catches up. */
  private scheduleGap(t: TrackedOrder, delayMs: number, attempt = 0): void {
    if (t.gapFetching || this.stopped || attempt > 8) return;
    t.gapFetching = true;
    this.later(delayMs, () => void this.fillGap(t, attempt));
  }

  private async fillGap(t: TrackedOrder, attempt: number): Promise<void> {
    try {
      if (!t.hasGap) return;
      this.counters.gapFills++;
      const since = t.sentAt > 0 ? t.sentAt - this.settings.clockSkewMs : undefined;
      const trades = await this.query('orderTrades', t.instrument, () =>
        this.fetchTrades(t.instrument, { venueOrderId: t.venueOrderId, sinceMs: since }),
      );
      for (const tr of trades) this.ledger.applyTrade(tr);
    } catch (err) {
      this.log.warn({ venue: this.name, clientOrderId: t.clientOrderId, err: errText(err) }, 'fetching missing fills failed');
    } finally {
      t.gapFetching = false;
    }
    if (t.hasGap) this.scheduleGap(t, Math.min(5000, 500 * 2 ** attempt), attempt + 1);
  }

  private later(ms: number, fn: () => void): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  /**
   * Orders placed before this adapter started (a daemon restart): tracked from now on, so that their execution
   * reports reach the daemon. Call it for every order the venue still has after reconciliation. The order's state
   * and trades are asked for at once; trades already known to the daemon are reported again and ignored by the
   * lifecycle (same trade ids).
   */
  adopt(order: { readonly orderId: number; readonly clientOrderId: string; readonly instrument: Instrument; readonly venueOrderId?: string | undefined; readonly qtyLots?: number }): void {
    if (this.ledger.get(order.clientOrderId) !== undefined) return;
    const t = this.ledger.adopt(
      { orderId: order.orderId, clientOrderId: order.clientOrderId, venueOrderId: order.venueOrderId, instrument: order.instrument },
      order.qtyLots,
    );
    if (!this.stopped) void this.refresh(t);
  }

  // ------------------------------------------------------------------------------------------ cancels

  cancel(request: CancelRequest): void {
    const t = this.ledger.get(request.clientOrderId) ?? this.ledger.adopt(request);
    void Promise.resolve().then(() => this.requestCancel(t));
  }

  private requestCancel(t: TrackedOrder): void {
    if (t.done) {
      if (t.terminal === 'REJECTED') return; // the daemon has (or will have) the rejection
      this.ledger.cancelRejected(t, `ORDER_NOT_CANCELABLE: already ${t.terminal?.toLowerCase() ?? 'final'} at the venue`);
      return;
    }
    if (!t.accepted) {
      // not sent yet, on its way, or outcome unknown: the cancel waits for the submission to resolve
      t.cancelWanted = true;
      return;
    }
    if (t.cancelInFlight) return;
    void this.cancelFlow(t, 0);
  }

  private async cancelFlow(t: TrackedOrder, attempt: number): Promise<void> {
    if (this.stopped) {
      this.ledger.cancelRejected(t, 'VENUE_UNAVAILABLE: adapter stopped');
      return;
    }
    t.cancelInFlight = true;
    let r: CancelResult;
    try {
      r = await this.limiter.run(this.cancelCosts(t), 'cancel', () => this.sendCancel(t), { maxPauseWaitMs: this.settings.requestTimeoutMs });
      this.breaker.success();
    } catch (err) {
      const e = asVenueError(err);
      this.account(e);
      r = { kind: 'failed', error: e };
    } finally {
      t.cancelInFlight = false;
    }
    if (r.kind === 'canceled') {
      if (r.snapshot !== undefined) this.applySnapshot(r.snapshot);
      if (t.terminal === undefined) {
        // the venue confirmed the cancel without the order's state: the stream brings it; if not, ask
        this.later(Math.max(1000, this.settings.pollIntervalMs), () => {
          if (t.terminal === undefined) void this.refresh(t);
        });
      }
      return;
    }
    const e = r.error;
    switch (e.kind) {
      case 'rejected':
      case 'not-found':
        this.ledger.cancelRejected(t, e.reason);
        await this.refresh(t);
        return;
      case 'rate-limited':
        if (attempt < this.settings.maxRateLimitRetries) {
          await this.cancelFlow(t, attempt + 1);
          return;
        }
        this.ledger.cancelRejected(t, e.reason);
        return;
      case 'unknown': {
        await this.refresh(t);
        if (t.terminal !== undefined) {
          if (t.terminal !== 'CANCELED') this.ledger.cancelRejected(t, `ORDER_NOT_CANCELABLE: ${t.terminal.toLowerCase()} at the venue`);
          return;
        }
        if (attempt < 2) {
          await this.cancelFlow(t, attempt + 1);
          return;
        }
        this.ledger.cancelRejected(t, e.reason);
        return;
      }
      default:
        this.ledger.cancelRejected(t, e.reason);
    }
  }

  /** Asks the venue for an order's state and fills (after a refused or unanswered cancel). */
  private async refresh(t: TrackedOrder): Promise<void> {
    try {
      const snap = await this.query('order', t.instrument, () => this.fetchOrder(t));
      if (snap !== null) this.applySnapshot(snap);
      if (t.hasGap) {
        this.counters.gapFills++;
        const trades = await this.query('orderTrades', t.instrument, () =>
          this.fetchTrades(t.instrument, { venueOrderId: t.venueOrderId, sinceMs: t.sentAt > 0 ? t.sentAt - this.settings.clockSkewMs : undefined }),
        );
        for (const tr of trades) this.ledger.applyTrade(tr);
      }
    } catch (err) {
      this.log.warn({ venue: this.name, clientOrderId: t.clientOrderId, err: errText(err) }, 'order refresh failed');
    }
  }

  // ------------------------------------------------------------------------------------------ queries

  /** A read through the rate limiter (query priority); venue failures count for the circuit breaker. */
  protected async query<T>(kind: QueryKind, instrument: Instrument, fn: () => Promise<T>, account = true): Promise<T> {
    try {
      const r = await this.limiter.run(this.queryCosts(kind, instrument), 'query', fn);
      if (account) this.breaker.success();
      return r;
    } catch (err) {
      const e = asVenueError(err);
      if (account) this.account(e);
      throw e;
    }
  }

  async lookup(clientOrderId: string, instrument: Instrument, venueOrderId?: string): Promise<VenueOrderStatus | null> {
    const t = this.ledger.get(clientOrderId);
    // by the venue order id when the order is bound to one (ours, or the caller's: the journal after a restart)
    const vid = t?.venueOrderId ?? (venueOrderId === '' ? undefined : venueOrderId);
    const snap = await this.query('order', instrument, () => this.fetchOrder({ clientOrderId, venueOrderId: vid, instrument }));
    if (snap === null) return null;
    if (t !== undefined) this.applySnapshot(snap);
    return this.status(snap);
  }

  async openOrders(instruments: readonly Instrument[]): Promise<VenueOrderStatus[]> {
    const out: VenueOrderStatus[] = [];
    for (const inst of instruments) {
      const list = await this.query('open', inst, () => this.fetchOpen(inst));
      for (const s of list) out.push(this.status(s));
    }
    return out;
  }

  async fillsSince(sinceMs: number, instruments: readonly Instrument[]): Promise<VenueFill[]> {
    const out: VenueFill[] = [];
    const clientIds = new Map<string, string | null>();
    for (const inst of instruments) {
      const trades = await this.query('trades', inst, () => this.fetchTrades(inst, { sinceMs }));
      for (const tr of trades) {
        if (tr.ts < sinceMs) continue;
        let cid = tr.clientOrderId;
        if ((cid === undefined || cid === '') && tr.venueOrderId !== undefined) {
          cid = this.ledger.byVenueId(tr.venueOrderId)?.clientOrderId;
          if (cid === undefined) {
            let known = clientIds.get(tr.venueOrderId);
            if (known === undefined) {
              const snap = await this.query('order', inst, () => this.fetchOrder({ clientOrderId: undefined, venueOrderId: tr.venueOrderId, instrument: inst }));
              known = snap?.clientOrderId ?? null;
              clientIds.set(tr.venueOrderId, known);
            }
            cid = known ?? undefined;
          }
        }
        const price = inst.priceToTicks(tr.price);
        const qty = inst.qtyToLots(tr.qty);
        if (!price.ok || !qty.ok) {
          this.log.error({ venue: this.name, code: 'OFF_GRID_FILL', tradeId: tr.tradeId, price: tr.price, qty: tr.qty }, 'fill off the instrument grid left out of fillsSince');
          continue;
        }
        out.push({
          clientOrderId: cid ?? '',
          // what binds the fill to an order: the daemon applies it only to the order bound to this venue order id
          venueOrderId: tr.venueOrderId ?? '',
          tradeId: tr.tradeId,
          instrument: inst,
          priceTicks: price.value,
          qtyLots: qty.value,
          // The same fee rule as the reports (common/fees.ts): a fill reads the same on every path.
          ...feeFields(fillFee(tr.fee, tr.liquidity, inst, price.value, qty.value, this.fees)),
          liquidity: tr.liquidity,
          ts: tr.ts,
        });
      }
    }
    out.sort((a, b) => a.ts - b.ts);
    return out;
  }

  private status(s: OrderSnapshot): VenueOrderStatus {
    const lots = s.instrument.qtyToLots(s.filledQty);
    return {
      clientOrderId: s.clientOrderId ?? '',
      venueOrderId: s.venueOrderId ?? '',
      instrument: s.instrument,
      state: s.state,
      filledLots: lots.ok ? lots.value : 0,
      ...orderFieldsOf(s, this.venueSymbol(s.instrument)),
    };
  }

  // ------------------------------------------------------------------------------------------ streams

  /** The execution-report subscription is confirmed. */
  protected streamUp(): void {
    for (const w of this.streamWaiters) w();
    this.streamWaiters = [];
    if (this.live || this.stopped) return;
    this.live = true;
    if (this.pollTimer !== undefined) clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    if (this.started) {
      this.log.info({ venue: this.name }, 'execution-report stream restored: reconciling what happened while it was down');
      void this.reconcile('stream restored');
    }
  }

  /** The execution-report stream is lost: poll by REST until it is back. */
  protected streamDown(reason: string): void {
    if (!this.live || this.stopped) return;
    this.live = false;
    this.counters.streamDrops++;
    this.downSince = this.clock.now();
    this.log.warn({ venue: this.name, reason }, 'execution-report stream down: polling by REST');
    if (this.started) this.startPolling();
  }

  /**
   * The venue refused the credentials (stream login / subscription): before start() has resolved, start fails with
   * it at once; afterwards the breaker stays open (fatal until the operator acts; the probe keeps trying).
   */
  protected credentialsRefused(e: VenueError): void {
    this.breaker.forceOpen(e.reason, this.settings.circuitBreaker.maxOpenMs);
    if (this.started || this.startFailure !== undefined) return;
    this.startFailure = e;
    for (const w of this.streamWaiters) w();
    this.streamWaiters = [];
  }

  /** Resolves when the stream is up, or after `ms`. */
  protected waitStream(ms: number): Promise<void> {
    if (this.live || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.streamWaiters.push(done);
    });
  }

  private startPolling(): void {
    if (this.pollTimer !== undefined || this.stopped) return;
    this.pollTimer = setInterval(() => void this.reconcile('poll'), this.settings.pollIntervalMs);
    void this.reconcile('poll');
  }

  /** One reconciliation by REST (coalesced: a call while one runs waits for it). */
  reconcile(why: string): Promise<void> {
    if (this.reconciling !== undefined) return this.reconciling;
    const p = this.reconcileOnce(why).finally(() => {
      this.reconciling = undefined;
    });
    this.reconciling = p;
    return p;
  }

  private async reconcileOnce(why: string): Promise<void> {
    if (this.stopped) return;
    const started = this.clock.now();
    const from = (this.live && why === 'periodic' ? this.lastReconcileAt : Math.min(this.downSince || started, this.lastReconcileAt || started)) - this.settings.clockSkewMs - 1000;
    const byInstrument = new Map<Instrument, TrackedOrder[]>();
    // live orders, and those given up on after their validity window (a lagging venue query may still show them)
    for (const t of [...this.ledger.live(), ...this.ledger.givenUp()]) {
      const list = byInstrument.get(t.instrument) ?? [];
      list.push(t);
      byInstrument.set(t.instrument, list);
    }
    if (byInstrument.size === 0) {
      this.lastReconcileAt = started;
      return;
    }
    this.counters.reconciliations++;
    try {
      for (const [inst, list] of byInstrument) {
        const open = await this.query('open', inst, () => this.fetchOpen(inst));
        // An open order under our client order id is ours only if it is the venue order ours is bound to: another
        // program's open order may hold the id of ours, closed meanwhile (then ours is looked up below).
        const openCids = new Set<string>();
        const openVids = new Set<string>();
        for (const s of open) {
          if (s.clientOrderId !== undefined) openCids.add(s.clientOrderId);
          if (s.venueOrderId !== undefined && s.venueOrderId !== '') openVids.add(s.venueOrderId);
          this.applySnapshot(s);
        }
        const trades = await this.query('trades', inst, () => this.fetchTrades(inst, { sinceMs: from }));
        for (const tr of trades) this.ledger.applyTrade(tr);
        for (const t of list) {
          if (t.givenUp) {
            // not in the open list (or not taken as ours there): the venue may have it closed already (filled)
            if (t.terminal !== 'REJECTED') continue;
            const snap = await this.query('order', inst, () => this.fetchOrder(t));
            if (snap !== null) this.applySnapshot(snap); // taken as ours only if it is what we sent (ledger)
            continue;
          }
          const stillOpen = t.venueOrderId !== undefined ? openVids.has(t.venueOrderId) : openCids.has(t.clientOrderId);
          if (t.done || stillOpen) continue;
          const snap = await this.query('order', inst, () => this.fetchOrder(t));
          if (snap !== null) this.applySnapshot(snap);
          else this.log.warn({ venue: this.name, clientOrderId: t.clientOrderId }, 'an accepted order is unknown to the venue');
        }
      }
      this.lastReconcileAt = started;
    } catch (err) {
      this.log.warn({ venue: this.name, why, err: errText(err) }, 'reconciliation failed; will try again');
    }
  }
}

function feeFields(f: FillFee): { fee: string; feeCurrency: string; feeEstimated?: boolean } {
  return f.feeEstimated ? { fee: f.fee, feeCurrency: f.feeCurrency, feeEstimated: true } : { fee: f.fee, feeCurrency: f.feeCurrency };
}

/** What the order is, in ticks and lots, for the daemon's ownership check (undefined where unstated or off grid). */
function orderFieldsOf(s: OrderSnapshot, venueSymbol: string | undefined): Pick<VenueOrderStatus, 'side' | 'type' | 'priceTicks' | 'qtyLots' | 'symbolMatches'> {
  const price = s.price === undefined ? undefined : s.instrument.priceToTicks(s.price);
  const qty = s.origQty === undefined ? undefined : s.instrument.qtyToLots(s.origQty);
  return {
    side: s.side,
    type: s.type,
    priceTicks: price?.ok === true ? price.value : undefined,
    qtyLots: qty?.ok === true ? qty.value : undefined,
    symbolMatches: venueSymbol === undefined || s.venueSymbol === undefined ? undefined : s.venueSymbol === venueSymbol,
  };
}

export function errText(err: unknown): string {
  if (err instanceof VenueError) return err.reason;
  return err instanceof Error ? err.message : String(err);
}
