/**
 * The venue adapters a configuration describes: a paper venue in process, or a real venue whose start is retried
 * (RestartingVenue) until it is up and reconciled. Composition, like daemon.ts: the one place outside it that
 * names concrete adapters.
 */
import { PaperVenue } from '../../adapters/paper/paper-venue.js';
import { createVenueAdapter, settingsFor } from '../../adapters/index.js';
import type { Config, VenueConfig } from '../config/index.js';
import type { ReportSink, VenueAdapter } from '../execution/venue.js';
import { RestartingVenue } from '../execution/venue-supervisor.js';
import type { Clock } from '../model/clock.js';
import { SwitchyardError } from '../model/errors.js';
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
}

export function buildVenue(v: VenueConfig, parts: VenueParts): VenueAdapter {
  const { config, instruments, reports, clock, env, log } = parts;
  if (v.adapter !== 'paper') {
    const listed = v.symbols.map((symbol) => instruments.get(symbol)!);
    const index = config.venues.indexOf(v);
    // A venue that does not start (connection refused, 5xx, timeout) does not stop the daemon: it stays closed,
    // its start is retried with the venue's reconnect backoff, and it opens once up and reconciled.
    return new RestartingVenue(v.name, () => createVenueAdapter(v, listed, reports, { log: log.child({ venue: v.name }), env, clock }), {
      retry: settingsFor(v).reconnect,
      sink: reports,
      log,
      now: () => clock.now(),
      ready: () => parts.lateVenueReady(index),
    });
  }
  const markets = v.symbols.map((symbol) => {
    const ins: Instrument = instruments.get(symbol)!;
    const cfg = config.instruments.find((i) => i.symbol === symbol)!;
    if (cfg.referencePrice === undefined) {
      throw new SwitchyardError('CONFIG_INVALID', `venue ${v.name}: paper venues need instruments[${symbol}].referencePrice`);
    }
    const r = ins.priceToTicks(cfg.referencePrice);
    if (!r.ok) throw new SwitchyardError('CONFIG_INVALID', `${symbol}: referencePrice ${cfg.referencePrice} is not on the tick grid`);
    return { instrument: ins, startMidTicks: r.value };
  });
  const paper = v.paper!;
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
    },
    reports,
  );
}
