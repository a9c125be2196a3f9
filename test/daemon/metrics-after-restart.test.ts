/**
 * The order counters of GET /metrics (switchyard_orders_total, switchyard_fills_total, switchyard_slippage_bps) count
 * what this run of the daemon did: the journal replay at a restart rebuilds the orders, not new fills. Counted again,
 * a restart from a snapshot showed the fills after the snapshot as new ones (Prometheus reads the lower value as a
 * counter reset and adds it whole to increase()), and one without a snapshot every fill of the journal's history.
 * Two in-process paper daemons, one after the other, on the same data directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDaemon, type Daemon } from '../../src/daemon.js';
import { discardLogs, TEST_TOKEN } from '../helpers/daemon.js';
import { ApiClient, metricValue } from '../helpers/http.js';
import { configFromText, paperConfigText } from '../helpers/repo.js';

describe('order metrics after a restart', () => {
  let dir: string | undefined;
  let running: Daemon | undefined;
  afterEach(async () => {
    await running?.stop('test finished');
    running = undefined;
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  async function start(): Promise<ApiClient> {
    const config = configFromText(paperConfigText([
      [['daemon', 'api', 'host'], '127.0.0.1'],
      [['daemon', 'api', 'port'], 0],
      [['daemon', 'dataDir'], dir!],
      [['daemon', 'api', 'tokenFile'], join(dir!, 'api-token')],
    ], { workers: false }));
    running = createDaemon(config, { env: { SWITCHYARD_API_TOKEN: TEST_TOKEN }, logDestination: discardLogs(), baseDir: dir! });
    const { port } = await running.start();
    return new ApiClient(`http://127.0.0.1:${port}`, TEST_TOKEN);
  }

  it('a fill of the run before is not counted again by the replay', async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-metrics-restart-'));
    const first = await start();
    // marketable: fills at once at sim-a
    const r = await first.post('/v1/orders', { strategy: 'manual', symbol: 'BTC-USDT', side: 'BUY', type: 'LIMIT', price: '61000', quantity: '0.01', venue: 'sim-a' });
    expect(r.status).toBe(201);
    await first.waitForState(r.body.orderId, 'FILLED');
    const before = await first.metrics();
    const fills = metricValue(before, 'switchyard_fills_total', { venue: 'sim-a' });
    expect(fills).toBeGreaterThanOrEqual(1);
    expect(metricValue(before, 'switchyard_orders_total', { state: 'FILLED', strategy: 'manual' })).toBe(1);
    await running!.stop('restart');
    running = undefined;

    const second = await start();
    expect((await second.get(`/v1/orders/${r.body.orderId}`)).body.state).toBe('FILLED'); // the replay rebuilt it
    const after = await second.metrics();
    expect(metricValue(after, 'switchyard_fills_total', { venue: 'sim-a' })).toBe(0);
    expect(metricValue(after, 'switchyard_orders_total', { state: 'FILLED', strategy: 'manual' })).toBe(0);
    expect(metricValue(after, 'switchyard_slippage_bps_count')).toBe(0);
    // what this run does is counted
    const again = await second.post('/v1/orders', { strategy: 'manual', symbol: 'BTC-USDT', side: 'BUY', type: 'LIMIT', price: '61000', quantity: '0.01', venue: 'sim-a' });
    expect(again.status).toBe(201);
    await second.waitForState(again.body.orderId, 'FILLED');
    expect(metricValue(await second.metrics(), 'switchyard_orders_total', { state: 'FILLED', strategy: 'manual' })).toBe(1);
  }, 60_000);
});
