/**
 * BookState — the data of one order book and the structural operations on it (no matching rules).
 *
 * Orders and pending stops share one OrderPool; book levels and stop levels share one LevelPool.
 * Bid/ask levels are indexed by PriceLadders (bids key = price, asks key = -price), pending stop
 * levels by SortedLevels (buy stops key = -stopPrice, sell stops key = stopPrice), so on every
 * index the largest key is served first. Ids of resting orders and pending stops are in one IdMap.
 * Used by matching.ts and order-book.ts; not part of the public API.
 */
import { IdMap } from '../core/id-map.js';
import { LevelPool } from './level-pool.js';
import { F_POST_ONLY, F_SELL, F_STOP, F_STOP_LIMIT, F_STP_SHIFT, OrderPool } from './order-pool.js';
import { PriceLadder } from './price-levels.js';
import { SortedLevels } from './sorted-levels.js';
import { type CrossingSink, OrderType } from './types.js';

export class BookState {
  readonly sink: CrossingSink;
  readonly pool: OrderPool;
  readonly levels: LevelPool;
  readonly ids: IdMap;
  /** Bid levels, key = price. */
  readonly bids: PriceLadder;
  /** Ask levels, key = -price. */
  readonly asks: PriceLadder;
  /** Pending buy stop levels, key = -stopPrice (lowest stop is the largest key). */
  readonly buyStops = new SortedLevels(8);
  /** Pending sell stop levels, key = stopPrice. */
  readonly sellStops = new SortedLevels(8);
  stopCount = 0;
  /** Last trade price, NaN before the first trade. */
  last = NaN;
  /** Highest / lowest trade price during the current public call (-Inf / +Inf when none). */
  hi = -Infinity;
  lo = Infinity;

  constructor(sink: CrossingSink, initialCapacity: number, windowTicks: number) {
    this.sink = sink;
    this.pool = new OrderPool(initialCapacity);
    this.levels = new LevelPool(Math.max(64, initialCapacity >> 3));
    this.ids = new IdMap(this.pool);
    this.bids = new PriceLadder(windowTicks);
    this.asks = new PriceLadder(windowTicks);
  }

  /** Puts an order at the back of its price level (creating the level) and indexes its id. */
  rest(id: number, owner: number, side: number, price: number, qty: number, stp: number, postOnly: boolean, emit: boolean): void {
    const s = this.allocSlot();
    const pool = this.pool;
    pool.id[s] = id;
    pool.qty[s] = qty;
    pool.price[s] = price;
    pool.owner[s] = owner;
    pool.flags[s] = side | (stp << F_STP_SHIFT) | (postOnly ? F_POST_ONLY : 0);
    const ladder = side === 0 ? this.bids : this.asks;
    const key = side === 0 ? price : -price;
    let level = ladder.find(key);
    if (level < 0) {
      level = this.levels.alloc(price);
      ladder.insert(key, level);
    }
    this.append(level, s, qty);
    this.ids.insert(s);
    if (emit) this.sink.onRest(id, owner, side, price, qty);
  }

  /** Adds a pending stop at the back of its stop level. */
  addStop(id: number, owner: number, side: number, type: number, stopPrice: number, price: number, qty: number, stp: number): void {
    const s = this.allocSlot();
    const pool = this.pool;
    const isLimit = type === OrderType.STOP_LIMIT;
    pool.id[s] = id;
    pool.qty[s] = qty;
    pool.price[s] = isLimit ? price : 0;
    pool.owner[s] = owner;
    pool.flags[s] = side | (stp << F_STP_SHIFT) | F_STOP | (isLimit ? F_STOP_LIMIT : 0);
    const ladder = side === 0 ? this.buyStops : this.sellStops;
    const key = side === 0 ? -stopPrice : stopPrice;
    let level = ladder.find(key);
    if (level < 0) {
      level = this.levels.alloc(stopPrice);
      ladder.insert(key, level);
    }
    this.append(level, s, qty);
    this.ids.insert(s);
    this.stopCount++;
  }

  /** Removes maker `o`, the head of `level`, from the book and frees it (an emptied level is left to the caller). */
  removeHead(o: number, level: number, id: number): void {
    const pool = this.pool;
    const lv = this.levels;
    const next = pool.next[o];
    lv.head[level] = next;
    if (next >= 0) pool.prev[next] = -1;
    else lv.tail[level] = -1;
    lv.qty[level] -= pool.qty[o];
    lv.count[level]--;
    this.ids.remove(id);
    pool.free(o);
  }

  /** Unlinks slot `s` from its level (book or stop); drops the level when it empties. Does not free `s`. */
  unlink(s: number): void {
    const pool = this.pool;
    const lv = this.levels;
    const level = pool.level[s];
    const prev = pool.prev[s];
    const next = pool.next[s];
    if (prev >= 0) pool.next[prev] = next;
    else lv.head[level] = next;
    if (next >= 0) pool.prev[next] = prev;
    else lv.tail[level] = prev;
    lv.qty[level] -= pool.qty[s];
    lv.count[level]--;
    const flags = pool.flags[s];
    if ((flags & F_STOP) !== 0) this.stopCount--;
    if (lv.head[level] >= 0) return;
    const price = lv.price[level];
    const buy = (flags & F_SELL) === 0;
    if ((flags & F_STOP) === 0) {
      if (buy) this.bids.remove(price);
      else this.asks.remove(-price);
    } else if (buy) {
      this.buyStops.remove(-price);
    } else {
      this.sellStops.remove(price);
    }
    lv.free(level);
  }

  /** Drops everything (capacity is kept). */
  clear(): void {
    this.pool.clear();
    this.levels.clear();
    this.ids.clear();
    this.bids.clear();
    this.asks.clear();
    this.buyStops.clear();
    this.sellStops.clear();
    this.stopCount = 0;
    this.last = NaN;
  }

  private allocSlot(): number {
    const pool = this.pool;
    const cap = pool.capacity;
    const s = pool.alloc();
    if (pool.capacity !== cap) this.ids.resize();
    return s;
  }

  private append(level: number, s: number, qty: number): void {
    const pool = this.pool;
    const lv = this.levels;
    const tail = lv.tail[level];
    pool.prev[s] = tail;
    pool.next[s] = -1;
    pool.level[s] = level;
    if (tail >= 0) pool.next[tail] = s;
    else lv.head[level] = s;
    lv.tail[level] = s;
    lv.qty[level] += qty;
    lv.count[level]++;
  }
}
