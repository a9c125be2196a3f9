/**
 * Sorts the indexes 0..n-1 by their keys (ascending, stable) a bounded amount of work at a time: a bottom-up merge
 * sort that can stop after any element and go on at the next step. A snapshot capture orders its rows by order id
 * this way without one long sort on the dispatch thread.
 */

/** Runs sorted by insertion first (then merged in passes of doubling width). */
const RUN = 32;

export class ChunkedSort {
  private src: Int32Array;
  private dst: Int32Array;
  /** Width of the runs being merged; 0 while the first runs are being sorted. */
  private width = 0;
  /** Start of the next pair of runs to merge (or of the next run to sort). */
  private lo = 0;
  private merging = false;
  private i = 0;
  private j = 0;
  private k = 0;
  private mid = 0;
  private hi = 0;

  constructor(
    private readonly keys: Float64Array,
    private readonly n: number,
  ) {
    this.src = new Int32Array(n);
    for (let x = 0; x < n; x++) this.src[x] = x;
    this.dst = new Int32Array(n);
  }

  /** Moves about `budget` elements (at least one run or merge step); true once sorted (see `result`). */
  step(budget: number): boolean {
    const keys = this.keys;
    const n = this.n;
    let work = 0;
    if (this.width === 0) {
      const a = this.src;
      while (this.lo < n && work < budget) {
        const end = Math.min(this.lo + RUN, n);
        for (let x = this.lo + 1; x < end; x++) {
          const v = a[x]!;
          const key = keys[v]!;
          let y = x - 1;
          while (y >= this.lo && keys[a[y]!]! > key) {
            a[y + 1] = a[y]!;
            y--;
          }
          a[y + 1] = v;
        }
        work += (end - this.lo) * 4;
        this.lo = end;
      }
      if (this.lo < n) return false;
      this.width = RUN;
      this.lo = 0;
    }
    while (this.width < n) {
      const src = this.src;
      const dst = this.dst;
      while (this.lo < n) {
        if (work >= budget) return false;
        if (!this.merging) {
          this.mid = Math.min(this.lo + this.width, n);
          this.hi = Math.min(this.lo + 2 * this.width, n);
          this.i = this.lo;
          this.j = this.mid;
          this.k = this.lo;
          this.merging = true;
        }
        let i = this.i;
        let j = this.j;
        let k = this.k;
        const mid = this.mid;
        const hi = this.hi;
        const stop = Math.min(hi, k + (budget - work));
        while (k < stop) {
          if (i < mid && (j >= hi || keys[src[i]!]! <= keys[src[j]!]!)) dst[k++] = src[i++]!;
          else dst[k++] = src[j++]!;
        }
        work += k - this.k;
        this.i = i;
        this.j = j;
        this.k = k;
        if (k < hi) return false;
        this.merging = false;
        this.lo = hi;
      }
      this.src = dst;
      this.dst = src;
      this.width *= 2;
      this.lo = 0;
    }
    return true;
  }

  /** The indexes in key order (once step returned true). */
  result(): Int32Array {
    return this.src;
  }
}
