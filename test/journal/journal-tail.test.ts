/**
 * What the history thread is fed and how it follows (src/journal/journal.ts setDurableBatchListener,
 * src/journal/journal-tail.ts):
 *  - every durable batch is handed over once, in seq order, after it is durable, as whole records holding exactly what
 *    was appended (group commit and sync commit);
 *  - a tail fed those batches holds the daemon's orders as the daemon's tracker does (state, fills), and names each
 *    transition with its record's seq; a batch after a gap is refused until the tail is rebuilt from the files.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileHistoryStore } from '../../src/history/file-store.js';
import { LENGTH_MASK, RECORD_HEADER_BYTES, RECORD_OVERHEAD, readU53 } from '../../src/journal/format.js';
import { Journal } from '../../src/journal/journal.js';
import { JournalTail } from '../../src/journal/journal-tail.js';
import { scratchSlots } from '../../src/journal/event-replay.js';
import { listDirectory } from '../../src/journal/directory.js';
import { historyRig } from '../history/rig.js';
import { waitFor } from '../helpers/poll.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'journal-tail-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The records of a batch: [type, seq, payload text]. */
function recordsOf(bytes: Uint8Array): [number, number, string][] {
  const out: [number, number, string][] = [];
  for (let p = 0; p < bytes.length;) {
    const len = (bytes[p]! | (bytes[p + 1]! << 8) | (bytes[p + 2]! << 16) | (bytes[p + 3]! << 24)) & LENGTH_MASK;
    out.push([bytes[p + 4]!, readU53(bytes, p + 5), Buffer.from(bytes.subarray(p + RECORD_HEADER_BYTES, p + RECORD_HEADER_BYTES + len)).toString()]);
    p += len + RECORD_OVERHEAD;
  }
  return out;
}

describe('the journal\'s durable batches', () => {
  for (const commit of ['group', 'sync'] as const) {
    it(`${commit} commit: each batch once, in order, once durable, holding exactly the records appended`, async () => {
      const journal = await Journal.open(join(tempDir(), 'j'), { commit, segmentBytes: 4096, maxDelayMs: 1 });
      cleanups.push(() => journal.close());
      const got: [number, number, string][] = [];
      const batches: [number, number][] = [];
      journal.setDurableBatchListener((bytes, first, last) => {
        expect(journal.durableSeq).toBeGreaterThanOrEqual(last); // handed over once durable
        const records = recordsOf(bytes);
        expect(records.map((r) => r[1])).toEqual(Array.from({ length: last - first + 1 }, (_, i) => first + i));
        batches.push([first, last]);
        got.push(...records);
      });
      const appended: [number, number, string][] = [];
      for (let round = 0; round < 20; round++) {
        for (let i = 0; i < 1 + (round % 7); i++) {
          const text = `r${round}.${i}:${'x'.repeat((round * 37 + i * 11) % 300)}`;
          const type = 1 + ((round + i) % 3);
          appended.push([type, journal.append(type, Buffer.from(text)), text]);
        }
        if (round % 3 === 0) await journal.flush();
      }
      await journal.flush();
      expect(got).toEqual(appended);
      for (let i = 1; i < batches.length; i++) expect(batches[i]![0]).toBe(batches[i - 1]![1] + 1);
      if (commit === 'sync') expect(batches.every(([a, b]) => a === b)).toBe(true);
    });
  }
});

describe('JournalTail', () => {
  it('fed the durable batches, it holds the orders as the daemon\'s tracker does; a gap is refused until rebuilt', async () => {
    const dir = tempDir();
    const r = await historyRig({ store: new FileHistoryStore(join(dir, 'history')), snapshotEvery: 50, segmentBytes: 2048 });
    cleanups.push(() => r.close());
    const seen: { seq: number; orderId: number; to: string }[] = [];
    const tail = new JournalTail(r.journal.dir, r.path.store, 4096, (seq, _t, order, _u, t) => seen.push({ seq, orderId: order.id, to: t.to }));
    await r.journal.flush();
    tail.rebuild(r.journal.durableSeq);
    let gapAt = -1;
    let refused = 0;
    r.journal.setDurableBatchListener((bytes, first, last) => {
      // one batch is kept from the tail (a dropped message): the next is refused, then it is rebuilt
      if (gapAt < 0 && first > 150) {
        gapAt = last;
        return;
      }
      if (!tail.feed(bytes, first, last)) {
        refused++;
        expect(first).toBe(gapAt + 1);
        tail.rebuild(first - 1);
        expect(tail.feed(bytes, first, last)).toBe(true);
      }
      expect(tail.seq).toBe(last);
    });
    const ids: number[] = [];
    for (let i = 0; i < 40; i++) ids.push(await r.tradeOne(i % 3));
    await r.journal.flush();
    expect(refused).toBe(1);
    // every order as the daemon holds it
    const tracker = tail.orders!;
    for (const id of ids) {
      const ours = r.path.tracker.get(id)!;
      const [state, filledLots, filledNotional, venue] = [ours.state, ours.filledLots, ours.filledNotional, ours.venue];
      const theirs = tracker.get(id)!;
      expect([theirs.state, theirs.filledLots, theirs.filledNotional, theirs.venue]).toEqual([state, filledLots, filledNotional, venue]);
      expect(state).toBe('FILLED');
    }
    // transitions named by their record's seq, in seq order (the ones inside the gap were not seen)
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.seq).toBeGreaterThanOrEqual(seen[i - 1]!.seq);
    expect(seen.filter((s) => s.to === 'FILLED').length).toBeGreaterThan(30);
  }, 60_000);

  it('rebuilt up to the seq of a snapshot (no record after it to read): the orders as of that snapshot', async () => {
    const dir = tempDir();
    const r = await historyRig({ store: new FileHistoryStore(join(dir, 'history')), snapshotEvery: 50, segmentBytes: 2048 });
    cleanups.push(() => r.close());
    const ids: number[] = [];
    for (let i = 0; i < 30; i++) ids.push(await r.tradeOne(i % 3));
    await r.journal.flush();
    await waitFor(() => listDirectory(r.journal.dir).snapshots.length > 0, { what: 'a snapshot' });
    const snap = listDirectory(r.journal.dir).snapshots.at(-1)!.seq;
    const tail = new JournalTail(r.journal.dir, r.path.store, 4096, () => undefined);
    tail.rebuild(snap);
    expect(tail.seq).toBe(snap);
    // every order created before the snapshot is there (all FILLED by the time of a later snapshot's seq, or not yet)
    expect(tail.orders!.get(ids[0]!)?.state).toBe('FILLED');
  }, 60_000);
});

describe('JournalTail store slots', () => {
  it('starts a rebuilt store with the slots the one before it came to hold, and with as many as a snapshot holds orders', async () => {
    const dir = tempDir();
    // no snapshot: the tail's store grows from the slots it is given
    const r = await historyRig({ store: new FileHistoryStore(join(dir, 'history')), snapshotEvery: 1_000_000 });
    cleanups.push(() => r.close());
    for (let i = 0; i < 40; i++) await r.tradeOne(i % 3);
    await r.journal.flush();
    const first = r.journal.durableSeq;
    const tail = new JournalTail(r.journal.dir, r.path.store, 4096, () => undefined, 8);
    tail.rebuild(1);
    const small = tail.orders!.store.capacity;
    expect(small).toBeLessThan(40);
    tail.rebuild(first);
    const grown = tail.orders!.store.capacity;
    expect(grown).toBeGreaterThanOrEqual(40);
    // rebuilt (as after dropped batches) up to where it holds few orders: its store starts as big as the last one
    tail.rebuild(1);
    expect(tail.orders!.store.capacity).toBe(grown);
    // a new tail from a snapshot of those orders: at least as many slots as the snapshot's orders from the start
    expect(scratchSlots(8, 40)).toBe(64);
    expect(scratchSlots(1024, 40)).toBe(1024);
    expect(scratchSlots(8, 8)).toBe(16);
  }, 60_000);
});
