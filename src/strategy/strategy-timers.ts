/**
 * A strategy's ctx.every / ctx.after timers, shared by the worker runtime and the remote-strategy runner: a callback
 * that throws is counted and reported (the strategy keeps running), every timer is cleared when the strategy stops,
 * and none starts once it is stopping.
 */
import type { TimerHandle } from './sdk.js';

export class StrategyTimers {
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    /** A timer callback threw. */
    private readonly onError: (err: unknown) => void,
    /** True once the strategy is stopping: no new timer starts. */
    private readonly stopping: () => boolean,
  ) {}

  /** Timers running. */
  get size(): number {
    return this.timers.size;
  }

  start(ms: number, fn: () => void, repeat: boolean): TimerHandle {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('timer period must be a non-negative number of milliseconds');
    if (this.stopping()) return { cancel: () => {} };
    const run = (): void => {
      if (!repeat) this.timers.delete(handle);
      try {
        fn();
      } catch (e) {
        this.onError(e);
      }
    };
    const handle = repeat ? setInterval(run, Math.max(1, ms)) : setTimeout(run, ms);
    this.timers.add(handle);
    return {
      cancel: () => {
        clearTimeout(handle);
        this.timers.delete(handle);
      },
    };
  }

  clear(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
