/**
 * A worker strategy's ACK (src/intake/ring-intake.ts) against an order enhancer (src/intake/order-enhancer.ts) that
 * changed the order before it was created: the event record's contract (event-record.ts: "ACK ... state CREATED, its
 * symbol, side, price, quantity"; the SDK: "otherwise the order quantity" / "the order's limit price") is the ORDER's
 * terms, as every later event carries them — not the terms the record asked for. A strategy that counts what it has
 * working from its ACKs would otherwise count the quantity it asked for, not the one the daemon sent.
 */
import { describe, expect, it } from 'vitest';
import { VenueBatcher } from '../../src/execution/batcher.js';
import { OrderStore } from '../../src/core/order-store.js';
import { OrderTracker } from '../../src/core/order-tracker.js';
import type { OrderBatch, VenueAdapter } from '../../src/execution/venue.js';
import { Dispatcher } from '../../src/intake/dispatcher.js';
import { OrderEnhancers } from '../../src/intake/order-enhancer.js';
import { OrderIntake } from '../../src/intake/order-intake.js';
import { RingIntake } from '../../src/intake/ring-intake.js';
import { EVENT_KINDS, EventRecord, readEventRecord } from '../../src/intake/ring/event-record.js';
import { OP_SUBMIT, OrderRecord, writeOrderRecord } from '../../src/intake/ring/order-record.js';
import { RingConsumer, RingProducer } from '../../src/intake/ring/spsc-ring.js';
import { StrategyQueues } from '../../src/intake/strategy-queues.js';
import { ManualClock } from '../../src/model/clock.js';
import { OrderIdCounter } from '../../src/model/ids.js';
import { InstrumentRegistry } from '../../src/model/instrument.js';
import { PreTradeRisk } from '../../src/risk/pre-trade-risk.js';
import { Router } from '../../src/routing/router.js';
import { HostedStrategy } from '../../src/strategy/strategy-host.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { INSTRUMENTS, VENUES } from '../strategy/helpers.js';

class QuietVenue implements VenueAdapter {
  constructor(readonly name: string) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  submit(_batch: OrderBatch): void {}
  cancel(): void {}
}

describe('RingIntake: ACK of an order an enhancer changed', () => {
  it('carries the order\'s price and quantity (the enhanced terms), as the SUBMITTED after it does', () => {
    const instruments = new InstrumentRegistry(INSTRUMENTS);
    const clock = new ManualClock();
    const store = new OrderStore(instruments, ['alpha'], VENUES, 'tst', 256);
    const tracker = new OrderTracker(store, clock, { retainFinished: 100 });
    const risk = new PreTradeRisk(instruments, [{ id: 'alpha', symbols: ['BTC-USDT'] }], {});
    const venues = VENUES.map((v) => new QuietVenue(v));
    const router = new Router(VENUES, ['BTC-USDT', 'ETH-USDT'], [{ 'sim-a': 1 }, { 'sim-a': 1 }]);
    const queues = new StrategyQueues(1, [1], 64);
    const batcher = new VenueBatcher(store, venues, venues.map(() => ({ maxSize: 100, flushMs: 0 })));
    const dispatcher = new Dispatcher(store, queues, tracker, risk, router, batcher);
    const intake = new OrderIntake(tracker, new OrderIdCounter(0), queues, dispatcher, router, venues, instruments, ['alpha'], batcher);
    intake.open();
    // alpha's enhancer halves every order and tightens a buy's limit by 100 ticks
    const enhancers = new OrderEnhancers(['alpha'], instruments, clock, createLogger('silent', 'test', { write: () => {} }));
    enhancers.add(0, {
      enhance: (order, change) => {
        change.qtyLots = order.qtyLots / 2;
        change.priceTicks = order.priceTicks - 100;
      },
    }, { budgetUs: 1_000_000, suspendMs: 1000, symbols: ['BTC-USDT'], signals: false });
    intake.setEnhancers(enhancers);
    const hosted = new HostedStrategy({ id: 'alpha', module: 'unused', symbols: ['BTC-USDT'] }, 0, 64, 256);
    const ring = new RingIntake([hosted], (id) => intake.strategyOf(id), 1, intake, tracker, queues, router, instruments.list.length);
    dispatcher.addSource(ring);
    tracker.listen(ring);

    // the worker asks for 200 lots at 6,000,000 ticks
    const producer = new RingProducer(hosted.orderBuffer);
    const rec = new OrderRecord().reset();
    Object.assign(rec, { op: OP_SUBMIT, seq: 1, symbol: 0, priceTicks: 6_000_000, qtyLots: 200 });
    writeOrderRecord(producer, producer.tryClaim(), rec);
    producer.publish();
    expect(dispatcher.pump()).toBe(1);

    const events: { kind: string | undefined; orderId: number; qtyLots: number; priceTicks: number }[] = [];
    const ev = new EventRecord();
    const ring2 = new RingConsumer(hosted.eventBuffer);
    ring2.poll(1000, (off) => {
      readEventRecord(ring2, off, ev);
      events.push({ kind: EVENT_KINDS[ev.kind], orderId: ev.orderId, qtyLots: ev.qtyLots, priceTicks: ev.priceTicks });
    });
    const order = tracker.get(events[0]!.orderId)!;
    expect(order).toMatchObject({ qtyLots: 100, priceTicks: 5_999_900 }); // the enhancer's change was applied
    expect(events.map((e) => [e.kind, e.qtyLots, e.priceTicks])).toEqual([
      ['ACK', 100, 5_999_900],
      ['SUBMITTED', 100, 5_999_900],
    ]);
  });
});
