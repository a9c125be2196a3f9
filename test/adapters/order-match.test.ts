/**
 * Whose order is it? The comparison of a venue order with the order we sent (order-match.ts) and the ledger's rule
 * that a report under our client order id is applied to our order only when it is ours (order-ledger.ts).
 */
import { describe, expect, test } from 'vitest';
import { orderMismatches } from '../../adapters/common/order-match.js';
import { OrderLedger } from '../../adapters/common/order-ledger.js';
import type { OrderSnapshot, TradeEvent } from '../../adapters/common/types.js';
import { RecordingSink, log, sharedInstruments } from './helpers.js';

const btc = sharedInstruments().get('BTC-USDT')!; // tick 0.1, lot 0.00001

/** A GTC limit buy of 0.003 BTC at 50000 (300 lots, 500,000 ticks). */
function spec(orderId: number, clientOrderId: string, over: { type?: 'LIMIT' | 'MARKET'; priceTicks?: number } = {}) {
  return { orderId, clientOrderId, instrument: btc, side: 'BUY' as const, type: over.type ?? ('LIMIT' as const), timeInForce: 'GTC' as const, postOnly: false, priceTicks: over.priceTicks ?? 500_000, stopTicks: 0, qtyLots: 300 };
}

/** The venue's view of spec()'s order, as Binance sends it. */
function snap(over: Partial<OrderSnapshot> = {}): OrderSnapshot {
  return {
    clientOrderId: 'c1', venueOrderId: 'V1', instrument: btc, state: 'OPEN', filledQty: '0',
    venueSymbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', price: '50000.00000000', origQty: '0.00300000',
    ...over,
  };
}

function trade(over: Partial<TradeEvent> = {}): TradeEvent {
  return { clientOrderId: 'c1', venueOrderId: 'V1', instrument: btc, tradeId: 'BTCUSDT:1', price: '50000', qty: '0.001', fee: undefined, liquidity: 'MAKER', ts: 1, ...over };
}

describe('orderMismatches', () => {
  test('the order we sent matches, whatever the venue\'s decimal spelling', () => {
    expect(orderMismatches(spec(1, 'c1'), snap(), 'BTCUSDT')).toEqual([]);
    expect(orderMismatches(spec(1, 'c1'), snap({ price: '50000', origQty: '0.003' }), 'BTCUSDT')).toEqual([]);
  });

  test('each differing field is named; a value the venue does not state never matches', () => {
    const fields = (s: OrderSnapshot) => orderMismatches(spec(1, 'c1'), s, 'BTCUSDT').map((m) => [m.field, m.stated]);
    expect(fields(snap({ side: 'SELL' }))).toEqual([['side', true]]);
    expect(fields(snap({ type: 'MARKET' }))).toEqual([['type', true]]);
    expect(fields(snap({ price: '50000.1' }))).toEqual([['price', true]]);
    expect(fields(snap({ price: '50000.05' }))).toEqual([['price', true]]); // off our grid: never an order of ours
    expect(fields(snap({ origQty: '0.00301' }))).toEqual([['quantity', true]]);
    expect(fields(snap({ venueSymbol: 'ETHUSDT' }))).toEqual([['symbol', true]]);
    expect(fields(snap({ price: undefined, origQty: undefined }))).toEqual([['quantity', false], ['price', false]]);
    expect(fields(snap({ side: undefined, venueSymbol: undefined }))).toEqual([['symbol', false], ['side', false]]);
  });

  test('a market order has no price to compare', () => {
    expect(orderMismatches(spec(1, 'c1', { type: 'MARKET', priceTicks: 0 }), snap({ type: 'MARKET', price: undefined }), 'BTCUSDT')).toEqual([]);
  });
});

describe('OrderLedger: reports under our client order id that are not ours', () => {
  function setup() {
    const sink = new RecordingSink();
    const ledger = new OrderLedger('v', sink, log, { makerBps: '0', takerBps: '0' }, () => 1000, () => 'BTCUSDT');
    return { sink, ledger };
  }

  test("before our order is bound to a venue order: another program's order under our id is never applied, nor its trades", () => {
    const { ledger, sink } = setup();
    const t = ledger.add(spec(1, 'c1'));
    expect(ledger.applySnapshot(snap({ venueOrderId: 'X9', side: 'SELL', state: 'PARTIALLY_FILLED', filledQty: '0.001' }))).toBeUndefined();
    expect(ledger.applyTrade(trade({ venueOrderId: 'X9', tradeId: 'BTCUSDT:5' }))).toBe('unknown');
    expect(ledger.isForeign('X9')).toBe(true);
    expect(ledger.stats.foreign).toBe(1);
    expect(sink.kinds(1)).toEqual([]);
    expect(t.accepted).toBe(false);
    // then our own order's answer: bound to it, and their trade was not kept to be replayed onto ours
    ledger.accept(t, 'V1');
    ledger.applyTrade(trade({ venueOrderId: 'X9', tradeId: 'BTCUSDT:6' }));
    expect(sink.kinds(1)).toEqual(['ACCEPTED']);
  });

  test('a snapshot that leaves out what the order is binds nothing and accuses no one; the answer binds later', () => {
    const { ledger, sink } = setup();
    const t = ledger.add(spec(1, 'c1'));
    expect(ledger.applySnapshot(snap({ side: undefined, type: undefined, price: undefined, origQty: undefined }))).toBeUndefined();
    expect(ledger.isForeign('V1')).toBe(false);
    expect(ledger.applySnapshot(snap())).toBe(t); // one that says what it is: ours
    expect(sink.kinds(1)).toEqual(['ACCEPTED']);
  });

  test('once bound: a report under our client order id with another venue order id is not ours', () => {
    const { ledger, sink } = setup();
    const t = ledger.add(spec(1, 'c1'));
    ledger.accept(t, 'V1');
    expect(ledger.applySnapshot(snap({ venueOrderId: 'X9', state: 'CANCELED' }))).toBeUndefined();
    expect(ledger.applyTrade(trade({ venueOrderId: 'X9', tradeId: 'BTCUSDT:5' }))).toBe('unknown');
    expect(ledger.applyTrade(trade({ tradeId: 'BTCUSDT:6' }))).toBe('reported');
    expect(sink.kinds(1)).toEqual(['ACCEPTED', 'FILL']);
    expect(t.venueOrderId).toBe('V1');
  });

  test("our order rejected (the id is another program's): their later reports never reopen it", () => {
    const { ledger, sink } = setup();
    const t = ledger.add(spec(1, 'c1'));
    ledger.markForeign(t, 'X9', 'OPEN', ['side SELL (sent BUY)']);
    ledger.reject(t, 'DUPLICATE_CLIENT_ORDER_ID: test');
    ledger.applySnapshot(snap({ venueOrderId: 'X9', side: 'SELL', state: 'FILLED', filledQty: '0.003' }));
    ledger.applyTrade(trade({ venueOrderId: 'X9' }));
    expect(sink.kinds(1)).toEqual(['REJECTED']);
    expect(ledger.stats.foreign).toBe(1); // logged once
  });
});
