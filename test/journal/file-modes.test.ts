import fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal } from '../../src/journal/index.js';
import { payloadFor, segmentFiles, snapshotFiles, tempDir, typeFor } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()!();
});

/** Permission bits for group and others: the journal's files and directories must have none. */
const groupOrOthers = (path: string): number => fs.statSync(path).mode & 0o077;

describe('journal file modes', () => {
  it('creates its directories 0700 and its segments, snapshots and lock 0600', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const data = join(t.dir, 'data');
    const d = join(data, 'journal'); // two directories the journal creates
    // Small segments: rotations (the async path) happen as well as the first segment (created at open).
    const j = await Journal.open(d, { segmentBytes: 4096 });
    for (let s = 1; s <= 400; s++) {
      j.append(typeFor(s), payloadFor(s));
      if (s % 50 === 0) await j.flush();
    }
    await j.flush();
    const segments = segmentFiles(d);
    expect(segments.length).toBeGreaterThan(1);
    const segmentModes = segments.map((f) => [f, groupOrOthers(join(d, f))]);
    expect(segmentModes).toEqual(segments.map((f) => [f, 0]));
    // A snapshot lets retention delete older segments: theirs were checked above.
    await j.writeSnapshot(j.durableSeq, new Uint8Array([1, 2, 3]));
    expect(fs.existsSync(join(d, 'LOCK'))).toBe(true);
    const snapshots = snapshotFiles(d);
    expect(snapshots.length).toBe(1);
    const files = [...segmentFiles(d), ...snapshots, 'LOCK'].map((f) => join(d, f));
    expect(files.map((f) => [f, groupOrOthers(f)])).toEqual(files.map((f) => [f, 0]));
    expect([data, d].map((p) => [p, groupOrOthers(p)])).toEqual([data, d].map((p) => [p, 0]));
    await j.close();
  });
});
