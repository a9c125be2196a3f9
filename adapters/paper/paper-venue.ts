/**
 * The paper venue: a simulated exchange on the crossing engine. Per symbol, a seeded synthetic market maker keeps a
 * ladder of liquidity around a random-walk mid, and simulated other traders send market orders at a configured
 * rate (simulated-market.ts). Our orders go into the same book, so they see real queue position behind resting
 * liquidity, partial fills as other traders take the levels they sit on, stops triggered by the last trade price,
 * maker/taker fees and a one-way latency on every request (our-orders.ts keeps our orders and reports on them).
 * Everything is deterministic for a given seed (and arrival times).
 *
 * Its book is public, as a real venue's is: given a market-data sink (`marketData`), after every change of a
 * market's book (each simulation step, each order that matched or rested, each cancel) it delivers the whole book
 * and each trade as it happens (book-publisher.ts).
 *
 * With `mirror`, there is no synthetic market: another venue's public book and trades are the liquidity (see
 * mirror.ts for the rules, mirror-mode.ts for how the venue applies them), the engine holds only our resting orders,
 * and the venue publishes no book of its own (the mirrored venue's book is already in the market data; a copy would
 * count the same liquidity twice).
 */
import type { BookSide } from '../../src/market/feed.js';
import { MAX_PRICE, MAX_QTY, OrderBook, OrderInfo, OrderType, Side, Status, StpMode, type CrossingSink } from '../../src/matching/index.js';
import type { Instrument } from '../../src/model/instrument.js';
import {
  type AmendRequest, type CancelRequest, type OrderBatch, type ReportSink, type VenueAdapter, type VenueOrder,
  type VenueOrderStatus,
} from '../../src/execution/venue.js';
import { BookPublisher, type PaperMarketData } from './book-publisher.js';
import { type MirrorBook, type MirrorListener, type PaperMirror, TakenLevels } from './mirror.js';
import { InFlightRequests } from './in-flight-requests.js';
import { MirrorMode } from './mirror-mode.js';
import { OurOrders } from './our-orders.js';
import { OWNER_FLOW, OWNER_MIRROR, OWNER_MM, OWNER_US, type Market, type PaperEngine } from './paper-market.js';
import { forgetQuote, SimulatedMarket, type SimulationOptions } from './simulated-market.js';

export type { MirrorSource, PaperMirror } from './mirror.js';
export type { PaperMarketData } from './book-publisher.js';
export { DEFAULT_RETAIN_FINISHED } from './our-orders.js';

export interface PaperVenueOptions extends SimulationOptions {
  readonly name: string;
  /** Instruments the venue lists, with the mid (ticks) the market starts from (unused when mirroring). */
  readonly markets: readonly { readonly instrument: Instrument; readonly startMidTicks: number }[];
  readonly makerBps: string;
  readonly takerBps: string;
  /**
   * One-way latency of every order and cancel, in ms. 0: the request arrives in the next event-loop turn (a
   * setImmediate, not a timer, which Node would hold for at least 1 ms).
   */
  readonly latencyMs: number;
  /** The simulated venue's clock, stamped on the fills it reports (venue time); absent = fills carry no venue time (0). */
  readonly now?: () => number;
  /**
   * Finished orders the venue still answers lookups about (its order history), the oldest forgotten first.
   * Default DEFAULT_RETAIN_FINISHED. A forgotten order is unknown to the venue, as at a real exchange.
   */
  readonly retainFinished?: number;
  /** Publish the book and trades (synthetic market only). */
  readonly marketData?: PaperMarketData;
  /** Trade against another venue's public book and trades instead of the synthetic market (mirror.ts). */
  readonly mirror?: PaperMirror;
}

/** Engine ids of simulated orders start here; ours are the daemon's order ids. */
const SIM_ID_BASE = 2 ** 40;

/** Kinds of request on their way (InFlightRequests), each with its payload. */
const REQ_ORDERS = 0; // VenueOrder[]: a batch, arriving as one request
const REQ_CANCEL = 1; // CancelRequest
const REQ_AMEND = 2; // AmendRequest
type Request = VenueOrder[] | CancelRequest | AmendRequest;
/** Empty batch lists kept for the next batches (submit, arriveBatch). */
const MAX_SPARE_LISTS = 64;

export class PaperVenue implements VenueAdapter, CrossingSink, MirrorListener {
  readonly name: string;
  private readonly markets = new Map<string, Market>();
  private readonly marketList: Market[] = [];
  /** Markets by instrument index (market data speaks in indexes). */
  private readonly byIndex: (Market | undefined)[] = [];
  /** Requests on their way (latencyMs): each on its timer, or its immediate when the latency is 0. */
  private readonly requests: InFlightRequests<Request>;
  private walk: NodeJS.Timeout | undefined;
  /**
   * Set by stop(): requests handed over afterwards (a batch that waited for the journal while the daemon stopped or
   * abandoned its start) are dropped, as by a closed connection. A timer started then would report into a daemon
   * whose journal is already closed.
   */
  private stopped = false;
  private simId = SIM_ID_BASE;
  /** The order an amend is moving in the engine (its engine cancel is not a cancel of the order): -1 when none. */
  private amending = -1;
  private readonly info = new Float64Array(OrderInfo.LENGTH);
  /** Empty batch lists (a stack over a fixed array: push and pop on a plain array trim and regrow its store). */
  private readonly spareLists: VenueOrder[][] = new Array<VenueOrder[]>(MAX_SPARE_LISTS).fill([]);
  private spareListCount = 0;
  private current: Market | undefined;
  /** Side of the order now taking liquidity in the engine (the last accepted or triggered): a trade's taker side. */
  private takerSide = 0;
  /** Engine calls in progress that publish once at their end (a simulation step). */
  private hold = 0;
  private readonly engine: PaperEngine = {
    on: (m, fn) => this.on(m, fn),
    submitTo: (m, id, owner, side, type, price, qty) => this.submitTo(m, id, owner, side, type, price, qty),
    nextSimId: () => ++this.simId,
    stopped: () => this.stopped,
  };
  private readonly sim: SimulatedMarket;
  private readonly orders: OurOrders;
  private readonly publisher: BookPublisher;
  private readonly mirrored: MirrorMode | undefined;

  constructor(
    private readonly options: PaperVenueOptions,
    sink: ReportSink,
  ) {
    this.name = options.name;
    this.requests = new InFlightRequests<Request>(options.latencyMs, (kind, payload) => this.arrived(kind, payload));
    this.sim = new SimulatedMarket(options, this.engine);
    this.orders = new OurOrders(options, sink, true); // (it holds an OurOrder only while handling its order)
    const mirror = options.mirror;
    if (mirror !== undefined && options.marketData !== undefined) {
      throw new RangeError('a mirroring paper venue publishes no book of its own (the mirrored venue\'s is in the market data)');
    }
    this.publisher = new BookPublisher(options.marketData);
    this.mirrored = mirror === undefined ? undefined : new MirrorMode(mirror, this.name, this.engine, this.orders, this.byIndex);
    this.hold++; // the first quotes are published by start()
    for (const m of options.markets) {
      const ins = m.instrument;
      const levelLots = mirror === undefined ? this.sim.levelLots(ins, m.startMidTicks) : 0;
      const market: Market = {
        instrument: ins, book: new OrderBook(this), mid: m.startMidTicks, quotes: new Map(), quotePrice: new Map(), levelLots, dirty: false,
        taken: [new TakenLevels(true), new TakenLevels(false)],
      };
      this.markets.set(ins.symbol, market);
      this.marketList.push(market);
      this.byIndex[ins.index] = market;
      if (mirror === undefined) this.sim.requote(market);
    }
    this.hold--;
    mirror?.market.listen(this);
  }

  async start(): Promise<void> {
    this.stopped = false;
    if (this.mirrored !== undefined) return; // no simulation: the mirrored venue's market moves on its own
    this.walk = setInterval(() => this.step(), this.options.stepMs);
    this.walk.unref();
    this.publisher.start(this.marketList);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.walk !== undefined) clearInterval(this.walk);
    this.publisher.stop();
    this.requests.clear();
  }

  /** Best bid and ask in ticks (NaN when a side is empty). */
  quote(symbol: string): { bid: number; ask: number } | undefined {
    const m = this.markets.get(symbol);
    return m === undefined ? undefined : { bid: m.book.bestBid(), ask: m.book.bestAsk() };
  }

  submit(batch: OrderBatch): void {
    if (this.stopped) return;
    // copied into reused objects (OurOrders.take) and a reused list (arriveBatch gives it back)
    const list = this.spareListCount > 0 ? this.spareLists[--this.spareListCount]! : [];
    for (let i = 0; i < batch.count; i++) list.push(this.orders.take(batch.instrument(i)).copy(batch, i));
    this.requests.add(REQ_ORDERS, list);
  }

  cancel(request: CancelRequest): void {
    if (!this.stopped) this.requests.add(REQ_CANCEL, request);
  }

  /**
   * Amend a resting order, after the venue's latency, in the shared matching engine (one intent, one live order: the
   * same engine id throughout). A quantity decrease at the same price is done in place and keeps the order's time
   * priority; a price change or a quantity increase takes the order out and puts it back under the same id with the new
   * terms: it goes to the back of its (new) price level, and a new price that crosses trades at once as a taker. The
   * new quantity is the daemon's new total: the venue order's total becomes it minus what crossed internally before the
   * order came here, and must stay above what filled here. Refused (AMEND_REJECTED, the order unchanged): an order no
   * longer resting (filled, canceled, expired: the amend lost the race), a new total not above the filled quantity, a
   * post-only order whose new price would cross, a new price or level total the engine would refuse (past MAX_PRICE,
   * past MAX_QTY), and — on a mirroring venue — anything but a quantity decrease.
   */
  amend(request: AmendRequest): void {
    if (!this.stopped) this.requests.add(REQ_AMEND, request);
  }

  /** A request arrives, after the latency (InFlightRequests). */
  private arrived(kind: number, payload: Request): void {
    if (kind === REQ_ORDERS) this.arriveBatch(payload as VenueOrder[]);
    else if (kind === REQ_CANCEL) this.arriveCancel(payload as CancelRequest);
    else this.arriveAmend(payload as AmendRequest);
  }

  /** A batch arrives as one request: the book is published once, after its last order (as after a simulation step). */
  private arriveBatch(orders: VenueOrder[]): void {
    this.hold++;
    try {
      for (let i = 0; i < orders.length; i++) this.arrive(orders[i]!);
    } finally {
      this.hold--;
      // the orders are OurOrders' now (or given back): the list serves another batch
      orders.length = 0;
      if (this.spareListCount < MAX_SPARE_LISTS) this.spareLists[this.spareListCount++] = orders;
    }
    if (this.hold === 0) for (let i = 0; i < this.marketList.length; i++) if (this.marketList[i]!.dirty) this.publisher.publish(this.marketList[i]!);
  }

  private arriveCancel(request: CancelRequest): void {
    const m = this.markets.get(request.instrument.symbol);
    const status = m === undefined ? Status.UNKNOWN_ID : this.cancelIn(m, request.orderId);
    if (status !== Status.OK) this.orders.report({ kind: 'CANCEL_REJECTED', orderId: request.orderId, reason: 'unknown order' });
  }

  private arriveAmend(request: AmendRequest): void {
    const id = request.orderId;
    const reject = (reason: string): void => this.orders.report({ kind: 'AMEND_REJECTED', orderId: id, reason });
    const m = this.markets.get(request.instrument.symbol);
    const mine = this.orders.live(id);
    if (m === undefined || mine === undefined || !m.book.getOrder(id, this.info)) {
      reject('unknown order (filled, canceled or expired)');
      return;
    }
    const o = mine.order;
    // what crossed internally before the order came here is not in the venue's order
    const venueTotal = request.qtyLots - (request.oldQtyLots - o.qtyLots);
    if (venueTotal <= mine.filledLots) {
      reject('the new quantity is not above the filled quantity');
      return;
    }
    const open = this.info[OrderInfo.QTY]!;
    const newOpen = venueTotal - mine.filledLots;
    const price = request.priceTicks;
    const side = o.side === 'BUY' ? Side.BUY : Side.SELL;
    const keepsPriority = price === o.priceTicks && newOpen < open;
    if (!keepsPriority && this.mirrored !== undefined) {
      reject('a mirroring paper venue amends quantity decreases only');
      return;
    }
    if (!keepsPriority && o.postOnly) {
      const best = side === Side.BUY ? m.book.bestAsk() : m.book.bestBid();
      if (best === best && (side === Side.BUY ? price >= best : price <= best)) {
        reject('post-only order would cross at the new price');
        return;
      }
    }
    if (!keepsPriority) {
      // The order is taken out and entered again: the engine would refuse the entry at a price past MAX_PRICE
      // (Status.INVALID_PRICE; the daemon passes any safe integer whose notional fits) or when its level's total
      // would pass MAX_QTY (Status.LEVEL_TOTAL_OVERFLOW). Refuse the amend before anything changes, as the engine would.
      if (!(price >= 1 && price <= MAX_PRICE && Number.isInteger(price))) {
        reject(`the new price is outside the paper venue's range (1 to 2^52 ticks)`);
        return;
      }
      const others = m.book.levelQty(side, price) - (price === o.priceTicks ? open : 0);
      if (newOpen > MAX_QTY - others) {
        reject('the price level would hold more than 2^53 - 1 lots');
        return;
      }
    }
    mine.order = { ...o, priceTicks: price, qtyLots: venueTotal };
    this.orders.report({ kind: 'AMENDED', orderId: id, priceTicks: price, qtyLots: request.qtyLots });
    if (keepsPriority) {
      this.on(m, () => m.book.reduce(id, newOpen));
      m.dirty = true;
      if (this.hold === 0) this.publisher.publish(m);
      return;
    }
    if (newOpen === open && price === o.priceTicks) return;
    // One change of the venue's book: published once, after the order is back (a book published between the engine's
    // cancel and the new entry would show the order gone, which it never is).
    this.hold++;
    try {
      this.amending = id;
      try {
        this.on(m, () => m.book.cancel(id));
      } finally {
        this.amending = -1;
      }
      this.orders.silentAccept = id;
      const type = o.postOnly ? OrderType.POST_ONLY : OrderType.LIMIT;
      const st = this.on(m, () => m.book.submit(id, OWNER_US, side, type, price, newOpen, StpMode.NONE, 0));
      this.orders.silentAccept = -1;
      if (st !== Status.OK) this.orders.refuse(mine, `refused by the paper venue (status ${st})`);
    } finally {
      this.hold--;
    }
    if (this.hold === 0 && m.dirty) this.publisher.publish(m);
  }

  async lookup(clientOrderId: string): Promise<VenueOrderStatus | null> {
    return this.orders.lookup(clientOrderId);
  }

  async openOrders(instruments: readonly Instrument[]): Promise<VenueOrderStatus[]> {
    return this.orders.openOrders(instruments);
  }

  /** How many orders each per-order structure holds (tests and diagnostics: none grows with the orders ever sent). */
  structureSizes(): { live: number; byClientId: number; finished: number; timers: number } {
    return { ...this.orders.sizes(), timers: this.requests.size };
  }

  /**
   * Run an engine call for market `m` (the sink needs to know which market its events are about). When the outermost
   * call ends, the book is published if it changed (a simulation step publishes once, at its end).
   */
  private on<T>(m: Market, fn: () => T): T {
    const previous = this.current;
    this.current = m;
    try {
      return fn();
    } finally {
      this.leave(m, previous);
    }
  }

  /**
   * `on` for one submit, without a closure (one per order arriving; mirror mode runs it per mirrored trade or crossing
   * level).
   */
  private submitTo(m: Market, id: number, owner: number, side: number, type: number, price: number, qty: number, stopTicks = 0): number {
    const previous = this.current;
    this.current = m;
    try {
      return m.book.submit(id, owner, side, type, price, qty, StpMode.NONE, stopTicks);
    } finally {
      this.leave(m, previous);
    }
  }

  /** Ends an engine call for `m` begun with `previous` current: the outermost one publishes the book if it changed. */
  private leave(m: Market, previous: Market | undefined): void {
    this.current = previous;
    if (previous === undefined && this.hold === 0 && m.dirty) this.publisher.publish(m);
  }

  /** `on` for one cancel, without a closure (one per cancel request). */
  private cancelIn(m: Market, id: number): number {
    const previous = this.current;
    this.current = m;
    try {
      return m.book.cancel(id);
    } finally {
      this.leave(m, previous);
    }
  }

  private arrive(o: VenueOrder): void {
    const m = this.markets.get(o.instrument.symbol);
    if (m === undefined) {
      this.orders.report({ kind: 'REJECTED', orderId: o.orderId, reason: `${o.instrument.symbol} is not listed` });
      this.orders.giveBack(o);
      return;
    }
    const mine = this.orders.open(o);
    if (mine === undefined) {
      this.orders.giveBack(o); // a duplicate: never held
      return;
    }
    if (this.mirrored !== undefined) {
      this.mirrored.arrive(m, mine);
      return;
    }
    const side = o.side === 'BUY' ? Side.BUY : Side.SELL;
    let type: number;
    switch (o.type) {
      case 'MARKET': type = OrderType.MARKET; break;
      case 'STOP': type = OrderType.STOP; break;
      case 'STOP_LIMIT': type = OrderType.STOP_LIMIT; break;
      case 'TRAILING_STOP':
        // held by the daemon (emulated stops), never sent to a venue
        this.orders.refuse(mine, 'TRAILING_STOP orders are emulated by the daemon, not taken by the paper venue');
        return;
      default:
        type = o.postOnly ? OrderType.POST_ONLY : o.timeInForce === 'IOC' ? OrderType.IOC : o.timeInForce === 'FOK' ? OrderType.FOK : OrderType.LIMIT;
    }
    if (type === OrderType.POST_ONLY) this.orders.holdAccept(o.orderId);
    const st = this.submitTo(m, o.orderId, OWNER_US, side, type, o.priceTicks, o.qtyLots, o.stopTicks);
    if (st !== Status.OK) {
      // refused before the engine accepted it (a post-only's held ACCEPTED is dropped): REJECTED alone
      this.orders.dropHeldAccept();
      this.orders.refuse(mine, `refused by the paper venue (status ${st})`);
      return;
    }
    this.orders.releaseHeldAccept();
  }

  // ---- mirror mode (mirror-mode.ts) ---------------------------------------------------------------------------

  onBook(venue: number, symbol: number, book: MirrorBook, usable: boolean): void {
    this.mirrored?.onBook(venue, symbol, book, usable);
  }

  onTrade(venue: number, symbol: number, priceTicks: number, qtyLots: number, takerSide: BookSide): void {
    this.mirrored?.onTrade(venue, symbol, priceTicks, qtyLots, takerSide);
  }

  // ---- the simulated market (simulated-market.ts) -------------------------------------------------------------

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

  /** Every price level of one side of the venue's own book, best first, as [price, lots] (tests and diagnostics). */
  bookLevels(symbol: string, side: 'BUY' | 'SELL'): [number, number][] {
    const m = this.markets.get(symbol);
    if (m === undefined) return [];
    const book = m.book;
    const s = side === 'BUY' ? Side.BUY : Side.SELL;
    const n = book.levelCount(s);
    const prices = new Float64Array(n);
    const qtys = new Float64Array(n);
    book.depth(s, n, prices, qtys);
    return Array.from(prices, (p, i) => [p, qtys[i]!]);
  }

  private step(): void {
    if (this.mirrored !== undefined) return;
    // one publication per market and step, once the step is done
    this.hold++;
    try {
      this.sim.step(this.marketList);
    } finally {
      this.hold--;
    }
    for (const m of this.marketList) if (m.dirty) this.publisher.publish(m);
  }

  // ---- engine events ----------------------------------------------------------------------------------------

  onAccept(id: number, owner: number, side: number): void {
    this.takerSide = side;
    if (owner === OWNER_US) this.orders.onAccept(id);
  }

  onRest(): void {
    if (this.current !== undefined) this.current.dirty = true;
  }

  onTrigger(id: number, owner: number, side: number): void {
    this.takerSide = side;
    if (owner === OWNER_US) this.orders.report({ kind: 'TRIGGERED', orderId: id });
  }

  onFill(makerId: number, takerId: number, makerOwner: number, takerOwner: number, price: number, qty: number, makerRemaining: number): void {
    const m = this.current;
    if (m !== undefined) {
      m.dirty = true;
      this.publisher.trade(m, price, qty, this.takerSide); // its book follows once the call is done
    }
    if (takerOwner === OWNER_MIRROR && this.mirrored !== undefined) this.mirrored.filled += qty;
    // A partly taken level stays quoted (and keeps its place in the queue); a level taken out is forgotten.
    if (makerOwner === OWNER_MM && makerRemaining === 0) forgetQuote(this.current, makerId);
    if (makerOwner === OWNER_US) this.orders.fill(makerId, price, qty, 'MAKER');
    if (takerOwner === OWNER_US) this.orders.fill(takerId, price, qty, 'TAKER');
  }

  onCancel(id: number, owner: number, _cancelled: number, remaining: number, reason: number): void {
    if (this.current !== undefined) this.current.dirty = true;
    if (owner === OWNER_MM && remaining === 0) forgetQuote(this.current, id);
    if (owner !== OWNER_US || remaining > 0 || id === this.amending) return;
    this.orders.onCancel(id, reason);
  }
}
