/** The control API over the daemon's order path, as the configuration sets it up (HTTP, WebSocket, event stream, health). */
import { resolve } from 'node:path';
import { BearerAuth } from '../api/auth.js';
import { journalStream } from '../api/event-stream.js';
import { ApiServer } from '../api/http-server.js';
import { venueHealth, venueMetrics } from '../api/venue-health.js';
import type { Config } from '../config/index.js';
import { journalHealth } from '../journal/journal-health.js';
import type { Clock } from '../model/clock.js';
import type { InstrumentRegistry } from '../model/instrument.js';
import type { Router } from '../routing/router.js';
import type { Logger } from '../telemetry/logger.js';
import type { BookView } from '../market/book-view.js';
import type { OrderPath } from './order-path.js';

export interface ApiParts {
  readonly path: OrderPath;
  readonly instruments: InstrumentRegistry;
  readonly router: Router;
  readonly clock: Clock;
  readonly log: Logger;
  readonly token: string;
  /** Directory relative journal paths are resolved against. */
  readonly baseDir: string;
  readonly reload: () => { ok: boolean; errors: string[] };
  /** When the journal failed (0: it has not). */
  readonly journalFailedAt: () => number;
  /** GET /v1/books/:symbol. */
  readonly books: (symbolIndex: number) => BookView;
}

export function apiFromConfig(config: Config, p: ApiParts): ApiServer {
  const { tracker, metrics, dispatcher, intake, recorder, fees, venues, gate, store } = p.path;
  const { clock } = p;
  // per-order fees and switchyard_slippage_bps (once per tracker: the order path may have registered it already);
  // made here, before start() replays the journal, so that the replay rebuilds the per-order fees
  const startedAt = clock.now();
  const api: ApiServer = new ApiServer({
    intake, tracker, metrics, instruments: p.instruments, router: p.router, log: p.log,
    fees: () => fees.list(),
    auth: new BearerAuth(p.token),
    reload: p.reload,
    books: p.books,
    children: (id) => {
      const slot = store.slotOf(id);
      return slot < 0 || p.path.parents === undefined ? [] : p.path.parents.children(slot).map((c) => tracker.get(c)!).filter((c) => c !== undefined);
    },
    durable: () => recorder?.durable() ?? Promise.resolve(),
    stream: {
      maxBufferedBytes: config.daemon.api.streamMaxBufferedBytes,
      strategies: config.strategies.map((s) => s.id),
      // Event seqs are journal seqs; without a journal, the tracker's (they restart with the daemon).
      journal: recorder === undefined ? undefined
        : journalStream(recorder, resolve(p.baseDir, config.daemon.journal.dir), store, config.daemon.retainFinishedOrders),
    },
    health: () => ({
      name: config.daemon.name,
      uptimeMs: clock.now() - startedAt,
      openOrders: tracker.open,
      ...venueHealth(venues, dispatcher.available, gate, clock.now()),
      ...journalHealth(recorder, p.journalFailedAt()),
      stream: api.stream.stats,
    }),
  });
  metrics.setVenueSource(() => venueMetrics(venues, dispatcher.available));
  return api;
}
