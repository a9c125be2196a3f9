/**
 * The paper venue: a simulated exchange on the crossing engine. Per symbol, a seeded synthetic market maker keeps a
 * ladder of liquidity around a random-walk mid, and simulated other traders send market orders at a configured
 * rate. Our orders go into the same book, so they see real queue position behind resting liquidity, partial fills
 * as other traders take the levels they sit on, stops triggered by the last trade price, maker/taker fees and a
 * one-way latency on every request. Everything is deterministic for a given seed (and arrival times).
 */
import { CancelReason, OrderBook, OrderType, Side, Status, StpMode, type CrossingSink } from '../../src/matching/index.js';
import { feeText } from '../../src/model/decimal.js';
import type { Instrument } from '../../src/model/instrument.js';
import {
  toVenueOrders, type CancelRequest, type ExecutionReport, type OrderBatch, type ReportSink, type VenueAdapter,
  type VenueOrder, type VenueOrderStatus,
} from '../../src/execution/venue.js';
import { Prng } from './prng.js';

export interface PaperVenueOptions {
  readonly name: string;
  /** Instruments the venue lists, with the mid (ticks) the market starts from. */
  readonly markets: readonly { readonly instrument: Instrument; readonly startMidTicks: number }[];
  readonly makerBps: string;
  readonly takerBps: string;
  /** One-way latency of every order and cancel, in ms. */
  readonly latencyMs: number;
  readonly seed: number;
  /** Spread of the market maker's best quotes, in ticks (>= 1). */
  readonly spreadTicks: number;
  /** Largest random-walk step of the mid per interval, in ticks. */
  readonly volatilityTicks: number;
  /** Levels quoted on each side. */
  readonly depthLevels: number;
  /** Average quote value per level, as a number (simulation only). */
  readonly levelNotional: number;
  /** Average trades per second by simulated other traders. */
  readonly tradesPerSecond: number;
  /** Simulation interval in ms. */
  readonly stepMs: number;
  /** The simulated venue's clock, stamped on its trades (venue time); absent = trades carry no venue time (0). */
  readonly now?: () => number;
  /**
   * Finished orders the venue still answers lookups about (its order history), the oldest forgotten first.
   * Default DEFAULT_RETAIN_FINISHED. A forgotten order is unknown to the venue, as at a real exchange.
   */
  readonly retainFinished?: number;
}

/** Finished orders kept for lookups by default: enough for any reconciliation that follows a finish closely. */
export const DEFAULT_RETAIN_FINISHED = 4096;

const OWNER_MM = 0;
const OWNER_US = 1;
const OWNER_FLOW = 2;
/** Engine ids of simulated orders start here; ours are the daemon's order ids. */
const SIM_ID_BASE = 2 ** 40;

interface Market {
  readonly instrument: Instrument;
  readonly book: OrderBook;
  mid: number;
  /** Market maker orders: engine id by price (ticks), and price by engine id. */
  readonly quotes: Map<number, number>;
  readonly quotePrice: Map<number, number>;
  /** Lots per level (from levelNotional at the start mid). */
  readonly levelLots: number;
}

interface OurOrder {
  readonly order: VenueOrder;
  readonly venueOrderId: string;
  filledLots: number;
  state: VenueOrderStatus['state'];
}

export class PaperVenue implements VenueAdapter, CrossingSink {
  readonly name: string;
  private readonly markets = new Map<string, Market>();
  private readonly prng: Prng;
  private readonly timers = new Set<NodeJS.Timeout>();
  private walk: NodeJS.Timeout | undefined;
  /**
   * Set by stop(): requests handed over afterwards (a batch that waited for the journal while the daemon stopped or
   * abandoned its start) are dropped, as by a closed connection. A timer started then would report into a daemon
   * whose journal is already closed.
   */
  private stopped = false;
  private simId = SIM_ID_BASE;
  private seq = 0;
  /**
   * Our live orders (arrived, not final) by order id: what fills, cancels and openOrders work on. A daemon runs for
   * weeks, so nothing here may grow with the orders it ever sent: a finished order leaves this map at once, and
   * leaves `byClientId` once `retainFinished` newer orders have finished.
   */
  private readonly ours = new Map<number, OurOrder>();
  /** Live and retained finished orders by client order id (lookups, duplicate checks). */
  private readonly byClientId = new Map<string, OurOrder>();
  /** Retained finished orders, oldest first, in a ring of `retainFinished` entries. */
  private readonly finished: (OurOrder | undefined)[];
  private finishedHead = 0;
  private finishedCount = 0;
  /** An ACCEPTED report held back while a post-only order is checked (a refused one is REJECTED instead). */
  private heldAccept = -1;
  private current: Market | undefined;

  constructor(
    private readonly options: PaperVenueOptions,
    private readonly sink: ReportSink,
  ) {
    this.name = options.name;
    this.prng = new Prng(options.seed);
    if (options.spreadTicks < 1) throw new RangeError('spreadTicks must be >= 1');
    const retain = options.retainFinished ?? DEFAULT_RETAIN_FINISHED;
    if (!Number.isInteger(retain) || retain < 0) throw new RangeError('retainFinished must be a non-negative integer');
    this.finished = new Array<OurOrder | undefined>(retain).fill(undefined);
    for (const m of options.markets) {
      const ins = m.instrument;
      const notionalPerLot = Number(ins.notional.toText(m.startMidTicks)); // quote value of one lot at the mid
      const levelLots = Math.max(ins.minQtyLots, Math.round(options.levelNotional / notionalPerLot));
      const market: Market = { instrument: ins, book: new OrderBook(this), mid: m.startMidTicks, quotes: new Map(), quotePrice: new Map(), levelLots };
      this.markets.set(ins.symbol, market);
      this.requote(market);
    }
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.walk = setInterval(() => this.step(), this.options.stepMs);
    this.walk.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.walk !== undefined) clearInterval(this.walk);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** Best bid and ask in ticks (NaN when a side is empty). */
  quote(symbol: string): { bid: number; ask: number } | undefined {
    const m = this.markets.get(symbol);
    return m === undefined ? undefined : { bid: m.book.bestBid(), ask: m.book.bestAsk() };
  }

  submit(batch: OrderBatch): void {
    const orders = toVenueOrders(batch);
    this.later(() => {
      for (const o of orders) this.arrive(o);
    });
  }

  cancel(request: CancelRequest): void {
    this.later(() => {
      const m = this.markets.get(request.instrument.symbol);
      const status = m === undefined ? Status.UNKNOWN_ID : this.on(m, () => m.book.cancel(request.orderId));
      if (status !== Status.OK) this.report({ kind: 'CANCEL_REJECTED', orderId: request.orderId, reason: 'unknown order' });
    });
  }

  async lookup(clientOrderId: string): Promise<VenueOrderStatus | null> {
    const o = this.byClientId.get(clientOrderId);
    return o === undefined ? null : this.status(o);
  }

  async openOrders(instruments: readonly Instrument[]): Promise<VenueOrderStatus[]> {
    const symbols = new Set(instruments.map((i) => i.symbol));
    const out: VenueOrderStatus[] = [];
    // `ours` holds live orders only: the scan costs what is open, not what was ever sent.
    for (const o of this.ours.values()) {
      if (this.isOpen(o) && symbols.has(o.order.instrument.symbol)) out.push(this.status(o));
    }
    return out;
  }

  /** How many orders each per-order structure holds (tests and diagnostics: none grows with the orders ever sent). */
  structureSizes(): { live: number; byClientId: number; finished: number; timers: number } {
    return { live: this.ours.size, byClientId: this.byClientId.size, finished: this.finishedCount, timers: this.timers.size };
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

  private later(fn: () => void): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, this.options.latencyMs);
    this.timers.add(t);
  }

  private report(r: ExecutionReport): void {
    this.sink.report(this.name, r);
  }

  /** Run an engine call for market `m` (the sink needs to know which market its events are about). */
  private on<T>(m: Market, fn: () => T): T {
    const previous = this.current;
    this.current = m;
    try {
      return fn();
    } finally {
      this.current = previous;
    }
  }

  private arrive(o: VenueOrder): void {
    const m = this.markets.get(o.instrument.symbol);
    if (m === undefined) {
      this.report({ kind: 'REJECTED', orderId: o.orderId, reason: `${o.instrument.symbol} is not listed` });
      return;
    }
    if (this.byClientId.has(o.clientOrderId) && this.isOpen(this.byClientId.get(o.clientOrderId)!)) {
      this.report({ kind: 'REJECTED', orderId: o.orderId, reason: 'duplicate client order id' });
      return;
    }
    const mine: OurOrder = { order: o, venueOrderId: `${this.name}-${++this.seq}`, filledLots: 0, state: 'OPEN' };
    this.ours.set(o.orderId, mine);
    this.byClientId.set(o.clientOrderId, mine);
    const side = o.side === 'BUY' ? Side.BUY : Side.SELL;
    let type: number;
    switch (o.type) {
      case 'MARKET': type = OrderType.MARKET; break;
      case 'STOP': type = OrderType.STOP; break;
      case 'STOP_LIMIT': type = OrderType.STOP_LIMIT; break;
      default:
        type = o.postOnly ? OrderType.POST_ONLY : o.timeInForce === 'IOC' ? OrderType.IOC : o.timeInForce === 'FOK' ? OrderType.FOK : OrderType.LIMIT;
    }
    if (type === OrderType.POST_ONLY) this.heldAccept = o.orderId;
    const st = this.on(m, () => m.book.submit(o.orderId, OWNER_US, side, type, o.priceTicks, o.qtyLots, StpMode.NONE, o.stopTicks));
    this.releaseHeldAccept();
    if (st !== Status.OK) {
      this.finish(mine, 'REJECTED');
      this.report({ kind: 'REJECTED', orderId: o.orderId, reason: `refused by the paper venue (status ${st})` });
    }
  }

  private isOpen(o: OurOrder): boolean {
    return o.state === 'OPEN' || o.state === 'PARTIALLY_FILLED';
  }

  /**
   * A final state: the order leaves the live map and joins the retained finished ones; the oldest retained one
   * beyond `retainFinished` is forgotten (a later cancel of it is answered "unknown order", a lookup finds nothing).
   */
  private finish(o: OurOrder, state: VenueOrderStatus['state']): void {
    o.state = state;
    if (this.ours.get(o.order.orderId) !== o) return; // already finished
    this.ours.delete(o.order.orderId);
    const n = this.finished.length;
    if (n === 0) {
      this.forgetClientId(o);
      return;
    }
    if (this.finishedCount === n) {
      const old = this.finished[this.finishedHead]!;
      this.finished[this.finishedHead] = undefined;
      this.finishedHead = (this.finishedHead + 1) % n;
      this.finishedCount--;
      this.forgetClientId(old);
    }
    this.finished[(this.finishedHead + this.finishedCount) % n] = o;
    this.finishedCount++;
  }

  /** Drop a finished order's client id entry unless a newer order reused the id. */
  private forgetClientId(o: OurOrder): void {
    if (this.byClientId.get(o.order.clientOrderId) === o) this.byClientId.delete(o.order.clientOrderId);
  }

  private releaseHeldAccept(): void {
    if (this.heldAccept < 0) return;
    const id = this.heldAccept;
    this.heldAccept = -1;
    const o = this.ours.get(id);
    if (o !== undefined) this.report({ kind: 'ACCEPTED', orderId: id, venueOrderId: o.venueOrderId });
  }

  // ---- the simulated market ---------------------------------------------------------------------------------

  /** Run `steps` simulation intervals now (tests and scenario scripts; the timer runs them otherwise). */
  advance(steps = 1): void {
    for (let i = 0; i < steps; i++) this.step();
  }

  /** A simulated other trader sends a market order of `qtyLots` now. */
  trade(symbol: string, side: 'BUY' | 'SELL', qtyLots: number): void {
    const m = this.markets.get(symbol);
    if (m === undefined) throw new RangeError(`${symbol} is not listed on ${this.name}`);
    this.on(m, () => m.book.submit(++this.simId, OWNER_FLOW, side === 'BUY' ? Side.BUY : Side.SELL, OrderType.MARKET, 0, qtyLots));
  }

  /** Lots resting at a price on one side (all owners), for tests and diagnostics. */
  depthAt(symbol: string, side: 'BUY' | 'SELL', priceTicks: number): number {
    const m = this.markets.get(symbol);
    if (m === undefined) return 0;
    const prices = new Float64Array(this.options.depthLevels * 4);
    const qtys = new Float64Array(prices.length);
    const n = m.book.depth(side === 'BUY' ? Side.BUY : Side.SELL, prices.length, prices, qtys);
    for (let i = 0; i < n; i++) if (prices[i] === priceTicks) return qtys[i]!;
    return 0;
  }

  private step(): void {
    const v = this.options.volatilityTicks;
    const tradeChance = (this.options.tradesPerSecond * this.options.stepMs) / 1000;
    for (const m of this.markets.values()) {
      m.mid = Math.max(this.options.spreadTicks + this.options.depthLevels + 1, m.mid + this.prng.int(-v, v));
      this.requote(m);
      // Other traders: on average tradesPerSecond market orders, each a fraction of a level up to 1.5 levels.
      let trades = Math.floor(tradeChance);
      if (this.prng.next() < tradeChance - trades) trades++;
      for (let i = 0; i < trades; i++) {
        const side = this.prng.next() < 0.5 ? Side.BUY : Side.SELL;
        const qty = Math.max(1, Math.round(m.levelLots * (0.1 + 1.4 * this.prng.next())));
        this.on(m, () => m.book.submit(++this.simId, OWNER_FLOW, side, OrderType.MARKET, 0, qty));
      }
    }
  }

  /**
   * Keep the market maker's ladder around the mid: quotes that would now cross or are beyond the ladder are
   * canceled, missing levels are added; a level that is already quoted keeps its place in the queue.
   */
  private requote(m: Market): void {
    const half = Math.floor(this.options.spreadTicks / 2);
    const bestBid = m.mid - half;
    const bestAsk = bestBid + this.options.spreadTicks;
    const levels = this.options.depthLevels;
    for (const [price, id] of m.quotes) {
      const isBid = price <= m.mid;
      const keep = isBid ? price <= bestBid && price > bestBid - levels : price >= bestAsk && price < bestAsk + levels;
      if (!keep) this.on(m, () => m.book.cancel(id)); // onCancel forgets it
    }
    for (let k = 0; k < levels; k++) {
      this.quoteLevel(m, Side.BUY, bestBid - k);
      this.quoteLevel(m, Side.SELL, bestAsk + k);
    }
  }

  private quoteLevel(m: Market, side: number, price: number): void {
    if (price < 1 || m.quotes.has(price)) return;
    const qty = Math.max(1, Math.round(m.levelLots * (0.5 + this.prng.next())));
    const id = ++this.simId;
    m.quotes.set(price, id);
    m.quotePrice.set(id, price);
    // The market maker never takes: a level the other side already reaches is refused (and forgotten) this round.
    this.on(m, () => m.book.submit(id, OWNER_MM, side, OrderType.POST_ONLY, price, qty));
  }

  // ---- engine events ----------------------------------------------------------------------------------------

  onAccept(id: number, owner: number): void {
    if (owner !== OWNER_US || id === this.heldAccept) return;
    const o = this.ours.get(id);
    if (o !== undefined) this.report({ kind: 'ACCEPTED', orderId: id, venueOrderId: o.venueOrderId });
  }

  onRest(): void {}

  onTrigger(id: number, owner: number): void {
    if (owner === OWNER_US) this.report({ kind: 'TRIGGERED', orderId: id });
  }

  onFill(makerId: number, takerId: number, makerOwner: number, takerOwner: number, price: number, qty: number, makerRemaining: number): void {
    // A partly taken level stays quoted (and keeps its place in the queue); a level taken out is forgotten.
    if (makerOwner === OWNER_MM && makerRemaining === 0) this.forgetQuote(makerId);
    if (makerOwner === OWNER_US) this.ourFill(makerId, price, qty, 'MAKER');
    if (takerOwner === OWNER_US) this.ourFill(takerId, price, qty, 'TAKER');
  }

  onCancel(id: number, owner: number, _cancelled: number, remaining: number, reason: number): void {
    if (owner === OWNER_MM && remaining === 0) this.forgetQuote(id);
    if (owner !== OWNER_US || remaining > 0) return;
    const o = this.ours.get(id);
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
      const why = reason === CancelReason.FOK_KILL ? 'FOK order could not fill completely' : 'no more liquidity for the rest';
      this.report({ kind: 'EXPIRED', orderId: id, reason: why });
    }
  }

  private forgetQuote(id: number): void {
    const m = this.current;
    const price = m?.quotePrice.get(id);
    if (m === undefined || price === undefined) return;
    m.quotePrice.delete(id);
    if (m.quotes.get(price) === id) m.quotes.delete(price);
  }

  private ourFill(id: number, price: number, qty: number, liquidity: 'MAKER' | 'TAKER'): void {
    this.releaseHeldAccept();
    const o = this.ours.get(id);
    if (o === undefined) return;
    o.filledLots += qty;
    if (o.filledLots >= o.order.qtyLots) this.finish(o, 'FILLED');
    else o.state = 'PARTIALLY_FILLED';
    const ins = o.order.instrument;
    const bps = liquidity === 'MAKER' ? this.options.makerBps : this.options.takerBps;
    this.report({
      kind: 'FILL',
      orderId: id,
      tradeId: `${this.name}-t${++this.seq}`,
      priceTicks: price,
      qtyLots: qty,
      // The simulated venue charges its configured rates in the quote currency: a stated fee, not an estimate.
      fee: feeText(ins.tick, ins.lot, price, qty, bps),
      feeCurrency: ins.quote,
      liquidity,
      venueTs: this.options.now?.() ?? 0,
    });
  }
}
