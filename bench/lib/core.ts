/**
 * The daemon's order path (src/compose/order-path.ts, the one constructor the daemon uses) composed for benchmarks
 * and load tests that bring their own venues: risk and routing without the configuration layer (every venue weight
 * 1, the instrument's mark set), the StrategyHost when worker strategies are given, the journal when a journal
 * folder is given (opened empty: no recovery), the HTTP/WebSocket API on request. Not built: internal crossing (the
 * daemon builds it only when a strategy enables crossing), venue reconciliation at start, configuration reload.
 *
 * Nothing here is timed; callers decide what to measure.
 */
import type { DestinationStream } from 'pino';
import { BearerAuth } from '../../src/api/auth.js';
import { ApiServer } from '../../src/api/http-server.js';
import { buildOrderPath, type OrderPath } from '../../src/compose/order-path.js';
import type { BatchPolicy } from '../../src/execution/batcher.js';
import type { OrderStore } from '../../src/core/order-store.js';
import type { ReportSink, VenueAdapter } from '../../src/execution/venue.js';
import { Journal } from '../../src/journal/journal.js';
import { CoarseClock, type Clock } from '../../src/model/clock.js';
import { InstrumentRegistry, type InstrumentSpec } from '../../src/model/instrument.js';
import { PreTradeRisk } from '../../src/risk/pre-trade-risk.js';
import { Router } from '../../src/routing/router.js';
import { StrategyHost, type HostLogger } from '../../src/strategy/strategy-host.js';
import { createLogger, type Logger } from '../../src/telemetry/logger.js';

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
  /**
   * Journal every order and update into this (empty) folder, as the daemon does by default (group commit, 2 ms):
   * batches then reach venues only once their records are durable. Without it batches go out at once.
   */
  readonly journalDir?: string;
}

export interface Core extends OrderPath {
  readonly clock: Clock;
  readonly instruments: InstrumentRegistry;
  readonly risk: PreTradeRisk;
  readonly router: Router;
  readonly log: Logger;
  readonly host: StrategyHost | undefined;
  readonly api: ApiServer | undefined;
  readonly journal: () => Journal | undefined;
  /** Starts venues, the API (when built, on 127.0.0.1 and a free port), opens intake, starts the workers. */
  start(): Promise<{ port: number }>;
  /** Stops the workers (draining their rings meanwhile), the dispatcher loop, the API and the venues. */
  stop(): Promise<void>;
}

const stderrDestination: DestinationStream = { write: (s: string) => void process.stderr.write(s) };

export function buildCore(o: CoreOptions): Core {
  const clock = o.clock ?? new CoarseClock(); // the daemon's default clock (reading it allocates nothing)
  const instruments = new InstrumentRegistry(o.instruments ?? [BTC]);
  const symbols = instruments.list.map((i) => i.symbol);
  const log = createLogger('warn', 'bench', o.logDestination ?? stderrDestination);
  const risk = new PreTradeRisk(instruments, o.strategies.map((s) => ({ id: s.id, symbols })), {});
  for (const ins of instruments.list) risk.setMark(ins.index, BTC_MARK_TICKS);
  const router = new Router(o.venues, symbols, symbols.map(() => Object.fromEntries(o.venues.map((v) => [v, 1]))));
  const hosted = o.strategies.filter((s) => s.module !== undefined);
  let host: StrategyHost | undefined;
  let path: OrderPath | undefined;
  if (hosted.length > 0) {
    if (o.cacheDir === undefined) throw new Error('buildCore: worker strategies need a cacheDir');
    const hostLog: HostLogger = log;
    host = new StrategyHost({
      strategies: hosted.map((s) => ({ id: s.id, module: s.module!, symbols, params: s.params ?? {} })),
      instruments: o.instruments ?? [BTC],
      venues: o.venues,
      cacheDir: o.cacheDir,
      snapshot: (id) => path?.ringSnapshot(id) ?? { orders: [], readSeq: 0, withdrawn: [] },
      log: hostLog,
      orderRingCapacity: o.orderRingCapacity,
      eventRingCapacity: o.eventRingCapacity,
      startTimeoutMs: 120_000,
      onExit: (id, error) => {
        if (error !== undefined) log.error({ strategy: id, err: error }, 'strategy worker stopped with an error');
      },
    });
  }
  const p = (path = buildOrderPath({
    instruments, risk, router, clock, log,
    strategies: o.strategies.map((s) => ({ id: s.id, weight: s.weight ?? 1 })),
    venues: o.venues,
    venue: (i, sink, store) => o.makeVenue(o.venues[i]!, i, sink, store),
    batch: o.venues.map(() => o.batch ?? { maxSize: 32, flushMs: 0 }),
    queueCapacity: o.queueCapacity ?? 65536,
    retainFinished: o.retainFinished ?? 100_000,
    clientIdPrefix: 'bnch' + clock.now().toString(36).slice(-6).padStart(6, '0'),
    storeCapacity: o.storeCapacity,
    journal: o.journalDir !== undefined,
    rings: host?.strategies,
  }));
  const { intake, recorder, dispatcher: d, venues } = p;
  const api = o.apiToken === undefined
    ? undefined
    : new ApiServer({
      intake, tracker: p.tracker, instruments, router, metrics: p.metrics, auth: new BearerAuth(o.apiToken), log,
      durable: () => recorder?.durable() ?? Promise.resolve(),
      health: () => ({ name: 'bench', openOrders: p.tracker.open }),
    });
  let journal: Journal | undefined;
  let stopping: Promise<void> | undefined;
  return {
    ...p, clock, instruments, risk, router, log, host, api,
    journal: () => journal,
    async start() {
      await Promise.all(venues.map((v) => v.start()));
      if (recorder !== undefined) {
        journal = await Journal.open(o.journalDir!, {
          maxDelayMs: 0, // the daemon default: a batch goes as soon as the disk is free
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
