/**
 * The journal writer: an append-only log of typed records with group commit, segment rotation, snapshots and
 * crash recovery. The format is described in format.ts.
 *
 * Writing. append() assigns the next seq and copies the record into a pre-allocated, growable write buffer (no
 * allocation per append in steady state). The buffer is a group-commit batch: it is written with ONE positional
 * write and ONE fdatasync when it reaches `batchBytes`, or `maxDelayMs` after its first append, or on flush().
 * One batch is on its way to disk at a time; appends meanwhile go to a second buffer, which becomes the next batch.
 * whenDurable(seq) returns one shared promise per batch (created only if someone waits), or an already resolved
 * promise when seq is durable. With { commit: 'sync' } every append is written and fdatasync'ed before it returns.
 * Keep the event loop turning: a batch is written only when the loop gets control back. Appends never block: when
 * the disk is slower than the appends, batches (and the two buffers) grow; watch `bufferedBytes` for backpressure.
 *
 * INVARIANT the recovery rules below rely on: batch k+1 is written only after batch k's fdatasync returned (never
 * pipeline the write of one batch with the fdatasync of the previous), and every batch's first record carries the
 * BATCH_START flag.
 *
 * Segments rotate before a batch when the current segment has reached `segmentBytes`, so a batch never spans two
 * segments and a segment is complete and synced before the next one exists. writeSnapshot(seq, bytes) waits until
 * seq is durable, writes <seq>.snap atomically (temp, fsync, rename, fsync directory), keeps the newest
 * `retainSnapshots` snapshots and deletes the segments whose records are all <= the oldest kept snapshot
 * (keeping `retainSegments` of them), so a restart reads at most the segments after a recent snapshot.
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
import { crc32 } from './crc32.js';
import { acquireLock, ensureDirectory, fsyncDir, JOURNAL_FILE_MODE, listDirectory, releaseLock, writeSnapshotFile, type SegmentRef } from './directory.js';
import { JournalError, ioError } from './errors.js';
import {
  DEFAULT_MAX_PAYLOAD,
  FLAG_BATCH_START,
  MAX_PAYLOAD_LIMIT,
  RECORD_HEADER_BYTES,
  RECORD_OVERHEAD,
  SEGMENT_HEADER_BYTES,
  encodeSegmentHeader,
  segmentName,
} from './format.js';
import { createSegmentSync, recover, type OpenSegment, type Recovered, type RecoveryReport } from './recovery.js';

export type { CutReport, RecoveryReport } from './recovery.js';

export interface JournalTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * The two calls that put a batch on disk, on the segment's open file descriptor (node:fs by default). A seam for
 * tests that need a disk that fails (ENOSPC, EIO) without filling a real one; same contract as fs.write/fs.fdatasync.
 */
export interface JournalFileWrites {
  write(fd: number, data: Uint8Array, offset: number, length: number, position: number, callback: (err: NodeJS.ErrnoException | null, written: number) => void): void;
  fdatasync(fd: number, callback: (err: NodeJS.ErrnoException | null) => void): void;
}

const NODE_FILE_WRITES: JournalFileWrites = {
  write: (fd, data, offset, length, position, callback) => fs.write(fd, data, offset, length, position, callback),
  fdatasync: (fd, callback) => fs.fdatasync(fd, callback),
};

export interface JournalOptions {
  /** Rotate to a new segment file once the current one reaches this size. Default 64 MiB. */
  segmentBytes?: number;
  /** Write a batch as soon as it holds this many bytes. Default 1 MiB. */
  batchBytes?: number;
  /** Write a batch at most this long after its first append. Default 2 ms. 0: on the next timer tick. */
  maxDelayMs?: number;
  /** 'group' (default): group commit. 'sync': every append is written and fdatasync'ed before it returns. */
  commit?: 'group' | 'sync';
  /** Initial size of each of the two write buffers (they grow when a batch outgrows them). Default 2 x batchBytes. */
  initialBufferBytes?: number;
  /** Largest payload accepted; the reader must use the same value. Default 16 MiB, at most 2^28 - 1. */
  maxPayloadBytes?: number;
  /** Snapshots kept by writeSnapshot (the newest ones). Default 2. */
  retainSnapshots?: number;
  /** Segments wholly before the oldest kept snapshot that are kept anyway (newest ones). Default 0. */
  retainSegments?: number;
  /** What open does about corruption: 'none' (default) throws JOURNAL_CORRUPT; 'truncate' cuts the journal there. */
  repair?: 'none' | 'truncate';
  /** Recovery checks every record of every segment ('full', default) or only the last segment ('tail'). */
  verify?: 'full' | 'tail';
  /** Take the directory lock (LOCK file with pid). Default true. */
  lock?: boolean;
  /** Timer functions for maxDelayMs (tests may inject fakes). Default: the global timers. */
  timers?: JournalTimers;
  /** Called once when a background write or fdatasync fails (the journal is failed from then on). */
  onError?: (error: JournalError) => void;
  /** How group-commit batches are written and synced (default node:fs; tests inject failures). */
  fileWrites?: JournalFileWrites;
}

export interface SnapshotInfo {
  readonly seq: number;
  readonly file: string;
  readonly deletedSegments: readonly string[];
  readonly deletedSnapshots: readonly string[];
}

export interface JournalStats {
  /** Batches written (each one write + one fdatasync). */
  batches: number;
  bytesWritten: number;
  largestBatchBytes: number;
  rotations: number;
}

const STATE_OPEN = 0;
const STATE_CLOSING = 1;
const STATE_CLOSED = 2;
const STATE_FAILED = 3;

/** One group-commit batch's durability promise, created only when someone waits for it. */
class Batch {
  lastSeq = 0;
  promise: Promise<void> | null = null;
  private resolveFn: (() => void) | null = null;
  private rejectFn: ((err: Error) => void) | null = null;

  wait(): Promise<void> {
    if (this.promise === null) {
      this.promise = new Promise<void>((resolve, reject) => {
        this.resolveFn = resolve;
        this.rejectFn = reject;
      });
    }
    return this.promise;
  }

  settle(err: Error | null): void {
    if (err === null) this.resolveFn?.();
    else this.rejectFn?.(err);
    this.promise = null;
    this.resolveFn = null;
    this.rejectFn = null;
  }
}

const MiB = 1024 * 1024;

export class Journal {
  readonly dir: string;
  readonly recovery: RecoveryReport;
  readonly stats: JournalStats = { batches: 0, bytesWritten: 0, largestBatchBytes: 0, rotations: 0 };

  private readonly segmentBytes: number;
  private readonly batchBytes: number;
  private readonly maxDelayMs: number;
  private readonly syncCommit: boolean;
  private readonly maxPayload: number;
  private readonly retainSnapshots: number;
  private readonly retainSegments: number;
  private readonly timers: JournalTimers;
  private readonly onError: ((error: JournalError) => void) | undefined;
  private readonly io: JournalFileWrites;
  private readonly lockPath: string | null;
  private readonly resolved = Promise.resolve();
  private readonly onTimer: () => void;

  private state = STATE_OPEN;
  private failure: JournalError | null = null;
  private readonly segments: SegmentRef[];
  private seg: OpenSegment;

  /** The batch being filled. */
  private buf: Uint8Array;
  private pos = 0;
  /** The buffer of the batch being written (do not touch until that write completes). */
  private spare: Uint8Array;
  private nextSeq: number;
  private durable: number;
  private batchFirstSeq = 0;
  private active = new Batch();
  private inflight: Batch | null = null;
  private spareBatch = new Batch();
  private flushing = false;
  private inflightBytes = 0;
  private flushRequested = false;
  private timer: unknown = null;
  private snapshotTail: Promise<unknown> = Promise.resolve();

  private constructor(dir: string, o: JournalOptions, rec: Recovered, lockPath: string | null) {
    this.dir = dir;
    this.segmentBytes = o.segmentBytes ?? 64 * MiB;
    this.batchBytes = o.batchBytes ?? MiB;
    this.maxDelayMs = o.maxDelayMs ?? 2;
    this.syncCommit = o.commit === 'sync';
    this.maxPayload = o.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD;
    this.retainSnapshots = Math.max(1, o.retainSnapshots ?? 2);
    this.retainSegments = Math.max(0, o.retainSegments ?? 0);
    this.timers = o.timers ?? { setTimeout: (cb, ms) => setTimeout(cb, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };
    this.onError = o.onError;
    this.io = o.fileWrites ?? NODE_FILE_WRITES;
    this.lockPath = lockPath;
    const initial = Math.max(o.initialBufferBytes ?? 2 * this.batchBytes, 4096);
    this.buf = new Uint8Array(initial);
    this.spare = new Uint8Array(initial);
    this.segments = rec.segments;
    this.seg = rec.open;
    this.nextSeq = rec.lastSeq + 1;
    this.durable = rec.lastSeq;
    this.recovery = rec.report;
    this.onTimer = () => {
      this.timer = null;
      this.requestFlush();
    };
  }

  /**
   * Opens (creating if needed) the journal in `dir` and recovers it: see the corruption policy above.
   * Throws JOURNAL_CORRUPT, JOURNAL_LOCKED or JOURNAL_IO.
   */
  static async open(dir: string, options: JournalOptions = {}): Promise<Journal> {
    validateOptions(options);
    ensureDirectory(dir);
    const lockPath = options.lock === false ? null : acquireLock(dir);
    try {
      const rec = recover(dir, options);
      return new Journal(dir, options, rec, lockPath);
    } catch (err) {
      if (lockPath !== null) releaseLock(lockPath);
      throw err;
    }
  }

  /** Seq of the last appended record (0 when none). */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /** Seq of the last record known to be on disk (written and fdatasync'ed). */
  get durableSeq(): number {
    return this.durable;
  }

  /**
   * Bytes appended but not yet durable: the batch being filled plus the one being written. Appends never block;
   * a caller that can outpace the disk should watch this for backpressure.
   */
  get bufferedBytes(): number {
    return this.pos + this.inflightBytes;
  }

  /** Name of the segment file being written. */
  get currentSegment(): string {
    return this.seg.name;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  get closed(): boolean {
    return this.state === STATE_CLOSED;
  }

  /**
   * Appends a record and returns its seq. The payload is copied; the record is durable once whenDurable(seq)
   * resolves. type: 1..255. Throws RangeError on a bad type or a payload above maxPayloadBytes, and JournalError
   * (JOURNAL_CLOSED or the JOURNAL_IO failure) when the journal is closed or failed.
   */
  append(type: number, payload: Uint8Array): number {
    const len = payload.length;
    const p = this.reserve(type, len);
    const b = this.buf;
    const at = p + RECORD_HEADER_BYTES;
    if (len <= 48) {
      for (let i = 0; i < len; i++) b[at + i] = payload[i];
    } else {
      b.set(payload, at);
    }
    return this.finish(p, type, len);
  }

  /**
   * Appends a record whose payload `encode` writes straight into the write buffer: encode(buf, offset) writes at
   * most maxLength bytes at buf[offset...] and returns how many it wrote. Saves the copy of append(). If encode
   * throws, nothing is appended.
   */
  appendWith(type: number, maxLength: number, encode: (buf: Uint8Array, offset: number) => number): number {
    const p = this.reserve(type, maxLength);
    const len = encode(this.buf, p + RECORD_HEADER_BYTES);
    if (!(len >= 0 && len <= maxLength) || len !== Math.floor(len)) {
      throw new RangeError(`appendWith: encode returned ${len}, expected an integer in 0..${maxLength}`);
    }
    return this.finish(p, type, len);
  }

  private reserve(type: number, len: number): number {
    if (this.state !== STATE_OPEN) throw this.unusable();
    if ((type & 0xff) !== type || type === 0) throw new RangeError(`journal record type must be 1..255, got ${type}`);
    if (len > this.maxPayload) throw new RangeError(`journal payload of ${len} bytes exceeds maxPayloadBytes ${this.maxPayload}`);
    const p = this.pos;
    const need = p + len + RECORD_OVERHEAD;
    if (need > this.buf.length) this.grow(need);
    return p;
  }

  private finish(p: number, type: number, len: number): number {
    const b = this.buf;
    const seq = this.nextSeq;
    const word = p === 0 ? len | FLAG_BATCH_START : len;
    b[p] = word;
    b[p + 1] = word >>> 8;
    b[p + 2] = word >>> 16;
    b[p + 3] = word >>> 24;
    b[p + 4] = type;
    const lo = seq >>> 0;
    const hi = (seq - lo) / 4294967296;
    b[p + 5] = lo;
    b[p + 6] = lo >>> 8;
    b[p + 7] = lo >>> 16;
    b[p + 8] = lo >>> 24;
    b[p + 9] = hi;
    b[p + 10] = hi >>> 8;
    b[p + 11] = hi >>> 16;
    b[p + 12] = hi >>> 24;
    const c = p + RECORD_HEADER_BYTES + len;
    const crc = crc32(b, p, c);
    b[c] = crc;
    b[c + 1] = crc >>> 8;
    b[c + 2] = crc >>> 16;
    b[c + 3] = crc >>> 24;
    this.pos = c + 4;
    this.nextSeq = seq + 1;
    if (this.syncCommit) {
      this.batchFirstSeq = seq;
      this.writeNowSync();
    } else {
      if (p === 0) {
        this.batchFirstSeq = seq;
        if (this.timer === null) this.timer = this.timers.setTimeout(this.onTimer, this.maxDelayMs);
      }
      if (this.pos >= this.batchBytes) this.requestFlush();
    }
    return seq;
  }

  private grow(min: number): void {
    let size = this.buf.length * 2;
    while (size < min) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(this.buf.subarray(0, this.pos));
    this.buf = bigger;
  }

  /** Resolves when every record appended so far is durable. Starts writing the current batch now. */
  flush(): Promise<void> {
    const last = this.nextSeq - 1;
    if (last <= this.durable) return this.failure ? Promise.reject(this.failure) : this.resolved;
    this.requestFlush();
    return this.whenDurable(last);
  }

  /**
   * Resolves when record `seq` is durable; rejects with the JOURNAL_IO failure if its batch could not be written.
   * Cheap: an already resolved promise when it is durable, else the batch's shared promise. Does not hurry the
   * batch (it goes at batchBytes or maxDelayMs); call flush() for that.
   */
  whenDurable(seq: number): Promise<void> {
    if (seq <= this.durable) return this.resolved;
    if (this.failure !== null) return Promise.reject(this.failure);
    if (seq >= this.nextSeq) throw new RangeError(`whenDurable(${seq}): the last appended seq is ${this.nextSeq - 1}`);
    const inflight = this.inflight;
    return inflight !== null && seq <= inflight.lastSeq ? inflight.wait() : this.active.wait();
  }

  private requestFlush(): void {
    if (this.failure !== null || this.pos === 0) return;
    if (this.flushing) {
      this.flushRequested = true;
      return;
    }
    this.startFlush();
  }

  private startFlush(): void {
    if (this.timer !== null) {
      this.timers.clearTimeout(this.timer);
      this.timer = null;
    }
    this.flushRequested = false;
    const data = this.buf;
    const len = this.pos;
    const firstSeq = this.batchFirstSeq;
    const batch = this.active;
    batch.lastSeq = this.nextSeq - 1;
    this.buf = this.spare;
    this.spare = data;
    this.pos = 0;
    this.active = this.spareBatch;
    this.inflight = batch;
    this.inflightBytes = len;
    this.flushing = true;
    this.writeBatch(data, len, firstSeq).then(
      () => this.batchDone(batch, len),
      (err: unknown) => this.batchFailed(batch, err),
    );
  }

  private async writeBatch(data: Uint8Array, len: number, firstSeq: number): Promise<void> {
    if (this.seg.size >= this.segmentBytes && this.seg.size > SEGMENT_HEADER_BYTES) await this.rotate(firstSeq);
    const seg = this.seg;
    await writeAll(this.io, seg.fd, data, len, seg.size);
    await fdatasync(this.io, seg.fd);
    seg.size += len;
  }

  private batchDone(batch: Batch, len: number): void {
    this.flushing = false;
    this.inflight = null;
    this.inflightBytes = 0;
    this.durable = batch.lastSeq;
    const s = this.stats;
    s.batches++;
    s.bytesWritten += len;
    if (len > s.largestBatchBytes) s.largestBatchBytes = len;
    this.spareBatch = batch;
    batch.settle(null);
    if (this.pos > 0 && (this.flushRequested || this.pos >= this.batchBytes || this.state === STATE_CLOSING)) this.startFlush();
  }

  private batchFailed(batch: Batch, err: unknown): void {
    this.flushing = false;
    this.inflight = null;
    this.inflightBytes = 0;
    const e = err instanceof JournalError ? err : ioError('write batch', join(this.dir, this.seg.name), err);
    this.fail(e);
    batch.settle(e);
  }

  private fail(e: JournalError): void {
    if (this.failure !== null) return;
    this.failure = e;
    if (this.state === STATE_OPEN || this.state === STATE_CLOSING) this.state = STATE_FAILED;
    if (this.timer !== null) {
      this.timers.clearTimeout(this.timer);
      this.timer = null;
    }
    this.active.settle(e);
    this.onError?.(e);
  }

  private unusable(): JournalError {
    if (this.failure !== null) return this.failure;
    return new JournalError('JOURNAL_CLOSED', `journal: ${this.dir} is closed`, { dir: this.dir });
  }

  /** Sync commit: write the one-record batch and fdatasync before returning. */
  private writeNowSync(): void {
    const len = this.pos;
    try {
      if (this.seg.size >= this.segmentBytes && this.seg.size > SEGMENT_HEADER_BYTES) this.rotateSync(this.batchFirstSeq);
      const seg = this.seg;
      let off = 0;
      while (off < len) off += fs.writeSync(seg.fd, this.buf, off, len - off, seg.size + off);
      fs.fdatasyncSync(seg.fd);
      seg.size += len;
    } catch (err) {
      const e = err instanceof JournalError ? err : ioError('write record', join(this.dir, this.seg.name), err);
      this.pos = 0;
      this.fail(e);
      throw e;
    }
    this.pos = 0;
    this.durable = this.nextSeq - 1;
    const s = this.stats;
    s.batches++;
    s.bytesWritten += len;
    if (len > s.largestBatchBytes) s.largestBatchBytes = len;
  }

  private async rotate(baseSeq: number): Promise<void> {
    const name = segmentName(baseSeq);
    const path = join(this.dir, name);
    let fd = -1;
    try {
      fd = await new Promise<number>((resolve, reject) => fs.open(path, 'wx+', JOURNAL_FILE_MODE, (err, f) => (err ? reject(err) : resolve(f))));
      const header = encodeSegmentHeader(baseSeq);
      await writeAll(this.io, fd, header, header.length, 0);
      await fdatasync(this.io, fd);
    } catch (err) {
      if (fd >= 0) fs.close(fd, () => undefined);
      throw ioError('create segment', path, err);
    }
    await fsyncDir(this.dir);
    this.switchSegment(fd, name, baseSeq);
  }

  private rotateSync(baseSeq: number): void {
    const { fd, name } = createSegmentSync(this.dir, baseSeq);
    this.switchSegment(fd, name, baseSeq);
  }

  private switchSegment(fd: number, name: string, baseSeq: number): void {
    const old = this.seg.fd;
    this.seg = { fd, name, baseSeq, size: SEGMENT_HEADER_BYTES };
    this.segments.push({ name, baseSeq });
    this.stats.rotations++;
    fs.close(old, () => undefined); // its data was fdatasync'ed with its last batch
  }

  /**
   * Writes a snapshot "state as of seq" (all records <= seq applied), then applies retention. Waits until seq is
   * durable first. Snapshots are written one at a time, in call order. Do not modify `bytes` until this resolves.
   */
  writeSnapshot(seq: number, bytes: Uint8Array): Promise<SnapshotInfo> {
    if (this.state !== STATE_OPEN) return Promise.reject(this.unusable());
    if (!Number.isSafeInteger(seq) || seq < 1 || seq >= this.nextSeq) {
      return Promise.reject(new RangeError(`writeSnapshot(${seq}): seq must be 1..${this.nextSeq - 1}`));
    }
    const run = async (): Promise<SnapshotInfo> => {
      await this.whenDurable(seq);
      const file = await writeSnapshotFile(this.dir, seq, bytes);
      const { deletedSegments, deletedSnapshots } = await this.applyRetention();
      return { seq, file, deletedSegments, deletedSnapshots };
    };
    const result = this.snapshotTail.then(run, run);
    this.snapshotTail = result.catch(() => undefined);
    return result;
  }

  private async applyRetention(): Promise<{ deletedSegments: string[]; deletedSnapshots: string[] }> {
    const snapshots = listDirectory(this.dir).snapshots;
    const deletedSnapshots = snapshots.slice(0, Math.max(0, snapshots.length - this.retainSnapshots)).map((s) => s.name);
    const kept = snapshots.slice(deletedSnapshots.length);
    const deletedSegments: string[] = [];
    if (kept.length > 0) {
      const cutoff = kept[0].seq;
      const segs = this.segments;
      let whollyBefore = 0;
      while (whollyBefore + 1 < segs.length && segs[whollyBefore + 1].baseSeq <= cutoff + 1) whollyBefore++;
      const n = Math.max(0, whollyBefore - this.retainSegments);
      for (const s of segs.splice(0, n)) deletedSegments.push(s.name);
    }
    if (deletedSegments.length === 0 && deletedSnapshots.length === 0) return { deletedSegments, deletedSnapshots };
    for (const name of [...deletedSnapshots, ...deletedSegments]) {
      try {
        await fs.promises.rm(join(this.dir, name), { force: true });
      } catch (err) {
        throw ioError('delete', join(this.dir, name), err);
      }
    }
    await fsyncDir(this.dir);
    return { deletedSegments, deletedSnapshots };
  }

  /** Writes what is buffered, waits for it and for pending snapshots, then closes the files and the lock. */
  async close(): Promise<void> {
    if (this.state === STATE_CLOSED || this.state === STATE_CLOSING) return;
    if (this.state === STATE_FAILED) {
      this.release();
      return;
    }
    this.state = STATE_CLOSING;
    try {
      if (this.nextSeq - 1 > this.durable) {
        this.requestFlush();
        await this.whenDurable(this.nextSeq - 1);
      }
      await this.snapshotTail;
    } finally {
      this.release();
    }
  }

  private release(): void {
    if (this.timer !== null) {
      this.timers.clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.seg.fd >= 0) {
      try {
        fs.closeSync(this.seg.fd);
      } catch {
        // already durable or already failed
      }
      this.seg.fd = -1;
    }
    if (this.lockPath !== null) releaseLock(this.lockPath);
    this.state = STATE_CLOSED;
  }
}

function validateOptions(o: JournalOptions): void {
  const positive = (name: string, v: number | undefined, min: number): void => {
    if (v !== undefined && !(Number.isSafeInteger(v) && v >= min)) throw new RangeError(`journal option ${name} must be an integer >= ${min}, got ${v}`);
  };
  positive('segmentBytes', o.segmentBytes, SEGMENT_HEADER_BYTES + RECORD_OVERHEAD);
  positive('batchBytes', o.batchBytes, 1);
  positive('maxDelayMs', o.maxDelayMs, 0);
  positive('initialBufferBytes', o.initialBufferBytes, 1);
  positive('maxPayloadBytes', o.maxPayloadBytes, 0);
  positive('retainSnapshots', o.retainSnapshots, 1);
  positive('retainSegments', o.retainSegments, 0);
  if (o.maxPayloadBytes !== undefined && o.maxPayloadBytes > MAX_PAYLOAD_LIMIT) {
    throw new RangeError(`journal option maxPayloadBytes must be at most ${MAX_PAYLOAD_LIMIT}`);
  }
}

function writeAll(io: JournalFileWrites, fd: number, data: Uint8Array, len: number, position: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const step = (done: number): void => {
      io.write(fd, data, done, len - done, position + done, (err, n) => {
        if (err) reject(err);
        else if (done + n < len) step(done + n);
        else resolve();
      });
    };
    step(0);
  });
}

function fdatasync(io: JournalFileWrites, fd: number): Promise<void> {
  return new Promise<void>((resolve, reject) => io.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}
