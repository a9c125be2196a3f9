import type { Clock } from '../model/clock.js';
import type { OrderEvent } from '../model/events.js';
import type { OrderId } from '../model/ids.js';
import type { InstrumentRegistry } from '../model/instrument.js';
import { applyUpdate, type OrderUpdate, type TransitionResult } from '../model/lifecycle.js';
import { isOpen, newOrder, type Order, type OrderIntent } from '../model/order.js';

/** Told about every order event that changed or was accepted as a benign duplicate, and every rejected one. */
export interface TrackerListener {
  onEvent?(order: Order, event: OrderEvent, update: OrderUpdate): void;
  /** An update the lifecycle refused (INVALID_TRANSITION, OVERFILL) or ignored as a duplicate. */
  onAnomaly?(order: Order, update: OrderUpdate, result: TransitionResult): void;
}

export interface TrackerOptions {
  /** How many finished orders stay queryable; the oldest are forgotten beyond this. */
  readonly retainFinished: number;
}

/**
 * Every order the daemon knows, indexed by id and client order id. The only place that applies lifecycle
 * updates, so every state change produces exactly one OrderEvent with the next sequence number.
 */
export class OrderTracker {
  private readonly orders = new Map<OrderId, Order>();
  private readonly byClientId = new Map<string, OrderId>();
  private readonly finished: OrderId[] = [];
  private finishedHead = 0;
  private readonly listeners: TrackerListener[] = [];
  private seq = 0;
  private openCount = 0;

  constructor(
    private readonly instruments: InstrumentRegistry,
    private readonly clock: Clock,
    private readonly options: TrackerOptions,
  ) {}

  listen(listener: TrackerListener): void {
    this.listeners.push(listener);
  }

  create(id: OrderId, clientOrderId: string, intent: OrderIntent): Order {
    if (this.byClientId.has(clientOrderId)) throw new RangeError(`client order id ${clientOrderId} already used`);
    const order = newOrder(id, clientOrderId, intent, this.clock.now());
    this.orders.set(id, order);
    this.byClientId.set(clientOrderId, id);
    this.openCount++;
    return order;
  }

  hasClientOrderId(clientOrderId: string): boolean {
    return this.byClientId.has(clientOrderId);
  }

  get(id: OrderId): Order | undefined {
    return this.orders.get(id);
  }

  getByClientOrderId(clientOrderId: string): Order | undefined {
    const id = this.byClientId.get(clientOrderId);
    return id === undefined ? undefined : this.orders.get(id);
  }

  /** Orders in id order; only open ones when `openOnly`. */
  list(openOnly: boolean): Order[] {
    const out: Order[] = [];
    for (const o of this.orders.values()) if (!openOnly || isOpen(o.state)) out.push(o);
    return out;
  }

  get open(): number {
    return this.openCount;
  }

  get lastSeq(): number {
    return this.seq;
  }

  apply(id: OrderId, update: OrderUpdate): TransitionResult | undefined {
    const order = this.orders.get(id);
    if (order === undefined) return undefined;
    const wasOpen = isOpen(order.state);
    const result = applyUpdate(order, update, this.clock.now());
    if (result.outcome !== 'APPLIED') {
      for (const l of this.listeners) l.onAnomaly?.(order, update, result);
      return result;
    }
    if (wasOpen && !isOpen(order.state)) {
      this.openCount--;
      this.retire(id);
    }
    const event = this.toEvent(order, update, result.event, result.from);
    for (const l of this.listeners) l.onEvent?.(order, event, update);
    return result;
  }

  private toEvent(order: Order, update: OrderUpdate, event: OrderEvent['event'], from: Order['state']): OrderEvent {
    const ins = this.instruments.get(order.symbol)!;
    const base = {
      seq: ++this.seq,
      ts: order.updatedAt,
      orderId: order.id,
      clientOrderId: order.clientOrderId,
      strategy: order.strategy,
      symbol: order.symbol,
      side: order.side,
      venue: order.venue ?? null,
      event,
      from,
      state: order.state,
      filledQty: ins.lotsToQty(order.filledLots),
      reason: order.reason ?? null,
    };
    if (update.kind !== 'FILL') return base;
    const f = update.fill;
    return {
      ...base,
      fill: { tradeId: f.tradeId, price: ins.ticksToPrice(f.priceTicks), qty: ins.lotsToQty(f.qtyLots), fee: f.fee, liquidity: f.liquidity },
    };
  }

  /** Keep at most `retainFinished` finished orders; a late report for a forgotten order is reported as unknown. */
  private retire(id: OrderId): void {
    this.finished.push(id);
    const excess = this.finished.length - this.finishedHead - this.options.retainFinished;
    for (let i = 0; i < excess; i++) {
      const old = this.finished[this.finishedHead++]!;
      const o = this.orders.get(old);
      if (o !== undefined && !isOpen(o.state)) {
        this.orders.delete(old);
        this.byClientId.delete(o.clientOrderId);
      }
    }
    if (this.finishedHead > 4096 && this.finishedHead * 2 > this.finished.length) {
      this.finished.splice(0, this.finishedHead);
      this.finishedHead = 0;
    }
  }
}
