/**
 * One side's price index: key -> level, with the best (largest) key tracked. Bids use key = price,
 * asks key = -price, so "larger key is better" on both sides and one class serves both.
 *
 * Keys inside a dense window [base, base + width) live in a tick-indexed slot array plus a
 * hierarchical bitset (O(1) lookup, a few word operations to find the next level when the best
 * empties). Keys below the window (deep, far-from-touch levels) live in a sorted overflow array,
 * so a far-away price costs one entry, never memory proportional to its distance.
 *
 * Invariant: whenever the side has levels, the window holds at least one, so the best is in the
 * window. A key above the window moves the window up (levels falling off its bottom go to the
 * overflow); when the window empties the window moves down onto the best overflow key. The window
 * is placed so that the best sits at 3/4 of its width, leaving room for price improvement.
 */
import { Bitset } from './bitset.js';
import { SortedLevels } from './sorted-levels.js';

export class PriceLadder {
  readonly width: number;
  /** Offset of the best key inside the window after a move. */
  private readonly anchor: number;
  base = 0;
  private readonly slots: Int32Array;
  private readonly bits: Bitset;
  private readonly overflow = new SortedLevels(16);
  /** Best (largest) key, -Infinity when empty. */
  bestKey = -Infinity;
  /** Level of the best key, -1 when empty. */
  bestLevel = -1;
  /** Number of levels. */
  count = 0;
  /** Window moves so far (diagnostics). */
  moves = 0;

  constructor(width: number) {
    this.width = width;
    this.anchor = (width >> 2) * 3;
    this.slots = new Int32Array(width).fill(-1);
    this.bits = new Bitset(width);
  }

  /** Level at `key`, or -1. */
  find(key: number): number {
    const r = key - this.base;
    if (r >= 0) return r < this.width ? this.slots[r] : -1;
    return this.overflow.find(key);
  }

  /** Adds a level under a key that is not present. */
  insert(key: number, level: number): void {
    if (this.count === 0) this.base = key - this.anchor;
    let r = key - this.base;
    if (r >= this.width) {
      this.moveUp(key);
      r = key - this.base;
    }
    if (r >= 0) {
      this.slots[r] = level;
      this.bits.set(r);
    } else {
      this.overflow.insert(key, level);
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
    if (r < 0) {
      this.overflow.remove(key);
      return;
    }
    this.slots[r] = -1;
    this.bits.clear(r);
    if (key !== this.bestKey) return;
    if (this.count === 0) {
      this.bestKey = -Infinity;
      this.bestLevel = -1;
      return;
    }
    const p = this.bits.prevSet(r - 1);
    if (p >= 0) {
      this.bestKey = this.base + p;
      this.bestLevel = this.slots[p];
    } else {
      this.moveDown();
    }
  }

  /** Level with the largest key strictly below `key`, or -1. For walking levels best to worst. */
  levelBelow(key: number): number {
    const r = key - this.base;
    if (r > 0) {
      const p = this.bits.prevSet((r < this.width ? r : this.width) - 1);
      if (p >= 0) return this.slots[p];
    }
    const ov = this.overflow;
    const i = ov.lowerBound(key) - 1;
    return i >= 0 ? ov.levels[i] : -1;
  }

  clear(): void {
    this.slots.fill(-1);
    this.bits.clearAll();
    this.overflow.clear();
    this.bestKey = -Infinity;
    this.bestLevel = -1;
    this.count = 0;
  }

  /** Levels currently outside the window (diagnostics, tests). */
  overflowSize(): number {
    return this.overflow.size;
  }

  /** Moves the window up so that `key` sits at the anchor; evicted levels go to the overflow. */
  private moveUp(key: number): void {
    this.moves++;
    const width = this.width;
    const slots = this.slots;
    const ov = this.overflow;
    const base = this.base;
    const newBase = key - this.anchor;
    const delta = newBase - base;
    const evict = delta < width ? delta : width;
    // Evicted keys are above every overflow key (those are below the old base), so append in order.
    for (let r = 0; r < evict; r++) {
      const l = slots[r];
      if (l >= 0) {
        ov.push(base + r, l);
        slots[r] = -1;
      }
    }
    this.bits.clearAll();
    if (delta < width) {
      slots.copyWithin(0, delta, width);
      slots.fill(-1, width - delta);
      for (let r = 0; r < width - delta; r++) if (slots[r] >= 0) this.bits.set(r);
    }
    this.base = newBase;
  }

  /** The window is empty but the overflow is not: move the window down onto the best overflow key. */
  private moveDown(): void {
    this.moves++;
    const ov = this.overflow;
    const top = ov.topKey();
    const newBase = top - this.anchor;
    this.base = newBase;
    this.bestKey = top;
    this.bestLevel = ov.topLevel();
    while (ov.size > 0) {
      const k = ov.topKey();
      if (k < newBase) break;
      const r = k - newBase;
      this.slots[r] = ov.topLevel();
      this.bits.set(r);
      ov.size--;
    }
  }
}
