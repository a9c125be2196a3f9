/**
 * Market data to a real worker strategy, end to end: a MarketData driven by hand on the main thread, the daemon's
 * MarketPublisher writing into the strategy host's market channels, a strategy module in a worker thread that
 * reports what its onMarket / onTrade / ctx.topOfBook see through its order queue (fixtures/market-echo.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { MarketPublisher } from '../../src/compose/market-publisher.js';
import { OP_CANCEL } from '../../src/intake/ring/order-record.js';
import { ASK, BID, LevelBuffer } from '../../src/market/feed.js';
import { MarketData } from '../../src/market/market-data.js';
import { CoarseClock } from '../../src/model/clock.js';
import { InstrumentRegistry } from '../../src/model/instrument.js';
import { StrategyHost, type StrategyHostOptions } from '../../src/strategy/strategy-host.js';
import { drain, drainAll, INSTRUMENTS, until, VENUES, type Rec } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-market-worker-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fixture = fileURLToPath(new URL('./fixtures/market-echo.ts', import.meta.url));

async function run(extra: Partial<StrategyHostOptions>, body: (p: { market: MarketData; h: StrategyHost; recs: Rec[]; collect: (n: number) => Promise<Rec[]> }) => Promise<void>): Promise<void> {
  const clock = new CoarseClock();
  const h = new StrategyHost({
    strategies: [{ id: 'md', module: fixture, symbols: ['BTC-USDT'] }], instruments: INSTRUMENTS, venues: VENUES, cacheDir: join(dir, 'cache'), ...extra,
  });
  const market = new MarketData(new InstrumentRegistry(INSTRUMENTS), VENUES, ['5', '7'], clock);
  const publisher = new MarketPublisher(market, h.strategies.map((s) => s.market));
  market.listen(publisher);
  const recs: Rec[] = [];
  const s = h.get('md')!;
  const collect = async (n: number): Promise<Rec[]> => {
    await until(() => recs.length >= n, async () => {
      drainAll(s, recs);
      if (recs.length < n) await h.waitForOrders(50);
    });
    return recs;
  };
  await h.start();
  try {
    await body({ market, h, recs, collect });
  } finally {
    publisher.stop();
    await h.stop();
    clock.stop();
  }
}

describe('market data to a worker strategy', () => {
  it('top of book and trades reach onMarket, onTrade and ctx.topOfBook in the worker', async () => {
    await run({}, async ({ market, h, recs, collect }) => {
      await collect(1);
      expect(recs[0]).toMatchObject({ cid: 'sU' }); // no book yet: topOfBook undefined
      const bids = new LevelBuffer(2);
      const asks = new LevelBuffer(2);
      const book = (venue: number, bid: number, ask: number): void => {
        bids.clear();
        asks.clear();
        bids.push(bid, 1000);
        asks.push(ask, 2000);
        market.snapshot(venue, 0, bids, asks, 0);
      };
      book(0, 6_000_000, 6_000_010);
      await collect(2);
      expect(recs[1]).toMatchObject({ side: 0, priceTicks: 6_000_000, tag: 6_000_010, cid: 'm0b0v0' });
      // several changes in a row (sim-b's bid: below sim-a's once its dearer fee is counted): the worker gets to the
      // newest (maybe some in between, never an older one after a newer)
      for (const bid of [6_000_005, 6_000_006, 6_000_007]) book(1, bid, 6_000_020);
      await until(() => recs.some((r) => r.cid === 'm0b0v6000007'), async () => {
        drainAll(h.get('md')!, recs);
        await h.waitForOrders(50);
      });
      const seen = recs.filter((r) => r.cid?.startsWith('m0b0v600000') === true).map((r) => Number(r.cid!.slice(5)));
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
      const before = recs.length;
      market.trade(1, 0, 6_000_010, 25, BID, 1_700_000_000_000);
      market.trade(0, 0, 6_000_000, 40, ASK, 1_700_000_000_001);
      market.trade(0, 1, 300_000, 40, ASK, 1_700_000_000_001); // ETH: not one of its symbols
      market.trade(1, 0, 6_000_020, 3, BID, 0);
      await collect(before + 3);
      expect(recs.slice(before).map((r) => [r.side, r.priceTicks, r.tag, r.cid])).toEqual([
        [1, 6_000_010, 25, 't1Bl0'],
        [1, 6_000_000, 40, 't0Sl0'],
        [1, 6_000_020, 3, 't1Bl0'],
      ]);
      expect(h.get('md')!.market.wakeups).toBeGreaterThan(0);
    });
  }, 30_000);

  it('a worker stuck in onTrade: the trades that do not fit are counted, and it learns how many (next trade\'s lost, ctx.tradesLost)', async () => {
    const gate = new SharedArrayBuffer(8);
    const g = new Int32Array(gate);
    const strategies = [{ id: 'md', module: fixture, symbols: ['BTC-USDT'], params: { gate } }];
    await run({ tradeRingCapacity: 4, strategies }, async ({ market, h, recs, collect }) => {
      await collect(1);
      const s = h.get('md')!;
      market.trade(0, 0, 6_000_001, 1, BID, 0);
      await until(() => Atomics.load(g, 1) === 1); // the worker is inside onTrade of trade 1 (its slot not yet released)
      for (let i = 2; i <= 41; i++) market.trade(0, 0, 6_000_000 + i, 1, BID, 0);
      // 3 free slots: trades 2 to 4 wait in the ring, 5 to 41 could not be written
      expect([s.market.tradesWritten, s.market.tradesLost]).toEqual([4, 37]);
      Atomics.store(g, 0, 1);
      Atomics.notify(g, 0);
      await collect(1 + 4);
      market.trade(1, 0, 6_100_000, 1, ASK, 0);
      await collect(1 + 5);
      expect(recs.slice(1).map((r) => [r.priceTicks, r.cid])).toEqual([
        [6_000_001, 't0Bl0'], [6_000_002, 't0Bl0'], [6_000_003, 't0Bl0'], [6_000_004, 't0Bl0'],
        [6_100_000, 't1Sl37'], // the gap is right before it
      ]);
      await h.stop();
      expect(drainAll(s).map((r) => [r.op, r.cid])).toEqual([[OP_CANCEL, 'L37']]); // ctx.tradesLost
    });
  }, 30_000);
});
