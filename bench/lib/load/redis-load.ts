/**
 * The Redis entry point of bench:load: one client library instance (src/bus/client.ts) per `source: redis`
 * strategy, at most `window` orders per client waiting for their acknowledgement (and at most `window` commands
 * waiting for their reply, the client library's own bound), flat out or at a rate; the
 * acknowledgements are the ACCEPT events the daemon writes to {prefix}orders:BTC-USDT, read by one plain reader
 * (XREAD, every client's orders; one reader rather than one per client, so the stream is not read N times). A
 * refused command (reply ok false) or a client error (TIMEOUT, TOO_MANY_IN_FLIGHT ...) is an error counted by its
 * code. Without the journal the daemon cannot publish events to Redis (config rule): the reply is then the
 * acknowledgement (ackOnReply) and no fills are seen.
 *
 * rawRedis: Redis's own limit for the pattern, as bench:redis measures it — per client, one connection XADDs
 * entries of the same fields and sizes with the same window, another reads them with XREADGROUP COUNT 256 and XACKs
 * them; entries acknowledged per second over all clients.
 */
import { performance } from 'node:perf_hooks';
import { createClient } from 'redis';
import { SwitchyardRedisClient } from '../../../src/bus/client.js';
import { applyEvent, BUY_PRICE, clientOrderId, orderJson, QUANTITY, SELL_PRICE, SYMBOL } from './orders.js';
import { allowedByNow, msUntilNext, pause } from './pacer.js';
import type { LoadTally } from './tally.js';

export interface RedisClientOptions {
  readonly url: string;
  readonly keyPrefix: string;
  readonly strategy: string;
  readonly client: number;
  readonly tag: string;
  readonly tally: LoadTally;
  readonly ratePerS: number;
  readonly ackOnReply: boolean;
  /** Replies with the whole order (default: the order's ids, `results: 'ids'`: the client reads only ok and error). */
  readonly fullReplies?: boolean;
}

export class RedisLoadClient {
  private c: SwitchyardRedisClient | undefined;
  private stopping = false;
  /** Commands waiting for their reply (an order's reply may come after its ACCEPT event: both are bounded). */
  private replies = 0;
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  /** Set by start(): nothing is sent before (a frame or reply read while connecting must not start the clock). */
  private t0 = -1;

  constructor(private readonly o: RedisClientOptions) {}

  async connect(): Promise<void> {
    this.c = await SwitchyardRedisClient.connect({
      url: this.o.url, keyPrefix: this.o.keyPrefix, strategy: this.o.strategy, client: `${this.o.tag}-${this.o.client}`,
      maxInFlight: this.o.tally.window, timeoutMs: 30_000, results: this.o.fullReplies === true ? 'order' : 'ids',
    });
  }

  start(t0: number): void {
    this.t0 = t0;
    this.pump();
  }

  stop(): void {
    this.stopping = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  async close(): Promise<void> {
    this.stop();
    await this.c?.close();
  }

  schedule(): void {
    if (this.scheduled || this.stopping || this.timer !== undefined) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.stopping || this.t0 < 0) return;
    const t = this.o.tally;
    const now = performance.now();
    const allowed = allowedByNow(this.o.ratePerS, this.t0, now);
    while (t.canSend() && this.replies < t.window && t.counter < allowed) {
      const n = t.sent(now);
      const buy = (n & 1) === 1;
      this.replies++;
      this.c!.submit({
        symbol: SYMBOL, side: buy ? 'BUY' : 'SELL', type: 'LIMIT', timeInForce: 'IOC', price: buy ? BUY_PRICE : SELL_PRICE,
        quantity: QUANTITY, clientOrderId: clientOrderId(this.o.tag, this.o.client, n),
      }).then((r) => {
        this.replies--;
        if (!r.ok) t.error(n, r.error.code, performance.now());
        else if (this.o.ackOnReply) t.ack(n, performance.now());
        this.schedule();
      }, (err: unknown) => {
        this.replies--;
        t.error(n, (err as { code?: string }).code ?? 'CLIENT_ERROR', performance.now());
        this.schedule();
      });
    }
    if (this.o.ratePerS > 0 && t.counter >= allowed && t.canSend() && this.replies < t.window) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.pump();
      }, msUntilNext(this.o.ratePerS, this.t0, performance.now(), t.counter));
    }
  }
}

/** Reads {prefix}orders:SYMBOL from its end as it is now and applies every event to the clients' tallies. */
export class RedisEventReader {
  private readonly conn: ReturnType<typeof createClient>;
  private closed = false;
  private loop: Promise<void> | undefined;
  entries = 0;

  constructor(
    private readonly url: string,
    private readonly keyPrefix: string,
    private readonly tag: string,
    private readonly tallies: readonly LoadTally[],
    private readonly after: () => void,
  ) {
    this.conn = createClient({ url });
    this.conn.on('error', () => undefined);
  }

  async open(): Promise<void> {
    await this.conn.connect();
    const key = `${this.keyPrefix}orders:${SYMBOL}`;
    const tail = await this.conn.xRevRange(key, '+', '-', { COUNT: 1 });
    let id = tail[0]?.id ?? '0-0';
    this.loop = (async () => {
      while (!this.closed) {
        let res;
        try {
          res = await this.conn.xRead({ key, id }, { BLOCK: 200, COUNT: 1000 });
        } catch {
          if (this.closed) return;
          await pause(50);
          continue;
        }
        if (res === null || !Array.isArray(res)) continue;
        const now = performance.now();
        for (const s of res as { messages: { id: string; message: Record<string, string> }[] }[]) {
          for (const m of s.messages) {
            id = m.id;
            this.entries++;
            const json = m.message.json;
            if (json === undefined) continue;
            try {
              applyEvent(JSON.parse(json) as { clientOrderId?: string; event?: string }, this.tag, this.tallies, now);
            } catch {
              // not an event: skipped
            }
          }
        }
        this.after();
      }
    })();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.loop?.catch(() => undefined);
    await this.conn.close().catch(() => undefined);
  }
}

/** Plain XADD + XREADGROUP + XACK per client, `window` entries added and not yet read each, for `durationMs`. */
export async function rawRedis(url: string, keyPrefix: string, clients: number, window: number, durationMs: number): Promise<number> {
  const pairs = await Promise.all(Array.from({ length: clients }, async (_, i) => {
    const producer = createClient({ url });
    const consumer = createClient({ url });
    producer.on('error', () => undefined);
    consumer.on('error', () => undefined);
    await producer.connect();
    await consumer.connect();
    const key = `${keyPrefix}raw:${i}`;
    await consumer.xGroupCreate(key, 'g', '0', { MKSTREAM: true });
    return { producer, consumer, key, i };
  }));
  const fields = (i: number, n: number): Record<string, string> => ({
    requestId: `load-raw-${i}.s1.${n.toString(36)}`, client: `load-raw-${i}`, op: 'submit', strategy: 'r00',
    body: orderJson('r00', n, clientOrderId('Lr', i, n)),
  });
  let stop = false;
  const t0 = performance.now();
  let lastAck = t0;
  const counts = await Promise.all(pairs.map(async ({ producer, consumer, key, i }) => {
    let sent = 0;
    let acked = 0;
    let wake: (() => void) | null = null;
    const reading = (async () => {
      const deadline = (): boolean => stop && (acked >= sent || performance.now() > t0 + durationMs + 5000);
      while (!deadline()) {
        const r = await consumer.xReadGroup('g', 'c', { key, id: '>' }, { COUNT: 256, BLOCK: 100 });
        if (r === null) continue;
        const ids = (r as { messages: { id: string }[] }[])[0]!.messages.map((m) => m.id);
        if (ids.length === 0) continue;
        await consumer.xAck(key, 'g', ids);
        acked += ids.length;
        lastAck = Math.max(lastAck, performance.now());
        const w = wake as (() => void) | null;
        wake = null;
        w?.();
      }
    })();
    const timer = setTimeout(() => {
      stop = true;
      const w = wake as (() => void) | null;
      wake = null;
      w?.();
    }, durationMs);
    while (!stop) {
      while (!stop && sent - acked < window) void producer.xAdd(key, '*', fields(i, ++sent)).catch(() => undefined);
      if (!stop) await new Promise<void>((r) => (wake = r));
    }
    clearTimeout(timer);
    await reading;
    return acked;
  }));
  const elapsedS = (lastAck - t0) / 1000;
  for (const { producer, consumer } of pairs) {
    await producer.close().catch(() => undefined);
    await consumer.close().catch(() => undefined);
  }
  const total = counts.reduce((a, b) => a + b, 0);
  return elapsedS > 0 ? total / elapsedS : 0;
}

/** Deletes every key under the prefix. */
export async function deleteRedisPrefix(url: string, keyPrefix: string): Promise<void> {
  const c = createClient({ url });
  c.on('error', () => undefined);
  await c.connect();
  try {
    for await (const keys of c.scanIterator({ MATCH: `${keyPrefix}*`, COUNT: 1000 })) if (keys.length > 0) await c.del(keys);
  } finally {
    await c.close();
  }
}

/**
 * Deletes the keys of earlier bench:load runs whose process is gone (killed before it could clean up): their prefix
 * is `${base}<pid>:...` and no process has that pid any more.
 */
export async function deleteStalePrefixes(url: string, base: string): Promise<number> {
  const c = createClient({ url });
  c.on('error', () => undefined);
  await c.connect();
  let deleted = 0;
  try {
    for await (const keys of c.scanIterator({ MATCH: `${base}*`, COUNT: 1000 })) {
      const stale = keys.filter((k) => {
        const pid = Number(k.slice(base.length).split(':')[0]);
        if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
        try {
          process.kill(pid, 0);
          return false; // still running
        } catch (e) {
          return (e as { code?: string }).code === 'ESRCH';
        }
      });
      if (stale.length > 0) deleted += await c.del(stale);
    }
  } finally {
    await c.close();
  }
  return deleted;
}
