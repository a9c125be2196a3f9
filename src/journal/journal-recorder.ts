/** The tracker listener that writes every order and applied update into the journal (records: order-records.ts). */
import type { OrderStore, OrderView } from '../core/order-store.js';
import { NO_VENUE } from '../core/order-store.js';
import type { TrackerListener } from '../core/order-tracker.js';
import type { DurabilityGate } from '../execution/batcher.js';
import type { OrderUpdate, Transition } from '../model/lifecycle.js';
import { JournalError } from './errors.js';
import type { Journal } from './journal.js';
import { REC_NAMES, encodeNames, namesOf } from './name-table.js';
import {
  FILL_FEE_ESTIMATED, FILL_V2, KIND_CODE, MAKER, ORDER_ALGO_MASK, ORDER_ALGO_SHIFT, ORDER_EXT_BYTES, ORDER_FIXED, ORDER_HAS_EXT,
  ORDER_HAS_PARENT, ORDER_ROUTE_MASK, REC_EVENT, REC_ORDER, REC_UPDATE, TAKER, UPDATE_FIXED, putString, stringBound,
  K_ACCEPT, K_AMEND_REJECT, K_AMEND_REQUEST, K_AMENDED, K_CANCEL_REJECT, K_CANCEL_REQUEST, K_CANCELED, K_DENY, K_EXPIRE,
  K_FILL, K_REJECT, K_ROUTE, K_SUBMIT, K_TRIGGER,
} from './order-records.js';

const encoder = new TextEncoder();
/** String.prototype.charCodeAt as a constant (see src/model/json-text.ts). */
const charCodeAt = String.prototype.charCodeAt;

type VenueUpdate = Extract<OrderUpdate, { kind: 'SUBMIT' | 'ROUTE' }>;
type FillUpdate = Extract<OrderUpdate, { kind: 'FILL' }>;
type AcceptUpdate = Extract<OrderUpdate, { kind: 'ACCEPT' }>;
type ReasonUpdate = Extract<OrderUpdate, { kind: 'DENY' | 'REJECT' | 'CANCELED' | 'CANCEL_REJECT' | 'EXPIRE' | 'AMEND_REJECT' }>;
type AmendRequestUpdate = Extract<OrderUpdate, { kind: 'AMEND_REQUEST' }>;
type AmendedUpdate = Extract<OrderUpdate, { kind: 'AMENDED' }>;

/** An empty string (u16 length 0) at `off`; the new offset. */
function putEmpty(buf: Uint8Array, off: number): number {
  buf[off] = 0;
  buf[off + 1] = 0;
  return off + 2;
}

/** Two empty strings at `off`; the new offset. */
function putEmpty2(buf: Uint8Array, off: number): number {
  buf[off] = 0;
  buf[off + 1] = 0;
  buf[off + 2] = 0;
  buf[off + 3] = 0;
  return off + 4;
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
  /** The code of `update`'s kind (KIND_CODE), set by record() for encodeUpdate. */
  private kindCode = 0;
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
  /** More hooks like onEventRecorded, called after it in the order added (the history feed, src/history). */
  private readonly recordedHooks: ((seq: number, order: OrderView, update: OrderUpdate, t: Transition) => void)[] = [];

  constructor(private readonly store: OrderStore) {}

  /** Adds a hook called like onEventRecorded (after it) for every recorded transition. Must not throw. */
  addRecordedListener(hook: (seq: number, order: OrderView, update: OrderUpdate, t: Transition) => void): void {
    this.recordedHooks.push(hook);
  }

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
      // the fixed part, the client order id (at most 32 bytes), the parent id of a child order and the extension
      // block (paramA, paramB, arrivalMid)
      this.journal!.appendWith(REC_ORDER, ORDER_FIXED + 32 + 8 + ORDER_EXT_BYTES, this.encodeOrder);
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
    let flags = (s.route[slot]! & ORDER_ROUTE_MASK) | ((s.algo[slot]! << ORDER_ALGO_SHIFT) & ORDER_ALGO_MASK);
    let len = ORDER_FIXED + n;
    const parent = s.parent[slot]!;
    // 0 = an order of its own (NaN: none given either)
    if (parent !== 0 && parent === parent) {
      flags |= ORDER_HAS_PARENT;
      v.setFloat64(off + len, parent, true);
      len += 8;
    }
    const paramA = s.paramA[slot]!;
    const paramB = s.paramB[slot]!;
    const arrivalMid = s.arrivalMid[slot]!;
    // plain orders (all three 0) keep the record at its old size
    if (paramA !== 0 || paramB !== 0 || arrivalMid !== 0) {
      flags |= ORDER_HAS_EXT;
      v.setFloat64(off + len, paramA, true);
      v.setFloat64(off + len + 8, paramB, true);
      v.setFloat64(off + len + 16, arrivalMid, true);
      len += ORDER_EXT_BYTES;
    }
    buf[off + 63] = flags;
    return len;
  };

  onTransition(order: OrderView, update: OrderUpdate, t: Transition): void {
    if (!this.writable()) return;
    const seq = this.record(order, update);
    // Right after the append, so events are published in journal order whatever the other listeners do.
    if (seq > 0) {
      this.onEventRecorded?.(seq, order, update, t);
      const hooks = this.recordedHooks;
      for (let i = 0; i < hooks.length; i++) hooks[i]!(seq, order, update, t);
    }
  }

  onAnomaly(order: OrderView, update: OrderUpdate, t: Transition): void {
    // A late acknowledgement changes no state but names the venue's order id: keep that fact.
    if (t.outcome === 'IGNORED' && update.kind === 'ACCEPT' && update.venueOrderId !== undefined && this.writable()) this.record(order, update);
  }

  /** Appends the UPDATE record; its seq, or 0 when it could not be appended. */
  private record(order: OrderView, update: OrderUpdate): number {
    this.order = order;
    this.update = update;
    // One switch on the kind: the record's bound, and the kind's code that encodeUpdate dispatches on (an integer
    // switch there, not a second run of string comparisons and a keyed lookup of KIND_CODE).
    let bound = UPDATE_FIXED;
    let code: number;
    switch (update.kind) {
      case 'FILL': {
        const f = update.fill;
        code = K_FILL;
        bound += stringBound(f.tradeId) + stringBound(f.fee) + stringBound(f.feeCurrency) + 8;
        break;
      }
      case 'SUBMIT': code = K_SUBMIT; bound += 4; break;
      case 'ROUTE': code = K_ROUTE; bound += 4; break;
      case 'ACCEPT': code = K_ACCEPT; bound += stringBound(update.venueOrderId) + 2; break;
      case 'CANCEL_REQUEST': code = K_CANCEL_REQUEST; bound += 4; break;
      case 'CANCELED': code = K_CANCELED; bound += stringBound(update.reason) + 2; break;
      case 'DENY': code = K_DENY; bound += stringBound(update.reason) + 2; break;
      case 'REJECT': code = K_REJECT; bound += stringBound(update.reason) + 2; break;
      case 'CANCEL_REJECT': code = K_CANCEL_REJECT; bound += stringBound(update.reason) + 2; break;
      case 'EXPIRE': code = K_EXPIRE; bound += stringBound(update.reason) + 2; break;
      case 'AMEND_REJECT': code = K_AMEND_REJECT; bound += stringBound(update.reason) + 2; break;
      case 'AMENDED': code = K_AMENDED; bound += stringBound(update.venueOrderId) + stringBound(update.clientOrderId); break;
      case 'AMEND_REQUEST': code = K_AMEND_REQUEST; bound += stringBound(update.clientOrderId) + 2; break;
      case 'TRIGGER': code = K_TRIGGER; bound += 4; break;
      default:
        // not an OrderUpdate kind (the type allows none): as before, its code from the table (undefined writes 0)
        code = KIND_CODE[(update as OrderUpdate).kind];
        bound += 4;
    }
    this.kindCode = code;
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
    const code = this.kindCode;
    const v = this.dv(buf);
    const o = this.order!;
    v.setFloat64(off, o.id, true);
    v.setFloat64(off + 8, o.updatedAt, true);
    buf[off + 16] = code;
    buf[off + 17] = NO_VENUE;
    buf[off + 18] = 0;
    buf[off + 19] = 0;
    buf[off + 20] = 0;
    buf[off + 21] = 0;
    buf[off + 22] = 0;
    buf[off + 23] = 0;
    v.setFloat64(off + 24, 0, true);
    v.setFloat64(off + 32, 0, true);
    let end = off + UPDATE_FIXED;
    // (the casts: `code` was set from u.kind by record(), so u is the variant of that kind)
    switch (code) {
      case K_SUBMIT:
      case K_ROUTE:
        buf[off + 17] = this.store.venueIndex((u as VenueUpdate).venue);
        end = putEmpty2(buf, end);
        break;
      case K_FILL: {
        const f = (u as FillUpdate).fill;
        buf[off + 17] = this.store.venueIndex(f.venue);
        buf[off + 18] = f.liquidity === 'MAKER' ? MAKER : TAKER;
        v.setFloat64(off + 8, f.ts, true);
        v.setFloat64(off + 24, f.priceTicks, true);
        v.setFloat64(off + 32, f.qtyLots, true);
        buf[off + 19] = FILL_V2 | (f.feeEstimated === true ? FILL_FEE_ESTIMATED : 0);
        end = putString(buf, putString(buf, putString(buf, end, f.tradeId), f.fee), f.feeCurrency);
        v.setFloat64(end, f.venueTs, true);
        end += 8;
        break;
      }
      case K_ACCEPT:
        end = putEmpty(buf, putString(buf, end, (u as AcceptUpdate).venueOrderId));
        break;
      case K_DENY:
      case K_REJECT:
      case K_CANCELED:
      case K_CANCEL_REJECT:
      case K_EXPIRE:
      case K_AMEND_REJECT:
        end = putEmpty(buf, putString(buf, end, (u as ReasonUpdate).reason));
        break;
      case K_AMEND_REQUEST: {
        const a = u as AmendRequestUpdate;
        v.setFloat64(off + 24, a.priceTicks, true);
        v.setFloat64(off + 32, a.qtyLots, true);
        end = putEmpty(buf, putString(buf, end, a.clientOrderId));
        break;
      }
      case K_AMENDED: {
        const a = u as AmendedUpdate;
        v.setFloat64(off + 24, a.priceTicks, true);
        v.setFloat64(off + 32, a.qtyLots, true);
        end = putString(buf, putString(buf, end, a.venueOrderId), a.clientOrderId);
        break;
      }
      default:
        end = putEmpty2(buf, end);
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

  /**
   * An audit record (recovery, reconciliation, start and stop; the Redis command ledger's, one per command); 0 when
   * it could not be recorded. Its JSON is written straight into the journal's buffer (encodeEvent): no encoded copy
   * with a buffer of its own per record. A text whose longest UTF-8 form (3 bytes per unit) could pass
   * EVENT_DIRECT_MAX is encoded first, as append() takes it (the bound must not refuse what fits).
   */
  event(body: Record<string, unknown>): number {
    if (this.journal === undefined || this.failure !== null || this.journal.closed) return 0;
    try {
      const text = JSON.stringify(body);
      if (3 * text.length > EVENT_DIRECT_MAX) return this.journal.append(REC_EVENT, encoder.encode(text));
      this.eventText = text;
      return this.journal.appendWith(REC_EVENT, 3 * text.length, this.encodeEvent);
    } catch (err) {
      this.appendFailed(err);
      return 0;
    }
  }

  /** The text event() is writing (for encodeEvent). */
  private eventText = '';

  /** eventText as UTF-8 at buf[off...]: byte by byte while it is ASCII (the common record), else encodeInto. */
  private readonly encodeEvent = (buf: Uint8Array, off: number): number => {
    const text = this.eventText;
    const n = text.length;
    for (let i = 0; i < n; i++) {
      const c = charCodeAt.call(text, i);
      if (c >= 0x80) return encoder.encodeInto(text, buf.subarray(off, off + 3 * n)).written;
      buf[off + i] = c;
    }
    return n;
  };
}

/** Longest UTF-8 bound of an EVENT record's text written straight into the journal's buffer (bytes). */
const EVENT_DIRECT_MAX = 64 * 1024;
