/**
 * Gets every history row into the history store, off the dispatch thread, and never loses one: a journal follower
 * (src/journal/journal-follower.ts: the live buffer, the durable-only batches, the watermark written with the rows,
 * the catch-up from the journal after an overflow, an outage or a start) whose rows are history rows
 * (history-record.ts: every venue fill and every order's final state, exact decimals) and whose sink is the history
 * store (PostgreSQL or the local files). Rows carry their seq as their key, so anything written twice is stored once.
 * The daemon runs it on the history thread (history-worker.ts), fed by the journal tail there; tests also run it
 * in-process, fed by the journal recorder.
 *
 * The journal must keep what the history has not stored: the daemon sets the journal's retention floor to W
 * (`retentionFloor`), so snapshot retention deletes no segment after W (nor the newest snapshot at or before it).
 * A store down for long therefore makes the journal grow: `status()` reports it (lag in records and seconds, up or
 * down), and GET /health and the metrics show it.
 */
import type { OrderStore, OrderView } from '../core/order-store.js';
import type { Clock } from '../model/clock.js';
import type { OrderUpdate, Transition } from '../model/lifecycle.js';
import { JournalFollower, type FollowedJournal, type FollowerLog, type FollowerStatus } from '../journal/journal-follower.js';
import { historyRowsOf, type HistoryRow } from './history-record.js';
import { HistoryLineMaker, type HistoryLine } from './history-lines.js';
import type { HistoryStore } from './history-store.js';

/** The journal as the history writer reads it. */
export type HistoryJournal = FollowedJournal;

export interface HistoryWriterOptions {
  readonly store: HistoryStore;
  /** The daemon's order store (rows are made from its views; catch-up builds a scratch store like it). */
  readonly orders: OrderStore;
  /** daemon.retainFinishedOrders (the catch-up's scratch tracker retains as many). */
  readonly retainFinished: number;
  readonly clock: Clock;
  /** Errors and state changes (the store going down, coming back; records the journal no longer had). */
  readonly log: FollowerLog;
  /** Rows held in memory at most; beyond, the writer catches up from the journal. Default 65536. */
  readonly bufferRows?: number;
  /** Rows per write. Default 1000 (the daemon's configuration default is 5000: daemon.history.batchRows). */
  readonly batchRows?: number;
  /** The longest a live row waits before its batch is written. Default 50 ms. */
  readonly flushMs?: number;
  /** First retry after a failed write; doubles up to maxRetryMs. Defaults 250 ms, 5000 ms. */
  readonly retryMs?: number;
  readonly maxRetryMs?: number;
  /** The watermark follows the journal at least this often when no rows come. Default 1000 ms. */
  readonly markEveryMs?: number;
  /** It may have room for rows again (JournalFollowerOptions.onRoom). */
  readonly onRoom?: () => void;
}

/** GET /health's `history`: see FollowerStatus (store: the store's kind). */
export type HistoryStatus = FollowerStatus;

export class HistoryWriter {
  private readonly follower: JournalFollower<HistoryRow> | JournalFollower<HistoryLine>;

  constructor(o: HistoryWriterOptions) {
    const store = o.store;
    const instruments = o.orders.instruments;
    if (store.writeLines !== undefined) {
      // a store of JSON lines: each row written as its line when it is made (history-lines.ts), not held as an object
      const lines = new HistoryLineMaker();
      const write = async (rows: readonly HistoryLine[], watermark: number): Promise<void> => {
        await store.writeLines!(rows, watermark);
        // every line up to the watermark is stored: their chunks are free
        lines.stored(watermark);
      };
      this.follower = follow<HistoryLine>(o, write, (seq, order, update, t, out) => {
        lines.linesOf(seq, instruments, order, update, t, out);
      });
    } else {
      this.follower = follow<HistoryRow>(o, (rows, watermark) => store.write(rows, watermark), (seq, order, update, t, out) => {
        historyRowsOf(seq, instruments, order, update, t, out);
      });
    }
    this.onRecorded = this.follower.onRecorded;
    this.retentionFloor = this.follower.retentionFloor;
  }

  /**
   * The journal recorder's hook (JournalRecorder.addRecordedListener): called on the dispatch thread right after
   * an UPDATE record was appended. Makes the row(s) and buffers them; never waits, never throws.
   */
  readonly onRecorded: (seq: number, order: OrderView, update: OrderUpdate, t: Transition) => void;

  /** The retention floor for the journal: its records after this are kept (0: keep everything, W not known yet). */
  readonly retentionFloor: () => number;

  /** It takes rows and at most half its buffer is used (JournalFollower.hasRoom). */
  hasRoom(): boolean {
    return this.follower.hasRoom();
  }

  /** Rows were missed (the feed of onRecorded lost records): catch up from the journal (JournalFollower.rowsMissed). */
  rowsMissed(): void {
    this.follower.rowsMissed();
  }

  /** Start (the journal is open and recovered): open the store, catch up from its watermark, then go live. */
  start(journal: HistoryJournal): void {
    this.follower.start(journal);
  }

  /** The watermark (-1 while the store was never reached). */
  get watermark(): number {
    return this.follower.watermark;
  }

  status(): HistoryStatus {
    return this.follower.status();
  }

  /**
   * Stop: write what is buffered (if the store takes it within `timeoutMs`), then close the store. What is not
   * written is read from the journal at the next start. Call after the journal is closed (nothing more comes).
   */
  stop(timeoutMs = 5000): Promise<void> {
    return this.follower.stop(timeoutMs);
  }
}

/**
 * The journal follower of the history: its sink the store (rows written with `write`), its rows made by `rows` — from
 * the daemon's store's views live, from the catch-up's scratch tracker's (same instruments) when it reads the journal.
 */
function follow<Row extends { readonly seq: number }>(
  o: HistoryWriterOptions,
  write: (rows: readonly Row[], watermark: number) => Promise<void>,
  rows: (seq: number, order: OrderView, update: OrderUpdate, t: Transition, out: Row[]) => void,
): JournalFollower<Row> {
  const store = o.store;
  return new JournalFollower<Row>({
    name: 'history',
    sink: {
      get kind() {
        return store.kind;
      },
      get where() {
        return store.where;
      },
      open: () => store.open(),
      watermark: () => store.watermark(),
      write,
      close: () => store.close(),
    },
    rows: (seq, _tracker, order, update, t, out) => rows(seq, order, update, t, out),
    // the rows need only the store: the live path needs no tracker
    liveRows: rows,
    orders: o.orders, retainFinished: o.retainFinished, clock: o.clock, log: o.log,
    bufferRows: o.bufferRows, batchRows: o.batchRows, flushMs: o.flushMs, retryMs: o.retryMs, maxRetryMs: o.maxRetryMs, markEveryMs: o.markEveryMs, onRoom: o.onRoom,
  });
}
