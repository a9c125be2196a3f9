/**
 * Memory is bounded (issue 10, item 5): N orders through the paper venue and the order tracker leave every per-order
 * structure at a size bounded by the retention limits and the open orders, never by N. Sizes only: no timing, no
 * process memory (bench/soak.ts measures the heap of the whole daemon over minutes).
 */
import { describe, expect, it } from 'vitest';
import { PaperVenue } from '../../adapters/paper/paper-venue.js';
import { OrderTracker } from '../../src/core/order-tracker.js';
import { ReportHandler } from '../../src/execution/report-handler.js';
import { ArrayOrderBatch, type ExecutionReport, type VenueOrder } from '../../src/execution/venue.js';
import { ManualClock } from '../../src/model/clock.js';
import type { OrderIntent } from '../../src/model/order.js';
import { newOrderFields, testStore } from '../helpers/model.js';
import { pollUntil } from '../helpers/poll.js';

const MID = 6_000_000; // BTC-USDT 60000.00
const RETAIN_TRACKER = 100;
const RETAIN_PAPER = 50;
const BATCH = 40;

function rig() {
  const store = testStore({ venues: ['sim'] });
  const btc = store.instruments.get('BTC-USDT')!;
  const tracker = new OrderTracker(store, new ManualClock(1_700_000_000_000), { retainFinished: RETAIN_TRACKER });
  const unknown: ExecutionReport[] = [];
  const reports = new ReportHandler(tracker, new ManualClock(1_700_000_000_000), (_venue, r) => unknown.push(r));
  const seen: ExecutionReport[] = [];
  const paper = new PaperVenue(
    {
      name: 'sim', markets: [{ instrument: btc, startMidTicks: MID }], makerBps: '1', takerBps: '5', latencyMs: 0, seed: 3,
      spreadTicks: 4, volatilityTicks: 0, depthLevels: 5, levelNotional: 6000, tradesPerSecond: 0, stepMs: 1000,
      retainFinished: RETAIN_PAPER,
    },
    { report: (venue, r) => { seen.push(r); reports.report(venue, r); } },
  );
  let nextId = 0;
  /** Create an order in the tracker, submit it to the paper venue; returns its id. */
  const send = (overrides: Partial<OrderIntent>): VenueOrder => {
    const id = ++nextId;
    // every other order carries a producer's client order id (the tracker indexes those in a map)
    const cid = id % 2 === 0 ? `api-${id}` : undefined;
    const slot = tracker.create(id, newOrderFields(store, { qtyLots: 20, ...overrides, clientOrderId: cid }));
    tracker.applySlot(slot, { kind: 'SUBMIT', venue: 'sim' });
    const v = tracker.get(id)!;
    return {
      orderId: id, clientOrderId: v.clientOrderId, instrument: btc, side: v.side, type: v.type, timeInForce: v.timeInForce,
      postOnly: v.postOnly, priceTicks: v.priceTicks, stopTicks: 0, qtyLots: v.qtyLots,
    };
  };
  const settled = () => pollUntil(() => paper.structureSizes().timers, (n) => n === 0, { timeoutMs: 10_000 });
  /**
   * `rounds` x BATCH orders: marketable IOC buys and sells (FILLED), resting bids far from the market (then
   * canceled: CANCELED), post-only bids that would cross (REJECTED). Every order ends finished.
   */
  const run = async (rounds: number): Promise<void> => {
    for (let r = 0; r < rounds; r++) {
      const batch: VenueOrder[] = [];
      const resting: VenueOrder[] = [];
      for (let i = 0; i < BATCH; i++) {
        switch (i % 4) {
          case 0: batch.push(send({ side: 'BUY', type: 'LIMIT', timeInForce: 'IOC', priceTicks: MID + 100 })); break;
          case 1: batch.push(send({ side: 'SELL', type: 'LIMIT', timeInForce: 'IOC', priceTicks: MID - 100 })); break;
          case 2: { const o = send({ side: 'BUY', type: 'LIMIT', priceTicks: MID - 5000 }); batch.push(o); resting.push(o); break; }
          default: batch.push(send({ side: 'BUY', type: 'LIMIT', postOnly: true, priceTicks: MID + 100 }));
        }
      }
      paper.submit(new ArrayOrderBatch(batch));
      await settled();
      for (const o of resting) {
        tracker.apply(o.orderId, { kind: 'CANCEL_REQUEST' });
        paper.cancel({ orderId: o.orderId, clientOrderId: o.clientOrderId, venueOrderId: undefined, instrument: btc });
      }
      await settled();
      paper.advance(1); // the simulated market maker refills the levels our IOC orders took
    }
  };
  return { store, tracker, paper, unknown, seen, run, send, settled, btc, ids: () => nextId };
}

describe('per-order structures stay bounded however many orders went through', () => {
  it('paper venue and tracker: sizes after 25 and after 100 rounds stay under bounds that do not grow with N', async () => {
    const r = rig();
    const bounds = () => {
      const p = r.paper.structureSizes();
      const t = r.tracker.structureSizes();
      expect(t.open).toBe(0); // every order of a round ends
      expect(p.live).toBe(0);
      expect(p.finished).toBeLessThanOrEqual(RETAIN_PAPER);
      expect(p.byClientId).toBeLessThanOrEqual(RETAIN_PAPER);
      expect(t.held).toBeLessThanOrEqual(RETAIN_TRACKER);
      expect(t.finished).toBeLessThanOrEqual(RETAIN_TRACKER);
      expect(t.clientIds).toBeLessThanOrEqual(RETAIN_TRACKER);
      expect(t.tradeIdSets).toBeLessThanOrEqual(RETAIN_TRACKER);
      expect(t.reopened).toBe(0);
      return { p, t };
    };
    await r.run(25);
    const first = bounds();
    const capacityAfterFirst = r.store.capacity;
    await r.run(75);
    expect(r.ids()).toBe(100 * BATCH); // 4,000 orders, 40 times either retention limit
    const second = bounds();
    // the retention rings are full and stay exactly full: nothing grows between 1,000 and 4,000 orders
    expect(second.p.finished).toBe(first.p.finished);
    expect(second.t.held).toBe(first.t.held);
    expect(r.store.capacity).toBe(capacityAfterFirst);
    // all four outcomes happened (the bound is not an artefact of one path)
    const kinds = new Set(r.seen.map((x) => x.kind));
    for (const k of ['ACCEPTED', 'FILL', 'CANCELED', 'REJECTED'] as const) expect(kinds.has(k)).toBe(true);
  }, 60_000);

  it('an order the paper venue forgot is unknown to it: lookup finds nothing, a late cancel is answered "unknown order"', async () => {
    const r = rig();
    const first = r.send({ side: 'BUY', type: 'LIMIT', priceTicks: MID - 5000 });
    r.paper.submit(new ArrayOrderBatch([first]));
    await r.settled();
    // open: found by lookup and in openOrders
    expect(await r.paper.lookup(first.clientOrderId)).toMatchObject({ state: 'OPEN' });
    expect((await r.paper.openOrders([r.btc])).map((o) => o.clientOrderId)).toEqual([first.clientOrderId]);
    r.tracker.apply(first.orderId, { kind: 'CANCEL_REQUEST' });
    r.paper.cancel({ orderId: first.orderId, clientOrderId: first.clientOrderId, venueOrderId: undefined, instrument: r.btc });
    await r.settled();
    // finished and still retained: the venue's history answers
    expect(await r.paper.lookup(first.clientOrderId)).toMatchObject({ state: 'CANCELED' });
    expect(await r.paper.openOrders([r.btc])).toEqual([]);
    await r.run(5); // 200 more orders finish: the first is forgotten by the venue (and by the tracker)
    expect(await r.paper.lookup(first.clientOrderId)).toBeNull();
    expect(r.tracker.get(first.orderId)).toBeUndefined();
    const before = r.unknown.length;
    r.paper.cancel({ orderId: first.orderId, clientOrderId: first.clientOrderId, venueOrderId: undefined, instrument: r.btc });
    await r.settled();
    expect(r.seen.at(-1)).toEqual({ kind: 'CANCEL_REJECTED', orderId: first.orderId, reason: 'unknown order' });
    // the daemon side handles it as a report about an unknown order
    expect(r.unknown.slice(before)).toEqual([{ kind: 'CANCEL_REJECTED', orderId: first.orderId, reason: 'unknown order' }]);
    // a recent one is still there
    const lastCid = r.tracker.get(r.ids())!.clientOrderId;
    expect(await r.paper.lookup(lastCid)).not.toBeNull();
  }, 60_000);
});
