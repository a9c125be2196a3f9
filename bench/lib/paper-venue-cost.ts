/**
 * The paper venue's own main-thread CPU per order, alone: a PaperVenue built as the daemon builds it for
 * config/paper.yaml's sim-a (latency 0, its book published to a market-data sink), with a report sink and a market-data
 * sink that do nothing, so what is measured is the venue's work (engine, our orders, fee texts, reports made, book
 * publication), not the daemon's tracker. The orders are bench:load's: IOC limits of BTC-USDT 1 % through the market,
 * buys and sells in turn, 0.0001 BTC each, handed over in batches through a reused view (as the daemon's order store
 * hands them); every `restEvery`-th order is instead a GTC bid far below the market that rests and is canceled in the
 * next round. The simulation steps once per round (the daemon's timer steps it every 250 ms) so the ladder refills.
 *
 *   node dist/bench/lib/paper-venue-cost.js [--orders N] [--batch B] [--rest-every K] [--segments S] [--retain R] [--check]
 *
 * Prints CPU microseconds per order (process.cpuUsage over each measured segment, user + system; the median of the
 * segments). With --check it instead prints a hash of every report in order and of lookups, open orders and structure
 * sizes after every turn (to compare two builds' behaviour: the same seed and orders give the same answers).
 */
import type { MarketDataSink } from '../../src/market/feed.js';
import { DEFAULT_RETAIN_FINISHED, PaperVenue } from '../../adapters/paper/paper-venue.js';
import type { ExecutionReport, OrderBatch } from '../../src/execution/venue.js';
import type { OrderId } from '../../src/model/ids.js';
import { Instrument } from '../../src/model/instrument.js';
import type { OrderType, Side, TimeInForce } from '../../src/model/order.js';
import { benchArgs, flag, whole } from './args.js';

const USAGE = `Usage: node dist/bench/lib/paper-venue-cost.js [--orders N] [--batch B] [--rest-every K] [--segments S] [--retain R] [--check]
  --orders N       orders measured, over the segments (default 200000)
  --batch B        orders per batch handed over (default 32)
  --rest-every K   every K-th order a GTC bid that rests and is canceled in the next round (default 10; 0: none)
  --segments S     measured segments (default 7)
  --retain R       the venue's retained finished orders (default: the daemon's, ${DEFAULT_RETAIN_FINISHED})
  --check          instead print a hash of every report in order and of lookups, open orders and structure sizes after
                   every turn (to compare two builds' behaviour: the same seed and orders give the same answers)
Prints CPU microseconds per order (process.cpuUsage over each measured segment, user + system; the median of the
segments). Every value is a whole number: --rest-every and --retain from 0, the others from 1.`;

const args = benchArgs({
  script: 'paper-venue-cost',
  usage: USAGE,
  options: {
    orders: whole(1, Number.MAX_SAFE_INTEGER, { default: 200_000 }),
    batch: whole(1, Number.MAX_SAFE_INTEGER, { default: 32 }),
    'rest-every': whole(0, Number.MAX_SAFE_INTEGER, { default: 10 }),
    segments: whole(1, Number.MAX_SAFE_INTEGER, { default: 7 }),
    retain: whole(0, Number.MAX_SAFE_INTEGER, { default: DEFAULT_RETAIN_FINISHED }),
    check: flag(),
  },
});
const ORDERS = args.orders;
const BATCH = args.batch;
const REST_EVERY = args['rest-every'];
const SEGMENTS = args.segments;
/** The venue's retained finished orders (default: the daemon's, DEFAULT_RETAIN_FINISHED). */
const RETAIN = args.retain;
const CHECK = args.check;
/** Batches handed over before the timers that carry them are let run (latency 0: they all fire on the next turn). */
const BATCHES_PER_TURN = 16;
/** Rounds (of BATCHES_PER_TURN batches) between simulation steps. */
const TURNS_PER_STEP = 4;

const MID = 6_000_000; // 60000.00, config/paper.yaml's referencePrice
const BTC = new Instrument({ symbol: 'BTC-USDT', base: 'BTC', quote: 'USDT', tickSize: '0.01', lotSize: '0.00001', minQty: '0.00001', minNotional: '5' }, 0);
const QTY = 10; // 0.0001 BTC
const BUY_PRICE = 6_060_000; // 60600: 1 % through
const SELL_PRICE = 5_940_000; // 59400
const REST_PRICE = 5_400_000; // 54000: rests

/** A batch view over reused arrays, as the daemon's StoreBatch reads its order store. */
class Batch implements OrderBatch {
  count = 0;
  readonly ids = new Float64Array(BATCH);
  readonly cids: string[] = new Array<string>(BATCH).fill('');
  readonly sides: Side[] = new Array<Side>(BATCH).fill('BUY');
  readonly tifs: TimeInForce[] = new Array<TimeInForce>(BATCH).fill('IOC');
  readonly prices = new Float64Array(BATCH);
  orderId(i: number): OrderId { return this.ids[i]!; }
  clientOrderId(i: number): string { return this.cids[i]!; }
  instrument(_i: number): Instrument { return BTC; }
  side(i: number): Side { return this.sides[i]!; }
  type(_i: number): OrderType { return 'LIMIT'; }
  timeInForce(i: number): TimeInForce { return this.tifs[i]!; }
  postOnly(_i: number): boolean { return false; }
  priceTicks(i: number): number { return this.prices[i]!; }
  stopTicks(_i: number): number { return 0; }
  qtyLots(_i: number): number { return QTY; }
}

const noopMarketData: MarketDataSink = {
  snapshot() {}, level() {}, commit() {}, invalidate() {}, trade() {}, offGridQty() {}, alive() {},
};

let reports = 0;
let hash = 0x811c9dc5;
function hashText(s: string): void {
  let h = hash;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  hash = h >>> 0;
}

const venue = new PaperVenue(
  {
    name: 'sim-a', markets: [{ instrument: BTC, startMidTicks: MID }], makerBps: '1', takerBps: '5', latencyMs: 0, seed: 1,
    spreadTicks: 4, volatilityTicks: 2, depthLevels: 10, levelNotional: 20_000, tradesPerSecond: 4, stepMs: 250,
    marketData: { sink: noopMarketData, venue: 0, depth: 200, aliveMs: 1000 },
    retainFinished: RETAIN,
  },
  CHECK
    ? { report: (_name: string, r: ExecutionReport) => { reports++; hashText(JSON.stringify(r)); } }
    : { report: () => { reports++; } },
);

const batch = new Batch();
let nextId = 0;
let resting: number[] = [];
let restingNext: number[] = [];
const turn = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

/** `n` orders (rounded up to whole turns): batches, the cancels of the last turn's resting bids, a step now and then. */
async function run(n: number): Promise<number> {
  let sent = 0;
  let turns = 0;
  while (sent < n) {
    for (let b = 0; b < BATCHES_PER_TURN; b++) {
      for (let i = 0; i < BATCH; i++) {
        const id = ++nextId;
        batch.ids[i] = id;
        // as the daemon makes them (prefix + id in base 36) and has looked them up in its own map already
        batch.cids[i] = 'papr1a2b3c' + id.toString(36);
        if (id % REST_EVERY === 0) {
          batch.sides[i] = 'BUY';
          batch.tifs[i] = 'GTC';
          batch.prices[i] = REST_PRICE;
          restingNext.push(id);
        } else {
          const buy = (id & 1) === 0;
          batch.sides[i] = buy ? 'BUY' : 'SELL';
          batch.tifs[i] = 'IOC';
          batch.prices[i] = buy ? BUY_PRICE : SELL_PRICE;
        }
      }
      batch.count = BATCH;
      venue.submit(batch);
      sent += BATCH;
    }
    for (const id of resting) venue.cancel({ orderId: id, clientOrderId: 'papr1a2b3c' + id.toString(36), venueOrderId: undefined, instrument: BTC });
    [resting, restingNext] = [restingNext, resting];
    restingNext.length = 0;
    await turn();
    if (++turns % TURNS_PER_STEP === 0) venue.advance(1);
    if (CHECK) await checkLookups();
  }
  return sent;
}

const statusText = (s: unknown): string => JSON.stringify(s, (k, v: unknown) => (k === 'instrument' ? (v as Instrument).symbol : v));

/** --check: what lookups of recent, older and forgotten orders (and of a live resting one) answer, and the sizes. */
async function checkLookups(): Promise<void> {
  for (const back of [0, 1, 7, 100, 1000, 4000, 4200, 5000, 9000]) {
    const id = nextId - back;
    if (id > 0) hashText(statusText(await venue.lookup('papr1a2b3c' + id.toString(36))));
  }
  if (resting.length > 0) hashText(statusText(await venue.lookup('papr1a2b3c' + resting[0]!.toString(36))));
  hashText(JSON.stringify((await venue.openOrders([BTC])).length));
  hashText(JSON.stringify(venue.structureSizes()));
}

async function main(): Promise<void> {
  if (CHECK) {
    await run(ORDERS);
    await turn();
    console.log(JSON.stringify({ orders: nextId, reports, hash: hash.toString(16) }));
    return;
  }
  await run(Math.max(20_000, ORDERS / 5)); // warm-up: optimised code, a full ring of retained finished orders
  const perOrder: number[] = [];
  for (let s = 0; s < SEGMENTS; s++) {
    const before = process.cpuUsage();
    const sent = await run(ORDERS / SEGMENTS);
    const used = process.cpuUsage(before);
    perOrder.push((used.user + used.system) / sent);
  }
  await turn();
  const sorted = [...perOrder].sort((a, b) => a - b);
  console.log(JSON.stringify({
    cpu_us_per_order_median: Number(sorted[sorted.length >> 1]!.toFixed(3)),
    segments: perOrder.map((x) => Number(x.toFixed(3))),
    batch: BATCH, rest_every: REST_EVERY, orders: nextId, reports,
  }));
}

await main();
