/**
 * switchyard_rejects_total counts the submits a worker strategy had refused at its order ring, as it counts those
 * refused at the HTTP and WebSocket edges: an operator reading it must see a strategy whose every order is refused.
 * Through the daemon's own order path (buildOrderPath) with a hosted strategy whose ring the test writes, as its SDK
 * would.
 */
import { describe, expect, it } from 'vitest';
import { buildOrderPath } from '../../src/compose/order-path.js';
import { toVenueOrders, type CancelRequest, type OrderBatch, type VenueAdapter } from '../../src/execution/venue.js';
import { EVENT_KINDS, EventRecord, errorCodeAt, readEventRecord } from '../../src/intake/ring/event-record.js';
import { OP_CANCEL, OP_SUBMIT, OrderRecord, PRIORITY_HIGH, setClientOrderId, writeOrderRecord } from '../../src/intake/ring/order-record.js';
import { RingConsumer, RingProducer } from '../../src/intake/ring/spsc-ring.js';
import { ManualClock } from '../../src/model/clock.js';
import { PreTradeRisk } from '../../src/risk/pre-trade-risk.js';
import { Router } from '../../src/routing/router.js';
import { HostedStrategy } from '../../src/strategy/strategy-host.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { metricValue } from '../helpers/http.js';
import { testInstruments } from '../helpers/model.js';

class SilentVenue implements VenueAdapter {
  readonly sent: number[] = [];
  constructor(readonly name: string) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  submit(batch: OrderBatch): void {
    for (const o of toVenueOrders(batch)) this.sent.push(o.orderId);
  }
  cancel(_request: CancelRequest): void {}
}

function setup() {
  const instruments = testInstruments();
  const symbols = instruments.list.map((i) => i.symbol);
  const router = new Router(['a'], symbols, symbols.map((s): Record<string, number> => (s === 'BTC-USDT' ? { a: 1 } : {})));
  const risk = new PreTradeRisk(instruments, [{ id: 'alpha', symbols: ['BTC-USDT'] }], {});
  const hosted = new HostedStrategy({ id: 'alpha', module: 'unused', symbols: ['BTC-USDT'] }, 0, 64, 256);
  const venue = new SilentVenue('a');
  const path = buildOrderPath({
    instruments, risk, router, clock: new ManualClock(1_700_000_000_000),
    log: createLogger('warn', 'test', { write: () => {} }),
    strategies: [{ id: 'alpha', weight: 1 }],
    venues: ['a'],
    venue: () => venue,
    batch: [{ maxSize: 32, flushMs: 0 }],
    queueCapacity: 64,
    retainFinished: 64,
    clientIdPrefix: 'tst',
    journal: false,
    rings: [hosted],
  });
  path.intake.open();
  const orders = new RingProducer(hosted.orderBuffer);
  const rec = new OrderRecord();
  let seq = 0;
  const write = (fields: Partial<OrderRecord> & { cid?: string }): void => {
    const off = orders.tryClaim();
    expect(off).toBeGreaterThanOrEqual(0);
    rec.reset();
    const { cid, ...rest } = fields;
    Object.assign(rec, { op: OP_SUBMIT, seq: ++seq, symbol: 0, priceTicks: 6_000_000, qtyLots: 100 }, rest);
    if (cid !== undefined) expect(setClientOrderId(rec, cid)).toBe(true);
    writeOrderRecord(orders, off, rec);
    orders.publish();
  };
  const eventRing = new RingConsumer(hosted.eventBuffer);
  const ev = new EventRecord();
  /** The codes of the REFUSED events written since the last call. */
  const refusals = (): string[] => {
    const out: string[] = [];
    eventRing.poll(1 << 20, (off) => {
      readEventRecord(eventRing, off, ev);
      if (EVENT_KINDS[ev.kind] === 'REFUSED') out.push(String(errorCodeAt(ev.code)));
    });
    return out;
  };
  const rejects = async (code: string): Promise<number> => metricValue(await path.metrics.render(), 'switchyard_rejects_total', { code });
  return { path, venue, write, refusals, rejects };
}

describe('switchyard_rejects_total: submits refused at a worker strategy\'s ring', () => {
  it('counts each refused submit once, by its code, and nothing for what was not a submit', async () => {
    // defect: the ring intake answered REFUSED to the worker and counted nothing, so a strategy whose orders were all
    // refused (a reused client order id, a bad quantity, a venue that does not list the symbol) showed no rejects
    const { path, venue, write, refusals, rejects } = setup();
    write({ cid: 'same1' });
    write({ cid: 'same1' }); // DUPLICATE_CLIENT_ORDER_ID (the first is held)
    write({ qtyLots: 0 }); // INVALID_QUANTITY
    write({ symbol: 1, venue: 0 }); // ETH-USDT pinned to a venue that does not list it: UNKNOWN_VENUE
    // a cancel refused in the order ring is not an order refused
    write({ op: OP_CANCEL, priority: PRIORITY_HIGH, priceTicks: 0, qtyLots: 0, orderId: 0, targetSeq: 0 });
    path.dispatcher.pump();
    expect(venue.sent).toHaveLength(1);
    expect(refusals().sort()).toEqual(['DUPLICATE_CLIENT_ORDER_ID', 'INVALID_QUANTITY', 'ORDER_NOT_FOUND', 'UNKNOWN_VENUE']);
    expect(await rejects('DUPLICATE_CLIENT_ORDER_ID')).toBe(1);
    expect(await rejects('INVALID_QUANTITY')).toBe(1);
    expect(await rejects('UNKNOWN_VENUE')).toBe(1);
    expect(await rejects('ORDER_NOT_FOUND')).toBe(0);

    path.intake.close();
    write({});
    path.dispatcher.pump();
    const [closed] = refusals();
    expect(closed).toBeDefined();
    expect(await rejects(closed!)).toBe(1);
  });
});
