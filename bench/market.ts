/**
 * bench:market — market data into the daemon's books.
 *
 *   npm run bench:market        (= npm run build && node --expose-gc dist/bench/market.js)
 *
 * One MarketData (src/market/market-data.ts) over three venues and one symbol, depth 20, as the daemon builds it.
 * Every venue kind runs its own stream of book updates through the same code the daemon runs:
 *   - core: level changes straight into the sink (what every feed ends in): one random walk per venue book
 *     (BookWalk in bench/lib/book-stream.ts), 1 to 4 levels per update, then commit (which rebuilds the consolidated
 *     book). The walk never crosses a book, as a venue's book is not crossed: a crossed book is left out of the
 *     consolidated book, so a walk that crossed the books would time a merge of nothing;
 *   - binance: adapters/binance-ws/market-feed.ts synced from a depth snapshot (`receiveSnapshot`, the entry the REST
 *     answer goes through), then `depthUpdate` events handed to `receive` (the socket's entry): JSON.parse, U/u
 *     sequence checks, price and size texts to ticks and lots, level calls and commit;
 *   - okx: adapters/okx-ws/market-feed.ts: a `books` snapshot, then updates with seqId/prevSeqId and real CRC32
 *     checksums, through `receive`: JSON.parse, sequence check, the text ladders, the checksum of the top 25 levels,
 *     conversion, level calls and commit;
 *   - paper: adapters/paper/paper-venue.ts with config/paper.yaml's simulation settings, stepped (`advance`): each step
 *     moves the mid, requotes the market maker and sends a simulated trade on the matching engine, then publishes
 *     the venue's whole book (up to 200 levels a side) into the sink as one snapshot. An update is one snapshot.
 *   - ccxt is left out: adapters/ccxt/market-feed.ts gets its books from ccxt pro's watchOrderBook, so its message
 *     path is ccxt's (its websocket client, the exchange's handleMessage, its order-book classes, a promise per
 *     resolution) and watchOrderBook opens the socket itself. A replay without a network would have to reach into
 *     ccxt's client internals and would measure that harness rather than the daemon; the feed's own share (ccxt's
 *     numbers back to texts, ticks and lots, one snapshot per resolution) is a private method behind that loop.
 * The binance and okx streams (bench/lib/book-stream.ts) are generated up front to the venues' documented formats,
 * 1 to 4 levels per update as in the core pass, and replayed with no network. Each pass starts from a fresh
 * MarketData and a fresh feed or venue (the same stream, so every pass does the same work; core: from the walk's
 * first books), and ends with a check: no resync, every update applied, and (core, binance, okx) the venue books
 * equal level by level to the generator's.
 *
 * For each kind: updates applied per second (a whole pass, timed, after a warm-up pass), the consolidated-book
 * update latency (the time of one commit, or of one snapshot for paper: the venue book's bookkeeping and the rebuild
 * of the consolidated book; one sample per update, the feed kinds through bench/lib/timed-sink.ts), and heap bytes
 * allocated per update in steady state (v8 GC profiler: allocated = heap after - heap before + collected; the least
 * of a few passes). Only the core path (the book and consolidation) is claimed to allocate nothing: the binance and
 * okx figures include JSON.parse, which allocates the message's objects and strings by nature (its share alone is
 * printed beside it), and the paper figure includes the venue's simulation step (beside it: the same steps of a
 * venue that publishes nothing).
 *
 * Human lines, then one JSON line:
 *   {"bench":"market","updates_per_s":…,"consolidate_p50_ns":…,"consolidate_p99_ns":…,"alloc_bytes_per_update":…,"kinds":[…]}
 * (the top-level figures are the core path's; `kinds` has one entry per venue kind: {"kind","updates_per_s",
 * "consolidate_p50_ns","consolidate_p99_ns","alloc_bytes_per_update","alloc_scope"}, the feed kinds also
 * "json_parse_alloc_bytes_per_update" (JSON.parse alone over the same messages), paper also
 * "simulation_alloc_bytes_per_update" (the same steps of a venue that publishes nothing: its simulation alone).)
 */
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { BinanceMarketFeed } from '../adapters/binance-ws/market-feed.js';
import type { MarketFeedDeps } from '../adapters/common/market-feed-deps.js';
import { binanceUrls, okxUrls } from '../adapters/common/urls.js';
import { OkxMarketFeed } from '../adapters/okx-ws/market-feed.js';
import { PaperVenue } from '../adapters/paper/paper-venue.js';
import { Prng } from '../adapters/paper/prng.js';
import { LevelBuffer, type MarketDataSink, RESYNC_REASONS } from '../src/market/feed.js';
import { MarketData } from '../src/market/market-data.js';
import { BOOK_SYNCED } from '../src/market/venue-book.js';
import { CoarseClock } from '../src/model/clock.js';
import { InstrumentRegistry } from '../src/model/instrument.js';
import { BookWalk, binanceStream, type Levels, okxStream, type VenueStream } from './lib/book-stream.js';
import { allocatedBytes, fmtInt, fullGc, percentiles } from './lib/measure.js';
import { benchArgs } from './lib/args.js';
import { TimedSink } from './lib/timed-sink.js';

const USAGE = `Usage: npm run bench:market        (= npm run build && node --expose-gc dist/bench/market.js)
Book updates into the daemon's market data, per venue kind (core, binance, okx, paper). Human lines, then one JSON
line:
  {"bench":"market","updates_per_s":…,"consolidate_p50_ns":…,"consolidate_p99_ns":…,"alloc_bytes_per_update":…,"kinds":[…]}
Takes no options.`;

benchArgs({ script: 'bench:market', usage: USAGE, options: {} });

const UPDATES = 1_000_000;
const LATENCY_UPDATES = 500_000;
const VENUES = ['a', 'b', 'c'];
const DEPTH = 20;
/** Messages in the binance and okx streams (each pass replays all of them). */
const FEED_UPDATES = 300_000;
/** Simulation steps of a paper pass (each publishes the venue's book once when it changed). */
const PAPER_STEPS = 200_000;
/** Allocation passes per venue kind (the least is reported). */
const ALLOC_PASSES = 2;
/** The mid the books start around (60000.00 in ticks of 0.01). */
const MID = 6_000_000;

interface KindResult {
  kind: string;
  updates_per_s: number;
  consolidate_p50_ns: number;
  consolidate_p99_ns: number;
  alloc_bytes_per_update: number;
  /** What the allocation figure covers. */
  alloc_scope: string;
  /** binance, okx: heap bytes JSON.parse alone allocates per message of the same stream. */
  json_parse_alloc_bytes_per_update?: number;
  /** paper: heap bytes the same simulation steps allocate with no market data, per update of the measured pass. */
  simulation_alloc_bytes_per_update?: number;
}

function market(clock: CoarseClock): MarketData {
  const instruments = new InstrumentRegistry([{ symbol: 'BTC-USDT', base: 'BTC', quote: 'USDT', tickSize: '0.01', lotSize: '0.00001' }]);
  return new MarketData(instruments, VENUES, ['10', '7.5', '0'], clock, { depth: DEPTH, staleMs: 60_000 });
}

interface Walk {
  /** The venue books the walk starts from. */
  readonly start: Levels[];
  /** The venue books it ends with. */
  readonly final: Levels[];
  /** Per update: its venue and number of level changes; per change: side, price, qty. */
  readonly venue: Int8Array;
  readonly per: Int8Array;
  readonly side: Int8Array;
  readonly price: Float64Array;
  readonly qty: Float64Array;
}

/**
 * One random walk of level changes per venue (BookWalk, bench/lib/book-stream.ts: 1 to 4 levels per update, the
 * book never crossed, as a venue's is not), pre-generated, the venue of each update drawn at random.
 */
function walk(updates: number, seed: number): Walk {
  const rnd = new Prng(seed);
  const walks = VENUES.map((_, v) => new BookWalk(seed * 31 + v, MID));
  const start = walks.map((w) => w.book());
  const venue = new Int8Array(updates);
  const per = new Int8Array(updates);
  let side = new Int8Array(updates * 3);
  let price = new Float64Array(updates * 3);
  let qty = new Float64Array(updates * 3);
  let k = 0;
  for (let i = 0; i < updates; i++) {
    const v = Math.floor(rnd.next() * VENUES.length);
    const w = walks[v]!;
    w.next();
    venue[i] = v;
    per[i] = w.changes.size;
    if (k + w.changes.size > side.length) {
      const grow = Math.ceil(side.length * 1.5);
      const s2 = new Int8Array(grow);
      const p2 = new Float64Array(grow);
      const q2 = new Float64Array(grow);
      s2.set(side);
      p2.set(price);
      q2.set(qty);
      side = s2;
      price = p2;
      qty = q2;
    }
    for (const [key, lots] of w.changes) {
      const s = key >= 2 ** 40 ? 1 : 0;
      side[k] = s;
      price[k] = key - s * 2 ** 40;
      qty[k] = lots;
      k++;
    }
  }
  return { start, final: walks.map((w) => w.book()), venue, per, side: side.subarray(0, k), price: price.subarray(0, k), qty: qty.subarray(0, k) };
}

/** Loads a book into venue `v` as a snapshot. */
function load(md: MarketData, v: number, book: Levels): void {
  const bids = new LevelBuffer(200);
  const asks = new LevelBuffer(200);
  for (const [p, q] of book.bids) bids.push(p, q);
  for (const [p, q] of book.asks) asks.push(p, q);
  md.snapshot(v, 0, bids, asks, 0);
}

/** Static books on every venue: 40 levels a side around MID. */
function seed(md: MarketData): void {
  const book: Levels = { bids: [], asks: [] };
  for (let i = 1; i <= 40; i++) {
    book.bids.push([MID - i, 1000 * i]);
    book.asks.push([MID + i, 1000 * i]);
  }
  for (let v = 0; v < VENUES.length; v++) load(md, v, book);
}

function core(clock: CoarseClock): KindResult {
  const md = market(clock);
  const g0 = performance.now();
  const w = walk(UPDATES, 7);
  console.log(`core walk generated in ${((performance.now() - g0) / 1000).toFixed(1)} s: ${fmtInt(UPDATES)} updates, ${(w.side.length / UPDATES).toFixed(2)} levels each`);
  /** Every pass starts from the walk's first books (a snapshot per venue, not timed) and ends with its last ones. */
  const reset = (): void => {
    for (let v = 0; v < VENUES.length; v++) load(md, v, w.start[v]!);
  };
  const check = (): void => {
    for (let v = 0; v < VENUES.length; v++) sameBook(md, v, w.final[v]!, 'core');
    const c = md.consolidated[0]!;
    if (c.bids.count !== DEPTH || c.asks.count !== DEPTH) throw new Error('core: the consolidated book is not full');
  };
  let k = 0;
  const apply = (i: number): void => {
    const v = w.venue[i]!;
    for (let j = 0; j < w.per[i]!; j++, k++) md.level(v, 0, w.side[k] as 0 | 1, w.price[k]!, w.qty[k]!);
    md.commit(v, 0, 0);
  };
  const pass = (n: number): void => {
    k = 0;
    for (let i = 0; i < n; i++) apply(i);
  };
  reset();
  pass(UPDATES); // warm-up
  check();
  reset();
  fullGc();
  const t0 = performance.now();
  pass(UPDATES);
  const seconds = (performance.now() - t0) / 1000;
  check();
  // latency: one commit at a time (the level changes before it are not timed)
  const samples = new Float64Array(LATENCY_UPDATES);
  reset();
  k = 0;
  for (let i = 0; i < LATENCY_UPDATES; i++) {
    const v = w.venue[i]!;
    for (let j = 0; j < w.per[i]!; j++, k++) md.level(v, 0, w.side[k] as 0 | 1, w.price[k]!, w.qty[k]!);
    const s = performance.now();
    md.commit(v, 0, 0);
    samples[i] = performance.now() - s;
  }
  const p = percentiles(samples);
  let best = Infinity;
  for (let r = 0; r < 3; r++) {
    reset();
    fullGc();
    best = Math.min(best, allocatedBytes(() => pass(UPDATES)).bytes / UPDATES);
    check();
  }
  return {
    kind: 'core', updates_per_s: Math.round(UPDATES / seconds), consolidate_p50_ns: Math.round(p.p50 * 1e6), consolidate_p99_ns: Math.round(p.p99 * 1e6),
    alloc_bytes_per_update: Number(best.toFixed(3)), alloc_scope: 'level changes, venue book, consolidated book',
  };
}

// ------------------------------------------------------------------------------------------ venue kinds

/**
 * One venue kind: `make` builds a fresh feed or venue on venue 0 of `md`, delivering to `sink` (md itself, or a
 * TimedSink in front of it), brings it to the point where the stream starts (synced), and returns the pass: the
 * updates to run. `check` throws when the pass did not go as generated.
 */
interface VenueKind {
  readonly kind: string;
  readonly allocScope: string;
  make(md: MarketData, sink: MarketDataSink): () => void;
  check(md: MarketData, updates: number): void;
  /** The allocation peer: the same work without the daemon's part (per update of the measured pass). */
  readonly peer?: {
    readonly key: 'json_parse_alloc_bytes_per_update' | 'simulation_alloc_bytes_per_update';
    readonly label: string;
    bytesPerUpdate(updates: number): number;
  };
}

/**
 * A fresh MarketData with static books on every venue (the consolidated book merges three venues, as in core); venue
 * 0's is replaced by the first snapshot of the feed or venue under test.
 */
function freshMarket(clock: CoarseClock): MarketData {
  const md = market(clock);
  seed(md);
  return md;
}

function noResync(md: MarketData, kind: string): void {
  const r = md.stats[0]!.resyncs;
  for (let i = 0; i < r.length; i++) if (r[i] !== 0) throw new Error(`${kind}: the book was resynced (${RESYNC_REASONS[i]}) during the pass`);
  if (md.book(0, 0).status !== BOOK_SYNCED) throw new Error(`${kind}: the venue book is not synced after the pass`);
}

/** The book of venue `v` in MarketData is synced and equals the generator's book, every level. */
function sameBook(md: MarketData, v: number, want: Levels, kind: string): void {
  const book = md.book(v, 0);
  if (book.status !== BOOK_SYNCED) throw new Error(`${kind}: the book of venue ${v} is not synced after the pass`);
  for (const [name, ladder, levels] of [['bids', book.bids, want.bids], ['asks', book.asks, want.asks]] as const) {
    let same = ladder.count === levels.length;
    for (let i = 0; same && i < levels.length; i++) same = ladder.price[i] === levels[i]![0] && ladder.qty[i] === levels[i]![1];
    if (!same) throw new Error(`${kind}: the ${name} differ from the generated book after the pass`);
  }
}

function feedDeps(md: MarketData, sink: MarketDataSink, clock: CoarseClock, name: string): MarketFeedDeps {
  return {
    venue: 0, name, instruments: md.instruments.list, sink, depth: DEPTH, stallMs: 60_000, reconnect: { minMs: 1000, maxMs: 10_000 },
    log: pino({ level: 'silent' }), clock,
  };
}

/** Nowhere: the feeds are never started (no socket, no REST request); these only fill their URL fields. */
const NOWHERE = { rest: 'http://127.0.0.1:9', ws: 'ws://127.0.0.1:9' };

function replay(receive: (text: string) => void, messages: readonly string[]): () => void {
  return () => {
    for (let i = 0; i < messages.length; i++) receive(messages[i]!);
  };
}

function binanceKind(clock: CoarseClock, stream: VenueStream): VenueKind {
  return {
    kind: 'binance',
    allocScope: 'JSON.parse of each event, the feed (sequence checks, texts to ticks and lots), venue book, consolidated book',
    make(md, sink) {
      const feed = new BinanceMarketFeed(feedDeps(md, sink, clock, 'binance'), binanceUrls(false, NOWHERE));
      feed.receiveSnapshot('BTCUSDT', stream.snapshot);
      return replay((text) => feed.receive(text), stream.messages);
    },
    check(md, updates) {
      noResync(md, 'binance');
      if (updates !== stream.messages.length) throw new Error(`binance: ${updates} updates applied of ${stream.messages.length} events`);
      sameBook(md, 0, stream.final, 'binance');
    },
    peer: { key: 'json_parse_alloc_bytes_per_update', label: 'JSON.parse alone', bytesPerUpdate: () => parseAlloc(stream.messages) },
  };
}

function okxKind(clock: CoarseClock, stream: VenueStream): VenueKind {
  let feed: OkxMarketFeed | undefined;
  return {
    kind: 'okx',
    allocScope: 'JSON.parse of each message, the feed (sequence check, text ladders, checksum, texts to ticks and lots), venue book, consolidated book',
    make(md, sink) {
      const f = (feed = new OkxMarketFeed(feedDeps(md, sink, clock, 'okx'), okxUrls(false, NOWHERE)));
      f.receive(stream.snapshot as string);
      if (f.stats.snapshots !== 1) throw new Error('okx: the snapshot was not applied');
      return replay((text) => f.receive(text), stream.messages);
    },
    check(md, updates) {
      noResync(md, 'okx');
      const n = stream.messages.length;
      if (updates !== n || feed!.stats.updates !== n) throw new Error(`okx: ${updates} updates applied of ${n} messages`);
      if (feed!.stats.checksumsOk !== n + 1) throw new Error(`okx: ${feed!.stats.checksumsOk} checksums matched of ${n + 1}`);
      sameBook(md, 0, stream.final, 'okx');
    },
    peer: { key: 'json_parse_alloc_bytes_per_update', label: 'JSON.parse alone', bytesPerUpdate: () => parseAlloc(stream.messages) },
  };
}

/** config/paper.yaml's first venue (sim-a): spread 4, volatility 2, 10 levels of 20000, 4 trades/s, steps of 250 ms. */
function paperVenue(md: MarketData, sink: MarketDataSink | undefined): PaperVenue {
  return new PaperVenue(
    {
      name: 'paper', markets: [{ instrument: md.instruments.list[0]!, startMidTicks: MID }], makerBps: '1', takerBps: '5', latencyMs: 0, seed: 1,
      spreadTicks: 4, volatilityTicks: 2, depthLevels: 10, levelNotional: 20_000, tradesPerSecond: 4, stepMs: 250,
      marketData: sink === undefined ? undefined : { sink, venue: 0, depth: md.book(0, 0).bids.capacity },
    },
    { report: () => {} },
  );
}

function paperKind(clock: CoarseClock): VenueKind {
  return {
    kind: 'paper',
    allocScope: 'the venue\'s simulation step (mid walk, requotes, a simulated trade on the matching engine), its book published as a snapshot, venue book, consolidated book',
    make(md, sink) {
      const venue = paperVenue(md, sink);
      venue.advance(1); // its first publication: the book the stream starts from
      return () => venue.advance(PAPER_STEPS);
    },
    check(md, updates) {
      noResync(md, 'paper');
      if (updates < PAPER_STEPS / 2) throw new Error(`paper: only ${updates} book publications in ${PAPER_STEPS} steps`);
    },
    peer: {
      key: 'simulation_alloc_bytes_per_update',
      label: 'the same steps publishing nothing',
      bytesPerUpdate(updates) {
        let best = Infinity;
        for (let r = 0; r < ALLOC_PASSES; r++) {
          const venue = paperVenue(freshMarket(clock), undefined);
          venue.advance(1);
          fullGc();
          best = Math.min(best, allocatedBytes(() => venue.advance(PAPER_STEPS)).bytes / updates);
        }
        return best;
      },
    },
  };
}

/** Heap bytes JSON.parse alone allocates per message (the floor under any feed that parses each message). */
function parseAlloc(messages: readonly string[]): number {
  let keep: unknown;
  const pass = (): void => {
    for (let i = 0; i < messages.length; i++) keep = JSON.parse(messages[i]!);
  };
  pass();
  fullGc();
  let best = Infinity;
  for (let r = 0; r < ALLOC_PASSES; r++) best = Math.min(best, allocatedBytes(pass).bytes / messages.length);
  if (keep === undefined) throw new Error('nothing parsed');
  return best;
}

function measureKind(clock: CoarseClock, k: VenueKind): KindResult {
  const updatesIn = (md: MarketData, run: () => void): number => {
    const before = md.stats[0]!.updates;
    run();
    return md.stats[0]!.updates - before;
  };
  // warm-up
  let md = freshMarket(clock);
  k.check(md, updatesIn(md, k.make(md, md)));
  // throughput
  md = freshMarket(clock);
  let run = k.make(md, md);
  fullGc();
  let before = md.stats[0]!.updates;
  const t0 = performance.now();
  run();
  const seconds = (performance.now() - t0) / 1000;
  const updates = md.stats[0]!.updates - before;
  k.check(md, updates);
  // latency: each commit (snapshot for paper) timed on its own
  md = freshMarket(clock);
  const timed = new TimedSink(md, updates);
  run = k.make(md, timed);
  timed.recording = true;
  k.check(md, updatesIn(md, run));
  const p = percentiles(timed.samples, timed.count);
  // allocation
  let best = Infinity;
  for (let r = 0; r < ALLOC_PASSES; r++) {
    md = freshMarket(clock);
    run = k.make(md, md);
    fullGc();
    before = md.stats[0]!.updates;
    const { bytes } = allocatedBytes(run);
    const n = md.stats[0]!.updates - before;
    k.check(md, n);
    best = Math.min(best, bytes / n);
  }
  const r: KindResult = {
    kind: k.kind, updates_per_s: Math.round(updates / seconds), consolidate_p50_ns: Math.round(p.p50 * 1e6), consolidate_p99_ns: Math.round(p.p99 * 1e6),
    alloc_bytes_per_update: Number(best.toFixed(3)), alloc_scope: k.allocScope,
  };
  if (k.peer !== undefined) r[k.peer.key] = Number(k.peer.bytesPerUpdate(updates).toFixed(3));
  return r;
}

function describe(r: KindResult, core: KindResult): string {
  const peer = r.json_parse_alloc_bytes_per_update ?? r.simulation_alloc_bytes_per_update;
  const label = r.json_parse_alloc_bytes_per_update !== undefined ? 'JSON.parse alone' : 'the same steps publishing nothing';
  const parse = peer === undefined ? '' : ` (${label}: ${peer.toFixed(1)})`;
  return (
    `${r.kind}: ${fmtInt(r.updates_per_s)} updates/s (${(r.updates_per_s / core.updates_per_s).toFixed(3)} x core); consolidated-book update ` +
    `p50 ${r.consolidate_p50_ns} ns, p99 ${r.consolidate_p99_ns} ns; heap allocated per update ${r.alloc_bytes_per_update.toFixed(3)} bytes${parse}`
  );
}

async function main(): Promise<void> {
  console.log(`bench:market — node ${process.version}, ${process.platform}/${process.arch}; ${VENUES.length} venues, depth ${DEPTH}`);
  if (!fullGc()) console.log('(run with node --expose-gc for a forced collection before each timed pass)');
  const clock = new CoarseClock();
  try {
    const result = core(clock);
    console.log(
      `core (level changes + commit): ${fmtInt(result.updates_per_s)} updates/s; consolidated-book update p50 ${result.consolidate_p50_ns} ns, ` +
      `p99 ${result.consolidate_p99_ns} ns (each sample includes one timer read); heap allocated per update ${result.alloc_bytes_per_update.toFixed(3)} bytes`,
    );
    const kinds: KindResult[] = [result];
    const g0 = performance.now();
    const ins = market(clock).instruments.list[0]!;
    const startMs = Date.now();
    const binance = binanceStream(ins, 'BTCUSDT', FEED_UPDATES, 11, MID, startMs);
    const okx = okxStream(ins, FEED_UPDATES, 13, MID, startMs);
    console.log(
      `streams generated in ${((performance.now() - g0) / 1000).toFixed(1)} s: binance ${fmtInt(binance.messages.length)} events ` +
      `(${(binance.levelChanges / binance.messages.length).toFixed(2)} levels each), okx ${fmtInt(okx.messages.length)} updates ` +
      `(${(okx.levelChanges / okx.messages.length).toFixed(2)} levels each)`,
    );
    for (const k of [binanceKind(clock, binance), okxKind(clock, okx), paperKind(clock)]) {
      const r = measureKind(clock, k);
      console.log(describe(r, result));
      kinds.push(r);
    }
    console.log(
      'latency samples each include one timer read (binance, okx: each commit; paper: each snapshot of up to 200 levels a side); ' +
      'allocation: only the core path is claimed allocation-free — binance and okx include JSON.parse, paper its simulation step ' +
      '(each with its peer in parentheses: the difference is what the feed, or the publishing, and the books add)',
    );
    console.log(JSON.stringify({
      bench: 'market', updates_per_s: result.updates_per_s, consolidate_p50_ns: result.consolidate_p50_ns, consolidate_p99_ns: result.consolidate_p99_ns,
      alloc_bytes_per_update: result.alloc_bytes_per_update, kinds,
    }));
  } finally {
    clock.stop();
  }
}

await main();
