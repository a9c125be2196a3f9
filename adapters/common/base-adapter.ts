/**
 * The part of an exchange adapter that does not depend on the transport. ccxt, binance-ws and okx-ws extend it and
 * supply the transport (connect, place, cancel, queries, the execution-report stream). It owns the adapter's shared
 * state (ledger, rate limiter, circuit breaker, settings, counters: adapter-context.ts) and composes the parts that
 * hold the logic, each named for what it does:
 *  - submission.ts          idempotent submission, unknown outcomes looked up, duplicate client order ids;
 *  - cancels.ts             cancels by venue order id, and cancels that wait for a submission to resolve;
 *  - stream-supervisor.ts   execution-report stream up / down, REST polling while down, reconciliation;
 *  - venue-queries.ts       lookups, open orders, fills since, an order's refresh, fills missing from the stream.
 * Here: the lifecycle (start, stop), the breaker and limiter, stats, and adoption of orders after a restart.
 */
import type { Logger } from 'pino';
import type { AmendRequest, CancelRequest, OrderBatch, ReportSink, VenueAdapter, VenueBalance, VenueFill, VenueOrderStatus } from '../../src/execution/venue.js';
import { type AmendAnswer, type AmendSpec, Amends } from './amends.js';
import type { Clock } from '../../src/model/clock.js';
import { SwitchyardError } from '../../src/model/errors.js';
import type { Instrument } from '../../src/model/instrument.js';
import { type AdapterContext, type AdapterStats, type OrderRef, type QueryKind, type TradeQuery, type VenueHooks, errText } from './adapter-context.js';
import { Cancels } from './cancels.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { VenueError } from './errors.js';
import { checkMarkets } from './market-check.js';
import { type LedgerFees, OrderLedger } from './order-ledger.js';
import { TrackedOrder } from './tracked-order.js';
import { sleep } from './backoff.js';
import { asVenueError as unknownOf } from './errors.js';
import type { AdapterSettings } from './settings.js';
import { StreamSupervisor } from './stream-supervisor.js';
import { Submission } from './submission.js';
import type { CancelResult, OrderSnapshot, PlaceResult, TradeEvent, VenueMarket } from './types.js';
import { VenueQueries } from './venue-queries.js';
import { VenueRateLimiter } from './venue-rate-limiter.js';
import type { Cost, PoolSpec } from './window-pool.js';

export type { AdapterStats, OrderRef, QueryKind, TradeQuery } from './adapter-context.js';

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

/** A venue adapter's state for the operator metrics (src/telemetry/operator-metrics.ts). */
export interface VenueOperatorState {
  readonly breaker: 'closed' | 'open' | 'half-open';
  readonly inFlight: number;
  readonly pools: ReadonlyArray<{ readonly pool: string; readonly remaining: number; readonly limit: number }>;
}

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
  private pruneTimer: NodeJS.Timeout | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly queries: VenueQueries;
  private readonly cancels: Cancels;
  private readonly submission: Submission;
  private readonly supervisor: StreamSupervisor;
  private readonly amends: Amends;

  /** The cost of placing one order, per instrument symbol (headroom). */
  private readonly placeOneCosts = new Map<string, Cost[]>();

  constructor(options: BaseAdapterOptions) {
    this.name = options.name;
    this.log = options.log;
    this.clock = options.clock;
    this.sink = options.sink;
    this.settings = options.settings;
    this.instruments = options.instruments;
    this.bySymbol = new Map(options.instruments.map((i) => [i.symbol, i]));
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
    const ctx = this.context(options.fees);
    this.queries = new VenueQueries(ctx);
    this.cancels = new Cancels(ctx, this.queries);
    this.submission = new Submission(ctx, this.bySymbol, this.queries, this.cancels);
    this.supervisor = new StreamSupervisor(ctx, this.queries);
    this.amends = new Amends(ctx, this.queries, {
      sendAmend: (t, spec) => this.sendAmend(t, spec),
      replaces: (t, spec) => this.amendReplaces(t, spec),
    });
  }

  /** The adapter's shared state as its parts see it; the transport hooks are this adapter's (subclass) methods. */
  private context(fees: LedgerFees): AdapterContext {
    const adapter = this;
    const hooks: VenueHooks = {
      placeCosts: (group) => this.placeCosts(group),
      cancelCosts: (t) => this.cancelCosts(t),
      queryCosts: (kind, instrument) => this.queryCosts(kind, instrument),
      place: (group) => this.place(group),
      sendCancel: (t) => this.sendCancel(t),
      fetchOrder: (ref) => this.fetchOrder(ref),
      fetchOpen: (instrument) => this.fetchOpen(instrument),
      fetchTrades: (instrument, query) => this.fetchTrades(instrument, query),
      planGroups: (orders) => this.planGroups(orders),
      venueSymbol: (instrument) => this.venueSymbol(instrument),
      validityWindowMs: () => this.validityWindowMs(),
    };
    return {
      name: this.name,
      log: this.log,
      clock: this.clock,
      settings: this.settings,
      ledger: this.ledger,
      limiter: this.limiter,
      breaker: this.breaker,
      counters: this.counters,
      fees,
      signal: this.abort.signal,
      get stopped() {
        return adapter.stopped;
      },
      get started() {
        return adapter.started;
      },
      hooks,
      later: (ms, fn) => this.later(ms, fn),
    };
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

  /** See VenueAdapter.headroom: one placement's cost per instrument (kept), against the pools' tokens left now. */
  headroom(instrument: Instrument): number {
    let costs = this.placeOneCosts.get(instrument.symbol);
    if (costs === undefined) {
      // the venues' placement costs depend on the group's size and instruments only (see the profiles)
      costs = this.placeCosts([{ instrument } as unknown as TrackedOrder]);
      this.placeOneCosts.set(instrument.symbol, costs);
    }
    return this.limiter.headroom(costs);
  }

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
      const refused = this.supervisor.startFailure;
      if (refused !== undefined) {
        throw new SwitchyardError(refused.code, `venue ${this.name}: ${refused.message}`, { venue: this.name });
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.started = true;
    if (!this.transportReady()) {
      // up, but not usable yet: DOWN until the connection is there (the breaker's probe checks it)
      this.breaker.forceOpen('not connected at start', this.settings.circuitBreaker.openMs);
    }
    this.supervisor.begin();
    this.pruneTimer = setInterval(() => this.ledger.prune(this.settings.retainDoneMs), Math.min(60_000, Math.max(1000, this.settings.retainDoneMs)));
    this.pruneTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    this.supervisor.stop();
    if (this.pruneTimer !== undefined) clearInterval(this.pruneTimer);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.breaker.stop();
    this.limiter.stop();
    try {
      await this.closeTransport();
    } catch (err) {
      this.log.warn({ venue: this.name, err: errText(err) }, 'closing the venue connection failed');
    }
  }

  /** What the operator metrics read at scrape time: circuit breaker, requests in flight, rate-limit pools. */
  operatorState(): VenueOperatorState {
    return { breaker: this.breaker.state, inFlight: this.limiter.inFlight, pools: this.limiter.poolHeadroom() };
  }

  /** Counters of the adapter, its rate limiter and its ledger. */
  stats(): AdapterStats & { limiter: VenueRateLimiter['stats']; ledger: OrderLedger['stats']; breaker: string; streamLive: boolean } {
    return { ...this.counters, limiter: { ...this.limiter.stats }, ledger: { ...this.ledger.stats }, breaker: this.breaker.state, streamLive: this.streamLive };
  }

  get streamLive(): boolean {
    return this.supervisor.streamLive;
  }

  /** Runs `fn` after `ms` unless the adapter has stopped first (stop() clears it). */
  private later(ms: number, fn: () => void): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  // ------------------------------------------------------------------------------------------ orders

  submit(batch: OrderBatch): void {
    this.submission.submit(batch);
  }

  cancel(request: CancelRequest): void {
    this.cancels.cancel(request);
  }

  /** See VenueAdapter.amend and amends.ts: the venue's own amend (sendAmend), answered AMENDED or AMEND_REJECTED. */
  amend(request: AmendRequest): void {
    this.amends.amend(request);
  }

  /**
   * Sends an amend (see amends.ts for what the answer means). A transport overrides it with the venue's own amend.
   * Default, for a venue without one: cancel, then a new order — never two live orders for the order. The cancel must
   * be confirmed first (its answer, or a read of the order, shows it CANCELED with what it filled); only then does
   * the new order go out, with the daemon's replacement client order id and the rest (new total - filled). The old
   * order filled meanwhile (the cancel is refused): the amend is refused, the fill kept. Filled up to the new total
   * before the cancel: nothing to place, the order ends CANCELED with its fills. The new order refused: the order
   * ends CANCELED. The new order's outcome unknown: amends.ts looks the replacement up by its client order id.
   * The new order takes its place-rate tokens without waiting (the amend holds a cancel slot already).
   */
  protected async sendAmend(t: TrackedOrder, spec: AmendSpec): Promise<AmendAnswer> {
    const canceled = await this.sendCancel(t);
    if (canceled.kind === 'failed') throw canceled.error;
    let snap = canceled.snapshot;
    const deadline = this.clock.now() + this.validityWindowMs();
    while (snap === undefined || snap.state !== 'CANCELED') {
      if (snap !== undefined && snap.state === 'FILLED') throw new VenueError('rejected', 'VENUE_REJECTED', `${this.name}: the order filled before the cancel of the amend`);
      if (this.stopped || this.clock.now() > deadline) throw new VenueError('unknown', 'VENUE_TIMEOUT', `${this.name}: the cancel of the amend is not confirmed`, { venueFailure: false });
      await sleep(Math.min(200, this.settings.pollIntervalMs), this.abort.signal).catch(() => undefined);
      snap = (await this.fetchOrder(t)) ?? undefined;
    }
    const filled = t.instrument.qtyToLots(snap.filledQty);
    const venueFilled = t.filledBase + (filled.ok ? filled.value : 0);
    const rest = spec.totalLots - Math.max(venueFilled, t.filledLots);
    // fills of the canceled order not heard of yet: fetched and reported now (the order then moves off that id)
    const unseen: TradeEvent[] = [];
    if (venueFilled > t.filledLots + t.refusedLots) {
      try {
        unseen.push(...(await this.fetchTrades(t.instrument, { venueOrderId: t.venueOrderId, sinceMs: t.sentAt > 0 ? t.sentAt - this.settings.clockSkewMs : undefined })));
      } catch (err) {
        this.log.warn({ venue: this.name, clientOrderId: t.clientOrderId, err: errText(err) }, 'fetching the fills of the canceled order failed (reconciliation will find them)');
      }
    }
    for (const tr of unseen) this.ledger.applyTrade(tr); // still bound to the canceled order: reported as its fills
    if (rest <= 0) return { kind: 'canceled', reason: 'amend by cancel then new order: filled up to the new quantity before the cancel' };
    const next = new TrackedOrder({
      orderId: t.orderId, clientOrderId: spec.newClientOrderId, instrument: t.instrument, side: t.side, type: t.type,
      timeInForce: t.timeInForce, postOnly: t.postOnly, priceTicks: spec.priceTicks, stopTicks: 0, qtyLots: rest,
    });
    next.sentAt = this.clock.now();
    let placed: PlaceResult | undefined;
    try {
      placed = (await this.place([next]))[0];
    } catch (err) {
      const e = err instanceof VenueError ? err : unknownOf(err);
      if (e.kind === 'unknown') throw e; // looked up by the replacement's client order id
      return { kind: 'canceled', reason: `amend by cancel then new order: the order was canceled, its replacement refused (${e.reason})` };
    }
    if (placed === undefined || placed.kind === 'failed') {
      return { kind: 'canceled', reason: `amend by cancel then new order: the order was canceled, its replacement refused (${placed?.error.reason ?? 'no answer'})` };
    }
    return { kind: 'amended', venueOrderId: placed.venueOrderId, clientOrderId: spec.newClientOrderId, snapshot: placed.snapshot, trades: placed.trades };
  }

  /** Whether this amend moves the order to new ids (default: cancel then new order, see sendAmend). */
  protected amendReplaces(_t: TrackedOrder, _spec: AmendSpec): boolean {
    return true;
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
    if (!this.stopped) void this.queries.refresh(t);
  }

  // ------------------------------------------------------------------------------------------ queries

  /** A read through the rate limiter (query priority); venue failures count for the circuit breaker. */
  protected query<T>(kind: QueryKind, instrument: Instrument, fn: () => Promise<T>, account = true): Promise<T> {
    return this.queries.query(kind, instrument, fn, account);
  }

  lookup(clientOrderId: string, instrument: Instrument, venueOrderId?: string): Promise<VenueOrderStatus | null> {
    return this.queries.lookup(clientOrderId, instrument, venueOrderId);
  }

  openOrders(instruments: readonly Instrument[]): Promise<VenueOrderStatus[]> {
    return this.queries.openOrders(instruments);
  }

  /** See VenueAdapter.balances: through the rate limiter at query priority; failures count for the breaker. */
  balances(): Promise<ReadonlyMap<string, VenueBalance>> {
    return this.query('balance', this.instruments[0]!, () => this.fetchBalances());
  }

  /** The account's balances (free and total per currency, canonical decimal texts). */
  protected abstract fetchBalances(): Promise<Map<string, VenueBalance>>;

  fillsSince(sinceMs: number, instruments: readonly Instrument[]): Promise<VenueFill[]> {
    return this.queries.fillsSince(sinceMs, instruments);
  }

  /** A snapshot the transport received (stream, answer): to the ledger; a fill gap it shows is fetched. */
  protected applySnapshot(s: OrderSnapshot): TrackedOrder | undefined {
    return this.queries.applySnapshot(s);
  }

  protected applyTrade(tr: TradeEvent): void {
    this.ledger.applyTrade(tr);
  }

  // ------------------------------------------------------------------------------------------ streams

  /** The execution-report subscription is confirmed. */
  protected streamUp(): void {
    this.supervisor.streamUp();
  }

  /** The execution-report stream is lost: poll by REST until it is back. */
  protected streamDown(reason: string): void {
    this.supervisor.streamDown(reason);
  }

  /**
   * The venue refused the credentials (stream login / subscription): before start() has resolved, start fails with
   * it at once; afterwards the breaker stays open (fatal until the operator acts; the probe keeps trying).
   */
  protected credentialsRefused(e: VenueError): void {
    this.supervisor.credentialsRefused(e);
  }

  /** Resolves when the stream is up, or after `ms`. */
  protected waitStream(ms: number): Promise<void> {
    return this.supervisor.waitStream(ms);
  }

  /** One reconciliation by REST (coalesced: a call while one runs waits for it). */
  reconcile(why: string): Promise<void> {
    return this.supervisor.reconcile(why);
  }
}
