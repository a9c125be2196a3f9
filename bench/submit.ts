/**
 * bench:submit — submit to venue batch handoff, with a no-op venue.
 *
 *   npm run bench:submit        (= npm run build && node --expose-gc dist/bench/submit.js)
 *
 * The daemon's order path comes from its one constructor (src/compose/order-path.ts, composed by bench/lib/core.ts:
 * order store, tracker with the daemon's listeners — risk accounting, fees, Prometheus metrics, the order log —,
 * pre-trade risk, router, strategy queues, dispatcher, per-venue batcher of 32), with one no-op venue
 * (bench/lib/noop-venue.ts) that notes what it is handed and answers nothing. After each handoff the bench
 * applies the venue's answers (acknowledged, then expired) so slots are recycled as in a running daemon.
 *
 * 1. In process (OrderIntake.submitFields, the allocation-free submit, + Dispatcher.pump()):
 *    - warm-up, then a timed throughput pass: bursts of 512 submits, one pump() per burst; orders/s counts the
 *      submit + pump time only (closing the handed orders is outside the timed segments but inside the GC
 *      window); GC events are counted with a PerformanceObserver during this pass only;
 *    - a latency pass: one order at a time, submit -> pump -> handoff; each sample is performance.now() at the
 *      venue minus performance.now() before submitFields (so each includes one timer read, printed below).
 * 2. Worker ring path, twice: with the default dispatcher (polls once per event-loop turn for 200 µs after its last
 *    order, then sleeps on the doorbell; workers sleep at once) and with the busy-polling one (daemon.dispatch.busyPoll:
 *    a tight polling loop that yields to the event loop every 0.1 ms; workers poll 50 µs after their last activity).
 *    Each: a worker strategy (real StrategyHost, SDK and ring intake; bench/lib/submit-strategy.ts)
 *    stamps each submit in shared memory (timeOrigin + now(), clock offset to the main thread corrected through
 *    the shared monotonic clock); the venue stamps the handoff:
 *    - warm-up: 20,000 orders as in the latency pass, not counted (printed apart): from a fresh start the JIT has not
 *      compiled either thread's path yet;
 *    - latency pass: one order in flight (the next one is submitted on the SUBMITTED event), so each sample is the
 *      path itself: SDK submit, ring, doorbell wake-up of the dispatcher if it slept, dispatch, handoff;
 *    - throughput pass: the worker submits as fast as it can (at most 2048 orders without a final event);
 *      orders/s from its first submit to the last handoff.
 * 3. Ring throughput worker -> main thread (bench/lib/ring-throughput.ts), and the postMessage peer.
 *
 * The journal is off in 1 and 2: they measure the dispatch path (as the batcher's durability gate documents,
 * without a journal batches go out at once). The daemon's default configuration journals every order and hands a
 * batch to its venue only once durable; a peer line shows that path's latency and throughput for context.
 *
 * `--only=worker`: the two worker-path runs only.
 * `--breakdown`: the worker paths' latency pass also split into its parts (each sample's own stamps, same clocks as the
 * headline figure): the SDK's submit call in the worker (stamp before, stamp after it returned); published -> the
 * dispatcher's cycle that took the record began (its drain, the ring intake wrapped to stamp it); that cycle's drain
 * (ring read, intake, ACK); the rest to the handoff (risk, router, SUBMITTED, batcher, venue); and the headline samples
 * split by whether the dispatcher had slept on the doorbell before the cycle that took them (they paid its wake-up).
 * The wrapper and the extra stamps cost a few tens of ns per order: the headline figures are those of a run without it.
 * Every stamp is at full resolution (performance.now() on each thread, moved onto the shared monotonic clock). Before
 * 2026-12-02 the stamps were wall-clock times (timeOrigin + now(), about 1.7e12 ms), which a double rounds to 2^-12 ms,
 * so every figure was a multiple of 244 ns, give or take one.
 *
 * Human-readable lines first; the last line is one JSON object: inproc, worker (default dispatcher), worker_busy_poll,
 * ring_records_per_s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { NO_VENUE, type NewOrderFields } from '../src/core/order-store.js';
import { benchArgs, flag, oneOf } from './lib/args.js';
import { buildCore, BTC_MARK_TICKS, type Core } from './lib/core.js';
import { fmtInt, fullGc, GcWatch, percentiles, tick, timerOverheadNs } from './lib/measure.js';
import { NoopVenue } from './lib/noop-venue.js';
import { measurePostMessageThroughput, measureRingThroughput } from './lib/ring-throughput.js';
import { BUSY_POLL_WORKER_SPIN_US, DEFAULT_WORKER_SPIN_US } from '../src/strategy/worker-protocol.js';

const USAGE = `Usage: npm run bench:submit [-- --only=worker] [--breakdown]
                            (= npm run build && node --expose-gc dist/bench/submit.js)
  --only=worker   the two worker-path runs only (default dispatcher and busy-polling; no in-process, journal or ring
                  passes): for working on that path
  --breakdown     the worker paths' latency pass also split into its parts (the SDK's submit call; published -> the
                  dispatcher's cycle that took the record; that cycle's drain; the rest to the handoff), and the
                  headline samples split by whether the dispatcher had slept on the doorbell; the wrapper and the extra
                  stamps cost a few tens of ns per order: the headline figures are those of a run without it
Human-readable lines first; the last line is one JSON object: inproc, worker (default dispatcher), worker_busy_poll,
ring_records_per_s.`;

const args = benchArgs({
  script: 'bench:submit',
  usage: USAGE,
  options: { only: oneOf(['worker']), breakdown: flag() },
});

const STRATEGIES = 4;
const WARMUP_ORDERS = 600_000;
const THROUGHPUT_ORDERS = 2_000_000;
const BURST = 512;
const LATENCY_WARMUP = 100_000;
const LATENCY_ORDERS = 1_000_000;
/**
 * Orders the worker path sends one at a time before its latency pass, not counted: from a fresh start the first few
 * thousand run in V8's interpreter and baseline code on both threads (p50 about 29 us over the first 2,500 on
 * 2026-12-06), which made the first runs' p99 a figure of the JIT, not of the path. The in-process pass warms up too.
 */
const WORKER_WARMUP_ORDERS = 20_000;
const WORKER_LATENCY_ORDERS = 50_000;
const WORKER_FLOOD_ORDERS = 1_000_000;
const WORKER_WINDOW = 2048;
const RING_RECORDS = 10_000_000;
const PEER_RECORDS = 200_000;

interface InprocResult {
  p50_ns: number;
  p99_ns: number;
  p999_ns: number;
  max_ns: number;
  orders_per_s: number;
  gc_events: number;
}

interface WorkerResult {
  p50_ns: number;
  p99_ns: number;
  orders_per_s: number;
}

const ns = (ms: number): number => Math.round(ms * 1e6);

/** Slots for every order of the timed pass: a no-op venue never answers, so they all stay open during it. */
const INPROC_CAPACITY = 1 << 22;

function inprocCore(venue: NoopVenue): Core {
  return buildCore({
    strategies: Array.from({ length: STRATEGIES }, (_, i) => ({ id: `s${i}` })),
    venues: [venue.name],
    makeVenue: () => venue,
    storeCapacity: INPROC_CAPACITY,
  });
}

/** One in-process run. */
async function inproc(gcs: GcWatch): Promise<InprocResult> {
  const label = 'in process';
  const venue = new NoopVenue('noop', INPROC_CAPACITY);
  const core = inprocCore(venue);
  await core.start();
  const { intake, dispatcher, tracker } = core;
  const f: NewOrderFields = {
    strategy: 0, symbol: 0, side: 0, type: 0, tif: 0, postOnly: false, priority: 1,
    priceTicks: BTC_MARK_TICKS, stopTicks: 0, qtyLots: 100, venue: NO_VENUE, clientOrderId: undefined, producerSeq: 0, tag: 0, route: 0, parent: 0, algo: 0, paramA: 0, paramB: 0, arrivalMid: 0,
  };
  let refused = 0;
  let k = 0;
  const fill = (): void => {
    f.strategy = k & 3;
    f.side = k & 1;
    f.priceTicks = BTC_MARK_TICKS - 64 + (k & 127);
    f.qtyLots = 100 + (k & 7);
    k++;
  };
  /**
   * Submits and dispatches `orders` in bursts; returns the ms spent in submit + pump. With `close`, the venue's
   * answers are applied after each burst (the warm-up exercises that path too); without, the orders stay open, as
   * at a no-op venue that never answers, and are closed by the caller after the timed pass.
   */
  const pass = (orders: number, close: boolean): number => {
    let path = 0;
    for (let done = 0; done < orders; done += BURST) {
      const n = Math.min(BURST, orders - done);
      const t0 = performance.now();
      for (let j = 0; j < n; j++) {
        fill();
        if (intake.submitFields(f) < 0) refused++;
      }
      dispatcher.pump();
      path += performance.now() - t0;
      if (close) venue.closeHanded(tracker);
    }
    return path;
  };

  pass(WARMUP_ORDERS, true);
  await tick();
  fullGc();
  await tick();
  const handed0 = venue.total;
  const start = performance.now();
  const pathMs = pass(THROUGHPUT_ORDERS, false);
  const end = performance.now();
  const gc = await gcs.countBetween(start, end);
  const closeStart = performance.now();
  venue.closeHanded(tracker);
  const closeMs = performance.now() - closeStart;
  const handed = venue.total - handed0;
  if (handed !== THROUGHPUT_ORDERS || refused !== 0) throw new Error(`in process: ${handed} of ${THROUGHPUT_ORDERS} handed over, ${refused} refused`);
  if (tracker.open !== 0) throw new Error(`in process: ${tracker.open} orders left open`);
  const ordersPerS = THROUGHPUT_ORDERS / (pathMs / 1000);
  console.log(
    `${label} throughput: ${fmtInt(ordersPerS)} orders/s submit -> handoff (${fmtInt(THROUGHPUT_ORDERS)} orders, bursts of ${BURST}, ` +
    `${(pathMs / 1000).toFixed(3)} s), then the venue's answers closing them: ${fmtInt(THROUGHPUT_ORDERS / (closeMs / 1000))} orders/s (not timed in the pass); ` +
    `GC events during the pass: ${gc.count} (${gc.minor} minor, ${gc.major} other)`,
  );

  // latency: one order per submit + pump
  venue.stamping = true;
  const samples = new Float64Array(LATENCY_ORDERS);
  const one = (i: number): void => {
    fill();
    const t0 = performance.now();
    intake.submitFields(f);
    dispatcher.pump();
    samples[i] = venue.stamps[venue.count - 1]! - t0;
    if (venue.count !== 1) throw new Error('in process latency: the order was not handed over by its pump');
    venue.closeHanded(tracker);
  };
  for (let i = 0; i < LATENCY_WARMUP; i++) one(i);
  await tick();
  fullGc();
  const l0 = performance.now();
  for (let i = 0; i < LATENCY_ORDERS; i++) one(i);
  const gcLat = await gcs.countBetween(l0, performance.now());
  const p = percentiles(samples);
  console.log(
    `${label} latency submit -> handoff (${fmtInt(LATENCY_ORDERS)} orders, one per pump): p50 ${ns(p.p50)} ns, p99 ${ns(p.p99)} ns, ` +
    `p99.9 ${ns(p.p999)} ns, max ${fmtInt(ns(p.max))} ns (GC events during the pass: ${gcLat.count})`,
  );
  await core.stop();
  return { p50_ns: ns(p.p50), p99_ns: ns(p.p99), p999_ns: ns(p.p999), max_ns: ns(p.max), orders_per_s: Math.round(ordersPerS), gc_events: gc.count };
}

/** base + performance.now() - monotonic of this thread, in ms (median of 101 reads); base: the wall clock's origin, or 0. */
function clockOffset(base = performance.timeOrigin): number {
  const o: number[] = [];
  for (let i = 0; i < 101; i++) o.push(base + performance.now() - Number(process.hrtime.bigint()) / 1e6);
  o.sort((a, b) => a - b);
  return o[50]!;
}

const JOURNAL_LATENCY_ORDERS = 2_000;
const JOURNAL_THROUGHPUT_ORDERS = 200_000;

/**
 * Peer, for context: the same in-process path with the journal on, as in the daemon's default configuration
 * (group commit of at most 2 ms, then fdatasync; a batch goes to its venue only once its records are durable).
 * Latency: one order at a time, waiting for its handoff. Throughput: bursts of 512 without waiting, until all
 * are handed over.
 */
async function journalPeer(): Promise<{ p50: number; p99: number; ordersPerS: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-submit-journal-'));
  const venue = new NoopVenue('noop', 1 << 20);
  venue.stamping = true;
  const core = buildCore({
    strategies: Array.from({ length: STRATEGIES }, (_, i) => ({ id: `s${i}` })),
    venues: [venue.name],
    makeVenue: () => venue,
    journalDir: join(dir, 'journal'),
  });
  try {
    await core.start();
    const { intake, dispatcher, tracker } = core;
    const f: NewOrderFields = {
      strategy: 0, symbol: 0, side: 0, type: 0, tif: 0, postOnly: false, priority: 1,
      priceTicks: BTC_MARK_TICKS, stopTicks: 0, qtyLots: 100, venue: NO_VENUE, clientOrderId: undefined, producerSeq: 0, tag: 0, route: 0, parent: 0, algo: 0, paramA: 0, paramB: 0, arrivalMid: 0,
    };
    let handed: (() => void) | undefined;
    let lastStamp = 0;
    venue.onBatch = () => {
      lastStamp = venue.stamps[venue.count - 1]!;
      handed?.();
    };
    const samples = new Float64Array(JOURNAL_LATENCY_ORDERS);
    for (let i = 0; i < JOURNAL_LATENCY_ORDERS; i++) {
      f.strategy = i & 3;
      f.side = i & 1;
      const arrived = new Promise<void>((resolve) => (handed = resolve));
      const t0 = performance.now();
      if (intake.submitFields(f) < 0) throw new Error('journal peer: refused');
      dispatcher.pump();
      await arrived;
      samples[i] = venue.stamps[venue.count - 1]! - t0;
      venue.closeHanded(tracker);
    }
    handed = undefined;
    const p = percentiles(samples);
    const total0 = venue.total;
    const t0 = performance.now();
    for (let k = 0; k < JOURNAL_THROUGHPUT_ORDERS; k += BURST) {
      for (let j = 0; j < BURST; j++) {
        f.strategy = j & 3;
        f.side = j & 1;
        if (intake.submitFields(f) < 0) throw new Error('journal peer: refused');
      }
      dispatcher.pump();
      venue.closeHanded(tracker);
      await tick();
    }
    while (venue.total - total0 < JOURNAL_THROUGHPUT_ORDERS) {
      await new Promise((r) => setTimeout(r, 1));
      venue.closeHanded(tracker);
    }
    const ordersPerS = JOURNAL_THROUGHPUT_ORDERS / ((lastStamp - t0) / 1000);
    venue.closeHanded(tracker);
    return { p50: p.p50, p99: p.p99, ordersPerS };
  } finally {
    await core.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function strategyModule(name: string): string {
  const self = fileURLToPath(import.meta.url);
  const ext = self.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(`./lib/${name}${ext}`, import.meta.url));
}

const PHASE = 0;
const DONE = 1;
const REFUSED = 2;
const ERRORS = 3;

/** p50 / p99 / p99.9 of `a`, in ns, as text. */
function spread(a: Float64Array): string {
  if (a.length === 0) return 'none';
  const p = percentiles(a);
  return `p50 ${fmtInt(ns(p.p50))}, p99 ${fmtInt(ns(p.p99))}, p99.9 ${fmtInt(ns(p.p999))} ns`;
}

async function worker(busyPoll: boolean, breakdown: boolean): Promise<WorkerResult> {
  const mode = busyPoll ? 'busy-poll dispatcher' : 'default dispatcher';
  const total = WORKER_WARMUP_ORDERS + WORKER_LATENCY_ORDERS + WORKER_FLOOD_ORDERS;
  // seqs: the warm-up 1..WORKER_WARMUP_ORDERS, then the latency pass from latencyFirst, then the flood from floodFirst
  const latencyFirst = WORKER_WARMUP_ORDERS + 1;
  const floodFirst = latencyFirst + WORKER_LATENCY_ORDERS;
  const control = new SharedArrayBuffer(64);
  const ctl = new Int32Array(control);
  const stampsBuf = new SharedArrayBuffer(8 * (total + 1));
  const submitted = new Float64Array(stampsBuf);
  // --breakdown: per seq, when submit() returned (worker), when the dispatcher's cycle that took it began and its drain
  // ended (main), and whether the dispatcher had slept since its previous cycle with records
  const sentBuf = breakdown ? new SharedArrayBuffer(8 * (total + 1)) : undefined;
  const sent = sentBuf === undefined ? undefined : new Float64Array(sentBuf);
  const seen = new Float64Array(breakdown ? total + 1 : 0);
  const drained = new Float64Array(breakdown ? total + 1 : 0);
  const afterSleep = new Uint8Array(breakdown ? total + 1 : 0);
  const clockBuf = new SharedArrayBuffer(8);
  const workerClock = new Float64Array(clockBuf);
  const venue = new NoopVenue('noop', 1 << 20);
  venue.stamping = true;
  // every stamp at full resolution (see submit-strategy.ts `precise`): each thread's performance.now() moved onto the
  // shared monotonic clock. (Wall-clock stamps, timeOrigin + now() at about 1.7e12 ms, are rounded by a double to
  // 2^-12 ms: figures before 2026-12-02 were multiples of 244 ns.)
  const precise = true;
  const base = 0;
  venue.wallClock = false;
  const cacheDir = mkdtempSync(join(tmpdir(), 'switchyard-bench-submit-'));
  const core = buildCore({
    strategies: [{
      id: 'wk',
      module: strategyModule('submit-strategy'),
      params: { control, stamps: stampsBuf, clock: clockBuf, precise, ...(sentBuf === undefined ? {} : { sent: sentBuf }), warmupOrders: WORKER_WARMUP_ORDERS, latencyOrders: WORKER_LATENCY_ORDERS, floodOrders: WORKER_FLOOD_ORDERS, window: WORKER_WINDOW },
    }],
    venues: [venue.name],
    makeVenue: () => venue,
    cacheDir,
  });
  try {
    const { tracker, store } = core;
    // handoff - submit per seq, in ms of the main thread's wall clock
    const latency = new Float64Array(total + 1);
    let lastHandoff = 0;
    let closing = false;
    let correction = 0;
    const close = (): void => {
      closing = false;
      const n = venue.count;
      for (let k = 0; k < n; k++) {
        const slot = tracker.slotOf(venue.ids[k]!);
        const seq = store.producerSeq[slot]!;
        latency[seq] = venue.stamps[k]! - (submitted[seq]! + correction);
      }
      if (n > 0) lastHandoff = venue.stamps[n - 1]!;
      venue.closeHanded(tracker);
    };
    venue.onBatch = () => {
      if (closing) return;
      closing = true;
      setImmediate(close);
    };
    // daemon.dispatch.busyPoll (the daemon sets both from its configuration the same way)
    core.dispatcher.setPolicy({ busyPoll });
    core.host!.setWorkerSpinUs(busyPoll ? BUSY_POLL_WORKER_SPIN_US : DEFAULT_WORKER_SPIN_US);
    if (breakdown) {
      // one strategy: its records are taken in seq order, the k-th taken is seq k
      const ri = core.ringIntake!;
      const d = core.dispatcher;
      const drain = ri.drain.bind(ri);
      let sleepsAtLastTake = d.sleeps;
      ri.drain = (budget: number): number => {
        const t0 = base + performance.now();
        const from = ri.taken;
        const n = drain(budget);
        if (n > 0) {
          const t1 = base + performance.now();
          const slept = d.sleeps !== sleepsAtLastTake ? 1 : 0;
          sleepsAtLastTake = d.sleeps;
          for (let k = from + 1; k <= from + n && k <= total; k++) {
            seen[k] = t0;
            drained[k] = t1;
            afterSleep[k] = slept;
          }
        }
        return n;
      };
    }
    await core.start();
    correction = clockOffset(base) - workerClock[0]!;
    console.log(`worker clock vs main thread clock (both against the shared monotonic clock): ${(correction * 1e6).toFixed(0)} ns, corrected`);

    const runPhase = async (phase: number, until: () => boolean): Promise<void> => {
      Atomics.store(ctl, DONE, 0);
      Atomics.store(ctl, PHASE, phase);
      Atomics.notify(ctl, PHASE);
      const deadline = Date.now() + 300_000;
      while (!(Atomics.load(ctl, DONE) === 1 && until())) {
        if (Date.now() > deadline) throw new Error(`worker path: phase ${phase} did not finish (handed ${venue.total})`);
        await new Promise((r) => setTimeout(r, 5));
      }
    };

    const h = core.host!.strategies[0]!;
    await runPhase(4, () => venue.total === WORKER_WARMUP_ORDERS && venue.count === 0);
    const warm = percentiles(latency.slice(1, latencyFirst));
    console.log(
      `worker path, ${mode}: warm-up, not counted (the first ${fmtInt(WORKER_WARMUP_ORDERS)} orders after start, one in flight): ` +
      `p50 ${ns(warm.p50)} ns, p99 ${ns(warm.p99)} ns`,
    );
    const sleeps0 = core.dispatcher.sleeps;
    const wakes0 = h.eventDoorbell.wakeups;
    await runPhase(1, () => venue.total === floodFirst - 1 && venue.count === 0);
    const lat = percentiles(latency.slice(latencyFirst, floodFirst));
    console.log(
      `worker path, ${mode}: latency SDK submit -> handoff (${fmtInt(WORKER_LATENCY_ORDERS)} orders, one in flight): p50 ${ns(lat.p50)} ns, ` +
      `p99 ${ns(lat.p99)} ns, p99.9 ${ns(lat.p999)} ns, max ${fmtInt(ns(lat.max))} ns ` +
      `(dispatcher slept ${fmtInt(core.dispatcher.sleeps - sleeps0)} times, worker woken ${fmtInt(h.eventDoorbell.wakeups - wakes0)} times)`,
    );

    if (sent !== undefined) {
      const n = WORKER_LATENCY_ORDERS;
      const sdk = new Float64Array(n);
      const toSeen = new Float64Array(n);
      const drainPart = new Float64Array(n);
      const dispatchPart = new Float64Array(n);
      const woke: number[] = [];
      const polled: number[] = [];
      for (let i = 0; i < n; i++) {
        const k = latencyFirst + i;
        const handoff = latency[k]! + submitted[k]! + correction;
        sdk[i] = sent[k]! - submitted[k]!;
        toSeen[i] = seen[k]! - (sent[k]! + correction);
        drainPart[i] = drained[k]! - seen[k]!;
        dispatchPart[i] = handoff - drained[k]!;
        (afterSleep[k] === 1 ? woke : polled).push(latency[k]!);
      }
      console.log(`  breakdown, ${mode}: SDK submit() call (worker): ${spread(sdk)}`);
      console.log(`  breakdown, ${mode}: submit() returned -> the dispatcher's cycle that took it began: ${spread(toSeen)}`);
      console.log(`  breakdown, ${mode}: that cycle's drain (ring read, intake, ACK event): ${spread(drainPart)}`);
      console.log(`  breakdown, ${mode}: drain end -> handoff (risk, router, SUBMITTED, batcher, venue): ${spread(dispatchPart)}`);
      console.log(
        `  breakdown, ${mode}: whole path, ${fmtInt(polled.length)} orders the polling loop found: ${spread(Float64Array.from(polled))}; ` +
        `${fmtInt(woke.length)} that woke the dispatcher: ${spread(Float64Array.from(woke))}`,
      );
    }

    const sleeps1 = core.dispatcher.sleeps;
    const wakes1 = h.eventDoorbell.wakeups;
    const events1 = h.eventPosition;
    await runPhase(2, () => venue.total === total && venue.count === 0);
    const first = submitted[floodFirst]! + correction;
    const seconds = (lastHandoff - first) / 1000;
    const ordersPerS = WORKER_FLOOD_ORDERS / seconds;
    const flood = percentiles(latency.slice(floodFirst, total + 1));
    console.log(
      `worker path, ${mode}: throughput ${fmtInt(ordersPerS)} orders/s SDK submit -> handoff (${fmtInt(WORKER_FLOOD_ORDERS)} orders, ${seconds.toFixed(3)} s; ` +
      `QUEUE_FULL answers ${Atomics.load(ctl, REFUSED)}, events lost ${h.eventsLost}); latency while flooding (queueing included): ` +
      `p50 ${fmtInt(ns(flood.p50))} ns, p99 ${fmtInt(ns(flood.p99))} ns (dispatcher slept ${fmtInt(core.dispatcher.sleeps - sleeps1)} times, ` +
      `worker woken ${fmtInt(h.eventDoorbell.wakeups - wakes1)} times for ${fmtInt((h.eventPosition - events1) | 0)} events)`,
    );
    if (Atomics.load(ctl, ERRORS) !== 0) throw new Error(`worker path: ${Atomics.load(ctl, ERRORS)} unexpected refusals or seq mismatches`);
    if (core.ringIntake!.fifoViolations !== 0) throw new Error(`worker path: ${core.ringIntake!.fifoViolations} ring sequence violations`);
    Atomics.store(ctl, PHASE, 3);
    Atomics.notify(ctl, PHASE);
    return { p50_ns: ns(lat.p50), p99_ns: ns(lat.p99), orders_per_s: Math.round(ordersPerS) };
  } finally {
    await core.stop();
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  // --only=worker: the two worker-path runs only (no in-process, journal or ring passes): for working on that path
  const workerOnly = args.only === 'worker';
  const breakdown = args.breakdown;
  console.log(`bench:submit — node ${process.version}, ${process.platform}/${process.arch}`);
  if (!fullGc()) console.log('(run with node --expose-gc for a forced collection before each timed pass)');
  if (workerOnly) {
    const w = await worker(false, breakdown);
    const b = await worker(true, breakdown);
    console.log(JSON.stringify({ bench: 'submit', worker: w, worker_busy_poll: b }));
    return;
  }
  console.log(`every in-process latency sample includes one timer read: empty timed region p50 ${timerOverheadNs().toFixed(0)} ns`);
  const gcs = new GcWatch();
  const inprocResult = await inproc(gcs);
  gcs.stop();
  const j = await journalPeer();
  console.log(
    `peer: with the journal (daemon default: a batch waits until its records are durable): latency submit -> handoff ` +
    `p50 ${fmtInt(ns(j.p50))} ns, p99 ${fmtInt(ns(j.p99))} ns (${fmtInt(JOURNAL_LATENCY_ORDERS)} orders one at a time); ` +
    `${fmtInt(j.ordersPerS)} orders/s (${fmtInt(JOURNAL_THROUGHPUT_ORDERS)} orders in bursts of ${BURST}); ` +
    `${(inprocResult.orders_per_s / j.ordersPerS).toFixed(1)}x fewer than without`,
  );
  const workerResult = await worker(false, breakdown);
  const busyResult = await worker(true, breakdown);
  const ring = await measureRingThroughput(RING_RECORDS);
  const peer = await measurePostMessageThroughput(PEER_RECORDS);
  console.log(
    `ring worker -> main thread: ${fmtInt(ring.recordsPerSecond)} records/s (${fmtInt(ring.records)} records of 96 bytes, ring of ${ring.capacity}, ` +
    `publish per record; consumer GCs ${ring.consumerGcs}); postMessage peer ${fmtInt(peer.recordsPerSecond)} records/s; ` +
    `ratio ${(ring.recordsPerSecond / peer.recordsPerSecond).toFixed(1)}x`,
  );
  console.log(`in process / worker path throughput: ${(inprocResult.orders_per_s / workerResult.orders_per_s).toFixed(2)}x`);
  console.log(JSON.stringify({ bench: 'submit', inproc: inprocResult, worker: workerResult, worker_busy_poll: busyResult, ring_records_per_s: ring.recordsPerSecond }));
}

await main();
