/**
 * Client order id -> slot: an open-addressing hash table (linear probing, backward-shift deletion) on one Int32Array,
 * a bucket being two int32s, the slot and the key's hash. Keys are not stored here: a bucket's key is read from the
 * order store's `clientIds[slot]`, and only when the hashes agree, so a lookup that finds nothing (every new order's
 * duplicate check) reads one cache line of the table and no string. Each slot's hash is kept too, so that forgetting
 * an order (retire, an amend that rebinds its id) does not read its id again.
 *
 * Why not a Map<string, number>: per new order the daemon asks twice for an id that is not there and adds it; per
 * forgotten order it deletes one. A Map of the ~100k held orders is a table of several MB: every lookup walks a
 * bucket chain reading each entry's key string (cache misses), and the steady churn of adds and deletes makes it
 * rebuild itself — a new table of that size — every few tens of thousands of orders (garbage in the old generation).
 * Here nothing is allocated per operation: the table doubles when half full (amortised), the slot hashes grow with
 * the store.
 *
 * The hash (a seeded FNV-1a over the UTF-16 code units, then a murmur finaliser) takes a per-index seed, so that the
 * bucket of an id is not known outside the process: clients choose their ids, and must not be able to choose ids that
 * all probe the same run. The seed changes only where ids sit in the table, never what a lookup answers.
 */

/** What ClientIdIndex reads from the order store: each slot's client order id (undefined: none given). */
export interface ClientIdSlots {
  readonly clientIds: readonly (string | undefined)[];
}

const EMPTY = -1;

/** String.prototype.charCodeAt as a constant: see src/model/json-text.ts (a megamorphic `text.charCodeAt` per char). */
const charCodeAt = String.prototype.charCodeAt;

export class ClientIdIndex {
  /** Buckets: [2b] the slot (EMPTY: none), [2b + 1] the hash of its key. */
  private table: Int32Array;
  private mask: number;
  /**
   * Per slot, side by side (one cache line for a slot being forgotten): [2s] the hash it is indexed under, valid while
   * [2s + 1] is 1 (indexed).
   */
  private bySlot: Int32Array;
  /** The last key hashed and its hash: a new order's id is looked up twice and then added (one hash for the three). */
  private lastKey = '';
  private lastHash: number;
  size = 0;

  constructor(
    private readonly slots: ClientIdSlots,
    private readonly seed: number,
    initialSlots = 1 << 10,
  ) {
    const n = nextPow2(initialSlots * 2);
    this.table = new Int32Array(n * 2).fill(EMPTY);
    this.mask = n - 1;
    this.bySlot = new Int32Array(initialSlots * 2);
    this.lastHash = this.hash('');
  }

  /** The key's hash (seeded; the same key always gives the same value in one index). */
  hash(key: string): number {
    let h = (this.seed ^ 0x811c9dc5) | 0;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ charCodeAt.call(key, i), 0x01000193);
    h ^= key.length;
    // murmur3's finaliser: every input bit reaches the low bits the bucket is taken from
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return h ^ (h >>> 16);
  }

  private hashOf(key: string): number {
    if (key === this.lastKey) return this.lastHash;
    const h = this.hash(key);
    this.lastKey = key;
    this.lastHash = h;
    return h;
  }

  /** The slot indexed under `key`, or -1. */
  get(key: string): number {
    const h = this.hashOf(key);
    const table = this.table;
    const mask = this.mask;
    const ids = this.slots.clientIds;
    let b = h & mask;
    for (;;) {
      const s = table[2 * b]!;
      if (s === EMPTY) return -1;
      if (table[2 * b + 1] === h && ids[s] === key) return s;
      b = (b + 1) & mask;
    }
  }

  /**
   * Index `slot` under `key` (its store.clientIds entry, set before this call). A key indexed already (to another
   * slot) is moved to this one, as Map.set would; a slot indexed already under another key is first removed.
   */
  set(key: string, slot: number): void {
    if (2 * slot >= this.bySlot.length) this.growSlots(slot + 1);
    if (this.bySlot[2 * slot + 1] === 1) this.remove(slot);
    const h = this.hashOf(key);
    const ids = this.slots.clientIds;
    let table = this.table;
    let mask = this.mask;
    let b = h & mask;
    for (;;) {
      const s = table[2 * b]!;
      if (s === EMPTY) break;
      if (table[2 * b + 1] === h && ids[s] === key && s !== slot) {
        // the key named another slot (Map.set semantics): that slot is no longer found by it
        this.remove(s);
        break;
      }
      b = (b + 1) & mask;
    }
    if ((this.size + 1) * 2 > mask + 1) {
      this.growTable();
      table = this.table;
      mask = this.mask;
    }
    b = h & mask;
    while (table[2 * b] !== EMPTY) b = (b + 1) & mask;
    table[2 * b] = slot;
    table[2 * b + 1] = h;
    this.bySlot[2 * slot] = h;
    this.bySlot[2 * slot + 1] = 1;
    this.size++;
  }

  /** Whether `slot` is indexed (under the key it was set with). */
  has(slot: number): boolean {
    return 2 * slot < this.bySlot.length && this.bySlot[2 * slot + 1] === 1;
  }

  /** Forget `slot`'s entry (nothing when it has none). Reads no key. */
  remove(slot: number): void {
    if (!this.has(slot)) return;
    this.bySlot[2 * slot + 1] = 0;
    const table = this.table;
    const mask = this.mask;
    const h = this.bySlot[2 * slot]!;
    let b = h & mask;
    while (table[2 * b] !== slot) b = (b + 1) & mask; // it is there: bySlot says so
    // Backward-shift deletion: pull later entries of the probe run into the hole when allowed.
    let hole = b;
    let j = b;
    for (;;) {
      j = (j + 1) & mask;
      const t = table[2 * j]!;
      if (t === EMPTY) break;
      const home = table[2 * j + 1]! & mask;
      // leave t where it is when its home lies cyclically in (hole, j]
      if (hole <= j ? hole < home && home <= j : hole < home || home <= j) continue;
      table[2 * hole] = t;
      table[2 * hole + 1] = table[2 * j + 1]!;
      hole = j;
    }
    table[2 * hole] = EMPTY;
    this.size--;
  }

  /** Buckets in the table (diagnostics and tests). */
  get buckets(): number {
    return this.mask + 1;
  }

  private growTable(): void {
    const old = this.table;
    const n = (this.mask + 1) * 2;
    const table = new Int32Array(n * 2).fill(EMPTY);
    const mask = n - 1;
    for (let k = 0; k < old.length; k += 2) {
      const s = old[k]!;
      if (s === EMPTY) continue;
      const h = old[k + 1]!;
      let b = h & mask;
      while (table[2 * b] !== EMPTY) b = (b + 1) & mask;
      table[2 * b] = s;
      table[2 * b + 1] = h;
    }
    this.table = table;
    this.mask = mask;
  }

  private growSlots(atLeast: number): void {
    let n = Math.max(1, this.bySlot.length >> 1);
    while (n < atLeast) n *= 2;
    const bySlot = new Int32Array(n * 2);
    bySlot.set(this.bySlot);
    this.bySlot = bySlot;
  }
}

function nextPow2(n: number): number {
  let p = 16;
  while (p < n) p *= 2;
  return p;
}
