/**
 * Seeded operation streams for bench/book.ts, generated up front into typed arrays.
 *
 * Cancels must name a resting order, so generation replays the stream on our engine (untimed) and
 * tracks the resting set from its events; both engines then replay the same arrays, and the bench
 * checks they end with the same book. The adversarial streams are in adversarial-streams.ts.
 */
import { OrderBook } from '../../src/matching/order-book.js';
import type { CrossingSink } from '../../src/matching/types.js';
import { Prng } from '../../adapters/paper/prng.js';

export const OP_LIMIT = 0;
export const OP_CANCEL = 1;
export const OP_MARKET = 2;

export interface OpStream {
  n: number;
  kind: Uint8Array;
  side: Uint8Array;
  price: Int32Array;
  qty: Int32Array;
  /** New order id for limit/market, target id for cancel. */
  id: Float64Array;
  /** Book of each operation when the scenario has several books (`Scenario.books` > 1), else null. */
  book: Uint16Array | null;
}

export interface Scenario {
  name: string;
  /** Applied (untimed) before the stream on a fresh book. */
  prefill: OpStream;
  ops: OpStream;
  /** Largest id used (ids are 1..maxId). */
  maxId: number;
  /** Resting orders over the stream (after each operation): min, mean, max. */
  resting: { min: number; mean: number; max: number };
  /** Number of books the operations go to (1 unless the stream has `book`). */
  books: number;
}

export const MID = 100_000;

export function alloc(n: number, books = 1): OpStream {
  return {
    n,
    kind: new Uint8Array(n),
    side: new Uint8Array(n),
    price: new Int32Array(n),
    qty: new Int32Array(n),
    id: new Float64Array(n),
    book: books > 1 ? new Uint16Array(n) : null,
  };
}

/** Tracks resting order ids with O(1) add / remove / random pick. */
export class RestingSet implements CrossingSink {
  readonly live: Float64Array;
  private readonly pos: Int32Array;
  size = 0;

  constructor(maxId: number) {
    this.live = new Float64Array(maxId + 1);
    this.pos = new Int32Array(maxId + 1).fill(-1);
  }

  private add(id: number): void {
    this.pos[id] = this.size;
    this.live[this.size++] = id;
  }

  private remove(id: number): void {
    const p = this.pos[id];
    if (p < 0) return;
    const last = this.live[--this.size];
    this.live[p] = last;
    this.pos[last] = p;
    this.pos[id] = -1;
  }

  /** Whether `id` rests. */
  has(id: number): boolean {
    return this.pos[id] >= 0;
  }

  onAccept(): void {}
  onTrigger(): void {}
  onRest(id: number): void {
    this.add(id);
  }
  onFill(makerId: number, _t: number, _mo: number, _to: number, _p: number, _q: number, makerRemaining: number): void {
    if (makerRemaining === 0) this.remove(makerId);
  }
  onCancel(id: number, _o: number, _c: number, remaining: number): void {
    if (remaining === 0) this.remove(id);
  }
}

export function apply(book: OrderBook, s: OpStream, i: number): void {
  const k = s.kind[i];
  if (k === OP_LIMIT) book.limit(s.id[i], 0, s.side[i], s.price[i], s.qty[i]);
  else if (k === OP_MARKET) book.market(s.id[i], 0, s.side[i], s.qty[i]);
  else book.cancel(s.id[i]);
}

/** Price rule of a limit order: side and rng in, price out; `resting` is the current book size. */
type Pricer = (rng: Prng, side: number, resting: number, book: OrderBook) => number;

function generate(name: string, seed: number, n: number, prefillN: number, prefillPrice: Pricer, price: Pricer): Scenario {
  const rng = new Prng(seed);
  const maxId = prefillN + n;
  const track = new RestingSet(maxId);
  const book = new OrderBook(track, { initialCapacity: 1 << 14 });
  let nextId = 1;
  const prefill = alloc(prefillN);
  for (let i = 0; i < prefillN; i++) {
    const side = i & 1;
    prefill.kind[i] = OP_LIMIT;
    prefill.side[i] = side;
    prefill.price[i] = prefillPrice(rng, side, track.size, book);
    prefill.qty[i] = rng.int(1, 100);
    prefill.id[i] = nextId++;
    apply(book, prefill, i);
  }
  const ops = alloc(n);
  let min = Infinity;
  let max = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const r = rng.next();
    const side = rng.next() < 0.5 ? 0 : 1;
    ops.side[i] = side;
    ops.qty[i] = rng.int(1, 100);
    if (r < 0.6 || (r < 0.9 && track.size === 0)) {
      ops.kind[i] = OP_LIMIT;
      ops.price[i] = price(rng, side, track.size, book);
      ops.id[i] = nextId++;
    } else if (r < 0.9) {
      ops.kind[i] = OP_CANCEL;
      ops.id[i] = track.live[rng.int(0, track.size - 1)];
    } else {
      ops.kind[i] = OP_MARKET;
      ops.id[i] = nextId++;
    }
    apply(book, ops, i);
    const r2 = track.size;
    if (r2 < min) min = r2;
    if (r2 > max) max = r2;
    sum += r2;
  }
  return { name, prefill, ops, maxId, resting: { min, mean: sum / n, max }, books: 1 };
}

/** (a) 60% limits uniform within +-50 ticks of mid on either side, 30% cancels, 10% markets. */
export function uniformScenario(n: number, seed = 1): Scenario {
  const p: Pricer = (rng) => MID + rng.int(-50, 50);
  return generate('uniform', seed, n, 0, p, p);
}

/**
 * (b) The same mix, but limits mostly rest behind mid on their own side (up to 1000 ticks deep);
 * a small, self-adjusting share is marketable (priced 0..5 ticks through the opposite best) so the
 * book holds about `target` resting orders throughout.
 */
export function deepScenario(n: number, target = 10_000, seed = 2): Scenario {
  const passive: Pricer = (rng, side) => (side === 0 ? MID - rng.int(1, 1000) : MID + rng.int(1, 1000));
  const price: Pricer = (rng, side, resting, book) => {
    const aggressive = rng.next() < (resting > target ? 0.3 : 0.05);
    const touch = side === 0 ? book.bestAsk() : book.bestBid();
    if (!aggressive || Number.isNaN(touch)) return passive(rng, side, resting, book);
    return side === 0 ? touch + rng.int(0, 5) : touch - rng.int(0, 5);
  };
  return generate('deep', seed, n, target, passive, price);
}
