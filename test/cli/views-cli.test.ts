/**
 * `switchyard positions|balances|status` and the admin verbs against in-process daemons, with captured output; how
 * every daemon command finds the daemon (token from the environment or the token file) and fails (unreachable: 3,
 * no token: 2, a wrong token: 1).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAdminCli } from '../../src/cli/admin-commands.js';
import { runOrdersCli } from '../../src/cli/order-commands-cli.js';
import { runViewCli } from '../../src/cli/view-commands.js';
import { startTestDaemon, TEST_TOKEN, type TestDaemon } from '../helpers/daemon.js';
import { captureIo, writeCliConfig } from './cli-harness.js';
import { waitFor } from '../helpers/poll.js';

/** A port nothing listens on: one the system just gave out and closed again. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('positions, balances, status (in-process daemon)', () => {
  let t: TestDaemon;
  let dir: string;
  let config: string;

  beforeAll(async () => {
    t = await startTestDaemon();
    dir = mkdtempSync(join(tmpdir(), 'switchyard-cli-views-'));
    config = writeCliConfig(dir, 7480, join(dir, 'token'));
    // a filled market buy: a position and moved balances
    const r = await t.api.post('/v1/orders', { strategy: 'momentum', symbol: 'BTC-USDT', side: 'BUY', type: 'MARKET', quantity: '0.001' });
    expect(r.status).toBe(201);
    await t.api.waitForState(r.body.orderId, 'FILLED');
  }, 30_000);

  afterAll(async () => {
    await t?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (verb: 'positions' | 'balances' | 'status', args: string[] = [], env: NodeJS.ProcessEnv = { SWITCHYARD_API_TOKEN: TEST_TOKEN }, extra = {}) => {
    const c = captureIo(config, env, extra);
    const code = await runViewCli(verb, [...args, '--url', t.baseUrl], c.io);
    return { code, out: c.out, err: c.err, stdout: c.stdout() };
  };

  it('positions: a table with the API decimals verbatim; --json is the API body; a filter; an unknown one exits 2', async () => {
    const api = (await t.api.get('/v1/positions')).body;
    const p = api.positions[0];
    const r = await run('positions');
    expect(r.code).toBe(0);
    expect(r.out[0]).toMatch(/^STRATEGY\s+SYMBOL\s+VENUE\s+QTY\s+AVG COST\s+MARK\s+REALISED\s+UNREALISED\s+NET PNL\s+QUOTE\s+FILLS\s+FEES$/);
    const row = r.out.find((l) => l.startsWith('momentum'))!;
    // the fields that do not move with the mark between the two reads
    for (const v of [p.quantity, p.averageCost, p.realisedPnl, `${p.fees.USDT} USDT`]) expect(row).toContain(v);
    const j = await run('positions', ['--json']);
    const { mark: _m, unrealisedPnl: _u, netPnl: _n, ...fixed } = p;
    expect(JSON.parse(j.stdout).positions).toEqual([expect.objectContaining(fixed)]);
    const none = await run('positions', ['--strategy', 'market-maker']);
    expect(none.stdout).toBe('(no positions)');
    expect((await run('positions', ['--strategy', 'nobody'])).code).toBe(2); // UNKNOWN_STRATEGY (400)
  });

  it('balances: a table, decimals verbatim (no float reformatting); --json is the API body', async () => {
    const api = (await t.api.get('/v1/balances')).body;
    const usdt = api.balances.find((b: { venue: string; currency: string; total: string }) => b.currency === 'USDT' && b.total.includes('.'));
    expect(usdt).toBeDefined();
    const r = await run('balances');
    expect(r.code).toBe(0);
    expect(r.out[0]).toMatch(/^VENUE\s+CURRENCY\s+TOTAL\s+FREE\s+SOURCE\s+RECONCILED\s+DIFFERENCE$/);
    expect(r.out.length).toBe(api.balances.length + 1);
    const line = r.out.find((l) => l.startsWith(usdt.venue) && l.includes('USDT'))!;
    expect(line).toContain(usdt.total);
    expect(line).toContain(usdt.free);
    expect(JSON.parse((await run('balances', ['--json'])).stdout)).toEqual(api);
  });

  it('status: a compact summary, exit 0 when the daemon says ok; --json is /health; no token needed', async () => {
    // the history thread reports once it has started (transpiled from the sources here: it may take a moment)
    await waitFor(async () => (await t.api.get('/health')).body.history?.up === true, { timeoutMs: 20_000, what: 'the history up' });
    const r = await run('status', [], {});
    expect(r.code).toBe(0);
    expect(r.out[0]).toMatch(/^daemon paper: ok, accepting orders, up \S+, \d+ open orders?$/);
    expect(r.stdout).toMatch(/^trading: all ACTIVE$/m);
    expect(r.stdout).toMatch(/^\s+sim-a\s+yes/m);
    expect(r.stdout).toMatch(/^journal: ok \(seq \d+, durable \d+\)$/m);
    expect(r.stdout).toMatch(/^history: up /m);
    const j = await run('status', ['--json']);
    expect(JSON.parse(j.stdout)).toMatchObject({ status: 'ok', name: 'paper' });

    await t.api.post('/v1/admin/state', { scope: 'strategy', name: 'market-maker', state: 'HALTED', reason: 'maintenance' });
    try {
      const halted = await run('status');
      expect(halted.code).toBe(0); // a halted strategy is not a degraded daemon
      expect(halted.stdout).toMatch(/^trading: strategy market-maker HALTED \(maintenance\) since /m);
    } finally {
      await t.api.post('/v1/admin/state', { scope: 'strategy', name: 'market-maker', state: 'ACTIVE' });
    }
  });

  it('status of a degraded daemon (a venue closed to orders): exit 4, the venue and why', async () => {
    await t.api.post('/v1/admin/state', { scope: 'venue', name: 'sim-b', state: 'HALTED', reason: 'maintenance' });
    try {
      const health = (await t.api.get('/health')).body;
      expect(health.status).toBe('degraded'); // the daemon's own verdict
      const r = await run('status');
      expect(r.code).toBe(4);
      expect(r.out[0]).toMatch(/^daemon paper: degraded, /);
      expect(r.stdout).toMatch(/^trading: venue sim-b HALTED \(maintenance\) since /m);
      expect(r.stdout).toMatch(/^\s+sim-b\s+no\s+-\s+\S/m);
      expect(r.stdout).toMatch(/^\s+sim-a\s+yes/m);
      const j = await run('status', ['--json']);
      expect(j.code).toBe(4);
      expect(JSON.parse(j.stdout).status).toBe('degraded');
    } finally {
      await t.api.post('/v1/admin/state', { scope: 'venue', name: 'sim-b', state: 'ACTIVE' });
    }
    expect((await run('status')).code).toBe(0);
  });

  it('tables fit a narrow terminal by shortening text columns, with colour only on a terminal', async () => {
    const plain = await run('positions');
    expect(plain.stdout).not.toMatch(/\u001b\[/);
    const tty = await run('positions', [], { SWITCHYARD_API_TOKEN: TEST_TOKEN }, { tty: true, columns: 80 });
    expect(tty.stdout).toMatch(/\u001b\[1m/); // bold headers
    const noColour = await run('positions', [], { SWITCHYARD_API_TOKEN: TEST_TOKEN, NO_COLOR: '1' }, { tty: true, columns: 80 });
    expect(noColour.stdout).not.toMatch(/\u001b\[/);
    // shortened text columns, the decimals whole
    const p = (await t.api.get('/v1/positions')).body.positions[0];
    const row = noColour.out.find((l) => l.startsWith('mome'))!;
    expect(row).toContain(p.averageCost);
    expect(plain.out.find((l) => l.startsWith('momentum'))!.length).toBeGreaterThan(row.length);
  });

  it('token from the token file of the configuration; none: exit 2; a wrong one: exit 1 with the hint', async () => {
    writeFileSync(join(dir, 'token'), `${TEST_TOKEN}\n`);
    try {
      expect((await run('balances', [], {})).code).toBe(0);
    } finally {
      rmSync(join(dir, 'token'));
    }
    const none = await run('balances', [], {});
    expect(none.code).toBe(2);
    expect(none.err.join('\n')).toMatch(/no API token: set SWITCHYARD_API_TOKEN or start the daemon once/);
    const wrong = await run('balances', [], { SWITCHYARD_API_TOKEN: 'wrong-token-wrong-token' });
    expect(wrong.code).toBe(1);
    expect(wrong.err.join('\n')).toMatch(/UNAUTHORIZED: .*the daemon refused the token/);
  });

  it('status names each worker strategy that is not running well: failed or restarting with its error and restarts, unresponsive', async () => {
    // what the daemon's /health says (its fields: test/daemon/worker-health.test.ts), served as such
    const health = {
      status: 'degraded', name: 'paper', accepting: true,
      strategies: [
        { id: 'mm', source: 'worker', status: 'restarting', responsive: true, heartbeatAgeMs: null, queueFull: 0, eventsLost: 3, error: 'boom', restarts: 2 },
        { id: 'mo', source: 'worker', status: 'failed', responsive: true, heartbeatAgeMs: null, queueFull: 0, eventsLost: 0, error: 'worker exited with code 1', restarts: 3 },
        { id: 'hu', source: 'worker', status: 'running', responsive: false, heartbeatAgeMs: 7000, queueFull: 0, eventsLost: 0, error: null, restarts: 0 },
        { id: 'ok', source: 'worker', status: 'running', responsive: true, heartbeatAgeMs: 10, queueFull: 0, eventsLost: 0, error: null, restarts: 0 },
        { id: 'api', source: 'api' },
      ],
    };
    const server = createHttpServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(health)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const c = captureIo(config, {});
      expect(await runViewCli('status', ['--url', `http://127.0.0.1:${(server.address() as { port: number }).port}`], c.io)).toBe(4);
      const line = c.out.find((l) => l.startsWith('strategies: '));
      expect(line).toBe('strategies: mm restarting (boom, restarted 2 times, 3 events lost), mo failed (worker exited with code 1, restarted 3 times), '
        + 'hu UNRESPONSIVE (no heartbeat for 7s), ok running, api (api)');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('a daemon that cannot be reached: exit 3 with what to do, for every verb; usage errors exit 2', async () => {
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}`;
    const env = { SWITCHYARD_API_TOKEN: TEST_TOKEN };
    for (const verb of ['positions', 'balances', 'status'] as const) {
      const c = captureIo(config, env);
      expect(await runViewCli(verb, ['--url', url], c.io)).toBe(3);
      expect(c.err[0]).toBe(`switchyard ${verb}: cannot reach the daemon at ${url}: ECONNREFUSED — is it running? (\`switchyard start -c ${config}\`)`);
    }
    const o = captureIo(config, env);
    expect(await runOrdersCli(['list', '--url', url], o.io)).toBe(3);
    const a = captureIo(config, env);
    expect(await runAdminCli('state', ['--url', url], a.io)).toBe(3);
    // the address from the configuration file when there is no --url
    const fromFile = writeCliConfig(dir, port, join(dir, 'token'));
    const f = captureIo(fromFile, env);
    expect(await runViewCli('status', [], f.io)).toBe(3);
    expect(f.err[0]).toContain(`http://127.0.0.1:${port}`);

    const bad = captureIo(config, env);
    expect(await runViewCli('balances', ['--url', t.baseUrl, '--strategy', 'x'], bad.io)).toBe(2);
    expect(await runViewCli('status', ['--url', 'localhost:7480'], bad.io)).toBe(2);
    expect(await runViewCli('status', ['-c', join(dir, 'missing.yaml')], bad.io)).toBe(2);
  });

  it('admin verbs share the client: halt and state, a 400 exits 2, --json error bodies', async () => {
    const admin = async (verb: string, args: string[]) => {
      const c = captureIo(config, { SWITCHYARD_API_TOKEN: TEST_TOKEN });
      return { code: await runAdminCli(verb, [...args, '--url', t.baseUrl], c.io), out: c.out, err: c.err };
    };
    const h = await admin('halt', ['--strategy', 'market-maker', '--reason', 'review']);
    expect(h.code).toBe(0);
    expect(h.out.join('\n')).toMatch(/strategy market-maker\s+HALTED .*\(review\)/);
    expect((await admin('resume', ['--strategy', 'market-maker'])).code).toBe(0);
    expect((await t.api.get('/v1/admin/state')).body.states).toEqual([{ scope: 'daemon', state: 'ACTIVE', since: 0 }]);
    const nobody = await admin('halt', ['--strategy', 'nobody', '--json']);
    expect(nobody.code).toBe(2);
    expect(JSON.parse(nobody.out[0]!).error.code).toBe('INVALID_FIELD');
  });
});
