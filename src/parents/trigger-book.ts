/**
 * Decides when emulated stop orders trigger: STOP / STOP_LIMIT (fixed trigger) and TRAILING_STOP (trigger following
 * the best trade price seen since placement). The daemon holds such orders and releases them as market or limit
 * orders when a public trade price crosses the trigger; this structure only answers "which held orders trigger on
 * this trade price", removes them, and reports them in a deterministic order. It knows nothing of the order store
 * beyond slot numbers and order ids.
 *
 * Semantics (prices are integer ticks):
 * - Fixed stop: BUY triggers on a trade price >= stop; SELL on a trade price <= stop.
 * - Trailing stop: SELL keeps the extreme = the highest trade price seen since it was placed, starting at the
 *   reference, and triggers on a trade price <= extreme - offset; BUY keeps the lowest (starting at the reference)
 *   and triggers on a trade price >= extreme + offset. A trade first moves the extreme, then is checked (with
 *   offset >= 1 the order of the two does not matter: a trade that moves the extreme cannot trigger the stop).
 *   The trigger therefore only ever moves in the order's favour.
 * - Nothing triggers on add: only a later `onTrade` does (a BUY stop placed below the last price triggers on the
 *   next trade; the integration checks against the last price itself if it wants an immediate release).
 * - One trade: BUY side first, then SELL side; within a side, by trigger in crossing order (BUY ascending, SELL
 *   descending trigger), then by insertion order (add / addTrailing / restoreTrailing call order), fixed and
 *   trailing stops interleaved by these same keys. Each triggered order is reported once and removed.
 *
 * Design. Each (symbol, side) has a "side book". Everything is computed in a key space where SELL keeps prices
 * as they are and BUY negates them (k = -price), so both sides read the same: trigger when k(trade) <= k(trigger),
 * the crossing order is descending k(trigger), and the trailing extreme is a running max.
 * - Fixed stops: one pairing heap per side book, on (k(trigger) descending, seq ascending).
 * - Trailing stops: grouped by their extreme. All trailing stops whose extreme is below a trade's k take that k as
 *   their extreme together, so a trade merges the groups with the lowest extremes (a prefix by extreme) into one.
 *   A group holds a pairing heap of its orders on (offset ascending, seq ascending): its top is its order with
 *   the highest trigger (extreme - offset). Per side book, one pairing heap of groups by extreme (to find the ones a
 *   trade raises) and one of groups by their top's (trigger desc, seq asc) (to find what triggers). Pairing heaps
 *   meld in O(1), so merging groups costs O(1) + the heap bookkeeping; an order knows its group through a
 *   union-find (union by rank, node pointer compression, reference-counted group records).
 * Complexity (amortised, n = orders held in the side book):
 * - add / addTrailing / restoreTrailing: O(1) (pairing-heap insert); remove: O(log n).
 * - onTrade: O((t + m + 1) log n) where t = orders triggered and m = trailing groups merged by this trade; each
 *   group is created by one addTrailing and merged at most once, so m is O(1) amortised per addTrailing: a trade
 *   that triggers nothing costs O(log n) amortised (O(1) when no group's extreme moves), whatever the number of
 *   trailing stops held — no per-order update per trade.
 * - triggerOf / extremeOf: O(log G) (group find, then compressed), G = groups ever merged.
 * Memory: struct-of-arrays pools with free lists for orders and groups, and a slot -> order index; all grow by
 * doubling when full (amortised; the only allocation, never shrinking) — no fixed capacity, no error when full.
 * Nothing is allocated per add / remove / trade in steady state.
 */

import { BUY, SELL } from '../core/order-store.js';
import { ExtremeHeaps, GroupTriggerHeaps, OrderHeaps, growF64, growI32 } from './trigger-heaps.js';


const NONE = -1;

/**
 * Reusable output of `onTrade`: the triggered orders, in trigger order. Grows by doubling (amortised); `count` is
 * reset by each `onTrade`. `triggers[i]` is the trigger (ticks) the order had when it triggered (for the journal).
 */
export class TriggerBatch {
  count = 0;
  slots: Int32Array;
  ids: Float64Array;
  triggers: Float64Array;

  constructor(initialCapacity = 64) {
    const cap = Math.max(4, initialCapacity | 0);
    this.slots = new Int32Array(cap);
    this.ids = new Float64Array(cap);
    this.triggers = new Float64Array(cap);
  }

  /** @internal */
  push(slot: number, id: number, trigger: number): void {
    const i = this.count;
    if (i === this.slots.length) {
      this.slots = growI32(this.slots, i * 2, 0);
      this.ids = growF64(this.ids, i * 2);
      this.triggers = growF64(this.triggers, i * 2);
    }
    this.slots[i] = slot;
    this.ids[i] = id;
    this.triggers[i] = trigger;
    this.count = i + 1;
  }
}

export class TriggerBook {
  /** Symbols handled: symbol indices 0 .. symbols-1. */
  readonly symbols: number;
  private held = 0;

  // Per side book (index symbol * 2 + side).
  private readonly fixedRoot: Int32Array;
  private readonly extremeRoot: Int32Array;
  private readonly triggerRoot: Int32Array;
  private readonly fixedCount: Int32Array;
  private readonly trailingCount: Int32Array;

  // Order pool (struct of arrays). @internal fields read by the heaps.
  /** @internal */ nKey: Float64Array;
  /** @internal */ nSeq: Float64Array;
  private nId: Float64Array;
  private nSlot: Int32Array;
  /** Side book index. */
  private nBook: Int32Array;
  /** NONE for a fixed stop; else a group (maybe merged: follow gParent to the live group). */
  private nGroup: Int32Array;
  private nFree: Int32Array;
  private nFreeHead = NONE;
  private nCapacity = 0;
  private seq = 0;

  // Group pool.
  /** @internal */ gExtreme: Float64Array;
  /** @internal Root of the group's order heap (its order with the highest trigger). */
  gTop: Int32Array;
  private gParent: Int32Array;
  private gRef: Int32Array;
  private gRank: Uint8Array;
  private gSize: Int32Array;
  private gFree: Int32Array;
  private gFreeHead = NONE;
  private gCapacity = 0;
  private gUsed = 0;

  private readonly orders: OrderHeaps;
  private readonly byExtreme: ExtremeHeaps;
  private readonly byTrigger: GroupTriggerHeaps;

  /** slot -> order index, NONE when the slot holds nothing here. */
  private slotOrder: Int32Array;

  constructor(symbols: number, initialCapacity = 1024) {
    if (!Number.isInteger(symbols) || symbols < 0) throw new RangeError(`trigger book: bad symbol count ${symbols}`);
    this.symbols = symbols;
    const books = symbols * 2;
    this.fixedRoot = new Int32Array(books).fill(NONE);
    this.extremeRoot = new Int32Array(books).fill(NONE);
    this.triggerRoot = new Int32Array(books).fill(NONE);
    this.fixedCount = new Int32Array(books);
    this.trailingCount = new Int32Array(books);
    const cap = Math.max(16, initialCapacity | 0);
    this.nKey = new Float64Array(0);
    this.nSeq = new Float64Array(0);
    this.nId = new Float64Array(0);
    this.nSlot = new Int32Array(0);
    this.nBook = new Int32Array(0);
    this.nGroup = new Int32Array(0);
    this.nFree = new Int32Array(0);
    this.gExtreme = new Float64Array(0);
    this.gTop = new Int32Array(0);
    this.gParent = new Int32Array(0);
    this.gRef = new Int32Array(0);
    this.gRank = new Uint8Array(0);
    this.gSize = new Int32Array(0);
    this.gFree = new Int32Array(0);
    this.orders = new OrderHeaps(this, 0);
    this.byExtreme = new ExtremeHeaps(this, 0);
    this.byTrigger = new GroupTriggerHeaps(this, 0);
    this.slotOrder = new Int32Array(cap).fill(NONE);
    this.growOrders(cap);
    this.growGroups(cap);
  }

  /** Orders held (all symbols, both kinds). */
  get size(): number {
    return this.held;
  }

  /** Group records in use (live groups and forwarding records still referenced); 0 when nothing is held. */
  get groupRecords(): number {
    return this.gUsed;
  }

  /** Orders held for a symbol (both sides unless `side` is given). */
  count(symbol: number, side?: number): number {
    this.checkSymbol(symbol);
    if (side === undefined) {
      const b = symbol * 2;
      return this.fixedCount[b] + this.trailingCount[b] + this.fixedCount[b + 1] + this.trailingCount[b + 1];
    }
    const b = this.bookOf(symbol, side);
    return this.fixedCount[b] + this.trailingCount[b];
  }

  /** Whether the slot holds this order here. */
  has(slot: number, orderId: number): boolean {
    return this.find(slot, orderId) !== NONE;
  }

  /** Holds a STOP / STOP_LIMIT: BUY triggers on a trade price >= stopTicks, SELL on one <= stopTicks. */
  add(slot: number, orderId: number, symbol: number, side: number, stopTicks: number): void {
    const b = this.bookOf(symbol, side);
    checkTicks(stopTicks, 'stop');
    const n = this.newOrder(slot, orderId, b);
    this.nKey[n] = side === SELL ? -stopTicks : stopTicks; // key = -k(trigger)
    this.nGroup[n] = NONE;
    this.fixedRoot[b] = this.orders.insert(this.fixedRoot[b], n);
    this.fixedCount[b]++;
  }

  /**
   * Holds a TRAILING_STOP of `offsetTicks` (>= 1) whose extreme starts at `referenceTicks` (usually the last trade
   * price at placement): SELL trigger = highest price since - offset, BUY trigger = lowest price since + offset.
   */
  addTrailing(slot: number, orderId: number, symbol: number, side: number, offsetTicks: number, referenceTicks: number): void {
    const b = this.bookOf(symbol, side);
    if (!Number.isSafeInteger(offsetTicks) || offsetTicks < 1) throw new RangeError(`trigger book: trailing offset ${offsetTicks} is not an integer >= 1 tick`);
    checkTicks(referenceTicks, 'reference');
    const n = this.newOrder(slot, orderId, b);
    this.nKey[n] = offsetTicks;
    const g = this.newGroup(side === SELL ? referenceTicks : -referenceTicks);
    this.gTop[g] = this.orders.insert(NONE, n);
    this.gSize[g] = 1;
    this.gRef[g]++; // the order's pointer
    this.nGroup[n] = g;
    this.extremeRoot[b] = this.byExtreme.insert(this.extremeRoot[b], g);
    this.triggerRoot[b] = this.byTrigger.insert(this.triggerRoot[b], g);
    this.trailingCount[b]++;
  }

  /**
   * Recovery: holds a trailing stop again with the extreme it had (`extremeOf`), so it has the same trigger.
   * Restore in the original insertion order to keep the same tie order.
   */
  restoreTrailing(slot: number, orderId: number, symbol: number, side: number, offsetTicks: number, extremeTicks: number): void {
    this.addTrailing(slot, orderId, symbol, side, offsetTicks, extremeTicks);
  }

  /** Stops holding the order (cancel); false when the slot does not hold this order id. */
  remove(slot: number, orderId: number): boolean {
    const n = this.find(slot, orderId);
    if (n === NONE) return false;
    const b = this.nBook[n];
    if (this.nGroup[n] === NONE) {
      this.fixedRoot[b] = this.orders.delete(this.fixedRoot[b], n);
      this.fixedCount[b]--;
    } else {
      const g = this.groupOf(n);
      this.triggerRoot[b] = this.byTrigger.delete(this.triggerRoot[b], g);
      this.gTop[g] = this.orders.delete(this.gTop[g], n);
      this.leaveGroup(b, n, g);
    }
    this.freeOrder(n);
    return true;
  }

  /** The order's current trigger in ticks, NaN when the slot does not hold this order id. */
  triggerOf(slot: number, orderId: number): number {
    const n = this.find(slot, orderId);
    if (n === NONE) return Number.NaN;
    const sell = (this.nBook[n] & 1) === SELL;
    if (this.nGroup[n] === NONE) return sell ? -this.nKey[n] : this.nKey[n];
    const k = this.gExtreme[this.groupOf(n)] - this.nKey[n];
    return sell ? k : -k;
  }

  /** A trailing stop's extreme (highest price seen for SELL, lowest for BUY); NaN for a fixed stop or none. */
  extremeOf(slot: number, orderId: number): number {
    const n = this.find(slot, orderId);
    if (n === NONE || this.nGroup[n] === NONE) return Number.NaN;
    const k = this.gExtreme[this.groupOf(n)];
    return (this.nBook[n] & 1) === SELL ? k : -k;
  }

  /** A trailing stop's offset in ticks; NaN for a fixed stop or none. */
  offsetOf(slot: number, orderId: number): number {
    const n = this.find(slot, orderId);
    return n === NONE || this.nGroup[n] === NONE ? Number.NaN : this.nKey[n];
  }

  /**
   * A public trade of the symbol at `priceTicks`: moves the trailing stops' extremes, then removes every order that
   * triggers and writes it to `out` (reset first) in trigger order. Returns the number triggered.
   */
  onTrade(symbol: number, priceTicks: number, out: TriggerBatch): number {
    this.checkSymbol(symbol);
    checkTicks(priceTicks, 'trade price');
    out.count = 0;
    this.sideTrade(symbol * 2 + BUY, -priceTicks, out);
    this.sideTrade(symbol * 2 + SELL, priceTicks, out);
    return out.count;
  }

  private sideTrade(b: number, k: number, out: TriggerBatch): void {
    if (this.trailingCount[b] !== 0) this.raiseExtremes(b, k);
    const sign = (b & 1) === SELL ? 1 : -1;
    for (;;) {
      const f = this.fixedRoot[b];
      const g = this.triggerRoot[b];
      const fk = f === NONE ? Number.NEGATIVE_INFINITY : -this.nKey[f];
      let tk = Number.NEGATIVE_INFINITY;
      let t = NONE;
      if (g !== NONE) {
        t = this.gTop[g];
        tk = this.gExtreme[g] - this.nKey[t];
      }
      const fixedFirst = fk > tk || (fk === tk && f !== NONE && (t === NONE || this.nSeq[f] < this.nSeq[t]));
      if (fixedFirst) {
        if (fk < k) return;
        out.push(this.nSlot[f], this.nId[f], sign * fk);
        this.fixedRoot[b] = this.orders.deleteMin(f);
        this.fixedCount[b]--;
        this.freeOrder(f);
      } else {
        if (t === NONE || tk < k) return;
        out.push(this.nSlot[t], this.nId[t], sign * tk);
        this.triggerRoot[b] = this.byTrigger.deleteMin(g);
        this.gTop[g] = this.orders.deleteMin(t);
        this.leaveGroup(b, t, g);
        this.freeOrder(t);
      }
    }
  }

  /** Every trailing group of side book `b` with an extreme below k takes k as its extreme: they merge into one. */
  private raiseExtremes(b: number, k: number): void {
    let acc = NONE;
    let root = this.extremeRoot[b];
    while (root !== NONE && this.gExtreme[root] < k) {
      const g = root;
      root = this.byExtreme.deleteMin(g);
      this.triggerRoot[b] = this.byTrigger.delete(this.triggerRoot[b], g);
      if (acc === NONE) {
        acc = g;
        continue;
      }
      // Union by rank; the loser becomes a forwarding record for the orders still pointing at it.
      let w = acc;
      let l = g;
      if (this.gRank[l] > this.gRank[w]) {
        w = g;
        l = acc;
      }
      if (this.gRank[l] === this.gRank[w]) this.gRank[w]++;
      this.gTop[w] = this.orders.meld(this.gTop[w], this.gTop[l]);
      this.gTop[l] = NONE;
      this.gSize[w] += this.gSize[l];
      this.gSize[l] = 0;
      this.gParent[l] = w;
      this.gRef[w]++;
      this.release(l); // its own reference as a live group
      acc = w;
    }
    if (acc === NONE) return;
    this.gExtreme[acc] = k;
    this.extremeRoot[b] = this.byExtreme.insert(root, acc);
    this.triggerRoot[b] = this.byTrigger.insert(this.triggerRoot[b], acc);
  }

  /** Order n (already out of g's order heap, g out of the trigger heap) leaves its live group g. */
  private leaveGroup(b: number, n: number, g: number): void {
    this.trailingCount[b]--;
    this.release(this.nGroup[n]);
    this.nGroup[n] = NONE;
    if (--this.gSize[g] === 0) {
      this.extremeRoot[b] = this.byExtreme.delete(this.extremeRoot[b], g);
      this.release(g);
    } else {
      this.triggerRoot[b] = this.byTrigger.insert(this.triggerRoot[b], g);
    }
  }

  /** The live group of a trailing order (compresses the order's pointer to it). */
  private groupOf(n: number): number {
    const g0 = this.nGroup[n];
    let g = g0;
    while (this.gParent[g] !== NONE) g = this.gParent[g];
    if (g !== g0) {
      this.nGroup[n] = g;
      this.gRef[g]++;
      this.release(g0);
    }
    return g;
  }

  /** Drops one reference to group g, freeing it (and then its parents) when none is left. */
  private release(g: number): void {
    while (g !== NONE && --this.gRef[g] === 0) {
      const p = this.gParent[g];
      this.gParent[g] = NONE;
      this.gFree[g] = this.gFreeHead;
      this.gFreeHead = g;
      this.gUsed--;
      g = p;
    }
  }

  private newGroup(extreme: number): number {
    if (this.gFreeHead === NONE) this.growGroups(this.gCapacity * 2);
    const g = this.gFreeHead;
    this.gFreeHead = this.gFree[g];
    this.gUsed++;
    this.gExtreme[g] = extreme;
    this.gTop[g] = NONE;
    this.gParent[g] = NONE;
    this.gRef[g] = 1; // live
    this.gRank[g] = 0;
    this.gSize[g] = 0;
    return g;
  }

  private newOrder(slot: number, orderId: number, b: number): number {
    if (!Number.isInteger(slot) || slot < 0 || slot > 0x7fffffff) throw new RangeError(`trigger book: bad slot ${slot}`);
    if (typeof orderId !== 'number' || Number.isNaN(orderId)) throw new RangeError(`trigger book: bad order id ${orderId}`);
    if (slot >= this.slotOrder.length) {
      let cap = this.slotOrder.length * 2;
      while (cap <= slot) cap *= 2;
      this.slotOrder = growI32(this.slotOrder, cap, NONE);
    }
    const old = this.slotOrder[slot];
    if (old !== NONE) throw new Error(`trigger book: slot ${slot} already holds order ${this.nId[old]} (adding ${orderId})`);
    if (this.nFreeHead === NONE) this.growOrders(this.nCapacity * 2);
    const n = this.nFreeHead;
    this.nFreeHead = this.nFree[n];
    this.nId[n] = orderId;
    this.nSlot[n] = slot;
    this.nBook[n] = b;
    this.nSeq[n] = this.seq++;
    this.slotOrder[slot] = n;
    this.held++;
    return n;
  }

  private freeOrder(n: number): void {
    this.slotOrder[this.nSlot[n]] = NONE;
    this.nGroup[n] = NONE;
    this.nFree[n] = this.nFreeHead;
    this.nFreeHead = n;
    this.held--;
  }

  private find(slot: number, orderId: number): number {
    if (!(slot >= 0 && slot < this.slotOrder.length)) return NONE;
    const n = this.slotOrder[slot];
    return n !== NONE && this.nId[n] === orderId ? n : NONE;
  }

  private bookOf(symbol: number, side: number): number {
    this.checkSymbol(symbol);
    if (side !== BUY && side !== SELL) throw new RangeError(`trigger book: bad side ${side}`);
    return symbol * 2 + side;
  }

  private checkSymbol(symbol: number): void {
    if (!(Number.isInteger(symbol) && symbol >= 0 && symbol < this.symbols)) throw new RangeError(`trigger book: bad symbol ${symbol}`);
  }

  private growOrders(cap: number): void {
    const old = this.nCapacity;
    this.nKey = growF64(this.nKey, cap);
    this.nSeq = growF64(this.nSeq, cap);
    this.nId = growF64(this.nId, cap);
    this.nSlot = growI32(this.nSlot, cap, 0);
    this.nBook = growI32(this.nBook, cap, 0);
    this.nGroup = growI32(this.nGroup, cap, NONE);
    this.nFree = growI32(this.nFree, cap, NONE);
    this.orders.grow(cap);
    for (let i = cap - 1; i >= old; i--) {
      this.nFree[i] = this.nFreeHead;
      this.nFreeHead = i;
    }
    this.nCapacity = cap;
  }

  private growGroups(cap: number): void {
    const old = this.gCapacity;
    this.gExtreme = growF64(this.gExtreme, cap);
    this.gTop = growI32(this.gTop, cap, NONE);
    this.gParent = growI32(this.gParent, cap, NONE);
    this.gRef = growI32(this.gRef, cap, 0);
    const rank = new Uint8Array(cap);
    rank.set(this.gRank);
    this.gRank = rank;
    this.gSize = growI32(this.gSize, cap, 0);
    this.gFree = growI32(this.gFree, cap, NONE);
    this.byExtreme.grow(cap);
    this.byTrigger.grow(cap);
    for (let i = cap - 1; i >= old; i--) {
      this.gFree[i] = this.gFreeHead;
      this.gFreeHead = i;
    }
    this.gCapacity = cap;
  }
}

function checkTicks(v: number, what: string): void {
  if (!Number.isSafeInteger(v)) throw new RangeError(`trigger book: ${what} ${v} is not an integer of ticks`);
}
