/**
 * Venue book streams for bench:market, generated up front to the venues' documented formats (VENUES.md, "Public
 * market data"): a seeded random walk of one book (BookWalk), written out as
 *  - Binance spot: a GET /api/v3/depth answer body (`lastUpdateId`, `bids`, `asks`) and `depthUpdate` events whose
 *    `U` is the previous `u + 1` and whose `u - U + 1` is the number of levels changed, texts with 8 decimals;
 *  - OKX: a `books` snapshot (prevSeqId -1) and `update`s (prevSeqId = the previous seqId, seqIds growing by 1 to 3),
 *    texts in their shortest form, `[px, sz, "0", numOrders]`, each message with its checksum: CRC32 (signed) of the
 *    top 25 levels interleaved `bidPx:bidSz:askPx:askSz:…`, computed with node:zlib's crc32 (not the daemon's own).
 * Each update changes 1 to 4 levels (as the core pass of bench/market.ts does), never crosses the book (a level set
 * at or through the other side's best removes those levels in the same message), and lists each level once.
 */
import { crc32 } from 'node:zlib';
import { ASK, BID } from '../../src/market/feed.js';
import type { Instrument } from '../../src/model/instrument.js';
import { Prng } from '../../adapters/paper/prng.js';

/** A book as [ticks, lots] levels, best first. */
export interface Levels {
  readonly bids: Array<[number, number]>;
  readonly asks: Array<[number, number]>;
}

/** One side of the model book: prices best first, lots by price. */
class ModelSide {
  readonly prices: number[] = [];
  readonly lots = new Map<number, number>();

  constructor(private readonly descending: boolean) {}

  /** Index of the first price not better than `p`. */
  private at(p: number): number {
    let lo = 0;
    let hi = this.prices.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const q = this.prices[mid]!;
      if (this.descending ? q > p : q < p) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  set(p: number, lots: number): void {
    const had = this.lots.has(p);
    if (lots === 0) {
      if (!had) return;
      this.lots.delete(p);
      this.prices.splice(this.at(p), 1);
      return;
    }
    if (!had) this.prices.splice(this.at(p), 0, p);
    this.lots.set(p, lots);
  }

  levels(): Array<[number, number]> {
    return this.prices.map((p) => [p, this.lots.get(p)!]);
  }
}

/**
 * A seeded random walk of one venue book around a mid that wanders within ±20 ticks of where it started: bids and
 * asks 1 to 40 ticks from the mid, 1 to 100,000 lots; a quarter of the changes to an existing level remove it.
 */
export class BookWalk {
  readonly sides: readonly [ModelSide, ModelSide] = [new ModelSide(true), new ModelSide(false)];
  private readonly rnd: Prng;
  private mid: number;
  /** The changes of the last update (final lots per level), keyed side * 2^40 + ticks, in the order first made. */
  readonly changes = new Map<number, number>();

  constructor(seed: number, private readonly center: number, levels = 40) {
    this.rnd = new Prng(seed);
    this.mid = center;
    for (let i = 1; i <= levels; i++) {
      this.sides[BID].set(center - i, 1000 * i + Math.floor(this.rnd.next() * 1000));
      this.sides[ASK].set(center + i, 1000 * i + Math.floor(this.rnd.next() * 1000));
    }
  }

  private change(side: number, p: number, lots: number): void {
    this.sides[side]!.set(p, lots);
    this.changes.set(side * 2 ** 40 + p, lots);
  }

  /** Makes one update: its level changes are in `changes` afterwards (at least one). */
  next(): void {
    const rnd = this.rnd;
    this.changes.clear();
    if (rnd.next() < 0.05) this.mid = Math.max(this.center - 20, Math.min(this.center + 20, this.mid + Math.floor(rnd.next() * 5) - 2));
    const n = 1 + Math.floor(rnd.next() * 4);
    for (let j = 0; j < n; j++) {
      const side = rnd.next() < 0.5 ? BID : ASK;
      const p = side === BID ? this.mid - 1 - Math.floor(rnd.next() * 40) : this.mid + 1 + Math.floor(rnd.next() * 40);
      if (this.changes.has(side * 2 ** 40 + p)) continue;
      const mine = this.sides[side];
      const lots = mine.lots.has(p) && rnd.next() < 0.25 && mine.prices.length > 5 ? 0 : 1 + Math.floor(rnd.next() * 100_000);
      if (lots > 0) {
        // a level at or through the other side's best takes those levels out (the book never crosses)
        const other = this.sides[1 - side]!;
        while (other.prices.length > 0 && (side === BID ? other.prices[0]! <= p : other.prices[0]! >= p)) this.change(1 - side, other.prices[0]!, 0);
      }
      this.change(side, p, lots);
    }
    if (this.changes.size === 0) this.change(BID, this.sides[BID].prices[0]!, 1 + Math.floor(rnd.next() * 100_000));
  }

  /** The changes of the last update per side, best first: [ticks, lots]. */
  changed(side: number): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (const [k, lots] of this.changes) if (Math.floor(k / 2 ** 40) === side) out.push([k - side * 2 ** 40, lots]);
    return out.sort((a, b) => (side === BID ? b[0] - a[0] : a[0] - b[0]));
  }

  book(): Levels {
    return { bids: this.sides[BID].levels(), asks: this.sides[ASK].levels() };
  }
}

/** A generated stream: what syncs the book first, then one message per update, and the book it must end with. */
export interface VenueStream {
  /** Binance: the depth answer body (parsed, as the REST client hands it over); OKX: the snapshot message text. */
  readonly snapshot: unknown;
  readonly messages: string[];
  /** Levels changed over all messages. */
  readonly levelChanges: number;
  readonly final: Levels;
}

/** The instrument's fixed-scale text with `decimals` decimals (Binance prints 8). */
function padded(text: string, decimals: number): string {
  const dot = text.indexOf('.');
  const have = dot < 0 ? 0 : text.length - dot - 1;
  return (dot < 0 ? `${text}.` : text) + '0'.repeat(Math.max(0, decimals - have));
}

/** Shortest decimal text (OKX prints "60000.1", "1", "0.0123"). */
function shortest(text: string): string {
  if (text.indexOf('.') < 0) return text;
  let end = text.length;
  while (text.charCodeAt(end - 1) === 48) end--;
  if (text.charCodeAt(end - 1) === 46) end--;
  return text.slice(0, end);
}

/** A Binance spot stream of `updates` depthUpdate events for `ins` (Binance id `id`), after a depth snapshot. */
export function binanceStream(ins: Instrument, id: string, updates: number, seed: number, center: number, startMs: number): VenueStream {
  const walk = new BookWalk(seed, center);
  const px = (t: number): string => padded(ins.ticksToPrice(t), 8);
  const qty = (l: number): string => padded(ins.lotsToQty(l), 8);
  const lastUpdateId = 1_000_000;
  const start = walk.book();
  const snapshotText = JSON.stringify({ lastUpdateId, bids: start.bids.map(([p, l]) => [px(p), qty(l)]), asks: start.asks.map(([p, l]) => [px(p), qty(l)]) });
  const messages = new Array<string>(updates);
  let u = lastUpdateId;
  let levelChanges = 0;
  for (let i = 0; i < updates; i++) {
    walk.next();
    const U = u + 1;
    u += walk.changes.size;
    levelChanges += walk.changes.size;
    const b = walk.changed(BID).map(([p, l]) => [px(p), qty(l)]);
    const a = walk.changed(ASK).map(([p, l]) => [px(p), qty(l)]);
    messages[i] = JSON.stringify({ e: 'depthUpdate', E: startMs + Math.floor(i / 10), s: id, U, u, b, a });
  }
  return { snapshot: JSON.parse(snapshotText) as unknown, messages, levelChanges, final: walk.book() };
}

/** An OKX `books` stream of `updates` update messages for `ins`, after a snapshot, every message with its checksum. */
export function okxStream(ins: Instrument, updates: number, seed: number, center: number, startMs: number): VenueStream {
  const walk = new BookWalk(seed, center);
  const rnd = new Prng(seed ^ 0x5eed);
  const pxText = new Map<number, string>();
  const px = (t: number): string => {
    let s = pxText.get(t);
    if (s === undefined) pxText.set(t, (s = shortest(ins.ticksToPrice(t))));
    return s;
  };
  const sz = (l: number): string => shortest(ins.lotsToQty(l));
  // the size texts of the book as sent (the checksum is over the texts exactly as sent)
  const szText: [Map<number, string>, Map<number, string>] = [new Map(), new Map()];
  const level = (side: number, p: number, l: number): string[] => {
    const s = sz(l);
    if (l === 0) szText[side]!.delete(p);
    else szText[side]!.set(p, s);
    return [px(p), s, '0', String(1 + (l % 7))];
  };
  // the string `bidPx:bidSz:askPx:askSz:…` as bytes (ASCII texts; every field after a ':', the first one dropped)
  const buf = new Uint8Array(64 * 1024);
  let w = 0;
  const put = (text: string): void => {
    buf[w++] = 58;
    for (let i = 0; i < text.length; i++) buf[w++] = text.charCodeAt(i);
  };
  const checksum = (): number => {
    const bids = walk.sides[BID].prices;
    const asks = walk.sides[ASK].prices;
    w = 0;
    for (let i = 0; i < 25; i++) {
      if (i < bids.length) {
        put(px(bids[i]!));
        put(szText[BID].get(bids[i]!)!);
      }
      if (i < asks.length) {
        put(px(asks[i]!));
        put(szText[ASK].get(asks[i]!)!);
      }
    }
    return crc32(buf.subarray(w === 0 ? 0 : 1, w)) | 0;
  };
  const arg = { channel: 'books', instId: ins.symbol };
  const start = walk.book();
  let seqId = 10_000;
  const snap = {
    arg,
    action: 'snapshot',
    data: [{
      asks: start.asks.map(([p, l]) => level(ASK, p, l)),
      bids: start.bids.map(([p, l]) => level(BID, p, l)),
      ts: String(startMs),
      checksum: checksum(),
      prevSeqId: -1,
      seqId,
    }],
  };
  const messages = new Array<string>(updates);
  let levelChanges = 0;
  for (let i = 0; i < updates; i++) {
    walk.next();
    levelChanges += walk.changes.size;
    const bids = walk.changed(BID).map(([p, l]) => level(BID, p, l));
    const asks = walk.changed(ASK).map(([p, l]) => level(ASK, p, l));
    const prevSeqId = seqId;
    seqId += 1 + Math.floor(rnd.next() * 3);
    messages[i] = JSON.stringify({
      arg,
      action: 'update',
      data: [{ asks, bids, ts: String(startMs + Math.floor(i / 10)), checksum: checksum(), prevSeqId, seqId }],
    });
  }
  return { snapshot: JSON.stringify(snap), messages, levelChanges, final: walk.book() };
}
