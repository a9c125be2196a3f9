/**
 * ccxt unified orders and trades -> normalised snapshots and trades. ccxt parses venue decimals into JS numbers;
 * each is turned back into its shortest round-trip decimal text (what the venue sent, for ordinary values) and then
 * converted exactly by the Instrument: anything off the grid is refused, never rounded.
 */
import type { Instrument } from '../../src/model/instrument.js';
import { decimalText } from '../common/decimal-text.js';
import type { OrderSnapshot, TradeEvent, VenueState } from '../common/types.js';

/** The parts of a ccxt Order the adapter reads. */
export interface CcxtOrder {
  id?: string;
  clientOrderId?: string;
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
  };
}

export function tradeEvent(t: CcxtTrade, instrument: Instrument, marketId: string, clientOrderId: string | undefined): TradeEvent {
  const feeAmount = t.fee?.cost === undefined ? undefined : decimalText(t.fee.cost);
  return {
    clientOrderId: clientOrderId ?? t.clientOrderId,
    venueOrderId: t.order,
    instrument,
    tradeId: `${marketId}:${t.id ?? ''}`,
    price: decimalText(t.price) ?? '',
    qty: decimalText(t.amount) ?? '',
    fee: feeAmount !== undefined && t.fee?.currency !== undefined ? { amount: feeAmount, currency: t.fee.currency } : undefined,
    liquidity: t.takerOrMaker === 'maker' ? 'MAKER' : 'TAKER',
    ts: t.timestamp ?? 0,
  };
}
