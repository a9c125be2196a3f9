/**
 * Rules across fields, run on a config that passed the schema. Every problem carries the key path it concerns.
 *
 * Also completes the routing table: an instrument without a `routing` entry gets equal weights (1) over every
 * venue that lists it. Venues not named in an explicit entry get no flow for that symbol.
 */
import { exactMultiple } from '../model/decimal.js';
import type { ConfigPath } from './errors.js';
import type { Config, RoutingConfig } from './schema.js';

export interface CrossIssue {
  path: ConfigPath;
  message: string;
  /** Point at the key rather than the value (e.g. an unknown routing key). */
  atKey?: boolean;
}

export interface CrossCheckResult {
  config: Config;
  issues: CrossIssue[];
}

const EXCHANGE_OF_WS_ADAPTER = { 'binance-ws': 'binance', 'okx-ws': 'okx' } as const;

/** Venue `rateLimits` keys per exchange (schema.ts VenueRateLimitsSchema). */
const BINANCE_RATE_LIMIT_KEYS = ['requestWeightPerMinute', 'ordersPer10s', 'ordersPerDay'] as const;
const OKX_RATE_LIMIT_KEYS = ['placeOrderPerWindow', 'batchOrdersPerWindow', 'cancelOrderPerWindow', 'readsPerWindow', 'windowMs'] as const;

/** Venue keys that only exchange adapters read. */
const EXCHANGE_ONLY_KEYS = [
  'rateLimits', 'circuitBreaker', 'maxInFlight', 'requestTimeoutMs', 'pollIntervalMs', 'reconcileIntervalMs', 'reconnect', 'heartbeatMs',
] as const;

export function crossCheck(config: Config): CrossCheckResult {
  const issues: CrossIssue[] = [];
  const add = (path: ConfigPath, message: string, atKey = false) => issues.push({ path, message, atKey });

  // -- instruments ------------------------------------------------------------------------------------------
  const instruments = new Map<string, number>();
  config.instruments.forEach((ins, i) => {
    const at = (...p: (string | number)[]) => ['instruments', i, ...p];
    const first = instruments.get(ins.symbol);
    if (first !== undefined) add(at('symbol'), `duplicate instrument ${ins.symbol} (first at instruments[${first}])`);
    else instruments.set(ins.symbol, i);
    if (`${ins.base}-${ins.quote}` !== ins.symbol) {
      add(at('symbol'), `symbol ${ins.symbol} does not match base ${ins.base} and quote ${ins.quote}`);
    }
    checkGrid(add, at('minQty'), ins.minQty, ins.lotSize, 'lotSize');
    if (ins.referencePrice !== undefined) checkGrid(add, at('referencePrice'), ins.referencePrice, ins.tickSize, 'tickSize');
  });
  const instrumentOf = (symbol: string) => config.instruments[instruments.get(symbol) ?? -1];

  // -- venues -----------------------------------------------------------------------------------------------
  const venues = new Map<string, number>();
  config.venues.forEach((v, i) => {
    const at = (...p: (string | number)[]) => ['venues', i, ...p];
    const first = venues.get(v.name);
    if (first !== undefined) add(at('name'), `duplicate venue name ${v.name} (first at venues[${first}])`);
    else venues.set(v.name, i);

    if (v.adapter === 'paper') {
      for (const key of EXCHANGE_ONLY_KEYS) {
        if (v[key] !== undefined) add(at(key), `${key} applies to exchange adapters (ccxt, binance-ws, okx-ws), not to adapter paper`);
      }
      if (v.exchange !== undefined) add(at('exchange'), 'exchange is not allowed for adapter paper (a simulated venue)');
      if (v.sandbox) add(at('sandbox'), 'sandbox applies to exchange venues only, not to adapter paper');
      if (v.credentials !== undefined) add(at('credentials'), 'a paper venue takes no credentials');
      if (v.urls !== undefined) add(at('urls'), 'a paper venue has no URLs (it runs in process)');
      if (!v.trading) add(at('trading'), 'trading: false (public market data only) applies to exchange venues; a paper venue trades');
    } else {
      if (v.exchange === undefined) add(at('exchange'), `exchange is required for adapter ${v.adapter} (binance or okx)`);
      else if (v.adapter !== 'ccxt' && EXCHANGE_OF_WS_ADAPTER[v.adapter] !== v.exchange) {
        add(at('exchange'), `adapter ${v.adapter} needs exchange ${EXCHANGE_OF_WS_ADAPTER[v.adapter]}`);
      }
      if (v.latencyMs !== 0) add(at('latencyMs'), 'latencyMs simulates latency and applies only to adapter paper');
      if (v.heartbeatMs !== undefined && v.adapter === 'ccxt') add(at('heartbeatMs'), 'heartbeatMs applies to binance-ws and okx-ws (ccxt keeps its own websocket alive)');
      const limits = v.rateLimits ?? {};
      const foreign = v.exchange === 'binance' ? OKX_RATE_LIMIT_KEYS : v.exchange === 'okx' ? BINANCE_RATE_LIMIT_KEYS : [];
      for (const key of foreign) {
        if (limits[key] !== undefined) add(at('rateLimits', key), `${key} is not a ${v.exchange} rate limit`);
      }
      const cb = v.circuitBreaker;
      if (cb?.openMs !== undefined && cb.maxOpenMs !== undefined && cb.maxOpenMs < cb.openMs) {
        add(at('circuitBreaker', 'maxOpenMs'), `maxOpenMs must be >= openMs (${cb.openMs})`);
      }
      const rc = v.reconnect;
      if (rc?.minMs !== undefined && rc.maxMs !== undefined && rc.maxMs < rc.minMs) {
        add(at('reconnect', 'maxMs'), `maxMs must be >= minMs (${rc.minMs})`);
      }
      if (v.paper !== undefined) add(at('paper'), 'paper settings apply only to adapter paper');
      // a market-data-only venue: public streams need no keys, and it must have market data to be of any use
      if (!v.trading && v.credentials !== undefined) {
        add(at('credentials'), 'a venue with trading: false (public market data only) takes no credentials');
      }
      if (!v.trading && !v.marketData.enabled) {
        add(at('trading'), 'trading: false with marketData.enabled: false leaves the venue nothing to do');
      }
      if (v.credentials !== undefined) {
        if (v.exchange === 'okx' && v.credentials.passphrase === undefined) {
          add(at('credentials', 'passphrase'), 'OKX credentials need a passphrase');
        }
        if (v.exchange === 'binance' && v.credentials.passphrase !== undefined) {
          add(at('credentials', 'passphrase'), 'Binance credentials have no passphrase');
        }
      }
    }

    const seen = new Set<string>();
    v.symbols.forEach((s, j) => {
      if (seen.has(s)) add(at('symbols', j), `${s} is listed twice`);
      seen.add(s);
      const ins = instrumentOf(s);
      if (ins === undefined) add(at('symbols', j), `unknown instrument ${s} (not in instruments)`);
      else if (v.adapter === 'paper' && v.paper?.mirror === undefined && ins.referencePrice === undefined) {
        add(at('symbols', j), `paper venue ${v.name} needs a referencePrice for ${s} (instruments[${instruments.get(s)}])`);
      }
    });
  });
  const venueOf = (name: string) => config.venues[venues.get(name) ?? -1];
  // a paper venue that mirrors another venue's market: an exchange venue with market data, trading its symbols
  config.venues.forEach((v, i) => {
    const mirror = v.paper?.mirror;
    if (mirror === undefined) return;
    const at = ['venues', i, 'paper', 'mirror'];
    const m = venueOf(mirror);
    if (m === undefined) add(at, `unknown venue ${mirror} (not in venues)`);
    else if (m.adapter === 'paper') add(at, `venue ${mirror} is a paper venue: mirror an exchange venue (its public market data)`);
    else if (!m.marketData.enabled) add(at, `venue ${mirror} has marketData.enabled false: nothing to mirror`);
    else {
      for (const s of v.symbols) if (!m.symbols.includes(s)) add(at, `venue ${mirror} does not trade ${s}, which ${v.name} lists`);
    }
  });

  // -- strategies -------------------------------------------------------------------------------------------
  const strategies = new Map<string, number>();
  config.strategies.forEach((st, i) => {
    const at = (...p: (string | number)[]) => ['strategies', i, ...p];
    const first = strategies.get(st.id);
    if (first !== undefined) add(at('id'), `duplicate strategy id ${st.id} (first at strategies[${first}])`);
    else strategies.set(st.id, i);
    const seen = new Set<string>();
    st.symbols.forEach((s, j) => {
      if (seen.has(s)) add(at('symbols', j), `${s} is listed twice`);
      seen.add(s);
      if (!instruments.has(s)) add(at('symbols', j), `unknown instrument ${s} (not in instruments)`);
    });
    if (st.source === 'worker' && st.module === undefined) add(at('source'), 'source: worker needs a module');
    if ((st.source === 'api' || st.source === 'redis') && st.module !== undefined) add(at('module'), `a strategy with source: ${st.source} runs elsewhere: it has no module`);
    for (const s of Object.keys(st.limits.maxOrderQty)) {
      if (!seen.has(s)) add(at('limits', 'maxOrderQty', s), `${s} is not one of this strategy's symbols`, true);
    }
    for (const s of Object.keys(st.routes)) {
      if (!seen.has(s)) add(at('routes', s), `${s} is not one of this strategy's symbols`, true);
    }
    for (const [s, qty] of Object.entries(st.limits.maxPosition)) {
      if (!seen.has(s)) add(at('limits', 'maxPosition', s), `${s} is not one of this strategy's symbols`, true);
      else {
        const ins = config.instruments[instruments.get(s)!];
        if (ins !== undefined) checkGrid(add, at('limits', 'maxPosition', s), qty, ins.lotSize, 'lotSize');
      }
    }
    if (st.limits.orderBurst !== undefined && st.limits.maxOrdersPerSecond === undefined) {
      add(at('limits', 'orderBurst'), 'orderBurst needs maxOrdersPerSecond');
    }
    if (st.limits.cancelBurst !== undefined && st.limits.maxCancelsPerSecond === undefined) {
      add(at('limits', 'cancelBurst'), 'cancelBurst needs maxCancelsPerSecond');
    }
  });

  for (const s of Object.keys(config.risk.priceCollarBps)) {
    if (!instruments.has(s)) add(['risk', 'priceCollarBps', s], `unknown instrument ${s} (not in instruments)`, true);
  }

  // -- shutdown ---------------------------------------------------------------------------------------------
  const shutdown = config.daemon.shutdown;
  const shutdownAt = ['daemon', 'shutdown'];
  const redis = config.daemon.redis;
  // a crash leaves up to 4 x batch commands executed and not acknowledged (the intake's in-flight bound): the ledger
  // must still remember every one of them, or they come back refused COMMAND_OUTCOME_FORGOTTEN instead of answered
  if (redis.commands.dedupeWindow < 4 * redis.commands.batch) {
    add(['daemon', 'redis', 'commands', 'dedupeWindow'], `must be at least 4 x commands.batch (${4 * redis.commands.batch}): the commands a crash can leave executed and unacknowledged are answered from it`);
  }
  if (redis.events.enabled && !config.daemon.journal.enabled) {
    add(['daemon', 'redis', 'events', 'enabled'], 'events to Redis need the journal (daemon.journal.enabled: true): the publisher catches up from it after an outage');
  }
  if (shutdown.policy === 'cancel-strategies') {
    if (shutdown.strategies === undefined || shutdown.strategies.length === 0) {
      add([...shutdownAt, 'strategies'], 'policy cancel-strategies needs a non-empty list of strategy ids');
    }
  } else if (shutdown.strategies !== undefined) {
    add([...shutdownAt, 'strategies'], 'strategies is only allowed with policy cancel-strategies');
  }
  shutdown.strategies?.forEach((id, j) => {
    if (!strategies.has(id)) add([...shutdownAt, 'strategies', j], `unknown strategy ${id}`);
  });

  // -- routing ----------------------------------------------------------------------------------------------
  const routing: RoutingConfig = {};
  for (const [symbol, weights] of Object.entries(config.routing)) {
    const at = ['routing', symbol];
    if (!instruments.has(symbol)) {
      add(at, `unknown instrument ${symbol} (not in instruments)`, true);
      continue;
    }
    let sum = 0;
    for (const [venue, weight] of Object.entries(weights)) {
      const v = venueOf(venue);
      if (v === undefined) add([...at, venue], `unknown venue ${venue}`, true);
      else if (!v.symbols.includes(symbol)) add([...at, venue], `venue ${venue} does not list ${symbol}`, true);
      else if (!v.trading && weight > 0) {
        add([...at, venue], `venue ${venue} has trading: false (public market data only): it takes no orders, so its weight must be 0`, true);
      }
      sum += weight;
    }
    if (sum === 0) add(at, `the weights of ${symbol} sum to zero: no venue would get its orders`);
    routing[symbol] = { ...weights };
  }
  config.instruments.forEach((ins, i) => {
    if (routing[ins.symbol] !== undefined) return;
    const listed = config.venues.filter((v) => v.symbols.includes(ins.symbol));
    // a market-data-only venue (trading: false) gets no flow
    const listing = listed.filter((v) => v.trading).map((v) => v.name);
    if (listing.length === 0) {
      add(['instruments', i, 'symbol'], listed.length === 0
        ? `no venue lists ${ins.symbol}: add it to a venue's symbols or remove the instrument`
        : `only venues with trading: false (market data only) list ${ins.symbol}: no venue could trade it`);
      return;
    }
    routing[ins.symbol] = Object.fromEntries(listing.map((name) => [name, 1]));
  });

  // -- one quote currency for notional limits ---------------------------------------------------------------
  const quotes = [...new Set(config.instruments.map((i) => i.quote))];
  if (quotes.length > 1) {
    const notionalLimits: ConfigPath[] = [];
    if (config.risk.maxOrderNotional !== undefined) notionalLimits.push(['risk', 'maxOrderNotional']);
    if (config.risk.maxGrossExposure !== undefined) notionalLimits.push(['risk', 'maxGrossExposure']);
    if (config.risk.maxDailyLoss !== undefined) notionalLimits.push(['risk', 'maxDailyLoss']);
    config.strategies.forEach((st, i) => {
      if (st.limits.maxOrderNotional !== undefined) notionalLimits.push(['strategies', i, 'limits', 'maxOrderNotional']);
      if (st.limits.maxGrossExposure !== undefined) notionalLimits.push(['strategies', i, 'limits', 'maxGrossExposure']);
      if (st.limits.maxDailyLoss !== undefined) notionalLimits.push(['strategies', i, 'limits', 'maxDailyLoss']);
    });
    for (const p of notionalLimits) {
      add(
        p,
        `notional limits need one common quote currency, but instruments quote in ${quotes.join(', ')}` +
          ' (remove the limit or the instruments of the other quote currencies)',
      );
    }
  }

  return { config: { ...config, routing }, issues };
}

/** `value` must sit on the `step` grid, and value/step must be a safe integer (the core counts in ticks/lots). */
function checkGrid(
  add: (path: ConfigPath, message: string) => void,
  path: ConfigPath,
  value: string,
  step: string,
  stepName: string,
): void {
  const n = exactMultiple(value, step);
  if (n === undefined) add(path, `${value} is not a multiple of ${stepName} ${step}`);
  else if (n > BigInt(Number.MAX_SAFE_INTEGER)) add(path, `${value} is too many ${stepName} steps for a safe integer`);
}
