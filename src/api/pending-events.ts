/**
 * The live events the stream made that wait for their records to be durable (event-stream.ts), oldest first: a ring of
 * parallel arrays — the event's seq, its order's strategy and symbol indexes, its lifecycle event's index and its
 * message, as the arena buffer it was written in and its span of it — so that an event waiting costs no object of its
 * own (not even a view of its bytes). Grows (doubling) when full; never shrinks.
 */
export class PendingEvents {
  private seqs = new Float64Array(INITIAL_CAPACITY);
  private strategies = new Int32Array(INITIAL_CAPACITY);
  private symbols = new Int32Array(INITIAL_CAPACITY);
  private events = new Int32Array(INITIAL_CAPACITY);
  private chunks: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(INITIAL_CAPACITY).fill(undefined);
  private starts = new Int32Array(INITIAL_CAPACITY);
  private ends = new Int32Array(INITIAL_CAPACITY);
  /** Where the oldest is. */
  private head = 0;
  /** How many wait. */
  length = 0;

  /** An event whose message is chunk[start, end). */
  push(seq: number, strategy: number, symbol: number, event: number, chunk: Uint8Array, start: number, end: number): void {
    if (this.length === this.seqs.length) this.grow();
    const at = (this.head + this.length) & (this.seqs.length - 1);
    this.seqs[at] = seq;
    this.strategies[at] = strategy;
    this.symbols[at] = symbol;
    this.events[at] = event;
    this.chunks[at] = chunk;
    this.starts[at] = start;
    this.ends[at] = end;
    this.length++;
  }

  /** The seq of the oldest (the ring not empty). */
  get firstSeq(): number {
    return this.seqs[this.head]!;
  }

  /** The seq of the newest (the ring not empty). */
  get lastSeq(): number {
    return this.seqs[(this.head + this.length - 1) & (this.seqs.length - 1)]!;
  }

  /**
   * The oldest's strategy index, symbol index, event index and message — chunk[start, end) — (the ring not empty;
   * shift() drops it).
   */
  get strategy(): number {
    return this.strategies[this.head]!;
  }

  get symbol(): number {
    return this.symbols[this.head]!;
  }

  get event(): number {
    return this.events[this.head]!;
  }

  get chunk(): Uint8Array {
    return this.chunks[this.head]!;
  }

  get start(): number {
    return this.starts[this.head]!;
  }

  get end(): number {
    return this.ends[this.head]!;
  }

  /** Drops the oldest (its arena buffer is let go: it can be collected once no event holds it). */
  shift(): void {
    this.chunks[this.head] = undefined;
    this.head = (this.head + 1) & (this.seqs.length - 1);
    this.length--;
  }

  clear(): void {
    while (this.length > 0) this.shift();
    this.head = 0;
  }

  private grow(): void {
    const n = this.seqs.length;
    const seqs = new Float64Array(2 * n);
    const strategies = new Int32Array(2 * n);
    const symbols = new Int32Array(2 * n);
    const events = new Int32Array(2 * n);
    const chunks = new Array<Uint8Array | undefined>(2 * n).fill(undefined);
    const starts = new Int32Array(2 * n);
    const ends = new Int32Array(2 * n);
    for (let i = 0; i < n; i++) {
      const from = (this.head + i) & (n - 1);
      seqs[i] = this.seqs[from]!;
      strategies[i] = this.strategies[from]!;
      symbols[i] = this.symbols[from]!;
      events[i] = this.events[from]!;
      chunks[i] = this.chunks[from];
      starts[i] = this.starts[from]!;
      ends[i] = this.ends[from]!;
    }
    this.seqs = seqs;
    this.strategies = strategies;
    this.symbols = symbols;
    this.events = events;
    this.chunks = chunks;
    this.starts = starts;
    this.ends = ends;
    this.head = 0;
  }
}

/** A power of two (the ring indexes with a mask). */
const INITIAL_CAPACITY = 256;
