/**
 * The one composition root: builds every part of the daemon from a loaded configuration and wires them.
 * Nothing else constructs long-lived objects; nothing is a module-level singleton. Policy lives in the modules it
 * composes: startup recovery, the shutdown policy, the reload plan, the batch-reject rule, the health views.
 */
import { resolve } from 'node:path';
import { BearerAuth } from './api/auth.js';
import { resolveApiToken } from './api/api-token.js';
import { ApiServer } from './api/http-server.js';
import { journalStream } from './api/event-stream.js';
import { venueHealth, venueMetrics } from './api/venue-health.js';
import { formatConfigError, loadConfigFile, type Config } from './config/index.js';
import { planReload, riskFor, routerFor } from './config/reload-plan.js';
import { batchRejecter } from './execution/batch-reject.js';
import { journalOrderPath } from './execution/journal-order-path.js';
import { OrderTracker } from './execution/order-tracker.js';
import { ReportHandler } from './execution/report-handler.js';
import type { VenueAdapter } from './execution/venue.js';
import { VenueBatcher } from './execution/batcher.js';
import { OrderStore } from './execution/order-store.js';
import { shutDown } from './execution/shutdown-policy.js';
import { StartupRecovery, type RecoverySummary } from './execution/startup-recovery.js';
import { Dispatcher } from './intake/dispatcher.js';
import { StrategyQueues } from './intake/strategy-queues.js';
import type { RingIntake } from './intake/ring-intake.js';
import { INTERNAL_VENUE, type InternalCrossing } from './crossing/internal-crossing.js';
import { internalCrossingFor } from './crossing/crossing-from-config.js';
import type { DaemonOptions } from './daemon-options.js';
import type { JournalError } from './journal/errors.js';
import { journalHealth } from './journal/journal-health.js';
import type { JournalRecorder } from './journal/order-journal.js';
import { RestartingVenue, VenueGate } from './execution/venue-supervisor.js';
import type { StrategyHost } from './strategy/strategy-host.js';
import { OrderIntake } from './intake/order-intake.js';
import { CoarseClock, type Clock } from './model/clock.js';
import { clientIdPrefix } from './model/client-id-prefix.js';
import { OrderIdCounter } from './model/ids.js';
import { InstrumentRegistry } from './model/instrument.js';
import type { PreTradeRisk } from './risk/pre-trade-risk.js';
import { RiskAccounting } from './risk/risk-accounting.js';
import { FeeLedger } from './risk/fee-ledger.js';
import type { Router } from './routing/router.js';
import { createLogger, type Logger } from './telemetry/logger.js';
import { Metrics } from './telemetry/metrics.js';
import { orderLogListener } from './telemetry/order-log.js';
import { hostStrategies } from './hosted-strategies.js';
import { buildVenue } from './venues-from-config.js';

export type { DaemonOptions } from './daemon-options.js';
export { clientIdPrefix } from './model/client-id-prefix.js';
export { resolveApiToken } from './api/api-token.js';
export type { RecoverySummary } from './execution/startup-recovery.js';

export class Daemon {
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly tracker: OrderTracker;
  readonly intake: OrderIntake;
  readonly instruments: InstrumentRegistry;
  readonly router: Router;
  readonly fees: FeeLedger;
  readonly ringIntake: RingIntake | undefined;
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
  private readonly risk: PreTradeRisk;
  private readonly queues: StrategyQueues;
  private readonly recorder: JournalRecorder | undefined;
  private readonly recovery_: StartupRecovery;
  private current: Config;
  private readonly configFile: string | undefined;
  /** When the journal failed (0: it has not). */
  private journalFailedAt = 0;
  private readonly env: NodeJS.ProcessEnv;
  private readonly host: StrategyHost | undefined;
  private port = 0;
  private stopping: Promise<void> | undefined;
  /** The start in progress or done (settles after abandonStart when it failed); a stop waits for it. */
  private starting: Promise<{ host: string; port: number }> | undefined;
  /** How the start ended, once it has (a stop after it acts at once: queued orders are canceled before the dispatcher runs again). */
  private startOutcome: 'started' | 'failed' | undefined;

  constructor(readonly config: Config, token: string, options: DaemonOptions = {}) {
    // Default: a coarse wall clock (reading it allocates nothing; see CoarseClock), stopped with the daemon.
    const clock = (this.clock = options.clock ?? (this.ownClock = new CoarseClock()));
    const baseDir = options.baseDir ?? process.cwd();
    const startedAt = clock.now();
    this.current = config;
    this.configFile = options.configFile;
    const env = (this.env = options.env ?? process.env);
    const log = (this.log = createLogger(config.daemon.log.level, config.daemon.name, options.logDestination));
    const instruments = (this.instruments = new InstrumentRegistry(config.instruments));
    const strategyIds = config.strategies.map((s) => s.id);
    const venueNames = config.venues.map((v) => v.name);
    const crossingOn = config.strategies.some((st) => st.crossing.enabled);
    // The internal crossing book is the venue after the configured ones (never in the routing table).
    const orderVenues = crossingOn ? [...venueNames, INTERNAL_VENUE] : venueNames;
    const store = new OrderStore(instruments, strategyIds, orderVenues, clientIdPrefix(config.daemon.clientIdPrefix, clock.now()));
    const metrics = (this.metrics = new Metrics(clock, orderVenues, strategyIds));
    const tracker = (this.tracker = new OrderTracker(store, clock, {
      retainFinished: config.daemon.retainFinishedOrders,
      // A throwing listener is a bug: logged on its 1st, 2nd, 4th, 8th... error (a listener that throws on every
      // update must not flood the log), counted in switchyard_listener_errors_total.
      onListenerError: (listener, err, orderId, count) => {
        if ((count & (count - 1)) === 0) log.error({ listener, err, orderId, count }, 'order tracker listener threw (isolated)');
      },
    }));
    const risk = (this.risk = riskFor(config, instruments));
    for (const i of config.instruments) {
      const ins = instruments.get(i.symbol)!;
      const r = i.referencePrice === undefined ? undefined : ins.priceToTicks(i.referencePrice);
      if (r?.ok === true) risk.setMark(ins.index, r.value);
    }
    const router = (this.router = routerFor(config, instruments));
    const reports = new ReportHandler(tracker, clock, (venue, report) => {
      metrics.unknownReport(venue);
      log.warn({ venue, report }, 'execution report for an unknown order');
    }, (venue, health, reason) => {
      const v = router.venueIndex(venue);
      // the adapter's own word never opens a venue that is not started and reconciled (VenueGate)
      if (v >= 0 && this.gate !== undefined) this.gate.setHealth(v, health === 'UP', reason);
      log.warn({ venue, health, reason }, 'venue health changed');
    });
    const lateVenueReady = (v: number): Promise<boolean> => this.recovery_.lateVenueReady(v, this.startupFinished, () => this.stopping !== undefined);
    const venues = (this.venues = config.venues.map((v) => buildVenue(v, { config, instruments, reports, clock, env, log, lateVenueReady })));
    const queues = (this.queues = new StrategyQueues(strategyIds.length, config.strategies.map((s) => s.weight), config.daemon.queue.capacity));
    // An adapter whose submit throws breaks its contract: its batch is rejected (risk released, strategies told),
    // the other venues and the dispatch loop go on.
    const rejectThrown = batchRejecter(tracker, 'INTERNAL');
    const batcher = new VenueBatcher(store, venues, config.venues.map((v) => v.batch), (venue, batch, err) => {
      log.error({ venue: venueNames[venue], orders: batch.count, err }, 'venue adapter submit threw: batch rejected');
      rejectThrown(batch);
    }, () => clock.monoMs());
    const dispatcher = (this.dispatcher = new Dispatcher(store, queues, tracker, risk, router, batcher));
    this.gate = new VenueGate(dispatcher.available);
    let adapters: VenueAdapter[] = venues;
    if (crossingOn) {
      const crossing = (this.crossing = internalCrossingFor(config, {
        store, tracker, instruments, clock, router, available: dispatcher.available,
        crossed: (symbol, qty, saved) => metrics.crossed(symbol, qty, saved),
        venueTakerBps: (v) => Number(this.current.venues[v]!.fees.takerBps),
      }));
      crossing.setReleaser(dispatcher);
      dispatcher.setCrossing(crossing);
      adapters = [...venues, crossing];
    }
    const ids = new OrderIdCounter(0);
    const intake = (this.intake = new OrderIntake(tracker, ids, queues, dispatcher, router, adapters, instruments, strategyIds, batcher));
    const hosted = hostStrategies({ config, baseDir, configDir: options.configDir ?? baseDir, intake, tracker, queues, router, instruments, dispatcher, clock, log });
    this.host = hosted?.host;
    this.ringIntake = hosted?.ringIntake;
    if (config.daemon.journal.enabled) {
      const recorder = (this.recorder = journalOrderPath(store, tracker, batcher));
      recorder.onFailure = (err) => this.halt(err);
      metrics.setJournalSource(() => ({ failed: recorder.failed !== null, unrecorded: recorder.unrecorded }));
    }
    metrics.setListenerErrorSource(() => tracker.listenerErrors());
    const riskAccounting = new RiskAccounting(risk);
    tracker.listen(riskAccounting, 'risk');
    // Fee sums per strategy, venue and currency (PnL): metrics and GET /v1/fees; kept in journal snapshots.
    const fees = (this.fees = new FeeLedger(store, strategyIds));
    tracker.listen(fees, 'fees');
    metrics.setFeeSource(() => fees.list());
    tracker.listen(metrics, 'metrics');
    tracker.listen(orderLogListener(log, tracker), 'log');
    this.recovery_ = new StartupRecovery({
      config, baseDir, fileWrites: options.journalFileWrites, acceptRemoved: options.acceptRemoved === true, recorder: this.recorder,
      tracker, ids, risk, riskAccounting, fees, queues, crossing: this.crossing, dispatcher, intake, venues, gate: this.gate, instruments, clock, log,
    });
    const recorder = this.recorder;
    const api: ApiServer = (this.api = new ApiServer({
      intake, tracker, instruments, router, metrics, log,
      fees: () => fees.list(),
      auth: new BearerAuth(token),
      reload: () => this.reload(),
      durable: () => recorder?.durable() ?? Promise.resolve(),
      stream: {
        maxBufferedBytes: config.daemon.api.streamMaxBufferedBytes,
        strategies: strategyIds,
        // Event seqs are journal seqs; without a journal, the tracker's (they restart with the daemon).
        journal: recorder === undefined ? undefined
          : journalStream(recorder, resolve(baseDir, config.daemon.journal.dir), store, config.daemon.retainFinishedOrders),
      },
      health: () => ({
        name: config.daemon.name,
        uptimeMs: clock.now() - startedAt,
        openOrders: tracker.open,
        ...venueHealth(venues, dispatcher.available, this.gate, clock.now()),
        ...journalHealth(recorder, this.journalFailedAt),
        stream: api.stream.stats,
      }),
    }));
    metrics.setVenueSource(() => venueMetrics(venues, dispatcher.available));
  }

  /** The configuration in force (the last one loaded or reloaded). */
  get activeConfig(): Config {
    return this.current;
  }

  get apiPort(): number {
    return this.port;
  }

  /** What the last start recovered (null without a journal). */
  get recovery(): RecoverySummary | null {
    return this.recovery_.summary;
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
    const plan = planReload(this.current, loaded.config, this.instruments);
    if (!plan.ok) {
      this.log.warn({ errors: plan.errors }, 'configuration reload refused; the running configuration is unchanged');
      return { ok: false, errors: plan.errors };
    }
    this.router.adopt(plan.router);
    this.risk.adoptLimits(plan.risk);
    this.queues.setWeights(plan.weights);
    this.current = plan.next;
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
    this.starting ??= this.startParts().then((r) => {
      this.startOutcome = 'started';
      return r;
    }, async (err: unknown) => {
      await this.abandonStart();
      this.startOutcome = 'failed';
      throw err;
    });
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
    if (this.config.daemon.journal.enabled) await this.recovery_.recover();
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
    await quietly(() => this.recovery_.journal?.close());
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

  /**
   * Graceful stop: close intake, cancel what the shutdown policy says (orders still queued are always canceled:
   * they never left), wait for the venues to confirm or for the timeout, then stop venues and the API.
   */
  stop(reason = 'stop requested'): Promise<void> {
    this.stopping ??= this.doStop(reason);
    return this.stopping;
  }

  private async doStop(reason: string): Promise<void> {
    const { policy } = this.config.daemon.shutdown;
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
    const journal = this.recovery_.journal;
    await shutDown({
      shutdown: this.config.daemon.shutdown,
      openOrders: () => this.tracker.list(true),
      cancel: (id) => this.intake.cancel(id),
      strategies: this.host,
      stopDispatch: () => this.dispatcher.stop(),
      closeApi: () => this.api.close(),
      venues: this.venues,
      crossing: this.crossing,
      closeJournal: journal === undefined ? undefined : () => {
        this.recorder!.event({ event: 'stopped', reason });
        return journal.close();
      },
      log: this.log,
    });
    this.ownClock?.stop();
    await new Promise<void>((resolve) => this.log.flush(() => resolve()));
  }
}

export type ReloadResult = { ok: true; errors: [] } | { ok: false; errors: string[] };

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
