/**
 * The OKX market-data feed (adapters/okx-ws/market-feed.ts) against the fake OKX's public channels on 127.0.0.1,
 * delivering into the daemon's MarketData: the books it holds are compared level by level with the fake's matching
 * engine, through random changes and every fault the fake can inject (a sequence gap, a bad checksum, a stall, a
 * disconnect, a price off the tick grid). Plus the checksum itself on OKX's documented examples.
 *
 * Every wait polls a condition with a deadline; no fixed sleeps.
 */
import { crc32 as zlibCrc32 } from 'node:zlib';
import { afterEach, describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { okxUrls } from '../../adapters/common/urls.js';
import { OKX_CHECKSUM_LEVELS, OkxChecksum, TextLadder, okxBookChecksum } from '../../adapters/common/okx-book-checksum.js';
import { OkxMarketFeed } from '../../adapters/okx-ws/market-feed.js';
import { ASK, BID, RESYNC_REASONS, type ResyncReason } from '../../src/market/feed.js';
import { MarketData } from '../../src/market/market-data.js';
import { BOOK_SYNCED } from '../../src/market/venue-book.js';
import { systemClock } from '../../src/model/clock.js';
import { type Instrument, InstrumentRegistry } from '../../src/model/instrument.js';
import { type FakeOkx, startFakeOkx } from '../venues/index.js';
import { log, until } from './helpers.js';

/** The fake OKX's own grids: BTC-USDT tick 0.1 lot 1e-8, ETH-USDT tick 0.01 lot 1e-6. */
function okxInstruments(): InstrumentRegistry {
  return new InstrumentRegistry([
    { symbol: 'BTC-USDT', base: 'BTC', quote: 'USDT', tickSize: '0.1', lotSize: '0.00000001' },
    { symbol: 'ETH-USDT', base: 'ETH', quote: 'USDT', tickSize: '0.01', lotSize: '0.000001' },
  ]);
}

const DEPTH = 25;

interface Trade {
  symbol: number;
  price: number;
  qty: number;
  side: number;
  ts: number;
}

interface Rig {
  fake: FakeOkx;
  md: MarketData;
  feed: OkxMarketFeed;
  ins: InstrumentRegistry;
  trades: Trade[];
}

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function rig(o: { stallMs?: number; staleMs?: number; idleMs?: number; beforeStart?: (fake: FakeOkx) => void } = {}): Promise<Rig> {
  const fake = await startFakeOkx({ marketData: { publishMs: 20, idleMs: o.idleMs ?? 200 } });
  cleanup.push(() => fake.close());
  const ins = okxInstruments();
  const md = new MarketData(ins, ['okx'], ['10'], systemClock, { depth: DEPTH, staleMs: o.staleMs ?? 10_000 });
  cleanup.push(() => md.stop());
  const trades: Trade[] = [];
  md.listen({ onTrade: (_v, symbol, price, qty, side, ts) => trades.push({ symbol, price, qty, side, ts }) });
  o.beforeStart?.(fake);
  const feed = new OkxMarketFeed(
    { venue: 0, name: 'okx', instruments: ins.list, sink: md, depth: DEPTH, stallMs: o.stallMs ?? 5000, reconnect: { minMs: 50, maxMs: 400 }, log, clock: systemClock },
    okxUrls(true, { ws: fake.wsOrigin }),
  );
  cleanup.push(() => feed.stop());
  await feed.start();
  return { fake, md, feed, ins, trades };
}

/** Levels as [ticks, lots], best first. */
type Levels = Array<[number, number]>;

function expectedBook(fake: FakeOkx, ins: Instrument, depth: number): { bids: Levels; asks: Levels } {
  const b = fake.market.book(ins.symbol, depth);
  const conv = (side: string[][]): Levels =>
    side.map(([px, sz]) => {
      const p = ins.priceToTicks(px!);
      const q = ins.qtyToLots(sz!);
      if (!p.ok || !q.ok) throw new Error(`fake level ${px} ${sz} off the grid`);
      return [p.value, q.value];
    });
  return { bids: conv(b.bids), asks: conv(b.asks) };
}

function heldBook(md: MarketData, ins: Instrument, depth: number): { bids: Levels; asks: Levels } {
  const book = md.book(0, ins.index);
  const side = (l: typeof book.bids): Levels => {
    const out: Levels = [];
    for (let i = 0; i < Math.min(depth, l.count); i++) out.push([l.price[i]!, l.qty[i]!]);
    return out;
  };
  return { bids: side(book.bids), asks: side(book.asks) };
}

/** The daemon's book of `ins` is synced and equal to the venue's, top `depth` levels a side. */
function inSync(r: Rig, ins: Instrument, depth = DEPTH): boolean {
  if (r.md.book(0, ins.index).status !== BOOK_SYNCED) return false;
  return JSON.stringify(heldBook(r.md, ins, depth)) === JSON.stringify(expectedBook(r.fake, ins, depth));
}

async function untilInSync(r: Rig, what: string, timeoutMs = 8000): Promise<void> {
  for (const ins of r.ins.list) {
    try {
      await until(() => inSync(r, ins), `${ins.symbol} ${what}`, timeoutMs);
    } catch (err) {
      // show the difference
      expect({ status: r.md.book(0, ins.index).status, ...heldBook(r.md, ins, DEPTH) }).toEqual({ status: BOOK_SYNCED, ...expectedBook(r.fake, ins, DEPTH) });
      throw err;
    }
  }
}

function resyncs(md: MarketData, reason: ResyncReason): number {
  return md.stats[0]!.resyncs[RESYNC_REASONS.indexOf(reason)]!;
}

function allResyncs(md: MarketData): Record<string, number> {
  return Object.fromEntries(RESYNC_REASONS.map((r) => [r, resyncs(md, r)]));
}

const NO_RESYNCS = Object.fromEntries(RESYNC_REASONS.map((r) => [r, 0]));

describe('OKX book checksum', () => {
  test("OKX's documented examples: more than one level on both sides, and one side shorter", () => {
    // OKX API docs, order book checksum: "3366.1:7:3366.8:9:3366:6:3368:8" -> -1881014294 and, with one bid and
    // three asks, "3366.1:7:3366.8:9:3368:8:3372:8" -> 831078360
    expect(okxBookChecksum([['3366.1', '7', '0', '3'], ['3366', '6', '3', '4']], [['3366.8', '9', '10', '3'], ['3368', '8', '3', '4']])).toBe(-1881014294);
    expect(okxBookChecksum([['3366.1', '7', '0', '3']], [['3366.8', '9', '10', '3'], ['3368', '8', '3', '4'], ['3372', '8', '3', '4']])).toBe(831078360);
  });

  test('uses the texts exactly as sent ("7.0" is not "7") and matches an independent CRC over the top 25 a side', () => {
    const asSent = okxBookChecksum([['3366.1', '7.0'], ['3366', '6']], [['3366.8', '9'], ['3368', '8']]);
    expect(asSent).toBe(zlibCrc32('3366.1:7.0:3366.8:9:3366:6:3368:8') | 0);
    expect(asSent).not.toBe(-1881014294);
    // 40 bids and 7 asks: the first 7 pairs interleave, then bids alone up to 25; levels past 25 do not count
    const bids = Array.from({ length: 40 }, (_, i) => [(60000 - i * 0.5).toFixed(1), `0.${String(i + 1).padStart(3, '0')}`]);
    const asks = Array.from({ length: 7 }, (_, i) => [String(60001 + i), String(i + 1)]);
    const parts: string[] = [];
    for (let i = 0; i < OKX_CHECKSUM_LEVELS; i++) {
      parts.push(bids[i]![0]!, bids[i]![1]!);
      if (i < asks.length) parts.push(asks[i]![0]!, asks[i]![1]!);
    }
    expect(okxBookChecksum(bids, asks)).toBe(zlibCrc32(parts.join(':')) | 0);
    expect(okxBookChecksum([], [])).toBe(0);
  });

  test('a text ladder keeps levels sorted, replaces and removes by absolute size, drops a level beyond a full ladder', () => {
    const bids = new TextLadder(4, true);
    bids.set(100, '10.0', '1');
    bids.set(102, '10.2', '2');
    bids.set(101, '10.1', '3');
    bids.set(102, '10.2', '2.50');
    bids.set(99, '9.9', '4');
    bids.set(98, '9.8', '5'); // worse than a full ladder: dropped
    expect(bids.px.slice(0, bids.count)).toEqual(['10.2', '10.1', '10.0', '9.9']);
    expect(bids.sz.slice(0, bids.count)).toEqual(['2.50', '3', '1', '4']);
    bids.set(101, '10.1', '0.000');
    bids.set(105, '10.5', '0'); // removing a level that is not there
    expect(bids.px.slice(0, bids.count)).toEqual(['10.2', '10.0', '9.9']);
    const asks = new TextLadder(4, false);
    asks.set(110, '11.0', '1');
    asks.set(108, '10.8', '1');
    expect(asks.px.slice(0, asks.count)).toEqual(['10.8', '11.0']);
    const c = new OkxChecksum();
    expect(c.ofLadders(bids, asks)).toBe(zlibCrc32('10.2:2.50:10.8:1:10.0:1:11.0:1:9.9:4') | 0);
  });
});

describe('OKX market-data feed against the fake OKX', () => {
  test('the initial sync gives the exact book (top 25 of a book deeper than 25 levels)', async () => {
    const r = await rig({
      beforeStart: (fake) => {
        fake.market.churn('BTC-USDT', 400);
        fake.market.churn('ETH-USDT', 400);
      },
    });
    for (const ins of r.ins.list) expect(r.fake.market.book(ins.symbol).bids.length + r.fake.market.book(ins.symbol).asks.length).toBeGreaterThan(2 * DEPTH);
    await untilInSync(r, 'initial sync');
    for (const ins of r.ins.list) {
      const held = heldBook(r.md, ins, DEPTH);
      expect(held.bids.length).toBe(Math.min(DEPTH, r.fake.market.book(ins.symbol).bids.length));
      expect(r.md.isUsable(0, ins.index)).toBe(true);
    }
    expect(r.feed.stats.snapshots).toBe(2);
    expect(r.feed.stats.checksumsOk).toBeGreaterThanOrEqual(2);
    expect(allResyncs(r.md)).toEqual(NO_RESYNCS);
  });

  test('updates keep the book equal through many random changes, checksums verified on every message', async () => {
    const r = await rig();
    await untilInSync(r, 'initial sync');
    let deepest = 0;
    for (let round = 0; round < 5; round++) {
      const from = r.feed.stats.updates;
      r.fake.market.startMarketMaker({ intervalMs: 5, changes: 6, seed: 100 + round });
      await until(() => r.feed.stats.updates >= from + 60, `round ${round}: 60 updates`, 15_000);
      r.fake.market.stopMarketMaker();
      r.fake.market.publishNow();
      await untilInSync(r, `round ${round}`);
      for (const ins of r.ins.list) deepest = Math.max(deepest, r.fake.market.book(ins.symbol).bids.length, r.fake.market.book(ins.symbol).asks.length);
    }
    expect(deepest).toBeGreaterThan(OKX_CHECKSUM_LEVELS); // levels moved up into the checksum's 25 from below
    expect(allResyncs(r.md)).toEqual(NO_RESYNCS);
    expect(r.feed.stats.resubscribes).toBe(0);
    // every book message carried a checksum and every one was compared
    expect(r.feed.stats.checksumsOk).toBeGreaterThanOrEqual(r.feed.stats.updates + r.feed.stats.snapshots);
    expect(r.trades.length).toBeGreaterThan(0); // the market maker's taker orders traded
  }, 60_000);

  test('a message with prevSeqId == seqId (no change) keeps the book synced', async () => {
    const r = await rig({ idleMs: 50 });
    await untilInSync(r, 'initial sync');
    const n = r.fake.market.sent.noChange;
    await until(() => r.fake.market.sent.noChange >= n + 6, 'no-change messages');
    expect(allResyncs(r.md)).toEqual(NO_RESYNCS);
    r.fake.market.setLevel('BTC-USDT', 'buy', '59995.5', '0.25');
    r.fake.market.publishNow();
    await untilInSync(r, 'after a change');
    expect(allResyncs(r.md)).toEqual(NO_RESYNCS);
  });

  test('a sequence gap resyncs the book', async () => {
    const r = await rig({ idleMs: 60_000 }); // no no-change message to take the fault instead
    await untilInSync(r, 'initial sync');
    const btc = r.ins.get('BTC-USDT')!;
    r.fake.faults.apply({ bookGap: 1 });
    r.fake.market.setLevel('BTC-USDT', 'buy', '59990.3', '1.5'); // this update is lost
    r.fake.market.publishNow('BTC-USDT');
    r.fake.market.setLevel('BTC-USDT', 'sell', '60000.7', '0.125'); // this one shows the gap
    r.fake.market.publishNow('BTC-USDT');
    await until(() => resyncs(r.md, 'gap') === 1, 'gap resync');
    await untilInSync(r, 'resynced after the gap');
    const held = heldBook(r.md, btc, DEPTH);
    expect(held.bids).toContainEqual([599903, 150_000_000]);
    expect(held.asks).toContainEqual([600007, 12_500_000]);
    expect(allResyncs(r.md)).toEqual({ ...NO_RESYNCS, gap: 1 });
    expect(r.feed.stats.resubscribes).toBe(1);
  });

  test('a bad checksum resyncs the book', async () => {
    const r = await rig({ idleMs: 60_000 }); // no no-change message to take the fault instead
    await untilInSync(r, 'initial sync');
    r.fake.faults.apply({ bookChecksum: 1 });
    r.fake.market.setLevel('ETH-USDT', 'sell', '3000.37', '2.5');
    r.fake.market.publishNow('ETH-USDT');
    await until(() => resyncs(r.md, 'checksum') === 1, 'checksum resync');
    await untilInSync(r, 'resynced after the bad checksum');
    expect(heldBook(r.md, r.ins.get('ETH-USDT')!, DEPTH).asks[0]).toEqual([300037, 2_500_000]);
    expect(allResyncs(r.md)).toEqual({ ...NO_RESYNCS, checksum: 1 });
  });

  test('a stall marks the book stale, then the feed reconnects and resyncs it', async () => {
    const r = await rig({ idleMs: 50, staleMs: 400, stallMs: 2000 });
    r.md.start();
    await untilInSync(r, 'initial sync');
    const btc = r.ins.get('BTC-USDT')!;
    await until(() => r.md.isUsable(0, btc.index), 'usable');
    r.fake.faults.apply({ marketStallMs: 120_000 }); // the open connection goes silent for good; new ones are served
    await until(() => r.md.isStale(0, btc.index) && !r.md.isUsable(0, btc.index), 'stale');
    expect(resyncs(r.md, 'stall')).toBe(0); // stale first: the feed has not given up yet
    await until(() => resyncs(r.md, 'stall') === 2, 'stall resync of both books');
    await untilInSync(r, 'resynced after the stall');
    await until(() => r.md.isUsable(0, btc.index), 'usable again');
    expect(r.feed.stats.sessions).toBe(2);
    expect(allResyncs(r.md)).toEqual({ ...NO_RESYNCS, stall: 2 });
  });

  test('a disconnect resyncs every book', async () => {
    const r = await rig();
    await untilInSync(r, 'initial sync');
    r.fake.faults.apply({ dropMarketSockets: true });
    await until(() => resyncs(r.md, 'reconnect') === 2, 'reconnect resyncs');
    r.fake.market.setLevel('BTC-USDT', 'sell', '60003.1', '0.3'); // a change while away or after: either way in the book
    await untilInSync(r, 'resynced after the disconnect');
    expect(r.feed.stats.sessions).toBe(2);
    expect(allResyncs(r.md)).toEqual({ ...NO_RESYNCS, reconnect: 2 });
  });

  test('a price off the tick grid invalidates the book, which is then resynced', async () => {
    const r = await rig({ idleMs: 60_000 });
    await untilInSync(r, 'initial sync');
    const btc = r.ins.get('BTC-USDT')!;
    const seen: boolean[] = [];
    r.md.listen({ onBook: (_v, s, _b, usable) => void (s === btc.index && seen.push(usable)) });
    r.fake.faults.apply({ bookOffGrid: 1 });
    r.fake.market.setLevel('BTC-USDT', 'buy', '59999.9', '0.01');
    r.fake.market.publishNow('BTC-USDT');
    await until(() => resyncs(r.md, 'off_grid') === 1, 'off-grid resync');
    expect(seen).toContain(false);
    await untilInSync(r, 'resynced after the off-grid price');
    expect(allResyncs(r.md)).toEqual({ ...NO_RESYNCS, off_grid: 1 });
  });

  test("trades arrive with the taker's side", async () => {
    const r = await rig();
    await untilInSync(r, 'initial sync');
    const btc = r.ins.get('BTC-USDT')!;
    const before = expectedBook(r.fake, btc, 1);
    r.fake.taker({ symbol: 'BTC-USDT', side: 'buy', qty: '0.1' }); // takes the best ask
    await until(() => r.trades.length >= 1, 'buy trade');
    expect(r.trades[0]).toMatchObject({ symbol: btc.index, price: before.asks[0]![0], qty: 10_000_000, side: BID });
    expect(r.trades[0]!.ts).toBeGreaterThan(0);
    r.fake.taker({ symbol: 'BTC-USDT', side: 'sell', qty: '0.2' }); // takes the best bid
    await until(() => r.trades.length >= 2, 'sell trade');
    expect(r.trades[1]).toMatchObject({ symbol: btc.index, price: before.bids[0]![0], qty: 20_000_000, side: ASK });
    // a resting order of ours traded by a counterparty outside the book: the counterparty sold into our bid
    const main = r.fake.core.accountByName('main')!.owner;
    const placed = r.fake.core.place(main, { symbol: 'BTC-USDT', side: 'BUY', kind: 'LIMIT', tif: 'GTC', priceTicks: 599_500, qtyLots: 5_000_000, clientOrderId: 'mdtest1' });
    expect(placed.ok).toBe(true);
    r.fake.fill({ clientOrderId: 'mdtest1' });
    await until(() => r.trades.length >= 3, 'maker fill trade');
    expect(r.trades[2]).toMatchObject({ price: 599_500, qty: 5_000_000, side: ASK });
    await untilInSync(r, 'book after the trades');
  });

  test('stop() leaves no timer and no socket', async () => {
    const fake = await startFakeOkx({ marketData: { publishMs: 20 } });
    cleanup.push(() => fake.close());
    const ins = okxInstruments();
    const md = new MarketData(ins, ['okx'], ['10'], systemClock, { depth: DEPTH });
    const timers = (): number => process.getActiveResourcesInfo().filter((x) => x === 'Timeout').length;
    // a first public socket starts the fake's own publishing timer: it is there before the baseline
    const probe = new WebSocket(fake.urls.wsPublic);
    await new Promise((resolve) => probe.once('open', resolve));
    probe.terminate();
    await until(() => fake.market.socketCount === 0, 'probe gone');
    const baseline = timers();
    const feed = new OkxMarketFeed(
      { venue: 0, name: 'okx', instruments: ins.list, sink: md, depth: DEPTH, stallMs: 5000, reconnect: { minMs: 50, maxMs: 400 }, log, clock: systemClock },
      okxUrls(true, { ws: fake.wsOrigin }),
    );
    await feed.start();
    await until(() => feed.synced(0) && feed.synced(1), 'synced');
    expect(timers()).toBeGreaterThan(baseline);
    await feed.stop();
    await until(() => fake.market.socketCount === 0, 'socket closed at the venue');
    await until(() => timers() <= baseline, `no feed timer left (baseline ${baseline}, now ${timers()})`);
    // a stopped feed does not reconnect
    fake.market.dropSockets();
    await new Promise((resolve) => setImmediate(resolve));
    expect(fake.market.socketCount).toBe(0);
  });
});
