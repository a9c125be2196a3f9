import fs from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Journal, JournalError } from '../../src/journal/index.js';
import { collect, recordOffsets, segmentFiles, tempDir } from './helpers.js';

const root = tempDir('journal-prop-', true);
afterAll(() => root.cleanup());
let runs = 0;
function freshDir(): string {
  const d = join(root.dir, String(runs++));
  fs.mkdirSync(d);
  return d;
}

const recordArb = fc.record({
  type: fc.integer({ min: 1, max: 255 }),
  payload: fc.uint8Array({ minLength: 0, maxLength: 300 }),
  /** flush after this record (ends a batch) */
  flush: fc.boolean(),
});
const journalArb = fc.record({
  records: fc.array(recordArb, { minLength: 1, maxLength: 60 }),
  segmentBytes: fc.constantFrom(512, 2048, 1 << 20),
});

type JournalSpec = typeof journalArb extends fc.Arbitrary<infer T> ? T : never;

async function writeJournal(dir: string, spec: JournalSpec): Promise<void> {
  const j = await Journal.open(dir, { segmentBytes: spec.segmentBytes, maxDelayMs: 60_000 });
  for (const r of spec.records) {
    j.append(r.type, r.payload);
    if (r.flush) await j.flush();
  }
  await j.close();
}

/** seq -> segment name, from reading the intact journal. */
function recordsPerSegment(dir: string): Map<string, number[]> {
  const m = new Map<string, number[]>();
  const segs = segmentFiles(dir);
  for (const name of segs) m.set(name, []);
  let i = 0;
  for (const name of segs) {
    const n = recordOffsets(fs.readFileSync(join(dir, name))).length;
    for (let k = 0; k < n; k++) m.get(name)!.push(++i);
  }
  return m;
}

describe('journal properties', () => {
  it('round trip: every record comes back with its type and payload, in order', async () => {
    await fc.assert(
      fc.asyncProperty(journalArb, async (spec) => {
        const d = freshDir();
        await writeJournal(d, spec);
        const { records } = collect(d);
        expect(records.map((r) => r.seq)).toEqual(spec.records.map((_, i) => i + 1));
        records.forEach((r, i) => {
          expect(r.type).toBe(spec.records[i].type);
          expect(Buffer.compare(r.payload, spec.records[i].payload)).toBe(0);
        });
      }),
      { numRuns: 60 },
    );
  });

  it('a cut anywhere in the last segment keeps exactly the records wholly before the cut', async () => {
    await fc.assert(
      fc.asyncProperty(journalArb, fc.double({ min: 0, max: 1, noNaN: true }), async (spec, where) => {
        const d = freshDir();
        await writeJournal(d, spec);
        const perSeg = recordsPerSegment(d);
        const segs = segmentFiles(d);
        const lastName = segs.at(-1)!;
        const lastPath = join(d, lastName);
        const file = fs.readFileSync(lastPath);
        const cut = Math.floor(where * file.length);
        fs.truncateSync(lastPath, cut);
        const offsets = recordOffsets(file);
        const before = segs.slice(0, -1).reduce((n, s) => n + perSeg.get(s)!.length, 0);
        const keptInLast = cut < 32 ? 0 : offsets.filter((_, i) => (offsets[i + 1] ?? file.length) <= cut).length;
        const expectedLast = before + keptInLast;

        const j = await Journal.open(d);
        expect(j.lastSeq).toBe(expectedLast);
        if (cut === file.length) expect(j.recovery.cut).toBeNull();
        else if (j.recovery.cut !== null) expect(j.recovery.cut).toMatchObject({ kind: 'torn_tail', segment: lastName, lastGoodSeq: expectedLast });
        const next = j.append(1, new Uint8Array([42]));
        expect(next).toBe(expectedLast + 1);
        await j.close();
        const { records } = collect(d);
        expect(records).toHaveLength(expectedLast + 1);
        for (let i = 0; i < expectedLast; i++) {
          expect(records[i].type).toBe(spec.records[i].type);
          expect(Buffer.compare(records[i].payload, spec.records[i].payload)).toBe(0);
        }
      }),
      { numRuns: 80 },
    );
  });

  it('a flipped bit in the last segment: torn tail if no later batch follows the damaged record, else JOURNAL_CORRUPT', async () => {
    await fc.assert(
      fc.asyncProperty(journalArb, fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), fc.integer({ min: 0, max: 7 }), async (spec, where, bit) => {
        const d = freshDir();
        await writeJournal(d, spec);
        const segs = segmentFiles(d);
        const lastPath = join(d, segs.at(-1)!);
        const file = fs.readFileSync(lastPath);
        const offsets = recordOffsets(file);
        if (offsets.length === 0) return; // nothing but a header
        const at = 32 + Math.floor(where * (file.length - 32));
        let k = offsets.length - 1; // index of the damaged record in this segment (or the header: -1)
        while (k >= 0 && offsets[k] > at) k--;
        if (k < 0) return; // header damage is covered in recovery.test.ts
        const laterBatch = offsets.slice(k + 1).some((o) => (file[o + 3] & 0x80) !== 0);
        const firstSeqInSeg = Number(segs.at(-1)!.slice(0, 16));
        const damagedSeq = firstSeqInSeg + k;
        file[at] ^= 1 << bit;
        fs.writeFileSync(lastPath, file);
        let err: unknown = null;
        let j: Journal | null = null;
        try {
          j = await Journal.open(d);
        } catch (e) {
          err = e;
        }
        if (laterBatch) {
          expect(err).toBeInstanceOf(JournalError);
          expect((err as JournalError).code).toBe('JOURNAL_CORRUPT');
          expect((err as JournalError).details).toMatchObject({ offset: offsets[k], lastGoodSeq: damagedSeq - 1 });
        } else {
          expect(err).toBeNull();
          expect(j!.recovery.cut).toMatchObject({ kind: 'torn_tail', offset: offsets[k], lastGoodSeq: damagedSeq - 1 });
          expect(j!.lastSeq).toBe(damagedSeq - 1);
          await j!.close();
        }
      }),
      { numRuns: 80 },
    );
  });
});
