/**
 * Redis for tests: the machine's server on 127.0.0.1:6379 (shared: every test uses a key prefix of its own), and a
 * private redis-server that a test starts on a free port of its own and may kill (SIGKILL) and restart on the same
 * port to make an outage. The private server keeps no data on disk (no RDB, no AOF): a restart is an empty Redis,
 * unless `persist` asks for an append-only file in its own directory (a restart then keeps what was written).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { pollUntil } from './poll.js';

export const SHARED_REDIS_URL = 'redis://127.0.0.1:6379';

/** A key prefix no other test run uses (tests share the machine's Redis). */
export function uniquePrefix(name: string): string {
  return `sytest:${name}:${process.pid}:${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}:`;
}

/** Deletes every key under a prefix on the shared Redis (call in afterAll). */
export async function deletePrefix(url: string, prefix: string): Promise<void> {
  const c = createClient({ url });
  c.on('error', () => undefined);
  await c.connect();
  try {
    for await (const keys of c.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
      if (keys.length > 0) await c.del(keys);
    }
  } finally {
    await c.close();
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export class PrivateRedis {
  private proc: ChildProcess | undefined;
  private readonly dir: string;

  private constructor(readonly port: number, private readonly persist: boolean, private readonly password: string | undefined) {
    this.dir = mkdtempSync(join(tmpdir(), 'sy-redis-'));
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts redis-server on a free port and waits until it answers (`password`: it requires one, --requirepass). */
  static async start(options: { persist?: boolean; password?: string } = {}): Promise<PrivateRedis> {
    const r = new PrivateRedis(await freePort(), options.persist === true, options.password);
    await r.restart();
    return r;
  }

  /** Starts it again on the same port (after kill()). */
  async restart(): Promise<void> {
    if (this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null) return;
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--dir', this.dir, '--logfile', '', '--loglevel', 'warning'];
    args.push('--appendonly', this.persist ? 'yes' : 'no');
    if (this.persist) args.push('--appendfsync', 'always');
    if (this.password !== undefined) args.push('--requirepass', this.password);
    const proc = spawn('redis-server', args, { stdio: 'ignore' });
    this.proc = proc;
    await pollUntil(async () => {
      if (proc.exitCode !== null) throw new Error(`redis-server exited with ${proc.exitCode}`);
      const c = createClient({ url: this.url, password: this.password, socket: { reconnectStrategy: false, connectTimeout: 500 } });
      c.on('error', () => undefined);
      try {
        await c.connect();
        return (await c.ping()) === 'PONG';
      } finally {
        if (c.isOpen) await c.close().catch(() => undefined);
      }
    }, (ok) => ok, { timeoutMs: 10_000, intervalMs: 50, what: `redis-server on port ${this.port}` });
  }

  /** SIGKILL: an outage (connections reset, nothing answers on the port until restart()). */
  async kill(): Promise<void> {
    const p = this.proc;
    if (p === undefined || p.exitCode !== null || p.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGKILL');
    });
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
