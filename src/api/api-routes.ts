/**
 * The control API's HTTP routes as one table: for each, its method and path (as registered with fastify), its
 * documentation (zod schemas, for the OpenAPI document) and its handler. A handler takes the request as the server
 * parsed it (the path as sent, the query, the decoded path parameters, the JSON body read exactly) and answers a
 * status and a body, or throws an HttpError with a catalogue code. The server (http-server.ts) owns the transport:
 * auth, body limits, 404/405, closing connections on early answers.
 */
import type { z } from 'zod';
import type { Order } from '../model/order.js';
import { isResultShape, RESULT_SHAPE_EXPECTED } from '../model/result-shape.js';
import { orderView } from './order-view.js';
import { pageOfOrders, parseCancelFilter, parseListQuery } from './order-query.js';
import type { OrderCommands, OrderKeyKind, SubmitResult } from './order-commands.js';
import { errorReply, HttpError, JSON_TYPE, killTimeout, stateChange, type Reply } from './api-replies.js';
import type { RouteDoc } from './openapi.js';
import * as S from './api-schemas.js';
import type { ApiDeps } from './http-server.js';
import { webAsset } from './web/serve.js';

/** A request as a route sees it. */
export interface ApiRequest {
  readonly method: string;
  /** The path as sent (no decoding). */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Path parameters, percent-decoded (a malformed escape kept as sent). */
  readonly params: Readonly<Record<string, string>>;
  /** The JSON body (numbers read exactly), or undefined when the request has none. */
  readonly body: unknown;
}

/** A body that is not JSON (metrics text, the status page). */
export interface RawReply {
  readonly status: number;
  readonly raw: string | Buffer;
  readonly contentType: string;
}

export interface ApiRoute extends RouteDoc {
  readonly handle: (req: ApiRequest) => Promise<Reply | RawReply> | Reply | RawReply;
}

/** What the routes work on. */
export interface RouteContext {
  readonly deps: ApiDeps;
  readonly commands: OrderCommands;
  /** Submit as the API does (refuses strategies whose orders come elsewhere). */
  readonly submitOrder: (body: unknown) => Promise<SubmitResult>;
  /** The OpenAPI document of these routes (GET /v1/openapi.json). */
  readonly openApi: () => unknown;
}

const ok = (description: string, schema: z.ZodType): { description: string; schema: z.ZodType } => ({ description, schema });

/** The JSON body of a route that needs one: none at all is not JSON. */
export function required(body: unknown): unknown {
  if (body === undefined) throw new HttpError('BAD_REQUEST', 'body is not valid JSON');
  return body;
}

export function apiRoutes(c: RouteContext): ApiRoute[] {
  const { deps, commands } = c;
  const view = (o: Order): unknown => orderView(o, deps.instruments, deps.tracker.store);
  const findOrder = (key: string, query: URLSearchParams): Order => {
    const r = commands.findOrError(key, undefined, orderKeyBy(query));
    if (!r.ok) throw new HttpError(r.code, r.message);
    return r.order;
  };
  const symbolIndex = (symbol: string, message: string): number => {
    const ins = deps.instruments.get(symbol);
    if (ins === undefined) throw new HttpError('UNKNOWN_SYMBOL', message);
    return ins.index;
  };
  const web = (path: string): RawReply => {
    const asset = webAsset(path);
    if (asset === undefined) throw new HttpError('NOT_FOUND', `no route GET ${path}`);
    return { status: 200, raw: asset.body, contentType: asset.type };
  };

  return [
    {
      method: 'GET', url: '/health', open: true, summary: 'Liveness and the daemon\'s state (no token)',
      responses: { 200: ok('the daemon is up', S.Health) },
      handle: () => ({ status: 200, body: { status: 'ok', accepting: deps.intake.isAccepting, ...deps.health() } }),
    },
    {
      method: 'GET', url: '/', open: true, summary: 'The status page (no token: it asks for one)',
      responses: { 200: { description: 'the page', contentType: 'text/html' } },
      handle: () => web('/'),
    },
    {
      method: 'GET', url: '/web/*', open: true, summary: 'The status page\'s files', params: S.WebAssetParams,
      responses: { 200: { description: 'the file', contentType: 'application/octet-stream' } },
      handle: (req) => web(req.path),
    },
    {
      method: 'GET', url: '/metrics', summary: 'Prometheus metrics',
      responses: { 200: { description: 'the metrics, Prometheus text format', contentType: 'text/plain' } },
      handle: async () => ({ status: 200, raw: await deps.metrics.render(), contentType: deps.metrics.contentType }),
    },
    {
      method: 'GET', url: '/v1/openapi.json', summary: 'This document', responses: { 200: ok('the OpenAPI 3.1 document', S.OpenApiDoc) },
      handle: () => ({ status: 200, body: c.openApi() }),
    },
    {
      method: 'GET', url: '/v1/fees', summary: 'Fee sums per strategy, venue and currency', responses: { 200: ok('the sums', S.Fees) },
      handle: () => ({ status: 200, body: { fees: deps.fees?.() ?? [] } }),
    },
    {
      method: 'POST', url: '/v1/orders', summary: 'Submit an order', body: S.OrderRequest, query: S.ResultQuery,
      responses: { 201: ok('accepted: the order, routed (?result=ids: its orderId and clientOrderId)', S.OrderView.or(S.OrderIds)), 400: ok('refused (a DENIED order names its orderId)', S.ErrorBody) },
      // chained, not async: the API's most frequent request makes no promise of its own
      handle: (req) => {
        const ids = resultIds(req.query);
        return c.submitOrder(required(req.body)).then((r): Reply | RawReply => {
          if (!r.ok) return errorReply(r.code, r.message, r.field, r.order);
          return { status: 201, raw: ids ? orderIdsJson(r.order.id, r.order.clientOrderId) : commands.viewJson(r.order), contentType: JSON_TYPE };
        });
      },
    },
    {
      method: 'GET', url: '/v1/orders', summary: 'A page of orders (filters, cursor)', query: S.ListQuery,
      responses: { 200: ok('one page', S.OrderList) },
      handle: (req) => {
        const store = deps.tracker.store;
        const q = parseListQuery(req.query, store);
        if (!q.ok) throw new HttpError(q.code, q.message, q.field);
        const page = pageOfOrders(store, q.value);
        const views = page.slots.map((slot) => view(deps.tracker.get(store.id[slot]!)!));
        return { status: 200, body: { orders: views, nextCursor: page.nextCursor } };
      },
    },
    {
      method: 'DELETE', url: '/v1/orders', summary: 'Cancel every open order that matches (at least one filter, or all=true)', query: S.CancelAllQuery,
      responses: { 202: ok('the orders asked to cancel and those that could not be', S.CancelAllResult) },
      handle: (req) => {
        const f = parseCancelFilter(req.query, deps.tracker.store);
        if (!f.ok) throw new HttpError(f.code, f.message, f.field);
        const { canceling, refused } = commands.cancelAll(f.value);
        return { status: 202, body: { canceling, refused } };
      },
    },
    {
      method: 'GET', url: '/v1/orders/:id', summary: 'One order (a sweep parent with its children)', params: S.OrderIdParams, query: S.OrderKeyQuery,
      responses: { 200: ok('the order', S.OrderWithChildren) },
      handle: (req) => {
        const order = findOrder(req.params.id!, req.query);
        const body = view(order) as Record<string, unknown>;
        if (order.venue !== 'smart') return { status: 200, body }; // a parent held by the daemon lists its children
        const children = (deps.children?.(order.id) ?? []).map(view);
        return { status: 200, body: { ...body, children } };
      },
    },
    {
      method: 'PATCH', url: '/v1/orders/:id', summary: 'Amend price and/or quantity (the new total)', params: S.OrderIdParams, body: S.AmendRequest, query: S.OrderKeyResultQuery,
      responses: {
        200: ok('AMENDED: the order in its new terms (?result=ids: its orderId and clientOrderId)', S.OrderView.or(S.OrderIds)),
        202: ok('the venue has not answered yet: the order is PENDING_UPDATE', S.OrderView.or(S.OrderIds)),
        409: ok('ORDER_NOT_AMENDABLE', S.ErrorBody),
        422: ok('VENUE_REJECTED (the old terms stand)', S.ErrorBody),
      },
      handle: async (req) => {
        const ids = resultIds(req.query);
        const order = findOrder(req.params.id!, req.query);
        const r = await commands.amend(order.id, required(req.body));
        if (!r.ok) return errorReply(r.code, r.message, r.field, r.order);
        return { status: r.pending ? 202 : 200, body: ids ? orderIds(r.order) : view(r.order) };
      },
    },
    {
      method: 'DELETE', url: '/v1/orders/:id', summary: 'Cancel one order', params: S.OrderIdParams, query: S.OrderKeyResultQuery,
      responses: { 202: ok('asked to cancel (its CANCELED event follows on the stream; ?result=ids: its orderId and clientOrderId)', S.OrderView.or(S.OrderIds)) },
      handle: (req) => {
        const ids = resultIds(req.query);
        const order = findOrder(req.params.id!, req.query);
        const r = commands.cancelById(order.id);
        if (!r.ok) throw new HttpError(r.code, r.message);
        return { status: 202, body: ids ? orderIds(r.order) : view(r.order) };
      },
    },
    {
      method: 'GET', url: '/v1/admin/state', summary: 'Trading states', responses: { 200: ok('every state', S.States) },
      handle: () => {
        if (deps.states === undefined) throw new HttpError('NOT_FOUND', 'trading states are not available');
        return { status: 200, body: { states: deps.states.list() } };
      },
    },
    {
      method: 'POST', url: '/v1/admin/state', summary: 'Set a trading state', body: S.StateChangeRequest,
      responses: { 200: ok('the state set', S.StateChangeResult) },
      handle: (req) => {
        const states = deps.states;
        if (states === undefined) throw new HttpError('NOT_FOUND', 'trading states are not available');
        const r = states.set(stateChange(required(req.body)));
        if (!r.ok) throw new HttpError('INVALID_FIELD', r.message);
        return { status: 200, body: { changed: r.changed, state: r.row, states: states.list() } };
      },
    },
    {
      method: 'POST', url: '/v1/admin/kill', summary: 'The kill switch: halt and cancel everything', body: S.KillRequest, bodyOptional: true,
      responses: { 200: ok('done: every open order confirmed closed, or the timeout passed', S.KillResult) },
      handle: async (req) => {
        if (deps.kill === undefined) throw new HttpError('NOT_FOUND', 'the kill switch is not available');
        const timeoutMs = killTimeout(req.body ?? {}, deps.killTimeoutMs ?? 10_000);
        return { status: 200, body: await deps.kill(timeoutMs) };
      },
    },
    {
      method: 'POST', url: '/v1/admin/reload', summary: 'Re-read the configuration',
      responses: { 200: ok('reloaded', S.Reloaded), 422: ok('CONFIG_INVALID, with every error', S.ErrorBody) },
      handle: () => {
        const r = deps.reload?.() ?? { ok: false, errors: ['reload is not available'] };
        if (r.ok) return { status: 200, body: { reloaded: true } };
        return { status: 422, body: { error: { code: 'CONFIG_INVALID', message: 'the configuration was not reloaded', retryable: false, errors: r.errors } } };
      },
    },
    {
      method: 'GET', url: '/v1/positions', summary: 'Positions and PnL', query: S.PositionsQuery, responses: { 200: ok('the positions', S.Positions) },
      handle: (req) => {
        if (deps.positions === undefined) throw new HttpError('NOT_FOUND', 'positions are not available in this daemon');
        return { status: 200, body: { positions: deps.positions(positionFilter(deps, req.query)) } };
      },
    },
    {
      method: 'GET', url: '/v1/balances', summary: 'Balances per venue', responses: { 200: ok('the balances', S.Balances) },
      handle: (req) => {
        for (const key of req.query.keys()) throw new HttpError('UNKNOWN_FIELD', `unknown query parameter ${key}`);
        if (deps.balances === undefined) throw new HttpError('NOT_FOUND', 'balances are not available in this daemon');
        return { status: 200, body: { balances: deps.balances() } };
      },
    },
    {
      method: 'GET', url: '/v1/fills', summary: 'The fill history', query: S.FillsQuery, responses: { 200: ok('a page of fills', S.Fills) },
      handle: (req) => {
        if (deps.fills === undefined) throw new HttpError('NOT_FOUND', 'the fill history is not available in this daemon');
        return deps.fills(req.query);
      },
    },
    {
      method: 'GET', url: '/v1/books/:symbol', summary: 'A symbol\'s books per venue and consolidated', params: S.SymbolParams, responses: { 200: ok('the books', S.Book) },
      handle: (req) => {
        const symbol = req.params.symbol!;
        const index = symbolIndex(symbol, `unknown symbol ${symbol}`);
        if (deps.books === undefined) throw new HttpError('NOT_FOUND', 'market data is not available in this daemon');
        return { status: 200, body: deps.books(index) };
      },
    },
    {
      method: 'GET', url: '/v1/routes/:symbol', summary: 'A symbol\'s routing slots and effective weights', params: S.SymbolParams, responses: { 200: ok('the slots', S.RouteSlots) },
      handle: (req) => {
        const symbol = req.params.symbol!;
        const index = symbolIndex(symbol, `unknown symbol "${symbol}"`);
        return { status: 200, body: { symbol, slots: deps.router.slots(index), total: 256, weights: deps.router.effectiveWeights(index) } };
      },
    },
  ];
}

/** ?strategy=&symbol=&venue= of GET /v1/positions, each a configured name. */
function positionFilter(deps: ApiDeps, q: URLSearchParams): { strategy?: string; symbol?: string; venue?: string } {
  const store = deps.tracker.store;
  const out: { strategy?: string; symbol?: string; venue?: string } = {};
  for (const key of new Set(q.keys())) {
    // one value each, as the order list reads its filters: a second one is refused, never dropped
    if (q.getAll(key).length > 1 && (key === 'strategy' || key === 'symbol' || key === 'venue')) {
      throw new HttpError('INVALID_FIELD', `${key} is given more than once`, key);
    }
    const value = q.get(key)!;
    if (key === 'strategy') {
      if (!store.strategyIds.includes(value)) throw new HttpError('UNKNOWN_STRATEGY', `unknown strategy ${value}`);
      out.strategy = value;
    } else if (key === 'symbol') {
      if (deps.instruments.get(value) === undefined) throw new HttpError('UNKNOWN_SYMBOL', `unknown symbol ${value}`);
      out.symbol = value;
    } else if (key === 'venue') {
      if (!store.venueNames.includes(value)) throw new HttpError('UNKNOWN_VENUE', `unknown venue ${value}`);
      out.venue = value;
    } else throw new HttpError('UNKNOWN_FIELD', `unknown query parameter ${key} (allowed: strategy, symbol, venue)`);
  }
  return out;
}

/**
 * `?result=` of a request that answers with an order: true for `ids` (the answer names the order by its orderId and
 * clientOrderId only), false for `order` (its whole view, the default). Read before the request does anything: a bad
 * value is refused with nothing done. Other query parameters are not this route's and are ignored.
 */
export function resultIds(query: URLSearchParams): boolean {
  const v = query.getAll('result');
  if (v.length === 0) return false;
  if (v.length > 1) throw new HttpError('INVALID_FIELD', 'result given more than once');
  if (!isResultShape(v[0])) throw new HttpError('INVALID_FIELD', RESULT_SHAPE_EXPECTED);
  return v[0] === 'ids';
}

/** `?by=` of the routes of one order: what `:id` is (absent: either, see OrderCommands.findOrError). */
function orderKeyBy(query: URLSearchParams): OrderKeyKind {
  const v = query.getAll('by');
  if (v.length === 0) return 'auto';
  if (v.length > 1) throw new HttpError('INVALID_FIELD', 'by given more than once');
  const by = v[0]!;
  if (by !== 'id' && by !== 'clientOrderId') throw new HttpError('INVALID_FIELD', 'by must be id or clientOrderId');
  return by;
}

/** An order named by its ids (`?result=ids`). */
function orderIds(o: Order): { orderId: number; clientOrderId: string } {
  return { orderId: o.id, clientOrderId: o.clientOrderId };
}

/** The body of a `?result=ids` answer, as JSON text (JSON.stringify of orderIds'). */
export function orderIdsJson(orderId: number, clientOrderId: string): string {
  return JSON.stringify({ orderId, clientOrderId });
}
