/**
 * Amends (VenueAdapter.amend) for the exchange adapters: the venue's own amend, asked through the transport's
 * `sendAmend` at cancel priority. Two kinds of venue:
 *  - in place (OKX amend-order, Binance order.amend.keepPriority): the order keeps its ids; OKX's newSz is the venue
 *    order's new TOTAL (what it filled included);
 *  - cancel-replace (Binance POST /api/v3/order/cancelReplace, STOP_ON_FAILURE): the old venue order is canceled and
 *    a new one placed in one request, with a new client order id (the daemon's, journaled with the request) and a new
 *    venue order id; it carries the rest (new total - filled). The order is rebound to the new ids (ledger.rebind):
 *    later reports, cancels and lookups use them; reports of the old venue order still count (a fill that raced).
 *    While the request is in flight, the old order's CANCELED report is held: it is the replace's cancel leg, not the
 *    end of the order — unless the replacement is not placed (the cancel went through, the new order failed): then the
 *    order is CANCELED.
 * The answer goes to the daemon as AMENDED (the new terms, in the daemon's terms: its new total; the new ids) or
 * AMEND_REJECTED (the old terms hold; the order is looked up at once, so a fill that won the race is reported). A
 * 5xx, a timeout or a reset is an unknown outcome: resolved by looking the order up (the replacement's client order
 * id first, then the order's own ids) and comparing the terms the venue shows with the old and the asked ones, after
 * the request's validity window when the venue shows neither yet. Never guessed, never sent twice.
 */
import type { AmendRequest } from '../../src/execution/venue.js';
import { type AdapterContext, accountFailure, errText } from './adapter-context.js';
import { asVenueError, type VenueError } from './errors.js';
import type { TrackedOrder } from './tracked-order.js';
import type { OrderSnapshot, TradeEvent } from './types.js';
import type { VenueQueries } from './venue-queries.js';

/** What the transport sends, in the venue order's terms. */
export interface AmendSpec {
  readonly priceTicks: number;
  /** The venue order's new total (filled included): OKX newSz. */
  readonly totalLots: number;
  /** The new rest (total - what this adapter has seen filled): a cancel-replace venue's new order quantity. */
  readonly restLots: number;
  readonly priceChanged: boolean;
  readonly qtyChanged: boolean;
  /** A cancel-replace venue's replacement client order id. */
  readonly newClientOrderId: string;
}

/**
 * The transport's answer. amended: done (with the new venue order's ids on a cancel-replace); canceled: a
 * cancel-replace whose cancel went through but whose new order was not placed — the order is gone. Refusals throw a
 * VenueError ('rejected', 'not-found'; 'unknown' for an unknown outcome).
 */
export type AmendAnswer =
  | {
    readonly kind: 'amended'; readonly venueOrderId?: string | undefined; readonly clientOrderId?: string | undefined;
    readonly snapshot?: OrderSnapshot | undefined;
    /** Trades the answer carries (a replacement that took liquidity at once). */
    readonly trades?: readonly TradeEvent[] | undefined;
    /** Run once the order is bound to the answer's ids and the daemon told (a correction of the replacement). */
    readonly afterBind?: (() => void) | undefined;
  }
  | { readonly kind: 'canceled'; readonly reason: string };

export interface AmendHooks {
  sendAmend(t: TrackedOrder, spec: AmendSpec): Promise<AmendAnswer>;
  /** Whether the venue amends by cancel-replace (new ids) rather than in place. */
  replaces(t: TrackedOrder, spec: AmendSpec): boolean;
}

export class Amends {
  constructor(
    private readonly ctx: AdapterContext,
    private readonly queries: VenueQueries,
    private readonly hooks: AmendHooks,
  ) {}

  amend(request: AmendRequest): void {
    void Promise.resolve().then(() => this.flow(request, 0));
  }

  private rejected(orderId: number, reason: string): void {
    this.ctx.ledger.report({ kind: 'AMEND_REJECTED', orderId, reason });
  }

  private async flow(req: AmendRequest, attempt: number): Promise<void> {
    const ledger = this.ctx.ledger;
    const t = ledger.find(req.clientOrderId, req.venueOrderId);
    if (t === undefined || t.orderId !== req.orderId) {
      this.rejected(req.orderId, 'ORDER_NOT_FOUND: the venue has no such order of ours');
      return;
    }
    if (this.ctx.stopped) {
      this.rejected(req.orderId, 'VENUE_UNAVAILABLE: adapter stopped');
      return;
    }
    if (!t.accepted || t.done || t.terminal !== undefined) {
      this.rejected(req.orderId, `ORDER_NOT_AMENDABLE: ${t.terminal !== undefined ? `${t.terminal.toLowerCase()} at the venue` : 'not acknowledged by the venue'}`);
      return;
    }
    if (t.amendInFlight) {
      this.rejected(req.orderId, 'ORDER_NOT_AMENDABLE: an amend is already on its way');
      return;
    }
    // The venue order may be smaller than the daemon's order (a part crossed internally before it went out).
    const total = req.qtyLots - (req.oldQtyLots - t.qtyLots);
    if (total <= t.filledLots) {
      this.rejected(req.orderId, 'INVALID_QUANTITY: the new quantity is not above what filled');
      await this.queries.refresh(t);
      return;
    }
    const spec: AmendSpec = {
      priceTicks: req.priceTicks, totalLots: total, restLots: total - t.filledLots,
      priceChanged: req.priceTicks !== t.priceTicks, qtyChanged: total !== t.qtyLots, newClientOrderId: req.newClientOrderId,
    };
    const replaces = this.hooks.replaces(t, spec);
    t.amendInFlight = true;
    t.replacing = replaces;
    let answer: AmendAnswer | undefined;
    let error: VenueError | undefined;
    try {
      answer = await this.ctx.limiter.run(this.ctx.hooks.cancelCosts(t), 'cancel', () => this.hooks.sendAmend(t, spec), { maxPauseWaitMs: this.ctx.settings.requestTimeoutMs });
      this.ctx.breaker.success();
    } catch (err) {
      error = asVenueError(err);
      accountFailure(this.ctx.breaker, error);
    }
    if (error !== undefined && error.kind === 'unknown') {
      this.ctx.counters.unknownOutcomes++;
      answer = await this.resolve(t, spec, replaces, req);
      if (answer === undefined) {
        // the venue shows neither the old nor the asked terms, or cannot be asked: the request is given up as not
        // applied only once it can no longer execute (its validity window); asked again then
        this.ctx.later(this.ctx.hooks.validityWindowMs(), () => void this.settleLate(t, spec, replaces, req));
        return;
      }
      error = undefined;
    }
    if (error !== undefined) {
      this.finishFlow(t);
      if (error.kind === 'rate-limited' && attempt < this.ctx.settings.maxRateLimitRetries) {
        await this.flow(req, attempt + 1);
        return;
      }
      this.rejected(req.orderId, error.reason);
      await this.queries.refresh(t); // a fill that won the race is reported
      return;
    }
    this.apply(t, spec, req, answer!);
  }

  /** The answer applied: the ledger's terms and ids, the daemon told. */
  private apply(t: TrackedOrder, spec: AmendSpec, req: AmendRequest, answer: AmendAnswer): void {
    const ledger = this.ctx.ledger;
    const held = t.heldCancel;
    this.finishFlow(t);
    if (answer.kind === 'canceled') {
      ledger.closeCanceled(t, answer.reason);
      return;
    }
    const newCid = answer.clientOrderId !== undefined && answer.clientOrderId !== t.clientOrderId ? answer.clientOrderId : undefined;
    const newVid = answer.venueOrderId !== undefined && answer.venueOrderId !== '' && answer.venueOrderId !== t.venueOrderId ? answer.venueOrderId : undefined;
    t.setTerms(spec.priceTicks, spec.totalLots);
    if (newCid !== undefined || newVid !== undefined) ledger.rebind(t, newCid, newVid);
    else if (held !== undefined) ledger.applySnapshot(held); // not a replace after all: the cancel stands
    ledger.report({
      kind: 'AMENDED', orderId: t.orderId, priceTicks: req.priceTicks, qtyLots: req.qtyLots,
      ...(newVid !== undefined ? { venueOrderId: newVid } : {}), ...(newCid !== undefined ? { clientOrderId: newCid } : {}),
    });
    for (const tr of answer.trades ?? []) ledger.applyTrade(tr);
    if (answer.snapshot !== undefined) this.queries.applySnapshot(answer.snapshot);
    if (!this.ctx.stopped) answer.afterBind?.();
  }

  private finishFlow(t: TrackedOrder): void {
    t.amendInFlight = false;
    t.replacing = false;
    t.heldCancel = undefined;
  }

  /**
   * An unknown outcome, by lookup: the replacement found (cancel-replace) -> amended with its ids; the order found
   * with the asked terms -> amended; with the old terms -> not applied (undefined until the request's validity window
   * has passed: it may still execute); canceled with no replacement -> canceled; filled -> not applied. undefined when
   * the venue cannot tell yet.
   */
  private async resolve(t: TrackedOrder, spec: AmendSpec, replaces: boolean, req: AmendRequest, final = false): Promise<AmendAnswer | undefined> {
    try {
      this.ctx.counters.lookups++;
      if (replaces) {
        const fresh = await this.queries.query('order', t.instrument, () =>
          this.ctx.hooks.fetchOrder({ clientOrderId: spec.newClientOrderId, venueOrderId: undefined, instrument: t.instrument }));
        if (fresh !== null && fresh.state !== 'REJECTED') {
          this.ctx.counters.resolvedByLookup++;
          return { kind: 'amended', venueOrderId: fresh.venueOrderId, clientOrderId: spec.newClientOrderId, snapshot: fresh };
        }
      }
      const s = await this.queries.query('order', t.instrument, () => this.ctx.hooks.fetchOrder({ clientOrderId: t.clientOrderId, venueOrderId: t.venueOrderId, instrument: t.instrument }));
      if (s === null) return undefined;
      if (s.state === 'CANCELED' && replaces) {
        if (!final) return undefined; // the replacement may still show up in the venue's reads
        this.ctx.counters.resolvedByLookup++;
        return { kind: 'canceled', reason: 'amend by cancel-replace: the order was canceled and no replacement was placed' };
      }
      const price = s.price === undefined ? undefined : t.instrument.priceToTicks(s.price);
      const qty = s.origQty === undefined ? undefined : t.instrument.qtyToLots(s.origQty);
      const p = price?.ok === true ? price.value : undefined;
      const q = qty?.ok === true ? qty.value : undefined;
      const asked = p === spec.priceTicks && q === spec.totalLots;
      const old = p === t.priceTicks && q === t.qtyLots;
      if (asked && !old) {
        this.ctx.counters.resolvedByLookup++;
        return { kind: 'amended', snapshot: s };
      }
      if (old && !asked && (final || s.state === 'FILLED' || s.state === 'CANCELED' || s.state === 'EXPIRED')) {
        this.ctx.counters.resolvedByLookup++;
        this.finishFlow(t);
        this.rejected(req.orderId, 'VENUE_REJECTED: not applied at the venue (looked up after an unknown outcome)');
        this.queries.applySnapshot(s);
        return undefined;
      }
      return undefined;
    } catch (err) {
      this.ctx.log.warn({ venue: this.ctx.name, clientOrderId: t.clientOrderId, err: errText(err) }, 'amend lookup failed');
      return undefined;
    }
  }

  /** After the request's validity window: look again, now conclusively (the request can no longer execute). */
  private async settleLate(t: TrackedOrder, spec: AmendSpec, replaces: boolean, req: AmendRequest): Promise<void> {
    if (!t.amendInFlight) return; // resolved meanwhile (the lookup found the old terms on a final order)
    const answer = await this.resolve(t, spec, replaces, req, true);
    if (answer !== undefined) {
      this.apply(t, spec, req, answer);
      return;
    }
    if (!t.amendInFlight) return;
    // nothing conclusive even now (the venue cannot be read): ask again later, never guess
    this.ctx.later(Math.max(1000, this.ctx.settings.pollIntervalMs), () => void this.settleLate(t, spec, replaces, req));
  }
}
