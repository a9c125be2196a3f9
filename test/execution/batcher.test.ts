/**
 * The per-venue batcher (src/execution/batcher.ts): a venue's new orders are handed to its adapter in batches of
 * at most `maxSize`; a partial batch goes out after `flushMs`, or at the end of the dispatch cycle when flushMs is
 * 0; venues are independent, and an adapter whose submit throws (it must not) loses only its own batch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreBatch, VenueBatcher, type BatchPolicy } from '../../src/execution/batcher.js';
import type { OrderStore } from '../../src/core/order-store.js';
import { toVenueOrders, type CancelRequest, type OrderBatch, type VenueAdapter, type VenueOrder } from '../../src/execution/venue.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { newOrderFields, testStore } from '../helpers/model.js';
import { waitFor } from '../helpers/poll.js';

/** Records each batch as plain objects (the view is reused after submit returns). */
class RecordingVenue implements VenueAdapter {
  readonly batches: VenueOrder[][] = [];
  readonly at: number[] = [];
  /** Throw from submit (a broken adapter). */
  throws = false;
  constructor(readonly name: string) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  submit(batch: OrderBatch): void {
    this.at.push(Date.now());
    this.batches.push(toVenueOrders(batch));
    if (this.throws) throw new Error(`${this.name} is broken`);
  }
  cancel(_request: CancelRequest): void {}
  ids(): number[][] {
    return this.batches.map((b) => b.map((o) => o.orderId));
  }
}

let nextId = 1;
function orders(store: OrderStore, n: number): number[] {
  return Array.from({ length: n }, (_, i) => store.create(nextId++, newOrderFields(store, { qtyLots: 100 + i })));
}

function rig(policies: BatchPolicy[]) {
  const store = testStore({ venues: ['v1', 'v2'] });
  const venues = [new RecordingVenue('v1'), new RecordingVenue('v2')];
  const errors: { venue: number; ids: number[]; message: string }[] = [];
  const batcher = new VenueBatcher(store, venues, policies, (venue, batch, err) => {
    errors.push({ venue, ids: Array.from({ length: batch.count }, (_, i) => batch.orderId(i)), message: (err as Error).message });
  });
  const idOf = (slot: number): number => store.id[slot]!;
  return { store, venues, batcher, errors, idOf };
}

describe('VenueBatcher', () => {
  it('hands a venue its orders in batches of at most maxSize, a full batch at once, in the order added', () => {
    const { store, venues, batcher, idOf } = rig([{ maxSize: 4, flushMs: 0 }, { maxSize: 4, flushMs: 0 }]);
    const slots = orders(store, 10);
    for (const s of slots) batcher.add(0, s);
    // two full batches went out as they filled; the rest waits for the end of the cycle
    expect(venues[0]!.ids()).toEqual([slots.slice(0, 4).map(idOf), slots.slice(4, 8).map(idOf)]);
    expect(batcher.pending(0)).toBe(2);
    batcher.endCycle();
    expect(venues[0]!.batches.map((b) => b.length)).toEqual([4, 4, 2]);
    expect(venues[0]!.batches.flat().map((o) => o.orderId)).toEqual(slots.map(idOf));
    expect(venues[1]!.batches).toEqual([]);
    expect(Array.from(batcher.handedOver)).toEqual([10, 0]);
    // nothing waiting: no empty batch
    batcher.endCycle();
    expect(venues[0]!.batches).toHaveLength(3);
  });

  it('flushMs 0: a partial batch goes out at the end of the dispatch cycle, not before', () => {
    const { store, venues, batcher } = rig([{ maxSize: 100, flushMs: 0 }, { maxSize: 100, flushMs: 0 }]);
    for (const s of orders(store, 3)) batcher.add(1, s);
    expect(venues[1]!.batches).toEqual([]);
    batcher.endCycle();
    expect(venues[1]!.batches.map((b) => b.length)).toEqual([3]);
  });

  it('flushMs > 0: a partial batch is not handed over at the end of a cycle but after flushMs', async () => {
    const { store, venues, batcher } = rig([{ maxSize: 100, flushMs: 40 }, { maxSize: 100, flushMs: 0 }]);
    const started = Date.now();
    for (const s of orders(store, 3)) batcher.add(0, s);
    batcher.endCycle();
    expect(venues[0]!.batches).toEqual([]);
    expect(batcher.pending(0)).toBe(3);
    // more orders join the waiting batch without re-arming its timer
    for (const s of orders(store, 2)) batcher.add(0, s);
    await waitFor(() => venues[0]!.batches.length === 1, { timeoutMs: 5000, what: 'the timed flush' });
    expect(venues[0]!.batches[0]!).toHaveLength(5);
    expect(venues[0]!.at[0]! - started).toBeGreaterThanOrEqual(39); // timers may round down by a millisecond
    expect(batcher.pending(0)).toBe(0);
  });

  it('flushMs > 0: a batch that fills goes out at once and its timer is cleared', async () => {
    const { store, venues, batcher } = rig([{ maxSize: 3, flushMs: 30 }, { maxSize: 3, flushMs: 30 }]);
    for (const s of orders(store, 3)) batcher.add(0, s);
    expect(venues[0]!.batches.map((b) => b.length)).toEqual([3]);
    // a later order starts a new batch with a new timer; the old timer does not flush it early
    const [late] = orders(store, 1);
    const addedAt = Date.now();
    batcher.add(0, late!);
    await waitFor(() => venues[0]!.batches.length === 2, { timeoutMs: 5000, what: 'the second, timed batch' });
    expect(venues[0]!.at[1]! - addedAt).toBeGreaterThanOrEqual(29);
  });

  it('the batch is a view on the store: fields as stored, quantity = the unfilled rest, reused after submit', () => {
    const store = testStore({ venues: ['v1'] });
    const seen: { view: OrderBatch; qty: number[]; cid: string[] }[] = [];
    const venue: VenueAdapter = {
      name: 'v1', start: async () => {}, stop: async () => {}, cancel: () => {},
      submit: (b) => void seen.push({ view: b, qty: [b.qtyLots(0), b.qtyLots(1)], cid: [b.clientOrderId(0), b.clientOrderId(1)] }),
    };
    const batcher = new VenueBatcher(store, [venue], [{ maxSize: 2, flushMs: 0 }]);
    const a = store.create(501, newOrderFields(store, { qtyLots: 1000, side: 'SELL', type: 'MARKET', timeInForce: 'IOC', priceTicks: 0 }));
    const b = store.create(502, newOrderFields(store, { qtyLots: 300, clientOrderId: 'mine' }));
    store.filledLots[a] = 400; // crossed internally first: the venue gets the rest
    batcher.add(0, a);
    batcher.add(0, b);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.qty).toEqual([600, 300]);
    expect(seen[0]!.cid).toEqual(['tst' + (501).toString(36), 'mine']);
    expect(seen[0]!.view).toBeInstanceOf(StoreBatch);
    expect(seen[0]!.view.count).toBe(0); // reused: empty again once submit returned
    const orders2 = [store.create(503, newOrderFields(store)), store.create(504, newOrderFields(store))];
    for (const s of orders2) batcher.add(0, s);
    expect(seen[1]!.view).toBe(seen[0]!.view);
  });

  it('remove() takes an order out of a waiting batch (a cancel before the batch went out)', () => {
    const { store, venues, batcher, idOf } = rig([{ maxSize: 10, flushMs: 0 }, { maxSize: 10, flushMs: 0 }]);
    const slots = orders(store, 4);
    for (const s of slots) batcher.add(0, s);
    expect(batcher.remove(0, slots[1]!)).toBe(true);
    expect(batcher.remove(0, slots[1]!)).toBe(false);
    expect(batcher.remove(1, slots[2]!)).toBe(false); // not that venue's
    expect(batcher.remove(7, slots[2]!)).toBe(false); // no such venue
    batcher.flushAll();
    expect(venues[0]!.ids()).toEqual([[slots[0]!, slots[2]!, slots[3]!].map(idOf)]);
  });

  it('an entry whose slot was released and reused while it waited is dropped: the new order is sent once, in its own entry', async () => {
    const { store, venues, batcher, idOf } = rig([{ maxSize: 8, flushMs: 0 }, { maxSize: 8, flushMs: 0 }]);
    let durable = 0;
    let release: () => void = () => {};
    const gate = {
      lastSeq: 1,
      get durableSeq() { return durable; },
      failed: null,
      whenDurable: () => new Promise<void>((r) => { release = () => { durable = 1; r(); }; }),
    };
    batcher.setDurabilityGate(gate);
    const [a, b] = orders(store, 2);
    batcher.add(0, a!);
    batcher.add(0, b!);
    batcher.flush(0); // waits for the disk
    const oldId = idOf(a!);
    store.release(a!); // the order in slot a is forgotten (a guard: open orders are never released)...
    const [c] = orders(store, 1); // ...and its slot holds a new order
    expect(c).toBe(a);
    const newId = idOf(c!);
    expect(newId).not.toBe(oldId);
    // a cancel of the new order takes its own entry, not the stale one (which would leave the new one to be sent)
    batcher.add(0, c!);
    expect(batcher.remove(0, c!)).toBe(true);
    expect(batcher.pending(0)).toBe(0);
    batcher.add(0, c!);
    release();
    await waitFor(() => venues[0]!.batches.length === 1);
    batcher.flush(0);
    expect(venues[0]!.ids().flat()).toEqual([idOf(b!), newId]);
    expect(batcher.staleEntries).toBe(1);
  });

  it('batches waiting for the disk at the same time keep their own orders, and later waits (reusing their copies) theirs', async () => {
    const { store, venues, batcher, idOf } = rig([{ maxSize: 4, flushMs: 0 }, { maxSize: 4, flushMs: 0 }]);
    let durable = 0;
    let lastSeq = 0;
    const waits: { seq: number; done: () => void }[] = [];
    const gate = {
      get lastSeq() { return lastSeq; },
      get durableSeq() { return durable; },
      failed: null,
      whenDurable: (seq: number) => new Promise<void>((r) => { waits.push({ seq, done: r }); }),
    };
    batcher.setDurabilityGate(gate);
    const sent: number[][] = [];
    const makeDurable = async (): Promise<void> => {
      durable = lastSeq;
      for (const w of waits.splice(0)) w.done();
      await waitFor(() => venues[0]!.batches.length === sent.length);
    };
    // round 1: three batches wait at once (a full one of v1, partial ones of v1 and v2)
    const r1 = orders(store, 7);
    lastSeq = 1;
    for (const s of r1.slice(0, 6)) batcher.add(0, s); // 4 go as a full batch, 2 wait in the venue's batch
    batcher.add(1, r1[6]!);
    batcher.endCycle();
    sent.push(...[r1.slice(0, 4), r1.slice(4, 6)].map((b) => b.map(idOf)));
    expect(venues[0]!.batches).toEqual([]);
    await makeDurable();
    expect(venues[0]!.ids()).toEqual(sent);
    expect(venues[1]!.ids()).toEqual([[idOf(r1[6]!)]]);
    // round 2: smaller and larger batches than the copies held before, each with its own orders
    for (let round = 0; round < 3; round++) {
      const r = orders(store, 5);
      lastSeq++;
      batcher.add(0, r[0]!);
      batcher.endCycle();
      lastSeq++;
      for (const s of r.slice(1)) batcher.add(0, s);
      sent.push([idOf(r[0]!)], r.slice(1).map(idOf));
      await makeDurable();
    }
    expect(venues[0]!.ids()).toEqual(sent);
  });

  it('flushAll hands over every waiting batch, timers or not (shutdown)', () => {
    const { store, venues, batcher } = rig([{ maxSize: 10, flushMs: 60_000 }, { maxSize: 10, flushMs: 0 }]);
    for (const s of orders(store, 2)) batcher.add(0, s);
    for (const s of orders(store, 3)) batcher.add(1, s);
    batcher.flushAll();
    expect(venues.map((v) => v.batches.map((b) => b.length))).toEqual([[2], [3]]);
  });
});

describe('VenueBatcher: venues are independent', () => {
  it('a venue whose submit throws loses only that batch: the other venue gets its batches, the error is reported with the batch', () => {
    const { store, venues, batcher, errors, idOf } = rig([{ maxSize: 2, flushMs: 0 }, { maxSize: 2, flushMs: 0 }]);
    venues[0]!.throws = true;
    const a = orders(store, 3);
    const b = orders(store, 3);
    // interleaved as the dispatcher would add them; the full batch of v1 throws inside add()
    expect(() => {
      for (let i = 0; i < 3; i++) {
        batcher.add(0, a[i]!);
        batcher.add(1, b[i]!);
      }
      batcher.endCycle();
    }).not.toThrow();
    expect(venues[1]!.ids()).toEqual([b.slice(0, 2).map(idOf), [idOf(b[2]!)]]);
    expect(errors).toEqual([
      { venue: 0, ids: a.slice(0, 2).map(idOf), message: 'v1 is broken' },
      { venue: 0, ids: [idOf(a[2]!)], message: 'v1 is broken' },
    ]);
    expect(Array.from(batcher.submitErrors)).toEqual([2, 0]);
    // the venue is tried again with its next batch (it may have recovered)
    venues[0]!.throws = false;
    const c = orders(store, 1);
    batcher.add(0, c[0]!);
    batcher.endCycle();
    expect(venues[0]!.ids().at(-1)).toEqual([idOf(c[0]!)]);
    expect(batcher.pending(0)).toBe(0);
  });

  it('a throwing venue does not stop the other venue\'s timed batches, nor its own later ones', async () => {
    const { store, venues, batcher, errors } = rig([{ maxSize: 100, flushMs: 10 }, { maxSize: 100, flushMs: 20 }]);
    venues[0]!.throws = true;
    for (const s of orders(store, 2)) batcher.add(0, s);
    for (const s of orders(store, 2)) batcher.add(1, s);
    await waitFor(() => venues[1]!.batches.length === 1 && errors.length === 1, { what: 'both timed flushes' });
    for (const s of orders(store, 1)) batcher.add(0, s);
    await waitFor(() => errors.length === 2, { what: 'the next timed flush of the broken venue' });
    expect(venues[1]!.batches[0]!).toHaveLength(2);
  });

  it('a slow venue (its requests still pending) does not delay the other venue', async () => {
    const store = testStore({ venues: ['slow', 'fast'] });
    const pending: Promise<void>[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const got: string[] = [];
    const slow: VenueAdapter = {
      name: 'slow', start: async () => {}, stop: async () => {}, cancel: () => {},
      submit: (b) => {
        const ids = toVenueOrders(b).map((o) => o.orderId);
        pending.push(gate.then(() => void got.push(`slow:${ids.join(',')}`)));
      },
    };
    const fast: VenueAdapter = {
      name: 'fast', start: async () => {}, stop: async () => {}, cancel: () => {},
      submit: (b) => void got.push(`fast:${toVenueOrders(b).map((o) => o.orderId).join(',')}`),
    };
    const batcher = new VenueBatcher(store, [slow, fast], [{ maxSize: 2, flushMs: 5 }, { maxSize: 2, flushMs: 5 }]);
    const [s1, s2, f1, f2, f3] = [11, 12, 21, 22, 23].map((id) => store.create(id, newOrderFields(store)));
    batcher.add(0, s1!);
    batcher.add(0, s2!);
    batcher.add(1, f1!);
    batcher.add(1, f2!);
    batcher.add(1, f3!);
    await waitFor(() => got.length === 2, { what: 'both batches of the fast venue' });
    expect(got).toEqual(['fast:21,22', 'fast:23']);
    release();
    await Promise.all(pending);
    expect(got.at(-1)).toBe('slow:11,12');
  });
});

describe('a venue adapter that throws, in the daemon', () => {
  let t: TestDaemon;
  beforeAll(async () => {
    t = await startTestDaemon();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('its batch is REJECTED with INTERNAL (risk released, nothing left SUBMITTED) while the other venue keeps trading', async () => {
    const venues = t.daemon.path.venues;
    const broken = venues.find((v) => v.name === 'sim-b')!;
    const original = broken.submit.bind(broken);
    broken.submit = () => {
      throw new Error('sim-b adapter bug');
    };
    try {
      const submit = async (venue: string): Promise<number> => {
        const r = await t.api.post('/v1/orders', { strategy: 'momentum', symbol: 'BTC-USDT', side: 'BUY', price: '30000', quantity: '0.001', venue });
        expect(r.status).toBe(201);
        return r.body.orderId as number;
      };
      const bad = await submit('sim-b');
      const good = await submit('sim-a');
      const rejected = await t.api.waitForState(bad, 'REJECTED');
      expect(rejected).toMatchObject({ reason: 'INTERNAL', venue: 'sim-b' });
      await t.api.waitForState(good, 'ACCEPTED');
      // the daemon still dispatches: another order for the broken venue is rejected the same way
      const again = await submit('sim-b');
      await t.api.waitForState(again, 'REJECTED');
      const open = (await t.api.get('/v1/orders?state=open')).body.orders.map((o: any) => o.orderId);
      expect(open).toContain(good);
      expect(open).not.toContain(bad);
      // the rejected orders hold no risk: only the resting one is reserved
      const risk = (t.daemon as unknown as { risk: { snapshot(): { openOrders: number } } }).risk;
      expect(risk.snapshot().openOrders).toBe(open.length);
      expect((await t.api.delete(`/v1/orders/${good}`)).status).toBe(202);
      await t.api.waitForState(good, 'CANCELED');
    } finally {
      broken.submit = original;
    }
  });
});

describe('VenueBatcher: the journal fails', () => {
  it('a batch waiting for the disk when it fails, and any batch flushed after, never goes out: the handler gets its orders', async () => {
    const { store, venues, batcher, idOf } = rig([{ maxSize: 8, flushMs: 0 }, { maxSize: 8, flushMs: 0 }]);
    let failed: Error | null = null;
    let fail: (e: Error) => void = () => {};
    const gate = {
      lastSeq: 5,
      durableSeq: 4,
      get failed() { return failed; },
      whenDurable: () => new Promise<void>((_resolve, reject) => { fail = (e) => { failed = e; reject(e); }; }),
    };
    const notSent: { venue: number; ids: number[]; message: string }[] = [];
    batcher.setDurabilityGate(gate, (venue, batch, err) => {
      notSent.push({ venue, ids: Array.from({ length: batch.count }, (_, i) => batch.orderId(i)), message: err.message });
    });
    const [a, b, c] = orders(store, 3);
    batcher.add(0, a!);
    batcher.add(0, b!);
    batcher.flush(0); // waits for the disk
    fail(new Error('ENOSPC'));
    await waitFor(() => notSent.length === 1);
    expect(notSent[0]).toEqual({ venue: 0, ids: [idOf(a!), idOf(b!)], message: 'ENOSPC' });
    // after the failure: refused at once, synchronously
    batcher.add(1, c!);
    batcher.flush(1);
    expect(notSent[1]).toEqual({ venue: 1, ids: [idOf(c!)], message: 'ENOSPC' });
    expect(batcher.pending(1)).toBe(0);
    expect(venues[0]!.batches).toEqual([]);
    expect(venues[1]!.batches).toEqual([]);
  });
});
