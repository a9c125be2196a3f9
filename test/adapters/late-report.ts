/**
 * A late venue report after a timeout rejection (issue 9 item 4), run for every exchange adapter against the local
 * fakes. The realistic cause: the venue's read path lags its matching engine. The place request executes but its
 * answer is withheld (`hang` afterExecute) and its stream report dropped; the venue's order queries say "no such
 * order" for a while (`stale-read`, test/venues/faults.ts), so every lookup within the request's validity window
 * finds nothing and the adapter reports REJECTED VENUE_TIMEOUT, as it must. Then the read path catches up and the
 * venue shows the order after all:
 *  - it trades: the execution-report stream carries its fills; the adapter reports ACCEPTED (the correction) and
 *    every FILL, and the lifecycle goes REJECTED -> ACCEPTED -> PARTIALLY_FILLED -> FILLED with the venue's filled
 *    quantity;
 *  - it just rests: the periodic REST reconciliation, which keeps looking for orders given up on while the adapter
 *    retains them, lists it among the open orders; ACCEPTED, it is live again, and a cancel ends it CANCELED;
 *  - it fills while every report is lost: the reconciliation looks it up, finds it FILLED, fetches its trades.
 * Every report of the order is replayed through the daemon's lifecycle table: no refused transition.
 */
import { afterEach, describe, expect, test } from 'vitest';
import type { VenueOrder } from '../../src/execution/venue.js';
import { replayReports } from './conformance.js';
import { batch, order, until } from './helpers.js';
import { type Rig, type Target, placeRequest, rig, venueTradeIds } from './scenarios.js';

/** Small, so that the validity window (requestTimeoutMs + clockSkewMs) is short. */
const REQUEST_TIMEOUT_MS = 400;

export function lateReportScenarios(t: Target): void {
  describe(`${t.label}: a late venue report after a timeout rejection`, () => {
    let r: Rig | undefined;
    afterEach(async () => {
      await r?.adapter.stop();
      await r?.fake.close();
      r = undefined;
    });

    /**
     * Submits `o` with its answer withheld, its report dropped and the venue's order queries lagging: REJECTED
     * VENUE_TIMEOUT after the validity window while the order rests at the venue. Then the read path catches up.
     */
    async function rejectedWhileLive(rg: Rig, o: VenueOrder): Promise<void> {
      const { fake, sink, adapter } = rg;
      fake.faults.add({ kind: 'hang', ...placeRequest(t), afterExecute: true, times: 1 });
      fake.faults.add({ kind: 'stale-read', ms: 60_000 }); // every order query: "no such order" for a minute
      fake.faults.apply({ dropReports: 1 }); // its NEW report: nothing tells the adapter it exists
      const sent = Date.now();
      adapter.submit(batch(o));
      await until(() => sink.has(o.orderId, 'REJECTED') || sink.has(o.orderId, 'ACCEPTED'), 'the outcome', 10_000);
      const rec = sink.reports.find((x) => x.report.orderId === o.orderId)!;
      expect(rec.report.kind === 'REJECTED' && rec.report.reason.startsWith('VENUE_TIMEOUT'), JSON.stringify(rec.report)).toBe(true);
      expect(rec.at - sent).toBeGreaterThanOrEqual(adapter.validityWindowMs());
      expect(adapter.stats()).toMatchObject({ unknownOutcomes: 1, resolvedNotFound: 1, resolvedByLookup: 0 });
      const rules = fake.faults.state().rules;
      expect(rules.map((x) => x.kind)).toEqual(['stale-read']); // the place request was hit
      expect(rules[0]!.hits).toBeGreaterThanOrEqual(1); // and the lookups were answered by the lagging read path
      expect(fake.order({ clientOrderId: o.clientOrderId })).toMatchObject({ open: true, filled: '0' }); // live all along
      fake.faults.apply({ rules: [] }); // the read path catches up
    }

    test('REJECTED VENUE_TIMEOUT, then the order trades at the venue: ACCEPTED and every FILL reported; the lifecycle ends FILLED', async () => {
      r = await rig(t, { requestTimeoutMs: REQUEST_TIMEOUT_MS });
      const { fake, sink, adapter, btc } = r;
      const o = order({ instrument: btc, price: '50000', qty: '0.002' });
      await rejectedWhileLive(r, o);
      fake.fill({ clientOrderId: o.clientOrderId }, '0.0005');
      fake.fill({ clientOrderId: o.clientOrderId });
      await until(() => sink.filledLots(o.orderId) === o.qtyLots, 'both fills', 10_000);
      expect(sink.kinds(o.orderId)).toEqual(['REJECTED', 'ACCEPTED', 'FILL', 'FILL']);
      expect(new Set(sink.fills(o.orderId).map((f) => f.tradeId))).toEqual(new Set(venueTradeIds(t, fake, o)));
      expect(adapter.stats().ledger.corrected).toBe(1);
      // the stream carried them: no REST reconciliation ran (unless a stalled machine dropped the stream meanwhile)
      if (adapter.stats().streamDrops === 0) expect(adapter.stats().reconciliations).toBe(0);
      const venue = fake.order({ clientOrderId: o.clientOrderId })!;
      const venueLots = btc.qtyToLots(venue.filled);
      expect(venueLots.ok && venueLots.value).toBe(o.qtyLots);
      const ord = replayReports(r.adapter.name, r.sink, o);
      expect(ord.state).toBe('FILLED');
      expect(ord.filledLots).toBe(o.qtyLots);
      expect(fake.orders({ account: 'main' }).filter((x) => x.clientOrderId === o.clientOrderId)).toHaveLength(1);
    });

    test('REJECTED VENUE_TIMEOUT, then the order just rests: the periodic reconciliation finds it, ACCEPTED; a cancel ends it CANCELED', async () => {
      r = await rig(t, { requestTimeoutMs: REQUEST_TIMEOUT_MS, reconcileIntervalMs: 300 });
      const { fake, sink, adapter, btc } = r;
      const o = order({ instrument: btc, price: '50000', qty: '0.002' });
      await rejectedWhileLive(r, o);
      // no other order of ours anywhere: the reconciliation looks for the order given up on all the same
      await until(() => sink.has(o.orderId, 'ACCEPTED'), 'ACCEPTED: the rejection corrected', 10_000);
      expect(sink.kinds(o.orderId)).toEqual(['REJECTED', 'ACCEPTED']);
      expect(adapter.stats().ledger.corrected).toBe(1);
      expect(adapter.stats().reconciliations).toBeGreaterThan(0);
      // live again: the daemon may cancel it
      sink.mark(o.orderId, 'CANCEL_REQUEST');
      adapter.cancel({ orderId: o.orderId, clientOrderId: o.clientOrderId, venueOrderId: undefined, instrument: btc });
      await until(() => sink.has(o.orderId, 'CANCELED') || sink.has(o.orderId, 'CANCEL_REJECTED'), 'the cancel outcome');
      expect(sink.kinds(o.orderId)).toEqual(['REJECTED', 'ACCEPTED', 'CANCELED']);
      expect(fake.order({ clientOrderId: o.clientOrderId })).toMatchObject({ open: false, filled: '0' });
      const ord = replayReports(r.adapter.name, r.sink, o);
      expect(ord.state).toBe('CANCELED');
      expect(ord.filledLots).toBe(0);
    });

    test('REJECTED VENUE_TIMEOUT, then it fills at the venue while every report is lost: the reconciliation finds it FILLED and fetches its fill', async () => {
      r = await rig(t, { requestTimeoutMs: REQUEST_TIMEOUT_MS, reconcileIntervalMs: 300 });
      const { fake, sink, adapter, btc } = r;
      const o = order({ instrument: btc, price: '50000', qty: '0.002' });
      await rejectedWhileLive(r, o);
      fake.faults.apply({ dropReports: true }); // the stream says nothing more about it
      fake.fill({ clientOrderId: o.clientOrderId });
      await until(() => sink.filledLots(o.orderId) === o.qtyLots, 'the fill, found by the reconciliation', 10_000);
      expect(sink.kinds(o.orderId)).toEqual(['REJECTED', 'ACCEPTED', 'FILL']);
      expect(new Set(sink.fills(o.orderId).map((f) => f.tradeId))).toEqual(new Set(venueTradeIds(t, fake, o)));
      expect(adapter.stats().ledger.corrected).toBe(1);
      const ord = replayReports(r.adapter.name, r.sink, o);
      expect(ord.state).toBe('FILLED');
      expect(ord.filledLots).toBe(o.qtyLots);
    });
  });
}
