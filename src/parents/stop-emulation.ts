/**
 * Emulated stops: STOP, STOP_LIMIT and TRAILING_STOP orders are held by the daemon (parents at `smart`, see
 * parent-orders.ts) and released when a public trade price crosses their trigger — no venue is asked to hold a stop.
 *
 * Which trades count: an order pinned to a venue watches that venue's trades; any other order watches the trades of
 * every venue (a trade anywhere at or through the trigger releases it). Triggers (trigger-book.ts): a BUY stop on a
 * trade at or above its stop price, a SELL stop at or below; a TRAILING_STOP's trigger follows the best trade price
 * seen since it was placed (starting at the mark it passed risk at) at its trailing offset — a SELL's stays `offset`
 * below the highest price, a BUY's `offset` above the lowest — and only ever moves in the order's favour.
 *
 * Release: the parent goes TRIGGERED and sends one child with its open quantity: STOP and TRAILING_STOP a MARKET IOC
 * order, STOP_LIMIT a LIMIT order at its price with its time in force, routed by the order's route (table, best; a
 * swept STOP_LIMIT is itself swept). When the child ends, so does the parent (FILLED, or CANCELED with its rest).
 *
 * Restarts: an order not yet triggered is held again with the same trigger (a TRAILING_STOP with its best price as
 * last recorded: the daemon writes a `trailing` event to the journal when it moved, at most every `persistMs`, and
 * keeps it in the order's stopTicks — snapshots carry it); one triggered whose child was not created yet is released
 * at once; one whose child is done ends.
 */
import { NO_VENUE, STATE_CODE, TIF_CODE, TYPE_CODE, type OrderStore } from '../core/order-store.js';
import type { BookSide } from '../market/feed.js';
import type { MarketListener } from '../market/market-data.js';
import type { OrderUpdate } from '../model/lifecycle.js';
import type { ParentKind, ParentOrders } from './parent-orders.js';
import { TriggerBatch, TriggerBook } from './trigger-book.js';

const MARKET = TYPE_CODE.MARKET;
const STOP = TYPE_CODE.STOP;
const STOP_LIMIT = TYPE_CODE.STOP_LIMIT;
const TRAILING_STOP = TYPE_CODE.TRAILING_STOP;
const IOC = TIF_CODE.IOC;
const TRIGGERED = STATE_CODE.TRIGGERED;

export class StopEmulation implements ParentKind, MarketListener {
  private readonly store: OrderStore;
  private readonly book: TriggerBook;
  private readonly batch = new TriggerBatch(64);
  private readonly symbols: number;
  /** Trigger-book key of the trades of any venue: venues * symbols + symbol. */
  private readonly anyVenue: number;
  private readonly trigger: OrderUpdate = { kind: 'TRIGGER' };
  /** Held trailing stops (slot and id) whose best price may have moved since it was last recorded. */
  private readonly trailing = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly parents: ParentOrders,
    venues: number,
    /** Records a trailing stop's best price so far (journal `trailing` event); absent without a journal. */
    private readonly recordTrail?: (orderId: number, extremeTicks: number) => void,
  ) {
    this.store = parents.store;
    this.symbols = this.store.instruments.list.length;
    this.anyVenue = venues * this.symbols;
    this.book = new TriggerBook((venues + 1) * this.symbols);
  }

  owns(slot: number): boolean {
    const t = this.store.type[slot]!;
    return t === STOP || t === STOP_LIMIT || t === TRAILING_STOP;
  }

  take(slot: number): boolean {
    this.parents.hold(slot);
    this.arm(slot);
    return true;
  }

  /** Puts a held, untriggered stop in the trigger book. */
  private arm(slot: number): void {
    const s = this.store;
    const pinned = s.pinned[slot]!;
    const key = (pinned === NO_VENUE ? this.anyVenue : pinned * this.symbols) + s.symbol[slot]!;
    const id = s.id[slot]!;
    if (s.type[slot] !== TRAILING_STOP) {
      this.book.add(slot, id, key, s.side[slot]!, s.stopTicks[slot]!);
      return;
    }
    // the best price seen: as last recorded (a restart), else the mark the order passed risk at
    const extreme = s.stopTicks[slot]! > 0 ? s.stopTicks[slot]! : s.riskPriceTicks[slot]!;
    this.book.restoreTrailing(slot, id, key, s.side[slot]!, s.paramA[slot]!, extreme);
    this.trailing.set(slot, id);
  }

  /** Public trades: release what they trigger (the venue's own stops, then the any-venue ones). */
  onTrade(venue: number, symbol: number, priceTicks: number, _qtyLots: number, _takerSide: BookSide, _venueTs: number): void {
    if (this.book.size === 0) return;
    this.fire(this.book.onTrade(venue * this.symbols + symbol, priceTicks, this.batch));
    this.fire(this.book.onTrade(this.anyVenue + symbol, priceTicks, this.batch));
  }

  private fire(n: number): void {
    for (let i = 0; i < n; i++) {
      const slot = this.batch.slots[i]!;
      if (this.store.id[slot] !== this.batch.ids[i]) continue;
      this.trailing.delete(slot);
      this.releaseStop(slot);
    }
  }

  /** The stop triggered: TRIGGERED, and its child goes out. */
  private releaseStop(slot: number): void {
    const s = this.store;
    const p = this.parents;
    if (!p.tracker.isOpenSlot(slot)) return;
    if (s.state[slot] !== TRIGGERED) p.tracker.applySlot(slot, this.trigger);
    if (s.state[slot] !== TRIGGERED) return; // (a cancel pending: the trigger does not apply)
    const rest = s.qtyLots[slot]! - s.filledLots[slot]!;
    const limit = s.type[slot] === STOP_LIMIT;
    const child = p.routeChild(slot, limit ? TYPE_CODE.LIMIT : MARKET, limit ? s.tif[slot]! : IOC, rest, limit ? s.priceTicks[slot]! : 0, s.route[slot]!);
    if (child < 0) p.end(slot, 'NO_ROUTE: no venue could take the released stop');
    p.wake();
  }

  childrenDone(parent: number): void {
    const last = this.parents.lastChild(parent);
    const reason = last >= 0 ? this.store.reason(last) : undefined;
    this.parents.end(parent, `released order ${last >= 0 ? this.store.id[last] : '?'} ended${reason === undefined ? '' : `: ${reason}`}`);
  }

  release(parent: number): void {
    this.book.remove(parent, this.store.id[parent]!);
    this.trailing.delete(parent);
  }

  resume(parent: number): void {
    const s = this.store;
    if (s.state[parent] !== TRIGGERED) this.arm(parent);
    else if (this.parents.lastChild(parent) < 0) this.releaseStop(parent);
    else if (this.parents.openChildren(parent) === 0) this.childrenDone(parent);
  }

  /** Records the trailing stops whose best price moved since last time. */
  persist(): void {
    const s = this.store;
    for (const [slot, id] of this.trailing) {
      if (s.id[slot] !== id || !this.book.has(slot, id)) {
        this.trailing.delete(slot);
        continue;
      }
      const extreme = this.book.extremeOf(slot, id);
      if (extreme === s.stopTicks[slot]) continue;
      s.setStopTicks(slot, extreme);
      this.recordTrail?.(id, extreme);
    }
  }

  /** The trigger price of a held stop, NaN when it is not held (GET /v1/orders/:id). */
  triggerOf(slot: number): number {
    return this.book.triggerOf(slot, this.store.id[slot]!);
  }

  start(persistMs: number): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => this.persist(), persistMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.persist();
  }
}
