/**
 * The fixed-size binary event record carried back to a strategy (dispatcher/tracker -> worker), 64 bytes:
 *
 *   off size field        meaning
 *     0  f64  orderId      daemon order id (0 when no order was created: REFUSED, or a CANCEL_REJECTED by seq)
 *     8  f64  seq          producer seq of the record this event answers (the SUBMIT, or the CANCEL for
 *                          CANCEL_REJECTED); 0 when unknown (e.g. an order that came from the API)
 *    16  f64  filledLots   cumulative filled quantity of the order, in lots, after this event
 *    24  f64  priceTicks   FILL: the fill price; otherwise the order's limit price (0 for market orders)
 *    32  f64  qtyLots      FILL: the fill quantity; otherwise the order quantity
 *    40  f64  ts           event time, ms since the epoch (the daemon's clock)
 *    48  u32  tag          the producer tag of the order's SUBMIT
 *    52  u32  count        RESYNC: events lost since the last delivered one; otherwise 0
 *    56  u16  symbol       instrument index
 *    58  u8   kind         EVENT_KINDS index (EV_* below)
 *    59  u8   state        ORDER_STATES index of the order after the event (255 = none)
 *    60  u8   code         ERROR_CODES index (order of keys in ERROR_CATALOGUE), 255 = none
 *    61  u8   side         0 BUY, 1 SELL
 *    62  u8   liquidity    FILL: 1 MAKER, 2 TAKER; otherwise 0
 *    63  u8   reserved     0
 *
 * Events carry the resulting state and the cumulative filled quantity, so a strategy that applies them as
 * state (rather than as deltas) converges even across a RESYNC (see strategy-host.ts for the overflow rules).
 */
import { ERROR_CATALOGUE, type ErrorCode } from '../../model/errors.js';
import type { LifecycleEvent } from '../../model/lifecycle.js';
import { ORDER_STATES, type OrderState } from '../../model/order.js';
import type { RecordViews } from './order-record.js';

export const EVENT_RECORD_BYTES = 64;

export type EventKind =
  | 'ACK'
  | 'REFUSED'
  | 'SUBMITTED'
  | 'ACCEPTED'
  | 'FILL'
  | 'PENDING_CANCEL'
  | 'CANCELED'
  | 'CANCEL_REJECTED'
  | 'DENIED'
  | 'REJECTED'
  | 'EXPIRED'
  | 'TRIGGERED'
  | 'RESYNC';

/**
 * Event kinds by code (index 0 is unused so a zeroed record is never a valid event):
 *  ACK              the SUBMIT record was taken from the queue and became order `orderId` (state CREATED)
 *  REFUSED          the record was refused before an order was created (code says why: UNKNOWN_VENUE,
 *                   DUPLICATE_CLIENT_ORDER_ID, TRADING_HALTED, ...); terminal for that seq
 *  SUBMITTED        the order left for a venue (or the crossing book)
 *  ACCEPTED         the venue acknowledged it
 *  FILL             an execution; state PARTIALLY_FILLED or FILLED (terminal)
 *  PENDING_CANCEL   a cancel was sent to the venue
 *  CANCELED         terminal
 *  CANCEL_REJECTED  our cancel was refused (ORDER_NOT_FOUND, ORDER_NOT_CANCELABLE or by the venue)
 *  DENIED           refused by pre-trade risk or routing before reaching a venue (terminal)
 *  REJECTED         refused by the venue (terminal)
 *  EXPIRED          time in force ran out (terminal)
 *  TRIGGERED        a stop was released
 *  RESYNC           `count` events were lost because this ring was full: query state (the SDK does it)
 */
export const EVENT_KINDS: readonly (EventKind | undefined)[] = [
  undefined, 'ACK', 'REFUSED', 'SUBMITTED', 'ACCEPTED', 'FILL', 'PENDING_CANCEL', 'CANCELED', 'CANCEL_REJECTED',
  'DENIED', 'REJECTED', 'EXPIRED', 'TRIGGERED', 'RESYNC',
];

export const EV_ACK = 1;
export const EV_REFUSED = 2;
export const EV_SUBMITTED = 3;
export const EV_ACCEPTED = 4;
export const EV_FILL = 5;
export const EV_PENDING_CANCEL = 6;
export const EV_CANCELED = 7;
export const EV_CANCEL_REJECTED = 8;
export const EV_DENIED = 9;
export const EV_REJECTED = 10;
export const EV_EXPIRED = 11;
export const EV_TRIGGERED = 12;
export const EV_RESYNC = 13;

export const NO_STATE = 255;
export const NO_CODE = 255;
export const LIQUIDITY_NONE = 0;
export const LIQUIDITY_MAKER = 1;
export const LIQUIDITY_TAKER = 2;

/** Error codes by index: the order of keys in ERROR_CATALOGUE (both threads load the same module). */
export const ERROR_CODES: readonly ErrorCode[] = Object.freeze(Object.keys(ERROR_CATALOGUE) as ErrorCode[]);
const ERROR_INDEX: ReadonlyMap<string, number> = new Map(ERROR_CODES.map((c, i) => [c, i]));
const STATE_INDEX: ReadonlyMap<string, number> = new Map(ORDER_STATES.map((s, i) => [s, i]));
if (ERROR_CODES.length >= NO_CODE) throw new Error('event record: too many error codes for one byte');

/** Index of an error code for the record, NO_CODE for undefined or a text that is not a catalogue code. */
export function errorCodeIndex(code: ErrorCode | string | undefined): number {
  if (code === undefined) return NO_CODE;
  return ERROR_INDEX.get(code) ?? NO_CODE;
}

export function errorCodeAt(index: number): ErrorCode | undefined {
  return index === NO_CODE ? undefined : ERROR_CODES[index];
}

export function orderStateIndex(state: OrderState | undefined): number {
  return state === undefined ? NO_STATE : STATE_INDEX.get(state) ?? NO_STATE;
}

export function orderStateAt(index: number): OrderState | undefined {
  return index === NO_STATE ? undefined : ORDER_STATES[index];
}

/** The event kind a tracker transition is reported as (0: not reported to strategies, e.g. ROUTE). */
export function eventKindOfLifecycle(event: LifecycleEvent, stateAfter: OrderState): number {
  switch (event) {
    case 'SUBMIT': return EV_SUBMITTED;
    case 'DENY': return EV_DENIED;
    case 'ACCEPT': return EV_ACCEPTED;
    case 'REJECT': return EV_REJECTED;
    case 'PARTIAL_FILL':
    case 'FILL': return EV_FILL;
    case 'CANCEL_REQUEST': return stateAfter === 'CANCELED' ? EV_CANCELED : EV_PENDING_CANCEL;
    case 'CANCELED': return EV_CANCELED;
    case 'CANCEL_REJECT': return EV_CANCEL_REJECTED;
    case 'EXPIRE': return EV_EXPIRED;
    case 'TRIGGER': return EV_TRIGGERED;
    case 'ROUTE': return 0;
    // Amends come from the API only; worker strategies have no amend yet (not reported to them).
    case 'AMEND_REQUEST':
    case 'AMENDED':
    case 'AMEND_REJECT': return 0;
  }
}

/** True for events after which the order (or the refused seq) will see no further event. */
export function isTerminalEvent(kind: number, state: number): boolean {
  switch (kind) {
    case EV_REFUSED:
    case EV_CANCELED:
    case EV_DENIED:
    case EV_REJECTED:
    case EV_EXPIRED:
      return true;
    case EV_FILL:
      return state === orderStateIndex('FILLED');
    default:
      return false;
  }
}

/** A mutable event record, owned by one side and reused. */
export class EventRecord {
  kind = 0;
  orderId = 0;
  seq = 0;
  tag = 0;
  symbol = 0;
  side = 0;
  state = NO_STATE;
  code = NO_CODE;
  filledLots = 0;
  priceTicks = 0;
  qtyLots = 0;
  liquidity = LIQUIDITY_NONE;
  ts = 0;
  count = 0;

  reset(): this {
    this.kind = 0;
    this.orderId = 0;
    this.seq = 0;
    this.tag = 0;
    this.symbol = 0;
    this.side = 0;
    this.state = NO_STATE;
    this.code = NO_CODE;
    this.filledLots = 0;
    this.priceTicks = 0;
    this.qtyLots = 0;
    this.liquidity = LIQUIDITY_NONE;
    this.ts = 0;
    this.count = 0;
    return this;
  }
}

const F_ORDER_ID = 0;
const F_SEQ = 1;
const F_FILLED = 2;
const F_PRICE = 3;
const F_QTY = 4;
const F_TS = 5;
const W_TAG = 12;
const W_COUNT = 13;
const H_SYMBOL = 28;
const B_KIND = 58;
const B_STATE = 59;
const B_CODE = 60;
const B_SIDE = 61;
const B_LIQUIDITY = 62;
const B_RESERVED = 63;

export function writeEventRecord(v: RecordViews, off: number, rec: EventRecord): void {
  const f = off >> 3;
  const f64 = v.f64;
  f64[f + F_ORDER_ID] = rec.orderId;
  f64[f + F_SEQ] = rec.seq;
  f64[f + F_FILLED] = rec.filledLots;
  f64[f + F_PRICE] = rec.priceTicks;
  f64[f + F_QTY] = rec.qtyLots;
  f64[f + F_TS] = rec.ts;
  const w = off >> 2;
  v.u32[w + W_TAG] = rec.tag;
  v.u32[w + W_COUNT] = rec.count;
  v.u16[(off >> 1) + H_SYMBOL] = rec.symbol;
  const b = v.bytes;
  b[off + B_KIND] = rec.kind;
  b[off + B_STATE] = rec.state;
  b[off + B_CODE] = rec.code;
  b[off + B_SIDE] = rec.side;
  b[off + B_LIQUIDITY] = rec.liquidity;
  b[off + B_RESERVED] = 0;
}

export function readEventRecord(v: RecordViews, off: number, rec: EventRecord): EventRecord {
  const f = off >> 3;
  const f64 = v.f64;
  rec.orderId = f64[f + F_ORDER_ID]!;
  rec.seq = f64[f + F_SEQ]!;
  rec.filledLots = f64[f + F_FILLED]!;
  rec.priceTicks = f64[f + F_PRICE]!;
  rec.qtyLots = f64[f + F_QTY]!;
  rec.ts = f64[f + F_TS]!;
  const w = off >> 2;
  rec.tag = v.u32[w + W_TAG]!;
  rec.count = v.u32[w + W_COUNT]!;
  rec.symbol = v.u16[(off >> 1) + H_SYMBOL]!;
  const b = v.bytes;
  rec.kind = b[off + B_KIND]!;
  rec.state = b[off + B_STATE]!;
  rec.code = b[off + B_CODE]!;
  rec.side = b[off + B_SIDE]!;
  rec.liquidity = b[off + B_LIQUIDITY]!;
  return rec;
}
