/**
 * The consolidated book of one symbol across venues: the best `depth` levels of every usable venue book merged,
 * each level ranked by its price after the venue's taker fee — what a taker would really pay (asks: price x (1 +
 * fee)) or receive (bids: price x (1 - fee)). Adjusted prices are integers: ticks x (FEE_SCALE +/- fee in
 * millionths), so the ranking is exact; a fee is taken to 0.01 bps (a finer one is rounded to it for the ranking
 * only — fees charged are computed elsewhere, exactly). Rebuilt after each update of one of its venue books, in
 * place: nothing allocates.
 */
import { parseSignedDecimal } from '../model/decimal.js';
import { ASK, BID, type BookSide } from './feed.js';
import type { BookLadder } from './venue-book.js';

/** Adjusted prices are ticks x FEE_SCALE (1 bps = 100 units of the fee). */
export const FEE_SCALE = 1_000_000;

/** A taker fee in bps (decimal text) as millionths of the price, to 0.01 bps (half away from zero below that). */
export function feeMillionths(takerBps: string): number {
  const d = parseSignedDecimal(takerBps);
  if (d === undefined) throw new RangeError(`taker fee "${takerBps}" bps is not a decimal`);
  // millionths = bps x 100 = units x 10^(2 - scale)
  let m: bigint;
  if (d.scale <= 2) m = d.units * 10n ** BigInt(2 - d.scale);
  else {
    const div = 10n ** BigInt(d.scale - 2);
    const q = d.units / div;
    const r = d.units % div;
    m = 2n * (r < 0n ? -r : r) >= div ? q + (d.units < 0n ? -1n : 1n) : q;
  }
  if (m <= -BigInt(FEE_SCALE) || m >= BigInt(FEE_SCALE)) throw new RangeError(`taker fee ${takerBps} bps is not a usable fee`);
  return Number(m);
}

export class ConsolidatedSide {
  readonly price: Float64Array;
  readonly qty: Float64Array;
  readonly venue: Int32Array;
  /** Price x (FEE_SCALE +/- the venue's fee): what the level is ranked by. */
  readonly adjusted: Float64Array;
  count = 0;
  /** Merge cursors, one per venue. */
  private readonly cursor: Int32Array;

  constructor(readonly depth: number, venues: number, private readonly side: BookSide) {
    this.price = new Float64Array(depth);
    this.qty = new Float64Array(depth);
    this.venue = new Int32Array(depth);
    this.adjusted = new Float64Array(depth);
    this.cursor = new Int32Array(venues);
  }

  /**
   * Merges the usable ladders (`usable[v]` 1) of this side: at most `depth` levels of each, ranked by adjusted price
   * (best first; ties keep venue order).
   */
  rebuild(ladders: readonly BookLadder[], usable: Uint8Array, fee: Int32Array): void {
    const depth = this.depth;
    const cursor = this.cursor;
    cursor.fill(0);
    const ask = this.side === ASK;
    let n = 0;
    while (n < depth) {
      let best = -1;
      let bestAdj = 0;
      for (let v = 0; v < ladders.length; v++) {
        if (usable[v] !== 1) continue;
        const l = ladders[v]!;
        const c = cursor[v]!;
        if (c >= l.count || c >= depth) continue;
        const adj = l.price[c]! * (ask ? FEE_SCALE + fee[v]! : FEE_SCALE - fee[v]!);
        if (best < 0 || (ask ? adj < bestAdj : adj > bestAdj)) {
          best = v;
          bestAdj = adj;
        }
      }
      if (best < 0) break;
      const c = cursor[best]!;
      const l = ladders[best]!;
      this.price[n] = l.price[c]!;
      this.qty[n] = l.qty[c]!;
      this.venue[n] = best;
      this.adjusted[n] = bestAdj;
      cursor[best] = c + 1;
      n++;
    }
    this.count = n;
  }
}

export class ConsolidatedBook {
  readonly bids: ConsolidatedSide;
  readonly asks: ConsolidatedSide;

  constructor(depth: number, venues: number) {
    this.bids = new ConsolidatedSide(depth, venues, BID);
    this.asks = new ConsolidatedSide(depth, venues, ASK);
  }

  rebuild(bidLadders: readonly BookLadder[], askLadders: readonly BookLadder[], usable: Uint8Array, fee: Int32Array): void {
    this.bids.rebuild(bidLadders, usable, fee);
    this.asks.rebuild(askLadders, usable, fee);
  }
}
