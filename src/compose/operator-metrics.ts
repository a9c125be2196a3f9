/**
 * The metrics an operator watches beyond the order counts (issue 16): per venue the circuit breaker state, the
 * rate-limit headroom of each pool and the requests in flight; the journal's fdatasync latency and its lag (records
 * appended and not yet on disk); the event stream's clients and the slow consumers it dropped; and prom-client's
 * default process metrics (CPU, memory, event loop lag, GC, handles). Everything is read from its owner at scrape
 * time (collect), except the fdatasync latency, which is observed by wrapping the journal's file writes (one
 * hrtime pair per batch, into a typed histogram: nothing allocated per observation).
 */
import { collectDefaultMetrics, Counter, Gauge, type Metric, type Registry } from 'prom-client';
import type { VenueAdapter } from '../execution/venue.js';
import { SEGMENT_SYNC_FLAG } from '../journal/directory.js';
import type { JournalFileWrites } from '../journal/journal-options.js';
import type { WorkerStrategyStatus } from '../strategy/strategy-host.js';
import { TypedHistogram } from '../telemetry/typed-histogram.js';

/** fdatasync buckets in seconds: from a battery-backed cache (tens of µs) to a struggling disk (seconds). */
export const FSYNC_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export const BREAKER_STATES = ['closed', 'half-open', 'open'] as const;

/** What an adapter with a breaker and a rate limiter exposes (adapters/common/base-adapter.ts operatorState). */
interface OperatorStateSource {
  operatorState(): {
    readonly breaker: string;
    readonly inFlight: number;
    readonly pools: ReadonlyArray<{ readonly pool: string; readonly remaining: number; readonly limit: number }>;
  };
}

function hasOperatorState(v: unknown): v is OperatorStateSource {
  return typeof (v as Partial<OperatorStateSource>).operatorState === 'function';
}

/** The adapter behind a venue (a RestartingVenue's current one); in-process venues have no breaker or limiter. */
function operatorStateOf(v: VenueAdapter): ReturnType<OperatorStateSource['operatorState']> | undefined {
  const inner = (v as { adapter?: unknown }).adapter ?? v;
  return hasOperatorState(inner) ? inner.operatorState() : undefined;
}

export interface OperatorSources {
  /** The daemon's venues (the market-data-only ones included: their breaker and pools matter too). */
  readonly venues: () => readonly VenueAdapter[];
  /** The journal's appended and durable sequence numbers (undefined without a journal). */
  readonly journal?: () => { readonly lastSeq: number; readonly durableSeq: number } | undefined;
  /** The event stream's connected clients and slow consumers dropped since the start. */
  readonly stream?: () => { readonly clients: number; readonly slowConsumerDisconnects: number } | undefined;
  /** The worker strategies' status by id (src/strategy/strategy-host.ts; undefined: none hosted). */
  readonly strategies?: () => Readonly<Record<string, WorkerStrategyStatus>> | undefined;
}

/** One gauge or counter per worker strategy, from its status at scrape time. */
function strategyMetric(
  kind: 'gauge' | 'counter', registers: Registry[], name: string, help: string,
  statuses: () => Readonly<Record<string, WorkerStrategyStatus>> | undefined, value: (s: WorkerStrategyStatus) => number,
): void {
  const collect = function (this: Gauge<'strategy'>): void {
    this.reset();
    for (const [strategy, s] of Object.entries(statuses() ?? {})) this.set({ strategy }, value(s));
  };
  if (kind === 'gauge') new Gauge({ name, help, labelNames: ['strategy'], registers, collect });
  else {
    new Counter({
      name, help, labelNames: ['strategy'], registers,
      collect(this: Counter<'strategy'>) {
        this.reset();
        for (const [strategy, s] of Object.entries(statuses() ?? {})) this.inc({ strategy }, value(s));
      },
    });
  }
}

export class OperatorMetrics {
  private readonly fsync = new TypedHistogram(
    'switchyard_journal_fsync_seconds',
    'Time one journal batch took to become durable: its synchronous (O_DSYNC) write, or its fdatasync (group commit: one per batch)',
    [],
    FSYNC_BUCKETS,
    1e6,
  );

  constructor(registry: Registry, sources: OperatorSources, options: { defaultMetrics?: boolean } = {}) {
    const registers = [registry];
    // every venue's adapter state, read once per scrape for all three venue metrics
    const venues = (): Array<{ venue: string; state: ReturnType<OperatorStateSource['operatorState']> }> => {
      const out: Array<{ venue: string; state: ReturnType<OperatorStateSource['operatorState']> }> = [];
      for (const v of sources.venues()) {
        const state = operatorStateOf(v);
        if (state !== undefined) out.push({ venue: v.name, state });
      }
      return out;
    };
    new Gauge({
      name: 'switchyard_venue_circuit_breaker',
      help: 'Circuit breaker state of a venue: 1 for its current state (closed, half-open, open), 0 for the others',
      labelNames: ['venue', 'state'],
      registers,
      collect() {
        this.reset();
        for (const { venue, state } of venues()) {
          for (const s of BREAKER_STATES) this.set({ venue, state: s }, state.breaker === s ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'switchyard_venue_rate_limit_remaining',
      help: 'Rate-limit tokens a venue pool has left in its window now (0 while paused or banned)',
      labelNames: ['venue', 'pool'],
      registers,
      collect() {
        this.reset();
        for (const { venue, state } of venues()) for (const p of state.pools) this.set({ venue, pool: p.pool }, p.remaining);
      },
    });
    new Gauge({
      name: 'switchyard_venue_rate_limit_limit',
      help: 'A venue pool\'s current limit per window (lowered after a refusal, raised back after clean windows)',
      labelNames: ['venue', 'pool'],
      registers,
      collect() {
        this.reset();
        for (const { venue, state } of venues()) for (const p of state.pools) this.set({ venue, pool: p.pool }, p.limit);
      },
    });
    new Gauge({
      name: 'switchyard_venue_requests_in_flight',
      help: 'Requests sent to a venue and not answered yet (bounded by its maxInFlight)',
      labelNames: ['venue'],
      registers,
      collect() {
        this.reset();
        for (const { venue, state } of venues()) this.set({ venue }, state.inFlight);
      },
    });
    registry.registerMetric(this.fsync as unknown as Metric);
    const journal = sources.journal;
    if (journal !== undefined) {
      new Gauge({
        name: 'switchyard_journal_lag_records',
        help: 'Journal records appended and not yet on disk (written and fdatasync\'ed): what a power cut would lose',
        registers,
        collect() {
          const j = journal();
          this.set(j === undefined ? 0 : Math.max(0, j.lastSeq - j.durableSeq));
        },
      });
    }
    const stream = sources.stream;
    if (stream !== undefined) {
      new Gauge({
        name: 'switchyard_stream_clients',
        help: 'Clients connected to the event stream (/v1/stream)',
        registers,
        collect() {
          this.set(stream()?.clients ?? 0);
        },
      });
      new Counter({
        name: 'switchyard_stream_dropped_clients_total',
        help: 'Event stream clients disconnected as slow consumers (their send buffer passed streamMaxBufferedBytes)',
        registers,
        collect() {
          this.reset();
          this.inc(stream()?.slowConsumerDisconnects ?? 0);
        },
      });
    }
    const strategies = sources.strategies;
    if (strategies !== undefined) {
      strategyMetric('gauge', registers, 'switchyard_strategy_up',
        'A worker strategy is running and its thread responsive (1), or not (0: failed, stopped, or its code has held its thread past daemon.workers.hangMs)',
        strategies, (s) => (s.status === 'running' && s.responsive ? 1 : 0));
      strategyMetric('counter', registers, 'switchyard_strategy_hangs_total',
        'Times a worker strategy\'s thread went unresponsive (no heartbeat for daemon.workers.hangMs)', strategies, (s) => s.hangs);
      strategyMetric('counter', registers, 'switchyard_strategy_queue_full_total',
        'Submits (its order ring full) and cancels (its cancel ring full) a worker strategy was refused QUEUE_FULL', strategies, (s) => s.queueFull);
      strategyMetric('counter', registers, 'switchyard_strategy_events_lost_total',
        'Events a worker strategy did not get (each covered by a RESYNC): its event ring was full, or its worker was down (failed, a restart on its way)', strategies, (s) => s.eventsLost);
      strategyMetric('counter', registers, 'switchyard_strategy_restarts_total',
        'Times a worker strategy that failed was started again (daemon.workers.restart)', strategies, (s) => s.restarts);
    }
    // prom-client's process and Node.js metrics (process_*, nodejs_*), in the daemon's own registry
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  }

  /**
   * The journal's file writes with the call that makes each batch durable timed into
   * switchyard_journal_fsync_seconds: the segment's write where it is synchronous (SEGMENT_SYNC_FLAG: O_DSYNC), else
   * its fdatasync.
   */
  timedFileWrites(io: JournalFileWrites): JournalFileWrites {
    const fsync = this.fsync;
    const observeSince = (start: bigint): void => fsync.observe(0, Number((process.hrtime.bigint() - start) / 1000n));
    if (SEGMENT_SYNC_FLAG !== 0) {
      return {
        write(fd, data, offset, length, position, callback) {
          const start = process.hrtime.bigint();
          io.write(fd, data, offset, length, position, (err, written) => {
            observeSince(start);
            callback(err, written);
          });
        },
        fdatasync: (fd, callback) => io.fdatasync(fd, callback),
      };
    }
    return {
      write: (fd, data, offset, length, position, callback) => io.write(fd, data, offset, length, position, callback),
      fdatasync(fd, callback) {
        const start = process.hrtime.bigint();
        io.fdatasync(fd, (err) => {
          observeSince(start);
          callback(err);
        });
      },
    };
  }
}
