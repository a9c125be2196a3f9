/**
 * ccxt exceptions -> VenueError. The venue's own answer (ccxt puts the body in the message: `binance {"code":...}`)
 * decides when the exchange has a code table (Binance, OKX); otherwise the ccxt exception class does:
 * RequestTimeout / NetworkError -> unknown outcome (refused connections excepted), DDoSProtection /
 * RateLimitExceeded -> rate-limited (418: banned), AuthenticationError -> auth, OrderNotFound -> not-found,
 * DuplicateOrderId -> unknown (look it up), InvalidOrder / InsufficientFunds / BadRequest / BadSymbol -> rejected.
 * An unclassified ExchangeError on a new order is an unknown outcome (looked up), elsewhere a rejection.
 */
import ccxt from 'ccxt';
import { binanceError } from '../common/binance-codes.js';
import { VenueError, isConnectRefused, notSent, unknownOutcome } from '../common/errors.js';
import { okxError } from '../common/okx-codes.js';

export type CcxtOp = 'place' | 'cancel' | 'query';

/** `<id> [<status> <reason>] {json}` -> status and body. */
function venueBody(message: string): { status: number | undefined; body: Record<string, unknown> } | undefined {
  const m = /^\S+\s+(?:(\d{3})\s[^{]*)?(\{[\s\S]*\})\s*$/.exec(message);
  if (m === null) return undefined;
  try {
    return { status: m[1] === undefined ? undefined : Number(m[1]), body: JSON.parse(m[2]!) as Record<string, unknown> };
  } catch {
    return undefined;
  }
}

function fromVenue(exchangeId: string, op: CcxtOp, message: string, retryAfterMs: number | undefined): VenueError | undefined {
  const parsed = venueBody(message);
  if (parsed === undefined) return undefined;
  const { status, body } = parsed;
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

export function classifyCcxtError(err: unknown, exchangeId: string, op: CcxtOp, retryAfterMs?: number): VenueError {
  if (err instanceof VenueError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof ccxt.RequestTimeout) return unknownOutcome(message);
  const venue = fromVenue(exchangeId, op, message, retryAfterMs);
  if (venue !== undefined) return venue;
  if (err instanceof ccxt.DDoSProtection || err instanceof ccxt.RateLimitExceeded) {
    if (/\b418\b/.test(message)) return new VenueError('banned', 'VENUE_BANNED', message, { retryAfterMs: retryAfterMs ?? 120_000 });
    return new VenueError('rate-limited', 'VENUE_RATE_LIMITED', message, { retryAfterMs });
  }
  if (err instanceof ccxt.AuthenticationError || err instanceof ccxt.PermissionDenied || err instanceof ccxt.AccountSuspended) {
    return new VenueError('auth', 'VENUE_AUTH_FAILED', message);
  }
  if (err instanceof ccxt.OrderNotFound) return new VenueError('not-found', 'ORDER_NOT_FOUND', message);
  if (err instanceof ccxt.DuplicateOrderId) return unknownOutcome(`${message} (client order id already at the venue)`, { venueFailure: false });
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
