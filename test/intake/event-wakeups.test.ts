/**
 * Worker wake-ups for events (ring-intake.ts, strategy-host.ts publishEvent/wake): events are written to the strategy's
 * ring as they happen (those of a dispatch cycle published together at its end), but a sleeping strategy is notified
 * once per turn (the end of the dispatcher's cycle, or the end of the event-loop iteration for events written outside
 * it), never once per event. Driven on one thread: the strategy runtime
 * (the worker side) sleeps on its doorbell with Atomics.waitAsync like a worker does, and the test decides every turn.
 */
import { describe, expect, it } from 'vitest';
import { OrderStore } from '../../src/core/order-store.js';
import { OrderTracker } from '../../src/core/order-tracker.js';
import { VenueBatcher } from '../../src/execution/batcher.js';
import { ReportHandler } from '../../src/execution/report-handler.js';
import { toVenueOrders, type CancelRequest, type OrderBatch, type VenueAdapter, type VenueOrder } from '../../src/execution/venue.js';
import { Dispatcher } from '../../src/intake/dispatcher.js';
import { OrderIntake } from '../../src/intake/order-intake.js';
import { RingIntake } from '../../src/intake/ring-intake.js';
import { Doorbell } from '../../src/intake/ring/doorbell.js';
import { EV_ACK, EventRecord, readEventRecord } from '../../src/intake/ring/event-record.js';
import { RingConsumer } from '../../src/intake/ring/spsc-ring.js';
import { StrategyQueues } from '../../src/intake/strategy-queues.js';
import { ManualClock } from '../../src/model/clock.js';
import { OrderIdCounter } from '../../src/model/ids.js';
import { InstrumentRegistry } from '../../src/model/instrument.js';
import { PreTradeRisk } from '../../src/risk/pre-trade-risk.js';
import { RiskAccounting } from '../../src/risk/risk-accounting.js';
import { Router } from '../../src/routing/router.js';
import type { StrategyEvent } from '../../src/strategy/sdk.js';
import { HostedStrategy, type HostLogger } from '../../src/strategy/strategy-host.js';
import { StrategyRuntime } from '../../src/strategy/strategy-runtime.js';
import { waitFor } from '../helpers/poll.js';
import { INSTRUMENTS, VENUES } from '../strategy/helpers.js';

const silent: HostLogger = { debug() {}, info() {}, warn() {}, error() {} };

class Venue implements VenueAdapter {
  readonly orders: VenueOrder[] = [];
  /** Called at each handoff (inside the dispatch cycle). */
  onSubmit: (() => void) | undefined;
  constructor(readonly name: string) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  submit(batch: OrderBatch): void {
    this.orders.push(...toVenueOrders(batch));
    this.onSubmit?.();
  }
  cancel(request: CancelRequest): void {
    void request;
  }
}

const macrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The daemon's ring path for one hosted strategy, alpha, whose worker side runs on this thread. */
async function rig(eventSpinUs: number) {
  const instruments = new InstrumentRegistry(INSTRUMENTS);
  const clock = new ManualClock();
  const store = new OrderStore(instruments, ['alpha'], VENUES, 'tst', 1024);
  const tracker = new OrderTracker(store, clock, { retainFinished: 1000 });
  const risk = new PreTradeRisk(instruments, [{ id: 'alpha', symbols: ['BTC-USDT'] }], {});
  tracker.listen(new RiskAccounting(risk));
  const venues = VENUES.map((v) => new Venue(v));
  const router = new Router(VENUES, ['BTC-USDT', 'ETH-USDT'], [{ 'sim-a': 1 }, { 'sim-a': 1 }]);
  const queues = new StrategyQueues(1, [1], 1024);
  const batcher = new VenueBatcher(store, venues, venues.map(() => ({ maxSize: 1000, flushMs: 0 })));
  const dispatcher = new Dispatcher(store, queues, tracker, risk, router, batcher);
  const intake = new OrderIntake(tracker, new OrderIdCounter(0), queues, dispatcher, router, venues, instruments, ['alpha'], batcher);
  intake.open();
  const reports = new ReportHandler(tracker, clock, () => undefined);
  const hosted = new HostedStrategy({ id: 'alpha', module: 'unused', symbols: ['BTC-USDT'] }, 0, 1024, 4096);
  const ring = new RingIntake([hosted], (id) => intake.strategyOf(id), 1, intake, tracker, queues, router, instruments.list.length);
  dispatcher.addSource(ring);
  tracker.listen(ring);
  const runtime = new StrategyRuntime(hosted.workerData('unused', INSTRUMENTS, VENUES, Doorbell.create(), eventSpinUs), {
    post: (m) => hosted.handleMessage(m, undefined, silent),
  });
  const events: StrategyEvent[] = [];
  await runtime.start({ onEvent: (e) => void events.push(e) });
  const bell = hosted.eventDoorbell;
  return { tracker, reports, venues, dispatcher, hosted, runtime, events, bell };
}

describe('events to a sleeping strategy: one wake-up per turn, not per event', () => {
  it('N orders dispatched in one cycle: 2N events (ACK, SUBMITTED) written, one notify at the end of the cycle', async () => {
    const r = await rig(0);
    await waitFor(() => r.bell.sleeping, { what: 'the strategy asleep on its doorbell' });
    const N = 30; // 2N events: under the 64 a cycle holds before it publishes them
    // the strategy's orders, published together (its side of the ring)
    r.runtime.ctx.batch(() => {
      for (let i = 0; i < N; i++) expect(r.runtime.ctx.submit({ symbol: 'BTC-USDT', side: 'BUY', price: '60000', quantity: '0.001' }).ok).toBe(true);
    });
    const before = r.bell.wakeups;
    // when the venue gets the batch, the cycle has written every event and notified nobody yet: a worker that sleeps
    // at once (the default) is told at once...
    let atHandoff: [number, number, number] | undefined;
    const events = new RingConsumer(r.hosted.eventBuffer);
    r.venues[0]!.onSubmit = () => (atHandoff = [events.available(), r.hosted.eventPosition, r.bell.wakeups - before]);
    expect(r.dispatcher.pump()).toBe(N);
    expect(atHandoff).toEqual([2 * N, 2 * N, 0]);
    // all 2N events are in the ring, and the end of the cycle rang once
    expect(r.hosted.eventPosition).toBe(2 * N);
    expect(r.bell.wakeups - before).toBe(1);
    await waitFor(() => r.events.length === 2 * N, { what: `${2 * N} events delivered` });
    expect(r.events.map((e) => e.kind)).toEqual([...Array<string>(N).fill('ACK'), ...Array<string>(N).fill('SUBMITTED')]);
    expect(r.events.map((e) => e.seq)).toEqual([...Array.from({ length: N }, (_, i) => i + 1), ...Array.from({ length: N }, (_, i) => i + 1)]);
    await macrotask();
    expect(r.bell.wakeups - before).toBe(1);
    // ...one that polls after its activity (busy-poll) gets a cycle's events together at its end, after the handoff
    r.hosted.holdsCycleEvents = true;
    await waitFor(() => r.bell.sleeping, { what: 'the strategy asleep again' });
    r.runtime.ctx.batch(() => {
      for (let i = 0; i < N; i++) expect(r.runtime.ctx.submit({ symbol: 'BTC-USDT', side: 'SELL', price: '60000', quantity: '0.001' }).ok).toBe(true);
    });
    const published = r.hosted.eventPosition;
    const rang = r.bell.wakeups;
    const readable = events.available(); // (this reader's head stays where it was made: it counts every event published)
    r.venues[0]!.onSubmit = () => (atHandoff = [events.available() - readable, r.hosted.eventPosition - published, r.bell.wakeups - rang]);
    expect(r.dispatcher.pump()).toBe(N);
    expect(atHandoff).toEqual([0, 0, 0]);
    expect([r.hosted.eventPosition - published, r.bell.wakeups - rang]).toEqual([2 * N, 1]);
    await waitFor(() => r.events.length === 4 * N, { what: `${2 * N} more events delivered` });
    expect(r.events.slice(2 * N).map((e) => e.kind)).toEqual([...Array<string>(N).fill('ACK'), ...Array<string>(N).fill('SUBMITTED')]);
    await r.runtime.stop();
  });

  it('HostedStrategy: events written between holdEvents() and wake() are published by that wake() (or every 64th), together; others at once', () => {
    const hosted = new HostedStrategy({ id: 'alpha', module: 'unused', symbols: ['BTC-USDT'] }, 0, 16, 4);
    hosted.holdsCycleEvents = true; // a worker that polls after its activity (StrategyHost.setWorkerSpinUs above 0)
    const events = new RingConsumer(hosted.eventBuffer);
    const ev = new EventRecord();
    const publish = (seq: number): boolean => hosted.publishEvent(Object.assign(ev.reset(), { kind: EV_ACK, seq }));
    expect(publish(1)).toBe(true);
    expect(events.available()).toBe(1); // at once
    hosted.holdEvents();
    expect(publish(2)).toBe(true);
    expect(publish(3)).toBe(true);
    expect([events.available(), hosted.eventPosition]).toEqual([1, 1]); // written, not published
    hosted.wake();
    expect([events.available(), hosted.eventPosition]).toEqual([3, 3]);
    expect(publish(4)).toBe(true);
    expect(events.available()).toBe(4); // the hold ended with the wake()
    // a held event that does not fit is lost as one published would be (a RESYNC is owed): the ring's room counts
    // the held ones
    hosted.holdEvents();
    expect(publish(5)).toBe(false);
    expect(hosted.eventsLost).toBe(1);
    hosted.wake();
    const seqs: number[] = [];
    events.poll(16, (off) => void seqs.push(readEventRecord(events, off, ev).seq));
    expect(seqs).toEqual([1, 2, 3, 4]);
    // a long cycle: every 64th held event publishes those before it too (an awake worker reads on meanwhile)
    const big = new HostedStrategy({ id: 'beta', module: 'unused', symbols: ['BTC-USDT'] }, 1, 16, 256);
    big.holdsCycleEvents = true;
    const bigEvents = new RingConsumer(big.eventBuffer);
    big.holdEvents();
    for (let i = 1; i <= 63; i++) expect(big.publishEvent(Object.assign(ev.reset(), { kind: EV_ACK, seq: i }))).toBe(true);
    expect(bigEvents.available()).toBe(0);
    big.publishEvent(Object.assign(ev.reset(), { kind: EV_ACK, seq: 64 }));
    expect(bigEvents.available()).toBe(64);
    big.publishEvent(Object.assign(ev.reset(), { kind: EV_ACK, seq: 65 }));
    expect(bigEvents.available()).toBe(64);
    big.wake();
    expect(bigEvents.available()).toBe(65);
    // a worker that sleeps at once (the default): nothing held
    big.holdsCycleEvents = false;
    big.holdEvents();
    big.publishEvent(Object.assign(ev.reset(), { kind: EV_ACK, seq: 66 }));
    expect(bigEvents.available()).toBe(66);
    big.wake();
  });

  it('events written outside a dispatch cycle (venue reports in one I/O callback): one notify at the end of the turn', async () => {
    const r = await rig(0);
    r.runtime.ctx.batch(() => {
      for (let i = 0; i < 20; i++) r.runtime.ctx.submit({ symbol: 'BTC-USDT', side: 'SELL', price: '60000', quantity: '0.001' });
    });
    r.dispatcher.pump();
    await waitFor(() => r.events.length === 40 && r.bell.sleeping, { what: 'ACK and SUBMITTED delivered, the strategy asleep again' });
    const before = r.bell.wakeups;
    const ids = r.events.filter((e) => e.kind === 'ACK').map((e) => e.orderId);
    for (const id of ids) r.reports.report('sim-a', { kind: 'ACCEPTED', orderId: id, venueOrderId: `A${id}` });
    // written at once; the notify waits for the end of the event-loop iteration (setImmediate), not only the callback's
    expect(r.hosted.eventPosition).toBe(60);
    expect(r.bell.wakeups - before).toBe(0);
    await Promise.resolve();
    expect(r.bell.wakeups - before).toBe(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(r.bell.wakeups - before).toBe(1);
    await waitFor(() => r.events.length === 60, { what: '20 ACCEPTED delivered' });
    expect(r.events.slice(40).map((e) => [e.kind, e.orderId])).toEqual(ids.map((id) => ['ACCEPTED', id]));
    expect(r.bell.wakeups - before).toBe(1);
    await r.runtime.stop();
  });

  it('a strategy that is awake (polling after its last activity) is never notified, and still gets every event', async () => {
    const r = await rig(60_000_000); // polls for a minute after its last activity: awake for the whole test
    for (let round = 0; round < 5; round++) {
      r.runtime.ctx.submit({ symbol: 'BTC-USDT', side: 'BUY', price: '60000', quantity: '0.001' });
      r.dispatcher.pump();
      await waitFor(() => r.events.length === 2 * (round + 1), { what: `round ${round} delivered` });
    }
    expect(r.bell.wakeups).toBe(0);
    await r.runtime.stop();
  });

  it('a strategy that just went to sleep when the cycle ends is woken: nothing published before the notify is missed', async () => {
    const r = await rig(0);
    let total = 0;
    for (let round = 0; round < 30; round++) {
      // alternate: the strategy asleep when the events are written, or still draining the previous ones
      if (round % 2 === 0) await waitFor(() => r.bell.sleeping, { what: 'asleep' });
      const n = 1 + (round % 7);
      r.runtime.ctx.batch(() => {
        for (let i = 0; i < n; i++) r.runtime.ctx.submit({ symbol: 'BTC-USDT', side: 'BUY', price: '60000', quantity: '0.001' });
      });
      r.dispatcher.pump();
      total += 2 * n;
      await waitFor(() => r.events.length === total, { what: `${total} events by round ${round}` });
    }
    // at most one notify per cycle
    expect(r.bell.wakeups).toBeLessThanOrEqual(30);
    await r.runtime.stop();
  });
});
