/**
 * After replay: does the journal still fit the configuration? (see name-table.ts for how entries are matched)
 *
 *  - An instrument whose tick or lot size changed while the journal holds orders or a position on it refuses the
 *    start: its stored ticks and lots would be read in the new size (no override: the numbers would be wrong).
 *  - A strategy, instrument or venue removed from the configuration while it still has open orders or a position
 *    refuses the start, unless the operator accepts the removal (`switchyard start --accept-removed`, daemon option
 *    acceptRemoved): its open orders are then CANCELED in the journal (reason says why) and its positions dropped
 *    with an audit EVENT (which replay honours next time), and the start goes on.
 * Both refusals are JOURNAL_CONFIG_MISMATCH, with the entries named in the message and in `details`.
 */
import type { OrderTracker } from '../core/order-tracker.js';
import { SwitchyardError } from '../model/errors.js';
import { POSITIONS_DROPPED_EVENT, type NameMapper, type RemovedEntry } from './name-table.js';
import type { JournalRecorder } from './journal-recorder.js';

export interface CloseOutReport {
  readonly removed: readonly RemovedEntry[];
  /** Orders canceled in the journal. */
  readonly canceledOrders: number;
  readonly droppedPositions: readonly { strategy: string; symbol: string; lots: number }[];
}

function describe(e: RemovedEntry): string {
  const parts: string[] = [];
  if (e.openOrders.length > 0) parts.push(`${e.openOrders.length} open order(s) (ids ${e.openOrders.slice(0, 5).join(', ')}${e.openOrders.length > 5 ? ', ...' : ''})`);
  if (e.positionLots !== 0) parts.push(`a position of ${e.positionLots} lots`);
  return `${e.kind} "${e.name}" has ${parts.join(' and ')}`;
}

/** Throws JOURNAL_CONFIG_MISMATCH when the journal does not fit the configuration (and the removal is not accepted). */
export function checkJournalAgainstConfig(names: NameMapper, tracker: OrderTracker, acceptRemoved: boolean): RemovedEntry[] {
  const resized = names.resizedSymbols();
  if (resized.length > 0) {
    throw new SwitchyardError(
      'JOURNAL_CONFIG_MISMATCH',
      `the tick or lot size of instrument(s) ${resized.map((s) => `"${s}"`).join(', ')} changed in the configuration, but the journal holds ` +
        'orders or positions counted in the old size; restore the old size (or finish those orders and start from an empty journal)',
      { resizedSymbols: resized },
    );
  }
  const removed = names.removedInUse(tracker);
  if (removed.length > 0 && !acceptRemoved) {
    throw new SwitchyardError(
      'JOURNAL_CONFIG_MISMATCH',
      `removed from the configuration but still in use in the journal: ${removed.map(describe).join('; ')}. ` +
        'Put them back, or start with --accept-removed to cancel those orders and drop those positions',
      { removed: removed.map((e) => ({ kind: e.kind, name: e.name, openOrders: e.openOrders, positionLots: e.positionLots })) },
    );
  }
  return removed;
}

/**
 * Closes out what removed entries still hold (after the NAMES record of this run was written, with the recorder
 * active): open orders CANCELED, positions dropped with an EVENT.
 */
export function closeOutRemoved(names: NameMapper, tracker: OrderTracker, recorder: JournalRecorder, removed: readonly RemovedEntry[], now: number): CloseOutReport {
  let canceledOrders = 0;
  for (const id of names.openHeldOrders()) {
    if (recorder.closeOut(id, now, 'JOURNAL_CONFIG_MISMATCH: its strategy or instrument was removed from the configuration (--accept-removed)') > 0) canceledOrders++;
  }
  for (const o of names.openAtRemovedVenues(tracker)) {
    const t = tracker.applySlot(o.slot, { kind: 'CANCELED', reason: `JOURNAL_CONFIG_MISMATCH: venue "${o.venue}" was removed from the configuration (--accept-removed)` });
    if (t.outcome !== 'ERROR') canceledOrders++;
  }
  const droppedPositions = names.strandedPositions();
  if (droppedPositions.length > 0) {
    recorder.event({ event: POSITIONS_DROPPED_EVENT, reason: 'removed from the configuration (--accept-removed)', positions: droppedPositions });
    names.applyEvent({ event: POSITIONS_DROPPED_EVENT, positions: droppedPositions });
  }
  return { removed, canceledOrders, droppedPositions };
}
