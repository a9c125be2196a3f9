/**
 * The rule for a batch that must not go out (its adapter's submit threw, or the journal failed under it): every
 * order in it is REJECTED with the reason (risk released, strategies told); a rest routed after a partial internal
 * cross cannot be REJECTED, so it is CANCELED instead and its fills stand.
 */
import type { OrderUpdate } from '../model/lifecycle.js';
import type { StoreBatch } from './batcher.js';
import type { OrderTracker } from '../core/order-tracker.js';

/** Finishes every order of a batch that never left (the two updates are made once here, not per order). */
export function batchRejecter(tracker: OrderTracker, reason: string): (batch: StoreBatch) => void {
  const reject: OrderUpdate = { kind: 'REJECT', reason };
  const cancel: OrderUpdate = { kind: 'CANCELED', reason };
  return (batch) => {
    for (let i = 0; i < batch.count; i++) {
      const slot = batch.slots[i]!;
      if (tracker.applySlot(slot, reject).outcome !== 'APPLIED') tracker.applySlot(slot, cancel);
    }
  };
}
