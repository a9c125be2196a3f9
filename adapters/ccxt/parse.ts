/**
 * ccxt unified orders and trades -> normalised snapshots and trades. ccxt parses venue decimals into JS numbers;
 * each is turned back into its shortest round-trip decimal text (what the venue sent, for ordinary values) and then
 * converted exactly by the Instrument: anything off the grid is refused, never rounded.
 */
import type { Instrument } from '../../src/model/instrument.js';
import { decimalText } from '../../src/model/decimal.js';
import { ccxtTradeFee } from '../common/fees.js';
import { orderTypeOf, sideOf } from '../common/order-match.js';
import type { OrderSnapshot, TradeEvent, VenueState } from '../common/types.js';

/** The parts of a ccxt Order the adapter reads. */
export interface CcxtOrder {
  id?: string;
  clientOrderId?: string;
  symbol?: string;
  side?: string;
  type?: string;
  price?: number;
  amount?: number;
  status?: string;
  filled?: number;
  lastUpdateTimestamp?: number;
  trades?: CcxtTrade[];
  info?: Record<string, unknown>;
}

/** The parts of a ccxt Trade the adapter reads. */
export interface CcxtTrade {
  id?: string;
  order?: string;
  symbol?: string;
  price?: number;
  amount?: number;
  timestamp?: number;
  takerOrMaker?: string;
  fee?: { cost?: number; currency?: string };
  clientOrderId?: string;
  info?: Record<string, unknown>;
}

export function ccxtState(status: string | undefined, filled: string): VenueState | undefined {
  switch (status) {
    case 'open':
      return /[1-9]/.test(filled) ? 'PARTIALLY_FILLED' : 'OPEN';
    case 'closed':
      return 'FILLED';
    case 'canceled':
      return 'CANCELED';
    case 'expired':
      return 'EXPIRED';
    case 'rejected':
      return 'REJECTED';
    default:
      return undefined;
  }
}

/** A snapshot, or undefined when ccxt does not know the status (OKX acknowledgements). */
export function orderSnapshot(o: CcxtOrder, instrument: Instrument): OrderSnapshot | undefined {
  const filled = decimalText(o.filled ?? 0) ?? '0';
  const state = ccxtState(o.status, filled);
  if (state === undefined) return undefined;
  return {
    clientOrderId: o.clientOrderId,
    venueOrderId: o.id,
    instrument,
    state,
    filledQty: filled,
    updatedAt: o.lastUpdateTimestamp,
    // what the order is (ccxt's unified fields; compared with what we sent before adopting it: order-match.ts)
    venueSymbol: o.symbol,
    side: sideOf(o.side),
    type: orderTypeOf(o.type),
    price: decimalText(o.price),
    origQty: decimalText(o.amount),
  };
}

/**
 * A ccxt trade as a TradeEvent. The fee is read by the venue's one fee rule (common/fees.ts) from the trade's raw
 * fields, not from ccxt's unified fee (whose sign differs between ccxt's OKX REST and pro paths).
 */
export function tradeEvent(t: CcxtTrade, instrument: Instrument, marketId: string, clientOrderId: string | undefined, exchangeId: string): TradeEvent {
  return {
    clientOrderId: clientOrderId ?? t.clientOrderId,
    venueOrderId: t.order,
    instrument,
    tradeId: `${marketId}:${t.id ?? ''}`,
    price: decimalText(t.price) ?? '',
    qty: decimalText(t.amount) ?? '',
    fee: ccxtTradeFee(exchangeId, t, instrument),
    liquidity: t.takerOrMaker === 'maker' ? 'MAKER' : 'TAKER',
    ts: t.timestamp ?? 0,
  };
}
