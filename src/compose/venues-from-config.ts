/**
 * The venue adapters a configuration describes: a paper venue in process (publishing its book to the daemon's market
 * data, or mirroring another venue's book from it), a real venue whose start is retried (RestartingVenue) until it
 * is up and reconciled, or — for a `trading: false` venue, public market data only — a placeholder that takes no
 * orders (so venue indexes stay those of the configuration). Composition, like daemon.ts: the one place outside it
 * that names concrete adapters.
 */
import { PaperVenue } from '../../adapters/paper/paper-venue.js';
import { createVenueAdapter, settingsFor } from '../../adapters/index.js';
import type { MarketDataOnly } from '../api/venue-health.js';
import type { Config, VenueConfig } from '../config/index.js';
import type { CancelRequest, OrderBatch, ReportSink, VenueAdapter } from '../execution/venue.js';
import { RestartingVenue } from '../execution/venue-supervisor.js';
import type { MarketData } from '../market/market-data.js';
import type { Clock } from '../model/clock.js';
import { SwitchyardError } from '../model/errors.js';
import type { OrderId } from '../model/ids.js';
import type { Instrument, InstrumentRegistry } from '../model/instrument.js';
import type { Logger } from '../telemetry/logger.js';

export interface VenueParts {
  readonly config: Config;
  readonly instruments: InstrumentRegistry;
  readonly reports: ReportSink;
  readonly clock: Clock;
  readonly env: NodeJS.ProcessEnv;
  readonly log: Logger;
  /** A real venue that came up after the daemon's start: reconcile and open it (false: not now). */
  readonly lateVenueReady: (venue: number) => Promise<boolean>;
  /**
   * The daemon's market data (venue index = position in config.venues): paper venues publish their book to it, and
   * a paper venue with `paper.mirror` trades against the mirrored venue's book in it. Without it, paper venues
   * publish nothing and a mirroring one cannot be built.
   */
  readonly market?: MarketData;
}

/** Why a market-data-only venue takes no orders (the gate's reason, and its rejections'). */
export const MARKET_DATA_ONLY = 'market data only (trading: false)';

/**
 * The adapter of a `trading: false` venue: public market data only. It holds the venue's place in the venue list
 * (indexes stay the configuration's) and takes no orders: the router never routes there (weight 0), an order pinned
 * to it is refused at intake, its gate stays closed — and should an order reach it anyway, it is REJECTED
 * VENUE_UNAVAILABLE. Start and stop do nothing (its market-data feed is the market data's business).
 */
export class MarketDataOnlyVenue implements VenueAdapter, MarketDataOnly {
  readonly marketDataOnly = true as const;

  constructor(
    readonly name: string,
    private readonly sink: ReportSink,
  ) {}

  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  submit(batch: OrderBatch): void {
    const ids: OrderId[] = [];
    for (let i = 0; i < batch.count; i++) ids.push(batch.orderId(i));
    // reported after submit returns, as a venue answers
    queueMicrotask(() => {
      for (const orderId of ids) this.sink.report(this.name, { kind: 'REJECTED', orderId, reason: `VENUE_UNAVAILABLE: ${MARKET_DATA_ONLY}` });
    });
  }

  cancel(request: CancelRequest): void {
    queueMicrotask(() => this.sink.report(this.name, { kind: 'CANCEL_REJECTED', orderId: request.orderId, reason: `VENUE_UNAVAILABLE: ${MARKET_DATA_ONLY}` }));
  }
}

export function buildVenue(v: VenueConfig, parts: VenueParts): VenueAdapter {
  const { config, instruments, reports, clock, env, log } = parts;
  if (!v.trading) return new MarketDataOnlyVenue(v.name, reports);
  if (v.adapter !== 'paper') {
    const listed = v.symbols.map((symbol) => instruments.get(symbol)!);
    const index = config.venues.indexOf(v);
    // A venue that does not start (connection refused, 5xx, timeout) does not stop the daemon: it stays closed,
    // its start is retried with the venue's reconnect backoff, and it opens once up and reconciled.
    return new RestartingVenue(v.name, (sink) => createVenueAdapter(v, listed, sink, { log: log.child({ venue: v.name }), env, clock }), {
      retry: settingsFor(v).reconnect,
      sink: reports,
      log,
      now: () => clock.now(),
      ready: () => parts.lateVenueReady(index),
    });
  }
  const paper = v.paper!;
  const market = parts.market;
  const index = config.venues.indexOf(v);
  const mirrored = paper.mirror === undefined ? -1 : config.venues.findIndex((m) => m.name === paper.mirror);
  if (paper.mirror !== undefined && (market === undefined || mirrored < 0)) {
    throw new SwitchyardError('CONFIG_INVALID', `venue ${v.name}: paper.mirror ${paper.mirror} needs that venue's market data`);
  }
  const markets = v.symbols.map((symbol) => {
    const ins: Instrument = instruments.get(symbol)!;
    const cfg = config.instruments.find((i) => i.symbol === symbol)!;
    if (paper.mirror !== undefined) return { instrument: ins, startMidTicks: 0 }; // the mirrored market sets the prices
    if (cfg.referencePrice === undefined) {
      throw new SwitchyardError('CONFIG_INVALID', `venue ${v.name}: paper venues need instruments[${symbol}].referencePrice`);
    }
    const r = ins.priceToTicks(cfg.referencePrice);
    if (!r.ok) throw new SwitchyardError('CONFIG_INVALID', `${symbol}: referencePrice ${cfg.referencePrice} is not on the tick grid`);
    return { instrument: ins, startMidTicks: r.value };
  });
  return new PaperVenue(
    {
      name: v.name,
      markets,
      makerBps: v.fees.makerBps,
      takerBps: v.fees.takerBps,
      latencyMs: v.latencyMs,
      seed: paper.seed,
      spreadTicks: paper.spreadTicks,
      volatilityTicks: paper.volatilityTicks,
      depthLevels: paper.depthLevels,
      levelNotional: Number(paper.levelNotional),
      tradesPerSecond: paper.tradesPerSecond,
      stepMs: paper.stepMs,
      now: () => clock.now(),
      // its own book is public, as a real venue's (a mirroring one has none of its own: see adapters/paper/mirror.ts)
      marketData: market !== undefined && paper.mirror === undefined && v.marketData.enabled
        ? { sink: market, venue: index, depth: market.book(index, 0).bids.capacity, aliveMs: Math.max(25, Math.min(1000, Math.floor(market.staleMs / 4))) }
        : undefined,
      mirror: market !== undefined && paper.mirror !== undefined ? { market, venue: mirrored, name: paper.mirror } : undefined,
    },
    reports,
  );
}
