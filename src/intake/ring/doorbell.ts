/**
 * A doorbell lets one consumer sleep until any of the rings it reads goes non-empty, without busy-spinning
 * and without a per-record cost on the producers: the consumer arms it and waits with Atomics.waitAsync (the
 * event loop stays free); producers "ring" after each publish, which costs one atomic load while the
 * consumer is awake and one compare-exchange plus Atomics.notify only on the publish that wakes it.
 *
 * Buffer (SharedArrayBuffer, 128 bytes): i32[0] state (0 awake, 1 sleeping); i32[1] wakeups (count of
 * notifies, for metrics and tests).
 *
 * Lost-wakeup freedom: the consumer stores SLEEPING and then re-checks its rings; a producer stores its tail
 * and then loads the state. Atomics are sequentially consistent, so either the consumer sees the new record
 * or the producer sees SLEEPING and notifies. One doorbell serves any number of producers (any threads) but
 * exactly one waiting consumer.
 *
 * A producer that publishes many records in one turn need not notify per record: when `sleeping` is false right
 * after a publish, the consumer will see that record before it sleeps (same argument), so no ring is owed for it;
 * when it is true, the producer may owe one ring and pay it once later in the turn for every record published
 * meanwhile (the event rings do: strategy-host.ts). Either way nothing published before the ring can be missed.
 */
const STATE = 0;
const WAKEUPS = 1;
const AWAKE = 0;
const SLEEPING = 1;

export const DOORBELL_BYTES = 128;

type WaitAsyncResult = { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
type WaitAsync = (ta: Int32Array, index: number, value: number, timeout?: number) => WaitAsyncResult;

/** Atomics.waitAsync (ES2024; in Node since 16) is not in the ES2022 lib this project compiles against. */
function waitAsyncFn(): WaitAsync {
  const fn = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;
  if (typeof fn !== 'function') throw new Error('Atomics.waitAsync is not available in this runtime');
  return fn;
}

const RESOLVED_TRUE: Promise<boolean> = Promise.resolve(true);

function toWoken(v: 'ok' | 'timed-out' | 'not-equal'): boolean {
  return v !== 'timed-out';
}

export class Doorbell {
  readonly buffer: SharedArrayBuffer;
  private readonly word: Int32Array;
  private readonly waitAsync: WaitAsync;
  private waiting = false;

  /** A new doorbell; pass `buffer` to other threads and attach with `new Doorbell(buffer)`. */
  static create(): Doorbell {
    return new Doorbell(new SharedArrayBuffer(DOORBELL_BYTES));
  }

  constructor(buffer: SharedArrayBuffer) {
    if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength < DOORBELL_BYTES) throw new TypeError('not a doorbell buffer');
    this.buffer = buffer;
    this.word = new Int32Array(buffer, 0, 2);
    this.waitAsync = waitAsyncFn();
  }

  /** Producer side, after publishing: wakes the consumer if it sleeps. Safe from any thread. */
  ring(): void {
    if (Atomics.load(this.word, STATE) === SLEEPING) this.wake();
  }

  private wake(): void {
    if (Atomics.compareExchange(this.word, STATE, SLEEPING, AWAKE) === SLEEPING) {
      Atomics.add(this.word, WAKEUPS, 1);
      Atomics.notify(this.word, STATE);
    }
  }

  /**
   * Consumer side: arms the doorbell, re-checks `hasWork` (which must look at every ring that rings this
   * doorbell, re-reading their tails) and, if there is none, waits without blocking the thread. Resolves true
   * when woken or when work was already there, false on timeout. One wait at a time.
   */
  wait(hasWork: () => boolean, timeoutMs = Infinity): Promise<boolean> {
    if (this.waiting) throw new Error('Doorbell.wait: a wait is already pending (one consumer per doorbell)');
    Atomics.store(this.word, STATE, SLEEPING);
    let work: boolean;
    try {
      work = hasWork();
    } catch (e) {
      Atomics.store(this.word, STATE, AWAKE);
      throw e;
    }
    if (work) {
      Atomics.store(this.word, STATE, AWAKE);
      return RESOLVED_TRUE;
    }
    const r = this.waitAsync(this.word, STATE, SLEEPING, timeoutMs);
    if (!r.async) {
      Atomics.store(this.word, STATE, AWAKE);
      return Promise.resolve(toWoken(r.value));
    }
    this.waiting = true;
    return r.value.then((v) => {
      this.waiting = false;
      Atomics.store(this.word, STATE, AWAKE);
      return toWoken(v);
    });
  }

  /** True while the consumer is armed and asleep. */
  get sleeping(): boolean {
    return Atomics.load(this.word, STATE) === SLEEPING;
  }

  /** Notifies sent so far (each one woke a sleeping consumer). */
  get wakeups(): number {
    return Atomics.load(this.word, WAKEUPS) >>> 0;
  }
}
