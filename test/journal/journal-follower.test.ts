/**
 * The journal follower (src/journal/journal-follower.ts) after a write whose reply was lost: the rows reached the
 * sink but the follower was told the write failed. It reads the watermark back from the sink before catching up, so
 * the rows are not handed to the sink a second time (a sink that keys by seq would hide a second write; a stream
 * would not). Driven through the trade history's writer (a thin follower) on the history rig's real journal.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileHistoryStore } from '../../src/history/file-store.js';
import type { FillRow, HistoryRow } from '../../src/history/history-record.js';
import type { FillCursor, FillFilter, HistoryStore } from '../../src/history/history-store.js';
import { allFills, expectExactlyOnce, historyRig } from '../history/rig.js';
import { waitFor } from '../helpers/poll.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** A file store whose writes land but, while `loseReplies` > 0, report a failure (a connection cut after the commit). */
class LostReplyStore implements HistoryStore {
  loseReplies = 0;
  /** How many times each row (kind:seq) was handed to write(). */
  readonly handed = new Map<string, number>();
  constructor(readonly inner: HistoryStore) {}
  get kind(): string {
    return this.inner.kind;
  }
  get where(): string {
    return this.inner.where;
  }
  open(readOnly?: boolean): Promise<void> {
    return this.inner.open(readOnly);
  }
  watermark(): Promise<number> {
    return this.inner.watermark();
  }
  async write(rows: readonly HistoryRow[], watermark: number): Promise<void> {
    for (const r of rows) this.handed.set(`${r.kind}:${r.seq}`, (this.handed.get(`${r.kind}:${r.seq}`) ?? 0) + 1);
    await this.inner.write(rows, watermark);
    if (this.loseReplies > 0 && rows.length > 0) {
      this.loseReplies--;
      throw Object.assign(new Error('read ECONNRESET (test: the reply was lost)'), { code: 'ECONNRESET' });
    }
  }
  fills(filter: FillFilter, after: FillCursor | null, limit: number): Promise<FillRow[]> {
    return this.inner.fills(filter, after, limit);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** A file store whose watermark reads `ahead` while it is set: a store written from another journal. */
class AheadStore extends LostReplyStore {
  ahead: number | undefined;
  override watermark(): Promise<number> {
    return this.ahead !== undefined ? Promise.resolve(this.ahead) : this.inner.watermark();
  }
}

describe('journal follower', () => {
  it('a write whose reply was lost: the watermark is read back, no row is handed to the sink twice', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'follower-test-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const store = new LostReplyStore(new FileHistoryStore(join(dir, 'history')));
    const r = await historyRig({ store, snapshotEvery: 1_000_000, batchRows: 4 });
    cleanups.push(() => r.close());
    for (let i = 0; i < 4; i++) await r.tradeOne(i % 3);
    await r.caughtUp();
    store.loseReplies = 3;
    for (let i = 0; i < 8; i++) await r.tradeOne(i % 3);
    await waitFor(() => store.loseReplies === 0, { timeoutMs: 20_000, what: 'the lost replies' });
    await r.caughtUp();
    const s = r.writer.status();
    expect(s.writeErrors).toBe(3);
    expect([...store.handed].filter(([, n]) => n > 1)).toEqual([]);
    expectExactlyOnce(await allFills(store), r.made);
  });

  it('a sink whose watermark is past the journal (written from another journal): nothing skipped, nothing written, the journal kept, until it is resolved', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'follower-test-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const store = new AheadStore(new FileHistoryStore(join(dir, 'history')));
    store.ahead = 1_000_000; // a data directory wiped, the history store kept
    // small segments and frequent snapshots: retention would delete segments below a watermark taken as it is
    const r = await historyRig({ store, snapshotEvery: 60, segmentBytes: 2048, batchRows: 4 });
    cleanups.push(() => r.close());
    for (let i = 0; i < 60; i++) await r.tradeOne(i % 3);
    await waitFor(() => (r.writer.status().lastError ?? '').includes('FOLLOWER_SINK_AHEAD'), { timeoutMs: 20_000, what: 'the follower refusing the watermark' });
    const s = r.writer.status();
    expect(s.up).toBe(false);
    expect(s.lastError).toContain('past this journal');
    expect(r.writer.watermark).toBe(-1);
    expect(r.writer.retentionFloor()).toBe(0); // the journal keeps every record for it
    await waitFor(() => r.snapshotsSeen() >= 3, { what: 'snapshots while the follower is refused' });
    expect(r.firstSeq()).toBe(1);
    expect(store.handed.size).toBe(0);
    // the operator removes the stale watermark: every row of this journal is written, once
    store.ahead = undefined;
    await r.caughtUp(15_000);
    expectExactlyOnce(await allFills(store), r.made);
    expect([...store.handed].filter(([, n]) => n > 1)).toEqual([]);
  });
});
