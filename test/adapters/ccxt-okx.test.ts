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

/** The ccxt adapter on a fresh fake OKX, started; `editOrder: false` as if ccxt had no editOrder for the venue. */
async function okxRig(name: string, editOrder: boolean) {
  const fake: FakeOkx = await startFakeOkx();
  const sink = new RecordingSink();
  const ins = sharedInstruments();
  const adapter = makeAdapter(venueConfig(name, 'ccxt', 'okx', fake), ins.list, sink);
  await adapter.start();
  if (!editOrder) (adapter as unknown as { exchange: { has: Record<string, unknown> } }).exchange.has['editOrder'] = false;
  return {
    fake,
    common: {
      adapter,
      sink,
      instrument: ins.get('BTC-USDT')!,
      restingBuyPrice: '50000',
      marketableBuyPrice: '60100',
      qty: '0.002',
      partQty: '0.0005',
      fill: async (o: { clientOrderId: string }, qty: string) => {
        fake.fill({ clientOrderId: o.clientOrderId }, qty);
      },
      close: async () => {
        await adapter.stop();
        await fake.close();
      },
    },
  };
}

runConformance('ccxt okx', async () => {
  const { fake, common } = await okxRig('ccxt-okx', true);
  return {
    ...common,
    venueTradeIds: (o) => (fake.order({ clientOrderId: o.clientOrderId })?.fills ?? []).map((f) => `BTC-USDT:${f.tradeId}`),
    duplicateReports: () => {
      fake.faults.apply({ duplicateReports: 6 });
    },
    amendFault: (executed) => {
      fake.faults.apply({ add: [{ kind: 'error', path: '/api/v5/trade/amend-order', transport: 'rest', afterExecute: executed, times: 1, body: 'json' }] });
    },
  };
});

// The same venue as if ccxt had no editOrder for it: amends fall back to cancel (confirmed) then a new order.
runConformance('ccxt okx without editOrder (amend = cancel, then a new order)', async () => {
  const { fake, common } = await okxRig('ccxt-okx-noedit', false);
  return {
    ...common,
    amendFault: (executed) => {
      // the replacement's placement answered 5xx (placed or not): looked up by its client order id
      fake.faults.apply({ add: [{ kind: 'error', path: '/api/v5/trade/order', method: 'POST', transport: 'rest', afterExecute: executed, times: 1, body: 'json' }] });
    },
    amendFaultUnplaced: 'CANCELED',
  };
});

faultScenarios({ label: 'ccxt-okx', adapter: 'ccxt', exchange: 'okx' });
duplicateScenarios({ label: 'ccxt-okx', adapter: 'ccxt', exchange: 'okx' });
lateReportScenarios({ label: 'ccxt-okx', adapter: 'ccxt', exchange: 'okx' });
foreignCancelScenarios({ label: 'ccxt-okx', adapter: 'ccxt', exchange: 'okx' });
okxBatchScenarios({ label: 'ccxt-okx', adapter: 'ccxt', exchange: 'okx' });
