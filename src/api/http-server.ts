import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { OrderTracker } from '../core/order-tracker.js';
import type { OrderIntake } from '../intake/order-intake.js';
import { parseJsonExact } from '../intake/json-exact.js';
import { ERROR_CATALOGUE, type ErrorCode } from '../model/errors.js';
import type { InstrumentRegistry } from '../model/instrument.js';
import type { Order, OrderState } from '../model/order.js';
import type { Router } from '../routing/router.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { FeeSum } from '../risk/fee-ledger.js';
import type { BookView } from '../market/book-view.js';
import type { BearerAuth } from './auth.js';
import { orderView } from './order-view.js';
import { EventStream, type StreamJournal } from './event-stream.js';
import { DEFAULT_STREAM_MAX_BUFFERED_BYTES } from '../config/schema.js';
import { parseRequestTarget, targetQuery, type RequestTarget } from './request-target.js';
import { pageOfOrders, parseCancelFilter, parseListQuery } from './order-query.js';
import { OrderCommands, type AmendCommandResult, type SubmitResult } from './order-commands.js';
import type { StateChange, StateChangeResult, TradingStateRow } from '../risk/trading-states.js';

/** How long PATCH /v1/orders/:id waits for the venue's answer to an amend before answering 202 (still pending). */
export { AMEND_WAIT_MS } from './order-commands.js';

/** Largest accepted request body or WebSocket message, in bytes. */
export const MAX_BODY_BYTES = 16 * 1024;

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
  };
}

class HttpError extends Error {
  constructor(readonly code: ErrorCode, message?: string) {
    super(message ?? ERROR_CATALOGUE[code].description);
  }
}

type Reply = { status: number; body: unknown };

/**
 * The control API: HTTP JSON routes and a WebSocket at /v1/stream, on one port. Every request except
 * GET /health needs the bearer token; without it the answer is 401 and nothing happens.
 */
export class ApiServer {
  private readonly server: Server;
  private readonly wss: WebSocketServer;
  /** The sending side of /v1/stream (events, resume, filters, slow consumers). */
  readonly stream: EventStream;
  /** Submit, amend, cancel and cancel-all: shared by HTTP and the WebSocket; the Redis command intake can use it too. */
  readonly commands: OrderCommands;

  constructor(private readonly deps: ApiDeps) {
    this.commands = new OrderCommands({ intake: deps.intake, tracker: deps.tracker, instruments: deps.instruments, durable: deps.durable, explainDenial: deps.explainDenial });
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 5000;
    this.wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY_BYTES });
    // A request line or header the HTTP parser refuses: a catalogue body instead of Node's bare 400, then close.
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => refuseClient(err, socket));
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      // Node hands the socket over without an error listener: a reset from the client would be an uncaught error.
      socket.on('error', () => socket.destroy());
      try {
        const target = parseRequestTarget(req.url);
        if (target === null) return refuseUpgrade(socket, 'BAD_REQUEST', 'the request target is not a path');
        if (target.path !== '/v1/stream') return refuseUpgrade(socket, 'NOT_FOUND', 'no WebSocket route here (use /v1/stream)');
        if (!deps.auth.checkRequest(req, true)) return refuseUpgrade(socket, 'UNAUTHORIZED');
        this.wss.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws, targetQuery(target)));
      } catch (err) {
        // Nothing a client sends may end the process: whatever got here is logged and the socket closed.
        this.deps.log.error({ err }, 'api upgrade failed');
        socket.destroy();
      }
    });
    this.stream = new EventStream({
      tracker: deps.tracker, instruments: deps.instruments, log: deps.log,
      strategies: deps.stream?.strategies ?? deps.tracker.store.strategyIds,
      maxBufferedBytes: deps.stream?.maxBufferedBytes ?? DEFAULT_STREAM_MAX_BUFFERED_BYTES, journal: deps.stream?.journal,
    });
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  async close(): Promise<void> {
    await this.stream.close();
    this.wss.close();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let reply: Reply;
    const target = parseRequestTarget(req.url);
    try {
      if (target === null) throw new HttpError('BAD_REQUEST', 'the request target is not a path');
      reply = await this.route(req, res, target);
    } catch (err) {
      if (err instanceof HttpError) {
        reply = errorReply(err.code, err.message);
      } else {
        this.deps.log.error({ err }, 'api request failed');
        reply = errorReply('INTERNAL', 'internal error');
      }
    }
    if (res.writableEnded) return;
    if (reply.status >= 400 && reply.status !== 401 && req.method === 'POST' && target?.path === '/v1/orders') {
      // An order refused before it existed. A denied order (the body names its orderId) was already counted
      // by the tracker's DENIED event: counting it here too would count it twice.
      const body = reply.body as { error?: { code?: string }; orderId?: number };
      if (body.error?.code !== undefined && body.orderId === undefined) this.deps.metrics.edgeReject(body.error.code);
    }
    const text = JSON.stringify(reply.body);
    closeIfBodyUnread(req, res);
    res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  private async route(req: IncomingMessage, res: ServerResponse, target: RequestTarget): Promise<Reply> {
    const path = target.path;
    const method = req.method ?? 'GET';
    if (path === '/health') {
      if (method !== 'GET') throw new HttpError('METHOD_NOT_ALLOWED');
      return { status: 200, body: { status: 'ok', accepting: this.deps.intake.isAccepting, ...this.deps.health() } };
    }
    if (!this.deps.auth.checkRequest(req)) {
      // Decided on the headers alone: the body is never read (handle() closes the connection instead).
      res.setHeader('www-authenticate', 'Bearer');
      return errorReply('UNAUTHORIZED');
    }
    if (path === '/metrics') {
      if (method !== 'GET') throw new HttpError('METHOD_NOT_ALLOWED');
      const text = await this.deps.metrics.render();
      closeIfBodyUnread(req, res);
      res.writeHead(200, { 'content-type': this.deps.metrics.contentType });
      res.end(text);
      return { status: 200, body: null };
    }
    if (path === '/v1/fees') {
      if (method !== 'GET') throw new HttpError('METHOD_NOT_ALLOWED');
      return { status: 200, body: { fees: this.deps.fees?.() ?? [] } };
    }
    if (path === '/v1/orders') {
      if (method === 'POST') return this.submit(await readJson(req));
      if (method === 'GET') return this.list(targetQuery(target));
      if (method === 'DELETE') return this.cancelAll(targetQuery(target));
      throw new HttpError('METHOD_NOT_ALLOWED');
    }
    if (path === '/v1/admin/state') {
      const states = this.deps.states;
      if (states === undefined) throw new HttpError('NOT_FOUND', 'trading states are not available');
      if (method === 'GET') return { status: 200, body: { states: states.list() } };
      if (method !== 'POST') throw new HttpError('METHOD_NOT_ALLOWED');
      const change = stateChange(await readJson(req));
      const r = states.set(change);
      if (!r.ok) throw new HttpError('INVALID_FIELD', r.message);
      return { status: 200, body: { changed: r.changed, state: r.row, states: states.list() } };
    }
    if (path === '/v1/admin/kill') {
      if (method !== 'POST') throw new HttpError('METHOD_NOT_ALLOWED');
      if (this.deps.kill === undefined) throw new HttpError('NOT_FOUND', 'the kill switch is not available');
      const body = req.headers['content-length'] === '0' || req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined
        ? {} : await readJson(req);
      const timeoutMs = killTimeout(body, this.deps.killTimeoutMs ?? 10_000);
      return { status: 200, body: await this.deps.kill(timeoutMs) };
    }
    if (path === '/v1/positions') {
      if (method !== 'GET') throw new HttpError('METHOD_NOT_ALLOWED');
      if (this.deps.positions === undefined) throw new HttpError('NOT_FOUND', 'positions are not available in this daemon');
      return { status: 200, body: { positions: this.deps.positions(this.positionFilter(targetQuery(target))) } };
    }
    if (path === '/v1/balances') {
      if (method !== 'GET') throw new HttpError('METHOD_NOT_ALLOWED');
      for (const key of targetQuery(target).keys()) throw new HttpError('UNKNOWN_FIELD', `unknown query parameter ${key}`);
      if (this.deps.balances === undefined) throw new HttpError('NOT_FOUND', 'balances are not available in this daemon');
      return { status: 200, body: { balances: this.deps.balances() } };
    }
    if (path === '/v1/fills') {
      if (method !== 'GET') throw new HttpError('METHOD_NOT_ALLOWED');
      if (this.deps.fills === undefined) throw new HttpError('NOT_FOUND', 'the fill history is not available in this daemon');
      return this.deps.fills(targetQuery(target));
    }
    const orderMatch = /^\/v1\/orders\/([^/]+)$/.exec(path);
    if (orderMatch !== null) {
      const order = this.findOrder(decodeSegment(orderMatch[1]!));
      if (method === 'GET') {
        const body = orderView(order, this.deps.instruments, this.deps.tracker.store);
        if (order.venue !== 'smart') return { status: 200, body }; // a parent held by the daemon lists its children
        const children = (this.deps.children?.(order.id) ?? []).map((c) => orderView(c, this.deps.instruments, this.deps.tracker.store));
        return { status: 200, body: { ...body, children } };
      }
      if (method === 'PATCH') return this.amend(order.id, await readJson(req));
      if (method === 'DELETE') {
        const r = this.commands.cancelById(order.id);
        if (!r.ok) throw new HttpError(r.code, r.message);
        return { status: 202, body: orderView(r.order, this.deps.instruments, this.deps.tracker.store) };
      }
      throw new HttpError('METHOD_NOT_ALLOWED');
    }
    if (path === '/v1/admin/reload') {
      if (method !== 'POST') throw new HttpError('METHOD_NOT_ALLOWED');
      const r = this.deps.reload?.() ?? { ok: false, errors: ['reload is not available'] };
      if (r.ok) return { status: 200, body: { reloaded: true } };
      return { status: 422, body: { error: { code: 'CONFIG_INVALID', message: 'the configuration was not reloaded', retryable: false, errors: r.errors } } };
    }
    const bookMatch = /^\/v1\/books\/([^/]+)$/.exec(path);
    if (bookMatch !== null) {
      if (method !== 'GET') throw new HttpError('METHOD_NOT_ALLOWED');
      const symbol = decodeSegment(bookMatch[1]!);
      const ins = this.deps.instruments.get(symbol);
      if (ins === undefined) throw new HttpError('UNKNOWN_SYMBOL', `unknown symbol ${symbol}`);
      if (this.deps.books === undefined) throw new HttpError('NOT_FOUND', 'market data is not available in this daemon');
      return { status: 200, body: this.deps.books(ins.index) };
    }
    const routeMatch = /^\/v1\/routes\/([^/]+)$/.exec(path);
    if (routeMatch !== null) {
      if (method !== 'GET') throw new HttpError('METHOD_NOT_ALLOWED');
      const symbol = decodeSegment(routeMatch[1]!);
      const ins = this.deps.instruments.get(symbol);
      if (ins === undefined) throw new HttpError('UNKNOWN_SYMBOL', `unknown symbol "${symbol}"`);
      return { status: 200, body: { symbol, slots: this.deps.router.slots(ins.index), total: 256, weights: this.deps.router.effectiveWeights(ins.index) } };
    }
    throw new HttpError('NOT_FOUND', `no route ${method} ${path}`);
  }

  private async submit(body: unknown): Promise<Reply> {
    const r = await this.submitOrder(body);
    if (!r.ok) return errorReply(r.code, r.message, r.field, r.order);
    return { status: 201, body: orderView(r.order, this.deps.instruments, this.deps.tracker.store) };
  }

  /** Shared by HTTP and WebSocket: decode, queue, and wait for the dispatcher's decision. */
  private submitOrder(body: unknown): Promise<SubmitResult> {
    return this.commands.submit(body, (intent) => {
      const source = this.deps.notApiStrategies?.get(intent.strategy);
      if (source === undefined) return undefined;
      const from = source === 'worker' ? 'runs as a worker: its orders come from its module' : 'has source: redis: its orders come from its Redis command stream';
      return { ok: false, code: 'STRATEGY_NOT_API', message: `strategy ${intent.strategy} ${from}`, field: 'strategy' };
    });
  }

  /**
   * PATCH /v1/orders/:id {price?, quantity?} (quantity: the new total, fills included). Refused at once with a code, or
   * sent to the venue (the order is PENDING_UPDATE) and answered with the venue's word: 200 AMENDED with the order in
   * its new terms; 422 VENUE_REJECTED (the old terms stand); 409 ORDER_NOT_AMENDABLE when the order finished first
   * (filled, canceled); 202 with the order still PENDING_UPDATE when the venue has not answered within AMEND_WAIT_MS
   * (its AMENDED or AMEND_REJECT event follows on the stream).
   */
  private async amend(id: number, body: unknown): Promise<Reply> {
    const r = await this.amendOrder(id, body);
    if (!r.ok) return errorReply(r.code, r.message, r.field, r.order);
    return { status: r.pending ? 202 : 200, body: orderView(r.order, this.deps.instruments, this.deps.tracker.store) };
  }

  /** Shared by HTTP and WebSocket. */
  private amendOrder(id: number, body: unknown): Promise<AmendCommandResult> {
    return this.commands.amend(id, body);
  }

  /** ?strategy=&symbol=&venue= of GET /v1/positions, each a configured name. */
  private positionFilter(q: URLSearchParams): { strategy?: string; symbol?: string; venue?: string } {
    const store = this.deps.tracker.store;
    const out: { strategy?: string; symbol?: string; venue?: string } = {};
    for (const key of new Set(q.keys())) {
      const value = q.get(key)!;
      if (key === 'strategy') {
        if (!store.strategyIds.includes(value)) throw new HttpError('UNKNOWN_STRATEGY', `unknown strategy ${value}`);
        out.strategy = value;
      } else if (key === 'symbol') {
        if (this.deps.instruments.get(value) === undefined) throw new HttpError('UNKNOWN_SYMBOL', `unknown symbol ${value}`);
        out.symbol = value;
      } else if (key === 'venue') {
        if (!store.venueNames.includes(value)) throw new HttpError('UNKNOWN_VENUE', `unknown venue ${value}`);
        out.venue = value;
      } else throw new HttpError('UNKNOWN_FIELD', `unknown query parameter ${key} (allowed: strategy, symbol, venue)`);
    }
    return out;
  }

  /** One page of orders (filters, cursor: see order-query.ts); children of parents are listed with their parent. */
  private list(query: URLSearchParams): Reply {
    const store = this.deps.tracker.store;
    const q = parseListQuery(query, store);
    if (!q.ok) throw new HttpError(q.code, q.message);
    const page = pageOfOrders(store, q.value);
    const views = page.slots.map((slot) => orderView(this.deps.tracker.get(store.id[slot]!)!, this.deps.instruments, store));
    return { status: 200, body: { orders: views, nextCursor: page.nextCursor } };
  }

  /**
   * DELETE /v1/orders?strategy=&symbol=&venue=&side= (at least one, or all=true): the operator's cancel of every open
   * order that matches, children included. Not counted against the strategies' cancel rates. Answers at once with
   * the orders asked to cancel (their CANCELED events follow on the stream) and those that could not be.
   */
  private cancelAll(query: URLSearchParams): Reply {
    const store = this.deps.tracker.store;
    const f = parseCancelFilter(query, store);
    if (!f.ok) throw new HttpError(f.code, f.message);
    const { canceling, refused } = this.commands.cancelAll(f.value);
    return { status: 202, body: { canceling, refused } };
  }

  /** By numeric order id, else by client order id (a client id of digits only is found when no order has that id). */
  private findOrder(key: string): Order {
    const r = this.commands.findOrError(key);
    if (!r.ok) throw new HttpError(r.code, r.message);
    return r.order;
  }

  private onSocket(ws: WebSocket, query: URLSearchParams): void {
    if (!this.stream.add(ws, query)) return; // a bad query: closed with the reason, its messages are not read
    ws.on('message', (data) => {
      this.onMessage(ws, data.toString()).catch((err: unknown) => {
        this.deps.log.error({ err }, 'api websocket message failed');
        this.stream.send(ws, JSON.stringify({ type: 'result', id: null, ok: false, error: { code: 'INTERNAL', message: 'internal error' } }));
      });
    });
  }

  private async onMessage(ws: WebSocket, text: string): Promise<void> {
    let msg: unknown;
    try {
      msg = parseJsonExact(text); // numbers a double cannot hold are refused by the decoder, never rounded
    } catch {
      this.stream.send(ws, JSON.stringify({ type: 'result', id: null, ok: false, error: { code: 'BAD_REQUEST', message: 'message is not JSON' } }));
      return;
    }
    const m = (typeof msg === 'object' && msg !== null ? msg : {}) as { op?: unknown; id?: unknown; order?: unknown; orderId?: unknown };
    const id = typeof m.id === 'string' || typeof m.id === 'number' ? m.id : null;
    const send = (body: Record<string, unknown>): void => {
      this.stream.send(ws, JSON.stringify({ type: 'result', id, ...body })); // under the stream's send-buffer bound
    };
    if (m.op === 'submit') {
      const r = await this.submitOrder(m.order);
      if (r.ok) send({ ok: true, order: orderView(r.order, this.deps.instruments, this.deps.tracker.store) });
      else {
        if (r.order === undefined) this.deps.metrics.edgeReject(r.code); // a denied order is counted by its DENIED event
        send({ ok: false, error: { code: r.code, message: r.message, field: r.field }, order: r.order && orderView(r.order, this.deps.instruments, this.deps.tracker.store) });
      }
      return;
    }
    if (m.op === 'cancel') {
      const key = typeof m.orderId === 'number' ? String(m.orderId) : typeof m.orderId === 'string' ? m.orderId : '';
      try {
        const order = this.findOrder(key);
        const r = this.commands.cancelById(order.id);
        if (r.ok) send({ ok: true, order: orderView(r.order, this.deps.instruments, this.deps.tracker.store) });
        else send({ ok: false, error: { code: r.code, message: r.message } });
      } catch (err) {
        const e = err as HttpError;
        send({ ok: false, error: { code: e.code, message: e.message } });
      }
      return;
    }
    if (m.op === 'amend') {
      const key = typeof m.orderId === 'number' ? String(m.orderId) : typeof m.orderId === 'string' ? m.orderId : '';
      try {
        const order = this.findOrder(key);
        const r = await this.amendOrder(order.id, (msg as { amend?: unknown }).amend);
        if (r.ok) send({ ok: true, pending: r.pending, order: orderView(r.order, this.deps.instruments, this.deps.tracker.store) });
        else send({ ok: false, error: { code: r.code, message: r.message, field: r.field }, order: r.order && orderView(r.order, this.deps.instruments, this.deps.tracker.store) });
      } catch (err) {
        const e = err as HttpError;
        send({ ok: false, error: { code: e.code, message: e.message } });
      }
      return;
    }
    send({ ok: false, error: { code: 'INVALID_FIELD', message: 'op must be submit, cancel or amend', field: 'op' } });
  }
}

/**
 * An answer given before the request body has fully arrived (401, 413, a refused path) closes the connection:
 * keeping it alive would mean reading, and throwing away, whatever the client still sends — up to any size.
 */
function closeIfBodyUnread(req: IncomingMessage, res: ServerResponse): void {
  if (!req.complete) res.setHeader('connection', 'close');
}

/** The answer to an upgrade that is not accepted: status and catalogue body, then close. */
function refuseUpgrade(socket: Duplex, code: ErrorCode, message?: string): void {
  const { status, body } = errorReply(code, message);
  const text = JSON.stringify(body);
  const extra = code === 'UNAUTHORIZED' ? 'WWW-Authenticate: Bearer\r\n' : '';
  // Destroyed once written: an upgrade socket has no server timeout, and a client need never close its side.
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\n${extra}Content-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
  );
}

/**
 * What Node's HTTP server does on a parse error (answer unless a response is under way, then destroy), with the
 * catalogue's BAD_REQUEST body on a 400. Other parser refusals (431 headers too large, 408 timeout) keep Node's
 * status and no body; a reset connection is just destroyed.
 */
function refuseClient(err: NodeJS.ErrnoException, socket: Duplex): void {
  const code = err.code ?? '';
  const status = code === 'HPE_HEADER_OVERFLOW' ? 431 : code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW' ? 413 : 400;
  const pending = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (code !== 'ECONNRESET' && socket.writable && (pending === undefined || pending === null || !pending.headersSent)) {
    const text = status === 400 ? JSON.stringify(errorReply('BAD_REQUEST', 'the request line or a header is malformed').body) : '';
    const type = text.length > 0 ? 'Content-Type: application/json; charset=utf-8\r\n' : '';
    socket.once('finish', () => socket.destroy());
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\n${type}Content-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
    return;
  }
  socket.destroy();
}

/** A percent-decoded path segment; a malformed escape is kept as is (it then matches no order and no symbol). */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function jsonObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError('BAD_REQUEST', 'the body must be a JSON object');
  return body as Record<string, unknown>;
}

/** The body of POST /v1/admin/state: { scope, name?, state, reason? }. */
function stateChange(body: unknown): StateChange {
  const b = jsonObject(body);
  for (const key of Object.keys(b)) {
    if (!['scope', 'name', 'state', 'reason'].includes(key)) throw new HttpError('UNKNOWN_FIELD', `unknown field ${key}`);
  }
  if (typeof b.scope !== 'string') throw new HttpError('INVALID_FIELD', 'scope must be daemon, strategy, venue or symbol');
  if (typeof b.state !== 'string') throw new HttpError('INVALID_FIELD', 'state must be ACTIVE, REDUCING or HALTED');
  if (b.name !== undefined && typeof b.name !== 'string') throw new HttpError('INVALID_FIELD', 'name must be a string');
  if (b.reason !== undefined && (typeof b.reason !== 'string' || b.reason.length > 200)) throw new HttpError('INVALID_FIELD', 'reason must be a string of at most 200 characters');
  return { scope: b.scope as StateChange['scope'], name: b.name as string | undefined, state: b.state.toUpperCase() as StateChange['state'], reason: b.reason as string | undefined };
}

/** The body of POST /v1/admin/kill: optional { timeoutMs } (1 to 600000). */
function killTimeout(body: unknown, fallback: number): number {
  const b = jsonObject(body);
  for (const key of Object.keys(b)) if (key !== 'timeoutMs') throw new HttpError('UNKNOWN_FIELD', `unknown field ${key}`);
  if (b.timeoutMs === undefined) return fallback;
  if (typeof b.timeoutMs !== 'number' || !Number.isInteger(b.timeoutMs) || b.timeoutMs < 1 || b.timeoutMs > 600_000) {
    throw new HttpError('INVALID_FIELD', 'timeoutMs must be a whole number of ms from 1 to 600000');
  }
  return b.timeoutMs;
}

function errorReply(code: ErrorCode, message?: string, field?: string, order?: Order): Reply {
  const error: Record<string, unknown> = { code, message: message ?? ERROR_CATALOGUE[code].description, retryable: ERROR_CATALOGUE[code].kind === 'retryable' };
  if (field !== undefined) error.field = field;
  const body: Record<string, unknown> = { error };
  if (order !== undefined) body.orderId = order.id;
  return { status: ERROR_CATALOGUE[code].http, body };
}

/**
 * The JSON body, at most MAX_BODY_BYTES. Too large — by Content-Length, or once the streamed size passes the
 * bound — is a 413 at once: the rest is not read (handle() closes the connection).
 */
function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > MAX_BODY_BYTES) {
      reject(new HttpError('PAYLOAD_TOO_LARGE', `body larger than ${MAX_BODY_BYTES} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        failed = true;
        chunks.length = 0;
        req.pause();
        reject(new HttpError('PAYLOAD_TOO_LARGE', `body larger than ${MAX_BODY_BYTES} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (failed) return;
      try {
        resolve(parseJsonExact(Buffer.concat(chunks).toString('utf8'))); // see json-exact.ts
      } catch {
        reject(new HttpError('BAD_REQUEST', 'body is not valid JSON'));
      }
    });
    // A client gone before its body ended: nothing to answer, and not the daemon's failure (no INTERNAL, no error log).
    req.on('error', () => reject(new HttpError('BAD_REQUEST', 'the request body ended early')));
  });
}
