/**
 * OKX answers -> VenueError (shared by the ccxt adapter and okx-ws). `code` is the envelope code or an entry's
 * sCode. https://www.okx.com/docs-v5/en/#error-code
 */
import { VenueError } from './errors.js';

export type OkxOp = 'place' | 'cancel' | 'query';

export function okxError(op: OkxOp, status: number, code: string | undefined, msg: string, retryAfterMs?: number): VenueError {
  const text = `okx ${code ?? status} ${msg}`.trim();
  const details = { venueCode: code, httpStatus: status, retryAfterMs };
  const n = code === undefined || code === '' ? NaN : Number(code);
  if (status === 429 || code === '50011' || code === '50061') return new VenueError('rate-limited', 'VENUE_RATE_LIMITED', text, details);
  if (code === '50001' || code === '50013') return new VenueError('not-sent', 'VENUE_UNAVAILABLE', text, { ...details, venueFailure: true });
  if (code === '50004' || code === '50026' || code === '51149' || status >= 500) {
    return new VenueError('unknown', 'VENUE_TIMEOUT', `${text} (execution status unknown)`, { ...details, venueFailure: true });
  }
  if (status === 401 || (n >= 50100 && n <= 50119) || code === '60005' || code === '60007' || code === '60024' || code === '60009') {
    if (code === '50102' || code === '60006') return new VenueError('rejected', 'VENUE_UNAVAILABLE', `${text} (clock out of sync with the venue)`, details);
    return new VenueError('auth', 'VENUE_AUTH_FAILED', text, details);
  }
  if (code === '51016') {
    return new VenueError('unknown', 'VENUE_TIMEOUT', `${text} (client order id already pending at the venue)`, { ...details, venueFailure: false });
  }
  if (code === '51603') return new VenueError('not-found', 'ORDER_NOT_FOUND', text, details);
  if (op === 'cancel' && (code === '51400' || code === '51401' || code === '51402')) return new VenueError('rejected', 'VENUE_REJECTED', text, details);
  return new VenueError('rejected', 'VENUE_REJECTED', text, details);
}
