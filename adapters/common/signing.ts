/**
 * Request signing shared by the native adapters. Secrets are only ever passed in here; nothing is logged.
 *  - Binance: HMAC-SHA256 hex of the exact query/body string (REST), or of the params sorted by key and joined as
 *    `k=v&...` (WebSocket API).
 *  - OKX: base64 HMAC-SHA256 of `timestamp + METHOD + requestPath + body` (REST, ISO timestamp) and of
 *    `timestamp + 'GET' + '/users/self/verify'` (websocket login, timestamp in seconds).
 */
import { createHmac } from 'node:crypto';

export function hmacSha256Hex(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('hex');
}

export function hmacSha256Base64(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64');
}

export type QueryValue = string | number | boolean;

/** `k=v&k2=v2` in the given key order, values URL-encoded (what Binance signs and receives). */
export function queryString(params: Readonly<Record<string, QueryValue | undefined>>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  }
  return parts.join('&');
}

/** Binance WebSocket API payload: every param but `signature`, sorted by key, `k=v` joined by '&'. */
export function sortedParamsPayload(params: Readonly<Record<string, QueryValue | undefined>>): string {
  return Object.keys(params)
    .filter((k) => k !== 'signature' && params[k] !== undefined)
    .sort()
    .map((k) => `${k}=${String(params[k])}`)
    .join('&');
}

/** Signed Binance WebSocket API params (apiKey and timestamp added, signature last). */
export function signBinanceWsParams(
  params: Readonly<Record<string, QueryValue | undefined>>,
  apiKey: string,
  secret: string,
  timestamp: number,
): Record<string, QueryValue> {
  const out: Record<string, QueryValue> = {};
  for (const [k, v] of Object.entries(params)) if (v !== undefined) out[k] = v;
  out['apiKey'] = apiKey;
  out['timestamp'] = timestamp;
  out['signature'] = hmacSha256Hex(secret, sortedParamsPayload(out));
  return out;
}

/** OKX REST timestamp: ISO 8601 with milliseconds, UTC. */
export function okxIsoTimestamp(ms: number): string {
  return new Date(ms).toISOString();
}

/** OKX REST signature. `requestPath` includes the query string for GET. */
export function okxRestSign(secret: string, isoTimestamp: string, method: string, requestPath: string, body: string): string {
  return hmacSha256Base64(secret, isoTimestamp + method.toUpperCase() + requestPath + body);
}

/** OKX websocket login args (timestamp in seconds). */
export function okxLoginArgs(apiKey: string, secret: string, passphrase: string, nowMs: number): Record<string, string> {
  const timestamp = (nowMs / 1000).toFixed(3);
  return { apiKey, passphrase, timestamp, sign: hmacSha256Base64(secret, `${timestamp}GET/users/self/verify`) };
}
