/**
 * Account leases (src/bus/account-lease.ts) against real Redis: the shared server on 127.0.0.1:6379 (keys under a
 * prefix of this run) and a private redis-server this file kills and restarts. A TCP proxy (test/helpers/redis-proxy.ts)
 * stands between one daemon and Redis to cut that daemon off (its commands get no answer) while Redis stays up.
 */
import { spawn } from 'node:child_process';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { AccountLeases, parseHolder, venueAccountId, type AccountLeasesOptions, type LeaseHolder } from '../../src/bus/account-lease.js';
import { BusKeys } from '../../src/bus/protocol.js';
import { redisConnection, redisSettings, type RedisConnection } from '../../src/bus/redis-connection.js';
import { parseConfigText } from '../../src/config/index.js';
import { VenueSchema, type VenueConfig } from '../../src/config/venue-schema.js';
import { systemClock } from '../../src/model/clock.js';
import { SwitchyardError } from '../../src/model/errors.js';
import { pollUntil } from '../helpers/poll.js';
import { redisProxy } from '../helpers/redis-proxy.js';
import { deletePrefix, PrivateRedis, SHARED_REDIS_URL, uniquePrefix } from '../helpers/redis-server.js';

const TTL = 1500;
const RENEW = 300;
const silent = { info: () => undefined, warn: () => undefined };
const prefix = uniquePrefix('lease');
const keys = new BusKeys(prefix);

interface Recorded {
  lost: { account: string; reason: string; at: number }[];
  acquired: { account: string; token: number; at: number }[];
  refused: { account: string; holder: LeaseHolder | undefined; at: number }[];
}

/** Everything a test opened, closed after it (in reverse). */
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
});
afterAll(async () => {
  await deletePrefix(SHARED_REDIS_URL, prefix);
});

async function connection(url: string): Promise<RedisConnection> {
  const c = redisConnection(redisSettings(url, {}), { role: 'leases', log: silent, maxBackoffMs: 100, connectTimeoutMs: 500 });
  cleanups.push(() => c.close());
  await c.connect();
  return c;
}

function leases(conn: RedisConnection, daemon: string, extra: Partial<AccountLeasesOptions> = {}): { leases: AccountLeases; rec: Recorded } {
  const rec: Recorded = { lost: [], acquired: [], refused: [] };
  const l = new AccountLeases({
    connection: conn, keys, daemon, host: 'test-host', pid: process.pid, ttlMs: TTL, renewMs: RENEW, clock: systemClock, log: silent,
    onLost: (account, reason) => rec.lost.push({ account, reason, at: Date.now() }),
    onAcquired: (account, token) => rec.acquired.push({ account, token, at: Date.now() }),
    onRefused: (account, holder) => rec.refused.push({ account, holder, at: Date.now() }),
    ...extra,
  });
  cleanups.push(() => l.release());
  return { leases: l, rec };
}

let accounts = 0;
const account = (): string => `binance:testnet:acct${++accounts}`;

async function raw(url = SHARED_REDIS_URL): Promise<RedisConnection> {
  return connection(url);
}

describe('account leases: one daemon per account', () => {
  it('refuses a second daemon and names the holder; the second takes it once the first releases', { timeout: 15_000 }, async () => {
    const acct = account();
    const a = leases(await connection(SHARED_REDIS_URL), 'alpha');
    const b = leases(await connection(SHARED_REDIS_URL), 'beta');
    const ra = await a.leases.acquire(acct);
    expect(ra.ok).toBe(true);
    const t1 = ra.ok ? ra.token : -1;

    const rb = await b.leases.acquire(acct);
    expect(rb.ok).toBe(false);
    if (rb.ok) return;
    expect(rb.holder).toEqual({ daemon: 'alpha', host: 'test-host', pid: process.pid, token: t1, since: expect.any(Number) });
    expect(b.leases.status()[acct]).toMatchObject({ held: false, token: undefined, holder: { daemon: 'alpha', token: t1 } });
    expect(a.leases.status()[acct]).toMatchObject({ held: true, token: t1, holder: { daemon: 'alpha' } });
    // the holder JSON in Redis is what the protocol says
    const r = await raw();
    expect(parseHolder((await r.client.get(keys.lease(acct)))!)).toMatchObject({ daemon: 'alpha', token: t1 });

    await a.leases.release();
    expect(await r.client.exists(keys.lease(acct))).toBe(0); // our own lease is deleted
    const got = await pollUntil(() => b.rec.acquired, (x) => x.length > 0, { timeoutMs: 5000, what: 'beta takes the lease' });
    expect(got[0]).toMatchObject({ account: acct });
    expect(got[0]!.token).toBeGreaterThan(t1);
    expect(b.leases.status()[acct]).toMatchObject({ held: true, token: got[0]!.token });
    expect(parseHolder((await r.client.get(keys.lease(acct)))!)).toMatchObject({ daemon: 'beta', token: got[0]!.token });
    expect(b.rec.refused).toEqual([]); // acquire()'s own refusal is its result, not a callback
    expect(a.rec.lost).toEqual([]);
  });

  it('a holder that stops renewing (its Redis connection gone) reports LOST before the second daemon takes the account', { timeout: 15_000 }, async () => {
    const acct = account();
    const connA = await connection(SHARED_REDIS_URL);
    const a = leases(connA, 'alpha');
    const b = leases(await connection(SHARED_REDIS_URL), 'beta');
    const ra = await a.leases.acquire(acct);
    expect(ra.ok).toBe(true);
    expect((await b.leases.acquire(acct)).ok).toBe(false);
    const stoppedAt = Date.now();
    await connA.close(); // alpha can no longer renew

    const got = await pollUntil(() => b.rec.acquired, (x) => x.length > 0, { timeoutMs: TTL + 3000, what: 'beta takes the expired lease' });
    // not before the lease expired: at least a TTL after alpha's last renewal, which was before it stopped
    expect(got[0]!.at).toBeGreaterThanOrEqual(stoppedAt + TTL - RENEW - 5);
    expect(a.rec.lost).toHaveLength(1);
    expect(a.rec.lost[0]!.at).toBeLessThanOrEqual(got[0]!.at);
    expect(a.leases.status()[acct]).toMatchObject({ held: false, token: undefined });
    expect(got[0]!.token).toBeGreaterThan(ra.ok ? ra.token : Infinity);
  });

  it('a holder cut off from Redis for longer than the TTL reports LOST while the key still exists', { timeout: 15_000 }, async () => {
    const acct = account();
    const proxy = await redisProxy();
    cleanups.push(() => proxy.close());
    const connA = await connection(proxy.url);
    const a = leases(connA, 'alpha');
    // closed again before alpha's release and connection (cleanups run in reverse): its hung commands then fail at once
    cleanups.push(() => proxy.close());
    const b = leases(await connection(SHARED_REDIS_URL), 'beta');
    const ra = await a.leases.acquire(acct);
    expect(ra.ok).toBe(true);
    await pollUntil(() => a.leases.counters.renewals, (n) => n >= 2, { timeoutMs: 5000, what: 'renewals through the forwarder' });
    expect((await b.leases.acquire(acct)).ok).toBe(false);

    const r = await raw();
    const ours = await r.client.get(keys.lease(acct));
    const cutAt = Date.now();
    proxy.blackhole(); // alpha's renewals get no answer: neither an error nor a success
    // watch the key: the last time it was still alpha's is a moment no other daemon could have taken the account
    let lastStillOurs = cutAt;
    await pollUntil(async () => {
      const now = Date.now();
      const v = await r.client.get(keys.lease(acct));
      if (v === ours) lastStillOurs = now;
      return v === ours;
    }, (still) => !still, { timeoutMs: TTL + 3000, intervalMs: 5, what: 'the lease expires in Redis' });

    expect(a.rec.lost).toHaveLength(1);
    const lostAt = a.rec.lost[0]!.at;
    expect(lostAt).toBeLessThanOrEqual(lastStillOurs);
    // and not spuriously early: the deadline (TTL - RENEW after the last renewal sent, which was at most RENEW before the cut)
    expect(lostAt - cutAt).toBeGreaterThanOrEqual(TTL - 2 * RENEW - 5);
    const got = await pollUntil(() => b.rec.acquired, (x) => x.length > 0, { timeoutMs: 3000, what: 'beta takes the lease' });
    expect(got[0]!.at).toBeGreaterThanOrEqual(lostAt);
  });

  it('fencing tokens strictly increase across holders', { timeout: 15_000 }, async () => {
    const acct = account();
    const conn = await connection(SHARED_REDIS_URL);
    const a = leases(conn, 'alpha');
    const b = leases(await connection(SHARED_REDIS_URL), 'beta');
    const tokens: number[] = [];
    for (let i = 0; i < 3; i++) {
      const x = await a.leases.acquire(acct);
      expect(x.ok).toBe(true);
      if (x.ok) tokens.push(x.token);
      await a.leases.release(acct);
      const y = await b.leases.acquire(acct);
      expect(y.ok).toBe(true);
      if (y.ok) tokens.push(y.token);
      await b.leases.release(acct);
    }
    for (let i = 1; i < tokens.length; i++) expect(tokens[i]).toBeGreaterThan(tokens[i - 1]!);
    expect(Number(await conn.client.get(keys.leaseFence(acct)))).toBe(tokens.at(-1));
  });

  it('renewal keeps the lease across several TTLs while a second daemon keeps asking', { timeout: 15_000 }, async () => {
    const acct = account();
    const a = leases(await connection(SHARED_REDIS_URL), 'alpha');
    const b = leases(await connection(SHARED_REDIS_URL), 'beta');
    const ra = await a.leases.acquire(acct);
    expect(ra.ok).toBe(true);
    expect((await b.leases.acquire(acct)).ok).toBe(false);
    const r = await raw();
    // the key itself lives only ttlMs: without renewals it would be gone after one TTL (the control)
    const pttl = await r.client.pTTL(keys.lease(acct));
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(TTL);
    const start = Date.now();
    let lapses = 0;
    await pollUntil(() => {
      if (!a.leases.holds(acct)) lapses++;
      return Date.now() - start;
    }, (ms) => ms >= 3 * TTL, { timeoutMs: 3 * TTL + 3000, intervalMs: 50, what: 'three TTLs' });
    expect(lapses).toBe(0);
    expect(a.leases.status()[acct]).toMatchObject({ held: true, token: ra.ok ? ra.token : -1 });
    expect(a.leases.counters.renewals).toBeGreaterThanOrEqual(Math.floor((3 * TTL) / RENEW) - 2);
    expect(a.rec.lost).toEqual([]);
    expect(b.rec.acquired).toEqual([]);
    expect(b.leases.counters.refusals).toBeGreaterThanOrEqual(5);
    expect(b.rec.refused).toEqual([]); // the same holder is not reported again
    expect(a.leases.status()[acct]!.lastRenewedAt).toBeGreaterThan(start);
  });

  it('a lease overwritten by another holder is LOST at the next renewal, and release() leaves the other holder alone', { timeout: 15_000 }, async () => {
    const acct = account();
    const a = leases(await connection(SHARED_REDIS_URL), 'alpha');
    const ra = await a.leases.acquire(acct);
    expect(ra.ok).toBe(true);
    const r = await raw();
    const other = JSON.stringify({ daemon: 'mallory', host: 'elsewhere', pid: 4242, token: 999, since: Date.now() });
    await r.client.set(keys.lease(acct), other, { expiration: { type: 'PX', value: 60_000 } });
    const lost = await pollUntil(() => a.rec.lost, (x) => x.length > 0, { timeoutMs: 3000, what: 'alpha loses the lease' });
    expect(lost[0]!.account).toBe(acct);
    expect(a.leases.status()[acct]).toMatchObject({ held: false, holder: { daemon: 'mallory', token: 999 } });
    // retries are refused by mallory, reported once
    await pollUntil(() => a.leases.counters.refusals, (n) => n >= 3, { timeoutMs: 5000, what: 'refused retries' });
    expect(a.rec.refused).toHaveLength(1);
    expect(a.rec.refused[0]!.holder).toMatchObject({ daemon: 'mallory', token: 999 });
    await a.leases.release();
    expect(await r.client.get(keys.lease(acct))).toBe(other); // compare-and-delete: not ours, not deleted
  });

  it('takes over the lease of a dead earlier run of the same daemon on the same host, and only that', { timeout: 15_000 }, async () => {
    const dead = spawn('true');
    const deadPid = dead.pid!;
    await new Promise((resolve) => dead.once('exit', resolve));
    const alive = spawn('sleep', ['30']);
    cleanups.push(async () => void alive.kill('SIGKILL'));
    const r = await raw();
    const plant = async (acct: string, h: Partial<LeaseHolder>): Promise<void> => {
      const v = JSON.stringify({ daemon: 'alpha', host: 'test-host', pid: deadPid, token: 7, since: 1, ...h });
      await r.client.set(keys.lease(acct), v, { expiration: { type: 'PX', value: 60_000 } });
      await r.client.set(keys.leaseFence(acct), '7');
    };
    const a = leases(await connection(SHARED_REDIS_URL), 'alpha', { pid: process.pid });

    const deadRun = account();
    await plant(deadRun, {});
    const x = await a.leases.acquire(deadRun);
    expect(x).toEqual({ ok: true, token: 8 });
    expect(a.leases.counters.takeovers).toBe(1);

    // controls: a live pid, another host, another daemon name: respected until it expires
    for (const h of [{ pid: alive.pid! }, { host: 'other-host' }, { daemon: 'beta' }]) {
      const acct = account();
      await plant(acct, h);
      const y = await a.leases.acquire(acct);
      expect(y.ok, JSON.stringify(h)).toBe(false);
      if (!y.ok) expect(y.holder).toMatchObject({ token: 7, ...h });
    }
    expect(a.leases.counters.takeovers).toBe(1);
  });

  it('Redis down for longer than the TTL: LOST while it is down, no later than the expiry; taken again with a higher token when it is back', { timeout: 20_000 }, async () => {
    const redis = await PrivateRedis.start();
    cleanups.push(() => redis.stop());
    const acct = account();
    const a = leases(await connection(redis.url), 'alpha');
    const ra = await a.leases.acquire(acct);
    expect(ra.ok).toBe(true);
    const t1 = ra.ok ? ra.token : Infinity;
    await pollUntil(() => a.leases.counters.renewals, (n) => n >= 2, { timeoutMs: 5000, what: 'renewals' });

    const killedAt = Date.now();
    await redis.kill();
    const lost = await pollUntil(() => a.rec.lost, (x) => x.length > 0, { timeoutMs: TTL + 3000, what: 'LOST during the outage' });
    const lostAt = lost[0]!.at;
    const lastRenewedAt = a.leases.status()[acct]!.lastRenewedAt!;
    expect(lastRenewedAt).toBeLessThanOrEqual(killedAt);
    // Redis set the last TTL after that renewal was sent: the key lives until lastRenewedAt + TTL at the earliest
    expect(lostAt).toBeLessThanOrEqual(lastRenewedAt + TTL);
    expect(lostAt).toBeLessThan(killedAt + TTL);
    expect(a.leases.holds(acct)).toBe(false);

    // the outage lasts longer than the TTL
    await pollUntil(() => Date.now(), (now) => now > killedAt + TTL + RENEW, { timeoutMs: TTL + 2 * RENEW + 1000, intervalMs: 20, what: 'the outage outlasts the TTL' });
    expect(a.rec.acquired).toEqual([]);
    await redis.restart(); // an empty Redis: the fence counter is gone too
    const got = await pollUntil(() => a.rec.acquired, (x) => x.length > 0, { timeoutMs: 8000, what: 'alpha takes the lease again' });
    expect(got[0]!.token).toBeGreaterThan(t1);
    expect(a.leases.status()[acct]).toMatchObject({ held: true, token: got[0]!.token });
    const b = leases(await connection(redis.url), 'beta');
    const rb = await b.leases.acquire(acct);
    expect(rb.ok).toBe(false);
    if (!rb.ok) expect(rb.holder).toMatchObject({ daemon: 'alpha', token: got[0]!.token });
  });

  it('acquire() with Redis unreachable answers at once and keeps trying', { timeout: 15_000 }, async () => {
    const redis = await PrivateRedis.start();
    cleanups.push(() => redis.stop());
    const conn = await connection(redis.url);
    await redis.kill();
    const acct = account();
    const a = leases(conn, 'alpha');
    const x = await a.leases.acquire(acct);
    expect(x.ok).toBe(false);
    if (!x.ok) expect(x.holder).toBeUndefined();
    await redis.restart();
    const got = await pollUntil(() => a.rec.acquired, (x) => x.length > 0, { timeoutMs: 8000, what: 'acquired once Redis is back' });
    expect(got[0]!.account).toBe(acct);
  });

  it('rejects renewMs above a third of ttlMs', () => {
    // never connected: no socket is opened
    const conn = redisConnection(redisSettings(SHARED_REDIS_URL, {}), { role: 'leases', log: silent });
    expect(() => new AccountLeases({ connection: conn, keys, daemon: 'x', ttlMs: 1000, renewMs: 400, clock: systemClock, log: silent })).toThrow(SwitchyardError);
    expect(() => new AccountLeases({ connection: conn, keys, daemon: 'x', ttlMs: 1200, renewMs: 400, clock: systemClock, log: silent })).not.toThrow();
  });
});

describe('venueAccountId', () => {
  const KEY = 'vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A';
  const venue = (v: Record<string, unknown>): VenueConfig => VenueSchema.parse({ symbols: ['BTC-USDT'], ...v });
  const binance = (name: string, adapter: string, apiKey: string, extra: Record<string, unknown> = {}): VenueConfig =>
    venue({ name, adapter, exchange: 'binance', credentials: { apiKey, secret: 's' }, ...extra });

  it('same exchange, environment and key: the same account, whatever the venue is called and whichever adapter', () => {
    const id = venueAccountId(binance('bn-main', 'ccxt', KEY), {});
    expect(id).toMatch(/^binance:live:[0-9a-f]{16}$/);
    expect(venueAccountId(binance('binance-ws-1', 'binance-ws', KEY, { urls: { rest: 'http://127.0.0.1:9001' } }), {})).toBe(id);
  });

  it('different keys, environments or exchanges: different accounts', () => {
    const id = venueAccountId(binance('a', 'ccxt', KEY), {});
    expect(venueAccountId(binance('a', 'ccxt', KEY + 'x'), {})).not.toBe(id);
    const testnet = venueAccountId(binance('a', 'ccxt', KEY, { sandbox: true }), {});
    expect(testnet).toMatch(/^binance:testnet:/);
    expect(testnet).not.toBe(id);
    const okx = venueAccountId(venue({ name: 'o', adapter: 'okx-ws', exchange: 'okx', sandbox: true, credentials: { apiKey: KEY, secret: 's', passphrase: 'p' } }), {});
    expect(okx).toMatch(/^okx:sandbox:/);
    expect(okx!.split(':')[2]).toBe(id!.split(':')[2]); // the key's hash; the exchange tells them apart
    expect(okx).not.toBe(id);
  });

  it('paper and market-data-only venues have no account', () => {
    expect(venueAccountId(venue({ name: 'sim', adapter: 'paper' }), {})).toBeUndefined();
    expect(venueAccountId(venue({ name: 'md', adapter: 'binance-ws', exchange: 'binance', trading: false }), {})).toBeUndefined();
  });

  it('never contains the key or a piece of it', () => {
    const id = venueAccountId(binance('a', 'ccxt', KEY), {})!;
    for (let i = 0; i + 6 <= KEY.length; i++) expect(id).not.toContain(KEY.slice(i, i + 6));
  });

  it('resolves credentials written as env references, as the loader does (same id as the loaded configuration)', () => {
    const yaml = `
venues:
  - name: spot
    adapter: binance-ws
    exchange: binance
    symbols: [BTC-USDT]
    credentials:
      apiKey: \${BN_KEY}
      secret: \${BN_SECRET}
instruments:
  - { symbol: BTC-USDT, tickSize: "0.01", lotSize: "0.00001" }
`;
    const env = { BN_KEY: KEY, BN_SECRET: 'shh' };
    const loaded = parseConfigText(yaml, 'lease.yaml', env);
    if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('; '));
    const fromLoaded = venueAccountId(loaded.config.venues[0]!, {});
    expect(fromLoaded).toBe(venueAccountId(binance('x', 'ccxt', KEY), {}));
    expect(venueAccountId(binance('x', 'ccxt', '${BN_KEY}'), env)).toBe(fromLoaded);
    expect(() => venueAccountId(binance('x', 'ccxt', '${BN_KEY}'), {})).toThrow(SwitchyardError);
  });
});
