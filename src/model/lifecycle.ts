import type { ErrorCode } from './errors.js';
import { ORDER_STATES, stateIndex, type Fill, type Order, type OrderState } from './order.js';
import { notionalUnits } from './decimal.js';

/**
 * The order lifecycle: one exhaustive table, state x event -> outcome. Every cell is written out, so a new
 * state or event does not compile until each of its cells has been decided.
 *
 * Events (inputs to the table):
 *  SUBMIT          the order leaves the daemon for a venue (or the internal crossing book)
 *  DENY            refused locally (validation or pre-trade risk); never reached a venue
 *  ACCEPT          the venue acknowledged the order
 *  REJECT          the venue refused the order
 *  PARTIAL_FILL    a fill that leaves quantity open      } a fill is classified by the quantity it
 *  FILL            a fill that completes the order       } leaves, before the table is consulted
 *  CANCEL_REQUEST  we asked for a cancel
 *  CANCELED        the order is canceled (confirmed, unsolicited, or never sent)
 *  CANCEL_REJECT   the venue refused our cancel
 *  EXPIRE          time in force ran out (IOC/FOK remainder, venue expiry)
 *  TRIGGER         a stop was released
 *  ROUTE           the unfilled rest leaves the internal crossing book for a venue (the order is never in both)
 *  AMEND_REQUEST   we asked the venue to change the price and/or the quantity (the new TOTAL, fills included)
 *  AMENDED         the venue confirmed the amend: the new terms are in force (and, for a cancel-replace venue, the
 *                  order is bound to its new client and venue order ids)
 *  AMEND_REJECT    the venue refused the amend (or it could not apply: filled or canceled meanwhile); the old terms hold
 *
 * Outcomes: a target state; IGNORE (a benign late or duplicate report: nothing changes, it is counted);
 * INVALID (a typed INVALID_TRANSITION error: logged, counted, never a crash); RESTORE (a refused cancel
 * returns the order to where it was: PENDING_UPDATE if an amend is still pending, PARTIALLY_FILLED if anything
 * filled, else the state before the cancel); RESUME (an amend answered: the order is where its fills put it under
 * the terms now in force — FILLED when the filled quantity reaches them, PARTIALLY_FILLED, or ACCEPTED).
 *
 * Amend: an order's terms (priceTicks, qtyLots) change only when the venue confirms (AMENDED) — until then the old
 * terms hold and the asked ones wait in amendPriceTicks / amendQtyLots. While an amend is pending, a fill is checked
 * against the larger of the two quantities (the venue may already run either), and a fill that takes the filled
 * quantity beyond the old quantity proves the amend: the asked terms are taken at once. One amend at a time, only of
 * an acknowledged order (ACCEPTED, PARTIALLY_FILLED).
 */
export type LifecycleEvent =
  | 'SUBMIT'
  | 'DENY'
  | 'ACCEPT'
  | 'REJECT'
  | 'PARTIAL_FILL'
  | 'FILL'
  | 'CANCEL_REQUEST'
  | 'CANCELED'
  | 'CANCEL_REJECT'
  | 'EXPIRE'
  | 'TRIGGER'
  | 'ROUTE'
  | 'AMEND_REQUEST'
  | 'AMENDED'
  | 'AMEND_REJECT';

export const LIFECYCLE_EVENTS: readonly LifecycleEvent[] = [
  'SUBMIT', 'DENY', 'ACCEPT', 'REJECT', 'PARTIAL_FILL', 'FILL',
  'CANCEL_REQUEST', 'CANCELED', 'CANCEL_REJECT', 'EXPIRE', 'TRIGGER', 'ROUTE',
  'AMEND_REQUEST', 'AMENDED', 'AMEND_REJECT',
];

export type Outcome = OrderState | 'IGNORE' | 'INVALID' | 'RESTORE' | 'RESUME';

const I = 'INVALID';
const G = 'IGNORE';

export const LIFECYCLE_TABLE: Readonly<Record<OrderState, Readonly<Record<LifecycleEvent, Outcome>>>> = {
  CREATED: {
    SUBMIT: 'SUBMITTED',
    DENY: 'DENIED',
    ACCEPT: I, REJECT: I, PARTIAL_FILL: I, FILL: I,
    CANCEL_REQUEST: 'CANCELED', // still in our queue: canceled locally, nothing to ask a venue
    CANCELED: 'CANCELED', // taken out of the queue (shutdown, crossing window, operator)
    CANCEL_REJECT: I, EXPIRE: I, TRIGGER: I,
    ROUTE: I,
    AMEND_REQUEST: I, // still queued: nothing at a venue to amend (cancel and submit anew): ORDER_NOT_AMENDABLE
    AMENDED: I, AMEND_REJECT: I, // no amend was asked
  },
  DENIED: {
    SUBMIT: I, DENY: I, ACCEPT: I, REJECT: I, PARTIAL_FILL: I, FILL: I,
    CANCEL_REQUEST: I, CANCELED: I, CANCEL_REJECT: I, EXPIRE: I, TRIGGER: I,
    ROUTE: I,
    AMEND_REQUEST: I, AMENDED: I, AMEND_REJECT: I,
  },
  SUBMITTED: {
    SUBMIT: I, DENY: I,
    ACCEPT: 'ACCEPTED',
    REJECT: 'REJECTED',
    PARTIAL_FILL: 'PARTIALLY_FILLED', // the fill overtook the ack (different channels)
    FILL: 'FILLED',
    CANCEL_REQUEST: 'PENDING_CANCEL',
    CANCELED: 'CANCELED', // e.g. post-only refused at the venue, or IOC with nothing to take
    CANCEL_REJECT: I, // no cancel was asked for
    EXPIRE: 'EXPIRED',
    TRIGGER: 'TRIGGERED', // trigger report overtook the ack
    ROUTE: 'SUBMITTED', // crossing window over: the rest goes to a venue
    // Not before the ack: a venue amends only an order it knows by id (and a cancel-replace needs the venue order).
    AMEND_REQUEST: I,
    AMENDED: I, AMEND_REJECT: I, // no amend was asked
  },
  ACCEPTED: {
    SUBMIT: I, DENY: I,
    ACCEPT: G, // duplicate ack
    REJECT: I, // a venue does not reject what it acknowledged; an inconsistency to look at
    PARTIAL_FILL: 'PARTIALLY_FILLED',
    FILL: 'FILLED',
    CANCEL_REQUEST: 'PENDING_CANCEL',
    CANCELED: 'CANCELED', // unsolicited: self-trade prevention, venue maintenance
    CANCEL_REJECT: G, // late reply to an earlier cancel that was already resolved
    EXPIRE: 'EXPIRED',
    TRIGGER: 'TRIGGERED',
    ROUTE: I,
    AMEND_REQUEST: 'PENDING_UPDATE',
    AMENDED: G, // late or repeated answer to an amend already resolved (by its answer, or by a lookup after a restart)
    AMEND_REJECT: G, // likewise
  },
  PARTIALLY_FILLED: {
    SUBMIT: I, DENY: I,
    ACCEPT: G, // late ack after the first fill
    REJECT: I,
    PARTIAL_FILL: 'PARTIALLY_FILLED',
    FILL: 'FILLED',
    CANCEL_REQUEST: 'PENDING_CANCEL',
    CANCELED: 'CANCELED', // the rest canceled; the fills stand
    CANCEL_REJECT: G,
    EXPIRE: 'EXPIRED',
    TRIGGER: G, // late trigger report: fills already prove it
    ROUTE: 'PARTIALLY_FILLED', // crossed in part internally; the rest goes to a venue
    AMEND_REQUEST: 'PENDING_UPDATE', // the new quantity is the new total: it must stay above what filled
    AMENDED: G, // late or repeated answer to an amend already resolved
    AMEND_REJECT: G,
  },
  FILLED: {
    SUBMIT: I, DENY: I,
    ACCEPT: G, // late ack
    REJECT: I,
    PARTIAL_FILL: I, FILL: I, // unreachable in practice: the overfill check catches them first
    CANCEL_REQUEST: I, // nothing left to cancel: ORDER_NOT_CANCELABLE
    CANCELED: G, // a cancel raced the last fill and the venue confirms it for zero quantity
    CANCEL_REJECT: G, // the normal answer to a cancel that raced the last fill
    EXPIRE: G, // late expiry report for a fully filled order
    TRIGGER: G,
    ROUTE: I,
    AMEND_REQUEST: I, // nothing left to amend: ORDER_NOT_AMENDABLE
    // An amend that raced the last fill: the venue refuses it (OKX: order already filled; Binance cancel-replace:
    // the cancel fails, STOP_ON_FAILURE places nothing) — the normal answer is a reject; a confirmation is moot.
    AMENDED: G,
    AMEND_REJECT: G,
  },
  PENDING_CANCEL: {
    SUBMIT: I, DENY: I,
    ACCEPT: G, // late ack; the cancel is still on its way
    REJECT: 'REJECTED', // cancel asked before the ack, and the venue refused the order itself
    PARTIAL_FILL: 'PENDING_CANCEL', // a fill raced the cancel: applied, the cancel still pending
    FILL: 'FILLED', // the cancel lost the race
    CANCEL_REQUEST: G, // already asked
    CANCELED: 'CANCELED',
    CANCEL_REJECT: 'RESTORE',
    EXPIRE: 'EXPIRED',
    TRIGGER: G,
    ROUTE: I,
    AMEND_REQUEST: I, // a cancel is pending: ORDER_NOT_AMENDABLE
    // A cancel asked while an amend was pending (stateBeforeCancel PENDING_UPDATE): the amend's answer still counts.
    // Confirmed: the new terms (and a cancel-replace venue's new ids, which the cancel must use) are in force, the
    // cancel still pending (FILLED at once if the new quantity is what already filled). Refused: the old terms hold.
    AMENDED: 'PENDING_CANCEL',
    AMEND_REJECT: 'PENDING_CANCEL',
  },
  CANCELED: {
    SUBMIT: I, DENY: I,
    ACCEPT: G, // late ack
    REJECT: I,
    PARTIAL_FILL: 'CANCELED', // canceled then filled: a fill raced the cancel; the fill is real and applied
    FILL: 'FILLED', // the race took everything that was left
    CANCEL_REQUEST: I, // ORDER_NOT_CANCELABLE
    CANCELED: G, // duplicate report
    CANCEL_REJECT: G,
    EXPIRE: G,
    TRIGGER: G, // late trigger report; the cancel won
    ROUTE: I,
    AMEND_REQUEST: I, // ORDER_NOT_AMENDABLE
    // The venue canceled the order (unsolicited, or a cancel that won against the amend): an amend answer after that
    // is moot. Adapters of cancel-replace venues never report the replaced venue order's cancel as CANCELED.
    AMENDED: G,
    AMEND_REJECT: G,
  },
  REJECTED: {
    SUBMIT: I, DENY: I,
    // Rejected, then the venue shows the order after all: a correction, the venue's word wins. It happens when a
    // submission got no answer and the lookup found nothing within the request's validity window (REJECTED
    // VENUE_TIMEOUT), and the venue reports the order later (a lagging lookup, a clock far off). The order is open
    // again, with its fills; positions and risk follow. Like NautilusTrader's "canceled then filled".
    ACCEPT: 'ACCEPTED',
    REJECT: G, // duplicate report
    PARTIAL_FILL: 'PARTIALLY_FILLED', // the correction's first fill overtook its ack
    FILL: 'FILLED',
    CANCEL_REQUEST: I,
    CANCELED: G, // a late report of an order that never traded: it stays as it was, nothing to correct
    CANCEL_REJECT: G, // reply to a cancel asked before the reject arrived ("unknown order")
    EXPIRE: G, // likewise
    TRIGGER: I,
    ROUTE: I,
    AMEND_REQUEST: I,
    AMENDED: G, AMEND_REJECT: G, // late answers to an amend asked before the rejection was known
  },
  EXPIRED: {
    SUBMIT: I, DENY: I,
    ACCEPT: G,
    REJECT: I,
    PARTIAL_FILL: 'EXPIRED', // a fill raced the expiry (IOC fill report after the expiry report)
    FILL: 'FILLED',
    CANCEL_REQUEST: I,
    CANCELED: G, CANCEL_REJECT: G, EXPIRE: G,
    TRIGGER: G, // late trigger report
    ROUTE: I,
    AMEND_REQUEST: I,
    AMENDED: G, AMEND_REJECT: G, // the order expired while the amend was on its way: moot
  },
  TRIGGERED: {
    SUBMIT: I, DENY: I,
    ACCEPT: G,
    REJECT: 'REJECTED', // the released order was refused (e.g. no liquidity for a stop-market)
    PARTIAL_FILL: 'PARTIALLY_FILLED',
    FILL: 'FILLED',
    CANCEL_REQUEST: 'PENDING_CANCEL',
    CANCELED: 'CANCELED',
    CANCEL_REJECT: G,
    EXPIRE: 'EXPIRED',
    TRIGGER: G,
    ROUTE: I,
    // A released stop's order: no venue here holds stops (adapters refuse them, the daemon emulates them as parents)
    AMEND_REQUEST: I,
    AMENDED: I, AMEND_REJECT: I,
  },
  PENDING_UPDATE: {
    SUBMIT: I, DENY: I,
    ACCEPT: G, // late ack (it still names the venue order id)
    REJECT: I, // a venue does not reject an order it acknowledged (an amend refusal is AMEND_REJECT)
    PARTIAL_FILL: 'PENDING_UPDATE', // a fill raced the amend: applied, the amend still pending
    // The last fill (at the larger of the old and the asked quantity) won the race: the venue will refuse the
    // amend, or it confirms it too late (both then ignored). A fill beyond the old quantity proves the amend.
    FILL: 'FILLED',
    // Cancel while the amend is on its way: the cancel wins the intent. The intake sends it only once the amend is
    // answered (a cancel-replace venue gives the order new ids); stateBeforeCancel is PENDING_UPDATE meanwhile.
    CANCEL_REQUEST: 'PENDING_CANCEL',
    CANCELED: 'CANCELED', // unsolicited (self-trade prevention, maintenance), or the amend's cancel leg with no replacement
    CANCEL_REJECT: G, // late reply to a cancel resolved before the amend was asked
    EXPIRE: 'EXPIRED',
    TRIGGER: G,
    ROUTE: I,
    AMEND_REQUEST: I, // one amend at a time: ORDER_NOT_AMENDABLE
    AMENDED: 'RESUME', // the new terms are in force; FILLED if the fills reach them already
    AMEND_REJECT: 'RESUME', // the old terms hold
  },
};

/** What happened to an order; what the tracker receives from the daemon, a venue or the crossing book. */
export type OrderUpdate =
  | { readonly kind: 'SUBMIT'; readonly venue: string }
  | { readonly kind: 'DENY'; readonly reason: ErrorCode }
  | { readonly kind: 'ACCEPT'; readonly venueOrderId?: string | undefined }
  | { readonly kind: 'REJECT'; readonly reason: string }
  | { readonly kind: 'FILL'; readonly fill: Fill }
  | { readonly kind: 'CANCEL_REQUEST' }
  | { readonly kind: 'CANCELED'; readonly reason?: string | undefined }
  | { readonly kind: 'CANCEL_REJECT'; readonly reason?: string | undefined }
  | { readonly kind: 'EXPIRE'; readonly reason?: string | undefined }
  | { readonly kind: 'TRIGGER' }
  | { readonly kind: 'ROUTE'; readonly venue: string }
  /** Terms asked of the venue: the new limit price and the new total quantity (fills included). */
  | {
    readonly kind: 'AMEND_REQUEST'; readonly priceTicks: number; readonly qtyLots: number;
    /** The client order id a replacement order will carry on a cancel-replace venue (see Order.amendClientOrderId). */
    readonly clientOrderId?: string | undefined;
  }
  /**
   * Terms the venue confirmed; with the ids of the venue order that now carries the order when they changed (a
   * cancel-replace venue: a new client order id and venue order id).
   */
  | {
    readonly kind: 'AMENDED'; readonly priceTicks: number; readonly qtyLots: number;
    readonly venueOrderId?: string | undefined; readonly clientOrderId?: string | undefined;
  }
  | { readonly kind: 'AMEND_REJECT'; readonly reason?: string | undefined };

export type TransitionResult =
  | { readonly outcome: 'APPLIED'; readonly event: LifecycleEvent; readonly from: OrderState; readonly to: OrderState }
  | { readonly outcome: 'IGNORED'; readonly event: LifecycleEvent; readonly from: OrderState; readonly code?: ErrorCode }
  | { readonly outcome: 'ERROR'; readonly event: LifecycleEvent; readonly from: OrderState; readonly code: ErrorCode };

/** The index of an event in LIFECYCLE_EVENTS (a switch over the interned names, like stateIndex). */
export function eventIndex(event: LifecycleEvent): number {
  switch (event) {
    case 'SUBMIT': return 0;
    case 'DENY': return 1;
    case 'ACCEPT': return 2;
    case 'REJECT': return 3;
    case 'PARTIAL_FILL': return 4;
    case 'FILL': return 5;
    case 'CANCEL_REQUEST': return 6;
    case 'CANCELED': return 7;
    case 'CANCEL_REJECT': return 8;
    case 'EXPIRE': return 9;
    case 'TRIGGER': return 10;
    case 'ROUTE': return 11;
    case 'AMEND_REQUEST': return 12;
    case 'AMENDED': return 13;
    case 'AMEND_REJECT': return 14;
  }
}

/**
 * LIFECYCLE_TABLE flattened: the cell of state s and event e at s x LIFECYCLE_EVENTS.length + e (their indices). The
 * per-update lookup is then an array read: `LIFECYCLE_TABLE[from][event]` is two keyed loads with many different
 * names, which V8 serves from its megamorphic cache (about 7 % of the in-process order path, measured with perf).
 */
const CELLS: readonly Outcome[] = ORDER_STATES.flatMap((s) => LIFECYCLE_EVENTS.map((e) => LIFECYCLE_TABLE[s][e]));
const EVENT_COUNT = LIFECYCLE_EVENTS.length;

/** The table cell for a state and an event (as applyUpdate reads it). */
export function lookup(state: OrderState, event: LifecycleEvent): Outcome {
  return CELLS[stateIndex(state) * EVENT_COUNT + eventIndex(event)]!;
}

/**
 * The outcome of one update, written into a reusable object so the hot path allocates nothing.
 * `to` is the new state when APPLIED; `code` says why an update was IGNORED (optional) or an ERROR.
 */
export class Transition {
  outcome: 'APPLIED' | 'IGNORED' | 'ERROR' = 'APPLIED';
  event: LifecycleEvent = 'SUBMIT';
  from: OrderState = 'CREATED';
  to: OrderState = 'CREATED';
  code: ErrorCode | undefined = undefined;
  /**
   * The order's terms in force changed with this update (an amend confirmed, or proved by a fill beyond the old
   * quantity): the replaced ones are in amendPriceTicks / amendQtyLots. Risk accounting moves the reservation.
   */
  termsChanged = false;
  /** `from` and `to` as state codes (their index in ORDER_STATES, as the order store keeps them). */
  fromIndex = 0;
  toIndex = 0;
  /**
   * `venue + NUL` of the venue of the last fill applied with this object, and that venue: a fill's trade key is then
   * one string made per fill, not two (fills come in runs from one venue).
   */
  keyVenue = '';
  keyPrefix = '\u0000';

  private set(outcome: Transition['outcome'], event: LifecycleEvent, from: OrderState, fromIndex: number, to: OrderState, toIndex: number, code: ErrorCode | undefined): this {
    this.outcome = outcome;
    this.event = event;
    this.from = from;
    this.to = to;
    this.fromIndex = fromIndex;
    this.toIndex = toIndex;
    this.code = code;
    this.termsChanged = false;
    return this;
  }

  applied(event: LifecycleEvent, from: OrderState, fromIndex: number, to: OrderState, toIndex: number): this {
    return this.set('APPLIED', event, from, fromIndex, to, toIndex, undefined);
  }

  ignored(event: LifecycleEvent, from: OrderState, fromIndex: number, code?: ErrorCode): this {
    return this.set('IGNORED', event, from, fromIndex, from, fromIndex, code);
  }

  error(event: LifecycleEvent, from: OrderState, fromIndex: number, code: ErrorCode): this {
    return this.set('ERROR', event, from, fromIndex, from, fromIndex, code);
  }

  /** A plain, immutable copy. */
  toResult(): TransitionResult {
    if (this.outcome === 'APPLIED') return { outcome: 'APPLIED', event: this.event, from: this.from, to: this.to };
    if (this.outcome === 'ERROR') return { outcome: 'ERROR', event: this.event, from: this.from, code: this.code! };
    return this.code === undefined
      ? { outcome: 'IGNORED', event: this.event, from: this.from }
      : { outcome: 'IGNORED', event: this.event, from: this.from, code: this.code };
  }
}

/**
 * Apply an update to an order, in place. Never throws for a bad update: the result says what happened.
 * Fills: a trade id already seen is IGNORED (DUPLICATE_FILL); a fill beyond the order quantity is an
 * ERROR (OVERFILL) and is not applied.
 */
export function applyUpdate(order: Order, update: OrderUpdate, now: number): TransitionResult {
  const t = applyUpdateInto(order, update, new Transition());
  if (t.outcome !== 'ERROR') order.updatedAt = now;
  return t.toResult();
}

/**
 * `applyUpdate` writing its outcome into `out` (no allocation for non-fill updates). It does not stamp the time:
 * the caller sets `updatedAt` when the outcome is not an ERROR (the tracker copies it from its clock's time cell).
 */
export function applyUpdateInto(order: Order, update: OrderUpdate, out: Transition): Transition {
  const from = order.state;
  const fromIndex = stateIndex(from);
  let event: LifecycleEvent;
  // A fill's trade key, made once: checked for a duplicate here, kept by the order below.
  let fillKey = '';
  if (update.kind === 'FILL') {
    const f = update.fill;
    if (f.venue !== out.keyVenue) {
      out.keyPrefix = f.venue + '\u0000';
      out.keyVenue = f.venue;
    }
    // trade ids are unique per venue, so the key includes the venue: venue + NUL + trade id
    fillKey = out.keyPrefix + f.tradeId;
    if (order.hasTradeId(fillKey)) return out.ignored('FILL', from, fromIndex, 'DUPLICATE_FILL');
    if (!Number.isSafeInteger(f.qtyLots) || f.qtyLots <= 0 || !Number.isSafeInteger(f.priceTicks) || f.priceTicks < 0) {
      return out.error('FILL', from, fromIndex, 'INVALID_FILL');
    }
    // While an amend is pending the venue may run either quantity: fills count up to the larger one.
    const ceiling = amendPending(order) && order.amendQtyLots > order.qtyLots ? order.amendQtyLots : order.qtyLots;
    if (order.filledLots + f.qtyLots > ceiling) return out.error('FILL', from, fromIndex, 'OVERFILL');
    event = order.filledLots + f.qtyLots === ceiling ? 'FILL' : 'PARTIAL_FILL';
  } else if (update.kind === 'AMEND_REQUEST') {
    // The new total must be a whole number of lots above what filled; the price a whole number of ticks.
    if (!Number.isSafeInteger(update.qtyLots) || update.qtyLots <= order.filledLots || !Number.isSafeInteger(update.priceTicks) || update.priceTicks < 0) {
      return out.error('AMEND_REQUEST', from, fromIndex, 'INVALID_QUANTITY');
    }
    event = 'AMEND_REQUEST';
  } else if (update.kind === 'AMENDED') {
    if (!Number.isSafeInteger(update.qtyLots) || update.qtyLots <= 0 || !Number.isSafeInteger(update.priceTicks) || update.priceTicks < 0) {
      return out.error('AMENDED', from, fromIndex, 'INVALID_QUANTITY');
    }
    event = 'AMENDED';
  } else {
    event = update.kind;
  }

  const cell = CELLS[fromIndex * EVENT_COUNT + eventIndex(event)]!;
  if (cell === 'INVALID') return out.error(event, from, fromIndex, 'INVALID_TRANSITION');

  // Facts carried by the update are kept even when the state does not move (a late ack still names the venue id).
  if (update.kind === 'ACCEPT' && update.venueOrderId !== undefined) order.venueOrderId = update.venueOrderId;
  if (update.kind === 'ACCEPT' && from === 'PENDING_CANCEL' && order.stateBeforeCancel === 'SUBMITTED') {
    order.stateBeforeCancel = 'ACCEPTED';
  }
  if (update.kind === 'TRIGGER') {
    order.triggered = true;
    // A stop released while our cancel is pending: a refused cancel must return it to TRIGGERED, not to before.
    if (from === 'PENDING_CANCEL' && (order.stateBeforeCancel === 'SUBMITTED' || order.stateBeforeCancel === 'ACCEPTED')) {
      order.stateBeforeCancel = 'TRIGGERED';
    }
  }
  if (cell === 'IGNORE') return out.ignored(event, from, fromIndex);

  let to: OrderState;
  let moved = false;
  if (cell === 'RESTORE') {
    to = order.stateBeforeCancel === 'PENDING_UPDATE' ? 'PENDING_UPDATE'
      : order.filledLots > 0 ? 'PARTIALLY_FILLED' : (order.stateBeforeCancel ?? 'ACCEPTED');
  } else if (cell === 'RESUME') {
    to = 'ACCEPTED'; // decided below, once the amend's answer has set the terms
  } else {
    to = cell;
  }

  switch (update.kind) {
    case 'SUBMIT':
    case 'ROUTE':
      order.venue = update.venue;
      break;
    case 'FILL': {
      order.addTradeId(fillKey);
      order.filledLots += update.fill.qtyLots;
      const sum = order.filledNotional + notionalUnits(update.fill.priceTicks, update.fill.qtyLots);
      order.filledNotional = sum > Number.MAX_SAFE_INTEGER ? Number.MAX_SAFE_INTEGER : sum;
      // More filled than the old quantity: only the amend (an increase) allows that, so the venue has applied it.
      if (order.filledLots > order.qtyLots) {
        takeTerms(order, order.amendPriceTicks, order.amendQtyLots);
        moved = true;
      }
      break;
    }
    case 'CANCEL_REQUEST':
      if (to === 'PENDING_CANCEL') order.stateBeforeCancel = from;
      break;
    case 'DENY':
    case 'REJECT':
      order.reason = update.reason;
      break;
    case 'CANCELED':
    case 'EXPIRE':
      if (update.reason !== undefined) order.reason = update.reason;
      break;
    case 'AMEND_REQUEST':
      order.amendPriceTicks = update.priceTicks;
      order.amendQtyLots = update.qtyLots;
      order.amendClientOrderId = update.clientOrderId ?? '';
      break;
    case 'AMENDED':
      takeTerms(order, update.priceTicks, update.qtyLots);
      if (update.venueOrderId !== undefined && update.venueOrderId !== '') order.venueOrderId = update.venueOrderId;
      if (update.clientOrderId !== undefined && update.clientOrderId !== '') order.clientOrderId = update.clientOrderId;
      if (from === 'PENDING_CANCEL' && order.stateBeforeCancel === 'PENDING_UPDATE') order.stateBeforeCancel = settled(order);
      if (order.filledLots >= order.qtyLots) to = 'FILLED';
      break;
    case 'AMEND_REJECT':
      if (update.reason !== undefined) order.reason = update.reason;
      if (from === 'PENDING_CANCEL' && order.stateBeforeCancel === 'PENDING_UPDATE') order.stateBeforeCancel = settled(order);
      break;
    default:
      break;
  }
  if (cell === 'RESUME' && to !== 'FILLED') to = settled(order);
  const termsChanged = update.kind === 'AMENDED' || (update.kind === 'FILL' && order.amendQtyLots !== 0 && moved);
  // A corrected rejection keeps saying what it was (rare: the string is made only here).
  if (from === 'REJECTED') order.reason = `corrected by the venue after REJECTED (${order.reason ?? 'no reason'})`;
  if (from === 'PENDING_CANCEL' && to !== 'PENDING_CANCEL') order.stateBeforeCancel = undefined;
  order.state = to;
  out.applied(event, from, fromIndex, to, stateIndex(to));
  out.termsChanged = termsChanged;
  return out;
}

/** Whether an amend of the order is waiting for the venue's answer. */
export function amendPending(order: Order): boolean {
  return order.state === 'PENDING_UPDATE' || (order.state === 'PENDING_CANCEL' && order.stateBeforeCancel === 'PENDING_UPDATE');
}

/**
 * New terms in force; the ones they replace are kept in amendPriceTicks / amendQtyLots (risk accounting moves the
 * order's reservation from those to these). A confirmed quantity below what filled (a venue counting differently)
 * is held at the filled quantity: the order never has more filled than its quantity.
 */
function takeTerms(order: Order, priceTicks: number, qtyLots: number): void {
  const oldPrice = order.priceTicks;
  const oldQty = order.qtyLots;
  order.priceTicks = priceTicks;
  order.qtyLots = qtyLots < order.filledLots ? order.filledLots : qtyLots;
  order.amendPriceTicks = oldPrice;
  order.amendQtyLots = oldQty;
}

/** Where an acknowledged order stands by its fills under the terms in force. */
function settled(order: Order): OrderState {
  return order.filledLots >= order.qtyLots ? 'FILLED' : order.filledLots > 0 ? 'PARTIALLY_FILLED' : 'ACCEPTED';
}
