/**
 * Adversarial seeded operation streams for bench/book.ts (same format and generation rules as op-stream.ts:
 * generated up front, replayed on our engine while generating so cancels name resting orders):
 *  - jumping: a bid-heavy book around MID with a thin ask side 200,000 ticks above; one bid 50,000 ticks above
 *    the other bids is placed and cancelled over and over (every ~10 operations) among normal flow, so the best
 *    bid keeps jumping by far more than the engine's dense price window;
 *  - one_sided_thin: bids only (sells are market orders), about 30 resting on levels 25,000 ticks apart;
 *  - deep_level: one ask price holding about 2,000 orders, cancels anywhere in its queue, market buys eating it;
 *  - many_books: 1,000 books with operations spread uniformly across them (the uniform scenario's flow per book).
 */
import { OrderBook } from '../../src/matching/order-book.js';
import { Prng } from '../../adapters/paper/prng.js';
import { MID, OP_CANCEL, OP_LIMIT, OP_MARKET, type OpStream, RestingSet, type Scenario, alloc } from './op-stream.js';

/** Writes operations into a stream and replays each on the tracking books. */
class Writer {
  readonly rng: Prng;
  readonly track: RestingSet;
  private readonly books: OrderBook[];
  /** Book of each order id. */
  private readonly bookOf: Uint16Array;
  private nextId = 1;
  private s: OpStream;
  private i = 0;

  constructor(seed: number, maxId: number, books: number, first: OpStream) {
    this.rng = new Prng(seed);
    this.track = new RestingSet(maxId);
    this.books = [];
    for (let b = 0; b < books; b++) this.books.push(new OrderBook(this.track, { initialCapacity: books > 1 ? 64 : 1 << 14 }));
    this.bookOf = new Uint16Array(maxId + 1);
    this.s = first;
  }

  begin(s: OpStream): void {
    this.s = s;
    this.i = 0;
  }

  get written(): number {
    return this.i;
  }

  limit(book: number, side: number, price: number, qty: number): number {
    const id = this.nextId++;
    this.bookOf[id] = book;
    this.write(OP_LIMIT, book, side, price, qty, id);
    this.books[book].limit(id, 0, side, price, qty);
    return id;
  }

  market(book: number, side: number, qty: number): void {
    const id = this.nextId++;
    this.write(OP_MARKET, book, side, 0, qty, id);
    this.books[book].market(id, 0, side, qty);
  }

  cancel(id: number): void {
    const book = this.bookOf[id];
    this.write(OP_CANCEL, book, 0, 0, 0, id);
    this.books[book].cancel(id);
  }

  /** A resting order id picked uniformly (the set must not be empty). */
  anyResting(): number {
    return this.track.live[this.rng.int(0, this.track.size - 1)];
  }

  private write(kind: number, book: number, side: number, price: number, qty: number, id: number): void {
    const s = this.s;
    const i = this.i++;
    s.kind[i] = kind;
    s.side[i] = side;
    s.price[i] = price;
    s.qty[i] = qty;
    s.id[i] = id;
    if (s.book !== null) s.book[i] = book;
  }
}

/** Runs `prefill` (which writes exactly `prefillN` operations) and then `step` (one operation per call) `n` times. */
function build(
  name: string,
  seed: number,
  n: number,
  prefillN: number,
  books: number,
  prefill: (w: Writer) => void,
  step: (w: Writer) => void,
): Scenario {
  const pre = alloc(prefillN, books);
  const ops = alloc(n, books);
  const w = new Writer(seed, prefillN + n, books, pre);
  prefill(w);
  if (w.written !== prefillN) throw new Error(`${name}: prefill wrote ${w.written} of ${prefillN}`);
  w.begin(ops);
  let min = Infinity;
  let max = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    step(w);
    if (w.written !== i + 1) throw new Error(`${name}: step ${i} wrote ${w.written - i} operations`);
    const r = w.track.size;
    if (r < min) min = r;
    if (r > max) max = r;
    sum += r;
  }
  return { name, prefill: pre, ops, maxId: prefillN + n, resting: { min, mean: sum / n, max }, books };
}

const qty = (w: Writer): number => w.rng.int(1, 100);

/** One bid 50,000 ticks above the others, placed and cancelled over and over among normal flow (see the file head). */
export function jumpingScenario(n: number, seed = 11): Scenario {
  const farAsk = MID + 200_000;
  const jump = 50_000;
  const target = 300;
  let far = -1;
  return build(
    'jumping',
    seed,
    n,
    target,
    1,
    (w) => {
      for (let i = 0; i < target; i++) {
        if (i % 6 !== 5) w.limit(0, 0, MID - w.rng.int(0, 100), qty(w));
        else w.limit(0, 1, farAsk + w.rng.int(0, 100), qty(w));
      }
    },
    (w) => {
      const rng = w.rng;
      if (rng.next() < 0.2) {
        // The far bid: cancel it if it still rests (a market sell may have taken it), else place it again.
        if (far >= 0 && w.track.has(far)) {
          w.cancel(far);
          far = -1;
        } else {
          far = w.limit(0, 0, MID + jump + rng.int(0, 50), qty(w));
        }
        return;
      }
      const resting = w.track.size;
      const r = rng.next();
      if (resting === 0 || r < (resting > target ? 0.35 : 0.6)) {
        const side = rng.next() < 0.85 ? 0 : 1;
        w.limit(0, side, side === 0 ? MID - rng.int(0, 100) : farAsk + rng.int(0, 100), qty(w));
      } else if (r < 0.88) {
        w.cancel(w.anyResting());
      } else {
        w.market(0, rng.next() < 0.7 ? 1 : 0, qty(w));
      }
    },
  );
}

/** Bids only, about 30 resting on levels 25,000 ticks apart; market sells take the best. */
export function oneSidedThinScenario(n: number, seed = 12): Scenario {
  const base = 10_000_000;
  const spacing = 25_000;
  const target = 30;
  const price = (w: Writer): number => base + spacing * w.rng.int(-40, 40) + w.rng.int(0, 2);
  return build(
    'one_sided_thin',
    seed,
    n,
    target,
    1,
    (w) => {
      for (let i = 0; i < target; i++) w.limit(0, 0, price(w), qty(w));
    },
    (w) => {
      const resting = w.track.size;
      const r = w.rng.next();
      if (resting === 0 || r < (resting > target ? 0.3 : 0.55)) w.limit(0, 0, price(w), qty(w));
      else if (r < 0.85) w.cancel(w.anyResting());
      else w.market(0, 1, w.rng.int(1, 150));
    },
  );
}

/** One ask price holding about `target` orders: limit sells join its queue, cancels hit anywhere, market buys eat it. */
export function deepLevelScenario(n: number, target = 2_000, seed = 13): Scenario {
  return build(
    'deep_level',
    seed,
    n,
    target,
    1,
    (w) => {
      for (let i = 0; i < target; i++) w.limit(0, 1, MID, qty(w));
    },
    (w) => {
      const resting = w.track.size;
      const r = w.rng.next();
      if (resting === 0 || r < (resting > target ? 0.35 : 0.6)) w.limit(0, 1, MID, qty(w));
      else if (r < 0.85) w.cancel(w.anyResting());
      else w.market(0, 0, w.rng.int(1, 150));
    },
  );
}

/**
 * `books` books, each with its own mid, every operation on a book picked uniformly: 60% limits within +-50 ticks
 * of that book's mid, 30% cancels of any resting order (in its own book), 10% markets. Each book is prefilled
 * with 10 orders (untimed), so the timed passes run on books in use.
 */
export function manyBooksScenario(n: number, books = 1_000, seed = 14): Scenario {
  const mid = (b: number): number => 50_000 + 37 * b;
  return build(
    'many_books',
    seed,
    n,
    books * 10,
    books,
    (w) => {
      for (let b = 0; b < books; b++) {
        for (let j = 1; j <= 5; j++) {
          w.limit(b, 0, mid(b) - j * 3, qty(w));
          w.limit(b, 1, mid(b) + j * 3, qty(w));
        }
      }
    },
    (w) => {
      const rng = w.rng;
      const b = rng.int(0, books - 1);
      const r = rng.next();
      const side = rng.next() < 0.5 ? 0 : 1;
      if (r < 0.6 || w.track.size === 0) w.limit(b, side, mid(b) + rng.int(-50, 50), qty(w));
      else if (r < 0.9) w.cancel(w.anyResting());
      else w.market(b, side, qty(w));
    },
  );
}
