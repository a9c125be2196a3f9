/**
 * Fault injection on the fake venues, seen through real ccxt and raw websockets: timeouts where the order does
 * (or does not) exist, 5xx, forced 429/418, dropped sockets, duplicated and reordered execution reports.
 */
import { createHmac } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { localBinance, localBinancePro, localOkx, localOkxPro, waitFor, within } from '../helpers/ccxt-local.js';
import { FaultInjector } from './faults.js';
import { type FakeVenues, startFakeVenues } from './index.js';

// ccxt's typings (Str = string | undefined) add nothing in these assertions.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;
type Json = Record<string, Loose>;

let venues: FakeVenues;

beforeAll(async () => {
  venues = await startFakeVenues();
});

afterAll(async () => {
  await venues.close();
});

afterEach(() => {
  venues.binance.reset();
  venues.okx.reset();
});

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

async function postJson(url: string, body: unknown): Promise<Json> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  return (await res.json()) as Json;
}

/** A raw ws-api connection subscribed to the 'main' account's user data stream; collects execution reports. */
async function binanceReports(): Promise<{ reports: Json[]; ws: WebSocket }> {
  const fake = venues.binance;
  const ws = new WebSocket(fake.urls.wsApi);
  const reports: Json[] = [];
  const replies: Json[] = [];
  ws.on('message', (d) => {
    const m = JSON.parse(String(d)) as Json;
    if (m['event']?.['e'] === 'executionReport') reports.push(m['event']);
    else if (m['id'] !== undefined) replies.push(m);
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const { apiKey, secret } = fake.credentials;
  const params: Record<string, string | number> = { apiKey, timestamp: Date.now() };
  const payload = Object.keys(params)
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
  const signature = createHmac('sha256', secret).update(payload).digest('hex');
  ws.send(JSON.stringify({ id: 'sub', method: 'userDataStream.subscribe.signature', params: { ...params, signature } }));
  const reply = await waitFor(() => replies.find((r) => r['id'] === 'sub'));
  expect(reply).toMatchObject({ status: 200, result: { subscriptionId: 0 } });
  return { reports, ws };
}

describe('fake Binance faults', () => {
  test('timeout on submit: the request hangs after the order was placed, the order exists', async () => {
    const fake = venues.binance;
    const ex: Loose = localBinance(fake.endpoints, { timeout: 300 });
    await ex.loadMarkets();
    fake.faults.add({ kind: 'hang', method: 'POST', path: '/api/v3/order', afterExecute: true, times: 1 });
    const err = await rejection(ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 50000, { clientOrderId: 'lost1' }));
    expect(err.constructor.name).toBe('RequestTimeout');
    const found = await ex.fetchOrder('', 'BTC/USDT', { clientOrderId: 'lost1' });
    expect(found.status).toBe('open');
    expect(fake.order({ clientOrderId: 'lost1' })?.open).toBe(true);
    // the rule was used up
    expect((await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 50000)).status).toBe('open');
  });

  test('a request that hangs before execution leaves nothing at the venue', async () => {
    const fake = venues.binance;
    const ex: Loose = localBinance(fake.endpoints, { timeout: 300 });
    await ex.loadMarkets();
    fake.faults.add({ kind: 'hang', method: 'POST', path: '/api/v3/order', times: 1 });
    expect((await rejection(ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 50000, { clientOrderId: 'gone1' }))).constructor.name).toBe(
      'RequestTimeout',
    );
    const err = await rejection(ex.fetchOrder('', 'BTC/USDT', { clientOrderId: 'gone1' }));
    expect(err.message).toContain('-2013');
  });

  test('a late answer (delay after execution) times out a short client and satisfies a patient one', async () => {
    const fake = venues.binance;
    const hasty: Loose = localBinance(fake.endpoints, { timeout: 150 });
    await hasty.loadMarkets();
    fake.faults.add({ kind: 'delay', ms: 600, method: 'POST', path: '/api/v3/order', afterExecute: true, times: 2 });
    expect((await rejection(hasty.createOrder('SOL/USDT', 'limit', 'buy', 1, 100, { clientOrderId: 'late1' }))).constructor.name).toBe(
      'RequestTimeout',
    );
    expect(fake.order({ clientOrderId: 'late1' })?.open).toBe(true);
    const patient: Loose = localBinance(fake.endpoints, { timeout: 5000 });
    await patient.loadMarkets();
    expect((await patient.createOrder('SOL/USDT', 'limit', 'buy', 1, 100, { clientOrderId: 'late2' })).status).toBe('open');
  });

  test('5xx through the admin route, before and after execution', async () => {
    const fake = venues.binance;
    const ex: Loose = localBinance(fake.endpoints);
    await ex.loadMarkets();
    const state = await postJson(`${fake.urls.admin}/faults`, {
      add: [
        { kind: 'error', status: 503, code: -1008, path: '/api/v3/account', times: 1 },
        { kind: 'error', status: 503, code: -1008, method: 'POST', path: '/api/v3/order', afterExecute: true, times: 1 },
      ],
    });
    expect(state['rules']).toHaveLength(2);
    const e1 = await rejection(ex.fetchBalance());
    expect(e1.message).toContain('-1008');
    expect((await ex.fetchBalance()).total['USDT']).toBeGreaterThan(0);
    // the same body whether the order executed or not: a real venue gives no hint
    const e2 = await rejection(ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 50000, { clientOrderId: 'unk1' }));
    expect(e2.message).toContain('-1008');
    expect((await ex.fetchOrder('', 'BTC/USDT', { clientOrderId: 'unk1' })).status).toBe('open');
    const cleared = await postJson(`${fake.urls.admin}/faults`, { clear: true });
    expect(cleared['rules']).toEqual([]);
  });

  test('5xx bodies: chosen by the rule or the seed, the same whether the request executed or not', async () => {
    const fake = venues.binance;
    const answers = async (afterExecute: boolean): Promise<string[]> => {
      fake.faults.apply({ clear: true, seed: 42, add: [{ kind: 'error', status: 503, body: 'any', path: '/api/v3/time', afterExecute, times: 12 }] });
      const out: string[] = [];
      for (let i = 0; i < 12; i++) {
        const res = await fetch(`${fake.urls.rest}/time`);
        out.push(`${res.status} ${res.headers.get('content-type')?.split(';')[0]} ${await res.text()}`);
      }
      return out;
    };
    const before = await answers(false);
    const after = await answers(true);
    expect(after).toEqual(before);
    expect(before.every((a) => a.startsWith('503 '))).toBe(true);
    expect(before.some((a) => a.includes('<html>'))).toBe(true);
    expect(before.some((a) => a.endsWith(' '))).toBe(true); // an empty body
    expect(before.some((a) => a.includes('"code":-10'))).toBe(true);
    // an explicit body and code
    fake.faults.apply({ clear: true, add: [{ kind: 'error', status: 500, code: -1000, path: '/api/v3/time', times: 1 }, { kind: 'error', status: 502, body: 'html', path: '/api/v3/time', times: 1 }] });
    expect(await (await fetch(`${fake.urls.rest}/time`)).json()).toMatchObject({ code: -1000 });
    expect(await (await fetch(`${fake.urls.rest}/time`)).text()).toContain('502 Bad Gateway');
  });

  test('a fault with a probability hits some requests, reproducibly for a seed', async () => {
    const fake = venues.binance;
    const run = async (): Promise<number[]> => {
      fake.faults.apply({ clear: true, seed: 7, add: [{ kind: 'error', probability: 0.5, path: '/api/v3/time' }] });
      const out: number[] = [];
      for (let i = 0; i < 30; i++) out.push((await fetch(`${fake.urls.rest}/time`)).status);
      return out;
    };
    const first = await run();
    expect(first.filter((x) => x === 503).length).toBeGreaterThan(5);
    expect(first.filter((x) => x === 200).length).toBeGreaterThan(5);
    expect(await run()).toEqual(first);
  });

  test('forced 429 and 418 with Retry-After', async () => {
    const fake = venues.binance;
    const ex: Loose = localBinance(fake.endpoints);
    await ex.loadMarkets();
    fake.faults.add({ kind: 'rate-limit', path: '/api/v3/openOrders', retryAfter: 7, times: 1 });
    fake.faults.add({ kind: 'ban', path: '/api/v3/openOrders', retryAfter: 99, times: 1 });
    const e429 = await rejection(ex.fetchOpenOrders('BTC/USDT'));
    expect(e429.constructor.name).toBe('DDoSProtection');
    expect(e429.message).toContain('429');
    const res = await fetch(`${fake.urls.rest}/openOrders?symbol=BTCUSDT`);
    expect(res.status).toBe(418);
    expect(res.headers.get('retry-after')).toBe('99');
    expect(await ex.fetchOpenOrders('BTC/USDT')).toEqual([]);
  });

  test('duplicate and out-of-order executionReports on the ws-api user stream', async () => {
    const fake = venues.binance;
    const ex: Loose = localBinance(fake.endpoints);
    await ex.loadMarkets();
    const { reports, ws } = await binanceReports();
    try {
      fake.faults.apply({ duplicateReports: 1 });
      const a = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 50000);
      await waitFor(() => reports.length >= 2);
      expect(reports.map((r) => [r['i'], r['x']])).toEqual([
        [Number(a.id), 'NEW'],
        [Number(a.id), 'NEW'],
      ]);
      expect(reports[0]['I']).toBe(reports[1]['I']);
      reports.length = 0;

      fake.faults.apply({ reorderReports: 1, reorderFlushMs: 5000 });
      const b = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 51000);
      fake.fill({ orderId: b.id }, '0.0004');
      await waitFor(() => reports.length >= 2);
      expect(reports.map((r) => [r['x'], r['X'], r['z']])).toEqual([
        ['TRADE', 'PARTIALLY_FILLED', '0.00040000'],
        ['NEW', 'NEW', '0.00000000'],
      ]);
      reports.length = 0;

      fake.faults.apply({ dropReports: 1 });
      fake.fill({ orderId: b.id }, '0.0001');
      fake.fill({ orderId: b.id }, '0.0001');
      await waitFor(() => reports.length >= 1);
      expect(reports.map((r) => r['z'])).toEqual(['0.00060000']);
    } finally {
      ws.close();
    }
  });

  test('dropped sockets: ccxt pro watchOrders fails, then reconnects and resubscribes', async () => {
    const fake = venues.binance;
    const ex: Loose = localBinance(fake.endpoints);
    const pro: Loose = await localBinancePro(fake.endpoints);
    try {
      await ex.loadMarkets();
      await pro.loadMarkets();
      const pending = pro.watchOrders('BTC/USDT');
      await waitFor(() => fake.userStreams('main') === 1);
      await postJson(`${fake.urls.admin}/drop-sockets`, {});
      const err = await rejection(pending);
      expect(err.constructor.name).toBe('NetworkError');
      const again = pro.watchOrders('BTC/USDT');
      await waitFor(() => fake.userStreams('main') === 1, 5000, 'resubscription');
      const o = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 50000);
      const seen: Loose = await within(again, 5000, 'again ws update');
      expect(seen[seen.length - 1].id).toBe(o.id);
    } finally {
      await pro.close();
    }
  });
});

describe('fake OKX faults', () => {
  test('timeout on submit: trade/order executed, answer withheld; look it up by clOrdId', async () => {
    const fake = venues.okx;
    const ex: Loose = localOkx(fake.endpoints, { timeout: 300 });
    await ex.loadMarkets();
    await postJson(`${fake.urls.admin}/faults`, { add: [{ kind: 'hang', path: '/api/v5/trade/order', method: 'POST', afterExecute: true, times: 1 }] });
    const err = await rejection(ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 50000, { clientOrderId: 'lost1' }));
    expect(err.constructor.name).toBe('RequestTimeout');
    const found = await ex.fetchOrder(undefined, 'BTC/USDT', { clOrdId: 'lost1' });
    expect(found.status).toBe('open');
  });

  test('5xx and forced 429 with OKX codes', async () => {
    const fake = venues.okx;
    const ex: Loose = localOkx(fake.endpoints);
    await ex.loadMarkets();
    fake.faults.add({ kind: 'error', status: 503, code: '50001', path: 'account/balance', times: 1 });
    fake.faults.add({ kind: 'rate-limit', path: 'trade/orders-pending', times: 1 });
    expect((await rejection(ex.fetchBalance())).message).toContain('50001');
    const rl = await rejection(ex.fetchOpenOrders('BTC/USDT'));
    expect(rl.constructor.name).toBe('RateLimitExceeded');
    expect(await ex.fetchOpenOrders('BTC/USDT')).toEqual([]);
  });

  test('duplicate pushes on the orders channel; dropped sockets and ccxt pro reconnecting', async () => {
    const fake = venues.okx;
    const ex: Loose = localOkx(fake.endpoints);
    const pro: Loose = await localOkxPro(fake.endpoints);
    try {
      await ex.loadMarkets();
      await pro.loadMarkets();
      const pending = pro.watchOrders('BTC/USDT');
      await waitFor(() => fake.userStreams('main') === 1);
      fake.dropSockets();
      expect((await rejection(pending)).constructor.name).toBe('NetworkError');

      // raw session to count pushes exactly
      const ws = new WebSocket(fake.urls.wsPrivate);
      const pushes: Json[] = [];
      ws.on('message', (d) => {
        const t = String(d);
        if (t !== 'pong') pushes.push(JSON.parse(t) as Json);
      });
      await new Promise((resolve) => ws.once('open', resolve));
      const { apiKey, secret, passphrase } = fake.credentials;
      const ts = String(Math.floor(Date.now() / 1000));
      const sign = createHmac('sha256', secret).update(`${ts}GET/users/self/verify`).digest('base64');
      ws.send(JSON.stringify({ op: 'login', args: [{ apiKey, passphrase, timestamp: ts, sign }] }));
      await waitFor(() => pushes.some((p) => p['event'] === 'login'));
      ws.send(JSON.stringify({ op: 'subscribe', args: [{ channel: 'orders', instType: 'ANY' }] }));
      await waitFor(() => pushes.some((p) => p['event'] === 'subscribe'));
      fake.faults.apply({ duplicateReports: true });
      const o = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 50000);
      const orders = await waitFor(() => {
        const list = pushes.filter((p) => p['arg']?.['channel'] === 'orders' && p['data'] !== undefined);
        return list.length >= 2 ? list : undefined;
      });
      expect(orders.map((p) => [p['data'][0]['ordId'], p['data'][0]['state']])).toEqual([
        [o.id, 'live'],
        [o.id, 'live'],
      ]);
      await new Promise((resolve) => {
        ws.once('close', resolve);
        ws.close();
      });
      await waitFor(() => fake.userStreams('main') === 0);
      fake.faults.apply({ duplicateReports: false });

      // ccxt pro logs in again and resubscribes on the next watch
      const again = pro.watchOrders('BTC/USDT');
      await waitFor(() => fake.userStreams('main') === 1, 5000, 'resubscription');
      const o2 = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 50001);
      const seen: Loose = await within(again, 5000, 'again ws update');
      expect(seen[seen.length - 1].id).toBe(o2.id);
    } finally {
      await pro.close();
    }
  });
});

describe('websocket API faults', () => {
  test('OKX ws op: executed but never answered, then an error reply with 50004', async () => {
    const fake = venues.okx;
    const ws = new WebSocket(fake.urls.wsPrivate);
    const inbox: Json[] = [];
    ws.on('message', (d) => {
      const t = String(d);
      if (t !== 'pong') inbox.push(JSON.parse(t) as Json);
    });
    await new Promise((resolve) => ws.once('open', resolve));
    try {
      const { apiKey, secret, passphrase } = fake.credentials;
      const ts = String(Math.floor(Date.now() / 1000));
      const sign = createHmac('sha256', secret).update(`${ts}GET/users/self/verify`).digest('base64');
      ws.send(JSON.stringify({ op: 'login', args: [{ apiKey, passphrase, timestamp: ts, sign }] }));
      await waitFor(() => inbox.some((m) => m['event'] === 'login'));
      fake.faults.add({ kind: 'hang', transport: 'ws', path: 'order', afterExecute: true, times: 1 });
      fake.faults.add({ kind: 'error', transport: 'ws', path: 'order', code: '50013', afterExecute: true, times: 1 });
      const order = { instId: 'ETH-USDT', tdMode: 'cash', side: 'sell', ordType: 'limit', sz: '0.5', px: '3500' };
      ws.send(JSON.stringify({ id: 'h1', op: 'order', args: [{ ...order, clOrdId: 'wshang1' }] }));
      await waitFor(() => fake.order({ clientOrderId: 'wshang1' })?.open);
      ws.send(JSON.stringify({ id: 'e1', op: 'order', args: [{ ...order, clOrdId: 'wserr1' }] }));
      const reply = await waitFor(() => inbox.find((m) => m['id'] === 'e1'));
      expect(reply).toMatchObject({ op: 'order', code: '50013', data: [] });
      expect(fake.order({ clientOrderId: 'wserr1' })?.open).toBe(true);
      expect(inbox.some((m) => m['id'] === 'h1')).toBe(false);
    } finally {
      ws.close();
    }
  });

  test('Binance ws-api: forced 429 reply carries status and rateLimits', async () => {
    const fake = venues.binance;
    const ws = new WebSocket(fake.urls.wsApi);
    const inbox: Json[] = [];
    ws.on('message', (d) => inbox.push(JSON.parse(String(d)) as Json));
    await new Promise((resolve) => ws.once('open', resolve));
    try {
      fake.faults.add({ kind: 'rate-limit', transport: 'ws', path: 'ping', retryAfter: 3, times: 1 });
      ws.send(JSON.stringify({ id: 'p1', method: 'ping', params: {} }));
      ws.send(JSON.stringify({ id: 'p2', method: 'ping', params: {} }));
      const [p1, p2] = await waitFor(() => {
        const a = inbox.find((m) => m['id'] === 'p1');
        const b = inbox.find((m) => m['id'] === 'p2');
        return a && b ? [a, b] : undefined;
      });
      expect(p1).toMatchObject({ status: 429, error: { code: -1003 } });
      expect(p2).toMatchObject({ status: 200, result: {} });
      expect(p2['rateLimits'][0]).toMatchObject({ rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE' });
    } finally {
      ws.close();
    }
  });
});

describe('stale-read: the read path lags the matching engine', () => {
  test('the rule: orders younger than ms are hidden (every order without ms); never acted on by the request pipeline', () => {
    const f = new FaultInjector();
    f.add({ kind: 'stale-read', ms: 100 });
    expect(f.match('rest', 'GET', '/api/v3/order')).toBeUndefined();
    const r = f.staleRead('rest', 'GET', '/api/v3/order')!;
    expect([r.hides(1000, 1000), r.hides(1000, 1099), r.hides(1000, 1100), r.hides(1000, 5000)]).toEqual([true, true, false, false]);
    f.apply({ rules: [{ kind: 'stale-read', path: '/api/v3/order', transport: 'rest', times: 2 }] });
    expect(f.staleRead('ws', 'order.status', 'order.status')).toBeUndefined(); // narrowed to REST
    expect(f.staleRead('rest', 'GET', '/api/v3/openOrders')).toBeUndefined(); // and to that path
    expect(f.staleRead('rest', 'GET', '/api/v3/order')!.hides(0, 3_600_000)).toBe(true);
    expect(f.state().rules[0]).toMatchObject({ remaining: 1, hits: 1 });
    expect(f.staleRead('rest', 'GET', '/api/v3/order')).toBeDefined();
    expect(f.staleRead('rest', 'GET', '/api/v3/order')).toBeUndefined(); // times used up
    expect(f.state().rules).toEqual([]);
    expect(() => f.add({ kind: 'stale-read', ms: -1 })).toThrow(TypeError);
  });

  test('Binance: a young order is "Order does not exist." (-2013) to REST and ws-api queries, exactly as an unknown one; it trades, cancels and reports as usual', async () => {
    const fake = venues.binance;
    const ex: Loose = localBinance(fake.endpoints);
    await ex.loadMarkets();
    const unknown = await rejection(ex.fetchOrder('', 'BTC/USDT', { clientOrderId: 'neverplaced1' }));
    const { reports, ws } = await binanceReports();
    try {
      fake.faults.add({ kind: 'stale-read', ms: 60_000 });
      await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.002, 50000, { clientOrderId: 'stale1' });
      expect(fake.order({ clientOrderId: 'stale1' })?.open).toBe(true);
      const hidden = await rejection(ex.fetchOrder('', 'BTC/USDT', { clientOrderId: 'stale1' }));
      expect(hidden.constructor.name).toBe(unknown.constructor.name);
      expect(hidden.message).toBe(unknown.message);
      expect(hidden.message).toContain('{"code":-2013,"msg":"Order does not exist."}');
      expect(await ex.fetchOpenOrders('BTC/USDT')).toEqual([]);
      // the ws-api's order query: the same answer as for an id it never saw
      const wsQuery = async (id: string, clientOrderId: string): Promise<Json> => {
        const { apiKey, secret } = fake.credentials;
        const params: Record<string, string | number> = { apiKey, origClientOrderId: clientOrderId, symbol: 'BTCUSDT', timestamp: Date.now() };
        const payload = Object.keys(params).sort().map((k) => `${k}=${params[k]}`).join('&');
        const signature = createHmac('sha256', secret).update(payload).digest('hex');
        const inbox: Json[] = [];
        const onMessage = (d: unknown): void => {
          const m = JSON.parse(String(d)) as Json;
          if (m['id'] === id) inbox.push(m);
        };
        ws.on('message', onMessage);
        try {
          ws.send(JSON.stringify({ id, method: 'order.status', params: { ...params, signature } }));
          return await waitFor(() => inbox[0]);
        } finally {
          ws.off('message', onMessage);
        }
      };
      const [wsHidden, wsUnknown] = [await wsQuery('q1', 'stale1'), await wsQuery('q2', 'neverplaced1')];
      expect(wsHidden).toMatchObject({ status: 400, error: { code: -2013, msg: 'Order does not exist.' } });
      expect(wsHidden['error']).toEqual(wsUnknown['error']);
      // the matching engine has it: it trades, its reports go out, it can be canceled
      fake.fill({ clientOrderId: 'stale1' }, '0.001');
      await waitFor(() => reports.some((r) => r['c'] === 'stale1' && r['x'] === 'TRADE'));
      expect(reports.filter((r) => r['c'] === 'stale1').map((r) => r['x'])).toEqual(['NEW', 'TRADE']);
      await ex.cancelOrder(undefined, 'BTC/USDT', { origClientOrderId: 'stale1' });
      expect(fake.order({ clientOrderId: 'stale1' })).toMatchObject({ open: false, filled: '0.001' });
      // the read path catches up
      fake.faults.apply({ rules: [] });
      expect(await ex.fetchOrder('', 'BTC/USDT', { clientOrderId: 'stale1' })).toMatchObject({ status: 'canceled', filled: 0.001 });
    } finally {
      ws.close();
    }
  });

  test('Binance: by age, an order shows once it is older than ms; by count, `times` queries hide it', async () => {
    const fake = venues.binance;
    const ex: Loose = localBinance(fake.endpoints);
    await ex.loadMarkets();
    fake.faults.add({ kind: 'stale-read', ms: 300 });
    await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 50000, { clientOrderId: 'stale2' });
    const created = fake.order({ clientOrderId: 'stale2' })!.created;
    const refusedAt: number[] = [];
    const shown = await waitFor(async () => {
      const asked = Date.now();
      try {
        return { order: await ex.fetchOrder('', 'BTC/USDT', { clientOrderId: 'stale2' }), at: Date.now() };
      } catch (e) {
        expect((e as Error).message).toContain('-2013');
        refusedAt.push(asked);
        return undefined;
      }
    });
    expect(shown.order.status).toBe('open');
    expect(shown.at - created).toBeGreaterThanOrEqual(300); // never shown younger than ms
    for (const t of refusedAt) expect(t - created).toBeLessThan(300); // never hidden older than ms
    fake.faults.apply({ rules: [{ kind: 'stale-read', path: '/api/v3/order', times: 2 }] });
    expect((await ex.fetchOpenOrders('BTC/USDT')).map((o: Loose) => o.clientOrderId)).toEqual(['stale2']); // another path
    for (let i = 0; i < 2; i++) expect((await rejection(ex.fetchOrder('', 'BTC/USDT', { clientOrderId: 'stale2' }))).message).toContain('-2013');
    expect((await ex.fetchOrder('', 'BTC/USDT', { clientOrderId: 'stale2' })).status).toBe('open');
    expect(fake.faults.state().rules).toEqual([]);
  });

  test('OKX: a young order is 51603 "Order does not exist", exactly as an unknown one, and left out of orders-pending; cancels still work', async () => {
    const fake = venues.okx;
    const ex: Loose = localOkx(fake.endpoints);
    await ex.loadMarkets();
    const unknown = await rejection(ex.fetchOrder(undefined, 'BTC/USDT', { clOrdId: 'neverplaced1' }));
    await postJson(`${fake.urls.admin}/faults`, { add: [{ kind: 'stale-read', ms: 60_000 }] });
    await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.002, 50000, { clientOrderId: 'stale1' });
    expect(fake.order({ clientOrderId: 'stale1' })?.open).toBe(true);
    const hidden = await rejection(ex.fetchOrder(undefined, 'BTC/USDT', { clOrdId: 'stale1' }));
    expect(hidden.constructor.name).toBe(unknown.constructor.name);
    expect(hidden.message).toBe(unknown.message);
    expect(hidden.message).toContain('51603');
    expect(hidden.message).toContain('Order does not exist');
    expect(await ex.fetchOpenOrders('BTC/USDT')).toEqual([]);
    fake.fill({ clientOrderId: 'stale1' }, '0.001');
    await ex.cancelOrder(undefined, 'BTC/USDT', { clOrdId: 'stale1' });
    expect(fake.order({ clientOrderId: 'stale1' })).toMatchObject({ open: false, filled: '0.001' });
    await postJson(`${fake.urls.admin}/faults`, { rules: [] });
    expect(await ex.fetchOrder(undefined, 'BTC/USDT', { clOrdId: 'stale1' })).toMatchObject({ status: 'canceled', filled: 0.001 });
  });
});

describe('admin API', () => {
  test('orders, fills, balances, taker, reseed and reset over HTTP', async () => {
    const fake = venues.binance;
    const admin = fake.urls.admin;
    const taker = await postJson(`${admin}/taker`, { symbol: 'BTC-USDT', side: 'buy', qty: '0.7' });
    expect(taker).toMatchObject({ account: 'other', status: 'FILLED', filled: '0.7', venueSymbol: 'BTCUSDT' });
    const fills = (await (await fetch(`${admin}/fills?account=other`)).json()) as Json[];
    expect(fills.map((f) => [f['price'], f['qty']])).toEqual([
      ['60010', '0.5'],
      ['60020', '0.2'],
    ]);
    const ladder = (await (await fetch(`${admin}/orders?account=liquidity&symbol=BTC-USDT&open=true`)).json()) as Json[];
    expect(ladder).toHaveLength(19);
    await postJson(`${admin}/reseed`, { symbol: 'BTC-USDT' });
    expect(fake.orders({ account: 'liquidity', symbol: 'BTC-USDT', open: true })).toHaveLength(20);
    const balances = (await (await fetch(`${admin}/balances?account=main`)).json()) as Json;
    expect(balances['USDT']).toEqual({ free: '1000000', locked: '0' });
    await postJson(`${admin}/reset`, {});
    expect(fake.orders({ account: 'other' })).toEqual([]);
    const unknown = await fetch(`${admin}/fill`, { method: 'POST', body: JSON.stringify({ orderId: '1' }) });
    expect(unknown.status).toBe(400);
  });
});
