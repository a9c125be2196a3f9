/**
 * The daemon's market data as the configuration describes it: one MarketData over every configured venue (depth
 * and staleness from daemon.marketData, taker fees from each venue), risk marks from its consolidated books, one feed
 * per exchange venue whose `marketData.enabled` is on (paper venues publish their own book through the same sink),
 * its metrics and its API view, and the adaptive routing tables when daemon.routing.mode is adaptive.
 */
import { createMarketFeed } from '../../adapters/index.js';
import type { Config } from '../config/index.js';
import { bookView, type BookView } from '../market/book-view.js';
import type { MarketFeed } from '../market/feed.js';
import { MarketData } from '../market/market-data.js';
import type { Clock } from '../model/clock.js';
import type { InstrumentRegistry } from '../model/instrument.js';
import type { PreTradeRisk } from '../risk/pre-trade-risk.js';
import { AdaptiveRouting } from '../routing/adaptive-weights.js';
import type { Router } from '../routing/router.js';
import type { Logger } from '../telemetry/logger.js';
import { registerMarketMetrics } from '../telemetry/market-metrics.js';
import type { Metrics } from '../telemetry/metrics.js';
import { marksFromMarket } from './market-marks.js';

export interface MarketParts {
  readonly instruments: InstrumentRegistry;
  readonly clock: Clock;
  readonly log: Logger;
  readonly risk: PreTradeRisk;
  /** Its tables follow the market when daemon.routing.mode is adaptive. */
  readonly router: Router;
}

/** The market data and what runs it. */
export interface ConfiguredMarket {
  readonly market: MarketData;
  readonly feeds: readonly MarketFeed[];
  /** Recomputes the routing tables from the market (daemon.routing.mode: adaptive), else undefined. */
  readonly adaptive: AdaptiveRouting | undefined;
  /** GET /v1/books/:symbol (the venues that list the symbol). */
  view(symbol: number): BookView;
  /** Registers the market-data metrics (once the order path's metrics exist). */
  registerMetrics(metrics: Metrics): void;
  /** Starts the feeds without holding up the daemon's start (a feed that cannot connect keeps retrying), and the staleness sweep. */
  start(): void;
  stop(): Promise<void>;
}

/** Whether venue `v` of the configuration lists `symbol`. */
export function venueLists(config: Config, instruments: InstrumentRegistry): (venue: number, symbol: number) => boolean {
  const listed = config.venues.map((v) => new Set(v.symbols.map((s) => instruments.get(s)!.index)));
  return (venue, symbol) => listed[venue]?.has(symbol) === true;
}

export function marketFromConfig(config: Config, p: MarketParts): ConfiguredMarket {
  const { instruments, clock, log } = p;
  const market = new MarketData(instruments, config.venues.map((v) => v.name), config.venues.map((v) => v.fees.takerBps), clock, {
    depth: config.daemon.marketData.depth,
    staleMs: config.daemon.marketData.staleMs,
  });
  market.listen(marksFromMarket(p.risk));
  const feeds: MarketFeed[] = [];
  config.venues.forEach((v, venue) => {
    if (v.adapter === 'paper' || !v.marketData.enabled) return;
    const listed = v.symbols.map((s) => instruments.get(s)!);
    feeds.push(createMarketFeed(v, listed, { venue, sink: market, depth: market.depth, clock, log: log.child({ venue: v.name, feed: 'market' }) }));
  });
  const lists = venueLists(config, instruments);
  const routing = config.daemon.routing;
  const adaptive = routing.mode === 'adaptive' ? new AdaptiveRouting(p.router, market, { bandBps: routing.adaptiveBandBps }) : undefined;
  return {
    market,
    feeds,
    adaptive,
    view: (s) => bookView(market, instruments.at(s), (v) => lists(v, s)),
    registerMetrics: (metrics) => registerMarketMetrics(metrics.registry, market, lists),
    start() {
      for (const f of feeds) f.start().catch((err: unknown) => log.warn({ venue: f.venue, err }, 'market data feed did not start; it keeps retrying'));
      market.start();
      adaptive?.start(routing.adaptiveIntervalMs);
    },
    async stop() {
      adaptive?.stop();
      await Promise.allSettled(feeds.map((f) => f.stop()));
      market.stop();
    },
  };
}
