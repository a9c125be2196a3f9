/**
 * A MarketDataSink in front of another one that times each book update it passes on — `commit` (a group of level
 * changes) and `snapshot` (a whole book) — once `recording` is on: one sample (ms, performance.now()) per call, up to
 * the capacity. Used by bench/market.ts for the consolidated-book update latency of the venue kinds whose updates
 * are made inside a feed or venue (the call it adds is not in the throughput passes, which hand the feed the sink
 * itself).
 */
import { performance } from 'node:perf_hooks';
import type { BookSide, LevelBuffer, MarketDataSink, ResyncReason } from '../../src/market/feed.js';

export class TimedSink implements MarketDataSink {
  readonly samples: Float64Array;
  count = 0;
  recording = false;

  constructor(private readonly inner: MarketDataSink, capacity: number) {
    this.samples = new Float64Array(capacity);
  }

  snapshot(venue: number, symbol: number, bids: LevelBuffer, asks: LevelBuffer, venueTs: number): void {
    if (!this.recording || this.count === this.samples.length) {
      this.inner.snapshot(venue, symbol, bids, asks, venueTs);
      return;
    }
    const t0 = performance.now();
    this.inner.snapshot(venue, symbol, bids, asks, venueTs);
    this.samples[this.count++] = performance.now() - t0;
  }

  level(venue: number, symbol: number, side: BookSide, priceTicks: number, qtyLots: number): void {
    this.inner.level(venue, symbol, side, priceTicks, qtyLots);
  }

  commit(venue: number, symbol: number, venueTs: number): void {
    if (!this.recording || this.count === this.samples.length) {
      this.inner.commit(venue, symbol, venueTs);
      return;
    }
    const t0 = performance.now();
    this.inner.commit(venue, symbol, venueTs);
    this.samples[this.count++] = performance.now() - t0;
  }

  invalidate(venue: number, symbol: number, reason: ResyncReason): void {
    this.inner.invalidate(venue, symbol, reason);
  }

  trade(venue: number, symbol: number, priceTicks: number, qtyLots: number, takerSide: BookSide, venueTs: number): void {
    this.inner.trade(venue, symbol, priceTicks, qtyLots, takerSide, venueTs);
  }

  offGridQty(venue: number, symbol: number): void {
    this.inner.offGridQty(venue, symbol);
  }

  alive(venue: number): void {
    this.inner.alive(venue);
  }
}
