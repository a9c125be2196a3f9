/**
 * The book side of the OKX market-data feed (market-feed.ts): per-symbol state (the venue's texts of up to 400 levels
 * per side, sequence, sync flags, resubscription timer and backoff) and the `books` messages applied to it: snapshots
 * replace the book and go to the sink through two reused LevelBuffers, updates link by seqId/prevSeqId and go out as
 * `level` calls closed by `commit`, and the checksum (book-checksum.ts) is verified. Whatever makes the book
 * untrustworthy is handed to the feed's `resync` (which invalidates and resubscribes).
 */
import type { Instrument } from '../../src/model/instrument.js';
import { ASK, BID, type BookSide, LevelBuffer, type MarketDataSink, type ResyncReason } from '../../src/market/feed.js';
import { Backoff } from '../common/backoff.js';
import { applyLevel, LEVEL_BAD, LEVEL_OFF_GRID, LEVEL_OK, priceTicksOf, pushLevel } from '../common/market-feed-deps.js';
import { OkxChecksum, TextLadder } from '../common/okx-book-checksum.js';

/** Levels per side of OKX's `books` channel. */
export const OKX_BOOKS_DEPTH = 400;

/** Counters of one feed (metrics, tests). */
export interface OkxMarketFeedStats {
  /** Snapshots applied. */
  snapshots: number;
  /** Updates applied (no-change messages not counted). */
  updates: number;
  /** Checksums compared and found equal. */
  checksumsOk: number;
  /** Resubscriptions of one symbol's book. */
  resubscribes: number;
  /** Sessions (connections that subscribed). */
  sessions: number;
}

/** One symbol's book and its sync and resubscription state. */
export class SymbolState {
  readonly bids = new TextLadder(OKX_BOOKS_DEPTH, true);
  readonly asks = new TextLadder(OKX_BOOKS_DEPTH, false);
  /** A snapshot was applied and every update since linked up: messages are applied. Else waiting for a snapshot. */
  synced = false;
  /** The sink trusts the book (a snapshot delivered, not invalidated since). */
  valid = false;
  /** seqId of the last message applied. */
  seqId = -1;
  offGridLogged = false;
  /** Pending resubscription, or the watchdog waiting for a snapshot. */
  timer: NodeJS.Timeout | undefined;
  /** Resubscriptions since the book was last calm, and when the last one was asked for. */
  resyncs = 0;
  lastResyncMono = -Infinity;
  readonly backoff: Backoff;
  readonly resubscribeText: readonly [string, string];

  constructor(readonly ins: Instrument, reconnect: { readonly minMs: number; readonly maxMs: number }) {
    this.backoff = new Backoff({ minMs: reconnect.minMs, maxMs: reconnect.maxMs });
    const arg = { channel: 'books', instId: ins.symbol };
    this.resubscribeText = [JSON.stringify({ op: 'unsubscribe', args: [arg] }), JSON.stringify({ op: 'subscribe', args: [arg] })];
  }

  /** Cancels the pending resubscription or snapshot watchdog. */
  clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

type Json = Record<string, unknown>;

/** Applies `books` messages to the symbols' books and hands them to the sink. */
export class OkxBookSync {
  private readonly bidBuf = new LevelBuffer(OKX_BOOKS_DEPTH);
  private readonly askBuf = new LevelBuffer(OKX_BOOKS_DEPTH);
  private readonly checksum = new OkxChecksum();

  constructor(
    private readonly sink: MarketDataSink,
    /** The venue's index, as the sink knows it. */
    private readonly v: number,
    private readonly stats: OkxMarketFeedStats,
    /** The book cannot be trusted: the feed tells the sink and resubscribes it. */
    private readonly resync: (s: SymbolState, reason: ResyncReason, detail: string) => void,
  ) {}

  /** One `books` message (`data[0]`) of a symbol; `snapshot`: its action is `snapshot`. */
  onBook(s: SymbolState, snapshot: boolean, d: Json): void {
    const seqId = Number(d['seqId']);
    const bids = d['bids'];
    const asks = d['asks'];
    if (!Array.isArray(bids) || !Array.isArray(asks)) {
      if (s.synced || snapshot) this.resync(s, 'error', 'book message without bids/asks');
      return;
    }
    const tsNum = Number(d['ts']);
    const ts = tsNum > 0 ? tsNum : 0;
    if (snapshot) {
      this.onSnapshot(s, bids, asks, seqId, d['checksum'], ts);
      return;
    }
    if (!s.synced) return; // waiting for the snapshot
    const prev = Number(d['prevSeqId']);
    if (prev !== s.seqId) {
      this.resync(s, 'gap', `prevSeqId ${String(d['prevSeqId'])} after seqId ${s.seqId}`);
      return;
    }
    s.seqId = seqId;
    if (bids.length === 0 && asks.length === 0) {
      // no change (OKX's sign of life on a quiet book: seqId == prevSeqId); the checksum still describes the book
      this.verify(s, d['checksum']);
      return;
    }
    const ins = s.ins;
    let r = this.applyUpdate(s, ins, BID, bids);
    if (r === LEVEL_OK) r = this.applyUpdate(s, ins, ASK, asks);
    if (r !== LEVEL_OK) {
      this.bad(s, r);
      return;
    }
    if (!this.verify(s, d['checksum'])) return;
    this.stats.updates++;
    this.sink.commit(this.v, ins.index, ts);
  }

  private onSnapshot(s: SymbolState, bids: unknown[], asks: unknown[], seqId: number, checksum: unknown, ts: number): void {
    const ins = s.ins;
    s.bids.clear();
    s.asks.clear();
    this.bidBuf.clear();
    this.askBuf.clear();
    let r = this.loadSide(s.bids, this.bidBuf, ins, bids);
    if (r === LEVEL_OK) r = this.loadSide(s.asks, this.askBuf, ins, asks);
    if (r !== LEVEL_OK) {
      this.bad(s, r);
      return;
    }
    if (!this.verify(s, checksum)) return;
    s.clearTimer();
    s.seqId = seqId;
    s.synced = true;
    s.valid = true;
    this.stats.snapshots++;
    this.sink.snapshot(this.v, ins.index, this.bidBuf, this.askBuf, ts);
  }

  private bad(s: SymbolState, r: number): void {
    if (r === LEVEL_OFF_GRID) this.resync(s, 'off_grid', 'a level price is off the tick grid');
    else this.resync(s, 'error', 'a level is not [price, size, ...] decimals');
  }

  /** Compares the venue's checksum (0 or none: not checked) with the book's; a mismatch resyncs. */
  private verify(s: SymbolState, checksum: unknown): boolean {
    const expected = typeof checksum === 'number' ? checksum : typeof checksum === 'string' ? Number(checksum) : 0;
    if (expected === 0 || !Number.isFinite(expected)) return true;
    const actual = this.checksum.ofLadders(s.bids, s.asks);
    if (actual === expected) {
      this.stats.checksumsOk++;
      return true;
    }
    this.resync(s, 'checksum', `checksum ${actual} != venue's ${expected}`);
    return false;
  }

  /** The venue's `[px, sz, ...]` texts of one level, or undefined when it is not one. */
  private static texts(lv: unknown): [string, string] | undefined {
    if (!Array.isArray(lv) || typeof lv[0] !== 'string' || typeof lv[1] !== 'string') return undefined;
    return lv as [string, string];
  }

  private loadSide(ladder: TextLadder, buf: LevelBuffer, ins: Instrument, levels: unknown[]): number {
    for (let i = 0; i < levels.length; i++) {
      const lv = OkxBookSync.texts(levels[i]);
      if (lv === undefined) return LEVEL_BAD;
      const r = pushLevel(buf, ins, lv[0], lv[1], this.sink, this.v);
      if (r !== LEVEL_OK) return r;
      ladder.set(priceTicksOf(ins, lv[0]), lv[0], lv[1]);
    }
    return LEVEL_OK;
  }

  private applyUpdate(s: SymbolState, ins: Instrument, side: BookSide, levels: unknown[]): number {
    const ladder = side === BID ? s.bids : s.asks;
    for (let i = 0; i < levels.length; i++) {
      const lv = OkxBookSync.texts(levels[i]);
      if (lv === undefined) return LEVEL_BAD;
      const r = applyLevel(this.sink, this.v, ins, side, lv[0], lv[1]);
      if (r !== LEVEL_OK) return r;
      ladder.set(priceTicksOf(ins, lv[0]), lv[0], lv[1]);
    }
    return LEVEL_OK;
  }
}
