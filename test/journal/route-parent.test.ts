/**
 * An order's route and parent order id in the journal: the ORDER record's flags byte (63: bits 0-1 route, bit 7 a
 * parent id follows the client order id) and the snapshot row's "route" and "parent" keys, through record -> decode,
 * replay of records, snapshot -> restore and the chunked snapshot capture; and journals written before routes
 * (byte 63 = 0, rows without the keys) read as route table, no parent.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ROUTE_BEST, ROUTE_SWEEP, ROUTE_TABLE, type OrderStore } from '../../src/core/order-store.js';
import { describeRecord } from '../../src/journal/describe-record.js';
import { REC_ORDER, decodeOrderRecord, ORDER_FIXED, ORDER_HAS_PARENT } from '../../src/journal/order-records.js';
import { replayOrders, restoreSnapshot, takeSnapshot } from '../../src/journal/order-replay.js';
import { decodeSnapshot, encodeSnapshot } from '../../src/journal/order-snapshot.js';
import { newOrderFields } from '../helpers/model.js';
import { collect } from './helpers.js';
import { journaledRig, captureOf, captureText, dispatch, makeRig, syncSnapshot, type Rig } from './order-rig.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

interface Made {
  id: number;
  route: number;
  parent: number;
  clientOrderId?: string;
}

/** Orders with the routes and parents of `made` (ids from the rig's counter, in order). */
function createOrders(r: Rig, made: Made[]): void {
  for (const m of made) {
    const id = r.ids.next();
    m.id = id;
    const fields = {
      ...newOrderFields(r.store, { strategy: 'alpha', symbol: 'BTC-USDT', side: 'BUY', type: 'LIMIT', priceTicks: 1000, qtyLots: 5, clientOrderId: m.clientOrderId }),
      route: m.route,
      parent: m.parent,
    };
    r.tracker.create(id, fields);
  }
}

function routeAndParent(store: OrderStore, id: number): { route: number; parent: number } {
  const slot = store.slotOf(id);
  expect(slot).toBeGreaterThanOrEqual(0);
  return { route: store.route[slot]!, parent: store.parent[slot]! };
}

const journaled = () => journaledRig('route-parent-', cleanups);

/** A sweep parent (route 2), its children (route 2, parent = its id; one with a long given client order id), others. */
function sample(): Made[] {
  return [
    { id: 0, route: ROUTE_SWEEP, parent: 0 },
    { id: 0, route: ROUTE_SWEEP, parent: 17 },
    { id: 0, route: ROUTE_SWEEP, parent: 17, clientOrderId: 'c'.repeat(32) },
    { id: 0, route: ROUTE_TABLE, parent: 0 },
    { id: 0, route: ROUTE_BEST, parent: 0, clientOrderId: 'given-best' },
    { id: 0, route: ROUTE_TABLE, parent: 2 ** 40 + 3 },
  ];
}

describe('ORDER record: route and parent', () => {
  it('round trip: record -> decode', async () => {
    const { r, journal, dir } = await journaled();
    const made = sample();
    createOrders(r, made);
    await journal.close();
    const orders = collect(dir).records.filter((x) => x.type === REC_ORDER);
    expect(orders.length).toBe(made.length);
    for (let i = 0; i < made.length; i++) {
      const p = orders[i]!.payload;
      const f = decodeOrderRecord(p, 0, p.length);
      expect(f.id).toBe(made[i]!.id);
      expect({ route: f.route, parent: f.parent }).toEqual({ route: made[i]!.route, parent: made[i]!.parent });
      expect(f.clientOrderId).toBe(made[i]!.clientOrderId ?? r.store.clientOrderId(r.store.slotOf(f.id)));
      // the layout: flags byte, and 8 bytes of parent id after the client order id only for a child
      expect(p[63]).toBe(made[i]!.route | (made[i]!.parent !== 0 ? ORDER_HAS_PARENT : 0));
      expect(p.length).toBe(ORDER_FIXED + p[62]! + (made[i]!.parent !== 0 ? 8 : 0));
    }
    // `journal inspect` shows them
    const child = describeRecord(REC_ORDER, orders[1]!.payload);
    expect(child).toContain('"route":2');
    expect(child).toContain('"parent":17');
    expect(child).toContain('"routeName":"sweep"');
    expect(describeRecord(REC_ORDER, orders[3]!.payload)).toContain('"route":0,"parent":0');
  });

  it('round trip: replay of the records into a fresh tracker', async () => {
    const { r, journal, dir } = await journaled();
    const made = sample();
    createOrders(r, made);
    const slot = r.store.slotOf(made[1]!.id);
    dispatch(r, slot, 'v1');
    await journal.close();
    const again = makeRig(100);
    again.accounting.replaying = true;
    const report = replayOrders(dir, again.tracker, again.store, again.ids, again.risk, again.fees);
    again.accounting.replaying = false;
    expect(report.orders).toBe(made.length);
    expect(report.refused).toBe(0);
    for (const m of made) expect(routeAndParent(again.store, m.id)).toEqual({ route: m.route, parent: m.parent });
    expect(again.tracker.get(made[1]!.id)!.route).toBe('sweep');
    // the whole state as the daemon had it
    expect(Buffer.from(syncSnapshot(again)).toString()).toBe(Buffer.from(syncSnapshot(r)).toString());
  });

  it('reads a record written before routes (byte 63 = 0, nothing after the client order id) as route table, no parent', async () => {
    const { r, journal, dir } = await journaled();
    const made: Made[] = [{ id: 0, route: ROUTE_TABLE, parent: 0, clientOrderId: 'old-one' }];
    createOrders(r, made);
    await journal.close();
    const p = collect(dir).records.find((x) => x.type === REC_ORDER)!.payload;
    // hand-built old record: the same bytes as the recorder wrote before routes (fixed part + cid, byte 63 = 0)
    const old = new Uint8Array(ORDER_FIXED + 7);
    const v = new DataView(old.buffer);
    v.setFloat64(0, 42, true);
    v.setFloat64(8, 1234.5, true);
    v.setFloat64(16, 1000, true);
    v.setFloat64(32, 5, true);
    v.setUint32(48, 9, true);
    old[60] = 1;
    old[61] = 255;
    old[62] = 7;
    old[63] = 0;
    old.set(Buffer.from('old-one'), ORDER_FIXED);
    const f = decodeOrderRecord(old, 0, old.length);
    expect(f).toMatchObject({ id: 42, createdAt: 1234.5, priceTicks: 1000, qtyLots: 5, tag: 9, pinned: 255, clientOrderId: 'old-one', route: 0, parent: 0 });
    // and what the recorder writes now for a table order without parent is that same layout
    expect(p.length).toBe(ORDER_FIXED + 7);
    expect(p[63]).toBe(0);
    // inside a larger buffer, at an offset (as replay reads it out of a segment)
    const big = new Uint8Array(old.length + 13);
    big.set(old, 5);
    expect(decodeOrderRecord(big, 5, old.length)).toEqual(f);
  });
});

describe('snapshot: route and parent', () => {
  it('round trip: takeSnapshot -> encode -> decode -> restore, and the chunked capture writes the same bytes', async () => {
    const r = makeRig(100);
    const made = sample();
    createOrders(r, made);
    dispatch(r, r.store.slotOf(made[2]!.id), 'v2');
    const bytes = syncSnapshot(r);
    expect(captureText(captureOf(r))).toBe(Buffer.from(bytes).toString());
    const snap = decodeSnapshot(bytes);
    const rows = new Map(snap.orders.map((o) => [o.id, o]));
    for (const m of made) expect({ route: rows.get(m.id)!.f.route, parent: rows.get(m.id)!.f.parent }).toEqual({ route: m.route, parent: m.parent });
    const again = makeRig(100);
    restoreSnapshot(snap, again.tracker, again.ids, again.risk);
    for (const m of made) expect(routeAndParent(again.store, m.id)).toEqual({ route: m.route, parent: m.parent });
    expect(Buffer.from(encodeSnapshot(takeSnapshot(again.tracker, again.ids.current(), again.risk, again.fees))).toString())
      .toBe(Buffer.from(encodeSnapshot(takeSnapshot(r.tracker, r.ids.current(), r.risk, r.fees))).toString());
  });

  it('restores rows written before routes (no "route" / "parent" keys) as route table, no parent', () => {
    const r = makeRig(100);
    const made = sample();
    createOrders(r, made);
    const json = JSON.parse(Buffer.from(syncSnapshot(r)).toString()) as { orders: { f: Record<string, unknown> }[] };
    for (const o of json.orders) {
      delete o.f.route;
      delete o.f.parent;
    }
    const snap = decodeSnapshot(Buffer.from(JSON.stringify(json)));
    const again = makeRig(100);
    restoreSnapshot(snap, again.tracker, again.ids, again.risk);
    for (const m of made) expect(routeAndParent(again.store, m.id)).toEqual({ route: 0, parent: 0 });
    expect(again.store.size).toBe(made.length);
  });
});
