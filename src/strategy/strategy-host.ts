/**
 * The main-thread side of strategies: for each configured strategy it creates three SPSC rings (orders and
 * cancels: worker -> dispatcher; events: host -> worker), starts a worker thread running worker-main with the
 * strategy module, exposes the order ring to the dispatcher, writes events into the event ring, and stops
 * the workers gracefully. With a restart policy it starts a worker that failed again (StrategyHost, below).
 *
 * Event ring overflow (the main thread never blocks and never waits for a strategy):
 *  - publishEvent() writes the event if the ring has room and answers true;
 *  - if the ring is full the event is not written: it is counted (`eventsLost`) and a RESYNC is owed. From
 *    then on every event is counted and not written until the RESYNC record fits (retried on each
 *    publishEvent and on a short timer), so the strategy never sees a later event without first learning
 *    that earlier ones were lost;
 *  - the RESYNC record carries how many events were lost. On it the worker asks the host for a snapshot of
 *    the strategy's open orders (the `snapshot` option, fed by the order tracker: the latest state is always
 *    there, in the tracker) and gets back with it the event ring position at snapshot time and how far the daemon had
 *    read the strategy's order ring (readSeq, and the submits withdrawn above it: a submit not listed and above readSeq
 *    is not read yet, its events come later); it delivers RESYNC with the snapshot to onEvent and skips the ring
 *    events that the snapshot already reflects.
 *  A terminal event is therefore never lost silently: it is either delivered, or covered by a RESYNC whose
 *  snapshot no longer lists the order as open.
 *
 * Market data: each strategy also has a market channel (src/intake/ring/market-channel.ts) for its configured
 * symbols: top-of-book cells and a trade ring, written on the daemon's thread through `hosted.market` (the
 * daemon's MarketPublisher, src/compose/market-publisher.ts, writes them all) and read by the worker. Its wake-ups
 * ring the event doorbell, at most once per `marketWakeMs` while the worker sleeps.
 */
import { mkdirSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { Doorbell } from '../intake/ring/doorbell.js';
import { EV_RESYNC, EVENT_RECORD_BYTES, EventRecord, writeEventRecord } from '../intake/ring/event-record.js';
import {
  createMarketChannel, DEFAULT_MARKET_WAKE_MS, MarketChannelWriter, type MarketChannelBuffers, type MarketChannelShape,
} from '../intake/ring/market-channel.js';
import { MAX_VENUES, ORDER_RECORD_BYTES, recordSeq } from '../intake/ring/order-record.js';
import { createRingBuffer, RingConsumer, RingProducer } from '../intake/ring/spsc-ring.js';
import { SwitchyardError } from '../model/errors.js';
import type { InstrumentSpec } from '../model/instrument.js';
import { prepareStrategyModule, resolveWorkerEntry } from './module-loader.js';
import type { RingEndpoint, StrategySnapshot } from '../intake/ring/transport.js';
import { systemClock, type Clock } from '../model/clock.js';
import { DEFAULT_HEARTBEAT_MS, DEFAULT_WORKER_SPIN_US, STRATEGY_WORKER_KIND, type HostToWorker, type LogLevel, type StrategyWorkerData, type WorkerToHost } from './worker-protocol.js';

export const DEFAULT_ORDER_RING_CAPACITY = 4096;
/** Records per cancel ring by default: as many cancels in one burst as the order ring holds submits. */
export const DEFAULT_CANCEL_RING_CAPACITY = 4096;
export const DEFAULT_EVENT_RING_CAPACITY = 16384;
const RESYNC_RETRY_MS = 2;
/** Events held in a dispatch cycle (holdEvents) are published with every MAX_HELD_EVENTS-th, and at the cycle's end. */
const MAX_HELD_EVENTS = 64;

export interface StrategySpec {
  readonly id: string;
  /** Module path: absolute, or relative to StrategyHostOptions.baseDir (.ts, .mts, .js or .mjs). */
  readonly module: string;
  /** Symbols the strategy may trade (ctx.symbols). */
  readonly symbols: readonly string[];
  /** Plain data handed to the strategy as ctx.params. */
  readonly params?: Readonly<Record<string, unknown>>;
}

/** pino-compatible. */
export interface HostLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface StrategyHostOptions {
  readonly strategies: readonly StrategySpec[];
  /** Every instrument, in InstrumentRegistry order (record symbol indices refer to it). */
  readonly instruments: readonly InstrumentSpec[];
  /** Venue names in router order (record venue indices refer to it). */
  readonly venues: readonly string[];
  /** Where transpiled strategy modules go (e.g. <dataDir>/strategies-cache). */
  readonly cacheDir: string;
  /** Folder relative module paths are resolved against (the YAML file's folder). Default: cwd. */
  readonly baseDir?: string;
  /** Records per order ring (SUBMITs; power of two). Default 4096. */
  readonly orderRingCapacity?: number;
  /** Records per cancel ring (CANCELs, drained every cycle before the orders; power of two). Default 4096. */
  readonly cancelRingCapacity?: number;
  /** Records per event ring (power of two). Default 16384. */
  readonly eventRingCapacity?: number;
  /** Records per trade ring (power of two). Default 4096. */
  readonly tradeRingCapacity?: number;
  /** A sleeping worker is woken for market data at most once per this many ms. Default 2. */
  readonly marketWakeMs?: number;
  /**
   * How long a worker keeps polling its event ring after its last order activity before it sleeps, µs (worker-protocol
   * DEFAULT_WORKER_SPIN_US: 0, it sleeps at once); setWorkerSpinUs changes it for every worker.
   */
  readonly workerSpinUs?: number;
  /**
   * The doorbell the dispatcher sleeps on; every order ring rings it. Give the dispatcher's own when it also
   * waits on other rings (API intake); by default the host makes one (`host.doorbell`).
   */
  readonly doorbell?: Doorbell;
  /**
   * The strategy's open orders and how far its order ring was read (transport.ts StrategySnapshot), for RESYNC and
   * ctx.openOrders(); called on the thread that reads the rings, so exact. Without it RESYNC carries orders: null.
   */
  readonly snapshot?: (strategyId: string) => StrategySnapshot;
  /**
   * The seq a strategy's first worker starts at (called at start(), once per strategy, just before its worker is
   * spawned): the daemon gives one above every seq of the strategy's orders it holds — after a daemon restart, the
   * orders its journal gave back keep their seqs, and a new submit must not get one of them (RingIntake.firstSeq).
   * Default 1. A restarted worker goes on from the seqs its predecessors published, never below this.
   */
  readonly firstSeq?: (strategyId: string) => number;
  readonly log?: HostLogger;
  /** How long a worker may take to load its module and run start(). Default 10 s. */
  readonly startTimeoutMs?: number;
  /** Called when a worker ends (error is set when it failed to start or crashed). */
  readonly onExit?: (strategyId: string, error: Error | undefined) => void;
  /**
   * process.env of the workers. Default: empty — strategy code does not see the daemon's environment (where
   * venue secrets live); it gets its settings through params.
   */
  readonly workerEnv?: Readonly<Record<string, string>>;
  /**
   * A running worker whose heartbeat (worker-protocol.ts) has not moved for this many ms is reported unresponsive:
   * `responsive` false in status(), an error logged once, and an info log when it beats again. 0: not watched.
   * Default DEFAULT_HANG_MS.
   */
  readonly hangMs?: number;
  /**
   * Monotonic time of the heartbeat watch (tests). Default the system clock: the workers' heartbeats tick in real time,
   * so only a real clock can tell how long one has been still (not a daemon's manual clock).
   */
  readonly clock?: Clock;
  /** Restarts of workers that fail while running (daemon.workers.restart). Default: none (a failed worker stays failed). */
  readonly restart?: StrategyRestartPolicy;
}

/**
 * What the host does with a worker strategy that failed while running (its code threw, its thread ended unasked, or it
 * was terminated as hung): start it again, a new worker on the same module, up to `maxRestarts` times within any
 * `windowMs` (0: in the host's life), the n-th restart of the window `backoffMs` × 2^(n-1) ms after the failure (at
 * most `maxBackoffMs`). A worker that fails its first start is not restarted (the host's start fails). A restart that
 * waits past `maxWaitMs` for the failed worker's records to be read gives up: failed, STRATEGY_RESTART_TIMEOUT. See
 * StrategyHost for what the new incarnation gets.
 */
export interface StrategyRestartPolicy {
  /** 0: never restarted. */
  readonly maxRestarts: number;
  readonly backoffMs: number;
  /** Default 60000. */
  readonly maxBackoffMs?: number;
  /**
   * The restarts counted against maxRestarts are those of the last windowMs (a strategy that fails now and then over
   * days is not given up on like one that fails maxRestarts times in a row). Default DEFAULT_RESTART_WINDOW_MS;
   * 0: every restart of the host's life counts. Must be above maxBackoffMs (else restarts never add up).
   */
  readonly windowMs?: number;
  /**
   * How long a restart may wait, after its backoff, for the daemon to read the records the failed worker published;
   * past it the strategy is failed (STRATEGY_RESTART_TIMEOUT). Default DEFAULT_RESTART_MAX_WAIT_MS.
   */
  readonly maxWaitMs?: number;
  /**
   * A running worker unresponsive this long (its heartbeat still; needs hangMs > 0) is terminated and counts as failed.
   * 0 (default): never — an unresponsive worker is only reported (it may be in a long computation).
   */
  readonly terminateHungMs?: number;
}

/** StrategyRestartPolicy.windowMs by default (daemon.workers.restart.windowMs): one hour. */
export const DEFAULT_RESTART_WINDOW_MS = 3_600_000;
/** StrategyRestartPolicy.maxWaitMs by default (daemon.workers.restart.maxWaitMs). */
export const DEFAULT_RESTART_MAX_WAIT_MS = 60_000;

/** StrategyHostOptions.hangMs by default (daemon.workers.hangMs). */
export const DEFAULT_HANG_MS = 5000;
/** A restart waits for the daemon to have read every record the failed worker published: it looks this often, ms. */
const RESTART_DRAIN_POLL_MS = 5;
/**
 * A restart that has waited this long (ms, after its backoff) for the failed worker's records to be read is reported:
 * a warning logged once with how many are left, and its /health `error` says so until they are read. (The daemon takes a
 * submit only when its strategy queue has room: a strategy whose queues stay full — a venue that takes nothing — keeps
 * its records in its order ring, and its restart waits for them: each record is read once, in order, before anything of
 * the new worker's.)
 */
export const RESTART_WAIT_REPORT_MS = 5000;

/** What the host knows of one worker strategy (GET /health `strategies`, the strategy metrics). */
export interface WorkerStrategyStatus {
  readonly status: StrategyStatus;
  /** False while a running worker's heartbeat has stopped for hangMs or longer (its code holds its thread). */
  readonly responsive: boolean;
  /** ms since its heartbeat last moved (null: not running, or not watched). */
  readonly heartbeatAgeMs: number | null;
  /** Times it became unresponsive. */
  readonly hangs: number;
  /** Submits (order ring full) and cancels (cancel ring full) it was refused QUEUE_FULL. */
  readonly queueFull: number;
  /**
   * Events it did not get (each covered by a RESYNC): its event ring was full, or its worker was down (written while a
   * restart was on its way, or left unread by the failed worker).
   */
  readonly eventsLost: number;
  /** RESYNCs it got (after events lost to a full ring, and the one a restarted worker starts with). */
  readonly resyncs: number;
  /**
   * Why it failed (a failed start, a crash, an exit it was not asked for, terminated as hung): while it is failed or
   * restarting; null again once a restart runs.
   */
  readonly error: string | null;
  /** Times it was restarted after a failure (daemon.workers.restart). */
  readonly restarts: number;
}

/**
 * `restarting`: it failed and a new worker is on its way (the backoff, then its start); `failed`: it failed and stays so
 * (no restarts configured, or maxRestarts used up).
 */
export type StrategyStatus = 'idle' | 'starting' | 'running' | 'restarting' | 'stopping' | 'stopped' | 'failed';

const silentLog: HostLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** One hosted strategy: its rings and its worker. */
export class HostedStrategy implements RingEndpoint {
  /** The dispatcher drains this (decode with readOrderRecord into its own OrderRecord): the strategy's SUBMITs. */
  readonly orders: RingConsumer;
  readonly orderBuffer: SharedArrayBuffer;
  /** The strategy's CANCELs (transport.ts RingEndpoint.cancels). */
  readonly cancels: RingConsumer;
  readonly cancelBuffer: SharedArrayBuffer;
  /** The event ring (host -> worker): a new one for each restarted worker (renewEventRing). */
  private eventRing: SharedArrayBuffer;
  /** The worker sleeps on this when its event ring is empty. */
  readonly eventDoorbell: Doorbell;
  /** The daemon's end of the strategy's market data (top-of-book cells and trade ring of its symbols). */
  readonly market: MarketChannelWriter;
  private readonly marketBuffers: MarketChannelBuffers;
  private events: RingProducer;
  private readonly eventCapacity: number;
  /** The worker failed and a restart is on its way: events are not written, only counted (lostWhileDown). */
  private down = false;
  private lostWhileDown = 0;
  private readonly resyncRecord = new EventRecord();
  private resyncOwed = false;
  /** The worker slept when an event was published: one wake-up is owed (wake(), or the setImmediate queued then). */
  private wakeOwed = false;
  /** wakeLater is due at the end of this event-loop iteration (one setImmediate at a time). */
  private wakeScheduled = false;
  /** Between holdEvents() and wake(): events written are published by wake(). */
  private holding = false;
  /** publishEvent calls while holding, not published yet: wake() publishes them (and owes a sleeping worker its wake-up). */
  private held = 0;
  private lostSinceResync = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private worker: Worker | undefined;
  private send: ((message: HostToWorker) => void) | undefined;
  private exited: Promise<void> | undefined;
  status: StrategyStatus = 'idle';
  /**
   * Events the strategy did not get: not written because its event ring was full, or written while its worker was down
   * (a restart on its way), or left unread in a failed worker's ring. All covered by RESYNCs: the sum of their `lost`
   * (and the `lost` of one still owed).
   */
  eventsLost = 0;
  /** RESYNCs the strategy got: records written to its event ring, and the one each restarted worker starts with. */
  resyncs = 0;
  /** Error of a failed start or a crash. */
  error: Error | undefined;
  /** The worker's heartbeat count (worker-protocol.ts), the count last seen and when it last moved (monotonic ms). */
  private readonly beat = new Int32Array(new SharedArrayBuffer(4));
  private beatSeen = 0;
  private beatAt = 0;
  /** False while the heartbeat has stopped for hangMs or longer. */
  responsive = true;
  /** Times the worker became unresponsive. */
  hangs = 0;
  /** Times a new worker was started after a failure. */
  restarts = 0;
  /** @internal When (monotonic ms) the restarts still inside the policy's window were made, oldest first. */
  readonly restartTimes: number[] = [];
  /** @internal A worker thread of this strategy runs (from its spawn to its exit). */
  alive = false;
  /** @internal The transpiled module's URL (a restart starts the same). */
  moduleUrl: string | undefined;
  /** @internal The pending restart (its backoff, or its wait for the rings to be read). */
  restartTimer: NodeJS.Timeout | undefined;
  /** @internal When the pending restart began to wait for the rings to be read (monotonic ms; undefined: not waiting). */
  restartWaitSince: number | undefined;
  /**
   * @internal Records of the failed worker not read yet, once its restart has waited RESTART_WAIT_REPORT_MS for them
   * (reported in `error`); 0 otherwise.
   */
  restartWaitsFor = 0;
  /** @internal It has run (a failure after that may be restarted; a failed first start is not). */
  ran = false;
  /** @internal The seq the current (or last) worker started at. */
  firstSeq = 1;

  constructor(
    readonly spec: StrategySpec,
    /** Dense index in the host (configuration order). */
    readonly index: number,
    orderCapacity: number,
    eventCapacity: number,
    /** Instrument indices (and venue count) of its market data; default none. */
    market: MarketChannelShape = { symbols: [], venues: 0 },
    marketWakeMs = DEFAULT_MARKET_WAKE_MS,
    cancelCapacity = orderCapacity,
  ) {
    this.orderBuffer = createRingBuffer(orderCapacity, ORDER_RECORD_BYTES);
    this.cancelBuffer = createRingBuffer(cancelCapacity, ORDER_RECORD_BYTES);
    this.cancels = new RingConsumer(this.cancelBuffer);
    this.eventCapacity = eventCapacity;
    this.eventRing = createRingBuffer(eventCapacity, EVENT_RECORD_BYTES);
    this.orders = new RingConsumer(this.orderBuffer);
    this.eventDoorbell = Doorbell.create();
    // no doorbell on the producer: a publish does not notify, the intake rings once per turn (wake())
    this.events = new RingProducer(this.eventRing);
    this.marketBuffers = createMarketChannel(market);
    this.market = new MarketChannelWriter(this.marketBuffers, this.eventDoorbell, marketWakeMs);
  }

  get id(): string {
    return this.spec.id;
  }

  /** The event ring the worker reads (a restarted worker gets a new one). */
  get eventBuffer(): SharedArrayBuffer {
    return this.eventRing;
  }

  /** Times the worker answered QUEUE_FULL to its strategy (a submit: its order ring full; a cancel: its cancel ring full). */
  get queueFull(): number {
    return this.orders.refusedCount() + this.cancels.refusedCount();
  }

  /** Events written so far (the event ring's publish counter, int32). */
  get eventPosition(): number {
    return this.events.position;
  }

  /**
   * Writes one event for the strategy and publishes it (a worker that is awake sees it at once) — or, between
   * holdEvents() and the next wake() (the dispatcher's cycle), leaves it for that wake() to publish. Never blocks: false
   * when the ring was full (the event is counted in eventsLost and covered by a RESYNC record written as soon as
   * there is room). No allocation. A sleeping worker is not notified per event: it is owed one wake-up, rung by wake()
   * (the ring intake calls it at the end of each dispatch cycle) or at the end of the event-loop iteration
   * (setImmediate), whichever comes first — one notify for all the events written meanwhile. Not at the end of each
   * callback (a microtask): events come from several phases of an iteration (venue timers, journal I/O), and a notify
   * to a thread waiting in Atomics.waitAsync costs the dispatcher tens of µs on a busy 2-core machine (measured:
   * 28 k notifies in a bench:load worker run at about 50 µs each; 1.1 k with one per iteration, and 10 % more orders/s).
   */
  publishEvent(rec: EventRecord): boolean {
    if (this.down) {
      // no worker will read it: its successor learns what it reflects from the snapshot it starts with
      this.lostWhileDown++;
      this.eventsLost++;
      return false;
    }
    const ok = this.writeEvent(rec);
    if (this.holding && ++this.held < MAX_HELD_EVENTS) return ok;
    this.held = 0;
    this.publishWritten();
    return ok;
  }

  /**
   * The events written from now on are published by the next wake(), together: the dispatcher's cycle (RingIntake
   * beginCycle .. endCycle). A cycle writes an order's ACK when it takes the record and its SUBMITTED when it routes
   * it: published one by one, each was an atomic store to the ring's tail and an atomic look at the worker's
   * doorbell, and, to a worker polling its ring from another core, a cache line taken from under it — before the
   * venue had the order. Held, the strategy sees them at the end of the cycle, right after the venues got their
   * batches (a sleeping worker never saw them sooner: it is woken then). A long cycle (a flood: up to 4096 records
   * taken, as many orders dispatched) publishes with every MAX_HELD_EVENTS-th as well: a worker that is awake reads them
   * while the cycle goes on, and the ring holds at most MAX_HELD_EVENTS - 1 events more than the worker could have read.
   */
  holdEvents(): void {
    if (this.holdsCycleEvents) this.holding = true;
  }

  /**
   * holdEvents() holds: only for a worker that polls its ring after its last activity (StrategyHost.setWorkerSpinUs
   * above 0: the busy-polling dispatcher's). One that sleeps at once would more often be asleep by the end of the cycle
   * than when the ACK was written, and each time it is, a notify (several µs of the daemon's thread) that it did not
   * need: measured (bench:submit, default dispatcher, two runs), 3 % more wake-ups and a p99 of 17–33 µs against 11–23 µs.
   */
  holdsCycleEvents = false;

  /** Publishes the events written (one atomic store) and owes a sleeping worker its wake-up. */
  private publishWritten(): void {
    this.events.publish();
    this.owe();
  }

  /**
   * After a publish: a worker that is awake re-reads the ring before it sleeps (doorbell.ts: it arms, then re-checks;
   * the tail was stored before this load), so only one that sleeps now is owed a wake-up.
   */
  private owe(): void {
    if (this.wakeOwed || !this.eventDoorbell.sleeping) return;
    this.wakeOwed = true;
    if (this.wakeScheduled) return;
    this.wakeScheduled = true;
    setImmediate(this.wakeLater);
  }

  private readonly wakeLater = (): void => {
    this.wakeScheduled = false;
    this.wake();
  };

  /** Publishes the events held since holdEvents(), then rings the wake-up owed to the worker, if any: one notify if it still sleeps. */
  wake(): void {
    this.holding = false;
    if (this.held > 0) {
      this.held = 0;
      this.publishWritten();
    }
    if (!this.wakeOwed) return;
    this.wakeOwed = false;
    this.eventDoorbell.ring();
  }

  private writeEvent(rec: EventRecord): boolean {
    if (this.resyncOwed && !this.writeResync()) {
      this.lostSinceResync++;
      this.eventsLost++;
      return false;
    }
    const off = this.events.tryClaim();
    if (off < 0) {
      this.lostSinceResync++;
      this.eventsLost++;
      this.resyncOwed = true;
      this.armRetry();
      return false;
    }
    writeEventRecord(this.events, off, rec);
    return true;
  }

  private writeResync(): boolean {
    const off = this.events.tryClaim();
    if (off < 0) return false;
    const r = this.resyncRecord;
    r.reset();
    r.kind = EV_RESYNC;
    r.count = this.lostSinceResync;
    writeEventRecord(this.events, off, r);
    this.events.publish();
    this.resyncs++;
    this.resyncOwed = false;
    this.lostSinceResync = 0;
    if (this.retryTimer !== undefined) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    return true;
  }

  private armRetry(): void {
    if (this.retryTimer !== undefined) return;
    const retry = (): void => {
      this.retryTimer = undefined;
      if (!this.resyncOwed) return;
      if (this.writeResync()) this.owe();
      else if (this.status !== 'stopped' && this.status !== 'failed') {
        this.retryTimer = setTimeout(retry, RESYNC_RETRY_MS);
        this.retryTimer.unref();
      }
    };
    this.retryTimer = setTimeout(retry, RESYNC_RETRY_MS);
    this.retryTimer.unref();
  }

  /**
   * @internal The worker failed and will be restarted: from now on events are not written (nobody would read them),
   * only counted for the RESYNC its successor starts with; an owed RESYNC is dropped (the successor's covers it).
   */
  markDown(): void {
    this.down = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  /**
   * @internal Before a restart, once the failed worker's thread has ended: a new event ring, so nothing the dead
   * incarnation left in its own — unread, or read and not yet released when it died (a record half-read) — reaches
   * its successor, which starts from a snapshot instead; events are written again from now. Returns the events the
   * dead incarnation did not get: left in its ring (the unreleased ones included), not written because its ring was
   * full (the RESYNC owed), or written while no worker ran. Its old ring is dropped (no reader holds it any more).
   * The trades waiting in the market channel's trade ring are dropped too (this thread, its producer, is its only
   * consumer while no worker runs): the successor gets the market from its start on (the top-of-book cells always
   * hold the latest).
   */
  renewEventRing(): number {
    const trades = new RingConsumer(this.marketBuffers.trades);
    trades.release(trades.available());
    const old = new RingConsumer(this.eventRing); // its head: where the dead consumer had released to
    const unread = old.available();
    // (those not written were counted in eventsLost when they were dropped; the ones it left in its ring, now)
    this.eventsLost += unread;
    const lost = unread + this.lostSinceResync + this.lostWhileDown;
    this.eventRing = createRingBuffer(this.eventCapacity, EVENT_RECORD_BYTES);
    this.events = new RingProducer(this.eventRing);
    this.resyncOwed = false;
    this.lostSinceResync = 0;
    this.lostWhileDown = 0;
    this.down = false;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    return lost;
  }

  /**
   * @internal The seq a restarted worker starts from: one above every seq published on its order and cancel rings
   * (which a restart keeps: what the dead incarnation published there is read once, like anything else, and its
   * successor writes on after it), and never below the seq the dead one started at (one that published nothing leaves
   * nothing in the rings: after a daemon restart that seq is above the resumed orders' seqs). Only once the worker's
   * thread has ended (no producer left: spsc-ring.ts lastPublishedOffset); a claim it wrote and never published may
   * make it higher, never lower.
   */
  seqAfterRings(): number {
    const last = Math.max(recordSeq(this.orders, this.orders.lastPublishedOffset()), recordSeq(this.cancels, this.cancels.lastPublishedOffset()));
    return Math.max(this.firstSeq, (Number.isSafeInteger(last) && last > 0 ? last : 0) + 1);
  }

  /** @internal The heartbeat starts counting from now (the worker is running). */
  heartbeatFrom(nowMs: number): void {
    this.beatSeen = Atomics.load(this.beat, 0);
    this.beatAt = nowMs;
    this.responsive = true;
  }

  /**
   * @internal One look at the heartbeat of a running worker: 'hung' when it has just been still for hangMs, 'back'
   * when it moved again after that, else undefined.
   */
  checkHeartbeat(nowMs: number, hangMs: number): 'hung' | 'back' | undefined {
    if (this.status !== 'running') return undefined;
    const n = Atomics.load(this.beat, 0);
    if (n !== this.beatSeen) {
      this.beatSeen = n;
      this.beatAt = nowMs;
      if (this.responsive) return undefined;
      this.responsive = true;
      return 'back';
    }
    if (!this.responsive || nowMs - this.beatAt < hangMs) return undefined;
    this.responsive = false;
    this.hangs++;
    return 'hung';
  }

  /** ms since the heartbeat last moved (at the last check). */
  heartbeatAge(nowMs: number): number {
    return Math.max(0, Math.round(nowMs - this.beatAt));
  }

  /** What the host knows of this strategy now (`watched`: the heartbeat is). */
  report(nowMs: number, watched: boolean): WorkerStrategyStatus {
    const running = this.status === 'running';
    return {
      status: this.status,
      responsive: !running || this.responsive,
      heartbeatAgeMs: running && watched ? this.heartbeatAge(nowMs) : null,
      hangs: this.hangs,
      queueFull: this.queueFull,
      eventsLost: this.eventsLost,
      resyncs: this.resyncs,
      error: this.error === undefined ? null : this.restartWaitsFor === 0 ? this.error.message
        : `${this.error.message}; its restart waits for the daemon to read ${this.restartWaitsFor} record${this.restartWaitsFor === 1 ? '' : 's'} the failed `
          + 'worker published (a submit is taken only when its strategy queue has room)',
      restarts: this.restarts,
    };
  }

  /** @internal */
  attach(worker: Worker): void {
    this.worker = worker;
    this.alive = true;
    this.send = (m) => worker.postMessage(m);
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
  }

  /** @internal Ends the worker's thread now, wherever its code is (a hung worker; a start that timed out). */
  terminate(): void {
    if (this.alive) void this.worker?.terminate();
  }

  /** Connects the host side to a runtime without a worker thread (tests drive both on one thread). */
  attachChannel(send: (message: HostToWorker) => void): void {
    this.send = send;
  }

  /**
   * Answers a worker's log and snapshot messages (start and stop messages are the host's business).
   * The snapshot is taken synchronously on this thread, the event ring's only producer, so every event
   * below the position sent with it is reflected in it; and the thread that reads the order and cancel rings (never in
   * the middle of a read), so its readSeq is exactly how far the order ring had been read.
   */
  handleMessage(m: WorkerToHost, snapshot: ((strategyId: string) => StrategySnapshot) | undefined, log: HostLogger): void {
    if (m.type === 'log') {
      logAt(log, m.level, { strategy: this.id, ...(m.fields ?? {}) }, m.msg);
    } else if (m.type === 'snapshot-request') {
      let snap: StrategySnapshot | undefined;
      try {
        snap = snapshot?.(this.id);
      } catch (e) {
        log.error({ strategy: this.id, err: e }, 'strategy snapshot failed');
      }
      this.send?.({
        type: 'snapshot', id: m.id, orders: snap?.orders ?? null, position: this.events.position,
        readSeq: snap?.readSeq ?? 0, withdrawn: snap?.withdrawn ?? [],
      });
    }
  }

  /** What the worker of this strategy receives (the host's spawn uses it; tests build a runtime from it). */
  workerData(
    moduleUrl: string, instruments: readonly InstrumentSpec[], venues: readonly string[], orderDoorbell: Doorbell, eventSpinUs?: number, pollControl?: SharedArrayBuffer,
    heartbeatMs?: number,
  ): StrategyWorkerData {
    return {
      ...(eventSpinUs === undefined ? {} : { eventSpinUs }),
      ...(pollControl === undefined ? {} : { pollControl }),
      ...(heartbeatMs === undefined ? {} : { heartbeat: this.beat.buffer as SharedArrayBuffer, heartbeatMs }),
      kind: STRATEGY_WORKER_KIND,
      id: this.id,
      moduleUrl,
      symbols: [...this.spec.symbols],
      params: { ...(this.spec.params ?? {}) },
      instruments: instruments.map((i) => ({
        symbol: i.symbol, base: i.base, quote: i.quote, tickSize: i.tickSize, lotSize: i.lotSize, minQty: i.minQty, minNotional: i.minNotional,
      })),
      venues: [...venues],
      orderRing: this.orderBuffer,
      cancelRing: this.cancelBuffer,
      orderDoorbell: orderDoorbell.buffer,
      eventRing: this.eventBuffer,
      eventDoorbell: this.eventDoorbell.buffer,
      marketCells: this.marketBuffers.cells,
      tradeRing: this.marketBuffers.trades,
    };
  }

  /** @internal Asks the worker to stop; terminates it after `timeoutMs`. */
  async stop(timeoutMs: number): Promise<void> {
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.restartWaitSince = undefined;
    this.restartWaitsFor = 0;
    // a failed worker whose restart had not started yet: it stays failed
    if (this.status === 'restarting' && !this.alive) this.status = 'failed';
    const w = this.worker;
    if (w === undefined || this.exited === undefined || !this.alive) {
      if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      return;
    }
    if (this.status === 'running' || this.status === 'starting' || this.status === 'restarting') this.status = 'stopping';
    w.postMessage({ type: 'stop' } satisfies HostToWorker);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.exited.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      await w.terminate();
      await this.exited;
    }
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }
}

/**
 * Restarts (options.restart): a worker that fails while running — an uncaught error, its thread ending unasked, or
 * terminated as hung — is `restarting`: events for it are no longer written (counted); after the backoff, and once the
 * daemon has read every record it published (its order and cancel rings are kept: those records are read exactly once,
 * in order, with whatever it wrote before; a record it claimed and never published was never visible and is written
 * over), a new worker starts on the same module with
 *  - a new event ring: nothing the dead one left unread or half-read there reaches it;
 *  - seqs going on from the last one published, never below the seq the first worker started at (options.firstSeq)
 *    (its cancel by seq of an earlier incarnation's order works, and the daemon's FIFO checks hold);
 *  - ctx.restarts, and a snapshot of its open orders taken before its code runs, delivered as a RESYNC right after its
 *    start() (strategy-runtime.ts): the orders its predecessors left, to keep or cancel.
 * After maxRestarts it stays `failed`. A worker that fails its first start is never restarted.
 */
export class StrategyHost {
  readonly doorbell: Doorbell;
  /** Shared with every worker: [0] how long they poll after their last order activity, µs (setWorkerSpinUs). */
  private readonly pollControl = new Int32Array(new SharedArrayBuffer(4));
  readonly strategies: readonly HostedStrategy[];
  private readonly byId = new Map<string, HostedStrategy>();
  private readonly log: HostLogger;
  private started = false;
  private stopping: Promise<void> | undefined;
  private readonly hangMs: number;
  private readonly clock: Clock;
  private watch: NodeJS.Timeout | undefined;
  private readonly restart: Required<StrategyRestartPolicy>;
  /** The worker entry (resolved at start; restarts use it too). */
  private entry: URL | undefined;
  /** stop() was called: no restart from now on. */
  private stopRequested = false;

  constructor(private readonly options: StrategyHostOptions) {
    this.log = options.log ?? silentLog;
    this.hangMs = options.hangMs ?? DEFAULT_HANG_MS;
    if (!Number.isInteger(this.hangMs) || this.hangMs < 0) throw new RangeError(`hangMs must be a whole number of ms, 0 or more, got ${this.hangMs}`);
    const r = options.restart;
    this.restart = {
      maxRestarts: r?.maxRestarts ?? 0, backoffMs: r?.backoffMs ?? 0, maxBackoffMs: r?.maxBackoffMs ?? 60_000, terminateHungMs: r?.terminateHungMs ?? 0,
      windowMs: r?.windowMs ?? DEFAULT_RESTART_WINDOW_MS, maxWaitMs: r?.maxWaitMs ?? DEFAULT_RESTART_MAX_WAIT_MS,
    };
    for (const [k, v] of Object.entries(this.restart)) {
      if (!Number.isInteger(v) || v < 0) throw new RangeError(`restart.${k} must be a whole number, 0 or more, got ${v}`);
    }
    if (this.restart.windowMs > 0 && this.restart.windowMs <= this.restart.maxBackoffMs) {
      throw new RangeError(`restart.windowMs (${this.restart.windowMs}) must be above restart.maxBackoffMs (${this.restart.maxBackoffMs}), or 0 for the whole run`);
    }
    if (this.restart.terminateHungMs > 0 && (this.hangMs === 0 || this.restart.terminateHungMs < this.hangMs)) {
      throw new RangeError(`restart.terminateHungMs (${this.restart.terminateHungMs}) needs hangMs above 0 and at most terminateHungMs (got ${this.hangMs})`);
    }
    this.clock = options.clock ?? systemClock;
    this.doorbell = options.doorbell ?? Doorbell.create();
    if (options.venues.length > MAX_VENUES) throw new RangeError(`at most ${MAX_VENUES} venues fit the order record`);
    if (options.instruments.length > 0xffff) throw new RangeError('at most 65535 instruments fit the order record');
    const oc = options.orderRingCapacity ?? DEFAULT_ORDER_RING_CAPACITY;
    const cc = options.cancelRingCapacity ?? DEFAULT_CANCEL_RING_CAPACITY;
    const ec = options.eventRingCapacity ?? DEFAULT_EVENT_RING_CAPACITY;
    const index = new Map(options.instruments.map((ins, i) => [ins.symbol, i]));
    const market = (s: StrategySpec): MarketChannelShape => ({
      // its configured symbols (a name that is not an instrument gets no market data; submit refuses it anyway)
      symbols: [...new Set(s.symbols.map((sym) => index.get(sym)).filter((i): i is number => i !== undefined))],
      venues: options.venues.length,
      tradeCapacity: options.tradeRingCapacity,
    });
    this.strategies = options.strategies.map((s, i) => new HostedStrategy(s, i, oc, ec, market(s), options.marketWakeMs, cc));
    for (const h of this.strategies) {
      if (this.byId.has(h.id)) throw new RangeError(`duplicate strategy ${h.id}`);
      this.byId.set(h.id, h);
    }
    this.setWorkerSpinUs(options.workerSpinUs ?? DEFAULT_WORKER_SPIN_US);
  }

  /**
   * How long every worker polls its event ring after its last order activity before it sleeps, µs (0: not at all);
   * running workers follow at their next idle turn. The daemon sets BUSY_POLL_WORKER_SPIN_US with daemon.dispatch.busyPoll.
   */
  setWorkerSpinUs(us: number): void {
    if (!Number.isInteger(us) || us < 0 || us > 60_000_000) throw new RangeError(`worker spin must be 0 to 60,000,000 µs, got ${us}`);
    Atomics.store(this.pollControl, 0, us);
    // a worker that polls reads a dispatch cycle's events at its end as soon as it would have read them one by one
    for (const h of this.strategies) h.holdsCycleEvents = us > 0;
  }

  get(id: string): HostedStrategy | undefined {
    return this.byId.get(id);
  }

  /** Each worker strategy's status, by id (configuration order). */
  status(): Record<string, WorkerStrategyStatus> {
    const now = this.clock.monoMs();
    const out: Record<string, WorkerStrategyStatus> = {};
    for (const s of this.strategies) out[s.id] = s.report(now, this.hangMs > 0);
    return out;
  }

  /**
   * The heartbeat watch: looks at every running worker's heartbeat a few times per hangMs (at most once a second,
   * at least every 20 ms) and logs the changes. A worker that runs strategy code for longer than hangMs without
   * returning to its event loop is unresponsive: it neither submits nor sees its events.
   */
  private startWatch(): void {
    if (this.hangMs === 0 || this.watch !== undefined) return;
    const every = Math.min(1000, Math.max(20, Math.floor(this.hangMs / 4)));
    this.watch = setInterval(() => this.checkHeartbeats(), every);
    this.watch.unref();
  }

  /**
   * One look at every running worker's heartbeat (the watch's timer; tests call it with a manual clock). With
   * restart.terminateHungMs, a worker still for that long is terminated (then failed, and restarted as the policy says).
   */
  checkHeartbeats(): void {
    const now = this.clock.monoMs();
    const terminateMs = this.restart.terminateHungMs;
    for (const s of this.strategies) {
      const change = s.checkHeartbeat(now, this.hangMs);
      if (change === 'hung') {
        this.log.error({ strategy: s.id, heartbeatAgeMs: s.heartbeatAge(now), hangMs: this.hangMs },
          'strategy worker unresponsive: its code has held its thread past daemon.workers.hangMs (it neither submits nor sees its events)');
      } else if (change === 'back') {
        this.log.info({ strategy: s.id }, 'strategy worker responsive again');
      }
      if (terminateMs > 0 && s.status === 'running' && !s.responsive && s.alive && s.heartbeatAge(now) >= terminateMs) {
        const age = s.heartbeatAge(now);
        s.error = new Error(`unresponsive for ${age} ms: terminated (daemon.workers.restart.terminateHungMs ${terminateMs})`);
        s.status = this.failedStatus(s);
        this.log.error({ strategy: s.id, heartbeatAgeMs: age, terminateHungMs: terminateMs }, 'strategy worker unresponsive past daemon.workers.restart.terminateHungMs: terminating it');
        s.terminate();
      }
    }
  }

  /** True when any order or cancel ring holds records (re-reads every tail: use with doorbell.wait). */
  readonly hasOrders = (): boolean => {
    for (const s of this.strategies) if (s.orders.hasRecords() || s.cancels.hasRecords()) return true;
    return false;
  };

  /** Sleeps until an order ring is non-empty (or the timeout). Only when this host owns the doorbell. */
  waitForOrders(timeoutMs?: number): Promise<boolean> {
    return this.doorbell.wait(this.hasOrders, timeoutMs);
  }

  /**
   * Prepares every module (transpiling TypeScript into cacheDir), starts one worker per strategy and resolves
   * once each has loaded its module and returned from start(). If any fails, all are stopped and this
   * rejects with CONFIG_INVALID naming the strategy.
   */
  async start(): Promise<void> {
    if (this.started) throw new Error('StrategyHost.start: already started');
    this.started = true;
    if (this.strategies.length === 0) return;
    const { cacheDir } = this.options;
    mkdirSync(cacheDir, { recursive: true });
    const entry = (this.entry = await resolveWorkerEntry(cacheDir));
    for (const s of this.strategies) {
      try {
        s.moduleUrl = await prepareStrategyModule(s.spec.module, cacheDir, this.options.baseDir);
      } catch (e) {
        throw new SwitchyardError('CONFIG_INVALID', `strategy ${s.id}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    // each strategy's first seq, asked now: after the modules' preparation, right before the workers start (the daemon
    // has recovered its orders by then)
    const firstSeqs = this.strategies.map((s) => this.startSeq(s));
    this.startWatch();
    const results = await Promise.allSettled(this.strategies.map((s, i) => this.spawn(s, entry, s.moduleUrl!, firstSeqs[i]!)));
    const failed = results.findIndex((r) => r.status === 'rejected');
    if (failed >= 0) {
      this.stopRequested = true; // (a worker that started and then failed meanwhile is not restarted)
      await Promise.all(this.strategies.map((s) => s.stop(1000)));
      const reason = (results[failed] as PromiseRejectedResult).reason as unknown;
      throw new SwitchyardError('CONFIG_INVALID', `strategy ${this.strategies[failed]!.id} failed to start: ${reason instanceof Error ? reason.message : String(reason)}`);
    }
  }

  /**
   * The seq `s`'s first worker starts at (options.firstSeq, default 1). A value that is not a whole number from 1 to
   * 2^53 - 1 is refused: a worker must not start with seqs the daemon's checks would not hold.
   */
  private startSeq(s: HostedStrategy): number {
    const seq = this.options.firstSeq?.(s.id) ?? 1;
    if (!Number.isSafeInteger(seq) || seq < 1) throw new RangeError(`strategy ${s.id}: first seq must be a whole number from 1, got ${seq}`);
    return seq;
  }

  /** Starts a worker for `s` whose seqs begin at `firstSeq` (`restart`: what a restarted one is told, worker-protocol.ts). */
  private spawn(
    s: HostedStrategy, entry: URL, moduleUrl: string, firstSeq: number, restart?: Pick<StrategyWorkerData, 'restarts' | 'lostOnRestart'>,
  ): Promise<void> {
    const heartbeatMs = this.hangMs === 0 ? undefined : Math.max(10, Math.min(DEFAULT_HEARTBEAT_MS, Math.floor(this.hangMs / 4)));
    s.firstSeq = firstSeq;
    const data: StrategyWorkerData = {
      ...s.workerData(moduleUrl, this.options.instruments, this.options.venues, this.doorbell, undefined, this.pollControl.buffer as SharedArrayBuffer, heartbeatMs),
      ...(firstSeq === 1 ? {} : { firstSeq }),
      ...(restart ?? {}),
    };
    s.status = restart === undefined ? 'starting' : 'restarting';
    const worker = new Worker(entry, { workerData: data, env: { ...(this.options.workerEnv ?? {}) } });
    s.attach(worker);
    const log = this.log;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const timeoutMs = this.options.startTimeoutMs ?? 10_000;
      const timer = setTimeout(() => {
        fail(new Error(`no start within ${timeoutMs} ms`));
        s.terminate(); // (its exit then reports it; a restart's failure schedules the next)
      }, timeoutMs);
      let failed = false; // this worker failed (its error, or its start): its exit is a crash, whatever came between
      const fail = (e: Error): void => {
        failed = true;
        s.error = e;
        s.status = this.failedStatus(s);
        if (!settled) {
          settled = true;
          clearTimeout(timer);
          reject(e);
        }
      };
      worker.on('message', (m: WorkerToHost) => {
        switch (m.type) {
          case 'ready':
            if (!settled) {
              settled = true;
              clearTimeout(timer);
              s.status = 'running';
              s.ran = true;
              s.error = undefined;
              // a restarted worker has had its RESYNC (strategy-runtime start(): delivered before it answers ready)
              if (restart !== undefined) s.resyncs++;
              s.heartbeatFrom(this.clock.monoMs());
              log.info({ strategy: s.id, restarts: s.restarts }, s.restarts === 0 ? 'strategy started' : 'strategy restarted');
              resolve();
            }
            break;
          case 'start-failed': {
            const e = new Error(m.message);
            if (m.stack !== undefined) e.stack = m.stack;
            fail(e);
            break;
          }
          case 'log':
          case 'snapshot-request':
            s.handleMessage(m, this.options.snapshot, log);
            break;
          case 'stopped':
            break;
        }
      });
      worker.on('error', (e) => {
        log.error({ strategy: s.id, err: e }, 'strategy worker crashed');
        fail(e);
      });
      worker.on('exit', (code) => {
        s.alive = false;
        if (!settled) fail(new Error(`worker exited with code ${code} before it started`));
        // a worker that ends while running was not asked to (stop() sets 'stopping' first): whatever its exit code
        // (strategy code calling process.exit(0) included), the strategy has stopped trading unasked
        // (also a worker terminated as hung: checkHeartbeats set it failed or restarting, not through fail)
        const crashed = failed || s.status === 'running' || s.status === 'restarting' || s.status === 'failed';
        s.status = crashed ? this.failedStatus(s) : 'stopped';
        if (crashed && s.error === undefined) s.error = new Error(`worker exited with code ${code}`);
        if (settled) this.options.onExit?.(s.id, crashed ? s.error : undefined);
        log.info({ strategy: s.id, code }, 'strategy worker exited');
        if (crashed && s.ran) this.scheduleRestart(s);
      });
    });
  }

  /**
   * The status of a worker that failed: `restarting` from the moment it fails when the policy will start it again (it
   * had run, a restart is left, the host is not stopping; its exit then schedules it; its events are no longer
   * written from then on: markDown), else `failed`. Never `failed`
   * for a while first: its error and its thread's exit are two events, and /health between them said failed.
   */
  private failedStatus(s: HostedStrategy): 'restarting' | 'failed' {
    if (!(s.ran && !this.stopRequested && this.recentRestarts(s) < this.restart.maxRestarts)) return 'failed';
    s.markDown(); // its events from now on are counted for its successor's RESYNC (nobody reads them)
    return 'restarting';
  }

  /**
   * The restarts of `s` that count against maxRestarts now: those of the last windowMs (all of them with windowMs 0).
   * Forgets the older ones.
   */
  private recentRestarts(s: HostedStrategy): number {
    const { windowMs } = this.restart;
    const times = s.restartTimes;
    if (windowMs > 0) {
      const since = this.clock.monoMs() - windowMs;
      let old = 0;
      while (old < times.length && times[old]! <= since) old++;
      if (old > 0) times.splice(0, old);
    }
    return times.length;
  }

  /** A worker that had run failed (its thread has ended): restart it, if the policy has a restart left. */
  private scheduleRestart(s: HostedStrategy): void {
    const { maxRestarts, backoffMs, maxBackoffMs, windowMs } = this.restart;
    if (this.stopRequested || maxRestarts === 0) return;
    const err = s.error;
    const recent = this.recentRestarts(s);
    if (recent >= maxRestarts) {
      if (s.status !== 'failed') s.status = 'failed'; // (its exit said so already, unless the window moved in between)
      this.log.error({ strategy: s.id, err, restarts: s.restarts, maxRestarts, windowMs },
        windowMs > 0
          ? 'strategy worker failed again and stays failed: it has been restarted daemon.workers.restart.maxRestarts times within windowMs'
          : 'strategy worker failed again and stays failed: it has been restarted daemon.workers.restart.maxRestarts times');
      return;
    }
    const delayMs = Math.min(maxBackoffMs, backoffMs * 2 ** recent);
    s.status = 'restarting';
    s.markDown();
    this.log.error({ strategy: s.id, err, restart: s.restarts + 1, inWindow: recent + 1, maxRestarts, inMs: delayMs }, 'strategy worker failed: restarting it');
    s.restartTimer = setTimeout(() => this.restartWhenRead(s), delayMs);
    s.restartTimer.unref();
  }

  /**
   * After the backoff: once the daemon has read every record the failed worker published, a new worker with a new event
   * ring and the next seq. The rings' consumer is the dispatcher, which reads its cancels every cycle but takes a submit
   * only when its strategy queue has room: a wait past RESTART_WAIT_REPORT_MS is logged once (with how many records
   * are left) and shown in the strategy's `error` until they are read. It goes on waiting — a new worker must not start
   * before them (each record read once, in order, its seqs after them) — up to maxWaitMs: then it gives up, and the
   * strategy is failed with STRATEGY_RESTART_TIMEOUT (log and /health), as if its restarts were used up (a restart
   * that never comes must not show `restarting` for ever). Its records are still read, and answered, as the queues
   * make room.
   */
  private restartWhenRead(s: HostedStrategy): void {
    s.restartTimer = undefined;
    if (this.stopRequested) return;
    const now = this.clock.monoMs();
    if (s.orders.hasRecords() || s.cancels.hasRecords()) {
      s.restartWaitSince ??= now;
      const waitedMs = now - s.restartWaitSince;
      if (waitedMs >= this.restart.maxWaitMs) {
        this.giveUpRestart(s, waitedMs);
        return;
      }
      if (waitedMs >= RESTART_WAIT_REPORT_MS) {
        const orders = s.orders.available();
        const cancels = s.cancels.available();
        if (s.restartWaitsFor === 0) {
          this.log.warn({ strategy: s.id, unread: orders + cancels, orders, cancels, waitedMs: Math.round(waitedMs) },
            'strategy worker restart waits for the daemon to read the records its failed worker published (a submit is taken only when its strategy queue has room)');
        }
        s.restartWaitsFor = Math.max(1, orders + cancels);
      }
      s.restartTimer = setTimeout(() => this.restartWhenRead(s), RESTART_DRAIN_POLL_MS);
      s.restartTimer.unref();
      return;
    }
    if (s.restartWaitsFor > 0) {
      this.log.info({ strategy: s.id, waitedMs: Math.round(now - s.restartWaitSince!) }, 'strategy worker\'s records read: restarting it');
    }
    s.restartWaitSince = undefined;
    s.restartWaitsFor = 0;
    const firstSeq = s.seqAfterRings();
    const lostOnRestart = s.renewEventRing();
    s.restarts++;
    s.restartTimes.push(now);
    this.spawn(s, this.entry!, s.moduleUrl!, firstSeq, { restarts: s.restarts, lostOnRestart }).catch((e: unknown) => {
      // its exit reports it and schedules the next restart, if any
      this.log.error({ strategy: s.id, err: e, restarts: s.restarts }, 'strategy worker restart failed to start');
    });
  }

  /** A restart waited maxWaitMs for the failed worker's records to be read: the strategy is failed, coded. */
  private giveUpRestart(s: HostedStrategy, waitedMs: number): void {
    const orders = s.orders.available();
    const cancels = s.cancels.available();
    const unread = orders + cancels;
    const failure = s.error === undefined ? '' : ` (it failed: ${s.error.message})`;
    s.error = new SwitchyardError('STRATEGY_RESTART_TIMEOUT',
      `STRATEGY_RESTART_TIMEOUT: its restart waited ${Math.round(waitedMs)} ms (daemon.workers.restart.maxWaitMs ${this.restart.maxWaitMs}) `
      + `for the daemon to read ${unread} record${unread === 1 ? '' : 's'} its failed worker published${failure}; no new worker started`);
    s.restartWaitSince = undefined;
    s.restartWaitsFor = 0;
    s.status = 'failed';
    this.log.error({ strategy: s.id, code: 'STRATEGY_RESTART_TIMEOUT', unread, orders, cancels, waitedMs: Math.round(waitedMs), maxWaitMs: this.restart.maxWaitMs },
      'strategy worker restart gave up: the records its failed worker published were not read within daemon.workers.restart.maxWaitMs; it stays failed');
  }

  /**
   * Asks every worker to stop (strategy.stop runs; it may still cancel), waits up to `timeoutMs` for each to
   * exit, then terminates the rest. Keep draining the order rings until this resolves.
   */
  stop(timeoutMs = 5000): Promise<void> {
    this.stopRequested = true;
    if (this.watch !== undefined) clearInterval(this.watch);
    this.watch = undefined;
    this.stopping ??= Promise.all(this.strategies.map((s) => s.stop(timeoutMs))).then(() => undefined);
    return this.stopping;
  }
}

function logAt(log: HostLogger, level: LogLevel, obj: object, msg: string): void {
  switch (level) {
    case 'debug': log.debug(obj, msg); break;
    case 'info': log.info(obj, msg); break;
    case 'warn': log.warn(obj, msg); break;
    default: log.error(obj, msg); break;
  }
}
