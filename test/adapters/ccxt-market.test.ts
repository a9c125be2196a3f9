/**
 * ccxt pro market data (adapters/ccxt/market-feed.ts: watchOrderBook / watchTrades) against the fake Binance and the
 * fake OKX on 127.0.0.1, with the daemon's MarketData as the sink: ccxt keeps the book in sync with the venue's
 * documented protocol (Binance snapshot + update ids, OKX seqId chaining), the feed hands each book over whole; the
 * book MarketData holds is compared level by level with the fake's. Every wait is a poll with a deadline.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, test } from 'vitest';
import { CcxtMarketFeed } from '../../adapters/ccxt/market-feed.js';
import { BID, RESYNC_REASONS } from '../../src/market/feed.js';
import { MarketData } from '../../src/market/market-data.js';
import { BOOK_SYNCED } from '../../src/market/venue-book.js';
import { systemClock } from '../../src/model/clock.js';
import { type Instrument, InstrumentRegistry } from '../../src/model/instrument.js';
import { startFakeBinance, startFakeOkx } from '../venues/index.js';
import { until } from './helpers.js';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const log = pino({ level: process.env['CCXT_MARKET_LOG'] === undefined ? 'silent' : 'debug' });
const DEPTH = 10;
type Levels = Array<[number, number]>;

function held(md: MarketData, ins: Instrument): { bids: Levels; asks: Levels } {
  const b = md.book(0, ins.index);
  const side = (l: typeof b.bids): Levels => Array.from({ length: Math.min(DEPTH, l.count) }, (_, i) => [l.price[i]!, l.qty[i]!]);
  return { bids: side(b.bids), asks: side(b.asks) };
}

function toLevels(ins: Instrument, side: readonly (readonly [string, string])[]): Levels {
  return side.slice(0, DEPTH).map(([px, sz]) => {
    const p = ins.priceToTicks(px);
    const q = ins.qtyToLots(sz);
    if (!p.ok || !q.ok) throw new Error(`fake level ${px} ${sz} off the grid`);
    return [p.value, q.value];
  });
}

function feedFor(exchangeId: 'binance' | 'okx', registry: InstrumentRegistry, md: MarketData, urls: { rest: string; ws: string }, stallMs = 5000): CcxtMarketFeed {
  const feed = new CcxtMarketFeed(
    { venue: 0, name: exchangeId, instruments: registry.list, sink: md, depth: DEPTH, stallMs, reconnect: { minMs: 50, maxMs: 400 }, log, clock: systemClock },
    { exchangeId, sandbox: false, urls },
  );
  cleanup.push(() => feed.stop());
  return feed;
}

/** The fake OKX, a MarketData and a started ccxt feed on it; `equal()`: our BTC-USDT book is synced and the fake's. */
async function okxRig(stallMs = 5000) {
  const fake = await startFakeOkx({ marketData: { publishMs: 20, idleMs: 200 } });
  cleanup.push(() => fake.close());
  const registry = new InstrumentRegistry([{ symbol: 'BTC-USDT', base: 'BTC', quote: 'USDT', tickSize: '0.1', lotSize: '0.00000001' }]);
  const btc = registry.get('BTC-USDT')!;
  const md = new MarketData(registry, ['okx'], ['10'], systemClock, { depth: DEPTH });
  cleanup.push(() => md.stop());
  await feedFor('okx', registry, md, { rest: fake.origin, ws: fake.wsOrigin }, stallMs).start();
  const fakeBook = (): { bids: Levels; asks: Levels } => {
    const b = fake.market.book('BTC-USDT', DEPTH);
    return { bids: toLevels(btc, b.bids.map((l) => [l[0]!, l[1]!] as [string, string])), asks: toLevels(btc, b.asks.map((l) => [l[0]!, l[1]!] as [string, string])) };
  };
  const equal = (): boolean => md.book(0, btc.index).status === BOOK_SYNCED && JSON.stringify(held(md, btc)) === JSON.stringify(fakeBook());
  const resyncs = (reason: (typeof RESYNC_REASONS)[number]): number => md.stats[0]!.resyncs[RESYNC_REASONS.indexOf(reason)]!;
  return { fake, md, btc, equal, resyncs };
}

describe('ccxt pro market data', () => {
  test('Binance: the book follows the fake\'s through random changes; trades arrive with the taker side; a gap resyncs', async () => {
    const fake = await startFakeBinance();
    cleanup.push(() => fake.close());
    const registry = new InstrumentRegistry([{ symbol: 'BTC-USDT', base: 'BTC', quote: 'USDT', tickSize: '0.01', lotSize: '0.00001' }]);
    const btc = registry.get('BTC-USDT')!;
    const md = new MarketData(registry, ['binance'], ['10'], systemClock, { depth: DEPTH });
    cleanup.push(() => md.stop());
    const trades: string[] = [];
    md.listen({ onTrade: (_v, _s, _p, _q, side) => trades.push(side === BID ? 'buy' : 'sell') });
    const feed = feedFor('binance', registry, md, { rest: fake.origin, ws: fake.wsOrigin });
    await feed.start();
    const fakeBook = (): { bids: Levels; asks: Levels } => {
      const vi = fake.core.instrument('BTC-USDT')!;
      const side = (s: 'BUY' | 'SELL') => toLevels(btc, fake.core.levels('BTC-USDT', s, DEPTH).map(([p, q]) => [vi.price.format(p, 8), vi.lot.format(q, 8)] as [string, string]));
      return { bids: side('BUY'), asks: side('SELL') };
    };
    for (let round = 0; round < 5; round++) {
      fake.market.churn('BTC-USDT', 50);
      await until(() => md.book(0, btc.index).status === BOOK_SYNCED && JSON.stringify(held(md, btc)) === JSON.stringify(fakeBook()), `round ${round}: books equal`, 10_000);
    }
    expect(held(md, btc).bids.length).toBeGreaterThan(0);
    await until(() => trades.length > 0, 'a trade from the churn', 10_000);
    expect(md.stats[0]!.resyncs.reduce((a, b) => a + b, 0)).toBe(0);
    // a gap in the update ids: ccxt notices it, the feed resubscribes, the book comes back equal
    fake.faults.apply({ bookGap: 1 });
    // the update after the lost one shows the gap (the fake publishes every 100 ms)
    await until(() => {
      fake.market.churn('BTC-USDT', 5);
      return md.stats[0]!.resyncs.reduce((a, b) => a + b, 0) > 0;
    }, 'the gap noticed', 10_000);
    expect(md.stats[0]!.resyncs[RESYNC_REASONS.indexOf('gap')]).toBe(1);
    fake.market.churn('BTC-USDT', 20);
    await until(() => md.book(0, btc.index).status === BOOK_SYNCED && JSON.stringify(held(md, btc)) === JSON.stringify(fakeBook()), 'equal again after the gap', 10_000);
  });

  test('OKX: the book follows the fake\'s; a sequence gap is found by ccxt and the book comes back equal', async () => {
    const { fake, md, equal } = await okxRig();
    for (let round = 0; round < 3; round++) {
      fake.market.churn('BTC-USDT', 50);
      await until(equal, `round ${round}: books equal`, 10_000);
    }
    fake.faults.apply({ bookGap: 1 });
    fake.market.churn('BTC-USDT', 20);
    await until(() => md.stats[0]!.resyncs.reduce((a, b) => a + b, 0) > 0, 'the gap noticed', 10_000);
    fake.market.churn('BTC-USDT', 20);
    await until(equal, 'equal again after the gap', 10_000);
  });

  test('OKX: a venue that goes silent is a stall: the books are invalidated, the connection reopened and the book synced again', async () => {
    const { fake, md, btc, resyncs } = await okxRig(1500);
    await until(() => md.book(0, btc.index).status === BOOK_SYNCED, 'synced', 10_000);
    fake.faults.apply({ marketStallMs: 120_000 }); // the open connection goes silent for good; new ones are served
    await until(() => resyncs('stall') > 0, 'the stall noticed', 10_000);
    fake.market.churn('BTC-USDT', 20);
    await until(() => md.book(0, btc.index).status === BOOK_SYNCED, 'synced again on a new connection', 15_000);
  });

  test('OKX: a bad checksum (which ccxt does not check) invalidates the book; after the resubscription it is equal again', async () => {
    const { fake, equal, resyncs } = await okxRig();
    fake.market.churn('BTC-USDT', 30);
    await until(equal, 'equal', 10_000);
    fake.faults.apply({ bookChecksum: 1 });
    fake.market.churn('BTC-USDT', 20);
    await until(() => resyncs('checksum') > 0, 'the bad checksum noticed', 10_000);
    fake.market.churn('BTC-USDT', 20);
    await until(equal, 'equal again after the resubscription', 10_000);
  });
});
