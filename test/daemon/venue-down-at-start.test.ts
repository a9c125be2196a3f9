/**
 * One venue down at start must not stop the daemon (issue 9, item 6). An in-process daemon on
 * config/local-venues.yaml against the local fake Binance and OKX (ccxt adapters, journal on): the fake OKX answers
 * 503 to its markets request (GET /api/v5/public/instruments), so the OKX adapter cannot start. The daemon starts
 * anyway, trades on Binance, keeps OKX closed (pinned orders DENIED VENUE_UNAVAILABLE, /health and metrics say why),
 * retries the start with backoff and, once the fake answers again, reconciles OKX and opens it. Credentials refused
 * are an operator error: they still refuse the start.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { loadConfigFile, formatConfigErrors, type Config } from '../../src/config/index.js';
import { createDaemon, type Daemon } from '../../src/daemon.js';
import { discardLogs, TEST_TOKEN } from '../helpers/daemon.js';
import { ApiClient, metricValue } from '../helpers/http.js';
import { pollUntil } from '../helpers/poll.js';
import { localVenuesEnv, startFakeVenues, type FakeVenues } from '../venues/index.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

interface Setup {
  fakes: FakeVenues;
  daemon: Daemon;
  start: () => Promise<ApiClient>;
}

async function setup(envOverrides: Record<string, string> = {}, reuse?: { fakes: FakeVenues; dir: string }, edit: (c: Config) => void = () => {}): Promise<Setup & { dir: string }> {
  const fakes = reuse?.fakes ?? (await startFakeVenues());
  if (reuse === undefined) cleanup.push(() => fakes.close());
  const dir = reuse?.dir ?? mkdtempSync(join(tmpdir(), 'switchyard-venue-down-'));
  if (reuse === undefined) cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
  const env = { SWITCHYARD_API_TOKEN: TEST_TOKEN, SWITCHYARD_DATA_DIR: dir, ...localVenuesEnv(fakes), ...envOverrides };
  const r = loadConfigFile('config/local-venues.yaml', env);
  if (!r.ok) throw new Error(formatConfigErrors(r.errors));
  edit(r.config);
  const daemon = createDaemon(r.config, { env, logDestination: discardLogs(), baseDir: dir });
  cleanup.push(() => daemon.stop('test finished'));
  const start = async (): Promise<ApiClient> => {
    const { port } = await daemon.start();
    return new ApiClient(`http://127.0.0.1:${port}`, TEST_TOKEN);
  };
  return { fakes, daemon, start, dir };
}

const venueOf = (health: any, name: string): any => (health.venues as any[]).find((v) => v.name === name);
/** A marketable ETH-USDT buy (the fakes' ETH ladder is around 3000). */
const marketable = (o: Record<string, unknown> = {}) => ({ strategy: 'itest', symbol: 'ETH-USDT', side: 'BUY', price: '3100', quantity: '0.01', ...o });

describe('a venue that cannot load its markets at start', () => {
  test('the daemon starts on the others, keeps it closed, retries, then reconciles and opens it when it answers', { timeout: 60_000 }, async () => {
    const { fakes, daemon, start } = await setup();
    fakes.okx.faults.add({ kind: 'error', status: 503, path: '/api/v5/public/instruments' });
    const api = await start();

    // /health: degraded, OKX not available and why
    const health = (await api.get('/health')).body;
    expect(health.status).toBe('degraded');
    expect(venueOf(health, 'local-binance')).toMatchObject({ available: true, state: 'up' });
    const okx = venueOf(health, 'local-okx');
    expect(okx).toMatchObject({ available: false, state: 'retrying' });
    expect(okx.reason).toMatch(/^VENUE_UNAVAILABLE/);
    expect(typeof okx.lastError.code).toBe('string');
    expect(daemon.recovery!.reconciliation.find((x) => x.venue === 'local-okx')!.ok).toBe(false);

    // trades on Binance: routed orders go there (OKX skipped), a pinned OKX order is refused with a code
    const routed = await api.post('/v1/orders', marketable());
    expect(routed.status).toBe(201);
    const filled = await api.waitForState(routed.body.orderId, 'FILLED', 10_000);
    expect(filled.venue).toBe('local-binance');
    const pinned = await api.post('/v1/orders', marketable({ venue: 'local-okx' }));
    const denied = pinned.status === 201 ? await api.waitForState(pinned.body.orderId, 'DENIED') : pinned.body;
    expect(JSON.stringify(denied)).toContain('VENUE_UNAVAILABLE');

    // metrics: venue_up 0 for OKX, start retries counted
    await pollUntil(async () => (await api.get('/metrics')).text, (m) => metricValue(m, 'switchyard_venue_start_retries_total', { venue: 'local-okx' }) >= 1, { timeoutMs: 10_000, what: 'a start retry' });
    const metrics = (await api.get('/metrics')).text;
    expect(metricValue(metrics, 'switchyard_venue_up', { venue: 'local-okx' })).toBe(0);
    expect(metricValue(metrics, 'switchyard_venue_up', { venue: 'local-binance' })).toBe(1);

    // the venue answers again: started, reconciled and opened (polled with a deadline)
    fakes.okx.faults.apply({ clear: true });
    const up = await pollUntil(async () => (await api.get('/health')).body, (h) => venueOf(h, 'local-okx').available === true, { timeoutMs: 20_000, intervalMs: 50, what: 'local-okx open' });
    expect(up.status).toBe('ok');
    expect(venueOf(up, 'local-okx')).toMatchObject({ state: 'up' });
    expect(metricValue((await api.get('/metrics')).text, 'switchyard_venue_up', { venue: 'local-okx' })).toBe(1);
    const onOkx = await api.post('/v1/orders', marketable({ venue: 'local-okx' }));
    expect(onOkx.status).toBe(201);
    const okxFilled = await api.waitForState(onOkx.body.orderId, 'FILLED', 10_000);
    expect(okxFilled.venue).toBe('local-okx');
    expect(fakes.okx.orders({ account: 'main' }).length).toBe(1);
  });

  test('every venue down: the daemon still starts (API up, every order refused with a code) and opens them as they come', { timeout: 60_000 }, async () => {
    const { fakes, start } = await setup();
    fakes.okx.faults.add({ kind: 'error', status: 503, path: '/api/v5/public/instruments' });
    fakes.binance.faults.add({ kind: 'error', status: 502, path: '/api/v3/exchangeInfo' });
    const api = await start();
    const health = (await api.get('/health')).body;
    expect(health.status).toBe('degraded');
    expect(health.venues.every((v: any) => v.available === false)).toBe(true);
    const r = await api.post('/v1/orders', marketable());
    const denied = r.status === 201 ? await api.waitForState(r.body.orderId, 'DENIED') : r.body;
    expect(JSON.stringify(denied)).toMatch(/NO_ROUTE|VENUE_UNAVAILABLE/);
    fakes.binance.faults.apply({ clear: true });
    await pollUntil(async () => (await api.get('/health')).body, (h) => venueOf(h, 'local-binance').available === true, { timeoutMs: 20_000, intervalMs: 50, what: 'local-binance open' });
    const ok = await api.post('/v1/orders', marketable());
    expect((await api.waitForState(ok.body.orderId, 'FILLED', 10_000)).venue).toBe('local-binance');
  });

  test('a venue that starts but cannot be reconciled stays closed, and its reconciliation is retried until it opens', { timeout: 60_000 }, async () => {
    // a first run leaves an order resting at OKX (shutdown policy leave), so the second has something to reconcile
    const leave = (c: Config): void => {
      (c.daemon.shutdown as { policy: string }).policy = 'leave';
    };
    const first = await setup({}, undefined, leave);
    const api1 = await first.start();
    const resting = await api1.post('/v1/orders', { strategy: 'itest', symbol: 'ETH-USDT', side: 'BUY', price: '2500', quantity: '0.01', venue: 'local-okx' });
    expect(resting.status).toBe(201);
    await api1.waitForState(resting.body.orderId, 'ACCEPTED', 10_000);
    await first.daemon.stop('first run over');

    // the second run: OKX starts (markets load), but its order lookups fail, so reconciliation at start fails
    first.fakes.okx.faults.add({ kind: 'error', status: 503, path: '/api/v5/trade/order', method: 'GET' });
    const second = await setup({}, { fakes: first.fakes, dir: first.dir }, leave);
    const api = await second.start();
    expect(second.daemon.recovery!.reconciliation.find((x) => x.venue === 'local-okx')!.ok).toBe(false);
    const okx = venueOf((await api.get('/health')).body, 'local-okx');
    expect(okx.available).toBe(false);
    expect(okx.reason).toMatch(/^VENUE_NOT_RECONCILED/);

    // the lookups answer again: reconciled on a retry, then opened; the resting order is still ours and live
    first.fakes.okx.faults.apply({ clear: true });
    await pollUntil(async () => (await api.get('/health')).body, (h) => venueOf(h, 'local-okx').available === true, { timeoutMs: 20_000, intervalMs: 50, what: 'local-okx reconciled and open' });
    expect((await api.get(`/v1/orders/${resting.body.orderId}`)).body.state).toBe('ACCEPTED');
    const onOkx = await api.post('/v1/orders', marketable({ venue: 'local-okx' }));
    expect((await api.waitForState(onOkx.body.orderId, 'FILLED', 10_000)).venue).toBe('local-okx');
  });

  test('credentials refused are an operator error: the start is still refused (VENUE_AUTH_FAILED)', { timeout: 30_000 }, async () => {
    const { start } = await setup({ LOCAL_OKX_API_KEY: 'not-a-key-the-fake-knows' });
    const err = await start().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as { code?: string }).code).toBe('VENUE_AUTH_FAILED');
  });
});
