/**
 * The daemon process of bench:soak (bench/soak.ts forks it with --expose-gc and an IPC channel): the real daemon
 * (createDaemon, as `switchyard start` builds it) from a configuration file — config/paper.yaml, its two worker
 * strategies and two paper venues — with only what a benchmark must change: a free port, a token, a fresh data
 * directory, logs to a file, and the finished-order retention. It measures itself, because only this process can:
 * on each `sample` message it runs a full GC and answers process.memoryUsage(), the orders created so far, the
 * sizes of the tracker's per-order structures and the newest journal snapshot on disk.
 *
 *   argv[2]: JSON SoakDaemonSettings
 */
import { createWriteStream, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadConfigFile, type Config } from '../../src/config/index.js';
import { createDaemon } from '../../src/daemon.js';
import { parseSnapshotName } from '../../src/journal/format.js';

export interface SoakDaemonSettings {
  readonly configFile: string;
  readonly dataDir: string;
  readonly token: string;
  /** daemon.retainFinishedOrders for this run. */
  readonly retainFinishedOrders: number;
}

export type SoakParentMessage = { type: 'sample' } | { type: 'stop' };

export type SoakDaemonMessage =
  | { type: 'ready'; port: number }
  | { type: 'failed'; message: string }
  | {
    type: 'sample';
    rss: number;
    heapUsed: number;
    /** Orders the daemon created since it started (API clients and worker strategies). */
    orders: number;
    /** Orders the tracker holds (open and retained finished), and how many are open. */
    held: number;
    open: number;
    /** Seq of the newest journal snapshot on disk, 0 before the first. */
    snapshotSeq: number;
  }
  | { type: 'stopped' };

function send(m: SoakDaemonMessage): void {
  process.send?.(m);
}

/** The newest snapshot file's seq in the journal directory (0: none yet). */
function newestSnapshot(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) newest = Math.max(newest, parseSnapshotName(name));
  return newest;
}

function fullGc(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('the soak daemon needs node --expose-gc');
  gc();
  gc();
}

async function main(): Promise<void> {
  const settings = JSON.parse(process.argv[2] ?? '{}') as SoakDaemonSettings;
  const loaded = loadConfigFile(settings.configFile);
  if (!loaded.ok) throw new Error(`config: ${loaded.errors.map((e) => e.message).join('; ')}`);
  const c = loaded.config;
  const journalDir = join(settings.dataDir, 'journal');
  const config: Config = {
    ...c,
    daemon: {
      ...c.daemon,
      api: { ...c.daemon.api, port: 0, token: settings.token, tokenFile: join(settings.dataDir, 'api-token') },
      dataDir: settings.dataDir,
      journal: { ...c.daemon.journal, dir: journalDir },
      retainFinishedOrders: settings.retainFinishedOrders,
    },
  };
  const log = createWriteStream(join(settings.dataDir, 'daemon.log'));
  const daemon = createDaemon(config, {
    configDir: dirname(loaded.file),
    configFile: loaded.file,
    baseDir: settings.dataDir,
    logDestination: log,
  });
  let orders = 0;
  daemon.path.tracker.listen({ onCreate: () => void orders++ });
  const { port } = await daemon.start();
  process.on('message', (m: SoakParentMessage) => {
    if (m.type === 'sample') {
      fullGc();
      const mem = process.memoryUsage();
      const sizes = daemon.path.tracker.structureSizes();
      send({ type: 'sample', rss: mem.rss, heapUsed: mem.heapUsed, orders, held: sizes.held, open: sizes.open, snapshotSeq: newestSnapshot(journalDir) });
    } else if (m.type === 'stop') {
      void daemon.stop('soak finished').then(() => {
        send({ type: 'stopped' });
        log.end();
        process.disconnect?.();
      });
    }
  });
  send({ type: 'ready', port });
}

main().catch((err: unknown) => {
  send({ type: 'failed', message: err instanceof Error ? err.stack ?? err.message : String(err) });
  process.exitCode = 1;
  process.disconnect?.();
});
