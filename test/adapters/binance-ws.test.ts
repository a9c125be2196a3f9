/**
 * binance-ws (native WebSocket API) against the fake Binance: the conformance suite, plus a timeout on submit and a
 * websocket drop during fills.
 */
import { describe, expect, test } from 'vitest';
import { BinanceWsAdapter } from '../../adapters/binance-ws/binance-ws-adapter.js';
import { adapterSettings } from '../../adapters/common/settings.js';
import { binanceUrls } from '../../adapters/common/urls.js';
import { systemClock } from '../../src/model/clock.js';
import { runConformance } from './conformance.js';
import { faultScenarios, streamDownPollingScenario } from './scenarios.js';
import { duplicateScenarios } from './duplicates.js';
import { lateReportScenarios } from './late-report.js';
import { foreignCancelScenarios } from './foreign-cancel.js';
import { RecordingSink, batch, log, makeAdapter, order, sharedInstruments, until, venueConfig } from './helpers.js';
import { type FakeBinance, startFakeBinance } from '../venues/index.js';

runConformance('binance-ws', async () => {
  const fake: FakeBinance = await startFakeBinance();
  const sink = new RecordingSink();
  const ins = sharedInstruments();
  const adapter = makeAdapter(venueConfig('bin-ws', 'binance-ws', 'binance', fake), ins.list, sink);
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
    close: async () => {
      await adapter.stop();
      await fake.close();
    },
  };
});

faultScenarios({ label: 'binance-ws', adapter: 'binance-ws', exchange: 'binance' });
duplicateScenarios({ label: 'binance-ws', adapter: 'binance-ws', exchange: 'binance' });
lateReportScenarios({ label: 'binance-ws', adapter: 'binance-ws', exchange: 'binance' });
foreignCancelScenarios({ label: 'binance-ws', adapter: 'binance-ws', exchange: 'binance' });
streamDownPollingScenario({ label: 'binance-ws', adapter: 'binance-ws', exchange: 'binance' });

describe('binance-ws: no session at start', () => {
  test('start() resolves with the venue DOWN while the WebSocket API refuses the session; UP once it is established', async () => {
    const fake = await startFakeBinance();
    fake.faults.add({ kind: 'error', status: 503, path: 'userDataStream.subscribe', transport: 'ws' });
    const sink = new RecordingSink();
    const ins = sharedInstruments();
    const btc = ins.get('BTC-USDT')!;
    const adapter = new BinanceWsAdapter({
      name: 'bws',
      instruments: ins.list,
      sink,
      log,
      clock: systemClock,
      fees: { makerBps: '0', takerBps: '0' },
      settings: adapterSettings({
        streamStartTimeoutMs: 300,
        requestTimeoutMs: 1000,
        reconnect: { minMs: 50, maxMs: 200 },
        circuitBreaker: { failureThreshold: 3, openMs: 200, maxOpenMs: 400 },
      }),
      credentials: fake.credentials,
      urls: binanceUrls(true, { rest: fake.origin, ws: fake.wsOrigin }),
      rateLimits: {},
    });
    try {
      await adapter.start();
      expect(sink.health_.map((h) => h.health)).toEqual(['DOWN']);
      const refused = order({ instrument: btc, price: '50000', qty: '0.001' });
      adapter.submit(batch(refused));
      await until(() => sink.has(refused.orderId, 'REJECTED'), 'REJECTED while down');
      const r = sink.of(refused.orderId)[0];
      expect(r?.kind === 'REJECTED' && r.reason.startsWith('VENUE_UNAVAILABLE')).toBe(true);
      expect(fake.orders({ account: 'main' })).toHaveLength(0);
      fake.faults.clear();
      await until(() => sink.health_.at(-1)?.health === 'UP', 'UP', 10_000);
      const o = order({ instrument: btc, price: '50000', qty: '0.001' });
      adapter.submit(batch(o));
      await until(() => sink.has(o.orderId, 'ACCEPTED'), 'ACCEPTED once up');
    } finally {
      await adapter.stop();
      await fake.close();
    }
  });
});
