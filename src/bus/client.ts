/**
 * The typed Redis client of a remote strategy: what a program on another machine uses to submit, cancel, amend and
 * follow its orders through the daemon's Redis bus (the wire format is src/bus/protocol.ts, nothing else).
 *
 *   const c = await SwitchyardRedisClient.connect({ url: 'redis://host:6379', strategy: 'remote-demo' });
 *   const r = await c.submit({ symbol: 'BTC-USDT', side: 'BUY', type: 'LIMIT', price: '60000', quantity: '0.001' });
 *   for await (const e of c.events(['BTC-USDT'])) console.log(e.seq, e.event.event, e.event.state);
 *
 * Commands: each is one XADD to P commands:{strategy} with a requestId unique to this client instance (client name,
 * a random session tag, a counter), so the daemon's dedupe never confuses two clients or two runs of one. A command
 * that cannot be written (Redis down) is written again with the same requestId until its timeout: the daemon answers
 * a repeated requestId with its recorded answer (replayed '1') instead of executing it twice. Replies are read from
 * P replies:{client} by XREAD BLOCK on a connection of their own and matched by requestId; a command without an
 * answer in `timeoutMs` rejects with TIMEOUT (Redis reachable throughout: the daemon did not answer) or CONNECTION_LOST
 * (a connection to Redis was down at the time, or lost and made again while it waited: the command or its reply may
 * have gone with Redis) — either way its outcome is unknown (it may or may not have been executed: follow the order's
 * events by clientOrderId) and its late reply, when it comes, is ignored and counted — unless no write of it can have
 * reached Redis in that time (every attempt refused at once, the connection down): it then rejects with NOT_SENT, and
 * is never written later (nothing executed it, nothing will). At most `maxInFlight` commands wait for a reply at once:
 * beyond, a command is refused at once (TOO_MANY_IN_FLIGHT), never queued.
 *
 * Events: events(symbols) reads P orders:{symbol} of each symbol on a connection of its own, keeps this strategy's
 * entries, and yields them merged in seq order; an entry at or below the last seq yielded is a duplicate (delivery
 * is at least once) and is dropped and counted. `since` resumes after a seq handled before.
 *
 * Dependencies: the `redis` package, protocol.ts, redis-connection.ts and types only (a remote machine needs none of
 * the daemon's code paths). Credentials come from the environment (redis-connection.ts).
 */
import { randomBytes } from 'node:crypto';
import { ClientClosedError, ClientOfflineError } from 'redis';
import { BusKeys, WIRE_ID_RE, type CommandOp, type ReplyFields } from './protocol.js';
import { redisConnection, redisSettings, type RedisConnection, type RedisConnectionLog } from './redis-connection.js';
import { settledWithin } from './settled-within.js';
import type { OrderView } from '../api/order-view.js';
import type { ErrorCode } from '../model/errors.js';
import type { OrderEvent } from '../model/events.js';
import { isResultShape, type ResultShape } from '../model/result-shape.js';

/** An order as the body of POST /v1/orders (decimals as strings or numbers); `strategy` is filled in by the client. */
export interface RemoteOrder {
  readonly symbol: string;
  readonly side: 'BUY' | 'SELL';
  readonly type?: string;
  readonly timeInForce?: string;
  readonly postOnly?: boolean;
  readonly price?: string | number;
  readonly stopPrice?: string | number;
  readonly quantity: string | number;
  /** 1 to 32 ASCII letters and digits; the client makes one when absent (every submit over Redis carries one). */
  readonly clientOrderId?: string;
  readonly priority?: string;
  readonly venue?: string;
  readonly route?: string;
  readonly trailingOffset?: string | number;
  readonly algo?: Readonly<Record<string, unknown>>;
}

export type OrderTarget = { readonly orderId: number } | { readonly clientOrderId: string };

/** The answer of a command (the reply body of protocol.ts), with whether it was a replayed answer. */
export type Reply = (
  | { readonly ok: true; readonly order: OrderView }
  /**
   * With `results: 'ids'`, the order named by its ids (an amend's with `pending`); also a replayed answer about an order
   * the daemon no longer holds (only its orderId is known then).
   */
  | { readonly ok: true; readonly orderId: number; readonly clientOrderId?: string; readonly pending?: boolean }
  | { readonly ok: true; readonly canceling: number[]; readonly refused: { orderId: number; code: ErrorCode; message: string }[] }
  | {
    readonly ok: false; readonly error: { readonly code: ErrorCode; readonly message: string; readonly field?: string };
    /** The order the refusal concerns (a DENIED submit...): its view, or with `results: 'ids'` its orderId and clientOrderId. */
    readonly order?: OrderView; readonly orderId?: number; readonly clientOrderId?: string;
  }
) & {
  /** True when the daemon had executed this requestId before and sent its recorded answer again. */
  readonly replayed: boolean;
};

/** One entry of P orders:{symbol}. */
export interface BusOrderEvent {
  readonly seq: number;
  /** The stream entry id. */
  readonly id: string;
  readonly symbol: string;
  /** The event exactly as GET /v1/stream sends it (the entry's `json` field). */
  readonly event: OrderEvent;
}

/** What P config holds (written by the daemon at start when a strategy has source: redis). */
export interface BusConfig {
  readonly daemon: unknown;
  readonly instruments: readonly {
    readonly symbol: string; readonly base: string; readonly quote: string; readonly tickSize: string;
    readonly lotSize: string; readonly minQty?: string; readonly minNotional?: string; readonly [k: string]: unknown;
  }[];
  readonly venues: readonly string[];
  readonly strategies: Readonly<Record<string, { readonly symbols: readonly string[]; readonly params?: Record<string, unknown> }>>;
}

/** Errors of the client itself (the daemon's refusals are replies, not errors). */
export type BusClientErrorCode = 'TIMEOUT' | 'CONNECTION_LOST' | 'NOT_SENT' | 'TOO_MANY_IN_FLIGHT' | 'CLOSED' | 'INVALID_ARGUMENT' | 'BAD_REPLY' | 'NO_CONFIG';

export class BusClientError extends Error {
  constructor(readonly code: BusClientErrorCode, message: string, readonly requestId?: string) {
    super(message);
    this.name = 'BusClientError';
  }
}

export interface ClientOptions {
  /** Default redis://127.0.0.1:6379 (no credentials in it: SWITCHYARD_REDIS_USERNAME / _PASSWORD / _TLS / _CA_FILE). */
  readonly url?: string;
  /** Default 'switchyard:' (the daemon's daemon.redis.keyPrefix). */
  readonly keyPrefix?: string;
  readonly strategy: string;
  /** Name of this client's reply stream (1 to 44 of A-Z a-z 0-9 _ . : -). Default: strategy + '-' + random. */
  readonly client?: string;
  /** Where credentials are read from. Default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** A command without a reply after this long rejects with TIMEOUT (ms). Default 10000. */
  readonly timeoutMs?: number;
  /** Commands waiting for a reply at once; beyond, TOO_MANY_IN_FLIGHT. Default 1024. */
  readonly maxInFlight?: number;
  /** Longest XREAD BLOCK (ms): how late close() may be noticed by a reader. Default 1000. */
  readonly blockMs?: number;
  /** Entries read per XREAD (per stream). Default 256. */
  readonly readCount?: number;
  /** Approximate MAXLEN of the command stream (XADD MAXLEN ~). Default 100000. */
  readonly commandMaxLen?: number;
  /**
   * What a reply names its order with: 'order' (default) the order's view, 'ids' its orderId and clientOrderId only
   * (less for the daemon, Redis and this client to carry, for a strategy that follows its orders with events()).
   */
  readonly results?: ResultShape;
  readonly log?: RedisConnectionLog;
  /**
   * When the client made its reply stream's name up (no `client` given), close() lets that stream expire after this
   * many seconds (late replies still land meanwhile), so runs do not leave reply streams behind. Default 3600.
   */
  readonly replyTtlSeconds?: number;
}

export interface EventsOptions {
  /** Resume after this seq (entries at or below it are skipped). Default: only events written from now on. */
  readonly since?: number;
  /** Ends the iteration (even while it waits for entries). */
  readonly signal?: AbortSignal;
  /** Called once the starting point is fixed (with since absent: the streams' ends as they were then). */
  readonly onReady?: () => void;
}

/** Counters of what the client saw (nothing is dropped without being counted). */
export interface ClientStats {
  readonly sent: number;
  readonly replies: number;
  readonly replayed: number;
  /**
   * Replies whose requestId waits for nothing here (late after a timeout, answered again by a daemon that found its
   * consumer group made again while it was down — `replayed`, at least once —, or not ours): dropped.
   */
  readonly unmatchedReplies: number;
  readonly timeouts: number;
  readonly refusedInFlight: number;
  /** Command writes that failed and were tried again. */
  readonly writeRetries: number;
  /** Event entries dropped because their seq was at or below the last seq yielded. */
  readonly duplicateEvents: number;
  /** Entries that could not be parsed (no seq or bad json): skipped. */
  readonly badEntries: number;
  readonly inFlight: number;
}

interface Pending {
  readonly resolve: (r: Reply) => void;
  readonly reject: (e: Error) => void;
  readonly timer: NodeJS.Timeout;
  done: boolean;
  /** A write of it may have reached Redis (an XADD succeeded, is under way, or failed after it was sent). */
  maybeSent: boolean;
  /** The two connections' reconnects when it was sent (a change: Redis was lost while it waited). */
  readonly epoch: number;
}

/** How long close() waits for Redis (the reply stream's EXPIRE, the command connection's close) before dropping it (ms). */
const CLOSE_WAIT_MS = 1000;

/** Errors node-redis gives before sending anything (the connection is down or closed): the command was not written. */
function notSent(e: unknown): boolean {
  return e instanceof ClientOfflineError || e instanceof ClientClosedError;
}

const quietLog: RedisConnectionLog = { info: () => undefined, warn: () => undefined };

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `n` random letters and digits. */
function randomTag(n: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(n);
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[bytes[i]! % alphabet.length];
  return s;
}

export class SwitchyardRedisClient {
  readonly keys: BusKeys;
  readonly strategy: string;
  readonly client: string;
  private readonly session = randomTag(6);
  /** Start of the client order ids this client makes: 'r' + 9 random letters/digits (then a base-36 counter). */
  private readonly coidPrefix = 'r' + randomTag(9);
  private counter = 0;
  private coidCounter = 0;
  private readonly pending = new Map<string, Pending>();
  private readonly readers = new Set<RedisConnection>();
  private closed = false;
  private replyLoop: Promise<void> | undefined;
  private readonly timeoutMs: number;
  private readonly maxInFlight: number;
  private readonly blockMs: number;
  private readonly readCount: number;
  /** `XADD P commands:{strategy} MAXLEN ~ commandMaxLen *`: the start of every command's XADD. */
  private readonly xaddHead: readonly string[];
  private readonly counts = {
    sent: 0, replies: 0, replayed: 0, unmatchedReplies: 0, timeouts: 0, refusedInFlight: 0, writeRetries: 0,
    duplicateEvents: 0, badEntries: 0,
  };

  private constructor(
    private readonly o: ClientOptions,
    private readonly cmd: RedisConnection,
    private readonly replyConn: RedisConnection,
    private readonly makeReader: () => RedisConnection,
  ) {
    this.keys = new BusKeys(o.keyPrefix ?? 'switchyard:');
    this.strategy = o.strategy;
    this.client = o.client ?? `${o.strategy}-${randomTag(8)}`;
    this.timeoutMs = o.timeoutMs ?? 10_000;
    this.maxInFlight = o.maxInFlight ?? 1024;
    this.blockMs = o.blockMs ?? 1000;
    this.readCount = o.readCount ?? 256;
    this.xaddHead = ['XADD', this.keys.commands(this.strategy), 'MAXLEN', '~', String(o.commandMaxLen ?? 100_000), '*'];
  }

  /** Connects (two connections: commands, replies) and starts reading this client's reply stream. */
  static async connect(o: ClientOptions): Promise<SwitchyardRedisClient> {
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(o.strategy)) throw new BusClientError('INVALID_ARGUMENT', `strategy "${o.strategy}" is not a strategy id`);
    if (o.results !== undefined && !isResultShape(o.results)) throw new BusClientError('INVALID_ARGUMENT', `results must be 'order' or 'ids'`);
    if (o.client !== undefined && !(WIRE_ID_RE.test(o.client) && o.client.length <= 44)) {
      throw new BusClientError('INVALID_ARGUMENT', 'client must be 1 to 44 of A-Z a-z 0-9 _ . : -');
    }
    const url = o.url ?? 'redis://127.0.0.1:6379';
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new BusClientError('INVALID_ARGUMENT', 'url must be a redis:// or rediss:// address');
    }
    if (parsed.username !== '' || parsed.password !== '') {
      // as the daemon's daemon.redis.url: a password in a URL ends up in command lines, shell histories and logs
      throw new BusClientError('INVALID_ARGUMENT', 'no user or password in the URL: set SWITCHYARD_REDIS_USERNAME and SWITCHYARD_REDIS_PASSWORD in the environment');
    }
    const settings = redisSettings(url, o.env ?? process.env);
    const log = o.log ?? quietLog;
    const cmd = redisConnection(settings, { role: 'client-commands', log });
    const replies = redisConnection(settings, { role: 'client-replies', log });
    const c = new SwitchyardRedisClient(o, cmd, replies, () => redisConnection(settings, { role: 'client-events', log }));
    try {
      await cmd.connect();
      await replies.connect();
      // replies are read from the end of the stream as it is now: every reply to a command of ours comes later
      const last = await cmd.client.xRevRange(c.keys.replies(c.client), '+', '-', { COUNT: 1 });
      c.replyLoop = c.readReplies(last[0]?.id ?? '0-0');
    } catch (e) {
      await c.close();
      throw e;
    }
    return c;
  }

  get stats(): ClientStats {
    return { ...this.counts, inFlight: this.pending.size };
  }

  /** A client order id unique to this client: 'r', 9 random letters/digits, a base-36 counter (at most 32). */
  nextClientOrderId(): string {
    return this.coidPrefix + (++this.coidCounter).toString(36);
  }

  /** Submits an order (its strategy is this client's; a clientOrderId is made when it has none). */
  submit(order: RemoteOrder): Promise<Reply> {
    if (typeof order !== 'object' || order === null) return Promise.reject(new BusClientError('INVALID_ARGUMENT', 'order must be an object'));
    const body = { ...order, strategy: this.strategy, clientOrderId: order.clientOrderId ?? this.nextClientOrderId() };
    return this.send('submit', body);
  }

  cancel(target: OrderTarget): Promise<Reply> {
    const body = targetBody(target);
    return body instanceof Error ? Promise.reject(body) : this.send('cancel', body);
  }

  /** Amends price and/or quantity (the new total, fills included), as PATCH /v1/orders/:id. */
  amend(target: OrderTarget, change: { readonly price?: string | number; readonly quantity?: string | number }): Promise<Reply> {
    const body = targetBody(target);
    return body instanceof Error ? Promise.reject(body) : this.send('amend', { ...body, ...change });
  }

  /** Cancels this strategy's open orders that match (all of them with no filter). */
  cancelAll(filter: { readonly symbol?: string; readonly side?: 'BUY' | 'SELL' } = {}): Promise<Reply> {
    return this.send('cancel-all', { ...filter });
  }

  /** What the daemon wrote to P config (instruments, venues, redis strategies); NO_CONFIG when there is none. */
  async readConfig(): Promise<BusConfig> {
    const text = await this.cmd.client.get(this.keys.config);
    if (text === null) throw new BusClientError('NO_CONFIG', `${this.keys.config} is not set: is the daemon running with a strategy of source: redis?`);
    return JSON.parse(text) as BusConfig;
  }

  /** Writes one command and waits for its reply (see the module comment for retries and timeouts). */
  private send(op: CommandOp, body: object): Promise<Reply> {
    if (this.closed) return Promise.reject(new BusClientError('CLOSED', 'the client is closed'));
    if (this.pending.size >= this.maxInFlight) {
      this.counts.refusedInFlight++;
      return Promise.reject(new BusClientError('TOO_MANY_IN_FLIGHT', `${this.pending.size} commands already wait for a reply`));
    }
    const requestId = `${this.client}.${this.session}.${(++this.counter).toString(36)}`;
    // the XADD as sent (the fields of protocol.ts CommandFields, in their order), made once for every attempt
    const xadd = [...this.xaddHead, 'requestId', requestId, 'client', this.client, 'op', op, 'strategy', this.strategy, 'body', JSON.stringify(body)];
    if (this.o.results === 'ids') xadd.push('result', 'ids');
    return new Promise<Reply>((resolve, reject) => {
      const p: Pending = {
        resolve, reject, done: false, maybeSent: false, epoch: this.epoch(),
        timer: setTimeout(() => {
          this.pending.delete(requestId);
          p.done = true; // no further attempt is made
          this.counts.timeouts++;
          if (!p.maybeSent) {
            reject(new BusClientError('NOT_SENT', `${op} ${requestId} could not be written to Redis within ${this.timeoutMs} ms: it was not executed`, requestId));
            return;
          }
          if (this.lostSince(p.epoch)) {
            // Redis went away while it waited (down now, or reconnected since): the command, or its reply, may have been
            // lost with it, or executed and answered while this client could not read — not a daemon that is slow
            reject(new BusClientError('CONNECTION_LOST', `the connection to Redis was lost while ${op} ${requestId} waited for its reply, and none came within ${this.timeoutMs} ms: it may or may not have been executed (follow its order's events by clientOrderId)`, requestId));
            return;
          }
          reject(new BusClientError('TIMEOUT', `no reply to ${op} ${requestId} within ${this.timeoutMs} ms (Redis was reachable throughout): its outcome is unknown`, requestId));
        }, this.timeoutMs),
      };
      this.pending.set(requestId, p);
      // the first attempt as a plain promise chain (no async frame per command); a failure goes on in write()
      p.maybeSent = true; // under way
      let first: Promise<unknown>;
      try {
        first = this.cmd.client.sendCommand(xadd);
      } catch (e) {
        first = Promise.reject(e);
      }
      first.then(() => {
        this.counts.sent++;
      }, (e: unknown) => this.retry(xadd, p, !notSent(e)));
    });
  }

  /** The first attempt of a command failed (`reached`: it may have reached Redis): pause, then write() it again. */
  private async retry(xadd: readonly string[], p: Pending, reached: boolean): Promise<void> {
    p.maybeSent = reached;
    this.counts.writeRetries++;
    await pause(50);
    await this.write(xadd, p, 1, reached);
  }

  /** The two command connections' reconnects so far. */
  private epoch(): number {
    return this.cmd.reconnects + this.replyConn.reconnects;
  }

  /** A command connection is down now, or was lost and made again since `epoch`. */
  private lostSince(epoch: number): boolean {
    return !this.cmd.up || !this.replyConn.up || this.epoch() !== epoch;
  }

  /** XADD, again with the same requestId after a failure, until the command is answered or timed out. */
  private async write(xadd: readonly string[], p: Pending, first: number, reachedBefore: boolean): Promise<void> {
    // an attempt that node-redis refused before sending anything (the connection down: no offline queue) did not reach
    // Redis; any other (under way, answered, or failed after it was sent) may have
    let reached = reachedBefore;
    for (let attempt = first; !p.done && !this.closed; attempt++) {
      p.maybeSent = true; // under way
      try {
        await this.cmd.client.sendCommand(xadd as string[]);
        this.counts.sent++;
        return;
      } catch (e) {
        if (!notSent(e)) reached = true;
        p.maybeSent = reached;
        this.counts.writeRetries++;
        await pause(Math.min(1000, 50 * 2 ** Math.min(attempt, 5)));
      }
    }
  }

  private async readReplies(from: string): Promise<void> {
    let id = from;
    const key = this.keys.replies(this.client);
    const head = ['XREAD', 'COUNT', String(this.readCount), 'BLOCK', String(this.blockMs), 'STREAMS', key];
    while (!this.closed) {
      let res;
      try {
        // raw: [[key, [[id, [field, value, ...]], ...]]] | null, read where it lies (no object made per entry)
        res = await this.replyConn.client.sendCommand([...head, id]);
      } catch {
        if (this.closed) return;
        await pause(100);
        continue;
      }
      for (const stream of arrayOr(res)) {
        for (const e of arrayOr(arrayOr(stream)[1])) {
          const entry = arrayOr(e);
          if (entry.length < 2) continue;
          id = String(entry[0]);
          this.onReply(replyFields(arrayOr(entry[1])));
        }
      }
    }
  }

  private onReply(f: Partial<ReplyFields>): void {
    this.counts.replies++;
    const p = f.requestId === undefined ? undefined : this.pending.get(f.requestId);
    if (p === undefined) {
      this.counts.unmatchedReplies++;
      return;
    }
    this.pending.delete(f.requestId!);
    p.done = true;
    clearTimeout(p.timer);
    if (f.replayed === '1') this.counts.replayed++;
    let body: unknown;
    try {
      body = JSON.parse(f.body ?? '');
    } catch {
      p.reject(new BusClientError('BAD_REPLY', `reply to ${f.requestId} is not JSON`, f.requestId));
      return;
    }
    if (typeof body !== 'object' || body === null || typeof (body as { ok?: unknown }).ok !== 'boolean') {
      p.reject(new BusClientError('BAD_REPLY', `reply to ${f.requestId} has no ok`, f.requestId));
      return;
    }
    // the parsed body is this reply's own object: `replayed` is added to it (its last key, as a copy would have it)
    const reply = body as Record<string, unknown>;
    delete reply.replayed;
    reply.replayed = f.replayed === '1';
    p.resolve(reply as unknown as Reply);
  }

  /**
   * This strategy's order events of `symbols`, merged in seq order, duplicates (seq at or below the last yielded)
   * dropped. Ends when the client closes or the loop breaks. Reads on a connection of its own; holds at most one
   * XREAD answer (readCount entries per symbol) at a time.
   */
  async *events(symbols: readonly string[], o: EventsOptions = {}): AsyncGenerator<BusOrderEvent, void, undefined> {
    if (this.closed || o.signal?.aborted === true) return;
    const conn = this.makeReader();
    this.readers.add(conn);
    const ended = (): boolean => this.closed || o.signal?.aborted === true;
    const abort = (): void => destroy(conn);
    o.signal?.addEventListener('abort', abort, { once: true });
    try {
      await conn.connect();
      const cursors = new Map<string, string>(symbols.map((s) => [this.keys.orders(s), '0-0']));
      const symbolOf = new Map<string, string>(symbols.map((s) => [this.keys.orders(s), s]));
      let last = o.since ?? 0;
      if (o.since === undefined) {
        // from now on: start after each stream's last entry (its seq and below count as seen)
        for (const key of cursors.keys()) {
          const tail = await conn.client.xRevRange(key, '+', '-', { COUNT: 1 });
          if (tail[0] !== undefined) {
            cursors.set(key, tail[0].id);
            const seq = Number(tail[0].message.seq);
            if (Number.isSafeInteger(seq) && seq > last) last = seq;
          }
        }
      }
      o.onReady?.();
      const head = ['XREAD', 'COUNT', String(this.readCount), 'BLOCK', String(this.blockMs), 'STREAMS', ...cursors.keys()];
      while (!ended()) {
        let res;
        try {
          // raw: [[key, [[id, [field, value, ...]], ...]], ...] | null, read where it lies (no object made per entry)
          res = await conn.client.sendCommand([...head, ...cursors.values()]);
        } catch {
          if (ended()) return;
          await pause(100);
          continue;
        }
        const streams = arrayOr(res).map((s) => ({ name: String(arrayOr(s)[0]), entries: eventEntries(arrayOr(arrayOr(s)[1])) }));
        // A stream that returned a full COUNT may have more below the seqs other streams returned: deliver only up to
        // the smallest last seq of such streams, and read the rest again next time (seq order across symbols).
        let cutoff = Infinity;
        for (const s of streams) {
          if (s.entries.length >= this.readCount) {
            const seq = Number(s.entries[s.entries.length - 1]!.seq);
            if (Number.isFinite(seq) && seq < cutoff) cutoff = seq;
          }
        }
        const batch: { seq: number; key: string; id: string; strategy: string | undefined; json: string | undefined }[] = [];
        for (const s of streams) {
          for (const m of s.entries) {
            const seq = Number(m.seq);
            if (!Number.isSafeInteger(seq)) {
              this.counts.badEntries++;
              cursors.set(s.name, m.id);
              continue;
            }
            if (seq > cutoff) break;
            batch.push({ seq, key: s.name, id: m.id, strategy: m.strategy, json: m.json });
          }
        }
        batch.sort((a, b) => a.seq - b.seq);
        for (const b of batch) {
          cursors.set(b.key, b.id);
          if (b.strategy !== this.strategy) continue;
          if (b.seq <= last) {
            this.counts.duplicateEvents++;
            continue;
          }
          let event: OrderEvent;
          try {
            event = JSON.parse(b.json ?? '') as OrderEvent;
          } catch {
            this.counts.badEntries++;
            continue;
          }
          last = b.seq;
          yield { seq: b.seq, id: b.id, symbol: symbolOf.get(b.key)!, event };
          if (ended()) return;
        }
      }
    } catch (e) {
      if (!ended()) throw e; // a close or an abort during the first reads ends the iteration quietly
    } finally {
      o.signal?.removeEventListener('abort', abort);
      this.readers.delete(conn);
      destroy(conn);
    }
  }

  /** Calls `handler` for each event of events(symbols, o) until the returned stop() or close(). */
  onEvent(symbols: readonly string[], handler: (e: BusOrderEvent) => void, o: Omit<EventsOptions, 'signal'> = {}): { stop(): Promise<void>; done: Promise<void> } {
    const ac = new AbortController();
    const done = (async () => {
      for await (const e of this.events(symbols, { ...o, signal: ac.signal })) handler(e);
    })();
    return {
      done,
      stop: async () => {
        ac.abort();
        await done.catch(() => undefined);
      },
    };
  }

  /**
   * Closes every connection; commands still waiting reject with CLOSED. Bounded: Redis is waited for at most about
   * 2 s (CLOSE_WAIT_MS for the reply stream's EXPIRE, as much for the writes under way), then the connection is dropped.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const [requestId, p] of this.pending) {
      clearTimeout(p.timer);
      p.done = true;
      p.reject(new BusClientError('CLOSED', 'the client was closed before the reply came', requestId));
    }
    this.pending.clear();
    destroy(this.replyConn);
    for (const r of this.readers) destroy(r);
    await this.replyLoop?.catch(() => undefined);
    // bounded: a Redis that stops answering (connection up, no replies) must not keep close() waiting forever
    if (this.o.client === undefined && this.cmd.up) {
      await settledWithin(this.cmd.client.expire(this.keys.replies(this.client), this.o.replyTtlSeconds ?? 3600), CLOSE_WAIT_MS);
    }
    await settledWithin(this.cmd.close(), CLOSE_WAIT_MS); // waits for commands still being written...
    destroy(this.cmd); // ...not longer than that
  }
}

/** `v` when it is an array (a raw reply's part), else none: a reply of another shape yields nothing. */
function arrayOr(v: unknown): readonly unknown[] {
  return Array.isArray(v) ? v : [];
}

/** A reply entry's fields from its flat list (a field given twice: its last value, as node-redis's object had it). */
function replyFields(flat: readonly unknown[]): Partial<ReplyFields> {
  let requestId: string | undefined;
  let ok: string | undefined;
  let body: string | undefined;
  let replayed: string | undefined;
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const name = String(flat[i]);
    const value = String(flat[i + 1]);
    if (name === 'requestId') requestId = value;
    else if (name === 'body') body = value;
    else if (name === 'replayed') replayed = value;
    else if (name === 'ok') ok = value;
  }
  return { requestId, ok: ok as ReplyFields['ok'] | undefined, body, replayed: replayed as ReplyFields['replayed'] | undefined };
}

/**
 * The entries of an orders:{symbol} stream as read raw ([[id, [field, value, ...]], ...]): the fields the client
 * reads (a field given twice: its last value).
 */
function eventEntries(list: readonly unknown[]): { id: string; seq: string | undefined; strategy: string | undefined; json: string | undefined }[] {
  const out: { id: string; seq: string | undefined; strategy: string | undefined; json: string | undefined }[] = [];
  for (const e of list) {
    const entry = arrayOr(e);
    if (entry.length < 2) continue;
    const flat = arrayOr(entry[1]);
    let seq: string | undefined;
    let strategy: string | undefined;
    let json: string | undefined;
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const name = String(flat[i]);
      if (name === 'seq') seq = String(flat[i + 1]);
      else if (name === 'strategy') strategy = String(flat[i + 1]);
      else if (name === 'json') json = String(flat[i + 1]);
    }
    out.push({ id: String(entry[0]), seq, strategy, json });
  }
  return out;
}

/** Drops a (blocking) connection at once; a second call is harmless. */
function destroy(conn: RedisConnection): void {
  try {
    conn.client.destroy();
  } catch {
    // already closed
  }
}

function targetBody(target: OrderTarget): Record<string, unknown> | BusClientError {
  const t = (typeof target === 'object' && target !== null ? target : {}) as { orderId?: unknown; clientOrderId?: unknown };
  if (t.orderId !== undefined) return { orderId: t.orderId };
  if (t.clientOrderId !== undefined) return { clientOrderId: t.clientOrderId };
  return new BusClientError('INVALID_ARGUMENT', 'a target is { orderId } or { clientOrderId }');
}
