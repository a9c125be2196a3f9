/**
 * binance-ws (native WebSocket API) against the fake Binance: the conformance suite, plus a timeout on submit and a
 * websocket drop during fills.
 */
import { describe, expect, test } from 'vitest';
import { BinanceWsAdapter } from '../../adapters/binance-ws/binance-ws-adapter.js';
import { adapterSettings } from '../../adapters/common/settings.js';
import { binanceUrls } from '../../adapters/common/urls.js';
import { systemClock } from '../../src/model/clock.js';
import type { VenueOrder } from '../../src/execution/venue.js';
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
    amendFault: (executed) => {
      fake.faults.apply({ add: [{ kind: 'error', path: 'order.cancelReplace', transport: 'ws', afterExecute: executed, times: 1, body: 'json' }] });
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

describe('binance-ws amend', () => {
  const setupBws = async () => {
    const fake = await startFakeBinance();
    const sink = new RecordingSink();
    const ins = sharedInstruments();
    const btc = ins.get('BTC-USDT')!;
    const adapter = makeAdapter(venueConfig('bws-amend', 'binance-ws', 'binance', fake), ins.list, sink);
    await adapter.start();
    const place = async (price: string, postOnly = false) => {
      const o = order({ instrument: btc, price, qty: '0.002', postOnly });
      adapter.submit(batch(o));
      const ack = await until(() => sink.of(o.orderId).find((r) => r.kind === 'ACCEPTED'), 'ACCEPTED');
      return { o, vid: ack.kind === 'ACCEPTED' ? ack.venueOrderId : '' };
    };
    const amend = (o: VenueOrder, vid: string, priceTicks: number, qtyLots: number, filledLots = 0): void => adapter.amend!({
      orderId: o.orderId, clientOrderId: o.clientOrderId, venueOrderId: vid, instrument: btc, side: o.side, type: 'LIMIT',
      timeInForce: 'GTC', postOnly: o.postOnly, oldPriceTicks: o.priceTicks, oldQtyLots: o.qtyLots, priceTicks, qtyLots, filledLots,
      newClientOrderId: `${o.clientOrderId}R0`,
    });
    const close = async () => {
      await adapter.stop();
      await fake.close();
    };
    return { fake, sink, btc, adapter, place, amend, close };
  };

  test('a quantity decrease at the same price is amended in place (keepPriority): same ids, the venue order smaller', async () => {
    const { fake, sink, place, amend, close } = await setupBws();
    try {
      const { o, vid } = await place('50000');
      amend(o, vid, o.priceTicks, 150);
      const r = await until(() => sink.of(o.orderId).find((x) => x.kind === 'AMENDED'), 'AMENDED');
      expect(r).toEqual({ kind: 'AMENDED', orderId: o.orderId, priceTicks: o.priceTicks, qtyLots: 150 });
      expect(fake.order({ clientOrderId: o.clientOrderId })).toMatchObject({ qty: '0.0015', status: 'NEW', orderId: vid });
    } finally {
      await close();
    }
  });

  test('cancel-replace whose replacement is refused (a post-only that would cross): the order is CANCELED, nothing left at the venue', async () => {
    const { fake, sink, btc, place, amend, close } = await setupBws();
    try {
      const { o, vid } = await place('50000', true);
      const crossing = btc.priceToTicks('60100');
      if (!crossing.ok) throw new Error('price');
      amend(o, vid, crossing.value, o.qtyLots);
      await until(() => sink.has(o.orderId, 'CANCELED'), 'CANCELED');
      expect(sink.has(o.orderId, 'AMENDED')).toBe(false);
      expect(fake.orders({ account: 'main' }).filter((x) => x.status === 'NEW' || x.status === 'PARTIALLY_FILLED')).toHaveLength(0);
    } finally {
      await close();
    }
  });

  test('a fill unseen before the cancel-replace: the fill is fetched and the replacement lowered, never beyond the new total', async () => {
    const { fake, sink, btc, place, amend, close } = await setupBws();
    try {
      const { o, vid } = await place('50000');
      fake.faults.apply({ dropReports: true });
      fake.fill({ clientOrderId: o.clientOrderId }, '0.0005'); // 50 lots the adapter does not hear of
      const newPrice = btc.priceToTicks('49999');
      if (!newPrice.ok) throw new Error('price');
      amend(o, vid, newPrice.value, o.qtyLots); // asked as if nothing had filled: the replacement goes out with 200
      const r = await until(() => sink.of(o.orderId).find((x) => x.kind === 'AMENDED'), 'AMENDED');
      fake.faults.apply({ dropReports: false });
      expect(r).toMatchObject({ priceTicks: newPrice.value, qtyLots: o.qtyLots, clientOrderId: `${o.clientOrderId}R0` });
      await until(() => sink.filledLots(o.orderId) === 50, 'the unseen fill, fetched');
      // the replacement is lowered to 150: 50 + 150 = the new total
      await until(() => fake.order({ clientOrderId: `${o.clientOrderId}R0` })?.qty === '0.0015', 'replacement lowered to 0.0015 (150 lots)');
      fake.fill({ clientOrderId: `${o.clientOrderId}R0` });
      await until(() => sink.filledLots(o.orderId) === 200, 'filled to the new total');
      expect(sink.filledLots(o.orderId)).toBe(o.qtyLots);
    } finally {
      await close();
    }
  });
});
