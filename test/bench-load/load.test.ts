/**
 * bench:load's library at a tiny size (the full run is `npm run bench:load`): each entry point for about a second
 * with two clients against the real paper daemon process (dist/, built when stale), then its transport's own limit.
 * What is checked is the accounting and the shape of the row, never a speed: every order sent is acknowledged or
 * counted as an error (by code), nothing is negative, the percentiles are ordered, the share is the ratio of the
 * two figures, and the run leaves no daemon, temporary directory or Redis key behind. The histogram and the tally
 * are pinned on their own first.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { afterAll, describe, expect, it, beforeAll } from 'vitest';
import { LatencyHistogram } from '../../bench/lib/load/histogram.js';
import { applyEvent, clientOrderId } from '../../bench/lib/load/orders.js';
import { runLoad, type LoadRun, type Via } from '../../bench/lib/load/run-load.js';
import { LoadTally } from '../../bench/lib/load/tally.js';
import { ensureBuilt } from '../helpers/daemon-process.js';
import { REPO_ROOT, repoPath } from '../helpers/repo.js';

/** dist/bench/lib/load must be a build of the current bench/lib/load (the daemon loads the worker strategy from it). */
function ensureLoadBuilt(): void {
  ensureBuilt();
  const src = repoPath('bench/lib/load');
  const stale = readdirSync(src).filter((f) => f.endsWith('.ts')).some((f) => {
    const out = repoPath(`dist/bench/lib/load/${f.replace(/\.ts$/, '.js')}`);
    return !existsSync(out) || statSync(out).mtimeMs < statSync(join(src, f)).mtimeMs;
  });
  if (!stale) return;
  spawnSync(process.execPath, [repoPath('node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: REPO_ROOT, timeout: 120_000 });
}

const tempDirs = (): Set<string> => new Set(readdirSync(tmpdir()).filter((d) => d.startsWith('switchyard-bench-load-')));

function checkRow(r: LoadRun, via: Via): void {
  expect(r.via).toBe(via);
  expect(r.clients).toBe(2);
  expect(r.journal).toBe(true);
  for (const k of ['orders', 'acks', 'fills', 'errors', 'orders_per_s', 'acks_per_s', 'fills_per_s', 'transport_per_s', 'cpu_s', 'rss_mb', 'seconds'] as const) {
    expect(typeof r[k], k).toBe('number');
    expect(Number.isFinite(r[k]) && r[k] >= 0, `${k} = ${r[k]}`).toBe(true);
  }
  // every order accounted for: acknowledged or an error counted by its code
  expect(r.orders).toBeGreaterThan(0);
  expect(r.acks + r.errors).toBe(r.orders);
  expect(Object.values(r.errors_by_code).reduce((a, b) => a + b, 0)).toBe(r.errors);
  for (const n of Object.values(r.errors_by_code)) expect(n).toBeGreaterThan(0);
  if (r.acks > 0) {
    const ps = [r.ack_p50_us, r.ack_p95_us, r.ack_p99_us, r.ack_p999_us] as number[];
    for (const p of ps) expect(p).toBeGreaterThan(0);
    for (let i = 1; i < ps.length; i++) expect(ps[i]).toBeGreaterThanOrEqual(ps[i - 1]!);
  }
  // orders_per_s is computed from the unrounded elapsed time; `seconds` is printed to the millisecond (at most 0.5 ms
  // off), so the two agree to within that share of the rate, plus the rate's own rounding
  const rate = r.orders / r.seconds;
  expect(Math.abs(r.orders_per_s - rate)).toBeLessThanOrEqual(1 + rate * (0.0005 / r.seconds));
  expect(r.transport_per_s).toBeGreaterThan(0);
  // the orders acknowledged: a refused order is no work the daemon did for the transport's figure
  expect(r.share_of_transport).toBeCloseTo(r.acks_per_s / r.transport_per_s, 2);
  expect(r.rss_mb).toBeGreaterThan(0);
  // the main thread is one of the daemon's threads (CPU read in clock ticks: 10 ms granularity), and no thread is busier
  // than the wall time
  expect(r.main_thread_cpu_s).toBeGreaterThanOrEqual(0);
  expect(r.main_thread_cpu_s).toBeLessThanOrEqual(r.cpu_s + 0.02);
  expect(r.main_thread_busy).not.toBeNull();
  expect(r.main_thread_busy!).toBeGreaterThanOrEqual(0);
  expect(r.main_thread_busy!).toBeLessThanOrEqual(1.1);
  // the machine's busy time over the same window holds the daemon's main thread's (ticks: a little slack)
  expect(r.machine_cores).toBeGreaterThanOrEqual(1);
  expect(r.machine_busy_cores).not.toBeNull();
  expect(r.machine_busy_cores!).toBeGreaterThanOrEqual(r.main_thread_busy! - 0.05);
  expect(r.machine_busy_cores!).toBeLessThanOrEqual(r.machine_cores + 0.05);
  expect(r.ack_source).toBe('event');
  // the daemon's followers as it reported them (the history always; the event publisher with Redis)
  expect(r.followers).not.toBeNull();
  const h = r.followers!.history!;
  expect(['live', 'catch-up', 'starting']).toContain(h.mode);
  expect(Number.isInteger(h.overflows) && h.overflows >= 0).toBe(true);
  expect(Number.isInteger(h.lag_records) && h.lag_records >= 0).toBe(true);
  if (via === 'redis') expect(r.followers!.events).not.toBeNull();
  else expect(r.followers!.events).toBeNull();
}

describe('bench:load pieces', () => {
  it('the histogram answers quantiles within its bucket precision', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 100_000; i++) h.record(i / 10); // 0.1 .. 10,000 µs, uniform
    expect(h.count).toBe(100_000);
    for (const q of [0.5, 0.95, 0.99, 0.999]) {
      const exact = q * 10_000;
      expect(Math.abs(h.quantile(q) - exact) / exact).toBeLessThan(0.02);
    }
    const back = LatencyHistogram.fromJSON(JSON.parse(JSON.stringify(h.toJSON())));
    expect(back.quantile(0.99)).toBe(h.quantile(0.99));
    expect(back.count).toBe(h.count);
    expect(new LatencyHistogram().quantile(0.5)).toBeNaN();
  });

  it('the tally settles each order once: acks, errors by code, late events, NO_ACK at the end', () => {
    const t = new LoadTally(4);
    const tallies = [new LoadTally(1), t];
    const tag = 'Ltst';
    const n1 = t.sent(0);
    const n2 = t.sent(0);
    const n3 = t.sent(0);
    const n4 = t.sent(0);
    expect(t.canSend()).toBe(false); // the window is full
    applyEvent({ clientOrderId: clientOrderId(tag, 1, n1), event: 'ACCEPT' }, tag, tallies, 1);
    applyEvent({ clientOrderId: clientOrderId(tag, 1, n1), event: 'FILL' }, tag, tallies, 2); // after the ack: a fill
    applyEvent({ clientOrderId: clientOrderId(tag, 1, n2), event: 'PARTIAL_FILL' }, tag, tallies, 3); // a fill first acks
    applyEvent({ clientOrderId: clientOrderId(tag, 1, n3), event: 'REJECT' }, tag, tallies, 4);
    applyEvent({ clientOrderId: clientOrderId(tag, 1, n3), event: 'ACCEPT' }, tag, tallies, 5); // late: not counted
    applyEvent({ clientOrderId: 'other123', event: 'ACCEPT' }, tag, tallies, 5); // not ours
    expect(t).toMatchObject({ orders: 4, acks: 2, fills: 2, errors: 1, inFlight: 1, late: 1 });
    expect(t.latency.quantile(0.5)).toBeGreaterThan(0);
    expect(t.canSend()).toBe(true);
    t.expireAll('NO_ACK', 10);
    expect(t.waiting(n4)).toBe(false);
    expect(t).toMatchObject({ orders: 4, acks: 2, errors: 2, inFlight: 0 });
    expect(Object.fromEntries(t.errorsByCode)).toEqual({ REJECT: 1, NO_ACK: 1 });
    expect(tallies[0]!.orders).toBe(0);
  });
});

describe('bench:load against the real daemon (tiny size)', () => {
  let before: Set<string>;
  // the runs' temporary directories in one of this file's own (os.tmpdir() reads TMPDIR), so that another bench:load
  // running on the machine meanwhile is not taken for what these runs left
  const outerTmp = process.env.TMPDIR;
  let ownTmp = '';
  beforeAll(() => {
    ensureLoadBuilt();
    ownTmp = mkdtempSync(join(tmpdir(), 'sy-load-test-'));
    process.env.TMPDIR = ownTmp;
    before = tempDirs();
  }, 180_000);
  afterAll(() => {
    if (outerTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = outerTmp;
    if (ownTmp !== '') rmSync(ownTmp, { recursive: true, force: true });
  });

  for (const via of ['http', 'ws', 'worker', 'redis'] as const) {
    it(`${via}: every order acknowledged or counted as an error, and a transport figure`, async () => {
      const r = await runLoad({ via, clients: 2, durationS: 1, transportDurationS: 0.5, drainS: 5, window: 128 });
      checkRow(r, via);
      if (via === 'ws') expect(typeof r.ws_batch_frames).toBe('boolean');
      else expect(r.ws_batch_frames).toBeNull();
      expect(r.stream).toBe(via === 'worker' ? null : 'lean');
      const left = [...tempDirs()].filter((d) => !before.has(d));
      expect(left).toEqual([]);
      if (via === 'redis') {
        const c = createClient({ url: 'redis://127.0.0.1:6379' });
        c.on('error', () => undefined);
        await c.connect();
        const keys = await c.keys(`sybenchload:${process.pid}:*`);
        await c.close();
        expect(keys).toEqual([]);
      }
    }, 60_000);
  }

  it('refused orders are errors, not acknowledgements: they do not count in the share of the transport', async () => {
    // every order denied by pre-trade risk (a notional cap below the order's): orders sent, none acknowledged
    const before = process.env.BENCH_DAEMON_SET;
    process.env.BENCH_DAEMON_SET = JSON.stringify({ 'risk.maxOrderNotional': '0.01' });
    try {
      const r = await runLoad({ via: 'ws', clients: 2, durationS: 1, transportDurationS: 0.5, drainS: 5, window: 128 });
      expect(r.orders).toBeGreaterThan(0);
      expect(r.acks).toBe(0);
      expect(r.errors).toBe(r.orders);
      expect(r.orders_per_s).toBeGreaterThan(0);
      expect(r.share_of_transport).toBe(0);
    } finally {
      if (before === undefined) delete process.env.BENCH_DAEMON_SET;
      else process.env.BENCH_DAEMON_SET = before;
    }
  }, 60_000);
});
