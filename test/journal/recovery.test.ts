import fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal, JournalError, readJournal, verifyJournal } from '../../src/journal/index.js';
import { collect, flipBit, payloadFor, recordOffsets, segmentFiles, tempDir, typeFor } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()!();
});
function dir(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

/**
 * A journal of n records. 'sync': every record is its own batch; 'group': one batch, or a batch of `flushEvery`
 * records.
 */
async function build(n: number, commit: 'sync' | 'group', options: { segmentBytes?: number; flushEvery?: number } = {}): Promise<string> {
  const d = dir();
  const j = await Journal.open(d, { commit, maxDelayMs: 10_000, segmentBytes: options.segmentBytes });
  for (let s = 1; s <= n; s++) {
    j.append(typeFor(s), payloadFor(s, 41));
    if (options.flushEvery !== undefined && s % options.flushEvery === 0) await j.flush();
  }
  await j.close();
  return d;
}

function lastSegment(d: string): string {
  return join(d, segmentFiles(d).at(-1)!);
}

async function openError(d: string): Promise<JournalError> {
  try {
    const j = await Journal.open(d);
    await j.close();
  } catch (err) {
    expect(err).toBeInstanceOf(JournalError);
    return err as JournalError;
  }
  throw new Error('open succeeded');
}

describe('torn tail', () => {
  it('cuts a last record truncated at every byte offset and keeps everything before it', async () => {
    const d = await build(30, 'sync');
    const seg = lastSegment(d);
    const whole = fs.readFileSync(seg);
    const last = recordOffsets(whole).at(-1)!;
    expect(whole.length - last).toBe(17 + (30 % 41));
    for (let cut = last; cut < whole.length; cut++) {
      fs.writeFileSync(seg, whole.subarray(0, cut));
      const j = await Journal.open(d);
      if (cut === last) {
        expect(j.recovery.cut).toBeNull();
      } else {
        expect(j.recovery.cut).toEqual({
          kind: 'torn_tail',
          segment: '0000000000000001.log',
          offset: last,
          bytes: cut - last,
          reason: 'short_record',
          lastGoodSeq: 29,
          validAfter: 0,
          deletedSegments: [],
        });
      }
      expect(j.lastSeq).toBe(29);
      expect(fs.statSync(seg).size).toBe(last);
      expect(j.append(99, new Uint8Array([cut & 0xff]))).toBe(30);
      await j.close();
      const { records, summary } = collect(d);
      expect(summary).toMatchObject({ records: 30, lastSeq: 30, tail: null });
      expect(records[28].payload).toEqual(payloadFor(29, 41));
      expect(records[29]).toMatchObject({ type: 99, payload: new Uint8Array([cut & 0xff]) });
    }
  });

  it('a bit flip anywhere in the last record (header, payload or CRC) is cut as a torn tail', async () => {
    const d = await build(12, 'sync');
    const seg = lastSegment(d);
    const whole = fs.readFileSync(seg);
    const last = recordOffsets(whole).at(-1)!;
    for (let at = last; at < whole.length; at++) {
      for (const bit of [at % 8]) {
        fs.writeFileSync(seg, whole);
        flipBit(seg, at, bit);
        // the reader stops at the torn tail without throwing
        const before = collect(d).summary;
        expect(before.tail).toMatchObject({ offset: last, lastGoodSeq: 11 });
        const j = await Journal.open(d);
        expect(j.recovery.cut).toMatchObject({ kind: 'torn_tail', offset: last, lastGoodSeq: 11, bytes: whole.length - last });
        expect(j.lastSeq).toBe(11);
        await j.close();
      }
    }
  });

  it('zero-filled or stale bytes after the last record are a torn tail', async () => {
    const d = await build(20, 'sync');
    const seg = lastSegment(d);
    const whole = fs.readFileSync(seg);
    const offsets = recordOffsets(whole);
    // zeros: a file extended by a crash but never written
    fs.writeFileSync(seg, Buffer.concat([whole, Buffer.alloc(4096)]));
    let j = await Journal.open(d);
    expect(j.recovery.cut).toMatchObject({ kind: 'torn_tail', offset: whole.length, reason: 'crc_mismatch', lastGoodSeq: 20, bytes: 4096 });
    await j.close();
    // a stale copy of record 5 (good CRC, wrong seq)
    fs.writeFileSync(seg, Buffer.concat([whole, whole.subarray(offsets[4], offsets[5])]));
    j = await Journal.open(d);
    expect(j.recovery.cut).toMatchObject({ kind: 'torn_tail', reason: 'bad_seq', lastGoodSeq: 20 });
    await j.close();
  });

  it('good records of the same torn batch after a bad one are cut with it (pages may land out of order)', async () => {
    const d = await build(40, 'group'); // one batch
    const seg = lastSegment(d);
    const offsets = recordOffsets(fs.readFileSync(seg));
    flipBit(seg, offsets[25] + 20);
    const j = await Journal.open(d);
    expect(j.recovery.cut).toMatchObject({ kind: 'torn_tail', offset: offsets[25], reason: 'crc_mismatch', lastGoodSeq: 25, validAfter: 14 });
    expect(j.lastSeq).toBe(25);
    await j.close();
  });

  it('a last segment left with a partial header by a crash during rotation gets its header rewritten', async () => {
    const d = await build(30, 'sync');
    const next = join(d, '0000000000000031.log');
    for (const size of [0, 5, 31]) {
      fs.writeFileSync(next, Buffer.alloc(size, 0x53));
      const j = await Journal.open(d);
      expect(j.recovery.cut).toMatchObject({ kind: 'torn_tail', segment: '0000000000000031.log', lastGoodSeq: 30 });
      expect(j.currentSegment).toBe('0000000000000031.log');
      expect(j.append(1, payloadFor(31))).toBe(31);
      await j.close();
      expect(collect(d).summary).toMatchObject({ records: 31, segments: 2 });
      fs.rmSync(next);
    }
  });
});

describe('corruption', () => {
  it('a bit flip in a middle record fails open with JOURNAL_CORRUPT and changes nothing', async () => {
    const d = await build(30, 'sync');
    const seg = lastSegment(d);
    const offsets = recordOffsets(fs.readFileSync(seg));
    flipBit(seg, offsets[9] + 14, 3); // payload of seq 10
    const size = fs.statSync(seg).size;
    const err = await openError(d);
    expect(err.code).toBe('JOURNAL_CORRUPT');
    expect(err.details).toMatchObject({ segment: '0000000000000001.log', offset: offsets[9], reason: 'crc_mismatch', lastGoodSeq: 9 });
    expect(fs.statSync(seg).size).toBe(size);
    expect(fs.existsSync(join(d, 'LOCK'))).toBe(false);
    expect(() => readJournal(d, {}, () => undefined)).toThrow(expect.objectContaining({ code: 'JOURNAL_CORRUPT' }));
    expect(verifyJournal(d).exitCode).toBe(2);

    const j = await Journal.open(d, { repair: 'truncate' });
    expect(j.recovery.cut).toEqual({
      kind: 'repaired_corruption',
      segment: '0000000000000001.log',
      offset: offsets[9],
      bytes: size - offsets[9],
      reason: 'crc_mismatch',
      lastGoodSeq: 9,
      validAfter: 1, // the search stops at the first later batch
      deletedSegments: [],
    });
    expect(j.lastSeq).toBe(9);
    expect(j.append(1, payloadFor(10, 41))).toBe(10);
    await j.close();
    expect(collect(d).summary).toMatchObject({ records: 10, lastSeq: 10 });
    expect(verifyJournal(d).exitCode).toBe(0);
  });

  it('a damaged length word in the middle is corruption too', async () => {
    const d = await build(30, 'sync');
    const seg = lastSegment(d);
    const offsets = recordOffsets(fs.readFileSync(seg));
    for (const bit of [0, 4, 27, 30]) {
      const copy = fs.readFileSync(seg);
      flipBit(seg, offsets[15] + (bit >> 3), bit & 7);
      const err = await openError(d);
      expect(err.code).toBe('JOURNAL_CORRUPT');
      expect(err.details).toMatchObject({ offset: offsets[15], lastGoodSeq: 15 });
      fs.writeFileSync(seg, copy);
    }
  });

  it('any bad record in a segment that is not the last is corruption; repair cuts there and drops later segments', async () => {
    const d = await build(400, 'group', { segmentBytes: 2048, flushEvery: 8 });
    const segs = segmentFiles(d);
    expect(segs.length).toBeGreaterThan(3);
    const second = join(d, segs[1]);
    const offsets = recordOffsets(fs.readFileSync(second));
    const lastOfSecond = offsets.at(-1)!;
    flipBit(second, lastOfSecond + 13); // even its LAST record: the segment was complete before the next existed
    const err = await openError(d);
    expect(err.code).toBe('JOURNAL_CORRUPT');
    expect(err.details).toMatchObject({ segment: segs[1], offset: lastOfSecond });
    const firstSeqOfSecond = Number(segs[1].slice(0, 16));
    const j = await Journal.open(d, { repair: 'truncate' });
    expect(j.recovery.cut).toMatchObject({
      kind: 'repaired_corruption',
      segment: segs[1],
      offset: lastOfSecond,
      lastGoodSeq: firstSeqOfSecond + offsets.length - 2,
      deletedSegments: segs.slice(2),
    });
    expect(segmentFiles(d)).toEqual(segs.slice(0, 2));
    expect(j.lastSeq).toBe(firstSeqOfSecond + offsets.length - 2);
    await j.close();
  });

  it('a missing segment (a gap in the seqs) is corruption', async () => {
    const d = await build(400, 'group', { segmentBytes: 2048, flushEvery: 8 });
    const segs = segmentFiles(d);
    fs.rmSync(join(d, segs[2]));
    const err = await openError(d);
    expect(err.details).toMatchObject({ segment: segs[3], reason: 'gap' });
    // verify: 'tail' opens (it checks only the last segment) but the reader finds the gap
    const j = await Journal.open(d, { verify: 'tail' });
    await j.close();
    expect(() => readJournal(d, {}, () => undefined)).toThrow(expect.objectContaining({ code: 'JOURNAL_CORRUPT' }));
    const repaired = await Journal.open(d, { repair: 'truncate' });
    expect(repaired.recovery.cut).toMatchObject({ kind: 'repaired_corruption', reason: 'gap', deletedSegments: segs.slice(3) });
    expect(repaired.lastSeq).toBe(Number(segs[2].slice(0, 16)) - 1);
    await repaired.close();
    expect(verifyJournal(d).exitCode).toBe(0);
  });

  it('a bad segment header with records after it is corruption', async () => {
    const d = await build(30, 'sync');
    const seg = lastSegment(d);
    flipBit(seg, 9);
    const err = await openError(d);
    expect(err.details).toMatchObject({ offset: 0, reason: 'bad_header' });
  });
});
