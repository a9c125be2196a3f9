/**
 * The control API on fastify: HTTP JSON routes (the table in api-routes.ts), the status page, the OpenAPI document
 * (GET /v1/openapi.json, generated from the routes' zod schemas) and the WebSocket at /v1/stream (@fastify/websocket
 * over ws), on one port. Every request except GET /health and the status page (GET /, GET /web/*) needs the bearer
 * token; without it the answer is 401 and nothing happens — decided on the headers alone, the body never read.
 *
 * What the server keeps from the hand-written one it replaces: routes match the path exactly as sent (no
 * percent-decoding, dot-segment removal or slash merging before matching: every `%` is escaped for the router, and a
 * route decodes its own parameters); a target that is not a path is a 400; a known path with another method is a 405
 * and an unknown one a 404, with catalogue bodies; bodies are at most MAX_BODY_BYTES (413 at once, by Content-Length
 * or when the streamed size passes it), read as JSON whose numbers a double cannot hold are refused, never rounded
 * (json-exact.ts), whatever the Content-Type; an answer given before the body was read closes the connection; a
 * request line Node's parser refuses gets a catalogue 400.
 *
 * POST /v1/orders, the request an API client sends most, is answered without fastify when it is plain (fastSubmit):
 * as its route handler answers it, with the same answers (http-submit.ts); anything unusual about it goes through fastify as every other
 * request does.
 */
import { isUtf8 } from 'node:buffer';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fastifyWebsocket from '@fastify/websocket';
import type { OrderTracker } from '../core/order-tracker.js';
import type { OrderIntake } from '../intake/order-intake.js';
import { DuplicateKeyError, parseJsonExact } from '../intake/json-exact.js';
import type { InstrumentRegistry } from '../model/instrument.js';
import type { Order, OrderIntent } from '../model/order.js';
import type { Router } from '../routing/router.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { FeeSum } from '../risk/fee-ledger.js';
import type { BookView } from '../market/book-view.js';
import type { StateChange, StateChangeResult, TradingStateRow } from '../risk/trading-states.js';
import { DEFAULT_STREAM_MAX_BUFFERED_BYTES, DEFAULT_WS_MAX_BATCH } from '../config/schema.js';
import type { BearerAuth } from './auth.js';
import { EventStream, type StreamJournal } from './event-stream.js';
import { parseRequestTarget, targetQuery, type RequestTarget } from './request-target.js';
import { OrderCommands, type CommandError, type SubmitResult } from './order-commands.js';
import { decodeSegment, errorReply, HttpError, JSON_TYPE, MAX_BODY_BYTES, refuseClient, refuseConnect, type Reply } from './api-replies.js';
import { apiRoutes, required, resultIds, type ApiRoute, type RawReply } from './api-routes.js';
import { HttpSubmit, type SubmitAnswers } from './http-submit.js';
import { openApiDocument, type RouteDoc } from './openapi.js';
import { StreamQuery } from './api-schemas.js';
import { acceptStreamSocket, RESULT_ARENA_BYTES } from './stream-socket.js';
import { JsonBytes } from '../journal/json-bytes.js';

/** How long PATCH /v1/orders/:id waits for the venue's answer to an amend before answering 202 (still pending). */
export { AMEND_WAIT_MS } from './order-commands.js';
export { MAX_BODY_BYTES } from './api-replies.js';
export { AUTH_MESSAGE_WAIT_MS, AUTH_FAILED_CLOSE_CODE } from './stream-socket.js';

export interface ApiDeps {
  readonly intake: OrderIntake;
  readonly tracker: OrderTracker;
  readonly instruments: InstrumentRegistry;
  readonly router: Router;
  readonly metrics: Metrics;
  readonly auth: BearerAuth;
  readonly log: Logger;
  /** Resolves when every journal record so far is durable: an order id is given out only once it is. */
  readonly durable?: () => Promise<void>;
  /** Re-read the configuration (POST /v1/admin/reload). */
  readonly reload?: () => { ok: boolean; errors: string[] };
  /** Fee sums per strategy, venue and currency, exact decimals (GET /v1/fees). */
  readonly fees?: () => readonly FeeSum[];
  /** A symbol's books per venue and consolidated (GET /v1/books/:symbol); undefined: no market data. */
  readonly books?: (symbolIndex: number) => BookView;
  /** The children of a parent order (sweep), in the order they were sent; [] for any other order. */
  readonly children?: (orderId: number) => readonly Order[];
  /** Trading states (GET / POST /v1/admin/state). */
  readonly states?: { list(): TradingStateRow[]; set(change: StateChange): StateChangeResult };
  /** The kill switch (POST /v1/admin/kill): resolves when every open order is confirmed closed or the timeout passed. */
  readonly kill?: (timeoutMs: number) => Promise<unknown>;
  /** Default wait of the kill switch for the venues' confirmations (ms). */
  readonly killTimeoutMs?: number;
  /**
   * Strategies whose orders do not come over this API (a worker module, or their Redis command stream), by id with
   * their source: an API client may not submit as one of them (STRATEGY_NOT_API).
   */
  readonly notApiStrategies?: ReadonlyMap<string, 'worker' | 'redis'>;
  /** Why pre-trade risk denied an order, naming the limit and its value (the error message of a DENIED submit). */
  readonly explainDenial?: (order: Order) => string | undefined;
  /** GET /v1/positions, GET /v1/balances. */
  readonly positions?: (filter: { strategy?: string; symbol?: string; venue?: string }) => readonly unknown[];
  readonly balances?: () => readonly unknown[];
  /** GET /v1/fills: the history store's answer to the query (status and body), or a coded refusal. */
  readonly fills?: (query: URLSearchParams) => Promise<{ status: number; body: unknown }>;
  /** Extra fields for GET /health. */
  readonly health: () => Record<string, unknown>;
  /** The event stream (/v1/stream): see event-stream.ts. Default: the default bound, no journal. */
  readonly stream?: {
    /** daemon.api.streamMaxBufferedBytes: a client whose send buffer would pass it is disconnected. */
    readonly maxBufferedBytes: number;
    /** Strategy ids a stream filter may name. */
    readonly strategies: readonly string[];
    /** The journal (event seqs, since= replay); absent when it is off. */
    readonly journal?: StreamJournal | undefined;
    /** daemon.api.wsMaxBatch: most ops in one frame. Default DEFAULT_WS_MAX_BATCH. */
    readonly maxBatch?: number;
  };
}

/** /v1/stream in the route table: documented with the HTTP routes, served by stream-socket.ts. */
const STREAM_ROUTE: RouteDoc = {
  method: 'GET', url: '/v1/stream', websocket: true, query: StreamQuery,
  summary: 'The event stream (WebSocket): hello, then order events; submit, amend and cancel ops. The token in the Authorization header, in ?token=, or (?auth=message) in the first message {"op":"auth","token":"..."}. '
    + 'A frame holds one op (a JSON object) or a batch: a JSON array of at most daemon.api.wsMaxBatch ops (default 1000), executed in order, each answered with its own result message in the order of the ops '
    + '(a bigger batch: one BAD_REQUEST result with id null, nothing executed; an element that is not a valid op: its own error result; an op over 16 KiB: '
    + 'its own PAYLOAD_TOO_LARGE result in a batch, a close with 1009 alone). A frame is UTF-8 JSON text (a text or a binary frame; not UTF-8: closed with 1007). '
    + 'What the daemon sends in one event-loop turn goes out in one write; with ?batch=1 as ONE frame holding a JSON array of the messages, in order',
  responses: { 101: { description: 'switching to WebSocket' } },
};

/**
 * At most this many /v1/stream sockets waiting for their auth message (each may wait AUTH_MESSAGE_WAIT_MS): beyond
 * it an upgrade without a token is refused 401 at once, as it would be without ?auth=message, and counted.
 */
export const MAX_AWAITING_AUTH = 64;

/** Bytes a batch frame may take per op (a typical submit op is 150-250 bytes). */
export const WS_BATCH_BYTES_PER_OP = 1024;

/**
 * Room a frame has beyond one op at its bound: the brackets of a batch of one and whitespace around the op, which are
 * not part of the op (stream-socket.ts measures an op's own JSON text).
 */
export const WS_FRAME_HEADROOM_BYTES = 1024;

/**
 * The /v1/stream frame bound (ws's maxPayload): a full batch's at WS_BATCH_BYTES_PER_OP each, and never less than one
 * op at its bound (MAX_BODY_BYTES) with WS_FRAME_HEADROOM_BYTES around it. Without the headroom the bound was exactly
 * MAX_BODY_BYTES up to wsMaxBatch 16, and ws closed with 1009 a frame holding an op within its bound and a byte of
 * whitespace or a batch's brackets: the op's own bound (a coded 1009 alone, PAYLOAD_TOO_LARGE in a batch) is the
 * socket's check (stream-socket.ts onMessage), not the transport's.
 */
export function wsMaxPayload(maxBatch: number): number {
  return Math.max(MAX_BODY_BYTES + WS_FRAME_HEADROOM_BYTES, maxBatch * WS_BATCH_BYTES_PER_OP);
}

/** How long an idle keep-alive connection stays open (Node's server.keepAliveTimeout). */
const KEEP_ALIVE_TIMEOUT_MS = 5000;
/** How long a request may take to arrive (Node's server.requestTimeout: its default, which fastify would turn off). */
const REQUEST_TIMEOUT_MS = 300_000;

/**
 * A request body as the routes get it: none is undefined, else exact JSON (json-exact.ts) read from UTF-8 text. Bytes
 * that are not UTF-8 are a 400, not decoded with U+FFFD in their place (a string the client sent would be executed as
 * another one); not JSON is a 400.
 */
function bodyValue(bytes: Buffer): unknown {
  if (bytes.length === 0) return undefined;
  if (!isUtf8(bytes)) throw new HttpError('BAD_REQUEST', 'body is not UTF-8');
  const text = bytes.toString('utf8');
  try {
    return parseJsonExact(text);
  } catch (err) {
    if (err instanceof DuplicateKeyError) throw new HttpError('BAD_REQUEST', err.message, err.path);
    throw new HttpError('BAD_REQUEST', 'body is not valid JSON');
  }
}

/** A body that ended early or does not match its Content-Length: the client's failure, not the daemon's. */
function bodyUnreadable(): Reply {
  return errorReply('BAD_REQUEST', 'the request body could not be read');
}

/** The router's view of a path: every `%` escaped, so that it matches (and gives parameters) exactly as sent. */
function routerPath(path: string): string {
  return path.replace(/%/g, '%25');
}

/** A route's path pattern, matched against the path as sent (405 for a known path with another method). */
function pathPattern(url: string): RegExp {
  const escaped = url.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z0-9_]+/g, '[^/]+').replace(/\*$/, '.*');
  return new RegExp(`^${escaped}$`);
}

interface RouteConfig {
  readonly open?: boolean;
}

/**
 * The control API: HTTP JSON routes and a WebSocket at /v1/stream, on one port. Every request except GET /health
 * and the status page needs the bearer token; without it the answer is 401 and nothing happens.
 */
export class ApiServer {
  private readonly app: FastifyInstance;
  /** The sending side of /v1/stream (events, resume, filters, slow consumers). */
  readonly stream: EventStream;
  /** Submit, amend, cancel and cancel-all: shared by HTTP and the WebSocket; the Redis command intake can use it too. */
  readonly commands: OrderCommands;
  /** The HTTP routes (their handlers and documentation). */
  readonly routes: readonly ApiRoute[];
  /** What a fast submit's HttpSubmit answers through. */
  private readonly submitAnswers: SubmitAnswers;
  /** The last query string a fast submit had, and whether it asks for `?result=ids` (resultIds of it). */
  private idsSearch = '';
  private idsValue = false;
  /** Requests fastSubmit answered (tests: the fast path was taken). */
  fastSubmits = 0;
  /** fastAnswer's header fields: names and values in turn (its content type and length written for each answer). */
  private readonly answerHead: [string, string, string, number] = ['content-type', '', 'content-length', 0];
  /** Each request's target as sent (the router sees it rewritten), null when it is not a path. */
  private readonly targets = new WeakMap<IncomingMessage, RequestTarget | null>();
  /** Upgrades whose token comes in the first message (?auth=message). */
  private readonly messageAuth = new WeakSet<IncomingMessage>();
  private readonly patterns: readonly RegExp[];
  /** Paths answered without a token: another method on them is a 405 without one too. */
  private readonly openPatterns: readonly RegExp[];
  private document: Record<string, unknown> | undefined;
  /** Sockets waiting for their auth message now; upgrades refused because MAX_AWAITING_AUTH were. */
  private awaitingAuth = 0;
  private awaitingAuthRefused = 0;
  /** Most ops in one /v1/stream frame. */
  private readonly maxBatch: number;
  /** Where the WebSocket results naming an order are made (stream-socket.ts), shared by every socket. */
  private readonly results = new JsonBytes(RESULT_ARENA_BYTES);

  constructor(private readonly deps: ApiDeps) {
    this.commands = new OrderCommands({ intake: deps.intake, tracker: deps.tracker, instruments: deps.instruments, durable: deps.durable, explainDenial: deps.explainDenial });
    this.stream = new EventStream({
      tracker: deps.tracker, instruments: deps.instruments, log: deps.log,
      strategies: deps.stream?.strategies ?? deps.tracker.store.strategyIds,
      maxBufferedBytes: deps.stream?.maxBufferedBytes ?? DEFAULT_STREAM_MAX_BUFFERED_BYTES, journal: deps.stream?.journal,
    });
    this.routes = apiRoutes({ deps, commands: this.commands, submitOrder: (body) => this.submitOrder(body), openApi: () => this.openApi() });
    if (!this.routes.some((r) => r.method === 'POST' && r.url === '/v1/orders')) throw new Error('api routes: POST /v1/orders is missing');
    this.submitAnswers = { commands: this.commands, answer: (res, r) => this.fastAnswer(res, r), failure: (err) => this.failure(err) };
    this.patterns = this.routes.map((r) => pathPattern(r.url));
    this.openPatterns = this.routes.filter((r) => r.open === true).map((r) => pathPattern(r.url));
    this.app = Fastify({
      logger: false, // the daemon logs what matters itself (errors, never request lines)
      bodyLimit: MAX_BODY_BYTES,
      exposeHeadRoutes: false,
      // the server made here (fastify's own would be the same, with these timeouts): a plain submit is answered before
      // fastify sees it (fastSubmit)
      serverFactory: (handler) => {
        const server = createServer((req, res) => {
          if (!this.fastSubmit(req, res)) handler(req, res);
        });
        server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
        server.requestTimeout = REQUEST_TIMEOUT_MS;
        return server;
      },
      forceCloseConnections: true,
      return503OnClosing: false,
      routerOptions: { maxParamLength: 16 * 1024 }, // a path parameter is bounded by the header size, as before
      // A request line or header the HTTP parser refuses: a catalogue body instead of a bare 400, then close.
      clientErrorHandler: (err, socket) => refuseClient(err, socket),
      rewriteUrl: (req) => {
        const target = parseRequestTarget(req.url);
        this.targets.set(req, target);
        return target === null ? '/' : routerPath(target.path);
      },
      // Cannot happen with every % escaped; a refusal rather than fastify's own body if it ever does.
      frameworkErrors: (_err, request, reply) => void this.answer(request, reply, errorReply('BAD_REQUEST', 'the request target is not a path')),
    });
    // CONNECT never reaches the router: Node hands its socket to this listener (and without one closes it unanswered)
    this.app.server.on('connect', (_req: IncomingMessage, socket: Duplex) => refuseConnect(socket));
    this.maxBatch = deps.stream?.maxBatch ?? DEFAULT_WS_MAX_BATCH;
    // A frame may hold a batch of ops: its bound grows with the batch's (one op stays bounded by MAX_BODY_BYTES).
    void this.app.register(fastifyWebsocket, { options: { maxPayload: wsMaxPayload(this.maxBatch) } });
    // Hooks and routes after the plugin's own (its onRequest hook marks upgrades); at the root, not encapsulated.
    const install = async (app: FastifyInstance): Promise<void> => this.install(app);
    (install as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
    void this.app.register(install);
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    return this.app.listen({ port, host }).then(() => this.app.server.address() as AddressInfo);
  }

  async close(): Promise<void> {
    await this.stream.close();
    await this.app.close();
  }

  /** Every method and route fastify registered (GET /v1/stream included), as its onRoute hook saw them. */
  registered(): { method: string; url: string }[] {
    return [...this.registeredRoutes];
  }

  /** Filled by fastify's onRoute hook: what the server really serves, for the OpenAPI test. */
  private readonly registeredRoutes: { method: string; url: string }[] = [];

  /** /v1/stream clients waiting for their auth message, and those refused because too many were (GET /health). */
  get streamAuth(): { awaitingAuth: number; awaitingAuthRefused: number } {
    return { awaitingAuth: this.awaitingAuth, awaitingAuthRefused: this.awaitingAuthRefused };
  }

  /** Resolves when the server is set up (plugins, routes), without listening. */
  async ready(): Promise<void> {
    await this.app.ready();
  }

  /** The OpenAPI 3.1 document of every route (built once). */
  openApi(): Record<string, unknown> {
    this.document ??= openApiDocument([...this.routes, STREAM_ROUTE], { title: 'Switchyard control API', version: '1' });
    return this.document;
  }

  private install(app: FastifyInstance): void {
    app.addHook('onRoute', (r) => {
      for (const method of Array.isArray(r.method) ? r.method : [r.method]) this.registeredRoutes.push({ method, url: r.url });
    });
    // The body, whatever its Content-Type, as exact JSON (json-exact.ts); none at all is undefined.
    app.removeAllContentTypeParsers();
    // Read as bytes, not as fastify's text: its decoding puts U+FFFD in place of bytes that are not UTF-8.
    const parseBody = (_req: FastifyRequest, bytes: string | Buffer, done: (err: Error | null, body?: unknown) => void): void => {
      let body: unknown;
      try {
        body = bodyValue(bytes as Buffer);
      } catch (err) {
        return done(err as HttpError, undefined);
      }
      done(null, body);
    };
    app.addContentTypeParser('*', { parseAs: 'buffer' }, parseBody);
    // The same parser under the usual type: fastify caches the lookup of a named type, not of the catch-all (which
    // parsed every request's Content-Type header again).
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, parseBody);
    app.addHook('onRequest', async (request, reply) => {
      const refusal = this.admit(request);
      if (refusal === undefined) return undefined;
      await this.answer(request, reply, refusal);
      return reply;
    });
    app.setErrorHandler(async (err, request, reply) => {
      await this.answer(request, reply, this.failure(err));
      return reply;
    });
    app.setNotFoundHandler(async (request, reply) => {
      const path = this.targets.get(request.raw)?.path ?? '';
      const known = this.patterns.some((p) => p.test(path));
      await this.answer(request, reply, errorReply(known ? 'METHOD_NOT_ALLOWED' : 'NOT_FOUND', known ? undefined : `no route ${request.method} ${path}`));
      return reply;
    });
    for (const route of this.routes) {
      app.route({ method: route.method, url: route.url, config: { open: route.open === true } satisfies RouteConfig, handler: (request, reply) => this.dispatch(route, request, reply) });
    }
    app.route({
      method: 'GET', url: STREAM_ROUTE.url,
      // Not an upgrade: no route (as before).
      handler: async (request, reply) => {
        await this.answer(request, reply, errorReply('NOT_FOUND', `no route GET ${this.targets.get(request.raw)?.path ?? ''}`));
        return reply;
      },
      wsHandler: (socket, request) => {
        const target = this.targets.get(request.raw);
        const byMessage = this.messageAuth.has(request.raw);
        if (byMessage) this.awaitingAuth++;
        acceptStreamSocket({
          stream: this.stream, commands: this.commands, auth: this.deps.auth, metrics: this.deps.metrics, log: this.deps.log,
          results: this.results, enqueue: this.enqueueOrder, maxBatch: this.maxBatch,
        }, socket, target === null || target === undefined ? new URLSearchParams() : targetQuery(target), !byMessage, () => this.awaitingAuth--);
      },
    });
  }

  /**
   * Before routing goes on: the target, then (upgrades) the WebSocket route, then the token — on the headers alone.
   * Undefined: go on; else the refusal.
   */
  private admit(request: FastifyRequest): Reply | undefined {
    const target = this.targets.get(request.raw);
    if (target === null || target === undefined) return errorReply('BAD_REQUEST', 'the request target is not a path');
    const auth = this.deps.auth;
    if (request.ws) {
      if (request.routeOptions.url !== STREAM_ROUTE.url) return errorReply('NOT_FOUND', 'no WebSocket route here (use /v1/stream)');
      if (auth.checkRequest(request.raw)) return undefined;
      const query = targetQuery(target);
      const token = query.get('token');
      if (token !== null) return auth.check(token) ? undefined : errorReply('UNAUTHORIZED');
      if (request.headers.authorization === undefined && query.get('auth') === 'message') {
        if (this.awaitingAuth >= MAX_AWAITING_AUTH) {
          this.awaitingAuthRefused++;
          return errorReply('UNAUTHORIZED', 'too many streams are waiting for their auth message: send the token with the upgrade');
        }
        this.messageAuth.add(request.raw);
        return undefined;
      }
      return errorReply('UNAUTHORIZED');
    }
    if ((request.routeOptions.config as RouteConfig | undefined)?.open === true) return undefined;
    if (request.routeOptions.url === undefined && this.openPatterns.some((p) => p.test(target.path))) return undefined; // 405
    return auth.checkRequest(request.raw) ? undefined : errorReply('UNAUTHORIZED');
  }

  private async dispatch(route: ApiRoute, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const target = this.targets.get(request.raw)!;
    let r: Reply | RawReply;
    try {
      const params: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.params as Record<string, string>)) {
        if (value.length === 0 && name !== '*') throw new HttpError('NOT_FOUND', `no route ${request.method} ${target.path}`);
        params[name] = decodeSegment(value);
      }
      r = await route.handle({ method: request.method, path: target.path, query: targetQuery(target), params, body: request.body });
    } catch (err) {
      r = this.failure(err);
    }
    await this.answer(request, reply, r);
    return reply;
  }

  private failure(err: unknown): Reply {
    if (err instanceof HttpError) return errorReply(err.code, err.message, err.field);
    const status = (err as { statusCode?: unknown }).statusCode;
    if (status === 413) return errorReply('PAYLOAD_TOO_LARGE', `body larger than ${MAX_BODY_BYTES} bytes`);
    if (typeof status === 'number' && status >= 400 && status < 500) return bodyUnreadable();
    this.deps.log.error({ err }, 'api request failed');
    return errorReply('INTERNAL', 'internal error');
  }

  /**
   * Send a route's answer. An answer given before the request body has fully arrived (401, 413, a refused path)
   * closes the connection: keeping it alive would mean reading, and throwing away, whatever the client still sends.
   * Decided a microtask later: Node's parser marks a request without a body complete just after handing it over.
   */
  private async answer(request: FastifyRequest, reply: FastifyReply, r: Reply | RawReply): Promise<void> {
    await Promise.resolve();
    if (reply.sent) return;
    if (!request.raw.complete) void reply.header('connection', 'close');
    if ('raw' in r) {
      void reply.code(r.status).header('content-type', r.contentType).send(r.raw);
      return;
    }
    if (request.method === 'POST' && this.targets.get(request.raw)?.path === '/v1/orders') this.countSubmitRefusal(r);
    if (r.status === 401) void reply.header('www-authenticate', 'Bearer');
    void reply.code(r.status).header('content-type', JSON_TYPE).send(JSON.stringify(r.body));
  }

  /**
   * A refused submit (POST /v1/orders) is counted by its code when the order never existed. A denied order (the body
   * names its orderId) was already counted by the tracker's DENIED event: counting it here too would count it twice.
   */
  private countSubmitRefusal(r: Reply): void {
    if (r.status < 400 || r.status === 401) return;
    const body = r.body as { error?: { code?: string }; orderId?: number };
    if (body.error?.code !== undefined && body.orderId === undefined) this.deps.metrics.edgeReject(body.error.code);
  }

  /**
   * POST /v1/orders without fastify's routing, hooks and reply (bench:stress's HTTP producers alone 10-35 % faster, the
   * whole bench about 5 %: docs/benchmarks.md), when the request is plain: its target's path exactly /v1/orders, the
   * token accepted, a Content-Length within MAX_BODY_BYTES and no Transfer-Encoding. The body is read whole, parsed as
   * fastify's content-type parser here parses it (bodyValue) and submitted as the route's handler submits it, its
   * decision and the journal waited for by an HttpSubmit (http-submit.ts: the route's answers, with no promise per
   * request); the answer (or the refusal: failure()) is written as answer() writes it.
   * Anything else — no token or a wrong one, a body too big or streamed, a target that is not a path, another path —
   * returns false untouched: fastify answers it (401, 413, 400 ...) as before. Node's parser has already made sure the
   * body is exactly Content-Length bytes, unless the client goes away (then it is answered like fastify, to no one).
   */
  private fastSubmit(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== 'POST') return false;
    const url = req.url;
    if (url === undefined || !url.startsWith('/v1/orders')) return false;
    const length = req.headers['content-length'];
    if (length === undefined || req.headers['transfer-encoding'] !== undefined || !(Number(length) <= MAX_BODY_BYTES)) return false;
    const target = parseRequestTarget(url);
    if (target === null || target.path !== '/v1/orders' || !this.deps.auth.checkRequest(req)) return false;
    this.fastSubmits++;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', () => this.fastAnswer(res, bodyUnreadable()));
    req.on('end', () => this.fastHandle(res, target, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    return true;
  }

  /**
   * The route's answer to a fast submit (its refusal: failure()): what POST /v1/orders's handler does, in its order —
   * the body read, `?result=` checked, the body required, the order decoded and queued —, then the decision and the
   * journal waited for by the request's HttpSubmit, with no promise of its own.
   */
  private fastHandle(res: ServerResponse, target: RequestTarget, body: Buffer): void {
    try {
      const value = bodyValue(body);
      const ids = this.resultIds(target);
      const r = this.commands.enqueue(required(value), this.apiOnly);
      if (!r.ok) {
        this.fastAnswer(res, errorReply(r.code, r.message, r.field, r.order));
        return;
      }
      this.commands.waitDecision(r.order, new HttpSubmit(this.submitAnswers, res, ids), 0);
    } catch (err) {
      this.fastAnswer(res, this.failure(err));
    }
  }

  /** resultIds of the target's query, kept for the last query string (clients send the same one request after request). */
  private resultIds(target: RequestTarget): boolean {
    if (target.search === this.idsSearch) return this.idsValue;
    const ids = resultIds(targetQuery(target));
    this.idsSearch = target.search;
    this.idsValue = ids;
    return ids;
  }

  private fastAnswer(res: ServerResponse, r: Reply | RawReply): void {
    if (res.headersSent) return;
    let payload: string | Buffer;
    let type: string;
    if ('raw' in r) {
      payload = r.raw;
      type = r.contentType;
    } else {
      this.countSubmitRefusal(r);
      payload = JSON.stringify(r.body);
      type = JSON_TYPE;
    }
    // The same header lines as an object { 'content-type', 'content-length' } gives, from one array filled in place
    // (Node writes them out before writeHead returns)
    const head = this.answerHead;
    head[1] = type;
    head[3] = Buffer.byteLength(payload);
    res.writeHead(r.status, head);
    res.end(payload);
  }

  /** HTTP: decode, queue, and wait for the dispatcher's decision. */
  private submitOrder(body: unknown): Promise<SubmitResult> {
    return this.commands.submit(body, this.apiOnly);
  }

  /** WebSocket: decode and queue (its frame's submits are settled together). */
  private readonly enqueueOrder = (body: unknown): ReturnType<OrderCommands['enqueue']> => this.commands.enqueue(body, this.apiOnly);

  /** STRATEGY_NOT_API for a strategy whose orders come from elsewhere (worker module, Redis command stream). */
  private readonly apiOnly = (intent: OrderIntent): CommandError | undefined => {
    const source = this.deps.notApiStrategies?.get(intent.strategy);
    if (source === undefined) return undefined;
    const from = source === 'worker' ? 'runs as a worker: its orders come from its module' : 'has source: redis: its orders come from its Redis command stream';
    return { ok: false, code: 'STRATEGY_NOT_API', message: `strategy ${intent.strategy} ${from}`, field: 'strategy' };
  };
}
