import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiServer } from '../../src/api/http-server.js';
import { openApiPath } from '../../src/api/openapi.js';
import * as S from '../../src/api/api-schemas.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

/*
 * GET /v1/openapi.json: an OpenAPI 3.1 document a real validator accepts, listing every route the server registers
 * (read from fastify's onRoute hook, not from a hand-kept list) and nothing else, and whose security matches what
 * the server does without a token.
 */
let t: TestDaemon;
let server: ApiServer;
type Doc = { openapi: string; paths: Record<string, Record<string, { security?: unknown[]; parameters?: { in: string; name: string }[] }>> };
let doc: Doc;

beforeAll(async () => {
  t = await startTestDaemon([], undefined, { workers: false });
  // The daemon's ApiServer (private in Daemon: read here for the routes fastify registered).
  server = (t.daemon as unknown as { api: ApiServer }).api;
  const r = await t.api.get('/v1/openapi.json');
  expect(r.status).toBe(200);
  doc = r.body as Doc;
}, 60_000);

afterAll(async () => {
  await t?.stop();
});

/** Registered routes that the document lacks, as `METHOD path`. */
function missing(d: Doc, routes: readonly { method: string; url: string }[]): string[] {
  return routes.filter((r) => d.paths[openApiPath(r.url)]?.[r.method.toLowerCase()] === undefined).map((r) => `${r.method} ${r.url}`);
}

describe('GET /v1/openapi.json', () => {
  it('needs the token', async () => {
    const r = await t.api.get('/v1/openapi.json', { token: null });
    expect([r.status, r.body.error.code]).toEqual([401, 'UNAUTHORIZED']);
  });

  it('is a valid OpenAPI 3.1 document (and the validator refuses a broken one)', async () => {
    const v = new Validator();
    const res = await v.validate(structuredClone(doc) as unknown as Record<string, unknown>);
    expect(res.errors ?? []).toEqual([]);
    expect(res.valid).toBe(true);
    expect(v.version).toBe('3.1');
    // control: the same document with an operation whose response has no description is refused
    const broken = structuredClone(doc);
    delete (broken.paths['/health']!.get as unknown as { responses: Record<string, { description?: string }> }).responses['200']!.description;
    expect((await new Validator().validate(broken as unknown as Record<string, unknown>)).valid).toBe(false);
  }, 30_000);

  it('lists every route the server registers, and only those', () => {
    const routes = server.registered();
    expect(routes.length).toBeGreaterThan(15);
    expect(routes).toContainEqual({ method: 'GET', url: '/v1/stream' });
    expect(missing(doc, routes)).toEqual([]);
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual(routes.map((r) => `${r.method} ${openApiPath(r.url)}`).sort());
    // control: a document without one of them is caught
    const less = structuredClone(doc);
    delete less.paths['/v1/orders/{id}']!.patch;
    expect(missing(less, routes)).toEqual(['PATCH /v1/orders/:id']);
  });

  it('documents the token rule the server applies: open operations answer without it, the others 401', async () => {
    let open = 0;
    let closed = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      const get = ops.get;
      if (get === undefined || path.includes('{') || path === '/v1/stream') continue;
      const r = await t.api.get(path, { token: null });
      if (Array.isArray(get.security) && get.security.length === 0) {
        open++;
        expect({ path, status: r.status }).toEqual({ path, status: 200 });
      } else {
        closed++;
        expect({ path, status: r.status }).toEqual({ path, status: 401 });
      }
    }
    expect(open).toBeGreaterThanOrEqual(2); // /health and /
    expect(closed).toBeGreaterThan(5);
  }, 30_000);

  it('describes the order body from the zod schema (closed object, decimals as strings or numbers)', () => {
    const post = doc.paths['/v1/orders']!.post as unknown as { requestBody: { content: Record<string, { schema: { additionalProperties: boolean; required: string[] } }> } };
    const schema = post.requestBody.content['application/json']!.schema;
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(expect.arrayContaining(['strategy', 'symbol', 'side', 'quantity']));
    const get = doc.paths['/v1/orders/{id}']!.get!;
    expect(get.parameters?.map((p) => `${p.in} ${p.name}`)).toEqual(['path id', 'query by']);
  });

  it('GET /v1/orders: the state parameter says the default the server applies (all: a finished order is listed)', async () => {
    const denied = await t.api.post('/v1/orders', { strategy: 'momentum', symbol: 'BTC-USDT', side: 'BUY', price: '30000', quantity: '3' });
    expect(denied.status).toBe(422); // over maxOrderQty: DENIED, finished
    const listed = await t.api.get('/v1/orders?limit=1000');
    expect(listed.body.orders.map((o: { orderId: number }) => o.orderId)).toContain(denied.body.orderId);
    const state = (doc.paths['/v1/orders']!.get!.parameters as { name: string; description?: string }[]).find((p) => p.name === 'state');
    expect(state?.description).toMatch(/all \(default\)/);
    expect(state?.description).not.toMatch(/open \(default\)/);
  });

  it('the answers the server gives match the response schemas the document is made from', async () => {
    const order = { strategy: 'manual', symbol: 'BTC-USDT', side: 'BUY', price: '10000', quantity: '0.01', timeInForce: 'GTC' };
    const checks: [string, { status: number; body: unknown }, { safeParse(v: unknown): { success: boolean; error?: unknown } }][] = [];
    const posted = await t.api.post('/v1/orders', order);
    expect(posted.status).toBe(201);
    checks.push(['POST /v1/orders', posted, S.OrderView]);
    checks.push(['GET /v1/orders/:id', await t.api.get(`/v1/orders/${posted.body.orderId}`), S.OrderWithChildren]);
    checks.push(['GET /v1/orders', await t.api.get('/v1/orders?state=all'), S.OrderList]);
    checks.push(['GET /health', await t.api.get('/health', { token: null }), S.Health]);
    checks.push(['GET /v1/fees', await t.api.get('/v1/fees'), S.Fees]);
    checks.push(['GET /v1/admin/state', await t.api.get('/v1/admin/state'), S.States]);
    checks.push(['GET /v1/positions', await t.api.get('/v1/positions'), S.Positions]);
    checks.push(['GET /v1/balances', await t.api.get('/v1/balances'), S.Balances]);
    checks.push(['GET /v1/books/:symbol', await t.api.get('/v1/books/BTC-USDT'), S.Book]);
    checks.push(['GET /v1/routes/:symbol', await t.api.get('/v1/routes/BTC-USDT'), S.RouteSlots]);
    checks.push(['a refusal', await t.api.post('/v1/orders', { ...order, bogus: 1 }), S.ErrorBody]);
    const canceled = await t.api.delete(`/v1/orders/${posted.body.orderId}`);
    checks.push(['DELETE /v1/orders/:id', canceled, S.OrderView]);
    for (const [what, r, schema] of checks) {
      const parsed = schema.safeParse(r.body);
      expect({ what, status: r.status < 500, error: parsed.error }).toEqual({ what, status: true, error: undefined });
    }
    // control: a view without a field the schema requires is caught
    expect(S.OrderView.safeParse({ ...(posted.body as object), orderId: undefined }).success).toBe(false);
  }, 30_000);
});
