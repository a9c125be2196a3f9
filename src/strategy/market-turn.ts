/**
 * The market-data half of a strategy worker's turn (strategy-runtime.ts runs the rest): reads the market channel,
 * hands up to TRADE_BATCH trades to onTrade and then the newest top of each symbol whose top changed since it was
 * last delivered to onMarket, through the reused TopView / TradeView objects (market-views.ts). Also answers
 * ctx.topOfBook and sets what the host writes and wakes the worker for (its interest).
 */
import { INTEREST_TOPS, INTEREST_TRADES } from '../intake/ring/market-cells.js';
import { MarketChannelReader, type MarketChannelBuffers } from '../intake/ring/market-channel.js';
import { readTradeRecord, TradeRecord } from '../intake/ring/trade-record.js';
import type { InstrumentRegistry } from '../model/instrument.js';
import { TopView, TradeView } from './market-views.js';
import type { Strategy, StrategyContext, TopOfBook } from './sdk.js';

/** Trades handed to onTrade per turn. */
const TRADE_BATCH = 256;

export class MarketTurn {
  private readonly market: MarketChannelReader;
  /** Per cell slot: the view of its symbol, and the cell sequence last handed to onMarket. */
  private readonly tops: TopView[];
  private readonly delivered: Int32Array;
  private readonly topBySymbol = new Map<string, TopView>();
  /** The cells' version when they were last scanned for onMarket. */
  private seenVersion = 0;
  private readonly tradeRec = new TradeRecord();
  private readonly tradeView: TradeView;
  private wantTops = false;
  private wantTrades = false;

  constructor(
    buffers: MarketChannelBuffers,
    instruments: InstrumentRegistry,
    venues: readonly string[],
    /** Whether the runtime has closed (no tops are delivered after the trades of a turn that closed it). */
    private readonly closed: () => boolean,
    /** A hook that threw (counted and logged by the runtime). */
    private readonly hookFailed: (hook: string, e: unknown) => void,
  ) {
    this.market = new MarketChannelReader(buffers);
    const cells = this.market.cells;
    this.tops = [];
    for (let slot = 0; slot < cells.slots; slot++) {
      const ins = instruments.list[cells.symbolOf(slot)];
      if (ins === undefined) throw new RangeError(`market cells name instrument ${cells.symbolOf(slot)}, which is not configured`);
      const view = new TopView(ins, venues, slot, cells.values);
      this.tops.push(view);
      this.topBySymbol.set(ins.symbol, view);
    }
    this.delivered = new Int32Array(cells.slots);
    this.seenVersion = cells.version();
    this.tradeView = new TradeView(instruments.list, venues);
  }

  /** What the host writes and wakes us for: trades only for onTrade, wake-ups for tops only for onMarket. */
  setInterest(strategy: Strategy): void {
    this.wantTops = strategy.onMarket !== undefined;
    this.wantTrades = strategy.onTrade !== undefined;
    this.market.cells.setInterest((this.wantTops ? INTEREST_TOPS : 0) | (this.wantTrades ? INTEREST_TRADES : 0));
  }

  /** No more trades written nor wake-ups for market data. */
  close(): void {
    this.market.cells.setInterest(0);
  }

  /** Trades the host could not write for us (ctx.tradesLost). */
  tradesLost(): number {
    return this.market.tradesLost();
  }

  /** Market data waiting for a hook that wants it (the doorbell's re-check). */
  hasWork(): boolean {
    return (this.wantTrades && this.market.trades.hasRecords()) ||
      (this.wantTops && this.market.cells.version() !== this.seenVersion);
  }

  topOfBook(symbol: string): TopOfBook | undefined {
    const view = this.topBySymbol.get(symbol);
    if (view === undefined) return undefined;
    view.refresh(this.market.cells); // -1 (a write kept overlapping): the view keeps its last consistent top
    return view.seq === 0 ? undefined : view;
  }

  /** Delivers up to TRADE_BATCH trades, then the changed tops. Returns how many callbacks were made. */
  drain(strategy: Strategy, ctx: StrategyContext): number {
    let n = 0;
    if (this.wantTrades) n += this.drainTrades(strategy, ctx);
    if (this.wantTops && !this.closed()) n += this.deliverTops(strategy, ctx);
    return n;
  }

  private drainTrades(strategy: Strategy, ctx: StrategyContext): number {
    const ring = this.market.trades;
    let n = ring.available();
    if (n === 0) return 0;
    if (n > TRADE_BATCH) n = TRADE_BATCH;
    const view = this.tradeView;
    const h = strategy.onTrade!;
    let i = 0;
    try {
      while (i < n) {
        readTradeRecord(ring, ring.offsetAt(i), this.tradeRec);
        i++;
        view.set(this.tradeRec);
        try {
          h.call(strategy, view, ctx);
        } catch (e) {
          this.hookFailed('onTrade', e);
        }
      }
    } finally {
      ring.release(i);
    }
    return i;
  }

  private deliverTops(strategy: Strategy, ctx: StrategyContext): number {
    const cells = this.market.cells;
    const version = cells.version();
    if (version === this.seenVersion) return 0;
    // read before the cells: a write that completes after this load moves the version again (next turn rescans)
    this.seenVersion = version;
    const h = strategy.onMarket!;
    let n = 0;
    for (let slot = 0; slot < this.tops.length; slot++) {
      const seq = cells.sequence(slot);
      if (seq === 0 || seq === this.delivered[slot]) continue;
      const view = this.tops[slot]!;
      if (view.refresh(cells) <= 0) continue;
      if (view.seq === this.delivered[slot]) continue;
      this.delivered[slot] = view.seq;
      n++;
      try {
        h.call(strategy, view, ctx);
      } catch (e) {
        this.hookFailed('onMarket', e);
      }
    }
    return n;
  }
}
