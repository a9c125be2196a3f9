/**
 * Binance REST depth snapshots (`GET /api/v3/depth`) for the market-data feed (market-feed.ts): the snapshot `limit`
 * and its request weight, and the request pump that takes them one at a time, within a request-weight budget of its
 * own (default 600 per minute, a tenth of Binance's 6000 per IP), pausing on 429 / 418 for Retry-After and to the next
 * minute when the IP's used weight (X-MBX-USED-WEIGHT-1M) nears the limit. A failed snapshot is retried after the
 * symbol's backoff; a successful answer goes to the feed's `receiveSnapshot` callback.
 */
import type { Instrument } from '../../src/model/instrument.js';
import type { Backoff } from '../common/backoff.js';
import { retryAfterMs } from '../common/errors.js';
import { httpRequest } from '../common/http.js';
import type { MarketFeedDeps } from '../common/market-feed-deps.js';
import type { BinanceUrlSet } from '../common/urls.js';

/** The `limit` values GET /api/v3/depth accepts. */
export const BINANCE_DEPTH_LIMITS = [5, 10, 20, 50, 100, 500, 1000, 5000] as const;

/** Request weight of GET /api/v3/depth for a limit (Binance: 1-100: 5, 101-500: 25, 501-1000: 50, 1001-5000: 250). */
export function binanceDepthWeight(limit: number): number {
  return limit <= 100 ? 5 : limit <= 500 ? 25 : limit <= 1000 ? 50 : 250;
}

/**
 * The snapshot limit for `depth` levels wanted: the smallest allowed value >= max(depth, 100) (up to 100 levels cost
 * the same weight, and levels below the top `depth` keep the book full when the top ones are removed), at most 5000.
 */
export function binanceSnapshotLimit(depth: number): number {
  const want = Math.max(depth, 100);
  for (const l of BINANCE_DEPTH_LIMITS) if (l >= want) return l;
  return 5000;
}

export interface DepthSnapshotOptions {
  /** Request-weight budget per minute for depth snapshots. */
  readonly snapshotWeightPerMinute: number;
  /** The IP's request-weight limit per minute, for the X-MBX-USED-WEIGHT-1M guard. */
  readonly ipWeightPerMinute: number;
  /** Snapshot request timeout, ms. */
  readonly snapshotTimeoutMs: number;
}

/** What the pump needs of a symbol's sync state (the feed's SymbolSync). */
export interface SnapshotTarget {
  readonly ins: Instrument;
  /** Binance symbol id: BTCUSDT. */
  readonly id: string;
  /** A snapshot is scheduled, queued or in flight. */
  queued: boolean;
  timer: NodeJS.Timeout | undefined;
  readonly backoff: Backoff;
}

/** Schedules and sends the depth snapshot requests of one feed. */
export class DepthSnapshots {
  readonly limit: number;
  readonly weight: number;
  /** Incremented on every socket open and close: snapshot answers of an earlier connection are dropped. */
  generation = 0;
  /** Snapshots requested (tests, metrics). */
  requested = 0;
  private readonly abort = new AbortController();
  private stopped = false;
  private readonly queue: SnapshotTarget[] = [];
  private inFlight = false;
  private pumpTimer: NodeJS.Timeout | undefined;
  /** Monotonic ms until which no snapshot is requested (Retry-After, weight guard). */
  private pausedUntil = 0;
  /** Our snapshot requests in the last minute: [monotonic ms, weight] pairs, oldest first. */
  private readonly spent: Array<[number, number]> = [];

  constructor(
    private readonly deps: MarketFeedDeps,
    private readonly urls: BinanceUrlSet,
    private readonly options: DepthSnapshotOptions,
    /** A successful answer's JSON body. */
    private readonly receive: (s: SnapshotTarget, body: unknown) => void,
  ) {
    this.limit = binanceSnapshotLimit(deps.depth);
    this.weight = binanceDepthWeight(this.limit);
    if (this.weight > options.snapshotWeightPerMinute) {
      throw new RangeError(`${deps.name}: a depth snapshot of ${this.limit} levels (weight ${this.weight}) exceeds the snapshot budget of ${options.snapshotWeightPerMinute} per minute`);
    }
  }

  /** No more requests; the one in flight is aborted. */
  stop(): void {
    this.stopped = true;
    this.abort.abort();
  }

  /** Nothing scheduled or queued for these symbols (an answer in flight is dropped by the generation). */
  reset(targets: readonly SnapshotTarget[]): void {
    for (const s of targets) {
      s.queued = false;
      if (s.timer !== undefined) clearTimeout(s.timer);
      s.timer = undefined;
    }
    this.queue.length = 0;
    if (this.pumpTimer !== undefined) clearTimeout(this.pumpTimer);
    this.pumpTimer = undefined;
  }

  /** Takes a snapshot of `s` after `delayMs` (at once when 0), unless one is already scheduled, queued or in flight. */
  request(s: SnapshotTarget, delayMs: number): void {
    if (s.queued || this.stopped) return;
    s.queued = true;
    if (delayMs <= 0) {
      this.queue.push(s);
      this.pump();
      return;
    }
    s.timer = setTimeout(() => {
      s.timer = undefined;
      this.queue.push(s);
      this.pump();
    }, delayMs);
  }

  /** Sends the next queued snapshot request when nothing is in flight and the weight allows. */
  private pump(): void {
    if (this.stopped || this.inFlight || this.queue.length === 0 || this.pumpTimer !== undefined) return;
    const now = this.deps.clock.monoMs();
    while (this.spent.length > 0 && now - this.spent[0]![0] >= 60_000) this.spent.shift();
    let used = 0;
    for (const [, w] of this.spent) used += w;
    let wait = this.pausedUntil - now;
    if (used + this.weight > this.options.snapshotWeightPerMinute) {
      // wait until enough of the minute's requests have aged out
      let free = this.options.snapshotWeightPerMinute - used;
      for (const [at, w] of this.spent) {
        free += w;
        if (free >= this.weight) {
          wait = Math.max(wait, at + 60_000 - now);
          break;
        }
      }
    }
    if (wait > 0) {
      this.pumpTimer = setTimeout(() => {
        this.pumpTimer = undefined;
        this.pump();
      }, Math.ceil(wait));
      return;
    }
    const s = this.queue.shift()!;
    this.spent.push([now, this.weight]);
    this.inFlight = true;
    const gen = this.generation;
    void this.snapshot(s, gen).finally(() => {
      this.inFlight = false;
      this.pump();
    });
  }

  private async snapshot(s: SnapshotTarget, gen: number): Promise<void> {
    this.requested++;
    const url = `${this.urls.rest}/depth?symbol=${s.id}&limit=${this.limit}`;
    let status = 0;
    let body: unknown;
    let headers: Headers | undefined;
    let failure: string | undefined;
    try {
      const answer = await httpRequest({ method: 'GET', url, timeoutMs: this.options.snapshotTimeoutMs, signal: this.abort.signal });
      status = answer.status;
      body = answer.json;
      headers = answer.headers;
      if (status < 200 || status > 299) failure = `HTTP ${status} ${answer.text.slice(0, 120)}`;
    } catch (err) {
      failure = err instanceof Error ? err.message : String(err);
    }
    if (this.stopped || gen !== this.generation) return; // the connection it was for is gone
    s.queued = false;
    if (headers !== undefined) this.weightGuard(headers);
    if (status === 429 || status === 418) {
      const ms = retryAfterMs(headers?.get('retry-after'), this.deps.clock.now()) ?? 60_000;
      this.pausedUntil = Math.max(this.pausedUntil, this.deps.clock.monoMs() + ms);
      this.deps.log.warn({ venue: this.deps.name, symbol: s.ins.symbol, status, retryAfterMs: ms }, 'market data: depth snapshot refused (rate limit); pausing snapshots');
      this.request(s, 0);
      return;
    }
    if (failure !== undefined) {
      const delay = s.backoff.next();
      this.deps.log.warn({ venue: this.deps.name, symbol: s.ins.symbol, failure, retryInMs: delay }, 'market data: depth snapshot failed');
      this.request(s, delay);
      return;
    }
    this.receive(s, body);
  }

  /** Pauses snapshots to the next minute when the IP's used weight (all its clients) nears the limit. */
  private weightGuard(headers: Headers): void {
    const used = Number(headers.get('x-mbx-used-weight-1m'));
    if (!(used >= 0) || used + this.weight <= this.options.ipWeightPerMinute * 0.9) return;
    const wall = this.deps.clock.now();
    const ms = 60_000 - (wall % 60_000) + 50;
    this.pausedUntil = Math.max(this.pausedUntil, this.deps.clock.monoMs() + ms);
    this.deps.log.warn({ venue: this.deps.name, usedWeight: used }, 'market data: request weight near the limit; pausing snapshots to the next minute');
  }
}
