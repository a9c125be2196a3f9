import type { ErrorCode } from './errors.js';
import type { Fill, Order, OrderState } from './order.js';
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
 *
 * Outcomes: a target state; IGNORE (a benign late or duplicate report: nothing changes, it is counted);
 * INVALID (a typed INVALID_TRANSITION error: logged, counted, never a crash); RESTORE (a refused cancel
 * returns the order to where it was: PARTIALLY_FILLED if anything filled, else the state before the cancel).
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
  | 'ROUTE';

export const LIFECYCLE_EVENTS: readonly LifecycleEvent[] = [
  'SUBMIT', 'DENY', 'ACCEPT', 'REJECT', 'PARTIAL_FILL', 'FILL',
  'CANCEL_REQUEST', 'CANCELED', 'CANCEL_REJECT', 'EXPIRE', 'TRIGGER', 'ROUTE',
];

export type Outcome = OrderState | 'IGNORE' | 'INVALID' | 'RESTORE';

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
  },
  DENIED: {
    SUBMIT: I, DENY: I, ACCEPT: I, REJECT: I, PARTIAL_FILL: I, FILL: I,
    CANCEL_REQUEST: I, CANCELED: I, CANCEL_REJECT: I, EXPIRE: I, TRIGGER: I,
    ROUTE: I,
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
  | { readonly kind: 'ROUTE'; readonly venue: string };

export type TransitionResult =
  | { readonly outcome: 'APPLIED'; readonly event: LifecycleEvent; readonly from: OrderState; readonly to: OrderState }
  | { readonly outcome: 'IGNORED'; readonly event: LifecycleEvent; readonly from: OrderState; readonly code?: ErrorCode }
  | { readonly outcome: 'ERROR'; readonly event: LifecycleEvent; readonly from: OrderState; readonly code: ErrorCode };

/** The table cell for a state and an event. */
export function lookup(state: OrderState, event: LifecycleEvent): Outcome {
  return LIFECYCLE_TABLE[state][event];
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

  private set(outcome: Transition['outcome'], event: LifecycleEvent, from: OrderState, to: OrderState, code: ErrorCode | undefined): this {
    this.outcome = outcome;
    this.event = event;
    this.from = from;
    this.to = to;
    this.code = code;
    return this;
  }

  applied(event: LifecycleEvent, from: OrderState, to: OrderState): this {
    return this.set('APPLIED', event, from, to, undefined);
  }

  ignored(event: LifecycleEvent, from: OrderState, code?: ErrorCode): this {
    return this.set('IGNORED', event, from, from, code);
  }

  error(event: LifecycleEvent, from: OrderState, code: ErrorCode): this {
    return this.set('ERROR', event, from, from, code);
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
  let event: LifecycleEvent;
  if (update.kind === 'FILL') {
    const f = update.fill;
    if (order.tradeIds.has(tradeKey(f))) return out.ignored('FILL', from, 'DUPLICATE_FILL');
    if (!Number.isSafeInteger(f.qtyLots) || f.qtyLots <= 0 || !Number.isSafeInteger(f.priceTicks) || f.priceTicks < 0) {
      return out.error('FILL', from, 'INVALID_FILL');
    }
    if (order.filledLots + f.qtyLots > order.qtyLots) return out.error('FILL', from, 'OVERFILL');
    event = order.filledLots + f.qtyLots === order.qtyLots ? 'FILL' : 'PARTIAL_FILL';
  } else {
    event = update.kind;
  }

  const cell = LIFECYCLE_TABLE[from][event];
  if (cell === 'INVALID') return out.error(event, from, 'INVALID_TRANSITION');

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
  if (cell === 'IGNORE') return out.ignored(event, from);

  let to: OrderState;
  if (cell === 'RESTORE') {
    to = order.filledLots > 0 ? 'PARTIALLY_FILLED' : (order.stateBeforeCancel ?? 'ACCEPTED');
  } else {
    to = cell;
  }

  switch (update.kind) {
    case 'SUBMIT':
    case 'ROUTE':
      order.venue = update.venue;
      break;
    case 'FILL': {
      order.tradeIds.add(tradeKey(update.fill));
      order.filledLots += update.fill.qtyLots;
      const sum = order.filledNotional + notionalUnits(update.fill.priceTicks, update.fill.qtyLots);
      order.filledNotional = sum > Number.MAX_SAFE_INTEGER ? Number.MAX_SAFE_INTEGER : sum;
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
    default:
      break;
  }
  // A corrected rejection keeps saying what it was (rare: the string is made only here).
  if (from === 'REJECTED') order.reason = `corrected by the venue after REJECTED (${order.reason ?? 'no reason'})`;
  if (from === 'PENDING_CANCEL' && to !== 'PENDING_CANCEL') order.stateBeforeCancel = undefined;
  order.state = to;
  return out.applied(event, from, to);
}

/** Trade ids are unique per venue, so the key includes the venue. */
function tradeKey(f: Fill): string {
  return f.venue + '\u0000' + f.tradeId;
}
