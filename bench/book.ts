/**
 * bench:book — our crossing engine vs nodejs-order-book on the same seeded operation streams.
 *
 *   npm run bench:book        (= npm run build && node --expose-gc dist/bench/book.js)
 *
 * Scenarios (1,000,000 operations each; see bench/lib/op-stream.ts): uniform and deep (~10,000
 * resting orders). Per engine, after a full GC, each pass on a fresh book: a warm-up over the whole stream, a timed
 * throughput pass (no per-op timing; GC events counted during this pass only) and a latency pass
 * timing every operation with performance.now() deltas into a preallocated Float64Array. Both engines must end
 * with the same aggregated depth.
 * The full GC comes before the warm-up, not between the warm-up and the timed pass: a forced GC that collects the
 * previous book (and, the first time, the objects the streams were generated with) makes V8 deoptimise our engine's
 * optimised code ("marking dependent code for deoptimization, reason: weak objects" under --trace-deopt), and the
 * timed pass right after it measured V8 optimising that code again: ours ran a third faster on uniform and
 * one_sided_thin and about twice as fast on deep_level once the GC moved, while the peer's speed did not change
 * (docs/benchmarks.md, 2026-12-07). A daemon's books live as long as the daemon and never see that; each engine is
 * now timed as the warm-up left it.
 * Adversarial streams (bench/lib/adversarial-streams.ts): jumping best price, one-sided thin book, one very deep
 * level, many small books; the same warm-up and throughput passes (no latency pass; a stream shorter than 200,000
 * operations is warmed up and timed several times over on fresh books for our engine), the same depth check, each
 * printed with the peer's figure on the same stream, and the bytes our engine holds per book after it (for
 * many_books, 1,000 books with a few orders each, also in the JSON line: many_books_bytes_per_book).
 * Then memory per resting order with 1,000,000 resting orders, and bytes per empty book (10,000 books).
 * Ends with one JSON line.
 */
import { performance } from 'node:perf_hooks';
import { OrderBook as PeerBook, Side as PeerSide } from 'nodejs-order-book';
import { OrderBook } from '../src/matching/order-book.js';
import type { CrossingSink } from '../src/matching/types.js';
import { MID, OP_CANCEL, OP_LIMIT, type OpStream, type Scenario, deepScenario, uniformScenario } from './lib/op-stream.js';
import { deepLevelScenario, jumpingScenario, manyBooksScenario, oneSidedThinScenario } from './lib/adversarial-streams.js';
import { Prng } from '../adapters/paper/prng.js';
import { benchArgs } from './lib/args.js';
import { GcCounter, fullGc, quantile } from './lib/stats.js';

const USAGE = `Usage: npm run bench:book        (= npm run build && node --expose-gc dist/bench/book.js)
Our crossing engine vs nodejs-order-book on the same seeded operation streams (uniform and deep, 1,000,000
operations each; adversarial streams), then memory per resting order and bytes per empty book. Ends with one JSON
line. Takes no options.`;

benchArgs({ script: 'bench:book', usage: USAGE, options: {} });

const N_OPS = 1_000_000;
const MEMORY_ORDERS = 1_000_000;
/**
 * Operations per adversarial stream, sized so each peer pass takes a few seconds: the peer cancels inside a
 * level in time linear in the level's size (deep_level: about 3,500 ops/s at 2,000 orders) and runs about
 * 100 k ops/s over 1,000 books.
 */
const ADVERSARIAL_OPS = { jumping: 1_000_000, one_sided_thin: 500_000, deep_level: 20_000, many_books: 300_000 };
const EMPTY_BOOKS = 10_000;

/** Counts results so the work cannot be optimised away; allocates nothing. */
class CountingSink implements CrossingSink {
  fills = 0;
  volume = 0;
  cancels = 0;
  rests = 0;
  onAccept(_i: number, _o: number, _s: number, _t: number, _p: number, _q: number, _sp: number): void {}
  onFill(_m: number, _t: number, _mo: number, _to: number, _p: number, qty: number, _mr: number, _tr: number): void {
    this.fills++;
    this.volume += qty;
  }
  onCancel(_i: number, _o: number, _c: number, _r: number, _reason: number): void {
    this.cancels++;
  }
  onTrigger(_i: number, _o: number, _s: number, _sp: number): void {}
  onRest(_i: number, _o: number, _s: number, _p: number, _q: number): void {
    this.rests++;
  }
}

// ------------------------------------------------------------------ our engine

function newOurs(): OrderBook {
  return new OrderBook(new CountingSink());
}

function runOurs(book: OrderBook, s: OpStream, from: number, to: number): void {
  const kind = s.kind;
  const side = s.side;
  const price = s.price;
  const qty = s.qty;
  const id = s.id;
  for (let i = from; i < to; i++) {
    const k = kind[i];
    if (k === OP_LIMIT) book.submit(id[i], 0, side[i], 0, price[i], qty[i], 0, 0);
    else if (k === OP_CANCEL) book.cancel(id[i]);
    else book.submit(id[i], 0, side[i], 1, 0, qty[i], 0, 0);
  }
}

function latencyOurs(book: OrderBook, s: OpStream, out: Float64Array): void {
  const kind = s.kind;
  const side = s.side;
  const price = s.price;
  const qty = s.qty;
  const id = s.id;
  for (let i = 0; i < s.n; i++) {
    const k = kind[i];
    const t0 = performance.now();
    if (k === OP_LIMIT) book.submit(id[i], 0, side[i], 0, price[i], qty[i], 0, 0);
    else if (k === OP_CANCEL) book.cancel(id[i]);
    else book.submit(id[i], 0, side[i], 1, 0, qty[i], 0, 0);
    out[i] = performance.now() - t0;
  }
}

function depthOurs(book: OrderBook, m = new Map<string, number>(), prefix = ''): Map<string, number> {
  for (const side of [0, 1]) {
    const n = book.levelCount(side);
    const p = new Float64Array(n);
    const q = new Float64Array(n);
    book.depth(side, n, p, q);
    for (let i = 0; i < n; i++) m.set(`${prefix}${side === 0 ? 'b' : 'a'}${p[i]}`, q[i]);
  }
  return m;
}

/** Several books: each operation goes to `books[s.book[i]]`. */
function runOursMany(books: OrderBook[], s: OpStream, from: number, to: number): void {
  const kind = s.kind;
  const side = s.side;
  const price = s.price;
  const qty = s.qty;
  const id = s.id;
  const bk = s.book!;
  for (let i = from; i < to; i++) {
    const k = kind[i];
    const book = books[bk[i]];
    if (k === OP_LIMIT) book.submit(id[i], 0, side[i], 0, price[i], qty[i], 0, 0);
    else if (k === OP_CANCEL) book.cancel(id[i]);
    else book.submit(id[i], 0, side[i], 1, 0, qty[i], 0, 0);
  }
}

// ------------------------------------------------------------------ peer (nodejs-order-book)

const SIDES = [PeerSide.BUY, PeerSide.SELL];

function runPeer(book: PeerBook, s: OpStream, ids: string[], from: number, to: number): void {
  const kind = s.kind;
  const side = s.side;
  const price = s.price;
  const qty = s.qty;
  const id = s.id;
  for (let i = from; i < to; i++) {
    const k = kind[i];
    if (k === OP_LIMIT) book.limit({ id: ids[id[i]], side: SIDES[side[i]], size: qty[i], price: price[i] });
    else if (k === OP_CANCEL) book.cancel(ids[id[i]]);
    else book.market({ side: SIDES[side[i]], size: qty[i] });
  }
}

function latencyPeer(book: PeerBook, s: OpStream, ids: string[], out: Float64Array): void {
  const kind = s.kind;
  const side = s.side;
  const price = s.price;
  const qty = s.qty;
  const id = s.id;
  for (let i = 0; i < s.n; i++) {
    const k = kind[i];
    const t0 = performance.now();
    if (k === OP_LIMIT) book.limit({ id: ids[id[i]], side: SIDES[side[i]], size: qty[i], price: price[i] });
    else if (k === OP_CANCEL) book.cancel(ids[id[i]]);
    else book.market({ side: SIDES[side[i]], size: qty[i] });
    out[i] = performance.now() - t0;
  }
}

function depthPeer(book: PeerBook, m = new Map<string, number>(), prefix = ''): Map<string, number> {
  const [asks, bids] = book.depth();
  for (const [p, q] of bids) m.set(`${prefix}b${p}`, q);
  for (const [p, q] of asks) m.set(`${prefix}a${p}`, q);
  return m;
}

function runPeerMany(books: PeerBook[], s: OpStream, ids: string[], from: number, to: number): void {
  const kind = s.kind;
  const side = s.side;
  const price = s.price;
  const qty = s.qty;
  const id = s.id;
  const bk = s.book!;
  for (let i = from; i < to; i++) {
    const k = kind[i];
    const book = books[bk[i]];
    if (k === OP_LIMIT) book.limit({ id: ids[id[i]], side: SIDES[side[i]], size: qty[i], price: price[i] });
    else if (k === OP_CANCEL) book.cancel(ids[id[i]]);
    else book.market({ side: SIDES[side[i]], size: qty[i] });
  }
}

function sameDepth(a: Map<string, number>, b: Map<string, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

// ------------------------------------------------------------------ passes

interface EngineResult {
  opsPerS: number;
  p50: number;
  p99: number;
  p999: number;
  gcEvents: number;
  depth: Map<string, number>;
  sameAcrossPasses: boolean;
}

async function measure(
  gcs: GcCounter,
  n: number,
  make: () => unknown,
  prefill: (b: unknown) => void,
  run: (b: unknown, from: number, to: number) => void,
  lat: ((b: unknown, out: Float64Array) => void) | null,
  depth: (b: unknown) => Map<string, number>,
  warmupOps: number,
  passes = 1,
): Promise<EngineResult> {
  // A clean heap first (what the previous engine or stream left), then warm-up (`passes` times over the stream, so
  // the JIT has settled as it has after 1 M operations) and the timed passes with no forced GC between them: see the
  // header (a forced GC here deoptimised our engine's code).
  fullGc();
  let b: unknown = null;
  let d0: Map<string, number> | null = null;
  for (let w = 0; w < passes; w++) {
    b = make();
    prefill(b);
    run(b, 0, warmupOps);
    // Without a latency pass, the warm-up (over the whole stream) is the second book compared.
    if (lat === null && warmupOps === n) d0 = depth(b);
    b = null;
  }
  // Throughput: `passes` timed runs of the whole stream, each on a fresh, prefilled book (prefill untimed).
  let ms = 0;
  let gcEvents = 0;
  let d1 = new Map<string, number>();
  for (let r = 0; r < passes; r++) {
    b = make();
    prefill(b);
    const t0 = performance.now();
    run(b, 0, n);
    const t1 = performance.now();
    ms += t1 - t0;
    gcEvents += await gcs.countBetween(t0, t1);
    d1 = depth(b);
    b = null;
  }
  const opsPerS = (n * passes) / (ms / 1000);
  if (lat === null) {
    return { opsPerS, p50: NaN, p99: NaN, p999: NaN, gcEvents, depth: d1, sameAcrossPasses: d0 !== null && sameDepth(d0, d1) };
  }
  // Latency pass.
  b = make();
  prefill(b);
  const out = new Float64Array(n);
  lat(b, out);
  const d2 = depth(b);
  b = null;
  out.sort();
  return {
    opsPerS,
    p50: quantile(out, 0.5) * 1e6,
    p99: quantile(out, 0.99) * 1e6,
    p999: quantile(out, 0.999) * 1e6,
    gcEvents,
    depth: d1,
    sameAcrossPasses: sameDepth(d1, d2),
  };
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function line(name: string, who: string, r: EngineResult): void {
  const lat = Number.isNaN(r.p50) ? '' : `p50 ${fmt(r.p50)} ns   p99 ${fmt(r.p99)} ns   p99.9 ${fmt(r.p999)} ns   `;
  console.log(`[${name}] ${who.padEnd(5)} ${fmt(r.opsPerS).padStart(11)} ops/s   ${lat}gc events (throughput pass) ${r.gcEvents}`);
}

/** Adversarial stream on both engines (throughput only); one book or `sc.books` books. */
async function adversarial(gcs: GcCounter, sc: Scenario) {
  const ids: string[] = new Array(sc.maxId + 1);
  for (let i = 0; i <= sc.maxId; i++) ids[i] = `o${i}`;
  const n = sc.ops.n;
  const nb = sc.books;
  const many = nb > 1;
  const makeOurs = (): unknown => (many ? Array.from({ length: nb }, newOurs) : newOurs());
  const runO = (b: unknown, s: OpStream, from: number, to: number): void => {
    if (many) runOursMany(b as OrderBook[], s, from, to);
    else runOurs(b as OrderBook, s, from, to);
  };
  const depthO = (b: unknown): Map<string, number> => {
    if (!many) return depthOurs(b as OrderBook);
    const m = new Map<string, number>();
    (b as OrderBook[]).forEach((book, i) => depthOurs(book, m, `${i}:`));
    return m;
  };
  // Short streams (deep_level) are run several times for ours so that its timed figure is over >= 200 k operations.
  const passes = Math.max(1, Math.ceil(200_000 / n));
  const ours = await measure(gcs, n, makeOurs, (b) => runO(b, sc.prefill, 0, sc.prefill.n), (b, f, t) => runO(b, sc.ops, f, t), null, depthO, n, passes);
  const r = sc.resting;
  console.log(
    `[${sc.name}] ${fmt(n)} ops${many ? ` over ${nb} books` : ''}, resting orders during the stream: min ${r.min}, mean ${Math.round(r.mean)}, max ${r.max}` +
      (passes > 1 ? ` (ours: ${passes} warm-up and ${passes} timed passes)` : ''),
  );
  line(sc.name, 'ours', ours);
  const makePeer = (): unknown => (many ? Array.from({ length: nb }, () => new PeerBook()) : new PeerBook());
  const runP = (b: unknown, s: OpStream, from: number, to: number): void => {
    if (many) runPeerMany(b as PeerBook[], s, ids, from, to);
    else runPeer(b as PeerBook, s, ids, from, to);
  };
  const depthP = (b: unknown): Map<string, number> => {
    if (!many) return depthPeer(b as PeerBook);
    const m = new Map<string, number>();
    (b as PeerBook[]).forEach((book, i) => depthPeer(book, m, `${i}:`));
    return m;
  };
  const peer = await measure(gcs, n, makePeer, (b) => runP(b, sc.prefill, 0, sc.prefill.n), (b, f, t) => runP(b, sc.ops, f, t), null, depthP, n);
  line(sc.name, 'peer', peer);
  const same = ours.sameAcrossPasses && peer.sameAcrossPasses && sameDepth(ours.depth, peer.depth);
  const ratio = ours.opsPerS / peer.opsPerS;
  console.log(`[${sc.name}] ratio ours/peer ${ratio.toFixed(2)}x   same book: ${same} (${ours.depth.size} levels)`);
  // What ours holds per book once the stream has run (order slots, levels, id table, price windows, overflows).
  const after = makeOurs();
  runO(after, sc.prefill, 0, sc.prefill.n);
  runO(after, sc.ops, 0, n);
  const held = many ? (after as OrderBook[]).reduce((sum, book) => sum + book.heldBytes(), 0) / nb : (after as OrderBook).heldBytes();
  console.log(`[${sc.name}] ours holds ${fmt(held)} bytes per book after the stream`);
  return {
    same,
    heldBytesPerBook: held,
    json: { ops_per_s: Math.round(ours.opsPerS), peer_ops_per_s: Math.round(peer.opsPerS), ratio: Math.round(ratio * 100) / 100 },
  };
}

/** Heap + arrayBuffers growth per book for `count` new, empty books (kept alive until measured). */
function emptyBookBytes(count: number, preallocate: boolean): number {
  const books: OrderBook[] = new Array(count);
  const sink = new CountingSink();
  fullGc();
  const before = usedBytes();
  for (let i = 0; i < count; i++) books[i] = new OrderBook(sink, { preallocate });
  fullGc();
  const after = usedBytes();
  if (books.some((b) => b.restingCount !== 0)) throw new Error('books not empty');
  return (after - before) / count;
}

async function scenario(gcs: GcCounter, sc: Scenario) {
  const ids: string[] = new Array(sc.maxId + 1);
  for (let i = 0; i <= sc.maxId; i++) ids[i] = `o${i}`;
  const n = sc.ops.n;
  const ours = await measure(
    gcs,
    n,
    newOurs,
    (b) => runOurs(b as OrderBook, sc.prefill, 0, sc.prefill.n),
    (b, from, to) => runOurs(b as OrderBook, sc.ops, from, to),
    (b, out) => latencyOurs(b as OrderBook, sc.ops, out),
    (b) => depthOurs(b as OrderBook),
    n,
  );
  const r = sc.resting;
  console.log(`[${sc.name}] resting orders during the stream: min ${r.min}, mean ${Math.round(r.mean)}, max ${r.max}`);
  line(sc.name, 'ours', ours);
  const peer = await measure(
    gcs,
    n,
    () => new PeerBook(),
    (b) => runPeer(b as PeerBook, sc.prefill, ids, 0, sc.prefill.n),
    (b, from, to) => runPeer(b as PeerBook, sc.ops, ids, from, to),
    (b, out) => latencyPeer(b as PeerBook, sc.ops, ids, out),
    (b) => depthPeer(b as PeerBook),
    n,
  );
  line(sc.name, 'peer', peer);
  const same = ours.sameAcrossPasses && peer.sameAcrossPasses && sameDepth(ours.depth, peer.depth);
  const ratio = ours.opsPerS / peer.opsPerS;
  let bids = 0;
  for (const k of ours.depth.keys()) if (k.startsWith('b')) bids++;
  console.log(
    `[${sc.name}] ratio ours/peer ${ratio.toFixed(2)}x   same book: ${same} ` +
      `(${bids} bid + ${ours.depth.size - bids} ask levels)`,
  );
  return {
    same,
    json: {
      ops_per_s: Math.round(ours.opsPerS),
      peer_ops_per_s: Math.round(peer.opsPerS),
      ratio: Math.round(ratio * 100) / 100,
      p50_ns: Math.round(ours.p50),
      p99_ns: Math.round(ours.p99),
      p999_ns: Math.round(ours.p999),
      gc_events: ours.gcEvents,
    },
  };
}

interface MemoryInput {
  side: Uint8Array;
  price: Int32Array;
  qty: Int32Array;
  ids: string[];
}

/** `count` non-crossing limit orders (plus string ids for the peer), created before any measurement. */
function memoryInput(count: number): MemoryInput {
  const rng = new Prng(3);
  const side = new Uint8Array(count);
  const price = new Int32Array(count);
  const qty = new Int32Array(count);
  const ids: string[] = new Array(count);
  for (let i = 0; i < count; i++) {
    side[i] = i & 1;
    price[i] = side[i] === 0 ? MID - rng.int(1, 1000) : MID + rng.int(1, 1000);
    qty[i] = rng.int(1, 100);
    ids[i] = `o${i + 1}`;
  }
  return { side, price, qty, ids };
}

function usedBytes(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/**
 * Heap + arrayBuffers growth per resting order once all of `input` rests on a new book.
 * The caller keeps `input` alive until both measurements are done.
 */
function memoryPerOrder(input: MemoryInput, peer: boolean): number {
  const { side, price, qty, ids } = input;
  const count = side.length;
  fullGc();
  const before = usedBytes();
  if (peer) {
    const book = new PeerBook();
    for (let i = 0; i < count; i++) book.limit({ id: ids[i], side: SIDES[side[i]], size: qty[i], price: price[i] });
    fullGc();
    const after = usedBytes();
    const levels = book.depth();
    if (levels[0].length + levels[1].length === 0) throw new Error('peer book is empty');
    return (after - before) / count;
  }
  const book = new OrderBook(new CountingSink());
  for (let i = 0; i < count; i++) book.submit(i + 1, 0, side[i], 0, price[i], qty[i], 0, 0);
  fullGc();
  const after = usedBytes();
  if (book.restingCount !== count) throw new Error(`expected ${count} resting orders, have ${book.restingCount}`);
  return (after - before) / count;
}

/** Latency of an empty timed region, i.e. what the timer itself adds to each latency sample. */
function timerOverhead(): number {
  const out = new Float64Array(200_000);
  for (let r = 0; r < 2; r++) {
    for (let i = 0; i < out.length; i++) {
      const t0 = performance.now();
      out[i] = performance.now() - t0;
    }
  }
  out.sort();
  return quantile(out, 0.5) * 1e6;
}

async function main(): Promise<void> {
  console.log(`bench:book — node ${process.version}, ${N_OPS.toLocaleString('en-US')} ops per scenario`);
  console.log(`latency samples include the timer: empty timed region p50 ${fmt(timerOverhead())} ns`);
  const t = performance.now();
  const uniform = uniformScenario(N_OPS);
  const deep = deepScenario(N_OPS);
  console.log(`streams generated in ${((performance.now() - t) / 1000).toFixed(1)} s (not timed)`);
  const gcs = new GcCounter();
  const u = await scenario(gcs, uniform);
  const d = await scenario(gcs, deep);
  const adv: Record<string, { ops_per_s: number; peer_ops_per_s: number; ratio: number }> = {};
  let advSame = true;
  let manyBooksBytes = NaN;
  const makers: Array<[string, (n: number) => Scenario]> = [
    ['jumping', jumpingScenario],
    ['one_sided_thin', oneSidedThinScenario],
    ['deep_level', (n) => deepLevelScenario(n)],
    ['many_books', (n) => manyBooksScenario(n)],
  ];
  for (const [name, make] of makers) {
    const t1 = performance.now();
    const sc = make(ADVERSARIAL_OPS[name as keyof typeof ADVERSARIAL_OPS]);
    console.log(`[${name}] stream generated in ${((performance.now() - t1) / 1000).toFixed(1)} s (not timed)`);
    const a = await adversarial(gcs, sc);
    adv[name] = a.json;
    advSame &&= a.same;
    if (name === 'many_books') manyBooksBytes = a.heldBytesPerBook;
  }
  gcs.stop();
  const emptyBytes = emptyBookBytes(EMPTY_BOOKS, false);
  const preallocatedBytes = emptyBookBytes(EMPTY_BOOKS, true);
  console.log(
    `memory: ours ${fmt(emptyBytes)} bytes per empty book (${EMPTY_BOOKS.toLocaleString('en-US')} books; ` +
      `${fmt(preallocatedBytes)} with preallocate: true)`,
  );
  const input = memoryInput(MEMORY_ORDERS);
  const bytes = memoryPerOrder(input, false);
  console.log(`memory: ours ${bytes.toFixed(1)} bytes per resting order (${MEMORY_ORDERS.toLocaleString('en-US')} resting)`);
  const peerBytes = memoryPerOrder(input, true);
  console.log(`memory: peer ${peerBytes.toFixed(1)} bytes per resting order`);
  if (input.ids.length !== MEMORY_ORDERS || input.side.length !== MEMORY_ORDERS) throw new Error('input changed');
  console.log(
    JSON.stringify({
      bench: 'book',
      same_book: u.same && d.same && advSame,
      bytes_per_resting_order: Math.round(bytes * 10) / 10,
      deep: d.json,
      uniform: u.json,
      empty_book_bytes: Math.round(emptyBytes),
      many_books_bytes_per_book: Math.round(manyBooksBytes),
      adversarial: adv,
    }),
  );
}

await main();
