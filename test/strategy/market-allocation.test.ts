/**
 * "Allocation-free on both sides in steady state", pinned as a test (the method of
 * test/intake/submit-path-allocation.test.ts: heap bytes allocated = heap growth + what each GC collected, the least
 * of three runs after a warm-up): per market update, the daemon side (MarketPublisher as a MarketListener: compare,
 * write the cell, write the trade record, decide the wake-up) and the worker side (the runtime's market turn: read the
 * changed cell into the symbol's view, read the trade record, call onMarket and onTrade) together allocate nothing.
 * MarketData itself is left out (its own clock reads are its business): the listener methods are called directly, as
 * MarketData calls them. A control proves the count sees one small object per update.
 */
import { allocatedBytes } from '../../bench/lib/measure.js';
import { afterAll, describe, expect, it } from 'vitest';
import { MarketPublisher } from '../../src/compose/market-publisher.js';
import { Doorbell } from '../../src/intake/ring/doorbell.js';
import { LevelBuffer } from '../../src/market/feed.js';
import { MarketData } from '../../src/market/market-data.js';
import { ManualClock } from '../../src/model/clock.js';
import { InstrumentRegistry } from '../../src/model/instrument.js';
import type { MarketTrade, TopOfBook } from '../../src/strategy/sdk.js';
import { HostedStrategy, type HostLogger } from '../../src/strategy/strategy-host.js';
import { StrategyRuntime } from '../../src/strategy/strategy-runtime.js';
import { INSTRUMENTS, VENUES } from './helpers.js';

const UPDATES = 100_000;
const WARM_UP = 100_000;
/** Allowed heap bytes per update (a top and a trade each way), averaged (late JIT work). */
const MAX_BYTES_PER_UPDATE = 8;
const silent: HostLogger = { debug() {}, info() {}, warn() {}, error() {} };

const runtimes: StrategyRuntime[] = [];
afterAll(async () => {
  for (const r of runtimes) await r.stop();
});

/** A publisher and a runtime on one thread; `run(n)` makes n updates (top change + trade) and delivers them. */
async function channel(allocatingHook: boolean): Promise<{ run: (n: number) => void; sums: Float64Array; kept: unknown[] }> {
  const instruments = new InstrumentRegistry(INSTRUMENTS);
  const hosted = new HostedStrategy({ id: 'md', module: 'unused', symbols: ['BTC-USDT'] }, 0, 64, 64, { symbols: [0], venues: VENUES.length, tradeCapacity: 1024 });
  const clock = new ManualClock();
  const runtime = new StrategyRuntime(hosted.workerData('unused', INSTRUMENTS, VENUES, Doorbell.create()), { post: (m) => hosted.handleMessage(m, undefined, silent) }, clock);
  runtimes.push(runtime);
  const market = new MarketData(instruments, VENUES, ['5', '7'], clock);
  const publisher = new MarketPublisher(market, [hosted.market]);
  const sums = new Float64Array(4);
  const kept: unknown[] = [];
  await runtime.start({
    onMarket(top: TopOfBook) {
      sums[0] += top.bidTicks - top.askTicks;
      sums[1] += top.venues[0]!.bidLots;
    },
    onTrade(t: MarketTrade) {
      sums[2] += t.priceTicks;
      sums[3] += t.lost;
      if (allocatingHook) kept.push({ p: t.priceTicks });
    },
  });
  // books on both venues, through MarketData once (the listener is attached after: the loop calls it directly)
  const bids = new LevelBuffer(2);
  const asks = new LevelBuffer(2);
  bids.push(6_000_000, 1000);
  asks.push(6_000_010, 2000);
  market.snapshot(0, 0, bids, asks, 0);
  market.snapshot(1, 0, bids, asks, 0);
  const book = market.consolidated[0]!;
  const venueBook = market.book(0, 0);
  const drainMarket = (runtime as unknown as { drainMarket(): number }).drainMarket.bind(runtime);
  let k = 0;
  const run = (n: number): void => {
    for (let i = 0; i < n; i++) {
      k++;
      // the top moves by a tick (sim-a's bid, consolidated and its own), then a trade prints
      const bid = 6_000_000 - (k & 1);
      book.bids.price[0] = bid;
      venueBook.bids.price[0] = bid;
      publisher.onConsolidated(0, book);
      publisher.onTrade(k & 1, 0, 6_000_000 + (k & 7), 1 + (k & 3), k & 1 ? 1 : 0, k & 1023);
      if (drainMarket() !== 2) throw new Error(`update ${k}: not delivered`);
    }
  };
  return { run, sums, kept };
}

function bytesPerUpdate(run: (n: number) => void): number {
  let best = Infinity;
  for (let i = 0; i < 3; i++) best = Math.min(best, allocatedBytes(() => run(UPDATES)).bytes / UPDATES);
  return best;
}

describe('market data to a strategy allocates nothing per update', () => {
  it(`publisher (daemon side) + the runtime's market turn (worker side): < ${MAX_BYTES_PER_UPDATE} bytes per update`, async () => {
    const c = await channel(false);
    c.run(WARM_UP);
    const perUpdate = bytesPerUpdate(c.run);
    expect(c.sums[2]).toBeGreaterThan(0); // the hooks ran
    expect(c.sums[3]).toBe(0); // nothing lost
    expect(perUpdate).toBeLessThan(MAX_BYTES_PER_UPDATE);
  });

  it('the count sees allocation (a control: an onTrade that keeps one small object per trade is caught)', async () => {
    const c = await channel(true);
    c.run(WARM_UP);
    c.kept.length = 0;
    const { bytes } = allocatedBytes(() => c.run(UPDATES));
    expect(c.kept).toHaveLength(UPDATES);
    expect(bytes / UPDATES).toBeGreaterThan(MAX_BYTES_PER_UPDATE);
  });
});
