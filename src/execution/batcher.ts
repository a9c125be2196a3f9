import type { Instrument } from '../model/instrument.js';
import { ORDER_TYPES, TIME_IN_FORCES, type OrderType, type Side, type TimeInForce } from '../model/order.js';
import { BUY, type OrderStore } from '../core/order-store.js';
import type { OrderBatch, VenueAdapter } from './venue.js';
import { systemClock } from '../model/clock.js';

/** A batch of order slots viewed through the order store (reused from batch to batch). */
export class StoreBatch implements OrderBatch {
  readonly slots: Int32Array;
  /** The store generation of each slot when it was added (a batch may wait for the disk: see VenueBatcher.dropStale). */
  readonly generations: Int32Array;
  count = 0;

  constructor(private readonly store: OrderStore, maxSize: number) {
    this.slots = new Int32Array(maxSize);
    this.generations = new Int32Array(maxSize);
  }

  orderId(i: number): number { return this.store.id[this.slots[i]!]!; }
  clientOrderId(i: number): string { return this.store.clientOrderId(this.slots[i]!); }
  instrument(i: number): Instrument { return this.store.instrument(this.slots[i]!); }
  side(i: number): Side { return this.store.side[this.slots[i]!] === BUY ? 'BUY' : 'SELL'; }
  type(i: number): OrderType { return ORDER_TYPES[this.store.type[this.slots[i]!]!]!; }
  timeInForce(i: number): TimeInForce { return TIME_IN_FORCES[this.store.tif[this.slots[i]!]!]!; }
  postOnly(i: number): boolean { return this.store.postOnly[this.slots[i]!] === 1; }
  priceTicks(i: number): number { return this.store.priceTicks[this.slots[i]!]!; }
  stopTicks(i: number): number { return this.store.stopTicks[this.slots[i]!]!; }
  /** The unfilled rest (the whole order, unless part of it crossed internally first). */
  qtyLots(i: number): number {
    const slot = this.slots[i]!;
    return this.store.qtyLots[slot]! - this.store.filledLots[slot]!;
  }
}

export interface BatchPolicy {
  /** Orders per adapter call at most. */
  readonly maxSize: number;
  /** How long a partial batch may wait for more orders; 0 = hand over at the end of each dispatch cycle. */
  readonly flushMs: number;
}

/**
 * Called when an adapter's `submit` threw (a broken adapter: the interface says it never throws). `batch` is valid
 * during the call only. The daemon rejects the batch's orders (nothing tells they reached the venue, and leaving
 * them SUBMITTED would hold their risk forever) and logs the error.
 */
export type SubmitErrorHandler = (venue: number, batch: StoreBatch, error: unknown) => void;

/** The journal, as far as the batcher needs it: orders go to a venue only once their records are durable. */
export interface DurabilityGate {
  readonly lastSeq: number;
  readonly durableSeq: number;
  /** The journal failure, once latched (then nothing can become durable any more). */
  readonly failed: Error | null;
  whenDurable(seq: number): Promise<void>;
}

/**
 * Called with a batch that will never go to its venue because the journal failed before its records were durable
 * (a batch waiting for the disk when it failed, or one flushed after). `batch` is valid during the call only. The
 * daemon finishes its orders (REJECTED JOURNAL_IO, risk released): they never left.
 */
export type NotDurableHandler = (venue: number, batch: StoreBatch, error: Error) => void;

/**
 * Per-venue batching of new orders: a venue's orders are collected up to its batch size or flush interval and
 * handed to its adapter in one call. Adapters never block (their requests run asynchronously within their own
 * limits), so batches for different venues go out independently and one slow venue never delays another. An
 * adapter whose submit throws only loses its own batch (see SubmitErrorHandler): other venues' batches, the
 * dispatch cycle and the next batches of that venue go on.
 */
export class VenueBatcher {
  private readonly batches: StoreBatch[];
  private readonly timers: (NodeJS.Timeout | undefined)[];
  /** One flush callback per venue, made once (arming a flush timer allocates only the timer). */
  private readonly flushers: (() => void)[];
  /** Orders handed to each venue so far. */
  readonly handedOver: Float64Array;
  private gate: DurabilityGate | undefined;
  private onNotDurable: NotDurableHandler = () => {};
  /** Batches waiting for their journal records to be durable, in order. */
  private readonly waiting: { venue: number; batch: StoreBatch }[] = [];
  /**
   * Per venue, copies made for batches that waited for the journal, done with (handed over or finished): the next
   * wait reuses one (a batch's view is valid during the adapter's call only) instead of making two typed arrays.
   */
  private readonly spareCopies: StoreBatch[][];
  /** Submit calls that threw, per venue. */
  readonly submitErrors: Float64Array;
  /** Batch entries dropped because their slot was released (and maybe reused) while they waited. */
  staleEntries = 0;

  constructor(
    private readonly store: OrderStore,
    private readonly venues: readonly VenueAdapter[],
    private readonly policies: readonly BatchPolicy[],
    private readonly onSubmitError: SubmitErrorHandler = () => {},
    /** Monotonic time of the handoff, stamped on the batch's orders (the start of submit-to-ack latency). */
    private readonly monoMs: () => number = systemClock.monoMs,
  ) {
    this.batches = venues.map((_, v) => new StoreBatch(store, policies[v]!.maxSize));
    this.timers = venues.map(() => undefined);
    this.flushers = venues.map((_, v) => () => {
      this.timers[v] = undefined;
      this.flush(v);
    });
    this.handedOver = new Float64Array(venues.length);
    this.submitErrors = new Float64Array(venues.length);
    this.spareCopies = venues.map(() => []);
  }

  add(venue: number, slot: number): void {
    const b = this.batches[venue]!;
    b.generations[b.count] = this.store.generation[slot]!;
    b.slots[b.count++] = slot;
    if (b.count === b.slots.length) this.flush(venue);
    else if (b.count === 1 && this.policies[venue]!.flushMs > 0) {
      this.timers[venue] = setTimeout(this.flushers[venue]!, this.policies[venue]!.flushMs);
    }
  }

  /** End of a dispatch cycle: hand over the partial batches of venues without a flush interval. */
  endCycle(): void {
    for (let v = 0; v < this.batches.length; v++) {
      if (this.batches[v]!.count > 0 && this.policies[v]!.flushMs === 0) this.flush(v);
    }
  }

  /** Hand over everything waiting (shutdown). */
  flushAll(): void {
    for (let v = 0; v < this.batches.length; v++) if (this.batches[v]!.count > 0) this.flush(v);
  }

  /**
   * Take an order back out of its venue's waiting batch (a cancel that arrives before the batch went out).
   * True when it was there: the venue never sees it.
   */
  remove(venue: number, slot: number): boolean {
    const b = this.batches[venue];
    if (b === undefined) return false;
    const generation = this.store.generation[slot]!;
    if (removeSlot(b, slot, generation)) return true;
    for (const w of this.waiting) if (w.venue === venue && removeSlot(w.batch, slot, generation)) return true;
    return false;
  }

  /** Whether the order is in its venue's waiting batch (or a batch waiting for the journal): the venue has not seen it. */
  holds(venue: number, slot: number): boolean {
    const b = this.batches[venue];
    if (b === undefined) return false;
    const generation = this.store.generation[slot]!;
    if (indexOfSlot(b, slot, generation) >= 0) return true;
    for (const w of this.waiting) if (w.venue === venue && indexOfSlot(w.batch, slot, generation) >= 0) return true;
    return false;
  }

  pending(venue: number): number {
    return this.batches[venue]!.count;
  }

  /**
   * With a journal, a batch goes to its venue only after every record appended before it is durable (one shared
   * wait per batch). Without one (tests, benchmarks of the dispatch path) batches go out at once.
   */
  setDurabilityGate(gate: DurabilityGate, onNotDurable: NotDurableHandler = () => {}): void {
    this.gate = gate;
    this.onNotDurable = onNotDurable;
  }

  flush(venue: number): void {
    const t = this.timers[venue];
    if (t !== undefined) {
      clearTimeout(t);
      this.timers[venue] = undefined;
    }
    const b = this.batches[venue]!;
    if (b.count === 0) return;
    const gate = this.gate;
    if (gate !== undefined && gate.failed !== null) {
      this.notDurable(venue, b, gate.failed);
      return;
    }
    if (gate !== undefined && gate.durableSeq < gate.lastSeq) {
      const copy = this.spareCopies[venue]!.pop() ?? new StoreBatch(this.store, b.slots.length);
      copy.slots.set(b.slots.subarray(0, b.count));
      copy.generations.set(b.generations.subarray(0, b.count));
      copy.count = b.count;
      b.count = 0;
      const entry = { venue, batch: copy };
      this.waiting.push(entry);
      const done = (): void => {
        this.waiting.splice(this.waiting.indexOf(entry), 1);
      };
      // A failed journal hands nothing more to venues: the batch's orders are finished here (the daemon halts).
      void gate.whenDurable(gate.lastSeq).then(() => {
        done();
        try {
          this.handOver(venue, copy);
        } finally {
          this.spareCopies[venue]!.push(copy);
        }
      }, (error: unknown) => {
        done();
        try {
          this.notDurable(venue, copy, error instanceof Error ? error : new Error(String(error)));
        } finally {
          this.spareCopies[venue]!.push(copy);
        }
      });
      return;
    }
    this.handOver(venue, b);
  }

  private notDurable(venue: number, b: StoreBatch, error: Error): void {
    this.dropStale(b);
    try {
      this.onNotDurable(venue, b, error);
    } catch {
      // the handler must not take the dispatch cycle or a timer callback down
    } finally {
      b.count = 0;
    }
  }

  /**
   * Take out the entries whose slot was released since they were added: the slot may hold another order by now,
   * which must not be sent (or finished) for the old one. An order in a batch is open, so this should never find
   * any; it is a guard, counted.
   */
  private dropStale(b: StoreBatch): void {
    let n = 0;
    for (let i = 0; i < b.count; i++) {
      const slot = b.slots[i]!;
      if (!this.store.isCurrent(slot, b.generations[i]!)) continue;
      b.slots[n] = slot;
      b.generations[n++] = b.generations[i]!;
    }
    this.staleEntries += b.count - n;
    b.count = n;
  }

  private handOver(venue: number, b: StoreBatch): void {
    this.dropStale(b);
    if (b.count === 0) return;
    this.handedOver[venue]! += b.count;
    const sentAt = this.monoMs(); // one clock read per batch, not per order
    for (let i = 0; i < b.count; i++) this.store.submittedAt[b.slots[i]!] = sentAt;
    try {
      this.venues[venue]!.submit(b);
    } catch (error) {
      this.submitErrors[venue]!++;
      try {
        this.onSubmitError(venue, b, error);
      } catch {
        // the handler must not take the dispatch cycle down either
      }
    } finally {
      b.count = 0;
    }
  }
}

function indexOfSlot(b: StoreBatch, slot: number, generation: number): number {
  for (let i = 0; i < b.count; i++) if (b.slots[i] === slot && b.generations[i] === generation) return i;
  return -1;
}

function removeSlot(b: StoreBatch, slot: number, generation: number): boolean {
  const i = indexOfSlot(b, slot, generation);
  if (i < 0) return false;
  b.slots.copyWithin(i, i + 1, b.count);
  b.generations.copyWithin(i, i + 1, b.count);
  b.count--;
  return true;
}
