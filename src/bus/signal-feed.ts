/**
 * Signals for order enhancers: reads the streams `{keyPrefix}signals:{symbol}` (protocol.ts) of the symbols whose
 * enhancers read signals (`enhancer.signals: true`) and hands each entry to them (OrderEnhancers.feedSignal, which calls
 * each enhancer's onSignal). Off the order path: its own connection (redis-connection.ts) in a loop of XREAD BLOCK.
 *
 * It starts at the end of each stream as it is when the feed starts (what was published before is not replayed: an
 * enhancer wants fresh signals) — or, when Redis is not reachable at start, as it is when the feed first reaches it
 * (start() does not wait for Redis longer than `startWaitMs`: the daemon awaits it before it opens its API and intake,
 * and an enhancer without signals changes nothing) — then reads every entry in order. At most `batch` entries per
 * stream per read, handed on synchronously: nothing is buffered. While Redis is down the loop waits (capped backoff) and counts the failed
 * reads; when it is back it goes on from the last entry it handed on (what was published meanwhile is read then: the
 * enhancers judge how old a signal is from its own time). Counted: entries, reads, failed reads, reconnects.
 *
 * A signals key that holds something else than a stream (a publisher that wrote a hash or a string there) fails every
 * read of all the streams together (WRONGTYPE): such a key is found (TYPE), logged and left out of the reads, so the
 * other symbols' signals go on; it is looked at again every `recheckMs` and read, from its first entry, once it is a
 * stream (or gone: then from the first entry added).
 */
import { Counter, type Registry } from 'prom-client';
import { systemClock, type Clock } from '../model/clock.js';
import { BusKeys } from './protocol.js';
import { settledWithin } from './settled-within.js';
import { redisConnection, type RedisConnection, type RedisConnectionLog, type RedisSettings } from './redis-connection.js';

export interface SignalFeedOptions {
  readonly settings: RedisSettings;
  /** `daemon.redis.keyPrefix`. */
  readonly keyPrefix: string;
  /** The symbols to read (OrderEnhancers.signalSymbols()). */
  readonly symbols: readonly string[];
  /** Each entry, in order per symbol (OrderEnhancers.feedSignal). */
  readonly sink: (symbol: string, fields: Readonly<Record<string, string>>) => void;
  readonly log: RedisConnectionLog;
  /** Entries per stream per read (default 256). */
  readonly batch?: number;
  /** How long one XREAD blocks (ms, default 1000): also the longest stop() waits for the loop. */
  readonly blockMs?: number;
  /** Longest pause between reads while Redis is down (ms, default 1000). */
  readonly maxBackoffMs?: number;
  /** The longest start() waits for Redis (ms, default 2000); then the feed goes on trying in the background. */
  readonly startWaitMs?: number;
  /** How often a signals key that is not a stream is looked at again (ms, default 5000). */
  readonly recheckMs?: number;
  readonly registry?: Registry;
  /** Monotonic time of the recheck (default the system clock). */
  readonly clock?: Clock;
}

interface ReadReply {
  readonly name: string;
  readonly messages: readonly { readonly id: string; readonly message: Record<string, string> }[];
}

export class SignalFeed {
  private readonly conn: RedisConnection;
  private readonly keys: BusKeys;
  /** Per symbol: the stream key, the id of the last entry handed on, and the key's type when it is not a stream (left out of the reads). */
  private readonly streams: { key: string; id: string; wrongType: string | null }[];
  /** When keys of another type were last looked at again (monotonic ms). */
  private recheckedAt = 0;
  private readonly monoMs: () => number;
  private readonly symbolOf = new Map<string, string>();
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** Entries handed on. */
  entries = 0;
  /** XREADs that answered. */
  reads = 0;
  /** XREADs that failed (Redis down, an error). */
  readErrors = 0;
  /** onSignal sink calls that threw (counted, the feed goes on). */
  sinkErrors = 0;

  constructor(private readonly o: SignalFeedOptions) {
    const clock = o.clock ?? systemClock;
    this.monoMs = () => clock.monoMs();
    this.keys = new BusKeys(o.keyPrefix);
    this.conn = redisConnection(o.settings, { role: 'signals', log: o.log, maxBackoffMs: o.maxBackoffMs ?? 1000 });
    this.streams = [...new Set(o.symbols)].map((sym) => {
      const key = this.keys.signals(sym);
      this.symbolOf.set(key, sym);
      return { key, id: '$', wrongType: null };
    });
    if (o.registry !== undefined) {
      const feed = this;
      new Counter({
        name: 'switchyard_signal_entries_total',
        help: 'Signal entries read from signals:{symbol} and handed to order enhancers',
        registers: [o.registry],
        collect() {
          this.reset();
          this.inc(feed.entries);
        },
      });
      new Counter({
        name: 'switchyard_signal_read_errors_total',
        help: 'Reads of the signal streams that failed (Redis down or an error): the feed retries',
        registers: [o.registry],
        collect() {
          this.reset();
          this.inc(feed.readErrors);
        },
      });
      new Counter({
        name: 'switchyard_signal_reconnects_total',
        help: 'Times the signal feed lost its Redis connection and made it again',
        registers: [o.registry],
        collect() {
          this.reset();
          this.inc(feed.reconnects);
        },
      });
    }
  }

  get reconnects(): number {
    return this.conn.reconnects;
  }

  get up(): boolean {
    return this.conn.up;
  }

  /**
   * Connects, fixes where each stream starts (its last entry now) and starts the read loop. Resolves once reading
   * started, or after `startWaitMs` when Redis does not answer: the loop then connects in the background and fixes
   * where the streams start when it first reaches Redis (a start never holds the daemon for as long as Redis is down).
   */
  async start(): Promise<void> {
    if (this.running || this.streams.length === 0) return;
    this.running = true;
    let positioned = false;
    try {
      await this.within(this.conn.connect(), this.o.startWaitMs ?? 2000);
      await this.within(this.position(), this.o.startWaitMs ?? 2000);
      positioned = true;
    } catch (err) {
      if (!this.running) return;
      this.o.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'signal feed: Redis not reachable at start: going on without signals until it is');
    }
    this.loop = this.run(positioned);
  }

  /** Fixes where each stream starts: its last entry now (a key of another type is left out). */
  private async position(): Promise<void> {
    for (const s of this.streams) {
      if (await this.isStream(s)) s.id = await this.lastId(s.key);
    }
  }

  /**
   * Whether the key is a stream or absent (readable); else it is marked as of another type (logged once), and
   * read from its first entry once it is a stream again.
   */
  private async isStream(s: { key: string; id: string; wrongType: string | null }): Promise<boolean> {
    const type = String(await this.conn.client.type(s.key));
    if (type === 'stream' || type === 'none') {
      if (s.wrongType !== null) {
        this.o.log.info({ key: s.key, type }, 'signal feed: the signals key is a stream again: reading it');
        s.wrongType = null;
        s.id = '0-0';
      }
      return true;
    }
    if (s.wrongType === null) {
      this.o.log.warn({ key: s.key, type }, 'signal feed: the signals key is not a stream: left out of the reads (the other symbols\' signals go on) until it is one');
      s.wrongType = type;
    }
    return false;
  }

  /** `p`, or a rejection after `ms` (p goes on; its own later rejection is handled). */
  private async within(p: Promise<unknown>, ms: number): Promise<void> {
    if (!(await settledWithin(p, ms))) throw new Error(`no answer from Redis within ${ms} ms`);
    await p; // settled: its rejection, if it failed
  }

  /** Ends the loop and closes the connection. */
  async stop(): Promise<void> {
    const wasRunning = this.running;
    this.running = false;
    this.wake?.();
    if (!wasRunning) {
      await this.conn.close().catch(() => undefined);
      return;
    }
    // a blocked XREAD ends with the connection (one still connecting, after a start with Redis down, too)
    try {
      this.conn.client.destroy();
    } catch {
      // already closed
    }
    await this.loop;
  }

  /** The id of a stream's last entry ('0-0' when it does not exist yet: every entry added later is read). */
  private async lastId(key: string): Promise<string> {
    const last = (await this.conn.client.xRevRange(key, '+', '-', { COUNT: 1 })) as { id: string }[];
    return last.length === 0 ? '0-0' : last[0]!.id;
  }

  private async run(positioned: boolean): Promise<void> {
    const count = this.o.batch ?? 256;
    const block = this.o.blockMs ?? 1000;
    const maxBackoff = this.o.maxBackoffMs ?? 1000;
    const recheck = this.o.recheckMs ?? 5000;
    let backoff = 50;
    while (this.running) {
      let reply: ReadReply[] | null;
      try {
        if (!positioned) {
          // Redis was not reachable at start: the streams start where they are when it first answers
          await this.conn.connect();
          await this.position();
          positioned = true;
          this.recheckedAt = this.monoMs();
        }
        if (this.monoMs() - this.recheckedAt >= recheck && this.streams.some((s) => s.wrongType !== null)) {
          this.recheckedAt = this.monoMs();
          for (const s of this.streams) if (s.wrongType !== null) await this.isStream(s);
        }
        const readable = this.streams.filter((s) => s.wrongType === null).map((s) => ({ key: s.key, id: s.id }));
        if (readable.length === 0) {
          await this.pause(Math.min(block, recheck));
          continue;
        }
        reply = (await this.conn.client.xRead(readable, { COUNT: count, BLOCK: block })) as unknown as ReadReply[] | null;
      } catch (err) {
        if (!this.running) break;
        this.readErrors++;
        // a key of another type fails the read of every stream: find it and leave it out
        if (positioned && String(err instanceof Error ? err.message : err).startsWith('WRONGTYPE')) {
          try {
            let found = false;
            for (const s of this.streams) if (s.wrongType === null && !(await this.isStream(s))) found = true;
            this.recheckedAt = this.monoMs();
            if (found) continue;
          } catch {
            // Redis went away meanwhile: as any failed read
          }
        }
        await this.pause(backoff);
        backoff = Math.min(maxBackoff, backoff * 2);
        continue;
      }
      backoff = 50;
      this.reads++;
      if (reply === null) continue;
      for (const stream of reply) {
        const symbol = this.symbolOf.get(stream.name);
        const s = this.streams.find((x) => x.key === stream.name);
        if (symbol === undefined || s === undefined) continue;
        for (const m of stream.messages) {
          s.id = m.id;
          this.entries++;
          try {
            this.o.sink(symbol, m.message);
          } catch {
            this.sinkErrors++;
          }
        }
      }
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = undefined;
        resolve();
      };
    });
  }
}
