/**
 * What the log says about orders. At info, with the order's ids: every decision taken about an order (routed to a
 * venue, denied by risk, rejected by the venue, canceled, expired, amended or not) and every fill. The venue's
 * acknowledgement, cancel and amend requests and triggers are at debug, where every event is logged in full (the
 * tracker's event description). Refused updates are warnings. The venue's message goes to the log; the rejects
 * metric carries only its catalogue code.
 */
import type { OrderTracker, TrackerListener } from '../core/order-tracker.js';
import type { Logger } from './logger.js';
import { rejectCodeLabel } from './metrics.js';

/** pino's numeric levels (log.levelVal). */
const DEBUG = 20;
const INFO = 30;

export function orderLogListener(log: Logger, tracker: OrderTracker): TrackerListener {
  // The level as a number, kept up to date by pino's level-change event: one compare per transition. Reading it from
  // the logger per transition (isLevelEnabled looks the level's name up; levelVal is a getter that a child logger
  // reaches through its prototype chain) cost about 8 % of the in-process submit path.
  let level = log.levelVal;
  log.on('level-change', () => {
    level = log.levelVal;
  });
  return {
    onTransition: (order, update, t) => {
      if (level <= DEBUG) {
        log.debug({ event: tracker.describe(order, update, t) }, 'order event');
        return;
      }
      if (level > INFO) return;
      const ids = { orderId: order.id, clientOrderId: order.clientOrderId, strategy: order.strategy, venue: order.venue ?? null };
      switch (update.kind) {
        case 'ROUTE':
        case 'SUBMIT':
          log.info({ ...ids, state: t.to }, 'order routed');
          return;
        case 'DENY':
          log.info({ ...ids, code: update.reason }, 'order denied');
          return;
        case 'REJECT':
          log.info({ ...ids, code: rejectCodeLabel(order.reason), reason: order.reason }, 'order rejected');
          return;
        case 'FILL': {
          const f = update.fill;
          const ins = tracker.store.instrument(order.slot);
          log.info({ ...ids, tradeId: f.tradeId, symbol: ins.symbol, side: order.side, price: ins.ticksToPrice(f.priceTicks),
            qty: ins.lotsToQty(f.qtyLots), liquidity: f.liquidity, state: t.to }, 'order filled');
          return;
        }
        case 'CANCELED':
        case 'EXPIRE':
        case 'CANCEL_REJECT':
        case 'AMENDED':
        case 'AMEND_REJECT':
          log.info({ ...ids, event: t.event, state: t.to, reason: order.reason ?? null }, `order ${t.event.toLowerCase()}`);
          return;
        default:
          // ACCEPT, CANCEL_REQUEST, AMEND_REQUEST, TRIGGER: debug only
          return;
      }
    },
    onAnomaly: (order, update, t) =>
      log.warn({ orderId: order.id, venue: order.venue ?? null, state: order.state, update: update.kind, result: t.toResult() }, 'order update refused by the lifecycle'),
  };
}
