/**
 * Exponential backoff with jitter, and a cancellable sleep. Used for reconnects, lookups of unknown outcomes and
 * retries: many clients reconnecting at once spread out instead of arriving together.
 */
export interface BackoffOptions {
  /** First delay (before jitter), ms. */
  readonly minMs: number;
  /** Largest delay (before jitter), ms. */
  readonly maxMs: number;
  /** Growth per attempt (default 2). */
  readonly factor?: number;
  /** Source of randomness in [0, 1) (tests may pin it). */
  readonly random?: () => number;
}

export class Backoff {
  private attempt = 0;

  constructor(private readonly options: BackoffOptions) {
    if (!(options.minMs >= 0) || !(options.maxMs >= options.minMs)) throw new RangeError('backoff needs 0 <= minMs <= maxMs');
  }

  /** The next delay: min x factor^attempt capped at max, then "equal jitter" (half fixed, half random). */
  next(): number {
    const factor = this.options.factor ?? 2;
    const base = Math.min(this.options.maxMs, this.options.minMs * factor ** Math.min(this.attempt, 30));
    this.attempt++;
    const random = this.options.random ?? Math.random;
    return Math.round(base / 2 + random() * (base / 2));
  }

  /** Attempts since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  reset(): void {
    this.attempt = 0;
  }
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener('abort', done, { once: true });
  });
}
