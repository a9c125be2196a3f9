/**
 * One strategy's market-data channel (daemon -> worker): the top-of-book cells of its symbols (market-cells.ts:
 * latest value per symbol, seqlock) and a trade ring (spsc-ring.ts carrying trade-record.ts records, FIFO, bounded,
 * losses counted). Both buffers are created by the host and handed to the worker at start, like the order and event
 * rings. The daemon thread writes (MarketChannelWriter, fed by a MarketListener), the worker reads
 * (MarketChannelReader); neither side allocates per update.
 *
 * Wake-up policy (the worker sleeps on its event doorbell when it has nothing to do):
 *  - an awake worker is never notified: it reads market data each time its loop turns, and its doorbell protocol
 *    (arm, re-check, wait) re-checks the channel before it sleeps, so nothing written before it sleeps is missed;
 *  - a sleeping worker that listens (INTEREST_* bits: onMarket for tops, onTrade for trades) is woken by the first
 *    update after a quiet period at once, and then at most once per `wakeMs` (default 2 ms): updates in between
 *    are left in the cells and the ring and a deferred wake is due (the publisher's timer calls flushWake);
 *  - a worker that does not listen is never woken for market data (ctx.topOfBook still reads the cells).
 * So market data costs an idle strategy at most 1000 / wakeMs notifies per second, however busy the market.
 */
import type { Doorbell } from './doorbell.js';
import { createTopCells, INTEREST_TOPS, INTEREST_TRADES, TopCellsReader, TopCellsWriter } from './market-cells.js';
import { createRingBuffer, RingConsumer, RingProducer } from './spsc-ring.js';
import { TRADE_RECORD_BYTES, TradeRecord, writeTradeRecord } from './trade-record.js';

export const DEFAULT_TRADE_RING_CAPACITY = 4096;
export const DEFAULT_MARKET_WAKE_MS = 2;

export interface MarketChannelShape {
  /** Instrument indices the strategy receives market data of (one cell each, in this order). */
  readonly symbols: readonly number[];
  /** Venues in router order (per-venue tops in each cell). */
  readonly venues: number;
  /** Records of the trade ring (power of two). Default 4096. */
  readonly tradeCapacity?: number;
}

export interface MarketChannelBuffers {
  readonly cells: SharedArrayBuffer;
  readonly trades: SharedArrayBuffer;
}

export function createMarketChannel(shape: MarketChannelShape): MarketChannelBuffers {
  return {
    cells: createTopCells(shape.symbols, shape.venues),
    trades: createRingBuffer(shape.tradeCapacity ?? DEFAULT_TRADE_RING_CAPACITY, TRADE_RECORD_BYTES),
  };
}

/** The daemon's end of one strategy's market channel. One thread only (the daemon's). */
export class MarketChannelWriter {
  readonly cells: TopCellsWriter;
  private readonly trades: RingProducer;
  /** Instrument index -> cell slot (-1: not subscribed). */
  private readonly slots: Int32Array;
  /** Trades not written since the last one written (goes into that record's `lost`). */
  private lostSinceWrite = 0;
  /** Something the worker listens to was written since the last wake decision. */
  private dirty = false;
  /** A wake was deferred by the rate bound (flushWake rings it). */
  private pending = false;
  /** Wall ms of the last wake (-Infinity: never). */
  private readonly lastWake = Float64Array.of(-Infinity);
  /** Tops written. */
  topsWritten = 0;
  /** Trades written. */
  tradesWritten = 0;
  /** Trades not written because the ring was full (the reader sees the same count: refusedCount()). */
  tradesLost = 0;
  /** Doorbell rings that found the worker asleep (notifies sent on account of market data). */
  wakeups = 0;

  constructor(
    buffers: MarketChannelBuffers,
    private readonly bell: Doorbell | null,
    /** At most one wake of a sleeping worker per this many ms. */
    readonly wakeMs = DEFAULT_MARKET_WAKE_MS,
  ) {
    this.cells = new TopCellsWriter(buffers.cells);
    this.trades = new RingProducer(buffers.trades);
    let max = -1;
    for (let i = 0; i < this.cells.slots; i++) max = Math.max(max, this.cells.symbolOf(i));
    this.slots = new Int32Array(max + 1).fill(-1);
    for (let i = 0; i < this.cells.slots; i++) this.slots[this.cells.symbolOf(i)] = i;
  }

  /** The cell slot of an instrument, -1 when the strategy does not receive it. */
  slotOf(symbol: number): number {
    return symbol < this.slots.length ? this.slots[symbol]! : -1;
  }

  /** Writes the top of the symbol in `slot` (values in market-cells.ts TOP_* order). */
  writeTop(slot: number, values: Float64Array): void {
    this.cells.write(slot, values);
    this.topsWritten++;
    if ((this.cells.interest() & INTEREST_TOPS) !== 0) this.dirty = true;
  }

  /**
   * Writes one trade (`rec.lost` is set here). False when it was not written: the strategy does not listen to
   * trades (not counted), or its ring is full (counted: tradesLost, the ring's refused counter, and the `lost` of the
   * next record written).
   */
  writeTrade(rec: TradeRecord): boolean {
    if ((this.cells.interest() & INTEREST_TRADES) === 0) return false;
    const off = this.trades.tryClaim();
    if (off < 0) {
      this.lostSinceWrite++;
      this.tradesLost++;
      this.trades.noteRefused();
      return false;
    }
    rec.lost = this.lostSinceWrite;
    writeTradeRecord(this.trades, off, rec);
    this.trades.publish();
    this.lostSinceWrite = 0;
    this.tradesWritten++;
    this.dirty = true;
    return true;
  }

  /**
   * After a group of writes: wakes the worker if it sleeps and the rate bound allows it (its last wake was `wakeMs`
   * ago or more). True when a wake is deferred: call flushWake() from a timer `wakeMs` later. `now[0]`: wall ms (a
   * cell, so no number is boxed).
   */
  wake(now: Float64Array): boolean {
    if (!this.dirty) return false;
    this.dirty = false;
    return this.decide(now);
  }

  /**
   * Rings a deferred wake. Call it from a timer armed `wakeMs` after wake() answered true: the timer is what spaces
   * these wakes (so a clock that does not move, as in tests, cannot hold a wake back).
   */
  flushWake(now: Float64Array): void {
    if (!this.pending) return;
    this.pending = false;
    const bell = this.bell;
    if (bell === null || !bell.sleeping) return;
    this.ring(now, bell);
  }

  /** (Times stay in typed arrays: a double passed to a call that is not inlined is boxed on Node 20.) */
  private decide(nowCell: Float64Array): boolean {
    const bell = this.bell;
    // awake: it reads the channel before it sleeps again (see the header), no notify needed
    if (bell === null || !bell.sleeping) return false;
    if (this.pending) return true; // the timer will ring
    const now = nowCell[0]!;
    const last = this.lastWake[0]!;
    if (now - last >= this.wakeMs || now < last) {
      this.ring(nowCell, bell);
      return false;
    }
    this.pending = true;
    return true;
  }

  private ring(now: Float64Array, bell: Doorbell): void {
    this.lastWake[0] = now[0]!;
    this.wakeups++;
    bell.ring();
  }
}

/** The worker's end of its market channel. One thread only. */
export class MarketChannelReader {
  readonly cells: TopCellsReader;
  readonly trades: RingConsumer;

  constructor(buffers: MarketChannelBuffers) {
    this.cells = new TopCellsReader(buffers.cells);
    this.trades = new RingConsumer(buffers.trades);
  }

  /** Trades the writer could not write because this ring was full, in total (uint32, wraps). */
  tradesLost(): number {
    return this.trades.refusedCount();
  }
}
