/**
 * When the journal takes a snapshot: every `journal.snapshotEvery` records, one at a time, a snapshot of every
 * order held, the id counter and positions; the journal then deletes the segments it covers, so a restart reads
 * at most one snapshot and the records after it.
 *
 * The snapshot is captured in steps, one per event-loop turn (snapshot-capture.ts), its payload written piece by
 * piece to the journal's SnapshotWriter as it is made: it starts on the turn after the record that made it due (its
 * seq S is the last record then), and orders keep flowing while it is made. Each step first checks that the journal
 * still takes writes: once it is closing, closed or failed, the capture and its temp file are dropped (a snapshot
 * file only ever appears whole, by rename, once S is durable) and no further step is scheduled. The steps'
 * immediates are unref'ed: a capture never keeps the process alive.
 */
import type { Logger } from '../telemetry/logger.js';
import type { Journal } from './journal.js';
import type { SnapshotCapture } from './snapshot-capture.js';
import type { SnapshotWriter } from './snapshot-writer.js';

export class SnapshotSchedule {
  private lastSnapshotSeq: number;
  private pending = false;
  private seq = 0;
  private startedAt = 0;
  private steps = 0;
  /** The longest step of the capture in progress (ms), and the steps over 1 ms, for the log. */
  private longestStep = 0;
  private slowSteps = 0;
  private immediate: NodeJS.Immediate | undefined;
  private writer: SnapshotWriter | undefined;
  /** Snapshots written, and captures dropped (journal closing or failed, or an error). */
  written = 0;
  dropped = 0;

  constructor(
    private readonly journal: Journal,
    private readonly every: number,
    private readonly capture: SnapshotCapture,
    private readonly log: Logger,
    /** The seq of the snapshot the journal was recovered from (0: none). */
    lastSnapshotSeq: number,
  ) {
    this.lastSnapshotSeq = lastSnapshotSeq;
  }

  /** True from the moment a snapshot is due until it is written or dropped. */
  get inProgress(): boolean {
    return this.pending;
  }

  /** Called after every record: schedules a snapshot once `every` records have been written since the last one. */
  maybeSnapshot(): void {
    if (this.pending) return;
    if (this.journal.lastSeq - this.lastSnapshotSeq < this.every) return;
    this.pending = true;
    this.next(this.start);
  }

  /** Drops a capture in progress (a stop that does not wait for it); the snapshot being written, if any, goes on. */
  cancel(): void {
    if (this.immediate === undefined) return;
    clearImmediate(this.immediate);
    this.immediate = undefined;
    this.drop('canceled');
  }

  private next(fn: () => void): void {
    this.immediate = setImmediate(fn);
    this.immediate.unref();
  }

  private readonly start = (): void => {
    this.immediate = undefined;
    if (!this.journal.acceptsWrites) {
      this.drop('the journal takes no more writes (closing, closed or failed)');
      return;
    }
    this.seq = this.journal.lastSeq;
    this.startedAt = performance.now();
    this.steps = 0;
    this.longestStep = 0;
    this.slowSteps = 0;
    this.lastSnapshotSeq = this.seq;
    try {
      this.writer = this.journal.beginSnapshot(this.seq);
      this.capture.begin(this.writer);
    } catch (err) {
      this.drop('could not start', err);
      return;
    }
    this.next(this.step);
  };

  private readonly step = (): void => {
    this.immediate = undefined;
    if (!this.journal.acceptsWrites) {
      this.drop('the journal takes no more writes (closing, closed or failed)');
      return;
    }
    let done: boolean;
    const t0 = performance.now();
    try {
      this.steps++;
      done = this.capture.step();
    } catch (err) {
      this.drop('capture failed', err);
      return;
    }
    const ms = performance.now() - t0;
    if (ms > this.longestStep) this.longestStep = ms;
    if (ms > 1) this.slowSteps++;
    if (!done) {
      this.next(this.step);
      return;
    }
    const writer = this.writer!;
    this.writer = undefined;
    const seq = this.seq;
    const bytes = this.capture.length;
    const captureMs = performance.now() - this.startedAt;
    const steps = this.steps;
    const longestStepMs = Math.round(this.longestStep * 1000) / 1000;
    const stepsOver1ms = this.slowSteps;
    const copiedOnWrite = this.capture.copiedOnWrite;
    const orders = this.capture.orders;
    const reusedRows = this.capture.reusedRows;
    this.journal.commitSnapshot(writer).then(
      (info) => {
        this.pending = false;
        this.written++;
        this.log.info({ seq, orders, bytes, captureMs: Math.round(captureMs), steps, longestStepMs, stepsOver1ms, copiedOnWrite, reusedRows, info }, 'journal snapshot written');
      },
      (err: unknown) => {
        this.pending = false;
        this.dropped++;
        this.log.error({ err, seq }, 'journal snapshot failed');
      },
    );
  };

  private drop(why: string, err?: unknown): void {
    this.capture.abort();
    if (this.writer !== undefined) void this.journal.abortSnapshot(this.writer);
    this.writer = undefined;
    this.pending = false;
    this.dropped++;
    if (err !== undefined) this.log.error({ err, seq: this.seq }, `journal snapshot dropped: ${why}`);
    else this.log.info({ seq: this.seq }, `journal snapshot dropped: ${why}`);
  }
}
