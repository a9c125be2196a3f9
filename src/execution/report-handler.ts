import type { Clock } from '../model/clock.js';
import type { OrderUpdate } from '../model/lifecycle.js';
import type { OrderTracker } from '../core/order-tracker.js';
import type { ExecutionReport, ReportSink, VenueHealth } from './venue.js';

/** Called for a report about an order the tracker does not know (forgotten, or not ours). */
export type UnknownReportHandler = (venue: string, report: ExecutionReport) => void;

/** Turns venue execution reports into lifecycle updates on the tracker. */
export class ReportHandler implements ReportSink {
  constructor(
    private readonly tracker: OrderTracker,
    private readonly clock: Clock,
    private readonly onUnknown: UnknownReportHandler,
    private readonly onHealth: (venue: string, health: VenueHealth, reason?: string) => void = () => {},
  ) {}

  health(venue: string, health: VenueHealth, reason?: string): void {
    this.onHealth(venue, health, reason);
  }

  report(venue: string, r: ExecutionReport): void {
    const result = this.tracker.apply(r.orderId, reportUpdate(venue, r, this.clock));
    if (result === undefined) this.onUnknown(venue, r);
  }
}

/**
 * A venue report as the lifecycle update the tracker applies: the one mapping, used by ReportHandler and by the
 * adapter conformance tests (which check that every adapter's reports make a valid lifecycle through it). A fill
 * is stamped with the clock's time when the daemon took it in (the venue's own time stays in venueTs).
 */
export function reportUpdate(venue: string, r: ExecutionReport, clock: Clock): OrderUpdate {
  switch (r.kind) {
    case 'ACCEPTED':
      return { kind: 'ACCEPT', venueOrderId: r.venueOrderId };
    case 'REJECTED':
      return { kind: 'REJECT', reason: r.reason };
    case 'FILL':
      return {
        kind: 'FILL',
        fill: {
          orderId: r.orderId,
          tradeId: r.tradeId,
          venue,
          priceTicks: r.priceTicks,
          qtyLots: r.qtyLots,
          fee: r.fee,
          feeCurrency: r.feeCurrency,
          feeEstimated: r.feeEstimated === true,
          liquidity: r.liquidity,
          ts: clock.now(),
          venueTs: r.venueTs,
        },
      };
    case 'CANCELED':
      return { kind: 'CANCELED', reason: r.reason };
    case 'CANCEL_REJECTED':
      return { kind: 'CANCEL_REJECT', reason: r.reason };
    case 'EXPIRED':
      return { kind: 'EXPIRE', reason: r.reason };
    case 'TRIGGERED':
      return { kind: 'TRIGGER' };
    case 'AMENDED':
      return { kind: 'AMENDED', priceTicks: r.priceTicks, qtyLots: r.qtyLots, venueOrderId: r.venueOrderId, clientOrderId: r.clientOrderId };
    case 'AMEND_REJECTED':
      return { kind: 'AMEND_REJECT', reason: r.reason };
  }
}
