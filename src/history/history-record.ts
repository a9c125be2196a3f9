/**
 * What the history store keeps (see README *Trade history*): every venue fill, and every order's final state, each
 * stamped with the journal seq of the UPDATE record it comes from. The seq is the record's identity: writing the
 * same record twice (the live feed, then a catch-up from the journal) stores it once.
 *
 * Fills of parent orders. A parent held by the daemon (a sweep, an emulated stop, an algorithm: venue `smart`) gets
 * each of its children's fills rolled up as a fill of its own. The history keeps every fill ONCE, as the venue
 * made it: the child's fill, at the child's venue, with `parentOrderId` naming the parent (so `venue=sim-a` finds
 * it, and `parentOrderId` groups a sweep). The rolled-up copy on the parent is not stored. The parent's final state
 * is stored like any order's.
 *
 * The rows are made from a tracker's (order, update, transition) — the one the history thread keeps from the
 * journal's durable batches (src/compose/history-thread.ts) and the journal catch-up's alike — and formatted with
 * exact decimals (ticks and lots to decimal text, never a float).
 */
import type { OrderView } from '../core/order-store.js';
import type { OrderUpdate, Transition } from '../model/lifecycle.js';
import { isOpen } from '../model/order.js';
import type { InstrumentRegistry } from '../model/instrument.js';
import { jsonNumber, jsonString, jsonStringOrNull } from '../model/json-text.js';

/** The pseudo venue of the parent orders the daemon holds (src/parents; the same text). */
export const PARENT_VENUE_NAME = 'smart';

export interface FillRow {
  readonly kind: 'fill';
  /** Journal seq of the FILL record (unique). */
  readonly seq: number;
  /** When the daemon applied the fill (epoch ms; the journal's fill time). */
  readonly ts: number;
  readonly orderId: number;
  /** The parent (sweep, stop, algorithm) of a child order, else null. */
  readonly parentOrderId: number | null;
  readonly clientOrderId: string;
  readonly strategy: string;
  readonly symbol: string;
  readonly side: string;
  readonly venue: string;
  readonly tradeId: string;
  readonly price: string;
  readonly qty: string;
  /** In feeCurrency; positive = paid, negative = rebate. */
  readonly fee: string;
  readonly feeCurrency: string;
  readonly feeEstimated: boolean;
  readonly liquidity: string;
  /** The venue's time of the trade (epoch ms), null when unknown. */
  readonly venueTs: number | null;
}

export interface OrderRow {
  readonly kind: 'order';
  /** Journal seq of the record that finished the order (unique; a corrected order may finish twice). */
  readonly seq: number;
  /** When it finished (epoch ms). */
  readonly ts: number;
  readonly orderId: number;
  readonly parentOrderId: number | null;
  readonly clientOrderId: string;
  readonly strategy: string;
  readonly symbol: string;
  readonly side: string;
  readonly type: string;
  readonly timeInForce: string;
  readonly price: string | null;
  readonly stopPrice: string | null;
  readonly quantity: string;
  readonly filledQty: string;
  /** Average fill price (truncated to the tick's decimals + 8), null when nothing filled. */
  readonly avgPrice: string | null;
  readonly state: string;
  readonly venue: string | null;
  readonly venueOrderId: string | null;
  readonly reason: string | null;
  readonly route: string;
  readonly createdAt: number;
}

export type HistoryRow = FillRow | OrderRow;

/** The fill columns, in the order CSV exports and the file store use. */
export const FILL_COLUMNS = [
  'seq', 'ts', 'time', 'orderId', 'parentOrderId', 'clientOrderId', 'strategy', 'symbol', 'side', 'venue', 'tradeId', 'price', 'qty',
  'fee', 'feeCurrency', 'feeEstimated', 'liquidity', 'venueTs',
] as const;

/**
 * The history rows of an applied transition recorded at `seq`, pushed to `out`: a venue fill (not a parent's
 * rolled-up copy), and/or the order's final state (a transition into a final state: a fill that completes the order
 * gives both, with the same seq). Reads the order view during the call only (it is reused). Returns how many.
 */
export function historyRowsOf(seq: number, instruments: InstrumentRegistry, order: OrderView, update: OrderUpdate, t: Transition, out: HistoryRow[]): number {
  if (t.outcome !== 'APPLIED') return 0;
  let n = 0;
  const ins = instruments.at(order.symbolIndex);
  const parent = order.parentId;
  const parentOrderId = parent > 0 ? parent : null;
  if (update.kind === 'FILL' && order.venue !== PARENT_VENUE_NAME) {
    const f = update.fill;
    out.push({
      kind: 'fill', seq, ts: f.ts, orderId: order.id, parentOrderId, clientOrderId: order.clientOrderId,
      strategy: order.strategy, symbol: ins.symbol, side: order.side, venue: f.venue, tradeId: f.tradeId,
      price: ins.ticksToPrice(f.priceTicks), qty: ins.lotsToQty(f.qtyLots), fee: f.fee, feeCurrency: f.feeCurrency === '' ? ins.quote : f.feeCurrency,
      feeEstimated: f.feeEstimated === true, liquidity: f.liquidity, venueTs: f.venueTs > 0 ? f.venueTs : null,
    });
    n++;
  }
  if (isOpen(t.to) || t.from === t.to) return n;
  out.push({
    kind: 'order', seq, ts: update.kind === 'FILL' ? update.fill.ts : order.updatedAt, orderId: order.id, parentOrderId, clientOrderId: order.clientOrderId,
    strategy: order.strategy, symbol: ins.symbol, side: order.side, type: order.type, timeInForce: order.timeInForce,
    price: order.priceTicks > 0 ? ins.ticksToPrice(order.priceTicks) : null, stopPrice: order.stopTicks > 0 ? ins.ticksToPrice(order.stopTicks) : null,
    quantity: ins.lotsToQty(order.qtyLots), filledQty: ins.lotsToQty(order.filledLots), avgPrice: ins.averagePrice(order.filledNotional, order.filledLots),
    state: t.to, venue: order.venue ?? null, venueOrderId: order.venueOrderId ?? null, reason: order.reason ?? null, route: order.route,
    createdAt: order.createdAt,
  });
  return n + 1;
}

/**
 * A row as one JSON line's text (the file store): the same bytes as JSON.stringify of the row historyRowsOf makes
 * (its keys in that order), written directly.
 */
export function historyRowJson(r: HistoryRow): string {
  const head = `{"kind":${jsonString(r.kind)},"seq":${jsonNumber(r.seq)},"ts":${jsonNumber(r.ts)},"orderId":${jsonNumber(r.orderId)}`
    + `,"parentOrderId":${r.parentOrderId === null ? 'null' : jsonNumber(r.parentOrderId)},"clientOrderId":${jsonString(r.clientOrderId)}`
    + `,"strategy":${jsonString(r.strategy)},"symbol":${jsonString(r.symbol)},"side":${jsonString(r.side)}`;
  if (r.kind === 'fill') {
    return `${head},"venue":${jsonString(r.venue)},"tradeId":${jsonString(r.tradeId)},"price":${jsonString(r.price)},"qty":${jsonString(r.qty)}`
      + `,"fee":${jsonString(r.fee)},"feeCurrency":${jsonString(r.feeCurrency)},"feeEstimated":${r.feeEstimated}`
      + `,"liquidity":${jsonString(r.liquidity)},"venueTs":${r.venueTs === null ? 'null' : jsonNumber(r.venueTs)}}`;
  }
  return `${head},"type":${jsonString(r.type)},"timeInForce":${jsonString(r.timeInForce)},"price":${jsonStringOrNull(r.price)}`
    + `,"stopPrice":${jsonStringOrNull(r.stopPrice)},"quantity":${jsonString(r.quantity)},"filledQty":${jsonString(r.filledQty)}`
    + `,"avgPrice":${jsonStringOrNull(r.avgPrice)},"state":${jsonString(r.state)},"venue":${jsonStringOrNull(r.venue)}`
    + `,"venueOrderId":${jsonStringOrNull(r.venueOrderId)},"reason":${jsonStringOrNull(r.reason)},"route":${jsonString(r.route)}`
    + `,"createdAt":${jsonNumber(r.createdAt)}}`;
}

/** CSV text of one value (RFC 4180: quoted when it holds a comma, quote or line break). */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A fill as a CSV line (FILL_COLUMNS; `time` the ISO text of ts), without the line break. */
export function fillCsvLine(f: FillRow): string {
  return FILL_COLUMNS.map((c) => csvField(c === 'time' ? new Date(f.ts).toISOString() : f[c])).join(',');
}

/** A fill as the API and the JSON export show it. */
export function fillJson(f: FillRow): Record<string, unknown> {
  const { kind: _kind, ...rest } = f;
  return { ...rest, time: new Date(f.ts).toISOString() };
}
