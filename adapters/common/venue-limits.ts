/**
 * Rate-limit pools of Binance spot and OKX spot, with the venues' published defaults, shared by the ccxt adapter and
 * the native ones (one venue, one set of limits, whichever transport). YAML `rateLimits` overrides the defaults;
 * for Binance the limits the venue advertises in exchangeInfo are applied at start (the lower of YAML and venue).
 */
import type { Instrument } from '../../src/model/instrument.js';
import type { Cost, PoolSpec } from './window-pool.js';

/** YAML `venues[].rateLimits` (all optional; only the keys of the venue's exchange apply). */
export interface RateLimitOverrides {
  readonly requestWeightPerMinute?: number | undefined;
  readonly ordersPer10s?: number | undefined;
  readonly ordersPerDay?: number | undefined;
  readonly placeOrderPerWindow?: number | undefined;
  readonly batchOrdersPerWindow?: number | undefined;
  readonly cancelOrderPerWindow?: number | undefined;
  readonly readsPerWindow?: number | undefined;
  readonly windowMs?: number | undefined;
}

export const BINANCE_LIMITS = { requestWeightPerMinute: 6000, ordersPer10s: 100, ordersPerDay: 200_000 } as const;
export const OKX_LIMITS = { placeOrderPerWindow: 60, batchOrdersPerWindow: 300, cancelOrderPerWindow: 60, readsPerWindow: 20, windowMs: 2000 } as const;

// ------------------------------------------------------------------------------------------------ Binance

export function binancePools(o: RateLimitOverrides = {}): PoolSpec[] {
  return [
    { name: 'weight', limit: o.requestWeightPerMinute ?? BINANCE_LIMITS.requestWeightPerMinute, windowMs: 60_000 },
    { name: 'orders10s', limit: o.ordersPer10s ?? BINANCE_LIMITS.ordersPer10s, windowMs: 10_000 },
    { name: 'ordersDay', limit: o.ordersPerDay ?? BINANCE_LIMITS.ordersPerDay, windowMs: 86_400_000 },
  ];
}

/** Request weights of the Binance spot calls the adapters make (REST and WebSocket API weigh the same). */
export const BINANCE_WEIGHT = {
  place: 1,
  cancel: 1,
  order: 4,
  openOrders: 6,
  myTrades: 20,
  myTradesByOrder: 5,
  exchangeInfo: 20,
  userDataSubscribe: 2,
  /** GET /api/v3/account. */
  account: 20,
} as const;

export const binancePlaceCosts = (orders: number): Cost[] => [
  { pool: 'weight', n: BINANCE_WEIGHT.place * orders },
  { pool: 'orders10s', n: orders },
  { pool: 'ordersDay', n: orders },
];

export const binanceWeight = (n: number): Cost[] => [{ pool: 'weight', n }];

/**
 * Limits from exchangeInfo.rateLimits (REQUEST_WEIGHT per MINUTE, ORDERS per 10 SECOND and per DAY), each the lower
 * of the venue's and the YAML override.
 */
export function binanceAdvertisedLimits(rateLimits: unknown, o: RateLimitOverrides = {}): Record<string, number> {
  const out: Record<string, number> = {};
  if (!Array.isArray(rateLimits)) return out;
  const min = (a: number | undefined, b: number): number => (a === undefined ? b : Math.min(a, b));
  for (const r of rateLimits as Array<Record<string, unknown>>) {
    const type = r['rateLimitType'];
    const interval = r['interval'];
    const num = Number(r['intervalNum']);
    const limit = Number(r['limit']);
    if (!(limit >= 1)) continue;
    if (type === 'REQUEST_WEIGHT' && interval === 'MINUTE' && num === 1) out['weight'] = min(o.requestWeightPerMinute, limit);
    if (type === 'ORDERS' && interval === 'SECOND' && num === 10) out['orders10s'] = min(o.ordersPer10s, limit);
    if (type === 'ORDERS' && interval === 'DAY' && num === 1) out['ordersDay'] = min(o.ordersPerDay, limit);
  }
  return out;
}

/** Pool of a Binance usage header (lower-cased name) or ws-api rateLimits entry. */
export function binanceUsagePool(type: string, interval: string, num: number): string | undefined {
  if (type === 'REQUEST_WEIGHT' && interval === 'MINUTE' && num === 1) return 'weight';
  if (type === 'ORDERS' && interval === 'SECOND' && num === 10) return 'orders10s';
  if (type === 'ORDERS' && interval === 'DAY' && num === 1) return 'ordersDay';
  return undefined;
}

/** X-MBX-USED-WEIGHT-1M / X-MBX-ORDER-COUNT-10S / -1D header -> pool. */
export function binanceHeaderPool(name: string): string | undefined {
  switch (name.toLowerCase()) {
    case 'x-mbx-used-weight-1m':
      return 'weight';
    case 'x-mbx-order-count-10s':
      return 'orders10s';
    case 'x-mbx-order-count-1d':
      return 'ordersDay';
    default:
      return undefined;
  }
}

// ------------------------------------------------------------------------------------------------ OKX

export function okxPools(o: RateLimitOverrides = {}): PoolSpec[] {
  const windowMs = o.windowMs ?? OKX_LIMITS.windowMs;
  const reads = o.readsPerWindow ?? OKX_LIMITS.readsPerWindow;
  return [
    { name: 'place', limit: o.placeOrderPerWindow ?? OKX_LIMITS.placeOrderPerWindow, windowMs },
    { name: 'batch', limit: o.batchOrdersPerWindow ?? OKX_LIMITS.batchOrdersPerWindow, windowMs },
    { name: 'cancel', limit: o.cancelOrderPerWindow ?? OKX_LIMITS.cancelOrderPerWindow, windowMs },
    { name: 'readOrder', limit: reads, windowMs },
    { name: 'readPending', limit: reads, windowMs },
    { name: 'readFills', limit: Math.min(reads, 10), windowMs },
    // GET account/balance: 10 requests per 2 s
    { name: 'readBalance', limit: Math.min(reads, 10), windowMs },
    { name: 'readPublic', limit: reads, windowMs },
  ];
}

/** A single order goes through trade/order ('place'); several through batch-orders ('batch', per instrument, per order). */
export function okxPlaceCosts(orders: readonly { readonly instrument: Instrument }[]): Cost[] {
  if (orders.length === 1) return [{ pool: `place:${orders[0]!.instrument.symbol}`, n: 1 }];
  const per = new Map<string, number>();
  for (const o of orders) per.set(o.instrument.symbol, (per.get(o.instrument.symbol) ?? 0) + 1);
  return [...per].map(([symbol, n]) => ({ pool: `batch:${symbol}`, n }));
}

export const okxCancelCosts = (instrument: Instrument): Cost[] => [{ pool: `cancel:${instrument.symbol}`, n: 1 }];
