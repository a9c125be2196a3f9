/**
 * The trade history in the daemon (config/paper.yaml, paper venues, the default file store): fills of orders sent
 * through the API reach the history (GET /health shows it live), the export CLI reads them after the daemon stopped,
 * and a second start on the same data directory goes on from the history's watermark: nothing twice.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDaemon, type Daemon } from '../../src/daemon.js';
import { runExportCli } from '../../src/history/export-cli.js';
import type { FillRow } from '../../src/history/history-record.js';
import { discardLogs, TEST_TOKEN } from '../helpers/daemon.js';
import { ApiClient } from '../helpers/http.js';
import { waitFor } from '../helpers/poll.js';
import { configFromText, paperConfigText } from '../helpers/repo.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function started(dir: string, text: string): Promise<{ daemon: Daemon; api: ApiClient }> {
  const daemon = createDaemon(configFromText(text), { env: { SWITCHYARD_API_TOKEN: TEST_TOKEN }, logDestination: discardLogs(), baseDir: dir });
  cleanups.push(() => daemon.stop('test finished'));
  const { port } = await daemon.start();
  return { daemon, api: new ApiClient(`http://127.0.0.1:${port}`, TEST_TOKEN) };
}

async function filledOrders(api: ApiClient, n: number): Promise<{ orderId: number; filledQty: string }[]> {
  const out: { orderId: number; filledQty: string }[] = [];
  for (let i = 0; i < n; i++) {
    const r = await api.post('/v1/orders', { strategy: 'manual', symbol: 'BTC-USDT', side: 'BUY', type: 'LIMIT', timeInForce: 'IOC', price: '60500', quantity: '0.01' });
    expect(r.status).toBe(201);
    const o = await api.waitForState(r.body.orderId, 'FILLED');
    out.push({ orderId: o.orderId, filledQty: o.filledQty });
  }
  return out;
}

async function historyFills(daemon: Daemon): Promise<FillRow[]> {
  const reply = await daemon.history!.fills(new URLSearchParams('strategy=manual&limit=1000'));
  expect(reply.status).toBe(200);
  return (reply.body as { fills: FillRow[] }).fills;
}

describe('trade history in the daemon', () => {
  it('fills reach the history, are exported after the stop, and a restart goes on without duplicates', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'history-daemon-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const text = paperConfigText([
      [['daemon', 'api', 'host'], '127.0.0.1'], [['daemon', 'api', 'port'], 0], [['daemon', 'dataDir'], dir],
      [['daemon', 'api', 'tokenFile'], join(dir, 'api-token')],
    ], { workers: false });
    const first = await started(dir, text);
    const orders = await filledOrders(first.api, 4);
    // the fills of each order are in the history (a parent's rolled-up fills are not: none here) and sum to it
    const sumOf = (fills: readonly FillRow[], id: number): number => fills.filter((f) => f.orderId === id || f.parentOrderId === id).reduce((s, f) => s + Number(f.qty) * 1e5, 0);
    await waitFor(async () => {
      const fills = await historyFills(first.daemon);
      return orders.every((o) => Math.round(sumOf(fills, o.orderId)) === Math.round(Number(o.filledQty) * 1e5));
    }, { timeoutMs: 10_000, what: 'the orders\' fills in the history' });
    const before = await historyFills(first.daemon);
    expect(before.length).toBeGreaterThanOrEqual(4);
    // the history thread reports its status as it writes (a write may be on disk a moment before its report)
    await waitFor(async () => (await first.api.get('/health')).body.history?.mode === 'live', { timeoutMs: 10_000, what: 'the history live in /health' });
    const health = await first.api.get('/health');
    expect(health.body.history).toMatchObject({ store: 'file', up: true, mode: 'live' });
    await first.daemon.stop('restart');
    // the export reads the store without a daemon
    const config = join(dir, 'switchyard.yaml');
    writeFileSync(config, text);
    let csv = '';
    const code = await runExportCli(['fills', '--from', '0', '--to', String(before[before.length - 1]!.ts + 1), '-c', config], {
      write: (t) => ((csv += t), true), error: () => undefined, cwd: dir, env: {},
    });
    expect(code).toBe(0);
    expect(csv.trimEnd().split('\n').slice(1).map((l) => l.split(',')[0])).toEqual(before.map((f) => String(f.seq)));
    // a second life on the same data directory: the old fills once, the new ones added
    const second = await started(dir, text);
    const more = await filledOrders(second.api, 2);
    await waitFor(async () => {
      const fills = await historyFills(second.daemon);
      return more.every((o) => sumOf(fills, o.orderId) > 0);
    }, { timeoutMs: 10_000, what: 'the second life\'s fills in the history' });
    const after = await historyFills(second.daemon);
    const keys = after.map((f) => `${f.orderId}/${f.venue}/${f.tradeId}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(after.slice(0, before.length)).toEqual(before);
  }, 60_000);
});
