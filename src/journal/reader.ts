/**
 * Reading a journal directory: the latest snapshot first (as a record of type SNAPSHOT_RECORD_TYPE), then every
 * record after it in seq order, each checked (length, type, CRC, seq continuity). Segments are read in big chunks
 * into one reused buffer and each record is handed out as a view into that buffer, valid until the next record:
 * nothing is allocated per record unless the caller asks (payload() makes a subarray, copy it to keep it).
 *
 * Problems follow the corruption policy in journal.ts: a bad record at the tail of the last segment is a torn
 * write and ends the read (reported in the summary's `tail`; Journal.open would cut it); anything else is
 * JOURNAL_CORRUPT. Missing records the read needs are JOURNAL_CORRUPT (a gap) or, when older than the retained
 * journal, JOURNAL_SEQ_UNAVAILABLE.
 */
import fs from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { JournalError, ioError } from './errors.js';
import { DEFAULT_MAX_PAYLOAD, SEGMENT_HEADER_BYTES, SNAPSHOT_RECORD_TYPE, parseSegmentName } from './format.js';
import { listDirectory, readLatestSnapshot, type SegmentRef, type SnapshotRef } from './directory.js';
import { ChunkBuffer, DEFAULT_CHUNK_BYTES, SegmentReader, classifyBadRecord, type BadRecordReason } from './segment-reader.js';

/** One record (or the snapshot) as a view into the reader's buffer; valid only until the next record. */
export interface JournalRecord {
  /** True for the snapshot yielded before the records (type SNAPSHOT_RECORD_TYPE, seq = its "as of" seq). */
  readonly isSnapshot: boolean;
  readonly type: number;
  readonly seq: number;
  /** The buffer holding the payload; read buffer[offset, offset + length). */
  readonly buffer: Uint8Array;
  readonly offset: number;
  readonly length: number;
  /** A subarray view of the payload (one small allocation; no copy). */
  payload(): Uint8Array;
}

export interface ReadOptions {
  /**
   * Without fromSeq: the newest valid snapshot, then the records after it (all records if there is no snapshot).
   * With fromSeq: no snapshot, the records with seq >= fromSeq.
   */
  fromSeq?: number;
  /** Records announcing a longer payload are bad records. Default 16 MiB; must match the writer's setting. */
  maxPayloadBytes?: number;
  /** Read size; default 4 MiB. */
  chunkBytes?: number;
}

export interface TailReport {
  /** Segment file name. */
  readonly segment: string;
  /** File offset where the good prefix ends (Journal.open truncates the file to this length). */
  readonly offset: number;
  readonly reason: BadRecordReason;
  readonly lastGoodSeq: number;
  /** Bytes after the good prefix. */
  readonly bytes: number;
  /** Records after the bad one that pass their checks but belong to the same torn batch. */
  readonly validAfter: number;
}

export interface CorruptionReport {
  readonly segment: string;
  readonly offset: number;
  readonly reason: BadRecordReason | 'gap';
  readonly lastGoodSeq: number;
  readonly message: string;
}

export interface ReadSummary {
  /** Segment files read. */
  segments: number;
  /** Records handed to the caller (the snapshot not counted). */
  records: number;
  /** Seq of the snapshot handed out first, or null. */
  snapshotSeq: number | null;
  /** Seq of the first and last record handed out, or null when none was. */
  firstSeq: number | null;
  lastSeq: number | null;
  /** Seq of the last good record in the journal (0 when it holds none). */
  endSeq: number;
  /** Bytes of segment files read. */
  bytes: number;
  /** A torn tail at the end of the last segment, or null. */
  tail: TailReport | null;
  /** Snapshot files newer than the one used that failed verification. */
  skippedSnapshots: { name: string; reason: string }[];
}

const EMPTY = new Uint8Array(0);

class RecordView implements JournalRecord {
  isSnapshot = false;
  type = 0;
  seq = 0;
  buffer: Uint8Array = EMPTY;
  offset = 0;
  length = 0;
  payload(): Uint8Array {
    return this.buffer.subarray(this.offset, this.offset + this.length);
  }
}

export interface ScanPlan {
  dir: string;
  segments: SegmentRef[];
  snapshots: SnapshotRef[];
}

/** A directory, or a single segment file (then read as the only, hence last, segment). */
export function planFor(path: string): ScanPlan {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(path);
  } catch (err) {
    throw ioError('stat', path, err);
  }
  if (stat.isDirectory()) {
    const listing = listDirectory(path);
    return { dir: path, segments: listing.segments, snapshots: listing.snapshots };
  }
  const name = basename(path);
  const base = parseSegmentName(name);
  if (base <= 0) {
    throw new JournalError('JOURNAL_IO', `journal: ${path} is not a journal directory or a segment file (NNNNNNNNNNNNNNNN.log)`, { path });
  }
  return { dir: dirname(path), segments: [{ name, baseSeq: base }], snapshots: [] };
}

export interface ScanMode {
  /** Hand out the snapshot first and start after it (ignored when fromSeq is set). */
  useSnapshot: boolean;
  fromSeq: number | undefined;
  /** Report corruption in `corruption` and stop instead of throwing (verify). */
  reportCorruption: boolean;
}

/** The pull-based core shared by readJournal, iterateJournal and the CLI helpers. */
export class JournalScanner {
  readonly view = new RecordView();
  readonly summary: ReadSummary = {
    segments: 0,
    records: 0,
    snapshotSeq: null,
    firstSeq: null,
    lastSeq: null,
    endSeq: 0,
    bytes: 0,
    tail: null,
    skippedSnapshots: [],
  };
  corruption: CorruptionReport | null = null;
  /** Seq of the newest valid snapshot (whether or not it is handed out), or 0. */
  readonly latestSnapshotSeq: number;

  private readonly plan: ScanPlan;
  private readonly chunk: ChunkBuffer;
  private readonly maxPayload: number;
  private readonly reportCorruption: boolean;
  private readonly startSeq: number;
  private snapshotPayload: Uint8Array | null = null;
  private segIndex: number;
  private reader: SegmentReader | null = null;
  private prevLastSeq = -1;
  private finished = false;

  constructor(plan: ScanPlan, options: ReadOptions, mode: ScanMode) {
    this.plan = plan;
    this.maxPayload = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD;
    this.chunk = new ChunkBuffer(options.chunkBytes ?? DEFAULT_CHUNK_BYTES);
    this.reportCorruption = mode.reportCorruption;
    const snaps = readLatestSnapshot(plan.dir, plan.snapshots);
    this.summary.skippedSnapshots = snaps.skipped;
    this.latestSnapshotSeq = snaps.latest?.seq ?? 0;
    const segs = plan.segments;
    const firstBase = segs.length > 0 ? segs[0].baseSeq : 1;

    if (mode.fromSeq !== undefined) {
      if (!Number.isSafeInteger(mode.fromSeq) || mode.fromSeq < 1) throw new RangeError(`fromSeq must be a positive integer, got ${mode.fromSeq}`);
      this.startSeq = mode.fromSeq;
      if (mode.fromSeq < firstBase) {
        throw new JournalError('JOURNAL_SEQ_UNAVAILABLE', `journal: records from seq ${mode.fromSeq} were requested but the journal starts at ${firstBase}`, {
          fromSeq: mode.fromSeq,
          firstSeq: firstBase,
        });
      }
    } else if (mode.useSnapshot && snaps.latest !== null) {
      this.startSeq = snaps.latest.seq + 1;
      this.snapshotPayload = snaps.latest.payload;
      this.summary.snapshotSeq = snaps.latest.seq;
    } else {
      this.startSeq = firstBase;
      if (mode.useSnapshot && firstBase > 1) {
        this.fail(segs[0].name, 0, 'gap', 0, `journal: no valid snapshot, and the first segment starts at seq ${firstBase} (records 1..${firstBase - 1} are missing)`);
      }
    }
    // Skip the segments wholly before startSeq.
    let i = 0;
    while (i + 1 < segs.length && segs[i + 1].baseSeq <= this.startSeq) i++;
    this.segIndex = i;
    if (i < segs.length && segs[i].baseSeq > this.startSeq && !this.finished) {
      this.fail(segs[i].name, 0, 'gap', this.startSeq - 1, `journal: records from seq ${this.startSeq} are needed but the journal continues at ${segs[i].baseSeq}`);
    }
  }

  /** Advances to the next record (or the snapshot); false at the end. */
  next(): boolean {
    const v = this.view;
    if (this.snapshotPayload !== null) {
      v.isSnapshot = true;
      v.type = SNAPSHOT_RECORD_TYPE;
      v.seq = this.summary.snapshotSeq ?? 0;
      v.buffer = this.snapshotPayload;
      v.offset = 0;
      v.length = this.snapshotPayload.length;
      this.snapshotPayload = null;
      return true;
    }
    v.isSnapshot = false;
    for (;;) {
      const r = this.reader;
      if (r !== null) {
        const start = this.startSeq;
        while (r.next()) {
          if (r.seq < start) continue;
          v.type = r.type;
          v.seq = r.seq;
          v.buffer = r.buf;
          v.offset = r.payloadOffset;
          v.length = r.length;
          const s = this.summary;
          if (s.firstSeq === null) s.firstSeq = r.seq;
          s.lastSeq = r.seq;
          s.records++;
          return true;
        }
        this.reader = null;
        this.finishSegment(r);
      }
      if (this.finished || this.segIndex >= this.plan.segments.length) {
        this.finished = true;
        return false;
      }
      this.openNext();
    }
  }

  /** Stops early and closes the open segment. */
  close(): void {
    this.reader?.close();
    this.reader = null;
    this.finished = true;
  }

  private openNext(): void {
    const seg = this.plan.segments[this.segIndex++];
    if (this.prevLastSeq >= 0 && seg.baseSeq !== this.prevLastSeq + 1) {
      // A gap between segments is harmless only when it is wholly covered by the latest snapshot and the read
      // starts after it (possible after a repair that cut records below a snapshot).
      const covered = seg.baseSeq <= this.latestSnapshotSeq + 1 && (this.reportCorruption || this.startSeq >= seg.baseSeq);
      if (!covered) {
        this.fail(seg.name, 0, 'gap', this.prevLastSeq, `journal: segment ${seg.name} starts at seq ${seg.baseSeq} but the previous segment ends at ${this.prevLastSeq}`);
        return;
      }
    }
    this.reader = new SegmentReader(join(this.plan.dir, seg.name), seg.baseSeq, this.chunk, this.maxPayload);
    this.summary.segments++;
    this.summary.bytes += this.reader.fileSize;
  }

  private finishSegment(r: SegmentReader): void {
    const seg = this.plan.segments[this.segIndex - 1];
    const isLast = this.segIndex === this.plan.segments.length;
    const p = r.problem;
    if (p === null) {
      this.prevLastSeq = r.lastSeq;
      this.summary.endSeq = r.lastSeq;
      return;
    }
    this.summary.endSeq = p.lastGoodSeq;
    if (isLast) {
      const cls = p.offset === 0
        ? { kind: r.fileSize <= SEGMENT_HEADER_BYTES ? 'torn' : 'corrupt', validAfter: 0, nextBatchOffset: -1 }
        : classifyBadRecord(r.path, p, r.fileSize, this.maxPayload);
      if (cls.kind === 'torn') {
        this.summary.tail = { segment: seg.name, offset: p.offset, reason: p.reason, lastGoodSeq: p.lastGoodSeq, bytes: r.fileSize - p.offset, validAfter: cls.validAfter };
        this.finished = true;
        return;
      }
      const where = cls.nextBatchOffset >= 0 ? `; a later batch starts at offset ${cls.nextBatchOffset}` : '; records follow it';
      this.fail(seg.name, p.offset, p.reason, p.lastGoodSeq, `journal: ${p.reason} at offset ${p.offset} of ${seg.name} after seq ${p.lastGoodSeq}${where}`);
      return;
    }
    this.fail(seg.name, p.offset, p.reason, p.lastGoodSeq, `journal: ${p.reason} at offset ${p.offset} of ${seg.name} (not the last segment) after seq ${p.lastGoodSeq}`);
  }

  private fail(segment: string, offset: number, reason: BadRecordReason | 'gap', lastGoodSeq: number, message: string): void {
    this.finished = true;
    this.corruption = { segment, offset, reason, lastGoodSeq, message };
    if (!this.reportCorruption) {
      throw new JournalError('JOURNAL_CORRUPT', message, { segment, offset, reason, lastGoodSeq });
    }
  }
}

/**
 * Reads a journal directory, calling onRecord for the snapshot (first, if any) and then each record in seq order.
 * The record is a view valid only during the call. Throws JOURNAL_CORRUPT, JOURNAL_SEQ_UNAVAILABLE or JOURNAL_IO.
 */
export function readJournal(dir: string, options: ReadOptions, onRecord: (record: JournalRecord) => void): ReadSummary {
  const scanner = new JournalScanner(planFor(dir), options, { useSnapshot: true, fromSeq: options.fromSeq, reportCorruption: false });
  const view = scanner.view;
  try {
    while (scanner.next()) onRecord(view);
  } finally {
    scanner.close();
  }
  return scanner.summary;
}

/**
 * The same as readJournal as a generator: yields one reused view per record (copy what you keep) and returns the
 * summary. Breaking out of the loop closes the open segment.
 */
export function* iterateJournal(dir: string, options: ReadOptions = {}): Generator<JournalRecord, ReadSummary, undefined> {
  const scanner = new JournalScanner(planFor(dir), options, { useSnapshot: true, fromSeq: options.fromSeq, reportCorruption: false });
  try {
    while (scanner.next()) yield scanner.view;
  } finally {
    scanner.close();
  }
  return scanner.summary;
}
