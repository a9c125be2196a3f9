/**
 * Paper trading on a real market (`paper.mirror: <venue>`): the paper venue takes another venue's public book and
 * trades, as the daemon's market data holds them, as its liquidity instead of the synthetic market.
 *
 * Semantics (the README's "Paper trading" section says the same):
 *  - A marketable order (MARKET, or a limit at or through the best mirrored level that still has liquidity for us)
 *    fills at once against the mirrored levels as a taker, walking them best first at their own prices up to the
 *    order's limit and size. From a level it never takes more than the mirrored quantity minus what our orders
 *    already took from that level since the mirrored venue last changed it (TakenLevels): two orders in a row do
 *    not take the same liquidity twice, and the liquidity comes back once the venue sends that level again with
 *    another quantity (or a new snapshot). FOK fills completely or not at all.
 *  - What does not fill follows the time in force: MARKET, IOC and FOK expire the rest; a GTC rest rests in the paper
 *    venue's own book (the matching engine, which then holds only our resting orders).
 *  - A resting order fills as a maker, at its own limit: when a mirrored trade prints at or through its price on the
 *    side that trades with it (a seller taking bids fills our bids at or above the trade price, a buyer taking asks
 *    our asks at or below it), for at most the trade's size in all (best price first, then time); and when the
 *    mirrored book moves through it (the opposite best crosses it): up to the crossing quantity still available,
 *    which our fill then counts as taken.
 *  - While the mirrored book is not usable (never synced, resyncing, crossed or stale), a new order that would take
 *    liquidity is REJECTED `VENUE_UNAVAILABLE` instead of filling against a book that is not there: every MARKET, IOC
 *    and FOK order, and a GTC limit unless the last mirrored book shows it would rest (with no book at all, every
 *    one). Cancels always work; resting orders still fill on mirrored trades.
 *  - Stop orders are refused (`VENUE_REJECTED`), as the exchange adapters refuse them.
 *  - Our orders never trade with the mirrored venue's real participants beyond this: the mirrored book is what the
 *    venue publishes, and our orders are not in it.
 *
 * The types below are what the paper venue reads of the daemon's market data (src/market/market-data.ts MarketData
 * and VenueBook have this shape); the adapter sees only this narrow view.
 */
import type { BookSide } from '../../src/market/feed.js';

/** One side of a mirrored book: price levels (ticks, lots) best first, bids descending and asks ascending. */
export interface MirrorLadder {
  readonly price: Float64Array;
  readonly qty: Float64Array;
  readonly count: number;
}

export interface MirrorBook {
  readonly bids: MirrorLadder;
  readonly asks: MirrorLadder;
}

export interface MirrorListener {
  onBook?(venue: number, symbol: number, book: MirrorBook, usable: boolean): void;
  onTrade?(venue: number, symbol: number, priceTicks: number, qtyLots: number, takerSide: BookSide, venueTs: number): void;
}

/** The market data a mirroring paper venue reads: books by (venue index, instrument index), usability, listeners. */
export interface MirrorSource {
  book(venue: number, symbol: number): MirrorBook;
  isUsable(venue: number, symbol: number): boolean;
  listen(listener: MirrorListener): void;
}

export interface PaperMirror {
  readonly market: MirrorSource;
  /** The mirrored venue's index in `market`. */
  readonly venue: number;
  /** Its name (for rejection reasons). */
  readonly name: string;
}

/** The quantity at `price` in a ladder (0 when there is no such level). Binary search: levels are sorted best first. */
export function levelQty(ladder: MirrorLadder, price: number, descending: boolean): number {
  let lo = 0;
  let hi = ladder.count - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const p = ladder.price[mid]!;
    if (p === price) return ladder.qty[mid]!;
    if (descending ? p > price : p < price) lo = mid + 1;
    else hi = mid - 1;
  }
  return 0;
}

/**
 * What our orders took from the levels of one mirrored side, each with the quantity the level showed when they took
 * it (`base`). An entry holds only while the level still shows `base`: once the mirrored venue changes the level
 * (another quantity, or removed) the entry is forgotten and the level's liquidity is whole again. Few entries (the
 * levels our orders touched since the venue last moved them): linear scans, typed arrays grown by doubling.
 */
export class TakenLevels {
  price = new Float64Array(8);
  base = new Float64Array(8);
  qty = new Float64Array(8);
  count = 0;

  /** `descending`: the side is bids. */
  constructor(readonly descending: boolean) {}

  private find(price: number): number {
    for (let k = 0; k < this.count; k++) if (this.price[k] === price) return k;
    return -1;
  }

  /** Lots our orders already took from the level at `price`, which now shows `level` lots. */
  takenAt(price: number, level: number): number {
    const k = this.find(price);
    return k >= 0 && this.base[k] === level ? this.qty[k]! : 0;
  }

  /** Our orders have taken `qty` lots in all from the level at `price` while it shows `level` lots. */
  set(price: number, level: number, qty: number): void {
    let k = this.find(price);
    if (k < 0) {
      if (this.count === this.price.length) this.grow();
      k = this.count++;
      this.price[k] = price;
    }
    this.base[k] = level;
    this.qty[k] = qty;
  }

  /** Forgets the levels the mirrored venue changed since our orders took from them. */
  prune(ladder: MirrorLadder): void {
    for (let k = this.count - 1; k >= 0; k--) {
      if (levelQty(ladder, this.price[k]!, this.descending) === this.base[k]) continue;
      const last = --this.count;
      this.price[k] = this.price[last]!;
      this.base[k] = this.base[last]!;
      this.qty[k] = this.qty[last]!;
    }
  }

  private grow(): void {
    const n = this.price.length * 2;
    const copy = (a: Float64Array): Float64Array<ArrayBuffer> => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    this.price = copy(this.price);
    this.base = copy(this.base);
    this.qty = copy(this.qty);
  }
}
