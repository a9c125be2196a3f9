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
  const venue = order.venue;
  const fillRow = update.kind === 'FILL' && venue !== PARENT_VENUE_NAME;
  const orderRow = !isOpen(t.to) && t.from !== t.to;
  if (!fillRow && !orderRow) return 0;
  let n = 0;
  const ins = instruments.at(order.symbolIndex);
  const parent = order.parentId;
  const parentOrderId = parent > 0 ? parent : null;
  // read once for both rows: a derived client order id is a new string at every read
  const clientOrderId = order.clientOrderId;
  if (fillRow) {
    const f = update.fill;
    out.push({
      kind: 'fill', seq, ts: f.ts, orderId: order.id, parentOrderId, clientOrderId,
      strategy: order.strategy, symbol: ins.symbol, side: order.side, venue: f.venue, tradeId: f.tradeId,
      price: ins.ticksToPrice(f.priceTicks), qty: ins.lotsToQty(f.qtyLots), fee: f.fee, feeCurrency: f.feeCurrency === '' ? ins.quote : f.feeCurrency,
      feeEstimated: f.feeEstimated === true, liquidity: f.liquidity, venueTs: f.venueTs > 0 ? f.venueTs : null,
    });
    n++;
  }
  if (!orderRow) return n;
  out.push({
    kind: 'order', seq, ts: update.kind === 'FILL' ? update.fill.ts : order.updatedAt, orderId: order.id, parentOrderId, clientOrderId,
    strategy: order.strategy, symbol: ins.symbol, side: order.side, type: order.type, timeInForce: order.timeInForce,
    price: order.priceTicks > 0 ? ins.ticksToPrice(order.priceTicks) : null, stopPrice: order.stopTicks > 0 ? ins.ticksToPrice(order.stopTicks) : null,
    quantity: ins.lotsToQty(order.qtyLots), filledQty: ins.lotsToQty(order.filledLots), avgPrice: ins.averagePrice(order.filledNotional, order.filledLots),
    state: t.to, venue: venue ?? null, venueOrderId: order.venueOrderId ?? null, reason: order.reason ?? null, route: order.route,
    createdAt: order.createdAt,
  });
  return n + 1;
}

/** Bytes of a row's keys and punctuation (writeHistoryRows), beyond its values. */
const ROW_KEYS_BOUND = 400;

/**
 * The rows of `rows` with a seq above `after`, each as one JSON line into `w` (the file store), line break included:
 * the same bytes as JSON.stringify of the row historyRowsOf makes (its keys in that order) then UTF-8, written
 * directly (room made first: w.reserve). Returns the seq of the last row written (`after` when none).
 *
 * Written at a local position into the writer's buffer (w.pos set once a row), not through a JsonBytes call per key
 * and value (the file store's writes are about a third of the history thread's CPU in bench:history's profile; a row
 * took about 850 ns that way, about 775 ns this way, in a loop over bench-like rows on Node 20). Keys and the constant
 * text around the common values (the row's kind, a missing parent, a fill's flags) are copied as one fragment each;
 * numbers and strings that need more than plain ASCII digits and characters are left to JsonBytes (w.num, w.str) at
 * that position. An order's final state right after the fill that completed it (same record) has the fill's text from
 * its seq to its side byte for byte: that text is copied from the fill's line (one native copy), not written again.
 */
export function writeHistoryRows(w: JsonBytes, rows: readonly HistoryRow[], after: number): number {
  let last = after;
  const common = new CommonText();
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (r.seq <= after) continue;
    writeRow(w, r, common);
    last = r.seq;
  }
  return last;
}

/** Where the last fill's text from its seq to its side is in the writer's buffer (writeHistoryRows). */
class CommonText {
  /** The fill written last, if the row written last is one (its final state may follow). */
  fill: FillRow | null = null;
  buf: Uint8Array | null = null;
  from = 0;
  to = 0;
}

/** The final state `o` has the text from seq to side of the fill `f` (what JSON.stringify writes of them is the same). */
function sameCommonText(f: FillRow, o: OrderRow): boolean {
  return f.seq === o.seq && f.ts === o.ts && f.orderId === o.orderId && f.parentOrderId === o.parentOrderId && f.clientOrderId === o.clientOrderId
    && f.strategy === o.strategy && f.symbol === o.symbol && f.side === o.side;
}

function writeRow(w: JsonBytes, r: HistoryRow, common: CommonText): void {
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
  const b = w.buf;
  let p = put(b, w.pos, r.kind === 'fill' ? FILL_HEAD : ORDER_HEAD);
  const fill = common.fill;
  // the fill's text was written in this call, earlier in this same buffer (not copied from when reserve had to
  // move the writer to a bigger one)
  if (r.kind === 'order' && fill !== null && common.buf === b && sameCommonText(fill, r)) {
    b.copyWithin(p, common.from, common.to);
    p += common.to - common.from;
    common.fill = null;
  } else {
    const from = p;
    p = num(w, b, p, r.seq);
    p = put(b, p, K_TS);
    p = num(w, b, p, r.ts);
    p = put(b, p, K_ORDER_ID);
    p = num(w, b, p, r.orderId);
    if (r.parentOrderId === null) p = put(b, p, K_NO_PARENT_CLIENT_ORDER_ID);
    else {
      p = put(b, p, K_PARENT_ORDER_ID);
      p = num(w, b, p, r.parentOrderId);
      p = put(b, p, K_CLIENT_ORDER_ID);
    }
    p = str(w, b, p, r.clientOrderId);
    p = put(b, p, K_STRATEGY);
    p = str(w, b, p, r.strategy);
    p = put(b, p, K_SYMBOL);
    p = str(w, b, p, r.symbol);
    p = put(b, p, K_SIDE);
    p = str(w, b, p, r.side);
    common.fill = r.kind === 'fill' ? r : null;
    common.buf = b;
    common.from = from;
    common.to = p;
  }
  if (r.kind === 'fill') {
    p = put(b, p, K_VENUE);
    p = str(w, b, p, r.venue);
    p = put(b, p, K_TRADE_ID);
    p = str(w, b, p, r.tradeId);
    p = put(b, p, K_PRICE);
    p = str(w, b, p, r.price);
    p = put(b, p, K_QTY);
    p = str(w, b, p, r.qty);
    p = put(b, p, K_FEE);
    p = str(w, b, p, r.fee);
    p = put(b, p, K_FEE_CURRENCY);
    p = str(w, b, p, r.feeCurrency);
    const flags = r.liquidity === 'TAKER' ? (r.feeEstimated ? K_ESTIMATED_TAKER : K_TAKER) : r.liquidity === 'MAKER' ? (r.feeEstimated ? K_ESTIMATED_MAKER : K_MAKER) : null;
    if (flags !== null) p = put(b, p, flags);
    else {
      p = put(b, p, K_FEE_ESTIMATED);
      p = put(b, p, r.feeEstimated ? TRUE : FALSE);
      p = put(b, p, K_LIQUIDITY);
      p = str(w, b, p, r.liquidity);
      p = put(b, p, K_VENUE_TS);
    }
    p = r.venueTs === null ? put(b, p, NULL) : num(w, b, p, r.venueTs);
  } else {
    p = put(b, p, K_TYPE);
    p = str(w, b, p, r.type);
    p = put(b, p, K_TIME_IN_FORCE);
    p = str(w, b, p, r.timeInForce);
    p = put(b, p, K_PRICE);
    p = strOrNull(w, b, p, r.price);
    p = put(b, p, K_STOP_PRICE);
    p = strOrNull(w, b, p, r.stopPrice);
    p = put(b, p, K_QUANTITY);
    p = str(w, b, p, r.quantity);
    p = put(b, p, K_FILLED_QTY);
    p = str(w, b, p, r.filledQty);
    p = put(b, p, K_AVG_PRICE);
    p = strOrNull(w, b, p, r.avgPrice);
    p = put(b, p, K_STATE);
    p = str(w, b, p, r.state);
    p = put(b, p, K_VENUE);
    p = strOrNull(w, b, p, r.venue);
    p = put(b, p, K_VENUE_ORDER_ID);
    p = strOrNull(w, b, p, r.venueOrderId);
    p = put(b, p, K_REASON);
    p = strOrNull(w, b, p, r.reason);
    p = put(b, p, K_ROUTE);
    p = str(w, b, p, r.route);
    p = put(b, p, K_CREATED_AT);
    p = num(w, b, p, r.createdAt);
  }
  w.pos = put(b, p, LINE_END);
}

function nullableBound(s: string | null): number {
  return s === null ? 4 : stringBound(s);
}

/** `bytes` at b[p]; the position after them. */
function put(b: Uint8Array, p: number, bytes: Uint8Array): number {
  const n = bytes.length;
  for (let i = 0; i < n; i++) b[p + i] = bytes[i]!;
  return p + n;
}

/**
 * `n` at b[p] as JSON.stringify writes it; the position after it. Safe non-negative integers (seqs, ids, times in ms)
 * here, any other number by w.num.
 */
function num(w: JsonBytes, b: Uint8Array, p: number, n: number): number {
  if (!(n >= 0 && Number.isSafeInteger(n))) {
    w.pos = p;
    w.num(n);
    return w.pos;
  }
  if (n < 1e9) return digits(b, p, n);
  // beyond 1e9 (times in ms, big seqs): the digits above the last nine, then those nine (zeros first)
  const high = Math.floor(n / 1e9);
  const q = digits(b, p, high);
  let low = n - high * 1e9;
  for (let i = q + 8; i >= q; i--) {
    const d = (low / 10) | 0;
    b[i] = 48 + low - d * 10;
    low = d;
  }
  return q + 9;
}

/** The decimal digits of 0 <= x < 2^31 at b[p]; the position after them. */
function digits(b: Uint8Array, p: number, x: number): number {
  const end = p + digitCount(x);
  let q = end;
  do {
    const d = (x / 10) | 0;
    b[--q] = 48 + x - d * 10;
    x = d;
  } while (x > 0);
  return end;
}

function digitCount(x: number): number {
  return x < 1e4 ? (x < 10 ? 1 : x < 100 ? 2 : x < 1e3 ? 3 : 4) : x < 1e6 ? (x < 1e5 ? 5 : 6) : x < 1e7 ? 7 : x < 1e8 ? 8 : 9;
}

/** `s` at b[p] as JSON.stringify writes it; the position after it. Printable ASCII here, any other text by w.str. */
function str(w: JsonBytes, b: Uint8Array, p: number, s: string): number {
  const n = s.length;
  b[p] = 0x22;
  for (let i = 0; i < n; i++) {
    const c = charCodeAt.call(s, i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) {
      w.pos = p;
      w.str(s);
      return w.pos;
    }
    b[p + 1 + i] = c;
  }
  b[p + 1 + n] = 0x22;
  return p + 2 + n;
}

function strOrNull(w: JsonBytes, b: Uint8Array, p: number, s: string | null): number {
  return s === null ? put(b, p, NULL) : str(w, b, p, s);
}

/** String.prototype.charCodeAt as a constant: see src/model/json-text.ts (a megamorphic `text.charCodeAt` per char). */
const charCodeAt = String.prototype.charCodeAt;

const FILL_HEAD = fragment('{"kind":"fill","seq":');
const ORDER_HEAD = fragment('{"kind":"order","seq":');
const K_TS = fragment(',"ts":');
const K_ORDER_ID = fragment(',"orderId":');
const K_PARENT_ORDER_ID = fragment(',"parentOrderId":');
const K_CLIENT_ORDER_ID = fragment(',"clientOrderId":');
const K_NO_PARENT_CLIENT_ORDER_ID = fragment(',"parentOrderId":null,"clientOrderId":');
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
/** A fill's flags and liquidity as they come (up to venueTs's value). */
const K_TAKER = fragment(',"feeEstimated":false,"liquidity":"TAKER","venueTs":');
const K_MAKER = fragment(',"feeEstimated":false,"liquidity":"MAKER","venueTs":');
const K_ESTIMATED_TAKER = fragment(',"feeEstimated":true,"liquidity":"TAKER","venueTs":');
const K_ESTIMATED_MAKER = fragment(',"feeEstimated":true,"liquidity":"MAKER","venueTs":');
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
const NULL = fragment('null');
const TRUE = fragment('true');
const FALSE = fragment('false');
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
