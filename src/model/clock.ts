/** Time is injected everywhere in engine code, so replays and tests are deterministic. */
export interface Clock {
  /** Wall time in milliseconds since the epoch (event timestamps). */
  now(): number;
  /** Monotonic nanoseconds for latency measurement (only differences are meaningful). */
  monoNs(): bigint;
  /** Monotonic milliseconds with sub-microsecond resolution, as a number. */
  monoMs(): number;
  /**
   * Optional: the current wall time kept in cell[0] by the clock itself. Hot paths copy it from typed array to
   * typed array: on Node 20 a double returned from (or passed to) a call that is not inlined is boxed on the heap.
   */
  readonly cell?: Float64Array;
}

/**
 * Node's performance object, read once: the global `performance` is an accessor property, and going through it costs
 * about 6 ns per read (15 % of a performance.now() call), which the hot paths pay once or twice per order.
 */
const perf = performance;

export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  monoNs: () => process.hrtime.bigint(),
  monoMs: () => perf.now(),
});

/** A clock that only moves when told to (tests, replay). */
export class ManualClock implements Clock {
  private ns: bigint;
  readonly cell: Float64Array;

  constructor(startMs = 1_700_000_000_000) {
    this.cell = Float64Array.of(startMs);
    this.ns = 0n;
  }

  now(): number {
    return this.cell[0]!;
  }

  monoNs(): bigint {
    return this.ns;
  }

  monoMs(): number {
    return Number(this.ns) / 1e6;
  }

  advance(ms: number): void {
    this.cell[0]! += ms;
    this.ns += BigInt(Math.round(ms * 1e6));
  }
}

/**
 * Wall time sampled by a timer every `resolutionMs` (default 1 ms) instead of at every read: on the hot paths the
 * daemon stamps events many times per order, and on Node 20 every Date.now() call allocates a heap number. Reading
 * this clock allocates nothing; its time lags real time by at most the resolution plus the time the event loop is
 * busy (a dispatch cycle sees one time). monoNs/monoMs stay exact (latency measurement). `stop()` ends the timer.
 */
export class CoarseClock implements Clock {
  readonly cell = Float64Array.of(Date.now());
  private readonly timer: NodeJS.Timeout;

  constructor(resolutionMs = 1) {
    this.timer = setInterval(() => {
      this.cell[0] = Date.now();
    }, resolutionMs);
    this.timer.unref();
  }

  now(): number {
    return this.cell[0]!;
  }

  monoNs(): bigint {
    return process.hrtime.bigint();
  }

  monoMs(): number {
    return perf.now();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
