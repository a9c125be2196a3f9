/**
 * The journal follower's live batches (src/journal/journal-follower.ts, drain): rows whose records are durable are
 * written without waiting for the journal's write in progress; the sink never gets a row before its record is
 * durable, never a watermark past the journal's durable seq, every row exactly once and in order, and the rows of
 * one record in one batch; under steady load (the sink always a little behind) the lag in seconds is the age of what
 * is not written yet, not the time since the sink last held everything. Driven with a journal whose durable seq the test moves by hand (a write that never
 * finishes stays unfinished) and a sink that records what it was handed.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { OrderStore, OrderView } from '../../src/core/order-store.js';
import { JournalFollower, type FollowedJournal, type FollowerSink } from '../../src/journal/journal-follower.js';
import type { OrderUpdate, Transition } from '../../src/model/lifecycle.js';
import { ManualClock, systemClock, type Clock } from '../../src/model/clock.js';
import { waitFor } from '../helpers/poll.js';

interface Row {
  readonly seq: number;
  readonly part: number;
}

/** A journal whose appends and durable seq the test sets; whenDurable resolves only once the test moves it. */
class HandJournal implements FollowedJournal {
  readonly dir = '/nonexistent-journal-dir';
  last = 0;
  durable = 0;
  private waiters: { seq: number; resolve: () => void }[] = [];
  lastSeq(): number {
    return this.last;
  }
  durableSeq(): number {
    return this.durable;
  }
  whenDurable(seq: number): Promise<void> {
    if (seq <= this.durable) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ seq, resolve }));
  }
  makeDurable(seq: number): void {
    this.durable = Math.max(this.durable, Math.min(seq, this.last));
    const ready = this.waiters.filter((w) => w.seq <= this.durable);
    this.waiters = this.waiters.filter((w) => w.seq > this.durable);
    for (const w of ready) w.resolve();
  }
}

/** Records every write; checks at each write that nothing is ahead of the journal's durable seq. */
class RecordingSink implements FollowerSink<Row> {
  readonly kind = 'test';
  readonly where = 'memory';
  readonly writes: { rows: Row[]; watermark: number }[] = [];
  readonly problems: string[] = [];
  wm = 0;
  constructor(private readonly journal: HandJournal) {}
  async open(): Promise<void> {}
  async watermark(): Promise<number> {
    return this.wm;
  }
  async write(rows: readonly Row[], watermark: number): Promise<void> {
    const durable = this.journal.durableSeq();
    if (watermark > durable) this.problems.push(`watermark ${watermark} past the durable seq ${durable}`);
    if (watermark < this.wm) this.problems.push(`watermark went back from ${this.wm} to ${watermark}`);
    for (const r of rows) {
      if (r.seq > durable) this.problems.push(`row of seq ${r.seq} written while only ${durable} was durable`);
      if (r.seq > watermark) this.problems.push(`row of seq ${r.seq} beyond its batch's watermark ${watermark}`);
    }
    this.writes.push({ rows: [...rows], watermark });
    this.wm = watermark;
  }
  async close(): Promise<void> {}
  rows(): Row[] {
    return this.writes.flatMap((w) => w.rows);
  }
}

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (stops.length > 0) await stops.pop()!();
});

const NO_ORDER = {} as OrderView;
const NO_UPDATE = {} as OrderUpdate;
const NO_TRANSITION = {} as Transition;

/** A follower whose live rows are `parts[seq]` rows per record (default one). */
function follower(journal: HandJournal, sink: RecordingSink, o: { batchRows?: number; bufferRows?: number; parts?: Map<number, number>; clock?: Clock; onRoom?: () => void } = {}): JournalFollower<Row> {
  const f = new JournalFollower<Row>({
    name: 'test',
    sink,
    rows: () => undefined,
    liveRows: (seq, _order, _update, _t, out) => {
      const parts = o.parts?.get(seq) ?? 1;
      for (let part = 0; part < parts; part++) out.push({ seq, part });
    },
    orders: {} as OrderStore,
    retainFinished: 0,
    clock: o.clock ?? systemClock,
    log: { warn: () => undefined, error: () => undefined, info: () => undefined },
    batchRows: o.batchRows ?? 1000,
    bufferRows: o.bufferRows ?? 1 << 20,
    flushMs: 1,
    markEveryMs: 1_000_000,
    onRoom: o.onRoom,
  });
  f.start(journal);
  stops.push(() => f.stop(1000));
  return f;
}

function append(journal: HandJournal, f: JournalFollower<Row>, n: number): void {
  for (let i = 0; i < n; i++) {
    journal.last++;
    f.onRecorded(journal.last, NO_ORDER, NO_UPDATE, NO_TRANSITION);
  }
}

describe('journal follower: live batches', () => {
  it('writes the rows whose records are durable without waiting for the journal write in progress', async () => {
    const journal = new HandJournal();
    const sink = new RecordingSink(journal);
    const f = follower(journal, sink);
    await waitFor(() => f.status().mode === 'live');
    append(journal, f, 10);
    journal.makeDurable(6); // records 7..10: their write is in progress and does not finish here
    await waitFor(() => sink.rows().length === 6);
    expect(sink.rows().map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(sink.wm).toBe(6);
    expect(f.watermark).toBe(6);
    expect(f.status().buffered).toBe(4);
    journal.makeDurable(10);
    await waitFor(() => sink.rows().length === 10);
    expect(sink.rows().map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(sink.wm).toBe(10);
    expect(f.status().buffered).toBe(0);
    expect(sink.problems).toEqual([]);
  });

  it('hasRoom: taking rows with at most half its buffer used; onRoom once it takes rows and after a write took some out', async () => {
    const journal = new HandJournal();
    const sink = new RecordingSink(journal);
    let rooms = 0;
    const f = follower(journal, sink, { bufferRows: 10, batchRows: 4, onRoom: () => rooms++ });
    expect(f.hasRoom()).toBe(false); // not taking rows before it is live
    await waitFor(() => f.status().mode === 'live');
    expect(rooms).toBe(1);
    expect(f.hasRoom()).toBe(true);
    append(journal, f, 5); // nothing durable yet: the rows wait in the buffer
    expect(f.hasRoom()).toBe(true);
    append(journal, f, 1);
    expect(f.hasRoom()).toBe(false);
    expect(rooms).toBe(1);
    journal.makeDurable(6);
    await waitFor(() => sink.rows().length === 6);
    await waitFor(() => rooms >= 2);
    expect(f.hasRoom()).toBe(true);
    expect(f.status().overflows).toBe(0);
    expect(sink.problems).toEqual([]);
  });

  it('a watermark follows the durable seq over records that made no rows', async () => {
    const journal = new HandJournal();
    const sink = new RecordingSink(journal);
    const f = follower(journal, sink);
    await waitFor(() => f.status().mode === 'live');
    append(journal, f, 3);
    journal.last += 4; // records 4..7 made no rows (a refused transition, say)
    append(journal, f, 1); // record 8
    journal.makeDurable(7);
    await waitFor(() => sink.rows().length === 3);
    await waitFor(() => sink.wm === 7);
    expect(sink.problems).toEqual([]);
  });

  it('steady load: the lag in seconds is how old the unwritten records are, not how long the load has lasted', async () => {
    const journal = new HandJournal();
    const sink = new RecordingSink(journal);
    const clock = new ManualClock();
    // batches of 3: more rows wait than one batch takes, so no batch ever takes the whole buffer
    const f = follower(journal, sink, { clock, batchRows: 3 });
    await waitFor(() => f.status().mode === 'live');
    // every second 10 more records; the journal's write of the newest 5 is always still in progress
    for (let second = 0; second < 8; second++) {
      append(journal, f, 10);
      journal.makeDurable(journal.last - 5);
      await waitFor(() => sink.wm === journal.last - 5);
      clock.advance(1000);
    }
    // W = 75 of 80, now = 8 s. W passed 70, which the journal held at 6 s (the batch before the last noted it): the
    // oldest unwritten record is younger than 2 s. (Before, this said 8 s: it counted from the last moment the sink
    // held everything, and grew by a second per second of load.)
    const st = f.status();
    expect(st.lagRecords).toBe(5);
    expect(st.lagSeconds).toBe(2);
    expect(sink.problems).toEqual([]);
  });

  it('every row exactly once, in order, a record never split, nothing ahead of the journal (random appends and writes)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ append: fc.integer({ min: 0, max: 700 }), durable: fc.integer({ min: 0, max: 800 }) }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 600 }),
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 16, maxLength: 16 }),
        async (steps, batchRows, partsCycle) => {
          const journal = new HandJournal();
          const sink = new RecordingSink(journal);
          const parts = new Map<number, number>();
          for (let s = 1; s <= 12 * 700; s++) parts.set(s, partsCycle[s % partsCycle.length]!);
          const f = follower(journal, sink, { batchRows, parts });
          await waitFor(() => f.status().mode === 'live');
          for (const step of steps) {
            append(journal, f, step.append);
            journal.makeDurable(journal.durable + step.durable);
            await new Promise((r) => setTimeout(r, 2));
          }
          journal.makeDurable(journal.last);
          let expected = 0;
          for (let s = 1; s <= journal.last; s++) expected += parts.get(s)!;
          await waitFor(() => sink.rows().length === expected && sink.wm === journal.last);
          const rows = sink.rows();
          let k = 0;
          for (let s = 1; s <= journal.last; s++) {
            for (let part = 0; part < parts.get(s)!; part++) {
              expect(rows[k]).toEqual({ seq: s, part });
              k++;
            }
          }
          // the rows of one record in one batch: no write ends with a record whose rows continue in the next
          for (let w = 0; w + 1 < sink.writes.length; w++) {
            const a = sink.writes[w]!.rows;
            const b = sink.writes[w + 1]!.rows;
            if (a.length > 0 && b.length > 0) expect(b[0]!.seq).toBeGreaterThan(a[a.length - 1]!.seq);
          }
          expect(sink.problems).toEqual([]);
          await stops.pop()!();
        },
      ),
      { numRuns: 25 },
    );
  }, 60_000);
});
