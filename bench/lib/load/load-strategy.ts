/**
 * The worker strategy of bench:load's `worker` entry point, run by the daemon like any strategy module (types only
 * from the SDK). It waits for its go file (`goFile` appears: the bench has started every client), then for
 * `durationMs` submits through ctx.submit the same orders as the other entry points (IOC limits of BTC-USDT, 1 %
 * through the reference price, buys and sells alternating: each ends on arrival), flat out or at `ratePerS`, each
 * turn's submits published together (ctx.batch), with at most `window` orders not yet ended (so its event ring
 * cannot overflow). An order's acknowledgement is its ACCEPTED event (the venue's acknowledgement; a fill first
 * counts too); its latency is from submit() to that event, on this thread's clock. A refused submit (QUEUE_FULL ...)
 * is an order and an error counted by its code, never retried; it then waits for the next event before submitting
 * again. After the duration it waits up to `drainMs` for the orders still out, counts those without an
 * acknowledgement as NO_ACK, and writes its counts and latency histogram to `resultFile` (JSON, through a rename),
 * then idles. It stops by itself: a go file that never comes ends it after `maxWaitMs` with an empty result.
 *
 * params: goFile, resultFile, durationMs, ratePerS (0 = flat out), window, drainMs, maxWaitMs.
 */
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Strategy, StrategyContext, StrategyEvent, StrategyOrder, TimerHandle } from '../../../src/strategy/sdk.js';
import { LatencyHistogram } from './histogram.js';

interface Params {
  readonly goFile: string;
  readonly resultFile: string;
  readonly durationMs: number;
  readonly ratePerS: number;
  readonly window: number;
  readonly drainMs: number;
  readonly maxWaitMs: number;
}

/** What the strategy writes to its result file. */
export interface LoadStrategyResult {
  readonly strategy: string;
  readonly started: boolean;
  readonly orders: number;
  readonly acks: number;
  readonly fills: number;
  readonly errors: number;
  readonly errorsByCode: Record<string, number>;
  readonly inFlightAtEnd: number;
  readonly resyncs: number;
  readonly eventsLost: number;
  /** Milliseconds from go to the last acknowledgement or error (at least the sending time). */
  readonly elapsedMs: number;
  readonly latency: { pairs: number[]; maxUs: number };
}

const PER_TURN = 512;

export default function create(ctx: StrategyContext): Strategy {
  const p = ctx.params as unknown as Params;
  const buy: StrategyOrder = { symbol: 'BTC-USDT', side: 'BUY', type: 'LIMIT', timeInForce: 'IOC', price: '60600', quantity: '0.0001' };
  const sell: StrategyOrder = { symbol: 'BTC-USDT', side: 'SELL', type: 'LIMIT', timeInForce: 'IOC', price: '59400', quantity: '0.0001' };
  let size = 1;
  while (size < p.window * 2) size *= 2;
  const mask = size - 1;
  /** Per seq slot: submit time, and the seq (−1 free); `ended` seqs still held until their terminal event. */
  const sentAt = new Float64Array(size);
  const waiting = new Float64Array(size).fill(-1);
  const open = new Float64Array(size).fill(-1);
  const hist = new LatencyHistogram();
  const byCode: Record<string, number> = {};
  let orders = 0;
  let acks = 0;
  let fills = 0;
  let errors = 0;
  let unacked = 0;
  /** Orders submitted and not yet ended (terminal event or refusal). */
  let outstanding = 0;
  let resyncs = 0;
  let eventsLost = 0;
  let phase: 'wait' | 'send' | 'drain' | 'done' = 'wait';
  let t0 = 0;
  let endAt = 0;
  let lastSettle = 0;
  let scheduled = false;
  let blocked = false;
  /** The seq of the last record submitted (the SDK numbers records 1, 2, 3 ...; a refusal takes none). */
  let lastSeq = 0;
  let poll: TimerHandle | undefined;

  const error = (code: string): void => {
    errors++;
    byCode[code] = (byCode[code] ?? 0) + 1;
  };

  const settleUnacked = (seq: number, code: string | null, now: number): void => {
    const slot = seq & mask;
    if (waiting[slot] !== seq) return;
    waiting[slot] = -1;
    unacked--;
    lastSettle = now;
    if (code === null) {
      acks++;
      hist.record((now - sentAt[slot]!) * 1000);
    } else {
      error(code);
    }
  };

  const schedule = (): void => {
    if (scheduled || phase !== 'send') return;
    scheduled = true;
    setImmediate(run);
  };

  const run = (): void => {
    scheduled = false;
    if (phase !== 'send') return;
    const now = performance.now();
    if (now >= endAt) {
      phase = 'drain';
      return;
    }
    let budget = PER_TURN;
    if (p.ratePerS > 0) budget = Math.min(budget, Math.floor(((now - t0) * p.ratePerS) / 1000) + 1 - orders);
    ctx.batch(() => {
      // the next seq's slot must be free (an order far slower than the others holds its slot until it ends)
      while (budget > 0 && outstanding < p.window && open[(lastSeq + 1) & mask] === -1 && waiting[(lastSeq + 1) & mask] === -1) {
        budget--;
        orders++;
        const r = ctx.submit((orders & 1) === 1 ? buy : sell);
        if (!r.ok) {
          error(r.code);
          lastSettle = now;
          blocked = true; // wait for the daemon to take records (the next event) before trying again
          return;
        }
        lastSeq = r.seq;
        const slot = r.seq & mask;
        sentAt[slot] = now;
        waiting[slot] = r.seq;
        open[slot] = r.seq;
        unacked++;
        outstanding++;
      }
    });
    const next = (lastSeq + 1) & mask;
    const slotHeld = open[next] !== -1 || waiting[next] !== -1; // then the next event schedules a turn
    if (!blocked && !slotHeld && outstanding < p.window) {
      if (p.ratePerS > 0 && budget <= 0) ctx.after(1, schedule);
      else schedule();
    }
  };

  const finish = (): void => {
    if (phase === 'done') return;
    phase = 'done';
    poll?.cancel();
    const now = performance.now();
    if (unacked > 0) {
      for (let s = 0; s < size; s++) {
        if (waiting[s] === -1) continue;
        waiting[s] = -1;
        error('NO_ACK');
      }
      unacked = 0;
    }
    const result: LoadStrategyResult = {
      strategy: ctx.id, started: t0 > 0, orders, acks, fills, errors, errorsByCode: byCode, inFlightAtEnd: outstanding,
      resyncs, eventsLost, elapsedMs: t0 > 0 ? Math.max(lastSettle, Math.min(now, endAt)) - t0 : 0, latency: hist.toJSON(),
    };
    const tmp = `${p.resultFile}.tmp`;
    writeFileSync(tmp, JSON.stringify(result));
    renameSync(tmp, p.resultFile);
  };

  const tick = (): void => {
    const now = performance.now();
    if (phase === 'wait') {
      if (existsSync(p.goFile)) {
        t0 = now;
        endAt = t0 + p.durationMs;
        phase = 'send';
        schedule();
      } else if (now > p.maxWaitMs) {
        finish();
      }
    } else if (phase === 'send') {
      if (now >= endAt) phase = 'drain';
      else if (blocked) {
        blocked = false; // a guard: retry after a quiet 10 ms even if no event came
        schedule();
      }
    }
    if (phase === 'drain' && (unacked === 0 || now >= endAt + p.drainMs)) finish();
  };

  return {
    start() {
      poll = ctx.every(10, tick);
    },
    onEvent(e: StrategyEvent) {
      const now = performance.now();
      switch (e.kind) {
        case 'ACCEPTED':
          settleUnacked(e.seq, null, now);
          break;
        case 'FILL':
          fills++;
          settleUnacked(e.seq, null, now);
          break;
        case 'REFUSED':
        case 'DENIED':
        case 'REJECTED':
        case 'EXPIRED':
        case 'CANCELED':
          settleUnacked(e.seq, e.code ?? e.kind, now);
          break;
        case 'RESYNC':
          resyncs++;
          eventsLost += e.lost;
          break;
        default:
      }
      if (e.terminal && e.kind !== 'RESYNC') {
        const slot = e.seq & mask;
        if (open[slot] === e.seq) {
          open[slot] = -1;
          outstanding--;
        }
      }
      if (e.kind === 'RESYNC') {
        // events were lost: what is still open is in the snapshot; every other order out has ended unseen
        const still = new Set((e.orders ?? []).map((o) => o.seq));
        for (let s = 0; s < size; s++) {
          if (open[s] === -1 || still.has(open[s]!)) continue;
          if (waiting[s] === open[s]) settleUnacked(open[s]!, 'EVENTS_LOST', now);
          open[s] = -1;
          outstanding--;
        }
      }
      if (blocked) {
        blocked = false;
        schedule();
      } else if (phase === 'send' && outstanding < p.window) schedule();
      if (phase === 'drain' && unacked === 0) finish();
    },
  };
}
