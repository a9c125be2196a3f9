/** GET /v1/books/:symbol: every venue's book of a symbol and the consolidated one, as decimal text. Off the hot path. */
import { parseDecimal, signedDecimalText } from '../model/decimal.js';
import type { Instrument } from '../model/instrument.js';
import { FEE_SCALE } from './consolidated-book.js';
import type { MarketData } from './market-data.js';
import { BOOK_STATUS_NAMES, type BookLadder } from './venue-book.js';

export interface VenueBookView {
  readonly venue: string;
  /** SYNCED, STALE (no news from the venue for daemon.marketData.staleMs), RESYNCING, CROSSED, NONE (never synced). */
  readonly status: string;
  /** Whether routing may use it (SYNCED and not stale). */
  readonly usable: boolean;
  /** Since its last update or its venue's last sign of life; null when never synced. */
  readonly ageMs: number | null;
  readonly updates: number;
  readonly bids: readonly (readonly [price: string, qty: string])[];
  readonly asks: readonly (readonly [price: string, qty: string])[];
}

export interface ConsolidatedLevelView {
  readonly price: string;
  readonly qty: string;
  readonly venue: string;
  /** The price after the venue's taker fee: what a taker pays (asks) or gets (bids) per unit. */
  readonly feeAdjustedPrice: string;
}

export interface BookView {
  readonly symbol: string;
  readonly depth: number;
  readonly venues: readonly VenueBookView[];
  readonly consolidated: { readonly bids: readonly ConsolidatedLevelView[]; readonly asks: readonly ConsolidatedLevelView[] };
}

function levels(ins: Instrument, ladder: BookLadder, depth: number): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < Math.min(depth, ladder.count); i++) out.push([ins.ticksToPrice(ladder.price[i]!), ins.lotsToQty(ladder.qty[i]!)]);
  return out;
}

/** The view of `ins` in `market` (venues that do not list the symbol are left out). */
export function bookView(market: MarketData, ins: Instrument, listed: (venue: number) => boolean): BookView {
  const now = market.clock.monoMs();
  const venues: VenueBookView[] = [];
  for (let v = 0; v < market.venues.length; v++) {
    if (!listed(v)) continue;
    const book = market.book(v, ins.index);
    const age = market.ageMs(v, ins.index, now);
    venues.push({
      venue: market.venues[v]!,
      status: market.isStale(v, ins.index, now) && book.status === 1 ? 'STALE' : BOOK_STATUS_NAMES[book.status],
      usable: market.isUsable(v, ins.index, now),
      ageMs: Number.isFinite(age) ? Math.round(age) : null,
      updates: book.updates,
      bids: levels(ins, book.bids, market.depth),
      asks: levels(ins, book.asks, market.depth),
    });
  }
  const tick = parseDecimal(ins.tick.text)!;
  const scaleDigits = String(FEE_SCALE).length - 1;
  const side = (s: { count: number; price: Float64Array; qty: Float64Array; venue: Int32Array; adjusted: Float64Array }): ConsolidatedLevelView[] => {
    const out: ConsolidatedLevelView[] = [];
    for (let i = 0; i < s.count; i++) {
      out.push({
        price: ins.ticksToPrice(s.price[i]!),
        qty: ins.lotsToQty(s.qty[i]!),
        venue: market.venues[s.venue[i]!]!,
        feeAdjustedPrice: signedDecimalText(BigInt(s.adjusted[i]!) * tick.units, tick.scale + scaleDigits),
      });
    }
    return out;
  };
  const c = market.consolidated[ins.index]!;
  return { symbol: ins.symbol, depth: market.depth, venues, consolidated: { bids: side(c.bids), asks: side(c.asks) } };
}
