import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { TrackerListener } from '../execution/order-tracker.js';
import type { Clock } from '../model/clock.js';
import type { OrderEvent } from '../model/events.js';
import type { OrderUpdate, TransitionResult } from '../model/lifecycle.js';
import { isOpen, type Order } from '../model/order.js';

/** Submit-to-ack buckets in seconds: sub-millisecond resolution for in-process and paper venues. */
export const ACK_LATENCY_BUCKETS = [
  0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];

/** The daemon's Prometheus metrics, in their own Registry (never the global one). */
export class Metrics implements TrackerListener {
  readonly registry = new Registry();
  private readonly ordersByState: Counter<'state' | 'venue' | 'strategy'>;
  private readonly openOrders: Gauge<'strategy'>;
  private readonly rejects: Counter<'code'>;
  private readonly anomalies: Counter<'kind' | 'event' | 'from'>;
  private readonly fills: Counter<'venue' | 'liquidity'>;
  private readonly unknownReports: Counter<'venue'>;
  private readonly ackLatency: Histogram<'venue'>;
  private readonly submittedAt = new Map<number, bigint>();

  constructor(private readonly clock: Clock) {
    const registers = [this.registry];
    this.ordersByState = new Counter({
      name: 'switchyard_orders_total',
      help: 'Orders entering each lifecycle state, by venue and strategy',
      labelNames: ['state', 'venue', 'strategy'],
      registers,
    });
    this.openOrders = new Gauge({ name: 'switchyard_open_orders', help: 'Open orders by strategy', labelNames: ['strategy'], registers });
    this.rejects = new Counter({
      name: 'switchyard_rejects_total',
      help: 'Orders refused (at the edge, by risk, or by a venue), by error code',
      labelNames: ['code'],
      registers,
    });
    this.anomalies = new Counter({
      name: 'switchyard_lifecycle_anomalies_total',
      help: 'Order updates refused or ignored by the lifecycle (invalid transitions, overfills, duplicate fills)',
      labelNames: ['kind', 'event', 'from'],
      registers,
    });
    this.fills = new Counter({ name: 'switchyard_fills_total', help: 'Fills by venue and liquidity', labelNames: ['venue', 'liquidity'], registers });
    this.unknownReports = new Counter({
      name: 'switchyard_unknown_reports_total',
      help: 'Execution reports for orders the daemon does not know',
      labelNames: ['venue'],
      registers,
    });
    this.ackLatency = new Histogram({
      name: 'switchyard_submit_to_ack_seconds',
      help: 'Time from handing an order to a venue to its acknowledgement',
      labelNames: ['venue'],
      buckets: ACK_LATENCY_BUCKETS,
      registers,
    });
  }

  onEvent(order: Order, event: OrderEvent, update: OrderUpdate): void {
    const venue = order.venue ?? 'none';
    this.ordersByState.inc({ state: order.state, venue, strategy: order.strategy });
    if (event.from === 'CREATED') this.openOrders.inc({ strategy: order.strategy });
    if (update.kind === 'SUBMIT') this.submittedAt.set(order.id, this.clock.monoNs());
    if (order.state === 'DENIED' || order.state === 'REJECTED') this.rejects.inc({ code: order.reason ?? 'UNKNOWN' });
    if (update.kind === 'FILL') this.fills.inc({ venue, liquidity: update.fill.liquidity });
    const t = this.submittedAt.get(order.id);
    if (t !== undefined && order.state !== 'SUBMITTED' && order.state !== 'PENDING_CANCEL') {
      // First venue answer of any kind (ack, fill, reject, cancel) ends the submit-to-ack interval.
      this.ackLatency.observe({ venue }, Number(this.clock.monoNs() - t) / 1e9);
      this.submittedAt.delete(order.id);
    }
    if (isOpen(event.from) && !isOpen(event.state)) {
      this.openOrders.dec({ strategy: order.strategy });
      this.submittedAt.delete(order.id);
    }
  }

  onAnomaly(_order: Order, _update: OrderUpdate, result: TransitionResult): void {
    const kind = result.outcome === 'APPLIED' ? 'APPLIED' : (result.code ?? 'IGNORED');
    this.anomalies.inc({ kind, event: result.event, from: result.from });
  }

  /** An order refused at the edge (never created). */
  edgeReject(code: string): void {
    this.rejects.inc({ code });
  }

  unknownReport(venue: string): void {
    this.unknownReports.inc({ venue });
  }

  async render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

