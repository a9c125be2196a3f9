/**
 * A three-level hierarchical bitset over `size` bits (power of two, >= 1024): level 0 holds one bit
 * per position, level 1 one bit per non-zero level-0 word, level 2 one bit per non-zero level-1 word.
 * `prevSet` finds the highest set bit at or below a position in a handful of word operations.
 */
export class Bitset {
  readonly size: number;
  private readonly b0: Int32Array;
  private readonly b1: Int32Array;
  private readonly b2: Int32Array;

  constructor(size: number) {
    this.size = size;
    this.b0 = new Int32Array(size >> 5);
    this.b1 = new Int32Array(Math.max(1, size >> 10));
    this.b2 = new Int32Array(Math.max(1, size >> 15));
  }

  has(i: number): boolean {
    return (this.b0[i >> 5] & (1 << (i & 31))) !== 0;
  }

  set(i: number): void {
    this.b0[i >> 5] |= 1 << (i & 31);
    this.b1[i >> 10] |= 1 << ((i >> 5) & 31);
    this.b2[i >> 15] |= 1 << ((i >> 10) & 31);
  }

  clear(i: number): void {
    const w = i >> 5;
    const v = this.b0[w] & ~(1 << (i & 31));
    this.b0[w] = v;
    if (v !== 0) return;
    const w1 = i >> 10;
    const v1 = this.b1[w1] & ~(1 << (w & 31));
    this.b1[w1] = v1;
    if (v1 !== 0) return;
    this.b2[i >> 15] &= ~(1 << (w1 & 31));
  }

  /** Highest set position <= i, or -1 (i may be negative). */
  prevSet(i: number): number {
    if (i < 0) return -1;
    const b0 = this.b0;
    let w = i >> 5;
    let m = b0[w] & ((2 << (i & 31)) - 1);
    if (m !== 0) return (w << 5) | (31 - Math.clz32(m));
    const b1 = this.b1;
    let w1 = w >> 5;
    let bit = w & 31;
    m = bit === 0 ? 0 : b1[w1] & ((1 << bit) - 1);
    if (m === 0) {
      const b2 = this.b2;
      let w2 = w1 >> 5;
      bit = w1 & 31;
      m = bit === 0 ? 0 : b2[w2] & ((1 << bit) - 1);
      while (m === 0) {
        if (--w2 < 0) return -1;
        m = b2[w2];
      }
      w1 = (w2 << 5) | (31 - Math.clz32(m));
      m = b1[w1];
    }
    w = (w1 << 5) | (31 - Math.clz32(m));
    return (w << 5) | (31 - Math.clz32(b0[w]));
  }

  /** Bytes held by the arrays (diagnostics). */
  byteLength(): number {
    return this.b0.byteLength + this.b1.byteLength + this.b2.byteLength;
  }

  clearAll(): void {
    this.b0.fill(0);
    this.b1.fill(0);
    this.b2.fill(0);
  }
}
