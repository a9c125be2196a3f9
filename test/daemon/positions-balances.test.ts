/**
 * Positions and balances in the composed daemon (in process, config/paper.yaml): a fill moves the position of its
 * strategy at its venue and the paper venue's configured balances, both views are what the API gets
 * (apiFromConfig), and a restart on the same data directory — from the journal's records, or from a snapshot — keeps
 * every position and so every paper balance.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDaemon, type Daemon } from '../../src/daemon.js';
import { addDecimal, mulDecimal, negDecimal } from '../../src/model/decimal.js';
import type { PositionRow } from '../../src/risk/position-ledger.js';
import { discardLogs, TEST_TOKEN } from '../helpers/daemon.js';
import { ApiClient } from '../helpers/http.js';
import { pollUntil } from '../helpers/poll.js';
import { configFromText, paperConfigText } from '../helpers/repo.js';

describe('positions and balances in the daemon', () => {
  let dir: string;
  const running: Daemon[] = [];

  afterEach(async () => {
    for (const d of running.splice(0)) await d.stop('test finished').catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(): Promise<{ d: Daemon; api: ApiClient }> {
    const text = paperConfigText([
      [['daemon', 'api', 'host'], '127.0.0.1'],
      [['daemon', 'api', 'port'], 0],
      [['daemon', 'dataDir'], dir],
      [['daemon', 'api', 'tokenFile'], join(dir, 'api-token')],
    ], { workers: false });
    const d = createDaemon(configFromText(text), { env: { SWITCHYARD_API_TOKEN: TEST_TOKEN }, logDestination: discardLogs(), baseDir: dir });
    running.push(d);
    const { port } = await d.start();
    return { d, api: new ApiClient(`http://127.0.0.1:${port}`, TEST_TOKEN) };
  }

  const exact = (rows: readonly PositionRow[]) => rows.map((r) => [r.strategy, r.symbol, r.venue, r.quantity, r.averageCost, r.realisedPnl, r.fees, r.fills]);

  for (const snapshot of [false, true]) {
    it(`fills move positions and paper balances; a restart${snapshot ? ' from a snapshot' : ''} keeps them`, async () => {
      dir = mkdtempSync(join(tmpdir(), 'switchyard-positions-'));
      let { d, api } = await start();
      // the configured balances, before any trade
      expect(d.path.balances.list().filter((r) => r.venue === 'sim-b').map((r) => [r.currency, r.total, r.free])).toEqual([
        ['BTC', '10', '10'], ['ETH', '250', '250'], ['USDT', '1000000', '1000000'],
      ]);
      const buy = await api.post('/v1/orders', { strategy: 'manual', symbol: 'BTC-USDT', side: 'BUY', type: 'MARKET', quantity: '0.01', venue: 'sim-b' });
      const sell = await api.post('/v1/orders', { strategy: 'momentum', symbol: 'ETH-USDT', side: 'SELL', type: 'MARKET', quantity: '0.2', venue: 'sim-b' });
      expect([buy.status, sell.status]).toEqual([201, 201]);
      const filledBuy = await api.waitForState(buy.body.orderId, 'FILLED');
      await api.waitForState(sell.body.orderId, 'FILLED');
      const rows = d.path.positions.list({ venue: 'sim-b' });
      expect(rows.map((r) => [r.strategy, r.symbol, r.quantity])).toEqual([['manual', 'BTC-USDT', '0.01'], ['momentum', 'ETH-USDT', '-0.2']]);
      expect(rows[0]!.averageCost).toBe(String(filledBuy.avgPrice).replace(/\.?0+$/, ''));
      // sim-b's balances moved by exactly what the fills say: + 0.01 BTC, - 0.2 ETH, - notional - fee + notional - fee USDT
      const bal = Object.fromEntries(d.path.balances.list().filter((r) => r.venue === 'sim-b').map((r) => [r.currency, r.total]));
      expect(bal['BTC']).toBe('10.01');
      expect(bal['ETH']).toBe('249.8');
      const cash = (id: number, sign: '1' | '-1'): string => {
        const o = d.path.tracker.get(id)!;
        const ins = d.instruments.at(o.symbolIndex);
        const fee = /USDT:([0-9.]+)/.exec(d.path.tracker.store.feeTexts[o.slot] ?? '')?.[1] ?? '0';
        return addDecimal(mulDecimal(sign, ins.notional.toText(o.filledNotional)), negDecimal(fee));
      };
      expect(bal['USDT']).toBe(addDecimal('1000000', addDecimal(cash(buy.body.orderId, '-1'), cash(sell.body.orderId, '1'))));
      if (snapshot) {
        const internals = (d as unknown as { recovery_: { snapshots: { lastSnapshotSeq: number; maybeSnapshot(): void } } }).recovery_.snapshots;
        internals.lastSnapshotSeq = -1e9;
        internals.maybeSnapshot();
        await pollUntil(() => readdirSync(join(dir, 'journal')).some((f) => f.endsWith('.snap')), (x) => x, { what: 'a snapshot' });
      }
      const before = { rows: exact(d.path.positions.list()), balances: d.path.balances.list().map((r) => [r.venue, r.currency, r.total]) };
      expect(before.rows.length).toBeGreaterThanOrEqual(2);
      await d.stop('restart');
      running.splice(running.indexOf(d), 1);

      ({ d, api } = await start());
      const replayed = d.recovery?.replay;
      expect(replayed?.snapshotSeq !== null && replayed?.snapshotSeq !== undefined).toBe(snapshot);
      expect(exact(d.path.positions.list())).toEqual(before.rows);
      expect(d.path.balances.list().map((r) => [r.venue, r.currency, r.total])).toEqual(before.balances);
    });
  }
});
