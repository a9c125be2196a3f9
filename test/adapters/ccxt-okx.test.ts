/**
 * The ccxt adapter (real ccxt 4.5.84, REST + ccxt pro) on the fake OKX: the conformance suite, plus scenarios.
 */
import { runConformance } from './conformance.js';
import { faultScenarios, okxBatchScenarios } from './scenarios.js';
import { duplicateScenarios } from './duplicates.js';
import { lateReportScenarios } from './late-report.js';
import { foreignCancelScenarios } from './foreign-cancel.js';
import { RecordingSink, makeAdapter, sharedInstruments, venueConfig } from './helpers.js';
import { type FakeOkx, startFakeOkx } from '../venues/index.js';

runConformance('ccxt okx', async () => {
  const fake: FakeOkx = await startFakeOkx();
  const sink = new RecordingSink();
  const ins = sharedInstruments();
  const adapter = makeAdapter(venueConfig('ccxt-okx', 'ccxt', 'okx', fake), ins.list, sink);
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
    venueTradeIds: (o) => (fake.order({ clientOrderId: o.clientOrderId })?.fills ?? []).map((f) => `BTC-USDT:${f.tradeId}`),
    duplicateReports: () => {
      fake.faults.apply({ duplicateReports: 6 });
    },
    close: async () => {
      await adapter.stop();
      await fake.close();
    },
  };
});

faultScenarios({ label: 'ccxt-okx', adapter: 'ccxt', exchange: 'okx' });
duplicateScenarios({ label: 'ccxt-okx', adapter: 'ccxt', exchange: 'okx' });
lateReportScenarios({ label: 'ccxt-okx', adapter: 'ccxt', exchange: 'okx' });
foreignCancelScenarios({ label: 'ccxt-okx', adapter: 'ccxt', exchange: 'okx' });
okxBatchScenarios({ label: 'ccxt-okx', adapter: 'ccxt', exchange: 'okx' });
