/**
 * Issue 12 acceptance: paper trading on a real market, end to end. The real daemon (config/paper.yaml's daemon and
 * strategies) runs with a market-data-only venue `binance` (binance-ws, trading: false: no keys, never routed to) and
 * a paper venue `paper-binance` that mirrors it. binance's public feed is played by hand through `daemon.market`
 * (the MarketData sink calls a feed makes); its URLs point at a closed local port, so no feed can reach a network.
 * Orders go through the control API and fill against the mirrored book and trades.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MarketDataOnlyVenue } from '../../src/compose/venues-from-config.js';
import { ArrayOrderBatch, type ExecutionReport } from '../../src/execution/venue.js';
import { ASK, LevelBuffer } from '../../src/market/feed.js';
import { testInstruments } from '../helpers/model.js';
import { pollUntil } from '../helpers/poll.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

const P = 6_000_000; // 60000.00 in BTC-USDT ticks (0.01)

describe('paper venue mirroring a market-data-only venue (real daemon)', () => {
  let t: TestDaemon;
  let feed: { book(bids: [number, number][], asks: [number, number][]): void; trade(price: number, lots: number): void };

  beforeAll(async () => {
    t = await startTestDaemon([
      [['venues'], [
        {
          name: 'binance', adapter: 'binance-ws', exchange: 'binance', trading: false, symbols: ['BTC-USDT', 'ETH-USDT', 'SOL-USDT'],
          urls: { rest: 'http://127.0.0.1:9', ws: 'ws://127.0.0.1:9' },
        },
        { name: 'paper-binance', adapter: 'paper', symbols: ['BTC-USDT', 'ETH-USDT', 'SOL-USDT'], fees: { makerBps: '2', takerBps: '10' }, latencyMs: 1, paper: { mirror: 'binance' } },
      ]],
      [['routing'], {}],
    ]);
    const market = t.daemon.market;
    const v = market.venueIndex('binance');
    const s = t.daemon.instruments.get('BTC-USDT')!.index;
    const bids = new LevelBuffer(16);
    const asks = new LevelBuffer(16);
    feed = {
      book: (b, a) => {
        bids.clear();
        asks.clear();
        for (const [p, q] of b) bids.push(p, q);
        for (const [p, q] of a) asks.push(p, q);
        market.snapshot(v, s, bids, asks, Date.now());
      },
      trade: (price, lots) => market.trade(v, s, price, lots, ASK, Date.now()),
    };
  });

  afterAll(async () => {
    await t?.stop();
  });

  const order = (fields: Record<string, unknown>) => t.api.post('/v1/orders', { strategy: 'momentum', symbol: 'BTC-USDT', side: 'BUY', ...fields });

  it('the market-data-only venue does not make /health degraded, and is never open to orders', async () => {
    const h = await t.api.get('/health');
    expect(h.body.status).toBe('ok');
    expect(h.body.venues).toEqual([
      expect.objectContaining({ name: 'binance', available: false, trading: false, reason: 'market data only (trading: false)' }),
      expect.objectContaining({ name: 'paper-binance', available: true }),
    ]);
    const routes = await t.api.get('/v1/routes/BTC-USDT');
    expect(JSON.stringify(routes.body)).not.toContain('"binance"');
    const metrics = await t.api.get('/metrics');
    expect(metrics.text).toMatch(/switchyard_venue_up\{venue="paper-binance"\} 1/);
    expect(metrics.text).not.toMatch(/switchyard_venue_up\{venue="binance"\}/);
  });

  it('an order pinned to it is refused at intake', async () => {
    const r = await order({ type: 'LIMIT', price: '50000', quantity: '0.001', venue: 'binance' });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('UNKNOWN_VENUE');
  });

  it('before the mirrored book is synced, a market order is rejected VENUE_UNAVAILABLE', async () => {
    const r = await order({ type: 'MARKET', quantity: '0.0001' });
    expect(r.status).toBe(201);
    const o = await t.api.waitForState(r.body.orderId, 'REJECTED');
    expect(o.venue).toBe('paper-binance');
    expect(o.reason).toMatch(/^VENUE_UNAVAILABLE: the BTC-USDT book of binance/);
  });

  it('market orders fill against the mirrored levels at their prices, never taking the same liquidity twice', async () => {
    feed.book([[P - 100, 50_000]], [[P, 30], [P + 100, 1000]]);
    const a = await order({ type: 'MARKET', quantity: '0.0005' });
    expect(a.status).toBe(201);
    const fa = await t.api.waitForState(a.body.orderId, 'FILLED');
    expect([fa.venue, fa.filledQty, fa.avgPrice]).toEqual(['paper-binance', '0.00050', '60000.4']); // 30 @ 60000 + 20 @ 60001
    const b = await order({ type: 'MARKET', quantity: '0.0001' });
    const fb = await t.api.waitForState(b.body.orderId, 'FILLED');
    expect(fb.avgPrice).toBe('60001');
    // the venue changes its best level: it is there to take again
    feed.book([[P - 100, 50_000]], [[P, 40], [P + 100, 1000]]);
    const c = await order({ type: 'MARKET', quantity: '0.0001' });
    expect((await t.api.waitForState(c.body.orderId, 'FILLED')).avgPrice).toBe('60000');
  });

  it('a resting GTC order fills at its limit when a mirrored trade goes through it', async () => {
    feed.book([[P - 100, 50_000]], [[P, 40], [P + 100, 1000]]);
    const r = await order({ type: 'LIMIT', price: '59999.50', quantity: '0.0002' });
    await t.api.waitForState(r.body.orderId, 'ACCEPTED');
    feed.trade(P - 60, 5); // a seller at 59999.40: through our bid, 5 lots of our 20
    const partial = await t.api.waitForState(r.body.orderId, 'PARTIALLY_FILLED');
    expect(partial.filledQty).toBe('0.00005');
    feed.trade(P - 100, 100);
    const filled = await t.api.waitForState(r.body.orderId, 'FILLED');
    expect(filled.avgPrice).toBe('59999.5');
  });

  it('GET /v1/books shows the mirrored venue\'s book; the mirroring paper venue publishes none of its own', async () => {
    feed.book([[P - 100, 50_000]], [[P, 40], [P + 100, 1000]]);
    const r = await t.api.get('/v1/books/BTC-USDT');
    expect(r.status).toBe(200);
    const byVenue = Object.fromEntries(r.body.venues.map((v: { venue: string }) => [v.venue, v]));
    expect(byVenue.binance).toMatchObject({ status: 'SYNCED', bids: [['59999.00', '0.50000']], asks: [['60000.00', '0.00040'], ['60001.00', '0.01000']] });
    expect(byVenue['paper-binance']).toMatchObject({ status: 'NONE', bids: [], asks: [] });
  });
});

describe('the adapter placeholder of a market-data-only venue', () => {
  it('starts and stops doing nothing, and refuses every order and cancel VENUE_UNAVAILABLE (market data only)', async () => {
    const reports: ExecutionReport[] = [];
    const v = new MarketDataOnlyVenue('binance', { report: (_n, r) => reports.push(r) });
    await v.start();
    const btc = testInstruments().get('BTC-USDT')!;
    const o = { instrument: btc, side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', postOnly: false, priceTicks: P, stopTicks: 0, qtyLots: 10 } as const;
    v.submit(new ArrayOrderBatch([{ ...o, orderId: 1, clientOrderId: 'a1' }, { ...o, orderId: 2, clientOrderId: 'a2' }]));
    v.cancel({ orderId: 3, clientOrderId: 'a3', venueOrderId: undefined, instrument: btc });
    await pollUntil(() => reports.length, (n) => n === 3);
    expect(reports).toEqual([
      { kind: 'REJECTED', orderId: 1, reason: 'VENUE_UNAVAILABLE: market data only (trading: false)' },
      { kind: 'REJECTED', orderId: 2, reason: 'VENUE_UNAVAILABLE: market data only (trading: false)' },
      { kind: 'CANCEL_REJECTED', orderId: 3, reason: 'VENUE_UNAVAILABLE: market data only (trading: false)' },
    ]);
    await v.stop();
  });
});
