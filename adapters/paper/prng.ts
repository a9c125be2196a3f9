/**
 * The project's one seeded PRNG (mulberry32): deterministic simulated markets for a given seed in the paper venue,
 * and every other seeded stream (fake venues and their fault injector, crash schedules, benchmarks, tests).
 */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
}

/** A seeded source of uniform numbers in [0, 1), for code that takes a plain function. */
export function randomSource(seed: number): () => number {
  const p = new Prng(seed);
  return () => p.next();
}
