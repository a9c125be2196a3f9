import type { Clock } from '../model/clock.js';
import type { OrderEvent } from '../model/events.js';
import type { OrderId } from '../model/ids.js';
import { applyUpdateInto, Transition, type OrderUpdate } from '../model/lifecycle.js';
import { OPEN_STATES, ORDER_STATES, type OrderState } from '../model/order.js';
import { ClientIdIndex } from './client-id-index.js';
import { OrderView, STATE_CODE, type NewOrderFields, type OrderStore } from './order-store.js';

/**
 * Told about every applied transition and every update the lifecycle refused or ignored. `order` is a view that is
 * only valid during the call; `t` likewise (both are reused). Listeners must not throw; one that does is isolated
 * (see TrackerOptions.onListenerError): the update stands and the other listeners are still told.
 * The tracker reads a listener's methods once, when it is added (`listen`): replacing one afterwards has no effect.
 */
export interface TrackerListener {
  /** A new order (in CREATED), before anything else happens to it. */
  onCreate?(order: OrderView): void;
  onTransition?(order: OrderView, update: OrderUpdate, t: Transition): void;
  /** An update the lifecycle refused (INVALID_TRANSITION, OVERFILL, INVALID_FILL) or ignored (duplicates, late reports). */
  onAnomaly?(order: OrderView, update: OrderUpdate, t: Transition): void;
  /**
   * true: its onTransition acts on applied FILL updates only (fees, positions, execution quality), so the tracker
   * calls it for those alone — in its place among the listeners — and spares it the other transitions of every order.
   */
  readonly fillsOnly?: boolean;
}

/** An order as a journal snapshot holds it. */
export interface RestoredOrder {
  readonly id: OrderId;
  readonly fields: NewOrderFields;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly state: OrderState;
  readonly venue: string | undefined;
  readonly venueOrderId: string | undefined;
  readonly filledLots: number;
  readonly filledNotional: number;
  readonly riskPriceTicks: number;
  readonly triggered: boolean;
  readonly stateBeforeCancel: OrderState | undefined;
  readonly reason: string | undefined;
  readonly tradeIds: readonly string[];
}

export interface TrackerOptions {
  /** How many finished orders stay queryable; the oldest are forgotten beyond this. */
  readonly retainFinished: number;
  /**
   * A listener threw (a bug in it): called with its name, the error, the order's id and how many times that
   * listener has thrown so far. The tracker has already counted it (listenerErrors) and goes on with the next
   * listener: one broken listener (metrics, API stream, risk) never stops the others or the order's update.
   */
  readonly onListenerError?: (listener: string, error: unknown, orderId: OrderId, count: number) => void;
  /**
   * Index the client order ids producers give (default true): the daemon's tracker must (duplicate checks at intake,
   * lookups, reports by client order id). A tracker that only replays what the journal recorded — orders already
   * checked, updates found by order id — passes false and keeps no index: create neither checks nor indexes, and a
   * lookup by client order id throws.
   */
  readonly clientOrderIdIndex?: boolean;
  /**
   * Seed of the client order id index's hash (ClientIdIndex): where ids sit in its table, never what a lookup answers.
   * Default: random, so that clients cannot choose ids that collide.
   */
  readonly clientIdHashSeed?: number;
}

/** Errors thrown by one named listener (GET /metrics: switchyard_listener_errors_total). */
export interface ListenerErrors {
  readonly listener: string;
  readonly errors: number;
}

const OPEN_CODE = new Uint8Array(ORDER_STATES.length);
for (const s of OPEN_STATES) OPEN_CODE[STATE_CODE[s]] = 1;

/**
 * The listeners that have one hook (onCreate, onTransition or onAnomaly): the method, read once when the listener
 * is added, its listener (the receiver) and the listener's index in the tracker (for its error count).
 *
 * Why not call `listeners[i].onTransition?.(...)`: that one property load sees every listener class of the daemon
 * (journal, ring intake, intake, risk, fees, metrics, log, API stream: five or more), which makes it megamorphic in
 * V8 — a stub-cache probe per listener per update, and per order for onCreate although only the journal has it.
 * Calling the method read at `listen` costs a plain call, whatever the number of listener classes, and a listener
 * without the hook costs nothing. Measured on Node 20 with five listener classes: create + SUBMIT about 165 -> 120 ns
 * per order; bench:submit in process about 12% more orders/s (back to where it was with four listener classes).
 */
class ListenerHooks<F extends (...args: never[]) => void> {
  readonly fns: F[] = [];
  readonly receivers: TrackerListener[] = [];
  readonly listenerIndex: number[] = [];

  add(fn: F | undefined, receiver: TrackerListener, listenerIndex: number): void {
    if (typeof fn !== 'function') return;
    this.fns.push(fn);
    this.receivers.push(receiver);
    this.listenerIndex.push(listenerIndex);
  }
}

type CreateHook = (order: OrderView) => void;
type UpdateHook = (order: OrderView, update: OrderUpdate, t: Transition) => void;

/**
 * Every order the daemon knows (in the OrderStore), indexed by id and client order id. The only place that applies
 * lifecycle updates, so every applied transition gets exactly one sequence number. Applying an update allocates
 * nothing (fills excepted: their trade ids are remembered).
 */
export class OrderTracker {
  private readonly listeners: TrackerListener[] = [];
  /** Per listener (same index): its name and the errors it threw. */
  private readonly listenerNames: string[] = [];
  private readonly listenerErrorCounts: number[] = [];
  /** Per hook, the listeners that have it, in the order they were added (see ListenerHooks). */
  private readonly createHooks = new ListenerHooks<CreateHook>();
  private readonly transitionHooks = new ListenerHooks<UpdateHook>();
  /** The transition hooks without the fill-only listeners: called for every update that is not a FILL. */
  private readonly nonFillHooks = new ListenerHooks<UpdateHook>();
  private readonly anomalyHooks = new ListenerHooks<UpdateHook>();
  /**
   * One view, one Transition and one sequence number per nesting level of applySlot: a listener may apply another
   * update through the tracker, and the listeners after it must still see their own order and transition.
   * Levels are made once, on first use; nothing is allocated per update.
   */
  private readonly cursors: OrderView[] = [];
  private readonly transitions: Transition[] = [];
  private readonly seqs: number[] = [];
  private depth = 0;
  /** The view handed to onCreate listeners. */
  private readonly createView: OrderView;
  /** Client order ids given by producers (ids the daemon makes are found by decoding them). */
  private readonly byClientId: ClientIdIndex;
  /** Finished slots, oldest first, in a ring. */
  private finished: Int32Array;
  private finishedHead = 0;
  private finishedCount = 0;
  private seq = 0;
  private openCount = 0;
  /** Open orders per strategy index (their sum is openCount): GET /metrics' switchyard_open_orders. */
  private readonly openByStrategy: Int32Array;
  /** Finished slots opened again (corrected rejections) whose retention-ring entry may still be there. */
  private readonly reopened = new Set<number>();
  /** options.clientOrderIdIndex. */
  private readonly indexed: boolean;

  constructor(
    readonly store: OrderStore,
    private readonly clock: Clock,
    private readonly options: TrackerOptions,
  ) {
    if (!(options.retainFinished >= 1)) throw new RangeError('retainFinished must be at least 1');
    this.indexed = options.clientOrderIdIndex !== false;
    this.byClientId = new ClientIdIndex(store, options.clientIdHashSeed ?? crypto.getRandomValues(new Int32Array(1))[0]!, this.indexed ? store.capacity : 16);
    this.cursors.push(new OrderView(store));
    this.createView = new OrderView(store);
    this.transitions.push(new Transition());
    this.seqs.push(0);
    this.finished = new Int32Array(Math.min(options.retainFinished + 1, 1 << 16));
    this.openByStrategy = new Int32Array(store.strategyIds.length);
  }

  /** Add a listener; `name` labels its errors (default: its class name). */
  listen(listener: TrackerListener, name?: string): void {
    const index = this.listeners.length;
    this.listeners.push(listener);
    this.createHooks.add(listener.onCreate, listener, index);
    this.transitionHooks.add(listener.onTransition, listener, index);
    if (listener.fillsOnly !== true) this.nonFillHooks.add(listener.onTransition, listener, index);
    this.anomalyHooks.add(listener.onAnomaly, listener, index);
    this.listenerNames.push(name ?? (listener.constructor === Object ? 'anonymous' : listener.constructor.name));
    this.listenerErrorCounts.push(0);
  }

  /** Errors thrown by listeners so far, per listener name (names given twice are summed). */
  listenerErrors(): ListenerErrors[] {
    const sums = new Map<string, number>();
    for (let i = 0; i < this.listeners.length; i++) {
      const name = this.listenerNames[i]!;
      sums.set(name, (sums.get(name) ?? 0) + this.listenerErrorCounts[i]!);
    }
    return [...sums].map(([listener, errors]) => ({ listener, errors }));
  }

  /** Listener `i` threw: count it and report it; never rethrown (the other listeners still run). Off the hot path. */
  private listenerFailed(i: number, error: unknown, orderId: OrderId): void {
    const count = ++this.listenerErrorCounts[i]!;
    try {
      this.options.onListenerError?.(this.listenerNames[i]!, error, orderId, count);
    } catch {
      // the reporter must not break the isolation it reports on
    }
  }

  /** A new order in CREATED; returns its slot. Throws if the client order id is taken (check first). */
  create(id: OrderId, fields: NewOrderFields): number {
    const cid = this.indexed ? fields.clientOrderId : undefined;
    if (cid !== undefined && this.hasClientOrderId(cid)) throw new RangeError(`client order id ${cid} already used`);
    const slot = this.store.create(id, fields);
    this.stamp(slot);
    this.store.createdAt[slot] = this.store.updatedAt[slot]!;
    if (cid !== undefined) this.byClientId.set(cid, slot);
    this.openCount++;
    this.openByStrategy[fields.strategy]!++;
    const hooks = this.createHooks;
    if (hooks.fns.length === 0) return slot;
    const level = this.enter();
    try {
      const order = this.cursors[level]!.at(slot);
      for (let i = 0; i < hooks.fns.length; i++) {
        try {
          hooks.fns[i]!.call(hooks.receivers[i], order);
        } catch (err) {
          this.listenerFailed(hooks.listenerIndex[i]!, err, id);
        }
      }
    } finally {
      this.depth = level;
    }
    return slot;
  }

  /** Take the next nesting level (its view and Transition, made on first use); the caller restores `depth`. */
  private enter(): number {
    const level = this.depth;
    if (level === this.cursors.length) {
      this.cursors.push(new OrderView(this.store));
      this.transitions.push(new Transition());
      this.seqs.push(0);
    }
    this.depth = level + 1;
    return level;
  }

  /**
   * Put back an order exactly as a journal snapshot recorded it (no lifecycle, no listeners). Finished orders go
   * to the retention ring like any other.
   */
  restore(row: RestoredOrder): number {
    const s = this.store;
    const slot = s.create(row.id, row.fields);
    s.createdAt[slot] = row.createdAt;
    const cid = row.fields.clientOrderId;
    if (cid !== undefined && this.indexed) this.byClientId.set(cid, slot);
    s.state[slot] = STATE_CODE[row.state];
    s.venue[slot] = s.venueIndex(row.venue);
    s.venueOrderIds[slot] = row.venueOrderId;
    s.filledLots[slot] = row.filledLots;
    s.filledNotional[slot] = row.filledNotional;
    s.riskPriceTicks[slot] = row.riskPriceTicks;
    s.triggered[slot] = row.triggered ? 1 : 0;
    s.stateBeforeCancel[slot] = row.stateBeforeCancel === undefined ? 255 : STATE_CODE[row.stateBeforeCancel];
    s.setReason(slot, row.reason);
    s.updatedAt[slot] = row.updatedAt;
    if (row.tradeIds.length > 0) s.tradeIds[slot] = row.tradeIds.length === 1 ? row.tradeIds[0]! : new Set(row.tradeIds);
    if (OPEN_CODE[s.state[slot]!] === 1) {
      this.openCount++;
      this.openByStrategy[s.strategy[slot]!]!++;
    } else this.retire(slot);
    return slot;
  }

  /** updatedAt = now, copied from the clock's time cell when it has one (no double crosses a call: no boxing). */
  private stamp(slot: number): void {
    const cell = this.clock.cell;
    if (cell !== undefined) this.store.updatedAt[slot] = cell[0]!;
    else this.store.updatedAt[slot] = this.clock.now();
  }

  hasClientOrderId(clientOrderId: string): boolean {
    return this.slotOfClientOrderId(clientOrderId) >= 0;
  }

  slotOf(id: OrderId): number {
    return this.store.slotOf(id);
  }

  slotOfClientOrderId(clientOrderId: string): number {
    if (!this.indexed) throw new Error('OrderTracker: this tracker keeps no client order id index (clientOrderIdIndex: false)');
    const given = this.byClientId.get(clientOrderId);
    if (given >= 0) return given;
    const prefix = this.store.clientIdPrefix;
    if (!clientOrderId.startsWith(prefix) || clientOrderId.length === prefix.length) return -1;
    const id = Number.parseInt(clientOrderId.slice(prefix.length), 36);
    if (!Number.isSafeInteger(id)) return -1;
    const slot = this.store.slotOf(id);
    return slot >= 0 && this.store.clientIds[slot] === undefined && this.store.clientOrderId(slot) === clientOrderId ? slot : -1;
  }

  /** A live view of an order (for the edges: it is a new object). */
  get(id: OrderId): OrderView | undefined {
    const slot = this.store.slotOf(id);
    return slot < 0 ? undefined : new OrderView(this.store).at(slot);
  }

  getByClientOrderId(clientOrderId: string): OrderView | undefined {
    const slot = this.slotOfClientOrderId(clientOrderId);
    return slot < 0 ? undefined : new OrderView(this.store).at(slot);
  }

  /** Orders in id order; only open ones when `openOnly`. */
  list(openOnly: boolean): OrderView[] {
    const s = this.store;
    const out: OrderView[] = [];
    for (let slot = 0; slot < s.capacity; slot++) {
      if (s.id[slot]! < 0) continue;
      if (openOnly && OPEN_CODE[s.state[slot]!] !== 1) continue;
      out.push(new OrderView(s).at(slot));
    }
    return out.sort((a, b) => a.id - b.id);
  }

  get open(): number {
    return this.openCount;
  }

  /** Open orders of the strategy with this index (every open state, CREATED included, as `open` counts them). */
  openOf(strategyIndex: number): number {
    return this.openByStrategy[strategyIndex]!;
  }

  /** Sequence number of the last applied transition. */
  get lastSeq(): number {
    return this.seq;
  }

  isOpenSlot(slot: number): boolean {
    return OPEN_CODE[this.store.state[slot]!] === 1;
  }

  apply(id: OrderId, update: OrderUpdate): Transition | undefined {
    const slot = this.store.slotOf(id);
    return slot < 0 ? undefined : this.applySlot(slot, update);
  }

  /**
   * Apply an update to the order in `slot`. The returned Transition is reused by the next call at the same nesting
   * level (read it before applying another update).
   */
  applySlot(slot: number, update: OrderUpdate): Transition {
    // a journal snapshot being captured copies the slot before this update changes it (SlotWriteHook)
    const hook = this.store.writeHook;
    if (hook !== null) hook.beforeWrite(slot);
    const level = this.enter();
    try {
      const order = this.cursors[level]!.at(slot);
      // the client order id an AMENDED may replace (a given one is in byClientId)
      const replaced = update.kind === 'AMENDED' ? this.store.clientIds[slot] : undefined;
      const t = applyUpdateInto(order, update, this.transitions[level]!);
      if (t.outcome !== 'ERROR') this.stamp(slot);
      if (t.outcome !== 'APPLIED') {
        const hooks = this.anomalyHooks;
        for (let i = 0; i < hooks.fns.length; i++) {
          try {
            hooks.fns[i]!.call(hooks.receivers[i], order, update, t);
          } catch (err) {
            this.listenerFailed(hooks.listenerIndex[i]!, err, this.store.id[slot]!);
          }
        }
        return t;
      }
      this.seqs[level] = ++this.seq;
      // An amend that rebound the order to a new client order id (cancel-replace): index it (reports, lookups and the
      // API use it); the id it replaced no longer names the order (its slot is reused once the order is forgotten).
      if (update.kind === 'AMENDED' && this.indexed && update.clientOrderId !== undefined && update.clientOrderId !== '' && update.clientOrderId !== replaced) {
        this.byClientId.set(update.clientOrderId, slot); // (no longer under the id it replaced)
      }
      // (state codes, as isOpen(t.from) / isOpen(t.to) without comparing names)
      const wasOpen = OPEN_CODE[t.fromIndex] === 1;
      const closed = wasOpen && OPEN_CODE[t.toIndex] !== 1;
      if (closed) {
        this.openCount--;
        this.openByStrategy[this.store.strategy[slot]!]!--;
      } else if (!wasOpen && OPEN_CODE[t.toIndex] === 1) this.reopen(slot);
      const hooks = update.kind === 'FILL' ? this.transitionHooks : this.nonFillHooks;
      for (let i = 0; i < hooks.fns.length; i++) {
        try {
          hooks.fns[i]!.call(hooks.receivers[i], order, update, t);
        } catch (err) {
          this.listenerFailed(hooks.listenerIndex[i]!, err, this.store.id[slot]!);
        }
      }
      if (closed) this.retire(slot);
      return t;
    } finally {
      this.depth = level;
    }
  }

  /** The tracker's seq of a transition being applied (its nesting level's); the last seq for any other. */
  seqOf(t: Transition): number {
    const level = this.transitions.indexOf(t);
    return level >= 0 ? this.seqs[level]! : this.seq;
  }

  /** The event published for a transition (API stream, logs). Allocates: call only when someone listens. */
  describe(order: OrderView, update: OrderUpdate, t: Transition): OrderEvent {
    const ins = this.store.instrument(order.slot);
    const base = {
      seq: this.seqOf(t),
      ts: order.updatedAt,
      orderId: order.id,
      clientOrderId: order.clientOrderId,
      strategy: order.strategy,
      symbol: ins.symbol,
      side: order.side,
      venue: order.venue ?? null,
      event: t.event,
      from: t.from,
      state: t.to,
      filledQty: ins.lotsToQty(order.filledLots),
      reason: order.reason ?? null,
    };
    if (update.kind !== 'FILL') return base;
    const f = update.fill;
    return {
      ...base,
      fill: {
        tradeId: f.tradeId, price: ins.ticksToPrice(f.priceTicks), qty: ins.lotsToQty(f.qtyLots),
        fee: f.fee, feeCurrency: f.feeCurrency === '' ? ins.quote : f.feeCurrency, feeEstimated: f.feeEstimated === true,
        liquidity: f.liquidity, venueTs: f.venueTs > 0 ? f.venueTs : null,
      },
    };
  }

  /**
   * How many orders each per-order structure holds, for tests and diagnostics (scans the store: not for hot paths).
   * Every one is bounded by the open orders plus `retainFinished`, whatever the number of orders ever handled.
   */
  structureSizes(): { held: number; open: number; finished: number; clientIds: number; tradeIdSets: number; reopened: number } {
    let tradeIdSets = 0;
    for (let slot = 0; slot < this.store.capacity; slot++) if (this.store.tradeIds[slot] !== undefined) tradeIdSets++;
    return {
      held: this.store.size, open: this.openCount, finished: this.finishedCount, clientIds: this.byClientId.size, tradeIdSets,
      reopened: this.reopened.size,
    };
  }

  /**
   * A finished order open again (a rejection the venue corrected, see the lifecycle table): open, and its slot is
   * still in the retention ring. Eviction skips it while it is open; if it finishes again before its ring entry is
   * evicted, that entry serves (it is not added twice). Rare, so the ring scan costs nothing that matters.
   */
  private reopen(slot: number): void {
    this.openCount++;
    this.openByStrategy[this.store.strategy[slot]!]!++;
    this.reopened.add(slot);
  }

  private inFinishedRing(slot: number): boolean {
    const n = this.finished.length;
    for (let i = 0; i < this.finishedCount; i++) if (this.finished[(this.finishedHead + i) % n] === slot) return true;
    return false;
  }

  /** Keep at most `retainFinished` finished orders; a late report for a forgotten order is reported as unknown. */
  private retire(slot: number): void {
    if (this.reopened.delete(slot) && this.inFinishedRing(slot)) return;
    if (this.finishedCount === this.finished.length) {
      if (this.finished.length < this.options.retainFinished + 1) this.growFinished();
    }
    const n = this.finished.length;
    this.finished[(this.finishedHead + this.finishedCount) % n] = slot;
    this.finishedCount++;
    while (this.finishedCount > this.options.retainFinished) {
      const old = this.finished[this.finishedHead]!;
      this.finishedHead = (this.finishedHead + 1) % n;
      this.finishedCount--;
      // Reopened since it finished: not forgotten while open (retired again when it finishes).
      if (OPEN_CODE[this.store.state[old]!] === 1) continue;
      // A finished order that a late report changed (canceled then filled) is still finished: forget it.
      this.byClientId.remove(old);
      this.store.release(old);
    }
  }

  private growFinished(): void {
    const n = this.finished.length;
    const next = new Int32Array(Math.min(n * 2, this.options.retainFinished + 1));
    for (let i = 0; i < this.finishedCount; i++) next[i] = this.finished[(this.finishedHead + i) % n]!;
    this.finished = next;
    this.finishedHead = 0;
  }
}
