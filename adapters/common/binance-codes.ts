/**
 * Binance spot answers -> VenueError (shared by the ccxt adapter and binance-ws).
 * https://developers.binance.com/docs/binance-spot-api-docs/errors
 */
import { VenueError } from './errors.js';

export type BinanceOp = 'place' | 'cancel' | 'query';

export function binanceError(op: BinanceOp, status: number, code: number | undefined, msg: string, retryAfterMs?: number): VenueError {
  const text = `binance ${code ?? status} ${msg}`.trim();
  const details = { venueCode: code, httpStatus: status, retryAfterMs };
  if (status === 418) return new VenueError('banned', 'VENUE_BANNED', text, { ...details, retryAfterMs: retryAfterMs ?? 120_000 });
  if (status === 429 || code === -1003 || code === -1015) {
    const pools = code === -1015 ? ['orders10s', 'ordersDay'] : ['weight'];
    return new VenueError('rate-limited', 'VENUE_RATE_LIMITED', text, { ...details, pools });
  }
  if (code === -1008) return new VenueError('not-sent', 'VENUE_UNAVAILABLE', text, { ...details, venueFailure: true });
  if (status >= 500 || code === -1006 || code === -1007 || code === -1001) {
    return new VenueError('unknown', 'VENUE_TIMEOUT', `${text} (execution status unknown)`, { ...details, venueFailure: true });
  }
  if (status === 401 || status === 403 || code === -2014 || code === -2015 || code === -1022 || code === -1002) {
    return new VenueError('auth', 'VENUE_AUTH_FAILED', text, details);
  }
  if (code === -1021) return new VenueError('rejected', 'VENUE_UNAVAILABLE', `${text} (clock out of sync with the venue)`, details);
  if (code === -2013) return new VenueError('not-found', 'ORDER_NOT_FOUND', text, details);
  // -2011 answers a cancel the venue cannot do (filled, canceled or unknown order)
  if (code === -2011) return op === 'cancel' ? new VenueError('rejected', 'VENUE_REJECTED', text, details) : new VenueError('not-found', 'ORDER_NOT_FOUND', text, details);
  if (code === -2010 && /duplicate order/i.test(msg)) {
    // an open order already has this client id: ours from an earlier attempt we cannot see the answer of
    return new VenueError('unknown', 'VENUE_TIMEOUT', `${text} (client order id already open at the venue)`, { ...details, venueFailure: false });
  }
  return new VenueError('rejected', 'VENUE_REJECTED', text, details);
}
