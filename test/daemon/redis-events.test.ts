/**
 * Events complete and in order through a Redis outage, at the daemon level (issue 15): an in-process paper daemon
 * with `daemon.redis.events.enabled` pointed at a private redis-server. Orders flow over the API (marketable ones fill
 * on the paper venues, others rest and some are canceled), the Redis is killed (SIGKILL) mid-run, orders keep
 * flowing, the Redis comes back; then a consumer reading P orders:{symbol} and P trades:all, dropping duplicates by
 * seq, must see exactly the daemon's own event stream (GET /v1/stream?since=0: the events rebuilt from the journal),
 * in seq order, and the fills of it in trades:all. /health's redis.events lag goes back to 0, and /metrics carries
 * switchyard_redis_publish_lag_events.
 *
 * Twice: a Redis that comes back empty (no persistence: the publisher must publish everything again from the
 * journal) and one that comes back with its data (AOF: it goes on from its watermark).
 */
import { createClient } from 'redis';
import { afterEach, describe, expect, test } from 'vitest';
import { startBusDaemon } from '../helpers/bus-daemon.js';
import { TEST_TOKEN } from '../helpers/daemon.js';
import { metricValue, type ApiClient } from '../helpers/http.js';
import { pollUntil } from '../helpers/poll.js';
import { PrivateRedis } from '../helpers/redis-server.js';
import { StreamClient } from '../helpers/ws-client.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

const PREFIX = 'sy:';
const SYMBOLS = ['BTC-USDT', 'ETH-USDT'] as const;

/** Some orders of each kind: marketable buys (they fill), resting orders (one canceled); no two of them cross. Returns the ids of those it made. */
async function orderFlow(api: ApiClient, round: number): Promise<number[]> {
  const ids: number[] = [];
  const post = async (o: Record<string, unknown>): Promise<number> => {
    const r = await api.post('/v1/orders', { strategy: 'momentum', quantity: '0.001', ...o });
    expect(r.status, r.text).toBe(201);
    ids.push(r.body.orderId as number);
    return r.body.orderId as number;
  };
  for (let i = 0; i < 3; i++) {
    await post({ symbol: 'BTC-USDT', side: 'BUY', price: '66000' });
    await post({ symbol: 'ETH-USDT', side: 'BUY', price: '3300', quantity: '0.01' });
  }
  const resting = await post({ symbol: 'BTC-USDT', side: 'BUY', price: String(50000 + round) });
  await post({ symbol: 'ETH-USDT', side: 'SELL', price: String(3600 + round), quantity: '0.01' });
  await api.waitForState(resting, 'ACCEPTED', 10_000);
  expect((await api.delete(`/v1/orders/${resting}`)).status).toBeLessThan(300);
  await api.waitForState(resting, 'CANCELED', 10_000);
  return ids;
}

interface Entry {
  seq: number;
  fields: Record<string, string>;
}

async function readStream(url: string, key: string): Promise<Entry[]> {
  const c = createClient({ url });
  c.on('error', () => undefined);
  await c.connect();
  try {
    const rows = (await c.xRange(key, '-', '+')) as { id: string; message: Record<string, string> }[];
    return rows.map((r) => ({ seq: Number(r.message.seq), fields: r.message }));
  } finally {
    await c.close();
  }
}

/** What a consumer keeps: entries whose seq is above the last it kept (duplicates dropped by seq), in stream order. */
function dropDuplicatesBySeq(entries: Entry[]): { kept: Entry[]; duplicates: number } {
  const kept: Entry[] = [];
  let last = 0;
  let duplicates = 0;
  for (const e of entries) {
    if (e.seq <= last) {
      duplicates++;
      continue;
    }
    kept.push(e);
    last = e.seq;
  }
  return { kept, duplicates };
}

describe.each([
  { persist: false, what: 'comes back empty' },
  { persist: true, what: 'comes back with its data (AOF)' },
])('a Redis outage mid-run, the Redis $what', ({ persist }) => {
  test('a consumer of orders:{symbol} and trades:all gets every event of the journal exactly once, in seq order', { timeout: 90_000 }, async () => {
    const redis = await PrivateRedis.start({ persist });
    cleanup.push(() => redis.stop());
    const d = await startBusDaemon([
      [['daemon', 'redis', 'url'], redis.url],
      [['daemon', 'redis', 'keyPrefix'], PREFIX],
      [['daemon', 'redis', 'events', 'enabled'], true],
    ]);
    cleanup.push(() => d.remove());
    const { api } = d;
    const health = async (): Promise<any> => (await api.get('/health')).body;

    const ids = await orderFlow(api, 1);
    await pollUntil(health, (h) => h.redis?.events?.up === true && h.redis.events.lagEvents === 0, { timeoutMs: 15_000, what: 'the publisher caught up before the outage' });
    expect((await readStream(redis.url, `${PREFIX}trades:all`)).length).toBeGreaterThan(0);

    await redis.kill();
    ids.push(...(await orderFlow(api, 2)));
    // down: the streams are behind the journal, and health says so
    const down = await pollUntil(health, (h) => h.redis.events.up === false && h.redis.events.lagEvents > 0, { timeoutMs: 15_000, what: 'the publisher down and lagging' });
    expect(down.redis.events.lagEvents).toBeGreaterThan(0);
    expect(metricValue(await api.metrics(), 'switchyard_redis_publish_lag_events')).toBeGreaterThan(0);
    ids.push(...(await orderFlow(api, 3)));

    await redis.restart();
    ids.push(...(await orderFlow(api, 4)));
    for (const id of ids) await api.waitForState(id, ['FILLED', 'CANCELED', 'ACCEPTED', 'PARTIALLY_FILLED', 'EXPIRED', 'REJECTED'], 10_000);
    const caughtUp = await pollUntil(health, (h) => h.redis.events.up === true && h.redis.events.lagEvents === 0 && h.redis.events.mode === 'live', { timeoutMs: 30_000, intervalMs: 50, what: 'the publisher caught up after the outage' });
    expect(caughtUp.redis.events.lagSeconds).toBe(0);
    const metrics = await api.metrics();
    expect(metrics).toMatch(/^switchyard_redis_publish_lag_events 0$/m);
    expect(metricValue(metrics, 'switchyard_redis_publish_up')).toBe(1);

    // the consumer: orders:{symbol} of both symbols, duplicates dropped by seq, merged in seq order
    const perSymbol = await Promise.all(SYMBOLS.map((s) => readStream(redis.url, `${PREFIX}orders:${s}`)));
    const kept = perSymbol.map((entries) => dropDuplicatesBySeq(entries).kept);
    for (const k of kept) expect(k.length).toBeGreaterThan(0);
    const fromRedis = kept.flat().sort((a, b) => a.seq - b.seq);
    // one event per seq across symbols (a record belongs to one order)
    expect(new Set(fromRedis.map((e) => e.seq)).size).toBe(fromRedis.length);

    // the daemon's own event stream, rebuilt from its journal
    const ws = await StreamClient.connect(`ws://127.0.0.1:${d.port}/v1/stream?since=0`, TEST_TOKEN);
    cleanup.push(async () => void (await ws.close()));
    const lastSeq = fromRedis[fromRedis.length - 1]!.seq;
    await ws.next((m) => m.type === 'event' && m.seq >= lastSeq, 15_000, `the replay up to seq ${lastSeq}`);
    const journalEvents = ws.events().filter((e) => e.seq <= lastSeq).map(({ type: _, ...e }) => e);
    expect(ws.events().length).toBe(journalEvents.length); // nothing after: no order is moving any more
    expect(journalEvents.length).toBeGreaterThan(ids.length * 2);
    expect(new Set(journalEvents.map((e) => e.orderId))).toEqual(new Set(ids));

    // exactly the journal's events, in its order, field for field
    expect(fromRedis.map((e) => e.seq)).toEqual(journalEvents.map((e) => e.seq));
    expect(fromRedis.map((e) => JSON.parse(e.fields.json!))).toEqual(journalEvents);
    for (const e of fromRedis) {
      const j = JSON.parse(e.fields.json!);
      expect(e.fields).toMatchObject({ strategy: j.strategy, orderId: String(j.orderId), clientOrderId: j.clientOrderId, event: j.event, state: j.state });
    }
    // per symbol stream: strictly increasing seq once duplicates are dropped (the consumer's order)
    for (const [i, s] of SYMBOLS.entries()) expect(kept[i]!.map((e) => e.seq)).toEqual(journalEvents.filter((e) => e.symbol === s).map((e) => e.seq));

    // trades:all: every venue fill of the journal, once, in seq order
    const trades = dropDuplicatesBySeq(await readStream(redis.url, `${PREFIX}trades:all`)).kept;
    const fills = journalEvents.filter((e) => e.fill !== undefined && e.fill !== null);
    expect(fills.length).toBeGreaterThanOrEqual(4 * 6);
    expect(trades.map((t) => t.seq)).toEqual(fills.map((f) => f.seq));
    expect(trades.map((t) => ({ orderId: Number(t.fields.orderId), qty: t.fields.qty, price: t.fields.price, tradeId: t.fields.tradeId })))
      .toEqual(fills.map((f) => ({ orderId: f.orderId, qty: f.fill.qty, price: f.fill.price, tradeId: f.fill.tradeId })));
    // the watermark covers the last event
    const wm = await (async () => {
      const c = createClient({ url: redis.url });
      c.on('error', () => undefined);
      await c.connect();
      try {
        return Number(await c.get(`${PREFIX}events:published`));
      } finally {
        await c.close();
      }
    })();
    expect(wm).toBeGreaterThanOrEqual(lastSeq);
  });
});
