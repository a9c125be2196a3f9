/**
 * A late report after a timeout rejection (issue: order truth at the venues). An order got no answer, the lookup found
 * nothing within the request's validity window, so the adapter reported REJECTED VENUE_TIMEOUT; later the venue shows
 * the order after all (a stream report, a poll). The whole chain — the adapter's ledger, the report handler, the
 * tracker's lifecycle, risk accounting — must end with the order live, its fills applied once, its position right and
 * its rest reserved again.
 */
import { describe, expect, it } from 'vitest';
import { OrderLedger } from '../../adapters/common/order-ledger.js';
import { OrderView } from '../../src/core/order-store.js';
import { OrderTracker } from '../../src/core/order-tracker.js';
import { ReportHandler } from '../../src/execution/report-handler.js';
import type { ExecutionReport } from '../../src/execution/venue.js';
import { ManualClock } from '../../src/model/clock.js';
import { PreTradeRisk } from '../../src/risk/pre-trade-risk.js';
import { RiskAccounting } from '../../src/risk/risk-accounting.js';
import { log } from '../adapters/helpers.js';
import { newOrderFields, testInstruments, testStore } from '../helpers/model.js';

const instruments = testInstruments();
const BTC = 0;
const P60K = 6_000_000; // 60000.00 in ticks (tick 0.01)

function rig() {
  const clock = new ManualClock(1_700_000_000_000);
  const store = testStore({ instruments, venues: ['binance'] });
  const tracker = new OrderTracker(store, clock, { retainFinished: 100 });
  const risk = new PreTradeRisk(instruments, [{ id: 'alpha', symbols: ['BTC-USDT'] }], {});
  tracker.listen(new RiskAccounting(risk));
  const unknown: ExecutionReport[] = [];
  const invalid: string[] = [];
  tracker.listen({ onAnomaly: (o, u, t) => { if (t.outcome === 'ERROR') invalid.push(`${u.kind} in ${o.state}: ${t.code}`); } });
  const reports = new ReportHandler(tracker, clock, (_v, r) => unknown.push(r));
  const ledger = new OrderLedger('binance', reports, log, { makerBps: '0', takerBps: '0' }, () => clock.now());
  // one order, 0.01 BTC at 60000, checked and reserved as the dispatcher does, then sent
  const slot = tracker.create(1, newOrderFields(store, { strategy: 'alpha', qtyLots: 1000, priceTicks: P60K, clientOrderId: 'late1' }));
  const order = new OrderView(store).at(slot);
  expect(risk.check(0, BTC, 0, P60K, 1000)).toBeNull();
  order.riskPriceTicks = P60K;
  tracker.apply(1, { kind: 'SUBMIT', venue: 'binance' });
  const t = ledger.add({ orderId: 1, clientOrderId: 'late1', instrument: instruments.at(BTC), side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', postOnly: false, priceTicks: P60K, stopTicks: 0, qtyLots: 1000 });
  return { clock, tracker, risk, ledger, t, order, unknown, invalid };
}

const btc = instruments.at(BTC);
/**
 * What the order is, as a venue report states it (side, type, price, quantity). A report under our client order id
 * binds an order whose venue order id we do not know yet only when it states the order we sent: another program on
 * the same account may hold the id (adapters/common/order-match.ts).
 */
const STATED = { side: 'BUY', type: 'LIMIT', price: '60000.00', origQty: '0.01000' } as const;

describe('a venue report after REJECTED VENUE_TIMEOUT', () => {
  it('the late ack reopens the order and its fills count: state, position and risk reservation are right', () => {
    const { tracker, risk, ledger, t, order, invalid, unknown } = rig();
    ledger.reject(t, 'VENUE_TIMEOUT: the venue has no order with client id late1 after the request\'s validity window');
    expect(order.state).toBe('REJECTED');
    expect(risk.snapshot().openOrders).toBe(0);

    // the venue's stream shows it, partly filled
    ledger.applySnapshot({ clientOrderId: 'late1', venueOrderId: '77', instrument: btc, state: 'PARTIALLY_FILLED', filledQty: '0.004', ...STATED });
    ledger.applyTrade({ clientOrderId: 'late1', venueOrderId: '77', instrument: btc, tradeId: 'BTCUSDT:5', price: '60000.00', qty: '0.004', fee: undefined, liquidity: 'MAKER', ts: 1 });
    expect(order.state).toBe('PARTIALLY_FILLED');
    expect(order.venueOrderId).toBe('77');
    expect(order.filledLots).toBe(400);
    expect(tracker.open).toBe(1);
    const snap = risk.snapshot();
    expect(snap.openOrders).toBe(1);
    expect(snap.strategies[0]!.openNotional).toBe('360.0000000'); // the 0.006 BTC left, at 60000
    expect(snap.strategies[0]!.positions['BTC-USDT']).toBe('0.00400');
    expect(ledger.stats.corrected).toBe(1);

    // and it ends normally
    ledger.applyTrade({ clientOrderId: 'late1', venueOrderId: '77', instrument: btc, tradeId: 'BTCUSDT:6', price: '60000.00', qty: '0.006', fee: undefined, liquidity: 'MAKER', ts: 2 });
    ledger.applySnapshot({ clientOrderId: 'late1', venueOrderId: '77', instrument: btc, state: 'FILLED', filledQty: '0.01', ...STATED });
    expect(order.state).toBe('FILLED');
    expect(tracker.open).toBe(0);
    const end = risk.snapshot();
    expect(end.openOrders).toBe(0);
    expect(end.strategies[0]!.openNotional).toBe('0.0000000');
    expect(end.strategies[0]!.positions['BTC-USDT']).toBe('0.01000');
    expect(invalid).toEqual([]);
    expect(unknown).toEqual([]);
  });

  it('a late fill without an ack (the venue filled it at once) is not lost either', () => {
    const { risk, ledger, t, order, invalid } = rig();
    ledger.reject(t, 'VENUE_TIMEOUT: not found');
    ledger.applyTrade({ clientOrderId: 'late1', venueOrderId: '78', instrument: btc, tradeId: 'BTCUSDT:9', price: '59990.00', qty: '0.01', fee: undefined, liquidity: 'TAKER', ts: 3 });
    // a trade alone does not say whose order it is: held until the order's own report (same venue message) binds it
    expect(order.state).toBe('REJECTED');
    ledger.applySnapshot({ clientOrderId: 'late1', venueOrderId: '78', instrument: btc, state: 'FILLED', filledQty: '0.01', ...STATED });
    expect(order.state).toBe('FILLED');
    expect(order.filledLots).toBe(1000);
    const snap = risk.snapshot();
    expect(snap.openOrders).toBe(0);
    expect(snap.strategies[0]!.openNotional).toBe('0.0000000');
    expect(snap.strategies[0]!.positions['BTC-USDT']).toBe('0.01000');
    expect(invalid).toEqual([]);
  });

  it('an order canceled before it was sent is never revived by a report', () => {
    const { ledger, t, order } = rig();
    t.cancelWanted = true;
    ledger.canceledUnsent(t);
    ledger.applySnapshot({ clientOrderId: 'late1', venueOrderId: '79', instrument: btc, state: 'OPEN', filledQty: '0' });
    expect(order.state).toBe('CANCELED');
    expect(ledger.stats.corrected).toBe(0);
  });
});
