import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeOrder } from '../../src/intake/order-decoder.js';
import { MAX_BODY_BYTES } from '../../src/api/http-server.js';
import { ACK_LATENCY_BUCKETS } from '../../src/telemetry/metrics.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { metricValue } from '../helpers/http.js';
import { pollUntil } from '../helpers/poll.js';
import { StreamClient, tryUpgrade } from '../helpers/ws-client.js';

/*
 * The control API in process: config/paper.yaml (two paper venues, BTC-USDT routed 3:1 to sim-a/sim-b,
 * ETH-USDT 1:1, SOL-USDT on sim-a only), with BTC-USDT minQty raised to 0.0001 so that "below minQty" differs
 * from "zero". Strategies: momentum (BTC, ETH; BTC maxOrderQty 2), market-maker (all three; maxOrderNotional 50000).
 */
let t: TestDaemon;

beforeAll(async () => {
  t = await startTestDaemon([[['instruments', 0, 'minQty'], '0.0001']]);
});

afterAll(async () => {
  await t?.stop();
});

/** A marketable BTC-USDT buy (the paper quote starts at 60000). */
const marketable = (o: Record<string, unknown> = {}) => ({ strategy: 'momentum', symbol: 'BTC-USDT', side: 'BUY', price: '70000', quantity: '0.001', ...o });
/** A BTC-USDT buy far below the market: it rests. */
const resting = (o: Record<string, unknown> = {}) => ({ strategy: 'momentum', symbol: 'BTC-USDT', side: 'BUY', price: '30000', quantity: '0.001', ...o });

function orderCount(): number {
  return t.daemon.path.tracker.list(false).length;
}

async function restingOrder(o: Record<string, unknown> = {}): Promise<any> {
  const r = await t.api.post('/v1/orders', resting(o));
  expect(r.status).toBe(201);
  return t.api.waitForState(r.body.orderId, 'ACCEPTED');
}

describe('health', () => {
  it('GET /health needs no token and says whether intake is open', async () => {
    const r = await t.api.get('/health', { token: null });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'ok', accepting: true, name: 'paper', venues: [{ name: 'sim-a', available: true }, { name: 'sim-b', available: true }] });
    expect(typeof r.body.uptimeMs).toBe('number');
    expect(typeof r.body.openOrders).toBe('number');
  });
});

describe('authentication', () => {
  const ROUTES: readonly [string, string, unknown?][] = [
    ['GET', '/v1/orders'],
    ['GET', '/v1/orders?state=open'],
    ['POST', '/v1/orders', marketable()],
    ['GET', '/v1/orders/1'],
    ['DELETE', '/v1/orders/1'],
    ['GET', '/v1/routes/BTC-USDT'],
    ['GET', '/metrics'],
    ['GET', '/no/such/route'],
    ['PUT', '/v1/orders'],
  ];
  const BAD_CREDENTIALS: readonly [string, { token?: string | null; authorization?: string }][] = [
    ['no Authorization header', { token: null }],
    ['a wrong token', { token: 'wrong-token-0123456789abcdef' }],
    ['a token prefix', { token: 'test-token' }],
    ['an empty bearer token', { authorization: 'Bearer ' }],
    ['Basic credentials', { authorization: `Basic ${Buffer.from(`user:${'test-token-0123456789abcdef'}`).toString('base64')}` }],
    ['the token without the Bearer scheme', { authorization: 'test-token-0123456789abcdef' }],
  ];

  for (const [what, creds] of BAD_CREDENTIALS) {
    it(`answers 401 UNAUTHORIZED on every route except /health with ${what}`, async () => {
      for (const [method, path, body] of ROUTES) {
        const r = await t.api.request(method, path, { ...creds, body });
        expect({ method, path, status: r.status, code: r.body?.error?.code }).toEqual({ method, path, status: 401, code: 'UNAUTHORIZED' });
        expect(r.headers.get('www-authenticate')).toBe('Bearer');
      }
    });
  }

  it('the token is not accepted in the query string of HTTP routes', async () => {
    const r = await t.api.get(`/v1/orders?token=${t.token}`, { token: null });
    expect(r.status).toBe(401);
  });

  it('nothing happens without the token: no order is created and no order is canceled', async () => {
    const open = await restingOrder();
    const before = orderCount();
    const post = await t.api.post('/v1/orders', marketable(), { token: 'wrong-token-0123456789abcdef' });
    expect(post.status).toBe(401);
    const del = await t.api.delete(`/v1/orders/${open.orderId}`, { token: null });
    expect(del.status).toBe(401);
    expect(orderCount()).toBe(before);
    expect(t.daemon.path.tracker.get(open.orderId)!.state).toBe('ACCEPTED');
    const ok = await t.api.delete(`/v1/orders/${open.orderId}`);
    expect(ok.status).toBe(202);
  });
});

describe('bad input', () => {
  type Case = readonly [name: string, body: unknown, status: number, code: string, field?: string];
  const CASES: readonly Case[] = [
    ['side is a number', marketable({ side: 5 }), 400, 'INVALID_FIELD', 'side'],
    ['quantity is a boolean', marketable({ quantity: true }), 400, 'INVALID_QUANTITY', 'quantity'],
    ['price is an object', marketable({ price: {} }), 400, 'INVALID_PRICE', 'price'],
    ['negative quantity', marketable({ quantity: -1 }), 400, 'INVALID_QUANTITY', 'quantity'],
    ['negative price', marketable({ price: '-70000' }), 400, 'INVALID_PRICE', 'price'],
    ['zero quantity', marketable({ quantity: 0 }), 400, 'INVALID_QUANTITY', 'quantity'],
    ['zero price', marketable({ price: '0' }), 400, 'INVALID_PRICE', 'price'],
    ['quantity "NaN"', marketable({ quantity: 'NaN' }), 400, 'INVALID_QUANTITY', 'quantity'],
    ['price "NaN"', marketable({ price: 'NaN' }), 400, 'INVALID_PRICE', 'price'],
    ['huge quantity', marketable({ quantity: '99999999999999999999999' }), 400, 'INVALID_QUANTITY', 'quantity'],
    ['huge price', marketable({ price: '99999999999999999999999' }), 400, 'INVALID_PRICE', 'price'],
    ['price off the tick', marketable({ price: '60000.001' }), 400, 'PRICE_NOT_ON_TICK', 'price'],
    ['quantity off the lot', marketable({ quantity: '0.000105' }), 400, 'QUANTITY_NOT_ON_LOT', 'quantity'],
    ['quantity below minQty', marketable({ quantity: '0.00009' }), 400, 'INVALID_QUANTITY', 'quantity'],
    ['below the minimum notional', marketable({ price: '40000', quantity: '0.0001' }), 400, 'BELOW_MIN_NOTIONAL', 'quantity'],
    ['unknown symbol', marketable({ symbol: 'DOGE-USDT' }), 400, 'UNKNOWN_SYMBOL', 'symbol'],
    ['unknown field', marketable({ leverage: 3 }), 400, 'UNKNOWN_FIELD', 'leverage'],
    ['bad client order id', marketable({ clientOrderId: 'has spaces' }), 400, 'INVALID_CLIENT_ORDER_ID', 'clientOrderId'],
    ['market order with a price', marketable({ type: 'MARKET' }), 400, 'INVALID_PRICE', 'price'],
    ['limit order without a price', { strategy: 'momentum', symbol: 'BTC-USDT', side: 'BUY', quantity: '0.001' }, 400, 'INVALID_PRICE', 'price'],
    ['stop order without stopPrice', { strategy: 'momentum', symbol: 'BTC-USDT', side: 'BUY', type: 'STOP', quantity: '0.001' }, 400, 'INVALID_PRICE', 'stopPrice'],
    ['postOnly on an IOC order', marketable({ postOnly: true, timeInForce: 'IOC' }), 400, 'INVALID_FIELD', 'postOnly'],
    ['a JSON array', [marketable()], 400, 'BAD_REQUEST'],
    ['a JSON string', 'buy', 400, 'BAD_REQUEST'],
    ['unknown strategy', marketable({ strategy: 'nobody' }), 400, 'UNKNOWN_STRATEGY'],
    ['pinned venue that does not list the symbol', marketable({ symbol: 'SOL-USDT', strategy: 'market-maker', price: '200', quantity: '1', venue: 'sim-b' }), 400, 'UNKNOWN_VENUE'],
    ['pinned venue that does not exist', marketable({ venue: 'sim-z' }), 400, 'UNKNOWN_VENUE'],
  ];

  for (const [name, body, status, code, field] of CASES) it(`${name} -> ${status} ${code}`, async () => {
    const before = orderCount();
    const rejectsBefore = metricValue(await t.api.metrics(), 'switchyard_rejects_total', { code });
    const r = await t.api.post('/v1/orders', body);
    expect(r.status).toBe(status);
    expect(r.body.error).toMatchObject({ code, retryable: false });
    expect(typeof r.body.error.message).toBe('string');
    expect(r.body.error.field).toBe(field);
    expect(r.body.orderId).toBeUndefined();
    expect(orderCount()).toBe(before);
    const rejectsAfter = metricValue(await t.api.metrics(), 'switchyard_rejects_total', { code });
    expect(rejectsAfter - rejectsBefore).toBe(1);
  });

  it('numbers beyond float range (1e400 -> Infinity) are refused', async () => {
    const raw = '{"strategy":"momentum","symbol":"BTC-USDT","side":"BUY","price":"70000","quantity":1e400}';
    const r = await t.api.request('POST', '/v1/orders', { raw });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'INVALID_QUANTITY', field: 'quantity' });
  });

  it('a number with more digits than a double holds is refused, not rounded (30000.000000000001 -> 400 INVALID_PRICE)', async () => {
    const before = orderCount();
    const raw = '{"strategy":"momentum","symbol":"BTC-USDT","side":"BUY","price":30000.000000000001,"quantity":"0.001"}';
    const r = await t.api.request('POST', '/v1/orders', { raw });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'INVALID_PRICE', field: 'price' });
    const q = await t.api.request('POST', '/v1/orders', { raw: '{"strategy":"momentum","symbol":"BTC-USDT","side":"BUY","price":"30000","quantity":0.00100000000000000001}' });
    expect(q.status).toBe(400);
    expect(q.body.error).toMatchObject({ code: 'INVALID_QUANTITY', field: 'quantity' });
    expect(orderCount()).toBe(before);
    // the same over the WebSocket (same decoder)
    const ws = await StreamClient.connect(t.wsUrl, t.token);
    try {
      ws.send('{"op":"submit","id":"p1","order":{"strategy":"momentum","symbol":"BTC-USDT","side":"BUY","price":30000.000000000001,"quantity":"0.001"}}');
      const res = await ws.next((m) => m.type === 'result' && m.id === 'p1');
      expect(res).toMatchObject({ ok: false, error: { code: 'INVALID_PRICE', field: 'price' } });
    } finally {
      await ws.close();
    }
    expect(orderCount()).toBe(before);
  });

  it('a key given twice in one object (at any depth, whatever its values, escaped or not) is a 400 BAD_REQUEST naming the key, over HTTP and the WebSocket: nothing is executed', async () => {
    const before = orderCount();
    // JSON.parse would read SELL: the body is refused, not executed as either side
    const sides = '{"strategy":"momentum","symbol":"BTC-USDT","side":"BUY","price":"30000","quantity":"0.001","clientOrderId":"dupKey1","side":"SELL"}';
    const r = await t.api.request('POST', '/v1/orders', { raw: sides });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'BAD_REQUEST', field: 'side' });
    expect(r.body.error.message).toContain('duplicate key "side"');
    // the same key spelt with an escape, and a dropped value holding a number a double cannot hold
    const escaped = await t.api.request('POST', '/v1/orders', { raw: sides.replace('"side":"SELL"', '"s\\u0069de":"SELL"') });
    expect(escaped.status).toBe(400);
    expect(escaped.body.error).toMatchObject({ code: 'BAD_REQUEST', field: 'side' });
    const order = '{"strategy":"momentum","symbol":"BTC-USDT","side":"BUY","price":{"a":{"b":{"c":30000.000000000001}}},"price":"30000","quantity":"0.001"}';
    const p = await t.api.request('POST', '/v1/orders', { raw: order });
    expect(p.status).toBe(400);
    expect(p.body.error).toMatchObject({ code: 'BAD_REQUEST', field: 'price' });
    expect(p.body.error.message).toContain('duplicate key "price"');
    const ws = await StreamClient.connect(t.wsUrl, t.token);
    try {
      ws.send(`{"op":"submit","id":"dup1","order":${sides}}`);
      const res = await ws.next((m) => m.type === 'result');
      expect(res).toMatchObject({ id: null, ok: false, error: { code: 'BAD_REQUEST', field: 'order.side' } });
      expect(res.error.message).toContain('duplicate key "side"');
      ws.send(`{"op":"submit","id":"dup2","order":${order}}`);
      const res2 = await ws.next((m) => m.type === 'result' && m !== res);
      expect(res2).toMatchObject({ id: null, ok: false, error: { code: 'BAD_REQUEST', field: 'order.price' } });
    } finally {
      await ws.close();
    }
    expect(orderCount()).toBe(before);
    // distinct keys pass
    const ok = await t.api.request('POST', '/v1/orders', { raw: sides.replace(',"side":"SELL"', '') });
    expect(ok.status).toBe(201);
    expect(orderCount()).toBe(before + 1);
  });

  it('a body that is not UTF-8 is a 400 BAD_REQUEST "body is not UTF-8", never read with U+FFFD in place of its bytes (submit, amend, admin)', async () => {
    const before = orderCount();
    const notUtf8 = (text: string): Buffer => Buffer.concat(text.split('\u00ff').flatMap((part, i) => (i === 0 ? [Buffer.from(part)] : [Buffer.from([0xff]), Buffer.from(part)])));
    const refused = { status: 400, error: { code: 'BAD_REQUEST', message: 'body is not UTF-8', retryable: false } };
    const answer = (r: { status: number; body: any }): unknown => ({ status: r.status, error: r.body?.error });
    // the submit fast path (a Content-Length body; chunked, through fastify's parser: submit-fast-path.test.ts)
    const order = notUtf8(JSON.stringify(resting({ clientOrderId: 'badUtf8\u00ff1' })));
    expect(answer(await t.api.request('POST', '/v1/orders', { raw: order }))).toEqual(refused);
    // a well-formed sequence is still read as itself (here: refused as no client order id may hold it)
    const ok = await t.api.request('POST', '/v1/orders', { raw: Buffer.from(JSON.stringify(resting({ clientOrderId: 'badUtf8\u00e91' }))) });
    expect(ok.body.error).toMatchObject({ code: 'INVALID_CLIENT_ORDER_ID' });
    expect(orderCount()).toBe(before);
    // an amend: refused before its fields are looked at, the order left as it was
    const a = await restingOrder();
    expect(answer(await t.api.request('PATCH', `/v1/orders/${a.orderId}`, { raw: notUtf8('{"price":"30001","quantity\u00ff":"0.002"}') }))).toEqual(refused);
    expect((await t.api.get(`/v1/orders/${a.orderId}?by=id`)).body).toMatchObject({ price: a.price, quantity: a.quantity });
    // a route whose body holds free text: not executed with the text changed
    const states = (await t.api.get('/v1/admin/state')).body;
    expect(answer(await t.api.request('POST', '/v1/admin/state', { raw: notUtf8('{"scope":"strategy","name":"momentum","state":"ACTIVE","reason":"caf\u00ff"}') }))).toEqual(refused);
    expect((await t.api.get('/v1/admin/state')).body).toEqual(states);
  });

  it('enum values are matched on ASCII letters only: ſell, ıoc, lımıt are refused', async () => {
    const before = orderCount();
    for (const [field, value] of [['side', 'ſell'], ['timeInForce', 'ıoc'], ['type', 'lımıt']] as const) {
      const r = await t.api.post('/v1/orders', resting({ [field]: value }));
      expect({ field, status: r.status, error: r.body.error?.code, at: r.body.error?.field }).toEqual({ field, status: 400, error: 'INVALID_FIELD', at: field });
    }
    expect(orderCount()).toBe(before);
  });

  it('invalid JSON -> 400 BAD_REQUEST; an empty body too', async () => {
    const before = orderCount();
    for (const raw of ['{"strategy": "momentum",', 'not json', '', '{"a":1}{"b":2}']) {
      const r = await t.api.request('POST', '/v1/orders', { raw });
      expect({ raw, status: r.status, code: r.body?.error?.code }).toEqual({ raw, status: 400, code: 'BAD_REQUEST' });
    }
    expect(orderCount()).toBe(before);
  });

  it('a body over 16 KiB -> 413 PAYLOAD_TOO_LARGE (declared length)', async () => {
    const before = orderCount();
    const big = JSON.stringify({ ...marketable(), clientOrderId: 'x'.repeat(MAX_BODY_BYTES) });
    expect(Buffer.byteLength(big)).toBeGreaterThan(16 * 1024);
    const r = await t.api.request('POST', '/v1/orders', { raw: big });
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(orderCount()).toBe(before);
    // the server still answers afterwards
    expect((await t.api.get('/health')).status).toBe(200);
  });

  it('a body over 16 KiB sent without a length (chunked) -> 413 PAYLOAD_TOO_LARGE', async () => {
    const chunk = Buffer.alloc(8 * 1024, 0x20);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 3) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await fetch(`${t.baseUrl}/v1/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(((await res.json()) as any).error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('a body of exactly 16 KiB is read', async () => {
    const base = JSON.stringify(marketable({ strategy: 'nobody' }));
    const padded = base.slice(0, -1) + ' '.repeat(MAX_BODY_BYTES - Buffer.byteLength(base)) + '}';
    expect(Buffer.byteLength(padded)).toBe(MAX_BODY_BYTES);
    const r = await t.api.request('POST', '/v1/orders', { raw: padded });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('UNKNOWN_STRATEGY');
  });

  it('unknown routes -> 404 NOT_FOUND; unknown orders -> 404 ORDER_NOT_FOUND', async () => {
    for (const path of ['/v1', '/v1/order', '/v1/orders/1/fills', '/v2/orders', '/health/x']) {
      const r = await t.api.get(path);
      expect({ path, status: r.status, code: r.body?.error?.code }).toEqual({ path, status: 404, code: 'NOT_FOUND' });
    }
    for (const id of ['987654321', 'noSuchClientId']) {
      const g = await t.api.get(`/v1/orders/${id}`);
      expect([g.status, g.body.error.code]).toEqual([404, 'ORDER_NOT_FOUND']);
      const d = await t.api.delete(`/v1/orders/${id}`);
      expect([d.status, d.body.error.code]).toEqual([404, 'ORDER_NOT_FOUND']);
    }
  });

  it('a malformed escape in an order id is a client error, not a crash', async () => {
    const r = await t.api.get('/v1/orders/%E0%A4%A');
    expect([r.status, r.body.error.code]).toEqual([404, 'ORDER_NOT_FOUND']);
    const s = await t.api.get('/v1/routes/%E0%A4%A');
    expect([s.status, s.body.error.code]).toEqual([400, 'UNKNOWN_SYMBOL']);
  });

  it('wrong methods -> 405 METHOD_NOT_ALLOWED', async () => {
    const cases: [string, string, { token?: null }?][] = [
      ['PUT', '/v1/orders'],
      ['PATCH', '/v1/orders'],
      ['PUT', '/v1/orders/1'],
      ['POST', '/v1/orders/1'],
      ['DELETE', '/v1/routes/BTC-USDT'],
      ['POST', '/metrics'],
      ['POST', '/health', { token: null }],
    ];
    for (const [method, path, opts] of cases) {
      const r = await t.api.request(method, path, opts);
      expect({ method, path, status: r.status, code: r.body?.error?.code }).toEqual({ method, path, status: 405, code: 'METHOD_NOT_ALLOWED' });
    }
  });

  it('?state= must be open, all or an order state', async () => {
    const r = await t.api.get('/v1/orders?state=bogus');
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('INVALID_FIELD');
    // a letter only Unicode upper-cases to one of ours is not it: "ſubmitted" (long s) is no state, "ſell" no side
    for (const q of ['state=%C5%BFubmitted', 'side=%C5%BFell']) {
      const u = await t.api.get(`/v1/orders?${q}`);
      expect([q, u.status, u.body.error?.code]).toEqual([q, 400, 'INVALID_FIELD']);
    }
    expect((await t.api.get('/v1/orders?state=submitted&side=sell')).status).toBe(200); // any ASCII case
  });

  it('TRADING_HALTED (503, retryable) while intake is closed', async () => {
    t.daemon.path.intake.close();
    try {
      const r = await t.api.post('/v1/orders', marketable());
      expect(r.status).toBe(503);
      expect(r.body.error).toMatchObject({ code: 'TRADING_HALTED', retryable: true });
      expect((await t.api.get('/health')).body.accepting).toBe(false);
    } finally {
      t.daemon.path.intake.open();
    }
  });
});

describe('risk denials', () => {
  it.each([
    ['RISK_MAX_ORDER_QTY', marketable({ price: '1000', quantity: '3' })],
    ['RISK_SYMBOL_NOT_ALLOWED', marketable({ symbol: 'SOL-USDT', price: '200', quantity: '1' })],
    ['RISK_MAX_NOTIONAL', marketable({ strategy: 'market-maker', price: '200000', quantity: '0.5' })],
  ])('%s -> 422 with the code and the id of the denied order', async (code, body) => {
    const before = metricValue(await t.api.metrics(), 'switchyard_rejects_total', { code });
    const r = await t.api.post('/v1/orders', body);
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe(code);
    expect(typeof r.body.orderId).toBe('number');
    const order = await t.api.get(`/v1/orders/${r.body.orderId}`);
    expect(order.body).toMatchObject({ state: 'DENIED', reason: code, venue: null });
    // one denial, counted once
    const after = metricValue(await t.api.metrics(), 'switchyard_rejects_total', { code });
    expect(after - before).toBe(1);
  });

  it('a denied order is not open and cannot be canceled', async () => {
    const r = await t.api.post('/v1/orders', marketable({ price: '1000', quantity: '3' }));
    expect(r.status).toBe(422);
    const open = await t.api.get('/v1/orders?state=open');
    expect(open.body.orders.map((o: any) => o.orderId)).not.toContain(r.body.orderId);
    const d = await t.api.delete(`/v1/orders/${r.body.orderId}`);
    expect([d.status, d.body.error.code]).toEqual([409, 'ORDER_NOT_CANCELABLE']);
  });
});

describe('answers about orders the daemon forgets at once (daemon.retainFinishedOrders: 1)', () => {
  // Finished orders beyond the retention are forgotten and their slots reused by new orders: an answer made after the
  // dispatcher's decision and the journal's wait must still describe its own order (observed: denied orders answered
  // with orderId -1, INTERNAL on the WebSocket, or the id of another request's live order).
  let d: TestDaemon;
  beforeAll(async () => {
    d = await startTestDaemon([[['daemon', 'retainFinishedOrders'], 1]]);
  });
  afterAll(async () => {
    await d?.stop();
  });
  const denied = (cid: string) => resting({ clientOrderId: cid, quantity: '3' }); // over momentum's BTC maxOrderQty 2

  it('HTTP: concurrent denials each name their own order; accepted orders theirs', async () => {
    for (let round = 0; round < 3; round++) {
      const rs = await Promise.all([
        ...Array.from({ length: 4 }, (_, i) => d.api.post('/v1/orders', denied(`fd${round}x${i}`))),
        ...Array.from({ length: 4 }, (_, i) => d.api.post('/v1/orders', resting({ clientOrderId: `fr${round}x${i}` }))),
      ]);
      const ids = rs.map((r) => r.body.orderId as number);
      for (const [i, r] of rs.entries()) {
        if (i < 4) expect([r.status, r.body.error?.code], JSON.stringify(r.body)).toEqual([422, 'RISK_MAX_ORDER_QTY']);
        else expect([r.status, r.body.clientOrderId], JSON.stringify(r.body)).toEqual([201, `fr${round}x${i - 4}`]);
        expect(ids[i], JSON.stringify(r.body)).toBeGreaterThan(0);
      }
      expect(new Set(ids).size, JSON.stringify(ids)).toBe(ids.length);
    }
  });

  it('WebSocket: every result of a batch describes its own order (denied, or canceled later in the batch)', async () => {
    const c = await StreamClient.connect(d.wsUrl, d.token);
    try {
      await c.next((m) => m.type === 'hello');
      c.send([
        ...Array.from({ length: 4 }, (_, i) => ({ op: 'submit', id: `d${i}`, order: denied(`wd${i}`) })),
        { op: 'submit', id: 'a', order: resting({ clientOrderId: 'wqa' }) },
        { op: 'cancel', id: 'ca', orderId: 'wqa', by: 'clientOrderId' },
        { op: 'submit', id: 'b', order: resting({ clientOrderId: 'wqb' }) },
        { op: 'cancel', id: 'cb', orderId: 'wqb', by: 'clientOrderId' },
      ]);
      c.send(Array.from({ length: 4 }, (_, i) => ({ op: 'submit', id: `r${i}`, order: resting({ clientOrderId: `wr${i}` }) })));
      const ids = ['d0', 'd1', 'd2', 'd3', 'a', 'ca', 'b', 'cb', 'r0', 'r1', 'r2', 'r3'];
      const r = new Map<string, any>();
      for (const id of ids) r.set(id, await c.next((m) => m.type === 'result' && m.id === id, 5000, `result ${id}`));
      for (let i = 0; i < 4; i++) {
        expect(r.get(`d${i}`), JSON.stringify(r.get(`d${i}`))).toMatchObject({ ok: false, error: { code: 'RISK_MAX_ORDER_QTY' }, order: { clientOrderId: `wd${i}`, state: 'DENIED' } });
        expect(r.get(`r${i}`), JSON.stringify(r.get(`r${i}`))).toMatchObject({ ok: true, order: { clientOrderId: `wr${i}` } });
      }
      for (const x of ['a', 'b']) expect(r.get(x), JSON.stringify(r.get(x))).toMatchObject({ ok: true, order: { clientOrderId: `wq${x}`, state: 'CANCELED' } });
      const orderIds = ids.filter((id) => !id.startsWith('c')).map((id) => r.get(id).order.orderId as number);
      for (const id of orderIds) expect(id).toBeGreaterThan(0);
      expect(new Set(orderIds).size, JSON.stringify(orderIds)).toBe(orderIds.length);
    } finally {
      await c.close();
    }
  });
});

describe('routes', () => {
  it('GET /v1/routes/:symbol: slot counts sum to 256 and follow the weights', async () => {
    const expected: Record<string, [Record<string, number>, Record<string, number>]> = {
      'BTC-USDT': [{ 'sim-a': 192, 'sim-b': 64 }, { 'sim-a': 3, 'sim-b': 1 }], // 3:1
      'ETH-USDT': [{ 'sim-a': 128, 'sim-b': 128 }, { 'sim-a': 1, 'sim-b': 1 }], // 1:1
      'SOL-USDT': [{ 'sim-a': 256 }, { 'sim-a': 1 }], // no entry: spread over the venues listing it (sim-a only)
    };
    for (const [symbol, [slots, weights]] of Object.entries(expected)) {
      const r = await t.api.get(`/v1/routes/${symbol}`);
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ symbol, slots, total: 256, weights });
      expect(Object.values(r.body.slots as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(256);
    }
  });

  it('GET /v1/positions: a filter given twice is refused, not read as its first value', async () => {
    expect((await t.api.get('/v1/positions?strategy=momentum')).status).toBe(200);
    for (const q of ['strategy=momentum&strategy=market-maker', 'symbol=BTC-USDT&symbol=ETH-USDT', 'venue=sim-a&venue=sim-a']) {
      const r = await t.api.get(`/v1/positions?${q}`);
      expect([r.status, r.body.error?.code, r.body.error?.field], q).toEqual([400, 'INVALID_FIELD', q.split('=')[0]]);
    }
  });

  it('an unknown symbol is 400 UNKNOWN_SYMBOL', async () => {
    const r = await t.api.get('/v1/routes/DOGE-USDT');
    expect([r.status, r.body.error.code]).toEqual([400, 'UNKNOWN_SYMBOL']);
  });
});

describe('order lifecycle over HTTP', () => {
  it('a marketable limit order is acknowledged, then FILLED; cancelling it is 409 ORDER_NOT_CANCELABLE', async () => {
    const r = await t.api.post('/v1/orders', marketable({ clientOrderId: 'httpFill1' }));
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      clientOrderId: 'httpFill1',
      strategy: 'momentum',
      symbol: 'BTC-USDT',
      side: 'BUY',
      type: 'LIMIT',
      timeInForce: 'GTC',
      priority: 'NORMAL',
      price: '70000.00',
      quantity: '0.00100',
    });
    expect(['SUBMITTED', 'ACCEPTED', 'FILLED']).toContain(r.body.state);
    expect(['sim-a', 'sim-b']).toContain(r.body.venue);
    const filled = await t.api.waitForState(r.body.orderId, 'FILLED');
    expect(filled).toMatchObject({ filledQty: '0.00100', orderId: r.body.orderId, venue: r.body.venue });
    expect(filled.venueOrderId).toMatch(/^sim-[ab]-\d+$/);
    expect(Number(filled.avgPrice)).toBeGreaterThan(50_000);
    expect(Number(filled.avgPrice)).toBeLessThanOrEqual(70_000);
    // the same order by client order id
    const byClient = await t.api.get('/v1/orders/httpFill1');
    expect(byClient.body.orderId).toBe(r.body.orderId);
    const d = await t.api.delete(`/v1/orders/${r.body.orderId}`);
    expect(d.status).toBe(409);
    expect(d.body.error.code).toBe('ORDER_NOT_CANCELABLE');
    const filledList = await t.api.get('/v1/orders?state=FILLED');
    expect(filledList.body.orders.map((o: any) => o.orderId)).toContain(r.body.orderId);
  });

  it('a filled order shows its arrival mid, slippage and fees; switchyard_slippage_bps observes its fills', async () => {
    const r = await t.api.post('/v1/orders', marketable({ clientOrderId: 'httpQuality1' }));
    expect(r.status).toBe(201);
    const filled = await t.api.waitForState(r.body.orderId, 'FILLED');
    // fees: exact decimals per currency, at least one
    expect(Array.isArray(filled.fees)).toBe(true);
    expect(filled.fees.length).toBeGreaterThan(0);
    for (const f of filled.fees) {
      expect(typeof f.currency).toBe('string');
      expect(f.amount).toMatch(/^-?\d+(\.\d+)?$/);
    }
    expect(filled).not.toHaveProperty('algo');
    expect(filled).not.toHaveProperty('trailingOffset');
    // with market data the order has an arrival mid and its slippage; without, both are null
    if (filled.arrivalMid === null) {
      expect(filled.slippageBps).toBeNull();
    } else {
      expect(filled.arrivalMid).toMatch(/^\d+\.\d+$/);
      const mid = Number(filled.arrivalMid);
      expect(filled.slippageBps).toBeCloseTo(((Number(filled.avgPrice) - mid) / mid) * 1e4, 1);
      const m = await t.api.get('/metrics');
      expect(m.status).toBe(200);
      expect(metricValue(m.text, 'switchyard_slippage_bps_count', { venue: filled.venue, route: filled.route })).toBeGreaterThan(0);
    }
  });

  it('a resting order is listed as open and can be canceled (202, then CANCELED)', async () => {
    const o = await restingOrder({ clientOrderId: 'httpRest1' });
    const open = await t.api.get('/v1/orders?state=open');
    expect(open.status).toBe(200);
    expect(open.body.orders.find((x: any) => x.orderId === o.orderId)).toMatchObject({ state: 'ACCEPTED', clientOrderId: 'httpRest1' });
    const accepted = await t.api.get('/v1/orders?state=accepted');
    expect(accepted.body.orders.map((x: any) => x.orderId)).toContain(o.orderId);
    const all = await t.api.get('/v1/orders');
    expect(all.body.orders.map((x: any) => x.orderId)).toContain(o.orderId);

    const d = await t.api.delete('/v1/orders/httpRest1');
    expect(d.status).toBe(202);
    expect(d.body).toMatchObject({ orderId: o.orderId, state: 'PENDING_CANCEL' });
    const canceled = await t.api.waitForState(o.orderId, 'CANCELED');
    expect(canceled.filledQty).toBe('0.00000');
    const again = await t.api.delete(`/v1/orders/${o.orderId}`);
    expect([again.status, again.body.error.code]).toEqual([409, 'ORDER_NOT_CANCELABLE']);
    const openAfter = await t.api.get('/v1/orders?state=open');
    expect(openAfter.body.orders.map((x: any) => x.orderId)).not.toContain(o.orderId);
  });

  it('a key of digits that is one order\'s id and another\'s client order id is refused until ?by= says which', async () => {
    const a = await restingOrder();
    const b = await restingOrder({ clientOrderId: String(a.orderId) }); // a strategy that numbers its client order ids
    expect(b.orderId).not.toBe(a.orderId);
    for (const [method, path] of [['get', `/v1/orders/${a.orderId}`], ['delete', `/v1/orders/${a.orderId}`]] as const) {
      const r = await t.api[method](path);
      expect([r.status, r.body.error.code], `${method} ${path}`).toEqual([400, 'INVALID_FIELD']);
      expect(r.body.error.message).toContain(`order ${a.orderId} and the client order id of order ${b.orderId}`);
    }
    const amend = await t.api.request('PATCH', `/v1/orders/${a.orderId}`, { body: { price: '30001' } });
    expect([amend.status, amend.body.error.code]).toEqual([400, 'INVALID_FIELD']);
    expect((await t.api.get(`/v1/orders/${a.orderId}?by=id`)).body.orderId).toBe(a.orderId);
    expect((await t.api.get(`/v1/orders/${a.orderId}?by=clientOrderId`)).body.orderId).toBe(b.orderId);
    const bad = await t.api.get(`/v1/orders/${a.orderId}?by=venueOrderId`);
    expect([bad.status, bad.body.error.code]).toEqual([400, 'INVALID_FIELD']);
    expect((await t.api.get(`/v1/orders/${b.clientOrderId}?by=id&by=id`)).status).toBe(400);
    // nothing was canceled on a guess: both still open; then each canceled by what names it
    expect((await t.api.get(`/v1/orders/${a.orderId}?by=id`)).body.state).toBe('ACCEPTED');
    expect((await t.api.get(`/v1/orders/${b.orderId}?by=id`)).body.state).toBe('ACCEPTED');
    const db = await t.api.delete(`/v1/orders/${a.orderId}?by=clientOrderId`);
    expect([db.status, db.body.orderId]).toEqual([202, b.orderId]);
    await t.api.waitForState(b.orderId, 'CANCELED');
    expect((await t.api.get(`/v1/orders/${a.orderId}?by=id`)).body.state).toBe('ACCEPTED');
    const da = await t.api.delete(`/v1/orders/${a.orderId}?by=id`);
    expect([da.status, da.body.orderId]).toEqual([202, a.orderId]);
    await t.api.waitForState(a.orderId, 'CANCELED');
    // a client order id of digits that is no order's id is found without ?by= (and not as an order id with by=id)
    const c = await restingOrder({ clientOrderId: '987654321' });
    expect((await t.api.get('/v1/orders/987654321')).body.orderId).toBe(c.orderId);
    expect((await t.api.get('/v1/orders/987654321?by=id')).status).toBe(404);
    expect((await t.api.delete('/v1/orders/987654321')).status).toBe(202);
  });

  it('a client order id in use -> 409 DUPLICATE_CLIENT_ORDER_ID', async () => {
    const first = await t.api.post('/v1/orders', resting({ clientOrderId: 'dupHttp1' }));
    expect(first.status).toBe(201);
    const second = await t.api.post('/v1/orders', resting({ clientOrderId: 'dupHttp1' }));
    expect([second.status, second.body.error.code]).toEqual([409, 'DUPLICATE_CLIENT_ORDER_ID']);
    await t.api.waitForState(first.body.orderId, 'ACCEPTED');
    expect((await t.api.delete(`/v1/orders/${first.body.orderId}`)).status).toBe(202);
  });

  it('an order pinned to a venue goes there', async () => {
    const r = await t.api.post('/v1/orders', marketable({ venue: 'sim-b' }));
    expect(r.status).toBe(201);
    expect(r.body.venue).toBe('sim-b');
    await t.api.waitForState(r.body.orderId, 'FILLED');
  });

  it('JSON numbers are taken exactly (0.1 stays 0.1)', async () => {
    const raw = '{"strategy":"momentum","symbol":"ETH-USDT","side":"SELL","price":9000.1,"quantity":0.1}';
    const r = await t.api.request('POST', '/v1/orders', { raw });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ price: '9000.10', quantity: '0.1000' });
    await t.api.waitForState(r.body.orderId, 'ACCEPTED');
    expect((await t.api.delete(`/v1/orders/${r.body.orderId}`)).status).toBe(202);
    await t.api.waitForState(r.body.orderId, 'CANCELED');
  });
});

describe('metrics', () => {
  it('GET /metrics exposes orders, rejects and the submit-to-ack histogram with sub-millisecond buckets', async () => {
    const r = await t.api.post('/v1/orders', marketable());
    await t.api.waitForState(r.body.orderId, 'FILLED');
    const res = await t.api.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = res.text;
    expect(text).toMatch(/^# TYPE switchyard_orders_total counter$/m);
    expect(text).toMatch(/^# TYPE switchyard_rejects_total counter$/m);
    expect(text).toMatch(/^# TYPE switchyard_submit_to_ack_seconds histogram$/m);
    expect(metricValue(text, 'switchyard_orders_total', { state: 'FILLED' })).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, 'switchyard_rejects_total')).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, 'switchyard_submit_to_ack_seconds_count')).toBeGreaterThanOrEqual(1);
    const bounds = [...text.matchAll(/^switchyard_submit_to_ack_seconds_bucket\{[^}]*le="([^"]+)"[^}]*\}/gm)].map((m) => m[1]);
    const subMs = ACK_LATENCY_BUCKETS.filter((b) => b < 0.001);
    expect(subMs.length).toBeGreaterThanOrEqual(3);
    for (const b of subMs) expect(bounds).toContain(String(b));
    expect(bounds).toContain('+Inf');
  });
});

describe('WebSocket stream', () => {
  it('says hello, answers submits, and streams events with increasing seq numbers', async () => {
    const ws = await StreamClient.connect(t.wsUrl, t.token);
    try {
      const hello = await ws.next((m) => m.type === 'hello', 5000, 'hello');
      expect(typeof hello.seq).toBe('number');
      expect(hello.seq).toBe(ws.messages[0].seq);
      expect(ws.messages[0].type).toBe('hello');

      const res = await ws.request({ op: 'submit', id: 'w1', order: marketable({ clientOrderId: 'wsFill1' }) });
      expect(res).toMatchObject({ type: 'result', id: 'w1', ok: true, order: { clientOrderId: 'wsFill1' } });
      const orderId = res.order.orderId;
      await ws.next((m) => m.type === 'event' && m.orderId === orderId && m.state === 'FILLED', 5000, 'the FILLED event');

      const rest = await ws.request({ op: 'submit', id: 2, order: resting() });
      expect(rest.ok).toBe(true);
      await ws.next((m) => m.type === 'event' && m.orderId === rest.order.orderId && m.state === 'ACCEPTED', 5000, 'ACCEPTED');
      const cancel = await ws.request({ op: 'cancel', id: 'c2', orderId: rest.order.orderId });
      expect(cancel).toMatchObject({ ok: true, order: { state: 'PENDING_CANCEL' } });
      await ws.next((m) => m.type === 'event' && m.orderId === rest.order.orderId && m.state === 'CANCELED', 5000, 'CANCELED');

      const events = ws.events();
      const mine = events.filter((e) => e.orderId === orderId);
      expect(mine.map((e) => e.event)).toEqual(expect.arrayContaining(['SUBMIT', 'ACCEPT', 'FILL']));
      const fillEvent = mine.find((e) => e.event === 'FILL');
      expect(fillEvent.fill).toMatchObject({ qty: '0.00100', liquidity: 'TAKER' });
      // every event after hello, in journal order, none repeated (seqs are journal seqs: orders take seqs too;
      // test/api/stream-resume.test.ts checks that none is missing)
      expect(events[0].seq).toBeGreaterThan(hello.seq);
      for (let i = 1; i < events.length; i++) expect(events[i].seq).toBeGreaterThan(events[i - 1].seq);
    } finally {
      await ws.close();
    }
  });

  it('refuses bad messages with a result, keeping the connection', async () => {
    const ws = await StreamClient.connect(t.wsUrl, t.token);
    try {
      ws.send('not json');
      const notJson = await ws.next((m) => m.type === 'result' && m.id === null);
      expect(notJson.error.code).toBe('BAD_REQUEST');
      expect((await ws.request({ op: 'dance', id: 'x1' })).error).toMatchObject({ code: 'INVALID_FIELD', field: 'op' });
      const bad = await ws.request({ op: 'submit', id: 'x2', order: marketable({ quantity: '0.000001' }) });
      expect(bad).toMatchObject({ ok: false, error: { code: 'QUANTITY_NOT_ON_LOT', field: 'quantity' } });
      const rejects = async (code: string) => metricValue(await t.api.metrics(), 'switchyard_rejects_total', { code });
      const before = await rejects('RISK_MAX_ORDER_QTY');
      const denied = await ws.request({ op: 'submit', id: 'x3', order: marketable({ price: '1000', quantity: '3' }) });
      expect(denied).toMatchObject({ ok: false, error: { code: 'RISK_MAX_ORDER_QTY' }, order: { state: 'DENIED' } });
      expect((await rejects('RISK_MAX_ORDER_QTY')) - before).toBe(1); // counted once, not once per layer
      const unknown = await ws.request({ op: 'cancel', id: 'x4', orderId: 'noSuchOrder' });
      expect(unknown).toMatchObject({ ok: false, error: { code: 'ORDER_NOT_FOUND' } });
      expect(ws.ws.readyState).toBe(ws.ws.OPEN);
    } finally {
      await ws.close();
    }
  });

  it('refuses the upgrade without the token (401), with a wrong one, and on another path (404)', async () => {
    expect(await tryUpgrade(t.wsUrl)).toBe(401);
    expect(await tryUpgrade(t.wsUrl, { authorization: 'Bearer wrong-token-0123456789abcdef' })).toBe(401);
    expect(await tryUpgrade(`${t.wsUrl}?token=wrong-token-0123456789abcdef`)).toBe(401);
    expect(await tryUpgrade(t.wsUrl.replace('/v1/stream', '/v1/other'), { authorization: `Bearer ${t.token}` })).toBe(404);
    // browsers cannot set headers: the token may come in the query string of the upgrade
    expect(await tryUpgrade(`${t.wsUrl}?token=${t.token}`)).toBe('open');
  });
});

describe('graceful stop', () => {
  async function twoResting(d: TestDaemon): Promise<number[]> {
    const ids: number[] = [];
    for (const o of [resting(), resting({ side: 'SELL', price: '90000', symbol: 'ETH-USDT', quantity: '0.01', strategy: 'market-maker' })]) {
      const r = await d.api.post('/v1/orders', o);
      expect(r.status).toBe(201);
      await d.api.waitForState(r.body.orderId, 'ACCEPTED');
      ids.push(r.body.orderId);
    }
    return ids;
  }

  it('cancel-all: resting orders end CANCELED, and the API stops answering', async () => {
    const d = await startTestDaemon([[['daemon', 'shutdown', 'policy'], 'cancel-all']]);
    try {
      const ids = await twoResting(d);
      await d.daemon.stop('test');
      for (const id of ids) expect(d.daemon.path.tracker.get(id)!.state).toBe('CANCELED');
      expect(d.daemon.path.tracker.open).toBe(0);
      expect(d.daemon.path.intake.isAccepting).toBe(false);
      await expect(fetch(`${d.baseUrl}/health`)).rejects.toThrow();
    } finally {
      await d.stop();
    }
  });

  it('leave: resting orders stay open at the venue', async () => {
    const d = await startTestDaemon([[['daemon', 'shutdown', 'policy'], 'leave']]);
    try {
      const ids = await twoResting(d);
      await d.daemon.stop('test');
      for (const id of ids) expect(d.daemon.path.tracker.get(id)!.state).toBe('ACCEPTED');
      expect(d.daemon.path.tracker.open).toBe(2);
    } finally {
      await d.stop();
    }
  });

  it('cancel-strategies: only the listed strategies are canceled', async () => {
    const d = await startTestDaemon([
      [['daemon', 'shutdown', 'policy'], 'cancel-strategies'],
      [['daemon', 'shutdown', 'strategies'], ['momentum']],
    ]);
    try {
      const [momentum, marketMaker] = await twoResting(d);
      await d.daemon.stop('test');
      expect(d.daemon.path.tracker.get(momentum!)!.state).toBe('CANCELED');
      expect(d.daemon.path.tracker.get(marketMaker!)!.state).toBe('ACCEPTED');
    } finally {
      await d.stop();
    }
  });

  it('orders still queued are canceled even with the leave policy (they never left)', async () => {
    const d = await startTestDaemon([[['daemon', 'shutdown', 'policy'], 'leave']]);
    try {
      const decoded = decodeOrder(resting(), d.daemon.instruments);
      if (!decoded.ok) throw new Error(decoded.error.message);
      const r = d.daemon.path.intake.submit(decoded.intent);
      if (!r.ok) throw new Error(r.message);
      expect(r.order.state).toBe('CREATED');
      const stopping = d.daemon.stop('test'); // before the dispatcher ran
      expect(r.order.state).toBe('CANCELED');
      await stopping;
      expect(r.order.venue).toBeUndefined();
      await pollUntil(() => r.order.state, (s) => s === 'CANCELED', { timeoutMs: 1000 });
    } finally {
      await d.stop();
    }
  });

  it('stop() is idempotent', async () => {
    const d = await startTestDaemon();
    const a = d.daemon.stop('one');
    const b = d.daemon.stop('two');
    expect(a).toBe(b);
    await a;
    await d.stop();
  });
});
