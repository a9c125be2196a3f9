import { BUY, TIF_CODE, type OrderStore, type OrderView } from '../core/order-store.js';
import type { TrackerListener } from '../core/order-tracker.js';
import type { OrderUpdate, Transition } from '../model/lifecycle.js';
import { isOpen, ORDER_STATES } from '../model/order.js';

export const SELF_TRADE_MODES = ['off', 'deny', 'cancel-older'] as const;
export type SelfTradeMode = (typeof SELF_TRADE_MODES)[number];

const GTC = TIF_CODE.GTC;
const PENDING_CANCEL = ORDER_STATES.indexOf('PENDING_CANCEL');
const NONE = -1;

/**
 * Self-trade prevention: a strategy's new order that would cross one of its own orders resting at the same venue is
 * denied (`deny`, RISK_SELF_TRADE) or the older resting orders it would cross are canceled first (`cancel-older`; the
 * new order goes on: the cancels are on their way when it is sent, so a venue that matches before the cancel lands
 * could still trade them — the venue's own self-trade prevention, where it has one, closes that gap).
 *
 * The resting orders (open GTC limit orders at a configured venue, children included: they belong to the parent's
 * strategy) are kept per strategy x symbol x venue x side in intrusive doubly linked lists through the store's slots,
 * with the best price of each list cached (recomputed from its list only when the best one leaves). A tracker
 * listener keeps the lists; `crosses` is a few typed-array reads. Nothing is allocated per order (the slot arrays grow
 * with the store, by doubling).
 */
export class SelfTradePrevention implements TrackerListener {
  private readonly symbols: number;
  private readonly venues: number;
  /** per list (cell x 2 + side): first slot, best price (0: none, or to be recomputed when dirty) */
  private readonly head: Int32Array;
  private readonly best: Float64Array;
  private readonly dirty: Uint8Array;
  /** per strategy x symbol x side: resting orders over all venues (0 on the other side: nothing can cross, at once) */
  private readonly sideCount: Int32Array;
  /** per slot */
  private next = new Int32Array(0);
  private prev = new Int32Array(0);
  /** per slot: the list it is in, + 1 (0: none), and its price when it was put in */
  private list = new Int32Array(0);
  private listed = new Float64Array(0);
  /** Set by the order path: asks for the cancel of a resting order (cancel-older). */
  private canceller: ((slot: number) => void) | undefined;
  /** Resting orders canceled because a newer order of their strategy would have crossed them. */
  canceledOlder = 0;

  constructor(
    private readonly store: OrderStore,
    strategies: number,
    symbols: number,
    venues: number,
    public mode: SelfTradeMode,
  ) {
    this.symbols = symbols;
    this.venues = venues;
    const lists = strategies * symbols * venues * 2;
    this.head = new Int32Array(lists).fill(NONE);
    this.best = new Float64Array(lists);
    this.dirty = new Uint8Array(lists);
    this.sideCount = new Int32Array(strategies * symbols * 2);
  }

  setCanceller(cancel: (slot: number) => void): void {
    this.canceller = cancel;
  }

  /**
   * Whether an order (market: priceTicks 0) would cross a resting order of its strategy at `venue` (-1: at any venue,
   * for orders held by the parent orders, whose children may go anywhere). With `cancel-older` the crossed orders are
   * asked to cancel and the answer is false. Always false with `off`.
   */
  crosses(strategy: number, symbol: number, venue: number, side: number, priceTicks: number): boolean {
    if (this.mode === 'off') return false;
    if (venue >= this.venues) return false; // the crossing book or the parent orders' pseudo venue: not a venue
    if (this.sideCount[(strategy * this.symbols + symbol) * 2 + (side === BUY ? 1 : 0)] === 0) return false;
    const first = venue < 0 ? 0 : venue;
    const last = venue < 0 ? this.venues - 1 : venue;
    for (let v = first; v <= last; v++) {
      const l = this.listOf(strategy, symbol, v, side === BUY ? 1 : 0); // the other side
      const best = this.bestOf(l);
      if (best === 0) continue;
      if (!(priceTicks === 0 || (side === BUY ? priceTicks >= best : priceTicks <= best))) continue;
      if (this.mode === 'deny') return true;
      this.cancelCrossed(l, side, priceTicks);
    }
    return false;
  }

  onTransition(order: OrderView, _update: OrderUpdate, t: Transition): void {
    const slot = order.slot;
    const s = this.store;
    const v = s.venue[slot]!;
    const rests = isOpen(t.to) && v < this.venues && s.priceTicks[slot]! > 0 && s.tif[slot] === GTC;
    if (slot >= this.list.length) this.grow(s.capacity);
    const inList = this.list[slot]! - 1;
    if (rests) {
      const l = this.listOf(s.strategy[slot]!, s.symbol[slot]!, v, s.side[slot]!);
      if (inList === l && this.listed[slot] === s.priceTicks[slot]) return; // where it was, at its price (an ack, a fill)
      if (inList >= 0) this.remove(slot, inList); // an amend moved its price
      this.insert(slot, l);
    } else if (inList >= 0) {
      this.remove(slot, inList);
    }
  }

  private cancelCrossed(l: number, side: number, priceTicks: number): void {
    const cancel = this.canceller;
    if (cancel === undefined) return;
    const px = this.listed;
    for (let slot = this.head[l]!; slot !== NONE;) {
      // read before the cancel: its transition puts the slot back at the head of the list
      const next = this.next[slot]!;
      const p = px[slot]!;
      if (this.store.state[slot] !== PENDING_CANCEL && (priceTicks === 0 || (side === BUY ? priceTicks >= p : priceTicks <= p))) {
        cancel(slot);
        this.canceledOlder++;
      }
      slot = next;
    }
  }

  /** The strategy x symbol x side cell of list l. */
  private sideCellOf(l: number): number {
    return Math.floor((l >> 1) / this.venues) * 2 + (l & 1);
  }

  private listOf(strategy: number, symbol: number, venue: number, side: number): number {
    return ((strategy * this.symbols + symbol) * this.venues + venue) * 2 + side;
  }

  /** Best price of a list: highest bid (side BUY lists), lowest ask; 0 when empty. */
  private bestOf(l: number): number {
    if (this.dirty[l] === 1) {
      this.dirty[l] = 0;
      const bids = (l & 1) === 0;
      let best = 0;
      const px = this.listed;
      for (let slot = this.head[l]!; slot !== NONE; slot = this.next[slot]!) {
        const p = px[slot]!;
        if (best === 0 || (bids ? p > best : p < best)) best = p;
      }
      this.best[l] = best;
    }
    return this.best[l]!;
  }

  private insert(slot: number, l: number): void {
    const h = this.head[l]!;
    this.next[slot] = h;
    this.prev[slot] = NONE;
    if (h !== NONE) this.prev[h] = slot;
    this.head[l] = slot;
    this.list[slot] = l + 1;
    this.sideCount[this.sideCellOf(l)]!++;
    const p = this.store.priceTicks[slot]!;
    this.listed[slot] = p;
    if (this.dirty[l] === 0) {
      const b = this.best[l]!;
      if (b === 0 || ((l & 1) === 0 ? p > b : p < b)) this.best[l] = p;
    }
  }

  private remove(slot: number, l: number): void {
    const n = this.next[slot]!;
    const p = this.prev[slot]!;
    if (p !== NONE) this.next[p] = n;
    else this.head[l] = n;
    if (n !== NONE) this.prev[n] = p;
    this.list[slot] = 0;
    this.sideCount[this.sideCellOf(l)]!--;
    if (this.head[l] === NONE) {
      this.best[l] = 0;
      this.dirty[l] = 0;
    } else if (this.listed[slot] === this.best[l]) {
      this.dirty[l] = 1; // the best may have left: recomputed when next asked
    }
  }

  private grow(capacity: number): void {
    const size = Math.max(capacity, this.list.length * 2, 1024);
    const grown = (a: Int32Array): Int32Array<ArrayBuffer> => {
      const b = new Int32Array(size);
      b.set(a);
      return b;
    };
    const listed = new Float64Array(size);
    listed.set(this.listed);
    this.listed = listed;
    this.next = grown(this.next);
    this.prev = grown(this.prev);
    this.list = grown(this.list);
  }
}
