/**
 * Real ccxt (REST and ccxt pro) against the fake Binance spot.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { createHmac } from 'node:crypto';
import { localBinance, localBinancePro, waitFor, within } from '../helpers/ccxt-local.js';
import { type FakeBinance, startFakeBinance } from './fake-binance.js';

/** ccxt's typings (Str = string | undefined, Balance indexing) add nothing in these assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let fake: FakeBinance;

beforeAll(async () => {
  fake = await startFakeBinance();
});

afterAll(async () => {
  await fake.close();
});

afterEach(() => {
  fake.reset();
});

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('fake Binance with ccxt REST', () => {
  test('loadMarkets gives the venue precision and limits', async () => {
    const ex: Loose = localBinance(fake.endpoints);
    const markets = await ex.loadMarkets();
    expect(Object.keys(markets).sort()).toEqual(['BTC/USDT', 'ETH/USDT', 'SOL/USDT']);
    const btc = markets['BTC/USDT']!;
    expect(btc.id).toBe('BTCUSDT');
    expect(btc.spot).toBe(true);
    expect(btc.active).toBe(true);
    expect(btc.precision.amount).toBe(0.00001);
    expect(btc.precision.price).toBe(0.01);
    expect(btc.limits.amount.min).toBe(0.00001);
    expect(btc.limits.cost.min).toBe(5);
    expect(markets['SOL/USDT']!.precision.amount).toBe(0.001);
    expect(markets['ETH/USDT']!.precision.amount).toBe(0.0001);
    const info = btc.info as { orderTypes: string[] };
    expect(info.orderTypes).toContain('LIMIT');
  });

  test('limit order rests; fetch by id and client id, open orders, cancel', async () => {
    const ex: Loose = localBinance(fake.endpoints);
    await ex.loadMarkets();
    const placed = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 50000, { clientOrderId: 'rest1' });
    expect(placed.status).toBe('open');
    expect(placed.clientOrderId).toBe('rest1');
    expect(ex.last_response_headers['X-Mbx-Order-Count-10s']).toBe('1');
    expect(Number(ex.last_response_headers['X-Mbx-Used-Weight-1m'])).toBeGreaterThan(0);

    const byId = await ex.fetchOrder(placed.id, 'BTC/USDT');
    expect(byId).toMatchObject({ id: placed.id, status: 'open', price: 50000, amount: 0.001, filled: 0, clientOrderId: 'rest1' });
    const byClientId = await ex.fetchOrder('', 'BTC/USDT', { clientOrderId: 'rest1' });
    expect(byClientId.id).toBe(placed.id);
    const open = await ex.fetchOpenOrders('BTC/USDT');
    expect(open.map((o: Json) => o["id"])).toEqual([placed.id]);

    const canceled = await ex.cancelOrder(placed.id, 'BTC/USDT');
    expect(canceled.status).toBe('canceled');
    expect((await ex.fetchOrder(placed.id, 'BTC/USDT')).status).toBe('canceled');
    expect(await ex.fetchOpenOrders('BTC/USDT')).toEqual([]);
    expect(fake.order({ clientOrderId: 'rest1' })).toMatchObject({ status: 'CANCELED', open: false, price: '50000', qty: '0.001' });
    const again = await rejection(ex.cancelOrder(placed.id, 'BTC/USDT'));
    expect(again.message).toContain('-2011');
    const missing = await rejection(ex.fetchOrder('999', 'BTC/USDT'));
    expect(missing.message).toContain('-2013');
  });

  test('market order fills against the seeded ladder', async () => {
    const ex: Loose = localBinance(fake.endpoints);
    await ex.loadMarkets();
    const before = await ex.fetchBalance();
    const order = await ex.createOrder('BTC/USDT', 'market', 'buy', 0.6);
    expect(order.status).toBe('closed');
    expect(order.filled).toBe(0.6);
    // 0.5 at 60010 + 0.1 at 60020
    expect(order.cost).toBeCloseTo(0.5 * 60010 + 0.1 * 60020, 6);
    expect(order.trades).toHaveLength(2);
    const after = await ex.fetchBalance();
    expect(after.total['BTC']).toBeCloseTo(before.total['BTC']! + 0.6, 8);
    expect(after.total['USDT']).toBeCloseTo(before.total['USDT']! - (0.5 * 60010 + 0.1 * 60020), 6);
    const trades = await ex.fetchMyTrades('BTC/USDT');
    expect(trades.map((t: Loose) => t.price)).toEqual([60010, 60020]);
    expect(trades.every((t: Loose) => t.order === order.id && t.takerOrMaker === 'taker')).toBe(true);
    expect(fake.fills({ orderId: order.id })).toHaveLength(2);
  });

  test('partial and full fills on demand', async () => {
    const ex: Loose = localBinance(fake.endpoints);
    await ex.loadMarkets();
    const placed = await ex.createOrder('ETH/USDT', 'limit', 'sell', 0.5, 3500, { clientOrderId: 'part1' });
    fake.fill({ orderId: placed.id }, '0.2');
    let o = await ex.fetchOrder(placed.id, 'ETH/USDT');
    expect(o).toMatchObject({ status: 'open', filled: 0.2, remaining: 0.3 });
    expect(o.info['status']).toBe('PARTIALLY_FILLED');
    fake.fill({ clientOrderId: 'part1' });
    o = await ex.fetchOrder(placed.id, 'ETH/USDT');
    expect(o).toMatchObject({ status: 'closed', filled: 0.5 });
    const trades = await ex.fetchMyTrades('ETH/USDT');
    expect(trades.map((t: Loose) => [t.amount, t.takerOrMaker])).toEqual([
      [0.2, 'maker'],
      [0.3, 'maker'],
    ]);
  });

  test('a taker from another account trades a resting order', async () => {
    const ex: Loose = localBinance(fake.endpoints);
    await ex.loadMarkets();
    // better than the ladder's best bid (59990), so it is first in line
    const placed = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 59995);
    const other: Loose = localBinance({ ...fake.endpoints, ...fake.account('other') });
    const sold = await other.createOrder('BTC/USDT', 'market', 'sell', 0.004);
    expect(sold.status).toBe('closed');
    expect((await ex.fetchOrder(placed.id, 'BTC/USDT')).filled).toBe(0.004);
    // the admin shortcut does the same
    fake.taker({ symbol: 'BTC-USDT', side: 'sell', qty: '0.006' });
    expect((await ex.fetchOrder(placed.id, 'BTC/USDT')).status).toBe('closed');
  });

  test('a client order id is refused while an open order has it (-2010), free again once it is done', async () => {
    const ex: Loose = localBinance(fake.endpoints);
    await ex.loadMarkets();
    const first = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 50000, { clientOrderId: 'dup1' });
    const err = await rejection(ex.createOrder('SOL/USDT', 'limit', 'buy', 1, 100, { clientOrderId: 'dup1' }));
    expect(err.message).toContain('-2010');
    expect(err.message).toContain('Duplicate order sent.');
    await ex.cancelOrder(first.id, 'BTC/USDT');
    const second = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 50000, { clientOrderId: 'dup1' });
    expect(second.id).not.toBe(first.id);
  });

  test('filters and balance are enforced with Binance codes', async () => {
    const ex: Loose = localBinance(fake.endpoints);
    await ex.loadMarkets();
    const raw = ex as unknown as Record<string, (p: Record<string, unknown>) => Promise<unknown>>;
    const base = { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC' };
    expect((await rejection(raw['privatePostOrder']!({ ...base, quantity: '0.000015', price: '50000' }))).message).toContain('LOT_SIZE');
    expect((await rejection(raw['privatePostOrder']!({ ...base, quantity: '0.001', price: '50000.005' }))).message).toContain('PRICE_FILTER');
    expect((await rejection(raw['privatePostOrder']!({ ...base, quantity: '0.00001', price: '50000' }))).message).toContain('NOTIONAL');
    const poor = await rejection(ex.createOrder('BTC/USDT', 'limit', 'buy', 100, 50000));
    expect(poor.message).toContain('insufficient balance');
    const maker = await rejection(ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 60010, { postOnly: true }));
    expect(maker.message).toContain('Order would immediately match and take.');
  });

  test('bad signature (-1022) and unknown key (-2015) are refused', async () => {
    const good: Loose = localBinance(fake.endpoints);
    await good.loadMarkets();
    const badSecret: Loose = localBinance({ ...fake.endpoints, secret: 'x'.repeat(64) });
    const e1 = await rejection(badSecret.fetchBalance());
    expect(e1.constructor.name).toBe('AuthenticationError');
    expect(e1.message).toContain('-1022');
    const badKey: Loose = localBinance({ ...fake.endpoints, apiKey: 'y'.repeat(64) });
    const e2 = await rejection(badKey.fetchBalance());
    expect(e2.message).toContain('-2015');
    // a correctly signed but stale request is outside recvWindow (-1021); a fresh one passes
    const signed = (q: string): string => `${q}&signature=${createHmac('sha256', fake.credentials.secret).update(q).digest('hex')}`;
    const headers = { 'X-MBX-APIKEY': fake.credentials.apiKey };
    const stale = await fetch(`${fake.urls.rest}/account?${signed(`timestamp=${Date.now() - 10_000}`)}`, { headers });
    expect(stale.status).toBe(400);
    expect(await stale.json()).toMatchObject({ code: -1021 });
    const ok = await fetch(`${fake.urls.rest}/account?${signed(`timestamp=${Date.now()}&recvWindow=5000`)}`, { headers });
    expect(ok.status).toBe(200);
  });
});

describe('fake Binance: other calls adapters may use', () => {
  test('fetchOrders / closed / canceled, order book, ticker, time, status, cancelAllOrders', async () => {
    const ex: Loose = localBinance(fake.endpoints, { enableRateLimit: false });
    await ex.loadMarkets();
    const resting = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 50000);
    await ex.cancelOrder(resting.id, 'BTC/USDT');
    await ex.createOrder('BTC/USDT', 'market', 'sell', 0.001);
    expect((await ex.fetchOrders('BTC/USDT')).map((o: Json) => o['status'])).toEqual(['canceled', 'closed']);
    expect((await ex.fetchClosedOrders('BTC/USDT')).map((o: Json) => o['side'])).toEqual(['sell']);
    expect((await ex.fetchCanceledOrders('BTC/USDT')).map((o: Json) => o['id'])).toEqual([resting.id]);
    const book = await ex.fetchOrderBook('BTC/USDT', 5);
    expect(book.bids[0]).toEqual([59990, 0.499]);
    expect(book.asks.slice(0, 2)).toEqual([
      [60010, 0.5],
      [60020, 0.5],
    ]);
    const ticker = await ex.fetchTicker('BTC/USDT');
    expect([ticker.bid, ticker.ask, ticker.last]).toEqual([59990, 60010, 59990]);
    expect(Math.abs((await ex.fetchTime()) - Date.now())).toBeLessThan(5000);
    expect((await ex.fetchStatus()).status).toBe('ok');
    await ex.createOrder('SOL/USDT', 'limit', 'buy', 1, 100);
    await ex.createOrder('SOL/USDT', 'limit', 'buy', 1, 101);
    expect((await ex.cancelAllOrders('SOL/USDT')).map((o: Json) => o['status'])).toEqual(['canceled', 'canceled']);
  });

  test('ccxt pro watchMyTrades and watchBalance', async () => {
    const ex: Loose = localBinance(fake.endpoints);
    const pro: Loose = await localBinancePro(fake.endpoints);
    try {
      await ex.loadMarkets();
      await pro.loadMarkets();
      const trades = pro.watchMyTrades('BTC/USDT');
      const balance = pro.watchBalance();
      await waitFor(() => fake.userStreams('main') === 1);
      await ex.createOrder('BTC/USDT', 'market', 'buy', 0.001);
      const t: Loose = await within(trades, 5000, 'trades');
      expect(t.map((x: Json) => [x['price'], x['amount'], x['side']])).toEqual([[60010, 0.001, 'buy']]);
      const b: Loose = await within(balance, 5000, 'balance');
      expect(b.total['BTC']).toBeCloseTo(10.001, 8);
    } finally {
      await pro.close();
    }
  });
});

/**
 * The fake counts as Binance does, in fixed windows aligned to the wall clock (weight per minute, orders per 10 s): a
 * test that asserts a count made by several requests must not straddle a window's end. When less than `needMs` of the
 * current window is left, wait for the next one to begin (at most `needMs`).
 */
async function startOfWindowIfLate(windowMs: number, needMs: number): Promise<void> {
  const left = windowMs - (Date.now() % windowMs);
  if (left < needMs) await new Promise((resolve) => setTimeout(resolve, left + 20));
}

describe('fake Binance rate limits', () => {
  let limited: FakeBinance;
  beforeAll(async () => {
    limited = await startFakeBinance({ rateLimits: { weightPerMinute: 60, ordersPer10s: 3, banAfter429s: 2 } });
  });
  afterAll(async () => {
    await limited.close();
  });

  test('exchangeInfo advertises the limits; weight headers; 429 + Retry-After, then 418 for clients that keep going', async () => {
    await startOfWindowIfLate(60_000, 10_000);
    const ex: Loose = localBinance(limited.endpoints, { enableRateLimit: false });
    await ex.loadMarkets();
    const rl = ((await ex.publicGetExchangeInfo()) as { rateLimits: unknown[] }).rateLimits;
    expect(rl).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 60 }),
        expect.objectContaining({ rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 3 }),
        expect.objectContaining({ rateLimitType: 'ORDERS', interval: 'DAY', intervalNum: 1 }),
      ]),
    );
    expect(ex.last_response_headers['X-Mbx-Used-Weight-1m']).toBe('40');
    let err: Error | undefined;
    for (let i = 0; i < 20 && err === undefined; i++) {
      try {
        await ex.fetchOpenOrders('BTC/USDT'); // weight 6
      } catch (e) {
        err = e as Error;
      }
    }
    expect(err?.constructor.name).toBe('DDoSProtection');
    expect(err?.message).toContain('429');
    expect(err?.message).toContain('-1003');
    const r429 = await fetch(`${limited.urls.rest}/ping`);
    expect(r429.status).toBe(429);
    expect(Number(r429.headers.get('retry-after'))).toBeGreaterThan(0);
    const r418 = await fetch(`${limited.urls.rest}/ping`);
    expect(r418.status).toBe(418);
    expect(Number(r418.headers.get('retry-after'))).toBeGreaterThan(0);
    const stillBanned = await rejection(ex.fetchTime());
    expect(stillBanned.message).toContain('418');
    limited.reset();
  });

  test('orders per 10 s: -1015 with HTTP 429', async () => {
    const ex: Loose = localBinance(limited.endpoints, { enableRateLimit: false });
    await ex.loadMarkets();
    // the four orders within one 10 s window (a CI run once placed the first two before a window's end: count 1, not 3)
    await startOfWindowIfLate(10_000, 5_000);
    for (let i = 0; i < 3; i++) await ex.createOrder('SOL/USDT', 'limit', 'buy', 1, 100);
    expect(ex.last_response_headers['X-Mbx-Order-Count-10s']).toBe('3');
    const err = await rejection(ex.createOrder('SOL/USDT', 'limit', 'buy', 1, 100));
    expect(err.message).toContain('-1015');
    expect(err.message).toContain('429');
    limited.reset();
  });
});

describe('fake Binance websockets with ccxt pro', () => {
  test('watchOrders (ws-api userDataStream.subscribe.signature) receives the order and its fills', async () => {
    const ex: Loose = localBinance(fake.endpoints);
    const pro: Loose = await localBinancePro(fake.endpoints);
    try {
      await pro.loadMarkets();
      await ex.loadMarkets();
      const first = pro.watchOrders('BTC/USDT');
      await waitFor(() => fake.userStreams('main') === 1, 5000, 'user data subscription');
      const placed = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.002, 55000, { clientOrderId: 'ws1' });
      const seen: Loose = await within(first, 5000, 'first ws update');
      expect(seen[seen.length - 1]).toMatchObject({ id: placed.id, status: 'open', clientOrderId: 'ws1', filled: 0 });
      const next = pro.watchOrders('BTC/USDT');
      fake.fill({ orderId: placed.id }, '0.0005');
      const afterFill: Loose = await within(next, 5000, 'next ws update');
      expect(afterFill[afterFill.length - 1]).toMatchObject({ id: placed.id, status: 'open', filled: 0.0005 });
      const last = pro.watchOrders('BTC/USDT');
      await ex.cancelOrder(placed.id, 'BTC/USDT');
      const afterCancel: Loose = await within(last, 5000, 'last ws update');
      expect(afterCancel[afterCancel.length - 1]).toMatchObject({ id: placed.id, status: 'canceled', clientOrderId: 'ws1' });
    } finally {
      await pro.close();
    }
  });

  test('createOrderWs / cancelOrderWs over the WebSocket API', async () => {
    const pro: Loose = await localBinancePro(fake.endpoints);
    try {
      await pro.loadMarkets();
      const placed = await pro.createOrderWs('SOL/USDT', 'limit', 'sell', 2, 160, { clientOrderId: 'wsapi1' });
      expect(placed).toMatchObject({ status: 'open', clientOrderId: 'wsapi1', amount: 2, price: 160 });
      expect(fake.order({ clientOrderId: 'wsapi1' })?.open).toBe(true);
      const canceled = await pro.cancelOrderWs(placed.id, 'SOL/USDT');
      expect(canceled.status).toBe('canceled');
      const filled = await pro.createOrderWs('SOL/USDT', 'market', 'buy', 1);
      expect(filled.status).toBe('closed');
    } finally {
      await pro.close();
    }
  });

  test('listenKey user stream (/ws/<listenKey>) carries raw executionReports', async () => {
    const ex: Loose = localBinance(fake.endpoints);
    await ex.loadMarkets();
    const { listenKey } = (await ex.publicPostUserDataStream()) as { listenKey: string };
    const events: Array<Record<string, unknown>> = [];
    const ws = new WebSocket(`${fake.urls.ws}/${listenKey}`);
    ws.on('message', (d) => events.push(JSON.parse(String(d)) as Record<string, unknown>));
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    try {
      await waitFor(() => fake.userStreams('main') === 1);
      await ex.createOrder('BTC/USDT', 'market', 'sell', 0.001);
      const reports = await waitFor(() => {
        const r = events.filter((e) => e['e'] === 'executionReport');
        return r.length >= 2 ? r : undefined;
      });
      expect(reports.map((r) => r['x'])).toEqual(['NEW', 'TRADE']);
      expect(reports[1]).toMatchObject({ X: 'FILLED', s: 'BTCUSDT', S: 'SELL', z: '0.00100000', L: '59990.00000000' });
      await waitFor(() => events.some((e) => e['e'] === 'outboundAccountPosition'));
    } finally {
      ws.close();
    }
  });
});
