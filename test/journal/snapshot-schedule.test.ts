/**
 * The snapshot schedule with a real journal (src/journal/snapshot-schedule.ts): snapshots captured in steps while
 * orders keep being journaled hold the state at their seq (the synchronous snapshot taken then), and a recovery from
 * the journal gives the state the daemon had; a journal that
 * closes (daemon stop) or fails during a capture leaves no snapshot file, half or whole, no write hook on the order
 * store, and nothing pending that keeps the process alive.
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeSnapshot as decodeSnapshotFile } from '../../src/journal/format.js';
import { Journal, type JournalFileWrites } from '../../src/journal/journal.js';
import { JournalRecorder } from '../../src/journal/journal-recorder.js';
import { encodeSnapshot } from '../../src/journal/order-snapshot.js';
import { replayOrders, takeSnapshot } from '../../src/journal/order-replay.js';
import { SnapshotSchedule } from '../../src/journal/snapshot-schedule.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { tempDir } from './helpers.js';
import { captureOf, createOrder, dispatch, makeRig, syncSnapshot, updateFor, type Rig } from './order-rig.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A logger whose records the test reads. */
function recordingLogger(): { log: ReturnType<typeof createLogger>; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger('info', 'test', { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { log, lines };
}

/** A small deterministic PRNG (xorshift32). */
function prng(seed: number): (n: number) => number {
  let x = seed | 0 || 1;
  return (n) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
}

function heldSlots(r: Rig): number[] {
  const out: number[] = [];
  for (let slot = 0; slot < r.store.capacity; slot++) if (r.store.id[slot]! >= 0) out.push(slot);
  return out;
}

/** A few random order moves, as a turn of a running daemon makes them. */
function moves(r: Rig, rnd: (n: number) => number, count: number): void {
  for (let i = 0; i < count; i++) {
    r.clock.advance(1 + rnd(5));
    const k = rnd(10);
    if (k < 3) {
      const slot = createOrder(r, { strategy: rnd(2), symbol: rnd(3), sell: rnd(2) === 0, type: rnd(4), priceTicks: 100 + rnd(900), qtyLots: 1 + rnd(20), givenId: rnd(4) === 0 });
      if (rnd(3) !== 0) dispatch(r, slot, rnd(2) === 0 ? 'v1' : 'v2');
      continue;
    }
    const held = heldSlots(r);
    if (held.length === 0) continue;
    const slot = held[rnd(held.length)]!;
    // no fill with a trade id seen before (an ignored update is not journaled, but stamps the order's time)
    const kind = rnd(14);
    r.tracker.applySlot(slot, updateFor(r, slot, kind, kind === 1 ? 1 + 5 * rnd(1000) + rnd(4) : rnd(1000)));
  }
}

interface Journaled extends Rig {
  readonly journal: Journal;
  readonly recorder: JournalRecorder;
  readonly dir: string;
}

async function journaled(retainFinished: number, fileWrites?: JournalFileWrites): Promise<Journaled> {
  const t = tempDir('snapshot-schedule-', true);
  cleanups.push(t.cleanup);
  const r = makeRig(retainFinished);
  const recorder = new JournalRecorder(r.store);
  r.tracker.listen(recorder, 'journal');
  const journal = await Journal.open(t.dir, { maxDelayMs: 1, fileWrites, onError: (e) => recorder.fail(e) });
  recorder.attach(journal);
  recorder.writeNames();
  return { ...r, journal, recorder, dir: t.dir };
}

/** The state a snapshot holds, minus each order's update time (an ignored update stamps it without a record). */
function stateOf(r: Rig): unknown {
  const snap = JSON.parse(Buffer.from(encodeSnapshot(takeSnapshot(r.tracker, r.ids.current(), r.risk, r.fees))).toString()) as { orders: { u?: number }[] };
  for (const o of snap.orders) delete o.u;
  return snap;
}

function snapshotFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.includes('.snap'));
}

describe('snapshot schedule: chunked snapshots while orders flow', () => {
  it('snapshots captured while orders keep changing recover the same state (snapshot + records after it)', async () => {
    const j = await journaled(150);
    const rnd = prng(7);
    moves(j, rnd, 600);
    const { log, lines } = recordingLogger();
    // small steps, so the orders moving between them meet slots the capture has not copied yet
    const capture = captureOf(j, { copySlots: 3, sortMoves: 50, encodeRows: 4 });
    // the synchronous snapshot at each capture's start (its seq S), to hold each file written against
    const atStart = new Map<number, string>();
    const begin = capture.begin.bind(capture);
    capture.begin = (out) => {
      atStart.set(j.journal.lastSeq, Buffer.from(syncSnapshot(j)).toString());
      begin(out);
    };
    const schedule = new SnapshotSchedule(j.journal, 400, capture, log, 0);
    j.recorder.onRecord = () => schedule.maybeSnapshot();
    for (let t = 0; t < 5000 && schedule.written < 3; t++) {
      moves(j, rnd, 3);
      await turn();
    }
    expect(schedule.written).toBeGreaterThanOrEqual(3);
    expect(schedule.dropped).toBe(0);
    moves(j, rnd, 50); // records after the last snapshot
    while (schedule.inProgress) await turn();
    const written = lines.filter((l) => l.msg === 'journal snapshot written');
    expect(written.length).toBe(schedule.written);
    // the captures did copy slots on write: orders moved during them
    expect(written.some((l) => (l.copiedOnWrite as number) > 0)).toBe(true);
    expect(written.every((l) => (l.steps as number) > 10)).toBe(true);
    // the later captures wrote rows from the earlier ones' bytes (orders not written since: the row cache)
    expect(written.slice(1).every((l) => (l.reusedRows as number) > 0)).toBe(true);
    await j.journal.close();
    // the copy is over; the capture stays the store's write hook, for its cached rows
    expect(capture.copying).toBe(false);
    expect(j.store.writeHook === null || j.store.writeHook === capture).toBe(true);
    // the snapshot files kept (retention: the newest 2) hold exactly the state at their seq
    const files = snapshotFiles(j.dir);
    expect(files.length).toBe(2);
    for (const f of files) {
      const frame = decodeSnapshotFile(fs.readFileSync(join(j.dir, f)));
      if (!frame.ok) throw new Error(`${f}: ${frame.reason}`);
      expect(Buffer.from(frame.payload).toString()).toBe(atStart.get(frame.seq));
    }
    const live = stateOf(j);

    const again = makeRig(150);
    again.accounting.replaying = true;
    const report = replayOrders(j.dir, again.tracker, again.store, again.ids, again.risk, again.fees);
    again.accounting.replaying = false;
    expect(report.snapshotSeq).toBe(written.at(-1)!.seq);
    expect(report.refused).toBe(0);
    expect(stateOf(again)).toEqual(live);
  });

  it('a journal closing during a capture (daemon stop): capture dropped, no snapshot file, no hook, nothing pending', async () => {
    const j = await journaled(1000);
    moves(j, prng(3), 400);
    await j.journal.flush();
    const { log } = recordingLogger();
    const capture = captureOf(j, { copySlots: 1 });
    const schedule = new SnapshotSchedule(j.journal, 1, capture, log, 0);
    schedule.maybeSnapshot();
    for (let i = 0; i < 5; i++) await turn();
    expect(capture.active).toBe(true);
    expect(j.store.writeHook).toBe(capture);
    // the step waiting for its turn does not keep the process alive
    expect((schedule as unknown as { immediate: NodeJS.Immediate }).immediate.hasRef()).toBe(false);
    await j.journal.close();
    for (let i = 0; i < 3; i++) await turn();
    expect(schedule.inProgress).toBe(false);
    expect(capture.active).toBe(false);
    expect(j.store.writeHook).toBeNull();
    expect(schedule.dropped).toBe(1);
    expect(schedule.written).toBe(0);
    expect(snapshotFiles(j.dir)).toEqual([]);
  });

  it('a journal failing during a capture (write error): capture dropped, no snapshot file, no hook', async () => {
    let failing = false;
    const writes: JournalFileWrites = {
      write: (fd, data, offset, length, position, cb) => {
        if (failing) cb(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }), 0);
        else fs.write(fd, data, offset, length, position, cb);
      },
      fdatasync: (fd, cb) => fs.fdatasync(fd, cb),
    };
    const j = await journaled(1000, writes);
    moves(j, prng(5), 400);
    await j.journal.flush();
    const { log } = recordingLogger();
    const capture = captureOf(j, { copySlots: 1 });
    const schedule = new SnapshotSchedule(j.journal, 1, capture, log, 0);
    schedule.maybeSnapshot();
    for (let i = 0; i < 5; i++) await turn();
    expect(capture.active).toBe(true);
    failing = true;
    moves(j, prng(6), 5);
    await expect(j.journal.flush()).rejects.toMatchObject({ code: 'JOURNAL_IO' });
    expect(j.recorder.failed).not.toBeNull();
    for (let i = 0; i < 3; i++) await turn();
    expect(schedule.inProgress).toBe(false);
    expect(j.store.writeHook).toBeNull();
    expect(schedule.dropped).toBe(1);
    await j.journal.close(); // waits for the temp file's removal
    expect(snapshotFiles(j.dir)).toEqual([]);
  });

  it('cancel() drops a capture in progress and removes the hook', async () => {
    const j = await journaled(1000);
    moves(j, prng(9), 200);
    const { log } = recordingLogger();
    const capture = captureOf(j, { copySlots: 1 });
    const schedule = new SnapshotSchedule(j.journal, 1, capture, log, 0);
    schedule.maybeSnapshot();
    for (let i = 0; i < 3; i++) await turn();
    schedule.cancel();
    expect(schedule.inProgress).toBe(false);
    expect(j.store.writeHook).toBeNull();
    await j.journal.close();
    expect(snapshotFiles(j.dir)).toEqual([]);
  });
});
