/**
 * Market data daemon -> worker strategy: how many trades per second a worker strategy receives through its market
 * channel (src/intake/ring/market-channel.ts), end to end through the daemon's MarketPublisher (a MarketListener)
 * on the main thread and the strategy runtime (src/strategy/strategy-runtime.ts: its pump, wake-ups, views and
 * onTrade / onMarket hooks) in a worker thread. The main thread offers trades as fast as the ring takes them (it
 * looks at the ring's fill level, so none is lost: the daemon itself never waits for a strategy, this is to find
 * the ceiling), with a change of the top of book every 16 trades (conflated: the worker sees the newest).
 * Peer in the same run: one postMessage per record (bench/lib/ring-throughput.ts), printed as a ratio.
 *
 *   npm run build && node --expose-gc dist/bench/market-worker.js [trades]
 *
 * Human lines, then one JSON line:
 *   {"bench":"market-worker","trades":…,"trades_per_s":…,"lost":…,"tops_written":…,"tops_seen":…,"wakeups":…,
 *    "postmessage_per_s":…,"ratio_vs_postmessage":…}
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { MarketPublisher } from '../src/compose/market-publisher.js';
import { Doorbell } from '../src/intake/ring/doorbell.js';
import { RingConsumer } from '../src/intake/ring/spsc-ring.js';
import { LevelBuffer } from '../src/market/feed.js';
import { MarketData } from '../src/market/market-data.js';
import { CoarseClock } from '../src/model/clock.js';
import { InstrumentRegistry, type InstrumentSpec } from '../src/model/instrument.js';
import { transpileModuleGraph } from '../src/strategy/module-loader.js';
import { HostedStrategy } from '../src/strategy/strategy-host.js';
import { StrategyRuntime } from '../src/strategy/strategy-runtime.js';
import type { StrategyWorkerData } from '../src/strategy/worker-protocol.js';
import { benchArgs, whole } from './lib/args.js';
import { measurePostMessageThroughput } from './lib/ring-throughput.js';

const KIND = 'switchyard-bench-market-worker';
const INSTRUMENTS: InstrumentSpec[] = [{ symbol: 'BTC-USDT', base: 'BTC', quote: 'USDT', tickSize: '0.01', lotSize: '0.00001' }];
const VENUES = ['a', 'b'];
const CAPACITY = 4096;

interface WorkerReport {
  trades: number;
  lost: number;
  tops: number;
  outOfOrder: number;
}

/** The worker: a strategy runtime whose hooks count; reports when the trade priced `end` arrives. */
async function runWorker(d: Omit<StrategyWorkerData, 'kind' | 'moduleUrl'> & { end: number }): Promise<void> {
  const runtime = new StrategyRuntime(d, { post: () => {} });
  // a pending Atomics.waitAsync does not keep a thread alive: the port does (as in worker-main.ts)
  const port = parentPort!;
  port.on('message', () => {});
  const r: WorkerReport = { trades: 0, lost: 0, tops: 0, outOfOrder: 0 };
  let last = 0;
  await runtime.start({
    onTrade(t) {
      r.trades++;
      r.lost += t.lost;
      if (t.priceTicks <= last) r.outOfOrder++;
      last = t.priceTicks;
      if (t.priceTicks === d.end) {
        port.postMessage(r);
        void runtime.stop().then(() => port.close());
      }
    },
    onMarket() {
      r.tops++;
    },
  });
  port.postMessage('ready');
}

if (!isMainThread && (workerData as { kind?: string } | undefined)?.kind === KIND) void runWorker(workerData as never);

async function entry(): Promise<{ url: URL; dispose: () => void }> {
  const self = fileURLToPath(import.meta.url);
  if (self.endsWith('.js')) return { url: new URL(import.meta.url), dispose: () => {} };
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  const js = await transpileModuleGraph(self, dir);
  return { url: pathToFileURL(js), dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface MarketWorkerResult {
  readonly trades: number;
  readonly tradesPerSecond: number;
  readonly lost: number;
  readonly topsWritten: number;
  readonly topsSeen: number;
  readonly wakeups: number;
}

/** One run: `trades` trades (and a top change every 16) from the main thread to a worker strategy. */
export async function measureMarketToWorker(trades: number): Promise<MarketWorkerResult> {
  const clock = new CoarseClock();
  const e = await entry();
  try {
    const instruments = new InstrumentRegistry(INSTRUMENTS);
    const hosted = new HostedStrategy({ id: 'bench', module: 'unused', symbols: ['BTC-USDT'] }, 0, 64, 64, { symbols: [0], venues: VENUES.length, tradeCapacity: CAPACITY });
    const market = new MarketData(instruments, VENUES, ['5', '7'], clock);
    const publisher = new MarketPublisher(market, [hosted.market]);
    market.listen(publisher);
    const bids = new LevelBuffer(1);
    const asks = new LevelBuffer(1);
    bids.push(6_000_000, 1000);
    asks.push(6_000_010, 1000);
    market.snapshot(0, 0, bids, asks, 0);
    const data = { ...hosted.workerData('unused', INSTRUMENTS, VENUES, Doorbell.create()), kind: KIND, end: trades };
    const worker = new Worker(e.url, { workerData: data });
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    const failed = new Promise<never>((_, reject) => {
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`market-worker bench: the worker exited (code ${code})`)));
    });
    failed.catch(() => {});
    const messages: unknown[] = [];
    let wake: (() => void) | undefined;
    worker.on('message', (m) => {
      messages.push(m);
      wake?.();
    });
    const next = async (): Promise<unknown> => {
      while (messages.length === 0) await Promise.race([new Promise<void>((resolve) => (wake = resolve)), failed]);
      return messages.shift();
    };
    if ((await next()) !== 'ready') throw new Error('market-worker bench: the worker did not start');
    const fill = new RingConsumer(data.tradeRing); // only its size() is read: the fill level
    const book = market.consolidated[0]!;
    const t0 = performance.now();
    for (let i = 1; i <= trades; i++) {
      while (fill.size() >= CAPACITY) await new Promise((resolve) => setImmediate(resolve));
      if ((i & 15) === 0) {
        book.bids.price[0] = 6_000_000 - ((i >> 4) & 1);
        publisher.onConsolidated(0, book);
      }
      publisher.onTrade(i & 1, 0, i, 1, 0, 0);
    }
    const report = (await next()) as WorkerReport;
    const elapsedMs = performance.now() - t0;
    await exited;
    publisher.stop();
    if (report.trades !== trades || report.outOfOrder !== 0) throw new Error(`market-worker bench: ${JSON.stringify(report)}`);
    return {
      trades,
      tradesPerSecond: Math.round(trades / (elapsedMs / 1000)),
      lost: report.lost + hosted.market.tradesLost,
      topsWritten: hosted.market.topsWritten,
      topsSeen: report.tops,
      wakeups: hosted.market.wakeups,
    };
  } finally {
    clock.stop();
    e.dispose();
  }
}

const USAGE = `Usage: npm run build && node --expose-gc dist/bench/market-worker.js [trades]
  trades   trades per run, a positive whole number (default 2000000); 3 runs, the median reported
Human lines, then one JSON line:
  {"bench":"market-worker","trades":…,"trades_per_s":…,"lost":…,"tops_written":…,"tops_seen":…,"wakeups":…,
   "postmessage_per_s":…,"ratio_vs_postmessage":…}`;

async function main(): Promise<void> {
  const n = benchArgs({
    script: 'market-worker',
    usage: USAGE,
    options: {},
    positionals: { trades: whole(1, Number.MAX_SAFE_INTEGER, { default: 2_000_000 }) },
  }).trades;
  const runs: MarketWorkerResult[] = [];
  for (let i = 0; i < 3; i++) runs.push(await measureMarketToWorker(n));
  runs.sort((a, b) => a.tradesPerSecond - b.tradesPerSecond);
  const median = runs[1]!;
  const peer = await measurePostMessageThroughput(Math.min(n, 200_000));
  const ratio = Math.round((median.tradesPerSecond / peer.recordsPerSecond) * 100) / 100;
  console.log(`market data -> worker strategy: ${median.tradesPerSecond.toLocaleString('en')} trades/s (median of 3 runs of ${n.toLocaleString('en')}), lost ${median.lost}`);
  console.log(`  tops written ${median.topsWritten.toLocaleString('en')}, seen by onMarket ${median.topsSeen.toLocaleString('en')} (conflated), wake-ups ${median.wakeups}`);
  console.log(`  peer, one postMessage per record: ${peer.recordsPerSecond.toLocaleString('en')} records/s; ratio ${ratio}`);
  console.log(JSON.stringify({
    bench: 'market-worker', trades: n, trades_per_s: median.tradesPerSecond, lost: median.lost, tops_written: median.topsWritten,
    tops_seen: median.topsSeen, wakeups: median.wakeups, postmessage_per_s: peer.recordsPerSecond, ratio_vs_postmessage: ratio,
  }));
}

if (isMainThread && process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
