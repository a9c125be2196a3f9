/**
 * The strategies' cancel rate (pre-trade risk's token bucket, `maxCancelsPerSecond` / `cancelBurst`) through the
 * daemon's own order path (buildOrderPath): it counts the cancels that go to a venue. A cancel of an order that no
 * venue has seen yet — still in its strategy queue, or still in its venue's waiting batch — sends nothing: it withdraws
 * the order at once, never refused RISK_CANCEL_RATE and never taking a token; nor does a cancel of an order resting in
 * the internal crossing book (answered in the daemon). Parents the daemon holds: test/parents/cancel-rate.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { buildOrderPath } from '../../src/compose/order-path.js';
import { InternalCrossing } from '../../src/crossing/internal-crossing.js';
import { toVenueOrders, type CancelRequest, type OrderBatch, type ReportSink, type VenueAdapter, type VenueOrder } from '../../src/execution/venue.js';
import { ManualClock } from '../../src/model/clock.js';
import type { OrderIntent } from '../../src/model/order.js';
import { PreTradeRisk } from '../../src/risk/pre-trade-risk.js';
import { Router } from '../../src/routing/router.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { intent, testInstruments } from '../helpers/model.js';

class RecordingVenue implements VenueAdapter {
  readonly orders: VenueOrder[] = [];
  readonly cancels: CancelRequest[] = [];
  constructor(readonly name: string, readonly sink: ReportSink) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  submit(batch: OrderBatch): void {
    this.orders.push(...toVenueOrders(batch));
  }
  cancel(request: CancelRequest): void {
    this.cancels.push(request);
  }
}

/**
 * alpha may cancel once (burst 1; the clock never moves, so the bucket never refills). `crossing`: alpha crosses
 * internally, its GTC orders resting in the crossing book up to a minute before they go to the venue.
 */
function setup(flushMs = 0, crossing = false) {
  const instruments = testInstruments();
  const clock = new ManualClock();
  const router = new Router(['a'], instruments.list.map((i) => i.symbol), instruments.list.map(() => ({ a: 1 })));
  const risk = new PreTradeRisk(instruments, [{ id: 'alpha', symbols: ['BTC-USDT'], maxCancelsPerSecond: 1, cancelBurst: 1 }], {});
  let venue: RecordingVenue | undefined;
  const path = buildOrderPath({
    instruments, risk, router, clock,
    log: createLogger('warn', 'test', { write: () => {} }),
    strategies: [{ id: 'alpha', weight: 1 }],
    venues: ['a'],
    venue: (_i, sink) => (venue = new RecordingVenue('a', sink)),
    batch: [{ maxSize: 32, flushMs }],
    queueCapacity: 64,
    retainFinished: 64,
    clientIdPrefix: 'tst',
    journal: false,
    ...(crossing ? {
      crossing: (p: { store: import('../../src/core/order-store.js').OrderStore; tracker: import('../../src/core/order-tracker.js').OrderTracker }) =>
        new InternalCrossing(p.store, p.tracker, instruments, { enabled: Uint8Array.of(1), windowMs: Float64Array.of(60_000) }, clock, { crossed: () => {} }, () => '0'),
    } : {}),
  });
  path.intake.open();
  const submit = (overrides: Partial<OrderIntent> = {}) => {
    const r = path.intake.submit(intent(overrides));
    if (!r.ok) throw new Error(`${r.code} ${r.message}`);
    return r.order.id;
  };
  return { path, venue: venue!, submit };
}

describe('cancel rate: only cancels that go to a venue are counted', () => {
  it('a cancel of a queued order withdraws it even when the strategy is over its cancel rate; the order is never sent', () => {
    // defect: the cancel was refused RISK_CANCEL_RATE and the queued order stayed in its queue, to be dispatched to
    // its venue at the next cycle: the strategy could not take back an order no venue had seen
    const { path, venue, submit } = setup();
    const atVenue = submit();
    path.dispatcher.pump();
    expect(path.tracker.get(atVenue)!.state).toBe('SUBMITTED');
    const queued = submit();
    expect(path.intake.cancel(atVenue)).toMatchObject({ ok: true, order: { state: 'PENDING_CANCEL' } }); // the one token
    const r = path.intake.cancel(queued);
    expect(r).toMatchObject({ ok: true, order: { state: 'CANCELED' } });
    path.dispatcher.pump();
    expect(path.tracker.get(queued)!.state).toBe('CANCELED');
    expect(venue.orders.map((o) => o.orderId)).toEqual([atVenue]);
    expect(venue.cancels.map((c) => c.orderId)).toEqual([atVenue]);
  });

  it('a cancel of a queued order takes no token: the strategy can still cancel at a venue after it', () => {
    const { path, venue, submit } = setup();
    const atVenue = submit();
    path.dispatcher.pump();
    const queued = submit();
    expect(path.intake.cancel(queued)).toMatchObject({ ok: true, order: { state: 'CANCELED' } });
    expect(path.intake.cancel(atVenue)).toMatchObject({ ok: true, order: { state: 'PENDING_CANCEL' } });
    expect(venue.cancels.map((c) => c.orderId)).toEqual([atVenue]);
    // the rate still holds for cancels that go to a venue
    const other = submit();
    path.dispatcher.pump();
    expect(path.intake.cancel(other)).toMatchObject({ ok: false, code: 'RISK_CANCEL_RATE' });
    expect(path.tracker.get(other)!.state).toBe('SUBMITTED');
  });

  it('an order still in its venue\'s waiting batch is taken back without a token, never sent', () => {
    const { path, venue, submit } = setup(60_000);
    const waiting = submit();
    path.dispatcher.pump();
    expect(path.tracker.get(waiting)!.state).toBe('SUBMITTED');
    expect(path.batcher.pending(0)).toBe(1);
    expect(path.intake.cancel(waiting)).toMatchObject({ ok: true });
    expect(path.tracker.get(waiting)!.state).toBe('CANCELED');
    expect(path.batcher.pending(0)).toBe(0);
    // the token is still there for a cancel at the venue
    const sent = submit();
    path.dispatcher.pump();
    path.batcher.flushAll();
    expect(venue.orders.map((o) => o.orderId)).toEqual([sent]);
    expect(path.intake.cancel(sent)).toMatchObject({ ok: true, order: { state: 'PENDING_CANCEL' } });
    expect(venue.cancels.map((c) => c.orderId)).toEqual([sent]);
  });

  it('an order resting in the internal crossing book is canceled there without a token, even over the rate', () => {
    // defect: the cancel was counted (and refused RISK_CANCEL_RATE over the rate) though the crossing book is the
    // daemon's own and answers it at once: no venue is asked
    const { path, venue, submit } = setup(0, true);
    const resting = submit();
    path.dispatcher.pump();
    expect(path.tracker.get(resting)).toMatchObject({ state: 'SUBMITTED', venue: 'internal' });
    const atVenue = submit({ timeInForce: 'IOC', priceTicks: 5_000_000 }); // an IOC goes to the venue at once
    path.dispatcher.pump();
    expect(path.tracker.get(atVenue)).toMatchObject({ state: 'SUBMITTED', venue: 'a' });
    expect(path.intake.cancel(resting)).toMatchObject({ ok: true, order: { state: 'CANCELED' } });
    expect(path.intake.cancel(atVenue)).toMatchObject({ ok: true, order: { state: 'PENDING_CANCEL' } }); // the one token
    const other = submit({ timeInForce: 'IOC', priceTicks: 5_000_000 });
    path.dispatcher.pump();
    expect(path.intake.cancel(other)).toMatchObject({ ok: false, code: 'RISK_CANCEL_RATE' });
    expect(venue.cancels.map((c) => c.orderId)).toEqual([atVenue]);
  });
});
