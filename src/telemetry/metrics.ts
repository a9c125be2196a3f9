import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { TrackerListener } from '../execution/order-tracker.js';
import type { OrderView } from '../execution/order-store.js';
import type { Clock } from '../model/clock.js';
import type { OrderUpdate, Transition } from '../model/lifecycle.js';
import { isOpen, ORDER_STATES } from '../model/order.js';

/** Submit-to-ack buckets in seconds: sub-millisecond resolution for in-process and paper venues. */
export const ACK_LATENCY_BUCKETS = [
  0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];

type CounterChild = { inc(value?: number): void };
type GaugeChild = { inc(value?: number): void; dec(value?: number): void };
type HistogramChild = { observe(value: number): void };

/**
 * The daemon's Prometheus metrics, in their own Registry (never the global one). Label children are created once
 * per label combination and cached by index, so counting a transition allocates nothing.
 */
export class Metrics implements TrackerListener {
  readonly registry = new Registry();
  private readonly ordersByState: Counter<'state' | 'venue' | 'strategy'>;
  private readonly openOrders: Gauge<'strategy'>;
  private readonly rejects: Counter<'code'>;
  private readonly anomalies: Counter<'kind' | 'event' | 'from'>;
  private readonly fills: Counter<'venue' | 'liquidity'>;
  private readonly unknownReports: Counter<'venue'>;
  private readonly ackLatency: Histogram<'venue'>;
  readonly crossedVolume: Counter<'symbol'>;
  readonly crossingFeesSaved: Counter<'symbol'>;
  /** [state][venue][strategy] */
  private readonly stateChildren: (CounterChild | undefined)[][][];
  private readonly openChildren: (GaugeChild | undefined)[];
  private readonly ackChildren: (HistogramChild | undefined)[];

  constructor(
    private readonly clock: Clock,
    private readonly venueNames: readonly string[],
    private readonly strategyIds: readonly string[],
  ) {
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
      help: 'Time from handing an order to a venue to its first answer (ack, fill, reject or cancel)',
      labelNames: ['venue'],
      buckets: ACK_LATENCY_BUCKETS,
      registers,
    });
    this.crossedVolume = new Counter({
      name: 'switchyard_crossed_volume_total',
      help: 'Base quantity matched internally between our own strategies (both sides counted once)',
      labelNames: ['symbol'],
      registers,
    });
    this.crossingFeesSaved = new Counter({
      name: 'switchyard_crossing_fees_saved_total',
      help: 'Taker fees not paid thanks to internal crossing, in quote currency, at the configured taker fee of the venue each side would have gone to',
      labelNames: ['symbol'],
      registers,
    });
    this.stateChildren = ORDER_STATES.map(() => venueNames.map(() => new Array<CounterChild | undefined>(strategyIds.length)));
    this.openChildren = new Array<GaugeChild | undefined>(strategyIds.length);
    this.ackChildren = new Array<HistogramChild | undefined>(venueNames.length);
  }

  onTransition(order: OrderView, update: OrderUpdate, t: Transition): void {
    const v = order.venueIndex;
    const s = order.strategyIndex;
    const stateIndex = ORDER_STATES.indexOf(t.to);
    this.stateChild(stateIndex, v, s).inc();
    if (t.from === 'CREATED') this.openChild(s).inc();
    if (isOpen(t.from) && !isOpen(t.to)) this.openChild(s).dec();
    if (t.to === 'DENIED' || t.to === 'REJECTED') this.rejects.inc({ code: order.reason ?? 'UNKNOWN' });
    if (update.kind === 'SUBMIT' || update.kind === 'ROUTE') {
      order.submittedAt = this.clock.monoMs();
      return;
    }
    if (update.kind === 'FILL') this.fills.inc({ venue: this.venueLabel(v), liquidity: update.fill.liquidity });
    const sent = order.submittedAt;
    if (sent > 0 && update.kind !== 'CANCEL_REQUEST' && v < this.venueNames.length) {
      // The first venue answer of any kind ends the submit-to-ack interval.
      this.ackChild(v).observe((this.clock.monoMs() - sent) / 1000);
      order.submittedAt = 0;
    }
  }

  onAnomaly(_order: OrderView, _update: OrderUpdate, t: Transition): void {
    this.anomalies.inc({ kind: t.code ?? 'IGNORED', event: t.event, from: t.from });
  }

  /** Internal crossing: `qtyLots` of `symbol` matched between our strategies, `feesSaved` in quote currency. */
  crossed(symbol: string, baseQty: number, feesSaved: number): void {
    this.crossedVolume.inc({ symbol }, baseQty);
    if (feesSaved > 0) this.crossingFeesSaved.inc({ symbol }, feesSaved);
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

  private venueLabel(v: number): string {
    return this.venueNames[v] ?? 'none';
  }

  private stateChild(state: number, v: number, s: number): CounterChild {
    const byVenue = this.stateChildren[state]!;
    const vi = v < this.venueNames.length ? v : -1;
    if (vi < 0) return this.ordersByState.labels({ state: ORDER_STATES[state]!, venue: 'none', strategy: this.strategyIds[s]! });
    const row = byVenue[vi]!;
    let c = row[s];
    if (c === undefined) row[s] = c = this.ordersByState.labels({ state: ORDER_STATES[state]!, venue: this.venueNames[vi]!, strategy: this.strategyIds[s]! });
    return c;
  }

  private openChild(s: number): GaugeChild {
    let g = this.openChildren[s];
    if (g === undefined) this.openChildren[s] = g = this.openOrders.labels({ strategy: this.strategyIds[s]! });
    return g;
  }

  private ackChild(v: number): HistogramChild {
    let h = this.ackChildren[v];
    if (h === undefined) this.ackChildren[v] = h = this.ackLatency.labels({ venue: this.venueNames[v]! });
    return h;
  }
}
