/**
 * One venue's order book for one symbol: price levels in ticks and lots, sorted best first, in fixed typed arrays
 * (a ladder per side of `capacity` levels; a level beyond the worst kept one is not held). Nothing allocates after
 * construction. Set and removed by absolute quantity, as both venues' streams send them.
 */
import { type BookSide, BID, type LevelBuffer } from './feed.js';

export const BOOK_NONE = 0;
export const BOOK_SYNCED = 1;
export const BOOK_RESYNCING = 2;
export const BOOK_CROSSED = 3;
export type BookStatus = typeof BOOK_NONE | typeof BOOK_SYNCED | typeof BOOK_RESYNCING | typeof BOOK_CROSSED;
export const BOOK_STATUS_NAMES = ['NONE', 'SYNCED', 'RESYNCING', 'CROSSED'] as const;

export class BookLadder {
  readonly price: Float64Array;
  readonly qty: Float64Array;
  count = 0;

  /** `descending`: bids (best = highest price first). */
  constructor(readonly capacity: number, private readonly descending: boolean) {
    this.price = new Float64Array(capacity);
    this.qty = new Float64Array(capacity);
  }

  /** Index of `price`, or -(insertion point) - 1. */
  private find(price: number): number {
    let lo = 0;
    let hi = this.count - 1;
    const desc = this.descending;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const p = this.price[mid]!;
      if (p === price) return mid;
      if (desc ? p > price : p < price) lo = mid + 1;
      else hi = mid - 1;
    }
    return -lo - 1;
  }

  /** Sets the level at `price` to `qty` (0 removes it). */
  set(price: number, qty: number): void {
    const i = this.find(price);
    if (i >= 0) {
      if (qty > 0) {
        this.qty[i] = qty;
        return;
      }
      this.price.copyWithin(i, i + 1, this.count);
      this.qty.copyWithin(i, i + 1, this.count);
      this.count--;
      return;
    }
    if (qty <= 0) return;
    const at = -i - 1;
    if (at >= this.capacity) return; // worse than every level kept, and the ladder is full
    const end = this.count < this.capacity ? this.count : this.capacity - 1;
    this.price.copyWithin(at + 1, at, end);
    this.qty.copyWithin(at + 1, at, end);
    this.price[at] = price;
    this.qty[at] = qty;
    if (this.count < this.capacity) this.count++;
  }

  /** Replaces every level with the buffer's (best first, as a snapshot gives them; sorted here if not). */
  load(levels: LevelBuffer): void {
    this.count = 0;
    const n = Math.min(levels.count, this.capacity);
    let sorted = true;
    for (let i = 0; i < levels.count; i++) {
      if (i > 0 && (this.descending ? levels.price[i]! >= levels.price[i - 1]! : levels.price[i]! <= levels.price[i - 1]!)) sorted = false;
    }
    if (sorted) {
      for (let i = 0; i < n; i++) {
        this.price[i] = levels.price[i]!;
        this.qty[i] = levels.qty[i]!;
      }
      this.count = n;
      // zero quantities are not levels
      if (n > 0 && this.hasZero()) this.compact();
      return;
    }
    for (let i = 0; i < levels.count; i++) this.set(levels.price[i]!, levels.qty[i]!);
  }

  private hasZero(): boolean {
    for (let i = 0; i < this.count; i++) if (!(this.qty[i]! > 0)) return true;
    return false;
  }

  private compact(): void {
    let w = 0;
    for (let r = 0; r < this.count; r++) {
      if (this.qty[r]! > 0) {
        this.price[w] = this.price[r]!;
        this.qty[w] = this.qty[r]!;
        w++;
      }
    }
    this.count = w;
  }

  clear(): void {
    this.count = 0;
  }

  /** Best price, or NaN when empty. */
  get best(): number {
    return this.count > 0 ? this.price[0]! : NaN;
  }
}

export class VenueBook {
  readonly bids: BookLadder;
  readonly asks: BookLadder;
  status: BookStatus = BOOK_NONE;
  /** The venue's time of the last snapshot or commit (epoch ms; 0 = unknown). */
  venueTs = 0;
  /** Snapshots and commits applied. */
  updates = 0;

  constructor(capacity: number) {
    this.bids = new BookLadder(capacity, true);
    this.asks = new BookLadder(capacity, false);
  }

  side(side: BookSide): BookLadder {
    return side === BID ? this.bids : this.asks;
  }

  /** True when both sides are consistent: the best bid is below the best ask (or a side is empty). */
  get uncrossed(): boolean {
    return this.bids.count === 0 || this.asks.count === 0 || this.bids.price[0]! < this.asks.price[0]!;
  }

  clear(): void {
    this.bids.clear();
    this.asks.clear();
  }
}
