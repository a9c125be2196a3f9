/**
 * The API's order view with execution quality: arrivalMid (price text, a half tick exact with one more decimal),
 * slippageBps of the order so far (from its average price), fees per currency, and the parameters of trailing
 * stops (trailingOffset) and algorithms (algo); every earlier key kept.
 */
import { describe, expect, it } from 'vitest';
import { orderView, midText } from '../../src/api/order-view.js';
import { ALGO_ICEBERG, ALGO_TWAP, TYPE_CODE, type NewOrderFields } from '../../src/core/order-store.js';
import { OrderTracker } from '../../src/core/order-tracker.js';
import { ManualClock } from '../../src/model/clock.js';
import type { Fill } from '../../src/model/order.js';
import { ExecutionQuality } from '../../src/telemetry/execution-quality.js';
import { fill, newOrderFields, testStore } from '../helpers/model.js';

function rig() {
  const store = testStore();
  const tracker = new OrderTracker(store, new ManualClock(1_700_000_000_000), { retainFinished: 100 });
  tracker.listen(new ExecutionQuality(tracker.store), 'execution-quality');
  let id = 0;
  const order = (side: 'BUY' | 'SELL', f: Partial<NewOrderFields> = {}) => {
    const oid = ++id;
    const slot = tracker.create(oid, { ...newOrderFields(store, { side, qtyLots: 1000 }), ...f });
    tracker.applySlot(slot, { kind: 'SUBMIT', venue: 'v1' });
    tracker.applySlot(slot, { kind: 'ACCEPT', venueOrderId: `V${oid}` });
    return oid;
  };
  const fillOf = (oid: number, qty: number, price: number, extra: Partial<Fill> = {}) => tracker.apply(oid, { kind: 'FILL', fill: fill(oid, qty, price, extra) });
  const view = (oid: number) => orderView(tracker.get(oid)!, store.instruments, store);
  return { store, tracker, order, fillOf, view };
}

describe('order view: execution quality', () => {
  it('a buy: arrival mid, slippage of the average price, fees per currency', () => {
    const r = rig();
    const id = r.order('BUY', { arrivalMid: 6_000_000 });
    expect(r.view(id)).toMatchObject({ arrivalMid: '60000.00', slippageBps: null, fees: [] });
    r.fillOf(id, 100, 6_000_600, { fee: '0.06', feeCurrency: 'USDT' });
    r.fillOf(id, 300, 6_000_000, { fee: '0.00000012', feeCurrency: 'BTC' });
    r.fillOf(id, 100, 6_001_800, { fee: '0.1', feeCurrency: '' });
    // average (600 + 0 + 1800) / 5 = 480 ticks over the mid: 480 / 6,000,000 x 1e4 = 0.8 bps
    const v = r.view(id);
    expect(v.slippageBps).toBe(0.8);
    expect(v.fees).toEqual([{ currency: 'USDT', amount: '0.16' }, { currency: 'BTC', amount: '0.00000012' }]);
    expect(v).not.toHaveProperty('trailingOffset');
    expect(v).not.toHaveProperty('algo');
    // every earlier key is still there, with its meaning
    expect(v).toMatchObject({
      orderId: id, side: 'BUY', type: 'LIMIT', price: '60000.00', quantity: '0.01000', filledQty: '0.00500', avgPrice: '60004.8',
      state: 'PARTIALLY_FILLED', venue: 'v1', route: 'table', parentOrderId: null,
    });
  });

  it('a sell: positive when sold below the mid, negative above; rounded to 0.01 bps; a half-tick mid exact', () => {
    const r = rig();
    const below = r.order('SELL', { arrivalMid: 6_000_000.5 });
    r.fillOf(below, 100, 5_999_000);
    // (6,000,000.5 - 5,999,000) / 6,000,000.5 x 1e4 = 1.66666... -> 1.67
    expect(r.view(below)).toMatchObject({ arrivalMid: '60000.005', slippageBps: 1.67 });
    const above = r.order('SELL', { arrivalMid: 6_000_000 });
    r.fillOf(above, 100, 6_003_000);
    expect(r.view(above).slippageBps).toBe(-5);
    const at = r.order('SELL', { arrivalMid: 6_000_000 });
    r.fillOf(at, 100, 6_000_000);
    expect(Object.is(r.view(at).slippageBps, 0)).toBe(true);
    // no mid: null, however filled
    const none = r.order('BUY');
    r.fillOf(none, 100, 6_000_000);
    expect(r.view(none)).toMatchObject({ arrivalMid: null, slippageBps: null, fees: [{ currency: 'USDT', amount: '0' }] });
  });

  it('midText: whole ticks as prices, half ticks exact with one more decimal, 0 as null', () => {
    const r = rig();
    const btc = r.store.instruments.get('BTC-USDT')!;
    const eth = r.store.instruments.get('ETH-USDT')!;
    expect(midText(btc, 1)).toBe('0.01');
    expect(midText(btc, 0.5)).toBe('0.005');
    expect(midText(btc, 6_000_000.5)).toBe('60000.005');
    // ETH tick 0.05: half a tick is 0.025
    expect(midText(eth, 40_000.5)).toBe('2000.025');
    expect(midText(eth, 40_000)).toBe('2000.00');
    expect(midText(btc, 0)).toBeNull();
  });

  it('a trailing stop shows its trailing offset; TWAP and ICEBERG their parameters', () => {
    const r = rig();
    const trailing = r.order('SELL', { type: TYPE_CODE.TRAILING_STOP, priceTicks: 0, stopTicks: 5_900_000, paramA: 2_550 });
    const tv = r.view(trailing);
    expect(tv.type).toBe('TRAILING_STOP');
    expect(tv.trailingOffset).toBe('25.50');
    expect(tv).not.toHaveProperty('algo');
    const twap = r.order('BUY', { algo: ALGO_TWAP, paramA: 3_600_000, paramB: 60_000 });
    expect(r.view(twap).algo).toEqual({ type: 'TWAP', horizonMs: 3_600_000, intervalMs: 60_000 });
    expect(r.view(twap)).not.toHaveProperty('trailingOffset');
    const iceberg = r.order('BUY', { algo: ALGO_ICEBERG, paramA: 250 });
    expect(r.view(iceberg).algo).toEqual({ type: 'ICEBERG', displayQuantity: '0.00250' });
  });

  it('without the store (or for an order it does not hold) fees are []', () => {
    const r = rig();
    const id = r.order('BUY');
    r.fillOf(id, 10, 6_000_000, { fee: '1' });
    expect(orderView(r.tracker.get(id)!, r.store.instruments).fees).toEqual([]);
    expect(orderView(r.tracker.get(id)!, r.store.instruments, r.store).fees).toEqual([{ currency: 'USDT', amount: '1' }]);
  });
});
