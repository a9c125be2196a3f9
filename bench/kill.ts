/**
 * bench:kill — the kill switch's time from the call to the last confirmation with N open orders (default 1,000),
 * against the paper venues and against the local fake Binance and OKX (real daemon process, real adapters, loopback),
 * several runs each. Ends with one JSON line:
 *   {"bench":"kill","orders":1000,"runs":3,"paper_ms_p50":…,"paper_ms_max":…,"exchanges_ms_p50":…,"exchanges_ms_max":…,
 *    "unconfirmed":0,"left_open":0}
 * Usage: npm run bench:kill [-- --orders N --runs R]
 */
import { runKill, type KillRunResult } from './lib/kill-run.js';

function arg(name: string, fallback: number, check: (v: number) => boolean, what: string): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || !check(v)) throw new Error(`--${name} must be ${what}`);
  return v;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main(): Promise<void> {
  // spread evenly over two venues
  const orders = arg('orders', 1000, (v) => v >= 2 && v % 2 === 0, 'an even whole number >= 2');
  const runs = arg('runs', 3, (v) => v >= 1 && v <= 20, 'a whole number from 1 to 20');
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
