/**
 * The control API's answers and request-body rules, shared by its HTTP routes and the WebSocket: coded errors with
 * the catalogue's status and body, a parser refusal written straight to the socket, and the small bodies the admin
 * routes take. Kept apart from the server so that the routes, the WebSocket ops and the server read the same rules.
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { ERROR_CATALOGUE, type ErrorCode } from '../model/errors.js';
import type { Order } from '../model/order.js';
import { enumOf } from '../intake/order-decoder.js';
import { TRADING_STATES, type StateChange } from '../risk/trading-states.js';

/** Largest accepted request body or WebSocket message, in bytes. */
export const MAX_BODY_BYTES = 16 * 1024;

/** A refusal with a catalogue code: the route's answer is the code's status and error body. */
export class HttpError extends Error {
  constructor(readonly code: ErrorCode, message?: string, readonly field?: string) {
    super(message ?? ERROR_CATALOGUE[code].description);
  }
}

export type Reply = { status: number; body: unknown };

/** {error: {code, message, retryable, field?}, orderId?} with the code's HTTP status. */
export function errorReply(code: ErrorCode, message?: string, field?: string, order?: Order): Reply {
  const error: Record<string, unknown> = { code, message: message ?? ERROR_CATALOGUE[code].description, retryable: ERROR_CATALOGUE[code].kind === 'retryable' };
  if (field !== undefined) error.field = field;
  const body: Record<string, unknown> = { error };
  if (order !== undefined) body.orderId = order.id;
  return { status: ERROR_CATALOGUE[code].http, body };
}

/** The Content-Type of every JSON answer. */
export const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * What Node's HTTP server does on a parse error (answer unless a response is under way, then destroy), with the
 * catalogue's BAD_REQUEST body on a 400. Other parser refusals (431 headers too large, 408 timeout) keep Node's
 * status and no body; a reset connection is just destroyed.
 */
export function refuseClient(err: NodeJS.ErrnoException, socket: Duplex): void {
  const code = err.code ?? '';
  const status = code === 'HPE_HEADER_OVERFLOW' ? 431 : code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW' ? 413 : 400;
  const pending = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (code !== 'ECONNRESET' && socket.writable && (pending === undefined || pending === null || !pending.headersSent)) {
    answerAndClose(socket, status === 400 ? errorReply('BAD_REQUEST', 'the request line or a header is malformed') : { status, body: undefined });
    return;
  }
  socket.destroy();
}

/**
 * A CONNECT request (Node's server hands its socket to a 'connect' listener, and without one closes it unanswered):
 * answered 405 with the catalogue's body, then closed. The control API is not a proxy.
 */
export function refuseConnect(socket: Duplex): void {
  // Node took its own listeners off this socket: a reset must not become an unhandled 'error'
  socket.on('error', () => socket.destroy());
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  answerAndClose(socket, errorReply('METHOD_NOT_ALLOWED', 'CONNECT is not served: this is the control API, not a proxy'));
}

/** Writes `reply` as a whole HTTP/1.1 response on a raw socket (a JSON body unless undefined), then closes it. */
function answerAndClose(socket: Duplex, reply: { status: number; body: unknown }): void {
  const text = reply.body === undefined ? '' : JSON.stringify(reply.body);
  const type = text.length > 0 ? `Content-Type: ${JSON_TYPE}\r\n` : '';
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${reply.status} ${STATUS_CODES[reply.status] ?? ''}\r\nConnection: close\r\n${type}Content-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
}

/** A percent-decoded path segment; a malformed escape is kept as is (it then matches no order and no symbol). */
export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export function jsonObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError('BAD_REQUEST', 'the body must be a JSON object');
  return body as Record<string, unknown>;
}

/** The body of POST /v1/admin/state: { scope, name?, state, reason? }. */
export function stateChange(body: unknown): StateChange {
  const b = jsonObject(body);
  for (const key of Object.keys(b)) {
    if (!['scope', 'name', 'state', 'reason'].includes(key)) throw new HttpError('UNKNOWN_FIELD', `unknown field ${key}`);
  }
  if (typeof b.scope !== 'string') throw new HttpError('INVALID_FIELD', 'scope must be daemon, strategy, venue or symbol');
  const state = typeof b.state === 'string' ? enumOf(b.state, TRADING_STATES) : undefined; // any ASCII case ("actıve" is not ACTIVE)
  if (state === undefined) throw new HttpError('INVALID_FIELD', 'state must be ACTIVE, REDUCING or HALTED');
  if (b.name !== undefined && typeof b.name !== 'string') throw new HttpError('INVALID_FIELD', 'name must be a string');
  if (b.reason !== undefined && (typeof b.reason !== 'string' || b.reason.length > 200)) throw new HttpError('INVALID_FIELD', 'reason must be a string of at most 200 characters');
  return { scope: b.scope as StateChange['scope'], name: b.name as string | undefined, state, reason: b.reason as string | undefined };
}

/** The body of POST /v1/admin/kill: optional { timeoutMs } (1 to 600000). */
export function killTimeout(body: unknown, fallback: number): number {
  const b = jsonObject(body);
  for (const key of Object.keys(b)) if (key !== 'timeoutMs') throw new HttpError('UNKNOWN_FIELD', `unknown field ${key}`);
  if (b.timeoutMs === undefined) return fallback;
  if (typeof b.timeoutMs !== 'number' || !Number.isInteger(b.timeoutMs) || b.timeoutMs < 1 || b.timeoutMs > 600_000) {
    throw new HttpError('INVALID_FIELD', 'timeoutMs must be a whole number of ms from 1 to 600000');
  }
  return b.timeoutMs;
}
