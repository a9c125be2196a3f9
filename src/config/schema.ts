/**
 * Zod schemas for the Switchyard YAML config (camelCase keys, strict objects: an unknown key is an error).
 *
 * Input comes from yaml-source.ts: plain YAML numbers arrive as YamlNumber {source, value}.
 *  - decimal fields (prices, quantities, notionals, tick/lot sizes, fees) take the source text and are decimal
 *    STRINGS in the result; exponent forms are normalised ("1e-8" -> "0.00000001");
 *  - integer fields take the number; an integer string ("7480") is accepted too, so that an env reference
 *    (`port: ${PORT:-7480}`) can supply it. Booleans likewise accept "true"/"false".
 *
 * This file checks the shape of each value. Rules across fields (known symbols, routing, quote currencies,
 * adapter/exchange pairs, ...) live in cross-check.ts. Defaults are filled in here.
 *
 * Later keys (per-venue batch {maxSize, flushMs}, rateLimits, circuitBreaker, top-level journal) slot in as
 * new optional members of VenueSchema / ConfigSchema.
 */
import { z } from 'zod';
import { decimalSign, isDecimalText, normaliseDecimal } from '../model/decimal.js';
import { YamlNumber } from './yaml-source.js';

// ---------------------------------------------------------------------------------------------------------------
// Scalars

/** Message for a wrong type (or a missing key); other issues (too small, ...) fall through to the default messages. */
const required = (expected: string) => (iss: { code?: string; input?: unknown }) =>
  iss.code !== 'invalid_type' ? undefined : iss.input === undefined ? 'required key is missing' : expected;

/** A strict object (unknown keys are errors). A plain YAML number where a mapping belongs is reported as a number. */
function strictObject<T extends z.core.$ZodLooseShape>(shape: T) {
  return z.preprocess((v) => (v instanceof YamlNumber ? v.value : v), z.strictObject(shape));
}

/** A decimal string; YAML plain numbers contribute their source text. */
const decimalBase = z.preprocess(
  (v) => (v instanceof YamlNumber ? v.source : v),
  z
    .string({ error: required('expected a decimal string') })
    .refine(isDecimalText, { error: 'expected a decimal string', abort: true })
    .transform(normaliseDecimal),
);

const Decimal = decimalBase;
const PositiveDecimal = decimalBase.refine((s) => isDecimalText(s) && decimalSign(s) > 0, { error: 'must be > 0' });
const NonNegativeDecimal = decimalBase.refine((s) => isDecimalText(s) && decimalSign(s) >= 0, { error: 'must be >= 0' });

function toInteger(v: unknown): unknown {
  if (v instanceof YamlNumber) return v.value;
  if (typeof v === 'string' && /^-?[0-9]+$/.test(v)) return Number(v);
  return v;
}

/** A safe integer in [min, max]. */
const int = (min: number, max: number = Number.MAX_SAFE_INTEGER) =>
  z.preprocess(toInteger, z.number({ error: required('expected an integer') }).int().min(min).max(max));

const bool = z.preprocess(
  (v) => (v === 'true' ? true : v === 'false' ? false : v),
  z.boolean({ error: required('expected true or false') }),
);

const nonEmptyString = z.string({ error: required('expected a string') }).min(1, { error: 'must not be empty' });

const SYMBOL_RE = /^[A-Z0-9]+-[A-Z0-9]+$/;
const ASSET_RE = /^[A-Z0-9]+$/;
const VENUE_NAME_RE = /^[a-z][a-z0-9_-]*$/;
const STRATEGY_ID_RE = /^[A-Za-z0-9_-]{1,32}$/;
const DAEMON_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

const SymbolName = z
  .string({ error: required('expected an instrument symbol like BTC-USDT') })
  .regex(SYMBOL_RE, { error: 'expected an instrument symbol like BTC-USDT (BASE-QUOTE, uppercase letters and digits)' });
const AssetName = z
  .string({ error: required('expected an asset name like BTC') })
  .regex(ASSET_RE, { error: 'expected an asset name like BTC (uppercase letters and digits)' });
const VenueName = z
  .string({ error: required('expected a venue name') })
  .regex(VENUE_NAME_RE, { error: 'expected a venue name: lowercase letter, then lowercase letters, digits, _ or -' });
const StrategyId = z
  .string({ error: required('expected a strategy id') })
  .regex(STRATEGY_ID_RE, { error: 'expected a strategy id: 1 to 32 letters, digits, _ or -' });

/** Secrets: after env resolution; the loader has already rejected anything but `${NAME}` in the file. */
const SecretValue = nonEmptyString;

const url = (protocols: readonly string[], example: string) =>
  z.string({ error: required(`expected a URL like ${example}`) }).refine(
    (s) => {
      try {
        return protocols.includes(new URL(s).protocol);
      } catch {
        return false;
      }
    },
    { error: `expected a URL like ${example} (${protocols.map((p) => p.replace(':', '://')).join(' or ')})` },
  );

// ---------------------------------------------------------------------------------------------------------------
// daemon

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const SHUTDOWN_POLICIES = ['cancel-all', 'leave', 'cancel-strategies'] as const;

export const DEFAULT_API_PORT = 7480;
export const DEFAULT_API_HOST = '127.0.0.1';
export const DEFAULT_DATA_DIR = '.switchyard';
export const DEFAULT_QUEUE_CAPACITY = 65536;
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 5000;
export const DEFAULT_DAEMON_NAME = 'switchyard';
export const DEFAULT_RISK_MAX_OPEN_ORDERS = 10000;
/** daemon.api.streamMaxBufferedBytes: 8 MiB. */
export const DEFAULT_STREAM_MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

export const ApiSchema = strictObject({
  host: nonEmptyString.default(DEFAULT_API_HOST),
  /** 0 = any free port (tests). */
  port: int(0, 65535).default(DEFAULT_API_PORT),
  /** Bearer token from an env reference; when absent the daemon uses tokenFile. */
  token: SecretValue.optional(),
  /** Where the daemon reads (or creates) the bearer token when `token` is not set. Default `<dataDir>/api-token`. */
  tokenFile: nonEmptyString.optional(),
  /**
   * A /v1/stream client whose unsent data would pass this many bytes is disconnected (close code 4000, "slow
   * consumer"): a client that stops reading costs the daemon at most this much memory.
   */
  streamMaxBufferedBytes: int(4096, 1 << 30).default(DEFAULT_STREAM_MAX_BUFFERED_BYTES),
});

export const LogSchema = strictObject({
  level: z.enum(LOG_LEVELS).default('info'),
});

export const ShutdownSchema = strictObject({
  policy: z.enum(SHUTDOWN_POLICIES).default('cancel-all'),
  /** Strategy ids whose orders are cancelled; only (and required) with policy cancel-strategies. */
  strategies: z.array(StrategyId).optional(),
  timeoutMs: int(0).default(DEFAULT_SHUTDOWN_TIMEOUT_MS),
});

export const QueueSchema = strictObject({
  /** Bound of the intake queue (orders waiting for the dispatcher). */
  capacity: int(1, 16_777_216).default(DEFAULT_QUEUE_CAPACITY),
});

export const JournalSchema = strictObject({
  /** Journal every order and event, and recover from it on start. Turn off only for throwaway runs. */
  enabled: bool.default(true),
  /** Default `<dataDir>/journal`. */
  dir: nonEmptyString.optional(),
  /** Group commit: the longest a record waits for its fdatasync, in ms. */
  maxDelayMs: int(0, 1000).default(2),
  /** A snapshot (and the deletion of older segments) after this many records. */
  snapshotEvery: int(1000, 100_000_000).default(200_000),
});

export const STARTUP_POLICIES = ['resume', 'cancel-older-than'] as const;

export const StartupSchema = strictObject({
  /** What to do with orders still open after recovery: resume them, or cancel those older than maxAgeMs. */
  policy: z.enum(STARTUP_POLICIES).default('resume'),
  maxAgeMs: int(0).default(3_600_000),
});

/**
 * Client order ids are `<clientIdPrefix><6 characters of the start time><order id in base 36>`: the prefix is at
 * most 8 characters so that an id stays within 32 (8 + 6 + 11 for the largest safe order id) on both venues.
 */
export const MAX_CLIENT_ID_PREFIX = 8;
const CLIENT_ID_PREFIX_RE = /^[A-Za-z0-9]{1,8}$/;

/** The default client id prefix: the first 4 letters and digits of the daemon name, padded with x. */
export function defaultClientIdPrefix(name: string): string {
  return (name.replace(/[^A-Za-z0-9]/g, '') + 'xxxx').slice(0, 4);
}

export const DaemonSchema = strictObject({
  name: z
    .string({ error: required('expected a string') })
    .regex(DAEMON_NAME_RE, { error: 'expected a name of letters, digits, ".", "_" or "-"' })
    .default(DEFAULT_DAEMON_NAME),
  /**
   * The stable start of every client order id this daemon makes (then 6 characters of the start time and the order
   * id, all alphanumeric, at most 32 in total). Default: the first 4 letters and digits of `name` (padded with x).
   */
  clientIdPrefix: z
    .string({ error: required('expected a string') })
    .regex(CLIENT_ID_PREFIX_RE, { error: `expected 1 to ${MAX_CLIENT_ID_PREFIX} letters and digits` })
    .optional(),
  api: ApiSchema.prefault({}),
  log: LogSchema.prefault({}),
  dataDir: nonEmptyString.default(DEFAULT_DATA_DIR),
  shutdown: ShutdownSchema.prefault({}),
  startup: StartupSchema.prefault({}),
  queue: QueueSchema.prefault({}),
  journal: JournalSchema.prefault({}),
  /**
   * Finished orders kept queryable (GET /v1/orders/:id, late venue reports applied); the oldest are forgotten
   * beyond this, so the daemon's memory does not grow with the orders it has ever handled.
   */
  retainFinishedOrders: int(1, 10_000_000).default(100_000),
}).transform((d) => ({
  ...d,
  clientIdPrefix: d.clientIdPrefix ?? defaultClientIdPrefix(d.name),
  api: { ...d.api, tokenFile: d.api.tokenFile ?? joinPath(d.dataDir, 'api-token') },
  journal: { ...d.journal, dir: d.journal.dir ?? joinPath(d.dataDir, 'journal') },
}));

function joinPath(dir: string, file: string): string {
  return dir.endsWith('/') ? dir + file : `${dir}/${file}`;
}

// ---------------------------------------------------------------------------------------------------------------
// venues

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
  /** Websocket heartbeat of binance-ws / okx-ws (default 10000). */
  heartbeatMs: int(100, 600_000).optional(),
}).transform((v) =>
  v.adapter === 'paper' && v.paper === undefined ? { ...v, paper: { ...DEFAULT_PAPER_SETTINGS } } : v,
);

// ---------------------------------------------------------------------------------------------------------------
// instruments

export const InstrumentSchema = strictObject({
  symbol: SymbolName,
  /** Default: the part of the symbol before "-". */
  base: AssetName.optional(),
  /** Default: the part of the symbol after "-". */
  quote: AssetName.optional(),
  /** Price increment. Prices are integers of ticks in the core. */
  tickSize: PositiveDecimal,
  /** Quantity increment. Quantities are integers of lots in the core. */
  lotSize: PositiveDecimal,
  /** Default: lotSize. */
  minQty: PositiveDecimal.optional(),
  /** Minimum price x quantity, in the quote currency. Default "0". */
  minNotional: NonNegativeDecimal.default('0'),
  /** Start mid of paper venues. */
  referencePrice: PositiveDecimal.optional(),
}).transform((i) => {
  const [base, quote] = i.symbol.split('-') as [string, string];
  return { ...i, base: i.base ?? base, quote: i.quote ?? quote, minQty: i.minQty ?? i.lotSize };
});

// ---------------------------------------------------------------------------------------------------------------
// strategies

export const CrossingSchema = strictObject({
  /** Match this strategy's orders internally against other strategies before routing to venues. */
  enabled: bool.default(false),
  /** How long an order may rest in the crossing book waiting for an internal match (0 = match only what rests). */
  windowMs: int(0, 60_000).default(0),
});

export const StrategyLimitsSchema = strictObject({
  /** Per symbol, in base units. */
  maxOrderQty: z.record(z.string(), PositiveDecimal).default(() => ({})),
  /** In the (single) quote currency. */
  maxOrderNotional: PositiveDecimal.optional(),
  maxOpenOrders: int(1).optional(),
  /** Sum of |position| x price over symbols, in the quote currency. */
  maxGrossExposure: PositiveDecimal.optional(),
});

/** Numbers as plain JS numbers (decimal fields keep their YAML source text; free-form params do not need it). */
function plainValue(v: unknown): unknown {
  if (v instanceof YamlNumber) return v.value;
  if (Array.isArray(v)) return v.map(plainValue);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plainValue(x)]));
  return v;
}

export const StrategySchema = strictObject({
  id: StrategyId,
  /** Dispatcher share: a strategy of weight 3 gets three turns for each turn of a weight-1 strategy. */
  weight: int(1, 1_000_000).default(1),
  symbols: z.array(SymbolName).min(1, { error: 'must list at least one symbol' }),
  /**
   * Strategy module run in a worker thread (TypeScript or JavaScript), relative to the YAML file. Without it the
   * strategy is an API client: its orders come over the HTTP/WebSocket API.
   */
  module: nonEmptyString.optional(),
  /** Free-form parameters handed to the strategy module as ctx.params (plain JSON values). */
  params: z.record(z.string(), z.unknown()).default(() => ({})).transform((p) => plainValue(p) as Record<string, unknown>),
  crossing: CrossingSchema.prefault({}),
  limits: StrategyLimitsSchema.prefault({}),
});

// ---------------------------------------------------------------------------------------------------------------
// risk and routing

export const RiskSchema = strictObject({
  maxOpenOrders: int(1).default(DEFAULT_RISK_MAX_OPEN_ORDERS),
  /** In the (single) quote currency. Absent = no daemon-wide limit. */
  maxGrossExposure: PositiveDecimal.optional(),
  maxOrderNotional: PositiveDecimal.optional(),
});

/** symbol -> venue -> integer weight >= 0. */
export const RoutingSchema = z.record(z.string(), z.record(z.string(), int(0, 1_000_000)));

// ---------------------------------------------------------------------------------------------------------------
// the whole file

export const ConfigSchema = strictObject({
  daemon: DaemonSchema.prefault({}),
  venues: z.array(VenueSchema, { error: required('expected a list of venues') }).min(1, { error: 'at least one venue is required' }),
  instruments: z
    .array(InstrumentSchema, { error: required('expected a list of instruments') })
    .min(1, { error: 'at least one instrument is required' }),
  strategies: z.array(StrategySchema).default(() => []),
  risk: RiskSchema.prefault({}),
  /** Instruments without an entry get equal weights over the venues that list them (see cross-check.ts). */
  routing: RoutingSchema.default(() => ({})),
});

// ---------------------------------------------------------------------------------------------------------------
// types

export type Config = z.output<typeof ConfigSchema>;
export type DaemonConfig = Config['daemon'];
export type ApiConfig = DaemonConfig['api'];
export type LogConfig = DaemonConfig['log'];
export type ShutdownConfig = DaemonConfig['shutdown'];
export type QueueConfig = DaemonConfig['queue'];
export type JournalConfig = DaemonConfig['journal'];
export type StartupConfig = DaemonConfig['startup'];
export type LogLevel = (typeof LOG_LEVELS)[number];
export type ShutdownPolicy = (typeof SHUTDOWN_POLICIES)[number];
export type VenueConfig = z.output<typeof VenueSchema>;
export type VenueAdapter = (typeof VENUE_ADAPTERS)[number];
export type Exchange = (typeof EXCHANGES)[number];
export type FeesConfig = z.output<typeof FeesSchema>;
export type BatchConfig = z.output<typeof BatchSchema>;
export type VenueUrls = z.output<typeof VenueUrlsSchema>;
export type VenueCredentials = z.output<typeof CredentialsSchema>;
export type PaperSettings = z.output<typeof PaperSettingsSchema>;
export type InstrumentConfig = z.output<typeof InstrumentSchema>;
export type StrategyConfig = z.output<typeof StrategySchema>;
export type StrategyLimits = z.output<typeof StrategyLimitsSchema>;
export type CrossingConfig = z.output<typeof CrossingSchema>;
export type RiskConfig = z.output<typeof RiskSchema>;
/** symbol -> venue name -> weight. After loading, every instrument has an entry. */
export type RoutingConfig = z.output<typeof RoutingSchema>;
