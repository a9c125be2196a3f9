/**
 * The trade history off the dispatch thread: the history writer runs on a worker thread of its own
 * (src/history/history-worker.ts), fed the journal's durable batches — the bytes the journal just wrote, gathered
 * and handed over every few milliseconds — from which it keeps its own copy of the orders
 * (src/journal/journal-tail.ts) and makes its rows. On the dispatch thread the history costs one copy of each durable
 * batch and a message every few ms, instead of a row per fill and final state, their JSON and the store's I/O (under
 * load that was about a third of it).
 *
 * Nothing is lost when the thread falls behind: batches not yet taken (the thread applies one only while its writer has
 * room for the rows: src/history/tail-feed.ts) are bounded (`maxQueuedBytes`); past the bound
 * they are dropped, and the thread, told the journal's durable seq once it has room again, rebuilds its orders from
 * the journal's files and its writer catches up from its watermark (JournalFollower: the same catch-up as after a
 * store outage). A thread that dies is started again (its writer catches up the same way).
 *
 * Status (GET /health's `history`, the metrics) is the thread's, as it last reported it (at least every
 * `statusEveryMs`), with the lag in records counted here from the journal's last seq; the retention floor is the
 * watermark it last reported (never ahead of the real one).
 */
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Journal } from '../journal/journal.js';
import { systemClock, type Clock } from '../model/clock.js';
import type { ErrorCode } from '../model/errors.js';
import type { FollowerLog, FollowerStatus } from '../journal/journal-follower.js';
import { transpileModuleGraph } from '../strategy/module-loader.js';
import type { ThreadNiceResult } from '../core/thread-priority.js';
import type { HistoryThreadMessage, HistoryWorkerData, HistoryWorkerMessage } from '../history/history-protocol.js';

import type { HistoryStatus } from '../history/history-writer.js';

/** The code a stuck thread's status is shown with (the error catalogue's). */
const SILENT: ErrorCode = 'HISTORY_THREAD_SILENT';

export interface HistoryThreadOptions extends Omit<HistoryWorkerData, 'statusEveryMs' | 'tuning'> {
  readonly log: FollowerLog;
  /** Where the worker's entry is transpiled when running from the TypeScript sources (tests). */
  readonly cacheDir: string;
  /** Batch bytes sent and not yet taken, at most; beyond, batches are dropped (the thread catches up). 64 MiB. */
  readonly maxQueuedBytes?: number;
  /**
   * Durable batches are gathered and sent at most this often (or at once past 1 MiB): one message per few ms, not one
   * per batch (each message costs the dispatch thread a copy-out and a wake-up of the thread). Default 5 ms.
   */
  readonly sendEveryMs?: number;
  /** The thread reports its status at least this often. Default 200 ms. */
  readonly statusEveryMs?: number;
  /** Writer tuning (tests). */
  readonly tuning?: HistoryWorkerData['tuning'];
  /**
   * A running thread that has not reported for this long is shown down (`up` false, `lastError` says why): its last
   * report, frozen, would otherwise keep saying it is up. Default 25 x statusEveryMs, at least 5000 ms.
   */
  readonly silentMs?: number;
  /**
   * Monotonic time of that watch (tests). Default the system clock: the thread reports in real time, so only a real
   * clock can tell how long it has been silent (not a daemon's manual clock).
   */
  readonly clock?: Pick<Clock, 'monoMs'>;
}

const FIRST_RESTART_MS = 500;
/** Pending batch bytes sent at once, without waiting for sendEveryMs. */
const SEND_NOW_BYTES = 1024 * 1024;
const MAX_RESTART_MS = 30_000;

export class HistoryThread {
  private worker: Worker | undefined;
  private journal: Journal | undefined;
  private last: FollowerStatus;
  /** Bytes of the batches sent to the thread, and those it reported taken. */
  private sent = 0;
  private consumed = 0;
  /** Batches were dropped since the thread last heard the durable seq. */
  private dropped = false;
  private drops = 0;
  /** Durable batches copied, not yet sent. */
  private pending: Uint8Array = new Uint8Array(0);
  private pendingBytes = 0;
  private pendingFirst = 0;
  private pendingLast = 0;
  private sendScheduled = false;
  private stopping = false;
  private stopped: (() => void) | undefined;
  private restartMs = FIRST_RESTART_MS;
  private restarts = 0;
  private readonly maxQueuedBytes: number;
  private readonly sendEveryMs: number;
  private readonly silentMs: number;
  private readonly clock: Pick<Clock, 'monoMs'>;
  /** When the running thread last reported, or was started (the clock's monoMs). */
  private heardAt = 0;

  constructor(private readonly o: HistoryThreadOptions) {
    this.maxQueuedBytes = o.maxQueuedBytes ?? 64 * 1024 * 1024;
    this.sendEveryMs = o.sendEveryMs ?? 5;
    this.silentMs = o.silentMs ?? Math.max(5000, 25 * (o.statusEveryMs ?? 200));
    this.clock = o.clock ?? systemClock;
    this.last = {
      store: o.history.store, where: '', up: false, mode: 'starting', watermark: -1, lagRecords: 0, lagSeconds: 0,
      buffered: 0, overflows: 0, writeErrors: 0, lastError: null, lostRecords: 0,
    };
  }

  /** The retention floor for the journal: the watermark the thread last reported (0: not known yet). */
  readonly retentionFloor = (): number => Math.max(0, this.last.watermark);

  get watermark(): number {
    return this.last.watermark;
  }

  /** Batches dropped because the thread was behind (it caught up from the journal's files). */
  get droppedBatches(): number {
    return this.drops;
  }

  /** The thread's priority as it reported it at its start (undefined until then). */
  threadPriority: ThreadNiceResult | undefined;

  /** Worker restarts after the thread died. */
  get restartCount(): number {
    return this.restarts;
  }

  /**
   * Start (the journal is open and recovered): its durable batches go to the thread from now on. Resolves once the
   * thread is started (from the TypeScript sources its modules are transpiled first: on this thread, before the
   * daemon takes orders).
   */
  start(journal: Journal): Promise<void> {
    if (this.journal !== undefined) return Promise.resolve();
    this.journal = journal;
    journal.setDurableBatchListener(this.onBatch);
    return this.spawn();
  }

  status(): HistoryStatus {
    const s = this.last;
    const lastSeq = this.journal?.lastSeq ?? 0;
    const lagRecords = s.watermark < 0 ? lastSeq : Math.max(0, lastSeq - s.watermark);
    const status = { ...s, lagRecords, lagSeconds: lagRecords === 0 ? 0 : s.lagSeconds };
    const silent = this.worker === undefined || this.stopping ? 0 : this.clock.monoMs() - this.heardAt;
    if (silent <= this.silentMs) return status;
    // a thread stuck (a store call that never returns, a loop): what it last said is no longer known to hold
    return { ...status, up: false, lastError: `${SILENT}: the history thread has not reported for ${Math.round(silent / 1000)} s (it reports every ${this.o.statusEveryMs ?? 200} ms); its last report is shown` };
  }

  /**
   * Stop (after the journal closed: nothing more comes): the thread writes what it holds (within `timeoutMs`) and
   * closes its store; what it did not write is read from the journal at the next start.
   */
  async stop(timeoutMs = 5000): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.journal?.setDurableBatchListener(undefined);
    this.send();
    const w = this.worker;
    if (w === undefined) return;
    const done = new Promise<void>((resolve) => (this.stopped = resolve));
    w.postMessage({ type: 'stop', timeoutMs } satisfies HistoryThreadMessage);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs + 1000)))]);
    clearTimeout(timer);
    await w.terminate();
    this.worker = undefined;
    this.last = { ...this.last, mode: 'stopped' };
  }

  /** Journal.setDurableBatchListener: copied into the pending bytes, sent every sendEveryMs (or at once past 1 MiB). */
  private readonly onBatch = (bytes: Uint8Array, firstSeq: number, lastSeq: number): void => {
    // not running (starting, restarting): its start message names the durable seq it reads the files up to
    if (this.worker === undefined) return;
    if (this.sent - this.consumed + this.pendingBytes + bytes.length > this.maxQueuedBytes) {
      // the thread is behind: it catches up from the journal's files once told the durable seq (onMessage)
      this.pendingBytes = 0;
      this.dropped = true;
      this.drops++;
      return;
    }
    if (this.pendingBytes === 0) this.pendingFirst = firstSeq;
    const need = this.pendingBytes + bytes.length;
    if (need > this.pending.length) {
      const next = new Uint8Array(Math.max(need, this.pending.length * 2, 64 * 1024));
      next.set(this.pending.subarray(0, this.pendingBytes));
      this.pending = next;
    }
    this.pending.set(bytes, this.pendingBytes);
    this.pendingBytes = need;
    this.pendingLast = lastSeq;
    if (need >= SEND_NOW_BYTES) this.send();
    else if (!this.sendScheduled) {
      this.sendScheduled = true;
      setTimeout(this.sendLater, this.sendEveryMs);
    }
  };

  private readonly sendLater = (): void => {
    this.sendScheduled = false;
    this.send();
  };

  private send(): void {
    const w = this.worker;
    if (this.pendingBytes === 0 || w === undefined) return;
    const bytes = this.pending.slice(0, this.pendingBytes);
    this.sent += bytes.length;
    this.pendingBytes = 0;
    w.postMessage({ type: 'batch', firstSeq: this.pendingFirst, lastSeq: this.pendingLast, bytes } satisfies HistoryThreadMessage, [bytes.buffer]);
  }

  private async spawn(): Promise<void> {
    if (this.stopping) return;
    const o = this.o;
    const data: HistoryWorkerData = {
      journalDir: o.journalDir, history: o.history, baseDir: o.baseDir, instruments: o.instruments, strategyIds: o.strategyIds,
      venueNames: o.venueNames, clientIdPrefix: o.clientIdPrefix, retainFinished: o.retainFinished,
      statusEveryMs: o.statusEveryMs ?? 200, tuning: o.tuning ?? {},
    };
    let w: Worker;
    try {
      w = new Worker(await workerEntry(o.cacheDir), { workerData: data });
    } catch (err) {
      this.failed(err);
      return;
    }
    if (this.stopping) {
      void w.terminate();
      return;
    }
    this.worker = w;
    this.heardAt = this.clock.monoMs();
    this.sent = 0;
    this.consumed = 0;
    this.dropped = false;
    w.on('message', (m: HistoryWorkerMessage) => this.onMessage(m));
    w.on('error', (err) => this.failed(err));
    w.on('exit', (code) => {
      if (this.worker !== w) return;
      this.worker = undefined;
      if (!this.stopping) this.failed(new Error(`the history thread exited with code ${code}`));
    });
    // the batches from here on go to this thread; before, it reads the journal's files
    this.pendingBytes = 0;
    w.postMessage({ type: 'start', durableSeq: this.journal!.durableSeq } satisfies HistoryThreadMessage);
  }

  private failed(err: unknown): void {
    const text = err instanceof Error ? err.message : String(err);
    this.last = { ...this.last, up: false, mode: 'down', lastError: text };
    const w = this.worker;
    this.worker = undefined;
    if (w !== undefined) void w.terminate();
    if (this.stopping) {
      this.stopped?.();
      return;
    }
    this.o.log.error({ err: text, restartInMs: this.restartMs }, 'history thread failed: starting it again (it catches up from the journal)');
    const delay = this.restartMs;
    this.restartMs = Math.min(MAX_RESTART_MS, this.restartMs * 2);
    this.restarts++;
    setTimeout(() => void this.spawn(), delay).unref();
  }

  private onMessage(m: HistoryWorkerMessage): void {
    if (m.type === 'status') {
      this.heardAt = this.clock.monoMs();
      this.last = m.status;
      this.consumed = m.consumed;
      if (m.status.up) this.restartMs = FIRST_RESTART_MS;
      if (this.dropped && this.sent - this.consumed < this.maxQueuedBytes / 2 && this.journal !== undefined) {
        this.dropped = false;
        this.send();
        this.worker?.postMessage({ type: 'durable', seq: this.journal.durableSeq } satisfies HistoryThreadMessage);
      }
    } else if (m.type === 'log') {
      this.o.log[m.level](m.obj, m.msg);
    } else if (m.type === 'priority') {
      this.threadPriority = m.priority;
      if (!m.priority.ok && this.o.history.threadNice > 0) this.o.log.warn({ reason: m.priority.reason }, 'history thread: daemon.history.threadNice not applied');
    } else {
      this.stopped?.();
    }
  }
}

/**
 * The thread's entry: history/history-worker.js beside this module's directory (running from dist/), else history-worker.ts and the
 * modules it imports transpiled into a cache under the repository's node_modules (running from the sources, under
 * vitest: there its imports of packages resolve).
 */
function workerEntry(cacheDir: string): Promise<URL> {
  const js = new URL('../history/history-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return Promise.resolve(js);
  // once per process (the sources do not change under a running test)
  transpiled ??= (async () => {
    const ts = fileURLToPath(new URL('../history/history-worker.ts', import.meta.url));
    const modules = fileURLToPath(new URL('../../node_modules', import.meta.url));
    return pathToFileURL(await transpileModuleGraph(ts, existsSync(modules) ? join(modules, '.cache', 'switchyard-history') : join(cacheDir, 'history-runtime')));
  })();
  return transpiled;
}

let transpiled: Promise<URL> | undefined;
