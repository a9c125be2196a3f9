import { decimalTextFromNumber, type GridResult } from '../model/decimal.js';
import type { ErrorCode } from '../model/errors.js';
import { isValidClientOrderId } from '../model/ids.js';
import { ImpreciseNumber } from './json-exact.js';
import { OrderFields } from './order-fields.js';
import type { Instrument, InstrumentRegistry } from '../model/instrument.js';
import {
  MAX_PRICE_TICKS, MAX_QTY_LOTS, ORDER_TYPES, PRIORITIES, ROUTES, SIDES, TIME_IN_FORCES, priceBoundMessage, quantityBoundMessage,
  type AlgoSpec, type OrderIntent, type OrderType, type Priority, type Route, type Side, type TimeInForce,
} from '../model/order.js';

/** String.prototype.charCodeAt as a constant: see src/model/json-text.ts (a megamorphic `text.charCodeAt` per char). */
const charCodeAt = String.prototype.charCodeAt;

export interface DecodeError {
  readonly code: ErrorCode;
  readonly message: string;
  readonly field?: string;
}

export type DecodeResult = { ok: true; intent: OrderIntent } | { ok: false; error: DecodeError };

/** The fields an order request may have: OrderFields's own (one list, so decodeOrder's skipped check holds for it). */
const FIELDS = new Set(Object.keys(new OrderFields()));

function fail(code: ErrorCode, message: string, field?: string): DecodeResult {
  return { ok: false, error: field === undefined ? { code, message } : { code, message, field } };
}

/**
 * The one of `allowed` (upper-case names) that `value` spells in any ASCII case, or undefined. Only a-z match their
 * upper case: `String.prototype.toUpperCase` follows Unicode and maps "ſ" (long s) to "S" and "ı" (dotless i) to "I",
 * so "ſell" or "lımıt" would pass as SELL and LIMIT. Compared in place: no upper-cased copy is made per order.
 */
export function enumOf<T extends string>(value: string, allowed: readonly T[]): T | undefined {
  const n = value.length;
  next: for (let k = 0; k < allowed.length; k++) {
    const name = allowed[k]!;
    if (name.length !== n) continue;
    for (let i = 0; i < n; i++) {
      const c = charCodeAt.call(value, i);
      if ((c >= 0x61 && c <= 0x7a ? c - 0x20 : c) !== charCodeAt.call(name, i)) continue next;
    }
    return name;
  }
  return undefined;
}

/** An enum field: absent = `fallback`, a string = the name of `allowed` it spells (enumOf), anything else = undefined (refused). */
function enumValue<T extends string>(value: unknown, fallback: T, allowed: readonly T[]): T | undefined {
  if (value === undefined) return fallback;
  return typeof value === 'string' ? enumOf(value, allowed) : undefined;
}

const ALGO_KINDS = ['TWAP', 'ICEBERG'] as const;

/**
 * Decimal text of a JSON price or quantity. Strings must be plain decimals ("0.015"); JSON numbers are taken
 * at their shortest round-trip text (what the sender wrote, when a double holds it). A number with more
 * significant digits than a double holds arrives from the API edges as an ImpreciseNumber (json-exact.ts) and is
 * refused by the callers, never rounded.
 */
function decimalText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return decimalTextFromNumber(value);
  return undefined;
}

/** A price or quantity on the instrument's grid (`lots`: its lot, else its tick); undefined when not a decimal. */
function toGrid(value: unknown, ins: Instrument, lots: boolean): GridResult | undefined {
  const text = decimalText(value);
  if (text === undefined) return undefined;
  return lots ? ins.qtyToLots(text) : ins.priceToTicks(text); // (no closure made per order to say which)
}

/**
 * Validates an order request at the edge (API, strategy SDK) and turns it into integers. Nothing is queued
 * unless this passes; every refusal carries a code from the catalogue and the field it is about.
 */
export function decodeOrder(body: unknown, instruments: InstrumentRegistry): DecodeResult {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return fail('BAD_REQUEST', 'order must be a JSON object');
  const o = body as Record<string, unknown>;
  // for-in, not Object.keys: no array of the keys made per order (own keys only, in the same order). An OrderFields
  // (a frame read byte by byte: submit-frame.ts) has no key but these.
  if (!(body instanceof OrderFields)) {
    for (const key in o) if (Object.hasOwn(o, key) && !FIELDS.has(key)) return fail('UNKNOWN_FIELD', `unknown field "${key}"`, key);
  }

  if (typeof o.strategy !== 'string' || o.strategy.length === 0) return fail('INVALID_FIELD', 'strategy must be a non-empty string', 'strategy');
  if (typeof o.symbol !== 'string') return fail('INVALID_FIELD', 'symbol must be a string', 'symbol');
  const ins = instruments.get(o.symbol);
  if (ins === undefined) return fail('UNKNOWN_SYMBOL', `unknown symbol "${o.symbol}"`, 'symbol');

  const side = typeof o.side === 'string' ? enumOf(o.side, SIDES) : undefined;
  if (side === undefined) return fail('INVALID_FIELD', 'side must be BUY or SELL', 'side');

  const type = enumValue<OrderType>(o.type, 'LIMIT', ORDER_TYPES);
  if (type === undefined) return fail('INVALID_FIELD', `type must be one of ${ORDER_TYPES.join(', ')}`, 'type');

  const marketLike = type === 'MARKET' || type === 'STOP' || type === 'TRAILING_STOP';
  const tifDefault: TimeInForce = marketLike ? 'IOC' : 'GTC';
  const tif = enumValue<TimeInForce>(o.timeInForce, tifDefault, TIME_IN_FORCES);
  if (tif === undefined) return fail('INVALID_FIELD', `timeInForce must be one of ${TIME_IN_FORCES.join(', ')}`, 'timeInForce');
  if (marketLike && tif === 'GTC') return fail('INVALID_FIELD', `${type} orders cannot rest: timeInForce must be IOC or FOK`, 'timeInForce');

  if (o.postOnly !== undefined && typeof o.postOnly !== 'boolean') return fail('INVALID_FIELD', 'postOnly must be a boolean', 'postOnly');
  const postOnly = o.postOnly === true;
  if (postOnly && (type !== 'LIMIT' || tif !== 'GTC')) return fail('INVALID_FIELD', 'postOnly needs a GTC LIMIT order', 'postOnly');

  const priority = enumValue<Priority>(o.priority, 'NORMAL', PRIORITIES);
  if (priority === undefined) return fail('INVALID_FIELD', `priority must be one of ${PRIORITIES.join(', ')}`, 'priority');

  if (o.clientOrderId !== undefined && !isValidClientOrderId(o.clientOrderId)) {
    return fail('INVALID_CLIENT_ORDER_ID', 'clientOrderId must be 1 to 32 ASCII letters and digits', 'clientOrderId');
  }
  if (o.venue !== undefined && (typeof o.venue !== 'string' || o.venue.length === 0)) return fail('INVALID_FIELD', 'venue must be a non-empty string', 'venue');
  if (o.route !== undefined && !(typeof o.route === 'string' && (ROUTES as readonly string[]).includes(o.route))) {
    return fail('INVALID_FIELD', `route must be one of ${ROUTES.join(', ')}`, 'route');
  }
  if (o.route !== undefined && o.venue !== undefined) return fail('INVALID_FIELD', 'an order pinned to a venue takes no route', 'route');

  const qty = decodeQuantity(o.quantity, ins);
  if (typeof qty !== 'number') return qty;

  let priceTicks = 0;
  if (type === 'LIMIT' || type === 'STOP_LIMIT') {
    if (o.price === undefined) return fail('INVALID_PRICE', `a ${type} order needs a price`, 'price');
    const p = decodePrice(o.price, ins, 'price');
    if (typeof p !== 'number') return p;
    priceTicks = p;
  } else if (o.price !== undefined) {
    return fail('INVALID_PRICE', `a ${type} order takes no price`, 'price');
  }
  let stopTicks = 0;
  if (type === 'STOP' || type === 'STOP_LIMIT') {
    if (o.stopPrice === undefined) return fail('INVALID_PRICE', `a ${type} order needs a stopPrice`, 'stopPrice');
    const p = decodePrice(o.stopPrice, ins, 'stopPrice');
    if (typeof p !== 'number') return p;
    stopTicks = p;
  } else if (o.stopPrice !== undefined) {
    return fail('INVALID_PRICE', `a ${type} order takes no stopPrice`, 'stopPrice');
  }
  let trailingOffsetTicks: number | undefined;
  if (type === 'TRAILING_STOP') {
    if (o.trailingOffset === undefined) return fail('INVALID_PRICE', 'a TRAILING_STOP order needs a trailingOffset (a price distance)', 'trailingOffset');
    const p = decodePrice(o.trailingOffset, ins, 'trailingOffset');
    if (typeof p !== 'number') return p;
    trailingOffsetTicks = p;
  } else if (o.trailingOffset !== undefined) {
    return fail('INVALID_PRICE', `a ${type} order takes no trailingOffset`, 'trailingOffset');
  }
  let algo: AlgoSpec | undefined;
  if (o.algo !== undefined) {
    const a = decodeAlgo(o.algo, ins, qty, type, tif);
    if ('error' in a) return { ok: false, error: a.error };
    algo = a.algo;
  }

  // A notional the core could not count exactly (it would saturate: wrong average price, a reservation released
  // short) is refused here, at the edge; OrderIntake.submitFields checks again for the ring path.
  if (!instruments.notionalFits(ins.index, priceTicks, qty) || !instruments.notionalFits(ins.index, stopTicks, qty)) {
    return fail('NOTIONAL_TOO_LARGE', `price x quantity is too large: at most ${ins.notional.toText(instruments.maxNotionalUnits[ins.index]!)} ${ins.quote}`, 'quantity');
  }
  const valuedAt = priceTicks > 0 ? priceTicks : stopTicks;
  if (valuedAt > 0 && ins.minNotionalUnits > 0 && valuedAt * qty < ins.minNotionalUnits) {
    return fail('BELOW_MIN_NOTIONAL', `price x quantity is below the minimum notional of ${ins.notional.toText(ins.minNotionalUnits)} ${ins.quote}`, 'quantity');
  }

  const intent: { -readonly [K in keyof OrderIntent]: OrderIntent[K] } = {
    strategy: o.strategy,
    symbol: ins.symbol,
    side,
    type,
    timeInForce: tif,
    postOnly,
    priceTicks,
    stopTicks,
    qtyLots: qty,
    priority,
    clientOrderId: o.clientOrderId as string | undefined,
    venue: o.venue as string | undefined,
    route: o.route as Route | undefined,
  };
  // set after, only when there (no spread of a literal: an intent is made for every order)
  if (trailingOffsetTicks !== undefined) intent.trailingOffsetTicks = trailingOffsetTicks;
  if (algo !== undefined) intent.algo = algo;
  return { ok: true, intent };
}

const MAX_ALGO_MS = 7 * 24 * 3_600_000;
const MAX_TWAP_SLICES = 10_000;

/**
 * `"algo": {"type": "TWAP", "horizonMs": 60000, "intervalMs": 5000}` (slices every interval over the horizon) or
 * `{"type": "ICEBERG", "displayQuantity": "0.1"}` (shows that much at a time). On LIMIT or MARKET orders only, not FOK.
 */
function decodeAlgo(value: unknown, ins: Instrument, qtyLots: number, type: OrderType, tif: TimeInForce): { algo: AlgoSpec } | { error: DecodeError } {
  const bad = (message: string): { error: DecodeError } => ({ error: { code: 'INVALID_FIELD', message, field: 'algo' } });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad('algo must be an object with a type');
  const a = value as Record<string, unknown>;
  const kind = typeof a.type === 'string' ? enumOf(a.type, ALGO_KINDS) : undefined;
  if ((type !== 'LIMIT' && type !== 'MARKET') || tif === 'FOK') return bad('an algo needs a LIMIT or MARKET order that is not FOK');
  if (kind === 'TWAP') {
    for (const k of Object.keys(a)) if (k !== 'type' && k !== 'horizonMs' && k !== 'intervalMs') return bad(`unknown algo field "${k}"`);
    const h = a.horizonMs;
    const i = a.intervalMs;
    if (typeof h !== 'number' || !Number.isSafeInteger(h) || h < 1 || h > MAX_ALGO_MS) return bad(`algo.horizonMs must be a whole number of ms from 1 to ${MAX_ALGO_MS}`);
    if (typeof i !== 'number' || !Number.isSafeInteger(i) || i < 100 || i > h) return bad('algo.intervalMs must be a whole number of ms from 100 to horizonMs');
    if (Math.ceil(h / i) > MAX_TWAP_SLICES) return bad(`a TWAP has at most ${MAX_TWAP_SLICES} slices (horizonMs / intervalMs)`);
    if (type === 'LIMIT' && tif !== 'GTC') return bad('a TWAP LIMIT order is GTC (each slice takes what it can at its limit)');
    return { algo: { kind: 'TWAP', horizonMs: h, intervalMs: i } };
  }
  if (kind === 'ICEBERG') {
    for (const k of Object.keys(a)) if (k !== 'type' && k !== 'displayQuantity') return bad(`unknown algo field "${k}"`);
    if (type !== 'LIMIT' || tif !== 'GTC') return bad('an ICEBERG is a GTC LIMIT order');
    const d = decodeQuantity(a.displayQuantity, ins);
    if (typeof d !== 'number') return { error: { ...(d as { ok: false; error: DecodeError }).error, field: 'algo' } };
    if (d >= qtyLots) return bad('algo.displayQuantity must be below the order quantity');
    return { algo: { kind: 'ICEBERG', displayLots: d } };
  }
  return bad('algo.type must be TWAP or ICEBERG');
}

function decodeQuantity(value: unknown, ins: Instrument): number | DecodeResult {
  if (value === undefined) return fail('INVALID_QUANTITY', 'quantity is required', 'quantity');
  if (value instanceof ImpreciseNumber) return fail('INVALID_QUANTITY', imprecise('quantity', value), 'quantity');
  const r = toGrid(value, ins, true);
  if (r === undefined) return fail('INVALID_QUANTITY', 'quantity must be a positive decimal string or number', 'quantity');
  if (!r.ok) {
    if (r.error === 'OFF_GRID') return fail('QUANTITY_NOT_ON_LOT', `quantity must be a multiple of the lot size ${ins.lot.text}`, 'quantity');
    // TOO_LARGE: past 2^53 - 1 lots (MAX_QTY_LOTS), the grid's own bound
    if (r.error === 'TOO_LARGE') return fail('INVALID_QUANTITY', quantityBoundMessage(ins.lotsToQty(MAX_QTY_LOTS), ins.base), 'quantity');
    return fail('INVALID_QUANTITY', 'quantity must be a positive decimal string or number', 'quantity');
  }
  if (r.value === 0) return fail('INVALID_QUANTITY', 'quantity must be greater than zero', 'quantity');
  if (r.value < ins.minQtyLots) return fail('INVALID_QUANTITY', `quantity is below the minimum ${ins.lotsToQty(ins.minQtyLots)}`, 'quantity');
  return r.value;
}

function decodePrice(value: unknown, ins: Instrument, field: string): number | DecodeResult {
  if (value instanceof ImpreciseNumber) return fail('INVALID_PRICE', imprecise(field, value), field);
  const r = toGrid(value, ins, false);
  if (r === undefined) return fail('INVALID_PRICE', `${field} must be a positive decimal string or number`, field);
  if (!r.ok) {
    if (r.error === 'OFF_GRID') return fail('PRICE_NOT_ON_TICK', `${field} must be a multiple of the tick size ${ins.tick.text}`, field);
    if (r.error === 'TOO_LARGE') return fail('INVALID_PRICE', priceBoundMessage(field, ins.ticksToPrice(MAX_PRICE_TICKS), ins.quote), field);
    return fail('INVALID_PRICE', `${field} must be a positive decimal string or number`, field);
  }
  if (r.value === 0) return fail('INVALID_PRICE', `${field} must be greater than zero`, field);
  // past the core's price bound (the matching engine's: the crossing book and the paper venues), whatever the notional
  if (r.value > MAX_PRICE_TICKS) return fail('INVALID_PRICE', priceBoundMessage(field, ins.ticksToPrice(MAX_PRICE_TICKS), ins.quote), field);
  return r.value;
}

function imprecise(field: string, value: ImpreciseNumber): string {
  const shown = value.text.length > 40 ? `${value.text.slice(0, 40)}...` : value.text;
  return `${field} ${shown} has more significant digits than a JSON number keeps exactly: send it as a decimal string`;
}
