/**
 * OKX answers -> VenueError (shared by the ccxt adapter and okx-ws). `code` is the envelope code or an entry's
 * sCode. https://www.okx.com/docs-v5/en/#error-code
 */
import { VenueError } from './errors.js';

export type OkxOp = 'place' | 'cancel' | 'query';

/** OKX's server-side failures (50000 as answered with a 5xx, 50001 service unavailable, 50004 endpoint timeout,
 * 50013 systems busy, 50026 system error): none of them says whether an order request executed. */
export const OKX_SERVER_CODES: ReadonlySet<string> = new Set(['50000', '50001', '50004', '50013', '50026']);

export function okxError(op: OkxOp, status: number, code: string | undefined, msg: string, retryAfterMs?: number): VenueError {
  const text = `okx ${code ?? status} ${msg}`.trim();
  const details = { venueCode: code, httpStatus: status, retryAfterMs };
  const n = code === undefined || code === '' ? NaN : Number(code);
  if (status === 429 || code === '50011' || code === '50061') return new VenueError('rate-limited', 'VENUE_RATE_LIMITED', text, details);
  // A 5xx decides before the body: the execution status is unknown whatever code it carries. The server-side codes
  // mean the same on any status (the websocket ops have no HTTP status at all). A read just failed (retry).
  if (status >= 500 || (code !== undefined && OKX_SERVER_CODES.has(code)) || code === '51149') {
    const what = op === 'query' ? 'read failed; try again' : 'execution status unknown';
    return new VenueError('unknown', 'VENUE_TIMEOUT', `${text} (${what})`, { ...details, venueFailure: true });
  }
  if (status === 401 || (n >= 50100 && n <= 50119) || code === '60005' || code === '60007' || code === '60024' || code === '60009') {
    if (code === '50102' || code === '60006') return new VenueError('rejected', 'VENUE_UNAVAILABLE', `${text} (clock out of sync with the venue)`, details);
    return new VenueError('auth', 'VENUE_AUTH_FAILED', text, details);
  }
  if (code === '51016') {
    // a pending order already has this client id: nothing was placed; a lookup and a comparison tell whose it is
    return new VenueError('duplicate', 'DUPLICATE_CLIENT_ORDER_ID', `${text} (client order id already pending at the venue)`, details);
  }
  if (code === '51603') return new VenueError('not-found', 'ORDER_NOT_FOUND', text, details);
  if (op === 'cancel' && (code === '51400' || code === '51401' || code === '51402')) return new VenueError('rejected', 'VENUE_REJECTED', text, details);
  return new VenueError('rejected', 'VENUE_REJECTED', text, details);
}
