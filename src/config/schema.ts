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
import { ROUTES, type Route } from '../model/order.js';
import { required, strictObject, PositiveDecimal, NonNegativeDecimal, int, bool, nonEmptyString, DAEMON_NAME_RE, SymbolName, AssetName, StrategyId, SecretValue, url } from './scalars.js';
import { VenueSchema } from './venue-schema.js';
import { YamlNumber } from './yaml-source.js';

export * from './venue-schema.js';

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
/** daemon.api.wsMaxBatch: ops in one /v1/stream batch frame. */
export const DEFAULT_WS_MAX_BATCH = 1000;

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
  /** Most ops one /v1/stream frame may hold (a JSON array of ops); a bigger batch is refused whole. */
  wsMaxBatch: int(1, 100_000).default(DEFAULT_WS_MAX_BATCH),
});

/** Log line formats: JSON lines for services and log shippers (default), or human lines through pino-pretty. */
export const LOG_FORMATS = ['json', 'pretty'] as const;

export const LogSchema = strictObject({
  level: z.enum(LOG_LEVELS).default('info'),
  /** `json` (default): one JSON object a line; `pretty`: coloured human lines (pino-pretty), same redaction. */
  format: z.enum(LOG_FORMATS).default('json'),
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

/**
 * How the dispatcher waits for worker strategies' orders (src/intake/dispatcher.ts DispatchPolicy). Default: after
 * its last order it keeps polling the rings for spinUs (200 µs; in 20 µs slices, the event loop runs between two),
 * then sleeps on the doorbell (no CPU while idle). busyPoll: true polls in 0.1 ms slices and sleeps only after spinUs
 * without orders (default 1 s), and the workers poll for their events too: lowest latency, but the daemon's thread
 * takes a whole core while orders flow; for machines with a core to spare.
 */
export const DispatchSchema = strictObject({
  busyPoll: bool.default(false),
  /** µs of polling after the last order before the dispatcher sleeps; default 200, or 1,000,000 with busyPoll. */
  spinUs: int(0, 60_000_000).optional(),
});

/**
 * Restarts of worker strategies that failed (src/strategy/strategy-host.ts StrategyRestartPolicy). Off by default
 * (maxRestarts 0): a worker that fails stays failed until the daemon restarts.
 */
export const WorkerRestartSchema = strictObject({
  /**
   * How many times within windowMs a worker strategy that failed (its code threw, or its thread ended unasked) is
   * started again; after that it stays failed. 0: never restarted.
   */
  maxRestarts: int(0, 1000).default(0),
  /** Wait before the first restart, ms; doubled for each restart after it, up to maxBackoffMs. */
  backoffMs: int(0, 3_600_000).default(1000),
  maxBackoffMs: int(0, 3_600_000).default(60_000),
  /**
   * A worker unresponsive this long (no heartbeat: its code holds its thread; see hangMs) is terminated and counts as
   * failed (then restarted within maxRestarts). 0 (default): never terminated — it may be in a long computation.
   */
  terminateHungMs: int(0, 3_600_000).default(0),
  /**
   * maxRestarts counts the restarts of the last windowMs (default one hour): a strategy that fails now and then over
   * days is not given up on like one that fails maxRestarts times in a row. 0: every restart of the run counts.
   * Must be above maxBackoffMs (a window shorter than the wait between two restarts never fills).
   */
  windowMs: int(0, 604_800_000).default(3_600_000),
  /**
   * How long a restart may wait (after its backoff) for the daemon to read the records the failed worker published
   * (a submit is taken only when its strategy queue has room); past it the strategy is failed with
   * STRATEGY_RESTART_TIMEOUT. Default 60000.
   */
  maxWaitMs: int(1, 86_400_000).default(60_000),
}).superRefine((r, ctx) => {
  if (r.maxBackoffMs < r.backoffMs) ctx.addIssue({ code: 'custom', message: `maxBackoffMs must be at least backoffMs (${r.backoffMs})`, path: ['maxBackoffMs'] });
  if (r.windowMs > 0 && r.windowMs <= r.maxBackoffMs) {
    ctx.addIssue({
      code: 'custom', path: ['windowMs'],
      message: `windowMs must be above maxBackoffMs (${r.maxBackoffMs}): restarts further apart than the window never count against maxRestarts; 0 counts the whole run`,
    });
  }
});

/** Worker strategies (a `module` in their configuration): how the daemon watches their threads. */
export const WorkersSchema = strictObject({
  /**
   * A running worker whose thread has not turned its event loop for this many ms (strategy code that never returns)
   * is reported unresponsive: GET /health `strategies`, switchyard_strategy_up 0, an error log. 0: not watched.
   */
  hangMs: int(0, 600_000).default(5000),
  restart: WorkerRestartSchema.prefault({}),
}).superRefine((w, ctx) => {
  if (w.restart.terminateHungMs > 0 && w.hangMs === 0) {
    ctx.addIssue({ code: 'custom', message: 'terminateHungMs needs the heartbeat watched (hangMs above 0)', path: ['restart', 'terminateHungMs'] });
  } else if (w.restart.terminateHungMs > 0 && w.restart.terminateHungMs < w.hangMs) {
    ctx.addIssue({ code: 'custom', message: `terminateHungMs must be at least hangMs (${w.hangMs})`, path: ['restart', 'terminateHungMs'] });
  }
});

export const JournalSchema = strictObject({
  /** Journal every order and event, and recover from it on start. Turn off only for throwaway runs. */
  enabled: bool.default(true),
  /** Default `<dataDir>/journal`. */
  dir: nonEmptyString.optional(),
  /** Group commit: the longest a record waits for its fdatasync, in ms. */
  maxDelayMs: int(0, 1000).default(0),
  /** A snapshot (and the deletion of older segments) after this many records. */
  snapshotEvery: int(1000, 100_000_000).default(200_000),
});

export const HISTORY_STORES = ['file', 'postgres'] as const;

/** A PostgreSQL url without a password: credentials come from `password: ${NAME}` or PGPASSWORD, never a literal. */
const PostgresUrl = url(['postgres:', 'postgresql:'], 'postgres://user@127.0.0.1:5432/switchyard').refine(
  (s) => {
    try {
      return new URL(s).password === '' && !/(^|[?&])password=/i.test(new URL(s).search);
    } catch {
      return false;
    }
  },
  { error: 'a password in the url: give it as password: ${NAME} (an env reference) or in PGPASSWORD' },
);

export const HistoryPostgresSchema = strictObject({
  /** postgres://user@host:port/database (no password), e.g. `url: ${SWITCHYARD_PG_URL}`; or the parts below. */
  url: PostgresUrl.optional(),
  host: nonEmptyString.optional(),
  port: int(1, 65535).optional(),
  database: nonEmptyString.optional(),
  user: nonEmptyString.optional(),
  /** An env reference (`${NAME}`), like every secret; or leave it out and set PGPASSWORD. */
  password: SecretValue.optional(),
  /** Prefix of the three tables (<prefix>fills, <prefix>orders, <prefix>state); created when missing. */
  tablePrefix: z.string({ error: required('expected a string') }).regex(/^[A-Za-z_][A-Za-z0-9_]{0,40}$/, { error: 'expected letters, digits and _ (not starting with a digit)' }).default('switchyard_'),
  connectTimeoutMs: int(100, 600_000).default(3000),
  queryTimeoutMs: int(100, 600_000).default(15_000),
});

export const HistorySchema = strictObject({
  /** Keep every fill and every order's final state beyond the journal (needs the journal). */
  enabled: bool.default(true),
  store: z.enum(HISTORY_STORES).default('file'),
  file: strictObject({
    /** Default `<dataDir>/history`. */
    path: nonEmptyString.optional(),
    /** A history file is sealed and the next begun past this size. */
    segmentBytes: int(4096, 1 << 30).default(64 * 1024 * 1024),
  }).prefault({}),
  /** Required with store: postgres. */
  postgres: HistoryPostgresSchema.optional(),
  /** GET /v1/fills: the largest page (`limit`). */
  pageSizeMax: int(1, 100_000).default(1000),
  /** Rows held in memory for the writer; beyond, it catches up from the journal. */
  bufferRows: int(1024, 10_000_000).default(65_536),
  /**
   * Rows per write (one transaction, or one append + fdatasync). 5000: with 1000 a file store fell behind for good
   * at about 20 k orders/s (a write waits for turns of a busy event loop, so writes per second are few; the journal
   * then grows until the load stops).
   */
  batchRows: int(1, 10_000).default(5000),
  /**
   * Added to the history thread's nice value (Linux; 0: as the daemon's): when the cores are busy the dispatch thread
   * comes first and the history lags, then catches up from the journal. bench:load worker on 2 cores: 10 % to 20 %
   * more orders/s with 15 than with 0.
   */
  threadNice: int(0, 19).default(15),
}).superRefine((h, ctx) => {
  if (h.store === 'postgres' && h.postgres === undefined) ctx.addIssue({ code: 'custom', message: 'store: postgres needs a postgres section', path: ['postgres'] });
});

export const DEFAULT_MARKET_DEPTH = 20;
export const DEFAULT_MARKET_STALE_MS = 5000;

export const MarketDataSchema = strictObject({
  /** Price levels per side kept for routing and shown (GET /v1/books/:symbol) per venue and consolidated. */
  depth: int(1, 400).default(DEFAULT_MARKET_DEPTH),
  /** A venue book with no update and no sign of life from its venue for this long is stale: excluded from routing. */
  staleMs: int(100, 600_000).default(DEFAULT_MARKET_STALE_MS),
});

export const ROUTING_MODES = ['table', 'adaptive'] as const;

export const DaemonRoutingSchema = strictObject({
  /** table: the 256-slot tables follow the `routing` weights; adaptive: each symbol's weights follow the market. */
  mode: z.enum(ROUTING_MODES).default('table'),
  /** adaptive: how often the weights are recomputed from the consolidated book. */
  adaptiveIntervalMs: int(100, 3_600_000).default(1000),
  /** adaptive: a venue's weight is its depth within this many bps of the best fee-adjusted price (both sides). */
  adaptiveBandBps: int(1, 10_000).default(10),
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

/** Balances per venue (src/risk/venue-balances.ts). */
export const DaemonBalancesSchema = strictObject({
  /** Exchange venues' balances are read at start and then every this many ms and compared (0 = only at start). */
  reconcileIntervalMs: int(0, 86_400_000).default(60_000),
});

/** Where a strategy's orders come from: a worker module, the HTTP/WebSocket API, or its Redis command stream. */
export const STRATEGY_SOURCES = ['worker', 'api', 'redis'] as const;

export type StrategySource = (typeof STRATEGY_SOURCES)[number];

/** A strategy's source: as configured, else worker when it has a module, else api. */
export function strategySource(st: { readonly source?: StrategySource | undefined; readonly module?: string | undefined }): StrategySource {
  return st.source ?? (st.module !== undefined ? 'worker' : 'api');
}

/** A redis:// or rediss:// (TLS) address without credentials: the ACL user and password come from the environment only. */
const RedisUrl = z
  .string({ error: required('expected a redis:// or rediss:// URL') })
  .refine((u) => {
    try {
      const parsed = new URL(u);
      return (parsed.protocol === 'redis:' || parsed.protocol === 'rediss:') && parsed.hostname !== '';
    } catch {
      return false;
    }
  }, { error: 'expected a redis:// or rediss:// URL such as redis://127.0.0.1:6379' })
  .refine((u) => {
    try {
      const parsed = new URL(u);
      return parsed.username === '' && parsed.password === '';
    } catch {
      return true;
    }
  }, { error: 'no user or password in the URL: set SWITCHYARD_REDIS_USERNAME and SWITCHYARD_REDIS_PASSWORD in the environment' });

/** Redis (src/bus): events out, commands in, account leases. Nothing connects unless one of them is enabled or a strategy has source: redis. */
export const RedisSchema = strictObject({
  url: RedisUrl.default('redis://127.0.0.1:6379'),
  /** The start of every key, stream and channel name the daemon uses (two daemons on one Redis use different prefixes). */
  keyPrefix: z.string({ error: required('expected a string') }).regex(/^[A-Za-z0-9:_.{}-]{0,64}$/, { error: 'expected up to 64 letters, digits or : _ . - { }' }).default('switchyard:'),
  events: strictObject({
    /** Every order event and fill to orders:{symbol}, trades:{symbol}, trades:all and the live_trades channel. */
    enabled: bool.default(false),
    /** Approximate MAXLEN of each stream (XADD MAXLEN ~). */
    maxLen: int(100, 1_000_000_000).default(1_000_000),
    /** Events held in memory for the publisher; beyond, it catches up from the journal. */
    bufferEvents: int(1024, 10_000_000).default(65_536),
    /** Events per round trip (one MULTI/EXEC). */
    batchEvents: int(1, 10_000).default(500),
  }).prefault({}),
  commands: strictObject({
    /** Consumer group name on every strategy's command stream (the consumer is the daemon's name). */
    group: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).default('switchyard'),
    /** Commands read per XREADGROUP. */
    batch: int(1, 10_000).default(256),
    /** A pending command idle this long at another consumer (a daemon that died under another name) is claimed. */
    claimIdleMs: int(100, 86_400_000).default(30_000),
    /** Request ids remembered per strategy (journaled) so a command delivered again is answered, never executed twice. */
    dedupeWindow: int(1000, 10_000_000).default(100_000),
    /** Approximate MAXLEN of each reply stream. */
    replyMaxLen: int(100, 100_000_000).default(100_000),
  }).prefault({}),
  leases: strictObject({
    /** One daemon per venue account: a lease in Redis per account the daemon trades (exchange venues; paper venues need none). */
    enabled: bool.default(false),
    /** The lease lives this long without renewal (a daemon that dies frees its accounts after at most this). */
    ttlMs: int(1000, 3_600_000).default(15_000),
    /** Renewal interval (less than a third of ttlMs). */
    renewMs: int(100, 1_200_000).default(5_000),
  }).prefault({}),
}).superRefine((r, ctx) => {
  if (r.leases.renewMs * 3 > r.leases.ttlMs) ctx.addIssue({ code: 'custom', message: 'renewMs must be at most a third of ttlMs', path: ['leases', 'renewMs'] });
});

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
  /** The kill switch (POST /v1/admin/kill): how long it waits for the venues to confirm the cancels (ms), unless the call says. */
  kill: strictObject({ timeoutMs: int(1, 600_000).default(10_000) }).prefault({}),
  startup: StartupSchema.prefault({}),
  queue: QueueSchema.prefault({}),
  dispatch: DispatchSchema.prefault({}),
  workers: WorkersSchema.prefault({}),
  journal: JournalSchema.prefault({}),
  /** Trade history beyond the journal (src/history): fills and final order states in PostgreSQL or local files. */
  history: HistorySchema.prefault({}),
  marketData: MarketDataSchema.prefault({}),
  routing: DaemonRoutingSchema.prefault({}),
  balances: DaemonBalancesSchema.prefault({}),
  /** Redis Streams in and out and account leases (src/bus). */
  redis: RedisSchema.prefault({}),
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
  history: { ...d.history, file: { ...d.history.file, path: d.history.file.path ?? joinPath(d.dataDir, 'history') } },
}));

function joinPath(dir: string, file: string): string {
  return dir.endsWith('/') ? dir + file : `${dir}/${file}`;
}

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
  /** Per symbol, in base units: the largest |position| the strategy may reach, counting its open orders on the side. */
  maxPosition: z.record(z.string(), PositiveDecimal).default(() => ({})),
  /** New orders per second (token bucket; over it: RISK_ORDER_RATE, denied, not queued). */
  maxOrdersPerSecond: int(1, 1_000_000).optional(),
  /** Orders the bucket holds (a burst); default maxOrdersPerSecond. */
  orderBurst: int(1, 1_000_000).optional(),
  /** Cancels per second the strategy may ask for (RISK_CANCEL_RATE); operator cancels and the kill switch are not counted. */
  maxCancelsPerSecond: int(1, 1_000_000).optional(),
  cancelBurst: int(1, 1_000_000).optional(),
  /** Loss in a UTC day (realised + unrealised at mark, net of fees), in the quote currency: then risk.dailyLossAction. */
  maxDailyLoss: PositiveDecimal.optional(),
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
  /**
   * Where its orders come from: worker (its `module` in a worker thread), api (HTTP/WebSocket clients) or redis (its
   * command stream {keyPrefix}commands:{id}). Default: worker with a module, else api.
   */
  source: z.enum(STRATEGY_SOURCES).optional(),
  /** The order enhancer for this strategy's orders (src/intake/order-enhancer.ts): runs before pre-trade risk. */
  enhancer: strictObject({
    /** Module (relative to the YAML file) default-exporting an enhancer factory. */
    module: nonEmptyString,
    /** Time a decision may take (µs); a slower or throwing decision is discarded: the original order goes on. */
    budgetUs: int(1, 1_000_000).default(200),
    /** After a decision over budget the enhancer is bypassed this long (ms). */
    suspendMs: int(0, 3_600_000).default(1_000),
    /** Read {keyPrefix}signals:{symbol} of the strategy's symbols from Redis into the enhancer (onSignal). */
    signals: bool.default(false),
    /** Free-form parameters for the module. */
    params: z.record(z.string(), z.unknown()).default(() => ({})).transform((p) => plainValue(p) as Record<string, unknown>),
  }).optional(),
  /** Free-form parameters handed to the strategy module as ctx.params (plain JSON values). */
  params: z.record(z.string(), z.unknown()).default(() => ({})).transform((p) => plainValue(p) as Record<string, unknown>),
  crossing: CrossingSchema.prefault({}),
  limits: StrategyLimitsSchema.prefault({}),
  /** How this strategy's orders are routed unless an order says otherwise ("route" in the order). */
  route: z.enum(ROUTES as [Route, ...Route[]]).default('table'),
  /** Per symbol, a route other than `route`. */
  routes: z.record(z.string(), z.enum(ROUTES as [Route, ...Route[]])).default(() => ({})),
});

// ---------------------------------------------------------------------------------------------------------------
// risk and routing

export const RiskSchema = strictObject({
  maxOpenOrders: int(1).default(DEFAULT_RISK_MAX_OPEN_ORDERS),
  /** In the (single) quote currency. Absent = no daemon-wide limit. */
  maxGrossExposure: PositiveDecimal.optional(),
  maxOrderNotional: PositiveDecimal.optional(),
  /** Per symbol: a limit price more than this many basis points through the mark is denied (RISK_PRICE_COLLAR). */
  priceCollarBps: z.record(z.string(), int(1, 1_000_000)).default(() => ({})),
  /** Loss of the whole daemon in a UTC day (realised + unrealised at mark, net of fees), in the quote currency. */
  maxDailyLoss: PositiveDecimal.optional(),
  /** What a daily loss limit does to the strategy (or the daemon) that reaches it: REDUCING (default) or HALTED. */
  dailyLossAction: z.enum(['reducing', 'halted']).default('reducing'),
  /** A strategy's order that would cross its own resting order at the same venue: deny (default), cancel-older, off. */
  selfTrade: z.enum(['deny', 'cancel-older', 'off']).default('deny'),
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
export type HistoryConfig = DaemonConfig['history'];
export type MarketDataConfig = DaemonConfig['marketData'];
export type DaemonRoutingConfig = DaemonConfig['routing'];
export type StartupConfig = DaemonConfig['startup'];
export type LogLevel = (typeof LOG_LEVELS)[number];
export type ShutdownPolicy = (typeof SHUTDOWN_POLICIES)[number];
export type InstrumentConfig = z.output<typeof InstrumentSchema>;
export type StrategyConfig = z.output<typeof StrategySchema>;
export type StrategyLimits = z.output<typeof StrategyLimitsSchema>;
export type CrossingConfig = z.output<typeof CrossingSchema>;
export type RiskConfig = z.output<typeof RiskSchema>;
/** symbol -> venue name -> weight. After loading, every instrument has an entry. */
export type RoutingConfig = z.output<typeof RoutingSchema>;
