/**
 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320: the same value as zlib's crc32, gzip and PNG),
 * computed with slicing-by-8 over eight precomputed 256-entry tables (src/model/crc32.ts, re-exported here). No
 * dependency, no allocation per call.
 *
 * `crc32(buf, start, end)` checksums buf[start, end). Pass a previous result as `seed` to continue a
 * running checksum over several pieces: crc32(b, 0, n) === crc32(b, k, n, crc32(b, 0, k)).
 * `crc32Combine(crcA, crcB, lengthB)` is the checksum of A followed by B from the two checksums (zlib's
 * crc32_combine): a snapshot's payload is checksummed piece by piece as it is made, before the header that
 * precedes it (it holds the payload length) exists.
 *
 * The eight tables are separate Int32Arrays (not one table with offsets): V8 then indexes each with a
 * plain byte and the loop measured ~15-25% faster on 64-128 byte records (see bench/journal.ts).
 */

// The CRC itself lives in the model (dependency-free, shared with the OKX market-data feed); re-exported here.
export { crc32 } from '../model/crc32.js';

/** gf2 matrix (32 columns) times a vector. */
function gf2Times(mat: Uint32Array, vec: number): number {
  let sum = 0;
  let v = vec >>> 0;
  for (let i = 0; v !== 0; i++, v >>>= 1) if ((v & 1) !== 0) sum ^= mat[i]!;
  return sum >>> 0;
}

function gf2Square(square: Uint32Array, mat: Uint32Array): void {
  for (let n = 0; n < 32; n++) square[n] = gf2Times(mat, mat[n]!);
}

/** CRC-32 of A followed by B, from crc32(A), crc32(B) and B's length (any safe integer). Off the hot path. */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  if (lengthB <= 0) return crcA >>> 0;
  const even = new Uint32Array(32);
  const odd = new Uint32Array(32);
  // the operator for one zero bit, then two, then four
  odd[0] = 0xedb88320;
  for (let n = 1, row = 1; n < 32; n++, row <<= 1) odd[n] = row;
  gf2Square(even, odd);
  gf2Square(odd, even);
  let crc = crcA >>> 0;
  let len = lengthB;
  // apply len zero bytes to crcA (the first squaring gives the operator for one zero byte)
  for (;;) {
    gf2Square(even, odd);
    if (len % 2 === 1) crc = gf2Times(even, crc);
    len = Math.floor(len / 2);
    if (len === 0) break;
    gf2Square(odd, even);
    if (len % 2 === 1) crc = gf2Times(odd, crc);
    len = Math.floor(len / 2);
    if (len === 0) break;
  }
  return (crc ^ crcB) >>> 0;
}
