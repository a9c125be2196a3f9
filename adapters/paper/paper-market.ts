/**
 * What the parts of the paper venue share: one listed market (its crossing engine book and the state the simulation
 * and mirror mode keep on it), the owners of engine orders, and the engine access (PaperEngine) through which the
 * simulated market (simulated-market.ts) and mirror mode (mirror-mode.ts) drive the venue's books.
 */
import type { OrderBook } from '../../src/matching/index.js';
import type { Instrument } from '../../src/model/instrument.js';
import type { TakenLevels } from './mirror.js';

export const OWNER_MM = 0;
export const OWNER_US = 1;
export const OWNER_FLOW = 2;
/** Mirror mode: a mirrored trade or crossing level, entered as an IOC against our resting orders. */
export const OWNER_MIRROR = 3;

export interface Market {
  readonly instrument: Instrument;
  readonly book: OrderBook;
  mid: number;
  /** Market maker orders: engine id by price (ticks), and price by engine id. */
  readonly quotes: Map<number, number>;
  readonly quotePrice: Map<number, number>;
  /** Lots per level (from levelNotional at the start mid). */
  readonly levelLots: number;
  /** The book changed since it was last published. */
  dirty: boolean;
  /** Mirror mode: what our orders took from the mirrored bids [BID] and asks [ASK] (mirror.ts). */
  readonly taken: readonly [TakenLevels, TakenLevels];
}

/** The venue's engine calls, as the simulation and mirror mode make them (PaperVenue provides it). */
export interface PaperEngine {
  /** Run an engine call for market `m`; the book is published when the outermost call ends, if it changed. */
  on<T>(m: Market, fn: () => T): T;
  /** `on` for one submit, without a closure. */
  submitTo(m: Market, id: number, owner: number, side: number, type: number, price: number, qty: number): number;
  /** A fresh engine id for a simulated or mirrored order. */
  nextSimId(): number;
  /** Whether the venue is stopped (requests are dropped). */
  stopped(): boolean;
}
