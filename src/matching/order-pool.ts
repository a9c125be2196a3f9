/**
 * Struct-of-arrays storage for order slots (resting orders and pending stops) with a free list.
 *
 * A slot is an int32 index. `next`/`prev` form the intrusive FIFO list of the slot's price level
 * (or, for free slots, `next` links the free list). Capacity doubles when the free list runs dry;
 * nothing is allocated per operation otherwise. Callers must re-read the arrays after `alloc()`,
 * which may replace them. A pool may start small and jump to `firstGrowth` slots the first time it
 * fills (so an unused book costs little and a used one grows at most once more than asked for).
 *
 * Bytes per slot: id 8 + qty 8 + price 8 + next 4 + prev 4 + level 4 + owner 4 + flags 1 = 41.
 */

/** Bit layout of `flags`. */
export const F_SELL = 1; // side bit: 0 buy, 1 sell
export const F_STP_SHIFT = 1; // 3 bits of StpMode
export const F_STP_MASK = 7 << F_STP_SHIFT;
export const F_POST_ONLY = 1 << 4;
export const F_STOP = 1 << 5; // pending stop (STOP or STOP_LIMIT)
export const F_STOP_LIMIT = 1 << 6; // with F_STOP: enters as LIMIT when triggered

export class OrderPool {
  capacity: number;
  /** Order id (safe integer). */
  id: Float64Array;
  /** Open quantity in lots. */
  qty: Float64Array;
  /** Limit price (ticks); for a pending STOP_LIMIT the price it enters at. */
  price: Float64Array;
  next: Int32Array;
  prev: Int32Array;
  /** Level index in the LevelPool (book level, or stop level for a pending stop). */
  level: Int32Array;
  owner: Int32Array;
  flags: Uint8Array;
  /** Head of the free list, -1 when full. */
  freeHead = -1;
  /** Slots in use. */
  used = 0;
  /** Capacity of the first growth (later ones double). */
  private readonly firstGrowth: number;

  constructor(initialCapacity: number, firstGrowth = 0) {
    const cap = Math.max(4, initialCapacity | 0);
    this.firstGrowth = firstGrowth | 0;
    this.capacity = cap;
    this.id = new Float64Array(cap);
    this.qty = new Float64Array(cap);
    this.price = new Float64Array(cap);
    this.next = new Int32Array(cap);
    this.prev = new Int32Array(cap);
    this.level = new Int32Array(cap);
    this.owner = new Int32Array(cap);
    this.flags = new Uint8Array(cap);
    this.linkFree(0, cap);
  }

  /** Returns a free slot, growing (doubling) when none is left. */
  alloc(): number {
    let s = this.freeHead;
    if (s < 0) {
      this.grow();
      s = this.freeHead;
    }
    this.freeHead = this.next[s];
    this.used++;
    return s;
  }

  free(s: number): void {
    this.qty[s] = 0;
    this.next[s] = this.freeHead;
    this.freeHead = s;
    this.used--;
  }

  /** Forgets every slot (capacity is kept). */
  clear(): void {
    this.used = 0;
    this.linkFree(0, this.capacity);
  }

  private grow(): void {
    const old = this.capacity;
    const cap = Math.max(old * 2, this.firstGrowth);
    this.id = growF64(this.id, cap);
    this.qty = growF64(this.qty, cap);
    this.price = growF64(this.price, cap);
    this.next = growI32(this.next, cap);
    this.prev = growI32(this.prev, cap);
    this.level = growI32(this.level, cap);
    this.owner = growI32(this.owner, cap);
    const flags = new Uint8Array(cap);
    flags.set(this.flags);
    this.flags = flags;
    this.capacity = cap;
    this.linkFree(old, cap);
  }

  /** Makes slots [from, to) the whole free list, `from` handed out first (called only when it is empty). */
  private linkFree(from: number, to: number): void {
    const next = this.next;
    for (let i = from; i < to - 1; i++) next[i] = i + 1;
    next[to - 1] = -1;
    this.freeHead = from;
  }
}

export function growF64(a: Float64Array, cap: number): Float64Array {
  const b = new Float64Array(cap);
  b.set(a);
  return b;
}

export function growI32(a: Int32Array, cap: number): Int32Array {
  const b = new Int32Array(cap);
  b.set(a);
  return b;
}
