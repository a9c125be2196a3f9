/**
 * The objects a strategy sees for market data (sdk.ts TopOfBook, MarketTrade), filled in place from the market
 * channel (src/intake/ring/market-channel.ts): one TopView per subscribed symbol and one TradeView per strategy,
 * reused for every update, so delivering market data allocates nothing. Decimal texts are made only when read.
 */
import {
  TOP_ASK_ADJUSTED, TOP_ASK_PRICE, TOP_ASK_QTY, TOP_ASK_VENUE, TOP_BID_ADJUSTED, TOP_BID_PRICE, TOP_BID_QTY, TOP_BID_VENUE,
  TOP_TS, TOP_VENUES, VENUE_ASK_PRICE, VENUE_ASK_QTY, VENUE_BID_PRICE, VENUE_BID_QTY, VENUE_VALUES, type TopCellsReader,
} from '../intake/ring/market-cells.js';
import { TAKER_SELL, type TradeRecord } from '../intake/ring/trade-record.js';
import { parseDecimal, signedDecimalText } from '../model/decimal.js';
import type { Instrument } from '../model/instrument.js';
import type { Side } from '../model/order.js';
import type { MarketTrade, TopOfBook, VenueTop } from './sdk.js';

/** Fee-adjusted prices are ticks x this (market/consolidated-book.ts FEE_SCALE; 6 decimals). */
const ADJUSTED_DECIMALS = 6;

class VenueTopView implements VenueTop {
  bidTicks = 0;
  bidLots = 0;
  askTicks = 0;
  askLots = 0;
  constructor(readonly venue: string, readonly venueIndex: number) {}
}

export class TopView implements TopOfBook {
  readonly symbol: string;
  readonly symbolIndex: number;
  bidTicks = 0;
  bidLots = 0;
  bidVenue: string | undefined = undefined;
  bidAdjusted = 0;
  askTicks = 0;
  askLots = 0;
  askVenue: string | undefined = undefined;
  askAdjusted = 0;
  ts = 0;
  updates = 0;
  readonly venues: readonly VenueTopView[];
  /** Cell sequence of the values held (0: none yet). */
  seq = 0;
  private readonly scratch: Float64Array;

  constructor(private readonly ins: Instrument, private readonly venueNames: readonly string[], private readonly slot: number, values: number) {
    this.symbol = ins.symbol;
    this.symbolIndex = ins.index;
    this.venues = venueNames.map((v, i) => new VenueTopView(v, i));
    this.scratch = new Float64Array(values);
  }

  /**
   * Reads the newest top from the cell. Returns the cell sequence read (> 0), 0 when the cell was never written,
   * -1 when a write kept overlapping (the values held stay the last consistent ones).
   */
  refresh(cells: TopCellsReader): number {
    const v = this.scratch;
    const seq = cells.read(this.slot, v);
    if (seq <= 0) return seq;
    this.seq = seq;
    this.updates = seq >>> 1;
    this.ts = v[TOP_TS]!;
    this.bidTicks = v[TOP_BID_PRICE]!;
    this.bidLots = v[TOP_BID_QTY]!;
    this.bidAdjusted = v[TOP_BID_ADJUSTED]!;
    this.bidVenue = this.venueName(v[TOP_BID_VENUE]!);
    this.askTicks = v[TOP_ASK_PRICE]!;
    this.askLots = v[TOP_ASK_QTY]!;
    this.askAdjusted = v[TOP_ASK_ADJUSTED]!;
    this.askVenue = this.venueName(v[TOP_ASK_VENUE]!);
    const venues = this.venues;
    for (let i = 0, at = TOP_VENUES; i < venues.length; i++, at += VENUE_VALUES) {
      const t = venues[i]!;
      t.bidTicks = v[at + VENUE_BID_PRICE]!;
      t.bidLots = v[at + VENUE_BID_QTY]!;
      t.askTicks = v[at + VENUE_ASK_PRICE]!;
      t.askLots = v[at + VENUE_ASK_QTY]!;
    }
    return seq;
  }

  /** (A negative index would be looked up as the property "-1": a string made per read.) */
  private venueName(i: number): string | undefined {
    return i >= 0 && i < this.venueNames.length ? this.venueNames[i] : undefined;
  }

  get bid(): string | undefined {
    return this.bidLots > 0 ? this.ins.ticksToPrice(this.bidTicks) : undefined;
  }

  get bidQty(): string | undefined {
    return this.bidLots > 0 ? this.ins.lotsToQty(this.bidLots) : undefined;
  }

  get ask(): string | undefined {
    return this.askLots > 0 ? this.ins.ticksToPrice(this.askTicks) : undefined;
  }

  get askQty(): string | undefined {
    return this.askLots > 0 ? this.ins.lotsToQty(this.askLots) : undefined;
  }

  get bidNet(): string | undefined {
    return this.bidLots > 0 ? adjustedText(this.ins, this.bidAdjusted) : undefined;
  }

  get askNet(): string | undefined {
    return this.askLots > 0 ? adjustedText(this.ins, this.askAdjusted) : undefined;
  }

  /** A plain copy (e.g. for logs). */
  toJSON(): Record<string, unknown> {
    return {
      symbol: this.symbol, bid: this.bid, bidQty: this.bidQty, bidVenue: this.bidVenue, bidNet: this.bidNet,
      ask: this.ask, askQty: this.askQty, askVenue: this.askVenue, askNet: this.askNet, ts: this.ts, updates: this.updates,
    };
  }
}

function adjustedText(ins: Instrument, adjusted: number): string {
  const tick = parseDecimal(ins.tick.text)!;
  return signedDecimalText(BigInt(adjusted) * tick.units, tick.scale + ADJUSTED_DECIMALS);
}

export class TradeView implements MarketTrade {
  symbol = '';
  symbolIndex = 0;
  venue = '';
  venueIndex = 0;
  priceTicks = 0;
  qtyLots = 0;
  side: Side = 'BUY';
  venueTs = 0;
  ts = 0;
  lost = 0;
  private ins: Instrument | undefined;

  constructor(private readonly instruments: readonly Instrument[], private readonly venueNames: readonly string[]) {}

  set(r: TradeRecord): this {
    const ins = this.instruments[r.symbol];
    this.ins = ins;
    this.symbol = ins?.symbol ?? '';
    this.symbolIndex = r.symbol;
    this.venue = this.venueNames[r.venue] ?? '';
    this.venueIndex = r.venue;
    this.priceTicks = r.priceTicks;
    this.qtyLots = r.qtyLots;
    this.side = r.takerSide === TAKER_SELL ? 'SELL' : 'BUY';
    this.venueTs = r.venueTs;
    this.ts = r.ts;
    this.lost = r.lost;
    return this;
  }

  get price(): string {
    return this.ins?.ticksToPrice(this.priceTicks) ?? '';
  }

  get qty(): string {
    return this.ins?.lotsToQty(this.qtyLots) ?? '';
  }

  toJSON(): Record<string, unknown> {
    return { symbol: this.symbol, venue: this.venue, price: this.price, qty: this.qty, side: this.side, venueTs: this.venueTs, ts: this.ts, lost: this.lost };
  }
}
