/**
 * 5xx answers to new orders and cancels, run for every exchange adapter (from faultScenarios). A real venue's 5xx
 * does not say whether the request executed, and neither do the fakes (test/venues/faults.ts): the same bodies come
 * back either way, so the adapter must treat every one of them as an unknown outcome and ask the venue.
 *  - new order, executed:     ACCEPTED after the lookup (never REJECTED); exactly one order at the venue;
 *  - new order, not executed: REJECTED VENUE_TIMEOUT only after the request's validity window; nothing at the venue;
 *  - cancel, executed or not: the order ends CANCELED (looked up, or canceled again), never CANCEL_REJECTED.
 * Bodies: the venue's documented server-error codes the issue names (Binance -1000 and -1008, OKX 50000 and 50013),
 * an HTML error page and an empty body; and an HTML page with a success status (unparseable: unknown as well).
 */
import { afterEach, describe, expect, test } from 'vitest';
import type { CancelRequest, VenueOrder } from '../../src/execution/venue.js';
import type { FaultRule } from '../venues/faults.js';
import { batch, order, until } from './helpers.js';
import { type Rig, type Target, placeRequest, rig } from './scenarios.js';

/** Small, so that the validity window (requestTimeoutMs + clockSkewMs) is short. */
const REQUEST_TIMEOUT_MS = 400;

interface BodyVariant {
  readonly label: string;
  readonly rule: Pick<FaultRule, 'status' | 'body' | 'code'>;
}

function bodies(t: Target): BodyVariant[] {
  const [busyCode, otherCode] = t.exchange === 'binance' ? [-1008, -1000] : ['50013', '50000'];
  return [
    { label: `500 ${otherCode}`, rule: { status: 500, body: 'json', code: otherCode } },
    { label: `503 ${busyCode}`, rule: { status: 503, body: 'json', code: busyCode } },
    { label: '502 HTML page', rule: { status: 502, body: 'html' } },
    { label: '503 empty body', rule: { status: 503, body: 'empty' } },
    // not a 5xx, but an answer that says nothing either (a proxy's page with a success status)
    { label: '200 HTML page', rule: { status: 200, body: 'html' } },
  ];
}

/** The fault-rule match for the request that cancels one order. */
function cancelRequest(t: Target): Pick<FaultRule, 'method' | 'path' | 'transport'> {
  if (t.adapter === 'binance-ws') return { path: 'order.cancel', transport: 'ws' };
  if (t.adapter === 'okx-ws') return { path: 'cancel-order', transport: 'ws' };
  if (t.exchange === 'binance') return { method: 'DELETE', path: '/api/v3/order', transport: 'rest' };
  return { method: 'POST', path: '/api/v5/trade/cancel-order', transport: 'rest' };
}

export function serverErrorScenarios(t: Target): void {
  describe(`${t.label}: 5xx answers are unknown outcomes, whatever the body says`, () => {
    let r: Rig | undefined;
    afterEach(async () => {
      await r?.adapter.stop();
      await r?.fake.close();
      r = undefined;
    });

    const atVenue = (o: VenueOrder) => r!.fake.orders({ account: 'main' }).filter((x) => x.clientOrderId === o.clientOrderId);

    test.each(bodies(t))('new order executed, then a 5xx ($label): ACCEPTED after the lookup, never REJECTED; one order at the venue', async (v) => {
      r = await rig(t, { requestTimeoutMs: REQUEST_TIMEOUT_MS });
      const { fake, sink, adapter, btc } = r;
      fake.faults.add({ kind: 'error', ...placeRequest(t), ...v.rule, afterExecute: true, times: 1 });
      fake.faults.apply({ dropReports: 1 }); // its NEW report too: only the lookup can tell
      const o = order({ instrument: btc, price: '50000', qty: '0.002' });
      adapter.submit(batch(o));
      await until(() => sink.has(o.orderId, 'ACCEPTED') || sink.has(o.orderId, 'REJECTED'), 'the outcome');
      expect(sink.kinds(o.orderId)).toEqual(['ACCEPTED']);
      expect(fake.faults.state().rules).toEqual([]); // the fault did hit the order
      expect(adapter.stats()).toMatchObject({ unknownOutcomes: 1, resolvedByLookup: 1, resolvedNotFound: 0 });
      expect(atVenue(o)).toHaveLength(1);
      // an ordinary order from then on
      fake.fill({ clientOrderId: o.clientOrderId });
      await until(() => sink.filledLots(o.orderId) === o.qtyLots, 'the fill');
      expect(sink.has(o.orderId, 'REJECTED')).toBe(false);
      expect(atVenue(o)).toHaveLength(1);
    });

    test('new orders not executed, a 5xx with each body: REJECTED VENUE_TIMEOUT only after the validity window; nothing at the venue', async () => {
      r = await rig(t, { requestTimeoutMs: REQUEST_TIMEOUT_MS });
      const { fake, sink, adapter, btc } = r;
      const variants = bodies(t);
      for (const v of variants) fake.faults.add({ kind: 'error', ...placeRequest(t), ...v.rule, times: 1 });
      const orders = variants.map(() => order({ instrument: btc, price: '50000', qty: '0.002' }));
      const sent = Date.now();
      for (const o of orders) adapter.submit(batch(o)); // one request each (no OKX batch)
      await until(() => orders.every((o) => sink.has(o.orderId, 'REJECTED') || sink.has(o.orderId, 'ACCEPTED')), 'every outcome', 15_000);
      expect(fake.faults.state().rules).toEqual([]); // every body was answered once
      for (const o of orders) {
        const rec = sink.reports.find((x) => x.report.orderId === o.orderId)!;
        expect(sink.kinds(o.orderId)).toEqual(['REJECTED']);
        expect(rec.report.kind === 'REJECTED' && rec.report.reason.startsWith('VENUE_TIMEOUT'), rec.report.kind === 'REJECTED' ? rec.report.reason : '').toBe(true);
        expect(rec.at - sent).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS);
        expect(atVenue(o)).toHaveLength(0);
      }
      expect(adapter.stats()).toMatchObject({ unknownOutcomes: variants.length, resolvedNotFound: variants.length, resolvedByLookup: 0 });
    });

    const cancelCases = bodies(t)
      .filter((v) => v.rule.code !== undefined ? v.rule.status === 503 : v.rule.body === 'empty') // server busy; no body
      .flatMap((v) => [true, false].map((executed) => ({ ...v, executed, label: `${executed ? 'executed' : 'not executed'}, ${v.label}` })));

    test.each(cancelCases)('cancel answered by a 5xx ($label): looked up, the order ends CANCELED, never CANCEL_REJECTED', async (c) => {
      r = await rig(t, { requestTimeoutMs: REQUEST_TIMEOUT_MS });
      const { fake, sink, adapter, btc } = r;
      const o = order({ instrument: btc, price: '50000', qty: '0.002' });
      adapter.submit(batch(o));
      await until(() => sink.has(o.orderId, 'ACCEPTED'), 'ACCEPTED');
      fake.faults.add({ kind: 'error', ...cancelRequest(t), ...c.rule, afterExecute: c.executed, times: 1 });
      if (c.executed) fake.faults.apply({ dropReports: 1 }); // its CANCELED report too: only a lookup can tell
      const req: CancelRequest = { orderId: o.orderId, clientOrderId: o.clientOrderId, venueOrderId: undefined, instrument: btc };
      adapter.cancel(req);
      await until(() => sink.has(o.orderId, 'CANCELED') || sink.has(o.orderId, 'CANCEL_REJECTED'), 'the cancel outcome');
      expect(fake.faults.state().rules).toEqual([]);
      expect(sink.kinds(o.orderId)).toEqual(['ACCEPTED', 'CANCELED']);
      expect(atVenue(o)).toHaveLength(1);
      expect(atVenue(o)[0]!.open).toBe(false);
    });
  });
}
