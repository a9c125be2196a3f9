/**
 * bench:soak — is the daemon's memory flat over a long run?
 *
 *   npm run bench:soak        (= npm run build && node --expose-gc dist/bench/soak.js)
 *   options: --minutes N (default 10) --rate N (API orders per second, default 100) --clients N (HTTP clients,
 *            default 8) --retain N (daemon.retainFinishedOrders for the run, default 10000) --sample-s N (default 10)
 *
 * The paper daemon of config/paper.yaml — its two worker strategies (momentum, market-maker) trading on its two
 * paper venues — runs in a child process (bench/lib/soak-daemon.ts) while HTTP clients here place and cancel orders
 * at a steady rate as strategy `manual`: marketable IOC buys and sells that fill (and cross internally first), and
 * resting bids far from the market canceled about a second later. Every `--sample-s` seconds the daemon process runs
 * a full GC and reports its RSS and heap (only it can measure its own heap; the clients' memory is not in it).
 *
 * Warm-up: the first 20 % of the run. The daemon keeps the last `retainFinishedOrders` finished orders queryable,
 * so its heap grows by design until that many orders have finished; the run's retention (--retain) is sized so that
 * this happens within the warm-up at the default rate (10,000 at ~100 orders/s: about 100 s of a 120 s warm-up).
 * After the warm-up every per-order structure is full or recycling, and the heap must be flat: the heap slope is the
 * least-squares slope of the heap-used samples after the warm-up, in KB per minute. (A run with the daemon's default
 * retention of 100,000 needs 100,000 finished orders inside its warm-up: e.g. --retain 100000 --rate 400 --minutes 25.)
 * The journal's first snapshot (after daemon.journal.snapshotEvery records, about 5 minutes in at the defaults) is a
 * one-time step too (the capture keeps its columns and buffers for the next): when a sample sees the first snapshot
 * file before the last third of the run, the measured window starts there rather than at the end of the warm-up.
 *
 * Progress lines first; the last line is one JSON object:
 *   {"bench":"soak","minutes":…,"orders":…,"rss_start_mb":…,"rss_end_mb":…,"heap_slope_kb_per_min":…,"first_snapshot_s":…}
 * Exits 1 when the daemon failed, a request got a 5xx or failed at the transport, or the load could not be kept (more
 * than 1 % of the orders skipped because too many requests were still unanswered).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchArgs, num, type Opt } from './lib/args.js';
import type { SoakDaemonMessage, SoakDaemonSettings, SoakParentMessage } from './lib/soak-daemon.js';

const USAGE = `Usage: npm run bench:soak [-- --minutes N --rate N --clients N --retain N --sample-s N]
                          (= npm run build && node --expose-gc dist/bench/soak.js)
  --minutes N    the run's length (default 10)
  --rate N       API orders per second (default 100)
  --clients N    HTTP clients (default 8; whole: a fraction is dropped)
  --retain N     daemon.retainFinishedOrders for the run (default 10000; whole: a fraction is dropped)
  --sample-s N   seconds between the daemon's memory samples (default 10)
Each a positive number. Warm-up: the first 20 % of the run; after it the heap must be flat (a run with the daemon's
default retention of 100,000 needs 100,000 finished orders inside its warm-up: e.g. --retain 100000 --rate 400
--minutes 25). Progress lines first; the last line is one JSON object:
  {"bench":"soak","minutes":…,"orders":…,"rss_start_mb":…,"rss_end_mb":…,"heap_slope_kb_per_min":…,"first_snapshot_s":…}
Exits 1 when the daemon failed, a request got a 5xx or failed at the transport, or the load could not be kept (more
than 1 % of the orders skipped because too many requests were still unanswered).`;

const positive = (fallback: number): Opt<number> => num(0, Infinity, { default: fallback, aboveMin: true });
const args = benchArgs({
  script: 'bench:soak',
  usage: USAGE,
  options: { minutes: positive(10), rate: positive(100), clients: positive(8), retain: positive(10_000), 'sample-s': positive(10) },
});
const minutes = args.minutes;
const rate = args.rate;
const clients = Math.floor(args.clients);
const retain = Math.floor(args.retain);
const sampleMs = args['sample-s'] * 1000;
const WARMUP_SHARE = 0.2;
/** Requests in flight at most: beyond it a tick's orders are skipped (counted) instead of queuing without bound. */
const MAX_IN_FLIGHT = clients * 8;
const TICK_MS = 100;
/** A resting order is canceled this long after it was acknowledged. */
const REST_MS = 1000;

const here = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = join(here, '..', '..'); // dist/bench -> repo
const configFile = join(repoRoot, 'config', 'paper.yaml');

/** Where each symbol trades (paper.yaml's reference prices), the order size, and price steps for the two order kinds. */
const SYMBOLS = [
  { symbol: 'BTC-USDT', ref: 60000, qty: '0.001' },
  { symbol: 'ETH-USDT', ref: 3000, qty: '0.01' },
  { symbol: 'SOL-USDT', ref: 150, qty: '0.1' },
] as const;

interface Sample { t: number; rss: number; heapUsed: number; orders: number; held: number; open: number; snapshotSeq: number }

const counts = { placed: 0, filledOrExpired: 0, resting: 0, canceled: 0, cancelTooLate: 0, refused: 0, status5xx: 0, transport: 0, skipped: 0 };
const refusals = new Map<string, number>();

console.log(`bench:soak — node ${process.version}, ${process.platform}/${process.arch}; ${minutes} min, ${rate} API orders/s from ${clients} HTTP clients, retainFinishedOrders ${retain}, a sample every ${sampleMs / 1000} s`);

const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-soak-'));
const token = randomBytes(24).toString('hex');
const settings: SoakDaemonSettings = { configFile, dataDir, token, retainFinishedOrders: retain };
const child = fork(join(here, 'lib', 'soak-daemon.js'), [JSON.stringify(settings)], {
  execArgv: ['--expose-gc'],
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});

/** The next message of `type` from the daemon (or its failure / exit). */
function next<T extends SoakDaemonMessage['type']>(proc: ChildProcess, type: T, timeoutMs: number): Promise<Extract<SoakDaemonMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`no ${type} message from the daemon within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (m: SoakDaemonMessage): void => {
      if (m.type === type) done(undefined, m as Extract<SoakDaemonMessage, { type: T }>);
      else if (m.type === 'failed') done(new Error(`daemon failed: ${m.message}`));
    };
    const onExit = (code: number | null, signal: string | null): void => done(new Error(`daemon exited (code ${code}, signal ${signal}) while waiting for ${type}`));
    function done(err: Error | undefined, m?: Extract<SoakDaemonMessage, { type: T }>): void {
      clearTimeout(timer);
      proc.off('message', onMessage);
      proc.off('exit', onExit);
      if (err !== undefined) reject(err);
      else resolve(m!);
    }
    proc.on('message', onMessage);
    proc.on('exit', onExit);
  });
}

const agent = new Agent({ keepAlive: true, maxSockets: clients });
let port = 0;
let inFlight = 0;

function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  inFlight++;
  return new Promise<{ status: number; json: any }>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1', port, method, path, agent,
        headers: { authorization: `Bearer ${token}`, ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: any = null;
          try { json = text === '' ? null : JSON.parse(text); } catch { json = null; }
          resolve({ status: res.statusCode ?? 0, json });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(payload);
  }).finally(() => inFlight--);
}

function judge(r: { status: number; json: any }): boolean {
  if (r.status >= 500) {
    counts.status5xx++;
    return false;
  }
  if (r.status >= 400) {
    const code = String(r.json?.error?.code ?? r.status);
    refusals.set(code, (refusals.get(code) ?? 0) + 1);
    return false;
  }
  return true;
}

/** Resting orders to cancel: order id and when. */
const toCancel: { id: number; at: number }[] = [];
let seq = 0;

async function place(): Promise<void> {
  const n = seq++;
  const s = SYMBOLS[n % SYMBOLS.length]!;
  const kind = Math.floor(n / SYMBOLS.length) % 3; // 0: marketable buy, 1: marketable sell, 2: resting bid
  const side = kind === 1 ? 'SELL' : 'BUY';
  const price = kind === 0 ? s.ref * 1.02 : kind === 1 ? s.ref * 0.98 : s.ref * 0.9;
  const body = {
    strategy: 'manual', symbol: s.symbol, side, type: 'LIMIT', timeInForce: kind === 2 ? 'GTC' : 'IOC',
    price: price.toFixed(2), quantity: s.qty,
  };
  try {
    const r = await call('POST', '/v1/orders', body);
    if (!judge(r)) {
      if (r.status >= 400 && r.status < 500) counts.refused++;
      return;
    }
    counts.placed++;
    if (kind === 2) {
      counts.resting++;
      toCancel.push({ id: Number(r.json.orderId), at: Date.now() + REST_MS });
    } else {
      counts.filledOrExpired++;
    }
  } catch {
    counts.transport++;
  }
}

async function cancel(id: number): Promise<void> {
  try {
    const r = await call('DELETE', `/v1/orders/${id}?by=id`);
    if (r.status === 202) counts.canceled++;
    else if (r.status < 500 && r.json?.error?.code === 'ORDER_NOT_CANCELABLE') counts.cancelTooLate++;
    else judge(r);
  } catch {
    counts.transport++;
  }
}

const mb = (bytes: number): number => Math.round((bytes / 1048576) * 10) / 10;

/** Least-squares slope of y over x. */
function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return Number.NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  return sxx === 0 ? Number.NaN : sxy / sxx;
}

let failed: string | undefined;
const samples: Sample[] = [];
try {
  port = (await next(child, 'ready', 120_000)).port;
  console.log(`daemon pid ${child.pid} listening on 127.0.0.1:${port}, data in ${dataDir}`);
  const t0 = Date.now();
  const durationMs = minutes * 60_000;
  const sample = async (): Promise<Sample> => {
    const wait = next(child, 'sample', 60_000);
    child.send({ type: 'sample' } satisfies SoakParentMessage);
    const m = await wait;
    const s: Sample = { t: (Date.now() - t0) / 60_000, rss: m.rss, heapUsed: m.heapUsed, orders: m.orders, held: m.held, open: m.open, snapshotSeq: m.snapshotSeq };
    samples.push(s);
    console.log(
      `t=${(s.t * 60).toFixed(0).padStart(4)} s  rss ${mb(s.rss).toFixed(1)} MB  heap ${mb(s.heapUsed).toFixed(1)} MB  ` +
      `orders ${s.orders}  tracker holds ${s.held} (open ${s.open})  snapshot ${s.snapshotSeq > 0 ? `at seq ${s.snapshotSeq}` : 'none yet'}  api: placed ${counts.placed}, canceled ${counts.canceled}, ` +
      `refused ${counts.refused}, 5xx ${counts.status5xx}, transport errors ${counts.transport}, skipped ${counts.skipped}`,
    );
    return s;
  };
  await sample();
  // Steady load: every TICK_MS, rate x TICK_MS orders (carrying the fraction), and the cancels that are due.
  let carry = 0;
  const loadTimer = setInterval(() => {
    carry += (rate * TICK_MS) / 1000;
    const n = Math.floor(carry);
    carry -= n;
    for (let i = 0; i < n; i++) {
      if (inFlight >= MAX_IN_FLIGHT) counts.skipped++;
      else void place();
    }
    const now = Date.now();
    while (toCancel.length > 0 && toCancel[0]!.at <= now) void cancel(toCancel.shift()!.id);
  }, TICK_MS);
  let nextSample = t0 + sampleMs;
  while (Date.now() - t0 < durationMs) {
    const wait = Math.min(nextSample, t0 + durationMs) - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (Date.now() >= nextSample) {
      await sample();
      nextSample += sampleMs;
    }
  }
  clearInterval(loadTimer);
  // the last sample closes the run (unless one was just taken)
  if (Date.now() - t0 - samples.at(-1)!.t * 60_000 > 1000) await sample();
  const deadline = Date.now() + 30_000;
  while (inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
} catch (err) {
  failed = err instanceof Error ? err.message : String(err);
} finally {
  agent.destroy();
  if (child.exitCode === null && child.connected) {
    const stopped = next(child, 'stopped', 30_000).catch(() => undefined);
    child.send({ type: 'stop' } satisfies SoakParentMessage);
    await stopped;
  }
  // the daemon has stopped (or failed): give its process a moment to exit, then make sure it is gone
  const exited = new Promise<void>((r) => (child.exitCode !== null ? r() : child.once('exit', () => r())));
  const grace = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(grace);
}

if (failed !== undefined) {
  let tail = '';
  try { tail = readFileSync(join(dataDir, 'daemon.log'), 'utf8').split('\n').slice(-20).join('\n'); } catch { /* no log */ }
  console.log(`FAILED: ${failed}\nlast daemon log lines (${join(dataDir, 'daemon.log')}):\n${tail}`);
} else {
  rmSync(dataDir, { recursive: true, force: true });
}

const first = samples[0];
const last = samples.at(-1);
// The measured window: after the warm-up, and after the journal's first snapshot when one came before the last third
// of the run (its capture keeps its columns and buffers for the next snapshot: a one-time step, not growth).
const firstSnapshot = samples.find((s) => s.snapshotSeq > 0);
const from = firstSnapshot !== undefined && firstSnapshot.t <= (minutes * 2) / 3 ? Math.max(minutes * WARMUP_SHARE, firstSnapshot.t) : minutes * WARMUP_SHARE;
const after = samples.filter((s) => s.t >= from);
const slopeKbPerMin = slope(after.map((s) => s.t), after.map((s) => s.heapUsed / 1024));
if (last !== undefined && after.length > 0) {
  const heaps = after.map((s) => s.heapUsed);
  console.log(
    `first journal snapshot seen at ${firstSnapshot === undefined ? 'none within the run' : `t=${(firstSnapshot.t * 60).toFixed(0)} s`}; ` +
    `measured from t=${(after[0]!.t * 60).toFixed(0)} s (${after.length} samples): heap ${mb(Math.min(...heaps))}–${mb(Math.max(...heaps))} MB, ` +
    `slope ${slopeKbPerMin.toFixed(1)} KB/min (${((slopeKbPerMin * 1024 * (minutes - from)) / (heaps.reduce((a, b) => a + b, 0) / heaps.length) * 100).toFixed(1)} % of the mean heap over the measured window)`,
  );
  console.log(
    `API: ${counts.placed} orders placed (${counts.filledOrExpired} IOC, ${counts.resting} resting: ${counts.canceled} canceled, ${counts.cancelTooLate} already final), ` +
    `refused ${counts.refused} ${JSON.stringify(Object.fromEntries(refusals))}, 5xx ${counts.status5xx}, transport errors ${counts.transport}, skipped (load not kept) ${counts.skipped}`,
  );
}
console.log(JSON.stringify({
  bench: 'soak',
  minutes,
  orders: last?.orders ?? 0,
  rss_start_mb: first === undefined ? null : mb(first.rss),
  rss_end_mb: last === undefined ? null : mb(last.rss),
  heap_slope_kb_per_min: Number.isFinite(slopeKbPerMin) ? Math.round(slopeKbPerMin * 10) / 10 : null,
  first_snapshot_s: firstSnapshot === undefined ? null : Math.round(firstSnapshot.t * 60),
}));
// The load was not kept when more than 1 % of its orders found MAX_IN_FLIGHT requests still unanswered.
const loadKept = counts.skipped <= 0.01 * (counts.placed + counts.refused + counts.skipped);
process.exitCode = failed !== undefined || counts.status5xx > 0 || counts.transport > 0 || !loadKept ? 1 : 0;
