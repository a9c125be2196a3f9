/**
 * Events out: every order event and fill of the daemon to Redis Streams (the wire format: protocol.ts), off the hot
 * path, never lost: a journal follower (src/journal/journal-follower.ts) whose rows are bus events and whose sink is
 * Redis.
 *
 *   P orders:{symbol}   one entry per order event (every applied transition): seq, strategy, orderId, clientOrderId,
 *                       event, state, json (the event exactly as GET /v1/stream sends it: streamEvent)
 *   P trades:{symbol}   one entry per venue fill (not a parent's rolled-up copy of its child's fill, which the orders
 *   P trades:all        stream carries): seq, strategy, symbol, orderId, clientOrderId, side, venue, price, qty, fee,
 *                       feeCurrency, liquidity, tradeId, ts
 *   P live_trades       one PUBLISH per venue fill (the trades fields as JSON)
 *   P events:published  the publisher's watermark W: every event of a record with seq <= W is in the streams
 *
 * A batch is ONE call of a Lua script (EVALSHA, atomic in Redis): it first checks that `events:published` is still
 * the watermark the publisher last read or wrote, then XADDs (MAXLEN ~ maxLen) each entry, PUBLISHes each fill, and
 * SETs `events:published W` last, so the streams and the watermark change together: after an outage the publisher
 * reads W back and publishes from W + 1, from the journal. A call whose reply was lost is read back the same way
 * (nothing twice). The check means a Redis that came back empty (no persistence) — even after an outage too short to
 * fail a write — gets no batch on top of streams that miss events; while no event comes the publisher reads W back
 * every `markEveryMs` instead (an idle daemon's Redis that came back empty is filled again then, not at the next
 * event). The publisher then reads W (absent: 0) and
 * publishes again from the journal's start (its first record, or its oldest snapshot, the records before it counted
 * in `lostRecords` although they had been published once), and a consumer that keeps the last seq it handled gets
 * everything after it, the rest being duplicates it drops by seq. A fresh Redis with an old journal is the same case. Delivery is at
 * least once; duplicates are detectable by seq. (A Redis with persistence (AOF) loses at most its unsynced tail: the
 * check sees the watermark went back and the publisher goes on from there, with fewer duplicates.)
 *
 * A Redis that stops answering fails a call after `timeoutMs` (the publisher is then down and catches up later).
 *
 * The dispatcher never waits on Redis: the recorder's hook only describes the event and buffers it (bounded by
 * `bufferEvents`; beyond, the buffer is dropped, counted in `overflows`, and the journal has the events). While Redis
 * is down nothing is buffered at all. The journal keeps what was not published: pass `retentionFloor` to the journal
 * (the lowest of it and the history's).
 */
import { Gauge, type Registry } from 'prom-client';
import type { OrderStore, OrderView } from '../core/order-store.js';
import type { OrderTracker } from '../core/order-tracker.js';
import { PARENT_VENUE_NAME } from '../history/history-record.js';
import { BareEventWriter } from '../journal/event-replay.js';
import { JsonBytes } from '../journal/json-bytes.js';
import { JournalFollower, type FollowedJournal, type FollowerLog, type FollowerSink, type RowMaker } from '../journal/journal-follower.js';
import type { Clock } from '../model/clock.js';
import type { Instrument } from '../model/instrument.js';
import type { LifecycleEvent, OrderUpdate, Transition } from '../model/lifecycle.js';
import type { Fill, OrderState } from '../model/order.js';
import type { BusKeys } from './protocol.js';
import { LuaScript } from './lua-script.js';
import { PackedStrings } from './packed-strings.js';
import type { RedisConnection } from './redis-connection.js';

/**
 * One order event as the publisher buffers it: what its entries need, taken from the order view while the hook runs
 * (the view is reused once the call returns).
 */
export interface BusEvent {
  /** Journal seq of the UPDATE record that made the event durable. */
  readonly seq: number;
  readonly symbol: string;
  readonly strategy: string;
  readonly orderId: number;
  readonly clientOrderId: string;
  readonly event: LifecycleEvent;
  readonly state: OrderState;
  /** The event exactly as GET /v1/stream sends it: its JSON's UTF-8 bytes (BareEventWriter; never changed once made). */
  readonly json: Buffer;
  /** A venue fill's trades:{symbol} / trades:all entry (and live_trades message), else null. */
  readonly trade: TradeEntry | null;
}

/**
 * The row maker of the publisher's follower: each applied transition recorded at `seq` (live with the daemon's
 * tracker, in catch-up with a scratch one) as its bus event. The events' JSON is written into `arena` (a JsonBytes
 * with chunks: each event a view of its chunk, no string made of it; a chunk is collected once the events buffered in
 * it are published). One arena per publisher.
 */
export function busEventRows(arena: JsonBytes): RowMaker<BusEvent> {
  const events = new BareEventWriter();
  return (seq, tracker, order, update, t, out) => {
    if (t.outcome !== 'APPLIED') return;
    const ins = tracker.store.instrument(order.slot);
    out.push({
      seq, symbol: ins.symbol, strategy: order.strategy, orderId: order.id, clientOrderId: order.clientOrderId,
      event: t.event, state: t.to, json: events.bytes(arena, seq, tracker, order, update, t),
      // a parent's rolled-up copy of its child's fill is an order event, not a trade (the child's fill is the trade)
      trade: update.kind === 'FILL' && order.venue !== PARENT_VENUE_NAME ? tradeEntry(seq, order, ins, update.fill) : null,
    });
  };
}

/**
 * The trades:{symbol} / trades:all entry (and live_trades message) of a venue fill: the values of the event's own
 * fields (streamEvent: the fill's time, its price and quantity as decimals, the quote currency for a fee without one).
 */
function tradeEntry(seq: number, order: OrderView, ins: Instrument, f: Fill): TradeEntry {
  return {
    seq: String(seq), strategy: order.strategy, symbol: ins.symbol, orderId: String(order.id), clientOrderId: order.clientOrderId, side: order.side,
    venue: f.venue, price: ins.ticksToPrice(f.priceTicks), qty: ins.lotsToQty(f.qtyLots), fee: f.fee,
    feeCurrency: f.feeCurrency === '' ? ins.quote : f.feeCurrency, liquidity: f.liquidity, tradeId: f.tradeId, ts: String(f.ts),
  };
}

export interface EventPublisherOptions {
  /** The publisher's own connection (role "events"): it connects it at start and closes it at stop. */
  readonly connection: RedisConnection;
  readonly keys: BusKeys;
  /** The daemon's tracker (events are described with it, as the API stream does). */
  readonly tracker: OrderTracker;
  /** The daemon's order store (catch-up builds a scratch store like it). Default: tracker.store. */
  readonly orders?: OrderStore;
  /** daemon.retainFinishedOrders. */
  readonly retainFinished: number;
  readonly clock: Clock;
  readonly log: FollowerLog;
  /** daemon.redis.events.maxLen: XADD MAXLEN ~ of every stream. */
  readonly maxLen: number;
  /** daemon.redis.events.bufferEvents. Default 65536. */
  readonly bufferEvents?: number;
  /** daemon.redis.events.batchEvents: events per script call (one atomic batch). Default 500. */
  readonly batchEvents?: number;
  /** Tests: the longest a live event waits for its batch (default 2 ms: batches form while the previous one is written), retry backoff (250 ms up to 5000 ms), idle mark (1000 ms). */
  readonly flushMs?: number;
  readonly retryMs?: number;
  readonly maxRetryMs?: number;
  readonly markEveryMs?: number;
  /** A Redis call not answered within this fails (Redis hung: the publisher is down, catches up later). Default 5000 ms. */
  readonly timeoutMs?: number;
}

export interface EventPublisherStatus {
  readonly where: string;
  /** The last Redis write or read worked. */
  readonly up: boolean;
  readonly mode: 'starting' | 'live' | 'catch-up' | 'down' | 'stopped';
  /** events:published (-1: Redis never reached yet). */
  readonly watermark: number;
  /** Journal records after the watermark (at least as many as the events not yet in the streams). */
  readonly lagEvents: number;
  /** How long the streams have been behind the journal (0 when caught up). */
  readonly lagSeconds: number;
  readonly buffered: number;
  /** Times the buffer was full and dropped (the events were then read from the journal). */
  readonly overflows: number;
  readonly writeErrors: number;
  readonly lastError: string | null;
  /** Journal records no longer in the journal when the publisher needed them (never published). */
  readonly lostRecords: number;
  /** The connection's reconnects. */
  readonly reconnects: number;
}

/**
 * The value of `events:published` as a watermark: absent is 0 (nothing published yet); anything but a whole number of
 * at least 0 was not written by a publisher (another program writing under this key prefix, a hand-made value) and
 * is refused (coded EVENTS_WATERMARK_INVALID, saying what to do): taken as 0 it would publish the whole journal again on
 * top of streams that are someone else's, and the publisher's own check would refuse every batch anyway.
 */
export function watermarkOf(v: unknown, key: string): number {
  if (v === null || v === undefined) return 0;
  const text = String(v);
  // canonical only ('007' is not what a publisher writes, and the script compares the text)
  const n = /^(0|[1-9]\d{0,15})$/.test(text) ? Number(text) : NaN;
  if (Number.isSafeInteger(n)) return n;
  const shown = JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}...` : text);
  throw Object.assign(new Error(`redis: ${key} holds ${shown}, which is not a journal seq (the publisher writes a whole number there): `
    + 'something else writes under this daemon.redis.keyPrefix; nothing is published until it is resolved: give this daemon a keyPrefix of its own, '
    + 'or delete the key (every event the journal still has is then published again; consumers drop what they had by seq)'), { code: 'EVENTS_WATERMARK_INVALID' });
}

/** The fields of an orders:{symbol} entry, in their order (values from the batch, names from the script). */
const ORDER_FIELDS = ['seq', 'strategy', 'orderId', 'clientOrderId', 'event', 'state', 'json'] as const;
/** The fields of a trades:{symbol} / trades:all entry and of a live_trades message, in their order. */
const TRADE_FIELDS = ['seq', 'strategy', 'symbol', 'orderId', 'clientOrderId', 'side', 'venue', 'price', 'qty', 'fee', 'feeCurrency', 'liquidity', 'tradeId', 'ts'] as const;
type TradeEntry = Record<(typeof TRADE_FIELDS)[number], string>;

/** `'name', v[i + first], 'name', v[i + first + 1], ...`: an XADD's field list in the script. */
function fieldList(names: readonly string[], first: number): string {
  return names.map((n, k) => `'${n}', v[i + ${first + k}]`).join(', ');
}

/**
 * The script that publishes one batch: KEYS[1] the watermark key; ARGV[1] the watermark expected, ARGV[2] the new one,
 * ARGV[3] MAXLEN, ARGV[4] the batch's values packed (packed-strings.ts): per order event `o key <ORDER_FIELDS values>`
 * and per venue fill `t tradesKey allTradesKey channel message <TRADE_FIELDS values>` (two XADDs MAXLEN ~ and a
 * PUBLISH). The field names are the script's own constants, so a batch carries only the values. Refuses with
 * EVENTS_WATERMARK_MOVED <current> when the watermark is not the one expected, and with EVENTS_KEY_WRONGTYPE when one
 * of the batch's stream keys holds something else than a stream (nothing written either way: a script is not undone
 * by an error, so an XADD refused half way would leave the entries before it, added again at every retry).
 */
const PUBLISH_SCRIPT = new LuaScript(`
local cur = redis.call('GET', KEYS[1]) or '0'
if cur ~= ARGV[1] then return redis.error_reply('EVENTS_WATERMARK_MOVED ' .. cur) end
local maxlen = ARGV[3]
local v = cmsgpack.unpack(ARGV[4])
local n = #v
-- every stream of the batch must be one (or absent) before anything is written: an XADD refused half way (a key of
-- another type) would leave the entries before it in place, and the batch, sent again, would add them again and again
local checked = {}
local function isStream(key)
  if checked[key] then return true end
  local t = redis.call('TYPE', key)['ok']
  if t ~= 'stream' and t ~= 'none' then return false end
  checked[key] = true
  return true
end
local i = 1
while i <= n do
  if v[i] == 'o' then
    if not isStream(v[i + 1]) then return redis.error_reply('EVENTS_KEY_WRONGTYPE ' .. v[i + 1] .. ' is not a stream') end
    i = i + ${2 + ORDER_FIELDS.length}
  else
    if not isStream(v[i + 1]) then return redis.error_reply('EVENTS_KEY_WRONGTYPE ' .. v[i + 1] .. ' is not a stream') end
    if not isStream(v[i + 2]) then return redis.error_reply('EVENTS_KEY_WRONGTYPE ' .. v[i + 2] .. ' is not a stream') end
    i = i + ${5 + TRADE_FIELDS.length}
  end
end
i = 1
while i <= n do
  if v[i] == 'o' then
    redis.call('XADD', v[i + 1], 'MAXLEN', '~', maxlen, '*', ${fieldList(ORDER_FIELDS, 2)})
    i = i + ${2 + ORDER_FIELDS.length}
  else
    redis.call('XADD', v[i + 1], 'MAXLEN', '~', maxlen, '*', ${fieldList(TRADE_FIELDS, 5)})
    redis.call('XADD', v[i + 2], 'MAXLEN', '~', maxlen, '*', ${fieldList(TRADE_FIELDS, 5)})
    redis.call('PUBLISH', v[i + 3], v[i + 4])
    i = i + ${5 + TRADE_FIELDS.length}
  end
end
redis.call('SET', KEYS[1], ARGV[2])
return 1
`);

/** Redis as the follower's sink: one script call per batch (streams, channel and the watermark together). */
class RedisEventSink implements FollowerSink<BusEvent> {
  readonly kind = 'redis';
  /** The watermark as last read or written: a batch must find it unchanged (else Redis lost data). */
  private known = 0;
  private readonly maxLen: string;
  /** The batch's values, written into one argument (reused). */
  private readonly packed = new PackedStrings();
  /** The streams of each symbol published so far (their names made once, not for every event). */
  private readonly streams = new Map<string, { orders: string; trades: string }>();

  constructor(private readonly c: RedisConnection, private readonly keys: BusKeys, maxLen: number, private readonly timeoutMs: number) {
    this.maxLen = String(maxLen);
  }

  get where(): string {
    return this.c.where;
  }

  /**
   * Connect, within timeoutMs: a Redis down since start keeps node-redis's first connect pending (it retries in the
   * background), and the publisher would show 'starting' without an error for as long; failed, it is 'down' with
   * lastError saying so (the next open() finds the connection opened and the watermark read fails fast until Redis
   * answers).
   */
  open(): Promise<void> {
    return this.timed(this.c.connect(), 'connect');
  }

  private keysOf(symbol: string): { orders: string; trades: string } {
    let k = this.streams.get(symbol);
    if (k === undefined) {
      k = { orders: this.keys.orders(symbol), trades: this.keys.trades(symbol) };
      this.streams.set(symbol, k);
    }
    return k;
  }

  async watermark(): Promise<number> {
    this.known = watermarkOf(await this.timed(this.c.client.get(this.keys.published), 'GET events:published'), this.keys.published);
    return this.known;
  }

  async write(rows: readonly BusEvent[], watermark: number): Promise<void> {
    // One script, one round trip: the batch lands only on the Redis the watermark was read from (the script checks it
    // is unchanged first, and that every stream key is a stream), and the streams and the watermark change together.
    const v = this.packed;
    v.begin();
    for (const r of rows) {
      const symbol = r.symbol;
      v.push('o');
      const keys = this.keysOf(symbol);
      v.push(keys.orders);
      v.push(String(r.seq));
      v.push(r.strategy);
      v.push(String(r.orderId));
      v.push(r.clientOrderId);
      v.push(r.event);
      v.push(r.state);
      v.pushBytes(r.json);
      const trade = r.trade;
      if (trade !== null) {
        v.push('t');
        v.push(keys.trades);
        v.push(this.keys.allTrades);
        v.push(this.keys.liveTrades);
        v.push(JSON.stringify(trade));
        for (const f of TRADE_FIELDS) v.push(trade[f]);
      }
    }
    const args = PUBLISH_SCRIPT.call(1);
    args.push(this.keys.published, String(this.known), String(watermark), this.maxLen, v.finish());
    try {
      await this.timed(PUBLISH_SCRIPT.run(this.c.client, args), 'EVALSHA (publish a batch)');
    } catch (err) {
      const text = err instanceof Error ? err.message : String(err);
      const moved = /EVENTS_WATERMARK_MOVED (0|[1-9]\d{0,15})(?!\S)/.exec(text);
      if (moved === null) {
        // moved to something that is not a watermark: read back (resync), it is refused there with what to do
        if (text.includes('EVENTS_WATERMARK_MOVED')) throw Object.assign(new Error(`redis: ${this.keys.published} was changed to something else than a watermark`), { code: 'EVENTS_WATERMARK_INVALID' });
        throw err;
      }
      // Redis lost what was published (restarted empty, flushed; an AOF that lost its tail) or someone else
      // publishes under this prefix: nothing was written; the follower reads the watermark and goes on from it
      const was = this.known;
      this.known = Number(moved[1]);
      throw Object.assign(new Error(`redis: events:published is ${this.known}, was ${was} (Redis lost data): publishing again from the journal`), { code: 'EVENTS_WATERMARK_MOVED' });
    }
    this.known = watermark;
  }

  /**
   * A Redis that stopped answering (hung, a network that drops packets) fails the call after timeoutMs instead of
   * holding the publisher: it is then down and catches up later. The reply may still come: the watermark is read back
   * on the same connection after it (Redis answers a connection's commands in order), so nothing is published twice.
   */
  private timed<T>(p: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error(`redis: ${what} took longer than ${this.timeoutMs} ms`), { code: 'ETIMEDOUT' })), this.timeoutMs);
      timer.unref?.();
    });
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
  }

  close(): Promise<void> {
    return this.c.close();
  }
}

export class EventPublisher {
  private readonly follower: JournalFollower<BusEvent>;

  constructor(private readonly o: EventPublisherOptions) {
    this.follower = new JournalFollower<BusEvent>({
      name: 'events', sink: new RedisEventSink(o.connection, o.keys, o.maxLen, o.timeoutMs ?? 5000), rows: busEventRows(new JsonBytes(64 * 1024)),
      orders: o.orders ?? o.tracker.store, tracker: o.tracker, retainFinished: o.retainFinished, clock: o.clock, log: o.log,
      bufferRows: o.bufferEvents ?? 65536, batchRows: o.batchEvents ?? 500, flushMs: o.flushMs ?? 2, retryMs: o.retryMs,
      maxRetryMs: o.maxRetryMs, markEveryMs: o.markEveryMs,
      // a Redis restarted empty (or its keys deleted) while no event comes is noticed then, not at the next event
      checkSinkMs: o.markEveryMs ?? 1000,
    });
    this.onRecorded = this.follower.onRecorded;
    this.retentionFloor = this.follower.retentionFloor;
  }

  /** JournalRecorder.addRecordedListener: describes the event and buffers it; never waits, never throws. */
  readonly onRecorded: (seq: number, order: OrderView, update: OrderUpdate, t: Transition) => void;

  /** The journal's retention floor from the publisher (0: keep everything). */
  readonly retentionFloor: () => number;

  /** Start once the journal is open and recovered: connect, read events:published, publish the rest, go live. */
  start(journal: FollowedJournal): void {
    this.follower.start(journal);
  }

  /** Publish what is buffered (within timeoutMs), then close the connection. Call after the journal closed. */
  stop(timeoutMs = 5000): Promise<void> {
    return this.follower.stop(timeoutMs);
  }

  get watermark(): number {
    return this.follower.watermark;
  }

  status(): EventPublisherStatus {
    const s = this.follower.status();
    return {
      where: s.where, up: s.up, mode: s.mode, watermark: s.watermark, lagEvents: s.lagRecords, lagSeconds: s.lagSeconds,
      buffered: s.buffered, overflows: s.overflows, writeErrors: s.writeErrors, lastError: s.lastError, lostRecords: s.lostRecords,
      reconnects: this.o.connection.reconnects,
    };
  }
}

/**
 * The publisher's gauges, read at scrape time: switchyard_redis_publish_up, switchyard_redis_publish_lag_events,
 * switchyard_redis_publish_lag_seconds, switchyard_redis_publish_overflows_total, switchyard_redis_publish_lost_records,
 * and switchyard_redis_reconnects_total{role="events"} (the connection's count; a gauge set at scrape time).
 */
export function registerPublisherMetrics(registry: Registry, status: () => EventPublisherStatus): void {
  const gauge = (name: string, help: string, value: (s: EventPublisherStatus) => number): void => {
    new Gauge({
      name, help, registers: [registry],
      collect() {
        this.set(value(status()));
      },
    });
  };
  gauge('switchyard_redis_publish_up', '1 while the event publisher\'s last Redis write worked (0: down, the journal keeps the events)', (s) => (s.up ? 1 : 0));
  gauge('switchyard_redis_publish_lag_events', 'Journal records after events:published (events not yet in the Redis streams, at most)', (s) => s.lagEvents);
  gauge('switchyard_redis_publish_lag_seconds', 'How long the Redis streams have been behind the journal', (s) => s.lagSeconds);
  gauge('switchyard_redis_publish_overflows_total', 'Times the publisher\'s buffer was full and it went back to the journal', (s) => s.overflows);
  gauge('switchyard_redis_publish_lost_records', 'Journal records deleted before the publisher could publish them', (s) => s.lostRecords);
  new Gauge({
    name: 'switchyard_redis_reconnects_total', help: 'Times a Redis connection was lost and made again, by role', labelNames: ['role'], registers: [registry],
    collect() {
      this.set({ role: 'events' }, status().reconnects);
    },
  });
}
