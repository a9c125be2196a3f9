/**
 * When the journal takes a snapshot: every `journal.snapshotEvery` records, one at a time, a snapshot of every
 * order held, the id counter and positions; the journal then deletes the segments it covers, so a restart reads
 * at most one snapshot and the records after it.
 */
import type { Logger } from '../telemetry/logger.js';
import type { Journal } from './journal.js';

export class SnapshotSchedule {
  private lastSnapshotSeq: number;
  private pending = false;

  /** `encode`: the snapshot of the state now, encoded (taken on the turn after the record that triggered it). */
  constructor(
    private readonly journal: Journal,
    private readonly every: number,
    private readonly encode: () => Uint8Array,
    private readonly log: Logger,
    /** The seq of the snapshot the journal was recovered from (0: none). */
    lastSnapshotSeq: number,
  ) {
    this.lastSnapshotSeq = lastSnapshotSeq;
  }

  /** Called after every record: schedules a snapshot once `every` records have been written since the last one. */
  maybeSnapshot(): void {
    const journal = this.journal;
    if (this.pending) return;
    if (journal.lastSeq - this.lastSnapshotSeq < this.every) return;
    this.pending = true;
    setImmediate(() => {
      const seq = journal.lastSeq;
      const bytes = this.encode();
      this.lastSnapshotSeq = seq;
      journal.writeSnapshot(seq, bytes).then(
        (info) => {
          this.pending = false;
          this.log.info({ seq, bytes: bytes.length, info }, 'journal snapshot written');
        },
        (err: unknown) => {
          this.pending = false;
          this.log.error({ err }, 'journal snapshot failed');
        },
      );
    });
  }
}
