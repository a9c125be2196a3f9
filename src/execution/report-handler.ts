import type { Clock } from '../model/clock.js';
import type { OrderUpdate } from '../model/lifecycle.js';
import type { OrderTracker } from '../core/order-tracker.js';
import type { Fill } from '../model/order.js';
import type { ExecutionReport, FillReport, ReportSink, VenueHealth } from './venue.js';

/** Called for a report about an order the tracker does not know (forgotten, or not ours). */
export type UnknownReportHandler = (venue: string, report: ExecutionReport) => void;

/** A Fill whose fields ReportHandler rewrites for each FILL report (its scratch update). */
type FillFields = { -readonly [K in keyof Fill]-?: Fill[K] };

/**
 * Turns venue execution reports into lifecycle updates on the tracker. It reads a report during `report` only and
 * keeps nothing of it (readsReportsOnce): an unknown order's report goes to `onUnknown` as a copy.
 *
 * The updates of FILL and ACCEPTED reports (nearly every order has one of each) are written into two objects it
 * reuses, not made per report: the tracker's listeners read an update during their call only (the journal encodes
 * it, the event stream and history copy its fields, parent orders copy the fill). A report that arrives while one is
 * being applied (a listener that makes a venue report at once) gets new objects, as before.
 */
export class ReportHandler implements ReportSink {
  readonly readsReportsOnce = true;
  /** Applying a report (re-entered: the scratch updates are in use). */
  private busy = false;
  private readonly fill: FillFields = {
    orderId: 0, tradeId: '', venue: '', priceTicks: 0, qtyLots: 0, fee: '', feeCurrency: '', feeEstimated: false,
    liquidity: 'MAKER', ts: 0, venueTs: 0,
  };
  private readonly fillUpdate: OrderUpdate = { kind: 'FILL', fill: this.fill };
  private readonly acceptUpdate: { kind: 'ACCEPT'; venueOrderId: string | undefined } = { kind: 'ACCEPT', venueOrderId: undefined };

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
    let result: unknown;
    if (this.busy || (r.kind !== 'FILL' && r.kind !== 'ACCEPTED')) {
      result = this.tracker.apply(r.orderId, reportUpdate(venue, r, this.clock));
    } else {
      this.busy = true;
      try {
        result = this.tracker.apply(r.orderId, this.scratchUpdate(venue, r));
      } finally {
        this.busy = false;
        // (the strings are the report's; the numbers are overwritten by the next one)
        this.fill.tradeId = this.fill.venue = this.fill.fee = this.fill.feeCurrency = '';
        this.acceptUpdate.venueOrderId = undefined;
      }
    }
    if (result === undefined) this.onUnknown(venue, { ...r });
  }

  /** reportUpdate of a FILL or ACCEPTED report, written into the reused update of its kind. */
  private scratchUpdate(venue: string, r: ExecutionReport): OrderUpdate {
    if (r.kind === 'ACCEPTED') {
      this.acceptUpdate.venueOrderId = r.venueOrderId;
      return this.acceptUpdate;
    }
    const f = this.fill;
    const fr = r as FillReport;
    f.orderId = fr.orderId;
    f.tradeId = fr.tradeId;
    f.venue = venue;
    f.priceTicks = fr.priceTicks;
    f.qtyLots = fr.qtyLots;
    f.fee = fr.fee;
    f.feeCurrency = fr.feeCurrency;
    f.feeEstimated = fr.feeEstimated === true;
    f.liquidity = fr.liquidity;
    // (from the clock's time cell when it has one: a double returned from a call is boxed)
    const cell = this.clock.cell;
    f.ts = cell !== undefined ? cell[0]! : this.clock.now();
    f.venueTs = fr.venueTs;
    return this.fillUpdate;
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
