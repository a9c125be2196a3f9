/**
 * Waiting in tests: every wait is a poll with a deadline, never a fixed sleep.
 */
export interface PollOptions {
  /** Give up after this many milliseconds (default 5000). */
  readonly timeoutMs?: number;
  /** Pause between attempts (default 10 ms). */
  readonly intervalMs?: number;
  /** What is awaited, for the failure message. */
  readonly what?: string;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Calls `probe` until `done(value)` holds and returns that value; throws with the last value seen when the
 * deadline passes. Errors thrown by `probe` count as "not yet" until the deadline, then are rethrown.
 */
export async function pollUntil<T>(probe: () => T | Promise<T>, done: (value: T) => boolean, options: PollOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const intervalMs = options.intervalMs ?? 10;
  const deadline = Date.now() + timeoutMs;
  let last: { value: T } | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (done(value)) return value;
      last = { value };
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const seen = lastError !== undefined ? `error ${String(lastError)}` : last === undefined ? 'nothing' : JSON.stringify(last.value);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${options.what ?? 'a condition'}; last seen: ${seen}`);
    }
    await pause(intervalMs);
  }
}

/** Polls a boolean condition. */
export function waitFor(condition: () => boolean | Promise<boolean>, options: PollOptions = {}): Promise<boolean> {
  return pollUntil(condition, (v) => v, options);
}

/**
 * Resolves with the first value `subscribe` delivers that satisfies `match`, or rejects at the deadline.
 * `subscribe` registers a callback and returns a function that unregisters it.
 */
export function nextMatching<T>(
  subscribe: (callback: (value: T) => void) => () => void,
  match: (value: T) => boolean,
  options: { timeoutMs?: number; what?: string } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 5000;
  return new Promise((resolve, reject) => {
    let unsubscribe: () => void = () => undefined;
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${options.what ?? 'a matching value'}`));
    }, timeoutMs);
    unsubscribe = subscribe((value) => {
      if (!match(value)) return;
      clearTimeout(timer);
      unsubscribe();
      resolve(value);
    });
  });
}
