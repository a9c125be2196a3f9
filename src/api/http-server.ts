import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { OrderTracker } from '../execution/order-tracker.js';
import type { OrderIntake } from '../intake/order-intake.js';
import { decodeOrder } from '../intake/order-decoder.js';
import { ERROR_CATALOGUE, type ErrorCode } from '../model/errors.js';
import type { OrderEvent } from '../model/events.js';
import type { InstrumentRegistry } from '../model/instrument.js';
import { ORDER_STATES, type Order, type OrderState } from '../model/order.js';
import type { Router } from '../routing/router.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { FeeSum } from '../risk/fee-ledger.js';
import type { BearerAuth } from './auth.js';
import { orderView } from './order-view.js';

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
  /** Extra fields for GET /health. */
  readonly health: () => Record<string, unknown>;
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
  private readonly clients = new Set<WebSocket>();

  constructor(private readonly deps: ApiDeps) {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 5000;
    this.wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY_BYTES });
    this.server.on('upgrade', (req, socket, head) => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      if (path !== '/v1/stream' || !deps.auth.checkRequest(req, true)) {
        const status = path !== '/v1/stream' ? '404 Not Found' : '401 Unauthorized';
        socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws));
    });
    deps.tracker.listen({
      onTransition: (order, update, t) => {
        if (this.clients.size > 0) this.broadcast(deps.tracker.describe(order, update, t));
      },
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
    for (const ws of this.clients) ws.close(1001, 'daemon stopping');
    this.wss.close();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private broadcast(event: OrderEvent): void {
    const text = JSON.stringify({ type: 'event', ...event });
    for (const ws of this.clients) if (ws.readyState === ws.OPEN) ws.send(text);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let reply: Reply;
    try {
      reply = await this.route(req, res);
    } catch (err) {
      if (err instanceof HttpError) {
        reply = errorReply(err.code, err.message);
      } else {
        this.deps.log.error({ err }, 'api request failed');
        reply = errorReply('INTERNAL', 'internal error');
      }
    }
    if (res.writableEnded) return;
    if (reply.status >= 400 && reply.status !== 401 && req.method === 'POST' && isOrdersPath(req.url)) {
      // An order refused before it existed. A denied order (the body names its orderId) was already counted
      // by the tracker's DENIED event: counting it here too would count it twice.
      const body = reply.body as { error?: { code?: string }; orderId?: number };
      if (body.error?.code !== undefined && body.orderId === undefined) this.deps.metrics.edgeReject(body.error.code);
    }
    const text = JSON.stringify(reply.body);
    res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<Reply> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (path === '/health') {
      if (method !== 'GET') throw new HttpError('METHOD_NOT_ALLOWED');
      return { status: 200, body: { status: 'ok', accepting: this.deps.intake.isAccepting, ...this.deps.health() } };
    }
    if (!this.deps.auth.checkRequest(req)) {
      req.resume();
      res.setHeader('www-authenticate', 'Bearer');
      return errorReply('UNAUTHORIZED');
    }
    if (path === '/metrics') {
      if (method !== 'GET') throw new HttpError('METHOD_NOT_ALLOWED');
      const text = await this.deps.metrics.render();
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
      if (method === 'GET') return this.list(url.searchParams.get('state'));
      throw new HttpError('METHOD_NOT_ALLOWED');
    }
    const orderMatch = /^\/v1\/orders\/([^/]+)$/.exec(path);
    if (orderMatch !== null) {
      const order = this.findOrder(decodeSegment(orderMatch[1]!));
      if (method === 'GET') return { status: 200, body: orderView(order, this.deps.instruments) };
      if (method === 'DELETE') {
        const r = this.deps.intake.cancel(order.id);
        if (!r.ok) throw new HttpError(r.code, r.message);
        return { status: 202, body: orderView(r.order, this.deps.instruments) };
      }
      throw new HttpError('METHOD_NOT_ALLOWED');
    }
    if (path === '/v1/admin/reload') {
      if (method !== 'POST') throw new HttpError('METHOD_NOT_ALLOWED');
      req.resume();
      const r = this.deps.reload?.() ?? { ok: false, errors: ['reload is not available'] };
      if (r.ok) return { status: 200, body: { reloaded: true } };
      return { status: 422, body: { error: { code: 'CONFIG_INVALID', message: 'the configuration was not reloaded', retryable: false, errors: r.errors } } };
    }
    const routeMatch = /^\/v1\/routes\/([^/]+)$/.exec(path);
    if (routeMatch !== null) {
      if (method !== 'GET') throw new HttpError('METHOD_NOT_ALLOWED');
      const symbol = decodeSegment(routeMatch[1]!);
      const ins = this.deps.instruments.get(symbol);
      if (ins === undefined) throw new HttpError('UNKNOWN_SYMBOL', `unknown symbol "${symbol}"`);
      return { status: 200, body: { symbol, slots: this.deps.router.slots(ins.index), total: 256 } };
    }
    throw new HttpError('NOT_FOUND', `no route ${method} ${path}`);
  }

  private async submit(body: unknown): Promise<Reply> {
    const r = await this.submitOrder(body);
    if (!r.ok) return errorReply(r.code, r.message, r.field, r.order);
    return { status: 201, body: orderView(r.order, this.deps.instruments) };
  }

  /** Shared by HTTP and WebSocket: decode, queue, and wait for the dispatcher's decision. */
  private async submitOrder(body: unknown): Promise<
    { ok: true; order: Order } | { ok: false; code: ErrorCode; message: string; field?: string | undefined; order?: Order }
  > {
    const decoded = decodeOrder(body, this.deps.instruments);
    if (!decoded.ok) return { ok: false, ...decoded.error };
    const r = this.deps.intake.submit(decoded.intent);
    if (!r.ok) return r;
    const order = await this.deps.intake.dispatched(r.order);
    await this.deps.durable?.();
    if (order.state === 'DENIED') {
      const code = order.reason as ErrorCode;
      return { ok: false, code, message: ERROR_CATALOGUE[code]?.description ?? String(order.reason), order };
    }
    return { ok: true, order };
  }

  private list(state: string | null): Reply {
    let orders: Order[];
    if (state === null || state === 'all') orders = this.deps.tracker.list(false);
    else if (state === 'open') orders = this.deps.tracker.list(true);
    else if ((ORDER_STATES as readonly string[]).includes(state.toUpperCase())) {
      const s = state.toUpperCase() as OrderState;
      orders = this.deps.tracker.list(false).filter((o) => o.state === s);
    } else throw new HttpError('INVALID_FIELD', `state must be open, all or one of ${ORDER_STATES.join(', ')}`);
    return { status: 200, body: { orders: orders.map((o) => orderView(o, this.deps.instruments)) } };
  }

  /** By numeric order id, else by client order id (a client id of digits only is found when no order has that id). */
  private findOrder(key: string): Order {
    const byId = /^\d{1,15}$/.test(key) ? this.deps.tracker.get(Number(key)) : undefined;
    const order = byId ?? this.deps.tracker.getByClientOrderId(key);
    if (order === undefined) throw new HttpError('ORDER_NOT_FOUND', `no order ${key}`);
    return order;
  }

  private onSocket(ws: WebSocket): void {
    this.clients.add(ws);
    ws.on('close', () => this.clients.delete(ws));
    ws.on('error', () => this.clients.delete(ws));
    ws.send(JSON.stringify({ type: 'hello', seq: this.deps.tracker.lastSeq }));
    ws.on('message', (data) => {
      this.onMessage(ws, data.toString()).catch((err: unknown) => {
        this.deps.log.error({ err }, 'api websocket message failed');
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'result', id: null, ok: false, error: { code: 'INTERNAL', message: 'internal error' } }));
      });
    });
  }

  private async onMessage(ws: WebSocket, text: string): Promise<void> {
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      ws.send(JSON.stringify({ type: 'result', id: null, ok: false, error: { code: 'BAD_REQUEST', message: 'message is not JSON' } }));
      return;
    }
    const m = (typeof msg === 'object' && msg !== null ? msg : {}) as { op?: unknown; id?: unknown; order?: unknown; orderId?: unknown };
    const id = typeof m.id === 'string' || typeof m.id === 'number' ? m.id : null;
    const send = (body: Record<string, unknown>): void => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'result', id, ...body }));
    };
    if (m.op === 'submit') {
      const r = await this.submitOrder(m.order);
      if (r.ok) send({ ok: true, order: orderView(r.order, this.deps.instruments) });
      else {
        if (r.order === undefined) this.deps.metrics.edgeReject(r.code); // a denied order is counted by its DENIED event
        send({ ok: false, error: { code: r.code, message: r.message, field: r.field }, order: r.order && orderView(r.order, this.deps.instruments) });
      }
      return;
    }
    if (m.op === 'cancel') {
      const key = typeof m.orderId === 'number' ? String(m.orderId) : typeof m.orderId === 'string' ? m.orderId : '';
      try {
        const order = this.findOrder(key);
        const r = this.deps.intake.cancel(order.id);
        if (r.ok) send({ ok: true, order: orderView(r.order, this.deps.instruments) });
        else send({ ok: false, error: { code: r.code, message: r.message } });
      } catch (err) {
        const e = err as HttpError;
        send({ ok: false, error: { code: e.code, message: e.message } });
      }
      return;
    }
    send({ ok: false, error: { code: 'INVALID_FIELD', message: 'op must be submit or cancel', field: 'op' } });
  }
}

function isOrdersPath(url: string | undefined): boolean {
  return new URL(url ?? '/', 'http://localhost').pathname === '/v1/orders';
}

/** A percent-decoded path segment; a malformed escape is kept as is (it then matches no order and no symbol). */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function errorReply(code: ErrorCode, message?: string, field?: string, order?: Order): Reply {
  const error: Record<string, unknown> = { code, message: message ?? ERROR_CATALOGUE[code].description, retryable: ERROR_CATALOGUE[code].kind === 'retryable' };
  if (field !== undefined) error.field = field;
  const body: Record<string, unknown> = { error };
  if (order !== undefined) body.orderId = order.id;
  return { status: ERROR_CATALOGUE[code].http, body };
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > MAX_BODY_BYTES) {
      req.resume();
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
        reject(new HttpError('PAYLOAD_TOO_LARGE', `body larger than ${MAX_BODY_BYTES} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (failed) return;
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new HttpError('BAD_REQUEST', 'body is not valid JSON'));
      }
    });
    req.on('error', reject);
  });
}
