/**
 * Rate-limit counters for the fake venues.
 * Binance counts in fixed windows aligned to the interval (weight per minute resets at each minute);
 * OKX limits are enforced as sliding windows (no burst across a window boundary).
 */

/** Fixed window aligned to multiples of `windowMs` since the epoch. */
export class FixedWindow {
  private window = -1;
  private used = 0;

  constructor(
    readonly windowMs: number,
    public limit: number,
  ) {}

  private roll(now: number): void {
    const w = Math.floor(now / this.windowMs);
    if (w !== this.window) {
      this.window = w;
      this.used = 0;
    }
  }

  /** Adds `n` and returns the count after adding. */
  add(n: number, now: number): number {
    this.roll(now);
    this.used += n;
    return this.used;
  }

  count(now: number): number {
    this.roll(now);
    return this.used;
  }

  /** Milliseconds until the current window ends. */
  msToReset(now: number): number {
    return (Math.floor(now / this.windowMs) + 1) * this.windowMs - now;
  }

  reset(): void {
    this.window = -1;
    this.used = 0;
  }
}

/** Sliding window: at most `limit` units in any `windowMs`. */
export class SlidingWindow {
  private stamps: number[] = [];

  constructor(
    readonly windowMs: number,
    public limit: number,
  ) {}

  private prune(now: number): void {
    const from = now - this.windowMs;
    let i = 0;
    while (i < this.stamps.length && this.stamps[i] <= from) i++;
    if (i > 0) this.stamps.splice(0, i);
  }

  /** Takes `n` units if they fit; false (nothing taken) otherwise. */
  tryTake(n: number, now: number): boolean {
    this.prune(now);
    if (this.stamps.length + n > this.limit) return false;
    for (let i = 0; i < n; i++) this.stamps.push(now);
    return true;
  }

  count(now: number): number {
    this.prune(now);
    return this.stamps.length;
  }

  reset(): void {
    this.stamps = [];
  }
}

/** A keyed family of sliding windows (e.g. per account and instrument). */
export class SlidingWindows {
  private readonly map = new Map<string, SlidingWindow>();

  constructor(
    readonly windowMs: number,
    public limit: number,
  ) {}

  get(key: string): SlidingWindow {
    let w = this.map.get(key);
    if (w === undefined) this.map.set(key, (w = new SlidingWindow(this.windowMs, this.limit)));
    w.limit = this.limit;
    return w;
  }

  reset(): void {
    this.map.clear();
  }
}
