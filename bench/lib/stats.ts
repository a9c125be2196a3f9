/** Benchmark statistics helpers: percentiles and a GC event counter (perf_hooks 'gc' entries). */
import { PerformanceObserver } from 'node:perf_hooks';

/**
 * Value at quantile q of an ascending-sorted array: nearest rank, the ceil(q x n)-th value (as bench/lib/measure.ts
 * and bench:load's histogram): p99 of 100 values is the 99th, not the largest. NaN when empty.
 */
export function quantile(sorted: Float64Array | readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

/** Records the start time of every GC; count GCs in a time window after letting entries flush. */
export class GcCounter {
  private readonly starts: number[] = [];
  private readonly observer: PerformanceObserver;

  constructor() {
    this.observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) this.starts.push(e.startTime);
    });
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /** GC events that started within [t0, t1] (performance.now() clock). Awaits pending entries first. */
  async countBetween(t0: number, t1: number): Promise<number> {
    await new Promise((r) => setTimeout(r, 50));
    let n = 0;
    for (const s of this.starts) if (s >= t0 && s <= t1) n++;
    return n;
  }

  stop(): void {
    this.observer.disconnect();
  }
}

/** Forces a full collection (needs node --expose-gc). */
export function fullGc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g === undefined) throw new Error('run with node --expose-gc');
  g();
  g();
}
