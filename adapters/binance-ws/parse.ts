/**
 * Binance spot JSON (REST, WebSocket API results, executionReport events) -> normalised snapshots and trades.
 * Decimals stay text. Trade ids are per symbol at Binance, so they are prefixed with the symbol id ("BTCUSDT:123").
 */
import type { Instrument } from '../../src/model/instrument.js';
import { binanceFee } from '../common/fees.js';
import { orderTypeOf, sideOf } from '../common/order-match.js';
import type { OrderSnapshot, TradeEvent, VenueState } from '../common/types.js';

type Json = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

export function binanceState(status: string | undefined, executedQty: string): VenueState {
  switch (status) {
    case 'NEW':
    case 'PENDING_NEW':
    case 'PENDING_CANCEL':
      return /[1-9]/.test(executedQty) ? 'PARTIALLY_FILLED' : 'OPEN';
    case 'PARTIALLY_FILLED':
      return 'PARTIALLY_FILLED';
    case 'FILLED':
      return 'FILLED';
    case 'CANCELED':
      return 'CANCELED';
    case 'REJECTED':
      return 'REJECTED';
    case 'EXPIRED':
    case 'EXPIRED_IN_MATCH':
      return 'EXPIRED';
    default:
      return /[1-9]/.test(executedQty) ? 'PARTIALLY_FILLED' : 'OPEN';
  }
}

export const binanceTradeId = (symbolId: string, id: unknown): string => `${symbolId}:${str(id) ?? ''}`;

/** An order from GET /order, GET /openOrders, order.place / order.cancel results (cancel: origClientOrderId). */
export function orderSnapshot(j: Json, instrument: Instrument): OrderSnapshot {
  const executed = str(j['executedQty']) ?? '0';
  const status = str(j['status']);
  return {
    clientOrderId: str(j['origClientOrderId']) ?? str(j['clientOrderId']),
    venueOrderId: str(j['orderId']),
    instrument,
    state: binanceState(status, executed),
    filledQty: executed,
    reason: status === 'EXPIRED' || status === 'EXPIRED_IN_MATCH' ? `binance ${status} (${str(j['timeInForce']) ?? ''} ${str(j['type']) ?? ''})`.trim() : undefined,
    updatedAt: typeof j['updateTime'] === 'number' ? j['updateTime'] : undefined,
    ...orderFields(str(j['symbol']), j['side'], str(j['type']), str(j['price']), str(j['origQty'])),
  };
}

/** What the order is (symbol, side, type, limit price, original quantity), for the ownership check (order-match.ts). */
function orderFields(symbol: string | undefined, side: unknown, venueType: string | undefined, price: string | undefined, origQty: string | undefined) {
  const type = orderTypeOf(venueType);
  // a MARKET order's price field is 0 at Binance: there is no limit price
  return { venueSymbol: symbol, side: sideOf(side), type, price: type === 'MARKET' ? undefined : price, origQty };
}

/** Fills carried by a FULL order.place / POST order answer (taker fills at placement). */
export function placeFills(j: Json, instrument: Instrument, symbolId: string): TradeEvent[] {
  const fills = Array.isArray(j['fills']) ? (j['fills'] as Json[]) : [];
  // The venue's time of the trade (the answer's transactTime); 0 = the venue did not say (never our own clock).
  const ts = typeof j['transactTime'] === 'number' ? j['transactTime'] : 0;
  return fills.map((f) => ({
    clientOrderId: str(j['clientOrderId']),
    venueOrderId: str(j['orderId']),
    instrument,
    tradeId: binanceTradeId(symbolId, f['tradeId']),
    price: str(f['price']) ?? '',
    qty: str(f['qty']) ?? '',
    fee: binanceFee(f['commission'], f['commissionAsset'], instrument),
    liquidity: 'TAKER' as const,
    ts,
  }));
}

/** A trade from GET /myTrades (no client order id: the order id maps it). */
export function myTrade(j: Json, instrument: Instrument, symbolId: string): TradeEvent {
  return {
    clientOrderId: undefined,
    venueOrderId: str(j['orderId']),
    instrument,
    tradeId: binanceTradeId(symbolId, j['id']),
    price: str(j['price']) ?? '',
    qty: str(j['qty']) ?? '',
    fee: binanceFee(j['commission'], j['commissionAsset'], instrument),
    liquidity: j['isMaker'] === true ? 'MAKER' : 'TAKER',
    ts: typeof j['time'] === 'number' ? j['time'] : 0,
  };
}

/**
 * An executionReport event: the order's state, and its trade when x is TRADE. On a cancel, `c` is the cancel
 * request's own client id and `C` the order's.
 */
export function executionReport(ev: Json, instrument: Instrument): { snapshot: OrderSnapshot; trade: TradeEvent | undefined } {
  const original = str(ev['C']);
  const clientOrderId = original !== undefined && original !== '' ? original : str(ev['c']);
  const symbolId = str(ev['s']) ?? '';
  const venueOrderId = str(ev['i']);
  const cumulative = str(ev['z']) ?? '0';
  const status = str(ev['X']);
  const reject = str(ev['r']);
  const snapshot: OrderSnapshot = {
    clientOrderId,
    venueOrderId,
    instrument,
    state: binanceState(status, cumulative),
    filledQty: cumulative,
    reason: status === 'REJECTED' ? `VENUE_REJECTED: binance ${reject ?? 'rejected'}` : status?.startsWith('EXPIRED') === true ? `binance ${status}` : undefined,
    updatedAt: typeof ev['E'] === 'number' ? ev['E'] : undefined,
    ...orderFields(symbolId === '' ? undefined : symbolId, ev['S'], str(ev['o']), str(ev['p']), str(ev['q'])),
  };
  let trade: TradeEvent | undefined;
  if (ev['x'] === 'TRADE') {
    trade = {
      clientOrderId,
      venueOrderId,
      instrument,
      tradeId: binanceTradeId(symbolId, ev['t']),
      price: str(ev['L']) ?? '',
      qty: str(ev['l']) ?? '',
      fee: binanceFee(ev['n'], ev['N'], instrument),
      liquidity: ev['m'] === true ? 'MAKER' : 'TAKER',
      ts: typeof ev['T'] === 'number' ? ev['T'] : 0,
    };
  }
  return { snapshot, trade };
}
