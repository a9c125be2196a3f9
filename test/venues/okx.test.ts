/**
 * Real ccxt (REST and ccxt pro) against the fake OKX spot, plus a raw private websocket session.
 */
import { createHmac } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { localOkx, localOkxPro, waitFor, within } from '../helpers/ccxt-local.js';
import { type FakeOkx, startFakeOkx } from './fake-okx.js';

/** ccxt's typings (Str = string | undefined, Balance indexing) add nothing in these assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let fake: FakeOkx;

beforeAll(async () => {
  fake = await startFakeOkx();
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



describe('fake OKX with ccxt REST', () => {
  test('loadMarkets gives the venue precision and limits', async () => {
    const ex: Loose = localOkx(fake.endpoints);
    const markets = await ex.loadMarkets();
    expect(Object.keys(markets).sort()).toEqual(['BTC/USDT', 'ETH/USDT', 'SOL/USDT']);
    const btc = markets['BTC/USDT']!;
    expect(btc).toMatchObject({ id: 'BTC-USDT', spot: true, active: true, base: 'BTC', quote: 'USDT' });
    expect(btc.precision).toMatchObject({ amount: 0.00000001, price: 0.1 });
    expect(btc.limits.amount.min).toBe(0.00001);
    expect(markets['ETH/USDT']!.precision).toMatchObject({ amount: 0.000001, price: 0.01 });
    expect(markets['SOL/USDT']!.limits.amount.min).toBe(0.01);
    expect((btc.info as Json)['instIdCode']).toBe(1001);
  });

  test('limit order rests; fetch by ordId and clOrdId, pending orders, cancel', async () => {
    const ex: Loose = localOkx(fake.endpoints);
    await ex.loadMarkets();
    const placed = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 50000, { clientOrderId: 'rest1' });
    expect(placed.id).toMatch(/^\d{18}$/);
    expect(placed.clientOrderId).toBe('rest1');
    expect((placed.info as Json)['sCode']).toBe('0');
    const byId = await ex.fetchOrder(placed.id, 'BTC/USDT');
    expect(byId).toMatchObject({ id: placed.id, status: 'open', price: 50000, amount: 0.001, filled: 0, clientOrderId: 'rest1' });
    const byClientId = await ex.fetchOrder(undefined as unknown as string, 'BTC/USDT', { clOrdId: 'rest1' });
    expect(byClientId.id).toBe(placed.id);
    expect((await ex.fetchOpenOrders('BTC/USDT')).map((o: Json) => o["id"])).toEqual([placed.id]);
    const canceled = await ex.cancelOrder(placed.id, 'BTC/USDT');
    expect(canceled.id).toBe(placed.id);
    expect((await ex.fetchOrder(placed.id, 'BTC/USDT')).status).toBe('canceled');
    expect(await ex.fetchOpenOrders('BTC/USDT')).toEqual([]);
    expect(fake.order({ orderId: placed.id })).toMatchObject({ status: 'CANCELED', price: '50000', qty: '0.001' });
    const again = await rejection(ex.cancelOrder(placed.id, 'BTC/USDT'));
    expect(again.message).toContain('51400');
    const missing = await rejection(ex.fetchOrder('600000000000000999', 'BTC/USDT'));
    expect(missing.message).toContain('51603');
  });

  test('market order fills against the seeded ladder', async () => {
    const ex: Loose = localOkx(fake.endpoints);
    await ex.loadMarkets();
    const before = await ex.fetchBalance();
    const ack = await ex.createOrder('ETH/USDT', 'market', 'buy', 6);
    const order = await ex.fetchOrder(ack.id, 'ETH/USDT');
    expect(order).toMatchObject({ status: 'closed', filled: 6 });
    // 5 at 3001 + 1 at 3002
    expect(order.average).toBeCloseTo((5 * 3001 + 1 * 3002) / 6, 6);
    const after = await ex.fetchBalance();
    expect(after.total['ETH']).toBeCloseTo(before.total['ETH']! + 6, 8);
    expect(after.total['USDT']).toBeCloseTo(before.total['USDT']! - (5 * 3001 + 3002), 6);
    const trades = await ex.fetchMyTrades('ETH/USDT');
    expect(trades.map((t: Loose) => t.price).sort()).toEqual([3001, 3002]);
    expect(fake.fills({ orderId: ack.id })).toHaveLength(2);
  });

  test('partial fill on demand through the admin route', async () => {
    const ex: Loose = localOkx(fake.endpoints);
    await ex.loadMarkets();
    const placed = await ex.createOrder('SOL/USDT', 'limit', 'sell', 10, 170, { clientOrderId: 'part1' });
    const res = await fetch(`${fake.urls.admin}/fill`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientOrderId: 'part1', qty: '4' }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'PARTIALLY_FILLED', filled: '4', orderId: placed.id });
    const o = await ex.fetchOrder(placed.id, 'SOL/USDT');
    expect(o).toMatchObject({ status: 'open', filled: 4, remaining: 6 });
    expect((o.info as Json)['state']).toBe('partially_filled');
    const venueFills = (await (await fetch(`${fake.urls.admin}/fills?account=main&symbol=SOL-USDT`)).json()) as Json[];
    expect(venueFills).toHaveLength(1);
    expect(venueFills[0]).toMatchObject({ qty: '4', price: '170', maker: true });
  });

  test('a duplicate clOrdId among pending orders is refused with 51016', async () => {
    const ex: Loose = localOkx(fake.endpoints);
    await ex.loadMarkets();
    await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 50000, { clientOrderId: 'dup1' });
    const err = await rejection(ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 50000, { clientOrderId: 'dup1' }));
    expect(err.message).toContain('51016');
  });

  test('bad signature (50113), wrong passphrase (50105), unknown key (50111)', async () => {
    const e1 = await rejection(localOkx({ ...fake.endpoints, secret: 'AAAA' }).fetchBalance());
    expect(e1.constructor.name).toBe('AuthenticationError');
    expect(e1.message).toContain('50113');
    const e2 = await rejection(localOkx({ ...fake.endpoints, passphrase: 'nope' }).fetchBalance());
    expect(e2.message).toContain('50105');
    const e3 = await rejection(localOkx({ ...fake.endpoints, apiKey: '00000000-0000-0000-0000-000000000000' }).fetchBalance());
    expect(e3.message).toContain('50111');
  });

  test('batch-orders: one bad entry gives code 2 and its own sCode; more than 20 is refused', async () => {
    const ex: Loose = localOkx(fake.endpoints);
    await ex.loadMarkets();
    const entry = (clOrdId: string, sz: string): Json => ({ instId: 'ETH-USDT', tdMode: 'cash', side: 'buy', ordType: 'limit', sz, px: '2000', clOrdId });
    const res = (await (ex as unknown as Record<string, (p: unknown) => Promise<Json>>)['privatePostTradeBatchOrders']!([
      entry('good1', '0.01'),
      entry('bad1', '0.0000001'),
      entry('good2', '0.02'),
    ])) as Json;
    expect(res['code']).toBe('2');
    expect(res['data'].map((d: Json) => [d['clOrdId'], d['sCode']])).toEqual([
      ['good1', '0'],
      ['bad1', '51121'],
      ['good2', '0'],
    ]);
    expect(res['data'][1]['ordId']).toBe('');
    expect(fake.orders({ account: 'main', open: true }).map((o) => o.clientOrderId).sort()).toEqual(['good1', 'good2']);
    const tooMany = await rejection(
      (ex as unknown as Record<string, (p: unknown) => Promise<Json>>)['privatePostTradeBatchOrders']!(
        Array.from({ length: 21 }, (_, i) => entry(`many${i}`, '0.01')),
      ),
    );
    expect(tooMany.message).toContain('51000');
  });
});

describe('fake OKX: other calls adapters may use', () => {
  test('closed / canceled orders, order book, ticker, time, status, createOrders (batch)', async () => {
    const ex: Loose = localOkx(fake.endpoints, { enableRateLimit: false });
    await ex.loadMarkets();
    const resting = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 50000);
    await ex.cancelOrder(resting.id, 'BTC/USDT');
    const sold = await ex.createOrder('BTC/USDT', 'market', 'sell', 0.001);
    expect((await ex.fetchClosedOrders('BTC/USDT')).map((o: Json) => o['id'])).toEqual([sold.id]);
    expect((await ex.fetchCanceledOrders('BTC/USDT')).map((o: Json) => o['id'])).toEqual([resting.id]);
    const book = await ex.fetchOrderBook('BTC/USDT', 5);
    expect(book.bids[0].slice(0, 2)).toEqual([59990, 0.499]);
    expect(book.asks[0].slice(0, 2)).toEqual([60010, 0.5]);
    const ticker = await ex.fetchTicker('BTC/USDT');
    expect([ticker.bid, ticker.ask, ticker.last]).toEqual([59990, 60010, 59990]);
    expect(Math.abs((await ex.fetchTime()) - Date.now())).toBeLessThan(5000);
    expect((await ex.fetchStatus()).status).toBe('ok');
    const created = await ex.createOrders([
      { symbol: 'ETH/USDT', type: 'limit', side: 'buy', amount: 0.01, price: 2000 },
      { symbol: 'ETH/USDT', type: 'limit', side: 'buy', amount: 0.02, price: 2001 },
    ]);
    expect(created.map((o: Json) => o['id'])).toHaveLength(2);
    expect(fake.orders({ account: 'main', symbol: 'ETH-USDT', open: true })).toHaveLength(2);
  });

  test('ccxt pro watchMyTrades and watchBalance (account channel)', async () => {
    const ex: Loose = localOkx(fake.endpoints);
    const pro: Loose = await localOkxPro(fake.endpoints);
    try {
      await ex.loadMarkets();
      await pro.loadMarkets();
      const trades = pro.watchMyTrades('BTC/USDT');
      const balance = pro.watchBalance();
      await waitFor(() => fake.userStreams('main', 'orders') === 1 && fake.userStreams('main', 'account') === 1);
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

describe('fake OKX rate limits', () => {
  let limited: FakeOkx;
  beforeAll(async () => {
    limited = await startFakeOkx({ rateLimits: { placeOrder: 3, batchOrders: 4 } });
  });
  afterAll(async () => {
    await limited.close();
  });

  test('place order: N per window per instrument, then 50011 (HTTP 429)', async () => {
    const ex: Loose = localOkx(limited.endpoints, { enableRateLimit: false });
    await ex.loadMarkets();
    for (let i = 0; i < 3; i++) await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 50000);
    const err = await rejection(ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 50000));
    expect(err.constructor.name).toBe('RateLimitExceeded');
    expect(err.message).toContain('50011');
    // another instrument has its own budget
    await ex.createOrder('ETH/USDT', 'limit', 'buy', 0.01, 2000);
  });

  test('batch orders: entries over the per-instrument budget get sCode 50011', async () => {
    const ex: Loose = localOkx(limited.endpoints, { enableRateLimit: false });
    await ex.loadMarkets();
    const entry = (i: number): Json => ({ instId: 'SOL-USDT', tdMode: 'cash', side: 'buy', ordType: 'limit', sz: '1', px: '100', clOrdId: `rl${i}` });
    const res = (await (ex as unknown as Record<string, (p: unknown) => Promise<Json>>)['privatePostTradeBatchOrders']!(
      [0, 1, 2, 3, 4, 5].map(entry),
    )) as Json;
    expect(res['code']).toBe('2');
    expect(res['data'].map((d: Json) => d['sCode'])).toEqual(['0', '0', '0', '0', '50011', '50011']);
  });
});

describe('fake OKX websockets', () => {
  test('ccxt pro watchOrders receives the order and a fill; createOrderWs and cancelOrderWs', async () => {
    const ex: Loose = localOkx(fake.endpoints);
    const pro: Loose = await localOkxPro(fake.endpoints);
    try {
      await ex.loadMarkets();
      await pro.loadMarkets();
      const first = pro.watchOrders('BTC/USDT');
      await waitFor(() => fake.userStreams('main') === 1, 5000, 'orders subscription');
      const placed = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.002, 55000, { clientOrderId: 'ws1' });
      const seen: Loose = await within(first, 5000, 'first ws update');
      expect(seen[seen.length - 1]).toMatchObject({ id: placed.id, status: 'open', clientOrderId: 'ws1' });
      const next = pro.watchOrders('BTC/USDT');
      fake.fill({ orderId: placed.id }, '0.0005');
      const afterFill: Loose = await within(next, 5000, 'next ws update');
      expect(afterFill[afterFill.length - 1]).toMatchObject({ id: placed.id, status: 'open', filled: 0.0005 });

      const wsOrder = await pro.createOrderWs('BTC/USDT', 'limit', 'sell', 0.001, 70000, { op: 'order', clientOrderId: 'ws2' });
      expect(wsOrder.id).toMatch(/^\d{18}$/);
      expect(fake.order({ clientOrderId: 'ws2' })?.open).toBe(true);
      const wsCancel = await pro.cancelOrderWs(wsOrder.id, 'BTC/USDT');
      expect(wsCancel.id).toBe(wsOrder.id);
      expect(fake.order({ clientOrderId: 'ws2' })?.status).toBe('CANCELED');
    } finally {
      await pro.close();
    }
  });

  test('raw private websocket: ping/pong, login, subscribe, order and batch-orders ops', async () => {
    const ws = new WebSocket(fake.urls.wsPrivate);
    const inbox: Array<Json | string> = [];
    ws.on('message', (d) => {
      const t = String(d);
      inbox.push(t === 'pong' ? t : (JSON.parse(t) as Json));
    });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const next = async (pred: (m: Json | string) => boolean): Promise<Json> => {
      const m = await waitFor(() => {
        const i = inbox.findIndex(pred);
        return i < 0 ? undefined : inbox.splice(i, 1)[0];
      });
      return m as Json;
    };
    try {
      ws.send('ping');
      expect(await next((m) => m === 'pong')).toBe('pong');
      const { apiKey, secret, passphrase } = fake.credentials;
      // trading before login is refused
      ws.send(JSON.stringify({ id: 'x0', op: 'order', args: [{}] }));
      expect(await next((m) => typeof m === 'object' && m['id'] === 'x0')).toMatchObject({ code: '60011' });
      const ts = String(Math.floor(Date.now() / 1000));
      ws.send(JSON.stringify({ op: 'login', args: [{ apiKey, passphrase, timestamp: ts, sign: 'bad' }] }));
      expect(await next((m) => typeof m === 'object' && m['event'] === 'error')).toMatchObject({ code: '60007' });
      const sign = createHmac('sha256', secret).update(`${ts}GET/users/self/verify`).digest('base64');
      ws.send(JSON.stringify({ op: 'login', args: [{ apiKey, passphrase, timestamp: ts, sign }] }));
      expect(await next((m) => typeof m === 'object' && m['event'] === 'login')).toMatchObject({ code: '0' });
      ws.send(JSON.stringify({ op: 'subscribe', args: [{ channel: 'orders', instType: 'SPOT' }] }));
      expect(await next((m) => typeof m === 'object' && m['event'] === 'subscribe')).toMatchObject({ arg: { channel: 'orders', instType: 'SPOT' } });

      const order = { instId: 'SOL-USDT', tdMode: 'cash', side: 'buy', ordType: 'limit', sz: '2', px: '120', clOrdId: 'raw1' };
      ws.send(JSON.stringify({ id: 'o1', op: 'order', args: [order] }));
      const reply = await next((m) => typeof m === 'object' && m['id'] === 'o1');
      expect(reply).toMatchObject({ op: 'order', code: '0', data: [{ clOrdId: 'raw1', sCode: '0' }] });
      const push = await next((m) => typeof m === 'object' && m['arg']?.['channel'] === 'orders');
      expect(push['data'][0]).toMatchObject({ clOrdId: 'raw1', state: 'live', instId: 'SOL-USDT', px: '120', sz: '2' });

      ws.send(JSON.stringify({ id: 'o2', op: 'order', args: [order] }));
      expect(await next((m) => typeof m === 'object' && m['id'] === 'o2')).toMatchObject({ code: '1', data: [{ sCode: '51016' }] });

      ws.send(JSON.stringify({ id: 'b1', op: 'batch-orders', args: [{ ...order, clOrdId: 'raw2' }, { ...order, clOrdId: 'raw-bad' }] }));
      expect(await next((m) => typeof m === 'object' && m['id'] === 'b1')).toMatchObject({
        code: '2',
        data: [{ clOrdId: 'raw2', sCode: '0' }, { clOrdId: 'raw-bad', sCode: '51000' }],
      });
      ws.send(JSON.stringify({ id: 'c1', op: 'cancel-order', args: [{ instId: 'SOL-USDT', clOrdId: 'raw1' }] }));
      expect(await next((m) => typeof m === 'object' && m['id'] === 'c1')).toMatchObject({ code: '0', data: [{ clOrdId: 'raw1', sCode: '0' }] });
      const canceled = await next((m) => typeof m === 'object' && m['arg']?.['channel'] === 'orders' && m['data'][0]['state'] === 'canceled');
      expect(canceled['data'][0]).toMatchObject({ clOrdId: 'raw1', cancelSource: '1' });
    } finally {
      ws.close();
    }
  });
});
