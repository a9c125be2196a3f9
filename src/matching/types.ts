/**
 * Public constants and interfaces of the crossing engine (see order-book.ts for the engine itself).
 *
 * Everything here is a plain integer code so the hot path passes and compares smis only.
 * Prices are integer ticks, quantities integer lots, order ids non-negative safe integers,
 * owners non-negative int32. Nothing in this module holds mutable state.
 */

/** Order side. */
export const Side = {
  BUY: 0,
  SELL: 1,
} as const;
export type Side = (typeof Side)[keyof typeof Side];

/**
 * Order type given to `OrderBook.submit`.
 * - LIMIT: good-till-cancel; matches up to its price, the remainder rests.
 * - MARKET: matches at any price; the unfilled remainder is cancelled (MARKET_REMAINDER). `price` is ignored.
 * - IOC: limit price, the unfilled remainder is cancelled (IOC_REMAINDER).
 * - FOK: limit price, all or nothing, decided before any fill (FOK_KILL otherwise).
 * - POST_ONLY: rests only; refused (POST_ONLY_REJECT) when it would cross the opposite best.
 * - STOP: pending until triggered by the last trade price, then entered as MARKET. `price` is ignored.
 * - STOP_LIMIT: pending until triggered, then entered as LIMIT (GTC) at `price`.
 */
export const OrderType = {
  LIMIT: 0,
  MARKET: 1,
  IOC: 2,
  FOK: 3,
  POST_ONLY: 4,
  STOP: 5,
  STOP_LIMIT: 6,
} as const;
export type OrderType = (typeof OrderType)[keyof typeof OrderType];

/**
 * Self-trade prevention mode of the incoming (taker) order; applies when the resting maker has the same owner.
 * - NONE: trade normally.
 * - CANCEL_NEWEST: cancel the taker's remainder, keep the maker, stop matching.
 * - CANCEL_OLDEST: cancel the maker, keep matching.
 * - CANCEL_BOTH: cancel the maker and the taker's remainder.
 * - DECREMENT: reduce both by the smaller quantity without a trade; whichever reaches zero is cancelled.
 */
export const StpMode = {
  NONE: 0,
  CANCEL_NEWEST: 1,
  CANCEL_OLDEST: 2,
  CANCEL_BOTH: 3,
  DECREMENT: 4,
} as const;
export type StpMode = (typeof StpMode)[keyof typeof StpMode];

/** Reason given to `CrossingSink.onCancel`. */
export const CancelReason = {
  /** `OrderBook.cancel` was called. */
  USER: 1,
  /** Self-trade prevention cancelled this order (maker or taker remainder). */
  STP: 2,
  /** Self-trade prevention (DECREMENT) reduced this order by `cancelledQty`; it is gone when `remainingQty` is 0. */
  STP_DECREMENT: 3,
  /** The unfilled remainder of an IOC order. */
  IOC_REMAINDER: 4,
  /** A FOK order that could not be filled completely; nothing traded. */
  FOK_KILL: 5,
  /** A POST_ONLY order that would have crossed; nothing traded. */
  POST_ONLY_REJECT: 6,
  /** The unfilled remainder of a MARKET order (or triggered STOP): the opposite side ran out. */
  MARKET_REMAINDER: 7,
  /**
   * A triggered STOP_LIMIT's remainder could not rest: its price level's total would pass MAX_QTY
   * (see Status.LEVEL_TOTAL_OVERFLOW; a direct submit is refused instead).
   */
  LEVEL_TOTAL_OVERFLOW: 8,
} as const;
export type CancelReason = (typeof CancelReason)[keyof typeof CancelReason];

/**
 * Status returned by every mutating call. Invalid input is reported here and never thrown;
 * business outcomes (IOC remainder, FOK kill, post-only reject, STP) are OK + a sink event.
 */
export const Status = {
  OK: 0,
  UNKNOWN_ID: 1,
  DUPLICATE_ID: 2,
  INVALID_ID: 3,
  INVALID_QTY: 4,
  INVALID_PRICE: 5,
  INVALID_SIDE: 6,
  INVALID_TYPE: 7,
  INVALID_STP: 8,
  INVALID_OWNER: 9,
  /** The operation does not apply to this order (e.g. changePrice on a pending stop). */
  NOT_ALLOWED: 10,
  /** changePrice on a POST_ONLY order whose new price would cross; the order is left unchanged. */
  WOULD_CROSS: 11,
  INVALID_SNAPSHOT: 12,
  /**
   * The order would make a price level's total open quantity pass MAX_QTY (2^53 - 1 lots, the largest
   * exact integer): a LIMIT / POST_ONLY (or a STOP_LIMIT triggering at once) whose price level on its own
   * side already holds more than MAX_QTY - qty, a pending stop likewise at its stop price, or a
   * changePrice to such a level. Nothing is emitted and the book is unchanged. Level totals and FOK
   * decisions therefore stay exact integers.
   */
  LEVEL_TOTAL_OVERFLOW: 13,
} as const;
export type Status = (typeof Status)[keyof typeof Status];

/**
 * Largest accepted price in ticks: 2^52, so window arithmetic (price +- window width) stays exact.
 * Larger prices return INVALID_PRICE.
 */
export const MAX_PRICE = 2 ** 52;
/**
 * Largest accepted quantity in lots, and the largest total open quantity of one price level (book or
 * pending stop level): an order that would pass it is refused with Status.LEVEL_TOTAL_OVERFLOW.
 */
export const MAX_QTY = Number.MAX_SAFE_INTEGER;
/** Largest accepted owner id (owners are stored as int32). */
export const MAX_OWNER = 0x7fffffff;

/**
 * Receives the engine's results synchronously, in order, with primitive arguments only.
 * One sink per book; it must not call back into the same book from inside a callback.
 *
 * Allocation note (V8): numbers outside the int31 range (e.g. ids >= 2^31) travel as heap numbers.
 * The engine itself then still allocates nothing (measured with 2^40-range ids), but a caller that
 * holds such an id unboxed (read from a Float64Array) boxes it when calling the API. Ids below 2^31
 * (e.g. a dense per-book handle from the order tracker) avoid that entirely.
 */
export interface CrossingSink {
  /** A submitted order passed validation. For STOP, `price` is 0; `stopPrice` is 0 unless STOP/STOP_LIMIT. */
  onAccept(id: number, owner: number, side: number, type: number, price: number, qty: number, stopPrice: number): void;
  /** A trade at the maker's price. Remaining quantities are after this fill. */
  onFill(
    makerId: number,
    takerId: number,
    makerOwner: number,
    takerOwner: number,
    price: number,
    qty: number,
    makerRemaining: number,
    takerRemaining: number,
  ): void;
  /** `cancelledQty` lots left the order; `remainingQty` is 0 when the order is gone (only DECREMENT leaves some). */
  onCancel(id: number, owner: number, cancelledQty: number, remainingQty: number, reason: number): void;
  /** A pending stop fired; it is entered right after as MARKET (STOP) or LIMIT (STOP_LIMIT) with the same id. */
  onTrigger(id: number, owner: number, side: number, stopPrice: number): void;
  /** The order (or its remainder) now rests on the book at `price` with `qty`, at the back of the queue. */
  onRest(id: number, owner: number, side: number, price: number, qty: number): void;
}

/** A sink that ignores everything. */
export class NullSink implements CrossingSink {
  onAccept(_id: number, _owner: number, _side: number, _type: number, _price: number, _qty: number, _stop: number): void {}
  onFill(_m: number, _t: number, _mo: number, _to: number, _p: number, _q: number, _mr: number, _tr: number): void {}
  onCancel(_id: number, _owner: number, _cancelled: number, _remaining: number, _reason: number): void {}
  onTrigger(_id: number, _owner: number, _side: number, _stopPrice: number): void {}
  onRest(_id: number, _owner: number, _side: number, _price: number, _qty: number): void {}
}

/** Construction options; all optional. */
export interface OrderBookOptions {
  /**
   * Order slots (resting orders + pending stops) the book grows to when its first 16 are used up
   * (all of them up front with `preallocate`); doubles when full after that. Default 1024.
   */
  initialCapacity?: number;
  /**
   * The most ticks each side's dense price window grows to (power of two, 1024..1048576). Default 16384.
   * A side's window costs 4 bytes per tick plus a bitset. It is allocated on the side's first order, 1024
   * ticks wide (4 KB), and doubles while the side's active price range does not fit it (price-levels.ts),
   * up to this width (about 66 KB at the default). Prices outside it work the same, in a sorted overflow.
   */
  windowTicks?: number;
  /**
   * Allocate `initialCapacity` slots and both price windows (at `windowTicks`) at construction instead of on
   * first use. Default false: an unused book costs a few KB.
   */
  preallocate?: boolean;
}

/**
 * Plain, JSON-serialisable book state. `restore` of a snapshot gives an identical book: same orders,
 * same queue order at each price, same pending stops in the same trigger order, same last trade price.
 */
export interface BookSnapshot {
  version: 1;
  /** Last trade price, or null before the first trade. */
  lastPrice: number | null;
  /**
   * Resting orders, flattened in records of ORDER_RECORD fields: bids best to worst, then asks best to worst,
   * FIFO within a price.
   */
  orders: number[];
  /** Pending stops, flattened in records of STOP_RECORD fields: buy stops then sell stops, each in trigger order. */
  stops: number[];
}

/** Fields of one resting order in `BookSnapshot.orders`: id, owner, side, price, qty, stp, postOnly(0|1). */
export const ORDER_RECORD = 7;
/** Fields of one pending stop in `BookSnapshot.stops`: id, owner, side, type, stopPrice, price, qty, stp. */
export const STOP_RECORD = 8;
