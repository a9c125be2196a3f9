/**
 * The one catalogue of coded errors. Every error the daemon reports to a user, a strategy or a log
 * carries one of these codes. `kind` tells the caller what to do:
 *  - retryable: the same request may succeed later (rate limits, full queues, venue hiccups);
 *  - not_retryable: the request itself is wrong or refused; sending it again gives the same answer;
 *  - fatal: the daemon or a venue connection cannot continue without operator action.
 * test/model/errors.test.ts keeps codes unique and checks that each is documented in the README.
 */
export type ErrorKind = 'retryable' | 'not_retryable' | 'fatal';

export interface ErrorSpec {
  readonly kind: ErrorKind;
  /** HTTP status the control API answers with. */
  readonly http: number;
  readonly description: string;
}

export const ERROR_CATALOGUE = {
  // Input validation (at the edge: API, strategy SDK, config)
  BAD_REQUEST: { kind: 'not_retryable', http: 400, description: 'The request is malformed: its target is not a path, its request line or a header cannot be parsed, or its body is not valid JSON or not an object.' },
  INVALID_FIELD: { kind: 'not_retryable', http: 400, description: 'A field is missing, of the wrong type, or not one of the allowed values.' },
  UNKNOWN_FIELD: { kind: 'not_retryable', http: 400, description: 'The request names a field the API does not know.' },
  PAYLOAD_TOO_LARGE: { kind: 'not_retryable', http: 413, description: 'The request body exceeds the size limit.' },
  INVALID_QUANTITY: { kind: 'not_retryable', http: 400, description: 'Quantity is not a positive decimal, is past 2^53 - 1 lots (the largest the core holds exactly), or is below the minimum quantity.' },
  QUANTITY_NOT_ON_LOT: { kind: 'not_retryable', http: 400, description: 'Quantity is not a whole multiple of the instrument lot size.' },
  INVALID_PRICE: { kind: 'not_retryable', http: 400, description: 'Price (or stop price, trailing offset, an amend\'s new price) is not a positive decimal, is past 2^52 ticks (the largest the core holds exactly: the matching engine\'s bound), is missing on a limit order or present on a market order.' },
  PRICE_NOT_ON_TICK: { kind: 'not_retryable', http: 400, description: 'Price is not a whole multiple of the instrument tick size.' },
  BELOW_MIN_NOTIONAL: { kind: 'not_retryable', http: 400, description: 'price x quantity is below the instrument minimum notional.' },
  NOTIONAL_TOO_LARGE: { kind: 'not_retryable', http: 400, description: 'price x quantity is too large to be counted exactly (beyond 2^53 - 1 units of 10^-S quote; a market order is valued at its reference price); refused, never saturated.' },
  UNKNOWN_SYMBOL: { kind: 'not_retryable', http: 400, description: 'The symbol is not a configured instrument.' },
  UNKNOWN_STRATEGY: { kind: 'not_retryable', http: 400, description: 'The strategy id is not configured.' },
  STRATEGY_NOT_API: { kind: 'not_retryable', http: 403, description: 'The strategy takes its orders from elsewhere (a worker module, or its Redis command stream with source: redis): an API client may not submit as it.' },
  COMMAND_OUTCOME_FORGOTTEN: { kind: 'not_retryable', http: 409, description: 'A Redis command delivered again (left unacknowledged, or its consumer group made again) after the daemon forgot the outcomes of the commands up to it (more than daemon.redis.commands.dedupeWindow of its strategy were executed since): it may have been executed, so it is not executed again; its outcome is unknown (follow its order\'s events).' },
  STRATEGY_MISMATCH: { kind: 'not_retryable', http: 403, description: 'A command from a strategy\'s Redis command stream names another strategy (its strategy field or its order\'s): refused, nothing executed.' },
  UNKNOWN_VENUE: { kind: 'not_retryable', http: 400, description: 'The pinned venue is not configured or does not list the symbol.' },
  INVALID_CLIENT_ORDER_ID: { kind: 'not_retryable', http: 400, description: 'Client order id must be 1 to 32 ASCII letters and digits.' },
  DUPLICATE_CLIENT_ORDER_ID: { kind: 'not_retryable', http: 409, description: 'An order with this client order id already exists (here, or at the venue: another program\'s order holds the id there and was left alone).' },
  ORDER_NOT_FOUND: { kind: 'not_retryable', http: 404, description: 'No order with this id.' },
  ORDER_NOT_CANCELABLE: { kind: 'not_retryable', http: 409, description: 'The order is already in a final state or a cancel is pending.' },
  ORDER_NOT_AMENDABLE: { kind: 'not_retryable', http: 409, description: 'The order cannot be amended: it is final, not yet acknowledged by its venue, a cancel or another amend is pending, or it is held by the daemon (parent, emulated stop, crossing book) or a market order.' },
  AMEND_NO_CHANGE: { kind: 'not_retryable', http: 400, description: 'The amend names neither a new price nor a new quantity, or both are what the order already has.' },
  NOT_FOUND: { kind: 'not_retryable', http: 404, description: 'No such API route.' },
  METHOD_NOT_ALLOWED: { kind: 'not_retryable', http: 405, description: 'The route exists but not for this HTTP method.' },
  UNAUTHORIZED: { kind: 'not_retryable', http: 401, description: 'Missing or wrong bearer token.' },

  // Pre-trade risk
  RISK_MAX_ORDER_QTY: { kind: 'not_retryable', http: 422, description: 'Order quantity exceeds the strategy maximum for the symbol.' },
  RISK_MAX_NOTIONAL: { kind: 'not_retryable', http: 422, description: 'Order notional exceeds the strategy or daemon maximum.' },
  RISK_SYMBOL_NOT_ALLOWED: { kind: 'not_retryable', http: 422, description: 'The strategy may not trade this symbol.' },
  RISK_MAX_OPEN_ORDERS: { kind: 'retryable', http: 422, description: 'Too many open orders for the strategy or the daemon; retry when some close.' },
  RISK_MAX_GROSS_EXPOSURE: { kind: 'retryable', http: 422, description: 'Open gross exposure would exceed the strategy or daemon limit.' },
  RISK_NO_REFERENCE_PRICE: { kind: 'retryable', http: 422, description: 'A market order needs a reference price for its notional and none is known yet.' },
  RISK_PRICE_COLLAR: { kind: 'not_retryable', http: 422, description: 'The limit price is further through the mark than the symbol\'s price collar (risk.priceCollarBps) allows.' },
  RISK_ORDER_RATE: { kind: 'retryable', http: 429, description: 'The strategy sends orders faster than its maxOrdersPerSecond (token bucket): denied, not queued.' },
  RISK_CANCEL_RATE: { kind: 'retryable', http: 429, description: 'The strategy asks for cancels faster than its maxCancelsPerSecond (token bucket): refused, not queued.' },
  RISK_MAX_POSITION: { kind: 'retryable', http: 422, description: 'The position of the strategy in the symbol, with its open orders on the same side and this order, would exceed its maxPosition.' },
  RISK_SELF_TRADE: { kind: 'not_retryable', http: 422, description: 'The order would cross a resting order of the same strategy at the same venue (risk.selfTrade: deny).' },
  TRADING_HALTED: { kind: 'retryable', http: 503, description: 'Intake is closed (starting, shutting down, journal failed), or the trading state of the daemon, the strategy, the venue or the symbol is HALTED (operator, kill switch, daily loss limit).' },
  TRADING_REDUCING: { kind: 'retryable', http: 422, description: 'The trading state of the daemon, the strategy, the venue or the symbol is REDUCING: only orders that reduce the strategy\'s position in the symbol are taken.' },

  // Intake
  QUEUE_FULL: { kind: 'retryable', http: 503, description: 'The strategy queue is full; the order was refused, not dropped.' },
  ORDER_WITHDRAWN: { kind: 'not_retryable', http: 409, description: 'A worker strategy canceled the order while its submit still waited in the strategy\'s ring: the submit was withdrawn there (never an order, no venue saw it).' },

  // Routing and venues
  NO_ROUTE: { kind: 'not_retryable', http: 422, description: 'No venue with a routing weight lists the symbol.' },
  VENUE_UNAVAILABLE: { kind: 'retryable', http: 503, description: 'The venue is down or its circuit breaker is open.' },
  VENUE_RATE_LIMITED: { kind: 'retryable', http: 503, description: 'The venue refused the request for rate limiting.' },
  VENUE_REJECTED: { kind: 'not_retryable', http: 422, description: 'The venue rejected the order.' },
  VENUE_TIMEOUT: { kind: 'retryable', http: 504, description: 'The venue did not answer in time; the outcome is looked up by client order id.' },
  VENUE_AUTH_FAILED: { kind: 'fatal', http: 502, description: 'The venue refused the credentials.' },
  VENUE_BANNED: { kind: 'fatal', http: 502, description: 'The venue banned the client (HTTP 418); no request is sent until the ban ends.' },
  VENUE_LEASED: { kind: 'retryable', http: 503, description: 'The venue\'s account is traded by another daemon (it holds the account\'s lease in Redis, daemon.redis.leases), or this daemon lost the lease: the venue stays closed to new orders and the lease is retried; it opens when the lease is taken.' },

  // Lifecycle
  INVALID_TRANSITION: { kind: 'not_retryable', http: 409, description: 'An order event does not apply to the order in its current state (logged and counted, never fatal).' },
  OVERFILL: { kind: 'not_retryable', http: 409, description: 'A fill would take the filled quantity above the order quantity; it is not applied.' },
  INVALID_FILL: { kind: 'not_retryable', http: 409, description: 'A fill with a quantity or price that is not a positive whole number of lots or ticks; it is not applied.' },
  DUPLICATE_FILL: { kind: 'not_retryable', http: 409, description: 'A fill with an already seen trade id was ignored.' },

  // Journal and recovery
  JOURNAL_CORRUPT: { kind: 'fatal', http: 500, description: 'The journal has a bad record that is not a torn tail; the daemon does not start until it is repaired (switchyard journal verify).' },
  JOURNAL_IO: { kind: 'fatal', http: 500, description: 'The journal could not be written or synced: the daemon halted (intake closed, nothing dispatched); the order was not acknowledged.' },
  JOURNAL_LOCKED: { kind: 'fatal', http: 500, description: 'Another running process holds the journal directory.' },
  JOURNAL_CONFIG_MISMATCH: { kind: 'fatal', http: 500, description: 'The journal does not fit the configuration: a removed strategy, instrument or venue still has open orders or a position (start with --accept-removed to cancel and drop them), or an instrument\'s tick or lot size changed while the journal holds orders or positions on it.' },
  HISTORY_UNAVAILABLE: { kind: 'retryable', http: 503, description: 'The trade history store (PostgreSQL or the history files) cannot be read now, or there is none (the journal is off); fills are not lost: the history catches up from the journal.' },
  HISTORY_THREAD_SILENT: { kind: 'retryable', http: 503, description: 'The trade history thread has not reported for 25 of its report intervals (5 s by default): /health shows the history up: false with this code in lastError, and switchyard_history_up is 0; the thread is not restarted (a store call that never returns holds it); its last report is shown as it was.' },
  HISTORY_LINE_STALE: { kind: 'retryable', http: 500, description: 'A trade history row\'s bytes were reused for another row before the store wrote them (a defect): the write is refused instead of storing the wrong row, shown in the history\'s lastError and writeErrors, and the rows are written again from the journal.' },
  FOLLOWER_SINK_AHEAD: { kind: 'fatal', http: 500, description: 'The trade history store\'s or the Redis event streams\' watermark is past this journal\'s last record: it was written from another journal (a data directory wiped or replaced, or another daemon on the same store or key prefix). Nothing is written to it (lastError, logged once); the journal keeps every record and it is checked again with a backoff until the daemon has a store or keyPrefix of its own, the watermark is removed or the journal restored.' },
  EVENTS_WATERMARK_INVALID: { kind: 'fatal', http: 500, description: 'The Redis key P events:published holds something that is not a journal seq (something else writes under this daemon.redis.keyPrefix): nothing is published (lastError names the key and value) until the daemon has a keyPrefix of its own or the key is deleted (every event the journal still has is then published again).' },
  EVENTS_WATERMARK_MOVED: { kind: 'retryable', http: 503, description: 'The Redis events watermark is not the one this daemon published up to (Redis lost data: restarted empty, flushed): nothing of the batch was written; the publisher goes on from Redis\'s watermark, publishing again from the journal.' },
  EVENTS_KEY_WRONGTYPE: { kind: 'fatal', http: 500, description: 'A Redis key the event publisher writes to (P orders:{symbol}, P trades:{symbol}, P trades:all) holds something that is not a stream: nothing of the batch is written (lastError names the key) until it is removed.' },
  VENUE_NOT_RECONCILED: { kind: 'fatal', http: 503, description: 'A venue could not be reconciled at start; it stays closed to new orders until a retried reconciliation succeeds.' },
  STRATEGY_RESTART_TIMEOUT: { kind: 'fatal', http: 503, description: 'A worker strategy\'s restart waited past daemon.workers.restart.maxWaitMs for the daemon to read the records its failed worker published (its strategy queues stayed full): no new worker started, the strategy stays failed until the daemon restarts.' },

  // Configuration and daemon
  CONFIG_INVALID: { kind: 'fatal', http: 400, description: 'The configuration file has errors; each is reported with file, key path and line.' },
  INTERNAL: { kind: 'fatal', http: 500, description: 'An unexpected internal error.' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export function errorSpec(code: ErrorCode): ErrorSpec {
  return ERROR_CATALOGUE[code];
}

export function isErrorCode(value: string): value is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CATALOGUE, value);
}

/** An error with a code from the catalogue. Thrown only off the hot path (edges, config, startup). */
export class SwitchyardError extends Error {
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message?: string, details?: Record<string, unknown>) {
    super(message ?? ERROR_CATALOGUE[code].description);
    this.name = 'SwitchyardError';
    this.code = code;
    this.kind = ERROR_CATALOGUE[code].kind;
    this.details = details;
  }

  get retryable(): boolean {
    return this.kind === 'retryable';
  }
}
