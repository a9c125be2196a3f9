/**
 * The daemon-side publisher of worker strategies' market data: a MarketListener on the daemon's MarketData that
 * writes, for each strategy subscribed to a symbol, the symbol's top of book into the strategy's cells and each trade
 * into its trade ring (src/intake/ring/market-channel.ts), then wakes sleeping workers at a bounded rate.
 *
 *  - Top of book: on every rebuild of a symbol's consolidated book it takes the best consolidated bid and ask (price,
 *    quantity, venue, fee-adjusted price) and each venue's own best bid and ask (usable books only) and writes them
 *    when any of them changed since the last write (a change deeper in the book writes nothing and wakes nobody).
 *  - Trades: every trade of a subscribed symbol, to every strategy that listens to trades.
 *  - Wake-ups: see market-channel.ts; a deferred wake is rung by one timer (created once, re-armed with refresh()).
 *
 * Runs on the daemon's thread; allocates nothing per update (values go through typed arrays and one reused trade
 * record; the time comes from the clock's cell when it has one).
 */
import { TOP_ASK_ADJUSTED, TOP_ASK_PRICE, TOP_ASK_QTY, TOP_ASK_VENUE, TOP_BID_ADJUSTED, TOP_BID_PRICE, TOP_BID_QTY, TOP_BID_VENUE, TOP_TS, TOP_VENUES, VENUE_VALUES, topValueCount } from '../intake/ring/market-cells.js';
import type { MarketChannelWriter } from '../intake/ring/market-channel.js';
import { TradeRecord } from '../intake/ring/trade-record.js';
import type { ConsolidatedBook, ConsolidatedSide } from '../market/consolidated-book.js';
import type { BookSide } from '../market/feed.js';
import type { MarketData, MarketListener } from '../market/market-data.js';
import type { BookLadder } from '../market/venue-book.js';

const NO_SUBSCRIBERS = new Int32Array(0);

export class MarketPublisher implements MarketListener {
  /** Per symbol: [channel, slot, channel, slot, ...] of the strategies that receive it. */
  private readonly subs: Int32Array[];
  /** Per symbol: the values last written (TOP_TS excluded from the comparison). */
  private readonly last: Float64Array[];
  /** Per symbol: 1 once a top was written. */
  private readonly written: Uint8Array;
  private readonly stage: Float64Array;
  private readonly values: number;
  private readonly venues: number;
  private readonly rec = new TradeRecord();
  /** Wall ms, copied from the clock's cell (reading a number through a call may box it on Node 20). */
  private readonly now = new Float64Array(1);
  private readonly clockCell: Float64Array | undefined;
  private readonly wakeMs: number;
  private timer: NodeJS.Timeout | undefined;
  private armed = false;
  private stopped = false;
  /** Tops written (one per symbol change, whatever the number of subscribers). */
  tops = 0;
  /** Trades passed on (one per trade of a subscribed symbol). */
  trades = 0;

  constructor(private readonly market: MarketData, private readonly channels: readonly MarketChannelWriter[]) {
    const venues = (this.venues = market.venues.length);
    for (const c of channels) {
      if (c.cells.venues !== venues) throw new RangeError(`market publisher: a channel has ${c.cells.venues} venues, the market ${venues}`);
    }
    const symbols = market.instruments.list.length;
    this.values = topValueCount(venues);
    this.stage = new Float64Array(this.values);
    this.subs = [];
    this.last = [];
    for (let s = 0; s < symbols; s++) {
      const pairs: number[] = [];
      channels.forEach((c, i) => {
        const slot = c.slotOf(s);
        if (slot >= 0) pairs.push(i, slot);
      });
      this.subs.push(pairs.length === 0 ? NO_SUBSCRIBERS : Int32Array.from(pairs));
      this.last.push(new Float64Array(pairs.length === 0 ? 0 : this.values));
    }
    this.written = new Uint8Array(symbols);
    this.clockCell = market.clock.cell;
    this.wakeMs = channels.reduce((m, c) => Math.min(m, c.wakeMs), Infinity);
  }

  /** Stops the deferred-wake timer (writes still go to the channels; nobody is woken any more). */
  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.armed = false;
  }

  onConsolidated(symbol: number, book: ConsolidatedBook): void {
    const subs = this.subs[symbol];
    if (subs === undefined || subs.length === 0) return;
    const v = this.stage;
    bestOf(book.bids, v, TOP_BID_PRICE, TOP_BID_QTY, TOP_BID_ADJUSTED, TOP_BID_VENUE);
    bestOf(book.asks, v, TOP_ASK_PRICE, TOP_ASK_QTY, TOP_ASK_ADJUSTED, TOP_ASK_VENUE);
    const market = this.market;
    for (let venue = 0, at = TOP_VENUES; venue < this.venues; venue++, at += VENUE_VALUES) {
      if (market.isUsable(venue, symbol)) {
        const b = market.book(venue, symbol);
        ladderTop(b.bids, v, at);
        ladderTop(b.asks, v, at + 2);
      } else {
        v[at] = 0;
        v[at + 1] = 0;
        v[at + 2] = 0;
        v[at + 3] = 0;
      }
    }
    const last = this.last[symbol]!;
    if (this.written[symbol] === 1) {
      let same = true;
      for (let i = TOP_TS + 1; i < this.values; i++) {
        if (v[i] !== last[i]) {
          same = false;
          break;
        }
      }
      if (same) return;
    }
    this.readNow();
    v[TOP_TS] = this.now[0]!;
    last.set(v);
    this.written[symbol] = 1;
    this.tops++;
    const channels = this.channels;
    for (let i = 0; i < subs.length; i += 2) channels[subs[i]!]!.writeTop(subs[i + 1]!, v);
    this.wake(subs);
  }

  onTrade(venue: number, symbol: number, priceTicks: number, qtyLots: number, takerSide: BookSide, venueTs: number): void {
    const subs = this.subs[symbol];
    if (subs === undefined || subs.length === 0) return;
    this.readNow();
    const r = this.rec;
    r.priceTicks = priceTicks;
    r.qtyLots = qtyLots;
    r.venueTs = venueTs;
    r.ts = this.now[0]!;
    r.symbol = symbol;
    r.venue = venue;
    r.takerSide = takerSide;
    this.trades++;
    const channels = this.channels;
    for (let i = 0; i < subs.length; i += 2) channels[subs[i]!]!.writeTrade(r);
    this.wake(subs);
  }

  private wake(subs: Int32Array): void {
    const channels = this.channels;
    let deferred = false;
    for (let i = 0; i < subs.length; i += 2) if (channels[subs[i]!]!.wake(this.now)) deferred = true;
    if (deferred) this.arm();
  }

  private readNow(): void {
    this.now[0] = this.clockCell !== undefined ? this.clockCell[0]! : this.market.clock.now();
  }

  private arm(): void {
    if (this.armed || this.stopped) return;
    this.armed = true;
    if (this.timer === undefined) {
      this.timer = setTimeout(this.flush, this.wakeMs);
      this.timer.unref();
    } else {
      this.timer.refresh();
    }
  }

  private readonly flush = (): void => {
    this.armed = false;
    if (this.stopped) return;
    this.readNow();
    for (let i = 0; i < this.channels.length; i++) this.channels[i]!.flushWake(this.now);
  };
}

function bestOf(side: ConsolidatedSide, v: Float64Array, price: number, qty: number, adjusted: number, venue: number): void {
  if (side.count > 0) {
    v[price] = side.price[0]!;
    v[qty] = side.qty[0]!;
    v[adjusted] = side.adjusted[0]!;
    v[venue] = side.venue[0]!;
  } else {
    v[price] = 0;
    v[qty] = 0;
    v[adjusted] = 0;
    v[venue] = -1;
  }
}

function ladderTop(l: BookLadder, v: Float64Array, at: number): void {
  if (l.count > 0) {
    v[at] = l.price[0]!;
    v[at + 1] = l.qty[0]!;
  } else {
    v[at] = 0;
    v[at + 1] = 0;
  }
}
