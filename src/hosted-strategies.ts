/**
 * Strategies that run in the daemon (a `module` in their configuration): a StrategyHost of workers and the ring
 * intake that drains their order rings into the dispatcher. Composition, like daemon.ts.
 */
import { resolve } from 'node:path';
import type { Config } from './config/index.js';
import type { OrderTracker } from './execution/order-tracker.js';
import type { Dispatcher } from './intake/dispatcher.js';
import type { OrderIntake } from './intake/order-intake.js';
import { RingIntake } from './intake/ring-intake.js';
import type { StrategyQueues } from './intake/strategy-queues.js';
import type { Clock } from './model/clock.js';
import type { InstrumentRegistry } from './model/instrument.js';
import type { Router } from './routing/router.js';
import { StrategyHost } from './strategy/strategy-host.js';
import type { Logger } from './telemetry/logger.js';

export interface HostedStrategyParts {
  readonly config: Config;
  /** Where the strategies' compile cache goes (under daemon.dataDir). */
  readonly baseDir: string;
  /** Folder strategy module paths are relative to. */
  readonly configDir: string;
  readonly intake: OrderIntake;
  readonly tracker: OrderTracker;
  readonly queues: StrategyQueues;
  readonly router: Router;
  readonly instruments: InstrumentRegistry;
  readonly dispatcher: Dispatcher;
  readonly clock: Clock;
  readonly log: Logger;
}

/** The host and its ring intake, plugged into the dispatcher and the tracker; undefined when no strategy is hosted. */
export function hostStrategies(p: HostedStrategyParts): { host: StrategyHost; ringIntake: RingIntake } | undefined {
  const { config, intake } = p;
  const hosted = config.strategies.filter((st) => st.module !== undefined);
  if (hosted.length === 0) return undefined;
  let ringIntake: RingIntake | undefined;
  const host = new StrategyHost({
    strategies: hosted.map((st) => ({ id: st.id, module: st.module!, symbols: st.symbols, params: st.params })),
    instruments: config.instruments,
    venues: config.venues.map((v) => v.name),
    cacheDir: resolve(p.baseDir, config.daemon.dataDir, 'strategies-cache'),
    baseDir: p.configDir,
    snapshot: (id) => ringIntake?.snapshot(id, intake.strategyOf(id)) ?? [],
    log: p.log,
    onExit: (id, error) => {
      if (error !== undefined) p.log.error({ strategy: id, err: error }, 'strategy worker stopped with an error');
    },
  });
  ringIntake = new RingIntake(
    host.strategies, (id) => intake.strategyOf(id), config.strategies.length,
    intake, p.tracker, p.queues, p.router, p.instruments.list.length, p.clock,
  );
  p.dispatcher.addSource(ringIntake);
  p.tracker.listen(ringIntake, 'ring-intake');
  return { host, ringIntake };
}
