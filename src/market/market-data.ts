/**
 * The daemon's market data: one VenueBook per (venue, symbol), fed by the venues' feeds through the MarketDataSink
 * calls, and one ConsolidatedBook per symbol over the venue books that are usable: synced, not crossed and not
 * stale (no update or sign of life from the venue for `staleMs`). A stale book is shown as such and left out until
 * its venue speaks again; a book being resynced is left out until its next snapshot.
 *
 * Listeners (worker strategies' market rings, paper venues that mirror a venue, metrics) hear every committed book
 * and every trade. Everything here runs on the daemon's thread and allocates nothing per update.
 */
import type { Clock } from '../model/clock.js';
import type { InstrumentRegistry } from '../model/instrument.js';
import { ConsolidatedBook, feeMillionths } from './consolidated-book.js';
import { type BookSide, type LevelBuffer, type MarketDataSink, RESYNC_REASONS, type ResyncReason } from './feed.js';
import { BOOK_CROSSED, BOOK_NONE, BOOK_RESYNCING, BOOK_SYNCED, type BookLadder, VenueBook } from './venue-book.js';

export interface MarketListener {
  /** A venue book changed (snapshot or commit), or its usability did (`usable`). */
  onBook?(venue: number, symbol: number, book: VenueBook, usable: boolean): void;
  /** The consolidated book of a symbol was rebuilt. */
  onConsolidated?(symbol: number, book: ConsolidatedBook): void;
  onTrade?(venue: number, symbol: number, priceTicks: number, qtyLots: number, takerSide: BookSide, venueTs: number): void;
}

export interface MarketDataOptions {
  /** Levels per side shown and merged into the consolidated book. Default 20. */
  readonly depth?: number;
  /** Levels per side kept per venue book (deeper than `depth`, so removals at the top keep `depth` levels). Default max(depth x 10, 200). */
  readonly capacity?: number;
  /** A book with no update and no sign of life from its venue for this long is stale. Default 5000. */
  readonly staleMs?: number;
}

/** Per-venue counters (metrics). */
export interface VenueMarketStats {
  updates: number;
  trades: number;
  resyncs: Float64Array;
  offGridQty: number;
  /** Sum and count of (local receive time - venue time) in ms, for the latency metric. */
  latencyMsSum: number;
  latencyCount: number;
}

export class MarketData implements MarketDataSink {
  readonly depth: number;
  readonly staleMs: number;
  private readonly symbols: number;
  /** books[venue * symbols + symbol]. */
  readonly books: VenueBook[];
  readonly consolidated: ConsolidatedBook[];
  /** Per symbol: the venues' ladders, for the merge. */
  private readonly bidLadders: BookLadder[][];
  private readonly askLadders: BookLadder[][];
  /** Per symbol x venue: 1 when the venue book may be used. */
  private readonly usable: Uint8Array[];
  /** Taker fee of each venue in millionths of the price (feeMillionths): what the books are ranked net of. */
  readonly fee: Int32Array;
  /**
   * Freshness at sweep granularity, so that no update reads a clock: an update sets `heard` (per venue) and the book's
   * `touched` flag; the sweep turns them into times (`seenAt`, monotonic ms) and decides what is stale.
   */
  private readonly heard: Uint8Array;
  private readonly venueSeenAt: Float64Array;
  private readonly touched: Uint8Array;
  private readonly bookSeenAt: Float64Array;
  /** The clock's wall-time cell when it has one (read without boxing a number). */
  private readonly wall: Float64Array | undefined;
  readonly stats: VenueMarketStats[];
  private readonly listeners: MarketListener[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly instruments: InstrumentRegistry,
    readonly venues: readonly string[],
    /** Taker fee of each venue in bps (decimal text): the consolidated book ranks levels net of it. */
    takerBps: readonly string[],
    readonly clock: Clock,
    options: MarketDataOptions = {},
  ) {
    this.depth = options.depth ?? 20;
    this.staleMs = options.staleMs ?? 5000;
    const capacity = options.capacity ?? Math.max(this.depth * 10, 200);
    if (capacity < this.depth) throw new RangeError(`market data: capacity ${capacity} below depth ${this.depth}`);
    const symbols = (this.symbols = instruments.list.length);
    this.books = Array.from({ length: venues.length * symbols }, () => new VenueBook(capacity));
    this.consolidated = Array.from({ length: symbols }, () => new ConsolidatedBook(this.depth, venues.length));
    this.bidLadders = Array.from({ length: symbols }, (_, s) => venues.map((_v, v) => this.books[v * symbols + s]!.bids));
    this.askLadders = Array.from({ length: symbols }, (_, s) => venues.map((_v, v) => this.books[v * symbols + s]!.asks));
    this.usable = Array.from({ length: symbols }, () => new Uint8Array(venues.length));
    this.fee = Int32Array.from(takerBps, (b) => feeMillionths(b));
    this.heard = new Uint8Array(venues.length);
    this.venueSeenAt = new Float64Array(venues.length);
    this.touched = new Uint8Array(venues.length * symbols);
    this.bookSeenAt = new Float64Array(venues.length * symbols);
    this.wall = clock.cell;
    this.stats = venues.map(() => ({ updates: 0, trades: 0, resyncs: new Float64Array(RESYNC_REASONS.length), offGridQty: 0, latencyMsSum: 0, latencyCount: 0 }));
  }

  listen(listener: MarketListener): void {
    this.listeners.push(listener);
  }

  venueIndex(name: string): number {
    return this.venues.indexOf(name);
  }

  book(venue: number, symbol: number): VenueBook {
    return this.books[venue * this.symbols + symbol]!;
  }

  /** Whether the venue's book of the symbol may be used (synced, not crossed, not stale — now, not at the last sweep). */
  isUsable(venue: number, symbol: number, now = this.clock.monoMs()): boolean {
    return this.usable[symbol]![venue] === 1 && this.ageMs(venue, symbol, now) <= this.staleMs;
  }

  /** Starts the staleness sweep (every quarter of staleMs, at least every second). */
  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => this.sweep(), Math.max(50, Math.min(1000, this.staleMs / 4)));
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Turns what was heard since the last sweep into times, marks books that went stale (and ones that came back) and
   * rebuilds the consolidated books they are in.
   */
  sweep(): void {
    const now = this.clock.monoMs();
    for (let v = 0; v < this.venues.length; v++) {
      if (this.heard[v] === 1) this.venueSeenAt[v] = now;
      this.heard[v] = 0;
    }
    for (let b = 0; b < this.touched.length; b++) {
      if (this.touched[b] === 1) this.bookSeenAt[b] = now;
      this.touched[b] = 0;
    }
    for (let s = 0; s < this.symbols; s++) {
      let changed = false;
      for (let v = 0; v < this.venues.length; v++) {
        const book = this.book(v, s);
        const u = book.status === BOOK_SYNCED && this.ageMs(v, s, now) <= this.staleMs ? 1 : 0;
        if (u !== this.usable[s]![v]) {
          this.usable[s]![v] = u;
          changed = true;
          for (let i = 0; i < this.listeners.length; i++) this.listeners[i]!.onBook?.(v, s, book, u === 1);
        }
      }
      if (changed) this.rebuild(s);
    }
  }

  /**
   * Age of a venue book in ms: since its last update or its venue's last sign of life, whichever is later, to the
   * sweep's granularity (0 when heard from since the last sweep; Infinity when never synced).
   */
  ageMs(venue: number, symbol: number, now = this.clock.monoMs()): number {
    const b = venue * this.symbols + symbol;
    if (this.books[b]!.status === BOOK_NONE) return Infinity;
    if (this.touched[b] === 1 || this.heard[venue] === 1) return 0;
    return Math.max(0, now - Math.max(this.bookSeenAt[b]!, this.venueSeenAt[venue]!));
  }

  isStale(venue: number, symbol: number, now = this.clock.monoMs()): boolean {
    const book = this.book(venue, symbol);
    return book.status !== BOOK_NONE && this.ageMs(venue, symbol, now) > this.staleMs;
  }

  private rebuild(symbol: number): void {
    const c = this.consolidated[symbol]!;
    c.rebuild(this.bidLadders[symbol]!, this.askLadders[symbol]!, this.usable[symbol]!, this.fee);
    for (let i = 0; i < this.listeners.length; i++) this.listeners[i]!.onConsolidated?.(symbol, c);
  }

  /** A snapshot or commit made the book consistent: check it, refresh usability, rebuild, tell listeners. */
  private committed(venue: number, symbol: number, book: VenueBook, venueTs: number): void {
    book.venueTs = venueTs;
    book.updates++;
    book.status = book.uncrossed ? BOOK_SYNCED : BOOK_CROSSED;
    this.touched[venue * this.symbols + symbol] = 1;
    this.heard[venue] = 1;
    const st = this.stats[venue]!;
    st.updates++;
    if (venueTs > 0) {
      const lag = (this.wall !== undefined ? this.wall[0]! : this.clock.now()) - venueTs;
      if (lag >= 0) {
        st.latencyMsSum += lag;
        st.latencyCount++;
      }
    }
    const u = book.status === BOOK_SYNCED ? 1 : 0;
    this.usable[symbol]![venue] = u;
    for (let i = 0; i < this.listeners.length; i++) this.listeners[i]!.onBook?.(venue, symbol, book, u === 1);
    this.rebuild(symbol);
  }

  // MarketDataSink

  snapshot(venue: number, symbol: number, bids: LevelBuffer, asks: LevelBuffer, venueTs: number): void {
    const book = this.book(venue, symbol);
    book.bids.load(bids);
    book.asks.load(asks);
    this.committed(venue, symbol, book, venueTs);
  }

  level(venue: number, symbol: number, side: BookSide, priceTicks: number, qtyLots: number): void {
    const book = this.book(venue, symbol);
    if (book.status === BOOK_RESYNCING || book.status === BOOK_NONE) return; // waiting for a snapshot
    book.side(side).set(priceTicks, qtyLots);
  }

  commit(venue: number, symbol: number, venueTs: number): void {
    const book = this.book(venue, symbol);
    if (book.status === BOOK_RESYNCING || book.status === BOOK_NONE) return;
    this.committed(venue, symbol, book, venueTs);
  }

  invalidate(venue: number, symbol: number, reason: ResyncReason): void {
    const book = this.book(venue, symbol);
    this.stats[venue]!.resyncs[RESYNC_REASONS.indexOf(reason)]!++;
    book.status = BOOK_RESYNCING;
    book.clear();
    const was = this.usable[symbol]![venue] === 1;
    this.usable[symbol]![venue] = 0;
    for (let i = 0; i < this.listeners.length; i++) this.listeners[i]!.onBook?.(venue, symbol, book, false);
    if (was) this.rebuild(symbol);
  }

  trade(venue: number, symbol: number, priceTicks: number, qtyLots: number, takerSide: BookSide, venueTs: number): void {
    this.heard[venue] = 1;
    this.stats[venue]!.trades++;
    for (let i = 0; i < this.listeners.length; i++) this.listeners[i]!.onTrade?.(venue, symbol, priceTicks, qtyLots, takerSide, venueTs);
  }

  offGridQty(venue: number): void {
    this.stats[venue]!.offGridQty++;
  }

  alive(venue: number): void {
    this.heard[venue] = 1;
  }
}
