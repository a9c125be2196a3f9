/**
 * The worker SDK's submit encoder: a strategy's order object straight into an order record, without allocation, for
 * the orders strategies write (canonical field values: 'BUY', 'LIMIT', 'GTC', prices and quantities as plain decimal
 * strings or numbers). Anything else — lower-case enum values, missing or extra fields, off-grid or out-of-range
 * values, a class instance — is left to the edge decoder (decodeOrder, the API's), which accepts it the same way or
 * says exactly why not: the fast path never accepts an order that decodeOrder refuses, nor encodes one differently
 * (test/strategy/order-encoder.property.test.ts checks both).
 *
 * What is checked here is what only the edge can tell or what a well-formed record needs: field names (a typo such as
 * `timeinforce` must not silently become GTC), symbol and venue names to indices, enum values, the tick and lot grids
 * (exact integer counts; a price past the core's bound, MAX_PRICE_TICKS, is left to decodeOrder, which refuses it
 * naming the field and the bound), quantity above the instrument's minimum, a limit order's notional above its minimum
 * (the daemon checks minimum notional again only for market orders), the client order id's characters and the tag.
 * Not checked here, because the main thread checks it for every record anyway: the notional bound of the core
 * (OrderIntake.submitFields refuses NOTIONAL_TOO_LARGE: the strategy gets a REFUSED event with that code), whether a
 * pinned venue lists the symbol (UNKNOWN_VENUE), a duplicate client order id, the strategy's symbols and limits
 * (pre-trade risk).
 */
import type { Increment } from '../model/decimal.js';
import type { Instrument, InstrumentRegistry } from '../model/instrument.js';
import { NO_VENUE, OP_SUBMIT, PRIORITY_NORMAL, setClientOrderId, type OrderRecord } from '../intake/ring/order-record.js';
import { MAX_PRICE_TICKS } from '../model/order.js';
import type { StrategyOrder } from './sdk.js';

// indices in ORDER_TYPES, TIME_IN_FORCES, PRIORITIES (model/order.ts)
const LIMIT = 0;
const MARKET = 1;
const STOP = 2;
const STOP_LIMIT = 3;
const GTC = 0;
const IOC = 1;
const FOK = 2;

function typeCode(v: unknown): number {
  if (v === undefined || v === 'LIMIT') return LIMIT;
  if (v === 'MARKET') return MARKET;
  if (v === 'STOP') return STOP;
  if (v === 'STOP_LIMIT') return STOP_LIMIT;
  return -1; // TRAILING_STOP (needs a trailing offset: API only), lower case, not a type: decodeOrder says
}

function tifCode(v: unknown, marketLike: boolean): number {
  if (v === undefined) return marketLike ? IOC : GTC;
  if (v === 'GTC') return GTC;
  if (v === 'IOC') return IOC;
  if (v === 'FOK') return FOK;
  return -1;
}

function priorityCode(v: unknown): number {
  if (v === undefined || v === 'NORMAL') return PRIORITY_NORMAL;
  if (v === 'HIGH') return 0;
  if (v === 'LOW') return 2;
  return -1;
}

/**
 * Exact count of increments in a plain decimal (a string such as "60000.5", or a number, read as its shortest
 * round-trip text as decodeOrder reads it); -1 when it is not a plain non-negative decimal on the grid within the
 * safe integers (the caller then leaves it to decodeOrder).
 */
function gridCount(v: unknown, inc: Increment): number {
  let text: string;
  if (typeof v === 'string') text = v;
  else if (typeof v === 'number') text = String(v); // exponent forms ("1e-7") are not plain: left to decodeOrder
  else return -1;
  const q = inc.floorCount(text);
  return q >= 0 && inc.lastExact ? q : -1;
}

function isUint32(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0xffffffff;
}

/**
 * gridCount with a memory of its last answer: a strategy usually sends the same quantity (and often the same price)
 * again, and the count of a text on a grid never changes. Keyed by the value itself (===: the same string or the same
 * number) and the increment it was counted on.
 */
class GridMemo {
  private value: unknown = undefined;
  private inc: Increment | undefined;
  private count = -1;

  of(v: unknown, inc: Increment): number {
    if (v === this.value && inc === this.inc) return this.count;
    const q = gridCount(v, inc);
    this.value = v;
    this.inc = inc;
    this.count = q;
    return q;
  }
}

export class SubmitEncoder {
  private lastSymbol: string | undefined;
  private lastInstrument: Instrument | undefined;
  private lastVenue: string | undefined;
  private lastVenueIndex = NO_VENUE;
  private readonly qtyMemo = new GridMemo();
  private readonly priceMemo = new GridMemo();
  private readonly stopMemo = new GridMemo();

  constructor(
    private readonly instruments: InstrumentRegistry,
    /** Venue names in router order (record venue indices refer to it). */
    private readonly venues: readonly string[],
  ) {}

  /**
   * Fills `rec` as a SUBMIT (seq 0: the caller numbers it) from `order` and answers true, or answers false when the
   * order is not in the fast path's shape (rec is then garbage): run decodeOrder on it. No allocation for string
   * prices and quantities (a number is read through its text).
   */
  encode(order: StrategyOrder, rec: OrderRecord): boolean {
    // a plain object only (decodeOrder reads own keys; for..in would also list inherited enumerable ones)
    if (Object.getPrototypeOf(order) !== Object.prototype) return false;
    for (const key in order) {
      switch (key) {
        case 'symbol': case 'side': case 'type': case 'timeInForce': case 'postOnly': case 'price': case 'stopPrice':
        case 'quantity': case 'clientOrderId': case 'priority': case 'venue': case 'tag':
          break;
        default:
          return false;
      }
    }
    const o = order as unknown as Record<string, unknown>;
    const symbol = o.symbol;
    if (typeof symbol !== 'string') return false;
    let ins = this.lastInstrument;
    if (symbol !== this.lastSymbol || ins === undefined) {
      ins = this.instruments.get(symbol);
      if (ins === undefined) return false;
      this.lastSymbol = symbol;
      this.lastInstrument = ins;
    }
    const sideText = o.side;
    const side = sideText === 'BUY' ? 0 : sideText === 'SELL' ? 1 : -1;
    if (side < 0) return false;
    const type = typeCode(o.type);
    if (type < 0) return false;
    const marketLike = type === MARKET || type === STOP;
    const tif = tifCode(o.timeInForce, marketLike);
    if (tif < 0 || (marketLike && tif === GTC)) return false;
    const postOnly = o.postOnly;
    if (postOnly !== undefined && postOnly !== false && (postOnly !== true || type !== LIMIT || tif !== GTC)) return false;
    const priority = priorityCode(o.priority);
    if (priority < 0) return false;
    let venue = NO_VENUE;
    const venueName = o.venue;
    if (venueName !== undefined) {
      if (typeof venueName !== 'string') return false;
      if (venueName !== this.lastVenue) {
        const v = this.venues.indexOf(venueName);
        if (v < 0 || v >= NO_VENUE) return false;
        this.lastVenue = venueName;
        this.lastVenueIndex = v;
      }
      venue = this.lastVenueIndex;
    }
    const tag = o.tag;
    if (tag !== undefined && !isUint32(tag)) return false;
    const qty = this.qtyMemo.of(o.quantity, ins.lot);
    if (qty <= 0 || qty < ins.minQtyLots) return false;
    let price = 0;
    if (type === LIMIT || type === STOP_LIMIT) {
      price = this.priceMemo.of(o.price, ins.tick);
      if (price <= 0 || price > MAX_PRICE_TICKS) return false; // past the core's bound: decodeOrder says why
    } else if (o.price !== undefined) return false;
    let stop = 0;
    if (type === STOP || type === STOP_LIMIT) {
      stop = this.stopMemo.of(o.stopPrice, ins.tick);
      if (stop <= 0 || stop > MAX_PRICE_TICKS) return false;
    } else if (o.stopPrice !== undefined) return false;
    const valuedAt = price > 0 ? price : stop;
    if (valuedAt > 0 && ins.minNotionalUnits > 0 && valuedAt * qty < ins.minNotionalUnits) return false;
    const cid = o.clientOrderId;
    if (cid === undefined) rec.clientOrderIdLength = 0; // (writeOrderRecord copies only clientOrderIdLength bytes)
    else if (typeof cid !== 'string' || cid.length === 0 || !setClientOrderId(rec, cid)) return false;
    rec.op = OP_SUBMIT;
    rec.seq = 0;
    rec.tag = tag === undefined ? 0 : tag;
    rec.symbol = ins.index;
    rec.side = side;
    rec.type = type;
    rec.timeInForce = tif;
    rec.postOnly = postOnly === true;
    rec.priority = priority;
    rec.venue = venue;
    rec.priceTicks = price;
    rec.stopTicks = stop;
    rec.qtyLots = qty;
    rec.orderId = 0;
    rec.targetSeq = 0;
    return true;
  }
}
