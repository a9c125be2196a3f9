/**
 * A sorted array of (key, level) pairs, ascending by key, so the largest key (the "best") is last.
 * Used for price levels outside a ladder's dense window and for pending stop levels, both of which
 * are rare; insertion and removal are a binary search plus a memmove. Grows by doubling.
 */
import { growF64, growI32 } from './order-pool.js';

/** Entries moved by a plain loop; longer moves use copyWithin (a builtin call costs more than a few stores). */
const SHORT_MOVE = 32;

export class SortedLevels {
  keys: Float64Array;
  levels: Int32Array;
  size = 0;

  constructor(initialCapacity = 16) {
    this.keys = new Float64Array(initialCapacity);
    this.levels = new Int32Array(initialCapacity);
  }

  /** Index of the first entry with key >= `key` (== size when none). */
  lowerBound(key: number): number {
    const keys = this.keys;
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys[mid] < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Level stored under `key`, or -1. */
  find(key: number): number {
    const i = this.lowerBound(key);
    return i < this.size && this.keys[i] === key ? this.levels[i] : -1;
  }

  /** Inserts a key that is not present. */
  insert(key: number, level: number): void {
    if (this.size === this.keys.length) {
      this.keys = growF64(this.keys, this.size * 2);
      this.levels = growI32(this.levels, this.size * 2);
    }
    const i = this.lowerBound(key);
    const n = this.size;
    const keys = this.keys;
    const levels = this.levels;
    if (n - i > SHORT_MOVE) {
      keys.copyWithin(i + 1, i, n);
      levels.copyWithin(i + 1, i, n);
    } else {
      for (let j = n; j > i; j--) {
        keys[j] = keys[j - 1];
        levels[j] = levels[j - 1];
      }
    }
    keys[i] = key;
    levels[i] = level;
    this.size = n + 1;
  }

  /** Appends a key larger than every key present. */
  push(key: number, level: number): void {
    if (this.size === this.keys.length) {
      this.keys = growF64(this.keys, this.size * 2);
      this.levels = growI32(this.levels, this.size * 2);
    }
    this.keys[this.size] = key;
    this.levels[this.size] = level;
    this.size++;
  }

  /** Removes the entry at index `i`. */
  removeAt(i: number): void {
    const n = this.size - 1;
    const keys = this.keys;
    const levels = this.levels;
    if (n - i > SHORT_MOVE) {
      keys.copyWithin(i, i + 1, n + 1);
      levels.copyWithin(i, i + 1, n + 1);
    } else {
      for (let j = i; j < n; j++) {
        keys[j] = keys[j + 1];
        levels[j] = levels[j + 1];
      }
    }
    this.size = n;
  }

  /** Removes `key` if present; returns whether it was. */
  remove(key: number): boolean {
    const i = this.lowerBound(key);
    if (i < this.size && this.keys[i] === key) {
      this.removeAt(i);
      return true;
    }
    return false;
  }

  /** Largest key; only valid when size > 0. */
  topKey(): number {
    return this.keys[this.size - 1];
  }

  topLevel(): number {
    return this.levels[this.size - 1];
  }

  clear(): void {
    this.size = 0;
  }

  /** Bytes held by the arrays (diagnostics). */
  heldBytes(): number {
    return this.keys.byteLength + this.levels.byteLength;
  }
}
