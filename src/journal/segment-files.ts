/**
 * The journal's segment files as it writes them: the segment being appended to, the list of segments (oldest
 * first; snapshot retention trims it), and rotation to a new segment before a batch once the current one is full
 * (so a batch never spans two segments, and a segment is complete and synced before the next one exists).
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { fsyncDir, JOURNAL_FILE_MODE, NEW_SEGMENT_FLAGS, SEGMENT_SYNC_FLAG, type SegmentRef } from './directory.js';
import { ioError } from './errors.js';
import { SEGMENT_HEADER_BYTES, encodeSegmentHeader, segmentName } from './format.js';
import { fdatasync, writeAll } from './group-commit.js';
import type { JournalFileWrites } from './journal-options.js';
import { createSegmentSync, type OpenSegment } from './recovery.js';

export class SegmentFiles {
  constructor(
    private readonly dir: string,
    /** Every segment, oldest first (the last one is `current`). */
    readonly list: SegmentRef[],
    /** The segment being appended to. */
    public current: OpenSegment,
    private readonly segmentBytes: number,
    private readonly io: JournalFileWrites,
    private readonly stats: { rotations: number },
  ) {}

  private full(): boolean {
    return this.current.size >= this.segmentBytes && this.current.size > SEGMENT_HEADER_BYTES;
  }

  /**
   * Writes data[0, len) (one group-commit batch starting at `firstSeq`) at the end, durably: the segment's writes are
   * synchronous (SEGMENT_SYNC_FLAG), or, where the platform has no O_DSYNC, followed by an fdatasync.
   */
  async writeBatch(data: Uint8Array, len: number, firstSeq: number): Promise<void> {
    if (this.full()) await this.rotate(firstSeq);
    const seg = this.current;
    await writeAll(this.io, seg.fd, data, len, seg.size);
    if (SEGMENT_SYNC_FLAG === 0) await fdatasync(this.io, seg.fd);
    seg.size += len;
  }

  /** The same, blocking (commit 'sync'). Throws what node:fs throws. */
  writeSync(data: Uint8Array, len: number, firstSeq: number): void {
    if (this.full()) {
      const { fd, name } = createSegmentSync(this.dir, firstSeq);
      this.switchTo(fd, name, firstSeq);
    }
    const seg = this.current;
    let off = 0;
    while (off < len) off += fs.writeSync(seg.fd, data, off, len - off, seg.size + off);
    if (SEGMENT_SYNC_FLAG === 0) fs.fdatasyncSync(seg.fd);
    seg.size += len;
  }

  /** Closes the current segment's file (at close: what was written is durable or the journal has failed). */
  closeCurrent(): void {
    if (this.current.fd < 0) return;
    try {
      fs.closeSync(this.current.fd);
    } catch {
      // already durable or already failed
    }
    this.current.fd = -1;
  }

  private async rotate(baseSeq: number): Promise<void> {
    const name = segmentName(baseSeq);
    const path = join(this.dir, name);
    let fd = -1;
    try {
      fd = await new Promise<number>((resolve, reject) => fs.open(path, NEW_SEGMENT_FLAGS, JOURNAL_FILE_MODE, (err, f) => (err ? reject(err) : resolve(f))));
      const header = encodeSegmentHeader(baseSeq);
      await writeAll(this.io, fd, header, header.length, 0);
      if (SEGMENT_SYNC_FLAG === 0) await fdatasync(this.io, fd);
    } catch (err) {
      if (fd >= 0) fs.close(fd, () => undefined);
      throw ioError('create segment', path, err);
    }
    await fsyncDir(this.dir);
    this.switchTo(fd, name, baseSeq);
  }

  private switchTo(fd: number, name: string, baseSeq: number): void {
    const old = this.current.fd;
    this.current = { fd, name, baseSeq, size: SEGMENT_HEADER_BYTES };
    this.list.push({ name, baseSeq });
    this.stats.rotations++;
    fs.close(old, () => undefined); // its data was made durable with its last batch
  }
}
