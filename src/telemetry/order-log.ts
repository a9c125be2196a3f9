/**
 * What the log says about orders: every event at debug level; otherwise only rejections (with the venue's
 * message, which the rejects metric leaves out: it carries only the catalogue code) and refused updates.
 */
import type { OrderTracker, TrackerListener } from '../core/order-tracker.js';
import type { Logger } from './logger.js';
import { rejectCodeLabel } from './metrics.js';

export function orderLogListener(log: Logger, tracker: OrderTracker): TrackerListener {
  return {
    onTransition: (order, update, t) => {
      if (log.isLevelEnabled('debug')) log.debug({ event: tracker.describe(order, update, t) }, 'order event');
      // A venue's rejection message is logged here; the rejects metric carries only its catalogue code.
      else if (t.to === 'REJECTED') log.info({ orderId: order.id, venue: order.venue, code: rejectCodeLabel(order.reason), reason: order.reason }, 'order rejected');
    },
    onAnomaly: (order, update, t) =>
      log.warn({ orderId: order.id, state: order.state, update: update.kind, result: t.toResult() }, 'order update refused by the lifecycle'),
  };
}
