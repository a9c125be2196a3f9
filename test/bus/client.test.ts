/**
 * The remote strategy client (src/bus/client.ts) and runner (src/bus/remote-strategy.ts) against the real Redis, with a
 * small responder written here that plays the daemon's side of src/bus/protocol.ts and nothing more: it reads
 * P commands:{strategy} through a consumer group, writes replies to P replies:{client} and order events to
 * P orders:{symbol} (fields seq, strategy, orderId, clientOrderId, event, state, json), and P config.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createClient } from 'redis';
import { BusClientError, SwitchyardRedisClient, type BusOrderEvent } from '../../src/bus/client.js';
import { BusKeys, WIRE_ID_RE, type CommandFields } from '../../src/bus/protocol.js';
import { runRemoteStrategy, type RemoteStrategyHandle } from '../../src/bus/remote-strategy.js';
import { loadConfigFile } from '../../src/config/load.js';
import { strategySource } from '../../src/config/schema.js';
import { isValidClientOrderId } from '../../src/model/ids.js';
import type { OrderEvent } from '../../src/model/events.js';
import type { StrategyContext, StrategyEvent } from '../../src/strategy/sdk.js';
import { PrivateRedis, SHARED_REDIS_URL, deletePrefix, uniquePrefix } from '../helpers/redis-server.js';
import { pollUntil } from '../helpers/poll.js';

type Redis = ReturnType<typeof createClient>;
const prefixes: string[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});
afterAll(async () => {
  for (const p of prefixes) await deletePrefix(SHARED_REDIS_URL, p);
});

async function redis(): Promise<Redis> {
  const c = createClient({ url: SHARED_REDIS_URL });
  c.on('error', () => undefined);
  await c.connect();
  cleanups.push(async () => c.destroy());
  return c;
}

function prefix(name: string): string {
  const p = uniquePrefix(name);
  prefixes.push(p);
  return p;
}

/** What the responder answers a command with: a reply now, or nothing (the test answers later with reply()). */
type Answer = { ok: boolean; body: unknown; replayed?: boolean } | undefined;

/** The daemon's side of the command streams, as protocol.ts describes it. */
class Responder {
  readonly commands: CommandFields[] = [];
  private stopped = false;
  private loop: Promise<void> | undefined;
  private constructor(private readonly r: Redis, private readonly keys: BusKeys, private readonly strategy: string, private readonly decide: (c: CommandFields) => Answer) {}

  static async start(keys: BusKeys, strategy: string, decide: (c: CommandFields) => Answer): Promise<Responder> {
    const r = await redis();
    const reader = await redis();
    await r.xGroupCreate(keys.commands(strategy), 'switchyard', '0', { MKSTREAM: true });
    const s = new Responder(r, keys, strategy, decide);
    s.loop = s.run(reader);
    cleanups.push(async () => {
      s.stopped = true;
      reader.destroy();
      await s.loop;
    });
    return s;
  }

  private async run(reader: Redis): Promise<void> {
    while (!this.stopped) {
      let res;
      try {
        res = await reader.xReadGroup('switchyard', 'test-daemon', { key: this.keys.commands(this.strategy), id: '>' }, { BLOCK: 200, COUNT: 50 });
      } catch {
        return;
      }
      if (res === null || !Array.isArray(res)) continue;
      for (const stream of res as { messages: { id: string; message: Record<string, string> }[] }[]) {
        for (const m of stream.messages) {
          const c = m.message as unknown as CommandFields;
          this.commands.push(c);
          const a = this.decide(c);
          if (a !== undefined) await this.reply(c, a);
          await this.r.xAck(this.keys.commands(this.strategy), 'switchyard', m.id);
        }
      }
    }
  }

  async reply(c: CommandFields, a: NonNullable<Answer>): Promise<void> {
    await this.r.xAdd(this.keys.replies(c.client), '*', {
      requestId: c.requestId, ok: a.ok ? '1' : '0', body: JSON.stringify(a.body), replayed: a.replayed === true ? '1' : '0',
    });
  }
}

function orderView(c: CommandFields, orderId: number, state = 'CREATED'): Record<string, unknown> {
  const b = JSON.parse(c.body) as Record<string, unknown>;
  return {
    orderId, clientOrderId: b.clientOrderId, strategy: b.strategy, symbol: b.symbol, side: b.side, type: b.type ?? 'LIMIT',
    timeInForce: 'GTC', postOnly: false, priority: 'NORMAL', price: b.price ?? null, stopPrice: null, quantity: String(b.quantity),
    filledQty: '0', filledNotional: '0', avgPrice: null, state, venue: null, venueOrderId: null, reason: null,
    createdAt: 1000 + orderId, updatedAt: 1000 + orderId, route: 'table', parentOrderId: null, arrivalMid: null, slippageBps: null, fees: [],
  };
}

async function publishEvent(r: Redis, keys: BusKeys, e: Partial<OrderEvent> & Pick<OrderEvent, 'seq' | 'strategy' | 'symbol' | 'orderId' | 'clientOrderId' | 'event' | 'state'>): Promise<void> {
  const full: OrderEvent = {
    ts: 5000 + e.seq, side: 'BUY', venue: 'sim-a', from: 'CREATED', filledQty: '0', reason: null, ...e,
  };
  await r.xAdd(keys.orders(e.symbol), '*', {
    seq: String(full.seq), strategy: full.strategy, orderId: String(full.orderId), clientOrderId: full.clientOrderId,
    event: full.event, state: full.state, json: JSON.stringify(full),
  });
}

describe('SwitchyardRedisClient commands', () => {
  it('matches replies to commands by requestId when they arrive out of order, replayed ones too', async () => {
    const keys = new BusKeys(prefix('client-order'));
    const held: CommandFields[] = [];
    const responder = await Responder.start(keys, 's1', (c) => {
      held.push(c);
      return undefined;
    });
    const client = await SwitchyardRedisClient.connect({ url: SHARED_REDIS_URL, keyPrefix: keys.prefix, strategy: 's1', timeoutMs: 5000 });
    cleanups.push(() => client.close());

    const a = client.submit({ symbol: 'BTC-USDT', side: 'BUY', type: 'LIMIT', price: '100', quantity: '1' });
    const b = client.submit({ symbol: 'BTC-USDT', side: 'SELL', type: 'LIMIT', price: '101', quantity: '2', clientOrderId: 'mine1' });
    const c = client.cancel({ orderId: 42 });
    await pollUntil(() => held.length, (n) => n === 3, { timeoutMs: 5000, what: 'three commands' });

    const ids = held.map((h) => h.requestId);
    expect(new Set(ids).size).toBe(3);
    for (const h of held) {
      expect(h.requestId).toMatch(WIRE_ID_RE);
      expect(h.client).toBe(client.client);
      expect(h.strategy).toBe('s1');
    }
    expect(held.map((h) => h.op)).toEqual(['submit', 'submit', 'cancel']);
    const bodyA = JSON.parse(held[0]!.body) as { clientOrderId: string; strategy: string };
    expect(isValidClientOrderId(bodyA.clientOrderId)).toBe(true);
    expect(bodyA.strategy).toBe('s1');
    expect((JSON.parse(held[1]!.body) as { clientOrderId: string }).clientOrderId).toBe('mine1');
    expect(JSON.parse(held[2]!.body)).toEqual({ orderId: 42 });

    // answer in the order cancel, b (replayed), a: each promise gets its own answer
    await responder.reply(held[2]!, { ok: false, body: { ok: false, error: { code: 'ORDER_NOT_FOUND', message: 'no order 42' } } });
    await responder.reply(held[1]!, { ok: true, body: { ok: true, order: orderView(held[1]!, 2) }, replayed: true });
    await responder.reply(held[0]!, { ok: true, body: { ok: true, order: orderView(held[0]!, 1) } });
    const [ra, rb, rc] = await Promise.all([a, b, c]);
    expect(ra.ok && 'order' in ra && ra.order.clientOrderId).toBe(bodyA.clientOrderId);
    expect(ra.replayed).toBe(false);
    expect(rb.ok && 'order' in rb && rb.order.orderId).toBe(2);
    expect(rb.replayed).toBe(true);
    expect(!rc.ok && rc.error.code).toBe('ORDER_NOT_FOUND');
    expect(client.stats).toMatchObject({ replies: 3, replayed: 1, unmatchedReplies: 0, inFlight: 0 });

    // client order ids the client makes are unique
    const made = new Set(Array.from({ length: 1000 }, () => client.nextClientOrderId()));
    expect(made.size).toBe(1000);
    for (const id of made) expect(isValidClientOrderId(id)).toBe(true);

    // a reply stream whose name the client made up expires after close (runs leave none behind)
    const r = await redis();
    expect(await r.ttl(keys.replies(client.client))).toBe(-1);
    await client.close();
    expect(await r.ttl(keys.replies(client.client))).toBeGreaterThan(0);
    await expect(client.submit({ symbol: 'BTC-USDT', side: 'BUY', quantity: '1' })).rejects.toMatchObject({ code: 'CLOSED' });
  }, 20_000);

  it('results ids: every command carries result ids (none without it); a bad results option is refused at connect', async () => {
    const keys = new BusKeys(prefix('client-ids'));
    const held: CommandFields[] = [];
    await Responder.start(keys, 's1', (c) => {
      held.push(c);
      return { ok: true, body: { ok: true, orderId: 7, clientOrderId: 'x7' } };
    });
    const lean = await SwitchyardRedisClient.connect({ url: SHARED_REDIS_URL, keyPrefix: keys.prefix, strategy: 's1', timeoutMs: 5000, results: 'ids' });
    cleanups.push(() => lean.close());
    const full = await SwitchyardRedisClient.connect({ url: SHARED_REDIS_URL, keyPrefix: keys.prefix, strategy: 's1', timeoutMs: 5000 });
    cleanups.push(() => full.close());
    const r = await lean.submit({ symbol: 'BTC-USDT', side: 'BUY', price: '100', quantity: '1', clientOrderId: 'x7' });
    expect(r).toEqual({ ok: true, orderId: 7, clientOrderId: 'x7', replayed: false });
    await lean.cancel({ orderId: 7 });
    await full.cancel({ orderId: 7 });
    expect(held.map((h) => h.result)).toEqual(['ids', 'ids', undefined]);
    await expect(SwitchyardRedisClient.connect({ url: SHARED_REDIS_URL, keyPrefix: keys.prefix, strategy: 's1', results: 'all' as 'ids' }))
      .rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  }, 20_000);

  it('rejects a command without a reply after the timeout, ignores its late reply, and bounds what is in flight', async () => {
    const keys = new BusKeys(prefix('client-timeout'));
    const held: CommandFields[] = [];
    const responder = await Responder.start(keys, 's2', (c) => {
      if (JSON.parse(c.body).orderId === 1) {
        held.push(c);
        return undefined; // never answered in time
      }
      return { ok: true, body: { ok: true, canceling: [], refused: [] } };
    });
    const client = await SwitchyardRedisClient.connect({ url: SHARED_REDIS_URL, keyPrefix: keys.prefix, strategy: 's2', timeoutMs: 300, maxInFlight: 2 });
    cleanups.push(() => client.close());

    const t0 = Date.now();
    const lost = client.cancel({ orderId: 1 });
    await expect(lost).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(client.stats.timeouts).toBe(1);
    expect(client.stats.inFlight).toBe(0);

    // the late reply is ignored and counted; the client goes on working
    await responder.reply(held[0]!, { ok: true, body: { ok: true, order: { orderId: 1 } } });
    await pollUntil(() => client.stats.unmatchedReplies, (n) => n === 1, { timeoutMs: 5000, what: 'the late reply' });
    const ok = await client.cancelAll({ symbol: 'BTC-USDT' });
    expect(ok).toMatchObject({ ok: true, canceling: [], refused: [] });

    // bounded: two unanswered commands in flight, the third is refused at once
    const p1 = client.cancel({ orderId: 1 });
    const p2 = client.cancel({ orderId: 1 });
    await expect(client.cancel({ orderId: 1 })).rejects.toBeInstanceOf(BusClientError);
    expect(client.stats.refusedInFlight).toBe(1);
    await expect(p1).rejects.toMatchObject({ code: 'TIMEOUT' });
    await expect(p2).rejects.toMatchObject({ code: 'TIMEOUT' });
  }, 20_000);
});

describe('SwitchyardRedisClient when Redis goes away', () => {
  it('a command written before Redis died and unanswered ends CONNECTION_LOST (outcome unknown), not TIMEOUT, and not NOT_SENT', async () => {
    const server = await PrivateRedis.start();
    cleanups.push(() => server.stop());
    const client = await SwitchyardRedisClient.connect({ url: server.url, keyPrefix: uniquePrefix('client-lost'), strategy: 's3', timeoutMs: 1500 });
    cleanups.push(() => client.close());
    // nobody answers: the command is written (it is in the stream), then Redis dies and stays down past the timeout
    const p = client.cancel({ orderId: 7 });
    p.catch(() => undefined);
    await pollUntil(() => client.stats.sent, (n) => n === 1, { timeoutMs: 5000, what: 'the command written' });
    await server.kill();
    const e = await p.then(() => undefined, (err: unknown) => err);
    expect(e).toBeInstanceOf(BusClientError);
    expect(e).toMatchObject({ code: 'CONNECTION_LOST', requestId: expect.any(String) });
    // it claims neither outcome
    expect((e as Error).message).toMatch(/may or may not have been executed/);
    expect(client.stats.timeouts).toBe(1);
  }, 30_000);
});

describe('SwitchyardRedisClient events', () => {
  it('merges the strategy\'s events of several symbols in seq order, drops duplicates and resumes after since', async () => {
    const keys = new BusKeys(prefix('client-events'));
    const r = await redis();
    // orders:A holds seqs 1..5 and a duplicate of 3; orders:B seqs 6, 8; another strategy's 7 on B.
    // With 2 entries per read, reading stream by stream would see 6 before 3..5 (and drop them as duplicates).
    const ev = (seq: number, symbol: string, strategy = 'me'): Parameters<typeof publishEvent>[2] =>
      ({ seq, symbol, strategy, orderId: seq, clientOrderId: `c${seq}`, event: 'ACCEPT', state: 'ACCEPTED' });
    for (const seq of [1, 2, 3]) await publishEvent(r, keys, ev(seq, 'A'));
    await publishEvent(r, keys, ev(3, 'A')); // delivered again (at least once)
    await publishEvent(r, keys, ev(6, 'B'));
    await publishEvent(r, keys, ev(7, 'B', 'other'));
    for (const seq of [4, 5]) await publishEvent(r, keys, ev(seq, 'A'));
    await publishEvent(r, keys, ev(8, 'B'));

    const client = await SwitchyardRedisClient.connect({ url: SHARED_REDIS_URL, keyPrefix: keys.prefix, strategy: 'me', readCount: 2, blockMs: 200 });
    cleanups.push(() => client.close());
    const seen: BusOrderEvent[] = [];
    const feed = client.onEvent(['A', 'B'], (e) => seen.push(e), { since: 0 });
    await pollUntil(() => seen.length, (n) => n >= 7, { timeoutMs: 5000, what: 'seven events' });
    // a later event arrives too (the reader keeps following)
    await publishEvent(r, keys, ev(9, 'B'));
    await pollUntil(() => seen.length, (n) => n >= 8, { timeoutMs: 5000, what: 'the eighth event' });
    await feed.stop();
    expect(seen.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 8, 9]);
    expect(seen.every((e) => e.event.strategy === 'me')).toBe(true);
    expect(seen.find((e) => e.seq === 6)!.symbol).toBe('B');
    expect(seen[0]!.event).toMatchObject({ clientOrderId: 'c1', event: 'ACCEPT', state: 'ACCEPTED' });
    expect(client.stats.duplicateEvents).toBe(1);

    // resume after 5: only what came after
    const again: number[] = [];
    const ac = new AbortController();
    const it = client.events(['A', 'B'], { since: 5, signal: ac.signal });
    for await (const e of it) {
      again.push(e.seq);
      if (again.length === 3) break;
    }
    expect(again).toEqual([6, 8, 9]);
  }, 20_000);
});

describe('runRemoteStrategy', () => {
  it('runs a worker strategy module over the bus: REFUSED from a reply, ACK and lifecycle events with the submit\'s seq', async () => {
    const keys = new BusKeys(prefix('remote-runner'));
    const r = await redis();
    await r.set(keys.config, JSON.stringify({
      daemon: 'test',
      instruments: [{ symbol: 'BTC-USDT', base: 'BTC', quote: 'USDT', tickSize: '0.01', lotSize: '0.001', minQty: '0.001', minNotional: '5', referencePrice: '60000' }],
      venues: ['sim-a', 'sim-b'],
      strategies: { rs: { symbols: ['BTC-USDT'], params: { qty: '0.002' } } },
    }));
    let nextOrderId = 100;
    const held: CommandFields[] = [];
    const responder = await Responder.start(keys, 'rs', (c) => {
      const body = JSON.parse(c.body) as Record<string, unknown>;
      if (body.price === '59000') {
        held.push(c); // answered by the test, after the order's first event
        return undefined;
      }
      if (c.op === 'cancel') return { ok: false, body: { ok: false, error: { code: 'ORDER_NOT_CANCELABLE', message: 'final' } } };
      if (body.price === '70000') return { ok: false, body: { ok: false, error: { code: 'RISK_MAX_NOTIONAL', message: 'too big', field: 'price' } } };
      return { ok: true, body: { ok: true, order: orderView(c, nextOrderId++) } };
    });

    const events: StrategyEvent[] = [];
    const results: unknown[] = [];
    let stopped = 0;
    let ctxSeen: StrategyContext | undefined;
    const run: RemoteStrategyHandle = await runRemoteStrategy((ctx: StrategyContext) => {
      ctxSeen = ctx;
      return {
        start() {
          results.push(ctx.submit({ symbol: 'BTC-USDT', side: 'BUY', price: '60000', quantity: String(ctx.params.qty) })); // seq 1
          results.push(ctx.submit({ symbol: 'BTC-USDT', side: 'BUY', price: '70000', quantity: '0.002', tag: 9 })); // seq 2: refused by the reply
          results.push(ctx.submit({ symbol: 'BTC-USDT', side: 'BUY', price: '60000.001', quantity: '0.002' })); // off the tick grid: at once
          results.push(ctx.submit({ symbol: 'BTC-USDT', side: 'BUY', price: '60000', quantity: '0.002', venue: 'nowhere' }));
        },
        onEvent(e) {
          events.push(e);
        },
        stop() {
          stopped++;
        },
      };
    }, { url: SHARED_REDIS_URL, keyPrefix: keys.prefix, strategy: 'rs', handleSignals: false, log: { debug() {}, info() {}, warn() {}, error() {} } });
    cleanups.push(() => run.stop());

    expect(ctxSeen!.id).toBe('rs');
    expect(ctxSeen!.symbols).toEqual(['BTC-USDT']);
    expect(ctxSeen!.venues).toEqual(['sim-a', 'sim-b']);
    expect(ctxSeen!.instrument('BTC-USDT')!.ticksToPrice(6_000_000)).toBe('60000.00');
    expect(ctxSeen!.topOfBook('BTC-USDT')).toBeUndefined();
    expect(results[0]).toEqual({ ok: true, seq: 1 });
    expect(results[1]).toEqual({ ok: true, seq: 2 });
    expect(results[2]).toMatchObject({ ok: false, code: 'PRICE_NOT_ON_TICK' });
    expect(results[3]).toMatchObject({ ok: false, code: 'UNKNOWN_VENUE' });

    await pollUntil(() => events.length, (n) => n >= 2, { timeoutMs: 5000, what: 'ACK and REFUSED' });
    const refused = events.find((e) => e.kind === 'REFUSED')!;
    expect(refused).toMatchObject({ seq: 2, tag: 9, orderId: 0, code: 'RISK_MAX_NOTIONAL', terminal: true });
    const ack = events.find((e) => e.kind === 'ACK')!;
    expect(ack).toMatchObject({ seq: 1, orderId: 100, state: 'CREATED', symbol: 'BTC-USDT', priceTicks: 6_000_000, qtyLots: 2, terminal: false });

    // the daemon's events for order 100 (by its clientOrderId), and one of another strategy on the same stream
    const coid = (JSON.parse(responder.commands[0]!.body) as { clientOrderId: string }).clientOrderId;
    const base = { strategy: 'rs', symbol: 'BTC-USDT', orderId: 100, clientOrderId: coid } as const;
    await publishEvent(r, keys, { ...base, seq: 11, event: 'SUBMIT', state: 'SUBMITTED' });
    await publishEvent(r, keys, { ...base, seq: 12, event: 'ROUTE', state: 'SUBMITTED' });
    await publishEvent(r, keys, { ...base, seq: 13, event: 'ACCEPT', state: 'ACCEPTED' });
    await publishEvent(r, keys, { seq: 14, strategy: 'other', symbol: 'BTC-USDT', orderId: 5, clientOrderId: 'zz', event: 'ACCEPT', state: 'ACCEPTED' });
    await publishEvent(r, keys, {
      ...base, seq: 15, event: 'FILL', state: 'FILLED', filledQty: '0.002',
      fill: { tradeId: 't1', price: '59999.5', qty: '0.002', fee: '0.01', feeCurrency: 'USDT', feeEstimated: false, liquidity: 'MAKER', venueTs: null },
    });
    await pollUntil(() => events.length, (n) => n >= 5, { timeoutMs: 5000, what: 'the order events' });
    const about1 = events.filter((e) => e.orderId === 100);
    expect(about1.map((e) => e.kind)).toEqual(['ACK', 'SUBMITTED', 'ACCEPTED', 'FILL']);
    expect(about1.every((e) => e.seq === 1)).toBe(true);
    expect(about1[3]).toMatchObject({ priceTicks: 5_999_950, qtyLots: 2, filledLots: 2, state: 'FILLED', liquidity: 'MAKER', terminal: true });
    expect(run.stats.unreported).toBe(1); // ROUTE, as for workers
    expect(events.some((e) => e.orderId === 5)).toBe(false);
    expect(await ctxSeen!.openOrders()).toEqual([]);

    // a cancel refused by the reply: CANCEL_REJECTED with the cancel's seq
    const cr = ctxSeen!.submit({ symbol: 'BTC-USDT', side: 'SELL', price: '61000', quantity: '0.002' });
    expect(cr).toEqual({ ok: true, seq: 3 });
    await pollUntil(() => events.filter((e) => e.seq === 3).length, (n) => n === 1, { timeoutMs: 5000, what: 'ACK of seq 3' });
    expect(await ctxSeen!.openOrders()).toMatchObject([{ seq: 3, orderId: 101, state: 'CREATED', priceTicks: 6_100_000 }]);
    expect(ctxSeen!.cancel({ seq: 3 })).toEqual({ ok: true, seq: 4 });
    await pollUntil(() => events.find((e) => e.kind === 'CANCEL_REJECTED'), (e) => e !== undefined, { timeoutMs: 5000, what: 'CANCEL_REJECTED' });
    expect(events.find((e) => e.kind === 'CANCEL_REJECTED')).toMatchObject({ seq: 4, orderId: 101, code: 'ORDER_NOT_CANCELABLE' });
    expect(JSON.parse(responder.commands.at(-1)!.body)).toEqual({ orderId: 101 });

    // the order's events may come before the reply: they wait for it (the ACK carries the order's terms as the daemon
    // holds them, which only the reply tells), then ACK first, once
    expect(ctxSeen!.submit({ symbol: 'BTC-USDT', side: 'BUY', price: '59000', quantity: '0.002' })).toEqual({ ok: true, seq: 5 });
    await pollUntil(() => held.length, (n) => n === 1, { timeoutMs: 5000, what: 'the held submit' });
    const coid5 = (JSON.parse(held[0]!.body) as { clientOrderId: string }).clientOrderId;
    await publishEvent(r, keys, { strategy: 'rs', symbol: 'BTC-USDT', orderId: 200, clientOrderId: coid5, seq: 20, event: 'SUBMIT', state: 'SUBMITTED' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(events.filter((e) => e.seq === 5)).toEqual([]);
    await responder.reply(held[0]!, { ok: true, body: { ok: true, order: orderView(held[0]!, 200) } });
    await pollUntil(() => events.filter((e) => e.seq === 5).length, (n) => n === 2, { timeoutMs: 5000, what: 'ACK and SUBMITTED of seq 5' });
    await pollUntil(() => run.client.stats.inFlight, (n) => n === 0, { timeoutMs: 5000, what: 'the reply of seq 5' });
    expect(events.filter((e) => e.seq === 5).map((e) => [e.kind, e.orderId])).toEqual([['ACK', 200], ['SUBMITTED', 200]]);

    await run.stop();
    expect(stopped).toBe(1);
    expect(ctxSeen!.submit({ symbol: 'BTC-USDT', side: 'BUY', price: '60000', quantity: '0.002' })).toMatchObject({ ok: false, code: 'TRADING_HALTED' });
  }, 20_000);

  it('config/remote.yaml is a valid config with remote-demo as a redis strategy and events on', () => {
    const r = loadConfigFile('config/remote.yaml', {});
    expect(r.ok ? [] : r.errors).toEqual([]);
    if (!r.ok) return;
    const st = r.config.strategies.find((s) => s.id === 'remote-demo')!;
    expect(strategySource(st)).toBe('redis');
    expect(r.config.daemon.redis.events.enabled).toBe(true);
  });
});
