/**
 * Strategies that run in the daemon (a `module` in their configuration): a StrategyHost of worker threads whose
 * rings the order path drains (see order-path.ts `rings`), and whose market channels a MarketPublisher listening to
 * the daemon's MarketData fills (top of book and trades of each strategy's symbols). Composition, like daemon.ts.
 */
import { resolve } from 'node:path';
import type { Config } from '../config/index.js';
import type { StrategySnapshot } from '../intake/ring/transport.js';
import type { MarketData } from '../market/market-data.js';
import { StrategyHost } from '../strategy/strategy-host.js';
import type { Logger } from '../telemetry/logger.js';
import { MarketPublisher } from './market-publisher.js';

export interface HostedStrategyParts {
  readonly config: Config;
  /** Where the strategies' compile cache goes (under daemon.dataDir). */
  readonly baseDir: string;
  /** Folder strategy module paths are relative to. */
  readonly configDir: string;
  /**
   * Open orders of a strategy and how far the daemon had read its order ring, for its SDK's RESYNC (the order path's
   * ringSnapshot, taken on the thread that reads the rings).
   */
  readonly snapshot: (strategyId: string) => StrategySnapshot;
  /**
   * The seq a strategy's first worker starts at (the order path's ringFirstSeq, asked as the workers start, after
   * recovery): above every seq of its orders the daemon holds, those the journal gave back included.
   */
  readonly firstSeq: (strategyId: string) => number;
  readonly log: Logger;
  /** The daemon's market data: the strategies receive the top of book and trades of their symbols from it. */
  readonly market?: MarketData;
}

/** The host of the configured worker strategies; undefined when no strategy is hosted. */
export function hostStrategies(p: HostedStrategyParts): StrategyHost | undefined {
  const { config } = p;
  const hosted = config.strategies.filter((st) => st.module !== undefined);
  if (hosted.length === 0) return undefined;
  const host = new StrategyHost({
    strategies: hosted.map((st) => ({ id: st.id, module: st.module!, symbols: st.symbols, params: st.params })),
    instruments: config.instruments,
    venues: config.venues.map((v) => v.name),
    cacheDir: resolve(p.baseDir, config.daemon.dataDir, 'strategies-cache'),
    baseDir: p.configDir,
    snapshot: p.snapshot,
    firstSeq: p.firstSeq,
    log: p.log,
    // the heartbeat watch runs on the real monotonic clock (its default), never the daemon's: the workers' heartbeats
    // tick in real time, and a daemon on a manual clock (tests, replay) moves its time in steps
    hangMs: config.daemon.workers.hangMs,
    // a worker that fails while running: restarted within daemon.workers.restart (default: never)
    restart: config.daemon.workers.restart,
    onExit: (id, error) => {
      if (error !== undefined) p.log.error({ strategy: id, err: error }, 'strategy worker stopped with an error');
    },
  });
  p.market?.listen(new MarketPublisher(p.market, host.strategies.map((s) => s.market)));
  return host;
}
