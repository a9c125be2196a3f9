/**
 * switchyard_orders_total counts orders entering each lifecycle state: an order that stays in its state through an
 * update (a further partial fill, a fill while its cancel is pending) has entered nothing. Through the daemon's own
 * order path (buildOrderPath) and its metrics.
 */
import { describe, expect, it } from 'vitest';
import { buildOrderPath } from '../../src/compose/order-path.js';
import { toVenueOrders, type CancelRequest, type OrderBatch, type ReportSink, type VenueAdapter } from '../../src/execution/venue.js';
import { ManualClock } from '../../src/model/clock.js';
import { PreTradeRisk } from '../../src/risk/pre-trade-risk.js';
import { Router } from '../../src/routing/router.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { metricValue } from '../helpers/http.js';
import { intent, testInstruments } from '../helpers/model.js';

class QuietVenue implements VenueAdapter {
  readonly sent: number[] = [];
  constructor(readonly name: string, readonly sink: ReportSink) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  submit(batch: OrderBatch): void {
    for (const o of toVenueOrders(batch)) this.sent.push(o.orderId);
  }
  cancel(_request: CancelRequest): void {}
}

describe('switchyard_orders_total', () => {
  it('an order filled in four parts entered PARTIALLY_FILLED once and FILLED once; a fill during its cancel enters nothing', async () => {
    // defect: every applied transition was counted, the ones that leave the order where it was too, so each further
    // partial fill counted the order again as entering PARTIALLY_FILLED (and PENDING_CANCEL): the counter read as
    // orders per state overstated them by the fills
    const instruments = testInstruments();
    const router = new Router(['a'], instruments.list.map((i) => i.symbol), instruments.list.map(() => ({ a: 1 })));
    const risk = new PreTradeRisk(instruments, [{ id: 'alpha', symbols: instruments.list.map((i) => i.symbol) }], {});
    let venue: QuietVenue | undefined;
    const path = buildOrderPath({
      instruments, risk, router, clock: new ManualClock(1_700_000_000_000),
      log: createLogger('warn', 'test', { write: () => {} }),
      strategies: [{ id: 'alpha', weight: 1 }],
      venues: ['a'],
      venue: (_i, sink) => (venue = new QuietVenue('a', sink)),
      batch: [{ maxSize: 32, flushMs: 0 }],
      queueCapacity: 64, retainFinished: 64, clientIdPrefix: 'tst', journal: false,
    });
    path.intake.open();
    const submit = (): number => {
      const r = path.intake.submit(intent({ qtyLots: 1000 }));
      if (!r.ok) throw new Error(r.code);
      return r.order.id;
    };
    let trade = 0;
    const fill = (orderId: number, qtyLots: number): void => venue!.sink.report('a', {
      kind: 'FILL', orderId, tradeId: `T${++trade}`, priceTicks: 6_000_000, qtyLots, fee: '0', feeCurrency: 'USDT', liquidity: 'MAKER', venueTs: 0,
    });
    const counted = async (state: string): Promise<number> => metricValue(await path.metrics.render(), 'switchyard_orders_total', { state, venue: 'a', strategy: 'alpha' });

    const filled = submit();
    const canceled = submit();
    path.dispatcher.pump();
    expect(venue!.sent).toEqual([filled, canceled]);
    for (const id of [filled, canceled]) venue!.sink.report('a', { kind: 'ACCEPTED', orderId: id, venueOrderId: `V${id}` });
    for (const q of [100, 200, 300]) fill(filled, q);
    fill(filled, 400);
    expect(path.tracker.get(filled)!.state).toBe('FILLED');
    fill(canceled, 100);
    expect(path.intake.cancel(canceled)).toMatchObject({ ok: true, order: { state: 'PENDING_CANCEL' } });
    fill(canceled, 100);
    fill(canceled, 100);
    venue!.sink.report('a', { kind: 'CANCELED', orderId: canceled });
    expect(path.tracker.get(canceled)!.state).toBe('CANCELED');

    expect(await counted('SUBMITTED')).toBe(2);
    expect(await counted('ACCEPTED')).toBe(2);
    expect(await counted('PARTIALLY_FILLED')).toBe(2);
    expect(await counted('FILLED')).toBe(1);
    expect(await counted('PENDING_CANCEL')).toBe(1);
    expect(await counted('CANCELED')).toBe(1);
    // the fills themselves are counted where fills are
    expect(metricValue(await path.metrics.render(), 'switchyard_fills_total', { venue: 'a' })).toBe(7);
  });
});
