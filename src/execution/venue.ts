import type { Instrument } from '../model/instrument.js';
import type { OrderId } from '../model/ids.js';
import type { OrderTerms, OrderType, Side, TimeInForce, TradeTerms } from '../model/order.js';

/**
 * The one interface every venue adapter implements (paper, ccxt, native websockets). Adapters see only the model
 * and this file. New orders go out in batches; everything the venue says comes back as ExecutionReports through
 * the ReportSink given at construction, in the order the venue said it.
 */

/**
 * A batch of new orders, handed over as a view on the daemon's order store: nothing is allocated per order on the
 * way to the adapter. The view is reused for the next batch as soon as `submit` returns, so an adapter reads (and
 * copies) everything it needs before returning. `toVenueOrders` makes plain objects for adapters that prefer them.
 */
export interface OrderBatch {
  readonly count: number;
  orderId(i: number): OrderId;
  clientOrderId(i: number): string;
  instrument(i: number): Instrument;
  side(i: number): Side;
  type(i: number): OrderType;
  timeInForce(i: number): TimeInForce;
  postOnly(i: number): boolean;
  /** Limit price in ticks (0 for MARKET and STOP). */
  priceTicks(i: number): number;
  /** Stop price in ticks (0 unless STOP or STOP_LIMIT). */
  stopTicks(i: number): number;
  /**
   * Quantity to send, in lots: the order's unfilled rest (all of it, unless part crossed internally first).
   * Fills reported for the order count against the order's whole quantity.
   */
  qtyLots(i: number): number;
}

/** One new order as a plain object (copied out of a batch): which order, on which instrument, and its terms. */
export interface VenueOrder extends OrderTerms {
  readonly orderId: OrderId;
  readonly clientOrderId: string;
  readonly instrument: Instrument;
}

export function toVenueOrders(batch: OrderBatch): VenueOrder[] {
  const out: VenueOrder[] = new Array<VenueOrder>(batch.count);
  for (let i = 0; i < batch.count; i++) {
    out[i] = {
      orderId: batch.orderId(i),
      clientOrderId: batch.clientOrderId(i),
      instrument: batch.instrument(i),
      side: batch.side(i),
      type: batch.type(i),
      timeInForce: batch.timeInForce(i),
      postOnly: batch.postOnly(i),
      priceTicks: batch.priceTicks(i),
      stopTicks: batch.stopTicks(i),
      qtyLots: batch.qtyLots(i),
    };
  }
  return out;
}

/** A batch over plain objects (tests, replays, adapters that re-submit). */
export class ArrayOrderBatch implements OrderBatch {
  constructor(private readonly orders: readonly VenueOrder[]) {}
  get count(): number { return this.orders.length; }
  orderId(i: number): OrderId { return this.orders[i]!.orderId; }
  clientOrderId(i: number): string { return this.orders[i]!.clientOrderId; }
  instrument(i: number): Instrument { return this.orders[i]!.instrument; }
  side(i: number): Side { return this.orders[i]!.side; }
  type(i: number): OrderType { return this.orders[i]!.type; }
  timeInForce(i: number): TimeInForce { return this.orders[i]!.timeInForce; }
  postOnly(i: number): boolean { return this.orders[i]!.postOnly; }
  priceTicks(i: number): number { return this.orders[i]!.priceTicks; }
  stopTicks(i: number): number { return this.orders[i]!.stopTicks; }
  qtyLots(i: number): number { return this.orders[i]!.qtyLots; }
}

export interface CancelRequest {
  readonly orderId: OrderId;
  readonly clientOrderId: string;
  readonly venueOrderId: string | undefined;
  readonly instrument: Instrument;
}

/**
 * Change an acknowledged order's limit price and/or quantity (VenueAdapter.amend). Terms are the daemon's: `qtyLots`
 * is the order's new TOTAL quantity (fills included; always above `filledLots`), `filledLots` what the daemon has
 * seen filled when it asked. An adapter turns that into the venue's own terms — OKX newSz = the venue order's new total
 * (what it filled + the new rest); a cancel-replace venue's new order = the new rest (qtyLots - filledLots).
 * The answer arrives as AMENDED (the new terms are in force, with the new ids when they changed) or AMEND_REJECTED
 * (the old terms hold), in order with the order's other reports. A request whose outcome is unknown (5xx, timeout,
 * reset) is resolved by looking the order up, never guessed.
 */
export interface AmendRequest {
  readonly orderId: OrderId;
  readonly clientOrderId: string;
  readonly venueOrderId: string | undefined;
  readonly instrument: Instrument;
  readonly side: Side;
  readonly type: OrderType;
  readonly timeInForce: TimeInForce;
  readonly postOnly: boolean;
  /** The terms in force now. */
  readonly oldPriceTicks: number;
  readonly oldQtyLots: number;
  /** The terms asked for: the new limit price (the old one when unchanged) and the new total quantity. */
  readonly priceTicks: number;
  readonly qtyLots: number;
  readonly filledLots: number;
  /**
   * The client order id a replacement order carries when the venue amends by cancel-replace (Binance): chosen and
   * journaled by the daemon with the request (after a restart it can be looked up). Venues that amend in place
   * keep the order's ids and ignore it.
   */
  readonly newClientOrderId: string;
}

export type ExecutionReport =
  | { readonly kind: 'ACCEPTED'; readonly orderId: OrderId; readonly venueOrderId: string }
  | { readonly kind: 'REJECTED'; readonly orderId: OrderId; readonly reason: string }
  | FillReport
  | { readonly kind: 'CANCELED'; readonly orderId: OrderId; readonly reason?: string }
  | { readonly kind: 'CANCEL_REJECTED'; readonly orderId: OrderId; readonly reason: string }
  | { readonly kind: 'EXPIRED'; readonly orderId: OrderId; readonly reason?: string }
  | { readonly kind: 'TRIGGERED'; readonly orderId: OrderId }
  /**
   * The venue confirmed an amend: the terms now in force (daemon terms: price, new total quantity) and, when the venue
   * order carrying the order changed (a cancel-replace), its new venue order id and client order id.
   */
  | {
    readonly kind: 'AMENDED'; readonly orderId: OrderId; readonly priceTicks: number; readonly qtyLots: number;
    readonly venueOrderId?: string | undefined; readonly clientOrderId?: string | undefined;
  }
  /** The venue refused the amend, or it could not apply (filled or canceled meanwhile): the old terms hold. */
  | { readonly kind: 'AMEND_REJECTED'; readonly orderId: OrderId; readonly reason: string };

/** A trade of one of our orders, as the venue reported it. */
export interface FillReport extends TradeTerms {
  readonly kind: 'FILL';
  readonly orderId: OrderId;
  /** The venue's own time of the trade (epoch ms); 0 when the venue did not say. */
  readonly venueTs: number;
}

/** Whether the router may send new orders to a venue (its circuit breaker is closed or half-open). */
export type VenueHealth = 'UP' | 'DOWN';

export interface ReportSink {
  report(venue: string, report: ExecutionReport): void;
  /**
   * true: `report` reads the report during the call only and keeps no reference to it (nor to anything it hands
   * the report to), so a venue may hand it the same object again, rewritten, for its next report (the paper venue's
   * fills and accepts: no object per report). Absent or false: every report must be a new object.
   */
  readonly readsReportsOnce?: boolean;
  /** The venue became usable or unusable for new orders (circuit breaker, lost connection, ban). */
  health?(venue: string, health: VenueHealth, reason?: string): void;
}

/** What a venue knows about one order, for reconciliation and for resolving unknown submit outcomes. */
export interface VenueOrderStatus {
  readonly clientOrderId: string;
  readonly venueOrderId: string;
  readonly instrument: Instrument;
  readonly state: 'OPEN' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED' | 'REJECTED' | 'EXPIRED';
  readonly filledLots: number;
  // What the order is, as the venue states it (undefined when it does not say, or when a value is off the
  // instrument grid). A client order id is unique only among a venue account's open orders, so an order found under
  // ours is taken as ours only when these are what we sent (reconciliation.ts; adapters/common/order-match.ts).
  readonly side?: Side | undefined;
  /** LIMIT or MARKET when the venue's type is one of ours, else the venue's own text. */
  readonly type?: string | undefined;
  /** Limit price in ticks (undefined for market orders). */
  readonly priceTicks?: number | undefined;
  /** The quantity the order was placed with, in lots. */
  readonly qtyLots?: number | undefined;
  /** Whether the venue's symbol is the instrument's (undefined when the venue does not say). */
  readonly symbolMatches?: boolean | undefined;
}

export interface VenueFill extends TradeTerms {
  /** The client order id of the venue order that traded ('' when unknown). Not proof of ownership: see venueOrderId. */
  readonly clientOrderId: string;
  /**
   * The venue's id of the order that traded ('' when the venue did not say). A client order id is unique only among
   * a venue account's open orders, so another program with the same keys may have traded under ours at another time:
   * a fill belongs to our order only if this is the venue order id our order is bound to (reconciliation.ts).
   */
  readonly venueOrderId: string;
  readonly instrument: Instrument;
  /** The venue's own time of the trade (epoch ms); 0 when the venue did not say. */
  readonly ts: number;
}

export interface VenueAdapter {
  readonly name: string;
  /** Connect, load markets; resolves when orders may be sent. */
  start(): Promise<void>;
  /** Hand a batch of new orders to the venue. Never throws: failures arrive as REJECTED reports. */
  submit(batch: OrderBatch): void;
  /** Ask for a cancel. The answer arrives as CANCELED or CANCEL_REJECTED. */
  cancel(request: CancelRequest): void;
  /**
   * How many cancels at venues `cancel` sends for the open order in `slot` (not PENDING_CANCEL): what the strategies'
   * cancel rate counts. Omitted: one, the adapter's own. The internal crossing book sends none (it answers in the
   * daemon); the daemon's parents (`smart`) send their open children's.
   */
  venueCancels?(slot: number): number;
  /**
   * Change an acknowledged order's price and/or quantity (see AmendRequest). The answer arrives as AMENDED or
   * AMEND_REJECTED; never two live venue orders for the order (a cancel-replace places the new one only once the old
   * one is canceled). Omitted by adapters that cannot amend: the daemon refuses the amend (ORDER_NOT_AMENDABLE).
   */
  amend?(request: AmendRequest): void;
  /** Stop timers and connections. Reports may still arrive until it resolves. */
  stop(): Promise<void>;
  /**
   * Take charge of an order placed before a restart (reconciliation found it open at the venue): from now on its
   * reports reach the sink with this order id.
   */
  adopt?(order: { readonly orderId: OrderId; readonly clientOrderId: string; readonly instrument: Instrument; readonly venueOrderId?: string | undefined; readonly qtyLots?: number }): void;
  /**
   * The order with this client order id, or null when the venue has no such order. `venueOrderId`: the venue order
   * id the order is bound to, when known — it is then looked up by that id (a client order id is unique only among
   * open orders: once ours has closed, another program's order may hold it).
   */
  lookup?(clientOrderId: string, instrument: Instrument, venueOrderId?: string): Promise<VenueOrderStatus | null>;
  /**
   * How long after it was sent a request that got no answer may still execute at the venue (the venue's own window,
   * e.g. Binance recvWindow or OKX expTime, plus clock skew). Before then, "not found" proves nothing: an order is
   * sent again (after a restart) or given up (REJECTED VENUE_TIMEOUT) only once it has passed. The one definition:
   * reconciliation asks the adapter. Omitted by in-process venues (paper, internal crossing), which have no window.
   */
  validityWindowMs?(): number;
  /** Orders open at the venue (for reconciliation after a restart or reconnect). */
  openOrders?(instruments: readonly Instrument[]): Promise<VenueOrderStatus[]>;
  /**
   * How many more new orders of `instrument` the venue's rate limits take now without waiting (0 while paused or
   * banned). Smart routes skip a venue with none. Omitted by in-process venues (no limit).
   */
  headroom?(instrument: Instrument): number;
  /** Fills at or after `sinceMs` (epoch ms), oldest first. */
  fillsSince?(sinceMs: number, instruments: readonly Instrument[]): Promise<VenueFill[]>;
  /**
   * The account's balances at the venue, per currency (decimal texts: `free` = available for new orders, `total` =
   * free + locked in open orders). Read through the adapter's rate limiter; venue failures count for its breaker.
   * Omitted by in-process venues (a paper venue's balances come from its configuration: src/risk/venue-balances.ts).
   */
  balances?(): Promise<ReadonlyMap<string, VenueBalance>>;
}

/** One currency of a venue account (VenueAdapter.balances): canonical decimal texts. */
export interface VenueBalance {
  readonly free: string;
  readonly total: string;
}
