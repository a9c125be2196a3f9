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
import { BUY, NO_VENUE, OrderStore, type OrderView } from '../core/order-store.js';
import { OrderTracker } from '../core/order-tracker.js';
import type { Clock } from '../model/clock.js';
import type { OrderEvent } from '../model/events.js';
import { MAX_CLIENT_ORDER_ID } from '../model/ids.js';
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
/** Most base-36 digits of an order id (a safe integer) in a derived client order id. */
const ID_DIGITS_BOUND = 11;
const QUOTE = 0x22;
const CLOSE_BRACE = 0x7d;

/**
 * What the events of one order store's orders are written with, made once (writeStreamEvent): the opening (`{`, a
 * head — `"type":"event",` for the stream's message, nothing for the event alone — then `"seq":`), and the store's
 * names as JSON with the keys around them, so that an event's run of constant bytes is one copy, not one per key and
 * name.
 */
export class EventFragments {
  readonly opening: Uint8Array;
  /** `,"strategy":<name>,"symbol":` by strategy index. */
  readonly strategy: readonly Uint8Array[];
  /** `<symbol>,"side":"BUY","venue":` at 2 x the symbol's index, the same with "SELL" after it. */
  readonly symbolSide: readonly Uint8Array[];
  /** `<venue>` by venue index. */
  readonly venue: readonly Uint8Array[];
  /** `,"clientOrderId":"<the store's client id prefix>`: a derived client order id's id digits follow. */
  readonly derivedId: Uint8Array;
  /**
   * `,"strategy":…,"symbol":…,"side":…,"venue":…` whole (strategy, then symbolSide and venue, as one copy instead of
   * three), at placeIndex, made the first time one is written: most combinations never happen. Null when the
   * combinations are more than PLACES_MAX (the three pieces are written then).
   */
  private readonly places: (Uint8Array | undefined)[] | null;
  /** The venues and the symbol sides of the store (placeIndex). */
  private readonly venues: number;
  private readonly symbolSides: number;

  /** `placesMax`: most combinations kept whole (places; PLACES_MAX, 0 in tests of the pieces). */
  constructor(store: OrderStore, head: string, placesMax = PLACES_MAX) {
    this.opening = fragment(`{${head}"seq":`);
    this.strategy = store.strategyJson.map((s) => fragment(`,"strategy":${s},"symbol":`));
    this.symbolSide = store.symbolJson.flatMap((s) => [fragment(`${s},"side":"BUY","venue":`), fragment(`${s},"side":"SELL","venue":`)]);
    this.venue = store.venueJson.map(fragment);
    this.derivedId = fragment(`,"clientOrderId":"${store.clientIdPrefix}`);
    this.venues = this.venue.length + 1;
    this.symbolSides = this.symbolSide.length;
    const n = this.strategy.length * this.symbolSides * this.venues;
    this.places = n <= placesMax && placesMax > 0 ? new Array<Uint8Array | undefined>(n).fill(undefined) : null;
  }

  /**
   * The bytes of strategy, symbol and side (symbolSide index) and venue (NO_VENUE: null) in one (see places), or null
   * when they are written in pieces.
   */
  place(strategy: number, symbolSide: number, venue: number): Uint8Array | null {
    const places = this.places;
    if (places === null) return null;
    const v = venue === NO_VENUE ? 0 : venue + 1;
    const k = (strategy * this.symbolSides + symbolSide) * this.venues + v;
    const made = places[k];
    if (made !== undefined) return made;
    const s = this.strategy[strategy]!;
    const y = this.symbolSide[symbolSide]!;
    const z = v === 0 ? NULL_BYTES : this.venue[venue]!;
    const bytes = new Uint8Array(s.length + y.length + z.length);
    bytes.set(s, 0);
    bytes.set(y, s.length);
    bytes.set(z, s.length + y.length);
    places[k] = bytes;
    return bytes;
  }
}

/** Most combinations of strategy, symbol, side and venue an EventFragments makes and keeps whole (place). */
const PLACES_MAX = 1 << 16;

/**
 * The JSON of streamEvent(seq, …) — the same bytes JSON.stringify then UTF-8 give of it — written into `w` without
 * building the event or any string of it (the live paths: one event per transition). `f`: the fragments of the
 * tracker's store. Room is made first (w.reserve(bound)).
 */
export function writeStreamEvent(w: JsonBytes, f: EventFragments, seq: number | undefined, tracker: OrderTracker, order: OrderView, update: OrderUpdate, t: Transition): void {
  const store = tracker.store;
  const slot = order.slot;
  const ins = store.instrument(slot);
  const ts = update.kind === 'FILL' ? update.fill.ts : order.updatedAt;
  const venue = order.venueIndex;
  const symbolSideIndex = 2 * ins.index + (store.side[slot] === BUY ? 0 : 1);
  // strategy, symbol, side and venue as one run of bytes when the fragments keep them whole
  const place = f.place(order.strategyIndex, symbolSideIndex, venue);
  const strategy = place ?? f.strategy[order.strategyIndex]!;
  const symbolSide = place === null ? f.symbolSide[symbolSideIndex]! : EMPTY_BYTES;
  const venueJson = place !== null ? EMPTY_BYTES : venue === NO_VENUE ? NULL_BYTES : f.venue[venue]!;
  // a client order id the daemon derives is written from the id (no string made of it); one given is escaped
  const givenId = store.clientIds[slot];
  const reason = order.reason;
  const filledQty = ins.lotsToQty(order.filledLots);
  let bound = EVENT_KEYS_BOUND + f.opening.length + 4 * NUMBER_BOUND + strategy.length + symbolSide.length + venueJson.length
    + (givenId === undefined ? store.clientIdPrefix.length + ID_DIGITS_BOUND + 2 : stringBound(givenId)) + stringBound(reason) + stringBound(filledQty);
  let price = '';
  let qty = '';
  let feeCurrency = '';
  if (update.kind === 'FILL') {
    const fill = update.fill;
    price = ins.ticksToPrice(fill.priceTicks);
    qty = ins.lotsToQty(fill.qtyLots);
    feeCurrency = fill.feeCurrency === '' ? ins.quote : fill.feeCurrency;
    bound += stringBound(fill.tradeId) + stringBound(price) + stringBound(qty) + stringBound(fill.fee) + stringBound(feeCurrency);
  }
  w.reserve(bound);
  // names and the keys around them from the fragments, enum names with their keys made once, the instrument's
  // decimal texts as they are (plain); ids, reasons and what the venue sent escaped (str)
  w.raw(f.opening);
  w.num(seq ?? tracker.seqOf(t));
  w.raw(K_TS);
  w.num(ts);
  w.raw(K_ORDER_ID);
  w.num(order.id);
  if (givenId === undefined) derivedIdJson(w, f, store, slot);
  else {
    w.raw(K_CLIENT_ORDER_ID);
    w.str(givenId);
  }
  w.raw(strategy);
  if (place === null) {
    w.raw(symbolSide);
    w.raw(venueJson);
  }
  w.raw(transitionKeys(eventIndex(t.event), t.fromIndex, t.toIndex));
  w.plain(filledQty);
  const noReason = reason === undefined || reason === null;
  if (update.kind !== 'FILL') {
    // the event ends here: its closing brace goes with `,"reason":null` (one copy)
    if (noReason) w.raw(K_REASON_NULL_CLOSE);
    else {
      w.raw(K_REASON);
      w.str(reason);
      w.byte(CLOSE_BRACE);
    }
    return;
  }
  if (noReason) w.raw(K_REASON_NULL);
  else {
    w.raw(K_REASON);
    w.str(reason);
  }
  {
    const fill = update.fill;
    w.raw(K_FILL_TRADE_ID);
    w.str(fill.tradeId);
    w.raw(K_PRICE);
    w.plain(price);
    w.raw(K_QTY);
    w.plain(qty);
    w.raw(K_FEE);
    w.str(fill.fee);
    w.raw(K_FEE_CURRENCY);
    w.str(feeCurrency);
    w.raw(K_FILL_FLAGS[(fill.feeEstimated === true ? 2 : 0) + (fill.liquidity === 'MAKER' ? 1 : 0)]!);
    if (fill.venueTs > 0) w.num(fill.venueTs);
    else w.null();
    w.byte(CLOSE_BRACE);
  }
  w.byte(CLOSE_BRACE);
}

/**
 * `,"clientOrderId":"<prefix><id in base 36>"` (the prefix and the digits are letters and digits: nothing to escape).
 * An id derivedClientOrderId refuses (not a non-negative safe integer, or over 32 characters with the prefix) goes the
 * general way, which throws its error as it did.
 */
function derivedIdJson(w: JsonBytes, f: EventFragments, store: OrderStore, slot: number): void {
  const id = store.id[slot]!;
  const start = w.pos;
  if (Number.isSafeInteger(id) && id >= 0) {
    w.raw(f.derivedId);
    w.digits(id, 36);
    if (w.pos - start - f.derivedId.length + store.clientIdPrefix.length <= MAX_CLIENT_ORDER_ID) {
      w.byte(QUOTE);
      return;
    }
    w.pos = start;
  }
  w.raw(K_CLIENT_ORDER_ID);
  w.str(store.clientOrderId(slot));
}

const NULL_BYTES = fragment('null');
const EMPTY_BYTES = new Uint8Array(0);
const K_TS = fragment(',"ts":');
const K_ORDER_ID = fragment(',"orderId":');
const K_CLIENT_ORDER_ID = fragment(',"clientOrderId":');
const K_REASON = fragment(',"reason":');
const K_REASON_NULL = fragment(',"reason":null');
const K_REASON_NULL_CLOSE = fragment(',"reason":null}');
const K_FILL_TRADE_ID = fragment(',"fill":{"tradeId":');
const K_PRICE = fragment(',"price":');
const K_QTY = fragment(',"qty":');
const K_FEE = fragment(',"fee":');
const K_FEE_CURRENCY = fragment(',"feeCurrency":');
/** `,"feeEstimated":…,"liquidity":"…","venueTs":` at 2 x feeEstimated + (MAKER 1, TAKER 0). */
const K_FILL_FLAGS = [false, true].flatMap((estimated) => ['TAKER', 'MAKER'].map((l) => fragment(`,"feeEstimated":${estimated},"liquidity":"${l}","venueTs":`)));

/**
 * `,"event":"…","from":"…","state":"…","filledQty":` of a transition (LIFECYCLE_EVENTS and ORDER_STATES indexes: the
 * model's enum names), made the first time one is written: most of the combinations never happen.
 */
const transitionTable: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(LIFECYCLE_EVENTS.length * ORDER_STATES.length * ORDER_STATES.length).fill(undefined);

function transitionKeys(event: number, from: number, to: number): Uint8Array {
  const k = (event * ORDER_STATES.length + from) * ORDER_STATES.length + to;
  return transitionTable[k] ??= fragment(`,"event":"${LIFECYCLE_EVENTS[event]}","from":"${ORDER_STATES[from]}","state":"${ORDER_STATES[to]}","filledQty":`);
}

/**
 * streamEvent(seq, …) alone (no stream message around it) as its JSON's UTF-8 bytes — what the Redis bus puts in an
 * orders:{symbol} entry — for the order stores of the trackers it is given (the daemon's, a catch-up's scratch one),
 * with each store's fragments made once. One per bus publisher.
 */
export class BareEventWriter {
  private readonly fragments = new WeakMap<OrderStore, EventFragments>();

  /** The event's bytes, written into `arena` (a chunked JsonBytes: the view stays valid). */
  bytes(arena: JsonBytes, seq: number | undefined, tracker: OrderTracker, order: OrderView, update: OrderUpdate, t: Transition): Buffer {
    const store = tracker.store;
    let f = this.fragments.get(store);
    if (f === undefined) {
      f = new EventFragments(store, '');
      this.fragments.set(store, f);
    }
    arena.begin();
    writeStreamEvent(arena, f, seq, tracker, order, update, t);
    return arena.view();
  }
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
 * `retainFinished` as the daemon's tracker. Shared by the stream's replay and the trade history's catch-up. `slots`:
 * the scratch store's slots to start with (more when the snapshot holds more orders; it grows as orders come).
 */
export function openScratchReplay(
  dir: string, live: OrderStore, retainFinished: number, since: number, upTo: number, chunkBytes?: number, slots = SCRATCH_SLOTS,
): ScratchReplayOpen {
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
  const image = snap !== null ? decodeSnapshot(snap.payload) : null;
  // as many slots as the snapshot's orders (and one more) at least: not 1,024 doubled to them, every array copied
  // at each doubling
  const store = new OrderStore(live.instruments, live.strategyIds, live.venueNames, live.clientIdPrefix, scratchSlots(slots, image === null ? 0 : image.orders.length));
  // replays recorded orders (checked when they were made) and finds updates by order id: no client order id index
  const tracker = new OrderTracker(store, clock, { retainFinished, clientOrderIdIndex: false });
  const names = new NameMapper(store);
  if (image !== null) restoreSnapshot(image, tracker, { advancePast: () => undefined }, { importPositions: () => undefined, reserve: () => undefined }, names);
  const scanner = new JournalScanner(plan, chunkBytes === undefined ? {} : { chunkBytes }, { useSnapshot: false, fromSeq: from + 1, reportCorruption: false });
  return { ok: true, replay: { scanner, tracker, names, time, fromSeq: from } };
}

/** A scratch store's slots when nothing says more (openScratchReplay's `slots`). */
const SCRATCH_SLOTS = 1024;

/** The slots of a scratch store: `slots` at least, and a power of two above `orders` (a snapshot's) at least. */
export function scratchSlots(slots: number, orders: number): number {
  let n = Math.max(1, slots);
  while (n <= orders) n *= 2;
  return n;
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
