import { ALGO_ICEBERG, ALGO_NONE, ALGO_TWAP, NO_VENUE, OrderView, PRIORITY_CODE, ROUTE_CODE, ROUTE_DEFAULT, ROUTE_TABLE, TIF_CODE, TYPE_CODE, BUY, SELL, type NewOrderFields } from '../core/order-store.js';
import type { OrderTracker } from '../core/order-tracker.js';
import type { VenueAdapter } from '../execution/venue.js';
import type { VenueBatcher } from '../execution/batcher.js';
import type { ErrorCode } from '../model/errors.js';
import type { OrderIdCounter, OrderId } from '../model/ids.js';
import type { InstrumentRegistry } from '../model/instrument.js';
import { isOpen, type OrderIntent } from '../model/order.js';
import type { Router } from '../routing/router.js';
import type { Dispatcher } from './dispatcher.js';
import type { StrategyQueues } from './strategy-queues.js';

export type IntakeResult = { ok: true; order: OrderView } | { ok: false; code: ErrorCode; message: string };

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
  private readonly dispatchWaiters = new Map<OrderId, (order: OrderView) => void>();
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
  /** Set by `submitFields` when it refuses. */
  readonly refusal: Refusal = { code: 'INTERNAL' };

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
      onTransition: (order, _update, t) => {
        if (t.from !== 'CREATED' || this.dispatchWaiters.size === 0) return;
        const waiter = this.dispatchWaiters.get(order.id);
        if (waiter !== undefined) {
          this.dispatchWaiters.delete(order.id);
          waiter(new OrderView(this.tracker.store).at(order.slot));
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
    // The ring path's records are not decoded by decodeOrder in the daemon: a notional the core cannot hold exactly
    // is refused here for every producer (see InstrumentRegistry.maxNotionalUnits).
    if (!this.instruments.notionalFits(f.symbol, f.priceTicks, f.qtyLots) || !this.instruments.notionalFits(f.symbol, f.stopTicks, f.qtyLots)) {
      return this.refuse('NOTIONAL_TOO_LARGE');
    }
    if (f.clientOrderId !== undefined && this.tracker.hasClientOrderId(f.clientOrderId)) return this.refuse('DUPLICATE_CLIENT_ORDER_ID');
    if (this.queues.length(f.strategy, f.priority) >= this.queues.capacity) return this.refuse('QUEUE_FULL');
    if (f.venue !== NO_VENUE) f.route = ROUTE_TABLE;
    else if (f.route === ROUTE_DEFAULT) f.route = this.routes[f.strategy * this.symbolCount + f.symbol]!;
    f.arrivalMid = this.arrivalMids[f.symbol]!;
    const slot = this.tracker.create(this.ids.next(), f);
    this.queues.push(f.strategy, f.priority, slot, this.tracker.store.generation[slot]!);
    this.dispatcher.wake();
    return slot;
  }

  private refuse(code: ErrorCode): number {
    this.refusal.code = code;
    return -1;
  }

  /** Resolves once the dispatcher has decided about the order (SUBMITTED, DENIED or canceled in the queue). */
  dispatched(order: OrderView): Promise<OrderView> {
    if (order.state !== 'CREATED') return Promise.resolve(order);
    return new Promise((resolve) => this.dispatchWaiters.set(order.id, resolve));
  }

  /** Cancel: local if the order is still queued, else asked of the venue (or crossing book) holding it. */
  cancel(id: OrderId): IntakeResult {
    const slot = this.tracker.slotOf(id);
    if (slot < 0) return { ok: false, code: 'ORDER_NOT_FOUND', message: `no order ${id}` };
    return this.cancelSlot(slot);
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
    const t = this.tracker.applySlot(slot, { kind: 'CANCEL_REQUEST' });
    if (t.outcome !== 'APPLIED') return { ok: false, code: 'ORDER_NOT_CANCELABLE', message: `order ${order.id} is ${order.state}` };
    if (wasQueued) return { ok: true, order };
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
}

function refusalMessage(code: ErrorCode, clientOrderId: string | undefined): string {
  switch (code) {
    case 'TRADING_HALTED': return 'intake is closed';
    case 'JOURNAL_IO': return 'the journal could not be written: intake is closed';
    case 'DUPLICATE_CLIENT_ORDER_ID': return `client order id ${clientOrderId ?? ''} is already used`;
    case 'QUEUE_FULL': return 'the strategy queue is full';
    case 'NOTIONAL_TOO_LARGE': return 'price x quantity is too large to be counted exactly';
    default: return code;
  }
}
