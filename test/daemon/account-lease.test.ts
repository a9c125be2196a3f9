/**
 * The account lease refuses a second daemon (issue 15, `daemon.redis.leases`), at the daemon level: in-process
 * daemons on config/local-venues.yaml against the local fake Binance and OKX (ccxt adapters, journal on), leases on
 * the shared Redis under a prefix of this run (ttlMs 3000, renewMs 1000).
 *  - Daemon A takes the leases of both accounts and trades. Daemon B (another name, another data directory, the same
 *    API keys) starts, but keeps both venues closed: /health names VENUE_LEASED and daemon A; an order to it is
 *    refused VENUE_LEASED and no order of B reaches the exchange. A stops (the graceful stop
 *    releases its leases): B takes them within a few renewals, starts its venues, reconciles and opens them — never
 *    available to the router before the venue is up — and its order reaches the exchange.
 *  - Another API key is another account: no conflict.
 *  - A refused daemon that stops while waiting does not touch the holder's lease.
 *  - A lease another holder takes mid-run closes the venue at once (VENUE_LEASED; routed orders go to the other
 *    venue); when that lease expires the daemon takes it again and the venue reopens.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { parseDocument } from 'yaml';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { parseConfigText } from '../../src/config/index.js';
import { createDaemon, type Daemon } from '../../src/daemon.js';
import { RestartingVenue } from '../../src/execution/venue-supervisor.js';
import { journalEvents } from '../helpers/bus-daemon.js';
import { discardLogs, TEST_TOKEN } from '../helpers/daemon.js';
import { ApiClient } from '../helpers/http.js';
import { pollUntil } from '../helpers/poll.js';
import { deletePrefix, SHARED_REDIS_URL, uniquePrefix } from '../helpers/redis-server.js';
import { repoPath } from '../helpers/repo.js';
import { localVenuesEnv, startFakeVenues, type FakeVenues } from '../venues/index.js';

const prefix = uniquePrefix('daemon-lease');
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});
afterAll(async () => {
  await deletePrefix(SHARED_REDIS_URL, prefix);
});

interface LeaseDaemon {
  daemon: Daemon;
  api: ApiClient;
  clientIdPrefix: string;
  /** Its journal directory. */
  journalDir: string;
  stop(): Promise<void>;
}

/** A daemon on config/local-venues.yaml against `fakes`, trading the fakes' `account` ('main' or 'other'). */
async function startLeaseDaemon(fakes: FakeVenues, name: string, clientIdPrefix: string, account: 'main' | 'other'): Promise<LeaseDaemon> {
  const dir = mkdtempSync(join(tmpdir(), `switchyard-lease-${name}-`));
  cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
  const env = { SWITCHYARD_API_TOKEN: TEST_TOKEN, SWITCHYARD_DATA_DIR: dir, ...localVenuesEnv(fakes, account) };
  const doc = parseDocument(readFileSync(repoPath('config/local-venues.yaml'), 'utf8'));
  doc.setIn(['daemon', 'name'], name);
  doc.setIn(['daemon', 'clientIdPrefix'], clientIdPrefix);
  doc.setIn(['daemon', 'redis'], { url: SHARED_REDIS_URL, keyPrefix: prefix, leases: { enabled: true, ttlMs: 3000, renewMs: 1000 } });
  const r = parseConfigText(doc.toString(), 'local-venues.yaml', env);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  const daemon = createDaemon(r.config, { env, logDestination: discardLogs(), baseDir: dir });
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopped ??= daemon.stop('test finished'));
  cleanup.push(stop);
  const { port } = await daemon.start();
  return { daemon, api: new ApiClient(`http://127.0.0.1:${port}`, TEST_TOKEN), clientIdPrefix, journalDir: join(dir, 'journal'), stop };
}

const venueOf = (health: any, name: string): any => (health.venues as any[]).find((v) => v.name === name);
/** An account's lease events in a journal (lease-taken with its token, lease-lost with the reason), in journal order. */
const leaseEvents = (journalDir: string, account: string) =>
  [...journalEvents(journalDir, 'lease-taken'), ...journalEvents(journalDir, 'lease-lost')]
    .filter((e) => e.account === account).sort((x, y) => x.seq - y.seq);
/** A marketable ETH-USDT buy (the fakes' ETH ladder is around 3000). */
const marketable = (o: Record<string, unknown> = {}) => ({ strategy: 'itest', symbol: 'ETH-USDT', side: 'BUY', price: '3100', quantity: '0.01', ...o });
/** The fake exchanges' orders (both accounts) whose client order id a daemon made. */
const ordersBy = (fakes: FakeVenues, d: LeaseDaemon): number =>
  [...fakes.binance.orders(), ...fakes.okx.orders()].filter((x) => x.clientOrderId.startsWith(d.clientIdPrefix)).length;

/** Submit; the order as the API shows it once final (a synchronous refusal: the error body). */
async function submitAndSettle(api: ApiClient, body: Record<string, unknown>): Promise<any> {
  const r = await api.post('/v1/orders', body);
  if (r.status !== 201) return { httpStatus: r.status, ...r.body };
  return api.waitForState(r.body.orderId, ['FILLED', 'DENIED', 'REJECTED', 'CANCELED', 'EXPIRED'], 10_000);
}

/**
 * Samples a daemon's venues every few ms (in process: the dispatcher's `available` array and each RestartingVenue's
 * state) and records every instant a venue was available to the router while it was not up.
 */
function watchAvailableBeforeUp(daemon: Daemon): { violations: string[]; stop(): void } {
  const violations: string[] = [];
  const timer = setInterval(() => {
    daemon.path.venues.forEach((v, i) => {
      if (daemon.path.dispatcher.available[i] === 1 && v instanceof RestartingVenue && !v.isUp) violations.push(`${v.name}: available while ${v.status().state}`);
    });
  }, 2);
  return { violations, stop: () => clearInterval(timer) };
}

describe('account leases between two daemons on one exchange account', () => {
  test('the second daemon is refused until the first stops, then takes the lease, reconciles and trades', { timeout: 90_000 }, async () => {
    const fakes = await startFakeVenues();
    cleanup.push(() => fakes.close());

    const a = await startLeaseDaemon(fakes, 'lease-a', 'lsa', 'main');
    const healthA = (await a.api.get('/health')).body;
    expect(healthA.redis.leases).toBeDefined();
    const accounts = Object.keys(healthA.redis.leases);
    expect(accounts).toHaveLength(2);
    for (const acc of accounts) expect(healthA.redis.leases[acc]).toMatchObject({ held: true, holder: { daemon: 'lease-a' } });
    const byA = await submitAndSettle(a.api, marketable());
    expect(byA).toMatchObject({ state: 'FILLED' });
    expect(ordersBy(fakes, a)).toBe(1);

    const b = await startLeaseDaemon(fakes, 'lease-b', 'lsb', 'main');
    const health = (await b.api.get('/health')).body;
    expect(health.status).toBe('degraded');
    for (const name of ['local-binance', 'local-okx']) {
      const v = venueOf(health, name);
      expect(v.available).toBe(false);
      expect(v.reason).toMatch(/^VENUE_LEASED: venue local-(binance|okx) \(account (binance|okx):live:[0-9a-f]{16}\): held by daemon lease-a /);
    }
    for (const acc of accounts) expect(health.redis.leases[acc]).toMatchObject({ held: false, holder: { daemon: 'lease-a' } });
    // an order to B is refused with a code, routed or pinned; nothing of B reaches the exchange
    const routed = await submitAndSettle(b.api, marketable());
    // (routed: the router finds no available venue for the symbol -> NO_ROUTE; pinned: VENUE_LEASED, the reason)
    expect(routed).toMatchObject({ httpStatus: 422, error: { code: 'NO_ROUTE' } });
    expect((await b.api.get(`/v1/orders/${routed.orderId}`)).body.state).toBe('DENIED');
    const pinned = await submitAndSettle(b.api, marketable({ venue: 'local-binance' }));
    expect(pinned).toMatchObject({ httpStatus: 503, error: { code: 'VENUE_LEASED', retryable: true } });
    expect(ordersBy(fakes, b)).toBe(0);
    // A is unaffected by B's attempts (its renewals keep the lease)
    await pollUntil(async () => (await b.api.get('/health')).body, (h) => accounts.every((acc) => h.redis.leases[acc].holder?.daemon === 'lease-a'), { timeoutMs: 5000, what: 'B still refused' });
    expect((await submitAndSettle(a.api, marketable())).state).toBe('FILLED');
    expect(ordersBy(fakes, b)).toBe(0);

    // A stops (graceful: its leases are released); B takes them within a few renewals, starts, reconciles, opens
    const watch = watchAvailableBeforeUp(b.daemon);
    cleanup.push(async () => watch.stop());
    await a.stop();
    const open = await pollUntil(async () => (await b.api.get('/health')).body, (h) => h.venues.every((v: any) => v.available === true), { timeoutMs: 15_000, intervalMs: 50, what: 'B took the leases and opened both venues' });
    watch.stop();
    expect(watch.violations).toEqual([]);
    expect(open.status).toBe('ok');
    for (const name of ['local-binance', 'local-okx']) expect(venueOf(open, name)).toMatchObject({ available: true, state: 'up' });
    for (const acc of accounts) expect(open.redis.leases[acc]).toMatchObject({ held: true, holder: { daemon: 'lease-b' } });
    expect(open.redis.leases[accounts[0]!].token).toBeGreaterThan(healthA.redis.leases[accounts[0]!].token);
    const byB = await submitAndSettle(b.api, marketable({ venue: 'local-binance' }));
    expect(byB).toMatchObject({ state: 'FILLED', venue: 'local-binance' });
    expect(ordersBy(fakes, b)).toBe(1);
    // B reconciled each venue before opening it (the journal's venue-opened records)
    await b.stop();
    expect(journalEvents(b.journalDir, 'venue-opened').map((e) => e.venue).sort()).toEqual(['local-binance', 'local-okx']);
    // each daemon's journal holds the leases it took, with their fencing tokens (A's first taken before its journal
    // opened); a renewal that missed its deadline while the daemon started (a slow machine) shows as lost and taken again
    for (const [d, tokens] of [[b, open], [a, healthA]] as const) {
      for (const acc of accounts) {
        const seen = leaseEvents(d.journalDir, acc);
        expect(seen[0]?.event).toBe('lease-taken');
        expect(seen.map((e) => e.event)).toEqual(seen.map((_, k) => (k % 2 === 0 ? 'lease-taken' : 'lease-lost')));
        if (d === b) expect(seen.at(-1)).toMatchObject({ event: 'lease-taken', token: tokens.redis.leases[acc].token });
      }
    }
  });

  test('a daemon with another API key trades the same exchange at once: another account, no conflict', { timeout: 60_000 }, async () => {
    const fakes = await startFakeVenues();
    cleanup.push(() => fakes.close());
    const a = await startLeaseDaemon(fakes, 'lease-a', 'lsa', 'main');
    const c = await startLeaseDaemon(fakes, 'lease-c', 'lsc', 'other');
    const ha = (await a.api.get('/health')).body;
    const hc = (await c.api.get('/health')).body;
    expect(hc.status).toBe('ok');
    expect(hc.venues.every((v: any) => v.available === true)).toBe(true);
    const accountsA = Object.keys(ha.redis.leases);
    const accountsC = Object.keys(hc.redis.leases);
    expect(accountsC).toHaveLength(2);
    expect(accountsC.filter((x) => accountsA.includes(x))).toEqual([]);
    for (const acc of accountsC) expect(hc.redis.leases[acc]).toMatchObject({ held: true, holder: { daemon: 'lease-c' } });
    expect((await submitAndSettle(c.api, marketable({ venue: 'local-binance' }))).state).toBe('FILLED');
    expect((await submitAndSettle(a.api, marketable({ venue: 'local-binance' }))).state).toBe('FILLED');
    expect(fakes.binance.orders({ account: 'other' }).filter((x) => x.clientOrderId.startsWith('lsc'))).toHaveLength(1);
    expect(fakes.binance.orders({ account: 'main' }).filter((x) => x.clientOrderId.startsWith('lsa'))).toHaveLength(1);
  });

  test('a refused daemon that stops while waiting leaves the holder\'s lease alone', { timeout: 60_000 }, async () => {
    const fakes = await startFakeVenues();
    cleanup.push(() => fakes.close());
    const a = await startLeaseDaemon(fakes, 'lease-a', 'lsa', 'main');
    const tokens = (await a.api.get('/health')).body.redis.leases;
    const b = await startLeaseDaemon(fakes, 'lease-b', 'lsb', 'main');
    expect((await b.api.get('/health')).body.venues.every((v: any) => v.available === false)).toBe(true);
    await b.stop();
    // A keeps renewing the same leases (same tokens) past a full ttl, and trades
    const since = Date.now();
    const later = await pollUntil(async () => (await a.api.get('/health')).body.redis.leases, (l) => Object.values(l).every((x: any) => x.lastRenewedAt > since + 3000), { timeoutMs: 10_000, intervalMs: 100, what: 'A renewing past a ttl' });
    for (const [acc, l] of Object.entries(tokens)) expect(later[acc]).toMatchObject({ held: true, token: (l as any).token });
    expect((await submitAndSettle(a.api, marketable())).state).toBe('FILLED');
    expect(ordersBy(fakes, b)).toBe(0);
  });

  test('a lease taken by another holder mid-run closes the venue at once; it reopens when the lease is ours again', { timeout: 60_000 }, async () => {
    const fakes = await startFakeVenues();
    cleanup.push(() => fakes.close());
    const a = await startLeaseDaemon(fakes, 'lease-a', 'lsa', 'main');
    const before = (await a.api.get('/health')).body;
    const account = Object.keys(before.redis.leases).find((x) => x.startsWith('binance:'))!;
    // another holder overwrites the lease (as a daemon would after A's lease expired), for 2.5 s
    const intruder = { daemon: 'intruder', host: 'elsewhere', pid: 1, token: 1_000_000, since: Date.now() };
    const c = createClient({ url: SHARED_REDIS_URL });
    c.on('error', () => undefined);
    await c.connect();
    try {
      await c.set(`${prefix}lease:${account}`, JSON.stringify(intruder), { PX: 2500 });
    } finally {
      await c.close();
    }
    const lost = await pollUntil(async () => (await a.api.get('/health')).body, (h) => venueOf(h, 'local-binance').available === false, { timeoutMs: 5000, intervalMs: 20, what: 'local-binance closed on the lost lease' });
    expect(venueOf(lost, 'local-binance').reason).toMatch(/^VENUE_LEASED: .*daemon intruder/);
    expect(venueOf(lost, 'local-okx').available).toBe(true);
    const pinned = await submitAndSettle(a.api, marketable({ venue: 'local-binance' }));
    expect(pinned).toMatchObject({ httpStatus: 503, error: { code: 'VENUE_LEASED' } });
    const routed = await submitAndSettle(a.api, marketable());
    expect(routed).toMatchObject({ state: 'FILLED', venue: 'local-okx' });
    // the intruder's lease expires: A takes it again (a token above the intruder's) and the venue reopens
    const back = await pollUntil(async () => (await a.api.get('/health')).body, (h) => venueOf(h, 'local-binance').available === true, { timeoutMs: 10_000, intervalMs: 50, what: 'local-binance reopened' });
    expect(back.redis.leases[account]).toMatchObject({ held: true, holder: { daemon: 'lease-a' } });
    expect(back.redis.leases[account].token).toBeGreaterThan(intruder.token);
    expect(await submitAndSettle(a.api, marketable({ venue: 'local-binance' }))).toMatchObject({ state: 'FILLED', venue: 'local-binance' });
    // the journal says it in order: taken at start, lost to the intruder, taken again with a higher token
    await a.stop();
    const seen = leaseEvents(a.journalDir, account);
    expect(seen.map((e) => e.event)).toEqual(seen.map((_, k) => (k % 2 === 0 ? 'lease-taken' : 'lease-lost')));
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(seen.at(-2)!.reason).toMatch(/intruder/);
    expect(seen.at(-1)).toMatchObject({ event: 'lease-taken', token: back.redis.leases[account].token });
  });
});
