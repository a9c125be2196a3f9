/**
 * What the strategy host and a strategy worker tell each other. Orders, events and market data never go through
 * here (they go through shared memory); only the start, the stop, logs and snapshots do.
 */
import type { InstrumentSpec } from '../model/instrument.js';
import type { OrderSnapshot } from './sdk.js';

export const STRATEGY_WORKER_KIND = 'switchyard-strategy';

/** workerData of a strategy worker (structured-cloned; the SharedArrayBuffers are shared, not copied). */
export interface StrategyWorkerData {
  readonly kind: typeof STRATEGY_WORKER_KIND;
  readonly id: string;
  /** file: URL of the module to import (already transpiled when the source was TypeScript). */
  readonly moduleUrl: string;
  readonly symbols: readonly string[];
  readonly params: Readonly<Record<string, unknown>>;
  /** Every instrument, in registry order (record symbol indices refer to it). */
  readonly instruments: readonly InstrumentSpec[];
  /** Venue names, in router order (record venue indices refer to it). */
  readonly venues: readonly string[];
  /**
   * Order ring (SUBMITs) and cancel ring (CANCELs), both produced by the worker and consumed by the dispatcher, and the
   * doorbell their consumer sleeps on.
   */
  readonly orderRing: SharedArrayBuffer;
  readonly cancelRing: SharedArrayBuffer;
  readonly orderDoorbell: SharedArrayBuffer;
  /** Event ring (host produces, worker consumes) and the doorbell the worker sleeps on. */
  readonly eventRing: SharedArrayBuffer;
  readonly eventDoorbell: SharedArrayBuffer;
  /**
   * Market data (host writes, worker reads; src/intake/ring/market-channel.ts): top-of-book cells of the strategy's
   * symbols and its trade ring. Wake-ups come on the event doorbell.
   */
  readonly marketCells: SharedArrayBuffer;
  readonly tradeRing: SharedArrayBuffer;
  /**
   * How long the worker keeps polling its event ring (once per event-loop turn) after its last order activity (an
   * event, or a submit or cancel of its own) before it sleeps on its doorbell, µs; 0: it sleeps at once. Either fixed
   * (`eventSpinUs`, default DEFAULT_WORKER_SPIN_US) or read from `pollControl` (Int32Array [0], set by the host for
   * all its workers at any time: StrategyHost.setWorkerSpinUs).
   */
  readonly eventSpinUs?: number;
  readonly pollControl?: SharedArrayBuffer;
  /**
   * The worker's heartbeat (Int32Array [0]): the worker adds 1 every `heartbeatMs` from a timer of its own event loop,
   * so it stops when the strategy's code holds the thread (a loop that never returns, a blocking wait). The host
   * reports a worker whose count has not moved for its `hangMs` as unresponsive (StrategyHost). Absent: no heartbeat.
   */
  readonly heartbeat?: SharedArrayBuffer;
  readonly heartbeatMs?: number;
  /**
   * A restarted worker (StrategyHost's restart policy): how many times this strategy has been restarted (ctx.restarts;
   * absent: 0, its first start), the seq of its first record (one above every seq its earlier incarnations published,
   * so seqs stay unique per strategy across restarts), and the events its earlier incarnation did not get (those left
   * in its event ring and those written while no worker ran): the count of the RESYNC it starts with.
   */
  readonly restarts?: number;
  readonly firstSeq?: number;
  readonly lostOnRestart?: number;
}

/** How often a worker's heartbeat ticks by default, ms (StrategyHost picks it from its hangMs). */
export const DEFAULT_HEARTBEAT_MS = 250;

/**
 * Default: a worker sleeps as soon as it has nothing to do (a 2-core machine has no core to spare for polling).
 * With the busy-polling dispatcher (daemon.dispatch.busyPoll) the daemon lets its workers poll too, for
 * BUSY_POLL_WORKER_SPIN_US after their last order activity: the next event of an order usually follows within
 * microseconds, and a wake-up costs the daemon's thread several (an Atomics.notify) and the worker as many.
 */
export const DEFAULT_WORKER_SPIN_US = 0;
export const BUSY_POLL_WORKER_SPIN_US = 50;

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type WorkerToHost =
  | { readonly type: 'ready' }
  | { readonly type: 'start-failed'; readonly message: string; readonly stack?: string }
  | { readonly type: 'log'; readonly level: LogLevel; readonly msg: string; readonly fields?: Record<string, unknown> }
  | { readonly type: 'snapshot-request'; readonly id: number }
  | { readonly type: 'stopped' };

export type HostToWorker =
  | { readonly type: 'stop' }
  /**
   * Answer to a snapshot-request. `position`: the event ring's publish counter when the snapshot was taken;
   * events below it are reflected in `orders` (null when the host has no snapshot provider). `readSeq` and `withdrawn`:
   * how far the daemon had read the strategy's order ring then (transport.ts StrategySnapshot; 0 and [] without a
   * snapshot).
   */
  | {
    readonly type: 'snapshot'; readonly id: number; readonly orders: readonly OrderSnapshot[] | null; readonly position: number;
    readonly readSeq: number; readonly withdrawn: readonly number[];
  };
