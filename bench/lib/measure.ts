/** Measurement helpers of bench:submit and bench:stress: percentiles, GC events in a window, clocks. */
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { GCProfiler } from 'node:v8';

/** Value at quantile q of an ascending-sorted array (nearest rank). */
export function quantileSorted(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

export interface Percentiles {
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly count: number;
}

/** Sorts `samples[0, n)` in place and returns its percentiles (same unit as the samples). */
export function percentiles(samples: Float64Array, n = samples.length): Percentiles {
  const s = samples.subarray(0, n).sort();
  return { p50: quantileSorted(s, 0.5), p99: quantileSorted(s, 0.99), p999: quantileSorted(s, 0.999), max: s[n - 1] ?? Number.NaN, count: n };
}

/** Records the start time (performance.now() clock) of every GC of this thread while it observes. */
export class GcWatch {
  private readonly starts: number[] = [];
  private readonly kinds: number[] = [];
  private readonly observer: PerformanceObserver;

  constructor() {
    this.observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        this.starts.push(e.startTime);
        this.kinds.push((e as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0);
      }
    });
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /** GC events that started within [t0, t1]. Yields to the event loop first so pending entries arrive. */
  async countBetween(t0: number, t1: number): Promise<{ count: number; minor: number; major: number }> {
    for (let i = 0; i < 3; i++) await new Promise((r) => setTimeout(r, 20));
    let count = 0;
    let minor = 0;
    let major = 0;
    for (let i = 0; i < this.starts.length; i++) {
      const s = this.starts[i]!;
      if (s < t0 || s > t1) continue;
      count++;
      // perf_hooks constants: 1 minor (scavenge), 2 major (mark-sweep-compact), 4 incremental, 8 weak callbacks
      if (this.kinds[i] === 1) minor++;
      else major++;
    }
    return { count, minor, major };
  }

  stop(): void {
    this.observer.disconnect();
  }
}

/** Forces full collections (needs node --expose-gc); a no-op without it. */
export function fullGc(): boolean {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g === undefined) return false;
  g();
  g();
  return true;
}

/** p50 of an empty timed region (two performance.now() calls), in ns: what every latency sample includes. */
export function timerOverheadNs(): number {
  const out = new Float64Array(200_000);
  for (let r = 0; r < 2; r++) {
    for (let i = 0; i < out.length; i++) {
      const t0 = performance.now();
      out[i] = performance.now() - t0;
    }
  }
  return percentiles(out).p50 * 1e6;
}

/** Median of a list of numbers. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Yields to the event loop (lets timers, observers and I/O run). */
export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Heap bytes allocated while `fn` runs: heap used after - before + what every GC meanwhile collected (v8.GCProfiler
 * reports each GC's heap before and after), so garbage already collected is counted too.
 */
export function allocatedBytes(fn: () => void): { bytes: number; gcs: number } {
  const profiler = new GCProfiler();
  profiler.start();
  const before = process.memoryUsage().heapUsed;
  fn();
  const after = process.memoryUsage().heapUsed;
  const { statistics } = profiler.stop();
  let collected = 0;
  for (const gc of statistics) collected += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize;
  return { bytes: after - before + collected, gcs: statistics.length };
}
