import { describe, expect, it } from 'vitest';
import { OrderTracker } from '../../src/execution/order-tracker.js';
import { toVenueOrders, type CancelRequest, type OrderBatch, type VenueAdapter, type VenueOrder } from '../../src/execution/venue.js';
import { BoundedQueue } from '../../src/intake/bounded-queue.js';
import { Dispatcher } from '../../src/intake/dispatcher.js';
import { OrderIntake } from '../../src/intake/order-intake.js';
import { ManualClock } from '../../src/model/clock.js';
import { OrderIdCounter } from '../../src/model/ids.js';
import type { Order, OrderIntent } from '../../src/model/order.js';
import { PreTradeRisk } from '../../src/risk/pre-trade-risk.js';
import { RiskAccounting } from '../../src/risk/risk-accounting.js';
import { Router } from '../../src/routing/router.js';
import { intent, testInstruments } from '../helpers/model.js';
import { waitFor } from '../helpers/poll.js';

/** A venue that records what it is given and answers nothing. */
class RecordingVenue implements VenueAdapter {
  readonly batches: VenueOrder[][] = [];
  readonly cancels: CancelRequest[] = [];
  constructor(readonly name: string) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  submit(batch: OrderBatch): void {
    this.batches.push(toVenueOrders(batch));
  }
  cancel(request: CancelRequest): void {
    this.cancels.push(request);
  }
  get orders(): VenueOrder[] {
    return this.batches.flat();
  }
}

const BTC = 0;
const ETH = 1;
const SOL = 2;

/**
 * Two venues: v1 and v2. Routing BTC-USDT 3:1, ETH-USDT 1:1, SOL-USDT none (NO_ROUTE).
 * Strategies: alpha (all symbols, no limits), beta (BTC-USDT only, at most 2 open orders).
 */
function setup(options: { capacity?: number; maxPerCycle?: number } = {}) {
  const instruments = testInstruments();
  const clock = new ManualClock();
  const tracker = new OrderTracker(instruments, clock, { retainFinished: 1000 });
  const risk = new PreTradeRisk(
    instruments,
    [
      { id: 'alpha', symbols: ['BTC-USDT', 'ETH-USDT', 'SOL-USDT'] },
      { id: 'beta', symbols: ['BTC-USDT'], maxOpenOrders: 2 },
    ],
    {},
  );
  risk.setMark(BTC, 6_000_000);
  tracker.listen(new RiskAccounting(risk, instruments));
  const venues = [new RecordingVenue('v1'), new RecordingVenue('v2')];
  const router = new Router(['v1', 'v2'], ['BTC-USDT', 'ETH-USDT', 'SOL-USDT'], [{ v1: 3, v2: 1 }, { v1: 1, v2: 1 }, {}]);
  const queue = new BoundedQueue<Order>(options.capacity ?? 1024);
  const dispatcher = new Dispatcher(queue, tracker, risk, router, venues, instruments, options.maxPerCycle);
  const intake = new OrderIntake(tracker, new OrderIdCounter(0), queue, dispatcher, router, venues, instruments, ['alpha', 'beta'], 'tst');
  intake.open();
  const submit = (overrides: Partial<OrderIntent> = {}): Order => {
    const r = intake.submit(intent(overrides));
    if (!r.ok) throw new Error(`submit refused: ${r.code} ${r.message}`);
    return r.order;
  };
  return { instruments, tracker, risk, venues, router, queue, dispatcher, intake, submit };
}

describe('Dispatcher routing', () => {
  it('sends each order to the venue of its routing slot, with the order as the venue sees it', () => {
    const { submit, dispatcher, venues, router } = setup();
    const orders = [1, 2, 3, 17, 255, 256, 1000, 12345].map((q) => submit({ qtyLots: q }));
    dispatcher.drain();
    for (const o of orders) {
      const expected = router.venueName(router.route(BTC, o.qtyLots));
      expect(o.state).toBe('SUBMITTED');
      expect(o.venue).toBe(expected);
      const sent = venues.find((v) => v.name === expected)!.orders.find((x) => x.orderId === o.id)!;
      expect(sent).toMatchObject({
        orderId: o.id,
        clientOrderId: o.clientOrderId,
        side: 'BUY',
        type: 'LIMIT',
        timeInForce: 'GTC',
        postOnly: false,
        priceTicks: 6_000_000,
        stopTicks: 0,
        qtyLots: o.qtyLots,
      });
      expect(sent.instrument.symbol).toBe('BTC-USDT');
    }
    expect(venues[0]!.orders.length + venues[1]!.orders.length).toBe(orders.length);
  });

  it('256 consecutive quantities split exactly as the weights say (3:1 -> 192/64, 1:1 -> 128/128)', () => {
    const { submit, dispatcher, venues } = setup();
    for (let q = 1; q <= 256; q++) submit({ qtyLots: q });
    for (let q = 1000; q < 1256; q++) submit({ symbol: 'ETH-USDT', qtyLots: q, priceTicks: 60_000 });
    dispatcher.drain();
    const count = (v: RecordingVenue, symbol: string) => v.orders.filter((o) => o.instrument.symbol === symbol).length;
    expect([count(venues[0]!, 'BTC-USDT'), count(venues[1]!, 'BTC-USDT')]).toEqual([192, 64]);
    expect([count(venues[0]!, 'ETH-USDT'), count(venues[1]!, 'ETH-USDT')]).toEqual([128, 128]);
  });

  it('skips an unavailable venue and denies NO_ROUTE when none is left', () => {
    const { submit, dispatcher, venues, tracker } = setup();
    dispatcher.available[0] = 0;
    const a = [1, 2, 3, 4, 5, 6, 7, 8].map((q) => submit({ qtyLots: q }));
    dispatcher.drain();
    expect(a.every((o) => o.venue === 'v2' && o.state === 'SUBMITTED')).toBe(true);
    expect(venues[0]!.batches).toEqual([]);
    dispatcher.available[1] = 0;
    const b = submit({ qtyLots: 9 });
    dispatcher.drain();
    expect(tracker.get(b.id)).toMatchObject({ state: 'DENIED', reason: 'NO_ROUTE' });
  });

  it('denies NO_ROUTE for a symbol no venue has a weight for', () => {
    const { submit, dispatcher, venues, risk } = setup();
    const o = submit({ symbol: 'SOL-USDT', priceTicks: 150_000, qtyLots: 100 });
    dispatcher.drain();
    expect(o).toMatchObject({ state: 'DENIED', reason: 'NO_ROUTE', riskPriceTicks: 0 });
    expect(venues.flatMap((v) => v.batches)).toEqual([]);
    expect(risk.snapshot().openOrders).toBe(0);
  });

  it('a pinned venue bypasses the table; an unavailable pinned venue is VENUE_UNAVAILABLE', () => {
    const { submit, dispatcher, venues } = setup();
    const pinned = [1, 2, 3, 4, 5, 6].map((q) => submit({ qtyLots: q, venue: 'v2' }));
    dispatcher.drain();
    expect(pinned.every((o) => o.state === 'SUBMITTED' && o.venue === 'v2')).toBe(true);
    expect(venues[1]!.orders).toHaveLength(6);
    dispatcher.available[1] = 0;
    const o = submit({ venue: 'v2' });
    dispatcher.drain();
    expect(o).toMatchObject({ state: 'DENIED', reason: 'VENUE_UNAVAILABLE' });
    expect(venues[1]!.orders).toHaveLength(6);
  });

  it('denies with the risk code and sends nothing', () => {
    const { submit, dispatcher, venues, risk } = setup();
    const notAllowed = submit({ strategy: 'beta', symbol: 'ETH-USDT', priceTicks: 60_000 });
    const b1 = submit({ strategy: 'beta' });
    const b2 = submit({ strategy: 'beta' });
    const b3 = submit({ strategy: 'beta' });
    dispatcher.drain();
    expect(notAllowed).toMatchObject({ state: 'DENIED', reason: 'RISK_SYMBOL_NOT_ALLOWED' });
    expect([b1.state, b2.state, b3.state]).toEqual(['SUBMITTED', 'SUBMITTED', 'DENIED']);
    expect(b3.reason).toBe('RISK_MAX_OPEN_ORDERS');
    expect(venues.flatMap((v) => v.orders).map((o) => o.orderId).sort()).toEqual([b1.id, b2.id].sort());
    expect(risk.snapshot().openOrders).toBe(2);
  });

  it('market orders reserve at the mark; without a mark they are denied RISK_NO_REFERENCE_PRICE', () => {
    const { submit, dispatcher } = setup();
    const m = submit({ type: 'MARKET', timeInForce: 'IOC', priceTicks: 0 });
    const noMark = submit({ symbol: 'ETH-USDT', type: 'MARKET', timeInForce: 'IOC', priceTicks: 0 });
    dispatcher.drain();
    expect(m).toMatchObject({ state: 'SUBMITTED', riskPriceTicks: 6_000_000 });
    expect(noMark).toMatchObject({ state: 'DENIED', reason: 'RISK_NO_REFERENCE_PRICE' });
  });

  it('skips orders canceled while queued: no venue sees them and no risk is reserved', () => {
    const { submit, dispatcher, venues, intake, risk } = setup();
    const a = submit({ qtyLots: 1 });
    const b = submit({ qtyLots: 2 });
    const c = submit({ qtyLots: 3 });
    const r = intake.cancel(b.id);
    expect(r.ok).toBe(true);
    expect(b.state).toBe('CANCELED');
    dispatcher.drain();
    expect(venues.flatMap((v) => v.orders).map((o) => o.orderId).sort()).toEqual([a.id, c.id].sort());
    expect(venues.flatMap((v) => v.cancels)).toEqual([]); // nothing to ask a venue
    expect(risk.snapshot().openOrders).toBe(2);
    expect(b.riskPriceTicks).toBe(0);
  });

  it('hands each venue one batch per drain', () => {
    const { submit, dispatcher, venues } = setup();
    for (let q = 1; q <= 40; q++) submit({ qtyLots: q });
    dispatcher.drain();
    expect(venues.map((v) => v.batches.length)).toEqual([1, 1]);
    expect(venues[0]!.batches[0]!.length + venues[1]!.batches[0]!.length).toBe(40);
    for (let q = 41; q <= 60; q++) submit({ qtyLots: q });
    dispatcher.drain();
    expect(venues.map((v) => v.batches.length)).toEqual([2, 2]);
    // a drain with nothing for a venue sends it nothing (no empty batches)
    submit({ qtyLots: 1, venue: 'v1' });
    dispatcher.drain();
    expect(venues.map((v) => v.batches.length)).toEqual([3, 2]);
    expect(venues.flatMap((v) => v.batches).every((b) => b.length > 0)).toBe(true);
  });

  it('drains at most maxPerCycle orders per cycle and reschedules itself for the rest', async () => {
    const { submit, dispatcher, venues, queue, intake } = setup({ maxPerCycle: 4 });
    const orders = Array.from({ length: 10 }, (_, i) => submit({ qtyLots: i + 1 }));
    dispatcher.drain();
    expect(queue.size).toBe(6);
    expect(venues.flatMap((v) => v.orders)).toHaveLength(4);
    const settled = await Promise.all(orders.map((o) => intake.dispatched(o)));
    expect(settled.every((o) => o.state === 'SUBMITTED')).toBe(true);
    expect(queue.size).toBe(0);
  });

  it('wakes itself: submitted orders are dispatched without an explicit drain', async () => {
    const { intake, venues } = setup();
    const r = intake.submit(intent());
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.order.state).toBe('CREATED');
    const o = await intake.dispatched(r.order);
    expect(o.state).toBe('SUBMITTED');
    await waitFor(() => venues.flatMap((v) => v.orders).length === 1, { what: 'the batch' });
  });
});

describe('OrderIntake refusals', () => {
  it('QUEUE_FULL when the queue is full: the order is refused, never created, and queued ones are not dropped', () => {
    const { intake, dispatcher, tracker, queue, venues } = setup({ capacity: 3 });
    const ok = [1, 2, 3].map((q) => intake.submit(intent({ qtyLots: q })));
    expect(ok.every((r) => r.ok)).toBe(true);
    const full = intake.submit(intent({ qtyLots: 4, clientOrderId: 'wouldbe4' }));
    expect(full).toMatchObject({ ok: false, code: 'QUEUE_FULL' });
    expect(tracker.list(false)).toHaveLength(3);
    expect(tracker.hasClientOrderId('wouldbe4')).toBe(false);
    expect(queue.size).toBe(3);
    dispatcher.drain();
    expect(tracker.list(false).every((o) => o.state === 'SUBMITTED')).toBe(true);
    expect(venues.flatMap((v) => v.orders)).toHaveLength(3);
    // room again
    expect(intake.submit(intent({ qtyLots: 4, clientOrderId: 'wouldbe4' })).ok).toBe(true);
  });

  it('TRADING_HALTED while intake is closed; cancels are still allowed', () => {
    const { intake, tracker, dispatcher, venues } = setup();
    const o = intake.submit(intent());
    dispatcher.drain();
    intake.close();
    expect(intake.isAccepting).toBe(false);
    expect(intake.submit(intent())).toMatchObject({ ok: false, code: 'TRADING_HALTED' });
    expect(tracker.list(false)).toHaveLength(1);
    if (!o.ok) throw new Error('first submit refused');
    const c = intake.cancel(o.order.id);
    expect(c.ok).toBe(true);
    expect(o.order.state).toBe('PENDING_CANCEL');
    expect(venues.flatMap((v) => v.cancels).map((x) => x.orderId)).toEqual([o.order.id]);
    intake.open();
    expect(intake.submit(intent()).ok).toBe(true);
  });

  it('a new intake refuses everything until opened', () => {
    const instruments = testInstruments();
    const tracker = new OrderTracker(instruments, new ManualClock(), { retainFinished: 10 });
    const router = new Router(['v1'], ['BTC-USDT', 'ETH-USDT', 'SOL-USDT'], [{ v1: 1 }, { v1: 1 }, { v1: 1 }]);
    const queue = new BoundedQueue<Order>(4);
    const risk = new PreTradeRisk(instruments, [{ id: 'alpha', symbols: ['BTC-USDT'] }], {});
    const venues = [new RecordingVenue('v1')];
    const d = new Dispatcher(queue, tracker, risk, router, venues, instruments);
    const intake = new OrderIntake(tracker, new OrderIdCounter(0), queue, d, router, venues, instruments, ['alpha'], 'p');
    expect(intake.submit(intent())).toMatchObject({ ok: false, code: 'TRADING_HALTED' });
  });

  it('DUPLICATE_CLIENT_ORDER_ID for a client order id in use, open or finished', () => {
    const { intake, dispatcher, tracker } = setup();
    const first = intake.submit(intent({ clientOrderId: 'dup1' }));
    expect(first.ok).toBe(true);
    expect(intake.submit(intent({ clientOrderId: 'dup1' }))).toMatchObject({ ok: false, code: 'DUPLICATE_CLIENT_ORDER_ID' });
    dispatcher.drain();
    if (first.ok) tracker.apply(first.order.id, { kind: 'REJECT', reason: 'x' });
    expect(intake.submit(intent({ clientOrderId: 'dup1' }))).toMatchObject({ ok: false, code: 'DUPLICATE_CLIENT_ORDER_ID' });
    expect(tracker.list(false)).toHaveLength(1);
    // a client id that looks like a generated one is caught too
    const gen = intake.submit(intent());
    if (!gen.ok) throw new Error('refused');
    expect(intake.submit(intent({ clientOrderId: gen.order.clientOrderId }))).toMatchObject({ ok: false, code: 'DUPLICATE_CLIENT_ORDER_ID' });
  });

  it('UNKNOWN_STRATEGY and UNKNOWN_VENUE (not configured, or no weight for the symbol)', () => {
    const { intake, tracker } = setup();
    expect(intake.submit(intent({ strategy: 'gamma' }))).toMatchObject({ ok: false, code: 'UNKNOWN_STRATEGY' });
    expect(intake.submit(intent({ venue: 'v9' }))).toMatchObject({ ok: false, code: 'UNKNOWN_VENUE' });
    expect(intake.submit(intent({ symbol: 'SOL-USDT', venue: 'v1' }))).toMatchObject({ ok: false, code: 'UNKNOWN_VENUE' });
    expect(tracker.list(false)).toEqual([]);
  });

  it('generates distinct valid client order ids from the prefix and the order id', () => {
    const { submit } = setup();
    const ids = Array.from({ length: 50 }, () => submit().clientOrderId);
    expect(new Set(ids).size).toBe(50);
    for (const id of ids) expect(id).toMatch(/^tst[0-9a-z]+$/);
    expect(ids[0]).toBe('tst1');
    expect(ids[35]).toBe('tst10'); // id 36 in base 36
  });

  it('cancel: ORDER_NOT_FOUND, then ORDER_NOT_CANCELABLE for a final order or a pending cancel', () => {
    const { intake, submit, dispatcher, venues } = setup();
    expect(intake.cancel(999)).toMatchObject({ ok: false, code: 'ORDER_NOT_FOUND' });
    const denied = submit({ symbol: 'SOL-USDT', priceTicks: 150_000, qtyLots: 100 });
    const live = submit();
    dispatcher.drain();
    expect(denied.state).toBe('DENIED');
    expect(intake.cancel(denied.id)).toMatchObject({ ok: false, code: 'ORDER_NOT_CANCELABLE' });
    expect(intake.cancel(live.id)).toMatchObject({ ok: true });
    expect(intake.cancel(live.id)).toMatchObject({ ok: false, code: 'ORDER_NOT_CANCELABLE' });
    const sent = venues.flatMap((v) => v.cancels);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ orderId: live.id, clientOrderId: live.clientOrderId });
    expect(venues.find((v) => v.name === live.venue)!.cancels).toHaveLength(1);
  });

  it('dispatched() resolves with the decision: SUBMITTED, DENIED, or CANCELED in the queue', async () => {
    const { intake, submit } = setup();
    const a = submit();
    const b = submit({ symbol: 'SOL-USDT', priceTicks: 150_000, qtyLots: 100 });
    const c = submit();
    intake.cancel(c.id);
    const [ra, rb, rc] = await Promise.all([intake.dispatched(a), intake.dispatched(b), intake.dispatched(c)]);
    expect([ra.state, rb.state, rc.state]).toEqual(['SUBMITTED', 'DENIED', 'CANCELED']);
  });
});

describe('BoundedQueue', () => {
  it('is FIFO, refuses when full, and wraps around', () => {
    const q = new BoundedQueue<number>(3);
    expect(q.push(1) && q.push(2) && q.push(3)).toBe(true);
    expect(q.push(4)).toBe(false);
    expect(q.shift()).toBe(1);
    expect(q.push(4)).toBe(true);
    expect([q.shift(), q.shift(), q.shift(), q.shift()]).toEqual([2, 3, 4, undefined]);
    expect(q.size).toBe(0);
    expect(() => new BoundedQueue(0)).toThrow(RangeError);
  });
});
