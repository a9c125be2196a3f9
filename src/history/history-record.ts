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
import { fragment, type JsonBytes, NUMBER_BOUND, stringBound } from '../journal/json-bytes.js';

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

/** Bytes of a row's keys and punctuation (writeHistoryRow), beyond its values. */
const ROW_KEYS_BOUND = 400;

/**
 * A row as one JSON line into `w` (the file store), line break included: the same bytes as JSON.stringify of the row
 * historyRowsOf makes (its keys in that order) then UTF-8, written directly (room made first: w.reserve).
 */
export function writeHistoryRow(w: JsonBytes, r: HistoryRow): void {
  let bound = ROW_KEYS_BOUND + 6 * NUMBER_BOUND + stringBound(r.kind) + stringBound(r.clientOrderId) + stringBound(r.strategy)
    + stringBound(r.symbol) + stringBound(r.side);
  if (r.kind === 'fill') {
    bound += stringBound(r.venue) + stringBound(r.tradeId) + stringBound(r.price) + stringBound(r.qty) + stringBound(r.fee)
      + stringBound(r.feeCurrency) + stringBound(r.liquidity);
  } else {
    bound += stringBound(r.type) + stringBound(r.timeInForce) + nullableBound(r.price) + nullableBound(r.stopPrice) + stringBound(r.quantity)
      + stringBound(r.filledQty) + nullableBound(r.avgPrice) + stringBound(r.state) + nullableBound(r.venue) + nullableBound(r.venueOrderId)
      + nullableBound(r.reason) + stringBound(r.route);
  }
  w.reserve(bound);
  w.raw(K_KIND);
  w.str(r.kind);
  w.raw(K_SEQ);
  w.num(r.seq);
  w.raw(K_TS);
  w.num(r.ts);
  w.raw(K_ORDER_ID);
  w.num(r.orderId);
  w.raw(K_PARENT_ORDER_ID);
  numberOrNull(w, r.parentOrderId);
  w.raw(K_CLIENT_ORDER_ID);
  w.str(r.clientOrderId);
  w.raw(K_STRATEGY);
  w.str(r.strategy);
  w.raw(K_SYMBOL);
  w.str(r.symbol);
  w.raw(K_SIDE);
  w.str(r.side);
  if (r.kind === 'fill') {
    w.raw(K_VENUE);
    w.str(r.venue);
    w.raw(K_TRADE_ID);
    w.str(r.tradeId);
    w.raw(K_PRICE);
    w.str(r.price);
    w.raw(K_QTY);
    w.str(r.qty);
    w.raw(K_FEE);
    w.str(r.fee);
    w.raw(K_FEE_CURRENCY);
    w.str(r.feeCurrency);
    w.raw(K_FEE_ESTIMATED);
    w.bool(r.feeEstimated);
    w.raw(K_LIQUIDITY);
    w.str(r.liquidity);
    w.raw(K_VENUE_TS);
    numberOrNull(w, r.venueTs);
  } else {
    w.raw(K_TYPE);
    w.str(r.type);
    w.raw(K_TIME_IN_FORCE);
    w.str(r.timeInForce);
    w.raw(K_PRICE);
    stringOrNull(w, r.price);
    w.raw(K_STOP_PRICE);
    stringOrNull(w, r.stopPrice);
    w.raw(K_QUANTITY);
    w.str(r.quantity);
    w.raw(K_FILLED_QTY);
    w.str(r.filledQty);
    w.raw(K_AVG_PRICE);
    stringOrNull(w, r.avgPrice);
    w.raw(K_STATE);
    w.str(r.state);
    w.raw(K_VENUE);
    stringOrNull(w, r.venue);
    w.raw(K_VENUE_ORDER_ID);
    stringOrNull(w, r.venueOrderId);
    w.raw(K_REASON);
    stringOrNull(w, r.reason);
    w.raw(K_ROUTE);
    w.str(r.route);
    w.raw(K_CREATED_AT);
    w.num(r.createdAt);
  }
  w.raw(LINE_END);
}

function nullableBound(s: string | null): number {
  return s === null ? 4 : stringBound(s);
}

function stringOrNull(w: JsonBytes, s: string | null): void {
  if (s === null) w.null();
  else w.str(s);
}

function numberOrNull(w: JsonBytes, n: number | null): void {
  if (n === null) w.null();
  else w.num(n);
}

const K_KIND = fragment('{"kind":');
const K_SEQ = fragment(',"seq":');
const K_TS = fragment(',"ts":');
const K_ORDER_ID = fragment(',"orderId":');
const K_PARENT_ORDER_ID = fragment(',"parentOrderId":');
const K_CLIENT_ORDER_ID = fragment(',"clientOrderId":');
const K_STRATEGY = fragment(',"strategy":');
const K_SYMBOL = fragment(',"symbol":');
const K_SIDE = fragment(',"side":');
const K_VENUE = fragment(',"venue":');
const K_TRADE_ID = fragment(',"tradeId":');
const K_PRICE = fragment(',"price":');
const K_QTY = fragment(',"qty":');
const K_FEE = fragment(',"fee":');
const K_FEE_CURRENCY = fragment(',"feeCurrency":');
const K_FEE_ESTIMATED = fragment(',"feeEstimated":');
const K_LIQUIDITY = fragment(',"liquidity":');
const K_VENUE_TS = fragment(',"venueTs":');
const K_TYPE = fragment(',"type":');
const K_TIME_IN_FORCE = fragment(',"timeInForce":');
const K_STOP_PRICE = fragment(',"stopPrice":');
const K_QUANTITY = fragment(',"quantity":');
const K_FILLED_QTY = fragment(',"filledQty":');
const K_AVG_PRICE = fragment(',"avgPrice":');
const K_STATE = fragment(',"state":');
const K_VENUE_ORDER_ID = fragment(',"venueOrderId":');
const K_REASON = fragment(',"reason":');
const K_ROUTE = fragment(',"route":');
const K_CREATED_AT = fragment(',"createdAt":');
const LINE_END = fragment('}\n');

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
