/**
 * Issue acceptance: a strategy driven into its daily loss limit on the paper venue is moved to REDUCING — against the
 * real daemon process. Round trips at market on sim-a lose the spread and the taker fee both ways (5 bps each side),
 * all in USDT: the ledger's net PnL falls, the daily loss check trips, new opening orders are refused while an order
 * that reduces the position is still taken.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childEnv, DaemonProcess, ensureBuilt } from '../helpers/daemon-process.js';
import { ApiClient } from '../helpers/http.js';
import { paperConfigText } from '../helpers/repo.js';

const TOKEN = 'daily-loss-e2e-token-0123456789abcdef';

describe('daily loss limit (real daemon process, paper venue)', () => {
  let dir: string;
  let d: DaemonProcess | undefined;
  let api: ApiClient;

  beforeAll(async () => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'switchyard-daily-loss-'));
    const file = join(dir, 'switchyard.yaml');
    writeFileSync(file, paperConfigText([
      [['daemon', 'api', 'port'], 0],
      [['daemon', 'dataDir'], dir],
      [['daemon', 'api', 'tokenFile'], join(dir, 'token')],
      [['strategies', 2, 'limits', 'maxDailyLoss'], '40'],
      [['strategies', 2, 'crossing', 'enabled'], false],
    ], { workers: false }));
    d = DaemonProcess.start(file, { ...childEnv(), SWITCHYARD_API_TOKEN: TOKEN });
    const { host, port } = await d.listening();
    api = new ApiClient(`http://${host}:${port}`, TOKEN);
  });

  afterAll(async () => {
    await d?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  const market = (side: 'BUY' | 'SELL', quantity: string) =>
    api.post('/v1/orders', { strategy: 'manual', symbol: 'BTC-USDT', side, type: 'MARKET', quantity, venue: 'sim-a' });

  async function manualState(): Promise<{ state: string; reason?: string } | undefined> {
    const r = await api.get('/v1/admin/state');
    return (r.body.states as { scope: string; name?: string; state: string; reason?: string }[]).find((s) => s.scope === 'strategy' && s.name === 'manual');
  }

  it('round trips at market lose fees and spread until the strategy is REDUCING; then only reducing orders are taken', async () => {
    // each round trip of 0.2 BTC (about 12,000 USDT) pays about 12 USDT of taker fees: the 40 USDT limit trips within 6
    let tripped: { state: string; reason?: string } | undefined;
    for (let i = 0; i < 6 && tripped === undefined; i++) {
      for (const side of ['BUY', 'SELL'] as const) {
        const r = await market(side, '0.2');
        expect(r.status).toBe(201);
        await api.waitForState(r.body.orderId, 'FILLED', 10_000);
      }
      // the check runs every 250 ms
      const deadline = Date.now() + 1000;
      while (Date.now() < deadline && (tripped = await manualState()) === undefined) await new Promise((r) => setTimeout(r, 50));
    }
    expect(tripped).toMatchObject({ state: 'REDUCING' });
    expect(tripped!.reason).toMatch(/^daily loss limit: -\d+(\.\d+)? USDT since 00:00 UTC reached strategies\.manual\.limits\.maxDailyLoss 40 USDT$/);
    const loss = Number(/limit: (-[\d.]+) USDT/.exec(tripped!.reason!)![1]);
    expect(loss).toBeLessThanOrEqual(-40);
    // the ledger agrees: the strategy's net PnL on sim-a is at or below the loss (fees in USDT only)
    const positions = (await api.get('/v1/positions')).body.positions as { strategy: string; venue: string; netPnl: string | null }[];
    const net = positions.filter((p) => p.strategy === 'manual').reduce((sum, p) => sum + Number(p.netPnl ?? 'NaN'), 0);
    expect(net).toBeLessThanOrEqual(-40);
    // flat now: a new buy would open a position and is refused; the other strategies trade on
    const open = await market('BUY', '0.01');
    expect(open.body.error.code).toBe('TRADING_REDUCING');
    const other = await api.post('/v1/orders', { strategy: 'momentum', symbol: 'BTC-USDT', side: 'BUY', type: 'MARKET', quantity: '0.01', venue: 'sim-a' });
    expect(other.status).toBe(201);
    expect((await api.get('/health')).body.trading).toEqual(expect.arrayContaining([expect.objectContaining({ scope: 'strategy', name: 'manual', state: 'REDUCING' })]));
  }, 60_000);
});
