/**
 * What a strategy receives from the daemon's market data: a MarketData driven by hand (snapshots, level changes,
 * commits, an invalidation, trades) with the daemon's MarketPublisher listening, and a strategy runtime reading its
 * market channel on the same thread (so every interleaving is decided by the test): onMarket gets the changed
 * consolidated top (fee-adjusted ranking, per-venue tops, conflated), onTrade every trade in order, ctx.topOfBook the
 * newest top, and a full trade ring is accounted for.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MarketPublisher } from '../../src/compose/market-publisher.js';
import { Doorbell } from '../../src/intake/ring/doorbell.js';
import { ASK, BID, LevelBuffer } from '../../src/market/feed.js';
import { MarketData } from '../../src/market/market-data.js';
import { ManualClock } from '../../src/model/clock.js';
import { InstrumentRegistry } from '../../src/model/instrument.js';
import type { MarketTrade, Strategy, TopOfBook } from '../../src/strategy/sdk.js';
import { HostedStrategy, type HostLogger } from '../../src/strategy/strategy-host.js';
import { StrategyRuntime } from '../../src/strategy/strategy-runtime.js';
import { INSTRUMENTS, until, VENUES } from './helpers.js';

const silent: HostLogger = { debug() {}, info() {}, warn() {}, error() {} };
const BTC = 0;
const ETH = 1;
const SIM_A = 0;
const SIM_B = 1;

type Top = Omit<TopOfBook, 'venues'> & { venues: { venue: string; bidTicks: number; bidLots: number; askTicks: number; askLots: number }[] };

/** A copy of the reused view, getters included. */
function copyTop(t: TopOfBook): Top {
  return {
    symbol: t.symbol, symbolIndex: t.symbolIndex,
    bidTicks: t.bidTicks, bidLots: t.bidLots, bidVenue: t.bidVenue, bidAdjusted: t.bidAdjusted,
    askTicks: t.askTicks, askLots: t.askLots, askVenue: t.askVenue, askAdjusted: t.askAdjusted,
    bid: t.bid, bidQty: t.bidQty, ask: t.ask, askQty: t.askQty, bidNet: t.bidNet, askNet: t.askNet,
    venues: t.venues.map((v) => ({ venue: v.venue, bidTicks: v.bidTicks, bidLots: v.bidLots, askTicks: v.askTicks, askLots: v.askLots })),
    ts: t.ts, updates: t.updates,
  };
}

function copyTrade(t: MarketTrade): Omit<MarketTrade, never> {
  return {
    symbol: t.symbol, symbolIndex: t.symbolIndex, venue: t.venue, venueIndex: t.venueIndex, priceTicks: t.priceTicks, qtyLots: t.qtyLots,
    price: t.price, qty: t.qty, side: t.side, venueTs: t.venueTs, ts: t.ts, lost: t.lost,
  };
}

interface Rig {
  market: MarketData;
  publisher: MarketPublisher;
  hosted: HostedStrategy;
  runtime: StrategyRuntime;
  clock: ManualClock;
  tops: Top[];
  trades: ReturnType<typeof copyTrade>[];
  /** Replaces a venue's whole BTC book. */
  book(venue: number, bids: [number, number][], asks: [number, number][]): void;
}

const open: Rig[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) {
    r.publisher.stop();
    await r.runtime.stop();
  }
});

async function rig(opts: { symbols?: string[]; tradeCapacity?: number; hooks?: Partial<Pick<Strategy, 'onMarket' | 'onTrade'>> | null } = {}): Promise<Rig> {
  const instruments = new InstrumentRegistry(INSTRUMENTS);
  const symbols = opts.symbols ?? ['BTC-USDT'];
  const hosted = new HostedStrategy({ id: 'md', module: 'unused', symbols }, 0, 64, 64, {
    symbols: symbols.map((s) => instruments.get(s)!.index), venues: VENUES.length, tradeCapacity: opts.tradeCapacity ?? 64,
  });
  const clock = new ManualClock();
  const runtime = new StrategyRuntime(hosted.workerData('unused', INSTRUMENTS, VENUES, Doorbell.create()), { post: (m) => hosted.handleMessage(m, undefined, silent) }, clock);
  const market = new MarketData(instruments, VENUES, ['5', '7'], clock);
  const publisher = new MarketPublisher(market, [hosted.market]);
  market.listen(publisher);
  const tops: Top[] = [];
  const trades: ReturnType<typeof copyTrade>[] = [];
  const hooks: Strategy = opts.hooks === null ? {} : {
    onMarket: (t) => tops.push(copyTop(t)),
    onTrade: (t) => trades.push(copyTrade(t)),
    ...opts.hooks,
  };
  await runtime.start(hooks);
  const bids = new LevelBuffer(8);
  const asks = new LevelBuffer(8);
  const book = (venue: number, b: [number, number][], a: [number, number][]): void => {
    bids.clear();
    asks.clear();
    for (const [p, q] of b) bids.push(p, q);
    for (const [p, q] of a) asks.push(p, q);
    market.snapshot(venue, BTC, bids, asks, 0);
  };
  const r = { market, publisher, hosted, runtime, clock, tops, trades, book };
  open.push(r);
  return r;
}

describe('market data to a strategy: top of book', () => {
  it('onMarket gets each change of the consolidated top, ranked net of fees, with every venue\'s own top; deeper changes send nothing', async () => {
    const { market, publisher, runtime, tops, book, clock } = await rig();
    const { ctx } = runtime;
    expect(ctx.topOfBook('BTC-USDT')).toBeUndefined(); // no book yet
    expect(ctx.topOfBook('ETH-USDT')).toBeUndefined(); // not one of its symbols

    // sim-a alone: 60000.00 x 0.01 / 60000.10 x 0.02
    book(SIM_A, [[6_000_000, 1000], [5_999_990, 500]], [[6_000_010, 2000]]);
    await until(() => tops.length === 1);
    expect(tops[0]).toEqual({
      symbol: 'BTC-USDT', symbolIndex: BTC,
      bidTicks: 6_000_000, bidLots: 1000, bidVenue: 'sim-a', bidAdjusted: 6_000_000 * (1_000_000 - 500),
      askTicks: 6_000_010, askLots: 2000, askVenue: 'sim-a', askAdjusted: 6_000_010 * (1_000_000 + 500),
      bid: '60000.00', bidQty: '0.01000', ask: '60000.10', askQty: '0.02000',
      bidNet: '59970', askNet: '60030.10005', // 60000 x (1 - 5 bps), 60000.10 x (1 + 5 bps)
      venues: [
        { venue: 'sim-a', bidTicks: 6_000_000, bidLots: 1000, askTicks: 6_000_010, askLots: 2000 },
        { venue: 'sim-b', bidTicks: 0, bidLots: 0, askTicks: 0, askLots: 0 },
      ],
      ts: clock.now(), updates: 1,
    });

    // sim-b bids 5 ticks higher, but its taker fee is 2 bps dearer: sim-a's bid stays the best; sim-b's own top shows
    book(SIM_B, [[6_000_005, 300]], [[6_000_020, 100]]);
    await until(() => tops.length === 2);
    expect(tops[1]).toMatchObject({ bidTicks: 6_000_000, bidVenue: 'sim-a', askTicks: 6_000_010, askVenue: 'sim-a', updates: 2 });
    expect(tops[1]!.venues[1]).toEqual({ venue: 'sim-b', bidTicks: 6_000_005, bidLots: 300, askTicks: 6_000_020, askLots: 100 });

    // a change below the top of sim-a: the consolidated book is rebuilt, the top is the same: nothing is written
    const written = publisher.tops;
    market.level(SIM_A, BTC, BID, 5_999_990, 700);
    market.commit(SIM_A, BTC, 0);
    expect(publisher.tops).toBe(written);

    // sim-b bids 20 USDT higher, through its own ask: its book is crossed and left out
    market.level(SIM_B, BTC, BID, 6_002_000, 50);
    market.commit(SIM_B, BTC, 0);
    await until(() => tops.length === 3);
    expect(tops[2]).toMatchObject({ bidTicks: 6_000_000, bidVenue: 'sim-a', updates: 3 });
    expect(tops[2]!.venues[1]).toMatchObject({ bidTicks: 0, bidLots: 0, askTicks: 0, askLots: 0 });

    // its ask moves up too: the book is consistent again and its bid is the best, even after the dearer fee
    clock.advance(5);
    market.level(SIM_B, BTC, ASK, 6_000_020, 0);
    market.level(SIM_B, BTC, ASK, 6_002_010, 100);
    market.commit(SIM_B, BTC, 0);
    await until(() => tops.length === 4);
    expect(tops[3]).toMatchObject({
      bidTicks: 6_002_000, bidLots: 50, bidVenue: 'sim-b', bidAdjusted: 6_002_000 * (1_000_000 - 700), bidNet: '59977.986', // 60020 x (1 - 7 bps)
      askTicks: 6_000_010, askVenue: 'sim-a', ts: clock.now(), updates: 4,
    });
    expect(tops[3]!.venues[1]).toEqual({ venue: 'sim-b', bidTicks: 6_002_000, bidLots: 50, askTicks: 6_002_010, askLots: 100 });

    // three changes before the strategy gets to run: it sees the newest once (no backlog)
    for (const ask of [6_000_011, 6_000_012, 6_000_013]) {
      market.level(SIM_A, BTC, ASK, 6_000_010, 0);
      market.level(SIM_A, BTC, ASK, ask - 1, 0);
      market.level(SIM_A, BTC, ASK, ask, 2000);
      market.commit(SIM_A, BTC, 0);
    }
    await until(() => tops.length === 5);
    expect(tops[4]).toMatchObject({ askTicks: 6_000_013, askVenue: 'sim-a', updates: 7 });

    // sim-b's book cannot be trusted any more: it leaves the consolidated top and its own top shows empty
    market.invalidate(SIM_B, BTC, 'gap');
    await until(() => tops.length === 6);
    expect(tops[5]).toMatchObject({ bidTicks: 6_000_000, bidVenue: 'sim-a', askTicks: 6_000_013, updates: 8 });
    expect(tops[5]!.venues[1]).toMatchObject({ bidTicks: 0, bidLots: 0, askTicks: 0, askLots: 0 });

    // ctx.topOfBook reads the newest top
    expect(copyTop(ctx.topOfBook('BTC-USDT')!)).toEqual(tops[5]);
    // a book of a symbol the strategy does not have is not published to it
    const before = publisher.tops;
    const lv = new LevelBuffer(1);
    lv.push(300_000, 10);
    market.snapshot(SIM_A, ETH, lv, new LevelBuffer(1), 0);
    expect(publisher.tops).toBe(before);
    expect(ctx.topOfBook('ETH-USDT')).toBeUndefined();

    // every venue gone: the top shows empty sides (not undefined: there was a book)
    market.invalidate(SIM_A, BTC, 'reconnect');
    await until(() => tops.length === 7);
    expect(tops[6]).toMatchObject({ bidTicks: 0, bidLots: 0, bidVenue: undefined, bid: undefined, askTicks: 0, askVenue: undefined, ask: undefined, askNet: undefined });
    expect(ctx.topOfBook('BTC-USDT')).toMatchObject({ bidLots: 0, askLots: 0 });
  });

  it('a strategy without onMarket is never woken for tops, and ctx.topOfBook still reads them', async () => {
    const { hosted, runtime, book } = await rig({ hooks: null });
    book(SIM_A, [[6_000_000, 1000]], [[6_000_010, 2000]]);
    book(SIM_A, [[6_000_001, 1000]], [[6_000_010, 2000]]);
    expect(hosted.market.topsWritten).toBe(2);
    expect(hosted.market.wakeups).toBe(0);
    expect(runtime.ctx.topOfBook('BTC-USDT')).toMatchObject({ bidTicks: 6_000_001, bid: '60000.01', askTicks: 6_000_010 });
  });
});

describe('market data to a strategy: trades', () => {
  it('onTrade gets every trade of its symbols in order, with its fields; other symbols\' trades are not sent', async () => {
    const { market, trades, clock } = await rig();
    market.trade(SIM_A, BTC, 6_000_010, 25, BID, 1_700_000_000_001);
    market.trade(SIM_B, ETH, 300_000, 10, BID, 1_700_000_000_002);
    market.trade(SIM_B, BTC, 6_000_000, 40, ASK, 1_700_000_000_003);
    market.trade(SIM_A, BTC, 6_000_020, 1, BID, 0);
    await until(() => trades.length === 3);
    expect(trades).toEqual([
      { symbol: 'BTC-USDT', symbolIndex: BTC, venue: 'sim-a', venueIndex: SIM_A, priceTicks: 6_000_010, qtyLots: 25, price: '60000.10', qty: '0.00025', side: 'BUY', venueTs: 1_700_000_000_001, ts: clock.now(), lost: 0 },
      { symbol: 'BTC-USDT', symbolIndex: BTC, venue: 'sim-b', venueIndex: SIM_B, priceTicks: 6_000_000, qtyLots: 40, price: '60000.00', qty: '0.00040', side: 'SELL', venueTs: 1_700_000_000_003, ts: clock.now(), lost: 0 },
      { symbol: 'BTC-USDT', symbolIndex: BTC, venue: 'sim-a', venueIndex: SIM_A, priceTicks: 6_000_020, qtyLots: 1, price: '60000.20', qty: '0.00001', side: 'BUY', venueTs: 0, ts: clock.now(), lost: 0 },
    ]);
  });

  it('a strategy that falls behind loses the newest trades, never silently: trade.lost on the next one and ctx.tradesLost', async () => {
    const { market, hosted, runtime, trades } = await rig({ tradeCapacity: 4 });
    for (let i = 1; i <= 7; i++) market.trade(SIM_A, BTC, 6_000_000 + i, 1, BID, 0); // the strategy cannot run in between
    expect(hosted.market.tradesLost).toBe(3);
    expect(runtime.ctx.tradesLost).toBe(3);
    await until(() => trades.length === 4);
    expect(trades.map((t) => [t.priceTicks, t.lost])).toEqual([[6_000_001, 0], [6_000_002, 0], [6_000_003, 0], [6_000_004, 0]]);
    market.trade(SIM_A, BTC, 6_000_008, 1, BID, 0);
    await until(() => trades.length === 5);
    expect(trades[4]).toMatchObject({ priceTicks: 6_000_008, lost: 3 });
    expect(runtime.ctx.tradesLost).toBe(3);
  });

  it('a strategy without onTrade gets no trades (none written, none counted lost)', async () => {
    const { market, hosted, runtime } = await rig({ hooks: { onTrade: undefined } });
    market.trade(SIM_A, BTC, 6_000_000, 1, BID, 0);
    expect([hosted.market.tradesWritten, hosted.market.tradesLost, runtime.ctx.tradesLost]).toEqual([0, 0, 0]);
  });

  it('an onTrade or onMarket that throws is counted and the next updates still come', async () => {
    let n = 0;
    const seen: number[] = [];
    const { market, runtime, book, tops } = await rig({
      hooks: {
        onTrade: (t) => {
          seen.push(t.priceTicks);
          if (++n === 1) throw new Error('bad trade handler');
        },
      },
    });
    market.trade(SIM_A, BTC, 6_000_001, 1, BID, 0);
    market.trade(SIM_A, BTC, 6_000_002, 1, BID, 0);
    book(SIM_A, [[6_000_000, 1000]], [[6_000_010, 2000]]);
    await until(() => seen.length === 2 && tops.length === 1);
    expect(seen).toEqual([6_000_001, 6_000_002]);
    expect(runtime.errors).toBe(1);
  });
});
