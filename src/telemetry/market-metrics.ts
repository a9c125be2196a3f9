/**
 * Market-data metrics, read from the MarketData counters at scrape time (nothing is counted per update here):
 * updates, trades, resyncs by reason, sizes floored to the lot grid, book age and usability per venue and symbol,
 * and the market-data latency (local receive time - the venue's event time) as a sum and a count of samples.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { RESYNC_REASONS } from '../market/feed.js';
import type { MarketData } from '../market/market-data.js';

export function registerMarketMetrics(registry: Registry, market: MarketData, listed: (venue: number, symbol: number) => boolean): void {
  const venues = market.venues;
  const symbols = market.instruments.list;
  const perVenue = (name: string, help: string, value: (v: number) => number): void => {
    new Counter({
      name, help, labelNames: ['venue'], registers: [registry],
      collect() {
        this.reset();
        venues.forEach((venue, v) => this.inc({ venue }, value(v)));
      },
    });
  };
  perVenue('switchyard_market_updates_total', 'Book snapshots and update groups applied, per venue.', (v) => market.stats[v]!.updates);
  perVenue('switchyard_market_trades_total', 'Public trades heard, per venue.', (v) => market.stats[v]!.trades);
  perVenue('switchyard_market_offgrid_qty_total', 'Book sizes off the lot grid, floored to whole lots, per venue.', (v) => market.stats[v]!.offGridQty);
  perVenue('switchyard_market_latency_seconds_total', 'Sum of (receive time - venue event time) of book updates, per venue.', (v) => market.stats[v]!.latencyMsSum / 1000);
  perVenue('switchyard_market_latency_samples_total', 'Book updates with a venue event time, per venue.', (v) => market.stats[v]!.latencyCount);
  new Counter({
    name: 'switchyard_market_resyncs_total', help: 'Books invalidated and resynced, per venue and reason (gap, checksum, reconnect, stall, off_grid, error).',
    labelNames: ['venue', 'reason'], registers: [registry],
    collect() {
      this.reset();
      venues.forEach((venue, v) => RESYNC_REASONS.forEach((reason, r) => this.inc({ venue, reason }, market.stats[v]!.resyncs[r]!)));
    },
  });
  const perBook = (name: string, help: string, value: (v: number, s: number, now: number) => number): void => {
    new Gauge({
      name, help, labelNames: ['venue', 'symbol'], registers: [registry],
      collect() {
        this.reset();
        const now = market.clock.monoMs();
        venues.forEach((venue, v) => symbols.forEach((ins) => {
          if (listed(v, ins.index)) this.set({ venue, symbol: ins.symbol }, value(v, ins.index, now));
        }));
      },
    });
  };
  perBook('switchyard_market_book_age_seconds', 'Time since the book was updated or its venue was last heard from (-1: never synced).', (v, s, now) => {
    const age = market.ageMs(v, s, now);
    return Number.isFinite(age) ? age / 1000 : -1;
  });
  perBook('switchyard_market_book_usable', '1 when the venue book is synced, uncrossed and fresh (routing may use it).',
    (v, s, now) => (market.isUsable(v, s, now) ? 1 : 0));
}
