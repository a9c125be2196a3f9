/**
 * bench:redis — commands in through Redis to the paper venue's acknowledgement and back out, against the real daemon
 * process (journal on, events to Redis on), and in the same run Redis's own limit on this machine for the same
 * pattern: plain XADD + XREADGROUP (+ XACK) of entries of the same size, with the same number in flight.
 *
 * The daemon run: a strategy with `source: redis`, the client library (src/bus/client.ts) submitting resting LIMIT
 * orders with at most `--inflight` waiting, each timed from submit() to its ACCEPT event (the paper venue's
 * acknowledgement) read back from the daemon's orders:{symbol} stream. commands_per_s = commands / (first submit to
 * the last ACCEPT seen). The raw run: one connection XADDs (same fields and sizes, same in-flight window), another
 * reads them with XREADGROUP COUNT 256 and acknowledges them; raw_xadd_per_s = entries / (first XADD to the last
 * XACK). reply_p50_us/reply_p99_us: submit() to its reply (executed, durable in the journal). Ends with one JSON line:
 *   {"bench":"redis","commands":…,"inflight":…,"runs":…,"replies":"ids"|"order","commands_per_s":…,"rtt_p50_us":…,"rtt_p99_us":…,"reply_p50_us":…,"reply_p99_us":…,
 *    "raw_xadd_per_s":…,"share_of_raw":…,"redis_cpu_us_per_raw_entry":…,"redis_cpu_us_per_command":…,
 *    "redis_ceiling_share":…,"daemon_cpu_us_per_command":…,"daemon_main_cpu_us_per_command":…,"client_cpu_us_per_command":…,…}
 * daemon_cpu_us_per_command / daemon_main_cpu_us_per_command: the daemon process's CPU (all its threads / its main
 * thread alone, /proc) over the daemon runs per command; client_cpu_us_per_command: this process's CPU over the same
 * runs (the client library, and the bench's own timing) per command. Less noisy than the rates on a shared machine.
 * The redis_cpu_* figures are the Redis server's own CPU (/proc/<pid>/stat of the process_id its INFO gives; null when
 * that process is not readable here) over the raw runs per entry and over the daemon runs per command (everything
 * the protocol has Redis do for one command: the command entry, its reply, the order events, the reads and acks of
 * all of them). redis_ceiling_share = (1 s / redis_cpu_us_per_command) / raw_xadd_per_s: the share of the raw figure
 * the protocol could reach if Redis had a core to itself and the daemon and the client cost nothing. The client asks
 * for replies that name the order by its ids (`results: 'ids'`, `"replies":"ids"`: it reads only ok and error), or with
 * --full-replies for the whole order (`"replies":"order"`).
 * Usage and options: USAGE below (`npm run bench:redis -- --help`).
 * For investigating: BENCH_DAEMON_NODE_ARGS (node flags of the daemon process, e.g. --cpu-prof), BENCH_CMD_BATCH (the
 * daemon's daemon.redis.commands.batch, default 256), BENCH_READ_COUNT (the client's readCount, default 256).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { createClient } from 'redis';
import { parseDocument } from 'yaml';
import { SwitchyardRedisClient } from '../src/bus/client.js';
import { benchArgs, flag, whole } from './lib/args.js';
import { DAEMON_NODE_FLAGS } from './lib/daemon-node-flags.js';
import { cpuSeconds, mainThreadCpuSeconds } from './lib/load/proc.js';
import { quantile } from './lib/stats.js';

const REPO = resolve(import.meta.dirname, '..', '..');
const URL_ = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const STRATEGY = 'bench-remote';
const SYMBOL = 'BTC-USDT';

const USAGE = `Usage: npm run bench:redis [-- --commands N --inflight W --runs R --full-replies]   (Redis on 127.0.0.1:6379, REDIS_URL to change)
  --commands N     commands per run, a whole number from 100 to 1000000 (default 20000)
  --inflight W     commands waiting at most, a whole number from 1 to 4096 (default 256)
  --runs R         runs, a whole number from 1 to 20 (default 3)
  --full-replies   replies with the whole order (default: the client asks for its ids only, results: 'ids')
For investigating: BENCH_DAEMON_NODE_ARGS (node flags of the daemon process, e.g. --cpu-prof), BENCH_CMD_BATCH (the
daemon's daemon.redis.commands.batch, default 256), BENCH_READ_COUNT (the client's readCount, default 256).
Ends with one JSON line:
  {"bench":"redis","commands":…,"inflight":…,"runs":…,"replies":"ids"|"order","commands_per_s":…,"rtt_p50_us":…,"rtt_p99_us":…,"reply_p50_us":…,"reply_p99_us":…,
   "raw_xadd_per_s":…,"share_of_raw":…,"redis_cpu_us_per_raw_entry":…,"redis_cpu_us_per_command":…,
   "redis_ceiling_share":…,"daemon_cpu_us_per_command":…,"daemon_main_cpu_us_per_command":…,"client_cpu_us_per_command":…,…}`;

const args = benchArgs({
  script: 'bench:redis',
  usage: USAGE,
  options: {
    commands: whole(100, 1_000_000, { default: 20_000 }),
    inflight: whole(1, 4096, { default: 256 }),
    runs: whole(1, 20, { default: 3 }),
    'full-replies': flag(),
  },
});

/** Nearest rank (bench/lib/stats.ts): p99 of 100 samples is the 99th, not the largest. */
const percentile = quantile;
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const uniquePrefix = (): string => `sybench:${process.pid}:${Date.now().toString(36)}:`;

async function deletePrefix(prefix: string): Promise<void> {
  const c = createClient({ url: URL_ });
  c.on('error', () => undefined);
  await c.connect();
  for await (const keys of c.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) if (keys.length > 0) await c.del(keys);
  await c.close();
}

/**
 * A reader of the Redis server's own CPU seconds (/proc/<pid>/stat of the process_id INFO gives), or null when that
 * process is not readable here (a Redis on another machine or in a container).
 */
async function redisCpuReader(): Promise<(() => number) | null> {
  const c = createClient({ url: URL_ });
  c.on('error', () => undefined);
  await c.connect();
  try {
    const pid = Number(/process_id:(\d+)/.exec(await c.info('server'))?.[1]);
    if (!Number.isSafeInteger(pid) || pid <= 0) return null;
    cpuSeconds(pid); // throws when the process is not readable here (caught: null)
    return () => cpuSeconds(pid);
  } catch {
    return null;
  } finally {
    await c.close();
  }
}

/** A command entry's fields as the client writes them (same sizes for the raw run). */
function commandFields(i: number): Record<string, string> {
  const cid = `b${i.toString(36).padStart(9, '0')}`;
  return {
    requestId: `bench-client.s1.${i}`, client: 'bench-client', op: 'submit', strategy: STRATEGY,
    body: JSON.stringify({ strategy: STRATEGY, symbol: SYMBOL, side: 'BUY', type: 'LIMIT', price: '10000', quantity: '0.001', clientOrderId: cid }),
  };
}

/** Plain XADD + XREADGROUP + XACK of n entries with at most `inflight` added and not yet read. */
async function rawRun(n: number, inflight: number): Promise<number> {
  const prefix = uniquePrefix();
  const key = `${prefix}raw`;
  const producer = createClient({ url: URL_ });
  const consumer = createClient({ url: URL_ });
  producer.on('error', () => undefined);
  consumer.on('error', () => undefined);
  await producer.connect();
  await consumer.connect();
  try {
    await consumer.xGroupCreate(key, 'g', '0', { MKSTREAM: true });
    let acked = 0;
    let sent = 0;
    let wake: (() => void) | null = null;
    const t0 = process.hrtime.bigint();
    const reading = (async () => {
      while (acked < n) {
        const r = await consumer.xReadGroup('g', 'c', { key, id: '>' }, { COUNT: 256, BLOCK: 1000 });
        if (r === null) continue;
        const ids = (r as { messages: { id: string }[] }[])[0]!.messages.map((m) => m.id);
        if (ids.length === 0) continue;
        await consumer.xAck(key, 'g', ids);
        acked += ids.length;
        const w = wake as (() => void) | null;
        wake = null;
        w?.();
      }
    })();
    while (sent < n) {
      while (sent < n && sent - acked < inflight) void producer.xAdd(key, '*', commandFields(sent++));
      if (sent < n) await new Promise<void>((r) => (wake = r));
    }
    await reading;
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    return n / s;
  } finally {
    await producer.close();
    await consumer.close();
    await deletePrefix(prefix);
  }
}

interface DaemonRun {
  readonly perSecond: number;
  readonly rttUs: Float64Array;
  /** submit() to its reply (the command executed and durable), µs, sorted. */
  readonly replyUs: Float64Array;
  readonly errors: number;
}

function daemonConfig(dir: string, prefix: string): string {
  const doc = parseDocument(readFileSync(join(REPO, 'config', 'paper.yaml'), 'utf8'));
  doc.setIn(['daemon', 'name'], 'bench-redis');
  doc.setIn(['daemon', 'dataDir'], dir);
  doc.setIn(['daemon', 'api', 'port'], 0);
  doc.setIn(['daemon', 'api', 'tokenFile'], join(dir, 'api-token'));
  doc.setIn(['daemon', 'log', 'level'], 'warn');
  doc.setIn(['daemon', 'shutdown', 'policy'], 'leave');
  doc.setIn(['daemon', 'redis'], { url: URL_, keyPrefix: prefix, events: { enabled: true }, commands: { batch: Number(process.env.BENCH_CMD_BATCH ?? 256) } });
  doc.setIn(['risk', 'maxOpenOrders'], 10_000_000);
  // the paper venues answer at once: the figure is the daemon's and Redis's, not a simulated latency
  const venues = doc.get('venues') as { items: { setIn(p: unknown[], v: unknown): void }[] };
  for (const v of venues.items) v.setIn(['latencyMs'], 0);
  doc.setIn(['strategies'], [{ id: STRATEGY, source: 'redis', symbols: [SYMBOL] }]);
  const file = join(dir, 'bench-redis.yaml');
  writeFileSync(file, doc.toString());
  return file;
}

/** Starts the daemon; it is ready once it wrote the remote strategies' config key (after its intake opened). */
async function startDaemon(file: string, prefix: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, ...(process.env.BENCH_DAEMON_NODE_ARGS ?? '').split(' ').filter((a) => a !== ''), join(REPO, 'dist', 'src', 'cli.js'), 'start', '-c', file], { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-4000)));
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  const c = createClient({ url: URL_ });
  c.on('error', () => undefined);
  await c.connect();
  try {
    const deadline = Date.now() + 30_000;
    while ((await c.exists(`${prefix}config`)) === 0) {
      if (exited !== undefined) throw new Error(`daemon exited with ${exited}:\n${err}`);
      if (Date.now() > deadline) throw new Error(`daemon did not start within 30 s:\n${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await c.close();
  }
  return child;
}

async function daemonRun(n: number, inflight: number, offset: number, prefix: string, results: 'ids' | 'order'): Promise<DaemonRun> {
  const client = await SwitchyardRedisClient.connect({ url: URL_, keyPrefix: prefix, strategy: STRATEGY, client: `bench-${offset}`, maxInFlight: inflight + 16, timeoutMs: 60_000, readCount: Number(process.env.BENCH_READ_COUNT ?? 256), results });
  const sentAt = new Map<string, bigint>();
  const rttUs = new Float64Array(n);
  const replyUs = new Float64Array(n);
  let replied = 0;
  let acked = 0;
  let errors = 0;
  let wake: (() => void) | null = null;
  const notify = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };
  const ac = new AbortController();
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  const following = (async () => {
    for await (const e of client.events([SYMBOL], { signal: ac.signal, onReady: () => ready() })) {
      if (e.event.event !== 'ACCEPT') continue;
      const t = sentAt.get(e.event.clientOrderId);
      if (t === undefined) continue;
      sentAt.delete(e.event.clientOrderId);
      rttUs[acked++] = Number(process.hrtime.bigint() - t) / 1000;
      notify();
      if (acked >= n) break;
    }
  })();
  await isReady;
  const t0 = process.hrtime.bigint();
  let sent = 0;
  let settled = 0;
  while (sent < n) {
    while (sent < n && sent - settled < inflight) {
      const i = offset + sent++;
      const clientOrderId = `b${i.toString(36).padStart(9, '0')}`;
      const at = process.hrtime.bigint();
      sentAt.set(clientOrderId, at);
      client.submit({ symbol: SYMBOL, side: 'BUY', type: 'LIMIT', price: '10000', quantity: '0.001', clientOrderId }).then((r) => {
        settled++;
        replyUs[replied++] = Number(process.hrtime.bigint() - at) / 1000;
        notify();
        if (!r.ok) {
          if (errors === 0) process.stderr.write(`first refusal: ${JSON.stringify(r.error)}\n`);
          errors++;
          sentAt.delete(clientOrderId);
          notify();
        }
      }, (err: unknown) => {
        settled++;
        if (errors === 0) process.stderr.write(`first failure: ${String(err)}\n`);
        errors++;
        sentAt.delete(clientOrderId);
        notify();
      });
    }
    if (sent < n) await new Promise<void>((r) => (wake = r));
  }
  const deadline = Date.now() + 120_000;
  while (acked + errors < n && Date.now() < deadline) await new Promise<void>((r) => { wake = r; setTimeout(r, 100).unref(); });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  ac.abort();
  await following.catch(() => undefined);
  while (settled < sent && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await client.close();
  const rtt = rttUs.slice(0, acked).sort();
  return { perSecond: acked / s, rttUs: rtt, replyUs: replyUs.slice(0, replied).sort(), errors: errors + (n - acked - errors) };
}

async function main(): Promise<void> {
  const n = args.commands;
  const { inflight, runs } = args;
  const replyShape = args['full-replies'] ? 'order' : 'ids';
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-redis-'));
  const prefix = uniquePrefix();
  const daemon = await startDaemon(daemonConfig(dir, prefix), prefix);
  const raws: number[] = [];
  const rates: number[] = [];
  const rtts: number[] = [];
  const replies: number[] = [];
  let errors = 0;
  // Redis's own CPU over the raw runs and over the daemon runs (summed: /proc counts in 10 ms ticks)
  const redisCpu = await redisCpuReader();
  let rawRedisS = 0;
  let daemonRedisS = 0;
  // the CPU of the daemon (all its threads; its main thread alone) and of this process (the client library) over the
  // daemon runs: where a command's cost goes, less noisy than the rates on a shared machine
  let daemonS = 0;
  let daemonMainS = 0;
  let clientUs = 0;
  try {
    for (let r = 0; r < runs; r++) {
      const c0 = redisCpu?.() ?? 0;
      const raw = await rawRun(n, inflight);
      const c1 = redisCpu?.() ?? 0;
      const d0 = cpuSeconds(daemon.pid!);
      const m0 = mainThreadCpuSeconds(daemon.pid!);
      const u0 = process.cpuUsage();
      const d = await daemonRun(n, inflight, r * n, prefix, replyShape);
      const u1 = process.cpuUsage(u0);
      clientUs += u1.user + u1.system;
      daemonS += cpuSeconds(daemon.pid!) - d0;
      daemonMainS += mainThreadCpuSeconds(daemon.pid!) - m0;
      const c2 = redisCpu?.() ?? 0;
      rawRedisS += c1 - c0;
      daemonRedisS += c2 - c1;
      raws.push(raw);
      rates.push(d.perSecond);
      errors += d.errors;
      for (const x of d.rttUs) rtts.push(x);
      for (const x of d.replyUs) replies.push(x);
      process.stderr.write(`run ${r + 1}: raw ${Math.round(raw)}/s, daemon ${Math.round(d.perSecond)} commands/s, rtt p50 ${Math.round(percentile(d.rttUs, 0.5))} us p99 ${Math.round(percentile(d.rttUs, 0.99))} us, errors ${d.errors}\n`);
    }
  } finally {
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
    await deletePrefix(prefix);
  }
  const sorted = rtts.sort((a, b) => a - b);
  const sortedReplies = replies.sort((a, b) => a - b);
  const perS = median(rates);
  const raw = median(raws);
  // µs of Redis's one thread per raw entry and per daemon command; the share of the raw figure the daemon's protocol
  // could reach if Redis had a core to itself and the daemon and client cost nothing
  const rawRedisUs = redisCpu === null ? null : (rawRedisS * 1e6) / (runs * n);
  const daemonRedisUs = redisCpu === null ? null : (daemonRedisS * 1e6) / (runs * n);
  const round1 = (x: number | null): number | null => (x === null ? null : Math.round(x * 10) / 10);
  process.stdout.write(JSON.stringify({
    bench: 'redis',
    commands: n,
    inflight,
    runs,
    replies: replyShape,
    commands_per_s: Math.round(perS),
    rtt_p50_us: Math.round(percentile(sorted, 0.5)),
    rtt_p99_us: Math.round(percentile(sorted, 0.99)),
    reply_p50_us: Math.round(percentile(sortedReplies, 0.5)),
    reply_p99_us: Math.round(percentile(sortedReplies, 0.99)),
    raw_xadd_per_s: Math.round(raw),
    share_of_raw: Math.round((perS / raw) * 1000) / 1000,
    redis_cpu_us_per_raw_entry: round1(rawRedisUs),
    redis_cpu_us_per_command: round1(daemonRedisUs),
    daemon_cpu_us_per_command: round1((daemonS * 1e6) / (runs * n)),
    daemon_main_cpu_us_per_command: round1((daemonMainS * 1e6) / (runs * n)),
    client_cpu_us_per_command: round1(clientUs / (runs * n)),
    redis_ceiling_share: daemonRedisUs === null || daemonRedisUs <= 0 ? null : Math.round((1e6 / daemonRedisUs / raw) * 1000) / 1000,
    errors,
  }) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:redis failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
