/**
 * Top-of-book "latest value" cells on one SharedArrayBuffer: one cell per subscribed symbol, written by the daemon
 * thread, read by a strategy worker. A cell is a seqlock: the writer bumps the cell's sequence to odd, writes the
 * values, bumps it to even; the reader reads the sequence, the values, the sequence again, and retries when it was
 * odd or changed. So a reader always gets one whole top (never half of one update and half of the next), a slow
 * reader simply gets the newest top when it looks (nothing queues up behind it), and the writer never waits.
 *
 * Buffer layout (byte offsets; int32 words unless said):
 *
 *     0   magic (CELLS_MAGIC), slots, venues, stride (int32 words per cell)   written once at creation
 *    64   version   cells written so far (int32, wraps) — writer only: "some cell changed since you last looked"
 *   128   interest  INTEREST_* bits — reader only: what the strategy listens to (the writer skips what nobody wants)
 *   192   cells: cell i at CELLS_HEADER_BYTES + i * stride * 4
 *
 * Cell (int32 words from the cell's start; stride rounded up to 64 bytes so cells do not share a cache line):
 *
 *     0   seq      odd while being written; 0 = never written
 *     1   symbol   instrument index (constant, written at creation)
 *     2   values   TOP_* below, each a float64 kept as two int32 words (its bit pattern)
 *
 * Values (index into the Float64Array a writer fills and a reader gets; integers unless said):
 *
 *     0  TOP_TS            the daemon's wall time when the cell was written (ms since the epoch)
 *     1  TOP_BID_PRICE     consolidated best bid, ticks (0 when there is no bid)
 *     2  TOP_BID_QTY       lots at that level of that venue (0 when there is no bid)
 *     3  TOP_BID_ADJUSTED  the bid net of its venue's taker fee: ticks x (1,000,000 - fee in millionths)
 *     4  TOP_BID_VENUE     venue index of the best bid (-1 when there is none)
 *     5..8                 the same for the best ask (adjusted: ticks x (1,000,000 + fee))
 *     9 + 4v ...           venue v's own best bid price, bid qty, ask price, ask qty (all 0 when the venue's book is
 *                          not usable — resyncing, crossed or stale — or that side is empty)
 *
 * Why every word goes through Atomics: in the JavaScript memory model plain typed-array accesses are unordered with
 * respect to Atomics operations, and there is no fence. A seqlock needs the value writes to stay between the two
 * sequence stores and the value reads between the two sequence loads; with plain float64 accesses that holds on
 * x86 but not by the language's rules (nor on ARM). With sequentially consistent Atomics on every word it follows
 * from the single total order: if both sequence loads return the same even number, no write of that cell was in
 * progress in between, so every value read belongs to the same update. A reader load is a plain load on x86/ARM;
 * the writer pays one atomic store per word (about 40 per update with two venues), and only when the top changed.
 *
 * Nothing here allocates after construction.
 */

export const CELLS_MAGIC = 0x53594d31; // "SYM1"
export const CELLS_HEADER_BYTES = 192;

const H_MAGIC = 0;
const H_SLOTS = 1;
const H_VENUES = 2;
const H_STRIDE = 3;
const H_VERSION = 64 >> 2;
const H_INTEREST = 128 >> 2;
const HEADER_WORDS = CELLS_HEADER_BYTES >> 2;

const C_SEQ = 0;
const C_SYMBOL = 1;
const C_VALUES = 2;

export const TOP_TS = 0;
export const TOP_BID_PRICE = 1;
export const TOP_BID_QTY = 2;
export const TOP_BID_ADJUSTED = 3;
export const TOP_BID_VENUE = 4;
export const TOP_ASK_PRICE = 5;
export const TOP_ASK_QTY = 6;
export const TOP_ASK_ADJUSTED = 7;
export const TOP_ASK_VENUE = 8;
/** First per-venue value; venue v's values start at TOP_VENUES + VENUE_VALUES * v. */
export const TOP_VENUES = 9;
export const VENUE_BID_PRICE = 0;
export const VENUE_BID_QTY = 1;
export const VENUE_ASK_PRICE = 2;
export const VENUE_ASK_QTY = 3;
export const VENUE_VALUES = 4;

/** Interest bits (set by the reader): onMarket is defined (wake me for tops), onTrade is defined (carry trades). */
export const INTEREST_TOPS = 1;
export const INTEREST_TRADES = 2;

/** At most this many venues fit a cell (the order record's venue byte has the same bound). */
export const MAX_CELL_VENUES = 255;

/**
 * How long read() keeps trying, in atomic loads (a few hundred microseconds), before it gives up for now: a write
 * kept overlapping, e.g. the writer was descheduled half-way. A write takes a few microseconds.
 */
const MAX_READ_LOADS = 1 << 18;

/** Float64 values per cell for `venues` venues. */
export function topValueCount(venues: number): number {
  return TOP_VENUES + VENUE_VALUES * venues;
}

/** Int32 words from one cell's start to the next (the sequence of cell i is word CELLS_HEADER_BYTES / 4 + i * stride). */
export function cellStrideWords(venues: number): number {
  const words = C_VALUES + 2 * topValueCount(venues);
  return (words + 15) & ~15;
}

/** Bytes of SharedArrayBuffer the cells of `slots` symbols over `venues` venues need. */
export function cellsByteLength(slots: number, venues: number): number {
  return CELLS_HEADER_BYTES + slots * cellStrideWords(venues) * 4;
}

/** Allocates the cells of `symbols` (instrument indices, one cell each, in this order). */
export function createTopCells(symbols: readonly number[], venues: number): SharedArrayBuffer {
  if (!Number.isInteger(venues) || venues < 0 || venues > MAX_CELL_VENUES) throw new RangeError(`market cells: 0 to ${MAX_CELL_VENUES} venues, got ${venues}`);
  for (const s of symbols) if (!Number.isInteger(s) || s < 0 || s > 0xffff) throw new RangeError(`market cells: bad instrument index ${s}`);
  if (new Set(symbols).size !== symbols.length) throw new RangeError('market cells: a symbol is listed twice');
  const buffer = new SharedArrayBuffer(cellsByteLength(symbols.length, venues));
  const w = new Int32Array(buffer);
  const stride = cellStrideWords(venues);
  w[H_SLOTS] = symbols.length;
  w[H_VENUES] = venues;
  w[H_STRIDE] = stride;
  symbols.forEach((s, i) => (w[HEADER_WORDS + i * stride + C_SYMBOL] = s));
  Atomics.store(w, H_MAGIC, CELLS_MAGIC);
  return buffer;
}

abstract class CellsSide {
  readonly buffer: SharedArrayBuffer;
  readonly slots: number;
  readonly venues: number;
  /** Float64 values per cell (topValueCount(venues)). */
  readonly values: number;
  protected readonly words: Int32Array;
  protected readonly stride: number;
  /** One float64 seen as two int32 words: how values cross into and out of the int32 cells. */
  protected readonly scratchF64 = new Float64Array(1);
  protected readonly scratchI32 = new Int32Array(this.scratchF64.buffer);

  constructor(buffer: SharedArrayBuffer) {
    if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength < CELLS_HEADER_BYTES) throw new TypeError('not a market cells buffer');
    const w = new Int32Array(buffer);
    if (Atomics.load(w, H_MAGIC) !== CELLS_MAGIC) throw new TypeError('not a market cells buffer (bad magic)');
    this.buffer = buffer;
    this.words = w;
    this.slots = w[H_SLOTS]!;
    this.venues = w[H_VENUES]!;
    this.stride = w[H_STRIDE]!;
    this.values = topValueCount(this.venues);
    if (buffer.byteLength !== cellsByteLength(this.slots, this.venues) || this.stride !== cellStrideWords(this.venues)) {
      throw new TypeError('market cells buffer length does not match its header');
    }
  }

  /** Instrument index of the symbol in `slot`. */
  symbolOf(slot: number): number {
    return this.words[HEADER_WORDS + slot * this.stride + C_SYMBOL]!;
  }

  /** Cells written so far (int32, wraps): compare with the value seen last to learn whether anything changed. */
  version(): number {
    return Atomics.load(this.words, H_VERSION);
  }

  /** The reader's INTEREST_* bits. */
  interest(): number {
    return Atomics.load(this.words, H_INTEREST);
  }

  /** The sequence of a cell now: 0 never written, odd while being written; a changed value means a new top. */
  sequence(slot: number): number {
    return Atomics.load(this.words, HEADER_WORDS + slot * this.stride + C_SEQ);
  }
}

/** The daemon's side. One thread only. */
export class TopCellsWriter extends CellsSide {
  private versionCounter: number;

  constructor(buffer: SharedArrayBuffer) {
    super(buffer);
    this.versionCounter = Atomics.load(this.words, H_VERSION);
  }

  /** Writes `values` (topValueCount(venues) of them, TOP_* order) into the cell of `slot`, as one update. */
  write(slot: number, values: Float64Array): void {
    const w = this.words;
    const base = HEADER_WORDS + slot * this.stride;
    const seq = w[base + C_SEQ]!; // only this thread writes it
    Atomics.store(w, base + C_SEQ, (seq + 1) | 0);
    const f = this.scratchF64;
    const i32 = this.scratchI32;
    let at = base + C_VALUES;
    for (let i = 0; i < this.values; i++) {
      f[0] = values[i]!;
      Atomics.store(w, at, i32[0]!);
      Atomics.store(w, at + 1, i32[1]!);
      at += 2;
    }
    // never lands on 0 ("never written") when the counter wraps: from -2 it goes to 2
    let next = (seq + 2) | 0;
    if (next === 0) next = 2;
    Atomics.store(w, base + C_SEQ, next);
    this.versionCounter = (this.versionCounter + 1) | 0;
    Atomics.store(w, H_VERSION, this.versionCounter);
  }
}

/** The strategy's side. One thread only. */
export class TopCellsReader extends CellsSide {
  /**
   * Reads the cell of `slot` into `out` (at least topValueCount(venues) long). Returns the cell's sequence for the
   * values read (even, > 0), 0 when the cell was never written (`out` untouched), or -1 when a write overlapped every
   * attempt (`out` may hold a mix: ignore it and read again later; the version moves when that write completes).
   */
  read(slot: number, out: Float64Array): number {
    const w = this.words;
    const base = HEADER_WORDS + slot * this.stride;
    const f = this.scratchF64;
    const i32 = this.scratchI32;
    const n = this.values;
    for (let loads = 0; loads < MAX_READ_LOADS; loads += 2 * n + 2) {
      const s1 = Atomics.load(w, base + C_SEQ);
      if (s1 === 0) return 0;
      if ((s1 & 1) !== 0) {
        loads -= 2 * n + 1; // only the one load was spent
        continue;
      }
      let at = base + C_VALUES;
      for (let i = 0; i < n; i++) {
        i32[0] = Atomics.load(w, at);
        i32[1] = Atomics.load(w, at + 1);
        out[i] = f[0]!;
        at += 2;
      }
      if (Atomics.load(w, base + C_SEQ) === s1) return s1;
    }
    return -1;
  }

  /** Tells the writer what this strategy listens to (INTEREST_* bits). */
  setInterest(bits: number): void {
    Atomics.store(this.words, H_INTEREST, bits);
  }
}
