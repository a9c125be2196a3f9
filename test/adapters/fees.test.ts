/**
 * Fees, one definition: on every exchange adapter (ccxt-binance, ccxt-okx, binance-ws, okx-ws), against fakes that
 * charge non-zero maker and taker fees as the venues do (Binance: positive commission in the asset received; OKX:
 * negative = charged, feeCcy = the asset received), every path reports the same trade with the same fee (amount in
 * its own currency, currency, sign positive = paid) and the venue's own trade time:
 *  - the answer / stream path (taker fill at placement, maker fill pushed by the stream),
 *  - fillsSince (REST),
 *  - the REST reconciliation while the stream is silent.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { decimalText } from '../../src/model/decimal.js';
import { binanceFee, ccxtTradeFee, okxFee } from '../../adapters/common/fees.js';
import { tradeEvent } from '../../adapters/ccxt/parse.js';
import { executionReport, myTrade } from '../../adapters/binance-ws/parse.js';
import { pushTrade, restFill } from '../../adapters/okx-ws/parse.js';
import { sharedInstruments } from './helpers.js';
import type { ExecutionReport, VenueFill } from '../../src/execution/venue.js';
import { batch, order, until } from './helpers.js';
import { type Fake, type Rig, type Target, rig } from './scenarios.js';

const FEES = { maker: '0.0002', taker: '0.001' };

type FillReport = Extract<ExecutionReport, { kind: 'FILL' }>;

interface Expected {
  tradeId: string;
  fee: string;
  feeCurrency: string;
  ts: number;
}

/** The venue's own record of an order's trades, as a fill should report them (positive = paid). */
function venueTruth(t: Target, fake: Fake, clientOrderId: string): Expected[] {
  const prefix = t.exchange === 'binance' ? 'BTCUSDT' : 'BTC-USDT';
  return (fake.order({ clientOrderId })?.fills ?? []).map((f) => ({
    tradeId: `${prefix}:${f.tradeId}`,
    fee: decimalText(f.fee)!,
    feeCurrency: f.feeAsset,
    ts: f.time,
  }));
}

const asReported = (f: FillReport): Expected => ({ tradeId: f.tradeId, fee: f.fee, feeCurrency: f.feeCurrency, ts: f.venueTs });
const asFetched = (f: VenueFill): Expected => ({ tradeId: f.tradeId, fee: f.fee, feeCurrency: f.feeCurrency, ts: f.ts });
const byId = (a: Expected, b: Expected): number => (a.tradeId < b.tradeId ? -1 : 1);

describe('one fee rule per venue, whatever the path', () => {
  const btc = sharedInstruments().get('BTC-USDT')!;

  test('OKX: negative = charged becomes positive = paid on REST fills, orders pushes, and both ccxt paths', () => {
    const fill = { instId: 'BTC-USDT', tradeId: '7', ordId: '1', clOrdId: 'c', fillPx: '60000', fillSz: '0.001', execType: 'T', ts: '1700000000000', fillTime: '1700000000000' };
    const rest = restFill({ ...fill, fee: '-0.000001', feeCcy: 'BTC' }, btc);
    const push = pushTrade({ ...fill, fillFee: '-0.000001', fillFeeCcy: 'BTC', fee: '-0.000003', feeCcy: 'BTC' }, btc);
    // ccxt: its REST parser negates (cost +1e-6), its pro parser passes fillFee through (cost -1e-6): both read from info
    const ccxtRest = tradeEvent({ id: '7', price: 60000, amount: 0.001, timestamp: 1_700_000_000_000, fee: { cost: 0.000001, currency: 'BTC' }, info: { ...fill, fee: '-0.000001', feeCcy: 'BTC' } }, btc, 'BTC-USDT', 'c', 'okx');
    const ccxtPro = tradeEvent({ id: '7', price: 60000, amount: 0.001, timestamp: 1_700_000_000_000, fee: { cost: -0.000001, currency: 'BTC' }, info: { ...fill, fillFee: '-0.000001', fillFeeCcy: 'BTC' } }, btc, 'BTC-USDT', 'c', 'okx');
    for (const tr of [rest, push!, ccxtRest, ccxtPro]) {
      expect(tr.fee).toEqual({ amount: '0.000001', currency: 'BTC' });
      expect(tr.ts).toBe(1_700_000_000_000);
    }
    expect(okxFee('0.0002', 'USDT', btc)).toEqual({ amount: '-0.0002', currency: 'USDT' }); // a rebate
  });

  test('Binance: commission as charged on myTrades, executionReport and both ccxt paths; a zero commission without asset is zero', () => {
    const mt = myTrade({ id: 9, orderId: 1, price: '60000.00', qty: '0.00100', commission: '0.00000100', commissionAsset: 'BTC', isMaker: false, time: 1_700_000_000_000 }, btc, 'BTCUSDT');
    const er = executionReport({ e: 'executionReport', x: 'TRADE', s: 'BTCUSDT', c: 'c', i: 1, t: 9, L: '60000.00', l: '0.00100', z: '0.00100', X: 'FILLED', n: '0.00000100', N: 'BTC', m: false, T: 1_700_000_000_000, E: 1_700_000_000_001 }, btc).trade!;
    const ccxtRest = tradeEvent({ id: '9', price: 60000, amount: 0.001, timestamp: 1_700_000_000_000, fee: { cost: 0.000001, currency: 'BTC' }, info: { commission: '0.00000100', commissionAsset: 'BTC' } }, btc, 'BTCUSDT', 'c', 'binance');
    const ccxtPro = tradeEvent({ id: '9', price: 60000, amount: 0.001, timestamp: 1_700_000_000_000, fee: { cost: 0.000001, currency: 'BTC' }, info: { n: '0.00000100', N: 'BTC' } }, btc, 'BTCUSDT', 'c', 'binance');
    for (const tr of [mt, er, ccxtRest, ccxtPro]) {
      expect(tr.fee).toEqual({ amount: '0.000001', currency: 'BTC' });
      expect(tr.ts).toBe(1_700_000_000_000);
    }
    expect(binanceFee('0', null, btc)).toEqual({ amount: '0', currency: 'USDT' });
    expect(binanceFee(undefined, undefined, btc)).toBeUndefined();
    expect(ccxtTradeFee('kraken', { fee: { cost: 0.5, currency: 'USD' } }, btc)).toEqual({ amount: '0.5', currency: 'USD' });
  });
});

const targets: Target[] = [
  { label: 'ccxt-binance', adapter: 'ccxt', exchange: 'binance' },
  { label: 'ccxt-okx', adapter: 'ccxt', exchange: 'okx' },
  { label: 'binance-ws', adapter: 'binance-ws', exchange: 'binance' },
  { label: 'okx-ws', adapter: 'okx-ws', exchange: 'okx' },
];

for (const t of targets) {
  describe(`${t.label}: fees as the venue charged them`, () => {
    let r: Rig | undefined;
    afterEach(async () => {
      await r?.adapter.stop();
      await r?.fake.close();
      r = undefined;
    });

    test('taker buy (fee in base) and maker sell (fee in quote): same fee, currency, sign and venue time on the report path and in fillsSince', async () => {
      r = await rig(t, {}, { fees: FEES });
      const { fake, sink, adapter, btc } = r;
      const started = Date.now();
      const taker = order({ instrument: btc, side: 'BUY', price: '60100', qty: '0.002' });
      const maker = order({ instrument: btc, side: 'SELL', price: '61000', qty: '0.003' });
      adapter.submit(batch(taker, maker));
      await until(() => sink.filledLots(taker.orderId) === taker.qtyLots && sink.has(maker.orderId, 'ACCEPTED'), 'the taker fills and the maker accepted');
      fake.fill({ clientOrderId: maker.clientOrderId }, '0.001');
      fake.fill({ clientOrderId: maker.clientOrderId });
      await until(() => sink.filledLots(maker.orderId) === maker.qtyLots, 'the maker fills');

      const takerTruth = venueTruth(t, fake, taker.clientOrderId);
      const makerTruth = venueTruth(t, fake, maker.clientOrderId);
      // The fakes charge what the venue would: taker buy 0.1 % of the BTC received, maker sell 0.02 % of the USDT.
      expect(takerTruth.length).toBeGreaterThan(0);
      for (const f of takerTruth) {
        expect(f.feeCurrency).toBe('BTC');
        expect(Number(f.fee)).toBeGreaterThan(0);
      }
      expect(makerTruth.map((f) => [f.fee, f.feeCurrency])).toEqual([['0.0122', 'USDT'], ['0.0244', 'USDT']]);

      // report path (answer and stream)
      expect(sink.fills(taker.orderId).map(asReported).sort(byId)).toEqual([...takerTruth].sort(byId));
      expect(sink.fills(maker.orderId).map(asReported).sort(byId)).toEqual([...makerTruth].sort(byId));
      for (const f of [...sink.fills(taker.orderId), ...sink.fills(maker.orderId)]) expect(f.feeEstimated).toBeUndefined();

      // REST fillsSince
      const fetched = await adapter.fillsSince!(started - 60_000, [btc]);
      const of = (cid: string): Expected[] => fetched.filter((f) => f.clientOrderId === cid).map(asFetched).sort(byId);
      expect(of(taker.clientOrderId)).toEqual([...takerTruth].sort(byId));
      expect(of(maker.clientOrderId)).toEqual([...makerTruth].sort(byId));
      for (const f of fetched) expect(f.feeEstimated).toBeUndefined();
    });

    test('the stream silent: fills found by the REST reconciliation carry the same fee (maker buy: fee in base)', async () => {
      r = await rig(t, { reconcileIntervalMs: 300 }, { fees: FEES });
      const { fake, sink, adapter, btc } = r;
      const a = order({ instrument: btc, side: 'BUY', price: '50000', qty: '0.004' });
      const b = order({ instrument: btc, side: 'SELL', price: '61000', qty: '0.002' });
      adapter.submit(batch(a, b));
      await until(() => sink.has(a.orderId, 'ACCEPTED') && sink.has(b.orderId, 'ACCEPTED'), 'ACCEPTED');
      fake.faults.apply({ dropReports: true });
      fake.fill({ clientOrderId: a.clientOrderId }, '0.001');
      fake.fill({ clientOrderId: a.clientOrderId });
      fake.fill({ clientOrderId: b.clientOrderId });
      await until(() => sink.filledLots(a.orderId) === a.qtyLots && sink.filledLots(b.orderId) === b.qtyLots, 'fills by reconciliation');
      expect(adapter.stats().reconciliations).toBeGreaterThan(0);
      const aTruth = venueTruth(t, fake, a.clientOrderId);
      expect(aTruth.map((f) => [f.fee, f.feeCurrency])).toEqual([['0.0000002', 'BTC'], ['0.0000006', 'BTC']]);
      expect(sink.fills(a.orderId).map(asReported).sort(byId)).toEqual([...aTruth].sort(byId));
      expect(sink.fills(b.orderId).map(asReported).sort(byId)).toEqual([...venueTruth(t, fake, b.clientOrderId)].sort(byId));
    });
  });
}
