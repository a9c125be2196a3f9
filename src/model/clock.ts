/** Time is injected everywhere in engine code, so replays and tests are deterministic. */
export interface Clock {
  /** Wall time in milliseconds since the epoch (event timestamps). */
  now(): number;
  /** Monotonic nanoseconds for latency measurement (only differences are meaningful). */
  monoNs(): bigint;
  /** Monotonic milliseconds with sub-microsecond resolution, as a number (allocation-free latency stamps). */
  monoMs(): number;
}

export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  monoNs: () => process.hrtime.bigint(),
  monoMs: () => performance.now(),
});

/** A clock that only moves when told to (tests, replay). */
export class ManualClock implements Clock {
  private ms: number;
  private ns: bigint;

  constructor(startMs = 1_700_000_000_000) {
    this.ms = startMs;
    this.ns = 0n;
  }

  now(): number {
    return this.ms;
  }

  monoNs(): bigint {
    return this.ns;
  }

  monoMs(): number {
    return Number(this.ns) / 1e6;
  }

  advance(ms: number): void {
    this.ms += ms;
    this.ns += BigInt(Math.round(ms * 1e6));
  }
}
