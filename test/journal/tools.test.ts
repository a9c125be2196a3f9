import fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal, crc32, inspectJournal, replayJournal, runJournalCli, verifyJournal } from '../../src/journal/index.js';
import { flipBit, payloadFor, recordOffsets, segmentFiles, tempDir, typeFor } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()!();
});

async function build(n: number, segmentBytes = 1 << 20): Promise<string> {
  const t = tempDir('journal-tools-', true);
  cleanups.push(t.cleanup);
  const j = await Journal.open(t.dir, { segmentBytes, maxDelayMs: 60_000 });
  for (let s = 1; s <= n; s++) {
    j.append(typeFor(s) % 3 + 1, payloadFor(s));
    if (s % 10 === 0) await j.flush();
  }
  await j.close();
  return t.dir;
}

function sink(): { lines: string[]; out: (l: string) => void } {
  const lines: string[] = [];
  return { lines, out: (l) => lines.push(l) };
}

describe('crc32', () => {
  it('matches the standard check value and zlib', async () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    const zlib = await import('node:zlib');
    const data = new Uint8Array(10_000).map((_, i) => (i * 2654435761) >>> 24);
    const z = (zlib as { crc32?: (d: Uint8Array) => number }).crc32;
    for (const [a, b] of [[0, 10_000], [3, 9], [5, 1000], [17, 4096]]) {
      const expected = z ? z(data.subarray(a, b)) : crc32(data.subarray(a, b));
      expect(crc32(data, a, b)).toBe(expected);
    }
    // continuing a running checksum
    expect(crc32(data, 500, 10_000, crc32(data, 0, 500))).toBe(crc32(data));
  });
});

describe('verify', () => {
  it('reports a clean journal with its segments, records, seq range and snapshots', async () => {
    const d = await build(300, 2048);
    const j = await Journal.open(d);
    await j.writeSnapshot(300, new Uint8Array([1, 2, 3]));
    await j.close();
    const { lines, out } = sink();
    const r = verifyJournal(d, out);
    expect(r).toMatchObject({ exitCode: 0, status: 'ok', lastSeq: 300, tail: null, corruption: null });
    expect(r.segments).toBe(segmentFiles(d).length);
    expect(r.snapshots).toEqual([{ name: '0000000000000300.snap', seq: 300, bytes: 3, ok: true }]);
    expect(lines.length).toBeGreaterThan(1);
  });

  it('exit 1 for a torn tail, 2 for corruption, 3 for a missing path; a single segment file works too', async () => {
    const d = await build(50);
    const seg = join(d, segmentFiles(d)[0]);
    const size = fs.statSync(seg).size;
    fs.truncateSync(seg, size - 3);
    const torn = verifyJournal(d);
    expect(torn).toMatchObject({ exitCode: 1, status: 'torn_tail', lastSeq: 49 });
    expect(torn.tail).toMatchObject({ reason: 'short_record', lastGoodSeq: 49 });
    expect(verifyJournal(seg).exitCode).toBe(1);

    const offsets = recordOffsets(fs.readFileSync(seg));
    flipBit(seg, offsets[4] + 13);
    const bad = verifyJournal(d);
    expect(bad).toMatchObject({ exitCode: 2, status: 'corrupt', records: 4 });
    expect(bad.corruption).toMatchObject({ segment: '0000000000000001.log', offset: offsets[4], reason: 'crc_mismatch', lastGoodSeq: 4 });

    expect(verifyJournal(join(d, 'nope')).exitCode).toBe(3);
    expect(runJournalCli(['verify', d], () => undefined)).toBe(2);
    expect(runJournalCli(['frobnicate', d], () => undefined)).toBe(3);
  });
});

describe('inspect', () => {
  it('prints one line per record with seq, type, length and a preview or the decoder text', async () => {
    const d = await build(20);
    const { lines, out } = sink();
    const r = inspectJournal(d, out, { fromSeq: 5, limit: 3, previewBytes: 4 });
    expect(r).toEqual({ exitCode: 0, records: 3 });
    expect(lines).toHaveLength(3);
    const p5 = payloadFor(5);
    // record types by name (1 ORDER, 2 UPDATE, 3 EVENT)
    const name = (seq: number) => ['ORDER', 'UPDATE', 'EVENT'][typeFor(seq) % 3];
    expect(lines[0]).toBe(`seq=5 type=${name(5)} len=5 ${Buffer.from(p5.subarray(0, 4)).toString('hex')}...`);
    const decoded = sink();
    inspectJournal(d, decoded.out, { limit: 2, decode: (type, payload) => `T${type}:${payload.length}` });
    expect(decoded.lines).toEqual([`seq=1 type=${name(1)} len=1 T${(typeFor(1) % 3) + 1}:1`, `seq=2 type=${name(2)} len=2 T${(typeFor(2) % 3) + 1}:2`]);
  });
});

describe('replay', () => {
  it('passes every record to the callback and counts them per type', async () => {
    const d = await build(99);
    const j = await Journal.open(d);
    await j.writeSnapshot(40, new Uint8Array([7]));
    await j.close();
    const seen: number[] = [];
    let clock = 0;
    const r = replayJournal(d, () => undefined, (rec) => void seen.push(rec.seq), { now: () => (clock += 5) });
    expect(seen[0]).toBe(40); // the snapshot first
    expect(seen.slice(1)).toEqual([...Array(59).keys()].map((i) => i + 41));
    expect(r).toMatchObject({ exitCode: 0, records: 59, snapshotSeq: 40, firstSeq: 41, lastSeq: 99, elapsedMs: 5 });
    expect([...r.byType.values()].reduce((a, b) => a + b, 0)).toBe(59);
  });
});
