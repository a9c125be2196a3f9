import { describe, expect, it } from 'vitest';
import { OrderTracker, type TrackerListener } from '../../src/execution/order-tracker.js';
import { ReportHandler } from '../../src/execution/report-handler.js';
import type { ExecutionReport } from '../../src/execution/venue.js';
import { ManualClock } from '../../src/model/clock.js';
import type { OrderEvent } from '../../src/model/events.js';
import type { OrderUpdate, TransitionResult } from '../../src/model/lifecycle.js';
import type { Order } from '../../src/model/order.js';
import { fill, intent, testInstruments } from '../helpers/model.js';

const instruments = testInstruments();

function setup(retainFinished = 1000) {
  const clock = new ManualClock(1_700_000_000_000);
  const tracker = new OrderTracker(instruments, clock, { retainFinished });
  const events: OrderEvent[] = [];
  const anomalies: { order: Order; update: OrderUpdate; result: TransitionResult }[] = [];
  tracker.listen({
    onEvent: (_order, event) => events.push(event),
    onAnomaly: (order, update, result) => anomalies.push({ order, update, result }),
  });
  return { clock, tracker, events, anomalies };
}

describe('OrderTracker events', () => {
  it('numbers events with consecutive sequence numbers across orders, starting at 1', () => {
    const { tracker, events, clock } = setup();
    expect(tracker.lastSeq).toBe(0);
    tracker.create(1, 'a1', intent());
    tracker.create(2, 'a2', intent({ side: 'SELL' }));
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

  it('shows decimals as text and fill details on fill events', () => {
    const { tracker, events } = setup();
    tracker.create(1, 'a1', intent());
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
      fill: { tradeId: 'T9', price: '60000.01', qty: '0.00400', fee: '0.12', liquidity: 'MAKER' },
    });
    expect(events[0]!.fill).toBeUndefined();
  });

  it('reports refused and duplicate updates to listeners, never throws, and publishes no event for them', () => {
    const { tracker, events, anomalies } = setup();
    const order = tracker.create(1, 'a1', intent({ qtyLots: 100 }));
    // a fill before the order was even sent
    expect(() => tracker.apply(1, { kind: 'FILL', fill: fill(1, 10, 1) })).not.toThrow();
    expect(tracker.apply(1, { kind: 'ACCEPT' })).toMatchObject({ outcome: 'ERROR', code: 'INVALID_TRANSITION', from: 'CREATED' });
    tracker.apply(1, { kind: 'SUBMIT', venue: 'v1' });
    const f = fill(1, 60, 5);
    tracker.apply(1, { kind: 'FILL', fill: f });
    // the same trade again, and an overfill
    expect(tracker.apply(1, { kind: 'FILL', fill: f })).toMatchObject({ outcome: 'IGNORED', code: 'DUPLICATE_FILL' });
    expect(tracker.apply(1, { kind: 'FILL', fill: fill(1, 41, 5) })).toMatchObject({ outcome: 'ERROR', code: 'OVERFILL' });
    expect(tracker.apply(1, { kind: 'DENY', reason: 'NO_ROUTE' })).toMatchObject({ outcome: 'ERROR', code: 'INVALID_TRANSITION' });
    expect(anomalies.map((a) => [a.update.kind, a.result.outcome, a.result.outcome === 'APPLIED' ? '' : a.result.code])).toEqual([
      ['FILL', 'ERROR', 'INVALID_TRANSITION'],
      ['ACCEPT', 'ERROR', 'INVALID_TRANSITION'],
      ['FILL', 'IGNORED', 'DUPLICATE_FILL'],
      ['FILL', 'ERROR', 'OVERFILL'],
      ['DENY', 'ERROR', 'INVALID_TRANSITION'],
    ]);
    expect(anomalies.every((a) => a.order === order)).toBe(true);
    // nothing changed by the refused updates
    expect(order).toMatchObject({ state: 'PARTIALLY_FILLED', filledLots: 60 });
    expect(events.map((e) => e.event)).toEqual(['SUBMIT', 'PARTIAL_FILL']);
    // a benign late report (ack after the fill) is an IGNORE: an anomaly for the counters, no event
    expect(tracker.apply(1, { kind: 'ACCEPT', venueOrderId: 'late' })).toMatchObject({ outcome: 'IGNORED' });
    expect(anomalies.at(-1)!.result.outcome).toBe('IGNORED');
    expect(order.venueOrderId).toBe('late');
    expect(events).toHaveLength(2);
  });

  it('returns undefined for an unknown order, and a listener without onAnomaly is fine', () => {
    const tracker = new OrderTracker(instruments, new ManualClock(), { retainFinished: 10 });
    tracker.listen({ onEvent: () => undefined });
    tracker.listen({});
    expect(tracker.apply(99, { kind: 'ACCEPT' })).toBeUndefined();
    tracker.create(1, 'a', intent());
    expect(() => tracker.apply(1, { kind: 'EXPIRE' })).not.toThrow();
  });

  it('calls listeners in registration order with the order, the event and the update', () => {
    const { tracker } = setup();
    const calls: string[] = [];
    const mk = (name: string): TrackerListener => ({ onEvent: (o, e, u) => calls.push(`${name}:${o.id}:${e.seq}:${u.kind}`) });
    tracker.listen(mk('a'));
    tracker.listen(mk('b'));
    tracker.create(7, 'c7', intent());
    tracker.apply(7, { kind: 'SUBMIT', venue: 'v' });
    expect(calls).toEqual(['a:7:1:SUBMIT', 'b:7:1:SUBMIT']);
  });

  it('counts open orders', () => {
    const { tracker } = setup();
    tracker.create(1, 'a1', intent());
    tracker.create(2, 'a2', intent());
    tracker.create(3, 'a3', intent());
    expect(tracker.open).toBe(3);
    tracker.apply(1, { kind: 'DENY', reason: 'RISK_MAX_NOTIONAL' });
    tracker.apply(2, { kind: 'SUBMIT', venue: 'v' });
    tracker.apply(2, { kind: 'REJECT', reason: 'no' });
    tracker.apply(2, { kind: 'REJECT', reason: 'no' }); // duplicate: no double count
    expect(tracker.open).toBe(1);
    expect(tracker.list(true).map((o) => o.id)).toEqual([3]);
    expect(tracker.list(false).map((o) => o.id)).toEqual([1, 2, 3]);
  });
});

describe('OrderTracker client order ids and retention', () => {
  it('indexes orders by client order id and refuses a duplicate', () => {
    const { tracker } = setup();
    const o = tracker.create(1, 'Abc1', intent());
    expect(tracker.hasClientOrderId('Abc1')).toBe(true);
    expect(tracker.hasClientOrderId('abc1')).toBe(false); // case matters, as at the venues
    expect(tracker.getByClientOrderId('Abc1')).toBe(o);
    expect(tracker.getByClientOrderId('nope')).toBeUndefined();
    expect(tracker.get(1)).toBe(o);
    expect(() => tracker.create(2, 'Abc1', intent())).toThrow(RangeError);
    expect(tracker.get(2)).toBeUndefined();
    expect(tracker.open).toBe(1);
  });

  it('keeps the last `retainFinished` finished orders and forgets older ones, with their client order ids', () => {
    const { tracker } = setup(3);
    for (let id = 1; id <= 6; id++) tracker.create(id, `c${id}`, intent());
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
  });

  it('never forgets an open order, however many others finish', () => {
    const { tracker } = setup(2);
    tracker.create(1, 'open1', intent());
    tracker.apply(1, { kind: 'SUBMIT', venue: 'v' });
    for (let id = 2; id <= 50; id++) {
      tracker.create(id, `c${id}`, intent());
      tracker.apply(id, { kind: 'DENY', reason: 'NO_ROUTE' });
    }
    expect(tracker.get(1)!.state).toBe('SUBMITTED');
    expect(tracker.list(false).map((o) => o.id)).toEqual([1, 49, 50]);
    expect(tracker.open).toBe(1);
  });

  it('retention stays bounded over many orders (the finished list is compacted)', () => {
    const { tracker } = setup(10);
    for (let id = 1; id <= 9_000; id++) {
      tracker.create(id, `c${id}`, intent());
      tracker.apply(id, { kind: 'DENY', reason: 'NO_ROUTE' });
    }
    expect(tracker.list(false)).toHaveLength(10);
    expect(tracker.list(false)[0]!.id).toBe(8_991);
    expect(tracker.lastSeq).toBe(9_000);
  });

  it('a late fill on a retained canceled order is applied (the fill raced the cancel)', () => {
    const { tracker, events } = setup(5);
    tracker.create(1, 'c1', intent({ qtyLots: 100 }));
    tracker.apply(1, { kind: 'SUBMIT', venue: 'v' });
    tracker.apply(1, { kind: 'CANCEL_REQUEST' });
    tracker.apply(1, { kind: 'CANCELED' });
    tracker.apply(1, { kind: 'FILL', fill: fill(1, 30, 10) });
    expect(tracker.get(1)).toMatchObject({ state: 'CANCELED', filledLots: 30 });
    expect(events.at(-1)).toMatchObject({ event: 'PARTIAL_FILL', from: 'CANCELED', state: 'CANCELED', filledQty: '0.00030' });
    expect(tracker.open).toBe(0);
  });
});

describe('ReportHandler', () => {
  it('turns venue reports into lifecycle updates and reports unknown orders', () => {
    const { tracker, clock } = setup();
    const unknown: [string, ExecutionReport][] = [];
    const reports = new ReportHandler(tracker, clock, (venue, r) => unknown.push([venue, r]));
    tracker.create(1, 'c1', intent({ qtyLots: 100, type: 'STOP_LIMIT', stopTicks: 5 }));
    tracker.apply(1, { kind: 'SUBMIT', venue: 'v1' });
    reports.report('v1', { kind: 'ACCEPTED', orderId: 1, venueOrderId: 'V-1' });
    reports.report('v1', { kind: 'TRIGGERED', orderId: 1 });
    reports.report('v1', { kind: 'FILL', orderId: 1, tradeId: 't1', priceTicks: 7, qtyLots: 40, fee: '0.01', liquidity: 'TAKER' });
    reports.report('v1', { kind: 'CANCELED', orderId: 1, reason: 'self-trade prevention' });
    reports.report('v1', { kind: 'CANCEL_REJECTED', orderId: 1, reason: 'unknown order' });
    reports.report('v1', { kind: 'FILL', orderId: 42, tradeId: 't2', priceTicks: 7, qtyLots: 1, fee: '0', liquidity: 'MAKER' });
    const o = tracker.get(1)!;
    expect(o).toMatchObject({ state: 'CANCELED', venueOrderId: 'V-1', filledLots: 40, filledNotional: 280, triggered: true, reason: 'self-trade prevention' });
    expect(unknown).toEqual([['v1', { kind: 'FILL', orderId: 42, tradeId: 't2', priceTicks: 7, qtyLots: 1, fee: '0', liquidity: 'MAKER' }]]);
  });

  it('maps REJECTED and EXPIRED with their reasons', () => {
    const { tracker, clock } = setup();
    const reports = new ReportHandler(tracker, clock, () => undefined);
    tracker.create(1, 'c1', intent());
    tracker.create(2, 'c2', intent());
    tracker.apply(1, { kind: 'SUBMIT', venue: 'v1' });
    tracker.apply(2, { kind: 'SUBMIT', venue: 'v1' });
    reports.report('v1', { kind: 'REJECTED', orderId: 1, reason: 'post-only order would cross' });
    reports.report('v1', { kind: 'EXPIRED', orderId: 2, reason: 'IOC' });
    expect(tracker.get(1)).toMatchObject({ state: 'REJECTED', reason: 'post-only order would cross' });
    expect(tracker.get(2)).toMatchObject({ state: 'EXPIRED', reason: 'IOC' });
  });
});
