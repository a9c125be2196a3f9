/**
 * The journal's retention floor (Journal.setRetentionFloor: the history watermark): snapshot retention deletes no
 * segment holding a record after the floor, keeps the newest snapshot at or before it, and deletes as before once
 * the floor has moved on.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listDirectory } from '../../src/journal/directory.js';
import { Journal } from '../../src/journal/journal.js';

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length > 0) rmSync(dirs.pop()!, { recursive: true, force: true });
});

async function journalWith(floor: { seq: number | undefined }): Promise<Journal> {
  const dir = mkdtempSync(join(tmpdir(), 'retention-floor-'));
  dirs.push(dir);
  const j = await Journal.open(dir, { segmentBytes: 512, maxDelayMs: 0, retainSnapshots: 2 });
  j.setRetentionFloor(floor.seq === undefined ? undefined : () => floor.seq!);
  return j;
}

/** Appends n records of 100 bytes (five per 512-byte segment) and writes a snapshot at the last. */
async function recordsThenSnapshot(j: Journal, n: number): Promise<number> {
  for (let i = 0; i < n; i++) j.append(7, new Uint8Array(100).fill(i & 0xff));
  await j.flush();
  await j.writeSnapshot(j.lastSeq, new Uint8Array([1, 2, 3]));
  return j.lastSeq;
}

const snapshots = (j: Journal): number[] => listDirectory(j.dir).snapshots.map((s) => s.seq);

describe('journal retention floor', () => {
  it('without a floor, segments before the oldest kept snapshot go (the control)', async () => {
    const j = await journalWith({ seq: undefined });
    for (let k = 0; k < 4; k++) await recordsThenSnapshot(j, 20);
    expect(snapshots(j)).toEqual([60, 80]);
    expect(j.firstSeq).toBeGreaterThan(40);
    await j.close();
  });

  it('a floor before every snapshot keeps every segment; a floor between snapshots keeps the one at or before it', async () => {
    const floor = { seq: 0 as number | undefined };
    const j = await journalWith(floor);
    floor.seq = 0;
    for (let k = 0; k < 4; k++) await recordsThenSnapshot(j, 20);
    // no snapshot at or before the floor: nothing deleted (the reader has to start from seq 1)
    expect(j.firstSeq).toBe(1);
    expect(snapshots(j)).toEqual([60, 80]);
    floor.seq = 45;
    await recordsThenSnapshot(j, 20);
    // no snapshot at or before 45 is left (the one at 40 went before the floor was there): still nothing deleted
    expect(j.firstSeq).toBe(1);
    expect(snapshots(j)).toEqual([80, 100]);
    floor.seq = 85;
    await recordsThenSnapshot(j, 20);
    // the snapshot at 80 (at or before 85) is kept besides the newest two, and the records after it
    expect(snapshots(j)).toEqual([80, 100, 120]);
    expect(j.firstSeq).toBeLessThanOrEqual(81);
    expect(j.firstSeq).toBeGreaterThan(60);
    floor.seq = 1000;
    await recordsThenSnapshot(j, 20);
    expect(snapshots(j)).toEqual([120, 140]);
    expect(j.firstSeq).toBeGreaterThan(100);
    await j.close();
  });
});
