/**
 * okx-ws (native private websocket) against the fake OKX: the conformance suite, plus OKX-specific behaviour.
 */
import { runConformance } from './conformance.js';
import { faultScenarios, okxBatchScenarios } from './scenarios.js';
import { duplicateScenarios } from './duplicates.js';
import { lateReportScenarios } from './late-report.js';
import { foreignCancelScenarios } from './foreign-cancel.js';
import { RecordingSink, makeAdapter, sharedInstruments, venueConfig } from './helpers.js';
import { type FakeOkx, startFakeOkx } from '../venues/index.js';

runConformance('okx-ws', async () => {
  const fake: FakeOkx = await startFakeOkx();
  const sink = new RecordingSink();
  const ins = sharedInstruments();
  const adapter = makeAdapter(venueConfig('okx-ws', 'okx-ws', 'okx', fake), ins.list, sink);
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
    amendFault: (executed) => {
      fake.faults.apply({ add: [{ kind: 'error', path: 'amend-order', transport: 'ws', afterExecute: executed, times: 1, body: 'json' }] });
    },
    close: async () => {
      await adapter.stop();
      await fake.close();
    },
  };
});

faultScenarios({ label: 'okx-ws', adapter: 'okx-ws', exchange: 'okx' });
duplicateScenarios({ label: 'okx-ws', adapter: 'okx-ws', exchange: 'okx' });
lateReportScenarios({ label: 'okx-ws', adapter: 'okx-ws', exchange: 'okx' });
foreignCancelScenarios({ label: 'okx-ws', adapter: 'okx-ws', exchange: 'okx' });
okxBatchScenarios({ label: 'okx-ws', adapter: 'okx-ws', exchange: 'okx' });
