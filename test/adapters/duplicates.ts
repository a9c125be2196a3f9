/**
 * Duplicate client order ids, run for every exchange adapter against the local fakes. A client order id is unique
 * only among one account's open orders, so "another program" trading with the same keys (here a plain ccxt instance,
 * as a second program would be) can hold one of ours. The fakes refuse a duplicate as the venues do (Binance -2010
 * "Duplicate order sent.", OKX 51016). Variants:
 *  - another program's order (other side, quantity, price) holds the id: ours is REJECTED DUPLICATE_CLIENT_ORDER_ID,
 *    theirs stays open and untouched, its fills are never reported as ours, and a cancel of ours never reaches it;
 *  - our own order (the same symbol, side, type, quantity, price: an earlier request of ours) holds it: adopted,
 *    ACCEPTED, its fills (before and after) reported;
 *  - a submission with no answer (timeout) while another program's order holds the id: the lookup finds theirs,
 *    which is not adopted; ours is REJECTED DUPLICATE_CLIENT_ORDER_ID.
 */
import { afterEach, describe, expect, test } from 'vitest';
import type { VenueOrder } from '../../src/execution/venue.js';
import { localBinance, localOkx } from '../helpers/ccxt-local.js';
import type { FaultRule } from '../venues/faults.js';
import type { FakeBinance, FakeOkx } from '../venues/index.js';
import { batch, cid, order, until } from './helpers.js';
import { type Fake, type Rig, type Target, placeRequest, rig, venueTradeIds } from './scenarios.js';

/** The fault-rule match for the request that cancels one order. */
function cancelRequest(t: Target): Pick<FaultRule, 'method' | 'path' | 'transport'> {
  if (t.adapter === 'binance-ws') return { path: 'order.cancel', transport: 'ws' };
  if (t.adapter === 'okx-ws') return { path: 'cancel-order', transport: 'ws' };
  if (t.exchange === 'binance') return { method: 'DELETE', path: '/api/v3/order', transport: 'rest' };
  return { method: 'POST', path: '/api/v5/trade/cancel-order', transport: 'rest' };
}

/** The REST path of a lookup by client order id. */
function lookupPath(t: Target): string {
  return t.exchange === 'binance' ? '/api/v3/order' : '/api/v5/trade/order';
}

/** Another program trading the same account with the same keys: a plain ccxt REST instance. */
export async function placeAsAnotherProgram(
  t: Target,
  fake: Fake,
  o: { clientOrderId: string; side: 'buy' | 'sell'; price: number; qty: number },
): Promise<void> {
  const ex = t.exchange === 'binance' ? localBinance((fake as FakeBinance).endpoints) : localOkx((fake as FakeOkx).endpoints);
  await ex.createOrder('BTC/USDT', 'limit', o.side, o.qty, o.price, { clientOrderId: o.clientOrderId });
}

/** Counts the cancel requests the fake receives from now on (a pass-through rule). */
export function countCancels(t: Target, fake: Fake): () => number {
  const match = cancelRequest(t);
  fake.faults.add({ kind: 'delay', ms: 0, times: 1000, ...match });
  return () => {
    const rule = fake.faults.state().rules.find((x) => x.kind === 'delay' && x.path === match.path);
    return 1000 - (rule?.remaining ?? 0);
  };
}

/** One of our orders, placed and filled: everything asked of the adapter before it has been sent or seen by then. */
export async function sentinel(r: Rig): Promise<void> {
  const s = order({ instrument: r.btc, price: '50000', qty: '0.002' });
  r.adapter.submit(batch(s));
  await until(() => r.sink.has(s.orderId, 'ACCEPTED'), 'the sentinel ACCEPTED');
  r.fake.fill({ clientOrderId: s.clientOrderId });
  await until(() => r.sink.filledLots(s.orderId) === s.qtyLots, "the sentinel's fill");
}

function reasonOf(r: Rig, o: VenueOrder): string {
  const rej = r.sink.of(o.orderId).find((x) => x.kind === 'REJECTED');
  return rej?.kind === 'REJECTED' ? rej.reason : '';
}

export function duplicateScenarios(t: Target): void {
  describe(`${t.label}: duplicate client order ids`, () => {
    let r: Rig | undefined;
    afterEach(async () => {
      await r?.adapter.stop();
      await r?.fake.close();
      r = undefined;
    });

    test("another program's order holds our client order id: ours REJECTED DUPLICATE_CLIENT_ORDER_ID; theirs open, untouched, never canceled, its fills not ours", async () => {
      r = await rig(t);
      const { fake, sink, adapter, btc } = r;
      const id = cid();
      await placeAsAnotherProgram(t, fake, { clientOrderId: id, side: 'sell', price: 70000, qty: 0.003 });
      const theirs = fake.order({ clientOrderId: id })!;
      expect(theirs).toMatchObject({ side: 'SELL', open: true });
      const cancels = countCancels(t, fake);

      // the lookup that follows the duplicate answer is slow: a cancel arrives while it runs
      fake.faults.add({ kind: 'delay', ms: 300, method: 'GET', path: lookupPath(t), times: 1 });
      const o = order({ instrument: btc, side: 'BUY', price: '50000', qty: '0.002', clientOrderId: id });
      adapter.submit(batch(o));
      await until(() => adapter.stats().duplicateAnswers === 1, 'the duplicate answer');
      adapter.cancel({ orderId: o.orderId, clientOrderId: id, venueOrderId: undefined, instrument: btc }); // waits for the lookup
      await until(() => sink.has(o.orderId, 'REJECTED') && sink.has(o.orderId, 'CANCEL_REJECTED'), 'REJECTED, then the waiting cancel refused');
      expect(reasonOf(r, o)).toMatch(/^DUPLICATE_CLIENT_ORDER_ID: /);
      expect(sink.kinds(o.orderId)).toEqual(['REJECTED', 'CANCEL_REJECTED']);
      expect(adapter.stats().ledger.foreign).toBeGreaterThanOrEqual(1);

      // A cancel of our (rejected) order now, then their order trades. A sentinel order of ours, placed and filled
      // afterwards (its requests queue behind the cancel, its reports come after theirs on the same stream), shows
      // that both have been dealt with by then: no cancel went out and none of their trading is reported as ours.
      adapter.cancel({ orderId: o.orderId, clientOrderId: id, venueOrderId: undefined, instrument: btc });
      fake.fill({ clientOrderId: id }, '0.001');
      await sentinel(r);
      expect(sink.kinds(o.orderId)).toEqual(['REJECTED', 'CANCEL_REJECTED']);
      expect(cancels()).toBe(0);
      const after = fake.order({ clientOrderId: id })!;
      expect(after).toMatchObject({ orderId: theirs.orderId, side: 'SELL', price: theirs.price, qty: theirs.qty, open: true });
      expect(after.fills).toHaveLength(1); // the one we made it trade: nothing else happened to it
      expect(fake.orders({ account: 'main' }).filter((x) => x.clientOrderId === id)).toHaveLength(1);
    });

    test('our own order already holds the id (an earlier request of ours): adopted, ACCEPTED, its fills reported', async () => {
      r = await rig(t);
      const { fake, sink, adapter, btc } = r;
      const id = cid();
      // what our earlier request placed (same symbol, side, type, quantity, price), partly filled since
      await placeAsAnotherProgram(t, fake, { clientOrderId: id, side: 'buy', price: 50000, qty: 0.002 });
      fake.fill({ clientOrderId: id }, '0.0005');
      await sentinel(r); // its reports reached the adapter before ours exists (then unknown to it: ignored)
      const o = order({ instrument: btc, side: 'BUY', price: '50000', qty: '0.002', clientOrderId: id });
      adapter.submit(batch(o));
      await until(() => sink.has(o.orderId, 'ACCEPTED'), 'ACCEPTED after the lookup');
      await until(() => sink.filledLots(o.orderId) === 50, 'the fill made before');
      fake.fill({ clientOrderId: id });
      await until(() => sink.filledLots(o.orderId) === o.qtyLots, 'the rest, filled after');
      expect(sink.has(o.orderId, 'REJECTED')).toBe(false);
      expect(new Set(sink.fills(o.orderId).map((f) => f.tradeId))).toEqual(new Set(venueTradeIds(t, fake, o)));
      expect(sink.fills(o.orderId)).toHaveLength(2);
      expect(adapter.stats()).toMatchObject({ duplicateAnswers: 1, duplicatesAdopted: 1 });
      expect(adapter.stats().ledger.foreign).toBe(0);
      expect(fake.orders({ account: 'main' }).filter((x) => x.clientOrderId === id)).toHaveLength(1);
    });

    test("timeout on submit while another program's order holds the id: the lookup does not adopt it; REJECTED DUPLICATE_CLIENT_ORDER_ID", async () => {
      r = await rig(t, { requestTimeoutMs: 500 });
      const { fake, sink, adapter, btc } = r;
      const id = cid();
      await placeAsAnotherProgram(t, fake, { clientOrderId: id, side: 'buy', price: 51000, qty: 0.001 });
      const theirs = fake.order({ clientOrderId: id })!;
      const cancels = countCancels(t, fake);
      fake.faults.add({ kind: 'hang', ...placeRequest(t), times: 1 }); // never executed, never answered
      const o = order({ instrument: btc, side: 'BUY', price: '50000', qty: '0.002', clientOrderId: id });
      adapter.submit(batch(o));
      await until(() => sink.has(o.orderId, 'REJECTED'), 'REJECTED after the lookup', 10_000);
      expect(reasonOf(r, o)).toMatch(/^DUPLICATE_CLIENT_ORDER_ID: /);
      expect(sink.kinds(o.orderId)).toEqual(['REJECTED']);
      expect(adapter.stats()).toMatchObject({ unknownOutcomes: 1, resolvedByLookup: 0 });
      adapter.cancel({ orderId: o.orderId, clientOrderId: id, venueOrderId: undefined, instrument: btc });
      await sentinel(r);
      expect(cancels()).toBe(0);
      expect(fake.order({ clientOrderId: id })).toMatchObject({ orderId: theirs.orderId, price: theirs.price, qty: theirs.qty, filled: theirs.filled, open: true });
    });
  });
}
