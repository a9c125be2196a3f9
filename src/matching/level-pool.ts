/**
 * Struct-of-arrays storage for price levels (book levels and stop levels) with a free list.
 *
 * A level is the FIFO queue of orders at one price on one side: `head`/`tail` are order slots
 * (-1 when empty), `qty` the total open quantity, `count` the number of orders, `price` its price.
 * A level exists only while it holds orders. Capacity doubles when full; callers must re-read the
 * arrays after `alloc()`. Like OrderPool, it may start small and jump to `firstGrowth` levels when it
 * first fills.
 */
import { growF64, growI32 } from './order-pool.js';

export class LevelPool {
  capacity: number;
  head: Int32Array;
  tail: Int32Array;
  count: Int32Array;
  qty: Float64Array;
  price: Float64Array;
  freeHead = -1;
  used = 0;
  /** Capacity of the first growth (later ones double). */
  private readonly firstGrowth: number;

  constructor(initialCapacity: number, firstGrowth = 0) {
    const cap = Math.max(4, initialCapacity | 0);
    this.firstGrowth = firstGrowth | 0;
    this.capacity = cap;
    this.head = new Int32Array(cap);
    this.tail = new Int32Array(cap);
    this.count = new Int32Array(cap);
    this.qty = new Float64Array(cap);
    this.price = new Float64Array(cap);
    this.linkFree(0, cap);
  }

  /** Returns an empty level at `price`. */
  alloc(price: number): number {
    let l = this.freeHead;
    if (l < 0) {
      this.grow();
      l = this.freeHead;
    }
    this.freeHead = this.head[l];
    this.used++;
    this.head[l] = -1;
    this.tail[l] = -1;
    this.count[l] = 0;
    this.qty[l] = 0;
    this.price[l] = price;
    return l;
  }

  free(l: number): void {
    this.head[l] = this.freeHead;
    this.freeHead = l;
    this.used--;
  }

  clear(): void {
    this.used = 0;
    this.linkFree(0, this.capacity);
  }

  private grow(): void {
    const old = this.capacity;
    const cap = Math.max(old * 2, this.firstGrowth);
    this.head = growI32(this.head, cap);
    this.tail = growI32(this.tail, cap);
    this.count = growI32(this.count, cap);
    this.qty = growF64(this.qty, cap);
    this.price = growF64(this.price, cap);
    this.capacity = cap;
    this.linkFree(old, cap);
  }

  private linkFree(from: number, to: number): void {
    const head = this.head;
    for (let i = from; i < to - 1; i++) head[i] = i + 1;
    head[to - 1] = -1;
    this.freeHead = from;
  }
}
