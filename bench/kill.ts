/**
 * bench:kill — the kill switch's time from the call to the last confirmation with N open orders (default 1,000),
 * against the paper venues and against the local fake Binance and OKX (real daemon process, real adapters, loopback),
 * several runs each. Ends with one JSON line:
 *   {"bench":"kill","orders":1000,"runs":3,"paper_ms_p50":…,"paper_ms_max":…,"exchanges_ms_p50":…,"exchanges_ms_max":…,
 *    "unconfirmed":0,"left_open":0}
 * Usage and options: USAGE below (`npm run bench:kill -- --help`).
 */
import { benchArgs, whole } from './lib/args.js';
import { runKill, type KillRunResult } from './lib/kill-run.js';

const USAGE = `Usage: npm run bench:kill [-- --orders N --runs R]
  --orders N   open orders, spread evenly over two venues: an even whole number >= 2 (default 1000)
  --runs R     runs against each set of venues (paper, exchanges): a whole number from 1 to 20 (default 3)
Ends with one JSON line:
  {"bench":"kill","orders":1000,"runs":3,"paper_ms_p50":…,"paper_ms_max":…,"exchanges_ms_p50":…,"exchanges_ms_max":…,
   "unconfirmed":0,"left_open":0}`;

const args = benchArgs({
  script: 'bench:kill',
  usage: USAGE,
  options: {
    // spread evenly over two venues
    orders: whole(2, Infinity, { default: 1000, check: (v) => v % 2 === 0, what: 'an even whole number >= 2' }),
    runs: whole(1, 20, { default: 3 }),
  },
});

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main(): Promise<void> {
  const { orders, runs } = args;
  const results: KillRunResult[] = [];
  for (let r = 0; r < runs; r++) {
    for (const venues of ['paper', 'exchanges'] as const) {
      const res = await runKill({ venues, orders, log: (line) => process.stderr.write(`run ${r + 1}: ${line}\n`) });
      if (res.problems.length > 0) process.stderr.write(`run ${r + 1} ${venues} problems:\n  ${res.problems.join('\n  ')}\n`);
      results.push(res);
    }
  }
  const of = (v: 'paper' | 'exchanges'): number[] => results.filter((x) => x.venues === v).map((x) => x.killMs);
  const round = (x: number): number => Math.round(x * 10) / 10;
  process.stdout.write(JSON.stringify({
    bench: 'kill',
    orders,
    runs,
    paper_ms_p50: round(median(of('paper'))),
    paper_ms_max: round(Math.max(...of('paper'))),
    exchanges_ms_p50: round(median(of('exchanges'))),
    exchanges_ms_max: round(Math.max(...of('exchanges'))),
    unconfirmed: results.reduce((s, x) => s + x.unconfirmed, 0),
    left_open: results.reduce((s, x) => s + x.leftOpen, 0),
    problems: results.reduce((s, x) => s + x.problems.length, 0),
  }) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:kill failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
