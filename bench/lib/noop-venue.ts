/**
 * The no-op venue of bench:submit: takes each batch, notes the handed order ids and (when stamping) the handoff
 * time, and does nothing else (no report, no I/O). Allocates nothing: ids and stamps go into preallocated
 * arrays, the caller empties them with `closeHanded` (or resets `count`).
 */
import { performance } from 'node:perf_hooks';
import type { OrderTracker } from '../../src/core/order-tracker.js';
import type { CancelRequest, OrderBatch, VenueAdapter } from '../../src/execution/venue.js';
import type { OrderUpdate } from '../../src/model/lifecycle.js';

/** The venue's answers the bench applies afterwards to free the slots: acknowledged, then expired (IOC). */
const ACCEPT: OrderUpdate = { kind: 'ACCEPT', venueOrderId: 'noop' };
const EXPIRE: OrderUpdate = { kind: 'EXPIRE' };

export class NoopVenue implements VenueAdapter {
  /** Ids of the orders handed over since the last reset, in handoff order. */
  readonly ids: Float64Array;
  /** Handoff time of each (performance.now(), or timeOrigin + now() when `wallClock`), when stamping. */
  readonly stamps: Float64Array;
  count = 0;
  /** Orders handed over in all. */
  total = 0;
  batches = 0;
  stamping = false;
  /** Stamp with performance.timeOrigin + performance.now() (comparable across threads) instead of performance.now(). */
  wallClock = false;
  /** Called after each batch (e.g. to schedule closing the handed orders); keep it allocation-free. */
  onBatch: (() => void) | undefined;

  constructor(readonly name: string, capacity: number) {
    this.ids = new Float64Array(capacity);
    this.stamps = new Float64Array(capacity);
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  cancel(_request: CancelRequest): void {}

  submit(batch: OrderBatch): void {
    const n = batch.count;
    let k = this.count;
    if (k + n > this.ids.length) throw new Error(`noop venue: more than ${this.ids.length} orders handed before a reset`);
    if (this.stamping) {
      const now = this.wallClock ? performance.timeOrigin + performance.now() : performance.now();
      for (let i = 0; i < n; i++) {
        this.ids[k] = batch.orderId(i);
        this.stamps[k++] = now;
      }
    } else {
      for (let i = 0; i < n; i++) this.ids[k++] = batch.orderId(i);
    }
    this.count = k;
    this.total += n;
    this.batches++;
    if (this.onBatch !== undefined) this.onBatch();
  }

  /**
   * Applies the venue's answers to every order handed since the last call (acknowledged, then expired), so
   * their slots are recycled as in a running daemon; no allocation. Returns how many it closed.
   */
  closeHanded(tracker: OrderTracker, from = 0): number {
    const n = this.count;
    for (let k = from; k < n; k++) {
      const slot = tracker.slotOf(this.ids[k]!);
      if (slot < 0) throw new Error(`noop venue: order ${this.ids[k]} is unknown`);
      tracker.applySlot(slot, ACCEPT);
      tracker.applySlot(slot, EXPIRE);
    }
    this.count = 0;
    return n - from;
  }
}
