/**
 * A hash map for the paper venue's live orders: open addressing with linear probing and backward-shift deletion, keys
 * compared with ===, the hash given by the caller (computed once per order and kept with it). It grows by doubling
 * (load at most 1/2) and never shrinks: its size follows the peak of live orders, which the daemon's limits bound.
 *
 * Why not a Map: the live orders come and go in waves (a batch arrives, its orders fill, they all leave), and V8's Map
 * shrinks its table once it is a quarter full and grows it again on the next wave, reallocating the whole table each
 * time. Under a worker flood those reallocations, and the fresh pages the kernel zeroes for them, were about 5 % of the
 * dispatch thread's samples (perf, `bench:load --via worker`).
 */
export class OpenHashMap<K extends string | number, V> {
  private keys: (K | undefined)[];
  private values: (V | undefined)[];
  private hashes: Int32Array;
  private mask: number;
  private count = 0;

  constructor(initialCapacity = 64) {
    let n = 16;
    while (n < initialCapacity * 2) n *= 2;
    this.keys = new Array<K | undefined>(n).fill(undefined);
    this.values = new Array<V | undefined>(n).fill(undefined);
    this.hashes = new Int32Array(n);
    this.mask = n - 1;
  }

  get size(): number {
    return this.count;
  }

  /** Buckets in the table (for tests: it never shrinks). */
  get capacity(): number {
    return this.mask + 1;
  }

  get(key: K, hash: number): V | undefined {
    const keys = this.keys;
    const mask = this.mask;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const k = keys[i];
      if (k === undefined) return undefined;
      if (k === key) return this.values[i];
    }
  }

  /** Sets the value of `key` (hash: the same for the same key, every time). */
  set(key: K, hash: number, value: V): void {
    const keys = this.keys;
    const mask = this.mask;
    let i = hash & mask;
    for (;;) {
      const k = keys[i];
      if (k === undefined) break;
      if (k === key) {
        this.values[i] = value;
        return;
      }
      i = (i + 1) & mask;
    }
    keys[i] = key;
    this.values[i] = value;
    this.hashes[i] = hash;
    if (++this.count * 2 > mask + 1) this.grow();
  }

  /** Removes `key`; true when it was there. */
  delete(key: K, hash: number): boolean {
    const keys = this.keys;
    const mask = this.mask;
    let i = hash & mask;
    for (;;) {
      const k = keys[i];
      if (k === undefined) return false;
      if (k === key) break;
      i = (i + 1) & mask;
    }
    // backward-shift deletion: move later entries of the probe run into the hole unless their home lies cyclically
    // in (hole, j]
    let hole = i;
    for (let j = (i + 1) & mask; keys[j] !== undefined; j = (j + 1) & mask) {
      const home = this.hashes[j]! & mask;
      if (hole <= j ? hole < home && home <= j : hole < home || home <= j) continue;
      keys[hole] = keys[j];
      this.values[hole] = this.values[j];
      this.hashes[hole] = this.hashes[j]!;
      hole = j;
    }
    keys[hole] = undefined;
    this.values[hole] = undefined;
    this.count--;
    return true;
  }

  /** Every value, in table order (no order a caller may rely on). */
  forEachValue(fn: (value: V) => void): void {
    for (let i = 0; i <= this.mask; i++) if (this.keys[i] !== undefined) fn(this.values[i]!);
  }

  /** Every key, in table order. */
  forEachKey(fn: (key: K) => void): void {
    for (let i = 0; i <= this.mask; i++) {
      const k = this.keys[i];
      if (k !== undefined) fn(k);
    }
  }

  private grow(): void {
    const keys = this.keys;
    const values = this.values;
    const hashes = this.hashes;
    const n = (this.mask + 1) * 2;
    this.keys = new Array<K | undefined>(n).fill(undefined);
    this.values = new Array<V | undefined>(n).fill(undefined);
    this.hashes = new Int32Array(n);
    this.mask = n - 1;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      if (k === undefined) continue;
      let j = hashes[i]! & this.mask;
      while (this.keys[j] !== undefined) j = (j + 1) & this.mask;
      this.keys[j] = k;
      this.values[j] = values[i];
      this.hashes[j] = hashes[i]!;
    }
  }
}

/** A hash of an order id (a non-negative safe integer) for OpenHashMap: its two 32-bit halves mixed (Fibonacci). */
export function orderIdHash(id: number): number {
  const hi = id > 0x7fffffff ? (id / 4294967296) | 0 : 0;
  return Math.imul((id | 0) ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) ^ (hi >>> 7);
}
