import type { OrderId } from './ids.js';
import type { LifecycleEvent } from './lifecycle.js';
import type { OrderState, Side } from './order.js';

/**
 * What the daemon publishes about an order (API event stream, logs, later the journal).
 * Decimal values are strings. `seq`: the journal seq of the record that made the event durable (increasing across
 * restarts, not consecutive); without a journal, the tracker's count of transitions since the start.
 */
export interface OrderEvent {
  readonly seq: number;
  readonly ts: number;
  readonly orderId: OrderId;
  readonly clientOrderId: string;
  readonly strategy: string;
  readonly symbol: string;
  readonly side: Side;
  readonly venue: string | null;
  readonly event: LifecycleEvent;
  readonly from: OrderState;
  readonly state: OrderState;
  readonly filledQty: string;
  readonly reason: string | null;
  /** Present on fill events. */
  readonly fill?: {
    readonly tradeId: string;
    readonly price: string;
    readonly qty: string;
    /** In `feeCurrency`; positive = paid, negative = rebate. */
    readonly fee: string;
    readonly feeCurrency: string;
    readonly feeEstimated: boolean;
    readonly liquidity: 'MAKER' | 'TAKER';
    /** The venue's time of the trade (epoch ms), null when unknown. */
    readonly venueTs: number | null;
  };
}
