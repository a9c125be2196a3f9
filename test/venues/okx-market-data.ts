/**
 * Public market data of the fake OKX (`/ws/v5/public`): what real OKX spot publishes for a book kept by the venue's
 * matching engine (every resting order, the seeded `liquidity` ladder included), and the trades of its own matches.
 *
 *  - `{"op":"subscribe","args":[{"channel":"books","instId":"BTC-USDT"},{"channel":"trades",…}]}`: each arg answered
 *    `{"event":"subscribe","arg":{…},"connId":…}` (an unknown channel or instrument: `{"event":"error","code":"60018",…}`);
 *    `unsubscribe` the same way. The text `ping` is answered `pong`.
 *  - `books` (400 levels a side): after the subscribe answer, `action: snapshot` with `prevSeqId: -1`, then `update`s
 *    every `publishMs` (OKX: 100 ms) when levels changed: each changed level's absolute `[px, sz, "0", numOrders]`
 *    (`sz` "0" = removed; a level leaving the top 400 is removed too). seqId and prevSeqId are per instrument and the
 *    same on every connection; seqIds grow by 1 to 3 (they are not contiguous at OKX either) and an update's
 *    prevSeqId is the previous message's seqId. A book with no change for `idleMs` gets OKX's no-change message:
 *    empty `asks`/`bids`, `seqId == prevSeqId` == the last seqId. Every book message carries `ts` and `checksum`:
 *    CRC32 (signed 32-bit, node:zlib — independent of the daemon's own CRC) of the top 25 levels interleaved
 *    `bidPx:bidSz:askPx:askSz:…` with the texts as sent. Prices and sizes are printed in their shortest form.
 *  - `trades`: one message per match `{instId, tradeId, px, sz, side, ts, count: "1", source: "0"}`, `side` = the
 *    taker's side.
 *
 * Faults (faults.ts): bookGap (update not sent: its seqId is skipped), bookOffGrid (an update carries one extra bid
 * half a tick above the best bid; the next update removes it), bookChecksum (a book message with a wrong checksum),
 * marketStallMs (the public sockets open now send nothing, not even `pong`, for that long; they stay open),
 * dropMarketSockets (the public sockets are closed abruptly).
 *
 * Test harness: `setLevel` puts a known total quantity at a price (through liquidity orders, so the engine, the
 * snapshot and the updates agree) and `publishNow` sends the resulting update at once; `book` is the engine's book
 * as OKX prints it (what a synced client must hold); `churn` makes seeded random level changes (any tick of a band
 * around the ladder, so books run well past 25 levels) and small taker trades; a market maker runs `churn` on a timer.
 */
import { crc32 as zlibCrc32 } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import type { WebSocket } from 'ws';
import { randomSource } from '../../adapters/paper/prng.js';
import { formatAmount } from './decimal.js';
import { sendJson } from './fake-server.js';
import type { FaultInjector } from './faults.js';
import type { Instrument, LadderSpec, OrderSide, VenueCore, VenueEvent } from './venue-core.js';

const BIDS = 0;
const ASKS = 1;
/** Levels a side of OKX's `books` channel. */
export const BOOKS_DEPTH = 400;
const CHECKSUM_LEVELS = 25;

export interface OkxMarketDataOptions {
  /** Book update interval, ms (OKX `books`: 100). */
  publishMs?: number;
  /** A book with no change for this long gets a no-change message, ms (default 5000). */
  idleMs?: number;
  /** Seed of the seqId increments. */
  seed?: number;
  /** Start a market maker at once (a live market; stopMarketMaker() ends it). */
  marketMaker?: MarketMakerOptions;
}

export interface MarketMakerOptions {
  /** Ms between rounds (default 50). */
  intervalMs?: number;
  /** Changes per symbol per round (default 3). */
  changes?: number;
  seed?: number;
  /** Symbols (default: every symbol with a ladder). */
  symbols?: string[];
}

interface PubLevel {
  /** Sort key: price in ticks (an off-grid level: fractional). */
  key: number;
  px: string;
  sz: string;
  n: string;
}

interface PublicBook {
  readonly inst: Instrument;
  seqId: number;
  /** What subscribers hold as of seqId: price text -> level, bids and asks. */
  readonly published: [Map<string, PubLevel>, Map<string, PubLevel>];
  /** Date.now() of the last book message sent for this instrument. */
  lastSentMs: number;
}

interface PublicSocket {
  readonly ws: WebSocket;
  readonly connId: string;
  readonly books: Set<string>;
  readonly trades: Set<string>;
  /** Date.now() until which the socket sends nothing (marketStallMs). */
  stalledUntil: number;
}

type Json = Record<string, unknown>;

export class OkxMarketData {
  private readonly books = new Map<string, PublicBook>();
  private readonly sockets = new Set<PublicSocket>();
  private readonly publishMs: number;
  private readonly idleMs: number;
  private readonly seqRandom: () => number;
  private timer: NodeJS.Timeout | undefined;
  private makerTimer: NodeJS.Timeout | undefined;
  private lastTradeId = 0;
  private mmCounter = 0;
  private closed = false;
  private readonly unsubscribe: () => void;
  /** Book messages sent, per kind (each message counted once, whatever the number of sockets). */
  readonly sent = { snapshots: 0, updates: 0, noChange: 0, trades: 0 };

  constructor(
    private readonly core: VenueCore,
    private readonly faults: FaultInjector,
    private readonly ladders: Record<string, LadderSpec | null | undefined>,
    options: OkxMarketDataOptions = {},
  ) {
    this.publishMs = options.publishMs ?? 100;
    this.idleMs = options.idleMs ?? 5000;
    this.seqRandom = randomSource(options.seed ?? 0x0c5);
    let first = 1_000;
    for (const inst of core.instruments.values()) {
      this.books.set(inst.spec.symbol, { inst, seqId: first, published: [new Map(), new Map()], lastSentMs: 0 });
      first += 1_000_000;
    }
    this.unsubscribe = core.onEvent((ev) => this.onVenueEvent(ev));
    faults.onMarketStall = (ms) => this.stall(ms);
    faults.onDropMarketSockets = () => this.dropSockets();
    if (options.marketMaker !== undefined) this.startMarketMaker(options.marketMaker);
  }

  close(): void {
    this.closed = true;
    this.stopMarketMaker();
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.unsubscribe();
  }

  // ------------------------------------------------------------------ sockets

  /** Serves a `/ws/v5/public` socket. */
  attach(ws: WebSocket): void {
    const sock: PublicSocket = { ws, connId: randomBytes(4).toString('hex'), books: new Set(), trades: new Set(), stalledUntil: 0 };
    this.sockets.add(sock);
    this.ensureTicking();
    ws.on('close', () => this.sockets.delete(sock));
    ws.on('message', (data) => this.onRequest(sock, String(data)));
  }

  /** Public sockets open. */
  get socketCount(): number {
    return this.sockets.size;
  }

  /** Subscriptions on the public sockets ('books:BTC-USDT', one entry per socket and subscription). */
  subscriptions(): string[] {
    const out: string[] = [];
    for (const s of this.sockets) {
      for (const i of s.books) out.push(`books:${i}`);
      for (const i of s.trades) out.push(`trades:${i}`);
    }
    return out;
  }

  private send(sock: PublicSocket, value: unknown): void {
    if (sock.stalledUntil > Date.now()) return; // a frozen connection sends nothing
    sendJson(sock.ws, value);
  }

  private onRequest(sock: PublicSocket, text: string): void {
    if (text === 'ping') {
      if (sock.stalledUntil <= Date.now() && sock.ws.readyState === sock.ws.OPEN) sock.ws.send('pong');
      return;
    }
    if (sock.stalledUntil > Date.now()) return; // requests are lost with the replies
    let msg: Json;
    try {
      msg = JSON.parse(text) as Json;
    } catch {
      this.send(sock, { event: 'error', code: '60012', msg: `Invalid request: ${text}`, connId: sock.connId });
      return;
    }
    const op = msg['op'];
    const args = msg['args'];
    if ((op !== 'subscribe' && op !== 'unsubscribe') || !Array.isArray(args) || args.length === 0) {
      this.send(sock, { event: 'error', code: '60012', msg: `Invalid request: ${text}`, connId: sock.connId });
      return;
    }
    for (const a of args as Json[]) {
      const channel = typeof a?.['channel'] === 'string' ? (a['channel'] as string) : '';
      const instId = typeof a?.['instId'] === 'string' ? (a['instId'] as string) : '';
      const b = this.books.get(instId);
      if ((channel !== 'books' && channel !== 'trades') || b === undefined) {
        this.send(sock, {
          event: 'error',
          code: '60018',
          msg: `Wrong URL or channel:${channel},instId:${instId} doesn't exist. Please use the correct URL, channel and parameters referring to API document.`,
          connId: sock.connId,
        });
        continue;
      }
      const set = channel === 'books' ? sock.books : sock.trades;
      const arg = { channel, instId };
      if (op === 'unsubscribe') {
        set.delete(instId);
        this.send(sock, { event: 'unsubscribe', arg, connId: sock.connId });
        continue;
      }
      const had = set.has(instId);
      // bring the other subscribers up to date first: the snapshot is the book as of the last seqId
      if (channel === 'books' && !had) this.publish(b);
      set.add(instId);
      this.send(sock, { event: 'subscribe', arg, connId: sock.connId });
      if (channel === 'books' && !had) this.sendSnapshot(sock, b);
    }
  }

  private stall(ms: number): void {
    const until = Date.now() + ms;
    for (const s of this.sockets) s.stalledUntil = until;
  }

  /** Closes every public socket abruptly. */
  dropSockets(): void {
    for (const s of this.sockets) s.ws.terminate();
    this.sockets.clear();
  }

  private subscribed(channel: 'books' | 'trades', instId: string): boolean {
    for (const s of this.sockets) if ((channel === 'books' ? s.books : s.trades).has(instId)) return true;
    return false;
  }

  private broadcast(channel: 'books' | 'trades', instId: string, text: string): void {
    for (const s of this.sockets) if ((channel === 'books' ? s.books : s.trades).has(instId)) this.send(s, text);
  }

  // ------------------------------------------------------------------ books

  private bookOf(symbol: string): PublicBook {
    const b = this.books.get(symbol);
    if (b === undefined) throw new Error(`unknown symbol ${symbol}`);
    return b;
  }

  private ensureTicking(): void {
    if (this.timer !== undefined || this.closed) return;
    this.timer = setInterval(() => this.tick(), this.publishMs);
    this.timer.unref();
  }

  /** One publishing interval: an update per subscribed book that changed (or a no-change message when idle). */
  tick(): void {
    for (const b of this.books.values()) if (this.subscribed('books', b.inst.spec.symbol)) this.publish(b, true);
  }

  /** Publishes every pending book change now (tests: after setLevel, instead of waiting for the next interval). */
  publishNow(symbol?: string): void {
    for (const b of this.books.values()) if (symbol === undefined || b.inst.spec.symbol === symbol) this.publish(b, false);
  }

  /** Resting orders per price level, bids and asks (OKX's numOrders). */
  private orderCounts(b: PublicBook): [Map<number, number>, Map<number, number>] {
    const counts: [Map<number, number>, Map<number, number>] = [new Map(), new Map()];
    for (const o of this.core.listOrders({ symbol: b.inst.spec.symbol, open: true, includeLiquidity: true })) {
      const m = counts[o.side === 'BUY' ? BIDS : ASKS];
      m.set(o.price, (m.get(o.price) ?? 0) + 1);
    }
    return counts;
  }

  /** The engine's book now as OKX prints it: top `depth` levels, [px, sz, '0', numOrders], best first. */
  private engineLevels(b: PublicBook, side: number, depth: number, counts = this.orderCounts(b)[side]!): PubLevel[] {
    const symbol = b.inst.spec.symbol;
    return this.core.levels(symbol, side === BIDS ? 'BUY' : 'SELL', depth).map(([p, q]) => ({
      key: p,
      px: formatAmount(b.inst.price.amount(p)),
      sz: formatAmount(b.inst.lot.amount(q)),
      n: String(counts.get(p) ?? 1),
    }));
  }

  /** Diffs the engine's book against what subscribers hold and sends the update (or, when `idle`, a no-change). */
  private publish(b: PublicBook, idleCheck = false): void {
    const changes: [PubLevel[], PubLevel[]] = [[], []];
    const counts = this.orderCounts(b);
    for (const side of [BIDS, ASKS]) {
      const pub = b.published[side]!;
      const now = this.engineLevels(b, side, BOOKS_DEPTH, counts[side]);
      const seen = new Set<string>();
      for (const l of now) {
        seen.add(l.px);
        const had = pub.get(l.px);
        if (had === undefined || had.sz !== l.sz || had.n !== l.n) {
          pub.set(l.px, l);
          changes[side]!.push(l);
        }
      }
      for (const [px, l] of [...pub]) {
        if (seen.has(px)) continue;
        pub.delete(px);
        changes[side]!.push({ key: l.key, px, sz: '0', n: '0' });
      }
    }
    const now = Date.now();
    if (changes[BIDS].length === 0 && changes[ASKS].length === 0) {
      if (idleCheck && now - b.lastSentMs >= this.idleMs && this.subscribed('books', b.inst.spec.symbol)) {
        b.lastSentMs = now;
        this.sent.noChange++;
        this.sendBook(b, 'update', [], [], b.seqId, b.seqId);
      }
      return;
    }
    if (this.faults.take('bookOffGrid')) {
      const off = this.offGridLevel(b);
      b.published[BIDS].set(off.px, off);
      changes[BIDS].push(off);
    }
    const prev = b.seqId;
    b.seqId += 1 + Math.floor(this.seqRandom() * 3);
    b.lastSentMs = now;
    const order = (side: number) => (x: PubLevel, y: PubLevel): number => (side === BIDS ? y.key - x.key : x.key - y.key);
    changes[BIDS].sort(order(BIDS));
    changes[ASKS].sort(order(ASKS));
    if (!this.subscribed('books', b.inst.spec.symbol)) return;
    if (this.faults.take('bookGap')) return; // never sent: the next update's prevSeqId is this one's seqId
    this.sent.updates++;
    this.sendBook(b, 'update', changes[BIDS], changes[ASKS], prev, b.seqId);
  }

  /** A bid half a tick above the best bid (or the ladder's mid): not on the instrument's tick grid. */
  private offGridLevel(b: PublicBook): PubLevel {
    let best = -Infinity;
    for (const l of b.published[BIDS].values()) if (l.key > best) best = l.key;
    if (!Number.isFinite(best)) best = 0;
    const ticks = Math.floor(best);
    const amount = b.inst.price.amount(ticks) + (b.inst.price.increment / 2n || 1n);
    return { key: ticks + 0.5, px: formatAmount(amount), sz: formatAmount(b.inst.lot.amount(1)), n: '1' };
  }

  private sorted(b: PublicBook, side: number): PubLevel[] {
    return [...b.published[side]!.values()].sort((x, y) => (side === BIDS ? y.key - x.key : x.key - y.key));
  }

  /** OKX's checksum of what subscribers hold. */
  private checksum(b: PublicBook): number {
    const bids = this.sorted(b, BIDS).slice(0, CHECKSUM_LEVELS);
    const asks = this.sorted(b, ASKS).slice(0, CHECKSUM_LEVELS);
    const parts: string[] = [];
    for (let i = 0; i < Math.max(bids.length, asks.length); i++) {
      if (i < bids.length) parts.push(bids[i]!.px, bids[i]!.sz);
      if (i < asks.length) parts.push(asks[i]!.px, asks[i]!.sz);
    }
    return zlibCrc32(parts.join(':')) | 0;
  }

  private sendBook(b: PublicBook, action: 'snapshot' | 'update', bids: PubLevel[], asks: PubLevel[], prevSeqId: number, seqId: number, to?: PublicSocket): void {
    let checksum = this.checksum(b);
    if (this.faults.take('bookChecksum')) checksum = (checksum ^ 0x2545f491) | 0;
    const level = (l: PubLevel): string[] => [l.px, l.sz, '0', l.n];
    const text = JSON.stringify({
      arg: { channel: 'books', instId: b.inst.spec.symbol },
      action,
      data: [{ asks: asks.map(level), bids: bids.map(level), ts: String(this.core.now()), checksum, prevSeqId, seqId }],
    });
    if (to !== undefined) this.send(to, text);
    else this.broadcast('books', b.inst.spec.symbol, text);
  }

  private sendSnapshot(sock: PublicSocket, b: PublicBook): void {
    this.sent.snapshots++;
    this.sendBook(b, 'snapshot', this.sorted(b, BIDS), this.sorted(b, ASKS), -1, b.seqId, sock);
  }

  /** The book's last seqId. */
  seqId(symbol: string): number {
    return this.bookOf(symbol).seqId;
  }

  /** The engine's book now as OKX prints it, `depth` levels a side, [px, sz] best first (what a synced client holds). */
  book(symbol: string, depth = BOOKS_DEPTH): { bids: string[][]; asks: string[][] } {
    const b = this.bookOf(symbol);
    const side = (s: number): string[][] => this.engineLevels(b, s, depth).map((l) => [l.px, l.sz]);
    return { bids: side(BIDS), asks: side(ASKS) };
  }

  // ------------------------------------------------------------------ trades

  private onVenueEvent(ev: VenueEvent): void {
    if (ev.type !== 'order' || ev.fill === undefined) return;
    const f = ev.fill;
    if (f.tradeId <= this.lastTradeId) return; // the other side of a trade already published
    this.lastTradeId = f.tradeId;
    const b = this.books.get(f.symbol);
    if (b === undefined || !this.subscribed('trades', f.symbol)) return;
    // the buyer is the maker when the buy side of this fill rested: then the seller took liquidity
    const buyerMaker = (f.side === 'BUY') === f.maker;
    this.sent.trades++;
    this.broadcast(
      'trades',
      f.symbol,
      JSON.stringify({
        arg: { channel: 'trades', instId: f.symbol },
        data: [
          {
            instId: f.symbol,
            tradeId: String(f.tradeId),
            px: formatAmount(b.inst.price.amount(f.price)),
            sz: formatAmount(b.inst.lot.amount(f.qty)),
            side: buyerMaker ? 'sell' : 'buy',
            ts: String(f.time),
            count: '1',
            source: '0',
          },
        ],
      }),
    );
  }

  // ------------------------------------------------------------------ harness

  /**
   * Sets the total quantity at a price level (decimal strings; qty '0' removes what the liquidity account has
   * there) through liquidity orders: the engine, snapshots and updates all show it (the update goes out with the
   * next interval, or at once with publishNow). Refuses a price that would trade, and a total below the other
   * accounts' orders resting there.
   */
  setLevel(symbol: string, side: OrderSide | 'buy' | 'sell', price: string, qty: string): void {
    const b = this.bookOf(symbol);
    const s = String(side).toUpperCase() as OrderSide;
    if (s !== 'BUY' && s !== 'SELL') throw new Error(`bad side ${side}`);
    const p = b.inst.price.steps(price);
    const q = b.inst.lot.steps(qty);
    if (typeof p !== 'number' || p <= 0) throw new Error(`bad price ${price}: ${String(p)}`);
    if (typeof q !== 'number') throw new Error(`bad qty ${qty}: ${String(q)}`);
    this.setLevelTicks(b, s, p, q, true);
  }

  /** setLevel in ticks and lots; false when refused (the price would trade, or others rest more than `lots`). */
  private setLevelTicks(b: PublicBook, side: OrderSide, price: number, lots: number, strict: boolean): boolean {
    const symbol = b.inst.spec.symbol;
    if (lots > 0 && this.core.wouldTake(symbol, side, price)) {
      if (strict) throw new Error(`${side} at ${formatAmount(b.inst.price.amount(price))} would trade`);
      return false;
    }
    let others = 0;
    for (const o of this.core.listOrders({ symbol, open: true })) if (o.side === side && o.price === price) others += o.qty - o.filled;
    if (lots !== 0 && lots < others) {
      if (strict) throw new Error(`other accounts rest ${others} lots at ${formatAmount(b.inst.price.amount(price))}`);
      return false;
    }
    for (const o of this.core.listOrders({ owner: 0, symbol, open: true })) if (o.side === side && o.price === price) this.core.cancel(0, { id: o.id });
    const want = lots - others;
    if (want > 0) {
      const r = this.core.place(0, { symbol, side, kind: 'LIMIT', tif: 'GTC', priceTicks: price, qtyLots: want, clientOrderId: `okmm${++this.mmCounter}` });
      if (!r.ok) throw new Error(`liquidity order refused: ${r.reason}`);
    }
    return true;
  }

  /**
   * `n` seeded random changes of a symbol's book: a level set at any tick of a band around the ladder (bids below
   * its mid, asks above), an existing level removed, or now and then a small market order from account 'other' (a
   * trade). Returns the changes made.
   */
  churn(symbol: string, n: number, random: () => number = randomSource(this.mmCounter + 1)): number {
    const b = this.bookOf(symbol);
    const spec = this.ladders[symbol];
    if (spec == null) throw new Error(`no ladder for ${symbol}: nothing to churn around`);
    const mid = b.inst.price.steps(spec.mid) as number;
    const band = (b.inst.price.steps(spec.spacing) as number) * (spec.levels + 5);
    const qty = b.inst.lot.steps(spec.qty) as number;
    const other = this.core.accountByName('other');
    let done = 0;
    for (let i = 0; i < n; i++) {
      const r = random();
      const side: OrderSide = random() < 0.5 ? 'BUY' : 'SELL';
      if (r < 0.08 && other !== undefined) {
        const [best] = this.core.levels(symbol, side === 'BUY' ? 'SELL' : 'BUY', 1);
        if (best === undefined) continue;
        const lots = 1 + Math.floor(random() * best[1]);
        const res = this.core.place(other.owner, { symbol, side, kind: 'MARKET', tif: 'GTC', qtyLots: lots, clientOrderId: `okmt${++this.mmCounter}` });
        if (res.ok) done++;
        continue;
      }
      if (r < 0.45) {
        const levels = this.core.levels(symbol, side);
        if (levels.length === 0) continue;
        const [price] = levels[Math.floor(random() * levels.length)]!;
        if (this.setLevelTicks(b, side, price, 0, false)) done++;
        continue;
      }
      const k = 1 + Math.floor(random() * band);
      const price = side === 'BUY' ? mid - k : mid + k;
      if (price <= 0) continue;
      const lots = 1 + Math.floor(random() * qty * 2);
      if (this.setLevelTicks(b, side, price, lots, false)) done++;
    }
    return done;
  }

  /** Runs `churn` on a timer until stopMarketMaker() or close. */
  startMarketMaker(options: MarketMakerOptions = {}): void {
    this.stopMarketMaker();
    const random = randomSource(options.seed ?? 1);
    const symbols = options.symbols ?? Object.keys(this.ladders).filter((s) => this.ladders[s] != null && this.books.has(s));
    this.makerTimer = setInterval(() => {
      for (const s of symbols) this.churn(s, options.changes ?? 3, random);
    }, options.intervalMs ?? 50);
    this.makerTimer.unref();
  }

  stopMarketMaker(): void {
    if (this.makerTimer !== undefined) clearInterval(this.makerTimer);
    this.makerTimer = undefined;
  }
}
