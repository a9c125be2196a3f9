/**
 * Events out (src/bus/event-publisher.ts) against real Redis, fed as the daemon feeds it: the order path with a real
 * journal, the recorder's hook into the publisher, venues the test plays (acks, fills, cancels). A consumer reads the
 * streams as a remote client would (XRANGE after the last id it read, the last seq it handled kept) and must see every
 * event of the journal — the same JSON as GET /v1/stream's replay — in seq order, none missing, duplicates only as
 * repeats of seqs it had (it drops them). An outage is a private redis-server killed (SIGKILL) and restarted EMPTY (no
 * persistence: the hardest case — what the consumer had not read yet is gone, and the publisher must notice that
 * events:published is gone too and publish again from the journal).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { createClient } from 'redis';
import { afterEach, describe, expect, it } from 'vitest';
import { EventPublisher, registerPublisherMetrics } from '../../src/bus/event-publisher.js';
import { BusKeys } from '../../src/bus/protocol.js';
import { redisConnection, redisSettings } from '../../src/bus/redis-connection.js';
import { buildOrderPath, type OrderPath } from '../../src/compose/order-path.js';
import { openEventReplay, streamEvent } from '../../src/journal/event-replay.js';
import { Journal } from '../../src/journal/journal.js';
import { SnapshotCapture } from '../../src/journal/snapshot-capture.js';
import { SnapshotSchedule } from '../../src/journal/snapshot-schedule.js';
import { MarketData } from '../../src/market/market-data.js';
import { ManualClock } from '../../src/model/clock.js';
import type { OrderEvent } from '../../src/model/events.js';
import type { OrderIntent } from '../../src/model/order.js';
import { PreTradeRisk } from '../../src/risk/pre-trade-risk.js';
import { Router } from '../../src/routing/router.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { levels } from '../helpers/levels.js';
import { intent, testInstruments } from '../helpers/model.js';
import { pollUntil, waitFor } from '../helpers/poll.js';
import { PrivateRedis, SHARED_REDIS_URL, deletePrefix, uniquePrefix } from '../helpers/redis-server.js';
import { PlayedVenue } from '../parents/rig.js';

const VENUES = ['a', 'b', 'c'] as const;
const SYMBOLS = ['BTC-USDT', 'ETH-USDT'] as const;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

interface Rig {
  readonly journal: Journal;
  readonly path: OrderPath;
  readonly clock: ManualClock;
  readonly market: MarketData;
  readonly venues: PlayedVenue[];
  readonly publisher: EventPublisher;
  readonly keys: BusKeys;
  /** Longest onRecorded call of the publisher (ms) and how many calls returned something other than undefined. */
  readonly hook: { maxMs: number; calls: number; returnedValue: number };
  /** Every event as the recorder handed it over live (described as GET /v1/stream describes it). */
  readonly recorded: OrderEvent[];
  /** Submit (pinned to a venue) and dispatch; resolves once the venue has it. */
  submit(v: number, overrides?: Partial<OrderIntent>): Promise<number>;
  /** Order i: acked, then filled in two fills (i % 3 != 2) or canceled (i % 3 == 2). */
  flow(i: number): Promise<void>;
  /** Every event of the journal on disk, as GET /v1/stream's replay makes it. */
  journalEvents(): Promise<OrderEvent[]>;
  caughtUp(timeoutMs?: number): Promise<void>;
}

async function rig(url: string, o: {
  bufferEvents?: number; batchEvents?: number; timeoutMs?: number; snapshotEvery?: number;
  /** Runs before the publisher starts (what its Redis holds then). */
  before?: (keys: BusKeys) => Promise<void>;
  /** The rig's log lines (info and above) go here; silent without. */
  logLines?: string[];
} = {}): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'events-rig-'));
  const instruments = testInstruments();
  const clock = new ManualClock();
  const market = new MarketData(instruments, [...VENUES], ['0', '0', '0'], clock, { depth: 20, staleMs: 3_600_000 });
  const router = new Router([...VENUES], instruments.list.map((i) => i.symbol), instruments.list.map(() => ({ a: 1, b: 1, c: 1 })));
  const risk = new PreTradeRisk(instruments, [{ id: 'alpha', symbols: [...SYMBOLS] }, { id: 'beta', symbols: [...SYMBOLS] }], {});
  risk.setMark(0, 6_000_000);
  risk.setMark(1, 60_000);
  const venues: PlayedVenue[] = [];
  const lines = o.logLines;
  const log = lines === undefined ? createLogger('silent', 'test', { write: () => {} }) : createLogger('info', 'test', { write: (line: string) => void lines.push(line) });
  const path = buildOrderPath({
    instruments, risk, router, clock, log,
    strategies: [{ id: 'alpha', weight: 1 }, { id: 'beta', weight: 1 }],
    venues: [...VENUES],
    venue: (i, sink) => (venues[i] = new PlayedVenue(VENUES[i]!, sink)),
    batch: VENUES.map(() => ({ maxSize: 32, flushMs: 0 })),
    queueCapacity: 4096, retainFinished: 4096, clientIdPrefix: 'tst', journal: true, market,
  });
  const keys = new BusKeys(uniquePrefix('events'));
  const connection = redisConnection(redisSettings(url, {}), { role: 'events', log, maxBackoffMs: 100, connectTimeoutMs: 500 });
  const publisher = new EventPublisher({
    connection, keys, tracker: path.tracker, retainFinished: 4096, clock, log, maxLen: 100_000,
    bufferEvents: o.bufferEvents ?? 65_536, batchEvents: o.batchEvents ?? 500, flushMs: 5, retryMs: 20, maxRetryMs: 100, markEveryMs: 20, timeoutMs: o.timeoutMs ?? 2000,
  });
  const journal = await Journal.open(join(dir, 'journal'), { segmentBytes: 4096, maxDelayMs: 1, retentionFloor: publisher.retentionFloor });
  const recorder = path.recorder!;
  recorder.attach(journal);
  recorder.writeNames();
  const schedule = new SnapshotSchedule(journal, o.snapshotEvery ?? 1_000_000, new SnapshotCapture({ store: path.store, ids: path.ids, risk, fees: path.fees }), log, 0);
  recorder.onRecord = () => schedule.maybeSnapshot();
  const hook = { maxMs: 0, calls: 0, returnedValue: 0 };
  const recorded: OrderEvent[] = [];
  recorder.addRecordedListener((seq, order, update, t) => {
    const t0 = performance.now();
    const r: unknown = publisher.onRecorded(seq, order, update, t);
    hook.maxMs = Math.max(hook.maxMs, performance.now() - t0);
    hook.calls++;
    if (r !== undefined) hook.returnedValue++;
    recorded.push(streamEvent(seq, path.tracker, order, update, t));
  });
  await o.before?.(keys);
  publisher.start({ dir: journal.dir, lastSeq: () => journal.lastSeq, durableSeq: () => journal.durableSeq, whenDurable: (s) => recorder.whenDurable(s) });
  path.intake.open();
  cleanups.push(async () => {
    schedule.cancel();
    await journal.close();
    await publisher.stop(2000);
    if (url === SHARED_REDIS_URL) await deletePrefix(url, keys.prefix);
    rmSync(dir, { recursive: true, force: true });
  });
  let n = 0;
  const r: Rig = {
    journal, path, clock, market, venues, publisher, keys, hook, recorded,
    async submit(v, overrides = {}) {
      clock.advance(1);
      const res = path.intake.submit(intent({ venue: VENUES[v]!, ...overrides }));
      if (!res.ok) throw new Error(`${res.code} ${res.message}`);
      path.dispatcher.pump();
      const id = res.order.id;
      await waitFor(() => venues[v]!.orders.some((x) => x.orderId === id), { timeoutMs: 5000, what: `order ${id} at venue ${VENUES[v]}` });
      return id;
    },
    async flow(i) {
      const v = i % 3;
      const symbol = SYMBOLS[i % 2]!;
      const id = await r.submit(v, { symbol, strategy: i % 4 < 2 ? 'alpha' : 'beta', priceTicks: symbol === 'BTC-USDT' ? 6_000_000 + i : 60_000 + i, qtyLots: 900 + i });
      clock.advance(1);
      venues[v]!.accept(id);
      if (v === 2) {
        clock.advance(1);
        venues[v]!.canceled(id);
        return;
      }
      const order = path.tracker.get(id)!;
      const q1 = Math.floor(order.qtyLots / 3);
      for (const q of [q1, order.qtyLots - q1]) {
        clock.advance(1);
        venues[v]!.report({ kind: 'FILL', orderId: id, tradeId: `${VENUES[v]}-${++n}`, priceTicks: order.priceTicks, qtyLots: q, fee: '0.01', feeCurrency: 'USDT', liquidity: 'TAKER', venueTs: clock.now() - 1 });
      }
    },
    async journalEvents() {
      await journal.flush();
      const opened = openEventReplay(journal.dir, path.store, 4096, 0, journal.durableSeq);
      if (!opened.ok) throw new Error(opened.reason);
      const out: OrderEvent[] = [];
      for (let e = opened.cursor.next(); e !== null; e = opened.cursor.next()) out.push(e);
      return out;
    },
    async caughtUp(timeoutMs = 10_000) {
      await journal.flush();
      const target = journal.durableSeq;
      await waitFor(() => publisher.watermark >= target && publisher.status().mode === 'live', { timeoutMs, what: `events:published >= ${target} (${JSON.stringify(publisher.status())})` });
    },
  };
  return r;
}

interface Entry {
  readonly stream: string;
  readonly seq: number;
  readonly fields: Record<string, string>;
}

/**
 * A remote consumer: reads each stream after the last id it read (XRANGE, polling), survives Redis going away and
 * coming back. `received` is everything it read, in the order read, duplicates included.
 */
function consumer(url: string, streams: readonly string[]): { received: Map<string, Entry[]>; stop(): Promise<void> } {
  const c = createClient({ url, socket: { reconnectStrategy: () => 50, connectTimeout: 500 }, disableOfflineQueue: true });
  c.on('error', () => undefined);
  const received = new Map<string, Entry[]>(streams.map((s) => [s, []]));
  const lastId = new Map<string, string>(streams.map((s) => [s, '-']));
  let stopping = false;
  const run = (async () => {
    await c.connect().catch(() => undefined);
    while (!stopping) {
      try {
        for (const s of streams) {
          const from = lastId.get(s)!;
          const page = await c.xRange(s, from === '-' ? '-' : `(${from}`, '+', { COUNT: 1000 });
          for (const m of page) {
            lastId.set(s, m.id);
            const fields = m.message as Record<string, string>;
            received.get(s)!.push({ stream: s, seq: Number(fields.seq), fields });
          }
        }
      } catch {
        // Redis is down: try again
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  let stopped = false;
  return {
    received,
    async stop() {
      if (stopped) return;
      stopped = true;
      stopping = true;
      await run;
      if (c.isOpen) await c.close().catch(() => c.destroy());
      else c.destroy();
    },
  };
}

/**
 * What a consumer that keeps its last seq makes of `got`: drops entries at or below it. Problems: an entry below the
 * last seq that is not a repeat (out of order), and the deduped seqs differing from `want`.
 */
function deliveryProblems(got: readonly Entry[], want: readonly number[]): string[] {
  const problems: string[] = [];
  const seen = new Set<number>();
  const kept: number[] = [];
  let last = 0;
  for (const e of got) {
    if (e.seq <= last) {
      if (!seen.has(e.seq)) problems.push(`seq ${e.seq} after ${last}, never seen before (out of order)`);
      continue;
    }
    seen.add(e.seq);
    kept.push(e.seq);
    last = e.seq;
  }
  const wanted = new Set(want);
  const missing = want.filter((s) => !seen.has(s));
  const extra = kept.filter((s) => !wanted.has(s));
  if (missing.length > 0) problems.push(`missing seqs ${missing.slice(0, 20).join(',')}${missing.length > 20 ? '...' : ''} (${missing.length})`);
  if (extra.length > 0) problems.push(`unexpected seqs ${extra.slice(0, 20).join(',')}`);
  return problems;
}

/** The consumer's deduped orders entries per symbol equal the journal's events (same JSON), and trades its venue fills. */
function expectComplete(rc: Rig, received: Map<string, Entry[]>, events: readonly OrderEvent[]): void {
  for (const symbol of SYMBOLS) {
    const want = events.filter((e) => e.symbol === symbol);
    const got = received.get(rc.keys.orders(symbol))!;
    expect(deliveryProblems(got, want.map((e) => e.seq))).toEqual([]);
    const bySeq = new Map(got.map((e) => [e.seq, e.fields]));
    for (const e of want) {
      const f = bySeq.get(e.seq)!;
      expect(JSON.parse(f.json!)).toEqual(JSON.parse(JSON.stringify(e)));
      expect([f.strategy, f.orderId, f.clientOrderId, f.event, f.state]).toEqual([e.strategy, String(e.orderId), e.clientOrderId, e.event, e.state]);
      expect(Object.keys(f)).toEqual(['seq', 'strategy', 'orderId', 'clientOrderId', 'event', 'state', 'json']);
    }
    const fills = want.filter((e) => e.fill !== undefined);
    const trades = received.get(rc.keys.trades(symbol))!;
    expect(deliveryProblems(trades, fills.map((e) => e.seq))).toEqual([]);
    const tradeBySeq = new Map(trades.map((e) => [e.seq, e.fields]));
    for (const e of fills) {
      const t = tradeBySeq.get(e.seq)!;
      // every field, in the protocol's order
      expect(Object.entries(t)).toEqual(Object.entries({
        seq: String(e.seq), strategy: e.strategy, symbol, orderId: String(e.orderId), clientOrderId: e.clientOrderId, side: e.side,
        venue: e.venue, price: e.fill!.price, qty: e.fill!.qty, fee: e.fill!.fee, feeCurrency: e.fill!.feeCurrency,
        liquidity: e.fill!.liquidity, tradeId: e.fill!.tradeId, ts: String(e.ts),
      }));
    }
  }
  const allFills = events.filter((e) => e.fill !== undefined).map((e) => e.seq);
  expect(allFills.length).toBeGreaterThan(0);
  expect(deliveryProblems(received.get(rc.keys.allTrades)!, allFills)).toEqual([]);
  // trades:all holds the same entries as the trades:{symbol} streams
  const bySymbol = new Map(SYMBOLS.flatMap((symbol) => received.get(rc.keys.trades(symbol))!.map((e) => [e.seq, e.fields] as const)));
  for (const e of received.get(rc.keys.allTrades)!) expect(Object.entries(e.fields)).toEqual(Object.entries(bySymbol.get(e.seq)!));
}

/** A plain connection to the shared Redis, to look at or change what the publisher's Redis holds (closed afterwards). */
async function adminClient(): Promise<ReturnType<typeof createClient>> {
  const admin = createClient({ url: SHARED_REDIS_URL });
  admin.on('error', () => undefined);
  await admin.connect();
  cleanups.push(() => admin.close().catch(() => undefined));
  return admin;
}

/**
 * A consumer of every stream gets every event of the journal once (an order entry per event, two trade entries per
 * fill), in seq order: the publisher has caught up (r.caughtUp) and wrote nothing twice.
 */
async function readsEveryEventOnce(r: Rig): Promise<void> {
  const events = await r.journalEvents();
  const c = consumer(SHARED_REDIS_URL, streamsOf(r.keys));
  cleanups.push(() => c.stop());
  const count = events.length + 2 * events.filter((e) => e.fill !== undefined).length;
  await pollUntil(() => entriesOf(c.received), (n) => n >= count, { timeoutMs: 5000, what: `${count} entries` });
  expectComplete(r, c.received, events);
  expect(entriesOf(c.received)).toBe(count);
}

function streamsOf(keys: BusKeys): string[] {
  return [...SYMBOLS.map((s) => keys.orders(s)), ...SYMBOLS.map((s) => keys.trades(s)), keys.allTrades];
}

const entriesOf = (received: Map<string, Entry[]>): number => [...received.values()].reduce((n, l) => n + l.length, 0);

describe('events out to Redis Streams', () => {
  it('the delivery check detects a missing, an out-of-order and an unexpected entry (control)', () => {
    const e = (seq: number): Entry => ({ stream: 's', seq, fields: {} });
    expect(deliveryProblems([e(1), e(2), e(1), e(3)], [1, 2, 3])).toEqual([]);
    expect(deliveryProblems([e(1), e(3)], [1, 2, 3])).toEqual(['missing seqs 2 (1)']);
    expect(deliveryProblems([e(1), e(3), e(2)], [1, 2, 3])).toHaveLength(2);
    expect(deliveryProblems([e(1), e(2), e(3), e(4)], [1, 2, 3])).toEqual(['unexpected seqs 4']);
  });

  it('every event of N orders (acks, fills, cancels) in orders:{symbol} once, in seq order; fills in trades:{symbol}, trades:all and on live_trades', { timeout: 30_000 }, async () => {
    const r = await rig(SHARED_REDIS_URL, { batchEvents: 7 });
    const sub = createClient({ url: SHARED_REDIS_URL });
    sub.on('error', () => undefined);
    await sub.connect();
    cleanups.push(() => sub.close().catch(() => undefined));
    const live: Record<string, string>[] = [];
    await sub.subscribe(r.keys.liveTrades, (msg) => live.push(JSON.parse(msg) as Record<string, string>));
    for (let i = 0; i < 24; i++) await r.flow(i);
    await r.caughtUp();
    const events = await r.journalEvents();
    expect(JSON.parse(JSON.stringify(r.recorded))).toEqual(JSON.parse(JSON.stringify(events)));
    expect(events.filter((e) => e.state === 'CANCELED').length).toBeGreaterThan(0);
    expect(events.filter((e) => e.state === 'FILLED').length).toBeGreaterThan(0);
    const c = consumer(SHARED_REDIS_URL, streamsOf(r.keys));
    cleanups.push(() => c.stop());
    const count = events.length + 2 * events.filter((e) => e.fill !== undefined).length;
    await pollUntil(() => entriesOf(c.received), (n) => n >= count, { timeoutMs: 5000, what: `${count} entries` });
    await c.stop();
    // exactly once without an outage: no duplicates at all, each stream in strictly increasing seq
    for (const [, list] of c.received) {
      const seqs = list.map((e) => e.seq);
      expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b));
    }
    expectComplete(r, c.received, events);
    expect(entriesOf(c.received)).toBe(count);
    // one live_trades message per fill, the trades fields
    const fills = events.filter((e) => e.fill !== undefined);
    await pollUntil(() => live.length, (n) => n >= fills.length, { timeoutMs: 5000, what: 'live_trades messages' });
    expect(live.map((m) => Number(m.seq))).toEqual(fills.map((e) => e.seq));
    expect(live.map((m) => m.tradeId)).toEqual(fills.map((e) => e.fill!.tradeId));
    // each message the same fields, in the same order, as the fill's trades:all entry
    const allBySeq = new Map(c.received.get(r.keys.allTrades)!.map((e) => [e.seq, e.fields]));
    for (const m of live) expect(Object.entries(m)).toEqual(Object.entries(allBySeq.get(Number(m.seq))!));
    const s = r.publisher.status();
    expect([s.up, s.mode, s.lagEvents, s.overflows, s.writeErrors, s.lostRecords]).toEqual([true, 'live', 0, 0, 0, 0]);
  });

  it('a Redis outage (killed, restarted empty) while orders keep flowing: submits never wait on Redis, lag and metrics move and return to 0, the consumer gets every event in seq order', { timeout: 60_000 }, async () => {
    const redis = await PrivateRedis.start();
    cleanups.push(() => redis.stop());
    const r = await rig(redis.url, { batchEvents: 5 });
    const registry = new Registry();
    registerPublisherMetrics(registry, () => r.publisher.status());
    const metric = async (name: string): Promise<number> => {
      const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name)!;
      return Number(m.values[0]!.value);
    };
    const c = consumer(redis.url, streamsOf(r.keys));
    cleanups.push(() => c.stop());
    let i = 0;
    for (; i < 12; i++) await r.flow(i);
    await r.caughtUp();
    await pollUntil(() => c.received.get(r.keys.orders('BTC-USDT'))!.length, (n) => n > 0, { timeoutMs: 5000, what: 'the consumer reading' });
    expect(await metric('switchyard_redis_publish_up')).toBe(1);

    await redis.kill();
    // orders keep flowing: each flow completes (submit to the venue, acks, fills), Redis never awaited
    const t0 = performance.now();
    for (; i < 36; i++) await r.flow(i);
    const downMs = performance.now() - t0;
    await pollUntil(() => r.publisher.status(), (s) => !s.up && s.mode === 'down', { timeoutMs: 5000, what: 'the publisher down' });
    for (; i < 42; i++) await r.flow(i);
    r.clock.advance(5000);
    const down = r.publisher.status();
    expect(down.buffered).toBe(0); // nothing held in memory while Redis is down: the journal has it
    expect(down.lagEvents).toBeGreaterThan(0);
    expect(down.lagSeconds).toBeGreaterThanOrEqual(5);
    expect(await metric('switchyard_redis_publish_lag_events')).toBe(down.lagEvents);
    expect(await metric('switchyard_redis_publish_lag_seconds')).toBeGreaterThanOrEqual(5);
    expect(await metric('switchyard_redis_publish_up')).toBe(0);
    // the recorder's hook never returned a promise and never took long
    expect(r.hook.calls).toBeGreaterThan(100);
    expect(r.hook.returnedValue).toBe(0);
    expect(r.hook.maxMs).toBeLessThan(50);
    // 24 order flows with Redis gone: each far below the connection's timeouts (500 ms connect, 100 ms backoff)
    expect(downMs / 24).toBeLessThan(250);

    await redis.restart();
    for (; i < 48; i++) await r.flow(i);
    await r.caughtUp(20_000);
    const back = r.publisher.status();
    expect([back.up, back.mode, back.lagEvents, back.lagSeconds, back.lostRecords]).toEqual([true, 'live', 0, 0, 0]);
    expect(back.writeErrors).toBeGreaterThan(0);
    expect(back.reconnects).toBeGreaterThanOrEqual(1);
    expect(await metric('switchyard_redis_publish_lag_events')).toBe(0);
    expect(await metric('switchyard_redis_publish_lag_seconds')).toBe(0);
    expect(await metric('switchyard_redis_publish_up')).toBe(1);
    expect(await metric('switchyard_redis_reconnects_total')).toBe(back.reconnects);

    const events = await r.journalEvents();
    await pollUntil(() => [
      ...SYMBOLS.map((s) => deliveryProblems(c.received.get(r.keys.orders(s))!, events.filter((e) => e.symbol === s).map((e) => e.seq))),
      deliveryProblems(c.received.get(r.keys.allTrades)!, events.filter((e) => e.fill !== undefined).map((e) => e.seq)),
    ].flat(), (p) => p.length === 0, { timeoutMs: 5000, what: 'the consumer complete' });
    expectComplete(r, c.received, events);
    // the empty Redis was filled again from the journal: the consumer saw repeats, and dropped them by seq
    const btc = c.received.get(r.keys.orders('BTC-USDT'))!;
    expect(btc.length).toBeGreaterThan(new Set(btc.map((e) => e.seq)).size);
  });

  it('a Redis that stops answering (SIGSTOP: connections open, no replies): orders flow, the publisher times out and is down, then catches up', { timeout: 60_000 }, async () => {
    const redis = await PrivateRedis.start();
    cleanups.push(() => redis.stop());
    const r = await rig(redis.url, { batchEvents: 5, timeoutMs: 300 });
    let i = 0;
    for (; i < 6; i++) await r.flow(i);
    await r.caughtUp();
    // the helper keeps its process private: a hung server is not one of its outages
    const proc = (redis as unknown as { proc: ChildProcess }).proc;
    proc.kill('SIGSTOP');
    cleanups.push(() => void proc.kill('SIGCONT'));
    const t0 = performance.now();
    for (; i < 30; i++) await r.flow(i);
    const hungMs = performance.now() - t0;
    await pollUntil(() => r.publisher.status(), (s) => !s.up && s.lagEvents > 0, { timeoutMs: 5000, what: 'the publisher down' });
    expect(r.publisher.status().buffered).toBe(0);
    expect(r.hook.returnedValue).toBe(0);
    expect(r.hook.maxMs).toBeLessThan(50);
    // every flow went on while the publisher's EXEC hung (its timeout is 300 ms: a flow waiting on it would take that)
    expect(hungMs / 24).toBeLessThan(150);
    proc.kill('SIGCONT');
    for (; i < 36; i++) await r.flow(i);
    await r.caughtUp(20_000);
    const events = await r.journalEvents();
    const c = consumer(redis.url, streamsOf(r.keys));
    cleanups.push(() => c.stop());
    await pollUntil(() => entriesOf(c.received), (n) => n >= events.length, { timeoutMs: 5000, what: 'every order event' });
    await pollUntil(() => deliveryProblems(c.received.get(r.keys.allTrades)!, events.filter((e) => e.fill !== undefined).map((e) => e.seq)), (p) => p.length === 0, { timeoutMs: 5000, what: 'every trade' });
    expectComplete(r, c.received, events);
    // the late replies were read back before writing again: nothing in the streams twice
    for (const symbol of SYMBOLS) {
      const seqs = c.received.get(r.keys.orders(symbol))!.map((e) => e.seq);
      expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b));
    }
  });

  it('Redis back empty after the journal deleted old segments: published again from the oldest snapshot, the records before it counted lost', { timeout: 60_000 }, async () => {
    const redis = await PrivateRedis.start();
    cleanups.push(() => redis.stop());
    const r = await rig(redis.url, { batchEvents: 50, snapshotEvery: 40 });
    let i = 0;
    for (; i < 40; i++) await r.flow(i);
    await r.caughtUp();
    // snapshots were taken and the segments before them deleted (the publisher's watermark let them go)
    await pollUntil(() => r.journal.firstSeq, (f) => f > 1, { timeoutMs: 5000, what: 'segments deleted' });
    await redis.kill();
    await redis.restart();
    for (; i < 44; i++) await r.flow(i);
    await r.caughtUp(20_000);
    const s = r.publisher.status();
    expect(s.lostRecords).toBeGreaterThan(0);
    expect([s.up, s.mode, s.lagEvents]).toEqual([true, 'live', 0]);
    // the new Redis holds every event after the snapshot the publisher resumed from, once, in seq order
    const resumedAfter = s.lostRecords; // the watermark was 0: it resumed after seq lostRecords
    // (the journal no longer holds them all: its retention moved on once the publisher caught up; the recorder's
    // live events are the reference here, the other tests check them against the journal's replay)
    const events = r.recorded.filter((e) => e.seq > resumedAfter);
    expect(events.length).toBeGreaterThan(0);
    expect(r.recorded.length).toBeGreaterThan(events.length);
    const c = consumer(redis.url, streamsOf(r.keys));
    cleanups.push(() => c.stop());
    await pollUntil(() => c.received.get(r.keys.orders('BTC-USDT'))!.length + c.received.get(r.keys.orders('ETH-USDT'))!.length, (n) => n >= events.length, { timeoutMs: 5000, what: 'the events after the snapshot' });
    await pollUntil(() => deliveryProblems(c.received.get(r.keys.allTrades)!, events.filter((e) => e.fill !== undefined).map((e) => e.seq)), (p) => p.length === 0, { timeoutMs: 5000, what: 'every trade after the snapshot' });
    expectComplete(r, c.received, events);
    const published = createClient({ url: redis.url });
    published.on('error', () => undefined);
    await published.connect();
    expect(Number(await published.get(r.keys.published))).toBe(r.publisher.watermark);
    await published.close();
  });

  it('Redis restarted empty while no order event comes (an idle daemon): noticed without waiting for the next event, every event published again', { timeout: 60_000 }, async () => {
    const redis = await PrivateRedis.start();
    cleanups.push(() => redis.stop());
    const r = await rig(redis.url, { batchEvents: 5 });
    for (let i = 0; i < 12; i++) await r.flow(i);
    await r.caughtUp();
    const events = await r.journalEvents();
    const lastSeq = r.journal.lastSeq;
    await redis.kill();
    await redis.restart();
    // nothing is recorded from here on: the publisher's idle loop is all that runs (time passes)
    const admin = createClient({ url: redis.url, socket: { reconnectStrategy: () => 50 } });
    admin.on('error', () => undefined);
    await admin.connect();
    cleanups.push(() => admin.close().catch(() => undefined));
    await pollUntil(async () => {
      r.clock.advance(1000);
      return admin.get(r.keys.published);
    }, (w) => w === String(lastSeq), { timeoutMs: 5000, what: `events:published back at ${lastSeq} on the new Redis (status ${JSON.stringify(r.publisher.status())})` });
    expect(r.journal.lastSeq).toBe(lastSeq);
    const c = consumer(redis.url, streamsOf(r.keys));
    cleanups.push(() => c.stop());
    const count = events.length + 2 * events.filter((e) => e.fill !== undefined).length;
    await pollUntil(() => entriesOf(c.received), (n) => n >= count, { timeoutMs: 5000, what: `${count} entries` });
    expectComplete(r, c.received, events);
    const s = r.publisher.status();
    expect([s.up, s.mode, s.watermark, s.lagEvents, s.lostRecords]).toEqual([true, 'live', lastSeq, 0, 0]);
  });

  it('events:published past this journal (a data directory wiped, the same Redis and prefix): nothing published or skipped, the journal kept, until the key is removed', { timeout: 60_000 }, async () => {
    const admin = await adminClient();
    const r = await rig(SHARED_REDIS_URL, { batchEvents: 5, snapshotEvery: 40, before: async (keys) => void await admin.set(keys.published, '1000000') });
    for (let i = 0; i < 60; i++) await r.flow(i);
    await pollUntil(() => r.publisher.status().lastError ?? '', (e) => e.includes('FOLLOWER_SINK_AHEAD'), { timeoutMs: 5000, what: 'the publisher refusing the watermark' });
    const s = r.publisher.status();
    expect([s.up, s.watermark]).toEqual([false, -1]);
    expect(r.publisher.retentionFloor()).toBe(0);
    expect(r.journal.firstSeq).toBe(1); // snapshots were taken, no segment deleted
    expect(await admin.xLen(r.keys.orders('BTC-USDT'))).toBe(0);
    expect(await admin.get(r.keys.published)).toBe('1000000');
    // the operator removes the stale watermark: every event of this journal is published, once, in seq order
    await admin.del(r.keys.published);
    await r.caughtUp(20_000);
    await readsEveryEventOnce(r);
  });

  it('a stream key holding something else (a string at orders:ETH-USDT): nothing of a batch is written, never again and again; once removed every event once', { timeout: 60_000 }, async () => {
    const admin = await adminClient();
    const logLines: string[] = [];
    const r = await rig(SHARED_REDIS_URL, { before: async (keys) => void await admin.set(keys.orders('ETH-USDT'), 'not a stream'), logLines });
    for (let i = 0; i < 12; i++) await r.flow(i);
    await pollUntil(() => r.publisher.status().lastError ?? '', (e) => e.includes('WRONGTYPE'), { timeoutMs: 5000, what: 'the publisher refusing the key' });
    const upAt = logLines.length;
    const failedWrites = r.publisher.status().writeErrors;
    // retried meanwhile (every 20 to 100 ms): the BTC-USDT events of the refused batches were written none of the times
    // (what is there came in batches before the first ETH-USDT event)
    const before = await admin.xLen(r.keys.orders('BTC-USDT'));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await admin.xLen(r.keys.orders('BTC-USDT'))).toBe(before);
    expect(r.publisher.status()).toMatchObject({ up: false, lastError: expect.stringContaining('EVENTS_KEY_WRONGTYPE') });
    // each retry read the watermark back (Redis answers reads): that is not up while every write fails — it was
    // reported up for a moment at each retry (a 'sink up' line, status up: true between the read and the write)
    const retriedUp = logLines.slice(upAt).filter((l) => l.includes('sink up'));
    expect(retriedUp).toEqual([]);
    expect(r.publisher.status().writeErrors).toBeGreaterThan(failedWrites); // (retries were made meanwhile)
    await admin.del(r.keys.orders('ETH-USDT'));
    await r.caughtUp(20_000);
    await readsEveryEventOnce(r);
  });

  it('a sweep: the parent\'s rolled-up fills are order events, not trades; each child fill is one trade at its venue', { timeout: 30_000 }, async () => {
    const r = await rig(SHARED_REDIS_URL);
    [[[6_000_100, 1000]], [[6_000_150, 500]], []].forEach((a, v) => r.market.snapshot(v, 0, levels([[5_999_000, 1000]]), levels(a as [number, number][]), 0));
    const res = r.path.intake.submit(intent({ route: 'sweep', qtyLots: 1500, priceTicks: 6_000_200, timeInForce: 'IOC' }));
    if (!res.ok) throw new Error(res.message);
    r.path.dispatcher.pump();
    const parent = res.order.id;
    const kids = r.path.parents!.children(r.path.store.slotOf(parent));
    expect(kids).toHaveLength(2);
    await waitFor(() => r.venues[0]!.orders.length === 1 && r.venues[1]!.orders.length === 1, { timeoutMs: 5000, what: 'children sent' });
    r.venues[0]!.report({ kind: 'FILL', orderId: kids[0]!, tradeId: 'a-1', priceTicks: 6_000_100, qtyLots: 1000, fee: '0.01', feeCurrency: 'USDT', liquidity: 'TAKER', venueTs: 1 });
    r.venues[1]!.report({ kind: 'FILL', orderId: kids[1]!, tradeId: 'b-1', priceTicks: 6_000_150, qtyLots: 500, fee: '0.01', feeCurrency: 'USDT', liquidity: 'TAKER', venueTs: 1 });
    expect(r.path.tracker.get(parent)!.state).toBe('FILLED');
    await r.caughtUp();
    const events = await r.journalEvents();
    expect(events.filter((e) => e.orderId === parent && e.fill !== undefined)).toHaveLength(2);
    const c = consumer(SHARED_REDIS_URL, streamsOf(r.keys));
    cleanups.push(() => c.stop());
    await pollUntil(() => c.received.get(r.keys.orders('BTC-USDT'))!.length, (n) => n >= events.length, { timeoutMs: 5000, what: 'every order event' });
    await pollUntil(() => c.received.get(r.keys.allTrades)!.length, (n) => n >= 2, { timeoutMs: 5000, what: 'the trades' });
    await c.stop();
    expect(c.received.get(r.keys.orders('BTC-USDT'))!.map((e) => e.seq)).toEqual(events.map((e) => e.seq));
    for (const stream of [r.keys.allTrades, r.keys.trades('BTC-USDT')]) {
      expect(c.received.get(stream)!.map((e) => [e.fields.orderId, e.fields.venue, e.fields.tradeId, e.fields.price, e.fields.qty])).toEqual([
        [String(kids[0]), 'a', 'a-1', '60001.00', '0.01000'], [String(kids[1]), 'b', 'b-1', '60001.50', '0.00500'],
      ]);
    }
  });

  it('a tiny buffer overflows: the publisher falls back to the journal and still delivers everything', { timeout: 30_000 }, async () => {
    const r = await rig(SHARED_REDIS_URL, { bufferEvents: 4, batchEvents: 2 });
    await r.caughtUp();
    // a burst in one turn of the event loop: more events than the buffer holds before the publisher's loop runs
    const ids: number[] = [];
    for (let k = 0; k < 20; k++) {
      r.clock.advance(1);
      const res = r.path.intake.submit(intent({ venue: 'a', qtyLots: 1000 + k }));
      if (!res.ok) throw new Error(res.message);
      ids.push(res.order.id);
    }
    r.path.dispatcher.pump();
    await waitFor(() => ids.every((id) => r.venues[0]!.orders.some((x) => x.orderId === id)), { timeoutMs: 5000, what: 'the burst at venue a' });
    for (const id of ids) r.venues[0]!.accept(id);
    for (const id of ids) r.venues[0]!.report({ kind: 'FILL', orderId: id, tradeId: `burst-${id}`, priceTicks: 6_000_000, qtyLots: 1000, fee: '0.01', feeCurrency: 'USDT', liquidity: 'TAKER', venueTs: 1 });
    for (let k = 0; k < 6; k++) await r.flow(k);
    await r.caughtUp();
    const s = r.publisher.status();
    expect(s.overflows).toBeGreaterThan(0);
    expect([s.up, s.lagEvents, s.lostRecords]).toEqual([true, 0, 0]);
    const events = await r.journalEvents();
    const c = consumer(SHARED_REDIS_URL, streamsOf(r.keys));
    cleanups.push(() => c.stop());
    await pollUntil(() => deliveryProblems(c.received.get(r.keys.allTrades)!, events.filter((e) => e.fill !== undefined).map((e) => e.seq)), (p) => p.length === 0, { timeoutMs: 5000, what: 'every trade' });
    await pollUntil(() => entriesOf(c.received), (n) => n >= events.length, { timeoutMs: 5000, what: 'every order event' });
    expectComplete(r, c.received, events);
  });
});

describe('the publisher refusing or unable to start', () => {
  it('events:published not a number (written by something else): nothing published, health and metrics say why and how to fix it; once removed every event once', { timeout: 60_000 }, async () => {
    const admin = await adminClient();
    const r = await rig(SHARED_REDIS_URL, { before: async (keys) => void await admin.set(keys.published, 'garbage') });
    for (let i = 0; i < 12; i++) await r.flow(i);
    await pollUntil(() => r.publisher.status().lastError ?? '', (e) => e.includes('EVENTS_WATERMARK_INVALID'), { timeoutMs: 5000, what: 'the publisher refusing the watermark' });
    const s = r.publisher.status();
    expect([s.up, s.watermark]).toEqual([false, -1]);
    // the message names the key, what it holds, and what the operator can do
    expect(s.lastError).toContain(r.keys.published);
    expect(s.lastError).toContain('"garbage"');
    expect(s.lastError).toMatch(/keyPrefix/);
    expect(s.lastError).toMatch(/delete/);
    expect(r.publisher.retentionFloor()).toBe(0); // the journal keeps everything
    const registry = new Registry();
    registerPublisherMetrics(registry, () => r.publisher.status());
    expect(await registry.getSingleMetricAsString('switchyard_redis_publish_up')).toMatch(/switchyard_redis_publish_up 0/);
    // nothing was written on top of a key that is not ours (the value is left for the operator to look at)
    expect(await admin.xLen(r.keys.orders('BTC-USDT'))).toBe(0);
    expect(await admin.get(r.keys.published)).toBe('garbage');
    await admin.del(r.keys.published);
    await r.caughtUp(20_000);
    await readsEveryEventOnce(r);
  });

  it('stop() returns promptly when Redis has been down since start; the journal keeps every event for the next start', { timeout: 60_000 }, async () => {
    const server = await PrivateRedis.start();
    cleanups.push(() => server.stop());
    await server.kill();
    const r = await rig(server.url);
    for (let i = 0; i < 6; i++) await r.flow(i);
    await r.journal.flush();
    // down, and saying why (not 'starting' without a word)
    const down = await pollUntil(() => r.publisher.status(), (st) => st.mode === 'down', { timeoutMs: 15_000, what: 'the publisher down' });
    expect(down).toMatchObject({ up: false, watermark: -1, lastError: expect.stringMatching(/redis|connect|closed|offline/i) });
    const t0 = Date.now();
    await r.publisher.stop();
    const took = Date.now() - t0;
    // the default bound is 5 s; a publisher that never reached Redis has nothing to write, so nothing to wait for
    expect(took).toBeLessThan(2000);
    expect(r.publisher.status()).toMatchObject({ mode: 'stopped', watermark: -1 });
    expect(r.publisher.retentionFloor()).toBe(0);
  });
});
