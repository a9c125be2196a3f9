/**
 * Binance public market data (adapters/binance-ws/market-feed.ts) against the fake Binance on 127.0.0.1, with the
 * daemon's MarketData as the sink: the book the feed keeps is compared level by level with the book the fake's
 * matching engine holds. Faults come from the fake (faults.ts: bookGap, bookOffGrid, marketStallMs,
 * dropMarketSockets, REST rules on /api/v3/depth). Every wait is a poll with a deadline.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { binanceDepthWeight, binanceSnapshotLimit } from '../../adapters/binance-ws/depth-snapshots.js';
import { BinanceMarketFeed, type BinanceMarketFeedOptions } from '../../adapters/binance-ws/market-feed.js';
import type { MarketFeedDeps } from '../../adapters/common/market-feed-deps.js';
import { binanceUrls } from '../../adapters/common/urls.js';
import { ASK, BID, RESYNC_REASONS, type ResyncReason } from '../../src/market/feed.js';
import { MarketData } from '../../src/market/market-data.js';
import { BOOK_RESYNCING, BOOK_SYNCED } from '../../src/market/venue-book.js';
import { systemClock } from '../../src/model/clock.js';
import { type Instrument, type InstrumentSpec, InstrumentRegistry } from '../../src/model/instrument.js';
import { type FakeBinance, type FakeBinanceOptions, startFakeBinance } from '../venues/index.js';
import { REPO_ROOT } from '../helpers/repo.js';
import { until } from './helpers.js';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** The fake's grids (BTC tick 0.01 lot 0.00001, ETH tick 0.01 lot 0.0001). */
const BTC: InstrumentSpec = { symbol: 'BTC-USDT', base: 'BTC', quote: 'USDT', tickSize: '0.01', lotSize: '0.00001' };
const ETH: InstrumentSpec = { symbol: 'ETH-USDT', base: 'ETH', quote: 'USDT', tickSize: '0.01', lotSize: '0.0001' };

/** Error-level log records (level and fields only: tests do not read log text). */
interface LogRecord {
  level: number;
  symbol?: string;
}

interface Setup {
  fake: FakeBinance;
  md: MarketData;
  feed: BinanceMarketFeed;
  registry: InstrumentRegistry;
  records: LogRecord[];
  resyncs(reason: ResyncReason): number;
}

async function setup(
  o: {
    specs?: InstrumentSpec[];
    fake?: FakeBinanceOptions;
    stallMs?: number;
    staleMs?: number;
    reconnect?: { minMs: number; maxMs: number };
    feed?: BinanceMarketFeedOptions;
    start?: boolean;
    before?: (fake: FakeBinance) => void;
  } = {},
): Promise<Setup> {
  const fake = await startFakeBinance(o.fake);
  cleanup.push(() => fake.close());
  o.before?.(fake);
  const registry = new InstrumentRegistry(o.specs ?? [BTC, ETH]);
  const md = new MarketData(registry, ['binance'], ['10'], systemClock, { depth: 20, staleMs: o.staleMs ?? 5000 });
  md.start();
  cleanup.push(() => md.stop());
  const records: LogRecord[] = [];
  const recordingLog = pino(
    { level: 'warn' },
    {
      write(line: string): void {
        const r = JSON.parse(line) as LogRecord;
        records.push({ level: r.level, symbol: r.symbol });
        if (process.env['ADAPTER_TEST_LOG'] !== undefined) process.stdout.write(line);
      },
    },
  );
  const deps: MarketFeedDeps = {
    venue: 0,
    name: 'binance',
    instruments: registry.list,
    sink: md,
    depth: 20,
    stallMs: o.stallMs ?? 5000,
    reconnect: o.reconnect ?? { minMs: 20, maxMs: 200 },
    log: recordingLog,
    clock: systemClock,
  };
  const feed = new BinanceMarketFeed(deps, binanceUrls(false, { rest: fake.origin, ws: fake.wsOrigin }), o.feed);
  cleanup.push(() => feed.stop());
  if (o.start !== false) await feed.start();
  return { fake, md, feed, registry, records, resyncs: (reason) => md.stats[0]!.resyncs[RESYNC_REASONS.indexOf(reason)]! };
}

type Levels = Array<[number, number]>;

/** The fake's book, top `n` a side, in the daemon instrument's ticks and lots (through the venue's decimal texts). */
function fakeBook(fake: FakeBinance, ins: Instrument, n = 50): { bids: Levels; asks: Levels } {
  const vi = fake.core.instrument(ins.symbol)!;
  const side = (s: 'BUY' | 'SELL'): Levels =>
    fake.core.levels(ins.symbol, s, n).map(([p, q]) => {
      const pt = ins.priceToTicks(vi.price.format(p, 8));
      const ql = ins.qtyToLots(vi.lot.format(q, 8));
      if (!pt.ok || !ql.ok) throw new Error(`fake level ${p}/${q} not on the test instrument's grid`);
      return [pt.value, ql.value];
    });
  return { bids: side('BUY'), asks: side('SELL') };
}

/** The feed's book as MarketData holds it, top `n` a side. */
function ourBook(md: MarketData, ins: Instrument, n = 50): { bids: Levels; asks: Levels } {
  const b = md.book(0, ins.index);
  const side = (l: typeof b.bids): Levels => Array.from({ length: Math.min(n, l.count) }, (_, i) => [l.price[i]!, l.qty[i]!]);
  return { bids: side(b.bids), asks: side(b.asks) };
}

/** Waits until the feed's book of `ins` is synced and equal to the fake's, level by level. */
async function equalBooks(s: Setup, ins: Instrument, what: string, timeoutMs = 8000): Promise<void> {
  let last = '';
  try {
    await until(() => {
      const want = JSON.stringify(fakeBook(s.fake, ins));
      const got = JSON.stringify(ourBook(s.md, ins));
      last = `status ${s.md.book(0, ins.index).status}\n fake ${want}\n ours ${got}`;
      return s.md.book(0, ins.index).status === BOOK_SYNCED && want === got;
    }, what, timeoutMs);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${last}`);
  }
}

function ins(s: Setup, symbol: string): Instrument {
  return s.registry.get(symbol)!;
}

/** Ticks and lots of a level in the test instrument. */
function tl(i: Instrument, price: string, qty: string): [number, number] {
  const p = i.priceToTicks(price);
  const q = i.qtyToLots(qty);
  if (!p.ok || !q.ok) throw new Error('off grid');
  return [p.value, q.value];
}

function hasLevel(md: MarketData, i: Instrument, side: 0 | 1, price: string, qty: string): boolean {
  const [p, q] = tl(i, price, qty);
  const l = md.book(0, i.index).side(side);
  for (let k = 0; k < l.count; k++) if (l.price[k] === p) return l.qty[k] === q;
  return q === 0;
}

describe('Binance snapshot limits', () => {
  test('the snapshot limit is an allowed value at least the depth (and 100), with Binance weights', () => {
    expect(binanceSnapshotLimit(20)).toBe(100);
    expect(binanceSnapshotLimit(100)).toBe(100);
    expect(binanceSnapshotLimit(101)).toBe(500);
    expect(binanceSnapshotLimit(800)).toBe(1000);
    expect(binanceSnapshotLimit(9000)).toBe(5000);
    expect([5, 100, 500, 1000, 5000].map(binanceDepthWeight)).toEqual([5, 5, 25, 50, 250]);
  });
});

describe('BinanceMarketFeed against the fake Binance', () => {
  test('initial sync gives the exact book the fake holds, for every symbol, from one snapshot each', async () => {
    const s = await setup();
    expect(s.feed.subscribed).toBe(true);
    expect(s.fake.market.subscriptions().sort()).toEqual(['btcusdt@depth@100ms', 'btcusdt@trade', 'ethusdt@depth@100ms', 'ethusdt@trade']);
    await equalBooks(s, ins(s, 'BTC-USDT'), 'BTC book synced');
    await equalBooks(s, ins(s, 'ETH-USDT'), 'ETH book synced');
    expect(s.feed.snapshots).toBe(2);
    expect(s.md.isUsable(0, ins(s, 'BTC-USDT').index)).toBe(true);
    // the ladder around 60000: best bid 59990, best ask 60010, 0.5 BTC each
    expect(ourBook(s.md, ins(s, 'BTC-USDT'), 1)).toEqual({ bids: [tl(ins(s, 'BTC-USDT'), '59990', '0.5')], asks: [tl(ins(s, 'BTC-USDT'), '60010', '0.5')] });
    expect(RESYNC_REASONS.map((r) => s.resyncs(r))).toEqual(RESYNC_REASONS.map(() => 0));
  });

  test('updates keep the book equal to the fake through known and many random changes', async () => {
    const s = await setup();
    const btc = ins(s, 'BTC-USDT');
    await equalBooks(s, btc, 'synced');
    // a known change, then a removal
    s.fake.market.setLevel('BTC-USDT', 'BUY', '59995.55', '0.12345');
    await until(() => hasLevel(s.md, btc, BID, '59995.55', '0.12345'), 'the new bid level');
    s.fake.market.setLevel('BTC-USDT', 'SELL', '60010', '0');
    await until(() => hasLevel(s.md, btc, ASK, '60010', '0'), 'the best ask removed');
    expect(ourBook(s.md, btc, 1).asks).toEqual([tl(btc, '60020', '0.5')]);
    await equalBooks(s, btc, 'equal after known changes');
    // many random changes (level sets, removals, taker trades), applied between stream intervals and within them
    let seed = 11;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    let changes = 0;
    for (let round = 0; round < 20; round++) {
      changes += s.fake.market.churn('BTC-USDT', 10, random);
      s.fake.market.churn('ETH-USDT', 4, random);
      await equalBooks(s, btc, `BTC equal after round ${round}`);
    }
    expect(changes).toBeGreaterThan(150);
    await equalBooks(s, ins(s, 'ETH-USDT'), 'ETH equal after random changes');
    expect(RESYNC_REASONS.map((r) => s.resyncs(r))).toEqual(RESYNC_REASONS.map(() => 0));
    expect(s.feed.snapshots).toBe(2);
  });

  test.each([
    ['answered at once', undefined],
    ['taken at once, answered 300 ms later (buffered events after it)', { afterExecute: true }],
    ['taken 300 ms later (buffered events before it)', { afterExecute: false }],
  ] as const)('a sync while the book changes continuously is exact: snapshot %s', async (_name, late) => {
    const s = await setup({
      start: false,
      before: (fake) => {
        fake.market.startMarketMaker({ intervalMs: 5, changes: 2, seed: 3 });
        if (late !== undefined) fake.faults.add({ kind: 'delay', ms: 300, path: '/api/v3/depth', afterExecute: late.afterExecute });
      },
    });
    const btc = ins(s, 'BTC-USDT');
    await s.feed.start();
    await until(() => s.md.book(0, btc.index).status === BOOK_SYNCED && s.md.book(0, btc.index).updates > 10, 'synced and updating');
    s.fake.market.stopMarketMaker();
    await equalBooks(s, btc, 'BTC equal once the market maker stops');
    await equalBooks(s, ins(s, 'ETH-USDT'), 'ETH equal once the market maker stops');
    expect(s.resyncs('gap')).toBe(0);
    expect(s.resyncs('error')).toBe(0);
  });

  test('a gap in the update ids invalidates the book, resyncs it and the book is equal again', async () => {
    const s = await setup();
    const btc = ins(s, 'BTC-USDT');
    await equalBooks(s, btc, 'synced');
    const snapshots = s.feed.snapshots;
    s.fake.faults.apply({ bookGap: 1 });
    s.fake.market.setLevel('BTC-USDT', 'BUY', '59980', '0.777'); // this update is never sent
    await until(() => s.fake.faults.state().bookGap === 0, 'the update dropped');
    s.fake.market.setLevel('BTC-USDT', 'SELL', '60030', '0.888'); // the next one starts after the lost ids
    await until(() => s.resyncs('gap') === 1, 'gap detected');
    await equalBooks(s, btc, 'equal after the resync');
    expect(hasLevel(s.md, btc, BID, '59980', '0.777')).toBe(true); // the lost change came with the new snapshot
    expect(s.feed.snapshots).toBe(snapshots + 1);
    expect(s.feed.connects).toBe(1);
  });

  test('a stall marks the book stale, then it is invalidated, the socket reopened and the book resynced', async () => {
    const s = await setup({ stallMs: 600, staleMs: 150, specs: [BTC] });
    const btc = ins(s, 'BTC-USDT');
    await equalBooks(s, btc, 'synced');
    s.fake.faults.apply({ marketStallMs: 30_000 }); // the open socket sends nothing more (pings are still answered)
    s.fake.market.setLevel('BTC-USDT', 'BUY', '59985', '1.5');
    await until(() => s.md.isStale(0, btc.index), 'the book stale', 5000);
    expect(s.md.isUsable(0, btc.index)).toBe(false);
    await until(() => s.resyncs('stall') === 1, 'the stall detected', 5000);
    await until(() => s.feed.connects >= 2, 'reconnected');
    await equalBooks(s, btc, 'equal after the stall');
    expect(hasLevel(s.md, btc, BID, '59985', '1.5')).toBe(true);
    expect(s.md.isStale(0, btc.index)).toBe(false);
    await until(() => s.md.isUsable(0, btc.index), 'usable again');
    expect(s.resyncs('reconnect')).toBe(0); // the stall already invalidated it: counted once
  });

  test('a quiet market is not a stall: the heartbeat answer keeps the connection', async () => {
    // stall bound 1 s (the probe goes out after a third of it): wide enough that a loaded machine's scheduling
    // pauses do not look like a silent venue
    const s = await setup({ stallMs: 1000, staleMs: 3000, specs: [BTC] });
    const btc = ins(s, 'BTC-USDT');
    await equalBooks(s, btc, 'synced');
    // no book changes for several stall periods: only LIST_SUBSCRIPTIONS answers arrive
    const t0 = Date.now();
    await until(() => Date.now() - t0 > 3500, 'time passes', 8000);
    expect(s.resyncs('stall')).toBe(0);
    expect(s.feed.connects).toBe(1);
    expect(s.md.isUsable(0, btc.index)).toBe(true);
  });

  test('a disconnect invalidates the book, reconnects with backoff and resyncs', async () => {
    const s = await setup({ specs: [BTC, ETH] });
    const btc = ins(s, 'BTC-USDT');
    await equalBooks(s, btc, 'synced');
    await equalBooks(s, ins(s, 'ETH-USDT'), 'ETH synced');
    s.fake.faults.apply({ dropMarketSockets: true });
    s.fake.market.setLevel('BTC-USDT', 'SELL', '60015', '2');
    await until(() => s.resyncs('reconnect') === 2, 'both books invalidated');
    await until(() => s.feed.connects >= 2, 'reconnected');
    await equalBooks(s, btc, 'BTC equal after the reconnect');
    await equalBooks(s, ins(s, 'ETH-USDT'), 'ETH equal after the reconnect');
    expect(hasLevel(s.md, btc, ASK, '60015', '2')).toBe(true);
    expect(s.feed.snapshots).toBe(4);
  });

  test('an off-grid price in an update invalidates the book; the next snapshot restores it', async () => {
    const s = await setup({ specs: [BTC] });
    const btc = ins(s, 'BTC-USDT');
    await equalBooks(s, btc, 'synced');
    s.fake.faults.apply({ bookOffGrid: 1 });
    s.fake.market.setLevel('BTC-USDT', 'BUY', '59970', '0.3');
    await until(() => s.resyncs('off_grid') === 1, 'off-grid price detected');
    await equalBooks(s, btc, 'equal after the resync');
    expect(s.records.filter((r) => r.level >= 50 && r.symbol === 'BTC-USDT')).toHaveLength(1);
  });

  test('a tick-size mismatch keeps the book out of use, is logged once, and snapshots back off', async () => {
    // the venue prices ETH in 0.01 steps (ladder 2999, 2998, ...); configured here with a tick of 10
    const s = await setup({ specs: [{ ...ETH, tickSize: '10' }], reconnect: { minMs: 50, maxMs: 400 } });
    const eth = s.registry.list[0]!;
    const t0 = Date.now();
    await until(() => s.feed.snapshots >= 5, 'five snapshot attempts', 10_000);
    const elapsed = Date.now() - t0;
    // retries wait at least half of 50, 100, 200, 400 ms (equal jitter): no hammering
    expect(elapsed).toBeGreaterThanOrEqual(25 + 50 + 100 + 200 - 20);
    expect(s.md.book(0, eth.index).status).toBe(BOOK_RESYNCING);
    expect(s.md.isUsable(0, eth.index)).toBe(false);
    expect(s.resyncs('off_grid')).toBeGreaterThanOrEqual(4);
    expect(s.records.filter((r) => r.level >= 50 && r.symbol === 'ETH-USDT')).toHaveLength(1);
  });

  test('failed and rate-limited snapshots are retried after backoff and Retry-After', async () => {
    const s = await setup({
      specs: [BTC],
      start: false,
      reconnect: { minMs: 100, maxMs: 400 },
      before: (fake) => {
        fake.faults.add({ kind: 'error', status: 503, path: '/api/v3/depth', times: 2 });
        fake.faults.add({ kind: 'rate-limit', path: '/api/v3/depth', times: 1, retryAfter: 1 });
      },
    });
    const btc = ins(s, 'BTC-USDT');
    const t0 = Date.now();
    await s.feed.start();
    await equalBooks(s, btc, 'synced after the failures', 10_000);
    const elapsed = Date.now() - t0;
    expect(s.feed.snapshots).toBe(4);
    // two backoffs (>= 50 + 100 ms) and the 1 s Retry-After
    expect(elapsed).toBeGreaterThanOrEqual(1000 + 150 - 20);
    expect(s.fake.faults.state().rules).toEqual([]);
  });

  test('trades arrive with the taker side (m: the buyer was the maker)', async () => {
    const s = await setup({ specs: [BTC] });
    const btc = ins(s, 'BTC-USDT');
    const trades: Array<{ price: number; qty: number; side: number; ts: number }> = [];
    s.md.listen({ onTrade: (_v, _s, price, qty, side, ts) => trades.push({ price, qty, side, ts }) });
    await equalBooks(s, btc, 'synced');
    const before = Date.now();
    s.fake.taker({ symbol: 'BTC-USDT', side: 'SELL', qty: '0.1' }); // sells into the 59990 bid
    s.fake.taker({ symbol: 'BTC-USDT', side: 'BUY', qty: '0.25' }); // buys from the 60010 ask
    await until(() => trades.length >= 2, 'two trades');
    expect(trades.map((t) => [t.price, t.qty, t.side])).toEqual([
      [...tl(btc, '59990', '0.1'), ASK],
      [...tl(btc, '60010', '0.25'), BID],
    ]);
    for (const t of trades) expect(t.ts).toBeGreaterThanOrEqual(before - 1000);
    expect(s.md.stats[0]!.trades).toBe(2);
    // the book follows the trades
    await until(() => hasLevel(s.md, btc, BID, '59990', '0.4') && hasLevel(s.md, btc, ASK, '60010', '0.25'), 'book after the trades');
    await equalBooks(s, btc, 'equal after the trades');
  });

  test('stop() closes the socket, ends every timer and delivers nothing more', async () => {
    const s = await setup({ specs: [BTC], stallMs: 400, start: false, reconnect: { minMs: 4000, maxMs: 8000 } });
    const timers = trackTimers(`${REPO_ROOT}adapters/`);
    cleanup.push(() => timers.restore());
    await s.feed.start();
    const btc = ins(s, 'BTC-USDT');
    await equalBooks(s, btc, 'synced');
    // a resync pending behind its backoff when stop() comes
    s.fake.faults.apply({ bookGap: 1 });
    s.fake.market.setLevel('BTC-USDT', 'BUY', '59980', '0.777');
    await until(() => s.fake.faults.state().bookGap === 0, 'the update dropped');
    s.fake.market.setLevel('BTC-USDT', 'SELL', '60030', '0.888');
    await until(() => s.resyncs('gap') === 1, 'gap detected');
    expect(timers.pending()).toBeGreaterThanOrEqual(2); // the stall check and the heartbeat at least
    await s.feed.stop();
    expect(timers.pending()).toBe(0);
    await until(() => s.fake.market.socketCount === 0, 'the socket closed at the fake');
    const updates = s.md.book(0, btc.index).updates;
    const events = s.fake.market.depthEvents;
    s.fake.market.setLevel('BTC-USDT', 'BUY', '59975', '1');
    s.fake.taker({ symbol: 'BTC-USDT', side: 'SELL', qty: '0.1' });
    s.fake.market.tick();
    expect(s.fake.market.depthEvents).toBe(events); // nobody listens any more
    expect(s.md.book(0, btc.index).updates).toBe(updates);
    expect(s.md.stats[0]!.trades).toBe(0);
  });
});

/**
 * Timers created from code under `from` (a path prefix in the creating stack) (setTimeout / setInterval through the globals), and which of
 * them are still pending: neither fired (timeouts) nor cleared.
 */
function trackTimers(from: string): { pending(): number; restore(): void } {
  const live = new Set<unknown>();
  const g = globalThis as unknown as Record<string, (...a: unknown[]) => unknown>;
  const orig = { setTimeout: g['setTimeout']!, setInterval: g['setInterval']!, clearTimeout: g['clearTimeout']!, clearInterval: g['clearInterval']! };
  g['setTimeout'] = (fn: unknown, ms: unknown, ...args: unknown[]) => {
    const mine = (new Error().stack ?? '').includes(from);
    const h: unknown = orig.setTimeout((...a: unknown[]) => {
      live.delete(h);
      (fn as (...x: unknown[]) => void)(...a);
    }, ms, ...args);
    if (mine) live.add(h);
    return h;
  };
  g['setInterval'] = (fn: unknown, ms: unknown, ...args: unknown[]) => {
    const h = orig.setInterval(fn, ms, ...args);
    if ((new Error().stack ?? '').includes(from)) live.add(h);
    return h;
  };
  g['clearTimeout'] = (h: unknown) => {
    live.delete(h);
    return orig.clearTimeout(h);
  };
  g['clearInterval'] = (h: unknown) => {
    live.delete(h);
    return orig.clearInterval(h);
  };
  return {
    pending: () => live.size,
    restore: () => Object.assign(g, orig),
  };
}

describe('fake Binance public streams', () => {
  test('combined stream: wrapped events, contiguous update ids, snapshots inside the stream', async () => {
    const fake = await startFakeBinance();
    cleanup.push(() => fake.close());
    const ws = new WebSocket(`${fake.wsOrigin}/stream?streams=btcusdt@depth@100ms/btcusdt@trade`);
    cleanup.push(() => ws.terminate());
    const msgs: Array<{ stream: string; data: Record<string, unknown> }> = [];
    ws.on('message', (d) => msgs.push(JSON.parse(String(d)) as (typeof msgs)[number]));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send(JSON.stringify({ method: 'LIST_SUBSCRIPTIONS', id: 7 }));
    await until(() => msgs.some((m) => (m as unknown as { id?: number }).id === 7), 'list answer');
    expect((msgs.find((m) => (m as unknown as { id?: number }).id === 7) as unknown as { result: string[] }).result.sort()).toEqual(['btcusdt@depth@100ms', 'btcusdt@trade']);
    const res = await fetch(`${fake.urls.rest}/depth?symbol=BTCUSDT&limit=5`);
    expect(res.headers.get('x-mbx-used-weight-1m')).toBe('5');
    const snap = (await res.json()) as { lastUpdateId: number; bids: string[][]; asks: string[][] };
    expect(snap.bids[0]).toEqual(['59990.00000000', '0.50000000']);
    expect(snap.bids).toHaveLength(5);
    for (let i = 0; i < 5; i++) fake.market.setLevel('BTC-USDT', i % 2 === 0 ? 'BUY' : 'SELL', i % 2 === 0 ? `5990${i}` : `6010${i}`, `0.${i + 1}`);
    fake.taker({ symbol: 'BTC-USDT', side: 'BUY', qty: '0.01' });
    await until(() => msgs.filter((m) => m.stream === 'btcusdt@depth@100ms').some((m) => (m.data['u'] as number) > snap.lastUpdateId + 5), 'depth events past the snapshot');
    const depth = msgs.filter((m) => m.stream === 'btcusdt@depth@100ms').map((m) => m.data);
    for (let i = 1; i < depth.length; i++) expect(depth[i]!['U']).toBe((depth[i - 1]!['u'] as number) + 1);
    expect(depth.every((d) => d['e'] === 'depthUpdate' && d['s'] === 'BTCUSDT' && typeof d['E'] === 'number')).toBe(true);
    const trade = msgs.find((m) => m.stream === 'btcusdt@trade')!.data;
    expect(trade).toMatchObject({ e: 'trade', s: 'BTCUSDT', p: '60010.00000000', q: '0.01000000', m: false });
  });
});
