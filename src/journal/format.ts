/**
 * On-disk format of the journal (all integers little-endian).
 *
 * Directory:  <seq16>.log      segment files, named by the sequence number of their first record
 *                              (16 decimal digits: 0000000000000001.log); sorted by name = sorted by seq
 *             <seq16>.snap     snapshot files: "the state as of <seq>" (all records <= seq applied)
 *             <seq16>.snap.tmp a snapshot being written (deleted on open)
 *             LOCK             pid and process start of the writer holding the directory
 *
 * Segment header, 32 bytes:
 *   0  u32  magic 'SWJL'        4  u16  format version (1)     6  u16  header length (32)
 *   8  u64  base seq (the seq of the first record in this segment; equals the number in the file name)
 *   16 12 bytes reserved (zero)  28 u32  CRC-32 of bytes [0, 28)
 *
 * Record, 17 bytes + payload:
 *   0  u32  length word: bits 0-27 payload length, bit 31 BATCH_START (first record of a group-commit batch,
 *           i.e. of one durable write), bits 28-30 zero
 *   4  u8   record type, 1..255 (0 is reserved: the reader uses it for the snapshot it yields first)
 *   5  u64  seq: 1, 2, 3 ... without gaps across the whole journal (at most 2^53 - 1)
 *   13 ...  payload
 *   13+len  u32 CRC-32 of bytes [0, 13 + len) of the record (length word, type, seq and payload)
 *
 * Snapshot file:
 *   0  u32  magic 'SWSN'        4  u16  version (1)             6  u16  header length (24)
 *   8  u64  seq                 16 u64  payload length          24 ... payload
 *   24+len  u32 CRC-32 of bytes [0, 24 + len)
 */
import { crc32, crc32Combine } from './crc32.js';

export const SEGMENT_MAGIC = 0x4c4a5753; // 'SWJL' read as a little-endian u32
export const SNAPSHOT_MAGIC = 0x4e535753; // 'SWSN'
export const FORMAT_VERSION = 1;
export const SEGMENT_HEADER_BYTES = 32;
export const SNAPSHOT_HEADER_BYTES = 24;

export const RECORD_HEADER_BYTES = 13;
export const RECORD_OVERHEAD = 17;
export const LENGTH_MASK = 0x0fffffff;
export const FLAG_BATCH_START = 0x80000000;
/** Bits of the length word that must be zero. */
export const RESERVED_FLAGS_MASK = 0x70000000;
export const MAX_PAYLOAD_LIMIT = LENGTH_MASK;
export const DEFAULT_MAX_PAYLOAD = 16 * 1024 * 1024;

/** Record type the reader gives the snapshot it yields before the records. Not allowed in append(). */
export const SNAPSHOT_RECORD_TYPE = 0;

const TWO_32 = 4294967296;
const NAME_DIGITS = 16;

export function readU32(b: Uint8Array, p: number): number {
  return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
}

export function writeU32(b: Uint8Array, p: number, v: number): void {
  b[p] = v;
  b[p + 1] = v >>> 8;
  b[p + 2] = v >>> 16;
  b[p + 3] = v >>> 24;
}

/** Reads a u64 that must hold a safe integer; returns -1 if it does not (high word above 2^21). */
export function readU53(b: Uint8Array, p: number): number {
  const hi = readU32(b, p + 4);
  if (hi > 0x1fffff) return -1;
  return hi * TWO_32 + readU32(b, p);
}

export function writeU53(b: Uint8Array, p: number, v: number): void {
  const lo = v >>> 0;
  writeU32(b, p, lo);
  writeU32(b, p + 4, (v - lo) / TWO_32);
}

export function segmentName(baseSeq: number): string {
  return String(baseSeq).padStart(NAME_DIGITS, '0') + '.log';
}

export function snapshotName(seq: number): string {
  return String(seq).padStart(NAME_DIGITS, '0') + '.snap';
}

const SEGMENT_RE = /^(\d{16})\.log$/;
const SNAPSHOT_RE = /^(\d{16})\.snap$/;

/** The base seq of a segment file name, or -1 if the name is not a segment name. */
export function parseSegmentName(name: string): number {
  const m = SEGMENT_RE.exec(name);
  return m ? Number(m[1]) : -1;
}

/** The seq of a snapshot file name, or -1 if the name is not a snapshot name. */
export function parseSnapshotName(name: string): number {
  const m = SNAPSHOT_RE.exec(name);
  return m ? Number(m[1]) : -1;
}

export function encodeSegmentHeader(baseSeq: number): Uint8Array {
  const h = new Uint8Array(SEGMENT_HEADER_BYTES);
  writeU32(h, 0, SEGMENT_MAGIC);
  h[4] = FORMAT_VERSION;
  h[6] = SEGMENT_HEADER_BYTES;
  writeU53(h, 8, baseSeq);
  writeU32(h, 28, crc32(h, 0, 28));
  return h;
}

/** The base seq in a segment header, or -1 if the header is not valid. */
export function decodeSegmentHeader(h: Uint8Array): number {
  if (h.length < SEGMENT_HEADER_BYTES) return -1;
  if (readU32(h, 0) !== SEGMENT_MAGIC) return -1;
  if ((h[4] | (h[5] << 8)) !== FORMAT_VERSION || (h[6] | (h[7] << 8)) !== SEGMENT_HEADER_BYTES) return -1;
  if (readU32(h, 28) !== crc32(h, 0, 28)) return -1;
  return readU53(h, 8);
}

/**
 * Header + trailer of a snapshot file (the payload goes between them), from the payload's length and CRC-32 (seed
 * 0): the trailer's CRC over header and payload is combined from it, so a payload written in pieces is not read again.
 */
export function encodeSnapshotFrame(seq: number, payloadLength: number, payloadCrc: number): { header: Uint8Array; trailer: Uint8Array } {
  const header = new Uint8Array(SNAPSHOT_HEADER_BYTES);
  writeU32(header, 0, SNAPSHOT_MAGIC);
  header[4] = FORMAT_VERSION;
  header[6] = SNAPSHOT_HEADER_BYTES;
  writeU53(header, 8, seq);
  writeU53(header, 16, payloadLength);
  const trailer = new Uint8Array(4);
  writeU32(trailer, 0, crc32Combine(crc32(header), payloadCrc, payloadLength));
  return { header, trailer };
}

/** Validates a whole snapshot file; returns its seq and payload view, or a reason it is invalid. */
export function decodeSnapshot(
  file: Uint8Array,
): { ok: true; seq: number; payload: Uint8Array } | { ok: false; reason: string } {
  if (file.length < SNAPSHOT_HEADER_BYTES + 4) return { ok: false, reason: 'short file' };
  if (readU32(file, 0) !== SNAPSHOT_MAGIC) return { ok: false, reason: 'bad magic' };
  if ((file[4] | (file[5] << 8)) !== FORMAT_VERSION || (file[6] | (file[7] << 8)) !== SNAPSHOT_HEADER_BYTES) {
    return { ok: false, reason: 'unknown version' };
  }
  const seq = readU53(file, 8);
  const len = readU53(file, 16);
  if (seq < 0 || len < 0 || SNAPSHOT_HEADER_BYTES + len + 4 !== file.length) return { ok: false, reason: 'bad length' };
  const end = SNAPSHOT_HEADER_BYTES + len;
  if (readU32(file, end) !== crc32(file, 0, end)) return { ok: false, reason: 'crc mismatch' };
  return { ok: true, seq, payload: file.subarray(SNAPSHOT_HEADER_BYTES, end) };
}
