/**
 * Stopping always stops (issue 10, item 11), on the real daemon process (`node dist/src/cli.js start`):
 *  - after a venue ban (418 + Retry-After 120 from the fake Binance), SIGTERM ends the process promptly with code 0:
 *    nothing the adapter started (rate-limiter pause waits, window timers, breaker timer) keeps the event loop alive;
 *  - a start that fails late (the API port is taken, after recovering open paper orders) exits promptly with a
 *    non-zero code and the real error, not with an uncaught exception from a venue callback;
 *  - SIGTERM sent as soon as /health first answers is a graceful stop: exit 0 and the shutdown policy ran (the
 *    journal records the stop), not death by the signal's default action.
 * Each is bounded in time; a process still running at the bound fails the test (and is killed by afterAll).
 */
import { createServer, type Server } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childEnv, DaemonProcess, ensureBuilt, runCli } from '../helpers/daemon-process.js';
import { ApiClient } from '../helpers/http.js';
import { pollUntil } from '../helpers/poll.js';
import { paperConfigText } from '../helpers/repo.js';
import { startFakeBinance, type FakeBinance } from '../venues/index.js';

const TOKEN = 'stopping-test-token-0123456789abcdef';
/** How long a stop or a failed start may take before the test calls the process stuck (far above the normal ~1 s). */
const EXIT_BOUND_MS = 10_000;

let dir: string;
const started: DaemonProcess[] = [];
const servers: Server[] = [];
let fake: FakeBinance | undefined;

function launch(file: string, extraEnv: Record<string, string> = {}): DaemonProcess {
  const p = DaemonProcess.start(file, { ...childEnv(), SWITCHYARD_API_TOKEN: TOKEN, ...extraEnv });
  started.push(p);
  return p;
}

/** A TCP server on a free 127.0.0.1 port (left listening: the port stays taken). */
async function listenAnywhere(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.destroy());
  servers.push(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, port: address.port };
}

/** The journal's EVENT records (`switchyard journal inspect`), parsed. */
function journalEvents(journalDir: string): Record<string, unknown>[] {
  const r = runCli(['journal', 'inspect', journalDir]);
  if (r.status !== 0) throw new Error(`journal inspect exited ${r.status}: ${r.stderr}`);
  const out: Record<string, unknown>[] = [];
  for (const line of r.stdout.split('\n')) {
    const at = line.indexOf('EVENT {');
    if (at >= 0) out.push(JSON.parse(line.slice(at + 'EVENT '.length)) as Record<string, unknown>);
  }
  return out;
}

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'switchyard-stopping-'));
}, 120_000);

afterAll(async () => {
  for (const p of started) await p.kill();
  for (const s of servers) await new Promise<void>((resolve) => s.close(() => resolve()));
  await fake?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('stopping always stops (real process)', () => {
  it('after a venue ban (418, Retry-After 120 s), SIGTERM exits with code 0 within the bound', { timeout: 60_000 }, async () => {
    fake = await startFakeBinance({ rateLimits: { weightPerMinute: 1_000_000, ordersPer10s: 100_000, ordersPerDay: 10_000_000 } });
    const venuePort = new URL(fake.endpoints.rest).port;
    const file = join(dir, 'ban.yaml');
    writeFileSync(file, `daemon:
  name: ban
  api: { port: 0 }
  dataDir: ${join(dir, 'ban-data')}
  shutdown: { policy: cancel-all, timeoutMs: 2000 }
venues:
  - name: fake-binance
    adapter: ccxt
    exchange: binance
    symbols: [BTC-USDT]
    urls: { rest: "http://127.0.0.1:${venuePort}", ws: "ws://127.0.0.1:${venuePort}" }
    credentials:
      apiKey: \${BAN_API_KEY}
      secret: \${BAN_API_SECRET}
    requestTimeoutMs: 2000
    pollIntervalMs: 200
    reconnect: { minMs: 50, maxMs: 500 }
instruments:
  - { symbol: BTC-USDT, tickSize: "0.01", lotSize: "0.00001", minQty: "0.00001", minNotional: "5" }
strategies:
  - { id: s1, symbols: [BTC-USDT] }
routing:
  BTC-USDT: { fake-binance: 1 }
`);
    const daemon = launch(file, { BAN_API_KEY: fake.endpoints.apiKey, BAN_API_SECRET: fake.endpoints.secret });
    const { port } = await daemon.listening(30_000);
    const api = new ApiClient(`http://127.0.0.1:${port}`, TOKEN);
    // a resting order first (the shutdown policy has something to cancel), then the ban on every new order
    const resting = await api.post('/v1/orders', { strategy: 's1', symbol: 'BTC-USDT', side: 'BUY', price: '50000', quantity: '0.001' });
    expect(resting.status).toBe(201);
    await api.waitForState(resting.body.orderId as number, 'ACCEPTED', 10_000);
    // the venue bans us (every request: 418 with Retry-After 120 s); an order meets it first
    fake.faults.add({ kind: 'ban' });
    const banned = await api.post('/v1/orders', { strategy: 's1', symbol: 'BTC-USDT', side: 'BUY', price: '50001', quantity: '0.001' });
    expect(banned.status).toBe(201);
    await api.waitForState(banned.body.orderId as number, 'REJECTED', 10_000);
    const hits = (): number => fake!.faults.state().rules[0]!.hits;
    const before = hits();
    // the execution-report stream drops: the adapter polls by REST meanwhile, and its queries wait for the ban to
    // end. Its stream reconnects are banned too: a hit after the drop means the drop was seen (polling started).
    fake.faults.apply({ dropSockets: true });
    await pollUntil(hits, (n) => n > before, { timeoutMs: 10_000, what: 'a banned reconnect after the stream dropped' });

    daemon.signal('SIGTERM');
    expect(await daemon.waitForExit(EXIT_BOUND_MS)).toEqual({ code: 0, signal: null });
  });

  it('a start that fails late (API port taken, after recovering open paper orders) exits promptly, non-zero, with the real error', { timeout: 90_000 }, async () => {
    const ORDERS = 1000;
    const data = join(dir, 'late-fail-data');
    const edits = (apiPort: number) => paperConfigText([
      [['daemon', 'api', 'port'], apiPort],
      [['daemon', 'dataDir'], data],
      // the first run leaves its orders open in the journal (and at the venue, as far as the journal knows)
      [['daemon', 'shutdown', 'policy'], 'leave'],
      [['strategies', 2, 'limits', 'maxOpenOrders'], ORDERS],
    ], { workers: false });
    const first = join(dir, 'late-fail-1.yaml');
    writeFileSync(first, edits(0));
    const seed = launch(first);
    const { port } = await seed.listening(30_000);
    const api = new ApiClient(`http://127.0.0.1:${port}`, TOKEN);
    // resting orders far from the market, on both paper venues, through the API
    for (let i = 0; i < ORDERS; i += 25) {
      const batch = await Promise.all(Array.from({ length: 25 }, (_, k) =>
        api.post('/v1/orders', { strategy: 'manual', symbol: 'BTC-USDT', side: 'BUY', price: String(40_000 + i + k), quantity: '0.01' })));
      expect(batch.map((r) => r.status)).toEqual(batch.map(() => 201));
    }
    await pollUntil(async () => await api.allOrders('state=open'), (o) => o.length === ORDERS && o.every((x) => x.state === 'ACCEPTED'), { timeoutMs: 20_000, what: 'every order resting' });
    seed.signal('SIGTERM');
    expect((await seed.waitForExit(EXIT_BOUND_MS)).code).toBe(0);

    // second start on the same journal, the API port already taken: recovery replays and reconciles the open
    // orders (the fresh paper venues do not have them), then the listen fails
    const { port: taken } = await listenAnywhere();
    const second = join(dir, 'late-fail-2.yaml');
    writeFileSync(second, edits(taken));
    const daemon = launch(second);
    const exit = await daemon.waitForExit(EXIT_BOUND_MS + 20_000);
    expect(exit.signal).toBeNull();
    expect(exit.code).not.toBe(0);
    const stderr = daemon.stderrLines.join('\n');
    expect(stderr).toContain('EADDRINUSE');
    // the error is the start's, not a crash out of a timer after the journal was closed
    expect(stderr).not.toContain('JOURNAL_CLOSED');
    expect(stderr).not.toMatch(/^\s+at /m); // no stack trace: nothing was thrown uncaught
  });

  it('SIGTERM as soon as /health first answers: a graceful stop (exit 0, the shutdown policy ran)', { timeout: 60_000 }, async () => {
    // the shipped paper configuration with its worker strategies, on a port known before the daemon says so
    const { server, port } = await listenAnywhere();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const data = join(dir, 'early-signal-data');
    const file = join(dir, 'early-signal.yaml');
    writeFileSync(file, paperConfigText([
      [['daemon', 'api', 'port'], port],
      [['daemon', 'dataDir'], data],
    ]));
    const daemon = launch(file);
    await pollUntil(
      async () => {
        if (daemon.hasExited) throw new Error(`daemon exited before /health answered:\n${daemon.stderrLines.join('\n')}`);
        return (await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) })).status;
      },
      (status) => status === 200,
      { timeoutMs: 30_000, intervalMs: 2, what: '/health answering 200' },
    );
    daemon.signal('SIGTERM');
    expect(await daemon.waitForExit(EXIT_BOUND_MS)).toEqual({ code: 0, signal: null });
    // the shutdown policy ran to its end: the journal records the stop and why
    const stopped = journalEvents(join(data, 'journal')).filter((e) => e.event === 'stopped');
    expect(stopped).toEqual([expect.objectContaining({ event: 'stopped', reason: 'SIGTERM' })]);
  });
});
