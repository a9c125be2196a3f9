import fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal, JournalError, iterateJournal, readJournal, SNAPSHOT_RECORD_TYPE } from '../../src/journal/index.js';
import { SEGMENT_SYNC_FLAG } from '../../src/journal/directory.js';
import { collect, payloadFor, segmentFiles, snapshotFiles, tempDir, typeFor } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()!();
});
function dir(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

/** Fake timers for maxDelayMs: nothing fires unless the test says so. */
class ManualTimers {
  pending = new Map<number, () => void>();
  private next = 1;
  setTimeout(cb: () => void): unknown {
    const id = this.next++;
    this.pending.set(id, cb);
    return id;
  }
  clearTimeout(h: unknown): void {
    this.pending.delete(h as number);
  }
  fireAll(): void {
    const cbs = [...this.pending.values()];
    this.pending.clear();
    for (const cb of cbs) cb();
  }
}

describe('group commit with maxDelayMs 0 (the default): as soon as the disk is free', () => {
  it('writes a lone record as soon as the code that appended it returns, and gathers what comes during a write into the next batch', async () => {
    const d = dir();
    const writes: number[] = []; // bytes per write call
    let hold: (() => void) | null = null;
    // the call that makes the first batch durable (its synchronous write, or its fdatasync where there is no O_DSYNC)
    // is held until the test lets it go: appends meanwhile wait for the next batch
    const fileWrites = {
      write(fd: number, data: Uint8Array, offset: number, length: number, position: number, cb: (err: NodeJS.ErrnoException | null, n: number) => void): void {
        writes.push(length);
        if (SEGMENT_SYNC_FLAG !== 0 && writes.length === 1) hold = () => fs.write(fd, data, offset, length, position, cb);
        else fs.write(fd, data, offset, length, position, cb);
      },
      fdatasync(fd: number, cb: (err: NodeJS.ErrnoException | null) => void): void {
        if (SEGMENT_SYNC_FLAG === 0 && writes.length === 1) hold = () => fs.fdatasync(fd, cb);
        else fs.fdatasync(fd, cb);
      },
    };
    const j = await Journal.open(d, { fileWrites });
    writes.length = 0; // opening may have written a segment header
    j.append(1, new Uint8Array([1]));
    expect(writes).toHaveLength(0); // not within the appending code: what it appends next joins the batch
    await Promise.resolve();
    // In the microtask after that code, before the event loop goes on: not after the next poll phase's I/O callbacks
    // (a dispatch cycle's records would otherwise wait for every socket read in that phase), and no timer to wait for.
    expect(writes).toHaveLength(1);
    const first = j.whenDurable(1);
    for (let i = 0; i < 50; i++) j.append(2, new Uint8Array([i]));
    // the held call is reached once the write has completed (on the thread pool) where it is an fdatasync: bounded wait
    for (let i = 0; i < 2000 && hold === null; i++) await new Promise((r) => setTimeout(r, 5));
    expect(hold).not.toBeNull();
    expect(writes).toHaveLength(1); // the disk is busy: the 50 wait together
    hold!();
    await first;
    await j.whenDurable(51);
    expect(writes).toHaveLength(2); // one batch for all 50, written the moment the first was durable
    expect(j.lastSeq).toBe(51);
    await j.close();
    expect(collect(d).records).toHaveLength(51);
  });
});

describe('group commit deferred behind the dispatch cycle (setFlushDeferral)', () => {
  /** The journal with its write calls counted, and a deferral whose `pending` the test sets. */
  async function rig(): Promise<{ j: Journal; writes: number[]; queued: { orders: number }; laters: number[] }> {
    const d = dir();
    const writes: number[] = [];
    const fileWrites = {
      write(fd: number, data: Uint8Array, offset: number, length: number, position: number, cb: (err: NodeJS.ErrnoException | null, n: number) => void): void {
        writes.push(length);
        fs.write(fd, data, offset, length, position, cb);
      },
      fdatasync: (fd: number, cb: (err: NodeJS.ErrnoException | null) => void): void => fs.fdatasync(fd, cb),
    };
    const j = await Journal.open(d, { fileWrites });
    writes.length = 0;
    const queued = { orders: 0 };
    const laters: number[] = [];
    j.setFlushDeferral({ pending: () => queued.orders > 0, later: (run) => void setImmediate(() => { laters.push(j.lastSeq); run(); }) });
    return { j, writes, queued, laters };
  }

  it('an order queued for the cycle: its ORDER record waits for the cycle, and both go in one batch', async () => {
    const { j, writes, queued, laters } = await rig();
    // the API's submit: the ORDER record, the order queued, the dispatch cycle scheduled (an immediate)
    j.append(1, new Uint8Array([1]));
    queued.orders = 1;
    const cycle = new Promise<void>((resolve) => setImmediate(() => {
      queued.orders = 0;
      j.append(2, new Uint8Array([2])); // the order's SUBMIT
      resolve();
    }));
    await Promise.resolve();
    expect(writes).toHaveLength(0); // not alone: the disk is free, but the cycle that decides the order comes first
    await cycle;
    await j.whenDurable(2);
    expect(writes).toHaveLength(1); // ORDER and SUBMIT in one batch
    expect(laters).toEqual([2]); // written behind the cycle, once
    await j.close();
    expect(collect(j.dir).records.map((r) => r.seq)).toEqual([1, 2]);
  });

  it('nothing queued: a lone record is written as the appending code returns, as without a deferral', async () => {
    const { j, writes, laters } = await rig();
    j.append(1, new Uint8Array([1]));
    await Promise.resolve();
    expect(writes).toHaveLength(1);
    await j.whenDurable(1);
    expect(laters).toEqual([]);
    await j.close();
  });

  it('a write in flight: appends wait for it whatever is queued, and go the moment it is durable (no deferral then)', async () => {
    const { j, writes, queued, laters } = await rig();
    j.append(1, new Uint8Array([1]));
    await Promise.resolve();
    expect(writes).toHaveLength(1);
    queued.orders = 1; // stays queued: a deferral now would wait for a cycle that does not come in this test
    j.append(2, new Uint8Array([2]));
    await j.whenDurable(2);
    expect(writes).toHaveLength(2);
    expect(laters).toEqual([]);
    await j.close();
  });

  it('deferred once per batch: a batch whose cycle leaves orders queued is written after that one cycle', async () => {
    const { j, writes, queued, laters } = await rig();
    queued.orders = 5000; // more than one cycle takes: the queue is not empty after it
    j.append(1, new Uint8Array([1]));
    await j.whenDurable(1);
    expect(writes).toHaveLength(1);
    expect(laters).toEqual([1]);
    await j.close();
  });

  it('a flush() does not wait for the deferral', async () => {
    const { j, writes, queued } = await rig();
    queued.orders = 1;
    j.append(1, new Uint8Array([1]));
    await Promise.resolve();
    expect(writes).toHaveLength(0);
    await j.flush();
    expect(writes).toHaveLength(1);
    await j.close();
  });
});

describe('durable writes: segment files opened with O_DSYNC', () => {
  /** The open flags of a descriptor of this process (Linux: /proc/self/fdinfo, octal). */
  const fdFlags = (fd: number): number => Number.parseInt(/flags:\s*([0-7]+)/.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!, 8);

  it.runIf(process.platform === 'linux')('every segment write (fresh segment, after a restart, after rotation) is synchronous; no fdatasync per batch', async () => {
    expect(SEGMENT_SYNC_FLAG).toBe(fs.constants.O_DSYNC);
    const d = dir();
    const seen = { writes: 0, notSync: 0, fdatasyncs: 0 };
    const fileWrites = {
      write(fd: number, data: Uint8Array, offset: number, length: number, position: number, cb: (err: NodeJS.ErrnoException | null, n: number) => void): void {
        seen.writes++;
        if ((fdFlags(fd) & fs.constants.O_DSYNC) === 0) seen.notSync++;
        fs.write(fd, data, offset, length, position, cb);
      },
      fdatasync(fd: number, cb: (err: NodeJS.ErrnoException | null) => void): void {
        seen.fdatasyncs++;
        fs.fdatasync(fd, cb);
      },
    };
    let j = await Journal.open(d, { fileWrites, segmentBytes: 1024 });
    for (let s = 1; s <= 20; s++) j.append(typeFor(s), payloadFor(s));
    await j.flush();
    await j.close();
    j = await Journal.open(d, { fileWrites, segmentBytes: 1024 }); // appends to the last segment again
    for (let s = 21; s <= 200; s++) {
      j.append(typeFor(s), payloadFor(s));
      if (s % 10 === 0) await j.flush(); // batches of 10: the segments fill and rotate
    }
    await j.close();
    expect(segmentFiles(d).length).toBeGreaterThan(3);
    expect(seen.writes).toBeGreaterThan(20);
    expect(seen).toMatchObject({ notSync: 0, fdatasyncs: 0 });
    expect(collect(d).records).toHaveLength(200);
  });
});

describe('journal round trip', () => {
  it('appends records and reads them back in order with type, seq and payload', async () => {
    const d = dir();
    const j = await Journal.open(d);
    expect(j.recovery.cut).toBeNull();
    expect(j.lastSeq).toBe(0);
    for (let s = 1; s <= 1000; s++) expect(j.append(typeFor(s), payloadFor(s))).toBe(s);
    await j.close();
    const { records, summary } = collect(d);
    expect(records).toHaveLength(1000);
    records.forEach((r, i) => {
      expect(r.seq).toBe(i + 1);
      expect(r.type).toBe(typeFor(i + 1));
      expect(r.payload).toEqual(payloadFor(i + 1));
      expect(r.isSnapshot).toBe(false);
    });
    expect(summary).toMatchObject({ records: 1000, firstSeq: 1, lastSeq: 1000, endSeq: 1000, snapshotSeq: null, tail: null });
  });

  it('continues the sequence after reopening', async () => {
    const d = dir();
    let j = await Journal.open(d);
    j.append(1, new Uint8Array([1]));
    j.append(2, new Uint8Array([2]));
    await j.close();
    j = await Journal.open(d);
    expect(j.recovery).toMatchObject({ lastSeq: 2, cut: null, scannedRecords: 2 });
    expect(j.append(3, new Uint8Array([3]))).toBe(3);
    await j.close();
    expect(collect(d).records.map((r) => [r.seq, r.type])).toEqual([[1, 1], [2, 2], [3, 3]]);
  });

  it('accepts empty and large payloads, and appendWith encodes in place', async () => {
    const d = dir();
    const j = await Journal.open(d, { initialBufferBytes: 4096 });
    const big = new Uint8Array(300_000).map((_, i) => i * 13);
    j.append(7, new Uint8Array(0));
    j.append(8, big);
    const seq = j.appendWith(9, 16, (buf, off) => {
      buf.set([0xde, 0xad, 0xbe, 0xef], off);
      return 4;
    });
    expect(seq).toBe(3);
    expect(() => j.appendWith(9, 4, () => 5)).toThrow(RangeError);
    await j.close();
    const { records } = collect(d, { chunkBytes: 64 * 1024 });
    expect(records.map((r) => r.payload.length)).toEqual([0, 300_000, 4]);
    expect(Buffer.compare(records[1].payload, big)).toBe(0);
    expect([...records[2].payload]).toEqual([0xde, 0xad, 0xbe, 0xef]);
  });

  it('rejects bad types and oversized payloads, and appends after close', async () => {
    const d = dir();
    const j = await Journal.open(d, { maxPayloadBytes: 100 });
    expect(() => j.append(0, new Uint8Array(1))).toThrow(RangeError);
    expect(() => j.append(256, new Uint8Array(1))).toThrow(RangeError);
    expect(() => j.append(1, new Uint8Array(101))).toThrow(RangeError);
    expect(() => j.whenDurable(5)).toThrow(RangeError);
    await j.close();
    expect(j.closed).toBe(true);
    try {
      j.append(1, new Uint8Array(1));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(JournalError);
      expect((err as JournalError).code).toBe('JOURNAL_CLOSED');
    }
  });

  it('the iterator yields the same records and can stop early', async () => {
    const d = dir();
    const j = await Journal.open(d, { commit: 'sync' });
    for (let s = 1; s <= 50; s++) j.append(typeFor(s), payloadFor(s));
    await j.close();
    const seqs: number[] = [];
    for (const r of iterateJournal(d, { fromSeq: 10 })) {
      seqs.push(r.seq);
      if (r.seq === 20) break;
    }
    expect(seqs).toEqual([...Array(11).keys()].map((i) => i + 10));
    const it = iterateJournal(d);
    let n = 0;
    let res = it.next();
    while (!res.done) {
      n++;
      res = it.next();
    }
    expect(n).toBe(50);
    expect(res.value.records).toBe(50);
  });

  it('refuses a second writer on the same directory while the first is open', async () => {
    const d = dir();
    const j = await Journal.open(d);
    await expect(Journal.open(d)).rejects.toMatchObject({ code: 'JOURNAL_LOCKED' });
    await j.close();
    const again = await Journal.open(d);
    await again.close();
  });

  it('takes over a stale lock left by a dead process', async () => {
    const d = dir();
    fs.writeFileSync(join(d, 'LOCK'), '999999999 1\n');
    const j = await Journal.open(d);
    await j.close();
    expect(fs.existsSync(join(d, 'LOCK'))).toBe(false);
  });
});

describe('group commit', () => {
  it('writes a batch when maxDelayMs passes, with one shared promise per batch', async () => {
    const d = dir();
    const timers = new ManualTimers();
    const j = await Journal.open(d, { timers, batchBytes: 1 << 20 });
    const s1 = j.append(1, payloadFor(1));
    const s2 = j.append(1, payloadFor(2));
    expect(timers.pending.size).toBe(1);
    expect(j.durableSeq).toBe(0);
    expect(j.bufferedBytes).toBe(2 * 17 + payloadFor(1).length + payloadFor(2).length);
    const p1 = j.whenDurable(s1);
    expect(j.whenDurable(s2)).toBe(p1);
    // nothing on disk beyond the header yet
    expect(fs.statSync(join(d, segmentFiles(d)[0])).size).toBe(32);
    timers.fireAll();
    await p1;
    expect(j.durableSeq).toBe(2);
    expect(j.bufferedBytes).toBe(0);
    expect(j.stats.batches).toBe(1);
    expect(j.whenDurable(s1)).toBe(j.whenDurable(s2)); // the shared resolved promise
    await j.close();
  });

  it('writes a batch as soon as it reaches batchBytes', async () => {
    const d = dir();
    const timers = new ManualTimers();
    const j = await Journal.open(d, { timers, batchBytes: 1000 });
    let last = 0;
    for (let i = 0; i < 20; i++) last = j.append(1, new Uint8Array(100)); // 117 bytes each
    await j.whenDurable(8); // the 9th append crossed 1000 bytes
    expect(j.durableSeq).toBeGreaterThanOrEqual(9);
    await j.flush();
    expect(j.durableSeq).toBe(last);
    await j.close();
    expect(collect(d).records).toHaveLength(20);
  });

  it('records are on disk after flush() and whenDurable resolves in seq order', async () => {
    const d = dir();
    const j = await Journal.open(d, { maxDelayMs: 1, batchBytes: 4096 });
    const order: number[] = [];
    const waits: Promise<void>[] = [];
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 37; i++) {
        const s = j.append(typeFor(i), payloadFor(round * 37 + i));
        if (i % 5 === 0) waits.push(j.whenDurable(s).then(() => void order.push(s)));
      }
      await new Promise((r) => setImmediate(r));
    }
    await j.flush();
    await Promise.all(waits);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(j.durableSeq).toBe(740);
    expect(j.stats.batches).toBeGreaterThan(1);
    // durable means readable by another reader now, before close
    const { summary } = collect(d);
    expect(summary.lastSeq).toBe(740);
    await j.close();
  });

  it('sync commit makes each record durable before append returns', async () => {
    const d = dir();
    const j = await Journal.open(d, { commit: 'sync' });
    for (let s = 1; s <= 5; s++) {
      j.append(1, payloadFor(s));
      expect(j.durableSeq).toBe(s);
      expect(collect(d).summary.lastSeq).toBe(s);
    }
    expect(j.stats.batches).toBe(5);
    await j.close();
  });

  it('a failed write rejects the waiters with JOURNAL_IO and fails later appends', async () => {
    const d = dir();
    const errors: JournalError[] = [];
    const timers = new ManualTimers();
    const j = await Journal.open(d, { timers, onError: (e) => errors.push(e) });
    const s = j.append(1, payloadFor(1));
    const wait = j.whenDurable(s);
    // Sabotage: close the segment's descriptor under the journal so the write fails with EBADF.
    const fd = (j as unknown as { files: { current: { fd: number } } }).files.current.fd;
    fs.closeSync(fd);
    timers.fireAll();
    await expect(wait).rejects.toMatchObject({ code: 'JOURNAL_IO' });
    expect(errors).toHaveLength(1);
    expect(() => j.append(1, payloadFor(2))).toThrow(JournalError);
    await expect(j.flush()).rejects.toMatchObject({ code: 'JOURNAL_IO' });
    (j as unknown as { files: { current: { fd: number } } }).files.current.fd = -1;
    await j.close();
  });

  it('close() writes what is buffered', async () => {
    const d = dir();
    const j = await Journal.open(d, { maxDelayMs: 10_000 });
    for (let s = 1; s <= 100; s++) j.append(1, payloadFor(s));
    await j.close();
    expect(collect(d).summary.lastSeq).toBe(100);
  });
});

describe('rotation, snapshots and retention', () => {
  it('rotates segments by size and reads across them', async () => {
    const d = dir();
    const j = await Journal.open(d, { segmentBytes: 4096, maxDelayMs: 0, batchBytes: 1024 });
    for (let s = 1; s <= 2000; s++) {
      j.append(typeFor(s), payloadFor(s));
      if (s % 50 === 0) await j.flush();
    }
    await j.close();
    const segs = segmentFiles(d);
    expect(segs.length).toBeGreaterThan(5);
    expect(segs[0]).toBe('0000000000000001.log');
    const { records, summary } = collect(d);
    expect(records).toHaveLength(2000);
    expect(summary.segments).toBe(segs.length);
    // each segment is named after its first record
    const reopened = await Journal.open(d);
    expect(reopened.recovery).toMatchObject({ lastSeq: 2000, cut: null, scannedRecords: 2000, segments: segs.length });
    await reopened.close();
    const from = collect(d, { fromSeq: 1500 });
    expect(from.records[0].seq).toBe(1500);
    expect(from.records).toHaveLength(501);
  });

  it('a snapshot is replayed first, older segments are deleted, and restart reads only what follows', async () => {
    const d = dir();
    const j = await Journal.open(d, { segmentBytes: 2048, maxDelayMs: 0, retainSnapshots: 2 });
    const write = async (from: number, to: number): Promise<void> => {
      for (let s = from; s <= to; s++) {
        j.append(typeFor(s), payloadFor(s));
        if (s % 20 === 0) await j.flush();
      }
      await j.flush();
    };
    await write(1, 600);
    const segsBefore = segmentFiles(d).length;
    const info1 = await j.writeSnapshot(400, new TextEncoder().encode('state@400'));
    expect(info1).toMatchObject({ seq: 400, file: '0000000000000400.snap', deletedSnapshots: [] });
    expect(info1.deletedSegments.length).toBeGreaterThan(0);
    expect(segmentFiles(d).length).toBe(segsBefore - info1.deletedSegments.length);
    await write(601, 900);
    const info2 = await j.writeSnapshot(850, new TextEncoder().encode('state@850'));
    // two snapshots kept: retention is bounded by the older one (400)
    expect(info2.deletedSnapshots).toEqual([]);
    const info3 = await j.writeSnapshot(900, new TextEncoder().encode('state@900'));
    expect(info3.deletedSnapshots).toEqual(['0000000000000400.snap']);
    expect(snapshotFiles(d)).toEqual(['0000000000000850.snap', '0000000000000900.snap']);
    await write(901, 950);
    await j.close();

    // Every remaining segment except the first holds records after 850; the first holds seq 851.
    const first = segmentFiles(d)[0];
    expect(Number(first.slice(0, 16))).toBeLessThanOrEqual(851);
    const { records, summary } = collect(d);
    expect(records[0]).toMatchObject({ isSnapshot: true, seq: 900, type: SNAPSHOT_RECORD_TYPE });
    expect(new TextDecoder().decode(records[0].payload)).toBe('state@900');
    expect(records[1].seq).toBe(901);
    expect(records.at(-1)!.seq).toBe(950);
    expect(summary).toMatchObject({ snapshotSeq: 900, records: 50, firstSeq: 901, lastSeq: 950 });

    // asking for records older than the retained journal
    expect(() => readJournal(d, { fromSeq: 1 }, () => undefined)).toThrow(expect.objectContaining({ code: 'JOURNAL_SEQ_UNAVAILABLE' }));

    const reopened = await Journal.open(d);
    expect(reopened.recovery).toMatchObject({ lastSeq: 950, snapshotSeq: 900, cut: null });
    expect(reopened.append(1, new Uint8Array(0))).toBe(951);
    await reopened.close();
  });

  it('retainSegments keeps that many segments from before the oldest kept snapshot', async () => {
    const d = dir();
    const j = await Journal.open(d, { segmentBytes: 1024, maxDelayMs: 0, retainSnapshots: 1, retainSegments: 2 });
    for (let s = 1; s <= 400; s++) {
      j.append(1, payloadFor(s));
      if (s % 10 === 0) await j.flush();
    }
    const before = segmentFiles(d);
    const info = await j.writeSnapshot(400, new Uint8Array(0));
    // every segment but the current one is wholly <= 400; two of them are kept
    expect(info.deletedSegments).toEqual(before.slice(0, before.length - 3));
    expect(segmentFiles(d)).toEqual(before.slice(-3));
    await j.close();
    expect(collect(d).summary).toMatchObject({ snapshotSeq: 400, records: 0 });
    const from = collect(d, { fromSeq: Number(before.at(-3)!.slice(0, 16)) });
    expect(from.summary.lastSeq).toBe(400);
  });

  it('falls back to the previous snapshot when the newest is invalid', async () => {
    const d = dir();
    const j = await Journal.open(d, { segmentBytes: 1024 });
    for (let s = 1; s <= 200; s++) j.append(1, payloadFor(s));
    await j.flush();
    await j.writeSnapshot(100, new Uint8Array([1]));
    await j.writeSnapshot(150, new Uint8Array([2]));
    await j.close();
    const newest = join(d, '0000000000000150.snap');
    const b = fs.readFileSync(newest);
    b[b.length - 1] ^= 0xff;
    fs.writeFileSync(newest, b);
    const { records, summary } = collect(d);
    expect(summary.snapshotSeq).toBe(100);
    expect(summary.skippedSnapshots).toEqual([{ name: '0000000000000150.snap', reason: 'crc mismatch' }]);
    expect(records[0]).toMatchObject({ isSnapshot: true, seq: 100 });
    expect(records[1].seq).toBe(101);
  });

  it('a snapshot waits until its seq is durable, and leftover temp files are removed on open', async () => {
    const d = dir();
    const timers = new ManualTimers();
    const j = await Journal.open(d, { timers });
    j.append(1, payloadFor(1));
    const snap = j.writeSnapshot(1, new Uint8Array([9]));
    let done = false;
    void snap.then(() => (done = true));
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    expect(snapshotFiles(d)).toEqual([]);
    timers.fireAll();
    await snap;
    expect(snapshotFiles(d)).toEqual(['0000000000000001.snap']);
    await expect(j.writeSnapshot(2, new Uint8Array(0))).rejects.toThrow(RangeError);
    await j.close();
    fs.writeFileSync(join(d, '0000000000000002.snap.tmp'), 'partial');
    const again = await Journal.open(d);
    expect(again.recovery.removedTempFiles).toEqual(['0000000000000002.snap.tmp']);
    await again.close();
  });

  it('a snapshot ahead of every record continues the journal after it', async () => {
    const d = dir();
    const j = await Journal.open(d);
    for (let s = 1; s <= 10; s++) j.append(1, payloadFor(s));
    await j.writeSnapshot(10, new Uint8Array([1]));
    await j.close();
    // lose the last records (as a repair would) but keep the snapshot
    const seg = join(d, segmentFiles(d)[0]);
    fs.truncateSync(seg, 32);
    const reopened = await Journal.open(d);
    expect(reopened.lastSeq).toBe(10);
    expect(reopened.append(1, payloadFor(11))).toBe(11);
    await reopened.close();
    const { records } = collect(d);
    expect(records.map((r) => r.seq)).toEqual([10, 11]);
  });
});
