/**
 * The strategy queues the dispatcher drains: one bounded FIFO of order slots per (strategy, priority).
 * Order of service: every HIGH order before any NORMAL one, NORMAL before LOW; within a priority, deficit round
 * robin across the strategies that have orders waiting, each getting `weight` orders per round, so one flooding
 * strategy cannot starve the others. FIFO within each strategy and priority. Strategies with nothing queued are not
 * on the round at all, so idle strategies cost nothing per cycle. Typed arrays only: nothing allocated per order.
 */
export const PRIORITY_LEVELS = 3;

export class StrategyQueues {
  private readonly slots: Int32Array;
  /** The store generation of each queued slot (OrderStore.generation): an entry is stale once its slot moved on. */
  private readonly generations: Int32Array;
  private readonly head: Int32Array;
  private readonly count: Int32Array;
  /** Per priority: a circular doubly linked list of the strategies with orders waiting. */
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  private readonly current: Int32Array;
  private readonly deficit: Int32Array;
  private readonly queued: Int32Array;
  private total = 0;
  private readonly weights: Int32Array;
  /** The generation of the entry the last shift() returned (read it before the next shift). */
  shiftedGeneration = 0;

  constructor(
    readonly strategyCount: number,
    weights: ArrayLike<number>,
    /** Bound of each (strategy, priority) queue. */
    readonly capacity: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('queue capacity must be a positive integer');
    const queues = strategyCount * PRIORITY_LEVELS;
    this.slots = new Int32Array(queues * capacity);
    this.generations = new Int32Array(queues * capacity);
    this.head = new Int32Array(queues);
    this.count = new Int32Array(queues);
    this.next = new Int32Array(queues).fill(-1);
    this.prev = new Int32Array(queues).fill(-1);
    this.current = new Int32Array(PRIORITY_LEVELS).fill(-1);
    this.deficit = new Int32Array(queues);
    this.queued = new Int32Array(PRIORITY_LEVELS);
    this.weights = new Int32Array(strategyCount);
    this.setWeights(weights);
  }

  /** New fair-share weights (configuration reload); takes effect from each strategy's next turn. */
  setWeights(weights: ArrayLike<number>): void {
    if (weights.length !== this.strategyCount) throw new RangeError(`expected ${this.strategyCount} weights, got ${weights.length}`);
    for (let s = 0; s < this.strategyCount; s++) {
      if (!(weights[s]! >= 1)) throw new RangeError(`strategy ${s}: weight must be >= 1`);
    }
    this.weights.set(Array.from({ length: this.strategyCount }, (_, s) => weights[s]!));
  }

  get size(): number {
    return this.total;
  }

  /** Orders waiting for one strategy and priority. */
  length(strategy: number, priority: number): number {
    return this.count[strategy * PRIORITY_LEVELS + priority]!;
  }

  /**
   * Queue an order slot with its store generation (OrderStore.generation[slot]); false when that queue is full (the
   * caller refuses the order with QUEUE_FULL). An entry stays while its order is canceled and its slot reused: the
   * generation tells the dispatcher it is stale. Slot and generation are kept apart, two small integers (a packed
   * handle above 2^31 would be a heap number whenever V8 does not inline shift()).
   */
  push(strategy: number, priority: number, slot: number, generation = 0): boolean {
    const q = strategy * PRIORITY_LEVELS + priority;
    const n = this.count[q]!;
    if (n === this.capacity) return false;
    const at = q * this.capacity + ((this.head[q]! + n) % this.capacity);
    this.slots[at] = slot;
    this.generations[at] = generation;
    this.count[q] = n + 1;
    this.total++;
    this.queued[priority]!++;
    if (n === 0) this.join(priority, strategy);
    return true;
  }

  /** The next order slot to dispatch (its generation in `shiftedGeneration`), or -1 when every queue is empty. */
  shift(): number {
    if (this.total === 0) return -1;
    for (let p = 0; p < PRIORITY_LEVELS; p++) {
      if (this.queued[p] === 0) continue;
      const s = this.current[p]!;
      const q = s * PRIORITY_LEVELS + p;
      if (this.deficit[q] === 0) this.deficit[q] = this.weights[s]!;
      const at = q * this.capacity + this.head[q]!;
      const slot = this.slots[at]!;
      this.shiftedGeneration = this.generations[at]!;
      this.head[q] = (this.head[q]! + 1) % this.capacity;
      const left = --this.count[q]!;
      this.total--;
      this.queued[p]!--;
      const d = --this.deficit[q]!;
      if (left === 0) {
        this.deficit[q] = 0;
        this.leave(p, s);
      } else if (d === 0) {
        this.current[p] = this.next[q]!;
      }
      return slot;
    }
    return -1;
  }

  private join(p: number, s: number): void {
    const q = s * PRIORITY_LEVELS + p;
    const cur = this.current[p]!;
    if (cur < 0) {
      this.next[q] = s;
      this.prev[q] = s;
      this.current[p] = s;
      return;
    }
    // Join at the end of the round: just before the strategy whose turn it is.
    const cq = cur * PRIORITY_LEVELS + p;
    const last = this.prev[cq]!;
    this.next[last * PRIORITY_LEVELS + p] = s;
    this.prev[q] = last;
    this.next[q] = cur;
    this.prev[cq] = s;
  }

  private leave(p: number, s: number): void {
    const q = s * PRIORITY_LEVELS + p;
    const nx = this.next[q]!;
    if (nx === s) {
      this.current[p] = -1;
    } else {
      const pv = this.prev[q]!;
      this.next[pv * PRIORITY_LEVELS + p] = nx;
      this.prev[nx * PRIORITY_LEVELS + p] = pv;
      this.current[p] = nx;
    }
    this.next[q] = -1;
    this.prev[q] = -1;
  }
}
