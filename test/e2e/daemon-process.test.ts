import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DaemonProcess, ensureBuilt, runCli } from '../helpers/daemon-process.js';
import { ApiClient, metricValue } from '../helpers/http.js';
import { pollUntil } from '../helpers/poll.js';
import { paperConfigText, repoPath } from '../helpers/repo.js';
import { StreamClient } from '../helpers/ws-client.js';

/*
 * The real daemon: `node dist/src/cli.js start -c FILE` with cwd at the repository root, on a copy of
 * config/paper.yaml as shipped — its worker strategies (momentum, market-maker) included — whose API port is 0,
 * whose data directory and token file are in a temporary directory and whose strategy module paths are absolute
 * (the copy lives elsewhere). No SWITCHYARD_API_TOKEN in its environment: the daemon generates a token and writes
 * the token file, as on a first `npm start`. The worker strategies trade on their own, so order ids are taken from
 * the responses, never assumed. Then the README's curl walkthrough (strategy `manual`), then SIGINT.
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
  it('generates a token (mode 0600), runs the shipped strategies, serves the README walkthrough, and stops on SIGINT with exit 0', async () => {
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

    // the worker strategies trade by themselves: momentum's MARKET orders and market-maker's price probe fill
    const filledBy = async (): Promise<Set<string>> =>
      new Set((await api.allOrders('state=FILLED')).map((o) => o.strategy as string));
    await pollUntil(filledBy, (s) => s.has('momentum') && s.has('market-maker'), { timeoutMs: 15_000, what: 'fills of both worker strategies' });
    // market-maker then quotes both sides of ETH-USDT, post-only, at a venue
    const quotes = await pollUntil(
      async () => await api.allOrders('state=open&strategy=market-maker'),
      (q) => q.some((o) => o.side === 'BUY' && o.state === 'ACCEPTED') && q.some((o) => o.side === 'SELL' && o.state === 'ACCEPTED'),
      { timeoutMs: 15_000, what: 'market-maker quotes on both sides' },
    );
    for (const q of quotes) expect(q).toMatchObject({ symbol: 'ETH-USDT', postOnly: true, type: 'LIMIT' });

    // the README's walkthrough, strategy `manual`, ids from the responses. A marketable limit order: acknowledged
    // (201, in the crossing book for manual's crossing window), then routed to a paper venue and FILLED
    const buy = await api.post('/v1/orders', { strategy: 'manual', symbol: 'BTC-USDT', side: 'BUY', type: 'LIMIT', price: '60500', quantity: '0.01' });
    expect(buy.status).toBe(201);
    expect(buy.body).toMatchObject({ strategy: 'manual', state: 'SUBMITTED' });
    const buyId = buy.body.orderId as number;
    expect(Number.isSafeInteger(buyId) && buyId > 0).toBe(true);
    // what the README's `sed -n 's/.*"orderId":\([0-9]*\).*/\1/p'` takes from the raw response
    expect(/.*"orderId":([0-9]*).*/.exec(buy.text)?.[1]).toBe(String(buyId));
    const filled = await api.waitForState(buyId, 'FILLED');
    expect(filled.filledQty).toBe('0.01000');
    expect(['sim-a', 'sim-b']).toContain(filled.venue);
    expect(filled.venueOrderId).not.toBeNull();
    expect(Number(filled.avgPrice)).toBeGreaterThan(59_000);
    expect(Number(filled.avgPrice)).toBeLessThanOrEqual(60_500);

    // a resting order far from the market, and one more; both listed as open
    const rest1 = await api.post('/v1/orders', { strategy: 'manual', symbol: 'BTC-USDT', side: 'BUY', price: '50000', quantity: '0.01' });
    const rest2 = await api.post('/v1/orders', { strategy: 'manual', symbol: 'ETH-USDT', side: 'SELL', price: '9000', quantity: '0.01', clientOrderId: 'e2eRest2' });
    expect([rest1.status, rest2.status]).toEqual([201, 201]);
    const rest1Id = rest1.body.orderId as number;
    const rest2Id = rest2.body.orderId as number;
    await api.waitForState(rest1Id, 'ACCEPTED');
    await api.waitForState('e2eRest2', 'ACCEPTED');
    const manualOpen = async (): Promise<number[]> =>
      (await api.allOrders('state=open&strategy=manual')).map((o) => o.orderId as number);
    expect((await manualOpen()).sort((a, b) => a - b)).toEqual([rest1Id, rest2Id].sort((a, b) => a - b));

    // cancel one, by the id the daemon answered with
    const del = await api.delete(`/v1/orders/${rest1Id}`);
    expect(del.status).toBe(202);
    expect(del.body).toMatchObject({ orderId: rest1Id, state: 'PENDING_CANCEL' });
    await api.waitForState(rest1Id, 'CANCELED');

    // routes and metrics (the strategies' orders count too)
    const routes = await api.get('/v1/routes/BTC-USDT');
    expect(routes.body).toEqual({ symbol: 'BTC-USDT', slots: { 'sim-a': 192, 'sim-b': 64 }, total: 256, weights: { 'sim-a': 3, 'sim-b': 1 } });
    const metrics = await api.metrics();
    expect(metricValue(metrics, 'switchyard_orders_total', { state: 'FILLED', strategy: 'manual' })).toBe(1);
    expect(metricValue(metrics, 'switchyard_orders_total', { state: 'CANCELED', strategy: 'manual' })).toBe(1);
    expect(metricValue(metrics, 'switchyard_orders_total', { state: 'FILLED', strategy: 'momentum' })).toBeGreaterThanOrEqual(1);
    expect(metricValue(metrics, 'switchyard_orders_total', { state: 'FILLED', strategy: 'market-maker' })).toBeGreaterThanOrEqual(1);
    expect(metricValue(metrics, 'switchyard_submit_to_ack_seconds_count')).toBeGreaterThanOrEqual(3);
    expect(metrics).toContain('switchyard_rejects_total');

    // watch the stream while the daemon shuts down: the remaining resting order must be canceled
    const ws = await StreamClient.connect(`ws://127.0.0.1:${port}/v1/stream`, token);
    await ws.next((m) => m.type === 'hello');
    expect(await manualOpen()).toEqual([rest2Id]);

    daemon.signal('SIGINT');
    const exit = await daemon.waitForExit(15_000);
    expect(exit).toEqual({ code: 0, signal: null });

    const canceled = ws.events().find((e) => e.orderId === rest2Id && e.state === 'CANCELED');
    expect(canceled).toBeDefined();
    expect((await ws.whenClosed()).code).toBe(1001);
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();

    // the JSON log (fields, not text): the shutdown summary reports every cancel confirmed, nothing left open
    // (rest2 and whatever quotes market-maker still had)
    const summary = await daemon.waitForLog((l) => typeof l.canceled === 'number' && typeof l.unconfirmed === 'number');
    expect(summary).toMatchObject({ unconfirmed: 0, leftOpen: 0 });
    expect(summary.canceled).toBeGreaterThanOrEqual(1);
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

  it('a strategy module that does not load: exits non-zero instead of staying up half-started, naming the strategy', async () => {
    const bad = join(dir, 'bad-module.yaml');
    writeFileSync(bad, paperConfigText([
      [['daemon', 'api', 'port'], 0],
      [['daemon', 'dataDir'], join(dir, 'data-bad-module')],
      [['daemon', 'api', 'tokenFile'], tokenFile],
      [['strategies', 1, 'module'], join(dir, 'no-such-strategy.ts')],
    ]));
    const daemon = DaemonProcess.start(bad);
    started.push(daemon);
    const exit = await daemon.waitForExit(15_000);
    expect(exit.code).not.toBe(0);
    const stderr = daemon.stderrLines.join('\n');
    expect(stderr).toContain('CONFIG_INVALID');
    expect(stderr).toContain('market-maker');
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
