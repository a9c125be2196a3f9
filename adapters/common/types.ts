/**
 * What adapters hear from venues, normalised: order snapshots and trades, with venue decimals kept as text until
 * the shared core converts them to ticks and lots through the Instrument (exactly, never rounding).
 */
import type { VenueOrder } from '../../src/execution/venue.js';
import type { Instrument } from '../../src/model/instrument.js';
import type { VenueError } from './errors.js';

export type VenueState = 'OPEN' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED' | 'REJECTED' | 'EXPIRED';

export const TERMINAL_STATES: ReadonlySet<VenueState> = new Set<VenueState>(['FILLED', 'CANCELED', 'REJECTED', 'EXPIRED']);

/** The venue's view of one order at some moment. */
export interface OrderSnapshot {
  readonly clientOrderId: string | undefined;
  readonly venueOrderId: string | undefined;
  readonly instrument: Instrument;
  readonly state: VenueState;
  /** Cumulative filled base quantity, decimal text. */
  readonly filledQty: string;
  /** Why it was canceled / expired / rejected, when the venue says. */
  readonly reason?: string | undefined;
  /** When the venue last changed it (epoch ms), when known. */
  readonly updatedAt?: number | undefined;
  // What the order is, as the venue states it (undefined when the answer does not say): compared with what we sent
  // before an order found under our client order id is taken as ours (order-match.ts). Client order ids are unique
  // only among open orders of one account, so another program with the same keys may hold the same id.
  /** The venue's symbol text as sent (Binance BTCUSDT, OKX BTC-USDT, ccxt BTC/USDT). */
  readonly venueSymbol?: string | undefined;
  readonly side?: 'BUY' | 'SELL' | undefined;
  /** LIMIT or MARKET when the venue's type is one of ours (Binance LIMIT_MAKER, OKX post_only/ioc/fok are LIMIT); else the venue's text. */
  readonly type?: string | undefined;
  /** Limit price, decimal text (undefined for market orders or when not stated). */
  readonly price?: string | undefined;
  /** Original base quantity, decimal text. */
  readonly origQty?: string | undefined;
}

/** One execution of one of our orders. */
export interface TradeEvent {
  readonly clientOrderId: string | undefined;
  readonly venueOrderId: string | undefined;
  readonly instrument: Instrument;
  /** Unique per venue: the venue's trade id prefixed with the venue's symbol id (trade ids are per symbol). */
  readonly tradeId: string;
  /** Decimal text. */
  readonly price: string;
  /** Base quantity, decimal text. */
  readonly qty: string;
  /** Fee charged (positive) or rebated (negative) as decimal text with its currency; undefined when not reported. */
  readonly fee: { readonly amount: string; readonly currency: string } | undefined;
  readonly liquidity: 'MAKER' | 'TAKER';
  readonly ts: number;
}

/** A new order as the adapters keep it (copied out of the daemon's batch view with toVenueOrders). */
export type OrderSpec = VenueOrder;

/** The answer for one order of a place request (a batch answers each entry on its own). */
export type PlaceResult =
  | { readonly kind: 'accepted'; readonly venueOrderId: string; readonly snapshot?: OrderSnapshot; readonly trades?: readonly TradeEvent[] }
  | { readonly kind: 'failed'; readonly error: VenueError };

export type CancelResult = { readonly kind: 'canceled'; readonly snapshot?: OrderSnapshot } | { readonly kind: 'failed'; readonly error: VenueError };

/** The venue's market rules for one of our instruments (from loadMarkets / exchangeInfo / instruments). */
export interface VenueMarket {
  /** Our symbol, e.g. BTC-USDT. */
  readonly symbol: string;
  readonly active: boolean;
  readonly tickSize: string;
  readonly lotSize: string;
  readonly minQty: string | undefined;
  readonly minNotional: string | undefined;
}
