/**
 * OKX spot JSON (REST orders and fills, `orders` channel pushes) -> normalised snapshots and trades. Decimals stay
 * text. Fees go through OKX's one fee rule (common/fees.ts: OKX's negative = charged becomes positive = paid). Trade ids are per
 * instrument at OKX, so they are prefixed with the instrument id ("BTC-USDT:123").
 */
import type { Instrument } from '../../src/model/instrument.js';
import { okxFee } from '../common/fees.js';
import { orderTypeOf, sideOf } from '../common/order-match.js';
import type { OrderSnapshot, TradeEvent, VenueState } from '../common/types.js';

type Json = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
const nonEmpty = (v: unknown): string | undefined => {
  const s = str(v);
  return s === undefined || s === '' ? undefined : s;
};

export function okxState(state: string | undefined, accFillSz: string): VenueState {
  switch (state) {
    case 'live':
      return /[1-9]/.test(accFillSz) ? 'PARTIALLY_FILLED' : 'OPEN';
    case 'partially_filled':
      return 'PARTIALLY_FILLED';
    case 'filled':
      return 'FILLED';
    case 'canceled':
    case 'mmp_canceled':
      return 'CANCELED';
    default:
      return /[1-9]/.test(accFillSz) ? 'PARTIALLY_FILLED' : 'OPEN';
  }
}

const CANCEL_SOURCE: Record<string, string> = {
  '0': 'canceled by the system',
  '1': 'canceled by the user',
  '14': 'IOC: the rest was canceled',
  '15': 'FOK: not filled in full',
  '20': 'self-trade prevention',
  '31': 'post-only order would have taken liquidity',
};

export const okxTradeId = (instId: string, id: unknown): string => `${instId}:${str(id) ?? ''}`;

export function orderSnapshot(j: Json, instrument: Instrument): OrderSnapshot {
  const filled = nonEmpty(j['accFillSz']) ?? '0';
  const state = okxState(str(j['state']), filled);
  const source = nonEmpty(j['cancelSource']);
  return {
    clientOrderId: nonEmpty(j['clOrdId']),
    venueOrderId: nonEmpty(j['ordId']),
    instrument,
    state,
    filledQty: filled,
    reason: state === 'CANCELED' && source !== undefined ? `okx ${CANCEL_SOURCE[source] ?? `cancelSource ${source}`}` : undefined,
    updatedAt: Number(j['uTime']) || undefined,
    // what the order is, for the ownership check (order-match.ts). A market order's sz is in the quote currency
    // unless tgtCcy is base_ccy (what the adapters send): then it is no base quantity to compare.
    venueSymbol: nonEmpty(j['instId']),
    side: sideOf(j['side']),
    type: orderTypeOf(nonEmpty(j['ordType'])),
    price: nonEmpty(j['ordType']) === 'market' ? undefined : nonEmpty(j['px']),
    origQty: nonEmpty(j['ordType']) === 'market' && nonEmpty(j['tgtCcy']) === 'quote_ccy' ? undefined : nonEmpty(j['sz']),
  };
}

/** The trade an `orders` channel push carries (tradeId and fillSz set), if any. */
export function pushTrade(j: Json, instrument: Instrument): TradeEvent | undefined {
  const tradeId = nonEmpty(j['tradeId']);
  const fillSz = nonEmpty(j['fillSz']);
  if (tradeId === undefined || fillSz === undefined || !/[1-9]/.test(fillSz)) return undefined;
  return {
    clientOrderId: nonEmpty(j['clOrdId']),
    venueOrderId: nonEmpty(j['ordId']),
    instrument,
    tradeId: okxTradeId(str(j['instId']) ?? instrument.symbol, tradeId),
    price: str(j['fillPx']) ?? '',
    qty: fillSz,
    fee: okxFee(j['fillFee'], j['fillFeeCcy'], instrument),
    liquidity: j['execType'] === 'M' ? 'MAKER' : 'TAKER',
    ts: Number(j['fillTime']) || 0,
  };
}

/** A trade from GET /trade/fills. */
export function restFill(j: Json, instrument: Instrument): TradeEvent {
  return {
    clientOrderId: nonEmpty(j['clOrdId']),
    venueOrderId: nonEmpty(j['ordId']),
    instrument,
    tradeId: okxTradeId(str(j['instId']) ?? instrument.symbol, j['tradeId']),
    price: str(j['fillPx']) ?? '',
    qty: str(j['fillSz']) ?? '',
    fee: okxFee(j['fee'], j['feeCcy'], instrument),
    liquidity: j['execType'] === 'M' ? 'MAKER' : 'TAKER',
    ts: Number(j['fillTime'] ?? j['ts']) || 0,
  };
}
