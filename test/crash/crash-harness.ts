/**
 * The crash test: the real daemon against the fake Binance (ccxt adapter), a steady order flow from several API
 * clients, and SIGKILL at random moments, restarting every time on the same journal. At the end every order a
 * client received an id for must exist in the daemon, in the state the venue says, with exactly the venue's fills;
 * no client order id may exist twice at the venue.
 *
 * Fault mode '5xx' (CRASH_FAULTS=5xx): a 5xx storm on top of the kills. A share of the placements and cancels is
 * answered with a 5xx — some after the venue executed the request, some before — with bodies chosen by the fake's
 * seeded random source (documented Binance codes, HTML pages, empty bodies), never by the outcome. The verdict is
 * the same: judged from the venue's own records.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Increment } from '../../src/model/decimal.js';
import { childEnv, DaemonProcess, ensureBuilt } from '../helpers/daemon-process.js';
import { ApiClient } from '../helpers/http.js';
import type { FaultRule } from '../venues/faults.js';
import { startFakeBinance } from '../venues/index.js';
import { randomSource } from '../../adapters/paper/prng.js';

export type CrashFaults = 'none' | '5xx';

export interface CrashOptions {
  readonly kills: number;
  /** Venue faults during the run (default 'none'). */
  readonly faults?: CrashFaults;
  readonly clients: number;
  readonly seed: number;
  readonly log?: (line: string) => void;
}

export interface CrashResult {
  readonly kills: number;
  readonly orders: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly fill_mismatches: number;
  /** Orders whose final state differs between daemon and venue (reported separately from fills). */
  readonly state_mismatches: number;
  /** 5xx answers the fake gave (5xx mode): to placements / cancels, after executing / before. */
  readonly faults_injected?: { readonly place_executed: number; readonly place_not_executed: number; readonly cancel_executed: number; readonly cancel_not_executed: number };
  readonly problems: readonly string[];
}

const TOKEN = 'crash-test-token-0123456789abcdef';
const LOT = new Increment('0.00001');

function lots(text: string): number {
  const r = LOT.toCount(text.replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '') || '0');
  if (!r.ok) throw new Error(`quantity ${text} is not on the lot grid`);
  return r.value;
}

const VENUE_OPEN = new Set(['NEW', 'PARTIALLY_FILLED']);

/** Chance that a placement / a cancel is hit by each 5xx rule (executed, not executed) in the 5xx storm. Cancels are
 * rarer in the flow (resting orders only), so they are hit more often. */
const STORM_P = { POST: 0.15, DELETE: 0.3 } as const;

/**
 * The 5xx storm: placements (POST /api/v3/order) and cancels (DELETE /api/v3/order) answered 500/502/503 at random,
 * after execution or before, with any body ('any': documented codes, HTML, empty). Lookups (GET) are left alone.
 */
function stormRules(): FaultRule[] {
  const rules: FaultRule[] = [];
  for (const method of ['POST', 'DELETE'] as const) {
    rules.push({ kind: 'error', method, path: '/api/v3/order', transport: 'rest', status: 503, body: 'any', afterExecute: true, probability: STORM_P[method] });
    rules.push({ kind: 'error', method, path: '/api/v3/order', transport: 'rest', status: 500, body: 'any', probability: STORM_P[method] });
  }
  return rules;
}
const DAEMON_OPEN = new Set(['SUBMITTED', 'ACCEPTED', 'PARTIALLY_FILLED', 'PENDING_CANCEL']);

export async function runCrashTest(options: CrashOptions): Promise<CrashResult> {
  ensureBuilt();
  const log = options.log ?? (() => {});
  // a seeded schedule of kills and client actions
  const random = randomSource(options.seed);
  const fake = await startFakeBinance({
    rateLimits: { weightPerMinute: 1_000_000, ordersPer10s: 100_000, ordersPerDay: 10_000_000 },
  });
  const storm = options.faults === '5xx';
  if (storm) fake.faults.apply({ seed: options.seed, add: stormRules() });
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-crash-'));
  const port = new URL(fake.endpoints.rest).port;
  const file = join(dir, 'crash.yaml');
  const strategies = Array.from({ length: options.clients }, (_, i) => `    - { id: c${i}, symbols: [BTC-USDT] }`).join('\n');
  writeFileSync(file, `daemon:
  name: crash
  api: { port: 0 }
  dataDir: ${dir}
  shutdown: { policy: leave, timeoutMs: 2000 }
  journal: { maxDelayMs: 1 }
venues:
  - name: fake-binance
    adapter: ccxt
    exchange: binance
    symbols: [BTC-USDT]
    urls: { rest: "http://127.0.0.1:${port}", ws: "ws://127.0.0.1:${port}" }
    credentials:
      apiKey: \${CRASH_API_KEY}
      secret: \${CRASH_API_SECRET}
    requestTimeoutMs: 2000
    pollIntervalMs: 200
    reconnect: { minMs: 50, maxMs: 500 }
instruments:
  - { symbol: BTC-USDT, tickSize: "0.01", lotSize: "0.00001", minQty: "0.00001", minNotional: "5" }
strategies:
${strategies}
routing:
  BTC-USDT: { fake-binance: 1 }
`);
  const env = { ...childEnv(), SWITCHYARD_API_TOKEN: TOKEN, CRASH_API_KEY: fake.endpoints.apiKey, CRASH_API_SECRET: fake.endpoints.secret };
  /** Every order a client got an id for: order id -> client order id. */
  const issued = new Map<number, string>();
  const problems: string[] = [];
  let kills = 0;
  let daemon: DaemonProcess | undefined;
  try {
    for (let round = 0; round <= options.kills; round++) {
      daemon = DaemonProcess.start(file, env);
      const { host, port: apiPort } = await daemon.listening(30_000);
      const api = new ApiClient(`http://${host}:${apiPort}`, TOKEN);
      if (round === options.kills) {
        await settle(api, issued);
        break;
      }
      // Traffic from every client, and a kill at a random moment in the middle of it.
      let running = true;
      const resting: number[] = [];
      const clients = Array.from({ length: options.clients }, async (_, c) => {
        let n = 0;
        while (running) {
          const r = random();
          try {
            if (r < 0.2 && resting.length > 0) {
              const id = resting.splice(Math.floor(random() * resting.length), 1)[0]!;
              await api.delete(`/v1/orders/${id}`);
              continue;
            }
            const buy = random() < 0.5;
            const marketable = r < 0.6;
            const price = marketable ? (buy ? '60500' : '59500') : (buy ? '55000' : '65000');
            const clientOrderId = `k${round}c${c}n${n++}`;
            const res = await api.post('/v1/orders', { strategy: `c${c}`, symbol: 'BTC-USDT', side: buy ? 'BUY' : 'SELL', price, quantity: '0.001', clientOrderId });
            const id = (res.body as { orderId?: number } | undefined)?.orderId;
            if (typeof id === 'number') {
              issued.set(id, clientOrderId);
              if (!marketable) resting.push(id);
            }
          } catch {
            return; // the daemon died under us: this client stops until the next round
          }
        }
      });
      await new Promise((r) => setTimeout(r, 150 + Math.floor(random() * 600)));
      daemon.signal('SIGKILL');
      kills++;
      running = false;
      await daemon.waitForExit(10_000);
      await Promise.all(clients);
      // While the daemon is down, the market trades against some of its resting orders.
      if (random() < 0.5) fake.taker({ symbol: 'BTC-USDT', side: random() < 0.5 ? 'buy' : 'sell', qty: '0.01', price: random() < 0.5 ? '54000' : '66000' });
      log(`kill ${kills}: ${issued.size} orders issued so far`);
    }

    // The verdict, from the venue's own records.
    const venueOrders = fake.orders({ account: 'main' });
    const byClientId = new Map<string, typeof venueOrders>();
    for (const o of venueOrders) {
      const list = byClientId.get(o.clientOrderId);
      if (list === undefined) byClientId.set(o.clientOrderId, [o]);
      else list.push(o);
    }
    let duplicated = 0;
    for (const [cid, list] of byClientId) {
      if (list.length > 1) {
        duplicated++;
        problems.push(`${cid}: ${list.length} orders at the venue`);
      }
    }
    const api = new ApiClient(`http://127.0.0.1:${(await daemon!.listening()).port}`, TOKEN);
    // Reconciliation may finish asynchronously (an adopted order's trades are fetched by its adapter): give it a
    // bounded time to agree with the venue on every filled quantity, then judge whatever it has.
    const venueFilled = (cid: string): number => {
      const v = byClientId.get(cid)?.[0];
      return v === undefined ? 0 : lots(v.filled);
    };
    const converged = async (): Promise<boolean> => {
      const all = await api.allOrders<{ orderId: number; filledQty: string }>('state=all');
      return all.every((o) => !issued.has(o.orderId) || lots(o.filledQty) === venueFilled(issued.get(o.orderId)!));
    };
    const deadline = Date.now() + 15_000;
    while (!(await converged()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    let lost = 0;
    let fillMismatches = 0;
    let stateMismatches = 0;
    for (const [id, cid] of issued) {
      const res = await api.get(`/v1/orders/${id}`);
      if (res.status !== 200) {
        lost++;
        problems.push(`order ${id} (${cid}): ${res.status} from the daemon`);
        continue;
      }
      const d = res.body as { state: string; filledQty: string; clientOrderId: string };
      if (d.clientOrderId !== cid) problems.push(`order ${id}: client order id ${d.clientOrderId}, expected ${cid}`);
      const v = byClientId.get(cid)?.[0];
      const venueFilled = v === undefined ? 0 : lots(v.filled);
      const venueFills = v === undefined ? [] : fake.fills({ orderId: v.orderId });
      const fromFills = venueFills.reduce((sum, f) => sum + lots(f.qty), 0);
      if (lots(d.filledQty) !== venueFilled || fromFills !== venueFilled) {
        fillMismatches++;
        problems.push(`order ${id} (${cid}): daemon filled ${d.filledQty}, venue ${v?.filled ?? 'no order'} (${venueFills.length} fills)`);
      }
      const venueOpen = v !== undefined && VENUE_OPEN.has(v.status);
      const same = v === undefined
        ? ['DENIED', 'REJECTED', 'CANCELED', 'EXPIRED'].includes(d.state)
        : venueOpen ? DAEMON_OPEN.has(d.state) && d.state !== 'SUBMITTED'
          : v.status === 'FILLED' ? d.state === 'FILLED'
            : ['CANCELED', 'EXPIRED', 'REJECTED'].includes(d.state);
      if (!same) {
        stateMismatches++;
        problems.push(`order ${id} (${cid}): daemon ${d.state}, venue ${v?.status ?? 'no order'}`);
      }
    }
    daemon!.signal('SIGINT');
    await daemon!.waitForExit(15_000);
    const result = { kills, orders: issued.size, lost, duplicated, fill_mismatches: fillMismatches, state_mismatches: stateMismatches, problems };
    if (!storm) return result;
    const hits = (method: string, executed: boolean): number =>
      fake.faults.state().rules.find((r) => r.method === method && (r.afterExecute === true) === executed)?.hits ?? 0;
    return {
      ...result,
      faults_injected: { place_executed: hits('POST', true), place_not_executed: hits('POST', false), cancel_executed: hits('DELETE', true), cancel_not_executed: hits('DELETE', false) },
    };
  } finally {
    if (daemon !== undefined) await daemon.kill();
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Wait until no order the clients know is still in flight (SUBMITTED or PENDING_CANCEL): recovery has settled. */
async function settle(api: ApiClient, issued: Map<number, string>): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const inFlight = (await api.allOrders<{ orderId: number; state: string }>('state=open'))
      .filter((o) => issued.has(o.orderId) && (o.state === 'SUBMITTED' || o.state === 'PENDING_CANCEL'));
    if (inFlight.length === 0) return;
    if (Date.now() > deadline) throw new Error(`orders still in flight after recovery: ${inFlight.map((o) => `${o.orderId} ${o.state}`).join(', ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
