/**
 * bench:route — what routing by the books is worth, and what a routing decision costs.
 *
 *   npm run bench:route [-- --orders N --seed S]     (= node --expose-gc dist/bench/route.js; run npm run build first)
 *
 * One process, one seeded simulated market (bench/lib/route-market.ts): three venues of one symbol (tick 0.01, lot
 * 0.001, mid 1000.00 = 100,000 ticks) with different books, taker fees and one-way latencies:
 *   - fast: half spread 5 ticks, a level every 5 ticks, 10..60 lots a level, taker 6 bps, 2 ms;
 *   - deep: half spread 25 ticks, a level every 10 ticks, 100..300 lots a level, taker 2 bps, 20 ms;
 *   - mid:  half spread 12 ticks, a level every 8 ticks, 40..150 lots a level, taker 4 bps, 8 ms.
 * The venues quote around one fair mid that walks (1 ms steps, sigma 1 tick, drift +/-0.2 tick/ms in regimes of
 * ~300 ms); depth taken by an execution refills with a 100 ms time constant. One seeded stream of market orders
 * (exponential arrivals, mean gap 40 ms; 5..1500 lots, log-uniform: from inside the top level to many levels deep;
 * buys and sells, 70 % of them with the drift of the moment) is routed three ways, each over the same market (the
 * venues are reset between routes; the mid path and the orders are the same):
 *   - table: the venue of the next slot of a 256-slot table of equal weights (buildSlots, src/routing/routing-table.ts),
 *     round robin over the slots; the whole order, at the market;
 *   - best: RoutePlanner.best (src/routing/route-planner.ts): the whole order, at the market, to that venue;
 *   - sweep: RoutePlanner.sweep: each child IOC at its limit price at its venue; what a child does not fill (the book
 *     moved during its latency) is known one latency later and sent at the market to the rest venue (one more
 *     latency: t0 + 2 x its venue's + the rest venue's); the rest (restLots) is sent at the market to restVenue.
 *     Nothing is dropped: every order of every route is filled in full, so the costs compare like with like.
 * At each order's arrival t0 the venue books as they are then (with what earlier executions of the same route took)
 * are loaded into a MarketData (snapshots) that the planner reads. Each routed order (child) executes against its
 * venue's book as it is at t0 + that venue's latency (the mid has moved), consuming depth, paying the venue's fee.
 * A market order deeper than the 60 simulated levels fills the rest at the last level (counted: `exhausted_lots`).
 * Cost of an order: all-in bps against the arrival mid (the consolidated mid at t0: best raw bid and ask over the
 * venues): buy (average price paid incl. fee - mid) / mid x 1e4, sell (mid - average received net of fee) / mid x
 * 1e4. The *_cost_bps figures are QUANTITY-WEIGHTED averages over the orders (sum cost x lots / sum lots); the
 * per-order (unweighted) means are printed too (per_order_cost_bps).
 *
 * Decision latency: RoutePlanner.sweep (decision_p50/p99_ns) and .best (best_decision_*) on 3 venues x 20 levels, one
 * decision per sample between two performance.now() reads (each sample includes one timer read: its p50 is printed
 * as timer_overhead_ns), over 256 book states of the run and the run's order sizes and sides, after a warm-up.
 * Allocation: heap bytes allocated per decision in steady state (v8 GC profiler: heap after - before + collected,
 * bench/lib/measure.ts), the least of 3 passes of 1,000,000 decisions; expected 0.
 *
 * Human lines, then one JSON line:
 *   {"bench":"route","orders":…,"table_cost_bps":…,"best_cost_bps":…,"sweep_cost_bps":…,"decision_p50_ns":…,
 *    "decision_p99_ns":…,"best_decision_p50_ns":…,"best_decision_p99_ns":…,"alloc_bytes_per_decision":…,
 *    "best_alloc_bytes_per_decision":…,"timer_overhead_ns":…,"seed":…,"cost_weighting":"quantity",
 *    "per_order_cost_bps":{…},"sweep_children_per_order":…,"sweep_rest_lots":…,"sweep_ioc_shortfall_lots":…,"total_lots":…,
 *    "exhausted_lots":{…},"venue_share":{…}}
 */
import { performance } from 'node:perf_hooks';
import { LevelBuffer } from '../src/market/feed.js';
import { MarketData } from '../src/market/market-data.js';
import { ManualClock } from '../src/model/clock.js';
import { InstrumentRegistry } from '../src/model/instrument.js';
import { RoutePlanner } from '../src/routing/route-planner.js';
import { buildSlots, SLOT_COUNT } from '../src/routing/routing-table.js';
import { benchArgs, whole } from './lib/args.js';
import { allocatedBytes, fmtInt, fullGc, percentiles, timerOverheadNs } from './lib/measure.js';
import { BUY, LEVELS, type MarketParams, SimMarket, type SimVenueSpec } from './lib/route-market.js';

const SPECS: readonly SimVenueSpec[] = [
  { name: 'fast', takerBps: '6', latencyMs: 2, halfSpreadTicks: 5, stepTicks: 5, sizeLo: 10, sizeHi: 60 },
  { name: 'deep', takerBps: '2', latencyMs: 20, halfSpreadTicks: 25, stepTicks: 10, sizeLo: 100, sizeHi: 300 },
  { name: 'mid', takerBps: '4', latencyMs: 8, halfSpreadTicks: 12, stepTicks: 8, sizeLo: 40, sizeHi: 150 },
];
const PARAMS: MarketParams = {
  midTicks: 100_000, sigmaTicksPerMs: 1, driftTicksPerMs: 0.2, regimeMs: 300, informed: 0.7, meanGapMs: 40,
  minLots: 5, maxLots: 1500, refillMs: 100,
};
const MAX_LEVELS = 20;
const LATENCY_SAMPLES = 300_000;
const LATENCY_STATES = 256;
const ALLOC_DECISIONS = 1_000_000;

type RouteKind = 'table' | 'best' | 'sweep';

interface RouteResult {
  kind: RouteKind;
  costBps: number;
  perOrderBps: number;
  exhausted: number;
  restLots: number;
  shortfall: number;
  children: number;
  share: number[];
  lots: number;
}

const USAGE = `Usage: npm run bench:route [-- --orders N --seed S]     (= node --expose-gc dist/bench/route.js; run npm run build first)
  --orders N   market orders routed each way, a positive whole number (default 20000)
  --seed S     the simulated market's seed, a non-negative whole number (default 1)
Human lines, then one JSON line:
  {"bench":"route","orders":…,"table_cost_bps":…,"best_cost_bps":…,"sweep_cost_bps":…,"decision_p50_ns":…,
   "decision_p99_ns":…,"best_decision_p50_ns":…,"best_decision_p99_ns":…,"alloc_bytes_per_decision":…,
   "best_alloc_bytes_per_decision":…,"timer_overhead_ns":…,"seed":…,"cost_weighting":"quantity",
   "per_order_cost_bps":{…},"sweep_children_per_order":…,"sweep_rest_lots":…,"sweep_ioc_shortfall_lots":…,"total_lots":…,
   "exhausted_lots":{…},"venue_share":{…}}`;

function args(): { orders: number; seed: number } {
  return benchArgs({
    script: 'bench:route',
    usage: USAGE,
    options: {
      orders: whole(1, Number.MAX_SAFE_INTEGER, { default: 20_000 }),
      seed: whole(0, Number.MAX_SAFE_INTEGER, { default: 1 }),
    },
  });
}

function marketData(clock: ManualClock): MarketData {
  const instruments = new InstrumentRegistry([{ symbol: 'XYZ-USD', base: 'XYZ', quote: 'USD', tickSize: '0.01', lotSize: '0.001' }]);
  return new MarketData(instruments, SPECS.map((s) => s.name), SPECS.map((s) => s.takerBps), clock, { depth: MAX_LEVELS, staleMs: 1e12 });
}

const bids = new LevelBuffer(LEVELS);
const asks = new LevelBuffer(LEVELS);

/** Loads every venue's book as it is at time t into md; returns the consolidated mid (best raw bid and ask). */
function load(sim: SimMarket, md: MarketData, t: number): number {
  const mid = sim.midAt(t);
  let bb = -Infinity;
  let ba = Infinity;
  for (let v = 0; v < sim.venues.length; v++) {
    const venue = sim.venues[v]!;
    venue.fillSide(0, t, mid, bids);
    venue.fillSide(1, t, mid, asks);
    md.snapshot(v, 0, bids, asks, 0);
    if (bids.count > 0) bb = Math.max(bb, bids.price[0]!);
    if (asks.count > 0) ba = Math.min(ba, asks.price[0]!);
  }
  return (bb + ba) / 2;
}

function route(kind: RouteKind, sim: SimMarket, md: MarketData, planner: RoutePlanner, now: number): RouteResult {
  sim.reset();
  const slots = buildSlots(SPECS.map(() => 1));
  let cursor = 0;
  const res = new Float64Array(3);
  const share = SPECS.map(() => 0);
  let weighted = 0;
  let lots = 0;
  let perOrder = 0;
  let exhausted = 0;
  let restLots = 0;
  let shortfall = 0;
  let children = 0;
  const n = sim.orderAt.length;
  /** Adds what venue v's execution of (qty, limit) at time t brings; returns the lots filled. */
  let value = 0;
  const exec = (v: number, side: number, qty: number, limit: number, t: number): number => {
    res.fill(0);
    const venue = sim.venues[v]!;
    venue.execute(side, qty, limit, t, sim.midAt(t), res);
    value += res[1]! * (side === BUY ? 1 + venue.fee : 1 - venue.fee);
    exhausted += res[2]!;
    share[v]! += res[0]!;
    return res[0]!;
  };
  for (let k = 0; k < n; k++) {
    const t0 = sim.orderAt[k]!;
    const side = sim.orderSide[k]!;
    const qty = sim.orderQty[k]!;
    const mid = load(sim, md, t0);
    value = 0;
    if (kind === 'table' || kind === 'best') {
      const v = kind === 'table' ? slots[cursor++ & (SLOT_COUNT - 1)]! : planner.best(0, side, qty, 0, now);
      if (v < 0) throw new Error(`order ${k}: no venue`);
      exec(v, side, qty, 0, t0 + SPECS[v]!.latencyMs);
    } else {
      const c = planner.sweep(0, side, qty, 0, now);
      children += c;
      const rv = planner.restVenue >= 0 ? planner.restVenue : lowestFee();
      const rest = planner.restLots;
      restLots += rest;
      if (rest > 0) exec(rv, side, rest, 0, t0 + SPECS[rv]!.latencyMs);
      for (let i = 0; i < c; i++) {
        const v = planner.childVenue[i]!;
        const q = planner.childQty[i]!;
        const lat = SPECS[v]!.latencyMs;
        const got = exec(v, side, q, planner.childPrice[i]!, t0 + lat);
        if (got < q) {
          shortfall += q - got;
          exec(rv, side, q - got, 0, t0 + 2 * lat + SPECS[rv]!.latencyMs);
        }
      }
    }
    const avg = value / qty;
    const bps = ((side === BUY ? avg - mid : mid - avg) / mid) * 1e4;
    weighted += bps * qty;
    lots += qty;
    perOrder += bps;
  }
  const total = share.reduce((a, b) => a + b, 0);
  return {
    kind, costBps: weighted / lots, perOrderBps: perOrder / n, exhausted, restLots, shortfall, children: children / n,
    share: share.map((s) => s / total), lots,
  };
}

function lowestFee(): number {
  let best = 0;
  for (let v = 1; v < SPECS.length; v++) if (Number(SPECS[v]!.takerBps) < Number(SPECS[best]!.takerBps)) best = v;
  return best;
}

interface Latency {
  p50: number;
  p99: number;
}

/** Single-decision latency samples over LATENCY_STATES book states of the run (loading a state is not timed). */
function latency(which: 'sweep' | 'best', sim: SimMarket, md: MarketData, planner: RoutePlanner, now: number): Latency {
  const samples = new Float64Array(LATENCY_SAMPLES);
  const n = sim.orderAt.length;
  const per = Math.ceil(LATENCY_SAMPLES / LATENCY_STATES);
  sim.reset();
  const pass = (record: boolean): void => {
    let k = 0;
    for (let s = 0; s < LATENCY_STATES; s++) {
      load(sim, md, sim.orderAt[Math.floor((s * n) / LATENCY_STATES)]!);
      for (let j = 0; j < per && k < LATENCY_SAMPLES; j++, k++) {
        const o = k % n;
        const side = sim.orderSide[o]!;
        const qty = sim.orderQty[o]!;
        const t = performance.now();
        if (which === 'sweep') planner.sweep(0, side, qty, 0, now);
        else planner.best(0, side, qty, 0, now);
        if (record) samples[k] = performance.now() - t;
      }
    }
  };
  pass(false);
  fullGc();
  pass(true);
  const p = percentiles(samples);
  return { p50: Math.round(p.p50 * 1e6), p99: Math.round(p.p99 * 1e6) };
}

/** Heap bytes per decision in steady state on one loaded book state (the least of 3 passes). */
function allocation(which: 'sweep' | 'best', sim: SimMarket, md: MarketData, planner: RoutePlanner, now: number): number {
  sim.reset();
  load(sim, md, sim.orderAt[0]!);
  const n = sim.orderAt.length;
  let sink = 0;
  const pass = (): void => {
    for (let i = 0; i < ALLOC_DECISIONS; i++) {
      const o = i % n;
      if (which === 'sweep') sink += planner.sweep(0, sim.orderSide[o]!, sim.orderQty[o]!, 0, now);
      else sink += planner.best(0, sim.orderSide[o]!, sim.orderQty[o]!, 0, now);
    }
  };
  pass();
  let best = Infinity;
  for (let r = 0; r < 3; r++) {
    fullGc();
    best = Math.min(best, allocatedBytes(pass).bytes / ALLOC_DECISIONS);
  }
  if (sink < 0) throw new Error('unreachable');
  return best;
}

function main(): void {
  const { orders, seed } = args();
  console.log(`bench:route — node ${process.version}, ${process.platform}/${process.arch}; ${SPECS.length} venues, ${fmtInt(orders)} orders, seed ${seed}`);
  if (!fullGc()) console.log('(run with node --expose-gc for a forced collection before each measured pass)');
  for (const s of SPECS) {
    console.log(
      `  ${s.name}: taker ${s.takerBps} bps, latency ${s.latencyMs} ms, half spread ${s.halfSpreadTicks} ticks, a level every ${s.stepTicks} ticks, ` +
      `${s.sizeLo}..${s.sizeHi} lots a level`,
    );
  }
  const g0 = performance.now();
  const sim = new SimMarket(PARAMS, SPECS, orders, seed);
  console.log(`market and orders generated in ${((performance.now() - g0) / 1000).toFixed(1)} s (${(sim.mid.length / 1000).toFixed(0)} s of market)`);
  const clock = new ManualClock();
  const md = marketData(clock);
  const planner = new RoutePlanner(md, { maxLevels: MAX_LEVELS });
  const now = clock.monoMs();

  const results: RouteResult[] = [];
  for (const kind of ['table', 'best', 'sweep'] as const) {
    const t0 = performance.now();
    const r = route(kind, sim, md, planner, now);
    results.push(r);
    const extra = kind === 'sweep'
      ? `; ${r.children.toFixed(2)} children/order, rest ${fmtInt(r.restLots)} lots and IOC shortfall ${fmtInt(r.shortfall)} lots (${((r.shortfall / r.lots) * 100).toFixed(1)}% of ${fmtInt(r.lots)}) sent at the market to the rest venue`
      : '';
    console.log(
      `${kind}: cost ${r.costBps.toFixed(3)} bps (quantity-weighted; per order ${r.perOrderBps.toFixed(3)} bps); lots by venue ` +
      `${SPECS.map((s, v) => `${s.name} ${(r.share[v]! * 100).toFixed(1)}%`).join(', ')}; exhausted ${fmtInt(r.exhausted)} lots${extra} ` +
      `(${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    );
  }
  const [table, best, sweep] = results as [RouteResult, RouteResult, RouteResult];
  const ordered = sweep.costBps <= best.costBps && best.costBps <= table.costBps;
  console.log(`expected sweep <= best <= table: ${ordered ? 'yes' : 'NO'} (${sweep.costBps.toFixed(3)} / ${best.costBps.toFixed(3)} / ${table.costBps.toFixed(3)} bps)`);

  const sweepLat = latency('sweep', sim, md, planner, now);
  const bestLat = latency('best', sim, md, planner, now);
  const overhead = timerOverheadNs();
  console.log(`decision latency (3 venues x ${MAX_LEVELS} levels): sweep p50 ${sweepLat.p50} ns, p99 ${sweepLat.p99} ns; best p50 ${bestLat.p50} ns, p99 ${bestLat.p99} ns`);
  console.log(`each latency sample includes one timer read: empty timed region p50 ${overhead.toFixed(0)} ns`);
  const sweepAlloc = allocation('sweep', sim, md, planner, now);
  const bestAlloc = allocation('best', sim, md, planner, now);
  console.log(`heap allocated per decision: sweep ${sweepAlloc.toFixed(3)} bytes, best ${bestAlloc.toFixed(3)} bytes`);

  const byKind = (f: (r: RouteResult) => number): Record<string, number> => Object.fromEntries(results.map((r) => [r.kind, Number(f(r).toFixed(4))]));
  console.log(JSON.stringify({
    bench: 'route', orders, table_cost_bps: Number(table.costBps.toFixed(4)), best_cost_bps: Number(best.costBps.toFixed(4)),
    sweep_cost_bps: Number(sweep.costBps.toFixed(4)), decision_p50_ns: sweepLat.p50, decision_p99_ns: sweepLat.p99,
    best_decision_p50_ns: bestLat.p50, best_decision_p99_ns: bestLat.p99, alloc_bytes_per_decision: Number(sweepAlloc.toFixed(3)),
    best_alloc_bytes_per_decision: Number(bestAlloc.toFixed(3)), timer_overhead_ns: Math.round(overhead), seed, cost_weighting: 'quantity',
    per_order_cost_bps: byKind((r) => r.perOrderBps), sweep_children_per_order: Number(sweep.children.toFixed(3)),
    sweep_rest_lots: sweep.restLots, sweep_ioc_shortfall_lots: sweep.shortfall, total_lots: sweep.lots, exhausted_lots: byKind((r) => r.exhausted),
    venue_share: Object.fromEntries(results.map((r) => [r.kind, Object.fromEntries(SPECS.map((s, v) => [s.name, Number(r.share[v]!.toFixed(4))]))])),
  }));
}

main();
