/**
 * The trade history as the configuration sets it up (`daemon.history`, see src/history): the store (PostgreSQL or
 * the local files), the writer on a thread of its own fed the journal's durable batches (history-thread.ts), the
 * journal's retention floor, GET /v1/fills, the health fields and the metrics. None without the journal (the
 * history is fed from it) or with `enabled: false`.
 */
import { resolve } from 'node:path';
import { Gauge, type Registry } from 'prom-client';
import type { Config } from '../config/index.js';
import type { Journal } from '../journal/journal.js';
import type { FollowerLog } from '../journal/journal-follower.js';
import type { OrderStore } from '../core/order-store.js';
import { fillsQuery, type Reply } from '../history/fills-query.js';
import type { HistoryStore } from '../history/history-store.js';
import { HistoryThread } from './history-thread.js';
import type { HistoryStatus } from '../history/history-writer.js';
import { historyStoreFromConfig } from '../history/store-from-config.js';

/** The daemon's history: started after journal recovery, stopped after the journal closed. */
export interface DaemonHistory {
  /** The store as GET /v1/fills reads it (the history thread writes it). */
  readonly store: HistoryStore;
  /** The journal's retention floor (pass to the journal before its first snapshot). */
  readonly retentionFloor: () => number;
  /** Begin: the journal is open and recovered. Resolves once the history thread is started. */
  start(journal: Journal): Promise<void>;
  /** Write what is buffered (bounded), close the store. */
  stop(): Promise<void>;
  /** GET /health's `history` field. */
  status(): HistoryStatus;
  /** GET /v1/fills: the request's query parameters to the answer (status and JSON body); never throws. */
  fills(params: URLSearchParams): Promise<Reply>;
}

export interface HistoryParts {
  /** The daemon's order store: the history thread's copy of the orders is made like it. */
  readonly orders: OrderStore;
  readonly log: FollowerLog;
  readonly baseDir: string;
  /** Where the history gauges go (the order path's metrics registry). */
  readonly registry?: Registry;
}

export function historyFromConfig(config: Config, p: HistoryParts): DaemonHistory | undefined {
  const h = config.daemon.history;
  if (!h.enabled || !config.daemon.journal.enabled) return undefined;
  const history = { ...h, file: { ...h.file, path: resolve(p.baseDir, h.file.path!) } };
  const store = historyStoreFromConfig(history, p.baseDir);
  const thread = new HistoryThread({
    journalDir: resolve(p.baseDir, config.daemon.journal.dir), history, baseDir: p.baseDir, instruments: config.instruments,
    strategyIds: p.orders.strategyIds, venueNames: p.orders.venueNames, clientIdPrefix: p.orders.clientIdPrefix,
    retainFinished: config.daemon.retainFinishedOrders, log: p.log, cacheDir: resolve(p.baseDir, config.daemon.dataDir, 'strategies-cache'),
  });
  if (p.registry !== undefined) registerHistoryMetrics(p.registry, () => thread.status());
  return {
    store,
    retentionFloor: thread.retentionFloor,
    start: (journal) => thread.start(journal),
    stop: async () => {
      await thread.stop();
      await store.close().catch(() => undefined);
    },
    status: () => thread.status(),
    fills: (params) => fillsQuery(store, params, { pageSizeMax: h.pageSizeMax }),
  };
}

/** switchyard_history_up, switchyard_history_lag_records, switchyard_history_lag_seconds, read at scrape time. */
export function registerHistoryMetrics(registry: Registry, status: () => HistoryStatus): void {
  new Gauge({
    name: 'switchyard_history_up', help: '1 while the trade history store takes writes (0: down, the journal keeps its records)', registers: [registry],
    collect() {
      this.set(status().up ? 1 : 0);
    },
  });
  new Gauge({
    name: 'switchyard_history_lag_records', help: 'Journal records after the history watermark (the journal keeps their segments)', registers: [registry],
    collect() {
      this.set(status().lagRecords);
    },
  });
  new Gauge({
    name: 'switchyard_history_lag_seconds', help: 'How long the trade history has been behind the journal', registers: [registry],
    collect() {
      this.set(status().lagSeconds);
    },
  });
}
