/**
 * Helpers for the venue adapter tests: a recording report sink, instruments valid on both fakes, venue configs for
 * the factory pointed at the local fakes, order batches, and polling with deadlines (no fixed sleeps).
 */
import { pino } from 'pino';
import { createVenueAdapter } from '../../adapters/index.js';
import { VenueSchema, type VenueConfig } from '../../src/config/schema.js';
import { ArrayOrderBatch, type ExecutionReport, type ReportSink, type VenueAdapter, type VenueHealth, type VenueOrder } from '../../src/execution/venue.js';
import { systemClock } from '../../src/model/clock.js';
import { Instrument, InstrumentRegistry } from '../../src/model/instrument.js';
import type { OrderType, Side, TimeInForce } from '../../src/model/order.js';
import type { FakeBinance, FakeOkx } from '../venues/index.js';

export const log = pino({ level: process.env['ADAPTER_TEST_LOG'] ?? 'silent' });

export interface Recorded {
  readonly venue: string;
  readonly report: ExecutionReport;
  readonly at: number;
}

export interface Marker {
  readonly orderId: number;
  readonly kind: 'CANCEL_REQUEST' | 'AMEND_REQUEST';
  readonly at: number;
  /** AMEND_REQUEST: the terms asked (price, new total quantity). */
  readonly terms?: { readonly priceTicks: number; readonly qtyLots: number } | undefined;
}

/** Collects reports and health changes, in arrival order. */
export class RecordingSink implements ReportSink {
  readonly reports: Recorded[] = [];
  readonly health_: Array<{ venue: string; health: VenueHealth; reason: string | undefined; at: number }> = [];
  readonly markers: Marker[] = [];
  private seq = 0;
  /** Arrival sequence of every report and marker (for lifecycle replays). */
  readonly order: Array<{ seq: number; orderId: number; report?: ExecutionReport; marker?: Marker['kind']; terms?: Marker['terms'] }> = [];

  report(venue: string, report: ExecutionReport): void {
    this.reports.push({ venue, report, at: Date.now() });
    this.order.push({ seq: ++this.seq, orderId: report.orderId, report });
  }

  health(venue: string, health: VenueHealth, reason?: string): void {
    this.health_.push({ venue, health, reason, at: Date.now() });
  }

  mark(orderId: number, kind: Marker['kind'], terms?: Marker['terms']): void {
    this.markers.push({ orderId, kind, at: Date.now(), terms });
    this.order.push({ seq: ++this.seq, orderId, marker: kind, terms });
  }

  of(orderId: number): ExecutionReport[] {
    return this.reports.filter((r) => r.report.orderId === orderId).map((r) => r.report);
  }

  kinds(orderId: number): string[] {
    return this.of(orderId).map((r) => r.kind);
  }

  fills(orderId: number): Array<Extract<ExecutionReport, { kind: 'FILL' }>> {
    return this.of(orderId).filter((r): r is Extract<ExecutionReport, { kind: 'FILL' }> => r.kind === 'FILL');
  }

  filledLots(orderId: number): number {
    return this.fills(orderId).reduce((s, f) => s + f.qtyLots, 0);
  }

  has(orderId: number, kind: ExecutionReport['kind']): boolean {
    return this.of(orderId).some((r) => r.kind === kind);
  }

  allFills(): Array<Extract<ExecutionReport, { kind: 'FILL' }>> {
    return this.reports.map((r) => r.report).filter((r): r is Extract<ExecutionReport, { kind: 'FILL' }> => r.kind === 'FILL');
  }
}

/** Polls `fn` until it returns something other than undefined / false; throws with `what` at the deadline. */
export async function until<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 8000): Promise<Exclude<T, undefined | false>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as Exclude<T, undefined | false>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Instruments valid on both fakes: BTC-USDT tick 0.1 (Binance 0.01, OKX 0.1), lot 0.00001; ETH-USDT tick 0.01,
 * lot 0.0001, minQty 0.001.
 */
export function sharedInstruments(): InstrumentRegistry {
  return new InstrumentRegistry([
    { symbol: 'BTC-USDT', base: 'BTC', quote: 'USDT', tickSize: '0.1', lotSize: '0.00001', minQty: '0.00001', minNotional: '5' },
    { symbol: 'ETH-USDT', base: 'ETH', quote: 'USDT', tickSize: '0.01', lotSize: '0.0001', minQty: '0.001', minNotional: '5' },
  ]);
}

let cidSeq = 0;
const cidPrefix = `t${process.pid.toString(36)}${Date.now().toString(36).slice(-5)}`;

/** A fresh client order id (alphanumeric, <= 32). */
export function cid(): string {
  return `${cidPrefix}${(++cidSeq).toString(36)}`;
}

let orderSeq = 1000;

export interface OrderArgs {
  instrument: Instrument;
  side?: Side;
  type?: OrderType;
  timeInForce?: TimeInForce;
  postOnly?: boolean;
  price?: string;
  qty: string;
  clientOrderId?: string;
}

/** A new order as the daemon hands it over (fresh order id and client order id). */
export function order(a: OrderArgs): VenueOrder {
  const ins = a.instrument;
  const qty = ins.qtyToLots(a.qty);
  if (!qty.ok) throw new Error(`qty ${a.qty} not on the lot grid`);
  let priceTicks = 0;
  if (a.price !== undefined) {
    const p = ins.priceToTicks(a.price);
    if (!p.ok) throw new Error(`price ${a.price} not on the tick grid`);
    priceTicks = p.value;
  }
  return {
    orderId: ++orderSeq,
    clientOrderId: a.clientOrderId ?? cid(),
    instrument: ins,
    side: a.side ?? 'BUY',
    type: a.type ?? 'LIMIT',
    timeInForce: a.timeInForce ?? 'GTC',
    postOnly: a.postOnly ?? false,
    priceTicks,
    stopTicks: 0,
    qtyLots: qty.value,
  };
}

export function batch(...orders: VenueOrder[]): ArrayOrderBatch {
  return new ArrayOrderBatch(orders);
}

export type ExchangeAdapterKind = 'ccxt' | 'binance-ws' | 'okx-ws';

/** Venue YAML (as an object) for an adapter against a local fake; extra keys merged in. */
export function venueConfig(
  name: string,
  adapter: ExchangeAdapterKind,
  exchange: 'binance' | 'okx',
  fake: FakeBinance | FakeOkx,
  extra: Record<string, unknown> = {},
): VenueConfig {
  const creds = fake.credentials as { apiKey: string; secret: string; passphrase?: string };
  return VenueSchema.parse({
    name,
    adapter,
    exchange,
    sandbox: true,
    symbols: ['BTC-USDT', 'ETH-USDT'],
    urls: { rest: fake.origin, ws: fake.wsOrigin },
    credentials: exchange === 'okx' ? { apiKey: creds.apiKey, secret: creds.secret, passphrase: creds.passphrase } : { apiKey: creds.apiKey, secret: creds.secret },
    requestTimeoutMs: 2000,
    pollIntervalMs: 200,
    heartbeatMs: 1000,
    reconnect: { minMs: 50, maxMs: 400 },
    ...extra,
  });
}

export function makeAdapter(config: VenueConfig, instruments: readonly Instrument[], sink: ReportSink): VenueAdapter {
  return createVenueAdapter(config, instruments, sink, { log, env: {}, clock: systemClock });
}
