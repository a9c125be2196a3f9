/**
 * The history thread's feed (history-worker.ts): the journal's durable batches, as the dispatch thread sends them,
 * applied to the journal tail (journal-tail.ts) — whose transitions become the writer's rows — only as fast as the
 * writer has room for those rows.
 *
 * A batch the writer has no room for (its sink is slower than the rows come, or it is catching up from the journal)
 * waits here, as the bytes it came as, and is applied once the writer has room again (`pump`, from the writer's
 * onRoom). So a sink slower than the load does not overflow the writer's buffer and send it back to the journal's
 * files (where every record is read and applied a second time, by the catch-up's own scratch tracker, while the tail
 * applies the new batches as well). And while the writer catches up, the tail stands still at the seq the catch-up
 * goes to, so the catch-up ends.
 *
 * The batches waiting here are bounded by the dispatch thread: it counts what it sent and what the thread reported
 * taken (`consumed`: a batch counts once it is applied or passed over), and drops batches past its bound; the thread is
 * then told the journal's durable seq (`durable`), rebuilds the tail from the journal's files and the writer catches up
 * from its watermark. A batch that the tail could not apply anyway (a gap before it, or a tail that could not be
 * rebuilt) does not wait.
 */
import type { JournalTail } from '../journal/journal-tail.js';

/** What the feed needs of the history writer. */
export interface FeedWriter {
  /** It takes rows and has room for a batch's (HistoryWriter.hasRoom). */
  hasRoom(): boolean;
  /** The tail lost records: catch up from the journal (HistoryWriter.rowsMissed). */
  rowsMissed(): void;
}

export interface FeedLog {
  error(obj: object, msg: string): void;
}

interface Batch {
  readonly bytes: Uint8Array;
  readonly firstSeq: number;
  readonly lastSeq: number;
}

/** A tail that could not be rebuilt is tried again at the next batch, at most this often. */
const REBUILD_RETRY_MS = 1000;

export class TailFeed {
  private held: Batch[] = [];
  private head = 0;
  /** When the tail could not be rebuilt (-1: it could). */
  private brokenSince = -1;
  /** Batch bytes taken (applied or passed over) so far. */
  consumed = 0;

  constructor(
    private readonly tail: Pick<JournalTail, 'seq' | 'orders' | 'feed' | 'rebuild'>,
    private readonly writer: FeedWriter,
    private readonly log: FeedLog,
    private readonly now: () => number = Date.now,
  ) {}

  /** Batches waiting for the writer's room. */
  get waiting(): number {
    return this.held.length - this.head;
  }

  /** A durable batch (records firstSeq..lastSeq, in seq order after the ones before). */
  batch(bytes: Uint8Array, firstSeq: number, lastSeq: number): void {
    this.held.push({ bytes, firstSeq, lastSeq });
    this.pump();
  }

  /** Batches were dropped on the way: a new tail from the files up to `seq` (durable), the writer catches up. */
  durable(seq: number): void {
    if (seq > this.tail.seq) this.rebuild(seq);
    // the batches waiting are before it: passed over
    this.pump();
  }

  /** A new tail from the files up to `seq`; false when it could not be read (tried again later). */
  rebuild(seq: number): boolean {
    const now = this.now();
    if (this.brokenSince >= 0 && now - this.brokenSince < REBUILD_RETRY_MS) return false;
    try {
      this.tail.rebuild(seq);
      this.brokenSince = -1;
    } catch (err) {
      if (this.brokenSince < 0) this.log.error({ err: err instanceof Error ? err.message : String(err), seq }, 'history: the journal could not be read to follow it (retrying)');
      this.brokenSince = now;
      return false;
    } finally {
      this.writer.rowsMissed();
    }
    return true;
  }

  /** Applies the waiting batches, in order, while the writer has room (call again when it has). */
  pump(): void {
    const held = this.held;
    const tail = this.tail;
    while (this.head < held.length) {
      const b = held[this.head]!;
      // only a batch the tail would apply now waits for room: one before it is passed over, one after a gap needs a rebuild
      const follows = tail.orders !== undefined && b.firstSeq <= tail.seq + 1 && b.lastSeq > tail.seq;
      if (follows && !this.writer.hasRoom()) break;
      held[this.head++] = EMPTY;
      this.consumed += b.bytes.byteLength;
      if (!tail.feed(b.bytes, b.firstSeq, b.lastSeq)) {
        // batches were dropped on the way (or the tail is broken): from the files up to this batch, then this batch
        if (b.firstSeq > tail.seq + 1 && this.rebuild(b.firstSeq - 1)) tail.feed(b.bytes, b.firstSeq, b.lastSeq);
      }
    }
    if (this.head === held.length) {
      held.length = 0;
      this.head = 0;
    } else if (this.head >= 1024) {
      this.held = held.slice(this.head);
      this.head = 0;
    }
  }
}

const EMPTY: Batch = { bytes: new Uint8Array(0), firstSeq: 0, lastSeq: 0 };
