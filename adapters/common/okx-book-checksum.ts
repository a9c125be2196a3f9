/**
 * OKX's order-book checksum (order book channel, "Checksum"): CRC32, as a signed 32-bit integer, of the top 25 levels
 * interleaved `bidPx:bidSz:askPx:askSz:...` with the price and size texts exactly as sent (when one side has fewer
 * levels the other side's remaining levels follow alone). TextLadder keeps one side's texts in fixed arrays (what
 * `books` sends, so levels moving up into the top 25 are known); OkxChecksum computes the checksum in a reused byte
 * buffer. Used by the OKX market-data feeds (okx-ws/market-feed.ts and book-sync.ts, and ccxt/market-feed.ts to
 * check the books ccxt keeps, which ccxt itself does not).
 */
import { crc32 } from '../../src/model/crc32.js';

/** String.prototype.charCodeAt as a constant: see src/model/json-text.ts (a megamorphic `text.charCodeAt` per char). */
const charCodeAt = String.prototype.charCodeAt;

/** Levels per side in OKX's checksum. */
export const OKX_CHECKSUM_LEVELS = 25;
/** True when a (validated) decimal text is zero. */
function isZeroText(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = charCodeAt.call(text, i);
    if (c >= 49 && c <= 57) return false;
  }
  return true;
}

/**
 * One side of a book with the venue's own texts: sorted best first by price ticks, fixed arrays, nothing allocated
 * after construction (the texts are the strings the message parser made).
 */
export class TextLadder {
  readonly ticks: Float64Array;
  readonly px: string[];
  readonly sz: string[];
  count = 0;

  /** `descending`: bids (best = highest price first). */
  constructor(readonly capacity: number, private readonly descending: boolean) {
    this.ticks = new Float64Array(capacity);
    this.px = new Array<string>(capacity).fill('');
    this.sz = new Array<string>(capacity).fill('');
  }

  /** Index of `ticks`, or -(insertion point) - 1. */
  private find(ticks: number): number {
    let lo = 0;
    let hi = this.count - 1;
    const desc = this.descending;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const t = this.ticks[mid]!;
      if (t === ticks) return mid;
      if (desc ? t > ticks : t < ticks) lo = mid + 1;
      else hi = mid - 1;
    }
    return -lo - 1;
  }

  /** Sets the level at `ticks` to the venue's texts; a zero size removes it. A level worse than a full ladder is dropped. */
  set(ticks: number, px: string, sz: string): void {
    const zero = isZeroText(sz);
    const i = this.find(ticks);
    if (i >= 0) {
      if (!zero) {
        this.px[i] = px;
        this.sz[i] = sz;
        return;
      }
      this.ticks.copyWithin(i, i + 1, this.count);
      this.px.copyWithin(i, i + 1, this.count);
      this.sz.copyWithin(i, i + 1, this.count);
      this.count--;
      return;
    }
    if (zero) return;
    const at = -i - 1;
    if (at >= this.capacity) return;
    const end = this.count < this.capacity ? this.count : this.capacity - 1;
    this.ticks.copyWithin(at + 1, at, end);
    this.px.copyWithin(at + 1, at, end);
    this.sz.copyWithin(at + 1, at, end);
    this.ticks[at] = ticks;
    this.px[at] = px;
    this.sz[at] = sz;
    if (this.count < this.capacity) this.count++;
  }

  clear(): void {
    this.count = 0;
  }
}

/** OKX's book checksum over texts, computed in a reused byte buffer (texts are ASCII decimals: one byte a char). */
export class OkxChecksum {
  private buf = new Uint8Array(2048);

  /** Checksum (signed 32-bit) of the top 25 levels of `nb` bids and `na` asks given as price/size text arrays. */
  of(bidPx: readonly string[], bidSz: readonly string[], nb: number, askPx: readonly string[], askSz: readonly string[], na: number): number {
    const b = Math.min(nb, OKX_CHECKSUM_LEVELS);
    const a = Math.min(na, OKX_CHECKSUM_LEVELS);
    const n = Math.max(a, b);
    let w = 0;
    for (let i = 0; i < n; i++) {
      if (i < b) {
        w = this.put(w, bidPx[i]!);
        w = this.put(w, bidSz[i]!);
      }
      if (i < a) {
        w = this.put(w, askPx[i]!);
        w = this.put(w, askSz[i]!);
      }
    }
    // every field was written with a ':' before it: the first one is not part of the string
    return w === 0 ? crc32(this.buf, 0, 0) | 0 : crc32(this.buf, 1, w) | 0;
  }

  /** Checksum of two ladders. */
  ofLadders(bids: TextLadder, asks: TextLadder): number {
    return this.of(bids.px, bids.sz, bids.count, asks.px, asks.sz, asks.count);
  }

  private put(at: number, text: string): number {
    const need = at + text.length + 1;
    if (need > this.buf.length) {
      const grown = new Uint8Array(Math.max(need, this.buf.length * 2));
      grown.set(this.buf.subarray(0, at));
      this.buf = grown;
    }
    const buf = this.buf;
    let w = at;
    buf[w++] = 58; // ':'
    for (let i = 0; i < text.length; i++) buf[w++] = charCodeAt.call(text, i) & 0xff;
    return w;
  }
}

/** OKX's checksum of a book given as `[price, size, ...]` text levels, best first (tests, tools; allocates). */
export function okxBookChecksum(bids: ReadonlyArray<readonly string[]>, asks: ReadonlyArray<readonly string[]>): number {
  return new OkxChecksum().of(
    bids.map((l) => l[0]!),
    bids.map((l) => l[1]!),
    bids.length,
    asks.map((l) => l[0]!),
    asks.map((l) => l[1]!),
    asks.length,
  );
}
