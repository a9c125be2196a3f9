/**
 * Signals for order enhancers through real Redis (src/bus/signal-feed.ts): entries of signals:{symbol} reach the
 * enhancers' onSignal in order (from the end of the stream at start, at most `batch` per read), through an outage of a
 * private redis-server; and the design's example enhancer (config/enhancers/prediction.ts), fed by the signal publisher
 * script, makes a BUY marketable and halves sizes under a high risk score on the daemon's own order path, with
 * pre-trade risk still denying what it must.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SignalFeed } from '../../src/bus/signal-feed.js';
import { redisSettings } from '../../src/bus/redis-connection.js';
import { buildOrderPath } from '../../src/compose/order-path.js';
import { toVenueOrders, type OrderBatch, type VenueAdapter, type VenueOrder } from '../../src/execution/venue.js';
import { loadEnhancers } from '../../src/compose/enhancers-from-config.js';
import { OrderEnhancers } from '../../src/intake/order-enhancer.js';
import { systemClock } from '../../src/model/clock.js';
import { PreTradeRisk } from '../../src/risk/pre-trade-risk.js';
import { Router } from '../../src/routing/router.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { intent, testInstruments } from '../helpers/model.js';
import { pollUntil } from '../helpers/poll.js';
import { deletePrefix, PrivateRedis, SHARED_REDIS_URL, uniquePrefix } from '../helpers/redis-server.js';

const run = promisify(execFile);
const quiet = createLogger('warn', 'test', { write: () => {} });
const prefix = uniquePrefix('signals');
const settings = redisSettings(SHARED_REDIS_URL, {});
let client: ReturnType<typeof createClient>;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  client = createClient({ url: SHARED_REDIS_URL });
  client.on('error', () => undefined);
  await client.connect();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(async () => {
  await client.close();
  await deletePrefix(SHARED_REDIS_URL, prefix);
});

/** Enhancers of one strategy (alpha, BTC-USDT and ETH-USDT, signals on) whose onSignal records what it got. */
function recordingEnhancers() {
  const got: { symbol: string; fields: Record<string, string> }[] = [];
  const enhancers = new OrderEnhancers(['alpha', 'beta'], testInstruments(), systemClock, quiet);
  enhancers.add(0, { onSignal: (symbol, fields) => got.push({ symbol, fields: { ...fields } }), enhance: () => {} }, {
    budgetUs: 200, suspendMs: 1000, symbols: ['BTC-USDT', 'ETH-USDT'], signals: true,
  });
  return { got, enhancers };
}

function feedFor(enhancers: OrderEnhancers, url = SHARED_REDIS_URL, keyPrefix = prefix, batch = 256) {
  const feed = new SignalFeed({
    settings: redisSettings(url, {}), keyPrefix, symbols: enhancers.signalSymbols(), batch, blockMs: 200, maxBackoffMs: 100, recheckMs: 200,
    sink: (symbol, fields) => enhancers.feedSignal(symbol, fields), log: quiet,
  });
  cleanups.push(() => feed.stop());
  return feed;
}

describe('SignalFeed', () => {
  it('hands every entry published after start to onSignal, in order, at most `batch` per read', { timeout: 15_000 }, async () => {
    const { got, enhancers } = recordingEnhancers();
    const p = `${prefix}a:`;
    await client.xAdd(`${p}signals:BTC-USDT`, '*', { confidence: '0.1', n: 'before' }); // before start: not replayed
    const feed = feedFor(enhancers, SHARED_REDIS_URL, p, 5);
    await feed.start();
    for (let i = 0; i < 23; i++) await client.xAdd(`${p}signals:BTC-USDT`, '*', { confidence: '0.9', n: String(i) });
    await client.xAdd(`${p}signals:ETH-USDT`, '*', { risk: '0.8', n: 'eth' });
    await client.xAdd(`${p}signals:SOL-USDT`, '*', { risk: '0.8', n: 'sol' }); // no enhancer reads SOL
    await pollUntil(() => got.length, (n) => n >= 24, { timeoutMs: 5000, what: 'signals delivered' });
    expect(got.filter((g) => g.symbol === 'BTC-USDT').map((g) => g.fields.n)).toEqual(Array.from({ length: 23 }, (_, i) => String(i)));
    expect(got.find((g) => g.symbol === 'ETH-USDT')?.fields).toEqual({ risk: '0.8', n: 'eth' });
    expect(got.some((g) => g.fields.n === 'before' || g.fields.n === 'sol')).toBe(false);
    expect(feed.entries).toBe(24);
    // 23 entries of one stream at most 5 per read: at least 5 reads
    expect(feed.reads).toBeGreaterThanOrEqual(5);
  });

  it('goes on through an outage of Redis (reconnects, failed reads counted)', { timeout: 30_000 }, async () => {
    const redis = await PrivateRedis.start();
    cleanups.push(() => redis.stop());
    const { got, enhancers } = recordingEnhancers();
    const feed = feedFor(enhancers, redis.url, 'p:');
    await feed.start();
    const pub = createClient({ url: redis.url, socket: { reconnectStrategy: 50 } });
    pub.on('error', () => undefined);
    await pub.connect();
    cleanups.push(async () => { if (pub.isOpen) await pub.close().catch(() => pub.destroy()); });
    await pub.xAdd('p:signals:BTC-USDT', '*', { n: '1' });
    await pollUntil(() => got.length, (n) => n === 1, { what: 'first signal' });
    await redis.kill();
    await pollUntil(() => feed.readErrors, (n) => n > 0, { what: 'failed reads while down' });
    await redis.restart();
    await pollUntil(() => feed.up, (up) => up, { timeoutMs: 10_000, what: 'feed reconnected' });
    await pollUntil(() => pub.isReady, (r) => r, { timeoutMs: 10_000, what: 'publisher reconnected' });
    await pub.xAdd('p:signals:BTC-USDT', '*', { n: '2' });
    await pollUntil(() => got.length, (n) => n === 2, { timeoutMs: 10_000, what: 'signal after the outage' });
    expect(got.map((g) => g.fields.n)).toEqual(['1', '2']);
    expect(feed.reconnects).toBeGreaterThanOrEqual(1);
  });

  it('a signals key of another type (a publisher that wrote a hash, a string) stops no other symbol\'s signals, and is read once it is a stream', { timeout: 30_000 }, async () => {
    const { got, enhancers } = recordingEnhancers();
    const p = `${prefix}wrongtype:`;
    await client.hSet(`${p}signals:ETH-USDT`, { risk: '0.9' });
    const feed = feedFor(enhancers, SHARED_REDIS_URL, p);
    await feed.start();
    await client.xAdd(`${p}signals:BTC-USDT`, '*', { n: 'btc-1' });
    await pollUntil(() => got.map((g) => g.fields.n), (n) => n.includes('btc-1'), { timeoutMs: 5000, what: `the BTC-USDT signal (read errors ${feed.readErrors})` });
    // the key made a stream: what is published on it from then on is read, the other symbol's still are
    await client.del(`${p}signals:ETH-USDT`);
    await client.xAdd(`${p}signals:ETH-USDT`, '*', { n: 'eth-1' });
    await client.xAdd(`${p}signals:BTC-USDT`, '*', { n: 'btc-2' });
    await pollUntil(() => got.map((g) => g.fields.n), (n) => n.includes('eth-1') && n.includes('btc-2'), { timeoutMs: 10_000, what: 'both symbols\' signals' });
    expect(got.map((g) => `${g.symbol} ${g.fields.n}`).sort()).toEqual(['BTC-USDT btc-1', 'BTC-USDT btc-2', 'ETH-USDT eth-1']);
    // a key that stops being a stream while the feed reads
    await client.del(`${p}signals:BTC-USDT`);
    await client.set(`${p}signals:BTC-USDT`, 'x');
    for (const n of ['eth-2', 'eth-3']) {
      await client.xAdd(`${p}signals:ETH-USDT`, '*', { n });
      await pollUntil(() => got.map((g) => g.fields.n), (ns) => ns.includes(n), { timeoutMs: 5000, what: `${n} after BTC-USDT's key became a string` });
    }
    // (a read blocked when the key changed can still end with eth-2; the next one fails on the key and leaves it out)
    expect(feed.readErrors).toBeGreaterThan(0);
  });
});

class CollectingVenue implements VenueAdapter {
  readonly orders: VenueOrder[] = [];
  constructor(readonly name: string) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  submit(batch: OrderBatch): void {
    this.orders.push(...toVenueOrders(batch));
  }
  cancel(): void {}
}

describe('the example enhancer (config/enhancers/prediction.ts) with published signals', () => {
  it('a confident "up" makes a BUY marketable, a high risk halves sizes, stale signals are ignored, risk still denies', { timeout: 30_000 }, async () => {
    const cache = mkdtempSync(join(tmpdir(), 'sy-enh-cache-'));
    cleanups.push(() => rmSync(cache, { recursive: true, force: true }));
    const p = `${prefix}b:`;
    const instruments = testInstruments();
    const strategies = [
      {
        id: 'alpha', symbols: ['BTC-USDT'],
        enhancer: { module: 'config/enhancers/prediction.ts', budgetUs: 1_000_000, suspendMs: 1000, signals: true, params: { maxAgeMs: 5000 } },
      },
    ];
    const enhancers = await loadEnhancers({ strategies, baseDir: process.cwd(), cacheDir: cache, instruments, clock: systemClock, log: quiet });
    cleanups.push(() => enhancers.stop());
    const risk = new PreTradeRisk(instruments, [{ id: 'alpha', symbols: ['BTC-USDT'], maxOrderQty: { 'BTC-USDT': '0.006' } }], {}); // 600 lots
    risk.setMark(0, 6_000_000);
    const venue = new CollectingVenue('a');
    const path = buildOrderPath({
      instruments, risk, clock: systemClock, log: quiet,
      router: new Router(['a'], instruments.list.map((i) => i.symbol), instruments.list.map(() => ({ a: 1 }))),
      strategies: [{ id: 'alpha', weight: 1 }], venues: ['a'], venue: () => venue, batch: [{ maxSize: 64, flushMs: 0 }],
      queueCapacity: 1024, retainFinished: 1024, clientIdPrefix: 'tst', journal: false,
      selfTrade: 'off', // the test's BUYs and SELLs may cross at the venue it plays
    });
    path.intake.setEnhancers(enhancers);
    path.intake.open();
    const feed = feedFor(enhancers, SHARED_REDIS_URL, p);
    await feed.start();
    const submit = (o: Parameters<typeof intent>[0]) => {
      const r = path.intake.submit(intent({ venue: 'a', ...o }));
      if (!r.ok) throw new Error(r.code);
      path.dispatcher.pump();
      return path.tracker.get(r.order.id)!;
    };
    const publish = async (...args: string[]) => {
      const before = feed.entries;
      const { stdout } = await run(process.execPath, ['scripts/publish-signals.mjs', '--symbol', 'BTC-USDT', '--prefix', p, ...args], { timeout: 10_000 });
      expect(JSON.parse(stdout.trim())).toMatchObject({ stream: `${p}signals:BTC-USDT` });
      await pollUntil(() => feed.entries, (n) => n > before, { what: 'signal read' });
    };

    // no signal yet: orders pass as sent (1000 lots is over maxOrderQty: denied, as without an enhancer)
    expect(submit({ qtyLots: 500 })).toMatchObject({ type: 'LIMIT', qtyLots: 500, state: 'SUBMITTED' });

    await publish('--confidence', '0.9', '--direction', 'up', '--risk', '0.8');
    // BUY: marketable and halved (1100 -> 550: under maxOrderQty 600 once halved)
    expect(submit({ qtyLots: 1100 })).toMatchObject({ type: 'MARKET', timeInForce: 'IOC', qtyLots: 550, state: 'SUBMITTED' });
    // SELL: the prediction disagrees: stays a limit, halved
    expect(submit({ side: 'SELL', priceTicks: 6_100_000, qtyLots: 800 })).toMatchObject({ type: 'LIMIT', priceTicks: 6_100_000, qtyLots: 400, state: 'SUBMITTED' });
    // halving stops at the minimum quantity (10 lots): 15 stays 15
    expect(submit({ side: 'SELL', priceTicks: 6_100_000, qtyLots: 15 })).toMatchObject({ qtyLots: 15 });
    // risk still decides: halved to 700, over maxOrderQty 600
    const denied = submit({ qtyLots: 1400 });
    expect(denied).toMatchObject({ type: 'MARKET', qtyLots: 700, state: 'DENIED' });
    expect(denied.reason).toMatch(/RISK_MAX_ORDER_QTY/);

    await publish('--confidence', '0.9', '--direction', 'down', '--risk', '0.2');
    expect(submit({ qtyLots: 500 })).toMatchObject({ type: 'LIMIT', qtyLots: 500 });
    expect(submit({ side: 'SELL', priceTicks: 6_100_000, qtyLots: 500 })).toMatchObject({ type: 'MARKET', qtyLots: 500, state: 'SUBMITTED' });

    // a confident "up" made 10 s ago is stale (maxAgeMs 5000): ignored
    const before = feed.entries;
    await client.xAdd(`${p}signals:BTC-USDT`, '*', { confidence: '0.95', direction: 'up', risk: '0.9', ts: String(Date.now() - 10_000) });
    await pollUntil(() => feed.entries, (n) => n > before, { what: 'stale signal read' });
    expect(submit({ qtyLots: 500 })).toMatchObject({ type: 'LIMIT', qtyLots: 500 });

    expect(enhancers.count('alpha', 'changed')).toBe(4);
    expect(enhancers.count('alpha', 'error') + enhancers.count('alpha', 'invalid') + enhancers.count('alpha', 'over_budget')).toBe(0);
  });
});
