/**
 * The journal's snapshots: each begun as a SnapshotWriter (written piece by piece), committed one at a time in call
 * order — made <seq>.snap once its seq is durable, then retention applied —, or aborted. The ones still open when the
 * journal closes are aborted then.
 */
import type { SegmentRef } from './directory.js';
import { applySnapshotRetention } from './snapshot-retention.js';
import { SnapshotWriter } from './snapshot-writer.js';

export interface SnapshotInfo {
  readonly seq: number;
  readonly file: string;
  readonly deletedSegments: readonly string[];
  readonly deletedSnapshots: readonly string[];
}

export class JournalSnapshots {
  /** Snapshots begun and not yet committed or aborted. */
  private readonly open = new Set<SnapshotWriter>();
  /** The last commit (they run one after the other). */
  private tail: Promise<unknown> = Promise.resolve();
  /** Aborts removing their temp files. */
  private readonly aborting = new Set<Promise<void>>();
  /** The retention floor (see snapshot-retention.ts), read at each retention; undefined: none. */
  floor: (() => number) | undefined;

  constructor(
    private readonly dir: string,
    /** The journal's segments, oldest first (retention deletes from it). */
    private readonly segments: SegmentRef[],
    private readonly retainSnapshots: number,
    private readonly retainSegments: number,
    private readonly whenDurable: (seq: number) => Promise<void>,
  ) {}

  begin(seq: number): SnapshotWriter {
    const writer = new SnapshotWriter(this.dir, seq);
    this.open.add(writer);
    return writer;
  }

  /** Commits `writer` after the commits before it; `refused` (the journal is not open): aborts it and rejects with that. */
  commit(writer: SnapshotWriter, refused: Error | null): Promise<SnapshotInfo> {
    if (!this.open.delete(writer)) return Promise.reject(new Error(`snapshot ${writer.name}: not open in this journal`));
    if (refused !== null) return writer.abort().then(() => Promise.reject(refused));
    const seq = writer.seq;
    const run = async (): Promise<SnapshotInfo> => {
      const file = await writer.commit(() => this.whenDurable(seq));
      const { deletedSegments, deletedSnapshots } = await applySnapshotRetention(this.dir, this.segments, this.retainSnapshots, this.retainSegments, this.floor?.());
      return { seq, file, deletedSegments, deletedSnapshots };
    };
    const result = this.tail.then(run, run);
    this.tail = result.catch(() => undefined);
    return result;
  }

  abort(writer: SnapshotWriter): Promise<void> {
    this.open.delete(writer);
    const done = writer.abort();
    this.aborting.add(done);
    const forget = (): void => void this.aborting.delete(done);
    done.then(forget, forget);
    return done;
  }

  /** Aborts every snapshot begun and not committed (the journal is closing). */
  async abortOpen(): Promise<void> {
    await Promise.all([...this.open].map((w) => this.abort(w)));
  }

  /** Resolves once the commits and aborts in progress are over (whatever their outcome). */
  settled(): Promise<unknown> {
    return Promise.all([this.tail, ...this.aborting]);
  }
}
