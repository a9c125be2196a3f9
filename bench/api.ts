/**
 * bench:api — latency and throughput of the control API (HTTP on loopback) with autocannon, against a real paper
 * daemon process (`node <dist>/src/cli.js start`, config/paper.yaml without its worker strategies, so the bench's
 * requests are the only load): GET /health (open, no work), GET /v1/orders/:id (auth, lookup, view) and
 * POST /v1/orders (auth, body, decode, risk, journal, the paper venue's acceptance: a resting GTC limit far from the
 * market, so every request makes a new open order). Ends with one JSON line:
 *   {"bench":"api","dist":…,"connections":…,"seconds":…,"health_rps":…,"health_mean_ms":…,"health_p50_ms":…,"health_p99_ms":…,
 *    "get_order_rps":…,…,"post_order_rps":…,…,"non2xx":0,"errors":0}
 * Usage and options: USAGE below (`npm run bench:api -- --help`).
 *   --dist: the build to run (default: this one's dist/); to compare with another revision, build it elsewhere
 *   (`git archive REV | tar -x -C /tmp/base`, link node_modules, `npx tsc -p tsconfig.json`) and pass /tmp/base/dist.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { parseDocument, YAMLMap, YAMLSeq } from 'yaml';
import { benchArgs, str, whole } from './lib/args.js';
import { DAEMON_NODE_FLAGS } from './lib/daemon-node-flags.js';

const HERE = dirname(fileURLToPath(import.meta.url)); // dist/bench
const REPO = resolve(HERE, '../..');

const USAGE = `Usage: npm run bench:api [-- --dist DIR --connections N --seconds S]
  --dist DIR        the build to run (default: this one's dist/); to compare with another revision, build it elsewhere
                    (\`git archive REV | tar -x -C /tmp/base\`, link node_modules, \`npx tsc -p tsconfig.json\`) and pass /tmp/base/dist
  --connections N   autocannon connections, a whole number from 1 to 1000 (default 10)
  --seconds S       seconds per endpoint, a whole number from 1 to 600 (default 5)
Ends with one JSON line:
  {"bench":"api","dist":…,"connections":…,"seconds":…,"health_rps":…,"health_mean_ms":…,"health_p50_ms":…,"health_p99_ms":…,
   "get_order_rps":…,…,"post_order_rps":…,…,"non2xx":0,"errors":0}`;

const args = benchArgs({
  script: 'bench:api',
  usage: USAGE,
  options: {
    dist: str({ default: join(REPO, 'dist'), what: 'a folder (a build\'s dist/)' }),
    connections: whole(1, 1000, { default: 10 }),
    seconds: whole(1, 600, { default: 5 }),
  },
});

/** config/paper.yaml, API-only strategies, port 0, a temporary data dir and token file, limits room for the run. */
function configText(dir: string, tokenFile: string): string {
  const doc = parseDocument(readFileSync(join(REPO, 'config/paper.yaml'), 'utf8'));
  const strategies = doc.get('strategies');
  if (strategies instanceof YAMLSeq) {
    for (const s of strategies.items) {
      if (!(s instanceof YAMLMap)) continue;
      s.delete('module');
      s.delete('params');
      if (s.get('id') === 'manual') s.setIn(['limits', 'maxOpenOrders'], 1_000_000);
    }
  }
  doc.setIn(['daemon', 'api', 'port'], 0);
  doc.setIn(['daemon', 'api', 'tokenFile'], tokenFile);
  doc.setIn(['daemon', 'dataDir'], join(dir, 'data'));
  doc.setIn(['daemon', 'log', 'level'], 'info');
  doc.setIn(['risk', 'maxOpenOrders'], 1_000_000);
  return doc.toString();
}

interface Run {
  readonly rps: number;
  readonly mean: number;
  readonly p50: number;
  readonly p99: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly requests: number;
}

async function cannon(url: string, o: { method?: 'GET' | 'POST'; token?: string; body?: string; connections: number; seconds: number }): Promise<Run> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
  const r = await autocannon({ url, method: o.method ?? 'GET', headers, connections: o.connections, duration: o.seconds, ...(o.body !== undefined ? { body: o.body } : {}) });
  return { rps: Math.round(r.requests.average), mean: Math.round(r.latency.average * 1000) / 1000, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors + r.timeouts, requests: r.requests.total };
}

async function main(): Promise<void> {
  const dist = resolve(args.dist);
  const { connections, seconds } = args;
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-api-'));
  const tokenFile = join(dir, 'api-token');
  const token = 'bench-api-token-0123456789abcdef';
  writeFileSync(tokenFile, token + '\n', { mode: 0o600 });
  const configFile = join(dir, 'paper.yaml');
  writeFileSync(configFile, configText(dir, tokenFile));
  const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, join(dist, 'src/cli.js'), 'start', '-c', configFile], { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, SWITCHYARD_API_TOKEN: '' } });
  try {
    const port = await new Promise<number>((resolvePort, reject) => {
      let text = '';
      const timer = setTimeout(() => reject(new Error(`daemon not listening after 30 s:\n${text}`)), 30_000);
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (c: string) => {
        text = (text + c).slice(-20_000);
        const m = /listening on http:\/\/[0-9.]+:(\d+)/.exec(text);
        if (m !== null) {
          clearTimeout(timer);
          resolvePort(Number(m[1]));
        }
      });
      child.once('exit', (code) => reject(new Error(`daemon exited ${code}:\n${text}`)));
    });
    const base = `http://127.0.0.1:${port}`;
    const order = (price: string): string => JSON.stringify({ strategy: 'manual', symbol: 'BTC-USDT', side: 'BUY', price, quantity: '0.01', timeInForce: 'GTC' });
    const first = await fetch(`${base}/v1/orders`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: order('10000') });
    if (first.status !== 201) throw new Error(`the first order was not accepted: ${first.status} ${await first.text()}`);
    const { orderId } = (await first.json()) as { orderId: number };
    const o = { connections, seconds, token };
    await cannon(`${base}/health`, { connections, seconds: 1 }); // warm-up
    const health = await cannon(`${base}/health`, { connections, seconds });
    const get = await cannon(`${base}/v1/orders/${orderId}`, o);
    const post = await cannon(`${base}/v1/orders`, { ...o, method: 'POST', body: order('10000') });
    const runs = { health, get_order: get, post_order: post };
    const line: Record<string, unknown> = { bench: 'api', dist, connections, seconds };
    for (const [name, r] of Object.entries(runs)) {
      line[`${name}_rps`] = r.rps;
      line[`${name}_mean_ms`] = r.mean;
      line[`${name}_p50_ms`] = r.p50;
      line[`${name}_p99_ms`] = r.p99;
      line[`${name}_requests`] = r.requests;
    }
    line.non2xx = health.non2xx + get.non2xx + post.non2xx;
    line.errors = health.errors + get.errors + post.errors;
    process.stdout.write(JSON.stringify(line) + '\n');
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
