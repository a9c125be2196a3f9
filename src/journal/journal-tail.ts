/**
 * The daemon's orders rebuilt away from the daemon, and kept current from the journal's durable batches: what a
 * journal follower that runs on a thread of its own (the trade history: src/compose/history-thread.ts) makes its
 * rows with, exactly as the catch-up from the journal does (journal-follower-cursor.ts), without touching the
 * daemon's tracker.
 *
 * `rebuild(upTo)` reads the journal's files: the newest snapshot at or before upTo, then the records up to upTo,
 * into a scratch tracker (openScratchReplay), silently. `feed(bytes, firstSeq, lastSeq)` applies a durable batch as
 * the journal wrote it (Journal.setDurableBatchListener: whole records, segment format) to that tracker; every
 * transition it makes goes to the listener with the seq of its record. A batch must follow the last one applied
 * (firstSeq = seq + 1; records already applied are passed over): after a gap (batches the feed dropped) `feed`
 * returns false and applies nothing, and the tail must be rebuilt (from the files, up to a durable seq) first.
 */
import type { OrderStore, OrderView } from '../core/order-store.js';
import type { OrderTracker } from '../core/order-tracker.js';
import type { OrderUpdate, Transition } from '../model/lifecycle.js';
import { openScratchReplay } from './event-replay.js';
import { LENGTH_MASK, RECORD_HEADER_BYTES, RECORD_OVERHEAD, readU53 } from './format.js';
import type { NameMapper } from './name-table.js';
import { applyOrderRecord } from './order-replay.js';
import type { JournalRecord } from './reader.js';

/**
 * The tail's store's slots to start with: as many as the daemon's own order store starts with (OrderStore's default),
 * the orders it replicates. Its finished orders alone come to daemon.retainFinishedOrders (100,000 by default).
 */
export const TAIL_SLOTS = 1 << 16;

/** A transition of the tail's tracker, with the seq of the record that made it. */
export type TailListener = (seq: number, tracker: OrderTracker, order: OrderView, update: OrderUpdate, t: Transition) => void;

/** A record of a batch in memory, as the replay reads one from a file. */
class BatchRecord implements JournalRecord {
  readonly isSnapshot = false;
  type = 0;
  seq = 0;
  buffer: Uint8Array = new Uint8Array(0);
  offset = 0;
  length = 0;
  payload(): Uint8Array {
    return this.buffer.subarray(this.offset, this.offset + this.length);
  }
}

export class JournalTail {
  private tracker: OrderTracker | undefined;
  private names: NameMapper | undefined;
  private time: Float64Array | undefined;
  private readonly record = new BatchRecord();
  private readonly setTime = (ts: number): void => {
    this.time![0] = ts;
  };
  /** Seq of the last record applied (-1 before the first rebuild). */
  seq = -1;

  constructor(
    private readonly dir: string,
    /** A store like the daemon's (instruments, strategies, venues, client id prefix): the scratch one is made like it. */
    private readonly like: OrderStore,
    private readonly retainFinished: number,
    private readonly listener: TailListener,
    /** The scratch store's slots to start with (TAIL_SLOTS: the daemon's own store's; tests: fewer). */
    private slots = TAIL_SLOTS,
  ) {}

  /** The tracker the transitions come from (after a rebuild). */
  get orders(): OrderTracker | undefined {
    return this.tracker;
  }

  /**
   * A new scratch tracker from the files: the newest snapshot at or before `upTo`, then every record up to `upTo`
   * (which must be durable), without calling the listener. Throws when the journal no longer holds what it needs
   * (the records after the newest snapshot kept) or cannot be read.
   */
  rebuild(upTo: number): void {
    // as many slots as the tracker before this one had come to hold (its orders come back), as the daemon's store
    // starts with at least: not 1,024 doubled eight times, every array copied at each doubling, at every rebuild
    const slots = Math.max(this.slots, this.tracker?.store.capacity ?? 0);
    this.slots = slots;
    this.seq = -1;
    this.tracker = undefined;
    const r = openScratchReplay(this.dir, this.like, this.retainFinished, upTo, upTo, undefined, slots);
    if (!r.ok) throw new Error(`the journal records up to seq ${upTo} are no longer there (it starts at seq ${r.firstSeq})`);
    const { scanner, tracker, names, time } = r.replay;
    try {
      const view = scanner.view;
      // as of the snapshot it starts from (upTo itself when no record comes after it)
      let seq = r.replay.fromSeq;
      while (scanner.next()) {
        if (view.seq > upTo) break;
        applyOrderRecord(view, tracker, names, undefined, (ts) => (time[0] = ts));
        seq = view.seq;
      }
      if (seq < upTo) throw new Error(`the journal ends at seq ${seq}, before seq ${upTo}`);
    } finally {
      scanner.close();
    }
    const record = this.record;
    tracker.listen({
      onTransition: (order, update, t) => {
        this.listener(record.seq, tracker, order, update, t);
      },
    });
    this.tracker = tracker;
    this.names = names;
    this.time = time;
    this.seq = upTo;
  }

  /**
   * Applies a durable batch (records firstSeq..lastSeq, as written). False when it does not follow what was applied
   * (a gap, or no rebuild yet): nothing applied, rebuild first. Throws on bytes that are not whole records in order
   * (a defect: the journal hands what it wrote).
   */
  feed(bytes: Uint8Array, firstSeq: number, lastSeq: number): boolean {
    if (this.tracker === undefined || firstSeq > this.seq + 1) return false;
    if (lastSeq <= this.seq) return true;
    const tracker = this.tracker;
    const names = this.names!;
    const rec = this.record;
    rec.buffer = bytes;
    let p = 0;
    while (p < bytes.length) {
      if (bytes.length - p < RECORD_OVERHEAD) throw new Error(`journal tail: a torn record at byte ${p} of a batch of ${bytes.length}`);
      const len = (bytes[p]! | (bytes[p + 1]! << 8) | (bytes[p + 2]! << 16) | (bytes[p + 3]! << 24)) & LENGTH_MASK;
      const seq = readU53(bytes, p + 5);
      if (p + len + RECORD_OVERHEAD > bytes.length) throw new Error(`journal tail: record ${seq} runs past its batch`);
      if (seq > this.seq) {
        if (seq !== this.seq + 1) throw new Error(`journal tail: record ${seq} after ${this.seq}`);
        rec.type = bytes[p + 4]!;
        rec.seq = seq;
        rec.offset = p + RECORD_HEADER_BYTES;
        rec.length = len;
        applyOrderRecord(rec, tracker, names, undefined, this.setTime);
        this.seq = seq;
      }
      p += len + RECORD_OVERHEAD;
    }
    rec.buffer = EMPTY;
    if (this.seq !== lastSeq) throw new Error(`journal tail: a batch said to end at seq ${lastSeq} ended at ${this.seq}`);
    return true;
  }
}

const EMPTY = new Uint8Array(0);
