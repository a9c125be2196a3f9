/**
 * The one composition root: builds every part of the daemon from a loaded configuration and wires them through the
 * one order-path constructor (compose/order-path.ts). Nothing else constructs long-lived objects; nothing is a
 * module-level singleton. Policy lives in the modules it composes (compose/: startup recovery, the shutdown policy,
 * the reload plan; the health views in api/).
 */
import { resolve } from 'node:path';
import { BearerAuth } from './api/auth.js';
import { resolveApiToken } from './api/api-token.js';
import { ApiServer } from './api/http-server.js';
import { journalStream } from './api/event-stream.js';
import { venueHealth, venueMetrics } from './api/venue-health.js';
import { formatConfigError, loadConfigFile, type Config } from './config/index.js';
import { planReload, riskFor, routerFor } from './compose/reload-plan.js';
import { buildOrderPath, type OrderPath } from './compose/order-path.js';
import { shutDown } from './compose/shutdown-policy.js';
import { StartupRecovery, type RecoverySummary } from './compose/startup-recovery.js';
import { internalCrossingFor } from './compose/crossing-from-config.js';
import type { DaemonOptions } from './compose/daemon-options.js';
import { hostStrategies } from './compose/hosted-strategies.js';
import { buildVenue } from './compose/venues-from-config.js';
import { RestartingVenue } from './execution/venue-supervisor.js';
import type { JournalError } from './journal/errors.js';
import { journalHealth } from './journal/journal-health.js';
import type { StrategyHost } from './strategy/strategy-host.js';
import { CoarseClock, type Clock } from './model/clock.js';
import { clientIdPrefix } from './model/client-id-prefix.js';
import { InstrumentRegistry } from './model/instrument.js';
import type { PreTradeRisk } from './risk/pre-trade-risk.js';
import type { Router } from './routing/router.js';
import { createLogger, type Logger } from './telemetry/logger.js';

export type { DaemonOptions } from './compose/daemon-options.js';
export { clientIdPrefix } from './model/client-id-prefix.js';
export { resolveApiToken } from './api/api-token.js';
export type { RecoverySummary } from './compose/startup-recovery.js';

export class Daemon {
  readonly log: Logger;
  readonly instruments: InstrumentRegistry;
  readonly router: Router;
  /** The order path: store, tracker, intake, metrics, fees, venues... (compose/order-path.ts). */
  readonly path: OrderPath;
  private readonly api: ApiServer;
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
    const risk = (this.risk = riskFor(config, instruments));
    const router = (this.router = routerFor(config, instruments));
    const lateVenueReady = (v: number): Promise<boolean> => this.recovery_.lateVenueReady(v, this.startupFinished, () => this.stopping !== undefined);
    const host = (this.host = hostStrategies({ config, baseDir, configDir: options.configDir ?? baseDir, snapshot: (id) => this.path.ringSnapshot(id), log }));
    const path = (this.path = buildOrderPath({
      instruments, risk, router, clock, log,
      strategies: config.strategies,
      venues: config.venues.map((v) => v.name),
      venue: (i, reports) => buildVenue(config.venues[i]!, { config, instruments, reports, clock, env, log, lateVenueReady }),
      batch: config.venues.map((v) => v.batch),
      queueCapacity: config.daemon.queue.capacity,
      retainFinished: config.daemon.retainFinishedOrders,
      clientIdPrefix: clientIdPrefix(config.daemon.clientIdPrefix, clock.now()),
      journal: config.daemon.journal.enabled,
      crossing: config.strategies.some((st) => st.crossing.enabled)
        ? (parts) => internalCrossingFor(config, { ...parts, instruments, clock, router, venueTakerBps: (v) => this.current.venues[v]!.fees.takerBps })
        : undefined,
      rings: host?.strategies,
      onVenueHealth: (venue, health, reason) => log.warn({ venue, health, reason }, 'venue health changed'),
      // A throwing listener is a bug: logged on its 1st, 2nd, 4th, 8th... error (a listener that throws on every
      // update must not flood the log), counted in switchyard_listener_errors_total.
      onListenerError: (listener, err, orderId, count) => {
        if ((count & (count - 1)) === 0) log.error({ listener, err, orderId, count }, 'order tracker listener threw (isolated)');
      },
    }));
    const { tracker, metrics, dispatcher, intake, recorder, fees, venues, gate } = path;
    if (recorder !== undefined) recorder.onFailure = (err) => this.halt(err);
    this.recovery_ = new StartupRecovery({
      config, baseDir, fileWrites: options.journalFileWrites, acceptRemoved: options.acceptRemoved === true, path, risk, instruments, clock, log,
    });
    const api: ApiServer = (this.api = new ApiServer({
      intake, tracker, instruments, router, metrics, log,
      fees: () => fees.list(),
      auth: new BearerAuth(token),
      reload: () => this.reload(),
      durable: () => recorder?.durable() ?? Promise.resolve(),
      stream: {
        maxBufferedBytes: config.daemon.api.streamMaxBufferedBytes,
        strategies: config.strategies.map((s) => s.id),
        // Event seqs are journal seqs; without a journal, the tracker's (they restart with the daemon).
        journal: recorder === undefined ? undefined
          : journalStream(recorder, resolve(baseDir, config.daemon.journal.dir), path.store, config.daemon.retainFinishedOrders),
      },
      health: () => ({
        name: config.daemon.name,
        uptimeMs: clock.now() - startedAt,
        openOrders: tracker.open,
        ...venueHealth(venues, dispatcher.available, gate, clock.now()),
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
    this.path.queues.setWeights(plan.weights);
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
    const started = await Promise.all(this.path.venues.map((v) => (v instanceof RestartingVenue ? v.startOrRetry() : v.start().then(() => true))));
    started.forEach((up, v) => {
      if (!up) this.path.gate.setOpen(v, false, 'VENUE_UNAVAILABLE: not started');
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
    this.path.intake.open();
    if (this.host !== undefined) {
      const host = this.host;
      this.path.dispatcher.setSleeper(() => host.waitForOrders());
      await host.start();
    }
    this.log.info({ host: addr.address, port: addr.port, venues: this.path.venues.map((v) => v.name) }, 'switchyard started');
    return { host: addr.address, port: addr.port };
  }

  /**
   * A start that failed half-way (a strategy module that does not load, a port in use, a venue that does not
   * connect): release what it opened — API socket, venue timers and connections, workers, journal — so that the
   * process can exit with the error instead of staying up half-started.
   */
  private async abandonStart(): Promise<void> {
    this.startupDone(false);
    this.path.intake.close();
    this.path.dispatcher.stop();
    const quietly = async (close: () => Promise<unknown> | undefined): Promise<void> => {
      try {
        await close();
      } catch {
        // the start already failed; its error is the one to report
      }
    };
    await quietly(() => this.host?.stop(1000));
    await quietly(() => this.api.close());
    await Promise.all(this.path.venues.map((v) => quietly(() => v.stop())));
    await quietly(() => this.path.crossing?.stop());
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
    this.path.intake.close('JOURNAL_IO');
    this.path.dispatcher.halt('JOURNAL_IO');
    this.log.fatal({ code: error.code, err: error, durableSeq: this.path.recorder?.durableSeq }, 'switchyard halted: intake closed (journal failed)');
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
    this.path.intake.close();
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
      openOrders: () => this.path.tracker.list(true),
      cancel: (id) => this.path.intake.cancel(id),
      strategies: this.host,
      stopDispatch: () => this.path.dispatcher.stop(),
      closeApi: () => this.api.close(),
      venues: this.path.venues,
      crossing: this.path.crossing,
      closeJournal: journal === undefined ? undefined : () => {
        this.path.recorder!.event({ event: 'stopped', reason });
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
