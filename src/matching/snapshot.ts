/**
 * Validation of BookSnapshot objects before `OrderBook.restore` (not on the hot path).
 * A valid snapshot: version 1, well-formed records (see ORDER_RECORD / STOP_RECORD in types.ts),
 * unique ids across orders and stops, no crossed book, no price level (book or stop) whose total
 * passes MAX_QTY, and no pending stop that its own last price would already trigger.
 */
import { type BookSnapshot, MAX_OWNER, MAX_PRICE, MAX_QTY, ORDER_RECORD, OrderType, STOP_RECORD } from './types.js';

function posInt(v: unknown, max: number): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= max;
}

function isId(v: unknown): boolean {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function isOwner(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_OWNER;
}

function isStp(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 4;
}

export function validateSnapshot(snap: BookSnapshot): boolean {
  if (snap === null || typeof snap !== 'object' || snap.version !== 1) return false;
  const { orders, stops, lastPrice } = snap;
  if (!Array.isArray(orders) || orders.length % ORDER_RECORD !== 0) return false;
  if (!Array.isArray(stops) || stops.length % STOP_RECORD !== 0) return false;
  if (lastPrice !== null && !posInt(lastPrice, MAX_PRICE)) return false;
  const seen = new Set<number>();
  // Level totals by side and price (stops keyed apart); a total past MAX_QTY is refused.
  const totals = new Map<string, number>();
  const add = (key: string, qty: number): boolean => {
    const t = (totals.get(key) ?? 0) + qty;
    totals.set(key, t);
    return t <= MAX_QTY;
  };
  let maxBid = -Infinity;
  let minAsk = Infinity;
  for (let i = 0; i < orders.length; i += ORDER_RECORD) {
    const [id, owner, side, price, qty, stp, postOnly] = orders.slice(i, i + ORDER_RECORD);
    if (!isId(id) || seen.has(id)) return false;
    seen.add(id);
    if (!isOwner(owner) || (side !== 0 && side !== 1) || !posInt(price, MAX_PRICE) || !posInt(qty, MAX_QTY)) return false;
    if (!isStp(stp) || (postOnly !== 0 && postOnly !== 1)) return false;
    if (!add(`o${side}:${price}`, qty)) return false;
    if (side === 0) maxBid = Math.max(maxBid, price);
    else minAsk = Math.min(minAsk, price);
  }
  if (maxBid >= minAsk) return false;
  for (let i = 0; i < stops.length; i += STOP_RECORD) {
    const [id, owner, side, type, stopPrice, price, qty, stp] = stops.slice(i, i + STOP_RECORD);
    if (!isId(id) || seen.has(id)) return false;
    seen.add(id);
    if (!isOwner(owner) || (side !== 0 && side !== 1) || !posInt(stopPrice, MAX_PRICE) || !posInt(qty, MAX_QTY)) return false;
    if (!isStp(stp)) return false;
    if (!add(`s${side}:${stopPrice}`, qty)) return false;
    if (type === OrderType.STOP) {
      if (price !== 0) return false;
    } else if (type !== OrderType.STOP_LIMIT || !posInt(price, MAX_PRICE)) {
      return false;
    }
    if (lastPrice !== null && (side === 0 ? lastPrice >= stopPrice : lastPrice <= stopPrice)) return false;
  }
  return true;
}
