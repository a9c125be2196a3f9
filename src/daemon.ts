/**
 * The one composition root: builds every part of the daemon from a loaded configuration and wires them through the
 * one order-path constructor (compose/order-path.ts). Nothing else constructs long-lived objects; nothing is a
 * module-level singleton. Policy lives in the modules it composes (compose/: startup recovery, the shutdown policy,
 * the reload plan; the health views in api/).
 */
import { resolveApiToken } from './api/api-token.js';
import type { ApiServer } from './api/http-server.js';
import { apiFromConfig, denialExplainer } from './compose/api-from-config.js';
import { busFromConfig, type DaemonBus } from './compose/bus-from-config.js';
import { loadEnhancers } from './compose/enhancers-from-config.js';
import { SignalFeed } from './bus/signal-feed.js';
import { redisSettings } from './bus/redis-connection.js';
import type { OrderEnhancers } from './intake/order-enhancer.js';
import { resolve } from 'node:path';
import type { Config } from './config/index.js';
import { planReloadFromFile, riskFor, routerFor } from './compose/reload-plan.js';
import { reloadDiff } from './compose/reload-diff.js';
import { KillSwitch } from './compose/kill-switch.js';
import { StartStop } from './compose/start-stop.js';
import type { OrderPath } from './compose/order-path.js';
import { dailyLossLimits, orderPathFromConfig, strategyRoutes } from './compose/order-path-from-config.js';
import type { MarketData } from './market/market-data.js';
import { marketFromConfig, type ConfiguredMarket } from './compose/market-from-config.js';
import { shutDown } from './compose/shutdown-policy.js';
import { StartupRecovery, type RecoverySummary } from './compose/startup-recovery.js';
import type { DaemonOptions } from './compose/daemon-options.js';
import { hostStrategies } from './compose/hosted-strategies.js';
import { historyFromConfig, type DaemonHistory } from './compose/history-from-config.js';
import { RestartingVenue } from './execution/venue-supervisor.js';
import type { JournalError } from './journal/errors.js';
import type { StrategyHost } from './strategy/strategy-host.js';
import { BUSY_POLL_WORKER_SPIN_US, DEFAULT_WORKER_SPIN_US } from './strategy/worker-protocol.js';
import { CoarseClock, type Clock } from './model/clock.js';
import { InstrumentRegistry } from './model/instrument.js';
import type { PreTradeRisk } from './risk/pre-trade-risk.js';
import type { Router } from './routing/router.js';
import { createLogger, type Logger } from './telemetry/logger.js';
import { OperatorMetrics } from './compose/operator-metrics.js';
import { NODE_FILE_WRITES } from './journal/journal-options.js';
import type { StreamStats } from './api/event-stream.js';

export type { DaemonOptions } from './compose/daemon-options.js';
export { clientIdPrefix } from './model/client-id-prefix.js';
export { resolveApiToken } from './api/api-token.js';
export type { RecoverySummary } from './compose/startup-recovery.js';

/** How often a trailing stop's best price is recorded in the journal when it moved (what a crash can lose). */
const TRAILING_PERSIST_MS = 250;
/** How often the daily loss limits are compared with the PnL (marks move between fills). */
const DAILY_LOSS_CHECK_MS = 250;

export class Daemon {
  readonly log: Logger;
  readonly instruments: InstrumentRegistry;
  readonly router: Router;
  /** The order path: store, tracker, intake, metrics, fees, venues... (compose/order-path.ts). */
  readonly path: OrderPath;
  /** Books and trades of every venue, and the consolidated books (compose/market-from-config.ts). */
  readonly market: MarketData;
  private readonly marketIo: ConfiguredMarket;
  private readonly api: ApiServer;
  /** The trade history (fills and final order states beyond the journal; none without the journal). */
  readonly history: DaemonHistory | undefined;
  /** Redis in and out: events, commands of remote strategies, account leases (none when nothing uses Redis). */
  readonly bus: DaemonBus | undefined;
  /** The strategies' order enhancers and their signal feed (loaded at start; none when no strategy has one). */
  private enhancers: OrderEnhancers | undefined;
  private signals: SignalFeed | undefined;
  private readonly configDir: string;
  private readonly baseDir: string;
  /**
   * Resolves true once the start sequence (recovery included) is over — a venue that comes up late is reconciled on
   * its own after that — or false when the start is abandoned or the daemon stops.
   */
  private startupDone!: (done: boolean) => void;
  private readonly startupFinished = new Promise<boolean>((resolve) => (this.startupDone = resolve));
  private readonly clock: Clock;
  private ownClock: CoarseClock | undefined;
  private readonly risk: PreTradeRisk;
  private readonly recovery_: StartupRecovery;
  private current: Config;
  private readonly configFile: string | undefined;
  /** When the journal failed (0: it has not). */
  private journalFailedAt = 0;
  private readonly env: NodeJS.ProcessEnv;
  private readonly host: StrategyHost | undefined;
  private port = 0;
  private readonly lifecycle = new StartStop<{ host: string; port: number }>({
    start: (stopRequested) => this.startSteps(stopRequested),
    abandon: () => this.abandonStart(),
    beforeStop: (reason) => {
      this.startupDone(false);
      // no more commands read from Redis (the unread and unanswered wait for the next run); awaited in bus.stop()
      void this.bus?.stopIntake().catch(() => undefined);
      this.path.intake.close();
      this.log.info({ reason, policy: this.config.daemon.shutdown.policy }, 'switchyard stopping');
    },
    stop: (reason) => this.stopSteps(reason),
    finally: async (startFailed, reason) => {
      await this.signals?.stop().catch(() => undefined);
      this.enhancers?.stop();
      await this.bus?.stop().catch((err: unknown) => this.log.warn({ err }, 'redis parts did not stop cleanly'));
      this.path.balances.stop();
      this.path.dailyLoss.stopTimer();
      if (startFailed) this.log.info({ reason }, 'switchyard stopped (the start had failed)');
      await this.marketIo.stop();
      this.ownClock?.stop();
      await new Promise<void>((resolve) => this.log.flush(() => resolve()));
    },
  });

  constructor(readonly config: Config, token: string, options: DaemonOptions = {}) {
    // Default: a coarse wall clock (reading it allocates nothing; see CoarseClock), stopped with the daemon.
    const clock = (this.clock = options.clock ?? (this.ownClock = new CoarseClock()));
    const baseDir = (this.baseDir = options.baseDir ?? process.cwd());
    this.configDir = options.configDir ?? baseDir;
    this.current = config;
    this.configFile = options.configFile;
    const env = (this.env = options.env ?? process.env);
    const log = (this.log = createLogger(config.daemon.log.level, config.daemon.name, options.logDestination, config.daemon.log.format));
    const instruments = (this.instruments = new InstrumentRegistry(config.instruments));
    const risk = (this.risk = riskFor(config, instruments));
    const router = (this.router = routerFor(config, instruments));
    const marketIo = (this.marketIo = marketFromConfig(config, { instruments, clock, log, risk, router }));
    const market = (this.market = marketIo.market);
    const lateVenueReady = (v: number): Promise<boolean> => this.recovery_.lateVenueReady(v, this.startupFinished, () => this.lifecycle.stopRequested);
    const host = (this.host = hostStrategies({ config, baseDir, configDir: options.configDir ?? baseDir, snapshot: (id) => this.path.ringSnapshot(id), firstSeq: (id) => this.path.ringFirstSeq(id), log, market }));
    const path = (this.path = orderPathFromConfig(config, { instruments, risk, router, clock, log, env, lateVenueReady, rings: host?.strategies, current: () => this.current, market }));
    if (path.recorder !== undefined) path.recorder.onFailure = (err) => this.halt(err);
    marketIo.registerMetrics(path.metrics);
    const history = (this.history = historyFromConfig(config, { orders: path.store, log, baseDir, registry: path.metrics.registry }));
    const explainDenial = denialExplainer(risk, instruments);
    const bus = (this.bus = busFromConfig(config, {
      path, clock, log, env, baseDir, registry: path.metrics.registry, explainDenial, journalDir: resolve(baseDir, config.daemon.journal.dir),
    }));
    // the journal keeps what the history and the event publisher have not taken yet
    const floors = [history?.retentionFloor, bus?.retentionFloor].filter((f): f is () => number => f !== undefined);
    // operator metrics (breakers, rate-limit pools, in flight, journal fsync and lag, stream clients, process)
    const ops = new OperatorMetrics(path.metrics.registry, {
      venues: () => path.venues, journal: () => path.recorder, stream: () => (this.api as { stream?: { stats: StreamStats } } | undefined)?.stream?.stats,
      strategies: () => host?.status(),
    });
    this.recovery_ = new StartupRecovery({
      config, baseDir, fileWrites: ops.timedFileWrites(options.journalFileWrites ?? NODE_FILE_WRITES), acceptRemoved: options.acceptRemoved === true, path, risk, instruments, clock, log,
      // the journal keeps what the history has not stored yet
      ...(floors.length === 0 ? {} : { retentionFloor: () => Math.min(...floors.map((f) => f())) }),
    });
    const kill = new KillSwitch(path.states, path.tracker, path.intake, clock, log);
    this.api = apiFromConfig(config, { path, instruments, router, clock, log, token, baseDir, reload: () => this.reload(), journalFailedAt: () => this.journalFailedAt,
      risk, kill,
      ...(host === undefined ? {} : { workers: () => host.status() }),
      books: (s) => marketIo.view(s),
      ...(history === undefined ? {} : { history }),
      ...(bus === undefined ? {} : { bus }),
    });
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
    const plan = planReloadFromFile(this.configFile, this.env, this.current, this.instruments);
    if (!plan.ok) {
      this.log.warn({ file: this.configFile, reload: 'refused', errors: plan.errors }, 'configuration reload refused; the running configuration is unchanged');
      return { ok: false, errors: plan.errors };
    }
    try {
      this.path.dailyLoss.setLimits(dailyLossLimits(plan.next)); // first: the only swap that can still refuse
    } catch (err) {
      const errors = [err instanceof Error ? err.message : String(err)];
      this.log.warn({ file: this.configFile, reload: 'refused', errors }, 'configuration reload refused; the running configuration is unchanged');
      return { ok: false, errors };
    }
    this.router.adopt(plan.router);
    this.marketIo.adaptive?.refresh(); // adaptive tables: from the market again at once, not at the next tick
    this.risk.adoptLimits(plan.risk);
    this.path.selfTrade.mode = plan.next.risk.selfTrade;
    this.path.queues.setWeights(plan.weights);
    this.path.intake.setRoutes(strategyRoutes(plan.next, this.instruments));
    const diff = reloadDiff(this.current, plan.next);
    this.current = plan.next;
    this.log.info({ file: this.configFile, reload: 'accepted', changed: diff.sections, changes: diff.changes, changeCount: diff.count },
      diff.count === 0 ? 'configuration reloaded: nothing changed' : `configuration reloaded: ${diff.sections.join(', ')} changed`);
    return { ok: true, errors: [] };
  }

  /**
   * Start: venues, then recovery (journal replay, reconciliation with every venue, the startup policy), then the
   * API, intake and strategies. Intake opens only after reconciliation; a venue that could not be reconciled stays
   * closed to new orders and is reported. Resolves with the bound API address (port 0 when a stop came before the
   * API listened: see compose/start-stop.ts for a stop during the start, and a start that fails).
   */
  start(): Promise<{ host: string; port: number }> {
    return this.lifecycle.start();
  }

  /**
   * Graceful stop: close intake, cancel what the shutdown policy says (orders still queued are always canceled:
   * they never left), wait for the venues to confirm or for the timeout, then stop venues and the API.
   */
  stop(reason = 'stop requested'): Promise<void> {
    return this.lifecycle.stop(reason);
  }

  private async startSteps(stopRequested: () => boolean): Promise<{ host: string; port: number }> {
    // Operator errors (credentials refused, instrument not listed) still refuse the start; a venue that is merely
    // unreachable is left closed and retried (see RestartingVenue), even when it is every venue.
    // one daemon per venue account: a venue whose lease is another daemon's is not started until the lease is ours
    const leasedOut = (await this.bus?.leases()) ?? new Set<number>();
    const started = await Promise.all(this.path.venues.map((v, i) => {
      if (leasedOut.has(i)) return Promise.resolve(false);
      return v instanceof RestartingVenue ? v.startOrRetry() : v.start().then(() => true);
    }));
    started.forEach((up, v) => {
      if (!up && !leasedOut.has(v)) this.path.gate.setOpen(v, false, 'VENUE_UNAVAILABLE: not started');
    });
    const interrupted = (): { host: string; port: number } => {
      this.log.info({ port: this.port }, 'stop requested during the start: remaining start steps skipped');
      return { host: this.config.daemon.api.host, port: this.port };
    };
    if (stopRequested()) return interrupted();
    this.marketIo.start();
    if (this.config.daemon.journal.enabled) await this.recovery_.recover();
    // the history catches up from its watermark (the records replayed and reconciled above included), then goes live
    if (this.recovery_.journal !== undefined) {
      await this.history?.start(this.recovery_.journal);
      this.bus?.afterRecovery(this.recovery_.journal);
    }
    this.path.stops?.start(TRAILING_PERSIST_MS);
    // balances: locks of the recovered orders; exchange venues read now (before intake opens), then on the timer
    this.path.balances.refresh();
    await this.path.balances.start(this.config.daemon.balances.reconcileIntervalMs);
    // daily loss limits from the recovered PnL (the day's start comes back from the journal)
    this.path.dailyLoss.startTimer(DAILY_LOSS_CHECK_MS);
    await this.startEnhancers();
    if (stopRequested()) return interrupted();
    this.startupDone(true);
    const addr = await this.api.listen(this.config.daemon.api.port, this.config.daemon.api.host);
    this.port = addr.port;
    if (stopRequested()) return interrupted();
    this.path.intake.open();
    await this.bus?.afterIntake();
    if (this.host !== undefined) {
      const host = this.host;
      // daemon.dispatch: how the loop waits for the rings (it measures its spin on the real monotonic clock); with
      // busyPoll the workers poll for their events a little too
      this.path.dispatcher.setPolicy(this.config.daemon.dispatch);
      host.setWorkerSpinUs(this.config.daemon.dispatch.busyPoll ? BUSY_POLL_WORKER_SPIN_US : DEFAULT_WORKER_SPIN_US);
      this.path.dispatcher.setSleeper(() => host.waitForOrders());
      await host.start();
    }
    this.log.info({ host: addr.address, port: addr.port, venues: this.path.venues.map((v) => v.name) }, 'switchyard started');
    return { host: addr.address, port: addr.port };
  }

  /** The strategies' order enhancers (before intake opens) and the Redis signal feed of those that read signals. */
  private async startEnhancers(): Promise<void> {
    if (!this.config.strategies.some((s) => s.enhancer !== undefined)) return;
    const enhancers = (this.enhancers = await loadEnhancers({
      strategies: this.config.strategies, strategyIds: this.path.store.strategyIds, baseDir: this.configDir,
      cacheDir: resolve(this.baseDir, this.config.daemon.dataDir, 'strategies-cache'),
      instruments: this.instruments, clock: this.clock, log: this.log, registry: this.path.metrics.registry,
    }));
    this.path.intake.setEnhancers(enhancers);
    if (this.path.recorder !== undefined) enhancers.setJournal(this.path.recorder);
    const symbols = enhancers.signalSymbols();
    if (symbols.length === 0) return;
    this.signals = new SignalFeed({
      settings: redisSettings(this.config.daemon.redis.url, this.env), keyPrefix: this.config.daemon.redis.keyPrefix,
      symbols, sink: (symbol, fields) => enhancers.feedSignal(symbol, fields), log: this.log, registry: this.path.metrics.registry, clock: this.clock,
    });
    await this.signals.start();
  }

  /** A failed start releases what it opened (API socket, venue timers and connections, workers, journal). */
  private async abandonStart(): Promise<void> {
    this.startupDone(false);
    this.path.intake.close();
    this.path.dispatcher.stop();
    this.path.balances.stop();
    const quietly = (close: () => Promise<unknown> | undefined): Promise<unknown> => Promise.resolve().then(close).catch(() => undefined);
    await quietly(() => this.host?.stop(1000));
    // the cancels the workers' stop hooks wrote (the loop is stopped: nothing else would read them)
    await quietly(() => void this.path.dispatcher.drainSources());
    await quietly(() => this.api.close());
    await Promise.all(this.path.venues.map((v) => quietly(() => v.stop())));
    await quietly(() => this.path.crossing?.stop());
    this.path.stops?.stop();
    this.path.algos?.stop();
    await quietly(() => this.marketIo.stop());
    await quietly(() => this.recovery_.journal?.close());
    await quietly(() => this.history?.stop());
  }

  /**
   * The journal cannot write (called once, by the recorder's latch): nothing more is acknowledged or sent; the daemon
   * stays up, answers queries and applies venue reports in memory (README: *A journal that cannot write*).
   */
  private halt(error: JournalError): void {
    this.journalFailedAt = this.clock.now();
    this.path.intake.close('JOURNAL_IO');
    this.path.dispatcher.halt('JOURNAL_IO');
    this.log.fatal({ code: error.code, err: error, durableSeq: this.path.recorder?.durableSeq }, 'switchyard halted: intake closed (journal failed)');
  }

  private async stopSteps(reason: string): Promise<void> {
    const journal = this.recovery_.journal;
    await shutDown({
      shutdown: this.config.daemon.shutdown,
      openOrders: () => this.path.tracker.list(true),
      cancel: (id) => {
        const slot = this.path.tracker.slotOf(id);
        return slot >= 0 ? this.path.intake.cancelSlot(slot) : undefined;
      },
      strategies: this.host,
      drainRings: () => this.path.dispatcher.drainSources(),
      stopDispatch: () => this.path.dispatcher.stop(),
      closeApi: () => this.api.close(),
      venues: this.path.venues,
      // the crossing book, and the emulated stops' last trailing prices into the journal before it closes
      crossing: { stop: async () => { await this.path.crossing?.stop(); this.path.stops?.stop(); this.path.algos?.stop(); } },
      closeJournal: journal === undefined ? undefined : () => {
        this.path.recorder!.event({ event: 'stopped', reason });
        return journal.close();
      },
      log: this.log,
    // after the journal closed: the history writes what it holds (the rest is read from the journal next time)
    }).finally(() => this.history?.stop());
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
