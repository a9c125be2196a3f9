import {
  BUY, NO_VENUE, OrderStore, PRIORITY_CODE, SELL, TIF_CODE, TYPE_CODE, type NewOrderFields,
} from '../../src/core/order-store.js';
import { InstrumentRegistry, type InstrumentSpec } from '../../src/model/instrument.js';
import type { Fill, OrderIntent } from '../../src/model/order.js';

/**
 * Instruments for unit tests. BTC-USDT: tick 0.01, lot 0.00001, minQty 0.0001 (10 lots), minNotional 5.
 * ETH-USDT: tick 0.05, lot 0.001, minNotional 0. SOL-USDT: tick 0.001, lot 0.01.
 */
export function testInstruments(): InstrumentRegistry {
  return new InstrumentRegistry(TEST_INSTRUMENT_SPECS);
}

/** The specs of testInstruments(). */
export const TEST_INSTRUMENT_SPECS: readonly InstrumentSpec[] = [
  { symbol: 'BTC-USDT', base: 'BTC', quote: 'USDT', tickSize: '0.01', lotSize: '0.00001', minQty: '0.0001', minNotional: '5' },
  { symbol: 'ETH-USDT', base: 'ETH', quote: 'USDT', tickSize: '0.05', lotSize: '0.001' },
  { symbol: 'SOL-USDT', base: 'SOL', quote: 'USDT', tickSize: '0.001', lotSize: '0.01' },
];

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
    feeCurrency: 'USDT',
    liquidity: 'TAKER',
    ts: 0,
    venueTs: 0,
    ...overrides,
  };
}

/** Prefix of the client order ids a test store makes (order 1 -> "tst1", order 36 -> "tst10"). */
export const TEST_CLIENT_ID_PREFIX = 'tst';

export interface TestStoreOptions {
  readonly instruments?: InstrumentRegistry;
  /** Strategy ids by index (default alpha, beta). */
  readonly strategies?: readonly string[];
  /** Venue names by index (default v1, v2). */
  readonly venues?: readonly string[];
  readonly prefix?: string;
  readonly capacity?: number;
}

/** An order store over the test instruments (strategies alpha and beta, venues v1 and v2 unless told). */
export function testStore(options: TestStoreOptions = {}): OrderStore {
  return new OrderStore(
    options.instruments ?? testInstruments(),
    options.strategies ?? ['alpha', 'beta'],
    options.venues ?? ['v1', 'v2'],
    options.prefix ?? TEST_CLIENT_ID_PREFIX,
    options.capacity,
  );
}

/**
 * The integer fields of an order intent, as the decoders hand them to OrderTracker.create / OrderIntake.submitFields
 * (a fresh object: tests keep what they created). Unknown strategy names and venues throw (a test bug).
 */
export function newOrderFields(store: OrderStore, overrides: Partial<OrderIntent> & { producerSeq?: number; tag?: number } = {}): NewOrderFields {
  const i = intent(overrides);
  const strategy = store.strategyIds.indexOf(i.strategy);
  if (strategy < 0) throw new Error(`test store has no strategy ${i.strategy}`);
  const venue = store.venueIndex(i.venue);
  if (i.venue !== undefined && venue === NO_VENUE) throw new Error(`test store has no venue ${i.venue}`);
  return {
    strategy,
    symbol: store.instruments.get(i.symbol)!.index,
    side: i.side === 'BUY' ? BUY : SELL,
    type: TYPE_CODE[i.type],
    tif: TIF_CODE[i.timeInForce],
    postOnly: i.postOnly,
    priority: PRIORITY_CODE[i.priority],
    priceTicks: i.priceTicks,
    stopTicks: i.stopTicks,
    qtyLots: i.qtyLots,
    venue,
    clientOrderId: i.clientOrderId,
    producerSeq: overrides.producerSeq ?? 0,
    route: 0,
    parent: 0,
    algo: 0,
    paramA: 0,
    paramB: 0,
    arrivalMid: 0,
    tag: overrides.tag ?? 0,
  };
}
