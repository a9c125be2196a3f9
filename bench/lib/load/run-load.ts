/**
 * bench:load's library: one run of one entry point (`via`) against the real paper daemon process, then the
 * transport's own limit on this machine for the same pattern, as one LoadRun row. Used by bench/load.ts and
 * test/bench-load/load.test.ts (tiny sizes).
 *
 *  - http:   N HTTP clients (http-load.ts) POST /v1/orders, one request at a time each; acknowledgements from one
 *            WebSocket event reader. Transport: a bare node:http server (bare-server.ts, its own process) answering
 *            the same requests with a body of the daemon's answer size, the same clients, the 201 as the ack.
 *  - ws:     N WebSocket clients (ws-load.ts) on /v1/stream, each its own strategy, array frames (`batch`).
 *            Transport: a bare `ws` echo server (its own process) echoing the same frames, the echo as the ack.
 *  - worker: N worker strategies (load-strategy.ts) in the daemon, each submitting through its ring and reporting
 *            through a result file. Transport: the bare SharedArrayBuffer ring (ring-throughput.ts: a worker thread
 *            writing the same 96-byte records, the main thread consuming), one producer.
 *  - redis:  N client library instances (redis-load.ts), `source: redis` strategies. Transport: plain XADD +
 *            XREADGROUP + XACK of entries of the same size, the same window per client.
 *
 * Every run: the daemon started for it with a temporary data directory (journal on unless `journal: false`), one
 * strategy id per client, orders that end on arrival (orders.ts), sending for `durationS`, then a drain of at most
 * `drainS` for the orders still out (what is left is counted as NO_ACK). Figures: orders_per_s (orders sent),
 * acks_per_s and fills_per_s over the time from the first send to the last acknowledgement or error (at least the
 * sending time); ack latency from the send to the acknowledgement; daemon CPU seconds and peak RSS over that time
 * (/proc). The transport runs flat out for `transportDurationS` (its limit, whatever --rate says), after the daemon
 * has stopped. share_of_transport = acks_per_s / transport_per_s: the orders the daemon acknowledged (the transport's
 * answer stands for an acknowledgement; a refused order is an error, not work the daemon did for it). A run that does not end within its hard timeout
 * fails; the daemon and the bare servers are killed and the temporary files and Redis keys removed either way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { measureRingThroughput } from '../ring-throughput.js';
import { DIST, startDaemon, track, trackDir, type LoadDaemon } from './daemon.js';
import { LatencyHistogram } from './histogram.js';
import { HttpLoadClient } from './http-load.js';
import type { LoadStrategyResult } from './load-strategy.js';
import { strategyIds } from './orders.js';
import { pause } from './pacer.js';
import { ProcSampler, type ProcUsage } from './proc.js';
import { deleteRedisPrefix, deleteStalePrefixes, rawRedis, RedisEventReader, RedisLoadClient } from './redis-load.js';
import { LoadTally, sumTallies, type TallySum } from './tally.js';
import { submitTarget, WsEventReader, WsLoadClient } from './ws-load.js';

export type Via = 'http' | 'ws' | 'worker' | 'redis';
export const VIAS: readonly Via[] = ['http', 'ws', 'worker', 'redis'];
export const DEFAULT_CLIENTS: Readonly<Record<Via, number>> = { http: 32, ws: 4, worker: 4, redis: 4 };
/** Orders per client waiting for their acknowledgement (worker: not yet ended). */
export const DEFAULT_WINDOW: Readonly<Record<Via, number>> = { http: 64, ws: 1024, worker: 1024, redis: 256 };

export interface LoadOptions {
  readonly via: Via;
  readonly clients?: number;
  /** Orders per second over all clients; 0 or absent: flat out. */
  readonly ratePerS?: number;
  readonly durationS: number;
  readonly journal?: boolean;
  readonly window?: number;
  /** Default min(durationS, 5). */
  readonly transportDurationS?: number;
  /** WebSocket array frames (default true). */
  readonly wsBatch?: boolean;
  /** Ops per array frame (default 1000, the daemon's default daemon.api.wsMaxBatch). */
  readonly frameMax?: number;
  /**
   * WebSocket, HTTP and Redis rows: the clients ask for every event and for the whole order in every answer, not only
   * for the events that acknowledge or end an order and answers naming the order by its ids (ws-load.ts streamQuery,
   * submitTarget; the Redis client's results: 'ids').
   */
  readonly fullStream?: boolean;
  readonly drainS?: number;
  readonly redisUrl?: string;
  readonly log?: (line: string) => void;
}

export interface LoadRun {
  via: Via;
  clients: number;
  journal: boolean;
  rate_per_s: number | null;
  window: number;
  seconds: number;
  orders: number;
  acks: number;
  fills: number;
  errors: number;
  errors_by_code: Record<string, number>;
  orders_per_s: number;
  acks_per_s: number;
  fills_per_s: number;
  ack_p50_us: number | null;
  ack_p95_us: number | null;
  ack_p99_us: number | null;
  ack_p999_us: number | null;
  transport: string;
  transport_per_s: number;
  share_of_transport: number | null;
  cpu_s: number;
  /** Daemon CPU per order (µs): cpu_s / orders — what an order costs the daemon, less sensitive to a busy machine. */
  cpu_us_per_order: number | null;
  /**
   * The daemon's main (dispatch) thread: its CPU seconds over the run and their share of the run's wall time (1: a
   * saturated thread — the daemon is CPU-bound there; well below 1: it waits, on its clients, the disk or Redis).
   */
  main_thread_cpu_s: number;
  main_thread_busy: number | null;
  rss_mb: number;
  /**
   * The whole machine over the daemon run: how many of its `machine_cores` CPUs were busy on average (the daemon, the
   * clients, Redis, everything). Near machine_cores the machine is full: a main_thread_busy below 1 then means the
   * dispatch thread waited for a core, and the row is bound by the CPU of everything on the machine.
   */
  machine_busy_cores: number | null;
  machine_cores: number;
  /** CPU seconds of this (client) process over the daemon run. */
  client_cpu_s: number;
  /** ws: whether the daemon took array frames (false: one frame per op was sent); null for other vias. */
  ws_batch_frames: boolean | null;
  /**
   * ws, http and redis: what the clients asked for, `lean` (on the stream only the events that acknowledge or end an
   * order, `?event=`; results, 201 answers and Redis replies naming the order by its ids, `result=ids`) or `full`
   * (every event, the whole order in every answer: --full-stream); null for worker.
   */
  stream: 'lean' | 'full' | null;
  /** What acknowledged an order: the venue's ACCEPT event (or first fill), or (redis without the journal) the reply. */
  ack_source: 'event' | 'reply';
  /**
   * The daemon's journal followers when the sending stopped (GET /health): the trade history and, with Redis, the
   * event publisher. A follower that fell behind (mode catch-up, overflows > 0, a lag growing with the run) kept
   * up with the load only by putting work off: the figures of such a run overstate what the daemon sustains.
   */
  followers: { history: FollowerAtEnd | null; events: FollowerAtEnd | null } | null;
}

export interface FollowerAtEnd {
  mode: string;
  overflows: number;
  lag_records: number;
}

/** The followers' state from GET /health (null when it could not be read). */
async function followersOf(port: number): Promise<LoadRun['followers']> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) });
    const h = (await res.json()) as { history?: FollowerHealth; redis?: { events?: FollowerHealth } };
    const of = (f: FollowerHealth | undefined): FollowerAtEnd | null => (f === undefined || f === null
      ? null
      : { mode: String(f.mode), overflows: Number(f.overflows), lag_records: Number(f.lagRecords ?? f.lagEvents) });
    return { history: of(h.history), events: of(h.redis?.events) };
  } catch {
    return null;
  }
}

interface FollowerHealth {
  readonly mode: unknown;
  readonly overflows: unknown;
  readonly lagRecords?: unknown;
  readonly lagEvents?: unknown;
}

const round = (x: number, d = 0): number => {
  const f = 10 ** d;
  return Math.round(x * f) / f;
};
const us = (h: LatencyHistogram, q: number): number | null => (h.count === 0 ? null : round(h.quantile(q), 1));

interface Measured {
  sum: TallySum;
  elapsedS: number;
  proc: ProcUsage;
  clientCpuS: number;
  wsBatch: boolean | null;
  replyBytes: number;
  ackSource: 'event' | 'reply';
  followers: LoadRun['followers'];
}

function runTag(): string {
  return 'L' + Math.floor(Math.random() * 36 ** 3).toString(36).padStart(3, '0');
}

/** Sends for durationMs, then drains up to drainMs; every tally has nothing in flight afterwards. */
async function timed(
  tallies: readonly LoadTally[], daemon: LoadDaemon, durationMs: number, drainMs: number,
  start: (t0: number) => void, stopSending: () => void,
): Promise<{ elapsedS: number; proc: ProcUsage; clientCpuS: number; followers: LoadRun['followers'] }> {
  const sampler = new ProcSampler(daemon.pid);
  sampler.start();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  start(t0);
  await pause(durationMs);
  stopSending();
  const sendEnd = performance.now();
  const followers = await followersOf(daemon.port);
  const drainEnd = sendEnd + drainMs;
  while (tallies.some((t) => t.inFlight > 0) && performance.now() < drainEnd) await pause(10);
  const proc = sampler.stop();
  const cpu = process.cpuUsage(cpu0);
  const now = performance.now();
  for (const t of tallies) t.expireAll('NO_ACK', now);
  const last = Math.max(sendEnd, ...tallies.map((t) => t.lastSettleMs));
  return { elapsedS: (last - t0) / 1000, proc, clientCpuS: (cpu.user + cpu.system) / 1e6, followers };
}

async function httpDaemon(o: Required<Pick<LoadOptions, 'durationS' | 'drainS'>> & { clients: number; rate: number; window: number; journal: boolean; fullStream: boolean }): Promise<Measured> {
  const ids = strategyIds('h', o.clients);
  const tag = runTag();
  const daemon = await startDaemon({ journal: o.journal, strategies: ids.map((id) => ({ id })) });
  const tallies = ids.map(() => new LoadTally(o.window));
  const clients = ids.map((strategy, client) => new HttpLoadClient({
    port: daemon.port, token: daemon.token, strategy, client, tag, tally: tallies[client]!, ratePerS: o.rate / o.clients, ackOnResponse: false,
    target: submitTarget(o.fullStream),
  }));
  let kick = false;
  const reader = new WsEventReader(`ws://127.0.0.1:${daemon.port}/v1/stream`, daemon.token, ids, tag, tallies, () => {
    if (kick) for (const c of clients) c.next();
  }, o.fullStream);
  try {
    await reader.open();
    await Promise.all(clients.map((c) => c.connect()));
    const r = await timed(tallies, daemon, o.durationS * 1000, o.drainS * 1000, (t0) => {
      kick = true;
      for (const c of clients) c.start(t0);
    }, () => {
      for (const c of clients) c.stop();
    });
    const answers = clients.reduce((a, c) => a + c.answers, 0);
    const bytes = clients.reduce((a, c) => a + c.bodyBytes, 0);
    return { ...r, sum: sumTallies(tallies), wsBatch: null, replyBytes: answers > 0 ? Math.round(bytes / answers) : 400, ackSource: 'event' };
  } finally {
    for (const c of clients) c.close();
    reader.close();
    await daemon.stop();
  }
}

async function wsDaemon(o: Required<Pick<LoadOptions, 'durationS' | 'drainS'>> & { clients: number; rate: number; window: number; journal: boolean; batch: boolean; frameMax: number; fullStream: boolean }): Promise<Measured> {
  const ids = strategyIds('s', o.clients);
  const tag = runTag();
  const daemon = await startDaemon({ journal: o.journal, strategies: ids.map((id) => ({ id })) });
  const tallies = ids.map(() => new LoadTally(o.window));
  const clients = ids.map((strategy, client) => new WsLoadClient({
    base: `ws://127.0.0.1:${daemon.port}/v1/stream`, token: daemon.token, strategy, client, tag, tallies, ratePerS: o.rate / o.clients,
    batch: o.batch, frameMax: o.frameMax, echo: false, fullStream: o.fullStream,
  }));
  try {
    const batch = await Promise.all(clients.map((c) => c.connect()));
    const r = await timed(tallies, daemon, o.durationS * 1000, o.drainS * 1000, (t0) => {
      for (const c of clients) c.start(t0);
    }, () => {
      for (const c of clients) c.stop();
    });
    return { ...r, sum: sumTallies(tallies), wsBatch: o.batch ? batch.every((b) => b === true) : false, replyBytes: 0, ackSource: 'event' };
  } finally {
    for (const c of clients) c.close();
    await daemon.stop();
  }
}

async function redisDaemon(o: Required<Pick<LoadOptions, 'durationS' | 'drainS'>> & { clients: number; rate: number; window: number; journal: boolean; url: string; prefix: string; fullStream: boolean }): Promise<Measured> {
  const ids = strategyIds('r', o.clients);
  const tag = runTag();
  const daemon = await startDaemon({ journal: o.journal, strategies: ids.map((id) => ({ id, source: 'redis' as const })), redis: { url: o.url, keyPrefix: o.prefix } });
  const tallies = ids.map(() => new LoadTally(o.window));
  const ackOnReply = !o.journal;
  const clients = ids.map((strategy, client) => new RedisLoadClient({
    url: o.url, keyPrefix: o.prefix, strategy, client, tag, tally: tallies[client]!, ratePerS: o.rate / o.clients, ackOnReply,
    fullReplies: o.fullStream,
  }));
  const reader = ackOnReply ? undefined : new RedisEventReader(o.url, o.prefix, tag, tallies, () => {
    for (const c of clients) c.schedule();
  });
  try {
    await reader?.open();
    await Promise.all(clients.map((c) => c.connect()));
    const r = await timed(tallies, daemon, o.durationS * 1000, o.drainS * 1000, (t0) => {
      for (const c of clients) c.start(t0);
    }, () => {
      for (const c of clients) c.stop();
    });
    return { ...r, sum: sumTallies(tallies), wsBatch: null, replyBytes: 0, ackSource: ackOnReply ? 'reply' : 'event' };
  } finally {
    for (const c of clients) await c.close().catch(() => undefined);
    await reader?.close();
    await daemon.stop();
  }
}

async function workerDaemon(o: Required<Pick<LoadOptions, 'durationS' | 'drainS'>> & { clients: number; rate: number; window: number; journal: boolean }): Promise<Measured> {
  const ids = strategyIds('w', o.clients);
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-load-worker-'));
  const removeDir = trackDir(dir);
  const goFile = join(dir, 'go');
  const module = join(DIST, 'bench', 'lib', 'load', 'load-strategy.js');
  if (!existsSync(module)) throw new Error(`${module} is missing: build first (npx tsc -p tsconfig.json)`);
  const resultFile = (id: string): string => join(dir, `${id}.json`);
  let daemon: LoadDaemon | undefined;
  try {
    daemon = await startDaemon({
      journal: o.journal,
      strategies: ids.map((id) => ({
        id, module, params: {
          goFile, resultFile: resultFile(id), durationMs: o.durationS * 1000, ratePerS: o.rate / o.clients, window: o.window,
          drainMs: o.drainS * 1000, maxWaitMs: 300_000,
        },
      })),
    });
    const sampler = new ProcSampler(daemon.pid);
    sampler.start();
    const cpu0 = process.cpuUsage();
    writeFileSync(goFile, 'go');
    // the strategies send for durationS from the go file
    const port = daemon.port;
    const followers = pause(o.durationS * 1000).then(() => followersOf(port));
    const deadline = performance.now() + (o.durationS + o.drainS) * 1000 + 30_000;
    while (!ids.every((id) => existsSync(resultFile(id)))) {
      if (performance.now() > deadline) throw new Error('worker strategies did not write their results in time');
      if (daemon.child.exitCode !== null) throw new Error(`the daemon exited (${daemon.child.exitCode}) during the worker run`);
      await pause(20);
    }
    const proc = sampler.stop();
    const cpu = process.cpuUsage(cpu0);
    const results = ids.map((id) => JSON.parse(readFileSync(resultFile(id), 'utf8')) as LoadStrategyResult);
    const latency = new LatencyHistogram();
    const sum: TallySum = { orders: 0, acks: 0, fills: 0, errors: 0, inFlight: 0, late: 0, errorsByCode: {}, latency, firstSendMs: 0, lastSettleMs: 0 };
    let elapsedMs = 0;
    for (const r of results) {
      if (!r.started) throw new Error(`worker strategy ${r.strategy} never saw its go file`);
      sum.orders += r.orders;
      sum.acks += r.acks;
      sum.fills += r.fills;
      sum.errors += r.errors;
      for (const [k, v] of Object.entries(r.errorsByCode)) sum.errorsByCode[k] = (sum.errorsByCode[k] ?? 0) + v;
      latency.merge(LatencyHistogram.fromJSON(r.latency));
      elapsedMs = Math.max(elapsedMs, r.elapsedMs);
    }
    return { sum, elapsedS: elapsedMs / 1000, proc, clientCpuS: (cpu.user + cpu.system) / 1e6, wsBatch: null, replyBytes: 0, ackSource: 'event', followers: await followers };
  } finally {
    await daemon?.stop();
    removeDir();
  }
}

/** Starts a bare server (bare-server.ts) in its own process; resolves its port. */
async function bareServer(args: string[]): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, [join(DIST, 'bench', 'lib', 'load', 'bare-server.js'), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  track(child);
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error('bare server did not start within 10 s')), 10_000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /PORT (\d+)/.exec(out);
      if (m !== null) {
        clearTimeout(t);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`bare server exited (${code})`));
    });
  });
  return { port, child };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(t);
}

/** Acknowledgements per second of the same clients against a bare server (flat out). */
async function bareRun(
  kind: 'http' | 'ws', clientsN: number, window: number, durationMs: number, drainMs: number,
  o: { replyBytes: number; batch: boolean; frameMax: number; target?: string },
): Promise<number> {
  const { port, child } = await bareServer(kind === 'http' ? ['http', String(o.replyBytes)] : ['ws']);
  const tag = runTag();
  const tallies = Array.from({ length: clientsN }, () => new LoadTally(window));
  const ids = strategyIds(kind === 'http' ? 'h' : 's', clientsN);
  try {
    const clients = kind === 'http'
      ? ids.map((strategy, client) => new HttpLoadClient({ port, token: 'bare', strategy, client, tag, tally: tallies[client]!, ratePerS: 0, ackOnResponse: true, target: o.target ?? '/v1/orders' }))
      : ids.map((strategy, client) => new WsLoadClient({ base: `ws://127.0.0.1:${port}/`, token: 'bare', strategy, client, tag, tallies, ratePerS: 0, batch: o.batch, frameMax: o.frameMax, echo: true }));
    await Promise.all(clients.map((c) => c.connect()));
    const t0 = performance.now();
    for (const c of clients) c.start(t0);
    await pause(durationMs);
    for (const c of clients) c.stop();
    const sendEnd = performance.now();
    while (tallies.some((t) => t.inFlight > 0) && performance.now() < sendEnd + drainMs) await pause(5);
    for (const c of clients) c.close();
    const s = sumTallies(tallies);
    const elapsedS = (Math.max(sendEnd, s.lastSettleMs) - t0) / 1000;
    return s.acks / elapsedS;
  } finally {
    await stopChild(child);
  }
}

async function runOnce(o: LoadOptions): Promise<LoadRun> {
  const via = o.via;
  const clients = o.clients ?? DEFAULT_CLIENTS[via];
  const window = o.window ?? DEFAULT_WINDOW[via];
  const rate = o.ratePerS ?? 0;
  const journal = o.journal ?? true;
  const durationS = o.durationS;
  const drainS = o.drainS ?? 5;
  const transportMs = (o.transportDurationS ?? Math.min(durationS, 5)) * 1000;
  const batch = o.wsBatch ?? true;
  const frameMax = o.frameMax ?? 1000;
  const fullStream = o.fullStream ?? false;
  const log = o.log ?? (() => undefined);
  if (!Number.isInteger(clients) || clients < 1 || clients > 99) throw new RangeError('clients must be 1 to 99');
  let m: Measured;
  let transport: string;
  let transportPerS: number;
  if (via === 'http') {
    m = await httpDaemon({ durationS, drainS, clients, rate, window, journal, fullStream });
    transport = `bare node:http server, ${m.replyBytes}-byte answers`;
    transportPerS = await bareRun('http', clients, window, transportMs, drainS * 1000, { replyBytes: m.replyBytes, batch: false, frameMax, target: submitTarget(fullStream) });
  } else if (via === 'ws') {
    m = await wsDaemon({ durationS, drainS, clients, rate, window, journal, batch, frameMax, fullStream });
    const frames = m.wsBatch === true;
    transport = `bare ws echo, ${frames ? `array frames of up to ${frameMax}` : 'one frame per op'}`;
    transportPerS = await bareRun('ws', clients, window, transportMs, drainS * 1000, { replyBytes: 0, batch: frames, frameMax });
  } else if (via === 'worker') {
    m = await workerDaemon({ durationS, drainS, clients, rate, window, journal });
    const records = Math.max(100_000, Math.min(5_000_000, Math.round(transportMs * 1000)));
    const ring = await measureRingThroughput(records);
    transport = `bare SharedArrayBuffer ring, one worker producer, ${ring.records} records of 96 bytes`;
    transportPerS = ring.recordsPerSecond;
  } else {
    const url = o.redisUrl ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const base = 'sybenchload:';
    const prefix = `${base}${process.pid}:${Date.now().toString(36)}:`;
    const stale = await deleteStalePrefixes(url, base);
    if (stale > 0) log(`redis: deleted ${stale} keys left by earlier runs that were killed`);
    try {
      m = await redisDaemon({ durationS, drainS, clients, rate, window, journal, url, prefix, fullStream });
      transport = `raw XADD + XREADGROUP + XACK, ${clients} pairs, ${window} in flight each`;
      transportPerS = await rawRedis(url, prefix, clients, window, transportMs);
    } finally {
      await deleteRedisPrefix(url, prefix);
    }
  }
  const s = m.sum;
  const perS = (n: number): number => (m.elapsedS > 0 ? n / m.elapsedS : 0);
  const row: LoadRun = {
    via, clients, journal, rate_per_s: rate > 0 ? rate : null, window,
    seconds: round(m.elapsedS, 3),
    orders: s.orders, acks: s.acks, fills: s.fills, errors: s.errors, errors_by_code: s.errorsByCode,
    orders_per_s: round(perS(s.orders)), acks_per_s: round(perS(s.acks)), fills_per_s: round(perS(s.fills)),
    ack_p50_us: us(s.latency, 0.5), ack_p95_us: us(s.latency, 0.95), ack_p99_us: us(s.latency, 0.99), ack_p999_us: us(s.latency, 0.999),
    transport, transport_per_s: round(transportPerS),
    share_of_transport: transportPerS > 0 ? round(perS(s.acks) / transportPerS, 3) : null,
    cpu_s: round(m.proc.cpuS, 2), cpu_us_per_order: s.orders > 0 ? round((m.proc.cpuS * 1e6) / s.orders, 1) : null,
    main_thread_cpu_s: round(m.proc.mainCpuS, 2), main_thread_busy: m.proc.wallS > 0 ? round(m.proc.mainCpuS / m.proc.wallS, 2) : null, rss_mb: round(m.proc.rssPeakMb, 1),
    machine_busy_cores: m.proc.wallS > 0 ? round(m.proc.machineBusyS / m.proc.wallS, 2) : null, machine_cores: m.proc.machineCores, client_cpu_s: round(m.clientCpuS, 2),
    ws_batch_frames: m.wsBatch, stream: via === 'worker' ? null : fullStream ? 'full' : 'lean',
    ack_source: m.ackSource, followers: m.followers,
  };
  log(describeRun(row));
  return row;
}

/** One run of one entry point, bounded by a hard timeout (duration + drain + transport + 120 s for the starts). */
export async function runLoad(o: LoadOptions): Promise<LoadRun> {
  const hardMs = (o.durationS + (o.drainS ?? 5) + (o.transportDurationS ?? Math.min(o.durationS, 5)) + 120) * 1000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`bench:load ${o.via}: no result within its hard timeout of ${hardMs / 1000} s`)), hardMs);
  });
  try {
    return await Promise.race([runOnce(o), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const k = (x: number): string => (x >= 10_000 ? `${(x / 1000).toFixed(1)}k` : String(x));

export function describeRun(r: LoadRun): string {
  const errs = Object.entries(r.errors_by_code).map(([c, n]) => `${c} ${n}`).join(', ');
  return `${r.via.padEnd(6)} ${r.clients} clients${r.rate_per_s === null ? '' : ` at ${r.rate_per_s}/s`}, journal ${r.journal ? 'on' : 'off'}: `
    + `${k(r.orders_per_s)} orders/s, ${k(r.acks_per_s)} acks/s, ${k(r.fills_per_s)} fills/s over ${r.seconds} s `
    + `(${r.orders} orders, ${r.acks} acks, ${r.fills} fills, ${r.errors} errors${errs === '' ? '' : `: ${errs}`}); `
    + `ack p50 ${r.ack_p50_us} us, p95 ${r.ack_p95_us}, p99 ${r.ack_p99_us}, p99.9 ${r.ack_p999_us}; `
    + `daemon CPU ${r.cpu_s} s (${r.cpu_us_per_order} us per order; main thread ${r.main_thread_cpu_s} s, busy ${r.main_thread_busy}), RSS peak ${r.rss_mb} MB, client CPU ${r.client_cpu_s} s, machine ${r.machine_busy_cores} of ${r.machine_cores} cores busy; `
    + `transport (${r.transport}) ${k(r.transport_per_s)}/s, share ${r.share_of_transport}`
    + (r.ws_batch_frames === false && r.via === 'ws' ? ' [the daemon did not take array frames: one frame per op]' : '')
    + (r.ack_source === 'reply' ? ' [ack = reply: no events to Redis without the journal]' : '')
    + followersText(r.followers);
}

function followersText(f: LoadRun['followers']): string {
  if (f === null) return '; followers: not read';
  const one = (name: string, x: FollowerAtEnd | null): string => (x === null ? '' : `; ${name} ${x.mode}, ${x.lag_records} records behind, ${x.overflows} overflows`);
  return one('history', f.history) + one('events', f.events);
}
