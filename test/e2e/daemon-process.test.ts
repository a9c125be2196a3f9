import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DaemonProcess, ensureBuilt, runCli } from '../helpers/daemon-process.js';
import { ApiClient, metricValue } from '../helpers/http.js';
import { paperConfigText, repoPath } from '../helpers/repo.js';
import { StreamClient } from '../helpers/ws-client.js';

/*
 * The real daemon: `node dist/src/cli.js start -c FILE` with cwd at the repository root, on a copy of
 * config/paper.yaml whose API port is 0 and whose data directory and token file are in a temporary directory.
 * No SWITCHYARD_API_TOKEN in its environment: the daemon generates a token and writes the token file, as on a
 * first `npm start`. Then the README's curl walkthrough, then SIGINT.
 */
let dir: string;
let configFile: string;
let tokenFile: string;
const started: DaemonProcess[] = [];

function launch(): DaemonProcess {
  const p = DaemonProcess.start(configFile);
  started.push(p);
  return p;
}

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'switchyard-e2e-'));
  tokenFile = join(dir, 'secrets', 'api-token');
  configFile = join(dir, 'paper.yaml');
  writeFileSync(
    configFile,
    paperConfigText([
      [['daemon', 'api', 'port'], 0],
      [['daemon', 'dataDir'], join(dir, 'data')],
      [['daemon', 'api', 'tokenFile'], tokenFile],
    ]),
  );
}, 120_000);

afterAll(async () => {
  for (const p of started) await p.kill();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('switchyard start (real process)', () => {
  it('generates a token (mode 0600), serves the walkthrough, and stops on SIGINT with exit 0, canceling resting orders', async () => {
    const daemon = launch();
    const { host, port } = await daemon.listening();
    expect(host).toBe('127.0.0.1');
    expect(port).toBeGreaterThan(0);

    const st = statSync(tokenFile);
    expect(st.mode & 0o777).toBe(0o600);
    expect(statSync(dirname(tokenFile)).mode & 0o077).toBe(0); // its new directory is private too
    const token = readFileSync(tokenFile, 'utf8').trim();
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    const api = new ApiClient(`http://127.0.0.1:${port}`, token);

    // health without a token; everything else needs it
    const health = await api.get('/health', { token: null });
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', accepting: true });
    expect((await api.get('/v1/orders', { token: null })).status).toBe(401);

    // the README's walkthrough. A marketable limit order: acknowledged (201, order 1), then FILLED
    const buy = await api.post('/v1/orders', { strategy: 'momentum', symbol: 'BTC-USDT', side: 'BUY', type: 'LIMIT', price: '60500', quantity: '0.01' });
    expect(buy.status).toBe(201);
    expect(buy.body).toMatchObject({ orderId: 1, state: 'SUBMITTED' });
    const filled = await api.waitForState(1, 'FILLED');
    expect(filled.filledQty).toBe('0.01000');
    expect(filled.venueOrderId).not.toBeNull();
    expect(Number(filled.avgPrice)).toBeGreaterThan(59_000);
    expect(Number(filled.avgPrice)).toBeLessThanOrEqual(60_500);

    // a resting order far from the market (order 2), and one more; both listed as open
    const rest1 = await api.post('/v1/orders', { strategy: 'momentum', symbol: 'BTC-USDT', side: 'BUY', price: '50000', quantity: '0.01' });
    expect(rest1.body.orderId).toBe(2);
    const rest2 = await api.post('/v1/orders', { strategy: 'market-maker', symbol: 'ETH-USDT', side: 'SELL', price: '9000', quantity: '0.01', clientOrderId: 'e2eRest2' });
    expect([rest1.status, rest2.status]).toEqual([201, 201]);
    await api.waitForState(rest1.body.orderId, 'ACCEPTED');
    await api.waitForState('e2eRest2', 'ACCEPTED');
    const open = await api.get('/v1/orders?state=open');
    expect(open.body.orders.map((o: any) => o.orderId).sort()).toEqual([rest1.body.orderId, rest2.body.orderId].sort());

    // cancel one
    const del = await api.delete('/v1/orders/2');
    expect(del.status).toBe(202);
    expect(del.body).toMatchObject({ orderId: 2, state: 'PENDING_CANCEL' });
    await api.waitForState(rest1.body.orderId, 'CANCELED');

    // routes and metrics
    const routes = await api.get('/v1/routes/BTC-USDT');
    expect(routes.body).toEqual({ symbol: 'BTC-USDT', slots: { 'sim-a': 192, 'sim-b': 64 }, total: 256 });
    const metrics = await api.metrics();
    expect(metricValue(metrics, 'switchyard_orders_total', { state: 'FILLED' })).toBe(1);
    expect(metricValue(metrics, 'switchyard_orders_total', { state: 'CANCELED' })).toBe(1);
    expect(metricValue(metrics, 'switchyard_submit_to_ack_seconds_count')).toBe(3);
    expect(metrics).toContain('switchyard_rejects_total');

    // watch the stream while the daemon shuts down: the remaining resting order must be canceled
    const ws = await StreamClient.connect(`ws://127.0.0.1:${port}/v1/stream`, token);
    await ws.next((m) => m.type === 'hello');
    const stillOpen = (await api.get('/v1/orders?state=open')).body.orders;
    expect(stillOpen.map((o: any) => o.orderId)).toEqual([rest2.body.orderId]);

    daemon.signal('SIGINT');
    const exit = await daemon.waitForExit(10_000);
    expect(exit).toEqual({ code: 0, signal: null });

    const canceled = ws.events().find((e) => e.orderId === rest2.body.orderId && e.state === 'CANCELED');
    expect(canceled).toBeDefined();
    expect((await ws.whenClosed()).code).toBe(1001);
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();

    // the JSON log (fields, not text): the shutdown summary reports the cancel confirmed, nothing left open
    const logs = daemon.jsonLogs();
    expect(logs.length).toBeGreaterThan(0);
    const summary = logs.find((l) => typeof l.canceled === 'number' && typeof l.unconfirmed === 'number');
    expect(summary).toMatchObject({ canceled: 1, unconfirmed: 0, leftOpen: 0 });
    // the token never reaches the log
    expect(daemon.stdoutLines.some((l) => l.includes(token))).toBe(false);
  });

  it('a restart reuses the token file instead of generating a new one, and SIGTERM also exits 0', async () => {
    const before = readFileSync(tokenFile, 'utf8');
    const daemon = launch();
    const { port } = await daemon.listening();
    expect(readFileSync(tokenFile, 'utf8')).toBe(before);
    const api = new ApiClient(`http://127.0.0.1:${port}`, before.trim());
    expect((await api.get('/v1/orders')).status).toBe(200);
    daemon.signal('SIGTERM');
    expect(await daemon.waitForExit(10_000)).toEqual({ code: 0, signal: null });
  });

  it('an invalid config file: exits non-zero before listening, naming file and line', async () => {
    const bad = join(dir, 'bad-start.yaml');
    writeFileSync(bad, paperConfigText([[['daemon', 'api', 'port'], 'not-a-port']]));
    const daemon = DaemonProcess.start(bad);
    started.push(daemon);
    const exit = await daemon.waitForExit(10_000);
    expect(exit.code).not.toBe(0);
    expect(daemon.stderrLines.join('\n')).toContain(`${bad}:`);
  });
});

describe('switchyard check-config and version', () => {
  it('check-config config/paper.yaml prints OK and exits 0', () => {
    const r = runCli(['check-config', 'config/paper.yaml']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('OK');
  });

  it('check-config on a broken file exits non-zero and prints file:line for each error', () => {
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'venues:\n  - name: sim-a\n    adapter: paper\n    symbols: [BTC-USDT\ninstruments:\n  - symbol: BTC-USDT\n');
    const r = runCli(['check-config', broken]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(new RegExp(`${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+`));

    const invalid = join(dir, 'invalid.yaml');
    writeFileSync(invalid, paperConfigText([[['venues', 0, 'latencyMs'], -5]]));
    const line = readFileSync(invalid, 'utf8').split('\n').findIndex((l) => l.includes('latencyMs: -5')) + 1;
    const r2 = runCli(['check-config', invalid]);
    expect(r2.status).not.toBe(0);
    expect(r2.stderr).toContain(`${invalid}:${line}`);
  });

  it('check-config on a missing file exits non-zero', () => {
    const r = runCli(['check-config', join(dir, 'nope.yaml')]);
    expect(r.status).not.toBe(0);
  });

  it('version prints the package version', () => {
    const pkg = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { version: string };
    const r = runCli(['version']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(`switchyard ${pkg.version}`);
  });

  it('an unknown verb exits 2 with the usage', () => {
    const r = runCli(['frobnicate']);
    expect(r.status).toBe(2);
    expect(r.stderr.length).toBeGreaterThan(0);
  });
});
