/**
 * The order events a stream client missed, read back from the journal (`GET /v1/stream?since=SEQ`).
 *
 * An event is one applied lifecycle transition, and its seq is the seq of the UPDATE record that made it durable
 * (see JournalRecorder.onEventRecorded). The journal holds updates, not events: an event's `from` state, filled
 * quantity and so on depend on everything before it. So the cursor rebuilds the orders in a scratch tracker of its
 * own — from the newest snapshot at or before SEQ (or from seq 1 when the journal still starts there), through the
 * records up to SEQ silently — and then applies the records after SEQ through the same lifecycle, describing each
 * applied transition exactly as the daemon described it when it happened. The daemon's tracker is not touched.
 *
 * Events that can no longer be rebuilt — SEQ is before the oldest snapshot and the segments before it were deleted —
 * are reported as unavailable (the stream then sends a RESYNC with the open orders instead).
 */
import { NO_VENUE, OrderStore, type OrderView } from '../core/order-store.js';
import { OrderTracker } from '../core/order-tracker.js';
import type { Clock } from '../model/clock.js';
import type { OrderEvent } from '../model/events.js';
import type { OrderUpdate, Transition } from '../model/lifecycle.js';
import { readLatestSnapshot } from './directory.js';
import { decodeSnapshot } from './order-snapshot.js';
import { applyOrderRecord, restoreSnapshot } from './order-replay.js';
import { JournalScanner, planFor } from './reader.js';
import { NameMapper } from './name-table.js';
import { jsonNumber, jsonPlain, jsonString, jsonStringOrNull } from '../model/json-text.js';

/**
 * The event a stream publishes for a transition recorded at `seq` (live and replayed alike); without a seq (no
 * journal), the tracker's own.
 */
export function streamEvent(seq: number | undefined, tracker: OrderTracker, order: OrderView, update: OrderUpdate, t: Transition): OrderEvent {
  const e = tracker.describe(order, update, t);
  // A fill's time is the fill's own (it is what the journal keeps), so a replayed fill equals the live one.
  return { ...e, seq: seq ?? e.seq, ts: update.kind === 'FILL' ? update.fill.ts : e.ts };
}

/**
 * The JSON text of streamEvent(seq, …) — the same bytes JSON.stringify gives of it — without building the event
 * (the live stream's path: one event per transition). `head` goes first inside the braces: `"type":"event",` for the
 * stream's message, '' for the event alone.
 */
export function streamEventJson(head: string, seq: number | undefined, tracker: OrderTracker, order: OrderView, update: OrderUpdate, t: Transition): string {
  const store = tracker.store;
  const ins = store.instrument(order.slot);
  const ts = update.kind === 'FILL' ? update.fill.ts : order.updatedAt;
  const venue = order.venueIndex;
  // names from the store's JSON tables, enum names and the instrument's decimal texts as they are (jsonPlain); ids,
  // reasons and what the venue sent escaped (jsonString)
  const text = `{${head}"seq":${jsonNumber(seq ?? tracker.seqOf(t))},"ts":${jsonNumber(ts)},"orderId":${jsonNumber(order.id)}`
    + `,"clientOrderId":${jsonString(order.clientOrderId)},"strategy":${store.strategyJson[order.strategyIndex]!},"symbol":${store.symbolJson[ins.index]!}`
    + `,"side":${jsonPlain(order.side)},"venue":${venue === NO_VENUE ? 'null' : store.venueJson[venue]!},"event":${jsonPlain(t.event)},"from":${jsonPlain(t.from)}`
    + `,"state":${jsonPlain(t.to)},"filledQty":${jsonPlain(ins.lotsToQty(order.filledLots))},"reason":${jsonStringOrNull(order.reason)}`;
  if (update.kind !== 'FILL') return `${text}}`;
  const f = update.fill;
  return `${text},"fill":{"tradeId":${jsonString(f.tradeId)},"price":${jsonPlain(ins.ticksToPrice(f.priceTicks))}`
    + `,"qty":${jsonPlain(ins.lotsToQty(f.qtyLots))},"fee":${jsonString(f.fee)}`
    + `,"feeCurrency":${jsonString(f.feeCurrency === '' ? ins.quote : f.feeCurrency)},"feeEstimated":${f.feeEstimated === true}`
    + `,"liquidity":${jsonPlain(f.liquidity)},"venueTs":${f.venueTs > 0 ? jsonNumber(f.venueTs) : 'null'}}}`;
}

export type EventReplayOpen =
  | { readonly ok: true; readonly cursor: EventReplayCursor }
  | { readonly ok: false; readonly reason: string; readonly firstSeq: number };

/** Pulls the events with since < seq <= upTo, in seq order. Close it when done (it holds a file open). */
export class EventReplayCursor {
  private event: OrderEvent | null = null;
  private done = false;

  constructor(
    private readonly scanner: JournalScanner,
    private readonly tracker: OrderTracker,
    /** The journal's name tables, read as the records go (orders of removed entries publish nothing). */
    private readonly names: NameMapper,
    private readonly since: number,
    private readonly upTo: number,
    private readonly time: Float64Array,
  ) {
    tracker.listen({
      onTransition: (order, update, t) => {
        const seq = this.scanner.view.seq;
        if (seq > this.since) this.event = streamEvent(seq, this.tracker, order, update, t);
      },
    });
  }

  /** The next missed event, or null when there is none left. Throws JOURNAL_* errors when the journal cannot be read. */
  next(): OrderEvent | null {
    if (this.done) return null;
    const view = this.scanner.view;
    const setTime = (ts: number): void => {
      this.time[0] = ts;
    };
    while (this.scanner.next()) {
      if (view.isSnapshot) continue;
      if (view.seq > this.upTo) break;
      this.event = null;
      applyOrderRecord(view, this.tracker, this.names, undefined, setTime);
      const e = this.event as OrderEvent | null;
      if (e !== null) return e;
    }
    this.close();
    return null;
  }

  close(): void {
    this.done = true;
    this.scanner.close();
  }
}

/** A scratch tracker rebuilt up to a seq, and the scanner of the records after the snapshot it started from. */
export interface ScratchReplay {
  readonly scanner: JournalScanner;
  readonly tracker: OrderTracker;
  readonly names: NameMapper;
  /** The scratch tracker's clock: the replayer sets it to each record's time. */
  readonly time: Float64Array;
  /** The seq the tracker holds the state as of before the scanner's first record (the snapshot's, or 0). */
  readonly fromSeq: number;
}

export type ScratchReplayOpen =
  | { readonly ok: true; readonly replay: ScratchReplay }
  /** The records after `since` are no longer all there: the journal starts at `firstSeq`; `resumeAfter`: the oldest
   * snapshot seq a replay could start from instead (`since` when there is none). */
  | { readonly ok: false; readonly firstSeq: number; readonly resumeAfter: number };

/**
 * A scratch tracker for reading back what the records after `since` (up to `upTo`, durable records only: one being
 * written may still be torn on disk) did, without touching the daemon's: restored from the newest snapshot at or before
 * `since` (or empty while the journal still starts at seq 1), with the scanner of the records after that snapshot.
 * `live` is the daemon's store (the scratch one gets the same instruments, strategies, venues and client id prefix);
 * `retainFinished` as the daemon's tracker. Shared by the stream's replay and the trade history's catch-up.
 */
export function openScratchReplay(dir: string, live: OrderStore, retainFinished: number, since: number, upTo: number, chunkBytes?: number): ScratchReplayOpen {
  const plan = planFor(dir);
  const firstSeq = plan.segments.length > 0 ? plan.segments[0]!.baseSeq : upTo + 1;
  const older = plan.snapshots.filter((s) => s.seq <= since);
  const snap = older.length > 0 ? readLatestSnapshot(dir, older).latest : null;
  const from = snap !== null ? snap.seq : 0;
  // The records after the starting point must all be there: from seq 1 without a snapshot, else from the snapshot on.
  if (from + 1 < firstSeq) {
    const usable = plan.snapshots.filter((s) => s.seq + 1 >= firstSeq);
    return { ok: false, firstSeq, resumeAfter: usable.length > 0 ? usable[0]!.seq : since };
  }
  const time = new Float64Array(1);
  const clock: Clock = { now: () => time[0]!, monoNs: () => 0n, monoMs: () => 0, cell: time };
  const store = new OrderStore(live.instruments, live.strategyIds, live.venueNames, live.clientIdPrefix, 1024);
  // replays recorded orders (checked when they were made) and finds updates by order id: no client order id index
  const tracker = new OrderTracker(store, clock, { retainFinished, clientOrderIdIndex: false });
  const names = new NameMapper(store);
  if (snap !== null) restoreSnapshot(decodeSnapshot(snap.payload), tracker, { advancePast: () => undefined }, { importPositions: () => undefined, reserve: () => undefined }, names);
  const scanner = new JournalScanner(plan, chunkBytes === undefined ? {} : { chunkBytes }, { useSnapshot: false, fromSeq: from + 1, reportCorruption: false });
  return { ok: true, replay: { scanner, tracker, names, time, fromSeq: from } };
}

/**
 * Opens a cursor over the events after `since` up to `upTo` (since < upTo; see openScratchReplay).
 */
export function openEventReplay(dir: string, live: OrderStore, retainFinished: number, since: number, upTo: number): EventReplayOpen {
  const r = openScratchReplay(dir, live, retainFinished, since, upTo);
  if (!r.ok) {
    return { ok: false, firstSeq: r.firstSeq, reason: `events after seq ${since} are no longer in the journal: it starts at seq ${r.firstSeq} (older segments were deleted after a snapshot)` };
  }
  const { scanner, tracker, names, time } = r.replay;
  return { ok: true, cursor: new EventReplayCursor(scanner, tracker, names, since, upTo, time) };
}
