import { Counter, Gauge, Registry, type Metric } from 'prom-client';
import type { TrackerListener } from '../core/order-tracker.js';
import type { OrderView } from '../core/order-store.js';
import type { Clock } from '../model/clock.js';
import { ERROR_CATALOGUE } from '../model/errors.js';
import { eventIndex, LIFECYCLE_EVENTS, type OrderUpdate, type Transition } from '../model/lifecycle.js';
import { ORDER_STATES } from '../model/order.js';
import { TypedHistogram } from './typed-histogram.js';

/** Submit-to-ack buckets in seconds: sub-millisecond resolution for in-process and paper venues. */
export const ACK_LATENCY_BUCKETS = [
  0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];

const STATE_COUNT = ORDER_STATES.length;
const EVENT_COUNT = LIFECYCLE_EVENTS.length;
const LIQUIDITIES = ['MAKER', 'TAKER'] as const;

/**
 * Label values of switchyard_rejects_total: the catalogue codes, then OTHER for a reason that does not start with
 * one (a venue's own words, or none). A label never carries a message: every distinct label value is a new time
 * series, kept by every Prometheus for its retention, so the set must be fixed (the message goes to the log).
 */
const REJECT_CODES: readonly string[] = [...Object.keys(ERROR_CATALOGUE), 'OTHER'];
const REJECT_INDEX: ReadonlyMap<string, number> = new Map(REJECT_CODES.map((c, i) => [c, i]));
const REJECT_OTHER = REJECT_CODES.length - 1;

/**
 * The label index of a rejection reason: a catalogue code as such, or the catalogue code before the first ':' of a
 * "CODE: message" reason (how adapters state venue rejections), else OTHER.
 */
export function rejectCodeIndex(reason: string | undefined): number {
  if (reason === undefined) return REJECT_OTHER;
  const whole = REJECT_INDEX.get(reason);
  if (whole !== undefined) return whole;
  const colon = reason.indexOf(':');
  if (colon <= 0) return REJECT_OTHER;
  return REJECT_INDEX.get(reason.slice(0, colon)) ?? REJECT_OTHER;
}

/** The switchyard_rejects_total label of a rejection reason (see rejectCodeIndex). */
export function rejectCodeLabel(reason: string | undefined): string {
  return REJECT_CODES[rejectCodeIndex(reason)]!;
}

/** Adds `by` to the count under `key` (no allocation once the key exists: small integer counts stay Smis). */
function bump(map: Map<string, number>, key: string, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

/** Longest interval observed, in microseconds (a small integer: about 17 minutes). */
const MAX_MICROS = 1_000_000_000;

/**
 * The daemon's Prometheus metrics, in their own Registry (never the global one). Counting a transition allocates
 * nothing: the tracker listener and the other hot-path counters write into typed arrays (or maps of existing keys),
 * and the prom-client metrics are filled from them when /metrics is scraped (`collect`). prom-client's own inc and
 * observe hash their labels into a new string and return a new object on every call.
 */
export class Metrics implements TrackerListener {
  readonly registry = new Registry();
  private readonly ordersByState: Counter<'state' | 'venue' | 'strategy'>;
  private readonly openOrders: Gauge<'strategy'>;
  private readonly rejects: Counter<'code'>;
  private readonly anomalies: Counter<'kind' | 'event' | 'from'>;
  private readonly fills: Counter<'venue' | 'liquidity'>;
  private readonly unknownReports: Counter<'venue'>;
  private readonly ackLatency: TypedHistogram;
  readonly crossedVolume: Counter<'symbol'>;
  readonly crossingFeesSaved: Counter<'symbol'>;
  /** Venue labels by order venue index; the last one is 'none' (no venue yet). */
  private readonly venueLabels: readonly string[];
  /** [state][venue label][strategy] */
  private readonly stateCounts: Float64Array;
  /** [venue label][liquidity] */
  private readonly fillCounts: Float64Array;
  /** [kind: error code index, or the last for IGNORED][event][from state] */
  private readonly anomalyCounts: Float64Array;
  private readonly anomalyKinds: readonly string[];
  private readonly anomalyKindIndex: ReadonlyMap<string, number>;
  /** [reject label index: REJECT_CODES] */
  private readonly rejectCounts = new Float64Array(REJECT_CODES.length);
  private readonly unknownCounts = new Map<string, number>();
  private readonly crossedCounts = new Map<string, number>();
  private readonly feesSavedCounts = new Map<string, number>();
  /** Fee sums (exact, from the fee ledger); rendered as numbers only here, at the edge. */
  private feeSource: () => readonly { strategy: string; venue: string; currency: string; amount: string }[] = () => [];

  constructor(
    private readonly clock: Clock,
    private readonly venueNames: readonly string[],
    private readonly strategyIds: readonly string[],
  ) {
    const registers = [this.registry];
    this.venueLabels = [...venueNames, 'none'];
    const venues = this.venueLabels.length;
    const feeSource = () => this.feeSource();
    const strategies = strategyIds.length;
    this.stateCounts = new Float64Array(STATE_COUNT * venues * strategies);
    this.fillCounts = new Float64Array(venues * LIQUIDITIES.length);
    // anomaly kinds: any catalogue code (the lifecycle reports INVALID_TRANSITION, OVERFILL, INVALID_FILL,
    // DUPLICATE_FILL), then IGNORED for a benign late or duplicate report without a code
    this.anomalyKinds = [...Object.keys(ERROR_CATALOGUE), 'IGNORED'];
    this.anomalyKindIndex = new Map(this.anomalyKinds.map((k, i) => [k, i]));
    this.anomalyCounts = new Float64Array(this.anomalyKinds.length * EVENT_COUNT * STATE_COUNT);

    this.ordersByState = new Counter({
      name: 'switchyard_orders_total',
      help: 'Orders entering each lifecycle state, by venue and strategy',
      labelNames: ['state', 'venue', 'strategy'],
      registers,
      collect: () => {
        const c = this.ordersByState;
        c.reset();
        for (let st = 0; st < STATE_COUNT; st++) {
          for (let v = 0; v < venues; v++) {
            for (let s = 0; s < strategies; s++) {
              const n = this.stateCounts[(st * venues + v) * strategies + s]!;
              if (n > 0) c.inc({ state: ORDER_STATES[st]!, venue: this.venueLabels[v]!, strategy: strategyIds[s]! }, n);
            }
          }
        }
      },
    });
    this.openOrders = new Gauge({
      name: 'switchyard_open_orders',
      help: 'Open orders by strategy',
      labelNames: ['strategy'],
      registers,
      collect: () => {
        for (let s = 0; s < strategies; s++) this.openOrders.set({ strategy: strategyIds[s]! }, this.openSource(s));
      },
    });
    this.rejects = new Counter({
      name: 'switchyard_rejects_total',
      help: 'Orders refused (at the edge, by risk, or by a venue), by error code',
      labelNames: ['code'],
      registers,
      collect: () => {
        const c = this.rejects;
        c.reset();
        for (let k = 0; k < REJECT_CODES.length; k++) if (this.rejectCounts[k]! > 0) c.inc({ code: REJECT_CODES[k]! }, this.rejectCounts[k]!);
      },
    });
    this.anomalies = new Counter({
      name: 'switchyard_lifecycle_anomalies_total',
      help: 'Order updates refused or ignored by the lifecycle (invalid transitions, overfills, duplicate fills)',
      labelNames: ['kind', 'event', 'from'],
      registers,
      collect: () => {
        const c = this.anomalies;
        c.reset();
        for (let k = 0; k < this.anomalyKinds.length; k++) {
          for (let e = 0; e < EVENT_COUNT; e++) {
            for (let f = 0; f < STATE_COUNT; f++) {
              const n = this.anomalyCounts[(k * EVENT_COUNT + e) * STATE_COUNT + f]!;
              if (n > 0) c.inc({ kind: this.anomalyKinds[k]!, event: LIFECYCLE_EVENTS[e]!, from: ORDER_STATES[f]! }, n);
            }
          }
        }
      },
    });
    this.fills = new Counter({
      name: 'switchyard_fills_total',
      help: 'Fills by venue and liquidity',
      labelNames: ['venue', 'liquidity'],
      registers,
      collect: () => {
        const c = this.fills;
        c.reset();
        for (let v = 0; v < venues; v++) {
          for (let l = 0; l < LIQUIDITIES.length; l++) {
            const n = this.fillCounts[v * LIQUIDITIES.length + l]!;
            if (n > 0) c.inc({ venue: this.venueLabels[v]!, liquidity: LIQUIDITIES[l]! }, n);
          }
        }
      },
    });
    this.unknownReports = new Counter({
      name: 'switchyard_unknown_reports_total',
      help: 'Execution reports for orders the daemon does not know',
      labelNames: ['venue'],
      registers,
      collect: () => fromMap(this.unknownReports, 'venue', this.unknownCounts),
    });
    // observed in whole microseconds (see TypedHistogram), exposed in seconds
    this.ackLatency = new TypedHistogram(
      'switchyard_submit_to_ack_seconds',
      'Time from handing an order to a venue to its first answer (ack, fill, reject or cancel)',
      [{ name: 'venue', values: venueNames }],
      ACK_LATENCY_BUCKETS,
      1e6,
    );
    this.registry.registerMetric(this.ackLatency as unknown as Metric);
    this.crossedVolume = new Counter({
      name: 'switchyard_crossed_volume_total',
      help: 'Base quantity matched internally between our own strategies (both sides counted once)',
      labelNames: ['symbol'],
      registers,
      collect: () => fromMap(this.crossedVolume, 'symbol', this.crossedCounts),
    });
    new Gauge({
      name: 'switchyard_fees',
      help: 'Fees paid (negative: rebates) per strategy, venue and currency, in that currency, as the venues stated them (GET /v1/fees has the exact decimals)',
      labelNames: ['strategy', 'venue', 'currency'],
      registers,
      collect() {
        this.reset();
        for (const f of feeSource()) this.set({ strategy: f.strategy, venue: f.venue, currency: f.currency }, Number(f.amount));
      },
    });
    this.crossingFeesSaved = new Counter({
      name: 'switchyard_crossing_fees_saved_total',
      help: 'Taker fees not paid thanks to internal crossing, in quote currency, at the configured taker fee of the venue each side would have gone to',
      labelNames: ['symbol'],
      registers,
      collect: () => fromMap(this.crossingFeesSaved, 'symbol', this.feesSavedCounts),
    });
    const venueSource = () => this.venueSource();
    new Gauge({
      name: 'switchyard_venue_up',
      help: 'Whether the router may send new orders to the venue (1) or not (0: not started yet, not reconciled, circuit breaker open); GET /health says why',
      labelNames: ['venue'],
      registers,
      collect() {
        for (const v of venueSource()) this.set({ venue: v.venue }, v.up ? 1 : 0);
      },
    });
    new Counter({
      name: 'switchyard_venue_start_retries_total',
      help: 'Start attempts made again for a venue that did not start (markets not loaded, stream not opened)',
      labelNames: ['venue'],
      registers,
      collect() {
        this.reset();
        for (const v of venueSource()) this.inc({ venue: v.venue }, v.startRetries);
      },
    });
    const journalSource = () => this.journalSource();
    new Gauge({
      name: 'switchyard_journal_failed',
      help: 'Whether the journal failed (1: a write or fdatasync failed; the daemon halted: intake closed, nothing dispatched; GET /health has the error)',
      registers,
      collect() {
        this.set(journalSource().failed ? 1 : 0);
      },
    });
    new Counter({
      name: 'switchyard_journal_unrecorded_total',
      help: 'Orders and updates applied in memory without their journal record (after a journal failure): not durable',
      registers,
      collect() {
        this.reset();
        this.inc(journalSource().unrecorded);
      },
    });
    const listenerErrorSource = () => this.listenerErrorSource();
    new Counter({
      name: 'switchyard_listener_errors_total',
      help: 'Errors thrown by an order tracker listener (a bug: logged; the update and the other listeners went on)',
      labelNames: ['listener'],
      registers,
      collect() {
        this.reset();
        for (const l of listenerErrorSource()) this.inc({ listener: l.listener }, l.errors);
      },
    });
  }

  /**
   * Open orders per strategy index: the tracker's own count (GET /health's openOrders is their sum), which also
   * knows the orders a journal snapshot put back (restored without listeners) and those a corrected rejection
   * opened again; read at scrape time.
   */
  private openSource: (strategyIndex: number) => number = () => 0;

  setOpenSource(source: (strategyIndex: number) => number): void {
    this.openSource = source;
  }

  /** Journal state (the daemon's journal recorder), read at scrape time. */
  private journalSource: () => { failed: boolean; unrecorded: number } = () => ({ failed: false, unrecorded: 0 });

  setJournalSource(source: () => { failed: boolean; unrecorded: number }): void {
    this.journalSource = source;
  }

  /** Errors thrown by tracker listeners, per listener (the tracker's counts), read at scrape time. */
  private listenerErrorSource: () => readonly { listener: string; errors: number }[] = () => [];

  setListenerErrorSource(source: () => readonly { listener: string; errors: number }[]): void {
    this.listenerErrorSource = source;
  }

  /** Venue availability and start retries (the daemon's venues), read at scrape time. */
  private venueSource: () => readonly { venue: string; up: boolean; startRetries: number }[] = () => [];

  setVenueSource(source: () => readonly { venue: string; up: boolean; startRetries: number }[]): void {
    this.venueSource = source;
  }

  /** Where the fee sums come from (the daemon's fee ledger). */
  setFeeSource(source: () => readonly { strategy: string; venue: string; currency: string; amount: string }[]): void {
    this.feeSource = source;
  }

  /**
   * True while the journal is replayed at the start: its transitions happened in a run before (counted then), so they
   * are not counted again; counters are this run's, as Prometheus reads them (a restart is a reset).
   */
  replaying = false;

  onTransition(order: OrderView, update: OrderUpdate, t: Transition): void {
    if (this.replaying) return;
    const v = order.venueIndex;
    const s = order.strategyIndex;
    const vl = v < this.venueNames.length ? v : this.venueNames.length;
    // an order entering a state: not one that stays where it was (a further partial fill, a fill while its cancel is
    // pending); a ROUTE enters its state again at a venue (the rest leaves the crossing book), under that venue
    if (t.toIndex !== t.fromIndex || update.kind === 'ROUTE') this.stateCounts[(t.toIndex * this.venueLabels.length + vl) * this.strategyIds.length + s]!++;
    if (t.to === 'DENIED' || t.to === 'REJECTED') this.rejectCounts[rejectCodeIndex(order.reason)]!++;
    // The submit-to-ack interval starts at the venue handoff (the batcher stamps submittedAt once per batch).
    if (update.kind === 'SUBMIT' || update.kind === 'ROUTE') return;
    if (update.kind === 'FILL') this.fillCounts[vl * LIQUIDITIES.length + (update.fill.liquidity === 'MAKER' ? 0 : 1)]!++;
    const sent = order.submittedAt;
    if (sent > 0 && update.kind !== 'CANCEL_REQUEST' && v < this.venueNames.length) {
      // The first venue answer of any kind ends the submit-to-ack interval.
      const micros = (this.clock.monoMs() - sent) * 1000;
      this.ackLatency.observe(v, micros >= MAX_MICROS ? MAX_MICROS : micros > 0 ? micros | 0 : 0);
      order.submittedAt = 0;
    }
  }

  onAnomaly(_order: OrderView, _update: OrderUpdate, t: Transition): void {
    if (this.replaying) return;
    const k = this.anomalyKindIndex.get(t.code ?? 'IGNORED')!;
    this.anomalyCounts[(k * EVENT_COUNT + eventIndex(t.event)) * STATE_COUNT + t.fromIndex]!++;
  }

  /** Internal crossing: `baseQty` of `symbol` matched between our strategies, `feesSaved` in quote currency. */
  crossed(symbol: string, baseQty: number, feesSaved: number): void {
    bump(this.crossedCounts, symbol, baseQty);
    if (feesSaved > 0) bump(this.feesSavedCounts, symbol, feesSaved);
  }

  /** An order refused at the edge (never created). */
  edgeReject(code: string): void {
    this.rejectCounts[rejectCodeIndex(code)]!++;
  }

  unknownReport(venue: string): void {
    bump(this.unknownCounts, venue);
  }

  async render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** Sets a one-label counter from running totals (at scrape time). */
function fromMap<T extends string>(counter: Counter<T>, label: T, totals: ReadonlyMap<string, number>): void {
  counter.reset();
  for (const [value, n] of totals) if (n > 0) counter.inc({ [label]: value } as Record<T, string>, n);
}
