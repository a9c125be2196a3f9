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
   * Writes one event for the strategy and makes it visible at once (between holdEvents() and wake(): at that wake());
   * false when its ring is full (the endpoint owes the strategy a RESYNC). A strategy that sleeps is not notified per
   * event: it is woken once, by wake() or at the end of the turn at the latest, for all the events written meanwhile.
   */
  publishEvent(rec: EventRecord): boolean;
  /**
   * The events written from now on may be made visible together, by the next wake() (the dispatcher's cycle): the
   * endpoint decides (a worker that sleeps at once is better told at once).
   */
  holdEvents(): void;
  /** Makes the events held since holdEvents() visible, then rings the wake-up owed to a sleeping strategy, if any. */
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

/**
 * What a strategy is told after its events were lost (a RESYNC) or when it asks for its open orders: taken on the
 * daemon's thread, which is also the thread that reads the strategy's rings, between two reads — so it is exact about
 * what the daemon had read.
 */
export interface StrategySnapshot {
  /** The strategy's open orders (those that came from its rings: seq > 0; and any placed for it otherwise: seq 0). */
  readonly orders: readonly OrderSnapshot[];
  /**
   * The seq of the last record the head of the strategy's ORDER ring had passed (0: none yet). Every submit with a seq
   * up to it had been read (answered: ACK then its order's events, or REFUSED); every submit above it was still in the
   * order ring (or not written yet) and gets its answer later — unless it is in `withdrawn`, or in `orders` (taken
   * ahead of its turn, ring-intake.ts takeAhead). Cancels (their own ring, read first) do not move it.
   */
  readonly readSeq: number;
  /**
   * Seqs above readSeq of submits the daemon is done with (ascending): withdrawn from the order ring by a cancel
   * before the daemon read them (their REFUSED ORDER_WITHDRAWN was answered already, when the cancel was read), or taken
   * ahead of a waiting lower-priority submit (ring-intake.ts takeAhead) and refused or finished since.
   */
  readonly withdrawn: readonly number[];
}
