/**
 * Recovery at open: scans the segments, cuts a torn tail, refuses (or with { repair: 'truncate' } cuts at)
 * corruption, and opens the last segment for appending.
 *
 * CORRUPTION POLICY (open, readJournal, verify):
 *  - A record "fails" when its length word is impossible, the file ends inside it, its type is 0, its CRC does not
 *    match, or its seq is not the previous seq + 1. A segment header that fails is treated like a failing record
 *    at offset 0.
 *  - A failing record at the TAIL of the LAST segment is a torn write (the process or machine died while the last
 *    batch was being written): open truncates the file back to the end of the last good record and continues,
 *    reporting what it cut in `recovery.cut` (bytes, reason, offset, last good seq). "Tail" means no record after
 *    it starts a later batch (BATCH_START flag + good CRC + higher seq): the last batch's pages may reach the disk
 *    out of order on power loss, so good records of that same batch after the bad one are cut with it (counted in
 *    `validAfter`; none of them had been reported durable). A last segment holding only a partial header (crash
 *    during rotation) gets its header rewritten.
 *  - A failing record followed by a later batch (the disk held it after an fdatasync; it rotted), a failing record
 *    in any segment but the last (those were complete and synced before the next was created), and a gap in the
 *    seqs between segments not covered by the latest snapshot are CORRUPTION: open throws JournalError
 *    JOURNAL_CORRUPT (details: segment, offset, reason, lastGoodSeq) and changes nothing, unless called with
 *    { repair: 'truncate' }, which cuts the journal at the bad record: truncates that segment there, deletes every
 *    later segment, and reports it (recovery.cut.kind 'repaired_corruption'). Records after the cut are lost;
 *    use `switchyard journal verify` first to see what would go.
 *  - An invalid snapshot file (it is written atomically, so this is corruption too) is skipped in favour of the
 *    next older valid one and listed in `skippedSnapshots`; the records after that snapshot must still exist,
 *    otherwise reading fails with JOURNAL_CORRUPT (gap).
 *  - A failed write or fdatasync makes the journal fail permanently with JOURNAL_IO: pending whenDurable() promises
 *    reject, append() throws. fsync is not retried (after a failed fsync the page cache state is unknown).
 *
 * Recovery scans every segment with { verify: 'full' } (the default; bounded because snapshots bound the retained
 * segments) or only the last one with { verify: 'tail' } (readJournal still checks the others when replaying).
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { APPEND_SEGMENT_FLAGS, fsyncDirSync, JOURNAL_FILE_MODE, listDirectory, NEW_SEGMENT_FLAGS, readLatestSnapshot, SEGMENT_SYNC_FLAG, type SegmentRef } from './directory.js';
import { JournalError, ioError } from './errors.js';
import { DEFAULT_MAX_PAYLOAD, SEGMENT_HEADER_BYTES, encodeSegmentHeader, segmentName } from './format.js';
import { ChunkBuffer, SegmentReader, classifyBadRecord, type BadRecordReason } from './segment-reader.js';

export interface RecoveryOptions {
  maxPayloadBytes?: number;
  repair?: 'none' | 'truncate';
  verify?: 'full' | 'tail';
}

export interface CutReport {
  /** torn_tail: a torn write at the end of the last segment. repaired_corruption: cut by { repair: 'truncate' }. */
  readonly kind: 'torn_tail' | 'repaired_corruption';
  readonly segment: string;
  /** The segment was truncated to this length. */
  readonly offset: number;
  /** Bytes removed, including deleted later segments. */
  readonly bytes: number;
  readonly reason: BadRecordReason | 'gap';
  readonly lastGoodSeq: number;
  /** Records after the cut whose checks passed (same torn batch, or the records lost by a repair). */
  readonly validAfter: number;
  /** Later segments deleted by a repair. */
  readonly deletedSegments: readonly string[];
}

export interface RecoveryReport {
  /** Segment files after recovery. */
  readonly segments: number;
  /** Records checked during recovery. */
  readonly scannedRecords: number;
  /** Seq of the last good record (0 when the journal holds none). */
  readonly lastSeq: number;
  /** Seq of the newest valid snapshot, or null. */
  readonly snapshotSeq: number | null;
  /** What open cut, or null when the journal was clean. */
  readonly cut: CutReport | null;
  readonly skippedSnapshots: readonly { name: string; reason: string }[];
  /** Leftover snapshot temp files removed. */
  readonly removedTempFiles: readonly string[];
}

export interface OpenSegment {
  fd: number;
  name: string;
  baseSeq: number;
  /** Bytes in the file (the next write goes here). */
  size: number;
}

export function createSegmentSync(dir: string, baseSeq: number): { fd: number; name: string } {
  const name = segmentName(baseSeq);
  const path = join(dir, name);
  let fd = -1;
  try {
    fd = fs.openSync(path, NEW_SEGMENT_FLAGS, JOURNAL_FILE_MODE);
    const header = encodeSegmentHeader(baseSeq);
    fs.writeSync(fd, header, 0, header.length, 0);
    if (SEGMENT_SYNC_FLAG === 0) fs.fdatasyncSync(fd);
  } catch (err) {
    if (fd >= 0) fs.closeSync(fd);
    throw ioError('create segment', path, err);
  }
  fsyncDirSync(dir);
  return { fd, name };
}

function truncateSync(path: string, length: number, rewriteHeaderBase: number): void {
  let fd = -1;
  try {
    fd = fs.openSync(path, 'r+');
    fs.ftruncateSync(fd, length);
    if (rewriteHeaderBase > 0) {
      const header = encodeSegmentHeader(rewriteHeaderBase);
      fs.writeSync(fd, header, 0, header.length, 0);
    }
    fs.fdatasyncSync(fd);
  } catch (err) {
    throw ioError('truncate segment', path, err);
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}

export interface Recovered {
  segments: SegmentRef[];
  open: OpenSegment;
  lastSeq: number;
  report: RecoveryReport;
}

function fileSize(path: string): number {
  try {
    return fs.statSync(path).size;
  } catch (err) {
    throw ioError('stat', path, err);
  }
}

/** Scans the directory, cuts a torn tail (or repairs corruption when allowed) and opens the last segment. */
export function recover(dir: string, o: RecoveryOptions): Recovered {
  const maxPayload = o.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD;
  const listing = listDirectory(dir);
  const removedTempFiles: string[] = [];
  for (const t of listing.temps) {
    try {
      fs.rmSync(join(dir, t), { force: true });
    } catch (err) {
      throw ioError('remove temp file', join(dir, t), err);
    }
    removedTempFiles.push(t);
  }
  const snaps = readLatestSnapshot(dir, listing.snapshots);
  const snapshotSeq = snaps.latest?.seq ?? 0;
  let segments = listing.segments.slice();
  const chunk = new ChunkBuffer();
  let cut: CutReport | null = null;
  let scannedRecords = 0;
  // End of the good data and last record seq of the segment scanned last (-1: none scanned).
  let lastEnd = -1;
  let lastRecordSeq = -1;

  const first = o.verify === 'tail' ? Math.max(0, segments.length - 1) : 0;
  for (let i = first; i < segments.length; i++) {
    const seg = segments[i];
    const path = join(dir, seg.name);
    const isLast = i === segments.length - 1;
    let problem: { offset: number; reason: BadRecordReason | 'gap'; lastGoodSeq: number };
    let size: number;
    let torn = false;
    let validAfter = 0;
    let nextBatch = -1;
    if (lastRecordSeq >= 0 && seg.baseSeq !== lastRecordSeq + 1 && seg.baseSeq > snapshotSeq + 1) {
      problem = { offset: 0, reason: 'gap', lastGoodSeq: lastRecordSeq };
      size = fileSize(path);
    } else {
      const r = new SegmentReader(path, seg.baseSeq, chunk, maxPayload);
      while (r.next()) scannedRecords++;
      size = r.fileSize;
      if (r.problem === null) {
        lastRecordSeq = r.lastSeq;
        lastEnd = r.goodEnd;
        continue;
      }
      problem = r.problem;
      if (isLast) {
        if (problem.offset === 0) {
          torn = size <= SEGMENT_HEADER_BYTES; // a crash while the segment was being created
        } else {
          const cls = classifyBadRecord(path, r.problem, size, maxPayload);
          torn = cls.kind === 'torn';
          validAfter = cls.validAfter;
          nextBatch = cls.nextBatchOffset;
        }
      }
    }
    if (!torn && o.repair !== 'truncate') {
      const where = !isLast ? ' (not the last segment)' : nextBatch >= 0 ? `; a later batch starts at offset ${nextBatch}` : '';
      throw new JournalError(
        'JOURNAL_CORRUPT',
        `journal: ${problem.reason} at offset ${problem.offset} of ${seg.name} after seq ${problem.lastGoodSeq}${where}; ` +
          `check it with "switchyard journal verify ${dir}"; opening with { repair: 'truncate' } cuts the journal there`,
        { segment: seg.name, offset: problem.offset, reason: problem.reason, lastGoodSeq: problem.lastGoodSeq },
      );
    }
    // Cut here. A gap drops this segment and the later ones (the previous segment becomes the last); a bad header
    // empties this segment (header rewritten); a bad record truncates it there. Later segments are deleted.
    const isGap = problem.reason === 'gap';
    const deleted = segments.slice(isGap ? i : i + 1);
    let bytes = isGap ? 0 : problem.offset === 0 ? size - SEGMENT_HEADER_BYTES : size - problem.offset;
    for (const d of deleted) bytes += fileSize(join(dir, d.name));
    if (!isGap) {
      if (problem.offset === 0) {
        truncateSync(path, 0, seg.baseSeq);
        lastEnd = SEGMENT_HEADER_BYTES;
        lastRecordSeq = seg.baseSeq - 1;
      } else {
        truncateSync(path, problem.offset, 0);
        lastEnd = problem.offset;
        lastRecordSeq = problem.lastGoodSeq;
      }
    }
    for (const d of deleted) {
      try {
        fs.rmSync(join(dir, d.name), { force: true });
      } catch (err) {
        throw ioError('delete segment', join(dir, d.name), err);
      }
    }
    if (deleted.length > 0) fsyncDirSync(dir);
    segments = segments.slice(0, isGap ? i : i + 1);
    cut = {
      kind: torn ? 'torn_tail' : 'repaired_corruption',
      segment: seg.name,
      offset: isGap ? 0 : problem.offset === 0 ? SEGMENT_HEADER_BYTES : problem.offset,
      bytes,
      reason: problem.reason,
      lastGoodSeq: problem.lastGoodSeq,
      validAfter,
      deletedSegments: deleted.map((d) => d.name),
    };
    break;
  }

  let open: OpenSegment | null = null;
  let lastSeq = snapshotSeq;
  if (segments.length > 0) {
    const last = segments[segments.length - 1];
    if (lastRecordSeq >= snapshotSeq) {
      let fd: number;
      try {
        fd = fs.openSync(join(dir, last.name), APPEND_SEGMENT_FLAGS);
      } catch (err) {
        throw ioError('open segment', join(dir, last.name), err);
      }
      open = { fd, name: last.name, baseSeq: last.baseSeq, size: lastEnd };
      lastSeq = lastRecordSeq;
    } else if (lastEnd <= SEGMENT_HEADER_BYTES) {
      // The snapshot is newer than every record (possible only after a repair or lost segments) and the last
      // segment is empty: replace it by one that starts right after the snapshot.
      fs.rmSync(join(dir, last.name), { force: true });
      segments.pop();
    }
  }
  if (open === null) {
    // No segment yet, or records end before the snapshot: continue in a fresh segment after the snapshot.
    const created = createSegmentSync(dir, snapshotSeq + 1);
    segments.push({ name: created.name, baseSeq: snapshotSeq + 1 });
    open = { fd: created.fd, name: created.name, baseSeq: snapshotSeq + 1, size: SEGMENT_HEADER_BYTES };
    lastSeq = snapshotSeq;
  }
  return {
    segments,
    open,
    lastSeq,
    report: {
      segments: segments.length,
      scannedRecords,
      lastSeq,
      snapshotSeq: snaps.latest?.seq ?? null,
      cut,
      skippedSnapshots: snaps.skipped,
      removedTempFiles,
    },
  };
}
