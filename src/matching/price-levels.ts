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
 *    placed on the key of that operation.
 * A move costs the levels it carries (taken off the window by walking its bitset, pushed to or popped
 * from the overflow ends next to the window), never the window width, and the activity rule charges that
 * cost to the operations that triggered it. So a best price that jumps far and back (one bid 50,000
 * ticks above the rest, placed and cancelled) costs an overflow insert and remove, not a window move.
 * A moved window puts its key at 3/4 of the width, leaving room for price improvement.
 *
 * The window's arrays (4 bytes per tick plus the bitset) are allocated when the window is first placed,
 * i.e. on the side's first level, unless `preallocate` is given (an unused side costs a few hundred bytes).
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

export class PriceLadder {
  readonly width: number;
  /** Offset of the key the window is placed on after a move. */
  private readonly anchor: number;
  /** First key of the window; +Infinity until the window is first placed (every key is then "lower"). */
  base = Infinity;
  private slots: Int32Array | null = null;
  private bits: Bitset | null = null;
  /** Keys below the window, ascending. */
  private readonly lower = new SortedLevels(4);
  /** Negated keys above the window, ascending (best key first, the key next to the window last). */
  private readonly upper = new SortedLevels(4);
  /** Scratch for window moves: keys and levels taken off the window. */
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
  /** Window moves so far (diagnostics, tests). */
  moves = 0;

  /** `preallocate`: allocate the window's arrays now instead of when the window is first placed. */
  constructor(width: number, preallocate = false) {
    this.width = width;
    this.anchor = (width >> 2) * 3;
    if (preallocate) this.allocate();
  }

  /** Level at `key`, or -1. */
  find(key: number): number {
    const r = key - this.base;
    if (r >= 0) return r < this.width ? this.slots![r] : this.upper.find(-key);
    return this.lower.find(key);
  }

  /** Adds a level under a key that is not present. */
  insert(key: number, level: number): void {
    let r = key - this.base;
    if (r >= 0 && r < this.width) {
      this.slots![r] = level;
      this.bits!.set(r);
      this.inWindow++;
      if (this.outside > 0) this.outside--;
    } else if (this.inWindow === 0 && this.inGap(key)) {
      this.moveTo(key - this.anchor);
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
      this.moveTo(newBase);
      this.outside = 0;
    }
  }

  /**
   * Places the window at `newBase`: its levels are taken off (walking the bitset) and every level is
   * re-partitioned between `lower`, the window and `upper`, touching only levels that change place.
   */
  private moveTo(newBase: number): void {
    this.moves++;
    const width = this.width;
    if (this.slots === null) this.allocate();
    const slots = this.slots!;
    const bits = this.bits!;
    const oldBase = this.base;
    // 1. Take the window's levels off, best first.
    const n = this.inWindow;
    let sk = this.scratchKeys;
    let sl = this.scratchLevels;
    if (n > 0) {
      if (sk === null || sk.length < n) {
        const cap = Math.max(16, n * 2);
        sk = this.scratchKeys = new Float64Array(cap);
        sl = this.scratchLevels = new Int32Array(cap);
      }
      let i = 0;
      for (let p = bits.prevSet(width - 1); p >= 0; p = bits.prevSet(p - 1)) {
        sk[i] = oldBase + p;
        sl![i] = slots[p];
        slots[p] = -1;
        bits.clear(p);
        i++;
      }
    }
    this.inWindow = 0;
    this.base = newBase;
    const top = newBase + width;
    const lo = this.lower;
    const up = this.upper;
    // 2. Re-partition. Order of keys: lower < taken-off < upper.
    if (newBase > oldBase) {
      // Moving up: taken-off keys (ascending) then upper keys (ascending) go to `lower` or the window.
      for (let i = n - 1; i >= 0; i--) {
        const k = sk![i];
        if (k < newBase) lo.push(k, sl![i]);
        else this.put(k - newBase, sl![i]);
      }
      while (up.size > 0) {
        const k = -up.topKey();
        if (k >= top) break;
        const l = up.topLevel();
        up.size--;
        if (k < newBase) lo.push(k, l);
        else this.put(k - newBase, l);
      }
    } else {
      // Moving down (or placing an empty window): taken-off keys (descending) then lower keys (descending)
      // go to `upper` (pushed as ascending negated keys) or the window.
      for (let i = 0; i < n; i++) {
        const k = sk![i];
        if (k >= top) up.push(-k, sl![i]);
        else this.put(k - newBase, sl![i]);
      }
      while (lo.size > 0) {
        const k = lo.topKey();
        if (k < newBase) break;
        const l = lo.topLevel();
        lo.size--;
        if (k >= top) up.push(-k, l);
        else this.put(k - newBase, l);
      }
    }
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
