/**
 * Cancels. They go out at cancel priority by the venue order id our order is bound to (by client order id only while
 * none is known): a client order id is unique only among an account's open orders, so once ours has closed (filled
 * while its report was lost, canceled) another program with the same keys may hold it, and a cancel by client id
 * would cancel their order. A cancel for an order whose submission has not resolved waits for it (submission.ts calls
 * afterKnown once it has; an order dropped before it is sent is CANCELED there). A refused cancel is CANCEL_REJECTED
 * and the order is looked up, so a fill that won the race is reported.
 */
import type { CancelRequest } from '../../src/execution/venue.js';
import { type AdapterContext, accountFailure } from './adapter-context.js';
import { asVenueError } from './errors.js';
import type { TrackedOrder } from './tracked-order.js';
import type { CancelResult } from './types.js';
import type { VenueQueries } from './venue-queries.js';

export class Cancels {
  constructor(
    private readonly ctx: AdapterContext,
    private readonly queries: VenueQueries,
  ) {}

  cancel(request: CancelRequest): void {
    const t = this.ctx.ledger.get(request.clientOrderId) ?? this.ctx.ledger.adopt(request);
    void Promise.resolve().then(() => this.requestCancel(t));
  }

  /** The submission is resolved (accepted): a cancel that waited for it goes now. */
  afterKnown(t: TrackedOrder): void {
    if (t.cancelWanted && t.accepted && !t.done && !t.cancelInFlight) {
      t.cancelWanted = false;
      void this.cancelFlow(t, 0);
    }
  }

  private requestCancel(t: TrackedOrder): void {
    if (t.done) {
      if (t.terminal === 'REJECTED') return; // the daemon has (or will have) the rejection
      this.ctx.ledger.cancelRejected(t, `ORDER_NOT_CANCELABLE: already ${t.terminal?.toLowerCase() ?? 'final'} at the venue`);
      return;
    }
    if (!t.accepted) {
      // not sent yet, on its way, or outcome unknown: the cancel waits for the submission to resolve
      t.cancelWanted = true;
      return;
    }
    if (t.cancelInFlight) return;
    void this.cancelFlow(t, 0);
  }

  private async cancelFlow(t: TrackedOrder, attempt: number): Promise<void> {
    if (this.ctx.stopped) {
      this.ctx.ledger.cancelRejected(t, 'VENUE_UNAVAILABLE: adapter stopped');
      return;
    }
    t.cancelInFlight = true;
    let r: CancelResult;
    try {
      r = await this.ctx.limiter.run(this.ctx.hooks.cancelCosts(t), 'cancel', () => this.ctx.hooks.sendCancel(t), { maxPauseWaitMs: this.ctx.settings.requestTimeoutMs });
      this.ctx.breaker.success();
    } catch (err) {
      const e = asVenueError(err);
      accountFailure(this.ctx.breaker, e);
      r = { kind: 'failed', error: e };
    } finally {
      t.cancelInFlight = false;
    }
    if (r.kind === 'canceled') {
      if (r.snapshot !== undefined) this.queries.applySnapshot(r.snapshot);
      if (t.terminal === undefined) {
        // the venue confirmed the cancel without the order's state: the stream brings it; if not, ask
        this.ctx.later(Math.max(1000, this.ctx.settings.pollIntervalMs), () => {
          if (t.terminal === undefined) void this.queries.refresh(t);
        });
      }
      return;
    }
    const e = r.error;
    switch (e.kind) {
      case 'rejected':
      case 'not-found':
        this.ctx.ledger.cancelRejected(t, e.reason);
        await this.queries.refresh(t);
        return;
      case 'rate-limited':
        if (attempt < this.ctx.settings.maxRateLimitRetries) {
          await this.cancelFlow(t, attempt + 1);
          return;
        }
        this.ctx.ledger.cancelRejected(t, e.reason);
        return;
      case 'unknown': {
        await this.queries.refresh(t);
        if (t.terminal !== undefined) {
          if (t.terminal !== 'CANCELED') this.ctx.ledger.cancelRejected(t, `ORDER_NOT_CANCELABLE: ${t.terminal.toLowerCase()} at the venue`);
          return;
        }
        if (attempt < 2) {
          await this.cancelFlow(t, attempt + 1);
          return;
        }
        this.ctx.ledger.cancelRejected(t, e.reason);
        return;
      }
      default:
        this.ctx.ledger.cancelRejected(t, e.reason);
    }
  }
}
