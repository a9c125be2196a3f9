import type { OrderId } from './ids.js';
import type { ErrorCode } from './errors.js';

export type Side = 'BUY' | 'SELL';
export const SIDES: readonly Side[] = ['BUY', 'SELL'];

/**
 * LIMIT rests at its price; MARKET takes what is there; STOP/STOP_LIMIT wait for the last trade price to cross their
 * stop price; TRAILING_STOP is a stop whose trigger follows the best trade price since it was placed, at its trailing
 * offset (held by the daemon: see src/parents/stop-emulation.ts).
 */
export type OrderType = 'LIMIT' | 'MARKET' | 'STOP' | 'STOP_LIMIT' | 'TRAILING_STOP';
export const ORDER_TYPES: readonly OrderType[] = ['LIMIT', 'MARKET', 'STOP', 'STOP_LIMIT', 'TRAILING_STOP'];

/** An execution algorithm on a parent order: TWAP slices over a horizon, or an iceberg showing part of its size. */
export type AlgoSpec =
  | { readonly kind: 'TWAP'; readonly horizonMs: number; readonly intervalMs: number }
  | { readonly kind: 'ICEBERG'; readonly displayLots: number };

/** GTC rests; IOC cancels what does not fill at once; FOK fills all at once or nothing. */
export type TimeInForce = 'GTC' | 'IOC' | 'FOK';
export const TIME_IN_FORCES: readonly TimeInForce[] = ['GTC', 'IOC', 'FOK'];

/**
 * How an order is routed: `table` (the symbol's weighted 256-slot table), `best` (the whole order to the venue with the
 * best fee-adjusted average price for its full size) or `sweep` (split across venues by walking their books).
 */
export type Route = 'table' | 'best' | 'sweep';
export const ROUTES: readonly Route[] = ['table', 'best', 'sweep'];

/** HIGH: cancels and risk-reducing orders; drained first by the dispatcher. */
export type Priority = 'HIGH' | 'NORMAL' | 'LOW';
export const PRIORITIES: readonly Priority[] = ['HIGH', 'NORMAL', 'LOW'];

export type OrderState =
  | 'CREATED'
  | 'DENIED'
  | 'SUBMITTED'
  | 'ACCEPTED'
  | 'PARTIALLY_FILLED'
  | 'FILLED'
  | 'PENDING_CANCEL'
  | 'CANCELED'
  | 'REJECTED'
  | 'EXPIRED'
  | 'TRIGGERED'
  | 'PENDING_UPDATE';

/** The order of the state codes (the order store and the rings keep states as their index: new states go last). */
export const ORDER_STATES: readonly OrderState[] = [
  'CREATED', 'DENIED', 'SUBMITTED', 'ACCEPTED', 'PARTIALLY_FILLED', 'FILLED',
  'PENDING_CANCEL', 'CANCELED', 'REJECTED', 'EXPIRED', 'TRIGGERED', 'PENDING_UPDATE',
];

/**
 * The index of a state in ORDER_STATES (its code in the order store and the rings). A switch over the interned names:
 * on the per-transition paths it is a few pointer comparisons, where a keyed lookup (`table[state]`) with many
 * different names goes through V8's megamorphic property cache.
 */
export function stateIndex(state: OrderState): number {
  switch (state) {
    case 'CREATED': return 0;
    case 'DENIED': return 1;
    case 'SUBMITTED': return 2;
    case 'ACCEPTED': return 3;
    case 'PARTIALLY_FILLED': return 4;
    case 'FILLED': return 5;
    case 'PENDING_CANCEL': return 6;
    case 'CANCELED': return 7;
    case 'REJECTED': return 8;
    case 'EXPIRED': return 9;
    case 'TRIGGERED': return 10;
    case 'PENDING_UPDATE': return 11;
  }
}

/** States in which the order may still trade (it is in a queue, the crossing book or at a venue). */
export const OPEN_STATES: ReadonlySet<OrderState> = new Set<OrderState>([
  'CREATED', 'SUBMITTED', 'ACCEPTED', 'PARTIALLY_FILLED', 'PENDING_CANCEL', 'TRIGGERED', 'PENDING_UPDATE',
]);

/** OPEN_STATES.has(state), as comparisons of the (interned) state names: cheaper on the per-transition paths. */
export function isOpen(state: OrderState): boolean {
  return state === 'ACCEPTED' || state === 'SUBMITTED' || state === 'PARTIALLY_FILLED' || state === 'CREATED'
    || state === 'PENDING_CANCEL' || state === 'PENDING_UPDATE' || state === 'TRIGGERED';
}

/**
 * The largest price in ticks (limit price, stop price, trailing offset) the core holds exactly: 2^52, the bound of the
 * matching engine that the crossing book and the paper venues run on (src/matching MAX_PRICE: its window arithmetic,
 * price +- window width, stays exact). A price past it is refused at entry, INVALID_PRICE naming the field and the
 * bound (decodeOrder, OrderIntake.submitFields for every producer, OrderIntake.amend), never passed on for a venue to
 * refuse later.
 */
export const MAX_PRICE_TICKS = 2 ** 52;
/** Its text in error messages. */
export const MAX_PRICE_TICKS_TEXT = '2^52 ticks';
/**
 * The largest quantity in lots: 2^53 - 1, the largest exact integer (and the matching engine's MAX_QTY, also the bound
 * of one price level's total there). A quantity past it is refused at entry, INVALID_QUANTITY.
 */
export const MAX_QTY_LOTS = Number.MAX_SAFE_INTEGER;
/** Its text in error messages. */
export const MAX_QTY_LOTS_TEXT = '2^53 - 1 lots';

/** Why a price of `field` past MAX_PRICE_TICKS is refused (INVALID_PRICE), with the bound in ticks and in the quote currency. */
export function priceBoundMessage(field: string, maxPriceText: string, quote: string): string {
  return `${field} is above the largest price the core holds exactly, ${MAX_PRICE_TICKS_TEXT} (${maxPriceText} ${quote})`;
}

/** Why a quantity past MAX_QTY_LOTS is refused (INVALID_QUANTITY), with the bound in lots and in the base currency. */
export function quantityBoundMessage(maxQtyText: string, base: string): string {
  return `quantity is above the largest quantity the core holds exactly, ${MAX_QTY_LOTS_TEXT} (${maxQtyText} ${base})`;
}

/**
 * What an order asks a market for, in integers: the one list of these fields, shared by the order request
 * (OrderIntent, Order), the order as handed to a venue (VenueOrder, src/execution/venue.ts) and an adapter's record
 * of it (TrackedOrder, adapters/common/order-ledger.ts).
 */
export interface OrderTerms {
  readonly side: Side;
  readonly type: OrderType;
  readonly timeInForce: TimeInForce;
  readonly postOnly: boolean;
  /** Limit price in ticks (0 for MARKET and STOP). */
  readonly priceTicks: number;
  /** Stop price in ticks (0 unless STOP or STOP_LIMIT). */
  readonly stopTicks: number;
  readonly qtyLots: number;
}

/** A validated order request, integers already (produced at the edge by the order decoder). */
export interface OrderIntent extends OrderTerms {
  readonly strategy: string;
  readonly symbol: string;
  readonly priority: Priority;
  /** Client order id given by the client, or undefined for one made by the daemon. */
  readonly clientOrderId: string | undefined;
  /** Venue pinned by the client, bypassing the routing table. */
  readonly venue: string | undefined;
  /** The route asked for; undefined = the strategy's configured route for the symbol. */
  readonly route?: Route | undefined;
  /** TRAILING_STOP: how far (ticks) the trigger stays behind the best trade price seen. */
  readonly trailingOffsetTicks?: number | undefined;
  /** An execution algorithm (the order becomes its parent). */
  readonly algo?: AlgoSpec | undefined;
}

/**
 * What a trade was, in integers: the one list of these fields, shared by Fill, the FILL execution report and
 * VenueFill (src/execution/venue.ts).
 */
export interface TradeTerms {
  /** Unique per venue; a trade id already seen on the order is recognised and ignored by the lifecycle. */
  readonly tradeId: string;
  readonly priceTicks: number;
  readonly qtyLots: number;
  /**
   * Fee in `feeCurrency` as decimal text: positive = paid, negative = rebate; the venue's own amount in the currency
   * it charged (never converted with a price). See adapters/common/fees.ts.
   */
  readonly fee: string;
  /**
   * Currency of the fee as the venue charged it (base, quote or a third one such as BNB). '' only in fills journaled
   * before fee currencies were recorded: those fees were in the quote currency.
   */
  readonly feeCurrency: string;
  /** The venue reported no fee: `fee` is an estimate from the configured bps (quote). */
  readonly feeEstimated?: boolean;
  readonly liquidity: 'MAKER' | 'TAKER';
}

/** One execution (ours or the venue's), in integers. */
export interface Fill extends TradeTerms {
  readonly orderId: OrderId;
  readonly venue: string;
  /** When the daemon received the fill (its clock): the order's update time. */
  readonly ts: number;
  /** The venue's own time of the trade (epoch ms); 0 when unknown (the venue did not say, or an old journal). */
  readonly venueTs: number;
}

/** The order as the tracker holds it. Mutable only through the lifecycle (src/model/lifecycle.ts). */
export interface Order extends OrderIntent {
  readonly id: OrderId;
  /**
   * The order's terms in force: what its venue confirmed. An amend changes them only when the venue confirms it
   * (AMENDED), or when a fill proves it (more filled than the old quantity).
   */
  priceTicks: number;
  qtyLots: number;
  /** The client order id the order is bound to at its venue: a cancel-replace amend (Binance) binds it to a new one. */
  clientOrderId: string;
  /**
   * While an amend is pending (PENDING_UPDATE, or PENDING_CANCEL with stateBeforeCancel PENDING_UPDATE): the terms
   * asked for (price, new total quantity). After an amend was confirmed: the terms it replaced. 0 = none yet.
   */
  amendPriceTicks: number;
  amendQtyLots: number;
  /**
   * The client order id a replacement order carries if the venue amends by cancel-replace (Binance): chosen with the
   * amend request and journaled with it, so that after a restart the venue can be asked about both ids. '' = none.
   */
  amendClientOrderId: string;
  readonly createdAt: number;
  state: OrderState;
  venue: string | undefined;
  venueOrderId: string | undefined;
  filledLots: number;
  /** Sum of priceTicks x qtyLots over fills: average price = filledNotional / filledLots. */
  filledNotional: number;
  /** Set once a stop has been released. */
  triggered: boolean;
  /** Price (ticks) at which pre-trade risk reserved the order's notional; 0 while nothing is reserved. */
  riskPriceTicks: number;
  /** Where a refused cancel returns the order to (set while PENDING_CANCEL). */
  stateBeforeCancel: OrderState | undefined;
  /** Why the order was denied, rejected, canceled or expired. */
  reason: ErrorCode | string | undefined;
  updatedAt: number;
  /** The venue trades applied (venue + NUL + trade id): a duplicate fill is recognised by them. */
  readonly tradeIds: Set<string>;
  /** Whether `key` (venue + NUL + trade id) is among tradeIds (never makes a set: most orders fill once). */
  hasTradeId(key: string): boolean;
  addTradeId(key: string): void;
  /** A child order's parent (a slice of a sweep); 0 or absent for an order of its own. */
  readonly parentId?: number;
}

/** A new order in CREATED. Fields are written out (no spread): this runs once per order on the intake path. */
export function newOrder(id: OrderId, clientOrderId: string, intent: OrderIntent, now: number): Order {
  return {
    strategy: intent.strategy,
    symbol: intent.symbol,
    side: intent.side,
    type: intent.type,
    timeInForce: intent.timeInForce,
    postOnly: intent.postOnly,
    priceTicks: intent.priceTicks,
    stopTicks: intent.stopTicks,
    qtyLots: intent.qtyLots,
    priority: intent.priority,
    id,
    clientOrderId,
    createdAt: now,
    state: 'CREATED',
    venue: intent.venue,
    venueOrderId: undefined,
    filledLots: 0,
    filledNotional: 0,
    triggered: false,
    stateBeforeCancel: undefined,
    riskPriceTicks: 0,
    amendPriceTicks: 0,
    amendQtyLots: 0,
    amendClientOrderId: '',
    reason: undefined,
    updatedAt: now,
    tradeIds: new Set(),
    hasTradeId(key: string): boolean {
      return this.tradeIds.has(key);
    },
    addTradeId(key: string): void {
      this.tradeIds.add(key);
    },
  };
}
