/**
 * Amends in the journal: the AMEND_REQUEST, AMENDED and AMEND_REJECT update records, their replay (the confirmed terms,
 * the new client and venue order ids of a cancel-replace, a pending amend left pending: it is resolved by a lookup
 * after the restart, never guessed), risk reservations that follow the confirmed terms, and snapshots.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { decodeUpdateRecord, REC_UPDATE } from '../../src/journal/order-records.js';
import { replayOrders, restoreSnapshot } from '../../src/journal/order-replay.js';
import { decodeSnapshot } from '../../src/journal/order-snapshot.js';
import { readJournal } from '../../src/journal/index.js';
import type { OrderUpdate } from '../../src/model/lifecycle.js';
import { captureOf, captureText, createOrder, dispatch, journaledRig, makeRig, syncSnapshot, type Rig } from './order-rig.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

let trade = 0;
const fill = (r: Rig, slot: number, qtyLots: number, priceTicks = 1000): OrderUpdate => ({
  kind: 'FILL',
  fill: {
    orderId: r.store.id[slot]!, tradeId: `A${++trade}`, venue: 'v1', priceTicks, qtyLots, fee: '0.01', feeCurrency: 'USDT',
    liquidity: 'MAKER', ts: r.clock.now(), venueTs: 0,
  },
});

/** Four orders: amended in place, amended by cancel-replace (new ids) after a fill, refused, and one still pending. */
function scenario(r: Rig): number[] {
  const slots: number[] = [];
  for (let i = 0; i < 4; i++) {
    const slot = createOrder(r, { strategy: 0, symbol: 0, sell: false, type: 0, priceTicks: 1000, qtyLots: 100, givenId: false });
    dispatch(r, slot, 'v1');
    r.tracker.applySlot(slot, { kind: 'ACCEPT', venueOrderId: `V${i}` });
    slots.push(slot);
  }
  const [a, b, c, d] = slots as [number, number, number, number];
  r.tracker.applySlot(a, { kind: 'AMEND_REQUEST', priceTicks: 990, qtyLots: 60 });
  r.tracker.applySlot(a, { kind: 'AMENDED', priceTicks: 990, qtyLots: 60 });
  r.tracker.applySlot(b, fill(r, b, 30));
  r.tracker.applySlot(b, { kind: 'AMEND_REQUEST', priceTicks: 1010, qtyLots: 150, clientOrderId: 'newcid1' });
  r.tracker.applySlot(b, { kind: 'AMENDED', priceTicks: 1010, qtyLots: 150, venueOrderId: 'V1b', clientOrderId: 'newcid1' });
  r.tracker.applySlot(c, { kind: 'AMEND_REQUEST', priceTicks: 1005, qtyLots: 100 });
  r.tracker.applySlot(c, { kind: 'AMEND_REJECT', reason: 'VENUE_REJECTED: -2010 would cross' });
  r.tracker.applySlot(d, { kind: 'AMEND_REQUEST', priceTicks: 995, qtyLots: 80, clientOrderId: 'cid4r' });
  return slots;
}

function terms(r: Rig, id: number): unknown {
  const o = r.tracker.get(id)!;
  return { state: o.state, price: o.priceTicks, qty: o.qtyLots, filled: o.filledLots, cid: o.clientOrderId, vid: o.venueOrderId, risk: o.riskPriceTicks };
}

describe('amend records', () => {
  it('each update kind is recorded with its terms and ids, and decodes to the update that was applied', async () => {
    const { r, journal, dir } = await journaledRig('amend-', cleanups);
    scenario(r);
    await journal.close();
    const kinds: OrderUpdate[] = [];
    readJournal(dir, {}, (rec) => {
      if (rec.type !== REC_UPDATE) return;
      const u = decodeUpdateRecord(rec.buffer, rec.offset, rec.length, r.store.venueNames).update;
      if (u.kind.startsWith('AMEND')) kinds.push(u);
    });
    expect(kinds).toEqual([
      { kind: 'AMEND_REQUEST', priceTicks: 990, qtyLots: 60, clientOrderId: undefined },
      { kind: 'AMENDED', priceTicks: 990, qtyLots: 60, venueOrderId: undefined, clientOrderId: undefined },
      { kind: 'AMEND_REQUEST', priceTicks: 1010, qtyLots: 150, clientOrderId: 'newcid1' },
      { kind: 'AMENDED', priceTicks: 1010, qtyLots: 150, venueOrderId: 'V1b', clientOrderId: 'newcid1' },
      { kind: 'AMEND_REQUEST', priceTicks: 1005, qtyLots: 100, clientOrderId: undefined },
      { kind: 'AMEND_REJECT', reason: 'VENUE_REJECTED: -2010 would cross' },
      { kind: 'AMEND_REQUEST', priceTicks: 995, qtyLots: 80, clientOrderId: 'cid4r' },
    ]);
  });

  it('replay restores the confirmed terms, the rebound ids, the pending amend and the reservations', async () => {
    const { r, journal, dir } = await journaledRig('amend-', cleanups);
    const slots = scenario(r);
    const ids = slots.map((s) => r.store.id[s]!);
    await journal.close();

    const again = makeRig(100);
    again.accounting.replaying = true;
    const report = replayOrders(dir, again.tracker, again.store, again.ids, again.risk, again.fees);
    again.accounting.replaying = false;
    expect(report.refused).toBe(0);
    for (const id of ids) expect(terms(again, id)).toEqual(terms(r, id));
    expect(terms(again, ids[0]!)).toMatchObject({ state: 'ACCEPTED', price: 990, qty: 60, risk: 990 });
    expect(terms(again, ids[1]!)).toMatchObject({ state: 'PARTIALLY_FILLED', price: 1010, qty: 150, cid: 'newcid1', vid: 'V1b', risk: 1010 });
    expect(terms(again, ids[2]!)).toMatchObject({ state: 'ACCEPTED', price: 1000, qty: 100 });
    // still pending: the old terms hold until a lookup at the venue shows which ones it has
    expect(terms(again, ids[3]!)).toMatchObject({ state: 'PENDING_UPDATE', price: 1000, qty: 100 });
    const pending = again.tracker.get(ids[3]!)!;
    expect([pending.amendPriceTicks, pending.amendQtyLots, pending.amendClientOrderId]).toEqual([995, 80, 'cid4r']);
    // the new client order id finds the order (reports, cancels and reconciliation use it)
    expect(again.tracker.getByClientOrderId('newcid1')?.id).toBe(ids[1]);
    // reservations follow the confirmed terms, the same as live
    expect(again.risk.snapshot()).toEqual(r.risk.snapshot());
    expect(Buffer.from(syncSnapshot(again)).toString()).toBe(Buffer.from(syncSnapshot(r)).toString());
  });

  it('risk reserves the confirmed terms: 990 x 60 + 1010 x 120 + 1000 x 100 x 2 (the pending amend is not yet in force)', () => {
    const r = makeRig(100);
    scenario(r);
    const fresh = makeRig(100);
    for (const [p, q] of [[990, 60], [1010, 120], [1000, 100], [1000, 100]] as const) fresh.risk.reserve(0, 0, 0, p, q);
    expect(r.risk.snapshot().strategies[0]!.openNotional).toBe(fresh.risk.snapshot().strategies[0]!.openNotional);
    expect(r.risk.snapshot().strategies[0]!.openOrders).toBe(4);
  });

  it('a snapshot keeps the amended terms, the new client order id and a pending amend (the chunked capture the same bytes)', () => {
    const r = makeRig(100);
    const slots = scenario(r);
    // a pending amend with a cancel asked meanwhile is pending too
    const e = createOrder(r, { strategy: 0, symbol: 0, sell: true, type: 0, priceTicks: 1000, qtyLots: 10, givenId: true });
    dispatch(r, e, 'v2');
    r.tracker.applySlot(e, { kind: 'ACCEPT', venueOrderId: 'VE' });
    r.tracker.applySlot(e, { kind: 'AMEND_REQUEST', priceTicks: 1001, qtyLots: 12, clientOrderId: 'cid5r' });
    r.tracker.applySlot(e, { kind: 'CANCEL_REQUEST' });
    const bytes = syncSnapshot(r);
    const text = Buffer.from(bytes).toString();
    expect(text).toContain('"amd":[995,80,"cid4r"]');
    expect(text).toContain('"amd":[1001,12,"cid5r"]');
    expect(text.match(/"amd"/g)).toHaveLength(2); // only the pending ones
    expect(captureText(captureOf(r))).toBe(text);
    expect(captureText(captureOf(r, { copySlots: 1, sortMoves: 2, encodeRows: 1 }))).toBe(text);
    const again = makeRig(100);
    const snap = decodeSnapshot(bytes);
    restoreSnapshot(snap, again.tracker, again.ids, again.risk);
    again.fees.import(snap.fees ?? []);
    for (const s of [...slots, e]) expect(terms(again, r.store.id[s]!)).toEqual(terms(r, r.store.id[s]!));
    expect(again.tracker.getByClientOrderId('newcid1')?.id).toBe(r.store.id[slots[1]!]);
    const pending = again.tracker.get(r.store.id[slots[3]!]!)!;
    expect([pending.state, pending.amendPriceTicks, pending.amendQtyLots, pending.amendClientOrderId]).toEqual(['PENDING_UPDATE', 995, 80, 'cid4r']);
    const both = again.tracker.get(r.store.id[e]!)!;
    expect([both.state, both.stateBeforeCancel, both.amendPriceTicks, both.amendQtyLots, both.amendClientOrderId]).toEqual(['PENDING_CANCEL', 'PENDING_UPDATE', 1001, 12, 'cid5r']);
    expect(Buffer.from(syncSnapshot(again)).toString()).toBe(text);
  });
});
