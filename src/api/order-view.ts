import { ALGO_ICEBERG, ALGO_TWAP, NO_VENUE, OrderCopy, OrderView as StoreOrderView, type OrderStore } from '../core/order-store.js';
import { fixedDecimalText } from '../model/decimal.js';
import type { Instrument, InstrumentRegistry } from '../model/instrument.js';
import type { Order } from '../model/order.js';
import { fragment, JsonBytes, NUMBER_BOUND, stringBound } from '../journal/json-bytes.js';
import { parseFeeTexts, type OrderFee } from '../telemetry/execution-quality.js';

/** An order's execution algorithm as the API shows it. */
export type AlgoView =
  | { readonly type: 'TWAP'; readonly horizonMs: number; readonly intervalMs: number }
  | { readonly type: 'ICEBERG'; readonly displayQuantity: string };

/** What the store's order views add to `Order` (execution quality, parameters); absent: unknown (0). */
export interface OrderExtras {
  readonly arrivalMid?: number;
  readonly algoCode?: number;
  readonly paramA?: number;
  readonly paramB?: number;
}

/** An order as the API shows it: decimals as strings, integers converted back at the edge. */
export interface OrderView {
  readonly orderId: number;
  readonly clientOrderId: string;
  readonly strategy: string;
  readonly symbol: string;
  readonly side: string;
  readonly type: string;
  readonly timeInForce: string;
  readonly postOnly: boolean;
  readonly priority: string;
  readonly price: string | null;
  readonly stopPrice: string | null;
  readonly quantity: string;
  readonly filledQty: string;
  readonly filledNotional: string;
  readonly avgPrice: string | null;
  readonly state: string;
  readonly venue: string | null;
  readonly venueOrderId: string | null;
  readonly reason: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** table, best or sweep (an order pinned to a venue: table). */
  readonly route: string;
  /** The parent order of a child order (a slice of a sweep), else null. */
  readonly parentOrderId: number | null;
  /** The consolidated mid when the order was received (price text; a half tick has one more decimal), null: unknown. */
  readonly arrivalMid: string | null;
  /**
   * Slippage of the order's fills so far against the arrival mid, in basis points rounded to 0.01 (from the average
   * price; positive = paid away): null while nothing is filled or without an arrival mid.
   */
  readonly slippageBps: number | null;
  /** Fees paid so far per currency, exact decimals (negative: rebates), in the order first paid; [] for none. */
  readonly fees: readonly OrderFee[];
  /** TRAILING_STOP only: the trailing offset (price text). */
  readonly trailingOffset?: string;
  /** Orders with an execution algorithm only. */
  readonly algo?: AlgoView;
  /** GET /v1/orders/:id of a sweep parent: its children, in the order they were sent. */
  readonly children?: readonly OrderView[];
}

/** A mid in ticks (a whole or half tick) as price text: a half tick has one more decimal, exact; null for 0. */
export function midText(ins: Instrument, midTicks: number): string | null {
  if (!(midTicks > 0)) return null;
  if (Number.isSafeInteger(midTicks)) return ins.ticksToPrice(midTicks);
  const halves = midTicks * 2;
  if (!Number.isSafeInteger(halves)) return null; // never made: mids are whole or half ticks
  // halves x tick / 2 = halves x tick units x 5 / 10^(scale + 1)
  return fixedDecimalText(BigInt(halves) * ins.tick.units * 5n, ins.tick.scale + 1);
}

/** An order copied for an answer as it is now, while the store still holds it (OrderCopy.current); else as given. */
function now(order: Order & OrderExtras): Order & OrderExtras {
  return order instanceof OrderCopy ? (order.current() as Order & OrderExtras) : order;
}

/** The fees text of an order held in `store` (see OrderStore.feeTexts). */
function feeTextOf(order: Order, store: OrderStore | undefined): string | undefined {
  if (order instanceof OrderCopy) return order.feeText; // its fees when it was copied, as its other fields
  if (store === undefined) return undefined;
  const slot = isViewOf(order, store) ? order.slot : store.slotOf(order.id);
  return slot < 0 ? undefined : store.feeTexts[slot];
}

/** Whether `order` is `store`'s own live view of an order it holds (its slot then reads the order's fields). */
function isViewOf(order: Order, store: OrderStore): order is StoreOrderView {
  return order instanceof StoreOrderView && store.id[order.slot] === order.id;
}

/** Slippage of the order's fills so far against the arrival mid `mid` (see OrderView.slippageBps). */
function slippageBps(order: Order, mid: number): number | null {
  if (!(order.filledLots > 0 && mid > 0)) return null;
  const avg = order.filledNotional / order.filledLots;
  const bps = Math.round(((order.side === 'BUY' ? avg - mid : mid - avg) / mid) * 1e6) / 100;
  return bps === 0 ? 0 : bps; // no -0
}

/**
 * The API's view of an order. `store`: the order store the order is held in (its fees); without it `fees` is [].
 * The arrival mid, algorithm and parameters come from the store's order views (OrderExtras).
 */
export function orderView(given: Order & OrderExtras, instruments: InstrumentRegistry, store?: OrderStore): OrderView {
  const order = now(given);
  const ins = instruments.get(order.symbol)!;
  const mid = order.arrivalMid ?? 0;
  const view: { -readonly [K in keyof OrderView]: OrderView[K] } = {
    orderId: order.id,
    clientOrderId: order.clientOrderId,
    strategy: order.strategy,
    symbol: order.symbol,
    side: order.side,
    type: order.type,
    timeInForce: order.timeInForce,
    postOnly: order.postOnly,
    priority: order.priority,
    price: order.priceTicks > 0 ? ins.ticksToPrice(order.priceTicks) : null,
    stopPrice: order.stopTicks > 0 ? ins.ticksToPrice(order.stopTicks) : null,
    quantity: ins.lotsToQty(order.qtyLots),
    filledQty: ins.lotsToQty(order.filledLots),
    filledNotional: ins.notional.toText(order.filledNotional),
    avgPrice: ins.averagePrice(order.filledNotional, order.filledLots),
    state: order.state,
    venue: order.venue ?? null,
    venueOrderId: order.venueOrderId ?? null,
    reason: order.reason ?? null,
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
    route: order.route ?? 'table',
    parentOrderId: order.parentId !== undefined && order.parentId !== 0 ? order.parentId : null,
    arrivalMid: midText(ins, mid),
    slippageBps: slippageBps(order, mid),
    fees: parseFeeTexts(feeTextOf(order, store)),
  };
  // set after, in this order (no spread of a literal: the view is made for every answer)
  if (order.type === 'TRAILING_STOP') view.trailingOffset = ins.ticksToPrice(order.paramA ?? 0);
  const algo = algoView(order, ins);
  if (algo !== undefined) view.algo = algo;
  return view;
}

/**
 * The JSON text of orderView(order, instruments, store) — the same bytes JSON.stringify gives of it — made with
 * writeOrderView in `w` (a writer of one text the caller keeps for the next call; it is reset here).
 */
export function orderViewJson(order: Order & OrderExtras, instruments: InstrumentRegistry, store: OrderStore | undefined, w: JsonBytes): string {
  w.pos = 0;
  w.begin();
  writeOrderView(w, order, instruments, store);
  return w.text();
}

const K_ORDER_ID = fragment('{"orderId":');
const K_CLIENT_ORDER_ID = fragment(',"clientOrderId":');
const K_STRATEGY = fragment(',"strategy":');
const K_SYMBOL = fragment(',"symbol":');
const K_SIDE = fragment(',"side":');
const K_TYPE = fragment(',"type":');
const K_TIME_IN_FORCE = fragment(',"timeInForce":');
const K_POST_ONLY = fragment(',"postOnly":');
const K_PRIORITY = fragment(',"priority":');
const K_PRICE = fragment(',"price":');
const K_STOP_PRICE = fragment(',"stopPrice":');
const K_QUANTITY = fragment(',"quantity":');
const K_FILLED_QTY = fragment(',"filledQty":');
const K_FILLED_NOTIONAL = fragment(',"filledNotional":');
const K_AVG_PRICE = fragment(',"avgPrice":');
const K_STATE = fragment(',"state":');
const K_VENUE = fragment(',"venue":');
const K_VENUE_ORDER_ID = fragment(',"venueOrderId":');
const K_REASON = fragment(',"reason":');
const K_CREATED_AT = fragment(',"createdAt":');
const K_UPDATED_AT = fragment(',"updatedAt":');
const K_ROUTE = fragment(',"route":');
const K_PARENT_ORDER_ID = fragment(',"parentOrderId":');
const K_ARRIVAL_MID = fragment(',"arrivalMid":');
const K_SLIPPAGE_BPS = fragment(',"slippageBps":');
const K_FEES = fragment(',"fees":[');
const K_FEE_CURRENCY = fragment('{"currency":');
const K_FEE_AMOUNT = fragment(',"amount":');
const K_TRAILING_OFFSET = fragment(',"trailingOffset":');
const K_ALGO = fragment(',"algo":');
/** The bytes of the keys and punctuation of an order's view, beyond its values (the fees' own keys counted per fee). */
const VIEW_KEYS_BOUND = 512;
/** A fee's keys and punctuation. */
const FEE_KEYS_BOUND = 32;
const COMMA = 0x2c;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;

/**
 * The JSON of orderView(order, instruments, store) — the same bytes JSON.stringify then UTF-8 give of it — written
 * into `w` without building the view or any string of it (the answer to every submit, over HTTP, the WebSocket and
 * the command streams, holds one). Makes its own room (w.reserve).
 */
export function writeOrderView(w: JsonBytes, given: Order & OrderExtras, instruments: InstrumentRegistry, store?: OrderStore): void {
  const order = now(given);
  const ins = instruments.get(order.symbol)!;
  const mid = order.arrivalMid ?? 0;
  const parent = order.parentId !== undefined && order.parentId !== 0 ? order.parentId : null;
  const slippage = slippageBps(order, mid);
  // enum names and the instrument's decimal texts as they are (plain); the names from the store's JSON tables when
  // the order is its view (json); ids, reasons and what the venue sent escaped (str)
  const held = store !== undefined && isViewOf(order, store);
  const strategyJson = held ? store.strategyJson[order.strategyIndex]! : undefined;
  const symbolJson = held ? store.symbolJson[ins.index]! : undefined;
  const venueJson = held && order.venueIndex !== NO_VENUE ? store.venueJson[order.venueIndex]! : undefined;
  const venue = held ? undefined : order.venue ?? undefined;
  const price = order.priceTicks > 0 ? ins.ticksToPrice(order.priceTicks) : undefined;
  const stopPrice = order.stopTicks > 0 ? ins.ticksToPrice(order.stopTicks) : undefined;
  const quantity = ins.lotsToQty(order.qtyLots);
  const filledQty = ins.lotsToQty(order.filledLots);
  const filledNotional = ins.notional.toText(order.filledNotional);
  const avgPrice = ins.averagePrice(order.filledNotional, order.filledLots) ?? undefined;
  const arrivalMid = midText(ins, mid) ?? undefined;
  const route = order.route ?? 'table';
  const venueOrderId = order.venueOrderId ?? undefined;
  const reason = order.reason ?? undefined;
  const fees = feeTextOf(order, store);
  const feeCount = fees === undefined || fees === '' ? 0 : countFees(fees);
  // strings from the store's JSON tables hold at most 3 bytes a UTF-16 unit; every other string at most stringBound
  w.reserve(VIEW_KEYS_BOUND + 6 * NUMBER_BOUND + stringBound(order.clientOrderId)
    + (held ? 3 * (strategyJson!.length + symbolJson!.length + (venueJson?.length ?? 0)) : stringBound(order.strategy) + stringBound(order.symbol) + stringBound(venue))
    + stringBound(order.side) + stringBound(order.type) + stringBound(order.timeInForce) + stringBound(order.priority)
    + stringBound(price) + stringBound(stopPrice) + stringBound(quantity) + stringBound(filledQty) + stringBound(filledNotional)
    + stringBound(avgPrice) + stringBound(order.state) + stringBound(venueOrderId) + stringBound(reason) + stringBound(route)
    + stringBound(arrivalMid) + (fees === undefined ? 0 : feeCount * FEE_KEYS_BOUND + stringBound(fees)));
  w.raw(K_ORDER_ID);
  w.num(order.id);
  w.raw(K_CLIENT_ORDER_ID);
  w.str(order.clientOrderId);
  w.raw(K_STRATEGY);
  if (held) w.json(strategyJson!);
  else w.str(order.strategy);
  w.raw(K_SYMBOL);
  if (held) w.json(symbolJson!);
  else w.str(order.symbol);
  w.raw(K_SIDE);
  w.plain(order.side);
  w.raw(K_TYPE);
  w.plain(order.type);
  w.raw(K_TIME_IN_FORCE);
  w.plain(order.timeInForce);
  w.raw(K_POST_ONLY);
  w.bool(order.postOnly);
  w.raw(K_PRIORITY);
  w.plain(order.priority);
  w.raw(K_PRICE);
  plainOrNull(w, price);
  w.raw(K_STOP_PRICE);
  plainOrNull(w, stopPrice);
  w.raw(K_QUANTITY);
  w.plain(quantity);
  w.raw(K_FILLED_QTY);
  w.plain(filledQty);
  w.raw(K_FILLED_NOTIONAL);
  w.plain(filledNotional);
  w.raw(K_AVG_PRICE);
  plainOrNull(w, avgPrice);
  w.raw(K_STATE);
  w.plain(order.state);
  w.raw(K_VENUE);
  if (venueJson !== undefined) w.json(venueJson);
  else w.str(venue); // undefined (null) when held without a venue
  w.raw(K_VENUE_ORDER_ID);
  w.str(venueOrderId);
  w.raw(K_REASON);
  w.str(reason);
  w.raw(K_CREATED_AT);
  w.num(order.createdAt);
  w.raw(K_UPDATED_AT);
  w.num(order.updatedAt);
  w.raw(K_ROUTE);
  w.plain(route);
  w.raw(K_PARENT_ORDER_ID);
  if (parent === null) w.null();
  else w.num(parent);
  w.raw(K_ARRIVAL_MID);
  plainOrNull(w, arrivalMid);
  w.raw(K_SLIPPAGE_BPS);
  if (slippage === null) w.null();
  else w.num(slippage);
  w.raw(K_FEES);
  if (feeCount > 0) writeFees(w, fees!);
  w.byte(CLOSE_BRACKET);
  if (order.type === 'TRAILING_STOP') {
    const offset = ins.ticksToPrice(order.paramA ?? 0);
    w.reserve(K_TRAILING_OFFSET.length + stringBound(offset));
    w.raw(K_TRAILING_OFFSET);
    w.plain(offset);
  }
  const algo = algoView(order, ins);
  if (algo !== undefined) {
    const text = JSON.stringify(algo);
    w.reserve(K_ALGO.length + 3 * text.length);
    w.raw(K_ALGO);
    w.json(text);
  }
  w.reserve(1);
  w.byte(CLOSE_BRACE);
}

/** A decimal text the instrument made (plain), or null. */
function plainOrNull(w: JsonBytes, text: string | undefined): void {
  if (text === undefined) w.null();
  else w.plain(text);
}

/** How many fees a feeTexts entry holds (parseFeeTexts: `currency:amount` parts joined by ';'). */
function countFees(text: string): number {
  let n = 1;
  for (let i = text.indexOf(';'); i >= 0; i = text.indexOf(';', i + 1)) n++;
  return n;
}

/** The fees of parseFeeTexts(text) as JSON objects, comma-separated (room made by the caller). */
function writeFees(w: JsonBytes, text: string): void {
  let first = true;
  for (const f of parseFeeTexts(text)) {
    if (!first) w.byte(COMMA);
    first = false;
    w.raw(K_FEE_CURRENCY);
    w.str(f.currency);
    w.raw(K_FEE_AMOUNT);
    w.str(f.amount);
    w.byte(CLOSE_BRACE);
  }
}

function algoView(order: OrderExtras, ins: Instrument): AlgoView | undefined {
  if (order.algoCode === ALGO_TWAP) return { type: 'TWAP', horizonMs: order.paramA ?? 0, intervalMs: order.paramB ?? 0 };
  if (order.algoCode === ALGO_ICEBERG) return { type: 'ICEBERG', displayQuantity: ins.lotsToQty(order.paramA ?? 0) };
  return undefined;
}
