import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawExchange, type RawResponse } from '../../bench/lib/raw-http.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { metricValue } from '../helpers/http.js';

/*
 * POST /v1/orders has a path of its own past fastify (ApiServer.fastSubmit) for a plain request: a Content-Length
 * body, the token accepted. The same request sent with a chunked body goes through fastify. Every answer must be the
 * same both ways — status, headers (but the date), body (but the new order's own ids and times) and the refusals
 * counted — and anything unusual must still reach fastify's refusals.
 */
let t: TestDaemon;
let port: number;

beforeAll(async () => {
  t = await startTestDaemon();
  port = Number(new URL(t.baseUrl).port);
});

afterAll(async () => {
  await t?.stop();
});

/** Requests the fast path took so far (the daemon's API server's counter). */
function fastSubmits(): number {
  return (t.daemon as unknown as { api: { fastSubmits: number } }).api.fastSubmits;
}

function plain(target: string, body: string | Buffer, o: { token?: string; close?: boolean } = {}): Buffer {
  return Buffer.concat([Buffer.from(`POST ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${o.token ?? t.token}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n${o.close === false ? '' : 'Connection: close\r\n'}\r\n`), Buffer.from(body)]);
}

/** The same request with its body in two chunks (Transfer-Encoding: chunked): fastify answers it. */
function chunked(target: string, body: string | Buffer): Buffer {
  const bytes = Buffer.from(body);
  const chunk = (b: Buffer): Buffer[] => (b.length === 0 ? [] : [Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n')]);
  return Buffer.concat([
    Buffer.from(`POST ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${t.token}\r\nContent-Type: application/json\r\n` +
      'Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n'),
    ...chunk(bytes.subarray(0, bytes.length >> 1)), ...chunk(bytes.subarray(bytes.length >> 1)), Buffer.from('0\r\n\r\n'),
  ]);
}

async function one(data: string | Buffer): Promise<RawResponse> {
  const r = await rawExchange(port, data, { timeoutMs: 10_000, end: false, responses: 1 });
  expect(r.responses).toHaveLength(1);
  return r.responses[0]!;
}

/** What must match between the two paths: the status, every header but the date, and the body as JSON. */
function shape(r: RawResponse, ids: boolean): { status: number; headers: [string, string][]; body: unknown } {
  const headers = [...r.headers].filter(([k]) => k !== 'date').sort(([a], [b]) => a.localeCompare(b));
  const body = JSON.parse(r.body) as Record<string, unknown>;
  if (ids) {
    // the new order's own: its id, the client order id the daemon made, its times (and so the answer's length), and
    // the market's mid when it arrived (the paper venue's market moves on its own clock between the two requests)
    for (const k of ['orderId', 'clientOrderId', 'createdAt', 'updatedAt', 'arrivalMid']) if (k in body) body[k] = typeof body[k];
    return { status: r.status, headers: headers.filter(([k]) => k !== 'content-length'), body };
  }
  return { status: r.status, headers, body };
}

/**
 * The bytes the daemon sends back for `pieces` written one after the other on one connection (a pause between them,
 * so that each arrives as a read of its own), up to its close (the last request says Connection: close).
 */
function rawBytes(pieces: readonly (string | Buffer)[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const got: Buffer[] = [];
    const s = connect(port, '127.0.0.1');
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no close within 10 s; got ${JSON.stringify(Buffer.concat(got).toString('latin1'))}`));
    }, 10_000);
    s.on('data', (d: Buffer) => got.push(d));
    s.on('error', reject);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(got).toString('latin1'));
    });
    s.setNoDelay(true);
    let i = 0;
    const next = (): void => {
      s.write(pieces[i++]!);
      if (i < pieces.length) setTimeout(next, 30);
    };
    s.once('connect', next);
  });
}

/** The answers in `bytes` as text, each Date header's value masked (the only bytes that depend on the time). */
function masked(bytes: string): string {
  return bytes.replace(/\r\nDate: [^\r]*\r\n/g, '\r\nDate: *\r\n');
}

async function rejects(): Promise<string> {
  return (await t.api.get('/metrics')).text;
}

const order = (o: Record<string, unknown> = {}): string =>
  JSON.stringify({ strategy: 'momentum', symbol: 'BTC-USDT', side: 'BUY', price: '30000', quantity: '0.001', ...o });

describe('POST /v1/orders past fastify', () => {
  it('answers a plain submit itself, and every answer as fastify does', async () => {
    const cases: { name: string; target: string; body: string | Buffer; ids: boolean }[] = [
      { name: 'accepted, whole order', target: '/v1/orders', body: order(), ids: true },
      { name: 'accepted, ?result=ids', target: '/v1/orders?result=ids', body: order(), ids: true },
      { name: 'not JSON', target: '/v1/orders', body: '{"strategy":', ids: false },
      { name: 'no body', target: '/v1/orders', body: '', ids: false },
      { name: 'a number a double cannot hold', target: '/v1/orders', body: order({ quantity: 1e400 }).replace('"1e400"', '1e400'), ids: false },
      { name: 'not UTF-8 (a byte 0xff in the client order id)', target: '/v1/orders', body: Buffer.from(order({ clientOrderId: 'badUtf8\u00ff1' }), 'latin1'), ids: false },
      { name: 'an unknown field', target: '/v1/orders', body: order({ colour: 'red' }), ids: false },
      { name: 'an unknown strategy', target: '/v1/orders', body: order({ strategy: 'nobody' }), ids: false },
      { name: 'a bad ?result=', target: '/v1/orders?result=all', body: order(), ids: false },
      { name: 'denied by risk (names its order)', target: '/v1/orders', body: order({ quantity: '500' }), ids: true },
      { name: 'denied by risk, ?result=ids (the refusal names its order)', target: '/v1/orders?result=ids', body: order({ quantity: '500' }), ids: true },
      { name: 'accepted, ?result=order', target: '/v1/orders?result=order', body: order(), ids: true },
      { name: 'not JSON and a bad ?result= (the body is read first)', target: '/v1/orders?result=all', body: '{"strategy":', ids: false },
      { name: 'no body and a bad ?result= (the query is checked first)', target: '/v1/orders?result=all', body: '', ids: false },
      { name: 'no body, ?result=ids', target: '/v1/orders?result=ids', body: '', ids: false },
      { name: '?result= given twice', target: '/v1/orders?result=ids&result=ids', body: order(), ids: false },
      { name: 'an unknown strategy, ?result=ids', target: '/v1/orders?result=ids', body: order({ strategy: 'nobody' }), ids: false },
    ];
    for (const c of cases) {
      const before = fastSubmits();
      const metrics0 = await rejects();
      const fast = await one(plain(c.target, c.body));
      if (c.name.startsWith('not UTF-8')) expect(JSON.parse(fast.body), c.name).toMatchObject({ error: { code: 'BAD_REQUEST', message: 'body is not UTF-8' } });
      expect(fastSubmits(), c.name).toBe(before + 1);
      const metrics1 = await rejects();
      const slow = await one(chunked(c.target, c.body));
      expect(fastSubmits(), c.name).toBe(before + 1);
      const metrics2 = await rejects();
      expect(shape(fast, c.ids), c.name).toEqual(shape(slow, c.ids));
      // a refused order that never existed is counted by its code, once, either way
      const code = (JSON.parse(fast.body) as { error?: { code: string } }).error?.code;
      if (code !== undefined) {
        const n = (text: string): number => metricValue(text, 'switchyard_rejects_total', { code });
        expect(n(metrics1) - n(metrics0), c.name).toBe(n(metrics2) - n(metrics1));
      }
    }
  });

  it('keeps the connection: pipelined submits are answered in order on it', async () => {
    const before = fastSubmits();
    const data = Buffer.concat([
      plain('/v1/orders?result=ids', order({ clientOrderId: 'fastPipe1' }), { close: false }),
      plain('/v1/orders?result=ids', order({ clientOrderId: 'fastPipe2' }), { close: false }),
      plain('/v1/orders?result=ids', order({ clientOrderId: 'fastPipe1' })),
    ]);
    const r = await rawExchange(port, data, { timeoutMs: 10_000, end: false, responses: 3 });
    expect(r.responses.map((x) => x.status)).toEqual([201, 201, 409]);
    expect(r.responses.slice(0, 2).map((x) => (JSON.parse(x.body) as { clientOrderId: string }).clientOrderId)).toEqual(['fastPipe1', 'fastPipe2']);
    expect((JSON.parse(r.responses[2]!.body) as { error: { code: string } }).error.code).toBe('DUPLICATE_CLIENT_ORDER_ID');
    expect(fastSubmits()).toBe(before + 3);
  });

  it('answers byte for byte as it always has: status line, header lines in their order and case, body', async () => {
    // a refusal's body depends on nothing but the request: the whole answer is known
    const refused = '{"error":{"code":"BAD_REQUEST","message":"body is not valid JSON","retryable":false}}';
    const bad = '{"strategy":';
    const before = fastSubmits();
    expect(masked(await rawBytes([plain('/v1/orders', bad, { close: false }), plain('/v1/orders', bad)]))).toBe(
      `HTTP/1.1 400 Bad Request\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${refused.length}\r\nDate: *\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n${refused}` +
      `HTTP/1.1 400 Bad Request\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${refused.length}\r\nDate: *\r\nConnection: close\r\n\r\n${refused}`,
    );
    // an accepted order: its ids are its own, the rest of the answer is fixed
    const accepted = masked(await rawBytes([plain('/v1/orders?result=ids', order({ clientOrderId: 'fastBytes1' }))]));
    const m = /^HTTP\/1\.1 201 Created\r\ncontent-type: application\/json; charset=utf-8\r\ncontent-length: (\d+)\r\nDate: \*\r\nConnection: close\r\n\r\n(\{"orderId":\d+,"clientOrderId":"fastBytes1"\})$/.exec(accepted);
    expect(m, accepted).not.toBeNull();
    expect(Number(m![1])).toBe(m![2]!.length);
    expect(fastSubmits()).toBe(before + 3);
  });

  it('pipelined submits with a refusal between them: each answered, in the order sent', async () => {
    const before = fastSubmits();
    const data = Buffer.concat([
      plain('/v1/orders?result=ids', order({ clientOrderId: 'fastMixed1' }), { close: false }),
      plain('/v1/orders?result=ids', '{"strategy":', { close: false }),
      plain('/v1/orders?result=all', order({ clientOrderId: 'fastMixed3' }), { close: false }),
      plain('/v1/orders?result=ids', order({ clientOrderId: 'fastMixed2' })),
    ]);
    const r = await rawExchange(port, data, { timeoutMs: 10_000, end: false, responses: 4 });
    expect(r.responses.map((x) => x.status)).toEqual([201, 400, 400, 201]);
    const bodies = r.responses.map((x) => JSON.parse(x.body) as { clientOrderId?: string; error?: { code: string } });
    expect([bodies[0]!.clientOrderId, bodies[1]!.error?.code, bodies[2]!.error?.code, bodies[3]!.clientOrderId]).toEqual(['fastMixed1', 'BAD_REQUEST', 'INVALID_FIELD', 'fastMixed2']);
    expect(fastSubmits()).toBe(before + 4);
  });

  it('a request that arrives in pieces (head, then its body in two reads, split inside a character) is answered as a whole one', async () => {
    const before = fastSubmits();
    // a multi-byte character split between two reads must be joined before it is decoded (not U+FFFD twice)
    const body = Buffer.from(order({ clientOrderId: 'fastPieces1', note: 'caf\u00e9' }));
    const head = plain('/v1/orders?result=ids', body).subarray(0, -body.length);
    const cut = body.indexOf(0xc3) + 1;
    const answer = masked(await rawBytes([head, body.subarray(0, cut), body.subarray(cut)]));
    // "note" is not a field of an order: refused naming it, decoded whole
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ error: { code: 'UNKNOWN_FIELD', field: 'note' } });
    // the head itself in two reads too
    const whole = plain('/v1/orders?result=ids', order({ clientOrderId: 'fastPieces2' }));
    const bodyAt = whole.indexOf('\r\n\r\n') + 4;
    const accepted = masked(await rawBytes([whole.subarray(0, 20), whole.subarray(20, bodyAt), whole.subarray(bodyAt, bodyAt + 10), whole.subarray(bodyAt + 10)]));
    expect(accepted).toMatch(/^HTTP\/1\.1 201 Created\r\n[^]*\r\n\r\n\{"orderId":\d+,"clientOrderId":"fastPieces2"\}$/);
    expect(fastSubmits()).toBe(before + 2);
  });

  it('leaves to fastify what is not plain: no token, a wrong one, a body over the bound, another path', async () => {
    const before = fastSubmits();
    const noToken = await one(`POST /v1/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`);
    expect(noToken.status).toBe(401);
    expect(noToken.headers.get('www-authenticate')).toBe('Bearer');
    expect((await one(plain('/v1/orders', order(), { token: 'not-the-token' }))).status).toBe(401);
    const big = await rawExchange(port, `POST /v1/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${t.token}\r\nContent-Length: 20000\r\n\r\n{`, { timeoutMs: 10_000, end: false, responses: 1 });
    expect(big.responses.map((x) => x.status)).toEqual([413]);
    expect((await one(plain('/v1/orders/', order()))).status).toBe(404);
    expect((await one(plain('/v1/ordersX', order()))).status).toBe(404);
    expect(fastSubmits()).toBe(before);
  });

  it('a client that goes away half-way through its body: one answer at most (Node\'s parser refuses the cut body), nothing made', async () => {
    const before = fastSubmits();
    const orders = t.daemon.path.tracker.list(false).length;
    const head = `POST /v1/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${t.token}\r\nContent-Length: 200\r\n\r\n{"strategy":"momentum"`;
    const halfClosed = await rawExchange(port, head, { timeoutMs: 5_000, end: true });
    expect(halfClosed.responses.map((x) => x.status)).toEqual([400]);
    expect(fastSubmits()).toBe(before + 1);
    // reset at once: the daemon may or may not have read the head by then; either way nothing is made
    await rawExchange(port, head, { timeoutMs: 5_000, reset: true });
    expect(t.daemon.path.tracker.list(false).length).toBe(orders);
    expect((await one(plain('/v1/orders?result=ids', order()))).status).toBe(201);
  });
});
