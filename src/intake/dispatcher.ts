import type { OrderTracker } from '../execution/order-tracker.js';
import { ArrayOrderBatch, type VenueAdapter, type VenueOrder } from '../execution/venue.js';
import type { InstrumentRegistry } from '../model/instrument.js';
import type { Order } from '../model/order.js';
import type { PreTradeRisk } from '../risk/pre-trade-risk.js';
import type { Router } from '../routing/router.js';
import type { BoundedQueue } from './bounded-queue.js';

/**
 * The single dispatching loop: drains the intake queue, runs pre-trade risk, routes, marks the order
 * SUBMITTED and hands each venue its batch of the cycle. An order taken out of the queue before it was
 * dispatched (canceled while queued) is skipped.
 */
export class Dispatcher {
  private scheduled = false;
  private readonly batches: VenueOrder[][];
  /** 1 = venue may receive orders (its circuit breaker is closed). */
  readonly available: Uint8Array;

  constructor(
    private readonly queue: BoundedQueue<Order>,
    private readonly tracker: OrderTracker,
    private readonly risk: PreTradeRisk,
    private readonly router: Router,
    private readonly venues: readonly VenueAdapter[],
    private readonly instruments: InstrumentRegistry,
    private readonly maxPerCycle = 4096,
  ) {
    this.batches = venues.map(() => []);
    this.available = new Uint8Array(venues.length).fill(1);
  }

  /** Ask for a drain soon (after the current I/O callbacks). */
  wake(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.drain);
  }

  /** Drain up to maxPerCycle orders now; reschedules itself while orders remain. */
  readonly drain = (): void => {
    this.scheduled = false;
    for (let i = 0; i < this.maxPerCycle; i++) {
      const order = this.queue.shift();
      if (order === undefined) break;
      if (order.state === 'CREATED') this.dispatch(order);
    }
    for (let v = 0; v < this.batches.length; v++) {
      const batch = this.batches[v]!;
      if (batch.length === 0) continue;
      this.batches[v] = [];
      this.venues[v]!.submit(new ArrayOrderBatch(batch));
    }
    if (this.queue.size > 0) this.wake();
  };

  private dispatch(order: Order): void {
    const ins = this.instruments.get(order.symbol)!;
    let venue: number;
    if (order.venue !== undefined) {
      venue = this.router.venueIndex(order.venue);
      if (this.available[venue] !== 1) {
        this.tracker.apply(order.id, { kind: 'DENY', reason: 'VENUE_UNAVAILABLE' });
        return;
      }
    } else {
      venue = this.router.route(ins.index, order.qtyLots, this.available);
      if (venue < 0) {
        this.tracker.apply(order.id, { kind: 'DENY', reason: 'NO_ROUTE' });
        return;
      }
    }
    const s = this.risk.strategyIndex(order.strategy);
    const code = this.risk.check(s, ins.index, order.priceTicks, order.qtyLots);
    if (code !== null) {
      this.tracker.apply(order.id, { kind: 'DENY', reason: code });
      return;
    }
    order.riskPriceTicks = order.priceTicks > 0 ? order.priceTicks : this.risk.markOf(ins.index);
    const adapter = this.venues[venue]!;
    this.tracker.apply(order.id, { kind: 'SUBMIT', venue: adapter.name });
    this.batches[venue]!.push({
      orderId: order.id,
      clientOrderId: order.clientOrderId,
      instrument: ins,
      side: order.side,
      type: order.type,
      timeInForce: order.timeInForce,
      postOnly: order.postOnly,
      priceTicks: order.priceTicks,
      stopTicks: order.stopTicks,
      qtyLots: order.qtyLots,
    });
  }
}
