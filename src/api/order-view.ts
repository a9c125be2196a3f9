import { ALGO_ICEBERG, ALGO_TWAP, NO_VENUE, OrderView as StoreOrderView, type OrderStore } from '../core/order-store.js';
import { fixedDecimalText } from '../model/decimal.js';
import type { Instrument, InstrumentRegistry } from '../model/instrument.js';
import type { Order } from '../model/order.js';
import { jsonNumber, jsonPlain, jsonString, jsonStringOrNull } from '../model/json-text.js';
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

/** The fees text of an order held in `store` (see OrderStore.feeTexts). */
function feeTextOf(order: Order, store: OrderStore | undefined): string | undefined {
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
export function orderView(order: Order & OrderExtras, instruments: InstrumentRegistry, store?: OrderStore): OrderView {
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
 * The JSON text of orderView(order, instruments, store) — the same bytes JSON.stringify gives of it — written
 * directly (the answer to every submit, over HTTP and the WebSocket, holds one).
 */
export function orderViewJson(order: Order & OrderExtras, instruments: InstrumentRegistry, store?: OrderStore): string {
  const ins = instruments.get(order.symbol)!;
  const mid = order.arrivalMid ?? 0;
  const parent = order.parentId !== undefined && order.parentId !== 0 ? order.parentId : null;
  const slippage = slippageBps(order, mid);
  // enum names and the instrument's decimal texts as they are (jsonPlain); the names from the store's JSON tables
  // when the order is its view; ids, reasons and what the venue sent escaped (jsonString)
  const held = store !== undefined && isViewOf(order, store);
  const venue = held ? order.venueIndex : -1;
  let text = `{"orderId":${jsonNumber(order.id)},"clientOrderId":${jsonString(order.clientOrderId)}`
    + `,"strategy":${held ? store.strategyJson[order.strategyIndex]! : jsonString(order.strategy)}`
    + `,"symbol":${held ? store.symbolJson[ins.index]! : jsonString(order.symbol)},"side":${jsonPlain(order.side)},"type":${jsonPlain(order.type)}`
    + `,"timeInForce":${jsonPlain(order.timeInForce)},"postOnly":${order.postOnly},"priority":${jsonPlain(order.priority)}`
    + `,"price":${order.priceTicks > 0 ? jsonPlain(ins.ticksToPrice(order.priceTicks)) : 'null'}`
    + `,"stopPrice":${order.stopTicks > 0 ? jsonPlain(ins.ticksToPrice(order.stopTicks)) : 'null'}`
    + `,"quantity":${jsonPlain(ins.lotsToQty(order.qtyLots))},"filledQty":${jsonPlain(ins.lotsToQty(order.filledLots))}`
    + `,"filledNotional":${jsonPlain(ins.notional.toText(order.filledNotional))}`
    + `,"avgPrice":${plainOrNull(ins.averagePrice(order.filledNotional, order.filledLots))},"state":${jsonPlain(order.state)}`
    + `,"venue":${!held ? jsonStringOrNull(order.venue) : venue === NO_VENUE ? 'null' : store.venueJson[venue]!}`
    + `,"venueOrderId":${jsonStringOrNull(order.venueOrderId)},"reason":${jsonStringOrNull(order.reason)}`
    + `,"createdAt":${jsonNumber(order.createdAt)},"updatedAt":${jsonNumber(order.updatedAt)},"route":${jsonPlain(order.route ?? 'table')}`
    + `,"parentOrderId":${parent === null ? 'null' : jsonNumber(parent)},"arrivalMid":${plainOrNull(midText(ins, mid))}`
    + `,"slippageBps":${slippage === null ? 'null' : jsonNumber(slippage)},"fees":${feesJson(feeTextOf(order, store))}`;
  if (order.type === 'TRAILING_STOP') text += `,"trailingOffset":${jsonPlain(ins.ticksToPrice(order.paramA ?? 0))}`;
  const algo = algoView(order, ins);
  if (algo !== undefined) text += `,"algo":${JSON.stringify(algo)}`;
  return `${text}}`;
}

/** A decimal text the instrument made (jsonPlain), or null. */
function plainOrNull(text: string | null): string {
  return text === null ? 'null' : jsonPlain(text);
}

/** The JSON text of parseFeeTexts(text). */
function feesJson(text: string | undefined): string {
  if (text === undefined || text === '') return '[]';
  let out = '';
  for (const f of parseFeeTexts(text)) out += `${out === '' ? '' : ','}{"currency":${jsonString(f.currency)},"amount":${jsonString(f.amount)}}`;
  return `[${out}]`;
}

function algoView(order: OrderExtras, ins: Instrument): AlgoView | undefined {
  if (order.algoCode === ALGO_TWAP) return { type: 'TWAP', horizonMs: order.paramA ?? 0, intervalMs: order.paramB ?? 0 };
  if (order.algoCode === ALGO_ICEBERG) return { type: 'ICEBERG', displayQuantity: ins.lotsToQty(order.paramA ?? 0) };
  return undefined;
}
