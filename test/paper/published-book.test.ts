/**
 * Issue 12: the paper venue publishes its own book (and its trades) to the market data, as a real venue's feed would:
 * after every change the book in MarketData is the engine's book (all resting liquidity, aggregated by price), and
 * each trade is printed once, with its taker's side.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PaperVenue, type PaperVenueOptions } from '../../adapters/paper/paper-venue.js';
import { ArrayOrderBatch, type ExecutionReport, type VenueOrder } from '../../src/execution/venue.js';
import { ASK, BID, type BookSide, LevelBuffer, type MarketDataSink, type ResyncReason } from '../../src/market/feed.js';
import { MarketData } from '../../src/market/market-data.js';
import { ManualClock } from '../../src/model/clock.js';
import { InstrumentRegistry } from '../../src/model/instrument.js';
import { pollUntil } from '../helpers/poll.js';

const instruments = new InstrumentRegistry([
  { symbol: 'ETH-USDT', base: 'ETH', quote: 'USDT', tickSize: '0.01', lotSize: '0.0001' },
  { symbol: 'BTC-USDT', base: 'BTC', quote: 'USDT', tickSize: '0.01', lotSize: '0.00001' },
]);
const BTC = instruments.get('BTC-USDT')!; // index 1: the published book is keyed by the instrument's index
const MID = 6_000_000;
const VENUE = 1; // the paper venue's index in the market data

/** A sink that passes everything on to a MarketData and remembers what it was given. */
class Recording implements MarketDataSink {
  readonly bidBuffers = new Set<LevelBuffer>();
  readonly askBuffers = new Set<LevelBuffer>();
  snapshots = 0;
  alives = 0;
  readonly trades: { venue: number; symbol: number; price: number; qty: number; side: BookSide }[] = [];
  constructor(readonly md: MarketData) {}
  snapshot(venue: number, symbol: number, bids: LevelBuffer, asks: LevelBuffer, venueTs: number): void {
    this.snapshots++;
    this.bidBuffers.add(bids);
    this.askBuffers.add(asks);
    this.md.snapshot(venue, symbol, bids, asks, venueTs);
  }
  level(venue: number, symbol: number, side: BookSide, price: number, qty: number): void {
    this.md.level(venue, symbol, side, price, qty);
  }
  commit(venue: number, symbol: number, venueTs: number): void {
    this.md.commit(venue, symbol, venueTs);
  }
  invalidate(venue: number, symbol: number, reason: ResyncReason): void {
    this.md.invalidate(venue, symbol, reason);
  }
  trade(venue: number, symbol: number, price: number, qty: number, side: BookSide, venueTs: number): void {
    this.trades.push({ venue, symbol, price, qty, side });
    this.md.trade(venue, symbol, price, qty, side, venueTs);
  }
  offGridQty(venue: number): void {
    this.md.offGridQty(venue);
  }
  alive(venue: number): void {
    this.alives++;
    this.md.alive(venue);
  }
}

function setup(overrides: Partial<PaperVenueOptions> = {}) {
  const clock = new ManualClock();
  const md = new MarketData(instruments, ['other', 'sim'], ['0', '5'], clock, { depth: 20, capacity: 400 });
  const sink = new Recording(md);
  const reports: ExecutionReport[] = [];
  const v = new PaperVenue({
    name: 'sim', markets: [{ instrument: BTC, startMidTicks: MID }], makerBps: '1', takerBps: '5', latencyMs: 0,
    seed: 11, spreadTicks: 4, volatilityTicks: 3, depthLevels: 6, levelNotional: 600, tradesPerSecond: 8, stepMs: 250,
    marketData: { sink, venue: VENUE, depth: 400, aliveMs: 5 },
    ...overrides,
  }, { report: (_n, r) => reports.push(r) });
  return { clock, md, sink, reports, v };
}

/** The published book of one side as [price, lots] pairs. */
function published(md: MarketData, side: typeof BID | typeof ASK): [number, number][] {
  const ladder = md.book(VENUE, BTC.index).side(side);
  return Array.from({ length: ladder.count }, (_, i) => [ladder.price[i]!, ladder.qty[i]!] as [number, number]);
}

function expectInSync(md: MarketData, v: PaperVenue): void {
  expect(published(md, BID)).toEqual(v.bookLevels('BTC-USDT', 'BUY'));
  expect(published(md, ASK)).toEqual(v.bookLevels('BTC-USDT', 'SELL'));
}

let nextId = 1;
function order(fields: Partial<VenueOrder>): VenueOrder {
  const id = nextId++;
  return {
    orderId: id, clientOrderId: `c${id}`, instrument: BTC, side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', postOnly: false,
    priceTicks: MID, stopTicks: 0, qtyLots: 500, ...fields,
  };
}

/** Sends one order and waits until the venue has answered it (accepted, filled, expired or rejected). */
async function send(v: PaperVenue, reports: ExecutionReport[], o: VenueOrder): Promise<void> {
  v.submit(new ArrayOrderBatch([o]));
  await pollUntil(() => reports.some((r) => r.orderId === o.orderId), (x) => x, { what: `an answer to order ${o.orderId}` });
}

describe('the paper venue publishes its book', () => {
  it('at start: the market maker\'s ladder, usable, under its venue and instrument index', async () => {
    const { md, v } = setup({ volatilityTicks: 0, tradesPerSecond: 0 });
    expect(md.book(VENUE, BTC.index).updates).toBe(0); // nothing before start
    await v.start();
    try {
      expect(md.isUsable(VENUE, BTC.index)).toBe(true);
      expect(published(md, BID)).toHaveLength(6);
      expect(published(md, BID)[0]![0]).toBe(MID - 2);
      expect(published(md, ASK)[0]![0]).toBe(MID + 2);
      expectInSync(md, v);
    } finally {
      await v.stop();
    }
  });

  it('equals the engine\'s book after random activity: simulation steps, other traders, our orders, matches and cancels', async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('step' as const), n: fc.integer({ min: 1, max: 4 }) }),
      fc.record({ kind: fc.constant('flow' as const), buy: fc.boolean(), qty: fc.integer({ min: 1, max: 3000 }) }),
      fc.record({ kind: fc.constant('rest' as const), buy: fc.boolean(), offset: fc.integer({ min: -12, max: 12 }), qty: fc.integer({ min: 1, max: 2000 }) }),
      fc.record({ kind: fc.constant('take' as const), buy: fc.boolean(), qty: fc.integer({ min: 1, max: 4000 }) }),
      fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), fc.integer({ min: 1, max: 1000 }), async (ops, seed) => {
        const { md, sink, reports, v } = setup({ seed });
        await v.start();
        try {
          const resting: VenueOrder[] = [];
          for (const o of ops) {
            if (o.kind === 'step') v.advance(o.n);
            else if (o.kind === 'flow') v.trade('BTC-USDT', o.buy ? 'BUY' : 'SELL', o.qty);
            else if (o.kind === 'rest') {
              const q = v.quote('BTC-USDT')!;
              const mid = Number.isNaN(q.bid) || Number.isNaN(q.ask) ? MID : Math.round((q.bid + q.ask) / 2);
              const x = order({ side: o.buy ? 'BUY' : 'SELL', priceTicks: Math.max(1, mid + o.offset), qtyLots: o.qty });
              resting.push(x);
              await send(v, reports, x);
            } else if (o.kind === 'take') {
              await send(v, reports, order({ side: o.buy ? 'BUY' : 'SELL', type: 'MARKET', timeInForce: 'IOC', qtyLots: o.qty }));
            } else if (resting.length > 0) {
              const x = resting[o.pick % resting.length]!;
              const before = reports.length;
              v.cancel({ orderId: x.orderId, clientOrderId: x.clientOrderId, venueOrderId: undefined, instrument: BTC });
              await pollUntil(() => reports.length > before, (x) => x, { what: 'a cancel answer' });
            }
            expectInSync(md, v);
          }
          // every published trade is the venue's own, on its instrument
          expect(sink.trades.every((t) => t.venue === VENUE && t.symbol === BTC.index && t.qty > 0)).toBe(true);
        } finally {
          await v.stop();
        }
      }),
      { numRuns: 25 },
    );
  });

  it('a match of our order prints its trades (at the maker prices, our side as taker) and then the book without them', async () => {
    const { md, sink, reports, v } = setup({ volatilityTicks: 0, tradesPerSecond: 0 });
    await v.start();
    try {
      const atBest = published(md, ASK)[0]![1];
      const updates = md.book(VENUE, BTC.index).updates;
      const buy = order({ type: 'MARKET', timeInForce: 'IOC', qtyLots: atBest + 7 });
      await send(v, reports, buy);
      await pollUntil(() => reports.filter((r) => r.orderId === buy.orderId && r.kind === 'FILL').length, (n) => n >= 2);
      const fills = reports.filter((r): r is Extract<ExecutionReport, { kind: 'FILL' }> => r.kind === 'FILL' && r.orderId === buy.orderId);
      expect(sink.trades.map((t) => [t.price, t.qty, t.side])).toEqual(fills.map((f) => [f.priceTicks, f.qtyLots, BID]));
      expect(fills.map((f) => f.priceTicks)).toEqual([MID + 2, MID + 3]);
      // one order, one book update after it: the best ask level is gone, the next one shows what is left
      expect(md.book(VENUE, BTC.index).updates).toBe(updates + 1);
      expect(published(md, ASK)[0]![0]).toBe(MID + 3);
      expectInSync(md, v);

      // our resting order is public liquidity, aggregated with the market maker's at its price
      const bidAtBest = published(md, BID)[0]!;
      const rest = order({ side: 'BUY', priceTicks: bidAtBest[0], qtyLots: 123 });
      await send(v, reports, rest);
      expect(published(md, BID)[0]).toEqual([bidAtBest[0], bidAtBest[1] + 123]);
      // a seller takes the level: a trade with the seller as taker, and the level leaves the published book
      v.trade('BTC-USDT', 'SELL', bidAtBest[1] + 123);
      expect(sink.trades.at(-1)).toMatchObject({ side: ASK, price: bidAtBest[0] });
      expect(published(md, BID)[0]![0]).toBe(bidAtBest[0] - 1);
      expectInSync(md, v);
    } finally {
      await v.stop();
    }
  });

  it('reuses the same two LevelBuffers for every update (none is made per update)', async () => {
    const { sink, v } = setup();
    await v.start();
    try {
      v.advance(200);
      for (let i = 0; i < 50; i++) v.trade('BTC-USDT', i % 2 === 0 ? 'BUY' : 'SELL', 700);
      expect(sink.snapshots).toBeGreaterThan(200);
      expect(sink.bidBuffers.size).toBe(1);
      expect(sink.askBuffers.size).toBe(1);
      expect([...sink.bidBuffers][0]).not.toBe([...sink.askBuffers][0]);
    } finally {
      await v.stop();
    }
  });

  it('a simulation step publishes once, at its end', async () => {
    const { md, v } = setup({ tradesPerSecond: 40 });
    await v.start();
    try {
      for (let i = 0; i < 20; i++) {
        const before = md.book(VENUE, BTC.index).updates;
        v.advance(1);
        expect(md.book(VENUE, BTC.index).updates - before).toBeLessThanOrEqual(1);
        expectInSync(md, v);
      }
    } finally {
      await v.stop();
    }
  });

  it('a batch of orders publishes once, after its last order, and the published book is the engine\'s', async () => {
    const { md, sink, reports, v } = setup({ volatilityTicks: 0, tradesPerSecond: 0 });
    await v.start();
    try {
      // ten resting orders at ten prices and two that trade: each changes the book, one publication for all
      const batch = [
        ...Array.from({ length: 10 }, (_, i) => order({ side: 'BUY', priceTicks: MID - 10 - i, qtyLots: 100 })),
        order({ side: 'BUY', type: 'LIMIT', timeInForce: 'IOC', priceTicks: MID + 2, qtyLots: 50 }),
        order({ side: 'SELL', type: 'LIMIT', timeInForce: 'IOC', priceTicks: MID - 2, qtyLots: 50 }),
      ];
      const before = sink.snapshots;
      v.submit(new ArrayOrderBatch(batch));
      await pollUntil(() => batch.every((o) => reports.some((r) => r.orderId === o.orderId)), (x) => x, { what: 'answers to the batch' });
      expect(sink.snapshots - before).toBe(1);
      expectInSync(md, v);
    } finally {
      await v.stop();
    }
  });

  it('an amend that moves an order publishes once, after it: never a book without the order', async () => {
    const { md, sink, reports, v } = setup({ volatilityTicks: 0, tradesPerSecond: 0 });
    await v.start();
    try {
      const x = order({ side: 'BUY', priceTicks: MID - 20, qtyLots: 300 });
      await send(v, reports, x);
      expectInSync(md, v);
      const amend = (priceTicks: number, qtyLots: number, oldQtyLots: number, oldPriceTicks: number) => ({
        orderId: x.orderId, clientOrderId: x.clientOrderId, venueOrderId: undefined, instrument: BTC, side: 'BUY' as const,
        type: 'LIMIT' as const, timeInForce: 'GTC' as const, postOnly: false, oldPriceTicks, oldQtyLots, priceTicks, qtyLots,
        filledLots: 0, newClientOrderId: `${x.clientOrderId}R`,
      });
      // every book published from here on holds the order's 300 lots somewhere on the bid side
      const seen: [number, number][][] = [];
      const snapshot = sink.snapshot.bind(sink);
      sink.snapshot = (venue, symbol, bids, asks, ts) => {
        seen.push(Array.from({ length: bids.count }, (_, i) => [bids.price[i]!, bids.qty[i]!] as [number, number]));
        snapshot(venue, symbol, bids, asks, ts);
      };
      const amended = () => reports.filter((r) => r.orderId === x.orderId && r.kind === 'AMENDED').length;
      // a new price, then more lots at the same price: each takes the order out of the engine and puts it back
      for (const [price, qty, oldQty, oldPrice] of [[MID - 30, 300, 300, MID - 20], [MID - 30, 400, 300, MID - 30]] as const) {
        const before = sink.snapshots;
        const n = amended();
        v.amend(amend(price, qty, oldQty, oldPrice));
        await pollUntil(() => amended(), (k) => k > n, { what: 'AMENDED' });
        expect(sink.snapshots - before).toBe(1);
        expectInSync(md, v);
      }
      expect(seen.map((bids) => bids.some(([p, q]) => (p === MID - 20 || p === MID - 30) && q >= 300))).toEqual([true, true]);
    } finally {
      await v.stop();
    }
  });

  it('says it is alive while started, so a quiet book does not go stale', async () => {
    const { sink, v } = setup({ volatilityTicks: 0, tradesPerSecond: 0 });
    await v.start();
    try {
      await pollUntil(() => sink.alives, (n) => n >= 3, { what: 'signs of life' });
    } finally {
      await v.stop();
    }
    const after = sink.alives;
    // stopped: no timer is left that could speak for it
    v.advance(1);
    expect(sink.alives).toBe(after);
  });

  it('without a market-data sink it publishes nothing (and behaves as before)', async () => {
    const reports: ExecutionReport[] = [];
    const v = new PaperVenue({
      name: 'sim', markets: [{ instrument: BTC, startMidTicks: MID }], makerBps: '1', takerBps: '5', latencyMs: 0,
      seed: 11, spreadTicks: 4, volatilityTicks: 0, depthLevels: 6, levelNotional: 600, tradesPerSecond: 0, stepMs: 250,
    }, { report: (_n, r) => reports.push(r) });
    await v.start();
    try {
      const buy = order({ type: 'MARKET', timeInForce: 'IOC', qtyLots: 10 });
      await send(v, reports, buy);
      await pollUntil(() => reports.some((r) => r.orderId === buy.orderId && r.kind === 'FILL'), (x) => x);
    } finally {
      await v.stop();
    }
  });
});
