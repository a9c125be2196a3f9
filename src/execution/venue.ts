import type { Instrument } from '../model/instrument.js';
import type { OrderId } from '../model/ids.js';
import type { OrderType, Side, TimeInForce } from '../model/order.js';

/**
 * The one interface every venue adapter implements (paper, ccxt, native websockets).
 * Adapters see only the model and this file. Orders go out in batches; everything the venue says comes
 * back as ExecutionReports through the sink given at construction, in the order the venue said it.
 */
export interface VenueOrder {
  readonly orderId: OrderId;
  readonly clientOrderId: string;
  readonly instrument: Instrument;
  readonly side: Side;
  readonly type: OrderType;
  readonly timeInForce: TimeInForce;
  readonly postOnly: boolean;
  readonly priceTicks: number;
  readonly stopTicks: number;
  readonly qtyLots: number;
}

export interface CancelRequest {
  readonly orderId: OrderId;
  readonly clientOrderId: string;
  readonly venueOrderId: string | undefined;
  readonly instrument: Instrument;
}

export type ExecutionReport =
  | { readonly kind: 'ACCEPTED'; readonly orderId: OrderId; readonly venueOrderId: string }
  | { readonly kind: 'REJECTED'; readonly orderId: OrderId; readonly reason: string }
  | {
      readonly kind: 'FILL';
      readonly orderId: OrderId;
      readonly tradeId: string;
      readonly priceTicks: number;
      readonly qtyLots: number;
      /** Fee in quote currency, decimal text. */
      readonly fee: string;
      readonly liquidity: 'MAKER' | 'TAKER';
    }
  | { readonly kind: 'CANCELED'; readonly orderId: OrderId; readonly reason?: string }
  | { readonly kind: 'CANCEL_REJECTED'; readonly orderId: OrderId; readonly reason: string }
  | { readonly kind: 'EXPIRED'; readonly orderId: OrderId; readonly reason?: string }
  | { readonly kind: 'TRIGGERED'; readonly orderId: OrderId };

export interface ReportSink {
  report(venue: string, report: ExecutionReport): void;
}

export interface VenueAdapter {
  readonly name: string;
  /** Connect, load markets; resolves when orders may be sent. */
  start(): Promise<void>;
  /** Hand a batch of new orders to the venue. Never throws: failures arrive as REJECTED reports. */
  submit(batch: readonly VenueOrder[]): void;
  /** Ask for a cancel. The answer arrives as CANCELED or CANCEL_REJECTED. */
  cancel(request: CancelRequest): void;
  /** Stop timers and connections. Reports may still arrive until it resolves. */
  stop(): Promise<void>;
}
