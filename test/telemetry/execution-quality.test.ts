/**
 * Execution quality (issue item "Execution quality"): per fill, its slippage against the order's arrival mid in
 * switchyard_slippage_bps{venue,route} (children's fills counted once, as their parent's), and per order its fees
 * so far, exact, per currency (store.feeTexts).
 */
import { describe, expect, it } from 'vitest';
import { ROUTE_BEST, ROUTE_SWEEP, ROUTE_TABLE, type NewOrderFields } from '../../src/core/order-store.js';
import { OrderTracker } from '../../src/core/order-tracker.js';
import { ManualClock } from '../../src/model/clock.js';
import type { Fill } from '../../src/model/order.js';
import {
  ExecutionQuality, SLIPPAGE_BPS_BUCKETS, addFeeText, parseFeeTexts, slippageBps,
} from '../../src/telemetry/execution-quality.js';
import { Metrics } from '../../src/telemetry/metrics.js';
import { metricValue } from '../helpers/http.js';
import { fill, newOrderFields, testStore } from '../helpers/model.js';

function rig() {
  const store = testStore({ venues: ['v1', 'v2', 'smart'] });
  const clock = new ManualClock(1_700_000_000_000);
  const tracker = new OrderTracker(store, clock, { retainFinished: 10_000 });
  const metrics = new Metrics(clock, store.venueNames, store.strategyIds);
  tracker.listen(metrics);
  const quality = new ExecutionQuality(tracker.store, metrics.registry);
  tracker.listen(quality, 'execution-quality');
  let id = 0;
  const order = (f: Partial<NewOrderFields> & { buy?: boolean }, venue = 'v1'): { id: number; slot: number } => {
    const oid = ++id;
    const { buy, ...fields } = f;
    const slot = tracker.create(oid, { ...newOrderFields(store, { side: buy === false ? 'SELL' : 'BUY', qtyLots: f.qtyLots ?? 1000 }), ...fields });
    tracker.applySlot(slot, { kind: 'SUBMIT', venue });
    tracker.applySlot(slot, { kind: 'ACCEPT', venueOrderId: `V${oid}` });
    return { id: oid, slot };
  };
  const fillOf = (o: { id: number; slot: number }, qty: number, price: number, extra: Partial<Fill> = {}) =>
    tracker.applySlot(o.slot, { kind: 'FILL', fill: fill(o.id, qty, price, extra) });
  return { store, tracker, metrics, quality, order, fillOf };
}

describe('switchyard_slippage_bps', () => {
  it('observes each fill of an order with an arrival mid, by venue and route, positive = paid away (BUY and SELL)', async () => {
    const r = rig();
    // mid 6,000,000 ticks (60000.00): a buy at 6,000,600 paid 1 bps; a sell at 5,999,400 paid 1 bps
    const buy = r.order({ buy: true, arrivalMid: 6_000_000 });
    r.fillOf(buy, 100, 6_000_600, { venue: 'v1' });
    const sell = r.order({ buy: false, arrivalMid: 6_000_000, route: ROUTE_BEST });
    r.fillOf(sell, 100, 5_999_400, { venue: 'v2' });
    // a buy below the mid (price improvement: negative), a half-tick mid
    const better = r.order({ buy: true, arrivalMid: 6_000_000.5, route: ROUTE_BEST }, 'v2');
    r.fillOf(better, 100, 5_999_000, { venue: 'v2' });
    // a sell above the mid: negative
    const sellHigh = r.order({ buy: false, arrivalMid: 6_000_000 });
    r.fillOf(sellHigh, 100, 6_030_000, { venue: 'v1' });

    expect(r.quality.observed('v1', 'table')).toEqual({ count: 2, sum: 1 + -50 });
    const best = r.quality.observed('v2', 'best');
    expect(best.count).toBe(2);
    expect(best.sum).toBeCloseTo(1 + ((5_999_000 - 6_000_000.5) / 6_000_000.5) * 1e4, 9);
    expect(r.quality.observed('v2', 'table').count).toBe(0);

    const text = await r.metrics.render();
    expect(text).toContain('# TYPE switchyard_slippage_bps histogram');
    expect(metricValue(text, 'switchyard_slippage_bps_count', { venue: 'v1', route: 'table' })).toBe(2);
    expect(metricValue(text, 'switchyard_slippage_bps_sum', { venue: 'v1', route: 'table' })).toBe(-49);
    expect(metricValue(text, 'switchyard_slippage_bps_count', { venue: 'v2', route: 'best' })).toBe(2);
    // the buy's +1 bps is in le="1" and above, not in le="0.5"; the sell high's -50 in every bucket from le="-50"
    expect(metricValue(text, 'switchyard_slippage_bps_bucket', { venue: 'v1', route: 'table', le: '-50' })).toBe(1);
    expect(metricValue(text, 'switchyard_slippage_bps_bucket', { venue: 'v1', route: 'table', le: '0.5' })).toBe(1);
    expect(metricValue(text, 'switchyard_slippage_bps_bucket', { venue: 'v1', route: 'table', le: '1' })).toBe(2);
    expect(metricValue(text, 'switchyard_slippage_bps_bucket', { venue: 'v1', route: 'table', le: '+Inf' })).toBe(2);
    expect(text).not.toMatch(/switchyard_slippage_bps_count\{[^}]*route="sweep"/);
    expect(SLIPPAGE_BPS_BUCKETS[0]).toBe(-50);
    expect(SLIPPAGE_BPS_BUCKETS.at(-1)).toBe(200);
  });

  it('an order without an arrival mid is not observed; its fees are still kept', () => {
    const r = rig();
    const o = r.order({ arrivalMid: 0 });
    r.fillOf(o, 100, 6_000_000, { fee: '0.5' });
    expect(r.quality.observed('v1', 'table').count).toBe(0);
    expect(r.store.feeTexts[o.slot]).toBe('USDT:0.5');
  });

  it('a child fill rolled up into its sweep parent is observed once, under the parent\'s route and the fill\'s venue', () => {
    const r = rig();
    const parent = r.order({ arrivalMid: 6_000_000, route: ROUTE_SWEEP, qtyLots: 1000 }, 'smart');
    const child = r.order({ arrivalMid: 6_000_000, route: ROUTE_TABLE, parent: parent.id, qtyLots: 600 }, 'v1');
    // what ParentOrders does: the child's fill, then the same fill as the parent's (same trade id, price, qty, fee)
    const f = fill(child.id, 600, 6_001_200, { venue: 'v1', fee: '0.36', feeCurrency: 'USDT' });
    r.tracker.applySlot(child.slot, { kind: 'FILL', fill: f });
    r.tracker.applySlot(parent.slot, { kind: 'FILL', fill: { ...f, orderId: parent.id } });
    expect(r.quality.observed('v1', 'sweep')).toEqual({ count: 1, sum: 2 });
    expect(r.quality.observed('v1', 'table').count).toBe(0);
    // fees are kept for both, children too
    expect(r.store.feeTexts[child.slot]).toBe('USDT:0.36');
    expect(r.store.feeTexts[parent.slot]).toBe('USDT:0.36');
  });

  it('a fill at a venue the store does not know is labelled other', async () => {
    const r = rig();
    const o = r.order({ arrivalMid: 6_000_000 });
    r.fillOf(o, 10, 6_000_000, { venue: 'elsewhere' });
    expect(r.quality.observed('elsewhere', 'table')).toEqual({ count: 1, sum: 0 });
    const text = await r.metrics.render();
    expect(metricValue(text, 'switchyard_slippage_bps_count', { venue: 'other', route: 'table' })).toBe(1);
    // one listener: the fill counted once
    expect(metricValue(text, 'switchyard_slippage_bps_count', {})).toBe(1);
  });
});

describe('per-order fees', () => {
  it('accumulate exactly per currency, quote for a blank currency, rebates negative, duplicates once', () => {
    const r = rig();
    const o = r.order({ qtyLots: 1000 });
    r.fillOf(o, 100, 6_000_000, { fee: '0.1', feeCurrency: 'USDT' });
    expect(r.store.feeTexts[o.slot]).toBe('USDT:0.1');
    r.fillOf(o, 100, 6_000_000, { fee: '0.2', feeCurrency: '' });
    // exact: 0.1 + 0.2 = 0.3 (no float)
    expect(r.store.feeTexts[o.slot]).toBe('USDT:0.3');
    r.fillOf(o, 100, 6_000_000, { fee: '0.00000001', feeCurrency: 'BTC' });
    r.fillOf(o, 100, 6_000_000, { fee: '-0.05', feeCurrency: 'USDT' });
    r.fillOf(o, 100, 6_000_000, { fee: '0.00000002', feeCurrency: 'BTC', tradeId: 'dup' });
    r.fillOf(o, 100, 6_000_000, { fee: '0.00000002', feeCurrency: 'BTC', tradeId: 'dup' });
    // a currency whose name is a prefix of another's is its own entry
    r.fillOf(o, 100, 6_000_000, { fee: '1', feeCurrency: 'USD' });
    expect(r.store.feeTexts[o.slot]).toBe('USDT:0.25;BTC:0.00000003;USD:1');
    expect(parseFeeTexts(r.store.feeTexts[o.slot])).toEqual([
      { currency: 'USDT', amount: '0.25' }, { currency: 'BTC', amount: '0.00000003' }, { currency: 'USD', amount: '1' },
    ]);
  });

  it('first texts as addFeeText makes them, whatever the currency of the order before (separators, non-decimal fees)', () => {
    const r = rig();
    const cases: [string, string][] = [['0.1', 'USDT'], ['0.2', 'BTC'], ['0.3', 'BTC'], ['0.4', 'US;D'], ['1', 'a:b'], ['x1', 'USDT'], ['-0.5', ''], ['0.6', 'USDT']];
    for (const [fee, feeCurrency] of cases) {
      const o = r.order({ qtyLots: 1000 });
      r.fillOf(o, 100, 6_000_000, { fee, feeCurrency });
      expect(r.store.feeTexts[o.slot]).toBe(addFeeText(undefined, feeCurrency === '' ? 'USDT' : feeCurrency, fee));
    }
  });

  it('are cleared when the slot is released and reused', () => {
    const store = testStore({ capacity: 16 });
    const tracker = new OrderTracker(store, new ManualClock(), { retainFinished: 1 });
    tracker.listen(new ExecutionQuality(store));
    const a = tracker.create(1, newOrderFields(store, { qtyLots: 10 }));
    tracker.applySlot(a, { kind: 'SUBMIT', venue: 'v1' });
    tracker.applySlot(a, { kind: 'FILL', fill: fill(1, 10, 6_000_000, { fee: '0.01' }) });
    expect(store.feeTexts[a]).toBe('USDT:0.01');
    // two more finished orders: the first is forgotten (retainFinished 1), its slot free again
    for (const id of [2, 3]) {
      const s = tracker.create(id, newOrderFields(store, { qtyLots: 10 }));
      tracker.applySlot(s, { kind: 'SUBMIT', venue: 'v1' });
      tracker.applySlot(s, { kind: 'CANCELED' });
    }
    expect(store.slotOf(1)).toBe(-1);
    expect(store.feeTexts[a]).toBeUndefined();
    const again = tracker.create(4, newOrderFields(store));
    expect(store.feeTexts[again]).toBeUndefined();
  });

  it('addFeeText / parseFeeTexts', () => {
    expect(addFeeText(undefined, 'USDT', '0.01')).toBe('USDT:0.01');
    expect(addFeeText('USDT:0.01', 'USDT', '0.02')).toBe('USDT:0.03');
    expect(addFeeText('USDT:0.01;BTC:1', 'BTC', '-1')).toBe('USDT:0.01;BTC:0');
    expect(addFeeText('BTC:1;USDT:0.01', 'USDT', '0.00000000000000000001')).toBe('BTC:1;USDT:0.01000000000000000001');
    expect(addFeeText('USDT:0.01', 'USD', '2')).toBe('USDT:0.01;USD:2');
    expect(addFeeText('USD:2', 'USDT', '2')).toBe('USD:2;USDT:2');
    // not a decimal: unchanged
    expect(addFeeText('USDT:0.01', 'USDT', 'n/a')).toBe('USDT:0.01');
    expect(addFeeText(undefined, 'USDT', 'n/a')).toBeUndefined();
    // separators in a currency do not break the text
    expect(parseFeeTexts(addFeeText('USDT:1', 'A;B:C', '1'))).toEqual([{ currency: 'USDT', amount: '1' }, { currency: 'A_B_C', amount: '1' }]);
    expect(parseFeeTexts(undefined)).toEqual([]);
    expect(slippageBps(true, 101, 100)).toBeCloseTo(100, 9);
    expect(slippageBps(false, 101, 100)).toBeCloseTo(-100, 9);
  });
});
