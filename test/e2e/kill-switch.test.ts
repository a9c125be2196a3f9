/**
 * Issue acceptance: the kill switch against the paper venues and against the local fake Binance and OKX (real daemon
 * process, real adapters): every open order confirmed canceled, none left open at any venue — for the fakes, judged
 * by their own records — and the daemon HALTED. Then the CLI verbs against a running daemon, with their exit codes.
 * (bench:kill runs the same scenario with 1,000 orders and reports the time.)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKill } from '../../bench/lib/kill-run.js';
import { childEnv, DaemonProcess, ensureBuilt, runCli } from '../helpers/daemon-process.js';
import { ApiClient } from '../helpers/http.js';
import { paperConfigText } from '../helpers/repo.js';

describe('kill switch (real daemon process)', () => {
  beforeAll(() => ensureBuilt());

  it.each(['paper', 'exchanges'] as const)('%s venues: 40 open orders, all confirmed canceled, none left open', async (venues) => {
    const r = await runKill({ venues, orders: 40, timeoutMs: 20_000 });
    expect(r.problems).toEqual([]);
    expect(r).toMatchObject({ orders: 40, confirmed: 40, unconfirmed: 0, leftOpen: 0, daemonOpen: 0 });
  }, 90_000);
});

describe('switchyard kill | halt | reduce | resume | state (CLI against a running daemon)', () => {
  let dir: string;
  let file: string;
  let d: DaemonProcess | undefined;
  let api: ApiClient;
  let url: string;

  beforeAll(async () => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'switchyard-cli-admin-'));
    file = join(dir, 'switchyard.yaml');
    writeFileSync(file, paperConfigText([
      [['daemon', 'api', 'port'], 0],
      [['daemon', 'dataDir'], dir],
      [['daemon', 'api', 'tokenFile'], join(dir, 'token')],
    ], { workers: false }));
    // no token in the environment: the daemon writes its token file, the CLI reads it from the configuration
    d = DaemonProcess.start(file, childEnv());
    const { host, port } = await d.listening();
    url = `http://${host}:${port}`;
    const token = (await import('node:fs')).readFileSync(join(dir, 'token'), 'utf8').trim();
    api = new ApiClient(url, token);
  });

  afterAll(async () => {
    await d?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  const cli = (...args: string[]) => runCli([...args, '-c', file, '--url', url], 30_000);

  it('halt / reduce / resume a scope, state lists it; bad arguments exit 2', async () => {
    const h = cli('halt', '--strategy', 'manual', '--reason', 'desk review');
    expect(h.status).toBe(0);
    expect(h.stdout).toMatch(/strategy manual\s+HALTED .*\(desk review\)/);
    const json = cli('state', '--json');
    expect(json.status).toBe(0);
    expect(JSON.parse(json.stdout).states).toEqual(expect.arrayContaining([expect.objectContaining({ scope: 'strategy', name: 'manual', state: 'HALTED' })]));
    expect(cli('reduce', '--symbol', 'ETH-USDT').status).toBe(0);
    expect(cli('resume', '--strategy', 'manual').status).toBe(0);
    expect(cli('resume', '--symbol', 'ETH-USDT').status).toBe(0);
    expect((await api.get('/v1/admin/state')).body.states).toEqual([{ scope: 'daemon', state: 'ACTIVE', since: 0 }]);
    expect(cli('halt', '--strategy', 'nobody').status).toBe(2); // the daemon refuses: 400
    expect(cli('halt', '--colour', 'red').status).toBe(2);
    expect(cli('halt', '--strategy', 'manual', '--venue', 'sim-a').status).toBe(2);
    expect(runCli(['state', '-c', file, '--url', 'http://127.0.0.1:1']).status).toBe(3); // nothing listens there: exit 3, the daemon cannot be reached
  });

  it('kill cancels the open orders, prints the confirmation and exits 0; the daemon stays HALTED until resume', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await api.post('/v1/orders', { strategy: 'momentum', symbol: 'BTC-USDT', side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '50000' });
      expect(r.status).toBe(201);
      ids.push(r.body.orderId);
    }
    for (const id of ids) await api.waitForState(id, 'ACCEPTED');
    const k = cli('kill');
    expect(k.status).toBe(0);
    expect(k.stdout).toMatch(/^daemon HALTED; 6 of 6 open orders confirmed closed in \d+ ms$/m);
    for (const id of ids) expect((await api.get(`/v1/orders/${id}`)).body.state).toBe('CANCELED');
    expect((await api.get('/v1/admin/state')).body.states[0].state).toBe('HALTED');
    expect(cli('resume').status).toBe(0);
    expect((await api.get('/v1/admin/state')).body.states[0].state).toBe('ACTIVE');
  });
});
