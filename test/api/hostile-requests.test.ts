import { connect, type Socket } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invalidOrderBody, protectedRoute, validOrderBody } from '../../bench/lib/api-fuzz-cases.js';
import { rawExchange, ResponseParser, type ExchangeResult, type RawResponse } from '../../bench/lib/raw-http.js';
import { Prng } from '../../adapters/paper/prng.js';
import { MAX_BODY_BYTES } from '../../src/api/http-server.js';
import { ERROR_CATALOGUE, isErrorCode } from '../../src/model/errors.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { pollUntil } from '../helpers/poll.js';
import { StreamClient } from '../helpers/ws-client.js';

/*
 * Hostile and malformed requests against the API in process (config/paper.yaml, API-only strategies), over raw TCP:
 * request targets `new URL` cannot parse (which used to end the process from outside the request's try block),
 * upgrades to them, request lines Node's parser refuses, bodies the server must not read, and a fast-check property
 * over methods, paths, percent-encoding, headers, credentials, bodies and upgrades. A crash of the daemon here is a
 * crash of this test process: vitest reports it as an error.
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

const auth = (): string => `Authorization: Bearer ${t.token}\r\n`;

function request(method: string, target: string, o: { token?: boolean; body?: string; headers?: string } = {}): string {
  const body = o.body ?? '';
  return `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${o.token === true ? auth() : ''}${o.headers ?? ''}` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

async function exchange(data: string | Buffer, o: { end?: boolean; responses?: number } = {}): Promise<ExchangeResult> {
  return rawExchange(port, data, { timeoutMs: 10_000, end: o.end ?? true, ...(o.responses !== undefined ? { responses: o.responses } : {}) });
}

/** The body is the catalogue's error body for the status: {error: {code, message, retryable}}, code answering it. */
function expectCatalogueError(r: RawResponse, statuses: readonly number[]): void {
  expect(statuses).toContain(r.status);
  expect(r.headers.get('content-type')).toMatch(/^application\/json/);
  const body = JSON.parse(r.body) as { error: { code: string; message: string; retryable: boolean } };
  expect(isErrorCode(body.error.code)).toBe(true);
  expect(ERROR_CATALOGUE[body.error.code as keyof typeof ERROR_CATALOGUE].http).toBe(r.status);
  expect(typeof body.error.message).toBe('string');
}

async function expectHealthy(): Promise<void> {
  const r = await exchange(request('GET', '/health'));
  expect(r.responses.map((x) => x.status)).toEqual([200]);
}

const BAD_TARGETS = ['//', '/\\', '//:99999/', '//localhost/health', '///', '//[::1]:1/', '/\\\\host'];

describe('request targets new URL() cannot parse', () => {
  for (const method of ['POST', 'GET', 'DELETE', 'PUT']) {
    it(`${method} on ${BAD_TARGETS.join(' ')} answers 404 or 401 (no token) with a catalogue body; the daemon lives on`, async () => {
      for (const target of BAD_TARGETS) {
        for (const token of [false, true]) {
          const r = await exchange(request(method, target, { token, body: method === 'POST' || method === 'PUT' ? '{}' : '' }));
          expect({ target, token, statuses: r.responses.map((x) => x.status) }).toEqual({ target, token, statuses: [token ? 404 : 401] });
          expectCatalogueError(r.responses[0]!, token ? [404] : [401]);
        }
      }
      await expectHealthy();
    });
  }

  it('a target that is not a path at all (*, an authority, a fragment) is a 400 with a catalogue body', async () => {
    for (const target of ['*', 'localhost:7480', 'health', '/health#x', 'http:/health']) {
      const r = await exchange(request('GET', target, { token: true }));
      expect({ target, statuses: r.responses.map((x) => x.status) }).toEqual({ target, statuses: [400] });
      expectCatalogueError(r.responses[0]!, [400]);
    }
    await expectHealthy();
  });

  it('routes match the path as sent: the absolute form works, dot segments and stray slashes are not routes', async () => {
    const abs = await exchange(request('GET', `http://127.0.0.1:${port}/v1/orders?state=open`, { token: true }));
    expect(abs.responses.map((x) => x.status)).toEqual([200]);
    for (const target of ['/v1/../health', '/v1//orders', '/v1/orders/', '/%2e%2e/health']) {
      const r = await exchange(request('GET', target, { token: true }));
      expect({ target, statuses: r.responses.map((x) => x.status) }).toEqual({ target, statuses: [404] });
    }
  });

  it('a WebSocket upgrade to a bad target is refused with a catalogue body (400/404/401); the stream still works', async () => {
    const upgrade = (target: string, token: boolean): string =>
      `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${token ? auth() : ''}Upgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;
    for (const target of [...BAD_TARGETS, '*', '/v1/stream#x', '/v1/streams']) {
      for (const token of [false, true]) {
        const r = await exchange(upgrade(target, token), { end: false, responses: 1 });
        expect(r.responses).toHaveLength(1);
        expectCatalogueError(r.responses[0]!, [400, 404]);
      }
    }
    const unauthorized = await exchange(upgrade('/v1/stream', false), { end: false, responses: 1 });
    expectCatalogueError(unauthorized.responses[0]!, [401]);
    // Clients that reset the connection right after asking (the refusal then meets a dead socket).
    for (let i = 0; i < 20; i++) await rawExchange(port, upgrade(BAD_TARGETS[i % BAD_TARGETS.length]!, i % 2 === 0), { timeoutMs: 5000, reset: true });
    const ws = await StreamClient.connect(t.wsUrl, t.token);
    await ws.next((m) => m.type === 'hello');
    await ws.close();
    await expectHealthy();
  });

  it('a request line or header the HTTP parser refuses gets a 400 with a catalogue body', async () => {
    for (const raw of ['GET / HTTP/9.9\r\n\r\n', 'GET /a\u0000b HTTP/1.1\r\n\r\n', 'GET / HTTP/1.1\r\nBad Header\r\n\r\n', 'NOT A REQUEST\r\n\r\n']) {
      const r = await exchange(raw);
      expect({ raw, statuses: r.responses.map((x) => x.status) }).toEqual({ raw, statuses: [400] });
      expectCatalogueError(r.responses[0]!, [400]);
    }
    await expectHealthy();
  });

  it('a CONNECT request (Node would close it unanswered) is a 405 with a catalogue body, then the connection closes; a reset one is survived', async () => {
    for (const raw of ['CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n', `CONNECT /v1/orders HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth()}\r\n`]) {
      const r = await rawExchange(port, raw, { timeoutMs: 10_000, end: false });
      expect({ raw, statuses: r.responses.map((x) => x.status), closed: r.closed }).toEqual({ raw, statuses: [405], closed: true });
      expectCatalogueError(r.responses[0]!, [405]);
      expect(JSON.parse(r.responses[0]!.body).error.code).toBe('METHOD_NOT_ALLOWED');
    }
    await rawExchange(port, 'CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n', { timeoutMs: 10_000, reset: true });
    await expectHealthy();
  });
});

/**
 * Open a connection, send `head` and then `firstBody` of a body announced much larger, and keep the connection open
 * without sending the rest: resolves with the answer and whether the server closed the connection. The answer must
 * say `Connection: close` (the server will read nothing more; a keep-alive answer means it would read and discard the
 * rest to reuse the connection) and the close must follow.
 */
function answerBeforeBody(head: string, firstBody: Buffer, timeoutMs = 10_000): Promise<{ responses: RawResponse[]; closedByServer: boolean; sent: number }> {
  return new Promise((resolve) => {
    const parser = new ResponseParser();
    const responses: RawResponse[] = [];
    let sent = 0;
    const socket: Socket = connect({ host: '127.0.0.1', port }, () => {
      socket.write(head);
      socket.write(firstBody);
      sent = firstBody.length;
    });
    const finish = (closedByServer: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ responses, closedByServer, sent });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (c: Buffer) => responses.push(...parser.push(c)));
    socket.on('error', () => undefined);
    socket.on('end', () => finish(true)); // the server's FIN: it will read nothing more
    socket.on('close', () => finish(true));
  });
}

describe('bodies the server does not read', () => {
  const HUNDRED_MB = 100 * 1024 * 1024;
  const chunk = Buffer.alloc(64 * 1024, 0x20);

  it('a 100 MB body without a token: 401 and the connection closed after 64 KiB of it', async () => {
    for (const target of ['/v1/orders', '/v1/admin/reload', '/no/such/route', '//']) {
      const head = `POST ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${HUNDRED_MB}\r\n\r\n`;
      const r = await answerBeforeBody(head, chunk);
      expect({ target, statuses: r.responses.map((x) => x.status), closedByServer: r.closedByServer }).toEqual({ target, statuses: [401], closedByServer: true });
      expectCatalogueError(r.responses[0]!, [401]);
      expect(r.responses[0]!.headers.get('connection')).toBe('close');
      expect(r.sent).toBeLessThan(HUNDRED_MB);
    }
    await expectHealthy();
  });

  it('an oversized body with the token: 413 and close, by Content-Length or once the streamed size passes the bound', async () => {
    const declared = await answerBeforeBody(
      `POST /v1/orders HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth()}Content-Length: ${HUNDRED_MB}\r\n\r\n`,
      chunk,
    );
    expect({ statuses: declared.responses.map((x) => x.status), closedByServer: declared.closedByServer }).toEqual({ statuses: [413], closedByServer: true });
    expectCatalogueError(declared.responses[0]!, [413]);
    expect(declared.responses[0]!.headers.get('connection')).toBe('close');

    // Chunked: no length announced; the bound is passed after MAX_BODY_BYTES + 1 bytes and the chunks never end.
    const size = MAX_BODY_BYTES + 4096;
    const streamed = await answerBeforeBody(
      `POST /v1/orders HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth()}Transfer-Encoding: chunked\r\n\r\n`,
      Buffer.concat([Buffer.from(`${size.toString(16)}\r\n`), Buffer.alloc(size, 0x20), Buffer.from('\r\n')]),
    );
    expect({ statuses: streamed.responses.map((x) => x.status), closedByServer: streamed.closedByServer }).toEqual({ statuses: [413], closedByServer: true });
    expectCatalogueError(streamed.responses[0]!, [413]);
    expect(streamed.responses[0]!.headers.get('connection')).toBe('close');
    await expectHealthy();
  });

  it('a keep-alive client whose request was answered in full keeps its connection', async () => {
    const r = await rawExchange(port, request('GET', '/v1/orders?state=open', { token: false }).replace('Connection: close\r\n', '') + request('GET', '/health'), {
      timeoutMs: 10_000,
      responses: 2,
    });
    expect(r.responses.map((x) => x.status)).toEqual([401, 200]);
  });
});

// ---------------------------------------------------------------------------------------------------------------

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE', 'PROPFIND', 'CONNECT', 'get', 'P0ST', 'G ET', ''];
const ROUTES = ['/health', '/metrics', '/v1/orders', '/v1/orders?state=open', '/v1/orders/1', '/v1/orders/%ZZ', '/v1/routes/BTC-USDT', '/v1/fees', '/v1/stream', '/v1/admin/reload'];
const ODD = ['//', '/\\', '//:99999/', '*', '', '?', '/..', '/%', '/%00', '/#', 'http://localhost', 'http://[::1]:99999//', 'x:1', '/\u00e9', '/a b'];
const visibleChar = fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c));
const anyChar = fc.integer({ min: 0, max: 0xff }).map((c) => String.fromCharCode(c));

const pathArb = fc.oneof(
  fc.constantFrom(...ROUTES, ...ODD),
  fc.tuple(fc.constantFrom(...ROUTES, ''), fc.string({ unit: visibleChar, maxLength: 30 })).map(([a, b]) => a + '/' + b),
  fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 12 }).map((bytes) => '/' + bytes.map((b) => '%' + b.toString(16).padStart(2, '0')).join('')),
  fc.array(fc.oneof(fc.constantFrom('%', '%%', '%2', '%G1', '%2F', '%2e', '/', '..', '?', '&', '=', '\\'), visibleChar), { maxLength: 20 }).map((p) => '/' + p.join('')),
  fc.string({ unit: anyChar, maxLength: 20 }),
  fc.webUrl(),
);

const headerArb = fc.oneof(
  fc.tuple(
    fc.constantFrom('Content-Type', 'Upgrade', 'Connection', 'Sec-WebSocket-Key', 'Sec-WebSocket-Version', 'Expect', 'Transfer-Encoding', 'Content-Length', 'Host', 'X-Junk', 'Authorization', 'Cookie'),
    fc.oneof(fc.string({ unit: visibleChar, maxLength: 40 }), fc.constantFrom('websocket', 'Upgrade', 'chunked', '100-continue', '-1', '0', 'Bearer', '')),
  ).map(([n, v]) => `${n}: ${v}`),
  fc.string({ unit: anyChar, maxLength: 40 }),
);

const caseArb = fc.record({
  method: fc.oneof(fc.constantFrom(...METHODS), fc.string({ unit: visibleChar, minLength: 1, maxLength: 8 })),
  path: pathArb,
  credentials: fc.constantFrom('valid', 'none', 'wrong'),
  upgrade: fc.boolean(),
  headers: fc.array(headerArb, { maxLength: 5 }),
  body: fc.oneof(
    fc.integer().map((seed) => validOrderBody(new Prng(seed))),
    fc.integer().map((seed) => invalidOrderBody(new Prng(seed))),
    fc.string({ maxLength: 200 }).map((text) => ({ text, valid: false, what: 'random text' })),
  ),
  contentLength: fc.oneof(fc.constant('exact'), fc.constant('none'), fc.integer({ min: -5, max: 100_000 }).map(String)),
});

describe('property: no request makes the daemon fail or accept what it must not', () => {
  it('any method, target, headers, credentials, body and upgrade: no 5xx, the daemon answers after each, nothing invalid accepted', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const lines = [`${c.method} ${c.path} HTTP/1.1`, 'Host: 127.0.0.1'];
        if (c.credentials === 'valid') lines.push(`Authorization: Bearer ${t.token}`);
        if (c.credentials === 'wrong') lines.push(`Authorization: Bearer ${t.token.slice(1)}x`);
        if (c.upgrade) lines.push('Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13');
        lines.push(...c.headers);
        const body = Buffer.from(c.body.text, 'utf8');
        if (c.contentLength === 'exact') lines.push(`Content-Length: ${body.length}`);
        else if (c.contentLength !== 'none') lines.push(`Content-Length: ${c.contentLength}`);
        const bytes = Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), body]);
        const r = await rawExchange(port, bytes, { timeoutMs: 3000, end: true, heads: [c.method === 'HEAD'] });
        for (const res of r.responses) expect(res.status, `${JSON.stringify(bytes.toString('latin1').slice(0, 300))} -> ${res.status} ${res.body}`).toBeLessThan(500);
        // Without the token only /health may succeed (Node keeps the first Authorization header: ours, when valid).
        if (c.credentials !== 'valid') {
          for (const res of r.responses.filter((x) => x.status >= 200 && x.status < 300)) expect(protectedRoute(c.path), JSON.stringify(c)).toBe(false);
          expect(r.responses.filter((x) => x.status === 101), JSON.stringify(c)).toEqual([]);
        }
        // An invalid order is never accepted, however it came.
        const submit = c.method === 'POST' && /^(https?:\/\/[^/?#]*)?\/v1\/orders(\?[^#]*)?$/.test(c.path);
        if (submit && !c.body.valid) expect(r.responses.filter((res) => res.status === 201), JSON.stringify(c)).toEqual([]);
        const health = await exchange(request('GET', '/health'));
        expect(health.responses.map((x) => x.status)).toEqual([200]);
      }),
      { numRuns: 300, seed: 20_261_002, endOnFailure: true },
    );
    // Still serving: a stream client connects and an order goes through.
    const order = await t.api.post('/v1/orders', { strategy: 'manual', symbol: 'BTC-USDT', side: 'BUY', price: '30000', quantity: '0.001', timeInForce: 'IOC' });
    expect(order.status).toBe(201);
    await pollUntil(() => t.api.get('/health', { token: null }), (h) => h.status === 200, { timeoutMs: 5000, what: 'health' });
  }, 120_000);
});
