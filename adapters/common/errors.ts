/**
 * How a venue request ended when it did not simply succeed, in the terms the adapters act on. Every transport
 * (ccxt, Binance WebSocket API, OKX private websocket, REST) maps its venue's answers to a VenueError; the shared
 * adapter core (base-adapter.ts and its parts: submission.ts, cancels.ts) then decides: report REJECTED, retry after
 * a rate limit, or look the order up.
 *
 *  kind          was it executed?            what the core does with a new order
 *  rejected      no (the venue said no)      REJECTED with the venue's reason
 *  not-sent      no (never left us)          REJECTED (breaker open, socket down past the timeout, refused connection)
 *  rate-limited  no (429 / -1015 / 50011)    wait for Retry-After, send again (bounded), else REJECTED
 *  banned        no (418)                    REJECTED; the breaker stays open until the ban ends
 *  auth          no (bad keys)               REJECTED; the breaker opens (fatal for the venue)
 *  unknown       maybe (timeout, lost        stays SUBMITTED; looked up by client order id until the venue knows it
 *                connection, 5xx)            or the request's validity window has passed — never resent blindly
 *  not-found     (lookups and cancels)       the venue has no such order
 *  duplicate     no (-2010 "Duplicate order  looked up by client order id: adopted only when the venue's order is
 *                sent.", OKX 51016)          the one we sent (symbol, side, type, quantity, price), else REJECTED
 *                                            DUPLICATE_CLIENT_ORDER_ID and the other order is left alone
 *
 * The catalogue code (src/model/errors.ts) says whether the caller may retry: VENUE_REJECTED is not retryable,
 * VENUE_RATE_LIMITED / VENUE_UNAVAILABLE / VENUE_TIMEOUT are, VENUE_AUTH_FAILED and VENUE_BANNED are fatal.
 */
import type { ErrorCode } from '../../src/model/errors.js';

export type FailureKind = 'rejected' | 'not-sent' | 'rate-limited' | 'banned' | 'auth' | 'unknown' | 'not-found' | 'duplicate';

export interface VenueErrorDetails {
  /** Wait before sending again (rate-limited, banned). */
  readonly retryAfterMs?: number | undefined;
  /** The venue's own error code (-2010, '51008', ...). */
  readonly venueCode?: string | number | undefined;
  readonly httpStatus?: number | undefined;
  /** Rate-limit pools the refusal is about (rate-limited); default: every pool of the request. */
  readonly pools?: readonly string[] | undefined;
  /** Counts as a venue failure for the circuit breaker (transport errors, timeouts, 5xx). */
  readonly venueFailure?: boolean | undefined;
}

export class VenueError extends Error {
  constructor(
    readonly kind: FailureKind,
    readonly code: ErrorCode,
    message: string,
    readonly details: VenueErrorDetails = {},
  ) {
    super(message);
    this.name = 'VenueError';
  }

  /** Reason text for REJECTED / CANCEL_REJECTED reports: "<CODE>: <message>". */
  get reason(): string {
    return `${this.code}: ${this.message}`;
  }

  /** Whether this outcome tells the circuit breaker that the venue is failing. */
  get venueFailure(): boolean {
    return this.details.venueFailure ?? (this.kind === 'unknown' || (this.kind === 'not-sent' && this.code === 'VENUE_UNAVAILABLE'));
  }
}

export const notSent = (message: string, code: ErrorCode = 'VENUE_UNAVAILABLE', venueFailure = false): VenueError =>
  new VenueError('not-sent', code, message, { venueFailure });

export const unknownOutcome = (message: string, details: VenueErrorDetails = {}): VenueError =>
  new VenueError('unknown', 'VENUE_TIMEOUT', message, { venueFailure: true, ...details });

export const timeoutError = (what: string, ms: number): VenueError => unknownOutcome(`${what}: no answer within ${ms} ms`);

/** Anything thrown by adapter code, as a VenueError. An unexpected exception is an unknown outcome (the safe reading). */
export function asVenueError(err: unknown): VenueError {
  if (err instanceof VenueError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new VenueError('unknown', 'VENUE_TIMEOUT', `unexpected error: ${message}`, { venueFailure: true });
}

/** Connection failures that prove a request never reached the venue. */
export function isConnectRefused(message: string): boolean {
  return /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH/.test(message);
}

/** Retry-After (seconds, or an HTTP date) in ms; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}
