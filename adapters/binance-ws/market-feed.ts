/**
 * Binance spot public market data: one websocket on the market-stream base (`.../ws`) for every configured symbol,
 * subscribed with `{"method":"SUBSCRIBE","params":["btcusdt@depth@100ms","btcusdt@trade",...],"id":n}`, and REST
 * depth snapshots (`GET /api/v3/depth`), kept in sync as Binance documents it (VENUES.md, "Public market data"):
 *
 *  - Events are buffered from the moment the socket opens; a snapshot is taken per symbol once subscribed
 *    (`limit`: the smallest allowed value >= max(deps.depth, 100), weight 5 up to 100 levels).
 *  - Buffered events with `u <= lastUpdateId` are dropped; the first one applied must have `U <= lastUpdateId + 1`
 *    (and `u >= lastUpdateId + 1`). When it starts later the snapshot is older than the stream: a new one is taken.
 *  - After that each event's `U` is the previous `u + 1`; anything else is a gap: the book is invalidated ('gap')
 *    and a new snapshot taken (after the symbol's backoff, so a lossy stream cannot make us hammer the REST API).
 *    An event wholly older than the book (`u <=` the last applied `u`) changes nothing and is ignored.
 *  - Quantities are absolute ("0" removes a level); each event is a group of `sink.level` calls closed by
 *    `sink.commit(..., E)`. A price off the instrument's tick grid invalidates the book ('off_grid', logged once per
 *    symbol: a configuration mismatch); a malformed event invalidates it ('error'); a frame that is not JSON
 *    invalidates every book ('error'). Each is followed by a resync with the symbol's backoff.
 *  - Trades (`<symbol>@trade`): `m` true = the buyer was the maker, so the seller took liquidity.
 *  - Every message is a sign of life (`sink.alive`). When the market is quiet the feed asks `LIST_SUBSCRIPTIONS`
 *    (an application-level heartbeat: its answer travels the same path as the data). No message at all for
 *    `deps.stallMs` is a stall: every book is invalidated ('stall') and the socket reopened. A closed socket
 *    invalidates every book ('reconnect'); ws-connection.ts reconnects with deps.reconnect's backoff and re-runs the
 *    subscription, and every book is resynced from a new snapshot.
 *
 * REST snapshots are taken by depth-snapshots.ts (one at a time, within a request-weight budget of their own, pausing
 * for Retry-After and when the IP's used weight nears the limit); a failed one is retried after the symbol's backoff.
 *
 * Steady state allocates nothing of its own per message beyond what JSON.parse makes: levels go to the sink as ticks
 * and lots (market-feed-deps.ts), snapshots through two LevelBuffers owned by the feed.
 */
import { ASK, BID, type BookSide, LevelBuffer, type MarketFeed, type ResyncReason } from '../../src/market/feed.js';
import { LEVEL_OFF_GRID, LEVEL_OK, type MarketFeedDeps, applyLevel, priceTicksOf, pushLevel, qtyLotsOf } from '../common/market-feed-deps.js';
import type { BinanceUrlSet } from '../common/urls.js';
import { WsConnection } from '../common/ws-connection.js';
import { DepthSnapshots } from './depth-snapshots.js';
import { type DepthEvent, LIVE, type SymbolSync, WAITING, newSymbolSync } from './symbol-sync.js';

/** Binance allows at most 1024 streams on one connection. */
export const BINANCE_MAX_STREAMS = 1024;

export interface BinanceMarketFeedOptions {
  /** Request-weight budget per minute for depth snapshots (default 600). */
  readonly snapshotWeightPerMinute?: number;
  /** The IP's request-weight limit per minute, for the X-MBX-USED-WEIGHT-1M guard (default 6000). */
  readonly ipWeightPerMinute?: number;
  /** Websocket connect timeout and subscription answer timeout, ms (default 10000). */
  readonly connectTimeoutMs?: number;
  /** Snapshot request timeout, ms (default 10000). */
  readonly snapshotTimeoutMs?: number;
  /** How long start() waits for the subscription before resolving anyway (default 10000); the feed keeps trying. */
  readonly startTimeoutMs?: number;
  /** Events buffered per symbol while its snapshot is taken (oldest dropped beyond it; default 2000). */
  readonly maxBuffered?: number;
}

type Json = Record<string, unknown>;

export class BinanceMarketFeed implements MarketFeed {
  readonly venue: string;
  private readonly conn: WsConnection;
  private readonly symbols: SymbolSync[];
  private readonly byId = new Map<string, SymbolSync>();
  private readonly bids: LevelBuffer;
  private readonly asks: LevelBuffer;
  private readonly options: Required<BinanceMarketFeedOptions>;
  private readonly depthSnapshots: DepthSnapshots;
  private started = false;
  private stopped = false;
  private requestId = 0;
  /** Monotonic ms of the last message (any frame) and of the last heartbeat request. */
  private lastHeard = 0;
  private lastPing = 0;
  private socketOpen = false;
  private stallTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: MarketFeedDeps,
    urls: BinanceUrlSet,
    options: BinanceMarketFeedOptions = {},
  ) {
    this.venue = deps.name;
    this.options = {
      snapshotWeightPerMinute: options.snapshotWeightPerMinute ?? 600,
      ipWeightPerMinute: options.ipWeightPerMinute ?? 6000,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      snapshotTimeoutMs: options.snapshotTimeoutMs ?? 10_000,
      startTimeoutMs: options.startTimeoutMs ?? 10_000,
      maxBuffered: options.maxBuffered ?? 2000,
    };
    if (deps.instruments.length * 2 > BINANCE_MAX_STREAMS) {
      throw new RangeError(`${deps.name}: ${deps.instruments.length} symbols need ${deps.instruments.length * 2} streams, more than Binance allows on one connection (${BINANCE_MAX_STREAMS})`);
    }
    this.depthSnapshots = new DepthSnapshots(deps, urls, this.options, (s, body) => this.receiveSnapshot(s.id, body));
    this.bids = new LevelBuffer(this.snapshotLimit);
    this.asks = new LevelBuffer(this.snapshotLimit);
    this.symbols = deps.instruments.map((ins) => newSymbolSync(ins, deps.reconnect));
    for (const s of this.symbols) this.byId.set(s.id, s);
    this.conn = new WsConnection({
      name: `${deps.name} market data`,
      url: urls.wsStream,
      log: deps.log,
      // ping frames keep the TCP path checked; the stall check below is about data
      heartbeatMs: Math.max(100, deps.stallMs),
      heartbeat: 'ping-frame',
      reconnect: deps.reconnect,
      connectTimeoutMs: this.options.connectTimeoutMs,
      onOpen: () => this.onOpen(),
      onMessage: (text) => this.receive(text),
      onClose: (reason, wasReady) => this.onClose(reason, wasReady),
      onConnectFailure: (reason) => deps.log.warn({ venue: deps.name, reason }, 'market data: connection failed'),
    });
  }

  /** The `limit` of the depth snapshots, and its request weight. */
  get snapshotLimit(): number {
    return this.depthSnapshots.limit;
  }

  get snapshotWeight(): number {
    return this.depthSnapshots.weight;
  }

  /** Snapshots requested (tests, metrics). */
  get snapshots(): number {
    return this.depthSnapshots.requested;
  }

  /** Connections made (the first one included). */
  get connects(): number {
    return this.conn.connects;
  }

  /** Whether the subscription is in place. */
  get subscribed(): boolean {
    return this.conn.ready;
  }

  async start(): Promise<void> {
    if (this.started || this.stopped) return;
    this.started = true;
    const every = Math.max(10, Math.min(1000, Math.floor(this.deps.stallMs / 4)));
    this.stallTimer = setInterval(() => this.checkStall(), every);
    this.conn.start();
    const ok = await this.conn.waitReady(this.options.startTimeoutMs);
    if (!ok && !this.stopped) {
      this.deps.log.warn({ venue: this.deps.name }, 'market data: not subscribed yet; retrying in the background');
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.depthSnapshots.stop();
    if (this.stallTimer !== undefined) clearInterval(this.stallTimer);
    this.stallTimer = undefined;
    this.resetSync();
    await this.conn.stop();
  }

  // ------------------------------------------------------------------------------------------ websocket

  private async onOpen(): Promise<void> {
    this.depthSnapshots.generation++;
    this.socketOpen = true;
    this.lastHeard = this.deps.clock.monoMs();
    // buffer from the first frame on: events may come before the subscription's answer
    this.resetSync();
    const params: string[] = [];
    for (const s of this.symbols) {
      const lower = s.id.toLowerCase();
      params.push(`${lower}@depth@100ms`, `${lower}@trade`);
    }
    const id = ++this.requestId;
    const reply = await this.conn.request<Json>(String(id), { method: 'SUBSCRIBE', params, id }, this.options.connectTimeoutMs, 'subscribe', true);
    const err = reply['error'] as Json | undefined;
    if (err !== undefined && err !== null) throw new Error(`subscription refused: ${String(err['code'])} ${String(err['msg'])}`);
    this.deps.log.info({ venue: this.deps.name, streams: params.length }, 'market data: subscribed');
    for (const s of this.symbols) this.depthSnapshots.request(s, 0);
  }

  private onClose(reason: string, wasReady: boolean): void {
    this.depthSnapshots.generation++;
    this.socketOpen = false;
    if (wasReady) this.deps.log.warn({ venue: this.deps.name, reason }, 'market data: connection closed; resyncing after reconnect');
    for (const s of this.symbols) this.report(s, 'reconnect');
    this.resetSync();
  }

  /** Every symbol back to waiting, with nothing scheduled. */
  private resetSync(): void {
    for (const s of this.symbols) {
      s.state = WAITING;
      s.first = false;
      s.buffer.length = 0;
    }
    this.depthSnapshots.reset(this.symbols);
  }

  private checkStall(): void {
    if (!this.socketOpen || this.stopped) return;
    const now = this.deps.clock.monoMs();
    const quiet = now - this.lastHeard;
    if (quiet > this.deps.stallMs) {
      this.deps.log.warn({ venue: this.deps.name, quietMs: Math.round(quiet) }, 'market data: stalled; reconnecting');
      this.lastHeard = now; // one stall per silence
      for (const s of this.symbols) this.report(s, 'stall');
      this.resetSync();
      this.conn.drop('market data stalled');
      return;
    }
    // a quiet market: ask for something that is answered on the same path as the data
    if (this.conn.ready && quiet > this.deps.stallMs / 3 && now - this.lastPing > this.deps.stallMs / 3) {
      this.lastPing = now;
      this.conn.send({ method: 'LIST_SUBSCRIPTIONS', id: ++this.requestId });
    }
  }

  /**
   * One text frame from the market-data socket: the entry the socket's onMessage calls (and bench/market.ts, which
   * drives the feed's message path without a network). Nothing else should call it.
   */
  receive(text: string): void {
    this.lastHeard = this.deps.clock.monoMs();
    this.deps.sink.alive(this.deps.venue);
    let msg: Json;
    try {
      const parsed = JSON.parse(text) as unknown;
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      msg = parsed as Json;
    } catch {
      this.deps.log.warn({ venue: this.deps.name, frame: text.slice(0, 120) }, 'market data: frame is not a JSON object; resyncing every book');
      for (const s of this.symbols) if (s.state === LIVE || s.live) this.resync(s, 'error');
      return;
    }
    // combined-stream wrapper {stream, data}
    const data = msg['data'];
    if (typeof msg['stream'] === 'string' && data !== null && typeof data === 'object') msg = data as Json;
    const e = msg['e'];
    if (e === 'depthUpdate') this.onDepth(msg);
    else if (e === 'trade') this.onTrade(msg);
    else if (msg['id'] !== undefined && ('result' in msg || 'error' in msg)) this.conn.resolve(String(msg['id']), msg);
  }

  // ------------------------------------------------------------------------------------------ depth

  private onDepth(msg: Json): void {
    const s = this.byId.get(msg['s'] as string);
    if (s === undefined) return; // not ours
    const U = msg['U'];
    const u = msg['u'];
    const b = msg['b'];
    const a = msg['a'];
    if (typeof U !== 'number' || typeof u !== 'number' || !(U <= u) || !Array.isArray(b) || !Array.isArray(a)) {
      this.badEvent(s, 'depth event without U <= u, b and a');
      return;
    }
    const ev = msg as unknown as DepthEvent;
    if (s.state === WAITING) {
      if (s.buffer.length >= this.options.maxBuffered) s.buffer.shift();
      s.buffer.push(ev);
      return;
    }
    this.apply(s, ev);
  }

  /** Applies one event to a live book; false when the book was invalidated. */
  private apply(s: SymbolSync, ev: DepthEvent): boolean {
    if (ev.u <= s.lastU) return true; // wholly in the book already
    if (s.first ? ev.U > s.lastU + 1 : ev.U !== s.lastU + 1) {
      this.deps.log.info({ venue: this.deps.name, symbol: s.ins.symbol, expected: s.lastU + 1, U: ev.U }, 'market data: update id gap; resyncing');
      this.resync(s, 'gap');
      s.buffer.push(ev); // newer than the book: keep it for the next snapshot
      return false;
    }
    const { sink, venue } = this.deps;
    if (!this.levels(s, BID, ev.b) || !this.levels(s, ASK, ev.a)) return false;
    sink.commit(venue, s.ins.index, typeof ev.E === 'number' ? ev.E : 0);
    s.lastU = ev.u;
    s.first = false;
    return true;
  }

  private levels(s: SymbolSync, side: BookSide, list: unknown[]): boolean {
    const { sink, venue } = this.deps;
    for (let i = 0; i < list.length; i++) {
      const l = list[i];
      if (!Array.isArray(l) || typeof l[0] !== 'string' || typeof l[1] !== 'string') {
        this.badEvent(s, 'depth level is not [price, qty] texts');
        return false;
      }
      const r = applyLevel(sink, venue, s.ins, side, l[0], l[1]);
      if (r !== LEVEL_OK) {
        this.levelFailed(s, r, l[0]);
        return false;
      }
    }
    return true;
  }

  private levelFailed(s: SymbolSync, outcome: number, price: string): void {
    if (outcome === LEVEL_OFF_GRID) {
      if (!s.offGridLogged) {
        s.offGridLogged = true;
        this.deps.log.error(
          { venue: this.deps.name, symbol: s.ins.symbol, price, tickSize: s.ins.tick.text },
          'market data: price off the configured tick grid (configuration mismatch?); book invalidated',
        );
      }
      this.resync(s, 'off_grid');
    } else {
      this.badEvent(s, `level is not a decimal (${price.slice(0, 40)})`);
    }
  }

  private badEvent(s: SymbolSync, what: string): void {
    this.deps.log.warn({ venue: this.deps.name, symbol: s.ins.symbol, what }, 'market data: bad message; resyncing');
    this.resync(s, 'error');
  }

  /** Tells the sink the book is no longer trusted: when it holds one of ours, and always for a grid or message error. */
  private report(s: SymbolSync, reason: ResyncReason): void {
    if (s.live || reason === 'off_grid' || reason === 'error') this.deps.sink.invalidate(this.deps.venue, s.ins.index, reason);
    s.live = false;
  }

  /** Invalidates the book and takes a new snapshot after the symbol's backoff (reset once a book stayed up a while). */
  private resync(s: SymbolSync, reason: ResyncReason): void {
    if (s.live && this.deps.clock.monoMs() - s.syncedAt >= this.deps.reconnect.maxMs) s.backoff.reset();
    this.report(s, reason);
    s.state = WAITING;
    s.first = false;
    s.buffer.length = 0;
    if (this.socketOpen) this.depthSnapshots.request(s, s.backoff.next());
  }

  // ------------------------------------------------------------------------------------------ snapshots

  /**
   * A depth snapshot (the JSON body of GET /api/v3/depth) of a symbol (Binance id, BTCUSDT): the entry the REST
   * answer goes through once the request succeeded (and bench/market.ts, which syncs the feed without a network).
   * Ignored unless the symbol waits for a snapshot. Nothing else should call it.
   */
  receiveSnapshot(symbolId: string, body: unknown): void {
    const s = this.byId.get(symbolId);
    if (s === undefined || s.state !== WAITING) return;
    this.applySnapshot(s, body);
  }

  private applySnapshot(s: SymbolSync, body: unknown): void {
    const j = (body ?? {}) as Json;
    const last = j['lastUpdateId'];
    const bids = j['bids'];
    const asks = j['asks'];
    if (typeof last !== 'number' || !Array.isArray(bids) || !Array.isArray(asks)) {
      this.badEvent(s, 'depth snapshot without lastUpdateId, bids and asks');
      return;
    }
    // the first buffered event past the snapshot must not start after it, or the snapshot is older than the stream
    let i = 0;
    while (i < s.buffer.length && s.buffer[i]!.u <= last) i++;
    if (i < s.buffer.length && s.buffer[i]!.U > last + 1) {
      s.buffer.splice(0, i);
      const delay = s.backoff.next();
      this.deps.log.info({ venue: this.deps.name, symbol: s.ins.symbol, lastUpdateId: last, firstU: s.buffer[0]!.U }, 'market data: snapshot older than the stream; taking another');
      this.depthSnapshots.request(s, delay);
      return;
    }
    const { sink, venue } = this.deps;
    if (!this.fill(s, this.bids, bids) || !this.fill(s, this.asks, asks)) return;
    sink.snapshot(venue, s.ins.index, this.bids, this.asks, 0);
    s.live = true;
    s.state = LIVE;
    s.lastU = last;
    s.first = true;
    s.syncedAt = this.deps.clock.monoMs();
    for (; i < s.buffer.length; i++) {
      if (!this.apply(s, s.buffer[i]!)) return; // invalidated: apply() started the resync
    }
    s.buffer.length = 0;
  }

  private fill(s: SymbolSync, buf: LevelBuffer, list: unknown[]): boolean {
    buf.clear();
    const { sink, venue } = this.deps;
    for (let i = 0; i < list.length; i++) {
      const l = list[i];
      if (!Array.isArray(l) || typeof l[0] !== 'string' || typeof l[1] !== 'string') {
        this.badEvent(s, 'snapshot level is not [price, qty] texts');
        return false;
      }
      const r = pushLevel(buf, s.ins, l[0], l[1], sink, venue);
      if (r !== LEVEL_OK) {
        this.levelFailed(s, r, l[0]);
        return false;
      }
    }
    return true;
  }

  // ------------------------------------------------------------------------------------------ trades

  private onTrade(msg: Json): void {
    const s = this.byId.get(msg['s'] as string);
    if (s === undefined) return;
    const p = msg['p'];
    const q = msg['q'];
    const m = msg['m'];
    if (typeof p !== 'string' || typeof q !== 'string' || typeof m !== 'boolean') {
      this.deps.log.warn({ venue: this.deps.name, symbol: s.ins.symbol }, 'market data: trade without p, q and m; ignored');
      return;
    }
    const { sink, venue } = this.deps;
    const priceTicks = priceTicksOf(s.ins, p);
    if (priceTicks < 0) {
      if (!s.offGridLogged) {
        s.offGridLogged = true;
        this.deps.log.error({ venue: this.deps.name, symbol: s.ins.symbol, price: p, tickSize: s.ins.tick.text }, 'market data: trade price off the configured tick grid (configuration mismatch?)');
      }
      return;
    }
    const qtyLots = qtyLotsOf(s.ins, q, sink, venue);
    if (qtyLots <= 0) return;
    const T = msg['T'];
    // m: the buyer was the maker, so the seller took liquidity
    sink.trade(venue, s.ins.index, priceTicks, qtyLots, m ? ASK : BID, typeof T === 'number' ? T : typeof msg['E'] === 'number' ? msg['E'] : 0);
  }
}
