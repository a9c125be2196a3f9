/**
 * The fixed-size binary order record carried by strategy queues (worker -> dispatcher), 96 bytes, all
 * numbers little-endian in the host's native order (both threads run in the same process):
 *
 *   off size field         meaning
 *     0  f64  priceTicks    limit price in ticks (0 for MARKET / STOP)
 *     8  f64  stopTicks     stop price in ticks (0 unless STOP / STOP_LIMIT)
 *    16  f64  qtyLots       quantity in lots (a safe integer)
 *    24  f64  orderId       CANCEL: the daemon order id to cancel (0 = not given)
 *    32  f64  seq           producer sequence: 1, 2, 3 ... per strategy over SUBMIT and CANCEL records, no
 *                           gaps (a refused record takes no number); increasing in each of the strategy's two
 *                           rings, so the consumer can check FIFO order per ring
 *    40  f64  targetSeq     CANCEL: the seq of the SUBMIT to cancel (0 = not given)
 *    48  u32  tag           free for the producer (correlation); echoed in every event about the order
 *    52  u16  symbol        instrument index (InstrumentRegistry order)
 *    54  u8   op            1 SUBMIT, 2 CANCEL (3 WITHDRAWN, 4 TAKEN: written by the consumer only, see markWithdrawn,
 *                           markTaken)
 *    55  u8   side          index in SIDES (0 BUY, 1 SELL)
 *    56  u8   type          index in ORDER_TYPES
 *    57  u8   timeInForce   index in TIME_IN_FORCES
 *    58  u8   flags         bit 0: postOnly
 *    59  u8   priority      index in PRIORITIES (0 HIGH, 1 NORMAL, 2 LOW)
 *    60  u8   venue         pinned venue index (router order), 255 = none
 *    61  u8   cidLength     client order id length, 0 = none (the daemon makes one)
 *    62  u16  reserved      0
 *    64  u8[32] clientOrderId  ASCII letters and digits; CANCEL: the client order id to cancel (if given)
 *
 * A CANCEL names its target by orderId, targetSeq or clientOrderId (the first non-empty one wins, in that
 * order). Records are read into and written from a caller-owned OrderRecord: nothing is allocated per record
 * (the client order id stays bytes until clientOrderIdText() is asked for it).
 *
 * A worker strategy has two rings of these records: its order ring (SUBMITs, taken as its strategy queues have room)
 * and its cancel ring (CANCELs only, taken every cycle whatever its queues hold), numbered in one sequence. The
 * producer publishes its order ring before its cancel ring, so a SUBMIT written before a CANCEL is visible (read, or
 * still in the order ring) by the time that CANCEL is.
 */
import { byteText } from '../../model/byte-text.js';
import type { ErrorCode } from '../../model/errors.js';
import {
  ORDER_TYPES, PRIORITIES, SIDES, TIME_IN_FORCES,
  type OrderIntent, type OrderType, type Priority, type Side, type TimeInForce,
} from '../../model/order.js';

/** String.prototype.charCodeAt as a constant: see src/model/json-text.ts (a megamorphic `text.charCodeAt` per char). */
const charCodeAt = String.prototype.charCodeAt;

export const ORDER_RECORD_BYTES = 96;

export const OP_SUBMIT = 1;
export const OP_CANCEL = 2;
/**
 * A SUBMIT still in its ring that a CANCEL withdrew (markWithdrawn): the consumer already answered it and skips it.
 * Never written by a producer.
 */
export const OP_WITHDRAWN = 3;
/**
 * A SUBMIT still in its ring that the consumer already took, ahead of an earlier one of a lower priority waiting for
 * room in its queue (markTaken): it is an order (or was refused) and the consumer skips it when its head gets there.
 * Never written by a producer.
 */
export const OP_TAKEN = 4;
export const NO_VENUE = 255;
export const MAX_VENUES = 255;
export const CLIENT_ORDER_ID_MAX = 32;
export const FLAG_POST_ONLY = 1;

export const SIDE_BUY = 0;
export const SIDE_SELL = 1;
export const PRIORITY_HIGH = 0;
export const PRIORITY_NORMAL = 1;
export const PRIORITY_LOW = 2;

// indices in ORDER_TYPES and TIME_IN_FORCES (model/order.ts)
const TYPE_LIMIT = 0;
const TYPE_MARKET = 1;
const TYPE_STOP = 2;
const TYPE_STOP_LIMIT = 3;
const TIF_GTC = 0;

// f64 slots (offset >> 3)
const F_PRICE = 0;
const F_STOP = 1;
const F_QTY = 2;
const F_ORDER_ID = 3;
const F_SEQ = 4;
const F_TARGET_SEQ = 5;
// u32 slot (offset >> 2)
const W_TAG = 12;
// u16 slot (offset >> 1)
const H_SYMBOL = 26;
// bytes
const B_OP = 54;
const B_SIDE = 55;
const B_TYPE = 56;
const B_TIF = 57;
const B_FLAGS = 58;
const B_PRIORITY = 59;
const B_VENUE = 60;
const B_CID_LEN = 61;
const B_RESERVED = 62;
const B_CID = 64;
const W_CID = B_CID >> 2;

/** Typed views over the ring buffer (RingProducer and RingConsumer have them). */
export interface RecordViews {
  readonly bytes: Uint8Array;
  readonly u16: Uint16Array;
  readonly u32: Uint32Array;
  readonly f64: Float64Array;
}

/** A mutable order record, owned by one side and reused for every record it reads or writes. */
export class OrderRecord {
  op = OP_SUBMIT;
  seq = 0;
  tag = 0;
  symbol = 0;
  side = SIDE_BUY;
  type = 0;
  timeInForce = 0;
  postOnly = false;
  priority = PRIORITY_NORMAL;
  venue = NO_VENUE;
  priceTicks = 0;
  stopTicks = 0;
  qtyLots = 0;
  orderId = 0;
  targetSeq = 0;
  clientOrderIdLength = 0;
  /** ASCII bytes of the client order id; only the first clientOrderIdLength are meaningful. */
  readonly clientOrderId: Uint8Array;
  /** The same 32 bytes as 8 words (copied word-wise). */
  readonly clientOrderIdWords: Uint32Array;

  constructor() {
    const b = new ArrayBuffer(CLIENT_ORDER_ID_MAX);
    this.clientOrderId = new Uint8Array(b);
    this.clientOrderIdWords = new Uint32Array(b);
  }

  /** Back to an empty NORMAL-priority SUBMIT (fields left from a previous record do not leak). */
  reset(): this {
    this.op = OP_SUBMIT;
    this.seq = 0;
    this.tag = 0;
    this.symbol = 0;
    this.side = SIDE_BUY;
    this.type = 0;
    this.timeInForce = 0;
    this.postOnly = false;
    this.priority = PRIORITY_NORMAL;
    this.venue = NO_VENUE;
    this.priceTicks = 0;
    this.stopTicks = 0;
    this.qtyLots = 0;
    this.orderId = 0;
    this.targetSeq = 0;
    this.clientOrderIdLength = 0;
    this.clientOrderIdWords.fill(0);
    return this;
  }
}

/** Writes `rec` at byte `off` (a slot handed out by RingProducer.tryClaim). */
export function writeOrderRecord(v: RecordViews, off: number, rec: OrderRecord): void {
  const f = off >> 3;
  const f64 = v.f64;
  f64[f + F_PRICE] = rec.priceTicks;
  f64[f + F_STOP] = rec.stopTicks;
  f64[f + F_QTY] = rec.qtyLots;
  f64[f + F_ORDER_ID] = rec.orderId;
  f64[f + F_SEQ] = rec.seq;
  f64[f + F_TARGET_SEQ] = rec.targetSeq;
  v.u32[(off >> 2) + W_TAG] = rec.tag;
  v.u16[(off >> 1) + H_SYMBOL] = rec.symbol;
  const b = v.bytes;
  b[off + B_OP] = rec.op;
  b[off + B_SIDE] = rec.side;
  b[off + B_TYPE] = rec.type;
  b[off + B_TIF] = rec.timeInForce;
  b[off + B_FLAGS] = rec.postOnly ? FLAG_POST_ONLY : 0;
  b[off + B_PRIORITY] = rec.priority;
  b[off + B_VENUE] = rec.venue;
  const len = rec.clientOrderIdLength;
  b[off + B_CID_LEN] = len;
  b[off + B_RESERVED] = 0;
  b[off + B_RESERVED + 1] = 0;
  if (len > 0) {
    const w = (off >> 2) + W_CID;
    const src = rec.clientOrderIdWords;
    const u32 = v.u32;
    for (let i = 0, n = (len + 3) >> 2; i < n; i++) u32[w + i] = src[i]!;
  }
}

/** Reads the record at byte `off` (from RingConsumer.poll / offsetAt) into `rec`. */
export function readOrderRecord(v: RecordViews, off: number, rec: OrderRecord): OrderRecord {
  const f = off >> 3;
  const f64 = v.f64;
  rec.priceTicks = f64[f + F_PRICE]!;
  rec.stopTicks = f64[f + F_STOP]!;
  rec.qtyLots = f64[f + F_QTY]!;
  rec.orderId = f64[f + F_ORDER_ID]!;
  rec.seq = f64[f + F_SEQ]!;
  rec.targetSeq = f64[f + F_TARGET_SEQ]!;
  rec.tag = v.u32[(off >> 2) + W_TAG]!;
  rec.symbol = v.u16[(off >> 1) + H_SYMBOL]!;
  const b = v.bytes;
  rec.op = b[off + B_OP]!;
  rec.side = b[off + B_SIDE]!;
  rec.type = b[off + B_TYPE]!;
  rec.timeInForce = b[off + B_TIF]!;
  rec.postOnly = (b[off + B_FLAGS]! & FLAG_POST_ONLY) !== 0;
  rec.priority = b[off + B_PRIORITY]!;
  rec.venue = b[off + B_VENUE]!;
  let len = b[off + B_CID_LEN]!;
  if (len > CLIENT_ORDER_ID_MAX) len = CLIENT_ORDER_ID_MAX + 1; // invalid: validateOrderRecord refuses it
  rec.clientOrderIdLength = len;
  if (len > 0) {
    const w = (off >> 2) + W_CID;
    const dst = rec.clientOrderIdWords;
    const u32 = v.u32;
    const n = len > CLIENT_ORDER_ID_MAX ? CLIENT_ORDER_ID_MAX >> 2 : (len + 3) >> 2;
    for (let i = 0; i < n; i++) dst[i] = u32[w + i]!;
  }
  return rec;
}

// ---- in-place access to a record still in its ring (the consumer's: records it has not released are its own) ----

/** The seq of the record at byte `off`. */
export function recordSeq(v: RecordViews, off: number): number {
  return v.f64[(off >> 3) + F_SEQ]!;
}

/** The op of the record at byte `off`. */
export function recordOp(v: RecordViews, off: number): number {
  return v.bytes[off + B_OP]!;
}

/** The priority byte of the record at byte `off` (0 HIGH, 1 NORMAL, 2 LOW; anything else is refused when read). */
export function recordPriority(v: RecordViews, off: number): number {
  return v.bytes[off + B_PRIORITY]!;
}

/** The tag of the record at byte `off`. */
export function recordTag(v: RecordViews, off: number): number {
  return v.u32[(off >> 2) + W_TAG]!;
}

/** True when the record at byte `off` carries exactly the client order id of `rec` (no allocation). */
export function recordClientOrderIdIs(v: RecordViews, off: number, rec: OrderRecord): boolean {
  const n = rec.clientOrderIdLength;
  const b = v.bytes;
  if (n === 0 || b[off + B_CID_LEN] !== n) return false;
  const src = rec.clientOrderId;
  for (let i = 0; i < n; i++) if (b[off + B_CID + i] !== src[i]) return false;
  return true;
}

/**
 * Marks the SUBMIT at byte `off` as withdrawn (op OP_WITHDRAWN). Only the consumer may call it, on a record it has
 * read the tail past and not released (the producer does not touch such a slot until the head passes it; the head's
 * Atomics.store orders this write before the slot's reuse).
 */
export function markWithdrawn(v: RecordViews, off: number): void {
  v.bytes[off + B_OP] = OP_WITHDRAWN;
}

/**
 * Marks the SUBMIT at byte `off` as taken ahead of its turn (op OP_TAKEN), under the same rule as markWithdrawn: only
 * the consumer, on a record it has not released.
 */
export function markTaken(v: RecordViews, off: number): void {
  v.bytes[off + B_OP] = OP_TAKEN;
}

/** The client order id length of the record at byte `off` (0: none). */
export function recordClientOrderIdLength(v: RecordViews, off: number): number {
  return v.bytes[off + B_CID_LEN]!;
}

/** True when the records at bytes `a` and `b` of one ring carry the same client order id (none: false). No allocation. */
export function recordClientOrderIdsEqual(v: RecordViews, a: number, b: number): boolean {
  const bytes = v.bytes;
  const n = bytes[a + B_CID_LEN]!;
  if (n === 0 || bytes[b + B_CID_LEN] !== n) return false;
  for (let i = 0; i < n; i++) if (bytes[a + B_CID + i] !== bytes[b + B_CID + i]) return false;
  return true;
}

function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/**
 * Sets the client order id (undefined or '' = none). Returns false, leaving no id, when the text is not 1 to
 * 32 ASCII letters and digits. No allocation.
 */
export function setClientOrderId(rec: OrderRecord, text: string | undefined): boolean {
  rec.clientOrderIdWords.fill(0);
  rec.clientOrderIdLength = 0;
  if (text === undefined || text.length === 0) return true;
  const n = text.length;
  if (n > CLIENT_ORDER_ID_MAX) return false;
  const dst = rec.clientOrderId;
  for (let i = 0; i < n; i++) {
    const c = charCodeAt.call(text, i);
    if (!isAlnum(c)) {
      rec.clientOrderIdWords.fill(0);
      return false;
    }
    dst[i] = c;
  }
  rec.clientOrderIdLength = n;
  return true;
}

/** The client order id as text, or undefined when the record has none (allocates: edge use only). */
export function clientOrderIdText(rec: OrderRecord): string | undefined {
  const n = rec.clientOrderIdLength;
  if (n === 0 || n > CLIENT_ORDER_ID_MAX) return undefined;
  return byteText(rec.clientOrderId, 0, n);
}

/** True when the record's client order id is exactly `text` (no allocation). */
export function clientOrderIdEquals(rec: OrderRecord, text: string): boolean {
  const n = rec.clientOrderIdLength;
  if (n !== text.length) return false;
  const b = rec.clientOrderId;
  for (let i = 0; i < n; i++) if (b[i] !== charCodeAt.call(text, i)) return false;
  return true;
}

function isCount(x: number): boolean {
  return Number.isSafeInteger(x) && x >= 0;
}

/**
 * Checks a record read from a ring before the consumer acts on it (a ring carries bytes from another thread;
 * it is checked once, cheaply, without allocation): its fields, and the terms its order type implies (what the
 * daemon's later stages take for granted). Grid, minimum and risk checks are not repeated here: the SDK ran them at
 * the edge and pre-trade risk runs later. Returns null when the record is well formed.
 */
export function validateOrderRecord(rec: OrderRecord, symbolCount: number, venueCount: number): ErrorCode | null {
  if (!isCount(rec.seq) || rec.seq === 0) return 'BAD_REQUEST';
  if (rec.priority > PRIORITY_LOW) return 'INVALID_FIELD';
  const cidLen = rec.clientOrderIdLength;
  if (cidLen > CLIENT_ORDER_ID_MAX) return 'INVALID_CLIENT_ORDER_ID';
  for (let i = 0; i < cidLen; i++) if (!isAlnum(rec.clientOrderId[i]!)) return 'INVALID_CLIENT_ORDER_ID';
  if (rec.op === OP_CANCEL) {
    if (!isCount(rec.orderId) || !isCount(rec.targetSeq)) return 'INVALID_FIELD';
    if (rec.orderId === 0 && rec.targetSeq === 0 && cidLen === 0) return 'ORDER_NOT_FOUND';
    return null;
  }
  if (rec.op !== OP_SUBMIT) return 'BAD_REQUEST';
  if (rec.symbol >= symbolCount) return 'UNKNOWN_SYMBOL';
  // TRAILING_STOP (the last type) needs a trailing offset, which a ring record has no field for: API only
  if (rec.side > SIDE_SELL || rec.type >= ORDER_TYPES.length - 1 || rec.timeInForce >= TIME_IN_FORCES.length) return 'INVALID_FIELD';
  if (rec.venue !== NO_VENUE && rec.venue >= venueCount) return 'UNKNOWN_VENUE';
  if (!isCount(rec.qtyLots) || rec.qtyLots === 0) return 'INVALID_QUANTITY';
  if (!isCount(rec.priceTicks) || !isCount(rec.stopTicks)) return 'INVALID_PRICE';
  // the terms the type implies, as decodeOrder has them: a price for LIMIT and STOP_LIMIT only, a stop price for STOP
  // and STOP_LIMIT only, no resting MARKET or STOP, post-only on GTC LIMIT orders only. Downstream code reads a price on
  // a MARKET order as its limit (pre-trade risk would value it there, not at the mark) and a LIMIT at 0 as a market one
  const type = rec.type;
  const limitPriced = type === TYPE_LIMIT || type === TYPE_STOP_LIMIT;
  const stopPriced = type === TYPE_STOP || type === TYPE_STOP_LIMIT;
  if (limitPriced ? rec.priceTicks === 0 : rec.priceTicks !== 0) return 'INVALID_PRICE';
  if (stopPriced ? rec.stopTicks === 0 : rec.stopTicks !== 0) return 'INVALID_PRICE';
  if ((type === TYPE_MARKET || type === TYPE_STOP) && rec.timeInForce === TIF_GTC) return 'INVALID_FIELD';
  if (rec.postOnly && (type !== TYPE_LIMIT || rec.timeInForce !== TIF_GTC)) return 'INVALID_FIELD';
  return null;
}

// ---- conversions at the edges (allocate; not for the hot path) -------------------------------------------

export function sideIndex(side: Side): number {
  return side === 'BUY' ? SIDE_BUY : SIDE_SELL;
}

export function orderTypeIndex(type: OrderType): number {
  return ORDER_TYPES.indexOf(type);
}

export function timeInForceIndex(tif: TimeInForce): number {
  return TIME_IN_FORCES.indexOf(tif);
}

export function priorityIndex(priority: Priority): number {
  return PRIORITIES.indexOf(priority);
}

/**
 * Fills `rec` as a SUBMIT from a validated intent (decodeOrder's output). `venueIndex`: router index of
 * intent.venue, or NO_VENUE. Returns false if the client order id does not fit the record (it always does
 * for a decoded intent).
 */
export function submitRecordFromIntent(
  intent: OrderIntent, symbolIndex: number, venueIndex: number, seq: number, tag: number, rec: OrderRecord,
): boolean {
  rec.op = OP_SUBMIT;
  rec.seq = seq;
  rec.tag = tag >>> 0;
  rec.symbol = symbolIndex;
  rec.side = sideIndex(intent.side);
  rec.type = orderTypeIndex(intent.type);
  rec.timeInForce = timeInForceIndex(intent.timeInForce);
  rec.postOnly = intent.postOnly;
  rec.priority = priorityIndex(intent.priority);
  rec.venue = venueIndex;
  rec.priceTicks = intent.priceTicks;
  rec.stopTicks = intent.stopTicks;
  rec.qtyLots = intent.qtyLots;
  rec.orderId = 0;
  rec.targetSeq = 0;
  return setClientOrderId(rec, intent.clientOrderId);
}

/**
 * The OrderIntent of a validated SUBMIT record (for OrderTracker.create). `symbols` and `venues` are the
 * instrument symbols and venue names in index order.
 */
export function intentFromRecord(rec: OrderRecord, strategy: string, symbols: readonly string[], venues: readonly string[]): OrderIntent {
  return {
    strategy,
    symbol: symbols[rec.symbol]!,
    side: SIDES[rec.side]!,
    type: ORDER_TYPES[rec.type]!,
    timeInForce: TIME_IN_FORCES[rec.timeInForce]!,
    postOnly: rec.postOnly,
    priceTicks: rec.priceTicks,
    stopTicks: rec.stopTicks,
    qtyLots: rec.qtyLots,
    priority: PRIORITIES[rec.priority]!,
    clientOrderId: clientOrderIdText(rec),
    venue: rec.venue === NO_VENUE ? undefined : venues[rec.venue],
  };
}
