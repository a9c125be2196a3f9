/**
 * An order's algo, parameters and arrival mid in the journal: the ORDER record's flags byte (63: bits 2-3 algo, bit 6
 * an extension block f64 paramA, paramB, arrivalMid follows the client order id and the parent id) and the snapshot
 * row's "algo", "pa", "pb", "am" keys, through record -> decode, replay of records, snapshot -> restore and the
 * chunked snapshot capture; and journals written before algorithms (no bits, rows without the keys) read as algo
 * none, parameters and arrival mid 0.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  ALGO_ICEBERG, ALGO_NONE, ALGO_TWAP, ROUTE_BEST, ROUTE_SWEEP, ROUTE_TABLE, type OrderStore,
} from '../../src/core/order-store.js';
import { describeRecord } from '../../src/journal/describe-record.js';
import {
  ORDER_ALGO_MASK, ORDER_ALGO_SHIFT, ORDER_EXT_BYTES, ORDER_FIXED, ORDER_HAS_EXT, ORDER_HAS_PARENT, REC_ORDER, decodeOrderRecord,
} from '../../src/journal/order-records.js';
import { replayOrders, restoreSnapshot, takeSnapshot } from '../../src/journal/order-replay.js';
import { decodeSnapshot, encodeSnapshot } from '../../src/journal/order-snapshot.js';
import { newOrderFields } from '../helpers/model.js';
import { collect } from './helpers.js';
import { journaledRig, captureOf, captureText, dispatch, makeRig, syncSnapshot, type Rig } from './order-rig.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

interface Ext {
  algo: number;
  paramA: number;
  paramB: number;
  arrivalMid: number;
}

interface Made extends Ext {
  id: number;
  route: number;
  parent: number;
  clientOrderId?: string;
}

const HALF_TICK_MID = 6000000.5;

function createOrders(r: Rig, made: Made[]): void {
  for (const m of made) {
    const id = r.ids.next();
    m.id = id;
    const fields = {
      ...newOrderFields(r.store, { strategy: 'alpha', symbol: 'BTC-USDT', side: 'BUY', type: 'LIMIT', priceTicks: 1000, qtyLots: 500, clientOrderId: m.clientOrderId }),
      route: m.route,
      parent: m.parent,
      algo: m.algo,
      paramA: m.paramA,
      paramB: m.paramB,
      arrivalMid: m.arrivalMid,
    };
    r.tracker.create(id, fields);
  }
}

function extOf(store: OrderStore, id: number): Ext & { route: number; parent: number } {
  const slot = store.slotOf(id);
  expect(slot).toBeGreaterThanOrEqual(0);
  return {
    route: store.route[slot]!, parent: store.parent[slot]!, algo: store.algo[slot]!,
    paramA: store.paramA[slot]!, paramB: store.paramB[slot]!, arrivalMid: store.arrivalMid[slot]!,
  };
}

function expected(m: Made): Ext & { route: number; parent: number } {
  return { route: m.route, parent: m.parent, algo: m.algo, paramA: m.paramA, paramB: m.paramB, arrivalMid: m.arrivalMid };
}

const hasExt = (m: Made): boolean => m.paramA !== 0 || m.paramB !== 0 || m.arrivalMid !== 0;

const journaled = () => journaledRig('algo-params-', cleanups);

/**
 * A plain order, an iceberg (display 250 lots) with a half-tick arrival mid, a TWAP with both parameters, a sweep
 * child with a 32-byte client order id and every part (the largest record), a mid alone, an algo without parameters,
 * the largest safe integer parameter.
 */
function sample(): Made[] {
  return [
    { id: 0, route: ROUTE_TABLE, parent: 0, algo: ALGO_NONE, paramA: 0, paramB: 0, arrivalMid: 0 },
    { id: 0, route: ROUTE_BEST, parent: 0, algo: ALGO_ICEBERG, paramA: 250, paramB: 0, arrivalMid: HALF_TICK_MID },
    { id: 0, route: ROUTE_TABLE, parent: 0, algo: ALGO_TWAP, paramA: 3_600_000, paramB: 60_000, arrivalMid: 6000001 },
    { id: 0, route: ROUTE_SWEEP, parent: 2 ** 40 + 3, algo: ALGO_ICEBERG, paramA: 250, paramB: 7, arrivalMid: HALF_TICK_MID, clientOrderId: 'c'.repeat(32) },
    { id: 0, route: ROUTE_TABLE, parent: 0, algo: ALGO_NONE, paramA: 0, paramB: 0, arrivalMid: 0.5 },
    { id: 0, route: ROUTE_SWEEP, parent: 17, algo: ALGO_TWAP, paramA: 0, paramB: 0, arrivalMid: 0 },
    { id: 0, route: ROUTE_TABLE, parent: 0, algo: ALGO_ICEBERG, paramA: Number.MAX_SAFE_INTEGER, paramB: 0, arrivalMid: 0, clientOrderId: 'given-max' },
  ];
}

describe('ORDER record: algo, parameters, arrival mid', () => {
  it('round trip: record -> decode, with the flags and the extension block only when needed', async () => {
    const { r, journal, dir } = await journaled();
    const made = sample();
    createOrders(r, made);
    await journal.close();
    const orders = collect(dir).records.filter((x) => x.type === REC_ORDER);
    expect(orders.length).toBe(made.length);
    for (let i = 0; i < made.length; i++) {
      const m = made[i]!;
      const p = orders[i]!.payload;
      const f = decodeOrderRecord(p, 0, p.length);
      expect(f.id).toBe(m.id);
      expect({ route: f.route, parent: f.parent, algo: f.algo, paramA: f.paramA, paramB: f.paramB, arrivalMid: f.arrivalMid }).toEqual(expected(m));
      expect(f.clientOrderId).toBe(m.clientOrderId ?? r.store.clientOrderId(r.store.slotOf(f.id)));
      expect(p[63]).toBe(m.route | (m.algo << ORDER_ALGO_SHIFT) | (m.parent !== 0 ? ORDER_HAS_PARENT : 0) | (hasExt(m) ? ORDER_HAS_EXT : 0));
      expect((p[63]! & ORDER_ALGO_MASK) >>> ORDER_ALGO_SHIFT).toBe(m.algo);
      expect(p.length).toBe(ORDER_FIXED + p[62]! + (m.parent !== 0 ? 8 : 0) + (hasExt(m) ? ORDER_EXT_BYTES : 0));
      // the block's place: after the cid and the parent id, little-endian
      if (hasExt(m)) {
        const v = new DataView(p.buffer, p.byteOffset, p.length);
        const at = ORDER_FIXED + p[62]! + (m.parent !== 0 ? 8 : 0);
        expect([v.getFloat64(at, true), v.getFloat64(at + 8, true), v.getFloat64(at + 16, true)]).toEqual([m.paramA, m.paramB, m.arrivalMid]);
      }
      // inside a larger buffer, at an offset (as replay reads it out of a segment)
      const big = new Uint8Array(p.length + 11);
      big.set(p, 3);
      expect(decodeOrderRecord(big, 3, p.length)).toEqual(f);
    }
    // the largest record is the sweep child with a 32-byte cid, a parent and the block: within the append bound
    expect(orders[3]!.payload.length).toBe(ORDER_FIXED + 32 + 8 + ORDER_EXT_BYTES);
    // a plain order keeps its old size
    expect(orders[0]!.payload.length).toBe(ORDER_FIXED + orders[0]!.payload[62]!);
    expect(orders[0]!.payload[63]).toBe(0);
    // `journal inspect` shows them
    const iceberg = describeRecord(REC_ORDER, orders[1]!.payload);
    expect(iceberg).toContain('"algo":2,"paramA":250,"paramB":0,"arrivalMid":6000000.5');
    expect(iceberg).toContain('"algoName":"iceberg"');
    expect(describeRecord(REC_ORDER, orders[2]!.payload)).toContain('"algoName":"twap"');
    const plain = describeRecord(REC_ORDER, orders[0]!.payload);
    expect(plain).toContain('"algo":0,"paramA":0,"paramB":0,"arrivalMid":0');
    expect(plain).not.toContain('algoName');
  });

  it('round trip: replay of the records into a fresh tracker', async () => {
    const { r, journal, dir } = await journaled();
    const made = sample();
    createOrders(r, made);
    dispatch(r, r.store.slotOf(made[1]!.id), 'v1');
    dispatch(r, r.store.slotOf(made[3]!.id), 'v2');
    await journal.close();
    const again = makeRig(100);
    again.accounting.replaying = true;
    const report = replayOrders(dir, again.tracker, again.store, again.ids, again.risk, again.fees);
    again.accounting.replaying = false;
    expect(report.orders).toBe(made.length);
    expect(report.refused).toBe(0);
    for (const m of made) expect(extOf(again.store, m.id)).toEqual(expected(m));
    expect(extOf(again.store, made[1]!.id)).toMatchObject({ algo: ALGO_ICEBERG, paramA: 250, arrivalMid: HALF_TICK_MID });
    // the whole state as the daemon had it
    expect(Buffer.from(syncSnapshot(again)).toString()).toBe(Buffer.from(syncSnapshot(r)).toString());
  });

  it('reads records written before algorithms (no algo bits, no block) as algo none, parameters and mid 0', () => {
    const build = (flags: number, parent: number): Uint8Array => {
      const old = new Uint8Array(ORDER_FIXED + 7 + (parent !== 0 ? 8 : 0));
      const v = new DataView(old.buffer);
      v.setFloat64(0, 42, true);
      v.setFloat64(8, 1234.5, true);
      v.setFloat64(16, 1000, true);
      v.setFloat64(32, 5, true);
      v.setUint32(48, 9, true);
      old[61] = 255;
      old[62] = 7;
      old[63] = flags;
      old.set(Buffer.from('old-one'), ORDER_FIXED);
      if (parent !== 0) v.setFloat64(ORDER_FIXED + 7, parent, true);
      return old;
    };
    // before routes: byte 63 = 0
    const before = build(0, 0);
    expect(decodeOrderRecord(before, 0, before.length)).toMatchObject({
      id: 42, clientOrderId: 'old-one', route: 0, parent: 0, algo: 0, paramA: 0, paramB: 0, arrivalMid: 0,
    });
    // with routes and parents, before algorithms: a sweep child
    const routed = build(ROUTE_SWEEP | ORDER_HAS_PARENT, 17);
    expect(decodeOrderRecord(routed, 0, routed.length)).toMatchObject({
      id: 42, clientOrderId: 'old-one', route: ROUTE_SWEEP, parent: 17, algo: 0, paramA: 0, paramB: 0, arrivalMid: 0,
    });
    // at an offset in a larger buffer with bytes after it that must not be read as a block
    const big = new Uint8Array(routed.length + 40).fill(0xff);
    big.set(routed, 5);
    expect(decodeOrderRecord(big, 5, routed.length)).toEqual(decodeOrderRecord(routed, 0, routed.length));
  });
});

describe('snapshot: algo, parameters, arrival mid', () => {
  it('round trip: takeSnapshot -> encode -> decode -> restore, and the chunked capture writes the same bytes', () => {
    const r = makeRig(100);
    const made = sample();
    createOrders(r, made);
    dispatch(r, r.store.slotOf(made[2]!.id), 'v2');
    const bytes = syncSnapshot(r);
    expect(captureText(captureOf(r))).toBe(Buffer.from(bytes).toString());
    // small steps too
    expect(captureText(captureOf(r, { copySlots: 2, sortMoves: 3, encodeRows: 1 }))).toBe(Buffer.from(bytes).toString());
    const text = Buffer.from(bytes).toString();
    expect(text).toContain('"parent":0,"algo":2,"pa":250,"pb":0,"am":6000000.5},');
    const snap = decodeSnapshot(bytes);
    const rows = new Map(snap.orders.map((o) => [o.id, o]));
    for (const m of made) {
      const f = rows.get(m.id)!.f;
      expect({ algo: f.algo, pa: f.pa, pb: f.pb, am: f.am }).toEqual({ algo: m.algo, pa: m.paramA, pb: m.paramB, am: m.arrivalMid });
    }
    const again = makeRig(100);
    restoreSnapshot(snap, again.tracker, again.ids, again.risk);
    for (const m of made) expect(extOf(again.store, m.id)).toEqual(expected(m));
    expect(Buffer.from(encodeSnapshot(takeSnapshot(again.tracker, again.ids.current(), again.risk, again.fees))).toString())
      .toBe(Buffer.from(encodeSnapshot(takeSnapshot(r.tracker, r.ids.current(), r.risk, r.fees))).toString());
    expect(captureText(captureOf(again))).toBe(text);
  });

  it('restores rows written before algorithms (no "algo" / "pa" / "pb" / "am" keys) as algo none, parameters and mid 0', () => {
    const r = makeRig(100);
    const made = sample();
    createOrders(r, made);
    const json = JSON.parse(Buffer.from(syncSnapshot(r)).toString()) as { orders: { f: Record<string, unknown> }[] };
    for (const o of json.orders) {
      delete o.f.algo;
      delete o.f.pa;
      delete o.f.pb;
      delete o.f.am;
    }
    const snap = decodeSnapshot(Buffer.from(JSON.stringify(json)));
    const again = makeRig(100);
    restoreSnapshot(snap, again.tracker, again.ids, again.risk);
    for (const m of made) {
      expect(extOf(again.store, m.id)).toEqual({ route: m.route, parent: m.parent, algo: 0, paramA: 0, paramB: 0, arrivalMid: 0 });
    }
    expect(again.store.size).toBe(made.length);
    // and the restored store has no stray keys from the row in its fields: a fresh snapshot writes zeros
    const text = Buffer.from(syncSnapshot(again)).toString();
    expect(text).not.toContain('"am":6000000.5');
  });
});
