/**
 * One client of /v1/stream after the upgrade: its first-message authentication when it asked for it
 * (`?auth=message`: browsers cannot set headers, and a token in a URL ends up in logs), then the order ops it may
 * send — submit, amend, cancel, each answered with a `result` message under the stream's send-buffer bound. The
 * events themselves are the EventStream's (event-stream.ts).
 */
import type { WebSocket } from 'ws';
import { parseJsonExact } from '../intake/json-exact.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { BearerAuth } from './auth.js';
import type { EventStream } from './event-stream.js';
import type { AmendCommandResult, OrderCommands, SubmitResult } from './order-commands.js';
import type { Order } from '../model/order.js';

/** How long a client that chose `?auth=message` has to send `{"op":"auth","token":"..."}`. */
export const AUTH_MESSAGE_WAIT_MS = 5000;
/** Close code for a missing, late or wrong token in the first message. */
export const AUTH_FAILED_CLOSE_CODE = 4001;

export interface StreamSocketDeps {
  readonly stream: EventStream;
  readonly commands: OrderCommands;
  readonly auth: BearerAuth;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly view: (order: Order) => unknown;
  readonly submitOrder: (body: unknown) => Promise<SubmitResult>;
}

/**
 * A new socket. `authenticated`: the upgrade carried the token; otherwise the first message must be the auth op
 * within AUTH_MESSAGE_WAIT_MS, else the socket is closed with 4001 and nothing else it sent is read.
 */
export function acceptStreamSocket(d: StreamSocketDeps, ws: WebSocket, query: URLSearchParams, authenticated: boolean): void {
  if (authenticated) {
    start(d, ws, query);
    return;
  }
  const timer = setTimeout(() => ws.close(AUTH_FAILED_CLOSE_CODE, 'no auth message'), AUTH_MESSAGE_WAIT_MS);
  ws.on('close', () => clearTimeout(timer));
  ws.once('message', (data) => {
    clearTimeout(timer);
    let token: unknown;
    try {
      const m = JSON.parse(data.toString()) as { op?: unknown; token?: unknown };
      token = m.op === 'auth' ? m.token : undefined;
    } catch {
      token = undefined;
    }
    if (typeof token !== 'string' || !d.auth.check(token)) {
      ws.close(AUTH_FAILED_CLOSE_CODE, 'unauthorized');
      return;
    }
    start(d, ws, query);
  });
}

function start(d: StreamSocketDeps, ws: WebSocket, query: URLSearchParams): void {
  if (!d.stream.add(ws, query)) return; // a bad query: closed with the reason, its messages are not read
  ws.on('message', (data) => {
    onMessage(d, ws, data.toString()).catch((err: unknown) => {
      d.log.error({ err }, 'api websocket message failed');
      d.stream.send(ws, JSON.stringify({ type: 'result', id: null, ok: false, error: { code: 'INTERNAL', message: 'internal error' } }));
    });
  });
}

async function onMessage(d: StreamSocketDeps, ws: WebSocket, text: string): Promise<void> {
  let msg: unknown;
  try {
    msg = parseJsonExact(text); // numbers a double cannot hold are refused by the decoder, never rounded
  } catch {
    d.stream.send(ws, JSON.stringify({ type: 'result', id: null, ok: false, error: { code: 'BAD_REQUEST', message: 'message is not JSON' } }));
    return;
  }
  const m = (typeof msg === 'object' && msg !== null ? msg : {}) as { op?: unknown; id?: unknown; order?: unknown; orderId?: unknown; amend?: unknown };
  const id = typeof m.id === 'string' || typeof m.id === 'number' ? m.id : null;
  const send = (body: Record<string, unknown>): void => {
    d.stream.send(ws, JSON.stringify({ type: 'result', id, ...body })); // under the stream's send-buffer bound
  };
  const key = typeof m.orderId === 'number' ? String(m.orderId) : typeof m.orderId === 'string' ? m.orderId : '';
  if (m.op === 'submit') {
    const r = await d.submitOrder(m.order);
    if (r.ok) send({ ok: true, order: d.view(r.order) });
    else {
      if (r.order === undefined) d.metrics.edgeReject(r.code); // a denied order is counted by its DENIED event
      send({ ok: false, error: { code: r.code, message: r.message, field: r.field }, order: r.order && d.view(r.order) });
    }
    return;
  }
  if (m.op === 'cancel') {
    const found = d.commands.findOrError(key);
    if (!found.ok) return send({ ok: false, error: { code: found.code, message: found.message } });
    const r = d.commands.cancelById(found.order.id);
    if (r.ok) send({ ok: true, order: d.view(r.order) });
    else send({ ok: false, error: { code: r.code, message: r.message } });
    return;
  }
  if (m.op === 'amend') {
    const found = d.commands.findOrError(key);
    if (!found.ok) return send({ ok: false, error: { code: found.code, message: found.message } });
    const r: AmendCommandResult = await d.commands.amend(found.order.id, m.amend);
    if (r.ok) send({ ok: true, pending: r.pending, order: d.view(r.order) });
    else send({ ok: false, error: { code: r.code, message: r.message, field: r.field }, order: r.order && d.view(r.order) });
    return;
  }
  send({ ok: false, error: { code: 'INVALID_FIELD', message: 'op must be submit, cancel or amend', field: 'op' } });
}
