/**
 * The trade history on its own thread, as the daemon runs it (src/compose/history-thread.ts): the writer in a
 * worker, fed the journal's durable batches, keeping its own copy of the orders (journal-tail.ts). Against a real
 * journal with small segments and frequent snapshots (old segments deleted as the daemon deletes them):
 *  - every fill reaches the file store exactly once, with the same rows as the in-process writer makes;
 *  - batches dropped on the way (a thread that is behind: here every batch is over the bound) lose nothing: the
 *    thread rebuilds its orders from the journal's files and its writer catches up from its watermark;
 *  - a thread that dies is started again and catches up: nothing lost, nothing twice.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileHistoryStore } from '../../src/history/file-store.js';
import { waitFor } from '../helpers/poll.js';
import { allFills, expectExactlyOnce, historyRig, type HistoryRig } from './rig.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function threadRig(options: { maxQueuedBytes?: number; threadNice?: number; clock?: { monoMs(): number }; silentMs?: number } = {}): Promise<{ r: HistoryRig; store: FileHistoryStore }> {
  const dir = mkdtempSync(join(tmpdir(), 'history-thread-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'history');
  const store = new FileHistoryStore(path);
  const r = await historyRig({ store, snapshotEvery: 60, segmentBytes: 2048, thread: { path, ...options } });
  cleanups.push(() => r.close());
  return { r, store };
}

describe('trade history on its own thread', () => {
  it('every fill once, across snapshots and deleted segments; the watermark is the journal\'s retention floor', async () => {
    const { r, store } = await threadRig();
    for (let i = 0; i < 60; i++) await r.tradeOne(i % 3, i % 4 === 3 ? { strategy: 'beta', symbol: 'ETH-USDT', priceTicks: 60_000 + i, qtyLots: 3000 } : {});
    await r.caughtUp();
    // snapshots from here on see the floor at the history's watermark: segments before it are deleted
    for (let i = 0; i < 20; i++) await r.tradeOne(i % 3);
    await r.caughtUp();
    expect(r.snapshotsSeen()).toBeGreaterThanOrEqual(3);
    await waitFor(() => r.firstSeq() > 1, { what: 'old segments deleted' });
    expect(r.firstSeq()).toBeLessThanOrEqual(r.writer.watermark + 1);
    expectExactlyOnce(await allFills(store), r.made);
    expect(r.made).toHaveLength(160);
    expect(r.writer.status()).toMatchObject({ store: 'file', up: true, mode: 'live', overflows: 0 });
    expect(r.thread!.droppedBatches).toBe(0);
  }, 60_000);

  it('batches dropped on the way (every one over the bound): rebuilt from the journal\'s files, none lost, none twice', async () => {
    const { r, store } = await threadRig({ maxQueuedBytes: 1 });
    for (let i = 0; i < 40; i++) await r.tradeOne(i % 3);
    await r.caughtUp();
    expect(r.thread!.droppedBatches).toBeGreaterThan(0);
    for (let i = 0; i < 20; i++) await r.tradeOne(i % 3);
    await r.caughtUp();
    expectExactlyOnce(await allFills(store), r.made);
    expect(r.made).toHaveLength(120);
  }, 60_000);

  it('a thread that stops reporting is shown down, with why, not as its last report said; up again once it reports', async () => {
    let now = 0;
    const { r } = await threadRig({ clock: { monoMs: () => now }, silentMs: 5000 });
    await r.tradeOne(0);
    await r.caughtUp();
    await waitFor(() => r.writer.status().up, { what: 'the thread reported up' });
    // no report can come between these lines (one event loop): to the watch, the thread has been silent 60 s
    now += 60_000;
    const silent = r.writer.status();
    expect(silent.up).toBe(false);
    expect(silent.lastError).toMatch(/^HISTORY_THREAD_SILENT: the history thread has not reported for 60 s/);
    expect(silent.mode).toBe('live'); // its last report, shown as it was
    await waitFor(() => r.writer.status().up, { what: 'the thread reported again' });
    expect(r.writer.status().lastError).toBeNull();
  }, 60_000);

  it('daemon.history.threadNice: the history thread alone steps back (Linux: its own nice value, the daemon\'s unchanged)', async () => {
    const { r } = await threadRig({ threadNice: 7 });
    await waitFor(() => r.thread!.threadPriority !== undefined, { what: 'the thread reported its priority' });
    const p = r.thread!.threadPriority!;
    if (!existsSync('/proc/thread-self')) {
      expect(p).toMatchObject({ ok: false });
      return;
    }
    if (!p.ok) throw new Error(p.reason);
    const niceOf = (tid: number | 'self'): number => {
      const stat = readFileSync(tid === 'self' ? '/proc/thread-self/stat' : `/proc/self/task/${tid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]); // field 19, counted after the name
    };
    const mine = niceOf('self');
    expect(p.nice).toBe(Math.min(19, mine + 7));
    expect(niceOf(p.tid)).toBe(p.nice);
    expect(niceOf('self')).toBe(mine);
    expect(getPriority()).toBe(mine);
  }, 60_000);

  it('a thread that dies is started again and catches up: none lost, none twice', async () => {
    const { r, store } = await threadRig();
    for (let i = 0; i < 20; i++) await r.tradeOne(i % 3);
    await r.caughtUp();
    // kill it as a crash would (its worker ends at once, whatever it held)
    await (r.thread as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    for (let i = 0; i < 30; i++) await r.tradeOne(i % 3);
    await waitFor(() => r.thread!.restartCount >= 1, { what: 'the thread started again' });
    await r.caughtUp();
    expectExactlyOnce(await allFills(store), r.made);
    expect(r.made).toHaveLength(100);
  }, 60_000);
});
