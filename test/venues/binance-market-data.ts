/**
 * Public market data of the fake Binance: what real Binance spot publishes for a book kept by the venue's matching
 * engine (every resting order, the seeded `liquidity` ladder included), and the trades of its own matches.
 *
 *  - Update ids: every change of a price level's total quantity takes the book's next update id, as it happens (a
 *    change is seen when the book is looked at: on each 100 ms tick and on every REST snapshot).
 *  - `GET /api/v3/depth` answers the book as it is now with `lastUpdateId` = the last id taken.
 *  - `<symbol>@depth@100ms`: every 100 ms, when levels changed, one `depthUpdate` event with `U` = the first id and
 *    `u` = the last id taken since the previous event, `E` = event time, and each changed level's new absolute
 *    quantity (`"0.00000000"` = removed). A snapshot taken mid-interval falls inside the next event's [U, u], as on
 *    the real venue, so a client's `U <= lastUpdateId + 1 <= u` rule is exercised.
 *  - `<symbol>@trade`: one `trade` event per match (`t` trade id, `p`, `q`, `T` trade time, `m` buyer is maker).
 *  - Sockets: `/ws` (and `/ws/<stream>[/<stream>…]`) send raw events; `/stream?streams=a/b` sends `{stream, data}`.
 *    Both take `SUBSCRIBE` / `UNSUBSCRIBE` / `LIST_SUBSCRIPTIONS` / `SET_PROPERTY` / `GET_PROPERTY` requests
 *    `{method, params, id}` answered `{result, id}` (errors `{error: {code, msg}, id}`).
 *
 * Faults (faults.ts): bookGap, bookOffGrid, marketStallMs, dropMarketSockets.
 *
 * Test harness: `setLevel` puts a known quantity at a price (through liquidity orders, so the book, the snapshot and
 * the stream all agree); `churn` makes seeded random level changes and small taker trades; a market maker runs
 * `churn` on a timer.
 */
import type { WebSocket } from 'ws';
import { randomSource } from '../../adapters/paper/prng.js';
import { formatAmount } from './decimal.js';
import { sendJson } from './fake-server.js';
import type { FaultInjector } from './faults.js';
import type { Instrument, LadderSpec, OrderSide, VenueCore, VenueEvent } from './venue-core.js';

const BUY = 0;
const SELL = 1;
const TICK_MS = 100;

interface PublicBook {
  readonly inst: Instrument;
  /** Venue symbol id (BTCUSDT) and its stream prefix (btcusdt). */
  readonly id: string;
  readonly stream: string;
  updateId: number;
  /** Level totals (ticks -> lots) as of updateId, bids and asks. */
  readonly known: [Map<number, number>, Map<number, number>];
  /** Changes not published yet (latest absolute quantity per level). */
  readonly pending: [Map<number, number>, Map<number, number>];
  /** First update id of the pending changes (0: none). */
  pendingU: number;
}

interface MarketSocket {
  readonly ws: WebSocket;
  /** `/stream`: events wrapped as {stream, data}. */
  combined: boolean;
  readonly streams: Set<string>;
  /** Date.now() until which the socket sends nothing (marketStallMs). */
  stalledUntil: number;
}

export interface MarketMakerOptions {
  /** Ticks between rounds (default 50 ms). */
  intervalMs?: number;
  /** Changes per symbol per round (default 3). */
  changes?: number;
  seed?: number;
  /** Symbols (default: every symbol with a ladder). */
  symbols?: string[];
}

export interface DepthSnapshot {
  lastUpdateId: number;
  bids: string[][];
  asks: string[][];
}

export class BinanceMarketData {
  private readonly books = new Map<string, PublicBook>();
  private readonly sockets = new Set<MarketSocket>();
  private timer: NodeJS.Timeout | undefined;
  private makerTimer: NodeJS.Timeout | undefined;
  private lastTradeId = 0;
  private mmCounter = 0;
  private closed = false;
  private readonly unsubscribe: () => void;
  /** depthUpdate events sent (counting each event once, whatever the number of sockets). */
  depthEvents = 0;

  constructor(
    private readonly core: VenueCore,
    private readonly faults: FaultInjector,
    private readonly ladders: Record<string, LadderSpec | null | undefined>,
    venueSymbol: (symbol: string) => string,
  ) {
    let first = 7_000_000;
    for (const inst of core.instruments.values()) {
      const id = venueSymbol(inst.spec.symbol);
      this.books.set(inst.spec.symbol, {
        inst,
        id,
        stream: id.toLowerCase(),
        updateId: first,
        known: [new Map(), new Map()],
        pending: [new Map(), new Map()],
        pendingU: 0,
      });
      first += 1_000_000;
    }
    // the seeded book as of the start: its levels have update ids, with nothing left to publish
    for (const b of this.books.values()) {
      this.sync(b);
      b.pending[BUY].clear();
      b.pending[SELL].clear();
      b.pendingU = 0;
    }
    this.unsubscribe = core.onEvent((ev) => this.onVenueEvent(ev));
    faults.onMarketStall = (ms) => this.stall(ms);
    faults.onDropMarketSockets = () => this.dropSockets();
  }

  // ------------------------------------------------------------------ sockets

  /** Serves a market-data socket: `/ws`, `/ws/<streams>` or `/stream?streams=`. */
  attach(ws: WebSocket, url: URL): void {
    const combined = url.pathname === '/stream';
    const initial = combined ? (url.searchParams.get('streams') ?? '') : url.pathname.startsWith('/ws/') ? url.pathname.slice(4) : '';
    const sock: MarketSocket = { ws, combined, streams: new Set(initial.split('/').filter((x) => x !== '')), stalledUntil: 0 };
    this.sockets.add(sock);
    this.ensureTicking();
    ws.on('close', () => this.sockets.delete(sock));
    ws.on('message', (data) => this.onRequest(sock, String(data)));
  }

  /** Market-data sockets open. */
  get socketCount(): number {
    return this.sockets.size;
  }

  /** Streams subscribed on the market-data sockets (one entry per socket and stream). */
  subscriptions(): string[] {
    const out: string[] = [];
    for (const s of this.sockets) out.push(...s.streams);
    return out;
  }

  private onRequest(sock: MarketSocket, text: string): void {
    if (sock.stalledUntil > Date.now()) return; // a frozen connection answers nothing
    let msg: { method?: unknown; params?: unknown; id?: unknown };
    try {
      msg = JSON.parse(text) as typeof msg;
    } catch {
      sendJson(sock.ws, { error: { code: 3, msg: 'Invalid JSON: expected value at line 1 column 1' }, id: null });
      return;
    }
    const id = msg.id ?? null;
    const params = msg.params;
    const strings = Array.isArray(params) && params.every((p) => typeof p === 'string') ? (params as string[]) : undefined;
    switch (msg.method) {
      case 'SUBSCRIBE':
      case 'UNSUBSCRIBE':
        if (strings === undefined) {
          sendJson(sock.ws, { error: { code: 2, msg: 'Invalid request: params must be an array of stream names' }, id });
          return;
        }
        for (const p of strings) {
          if (msg.method === 'SUBSCRIBE') sock.streams.add(p);
          else sock.streams.delete(p);
        }
        sendJson(sock.ws, { result: null, id });
        return;
      case 'LIST_SUBSCRIPTIONS':
        sendJson(sock.ws, { result: [...sock.streams], id });
        return;
      case 'SET_PROPERTY':
        if (Array.isArray(params) && params[0] === 'combined' && typeof params[1] === 'boolean') {
          sock.combined = params[1];
          sendJson(sock.ws, { result: null, id });
        } else {
          sendJson(sock.ws, { error: { code: 2, msg: 'Invalid request: unknown property' }, id });
        }
        return;
      case 'GET_PROPERTY':
        sendJson(sock.ws, { result: sock.combined, id });
        return;
      default:
        sendJson(sock.ws, { error: { code: 2, msg: 'Invalid request: unknown method' }, id });
    }
  }

  private stall(ms: number): void {
    const until = Date.now() + ms;
    for (const s of this.sockets) s.stalledUntil = until;
  }

  /** Closes every market-data socket abruptly. */
  dropSockets(): void {
    for (const s of this.sockets) s.ws.terminate();
    this.sockets.clear();
  }

  private publish(stream: string, payload: Record<string, unknown>): void {
    const now = Date.now();
    let raw: string | undefined;
    let wrapped: string | undefined;
    for (const s of this.sockets) {
      if (!s.streams.has(stream) || s.stalledUntil > now) continue;
      if (s.combined) sendJson(s.ws, (wrapped ??= JSON.stringify({ stream, data: payload })));
      else sendJson(s.ws, (raw ??= JSON.stringify(payload)));
    }
  }

  private subscribed(stream: string): boolean {
    for (const s of this.sockets) if (s.streams.has(stream)) return true;
    return false;
  }

  // ------------------------------------------------------------------ book

  private book(symbol: string): PublicBook {
    const b = this.books.get(symbol);
    if (b === undefined) throw new Error(`unknown symbol ${symbol}`);
    return b;
  }

  /** Takes an update id for every level whose total changed since the book was last looked at. */
  private sync(b: PublicBook): void {
    for (const side of [BUY, SELL] as const) {
      const known = b.known[side];
      const seen = new Set<number>();
      for (const [p, q] of this.core.levels(b.inst.spec.symbol, side === BUY ? 'BUY' : 'SELL')) {
        seen.add(p);
        if (known.get(p) !== q) this.change(b, side, p, q);
      }
      const gone: number[] = [];
      for (const p of known.keys()) if (!seen.has(p)) gone.push(p);
      for (const p of gone) this.change(b, side, p, 0);
    }
  }

  private change(b: PublicBook, side: number, price: number, qty: number): void {
    b.updateId++;
    if (b.pendingU === 0) b.pendingU = b.updateId;
    b.pending[side]!.set(price, qty);
    if (qty === 0) b.known[side]!.delete(price);
    else b.known[side]!.set(price, qty);
  }

  /** The REST depth answer: the book now, best first, `limit` levels a side. */
  snapshot(symbol: string, limit: number): DepthSnapshot {
    const b = this.book(symbol);
    this.sync(b);
    const side = (s: OrderSide): string[][] =>
      this.core.levels(symbol, s, limit).map(([p, q]) => [b.inst.price.format(p, 8), b.inst.lot.format(q, 8)]);
    return { lastUpdateId: b.updateId, bids: side('BUY'), asks: side('SELL') };
  }

  /** The book's last update id (after looking at it). */
  updateId(symbol: string): number {
    const b = this.book(symbol);
    this.sync(b);
    return b.updateId;
  }

  private ensureTicking(): void {
    if (this.timer !== undefined || this.closed) return;
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  /** One 100 ms interval: a depthUpdate per symbol whose book changed. */
  tick(): void {
    for (const b of this.books.values()) {
      this.sync(b);
      if (b.pendingU === 0) continue;
      const levels = (side: number, desc: boolean): string[][] =>
        [...b.pending[side]!.entries()]
          .sort((x, y) => (desc ? y[0] - x[0] : x[0] - y[0]))
          .map(([p, q]) => [b.inst.price.format(p, 8), b.inst.lot.format(q, 8)]);
      const ev = { e: 'depthUpdate', E: this.core.now(), s: b.id, U: b.pendingU, u: b.updateId, b: levels(BUY, true), a: levels(SELL, false) };
      b.pending[BUY].clear();
      b.pending[SELL].clear();
      b.pendingU = 0;
      const stream = `${b.stream}@depth@100ms`;
      if (!this.subscribed(stream)) continue;
      if (this.faults.take('bookGap')) continue; // never sent: the next event's U skips these ids
      if (this.faults.take('bookOffGrid')) ev.b.unshift(this.offGridLevel(b));
      this.depthEvents++;
      this.publish(stream, ev);
    }
  }

  /** A level half a tick above the best bid (or the ladder's mid): not on the instrument's tick grid. */
  private offGridLevel(b: PublicBook): string[] {
    let best = 0;
    for (const p of b.known[BUY].keys()) if (p > best) best = p;
    const amount = b.inst.price.amount(best) + (b.inst.price.increment / 2n || 1n);
    return [formatAmount(amount), b.inst.lot.format(1, 8)];
  }

  // ------------------------------------------------------------------ trades

  private onVenueEvent(ev: VenueEvent): void {
    if (ev.type !== 'order' || ev.fill === undefined) return;
    const f = ev.fill;
    if (f.tradeId <= this.lastTradeId) return; // the other side of a trade already published
    this.lastTradeId = f.tradeId;
    const b = this.books.get(f.symbol);
    if (b === undefined) return;
    const stream = `${b.stream}@trade`;
    if (!this.subscribed(stream)) return;
    this.publish(stream, {
      e: 'trade',
      E: this.core.now(),
      s: b.id,
      t: f.tradeId,
      p: b.inst.price.format(f.price, 8),
      q: b.inst.lot.format(f.qty, 8),
      T: f.time,
      // the buyer is the maker when the buy side of this fill rested, i.e. the seller took liquidity
      m: (f.side === 'BUY') === f.maker,
      M: true,
    });
  }

  // ------------------------------------------------------------------ harness

  /**
   * Sets the total quantity at a price level (decimal strings; qty '0' removes what the liquidity account has
   * there) through liquidity orders: the book, snapshots and the stream all show it. Refuses a price that would
   * trade, and a total below the other accounts' orders resting there.
   */
  setLevel(symbol: string, side: OrderSide | 'buy' | 'sell', price: string, qty: string): void {
    const b = this.book(symbol);
    const s = String(side).toUpperCase() as OrderSide;
    if (s !== 'BUY' && s !== 'SELL') throw new Error(`bad side ${side}`);
    const p = b.inst.price.steps(price);
    const q = b.inst.lot.steps(qty);
    if (typeof p !== 'number' || p <= 0) throw new Error(`bad price ${price}: ${String(p)}`);
    if (typeof q !== 'number') throw new Error(`bad qty ${qty}: ${String(q)}`);
    this.setLevelTicks(b, s, p, q);
  }

  /** setLevel in ticks and lots; false when refused (the price would trade, or others rest more than `lots`). */
  private setLevelTicks(b: PublicBook, side: OrderSide, price: number, lots: number, strict = true): boolean {
    const symbol = b.inst.spec.symbol;
    if (this.core.wouldTake(symbol, side, price)) {
      if (strict) throw new Error(`${side} at ${b.inst.price.format(price)} would trade`);
      return false;
    }
    let others = 0;
    for (const o of this.core.listOrders({ symbol, open: true })) if (o.side === side && o.price === price) others += o.qty - o.filled;
    if (lots !== 0 && lots < others) {
      if (strict) throw new Error(`other accounts rest ${others} lots at ${b.inst.price.format(price)}`);
      return false;
    }
    for (const o of this.core.listOrders({ owner: 0, symbol, open: true })) if (o.side === side && o.price === price) this.core.cancel(0, { id: o.id });
    const want = lots - others;
    if (want > 0) {
      const r = this.core.place(0, { symbol, side, kind: 'LIMIT', tif: 'GTC', priceTicks: price, qtyLots: want, clientOrderId: `mm${++this.mmCounter}` });
      if (!r.ok) throw new Error(`liquidity order refused: ${r.reason}`);
    }
    return true;
  }

  /**
   * `n` seeded random changes of a symbol's book around its ladder (levels set, resized or removed) and, now and
   * then, a small market order from account 'other' (a trade). Returns the changes made.
   */
  churn(symbol: string, n: number, random: () => number = randomSource(this.mmCounter + 1)): number {
    const b = this.book(symbol);
    const spec = this.ladders[symbol];
    if (spec == null) throw new Error(`no ladder for ${symbol}: nothing to churn around`);
    const mid = b.inst.price.steps(spec.mid) as number;
    const spacing = b.inst.price.steps(spec.spacing) as number;
    const qty = b.inst.lot.steps(spec.qty) as number;
    const other = this.core.accountByName('other');
    let done = 0;
    for (let i = 0; i < n; i++) {
      const r = random();
      if (r < 0.1 && other !== undefined) {
        const side: OrderSide = random() < 0.5 ? 'BUY' : 'SELL';
        const [best] = this.core.levels(symbol, side === 'BUY' ? 'SELL' : 'BUY', 1);
        if (best === undefined) continue;
        const lots = 1 + Math.floor(random() * best[1]);
        const res = this.core.place(other.owner, { symbol, side, kind: 'MARKET', tif: 'GTC', qtyLots: lots, clientOrderId: `mmt${++this.mmCounter}` });
        if (res.ok) done++;
        continue;
      }
      const side: OrderSide = random() < 0.5 ? 'BUY' : 'SELL';
      const k = 1 + Math.floor(random() * (spec.levels + 5));
      const price = side === 'BUY' ? mid - k * spacing : mid + k * spacing;
      if (price <= 0) continue;
      const lots = random() < 0.25 ? 0 : 1 + Math.floor(random() * qty * 2);
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

  close(): void {
    this.closed = true;
    this.stopMarketMaker();
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.unsubscribe();
    this.dropSockets();
  }
}
