/**
 * ccxt exceptions -> VenueError.
 *
 * The HTTP answer decides first. ccxt's exception messages carry the body but not the HTTP status, so the adapter's
 * response hook (ccxt-adapter.ts) tags every exception thrown while handling an answer with that answer's status and
 * parsed body (`tagHttpAnswer`); classification reads the tag, never the message text:
 *  - a 5xx, or an answer whose body is not a JSON object (HTML error page, empty body) -> unknown outcome for a new
 *    order or a cancel (looked up), a failed read for a query (retried) — whatever code the body carries;
 *  - otherwise, for an exchange with a code table (Binance, OKX), the venue's code with the real status.
 * Without a tag (a websocket error, an exception raised before any answer) the ccxt exception class decides:
 * RequestTimeout / NetworkError -> unknown outcome (refused connections excepted: never sent), DDoSProtection /
 * RateLimitExceeded -> rate-limited (418: banned), AuthenticationError -> auth, OrderNotFound -> not-found,
 * DuplicateOrderId -> duplicate (look it up, adopt only if it is ours), InvalidOrder / InsufficientFunds / BadRequest / BadSymbol -> rejected.
 * An unclassified exception on a new order is an unknown outcome (looked up), elsewhere a rejection.
 */
import { binanceError } from '../common/binance-codes.js';
import { VenueError, isConnectRefused, notSent, unknownOutcome } from '../common/errors.js';
import { okxError } from '../common/okx-codes.js';
import { ccxtLib } from './ccxt-lib.js';

export type CcxtOp = 'place' | 'cancel' | 'query';

/** What the venue answered: the HTTP status and the body as ccxt parsed it (undefined: empty or not JSON). */
export interface HttpAnswer {
  readonly status: number;
  readonly body: unknown;
  /** The raw body, shortened (for messages). */
  readonly text: string;
}

const answers = new WeakMap<object, HttpAnswer>();

/** Marks an exception as raised while handling this HTTP answer (first tag wins). Returns the exception. */
export function tagHttpAnswer<T>(err: T, answer: HttpAnswer): T {
  if (typeof err === 'object' && err !== null && !answers.has(err)) answers.set(err, answer);
  return err;
}

export function httpAnswerOf(err: unknown): HttpAnswer | undefined {
  return typeof err === 'object' && err !== null ? answers.get(err) : undefined;
}

type UnusableAnswerClass = new (exchangeId: string, method: string, url: string, status: number, text: string) => Error;
let unusableAnswerClass: UnusableAnswerClass | undefined;

/**
 * The error a 5xx or an unparseable answer becomes when ccxt itself would not raise one (it may return the text): an
 * UnusableAnswer, a ccxt ExchangeError (its class made once ccxt is loaded: ccxt-lib.ts).
 */
export function unusableAnswer(exchangeId: string, method: string, url: string, status: number, text: string): Error {
  unusableAnswerClass ??= class UnusableAnswer extends ccxtLib().ExchangeError {
    constructor(exchangeId: string, method: string, url: string, status: number, text: string) {
      super(`${exchangeId} ${method} ${url.replace(/\?.*$/, '')}: HTTP ${status}, ${text === '' ? 'empty body' : `unusable body ${text.slice(0, 120)}`}`);
      this.name = 'UnusableAnswer';
    }
  };
  return new unusableAnswerClass(exchangeId, method, url, status, text);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * An answer whose body is not JSON (an HTML error page from a proxy, an empty body) tells nothing about the request,
 * except a 429 / 418, which Binance and OKX document as refused before execution.
 */
export function unusableBody(status: number, body: unknown): boolean {
  return body === undefined && status !== 429 && status !== 418;
}

/** `<id> {json}` (ccxt's message for a venue code it maps) -> the body. Only for exceptions without a tag. */
function bodyInMessage(message: string): Record<string, unknown> | undefined {
  const m = /^\S+\s+[^{]*?(\{[\s\S]*\})\s*$/.exec(message);
  if (m === null) return undefined;
  try {
    const body = JSON.parse(m[1]!) as unknown;
    return isObject(body) ? body : undefined;
  } catch {
    return undefined;
  }
}

function fromBody(exchangeId: string, op: CcxtOp, status: number | undefined, body: Record<string, unknown>, retryAfterMs: number | undefined): VenueError | undefined {
  if (exchangeId === 'binance') {
    const code = typeof body['code'] === 'number' ? body['code'] : undefined;
    if (code === undefined && status === undefined) return undefined;
    return binanceError(op, status ?? 400, code, String(body['msg'] ?? ''), retryAfterMs);
  }
  if (exchangeId === 'okx') {
    let code = typeof body['code'] === 'string' ? body['code'] : undefined;
    let msg = String(body['msg'] ?? '');
    const entry = Array.isArray(body['data']) ? (body['data'][0] as Record<string, unknown> | undefined) : undefined;
    if ((code === '1' || code === '2') && entry !== undefined && typeof entry['sCode'] === 'string') {
      code = entry['sCode'];
      msg = String(entry['sMsg'] ?? msg);
    }
    return okxError(op, status ?? 200, code, msg, retryAfterMs);
  }
  return undefined;
}

/** The HTTP answer decides: 5xx and unusable bodies are unknown outcomes; otherwise the venue's code table. */
function fromAnswer(exchangeId: string, op: CcxtOp, a: HttpAnswer, message: string, retryAfterMs: number | undefined): VenueError | undefined {
  const usable = isObject(a.body);
  if (a.status >= 500 || unusableBody(a.status, a.body)) {
    const why = a.status >= 500 ? `HTTP ${a.status}` : `HTTP ${a.status} with an unusable body`;
    const what = op === 'query' ? 'read failed; try again' : 'execution status unknown';
    const body = usable ? fromBody(exchangeId, op, a.status, a.body as Record<string, unknown>, retryAfterMs) : undefined;
    return unknownOutcome(`${body?.message ?? message} (${why}: ${what})`, { httpStatus: a.status, venueCode: body?.details.venueCode });
  }
  return usable ? fromBody(exchangeId, op, a.status, a.body as Record<string, unknown>, retryAfterMs) : undefined;
}

export function classifyCcxtError(err: unknown, exchangeId: string, op: CcxtOp, retryAfterMs?: number): VenueError {
  if (err instanceof VenueError) return err;
  const ccxt = ccxtLib();
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof ccxt.RequestTimeout) return unknownOutcome(message);
  const answer = httpAnswerOf(err);
  if (answer !== undefined) {
    const venue = fromAnswer(exchangeId, op, answer, message, retryAfterMs);
    if (venue !== undefined) return venue;
  } else {
    const body = bodyInMessage(message);
    const venue = body === undefined ? undefined : fromBody(exchangeId, op, undefined, body, retryAfterMs);
    if (venue !== undefined) return venue;
  }
  if (err instanceof ccxt.DDoSProtection || err instanceof ccxt.RateLimitExceeded) {
    if (answer?.status === 418 || (answer === undefined && /\b418\b/.test(message))) {
      return new VenueError('banned', 'VENUE_BANNED', message, { retryAfterMs: retryAfterMs ?? 120_000 });
    }
    return new VenueError('rate-limited', 'VENUE_RATE_LIMITED', message, { retryAfterMs });
  }
  if (err instanceof ccxt.AuthenticationError || err instanceof ccxt.PermissionDenied || err instanceof ccxt.AccountSuspended) {
    return new VenueError('auth', 'VENUE_AUTH_FAILED', message);
  }
  if (err instanceof ccxt.OrderNotFound) return new VenueError('not-found', 'ORDER_NOT_FOUND', message);
  if (err instanceof ccxt.DuplicateOrderId) {
    // nothing was placed; whose order holds the id is decided by a lookup and a comparison (common/submission.ts)
    return new VenueError('duplicate', 'DUPLICATE_CLIENT_ORDER_ID', `${message} (client order id already at the venue)`);
  }
  if (err instanceof ccxt.NetworkError) {
    if (isConnectRefused(message)) return notSent(message, 'VENUE_UNAVAILABLE', true);
    return unknownOutcome(message);
  }
  if (
    err instanceof ccxt.InvalidOrder ||
    err instanceof ccxt.InsufficientFunds ||
    err instanceof ccxt.BadRequest ||
    err instanceof ccxt.BadSymbol ||
    err instanceof ccxt.NotSupported ||
    err instanceof ccxt.ArgumentsRequired
  ) {
    return new VenueError('rejected', 'VENUE_REJECTED', message);
  }
  if (op === 'place') return unknownOutcome(message);
  return new VenueError('rejected', 'VENUE_REJECTED', message);
}
