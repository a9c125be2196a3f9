/**
 * The paper venue's public book: given a market-data sink, delivers a market's whole book (all resting liquidity,
 * aggregated by price) as one snapshot through two LevelBuffers made once, each trade as it happens, and a sign of
 * life while started. Nothing is allocated per update.
 */
import type { BookSide, MarketDataSink } from '../../src/market/feed.js';
import { LevelBuffer } from '../../src/market/feed.js';
import { Side } from '../../src/matching/index.js';
import type { Market } from './paper-market.js';

/** Where the paper venue publishes its book and trades (the daemon's market data), under which venue index. */
export interface PaperMarketData {
  readonly sink: MarketDataSink;
  /** This venue's index in the sink (its position in the configuration's venues). */
  readonly venue: number;
  /** Price levels published per side at most (default 200). */
  readonly depth?: number;
  /** A sign of life to the sink this often while started (default 1000 ms), so a quiet book does not go stale. */
  readonly aliveMs?: number;
}

/** Levels published per side by default. */
const DEFAULT_PUBLISH_DEPTH = 200;

export class BookPublisher {
  /** Reused for every published snapshot (the sink copies them before returning). */
  private readonly pubBids: LevelBuffer;
  private readonly pubAsks: LevelBuffer;
  private beat: NodeJS.Timeout | undefined;

  /** `md` absent: nothing is published (publish() only marks the book clean). */
  constructor(private readonly md: PaperMarketData | undefined) {
    const depth = md?.depth ?? DEFAULT_PUBLISH_DEPTH;
    this.pubBids = new LevelBuffer(md === undefined ? 0 : depth);
    this.pubAsks = new LevelBuffer(md === undefined ? 0 : depth);
  }

  /** Publishes every market's book, then beats the sign of life until stop(). */
  start(markets: readonly Market[]): void {
    const md = this.md;
    if (md === undefined) return;
    for (const m of markets) this.publish(m);
    this.beat = setInterval(() => md.sink.alive(md.venue), md.aliveMs ?? 1000);
    this.beat.unref();
  }

  stop(): void {
    if (this.beat !== undefined) clearInterval(this.beat);
  }

  /** Delivers the market's whole book (every resting order, aggregated by price) to the market-data sink. */
  publish(m: Market): void {
    m.dirty = false;
    const md = this.md;
    if (md === undefined) return;
    const bids = this.pubBids;
    const asks = this.pubAsks;
    bids.count = m.book.depth(Side.BUY, bids.capacity, bids.price, bids.qty);
    asks.count = m.book.depth(Side.SELL, asks.capacity, asks.price, asks.qty);
    // venue time 0 (unknown): the venue runs on the daemon's own clock, and a wall-clock double passed per update
    // would box a number each time
    md.sink.snapshot(md.venue, m.instrument.index, bids, asks, 0);
  }

  /** A public trade, as the venue's trade stream shows it (its book follows once the engine call is done). */
  trade(m: Market, price: number, qty: number, takerSide: number): void {
    const md = this.md;
    if (md !== undefined) md.sink.trade(md.venue, m.instrument.index, price, qty, takerSide as BookSide, 0); // venue time: see publish
  }
}
