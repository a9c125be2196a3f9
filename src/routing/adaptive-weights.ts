/**
 * Adaptive routing tables: each symbol's weights recomputed from the market, off the hot path.
 *
 * A venue's weight for a symbol is the depth (lots) it shows near the top of the consolidated fee-adjusted book:
 * on each side, the quantity of its levels whose fee-adjusted price (what a taker really pays or gets, see
 * consolidated-book.ts) is within `bandBps` of the best fee-adjusted price of any venue, bids and asks summed. A
 * venue with a better price after fees has more of its book inside the band, a venue with a thin book less, a venue
 * whose book is unusable (stale, resyncing, crossed) or outside the band none. The weights become the symbol's
 * 256-slot table through Router.setWeights, which keeps the configuration's word on where a symbol may go (a venue
 * with configured weight 0 gets no slot) and falls back to the configured weights when no allowed venue shows depth.
 *
 * `refresh` runs on a timer (daemon.routing.adaptiveIntervalMs): it allocates (the apportionment) and is never on the
 * dispatch path; a table swap is one in-place copy between dispatch cycles (the daemon has one thread), so every
 * order is routed by the old table or the new one, never a mix.
 */
import { FEE_SCALE } from '../market/consolidated-book.js';
import type { MarketData } from '../market/market-data.js';
import type { BookLadder } from '../market/venue-book.js';
import type { Router } from './router.js';

export interface AdaptiveOptions {
  /** How far from the best fee-adjusted price a level still counts, in bps (> 0). */
  readonly bandBps: number;
  /** Levels of each venue book looked at per side. Default: the market data's depth. */
  readonly depth?: number;
}

/**
 * Computes one symbol's adaptive weights by venue index into `out` (zeroed first). Returns false when no venue has a
 * usable book for the symbol (then `out` is all zero).
 */
export function adaptiveWeights(market: MarketData, symbol: number, o: AdaptiveOptions, out: Float64Array, now: number): boolean {
  const fees = market.fee;
  const venues = market.venues.length;
  const depth = o.depth ?? market.depth;
  out.fill(0);
  let any = false;
  for (const ask of [false, true]) {
    // best fee-adjusted price of this side over the usable books
    let best = NaN;
    for (let v = 0; v < venues; v++) {
      if (!market.isUsable(v, symbol, now)) continue;
      const l = ladder(market, v, symbol, ask);
      if (l.count === 0) continue;
      const adj = adjusted(l.price[0]!, fees[v]!, ask);
      if (Number.isNaN(best) || (ask ? adj < best : adj > best)) best = adj;
    }
    if (Number.isNaN(best)) continue;
    any = true;
    // within bandBps of the best: asks up to best x (1 + band), bids down to best x (1 - band)
    const limit = ask ? best * (1 + o.bandBps / 10_000) : best * (1 - o.bandBps / 10_000);
    for (let v = 0; v < venues; v++) {
      if (!market.isUsable(v, symbol, now)) continue;
      const l = ladder(market, v, symbol, ask);
      const n = Math.min(depth, l.count);
      for (let i = 0; i < n; i++) {
        const adj = adjusted(l.price[i]!, fees[v]!, ask);
        if (ask ? adj > limit : adj < limit) break;
        out[v]! += l.qty[i]!;
      }
    }
  }
  return any;
}

function ladder(market: MarketData, venue: number, symbol: number, ask: boolean): BookLadder {
  const book = market.book(venue, symbol);
  return ask ? book.asks : book.bids;
}

function adjusted(priceTicks: number, feeMillionths: number, ask: boolean): number {
  return priceTicks * (ask ? FEE_SCALE + feeMillionths : FEE_SCALE - feeMillionths);
}

/** Recomputes every symbol's table from the market on a timer. */
export class AdaptiveRouting {
  private timer: NodeJS.Timeout | undefined;
  private readonly row: Float64Array;
  /** Table rebuilds so far (a symbol whose weights did not change is not rebuilt). */
  rebuilds = 0;

  constructor(
    private readonly router: Router,
    private readonly market: MarketData,
    private readonly options: AdaptiveOptions,
  ) {
    if (!(options.bandBps > 0 && Number.isFinite(options.bandBps))) throw new RangeError(`adaptive routing: bandBps must be > 0, got ${options.bandBps}`);
    if (market.venues.join('\n') !== router.venueNames.join('\n')) throw new RangeError('adaptive routing: the market data and the router must have the same venues');
    this.row = new Float64Array(router.venueCount);
  }

  /** Recomputes every symbol's weights now and swaps the tables that changed. */
  refresh(now = this.market.clock.monoMs()): void {
    for (let s = 0; s < this.router.symbolCount; s++) {
      if (!this.router.hasRoute(s)) continue;
      adaptiveWeights(this.market, s, this.options, this.row, now);
      // no usable book: all zero, and setWeights goes back to the configured weights
      if (this.router.setWeights(s, this.row)) this.rebuilds++;
    }
  }

  start(intervalMs: number): void {
    if (this.timer !== undefined) return;
    this.refresh();
    this.timer = setInterval(() => this.refresh(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
