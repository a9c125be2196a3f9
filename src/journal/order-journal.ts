/**
 * The daemon's records in the journal, and their replay.
 *
 *   type 1 ORDER   a new order, before anything else happens to it (64 bytes + client order id):
 *                  f64 id, createdAt, priceTicks, stopTicks, qtyLots, producerSeq | u32 tag | u16 strategy, symbol |
 *                  u8 side, type, tif, postOnly, priority, pinned venue, cid length, 0 | cid (ASCII)
 *   type 2 UPDATE  a lifecycle update the tracker applied (or a late ACK that carried a venue order id):
 *                  f64 orderId, ts | u8 kind, venue, liquidity, 0 x5 | f64 priceTicks, qtyLots | str a | str b
 *                  (str = u16 length + ASCII/UTF-8; FILL: a = trade id, b = fee; ACCEPT: a = venue order id;
 *                  DENY/REJECT/CANCELED/CANCEL_REJECT/EXPIRE: a = reason; SUBMIT/ROUTE/FILL: venue = venue index)
 *                  FILL, byte 19 = fill flags: bit 0 FILL_V2 = the record goes on with str fee currency | f64 venue
 *                  trade time; bit 1 = fee estimated from bps. A FILL without FILL_V2 (journals written before
 *                  fee currencies) reads as fee currency '' (it was quote) and venue time 0 (unknown).
 *   type 3 EVENT   JSON: daemon start/stop, recovery and reconciliation findings (audit trail, not replayed, except
 *                  the close-out of positions of removed entries: see name-table.ts)
 *   type 4 NAMES   JSON: the strategy, instrument (with tick and lot size) and venue lists the indexes above refer
 *                  to; written at every start before any other record of the run (see name-table.ts). Journals
 *                  without one (written before name tables) are read against the configuration's lists.
 *   snapshot       JSON (v 2): every order held (open and retained finished ones), the id counter, risk positions
 *                  and the name table its indexes refer to (v 1: no name table)
 *
 * Encoding writes numbers and ASCII straight into the journal's buffer: recording an order allocates nothing
 * unless a string is not ASCII.
 */
import type { OrderStore, OrderView } from '../core/order-store.js';
import { NO_VENUE } from '../core/order-store.js';
import type { TrackerListener } from '../core/order-tracker.js';
import type { OrderUpdate, Transition } from '../model/lifecycle.js';
import type { Journal } from './journal.js';
import { JournalError } from './errors.js';
import type { DurabilityGate } from '../execution/batcher.js';
import type { FeeSum } from '../risk/fee-ledger.js';
import { REC_NAMES, decodeNames, encodeNames, namesOf, type NameTable } from './name-table.js';

export const REC_ORDER = 1;
export const REC_UPDATE = 2;
export const REC_EVENT = 3;

const UPDATE_KINDS: readonly OrderUpdate['kind'][] = [
  'SUBMIT', 'DENY', 'ACCEPT', 'REJECT', 'FILL', 'CANCEL_REQUEST', 'CANCELED', 'CANCEL_REJECT', 'EXPIRE', 'TRIGGER', 'ROUTE',
];
const KIND_CODE: Readonly<Record<OrderUpdate['kind'], number>> = Object.fromEntries(UPDATE_KINDS.map((k, i) => [k, i])) as Record<OrderUpdate['kind'], number>;
const MAKER = 1;
const TAKER = 2;
/** FILL flags (byte 19; 0 in records written before they existed). */
const FILL_V2 = 1;
const FILL_FEE_ESTIMATED = 2;
const ORDER_FIXED = 64;
const UPDATE_FIXED = 40;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Writes strings as u16 length + bytes; ASCII without allocating. Returns the new offset. */
function putString(buf: Uint8Array, off: number, text: string | undefined): number {
  const s = text ?? '';
  let ascii = true;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) { ascii = false; break; }
  if (ascii) {
    buf[off] = s.length & 0xff;
    buf[off + 1] = s.length >>> 8;
    for (let i = 0; i < s.length; i++) buf[off + 2 + i] = s.charCodeAt(i);
    return off + 2 + s.length;
  }
  const r = encoder.encodeInto(s, buf.subarray(off + 2));
  buf[off] = r.written & 0xff;
  buf[off + 1] = r.written >>> 8;
  return off + 2 + r.written;
}

function getString(buf: Uint8Array, off: number): [string, number] {
  const n = buf[off]! | (buf[off + 1]! << 8);
  return [decoder.decode(buf.subarray(off + 2, off + 2 + n)), off + 2 + n];
}

/** Bytes a string may take (UTF-8 worst case). */
function stringBound(text: string | undefined): number {
  return 2 + 3 * (text?.length ?? 0);
}

/**
 * Records every order and every applied update into the journal, from the tracker's listener calls.
 *
 * It is also where a journal failure is latched, once: the journal's onError (a batch that could not be written or
 * synced) or an append that throws JOURNAL_IO calls `fail`, which keeps the first error and calls `onFailure` (the
 * daemon halts). From then on nothing is appended — the journal refuses appends, and a listener must not throw: a
 * venue report or a timer callback still updates the order, risk, metrics and the API stream in memory — and
 * every update applied without its record is counted in `unrecorded`: it is not durable, and a restart resumes
 * from the last durable record, as after a crash. An append on a closed journal (a late venue report during a
 * stop) is counted the same way, without a halt.
 */
export class JournalRecorder implements TrackerListener, DurabilityGate {
  private journal: Journal | undefined;
  private failure: JournalError | null = null;
  /** Updates (and orders) applied in memory but not recorded: after a failure, or after the journal was closed. */
  unrecorded = 0;
  /** Called once, with the first failure. */
  onFailure: ((error: JournalError) => void) | undefined;
  private view: DataView | undefined;
  private viewOf: Uint8Array | undefined;
  private order: OrderView | undefined;
  private update: OrderUpdate | undefined;
  /** False while replaying (the records being applied are already in the journal). */
  active = true;
  /** Called after each record (the daemon decides when to snapshot). */
  onRecord: (() => void) | undefined;
  /**
   * Called right after the UPDATE record of an applied transition was appended, with that record's seq: the order
   * event's seq (the API stream publishes it once the record is durable). Not called for what was not recorded
   * (replay, a failed or closed journal). Must not throw.
   */
  onEventRecorded: ((seq: number, order: OrderView, update: OrderUpdate, t: Transition) => void) | undefined;

  constructor(private readonly store: OrderStore) {}

  /** Start writing to `journal` (opened by the daemon at start; nothing is recorded before). */
  attach(journal: Journal): void {
    this.journal = journal;
  }

  get lastSeq(): number {
    return this.journal?.lastSeq ?? 0;
  }

  get durableSeq(): number {
    return this.journal?.durableSeq ?? 0;
  }

  whenDurable(seq: number): Promise<void> {
    if (this.failure !== null && seq > this.durableSeq) return Promise.reject(this.failure);
    return this.journal === undefined ? Promise.resolve() : this.journal.whenDurable(seq);
  }

  /** The journal failure latched (null while the journal works). */
  get failed(): JournalError | null {
    return this.failure;
  }

  /** Latch a journal failure (the first one counts); the daemon halts through `onFailure`. */
  fail(error: JournalError): void {
    if (this.failure !== null) return;
    this.failure = error;
    this.onFailure?.(error);
  }

  /** Whether a record may be appended now; counts the record that is not. */
  private writable(): boolean {
    if (!this.active || this.journal === undefined) return false;
    if (this.failure === null && !this.journal.closed) return true;
    this.unrecorded++;
    return false;
  }

  /** An append that threw: a journal error is latched (JOURNAL_IO) or counted (closed); anything else is a bug. */
  private appendFailed(err: unknown): void {
    if (!(err instanceof JournalError)) throw err;
    this.unrecorded++;
    if (err.code !== 'JOURNAL_CLOSED') this.fail(err);
  }

  /** Resolves when everything recorded so far is on disk. */
  durable(): Promise<void> {
    return this.whenDurable(this.lastSeq);
  }

  private dv(buf: Uint8Array): DataView {
    if (buf !== this.viewOf) {
      this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      this.viewOf = buf;
    }
    return this.view!;
  }

  onCreate(order: OrderView): void {
    if (!this.writable()) return;
    this.order = order;
    try {
      this.journal!.appendWith(REC_ORDER, ORDER_FIXED + 32, this.encodeOrder);
    } catch (err) {
      this.appendFailed(err);
      return;
    }
    this.onRecord?.();
  }

  private readonly encodeOrder = (buf: Uint8Array, off: number): number => {
    const s = this.store;
    const slot = this.order!.slot;
    const v = this.dv(buf);
    v.setFloat64(off, s.id[slot]!, true);
    v.setFloat64(off + 8, s.createdAt[slot]!, true);
    v.setFloat64(off + 16, s.priceTicks[slot]!, true);
    v.setFloat64(off + 24, s.stopTicks[slot]!, true);
    v.setFloat64(off + 32, s.qtyLots[slot]!, true);
    v.setFloat64(off + 40, s.producerSeq[slot]!, true);
    v.setUint32(off + 48, s.tag[slot]!, true);
    v.setUint16(off + 52, s.strategy[slot]!, true);
    v.setUint16(off + 54, s.symbol[slot]!, true);
    buf[off + 56] = s.side[slot]!;
    buf[off + 57] = s.type[slot]!;
    buf[off + 58] = s.tif[slot]!;
    buf[off + 59] = s.postOnly[slot]!;
    buf[off + 60] = s.priority[slot]!;
    buf[off + 61] = s.pinned[slot]!;
    const n = s.writeClientOrderId(slot, buf, off + 64);
    buf[off + 62] = n;
    buf[off + 63] = 0;
    return ORDER_FIXED + n;
  };

  onTransition(order: OrderView, update: OrderUpdate, t: Transition): void {
    if (!this.writable()) return;
    const seq = this.record(order, update);
    // Right after the append, so events are published in journal order whatever the other listeners do.
    if (seq > 0) this.onEventRecorded?.(seq, order, update, t);
  }

  onAnomaly(order: OrderView, update: OrderUpdate, t: Transition): void {
    // A late acknowledgement changes no state but names the venue's order id: keep that fact.
    if (t.outcome === 'IGNORED' && update.kind === 'ACCEPT' && update.venueOrderId !== undefined && this.writable()) this.record(order, update);
  }

  /** Appends the UPDATE record; its seq, or 0 when it could not be appended. */
  private record(order: OrderView, update: OrderUpdate): number {
    this.order = order;
    this.update = update;
    let bound = UPDATE_FIXED;
    switch (update.kind) {
      case 'FILL': bound += stringBound(update.fill.tradeId) + stringBound(update.fill.fee) + stringBound(update.fill.feeCurrency) + 8; break;
      case 'ACCEPT': bound += stringBound(update.venueOrderId) + 2; break;
      case 'DENY': case 'REJECT': bound += stringBound(update.reason) + 2; break;
      case 'CANCELED': case 'CANCEL_REJECT': case 'EXPIRE': bound += stringBound(update.reason) + 2; break;
      default: bound += 4;
    }
    let seq: number;
    try {
      seq = this.journal!.appendWith(REC_UPDATE, bound, this.encodeUpdate);
    } catch (err) {
      this.appendFailed(err);
      return 0;
    }
    this.onRecord?.();
    return seq;
  }

  private readonly encodeUpdate = (buf: Uint8Array, off: number): number => {
    const u = this.update!;
    const o = this.order!;
    const v = this.dv(buf);
    v.setFloat64(off, o.id, true);
    v.setFloat64(off + 8, o.updatedAt, true);
    buf[off + 16] = KIND_CODE[u.kind];
    buf[off + 17] = NO_VENUE;
    buf[off + 18] = 0;
    for (let i = 19; i < 24; i++) buf[off + i] = 0;
    v.setFloat64(off + 24, 0, true);
    v.setFloat64(off + 32, 0, true);
    let end = off + UPDATE_FIXED;
    switch (u.kind) {
      case 'SUBMIT':
      case 'ROUTE':
        buf[off + 17] = this.store.venueIndex(u.venue);
        end = putString(buf, putString(buf, end, undefined), undefined);
        break;
      case 'FILL':
        buf[off + 17] = this.store.venueIndex(u.fill.venue);
        buf[off + 18] = u.fill.liquidity === 'MAKER' ? MAKER : TAKER;
        v.setFloat64(off + 8, u.fill.ts, true);
        v.setFloat64(off + 24, u.fill.priceTicks, true);
        v.setFloat64(off + 32, u.fill.qtyLots, true);
        buf[off + 19] = FILL_V2 | (u.fill.feeEstimated === true ? FILL_FEE_ESTIMATED : 0);
        end = putString(buf, putString(buf, putString(buf, end, u.fill.tradeId), u.fill.fee), u.fill.feeCurrency);
        v.setFloat64(end, u.fill.venueTs, true);
        end += 8;
        break;
      case 'ACCEPT':
        end = putString(buf, putString(buf, end, u.venueOrderId), undefined);
        break;
      case 'DENY':
      case 'REJECT':
        end = putString(buf, putString(buf, end, u.reason), undefined);
        break;
      case 'CANCELED':
      case 'CANCEL_REJECT':
      case 'EXPIRE':
        end = putString(buf, putString(buf, end, u.reason), undefined);
        break;
      default:
        end = putString(buf, putString(buf, end, undefined), undefined);
    }
    return end - off;
  };

  /** The NAMES record: what the indexes of the records after it refer to. Written at start, before any other. */
  writeNames(): number {
    if (this.journal === undefined || this.failure !== null || this.journal.closed) return 0;
    try {
      return this.journal.append(REC_NAMES, encodeNames(namesOf(this.store)));
    } catch (err) {
      this.appendFailed(err);
      return 0;
    }
  }

  /**
   * A CANCELED record for an order the tracker does not hold: an open order of a strategy or instrument removed
   * from the configuration, closed out at start by --accept-removed (replay then finds it closed).
   */
  closeOut(orderId: number, ts: number, reason: string): number {
    if (this.journal === undefined || this.failure !== null || this.journal.closed) return 0;
    const payload = new Uint8Array(UPDATE_FIXED + stringBound(reason) + 2);
    const v = new DataView(payload.buffer);
    v.setFloat64(0, orderId, true);
    v.setFloat64(8, ts, true);
    payload[16] = KIND_CODE.CANCELED;
    payload[17] = NO_VENUE;
    const end = putString(payload, putString(payload, UPDATE_FIXED, reason), undefined);
    try {
      return this.journal.append(REC_UPDATE, payload.subarray(0, end));
    } catch (err) {
      this.appendFailed(err);
      return 0;
    }
  }

  /** An audit record (recovery, reconciliation, start and stop); 0 when it could not be recorded. */
  event(body: Record<string, unknown>): number {
    if (this.journal === undefined || this.failure !== null || this.journal.closed) return 0;
    try {
      return this.journal.append(REC_EVENT, encoder.encode(JSON.stringify(body)));
    } catch (err) {
      this.appendFailed(err);
      return 0;
    }
  }
}

/** A decoded ORDER record. */
export interface OrderRecordFields {
  id: number;
  createdAt: number;
  priceTicks: number;
  stopTicks: number;
  qtyLots: number;
  producerSeq: number;
  tag: number;
  strategy: number;
  symbol: number;
  side: number;
  type: number;
  tif: number;
  postOnly: boolean;
  priority: number;
  pinned: number;
  clientOrderId: string;
}

export function decodeOrderRecord(buf: Uint8Array, off: number, length: number): OrderRecordFields {
  const v = new DataView(buf.buffer, buf.byteOffset + off, length);
  const cidLen = buf[off + 62]!;
  let cid = '';
  for (let i = 0; i < cidLen; i++) cid += String.fromCharCode(buf[off + 64 + i]!);
  return {
    id: v.getFloat64(0, true),
    createdAt: v.getFloat64(8, true),
    priceTicks: v.getFloat64(16, true),
    stopTicks: v.getFloat64(24, true),
    qtyLots: v.getFloat64(32, true),
    producerSeq: v.getFloat64(40, true),
    tag: v.getUint32(48, true),
    strategy: v.getUint16(52, true),
    symbol: v.getUint16(54, true),
    side: buf[off + 56]!,
    type: buf[off + 57]!,
    tif: buf[off + 58]!,
    postOnly: buf[off + 59] === 1,
    priority: buf[off + 60]!,
    pinned: buf[off + 61]!,
    clientOrderId: cid,
  };
}

/** A decoded UPDATE record: the order id, and the update as the tracker takes it (`venues` by index). */
export function decodeUpdateRecord(buf: Uint8Array, off: number, length: number, venues: readonly string[]): { orderId: number; ts: number; update: OrderUpdate } {
  const v = new DataView(buf.buffer, buf.byteOffset + off, length);
  const orderId = v.getFloat64(0, true);
  const ts = v.getFloat64(8, true);
  const kind = UPDATE_KINDS[buf[off + 16]!];
  const venue = venues[buf[off + 17]!] ?? `#${buf[off + 17]}`;
  const [a, next] = getString(buf, off + UPDATE_FIXED);
  const [b, afterB] = getString(buf, next);
  let update: OrderUpdate;
  switch (kind) {
    case 'SUBMIT': update = { kind, venue }; break;
    case 'ROUTE': update = { kind, venue }; break;
    case 'FILL': {
      const flags = buf[off + 19]!;
      let feeCurrency = '';
      let venueTs = 0;
      if ((flags & FILL_V2) !== 0) {
        const [c, afterC] = getString(buf, afterB);
        feeCurrency = c;
        venueTs = v.getFloat64(afterC - off, true);
      }
      update = {
        kind,
        fill: {
          orderId, tradeId: a, venue, priceTicks: v.getFloat64(24, true), qtyLots: v.getFloat64(32, true), fee: b, feeCurrency,
          ...((flags & FILL_FEE_ESTIMATED) !== 0 ? { feeEstimated: true } : {}),
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
    default: throw new RangeError(`unknown update kind ${buf[off + 16]}`);
  }
  return { orderId, ts, update };
}

/**
 * A one-line description of a record, for `switchyard journal inspect`: strategy, symbol and venues by name from
 * `names` (the table the record indexes into), by index (#n) without one.
 */
export function describeRecord(type: number, payload: Uint8Array, names: NameTable | null = null): string {
  if (type === REC_ORDER) {
    const f = decodeOrderRecord(payload, 0, payload.length);
    const named = names === null ? {} : {
      strategyName: names.strategies[f.strategy] ?? `#${f.strategy}`,
      symbolName: names.symbols[f.symbol]?.name ?? `#${f.symbol}`,
      ...(f.pinned !== NO_VENUE ? { pinnedName: names.venues[f.pinned] ?? `#${f.pinned}` } : {}),
    };
    return `ORDER ${JSON.stringify({ ...f, ...named })}`;
  }
  if (type === REC_UPDATE) {
    const u = decodeUpdateRecord(payload, 0, payload.length, names?.venues ?? []);
    return `UPDATE order ${u.orderId} ${JSON.stringify(u.update)}`;
  }
  if (type === REC_EVENT) return `EVENT ${decoder.decode(payload)}`;
  if (type === REC_NAMES) return `NAMES ${decoder.decode(payload)}`;
  return `type ${type}, ${payload.length} bytes`;
}

/** describeRecord over a run of records: keeps the last NAMES table seen for the records after it. */
export function recordDescriber(): (type: number, payload: Uint8Array) => string {
  let names: NameTable | null = null;
  return (type, payload) => {
    if (type === REC_NAMES) {
      try {
        names = decodeNames(payload);
      } catch {
        names = null;
      }
    }
    return describeRecord(type, payload, names);
  };
}

/** The snapshot: every order held, the id counter and risk positions, as JSON. */
export interface OrderSnapshot {
  /** 2: with `names`; 1: written before name tables. */
  readonly v: 1 | 2;
  /** What the rows' strategy, symbol and venue indexes and the position cells refer to (absent in v 1). */
  readonly names?: NameTable;
  readonly lastOrderId: number;
  /** feeRemainders: base fees below one lot not yet netted (absent in snapshots written before them). */
  readonly risk: { positions: number[]; marks: number[]; feeRemainders?: Record<string, string> };
  readonly orders: readonly RestoredOrderRow[];
  /** Fee sums per strategy, venue and currency (absent in snapshots written before them). */
  readonly fees?: readonly FeeSum[];
}

/** One order in a snapshot (short keys: snapshots hold up to the retention limit of orders). */
export interface RestoredOrderRow {
  id: number;
  f: { strategy: number; symbol: number; side: number; type: number; tif: number; postOnly: boolean; priority: number;
    priceTicks: number; stopTicks: number; qtyLots: number; venue: number; clientOrderId: string; producerSeq: number; tag: number };
  c: number;
  u: number;
  s: string;
  ven: string | null;
  vid: string | null;
  fl: number;
  fn: number;
  rp: number;
  tr: boolean;
  sbc: string | null;
  r: string | null;
  t: string[];
}

export function encodeSnapshot(snapshot: OrderSnapshot): Uint8Array {
  return encoder.encode(JSON.stringify(snapshot));
}

export function decodeSnapshot(bytes: Uint8Array): OrderSnapshot {
  const s = JSON.parse(decoder.decode(bytes)) as OrderSnapshot;
  if ((s.v !== 1 && s.v !== 2) || !Array.isArray(s.orders) || (s.v === 2 && s.names === undefined)) {
    throw new RangeError('not an order snapshot (version 1 or 2)');
  }
  return s;
}
