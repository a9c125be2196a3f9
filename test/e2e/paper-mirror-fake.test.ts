/**
 * Issue 12 acceptance, through the real feed: a paper venue mirroring a fake venue's public book and filling
 * against it. The real daemon has a market-data-only venue `binance` (binance-ws, trading: false, no keys) whose
 * public streams come from the fake Binance on 127.0.0.1 (diff depth synced from its REST snapshot), and a paper
 * venue `paper-binance` mirroring it. The fake's book is its seeded ladder (BTC-USDT asks 60010, 60020, ... 0.5 each)
 * plus a known level put in front of it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntil } from '../helpers/poll.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { type FakeBinance, startFakeBinance } from '../venues/index.js';

interface BookBody {
  venues: { venue: string; status: string; asks: string[][]; bids: string[][] }[];
}

describe('paper venue mirroring the fake Binance\'s public book (real daemon, real feed)', () => {
  let fake: FakeBinance;
  let t: TestDaemon;

  beforeAll(async () => {
    fake = await startFakeBinance();
    fake.market.setLevel('BTC-USDT', 'sell', '60005.00', '0.0003');
    t = await startTestDaemon([
      [['venues'], [
        {
          name: 'binance', adapter: 'binance-ws', exchange: 'binance', trading: false, symbols: ['BTC-USDT', 'ETH-USDT', 'SOL-USDT'],
          urls: { rest: fake.origin, ws: fake.wsOrigin },
        },
        { name: 'paper-binance', adapter: 'paper', symbols: ['BTC-USDT', 'ETH-USDT', 'SOL-USDT'], fees: { makerBps: '2', takerBps: '10' }, paper: { mirror: 'binance' } },
      ]],
      [['routing'], {}],
    ]);
  });

  afterAll(async () => {
    await t?.stop();
    await fake?.close();
  });

  it('the fake\'s book arrives through the feed, and market orders fill against it at its prices', async () => {
    const book = await pollUntil(
      async () => (await t.api.get('/v1/books/BTC-USDT')).body as BookBody,
      (b) => b.venues.find((v) => v.venue === 'binance')?.status === 'SYNCED',
      { timeoutMs: 10_000 },
    );
    const binance = book.venues.find((v) => v.venue === 'binance')!;
    expect(binance.asks.slice(0, 2)).toEqual([['60005.00', '0.00030'], ['60010.00', '0.50000']]);
    expect(binance.bids[0]).toEqual(['59990.00', '0.50000']);

    const order = (quantity: string) => t.api.post('/v1/orders', { strategy: 'momentum', symbol: 'BTC-USDT', side: 'BUY', type: 'MARKET', quantity });
    const a = await order('0.0005');
    expect(a.status).toBe(201);
    const fa = await t.api.waitForState(a.body.orderId, 'FILLED');
    // 0.0003 @ 60005 + 0.0002 @ 60010
    expect([fa.venue, fa.filledQty, fa.avgPrice]).toEqual(['paper-binance', '0.00050', '60007']);
    // what we took at 60005 is not there for us again until the venue changes that level
    const b = await order('0.0001');
    expect((await t.api.waitForState(b.body.orderId, 'FILLED')).avgPrice).toBe('60010');
    fake.market.setLevel('BTC-USDT', 'sell', '60005.00', '0.0004');
    await pollUntil(
      async () => (await t.api.get('/v1/books/BTC-USDT')).body as BookBody,
      (x) => x.venues.find((v) => v.venue === 'binance')?.asks[0]?.[1] === '0.00040',
      { timeoutMs: 10_000 },
    );
    const c = await order('0.0001');
    expect((await t.api.waitForState(c.body.orderId, 'FILLED')).avgPrice).toBe('60005');
  });
});
