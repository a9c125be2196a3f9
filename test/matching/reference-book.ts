/**
 * Deliberately simple reference order book for property tests: sorted arrays of plain objects,
 * linear scans, no optimisation. It implements the rules documented in src/matching/order-book.ts
 * independently and records the same events (see Ev) so streams can be compared one for one.
 */
import { CancelReason, MAX_PRICE, MAX_QTY, OrderType, Status, StpMode } from '../../src/matching/types.js';

export type Ev =
  | ['accept', number, number, number, number, number, number, number]
  | ['fill', number, number, number, number, number, number, number, number]
  | ['cancel', number, number, number, number, number]
  | ['trigger', number, number, number, number]
  | ['rest', number, number, number, number, number];

interface ROrder {
  id: number;
  owner: number;
  side: number;
  price: number;
  qty: number;
  stp: number;
  postOnly: boolean;
  seq: number;
}

interface RStop {
  id: number;
  owner: number;
  side: number;
  type: number;
  stopPrice: number;
  price: number;
  qty: number;
  stp: number;
  seq: number;
}

const isPosInt = (v: number, max = Number.MAX_SAFE_INTEGER) => Number.isInteger(v) && v >= 1 && v <= max;

export class ReferenceBook {
  bids: ROrder[] = [];
  asks: ROrder[] = [];
  stops: RStop[] = [];
  last: number | null = null;
  events: Ev[] = [];
  private seq = 0;
  private hi = -Infinity;
  private lo = Infinity;

  submit(id: number, owner: number, side: number, type: number, price: number, qty: number, stp: number, stopPrice: number): number {
    if (!Number.isSafeInteger(id) || id < 0) return Status.INVALID_ID;
    if (side !== 0 && side !== 1) return Status.INVALID_SIDE;
    if (!isPosInt(qty)) return Status.INVALID_QTY;
    if (!Number.isInteger(owner) || owner < 0 || owner > 0x7fffffff) return Status.INVALID_OWNER;
    if (!Number.isInteger(stp) || stp < 0 || stp > 4) return Status.INVALID_STP;
    if (!Number.isInteger(type) || type < 0 || type > 6) return Status.INVALID_TYPE;
    const hasPrice = type !== OrderType.MARKET && type !== OrderType.STOP;
    if (hasPrice && !isPosInt(price, MAX_PRICE)) return Status.INVALID_PRICE;
    if (!hasPrice) price = 0;
    const isStop = type === OrderType.STOP || type === OrderType.STOP_LIMIT;
    if (isStop && !isPosInt(stopPrice, MAX_PRICE)) return Status.INVALID_PRICE;
    if (!isStop) stopPrice = 0;
    if (this.find(id) !== null || this.stops.some((s) => s.id === id)) return Status.DUPLICATE_ID;
    // A price level's total never passes MAX_QTY (book levels, and pending stop levels).
    const triggersNow = isStop && this.last !== null && (side === 0 ? this.last >= stopPrice : this.last <= stopPrice);
    if (!isStop || triggersNow) {
      const rests = type === OrderType.LIMIT || type === OrderType.POST_ONLY || type === OrderType.STOP_LIMIT;
      if (rests && this.levelTotal(side, price) + qty > MAX_QTY) return Status.LEVEL_TOTAL_OVERFLOW;
    } else {
      const total = this.stops.filter((s) => s.side === side && s.stopPrice === stopPrice).reduce((t, s) => t + s.qty, 0);
      if (total + qty > MAX_QTY) return Status.LEVEL_TOTAL_OVERFLOW;
    }

    this.events.push(['accept', id, owner, side, type, price, qty, stopPrice]);
    this.hi = -Infinity;
    this.lo = Infinity;
    if (!isStop) {
      this.execute(id, owner, side, type, price, qty, stp);
    } else if (this.last !== null && (side === 0 ? this.last >= stopPrice : this.last <= stopPrice)) {
      this.events.push(['trigger', id, owner, side, stopPrice]);
      this.execute(id, owner, side, type === OrderType.STOP ? OrderType.MARKET : OrderType.LIMIT, price, qty, stp);
    } else {
      this.stops.push({ id, owner, side, type, stopPrice, price, qty, stp, seq: this.seq++ });
    }
    this.runTriggers();
    return Status.OK;
  }

  cancel(id: number): number {
    const o = this.find(id);
    if (o !== null) {
      this.removeOrder(o);
      this.events.push(['cancel', id, o.owner, o.qty, 0, CancelReason.USER]);
      return Status.OK;
    }
    const i = this.stops.findIndex((s) => s.id === id);
    if (i < 0) return Status.UNKNOWN_ID;
    const s = this.stops[i];
    this.stops.splice(i, 1);
    this.events.push(['cancel', id, s.owner, s.qty, 0, CancelReason.USER]);
    return Status.OK;
  }

  reduce(id: number, newQty: number): number {
    const o: { qty: number } | null = this.find(id) ?? this.stops.find((s) => s.id === id) ?? null;
    if (o === null) return Status.UNKNOWN_ID;
    if (!isPosInt(newQty, o.qty)) return Status.INVALID_QTY;
    o.qty = newQty;
    return Status.OK;
  }

  changePrice(id: number, newPrice: number): number {
    const o = this.find(id);
    const isStop = o === null && this.stops.some((s) => s.id === id);
    if (o === null && !isStop) return Status.UNKNOWN_ID;
    if (!isPosInt(newPrice, MAX_PRICE)) return Status.INVALID_PRICE;
    if (o === null) return Status.NOT_ALLOWED;
    if (o.price === newPrice) return Status.OK;
    const crosses = this.crosses(o.side, newPrice);
    if (o.postOnly && crosses) return Status.WOULD_CROSS;
    if (this.levelTotal(o.side, newPrice) + o.qty > MAX_QTY) return Status.LEVEL_TOTAL_OVERFLOW;
    this.removeOrder(o);
    this.hi = -Infinity;
    this.lo = Infinity;
    const rem = this.match(o.id, o.owner, o.side, newPrice, o.qty, o.stp);
    if (rem > 0) this.rest(o.id, o.owner, o.side, newPrice, rem, o.stp, o.postOnly);
    this.runTriggers();
    return Status.OK;
  }

  /** Same layout as OrderBook.snapshot(). */
  snapshot(): { lastPrice: number | null; orders: number[]; stops: number[] } {
    const orders: number[] = [];
    for (const o of [...this.bids, ...this.asks]) {
      orders.push(o.id, o.owner, o.side, o.price, o.qty, o.stp, o.postOnly ? 1 : 0);
    }
    const buys = this.stops.filter((s) => s.side === 0).sort((a, b) => a.stopPrice - b.stopPrice || a.seq - b.seq);
    const sells = this.stops.filter((s) => s.side === 1).sort((a, b) => b.stopPrice - a.stopPrice || a.seq - b.seq);
    const stops: number[] = [];
    for (const s of [...buys, ...sells]) stops.push(s.id, s.owner, s.side, s.type, s.stopPrice, s.price, s.qty, s.stp);
    return { lastPrice: this.last, orders, stops };
  }

  /** Best bid / ask price, NaN when that side is empty (as OrderBook.bestBid / bestAsk). */
  bestBid(): number {
    return this.bids.length > 0 ? this.bids[0].price : NaN;
  }

  bestAsk(): number {
    return this.asks.length > 0 ? this.asks[0].price : NaN;
  }

  /** Levels of one side, best first, as [price, total qty, order count] (as OrderBook.depth). */
  levels(side: number): [number, number, number][] {
    const out: [number, number, number][] = [];
    for (const o of side === 0 ? this.bids : this.asks) {
      const last = out[out.length - 1];
      if (last !== undefined && last[0] === o.price) {
        last[1] += o.qty;
        last[2]++;
      } else {
        out.push([o.price, o.qty, 1]);
      }
    }
    return out;
  }

  /** [side, type, price, qty, owner, stp, stopPrice] of a resting order or pending stop (OrderInfo layout), or null. */
  orderInfo(id: number): number[] | null {
    const o = this.find(id);
    if (o !== null) return [o.side, o.postOnly ? OrderType.POST_ONLY : OrderType.LIMIT, o.price, o.qty, o.owner, o.stp, 0];
    const s = this.stops.find((x) => x.id === id);
    return s === undefined ? null : [s.side, s.type, s.price, s.qty, s.owner, s.stp, s.stopPrice];
  }

  /** Total open quantity of the book level at `price` on `side` (0 when there is none). */
  levelTotal(side: number, price: number): number {
    return (side === 0 ? this.bids : this.asks).filter((o) => o.price === price).reduce((t, o) => t + o.qty, 0);
  }

  private find(id: number): ROrder | null {
    return this.bids.find((o) => o.id === id) ?? this.asks.find((o) => o.id === id) ?? null;
  }

  private removeOrder(o: ROrder): void {
    const arr = o.side === 0 ? this.bids : this.asks;
    arr.splice(arr.indexOf(o), 1);
  }

  private crosses(side: number, price: number): boolean {
    if (side === 0) return this.asks.length > 0 && this.asks[0].price <= price;
    return this.bids.length > 0 && this.bids[0].price >= price;
  }

  private execute(id: number, owner: number, side: number, type: number, price: number, qty: number, stp: number): void {
    if (type === OrderType.LIMIT) {
      const rem = this.match(id, owner, side, price, qty, stp);
      if (rem > 0 && this.levelTotal(side, price) + rem > MAX_QTY) {
        this.events.push(['cancel', id, owner, rem, 0, CancelReason.LEVEL_TOTAL_OVERFLOW]);
      } else if (rem > 0) {
        this.rest(id, owner, side, price, rem, stp, false);
      }
    } else if (type === OrderType.MARKET) {
      const rem = this.match(id, owner, side, null, qty, stp);
      if (rem > 0) this.events.push(['cancel', id, owner, rem, 0, CancelReason.MARKET_REMAINDER]);
    } else if (type === OrderType.IOC) {
      const rem = this.match(id, owner, side, price, qty, stp);
      if (rem > 0) this.events.push(['cancel', id, owner, rem, 0, CancelReason.IOC_REMAINDER]);
    } else if (type === OrderType.FOK) {
      if (this.fillable(owner, side, price, qty, stp)) this.match(id, owner, side, price, qty, stp);
      else this.events.push(['cancel', id, owner, qty, 0, CancelReason.FOK_KILL]);
    } else if (type === OrderType.POST_ONLY) {
      if (this.crosses(side, price)) this.events.push(['cancel', id, owner, qty, 0, CancelReason.POST_ONLY_REJECT]);
      else this.rest(id, owner, side, price, qty, stp, true);
    }
  }

  private inLimit(side: number, makerPrice: number, limit: number | null): boolean {
    return limit === null || (side === 0 ? makerPrice <= limit : makerPrice >= limit);
  }

  private fillable(owner: number, side: number, limit: number, qty: number, stp: number): boolean {
    let need = qty;
    for (const m of side === 0 ? this.asks : this.bids) {
      if (!this.inLimit(side, m.price, limit)) return false;
      if (stp !== StpMode.NONE && m.owner === owner) {
        if (stp === StpMode.CANCEL_OLDEST) continue;
        return false;
      }
      need -= m.qty;
      if (need <= 0) return true;
    }
    return false;
  }

  private match(id: number, owner: number, side: number, limit: number | null, qty: number, stp: number): number {
    const book = side === 0 ? this.asks : this.bids;
    let rem = qty;
    while (rem > 0 && book.length > 0) {
      const m = book[0];
      if (!this.inLimit(side, m.price, limit)) break;
      if (stp !== StpMode.NONE && m.owner === owner) {
        if (stp === StpMode.CANCEL_NEWEST) {
          this.events.push(['cancel', id, owner, rem, 0, CancelReason.STP]);
          return 0;
        }
        if (stp === StpMode.CANCEL_OLDEST || stp === StpMode.CANCEL_BOTH) {
          book.shift();
          this.events.push(['cancel', m.id, m.owner, m.qty, 0, CancelReason.STP]);
          if (stp === StpMode.CANCEL_BOTH) {
            this.events.push(['cancel', id, owner, rem, 0, CancelReason.STP]);
            return 0;
          }
          continue;
        }
        const d = Math.min(m.qty, rem);
        m.qty -= d;
        rem -= d;
        if (m.qty === 0) book.shift();
        this.events.push(['cancel', m.id, m.owner, d, m.qty, CancelReason.STP_DECREMENT]);
        this.events.push(['cancel', id, owner, d, rem, CancelReason.STP_DECREMENT]);
        continue;
      }
      const q = Math.min(m.qty, rem);
      m.qty -= q;
      rem -= q;
      if (m.qty === 0) book.shift();
      this.events.push(['fill', m.id, id, m.owner, owner, m.price, q, m.qty, rem]);
      this.last = m.price;
      this.hi = Math.max(this.hi, m.price);
      this.lo = Math.min(this.lo, m.price);
    }
    return rem;
  }

  private rest(id: number, owner: number, side: number, price: number, qty: number, stp: number, postOnly: boolean): void {
    const o: ROrder = { id, owner, side, price, qty, stp, postOnly, seq: this.seq++ };
    const book = side === 0 ? this.bids : this.asks;
    const before = (a: ROrder) => (side === 0 ? a.price < price : a.price > price);
    const i = book.findIndex(before);
    if (i < 0) book.push(o);
    else book.splice(i, 0, o);
    this.events.push(['rest', id, owner, side, price, qty]);
  }

  private runTriggers(): void {
    for (;;) {
      let pick: RStop | null = null;
      for (const s of this.stops) {
        if (s.side !== 0 || s.stopPrice > this.hi) continue;
        if (pick === null || s.stopPrice < pick.stopPrice || (s.stopPrice === pick.stopPrice && s.seq < pick.seq)) pick = s;
      }
      if (pick === null) {
        for (const s of this.stops) {
          if (s.side !== 1 || s.stopPrice < this.lo) continue;
          if (pick === null || s.stopPrice > pick.stopPrice || (s.stopPrice === pick.stopPrice && s.seq < pick.seq)) pick = s;
        }
      }
      if (pick === null) return;
      this.stops.splice(this.stops.indexOf(pick), 1);
      this.events.push(['trigger', pick.id, pick.owner, pick.side, pick.stopPrice]);
      const type = pick.type === OrderType.STOP ? OrderType.MARKET : OrderType.LIMIT;
      this.execute(pick.id, pick.owner, pick.side, type, pick.price, pick.qty, pick.stp);
    }
  }
}
