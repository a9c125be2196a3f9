/**
 * A cancel must never reach another program's order, run for every exchange adapter against the local fakes. A
 * client order id is unique only among one account's OPEN orders: once ours has closed at the venue (here: filled
 * while its execution reports were lost), another program trading with the same keys (a plain ccxt instance, as a
 * second program would be) may place an order under the same id. A cancel of ours sent by client order id would
 * then cancel THEIR order; the adapters cancel by the venue order id our order is bound to. The venue refuses that
 * cancel (ours is filled), and the lookup that follows a refused cancel reports our fill. Likewise a reconciliation
 * does not take their open order for ours: ours is looked up by its venue order id.
 */
import { afterEach, describe, expect, test } from 'vitest';
import type { OrderView } from '../venues/index.js';
import type { BaseVenueAdapter } from '../../adapters/common/base-adapter.js';
import type { VenueAdapter, VenueOrder } from '../../src/execution/venue.js';
import { RecordingSink, batch, makeAdapter, order, sharedInstruments, until, venueConfig } from './helpers.js';
import { countCancels, placeAsAnotherProgram, sentinel } from './duplicates.js';
import { type Rig, type Target, rig } from './scenarios.js';

export function foreignCancelScenarios(t: Target): void {
  describe(`${t.label}: a cancel of ours never reaches another program's order under our client order id`, () => {
    let r: Rig | undefined;
    const tradeIds = (v: OrderView): Set<string> => new Set(v.fills.map((f) => `${t.exchange === 'binance' ? 'BTCUSDT' : 'BTC-USDT'}:${f.tradeId}`));
    afterEach(async () => {
      await r?.adapter.stop();
      await r?.fake.close();
      r = undefined;
    });

    /**
     * Ours rests and is bound (ACCEPTED with its venue order id), fills completely at the venue while every report
     * of that is lost, and another program then places an order under the same client order id.
     */
    async function filledUnseenThenTaken(r: Rig): Promise<{ o: VenueOrder; vid: string; filled: OrderView; theirs: OrderView }> {
      const { fake, sink, adapter, btc } = r;
      const o = order({ instrument: btc, side: 'BUY', price: '50000', qty: '0.002' });
      adapter.submit(batch(o));
      await until(() => sink.has(o.orderId, 'ACCEPTED'), 'ACCEPTED');
      const acc = sink.of(o.orderId).find((x) => x.kind === 'ACCEPTED');
      const vid = acc?.kind === 'ACCEPTED' ? acc.venueOrderId : '';
      expect(fake.order({ orderId: vid })).toMatchObject({ clientOrderId: o.clientOrderId, open: true });

      // it fills completely at the venue; every execution report of that is lost
      fake.faults.apply({ dropReports: true });
      fake.fill({ orderId: vid });
      fake.faults.apply({ dropReports: false });
      const filled = fake.order({ orderId: vid })!;
      expect(filled.open).toBe(false);
      expect(filled.fills.length).toBeGreaterThan(0);

      // another program places an order under the same client order id (the venue allows it: ours is closed)
      await placeAsAnotherProgram(t, fake, { clientOrderId: o.clientOrderId, side: 'sell', price: 70000, qty: 0.003 });
      const theirs = fake.order({ clientOrderId: o.clientOrderId })!;
      expect(theirs.orderId).not.toBe(vid);
      expect(theirs).toMatchObject({ side: 'SELL', open: true });
      // its report reaches our stream under our client order id: recognised as not ours (another venue order id)
      await until(() => adapter.stats().ledger.foreign >= 1, "their order's report, taken as not ours");
      expect(sink.kinds(o.orderId)).toEqual(['ACCEPTED']); // the fill is still unknown to the adapter
      return { o, vid, filled, theirs };
    }

    test("ours filled unseen, then another program's order took its client order id: our cancel leaves theirs open and untouched; ours ends FILLED, never CANCELED", async () => {
      // No periodic reconciliation (and the stream stays up, so no REST polling): the adapter can learn of the lost
      // fill only from what follows the cancel.
      r = await rig(t, { reconcileIntervalMs: 0 });
      const { fake, sink, adapter, btc } = r;
      const { o, vid, filled, theirs } = await filledUnseenThenTaken(r);

      const cancels = countCancels(t, fake);
      adapter.cancel({ orderId: o.orderId, clientOrderId: o.clientOrderId, venueOrderId: vid, instrument: btc });
      await until(() => sink.filledLots(o.orderId) === o.qtyLots, 'our fill, reported by the lookup after the refused cancel');
      await sentinel(r); // anything still on its way about either order has arrived by then

      expect(cancels()).toBe(1);
      expect(sink.kinds(o.orderId)).toEqual(['ACCEPTED', 'CANCEL_REJECTED', 'FILL']);
      expect(new Set(sink.fills(o.orderId).map((f) => f.tradeId))).toEqual(tradeIds(filled));
      const after = fake.order({ orderId: theirs.orderId })!;
      expect(after).toMatchObject({
        clientOrderId: o.clientOrderId,
        side: 'SELL',
        price: theirs.price,
        qty: theirs.qty,
        filled: theirs.filled,
        open: true,
        endReason: null,
      });
      expect(after.fills).toHaveLength(0);
    });

    test("a reconciliation while another program's open order holds our client order id still finds ours FILLED", async () => {
      r = await rig(t, { reconcileIntervalMs: 0 });
      const { fake, sink, adapter } = r;
      const { o, filled, theirs } = await filledUnseenThenTaken(r);
      await adapter.reconcile('test');
      // their open order under our id is not ours: ours is looked up by its venue order id and found final
      expect(sink.kinds(o.orderId)).toEqual(['ACCEPTED', 'FILL']);
      expect(new Set(sink.fills(o.orderId).map((f) => f.tradeId))).toEqual(tradeIds(filled));
      expect(adapter.ledger.get(o.clientOrderId)).toMatchObject({ terminal: 'FILLED', phase: 'DONE' });
      expect(fake.order({ orderId: theirs.orderId })).toMatchObject({ open: true, filled: theirs.filled });
    });

    test("after a restart, a lookup given our venue order id finds ours (FILLED), not another program's open order under our client order id", async () => {
      r = await rig(t, { reconcileIntervalMs: 0 });
      const { fake } = r;
      const { o, vid, theirs } = await filledUnseenThenTaken(r);
      await r.adapter.stop();
      // the next process: its ledger is empty; the daemon's journal knows our order's venue order id
      const ins = sharedInstruments();
      const next = makeAdapter(venueConfig(t.label, t.adapter, t.exchange, fake, { reconcileIntervalMs: 0 }), ins.list, new RecordingSink()) as VenueAdapter & BaseVenueAdapter;
      r.adapter = next;
      await next.start();
      const btc = ins.get('BTC-USDT')!;
      expect(await next.lookup(o.clientOrderId, btc, vid)).toMatchObject({ venueOrderId: vid, clientOrderId: o.clientOrderId, state: 'FILLED', side: 'BUY', filledLots: o.qtyLots });
      // by client order id alone the venue answers with their order (which the daemon's ownership check refuses)
      expect(await next.lookup(o.clientOrderId, btc)).toMatchObject({ venueOrderId: theirs.orderId, side: 'SELL', state: 'OPEN' });
    });
  });
}
