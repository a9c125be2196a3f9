/**
 * The messages between the dispatch thread and the trade history's thread (src/compose/history-thread.ts starts it,
 * history-worker.ts runs it).
 */
import type { HistoryConfig } from '../config/schema.js';
import type { FollowerStatus } from '../journal/journal-follower.js';
import type { InstrumentSpec } from '../model/instrument.js';
import type { ThreadNiceResult } from '../core/thread-priority.js';
import type { HistoryWriterOptions } from './history-writer.js';

/** What the thread is started with. */
export interface HistoryWorkerData {
  readonly journalDir: string;
  /** daemon.history, the store's file path resolved against baseDir. */
  readonly history: HistoryConfig;
  readonly baseDir: string;
  readonly instruments: readonly InstrumentSpec[];
  readonly strategyIds: readonly string[];
  readonly venueNames: readonly string[];
  readonly clientIdPrefix: string;
  readonly retainFinished: number;
  readonly statusEveryMs: number;
  readonly tuning: Partial<Pick<HistoryWriterOptions, 'flushMs' | 'retryMs' | 'maxRetryMs' | 'markEveryMs'>>;
}

/** Dispatch thread -> history thread. */
export type HistoryThreadMessage =
  | { readonly type: 'start'; readonly durableSeq: number }
  | { readonly type: 'batch'; readonly firstSeq: number; readonly lastSeq: number; readonly bytes: Uint8Array }
  | { readonly type: 'durable'; readonly seq: number }
  | { readonly type: 'stop'; readonly timeoutMs: number };

/** History thread -> dispatch thread. */
export type HistoryWorkerMessage =
  | { readonly type: 'status'; readonly status: FollowerStatus; readonly consumed: number }
  | { readonly type: 'log'; readonly level: 'info' | 'warn' | 'error'; readonly obj: Record<string, unknown>; readonly msg: string }
  /** At start: the thread's priority as daemon.history.threadNice left it (thread-priority.ts). */
  | { readonly type: 'priority'; readonly priority: ThreadNiceResult }
  | { readonly type: 'stopped' };
