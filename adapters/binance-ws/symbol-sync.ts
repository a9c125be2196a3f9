/**
 * Per-symbol sync state of the Binance market-data feed (market-feed.ts): waiting for a depth snapshot (events
 * buffered) or live (events applied, `lastU` linking them), the snapshot scheduling fields depth-snapshots.ts uses, and
 * the depth event shape as the feed reads it.
 */
import type { Instrument } from '../../src/model/instrument.js';
import { Backoff } from '../common/backoff.js';

export const WAITING = 0;
export const LIVE = 1;

export interface DepthEvent {
  readonly E: unknown;
  readonly U: number;
  readonly u: number;
  readonly b: unknown[];
  readonly a: unknown[];
}

/** Sync state of one symbol (allocated once). */
export interface SymbolSync {
  readonly ins: Instrument;
  /** Binance symbol id, as events name it: BTCUSDT. */
  readonly id: string;
  state: typeof WAITING | typeof LIVE;
  /** The sink holds a book from this feed (a snapshot delivered, not invalidated since). */
  live: boolean;
  /** `u` of the last event applied (or the snapshot's lastUpdateId). */
  lastU: number;
  /** The next event applied is the first after a snapshot (it may start before lastUpdateId + 1). */
  first: boolean;
  /** Events received while waiting for a snapshot. */
  readonly buffer: DepthEvent[];
  /** A snapshot is scheduled, queued or in flight. */
  queued: boolean;
  timer: NodeJS.Timeout | undefined;
  readonly backoff: Backoff;
  /** Monotonic ms of the last successful sync. */
  syncedAt: number;
  offGridLogged: boolean;
}

/** A symbol's state before anything is known (allocated once per symbol). */
export function newSymbolSync(ins: Instrument, reconnect: { readonly minMs: number; readonly maxMs: number }): SymbolSync {
  return {
    ins,
    id: `${ins.base}${ins.quote}`,
    state: WAITING,
    live: false,
    lastU: 0,
    first: false,
    buffer: [],
    queued: false,
    timer: undefined,
    backoff: new Backoff({ minMs: reconnect.minMs, maxMs: reconnect.maxMs }),
    syncedAt: 0,
    offGridLogged: false,
  };
}
