/**
 * An in-process paper daemon for the Redis bus tests (test/daemon/order-enhancer, redis-events): like
 * startTestDaemon (config/paper.yaml, API-only strategies, logs discarded, API on 127.0.0.1) but its data directory
 * outlives stop() until `remove()`, so a test can read the journal the daemon wrote once it stopped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDaemon, type Daemon } from '../../src/daemon.js';
import { readJournal } from '../../src/journal/index.js';
import { REC_EVENT } from '../../src/journal/order-records.js';
import { discardLogs, TEST_TOKEN } from './daemon.js';
import { ApiClient } from './http.js';
import { configFromText, paperConfigText, type YamlEdit } from './repo.js';

export interface BusTestDaemon {
  readonly daemon: Daemon;
  readonly api: ApiClient;
  readonly port: number;
  readonly dir: string;
  /** `<dir>/journal`. */
  readonly journalDir: string;
  /** Stops the daemon (idempotent). */
  stop(): Promise<void>;
  /** Stops it and removes its directory. */
  remove(): Promise<void>;
}

export async function startBusDaemon(edits: readonly YamlEdit[], env: Record<string, string> = {}): Promise<BusTestDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bus-'));
  const config = configFromText(paperConfigText([
    [['daemon', 'api', 'host'], '127.0.0.1'],
    [['daemon', 'api', 'port'], 0],
    [['daemon', 'dataDir'], dir],
    [['daemon', 'api', 'tokenFile'], join(dir, 'api-token')],
    ...edits,
  ], { workers: false }));
  const daemon = createDaemon(config, { env: { SWITCHYARD_API_TOKEN: TEST_TOKEN, ...env }, logDestination: discardLogs(), baseDir: dir });
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopped ??= daemon.stop('test finished'));
  let port: number;
  try {
    port = (await daemon.start()).port;
  } catch (err) {
    await stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    daemon, port, dir, journalDir: join(dir, 'journal'),
    api: new ApiClient(`http://127.0.0.1:${port}`, TEST_TOKEN),
    stop,
    remove: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The EVENT records of a journal directory whose `event` is `name`, parsed, in journal order (with their seq). */
export function journalEvents(dir: string, name: string): Array<Record<string, unknown> & { seq: number }> {
  const out: Array<Record<string, unknown> & { seq: number }> = [];
  readJournal(dir, {}, (r) => {
    if (r.type !== REC_EVENT) return;
    const e = JSON.parse(Buffer.from(r.payload()).toString()) as Record<string, unknown>;
    if (e.event === name) out.push({ ...e, seq: r.seq });
  });
  return out;
}
