/**
 * Crossing engine: the price-time priority matching engine used for internal crossing and by the
 * paper venue. Construct one OrderBook per instrument; see order-book.ts for the API and rules.
 */
export { OrderBook, OrderInfo } from './order-book.js';
export {
  type BookSnapshot,
  CancelReason,
  type CrossingSink,
  MAX_OWNER,
  MAX_PRICE,
  MAX_QTY,
  NullSink,
  ORDER_RECORD,
  type OrderBookOptions,
  OrderType,
  STOP_RECORD,
  Side,
  Status,
  StpMode,
} from './types.js';
