/**
 * OrderBook — price-time priority limit order book for one instrument (integer ticks and lots).
 *
 *   const book = new OrderBook(sink, { initialCapacity: 4096, windowTicks: 16384 });
 *   book.submit(id, owner, side, type, price, qty, stp, stopPrice): Status
 *   book.limit / market / ioc / fok / postOnly / stop / stopLimit(...)   — shorthands for submit
 *   book.cancel(id): Status               — emits onCancel(USER)
 *   book.reduce(id, newQty): Status       — in place, keeps queue priority (also for pending stops)
 *   book.changePrice(id, newPrice): Status — loses priority, may trade as taker (resting orders only)
 *   book.snapshot(): BookSnapshot / book.restore(snapshot): Status — identical book incl. queue order and stops
 *   book.bestBid() / bestAsk() / lastPrice() (NaN when none), depth(...), getOrder(...), has(id), counts
 *   book.heldBytes()                      — bytes held by the book's arrays (diagnostics)
 *
 * A price level's total never passes MAX_QTY: an order that would make it is refused (LEVEL_TOTAL_OVERFLOW).
 *
 * Results go synchronously to the CrossingSink given at construction (see types.ts), in this order for
 * one call: onAccept, then fills / STP cancels, then onRest or the remainder's onCancel, then stop
 * triggers (onTrigger followed by that order's own events), repeated while triggers cascade. Invalid
 * input returns a Status code (never throws) and emits nothing. A sink must not call back into the
 * book it is attached to.
 *
 * Matching rules (the reference book in test/matching/reference-book.ts mirrors them):
 * - Fills happen at the maker's price, best price first, FIFO within a price.
 * - STP uses the taker's mode when maker and taker have the same owner (see StpMode).
 * - FOK executes only if it can be filled completely, counting only makers it would trade with
 *   (CANCEL_OLDEST makers are skipped; reaching any other same-owner maker means "not fillable").
 * - Stops: a buy stop triggers on a trade at >= its stop price, a sell stop on a trade at <= it.
 *   A stop submitted when the last trade price already satisfies it triggers at once. After a call's
 *   own processing, pending stops are triggered one at a time while some trade of this call reached
 *   them: buy stops first (lowest stop price, then FIFO), then sell stops (highest, then FIFO).
 *   A triggered STOP enters as MARKET and a STOP_LIMIT as LIMIT (GTC), with the same id and owner.
 *
 * The book is single-threaded and allocation-free in steady state: struct-of-arrays pools with
 * free lists (order-pool.ts, level-pool.ts), an open-addressing id map (id-map.ts) and per-side
 * price ladders with a dense tick window plus a sorted overflow (price-levels.ts), held together by
 * book-state.ts; the rules themselves are in matching.ts. No clock is used: time priority is
 * arrival order. Unless `preallocate` is set, the arrays start small and the price windows are allocated
 * on first use, 1024 ticks wide, growing to `windowTicks` only while a side's active range needs it: an unused
 * book costs a few KB, a book whose prices stay within a thousand ticks about 8 KB of windows.
 */
import { BookState } from './book-state.js';
import { execute, match, runTriggers } from './matching.js';
import { F_POST_ONLY, F_SELL, F_STOP, F_STOP_LIMIT, F_STP_SHIFT } from './order-pool.js';
import { validateSnapshot } from './snapshot.js';
import {
  type BookSnapshot,
  CancelReason,
  type CrossingSink,
  MAX_PRICE,
  MAX_QTY,
  ORDER_RECORD,
  type OrderBookOptions,
  OrderType,
  STOP_RECORD,
  Status,
  StpMode,
} from './types.js';

/** Layout of the array filled by `getOrder`. */
export const OrderInfo = {
  SIDE: 0,
  /** OrderType.LIMIT / POST_ONLY for resting orders, STOP / STOP_LIMIT for pending stops. */
  TYPE: 1,
  PRICE: 2,
  QTY: 3,
  OWNER: 4,
  STP: 5,
  STOP_PRICE: 6,
  /** Number of fields. */
  LENGTH: 7,
} as const;

function isPositiveInt(v: number, max: number): boolean {
  return v >= 1 && v <= max && Math.floor(v) === v;
}

export class OrderBook {
  private readonly st: BookState;

  constructor(sink: CrossingSink, options: OrderBookOptions = {}) {
    const cap = options.initialCapacity ?? 1024;
    const width = options.windowTicks ?? 16384;
    if (!(width >= 1024 && width <= 1 << 20 && (width & (width - 1)) === 0)) {
      throw new RangeError('windowTicks must be a power of two in [1024, 1048576]');
    }
    this.st = new BookState(sink, cap, width, options.preallocate === true);
  }

  // ---------------------------------------------------------------- commands

  /**
   * Submits a new order. `price` is ignored for MARKET and STOP, `stopPrice` for non-stop types.
   * Returns Status.OK when accepted (what happened is reported to the sink), an error code otherwise.
   */
  submit(
    id: number,
    owner: number,
    side: number,
    type: number,
    price: number,
    qty: number,
    stp: number = StpMode.NONE,
    stopPrice = 0,
  ): number {
    // Hot path: codes are written as literals (named in comments). An imported constant object costs a module
    // cell load, a TDZ check and a property load on every use in optimised code; a literal costs nothing.
    // test/matching/codes.test.ts pins the values used here.
    const st = this.st;
    if (!(id >= 0 && id <= 9007199254740991 /* largest id: Number.MAX_SAFE_INTEGER */ && Math.floor(id) === id)) return 3 /* Status.INVALID_ID */;
    if (side !== 0 && side !== 1) return 6 /* Status.INVALID_SIDE */;
    if (!(qty >= 1 && qty <= 9007199254740991 /* MAX_QTY */ && Math.floor(qty) === qty)) return 4 /* Status.INVALID_QTY */;
    if (!((owner | 0) === owner && owner >= 0)) return 9 /* Status.INVALID_OWNER */;
    if (!((stp | 0) === stp && stp >= 0 && stp <= 4)) return 8 /* Status.INVALID_STP */;
    if (!((type | 0) === type && type >= 0 && type <= 6)) return 7 /* Status.INVALID_TYPE */;
    const hasPrice = type !== 1 /* OrderType.MARKET */ && type !== 5 /* OrderType.STOP */;
    if (hasPrice) {
      if (!(price >= 1 && price <= 4503599627370496 /* MAX_PRICE */ && Math.floor(price) === price)) return 5 /* Status.INVALID_PRICE */;
    } else {
      price = 0;
    }
    const isStop = type >= 5 /* OrderType.STOP */;
    if (isStop) {
      if (!isPositiveInt(stopPrice, MAX_PRICE)) return Status.INVALID_PRICE;
    } else {
      stopPrice = 0;
    }
    if (st.ids.get(id) >= 0) return 2 /* Status.DUPLICATE_ID */;
    // Level totals stay <= MAX_QTY. An order that rests on an existing level of its own side cannot
    // cross (the book is never crossed), so it rests whole: checking qty here is exact.
    if (!isStop) {
      // 0 is LIMIT, 4 POST_ONLY (a STOP_LIMIT that triggers at once is checked in the stop branch).
      if ((type === 0 || type === 4) && !st.fits(side, price, qty)) return 13 /* Status.LEVEL_TOTAL_OVERFLOW */;
      st.sink.onAccept(id, owner, side, type, price, qty, 0);
      st.hi = -Infinity;
      st.lo = Infinity;
      execute(st, id, owner, side, type, price, qty, stp);
    } else {
      const last = st.last;
      const triggersNow = side === 0 ? last >= stopPrice : last <= stopPrice;
      if (triggersNow) {
        if (type === OrderType.STOP_LIMIT && !st.fits(side, price, qty)) return Status.LEVEL_TOTAL_OVERFLOW;
      } else if (!st.stopFits(side, stopPrice, qty)) {
        return Status.LEVEL_TOTAL_OVERFLOW;
      }
      st.sink.onAccept(id, owner, side, type, price, qty, stopPrice);
      st.hi = -Infinity;
      st.lo = Infinity;
      if (triggersNow) {
        st.sink.onTrigger(id, owner, side, stopPrice);
        execute(st, id, owner, side, type === OrderType.STOP ? OrderType.MARKET : OrderType.LIMIT, price, qty, stp);
      } else {
        st.addStop(id, owner, side, type, stopPrice, price, qty, stp);
      }
    }
    if (st.stopCount > 0 && st.hi >= st.lo) runTriggers(st);
    return 0 /* Status.OK */;
  }

  limit(id: number, owner: number, side: number, price: number, qty: number, stp = 0): number {
    return this.submit(id, owner, side, OrderType.LIMIT, price, qty, stp, 0);
  }

  market(id: number, owner: number, side: number, qty: number, stp = 0): number {
    return this.submit(id, owner, side, OrderType.MARKET, 0, qty, stp, 0);
  }

  ioc(id: number, owner: number, side: number, price: number, qty: number, stp = 0): number {
    return this.submit(id, owner, side, OrderType.IOC, price, qty, stp, 0);
  }

  fok(id: number, owner: number, side: number, price: number, qty: number, stp = 0): number {
    return this.submit(id, owner, side, OrderType.FOK, price, qty, stp, 0);
  }

  postOnly(id: number, owner: number, side: number, price: number, qty: number): number {
    return this.submit(id, owner, side, OrderType.POST_ONLY, price, qty, 0, 0);
  }

  stop(id: number, owner: number, side: number, stopPrice: number, qty: number, stp = 0): number {
    return this.submit(id, owner, side, OrderType.STOP, 0, qty, stp, stopPrice);
  }

  stopLimit(id: number, owner: number, side: number, stopPrice: number, price: number, qty: number, stp = 0): number {
    return this.submit(id, owner, side, OrderType.STOP_LIMIT, price, qty, stp, stopPrice);
  }

  /** Cancels a resting order or pending stop; emits onCancel(USER). */
  cancel(id: number): number {
    const st = this.st;
    const s = st.ids.remove(id);
    if (s < 0) return 1 /* Status.UNKNOWN_ID */;
    const pool = st.pool;
    const qty = pool.qty[s];
    const owner = pool.owner[s];
    st.unlink(s);
    pool.free(s);
    st.sink.onCancel(id, owner, qty, 0, 1 /* CancelReason.USER */);
    return 0 /* Status.OK */;
  }

  /** Lowers an order's open quantity to `newQty` (1..current) in place, keeping its queue position. No event. */
  reduce(id: number, newQty: number): number {
    const st = this.st;
    const s = st.ids.get(id);
    if (s < 0) return Status.UNKNOWN_ID;
    const pool = st.pool;
    const qty = pool.qty[s];
    if (!isPositiveInt(newQty, qty)) return Status.INVALID_QTY;
    pool.qty[s] = newQty;
    st.levels.qty[pool.level[s]] -= qty - newQty;
    return Status.OK;
  }

  /**
   * Moves a resting order to `newPrice`: it loses its queue position and may trade as a taker (same id,
   * owner and STP mode). A POST_ONLY order that would cross is left unchanged and WOULD_CROSS returned.
   * The same price is a no-op. Pending stops return NOT_ALLOWED (cancel and resubmit them).
   */
  changePrice(id: number, newPrice: number): number {
    const st = this.st;
    const s = st.ids.get(id);
    if (s < 0) return Status.UNKNOWN_ID;
    if (!isPositiveInt(newPrice, MAX_PRICE)) return Status.INVALID_PRICE;
    const pool = st.pool;
    const flags = pool.flags[s];
    if ((flags & F_STOP) !== 0) return Status.NOT_ALLOWED;
    if (pool.price[s] === newPrice) return Status.OK;
    const side = flags & F_SELL;
    const limitKey = side === 0 ? -newPrice : newPrice;
    const crosses = (side === 0 ? st.asks : st.bids).bestKey >= limitKey;
    const postOnly = (flags & F_POST_ONLY) !== 0;
    if (postOnly && crosses) return Status.WOULD_CROSS;
    const qty = pool.qty[s];
    if (!st.fits(side, newPrice, qty)) return Status.LEVEL_TOTAL_OVERFLOW;
    const owner = pool.owner[s];
    const stp = (flags >> F_STP_SHIFT) & 7;
    st.ids.remove(id);
    st.unlink(s);
    pool.free(s);
    st.hi = -Infinity;
    st.lo = Infinity;
    const rem = crosses ? match(st, id, owner, side, limitKey, qty, stp) : qty;
    if (rem > 0) st.rest(id, owner, side, newPrice, rem, stp, postOnly, true);
    if (st.stopCount > 0 && st.hi >= st.lo) runTriggers(st);
    return Status.OK;
  }

  /** Bytes held by the book's arrays (order slots, levels, id table, price windows, overflows). Diagnostics. */
  heldBytes(): number {
    return this.st.heldBytes();
  }

  /** Drops every order and stop and forgets the last price, without events. Capacity is kept. */
  clear(): void {
    this.st.clear();
  }

  // ---------------------------------------------------------------- queries

  /** Best bid price, NaN when there are no bids. */
  bestBid(): number {
    const st = this.st;
    return st.bids.count > 0 ? st.bids.bestKey : NaN;
  }

  /** Best ask price, NaN when there are no asks. */
  bestAsk(): number {
    const st = this.st;
    return st.asks.count > 0 ? -st.asks.bestKey : NaN;
  }

  /** Price of the last trade, NaN before the first. */
  lastPrice(): number {
    return this.st.last;
  }

  /** Resting (visible) orders. */
  get restingCount(): number {
    const st = this.st;
    return st.pool.used - st.stopCount;
  }

  /** Pending (untriggered) stops. */
  get pendingStopCount(): number {
    return this.st.stopCount;
  }

  /**
   * Total open quantity of the book level at `price` on `side` (0 when there is none). With it a caller can tell
   * whether `qty` more lots would fit there (at most MAX_QTY in all) before taking an order out to move it.
   */
  levelQty(side: number, price: number): number {
    const st = this.st;
    const level = side === 0 ? st.bids.find(price) : side === 1 ? st.asks.find(-price) : -1;
    // `find` is for integer keys: at a fractional price inside the window it reads no slot (undefined), not -1
    return level >= 0 ? st.levels.qty[level] : 0;
  }

  /** Number of price levels on a side. */
  levelCount(side: number): number {
    return side === 0 ? this.st.bids.count : this.st.asks.count;
  }

  /** Whether `id` is a resting order or pending stop. */
  has(id: number): boolean {
    return this.st.ids.get(id) >= 0;
  }

  /** Fills `out` (length >= OrderInfo.LENGTH) with the order's fields; false if unknown. */
  getOrder(id: number, out: Float64Array | number[]): boolean {
    const st = this.st;
    const s = st.ids.get(id);
    if (s < 0) return false;
    const pool = st.pool;
    const flags = pool.flags[s];
    const isStop = (flags & F_STOP) !== 0;
    out[OrderInfo.SIDE] = flags & F_SELL;
    out[OrderInfo.TYPE] = isStop
      ? (flags & F_STOP_LIMIT) !== 0
        ? OrderType.STOP_LIMIT
        : OrderType.STOP
      : (flags & F_POST_ONLY) !== 0
        ? OrderType.POST_ONLY
        : OrderType.LIMIT;
    out[OrderInfo.PRICE] = pool.price[s];
    out[OrderInfo.QTY] = pool.qty[s];
    out[OrderInfo.OWNER] = pool.owner[s];
    out[OrderInfo.STP] = (flags >> F_STP_SHIFT) & 7;
    out[OrderInfo.STOP_PRICE] = isStop ? st.levels.price[pool.level[s]] : 0;
    return true;
  }

  /**
   * Aggregated depth of one side, best first: writes up to `maxLevels` (price, total qty, order count)
   * into the arrays given and returns the number of levels written.
   */
  depth(
    side: number,
    maxLevels: number,
    outPrice: Float64Array | number[],
    outQty: Float64Array | number[],
    outCount?: Int32Array | number[],
  ): number {
    const st = this.st;
    const ladder = side === 0 ? st.bids : st.asks;
    const lv = st.levels;
    let n = 0;
    let level = ladder.bestLevel;
    while (level >= 0 && n < maxLevels) {
      const price = lv.price[level];
      outPrice[n] = price;
      outQty[n] = lv.qty[level];
      if (outCount !== undefined) outCount[n] = lv.count[level];
      n++;
      level = ladder.levelBelow(side === 0 ? price : -price);
    }
    return n;
  }

  // ---------------------------------------------------------------- snapshot

  /** Plain, JSON-serialisable copy of the whole book (not for the hot path). */
  snapshot(): BookSnapshot {
    const st = this.st;
    const pool = st.pool;
    const lv = st.levels;
    const orders: number[] = [];
    for (let side = 0; side < 2; side++) {
      const ladder = side === 0 ? st.bids : st.asks;
      let level = ladder.bestLevel;
      while (level >= 0) {
        const price = lv.price[level];
        for (let o = lv.head[level]; o >= 0; o = pool.next[o]) {
          const f = pool.flags[o];
          orders.push(pool.id[o], pool.owner[o], side, price, pool.qty[o], (f >> F_STP_SHIFT) & 7, f & F_POST_ONLY ? 1 : 0);
        }
        level = ladder.levelBelow(side === 0 ? price : -price);
      }
    }
    const stops: number[] = [];
    for (let side = 0; side < 2; side++) {
      const ladder = side === 0 ? st.buyStops : st.sellStops;
      for (let i = ladder.size - 1; i >= 0; i--) {
        const level = ladder.levels[i];
        const stopPrice = lv.price[level];
        for (let o = lv.head[level]; o >= 0; o = pool.next[o]) {
          const f = pool.flags[o];
          const type = f & F_STOP_LIMIT ? OrderType.STOP_LIMIT : OrderType.STOP;
          stops.push(pool.id[o], pool.owner[o], side, type, stopPrice, pool.price[o], pool.qty[o], (f >> F_STP_SHIFT) & 7);
        }
      }
    }
    return { version: 1, lastPrice: Number.isNaN(st.last) ? null : st.last, orders, stops };
  }

  /**
   * Replaces the whole book with `snap` (no events). Returns INVALID_SNAPSHOT, leaving the book untouched,
   * when the snapshot is malformed, has duplicate ids, is crossed, or has a stop its last price would trigger.
   */
  restore(snap: BookSnapshot): number {
    const st = this.st;
    if (!validateSnapshot(snap)) return Status.INVALID_SNAPSHOT;
    st.clear();
    const o = snap.orders;
    for (let i = 0; i < o.length; i += ORDER_RECORD) {
      st.rest(o[i], o[i + 1], o[i + 2], o[i + 3], o[i + 4], o[i + 5], o[i + 6] === 1, false);
    }
    const sp = snap.stops;
    for (let i = 0; i < sp.length; i += STOP_RECORD) {
      st.addStop(sp[i], sp[i + 1], sp[i + 2], sp[i + 3], sp[i + 4], sp[i + 5], sp[i + 6], sp[i + 7]);
    }
    st.last = snap.lastPrice === null ? NaN : snap.lastPrice;
    return Status.OK;
  }
}
