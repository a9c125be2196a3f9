import { ALGO_ICEBERG, ALGO_NONE, ALGO_TWAP, NO_VENUE, OrderView, PRIORITY_CODE, ROUTE_CODE, ROUTE_DEFAULT, ROUTE_TABLE, STATE_CODE, TIF_CODE, TYPE_CODE, BUY, SELL, type NewOrderFields, type OrderCopy } from '../core/order-store.js';
import type { OrderTracker } from '../core/order-tracker.js';
import type { VenueAdapter, VenueOrderStatus } from '../execution/venue.js';
import type { VenueBatcher } from '../execution/batcher.js';
import type { ErrorCode } from '../model/errors.js';
import type { OrderIdCounter, OrderId } from '../model/ids.js';
import type { InstrumentRegistry } from '../model/instrument.js';
import { amendPending, type OrderUpdate, type Transition } from '../model/lifecycle.js';
import { isOpen, MAX_PRICE_TICKS, MAX_PRICE_TICKS_TEXT, MAX_QTY_LOTS, MAX_QTY_LOTS_TEXT, priceBoundMessage, quantityBoundMessage, type OrderIntent } from '../model/order.js';
import type { Instrument } from '../model/instrument.js';
import { decimalTextFromNumber, type GridResult } from '../model/decimal.js';
import type { Router } from '../routing/router.js';
import type { Dispatcher } from './dispatcher.js';
import type { OrderEnhancers } from './order-enhancer.js';
import type { StrategyQueues } from './strategy-queues.js';

const CREATED = STATE_CODE.CREATED;
const SUBMITTED = STATE_CODE.SUBMITTED;
const PENDING_CANCEL = STATE_CODE.PENDING_CANCEL;

export type IntakeResult = { ok: true; order: OrderView } | { ok: false; code: ErrorCode; message: string };

/** What an amend asks for, in integers: the new limit price and the new TOTAL quantity (fills included); absent = unchanged. */
export interface AmendTerms {
  readonly priceTicks?: number | undefined;
  readonly qtyLots?: number | undefined;
}

/**
 * How an accepted amend ended. AMENDED: the venue confirmed, the new terms are in force (`order` shows them);
 * REJECTED: the venue refused (or the amend could not apply), the old terms hold, `reason` says why; FINISHED: the
 * order finished first (the last fill won the race, or the venue canceled or expired it) — fills are kept.
 */
export interface AmendOutcome {
  readonly result: 'AMENDED' | 'REJECTED' | 'FINISHED';
  /** The order when the venue answered (or it finished). */
  readonly order: OrderCopy;
  readonly reason?: string | undefined;
}

/**
 * `OrderIntake.amend`: refused at once with a code (nothing was sent), or accepted — the order is PENDING_UPDATE and
 * the venue was asked; `outcome` resolves when the venue has answered (AmendOutcome). The API answers 202 with the
 * order at once, or awaits `outcome` (and the journal) for a final answer.
 */
export type AmendResult =
  | { ok: true; order: OrderView; outcome: Promise<AmendOutcome> }
  | { ok: false; code: ErrorCode; message: string; field?: string };

/** Pre-trade risk's amend check (PreTradeRisk.checkAmend). */
export interface AmendRiskCheck {
  checkAmend(
    strategy: number, instrumentIndex: number, side: number, oldPriceTicks: number, oldRemainingLots: number,
    newPriceTicks: number, newRemainingLots: number, newTotalLots: number,
  ): ErrorCode | null;
}

/**
 * Told once the dispatcher has decided about an order (OrderIntake.waitDecision): `order` as it then is (SUBMITTED,
 * DENIED, or canceled in the queue), a view valid only during the call, which runs inside the tracker's listener —
 * it must only note what it needs (no update, no send, no I/O). `token`: what the waiter gave with it.
 */
export interface DecisionSink {
  decided(order: OrderView, token: number): void;
}

/** Why the last `submitFields` call refused its order. */
export interface Refusal {
  code: ErrorCode;
}

/**
 * Where orders and cancels enter the daemon on the main thread (the API, in-process producers; worker strategies
 * come through their rings, see ring-intake.ts, into the same strategy queues). Checks what needs daemon state
 * (strategy known, client order id unused, pinned venue lists the symbol, intake open, queue not full), creates
 * the order in the store and queues it for the dispatcher.
 */
export class OrderIntake {
  private accepting = false;
  /** What a new order is refused with while intake is closed. */
  private closedCode: ErrorCode = 'TRADING_HALTED';
  private readonly strategyIndex: ReadonlyMap<string, number>;
  private readonly dispatchWaiters = new Map<OrderId, (order: OrderCopy) => void>();
  /** Per slot: the sink waiting for its order's decision (waitDecision) and its token; `sinksWaiting` of them set. */
  private readonly decisionSinks: (DecisionSink | undefined)[] = [];
  private decisionTokens = new Int32Array(0);
  private sinksWaiting = 0;
  private readonly fields: NewOrderFields = {
    strategy: 0, symbol: 0, side: BUY, type: 0, tif: 0, postOnly: false, priority: 1,
    priceTicks: 0, stopTicks: 0, qtyLots: 0, venue: NO_VENUE, clientOrderId: undefined, producerSeq: 0, tag: 0, route: ROUTE_DEFAULT, parent: 0, algo: 0, paramA: 0, paramB: 0, arrivalMid: 0,
  };
  /**
   * Each strategy's route per symbol, at [strategy * symbols + symbol] (ROUTE_TABLE, ROUTE_BEST, ROUTE_SWEEP): what an
   * order that names no route gets. All table until setRoutes; a configuration reload writes it again.
   */
  readonly routes: Uint8Array;
  /**
   * Per symbol, the consolidated mid in ticks (0: none), kept current by the market data (compose/market-marks.ts):
   * every order records it at receipt as its arrival mid.
   */
  readonly arrivalMids: Float64Array;
  private readonly symbolCount: number;
  private cancelLimiter: ((strategy: number, cancels: number) => boolean) | undefined;
  /** Set by `submitFields` when it refuses. */
  readonly refusal: Refusal = { code: 'INTERNAL' };
  /** Amends waiting for their venue's answer, by order id (the callers' promises). */
  private readonly amendWaiters = new Map<OrderId, (outcome: AmendOutcome) => void>();
  /** Orders whose cancel was asked while an amend was pending: sent once the amend is answered (slot -> order id). */
  private readonly cancelAfterAmend = new Map<number, OrderId>();
  private amendRisk: AmendRiskCheck | undefined;
  /** The strategies' order enhancers (order-enhancer.ts), run on their orders before they are created; none: skipped. */
  private enhancers: OrderEnhancers | undefined;

  constructor(
    private readonly tracker: OrderTracker,
    private readonly ids: OrderIdCounter,
    private readonly queues: StrategyQueues,
    private readonly dispatcher: Dispatcher,
    private readonly router: Router,
    /** Adapters by venue index; the internal crossing book last when configured. */
    private readonly venues: readonly VenueAdapter[],
    private readonly instruments: InstrumentRegistry,
    strategies: readonly string[],
    private readonly batcher: VenueBatcher,
  ) {
    this.strategyIndex = new Map(strategies.map((s, i) => [s, i]));
    this.symbolCount = instruments.list.length;
    this.routes = new Uint8Array(strategies.length * this.symbolCount);
    this.arrivalMids = new Float64Array(this.symbolCount);
    tracker.listen({
      onTransition: (order, update, t) => {
        if (this.amendWaiters.size !== 0 || this.cancelAfterAmend.size !== 0) this.amendTransition(order, update, t);
        if (t.from !== 'CREATED') return;
        if (this.sinksWaiting !== 0) {
          const sink = this.decisionSinks[order.slot];
          if (sink !== undefined) {
            this.decisionSinks[order.slot] = undefined;
            this.sinksWaiting--;
            sink.decided(order, this.decisionTokens[order.slot]!);
          }
        }
        if (this.dispatchWaiters.size === 0) return;
        const waiter = this.dispatchWaiters.get(order.id);
        if (waiter !== undefined) {
          this.dispatchWaiters.delete(order.id);
          waiter(order.detach()); // now: the slot may be released (and reused) before the waiter reads it
        }
      },
    }, 'intake');
  }

  get isAccepting(): boolean {
    return this.accepting;
  }

  open(): void {
    this.accepting = true;
  }

  /**
   * Refuse new orders, with `code` (TRADING_HALTED: starting, stopping). JOURNAL_IO stays the answer once given:
   * a stop after a journal failure does not hide why the daemon took no more orders.
   */
  close(code: ErrorCode = 'TRADING_HALTED'): void {
    this.accepting = false;
    if (this.closedCode !== 'JOURNAL_IO') this.closedCode = code;
  }

  strategyOf(id: string): number {
    return this.strategyIndex.get(id) ?? -1;
  }

  /** An order from the API (already decoded at the edge). */
  submit(intent: OrderIntent): IntakeResult {
    const strategy = this.strategyIndex.get(intent.strategy);
    if (strategy === undefined) return { ok: false, code: 'UNKNOWN_STRATEGY', message: `unknown strategy "${intent.strategy}"` };
    const ins = this.instruments.get(intent.symbol)!;
    let venue = NO_VENUE;
    if (intent.venue !== undefined) {
      const v = this.router.venueIndex(intent.venue);
      if (v < 0 || !this.router.listsSymbol(v, ins.index)) {
        return { ok: false, code: 'UNKNOWN_VENUE', message: `venue "${intent.venue}" is not configured for ${intent.symbol}` };
      }
      venue = v;
    }
    const f = this.fields;
    f.strategy = strategy;
    f.symbol = ins.index;
    f.side = intent.side === 'BUY' ? BUY : SELL;
    f.type = TYPE_CODE[intent.type];
    f.tif = TIF_CODE[intent.timeInForce];
    f.postOnly = intent.postOnly;
    f.priority = PRIORITY_CODE[intent.priority];
    f.priceTicks = intent.priceTicks;
    f.stopTicks = intent.stopTicks;
    f.qtyLots = intent.qtyLots;
    f.venue = venue;
    f.clientOrderId = intent.clientOrderId;
    f.producerSeq = 0;
    f.tag = 0;
    f.route = intent.route === undefined ? ROUTE_DEFAULT : ROUTE_CODE[intent.route];
    f.parent = 0;
    const algo = intent.algo;
    f.algo = algo === undefined ? ALGO_NONE : algo.kind === 'TWAP' ? ALGO_TWAP : ALGO_ICEBERG;
    f.paramA = algo === undefined ? (intent.trailingOffsetTicks ?? 0) : algo.kind === 'TWAP' ? algo.horizonMs : algo.displayLots;
    f.paramB = algo !== undefined && algo.kind === 'TWAP' ? algo.intervalMs : 0;
    const slot = this.submitFields(f);
    if (slot < 0) return { ok: false, code: this.refusal.code, message: refusalMessage(this.refusal.code, intent.clientOrderId) };
    return { ok: true, order: new OrderView(this.tracker.store).at(slot) };
  }

  /** Sets every strategy's route per symbol (codes at [strategy * symbols + symbol]). */
  setRoutes(routes: ArrayLike<number>): void {
    if (routes.length !== this.routes.length) throw new RangeError(`routes for ${routes.length} strategy symbols, expected ${this.routes.length}`);
    this.routes.set(routes);
  }

  /**
   * An order as integers (in-process producers and the rings). Returns its slot, or -1 with `refusal.code` set.
   * `f.route` ROUTE_DEFAULT becomes the strategy's route for the symbol (an order pinned to a venue is not routed:
   * table). Allocates nothing when the client order id is made by the daemon.
   */
  submitFields(f: NewOrderFields): number {
    if (!this.accepting) return this.refuse(this.closedCode);
    // Past what the core holds exactly (the matching engine's bounds, MAX_PRICE_TICKS / MAX_QTY_LOTS), for every
    // producer (a trailing stop's offset, paramA without an algo, is a price too): the API's decodeOrder refuses them
    // first with the field and the bound; a ring record gets the code.
    if (f.priceTicks > MAX_PRICE_TICKS || f.stopTicks > MAX_PRICE_TICKS || (f.algo === ALGO_NONE && f.paramA > MAX_PRICE_TICKS)) return this.refuse('INVALID_PRICE');
    if (f.qtyLots > MAX_QTY_LOTS) return this.refuse('INVALID_QUANTITY');
    // The ring path's records are not decoded by decodeOrder in the daemon: a notional the core cannot hold exactly
    // is refused here for every producer (see InstrumentRegistry.maxNotionalUnits).
    if (!this.instruments.notionalFits(f.symbol, f.priceTicks, f.qtyLots) || !this.instruments.notionalFits(f.symbol, f.stopTicks, f.qtyLots)) {
      return this.refuse('NOTIONAL_TOO_LARGE');
    }
    if (f.clientOrderId !== undefined && this.tracker.hasClientOrderId(f.clientOrderId)) return this.refuse('DUPLICATE_CLIENT_ORDER_ID');
    // The strategy's enhancer may adjust the order's terms here (never raising its quantity or loosening its limit);
    // pre-trade risk checks the order as it then is, in the dispatcher.
    const enhancers = this.enhancers;
    const journalDecision = enhancers !== undefined && enhancers.enhance(f);
    if (this.queues.length(f.strategy, f.priority) >= this.queues.capacity) {
      if (journalDecision) enhancers.dropPending();
      return this.refuse('QUEUE_FULL');
    }
    if (f.venue !== NO_VENUE) f.route = ROUTE_TABLE;
    else if (f.route === ROUTE_DEFAULT) f.route = this.routes[f.strategy * this.symbolCount + f.symbol]!;
    f.arrivalMid = this.arrivalMids[f.symbol]!;
    const slot = this.tracker.create(this.ids.next(), f);
    if (journalDecision) enhancers.journalPending(this.tracker.store, slot);
    this.queues.push(f.strategy, f.priority, slot, this.tracker.store.generation[slot]!);
    this.dispatcher.wake();
    return slot;
  }

  private refuse(code: ErrorCode): number {
    this.refusal.code = code;
    return -1;
  }

  /**
   * Resolves once the dispatcher has decided about the order (SUBMITTED, DENIED or canceled in the queue), with the
   * order as it was then (a copy: a finished order may be forgotten, its slot given to another, before the caller
   * reads it). Call it while `order` is held: at once after submit, before anything else can finish orders.
   */
  dispatched(order: OrderView): Promise<OrderCopy> {
    if (order.state !== 'CREATED') return Promise.resolve(order.detach());
    return new Promise((resolve) => this.dispatchWaiters.set(order.id, resolve));
  }

  /**
   * `dispatched` without a promise per order (the WebSocket's batches: one sink for the submits of a frame): `sink` is
   * told once the dispatcher has decided about the order, with the order then — at once, before this returns, when
   * it was decided already. Call it while `order` is held, as `dispatched`. An order has at most one sink.
   */
  waitDecision(order: OrderView, sink: DecisionSink, token: number): void {
    if (order.state !== 'CREATED') {
      sink.decided(order, token);
      return;
    }
    const slot = order.slot;
    if (slot >= this.decisionTokens.length) {
      const tokens = new Int32Array(Math.max(1024, this.tracker.store.capacity, slot + 1));
      tokens.set(this.decisionTokens);
      this.decisionTokens = tokens;
      // filled, not written past its end: a JS array written far past its length turns into a dictionary
      while (this.decisionSinks.length < tokens.length) this.decisionSinks.push(undefined);
    }
    if (this.decisionSinks[slot] === undefined) this.sinksWaiting++;
    this.decisionSinks[slot] = sink;
    this.decisionTokens[slot] = token;
  }

  /**
   * A cancel the order's strategy asked for (API, worker ring, Redis): counted against its cancel rate
   * (RISK_CANCEL_RATE, refused, not queued) by the cancels it sends to venues (`venueCancels`), then as `cancelSlot`.
   * The rate protects the venues: a cancel that sends nothing — an order no venue has seen yet, a parent with no child
   * at a venue — withdraws the order at once (CANCELED) and is neither refused nor counted: refused, the order would
   * go on (to its venue, or to send children), the opposite of what the strategy asked. (A SUBMIT withdrawn from a
   * worker's order ring is not counted either: ring-intake.ts.) Cancels of the daemon's own (parents, shutdown, kill
   * switch, operator's cancel-all, self-trade prevention) use cancelSlot and are never limited.
   */
  strategyCancel(slot: number): IntakeResult {
    const s = this.tracker.store;
    const order = new OrderView(s).at(slot);
    if (!isOpen(order.state) || order.state === 'PENDING_CANCEL') {
      return { ok: false, code: 'ORDER_NOT_CANCELABLE', message: `order ${order.id} is ${order.state}` };
    }
    const cancels = this.venueCancels(slot);
    if (cancels > 0 && this.cancelLimiter !== undefined && !this.cancelLimiter(s.strategy[slot]!, cancels)) {
      return { ok: false, code: 'RISK_CANCEL_RATE', message: `strategy ${order.strategy} is over its maxCancelsPerSecond` };
    }
    return this.cancelSlot(slot);
  }

  /**
   * The cancels at venues `cancelSlot` sends for the order in `slot` now: none for an order no venue has seen yet
   * (still in its strategy queue, or in its venue's waiting batch: withdrawn), or already PENDING_CANCEL; otherwise
   * what its venue's adapter sends (one; a parent's, one per child at a venue: ParentOrders.venueCancels).
   */
  venueCancels(slot: number): number {
    const s = this.tracker.store;
    const state = s.state[slot]!;
    if (!this.tracker.isOpenSlot(slot) || state === PENDING_CANCEL || state === CREATED) return 0;
    const venue = s.venue[slot]!;
    if (state === SUBMITTED && this.batcher.holds(venue, slot)) return 0;
    return this.venues[venue]!.venueCancels?.(slot) ?? 1;
  }

  /** Attaches the strategies' order enhancers (loadEnhancers); undefined detaches them. */
  setEnhancers(enhancers: OrderEnhancers | undefined): void {
    this.enhancers = enhancers;
  }

  /** The strategies' cancel rate limit (pre-trade risk's token buckets), asked for `cancels` at once: false = over it. */
  setCancelLimiter(limiter: (strategy: number, cancels: number) => boolean): void {
    this.cancelLimiter = limiter;
  }

  /** Cancel by id, as the order's strategy asked (strategyCancel). */
  cancel(id: OrderId): IntakeResult {
    const slot = this.tracker.slotOf(id);
    if (slot < 0) return { ok: false, code: 'ORDER_NOT_FOUND', message: `no order ${id}` };
    return this.strategyCancel(slot);
  }

  /** Ask the venue again to cancel an order that is PENDING_CANCEL (after a restart the request may have been lost). */
  recancel(slot: number): void {
    const order = new OrderView(this.tracker.store).at(slot);
    if (order.state !== 'PENDING_CANCEL') return;
    this.venues[order.venueIndex]!.cancel({
      orderId: order.id,
      clientOrderId: order.clientOrderId,
      venueOrderId: order.venueOrderId,
      instrument: this.instruments.at(order.symbolIndex),
    });
  }

  cancelSlot(slot: number): IntakeResult {
    const order = new OrderView(this.tracker.store).at(slot);
    if (!isOpen(order.state) || order.state === 'PENDING_CANCEL') {
      return { ok: false, code: 'ORDER_NOT_CANCELABLE', message: `order ${order.id} is ${order.state}` };
    }
    const wasQueued = order.state === 'CREATED';
    const amending = order.state === 'PENDING_UPDATE';
    const t = this.tracker.applySlot(slot, { kind: 'CANCEL_REQUEST' });
    if (t.outcome !== 'APPLIED') return { ok: false, code: 'ORDER_NOT_CANCELABLE', message: `order ${order.id} is ${order.state}` };
    if (wasQueued) return { ok: true, order };
    if (amending) {
      // Never crossed with the amend in flight: a cancel-replace venue may be moving the order to new ids. Sent once
      // the amend is answered (see the constructor's listener).
      this.cancelAfterAmend.set(slot, order.id);
      return { ok: true, order };
    }
    if (this.batcher.remove(order.venueIndex, slot)) {
      // Still in its venue's waiting batch: the venue never saw it.
      this.tracker.applySlot(slot, { kind: 'CANCELED', reason: 'canceled before it was sent' });
    } else {
      this.venues[order.venueIndex]!.cancel({
        orderId: order.id,
        clientOrderId: order.clientOrderId,
        venueOrderId: order.venueOrderId,
        instrument: this.instruments.at(order.symbolIndex),
      });
    }
    return { ok: true, order };
  }

  // ---- amend -------------------------------------------------------------------------------------------------

  /** Pre-trade risk's amend check (the composition wires PreTradeRisk; without it amends are not risk-checked). */
  setAmendRisk(risk: AmendRiskCheck): void {
    this.amendRisk = risk;
  }

  /**
   * Amend an order's price and/or quantity from decimal texts (the API body `{"price"?, "quantity"?}`; JSON numbers at
   * their shortest decimal text): decoded through the order's instrument, a value off the tick or lot grid refused
   * (PRICE_NOT_ON_TICK, QUANTITY_NOT_ON_LOT), never rounded; then as `amend`.
   */
  amendDecimal(id: OrderId, body: { readonly price?: unknown; readonly quantity?: unknown }, strategyId?: string): AmendResult {
    const slot = this.tracker.slotOf(id);
    if (slot < 0) return { ok: false, code: 'ORDER_NOT_FOUND', message: `no order ${id}` };
    const ins = this.instruments.at(this.tracker.store.symbol[slot]!);
    const terms: { priceTicks?: number; qtyLots?: number } = {};
    if (body.price !== undefined) {
      const r = amendGrid(body.price, (t) => ins.priceToTicks(t));
      if (typeof r !== 'number') {
        return amendFieldError(r, 'price', 'INVALID_PRICE', 'PRICE_NOT_ON_TICK', `the tick size ${ins.tick.text}`, priceBoundMessage('price', ins.ticksToPrice(MAX_PRICE_TICKS), ins.quote));
      }
      terms.priceTicks = r;
    }
    if (body.quantity !== undefined) {
      const r = amendGrid(body.quantity, (t) => ins.qtyToLots(t));
      if (typeof r !== 'number') {
        return amendFieldError(r, 'quantity', 'INVALID_QUANTITY', 'QUANTITY_NOT_ON_LOT', `the lot size ${ins.lot.text}`, quantityBoundMessage(ins.lotsToQty(MAX_QTY_LOTS), ins.base));
      }
      terms.qtyLots = r;
    }
    return this.amend(id, terms, strategyId);
  }

  /**
   * Amend an acknowledged LIMIT order at its venue: the new price and/or the new total quantity (fills included: it
   * must stay above what filled). Refused at once (nothing sent) with ORDER_NOT_FOUND (also for another strategy's
   * order when `strategyId` is given), ORDER_NOT_AMENDABLE (finished, not yet acknowledged, a cancel or another amend
   * pending, a parent or child order held by the daemon, an emulated stop, the crossing book, a market order, a venue
   * without amend), AMEND_NO_CHANGE, INVALID_PRICE / INVALID_QUANTITY / BELOW_MIN_NOTIONAL / NOTIONAL_TOO_LARGE, a
   * pre-trade risk code, or TRADING_HALTED (intake closed). Accepted: the order is PENDING_UPDATE (journaled), the
   * venue is asked, and `outcome` resolves with its answer. The terms in force change only when the venue confirms.
   */
  amend(id: OrderId, terms: AmendTerms, strategyId?: string): AmendResult {
    const slot = this.tracker.slotOf(id);
    if (slot < 0) return { ok: false, code: 'ORDER_NOT_FOUND', message: `no order ${id}` };
    const s = this.tracker.store;
    const order = new OrderView(s).at(slot);
    if (strategyId !== undefined && order.strategy !== strategyId) return { ok: false, code: 'ORDER_NOT_FOUND', message: `no order ${id}` };
    if (!this.accepting) return { ok: false, code: this.closedCode, message: refusalMessage(this.closedCode, undefined) };
    const notAmendable = (why: string): AmendResult => ({ ok: false, code: 'ORDER_NOT_AMENDABLE', message: `order ${id} ${why}` });
    if (order.parentId !== 0) return notAmendable('is a child order of a parent held by the daemon: amend the parent is not supported');
    if (s.algo[slot] !== ALGO_NONE) return notAmendable('is an algorithm parent held by the daemon');
    if (order.type !== 'LIMIT') return notAmendable(`is a ${order.type} order: only limit orders are amended`);
    switch (order.state) {
      case 'ACCEPTED':
      case 'PARTIALLY_FILLED':
        break;
      case 'PENDING_UPDATE': return notAmendable('has an amend pending');
      case 'PENDING_CANCEL': return notAmendable('has a cancel pending');
      case 'CREATED':
      case 'SUBMITTED': return notAmendable(`is ${order.state}: not yet acknowledged by its venue`);
      default: return notAmendable(`is ${order.state}`);
    }
    const venue = this.venues[order.venueIndex];
    if (venue?.amend === undefined) return notAmendable(`is held by ${order.venue ?? 'no venue'}, which has no amend`);
    if (terms.priceTicks === undefined && terms.qtyLots === undefined) {
      return { ok: false, code: 'AMEND_NO_CHANGE', message: 'name a new price or a new quantity' };
    }
    const price = terms.priceTicks ?? order.priceTicks;
    const qty = terms.qtyLots ?? order.qtyLots;
    const ins = this.instruments.at(order.symbolIndex);
    if (price > MAX_PRICE_TICKS) return { ok: false, code: 'INVALID_PRICE', message: priceBoundMessage('price', ins.ticksToPrice(MAX_PRICE_TICKS), ins.quote), field: 'price' };
    if (qty > MAX_QTY_LOTS) return { ok: false, code: 'INVALID_QUANTITY', message: quantityBoundMessage(ins.lotsToQty(MAX_QTY_LOTS), ins.base), field: 'quantity' };
    if (!Number.isSafeInteger(price) || price <= 0) return { ok: false, code: 'INVALID_PRICE', message: 'price must be greater than zero', field: 'price' };
    if (!Number.isSafeInteger(qty) || qty <= 0) return { ok: false, code: 'INVALID_QUANTITY', message: 'quantity must be greater than zero', field: 'quantity' };
    if (qty <= order.filledLots) {
      return { ok: false, code: 'INVALID_QUANTITY', message: `quantity is the new total and must be above what filled (${ins.lotsToQty(order.filledLots)})`, field: 'quantity' };
    }
    if (qty < ins.minQtyLots) return { ok: false, code: 'INVALID_QUANTITY', message: `quantity is below the minimum ${ins.lotsToQty(ins.minQtyLots)}`, field: 'quantity' };
    if (!this.instruments.notionalFits(order.symbolIndex, price, qty)) {
      return { ok: false, code: 'NOTIONAL_TOO_LARGE', message: 'price x quantity is too large to be counted exactly' };
    }
    if (ins.minNotionalUnits > 0 && price * qty < ins.minNotionalUnits) {
      return { ok: false, code: 'BELOW_MIN_NOTIONAL', message: `price x quantity is below the minimum notional of ${ins.notional.toText(ins.minNotionalUnits)} ${ins.quote}`, field: 'quantity' };
    }
    if (price === order.priceTicks && qty === order.qtyLots) return { ok: false, code: 'AMEND_NO_CHANGE', message: 'the order already has these terms' };
    const filled = order.filledLots;
    const code = this.amendRisk?.checkAmend(
      s.strategy[slot]!, order.symbolIndex, s.side[slot]!, order.riskPriceTicks > 0 ? order.riskPriceTicks : order.priceTicks,
      order.qtyLots - filled, price, qty - filled, qty,
    ) ?? null;
    if (code !== null) return { ok: false, code, message: `the amended order breaks a pre-trade risk limit (${code})` };
    const replacement = replacementClientOrderId(s.clientIdPrefix, order.id, order.clientOrderId);
    const oldPrice = order.priceTicks;
    const oldQty = order.qtyLots;
    const t = this.tracker.applySlot(slot, { kind: 'AMEND_REQUEST', priceTicks: price, qtyLots: qty, clientOrderId: replacement });
    if (t.outcome !== 'APPLIED') return notAmendable(`is ${order.state}`);
    const outcome = new Promise<AmendOutcome>((resolve) => this.amendWaiters.set(id, resolve));
    venue.amend({
      orderId: order.id, clientOrderId: order.clientOrderId, venueOrderId: order.venueOrderId, instrument: ins,
      side: order.side, type: order.type, timeInForce: order.timeInForce, postOnly: order.postOnly,
      oldPriceTicks: oldPrice, oldQtyLots: oldQty, priceTicks: price, qtyLots: qty, filledLots: filled,
      newClientOrderId: replacement,
    });
    return { ok: true, order: new OrderView(s).at(slot), outcome };
  }

  /**
   * Settle an amend left pending by a restart (its answer was lost): the venue's order shows which terms it has.
   * Looked up by the replacement's client order id first (a cancel-replace venue), then by the order's own ids.
   * The replacement open, or the order open under the asked terms: AMENDED; the order open under the old terms:
   * AMEND_REJECT; the order canceled at the venue and no replacement: CANCELED (the cancel leg ran, the new order did
   * not). Nothing is applied when the venue cannot say (no lookup, not found, an error): it stays pending, never guessed.
   */
  async resolvePendingAmend(slot: number): Promise<boolean> {
    const s = this.tracker.store;
    const order = new OrderView(s).at(slot);
    if (!amendPending(order)) return false;
    const id = order.id;
    const venue = this.venues[order.venueIndex];
    if (venue?.lookup === undefined) return false;
    const ins = this.instruments.at(order.symbolIndex);
    const replacement = order.amendClientOrderId;
    const still = (): boolean => s.id[slot] === id && amendPending(new OrderView(s).at(slot));
    let status: VenueOrderStatus | null = null;
    if (replacement !== '' && replacement !== order.clientOrderId) {
      status = await venue.lookup(replacement, ins);
      if (!still()) return false;
      if (status !== null && status.state !== 'REJECTED') {
        this.tracker.applySlot(slot, {
          kind: 'AMENDED', priceTicks: status.priceTicks ?? order.amendPriceTicks, qtyLots: order.amendQtyLots,
          venueOrderId: status.venueOrderId, clientOrderId: replacement,
        });
        return true;
      }
    }
    status = await venue.lookup(order.clientOrderId, ins, order.venueOrderId);
    if (!still() || status === null) return false;
    const now = new OrderView(s).at(slot);
    if (status.state === 'CANCELED') {
      this.tracker.applySlot(slot, { kind: 'CANCELED', reason: 'canceled at the venue while the amend was pending (looked up)' });
      return true;
    }
    if (status.state !== 'OPEN' && status.state !== 'PARTIALLY_FILLED') return false; // fills and ends: reconciliation's
    // The venue's quantity is its order's total (what it placed or was amended to, fills included).
    const asked = status.priceTicks === now.amendPriceTicks && status.qtyLots === now.amendQtyLots;
    const old = status.priceTicks === now.priceTicks && status.qtyLots === now.qtyLots;
    if (asked && !old) this.tracker.applySlot(slot, { kind: 'AMENDED', priceTicks: now.amendPriceTicks, qtyLots: now.amendQtyLots });
    else if (old && !asked) this.tracker.applySlot(slot, { kind: 'AMEND_REJECT', reason: 'not applied at the venue (looked up)' });
    else return false;
    return true;
  }

  /** An amend answered (or the order finished first): the caller's promise, and a cancel that waited for it. */
  private amendTransition(order: OrderView, update: OrderUpdate, t: Transition): void {
    if (t.event !== 'AMENDED' && t.event !== 'AMEND_REJECT' && amendPending(order)) return;
    const waiter = this.amendWaiters.get(order.id);
    if (waiter !== undefined) {
      this.amendWaiters.delete(order.id);
      const view = order.detach(); // the outcome as it is now (the caller reads it after the journal's wait)
      if (t.event === 'AMENDED') waiter({ result: 'AMENDED', order: view });
      else if (t.event === 'AMEND_REJECT') waiter({ result: 'REJECTED', order: view, reason: update.kind === 'AMEND_REJECT' ? update.reason : undefined });
      else waiter({ result: 'FINISHED', order: view, reason: order.reason });
    }
    // A cancel asked while the amend was pending goes out now, with the ids the order is bound to after the amend.
    if (this.cancelAfterAmend.get(order.slot) === order.id) {
      this.cancelAfterAmend.delete(order.slot);
      if (order.state === 'PENDING_CANCEL') this.sendCancel(order.slot);
    }
  }

  /** The venue request of a cancel (the order's current ids). */
  private sendCancel(slot: number): void {
    const order = new OrderView(this.tracker.store).at(slot);
    this.venues[order.venueIndex]!.cancel({
      orderId: order.id,
      clientOrderId: order.clientOrderId,
      venueOrderId: order.venueOrderId,
      instrument: this.instruments.at(order.symbolIndex),
    });
  }
}

function refusalMessage(code: ErrorCode, clientOrderId: string | undefined): string {
  switch (code) {
    case 'TRADING_HALTED': return 'intake is closed';
    case 'JOURNAL_IO': return 'the journal could not be written: intake is closed';
    case 'DUPLICATE_CLIENT_ORDER_ID': return `client order id ${clientOrderId ?? ''} is already used`;
    case 'QUEUE_FULL': return 'the strategy queue is full';
    case 'NOTIONAL_TOO_LARGE': return 'price x quantity is too large to be counted exactly';
    case 'INVALID_PRICE': return `a price is above the largest price the core holds exactly, ${MAX_PRICE_TICKS_TEXT}`;
    case 'INVALID_QUANTITY': return `quantity is above the largest quantity the core holds exactly, ${MAX_QTY_LOTS_TEXT}`;
    default: return code;
  }
}

/**
 * The client order id of the order's next replacement on a cancel-replace venue: `<prefix><order id base 36>R<n>`,
 * n one more than the current replacement's (0 first). Restart-proof (derived from the id in force, journaled with the
 * request), never a daemon-made id of another order (those are all lower case), at most 32 letters and digits.
 */
export function replacementClientOrderId(prefix: string, orderId: OrderId, current: string): string {
  const base = prefix + orderId.toString(36) + 'R';
  const n = current.startsWith(base) ? Number.parseInt(current.slice(base.length), 36) + 1 : 0;
  return base + (Number.isSafeInteger(n) ? n : 0).toString(36);
}

/** A decimal price or quantity of an amend body as grid units, or the grid error (undefined: not a decimal). */
function amendGrid(value: unknown, convert: (text: string) => GridResult): number | GridResult | undefined {
  const text = typeof value === 'string' ? value : typeof value === 'number' && Number.isFinite(value) ? decimalTextFromNumber(value) : undefined;
  if (text === undefined) return undefined;
  const r = convert(text);
  return r.ok ? r.value : r;
}

function amendFieldError(r: GridResult | undefined, field: string, invalid: ErrorCode, offGrid: ErrorCode, grid: string, tooLarge: string): AmendResult {
  if (r !== undefined && !r.ok && r.error === 'OFF_GRID') return { ok: false, code: offGrid, message: `${field} must be a multiple of ${grid}`, field };
  if (r !== undefined && !r.ok && r.error === 'TOO_LARGE') return { ok: false, code: invalid, message: tooLarge, field };
  return { ok: false, code: invalid, message: `${field} must be a positive decimal string or number`, field };
}
