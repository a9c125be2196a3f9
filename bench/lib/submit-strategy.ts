/**
 * The worker strategy of bench:submit (loaded by the StrategyHost like any strategy module; types only from
 * the SDK). It submits through the real SDK (ctx.submit: edge validation, one ring record, publish) and stamps
 * each submit in a shared Float64Array indexed by its seq, with performance.timeOrigin + performance.now()
 * (comparable with the main thread's stamps once the two clocks' offset is corrected, see `clock` below).
 *
 * params (shared memory):
 *   control  Int32Array   [PHASE] 0 wait, 4 warm-up, 1 latency pass, 2 throughput pass, 3 stop (the main thread clears
 *                         DONE, then sets it); [DONE] set when the pass finished; [REFUSED] QUEUE_FULL answers seen; [ERRORS] other refusals
 *   stamps   Float64Array submit time of each seq (ms, wall clock of this thread)
 *   clock    Float64Array [0] = wall - monotonic of this thread (ms), for the cross-thread correction
 *   sent     Float64Array (optional, bench:submit --breakdown) time each seq's submit() returned (ms, same clock
 *            as stamps): the SDK's own cost is sent - stamps
 *   precise  (bench:submit sets it) stamps on the shared monotonic clock (performance.now() moved onto
 *            process.hrtime's origin) instead of the wall clock: small numbers, so a double keeps them to well under
 *            a ns, where timeOrigin + now() (about 1.7e12 ms) is rounded to 2^-12 ms, 244 ns
 *   warmupOrders, latencyOrders, floodOrders, window
 *
 * Warm-up and latency pass: one order in flight; the next is submitted when the SUBMITTED event of the previous
 * arrives (the warm-up's orders come first, so its seqs are 1..warmupOrders).
 * Throughput pass: as fast as it can, keeping at most `window` orders without a terminal event (so the event
 * ring cannot overflow); QUEUE_FULL answers are counted and retried on the next turn.
 */
import type { Strategy, StrategyContext, StrategyEvent } from '../../src/strategy/sdk.js';

const PHASE = 0;
const DONE = 1;
const REFUSED = 2;
const ERRORS = 3;
const PER_TURN = 256;

interface Params {
  readonly control: SharedArrayBuffer;
  readonly stamps: SharedArrayBuffer;
  readonly clock: SharedArrayBuffer;
  readonly sent?: SharedArrayBuffer;
  readonly precise?: boolean;
  readonly warmupOrders: number;
  readonly latencyOrders: number;
  readonly floodOrders: number;
  readonly window: number;
}

type WaitAsync = (a: Int32Array, i: number, v: number, t?: number) => { async: boolean; value: Promise<string> | string };

/** performance.now() - the shared monotonic clock (process.hrtime), ms: the median of 101 reads. */
function monotonicOffset(): number {
  const o: number[] = [];
  for (let i = 0; i < 101; i++) o.push(performance.now() - Number(process.hrtime.bigint()) / 1e6);
  o.sort((a, b) => a - b);
  return o[50]!;
}

export default function create(ctx: StrategyContext): Strategy {
  const p = ctx.params as unknown as Params;
  const control = new Int32Array(p.control);
  const stamps = new Float64Array(p.stamps);
  const clock = new Float64Array(p.clock);
  const sent = p.sent === undefined ? undefined : new Float64Array(p.sent);
  const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;
  // what performance.now() is added to: the wall clock's origin, or (precise) minus this thread's offset to the
  // shared monotonic clock, so that stamps are in that clock's ms
  const origin = p.precise === true ? -monotonicOffset() : performance.timeOrigin;
  // the same order fields for every order (BUY and SELL alternate), as a strategy would write them
  const buy = { symbol: 'BTC-USDT', side: 'BUY' as const, price: '60000', quantity: '0.001', timeInForce: 'IOC' as const };
  const sell = { symbol: 'BTC-USDT', side: 'SELL' as const, price: '60000', quantity: '0.001', timeInForce: 'IOC' as const };
  let seq = 0; // last seq accepted by the SDK
  let phase = 0;
  let awaitingSubmitted = 0;
  let latencyLeft = 0;
  let floodLeft = 0;
  let terminal = 0;
  let floodScheduled = false;

  const calibrate = (): void => {
    const offsets: number[] = [];
    for (let i = 0; i < 101; i++) offsets.push(origin + performance.now() - Number(process.hrtime.bigint()) / 1e6);
    offsets.sort((a, b) => a - b);
    clock[0] = offsets[50]!;
  };

  const submitOne = (): boolean => {
    const next = seq + 1;
    stamps[next] = origin + performance.now();
    const r = ctx.submit((next & 1) === 1 ? buy : sell);
    if (sent !== undefined) sent[next] = origin + performance.now();
    if (r.ok) {
      if (r.seq !== next) Atomics.add(control, ERRORS, 1);
      seq = next;
      return true;
    }
    if (r.code === 'QUEUE_FULL') Atomics.add(control, REFUSED, 1);
    else Atomics.add(control, ERRORS, 1);
    return false;
  };

  const finish = (): void => {
    Atomics.store(control, DONE, 1);
    Atomics.notify(control, DONE);
    phase = 0;
    void waitPhase();
  };

  const latencyNext = (): void => {
    if (latencyLeft === 0) {
      finish();
      return;
    }
    if (submitOne()) {
      latencyLeft--;
      awaitingSubmitted = seq;
    } else {
      setImmediate(latencyNext);
    }
  };

  const flood = (): void => {
    floodScheduled = false;
    let n = 0;
    while (floodLeft > 0 && n < PER_TURN && seq - terminal < p.window) {
      if (!submitOne()) break;
      floodLeft--;
      n++;
    }
    if (floodLeft === 0) {
      finish();
      return;
    }
    if (seq - terminal < p.window) schedule();
    // else: the window is full; onEvent schedules the next turn when a terminal event frees room
  };

  const schedule = (): void => {
    if (floodScheduled) return;
    floodScheduled = true;
    setImmediate(flood);
  };

  const start = (next: number): void => {
    phase = next;
    if (phase === 1 || phase === 4) {
      latencyLeft = phase === 1 ? p.latencyOrders : p.warmupOrders;
      latencyNext();
    } else if (phase === 2) {
      floodLeft = p.floodOrders;
      schedule();
    }
  };

  let started = 0;
  const waitPhase = async (): Promise<void> => {
    for (;;) {
      const v = Atomics.load(control, PHASE);
      if (v === 3) return;
      if (v !== 0 && v !== started) {
        started = v;
        start(v);
        return;
      }
      const w = waitAsync(control, PHASE, v, 1000);
      if (w.async) await w.value;
    }
  };

  return {
    start() {
      calibrate();
      void waitPhase();
    },
    onEvent(e: StrategyEvent) {
      if (e.terminal) terminal++;
      if ((phase === 1 || phase === 4) && e.kind === 'SUBMITTED' && e.seq === awaitingSubmitted) {
        awaitingSubmitted = 0;
        latencyNext();
      } else if (phase === 2 && floodLeft > 0 && !floodScheduled && seq - terminal < p.window) {
        schedule();
      }
    },
  };
}
