/**
 * OKX public market data: one websocket (`<ws>/public`) for every configured symbol, channels `books` (400 levels: a
 * snapshot, then updates) and `trades`, delivered to a MarketDataSink in ticks and lots (src/market/feed.ts).
 *
 * Book sync, as OKX documents it (order book channel, "Sequence ID" and "Checksum"):
 *  - `action: snapshot` (prevSeqId -1) replaces the book. Each `update`'s prevSeqId must equal the seqId of the
 *    previous message of that instrument, else a message was lost: the book is invalidated ('gap') and resubscribed.
 *    A message with prevSeqId == seqId and no levels is OKX's "no change for a while" (the connection is alive); a
 *    seqId below its prevSeqId is a sequence reset after maintenance and is accepted (its prevSeqId still links).
 *  - Sizes are absolute; a zero size removes the level.
 *  - `checksum`: CRC32, as a signed 32-bit integer, of the top 25 levels interleaved `bidPx:bidSz:askPx:askSz:...`
 *    with the texts exactly as sent (when one side has fewer levels the other side's remaining levels follow alone).
 *    A mismatch invalidates the book ('checksum') and resubscribes it. OKX has announced that the field becomes a
 *    constant 0 (deprecated in favour of seqId/prevSeqId): a 0 or missing checksum is not checked.
 *  - A price off the instrument's tick grid: the book is invalidated ('off_grid', logged once per symbol) and
 *    resubscribed; a level that is not a decimal: invalidated ('error') and resubscribed.
 * Resubscribing is `unsubscribe` + `subscribe` of that symbol's `books` (OKX then sends a new snapshot); the first
 * one is immediate, repeats back off (the venue allows 480 subscribe/unsubscribe requests per connection per hour),
 * and a symbol whose snapshot does not come is resubscribed again.
 *
 * The books themselves (the venue's texts of up to 400 levels per side, the messages applied to them, the checksum)
 * are book-sync.ts and book-checksum.ts; this file holds the connection, subscriptions and resubscriptions, trades.
 *
 * Connection (adapters/common/ws-connection.ts: connect, reconnect with backoff and jitter, heartbeat): the text
 * 'ping' every 0.6 x stallMs (at most every 25 s, OKX closes a connection silent for 30 s); every message and every
 * 'pong' is a sign of life (`sink.alive`). No message for `stallMs`: every book is invalidated ('stall') and the
 * connection reopened. A connection lost otherwise: invalidated ('reconnect'); a new session subscribes everything
 * again. Trades: `sink.trade` with the taker's side (OKX `side`).
 */
import { ASK, BID, type BookSide, type MarketDataSink, type MarketFeed, type ResyncReason } from '../../src/market/feed.js';
import { type MarketFeedDeps, priceTicksOf, qtyLotsOf } from '../common/market-feed-deps.js';
import type { OkxUrlSet } from '../common/urls.js';
import { WsConnection } from '../common/ws-connection.js';
import { OkxBookSync, type OkxMarketFeedStats, SymbolState } from './book-sync.js';

/** Subscription args per subscribe request (OKX caps a request at 64 KB). */
const ARGS_PER_REQUEST = 50;

export interface OkxMarketFeedOptions {
  /** start() waits this long for the first subscribed session, then resolves anyway and keeps trying (default 10 s). */
  readonly startTimeoutMs?: number;
}

interface SessionSetup {
  readonly pending: Set<string>;
  errors: number;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

type Json = Record<string, unknown>;

export class OkxMarketFeed implements MarketFeed {
  readonly venue: string;
  readonly stats: OkxMarketFeedStats = { snapshots: 0, updates: 0, checksumsOk: 0, resubscribes: 0, sessions: 0 };
  private readonly conn: WsConnection;
  private readonly symbols: SymbolState[];
  private readonly byInstId = new Map<string, SymbolState>();
  private readonly sink: MarketDataSink;
  private readonly v: number;
  private readonly book: OkxBookSync;
  private readonly heartbeatMs: number;
  /** A resubscribed symbol whose snapshot has not come after this long is resubscribed again. */
  private readonly snapshotWaitMs: number;
  /** A symbol with no resync for this long starts its backoff afresh. */
  private readonly calmMs: number;
  private readonly startTimeoutMs: number;
  private stallTimer: NodeJS.Timeout | undefined;
  private setup: SessionSetup | undefined;
  private connected = false;
  private stalling = false;
  private lastHeardMono = 0;
  private started = false;
  private stopped = false;

  constructor(
    private readonly deps: MarketFeedDeps,
    urls: OkxUrlSet,
    options: OkxMarketFeedOptions = {},
  ) {
    if (!(deps.stallMs > 0)) throw new RangeError(`${deps.name}: stallMs must be > 0`);
    this.venue = deps.name;
    this.sink = deps.sink;
    this.v = deps.venue;
    this.symbols = deps.instruments.map((ins) => new SymbolState(ins, deps.reconnect));
    for (const s of this.symbols) this.byInstId.set(s.ins.symbol, s);
    this.book = new OkxBookSync(deps.sink, deps.venue, this.stats, (s, reason, detail) => this.resync(s, reason, detail));
    // the connection's own heartbeat drops a peer silent for two intervals: keep that beyond stallMs (the feed's
    // stall comes first) while pinging well within OKX's 30 s. Past stallMs 41 s the heartbeat's check can come
    // first; onClose counts a close after that much silence as a stall too.
    this.heartbeatMs = Math.max(1, Math.min(25_000, Math.round(deps.stallMs * 0.6)));
    this.snapshotWaitMs = Math.max(deps.stallMs, 2000);
    this.calmMs = Math.max(10_000, 4 * deps.reconnect.maxMs);
    this.startTimeoutMs = options.startTimeoutMs ?? 10_000;
    this.conn = new WsConnection({
      name: `${deps.name} market data`,
      url: `${urls.ws}/public`,
      log: deps.log,
      heartbeatMs: this.heartbeatMs,
      heartbeat: 'text-ping',
      reconnect: deps.reconnect,
      connectTimeoutMs: Math.max(2000, deps.stallMs),
      onOpen: () => this.openSession(),
      onMessage: (text) => this.receive(text),
      onHeartbeat: () => this.heard(),
      onClose: (reason) => this.onClose(reason),
    });
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.conn.start();
    const ok = await this.conn.waitReady(this.startTimeoutMs);
    if (!ok && !this.stopped) this.deps.log.warn({ venue: this.venue }, 'market data not subscribed yet: still trying in the background');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.clearStallTimer();
    for (const s of this.symbols) s.clearTimer();
    const setup = this.setup;
    this.setup = undefined;
    if (setup !== undefined) {
      clearTimeout(setup.timer);
      setup.resolve();
    }
    await this.conn.stop();
  }

  /** Whether the book of a symbol (instrument index) is in sync (tests, status). */
  synced(symbol: number): boolean {
    const s = this.symbols.find((x) => x.ins.index === symbol);
    return s !== undefined && s.synced;
  }

  // ------------------------------------------------------------------ connection

  private openSession(): Promise<void> {
    this.connected = true;
    this.stalling = false;
    this.lastHeardMono = this.deps.clock.monoMs();
    this.clearStallTimer();
    this.stallTimer = setTimeout(() => this.onStall(), this.deps.stallMs);
    this.stats.sessions++;
    const args: Array<{ channel: string; instId: string }> = [];
    const pending = new Set<string>();
    for (const s of this.symbols) {
      s.clearTimer();
      s.synced = false;
      s.seqId = -1;
      this.watchSnapshot(s);
      for (const channel of ['books', 'trades']) {
        args.push({ channel, instId: s.ins.symbol });
        pending.add(`${channel}:${s.ins.symbol}`);
      }
    }
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.setup = undefined;
        reject(new Error(`subscriptions not confirmed within ${this.snapshotWaitMs} ms`));
      }, this.snapshotWaitMs);
      this.setup = { pending, errors: 0, resolve, reject, timer };
      for (let i = 0; i < args.length; i += ARGS_PER_REQUEST) this.conn.send({ op: 'subscribe', args: args.slice(i, i + ARGS_PER_REQUEST) });
      if (pending.size === 0) this.settleSetup();
    });
  }

  private settleSetup(): void {
    const setup = this.setup;
    if (setup === undefined || setup.pending.size > setup.errors) return;
    this.setup = undefined;
    clearTimeout(setup.timer);
    setup.resolve();
  }

  private onClose(reason: string): void {
    const wasConnected = this.connected;
    this.connected = false;
    this.clearStallTimer();
    const setup = this.setup;
    this.setup = undefined;
    if (setup !== undefined) {
      clearTimeout(setup.timer);
      setup.reject(new Error(`connection lost while subscribing: ${reason}`));
    }
    // silent for a stall (the feed's own timer, or the connection's heartbeat that gave up first)
    const silent = this.deps.clock.monoMs() - this.lastHeardMono >= Math.min(this.deps.stallMs, 2 * this.heartbeatMs);
    const why: ResyncReason = this.stalling || (wasConnected && silent) ? 'stall' : 'reconnect';
    this.stalling = false;
    let invalidated = 0;
    for (const s of this.symbols) {
      s.clearTimer();
      s.synced = false;
      if (s.valid) {
        s.valid = false;
        this.sink.invalidate(this.v, s.ins.index, why);
        invalidated++;
      }
    }
    if (wasConnected) this.deps.log.warn({ venue: this.venue, reason, resync: why, books: invalidated }, 'market data connection lost: reconnecting');
  }

  private onStall(): void {
    this.stallTimer = undefined;
    if (this.stopped || !this.connected) return;
    this.deps.log.warn({ venue: this.venue, stallMs: this.deps.stallMs }, 'market data stalled: no message in time, reconnecting');
    for (const s of this.symbols) {
      s.clearTimer();
      s.synced = false;
      if (s.valid) {
        s.valid = false;
        this.sink.invalidate(this.v, s.ins.index, 'stall');
      }
    }
    this.stalling = true;
    this.conn.drop(`market data: no message for ${this.deps.stallMs} ms`);
  }

  /** A message or a heartbeat answer: the venue is alive. */
  private heard(): void {
    this.lastHeardMono = this.deps.clock.monoMs();
    this.stallTimer?.refresh();
    this.sink.alive(this.v);
  }

  private clearStallTimer(): void {
    if (this.stallTimer !== undefined) clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
  }

  // ------------------------------------------------------------------ resync

  /** The book cannot be trusted: tell the sink and resubscribe it. */
  private resync(s: SymbolState, reason: ResyncReason, detail: string): void {
    s.synced = false;
    s.valid = false;
    if (reason === 'off_grid') {
      if (!s.offGridLogged) {
        s.offGridLogged = true;
        this.deps.log.warn({ venue: this.venue, symbol: s.ins.symbol, detail, tickSize: s.ins.tick.text }, 'market data: price off the tick grid (configuration mismatch?); book resynced (logged once)');
      }
    } else {
      this.deps.log.warn({ venue: this.venue, symbol: s.ins.symbol, reason, detail }, 'market data: book resync');
    }
    this.sink.invalidate(this.v, s.ins.index, reason);
    this.scheduleResubscribe(s);
  }

  private scheduleResubscribe(s: SymbolState): void {
    s.clearTimer();
    if (this.stopped) return;
    const now = this.deps.clock.monoMs();
    if (now - s.lastResyncMono > this.calmMs) {
      s.resyncs = 0;
      s.backoff.reset();
    }
    s.lastResyncMono = now;
    const delay = s.resyncs++ === 0 ? 0 : s.backoff.next();
    if (delay === 0) this.resubscribe(s);
    else s.timer = setTimeout(() => this.resubscribe(s), delay);
  }

  private resubscribe(s: SymbolState): void {
    s.timer = undefined;
    if (this.stopped || !this.connected) return; // a new session subscribes everything
    s.synced = false;
    this.stats.resubscribes++;
    this.conn.send(s.resubscribeText[0]);
    this.conn.send(s.resubscribeText[1]);
    this.watchSnapshot(s);
  }

  /** Resubscribes the symbol if its snapshot does not come in time. */
  private watchSnapshot(s: SymbolState): void {
    s.clearTimer();
    s.timer = setTimeout(() => {
      s.timer = undefined;
      if (s.synced || this.stopped || !this.connected) return;
      this.deps.log.warn({ venue: this.venue, symbol: s.ins.symbol, waitedMs: this.snapshotWaitMs }, 'market data: no book snapshot in time, resubscribing');
      this.scheduleResubscribe(s);
    }, this.snapshotWaitMs);
  }

  // ------------------------------------------------------------------ messages

  /**
   * One text frame from the public socket: the entry the socket's onMessage calls (and bench/market.ts, which drives
   * the feed's message path without a network). Nothing else should call it.
   */
  receive(text: string): void {
    this.heard();
    let m: unknown;
    try {
      m = JSON.parse(text);
    } catch {
      this.deps.log.warn({ venue: this.venue, text: text.slice(0, 200) }, 'market data: message is not JSON');
      return;
    }
    if (typeof m !== 'object' || m === null) return;
    const msg = m as Json;
    if (msg['event'] !== undefined) {
      this.onEvent(msg);
      return;
    }
    const arg = msg['arg'] as Json | undefined;
    const data = msg['data'];
    if (arg === undefined || !Array.isArray(data)) return;
    const s = this.byInstId.get(arg['instId'] as string);
    if (s === undefined) return;
    const channel = arg['channel'];
    if (channel === 'books') {
      const d = data[0] as Json | undefined;
      if (d !== undefined && typeof d === 'object' && d !== null) this.book.onBook(s, msg['action'] === 'snapshot', d);
    } else if (channel === 'trades') {
      this.onTrades(s, data);
    }
  }

  private onEvent(msg: Json): void {
    const event = msg['event'];
    if (event === 'subscribe') {
      const arg = msg['arg'] as Json | undefined;
      if (this.setup !== undefined && arg !== undefined) {
        this.setup.pending.delete(`${String(arg['channel'])}:${String(arg['instId'])}`);
        this.settleSetup();
      }
      return;
    }
    if (event === 'error') {
      this.deps.log.warn({ venue: this.venue, code: msg['code'], msg: msg['msg'] }, 'market data: venue error');
      if (this.setup !== undefined) {
        this.setup.errors++;
        this.settleSetup();
      }
      return;
    }
    if (event === 'notice') this.deps.log.info({ venue: this.venue, code: msg['code'], msg: msg['msg'] }, 'market data: venue notice');
  }

  private onTrades(s: SymbolState, data: unknown[]): void {
    const ins = s.ins;
    for (let i = 0; i < data.length; i++) {
      const t = data[i] as Json | undefined;
      if (typeof t !== 'object' || t === null) continue;
      const px = t['px'];
      const sz = t['sz'];
      const side = t['side'];
      if (typeof px !== 'string' || typeof sz !== 'string' || (side !== 'buy' && side !== 'sell')) continue;
      const p = priceTicksOf(ins, px);
      if (p < 0) {
        if (!s.offGridLogged && ins.tick.floorCount(px) >= 0) {
          s.offGridLogged = true;
          this.deps.log.warn({ venue: this.venue, symbol: ins.symbol, px, tickSize: ins.tick.text }, 'market data: trade price off the tick grid (configuration mismatch?); trade skipped (logged once)');
        }
        continue;
      }
      const q = qtyLotsOf(ins, sz, this.sink, this.v);
      if (q <= 0) continue;
      const taker: BookSide = side === 'buy' ? BID : ASK;
      const tsNum = Number(t['ts']);
      this.sink.trade(this.v, ins.index, p, q, taker, tsNum > 0 ? tsNum : 0);
    }
  }
}
