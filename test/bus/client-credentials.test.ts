/**
 * Credentials of the remote strategy client (src/bus/client.ts) come from the environment only
 * (SWITCHYARD_REDIS_USERNAME / _PASSWORD, redis-connection.ts), as the daemon's: its schema refuses a Redis URL with a
 * user or password in it. A URL with a password in it (on a command line: `--url` of the example process, visible in
 * `ps` and shell history) must be refused, not used. A redis-server of the test's own with requirepass.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from 'redis';
import { SwitchyardRedisClient } from '../../src/bus/client.js';
import { pollUntil } from '../helpers/poll.js';

const PASSWORD = 'probe-s3cret';
let port = 0;
let proc: ChildProcess | undefined;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
}

beforeAll(async () => {
  port = await freePort();
  proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--requirepass', PASSWORD, '--logfile', ''], { stdio: 'ignore' });
  await pollUntil(async () => {
    const c = createClient({ url: `redis://127.0.0.1:${port}`, password: PASSWORD, socket: { reconnectStrategy: false, connectTimeout: 500 } });
    c.on('error', () => undefined);
    try {
      await c.connect();
      return (await c.ping()) === 'PONG';
    } finally {
      if (c.isOpen) await c.close().catch(() => undefined);
    }
  }, (ok) => ok, { timeoutMs: 10_000, intervalMs: 50, what: 'redis-server with requirepass' });
}, 20_000);

afterAll(async () => {
  if (proc !== undefined && proc.exitCode === null) {
    await new Promise<void>((resolve) => {
      proc!.once('exit', () => resolve());
      proc!.kill('SIGKILL');
    });
  }
});

describe('SwitchyardRedisClient credentials', () => {
  it('refuses a URL with a password in it; takes the password from the environment', async () => {
    const withPassword = SwitchyardRedisClient.connect({ url: `redis://:${PASSWORD}@127.0.0.1:${port}`, strategy: 's1', env: {} });
    let made: SwitchyardRedisClient | undefined;
    const outcome = await withPassword.then((c) => {
      made = c;
      return 'connected with the URL\'s password';
    }, (e: unknown) => (e as { code?: string }).code ?? String(e));
    await made?.close();
    expect(outcome).toBe('INVALID_ARGUMENT');

    const fromEnv = await SwitchyardRedisClient.connect({ url: `redis://127.0.0.1:${port}`, strategy: 's1', env: { SWITCHYARD_REDIS_PASSWORD: PASSWORD } });
    await fromEnv.close();
  }, 20_000);
});
