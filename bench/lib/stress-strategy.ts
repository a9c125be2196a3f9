/**
 * A producer of the stress test running as a worker-thread strategy (loaded by the StrategyHost like any
 * strategy module; types only from the SDK). Once the shared gate opens it submits `orders` orders through
 * ctx.submit as fast as it can, each named by its client order id `P<producer>S<seq>` (and tag = seq).
 * A QUEUE_FULL answer is counted and the same order is tried again once the daemon has taken a good part of the
 * queue (1,024 ACK events since the refusal: each ACK is a record taken from the ring). Until then the thread
 * waits idle (its event pump sleeps on the event ring's doorbell; a 50 ms timer guards against missed events),
 * so on a small machine a blocked producer gives its core away instead of polling or retrying record by record. Every 256 submits it yields a turn so its event pump keeps
 * up. It believes an order accepted when submit answers ok (that answer is the order's own, at once), and writes its
 * seq to `accepted` in that order. Its events are matched to its orders by their tag (the seq): an ACK or a FILL
 * ending it FILLED for an order it has no acceptance of, or heard of already, is counted (R_STRAY_EVENTS).
 *
 * params: producer (index), orders, gate (SharedArrayBuffer, Int32 [0] = 1 opens it), results
 * (SharedArrayBuffer, Int32 slots below), written with Atomics so the main thread can watch progress, accepted
 * (SharedArrayBuffer, Int32 per order: the accepted seqs in order, the first R_ACCEPTED of them).
 */
import type { Strategy, StrategyContext, StrategyEvent } from '../../src/strategy/sdk.js';

export const R_ACCEPTED = 0;
export const R_QUEUE_FULL = 1;
export const R_ERRORS = 2;
export const R_DONE = 3;
export const R_ACKS = 4;
export const R_FILLED = 5;
export const R_RESYNCS = 6;
export const R_EVENTS_LOST = 7;
export const R_SEQ_MISMATCH = 8;
export const R_STRAY_EVENTS = 9;
export const R_SLOTS = 16;

const BURST = 256;
/** ACK events to wait for after a QUEUE_FULL answer before trying again (a quarter of the default ring). */
const RESUME_AFTER_ACKS = 1024;
/** Retry a refused order after this long even if no event came (a guard, not the normal path). */
const FULL_GUARD_MS = 50;

interface Params {
  readonly producer: number;
  readonly orders: number;
  readonly gate: SharedArrayBuffer;
  readonly results: SharedArrayBuffer;
  readonly accepted: SharedArrayBuffer;
}

/** Per seq, what the producer knows of the order (bits). */
const ACCEPTED = 1;
const ACK_HEARD = 2;
const FILLED_HEARD = 4;

type WaitAsync = (a: Int32Array, i: number, v: number, t?: number) => { async: boolean; value: Promise<string> | string };

export default function create(ctx: StrategyContext): Strategy {
  const p = ctx.params as unknown as Params;
  const gate = new Int32Array(p.gate);
  const r = new Int32Array(p.results);
  const acceptedSeqs = new Int32Array(p.accepted);
  const known = new Uint8Array(p.orders + 1);
  /** An event about order `seq` the producer hears for the first time (`bit`): else counted as stray. */
  const heard = (seq: number, bit: number): void => {
    const k = seq >= 1 && seq <= p.orders ? known[seq]! : 0;
    if ((k & ACCEPTED) === 0 || (k & bit) !== 0) Atomics.add(r, R_STRAY_EVENTS, 1);
    else known[seq] = k | bit;
  };
  const prefix = `P${String(p.producer).padStart(3, '0')}S`;
  let next = 1;
  let stopped = false;
  /** A QUEUE_FULL answer is waiting for the daemon to take records (the next event). */
  let blocked = false;
  let acksToWait = 0;
  let guard: { cancel(): void } | undefined;

  const resume = (): void => {
    if (!blocked) return;
    blocked = false;
    guard?.cancel();
    guard = undefined;
    setImmediate(run);
  };

  const run = (): void => {
    if (stopped || blocked) return;
    let n = 0;
    while (next <= p.orders) {
      const res = ctx.submit({
        // sells a tick above the buys: never crossing each other (self-trade prevention)
        symbol: 'BTC-USDT', side: (next & 1) === 1 ? 'BUY' : 'SELL', price: (next & 1) === 1 ? '60000' : '60000.01', quantity: '0.001',
        clientOrderId: prefix + next, tag: next,
      });
      if (!res.ok) {
        if (res.code === 'QUEUE_FULL') {
          Atomics.add(r, R_QUEUE_FULL, 1);
          blocked = true; // the same order again once the daemon took records (resume)
          acksToWait = RESUME_AFTER_ACKS;
          guard = ctx.after(FULL_GUARD_MS, resume);
          return;
        }
        Atomics.add(r, R_ERRORS, 1);
        ctx.log.error('stress producer: submit refused', { producer: p.producer, seq: next, code: res.code, message: res.message });
        next++;
        continue;
      }
      // the SDK numbers records 1, 2, 3 ... and a refusal takes no number: it must match our own sequence
      if (res.seq !== next) Atomics.add(r, R_SEQ_MISMATCH, 1);
      known[next] = ACCEPTED;
      acceptedSeqs[Atomics.load(r, R_ACCEPTED)] = next; // before the count that publishes it
      Atomics.add(r, R_ACCEPTED, 1);
      next++;
      if (++n === BURST) {
        setImmediate(run);
        return;
      }
    }
    Atomics.store(r, R_DONE, 1);
  };

  const waitGate = async (): Promise<void> => {
    const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;
    while (Atomics.load(gate, 0) === 0 && !stopped) {
      const w = waitAsync(gate, 0, 0, 1000);
      if (w.async) await w.value;
    }
    run();
  };

  return {
    start() {
      void waitGate();
    },
    onEvent(e: StrategyEvent) {
      if (e.kind === 'ACK') {
        Atomics.add(r, R_ACKS, 1);
        heard(e.tag, ACK_HEARD);
        if (blocked && --acksToWait <= 0) resume();
      } else if (e.kind === 'FILL' && e.state === 'FILLED') {
        Atomics.add(r, R_FILLED, 1);
        heard(e.tag, FILLED_HEARD);
      } else if (e.kind === 'RESYNC') {
        Atomics.add(r, R_RESYNCS, 1);
        Atomics.add(r, R_EVENTS_LOST, e.lost);
        resume(); // ACKs may have been lost: do not wait for them
      }
    },
    stop() {
      stopped = true;
    },
  };
}
