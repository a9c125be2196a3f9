/**
 * The kill switch against the real daemon process: N resting orders spread over the venues, then one
 * POST /v1/admin/kill, timed from the call to the answer (the daemon answers once every order is confirmed closed, or
 * at its timeout) and judged afterwards:
 *  - `paper`: the two paper venues of config/paper.yaml (simulated in the daemon);
 *  - `exchanges`: the local fake Binance (binance-ws adapter) and fake OKX (okx-ws adapter) on 127.0.0.1 — the venues'
 *    own records must hold no open order of ours afterwards.
 * The fakes' and the daemon's rate limits are raised for the run (so placing N orders does not take minutes): the time
 * measured is the daemon's and the transport's, not the venues' published limits (with OKX's 60 cancels per 2 s per
 * instrument, 1,000 cancels alone take about 33 s).
 * Used by bench/kill.ts (1,000 orders) and test/e2e/kill-switch.test.ts (a few dozen).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type FakeBinance, type FakeOkx, startFakeBinance, startFakeOkx } from '../../test/venues/index.js';

/** The repository root: dist/bench/lib (built) or bench/lib (vitest) is below it; the CLI is dist/src/cli.js. */
const ROOT = ((): string => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = resolve(dir, '..');
    if (up === dir) throw new Error('kill-run: the repository root (package.json) was not found');
    dir = up;
  }
  return dir;
})();
const CLI = join(ROOT, 'dist/src/cli.js');
const TOKEN = 'kill-run-token-0123456789abcdef0123';

export interface KillRunOptions {
  readonly venues: 'paper' | 'exchanges';
  readonly orders: number;
  /** The kill switch's wait for confirmations (ms). */
  readonly timeoutMs?: number;
  readonly log?: (line: string) => void;
}

export interface KillRunResult {
  readonly venues: 'paper' | 'exchanges';
  readonly orders: number;
  /** From the POST to its answer, measured by the client (ms). */
  readonly wallMs: number;
  /** The daemon's own figure: from the call to the last confirmation (ms). */
  readonly killMs: number;
  readonly confirmed: number;
  readonly unconfirmed: number;
  /** Orders of ours the venues still show open afterwards (fakes: their records; paper: the daemon's view). */
  readonly leftOpen: number;
  /** Orders the daemon shows open afterwards. */
  readonly daemonOpen: number;
  readonly problems: readonly string[];
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

class Api {
  constructor(private readonly base: string) {}
  async call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(this.base + path, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(120_000),
    });
    const text = await res.text();
    return { status: res.status, body: text.length > 0 ? JSON.parse(text) : undefined };
  }
}

function startDaemon(file: string, env: NodeJS.ProcessEnv): { child: ChildProcess; port: Promise<number>; stderr: string[] } {
  const child = spawn(process.execPath, [CLI, 'start', '-c', file], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const stderr: string[] = [];
  const port = new Promise<number>((resolvePort, reject) => {
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      stderr.push(chunk);
      const m = /listening on http:\/\/[0-9.]+:(\d+)/.exec(stderr.join(''));
      if (m !== null) resolvePort(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`daemon exited (${code}) before listening:\n${stderr.join('')}`)));
  });
  return { child, port, stderr };
}

/** The daemon section both runs share (the API on a free port, data in `dir`, nothing canceled at the stop). */
function daemonSection(dir: string): string {
  return `daemon:
  name: killrun
  api: { port: 0, tokenFile: ${join(dir, 'token')} }
  dataDir: ${dir}
  log: { level: warn }
  shutdown: { policy: leave }
`;
}

function paperConfig(dir: string): string {
  return `${daemonSection(dir)}venues:
  - { name: sim-a, adapter: paper, symbols: [BTC-USDT], paper: { seed: 1, volatilityTicks: 0, tradesPerSecond: 0 } }
  - { name: sim-b, adapter: paper, symbols: [BTC-USDT], paper: { seed: 2, volatilityTicks: 0, tradesPerSecond: 0 } }
instruments:
  - { symbol: BTC-USDT, tickSize: "0.01", lotSize: "0.00001", minQty: "0.00001", minNotional: "5", referencePrice: "60000" }
strategies:
  - { id: desk, symbols: [BTC-USDT], limits: { maxOpenOrders: 100000 } }
risk: { maxOpenOrders: 100000 }
routing:
  BTC-USDT: { sim-a: 1, sim-b: 1 }
`;
}

function exchangeConfig(dir: string, binance: FakeBinance, okx: FakeOkx): string {
  return `${daemonSection(dir)}venues:
  - name: fbin
    adapter: binance-ws
    exchange: binance
    symbols: [BTC-USDT]
    urls: { rest: "${binance.origin}", ws: "${binance.wsOrigin}" }
    credentials: { apiKey: "\${KR_BIN_KEY}", secret: "\${KR_BIN_SECRET}" }
    rateLimits: { requestWeightPerMinute: 10000000, ordersPer10s: 1000000, ordersPerDay: 100000000 }
    marketData: { enabled: false }
  - name: fokx
    adapter: okx-ws
    exchange: okx
    symbols: [BTC-USDT]
    urls: { rest: "${okx.origin}", ws: "${okx.wsOrigin}" }
    credentials: { apiKey: "\${KR_OKX_KEY}", secret: "\${KR_OKX_SECRET}", passphrase: "\${KR_OKX_PASSPHRASE}" }
    rateLimits: { placeOrderPerWindow: 1000000, batchOrdersPerWindow: 1000000, cancelOrderPerWindow: 1000000, readsPerWindow: 1000000 }
    marketData: { enabled: false }
instruments:
  - { symbol: BTC-USDT, tickSize: "0.1", lotSize: "0.00001", minQty: "0.00001", minNotional: "5", referencePrice: "60000" }
strategies:
  - { id: desk, symbols: [BTC-USDT], limits: { maxOpenOrders: 100000 } }
risk: { maxOpenOrders: 100000 }
routing:
  BTC-USDT: { fbin: 1, fokx: 1 }
`;
}

const VENUE_OPEN = new Set(['NEW', 'PARTIALLY_FILLED']);

export async function runKill(o: KillRunOptions): Promise<KillRunResult> {
  const log = o.log ?? (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-kill-'));
  const problems: string[] = [];
  let binance: FakeBinance | undefined;
  let okx: FakeOkx | undefined;
  let child: ChildProcess | undefined;
  try {
    const file = join(dir, 'kill.yaml');
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, SWITCHYARD_API_TOKEN: TOKEN };
    let venueNames: string[];
    if (o.venues === 'paper') {
      writeFileSync(file, paperConfig(dir));
      venueNames = ['sim-a', 'sim-b'];
    } else {
      const huge = 100_000_000;
      binance = await startFakeBinance({ rateLimits: { weightPerMinute: huge, ordersPer10s: huge, ordersPerDay: huge } });
      okx = await startFakeOkx({ rateLimits: { placeOrder: huge, batchOrders: huge, cancelOrder: huge, other: huge } });
      writeFileSync(file, exchangeConfig(dir, binance, okx));
      Object.assign(env, {
        KR_BIN_KEY: binance.endpoints.apiKey, KR_BIN_SECRET: binance.endpoints.secret,
        KR_OKX_KEY: okx.endpoints.apiKey, KR_OKX_SECRET: okx.endpoints.secret, KR_OKX_PASSPHRASE: okx.endpoints.passphrase,
      });
      venueNames = ['fbin', 'fokx'];
    }
    const d = startDaemon(file, env);
    child = d.child;
    const api = new Api(`http://127.0.0.1:${await d.port}`);
    // N resting buys 10 % below the market, alternating venues, 16 requests in flight
    const t0 = Date.now();
    const ids: number[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < o.orders) {
        const k = next++;
        const price = (54_000 + (k % 500) / 10).toFixed(1);
        const r = await api.call('POST', '/v1/orders', {
          strategy: 'desk', symbol: 'BTC-USDT', side: 'BUY', type: 'LIMIT', quantity: '0.0002', price, venue: venueNames[k % venueNames.length],
        });
        if (r.status !== 201) throw new Error(`order ${k}: ${r.status} ${JSON.stringify(r.body)}`);
        ids.push(r.body.orderId as number);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    // every order acknowledged by its venue before the kill
    const deadline = Date.now() + 120_000;
    for (;;) {
      const pending = await api.call('GET', '/v1/orders?state=SUBMITTED&limit=1');
      if (pending.body.orders.length === 0) break;
      if (Date.now() > deadline) throw new Error('orders still SUBMITTED after 120 s');
      await pause(50);
    }
    const open = await api.call('GET', '/health');
    log(`${o.venues}: ${ids.length} orders placed in ${Date.now() - t0} ms; ${open.body.openOrders} open`);
    if (open.body.openOrders !== o.orders) problems.push(`${open.body.openOrders} open before the kill, expected ${o.orders}`);
    const k0 = performance.now();
    const kill = await api.call('POST', '/v1/admin/kill', { timeoutMs: o.timeoutMs ?? 60_000 });
    const wallMs = performance.now() - k0;
    if (kill.status !== 200) throw new Error(`kill: ${kill.status} ${JSON.stringify(kill.body)}`);
    const report = kill.body as { orders: number; confirmed: number; unconfirmed: unknown[]; elapsedMs: number };
    log(`${o.venues}: kill answered in ${wallMs.toFixed(1)} ms: ${JSON.stringify({ ...report, unconfirmed: report.unconfirmed.length })}`);
    // judged afterwards
    let daemonOpen = (await api.call('GET', '/health')).body.openOrders as number;
    for (const id of ids) {
      const r = await api.call('GET', `/v1/orders/${id}?by=id`);
      if (r.body.state !== 'CANCELED') problems.push(`order ${id} is ${r.body.state} after the kill`);
    }
    let leftOpen = 0;
    if (binance !== undefined && okx !== undefined) {
      for (const [name, fake] of [['fbin', binance], ['fokx', okx]] as const) {
        const mine = fake.orders({ account: 'main' });
        const stillOpen = mine.filter((x) => VENUE_OPEN.has(x.status));
        leftOpen += stillOpen.length;
        if (stillOpen.length > 0) problems.push(`${name} still has ${stillOpen.length} open orders`);
        if (mine.length !== o.orders / 2) problems.push(`${name} holds ${mine.length} orders, expected ${o.orders / 2}`);
      }
    } else {
      leftOpen = daemonOpen;
    }
    const state = await api.call('GET', '/v1/admin/state');
    if (state.body.states[0].state !== 'HALTED') problems.push(`daemon state ${state.body.states[0].state} after the kill`);
    daemonOpen = (await api.call('GET', '/health')).body.openOrders as number;
    return {
      venues: o.venues, orders: o.orders, wallMs, killMs: report.elapsedMs, confirmed: report.confirmed,
      unconfirmed: report.unconfirmed.length, leftOpen, daemonOpen, problems,
    };
  } finally {
    if (child !== undefined && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
    await binance?.close();
    await okx?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
