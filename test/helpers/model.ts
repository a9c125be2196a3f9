import { InstrumentRegistry } from '../../src/model/instrument.js';
import type { Fill, OrderIntent } from '../../src/model/order.js';

/**
 * Instruments for unit tests. BTC-USDT: tick 0.01, lot 0.00001, minQty 0.0001 (10 lots), minNotional 5.
 * ETH-USDT: tick 0.05, lot 0.001, minNotional 0. SOL-USDT: tick 0.001, lot 0.01.
 */
export function testInstruments(): InstrumentRegistry {
  return new InstrumentRegistry([
    { symbol: 'BTC-USDT', base: 'BTC', quote: 'USDT', tickSize: '0.01', lotSize: '0.00001', minQty: '0.0001', minNotional: '5' },
    { symbol: 'ETH-USDT', base: 'ETH', quote: 'USDT', tickSize: '0.05', lotSize: '0.001' },
    { symbol: 'SOL-USDT', base: 'SOL', quote: 'USDT', tickSize: '0.001', lotSize: '0.01' },
  ]);
}

/** An order intent with sensible defaults (a GTC limit buy of 1000 lots at 6,000,000 ticks: 0.01 BTC at 60000). */
export function intent(overrides: Partial<OrderIntent> = {}): OrderIntent {
  return {
    strategy: 'alpha',
    symbol: 'BTC-USDT',
    side: 'BUY',
    type: 'LIMIT',
    timeInForce: 'GTC',
    postOnly: false,
    priceTicks: 6_000_000,
    stopTicks: 0,
    qtyLots: 1000,
    priority: 'NORMAL',
    clientOrderId: undefined,
    venue: undefined,
    ...overrides,
  };
}

let tradeSeq = 0;

/** A fill for an order (fresh trade id unless given). */
export function fill(orderId: number, qtyLots: number, priceTicks: number, overrides: Partial<Fill> = {}): Fill {
  return {
    orderId,
    tradeId: `t${++tradeSeq}`,
    venue: 'v1',
    priceTicks,
    qtyLots,
    fee: '0',
    liquidity: 'TAKER',
    ts: 0,
    ...overrides,
  };
}
