import type { OrderStore } from '../execution/order-store.js';
import type { OrderTracker } from '../execution/order-tracker.js';
import type { OrderIdCounter } from '../model/ids.js';
import { readJournal } from './reader.js';
import { REC_ORDER, REC_UPDATE, decodeOrderRecord, decodeUpdateRecord } from './order-journal.js';

export interface ReplayReport {
  readonly records: number;
  readonly orders: number;
  readonly updates: number;
  /** Updates the lifecycle refused on replay (should be 0: they were applied once already). */
  readonly refused: number;
  /** Records about orders the journal does not hold (created before the retained segments). */
  readonly unknown: number;
  readonly lastSeq: number;
  readonly ms: number;
}

/**
 * Rebuild the order tracker (and, through its listeners, risk counters and positions) from the journal in `dir`:
 * ORDER records create the orders, UPDATE records are applied again in order, with their recorded times.
 * Nothing is sent anywhere; the recorder must be inactive while this runs.
 */
export function replayOrders(dir: string, tracker: OrderTracker, store: OrderStore, ids: OrderIdCounter, venues: readonly string[]): ReplayReport {
  const t0 = performance.now();
  let records = 0;
  let orders = 0;
  let updates = 0;
  let refused = 0;
  let unknown = 0;
  const summary = readJournal(dir, {}, (r) => {
    records++;
    if (r.type === REC_ORDER) {
      const f = decodeOrderRecord(r.buffer, r.offset, r.length);
      const slot = tracker.create(f.id, {
        strategy: f.strategy, symbol: f.symbol, side: f.side, type: f.type, tif: f.tif, postOnly: f.postOnly, priority: f.priority,
        priceTicks: f.priceTicks, stopTicks: f.stopTicks, qtyLots: f.qtyLots, venue: f.pinned, clientOrderId: f.clientOrderId,
        producerSeq: f.producerSeq, tag: f.tag,
      });
      store.createdAt[slot] = f.createdAt;
      store.updatedAt[slot] = f.createdAt;
      ids.advancePast(f.id);
      orders++;
    } else if (r.type === REC_UPDATE) {
      const u = decodeUpdateRecord(r.buffer, r.offset, r.length, venues);
      const slot = tracker.slotOf(u.orderId);
      if (slot < 0) {
        unknown++;
        return;
      }
      const t = tracker.applySlot(slot, u.update);
      if (t.outcome === 'ERROR') refused++;
      store.updatedAt[slot] = u.ts;
      updates++;
    }
  });
  return { records, orders, updates, refused, unknown, lastSeq: summary.endSeq, ms: performance.now() - t0 };
}
