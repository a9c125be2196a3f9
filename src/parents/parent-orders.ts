/**
 * Parent orders held by the daemon, and their children at the venues: the `sweep` route (sweep-route.ts), emulated
 * stops (stop-emulation.ts) and execution algorithms (algos.ts) all sit on this one model.
 *
 * A parent is an order the daemon holds: it passed pre-trade risk (its reservation covers everything it will do),
 * is SUBMITTED to the pseudo venue `smart` and ACCEPTED there. What it sends to venues are CHILD orders — orders of
 * their own in the store whose ORDER record names the parent (the journal keeps the relationship), each pinned to
 * its venue, sent through the venues' batches like any order (only once its record is on disk, so never twice).
 * Children carry no risk reservation, and risk accounting, the fee ledger and the strategies see the parent only.
 *
 * The parent follows its children: every child fill is applied to the parent as a fill (same trade id, price,
 * quantity, fee and venue — a trade is known by its venue and id, so the parent's are distinct too), so its state,
 * average price, position and PnL roll up. When no child is open any more, the parent's kind decides what comes next
 * (more children, or the end). A cancel of the parent cancels every open child (and what the kind holds: a stop's
 * trigger, an algorithm's schedule); the parent is CANCELED once no child is open.
 *
 * After a restart (journal replay, then reconciliation of the children with their venues) `rebuild` finds each
 * parent's children in the store, and `resume` lets each kind go on from there.
 *
 * A parent's children are a list threaded through typed arrays indexed by slot (grown with the store: 36 bytes a
 * slot), newest first, with each parent's count of open children; a child forgotten by the store (finished, beyond
 * the retention) drops out of its list. Nothing is allocated per parent but the roll-up's fill update.
 */
import { NO_VENUE, ROUTE_BEST, ROUTE_SWEEP, STATE_CODE, TIF_CODE, TYPE_CODE, type NewOrderFields, type OrderStore, type OrderView } from '../core/order-store.js';
import type { OrderTracker, TrackerListener } from '../core/order-tracker.js';
import type { VenueBatcher } from '../execution/batcher.js';
import type { CancelRequest, OrderBatch, VenueAdapter } from '../execution/venue.js';
import type { Clock } from '../model/clock.js';
import type { OrderIdCounter } from '../model/ids.js';
import type { OrderUpdate, Transition } from '../model/lifecycle.js';
import { isOpen } from '../model/order.js';
import type { RoutePlanner } from '../routing/route-planner.js';
import type { Router } from '../routing/router.js';

/** The pseudo venue of the parent orders the daemon holds. */
export const PARENT_VENUE = 'smart';

const CREATED = STATE_CODE.CREATED;
const SUBMITTED = STATE_CODE.SUBMITTED;
const PENDING_CANCEL = STATE_CODE.PENDING_CANCEL;
const LIMIT = TYPE_CODE.LIMIT;
const MARKET = TYPE_CODE.MARKET;
const IOC = TIF_CODE.IOC;

/** What the parent orders need from the intake: cancel a child (at its venue, or in its waiting batch). */
export interface ChildCanceller {
  cancelSlot(slot: number): unknown;
  /** The cancels at venues `cancelSlot` would send for the order now (OrderIntake.venueCancels). */
  venueCancels(slot: number): number;
}

/** One kind of parent (sweep, stop, algorithm). */
export interface ParentKind {
  /** True when this kind holds the order in `slot` (by its type, algorithm or route). */
  owns(slot: number): boolean;
  /**
   * An order of this kind that passed risk: true when it is now held (the kind called `hold`); false = route it whole
   * as an ordinary order.
   */
  take(slot: number): boolean;
  /** No child of the held parent is open (and no cancel is pending): send more, or end it. */
  childrenDone(parent: number): void;
  /** The parent is being canceled: let go of what the kind holds for it (its children are canceled by the core). */
  release?(parent: number): void;
  /** After a restart: go on with an open parent of this kind (its children are known and reconciled). */
  resume(parent: number): void;
}

export class ParentOrders implements VenueAdapter, TrackerListener {
  readonly name = PARENT_VENUE;
  /** While the journal is replayed: the journal already holds every roll-up, nothing is acted on. */
  replaying = false;
  private capacity = 0;
  /** The parent order id the bookkeeping of a slot belongs to (a slot is reused once its order is forgotten). */
  private owner = new Float64Array(0);
  /** Per parent slot: open children, and the newest child (slot and id; -1 none). */
  private openCount = new Int32Array(0);
  private first = new Int32Array(0);
  private firstId = new Float64Array(0);
  /** Per child slot: the next older sibling (slot and id; -1 none). */
  private next = new Int32Array(0);
  private nextId = new Float64Array(0);
  private readonly kinds: ParentKind[] = [];
  private readonly fields: NewOrderFields = {
    strategy: 0, symbol: 0, side: 0, type: LIMIT, tif: IOC, postOnly: false, priority: 1,
    priceTicks: 0, stopTicks: 0, qtyLots: 0, venue: NO_VENUE, clientOrderId: undefined, producerSeq: 0, tag: 0,
    route: 0, parent: 0, algo: 0, paramA: 0, paramB: 0, arrivalMid: 0,
  };
  private readonly submitUpdates: OrderUpdate[];
  private readonly heldSubmit: OrderUpdate = { kind: 'SUBMIT', venue: PARENT_VENUE };
  private readonly heldRoute: OrderUpdate = { kind: 'ROUTE', venue: PARENT_VENUE };
  private readonly accept: OrderUpdate = { kind: 'ACCEPT', venueOrderId: undefined };
  private canceller: ChildCanceller | undefined;

  constructor(
    readonly store: OrderStore,
    readonly tracker: OrderTracker,
    readonly planner: RoutePlanner,
    readonly router: Router,
    private readonly batcher: VenueBatcher,
    private readonly ids: OrderIdCounter,
    readonly clock: Clock,
    /** Per venue: 1 = orders may go there (the dispatcher's). */
    readonly available: Uint8Array,
    /** A cycle soon, to hand over batches filled outside the dispatch loop. */
    readonly wake: () => void,
    /** New orders of a symbol venue v's rate limits take now (VenueAdapter.headroom); absent = no limit. */
    private readonly headroomOf?: (venue: number, symbol: number) => number,
    /**
     * Writes the planner's balance constraints of a symbol (baseBalanceLots / quoteBalanceUnits: the venue balances,
     * src/risk/venue-balances.ts fillConstraints); absent = every venue unconstrained.
     */
    private readonly balancesInto?: (planner: RoutePlanner, symbol: number) => void,
  ) {
    this.submitUpdates = router.venueNames.map((venue) => ({ kind: 'SUBMIT', venue }));
    this.ensure(store.capacity);
  }

  setCanceller(canceller: ChildCanceller): void {
    this.canceller = canceller;
  }

  /** Kinds are asked in the order they were added. */
  addKind(kind: ParentKind): void {
    this.kinds.push(kind);
  }

  /** The kind that holds (or would hold) the order in `slot`, or undefined. */
  kindOf(slot: number): ParentKind | undefined {
    for (let i = 0; i < this.kinds.length; i++) if (this.kinds[i]!.owns(slot)) return this.kinds[i];
    return undefined;
  }

  /** The dispatcher: an order that passed risk (and the crossing book); true when a kind now holds it. */
  take(slot: number): boolean {
    const kind = this.kindOf(slot);
    return kind !== undefined && kind.take(slot);
  }

  /**
   * The planner's venue constraints for a decision about `symbol`, as they are now: which venues may take orders (the
   * dispatcher's breakers and gates), their rate-limit headroom and the balances there (a buy child only what the
   * venue's free quote pays for, fee included; a sell child only the free base). Returns the planner.
   */
  prepare(symbol: number): RoutePlanner {
    const p = this.planner;
    p.usable.set(this.available);
    const headroom = this.headroomOf;
    if (headroom !== undefined) for (let v = 0; v < p.venueCount; v++) p.headroom[v] = p.usable[v] === 1 ? headroom(v, symbol) : 0;
    this.balancesInto?.(p, symbol);
    return p;
  }

  /** The venue for a `best` order: the one with the best fee-adjusted average price for its full size; -1 = no book. */
  best(slot: number): number {
    const s = this.store;
    this.prepare(s.symbol[slot]!);
    return this.planner.best(s.symbol[slot]!, s.side[slot]!, s.qtyLots[slot]! - s.filledLots[slot]!, this.limitOf(slot), this.clock.monoMs());
  }

  limitOf(slot: number): number {
    return this.store.type[slot] === MARKET ? 0 : this.store.priceTicks[slot]!;
  }

  /** Takes the order as a held parent: SUBMITTED (or ROUTEd from the crossing book) to `smart`, and ACCEPTED. */
  hold(slot: number): void {
    const s = this.store;
    this.tracker.applySlot(slot, s.state[slot] === CREATED ? this.heldSubmit : this.heldRoute);
    if (s.state[slot] === SUBMITTED) this.tracker.applySlot(slot, this.accept); // (partly crossed: already going)
    this.ensure(s.capacity);
    this.own(slot);
  }

  /**
   * A child of `parent`: `qtyLots` of `type` / `tif` at `priceTicks` (0 for MARKET), pinned to `venue`, sent now
   * (handed to the venue's batch; the batch goes out at the end of the dispatch cycle — `wake` when not in one).
   * Returns the child's slot.
   */
  sendChild(parent: number, venue: number, type: number, tif: number, qtyLots: number, priceTicks: number): number {
    const child = this.createChild(parent, venue, type, tif, qtyLots, priceTicks, 0);
    this.tracker.applySlot(child, this.submitUpdates[venue]!);
    this.batcher.add(venue, child);
    return child;
  }

  /** A child in CREATED, pinned to `venue` (NO_VENUE: none) and with `route`: the caller sends it. */
  private createChild(parent: number, venue: number, type: number, tif: number, qtyLots: number, priceTicks: number, route: number): number {
    const s = this.store;
    const f = this.fields;
    f.strategy = s.strategy[parent]!;
    f.symbol = s.symbol[parent]!;
    f.side = s.side[parent]!;
    f.type = type;
    f.tif = tif;
    f.priority = s.priority[parent]!;
    f.priceTicks = priceTicks;
    f.qtyLots = qtyLots;
    f.venue = venue;
    f.route = route;
    f.parent = s.id[parent]!;
    f.arrivalMid = s.arrivalMid[parent]!;
    const child = this.tracker.create(this.ids.next(), f);
    this.ensure(s.capacity);
    this.register(parent, child);
    return child;
  }

  /**
   * A child of `parent` routed like an order of its own by `route` (ROUTE_TABLE, ROUTE_BEST, ROUTE_SWEEP — a swept
   * child is a parent in turn), or to the parent's pinned venue. Returns its slot, or -1 when no venue can take it
   * (nothing was created).
   */
  routeChild(parent: number, type: number, tif: number, qtyLots: number, priceTicks: number, route: number): number {
    const s = this.store;
    const pinned = s.pinned[parent]!;
    if (pinned === NO_VENUE && route === ROUTE_SWEEP && type !== MARKET) {
      const child = this.createChild(parent, NO_VENUE, type, tif, qtyLots, priceTicks, ROUTE_SWEEP);
      if (this.take(child)) return child;
      const v = this.venueFor(child, ROUTE_BEST);
      if (v < 0) {
        this.tracker.applySlot(child, { kind: 'CANCELED', reason: 'NO_ROUTE' });
        return child;
      }
      this.tracker.applySlot(child, this.submitUpdates[v]!);
      this.batcher.add(v, child);
      return child;
    }
    const venue = pinned !== NO_VENUE ? (this.available[pinned] === 1 ? pinned : -1) : this.venueForTerms(s.symbol[parent]!, s.side[parent]!, qtyLots, type === MARKET ? 0 : priceTicks, route);
    if (venue < 0) return -1;
    return this.sendChild(parent, venue, type, tif, qtyLots, priceTicks);
  }

  private venueFor(slot: number, route: number): number {
    const s = this.store;
    return this.venueForTerms(s.symbol[slot]!, s.side[slot]!, s.qtyLots[slot]!, this.limitOf(slot), route);
  }

  private venueForTerms(symbol: number, side: number, qtyLots: number, limitTicks: number, route: number): number {
    if (route !== 0) {
      this.prepare(symbol);
      const v = this.planner.best(symbol, side, qtyLots, limitTicks, this.clock.monoMs());
      if (v >= 0) return v;
    }
    return this.router.route(symbol, this.available);
  }

  /** Ends an open parent: CANCELED with `reason` (its fills stand). */
  end(parent: number, reason: string): void {
    if (this.tracker.isOpenSlot(parent)) this.tracker.applySlot(parent, { kind: 'CANCELED', reason });
  }

  /** Starts the (empty) bookkeeping of the order in `slot` as a parent. */
  private own(slot: number): void {
    this.owner[slot] = this.store.id[slot]!;
    this.openCount[slot] = 0;
    this.first[slot] = -1;
  }

  private register(parent: number, child: number): void {
    if (this.owner[parent] !== this.store.id[parent]) this.own(parent);
    this.next[child] = this.first[parent]!;
    this.nextId[child] = this.firstId[parent]!;
    this.first[parent] = child;
    this.firstId[parent] = this.store.id[child]!;
    if (this.tracker.isOpenSlot(child)) this.openCount[parent]!++;
  }

  /** The newest child of a parent still held by the store, or -1. */
  private newest(parent: number): number {
    if (parent >= this.capacity || this.owner[parent] !== this.store.id[parent]) return -1;
    const c = this.first[parent]!;
    return c >= 0 && this.store.id[c] === this.firstId[parent] ? c : -1;
  }

  /** The next older sibling of a child still held by the store, or -1. */
  private older(child: number): number {
    const c = this.next[child]!;
    return c >= 0 && this.store.id[c] === this.nextId[child] ? c : -1;
  }

  /** Open children of a parent. */
  openChildren(parent: number): number {
    return parent < this.capacity && this.owner[parent] === this.store.id[parent] ? this.openCount[parent]! : 0;
  }

  /** The newest child still held by the store, or -1 (a resting rest, a working slice). */
  lastChild(parent: number): number {
    return this.newest(parent);
  }

  /** Every child is finished: the cancel completes, or the parent's kind goes on. */
  private childrenDone(parent: number): void {
    const s = this.store;
    if (!this.tracker.isOpenSlot(parent)) return;
    if (s.state[parent] === PENDING_CANCEL) {
      this.tracker.applySlot(parent, { kind: 'CANCELED' });
      return;
    }
    if (s.qtyLots[parent]! - s.filledLots[parent]! <= 0) return; // FILLED by its last child's fill
    this.kindOf(parent)?.childrenDone(parent);
  }

  // TrackerListener: children roll up into their parents.
  onTransition(order: OrderView, update: OrderUpdate, t: Transition): void {
    if (this.replaying) return;
    const parentId = this.store.parent[order.slot]!;
    if (parentId === 0) return;
    const parent = this.store.slotOf(parentId);
    if (parent < 0) return;
    if (update.kind === 'FILL') this.tracker.applySlot(parent, { kind: 'FILL', fill: { ...update.fill, orderId: parentId } });
    if (this.owner[parent] !== parentId) return;
    if (!isOpen(t.from) && isOpen(t.to)) this.openCount[parent]!++; // a rejection the venue corrected
    if (isOpen(t.from) && !isOpen(t.to) && --this.openCount[parent]! === 0) this.childrenDone(parent);
  }

  // VenueAdapter: the parents' venue.
  async start(): Promise<void> {}

  submit(_batch: OrderBatch): void {
    throw new Error('parent orders are taken by their kinds, not in batches');
  }

  /** A cancel of a parent (PENDING_CANCEL): its kind lets go, every open child is canceled, then the parent. */
  cancel(request: CancelRequest): void {
    const parent = this.store.slotOf(request.orderId);
    if (parent < 0) return;
    this.kindOf(parent)?.release?.(parent);
    for (let c = this.newest(parent); c >= 0; c = this.older(c)) if (this.cancelable(c)) this.canceller?.cancelSlot(c);
    if (this.openChildren(parent) === 0) this.childrenDone(parent);
  }

  /**
   * The cancels at venues a cancel of the parent sends: its children's (`cancel` cancels each cancelable child; a
   * child that is a parent in turn counts its own children). None for the parent itself, which no venue holds.
   */
  venueCancels(parent: number): number {
    let n = 0;
    for (let c = this.newest(parent); c >= 0; c = this.older(c)) if (this.cancelable(c)) n += this.canceller?.venueCancels(c) ?? 0;
    return n;
  }

  /** A child the parent's cancel cancels: open, and no cancel of it pending. */
  private cancelable(child: number): boolean {
    return this.tracker.isOpenSlot(child) && this.store.state[child] !== PENDING_CANCEL;
  }

  async stop(): Promise<void> {}

  /** Children of a parent (order ids) still held by the store, in the order they were created (GET /v1/orders/:id). */
  children(parentSlot: number): number[] {
    const out: number[] = [];
    for (let c = this.newest(parentSlot); c >= 0; c = this.older(c)) out.push(this.store.id[c]!);
    return out.reverse();
  }

  /**
   * After the journal's replay: rebuild every parent's children from the store (in id order). Call before
   * reconciliation, so that what reconciliation finds about a child rolls up into its parent.
   */
  rebuild(): void {
    this.ensure(this.store.capacity);
    this.owner.fill(0);
    const s = this.store;
    const kids: number[] = [];
    for (let slot = 0; slot < s.capacity; slot++) if (s.id[slot]! >= 0 && s.parent[slot] !== 0) kids.push(slot);
    kids.sort((a, b) => s.id[a]! - s.id[b]!);
    for (const child of kids) {
      const parent = s.slotOf(s.parent[child]!);
      if (parent >= 0) this.register(parent, child);
    }
  }

  /** After reconciliation: every open parent at `smart` goes on (its kind decides how), in id order. */
  resume(): void {
    const s = this.store;
    const smart = s.venueIndex(PARENT_VENUE);
    const open: number[] = [];
    for (let slot = 0; slot < s.capacity; slot++) {
      if (s.id[slot]! >= 0 && s.venue[slot] === smart && this.tracker.isOpenSlot(slot)) open.push(slot);
    }
    open.sort((a, b) => s.id[a]! - s.id[b]!);
    for (const slot of open) {
      if (this.owner[slot] !== s.id[slot]) this.own(slot);
      if (s.state[slot] === PENDING_CANCEL) {
        this.cancel({ orderId: s.id[slot]!, clientOrderId: '', venueOrderId: undefined, instrument: s.instruments.at(s.symbol[slot]!) });
        continue;
      }
      if (this.openChildren(slot) === 0 && s.qtyLots[slot]! - s.filledLots[slot]! <= 0) continue;
      this.kindOf(slot)?.resume(slot);
    }
    this.wake();
  }

  private ensure(capacity: number): void {
    if (capacity <= this.capacity) return;
    const grow = <T extends Int32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(capacity);
      b.set(a as never);
      return b;
    };
    this.owner = grow(this.owner, (n) => new Float64Array(n));
    this.openCount = grow(this.openCount, (n) => new Int32Array(n));
    this.first = grow(this.first, (n) => new Int32Array(n));
    this.firstId = grow(this.firstId, (n) => new Float64Array(n));
    this.next = grow(this.next, (n) => new Int32Array(n));
    this.nextId = grow(this.nextId, (n) => new Float64Array(n));
    this.capacity = capacity;
  }
}
