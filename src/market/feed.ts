/**
 * What a venue's market-data feed talks to, and what the daemon asks of a feed.
 *
 * A feed (adapters/<venue>/market-feed.ts, the paper venue) keeps one book per symbol in sync with its venue and
 * delivers it to a MarketDataSink in integers: price ticks and quantity lots of the instrument (exact: a price off
 * the instrument's tick grid is a configuration mismatch and invalidates the book; a quantity off the lot grid is
 * floored to whole lots — the part that could be traded — and counted, see `offGridQty`). Each venue message
 * becomes either one snapshot or a group of level changes closed by `commit`; between an `invalidate` and the next
 * snapshot the book is excluded from routing and shown as resyncing.
 *
 * All calls come on the daemon's thread; none allocates in the sink. Sides: 0 = bids, 1 = asks.
 */

export const BID = 0;
export const ASK = 1;
export type BookSide = typeof BID | typeof ASK;

/** Why a book stopped being trusted (metrics label `reason`). */
export const RESYNC_REASONS = ['gap', 'checksum', 'reconnect', 'stall', 'off_grid', 'error'] as const;
export type ResyncReason = (typeof RESYNC_REASONS)[number];

/** Reusable level arrays a feed fills for a snapshot (best first: bids descending, asks ascending). */
export class LevelBuffer {
  readonly price: Float64Array;
  readonly qty: Float64Array;
  count = 0;

  constructor(readonly capacity: number) {
    this.price = new Float64Array(capacity);
    this.qty = new Float64Array(capacity);
  }

  /** Appends a level; false when the buffer is full (the level is beyond what is kept). */
  push(priceTicks: number, qtyLots: number): boolean {
    if (this.count === this.capacity) return false;
    this.price[this.count] = priceTicks;
    this.qty[this.count] = qtyLots;
    this.count++;
    return true;
  }

  clear(): void {
    this.count = 0;
  }
}

export interface MarketDataSink {
  /** A whole book for (venue, symbol), replacing what was there; `venueTs`: the venue's time of it (epoch ms, 0 = unknown). */
  snapshot(venue: number, symbol: number, bids: LevelBuffer, asks: LevelBuffer, venueTs: number): void;
  /** One level set to an absolute quantity (0 removes it). Part of a group closed by `commit`. */
  level(venue: number, symbol: number, side: BookSide, priceTicks: number, qtyLots: number): void;
  /** The level changes since the last commit form one consistent book as of `venueTs`. */
  commit(venue: number, symbol: number, venueTs: number): void;
  /** The book cannot be trusted until the next snapshot. */
  invalidate(venue: number, symbol: number, reason: ResyncReason): void;
  /** A public trade at the venue; `takerSide` 0 = the buyer took liquidity, 1 = the seller did. */
  trade(venue: number, symbol: number, priceTicks: number, qtyLots: number, takerSide: BookSide, venueTs: number): void;
  /** A quantity off the lot grid was floored to whole lots. */
  offGridQty(venue: number, symbol: number): void;
  /** The feed heard from its venue (a message or a heartbeat answer): the connection is alive. */
  alive(venue: number): void;
}

/** One venue's public market data (books and trades of its configured symbols). */
export interface MarketFeed {
  readonly venue: string;
  /** Connects and subscribes; resolves once subscribed. Reconnects and resyncs on its own until stop(). */
  start(): Promise<void>;
  stop(): Promise<void>;
}
