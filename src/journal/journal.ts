/**
 * The journal writer: an append-only log of typed records with group commit, segment rotation, snapshots and
 * crash recovery. The format is described in format.ts.
 *
 * Writing. append() assigns the next seq and copies the record into a pre-allocated, growable write buffer (no
 * allocation per append in steady state). The buffer is a group-commit batch: it is made durable with ONE positional
 * write — on the segment file opened with O_DSYNC (directory.ts: SEGMENT_SYNC_FLAG), so the write returns once the
 * data is on stable storage, as write + fdatasync would, in one trip through the thread pool; where the platform has
 * no O_DSYNC, a write then an fdatasync — when it reaches `batchBytes`, or `maxDelayMs` after its first append, or on
 * flush(). maxDelayMs 0 (the default) writes as soon as the disk is free: when the code that made the batch's first
 * append returns (a microtask: the rest of that synchronous code joins the batch), or the moment the batch before it is
 * durable; so a lone record waits one synchronous write, and under load batches grow by themselves to whatever arrived
 * during the previous write. With a flush deferral (setFlushDeferral: the daemon's, while orders are queued for the
 * dispatch cycle) a batch begun with the disk free waits for that cycle once, so that an API order's ORDER record and
 * the dispatcher's decision about it are one write, not two in a row.
 * One batch is on its way to disk at a time; appends meanwhile go to a second buffer, which becomes the next batch.
 * whenDurable(seq) returns one shared promise per batch (created only if someone waits), or an already resolved
 * promise when seq is durable. With { commit: 'sync' } every append is written durably before it returns.
 * Keep the event loop turning: a batch is written only when the loop gets control back. Appends never block: when
 * the disk is slower than the appends, batches (and the two buffers) grow; watch `bufferedBytes` for backpressure.
 *
 * INVARIANT the recovery rules (recovery.ts) rely on: batch k+1 is written only after batch k is durable (its
 * synchronous write, or its fdatasync, returned: never pipeline the write of one batch with the sync of the previous),
 * and every batch's first record carries the BATCH_START flag.
 *
 * Segments rotate before a batch when the current segment has reached `segmentBytes`, so a batch never spans two
 * segments and a segment is complete and synced before the next one exists. A snapshot (beginSnapshot, its pieces,
 * commitSnapshot; or writeSnapshot at once) becomes <seq>.snap atomically once seq is durable (temp file, fsync,
 * rename, fsync directory); retention then keeps the newest
 * `retainSnapshots` snapshots and deletes the segments whose records are all <= the oldest kept snapshot
 * (keeping `retainSegments` of them), so a restart reads at most the segments after a recent snapshot.
 *
 * Opening recovers the directory first (recovery.ts: torn tails cut, corruption refused or repaired; the policy is
 * described there).
 */
import { join } from 'node:path';
import { crc32 } from './crc32.js';
import { acquireLock, ensureDirectory, releaseLock } from './directory.js';
import { JournalError, ioError } from './errors.js';
import { FLAG_BATCH_START, RECORD_HEADER_BYTES, RECORD_OVERHEAD, DEFAULT_MAX_PAYLOAD } from './format.js';
import { Batch } from './group-commit.js';
import { NODE_FILE_WRITES, validateOptions, type JournalFileWrites, type JournalOptions, type JournalTimers } from './journal-options.js';
import { recover, type Recovered, type RecoveryReport } from './recovery.js';
import { SegmentFiles } from './segment-files.js';
import { JournalSnapshots, type SnapshotInfo } from './journal-snapshots.js';
import type { SnapshotWriter } from './snapshot-writer.js';

export type { CutReport, RecoveryReport } from './recovery.js';
export type { JournalFileWrites, JournalOptions, JournalTimers } from './journal-options.js';
export type { PieceSink, SnapshotWriter } from './snapshot-writer.js';
export type { SnapshotInfo } from './journal-snapshots.js';

export interface JournalStats {
  /** Batches written (each one synchronous write, or one write + one fdatasync). */
  batches: number;
  bytesWritten: number;
  largestBatchBytes: number;
  rotations: number;
}

const STATE_OPEN = 0;
const STATE_CLOSING = 1;
const STATE_CLOSED = 2;
const STATE_FAILED = 3;

const MiB = 1024 * 1024;

/** A 0 ms "timer": a microtask, canceled by a flag (a microtask cannot be dequeued). */
interface MicrotaskTimer {
  canceled: boolean;
}

/**
 * The global timers. 0 ms is a microtask: it runs when the code that made the batch's first append returns (the rest
 * of a dispatch cycle still joins the batch), before the event loop goes on. Not a setImmediate: queued from a dispatch
 * cycle (itself a setImmediate), that would run only after the next poll phase, so the write would wait for every socket
 * read and I/O callback of that phase. Not a 1 ms timer either.
 */
const GLOBAL_TIMERS: JournalTimers = {
  setTimeout: (cb, ms) => {
    if (ms !== 0) return setTimeout(cb, ms);
    const timer: MicrotaskTimer = { canceled: false };
    queueMicrotask(() => {
      if (!timer.canceled) cb();
    });
    return timer;
  },
  clearTimeout: (h) => {
    if (typeof h === 'object' && h !== null && 'canceled' in h) (h as MicrotaskTimer).canceled = true;
    else clearTimeout(h as NodeJS.Timeout);
  },
};

/** See Journal.setDurableBatchListener. */
export type DurableBatchListener = (bytes: Uint8Array, firstSeq: number, lastSeq: number) => void;

/**
 * See Journal.setFlushDeferral: `pending()` says whether work is queued that will append the rest of what the batch's
 * first records began (orders queued for the dispatch cycle), `later(run)` runs `run` after that work (the daemon:
 * setImmediate, behind the dispatch cycle's own immediate).
 */
export interface FlushDeferral {
  pending(): boolean;
  later(run: () => void): void;
}

export class Journal {
  readonly dir: string;
  readonly recovery: RecoveryReport;
  readonly stats: JournalStats = { batches: 0, bytesWritten: 0, largestBatchBytes: 0, rotations: 0 };

  private readonly segmentBytes: number;
  private readonly batchBytes: number;
  private readonly maxDelayMs: number;
  private readonly syncCommit: boolean;
  private readonly maxPayload: number;
  private readonly timers: JournalTimers;
  private readonly onError: ((error: JournalError) => void) | undefined;
  private readonly io: JournalFileWrites;
  private readonly lockPath: string | null;
  private readonly resolved = Promise.resolve();
  private readonly onTimer: () => void;

  private state = STATE_OPEN;
  private failure: JournalError | null = null;
  /** The segment files: the one being written, and the list retention trims. */
  private readonly files: SegmentFiles;

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
  /** First seq of the batch being written. */
  private inflightFirstSeq = 0;
  private durableBatchListener: DurableBatchListener | undefined;
  private flushDeferral: FlushDeferral | undefined;
  private readonly onDeferred: () => void;
  private timer: unknown = null;
  private readonly snapshots: JournalSnapshots;

  private constructor(dir: string, o: JournalOptions, rec: Recovered, lockPath: string | null) {
    this.dir = dir;
    this.segmentBytes = o.segmentBytes ?? 64 * MiB;
    this.batchBytes = o.batchBytes ?? MiB;
    this.maxDelayMs = o.maxDelayMs ?? 0;
    this.syncCommit = o.commit === 'sync';
    this.maxPayload = o.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD;
    this.timers = o.timers ?? GLOBAL_TIMERS;
    this.onError = o.onError;
    this.io = o.fileWrites ?? NODE_FILE_WRITES;
    this.lockPath = lockPath;
    const initial = Math.max(o.initialBufferBytes ?? 2 * this.batchBytes, 4096);
    this.buf = new Uint8Array(initial);
    this.spare = new Uint8Array(initial);
    this.files = new SegmentFiles(dir, rec.segments, rec.open, this.segmentBytes, this.io, this.stats);
    this.snapshots = new JournalSnapshots(dir, this.files.list, Math.max(1, o.retainSnapshots ?? 2), Math.max(0, o.retainSegments ?? 0), (seq) => this.whenDurable(seq));
    this.snapshots.floor = o.retentionFloor;
    this.nextSeq = rec.lastSeq + 1;
    this.durable = rec.lastSeq;
    this.recovery = rec.report;
    this.onTimer = () => {
      this.timer = null;
      // the disk is free and the batch's first records were appended outside the dispatch cycle that will append the
      // rest (an API order's ORDER record; its SUBMIT comes in the cycle): written after that cycle, in one batch
      const d = this.flushDeferral;
      if (d !== undefined && !this.flushing && this.maxDelayMs === 0 && d.pending()) d.later(this.onDeferred);
      else this.requestFlush();
    };
    this.onDeferred = () => this.requestFlush();
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

  /** Seq of the last record known to be on disk (its write durable). */
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
    return this.files.current.name;
  }

  get segmentCount(): number {
    return this.files.list.length;
  }

  get closed(): boolean {
    return this.state === STATE_CLOSED;
  }

  /** True while appends and snapshots are taken: not closing, closed or failed. */
  get acceptsWrites(): boolean {
    return this.state === STATE_OPEN;
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
    this.inflightFirstSeq = firstSeq;
    this.flushing = true;
    this.files.writeBatch(data, len, firstSeq).then(
      () => this.batchDone(batch, len),
      (err: unknown) => this.batchFailed(batch, err),
    );
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
    // before the next flush: it hands this buffer back to the appends
    this.durableBatchListener?.(this.spare.subarray(0, len), this.inflightFirstSeq, batch.lastSeq);
    batch.settle(null);
    if (this.pos > 0 && (this.flushRequested || this.pos >= this.batchBytes || this.state === STATE_CLOSING)) this.startFlush();
  }

  private batchFailed(batch: Batch, err: unknown): void {
    this.flushing = false;
    this.inflight = null;
    this.inflightBytes = 0;
    const e = err instanceof JournalError ? err : ioError('write batch', join(this.dir, this.files.current.name), err);
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

  /** Sync commit: write the one-record batch durably before returning. */
  private writeNowSync(): void {
    const len = this.pos;
    try {
      this.files.writeSync(this.buf, len, this.batchFirstSeq);
    } catch (err) {
      const e = err instanceof JournalError ? err : ioError('write record', join(this.dir, this.files.current.name), err);
      this.pos = 0;
      this.fail(e);
      throw e;
    }
    this.pos = 0;
    this.durable = this.nextSeq - 1;
    this.durableBatchListener?.(this.buf.subarray(0, len), this.batchFirstSeq, this.durable);
    const s = this.stats;
    s.batches++;
    s.bytesWritten += len;
    if (len > s.largestBatchBytes) s.largestBatchBytes = len;
  }

  /**
   * Starts a snapshot "state as of seq" (all records <= seq applied), written piece by piece as it is made (see
   * snapshot-writer.ts); commitSnapshot makes it the journal's newest, abortSnapshot drops it. Throws JOURNAL_CLOSED
   * (or the failure) when the journal is not open, RangeError for a seq not appended. A snapshot begun and neither
   * committed nor aborted when the journal closes is aborted then (its temp file removed).
   */
  beginSnapshot(seq: number): SnapshotWriter {
    if (this.state !== STATE_OPEN) throw this.unusable();
    if (!Number.isSafeInteger(seq) || seq < 1 || seq >= this.nextSeq) throw new RangeError(`snapshot of seq ${seq}: seq must be 1..${this.nextSeq - 1}`);
    return this.snapshots.begin(seq);
  }

  /**
   * Finishes a snapshot begun here: once its seq is durable it becomes <seq>.snap (atomically), then retention
   * applies (snapshot-retention.ts). Snapshots are committed one at a time, in call order.
   */
  commitSnapshot(writer: SnapshotWriter): Promise<SnapshotInfo> {
    return this.snapshots.commit(writer, this.state === STATE_OPEN ? null : this.unusable());
  }

  /**
   * Holds snapshot retention back: the records after floor() and the newest snapshot at or before it are kept (see
   * snapshot-retention.ts). Read after each snapshot; undefined removes the floor.
   */
  /**
   * Called with every batch once it is durable, in seq order, before any later one: its bytes as written to the
   * segment (whole records, segment format: format.ts), its first and last seq. The bytes are the journal's buffer:
   * valid during the call only (copy what is kept). One listener (undefined: none). It must not throw or append.
   */
  setDurableBatchListener(listener: DurableBatchListener | undefined): void {
    this.durableBatchListener = listener;
  }

  /**
   * maxDelayMs 0: when the disk is free and a batch's first append comes while `deferral.pending()` (orders are queued
   * for the dispatch cycle), the batch is written after `deferral.later` runs (the cycle has appended their decisions)
   * rather than when the code that made the append returns. An order from the API appends its ORDER record when it is
   * queued and its SUBMIT (or DENY) in the cycle: written at once, the ORDER record alone would take one write and its
   * decision, which the order's answer waits for, a second one after it. Deferred once per batch (`later` always runs
   * what it is given: nothing waits longer than that); a batch that fills (batchBytes) or a flush() goes at once.
   * undefined: none.
   */
  setFlushDeferral(deferral: FlushDeferral | undefined): void {
    this.flushDeferral = deferral;
  }

  setRetentionFloor(floor: (() => number) | undefined): void {
    this.snapshots.floor = floor;
  }

  /** Seq of the first record still in the journal's segments (1 when none was deleted; lastSeq + 1 when empty). */
  get firstSeq(): number {
    return this.files.list[0]?.baseSeq ?? this.nextSeq;
  }

  /** Drops a snapshot begun here (nothing is left of it on disk). */
  abortSnapshot(writer: SnapshotWriter): Promise<void> {
    return this.snapshots.abort(writer);
  }

  /** Writes a snapshot of `bytes` at once (begin, one piece, commit). Do not modify `bytes` until this resolves. */
  writeSnapshot(seq: number, bytes: Uint8Array): Promise<SnapshotInfo> {
    let writer: SnapshotWriter;
    try {
      writer = this.beginSnapshot(seq);
    } catch (err) {
      return Promise.reject(err);
    }
    writer.write(bytes, bytes.length);
    return this.commitSnapshot(writer);
  }

  /** Writes what is buffered, waits for it and for snapshots being committed, then closes the files and the lock. */
  async close(): Promise<void> {
    if (this.state === STATE_CLOSED || this.state === STATE_CLOSING) return;
    const failed = this.state === STATE_FAILED;
    this.state = STATE_CLOSING;
    try {
      await this.snapshots.abortOpen();
      if (!failed && this.nextSeq - 1 > this.durable) {
        this.requestFlush();
        await this.whenDurable(this.nextSeq - 1);
      }
      await this.snapshots.settled();
    } finally {
      this.release();
    }
  }

  private release(): void {
    if (this.timer !== null) {
      this.timers.clearTimeout(this.timer);
      this.timer = null;
    }
    this.files.closeCurrent();
    if (this.lockPath !== null) releaseLock(this.lockPath);
    this.state = STATE_CLOSED;
  }
}
