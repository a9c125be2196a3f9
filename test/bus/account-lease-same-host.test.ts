/*
 * The take-over of "a dead earlier run of this daemon" must not make two live daemons
 * take an account from each other again and again. Two containers of one configuration with the same hostname (a
 * compose file's `hostname:`, host networking) both run the daemon as pid 1: each sees the other's lease as its own
 * dead earlier run (same name, same host, our own pid). Shared Redis, keys under a unique prefix, deleted afterwards.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { AccountLeases } from '../../src/bus/account-lease.js';
import { BusKeys } from '../../src/bus/protocol.js';
import { redisConnection, redisSettings, type RedisConnection } from '../../src/bus/redis-connection.js';
import { systemClock } from '../../src/model/clock.js';
import { deletePrefix, SHARED_REDIS_URL, uniquePrefix } from '../helpers/redis-server.js';

const silent = { info: () => undefined, warn: () => undefined };
const prefix = uniquePrefix('lease-same-host');
const keys = new BusKeys(prefix);
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
});
afterAll(async () => {
  await deletePrefix(SHARED_REDIS_URL, prefix);
});

async function connection(): Promise<RedisConnection> {
  const c = redisConnection(redisSettings(SHARED_REDIS_URL, {}), { role: 'leases', log: silent, maxBackoffMs: 100, connectTimeoutMs: 500 });
  cleanups.push(() => c.close());
  await c.connect();
  return c;
}

/** A daemon "alpha" on host "node1" running as pid 1 (a container), with its data directory's instance id. */
async function containerDaemon(instance = 'a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1'): Promise<{ leases: AccountLeases; lost: string[]; acquired: number[] }> {
  const lost: string[] = [];
  const acquired: number[] = [];
  const l = new AccountLeases({
    connection: await connection(), keys, daemon: 'alpha', host: 'node1', pid: 1, instance, ttlMs: 3000, renewMs: 1000, clock: systemClock, log: silent,
    onLost: (_a, reason) => lost.push(reason),
    onAcquired: (_a, token) => acquired.push(token),
  });
  cleanups.push(() => l.release());
  return { leases: l, lost, acquired };
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('take-over of an earlier run', () => {
  it('a daemon that lost its lease to a live holder does not take it back while that holder keeps renewing', { timeout: 20_000 }, async () => {
    const account = `binance:testnet:probe${Math.floor(Math.random() * 1e9).toString(36)}`;
    const a = await containerDaemon();
    expect((await a.leases.acquire(account)).ok).toBe(true);
    // the same instance (the container restarted with its data directory) while a still runs: b cannot tell it from a
    // dead earlier run and takes the lease (the documented take-over; two live ones cannot share a journal)
    const b = await containerDaemon();
    expect((await b.leases.acquire(account)).ok).toBe(true);
    // a finds out at its next renewal; from then on b renews every second: the lease must stay b's
    await pause(4500);
    expect({ aHolds: a.leases.holds(account), aRetook: a.acquired.length, bLost: b.lost },
      'the two daemons keep taking the account from each other').toEqual({ aHolds: false, aRetook: 0, bLost: [] });
    expect(a.lost.length).toBe(1);
  });

  it('a sibling container (same name, hostname and pid 1, its own data directory) is refused and names the holder', { timeout: 20_000 }, async () => {
    const account = `binance:testnet:probe${Math.floor(Math.random() * 1e9).toString(36)}`;
    const a = await containerDaemon('a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1');
    expect((await a.leases.acquire(account)).ok).toBe(true);
    const b = await containerDaemon('b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2');
    const r = await b.leases.acquire(account);
    expect(r.ok).toBe(false);
    expect(r.ok ? undefined : r.holder).toMatchObject({ daemon: 'alpha', host: 'node1', pid: 1, instance: 'a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1' });
    expect(b.leases.counters.takeovers).toBe(0);
    await pause(1500);
    expect({ aHolds: a.leases.holds(account), aLost: a.lost, bHolds: b.leases.holds(account) }).toEqual({ aHolds: true, aLost: [], bHolds: false });
  });

  it('a holder value without an instance (an older daemon) is not taken over by one that has one', { timeout: 20_000 }, async () => {
    const account = `binance:testnet:probe${Math.floor(Math.random() * 1e9).toString(36)}`;
    const c = await connection();
    await c.client.set(keys.lease(account), JSON.stringify({ daemon: 'alpha', host: 'node1', pid: 1, token: 1, since: Date.now() }), { PX: 3000 });
    const b = await containerDaemon();
    const r = await b.leases.acquire(account);
    expect(r.ok).toBe(false);
    expect(b.leases.counters.takeovers).toBe(0);
  });
});
