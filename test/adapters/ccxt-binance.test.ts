/**
 * The ccxt adapter (real ccxt 4.5.84, REST + ccxt pro) on the fake Binance: the conformance suite, plus scenarios.
 */
import { describe, expect, test } from 'vitest';
import { runConformance } from './conformance.js';
import { faultScenarios, rig, streamDownPollingScenario } from './scenarios.js';
import { duplicateScenarios } from './duplicates.js';
import { lateReportScenarios } from './late-report.js';
import { foreignCancelScenarios } from './foreign-cancel.js';
import { RecordingSink, batch, makeAdapter, order, sharedInstruments, until, venueConfig } from './helpers.js';
import { type FakeBinance, startFakeBinance } from '../venues/index.js';

runConformance('ccxt binance', async () => {
  const fake: FakeBinance = await startFakeBinance();
  const sink = new RecordingSink();
  const ins = sharedInstruments();
  const adapter = makeAdapter(venueConfig('ccxt-binance', 'ccxt', 'binance', fake), ins.list, sink);
  await adapter.start();
  return {
    adapter,
    sink,
    instrument: ins.get('BTC-USDT')!,
    restingBuyPrice: '50000',
    marketableBuyPrice: '60100',
    qty: '0.002',
    partQty: '0.0005',
    fill: async (o, qty) => {
      fake.fill({ clientOrderId: o.clientOrderId }, qty);
    },
    venueTradeIds: (o) => (fake.order({ clientOrderId: o.clientOrderId })?.fills ?? []).map((f) => `BTCUSDT:${f.tradeId}`),
    duplicateReports: () => {
      fake.faults.apply({ duplicateReports: 6 });
    },
    amendFault: (executed) => {
      fake.faults.apply({ add: [{ kind: 'error', path: '/api/v3/order/cancelReplace', transport: 'rest', afterExecute: executed, times: 1, body: 'json' }] });
    },
    close: async () => {
      await adapter.stop();
      await fake.close();
    },
  };
});

faultScenarios({ label: 'ccxt-binance', adapter: 'ccxt', exchange: 'binance' });
duplicateScenarios({ label: 'ccxt-binance', adapter: 'ccxt', exchange: 'binance' });
lateReportScenarios({ label: 'ccxt-binance', adapter: 'ccxt', exchange: 'binance' });
foreignCancelScenarios({ label: 'ccxt-binance', adapter: 'ccxt', exchange: 'binance' });
streamDownPollingScenario({ label: 'ccxt-binance', adapter: 'ccxt', exchange: 'binance' });

describe('ccxt-binance: a ban (418)', () => {
  test('418 + Retry-After: REJECTED VENUE_BANNED, venue DOWN, nothing sent until the ban ends, then UP again', async () => {
    const r = await rig({ label: 'ban', adapter: 'ccxt', exchange: 'binance' }, { circuitBreaker: { failureThreshold: 3, openMs: 100, maxOpenMs: 400 } });
    const { fake, sink, adapter, btc } = r;
    try {
      fake.faults.add({ kind: 'ban', method: 'POST', path: '/api/v3/order', retryAfter: 1, times: 1 });
      const first = order({ instrument: btc, price: '50000', qty: '0.001' });
      const bannedAt = Date.now();
      adapter.submit(batch(first));
      await until(() => sink.has(first.orderId, 'REJECTED'), 'REJECTED');
      const rej = sink.of(first.orderId)[0];
      expect(rej?.kind === 'REJECTED' && rej.reason.startsWith('VENUE_BANNED')).toBe(true);
      expect(sink.health_.map((h) => h.health)).toEqual(['DOWN']);
      // counts every request the fake receives from now on
      fake.faults.add({ kind: 'delay', ms: 0, times: 1000 });
      const during = order({ instrument: btc, price: '50000', qty: '0.001' });
      adapter.submit(batch(during));
      await until(() => sink.has(during.orderId, 'REJECTED'), 'REJECTED during the ban');
      expect(fake.faults.state().rules[0]!.remaining).toBe(1000); // refused without a request to the venue
      await until(() => sink.health_.at(-1)?.health === 'UP', 'UP after the ban', 10_000);
      const firstRequestAfter = fake.faults.state().rules[0]!.remaining;
      expect(Date.now() - bannedAt).toBeGreaterThanOrEqual(1000);
      expect(firstRequestAfter).toBeLessThan(1000); // the probe went out, after the ban
      expect(adapter.stats().limiter.bans).toBe(1);
      const after = order({ instrument: btc, price: '50000', qty: '0.001' });
      adapter.submit(batch(after));
      await until(() => sink.has(after.orderId, 'ACCEPTED'), 'ACCEPTED after the ban');
      expect(fake.orders({ account: 'main' }).map((o) => o.clientOrderId)).toEqual([after.clientOrderId]);
    } finally {
      await adapter.stop();
      await fake.close();
    }
  });
});
