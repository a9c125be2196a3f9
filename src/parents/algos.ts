/**
 * Execution algorithms on the parent/child model (parent-orders.ts): TWAP and iceberg. The parent is held at `smart`;
 * its children are routed by the parent's route (table, best, or swept: a swept slice is a parent in turn).
 *
 * TWAP (horizon H, interval I, n = ceil(H / I) slices): slice k is due at the parent's creation time + k x I, and
 * brings what has been done up to the schedule's cumulative target floor(Q x (k + 1) / n) — so a slice that did not
 * fill completely (a LIMIT parent's slices are IOC at its limit, a MARKET parent's MARKET IOC) is caught up by the
 * next, and after a restart the schedule goes on from the clock: the slices missed while the daemon was down are
 * caught up by one child. One slice per interval (a slice sent in the current interval is not sent again), none
 * while the previous one is still open. Once the last slice is done, what is left is CANCELED ("TWAP over").
 *
 * Iceberg (display D): one child shows min(D, what is left) as a GTC LIMIT at the parent's price; when it is FILLED
 * the next one is shown. A shown part that ends any other way (canceled or rejected by its venue) ends the parent.
 * After a restart a parent without an open child shows its next part (or ends, as above).
 *
 * The schedule is one timer per TWAP parent (timers are per parent, not per order of the hot path).
 */
import { ALGO_ICEBERG, ALGO_TWAP, STATE_CODE, TIF_CODE, TYPE_CODE, type OrderStore } from '../core/order-store.js';
import type { ParentKind, ParentOrders } from './parent-orders.js';

const LIMIT = TYPE_CODE.LIMIT;
const MARKET = TYPE_CODE.MARKET;
const GTC = TIF_CODE.GTC;
const IOC = TIF_CODE.IOC;
const FILLED = STATE_CODE.FILLED;

export class ExecutionAlgos implements ParentKind {
  private readonly store: OrderStore;
  /** TWAP parents' next wake-up, by parent slot (with the parent's id, as slots are reused). */
  private readonly timers = new Map<number, { id: number; timer: NodeJS.Timeout }>();

  constructor(private readonly parents: ParentOrders) {
    this.store = parents.store;
  }

  owns(slot: number): boolean {
    return this.store.algo[slot] !== 0;
  }

  take(slot: number): boolean {
    this.parents.hold(slot);
    this.next(slot);
    return true;
  }

  /** The parent's schedule: what it sends now, and when it wakes next. */
  private next(parent: number): void {
    if (this.store.algo[parent] === ALGO_TWAP) this.twap(parent);
    else if (this.store.algo[parent] === ALGO_ICEBERG) this.iceberg(parent);
  }

  // ---- TWAP -----------------------------------------------------------------------------------------------------

  private twap(parent: number): void {
    const s = this.store;
    const p = this.parents;
    if (!p.tracker.isOpenSlot(parent) || s.state[parent] === STATE_CODE.PENDING_CANCEL) return;
    const horizon = s.paramA[parent]!;
    const interval = s.paramB[parent]!;
    const slices = Math.ceil(horizon / interval);
    const start = s.createdAt[parent]!;
    const now = p.clock.now();
    const due = Math.min(slices, Math.floor(Math.max(0, now - start) / interval) + 1);
    const qty = s.qtyLots[parent]!;
    // one slice per interval: a slice sent in this interval that is done is not sent again (the next one catches up)
    const last = p.lastChild(parent);
    const sentNow = last >= 0 && s.createdAt[last]! >= start + (due - 1) * interval;
    if (p.openChildren(parent) === 0) {
      const target = Math.floor((qty * due) / slices);
      const send = sentNow ? 0 : target - s.filledLots[parent]!;
      if (send > 0) {
        const market = s.type[parent] === MARKET;
        const child = p.routeChild(parent, market ? MARKET : LIMIT, IOC, send, market ? 0 : s.priceTicks[parent]!, s.route[parent]!);
        if (child < 0) {
          p.end(parent, 'NO_ROUTE: no venue could take a TWAP slice');
          return;
        }
        p.wake();
        if (!p.tracker.isOpenSlot(parent)) return;
      } else if (due === slices) {
        p.end(parent, 'TWAP over: the rest was not filled');
        return;
      }
    }
    if (due < slices) this.wakeAt(parent, start + due * interval - now);
  }

  private wakeAt(parent: number, delayMs: number): void {
    this.clear(parent);
    const id = this.store.id[parent]!;
    const timer = setTimeout(() => {
      this.timers.delete(parent);
      if (this.store.id[parent] === id) this.twap(parent);
    }, Math.max(0, delayMs));
    timer.unref();
    this.timers.set(parent, { id, timer });
  }

  private clear(parent: number): void {
    const t = this.timers.get(parent);
    if (t === undefined) return;
    clearTimeout(t.timer);
    this.timers.delete(parent);
  }

  // ---- iceberg --------------------------------------------------------------------------------------------------

  private iceberg(parent: number): void {
    const s = this.store;
    const p = this.parents;
    const rest = s.qtyLots[parent]! - s.filledLots[parent]!;
    if (rest <= 0 || p.openChildren(parent) > 0) return;
    const last = p.lastChild(parent);
    if (last >= 0 && s.state[last] !== FILLED) {
      const reason = s.reason(last);
      p.end(parent, `shown part ${s.id[last]} ended${reason === undefined ? '' : `: ${reason}`}`);
      return;
    }
    const show = Math.min(s.paramA[parent]!, rest);
    if (p.routeChild(parent, LIMIT, GTC, show, s.priceTicks[parent]!, s.route[parent]!) < 0) {
      p.end(parent, 'NO_ROUTE: no venue could take the shown part');
      return;
    }
    p.wake();
  }

  // ---- ParentKind -----------------------------------------------------------------------------------------------

  childrenDone(parent: number): void {
    this.next(parent);
  }

  release(parent: number): void {
    this.clear(parent);
  }

  resume(parent: number): void {
    this.next(parent);
  }

  /** Stops every schedule (daemon stop): the journal keeps the parents; a restart resumes them. */
  stop(): void {
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
  }
}
