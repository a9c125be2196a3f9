/**
 * No lost event and no lost wake-up across threads: a real strategy worker sleeps on its event doorbell while the
 * main thread writes bursts of events (one notify per turn at most, strategy-host.ts), from the dispatcher's cycle
 * (publishEvent then wake()) or from anywhere else (publishEvent alone: the wake-up is rung at the end of the event-loop iteration).
 * Random burst sizes and pauses — some short enough to catch the worker draining or arming its doorbell, some long
 * enough for it to sleep — and after each burst every event must reach onEvent, in order, exactly once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { EV_ACK, EventRecord, orderStateIndex } from '../../src/intake/ring/event-record.js';
import { StrategyHost } from '../../src/strategy/strategy-host.js';
import { waitFor } from '../helpers/poll.js';
import { INSTRUMENTS, VENUES } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-wakeups-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const module = fileURLToPath(new URL('./fixtures/event-counter.ts', import.meta.url));

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function run(workerSpinUs: number, seed: number): Promise<void> {
  const counter = new Int32Array(new SharedArrayBuffer(16));
  const host = new StrategyHost({
    strategies: [{ id: 'count', module, symbols: ['BTC-USDT'], params: { counter: counter.buffer } }],
    instruments: INSTRUMENTS, venues: VENUES, cacheDir: join(dir, 'cache'), workerSpinUs, eventRingCapacity: 1024,
  });
  await host.start();
  const s = host.get('count')!;
  const ev = Object.assign(new EventRecord(), { kind: EV_ACK, state: orderStateIndex('CREATED'), orderId: 1 });
  let seq = 0;
  let turns = 0;
  const write = (n: number): void => {
    for (let i = 0; i < n; i++) {
      ev.seq = ++seq;
      expect(s.publishEvent(ev)).toBe(true);
    }
  };
  try {
    const bursts = fc.sample(
      fc.record({
        size: fc.integer({ min: 1, max: 300 }),
        // how the burst's turn ends: the dispatcher's wake() at once, or the end-of-iteration setImmediate
        wake: fc.boolean(),
        // spread over 1 to 3 turns (setImmediate between them)
        turns: fc.integer({ min: 1, max: 3 }),
        // then: wait for delivery, go on at once, or let the worker fall asleep first
        then: fc.constantFrom('wait', 'go', 'sleep'),
      }),
      { numRuns: 150, seed },
    );
    for (const b of bursts) {
      // room in the ring (1024): an overflow is another test's subject (RESYNC)
      if (seq - Atomics.load(counter, 2) + b.size > 1000) await waitFor(() => Atomics.load(counter, 2) === seq, { what: `${seq} events`, timeoutMs: 10_000 });
      let left = b.size;
      for (let t = 0; t < b.turns; t++) {
        const n = t === b.turns - 1 ? left : Math.floor(left / 2);
        write(n);
        left -= n;
        if (b.wake) s.wake();
        turns++;
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (b.then === 'wait') await waitFor(() => Atomics.load(counter, 2) === seq, { what: `${seq} events`, timeoutMs: 10_000 });
      else if (b.then === 'sleep') await pause(3);
    }
    await waitFor(() => Atomics.load(counter, 2) === seq, { what: `all ${seq} events`, timeoutMs: 10_000 });
    expect(Atomics.load(counter, 0)).toBe(seq);
    expect(Atomics.load(counter, 1)).toBe(0); // none out of order, none twice
    expect(s.eventsLost).toBe(0);
    // at most one notify per turn that wrote events
    expect(s.eventDoorbell.wakeups).toBeLessThanOrEqual(turns);
  } finally {
    await host.stop(5000);
  }
}

describe('event wake-ups across threads (stress, bounded)', () => {
  it('a worker that sleeps at once (workerSpinUs 0): every event delivered, in order, once', async () => {
    await run(0, 17);
  }, 60_000);

  it('a worker that polls after its activity (default): the same', async () => {
    await run(100, 29);
  }, 60_000);
});
