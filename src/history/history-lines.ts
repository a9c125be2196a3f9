/**
 * The history rows as the file store keeps them: one JSON line each, the bytes of JSON.stringify of the row
 * (history-record.ts) then UTF-8 and a line break, written straight into bytes.
 *
 * Two ways in. `writeHistoryRows` writes row objects at the store's write (the rows a PostgreSQL-like store would
 * get; tests). A `HistoryLineMaker` writes each row's line as the row is made — from two row objects it fills again
 * for every record, into chunks of bytes it takes again once their lines are stored — and hands on a `HistoryLine`
 * (the seq, where its bytes are): the history writer's rows when its store takes lines (FileHistoryStore.writeLines).
 * A fill and a final state as objects are about 20 fields and five texts each, held in the follower's buffer for a
 * batch or more (each scavenge meanwhile copies them); a line is five fields, its bytes outside the JavaScript heap.
 * In bench:history's path that took the history thread's allocation from about 420-440 to 305-330 bytes a record.
 */
import type { InstrumentRegistry } from '../model/instrument.js';
import type { OrderView } from '../core/order-store.js';
import type { OrderUpdate, Transition } from '../model/lifecycle.js';
import { fragment, JsonBytes, NUMBER_BOUND, stringBound } from '../journal/json-bytes.js';
import { historyRowsInto, MADE_FILL, MADE_ORDER, newFillRow, newOrderRow, type FillRow, type HistoryRow, type OrderRow } from './history-record.js';

/** Bytes of a row's keys and punctuation (writeHistoryRows), beyond its values. */
const ROW_KEYS_BOUND = 400;

/**
 * The rows of `rows` with a seq above `after`, each as one JSON line into `w` (the file store), line break included:
 * the same bytes as JSON.stringify of the row historyRowsOf makes (its keys in that order) then UTF-8, written
 * directly (room made first: w.reserve). A HistoryLine is its line as it was made (lines made one after the other
 * are copied in one native copy a run). Returns the seq of the last row written (`after` when none).
 *
 * Written at a local position into the writer's buffer (w.pos set once a row), not through a JsonBytes call per key
 * and value (the file store's writes are about a third of the history thread's CPU in bench:history's profile; a row
 * took about 850 ns that way, about 775 ns this way, in a loop over bench-like rows on Node 20). Keys and the constant
 * text around the common values (the row's kind, a missing parent, a fill's flags) are copied as one fragment each;
 * numbers and strings that need more than plain ASCII digits and characters are left to JsonBytes (w.num, w.str) at
 * that position. An order's final state right after the fill that completed it (same record) has the fill's text from
 * its seq to its side byte for byte: that text is copied from the fill's line (one native copy), not written again.
 */
export function writeHistoryRows(w: JsonBytes, rows: readonly (HistoryRow | HistoryLine)[], after: number): number {
  let last = after;
  const common = new CommonText();
  // a run of lines whose bytes follow each other in one chunk: copied at once
  let runBuf: Uint8Array | null = null;
  let runStart = 0;
  let runEnd = 0;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (r.seq <= after) continue;
    last = r.seq;
    if (r instanceof HistoryLine) {
      const bytes = r.chunk.bytes;
      if (r.generation !== r.chunk.generation) throw staleLine(r);
      if (bytes === runBuf && r.start === runEnd) {
        runEnd = r.end;
        continue;
      }
      if (runBuf !== null) copyRun(w, runBuf, runStart, runEnd);
      runBuf = bytes;
      runStart = r.start;
      runEnd = r.end;
      continue;
    }
    if (runBuf !== null) {
      copyRun(w, runBuf, runStart, runEnd);
      runBuf = null;
      common.fill = null;
    }
    writeRow(w, r, common);
  }
  if (runBuf !== null) copyRun(w, runBuf, runStart, runEnd);
  return last;
}

function copyRun(w: JsonBytes, buf: Uint8Array, start: number, end: number): void {
  w.reserve(end - start);
  w.buf.set(buf.subarray(start, end), w.pos);
  w.pos += end - start;
}

/**
 * A chunk of the line arena (HistoryLineMaker): its bytes, how many times it was taken again (a line made before
 * that is stale: its bytes are another line's now), and the seq of the last line made in it.
 */
export class LineChunk {
  generation = 0;
  lastSeq = -1;
  constructor(readonly bytes: Uint8Array) {}
}

/**
 * A history row as its line (writeHistoryRows' bytes of it): chunk.bytes[start, end) while the chunk is at the
 * generation it was made in.
 */
export class HistoryLine {
  constructor(
    /** The journal seq of the record it comes from (the row's seq). */
    readonly seq: number,
    readonly chunk: LineChunk,
    readonly generation: number,
    readonly start: number,
    readonly end: number,
  ) {}
}

/** The line arena's chunks (a line is about 300 to 400 bytes), and the free ones kept for reuse at most. */
const LINE_CHUNK_BYTES = 1 << 20;
const FREE_CHUNKS_KEPT = 8;

/**
 * Makes the history rows of a transition (historyRowsOf's) as their lines, as they come: filled into two reused row
 * objects and written by writeRow into chunks of bytes, one HistoryLine a row. The same bytes as writeHistoryRows of
 * the rows historyRowsOf makes (a property test), the final state after its fill copied from the fill's line as there.
 *
 * A chunk is taken again once every line in it is stored (`stored(watermark)`, after the store's write of rows up to
 * that seq went through: nothing reads a line at or below the store's watermark again — a write passes such rows over,
 * and a follower that failed drops the lines it held and makes them again from the journal). Made new for every
 * megabyte of lines, the chunks were external memory the garbage collector counted: a full collection every 70 MB
 * or so ("external memory pressure"), on a heap that holds every retained order. Should a line reach a write after its
 * chunk was taken again all the same (a defect), the write throws (coded HISTORY_LINE_STALE) instead of storing
 * another row's bytes: the follower then writes those rows again from the journal.
 */
export class HistoryLineMaker {
  /** writeRow's writer: its buf is the chunk being filled. */
  private readonly w = new JsonBytes();
  private chunk: LineChunk;
  /** The chunks filled before this one whose lines are not all stored, oldest first; the free ones. */
  private readonly used: LineChunk[] = [];
  private readonly free: LineChunk[] = [];
  private readonly fill = newFillRow();
  private readonly final = newOrderRow();
  private readonly common = new CommonText();
  /** Chunks made so far (tests: they are taken again once their lines are stored). */
  chunksMade = 1;

  /**
   * `chunkBytes`: the chunks' size (tests make them small, to cross from one to the next often); `runSlots`: the
   * slots of the runs of names kept (TextRun; a power of two: tests make them few, for different names in one slot).
   */
  constructor(private readonly chunkBytes = LINE_CHUNK_BYTES, runSlots = RUN_SLOTS) {
    if (!(runSlots >= 1 && (runSlots & (runSlots - 1)) === 0)) throw new RangeError(`runSlots must be a power of two, got ${runSlots}`);
    this.common.runMask = runSlots - 1;
    this.chunk = new LineChunk(new Uint8Array(chunkBytes));
    this.w.buf = this.chunk.bytes;
  }

  /** The lines of the rows historyRowsOf would push to `out`, pushed to `out`. Returns how many. */
  linesOf(seq: number, instruments: InstrumentRegistry, order: OrderView, update: OrderUpdate, t: Transition, out: HistoryLine[]): number {
    const made = historyRowsInto(seq, instruments, order, update, t, this.fill, this.final);
    if (made === 0) return 0;
    // only this record's fill may give its text to its final state
    this.common.fill = null;
    // where its rows' runs of names are looked for (TextRun): by the order's names' indexes
    this.common.key = order.strategyIndex * 131 + order.symbolIndex * 31 + order.venueIndex * 7;
    if ((made & MADE_FILL) !== 0) out.push(this.line(seq, this.fill));
    if ((made & MADE_ORDER) !== 0) out.push(this.line(seq, this.final));
    return (made & 1) + (made >> 1);
  }

  /** Every line of a record up to `watermark` is stored: their chunks are free (see the class). */
  stored(watermark: number): void {
    const used = this.used;
    let k = 0;
    while (k < used.length && used[k]!.lastSeq <= watermark) {
      const c = used[k++]!;
      c.generation = (c.generation + 1) & 0x3fffffff;
      c.lastSeq = -1;
      if (this.free.length < FREE_CHUNKS_KEPT) this.free.push(c);
    }
    if (k > 0) used.splice(0, k);
  }

  private line(seq: number, r: HistoryRow): HistoryLine {
    const w = this.w;
    const bound = rowBound(r);
    if (w.buf.length - w.pos < bound) this.nextChunk(bound);
    const chunk = this.chunk;
    const start = w.pos;
    writeRow(w, r, this.common, bound);
    chunk.lastSeq = seq;
    return new HistoryLine(seq, chunk, chunk.generation, start, w.pos);
  }

  /** The chunk being filled is full: a free one (or a new one) next, with room for at least `bound` bytes. */
  private nextChunk(bound: number): void {
    if (this.chunk.lastSeq >= 0) this.used.push(this.chunk);
    let next = this.free.pop();
    if (next === undefined || next.bytes.length < bound) {
      next = new LineChunk(new Uint8Array(Math.max(this.chunkBytes, bound)));
      this.chunksMade++;
    }
    this.chunk = next;
    this.w.buf = next.bytes;
    this.w.pos = 0;
  }
}

/** A line whose chunk was taken again (see HistoryLineMaker): a defect, thrown instead of writing another row's bytes. */
function staleLine(r: HistoryLine): Error {
  return Object.assign(new Error(`history: the line of seq ${r.seq} was written over before it was stored`), { code: 'HISTORY_LINE_STALE' });
}

/**
 * Where the last fill's text from its seq to its side is in the writer's buffer (writeHistoryRows); and, for a
 * HistoryLineMaker, the runs of names its rows were written with (TextRun).
 */
class CommonText {
  /** The fill written last, if the row written last is one (its final state may follow). */
  fill: FillRow | null = null;
  buf: Uint8Array | null = null;
  from = 0;
  to = 0;
  /** Where the fill's strategy's key is in buf (written with runs: key >= 0). */
  mid = 0;
  /** Where the row's runs are looked for (from its order's names' indexes); -1: no runs (writeHistoryRows). */
  key = -1;
  /** The runs' slots - 1 (a power of two less one). */
  runMask = RUN_SLOTS - 1;
  readonly fillRuns: (TextRun | undefined)[] = [];
  readonly orderRuns: (TextRun | undefined)[] = [];
  /** A fill's `,"feeCurrency":…` up to its venueTs's value (a: fee currency, b: liquidity, c: 't' estimated, else 'f'). */
  readonly feeRuns: (TextRun | undefined)[] = [];
  /** A final state's `,"state":…,"venue":…,"venueOrderId":` (a: state, b: venue or null). */
  readonly stateRuns: (TextRun | undefined)[] = [];
  /** A final state's `,"reason":null,"route":…,"createdAt":` (a: route). */
  readonly routeRuns: (TextRun | undefined)[] = [];
}

/**
 * The bytes of a row from its strategy's key up to its first value after the side that is not a name, as written
 * once for these names: a fill's `,"strategy":…,"symbol":…,"side":…,"venue":…,"tradeId":`, a final state's
 * `,"strategy":…,"symbol":…,"side":…,"type":…,"timeInForce":…,"price":` (d: the venue or the type; e: the time in
 * force, '' for a fill). A HistoryLineMaker's rows are mostly a few such runs over and over: one copy, not four or
 * five keys and texts written one by one. Kept direct-mapped (RUN_SLOTS) by the order's names' indexes, used only
 * when every text is the row's (compared), written again otherwise: the same bytes either way. The same for the runs
 * of a few texts further on (CommonText's feeRuns, stateRuns, routeRuns: `a` to `c` their texts).
 */
class TextRun {
  constructor(
    readonly a: string, readonly b: string | null, readonly c: string, readonly d: string, readonly e: string,
    readonly bytes: Uint8Array,
    /** bytes[0, split): up to the end of the side's text (the text a final state shares with its fill). */
    readonly split: number,
  ) {}
}

const RUN_SLOTS = 256;
/** Longer runs (long names) are not kept. */
const RUN_BYTES = 256;

/** The slot of a run (TextRun) for the row's names; any slot gives the same bytes (the texts are compared). */
function runSlot(common: CommonText, side: string, d: string, e: string): number {
  return (common.key * 8 + side.length * 3 + d.length + 5 * e.length + 11 * (charCodeAt.call(e, 0) | 0)) & common.runMask;
}

/** src[from, src.length) at b[p]; the position after them. */
function copyFrom(b: Uint8Array, p: number, src: Uint8Array, from: number): number {
  const n = src.length;
  for (let i = from; i < n; i++) b[p++] = src[i]!;
  return p;
}

/** The final state `o` has the text from seq to side of the fill `f` (what JSON.stringify writes of them is the same). */
function sameCommonText(f: FillRow, o: OrderRow): boolean {
  return f.seq === o.seq && f.ts === o.ts && f.orderId === o.orderId && f.parentOrderId === o.parentOrderId && f.clientOrderId === o.clientOrderId
    && f.strategy === o.strategy && f.symbol === o.symbol && f.side === o.side;
}

/** Bytes writeRow may write for `r` at most. */
function rowBound(r: HistoryRow): number {
  let bound = ROW_KEYS_BOUND + 6 * NUMBER_BOUND + stringBound(r.kind) + stringBound(r.clientOrderId) + stringBound(r.strategy)
    + stringBound(r.symbol) + stringBound(r.side);
  if (r.kind === 'fill') {
    bound += stringBound(r.venue) + stringBound(r.tradeId) + stringBound(r.price) + stringBound(r.qty) + stringBound(r.fee)
      + stringBound(r.feeCurrency) + stringBound(r.liquidity);
  } else {
    bound += stringBound(r.type) + stringBound(r.timeInForce) + nullableBound(r.price) + nullableBound(r.stopPrice) + stringBound(r.quantity)
      + stringBound(r.filledQty) + nullableBound(r.avgPrice) + stringBound(r.state) + nullableBound(r.venue) + nullableBound(r.venueOrderId)
      + nullableBound(r.reason) + stringBound(r.route);
  }
  return bound;
}

/** `bound`: rowBound(r), when the caller has it. */
function writeRow(w: JsonBytes, r: HistoryRow, common: CommonText, bound = rowBound(r)): void {
  w.reserve(bound);
  const b = w.buf;
  let p = put(b, w.pos, r.kind === 'fill' ? FILL_HEAD : ORDER_HEAD);
  const fill = common.fill;
  const key = common.key;
  // the keys and names after the side up to the next value are written (from a run)
  let afterSide = false;
  // the fill's text was written in this call, earlier in this same buffer (not copied from when reserve had to
  // move the writer to a bigger one)
  if (r.kind === 'order' && fill !== null && common.buf === b && sameCommonText(fill, r)) {
    const copied = p;
    b.copyWithin(p, common.from, common.to);
    p += common.to - common.from;
    common.fill = null;
    if (key >= 0) {
      // (the fill was written with its runs: its strategy's key at common.mid)
      const slot = runSlot(common, r.side, r.type, r.timeInForce);
      const run = common.orderRuns[slot];
      if (run !== undefined && run.a === r.strategy && run.b === r.symbol && run.c === r.side && run.d === r.type && run.e === r.timeInForce) {
        p = copyFrom(b, p, run.bytes, run.split);
      } else {
        const sideEnd = p;
        p = put(b, p, K_TYPE);
        p = str(w, b, p, r.type);
        p = put(b, p, K_TIME_IN_FORCE);
        p = str(w, b, p, r.timeInForce);
        p = put(b, p, K_PRICE);
        const start = copied + common.mid - common.from;
        if (p - start <= RUN_BYTES) common.orderRuns[slot] = new TextRun(r.strategy, r.symbol, r.side, r.type, r.timeInForce, b.slice(start, p), sideEnd - start);
      }
      afterSide = true;
    }
  } else if (key >= 0) {
    const from = p;
    p = seqToClientOrderId(w, b, p, r);
    const isFill = r.kind === 'fill';
    const d = isFill ? r.venue : r.type;
    const e = isFill ? '' : r.timeInForce;
    const runs = isFill ? common.fillRuns : common.orderRuns;
    const slot = runSlot(common, r.side, d, e);
    const run = runs[slot];
    let sideEnd: number;
    common.mid = p;
    if (run !== undefined && run.a === r.strategy && run.b === r.symbol && run.c === r.side && run.d === d && run.e === e) {
      sideEnd = p + run.split;
      p = put(b, p, run.bytes);
    } else {
      const start = p;
      p = strategyToSide(w, b, p, r);
      sideEnd = p;
      if (isFill) {
        p = put(b, p, K_VENUE);
        p = str(w, b, p, d);
        p = put(b, p, K_TRADE_ID);
      } else {
        p = put(b, p, K_TYPE);
        p = str(w, b, p, d);
        p = put(b, p, K_TIME_IN_FORCE);
        p = str(w, b, p, e);
        p = put(b, p, K_PRICE);
      }
      if (p - start <= RUN_BYTES) runs[slot] = new TextRun(r.strategy, r.symbol, r.side, d, e, b.slice(start, p), sideEnd - start);
    }
    afterSide = true;
    common.fill = isFill ? r : null;
    common.buf = b;
    common.from = from;
    common.to = sideEnd;
  } else {
    const from = p;
    p = seqToClientOrderId(w, b, p, r);
    p = strategyToSide(w, b, p, r);
    common.fill = r.kind === 'fill' ? r : null;
    common.buf = b;
    common.from = from;
    common.to = p;
  }
  if (r.kind === 'fill') {
    if (!afterSide) {
      p = put(b, p, K_VENUE);
      p = str(w, b, p, r.venue);
      p = put(b, p, K_TRADE_ID);
    }
    p = str(w, b, p, r.tradeId);
    p = put(b, p, K_PRICE);
    p = str(w, b, p, r.price);
    p = put(b, p, K_QTY);
    p = str(w, b, p, r.qty);
    p = put(b, p, K_FEE);
    p = str(w, b, p, r.fee);
    // `,"feeCurrency":…` up to venueTs's value: a run (key >= 0) or as it comes
    const estimated = r.feeEstimated ? 't' : 'f';
    const slot = key >= 0 ? (r.feeCurrency.length * 3 + r.liquidity.length + (charCodeAt.call(r.feeCurrency, 0) | 0) * 5 + (r.feeEstimated ? 1 : 0)) & common.runMask : -1;
    const run = slot >= 0 ? common.feeRuns[slot] : undefined;
    if (run !== undefined && run.a === r.feeCurrency && run.b === r.liquidity && run.c === estimated) p = put(b, p, run.bytes);
    else {
      const start = p;
      p = put(b, p, K_FEE_CURRENCY);
      p = str(w, b, p, r.feeCurrency);
      const flags = r.liquidity === 'TAKER' ? (r.feeEstimated ? K_ESTIMATED_TAKER : K_TAKER) : r.liquidity === 'MAKER' ? (r.feeEstimated ? K_ESTIMATED_MAKER : K_MAKER) : null;
      if (flags !== null) p = put(b, p, flags);
      else {
        p = put(b, p, K_FEE_ESTIMATED);
        p = put(b, p, r.feeEstimated ? TRUE : FALSE);
        p = put(b, p, K_LIQUIDITY);
        p = str(w, b, p, r.liquidity);
        p = put(b, p, K_VENUE_TS);
      }
      if (slot >= 0 && p - start <= RUN_BYTES) common.feeRuns[slot] = new TextRun(r.feeCurrency, r.liquidity, estimated, '', '', b.slice(start, p), 0);
    }
    p = r.venueTs === null ? put(b, p, NULL) : num(w, b, p, r.venueTs);
  } else {
    if (!afterSide) {
      p = put(b, p, K_TYPE);
      p = str(w, b, p, r.type);
      p = put(b, p, K_TIME_IN_FORCE);
      p = str(w, b, p, r.timeInForce);
      p = put(b, p, K_PRICE);
    }
    p = strOrNull(w, b, p, r.price);
    if (r.stopPrice === null) p = put(b, p, K_NO_STOP_PRICE_QUANTITY);
    else {
      p = put(b, p, K_STOP_PRICE);
      p = str(w, b, p, r.stopPrice);
      p = put(b, p, K_QUANTITY);
    }
    p = str(w, b, p, r.quantity);
    p = put(b, p, K_FILLED_QTY);
    p = str(w, b, p, r.filledQty);
    p = put(b, p, K_AVG_PRICE);
    p = strOrNull(w, b, p, r.avgPrice);
    // `,"state":…,"venue":…,"venueOrderId":`: a run (key >= 0) or as it comes
    const venue = r.venue;
    let slot = key >= 0 ? (key * 8 + r.state.length * 5 + (venue === null ? 0 : venue.length) + (charCodeAt.call(r.state, 0) | 0)) & common.runMask : -1;
    let run = slot >= 0 ? common.stateRuns[slot] : undefined;
    if (run !== undefined && run.a === r.state && run.b === venue) p = put(b, p, run.bytes);
    else {
      const start = p;
      p = put(b, p, K_STATE);
      p = str(w, b, p, r.state);
      p = put(b, p, K_VENUE);
      p = strOrNull(w, b, p, venue);
      p = put(b, p, K_VENUE_ORDER_ID);
      if (slot >= 0 && p - start <= RUN_BYTES) common.stateRuns[slot] = new TextRun(r.state, venue, '', '', '', b.slice(start, p), 0);
    }
    p = strOrNull(w, b, p, r.venueOrderId);
    // `,"reason":null,"route":…,"createdAt":` the same way (a reason is written as it comes)
    slot = key >= 0 && r.reason === null ? (r.route.length * 7 + (charCodeAt.call(r.route, 0) | 0)) & common.runMask : -1;
    run = slot >= 0 ? common.routeRuns[slot] : undefined;
    if (run !== undefined && run.a === r.route) p = put(b, p, run.bytes);
    else {
      const start = p;
      p = put(b, p, K_REASON);
      p = strOrNull(w, b, p, r.reason);
      p = put(b, p, K_ROUTE);
      p = str(w, b, p, r.route);
      p = put(b, p, K_CREATED_AT);
      if (slot >= 0 && p - start <= RUN_BYTES) common.routeRuns[slot] = new TextRun(r.route, '', '', '', '', b.slice(start, p), 0);
    }
    p = num(w, b, p, r.createdAt);
  }
  w.pos = put(b, p, LINE_END);
}

/** A row's text from its seq's value to its client order id's (at b[p]); the position after it. */
function seqToClientOrderId(w: JsonBytes, b: Uint8Array, p: number, r: HistoryRow): number {
  p = num(w, b, p, r.seq);
  p = put(b, p, K_TS);
  p = num(w, b, p, r.ts);
  p = put(b, p, K_ORDER_ID);
  p = num(w, b, p, r.orderId);
  if (r.parentOrderId === null) p = put(b, p, K_NO_PARENT_CLIENT_ORDER_ID);
  else {
    p = put(b, p, K_PARENT_ORDER_ID);
    p = num(w, b, p, r.parentOrderId);
    p = put(b, p, K_CLIENT_ORDER_ID);
  }
  return str(w, b, p, r.clientOrderId);
}

/** A row's text from its strategy's key to its side's text (at b[p]); the position after it. */
function strategyToSide(w: JsonBytes, b: Uint8Array, p: number, r: HistoryRow): number {
  p = put(b, p, K_STRATEGY);
  p = str(w, b, p, r.strategy);
  p = put(b, p, K_SYMBOL);
  p = str(w, b, p, r.symbol);
  p = put(b, p, K_SIDE);
  return str(w, b, p, r.side);
}

function nullableBound(s: string | null): number {
  return s === null ? 4 : stringBound(s);
}

/**
 * `bytes` at b[p]; the position after them. Above 12 bytes (most keys with their punctuation) one native copy, below
 * the loop (as JsonBytes.raw; here about 5-10 % less per row than the loop alone, in a loop over bench-like rows).
 */
function put(b: Uint8Array, p: number, bytes: Uint8Array): number {
  const n = bytes.length;
  if (n > 12) {
    b.set(bytes, p);
    return p + n;
  }
  for (let i = 0; i < n; i++) b[p + i] = bytes[i]!;
  return p + n;
}

/**
 * `n` at b[p] as JSON.stringify writes it; the position after it. Safe non-negative integers (seqs, ids, times in ms)
 * here, any other number by w.num.
 */
function num(w: JsonBytes, b: Uint8Array, p: number, n: number): number {
  if (!(n >= 0 && Number.isSafeInteger(n))) {
    w.pos = p;
    w.num(n);
    return w.pos;
  }
  if (n < 1e9) return digits(b, p, n);
  // beyond 1e9 (times in ms, big seqs): the digits above the last nine, then those nine (zeros first)
  const high = Math.floor(n / 1e9);
  const q = digits(b, p, high);
  let low = n - high * 1e9;
  for (let i = q + 8; i >= q; i--) {
    const d = (low / 10) | 0;
    b[i] = 48 + low - d * 10;
    low = d;
  }
  return q + 9;
}

/** The decimal digits of 0 <= x < 2^31 at b[p]; the position after them. */
function digits(b: Uint8Array, p: number, x: number): number {
  const end = p + digitCount(x);
  let q = end;
  do {
    const d = (x / 10) | 0;
    b[--q] = 48 + x - d * 10;
    x = d;
  } while (x > 0);
  return end;
}

function digitCount(x: number): number {
  return x < 1e4 ? (x < 10 ? 1 : x < 100 ? 2 : x < 1e3 ? 3 : 4) : x < 1e6 ? (x < 1e5 ? 5 : 6) : x < 1e7 ? 7 : x < 1e8 ? 8 : 9;
}

/** `s` at b[p] as JSON.stringify writes it; the position after it. Printable ASCII here, any other text by w.str. */
function str(w: JsonBytes, b: Uint8Array, p: number, s: string): number {
  const n = s.length;
  b[p] = 0x22;
  for (let i = 0; i < n; i++) {
    const c = charCodeAt.call(s, i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) {
      w.pos = p;
      w.str(s);
      return w.pos;
    }
    b[p + 1 + i] = c;
  }
  b[p + 1 + n] = 0x22;
  return p + 2 + n;
}

function strOrNull(w: JsonBytes, b: Uint8Array, p: number, s: string | null): number {
  return s === null ? put(b, p, NULL) : str(w, b, p, s);
}

/** String.prototype.charCodeAt as a constant: see src/model/json-text.ts (a megamorphic `text.charCodeAt` per char). */
const charCodeAt = String.prototype.charCodeAt;

const FILL_HEAD = fragment('{"kind":"fill","seq":');
const ORDER_HEAD = fragment('{"kind":"order","seq":');
const K_TS = fragment(',"ts":');
const K_ORDER_ID = fragment(',"orderId":');
const K_PARENT_ORDER_ID = fragment(',"parentOrderId":');
const K_CLIENT_ORDER_ID = fragment(',"clientOrderId":');
const K_NO_PARENT_CLIENT_ORDER_ID = fragment(',"parentOrderId":null,"clientOrderId":');
const K_STRATEGY = fragment(',"strategy":');
const K_SYMBOL = fragment(',"symbol":');
const K_SIDE = fragment(',"side":');
const K_VENUE = fragment(',"venue":');
const K_TRADE_ID = fragment(',"tradeId":');
const K_PRICE = fragment(',"price":');
const K_QTY = fragment(',"qty":');
const K_FEE = fragment(',"fee":');
const K_FEE_CURRENCY = fragment(',"feeCurrency":');
const K_FEE_ESTIMATED = fragment(',"feeEstimated":');
const K_LIQUIDITY = fragment(',"liquidity":');
const K_VENUE_TS = fragment(',"venueTs":');
/** A fill's flags and liquidity as they come (up to venueTs's value). */
const K_TAKER = fragment(',"feeEstimated":false,"liquidity":"TAKER","venueTs":');
const K_MAKER = fragment(',"feeEstimated":false,"liquidity":"MAKER","venueTs":');
const K_ESTIMATED_TAKER = fragment(',"feeEstimated":true,"liquidity":"TAKER","venueTs":');
const K_ESTIMATED_MAKER = fragment(',"feeEstimated":true,"liquidity":"MAKER","venueTs":');
const K_TYPE = fragment(',"type":');
const K_TIME_IN_FORCE = fragment(',"timeInForce":');
const K_STOP_PRICE = fragment(',"stopPrice":');
const K_QUANTITY = fragment(',"quantity":');
const K_NO_STOP_PRICE_QUANTITY = fragment(',"stopPrice":null,"quantity":');
const K_FILLED_QTY = fragment(',"filledQty":');
const K_AVG_PRICE = fragment(',"avgPrice":');
const K_STATE = fragment(',"state":');
const K_VENUE_ORDER_ID = fragment(',"venueOrderId":');
const K_REASON = fragment(',"reason":');
const K_ROUTE = fragment(',"route":');
const K_CREATED_AT = fragment(',"createdAt":');
const NULL = fragment('null');
const TRUE = fragment('true');
const FALSE = fragment('false');
const LINE_END = fragment('}\n');

