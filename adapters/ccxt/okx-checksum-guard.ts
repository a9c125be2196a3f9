/**
 * OKX's `books` checksum, checked on the raw messages a ccxt OKX instance receives: ccxt pro (4.5) chains the
 * sequence ids but does not check the checksum. The guard keeps each symbol's top levels as the exact texts OKX sent
 * (TextLadder, as the okx-ws feed does) and computes the checksum after each message; a mismatch marks the symbol
 * untrusted until OKX sends a new snapshot (the feed invalidates the book and resubscribes). A checksum of 0 or none
 * is not checked (OKX announced that the field becomes 0 from June 2026).
 */
import type { Instrument } from '../../src/model/instrument.js';
import { priceTicksOf } from '../common/market-feed-deps.js';
import { OkxChecksum, TextLadder } from '../common/okx-book-checksum.js';

/** Levels per side OKX's `books` channel sends. */
const BOOKS_DEPTH = 400;

interface SymbolTexts {
  readonly ins: Instrument;
  readonly bids: TextLadder;
  readonly asks: TextLadder;
  /** A mismatch was seen: untrusted until the next snapshot. */
  broken: boolean;
}

type Json = Record<string, unknown>;

export class OkxChecksumGuard {
  private readonly byInstId = new Map<string, SymbolTexts>();
  private readonly byIndex = new Map<number, SymbolTexts>();
  private readonly sum = new OkxChecksum();

  constructor(
    instruments: readonly Instrument[],
    /** OKX's instrument id of an instrument (ccxt's market id: "BTC-USDT"). */
    instIdOf: (ins: Instrument) => string,
    private readonly onMismatch: (ins: Instrument) => void,
  ) {
    for (const ins of instruments) {
      const s: SymbolTexts = { ins, bids: new TextLadder(BOOKS_DEPTH, true), asks: new TextLadder(BOOKS_DEPTH, false), broken: false };
      this.byInstId.set(instIdOf(ins), s);
      this.byIndex.set(ins.index, s);
    }
  }

  /** False between a checksum mismatch and OKX's next snapshot of the symbol. */
  trusted(ins: Instrument): boolean {
    return this.byIndex.get(ins.index)?.broken !== true;
  }

  /** One raw websocket message, before ccxt handles it. */
  see(message: unknown): void {
    if (typeof message !== 'object' || message === null) return;
    const m = message as Json;
    const arg = m['arg'] as Json | undefined;
    if (arg?.['channel'] !== 'books' || !Array.isArray(m['data'])) return;
    const s = this.byInstId.get(String(arg['instId']));
    const d = m['data'][0] as Json | undefined;
    if (s === undefined || d === undefined) return;
    if (m['action'] === 'snapshot') {
      s.bids.clear();
      s.asks.clear();
      s.broken = false;
    } else if (s.broken) {
      return; // waiting for the snapshot the resubscription brings
    }
    if (!this.apply(s, s.bids, d['bids']) || !this.apply(s, s.asks, d['asks'])) return;
    const expected = d['checksum'];
    if (typeof expected !== 'number' || expected === 0) return;
    if (this.sum.ofLadders(s.bids, s.asks) !== expected) {
      s.broken = true;
      this.onMismatch(s.ins);
    }
  }

  /** Applies `[px, sz, ...]` text levels; false (nothing checked) when one is not a level on the grid. */
  private apply(s: SymbolTexts, ladder: TextLadder, levels: unknown): boolean {
    if (!Array.isArray(levels)) return false;
    for (const l of levels) {
      if (!Array.isArray(l) || typeof l[0] !== 'string' || typeof l[1] !== 'string') return false;
      const ticks = priceTicksOf(s.ins, l[0]);
      if (ticks < 0) return false; // the feed's own conversion reports it (off grid)
      ladder.set(ticks, l[0], l[1]);
    }
    return true;
  }
}
