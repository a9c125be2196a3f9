/**
 * The daemon's records in the journal: their layout, the string codec the recorder writes them with, and their
 * decoders (replay, tools). The recorder (journal-recorder.ts) writes them.
 *
 *   type 1 ORDER   a new order, before anything else happens to it (64 bytes + client order id [+ 8] [+ 24]):
 *                  f64 id, createdAt, priceTicks, stopTicks, qtyLots, producerSeq | u32 tag | u16 strategy, symbol |
 *                  u8 side, type, tif, postOnly, priority, pinned venue, cid length, flags | cid (ASCII) |
 *                  [f64 parent order id, when flags has ORDER_HAS_PARENT] |
 *                  [f64 paramA, paramB, arrivalMid, when flags has ORDER_HAS_EXT]
 *                  flags (byte 63): bits 0-1 = route (ROUTE_TABLE 0, ROUTE_BEST 1, ROUTE_SWEEP 2, order-store.ts),
 *                  bits 2-3 = algo (ALGO_NONE 0, ALGO_TWAP 1, ALGO_ICEBERG 2, order-store.ts),
 *                  bit 6 ORDER_HAS_EXT = the extension block follows (after the cid and the parent id, if any):
 *                  the type/algorithm parameters and the arrival mid (ticks, may be a half tick); written only
 *                  when one of the three is not 0,
 *                  bit 7 ORDER_HAS_PARENT = a child order (a slice of a sweep): its parent's id follows the cid;
 *                  bits 4-5 are 0. Records written before routes have byte 63 = 0: route table, no parent (0);
 *                  records without bits 2-3 / bit 6 (written before algorithms): algo none, params and mid 0.
 *   type 2 UPDATE  a lifecycle update the tracker applied (or a late ACK that carried a venue order id):
 *                  f64 orderId, ts | u8 kind, venue, liquidity, 0 x5 | f64 priceTicks, qtyLots | str a | str b
 *                  (str = u16 length + ASCII/UTF-8; FILL: a = trade id, b = fee; ACCEPT: a = venue order id;
 *                  DENY/REJECT/CANCELED/CANCEL_REJECT/EXPIRE/AMEND_REJECT: a = reason; SUBMIT/ROUTE/FILL: venue =
 *                  venue index; AMEND_REQUEST: priceTicks, qtyLots = the terms asked (qtyLots the new total), a =
 *                  the client order id a cancel-replace venue's replacement order will carry ('' = none);
 *                  AMENDED: priceTicks, qtyLots = the terms confirmed, a = the venue order id and b = the client
 *                  order id the order is bound to from then on ('' = unchanged; a cancel-replace venue gives new ones))
 *                  FILL, byte 19 = fill flags: bit 0 FILL_V2 = the record goes on with str fee currency | f64 venue
 *                  trade time; bit 1 = fee estimated from bps. A FILL without FILL_V2 (journals written before
 *                  fee currencies) reads as fee currency '' (it was quote) and venue time 0 (unknown).
 *   type 3 EVENT   JSON: daemon start/stop, recovery and reconciliation findings (audit trail, not replayed, except
 *                  the close-out of positions of removed entries: see name-table.ts)
 *   type 4 NAMES   JSON: the strategy, instrument (with tick and lot size) and venue lists the indexes above refer
 *                  to; written at every start before any other record of the run (see name-table.ts). Journals
 *                  without one (written before name tables) are read against the configuration's lists.
 *   snapshot       JSON: see order-snapshot.ts
 *
 * Encoding writes numbers and ASCII straight into the journal's buffer: recording an order allocates nothing
 * unless a string is not ASCII.
 */
import { byteText } from '../model/byte-text.js';
import type { NewOrderFields } from '../core/order-store.js';
import type { OrderUpdate } from '../model/lifecycle.js';

/** String.prototype.charCodeAt as a constant: see src/model/json-text.ts (a megamorphic `text.charCodeAt` per char). */
const charCodeAt = String.prototype.charCodeAt;

export const REC_ORDER = 1;
export const REC_UPDATE = 2;
export const REC_EVENT = 3;

export const UPDATE_KINDS: readonly OrderUpdate['kind'][] = [
  'SUBMIT', 'DENY', 'ACCEPT', 'REJECT', 'FILL', 'CANCEL_REQUEST', 'CANCELED', 'CANCEL_REJECT', 'EXPIRE', 'TRIGGER', 'ROUTE',
  'AMEND_REQUEST', 'AMENDED', 'AMEND_REJECT',
];
/**
 * The codes of UPDATE_KINDS as literals, for the recorder's integer switch (a test pins them to KIND_CODE).
 */
export const K_SUBMIT = 0;
export const K_DENY = 1;
export const K_ACCEPT = 2;
export const K_REJECT = 3;
export const K_FILL = 4;
export const K_CANCEL_REQUEST = 5;
export const K_CANCELED = 6;
export const K_CANCEL_REJECT = 7;
export const K_EXPIRE = 8;
export const K_TRIGGER = 9;
export const K_ROUTE = 10;
export const K_AMEND_REQUEST = 11;
export const K_AMENDED = 12;
export const K_AMEND_REJECT = 13;
export const KIND_CODE: Readonly<Record<OrderUpdate['kind'], number>> = Object.fromEntries(UPDATE_KINDS.map((k, i) => [k, i])) as Record<OrderUpdate['kind'], number>;
export const MAKER = 1;
export const TAKER = 2;
/** FILL flags (byte 19; 0 in records written before they existed). */
export const FILL_V2 = 1;
export const FILL_FEE_ESTIMATED = 2;
export const ORDER_FIXED = 64;
/** ORDER flags (byte 63; 0 in records written before routes): the route code, and whether a parent id follows. */
export const ORDER_ROUTE_MASK = 0x03;
export const ORDER_HAS_PARENT = 0x80;
/** ORDER flags: the algo code (bits 2-3), and whether the extension block (paramA, paramB, arrivalMid) follows. */
export const ORDER_ALGO_SHIFT = 2;
export const ORDER_ALGO_MASK = 0x0c;
export const ORDER_HAS_EXT = 0x40;
/** The extension block: f64 paramA, paramB, arrivalMid. */
export const ORDER_EXT_BYTES = 24;
export const UPDATE_FIXED = 40;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Writes strings as u16 length + bytes; ASCII without allocating. Returns the new offset. The caller has room for
 * stringBound(text) bytes at `off`.
 *
 * One pass over the string: each char code is stored as it is read and or-ed into a mask, so an ASCII string (the
 * usual case: ids, fees, currencies, reasons) is read once. A string with a code above 0x7f is then encoded again
 * as UTF-8 over the bytes just stored (the length prefix counts the UTF-8 bytes).
 */
export function putString(buf: Uint8Array, off: number, text: string | undefined): number {
  // (== null: a null from an adapter's JSON writes '' as it always did)
  if (text == null) {
    buf[off] = 0;
    buf[off + 1] = 0;
    return off + 2;
  }
  const n = text.length;
  const at = off + 2;
  let mask = 0;
  for (let i = 0; i < n; i++) {
    const c = charCodeAt.call(text, i);
    buf[at + i] = c;
    mask |= c;
  }
  if (mask <= 0x7f) {
    buf[off] = n & 0xff;
    buf[off + 1] = n >>> 8;
    return at + n;
  }
  return putUtf8(buf, off, text);
}

/** The general path of putString: u16 length + the UTF-8 encoding (a lone surrogate becomes U+FFFD). */
export function putUtf8(buf: Uint8Array, off: number, text: string): number {
  const r = encoder.encodeInto(text, buf.subarray(off + 2));
  buf[off] = r.written & 0xff;
  buf[off + 1] = r.written >>> 8;
  return off + 2 + r.written;
}

/** Where the string readString read last ends (the offset after it). */
let stringEnd = 0;

/**
 * The string at `off` (u16 length + bytes), which must end by `end` (a RangeError otherwise: a record too short for
 * what it says it holds); where it ends is left in `stringEnd` (no tuple per string on the replay paths).
 */
function readString(buf: Uint8Array, off: number, end: number): string {
  if (off + 2 > end) throw new RangeError(`journal record: a string at ${off} runs past the record's end ${end}`);
  const n = buf[off]! | (buf[off + 1]! << 8);
  const at = off + 2;
  if (at + n > end) throw new RangeError(`journal record: a string of ${n} bytes at ${off} runs past the record's end ${end}`);
  stringEnd = at + n;
  // short ASCII (ids, fees, currencies, most reasons) without a subarray and a TextDecoder call
  if (n <= 64) {
    let i = 0;
    while (i < n && buf[at + i]! <= 0x7f) i++;
    if (i === n) return byteText(buf, at, at + n);
  }
  return decoder.decode(buf.subarray(at, at + n));
}

/** The DataView readF64 reads through, and the buffer it views (one view per buffer, not one per record). */
let viewOf: Uint8Array | null = null;
let view: DataView = new DataView(new ArrayBuffer(0));

/**
 * The little-endian f64 at buf[at, at + 8), which must end by `end` (a RangeError otherwise, as a DataView of the
 * record would throw). No DataView per record: the replay paths decode every record of the journal, from a few
 * buffers (a segment reader's chunks, the history thread's batches), each viewed by one DataView made when it is first
 * read (as the recorder writes them: journal-recorder.ts). getFloat64 is about half the cost of copying the eight
 * bytes into a Float64Array's (measured on Node 20: 7-10 against 15-20 ns a number, in a loop over a buffer).
 */
function readF64(buf: Uint8Array, at: number, end: number): number {
  if (at + 8 > end) throw new RangeError(`journal record: a number at ${at} runs past the record's end ${end}`);
  if (buf !== viewOf) {
    view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    viewOf = buf;
  }
  return view.getFloat64(at, true);
}

/** Bytes a string may take (UTF-8 worst case). */
export function stringBound(text: string | undefined): number {
  return 2 + 3 * (text?.length ?? 0);
}


/** A decoded ORDER record: the order's fields (declared once, in the order store) as the journal keeps them. */
export interface OrderRecordFields extends Omit<NewOrderFields, 'venue' | 'clientOrderId'> {
  id: number;
  createdAt: number;
  /** The pinned venue index, or NO_VENUE. */
  pinned: number;
  /** '' when the order has none. */
  clientOrderId: string;
}

/** A new decoded ORDER record to decode into (decodeOrderRecordInto), every field set. */
export function newOrderRecordFields(): OrderRecordFields {
  return {
    id: 0, createdAt: 0, priceTicks: 0, stopTicks: 0, qtyLots: 0, producerSeq: 0, tag: 0, strategy: 0, symbol: 0, side: 0, type: 0,
    tif: 0, postOnly: false, priority: 0, pinned: 0, clientOrderId: '', route: 0, parent: 0, algo: 0, paramA: 0, paramB: 0, arrivalMid: 0,
  };
}

export function decodeOrderRecord(buf: Uint8Array, off: number, length: number): OrderRecordFields {
  return decodeOrderRecordInto(buf, off, length, newOrderRecordFields());
}

/** decodeOrderRecord into `out` (every field written; the replay paths decode every ORDER record into one). */
export function decodeOrderRecordInto(buf: Uint8Array, off: number, length: number, out: OrderRecordFields): OrderRecordFields {
  const end = off + length;
  if (length < ORDER_FIXED) throw new RangeError(`journal ORDER record of ${length} bytes (at least ${ORDER_FIXED})`);
  const cidLen = buf[off + 62]!;
  const flags = buf[off + 63]!;
  if (off + 64 + cidLen > end) throw new RangeError(`journal ORDER record: its client order id runs past the record's end`);
  const hasParent = (flags & ORDER_HAS_PARENT) !== 0;
  const ext = off + ORDER_FIXED + cidLen + (hasParent ? 8 : 0);
  const hasExt = (flags & ORDER_HAS_EXT) !== 0;
  // the reads that can throw first: a record that fails leaves `out` as it was
  const parent = hasParent ? readF64(buf, off + ORDER_FIXED + cidLen, end) : 0;
  const paramA = hasExt ? readF64(buf, ext, end) : 0;
  const paramB = hasExt ? readF64(buf, ext + 8, end) : 0;
  const arrivalMid = hasExt ? readF64(buf, ext + 16, end) : 0;
  out.id = readF64(buf, off, end);
  out.createdAt = readF64(buf, off + 8, end);
  out.priceTicks = readF64(buf, off + 16, end);
  out.stopTicks = readF64(buf, off + 24, end);
  out.qtyLots = readF64(buf, off + 32, end);
  out.producerSeq = readF64(buf, off + 40, end);
  out.tag = (buf[off + 48]! | (buf[off + 49]! << 8) | (buf[off + 50]! << 16) | (buf[off + 51]! << 24)) >>> 0;
  out.strategy = buf[off + 52]! | (buf[off + 53]! << 8);
  out.symbol = buf[off + 54]! | (buf[off + 55]! << 8);
  out.side = buf[off + 56]!;
  out.type = buf[off + 57]!;
  out.tif = buf[off + 58]!;
  out.postOnly = buf[off + 59] === 1;
  out.priority = buf[off + 60]!;
  out.pinned = buf[off + 61]!;
  out.clientOrderId = byteText(buf, off + 64, off + 64 + cidLen);
  out.route = flags & ORDER_ROUTE_MASK;
  out.parent = parent;
  out.algo = (flags & ORDER_ALGO_MASK) >>> ORDER_ALGO_SHIFT;
  out.paramA = paramA;
  out.paramB = paramB;
  out.arrivalMid = arrivalMid;
  return out;
}

/** A decoded UPDATE record: the order id, its time, and the update as the tracker takes it. */
export interface DecodedUpdate {
  orderId: number;
  ts: number;
  update: OrderUpdate;
}

/** A decoded UPDATE record (`venues` by index). */
export function decodeUpdateRecord(buf: Uint8Array, off: number, length: number, venues: readonly string[]): DecodedUpdate {
  return decodeUpdateRecordInto(buf, off, length, venues, { orderId: 0, ts: 0, update: { kind: 'TRIGGER' } });
}

/** decodeUpdateRecord into `out` (its update a new object; a record that fails leaves `out` as it was). */
export function decodeUpdateRecordInto(buf: Uint8Array, off: number, length: number, venues: readonly string[], out: DecodedUpdate): DecodedUpdate {
  const end = off + length;
  if (length < UPDATE_FIXED) throw new RangeError(`journal UPDATE record of ${length} bytes (at least ${UPDATE_FIXED})`);
  const orderId = readF64(buf, off, end);
  const ts = readF64(buf, off + 8, end);
  const kind = UPDATE_KINDS[buf[off + 16]!];
  const venue = venues[buf[off + 17]!] ?? `#${buf[off + 17]}`;
  const a = readString(buf, off + UPDATE_FIXED, end);
  const b = readString(buf, stringEnd, end);
  const afterB = stringEnd;
  let update: OrderUpdate;
  switch (kind) {
    case 'SUBMIT': update = { kind, venue }; break;
    case 'ROUTE': update = { kind, venue }; break;
    case 'FILL': {
      const flags = buf[off + 19]!;
      let feeCurrency = '';
      let venueTs = 0;
      if ((flags & FILL_V2) !== 0) {
        feeCurrency = readString(buf, afterB, end);
        venueTs = readF64(buf, stringEnd, end);
      }
      update = {
        kind,
        fill: {
          orderId, tradeId: a, venue, priceTicks: readF64(buf, off + 24, end), qtyLots: readF64(buf, off + 32, end), fee: b, feeCurrency,
          feeEstimated: (flags & FILL_FEE_ESTIMATED) !== 0,
          liquidity: buf[off + 18] === MAKER ? 'MAKER' : 'TAKER', ts, venueTs,
        },
      };
      break;
    }
    case 'ACCEPT': update = { kind, venueOrderId: a === '' ? undefined : a }; break;
    case 'DENY': update = { kind, reason: a as never }; break;
    case 'REJECT': update = { kind, reason: a }; break;
    case 'CANCELED': update = { kind, reason: a === '' ? undefined : a }; break;
    case 'CANCEL_REJECT': update = { kind, reason: a === '' ? undefined : a }; break;
    case 'EXPIRE': update = { kind, reason: a === '' ? undefined : a }; break;
    case 'CANCEL_REQUEST': update = { kind }; break;
    case 'TRIGGER': update = { kind }; break;
    case 'AMEND_REQUEST':
      update = { kind, priceTicks: readF64(buf, off + 24, end), qtyLots: readF64(buf, off + 32, end), clientOrderId: a === '' ? undefined : a };
      break;
    case 'AMENDED':
      update = {
        kind, priceTicks: readF64(buf, off + 24, end), qtyLots: readF64(buf, off + 32, end),
        venueOrderId: a === '' ? undefined : a, clientOrderId: b === '' ? undefined : b,
      };
      break;
    case 'AMEND_REJECT': update = { kind, reason: a === '' ? undefined : a }; break;
    default: throw new RangeError(`unknown update kind ${buf[off + 16]}`);
  }
  out.orderId = orderId;
  out.ts = ts;
  out.update = update;
  return out;
}
