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
import { eventIndex, LIFECYCLE_EVENTS, type OrderUpdate, type Transition } from '../model/lifecycle.js';
import { ORDER_STATES } from '../model/order.js';
import { readLatestSnapshot } from './directory.js';
import { decodeSnapshot } from './order-snapshot.js';
import { applyOrderRecord, restoreSnapshot } from './order-replay.js';
import { JournalScanner, planFor } from './reader.js';
import { NameMapper } from './name-table.js';
import { fragment, JsonBytes, NUMBER_BOUND, stringBound } from './json-bytes.js';

/**
 * The event a stream publishes for a transition recorded at `seq` (live and replayed alike); without a seq (no
 * journal), the tracker's own.
 */
export function streamEvent(seq: number | undefined, tracker: OrderTracker, order: OrderView, update: OrderUpdate, t: Transition): OrderEvent {
  const e = tracker.describe(order, update, t);
  // A fill's time is the fill's own (it is what the journal keeps), so a replayed fill equals the live one.
  return { ...e, seq: seq ?? e.seq, ts: update.kind === 'FILL' ? update.fill.ts : e.ts };
}

/** The bytes of the keys and punctuation of an event's JSON (writeStreamEvent), beyond its opening and values. */
const EVENT_KEYS_BOUND = 512;

/**
 * What an event's JSON begins with, up to its seq's value: `{`, then `head` (`"type":"event",` for the stream's
 * message, nothing for the event alone), then `"seq":`. Made once per head.
 */
export function eventOpening(head: string): Uint8Array {
  return fragment(`{${head}"seq":`);
}

/**
 * The JSON of streamEvent(seq, …) — the same bytes JSON.stringify then UTF-8 give of it — written into `w` without
 * building the event or any string of it (the live paths: one event per transition). `opening`: eventOpening's.
 * Room is made first (w.reserve(bound)).
 */
export function writeStreamEvent(w: JsonBytes, opening: Uint8Array, seq: number | undefined, tracker: OrderTracker, order: OrderView, update: OrderUpdate, t: Transition): void {
  const store = tracker.store;
  const ins = store.instrument(order.slot);
  const ts = update.kind === 'FILL' ? update.fill.ts : order.updatedAt;
  const venue = order.venueIndex;
  const strategy = store.strategyJson[order.strategyIndex]!;
  const symbol = store.symbolJson[ins.index]!;
  const venueJson = venue === NO_VENUE ? null : store.venueJson[venue]!;
  const clientOrderId = order.clientOrderId;
  const reason = order.reason;
  const filledQty = ins.lotsToQty(order.filledLots);
  let bound = EVENT_KEYS_BOUND + opening.length + 4 * NUMBER_BOUND + 3 * (strategy.length + symbol.length + (venueJson?.length ?? 0))
    + stringBound(clientOrderId) + stringBound(reason) + stringBound(filledQty);
  let price = '';
  let qty = '';
  let feeCurrency = '';
  if (update.kind === 'FILL') {
    const f = update.fill;
    price = ins.ticksToPrice(f.priceTicks);
    qty = ins.lotsToQty(f.qtyLots);
    feeCurrency = f.feeCurrency === '' ? ins.quote : f.feeCurrency;
    bound += stringBound(f.tradeId) + stringBound(price) + stringBound(qty) + stringBound(f.fee) + stringBound(feeCurrency);
  }
  w.reserve(bound);
  // names from the store's JSON tables as they are (json), enum names with their keys made once, the instrument's
  // decimal texts as they are (plain); ids, reasons and what the venue sent escaped (str)
  w.raw(opening);
  w.num(seq ?? tracker.seqOf(t));
  w.raw(K_TS);
  w.num(ts);
  w.raw(K_ORDER_ID);
  w.num(order.id);
  w.raw(K_CLIENT_ORDER_ID);
  w.str(clientOrderId);
  w.raw(K_STRATEGY);
  w.json(strategy);
  w.raw(K_SYMBOL);
  w.json(symbol);
  w.raw(order.side === 'BUY' ? K_SIDE_BUY : K_SIDE_SELL);
  w.raw(K_VENUE);
  if (venueJson === null) w.null();
  else w.json(venueJson);
  w.raw(K_EVENT[eventIndex(t.event)]!);
  w.raw(K_FROM[t.fromIndex]!);
  w.raw(K_STATE[t.toIndex]!);
  w.raw(K_FILLED_QTY);
  w.plain(filledQty);
  w.raw(K_REASON);
  if (reason === undefined || reason === null) w.null();
  else w.str(reason);
  if (update.kind === 'FILL') {
    const f = update.fill;
    w.raw(K_FILL_TRADE_ID);
    w.str(f.tradeId);
    w.raw(K_PRICE);
    w.plain(price);
    w.raw(K_QTY);
    w.plain(qty);
    w.raw(K_FEE);
    w.str(f.fee);
    w.raw(K_FEE_CURRENCY);
    w.str(feeCurrency);
    w.raw(f.feeEstimated === true ? K_FEE_ESTIMATED_TRUE : K_FEE_ESTIMATED_FALSE);
    w.raw(f.liquidity === 'MAKER' ? K_LIQUIDITY_MAKER : K_LIQUIDITY_TAKER);
    w.raw(K_VENUE_TS);
    if (f.venueTs > 0) w.num(f.venueTs);
    else w.null();
    w.byte(CLOSE_BRACE);
  }
  w.byte(CLOSE_BRACE);
}

const CLOSE_BRACE = 0x7d;
const K_TS = fragment(',"ts":');
const K_ORDER_ID = fragment(',"orderId":');
const K_CLIENT_ORDER_ID = fragment(',"clientOrderId":');
const K_STRATEGY = fragment(',"strategy":');
const K_SYMBOL = fragment(',"symbol":');
const K_SIDE_BUY = fragment(',"side":"BUY"');
const K_SIDE_SELL = fragment(',"side":"SELL"');
const K_VENUE = fragment(',"venue":');
/** `,"event":"…"` by LIFECYCLE_EVENTS index; `,"from":"…"` and `,"state":"…"` by ORDER_STATES index (the model's enum names). */
const K_EVENT = LIFECYCLE_EVENTS.map((e) => fragment(`,"event":"${e}"`));
const K_FROM = ORDER_STATES.map((s) => fragment(`,"from":"${s}"`));
const K_STATE = ORDER_STATES.map((s) => fragment(`,"state":"${s}"`));
const K_FILLED_QTY = fragment(',"filledQty":');
const K_REASON = fragment(',"reason":');
const K_FILL_TRADE_ID = fragment(',"fill":{"tradeId":');
const K_PRICE = fragment(',"price":');
const K_QTY = fragment(',"qty":');
const K_FEE = fragment(',"fee":');
const K_FEE_CURRENCY = fragment(',"feeCurrency":');
const K_FEE_ESTIMATED_TRUE = fragment(',"feeEstimated":true');
const K_FEE_ESTIMATED_FALSE = fragment(',"feeEstimated":false');
const K_LIQUIDITY_MAKER = fragment(',"liquidity":"MAKER"');
const K_LIQUIDITY_TAKER = fragment(',"liquidity":"TAKER"');
const K_VENUE_TS = fragment(',"venueTs":');
const BARE_OPENING = eventOpening('');

/**
 * streamEvent(seq, …) alone (no stream message around it) as its JSON's UTF-8 bytes, written into `arena` (a chunked
 * JsonBytes: the view stays valid) — what the Redis bus puts in an orders:{symbol} entry.
 */
export function streamEventBytes(arena: JsonBytes, seq: number | undefined, tracker: OrderTracker, order: OrderView, update: OrderUpdate, t: Transition): Buffer {
  arena.begin();
  writeStreamEvent(arena, BARE_OPENING, seq, tracker, order, update, t);
  return arena.view();
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
