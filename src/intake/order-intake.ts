import type { OrderTracker } from '../execution/order-tracker.js';
import type { VenueAdapter } from '../execution/venue.js';
import type { ErrorCode } from '../model/errors.js';
import { makeClientOrderId, type OrderIdCounter, type OrderId } from '../model/ids.js';
import type { InstrumentRegistry } from '../model/instrument.js';
import { isOpen, type Order, type OrderIntent } from '../model/order.js';
import type { Router } from '../routing/router.js';
import type { BoundedQueue } from './bounded-queue.js';
import type { Dispatcher } from './dispatcher.js';

export type IntakeResult = { ok: true; order: Order } | { ok: false; code: ErrorCode; message: string };

/**
 * Where validated orders and cancels enter the daemon (API now; strategy rings later). Checks what needs
 * daemon state (strategy known, client order id unused, pinned venue lists the symbol, intake open, queue not
 * full), creates the order and queues it for the dispatcher.
 */
export class OrderIntake {
  private accepting = false;
  private readonly strategies: ReadonlySet<string>;
  private readonly dispatchWaiters = new Map<OrderId, (order: Order) => void>();

  constructor(
    private readonly tracker: OrderTracker,
    private readonly ids: OrderIdCounter,
    private readonly queue: BoundedQueue<Order>,
    private readonly dispatcher: Dispatcher,
    private readonly router: Router,
    private readonly venues: readonly VenueAdapter[],
    private readonly instruments: InstrumentRegistry,
    strategies: readonly string[],
    private readonly clientIdPrefix: string,
  ) {
    this.strategies = new Set(strategies);
    tracker.listen({
      onEvent: (order, event) => {
        if (event.from !== 'CREATED') return;
        const waiter = this.dispatchWaiters.get(order.id);
        if (waiter !== undefined) {
          this.dispatchWaiters.delete(order.id);
          waiter(order);
        }
      },
    });
  }

  get isAccepting(): boolean {
    return this.accepting;
  }

  open(): void {
    this.accepting = true;
  }

  close(): void {
    this.accepting = false;
  }

  submit(intent: OrderIntent): IntakeResult {
    if (!this.accepting) return { ok: false, code: 'TRADING_HALTED', message: 'intake is closed' };
    if (!this.strategies.has(intent.strategy)) return { ok: false, code: 'UNKNOWN_STRATEGY', message: `unknown strategy "${intent.strategy}"` };
    if (intent.venue !== undefined) {
      const v = this.router.venueIndex(intent.venue);
      const ins = this.instruments.get(intent.symbol)!;
      if (v < 0 || !this.router.listsSymbol(v, ins.index)) {
        return { ok: false, code: 'UNKNOWN_VENUE', message: `venue "${intent.venue}" is not configured for ${intent.symbol}` };
      }
    }
    if (intent.clientOrderId !== undefined && this.tracker.hasClientOrderId(intent.clientOrderId)) {
      return { ok: false, code: 'DUPLICATE_CLIENT_ORDER_ID', message: `client order id ${intent.clientOrderId} is already used` };
    }
    if (this.queue.size >= this.queue.capacity) return { ok: false, code: 'QUEUE_FULL', message: 'intake queue is full' };
    const id = this.ids.next();
    const clientOrderId = intent.clientOrderId ?? makeClientOrderId(this.clientIdPrefix, id);
    if (this.tracker.hasClientOrderId(clientOrderId)) {
      return { ok: false, code: 'DUPLICATE_CLIENT_ORDER_ID', message: `client order id ${clientOrderId} is already used` };
    }
    const order = this.tracker.create(id, clientOrderId, intent);
    this.queue.push(order);
    this.dispatcher.wake();
    return { ok: true, order };
  }

  /** Resolves once the dispatcher has decided about the order (SUBMITTED, DENIED or canceled in the queue). */
  dispatched(order: Order): Promise<Order> {
    if (order.state !== 'CREATED') return Promise.resolve(order);
    return new Promise((resolve) => this.dispatchWaiters.set(order.id, resolve));
  }

  /** Cancel: local if the order is still queued, else asked of its venue. Allowed while intake is closed. */
  cancel(id: OrderId): IntakeResult {
    const order = this.tracker.get(id);
    if (order === undefined) return { ok: false, code: 'ORDER_NOT_FOUND', message: `no order ${id}` };
    if (!isOpen(order.state) || order.state === 'PENDING_CANCEL') {
      return { ok: false, code: 'ORDER_NOT_CANCELABLE', message: `order ${id} is ${order.state}` };
    }
    const wasQueued = order.state === 'CREATED';
    const r = this.tracker.apply(id, { kind: 'CANCEL_REQUEST' });
    if (r === undefined || r.outcome !== 'APPLIED') return { ok: false, code: 'ORDER_NOT_CANCELABLE', message: `order ${id} is ${order.state}` };
    if (!wasQueued) {
      const venue = this.venues[this.router.venueIndex(order.venue!)]!;
      venue.cancel({
        orderId: order.id,
        clientOrderId: order.clientOrderId,
        venueOrderId: order.venueOrderId,
        instrument: this.instruments.get(order.symbol)!,
      });
    }
    return { ok: true, order };
  }
}
