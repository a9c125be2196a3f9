/**
 * The adapters' order ledger: the rules that keep reports consistent whatever the source (answer, stream, poll).
 */
import { describe, expect, test } from 'vitest';
import { OrderLedger } from '../../adapters/common/order-ledger.js';
import type { TradeEvent } from '../../adapters/common/types.js';
import { RecordingSink, log, sharedInstruments } from './helpers.js';

const ins = sharedInstruments();
const btc = ins.get('BTC-USDT')!; // tick 0.1, lot 0.00001

function setup(): { ledger: OrderLedger; sink: RecordingSink } {
  const sink = new RecordingSink();
  return { sink, ledger: new OrderLedger('v', sink, log, { makerBps: '1', takerBps: '5' }, () => 1000) };
}

function spec(orderId: number, clientOrderId: string) {
  return { orderId, clientOrderId, instrument: btc, side: 'BUY' as const, type: 'LIMIT' as const, timeInForce: 'GTC' as const, postOnly: false, priceTicks: 500_000, stopTicks: 0, qtyLots: 300 };
}

function trade(over: Partial<TradeEvent> = {}): TradeEvent {
  return { clientOrderId: 'c1', venueOrderId: 'v1', instrument: btc, tradeId: 'BTCUSDT:1', price: '50000.00000000', qty: '0.00100000', fee: undefined, liquidity: 'MAKER', ts: 1, ...over };
}

describe('OrderLedger', () => {
  test('ACCEPTED once, before the first fill; a trade id is reported once whatever the source', () => {
    const { ledger, sink } = setup();
    const t = ledger.add(spec(1, 'c1'));
    expect(ledger.applyTrade(trade())).toBe('reported');
    expect(ledger.applyTrade(trade())).toBe('duplicate');
    ledger.accept(t, 'v1');
    ledger.applySnapshot({ clientOrderId: 'c1', venueOrderId: 'v1', instrument: btc, state: 'PARTIALLY_FILLED', filledQty: '0.001' });
    expect(sink.kinds(1)).toEqual(['ACCEPTED', 'FILL']);
    expect(sink.fills(1)[0]).toMatchObject({ tradeId: 'BTCUSDT:1', priceTicks: 500_000, qtyLots: 100, liquidity: 'MAKER' });
    expect(ledger.stats.duplicateTrades).toBe(1);
  });

  test('a terminal state is sticky: an older OPEN snapshot after CANCELED changes nothing; CANCELED is reported once', () => {
    const { ledger, sink } = setup();
    ledger.add(spec(2, 'c2'));
    const snap = { clientOrderId: 'c2', venueOrderId: 'v2', instrument: btc, filledQty: '0' };
    ledger.applySnapshot({ ...snap, state: 'OPEN' });
    ledger.applySnapshot({ ...snap, state: 'CANCELED' });
    ledger.applySnapshot({ ...snap, state: 'OPEN' });
    ledger.applySnapshot({ ...snap, state: 'CANCELED' });
    expect(sink.kinds(2)).toEqual(['ACCEPTED', 'CANCELED']);
    expect(ledger.get('c2')?.done).toBe(true);
  });

  test('a filled order with fills still missing has a gap until they arrive', () => {
    const { ledger } = setup();
    const t = ledger.add(spec(3, 'c3'));
    ledger.applySnapshot({ clientOrderId: 'c3', venueOrderId: 'v3', instrument: btc, state: 'FILLED', filledQty: '0.003' });
    expect(t.hasGap).toBe(true);
    expect(t.done).toBe(false);
    ledger.applyTrade(trade({ clientOrderId: undefined, venueOrderId: 'v3', tradeId: 'BTCUSDT:7', qty: '0.003' }));
    expect(t.hasGap).toBe(false);
    expect(t.done).toBe(true);
  });

  test('a fill off the instrument grid is refused (not rounded) and counted', () => {
    const { ledger, sink } = setup();
    ledger.add(spec(4, 'c4'));
    expect(ledger.applyTrade(trade({ clientOrderId: 'c4', tradeId: 'BTCUSDT:9', price: '50000.05' }))).toBe('refused');
    expect(sink.fills(4)).toHaveLength(0);
    expect(ledger.stats.offGrid).toBe(1);
  });

  test('REJECTED only for an order never accepted, and once', () => {
    const { ledger, sink } = setup();
    const a = ledger.add(spec(5, 'c5'));
    ledger.reject(a, 'VENUE_REJECTED: no');
    ledger.reject(a, 'VENUE_REJECTED: again');
    const b = ledger.add(spec(6, 'c6'));
    ledger.accept(b, 'v6');
    ledger.reject(b, 'VENUE_REJECTED: late');
    expect(sink.kinds(5)).toEqual(['REJECTED']);
    expect(sink.kinds(6)).toEqual(['ACCEPTED']);
  });

  test('fees in quote currency: quote fee as is, base fee x price, otherwise from the configured bps', () => {
    const { ledger, sink } = setup();
    ledger.add(spec(7, 'c7'));
    ledger.applyTrade(trade({ clientOrderId: 'c7', tradeId: 'a', fee: { amount: '0.05', currency: 'USDT' } }));
    ledger.applyTrade(trade({ clientOrderId: 'c7', tradeId: 'b', fee: { amount: '0.000001', currency: 'BTC' } }));
    ledger.applyTrade(trade({ clientOrderId: 'c7', tradeId: 'c', fee: { amount: '0.01', currency: 'BNB' }, liquidity: 'TAKER' }));
    expect(sink.fills(7).map((f) => f.fee)).toEqual(['0.05', '0.05', '0.025']);
  });

  test('a trade for an order whose venue id is not known yet is applied once the acknowledgement maps it', () => {
    const { ledger, sink } = setup();
    const t = ledger.add(spec(8, 'c8'));
    expect(ledger.applyTrade(trade({ clientOrderId: undefined, venueOrderId: 'v8', tradeId: 'x' }))).toBe('unknown');
    ledger.accept(t, 'v8');
    expect(sink.kinds(8)).toEqual(['ACCEPTED', 'FILL']);
  });
});
