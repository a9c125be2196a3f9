/**
 * The journal on the order path: its recorder is the tracker's first listener (an update is in the journal before
 * anything else reacts to it), and the batcher's durability gate (a batch goes out only once its orders are durable).
 */
import { JournalRecorder } from '../journal/journal-recorder.js';
import { batchRejecter } from '../execution/batch-reject.js';
import type { VenueBatcher } from '../execution/batcher.js';
import type { OrderStore } from '../core/order-store.js';
import type { OrderTracker } from '../core/order-tracker.js';

export function journalOrderPath(store: OrderStore, tracker: OrderTracker, batcher: VenueBatcher): JournalRecorder {
  const recorder = new JournalRecorder(store);
  tracker.listen(recorder, 'journal');
  // A batch the journal failed under never goes out: its orders never left, so they are finished here,
  // REJECTED JOURNAL_IO (risk released, strategies told; in memory only: the journal takes no more records).
  const rejectNotDurable = batchRejecter(tracker, 'JOURNAL_IO');
  batcher.setDurabilityGate(recorder, (_venue, batch) => rejectNotDurable(batch));
  return recorder;
}
