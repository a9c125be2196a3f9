/** The history store the configuration names (`daemon.history`), not opened: the daemon and the export CLI use it. */
import { resolve } from 'node:path';
import type { HistoryConfig } from '../config/schema.js';
import { FileHistoryStore } from './file-store.js';
import type { HistoryStore } from './history-store.js';
import { PgHistoryStore } from './pg-store.js';

/** `baseDir`: what a relative file path is resolved against (the daemon's base directory, the CLI's cwd). */
export function historyStoreFromConfig(h: HistoryConfig, baseDir: string): HistoryStore {
  if (h.store === 'postgres') {
    const p = h.postgres!;
    return new PgHistoryStore({
      ...(p.url === undefined ? {} : { url: p.url }),
      ...(p.host === undefined ? {} : { host: p.host }),
      ...(p.port === undefined ? {} : { port: p.port }),
      ...(p.database === undefined ? {} : { database: p.database }),
      ...(p.user === undefined ? {} : { user: p.user }),
      ...(p.password === undefined ? {} : { password: p.password }),
      tablePrefix: p.tablePrefix, connectTimeoutMs: p.connectTimeoutMs, queryTimeoutMs: p.queryTimeoutMs,
    });
  }
  return new FileHistoryStore(resolve(baseDir, h.file.path!), { segmentBytes: h.file.segmentBytes });
}
