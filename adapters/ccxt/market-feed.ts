/**
 * Public market data of a ccxt venue through ccxt pro: `watchOrderBook(symbol, limit)` keeps a synced book per
 * symbol (ccxt does the venue's snapshot and sequence work; OKX's checksum, which ccxt does not check, is checked here
 * on the raw messages: okx-checksum-guard.ts), `watchTrades(symbol)` the trades.
 * Each book ccxt resolves is delivered whole (the top `depth` levels) as one snapshot; each new trade once.
 *
 * ccxt hands prices and sizes over as numbers: each is read back as its shortest decimal text (exact for what a
 * venue sends: short decimals) and converted to ticks and lots like every feed does. A watch that throws (socket
 * closed, sequence gap or checksum failure found by ccxt, a bad message) invalidates that symbol's book with the
 * matching reason and is retried with the venue's reconnect backoff; no news at all from the venue for `stallMs`
 * invalidates its books ('stall') and reopens ccxt's connections. Runs on its own ccxt instance (no keys: public
 * data only).
 */
import { ASK, BID, LevelBuffer } from '../../src/market/feed.js';
import type { MarketFeed, ResyncReason } from '../../src/market/feed.js';
import { decimalTextFromNumber } from '../../src/model/decimal.js';
import type { Instrument } from '../../src/model/instrument.js';
import { Backoff } from '../common/backoff.js';
import { ccxtLib } from './ccxt-lib.js';
import { type MarketFeedDeps, LEVEL_OFF_GRID, LEVEL_OK, priceTicksOf, pushLevel, qtyLotsOf } from '../common/market-feed-deps.js';
import type { UrlOverrides } from '../common/urls.js';
import { adapterSettings } from '../common/settings.js';
import { OkxChecksumGuard } from './okx-checksum-guard.js';
import { profileFor } from './profiles.js';

type Json = Record<string, unknown>;
type Level = [number, number, ...unknown[]];

interface CcxtBook {
  bids: Level[];
  asks: Level[];
  timestamp?: number;
}

interface CcxtTrade {
  id?: string;
  timestamp?: number;
  price: number;
  amount: number;
  side: 'buy' | 'sell';
}

interface CcxtPublic {
  urls: Record<string, unknown>;
  setSandboxMode(on: boolean): void;
  loadHttpProxyAgent(): Promise<void>;
  loadMarkets(): Promise<unknown>;
  watchOrderBook(symbol: string, limit?: number): Promise<CcxtBook>;
  watchTrades(symbol: string): Promise<CcxtTrade[]>;
  unWatchOrderBook?(symbol: string): Promise<unknown>;
  orderbooks: Record<string, unknown>;
  close(): Promise<void>;
}

export interface CcxtFeedOptions {
  readonly exchangeId: string;
  readonly sandbox: boolean;
  readonly urls: UrlOverrides;
}

/**
 * The book size to ask ccxt for: ccxt keeps at most that many levels, and a level removed at the top is only
 * replaced from what it kept — so well beyond `depth` (at least 100: Binance's cheapest snapshot, weight 5), among
 * the sizes the venue accepts.
 */
function bookLimit(exchangeId: string, depth: number): number | undefined {
  const want = Math.max(100, depth * 5);
  const allowed = exchangeId === 'binance' ? [100, 500, 1000, 5000] : exchangeId === 'okx' ? [400] : undefined;
  if (allowed === undefined) return want;
  return allowed.find((l) => l >= want) ?? allowed[allowed.length - 1];
}

/**
 * Why a watch failed, as a resync reason. ccxt names its checksum and sequence errors; for Binance, which has no
 * checksum, ccxt's ChecksumError means an update-id gap.
 */
function reasonOf(err: unknown, exchangeId: string): ResyncReason {
  const text = err instanceof Error ? `${err.name} ${err.message}` : String(err);
  if (/checksum/i.test(text)) return exchangeId === 'binance' ? 'gap' : 'checksum';
  if (/sequence|nonce|gap|out of order/i.test(text)) return 'gap';
  if (/closed|connect|network|timeout|socket|ECONN/i.test(text)) return 'reconnect';
  return 'error';
}

export class CcxtMarketFeed implements MarketFeed {
  readonly venue: string;
  private readonly ex: CcxtPublic;
  private readonly plainWs: boolean;
  private readonly bids: LevelBuffer;
  private readonly asks: LevelBuffer;
  private readonly symbolOf = new Map<number, string>();
  /** Per instrument index: the last trade delivered (time, id), so a trade ccxt hands over again is not sent twice. */
  private readonly lastTrade = new Map<number, { ts: number; ids: Set<string> }>();
  /** Local monotonic ms of the last book or trade ccxt delivered, any symbol (the venue's stream is one connection). */
  private lastNews = 0;
  private readonly offGridLogged = new Set<number>();
  private running = false;
  private loops: Promise<void>[] = [];
  private stallTimer: NodeJS.Timeout | undefined;
  private readonly limit: number | undefined;
  /** OKX only: the books checksum ccxt does not check. */
  private readonly guard: OkxChecksumGuard | undefined;
  /** Symbols this feed unsubscribed itself (their watch's failure is expected, not news). */
  private readonly unwatching = new Set<string>();

  constructor(private readonly deps: MarketFeedDeps, private readonly o: CcxtFeedOptions) {
    this.venue = deps.name;
    const profile = profileFor(o.exchangeId);
    const Ctor = (ccxtLib().pro as unknown as Record<string, new (config: Json) => CcxtPublic>)[o.exchangeId];
    if (typeof Ctor !== 'function') throw new RangeError(`ccxt pro has no exchange "${o.exchangeId}"`);
    const settings = adapterSettings();
    const options = profile.options({ settings, rateLimits: {}, now: () => deps.clock.now() });
    // enableRateLimit off, as in the trading adapter: with it on, ccxt sends a subscription after its throttle without
    // catching the send's failure on a socket that closed meanwhile (an unhandled rejection); our own backoff paces
    // the resubscriptions
    this.ex = new Ctor({ enableRateLimit: false, timeout: settings.requestTimeoutMs, options: { ...options, newUpdates: true } });
    if (o.sandbox) this.ex.setSandboxMode(true);
    const api = profile.api(o.sandbox, o.urls);
    if (api !== undefined) this.ex.urls['api'] = api;
    this.plainWs = /"ws:\/\//.test(JSON.stringify(this.ex.urls['api'] ?? {}));
    this.limit = bookLimit(o.exchangeId, deps.depth);
    this.bids = new LevelBuffer(deps.depth);
    this.asks = new LevelBuffer(deps.depth);
    for (const ins of deps.instruments) this.symbolOf.set(ins.index, `${ins.base}/${ins.quote}`);
    if (o.exchangeId === 'okx') {
      const guard = (this.guard = new OkxChecksumGuard(deps.instruments, (ins) => `${ins.base}-${ins.quote}`, (ins) => {
        deps.sink.invalidate(deps.venue, ins.index, 'checksum');
        deps.log.warn({ venue: this.venue, symbol: ins.symbol }, 'market data: OKX book checksum mismatch; resubscribing');
        void this.resubscribe(this.symbolOf.get(ins.index)!, true);
      }));
      const ex = this.ex as unknown as { handleMessage(client: unknown, message: unknown): unknown };
      const handle = ex.handleMessage.bind(ex);
      ex.handleMessage = (client, message) => {
        guard.see(message);
        return handle(client, message);
      };
    }
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    if (this.plainWs) await this.ex.loadHttpProxyAgent();
    await this.ex.loadMarkets();
    this.lastNews = this.deps.clock.monoMs();
    for (const ins of this.deps.instruments) this.loops.push(this.bookLoop(ins), this.tradeLoop(ins));
    this.stallTimer = setInterval(() => this.checkStall(), Math.max(50, Math.min(1000, this.deps.stallMs / 4)));
    this.stallTimer.unref();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.stallTimer !== undefined) clearInterval(this.stallTimer);
    this.stallTimer = undefined;
    try {
      await this.ex.close();
    } catch {
      // closing is best effort
    }
    await Promise.allSettled(this.loops);
    this.loops = [];
  }

  /**
   * Nothing from the venue (no book, no trade, any symbol) for stallMs: every book is invalidated and ccxt's
   * connections closed, so that every watch fails, resubscribes and takes a new snapshot on a new connection. The
   * bound is per venue, not per symbol: ccxt resolves a watch only when something changed, so one quiet symbol on a
   * live stream says nothing.
   */
  private checkStall(): void {
    const now = this.deps.clock.monoMs();
    if (now - this.lastNews <= this.deps.stallMs) return;
    this.lastNews = now; // once per stall period
    for (const ins of this.deps.instruments) this.deps.sink.invalidate(this.deps.venue, ins.index, 'stall');
    this.deps.log.warn({ venue: this.venue, stallMs: this.deps.stallMs }, 'market data: no news from the venue; reconnecting');
    this.ex.close().catch(() => undefined);
  }

  private async bookLoop(ins: Instrument): Promise<void> {
    const symbol = this.symbolOf.get(ins.index)!;
    const backoff = new Backoff(this.deps.reconnect);
    while (this.running) {
      try {
        const book = await this.ex.watchOrderBook(symbol, this.limit);
        if (!this.running) return;
        backoff.reset();
        this.lastNews = this.deps.clock.monoMs();
        this.deliverBook(ins, book);
      } catch (err) {
        if (!this.running) return;
        if (this.unwatching.delete(symbol)) continue; // our own resubscription (the book was invalidated then)
        this.deps.sink.invalidate(this.deps.venue, ins.index, reasonOf(err, this.o.exchangeId));
        this.deps.log.warn({ venue: this.venue, symbol: ins.symbol, err }, 'market data: order book watch failed; resubscribing');
        await this.resubscribe(symbol);
        await new Promise((r) => setTimeout(r, backoff.next()).unref());
      }
    }
  }

  /**
   * After a failed watch ccxt keeps the subscription and its broken book (the updates that follow a gap chain on from
   * it): unsubscribe and drop the book, so that the next watch takes a fresh snapshot.
   */
  private async resubscribe(symbol: string, own = false): Promise<void> {
    if (own) this.unwatching.add(symbol);
    try {
      if (typeof this.ex.unWatchOrderBook === 'function') await this.ex.unWatchOrderBook(symbol);
    } catch (err) {
      this.deps.log.debug({ venue: this.venue, symbol, err }, 'market data: unsubscribe failed (resubscribing anyway)');
    }
    delete this.ex.orderbooks[symbol];
  }

  private deliverBook(ins: Instrument, book: CcxtBook): void {
    if (this.guard !== undefined && !this.guard.trusted(ins)) return; // a checksum mismatch: wait for the new snapshot
    const { sink, venue } = this.deps;
    this.bids.clear();
    this.asks.clear();
    for (const [side, levels, buf] of [[BID, book.bids, this.bids], [ASK, book.asks, this.asks]] as const) {
      for (let i = 0; i < levels.length && buf.count < buf.capacity; i++) {
        const price = decimalTextFromNumber(levels[i]![0]);
        const qty = decimalTextFromNumber(levels[i]![1]);
        const r = price === undefined || qty === undefined ? -1 : pushLevel(buf, ins, price, qty, sink, venue);
        if (r === LEVEL_OK) continue;
        if (r === LEVEL_OFF_GRID && !this.offGridLogged.has(ins.index)) {
          this.offGridLogged.add(ins.index);
          this.deps.log.error({ venue: this.venue, symbol: ins.symbol, price: levels[i]![0], side }, 'market data: a price off the instrument tick grid (check tickSize)');
        }
        sink.invalidate(venue, ins.index, r === LEVEL_OFF_GRID ? 'off_grid' : 'error');
        return;
      }
    }
    sink.snapshot(venue, ins.index, this.bids, this.asks, book.timestamp ?? 0);
  }

  private async tradeLoop(ins: Instrument): Promise<void> {
    const symbol = this.symbolOf.get(ins.index)!;
    const backoff = new Backoff(this.deps.reconnect);
    while (this.running) {
      try {
        const trades = await this.ex.watchTrades(symbol);
        if (!this.running) return;
        backoff.reset();
        this.lastNews = this.deps.clock.monoMs();
        for (const t of trades) this.deliverTrade(ins, t);
      } catch (err) {
        if (!this.running) return;
        this.deps.log.warn({ venue: this.venue, symbol: ins.symbol, err }, 'market data: trades watch failed; resubscribing');
        await new Promise((r) => setTimeout(r, backoff.next()).unref());
      }
    }
  }

  private deliverTrade(ins: Instrument, t: CcxtTrade): void {
    const ts = t.timestamp ?? 0;
    let last = this.lastTrade.get(ins.index);
    if (last === undefined) this.lastTrade.set(ins.index, (last = { ts: 0, ids: new Set() }));
    if (ts < last.ts || (t.id !== undefined && last.ids.has(t.id))) return; // already delivered
    if (ts > last.ts) {
      last.ts = ts;
      last.ids.clear();
    }
    if (t.id !== undefined) last.ids.add(t.id);
    const price = decimalTextFromNumber(t.price);
    const qty = decimalTextFromNumber(t.amount);
    if (price === undefined || qty === undefined) return;
    const p = priceTicksOf(ins, price);
    const q = qtyLotsOf(ins, qty, this.deps.sink, this.deps.venue);
    if (p < 0 || q <= 0) return;
    this.deps.sink.trade(this.deps.venue, ins.index, p, q, t.side === 'buy' ? BID : ASK, ts);
  }
}
