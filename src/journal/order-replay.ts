import type { NewOrderFields, OrderStore } from '../core/order-store.js';
import type { OrderTracker } from '../core/order-tracker.js';
import type { OrderIdCounter } from '../model/ids.js';
import { readJournal, type JournalRecord } from './reader.js';
import { REC_EVENT, REC_ORDER, REC_UPDATE, decodeOrderRecordInto, decodeUpdateRecordInto, newOrderRecordFields, type DecodedUpdate } from './order-records.js';
import { decodeSnapshot, type OrderSnapshot } from './order-snapshot.js';
import { NameMapper, REC_NAMES, decodeNames, namesOf, openState } from './name-table.js';
import { tradeIdList, type OrderView } from '../core/order-store.js';
import { amendPending } from '../model/lifecycle.js';
import type { ORDER_STATES } from '../model/order.js';
import type { FeeSum } from '../risk/fee-ledger.js';
import { exportParts, importParts, type JournalStatePart } from '../core/state-parts.js';

export interface ReplayReport {
  readonly records: number;
  readonly orders: number;
  readonly updates: number;
  /** Updates the lifecycle refused on replay (should be 0: they were applied once already). */
  readonly refused: number;
  /** Records about orders the journal does not hold (created before the retained segments). */
  readonly unknown: number;
  readonly lastSeq: number;
  /** Seq of the snapshot the replay started from, or null. */
  readonly snapshotSeq: number | null;
  readonly ms: number;
}

/** What replay needs besides the tracker: risk state from a snapshot. */
export interface SnapshotTarget {
  importPositions(state: { positions: readonly number[]; marks: readonly number[]; feeRemainders?: Readonly<Record<string, string>> | undefined }): void;
  reserve(strategy: number, instrumentIndex: number, side: number, priceTicks: number, qtyLots: number): void;
}

/** Fee sums kept across snapshots (src/risk/fee-ledger.ts); replay rebuilds them from the FILL records after. */
export interface FeeSnapshotSource {
  export(): FeeSum[];
}
export interface FeeSnapshotTarget {
  import(sums: readonly FeeSum[]): void;
}

/**
 * The snapshot of everything the tracker holds, at once (taken between two records). The daemon takes its snapshots
 * in steps instead (snapshot-capture.ts), to the same bytes once encoded; this is that capture's reference in the
 * tests, and a snapshot for tools and tests that need one now.
 */
export function takeSnapshot(
  tracker: OrderTracker,
  lastOrderId: number,
  risk: { exportPositions(): { positions: number[]; marks: number[]; feeRemainders?: Record<string, string> } },
  fees?: FeeSnapshotSource,
  parts?: readonly JournalStatePart[],
): OrderSnapshot {
  const orders = tracker.list(false).map((o: OrderView) => ({
    id: o.id,
    f: {
      strategy: o.strategyIndex, symbol: o.symbolIndex, side: o.side === 'BUY' ? 0 : 1, type: tracker.store.type[o.slot]!,
      tif: tracker.store.tif[o.slot]!, postOnly: o.postOnly, priority: tracker.store.priority[o.slot]!, priceTicks: o.priceTicks,
      stopTicks: o.stopTicks, qtyLots: o.qtyLots, venue: tracker.store.pinned[o.slot]!, clientOrderId: o.clientOrderId,
      producerSeq: o.producerSeq, tag: o.tag, route: tracker.store.route[o.slot]!, parent: tracker.store.parent[o.slot]!,
      algo: tracker.store.algo[o.slot]!, pa: tracker.store.paramA[o.slot]!, pb: tracker.store.paramB[o.slot]!,
      am: tracker.store.arrivalMid[o.slot]!,
    },
    c: o.createdAt,
    u: o.updatedAt,
    s: o.state,
    ven: o.venue ?? null,
    vid: o.venueOrderId ?? null,
    fl: o.filledLots,
    fn: o.filledNotional,
    rp: o.riskPriceTicks,
    tr: o.triggered,
    sbc: o.stateBeforeCancel ?? null,
    r: o.reason ?? null,
    fee: tracker.store.feeTexts[o.slot] ?? null,
    t: tradeIdList(tracker.store.tradeIds[o.slot]),
    ...(amendPending(o)
      ? { amd: [tracker.store.amendPriceTicks[o.slot]!, tracker.store.amendQtyLots[o.slot]!, tracker.store.amendClientIds[o.slot] ?? ''] as [number, number, string] }
      : {}),
  }));
  // The rows and position cells index into `names` (the configuration's lists when it was taken).
  return {
    v: 2, names: namesOf(tracker.store), lastOrderId, risk: risk.exportPositions(), orders,
    ...(fees !== undefined ? { fees: fees.export() } : {}),
    ...(parts !== undefined && parts.length > 0 ? { parts: exportParts(parts) } : {}),
  };
}

/**
 * Rebuild the order tracker (and, through its listeners, risk counters and positions) from the journal in `dir`:
 * ORDER records create the orders, UPDATE records are applied again in order, with their recorded times.
 * Nothing is sent anywhere; the recorder must be inactive while this runs. Strategies, instruments and venues are
 * matched by name through the journal's name tables (`names`: what was removed from the configuration is held
 * there, for the daemon to check after).
 */
export function replayOrders(
  dir: string,
  tracker: OrderTracker,
  store: OrderStore,
  ids: OrderIdCounter,
  risk: SnapshotTarget,
  fees?: FeeSnapshotTarget,
  names: NameMapper = new NameMapper(store),
  parts: readonly JournalStatePart[] = [],
): ReplayReport {
  const t0 = performance.now();
  let records = 0;
  let orders = 0;
  let updates = 0;
  let refused = 0;
  let unknown = 0;
  const summary = readJournal(dir, {}, (r) => {
    if (r.isSnapshot) {
      const snap = decodeSnapshot(r.payload());
      restoreSnapshot(snap, tracker, ids, risk, names);
      fees?.import(snap.fees ?? []);
      importParts(parts, snap.parts);
      return;
    }
    records++;
    const applied = applyOrderRecord(r, tracker, names, ids, undefined, parts);
    if (applied === APPLIED_ORDER) orders++;
    else if (applied === APPLIED_UPDATE) updates++;
    else if (applied === REFUSED_UPDATE) {
      refused++;
      updates++;
    } else if (applied === UNKNOWN_ORDER) unknown++;
  });
  return { records, orders, updates, refused, unknown, lastSeq: summary.endSeq, snapshotSeq: summary.snapshotSeq, ms: performance.now() - t0 };
}

/** applyOrderRecord's ORDER record and the fields it creates the order with (the tracker copies them). */
const decoded = newOrderRecordFields();
const scratchFields: NewOrderFields = {
  strategy: 0, symbol: 0, side: 0, type: 0, tif: 0, postOnly: false, priority: 0, priceTicks: 0, stopTicks: 0, qtyLots: 0, venue: 0,
  clientOrderId: undefined, producerSeq: 0, tag: 0, route: 0, parent: 0, algo: 0, paramA: 0, paramB: 0, arrivalMid: 0,
};
/** applyOrderRecord's UPDATE record (its update is a new object: the tracker's listeners may keep it). */
const decodedUpdate: DecodedUpdate = { orderId: 0, ts: 0, update: { kind: 'TRIGGER' } };

/** What applyOrderRecord did with a record. */
export const APPLIED_ORDER = 1;
export const APPLIED_UPDATE = 2;
/** An UPDATE the lifecycle refused (ERROR): it still counts as an update. */
export const REFUSED_UPDATE = 3;
/** An UPDATE about an order the tracker does not hold. */
export const UNKNOWN_ORDER = 4;
/** An ORDER or UPDATE of an order whose strategy or instrument is not configured any more (held in the NameMapper). */
export const HELD_ORDER = 5;
/** Neither ORDER nor UPDATE (EVENT, NAMES records): nothing to apply. */
export const NOT_AN_ORDER_RECORD = 0;

/**
 * Applies one ORDER or UPDATE record to `tracker` as recovery does: ORDER creates the order with its recorded
 * creation time, UPDATE goes through the lifecycle again and leaves the order's recorded update time. A NAMES record
 * switches `names` to its table; an order of a removed strategy or instrument is held in `names`, not created.
 * `beforeApply(ts)` is called with the record's time before the tracker stamps anything (a replay that publishes
 * events sets its clock there, so the events carry the times they had when they happened).
 */
export function applyOrderRecord(
  r: JournalRecord,
  tracker: OrderTracker,
  names: NameMapper,
  ids?: OrderIdCounter,
  beforeApply?: (ts: number) => void,
  parts: readonly JournalStatePart[] = [],
): number {
  const store = tracker.store;
  if (r.type === REC_ORDER) {
    // decoded into this module's scratch objects: the tracker copies the fields into its store
    const f = decodeOrderRecordInto(r.buffer, r.offset, r.length, decoded);
    const id = f.id;
    const createdAt = f.createdAt;
    ids?.advancePast(id);
    const fields = scratchFields;
    fields.strategy = f.strategy;
    fields.symbol = f.symbol;
    fields.side = f.side;
    fields.type = f.type;
    fields.tif = f.tif;
    fields.postOnly = f.postOnly;
    fields.priority = f.priority;
    fields.priceTicks = f.priceTicks;
    fields.stopTicks = f.stopTicks;
    fields.qtyLots = f.qtyLots;
    fields.venue = f.pinned;
    fields.clientOrderId = f.clientOrderId;
    fields.producerSeq = f.producerSeq;
    fields.tag = f.tag;
    fields.route = f.route;
    fields.parent = f.parent;
    fields.algo = f.algo;
    fields.paramA = f.paramA;
    fields.paramB = f.paramB;
    fields.arrivalMid = f.arrivalMid;
    if (!names.mapOrder(id, fields, 0, true)) return HELD_ORDER;
    beforeApply?.(createdAt);
    const slot = tracker.create(id, fields);
    store.createdAt[slot] = createdAt;
    store.updatedAt[slot] = createdAt;
    return APPLIED_ORDER;
  }
  if (r.type === REC_NAMES) {
    names.use(decodeNames(r.payload()));
    return NOT_AN_ORDER_RECORD;
  }
  if (r.type === REC_EVENT) {
    const payload = r.payload();
    // a trailing stop's best price so far (src/parents/stop-emulation.ts): kept in its stopTicks
    if (startsWith(payload, TRAILING_EVENT)) {
      const e = JSON.parse(new TextDecoder().decode(payload)) as { orderId: number; extremeTicks: number };
      const slot = tracker.slotOf(e.orderId);
      if (slot >= 0 && Number.isSafeInteger(e.extremeTicks)) store.setStopTicks(slot, e.extremeTicks);
      return NOT_AN_ORDER_RECORD;
    }
    // a journal state part's change (state-parts.ts)
    const part = parts.length === 0 ? undefined : partOf(payload, parts);
    if (part !== undefined) {
      part.onEvent(JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>);
      return NOT_AN_ORDER_RECORD;
    }
    // else only the close-out of removed entries matters to replay, and only while such positions are held
    if (names.hasStranded) names.applyEvent(JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>);
    return NOT_AN_ORDER_RECORD;
  }
  if (r.type !== REC_UPDATE) return NOT_AN_ORDER_RECORD;
  const u = decodeUpdateRecordInto(r.buffer, r.offset, r.length, names.venueNames, decodedUpdate);
  const orderId = u.orderId;
  const ts = u.ts;
  const update = u.update;
  const slot = tracker.slotOf(orderId);
  if (slot < 0) return names.applyHeld(orderId, update) ? HELD_ORDER : UNKNOWN_ORDER;
  names.noteUpdate(orderId, update);
  beforeApply?.(ts);
  const t = tracker.applySlot(slot, update);
  store.updatedAt[slot] = ts;
  return t.outcome === 'ERROR' ? REFUSED_UPDATE : APPLIED_UPDATE;
}

/** How the recorder writes a trailing stop's event: JSON.stringify({ event: 'trailing', orderId, extremeTicks }). */
const TRAILING_EVENT = new TextEncoder().encode('{"event":"trailing",');

const EVENT_PREFIX = new TextEncoder().encode('{"event":"');

/** The part whose name an EVENT payload ({"event":"<name>",...}, as the recorder writes it) carries, if any. */
function partOf(payload: Uint8Array, parts: readonly JournalStatePart[]): JournalStatePart | undefined {
  if (!startsWith(payload, EVENT_PREFIX)) return undefined;
  const start = EVENT_PREFIX.length;
  const end = payload.indexOf(0x22, start); // the closing quote (event names are plain ASCII)
  if (end < 0) return undefined;
  const name = new TextDecoder().decode(payload.subarray(start, end));
  return parts.find((p) => p.name === name);
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

/** Puts back every order of a snapshot (risk: reservations of the open ones; ids: the id counter). */
export function restoreSnapshot(
  snap: OrderSnapshot,
  tracker: OrderTracker,
  ids: Pick<OrderIdCounter, 'advancePast'>,
  risk: SnapshotTarget,
  names: NameMapper = new NameMapper(tracker.store),
): void {
  ids.advancePast(snap.lastOrderId);
  // version 1 snapshots (before name tables) index into the configuration as it is
  names.use(snap.names ?? null);
  risk.importPositions(names.mapRisk(snap.risk));
  for (const o of snap.orders) {
    // rows written before routes have neither route nor parent: route table, no parent; rows written before
    // algorithms have no algo, pa, pb, am: algo none, parameters and arrival mid 0
    const { pa, pb, am, ...f } = o.f;
    const fields = {
      ...f, clientOrderId: o.f.clientOrderId, route: o.f.route ?? 0, parent: o.f.parent ?? 0,
      algo: o.f.algo ?? 0, paramA: pa ?? 0, paramB: pb ?? 0, arrivalMid: am ?? 0,
    };
    if (!names.mapOrder(o.id, fields, o.fl, openState(o.s))) continue;
    names.noteVenueName(o.id, o.ven ?? undefined);
    const slot = tracker.restore({
      id: o.id,
      fields,
      createdAt: o.c,
      updatedAt: o.u,
      state: o.s as (typeof ORDER_STATES)[number],
      venue: o.ven ?? undefined,
      venueOrderId: o.vid ?? undefined,
      filledLots: o.fl,
      filledNotional: o.fn,
      riskPriceTicks: o.rp,
      triggered: o.tr,
      stateBeforeCancel: (o.sbc ?? undefined) as (typeof ORDER_STATES)[number] | undefined,
      reason: o.r ?? undefined,
      tradeIds: o.t,
    });
    // per-order fees (absent in rows written before them: none)
    tracker.store.feeTexts[slot] = typeof o.fee === 'string' ? o.fee : undefined;
    // a pending amend's asked terms: settled by a lookup after the restart (intake.resolvePendingAmend)
    if (Array.isArray(o.amd)) {
      tracker.store.amendPriceTicks[slot] = o.amd[0];
      tracker.store.amendQtyLots[slot] = o.amd[1];
      tracker.store.amendClientIds[slot] = o.amd[2] === '' ? undefined : o.amd[2];
    }
    if (tracker.isOpenSlot(slot) && o.rp > 0) risk.reserve(fields.strategy, fields.symbol, o.f.side, o.rp, o.f.qtyLots - o.fl);
  }
}
