/**
 * Circuit breaker per venue: closed -> open -> half-open -> closed.
 *
 *  closed     orders flow. `failureThreshold` venue failures in a row (timeouts, lost connections, 5xx; not
 *             business rejections) open it. A success resets the count.
 *  open       new orders are refused at once (REJECTED VENUE_UNAVAILABLE, never sent) and the venue is reported
 *             DOWN, so the router skips its slots. After `openMs` the breaker goes half-open.
 *  half-open  the adapter sends one probe of its own (a cheap private read). Success closes the breaker and the
 *             venue is reported UP; failure opens it again for twice as long (up to `maxOpenMs`).
 *
 * Decision: the router is told UP only when the breaker closes, not when it goes half-open (venue.ts allows both):
 * the probe is the adapter's, so no routed order is spent finding out whether the venue is back.
 * Bans (418) and refused credentials force it open for at least the ban time.
 */
export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  /** Venue failures in a row that open the breaker (default 5). */
  readonly failureThreshold: number;
  /** First open period before a probe, ms (default 2000). */
  readonly openMs: number;
  /** Longest open period after repeated failed probes, ms (default 30000). */
  readonly maxOpenMs: number;
}

export const DEFAULT_BREAKER: BreakerOptions = { failureThreshold: 5, openMs: 2000, maxOpenMs: 30_000 };

export interface BreakerHooks {
  /** The breaker opened (venue DOWN). */
  onOpen(reason: string): void;
  /** The breaker closed after a successful probe (venue UP). */
  onClose(): void;
  /** A request proving the venue works; rejects when it does not. */
  probe(): Promise<void>;
}

export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private failures = 0;
  private openFor: number;
  private timer: NodeJS.Timeout | undefined;
  private lastReason = '';
  private stopped = false;
  /** Times the breaker opened. */
  opened = 0;

  constructor(
    private readonly options: BreakerOptions,
    private readonly hooks: BreakerHooks,
  ) {
    if (!(options.failureThreshold >= 1)) throw new RangeError('failureThreshold must be >= 1');
    this.openFor = options.openMs;
  }

  get state(): BreakerState {
    return this.current;
  }

  get reason(): string {
    return this.lastReason;
  }

  /** New orders may be sent (closed only). */
  allowsOrders(): boolean {
    return this.current === 'closed';
  }

  /** A request reached the venue and got an answer. */
  success(): void {
    if (this.current === 'closed') this.failures = 0;
  }

  /** A request failed because of the venue or the connection. */
  failure(reason: string): void {
    if (this.current !== 'closed' || this.stopped) return;
    this.failures++;
    if (this.failures >= this.options.failureThreshold) {
      this.open(`${this.failures} failures in a row, last: ${reason}`, this.openFor);
    }
  }

  /** Open now for at least `ms` (ban, refused credentials), whatever the state. */
  forceOpen(reason: string, ms: number): void {
    if (this.stopped) return;
    if (this.current === 'open') {
      // extend: the probe waits at least until the ban is over
      this.schedule(Math.max(ms, this.options.openMs));
      this.lastReason = reason;
      return;
    }
    this.open(reason, Math.max(ms, this.options.openMs));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private open(reason: string, ms: number): void {
    const wasClosed = this.current === 'closed';
    this.current = 'open';
    this.lastReason = reason;
    this.failures = 0;
    if (wasClosed) {
      this.opened++;
      this.hooks.onOpen(reason);
    }
    this.schedule(ms);
  }

  private schedule(ms: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.halfOpen();
    }, ms);
    this.timer.unref?.();
  }

  private async halfOpen(): Promise<void> {
    if (this.stopped || this.current !== 'open') return;
    this.current = 'half-open';
    try {
      await this.hooks.probe();
    } catch (err) {
      if (this.stopped || this.current !== 'half-open') return;
      this.openFor = Math.min(this.options.maxOpenMs, this.openFor * 2);
      this.current = 'open';
      this.lastReason = `probe failed: ${err instanceof Error ? err.message : String(err)}`;
      this.schedule(this.openFor);
      return;
    }
    if (this.stopped || this.current !== 'half-open') return;
    this.current = 'closed';
    this.failures = 0;
    this.openFor = this.options.openMs;
    this.hooks.onClose();
  }
}
