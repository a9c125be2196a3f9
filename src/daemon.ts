/**
 * The one composition root: builds every part of the daemon from a loaded configuration and wires them.
 * Nothing else constructs long-lived objects; nothing is a module-level singleton.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { DestinationStream } from 'pino';
import { PaperVenue } from '../adapters/paper/paper-venue.js';
import { createVenueAdapter, settingsFor } from '../adapters/index.js';
import { BearerAuth, generateToken, writeTokenFile } from './api/auth.js';
import { ApiServer } from './api/http-server.js';
import { journalStream } from './api/event-stream.js';
import { formatConfigError, loadConfigFile, type Config, type VenueConfig } from './config/index.js';
import { OrderTracker } from './execution/order-tracker.js';
import { ReportHandler } from './execution/report-handler.js';
import type { VenueAdapter } from './execution/venue.js';
import { VenueBatcher } from './execution/batcher.js';
import { OrderStore } from './execution/order-store.js';
import { Dispatcher } from './intake/dispatcher.js';
import { StrategyQueues } from './intake/strategy-queues.js';
import { RingIntake } from './intake/ring-intake.js';
import { INTERNAL_VENUE, InternalCrossing } from './crossing/internal-crossing.js';
import { Journal, type JournalFileWrites } from './journal/journal.js';
import type { JournalError } from './journal/errors.js';
import { JournalRecorder } from './journal/order-journal.js';
import { replayOrders, takeSnapshot, type ReplayReport } from './journal/order-replay.js';
import { encodeSnapshot } from './journal/order-journal.js';
import { NameMapper } from './journal/name-table.js';
import { checkJournalAgainstConfig, closeOutRemoved } from './journal/config-match.js';
import { reconcileVenue, type ReconcileResult } from './execution/reconciliation.js';
import { RestartingVenue, VenueGate } from './execution/venue-supervisor.js';
import { PRIORITY_CODE } from './execution/order-store.js';
import { StrategyHost } from './strategy/strategy-host.js';
import { OrderIntake } from './intake/order-intake.js';
import { CoarseClock, type Clock } from './model/clock.js';
import { SwitchyardError } from './model/errors.js';
import { OrderIdCounter } from './model/ids.js';
import { InstrumentRegistry, type Instrument } from './model/instrument.js';
import type { OrderUpdate } from './model/lifecycle.js';
import { isOpen } from './model/order.js';
import { PreTradeRisk } from './risk/pre-trade-risk.js';
import { RiskAccounting } from './risk/risk-accounting.js';
import { FeeLedger } from './risk/fee-ledger.js';
import { Router } from './routing/router.js';
import { createLogger, type Logger } from './telemetry/logger.js';
import { Metrics, rejectCodeLabel } from './telemetry/metrics.js';

export interface DaemonOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly clock?: Clock;
  /** Where JSON logs go (default stdout). */
  readonly logDestination?: DestinationStream;
  /** Directory that relative paths in the configuration (dataDir, tokenFile) are resolved against. Default: cwd. */
  readonly baseDir?: string;
  /** Folder of the configuration file: strategy module paths are relative to it. Default: baseDir. */
  readonly configDir?: string;
  /** The configuration file, re-read by `reload()` (SIGHUP, POST /v1/admin/reload). */
  readonly configFile?: string;
  /** Called once with a token the daemon generated (never with one it was given). */
  readonly onTokenGenerated?: (token: string, file: string) => void;
  /** How the journal writes and syncs its batches (default node:fs; tests inject a failing disk). */
  readonly journalFileWrites?: JournalFileWrites;
  /**
   * Start even though strategies, instruments or venues removed from the configuration still have open orders or
   * positions in the journal: they are canceled and dropped in the journal (`switchyard start --accept-removed`).
   * Without it such a start is refused (JOURNAL_CONFIG_MISMATCH).
   */
  readonly acceptRemoved?: boolean;
}

export class Daemon {
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly tracker: OrderTracker;
  readonly intake: OrderIntake;
  readonly instruments: InstrumentRegistry;
  readonly router: Router;
  private readonly venues: VenueAdapter[];
  private readonly api: ApiServer;
  private readonly dispatcher: Dispatcher;
  /** Which venues the router may use: open (started, reconciled) and healthy. */
  private readonly gate: VenueGate;
  /**
   * Resolves true once the start sequence (recovery included) is over — a venue that comes up late is reconciled on
   * its own after that — or false when the start is abandoned or the daemon stops.
   */
  private startupDone!: (done: boolean) => void;
  private readonly startupFinished = new Promise<boolean>((resolve) => (this.startupDone = resolve));
  private readonly crossing: InternalCrossing | undefined;
  private readonly clock: Clock;
  private ownClock: CoarseClock | undefined;
  private readonly ids = new OrderIdCounter(0);
  private readonly riskAccounting: RiskAccounting;
  readonly fees: FeeLedger;
  private readonly recorder: JournalRecorder | undefined;
  private journal: Journal | undefined;
  private recovered: RecoverySummary | null = null;
  private lastSnapshotSeq = 0;
  private snapshotPending = false;
  private readonly baseDir: string;
  private readonly risk: PreTradeRisk;
  private readonly queues: StrategyQueues;
  private current: Config;
  private readonly configFile: string | undefined;
  private readonly journalFileWrites: JournalFileWrites | undefined;
  private readonly acceptRemoved: boolean;
  /** When the journal failed (0: it has not). */
  private journalFailedAt = 0;
  private readonly env: NodeJS.ProcessEnv;
  private readonly host: StrategyHost | undefined;
  readonly ringIntake: RingIntake | undefined;
  private readonly startedAt: number;
  private port = 0;
  private stopping: Promise<void> | undefined;
  /** The start in progress or done (settles after abandonStart when it failed); a stop waits for it. */
  private starting: Promise<{ host: string; port: number }> | undefined;
  /** How the start ended, once it has (a stop after it acts at once: queued orders are canceled before the dispatcher runs again). */
  private startOutcome: 'started' | 'failed' | undefined;

  constructor(
    readonly config: Config,
    private readonly token: string,
    options: DaemonOptions = {},
  ) {
    // Default: a coarse wall clock (reading it allocates nothing; see CoarseClock), stopped with the daemon.
    const clock = options.clock ?? (this.ownClock = new CoarseClock());
    this.clock = clock;
    this.baseDir = options.baseDir ?? process.cwd();
    this.startedAt = clock.now();
    this.current = config;
    this.configFile = options.configFile;
    this.journalFileWrites = options.journalFileWrites;
    this.acceptRemoved = options.acceptRemoved === true;
    this.env = options.env ?? process.env;
    this.log = createLogger(config.daemon.log.level, config.daemon.name, options.logDestination);
    this.instruments = new InstrumentRegistry(config.instruments);
    const strategyIds = config.strategies.map((s) => s.id);
    const venueNames = config.venues.map((v) => v.name);
    const crossingOn = config.strategies.some((st) => st.crossing.enabled);
    // The internal crossing book is the venue after the configured ones (never in the routing table).
    const orderVenues = crossingOn ? [...venueNames, INTERNAL_VENUE] : venueNames;
    const store = new OrderStore(this.instruments, strategyIds, orderVenues, clientIdPrefix(config.daemon.clientIdPrefix, clock.now()));
    this.metrics = new Metrics(clock, orderVenues, strategyIds);
    this.tracker = new OrderTracker(store, clock, {
      retainFinished: config.daemon.retainFinishedOrders,
      // A throwing listener is a bug: logged on its 1st, 2nd, 4th, 8th... error (a listener that throws on every
      // update must not flood the log), counted in switchyard_listener_errors_total.
      onListenerError: (listener, err, orderId, count) => {
        if ((count & (count - 1)) === 0) this.log.error({ listener, err, orderId, count }, 'order tracker listener threw (isolated)');
      },
    });
    const risk = buildRisk(config, this.instruments);
    for (const i of config.instruments) {
      if (i.referencePrice !== undefined) {
        const ins = this.instruments.get(i.symbol)!;
        const r = ins.priceToTicks(i.referencePrice);
        if (r.ok) risk.setMark(ins.index, r.value);
      }
    }
    this.router = buildRouter(config, this.instruments);
    this.risk = risk;
    let dispatcher: Dispatcher | undefined;
    let gate: VenueGate | undefined;
    const reports = new ReportHandler(
      this.tracker,
      clock,
      (venue, report) => {
        this.metrics.unknownReport(venue);
        this.log.warn({ venue, report }, 'execution report for an unknown order');
      },
      (venue, health, reason) => {
        const v = this.router.venueIndex(venue);
        // the adapter's own word never opens a venue that is not started and reconciled (VenueGate)
        if (v >= 0 && gate !== undefined) gate.setHealth(v, health === 'UP', reason);
        this.log.warn({ venue, health, reason }, 'venue health changed');
      },
    );
    this.venues = config.venues.map((v) => this.buildVenue(v, reports, clock, this.env));
    const queues = (this.queues = new StrategyQueues(strategyIds.length, config.strategies.map((s) => s.weight), config.daemon.queue.capacity));
    // An adapter whose submit throws breaks its contract: its batch is rejected (risk released, strategies told),
    // the other venues and the dispatch loop go on.
    // (A rest routed after a partial internal cross cannot be REJECTED: it is CANCELED, its fills stand.)
    const rejectThrown: OrderUpdate = { kind: 'REJECT', reason: 'INTERNAL' };
    const cancelThrown: OrderUpdate = { kind: 'CANCELED', reason: 'INTERNAL' };
    const batcher = new VenueBatcher(store, this.venues, config.venues.map((v) => v.batch), (venue, batch, err) => {
      this.log.error({ venue: venueNames[venue], orders: batch.count, err }, 'venue adapter submit threw: batch rejected');
      for (let i = 0; i < batch.count; i++) {
        const slot = batch.slots[i]!;
        if (this.tracker.applySlot(slot, rejectThrown).outcome !== 'APPLIED') this.tracker.applySlot(slot, cancelThrown);
      }
    }, () => clock.monoMs());
    dispatcher = new Dispatcher(store, queues, this.tracker, risk, this.router, batcher);
    this.dispatcher = dispatcher;
    this.gate = gate = new VenueGate(dispatcher.available);
    let adapters: VenueAdapter[] = this.venues;
    if (crossingOn) {
      const d = dispatcher;
      const crossing = new InternalCrossing(
        store, this.tracker, this.instruments,
        {
          enabled: Uint8Array.from(config.strategies, (st) => (st.crossing.enabled ? 1 : 0)),
          windowMs: Float64Array.from(config.strategies, (st) => st.crossing.windowMs),
        },
        clock,
        { crossed: (sym, lots, saved) => this.metrics.crossed(this.instruments.at(sym).symbol, Number(this.instruments.at(sym).lotsToQty(lots)), saved) },
        (sym, lots) => {
          const v = this.router.route(sym, lots, d.available);
          return v < 0 ? 0 : Number(this.current.venues[v]!.fees.takerBps);
        },
      );
      crossing.setReleaser(dispatcher);
      dispatcher.setCrossing(crossing);
      adapters = [...this.venues, crossing];
      this.crossing = crossing;
    }
    this.intake = new OrderIntake(
      this.tracker, this.ids, queues, dispatcher, this.router, adapters, this.instruments, strategyIds, batcher,
    );
    const hosted = config.strategies.filter((st) => st.module !== undefined);
    if (hosted.length > 0) {
      const baseDir = options.baseDir ?? process.cwd();
      let ringIntake: RingIntake | undefined;
      this.host = new StrategyHost({
        strategies: hosted.map((st) => ({ id: st.id, module: st.module!, symbols: st.symbols, params: st.params })),
        instruments: config.instruments,
        venues: venueNames,
        cacheDir: resolve(baseDir, config.daemon.dataDir, 'strategies-cache'),
        baseDir: options.configDir ?? baseDir,
        snapshot: (id) => ringIntake?.snapshot(id, this.intake.strategyOf(id)) ?? [],
        log: this.log,
        onExit: (id, error) => {
          if (error !== undefined) this.log.error({ strategy: id, err: error }, 'strategy worker stopped with an error');
        },
      });
      ringIntake = new RingIntake(
        this.host.strategies, (id) => this.intake.strategyOf(id), strategyIds.length,
        this.intake, this.tracker, queues, this.router, this.instruments.list.length, clock,
      );
      this.ringIntake = ringIntake;
      dispatcher.addSource(ringIntake);
      this.tracker.listen(ringIntake, 'ring-intake');
    }
    if (config.daemon.journal.enabled) {
      // First listener: an update is in the journal before anything else reacts to it.
      const recorder = (this.recorder = new JournalRecorder(store));
      this.tracker.listen(recorder, 'journal');
      // A batch the journal failed under never goes out: its orders never left, so they are finished here,
      // REJECTED JOURNAL_IO (risk released, strategies told); a rest routed after a partial internal cross is
      // CANCELED instead (its fills stand). In memory only: the journal takes no more records.
      const rejectNotDurable: OrderUpdate = { kind: 'REJECT', reason: 'JOURNAL_IO' };
      const cancelNotDurable: OrderUpdate = { kind: 'CANCELED', reason: 'JOURNAL_IO' };
      batcher.setDurabilityGate(recorder, (_venue, batch) => {
        for (let i = 0; i < batch.count; i++) {
          const slot = batch.slots[i]!;
          if (this.tracker.applySlot(slot, rejectNotDurable).outcome !== 'APPLIED') this.tracker.applySlot(slot, cancelNotDurable);
        }
      });
      recorder.onFailure = (err) => this.halt(err);
      this.metrics.setJournalSource(() => ({ failed: recorder.failed !== null, unrecorded: recorder.unrecorded }));
    }
    this.metrics.setListenerErrorSource(() => this.tracker.listenerErrors());
    this.riskAccounting = new RiskAccounting(risk);
    this.tracker.listen(this.riskAccounting, 'risk');
    // Fee sums per strategy, venue and currency (PnL): metrics and GET /v1/fees; kept in journal snapshots.
    this.fees = new FeeLedger(store, strategyIds);
    this.tracker.listen(this.fees, 'fees');
    this.metrics.setFeeSource(() => this.fees.list());
    this.tracker.listen(this.metrics, 'metrics');
    const log = this.log;
    this.tracker.listen({
      onTransition: (order, update, t) => {
        if (log.isLevelEnabled('debug')) log.debug({ event: this.tracker.describe(order, update, t) }, 'order event');
        // A venue's rejection message is logged here; the rejects metric carries only its catalogue code.
        else if (t.to === 'REJECTED') log.info({ orderId: order.id, venue: order.venue, code: rejectCodeLabel(order.reason), reason: order.reason }, 'order rejected');
      },
      onAnomaly: (order, update, t) =>
        log.warn({ orderId: order.id, state: order.state, update: update.kind, result: t.toResult() }, 'order update refused by the lifecycle'),
    }, 'log');
    this.api = new ApiServer({
      intake: this.intake,
      tracker: this.tracker,
      instruments: this.instruments,
      router: this.router,
      metrics: this.metrics,
      fees: () => this.fees.list(),
      auth: new BearerAuth(token),
      reload: () => this.reload(),
      durable: () => this.recorder?.durable() ?? Promise.resolve(),
      log: this.log,
      stream: {
        maxBufferedBytes: config.daemon.api.streamMaxBufferedBytes,
        strategies: strategyIds,
        // Event seqs are journal seqs; without a journal, the tracker's (they restart with the daemon).
        journal: this.recorder === undefined ? undefined
          : journalStream(this.recorder, resolve(this.baseDir, config.daemon.journal.dir), store, config.daemon.retainFinishedOrders),
      },
      health: () => ({
        name: config.daemon.name,
        uptimeMs: clock.now() - this.startedAt,
        openOrders: this.tracker.open,
        ...this.venueHealth(),
        ...this.journalHealth(),
        stream: this.api.stream.stats,
      }),
    });
    this.metrics.setVenueSource(() => this.venues.map((v, i) => ({
      venue: v.name,
      up: this.dispatcher.available[i] === 1,
      startRetries: v instanceof RestartingVenue ? v.status().retries : 0,
    })));
  }

  private buildVenue(v: VenueConfig, reports: ReportHandler, clock: Clock, env: NodeJS.ProcessEnv): VenueAdapter {
    if (v.adapter !== 'paper') {
      const listed = v.symbols.map((symbol) => this.instruments.get(symbol)!);
      const index = this.config.venues.indexOf(v);
      // A venue that does not start (connection refused, 5xx, timeout) does not stop the daemon: it stays closed,
      // its start is retried with the venue's reconnect backoff, and it opens once up and reconciled.
      return new RestartingVenue(v.name, () => createVenueAdapter(v, listed, reports, { log: this.log.child({ venue: v.name }), env, clock }), {
        retry: settingsFor(v).reconnect,
        sink: reports,
        log: this.log,
        now: () => clock.now(),
        ready: () => this.lateVenueReady(index),
      });
    }
    const markets = v.symbols.map((symbol) => {
      const ins: Instrument = this.instruments.get(symbol)!;
      const cfg = this.config.instruments.find((i) => i.symbol === symbol)!;
      if (cfg.referencePrice === undefined) {
        throw new SwitchyardError('CONFIG_INVALID', `venue ${v.name}: paper venues need instruments[${symbol}].referencePrice`);
      }
      const r = ins.priceToTicks(cfg.referencePrice);
      if (!r.ok) throw new SwitchyardError('CONFIG_INVALID', `${symbol}: referencePrice ${cfg.referencePrice} is not on the tick grid`);
      return { instrument: ins, startMidTicks: r.value };
    });
    const paper = v.paper!;
    return new PaperVenue(
      {
        name: v.name,
        markets,
        makerBps: v.fees.makerBps,
        takerBps: v.fees.takerBps,
        latencyMs: v.latencyMs,
        seed: paper.seed,
        spreadTicks: paper.spreadTicks,
        volatilityTicks: paper.volatilityTicks,
        depthLevels: paper.depthLevels,
        levelNotional: Number(paper.levelNotional),
        tradesPerSecond: paper.tradesPerSecond,
        stepMs: paper.stepMs,
        now: () => clock.now(),
      },
      reports,
    );
  }

  /** The configuration in force (the last one loaded or reloaded). */
  get activeConfig(): Config {
    return this.current;
  }

  /**
   * Re-read the configuration file and swap routing weights, risk limits, allowed symbols and fair-share weights
   * atomically (between two dispatch cycles). Anything else that differs (venues, instruments, strategies'
   * modules, the daemon section) needs a restart: such a file, or an invalid one, changes nothing and every
   * error is returned.
   */
  reload(): ReloadResult {
    if (this.configFile === undefined) return { ok: false, errors: ['the daemon was not started from a configuration file'] };
    const loaded = loadConfigFile(this.configFile, this.env);
    if (!loaded.ok) return { ok: false, errors: loaded.errors.map(formatConfigError) };
    const next = loaded.config;
    const errors = restartOnlyChanges(this.current, next).map((what) => `${what} changed: this needs a restart, not a reload`);
    let router: Router | undefined;
    let risk: PreTradeRisk | undefined;
    if (errors.length === 0) {
      try {
        router = buildRouter(next, this.instruments);
        risk = buildRisk(next, this.instruments);
      } catch (err) {
        errors.push(err instanceof Error ? err.message : String(err));
      }
    }
    if (errors.length > 0 || router === undefined || risk === undefined) {
      this.log.warn({ errors }, 'configuration reload refused; the running configuration is unchanged');
      return { ok: false, errors };
    }
    this.router.adopt(router);
    this.risk.adoptLimits(risk);
    this.queues.setWeights(next.strategies.map((s) => s.weight));
    this.current = next;
    this.log.info({ file: this.configFile }, 'configuration reloaded: routing, limits and weights swapped');
    return { ok: true, errors: [] };
  }

  /**
   * Start: venues, then recovery (journal replay, reconciliation with every venue, the startup policy), then the
   * API, intake and strategies. Intake opens only after reconciliation; a venue that could not be reconciled stays
   * closed to new orders and is reported. Resolves with the bound API address.
   *
   * A stop() during the start (a signal as soon as the process runs) does not race it: the step in progress
   * finishes, the steps after it are skipped (no intake, no strategies, no API once asked to stop), start()
   * resolves (port 0 when the API never listened), and the stop then runs as usual — the shutdown policy applies to
   * whatever the start recovered. A stop before recovery leaves the journal's orders as they were (the next start
   * recovers them). A start that fails releases what it opened (abandonStart) and the stop then has nothing to do.
   */
  start(): Promise<{ host: string; port: number }> {
    this.starting ??= this.startParts().then(
      (r) => {
        this.startOutcome = 'started';
        return r;
      },
      async (err: unknown) => {
        await this.abandonStart();
        this.startOutcome = 'failed';
        throw err;
      },
    );
    return this.starting;
  }

  private async startParts(): Promise<{ host: string; port: number }> {
    // Operator errors (credentials refused, instrument not listed) still refuse the start; a venue that is merely
    // unreachable is left closed and retried (see RestartingVenue), even when it is every venue.
    const started = await Promise.all(this.venues.map((v) => (v instanceof RestartingVenue ? v.startOrRetry() : v.start().then(() => true))));
    started.forEach((up, v) => {
      if (!up) this.gate.setOpen(v, false, 'VENUE_UNAVAILABLE: not started');
    });
    // asked to stop meanwhile: the remaining steps are skipped (see start())
    const interrupted = (): { host: string; port: number } => {
      this.log.info({ port: this.port }, 'stop requested during the start: remaining start steps skipped');
      return { host: this.config.daemon.api.host, port: this.port };
    };
    if (this.stopping !== undefined) return interrupted();
    if (this.config.daemon.journal.enabled) await this.recover();
    if (this.stopping !== undefined) return interrupted();
    this.startupDone(true);
    const addr = await this.api.listen(this.config.daemon.api.port, this.config.daemon.api.host);
    this.port = addr.port;
    if (this.stopping !== undefined) return interrupted();
    this.intake.open();
    if (this.host !== undefined) {
      const host = this.host;
      this.dispatcher.setSleeper(() => host.waitForOrders());
      await host.start();
    }
    this.log.info({ host: addr.address, port: addr.port, venues: this.venues.map((v) => v.name) }, 'switchyard started');
    return { host: addr.address, port: addr.port };
  }

  /**
   * A start that failed half-way (a strategy module that does not load, a port in use, a venue that does not
   * connect): release what it opened — API socket, venue timers and connections, workers, journal — so that the
   * process can exit with the error instead of staying up half-started.
   */
  private async abandonStart(): Promise<void> {
    this.startupDone(false);
    this.intake.close();
    this.dispatcher.stop();
    const quietly = async (close: () => Promise<unknown> | undefined): Promise<void> => {
      try {
        await close();
      } catch {
        // the start already failed; its error is the one to report
      }
    };
    await quietly(() => this.host?.stop(1000));
    await quietly(() => this.api.close());
    await Promise.all(this.venues.map((v) => quietly(() => v.stop())));
    await quietly(() => this.crossing?.stop());
    await quietly(() => this.journal?.close());
  }

  /** What the last start recovered (null without a journal). */
  get recovery(): RecoverySummary | null {
    return this.recovered;
  }

  private async recover(): Promise<void> {
    const jc = this.config.daemon.journal;
    const dir = resolve(this.baseDir, jc.dir);
    const journal = await Journal.open(dir, {
      maxDelayMs: jc.maxDelayMs,
      // The failure is latched in the recorder (one place), which halts the daemon (onFailure).
      onError: (err) => this.recorder!.fail(err),
      fileWrites: this.journalFileWrites,
    });
    this.journal = journal;
    const recorder = this.recorder!;
    recorder.attach(journal);
    // Replay: the records are in the journal already, and risk reservations are rebuilt from the SUBMITs.
    recorder.active = false;
    this.riskAccounting.replaying = true;
    let replay: ReplayReport;
    // The journal names its strategies, instruments and venues: they are matched to the configuration by name.
    const names = new NameMapper(this.tracker.store);
    try {
      replay = replayOrders(dir, this.tracker, this.tracker.store, this.ids, this.risk, this.fees, names);
    } finally {
      this.riskAccounting.replaying = false;
      recorder.active = true;
    }
    // Refuses (JOURNAL_CONFIG_MISMATCH) before anything is written when the journal no longer fits the configuration.
    const removed = checkJournalAgainstConfig(names, this.tracker, this.acceptRemoved);
    // First record of this run: what its indexes refer to.
    recorder.writeNames();
    if (removed.length > 0) {
      const closed = closeOutRemoved(names, this.tracker, recorder, removed, this.clock.now());
      this.log.warn({ code: 'JOURNAL_CONFIG_MISMATCH', removed, canceledOrders: closed.canceledOrders, droppedPositions: closed.droppedPositions },
        'removed strategies, instruments or venues closed out (--accept-removed)');
    }
    const open = this.tracker.list(true);
    // Orders accepted but never dispatched go back to their queues; orders resting in the crossing book go back in.
    for (const o of open) {
      if (o.state === 'CREATED') this.queues.push(o.strategyIndex, PRIORITY_CODE[o.priority], o.slot, this.tracker.store.generation[o.slot]!);
      else if (o.venue === INTERNAL_VENUE) this.crossing?.restore(o.slot);
    }
    this.dispatcher.wake();
    recorder.event({ event: 'recovered', cut: journal.recovery.cut, replay });
    this.log.info({ replay, cut: journal.recovery.cut, open: open.length }, 'journal replayed');

    const results: ReconcileResult[] = [];
    for (let v = 0; v < this.venues.length; v++) {
      const adapter = this.venues[v]!;
      if (adapter instanceof RestartingVenue && !adapter.isUp) {
        // not started: reconciled when it comes up, before it opens (lateVenueReady)
        results.push({ venue: adapter.name, ok: false, error: 'not started (retrying)', checked: 0, findings: [] });
        continue;
      }
      const r = await this.reconcileOne(v);
      results.push(r);
      if (!r.ok) {
        this.gate.setOpen(v, false, `VENUE_NOT_RECONCILED: ${r.error ?? ''}`);
        recorder.event({ event: 'reconciliation-failed', venue: adapter.name, error: r.error });
        this.log.error({ code: 'VENUE_NOT_RECONCILED', venue: adapter.name, error: r.error }, 'venue could not be reconciled: it stays closed to new orders, retried');
        // retried with the venue's backoff (lateVenueReady), opened once reconciled
        if (adapter instanceof RestartingVenue) adapter.readyFailed(new Error(`VENUE_NOT_RECONCILED: ${r.error ?? ''}`));
      }
    }
    const { policy, maxAgeMs } = this.config.daemon.startup;
    let canceledOld = 0;
    if (policy === 'cancel-older-than') {
      const cutoff = this.clock.now() - maxAgeMs;
      for (const o of this.tracker.list(true)) {
        if (o.createdAt < cutoff && this.intake.cancelSlot(o.slot).ok) canceledOld++;
      }
    }
    this.recovered = { replay, cut: journal.recovery.cut, reconciliation: results, canceledOld };
    await journal.flush();
    recorder.onRecord = () => this.maybeSnapshot();
    this.lastSnapshotSeq = replay.snapshotSeq ?? 0;
    this.maybeSnapshot();
  }

  /** Reconciles one venue with the journal's view of its orders. */
  private reconcileOne(v: number): Promise<ReconcileResult> {
    const adapter = this.venues[v]!;
    const recorder = this.recorder!;
    const listed = this.config.venues[v]!.symbols.map((sym) => this.instruments.get(sym)!);
    return reconcileVenue(v, adapter, this.tracker, this.tracker.store, this.instruments, listed, {
      resubmit: (slot) => this.dispatcher.resend(slot),
      recancel: (slot) => this.intake.recancel(slot),
      finding: (f) => {
        recorder.event({ event: 'reconciliation', ...f });
        this.log.warn(f, 'reconciliation: difference with the venue');
      },
    }, adapter.validityWindowMs?.() ?? 0, () => this.clock.now());
  }

  /**
   * A venue that did not start with the daemon has started: once the daemon's own start is over, reconcile it (with
   * a journal) and open it. false = not now (RestartingVenue tries again with its backoff).
   */
  private async lateVenueReady(v: number): Promise<boolean> {
    // a venue that came up while the daemon was still starting waits for the start to finish (journal replayed)
    if (!(await this.startupFinished) || this.stopping !== undefined) return false;
    if (this.config.daemon.journal.enabled) {
      const r = await this.reconcileOne(v);
      if (!r.ok) {
        this.recorder!.event({ event: 'reconciliation-failed', venue: this.venues[v]!.name, error: r.error });
        this.log.error({ code: 'VENUE_NOT_RECONCILED', venue: this.venues[v]!.name, error: r.error }, 'venue could not be reconciled: it stays closed, retried');
        throw new Error(`VENUE_NOT_RECONCILED: ${r.error ?? ''}`);
      }
      this.recorder!.event({ event: 'venue-opened', venue: this.venues[v]!.name, checked: r.checked, findings: r.findings.length });
    }
    if (this.stopping !== undefined) return false;
    this.gate.setOpen(v, true);
    return true;
  }

  /** Per venue for GET /health: available to the router or not, and why not. */
  private venueHealth(): { status: 'ok' | 'degraded'; venues: Record<string, unknown>[] } {
    const venues = this.venues.map((v, i) => {
      const available = this.dispatcher.available[i] === 1;
      const start = v instanceof RestartingVenue ? v.status() : undefined;
      return {
        name: v.name,
        available,
        ...(start !== undefined ? { state: start.state, startFailures: start.failures, startRetries: start.retries } : {}),
        ...(!available ? { reason: this.gate.reason(i) ?? 'VENUE_UNAVAILABLE' } : {}),
        ...(start?.lastError !== undefined && !available ? { lastError: start.lastError } : {}),
        ...(start?.nextAttemptAt !== undefined ? { nextAttemptInMs: Math.max(0, start.nextAttemptAt - this.clock.now()) } : {}),
      };
    });
    return { status: venues.every((v) => v.available) ? 'ok' : 'degraded', venues };
  }

  /**
   * Every `journal.snapshotEvery` records: a snapshot of every order held, the id counter and positions; the
   * journal then deletes the segments it covers, so a restart reads at most one snapshot and the records after it.
   */
  private maybeSnapshot(): void {
    const journal = this.journal;
    if (journal === undefined || this.snapshotPending) return;
    if (journal.lastSeq - this.lastSnapshotSeq < this.config.daemon.journal.snapshotEvery) return;
    this.snapshotPending = true;
    setImmediate(() => {
      const seq = journal.lastSeq;
      const bytes = encodeSnapshot(takeSnapshot(this.tracker, this.ids.current(), this.risk, this.fees));
      this.lastSnapshotSeq = seq;
      journal.writeSnapshot(seq, bytes).then(
        (info) => {
          this.snapshotPending = false;
          this.log.info({ seq, bytes: bytes.length, info }, 'journal snapshot written');
        },
        (err: unknown) => {
          this.snapshotPending = false;
          this.log.error({ err }, 'journal snapshot failed');
        },
      );
    });
  }

  /**
   * The journal cannot write (called once, by the recorder's latch). Nothing may be acknowledged or sent that is
   * not durable, so: intake closes (every new order, HTTP, WebSocket or ring, is refused JOURNAL_IO), the
   * dispatcher dispatches nothing more (orders still queued are DENIED JOURNAL_IO), batches waiting for the disk
   * are not sent (REJECTED JOURNAL_IO, see the batcher's gate) and requests waiting for durability get JOURNAL_IO.
   * The daemon stays up: venue reports are still applied in memory (state, risk, metrics, API stream; not
   * durable), cancels still go to venues, queries are answered, /health and metrics say so, and SIGTERM stops it
   * as usual. A restart resumes from the last durable record, as after a crash.
   */
  private halt(error: JournalError): void {
    this.journalFailedAt = this.clock.now();
    this.intake.close('JOURNAL_IO');
    this.dispatcher.halt('JOURNAL_IO');
    this.log.fatal({ code: error.code, err: error, durableSeq: this.recorder?.durableSeq }, 'switchyard halted: intake closed (journal failed)');
  }

  /** For GET /health: the journal, when there is one (a failed journal makes the daemon's status "halted"). */
  private journalHealth(): Record<string, unknown> {
    const recorder = this.recorder;
    if (recorder === undefined) return {};
    const failure = recorder.failed;
    const journal = {
      ok: failure === null,
      lastSeq: recorder.lastSeq,
      durableSeq: recorder.durableSeq,
      ...(failure !== null ? {
        failedAt: this.journalFailedAt,
        error: { code: failure.code, message: failure.message },
        unrecorded: recorder.unrecorded,
      } : {}),
    };
    return failure === null ? { journal } : { status: 'halted', journal };
  }

  get apiPort(): number {
    return this.port;
  }

  /**
   * Graceful stop: close intake, cancel what the shutdown policy says (orders still queued are always canceled:
   * they never left), wait for the venues to confirm or for the timeout, then stop venues and the API.
   */
  stop(reason = 'stop requested'): Promise<void> {
    this.stopping ??= this.doStop(reason);
    return this.stopping;
  }

  private async doStop(reason: string): Promise<void> {
    const { policy, strategies, timeoutMs } = this.config.daemon.shutdown;
    this.startupDone(false);
    this.intake.close();
    this.log.info({ reason, policy }, 'switchyard stopping');
    // A start in progress finishes its current step first (see start()); one that failed released everything.
    const started = this.starting === undefined || this.startOutcome === 'started' || (this.startOutcome === undefined && (await this.starting.then(() => true, () => false)));
    if (!started || this.startOutcome === 'failed') {
      this.log.info({ reason }, 'switchyard stopped (the start had failed)');
      this.ownClock?.stop();
      await new Promise<void>((resolve) => this.log.flush(() => resolve()));
      return;
    }
    // Strategies get their stop hook (they may still cancel); their rings keep being drained meanwhile.
    if (this.host !== undefined) await this.host.stop(timeoutMs);
    // Orders still queued or resting in the crossing book are always canceled: they never reached a venue.
    const toCancel = this.tracker.list(true).filter((o) =>
      o.state === 'CREATED' || o.venue === INTERNAL_VENUE || policy === 'cancel-all'
      || (policy === 'cancel-strategies' && (strategies ?? []).includes(o.strategy)),
    );
    for (const o of toCancel) if (o.state !== 'PENDING_CANCEL') this.intake.cancel(o.id);
    const settled = await waitFor(() => toCancel.every((o) => !isOpen(o.state)), timeoutMs);
    const stillOpen = toCancel.filter((o) => isOpen(o.state)).map((o) => o.id);
    if (!settled) this.log.warn({ orders: stillOpen }, 'shutdown timeout: some cancels were not confirmed');
    const left = this.tracker.list(true).length;
    this.dispatcher.stop();
    await this.api.close();
    await Promise.all(this.venues.map((v) => v.stop()));
    await this.crossing?.stop();
    if (this.journal !== undefined) {
      this.recorder!.event({ event: 'stopped', reason });
      await this.journal.close();
    }
    this.log.info({ canceled: toCancel.length - stillOpen.length, unconfirmed: stillOpen.length, leftOpen: left }, 'switchyard stopped');
    this.ownClock?.stop();
    await new Promise<void>((resolve) => this.log.flush(() => resolve()));
  }
}

export interface RecoverySummary {
  readonly replay: ReplayReport;
  readonly cut: unknown;
  readonly reconciliation: readonly ReconcileResult[];
  readonly canceledOld: number;
}

export type ReloadResult = { ok: true; errors: [] } | { ok: false; errors: string[] };

function buildRisk(config: Config, instruments: InstrumentRegistry): PreTradeRisk {
  return new PreTradeRisk(
    instruments,
    config.strategies.map((s) => ({
      id: s.id,
      symbols: s.symbols,
      maxOrderQty: s.limits.maxOrderQty,
      maxOrderNotional: s.limits.maxOrderNotional,
      maxOpenOrders: s.limits.maxOpenOrders,
      maxGrossExposure: s.limits.maxGrossExposure,
    })),
    config.risk,
  );
}

function buildRouter(config: Config, instruments: InstrumentRegistry): Router {
  const symbols = instruments.list.map((i) => i.symbol);
  return new Router(config.venues.map((v) => v.name), symbols, symbols.map((sym) => config.routing[sym] ?? {}));
}

/** The sections of a configuration a reload may not change, named where they differ. */
function restartOnlyChanges(a: Config, b: Config): string[] {
  const fixed = (c: Config): Record<string, unknown> => ({
    daemon: c.daemon,
    venues: c.venues,
    instruments: c.instruments,
    strategies: c.strategies.map((s) => ({ id: s.id, module: s.module, params: s.params, crossing: s.crossing })),
  });
  const fa = fixed(a);
  const fb = fixed(b);
  return Object.keys(fa).filter((k) => JSON.stringify(fa[k]) !== JSON.stringify(fb[k]));
}

function waitFor(done: () => boolean, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const deadline = Date.now() + timeoutMs;
    const tick = (): void => {
      if (done()) resolve(true);
      else if (Date.now() >= deadline) resolve(false);
      else setTimeout(tick, 5);
    };
    tick();
  });
}

/**
 * Client order ids are this prefix plus the order id in base 36: letters and digits only, at most 32 characters.
 * The prefix is the configured stable part (`daemon.clientIdPrefix`, 1 to 8 characters; default 4 characters of
 * the daemon name) and 6 characters of the start time in base 36: the stable part tells this daemon's orders from
 * other programs' on a shared account, the time part keeps two runs apart. Daemons sharing an account need stable
 * parts none of which starts another (e.g. all of the same length), so that no two of them make the same id.
 */
export function clientIdPrefix(stable: string, now: number): string {
  return stable + now.toString(36).slice(-6).padStart(6, '0');
}

/**
 * The API bearer token: $SWITCHYARD_API_TOKEN, else daemon.api.token (an env reference), else the token file;
 * when the file does not exist a new token is generated and written there (mode 0600).
 */
export function resolveApiToken(
  config: Config,
  env: NodeJS.ProcessEnv,
  baseDir: string,
): { token: string; generated: boolean; file: string; exposedMode?: number } {
  const file = resolve(baseDir, config.daemon.api.tokenFile);
  const fromEnv = env.SWITCHYARD_API_TOKEN;
  if (fromEnv !== undefined && fromEnv.length > 0) return { token: fromEnv, generated: false, file };
  if (config.daemon.api.token !== undefined) return { token: config.daemon.api.token, generated: false, file };
  if (existsSync(file)) {
    const token = readFileSync(file, 'utf8').trim();
    // A token other local users can read lets them trade: worth a warning at start (the daemon still starts).
    const mode = statSync(file).mode & 0o777;
    if (token.length > 0) return { token, generated: false, file, ...((mode & 0o077) !== 0 ? { exposedMode: mode } : {}) };
  }
  const token = generateToken();
  writeTokenFile(file, token);
  return { token, generated: true, file };
}

/** Build a daemon with its token resolved (the CLI and the end-to-end tests use this). */
export function createDaemon(config: Config, options: DaemonOptions = {}): Daemon {
  const env = options.env ?? process.env;
  const { token, generated, file, exposedMode } = resolveApiToken(config, env, options.baseDir ?? process.cwd());
  if (generated) options.onTokenGenerated?.(token, file);
  const daemon = new Daemon(config, token, options);
  if (exposedMode !== undefined) {
    daemon.log.warn({ file, mode: exposedMode.toString(8).padStart(4, '0') }, 'the API token file is readable by group or others: chmod 600 it');
  }
  return daemon;
}
