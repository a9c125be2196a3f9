/**
 * Settings every exchange adapter shares, with their defaults. The YAML keys of a venue (src/config/schema.ts:
 * maxInFlight, requestTimeoutMs, pollIntervalMs, reconcileIntervalMs, circuitBreaker, reconnect, heartbeatMs) map
 * onto these one to one; adapters/index.ts does the mapping.
 */
import { type BreakerOptions, DEFAULT_BREAKER } from './circuit-breaker.js';

export interface AdapterSettings {
  /** A request without an answer after this long has an unknown outcome (and is looked up). Binance recvWindow too. */
  readonly requestTimeoutMs: number;
  /** Requests in flight per venue at most. */
  readonly maxInFlight: number;
  /** REST polling interval while the execution-report stream is down. */
  readonly pollIntervalMs: number;
  /** Reconciliation by REST while the stream is up, as a safety net (0 = never). */
  readonly reconcileIntervalMs: number;
  /** Clock difference allowed with the venue when deciding that a lost request can no longer execute. */
  readonly clockSkewMs: number;
  readonly circuitBreaker: BreakerOptions;
  /** Websocket reconnect backoff (exponential with jitter). */
  readonly reconnect: { readonly minMs: number; readonly maxMs: number };
  /** Websocket heartbeat interval; a connection silent for two intervals is dropped and reconnected. */
  readonly heartbeatMs: number;
  /** New orders refused for rate limiting are sent again at most this often (after Retry-After), then REJECTED. */
  readonly maxRateLimitRetries: number;
  /** Final orders stay known (lookups, late duplicate reports) this long. */
  readonly retainDoneMs: number;
  /** How long start() waits for the execution-report stream before relying on REST polling. */
  readonly streamStartTimeoutMs: number;
}

export const DEFAULT_ADAPTER_SETTINGS: AdapterSettings = Object.freeze({
  requestTimeoutMs: 5000,
  maxInFlight: 8,
  pollIntervalMs: 1000,
  reconcileIntervalMs: 30_000,
  clockSkewMs: 1000,
  circuitBreaker: DEFAULT_BREAKER,
  reconnect: Object.freeze({ minMs: 250, maxMs: 10_000 }),
  heartbeatMs: 10_000,
  maxRateLimitRetries: 5,
  retainDoneMs: 600_000,
  streamStartTimeoutMs: 10_000,
});

/** Defaults overridden by whatever is given (one level deep for the nested objects). */
export function adapterSettings(overrides: Partial<AdapterSettings> = {}): AdapterSettings {
  return {
    ...DEFAULT_ADAPTER_SETTINGS,
    ...overrides,
    circuitBreaker: { ...DEFAULT_ADAPTER_SETTINGS.circuitBreaker, ...(overrides.circuitBreaker ?? {}) },
    reconnect: { ...DEFAULT_ADAPTER_SETTINGS.reconnect, ...(overrides.reconnect ?? {}) },
  };
}
