/**
 * Submission with unknown outcomes. submit() copies the batch view into TrackedOrders (client order id recorded
 * first), then each request (one order, or an OKX batch of up to 20) waits for rate-limit tokens and an in-flight
 * slot, and goes out. Each entry's answer is handled on its own:
 *  - accepted           ACCEPTED (and fills, when the answer carries them);
 *  - refused            REJECTED with the catalogue code and the venue's reason;
 *  - rate limited       sent again after Retry-After (at most maxRateLimitRetries times): it never executed;
 *  - no answer          (timeout, lost connection, 5xx, duplicate client id): the order stays SUBMITTED and is
 *                       looked up by client order id until the venue knows it. Not found is only conclusive once the
 *                       request can no longer execute (its validity window: Binance recvWindow, OKX expTime or the
 *                       request timestamp window, plus clockSkewMs); then REJECTED VENUE_TIMEOUT. Never resent.
 */
import { type OrderBatch, toVenueOrders } from '../../src/execution/venue.js';
import type { Instrument } from '../../src/model/instrument.js';
import { type AdapterContext, accountFailure, errText } from './adapter-context.js';
import { Backoff, sleep } from './backoff.js';
import type { Cancels } from './cancels.js';
import { type VenueError, asVenueError, notSent, unknownOutcome } from './errors.js';
import type { TrackedOrder } from './tracked-order.js';
import { type OrderSnapshot, type PlaceResult, TERMINAL_STATES } from './types.js';
import type { VenueQueries } from './venue-queries.js';
import type { RunOptions } from './venue-rate-limiter.js';

export class Submission {
  constructor(
    private readonly ctx: AdapterContext,
    /** The instruments configured on this venue, by symbol (an order for another is refused). */
    private readonly bySymbol: ReadonlyMap<string, Instrument>,
    private readonly queries: VenueQueries,
    private readonly cancels: Cancels,
  ) {}

  submit(batch: OrderBatch): void {
    const orders: TrackedOrder[] = [];
    for (const order of toVenueOrders(batch)) orders.push(this.ctx.ledger.add(order));
    if (orders.length > 0) void this.placeNew(orders);
  }

  private refusal(t: TrackedOrder): string | undefined {
    if (this.ctx.stopped) return 'VENUE_UNAVAILABLE: adapter stopped';
    if (t.type === 'STOP' || t.type === 'STOP_LIMIT' || t.type === 'TRAILING_STOP') return `VENUE_REJECTED: ${t.type} orders are not supported by the ${this.ctx.name} adapter`;
    const ours = this.bySymbol.get(t.instrument.symbol);
    if (ours === undefined || ours.tick.text !== t.instrument.tick.text || ours.lot.text !== t.instrument.lot.text) {
      return `VENUE_REJECTED: ${t.instrument.symbol} is not configured on venue ${this.ctx.name} (or with another tick/lot size)`;
    }
    if (!this.ctx.breaker.allowsOrders()) return `VENUE_UNAVAILABLE: circuit breaker ${this.ctx.breaker.state} (${this.ctx.breaker.reason})`;
    const paused = this.ctx.limiter.pausedUntilMs;
    if (paused - this.ctx.clock.now() > this.ctx.settings.requestTimeoutMs) return `VENUE_RATE_LIMITED: venue paused for ${Math.ceil((paused - this.ctx.clock.now()) / 1000)} s`;
    return undefined;
  }

  private async placeNew(orders: TrackedOrder[]): Promise<void> {
    // Reports never come out of submit() itself.
    await Promise.resolve();
    try {
      const go: TrackedOrder[] = [];
      for (const t of orders) {
        const why = this.refusal(t);
        if (why !== undefined) this.ctx.ledger.reject(t, why);
        else go.push(t);
      }
      await Promise.all(this.ctx.hooks.planGroups(go).map((g) => this.placeGroup(g, 0)));
    } catch (err) {
      this.ctx.log.error({ venue: this.ctx.name, err: errText(err) }, 'placing orders failed unexpectedly');
    }
  }

  private async placeGroup(group: TrackedOrder[], attempt: number): Promise<void> {
    let sending: TrackedOrder[] = group;
    let results: readonly PlaceResult[];
    let thrown = false;
    const options: RunOptions = { maxPauseWaitMs: this.ctx.settings.requestTimeoutMs };
    try {
      results = await this.ctx.limiter.run(
        this.ctx.hooks.placeCosts(group),
        'order',
        async () => {
          sending = group.filter((t) => {
            if (!t.cancelWanted) return true;
            this.ctx.ledger.canceledUnsent(t);
            return false;
          });
          if (sending.length === 0) return [];
          if (!this.ctx.breaker.allowsOrders()) throw notSent(`circuit breaker ${this.ctx.breaker.state} (${this.ctx.breaker.reason})`);
          const now = this.ctx.clock.now();
          for (const t of sending) {
            t.phase = 'SENT';
            t.sentAt = now;
          }
          this.ctx.counters.ordersSent += sending.length;
          return this.ctx.hooks.place(sending);
        },
        options,
      );
      this.ctx.breaker.success();
    } catch (err) {
      thrown = true;
      const e = asVenueError(err);
      accountFailure(this.ctx.breaker, e);
      results = sending.map(() => ({ kind: 'failed', error: e }) as const);
    }
    const retry: TrackedOrder[] = [];
    let refusedEntries = 0;
    let refusal: VenueError | undefined;
    for (let i = 0; i < sending.length; i++) {
      const t = sending[i]!;
      const r: PlaceResult = results[i] ?? { kind: 'failed', error: unknownOutcome('the venue answer has no entry for this order') };
      if (r.kind === 'accepted') {
        this.ctx.ledger.accept(t, r.venueOrderId);
        if (r.snapshot !== undefined) this.queries.applySnapshot(r.snapshot);
        for (const tr of r.trades ?? []) this.ctx.ledger.applyTrade(tr);
        this.cancels.afterKnown(t);
        continue;
      }
      const e = r.error;
      switch (e.kind) {
        case 'rate-limited':
          refusedEntries++;
          refusal = e;
          if (attempt < this.ctx.settings.maxRateLimitRetries && !this.ctx.stopped) {
            t.phase = 'QUEUED';
            retry.push(t);
          } else {
            this.ctx.ledger.reject(t, e.reason);
          }
          break;
        case 'duplicate':
          // Nothing was placed by this request: another open order holds the client order id. Ours (an earlier
          // request) is adopted; anyone else's is left alone and ours is REJECTED (resolveUnknown).
          t.phase = 'UNKNOWN';
          this.ctx.counters.duplicateAnswers++;
          this.ctx.log.warn({ venue: this.ctx.name, orderId: t.orderId, clientOrderId: t.clientOrderId, reason: e.message }, 'client order id refused as a duplicate: looking up the order that holds it');
          void this.resolveUnknown(t, e.message, true);
          break;
        case 'unknown':
        case 'not-found':
          t.phase = 'UNKNOWN';
          this.ctx.counters.unknownOutcomes++;
          this.ctx.log.warn({ venue: this.ctx.name, orderId: t.orderId, clientOrderId: t.clientOrderId, reason: e.message }, 'submit outcome unknown: looking the order up by client id');
          void this.resolveUnknown(t, e.message);
          break;
        case 'banned':
          this.ctx.breaker.forceOpen(e.reason, e.details.retryAfterMs ?? 120_000);
          this.ctx.ledger.reject(t, e.reason);
          break;
        case 'auth':
          this.ctx.breaker.forceOpen(e.reason, this.ctx.settings.circuitBreaker.maxOpenMs);
          this.ctx.ledger.reject(t, e.reason);
          break;
        default:
          this.ctx.ledger.reject(t, e.reason);
      }
    }
    if (refusal !== undefined && !thrown) {
      // entries of an answered request (a batch) refused on their own: learn from them too
      this.ctx.limiter.refused(refusal, this.ctx.hooks.placeCosts(sending).map((c) => c.pool), refusedEntries);
    }
    if (retry.length > 0) {
      this.ctx.counters.rateLimitRetries += retry.length;
      await Promise.all(this.ctx.hooks.planGroups(retry).map((g) => this.placeGroup(g, attempt + 1)));
    }
  }

  /**
   * Looks an order up by client order id after a submission without a usable answer (timeout, lost connection, 5xx)
   * or one the venue refused as a duplicate client order id (`duplicate`: that request placed nothing). An order
   * found there is taken as ours only if it is what we sent (symbol, side, type, quantity, price: order-match.ts):
   *  - found, ours            ACCEPTED (and its fills), as if the answer had come;
   *  - found, someone else's  left alone and logged (never tracked, never canceled); ours is REJECTED
   *                           DUPLICATE_CLIENT_ORDER_ID at once after a duplicate answer, or when the other order is
   *                           open (the venue would then have refused ours); after the validity window when the other
   *                           order is final (ours, still on its way, might yet execute: its own reports would tell);
   *  - not found              looked up again until the request's validity window has passed (a venue's queries may
   *                           lag its answers); then REJECTED VENUE_TIMEOUT, or DUPLICATE_CLIENT_ORDER_ID after a
   *                           duplicate answer (the order that held the id is gone or on another symbol: nothing of
   *                           ours was placed, and nothing is adopted blindly).
   */
  private async resolveUnknown(t: TrackedOrder, why: string, duplicate = false): Promise<void> {
    const deadline = t.sentAt + this.ctx.hooks.validityWindowMs();
    const backoff = new Backoff({ minMs: 100, maxMs: 2000 });
    let foreign: { venueOrderId: string | undefined; mismatches: string[] } | undefined;
    while (!this.ctx.stopped) {
      if (t.accepted || t.done) {
        this.cancels.afterKnown(t);
        return;
      }
      let snap: OrderSnapshot | null;
      try {
        this.ctx.counters.lookups++;
        snap = await this.queries.query('order', t.instrument, () => this.ctx.hooks.fetchOrder(t));
      } catch (err) {
        this.ctx.log.warn({ venue: this.ctx.name, clientOrderId: t.clientOrderId, err: errText(err) }, 'lookup failed; trying again');
        await sleep(backoff.next(), this.ctx.signal);
        continue;
      }
      if (t.accepted || t.done) {
        this.cancels.afterKnown(t);
        return;
      }
      if (snap !== null) {
        const mismatches = this.ctx.ledger.isForeign(snap.venueOrderId) ? ['known to be another order'] : this.ctx.ledger.mismatches(t, snap).map((m) => m.text);
        if (mismatches.length === 0) {
          if (duplicate) this.ctx.counters.duplicatesAdopted++;
          else this.ctx.counters.resolvedByLookup++;
          this.queries.applySnapshot(snap);
          if (!t.accepted && !t.done) this.ctx.ledger.accept(t, snap.venueOrderId);
          this.cancels.afterKnown(t);
          return;
        }
        this.ctx.ledger.markForeign(t, snap.venueOrderId, snap.state, mismatches);
        foreign = { venueOrderId: snap.venueOrderId, mismatches };
        if (duplicate || !TERMINAL_STATES.has(snap.state)) {
          this.rejectDuplicate(t, why, foreign);
          return;
        }
      }
      const now = this.ctx.clock.now();
      if (now >= deadline) {
        if (duplicate || foreign !== undefined) {
          this.rejectDuplicate(t, why, foreign);
          return;
        }
        this.ctx.counters.resolvedNotFound++;
        t.givenUp = true; // still looked for by reconciliation while retained: a lagging venue query would show it
        this.ctx.ledger.reject(
          t,
          `VENUE_TIMEOUT: ${why}; the venue has no order with client id ${t.clientOrderId} after the request's validity window`,
        );
        if (t.cancelWanted) this.ctx.ledger.cancelRejected(t, 'VENUE_REJECTED: the order never reached the venue');
        return;
      }
      await sleep(Math.max(backoff.next(), deadline - now + 1), this.ctx.signal);
    }
  }

  /** Our order is not at the venue: another order holds its client order id there (left alone). */
  private rejectDuplicate(t: TrackedOrder, why: string, foreign: { venueOrderId: string | undefined; mismatches: string[] } | undefined): void {
    const held =
      foreign === undefined
        ? `no order with that id found in ${t.instrument.symbol} within the request's validity window`
        : `the venue's order ${foreign.venueOrderId ?? '(no id)'} under that id is not ours (${foreign.mismatches.join('; ')}); left alone`;
    this.ctx.ledger.reject(t, `DUPLICATE_CLIENT_ORDER_ID: ${why}; client order id ${t.clientOrderId}: ${held}`);
    // a cancel that waited for the submission: there is nothing of ours to cancel, and the other order is not ours
    if (t.cancelWanted) this.ctx.ledger.cancelRejected(t, 'ORDER_NOT_CANCELABLE: the order was rejected (duplicate client order id); nothing was canceled');
  }
}
