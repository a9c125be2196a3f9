/**
 * One rate-limit pool of a venue; venue-rate-limiter.ts composes a venue's pools, learns from refusals and caps the
 * requests in flight.
 *
 * Pools. A venue has several request pools (Binance: request weight per minute, orders per 10 s, orders per day;
 * OKX: place-order requests, batch orders and cancels per instrument per 2 s, reads per endpoint). Each pool is a
 * bottleneck limiter whose reservoir holds the pool's tokens; a request names its costs (pool, tokens) and takes
 * tokens from every pool it touches, in a fixed order, before it may go (the limiters are chained).
 *
 * Window accounting. A token comes back `windowMs` (+ a small margin) after the request's *answer*, not after it was
 * sent. The answer comes after the venue counted the request, so two uses of one token arrive at the venue at least
 * a window apart: never more than `limit` requests in any window, whether the venue counts in sliding windows (OKX)
 * or in fixed, aligned ones (Binance). Sustained, a pool runs at limit / (window + round trip).
 *
 * Recovery. A refusal may say more about a moment (someone else's burst on the same key, a venue under load) than
 * about the limit, so a learned limit climbs back towards the pool's published limit (configured or advertised by the
 * venue, never above it): after `recoverWindows` windows without a refusal in the pool it rises by a tenth of the
 * published limit (additive increase), and so on every `recoverWindows` clean windows. A refusal lowers it again
 * (venue-rate-limiter.ts); when the refused limit was one reached by climbing (a probe that failed: the venue's limit
 * really is lower), the clean time needed before the next step doubles (up to 64 windows), so a pool whose real limit
 * is below the published one costs one refusal every so often, fewer and fewer, not one every few windows (Binance
 * bans IPs that keep hitting 429s). Back at the published limit the clean time is reset. The check is lazy (when a request takes
 * tokens, or stats are read) on the injected clock: no timer.
 */
import Bottleneck from 'bottleneck';
import { sleep } from './backoff.js';

export interface PoolSpec {
  /** Pool family name ('weight', 'orders10s', 'place'); pools of a family may be keyed: 'place:BTC-USDT'. */
  readonly name: string;
  readonly limit: number;
  readonly windowMs: number;
}

/** Tokens a request takes from one pool ('weight' or a keyed pool like 'place:BTC-USDT'). */
export interface Cost {
  readonly pool: string;
  readonly n: number;
}

export type RequestPriority = 'cancel' | 'order' | 'query';

/** bottleneck: lower runs first. */
const BOTTLENECK_PRIORITY: Record<RequestPriority, number> = { cancel: 1, order: 4, query: 6 };

interface Release {
  at: number;
  n: number;
  sent: boolean;
  ok: boolean;
}

/** Default clean windows before a learned limit rises a step (see the header). */
export const RECOVER_WINDOWS = 3;
/** A recovery step: this fraction of the published limit (at least 1). */
export const RECOVER_STEP = 0.1;
/** The clean time before a step doubles after each failed probe, up to this many windows. */
export const MAX_RECOVER_WINDOWS = 64;

/** One pool: a bottleneck reservoir plus the window bookkeeping. */
export class WindowPool {
  private readonly limiter: Bottleneck;
  /** Tokens out of the reservoir (taken for a request, or set aside for usage the venue saw from elsewhere). */
  held = 0;
  /** Tokens of requests that were sent and whose window has not passed yet (what the venue may still count). */
  sent = 0;
  /** Tokens of requests the venue accepted whose window has not passed yet. */
  okHeld = 0;
  pausedUntil = 0;
  /** When the limit was last lowered after a refusal. */
  learnedAt = -Infinity;
  /** The pool's published limit (configured or advertised): a learned limit climbs back towards it, never above. */
  published: number;
  /** Last refusal for rate limiting in this pool (any, lowering or not). */
  refusedAt = -Infinity;
  /** Last change of the limit by learning or recovery: clean windows are counted from here and from `refusedAt`. */
  changedAt = -Infinity;
  /** Clean windows needed before the next raise (doubles when a raised limit is refused again). */
  probeWindows: number;
  /** The limit was raised since it was last lowered: a refusal now is a failed probe. */
  probing = false;
  private releases: Release[] = [];
  private timer: NodeJS.Timeout | undefined;
  private borrowedWindow = -1;
  private borrowedN = 0;
  private roomWaiters: Array<() => void> = [];
  private stopped = false;
  /** Aborted by stop(): a pause wait ends at once instead of holding the process until the pause is over. */
  private readonly abort = new AbortController();

  constructor(
    readonly key: string,
    public limit: number,
    readonly windowMs: number,
    private readonly now: () => number,
    readonly recoverWindows = RECOVER_WINDOWS,
  ) {
    this.published = limit;
    this.probeWindows = recoverWindows;
    this.limiter = new Bottleneck({ reservoir: limit, maxConcurrent: null, minTime: 0 });
    fastYield(this.limiter);
  }

  /** Takes up to `n` tokens (at most the pool's limit: a request heavier than the pool still goes, alone). */
  async acquire(n: number, priority: RequestPriority): Promise<number> {
    const take = Math.max(0, Math.min(n, this.limit));
    if (take === 0) return 0;
    await this.limiter.schedule({ weight: take, priority: BOTTLENECK_PRIORITY[priority] }, () => Promise.resolve());
    this.held += take;
    return take;
  }

  /**
   * Waits until `n` more requests fit in the window (sent and not yet released <= limit), then counts them as sent.
   * Matters after a limit was lowered: tokens already taken must not all go out into a window the venue says is full.
   */
  async reserveSend(n: number): Promise<void> {
    while (!this.stopped && this.sent > 0 && this.sent + n > this.limit) {
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    }
    this.sent += n;
  }

  /** A reserved request did not go out after all. */
  unreserve(n: number): void {
    this.sent -= n;
    this.wakeRoom();
  }

  private wakeRoom(): void {
    const w = this.roomWaiters;
    this.roomWaiters = [];
    for (const f of w) f();
  }

  /** The venue accepted a request of `n` tokens (counted at once: a refusal in the same tick must see it). */
  markOk(n: number): void {
    this.okHeld += n;
  }

  /** Returns `n` tokens after `delayMs`. `sent`: the request went out; `ok`: it was counted by markOk. */
  giveBack(n: number, sent: boolean, ok: boolean, delayMs: number): void {
    // stopped: nothing will take tokens again, and a release timer armed now would keep the process alive a window
    if (n <= 0 || this.stopped) return;
    const r: Release = { at: this.now() + Math.max(0, delayMs), n, sent, ok };
    let i = this.releases.length;
    while (i > 0 && this.releases[i - 1]!.at > r.at) i--;
    this.releases.splice(i, 0, r);
    if (i === 0) this.arm();
  }

  private arm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const head = this.releases[0];
    if (head === undefined) return;
    this.timer = setTimeout(() => this.flush(), Math.max(0, head.at - this.now()));
  }

  private flush(): void {
    this.timer = undefined;
    const t = this.now();
    let n = 0;
    while (this.releases.length > 0 && this.releases[0]!.at <= t) {
      const r = this.releases.shift()!;
      n += r.n;
      if (r.sent) this.sent -= r.n;
      if (r.ok) this.okHeld -= r.n;
    }
    if (n > 0) {
      this.held -= n;
      this.limiter.incrementReservoir(n).catch(() => undefined);
      this.wakeRoom();
    }
    this.arm();
  }

  /** Changes the limit; tokens out stay out (the reservoir may go negative until they return). */
  setLimit(limit: number): void {
    const delta = limit - this.limit;
    this.limit = limit;
    if (delta !== 0) this.limiter.incrementReservoir(delta).catch(() => undefined);
    // requests held back by reserveSend may fit under a raised limit
    if (delta > 0) this.wakeRoom();
  }

  /**
   * Raises a learned limit towards the published one by one step per `probeWindows` clean windows elapsed (see the
   * header). Returns the steps taken.
   */
  recover(now: number): number {
    if (this.limit >= this.published) return 0;
    const period = this.probeWindows * this.windowMs;
    const steps = Math.floor((now - Math.max(this.refusedAt, this.changedAt)) / period);
    if (!(steps >= 1)) return 0;
    const step = Math.max(1, Math.ceil(this.published * RECOVER_STEP));
    const next = Math.min(this.published, this.limit + steps * step);
    this.setLimit(next);
    this.changedAt = now;
    this.probing = true;
    if (next >= this.published) {
      this.probeWindows = this.recoverWindows;
      this.probing = false;
    }
    return steps;
  }

  /**
   * The venue counted `count` in its current fixed window (index `window`, ending in `msToEnd`). Usage beyond what
   * we sent is someone else's: set that many tokens aside until the window ends.
   */
  observeCount(count: number, window: number, msToEnd: number, marginMs: number): number {
    if (window !== this.borrowedWindow) {
      this.borrowedWindow = window;
      this.borrowedN = 0;
    }
    const foreign = count - this.sent;
    if (foreign <= this.borrowedN) return 0;
    const extra = foreign - this.borrowedN;
    this.borrowedN = foreign;
    this.held += extra;
    this.limiter.incrementReservoir(-extra).catch(() => undefined);
    this.giveBack(extra, false, false, msToEnd + marginMs);
    return extra;
  }

  /** Waits out the pool's pause (Retry-After); ends at once when the pool is stopped (the caller checks). */
  async waitPause(): Promise<void> {
    for (;;) {
      const wait = this.pausedUntil - this.now();
      if (wait <= 0 || this.stopped) return;
      await sleep(wait, this.abort.signal);
    }
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
    this.wakeRoom();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.releases = [];
    void this.limiter.stop({ dropWaitingJobs: true }).catch(() => undefined);
  }
}

/**
 * bottleneck's in-memory datastore defers every operation with setTimeout(0) — several per job — to behave like its
 * Redis datastore. In process a microtask does the same job: a grant costs about 0.2 ms instead of 3 ms (measured:
 * 200 jobs in 40 ms instead of 590 ms), which matters when a window's worth of orders is released at once.
 * Only the local datastore of bottleneck 2.19.x is touched; anything else is left alone.
 */
function fastYield(limiter: Bottleneck): void {
  const store = (limiter as unknown as { _store?: { yieldLoop?: unknown } })._store;
  if (store !== undefined && typeof store.yieldLoop === 'function') store.yieldLoop = () => Promise.resolve();
}
