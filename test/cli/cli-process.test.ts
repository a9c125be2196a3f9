/**
 * The CLI as people and scripts run it: `node dist/src/cli.js orders ... -c FILE` against a real daemon process
 * started from the same file. No --url and no token in the environment: the CLI finds the daemon's address in the
 * configuration and reads the token file the daemon wrote. Then the daemon stops, and the same command exits 3.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childEnv, DaemonProcess, ensureBuilt, runCli } from '../helpers/daemon-process.js';
import { writeCliConfig } from './cli-harness.js';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('switchyard orders | status (CLI process against a daemon process)', () => {
  let dir: string;
  let file: string;
  let d: DaemonProcess | undefined;

  beforeAll(async () => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'switchyard-cli-process-'));
    const port = await freePort();
    file = writeCliConfig(dir, port, join(dir, 'api-token'));
    d = DaemonProcess.start(file, childEnv());
    const at = await d.listening();
    expect(at.port).toBe(port);
  }, 180_000);

  afterAll(async () => {
    await d?.kill();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const cli = (...args: string[]) => runCli([...args, '-c', file], 30_000);

  it('submit, then orders list --json finds it; status exits 0; get by client order id', () => {
    const s = cli('orders', 'submit', '--strategy', 'momentum', '--symbol', 'BTC-USDT', '--side', 'BUY', '--type', 'LIMIT', '--price', '50000.00', '--quantity', '0.001', '--client-order-id', 'proc1');
    expect(s.stderr).toBe('');
    expect(s.status).toBe(0);
    expect(s.stdout).toMatch(/^order \d+ \(proc1\) /);

    const l = cli('orders', 'list', '--json');
    expect(l.status).toBe(0);
    const doc = JSON.parse(l.stdout);
    expect(doc.nextCursor).toBeNull();
    expect(doc.orders).toEqual([expect.objectContaining({ clientOrderId: 'proc1', price: '50000.00', quantity: '0.00100', strategy: 'momentum' })]);

    const g = cli('orders', 'get', 'proc1', '--json');
    expect(g.status).toBe(0);
    expect(JSON.parse(g.stdout).orderId).toBe(doc.orders[0].orderId);

    const st = cli('status');
    expect(st.status).toBe(0);
    expect(st.stdout).toMatch(/^daemon paper: ok, accepting orders/);
    expect(st.stdout).not.toMatch(/\u001b\[/); // not a terminal: no colour
  });

  it('usage errors exit 2; once the daemon is gone the same command exits 3 and says how to start it', async () => {
    expect(cli('orders').status).toBe(2);
    expect(cli('orders', 'cancel-all').status).toBe(2);
    expect(cli('positions', '--bogus').status).toBe(2);
    d!.signal('SIGTERM');
    await d!.waitForExit(20_000);
    const r = cli('orders', 'list', '--json');
    expect(r.status).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^switchyard orders list: cannot reach the daemon at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED — is it running\? \(`switchyard start -c .*switchyard\.yaml`\)$/m);
  }, 60_000);
});
