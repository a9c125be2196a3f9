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
 * exact decimals (ticks and lots to decimal text, never a float). The file store writes them as JSON lines
 * (history-lines.ts).
 */
import type { OrderView } from '../core/order-store.js';
import type { OrderUpdate, Transition } from '../model/lifecycle.js';
import { isOpen } from '../model/order.js';
import type { InstrumentRegistry } from '../model/instrument.js';

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

/** A row being made (historyRowsInto fills one in place; the rows handed on are never changed after). */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A fill row with every field set (in the order JSON.stringify and the file store write them), to fill in. */
export function newFillRow(): Mutable<FillRow> {
  return {
    kind: 'fill', seq: 0, ts: 0, orderId: 0, parentOrderId: null, clientOrderId: '', strategy: '', symbol: '', side: '', venue: '', tradeId: '',
    price: '', qty: '', fee: '', feeCurrency: '', feeEstimated: false, liquidity: '', venueTs: null,
  };
}

/** An order row with every field set (in the order JSON.stringify and the file store write them), to fill in. */
export function newOrderRow(): Mutable<OrderRow> {
  return {
    kind: 'order', seq: 0, ts: 0, orderId: 0, parentOrderId: null, clientOrderId: '', strategy: '', symbol: '', side: '', type: '',
    timeInForce: '', price: null, stopPrice: null, quantity: '', filledQty: '', avgPrice: null, state: '', venue: null, venueOrderId: null,
    reason: null, route: '', createdAt: 0,
  };
}

/** historyRowsInto made a fill row, an order row. */
export const MADE_FILL = 1;
export const MADE_ORDER = 2;

/**
 * The history rows of an applied transition recorded at `seq`, pushed to `out`: a venue fill (not a parent's
 * rolled-up copy), and/or the order's final state (a transition into a final state: a fill that completes the order
 * gives both, with the same seq). Reads the order view during the call only (it is reused). Returns how many.
 */
export function historyRowsOf(seq: number, instruments: InstrumentRegistry, order: OrderView, update: OrderUpdate, t: Transition, out: HistoryRow[]): number {
  const fill = newFillRow();
  const final = newOrderRow();
  const made = historyRowsInto(seq, instruments, order, update, t, fill, final);
  if ((made & MADE_FILL) !== 0) out.push(fill);
  if ((made & MADE_ORDER) !== 0) out.push(final);
  return (made & 1) + (made >> 1);
}

/**
 * historyRowsOf's rows written into `fill` and `final` (every field of a row it makes; the other left as it was):
 * MADE_FILL | MADE_ORDER says which. Without a new object per row: the file store's rows are written as they are
 * made (history-lines.ts), from two rows filled again for every record.
 */
export function historyRowsInto(
  seq: number, instruments: InstrumentRegistry, order: OrderView, update: OrderUpdate, t: Transition, fill: Mutable<FillRow>, final: Mutable<OrderRow>,
): number {
  if (t.outcome !== 'APPLIED') return 0;
  const venue = order.venue;
  const fillRow = update.kind === 'FILL' && venue !== PARENT_VENUE_NAME;
  const orderRow = !isOpen(t.to) && t.from !== t.to;
  if (!fillRow && !orderRow) return 0;
  let made = 0;
  const ins = instruments.at(order.symbolIndex);
  const parent = order.parentId;
  const parentOrderId = parent > 0 ? parent : null;
  // read once for both rows: a derived client order id is a new string at every read
  const clientOrderId = order.clientOrderId;
  const orderId = order.id;
  const strategy = order.strategy;
  const symbol = ins.symbol;
  const side = order.side;
  // the decimal texts of the fill, kept for the final state it may make (a one-fill order: the same price and
  // quantities): each text made once per record, not once per row
  let fillTicks = -1;
  let fillPrice = '';
  let fillLots = -1;
  let fillQty = '';
  if (fillRow) {
    const f = update.fill;
    fillTicks = f.priceTicks;
    fillPrice = ins.ticksToPrice(fillTicks);
    fillLots = f.qtyLots;
    fillQty = ins.lotsToQty(fillLots);
    fill.seq = seq;
    fill.ts = f.ts;
    fill.orderId = orderId;
    fill.parentOrderId = parentOrderId;
    fill.clientOrderId = clientOrderId;
    fill.strategy = strategy;
    fill.symbol = symbol;
    fill.side = side;
    fill.venue = f.venue;
    fill.tradeId = f.tradeId;
    fill.price = fillPrice;
    fill.qty = fillQty;
    fill.fee = f.fee;
    fill.feeCurrency = f.feeCurrency === '' ? ins.quote : f.feeCurrency;
    fill.feeEstimated = f.feeEstimated === true;
    fill.liquidity = f.liquidity;
    fill.venueTs = f.venueTs > 0 ? f.venueTs : null;
    made = MADE_FILL;
  }
  if (!orderRow) return made;
  const priceTicks = order.priceTicks;
  const stopTicks = order.stopTicks;
  const qtyLots = order.qtyLots;
  const filledLots = order.filledLots;
  const quantity = qtyLots === fillLots ? fillQty : ins.lotsToQty(qtyLots);
  final.seq = seq;
  final.ts = update.kind === 'FILL' ? update.fill.ts : order.updatedAt;
  final.orderId = orderId;
  final.parentOrderId = parentOrderId;
  final.clientOrderId = clientOrderId;
  final.strategy = strategy;
  final.symbol = symbol;
  final.side = side;
  final.type = order.type;
  final.timeInForce = order.timeInForce;
  final.price = priceTicks > 0 ? (priceTicks === fillTicks ? fillPrice : ins.ticksToPrice(priceTicks)) : null;
  final.stopPrice = stopTicks > 0 ? ins.ticksToPrice(stopTicks) : null;
  final.quantity = quantity;
  final.filledQty = filledLots === qtyLots ? quantity : filledLots === fillLots ? fillQty : ins.lotsToQty(filledLots);
  final.avgPrice = ins.averagePrice(order.filledNotional, filledLots);
  final.state = t.to;
  final.venue = venue ?? null;
  final.venueOrderId = order.venueOrderId ?? null;
  final.reason = order.reason ?? null;
  final.route = order.route;
  final.createdAt = order.createdAt;
  return made | MADE_ORDER;
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
