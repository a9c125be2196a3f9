/**
 * How the dispatch loop waits for the rings (dispatcher.ts DispatchPolicy, daemon.dispatch): it polls in slices,
 * yielding to the event loop between two, for spinUs after the last record it took from a ring (200 µs by default, 1 s
 * with busyPoll), then sleeps on the doorbell and polls no more; orders from elsewhere (API, Redis) start no spin.
 * Either way every record published is dispatched (no lost wake-up), and a stopped loop polls no more.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_BUSY_POLL_SPIN_US, DEFAULT_SPIN_US } from '../../src/intake/dispatcher.js';
import { waitFor } from '../helpers/poll.js';
import { BASE, errors, ok } from '../config/helpers.js';
import { loopRig } from './dispatch-loop.js';
import { exited, WorkerFixtures } from './ring/helpers.js';

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('dispatch policy: default mode', () => {
  it('polls for spinUs after its last work (clock injected), then sleeps; asleep it polls no more; a record wakes it', async () => {
    const r = loopRig();
    const now = Float64Array.of(1000);
    r.dispatcher.setPolicy({}, () => now[0]!);
    expect(r.dispatcher.policy).toEqual({ busyPoll: false, spinUs: DEFAULT_SPIN_US });
    r.start();
    r.put(5);
    await waitFor(() => r.venue.handed === 5, { what: '5 orders handed over' });
    // the clock stands still: inside the window the loop keeps polling (slices end after a bounded number of polls)
    const looks = r.looks();
    await pause(20);
    expect(r.looks()).toBeGreaterThan(looks);
    expect(r.dispatcher.sleeps).toBe(0);
    // past the window it sleeps, and then nothing looks at the producer
    now[0]! += DEFAULT_SPIN_US / 1000;
    await waitFor(() => r.dispatcher.asleep, { what: 'the loop asleep' });
    expect(r.dispatcher.sleeps).toBe(1);
    const asleep = r.looks();
    await pause(30);
    expect(r.looks()).toBe(asleep);
    // the producer's ring wakes it: dispatched without any other nudge
    r.put(3);
    await waitFor(() => r.venue.handed === 8, { what: 'the 3 orders published while it slept' });
    r.dispatcher.stop();
  });

  it('orders that do not come through a ring (API, Redis) are dispatched without starting a spin over the rings', async () => {
    const r = loopRig();
    const now = Float64Array.of(1000);
    r.dispatcher.setPolicy({}, () => now[0]!);
    r.start();
    await waitFor(() => r.dispatcher.asleep, { what: 'the loop asleep (no ring record yet)' });
    // the clock stands still: a spin started now would poll the rings until the test ends
    for (let i = 1; i <= 20; i++) {
      r.submitApi(3);
      await waitFor(() => r.venue.handed === 3 * i, { what: `${3 * i} API orders handed over` });
    }
    await waitFor(() => r.dispatcher.asleep, { what: 'the loop asleep after the API orders' });
    const looks = r.looks();
    await pause(30);
    expect(r.looks()).toBe(looks);
    // a ring record still starts the spin (and is dispatched at once)
    r.put(2);
    await waitFor(() => r.venue.handed === 62, { what: 'the ring orders handed over' });
    const spinning = r.looks();
    await pause(20);
    expect(r.looks()).toBeGreaterThan(spinning);
    r.dispatcher.stop();
  });

  it('a batch added outside a cycle (a resend) goes out while the loop sleeps, without another order to carry it', async () => {
    const r = loopRig();
    r.dispatcher.setPolicy({ spinUs: 0 });
    r.start();
    r.put(1);
    await waitFor(() => r.venue.handed === 1, { what: 'the order handed over' });
    await waitFor(() => r.dispatcher.asleep, { what: 'the loop asleep' });
    // reconciliation found the venue never got it: send it again (the slot holds the only order: its id is 1)
    r.dispatcher.resend(r.store.slotOf(1));
    await waitFor(() => r.venue.handed === 2, { what: 'the resent order handed over', timeoutMs: 2000 });
    r.dispatcher.stop();
  });

  it('spinUs 0: sleeps as soon as it has nothing to do; bursts published while it sleeps or polls are all dispatched', async () => {
    const r = loopRig();
    r.dispatcher.setPolicy({ spinUs: 0 });
    r.start();
    let total = 0;
    for (let i = 0; i < 200; i++) {
      const n = 1 + (i % 5);
      r.put(n);
      total += n;
      if (i % 3 === 0) await waitFor(() => r.venue.handed === total, { what: `${total} handed` });
      else if (i % 3 === 1) await new Promise((resolve) => setImmediate(resolve));
    }
    await waitFor(() => r.venue.handed === total, { what: `all ${total} handed` });
    expect(r.dispatcher.sleeps).toBeGreaterThan(0);
    r.dispatcher.stop();
  });
});

describe('dispatch policy: busy poll', () => {
  it('dispatches while it polls, lets timers run (it yields), and sleeps after spinUs without work', async () => {
    const r = loopRig();
    r.dispatcher.setPolicy({ busyPoll: true, spinUs: 50_000 });
    expect(r.dispatcher.policy).toEqual({ busyPoll: true, spinUs: 50_000 });
    r.start();
    // a timer puts the records: it only runs if the polling loop yields to the event loop
    let put = 0;
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        r.put(7);
        put += 7;
        if (put >= 70) {
          clearInterval(t);
          resolve();
        }
      }, 1);
    });
    await waitFor(() => r.venue.handed === 70, { what: '70 orders handed over' });
    // 50 ms after its last work it sleeps, and stops polling
    await waitFor(() => r.dispatcher.asleep, { what: 'asleep after the window', timeoutMs: 5000 });
    const asleep = r.looks();
    await pause(30);
    expect(r.looks()).toBe(asleep);
    r.put(4);
    await waitFor(() => r.venue.handed === 74, { what: 'woken by the doorbell' });
    r.dispatcher.stop();
  });

  it('stop() ends the polling: nothing looks at the rings afterwards', async () => {
    const r = loopRig();
    r.dispatcher.setPolicy({ busyPoll: true });
    expect(r.dispatcher.policy.spinUs).toBe(DEFAULT_BUSY_POLL_SPIN_US);
    // a window no stall of a loaded machine can outlast: it would poll for a minute
    r.dispatcher.setPolicy({ busyPoll: true, spinUs: 60_000_000 });
    r.start();
    r.put(10);
    await waitFor(() => r.venue.handed === 10, { what: 'handed' });
    const polling = r.looks();
    await pause(5);
    expect(r.looks()).toBeGreaterThan(polling); // still polling (inside its window)
    r.dispatcher.stop();
    await new Promise((resolve) => setImmediate(resolve));
    const stopped = r.looks();
    await pause(30);
    expect(r.looks()).toBe(stopped);
    expect(r.dispatcher.sleeps).toBe(0);
  });

  const fixtures = new WorkerFixtures();
  afterAll(() => fixtures.dispose());

  it('a thread running a busy-polling dispatcher ends by itself once the dispatcher is stopped', async () => {
    const w = await fixtures.start(new URL('./fixtures/busy-poll-worker.ts', import.meta.url), { orders: 200 });
    const report = new Promise<{ handed: number; sleeps: number }>((resolve) => w.once('message', resolve));
    const code = exited(w);
    const timeout = new Promise<string>((resolve) => setTimeout(() => resolve('still running'), 20_000).unref());
    expect(await Promise.race([code, timeout])).toBe(0);
    expect(await report).toEqual({ handed: 200, sleeps: 0 });
  });
});

describe('dispatch policy: configuration (daemon.dispatch)', () => {
  it('defaults: busyPoll false, spinUs left to the mode', () => {
    expect(ok(BASE).daemon.dispatch).toEqual({ busyPoll: false });
  });

  it('busyPoll and spinUs are taken', () => {
    expect(ok(`${BASE}daemon:\n  dispatch: { busyPoll: true, spinUs: 500 }\n`).daemon.dispatch).toEqual({ busyPoll: true, spinUs: 500 });
    expect(ok(`${BASE}daemon:\n  dispatch: { busyPoll: "false" }\n`).daemon.dispatch.busyPoll).toBe(false);
  });

  it('refuses what is not a boolean, a negative, fractional or huge spin, and unknown keys', () => {
    const paths = (yaml: string): string[] => errors(`${BASE}daemon:\n  dispatch: ${yaml}\n`).map((e) => e.path);
    expect(paths('{ busyPoll: sometimes }')).toEqual(['daemon.dispatch.busyPoll']);
    expect(paths('{ spinUs: -1 }')).toEqual(['daemon.dispatch.spinUs']);
    expect(paths('{ spinUs: 1.5 }')).toEqual(['daemon.dispatch.spinUs']);
    expect(paths('{ spinUs: 100000000 }')).toEqual(['daemon.dispatch.spinUs']);
    expect(paths('{ busypoll: true }').length).toBe(1);
  });

  it('the dispatcher refuses a negative spin', () => {
    const r = loopRig();
    expect(() => r.dispatcher.setPolicy({ spinUs: -5 })).toThrow(RangeError);
  });
});
