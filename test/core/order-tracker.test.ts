import { describe, expect, it } from 'vitest';
import { OrderView, type OrderStore } from '../../src/core/order-store.js';
import { OrderTracker, type TrackerListener } from '../../src/core/order-tracker.js';
import { ReportHandler } from '../../src/execution/report-handler.js';
import type { ExecutionReport } from '../../src/execution/venue.js';
import { ManualClock } from '../../src/model/clock.js';
import type { OrderEvent } from '../../src/model/events.js';
import type { OrderUpdate, TransitionResult } from '../../src/model/lifecycle.js';
import type { OrderIntent, OrderState } from '../../src/model/order.js';
import { fill, newOrderFields, testStore } from '../helpers/model.js';

/** Venues named in the updates below. */
const VENUES = ['v1', 'v2', 'v'];

interface Anomaly {
  id: number;
  state: OrderState;
  update: OrderUpdate;
  result: TransitionResult;
}

function setup(retainFinished = 1000, store: OrderStore = testStore({ venues: VENUES })) {
  const clock = new ManualClock(1_700_000_000_000);
  const tracker = new OrderTracker(store, clock, { retainFinished });
  const events: OrderEvent[] = [];
  const anomalies: Anomaly[] = [];
  tracker.listen({
    // the view and the transition are only valid during the call: keep copies
    onTransition: (order, update, t) => events.push(tracker.describe(order, update, t)),
    onAnomaly: (order, update, t) => anomalies.push({ id: order.id, state: order.state, update, result: t.toResult() }),
  });
  /** Create order `id` (client order id `cid`, undefined = made by the daemon); returns a view of it. */
  const create = (id: number, cid: string | undefined, overrides: Partial<OrderIntent> = {}): OrderView =>
    new OrderView(store).at(tracker.create(id, newOrderFields(store, { ...overrides, clientOrderId: cid })));
  return { clock, tracker, store, events, anomalies, create };
}

describe('OrderTracker events', () => {
  it('numbers transitions with consecutive sequence numbers across orders, starting at 1', () => {
    const { tracker, events, clock, create } = setup();
    expect(tracker.lastSeq).toBe(0);
    create(1, 'a1');
    create(2, 'a2', { side: 'SELL' });
    tracker.apply(1, { kind: 'SUBMIT', venue: 'v1' });
    clock.advance(5);
    tracker.apply(2, { kind: 'SUBMIT', venue: 'v2' });
    tracker.apply(1, { kind: 'ACCEPT', venueOrderId: 'x1' });
    tracker.apply(1, { kind: 'FILL', fill: fill(1, 400, 6_000_000) });
    tracker.apply(2, { kind: 'CANCEL_REQUEST' });
    tracker.apply(2, { kind: 'CANCELED' });
    tracker.apply(1, { kind: 'FILL', fill: fill(1, 600, 5_999_900) });
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(tracker.lastSeq).toBe(7);
    expect(events.map((e) => [e.orderId, e.event, e.from, e.state])).toEqual([
      [1, 'SUBMIT', 'CREATED', 'SUBMITTED'],
      [2, 'SUBMIT', 'CREATED', 'SUBMITTED'],
      [1, 'ACCEPT', 'SUBMITTED', 'ACCEPTED'],
      [1, 'PARTIAL_FILL', 'ACCEPTED', 'PARTIALLY_FILLED'],
      [2, 'CANCEL_REQUEST', 'SUBMITTED', 'PENDING_CANCEL'],
      [2, 'CANCELED', 'PENDING_CANCEL', 'CANCELED'],
      [1, 'FILL', 'PARTIALLY_FILLED', 'FILLED'],
    ]);
    expect(events[1]!.ts).toBe(1_700_000_000_005);
  });

  it('describe() shows decimals as text and fill details on fill events', () => {
    const { tracker, events, create } = setup();
    create(1, 'a1');
    tracker.apply(1, { kind: 'SUBMIT', venue: 'v1' });
    tracker.apply(1, { kind: 'FILL', fill: fill(1, 400, 6_000_001, { tradeId: 'T9', fee: '0.12', liquidity: 'MAKER' }) });
    const e = events.at(-1)!;
    expect(e).toMatchObject({
      orderId: 1,
      clientOrderId: 'a1',
      strategy: 'alpha',
      symbol: 'BTC-USDT',
      side: 'BUY',
      venue: 'v1',
      filledQty: '0.00400',
      reason: null,
      fill: { tradeId: 'T9', price: '60000.01', qty: '0.00400', fee: '0.12', liquidity: 'MAKER' },
    });
    expect(events[0]!.fill).toBeUndefined();
  });

  it('knows every applied trade of an order: the first one kept alone, a set from the second (duplicates of either ignored)', () => {
    const { tracker, create } = setup();
    const order = create(1, 'a1', { qtyLots: 100 });
    tracker.apply(1, { kind: 'SUBMIT', venue: 'v1' });
    const t1 = fill(1, 10, 5);
    const t2 = fill(1, 20, 5, { tradeId: 'T2' });
    expect(tracker.apply(1, { kind: 'FILL', fill: t1 })!.toResult().outcome).toBe('APPLIED');
    expect(typeof tracker.store.tradeIds[order.slot]).toBe('string'); // one fill: no set made
    expect(tracker.apply(1, { kind: 'FILL', fill: t1 })!.toResult()).toMatchObject({ outcome: 'IGNORED', code: 'DUPLICATE_FILL' });
    expect(tracker.apply(1, { kind: 'FILL', fill: t2 })!.toResult().outcome).toBe('APPLIED');
    expect(tracker.apply(1, { kind: 'FILL', fill: t1 })!.toResult()).toMatchObject({ outcome: 'IGNORED', code: 'DUPLICATE_FILL' });
    expect(tracker.apply(1, { kind: 'FILL', fill: t2 })!.toResult()).toMatchObject({ outcome: 'IGNORED', code: 'DUPLICATE_FILL' });
    // the same trade id at another venue is another trade
    expect(tracker.apply(1, { kind: 'FILL', fill: { ...t1, venue: 'v2' } })!.toResult().outcome).toBe('APPLIED');
    expect(order.filledLots).toBe(40);
    expect(order.tradeIds.size).toBe(3);
  });

  it('reports refused and duplicate updates to listeners, never throws, and counts no transition for them', () => {
    const { tracker, events, anomalies, create } = setup();
    const order = create(1, 'a1', { qtyLots: 100 });
    // a fill before the order was even sent
    expect(() => tracker.apply(1, { kind: 'FILL', fill: fill(1, 10, 1) })).not.toThrow();
    expect(tracker.apply(1, { kind: 'ACCEPT' })!.toResult()).toMatchObject({ outcome: 'ERROR', code: 'INVALID_TRANSITION', from: 'CREATED' });
    tracker.apply(1, { kind: 'SUBMIT', venue: 'v1' });
    const f = fill(1, 60, 5);
    tracker.apply(1, { kind: 'FILL', fill: f });
    // the same trade again, and an overfill
    expect(tracker.apply(1, { kind: 'FILL', fill: f })!.toResult()).toMatchObject({ outcome: 'IGNORED', code: 'DUPLICATE_FILL' });
    expect(tracker.apply(1, { kind: 'FILL', fill: fill(1, 41, 5) })!.toResult()).toMatchObject({ outcome: 'ERROR', code: 'OVERFILL' });
    expect(tracker.apply(1, { kind: 'DENY', reason: 'NO_ROUTE' })!.toResult()).toMatchObject({ outcome: 'ERROR', code: 'INVALID_TRANSITION' });
    expect(anomalies.map((a) => [a.update.kind, a.result.outcome, a.result.outcome === 'APPLIED' ? '' : a.result.code])).toEqual([
      ['FILL', 'ERROR', 'INVALID_TRANSITION'],
      ['ACCEPT', 'ERROR', 'INVALID_TRANSITION'],
      ['FILL', 'IGNORED', 'DUPLICATE_FILL'],
      ['FILL', 'ERROR', 'OVERFILL'],
      ['DENY', 'ERROR', 'INVALID_TRANSITION'],
    ]);
    expect(anomalies.every((a) => a.id === 1)).toBe(true);
    // nothing changed by the refused updates
    expect(order).toMatchObject({ state: 'PARTIALLY_FILLED', filledLots: 60 });
    expect(events.map((e) => e.event)).toEqual(['SUBMIT', 'PARTIAL_FILL']);
    expect(tracker.lastSeq).toBe(2);
    // a benign late report (ack after the fill) is an IGNORE: an anomaly for the counters, no transition
    expect(tracker.apply(1, { kind: 'ACCEPT', venueOrderId: 'late' })!.outcome).toBe('IGNORED');
    expect(anomalies.at(-1)!.result.outcome).toBe('IGNORED');
    expect(order.venueOrderId).toBe('late');
    expect(events).toHaveLength(2);
  });

  it('returns undefined for an unknown order, and a listener without onAnomaly or onTransition is fine', () => {
    const store = testStore({ venues: VENUES });
    const tracker = new OrderTracker(store, new ManualClock(), { retainFinished: 10 });
    tracker.listen({ onTransition: () => undefined });
    tracker.listen({});
    expect(tracker.apply(99, { kind: 'ACCEPT' })).toBeUndefined();
    tracker.create(1, newOrderFields(store));
    expect(() => tracker.apply(1, { kind: 'EXPIRE' })).not.toThrow();
    expect(() => tracker.apply(1, { kind: 'SUBMIT', venue: 'v' })).not.toThrow();
    expect(() => new OrderTracker(store, new ManualClock(), { retainFinished: 0 })).toThrow(RangeError);
  });

  it('calls listeners in registration order with the order view, the update and the transition', () => {
    const { tracker, create } = setup();
    const calls: string[] = [];
    const mk = (name: string): TrackerListener => ({
      onTransition: (o, u, t) => calls.push(`${name}:${o.id}:${tracker.lastSeq}:${u.kind}:${t.from}>${t.to}`),
    });
    tracker.listen(mk('a'));
    tracker.listen(mk('b'));
    create(7, 'c7');
    tracker.apply(7, { kind: 'SUBMIT', venue: 'v' });
    expect(calls).toEqual(['a:7:1:SUBMIT:CREATED>SUBMITTED', 'b:7:1:SUBMIT:CREATED>SUBMITTED']);
  });

  it('a listener may apply another update through the tracker: later listeners still see their own order', () => {
    const { tracker, create } = setup();
    create(1, 'c1');
    create(2, 'c2');
    tracker.apply(2, { kind: 'SUBMIT', venue: 'v2' });
    const seen: string[] = [];
    tracker.listen({
      onTransition: (o, u, t) => {
        seen.push(`first:${o.id}:${u.kind}:${t.event}:${t.from}>${t.to}`);
        // e.g. the crossing book reacting to order 1's SUBMIT by filling order 2 against it
        if (o.id === 1) tracker.apply(2, { kind: 'CANCELED' });
      },
    });
    tracker.listen({ onTransition: (o, u, t) => seen.push(`second:${o.id}:${u.kind}:${t.event}:${t.from}>${t.to}:seq${tracker.describe(o, u, t).seq}`) });
    const t = tracker.apply(1, { kind: 'SUBMIT', venue: 'v1' })!;
    expect(seen).toEqual([
      'first:1:SUBMIT:SUBMIT:CREATED>SUBMITTED',
      'first:2:CANCELED:CANCELED:SUBMITTED>CANCELED',
      'second:2:CANCELED:CANCELED:SUBMITTED>CANCELED:seq3',
      'second:1:SUBMIT:SUBMIT:CREATED>SUBMITTED:seq2',
    ]);
    // the caller gets the outcome of its own update
    expect(t.toResult()).toEqual({ outcome: 'APPLIED', event: 'SUBMIT', from: 'CREATED', to: 'SUBMITTED' });
    expect([tracker.get(1)!.state, tracker.get(2)!.state]).toEqual(['SUBMITTED', 'CANCELED']);
    expect(tracker.lastSeq).toBe(3);
  });

  it('counts open orders', () => {
    const { tracker, create } = setup();
    create(1, 'a1');
    create(2, 'a2');
    create(3, 'a3');
    expect(tracker.open).toBe(3);
    tracker.apply(1, { kind: 'DENY', reason: 'RISK_MAX_NOTIONAL' });
    tracker.apply(2, { kind: 'SUBMIT', venue: 'v' });
    tracker.apply(2, { kind: 'REJECT', reason: 'no' });
    tracker.apply(2, { kind: 'REJECT', reason: 'no' }); // duplicate: no double count
    expect(tracker.open).toBe(1);
    expect(tracker.list(true).map((o) => o.id)).toEqual([3]);
    expect(tracker.list(false).map((o) => o.id)).toEqual([1, 2, 3]);
    expect(tracker.get(1)).toMatchObject({ state: 'DENIED', reason: 'RISK_MAX_NOTIONAL', venue: undefined });
    expect(tracker.get(2)).toMatchObject({ state: 'REJECTED', reason: 'no', venue: 'v' });
  });

  it('list() returns orders in id order whatever their slots, each as its own view', () => {
    const { tracker, create } = setup(2);
    for (let id = 1; id <= 4; id++) create(id, undefined);
    for (const id of [1, 2, 3]) tracker.apply(id, { kind: 'DENY', reason: 'NO_ROUTE' });
    // order 1 was forgotten: its slot is reused by order 5
    create(5, undefined);
    const all = tracker.list(false);
    expect(all.map((o) => o.id)).toEqual([2, 3, 4, 5]);
    expect(new Set(all).size).toBe(4);
    expect(new Set(all.map((o) => o.slot)).size).toBe(4);
  });
});

describe('OrderTracker client order ids and retention', () => {
  it('indexes orders by client order id and refuses a duplicate', () => {
    const { tracker, create } = setup();
    const o = create(1, 'Abc1');
    expect(tracker.hasClientOrderId('Abc1')).toBe(true);
    expect(tracker.hasClientOrderId('abc1')).toBe(false); // case matters, as at the venues
    expect(tracker.getByClientOrderId('Abc1')!.slot).toBe(o.slot);
    expect(tracker.slotOfClientOrderId('Abc1')).toBe(o.slot);
    expect(tracker.getByClientOrderId('nope')).toBeUndefined();
    expect(tracker.get(1)).toMatchObject({ slot: o.slot, id: 1, clientOrderId: 'Abc1' });
    expect(() => create(2, 'Abc1')).toThrow(RangeError);
    expect(tracker.get(2)).toBeUndefined();
    expect(tracker.open).toBe(1);
  });

  it('finds daemon-made client order ids (prefix + id in base 36) without indexing them', () => {
    const { tracker, create } = setup();
    const a = create(1, undefined);
    const b = create(36, undefined);
    expect([a.clientOrderId, b.clientOrderId]).toEqual(['tst1', 'tst10']);
    expect(tracker.getByClientOrderId('tst1')!.id).toBe(1);
    expect(tracker.getByClientOrderId('tst10')!.id).toBe(36);
    expect(tracker.hasClientOrderId('tst10')).toBe(true);
    for (const unknown of ['tst', 'tst2', 'tstz', 'tst01', 'TST1', 'xst1', 'tst1 ']) {
      expect({ unknown, found: tracker.hasClientOrderId(unknown) }).toEqual({ unknown, found: false });
    }
    // a producer's own id that looks generated is refused while the generated one is in use...
    expect(() => create(3, 'tst1')).toThrow(RangeError);
    // ...and an order with its own client order id is not found under the generated form of its id
    create(5, 'given5');
    expect(tracker.getByClientOrderId('tst5')).toBeUndefined();
    expect(tracker.getByClientOrderId('given5')!.id).toBe(5);
  });

  it('keeps the last `retainFinished` finished orders and forgets older ones, with their client order ids', () => {
    const { tracker, create } = setup(3);
    for (let id = 1; id <= 6; id++) create(id, `c${id}`);
    // finish 1..5 in order; 6 stays open
    for (let id = 1; id <= 5; id++) tracker.apply(id, { kind: 'DENY', reason: 'NO_ROUTE' });
    expect(tracker.list(false).map((o) => o.id)).toEqual([3, 4, 5, 6]);
    for (const id of [1, 2]) {
      expect(tracker.get(id)).toBeUndefined();
      expect(tracker.getByClientOrderId(`c${id}`)).toBeUndefined();
      expect(tracker.hasClientOrderId(`c${id}`)).toBe(false);
    }
    expect(tracker.getByClientOrderId('c3')!.id).toBe(3);
    // a late report for a forgotten order is "unknown" (undefined), never a crash
    expect(tracker.apply(1, { kind: 'CANCELED' })).toBeUndefined();
    // its client order id may be used again
    expect(create(7, 'c1').state).toBe('CREATED');
  });

  it('a rejection corrected by the venue reopens the order: counted open, never forgotten while open, retired once', () => {
    const { tracker, create, store } = setup(2);
    create(1, 'late1');
    tracker.apply(1, { kind: 'SUBMIT', venue: 'v' });
    tracker.apply(1, { kind: 'REJECT', reason: 'VENUE_TIMEOUT: not found after the validity window' });
    expect(tracker.open).toBe(0);
    // the venue shows it after all
    expect(tracker.apply(1, { kind: 'ACCEPT', venueOrderId: 'V1' })!.outcome).toBe('APPLIED');
    expect(tracker.open).toBe(1);
    expect(tracker.list(true).map((o) => o.id)).toEqual([1]);
    // its retention-ring entry comes up for eviction while it is open: it stays
    for (let id = 2; id <= 6; id++) {
      create(id, `c${id}`);
      tracker.apply(id, { kind: 'DENY', reason: 'NO_ROUTE' });
    }
    expect(tracker.get(1)!.state).toBe('ACCEPTED');
    expect(tracker.getByClientOrderId('late1')!.id).toBe(1);
    expect(tracker.apply(1, { kind: 'FILL', fill: fill(1, tracker.get(1)!.qtyLots, 6_000_000) })!.outcome).toBe('APPLIED');
    expect(tracker.get(1)!.state).toBe('FILLED');
    expect(tracker.open).toBe(0);
    // finished again: retained like any finished order, then forgotten exactly once (its slot reused once)
    expect(tracker.list(false).map((o) => o.id)).toEqual([1, 6]);
    for (let id = 7; id <= 9; id++) {
      create(id, `c${id}`);
      tracker.apply(id, { kind: 'DENY', reason: 'NO_ROUTE' });
    }
    expect(tracker.get(1)).toBeUndefined();
    expect(tracker.list(false).map((o) => o.id)).toEqual([8, 9]);
    const slots = new Set<number>();
    for (let id = 10; id <= 14; id++) slots.add(tracker.create(id, newOrderFields(store, { clientOrderId: `d${id}` })));
    expect(slots.size).toBe(5);
  });

  it('a rejection corrected before its retention entry is evicted is not retained twice', () => {
    const { tracker, create, store } = setup(3);
    create(1, 'late1');
    tracker.apply(1, { kind: 'SUBMIT', venue: 'v' });
    tracker.apply(1, { kind: 'REJECT', reason: 'VENUE_TIMEOUT' });
    tracker.apply(1, { kind: 'FILL', fill: fill(1, 4, 6_000_000) }); // fill overtook the ack: PARTIALLY_FILLED
    expect(tracker.get(1)!.state).toBe('PARTIALLY_FILLED');
    tracker.apply(1, { kind: 'CANCELED' });
    for (let id = 2; id <= 8; id++) {
      create(id, `c${id}`);
      tracker.apply(id, { kind: 'DENY', reason: 'NO_ROUTE' });
    }
    expect(tracker.list(false).map((o) => o.id)).toEqual([6, 7, 8]);
    // every slot freed once: new orders get distinct slots
    const slots = new Set<number>();
    for (let id = 9; id <= 16; id++) slots.add(tracker.create(id, newOrderFields(store, { clientOrderId: `d${id}` })));
    expect(slots.size).toBe(8);
  });

  it('never forgets an open order, however many others finish', () => {
    const { tracker, create } = setup(2);
    create(1, 'open1');
    tracker.apply(1, { kind: 'SUBMIT', venue: 'v' });
    for (let id = 2; id <= 50; id++) {
      create(id, `c${id}`);
      tracker.apply(id, { kind: 'DENY', reason: 'NO_ROUTE' });
    }
    expect(tracker.get(1)!.state).toBe('SUBMITTED');
    expect(tracker.list(false).map((o) => o.id)).toEqual([1, 49, 50]);
    expect(tracker.open).toBe(1);
  });

  it('retention stays bounded over many orders: slots are reused, the store does not grow', () => {
    const store = testStore({ venues: VENUES, capacity: 64 });
    const { tracker, create } = setup(10, store);
    for (let id = 1; id <= 9_000; id++) {
      create(id, `c${id}`);
      tracker.apply(id, { kind: 'DENY', reason: 'NO_ROUTE' });
    }
    expect(tracker.list(false)).toHaveLength(10);
    expect(tracker.list(false)[0]!.id).toBe(8_991);
    expect(tracker.lastSeq).toBe(9_000);
    expect(store.size).toBe(10);
    expect(store.capacity).toBe(64);
  });

  it('a late fill on a retained canceled order is applied (the fill raced the cancel)', () => {
    const { tracker, events, create } = setup(5);
    create(1, 'c1', { qtyLots: 100 });
    tracker.apply(1, { kind: 'SUBMIT', venue: 'v' });
    tracker.apply(1, { kind: 'CANCEL_REQUEST' });
    tracker.apply(1, { kind: 'CANCELED' });
    tracker.apply(1, { kind: 'FILL', fill: fill(1, 30, 10) });
    expect(tracker.get(1)).toMatchObject({ state: 'CANCELED', filledLots: 30 });
    expect(events.at(-1)).toMatchObject({ event: 'PARTIAL_FILL', from: 'CANCELED', state: 'CANCELED', filledQty: '0.00030' });
    expect(tracker.open).toBe(0);
  });
});

describe('OrderStore', () => {
  it('refuses a client id prefix its derived client order ids could not carry, and derives them from the order id', () => {
    expect(() => testStore({ prefix: 'sy-1' })).toThrow(RangeError);
    expect(() => testStore({ prefix: 'x'.repeat(32) })).toThrow(RangeError);
    const store = testStore({ prefix: 'sy1' });
    const slot = store.create(71, newOrderFields(store, { strategy: 'alpha', symbol: 'ETH-USDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', priceTicks: 1, qtyLots: 1 }));
    expect(store.clientOrderId(slot)).toBe('sy11z');
  });

  it('a view shows the order fields and follows the lifecycle, without copying', () => {
    const store = testStore();
    const f = newOrderFields(store, {
      strategy: 'beta', symbol: 'ETH-USDT', side: 'SELL', type: 'STOP_LIMIT', timeInForce: 'IOC', priceTicks: 60_000,
      stopTicks: 59_000, qtyLots: 7, priority: 'HIGH', venue: 'v2', clientOrderId: 'mine1', producerSeq: 12, tag: 99,
    });
    const slot = store.create(42, f);
    store.createdAt[slot] = 1234; // the caller (the tracker) stamps the times
    store.updatedAt[slot] = 1234;
    f.qtyLots = 1; // the store copied the fields
    const v = new OrderView(store).at(slot);
    expect(v).toMatchObject({
      id: 42, strategy: 'beta', strategyIndex: 1, symbol: 'ETH-USDT', symbolIndex: 1, side: 'SELL', type: 'STOP_LIMIT',
      timeInForce: 'IOC', postOnly: false, priority: 'HIGH', priceTicks: 60_000, stopTicks: 59_000, qtyLots: 7,
      clientOrderId: 'mine1', createdAt: 1234, updatedAt: 1234, state: 'CREATED', venue: 'v2', venueIndex: 1,
      filledLots: 0, triggered: false, stateBeforeCancel: undefined, reason: undefined, producerSeq: 12, tag: 99,
    });
    v.reason = 'RISK_MAX_NOTIONAL';
    expect(store.reason(slot)).toBe('RISK_MAX_NOTIONAL');
    v.reason = 'free text from a venue';
    expect(new OrderView(store).at(slot).reason).toBe('free text from a venue');
    v.venue = 'not-a-venue';
    expect(v.venue).toBeUndefined();
  });

  it('grows by doubling when full, keeping every order and its id index', () => {
    const store = testStore({ capacity: 16 });
    const slots: number[] = [];
    for (let id = 1; id <= 100; id++) slots.push(store.create(id * 1000, newOrderFields(store, { qtyLots: id })));
    expect(store.capacity).toBe(128);
    expect(store.size).toBe(100);
    for (let id = 1; id <= 100; id++) {
      const slot = store.slotOf(id * 1000);
      expect(slot).toBe(slots[id - 1]);
      expect(store.qtyLots[slot]).toBe(id);
    }
    expect(store.slotOf(5)).toBe(-1);
  });

  it('a released slot is reused and its old id is gone', () => {
    const store = testStore({ capacity: 16 });
    const a = store.create(1, newOrderFields(store, { clientOrderId: 'x1' }));
    store.create(2, newOrderFields(store));
    store.release(a);
    expect(store.slotOf(1)).toBe(-1);
    expect(store.size).toBe(1);
    const c = store.create(3, newOrderFields(store));
    expect(c).toBe(a);
    expect(store.clientOrderId(c)).toBe('tst3'); // nothing left over from the order that had the slot
  });
});

describe('ReportHandler', () => {
  it('turns venue reports into lifecycle updates and reports unknown orders', () => {
    const { tracker, clock, create } = setup();
    const unknown: [string, ExecutionReport][] = [];
    const reports = new ReportHandler(tracker, clock, (venue, r) => unknown.push([venue, r]));
    create(1, 'c1', { qtyLots: 100, type: 'STOP_LIMIT', stopTicks: 5 });
    tracker.apply(1, { kind: 'SUBMIT', venue: 'v1' });
    reports.report('v1', { kind: 'ACCEPTED', orderId: 1, venueOrderId: 'V-1' });
    reports.report('v1', { kind: 'TRIGGERED', orderId: 1 });
    reports.report('v1', { kind: 'FILL', orderId: 1, tradeId: 't1', priceTicks: 7, qtyLots: 40, fee: '0.01', feeCurrency: 'USDT', liquidity: 'TAKER', venueTs: 0 });
    reports.report('v1', { kind: 'CANCELED', orderId: 1, reason: 'self-trade prevention' });
    reports.report('v1', { kind: 'CANCEL_REJECTED', orderId: 1, reason: 'unknown order' });
    reports.report('v1', { kind: 'FILL', orderId: 42, tradeId: 't2', priceTicks: 7, qtyLots: 1, fee: '0', feeCurrency: 'USDT', liquidity: 'MAKER', venueTs: 0 });
    const o = tracker.get(1)!;
    expect(o).toMatchObject({ state: 'CANCELED', venueOrderId: 'V-1', filledLots: 40, filledNotional: 280, triggered: true, reason: 'self-trade prevention' });
    expect(unknown).toEqual([['v1', { kind: 'FILL', orderId: 42, tradeId: 't2', priceTicks: 7, qtyLots: 1, fee: '0', feeCurrency: 'USDT', liquidity: 'MAKER', venueTs: 0 }]]);
  });

  it('maps REJECTED and EXPIRED with their reasons', () => {
    const { tracker, clock, create } = setup();
    const reports = new ReportHandler(tracker, clock, () => undefined);
    create(1, 'c1');
    create(2, 'c2');
    tracker.apply(1, { kind: 'SUBMIT', venue: 'v1' });
    tracker.apply(2, { kind: 'SUBMIT', venue: 'v1' });
    reports.report('v1', { kind: 'REJECTED', orderId: 1, reason: 'post-only order would cross' });
    reports.report('v1', { kind: 'EXPIRED', orderId: 2, reason: 'IOC' });
    expect(tracker.get(1)).toMatchObject({ state: 'REJECTED', reason: 'post-only order would cross' });
    expect(tracker.get(2)).toMatchObject({ state: 'EXPIRED', reason: 'IOC' });
  });
});

describe('OrderTracker listener isolation', () => {
  it('a throwing listener stops neither the update nor the listeners after it; each throw is counted and reported by name', () => {
    const store = testStore({ venues: VENUES });
    const reported: [string, string, number, number][] = [];
    const tracker = new OrderTracker(store, new ManualClock(1_700_000_000_000), {
      retainFinished: 1000,
      onListenerError: (listener, err, orderId, count) => reported.push([listener, (err as Error).message, orderId, count]),
    });
    const seen = { before: [] as string[], after: [] as string[], stream: [] as string[] };
    const note = (into: string[]): TrackerListener => ({
      onCreate: (o) => into.push(`create ${o.id}`),
      onTransition: (o, _u, t) => into.push(`${t.event} ${o.id} ${t.to}`),
      onAnomaly: (o, u) => into.push(`anomaly ${o.id} ${u.kind}`),
    });
    tracker.listen(note(seen.before), 'journal');
    // a risk listener with a bug: it throws on every call
    tracker.listen({
      onCreate: () => { throw new Error('create bug'); },
      onTransition: () => { throw new Error('transition bug'); },
      onAnomaly: () => { throw new Error('anomaly bug'); },
    }, 'risk');
    tracker.listen(note(seen.after), 'metrics');
    tracker.listen(note(seen.stream));
    const slot = tracker.create(1, newOrderFields(store, { clientOrderId: 'iso1' }));
    expect(store.id[slot]).toBe(1);
    tracker.apply(1, { kind: 'SUBMIT', venue: 'v1' });
    tracker.apply(1, { kind: 'ACCEPT', venueOrderId: 'x1' });
    tracker.apply(1, { kind: 'SUBMIT', venue: 'v1' }); // refused by the lifecycle: an anomaly
    tracker.apply(1, { kind: 'FILL', fill: fill(1, 1000, 6_000_000) });
    const expected = ['create 1', 'SUBMIT 1 SUBMITTED', 'ACCEPT 1 ACCEPTED', 'anomaly 1 SUBMIT', 'FILL 1 FILLED'];
    expect(seen.before).toEqual(expected);
    expect(seen.after).toEqual(expected);
    expect(seen.stream).toEqual(expected);
    // the tracker itself went on: state, sequence and open count are those of the updates applied
    expect(tracker.get(1)!.state).toBe('FILLED');
    expect(tracker.lastSeq).toBe(3);
    expect(tracker.open).toBe(0);
    expect(reported).toEqual([
      ['risk', 'create bug', 1, 1],
      ['risk', 'transition bug', 1, 2],
      ['risk', 'transition bug', 1, 3],
      ['risk', 'anomaly bug', 1, 4],
      ['risk', 'transition bug', 1, 5],
    ]);
    expect(tracker.listenerErrors()).toEqual([
      { listener: 'journal', errors: 0 },
      { listener: 'risk', errors: 5 },
      { listener: 'metrics', errors: 0 },
      { listener: 'anonymous', errors: 0 },
    ]);
  });

  it('a listener that throws while applying a nested update does not break the outer update', () => {
    const store = testStore({ venues: VENUES });
    const tracker = new OrderTracker(store, new ManualClock(1_700_000_000_000), { retainFinished: 1000 });
    const outer: string[] = [];
    // On SUBMIT, a listener applies the ACCEPT (nested); a later listener throws on every transition.
    tracker.listen({ onTransition: (o, u) => { if (u.kind === 'SUBMIT') tracker.apply(o.id, { kind: 'ACCEPT', venueOrderId: 'n1' }); } }, 'nested');
    tracker.listen({ onTransition: () => { throw new Error('bug'); } }, 'broken');
    tracker.listen({ onTransition: (o, _u, t) => outer.push(`${t.event} ${o.state}`) }, 'last');
    tracker.create(1, newOrderFields(store, {}));
    tracker.apply(1, { kind: 'SUBMIT', venue: 'v1' });
    expect(outer).toEqual(['ACCEPT ACCEPTED', 'SUBMIT ACCEPTED']);
    expect(tracker.get(1)!.state).toBe('ACCEPTED');
    expect(tracker.listenerErrors().find((l) => l.listener === 'broken')?.errors).toBe(2);
  });

  it('many listener classes, each with some of the hooks: each hook reaches exactly its listeners, in order, and a throw is counted against the listener that threw', () => {
    const store = testStore({ venues: VENUES });
    const reported: string[] = [];
    const tracker = new OrderTracker(store, new ManualClock(1_700_000_000_000), {
      retainFinished: 1000,
      onListenerError: (listener, err) => reported.push(`${listener}: ${(err as Error).message}`),
    });
    const seen: string[] = [];
    // the daemon's tracker has more listener classes than V8 keeps a call site polymorphic for (4): here 7
    class Transitions { onTransition(_o: OrderView, _u: OrderUpdate, t: { to: string }): void { seen.push(`transitions ${t.to}`); } }
    class Creates { onCreate(o: OrderView): void { seen.push(`creates ${o.id}`); } }
    class Anomalies { onAnomaly(_o: OrderView, u: OrderUpdate): void { seen.push(`anomalies ${u.kind}`); } }
    class Broken {
      onTransition(): void { throw new Error('transition bug'); }
      onAnomaly(): void { throw new Error('anomaly bug'); }
    }
    class Nothing {}
    class All {
      constructor(private readonly tag: string) {}
      onCreate(o: OrderView): void { seen.push(`${this.tag} create ${o.id}`); }
      onTransition(_o: OrderView, _u: OrderUpdate, t: { to: string }): void { seen.push(`${this.tag} ${t.to}`); }
      onAnomaly(_o: OrderView, u: OrderUpdate): void { seen.push(`${this.tag} anomaly ${u.kind}`); }
    }
    tracker.listen(new Transitions(), 'transitions');
    tracker.listen(new Creates(), 'creates');
    tracker.listen(new Nothing(), 'nothing');
    tracker.listen(new Broken(), 'broken');
    tracker.listen(new Anomalies(), 'anomalies');
    tracker.listen(new All('all'), 'all');
    tracker.listen({ onTransition: (_o, _u, t) => seen.push(`literal ${t.to}`) }, 'literal');
    tracker.create(1, newOrderFields(store));
    tracker.apply(1, { kind: 'SUBMIT', venue: 'v1' });
    tracker.apply(1, { kind: 'SUBMIT', venue: 'v1' }); // refused: an anomaly
    expect(seen).toEqual([
      'creates 1', 'all create 1',
      'transitions SUBMITTED', 'all SUBMITTED', 'literal SUBMITTED',
      'anomalies SUBMIT', 'all anomaly SUBMIT',
    ]);
    expect(reported).toEqual(['broken: transition bug', 'broken: anomaly bug']);
    expect(tracker.listenerErrors()).toEqual([
      { listener: 'transitions', errors: 0 },
      { listener: 'creates', errors: 0 },
      { listener: 'nothing', errors: 0 },
      { listener: 'broken', errors: 2 },
      { listener: 'anomalies', errors: 0 },
      { listener: 'all', errors: 0 },
      { listener: 'literal', errors: 0 },
    ]);
  });
});

describe('amend: a cancel-replace rebinds the client order id', () => {
  it('the new id finds the order, the replaced given id no longer does; the slot forgotten later frees both', () => {
    const store = testStore({ capacity: 16 });
    const tracker = new OrderTracker(store, new ManualClock(), { retainFinished: 1 });
    const slot = tracker.create(1, newOrderFields(store, { clientOrderId: 'given1', priceTicks: 100, qtyLots: 10 }));
    tracker.applySlot(slot, { kind: 'SUBMIT', venue: store.venueNames[0]! });
    tracker.applySlot(slot, { kind: 'ACCEPT', venueOrderId: 'V1' });
    tracker.applySlot(slot, { kind: 'AMEND_REQUEST', priceTicks: 101, qtyLots: 10, clientOrderId: 'tstR0' });
    expect(tracker.getByClientOrderId('given1')?.id).toBe(1); // still bound to it while pending
    tracker.applySlot(slot, { kind: 'AMENDED', priceTicks: 101, qtyLots: 10, clientOrderId: 'tstR0', venueOrderId: 'V2' });
    expect(tracker.getByClientOrderId('tstR0')?.id).toBe(1);
    expect(tracker.getByClientOrderId('given1')).toBeUndefined();
    expect(tracker.hasClientOrderId('given1')).toBe(false);
    expect(tracker.get(1)).toMatchObject({ clientOrderId: 'tstR0', venueOrderId: 'V2', priceTicks: 101 });
    tracker.applySlot(slot, { kind: 'CANCELED' });
    // forgotten (retainFinished 1) once another order finishes: no client id entry left behind
    const other = tracker.create(2, newOrderFields(store, { priceTicks: 100, qtyLots: 10 }));
    tracker.applySlot(other, { kind: 'CANCEL_REQUEST' });
    expect(tracker.getByClientOrderId('tstR0')).toBeUndefined();
    expect(tracker.structureSizes().clientIds).toBe(0);
  });

  it('an order rebound to the id another held order has keeps it when that other order is forgotten', () => {
    const store = testStore({ capacity: 16 });
    const tracker = new OrderTracker(store, new ManualClock(), { retainFinished: 1 });
    const a = tracker.create(1, newOrderFields(store, { clientOrderId: 'same1', priceTicks: 100, qtyLots: 10 }));
    const b = tracker.create(2, newOrderFields(store, { clientOrderId: 'given2', priceTicks: 100, qtyLots: 10 }));
    tracker.applySlot(b, { kind: 'SUBMIT', venue: store.venueNames[0]! });
    tracker.applySlot(b, { kind: 'ACCEPT', venueOrderId: 'V2' });
    tracker.applySlot(b, { kind: 'AMEND_REQUEST', priceTicks: 101, qtyLots: 10, clientOrderId: 'same1' });
    tracker.applySlot(b, { kind: 'AMENDED', priceTicks: 101, qtyLots: 10, clientOrderId: 'same1', venueOrderId: 'V3' });
    expect(tracker.getByClientOrderId('same1')?.id).toBe(2); // the id names the order it was last bound to
    // order 1 finishes, then another, so that order 1 is forgotten (retainFinished 1)
    tracker.applySlot(a, { kind: 'CANCEL_REQUEST' });
    const c = tracker.create(3, newOrderFields(store, { priceTicks: 100, qtyLots: 10 }));
    tracker.applySlot(c, { kind: 'CANCEL_REQUEST' });
    expect(tracker.get(1)).toBeUndefined();
    expect(tracker.getByClientOrderId('same1')?.id).toBe(2);
    expect(tracker.hasClientOrderId('same1')).toBe(true);
  });
});

describe('a tracker without the client order id index (clientOrderIdIndex: false: journal replays)', () => {
  it('creates, amends and forgets orders by order id, keeps no index, and refuses lookups by client order id', () => {
    const store = testStore({ capacity: 16 });
    const tracker = new OrderTracker(store, new ManualClock(), { retainFinished: 1, clientOrderIdIndex: false });
    // two orders recorded with the same client order id (the daemon refused the second at intake; a replay just applies)
    const a = tracker.create(1, newOrderFields(store, { clientOrderId: 'given1', priceTicks: 100, qtyLots: 10 }));
    const b = tracker.create(2, newOrderFields(store, { clientOrderId: 'given1', priceTicks: 100, qtyLots: 10 }));
    expect(tracker.get(1)?.clientOrderId).toBe('given1');
    expect(tracker.get(2)?.clientOrderId).toBe('given1');
    tracker.applySlot(a, { kind: 'SUBMIT', venue: store.venueNames[0]! });
    tracker.applySlot(a, { kind: 'ACCEPT', venueOrderId: 'V1' });
    tracker.applySlot(a, { kind: 'AMEND_REQUEST', priceTicks: 101, qtyLots: 10, clientOrderId: 'tstR0' });
    tracker.applySlot(a, { kind: 'AMENDED', priceTicks: 101, qtyLots: 10, clientOrderId: 'tstR0', venueOrderId: 'V2' });
    expect(tracker.get(1)).toMatchObject({ clientOrderId: 'tstR0', venueOrderId: 'V2', priceTicks: 101 });
    expect(tracker.structureSizes().clientIds).toBe(0);
    for (const lookup of [() => tracker.hasClientOrderId('given1'), () => tracker.getByClientOrderId('tstR0'), () => tracker.slotOfClientOrderId('given1')]) {
      expect(lookup).toThrow(/no client order id index/);
    }
    // finished orders are forgotten as usual (retainFinished 1): their slots come back
    tracker.applySlot(a, { kind: 'CANCELED' });
    tracker.applySlot(b, { kind: 'CANCEL_REQUEST' });
    expect(tracker.get(1)).toBeUndefined();
    expect(tracker.get(2)?.state).toBe('CANCELED');
    expect(tracker.structureSizes().held).toBe(1);
  });
});

describe('OrderTracker fill-only listeners', () => {
  it('a listener marked fillsOnly hears the applied fills alone, in its place among the others', () => {
    const store = testStore({ venues: VENUES });
    const tracker = new OrderTracker(store, new ManualClock(), { retainFinished: 100 });
    const heard: string[] = [];
    tracker.listen({ onTransition: (_o, u) => heard.push(`a:${u.kind}`) });
    tracker.listen({ fillsOnly: true, onTransition: (_o, u) => heard.push(`fills:${u.kind}`) } as TrackerListener);
    tracker.listen({ onTransition: (_o, u) => heard.push(`b:${u.kind}`) });
    tracker.create(1, newOrderFields(store, { qtyLots: 10 }));
    tracker.apply(1, { kind: 'SUBMIT', venue: VENUES[0]! });
    tracker.apply(1, { kind: 'ACCEPT', venueOrderId: 'x' });
    tracker.apply(1, { kind: 'FILL', fill: fill(1, 4, 6_000_000) });
    tracker.apply(1, { kind: 'CANCELED' });
    expect(heard).toEqual(['a:SUBMIT', 'b:SUBMIT', 'a:ACCEPT', 'b:ACCEPT', 'a:FILL', 'fills:FILL', 'b:FILL', 'a:CANCELED', 'b:CANCELED']);
  });
});
