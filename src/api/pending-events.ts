/**
 * The live events the stream made that wait for their records to be durable (event-stream.ts), oldest first: a ring of
 * parallel arrays — the event's seq, its order's strategy and symbol indexes, its lifecycle event's index and its
 * message — so that an event waiting costs no object of its own. Grows (doubling) when full; never shrinks.
 */
export class PendingEvents {
  private seqs = new Float64Array(INITIAL_CAPACITY);
  private strategies = new Int32Array(INITIAL_CAPACITY);
  private symbols = new Int32Array(INITIAL_CAPACITY);
  private events = new Int32Array(INITIAL_CAPACITY);
  private messages: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(INITIAL_CAPACITY).fill(undefined);
  /** Where the oldest is. */
  private head = 0;
  /** How many wait. */
  length = 0;

  push(seq: number, strategy: number, symbol: number, event: number, message: Uint8Array): void {
    if (this.length === this.seqs.length) this.grow();
    const at = (this.head + this.length) & (this.seqs.length - 1);
    this.seqs[at] = seq;
    this.strategies[at] = strategy;
    this.symbols[at] = symbol;
    this.events[at] = event;
    this.messages[at] = message;
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

  /** The oldest's strategy index, symbol index, event index and message (the ring not empty; shift() drops it). */
  get strategy(): number {
    return this.strategies[this.head]!;
  }

  get symbol(): number {
    return this.symbols[this.head]!;
  }

  get event(): number {
    return this.events[this.head]!;
  }

  get message(): Uint8Array {
    return this.messages[this.head]!;
  }

  /** Drops the oldest (its message is let go: the arena buffer it views can be collected). */
  shift(): void {
    this.messages[this.head] = undefined;
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
    const messages = new Array<Uint8Array | undefined>(2 * n).fill(undefined);
    for (let i = 0; i < n; i++) {
      const from = (this.head + i) & (n - 1);
      seqs[i] = this.seqs[from]!;
      strategies[i] = this.strategies[from]!;
      symbols[i] = this.symbols[from]!;
      events[i] = this.events[from]!;
      messages[i] = this.messages[from];
    }
    this.seqs = seqs;
    this.strategies = strategies;
    this.symbols = symbols;
    this.events = events;
    this.messages = messages;
    this.head = 0;
  }
}

/** A power of two (the ring indexes with a mask). */
const INITIAL_CAPACITY = 256;
