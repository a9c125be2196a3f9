/**
 * bench:submit's worker strategy (bench/lib/submit-strategy.ts) against a fake context: the phases the bench's indexing
 * relies on. The warm-up (phase 4) sends `warmupOrders` one at a time, seqs 1..warmupOrders, each after the previous
 * one's SUBMITTED event; the latency pass (phase 1) then sends `latencyOrders` the same way from warmupOrders + 1; each
 * phase stamps every seq it sends and sets DONE when it is through. (bench:submit leaves the warm-up's samples out of
 * its figures: from a fresh start they are V8's interpreter and baseline code.)
 */
import { describe, expect, it } from 'vitest';
import create from '../../bench/lib/submit-strategy.js';
import type { StrategyContext, StrategyEvent, SubmitResult } from '../../src/strategy/sdk.js';

const PHASE = 0;
const DONE = 1;
const ERRORS = 3;

/** Waits for `cond`, at most 10 s (the strategy answers within milliseconds; the bound only ends a broken run). */
async function until(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
  if (!cond()) throw new Error('condition not reached');
}

describe('bench:submit worker strategy', () => {
  it('runs the warm-up, then the latency pass, one order in flight, seqs in order', async () => {
    const warmupOrders = 5;
    const latencyOrders = 7;
    const control = new SharedArrayBuffer(64);
    const ctl = new Int32Array(control);
    const stampsBuf = new SharedArrayBuffer(8 * (warmupOrders + latencyOrders + 2));
    const stamps = new Float64Array(stampsBuf);
    const submitted: number[] = [];
    let seq = 0;
    const ctx = {
      params: { control, stamps: stampsBuf, clock: new SharedArrayBuffer(8), precise: true, warmupOrders, latencyOrders, floodOrders: 0, window: 16 },
      submit: (): SubmitResult => {
        seq++;
        submitted.push(seq);
        return { ok: true, seq };
      },
    } as unknown as StrategyContext;
    const strategy = create(ctx);
    void strategy.start!(ctx);
    const event = (s: number): StrategyEvent => ({ kind: 'SUBMITTED', seq: s, terminal: false }) as unknown as StrategyEvent;

    const runPhase = async (phase: number, orders: number, firstSeq: number): Promise<void> => {
      Atomics.store(ctl, DONE, 0);
      Atomics.store(ctl, PHASE, phase);
      Atomics.notify(ctl, PHASE);
      for (let k = 0; k < orders; k++) {
        const s = firstSeq + k;
        await until(() => submitted.length === s);
        // one in flight: nothing more goes before the SUBMITTED event of the last one
        await new Promise((r) => setTimeout(r, 2));
        expect(submitted.length).toBe(s);
        expect(stamps[s]).toBeGreaterThan(0);
        strategy.onEvent!(event(s), ctx);
      }
      await until(() => Atomics.load(ctl, DONE) === 1);
    };

    await runPhase(4, warmupOrders, 1);
    expect(submitted).toEqual([1, 2, 3, 4, 5]);
    await runPhase(1, latencyOrders, warmupOrders + 1);
    expect(submitted).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(Atomics.load(ctl, ERRORS)).toBe(0);
    Atomics.store(ctl, PHASE, 3);
    Atomics.notify(ctl, PHASE);
  });
});
