/**
 * Risk marks from the market: each time a symbol's consolidated book is rebuilt with both sides, the mark becomes
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
