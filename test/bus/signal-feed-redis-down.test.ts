/**
 * The signal feed (src/bus/signal-feed.ts) when Redis is not there as the daemon starts. The daemon awaits
 * SignalFeed.start() before it opens its API and its intake (src/daemon.ts startEnhancers): a start that never settles
 * while Redis is down holds the whole daemon (no API, no health, no orders) for as long as Redis is down, for signals
 * that only ever adjust orders. It must settle in bounded time and the feed must pick the signals up once Redis is up.
 */
import { createClient } from 'redis';
import { afterEach, describe, expect, it } from 'vitest';
import { SignalFeed } from '../../src/bus/signal-feed.js';
import { redisSettings } from '../../src/bus/redis-connection.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { pollUntil } from '../helpers/poll.js';
import { PrivateRedis } from '../helpers/redis-server.js';

const quiet = createLogger('warn', 'test', { write: () => {} });
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('SignalFeed.start with Redis down', () => {
  it('settles within a bounded time (the daemon waits for it), and signals flow once Redis is up', { timeout: 40_000 }, async () => {
    const redis = await PrivateRedis.start();
    cleanups.push(() => redis.stop());
    await redis.kill(); // down when the daemon starts
    const got: string[] = [];
    const feed = new SignalFeed({
      settings: redisSettings(redis.url, {}), keyPrefix: 'p:', symbols: ['BTC-USDT'], blockMs: 200, maxBackoffMs: 100,
      sink: (_symbol, fields) => got.push(fields.n ?? ''), log: quiet,
    });
    cleanups.push(() => feed.stop());
    const started = feed.start().then(() => 'resolved', (err: unknown) => `rejected: ${String(err)}`);
    const outcome = await Promise.race([started, new Promise((resolve) => setTimeout(() => resolve('still pending after 10 s'), 10_000))]);
    expect(outcome, 'SignalFeed.start() with Redis down (daemon.ts awaits it before api.listen and intake.open)').toBe('resolved');

    await redis.restart();
    await pollUntil(() => feed.up, (up) => up, { timeoutMs: 15_000, what: 'feed connected' });
    const pub = createClient({ url: redis.url, socket: { reconnectStrategy: false } });
    pub.on('error', () => undefined);
    await pub.connect();
    cleanups.push(async () => { if (pub.isOpen) await pub.close().catch(() => pub.destroy()); });
    // published after the feed connected: it must be read (retried: the feed may fix its start just after the first)
    await pollUntil(async () => {
      await pub.xAdd('p:signals:BTC-USDT', '*', { n: 'up' });
      return got.length;
    }, (n) => n > 0, { timeoutMs: 15_000, intervalMs: 500, what: 'a signal published once Redis is up' });
    expect(got[0]).toBe('up');
  });
});
