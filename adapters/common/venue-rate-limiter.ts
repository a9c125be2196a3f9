/**
 * Rate limits and flow control for one venue: its pools (window-pool.ts: a bottleneck reservoir each, the window
 * accounting and the recovery of a learned limit), pauses of the whole venue, and the cap on requests in flight.
 *
 * Adaptive. The venue's own counts (X-MBX-USED-WEIGHT-1M, X-MBX-ORDER-COUNT-10S/-1D, ws-api `rateLimits`) are
 * compared with ours: usage we did not make (another process on the same key or IP) is taken out of the pool until
 * the venue's window ends. A refusal (429, -1015, 50011) lowers the pool's limit to what the venue had accepted in
 * the window — or halves it when that count is implausibly low — at most once per window (never below 1); Retry-After
 * pauses the pool, bans (418) the whole venue. So within a window or two of the first refusal the adapter stays under
 * the venue's real limit.
 *
 * In flight. A p-queue caps the requests in flight per venue (`maxInFlight`); cancels go first, then new orders,
 * then queries. Tokens are taken before a slot, so a request waiting for tokens never holds a slot.
 */
import PQueue from 'p-queue';
import type { Logger } from 'pino';
import { sleep } from './backoff.js';
import { VenueError, notSent } from './errors.js';
import { type Cost, MAX_RECOVER_WINDOWS, type PoolSpec, RECOVER_WINDOWS, type RequestPriority, WindowPool } from './window-pool.js';

/** p-queue: higher runs first. */
const QUEUE_PRIORITY: Record<RequestPriority, number> = { cancel: 2, order: 1, query: 0 };

export interface RateLimiterOptions {
  readonly venue: string;
  readonly pools: readonly PoolSpec[];
  /** Requests in flight at most (p-queue concurrency). */
  readonly maxInFlight: number;
  /** Added to every window (timer granularity), ms. Default 25. */
  readonly marginMs?: number;
  readonly log?: Logger | undefined;
  readonly now?: () => number;
  /** Windows without a refusal before a learned limit rises one step towards the published limit. Default 3. */
  readonly recoverWindows?: number;
}

export interface RunOptions {
  /** Refuse (not sent) instead of waiting when the venue is paused for longer than this. Default: wait. */
  readonly maxPauseWaitMs?: number;
}

export interface RateLimiterStats {
  /** Requests that went out. */
  requests: number;
  /** Requests the venue refused for rate limiting (429, -1015, 50011). */
  refusals: number;
  /** Bans (418). */
  bans: number;
  /** Times a pool limit was lowered after a refusal. */
  learned: number;
  /** Times a learned pool limit was raised back towards the published limit (after clean windows). */
  raised: number;
  /** Pools whose limit is now below their published limit (learned, not yet recovered). */
  poolsBelowPublished: number;
  /** Tokens set aside for usage the venue reported from elsewhere. */
  foreign: number;
  /** When the last refusal arrived (epoch ms, 0 = never). */
  lastRefusalAt: number;
}

export class VenueRateLimiter {
  private readonly specs = new Map<string, PoolSpec>();
  private readonly pools = new Map<string, WindowPool>();
  private readonly inflight: PQueue;
  private readonly now: () => number;
  private readonly marginMs: number;
  private pausedUntil = 0;
  private pauseReason = '';
  private pauseBanned = false;
  private stopped = false;
  /**
   * Aborted by stop(): requests waiting out a pause (a ban's Retry-After is 120 s) give up at once, as not sent. A
   * sleep left running would hold the event loop, and the process, until the pause ended.
   */
  private readonly abort = new AbortController();
  private readonly counters: RateLimiterStats = { requests: 0, refusals: 0, bans: 0, learned: 0, raised: 0, poolsBelowPublished: 0, foreign: 0, lastRefusalAt: 0 };

  constructor(private readonly options: RateLimiterOptions) {
    for (const p of options.pools) this.specs.set(p.name, p);
    this.inflight = new PQueue({ concurrency: Math.max(1, options.maxInFlight) });
    this.now = options.now ?? Date.now;
    this.marginMs = options.marginMs ?? 25;
  }

  /** The pool for a cost key ('weight', 'place:BTC-USDT'), created from its family's spec on first use. */
  pool(key: string): WindowPool {
    let p = this.pools.get(key);
    if (p !== undefined) return p;
    const spec = this.specs.get(family(key));
    if (spec === undefined) throw new RangeError(`${this.options.venue}: no rate-limit pool ${family(key)}`);
    p = new WindowPool(key, spec.limit, spec.windowMs, this.now, this.options.recoverWindows ?? RECOVER_WINDOWS);
    this.pools.set(key, p);
    return p;
  }

  /** Current limit of a pool family. */
  limit(name: string): number | undefined {
    return this.specs.get(name)?.limit;
  }

  /** Sets a family's limit (venue-advertised or configured), for its existing and future pools. */
  setLimit(name: string, limit: number): void {
    const spec = this.specs.get(name);
    if (spec === undefined || !(limit >= 1)) return;
    this.specs.set(name, { ...spec, limit });
    for (const [key, p] of this.pools) {
      if (family(key) !== name) continue;
      p.published = limit;
      p.setLimit(limit);
    }
  }

  /**
   * Counters, with learned limits brought up to date first (recovery is lazy). A copy: later changes do not show in
   * it.
   */
  get stats(): RateLimiterStats {
    this.recoverAll();
    let below = 0;
    for (const p of this.pools.values()) if (p.limit < p.published) below++;
    this.counters.poolsBelowPublished = below;
    return { ...this.counters };
  }

  /**
   * Every pool's tokens left in its window now (limit minus the tokens taken and not yet returned; 0 while the pool
   * or the venue is paused) and its current limit: the rate-limit headroom metric, read at scrape time.
   */
  poolHeadroom(): Array<{ pool: string; remaining: number; limit: number }> {
    this.recoverAll();
    const now = this.now();
    const paused = this.pausedUntil > now;
    return [...this.pools.values()].map((p) => ({
      pool: p.key,
      remaining: paused || p.pausedUntil > now ? 0 : Math.max(0, p.limit - p.held),
      limit: p.limit,
    }));
  }

  /** Requests running now (sent or about to be, not answered yet): at most maxInFlight. */
  get inFlight(): number {
    return this.inflight.pending;
  }

  /** Every pool's current and published limit (for stats and the operator). */
  poolLimits(): Array<{ pool: string; limit: number; published: number; windowMs: number }> {
    this.recoverAll();
    return [...this.pools.values()].map((p) => ({ pool: p.key, limit: p.limit, published: p.published, windowMs: p.windowMs }));
  }

  private recoverAll(): void {
    for (const p of this.pools.values()) this.recover(p);
  }

  /** Lazy recovery of one pool's learned limit (see the header). */
  private recover(p: WindowPool): void {
    const from = p.limit;
    if (p.recover(this.now()) === 0) return;
    this.counters.raised++;
    this.options.log?.info({ venue: this.options.venue, pool: p.key, from, to: p.limit, published: p.published }, 'no rate-limit refusal for a while: pool limit raised');
  }

  /** Requests waiting for a slot plus those in flight. */
  get pending(): number {
    return this.inflight.size + this.inflight.pending;
  }

  /**
   * Runs `fn` once every pool of `costs` has tokens and a slot is free. Throws a not-sent VenueError when the request
   * never went out (stopped, or paused past `maxPauseWaitMs`); otherwise whatever `fn` returns or throws. A
   * rate-limited / banned VenueError thrown by `fn` is learned from here.
   */
  async run<T>(costs: readonly Cost[], priority: RequestPriority, fn: () => Promise<T>, options: RunOptions = {}): Promise<T> {
    if (this.stopped) throw notSent(`${this.options.venue}: adapter stopped`);
    await this.waitPause(options.maxPauseWaitMs);
    const ordered = [...costs].sort((a, b) => (a.pool < b.pool ? -1 : a.pool > b.pool ? 1 : 0));
    const taken: Array<[WindowPool, number]> = [];
    let reserved = 0;
    const giveBackNow = (): void => {
      taken.forEach(([p, n], i) => {
        if (i < reserved) p.unreserve(n);
        p.giveBack(n, false, false, 0);
      });
    };
    try {
      for (const c of ordered) {
        const p = this.pool(c.pool);
        this.recover(p);
        await p.waitPause();
        taken.push([p, await p.acquire(c.n, priority)]);
      }
      // a pause may have started while this request waited for tokens
      await this.waitPause(options.maxPauseWaitMs);
      for (const [p] of taken) await p.waitPause();
      for (const [p, n] of taken) {
        await p.reserveSend(n);
        reserved++;
      }
      if (this.stopped) throw notSent(`${this.options.venue}: adapter stopped`);
    } catch (err) {
      giveBackNow();
      if (err instanceof VenueError) throw err;
      throw notSent(`${this.options.venue}: adapter stopped`);
    }
    let started = false;
    let ok = false;
    try {
      return await this.inflight.add(
        async () => {
          if (this.stopped) throw notSent(`${this.options.venue}: adapter stopped`);
          started = true;
          this.counters.requests++;
          try {
            const result = await fn();
            ok = true;
            for (const [p, n] of taken) p.markOk(n);
            return result;
          } catch (err) {
            if (err instanceof VenueError && (err.kind === 'rate-limited' || err.kind === 'banned')) {
              this.learn(err, taken.map(([p]) => p.key), 0);
            } else if (!(err instanceof VenueError && (err.kind === 'unknown' || err.kind === 'not-sent'))) {
              // answered (a rejection): the venue counted it
              ok = true;
              for (const [p, n] of taken) p.markOk(n);
            }
            throw err;
          }
        },
        { priority: QUEUE_PRIORITY[priority] },
      );
    } finally {
      for (const [p, n] of taken) {
        if (!started) p.unreserve(n);
        p.giveBack(n, started, ok, started ? p.windowMs + this.marginMs : 0);
      }
    }
  }

  /**
   * The venue refused `refused` entries of a request for rate limiting (for batches whose other entries passed) or a
   * whole request (thrown through `run`). Learns a lower limit and pauses as the error says.
   */
  refused(err: VenueError, poolKeys: readonly string[], refused: number): void {
    this.learn(err, poolKeys, refused);
  }

  private learn(err: VenueError, poolKeys: readonly string[], refusedAlreadyCounted: number): void {
    const now = this.now();
    if (err.kind === 'banned') {
      this.counters.bans++;
      this.pauseAll(err.details.retryAfterMs ?? 120_000, `banned: ${err.message}`, true);
      return;
    }
    this.counters.refusals++;
    this.counters.lastRefusalAt = now;
    const keys = err.details.pools ?? poolKeys;
    const retryAfter = err.details.retryAfterMs;
    for (const key of keys) {
      if (!this.specs.has(family(key))) continue;
      const p = this.pool(key);
      p.pausedUntil = Math.max(p.pausedUntil, now + (retryAfter ?? Math.min(1000, p.windowMs)));
      p.refusedAt = now;
      // One lowering per window: the other refusals of the same burst say nothing new.
      if (now - p.learnedAt < p.windowMs) continue;
      // The venue refused with `accepted` of our requests in the window: its limit is no higher. When that count is
      // implausibly low (under a quarter of the limit: usage we cannot see, a window longer than ours), halve instead
      // of collapsing.
      const accepted = p.okHeld - refusedAlreadyCounted;
      const next = Math.max(1, accepted >= p.limit / 4 ? accepted : Math.ceil(p.limit / 2));
      if (next < p.limit) {
        this.options.log?.warn({ venue: this.options.venue, pool: key, from: p.limit, to: next }, 'venue refused for rate limiting: pool limit lowered');
        p.setLimit(next);
        p.learnedAt = now;
        p.changedAt = now;
        this.counters.learned++;
        // a limit reached by climbing was refused: the real limit is lower, probe less often from now on
        if (p.probing) p.probeWindows = Math.min(MAX_RECOVER_WINDOWS, p.probeWindows * 2);
        p.probing = false;
      }
    }
  }

  /** Usage the venue reported for a fixed-window pool (Binance headers and ws-api rateLimits). */
  observeCount(poolKey: string, count: number): void {
    const p = this.pools.get(poolKey);
    if (p === undefined || !Number.isFinite(count)) return;
    const now = this.now();
    const window = Math.floor(now / p.windowMs);
    const msToEnd = (window + 1) * p.windowMs - now;
    const extra = p.observeCount(count, window, msToEnd, this.marginMs);
    if (extra > 0) {
      this.counters.foreign += extra;
      this.options.log?.info({ venue: this.options.venue, pool: poolKey, count, extra }, 'venue counts usage we did not make: slowing down');
    }
  }

  /** No request of this venue leaves before `ms` from now (429 on request weight, 418 bans). */
  pauseAll(ms: number, reason: string, banned = false): void {
    const until = this.now() + Math.max(0, ms);
    if (until > this.pausedUntil) {
      this.pausedUntil = until;
      this.pauseReason = reason;
      this.pauseBanned = banned;
    }
  }

  /**
   * How many more requests costing `costs` the pools take now without waiting: the tokens left in each pool (its
   * current limit less those taken in its window) over the request's cost there, the least over its pools; 0 while
   * the venue or one of the pools is paused. Reads only: creates no pool.
   */
  headroom(costs: readonly Cost[]): number {
    const now = this.now();
    if (this.pausedUntil > now) return 0;
    let room = Infinity;
    for (let i = 0; i < costs.length; i++) {
      const c = costs[i]!;
      if (c.n <= 0) continue;
      const p = this.pools.get(c.pool);
      if (p !== undefined && p.pausedUntil > now) return 0;
      const limit = p !== undefined ? p.limit : this.specs.get(family(c.pool))?.limit;
      if (limit === undefined) continue;
      room = Math.min(room, Math.max(0, Math.floor((limit - (p?.held ?? 0)) / c.n)));
    }
    return room;
  }

  /** Epoch ms until which the venue is paused (0 when not). */
  get pausedUntilMs(): number {
    return this.pausedUntil > this.now() ? this.pausedUntil : 0;
  }

  private async waitPause(maxWaitMs: number | undefined): Promise<void> {
    for (;;) {
      const wait = this.pausedUntil - this.now();
      if (this.stopped) throw notSent(`${this.options.venue}: adapter stopped`);
      if (wait <= 0) return;
      if (maxWaitMs !== undefined && wait > maxWaitMs) {
        throw notSent(
          `${this.pauseReason} (${Math.ceil(wait / 1000)} s left)`,
          this.pauseBanned ? 'VENUE_BANNED' : 'VENUE_RATE_LIMITED',
        );
      }
      await sleep(wait, this.abort.signal);
    }
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
    for (const p of this.pools.values()) p.stop();
    this.inflight.clear();
  }
}

function family(key: string): string {
  const i = key.indexOf(':');
  return i < 0 ? key : key.slice(0, i);
}
