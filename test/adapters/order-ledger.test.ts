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

/** What spec() orders are, as a venue snapshot states it (an unbound order is bound only by a snapshot saying so). */
const STATED = { side: 'BUY', type: 'LIMIT', price: '50000.00', origQty: '0.00300' } as const;

function trade(over: Partial<TradeEvent> = {}): TradeEvent {
  return { clientOrderId: 'c1', venueOrderId: 'v1', instrument: btc, tradeId: 'BTCUSDT:1', price: '50000.00000000', qty: '0.00100000', fee: undefined, liquidity: 'MAKER', ts: 1, ...over };
}

describe('OrderLedger', () => {
  test('ACCEPTED once, before the first fill; a trade id is reported once whatever the source', () => {
    const { ledger, sink } = setup();
    const t = ledger.add(spec(1, 'c1'));
    // before the answer names our venue order, a trade under our client order id could be another program's: held
    expect(ledger.applyTrade(trade())).toBe('unknown');
    ledger.accept(t, 'v1'); // the answer: the held trade is reported now, after ACCEPTED
    expect(ledger.applyTrade(trade())).toBe('duplicate');
    ledger.applySnapshot({ clientOrderId: 'c1', venueOrderId: 'v1', instrument: btc, state: 'PARTIALLY_FILLED', filledQty: '0.001' });
    expect(sink.kinds(1)).toEqual(['ACCEPTED', 'FILL']);
    expect(sink.fills(1)[0]).toMatchObject({ tradeId: 'BTCUSDT:1', priceTicks: 500_000, qtyLots: 100, liquidity: 'MAKER' });
    expect(ledger.stats.duplicateTrades).toBe(1);
  });

  test('a terminal state is sticky: an older OPEN snapshot after CANCELED changes nothing; CANCELED is reported once', () => {
    const { ledger, sink } = setup();
    ledger.add(spec(2, 'c2'));
    const snap = { clientOrderId: 'c2', venueOrderId: 'v2', instrument: btc, filledQty: '0', ...STATED };
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
    ledger.applySnapshot({ clientOrderId: 'c3', venueOrderId: 'v3', instrument: btc, state: 'FILLED', filledQty: '0.003', ...STATED });
    expect(t.hasGap).toBe(true);
    expect(t.done).toBe(false);
    ledger.applyTrade(trade({ clientOrderId: undefined, venueOrderId: 'v3', tradeId: 'BTCUSDT:7', qty: '0.003' }));
    expect(t.hasGap).toBe(false);
    expect(t.done).toBe(true);
  });

  test('a fill off the instrument grid is refused (not rounded) and counted', () => {
    const { ledger, sink } = setup();
    ledger.accept(ledger.add(spec(4, 'c4')), 'v1');
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

  test('fees as the venue stated them, in their own currency (never converted); the bps estimate only without a fee, and marked', () => {
    const { ledger, sink } = setup();
    const t = ledger.add(spec(7, 'c7'));
    ledger.accept(t, 'v7');
    const at = { clientOrderId: 'c7', venueOrderId: 'v7' };
    ledger.applyTrade(trade({ ...at, tradeId: 'a', fee: { amount: '0.05', currency: 'USDT' }, ts: 1_700_000_000_001 }));
    ledger.applyTrade(trade({ ...at, tradeId: 'b', fee: { amount: '0.00000100', currency: 'BTC' }, ts: 1_700_000_000_002 }));
    ledger.applyTrade(trade({ ...at, tradeId: 'c', fee: { amount: '0.01', currency: 'BNB' }, liquidity: 'TAKER', ts: 1_700_000_000_003 }));
    ledger.applyTrade(trade({ ...at, tradeId: 'd', fee: { amount: '-0.002', currency: 'USDT' }, ts: 1_700_000_000_004 }));
    ledger.applyTrade(trade({ ...at, tradeId: 'e', fee: undefined, liquidity: 'TAKER', ts: 1_700_000_000_005 }));
    expect(sink.fills(7).map((f) => [f.fee, f.feeCurrency, f.feeEstimated ?? false, f.venueTs])).toEqual([
      ['0.05', 'USDT', false, 1_700_000_000_001],
      ['0.000001', 'BTC', false, 1_700_000_000_002],
      ['0.01', 'BNB', false, 1_700_000_000_003],
      ['-0.002', 'USDT', false, 1_700_000_000_004],
      ['0.025', 'USDT', true, 1_700_000_000_005], // 0.001 BTC x 50000 x 5 bps
    ]);
  });

  test('a trade for an order whose venue id is not known yet is applied once the acknowledgement maps it', () => {
    const { ledger, sink } = setup();
    const t = ledger.add(spec(8, 'c8'));
    expect(ledger.applyTrade(trade({ clientOrderId: undefined, venueOrderId: 'v8', tradeId: 'x' }))).toBe('unknown');
    ledger.accept(t, 'v8');
    expect(sink.kinds(8)).toEqual(['ACCEPTED', 'FILL']);
  });
});
