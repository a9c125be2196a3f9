/**
 * The ring transport's narrow interface: what the intake needs from one strategy's ring pair, whoever hosts the
 * strategy (worker threads today: src/strategy/strategy-host.ts implements RingEndpoint). The intake drains the cancel
 * and order rings and publishes events; it never sees workers, modules or their lifecycle, so nothing here imports strategy/.
 */
import type { OrderState, OrderType, Side } from '../../model/order.js';
import type { EventRecord } from './event-record.js';
import type { RingConsumer } from './spsc-ring.js';

/** The daemon's end of one strategy's rings. */
export interface RingEndpoint {
  /** The strategy id (as configured). */
  readonly id: string;
  /**
   * SUBMIT records written by the strategy (decode with readOrderRecord into the consumer's own OrderRecord): taken
   * while the strategy's queues have room.
   */
  readonly orders: RingConsumer;
  /**
   * CANCEL records written by the strategy, numbered in the same sequence as its SUBMITs: taken every cycle, before the
   * orders and whatever the strategy's queues hold, so that a cancel never waits behind, nor is refused for, submits.
   */
  readonly cancels: RingConsumer;
  /**
   * Writes one event for the strategy and makes it visible at once; false when its ring is full (the endpoint owes the
   * strategy a RESYNC). A strategy that sleeps is not notified per event: it is woken once, by wake() or at the end of
   * the turn at the latest, for all the events written meanwhile.
   */
  publishEvent(rec: EventRecord): boolean;
  /** Rings the wake-up owed to a sleeping strategy now, if any (a no-op otherwise). */
  wake(): void;
}

/** The state of one open order, as answered by the SDK's openOrders() and carried after a RESYNC. */
export interface OrderSnapshot {
  readonly orderId: number;
  /** 0 when the order did not come from this strategy's queue (e.g. the API). */
  readonly seq: number;
  readonly tag: number;
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly type: OrderType;
  readonly state: OrderState;
  readonly priceTicks: number;
  readonly qtyLots: number;
  readonly filledLots: number;
}
