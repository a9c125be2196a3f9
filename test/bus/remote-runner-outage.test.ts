/**
 * A remote strategy (src/bus/remote-strategy.ts over src/bus/client.ts) when its Redis goes away: a private
 * redis-server of the test's own (test/helpers/redis-server.ts), killed for an outage longer than the client's
 * timeout, or stopped (SIGSTOP: the connection stays up, nothing answers).
 *
 *  - A submit made while Redis is unreachable for longer than the client's timeout was never written: nothing can
 *    execute it, so its seq must still come to an end for the strategy (a REFUSED, as a worker's refused record),
 *    not wait forever for events that cannot come.
 *  - stop() is bounded (its doc: "waits for its commands' answers (bounded), closes the client"): a Redis that stops
 *    answering must not keep the process from stopping (SIGTERM of the example process runs it).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from 'redis';
import type { ChildProcess } from 'node:child_process';
import { BusKeys } from '../../src/bus/protocol.js';
import { runRemoteStrategy, type RemoteStrategyHandle } from '../../src/bus/remote-strategy.js';
import type { StrategyContext, StrategyEvent } from '../../src/strategy/sdk.js';
import { PrivateRedis, uniquePrefix } from '../helpers/redis-server.js';
import { pollUntil } from '../helpers/poll.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

async function privateRedis(): Promise<PrivateRedis> {
  const r = await PrivateRedis.start();
  cleanups.push(async () => {
    const proc = (r as unknown as { proc?: ChildProcess }).proc;
    if (proc?.pid !== undefined && proc.exitCode === null && proc.signalCode === null) process.kill(proc.pid, 'SIGCONT');
    await r.stop();
  });
  return r;
}

async function writeConfig(url: string, keys: BusKeys): Promise<void> {
  const c = createClient({ url });
  c.on('error', () => undefined);
  await c.connect();
  await c.set(keys.config, JSON.stringify({
    daemon: 'test',
    instruments: [{ symbol: 'BTC-USDT', base: 'BTC', quote: 'USDT', tickSize: '0.01', lotSize: '0.001', minQty: '0.001', minNotional: '5' }],
    venues: ['sim-a'],
    strategies: { rs: { symbols: ['BTC-USDT'], params: {} } },
  }));
  await c.close();
}

async function startRunner(url: string, keys: BusKeys, extra: { timeoutMs?: number; stopTimeoutMs?: number } = {}): Promise<{ run: RemoteStrategyHandle; ctx: StrategyContext; events: StrategyEvent[]; warnings: Record<string, unknown>[] }> {
  const events: StrategyEvent[] = [];
  const warnings: Record<string, unknown>[] = [];
  let ctx!: StrategyContext;
  const run = await runRemoteStrategy((c: StrategyContext) => {
    ctx = c;
    return { onEvent: (e) => void events.push(e) };
  }, { url, keyPrefix: keys.prefix, strategy: 'rs', handleSignals: false, log: { ...quiet, warn: (msg, f) => void warnings.push({ msg, ...f }) }, blockMs: 200, ...extra });
  cleanups.push(async () => {
    await Promise.race([run.stop(), new Promise((resolve) => setTimeout(resolve, 2000))]);
  });
  return { run, ctx, events, warnings };
}

describe('remote strategy: Redis unreachable', () => {
  it('a submit made while Redis is down for longer than the timeout (never written) ends with a REFUSED for its seq', async () => {
    const redis = await privateRedis();
    const keys = new BusKeys(uniquePrefix('remote-outage'));
    await writeConfig(redis.url, keys);
    const { run, ctx, events, warnings } = await startRunner(redis.url, keys, { timeoutMs: 800 });

    await redis.kill();
    // the client's command connection knows Redis is gone (a command in flight at that very moment is another case:
    // whether it reached Redis is unknown)
    await pollUntil(() => warnings.some((w) => w.role === 'client-commands'), (x) => x, { timeoutMs: 10_000, what: 'the command connection down' });
    const r = ctx.submit({ symbol: 'BTC-USDT', side: 'BUY', price: '60000', quantity: '0.002' });
    expect(r).toEqual({ ok: true, seq: 1 });
    // past the client's timeout: the command is no longer waited for (and no write of it was ever possible)
    await pollUntil(() => run.client.stats.inFlight, (n) => n === 0, { timeoutMs: 10_000, what: 'the submit no longer in flight' });
    expect(run.client.stats.sent).toBe(0);
    await redis.restart();

    // nothing can ever execute it (it was never written): the strategy is told, as a worker is told of a refused record
    const end = await pollUntil(() => events.find((e) => e.seq === 1 && e.terminal), (e) => e !== undefined,
      { timeoutMs: 5000, what: 'a terminal event for seq 1 (the submit that was never written)' });
    expect(end).toMatchObject({ kind: 'REFUSED', orderId: 0, terminal: true });
    expect(events.filter((e) => e.seq === 1).map((e) => e.kind)).toEqual(['REFUSED']);
    // and no command reached Redis later on
    const c = createClient({ url: redis.url });
    c.on('error', () => undefined);
    await c.connect();
    expect(await c.exists(keys.commands('rs'))).toBe(0);
    await c.close();
  }, 40_000);

  it('stop() ends in bounded time when Redis stops answering (SIGTERM of a remote strategy process)', async () => {
    const redis = await privateRedis();
    const keys = new BusKeys(uniquePrefix('remote-frozen'));
    await writeConfig(redis.url, keys);
    const { run, ctx } = await startRunner(redis.url, keys, { timeoutMs: 60_000, stopTimeoutMs: 300 });
    const proc = (redis as unknown as { proc: ChildProcess }).proc;

    process.kill(proc.pid!, 'SIGSTOP'); // connections stay open; nothing answers
    expect(ctx.submit({ symbol: 'BTC-USDT', side: 'BUY', price: '60000', quantity: '0.002' })).toEqual({ ok: true, seq: 1 });
    const t0 = Date.now();
    const stopped = await Promise.race([
      run.stop().then(() => 'stopped'),
      new Promise<string>((resolve) => setTimeout(() => resolve('still stopping after 5 s'), 5000)),
    ]);
    expect(stopped).toBe('stopped');
    expect(Date.now() - t0).toBeLessThan(5000);
  }, 40_000);
});

describe('remote strategy: stop() is bounded as a worker\'s is', () => {
  it('a strategy stop() hook that never settles does not keep the runner from stopping (stopTimeoutMs)', async () => {
    // sdk.ts: stop() "Awaited up to the stop timeout" — the worker host terminates a worker that does not end in time
    const redis = await privateRedis();
    const keys = new BusKeys(uniquePrefix('remote-stop-hook'));
    await writeConfig(redis.url, keys);
    let stopCalled = 0;
    const run = await runRemoteStrategy(() => ({
      stop: () => {
        stopCalled++;
        return new Promise<void>(() => undefined); // never settles
      },
    }), { url: redis.url, keyPrefix: keys.prefix, strategy: 'rs', handleSignals: false, log: quiet, blockMs: 200, stopTimeoutMs: 300 });
    cleanups.push(async () => {
      await Promise.race([run.stop(), new Promise((resolve) => setTimeout(resolve, 2000))]);
    });
    const stopped = await Promise.race([
      run.stop().then(() => 'stopped'),
      new Promise<string>((resolve) => setTimeout(() => resolve('still stopping after 5 s'), 5000)),
    ]);
    expect(stopCalled).toBe(1);
    expect(stopped).toBe('stopped');
    expect(run.client.stats.inFlight).toBe(0);
  }, 30_000);
});
