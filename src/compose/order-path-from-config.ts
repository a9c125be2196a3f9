/** The daemon's order path as its configuration describes it (compose/order-path.ts builds it). */
import type { Config } from '../config/index.js';
import type { RingEndpoint } from '../intake/ring/transport.js';
import type { Clock } from '../model/clock.js';
import { clientIdPrefix } from '../model/client-id-prefix.js';
import type { InstrumentRegistry } from '../model/instrument.js';
import type { MarketData } from '../market/market-data.js';
import type { PreTradeRisk } from '../risk/pre-trade-risk.js';
import type { DailyLossLimits } from '../risk/daily-loss.js';
import type { Router } from '../routing/router.js';
import type { Logger } from '../telemetry/logger.js';
import { internalCrossingFor } from './crossing-from-config.js';
import { ROUTE_CODE } from '../core/order-store.js';
import { buildOrderPath, type OrderPath } from './order-path.js';
import { buildVenue, MARKET_DATA_ONLY } from './venues-from-config.js';

export interface ConfiguredPathParts {
  readonly instruments: InstrumentRegistry;
  readonly risk: PreTradeRisk;
  readonly router: Router;
  readonly clock: Clock;
  readonly log: Logger;
  readonly env: NodeJS.ProcessEnv;
  /** A venue that came up after the start: resolves once it may open (reconciled), false to stay closed. */
  readonly lateVenueReady: (venue: number) => Promise<boolean>;
  /** Rings of the hosted worker strategies. */
  readonly rings: readonly RingEndpoint[] | undefined;
  /** The configuration in force (reloads change venue fees). */
  readonly current: () => Config;
  /** The daemon's market data: paper venues publish their book to it, or mirror another venue's from it. */
  readonly market?: MarketData;
}

export function orderPathFromConfig(config: Config, p: ConfiguredPathParts): OrderPath {
  const { instruments, clock, log, router, env } = p;
  const path = buildOrderPath({
    instruments, risk: p.risk, router, clock, log,
    strategies: config.strategies,
    venues: config.venues.map((v) => v.name),
    venue: (i, reports) => buildVenue(config.venues[i]!, { config, instruments, reports, clock, env, log, lateVenueReady: p.lateVenueReady, market: p.market }),
    batch: config.venues.map((v) => v.batch),
    queueCapacity: config.daemon.queue.capacity,
    retainFinished: config.daemon.retainFinishedOrders,
    clientIdPrefix: clientIdPrefix(config.daemon.clientIdPrefix, clock.now()),
    journal: config.daemon.journal.enabled,
    crossing: config.strategies.some((st) => st.crossing.enabled)
      ? (parts) => internalCrossingFor(config, { ...parts, instruments, clock, router, venueTakerBps: (v) => p.current().venues[v]!.fees.takerBps })
      : undefined,
    rings: p.rings,
    market: p.market,
    // a paper venue's configured balances (absent: not tracked); exchange venues' are read from the venue
    balances: (i) => config.venues[i]!.paper?.balances,
    selfTrade: config.risk.selfTrade,
    dailyLoss: dailyLossLimits(config),
    onVenueHealth: (venue, health, reason) => log.warn({ venue, health, reason }, 'venue health changed'),
    // A throwing listener is a bug: logged on its 1st, 2nd, 4th, 8th... error (a listener that throws on every
    // update must not flood the log), counted in switchyard_listener_errors_total.
    onListenerError: (listener, err, orderId, count) => {
      if ((count & (count - 1)) === 0) log.error({ listener, err, orderId, count }, 'order tracker listener threw (isolated)');
    },
  });
  path.intake.setRoutes(strategyRoutes(config, instruments));
  // a market-data-only venue (trading: false) is never open to orders; nothing opens it later (it is no RestartingVenue)
  config.venues.forEach((v, i) => {
    if (!v.trading) path.gate.setOpen(i, false, MARKET_DATA_ONLY);
  });
  return path;
}

/** The daily loss limits of a configuration (also adopted by a reload). */
export function dailyLossLimits(config: Config): DailyLossLimits {
  return { strategies: config.strategies.map((s) => s.limits.maxDailyLoss), daemon: config.risk.maxDailyLoss, action: config.risk.dailyLossAction };
}

/** Each strategy's route per symbol, at [strategy * symbols + symbol]: its `routes` entry, else its `route`. */
export function strategyRoutes(config: Config, instruments: InstrumentRegistry): Uint8Array {
  const symbols = instruments.list.length;
  const out = new Uint8Array(config.strategies.length * symbols);
  config.strategies.forEach((st, i) => {
    for (let s = 0; s < symbols; s++) out[i * symbols + s] = ROUTE_CODE[st.routes[instruments.at(s).symbol] ?? st.route];
  });
  return out;
}
