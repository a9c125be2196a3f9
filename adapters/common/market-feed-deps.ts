/**
 * What every venue's market-data feed (adapters/<venue>/market-feed.ts) is built with, and the one conversion of a
 * venue's price and size texts into the instrument's ticks and lots (src/market/feed.ts says what the sink expects).
 */
import type { Logger } from 'pino';
import type { BookSide, LevelBuffer, MarketDataSink } from '../../src/market/feed.js';
import type { Clock } from '../../src/model/clock.js';
import type { Instrument } from '../../src/model/instrument.js';

export interface MarketFeedDeps {
  /** The venue's index in the daemon (the sink's `venue` argument). */
  readonly venue: number;
  /** The venue's configured name (logs). */
  readonly name: string;
  /** The instruments the venue trades; `Instrument.index` is the sink's `symbol` argument. */
  readonly instruments: readonly Instrument[];
  readonly sink: MarketDataSink;
  /** Levels per side wanted (snapshot limit, subscription depth). */
  readonly depth: number;
  /** No message from the venue for this long: the books are invalidated ('stall') and the connection reopened. */
  readonly stallMs: number;
  /** Reconnect backoff (exponential with jitter, as the trading streams use). */
  readonly reconnect: { readonly minMs: number; readonly maxMs: number };
  readonly log: Logger;
  readonly clock: Clock;
}

/** Outcome of converting one level: added, off the price grid (the book must be resynced), or not a decimal. */
export const LEVEL_OK = 0;
export const LEVEL_OFF_GRID = 1;
export const LEVEL_BAD = 2;

/**
 * Ticks of a venue price text, or -1 (not a decimal, off the tick grid, too large). Allocates nothing.
 */
export function priceTicksOf(ins: Instrument, text: string): number {
  const t = ins.tick.floorCount(text);
  return t >= 0 && ins.tick.lastExact ? t : -1;
}

/**
 * Lots of a venue size text, floored to whole lots (a size off the lot grid is counted through `sink.offGridQty`),
 * or -1 when it is not a decimal. Allocates nothing.
 */
export function qtyLotsOf(ins: Instrument, text: string, sink: MarketDataSink, venue: number): number {
  const q = ins.lot.floorCount(text);
  if (q >= 0 && !ins.lot.lastExact) sink.offGridQty(venue, ins.index);
  return q;
}

/** Appends one level (texts as the venue sent them) to a snapshot buffer. */
export function pushLevel(buf: LevelBuffer, ins: Instrument, priceText: string, qtyText: string, sink: MarketDataSink, venue: number): number {
  const p = priceTicksOf(ins, priceText);
  if (p < 0) return ins.tick.floorCount(priceText) < 0 ? LEVEL_BAD : LEVEL_OFF_GRID;
  const q = qtyLotsOf(ins, qtyText, sink, venue);
  if (q < 0) return LEVEL_BAD;
  if (q > 0) buf.push(p, q);
  return LEVEL_OK;
}

/** Applies one level change (texts as the venue sent them) to the sink; same outcomes as pushLevel. */
export function applyLevel(sink: MarketDataSink, venue: number, ins: Instrument, side: BookSide, priceText: string, qtyText: string): number {
  const p = priceTicksOf(ins, priceText);
  if (p < 0) return ins.tick.floorCount(priceText) < 0 ? LEVEL_BAD : LEVEL_OFF_GRID;
  const q = qtyLotsOf(ins, qtyText, sink, venue);
  if (q < 0) return LEVEL_BAD;
  sink.level(venue, ins.index, side, p, q);
  return LEVEL_OK;
}
