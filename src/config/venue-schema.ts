/** The `venues:` section of the configuration: adapters, fees, URLs, credentials, batching, limits, paper settings. */
import { z } from 'zod';
import { strictObject, Decimal, PositiveDecimal, NonNegativeDecimal, AssetName, int, bool, SymbolName, VenueName, SecretValue, url } from './scalars.js';


export const VENUE_ADAPTERS = ['paper', 'ccxt', 'binance-ws', 'okx-ws'] as const;
export const EXCHANGES = ['binance', 'okx'] as const;

export const FeesSchema = strictObject({
  /** Basis points; negative = rebate. */
  makerBps: Decimal.default('0'),
  takerBps: Decimal.default('0'),
});

export const VenueUrlsSchema = strictObject({
  rest: url(['http:', 'https:'], 'http://127.0.0.1:9001').optional(),
  ws: url(['ws:', 'wss:'], 'ws://127.0.0.1:9002').optional(),
});

export const CredentialsSchema = strictObject({
  apiKey: SecretValue,
  secret: SecretValue,
  /** OKX only. */
  passphrase: SecretValue.optional(),
});

export const DEFAULT_PAPER_SETTINGS = {
  seed: 1, spreadTicks: 2, volatilityTicks: 1, depthLevels: 10, levelNotional: '20000', tradesPerSecond: 4, stepMs: 250,
} as const;

export const PaperSettingsSchema = strictObject({
  /** Seed of the simulated market (same seed, same price path and liquidity). */
  seed: int(0).default(DEFAULT_PAPER_SETTINGS.seed),
  /** Spread of the simulated market maker's best quotes, in ticks. */
  spreadTicks: int(1).default(DEFAULT_PAPER_SETTINGS.spreadTicks),
  /** Largest step of the random-walk mid per interval, in ticks (0 = a fixed mid). */
  volatilityTicks: int(0).default(DEFAULT_PAPER_SETTINGS.volatilityTicks),
  /** Price levels the market maker quotes on each side. */
  depthLevels: int(1, 1000).default(DEFAULT_PAPER_SETTINGS.depthLevels),
  /** Average quote-currency value resting at each level. */
  levelNotional: PositiveDecimal.default(DEFAULT_PAPER_SETTINGS.levelNotional),
  /** Average number of trades per second from other (simulated) traders, which fill resting orders. */
  tradesPerSecond: int(0, 10_000).default(DEFAULT_PAPER_SETTINGS.tradesPerSecond),
  /** Interval of the simulation (mid step, re-quoting, other traders), in ms. */
  stepMs: int(10, 60_000).default(DEFAULT_PAPER_SETTINGS.stepMs),
  /**
   * Trade against another venue's live public market instead of the simulated one: that venue's book and trades
   * are this paper venue's liquidity (no keys needed for the public streams). The other settings of the simulated
   * market are then unused.
   */
  mirror: VenueName.optional(),
  /**
   * The account's balances at this paper venue, per currency (decimals, >= 0): tracked from these and moved by the
   * venue's fills (buy: + base, - quote; sell the reverse; fees in their currency), shown by GET /v1/balances, and a
   * smart route (sweep, best) never sends a child this venue could not pay for. Absent = not tracked (unlimited).
   */
  balances: z.record(AssetName, NonNegativeDecimal).optional(),
});

/** A venue's public market data (books and trades of its symbols). */
export const VenueMarketDataSchema = strictObject({
  /** Follow this venue's books and trades (default true; a paper venue publishes its own book). */
  enabled: bool.default(true),
  /** No message from the venue's market stream for this long: its books are resynced and the stream reopened (default 10000). */
  stallMs: int(1000, 600_000).default(10_000),
});

export const DEFAULT_BATCH = { maxSize: 32, flushMs: 0 } as const;

export const BatchSchema = strictObject({
  /** Orders handed to the adapter in one call at most. */
  maxSize: int(1, 1000).default(DEFAULT_BATCH.maxSize),
  /** How long a partial batch may wait for more orders (0 = hand over at the end of each dispatch cycle). */
  flushMs: int(0, 1000).default(DEFAULT_BATCH.flushMs),
});

/**
 * Venue rate limits (exchange venues). Binance: request weight per minute, orders per 10 s and per day (the venue's
 * exchangeInfo values apply when lower). OKX, per instrument per `windowMs`: place-order requests, orders in batches,
 * cancels; and reads per endpoint. Defaults: the venues' published limits (adapters/common/venue-limits.ts).
 */
export const VenueRateLimitsSchema = strictObject({
  requestWeightPerMinute: int(1).optional(),
  ordersPer10s: int(1).optional(),
  ordersPerDay: int(1).optional(),
  placeOrderPerWindow: int(1).optional(),
  batchOrdersPerWindow: int(1).optional(),
  cancelOrderPerWindow: int(1).optional(),
  readsPerWindow: int(1).optional(),
  windowMs: int(100, 3_600_000).optional(),
});

/** Circuit breaker of an exchange venue (defaults: 5 failures in a row, open 2000 ms, at most 30000 ms). */
export const CircuitBreakerSchema = strictObject({
  failureThreshold: int(1, 1000).optional(),
  openMs: int(10, 3_600_000).optional(),
  maxOpenMs: int(10, 3_600_000).optional(),
});

/** Websocket reconnect backoff (exponential with jitter; defaults 250 ms to 10000 ms). */
export const ReconnectSchema = strictObject({
  minMs: int(1, 600_000).optional(),
  maxMs: int(1, 3_600_000).optional(),
});

export const VenueSchema = strictObject({
  name: VenueName,
  adapter: z.enum(VENUE_ADAPTERS),
  /** Required for ccxt / binance-ws / okx-ws; forbidden for paper. */
  exchange: z.enum(EXCHANGES).optional(),
  sandbox: bool.default(false),
  symbols: z.array(SymbolName).min(1, { error: 'must list at least one symbol' }),
  /**
   * false: public market data only (books and trades, e.g. for a paper venue to mirror): no credentials, never
   * routed to, no trading adapter started; an order pinned to it is refused. Exchange adapters only. Default true.
   */
  trading: bool.default(true),
  fees: FeesSchema.prefault({}),
  /** Simulated latency of the paper adapter. */
  latencyMs: int(0, 60_000).default(0),
  urls: VenueUrlsSchema.optional(),
  credentials: CredentialsSchema.optional(),
  /** Per-venue batching of new orders. */
  batch: BatchSchema.prefault({}),
  /** Paper adapter only; filled with DEFAULT_PAPER_SETTINGS for paper venues. */
  paper: PaperSettingsSchema.optional(),
  // Exchange adapters only (ccxt, binance-ws, okx-ws); defaults in adapters/common/settings.ts.
  rateLimits: VenueRateLimitsSchema.optional(),
  circuitBreaker: CircuitBreakerSchema.optional(),
  /** Requests in flight per venue at most (default 8). */
  maxInFlight: int(1, 1024).optional(),
  /** No answer after this long: the outcome is unknown and looked up by client order id (default 5000). */
  requestTimeoutMs: int(100, 60_000).optional(),
  /** REST polling interval while the execution-report stream is down (default 1000). */
  pollIntervalMs: int(50, 600_000).optional(),
  /** Reconciliation by REST while the stream is up, 0 = never (default 30000). */
  reconcileIntervalMs: int(0, 86_400_000).optional(),
  reconnect: ReconnectSchema.optional(),
  marketData: VenueMarketDataSchema.prefault({}),
  /** Websocket heartbeat of binance-ws / okx-ws (default 10000). */
  heartbeatMs: int(100, 600_000).optional(),
}).transform((v) =>
  v.adapter === 'paper' && v.paper === undefined ? { ...v, paper: { ...DEFAULT_PAPER_SETTINGS } } : v,
);

export type VenueConfig = z.output<typeof VenueSchema>;
export type VenueAdapter = (typeof VENUE_ADAPTERS)[number];
export type Exchange = (typeof EXCHANGES)[number];
export type FeesConfig = z.output<typeof FeesSchema>;
export type BatchConfig = z.output<typeof BatchSchema>;
export type VenueUrls = z.output<typeof VenueUrlsSchema>;
export type VenueCredentials = z.output<typeof CredentialsSchema>;
export type PaperSettings = z.output<typeof PaperSettingsSchema>;
export type VenueMarketData = z.output<typeof VenueMarketDataSchema>;
