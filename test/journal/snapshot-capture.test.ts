/**
 * The chunked snapshot capture (src/journal/snapshot-capture.ts) against the synchronous snapshot it replaces
 * (takeSnapshot + encodeSnapshot, src/journal/order-replay.ts): begun at some moment S and stepped while orders are
 * created, updated, finished, released and their slots reused, it must give the document takeSnapshot gives at S,
 * byte for byte. The property test drives random interleavings through the real tracker, store, risk accounting
 * and fee ledger; the scripted test hits each write path the copy-on-write hook covers, with a positive control
 * (the same script with the hook taken away must not pass).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { STATE_CODE, type OrderStore } from '../../src/core/order-store.js';
import { ChunkedSort } from '../../src/journal/chunked-sort.js';
import { crc32, crc32Combine } from '../../src/journal/crc32.js';
import { OrderImage } from '../../src/journal/snapshot-image.js';
import { captureOf, captureText, createOrder, dispatch, makeRig, MemorySink, syncSnapshot, updateFor, type Rig } from './order-rig.js';

const CREATED = STATE_CODE.CREATED;

function concat(pieces: readonly Uint8Array[]): Uint8Array {
  return Buffer.concat(pieces.map((p) => Buffer.from(p.buffer, p.byteOffset, p.length)));
}

/** Slots holding an order, lowest first. */
function heldSlots(s: OrderStore): number[] {
  const out: number[] = [];
  for (let slot = 0; slot < s.capacity; slot++) if (s.id[slot]! >= 0) out.push(slot);
  return out;
}

const opArb = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      k: fc.constant('create' as const),
      o: fc.record({
        strategy: fc.nat(1), symbol: fc.nat(2), sell: fc.boolean(), type: fc.nat(3),
        priceTicks: fc.integer({ min: 1, max: 5000 }), qtyLots: fc.integer({ min: 1, max: 20 }), givenId: fc.boolean(),
      }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('dispatch' as const), pick: fc.nat(), n: fc.nat() }) },
  { weight: 6, arbitrary: fc.record({ k: fc.constant('update' as const), pick: fc.nat(), kind: fc.nat(13), n: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('step' as const), steps: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 1000 }) }) },
);
type Op = typeof opArb extends fc.Arbitrary<infer T> ? T : never;

/** Applies one op; `step` runs the capture's steps (when one is running). */
function apply(r: Rig, op: Op, step: () => void): void {
  const held = heldSlots(r.store);
  switch (op.k) {
    case 'create': createOrder(r, op.o); break;
    case 'dispatch': {
      const created = held.filter((slot) => r.store.state[slot] === CREATED);
      if (created.length > 0) dispatch(r, created[op.pick % created.length]!, op.n % 2 === 0 ? 'v1' : 'v2');
      break;
    }
    case 'update': {
      if (held.length === 0) break;
      const slot = held[op.pick % held.length]!;
      const t = r.tracker.applySlot(slot, updateFor(r, slot, op.kind, op.n));
      // replay's own write after the tracker (applyOrderRecord): the recorded time
      if (t.outcome === 'APPLIED' && op.n % 7 === 0 && r.store.id[slot]! >= 0) r.store.updatedAt[slot] = r.clock.now() - 1;
      break;
    }
    case 'step': for (let i = 0; i < op.steps; i++) step(); break;
    case 'tick': r.clock.advance(op.ms % 3 === 0 ? op.ms + 0.25 : op.ms); break; // a fractional time now and then
  }
}

describe('snapshot capture: the state at one seq, in steps, while orders change', () => {
  it('a capture with nothing changing is the synchronous snapshot, byte for byte', () => {
    const r = makeRig(50);
    for (let i = 0; i < 40; i++) createOrder(r, { strategy: i, symbol: i, sell: i % 3 === 0, type: i, priceTicks: 100 + i, qtyLots: 5 + i, givenId: i % 4 === 0 });
    for (const [i, slot] of heldSlots(r.store).entries()) {
      if (i % 5 === 4) continue; // some stay CREATED (queued)
      dispatch(r, slot, i % 2 === 0 ? 'v1' : 'v2');
      for (let k = 0; k < 3; k++) r.tracker.applySlot(slot, updateFor(r, slot, (i + k * 3) % 11, i * 7 + k));
    }
    const expected = Buffer.from(syncSnapshot(r)).toString();
    expect(captureText(captureOf(r, { copySlots: 3, sortMoves: 5, encodeRows: 2 }))).toBe(expected);
    // and with the daemon's default step (by time)
    expect(captureText(captureOf(r, { stepMs: 0.4 }))).toBe(expected);
  });

  it('property: random creates, updates, fills, finishes and slot reuse during a chunked capture give the snapshot taken at its start', () => {
    // what the runs went through (checked at the end: the property is only as good as its coverage)
    const cover = { copiedOnWrite: 0, reused: 0, grew: 0, rows: 0, captures: 0, reusedRows: 0 };
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40 }),
        // each capture: the ops before it, and the ops during it (the same capture, so rows cached by one serve the next)
        fc.array(fc.tuple(fc.array(opArb, { maxLength: 60 }), fc.array(opArb, { minLength: 1, maxLength: 150 })), { minLength: 1, maxLength: 3 }),
        fc.record({ copySlots: fc.integer({ min: 1, max: 6 }), sortMoves: fc.integer({ min: 1, max: 64 }), encodeRows: fc.integer({ min: 1, max: 5 }) }),
        fc.integer({ min: 1, max: 8 }),
        (prefill, rounds, options, retain) => {
          const r = makeRig(retain);
          for (let i = 0; i < prefill; i++) {
            const slot = createOrder(r, { strategy: i, symbol: i, sell: i % 2 === 0, type: i, priceTicks: 100 + i, qtyLots: 1 + (i % 9), givenId: i % 5 === 0 });
            if (i % 4 !== 0) dispatch(r, slot, 'v1');
          }
          const capture = captureOf(r, options);
          for (const [before, during] of rounds) {
            for (const op of before) apply(r, op, () => undefined);
            const expected = syncSnapshot(r); // S
            const capacity = r.store.capacity;
            const heldAtS = new Set(heldSlots(r.store).map((slot) => `${slot}:${r.store.id[slot]}`));
            const sink = new MemorySink();
            capture.begin(sink);
            for (const op of during) {
              apply(r, op, () => {
                if (capture.active) capture.step();
              });
              if (capture.copying) for (const slot of heldSlots(r.store)) if (!heldAtS.has(`${slot}:${r.store.id[slot]}`) && slot < capacity && heldAtS.size > 0) cover.reused++;
            }
            while (capture.active && !capture.step());
            cover.copiedOnWrite += capture.copiedOnWrite;
            cover.reusedRows += capture.reusedRows;
            if (r.store.capacity > capacity) cover.grew++;
            cover.rows += heldAtS.size;
            cover.captures++;
            expect(sink.text()).toBe(Buffer.from(expected).toString());
            expect(Buffer.concat(sink.pieces).length).toBe(capture.length);
            // the copy is over; the capture stays the store's write hook (its cached rows) until aborted
            expect(capture.copying).toBe(false);
            expect(r.store.writeHook).toBe(capture);
          }
        },
      ),
      { numRuns: 300 },
    );
    expect(cover.captures).toBeGreaterThan(300);
    // rows written from the previous capture's bytes (typical: ~2,000)
    expect(cover.reusedRows).toBeGreaterThan(300);
    // typical: ~650 slots copied by the hook, ~2,000 slots reused by new orders mid-capture, ~15 stores grown
    expect(cover.copiedOnWrite).toBeGreaterThan(200);
    expect(cover.reused).toBeGreaterThan(500);
    expect(cover.grew).toBeGreaterThan(2);
  });

  /**
   * Each write the hook covers, on slots the scan has not reached: an update (tracker.applySlot), the dispatcher's
   * riskPriceTicks + SUBMIT, orders finished before S released by retention (store.release), new orders taking free
   * and released slots (store.create), and the store growing. Returns the capture's bytes (or the error it threw).
   */
  function scripted(removeHook: boolean): { expected: string; got: string } {
    const r = makeRig(2);
    const slots: number[] = [];
    for (let i = 0; i < 12; i++) slots.push(createOrder(r, { strategy: i, symbol: i, sell: i % 2 === 1, type: 0, priceTicks: 500 + i, qtyLots: 10, givenId: i === 3 }));
    for (let i = 0; i < 8; i++) dispatch(r, slots[i]!, 'v1');
    for (let i = 0; i < 6; i++) r.tracker.applySlot(slots[i]!, { kind: 'ACCEPT', venueOrderId: `x${i}` });
    // finished before S: the retention ring (2) holds them, and lets them go when others finish during the capture
    for (const i of [10, 11]) r.tracker.applySlot(slots[i]!, { kind: 'DENY', reason: 'NO_ROUTE' });
    const capture = captureOf(r, { copySlots: 2, sortMoves: 8, encodeRows: 3 });
    const expected = Buffer.from(syncSnapshot(r)).toString();
    const sink = new MemorySink();
    capture.begin(sink);
    if (removeHook) r.store.writeHook = null;
    try {
      capture.step(); // slots 0 and 1 copied
      r.clock.advance(5);
      r.tracker.applySlot(slots[5]!, updateFor(r, slots[5]!, 1, 3)); // a fill
      r.tracker.applySlot(slots[4]!, { kind: 'CANCEL_REQUEST' });
      dispatch(r, slots[9]!, 'v2'); // riskPriceTicks written, then SUBMIT
      // finished: retention releases the two finished before S (slots not copied yet, no update on them), then these
      for (const i of [2, 3, 6, 7]) r.tracker.applySlot(slots[i]!, { kind: 'EXPIRE' });
      for (let i = 0; i < 30; i++) createOrder(r, { strategy: 1, symbol: 2, sell: false, type: 0, priceTicks: 77, qtyLots: 3, givenId: false }); // reuse + growth
      capture.step();
      r.tracker.applySlot(slots[8]!, { kind: 'DENY', reason: 'NO_ROUTE' });
      while (!capture.step()) r.tracker.applySlot(heldSlots(r.store).at(-1)!, { kind: 'CANCELED' });
      return { expected, got: sink.text() };
    } catch (err) {
      return { expected, got: `threw: ${(err as Error).message}` };
    }
  }

  it('scripted: every write path the hook covers, on slots not copied yet, leaves the snapshot at its start', () => {
    const { expected, got } = scripted(false);
    expect(got).toBe(expected);
  });

  it('positive control: the same script without the copy-on-write hook does not give the snapshot at its start', () => {
    const { expected, got } = scripted(true);
    expect(got).not.toBe(expected);
  });

  /**
   * Two captures of one rig: between them, finished orders get a late report (an IGNORED-or-applied update stamps
   * them), one is released by retention and its slot taken by a new order, open ones change. The second capture reuses
   * the first's bytes only for rows not written since. `removeHookBetween`: the writes between the captures are not
   * told to the capture (positive control: its cached rows then go stale).
   */
  function twoCaptures(removeHookBetween: boolean): { expected: string; got: string; reused: number } {
    const r = makeRig(6);
    const slots: number[] = [];
    for (let i = 0; i < 10; i++) slots.push(createOrder(r, { strategy: i, symbol: i, sell: i % 2 === 0, type: 0, priceTicks: 300 + i, qtyLots: 10, givenId: i === 2 }));
    for (let i = 0; i < 10; i++) dispatch(r, slots[i]!, 'v1');
    for (let i = 0; i < 6; i++) r.tracker.applySlot(slots[i]!, { kind: 'CANCELED' });
    const capture = captureOf(r, { copySlots: 2, encodeRows: 2 });
    captureText(capture);
    if (removeHookBetween) r.store.writeHook = null;
    r.clock.advance(7);
    r.tracker.applySlot(slots[1]!, updateFor(r, slots[1]!, 1, 4)); // a late fill on a canceled order
    r.tracker.applySlot(slots[3]!, { kind: 'CANCELED', reason: 'again' }); // a report on a finished order
    r.tracker.applySlot(slots[7]!, { kind: 'ACCEPT', venueOrderId: 'late' });
    r.tracker.applySlot(slots[8]!, { kind: 'EXPIRE' }); // finishing: retention (6) lets the oldest finished go
    createOrder(r, { strategy: 1, symbol: 1, sell: true, type: 0, priceTicks: 9, qtyLots: 1, givenId: false }); // takes its slot
    const expected = Buffer.from(syncSnapshot(r)).toString();
    const got = captureText(capture);
    return { expected, got, reused: capture.reusedRows };
  }

  it('a capture reuses the bytes of the rows the last one wrote only for orders not written since', () => {
    const { expected, got, reused } = twoCaptures(false);
    expect(got).toBe(expected);
    expect(reused).toBeGreaterThan(0);
  });

  it('positive control: without the write hook between two captures, the cached rows go stale', () => {
    const { expected, got } = twoCaptures(true);
    expect(got).not.toBe(expected);
  });

  it('abort removes the hook and a new capture can begin', () => {
    const r = makeRig(5);
    for (let i = 0; i < 20; i++) createOrder(r, { strategy: 0, symbol: 0, sell: false, type: 0, priceTicks: 10, qtyLots: 1, givenId: false });
    const capture = captureOf(r, { copySlots: 1 });
    capture.begin(new MemorySink());
    expect(r.store.writeHook).toBe(capture);
    capture.step();
    capture.abort();
    expect(r.store.writeHook).toBeNull();
    expect(capture.active).toBe(false);
    expect(captureText(capture)).toBe(Buffer.from(syncSnapshot(r)).toString());
  });

  it('a row larger than a piece (a long reason, many trade ids) gets a piece of its own', () => {
    const r = makeRig(5);
    const slot = createOrder(r, { strategy: 0, symbol: 0, sell: false, type: 0, priceTicks: 10, qtyLots: 100_000, givenId: true });
    dispatch(r, slot, 'v1');
    for (let i = 0; i < 3000; i++) r.tracker.applySlot(slot, updateFor(r, slot, 1, 1 + 5 * i)); // fills: 3,000 trade ids
    r.tracker.applySlot(slot, { kind: 'CANCELED', reason: 'é"\\'.repeat(20_000) });
    createOrder(r, { strategy: 1, symbol: 1, sell: true, type: 0, priceTicks: 11, qtyLots: 1, givenId: false });
    const sink = new MemorySink();
    captureOf(r, { encodeRows: 1 }).captureNow(sink);
    expect(sink.pieces.some((p) => p.length > 128 * 1024)).toBe(true);
    expect(sink.text()).toBe(Buffer.from(syncSnapshot(r)).toString());
  });

  it('an empty store gives the empty document', () => {
    const r = makeRig(5);
    expect(captureText(captureOf(r))).toBe(Buffer.from(syncSnapshot(r)).toString());
  });
});

describe('snapshot capture parts', () => {
  it("OrderImage.release keeps none of the captured orders' strings (the tracker may let them go before the next snapshot)", () => {
    const r = makeRig(50);
    for (let i = 0; i < 30; i++) createOrder(r, { strategy: i, symbol: i, sell: i % 2 === 0, type: i, priceTicks: 100 + i, qtyLots: 5 + i, givenId: i % 2 === 0 });
    for (const [i, slot] of heldSlots(r.store).entries()) {
      dispatch(r, slot, i % 2 === 0 ? 'v1' : 'v2');
      for (let k = 0; k < 4; k++) r.tracker.applySlot(slot, updateFor(r, slot, (i + k * 3) % 11, i * 7 + k));
    }
    const held = heldSlots(r.store);
    const image = new OrderImage();
    image.reset(held.length);
    for (const slot of held) image.copy(r.store, slot);
    type Column = 'clientIds' | 'venueOrderIds' | 'reasons' | 'fees' | 'amendClientIds' | 'tradeIds';
    const columns = image as unknown as Record<Column, (string | undefined)[]>;
    const strings = (c: Column): string[] => columns[c].filter((v): v is string => v !== undefined && v !== '');
    // the copy took client order ids, venue order ids and trade ids (the rest as the updates made them)
    expect(strings('clientIds').length).toBeGreaterThan(0);
    expect(strings('venueOrderIds').length).toBeGreaterThan(0);
    expect(strings('tradeIds').length).toBeGreaterThan(0);
    image.release();
    for (const c of ['clientIds', 'venueOrderIds', 'reasons', 'fees', 'amendClientIds', 'tradeIds'] as const) expect({ c, left: strings(c) }).toEqual({ c, left: [] });
    expect(image.rows).toBe(0);
  });

  it('ChunkedSort: any keys, any budget, sorted and stable', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -50, max: 50 }), { maxLength: 300 }), fc.integer({ min: 1, max: 100 }), (values, budget) => {
        const keys = Float64Array.from(values);
        const sort = new ChunkedSort(keys, keys.length);
        let steps = 0;
        while (!sort.step(budget)) steps++;
        expect(steps).toBeLessThan(keys.length * 20 + 10);
        const order = Array.from(sort.result());
        const expected = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map((x) => x[1]);
        expect(order).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('crc32Combine: the CRC of A then B from the CRCs of A and B', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.uint8Array({ maxLength: 600 }), (a, b) => {
        const ab = new Uint8Array(a.length + b.length);
        ab.set(a);
        ab.set(b, a.length);
        expect(crc32Combine(crc32(a), crc32(b), b.length)).toBe(crc32(ab));
      }),
      { numRuns: 300 },
    );
  });

});
