/**
 * One side's price index: key -> level, with the best (largest) key tracked. Bids use key = price,
 * asks key = -price, so "larger key is better" on both sides and one class serves both.
 *
 * Every key lives in exactly one of three places, split by the dense window [base, base + width):
 *  - the window: a tick-indexed slot array plus a hierarchical bitset (O(1) lookup, a few word
 *    operations to find the next level down);
 *  - `lower`, keys below the window: a sorted array, ascending, so the key next to the window is last;
 *  - `upper`, keys above the window: a sorted array of negated keys, so again the key next to the
 *    window is last and the best key of the whole side (when it is up there) is first.
 * A far price therefore costs one overflow entry, never memory or time proportional to its distance.
 *
 * The window does not follow the best price. It moves only
 *  - when it holds no level and a key arrives between `lower` and `upper` (it is placed on that key,
 *    pulling in the overflow levels that now fall inside it), or
 *  - when activity outside it dominates: `outside` counts operations in the overflows minus operations
 *    in the window (never below 0); once it passes RECENTRE_SLACK + a quarter of the levels the move
 *    would carry (those in the window, and those going between `lower` and `upper`), the window is
 *    placed on the key of that operation, or
 *  - when it grows (below).
 * A move costs the levels it carries (taken off the window by walking its bitset, pushed to or popped
 * from the overflow ends next to the window), never the window width, and the activity rule charges that
 * cost to the operations that triggered it. So a best price that jumps far and back (one bid 50,000
 * ticks above the rest, placed and cancelled) costs an overflow insert and remove, not a window move.
 * A moved window puts its key at 3/4 of the width, leaving room for price improvement.
 *
 * The window starts START_WIDTH ticks wide (or `maxWidth`, when smaller) and grows with the side's active
 * price range: when more than a sixteenth of the operations of an epoch (GROW_EPOCH operations or more) fell
 * within half a width of the window's edges, the window doubles around its middle, up to `maxWidth`. Far
 * prices (a jumping best, far-apart levels) do not count: a wider window would not hold them either. Doubling
 * allocates new arrays, so a side grows at most log2(maxWidth / START_WIDTH) times in its life (4 at the
 * defaults): a one-time cost like the first allocation, never one per operation. A side whose prices stay
 * within a thousand ticks keeps about 4 KB of window instead of 64 KB, and a book's hot data stays close.
 *
 * The window's arrays (4 bytes per tick plus the bitset) are allocated when the window is first placed,
 * i.e. on the side's first level, unless `preallocate` is given (then at `maxWidth`, up front: an unused side
 * otherwise costs a few hundred bytes).
 */
import { Bitset } from './bitset.js';
import { SortedLevels } from './sorted-levels.js';

/** Net outside operations tolerated before the window is moved, on top of the move's cost. */
const RECENTRE_SLACK = 64;
/**
 * A level carried by a move costs a bitset step and an array push or pop, far less than an operation in an
 * overflow (binary search and memmove): a move carrying c levels waits for c / 4 net outside operations.
 */
const MOVE_COST_SHIFT = 2;
/** Width of a window when first placed (when `maxWidth` is larger). */
export const START_WIDTH = 1024;
/** Operations (inserts and removes) over which the share near the window's edges is judged, at least. */
const GROW_EPOCH = 1024;
/** The window doubles when more than 1 / 2^GROW_SHARE_SHIFT of an epoch's operations fell near its edges. */
const GROW_SHARE_SHIFT = 4;

export class PriceLadder {
  /** Ticks the window covers now (a power of two, at most maxWidth). */
  width: number;
  /** Most ticks the window grows to. */
  readonly maxWidth: number;
  /** Offset of the key the window is placed on after a move. */
  private anchor: number;
  /** First key of the window; +Infinity until the window is first placed (every key is then "lower"). */
  base = Infinity;
  private slots: Int32Array | null = null;
  private bits: Bitset | null = null;
  /** Keys below the window, ascending. */
  private readonly lower = new SortedLevels(4);
  /** Negated keys above the window, ascending (best key first, the key next to the window last). */
  private readonly upper = new SortedLevels(4);
  /** Scratch for window moves: keys and levels taken off the window and the overflow ends next to it. */
  private scratchKeys: Float64Array | null = null;
  private scratchLevels: Int32Array | null = null;
  /** Best (largest) key, -Infinity when empty. */
  bestKey = -Infinity;
  /** Level of the best key, -1 when empty. */
  bestLevel = -1;
  /** Number of levels. */
  count = 0;
  /** Levels inside the window. */
  inWindow = 0;
  /** Operations in the overflows minus operations in the window since the last move (>= 0). */
  private outside = 0;
  /** Operations (inserts and removes) in this growth epoch. */
  private epochOps = 0;
  /** Of those, operations in the overflows within half a width of the window's edges. */
  private nearOps = 0;
  /** Window moves so far, placements included (diagnostics, tests). */
  moves = 0;

  /**
   * `maxWidth`: the most ticks the window grows to (a power of two >= 1024). `preallocate`: allocate the window's
   * arrays now, at `maxWidth`, instead of when the window is first placed.
   */
  constructor(maxWidth: number, preallocate = false) {
    this.maxWidth = maxWidth;
    this.width = preallocate ? maxWidth : Math.min(maxWidth, START_WIDTH);
    this.anchor = (this.width >> 2) * 3;
    if (preallocate) this.allocate();
  }

  /** Level at `key` (an integer), or -1; a fractional key inside the window reads no slot and gives undefined. */
  find(key: number): number {
    const r = key - this.base;
    if (r >= 0) return r < this.width ? this.slots![r] : this.upper.find(-key);
    return this.lower.find(key);
  }

  /** Adds a level under a key that is not present. */
  insert(key: number, level: number): void {
    this.epochOps++;
    let r = key - this.base;
    if (r >= 0 && r < this.width) {
      this.slots![r] = level;
      this.bits!.set(r);
      this.inWindow++;
      if (this.outside > 0) this.outside--;
    } else if (this.inWindow === 0 && this.inGap(key)) {
      this.moveTo(key - this.anchor, this.width);
      r = key - this.base;
      this.slots![r] = level;
      this.bits!.set(r);
      this.inWindow++;
    } else {
      if (r < 0) this.lower.insert(key, level);
      else this.upper.insert(-key, level);
      if (key > this.bestKey) {
        this.bestKey = key;
        this.bestLevel = level;
      }
      this.count++;
      this.countOutside(r);
      if (++this.outside > RECENTRE_SLACK + (this.inWindow >> MOVE_COST_SHIFT)) this.maybeRecentre(key);
      return;
    }
    if (key > this.bestKey) {
      this.bestKey = key;
      this.bestLevel = level;
    }
    this.count++;
  }

  /** Removes the level under `key` (which must be present). */
  remove(key: number): void {
    this.count--;
    this.epochOps++;
    const r = key - this.base;
    if (r >= 0 && r < this.width) {
      this.slots![r] = -1;
      this.bits!.clear(r);
      this.inWindow--;
      if (this.outside > 0) this.outside--;
      if (key !== this.bestKey) return;
      // The best was in the window, so `upper` is empty: the next best is lower in the window or in `lower`.
      const p = this.inWindow > 0 ? this.bits!.prevSet(r - 1) : -1;
      if (p >= 0) {
        this.bestKey = this.base + p;
        this.bestLevel = this.slots![p];
      } else {
        this.bestFromLower();
      }
      return;
    }
    if (r < 0) this.lower.remove(key);
    else this.upper.remove(-key);
    this.outside++;
    if (key === this.bestKey) this.findBest();
    this.countOutside(r);
    if (this.outside > RECENTRE_SLACK + (this.inWindow >> MOVE_COST_SHIFT)) this.maybeRecentre(key);
  }

  /** Level with the largest key strictly below `key`, or -1. For walking levels best to worst. */
  levelBelow(key: number): number {
    const up = this.upper;
    if (up.size > 0) {
      // Largest upper key k < key, i.e. smallest negated key >= 1 - key.
      const i = up.lowerBound(1 - key);
      if (i < up.size) return up.levels[i];
    }
    const r = key - this.base;
    if (r > 0 && this.inWindow > 0) {
      const p = this.bits!.prevSet((r < this.width ? r : this.width) - 1);
      if (p >= 0) return this.slots![p];
    }
    const ov = this.lower;
    const i = ov.lowerBound(key) - 1;
    return i >= 0 ? ov.levels[i] : -1;
  }

  clear(): void {
    this.epochOps = 0;
    this.nearOps = 0;
    if (this.slots !== null) {
      this.slots.fill(-1);
      this.bits!.clearAll();
    }
    this.lower.clear();
    this.upper.clear();
    this.bestKey = -Infinity;
    this.bestLevel = -1;
    this.count = 0;
    this.inWindow = 0;
    this.outside = 0;
  }

  /** Levels currently outside the window (diagnostics, tests). */
  overflowSize(): number {
    return this.lower.size + this.upper.size;
  }

  /** Whether the window's arrays exist (they are allocated when the window is first placed). */
  get windowAllocated(): boolean {
    return this.slots !== null;
  }

  /** Bytes held by the typed arrays (diagnostics). */
  heldBytes(): number {
    let n = this.lower.heldBytes() + this.upper.heldBytes();
    if (this.slots !== null) n += this.slots.byteLength + this.bits!.byteLength();
    if (this.scratchKeys !== null) n += this.scratchKeys.byteLength + this.scratchLevels!.byteLength;
    return n;
  }

  /** Whether `key` lies strictly between `lower` and `upper` (placing the window on it carries nothing across). */
  private inGap(key: number): boolean {
    const lo = this.lower;
    const up = this.upper;
    return (lo.size === 0 || lo.topKey() < key) && (up.size === 0 || -up.topKey() > key);
  }

  private bestFromLower(): void {
    const lo = this.lower;
    if (lo.size > 0) {
      this.bestKey = lo.topKey();
      this.bestLevel = lo.topLevel();
    } else {
      this.bestKey = -Infinity;
      this.bestLevel = -1;
    }
  }

  /** Recomputes the best key after it left an overflow. */
  private findBest(): void {
    const up = this.upper;
    if (up.size > 0) {
      this.bestKey = -up.keys[0];
      this.bestLevel = up.levels[0];
    } else if (this.inWindow > 0) {
      const p = this.bits!.prevSet(this.width - 1);
      this.bestKey = this.base + p;
      this.bestLevel = this.slots![p];
    } else {
      this.bestFromLower();
    }
  }

  /**
   * After an operation in an overflow, `r` ticks from the window's base: counts it when within half a width of the
   * window, and at the end of an epoch doubles the window around its middle if such operations were too many.
   */
  private countOutside(r: number): void {
    const width = this.width;
    if (r >= -(width >> 1) && r < width + (width >> 1)) this.nearOps++;
    if (this.epochOps < GROW_EPOCH) return;
    if (this.nearOps << GROW_SHARE_SHIFT > this.epochOps && width < this.maxWidth) {
      this.moveTo(this.base - (width >> 1), width * 2);
      this.outside = 0;
    }
    this.epochOps = 0;
    this.nearOps = 0;
  }

  /** Outside activity dominates: moves the window onto `key` unless carrying levels across would cost more. */
  private maybeRecentre(key: number): void {
    const newBase = key - this.anchor;
    const base = this.base;
    let across: number;
    if (newBase > base) {
      // Upper keys below the new base go to `lower`.
      const up = this.upper;
      across = up.size - up.lowerBound(1 - newBase);
    } else if (newBase < base) {
      // Lower keys at or above the new window's end go to `upper`.
      const lo = this.lower;
      across = lo.size - lo.lowerBound(newBase + this.width);
    } else {
      return;
    }
    if (this.outside > RECENTRE_SLACK + ((this.inWindow + across) >> MOVE_COST_SHIFT)) {
      this.moveTo(newBase, this.width);
      this.outside = 0;
    }
  }

  /**
   * Places the window at `newBase`, `newWidth` ticks wide (the width it has, or more: new arrays then): the levels
   * that may change place — the window's, the upper keys below the new end, the lower keys at or above the new
   * base — are taken off, best first, and put back into `upper`, the window or `lower`. Levels that stay where
   * they are in the overflows are not touched.
   */
  private moveTo(newBase: number, newWidth: number): void {
    this.moves++;
    const oldBase = this.base;
    const newTop = newBase + newWidth;
    const lo = this.lower;
    const up = this.upper;
    // 1. Take off, best (largest key) first: upper keys below newTop, the window's levels, lower keys >= newBase.
    const fromUp = up.lowerBound(1 - newTop); // upper[fromUp..] hold the keys < newTop, largest first
    const fromLo = lo.lowerBound(newBase); // lower[fromLo..] hold the keys >= newBase, smallest first
    const n = up.size - fromUp + this.inWindow + (lo.size - fromLo);
    if (n === 0) {
      // nothing changes place (a first placement, or a window placed on an empty stretch)
      this.base = newBase;
      if (this.slots === null || newWidth !== this.width) this.resize(newWidth);
      return;
    }
    let sk = this.scratchKeys;
    let sl = this.scratchLevels;
    if (sk === null || sk.length < n) {
      const cap = Math.max(16, n * 2);
      sk = this.scratchKeys = new Float64Array(cap);
      sl = this.scratchLevels = new Int32Array(cap);
    }
    const scratchLevels = sl!;
    let m = 0;
    for (let i = fromUp; i < up.size; i++) {
      sk[m] = -up.keys[i];
      scratchLevels[m++] = up.levels[i];
    }
    up.size = fromUp;
    if (this.inWindow > 0) {
      const slots = this.slots!;
      const bits = this.bits!;
      for (let p = bits.prevSet(this.width - 1); p >= 0; p = bits.prevSet(p - 1)) {
        sk[m] = oldBase + p;
        scratchLevels[m++] = slots[p];
        slots[p] = -1;
        bits.clear(p);
      }
    }
    for (let i = lo.size - 1; i >= fromLo; i--) {
      sk[m] = lo.keys[i];
      scratchLevels[m++] = lo.levels[i];
    }
    lo.size = fromLo;
    this.inWindow = 0;
    this.base = newBase;
    if (this.slots === null || newWidth !== this.width) this.resize(newWidth);
    // 2. Put back. Keys >= newTop are below every key left in `upper`: pushed largest first (ascending negated keys);
    // keys < newBase are above every key left in `lower`: pushed smallest first.
    let i = 0;
    for (; i < m && sk[i] >= newTop; i++) up.push(-sk[i], scratchLevels[i]);
    for (; i < m && sk[i] >= newBase; i++) this.put(sk[i] - newBase, scratchLevels[i]);
    for (let j = m - 1; j >= i; j--) lo.push(sk[j], scratchLevels[j]);
  }

  /** New, empty window arrays `width` ticks wide (the window's levels must have been taken off first). */
  private resize(width: number): void {
    this.width = width;
    this.anchor = (width >> 2) * 3;
    this.allocate();
  }

  private allocate(): void {
    this.slots = new Int32Array(this.width).fill(-1);
    this.bits = new Bitset(this.width);
  }

  private put(r: number, level: number): void {
    this.slots![r] = level;
    this.bits!.set(r);
    this.inWindow++;
  }
}
