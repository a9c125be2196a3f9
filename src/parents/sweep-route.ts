/**
 * The `sweep` route: a marketable order split across venues (a parent, see parent-orders.ts).
 *
 * The route planner (routing/route-planner.ts) walks the eligible venues' fee-adjusted books together, never past the
 * order's limit, and each venue's share becomes a child: LIMIT IOC at the worst price it takes there (MARKET IOC for a
 * MARKET parent), all sent in parallel. Once every child is finished, what is left follows the parent's time in force: a GTC LIMIT rests as one
 * more child (LIMIT GTC at the parent's price) at the venue the planner named for the rest (the lowest taker fee among
 * the eligible venues), or the table's venue when that one cannot take it now; anything else (IOC, MARKET) is
 * CANCELED with its rest. The parent ends when its resting child ends (its reason says how).
 *
 * Not swept (the dispatcher routes them whole, as `best` orders): FOK and post-only orders, orders pinned to a venue,
 * and orders with nothing to take now (no level within the limit at any eligible venue, or no usable book).
 * After a restart: a parent without children is planned again (none was sent; while the venue books come back, for
 * up to 10 s), one whose children are all finished gets its rest handled (at the venue the planner names from the
 * books then), one with open children waits for them.
 */
import { NO_VENUE, ROUTE_SWEEP, STATE_CODE, TIF_CODE, TYPE_CODE, type OrderStore } from '../core/order-store.js';
import type { ParentKind, ParentOrders } from './parent-orders.js';

const LIMIT = TYPE_CODE.LIMIT;
const MARKET = TYPE_CODE.MARKET;
const GTC = TIF_CODE.GTC;
const IOC = TIF_CODE.IOC;
const FOK = TIF_CODE.FOK;
/** After a restart, how often and how many times an unplanned parent is planned again while the books come back. */
const RESUME_RETRY_MS = 500;
const RESUME_TRIES = 20;

export class SweepRoute implements ParentKind {
  private readonly store: OrderStore;
  /** Per parent slot: the venue the planner named for the rest (-1: none known, e.g. after a restart). */
  private restVenue = new Int16Array(0);

  constructor(private readonly parents: ParentOrders) {
    this.store = parents.store;
  }

  owns(slot: number): boolean {
    const s = this.store;
    return s.route[slot] === ROUTE_SWEEP && s.pinned[slot] === NO_VENUE && s.algo[slot] === 0 && (s.type[slot] === LIMIT || s.type[slot] === MARKET);
  }

  take(slot: number): boolean {
    const s = this.store;
    if (s.tif[slot] === FOK || s.postOnly[slot] === 1) return false;
    const n = this.plan(slot);
    if (n === 0) return false; // nothing to take now (or no usable book): it goes whole, like a `best` order
    this.parents.hold(slot);
    this.send(slot, n);
    return true;
  }

  private plan(slot: number): number {
    const s = this.store;
    const p = this.parents;
    p.prepare(s.symbol[slot]!);
    return p.planner.sweep(s.symbol[slot]!, s.side[slot]!, s.qtyLots[slot]! - s.filledLots[slot]!, p.limitOf(slot), p.clock.monoMs());
  }

  /** Sends the planner's children (and handles the rest at once when there is none). */
  private send(parent: number, n: number): void {
    const planner = this.parents.planner;
    this.ensure();
    this.restVenue[parent] = planner.restVenue;
    // A MARKET parent has no limit to honour: its children are MARKET IOC for their planned quantities (a LIMIT IOC at
    // exactly the planned worst price comes back empty whenever the book moves during the venue's latency, and a
    // market order that liquidity was there for must not end unfilled).
    const market = this.store.type[parent] === MARKET;
    for (let i = 0; i < n; i++) {
      this.parents.sendChild(parent, planner.childVenue[i]!, market ? MARKET : LIMIT, IOC, planner.childQty[i]!, market ? 0 : planner.childPrice[i]!);
    }
    if (n === 0) this.childrenDone(parent);
  }

  childrenDone(parent: number): void {
    const s = this.store;
    const p = this.parents;
    const last = p.lastChild(parent);
    if (last >= 0 && s.tif[last] === GTC) {
      // the resting child ended: so does the parent
      const reason = s.reason(last);
      p.end(parent, `resting child ${s.id[last]} ${s.state[last] === STATE_CODE.REJECTED ? 'rejected' : 'ended'}${reason === undefined ? '' : `: ${reason}`}`);
      return;
    }
    if (s.type[parent] !== LIMIT || s.tif[parent] !== GTC) {
      p.end(parent, 'rest of the sweep not filled at once (IOC)');
      return;
    }
    this.ensure();
    let venue = this.restVenue[parent]!;
    if (venue < 0) {
      // not known (a restart): the planner names it from the books as they are now
      this.plan(parent);
      venue = p.planner.restVenue;
    }
    if (venue < 0 || p.available[venue] !== 1) venue = p.router.route(s.symbol[parent]!, p.available);
    if (venue < 0) {
      p.end(parent, 'NO_ROUTE: no venue can take the rest of the sweep');
      return;
    }
    p.sendChild(parent, venue, LIMIT, GTC, s.qtyLots[parent]! - s.filledLots[parent]!, s.priceTicks[parent]!);
    p.wake();
  }

  resume(parent: number): void {
    this.ensure();
    this.restVenue[parent] = -1;
    if (this.parents.lastChild(parent) < 0) this.replan(parent, this.store.id[parent]!, RESUME_TRIES);
    else if (this.parents.openChildren(parent) === 0) this.childrenDone(parent);
  }

  /**
   * A parent the journal shows without children (none was sent): planned again. Right after a restart the venue
   * books may not be synced yet: an empty plan is tried again every RESUME_RETRY_MS, `tries` times, before the parent
   * goes on without children (its rest handled by its time in force).
   */
  private replan(parent: number, id: number, tries: number): void {
    if (this.store.id[parent] !== id || !this.parents.tracker.isOpenSlot(parent) || this.parents.lastChild(parent) >= 0) return;
    const n = this.plan(parent);
    if (n === 0 && tries > 0) {
      setTimeout(() => this.replan(parent, id, tries - 1), RESUME_RETRY_MS).unref();
      return;
    }
    this.send(parent, n);
    this.parents.wake();
  }

  private ensure(): void {
    const n = this.store.capacity;
    if (this.restVenue.length >= n) return;
    const b = new Int16Array(n);
    b.set(this.restVenue);
    this.restVenue = b;
  }
}
