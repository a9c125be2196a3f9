/**
 * Reads one segment file record by record, in big chunks, checking every record (length word, type, CRC, seq
 * continuity). Pull-based (`next()` fills the reader's current-record fields) so the callback reader, the
 * generator and recovery share one loop, and no object is allocated per record.
 *
 * When a record fails its checks the reader stops and sets `problem`. Whether that problem is a torn tail
 * (a crash while writing the last batch) or corruption is decided by classifyBadRecord() below: see the
 * corruption policy in journal.ts.
 */
import fs from 'node:fs';
import { crc32 } from './crc32.js';
import { ioError } from './errors.js';
import {
  FLAG_BATCH_START,
  LENGTH_MASK,
  RECORD_HEADER_BYTES,
  RECORD_OVERHEAD,
  RESERVED_FLAGS_MASK,
  SEGMENT_HEADER_BYTES,
  decodeSegmentHeader,
  readU32,
  readU53,
} from './format.js';

export type BadRecordReason =
  /** The file ends inside a record (or inside the segment header). */
  | 'short_record'
  /** The length word has reserved bits set or a length above the maximum payload. */
  | 'bad_length'
  /** Record type 0. */
  | 'bad_type'
  | 'crc_mismatch'
  /** A record whose CRC is good but whose seq is not the previous seq + 1. */
  | 'bad_seq'
  /** The 32-byte segment header is missing, invalid, or does not match the file name. */
  | 'bad_header';

export interface RecordProblem {
  /** File offset of the first byte of the bad record (the good prefix ends here). */
  readonly offset: number;
  readonly reason: BadRecordReason;
  /** Seq of the last good record before the problem (base seq - 1 when there is none). */
  readonly lastGoodSeq: number;
}

export const DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024;

/** Reusable chunk buffer shared by successive segment readers. */
export class ChunkBuffer {
  bytes: Uint8Array;
  constructor(size: number = DEFAULT_CHUNK_BYTES) {
    this.bytes = new Uint8Array(size);
  }
}

export class SegmentReader {
  readonly path: string;
  readonly baseSeq: number;
  readonly fileSize: number;
  // Current record (valid after next() returned true, until the next call).
  buf: Uint8Array;
  type = 0;
  seq = 0;
  /** Offset of the payload in `buf`. */
  payloadOffset = 0;
  length = 0;
  /** File offset of the current record's first byte. */
  recordFileOffset = 0;
  /** Seq of the last good record (baseSeq - 1 before the first). */
  lastSeq: number;
  records = 0;
  problem: RecordProblem | null = null;

  private readonly chunk: ChunkBuffer;
  private readonly maxPayload: number;
  private fd: number;
  /** File offset of buf[0]. */
  private bufFileOffset = 0;
  private pos = 0;
  private end = 0;
  private fileReadPos = 0;
  private done = false;

  constructor(path: string, baseSeq: number, chunk: ChunkBuffer, maxPayload: number) {
    this.path = path;
    this.baseSeq = baseSeq;
    this.chunk = chunk;
    this.buf = chunk.bytes;
    this.maxPayload = maxPayload;
    this.lastSeq = baseSeq - 1;
    try {
      this.fd = fs.openSync(path, 'r');
      this.fileSize = fs.fstatSync(this.fd).size;
    } catch (err) {
      throw ioError('open segment', path, err);
    }
    this.readHeader();
  }

  /** File offset just after the last good record: where the good prefix of the file ends. */
  get goodEnd(): number {
    return this.done && this.problem ? this.problem.offset : this.bufFileOffset + this.pos;
  }

  private readHeader(): void {
    const n = this.read(0, SEGMENT_HEADER_BYTES);
    this.end = n;
    if (n < SEGMENT_HEADER_BYTES) {
      this.stop(0, 'short_record');
      return;
    }
    const base = decodeSegmentHeader(this.buf.subarray(0, SEGMENT_HEADER_BYTES));
    if (base !== this.baseSeq) {
      this.stop(0, 'bad_header');
      return;
    }
    this.pos = SEGMENT_HEADER_BYTES;
  }

  /** Advances to the next good record. Returns false at the end of the file or at the first bad record. */
  next(): boolean {
    if (this.done) return false;
    for (;;) {
      const b = this.buf;
      const p = this.pos;
      const avail = this.end - p;
      if (avail >= RECORD_OVERHEAD) {
        const word = b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24);
        const len = word & LENGTH_MASK;
        if ((word & RESERVED_FLAGS_MASK) !== 0 || len > this.maxPayload) return this.stop(this.bufFileOffset + p, 'bad_length');
        const total = len + RECORD_OVERHEAD;
        if (avail >= total) {
          const crcAt = p + RECORD_HEADER_BYTES + len;
          const stored = (b[crcAt] | (b[crcAt + 1] << 8) | (b[crcAt + 2] << 16) | (b[crcAt + 3] << 24)) >>> 0;
          if (crc32(b, p, crcAt) !== stored) return this.stop(this.bufFileOffset + p, 'crc_mismatch');
          const type = b[p + 4];
          if (type === 0) return this.stop(this.bufFileOffset + p, 'bad_type');
          const seq = readU53(b, p + 5);
          if (seq !== this.lastSeq + 1) return this.stop(this.bufFileOffset + p, 'bad_seq');
          this.type = type;
          this.seq = seq;
          this.length = len;
          this.payloadOffset = p + RECORD_HEADER_BYTES;
          this.recordFileOffset = this.bufFileOffset + p;
          this.pos = p + total;
          this.lastSeq = seq;
          this.records++;
          return true;
        }
      }
      if (!this.refill()) {
        if (this.end > this.pos) return this.stop(this.bufFileOffset + this.pos, 'short_record');
        this.done = true;
        this.closeFd();
        return false;
      }
    }
  }

  /** Moves the unread bytes to the front of the buffer and reads more; false at end of file. */
  private refill(): boolean {
    if (this.fileReadPos >= this.fileSize) return false;
    const leftover = this.end - this.pos;
    if (this.pos > 0) {
      if (leftover > 0) this.buf.copyWithin(0, this.pos, this.end);
      this.bufFileOffset += this.pos;
      this.pos = 0;
      this.end = leftover;
    }
    if (this.end === this.buf.length) {
      // One record larger than the chunk: grow the shared buffer (rare; bounded by maxPayload).
      const bigger = new Uint8Array(this.buf.length * 2);
      bigger.set(this.buf.subarray(0, this.end));
      this.chunk.bytes = bigger;
      this.buf = bigger;
    }
    const n = this.read(this.end, this.buf.length - this.end);
    if (n === 0) return false;
    this.end += n;
    return true;
  }

  private read(at: number, max: number): number {
    let total = 0;
    while (total < max && this.fileReadPos < this.fileSize) {
      let n: number;
      try {
        n = fs.readSync(this.fd, this.buf, at + total, max - total, this.fileReadPos);
      } catch (err) {
        this.closeFd();
        throw ioError('read segment', this.path, err);
      }
      if (n === 0) break;
      total += n;
      this.fileReadPos += n;
    }
    return total;
  }

  private stop(offset: number, reason: BadRecordReason): false {
    this.problem = { offset, reason, lastGoodSeq: this.lastSeq };
    this.done = true;
    this.closeFd();
    return false;
  }

  close(): void {
    this.done = true;
    this.closeFd();
  }

  private closeFd(): void {
    if (this.fd >= 0) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // closing a read-only descriptor cannot lose data
      }
      this.fd = -1;
    }
  }
}

export interface BadRecordClass {
  kind: 'torn' | 'corrupt';
  /** Records after the bad one whose checks pass (part of the same torn batch when kind is 'torn'). */
  validAfter: number;
  /** File offset of the first valid batch-start record after the bad one (kind 'corrupt'), else -1. */
  nextBatchOffset: number;
}

/**
 * Decides whether a bad record in the LAST segment is a torn tail or corruption, by searching the bytes after it
 * for records that pass every check and carry a seq above the last good one. Batches are written strictly one
 * after another, each durable before the next is written; so a valid BATCH_START record after the bad one means a later
 * batch reached the disk, which happens only after the bad record's own batch was durable: that is corruption.
 * Valid records without BATCH_START belong to the same (last, torn) batch: after a power loss its pages may
 * reach the disk in any order, so they are cut with it and counted in `validAfter`.
 */
export function classifyBadRecord(path: string, problem: RecordProblem, fileSize: number, maxPayload: number): BadRecordClass {
  const from = problem.offset + 1;
  const size = fileSize - from;
  if (size < RECORD_OVERHEAD) return { kind: 'torn', validAfter: 0, nextBatchOffset: -1 };
  const b = new Uint8Array(size);
  let fd = -1;
  try {
    fd = fs.openSync(path, 'r');
    let got = 0;
    while (got < size) {
      const n = fs.readSync(fd, b, got, size - got, from + got);
      if (n === 0) break;
      got += n;
    }
  } catch (err) {
    throw ioError('read segment', path, err);
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
  const minSeq = problem.lastGoodSeq + 1;
  const maxSeq = problem.lastGoodSeq + 1 + Math.ceil(size / RECORD_OVERHEAD);
  let validAfter = 0;
  let q = 0;
  while (q + RECORD_OVERHEAD <= size) {
    const word = readU32(b, q);
    const len = word & LENGTH_MASK;
    const total = len + RECORD_OVERHEAD;
    if ((word & RESERVED_FLAGS_MASK) === 0 && len <= maxPayload && q + total <= size && b[q + 4] !== 0) {
      const seq = readU53(b, q + 5);
      if (seq >= minSeq && seq <= maxSeq && readU32(b, q + RECORD_HEADER_BYTES + len) === crc32(b, q, q + RECORD_HEADER_BYTES + len)) {
        if ((word & FLAG_BATCH_START) !== 0) return { kind: 'corrupt', validAfter: validAfter + 1, nextBatchOffset: from + q };
        validAfter++;
        q += total;
        continue;
      }
    }
    q++;
  }
  return { kind: 'torn', validAfter, nextBatchOffset: -1 };
}
