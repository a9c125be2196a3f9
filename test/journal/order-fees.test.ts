/**
 * Per-order fees (store.feeTexts, kept by src/telemetry/execution-quality.ts) across restarts: the snapshot row's
 * "fee" key (takeSnapshot and the chunked capture, byte for byte), restore, rows written before it (none), and
 * replay of the FILL records rebuilding them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { replayOrders, restoreSnapshot } from '../../src/journal/order-replay.js';
import { decodeSnapshot } from '../../src/journal/order-snapshot.js';
import type { Fill } from '../../src/model/order.js';
import { journaledRig, captureOf, captureText, createOrder, dispatch, makeRig, syncSnapshot, type Rig } from './order-rig.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

let trade = 0;

function fillOf(r: Rig, slot: number, qty: number, fee: string, feeCurrency: string, extra: Partial<Fill> = {}): void {
  r.tracker.applySlot(slot, {
    kind: 'FILL',
    fill: {
      orderId: r.store.id[slot]!, tradeId: `F${++trade}`, venue: 'v1', priceTicks: 1000, qtyLots: qty, fee, feeCurrency,
      liquidity: 'TAKER', ts: r.clock.now(), venueTs: 0, ...extra,
    },
  });
}

/** Orders with fees in one currency, two, a blank one (the quote), rebates, none; a filled one, an open one. */
function scenario(r: Rig): { slots: number[]; expected: (string | undefined)[] } {
  const slots: number[] = [];
  for (let i = 0; i < 5; i++) {
    const slot = createOrder(r, { strategy: i, symbol: 0, sell: i % 2 === 1, type: 0, priceTicks: 1000, qtyLots: 100, givenId: i === 2 });
    dispatch(r, slot, 'v1');
    r.tracker.applySlot(slot, { kind: 'ACCEPT', venueOrderId: `V${i}` });
    slots.push(slot);
  }
  fillOf(r, slots[0]!, 10, '0.1', 'USDT');
  fillOf(r, slots[0]!, 10, '0.2', '');
  fillOf(r, slots[1]!, 40, '0.00001', 'BTC');
  fillOf(r, slots[1]!, 60, '0.015', 'USDT');
  fillOf(r, slots[1]!, 0, '1', 'USDT'); // refused (no quantity): not counted
  fillOf(r, slots[2]!, 5, '-0.003', 'USDT');
  fillOf(r, slots[3]!, 5, '0.01', 'USDT', { tradeId: 'same' });
  fillOf(r, slots[3]!, 5, '0.01', 'USDT', { tradeId: 'same' }); // duplicate: once
  return {
    slots,
    expected: ['USDT:0.3', 'BTC:0.00001;USDT:0.015', 'USDT:-0.003', 'USDT:0.01', undefined],
  };
}

const feesOf = (r: Rig, ids: number[]): (string | undefined)[] => ids.map((id) => r.store.feeTexts[r.store.slotOf(id)]);

describe('per-order fees in snapshots', () => {
  it('the row carries "fee"; the chunked capture writes the same bytes; restore puts them back', () => {
    const r = makeRig(100);
    const { slots, expected } = scenario(r);
    const ids = slots.map((s) => r.store.id[s]!);
    expect(feesOf(r, ids)).toEqual(expected);
    const bytes = syncSnapshot(r);
    const text = Buffer.from(bytes).toString();
    expect(text).toContain('"r":null,"fee":"BTC:0.00001;USDT:0.015","t":[');
    expect(text).toContain('"fee":null,"t":[]');
    expect(captureText(captureOf(r))).toBe(text);
    expect(captureText(captureOf(r, { copySlots: 1, sortMoves: 2, encodeRows: 1 }))).toBe(text);

    const again = makeRig(100);
    const snap = decodeSnapshot(bytes);
    restoreSnapshot(snap, again.tracker, again.ids, again.risk);
    again.fees.import(snap.fees ?? []); // the fee ledger's sums, as replay does
    expect(feesOf(again, ids)).toEqual(expected);
    expect(Buffer.from(syncSnapshot(again)).toString()).toBe(text);
    expect(captureText(captureOf(again))).toBe(text);
    // fills after the restore (records after the snapshot) add to what was restored
    fillOf(again, again.store.slotOf(ids[0]!), 1, '0.7', 'USDT');
    fillOf(again, again.store.slotOf(ids[4]!), 1, '0.5', 'BNB');
    expect(feesOf(again, ids)).toEqual(['USDT:1', 'BTC:0.00001;USDT:0.015', 'USDT:-0.003', 'USDT:0.01', 'BNB:0.5']);
  });

  it('rows written before per-order fees (no "fee" key) restore as none', () => {
    const r = makeRig(100);
    const { slots } = scenario(r);
    const json = JSON.parse(Buffer.from(syncSnapshot(r)).toString()) as { orders: Record<string, unknown>[] };
    for (const o of json.orders) delete o.fee;
    const again = makeRig(100);
    restoreSnapshot(decodeSnapshot(Buffer.from(JSON.stringify(json))), again.tracker, again.ids, again.risk);
    for (const s of slots) expect(again.store.feeTexts[again.store.slotOf(r.store.id[s]!)]).toBeUndefined();
    expect(Buffer.from(syncSnapshot(again)).toString()).not.toContain('"fee":"');
  });

  it('a capture during fills (copy-on-write) holds the fees as they were at its start', () => {
    const r = makeRig(100);
    const { slots } = scenario(r);
    const capture = captureOf(r, { copySlots: 1, sortMoves: 2, encodeRows: 1 });
    const expected = Buffer.from(syncSnapshot(r)).toString();
    let got = '';
    const pieces: Uint8Array[] = [];
    capture.begin({ write: (b, n, done) => { pieces.push(b.slice(0, n)); done?.(); } });
    let i = 0;
    while (!capture.step()) {
      const slot = slots[i++ % slots.length]!;
      if (r.tracker.isOpenSlot(slot)) fillOf(r, slot, 1, '0.001', 'ETH');
    }
    got = Buffer.concat(pieces).toString();
    expect(got).toBe(expected);
    expect(r.store.feeTexts[slots[4]!]).toMatch(/ETH:0\.00\d/);
  });
});

describe('per-order fees in replay', () => {
  it('replaying the FILL records rebuilds them (and the same snapshot)', async () => {
    const { r, journal, dir } = await journaledRig('order-fees-', cleanups);
    const { slots, expected } = scenario(r);
    const ids = slots.map((s) => r.store.id[s]!);
    await journal.close();

    const again = makeRig(100);
    again.accounting.replaying = true;
    const report = replayOrders(dir, again.tracker, again.store, again.ids, again.risk, again.fees);
    again.accounting.replaying = false;
    expect(report.refused).toBe(0); // the refused fill was never recorded
    expect(feesOf(again, ids)).toEqual(expected);
    expect(Buffer.from(syncSnapshot(again)).toString()).toBe(Buffer.from(syncSnapshot(r)).toString());
  });
});
