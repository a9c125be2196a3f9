/**
 * A small JSON-over-HTTP client for the native adapters' REST calls (lookups, open orders, fills, markets), on
 * Node's fetch (keep-alive). Transport failures become VenueErrors: a refused connection never reached the venue
 * (not-sent); a timeout or a reset might have (unknown).
 */
import { VenueError, isConnectRefused, notSent, timeoutError, unknownOutcome } from './errors.js';

export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'DELETE' | 'PUT';
  readonly url: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly timeoutMs: number;
  /** Aborts with the adapter (stop). */
  readonly signal?: AbortSignal;
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Headers;
  /** Parsed JSON, or undefined when the body is not JSON. */
  readonly json: unknown;
  readonly text: string;
}

export async function httpRequest(req: HttpRequest): Promise<HttpAnswer> {
  const timeout = AbortSignal.timeout(req.timeoutMs);
  const signal = req.signal === undefined ? timeout : AbortSignal.any([timeout, req.signal]);
  let res: Response;
  try {
    res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body, signal });
  } catch (err) {
    throw transportError(err, req, timeout.aborted);
  }
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    throw transportError(err, req, timeout.aborted);
  }
  let json: unknown;
  try {
    json = text === '' ? undefined : (JSON.parse(text) as unknown);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

function transportError(err: unknown, req: HttpRequest, timedOut: boolean): VenueError {
  const path = safePath(req.url);
  if (timedOut) return timeoutError(`${req.method} ${path}`, req.timeoutMs);
  if (req.signal?.aborted === true) return unknownOutcome(`${req.method} ${path}: aborted (adapter stopping)`);
  const cause = err instanceof Error ? `${err.message}${err.cause instanceof Error ? ` (${err.cause.message})` : ''}` : String(err);
  const code = (err as { cause?: { code?: string } } | undefined)?.cause?.code ?? '';
  if (isConnectRefused(`${cause} ${code}`)) return notSent(`${req.method} ${path}: ${cause} ${code}`.trim(), 'VENUE_UNAVAILABLE', true);
  return unknownOutcome(`${req.method} ${path}: ${cause} ${code}`.trim());
}

/** The URL without its query (signatures and keys stay out of messages). */
export function safePath(url: string): string {
  try {
    const u = new URL(url);
    return u.origin + u.pathname;
  } catch {
    return '<url>';
  }
}
