/**
 * Binance spot answers -> VenueError (shared by the ccxt adapter and binance-ws).
 * https://developers.binance.com/docs/binance-spot-api-docs/errors
 */
import { VenueError } from './errors.js';

export type BinanceOp = 'place' | 'cancel' | 'query';

/** Binance's server-side failures (-1000 unknown, -1001 disconnected, -1006 unexpected response, -1007 timeout,
 * -1008 server busy): none of them says whether an order request executed. */
export const BINANCE_SERVER_CODES: ReadonlySet<number> = new Set([-1000, -1001, -1006, -1007, -1008]);

export function binanceError(op: BinanceOp, status: number, code: number | undefined, msg: string, retryAfterMs?: number): VenueError {
  const text = `binance ${code ?? status} ${msg}`.trim();
  const details = { venueCode: code, httpStatus: status, retryAfterMs };
  if (status === 418) return new VenueError('banned', 'VENUE_BANNED', text, { ...details, retryAfterMs: retryAfterMs ?? 120_000 });
  if (status === 429 || code === -1003 || code === -1015) {
    const pools = code === -1015 ? ['orders10s', 'ordersDay'] : ['weight'];
    return new VenueError('rate-limited', 'VENUE_RATE_LIMITED', text, { ...details, pools });
  }
  // A 5xx (or the ws-api's status >= 500) decides before the body: Binance documents that the execution status is
  // then UNKNOWN, whatever code the body carries (-1008 "server busy" included: the request may have reached the
  // matching engine). The server-side codes themselves mean the same on any status. A read just failed (retry).
  if (status >= 500 || (code !== undefined && BINANCE_SERVER_CODES.has(code))) {
    const what = op === 'query' ? 'read failed; try again' : 'execution status unknown';
    return new VenueError('unknown', 'VENUE_TIMEOUT', `${text} (${what})`, { ...details, venueFailure: true });
  }
  if (status === 401 || status === 403 || code === -2014 || code === -2015 || code === -1022 || code === -1002) {
    return new VenueError('auth', 'VENUE_AUTH_FAILED', text, details);
  }
  if (code === -1021) return new VenueError('rejected', 'VENUE_UNAVAILABLE', `${text} (clock out of sync with the venue)`, details);
  if (code === -2013) return new VenueError('not-found', 'ORDER_NOT_FOUND', text, details);
  // -2011 answers a cancel the venue cannot do (filled, canceled or unknown order)
  if (code === -2011) return op === 'cancel' ? new VenueError('rejected', 'VENUE_REJECTED', text, details) : new VenueError('not-found', 'ORDER_NOT_FOUND', text, details);
  if (code === -2010 && /duplicate order/i.test(msg)) {
    // An open order already has this client id: this request created nothing. Whose order it is (ours from an
    // earlier request, or another program's with the same keys) only a lookup and a comparison can tell.
    return new VenueError('duplicate', 'DUPLICATE_CLIENT_ORDER_ID', `${text} (client order id already open at the venue)`, details);
  }
  return new VenueError('rejected', 'VENUE_REJECTED', text, details);
}
