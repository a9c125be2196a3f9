/** One order as an adapter's ledger (order-ledger.ts) holds it: the fields it was sent with and what the venue said. */
import type { OrderSnapshot, OrderSpec, VenueState } from './types.js';

/**
 * QUEUED: recorded, waiting for rate-limit tokens (not sent). SENT: on its way. UNKNOWN: sent, no usable answer
 * (timeout, lost connection): being looked up. LIVE: the venue has it. DONE: final at the venue and fully reported.
 */
export type Phase = 'QUEUED' | 'SENT' | 'UNKNOWN' | 'LIVE' | 'DONE';

/**
 * One order as sent (the fields of OrderSpec, which is VenueOrder: declared once, in src/execution/venue.ts and
 * src/model/order.ts, and merged in by the interface below) and what the adapter knows about it.
 */
export interface TrackedOrder extends OrderSpec {}
export class TrackedOrder {
  venueOrderId: string | undefined = undefined;
  phase: Phase = 'QUEUED';
  accepted = false;
  /** Epoch ms when the request carrying it went out (0 = not yet). */
  sentAt = 0;
  /** Lots reported to the daemon as fills. */
  filledLots = 0;
  /** Lots of fills refused (off grid): accounted for, never reported. */
  refusedLots = 0;
  /** A fill quantity could not even be converted: the order is closed as soon as it is terminal. */
  offGrid = false;
  /** The venue's cumulative filled lots (largest seen). */
  venueFilledLots = 0;
  readonly tradeIds = new Set<string>();
  /** Final state at the venue, once seen (sticky). */
  terminal: VenueState | undefined = undefined;
  /** REJECTED / CANCELED / EXPIRED has been reported. */
  finalReported = false;
  cancelWanted = false;
  cancelInFlight = false;
  gapFetching = false;
  /** Created for a cancel of an order this adapter never placed (e.g. after a restart). */
  adopted = false;
  /**
   * Given up on: REJECTED VENUE_TIMEOUT after no answer and no trace within the request's validity window. The
   * adapter's reconciliation still looks for it while it is retained (a venue's queries may lag): found, the
   * rejection is corrected (accept()).
   */
  givenUp = false;
  doneAt = 0;
  /** An amend of it is on its way (amends.ts): one at a time. */
  amendInFlight = false;
  /** That amend is a cancel-replace: the old venue order's CANCELED report is its cancel leg, held (heldCancel). */
  replacing = false;
  heldCancel: OrderSnapshot | undefined = undefined;
  /** Venue order ids it was bound to before a cancel-replace amend: their reports are still ours (late fills). */
  previousVids: string[] | undefined = undefined;
  /** Lots filled before the venue order it is bound to now (a cancel-replace's new order starts again at 0). */
  filledBase = 0;

  /** New terms, confirmed by the venue (an amend). */
  setTerms(priceTicks: number, qtyLots: number): void {
    const self = this as { priceTicks: number; qtyLots: number };
    self.priceTicks = priceTicks;
    self.qtyLots = qtyLots;
  }

  /** Bound to a new client order id (a cancel-replace amend). */
  setClientOrderId(clientOrderId: string): void {
    (this as { clientOrderId: string }).clientOrderId = clientOrderId;
  }

  /** `spec` is a plain VenueOrder (toVenueOrders, or adopt's literal): exactly the order's fields are copied. */
  constructor(spec: OrderSpec) {
    Object.assign(this, spec);
  }

  get done(): boolean {
    return this.phase === 'DONE';
  }

  /** The venue reports more filled than we have accounted for. */
  get hasGap(): boolean {
    return !this.offGrid && this.venueFilledLots > this.filledLots + this.refusedLots;
  }
}
