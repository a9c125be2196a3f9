/**
 * The venue adapter factory: one VenueAdapter per configured exchange venue.
 *
 *   createVenueAdapter(venue, instruments, sink, { log, env, clock })
 *
 *  - `venue`: the venue's config after loading (credentials already resolved from env references; never logged).
 *  - `instruments`: the instruments the venue lists (checked against the venue's markets at start()).
 *  - `sink`: where execution reports and health (UP / DOWN from the circuit breaker) go.
 *  - `deps.env` is not read today (credentials come through the config); it is there so adapters never reach for
 *    process.env themselves.
 *
 * adapter 'ccxt' (exchange binance | okx, other ccxt ids on a generic profile), 'binance-ws', 'okx-ws'. Paper venues
 * are built by the daemon (adapters/paper) and are refused here.
 */
import type { Logger } from 'pino';
import type { VenueConfig } from '../src/config/schema.js';
import type { ReportSink, VenueAdapter } from '../src/execution/venue.js';
import type { Clock } from '../src/model/clock.js';
import { SwitchyardError } from '../src/model/errors.js';
import type { Instrument } from '../src/model/instrument.js';
import { BinanceWsAdapter } from './binance-ws/binance-ws-adapter.js';
import { CcxtAdapter } from './ccxt/ccxt-adapter.js';
import { type AdapterSettings, adapterSettings } from './common/settings.js';
import { binanceUrls, okxUrls } from './common/urls.js';
import type { RateLimitOverrides } from './common/venue-limits.js';
import { OkxWsAdapter } from './okx-ws/okx-ws-adapter.js';
import { BinanceMarketFeed } from './binance-ws/market-feed.js';
import { CcxtMarketFeed } from './ccxt/market-feed.js';
import type { MarketFeedDeps } from './common/market-feed-deps.js';
import { OkxMarketFeed } from './okx-ws/market-feed.js';
import type { MarketFeed } from '../src/market/feed.js';

export interface AdapterDeps {
  readonly log: Logger;
  readonly env: NodeJS.ProcessEnv;
  readonly clock: Clock;
}

/** The shared adapter settings of a venue: YAML keys over the defaults (adapters/common/settings.ts). */
export function settingsFor(venue: VenueConfig): AdapterSettings {
  const cb = venue.circuitBreaker ?? {};
  const rc = venue.reconnect ?? {};
  const defaults = adapterSettings();
  return adapterSettings({
    ...(venue.maxInFlight !== undefined ? { maxInFlight: venue.maxInFlight } : {}),
    ...(venue.requestTimeoutMs !== undefined ? { requestTimeoutMs: venue.requestTimeoutMs } : {}),
    ...(venue.pollIntervalMs !== undefined ? { pollIntervalMs: venue.pollIntervalMs } : {}),
    ...(venue.reconcileIntervalMs !== undefined ? { reconcileIntervalMs: venue.reconcileIntervalMs } : {}),
    ...(venue.heartbeatMs !== undefined ? { heartbeatMs: venue.heartbeatMs } : {}),
    circuitBreaker: {
      failureThreshold: cb.failureThreshold ?? defaults.circuitBreaker.failureThreshold,
      openMs: cb.openMs ?? defaults.circuitBreaker.openMs,
      maxOpenMs: cb.maxOpenMs ?? Math.max(defaults.circuitBreaker.maxOpenMs, cb.openMs ?? 0),
    },
    reconnect: {
      minMs: rc.minMs ?? defaults.reconnect.minMs,
      maxMs: rc.maxMs ?? Math.max(defaults.reconnect.maxMs, rc.minMs ?? 0),
    },
  });
}

function rateLimitsOf(venue: VenueConfig): RateLimitOverrides {
  return venue.rateLimits ?? {};
}

function credentialsOf(venue: VenueConfig): { apiKey: string; secret: string; passphrase: string | undefined } {
  const c = venue.credentials;
  if (c === undefined) {
    throw new SwitchyardError('CONFIG_INVALID', `venue ${venue.name}: adapter ${venue.adapter} needs credentials (apiKey, secret${venue.exchange === 'okx' ? ', passphrase' : ''})`);
  }
  return { apiKey: c.apiKey, secret: c.secret, passphrase: c.passphrase };
}

export function createVenueAdapter(venue: VenueConfig, instruments: readonly Instrument[], sink: ReportSink, deps: AdapterDeps): VenueAdapter {
  if (venue.adapter === 'paper') {
    throw new SwitchyardError('CONFIG_INVALID', `venue ${venue.name}: paper venues are built by the daemon (adapters/paper), not by createVenueAdapter`);
  }
  const exchange = venue.exchange;
  if (exchange === undefined) throw new SwitchyardError('CONFIG_INVALID', `venue ${venue.name}: adapter ${venue.adapter} needs an exchange`);
  const common = {
    name: venue.name,
    instruments,
    sink,
    log: deps.log,
    clock: deps.clock,
    fees: { makerBps: venue.fees.makerBps, takerBps: venue.fees.takerBps },
    settings: settingsFor(venue),
    rateLimits: rateLimitsOf(venue),
  };
  const credentials = credentialsOf(venue);
  const urls = { rest: venue.urls?.rest, ws: venue.urls?.ws };
  switch (venue.adapter) {
    case 'ccxt':
      return new CcxtAdapter({ ...common, exchangeId: exchange, sandbox: venue.sandbox, urls, credentials });
    case 'binance-ws':
      if (exchange !== 'binance') throw new SwitchyardError('CONFIG_INVALID', `venue ${venue.name}: adapter binance-ws needs exchange binance`);
      return new BinanceWsAdapter({ ...common, credentials, urls: binanceUrls(venue.sandbox, urls) });
    case 'okx-ws': {
      if (exchange !== 'okx') throw new SwitchyardError('CONFIG_INVALID', `venue ${venue.name}: adapter okx-ws needs exchange okx`);
      if (credentials.passphrase === undefined) throw new SwitchyardError('CONFIG_INVALID', `venue ${venue.name}: OKX credentials need a passphrase`);
      return new OkxWsAdapter({
        ...common,
        credentials: { apiKey: credentials.apiKey, secret: credentials.secret, passphrase: credentials.passphrase },
        urls: okxUrls(venue.sandbox, urls),
        simulated: venue.sandbox,
      });
    }
  }
}

/** What a market-data feed is built with besides its venue's configuration (see common/market-feed-deps.ts). */
export type MarketFeedParts = Omit<MarketFeedDeps, 'name' | 'instruments' | 'stallMs' | 'reconnect'>;

/**
 * The public market-data feed of an exchange venue (its `marketData.enabled`): the venue's own public websocket for
 * binance-ws and okx-ws (exchange-documented sync), ccxt pro's watchOrderBook / watchTrades for ccxt venues. No keys.
 */
export function createMarketFeed(venue: VenueConfig, instruments: readonly Instrument[], parts: MarketFeedParts): MarketFeed {
  const exchange = venue.exchange;
  if (venue.adapter === 'paper' || exchange === undefined) {
    throw new SwitchyardError('CONFIG_INVALID', `venue ${venue.name}: market data feeds are for exchange venues (a paper venue publishes its own book)`);
  }
  const deps: MarketFeedDeps = {
    ...parts,
    name: venue.name,
    instruments,
    stallMs: venue.marketData.stallMs,
    reconnect: settingsFor(venue).reconnect,
  };
  const urls = { rest: venue.urls?.rest, ws: venue.urls?.ws };
  switch (venue.adapter) {
    case 'ccxt':
      return new CcxtMarketFeed(deps, { exchangeId: exchange, sandbox: venue.sandbox, urls });
    case 'binance-ws':
      return new BinanceMarketFeed(deps, binanceUrls(venue.sandbox, urls));
    case 'okx-ws':
      return new OkxMarketFeed(deps, okxUrls(venue.sandbox, urls));
  }
}

export { BinanceWsAdapter, CcxtAdapter, OkxWsAdapter };
export type { AdapterSettings };
