/**
 * The daemon of a bench:load run: the real process (`node dist/src/cli.js start -c FILE`, as `npm start` runs it)
 * on a copy of config/paper.yaml with only what a load run must change — a temporary data directory, a free port, a
 * token from the environment, logs at warn, the journal on or off, the venues' simulated latency 0 (the figures are
 * the daemon's, not a simulated delay), balances untracked and the daemon-wide open-order limit raised (orders in
 * flight count as open), and the strategies of the run instead of the shipped ones. Ready once it prints that it
 * listens (and, with Redis, once it wrote its config key). Every daemon started here is SIGKILLed if this process
 * exits before stopping it. It runs with the daemon's node flags (daemon-node-flags.ts); BENCH_DAEMON_NODE_ARGS: more
 * node flags for the daemon (e.g. --cpu-prof --cpu-prof-dir=DIR);
 * BENCH_DAEMON_SET: config overrides, a JSON object of dotted paths (e.g. '{"daemon.history.enabled":false}', paths from the file's root).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { DAEMON_NODE_FLAGS } from '../daemon-node-flags.js';
import { SYMBOL } from './orders.js';

/** The repository root: dist/bench/lib/load (built) or bench/lib/load (vitest) is below it. */
export const ROOT = ((): string => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = resolve(dir, '..');
    if (up === dir) throw new Error('bench:load: the repository root (package.json) was not found');
    dir = up;
  }
  return dir;
})();
/** Built files the daemon side runs (the daemon, worker strategies and bare servers always run from dist/). */
export const DIST = join(ROOT, 'dist');

/** Pause after the daemon is ready and before a run starts measuring it. */
const SETTLE_MS = 500;
const live = new Set<ChildProcess>();
const dirs = new Set<string>();
let exitHook = false;

function hook(): void {
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const c of live) c.kill('SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
}

/** SIGKILL every child still alive when this process exits (an error, Ctrl-C: see bench/load.ts). */
export function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  hook();
}

/** A temporary directory removed when this process exits, if it was not removed before (untrack it then). */
export function trackDir(dir: string): () => void {
  dirs.add(dir);
  hook();
  return () => {
    rmSync(dir, { recursive: true, force: true });
    dirs.delete(dir);
  };
}

export interface DaemonStrategy {
  readonly id: string;
  readonly source?: 'api' | 'redis';
  readonly module?: string;
  readonly params?: Record<string, unknown>;
}

export interface DaemonOptions {
  readonly journal: boolean;
  readonly strategies: readonly DaemonStrategy[];
  /** Redis bus of the daemon (for `source: redis` strategies). */
  readonly redis?: { readonly url: string; readonly keyPrefix: string };
}

export interface LoadDaemon {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly port: number;
  readonly token: string;
  readonly dir: string;
  /** SIGTERM, then SIGKILL after 5 s; removes the data directory. */
  stop(): Promise<void>;
}

export function daemonConfigText(dir: string, o: DaemonOptions): string {
  const doc = parseDocument(readFileSync(join(ROOT, 'config', 'paper.yaml'), 'utf8'));
  doc.setIn(['daemon', 'name'], 'bench-load');
  doc.setIn(['daemon', 'dataDir'], dir);
  doc.setIn(['daemon', 'api', 'port'], 0);
  doc.setIn(['daemon', 'api', 'tokenFile'], join(dir, 'api-token'));
  doc.setIn(['daemon', 'log', 'level'], 'warn');
  doc.setIn(['daemon', 'shutdown', 'policy'], 'leave');
  doc.setIn(['daemon', 'journal', 'enabled'], o.journal);
  if (o.redis !== undefined) {
    doc.setIn(['daemon', 'redis'], {
      url: o.redis.url, keyPrefix: o.redis.keyPrefix, events: { enabled: o.journal }, commands: { batch: 256 },
    });
  }
  const venues = doc.get('venues') as { items: { setIn(p: unknown[], v: unknown): void; deleteIn(p: unknown[]): boolean }[] };
  for (const v of venues.items) {
    v.setIn(['latencyMs'], 0);
    v.deleteIn(['paper', 'balances']);
  }
  doc.setIn(['risk', 'maxOpenOrders'], 1_000_000);
  doc.deleteIn(['risk', 'maxGrossExposure']);
  doc.setIn(['strategies'], o.strategies.map((s) => ({
    id: s.id,
    symbols: [SYMBOL],
    ...(s.source === 'redis' ? { source: 'redis' } : {}),
    ...(s.module !== undefined ? { module: s.module, params: s.params ?? {} } : {}),
  })));
  // BENCH_DAEMON_SET: config overrides for an investigation, a JSON object of dotted path -> value
  const set = process.env.BENCH_DAEMON_SET;
  if (set !== undefined && set !== '') {
    for (const [path, value] of Object.entries(JSON.parse(set) as Record<string, unknown>)) doc.setIn(path.split('.'), value);
  }
  return doc.toString();
}

export async function startDaemon(o: DaemonOptions, timeoutMs = 60_000): Promise<LoadDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-load-'));
  const removeDir = trackDir(dir);
  const file = join(dir, 'bench-load.yaml');
  writeFileSync(file, daemonConfigText(dir, o));
  const token = randomBytes(24).toString('hex');
  const nodeArgs = [...DAEMON_NODE_FLAGS, ...(process.env.BENCH_DAEMON_NODE_ARGS ?? '').split(' ').filter((a) => a !== '')];
  const child = spawn(process.execPath, [...nodeArgs, join(DIST, 'src', 'cli.js'), 'start', '-c', file], {
    cwd: ROOT, env: { ...process.env, SWITCHYARD_API_TOKEN: token }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  track(child);
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      removeDir();
    })();
    return stopped;
  };
  try {
    let err = '';
    const port = await new Promise<number>((resolvePort, reject) => {
      const timer = setTimeout(() => reject(new Error(`daemon did not listen within ${timeoutMs} ms:\n${err}`)), timeoutMs);
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (d: string) => {
        err = (err + d).slice(-8000);
        const m = /listening on http:\/\/[0-9.]+:(\d+)/.exec(err);
        if (m !== null) {
          clearTimeout(timer);
          resolvePort(Number(m[1]));
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`daemon exited (${code ?? signal}) before listening:\n${err}`));
      });
    });
    // keep the last lines of its stderr for an error report, without holding the pipe up
    child.stderr!.removeAllListeners('data');
    child.stderr!.on('data', (d: string) => void (err = (err + d).slice(-8000)));
    if (o.redis !== undefined) await waitForRedisConfig(o.redis.url, `${o.redis.keyPrefix}config`, timeoutMs);
    // the daemon still loads modules lazily just after it listens: let that pass before its CPU is measured
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    return { child, pid: child.pid!, port, token, dir, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

async function waitForRedisConfig(url: string, key: string, timeoutMs: number): Promise<void> {
  const { createClient } = await import('redis');
  const c = createClient({ url });
  c.on('error', () => undefined);
  await c.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    while ((await c.exists(key)) === 0) {
      if (Date.now() > deadline) throw new Error(`the daemon did not write ${key} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await c.close();
  }
}
