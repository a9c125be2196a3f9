/**
 * The fixed-size binary trade record carried to a strategy on its trade ring (daemon -> worker; an SPSC ring of
 * spsc-ring.ts), 40 bytes:
 *
 *   off size field        meaning
 *     0  f64  priceTicks   trade price in ticks of the instrument
 *     8  f64  qtyLots      trade quantity in lots
 *    16  f64  venueTs      the venue's time of the trade (ms since the epoch; 0 = unknown)
 *    24  f64  ts           the daemon's wall time when it passed the trade on (ms since the epoch)
 *    32  u32  lost         trades of this strategy's subscriptions not written just before this one, because its
 *                          ring was full (0 normally): the reader learns where trades are missing and how many
 *    36  u16  symbol       instrument index
 *    38  u8   venue        venue index (router order)
 *    39  u8   takerSide    0 the buyer took liquidity (BUY), 1 the seller did (SELL)
 *
 * When the ring is full the newest trade is not written (the ones already there are never overwritten); the writer
 * counts it in the ring's refused counter (RingProducer.noteRefused: the running total a reader sees with
 * refusedCount()) and in the `lost` field of the next record it manages to write. Trades are never lost silently.
 */
import type { RecordViews } from './order-record.js';

export const TRADE_RECORD_BYTES = 40;

export const TAKER_BUY = 0;
export const TAKER_SELL = 1;

/** A mutable trade record, owned by one side and reused. */
export class TradeRecord {
  priceTicks = 0;
  qtyLots = 0;
  venueTs = 0;
  ts = 0;
  lost = 0;
  symbol = 0;
  venue = 0;
  takerSide = TAKER_BUY;
}

const F_PRICE = 0;
const F_QTY = 1;
const F_VENUE_TS = 2;
const F_TS = 3;
const W_LOST = 8;
const H_SYMBOL = 18;
const B_VENUE = 38;
const B_SIDE = 39;

export function writeTradeRecord(v: RecordViews, off: number, rec: TradeRecord): void {
  const f = off >> 3;
  v.f64[f + F_PRICE] = rec.priceTicks;
  v.f64[f + F_QTY] = rec.qtyLots;
  v.f64[f + F_VENUE_TS] = rec.venueTs;
  v.f64[f + F_TS] = rec.ts;
  v.u32[(off >> 2) + W_LOST] = rec.lost;
  v.u16[(off >> 1) + H_SYMBOL] = rec.symbol;
  v.bytes[off + B_VENUE] = rec.venue;
  v.bytes[off + B_SIDE] = rec.takerSide;
}

export function readTradeRecord(v: RecordViews, off: number, rec: TradeRecord): TradeRecord {
  const f = off >> 3;
  rec.priceTicks = v.f64[f + F_PRICE]!;
  rec.qtyLots = v.f64[f + F_QTY]!;
  rec.venueTs = v.f64[f + F_VENUE_TS]!;
  rec.ts = v.f64[f + F_TS]!;
  rec.lost = v.u32[(off >> 2) + W_LOST]!;
  rec.symbol = v.u16[(off >> 1) + H_SYMBOL]!;
  rec.venue = v.bytes[off + B_VENUE]!;
  rec.takerSide = v.bytes[off + B_SIDE]!;
  return rec;
}
