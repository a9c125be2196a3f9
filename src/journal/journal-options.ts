/** The journal's options (Journal.open), their checks, and the seams tests use (timers, the file writes of a batch). */
import fs from 'node:fs';
import type { JournalError } from './errors.js';
import { MAX_PAYLOAD_LIMIT, RECORD_OVERHEAD, SEGMENT_HEADER_BYTES } from './format.js';

export interface JournalTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * The calls that put a batch on disk, on the segment's open file descriptor (node:fs by default). A seam for tests
 * that need a disk that fails (ENOSPC, EIO) without filling a real one; same contract as fs.write/fs.fdatasync. The
 * segment is opened with O_DSYNC where the platform has it (directory.ts: SEGMENT_SYNC_FLAG): then `write` is what
 * makes a batch durable and `fdatasync` is not called; without it every write is followed by an fdatasync.
 */
export interface JournalFileWrites {
  write(fd: number, data: Uint8Array, offset: number, length: number, position: number, callback: (err: NodeJS.ErrnoException | null, written: number) => void): void;
  fdatasync(fd: number, callback: (err: NodeJS.ErrnoException | null) => void): void;
}

/** node:fs, the default. */
export const NODE_FILE_WRITES: JournalFileWrites = {
  write: (fd, data, offset, length, position, callback) => fs.write(fd, data, offset, length, position, callback),
  fdatasync: (fd, callback) => fs.fdatasync(fd, callback),
};

export interface JournalOptions {
  /** Rotate to a new segment file once the current one reaches this size. Default 64 MiB. */
  segmentBytes?: number;
  /** Write a batch as soon as it holds this many bytes. Default 1 MiB. */
  batchBytes?: number;
  /**
   * Write a batch at most this long after its first append. Default 0: as soon as the disk is free — at the end
   * of the event-loop turn of its first append, or, while the previous batch is on its way, the moment it is durable
   * (the batch is then everything appended meanwhile: batches grow with the load, a lone record waits one write).
   */
  maxDelayMs?: number;
  /** 'group' (default): group commit. 'sync': every append is written durably before it returns. */
  commit?: 'group' | 'sync';
  /** Initial size of each of the two write buffers (they grow when a batch outgrows them). Default 2 x batchBytes. */
  initialBufferBytes?: number;
  /** Largest payload accepted; the reader must use the same value. Default 16 MiB, at most 2^28 - 1. */
  maxPayloadBytes?: number;
  /** Snapshots kept by writeSnapshot (the newest ones). Default 2. */
  retainSnapshots?: number;
  /** Segments wholly before the oldest kept snapshot that are kept anyway (newest ones). Default 0. */
  retainSegments?: number;
  /**
   * Records after this seq (and the newest snapshot at or before it) are not deleted by snapshot retention: a reader
   * that has not stored them yet (the history store, src/history) reads them later. Read after each snapshot.
   * Default: none. Journal.setRetentionFloor sets it after open.
   */
  retentionFloor?: () => number;
  /** What open does about corruption: 'none' (default) throws JOURNAL_CORRUPT; 'truncate' cuts the journal there. */
  repair?: 'none' | 'truncate';
  /** Recovery checks every record of every segment ('full', default) or only the last segment ('tail'). */
  verify?: 'full' | 'tail';
  /** Take the directory lock (LOCK file with pid). Default true. */
  lock?: boolean;
  /** Timer functions for maxDelayMs (tests may inject fakes). Default: the global timers, a microtask for 0 ms. */
  timers?: JournalTimers;
  /** Called once when a background write (or fdatasync) fails (the journal is failed from then on). */
  onError?: (error: JournalError) => void;
  /** How group-commit batches are written and synced (default node:fs; tests inject failures). */
  fileWrites?: JournalFileWrites;
}

/** Throws a RangeError naming the first option out of range. */
export function validateOptions(o: JournalOptions): void {
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
