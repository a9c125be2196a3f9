/**
 * Snapshot retention, after each snapshot written: keep the newest `retainSnapshots` snapshots and delete the
 * segments whose records are all <= the oldest kept snapshot (keeping `retainSegments` of them), so a restart
 * reads at most one snapshot and the segments after it.
 *
 * A retention floor (Journal.setRetentionFloor; the history store's watermark, src/history) holds deletion back:
 * the records after `floor` and the newest snapshot at or before it (a reader rebuilds the orders from it) are kept
 * whatever the rule above says. Without a snapshot at or before the floor no segment is deleted.
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
  floor?: number,
): Promise<{ deletedSegments: string[]; deletedSnapshots: string[] }> {
  const snapshots = listDirectory(dir).snapshots;
  const keepFrom = Math.max(0, snapshots.length - retainSnapshots);
  // the newest snapshot at or before the floor (-1: none), kept for the reader that has to start there
  let floorAt = -1;
  if (floor !== undefined) for (let i = 0; i < snapshots.length; i++) if (snapshots[i]!.seq <= floor) floorAt = i;
  const deletedSnapshots = snapshots.filter((_, i) => i < keepFrom && i !== floorAt).map((s) => s.name);
  const kept = snapshots.slice(keepFrom);
  const deletedSegments: string[] = [];
  const held = floor !== undefined && floorAt < 0;
  if (kept.length > 0 && !held) {
    const cutoff = floorAt >= 0 && floorAt < keepFrom ? snapshots[floorAt]!.seq : kept[0]!.seq;
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
