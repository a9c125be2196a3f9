/**
 * BookState — the data of one order book and the structural operations on it (no matching rules).
 *
 * Orders and pending stops share one OrderPool; book levels and stop levels share one LevelPool.
 * Bid/ask levels are indexed by PriceLadders (bids key = price, asks key = -price), pending stop
 * levels by SortedLevels (buy stops key = -stopPrice, sell stops key = stopPrice), so on every
 * index the largest key is served first. Ids of resting orders and pending stops are in one IdMap.
 * Level totals never pass MAX_QTY: callers check `fits` / `stopFits` before adding to a level.
 * Unless `preallocate` is set, the book starts with LAZY_START slots and levels and no price windows,
 * and jumps to the configured capacity the first time those fill (a few KB per unused book).
 * Used by matching.ts and order-book.ts; not part of the public API.
 */
import { IdMap } from '../core/id-map.js';
import { LevelPool } from './level-pool.js';
import { F_STOP, F_STOP_LIMIT, F_STP_SHIFT, OrderPool } from './order-pool.js';
import { PriceLadder } from './price-levels.js';
import { SortedLevels } from './sorted-levels.js';
import { type CrossingSink, MAX_QTY, OrderType } from './types.js';

/** Order slots and levels an unused book starts with (it grows to the configured capacity on first need). */
const LAZY_START = 16;

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
  /** Upper bound of every level total since the last clear (totals only grow in `append`); lets `fits` skip lookups. */
  hiWater = 0;

  constructor(sink: CrossingSink, initialCapacity: number, windowTicks: number, preallocate: boolean) {
    this.sink = sink;
    const levelCap = Math.max(64, initialCapacity >> 3);
    if (preallocate) {
      this.pool = new OrderPool(initialCapacity);
      this.levels = new LevelPool(levelCap);
    } else {
      this.pool = new OrderPool(Math.min(LAZY_START, initialCapacity), initialCapacity);
      this.levels = new LevelPool(LAZY_START, levelCap);
    }
    this.ids = new IdMap(this.pool);
    this.bids = new PriceLadder(windowTicks, preallocate);
    this.asks = new PriceLadder(windowTicks, preallocate);
  }

  /** Whether `qty` more lots fit in the book level at `price` on `side` without its total passing MAX_QTY. */
  fits(side: number, price: number, qty: number): boolean {
    // MAX_QTY as a literal: an imported constant costs a module cell load and a TDZ check on the hot path.
    if (qty <= 9007199254740991 /* MAX_QTY */ - this.hiWater) return true;
    const level = side === 0 ? this.bids.find(price) : this.asks.find(-price);
    return level < 0 || this.levels.qty[level] <= MAX_QTY - qty;
  }

  /** Whether `qty` more lots fit in the pending stop level at `stopPrice` on `side`. */
  stopFits(side: number, stopPrice: number, qty: number): boolean {
    if (qty <= MAX_QTY - this.hiWater) return true;
    const level = side === 0 ? this.buyStops.find(-stopPrice) : this.sellStops.find(stopPrice);
    return level < 0 || this.levels.qty[level] <= MAX_QTY - qty;
  }

  /** Bytes held by the book's typed arrays (diagnostics). */
  heldBytes(): number {
    const p = this.pool;
    const l = this.levels;
    return (
      p.id.byteLength + p.qty.byteLength + p.price.byteLength + p.next.byteLength + p.prev.byteLength +
      p.level.byteLength + p.owner.byteLength + p.flags.byteLength +
      l.head.byteLength + l.tail.byteLength + l.count.byteLength + l.qty.byteLength + l.price.byteLength +
      idMapBytes(p.capacity) + this.bids.heldBytes() + this.asks.heldBytes() +
      this.buyStops.heldBytes() + this.sellStops.heldBytes()
    );
  }

  /** Puts an order at the back of its price level (creating the level) and indexes its id. */
  rest(id: number, owner: number, side: number, price: number, qty: number, stp: number, postOnly: boolean, emit: boolean): void {
    const s = this.allocSlot();
    const pool = this.pool;
    pool.id[s] = id;
    pool.qty[s] = qty;
    pool.price[s] = price;
    pool.owner[s] = owner;
    // Flag bits as literals on the hot path (see fits); test/matching/codes.test.ts pins them.
    pool.flags[s] = side | (stp << 1) /* F_STP_SHIFT */ | (postOnly ? 16 /* F_POST_ONLY */ : 0);
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
    // Flag bits as literals on the hot path (see fits): 32 is F_STOP, 1 is F_SELL.
    const flags = pool.flags[s];
    const stop = (flags & 32) !== 0;
    if (stop) this.stopCount--;
    if (lv.head[level] >= 0) return;
    const price = lv.price[level];
    const buy = (flags & 1) === 0;
    if (!stop) {
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
    this.hiWater = 0;
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
    const total = (lv.qty[level] += qty);
    if (total > this.hiWater) this.hiWater = total;
    lv.count[level]++;
  }
}

/** Bytes of the IdMap over a pool of `capacity` slots: nextPow2(2 x capacity), at least 16, int32 buckets (id-map.ts). */
function idMapBytes(capacity: number): number {
  let n = 16;
  while (n < capacity * 2) n *= 2;
  return n * 4;
}
