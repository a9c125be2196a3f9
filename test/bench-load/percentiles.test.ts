/**
 * The percentiles bench:book (bench/lib/stats.ts quantile) and bench:redis report: nearest rank, as bench:submit's
 * (bench/lib/measure.ts quantileSorted) and bench:load's histogram (the ceil(q x count)-th sample) define it — p99 of
 * 100 samples is the 99th, not the largest; p50 of 4 samples is the 2nd. An empty sample has no percentile (NaN).
 */
import { describe, expect, it } from 'vitest';
import { quantileSorted } from '../../bench/lib/measure.js';
import { quantile } from '../../bench/lib/stats.js';

const oneTo = (n: number): Float64Array => Float64Array.from({ length: n }, (_, i) => i + 1);

describe('bench percentiles (nearest rank)', () => {
  it('bench/lib/stats.ts quantile: p99 of 1..100 is 99, p50 of 1..4 is 2, p99.9 of 1..1000 is 999', () => {
    expect(quantile(oneTo(100), 0.99)).toBe(99);
    expect(quantile(oneTo(100), 0.5)).toBe(50);
    expect(quantile(oneTo(4), 0.5)).toBe(2);
    expect(quantile(oneTo(1000), 0.999)).toBe(999);
    expect(quantile(oneTo(1), 0.99)).toBe(1);
    expect(quantile(oneTo(3), 0)).toBe(1);
    expect(quantile(oneTo(3), 1)).toBe(3);
    expect(quantile(new Float64Array(0), 0.5)).toBeNaN();
  });

  it('agrees with bench:submit\'s quantileSorted on every rank', () => {
    for (const n of [1, 2, 3, 7, 100, 1001]) {
      const a = oneTo(n);
      for (const q of [0, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1]) expect(quantile(a, q), `n ${n} q ${q}`).toBe(quantileSorted(a, q));
    }
  });
});
