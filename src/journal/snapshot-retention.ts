/**
 * Snapshot retention, after each snapshot written: keep the newest `retainSnapshots` snapshots and delete the
 * segments whose records are all <= the oldest kept snapshot (keeping `retainSegments` of them), so a restart
 * reads at most one snapshot and the segments after it.
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { fsyncDir, listDirectory, type SegmentRef } from './directory.js';
import { ioError } from './errors.js';

/** Deletes what retention lets go; `segments` (the journal's list, oldest first) loses the deleted ones. */
export async function applySnapshotRetention(
  dir: string,
  segments: SegmentRef[],
  retainSnapshots: number,
  retainSegments: number,
): Promise<{ deletedSegments: string[]; deletedSnapshots: string[] }> {
  const snapshots = listDirectory(dir).snapshots;
  const deletedSnapshots = snapshots.slice(0, Math.max(0, snapshots.length - retainSnapshots)).map((s) => s.name);
  const kept = snapshots.slice(deletedSnapshots.length);
  const deletedSegments: string[] = [];
  if (kept.length > 0) {
    const cutoff = kept[0]!.seq;
    let whollyBefore = 0;
    while (whollyBefore + 1 < segments.length && segments[whollyBefore + 1]!.baseSeq <= cutoff + 1) whollyBefore++;
    const n = Math.max(0, whollyBefore - retainSegments);
    for (const s of segments.splice(0, n)) deletedSegments.push(s.name);
  }
  if (deletedSegments.length === 0 && deletedSnapshots.length === 0) return { deletedSegments, deletedSnapshots };
  for (const name of [...deletedSnapshots, ...deletedSegments]) {
    try {
      await fs.promises.rm(join(dir, name), { force: true });
    } catch (err) {
      throw ioError('delete', join(dir, name), err);
    }
  }
  await fsyncDir(dir);
  return { deletedSegments, deletedSnapshots };
}
