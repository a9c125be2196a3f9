/**
 * Order id -> slot, an open-addressing hash table (linear probing, backward-shift deletion) on one
 * Int32Array of slots. Keys are not stored here: a bucket holds a slot and the key is read from the
 * slot store's `id` array, so the table costs 4 bytes per bucket. The table is kept at twice the
 * store's capacity (load <= 0.5). Ids are non-negative safe integers; nothing is allocated per
 * operation. Any struct-of-arrays store with `capacity` and `id` can use it (e.g. OrderPool).
 *
 * Where a key sits (never what a lookup answers) depends on `keys`:
 *  - 'any' (default): Fibonacci hashing, which scatters any pattern of ids over the table;
 *  - 'sequential': for ids handed out by a counter (the order store's: OrderIdCounter). Id k's home is bucket 2k (mod
 *    the table): the ids of orders made one after another sit side by side (eight per cache line), so creating,
 *    finding and forgetting recent orders touches a few hot lines instead of a random line of a table of megabytes
 *    each. Every other bucket stays free for the rare id that meets another one's home (an order held while the
 *    counter went round the table), so probe runs stay short. Not for ids chosen by others (a pattern such as
 *    multiples of a power of two would share homes).
 */

/** What IdMap needs from the slot store it indexes: its capacity and the id of every slot. */
export interface IdSlots {
  readonly capacity: number;
  readonly id: Float64Array;
}

const EMPTY = -1;
const TWO_32 = 4294967296;

/** How the keys of an IdMap come (see the class comment). */
export type IdMapKeys = 'any' | 'sequential';

export class IdMap {
  private table: Int32Array;
  private mask: number;
  private shift: number;
  /** keys === 'sequential' (read per operation: a field, not a string compare). */
  private readonly sequential: boolean;
  size = 0;

  constructor(private readonly pool: IdSlots, keys: IdMapKeys = 'any') {
    this.sequential = keys === 'sequential';
    const n = nextPow2(pool.capacity * 2);
    this.table = new Int32Array(n).fill(EMPTY);
    this.mask = n - 1;
    this.shift = 32 - Math.log2(n);
  }

  /** Home bucket of `id`: of the folded 53-bit id, Fibonacci hashing, or twice it for sequential keys. */
  private home(id: number): number {
    const hi = id > 0x7fffffff ? (id / TWO_32) | 0 : 0;
    const folded = (id | 0) ^ Math.imul(hi, 0x85ebca6b);
    return this.sequential ? (folded << 1) & this.mask : Math.imul(folded, 0x9e3779b1) >>> this.shift;
  }

  /** Slot of `id`, or -1. */
  get(id: number): number {
    const table = this.table;
    const ids = this.pool.id;
    const mask = this.mask;
    let i = this.home(id);
    for (;;) {
      const s = table[i];
      if (s === EMPTY) return -1;
      if (ids[s] === id) return s;
      i = (i + 1) & mask;
    }
  }

  /** Adds `slot` under the key `id[slot]`, which must be absent. Grow the store first (see `resize`). */
  insert(slot: number): void {
    const table = this.table;
    const mask = this.mask;
    let i = this.home(this.pool.id[slot]);
    while (table[i] !== EMPTY) i = (i + 1) & mask;
    table[i] = slot;
    this.size++;
  }

  /** Removes `id`; returns its slot or -1. */
  remove(id: number): number {
    const table = this.table;
    const ids = this.pool.id;
    const mask = this.mask;
    let i = this.home(id);
    let s: number;
    for (;;) {
      s = table[i];
      if (s === EMPTY) return -1;
      if (ids[s] === id) break;
      i = (i + 1) & mask;
    }
    // Backward-shift deletion: pull later entries of the probe run into the hole when allowed.
    let hole = i;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const t = table[j];
      if (t === EMPTY) break;
      const h = this.home(ids[t]);
      // Move t into the hole unless its home lies cyclically in (hole, j].
      if (hole <= j ? hole < h && h <= j : hole < h || h <= j) continue;
      table[hole] = t;
      hole = j;
    }
    table[hole] = EMPTY;
    this.size--;
    return s;
  }

  /** Rebuilds the table for the store's capacity (call after the store grew). */
  resize(): void {
    const n = nextPow2(this.pool.capacity * 2);
    if (n <= this.table.length) return;
    const old = this.table;
    this.table = new Int32Array(n).fill(EMPTY);
    this.mask = n - 1;
    this.shift = 32 - Math.log2(n);
    this.size = 0;
    for (let k = 0; k < old.length; k++) {
      const s = old[k];
      if (s !== EMPTY) this.insert(s);
    }
  }

  clear(): void {
    this.table.fill(EMPTY);
    this.size = 0;
  }
}

function nextPow2(n: number): number {
  let p = 16;
  while (p < n) p *= 2;
  return p;
}
