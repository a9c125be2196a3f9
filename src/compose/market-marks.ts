/**
 * Risk marks and arrival mids from the market.
 *
 * Risk marks: each time a symbol's consolidated book is rebuilt with both sides, the mark becomes
 * its mid in whole ticks (the lower tick when the mid falls between two). Without a usable book the last mark stays
 * (at first the instrument's configured referencePrice, when there is one). Allocation-free.
 */
import type { ConsolidatedBook } from '../market/consolidated-book.js';
import type { MarketListener } from '../market/market-data.js';
import type { PreTradeRisk } from '../risk/pre-trade-risk.js';

export function marksFromMarket(risk: PreTradeRisk): MarketListener {
  return {
    onConsolidated(symbol: number, book: ConsolidatedBook): void {
      if (book.bids.count === 0 || book.asks.count === 0) return;
      risk.setMark(symbol, Math.floor((book.bids.price[0]! + book.asks.price[0]!) / 2));
    },
  };
}

/**
 * Arrival mids: each time a symbol's consolidated book is rebuilt, `mids[symbol]` becomes its mid in ticks (a half
 * tick when it falls between two), or 0 when a side is empty (no mid: the order's arrival mid is unknown).
 * Allocation-free; the intake reads the array for every order it receives.
 */
export function arrivalMidsFromMarket(mids: Float64Array): MarketListener {
  return {
    onConsolidated(symbol: number, book: ConsolidatedBook): void {
      mids[symbol] = book.bids.count === 0 || book.asks.count === 0 ? 0 : (book.bids.price[0]! + book.asks.price[0]!) / 2;
    },
  };
}
