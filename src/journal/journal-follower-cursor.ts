/**
 * The rows a journal follower makes from the journal records after a seq, read back from the journal: what a
 * follower (the trade history, the Redis event publisher: journal-follower.ts) writes when it could not take them
 * live (its sink was down, its buffer overflowed, the daemon restarted).
 *
 * The journal holds updates, not rows: a fill's strategy and symbol, an order's final state, an event's `from` state
 * depend on the records before it. So, like the event stream's replay (event-replay.ts), the cursor rebuilds the
 * orders in a scratch tracker of its own (openScratchReplay) — from the newest snapshot at or before the seq (or from
 * seq 1 while the journal still starts there), through the records up to the seq silently — and then applies the
 * records after it through the same lifecycle, handing each applied transition to the follower's row maker with the
 * scratch tracker, exactly as the live path hands it the daemon's. The daemon's tracker is not touched. The journal's
 * retention floor (the follower's watermark) keeps those records and that snapshot.
 *
 * Cost on the event loop (the dispatcher's thread): the journal is read with synchronous reads, in bounded steps — at
 * most `records` records (the follower asks 4096) and one 256 KiB read per step, the follower yielding between steps —
 * but rebuilding the scratch tracker from a snapshot is one step (as long as a restart's load of that snapshot: it
 * grows with the orders the snapshot holds; not measured yet). It happens only when a follower fell behind.
 */
import type { OrderStore, OrderView } from '../core/order-store.js';
import type { OrderTracker } from '../core/order-tracker.js';
import type { OrderUpdate, Transition } from '../model/lifecycle.js';
import { openScratchReplay } from './event-replay.js';
import type { NameMapper } from './name-table.js';
import { applyOrderRecord } from './order-replay.js';
import type { JournalScanner } from './reader.js';

/**
 * Makes the rows of an applied (or refused: check `t.outcome`) transition recorded at `seq`, pushed to `out`. Called
 * with the daemon's tracker live and with a scratch tracker in catch-up; reads the order view during the call only.
 */
export type RowMaker<Row> = (seq: number, tracker: OrderTracker, order: OrderView, update: OrderUpdate, t: Transition, out: Row[]) => void;

export type FollowerCursorOpen<Row> =
  | { readonly ok: true; readonly cursor: FollowerCursor<Row> }
  /** The records after `since` are no longer in the journal; `resumeAfter`: the first seq the journal can replay from. */
  | { readonly ok: false; readonly reason: string; readonly resumeAfter: number };

/** Pulls the records with since < seq <= upTo and makes their rows. Close it when done (it holds a file open). */
export class FollowerCursor<Row> {
  private done = false;
  /** Seq of the last record read (rows of every record up to it have been handed out). */
  seq: number;

  constructor(
    private readonly scanner: JournalScanner,
    private readonly tracker: OrderTracker,
    private readonly names: NameMapper,
    private readonly since: number,
    private readonly upTo: number,
    private readonly time: Float64Array,
    rows: RowMaker<Row>,
    private readonly out: Row[],
  ) {
    this.seq = since;
    tracker.listen({
      onTransition: (order, update, t) => {
        const seq = this.scanner.view.seq;
        if (seq > this.since) rows(seq, this.tracker, order, update, t, this.out);
      },
    });
  }

  /**
   * Reads records until at least `rows` rows are in the output array, `records` records were read, or `upTo` is
   * reached; false once there is nothing more. Throws JOURNAL_* errors when the journal cannot be read.
   */
  read(rows: number, records: number): boolean {
    if (this.done) return false;
    const view = this.scanner.view;
    const setTime = (ts: number): void => {
      this.time[0] = ts;
    };
    let n = 0;
    while (this.out.length < rows && n < records) {
      if (!this.scanner.next()) {
        this.close();
        return false;
      }
      if (view.isSnapshot) continue;
      if (view.seq > this.upTo) {
        this.close();
        return false;
      }
      applyOrderRecord(view, this.tracker, this.names, undefined, setTime);
      if (view.seq > this.seq) this.seq = view.seq;
      n++;
      // never read past upTo: what follows may be a batch still being written
      if (this.seq >= this.upTo) break;
    }
    if (this.seq >= this.upTo) {
      this.close();
      return false;
    }
    return true;
  }

  close(): void {
    if (this.done) return;
    this.done = true;
    this.scanner.close();
  }
}

/**
 * Opens a cursor over the rows of the records after `since` up to `upTo` (durable records only: one being written
 * may still be torn on disk); rows are pushed to `out`. `live` is the daemon's store (the scratch one gets the same
 * instruments, strategies, venues and client id prefix); `retainFinished` as the daemon's tracker. `what` names the
 * follower in the reason of a failure.
 */
export function openFollowerCursor<Row>(
  dir: string, live: OrderStore, retainFinished: number, since: number, upTo: number, rows: RowMaker<Row>, out: Row[], what: string,
): FollowerCursorOpen<Row> {
  // small reads: the catch-up runs on the daemon's event loop (see the header)
  const r = openScratchReplay(dir, live, retainFinished, since, upTo, 256 * 1024);
  if (!r.ok) {
    return { ok: false, resumeAfter: r.resumeAfter, reason: `${what}: the journal records after seq ${since} are no longer there (the journal starts at seq ${r.firstSeq})` };
  }
  const { scanner, tracker, names, time } = r.replay;
  return { ok: true, cursor: new FollowerCursor(scanner, tracker, names, since, upTo, time, rows, out) };
}
