/**
 * bench:snapshot — the longest event-loop turn while a journal snapshot is taken with orders flowing.
 *
 *   npm run bench:snapshot        (= npm run build && node --expose-gc dist/bench/snapshot.js)
 *
 * The daemon's order path from its one constructor (bench/lib/core.ts: store, tracker and its listeners, risk,
 * router, queues, dispatcher, batcher) with the journal on (group commit, a batch goes to its venue once durable) and
 * one no-op venue (bench/lib/noop-venue.ts). The store is filled with N orders held: `retained` finished ones (the
 * tracker's retention limit, daemon.retainFinished: 100,000 by default; a 200,000 run too) and 1,000 open ones.
 *
 * Then orders keep flowing through the real order path, one burst per event-loop turn (submit 32 orders, pump the
 * dispatcher, apply the venue's answers — acknowledged, then expired — to at most 256 of the orders it was handed,
 * which finishes them and makes the retention ring release and reuse slots), while snapshots are taken by the
 * daemon's own code: the SnapshotSchedule, fed by the journal recorder after every record as in the daemon
 * (src/compose/startup-recovery.ts), driving a SnapshotCapture in steps and the journal's SnapshotWriter. A turn is
 * the time between two consecutive bursts: it holds the burst itself, any snapshot step, and the I/O callbacks of
 * that loop iteration. Measured per run:
 *  - idle: turns of the same flow without a snapshot (what the flow costs on its own);
 *  - chunked: turns from the moment a snapshot is due until its file is written (3 snapshots after a warm-up one):
 *    max, p99, the share of turns over 1 ms; the capture's steps (the snapshot's own part of a turn, from the
 *    schedule's log): the longest, and the share over 1 ms; the time from due to written (median);
 *  - the capture's steps alone (no flow, pieces dropped instead of written), one per turn: its own cost per step;
 *  - peer, the previous way: the whole snapshot built and encoded synchronously on one turn (takeSnapshot +
 *    encodeSnapshot, as the daemon did before), then written; its turn is the stall (median of 2).
 * Timing depends on the machine and its load (a busy machine deschedules the process: long turns that are not its
 * own work, in the idle flow as much as during snapshots): compare within a run (ratios), quote medians of several.
 *
 * Human-readable lines first; the last line is one JSON object.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { NO_VENUE, type NewOrderFields } from '../src/core/order-store.js';
import type { Journal } from '../src/journal/journal.js';
import { encodeSnapshot } from '../src/journal/order-snapshot.js';
import { takeSnapshot } from '../src/journal/order-replay.js';
import { SnapshotCapture } from '../src/journal/snapshot-capture.js';
import { SnapshotSchedule } from '../src/journal/snapshot-schedule.js';
import type { OrderUpdate } from '../src/model/lifecycle.js';
import { createLogger } from '../src/telemetry/logger.js';
import { buildCore, BTC_MARK_TICKS, type Core } from './lib/core.js';
import { fmtInt, fullGc, GcWatch, median, percentiles, tick } from './lib/measure.js';
import { benchArgs } from './lib/args.js';
import { NoopVenue } from './lib/noop-venue.js';

const USAGE = `Usage: npm run bench:snapshot        (= npm run build && node --expose-gc dist/bench/snapshot.js)
The longest event-loop turn while a journal snapshot is taken with orders flowing. Human-readable lines first; the
last line is one JSON object. Takes no options.`;

benchArgs({ script: 'bench:snapshot', usage: USAGE, options: {} });

const OPEN_ORDERS = 1000;
const BURST = 32;
const CHUNKED_SNAPSHOTS = 3;
const SYNC_SNAPSHOTS = 2;
/** Records between snapshots once the flow runs (the daemon's journal.snapshotEvery decides; this is for the bench). */
const EVERY = 20_000;
const IDLE_TURNS = 10_000;
/** Order store slots, made at once (see run). */
const STORE_CAPACITY = 1 << 19;
/** Venue answers applied per turn at most (see Flow.closeSome). */
const CLOSE_PER_TURN = 256;
const ACCEPT: OrderUpdate = { kind: 'ACCEPT', venueOrderId: 'noop' };
const EXPIRE: OrderUpdate = { kind: 'EXPIRE' };

interface RunResult {
  orders: number;
  max_stall_ms: number;
  p99_stall_ms: number;
  snapshot_ms: number;
  max_step_ms: number;
  steps_over_1ms: number;
  turns_over_1ms: number;
  alone_step_p99_ms: number;
  alone_step_max_ms: number;
  idle_max_stall_ms: number;
  idle_p99_stall_ms: number;
  idle_turns_over_1ms: number;
  sync_stall_ms: number;
  sync_snapshot_ms: number;
  snapshot_bytes: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The order flow: one burst per turn, with the turn lengths recorded while `recording`. */
class Flow {
  readonly gaps = new Float64Array(1 << 21);
  count = 0;
  recording = false;
  private last = 0;
  /** Handed orders [0, closedUpTo) of the venue's list are closed already. */
  private closedUpTo = 0;
  private running = false;
  private runs = 0;
  private readonly f: NewOrderFields = {
    strategy: 0, symbol: 0, side: 0, type: 0, tif: 0, postOnly: false, priority: 1,
    priceTicks: BTC_MARK_TICKS, stopTicks: 0, qtyLots: 100, venue: NO_VENUE, clientOrderId: undefined, producerSeq: 0, tag: 0, route: 0, parent: 0, algo: 0, paramA: 0, paramB: 0, arrivalMid: 0,
  };
  private k = 0;
  submitted = 0;

  constructor(private readonly core: Core, private readonly venue: NoopVenue) {}

  submit(n: number): void {
    const f = this.f;
    for (let i = 0; i < n; i++) {
      const k = this.k++;
      f.strategy = k & 1;
      f.side = k & 1;
      f.priceTicks = BTC_MARK_TICKS - 64 + (k & 127);
      if (this.core.intake.submitFields(f) < 0) throw new Error('bench:snapshot: order refused');
    }
    this.submitted += n;
    this.core.dispatcher.pump();
  }

  /** Runs the flow until stop(); `onTurn` is called after each burst. */
  start(onTurn: () => void): void {
    if (this.running) throw new Error('bench:snapshot: the flow is running');
    this.running = true;
    const run = ++this.runs;
    this.last = performance.now();
    const turn = (): void => {
      if (!this.running || run !== this.runs) return;
      const now = performance.now();
      if (this.recording && this.count < this.gaps.length) this.gaps[this.count++] = now - this.last;
      this.last = now;
      this.submit(BURST);
      this.closeSome(CLOSE_PER_TURN);
      onTurn();
      setImmediate(turn);
    };
    setImmediate(turn);
  }

  stop(): void {
    this.running = false;
  }

  /**
   * Applies the venue's answers (acknowledged, then expired) to at most `max` handed orders, oldest first: answers
   * arrive spread over turns, as reports from a venue do. (All at once, a journal fsync slowed by the disk makes the
   * bench close tens of thousands of orders on one turn, a stall of its own making.)
   */
  closeSome(max: number): void {
    const v = this.venue;
    const t = this.core.tracker;
    const end = Math.min(v.count, this.closedUpTo + max);
    for (let k = this.closedUpTo; k < end; k++) {
      const slot = t.slotOf(v.ids[k]!);
      t.applySlot(slot, ACCEPT);
      t.applySlot(slot, EXPIRE);
    }
    this.closedUpTo = end;
    if (end === v.count) {
      v.count = 0;
      this.closedUpTo = 0;
    }
  }

  /** The turns recorded (ms), and a fresh start. */
  take(): Float64Array {
    const out = this.gaps.slice(0, this.count);
    this.count = 0;
    return out;
  }
}

async function run(retained: number): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-snapshot-'));
  const venue = new NoopVenue('noop', 1 << 20);
  const core = buildCore({
    strategies: [{ id: 's0' }, { id: 's1' }],
    venues: [venue.name],
    makeVenue: () => venue,
    journalDir: join(dir, 'journal'),
    retainFinished: retained,
    // room for the orders held and those waiting for the disk meanwhile: the store's growth (doubling, once) is a
    // long turn of its own that would land in whichever window it happens to fall
    storeCapacity: STORE_CAPACITY,
  });
  await core.start();
  try {
    const journal = core.journal()!;
    const { tracker } = core;
    const flow = new Flow(core, venue);
    // fill: `retained` finished orders, then OPEN_ORDERS acknowledged ones left open
    const t0 = performance.now();
    while (tracker.structureSizes().finished < retained) {
      for (let i = 0; i < 8; i++) flow.submit(1024);
      while (tracker.open > 0) {
        await sleep(1);
        venue.closeHanded(tracker);
      }
    }
    flow.submit(OPEN_ORDERS);
    await journal.flush();
    while (venue.count < OPEN_ORDERS) await sleep(1);
    for (let i = 0; i < venue.count; i++) tracker.applySlot(tracker.slotOf(venue.ids[i]!), { kind: 'ACCEPT', venueOrderId: 'open' });
    venue.count = 0;
    const held = tracker.structureSizes().held;
    console.log(`${fmtInt(held)} orders held (${fmtInt(tracker.open)} open, ${fmtInt(retained)} finished retained), filled in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    await journal.flush();
    fullGc();

    // idle: the flow alone
    flow.recording = true;
    let turns = 0;
    await new Promise<void>((resolve) => flow.start(() => {
      if (++turns === IDLE_TURNS) {
        flow.stop();
        resolve();
      }
    }));
    flow.recording = false;
    const idleTurns = flow.take();
    const idle = percentiles(idleTurns);
    const idleOver1 = over(idleTurns, 1);
    flow.count = 0;

    // chunked: the daemon's schedule and capture, due every EVERY records
    const lines: Record<string, unknown>[] = [];
    const log = createLogger('info', 'bench', { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
    const capture = new SnapshotCapture({ store: tracker.store, ids: core.ids, risk: core.risk, fees: core.fees });
    const schedule = new SnapshotSchedule(journal, EVERY, capture, log, journal.lastSeq);
    core.recorder!.onRecord = () => schedule.maybeSnapshot();
    const gcs = new GcWatch();
    const windows: { ms: number; gaps: Float64Array; start: number; end: number }[] = [];
    let dropped = 0;
    await new Promise<void>((resolve) => {
      let dueAt = -1;
      let seen = 0;
      flow.start(() => {
        if (schedule.written > seen) {
          // written (its promise settled during this turn); the next one may be due already
          seen = schedule.written;
          const end = performance.now();
          flow.recording = false;
          windows.push({ ms: end - dueAt, gaps: flow.take(), start: dueAt, end });
          dueAt = -1;
          if (windows.length === CHUNKED_SNAPSHOTS + 1) {
            flow.stop();
            core.recorder!.onRecord = undefined;
            dropped = schedule.dropped;
            schedule.cancel(); // the next one, if already due
            resolve();
            return;
          }
        }
        if (dueAt < 0 && schedule.inProgress) {
          // due since a record of this turn's burst: from here until written
          dueAt = performance.now();
          flow.count = 0;
          flow.recording = true;
        }
      });
    });
    const measured = windows.slice(1); // the first one warms the capture code up
    const all = new Float64Array(measured.reduce((n, w) => n + w.gaps.length, 0));
    let at = 0;
    for (const w of measured) {
      all.set(w.gaps, at);
      at += w.gaps.length;
    }
    const chunkedOver1 = over(all, 1);
    const chunked = percentiles(all);
    let gcCount = 0;
    for (const w of measured) gcCount += (await gcs.countBetween(w.start, w.end)).count;
    const written = lines.filter((l) => l.msg === 'journal snapshot written').slice(1);
    if (written.length !== CHUNKED_SNAPSHOTS || dropped !== 0) throw new Error(`bench:snapshot: ${written.length} snapshots written, ${dropped} dropped`);
    const bytes = written[0]!.bytes as number;
    const longestStep = Math.max(...written.map((l) => l.longestStepMs as number));
    const steps = written.reduce((n, l) => n + (l.steps as number), 0);
    const slowSteps = written.reduce((n, l) => n + (l.stepsOver1ms as number), 0);
    console.log(
      `  idle flow (${fmtInt(IDLE_TURNS)} turns of ${BURST} orders, no snapshot): longest turn ${idle.max.toFixed(2)} ms, p99 ${idle.p99.toFixed(3)} ms, ` +
      `turns over 1 ms ${pct(idleOver1)}`,
    );
    console.log(
      `  chunked snapshots while orders flow (${CHUNKED_SNAPSHOTS}, of ${written.map((l) => fmtInt(l.orders as number)).join(', ')} orders, ` +
      `${(bytes / 1048576).toFixed(1)} MiB): longest turn ${chunked.max.toFixed(2)} ms, p99 ${chunked.p99.toFixed(3)} ms, turns over 1 ms ${pct(chunkedOver1)} ` +
      `of ${fmtInt(chunked.count)}; capture steps: longest ${longestStep.toFixed(2)} ms, over 1 ms ${fmtInt(slowSteps)} of ${fmtInt(steps)}; due -> written ${measured.map((w) => w.ms.toFixed(0)).join(', ')} ms ` +
      `(capture ${written.map((l) => String(l.captureMs)).join(', ')} ms in ${written.map((l) => String(l.steps)).join(', ')} steps; ` +
      `slots copied on write ${written.map((l) => fmtInt(l.copiedOnWrite as number)).join(', ')}; ${gcCount} GC events)`,
    );

    // the capture's own steps, alone: no flow, no disk (pieces dropped), one step per turn
    const alone = new Float64Array(1 << 16);
    let aloneSteps = 0;
    const dropPieces = { write: (_bytes: Uint8Array, _length: number, done?: () => void): void => done?.() };
    const quiet = new SnapshotCapture({ store: tracker.store, ids: core.ids, risk: core.risk, fees: core.fees });
    for (let round = 0; round < 2; round++) {
      // the first round makes its arrays and pieces; the second is measured
      quiet.begin(dropPieces);
      aloneSteps = 0;
      for (;;) {
        await tick();
        const s0 = performance.now();
        const done = quiet.step();
        if (aloneSteps < alone.length) alone[aloneSteps++] = performance.now() - s0;
        if (done) break;
      }
    }
    const aloneP = percentiles(alone, aloneSteps);
    console.log(
      `  capture steps alone (no flow, no disk; ${fmtInt(quiet.orders)} orders): p50 ${aloneP.p50.toFixed(3)} ms, p99 ${aloneP.p99.toFixed(3)} ms, ` +
      `max ${aloneP.max.toFixed(2)} ms over ${fmtInt(aloneSteps)} steps`,
    );

    // peer: the previous way, the whole snapshot on one turn
    const syncTurns: number[] = [];
    const syncTotal: number[] = [];
    for (let i = 0; i < SYNC_SNAPSHOTS; i++) {
      await new Promise<void>((resolve) => {
        let n = 0;
        flow.start(() => {
          if (++n !== 500) return;
          const start = performance.now();
          const seq = journal.lastSeq;
          const payload = encodeSnapshot(takeSnapshot(tracker, core.ids.current(), core.risk, core.fees));
          syncTurns.push(performance.now() - start);
          void writeThen(journal, seq, payload, () => {
            syncTotal.push(performance.now() - start);
            flow.stop();
            resolve();
          });
        });
      });
      await tick();
    }
    gcs.stop();
    const sync = median(syncTurns);
    console.log(
      `  peer, synchronous snapshot (the previous way): ${syncTurns.map((x) => x.toFixed(0)).join(', ')} ms on one turn ` +
      `(due -> written ${syncTotal.map((x) => x.toFixed(0)).join(', ')} ms); longest turn ${(sync / chunked.max).toFixed(0)}x the chunked one`,
    );
    return {
      orders: held, max_stall_ms: round(chunked.max, 2), p99_stall_ms: round(chunked.p99, 3), snapshot_ms: Math.round(median(measured.map((w) => w.ms))),
      max_step_ms: round(longestStep, 2), steps_over_1ms: round(slowSteps / steps, 5), turns_over_1ms: round(chunkedOver1, 5),
      alone_step_p99_ms: round(aloneP.p99, 3), alone_step_max_ms: round(aloneP.max, 2),
      idle_max_stall_ms: round(idle.max, 2), idle_p99_stall_ms: round(idle.p99, 3), idle_turns_over_1ms: round(idleOver1, 5), sync_stall_ms: Math.round(sync), sync_snapshot_ms: Math.round(median(syncTotal)),
      snapshot_bytes: bytes,
    };
  } finally {
    await core.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function writeThen(journal: Journal, seq: number, payload: Uint8Array, done: () => void): Promise<void> {
  return journal.writeSnapshot(seq, payload).then(done, (err: unknown) => {
    console.error(err);
    done();
  });
}

/** The share of turns longer than `ms`. */
function over(turns: Float64Array, ms: number): number {
  let n = 0;
  for (let i = 0; i < turns.length; i++) if (turns[i]! > ms) n++;
  return turns.length === 0 ? 0 : n / turns.length;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(2)} %`;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

async function main(): Promise<void> {
  console.log(`bench:snapshot — node ${process.version}, ${process.platform}/${process.arch}`);
  if (!fullGc()) console.log('(run with node --expose-gc for a forced collection before each run)');
  const runs: RunResult[] = [];
  for (const retained of [100_000, 200_000]) {
    console.log(`run: ${fmtInt(retained)} finished orders retained`);
    runs.push(await run(retained));
    fullGc();
  }
  console.log(JSON.stringify({ bench: 'snapshot', runs }));
}

await main();
