/**
 * The history thread's feed (src/history/tail-feed.ts), against a real journal: durable batches are applied to the
 * journal tail only while the writer has room for their rows; the others wait, as bytes, in order, and count as taken
 * (the dispatch thread's bound) only once applied. A batch the tail could not apply anyway does not wait: after a gap
 * the tail is rebuilt from the files (the writer told rows were missed), batches before a rebuild are passed over, and
 * a tail that could not be rebuilt is tried again at most once a second.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileHistoryStore } from '../../src/history/file-store.js';
import { TailFeed } from '../../src/history/tail-feed.js';
import { JournalTail } from '../../src/journal/journal-tail.js';
import { historyRig, type HistoryRig } from './rig.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

interface Batch {
  readonly bytes: Uint8Array;
  readonly first: number;
  readonly last: number;
}

async function rig(): Promise<{ r: HistoryRig; batches: Batch[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'tail-feed-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const r = await historyRig({ store: new FileHistoryStore(join(dir, 'history')), snapshotEvery: 50, segmentBytes: 2048 });
  cleanups.push(() => r.close());
  await r.journal.flush();
  const batches: Batch[] = [];
  r.journal.setDurableBatchListener((bytes, first, last) => batches.push({ bytes: bytes.slice(), first, last }));
  return { r, batches };
}

/** A writer that has room while `room` says so (counting the times it was asked), and counts rows missed. */
function writer(room: () => boolean): { hasRoom(): boolean; rowsMissed(): void; asked: number; missed: number } {
  return {
    asked: 0,
    missed: 0,
    hasRoom() {
      this.asked++;
      return room();
    },
    rowsMissed() {
      this.missed++;
    },
  };
}

const silent = { error: () => undefined };
const bytesOf = (bs: readonly Batch[]): number => bs.reduce((n, b) => n + b.bytes.byteLength, 0);

describe('TailFeed', () => {
  it('batches wait while the writer has no room, as they came, and are applied in order once it has', async () => {
    const { r, batches } = await rig();
    const seen: number[] = [];
    const tail = new JournalTail(r.journal.dir, r.path.store, 4096, (seq) => seen.push(seq));
    let room = false;
    const w = writer(() => room);
    const feed = new TailFeed(tail, w, silent);
    expect(feed.rebuild(r.journal.durableSeq)).toBe(true);
    expect(w.missed).toBe(1); // a rebuild is silent: the writer catches up from the journal
    const start = tail.seq;
    const ids: number[] = [];
    for (let i = 0; i < 20; i++) ids.push(await r.tradeOne(i % 3));
    await r.journal.flush();
    for (const b of batches) feed.batch(b.bytes, b.first, b.last);
    expect(batches.length).toBeGreaterThan(5);
    // nothing applied, nothing counted taken: the dispatch thread's bound covers what waits here
    expect([tail.seq, seen.length, feed.consumed, feed.waiting]).toEqual([start, 0, 0, batches.length]);
    room = true;
    feed.pump();
    expect([tail.seq, feed.consumed, feed.waiting]).toEqual([batches.at(-1)!.last, bytesOf(batches), 0]);
    expect(seen.length).toBeGreaterThan(40);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThanOrEqual(seen[i - 1]!);
    for (const id of ids) expect(tail.orders!.get(id)!.state).toBe(r.path.tracker.get(id)!.state);
    expect(w.missed).toBe(1);
  }, 60_000);

  it('room that runs out part way: the batches up to then are applied, the rest wait for the next pump', async () => {
    const { r, batches } = await rig();
    const tail = new JournalTail(r.journal.dir, r.path.store, 4096, () => undefined);
    let rooms = 0;
    const feed = new TailFeed(tail, writer(() => rooms-- > 0), silent);
    feed.rebuild(r.journal.durableSeq);
    for (let i = 0; i < 12; i++) await r.tradeOne(i % 3);
    await r.journal.flush();
    for (const b of batches) feed.batch(b.bytes, b.first, b.last);
    expect(batches.length).toBeGreaterThan(4);
    rooms = 3;
    feed.pump();
    expect([tail.seq, feed.consumed, feed.waiting]).toEqual([batches[2]!.last, bytesOf(batches.slice(0, 3)), batches.length - 3]);
    rooms = 1_000;
    feed.pump();
    expect([tail.seq, feed.consumed, feed.waiting]).toEqual([batches.at(-1)!.last, bytesOf(batches), 0]);
  }, 60_000);

  it('a batch after a gap does not wait: the tail is rebuilt from the files up to it and applies it', async () => {
    const { r, batches } = await rig();
    const tail = new JournalTail(r.journal.dir, r.path.store, 4096, () => undefined);
    const w = writer(() => false);
    const feed = new TailFeed(tail, w, silent);
    feed.rebuild(r.journal.durableSeq);
    for (let i = 0; i < 12; i++) await r.tradeOne(i % 3);
    await r.journal.flush();
    expect(batches.length).toBeGreaterThan(2);
    // the first batches were dropped on the way
    const late = batches.at(-1)!;
    feed.batch(late.bytes, late.first, late.last);
    expect([tail.seq, feed.consumed, feed.waiting, w.missed]).toEqual([late.last, late.bytes.byteLength, 0, 2]);
  }, 60_000);

  it('durable(seq): the tail rebuilt past the batches waiting, which are passed over without being applied', async () => {
    const { r, batches } = await rig();
    const seen: number[] = [];
    const tail = new JournalTail(r.journal.dir, r.path.store, 4096, (seq) => seen.push(seq));
    const w = writer(() => false);
    const feed = new TailFeed(tail, w, silent);
    feed.rebuild(r.journal.durableSeq);
    for (let i = 0; i < 12; i++) await r.tradeOne(i % 3);
    await r.journal.flush();
    for (const b of batches) feed.batch(b.bytes, b.first, b.last);
    expect(feed.waiting).toBe(batches.length);
    feed.durable(batches.at(-1)!.last);
    expect([tail.seq, feed.consumed, feed.waiting, seen.length, w.missed]).toEqual([batches.at(-1)!.last, bytesOf(batches), 0, 0, 2]);
  }, 60_000);

  it('a tail that could not be rebuilt: batches do not wait, the rebuild is tried again at most once a second and logged once', async () => {
    const { r, batches } = await rig();
    const rebuilds: number[] = [];
    let readable = false;
    const real = new JournalTail(r.journal.dir, r.path.store, 4096, () => undefined);
    const tail = {
      get seq() {
        return real.seq;
      },
      get orders() {
        return real.orders;
      },
      feed: (bytes: Uint8Array, first: number, last: number) => real.feed(bytes, first, last),
      rebuild(seq: number) {
        rebuilds.push(seq);
        if (!readable) {
          real.seq = -1;
          throw new Error('EIO: the journal could not be read');
        }
        real.rebuild(seq);
      },
    };
    const errors: unknown[] = [];
    let now = 0;
    const w = writer(() => false);
    const feed = new TailFeed(tail, w, { error: (obj) => errors.push(obj) }, () => now);
    expect(feed.rebuild(r.journal.durableSeq)).toBe(false);
    for (let i = 0; i < 12; i++) await r.tradeOne(i % 3);
    await r.journal.flush();
    const [a, b, c] = [batches[0]!, batches[1]!, batches.at(-1)!];
    now = 500;
    feed.batch(a.bytes, a.first, a.last); // within the second: not tried again, passed over
    expect([rebuilds.length, feed.waiting, feed.consumed]).toEqual([1, 0, a.bytes.byteLength]);
    now = 1_200;
    feed.batch(b.bytes, b.first, b.last); // tried again, still failing
    expect([rebuilds.length, feed.waiting, errors.length]).toEqual([2, 0, 1]);
    readable = true;
    now = 2_400;
    feed.batch(c.bytes, c.first, c.last); // rebuilt up to it, then applied
    expect([rebuilds.length, tail.seq, feed.waiting]).toEqual([3, c.last, 0]);
    expect(w.missed).toBe(3);
  }, 60_000);
});
