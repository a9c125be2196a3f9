/**
 * The pairing heaps of the trigger book (trigger-book.ts): min pairing heaps over indices of a pool, linked through
 * typed arrays (meld O(1), delete-min O(log n) amortised), and the three orders the book keeps them in.
 */
import type { TriggerBook } from './trigger-book.js';

const NONE = -1;

/** Min pairing heaps over indices of a pool, linked through typed arrays; `less` is the order. */
export abstract class PairingHeaps {
  child: Int32Array;
  next: Int32Array;
  /** Parent for a leftmost child, left sibling otherwise; NONE for a root. */
  prev: Int32Array;

  constructor(capacity: number) {
    this.child = new Int32Array(capacity).fill(NONE);
    this.next = new Int32Array(capacity).fill(NONE);
    this.prev = new Int32Array(capacity).fill(NONE);
  }

  protected abstract less(a: number, b: number): boolean;

  grow(capacity: number): void {
    this.child = growI32(this.child, capacity, NONE);
    this.next = growI32(this.next, capacity, NONE);
    this.prev = growI32(this.prev, capacity, NONE);
  }

  /** Melds two roots (either may be NONE); returns the new root. */
  meld(a: number, b: number): number {
    if (a === NONE) return b;
    if (b === NONE) return a;
    if (this.less(b, a)) {
      const t = a;
      a = b;
      b = t;
    }
    const child = this.child;
    const c = child[a];
    this.next[b] = c;
    if (c !== NONE) this.prev[c] = b;
    this.prev[b] = a;
    child[a] = b;
    return a;
  }

  insert(root: number, x: number): number {
    this.child[x] = NONE;
    this.next[x] = NONE;
    this.prev[x] = NONE;
    return this.meld(root, x);
  }

  /** Removes the root; returns the new root. */
  deleteMin(root: number): number {
    const c = this.child[root];
    this.child[root] = NONE;
    this.next[root] = NONE;
    this.prev[root] = NONE;
    return this.mergePairs(c);
  }

  /** Removes any element `x` of the heap rooted at `root`; returns the new root. */
  delete(root: number, x: number): number {
    if (x === root) return this.deleteMin(root);
    const next = this.next;
    const prev = this.prev;
    const p = prev[x];
    const n = next[x];
    if (this.child[p] === x) this.child[p] = n;
    else next[p] = n;
    if (n !== NONE) prev[n] = p;
    next[x] = NONE;
    prev[x] = NONE;
    return this.meld(root, this.deleteMin(x));
  }

  /** Two-pass pairing of a sibling list; iterative (the first pass leaves its pairs in reverse order). */
  private mergePairs(first: number): number {
    if (first === NONE) return NONE;
    const next = this.next;
    const prev = this.prev;
    let stack = NONE;
    let a = first;
    while (a !== NONE) {
      const b = next[a];
      let pair: number;
      let rest: number;
      prev[a] = NONE;
      next[a] = NONE;
      if (b === NONE) {
        pair = a;
        rest = NONE;
      } else {
        rest = next[b];
        prev[b] = NONE;
        next[b] = NONE;
        pair = this.meld(a, b);
      }
      next[pair] = stack;
      stack = pair;
      a = rest;
    }
    let root = stack;
    stack = next[root];
    next[root] = NONE;
    while (stack !== NONE) {
      const s = stack;
      stack = next[s];
      next[s] = NONE;
      root = this.meld(s, root);
    }
    return root;
  }
}

/** Orders: fixed stops on (k(trigger) desc, seq asc) = key asc with key = -k; trailing on (offset asc, seq asc). */
export class OrderHeaps extends PairingHeaps {
  constructor(private readonly book: TriggerBook, capacity: number) {
    super(capacity);
  }

  protected less(a: number, b: number): boolean {
    const key = this.book.nKey;
    return key[a] < key[b] || (key[a] === key[b] && this.book.nSeq[a] < this.book.nSeq[b]);
  }
}

/** Trailing groups by extreme (ascending). */
export class ExtremeHeaps extends PairingHeaps {
  constructor(private readonly book: TriggerBook, capacity: number) {
    super(capacity);
  }

  protected less(a: number, b: number): boolean {
    const e = this.book.gExtreme;
    return e[a] < e[b] || (e[a] === e[b] && a < b);
  }
}

/** Trailing groups by their top order's trigger (descending k), then seq (ascending). */
export class GroupTriggerHeaps extends PairingHeaps {
  constructor(private readonly book: TriggerBook, capacity: number) {
    super(capacity);
  }

  protected less(a: number, b: number): boolean {
    const book = this.book;
    const ta = book.gExtreme[a] - book.nKey[book.gTop[a]];
    const tb = book.gExtreme[b] - book.nKey[book.gTop[b]];
    return ta > tb || (ta === tb && book.nSeq[book.gTop[a]] < book.nSeq[book.gTop[b]]);
  }
}


export function growF64(a: Float64Array, cap: number): Float64Array {
  const b = new Float64Array(cap);
  b.set(a);
  return b;
}

export function growI32(a: Int32Array, cap: number, fill: number): Int32Array {
  const b = new Int32Array(cap);
  if (fill !== 0) b.fill(fill, a.length);
  b.set(a);
  return b;
}
