/**
 * The daemon's order path built directly from its parts, wired the way src/daemon.ts wires them (same
 * constructors, same tracker listeners in the same order), for benchmarks and load tests that bring their own
 * venues and drive the parts without the configuration layer:
 *
 *   OrderStore -> OrderTracker -> PreTradeRisk -> Router -> StrategyQueues -> VenueBatcher -> Dispatcher ->
 *   OrderIntake (+ StrategyHost and RingIntake when worker strategies are given, + the journal with its
 *   durability gate on the batcher when a journal folder is given, + the HTTP/WebSocket API on request),
 *   tracker listeners: RingIntake, JournalRecorder, RiskAccounting, Metrics, the debug-log listener (and the API's).
 * Not built: internal crossing (the daemon builds it only when a strategy enables crossing), journal recovery and
 * venue reconciliation at start (the journal starts empty), configuration reload.
 *
 * Nothing here is timed; callers decide what to measure.
 */
import type { DestinationStream } from 'pino';
import { BearerAuth } from '../../src/api/auth.js';
import { ApiServer } from '../../src/api/http-server.js';
import { VenueBatcher, type BatchPolicy } from '../../src/execution/batcher.js';
import { OrderStore } from '../../src/execution/order-store.js';
import { OrderTracker } from '../../src/execution/order-tracker.js';
import { ReportHandler } from '../../src/execution/report-handler.js';
import type { ReportSink, VenueAdapter } from '../../src/execution/venue.js';
import { Dispatcher } from '../../src/intake/dispatcher.js';
import { Journal } from '../../src/journal/journal.js';
import { JournalRecorder } from '../../src/journal/order-journal.js';
import type { OrderUpdate } from '../../src/model/lifecycle.js';
import { OrderIntake } from '../../src/intake/order-intake.js';
import { RingIntake } from '../../src/intake/ring-intake.js';
import { StrategyQueues } from '../../src/intake/strategy-queues.js';
import { CoarseClock, type Clock } from '../../src/model/clock.js';
import { OrderIdCounter } from '../../src/model/ids.js';
import { InstrumentRegistry, type InstrumentSpec } from '../../src/model/instrument.js';
import { PreTradeRisk } from '../../src/risk/pre-trade-risk.js';
import { RiskAccounting } from '../../src/risk/risk-accounting.js';
import { Router } from '../../src/routing/router.js';
import { StrategyHost, type HostLogger } from '../../src/strategy/strategy-host.js';
import { createLogger, type Logger } from '../../src/telemetry/logger.js';
import { Metrics } from '../../src/telemetry/metrics.js';

export const BTC: InstrumentSpec = {
  symbol: 'BTC-USDT', base: 'BTC', quote: 'USDT', tickSize: '0.01', lotSize: '0.00001', minQty: '0.00001', minNotional: '5',
};
/** 60,000.00 USDT in ticks of 0.01. */
export const BTC_MARK_TICKS = 6_000_000;

export interface CoreStrategy {
  readonly id: string;
  /** A worker strategy module (hosted by the StrategyHost); undefined = an API / in-process producer. */
  readonly module?: string;
  readonly params?: Readonly<Record<string, unknown>>;
  readonly weight?: number;
}

export interface CoreOptions {
  readonly strategies: readonly CoreStrategy[];
  /** Venue names; `makeVenue` builds each adapter with the report sink (a ReportHandler, as in the daemon). */
  readonly venues: readonly string[];
  readonly makeVenue: (name: string, index: number, sink: ReportSink, store: OrderStore) => VenueAdapter;
  readonly instruments?: readonly InstrumentSpec[];
  /** Bound of each strategy queue (daemon.queue.capacity). Default 65536, the configuration default. */
  readonly queueCapacity?: number;
  /** Finished orders kept queryable (the daemon keeps 100,000). */
  readonly retainFinished?: number;
  readonly batch?: BatchPolicy;
  /** Initial order store capacity (the daemon uses the default, 65536, and grows). */
  readonly storeCapacity?: number;
  /** Where JSON logs go (level warn); default: stderr, so a bench's stdout stays clean. */
  readonly logDestination?: DestinationStream;
  /** Worker strategies: where their modules are transpiled. Required when any strategy has a module. */
  readonly cacheDir?: string;
  readonly orderRingCapacity?: number;
  readonly eventRingCapacity?: number;
  /** Also build the HTTP/WebSocket API with this bearer token (listen with `Core.listen`). */
  readonly apiToken?: string;
  readonly clock?: Clock;
  /** Wire the Prometheus metrics listener as the daemon does (default true; false only for peer measurements). */
  readonly metrics?: boolean;
  /**
   * Journal every order and update into this (empty) folder, as the daemon does by default (group commit, 2 ms):
   * batches then reach venues only once their records are durable. Without it batches go out at once.
   */
  readonly journalDir?: string;
}

export interface Core {
  readonly clock: Clock;
  readonly instruments: InstrumentRegistry;
  readonly store: OrderStore;
  readonly tracker: OrderTracker;
  readonly risk: PreTradeRisk;
  readonly router: Router;
  readonly queues: StrategyQueues;
  readonly batcher: VenueBatcher;
  readonly dispatcher: Dispatcher;
  readonly intake: OrderIntake;
  readonly metrics: Metrics;
  readonly reports: ReportHandler;
  readonly venues: readonly VenueAdapter[];
  readonly log: Logger;
  readonly host: StrategyHost | undefined;
  readonly ringIntake: RingIntake | undefined;
  readonly api: ApiServer | undefined;
  readonly journal: () => Journal | undefined;
  /** Reports about orders the tracker did not know (should stay 0). */
  readonly unknownReports: () => number;
  /** Updates refused or ignored by the lifecycle (should stay 0 in these runs). */
  readonly anomalies: () => number;
  /** Starts venues, the API (when built, on 127.0.0.1 and a free port), opens intake, starts the workers. */
  start(): Promise<{ port: number }>;
  /** Stops the workers (draining their rings meanwhile), the dispatcher loop, the API and the venues. */
  stop(): Promise<void>;
}

const stderrDestination: DestinationStream = { write: (s: string) => void process.stderr.write(s) };

export function buildCore(o: CoreOptions): Core {
  const clock = o.clock ?? new CoarseClock(); // the daemon's default clock (reading it allocates nothing)
  const instruments = new InstrumentRegistry(o.instruments ?? [BTC]);
  const strategyIds = o.strategies.map((s) => s.id);
  const store = new OrderStore(instruments, strategyIds, o.venues, 'bnch' + clock.now().toString(36).slice(-6).padStart(6, '0'), o.storeCapacity);
  const log = createLogger('warn', 'bench', o.logDestination ?? stderrDestination);
  const metrics = new Metrics(clock, o.venues, strategyIds);
  const tracker = new OrderTracker(store, clock, { retainFinished: o.retainFinished ?? 100_000 });
  const symbols = instruments.list.map((i) => i.symbol);
  const risk = new PreTradeRisk(instruments, o.strategies.map((s) => ({ id: s.id, symbols })), {});
  for (const ins of instruments.list) risk.setMark(ins.index, BTC_MARK_TICKS);
  const router = new Router(o.venues, symbols, symbols.map(() => Object.fromEntries(o.venues.map((v) => [v, 1]))));
  let unknown = 0;
  let anomalies = 0;
  let dispatcher: Dispatcher | undefined;
  const reports = new ReportHandler(
    tracker,
    clock,
    (venue, report) => {
      unknown++;
      metrics.unknownReport(venue);
      log.warn({ venue, report }, 'execution report for an unknown order');
    },
    (venue, health) => {
      const v = router.venueIndex(venue);
      if (v >= 0 && dispatcher !== undefined) dispatcher.available[v] = health === 'UP' ? 1 : 0;
    },
  );
  const venues = o.venues.map((name, i) => o.makeVenue(name, i, reports, store));
  const queues = new StrategyQueues(strategyIds.length, o.strategies.map((s) => s.weight ?? 1), o.queueCapacity ?? 65536);
  const batch = o.batch ?? { maxSize: 32, flushMs: 0 };
  // as the daemon: an adapter whose submit throws has its batch rejected
  const rejectThrown: OrderUpdate = { kind: 'REJECT', reason: 'INTERNAL' };
  const cancelThrown: OrderUpdate = { kind: 'CANCELED', reason: 'INTERNAL' };
  const batcher = new VenueBatcher(store, venues, venues.map(() => batch), (venue, b, err) => {
    log.error({ venue: o.venues[venue], orders: b.count, err }, 'venue adapter submit threw: batch rejected');
    for (let i = 0; i < b.count; i++) {
      const slot = b.slots[i]!;
      if (tracker.applySlot(slot, rejectThrown).outcome !== 'APPLIED') tracker.applySlot(slot, cancelThrown);
    }
  }, () => clock.monoMs());
  dispatcher = new Dispatcher(store, queues, tracker, risk, router, batcher);
  const d = dispatcher;
  const intake = new OrderIntake(tracker, new OrderIdCounter(0), queues, d, router, venues, instruments, strategyIds, batcher);

  let host: StrategyHost | undefined;
  let ringIntake: RingIntake | undefined;
  const hosted = o.strategies.filter((s) => s.module !== undefined);
  if (hosted.length > 0) {
    if (o.cacheDir === undefined) throw new Error('buildCore: worker strategies need a cacheDir');
    const hostLog: HostLogger = log;
    host = new StrategyHost({
      strategies: hosted.map((s) => ({ id: s.id, module: s.module!, symbols, params: s.params ?? {} })),
      instruments: o.instruments ?? [BTC],
      venues: o.venues,
      cacheDir: o.cacheDir,
      snapshot: (id) => ringIntake?.snapshot(id, intake.strategyOf(id)) ?? [],
      log: hostLog,
      orderRingCapacity: o.orderRingCapacity,
      eventRingCapacity: o.eventRingCapacity,
      startTimeoutMs: 120_000,
      onExit: (id, error) => {
        if (error !== undefined) log.error({ strategy: id, err: error }, 'strategy worker stopped with an error');
      },
    });
    ringIntake = new RingIntake(host.strategies, (id) => intake.strategyOf(id), strategyIds.length, intake, tracker, queues, router, instruments.list.length, clock);
    d.addSource(ringIntake);
    tracker.listen(ringIntake);
  }
  let recorder: JournalRecorder | undefined;
  let journal: Journal | undefined;
  if (o.journalDir !== undefined) {
    // first listener: an update is in the journal before anything else reacts to it
    recorder = new JournalRecorder(store);
    tracker.listen(recorder);
    batcher.setDurabilityGate(recorder);
  }
  tracker.listen(new RiskAccounting(risk));
  if (o.metrics !== false) tracker.listen(metrics);
  tracker.listen({
    onTransition: (order, update, t) => {
      if (log.isLevelEnabled('debug')) log.debug({ event: tracker.describe(order, update, t) }, 'order event');
    },
    onAnomaly: (order, update, t) => {
      anomalies++;
      log.warn({ orderId: order.id, state: order.state, update: update.kind, result: t.toResult() }, 'order update refused by the lifecycle');
    },
  });
  const api = o.apiToken === undefined
    ? undefined
    : new ApiServer({
      intake, tracker, instruments, router, metrics, auth: new BearerAuth(o.apiToken), log,
      durable: () => recorder?.durable() ?? Promise.resolve(),
      health: () => ({ name: 'bench', openOrders: tracker.open }),
    });

  let stopping: Promise<void> | undefined;
  return {
    clock, instruments, store, tracker, risk, router, queues, batcher, dispatcher: d, intake, metrics, reports, venues, log, host, ringIntake, api,
    journal: () => journal,
    unknownReports: () => unknown,
    anomalies: () => anomalies,
    async start() {
      await Promise.all(venues.map((v) => v.start()));
      if (recorder !== undefined) {
        journal = await Journal.open(o.journalDir!, {
          maxDelayMs: 2,
          onError: (err) => {
            intake.close();
            log.error({ err }, 'journal failed: intake closed');
          },
        });
        recorder.attach(journal);
      }
      const port = api === undefined ? 0 : (await api.listen(0, '127.0.0.1')).port;
      intake.open();
      if (host !== undefined) {
        const h = host;
        d.setSleeper(() => h.waitForOrders());
        await h.start();
      }
      return { port };
    },
    stop() {
      stopping ??= (async () => {
        intake.close();
        if (host !== undefined) await host.stop(5000);
        d.stop();
        if (api !== undefined) await api.close();
        await Promise.all(venues.map((v) => v.stop()));
        await journal?.close();
      })();
      return stopping;
    },
  };
}
