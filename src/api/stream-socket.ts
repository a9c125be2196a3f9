/**
 * One client of /v1/stream after the upgrade: its first-message authentication when it asked for it
 * (`?auth=message`: browsers cannot set headers, and a token in a URL ends up in logs), then the order ops it may
 * send — submit, amend, cancel, each answered with a `result` message under the stream's send-buffer bound. The
 * events themselves are the EventStream's (event-stream.ts).
 *
 * A frame holds one op (a JSON object, at most MAX_BODY_BYTES: a bigger one closes the socket with 1009) or a batch:
 * a JSON array of at most `maxBatch` ops (daemon.api.wsMaxBatch), executed in order, each answered with its own result,
 * in the order of the ops. A bigger batch is refused whole with one BAD_REQUEST result (id null); an element that is
 * not a valid op, or is over MAX_BODY_BYTES (PAYLOAD_TOO_LARGE), gets its own error result and the others are
 * executed; an empty array is answered with nothing. An op's size is its own JSON text's, alone in a frame or in a
 * batch: the whitespace around it is not counted. A frame is UTF-8 JSON text, sent as a text or a binary frame.
 *
 * A result naming an order carries its whole view (`"order":{…}`), or — a client that connected with `?result=ids` —
 * only its `orderId` and `clientOrderId` (a client that follows its orders on the events needs no more).
 */
import { isUtf8 } from 'node:buffer';
import type { WebSocket } from 'ws';
import { DuplicateKeyError, parseJsonExact } from '../intake/json-exact.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { BearerAuth } from './auth.js';
import { CLOSE_GRACE_MS, type EventStream, type Message } from './event-stream.js';
import { fragment, NUMBER_BOUND, stringBound, type JsonBytes } from '../journal/json-bytes.js';
import { JOURNAL_FAILED, type AmendCommandResult, type CommandError, type OrderCommands, type SubmitResult } from './order-commands.js';
import { SubmitBatch } from './submit-batch.js';
import { SubmitFrameReader } from './submit-frame.js';
import type { OrderView as HeldOrder } from '../core/order-store.js';
import { MAX_BODY_BYTES } from './api-replies.js';
import type { Order } from '../model/order.js';

/** String.prototype.charCodeAt as a constant: see src/model/json-text.ts (a megamorphic `text.charCodeAt` per char). */
const charCodeAt = String.prototype.charCodeAt;

/** How long a client that chose `?auth=message` has to send `{"op":"auth","token":"..."}`. */
export const AUTH_MESSAGE_WAIT_MS = 5000;
/** Close code for a missing, late or wrong token in the first message. */
export const AUTH_FAILED_CLOSE_CODE = 4001;
/**
 * How long a socket closed before it authenticated (4001, or 1007 for an auth message that is not UTF-8) has to answer
 * the close frame before it is destroyed. Nothing was sent to it before that frame, so a live client answers within a
 * round trip; without this a client that never answers would hold its socket for ws's 30 s close timeout.
 */
export const AUTH_CLOSE_GRACE_MS = 1000;

export interface StreamSocketDeps {
  readonly stream: EventStream;
  readonly commands: OrderCommands;
  readonly auth: BearerAuth;
  readonly metrics: Metrics;
  readonly log: Logger;
  /** Where the result messages naming an order are made (an arena: RESULT_ARENA_BYTES; one per server). */
  readonly results: JsonBytes;
  /** Decode, check and queue an order (OrderCommands.enqueue with the API's checks); answered once decided and durable (SubmitBatch). */
  readonly enqueue: (body: unknown) => { ok: true; order: HeldOrder } | CommandError;
  /** daemon.api.wsMaxBatch: most ops in one frame (a JSON array of ops). */
  readonly maxBatch: number;
}

/**
 * A new socket. `authenticated`: the upgrade carried the token; otherwise the first message must be the auth op
 * within AUTH_MESSAGE_WAIT_MS, else the socket is closed with 4001 and nothing else it sent is read. `waitOver`
 * (unauthenticated sockets) is called once, as soon as the socket no longer waits for its auth message: the message
 * came, the daemon decided to close it (at once, not when the client answers the close frame: ws waits up to 30 s
 * for that), or it closed.
 */
export function acceptStreamSocket(d: StreamSocketDeps, ws: WebSocket, query: URLSearchParams, authenticated: boolean, waitOver?: () => void): void {
  if (authenticated) {
    start(d, ws, query);
    return;
  }
  let waiting = true;
  const over = (): void => {
    if (!waiting) return;
    waiting = false;
    clearTimeout(timer);
    waitOver?.();
  };
  const timer = setTimeout(() => {
    over();
    closeSocket(ws, AUTH_FAILED_CLOSE_CODE, 'no auth message', AUTH_CLOSE_GRACE_MS);
  }, AUTH_MESSAGE_WAIT_MS);
  ws.on('close', over);
  ws.once('message', (data, isBinary) => {
    over();
    // the wait ended first (closed with 4001): a message ws still hands over before the client's close frame arrives
    // is not read — an auth message then would start the stream on a closing socket
    if (ws.readyState !== ws.OPEN) return;
    const text = frameText(ws, data as Buffer, isBinary, AUTH_CLOSE_GRACE_MS);
    if (text === undefined) return;
    let token: unknown;
    try {
      const m = JSON.parse(text) as { op?: unknown; token?: unknown };
      token = m.op === 'auth' ? m.token : undefined;
    } catch {
      token = undefined;
    }
    if (typeof token !== 'string' || !d.auth.check(token)) {
      closeSocket(ws, AUTH_FAILED_CLOSE_CODE, 'unauthorized', AUTH_CLOSE_GRACE_MS);
      return;
    }
    start(d, ws, query);
  });
}

/**
 * A frame's text. A text frame ws has checked to be UTF-8 (else it closed the socket with 1007); a binary frame is
 * read as the same UTF-8 JSON text (clients such as ws's send a Buffer as one), so it is checked here the same way: a
 * byte sequence that is not UTF-8 closes the socket with 1007 as ws does for a text frame, rather than being decoded
 * with U+FFFD in its place and executed. Undefined: closed (`graceMs`: closeSocket).
 */
function frameText(ws: WebSocket, bytes: Buffer, isBinary: boolean, graceMs: number): string | undefined {
  return frameUtf8(ws, bytes, isBinary, graceMs) ? bytes.toString() : undefined;
}

/** Whether a frame is UTF-8 (frameText); false: closed. */
function frameUtf8(ws: WebSocket, bytes: Buffer, isBinary: boolean, graceMs: number): boolean {
  if (isBinary && !isUtf8(bytes)) {
    closeSocket(ws, 1007, 'invalid UTF-8 sequence', graceMs);
    return false;
  }
  return true;
}

/**
 * Reads the frames of the common shape (submit ops of plain orders) from their bytes: SubmitFrameReader. One for the
 * module, as json-exact.ts's scratch: a frame is read and executed synchronously, and a frame that arrived while one
 * is handed out (never seen: nothing in an op's execution reads a socket) takes the general path.
 */
const frames = new SubmitFrameReader();

/**
 * The daemon closes a socket: its close frame, then the socket destroyed `graceMs` later unless the client has answered
 * by then (as a dropped slow consumer is: event-stream.ts). ws alone would wait 30 s for the answer, so clients that
 * never answer would each hold a socket that long. `graceMs`: AUTH_CLOSE_GRACE_MS before authentication (nothing is
 * queued ahead of the close frame), CLOSE_GRACE_MS after it (the frame may queue behind events the client has not read).
 */
function closeSocket(ws: WebSocket, code: number, reason: string, graceMs: number): void {
  if (ws.readyState === ws.CLOSING || ws.readyState === ws.CLOSED) return; // already being closed (and so bounded)
  const timer = setTimeout(() => ws.terminate(), graceMs);
  timer.unref();
  ws.once('close', () => clearTimeout(timer));
  ws.close(code, reason);
}

function start(d: StreamSocketDeps, ws: WebSocket, query: URLSearchParams): void {
  const q = d.stream.add(ws, query);
  if (q === undefined) return; // a bad query: closed with the reason, its messages are not read
  const ids = q.result === 'ids';
  ws.on('message', (data, isBinary) => {
    // A socket the daemon closed (a slow consumer, a one-op frame over the bound, the daemon stopping) is answered no
    // more, yet ws emits what the client sent until its close frame arrives: an op read then is not executed (its
    // order would go out and its client never learn of it).
    if (ws.readyState !== ws.OPEN) return;
    try {
      const bytes = data as Buffer; // ws's default binaryType: one Buffer a message
      if (!frameUtf8(ws, bytes, isBinary, CLOSE_GRACE_MS)) return;
      if (!frames.busy && frames.read(bytes, d.maxBatch, MAX_BODY_BYTES) > 0) {
        // what parseJsonExact would have made of it, read from the bytes (submit-frame.ts); else the general path
        frames.busy = true;
        try {
          runOps(d, ws, frames, ids, undefined);
        } finally {
          frames.busy = false;
          frames.done();
        }
        return;
      }
      onMessage(d, ws, bytes.toString(), bytes, ids);
    } catch (err) {
      d.stream.send(ws, internal(d, null, err));
    }
  });
}

type OpId = string | number | null;

function failure(id: OpId, code: string, message: string, field?: string): string {
  return JSON.stringify({ type: 'result', id, ok: false, error: { code, message, field } });
}

/** The chunk of the arena the result messages naming an order are made in (StreamSocketDeps.results). */
export const RESULT_ARENA_BYTES = 64 * 1024;

const RESULT_OPENING = fragment('{"type":"result","id":');
const OK_ORDER = fragment(',"ok":true,"order":');
const OK_PENDING_ORDER = fragment(',"ok":true,"pending":true,"order":');
const OK_NOT_PENDING_ORDER = fragment(',"ok":true,"pending":false,"order":');
const OK_ORDER_ID = fragment(',"ok":true,"orderId":');
const OK_PENDING_ORDER_ID = fragment(',"ok":true,"pending":true,"orderId":');
const OK_NOT_PENDING_ORDER_ID = fragment(',"ok":true,"pending":false,"orderId":');
const CLIENT_ORDER_ID = fragment(',"clientOrderId":');
const CLOSE_BRACE = 0x7d;

/**
 * A result message naming an order: `{"type":"result","id":…,"ok":true,["pending":…,]"order":{…}}` — with `ids`,
 * `{…,"ok":true,["pending":…,]"orderId":…,"clientOrderId":…}` — made as bytes in the results arena (no string of it),
 * or a refusal with the order it concerns (none: no `order` key; with `ids` its two ids instead), as text; the same
 * bytes JSON.stringify gives of those objects.
 */
function orderResult(d: StreamSocketDeps, id: OpId, r: SubmitResult | AmendCommandResult | { ok: true; order: Order }, ids: boolean): Message {
  if (!r.ok) {
    const head = failure(id, r.code, r.message, r.field);
    if (r.order === undefined) return head;
    if (ids) return `${head.slice(0, -1)},"orderId":${r.order.id},"clientOrderId":${JSON.stringify(r.order.clientOrderId)}}`;
    return `${head.slice(0, -1)},"order":${d.commands.viewJson(r.order)}}`;
  }
  const w = d.results;
  w.begin();
  w.reserve(RESULT_OPENING.length + OK_NOT_PENDING_ORDER.length + (typeof id === 'string' ? stringBound(id) : NUMBER_BOUND));
  w.raw(RESULT_OPENING);
  if (typeof id === 'string') w.str(id);
  else if (id === null) w.null();
  else w.num(id);
  if (ids) {
    writeIds(w, !('pending' in r) ? OK_ORDER_ID : r.pending ? OK_PENDING_ORDER_ID : OK_NOT_PENDING_ORDER_ID, r.order.id, r.order.clientOrderId);
  } else {
    w.raw(!('pending' in r) ? OK_ORDER : r.pending ? OK_PENDING_ORDER : OK_NOT_PENDING_ORDER);
    d.commands.writeView(w, r.order);
    w.reserve(1);
  }
  w.byte(CLOSE_BRACE);
  return w.bytes(); // (a Uint8Array view: a Buffer one costs about four times as much to make; the stream copies it out)
}

/** `,"ok":true,["pending":…,]"orderId":…,"clientOrderId":…` (`ok`: which of the OK_…ORDER_ID openings). */
function writeIds(w: JsonBytes, ok: Uint8Array, orderId: number, clientOrderId: string): void {
  w.reserve(OK_NOT_PENDING_ORDER_ID.length + NUMBER_BOUND + CLIENT_ORDER_ID.length + stringBound(clientOrderId) + 1);
  w.raw(ok);
  w.num(orderId);
  w.raw(CLIENT_ORDER_ID);
  w.str(clientOrderId);
}

/**
 * What orderResult makes of `{ ok: true, order }` with `ids` (a submit's answer to a client of `?result=ids`), from
 * the two ids alone: `{"type":"result","id":…,"ok":true,"orderId":…,"clientOrderId":…}`.
 */
function idsResult(d: StreamSocketDeps, id: OpId, orderId: number, clientOrderId: string): Message {
  const w = d.results;
  w.begin();
  w.reserve(RESULT_OPENING.length + (typeof id === 'string' ? stringBound(id) : NUMBER_BOUND));
  w.raw(RESULT_OPENING);
  if (typeof id === 'string') w.str(id);
  else if (id === null) w.null();
  else w.num(id);
  writeIds(w, OK_ORDER_ID, orderId, clientOrderId);
  w.byte(CLOSE_BRACE);
  return w.bytes();
}

function onMessage(d: StreamSocketDeps, ws: WebSocket, text: string, bytes: Buffer, ids: boolean): void {
  let msg: unknown;
  if (bytes.length > MAX_BODY_BYTES && charCodeAt.call(text, firstNonSpace(text)) !== 0x5b && valueBytes(bytes, 0, bytes.length) > MAX_BODY_BYTES) {
    // One op is bounded as an HTTP body is (the socket's frame bound is larger, for batches): closed as ws would. Its
    // own text is measured, the whitespace around it not counted, as an op in a batch is (elementsOver).
    closeSocket(ws, 1009, 'Max payload size exceeded', CLOSE_GRACE_MS);
    return;
  }
  try {
    msg = parseJsonExact(text); // numbers a double cannot hold are refused by the decoder, never rounded
  } catch (err) {
    if (err instanceof DuplicateKeyError) d.stream.send(ws, failure(null, 'BAD_REQUEST', err.message, err.path));
    else d.stream.send(ws, failure(null, 'BAD_REQUEST', 'message is not JSON'));
    return;
  }
  if (!Array.isArray(msg)) {
    runOps(d, ws, [msg], ids, undefined);
    return;
  }
  if (msg.length > d.maxBatch) {
    d.stream.send(ws, failure(null, 'BAD_REQUEST', `a batch holds at most ${d.maxBatch} ops (this one ${msg.length}): none was executed`));
    return;
  }
  // Each op of a batch is bounded as a one-op frame is: only a frame over the bound can hold an op over it.
  runOps(d, ws, msg, ids, bytes.length > MAX_BODY_BYTES ? elementsOver(bytes, MAX_BODY_BYTES) : undefined);
}

function firstNonSpace(text: string): number {
  let i = 0;
  while (i < text.length && (charCodeAt.call(text, i) === 0x20 || charCodeAt.call(text, i) === 0x0a || charCodeAt.call(text, i) === 0x0d || charCodeAt.call(text, i) === 0x09)) i++;
  return i;
}

/** An element of a JSON array text over a size bound: its index and its size in bytes. */
export interface OversizedElement {
  readonly index: number;
  readonly bytes: number;
}

/**
 * The elements of the JSON array in `json` (UTF-8 bytes of a text JSON.parse took) whose own text — from its first
 * byte to its last, the whitespace around it not counted — is over `limit` bytes, in order; undefined when none is.
 * One pass over the bytes, strings skipped with a native search for their closing quote (a quote after an odd run of
 * backslashes is escaped); the structural bytes (quote, backslash, brackets, braces, comma) never occur inside a
 * multi-byte UTF-8 sequence, so the bytes can be read one by one. Nothing is allocated unless an element is over.
 */
export function elementsOver(json: Uint8Array, limit: number): OversizedElement[] | undefined {
  const n = json.length;
  let out: OversizedElement[] | undefined;
  let depth = 0;
  let index = 0;
  let start = -1;
  const element = (from: number, to: number): void => {
    // [from, to): the bytes between the separators around the element, whitespace included
    if (to - from > limit) {
      const bytes = valueBytes(json, from, to);
      if (bytes > limit) (out ??= []).push({ index, bytes });
    }
    index++;
  };
  for (let i = 0; i < n; i++) {
    const c = json[i]!;
    if (c === 0x22 /* " */) {
      let j = json.indexOf(0x22, i + 1);
      for (;;) {
        if (j < 0) return out; // not JSON (the caller parsed it first)
        let k = j - 1;
        while (json[k] === 0x5c /* \ */) k--;
        if (((j - 1 - k) & 1) === 0) break;
        j = json.indexOf(0x22, j + 1);
      }
      i = j;
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (depth++ === 0) start = i + 1;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      if (--depth === 0) element(start, i); // (`[]`: an empty span, never over)
    } else if (c === 0x2c /* , */ && depth === 1) {
      element(start, i);
      start = i + 1;
    }
  }
  return out;
}

/** The bytes of the JSON value in json[from, to) (one op), the whitespace around it not counted: what the op bound counts. */
function valueBytes(json: Uint8Array, from: number, to: number): number {
  while (from < to && isSpace(json[from]!)) from++;
  while (to > from && isSpace(json[to - 1]!)) to--;
  return to - from;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * The ops of one frame (one op, or a batch: parsed, or read from its bytes by `frames`), executed one after the other
 * in the order sent (each one's intake call made before the next starts), answered with one result each in that order:
 * result i goes out once results 0..i are known. The submits of a frame wait for the dispatcher and the journal
 * together (one durability wait).
 */
function runOps(d: StreamSocketDeps, ws: WebSocket, ops: readonly unknown[] | SubmitFrameReader, ids: boolean, oversized: readonly OversizedElement[] | undefined): void {
  const n = ops.length;
  // a frame read from its bytes: each op handed out in turn as the reader's one op object (no more used once the next is)
  const read = ops instanceof SubmitFrameReader ? ops : undefined;
  if (n === 0) return;
  const texts: (Message | undefined)[] = new Array<Message | undefined>(n);
  let next = 0;
  const flush = (): void => {
    while (next < n && texts[next] !== undefined) {
      d.stream.send(ws, texts[next]!); // under the stream's send-buffer bound
      texts[next++] = undefined;
    }
  };
  const settle = (i: number, text: Message): void => {
    texts[i] = text;
    if (i === next) flush();
  };
  let submits: SubmitBatch | undefined;
  let over = 0; // the next of `oversized`
  for (let i = 0; i < n; i++) {
    const raw = read !== undefined ? read.op(i) : (ops as readonly unknown[])[i];
    const m = (typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? raw : {}) as { op?: unknown; id?: unknown; order?: unknown; orderId?: unknown; by?: unknown; amend?: unknown };
    const id: OpId = typeof m.id === 'string' || typeof m.id === 'number' ? m.id : null;
    if (oversized !== undefined && over < oversized.length && oversized[over]!.index === i) {
      // refused as an HTTP body over the bound is; a one-op frame over it closes the socket (as ws would a frame)
      texts[i] = failure(id, 'PAYLOAD_TOO_LARGE', `op larger than ${MAX_BODY_BYTES} bytes (${oversized[over++]!.bytes}): not executed`);
      if (m.op === 'submit') d.metrics.edgeReject('PAYLOAD_TOO_LARGE');
      continue;
    }
    try {
      if (m.op === 'submit') {
        const r = d.enqueue(m.order);
        if (r.ok) {
          (submits ??= new SubmitBatch(d.commands, ids, (batch) => answerSubmits(d, batch, texts, ids, flush))).add(r.order, i, id);
          continue;
        }
        if (r.order === undefined) d.metrics.edgeReject(r.code); // a denied order is counted by its DENIED event
        texts[i] = orderResult(d, id, r, ids);
        continue;
      }
      // orderId: a number is an order id; a string is either (see OrderCommands.findOrError), or what `by` says
      const key = typeof m.orderId === 'number' ? String(m.orderId) : typeof m.orderId === 'string' ? m.orderId : '';
      const by = m.by === undefined ? (typeof m.orderId === 'number' ? 'id' : 'auto') : m.by === 'id' || m.by === 'clientOrderId' ? m.by : undefined;
      if (by === undefined && (m.op === 'cancel' || m.op === 'amend')) {
        texts[i] = failure(id, 'INVALID_FIELD', 'by must be id or clientOrderId', 'by');
        continue;
      }
      if (m.op === 'cancel') {
        const found = d.commands.findOrError(key, undefined, by);
        if (!found.ok) texts[i] = failure(id, found.code, found.message);
        else {
          const r = d.commands.cancelById(found.order.id);
          texts[i] = r.ok ? orderResult(d, id, r, ids) : failure(id, r.code, r.message);
        }
        continue;
      }
      if (m.op === 'amend') {
        const found = d.commands.findOrError(key, undefined, by);
        if (!found.ok) {
          texts[i] = failure(id, found.code, found.message);
          continue;
        }
        d.commands.amend(found.order.id, m.amend).then((r: AmendCommandResult) => {
          d.stream.catchUp(); // the events recorded before the answer go first
          settle(i, orderResult(d, id, r, ids));
        }).catch((err: unknown) => settle(i, internal(d, id, err)));
        continue;
      }
      texts[i] = failure(id, 'INVALID_FIELD', 'op must be submit, cancel or amend', 'op');
    } catch (err) {
      texts[i] = internal(d, id, err);
    }
  }
  submits?.seal();
  flush();
}

/**
 * The answers of a frame's submits, once the dispatcher decided about each and the journal holds them (SubmitBatch):
 * as OrderCommands.submitted answers each decided order, or JOURNAL_FAILED for all.
 */
function answerSubmits(d: StreamSocketDeps, batch: SubmitBatch, texts: (Message | undefined)[], ids: boolean, flush: () => void): void {
  d.stream.catchUp(); // the events recorded before the answers (each order's SUBMITTED or DENIED) go first
  for (let k = 0; k < batch.length; k++) {
    const id = batch.opId[k]!;
    let text: Message;
    try {
      const copy = batch.copies[k];
      if (!batch.durable) text = orderResult(d, id, JOURNAL_FAILED, ids);
      else if (copy === undefined) text = idsResult(d, id, batch.orderId[k]!, batch.clientOrderId[k]!);
      else text = orderResult(d, id, d.commands.submitted(copy), ids);
    } catch (err) {
      text = internal(d, id, err);
    }
    texts[batch.opIndex[k]!] = text;
  }
  flush();
}

function internal(d: StreamSocketDeps, id: OpId, err: unknown): string {
  d.log.error({ err }, 'api websocket message failed');
  return failure(id, 'INTERNAL', 'internal error');
}
