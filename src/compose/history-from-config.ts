/**
 * The trade history as the configuration sets it up (`daemon.history`, see src/history): the store (PostgreSQL or
 * the local files), the writer fed by the journal recorder, the journal's retention floor, GET /v1/fills, the
 * health fields and the metrics. None without the journal (the history is fed from it) or with `enabled: false`.
 */
import { resolve } from 'node:path';
import { Gauge, type Registry } from 'prom-client';
import type { Config } from '../config/index.js';
import type { Journal } from '../journal/journal.js';
import type { JournalRecorder } from '../journal/journal-recorder.js';
import type { Clock } from '../model/clock.js';
import type { OrderStore } from '../core/order-store.js';
import { fillsQuery, type Reply } from '../history/fills-query.js';
import type { HistoryStore } from '../history/history-store.js';
import { HistoryWriter, type HistoryStatus, type HistoryWriterOptions } from '../history/history-writer.js';
import { historyStoreFromConfig } from '../history/store-from-config.js';

/** The daemon's history: started after journal recovery, stopped after the journal closed. */
export interface DaemonHistory {
  readonly store: HistoryStore;
  readonly writer: HistoryWriter;
  /** The journal's retention floor (pass to the journal before its first snapshot). */
  readonly retentionFloor: () => number;
  /** Begin: the journal is open and recovered. */
  start(journal: Journal): void;
  /** Write what is buffered (bounded), close the store. */
  stop(): Promise<void>;
  /** GET /health's `history` field. */
  status(): HistoryStatus;
  /** GET /v1/fills: the request's query parameters to the answer (status and JSON body); never throws. */
  fills(params: URLSearchParams): Promise<Reply>;
}

export interface HistoryParts {
  readonly recorder: JournalRecorder | undefined;
  readonly orders: OrderStore;
  readonly clock: Clock;
  readonly log: HistoryWriterOptions['log'];
  readonly baseDir: string;
  /** Where the history gauges go (the order path's metrics registry). */
  readonly registry?: Registry;
  /** Tests: a store of their own instead of the configured one; writer tuning. */
  readonly store?: HistoryStore;
  readonly writer?: Partial<Pick<HistoryWriterOptions, 'flushMs' | 'retryMs' | 'maxRetryMs' | 'markEveryMs'>>;
}

export function historyFromConfig(config: Config, p: HistoryParts): DaemonHistory | undefined {
  const h = config.daemon.history;
  if (!h.enabled || !config.daemon.journal.enabled || p.recorder === undefined) return undefined;
  const store = p.store ?? historyStoreFromConfig(h, p.baseDir);
  const writer = new HistoryWriter({
    store, orders: p.orders, retainFinished: config.daemon.retainFinishedOrders, clock: p.clock, log: p.log,
    bufferRows: h.bufferRows, batchRows: h.batchRows, ...p.writer,
  });
  p.recorder.addRecordedListener(writer.onRecorded);
  const journalDir = resolve(p.baseDir, config.daemon.journal.dir);
  const recorder = p.recorder;
  if (p.registry !== undefined) registerHistoryMetrics(p.registry, () => writer.status());
  return {
    store, writer,
    retentionFloor: writer.retentionFloor,
    start: (journal) => writer.start({
      dir: journalDir,
      lastSeq: () => journal.lastSeq,
      durableSeq: () => journal.durableSeq,
      whenDurable: (seq) => recorder.whenDurable(seq),
    }),
    stop: () => writer.stop(),
    status: () => writer.status(),
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
