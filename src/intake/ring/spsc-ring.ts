/**
 * A bounded single-producer single-consumer ring of fixed-size binary records on one SharedArrayBuffer,
 * synchronised with Atomics only (no locks, no postMessage per record). One thread produces, one consumes;
 * they may be the same thread (API intake on the main thread) or two (a strategy worker and the dispatcher).
 *
 * Buffer layout (byte offsets; each counter on its own 128-byte block so the producer's and the consumer's
 * writes never share a cache line, nor an adjacent-line prefetch pair):
 *
 *     0   i32 magic (RING_MAGIC)          written once at creation, read-only afterwards
 *     4   i32 capacity (records, power of two)
 *     8   i32 recordSize (bytes, multiple of 8)
 *   128   i32 tail      records published so far (int32, wraps) — written by the producer only
 *   132   i32 refused   producer refusals reported with noteRefused() (QUEUE_FULL answers) — producer only
 *   256   i32 head      records released so far (int32, wraps)  — written by the consumer only
 *   384   records: slot i at RING_HEADER_BYTES + i * recordSize
 *
 * Counters are int32 and wrap; `(tail - head) | 0` is the fill level as long as capacity <= 2^30.
 *
 * Memory ordering (all Atomics operations are sequentially consistent): the producer writes the record with
 * plain typed-array stores and then `Atomics.store`s the tail; the consumer `Atomics.load`s the tail and only
 * then reads records below it. The consumer reads records and then `Atomics.store`s the head; the producer
 * `Atomics.load`s the head before it reuses a slot. The producer caches the consumer's head and re-reads it
 * only when the cached value says "full", so in steady state the producer does one atomic store per publish
 * and the consumer one atomic load (the tail) and one atomic store (the head) per batch.
 *
 * Nothing here allocates after construction: records are read and written in place through the typed views
 * each side owns (`bytes`, `u16`, `u32`, `f64`), at the byte offset the ring hands out.
 */
import type { Doorbell } from './doorbell.js';

export const RING_MAGIC = 0x53595231; // "SYR1"
export const RING_HEADER_BYTES = 384;

/** Byte offsets of the producer's tail and the consumer's head counters (int32). */
export const RING_TAIL_OFFSET = 128;
export const RING_HEAD_OFFSET = 256;

const MAGIC = 0;
const CAPACITY = 1;
const RECORD_SIZE = 2;
const TAIL = RING_TAIL_OFFSET >> 2;
const REFUSED = (RING_TAIL_OFFSET + 4) >> 2;
const HEAD = RING_HEAD_OFFSET >> 2;

const MAX_CAPACITY = 1 << 30;

/** Bytes of SharedArrayBuffer a ring of `capacity` records of `recordSize` bytes needs. */
export function ringByteLength(capacity: number, recordSize: number): number {
  return RING_HEADER_BYTES + capacity * recordSize;
}

/** Allocates and initialises the shared buffer of a ring. Give it to one producer and one consumer. */
export function createRingBuffer(capacity: number, recordSize: number): SharedArrayBuffer {
  if (!Number.isInteger(capacity) || capacity < 2 || capacity > MAX_CAPACITY || (capacity & (capacity - 1)) !== 0) {
    throw new RangeError(`ring capacity must be a power of two between 2 and 2^30, got ${capacity}`);
  }
  if (!Number.isInteger(recordSize) || recordSize < 8 || recordSize % 8 !== 0) {
    throw new RangeError(`ring record size must be a positive multiple of 8 bytes, got ${recordSize}`);
  }
  const buffer = new SharedArrayBuffer(ringByteLength(capacity, recordSize));
  const h = new Int32Array(buffer, 0, RING_HEADER_BYTES >> 2);
  h[CAPACITY] = capacity;
  h[RECORD_SIZE] = recordSize;
  Atomics.store(h, MAGIC, RING_MAGIC);
  return buffer;
}

/** Typed views over a ring buffer, shared by both sides' classes. Records are addressed by byte offset. */
abstract class RingSide {
  readonly buffer: SharedArrayBuffer;
  readonly capacity: number;
  readonly recordSize: number;
  /** Views over the whole buffer: index with `offset`, `offset >> 1`, `offset >> 2`, `offset >> 3`. */
  readonly bytes: Uint8Array;
  readonly u16: Uint16Array;
  readonly u32: Uint32Array;
  readonly f64: Float64Array;
  protected readonly header: Int32Array;
  protected readonly mask: number;

  constructor(buffer: SharedArrayBuffer) {
    if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength < RING_HEADER_BYTES) throw new TypeError('not a ring buffer');
    const h = new Int32Array(buffer, 0, RING_HEADER_BYTES >> 2);
    if (Atomics.load(h, MAGIC) !== RING_MAGIC) throw new TypeError('not a ring buffer (bad magic)');
    this.buffer = buffer;
    this.header = h;
    this.capacity = h[CAPACITY]!;
    this.recordSize = h[RECORD_SIZE]!;
    if (buffer.byteLength !== ringByteLength(this.capacity, this.recordSize)) throw new TypeError('ring buffer length does not match its header');
    this.mask = this.capacity - 1;
    this.bytes = new Uint8Array(buffer);
    this.u16 = new Uint16Array(buffer);
    this.u32 = new Uint32Array(buffer);
    this.f64 = new Float64Array(buffer);
  }

  /** Records published and not yet released (a snapshot; exact only on the consumer side). */
  size(): number {
    return (Atomics.load(this.header, TAIL) - Atomics.load(this.header, HEAD)) | 0;
  }

  /** How many times the producer reported a refusal (QUEUE_FULL) with noteRefused(). */
  refusedCount(): number {
    return Atomics.load(this.header, REFUSED) >>> 0;
  }

  protected offsetOf(counter: number): number {
    return RING_HEADER_BYTES + (counter & this.mask) * this.recordSize;
  }
}

/**
 * The producer side. Protocol per record: `off = tryClaim()`; if `off < 0` the ring is full (refuse the
 * record to whoever sent it: QUEUE_FULL); else write the record at `off` through the views; then `publish()`.
 * Several records may be claimed before one publish (batching); a claim not yet published is invisible to
 * the consumer. Only one thread may ever hold the producer of a ring.
 */
export class RingProducer extends RingSide {
  /** Next counter to publish (records claimed beyond it are pending). */
  private tail: number;
  /** Counter of the next claim. */
  private claimTail: number;
  /** The consumer's head as last read. */
  private cachedHead: number;
  private readonly bell: Doorbell | null;

  /** `doorbell`: rung after each publish so a consumer sleeping on it wakes up (one atomic load when awake). */
  constructor(buffer: SharedArrayBuffer, doorbell: Doorbell | null = null) {
    super(buffer);
    this.tail = Atomics.load(this.header, TAIL);
    this.claimTail = this.tail;
    this.cachedHead = Atomics.load(this.header, HEAD);
    this.bell = doorbell;
  }

  /** Byte offset of a free record slot, or -1 when the ring is full. The slot's old content is garbage. */
  tryClaim(): number {
    const t = this.claimTail;
    if (((t - this.cachedHead) | 0) >= this.capacity) {
      this.cachedHead = Atomics.load(this.header, HEAD);
      if (((t - this.cachedHead) | 0) >= this.capacity) return -1;
    }
    this.claimTail = (t + 1) | 0;
    return RING_HEADER_BYTES + (t & this.mask) * this.recordSize;
  }

  /** Makes every claimed record visible to the consumer (one atomic store), then rings the doorbell. */
  publish(): void {
    const t = this.claimTail;
    if (t === this.tail) return;
    this.tail = t;
    Atomics.store(this.header, TAIL, t);
    if (this.bell !== null) this.bell.ring();
  }

  /** Drops claimed records that were not published (e.g. the writer found the record invalid half-way). */
  abandon(): void {
    this.claimTail = this.tail;
  }

  /** Free slots right now (re-reads the consumer's head). */
  free(): number {
    this.cachedHead = Atomics.load(this.header, HEAD);
    return this.capacity - ((this.claimTail - this.cachedHead) | 0);
  }

  /** Counts one refusal (the producer answered QUEUE_FULL); the consumer side reads it with refusedCount(). */
  noteRefused(): void {
    Atomics.add(this.header, REFUSED, 1);
  }

  /** Records published so far (int32 counter, wraps). */
  get position(): number {
    return this.tail;
  }
}

/** Called once per record with the record's byte offset and its position (int32 counter) in the ring. */
export type RecordHandler = (offset: number, position: number) => void;

/**
 * The consumer side. Either `poll(max, handler)` — the handler reads each record in place — or the
 * lower-level `available()` / `offsetAt(i)` / `release(n)`. Slots are released once per batch.
 * Only one thread may ever hold the consumer of a ring.
 */
export class RingConsumer extends RingSide {
  private head: number;

  constructor(buffer: SharedArrayBuffer) {
    super(buffer);
    this.head = Atomics.load(this.header, HEAD);
  }

  /** Records ready to read (one atomic load of the producer's tail). */
  available(): number {
    return (Atomics.load(this.header, TAIL) - this.head) | 0;
  }

  /** True when the producer has published records not yet released. */
  hasRecords(): boolean {
    return Atomics.load(this.header, TAIL) !== this.head;
  }

  /** Byte offset of the i-th readable record (0 = oldest); valid for i < available(). */
  offsetAt(i: number): number {
    return this.offsetOf((this.head + i) | 0);
  }

  /** Hands `n` read records back to the producer (one atomic store). */
  release(n: number): void {
    if (n <= 0) return;
    this.head = (this.head + n) | 0;
    Atomics.store(this.header, HEAD, this.head);
  }

  /**
   * Reads up to `max` records in FIFO order, calling `handler(offset, position)` for each, then releases them
   * in one store. A handler that throws consumes its record (no poison loop); the error propagates after the
   * records handled so far are released. Returns the number of records handled.
   */
  poll(max: number, handler: RecordHandler): number {
    let n = this.available();
    if (n === 0) return 0;
    if (n > max) n = max;
    const start = this.head;
    let i = 0;
    try {
      while (i < n) {
        const pos = (start + i) | 0;
        i++;
        handler(RING_HEADER_BYTES + (pos & this.mask) * this.recordSize, pos);
      }
    } finally {
      this.release(i);
    }
    return n;
  }

  /** Records released so far (int32 counter, wraps): the position of the next record to read. */
  get position(): number {
    return this.head;
  }

  /**
   * Byte offset of the slot of the last record the producer published (position tail - 1, read or not). Only once the
   * producer is gone for good (a strategy worker that ended): its slot then holds that record, or a later one the
   * producer claimed and wrote but never published (claims only go forward) — never an earlier one. A ring never
   * published to gives its last slot, as created (zeros) unless a claim never published reached it.
   */
  lastPublishedOffset(): number {
    return this.offsetOf((Atomics.load(this.header, TAIL) - 1) | 0);
  }
}
