/**
 * Our orders at the paper venue and the execution reports about them: the live orders, the retained finished ones
 * (the venue's order history, a bounded ring), the order lookups, and every report the venue sends (accepts, fills
 * with their fees, cancels, expiries, rejections). A daemon runs for weeks, so nothing here grows with the orders it
 * ever sent.
 */
import { CancelReason } from '../../src/matching/index.js';
import { FeeRate } from '../../src/model/decimal.js';
import type { Instrument } from '../../src/model/instrument.js';
import type { ExecutionReport, FillReport, OrderBatch, ReportSink, VenueOrder, VenueOrderStatus } from '../../src/execution/venue.js';
import type { OrderId } from '../../src/model/ids.js';
import type { OrderType, Side, TimeInForce } from '../../src/model/order.js';
import { OpenHashMap, orderIdHash } from './open-hash-map.js';

/** String.prototype.charCodeAt as a constant: see src/model/json-text.ts (a megamorphic `text.charCodeAt` per char). */
const charCodeAt = String.prototype.charCodeAt;

/** Finished orders kept for lookups by default: enough for any reconciliation that follows a finish closely. */
export const DEFAULT_RETAIN_FINISHED = 4096;

export interface OurOrder {
  /** The order as the venue holds it now (an amend replaces it with the new price and venue quantity). */
  order: VenueOrder;
  /** (Written when it arrives: see OurOrders' reuseForgotten.) */
  venueOrderId: string;
  /** clientIdHash of its client order id (an amend keeps the client order id), made once when it arrived. */
  clientIdHash: number;
  filledLots: number;
  state: VenueOrderStatus['state'];
}

/**
 * A new order as the paper venue copies it out of a batch (a VenueOrder): OurOrders takes one from its spares
 * (`take`) and keeps it as the order's `order` until it forgets the order, then reuses it, so an order arriving costs
 * no new objects once the venue has forgotten as many as it retains.
 */
export class PaperOrder implements VenueOrder {
  orderId: OrderId = 0;
  clientOrderId = '';
  instrument: Instrument;
  side: Side = 'BUY';
  type: OrderType = 'LIMIT';
  timeInForce: TimeInForce = 'GTC';
  postOnly = false;
  priceTicks = 0;
  stopTicks = 0;
  qtyLots = 0;

  constructor(instrument: Instrument) {
    this.instrument = instrument;
  }

  /** Entry `i` of `batch` (what toVenueOrders copies). */
  copy(batch: OrderBatch, i: number): this {
    this.orderId = batch.orderId(i);
    this.clientOrderId = batch.clientOrderId(i);
    this.instrument = batch.instrument(i);
    this.side = batch.side(i);
    this.type = batch.type(i);
    this.timeInForce = batch.timeInForce(i);
    this.postOnly = batch.postOnly(i);
    this.priceTicks = batch.priceTicks(i);
    this.stopTicks = batch.stopTicks(i);
    this.qtyLots = batch.qtyLots(i);
    return this;
  }
}

/** Spare PaperOrders (and OurOrders) kept at most (beyond: left to the collector). */
const MAX_SPARES = 4096;

export interface OurOrdersOptions {
  readonly name: string;
  readonly makerBps: string;
  readonly takerBps: string;
  readonly now?: () => number;
  readonly retainFinished?: number;
}

export class OurOrders {
  private seq = 0;
  /**
   * Our live orders (arrived, not final) by order id: what fills, cancels and openOrders work on. A finished order
   * leaves this map and `liveByClientId` at once, and joins the retained finished ones.
   */
  private readonly ours = new OpenHashMap<number, OurOrder>();
  /**
   * Live orders by client order id (duplicate checks, lookups). Finished orders are not in it: a lookup that finds no
   * live order searches the retained ring instead (lookups are rare; an index kept over thousands of retained orders
   * cost three string-keyed operations on a large map per order, the paper venue's largest own cost per order).
   * A live order is the newest order with its client order id: no other can open under it while it is live.
   */
  private readonly liveByClientId = new OpenHashMap<string, OurOrder>();
  /** Retained finished orders, oldest first, in a ring of `retainFinished` entries. */
  private readonly finished: (OurOrder | undefined)[];
  /** clientIdHash of each retained order's client order id, by ring slot: a lookup compares strings only where these match. */
  private readonly finishedHashes: Int32Array;
  /** Each retained order's `order` when it is a PaperOrder (reused once the order is forgotten), by ring slot. */
  private readonly finishedPaper: (PaperOrder | undefined)[];
  private finishedHead = 0;
  private finishedCount = 0;
  /** An ACCEPTED report held back while a post-only order is checked (a refused one is REJECTED instead). */
  private heldAccept = -1;
  /** Mirror mode: an order already reported ACCEPTED whose rest now enters the engine (its onAccept is not reported). */
  silentAccept = -1;
  /** "<name>-" and "<name>-t": the venue order ids' and trade ids' prefixes, made once. */
  private readonly orderIdPrefix: string;
  private readonly tradeIdPrefix: string;
  /**
   * The fee rates of each instrument traded, made at its first fill: [2 x instrument index] maker, [+ 1] taker (a
   * rate is checked against the instrument's increments before use, so instruments sharing an index stay apart).
   */
  private readonly feeRates: (FeeRate | undefined)[] = [];
  /**
   * The sink reads a report during its call only (ReportSink.readsReportsOnce): FILL and ACCEPTED reports (one or
   * more of each per order) are these two objects, rewritten for each, not new ones. `reporting`: one of them is
   * being handed over (a report made meanwhile, from inside the sink's call, is a new object).
   */
  private readonly reuse: boolean;
  private reporting = false;
  private readonly fillReport: { -readonly [K in keyof FillReport]: FillReport[K] } = {
    kind: 'FILL', orderId: 0, tradeId: '', priceTicks: 0, qtyLots: 0, fee: '', feeCurrency: '', liquidity: 'MAKER', venueTs: 0,
  };
  /** PaperOrders of forgotten orders, for the next ones (take). */
  private readonly spareOrders: (PaperOrder | undefined)[] = new Array<PaperOrder | undefined>(MAX_SPARES).fill(undefined);
  /** Spares in spareOrders (a stack over a fixed array: push and pop on a plain array trim and regrow its store). */
  private spares = 0;
  /** OurOrders of forgotten orders, for the next ones (open), with reuseForgotten. */
  private readonly spareOurs: (OurOrder | undefined)[];
  private sparesOurs = 0;
  private readonly acceptReport: { kind: 'ACCEPTED'; orderId: number; venueOrderId: string } = { kind: 'ACCEPTED', orderId: 0, venueOrderId: '' };

  /**
   * `reuseForgotten`: the caller holds no OurOrder past its call (the paper venue reads one while it handles the
   * order), so the OurOrder of a forgotten order serves a new one. Without it (a caller that keeps them), a kept
   * OurOrder of a forgotten order stays that order's.
   */
  constructor(private readonly options: OurOrdersOptions, private readonly sink: ReportSink, reuseForgotten = false) {
    const retain = options.retainFinished ?? DEFAULT_RETAIN_FINISHED;
    if (!Number.isInteger(retain) || retain < 0) throw new RangeError('retainFinished must be a non-negative integer');
    this.finished = new Array<OurOrder | undefined>(retain).fill(undefined);
    this.finishedHashes = new Int32Array(retain);
    this.finishedPaper = new Array<PaperOrder | undefined>(retain).fill(undefined);
    this.orderIdPrefix = `${options.name}-`;
    this.tradeIdPrefix = `${options.name}-t`;
    this.reuse = sink.readsReportsOnce === true;
    this.spareOurs = new Array<OurOrder | undefined>(reuseForgotten ? MAX_SPARES : 0).fill(undefined);
  }

  report(r: ExecutionReport): void {
    this.sink.report(this.options.name, r);
  }

  /** A new order arrives: our live order, or undefined when refused as a duplicate client order id (reported). */
  open(o: VenueOrder): OurOrder | undefined {
    const hash = clientIdHash(o.clientOrderId);
    const previous = this.liveByClientId.get(o.clientOrderId, hash);
    if (previous !== undefined && this.isOpen(previous)) {
      this.report({ kind: 'REJECTED', orderId: o.orderId, reason: 'duplicate client order id' });
      return undefined;
    }
    const venueOrderId = this.orderIdPrefix + ++this.seq;
    let mine: OurOrder;
    if (this.sparesOurs === 0) mine = { order: o, venueOrderId, clientIdHash: hash, filledLots: 0, state: 'OPEN' };
    else {
      mine = this.spareOurs[--this.sparesOurs]!;
      this.spareOurs[this.sparesOurs] = undefined;
      mine.order = o;
      mine.venueOrderId = venueOrderId;
      mine.clientIdHash = hash;
      mine.filledLots = 0;
      mine.state = 'OPEN';
    }
    this.ours.set(o.orderId, orderIdHash(o.orderId), mine);
    this.liveByClientId.set(o.clientOrderId, hash, mine);
    return mine;
  }

  /** A PaperOrder to copy a new order into (a forgotten order's, or new). */
  take(instrument: Instrument): PaperOrder {
    if (this.spares === 0) return new PaperOrder(instrument);
    const o = this.spareOrders[--this.spares]!;
    this.spareOrders[this.spares] = undefined;
    return o;
  }

  /**
   * `o` is no longer held by anyone (an order refused before it opened, or one forgotten): a PaperOrder is kept for
   * `take`; any other VenueOrder (an amend's copy) is left to the collector.
   */
  giveBack(o: VenueOrder): void {
    if (o instanceof PaperOrder && this.spares < MAX_SPARES) this.spareOrders[this.spares++] = o;
  }

  /** Our live order with this order id (not final), or undefined. */
  live(orderId: number): OurOrder | undefined {
    return this.ours.get(orderId, orderIdHash(orderId));
  }

  /** The newest order with this client order id, live or retained finished (as the venue's order history answers). */
  lookup(clientOrderId: string): VenueOrderStatus | null {
    const hash = clientIdHash(clientOrderId);
    const o = this.liveByClientId.get(clientOrderId, hash) ?? this.retained(clientOrderId, hash);
    return o === undefined ? null : this.status(o);
  }

  /**
   * The newest retained finished order with this client order id, or undefined: a scan of the ring, newest first. An
   * order reusing a finished order's client order id opened after that one finished, so it finished later: the newest
   * finished is the newest opened.
   */
  private retained(clientOrderId: string, hash: number): OurOrder | undefined {
    const n = this.finished.length;
    for (let k = this.finishedCount - 1; k >= 0; k--) {
      const slot = (this.finishedHead + k) % n;
      if (this.finishedHashes[slot] !== hash) continue;
      const o = this.finished[slot]!;
      if (o.order.clientOrderId === clientOrderId) return o;
    }
    return undefined;
  }

  openOrders(instruments: readonly Instrument[]): VenueOrderStatus[] {
    const symbols = new Set(instruments.map((i) => i.symbol));
    const out: VenueOrderStatus[] = [];
    // `ours` holds live orders only: the scan costs what is open, not what was ever sent.
    this.ours.forEachValue((o) => {
      if (this.isOpen(o) && symbols.has(o.order.instrument.symbol)) out.push(this.status(o));
    });
    return out;
  }

  /** `byClientId`: the client order ids a lookup finds (of live and retained finished orders), counted on demand. */
  sizes(): { live: number; byClientId: number; finished: number } {
    const ids = new Set<string>();
    this.liveByClientId.forEachKey((k) => ids.add(k));
    const n = this.finished.length;
    for (let k = 0; k < this.finishedCount; k++) ids.add(this.finished[(this.finishedHead + k) % n]!.order.clientOrderId);
    return { live: this.ours.size, byClientId: ids.size, finished: this.finishedCount };
  }

  private status(o: OurOrder): VenueOrderStatus {
    const v = o.order;
    return {
      clientOrderId: v.clientOrderId,
      venueOrderId: o.venueOrderId,
      instrument: v.instrument,
      state: o.state,
      filledLots: o.filledLots,
      // what the order is, for the daemon's ownership check on reconciliation (reconciliation.ts)
      side: v.side,
      type: v.type,
      priceTicks: v.type === 'MARKET' ? undefined : v.priceTicks,
      qtyLots: v.qtyLots,
      symbolMatches: true,
    };
  }

  private isOpen(o: OurOrder): boolean {
    return o.state === 'OPEN' || o.state === 'PARTIALLY_FILLED';
  }

  refuse(mine: OurOrder, reason: string): void {
    this.finish(mine, 'REJECTED');
    this.report({ kind: 'REJECTED', orderId: mine.order.orderId, reason });
  }

  expire(mine: OurOrder, reason: string): void {
    this.finish(mine, 'EXPIRED');
    this.report({ kind: 'EXPIRED', orderId: mine.order.orderId, reason });
  }

  /**
   * A final state: the order leaves the live maps and joins the retained finished ones; the oldest retained one
   * beyond `retainFinished` is forgotten (a later cancel of it is answered "unknown order", a lookup finds nothing).
   */
  private finish(o: OurOrder, state: VenueOrderStatus['state']): void {
    o.state = state;
    const id = o.order.orderId;
    const idHash = orderIdHash(id);
    if (this.ours.get(id, idHash) !== o) return; // already finished
    this.ours.delete(id, idHash);
    this.liveByClientId.delete(o.order.clientOrderId, o.clientIdHash); // a live order is its client order id's entry (see open)
    const n = this.finished.length;
    if (n === 0) return;
    if (this.finishedCount === n) {
      // The oldest is forgotten: a PaperOrder of it serves the next order (no one else holds it: the live maps let
      // go of the order when it finished, lookups and openOrders hand out copies, and only the paper venue, which
      // reads an order's `order` while it handles the order, makes PaperOrders); so does its OurOrder with
      // reuseForgotten.
      // Neither object is read here: the forgotten order finished long ago, its objects are out of the CPU's caches
      // (the PaperOrder, if its `order` was one, was noted when it finished, while it was at hand).
      const paper = this.finishedPaper[this.finishedHead];
      if (paper !== undefined && this.spares < MAX_SPARES) this.spareOrders[this.spares++] = paper;
      if (this.sparesOurs < this.spareOurs.length) this.spareOurs[this.sparesOurs++] = this.finished[this.finishedHead];
      this.finished[this.finishedHead] = undefined;
      this.finishedPaper[this.finishedHead] = undefined;
      this.finishedHead = (this.finishedHead + 1) % n;
      this.finishedCount--;
    }
    const slot = (this.finishedHead + this.finishedCount) % n;
    this.finished[slot] = o;
    this.finishedPaper[slot] = o.order instanceof PaperOrder ? o.order : undefined;
    this.finishedHashes[slot] = o.clientIdHash;
    this.finishedCount++;
  }

  /** Hold back the ACCEPTED report of a post-only order until the engine has checked it. */
  holdAccept(id: number): void {
    this.heldAccept = id;
  }

  /**
   * The engine refused the held post-only order outright (a Status, no engine events): it was never accepted, so its
   * ACCEPTED is dropped, not sent (the caller reports it REJECTED).
   */
  dropHeldAccept(): void {
    this.heldAccept = -1;
  }

  releaseHeldAccept(): void {
    if (this.heldAccept < 0) return;
    const id = this.heldAccept;
    this.heldAccept = -1;
    const o = this.ours.get(id, orderIdHash(id));
    if (o !== undefined) this.accepted(id, o.venueOrderId);
  }

  /** The engine accepted our order `id`. */
  onAccept(id: number): void {
    if (id === this.heldAccept || id === this.silentAccept) return;
    const o = this.ours.get(id, orderIdHash(id));
    if (o !== undefined) this.accepted(id, o.venueOrderId);
  }

  /** The engine canceled what was left of our order `id` (nothing remains). */
  onCancel(id: number, reason: number): void {
    const o = this.ours.get(id, orderIdHash(id));
    if (reason === CancelReason.POST_ONLY_REJECT && id === this.heldAccept) {
      this.heldAccept = -1;
      if (o !== undefined) this.finish(o, 'REJECTED');
      this.report({ kind: 'REJECTED', orderId: id, reason: 'post-only order would cross' });
      return;
    }
    this.releaseHeldAccept();
    if (reason === CancelReason.USER || reason === CancelReason.STP) {
      if (o !== undefined) this.finish(o, 'CANCELED');
      this.report({ kind: 'CANCELED', orderId: id });
    } else {
      if (o !== undefined) this.finish(o, 'EXPIRED');
      const why = reason === CancelReason.FOK_KILL ? 'FOK order could not fill completely'
        : reason === CancelReason.LEVEL_TOTAL_OVERFLOW ? 'its price level would hold more than 2^53 lots'
        : 'no more liquidity for the rest';
      this.report({ kind: 'EXPIRED', orderId: id, reason: why });
    }
  }

  /** Reports our order `id` ACCEPTED. */
  private accepted(id: number, venueOrderId: string): void {
    if (!this.reuse || this.reporting) {
      this.report({ kind: 'ACCEPTED', orderId: id, venueOrderId });
      return;
    }
    const r = this.acceptReport;
    r.orderId = id;
    r.venueOrderId = venueOrderId;
    this.reporting = true;
    try {
      this.sink.report(this.options.name, r);
    } finally {
      this.reporting = false;
      r.venueOrderId = '';
    }
  }

  fill(id: number, price: number, qty: number, liquidity: 'MAKER' | 'TAKER'): void {
    this.releaseHeldAccept();
    const o = this.ours.get(id, orderIdHash(id));
    if (o === undefined) return;
    o.filledLots += qty;
    if (o.filledLots >= o.order.qtyLots) this.finish(o, 'FILLED');
    else o.state = 'PARTIALLY_FILLED';
    const ins = o.order.instrument;
    const tradeId = this.tradeIdPrefix + ++this.seq;
    // The simulated venue charges its configured rates in the quote currency: a stated fee, not an estimate.
    const fee = this.feeRate(ins, liquidity).text(price, qty);
    if (!this.reuse || this.reporting) {
      this.report({
        kind: 'FILL', orderId: id, tradeId, priceTicks: price, qtyLots: qty, fee, feeCurrency: ins.quote, liquidity, venueTs: this.options.now?.() ?? 0,
      });
      return;
    }
    const r = this.fillReport;
    r.orderId = id;
    r.tradeId = tradeId;
    r.priceTicks = price;
    r.qtyLots = qty;
    r.fee = fee;
    r.feeCurrency = ins.quote;
    r.liquidity = liquidity;
    r.venueTs = this.options.now?.() ?? 0;
    this.reporting = true;
    try {
      this.sink.report(this.options.name, r);
    } finally {
      this.reporting = false;
      r.tradeId = r.fee = r.feeCurrency = '';
    }
  }

  /** The rate a fill of `liquidity` on `ins` pays (made once per instrument and liquidity). */
  private feeRate(ins: Instrument, liquidity: 'MAKER' | 'TAKER'): FeeRate {
    const k = 2 * ins.index + (liquidity === 'MAKER' ? 0 : 1);
    const rate = this.feeRates[k];
    if (rate !== undefined && rate.tick === ins.tick && rate.lot === ins.lot) return rate;
    const made = new FeeRate(ins.tick, ins.lot, liquidity === 'MAKER' ? this.options.makerBps : this.options.takerBps);
    this.feeRates[k] = made;
    return made;
  }
}

/** FNV-1a of a client order id's UTF-16 code units, as an int32 (retained orders' lookups compare these first). */
function clientIdHash(text: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ charCodeAt.call(text, i), 0x01000193);
  return h;
}
