import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { loadConfigFile } from '../../src/config/index.js';
import { createDaemon, type Daemon } from '../../src/daemon.js';

const TOKEN = 'reload-test-token-0123456789abcdef';

/** paper.yaml without worker strategies, on a free port, with data in `dir`. */
function paperText(dir: string, edit?: (doc: ReturnType<typeof parseDocument>) => void): string {
  const doc = parseDocument(readFileSync('config/paper.yaml', 'utf8'));
  doc.setIn(['daemon', 'api', 'port'], 0);
  doc.setIn(['daemon', 'dataDir'], dir);
  doc.deleteIn(['daemon', 'api', 'tokenFile']);
  const strategies = doc.get('strategies') as { items: { delete(k: string): void }[] };
  for (const s of strategies.items) {
    s.delete('module');
    s.delete('params');
  }
  edit?.(doc);
  return doc.toString();
}

const silent = new Writable({ write: (_c, _e, cb) => cb() });

async function api(port: number, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

describe('configuration reload', () => {
  let dir: string;
  let file: string;
  let daemon: Daemon;
  let port: number;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-reload-'));
    file = join(dir, 'switchyard.yaml');
    writeFileSync(file, paperText(dir));
    const loaded = loadConfigFile(file);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    daemon = createDaemon(loaded.config, {
      env: { SWITCHYARD_API_TOKEN: TOKEN },
      configFile: file,
      configDir: dir,
      baseDir: dir,
      logDestination: silent,
    });
    port = (await daemon.start()).port;
  });

  afterEach(async () => {
    await daemon.stop('test over');
    rmSync(dir, { recursive: true, force: true });
  });

  it('a good file changes routing and limits with no order lost', async () => {
    expect((await api(port, 'GET', '/v1/routes/BTC-USDT')).body.slots).toEqual({ 'sim-a': 192, 'sim-b': 64 });
    const resting = await api(port, 'POST', '/v1/orders', { strategy: 'manual', symbol: 'BTC-USDT', side: 'BUY', price: '30000', quantity: '0.01' });
    expect(resting.status).toBe(201);

    writeFileSync(file, paperText(dir, (doc) => {
      doc.setIn(['routing', 'BTC-USDT'], doc.createNode({ 'sim-a': 1, 'sim-b': 3 }));
      doc.setIn(['strategies', 2, 'limits', 'maxOpenOrders'], 1);
    }));
    const r = await api(port, 'POST', '/v1/admin/reload');
    expect(r).toEqual({ status: 200, body: { reloaded: true } });
    expect((await api(port, 'GET', '/v1/routes/BTC-USDT')).body.slots).toEqual({ 'sim-a': 64, 'sim-b': 192 });

    // The order placed before the reload is still there and still open.
    const before = await api(port, 'GET', `/v1/orders/${resting.body.orderId}`);
    expect(before.body.state).toMatch(/SUBMITTED|ACCEPTED/);
    // The new limit applies: manual already has one open order.
    const second = await api(port, 'POST', '/v1/orders', { strategy: 'manual', symbol: 'BTC-USDT', side: 'BUY', price: '30000', quantity: '0.01' });
    expect(second.status).toBe(422);
    expect(second.body.error.code).toBe('RISK_MAX_OPEN_ORDERS');
    expect(daemon.activeConfig.routing['BTC-USDT']).toEqual({ 'sim-a': 1, 'sim-b': 3 });
  });

  it('a bad file changes nothing and every error is reported', async () => {
    writeFileSync(file, paperText(dir, (doc) => {
      doc.setIn(['strategies', 0, 'weight'], 0);
      doc.setIn(['risk', 'maxOpenOrdres'], 5);
    }));
    const r = await api(port, 'POST', '/v1/admin/reload');
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe('CONFIG_INVALID');
    expect(r.body.error.errors).toHaveLength(2);
    expect(r.body.error.errors.join('\n')).toMatch(/maxOpenOrdres/);
    expect(r.body.error.errors.join('\n')).toMatch(/strategies\[0\]\.weight/);

    writeFileSync(file, paperText(dir, (doc) => doc.setIn(['routing', 'BTC-USDT'], doc.createNode({ 'sim-a': 0, 'sim-b': 0 }))));
    const zero = await api(port, 'POST', '/v1/admin/reload');
    expect(zero.status).toBe(422);
    expect(zero.body.error.errors.join('\n')).toMatch(/routing/);
    expect((await api(port, 'GET', '/v1/routes/BTC-USDT')).body.slots).toEqual({ 'sim-a': 192, 'sim-b': 64 });
    const ok = await api(port, 'POST', '/v1/orders', { strategy: 'manual', symbol: 'BTC-USDT', side: 'BUY', price: '30000', quantity: '0.01' });
    expect(ok.status).toBe(201);
  });

  it('a change that needs a restart is refused and changes nothing', async () => {
    writeFileSync(file, paperText(dir, (doc) => {
      doc.setIn(['venues', 0, 'latencyMs'], 9);
      doc.setIn(['routing', 'BTC-USDT'], doc.createNode({ 'sim-a': 1, 'sim-b': 1 }));
    }));
    const r = await api(port, 'POST', '/v1/admin/reload');
    expect(r.status).toBe(422);
    expect(r.body.error.errors).toEqual(['venues changed: this needs a restart, not a reload']);
    expect((await api(port, 'GET', '/v1/routes/BTC-USDT')).body.slots).toEqual({ 'sim-a': 192, 'sim-b': 64 });
  });

  it('reload needs the bearer token', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/v1/admin/reload`, { method: 'POST' });
    expect(res.status).toBe(401);
  });
});
