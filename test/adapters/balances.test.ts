/**
 * Balances read from the venues (VenueAdapter.balances) by every exchange adapter against the local fakes, and the
 * daemon's balance reconciliation on them: the reading is the venue's (free and locked), our fills move the expected
 * balance exactly as the venue moved it (fee in the asset received), and a change behind the daemon's back (a
 * deposit) shows as a difference, after which the venue's word is the base.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { registerBalanceMetrics } from '../../src/compose/balance-metrics.js';
import { OrderStore } from '../../src/core/order-store.js';
import type { VenueAdapter } from '../../src/execution/venue.js';
import { ManualClock } from '../../src/model/clock.js';
import { PositionLedger } from '../../src/risk/position-ledger.js';
import { VenueBalances } from '../../src/risk/venue-balances.js';
import { type FakeBinance, type FakeOkx, startFakeBinance, startFakeOkx } from '../venues/index.js';
import { RecordingSink, batch, makeAdapter, order, sharedInstruments, until, venueConfig, type ExchangeAdapterKind } from './helpers.js';

const cases: Array<{ label: string; adapter: ExchangeAdapterKind; exchange: 'binance' | 'okx' }> = [
  { label: 'binance-ws', adapter: 'binance-ws', exchange: 'binance' },
  { label: 'ccxt binance', adapter: 'ccxt', exchange: 'binance' },
  { label: 'okx-ws', adapter: 'okx-ws', exchange: 'okx' },
  { label: 'ccxt okx', adapter: 'ccxt', exchange: 'okx' },
];

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

/** The fake's own record of the account: free and free + locked, as decimal texts without trailing zeros. */
function venueSays(fake: FakeBinance | FakeOkx, asset: string): { free: string; total: string } {
  const b = fake.balances()[asset]!;
  const trim = (s: string) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  const [fi, ff = ''] = b.free.split('.');
  const [li, lf = ''] = b.locked.split('.');
  const scale = Math.max(ff.length, lf.length);
  const total = BigInt(fi! + ff.padEnd(scale, '0')) + BigInt(li! + lf.padEnd(scale, '0'));
  const t = total.toString().padStart(scale + 1, '0');
  return { free: trim(b.free), total: trim(scale === 0 ? t : `${t.slice(0, -scale)}.${t.slice(-scale)}`) };
}

for (const c of cases) {
  describe(`venue balances: ${c.label}`, () => {
    it('reads free and total, follows our fills exactly (fees included), and reports a deposit behind our back', async () => {
      const fees = { maker: '0.001', taker: '0.001' };
      const fake = c.exchange === 'binance' ? await startFakeBinance({ fees }) : await startFakeOkx({ fees });
      const sink = new RecordingSink();
      const ins = sharedInstruments();
      const adapter: VenueAdapter = makeAdapter(venueConfig(`bal-${c.exchange}`, c.adapter, c.exchange, fake), ins.list, sink);
      closers.push(async () => {
        await adapter.stop();
        await fake.close();
      });
      await adapter.start();
      const name = adapter.name;

      // the adapter's reading is the venue's record
      const read = await adapter.balances!();
      for (const asset of ['USDT', 'BTC']) expect(read.get(asset)).toEqual(venueSays(fake, asset));

      // the daemon's view: positions move the expected balances, reconciliation compares
      const store = new OrderStore(ins, ['alpha'], [name], 'tst');
      const positions = new PositionLedger(store, ['alpha'], () => 0);
      const clock = new ManualClock(1_000);
      const warnings: object[] = [];
      const balances = new VenueBalances(store, positions, [{ name, source: () => adapter.balances!() }], clock, { warn: (o) => warnings.push(o) });
      await balances.reconcile(0);
      const row = (cur: string) => balances.list().find((r) => r.currency === cur);
      expect(row('USDT')).toMatchObject({ venue: name, total: venueSays(fake, 'USDT').total, source: 'venue', lastReconciledAt: 1_000, difference: null });

      // a marketable buy fills at the venue (fee 0.1 % of the BTC received, in BTC)
      const btc = ins.get('BTC-USDT')!;
      const o = order({ instrument: btc, side: 'BUY', price: '60100', qty: '0.002', timeInForce: 'IOC' });
      adapter.submit(batch(o));
      await until(() => sink.filledLots(o.orderId) === o.qtyLots, 'the buy filled');
      for (const f of sink.fills(o.orderId)) positions.apply(0, btc.index, name, 1, f.priceTicks, f.qtyLots, f.fee, f.feeCurrency);
      expect(sink.fills(o.orderId).every((f) => f.feeCurrency === 'BTC' && f.fee !== '0')).toBe(true);
      // expected (our fills) = the venue's, before any new reading
      expect(row('BTC')!.total).toBe(venueSays(fake, 'BTC').total);
      expect(row('USDT')!.total).toBe(venueSays(fake, 'USDT').total);
      clock.advance(1_000);
      await balances.reconcile(0);
      expect(warnings).toEqual([]);
      expect(row('BTC')).toMatchObject({ difference: '0', lastReconciledAt: 2_000 });
      expect(row('USDT')).toMatchObject({ difference: '0' });

      // someone deposits 5 USDT: a difference, logged and shown; then the venue's word is the base
      fake.transfer('USDT', '5');
      clock.advance(1_000);
      await balances.reconcile(0);
      expect(row('USDT')).toMatchObject({ difference: '5', total: venueSays(fake, 'USDT').total, lastReconciledAt: 3_000 });
      expect(row('BTC')!.difference).toBe('0');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ venue: name, currency: 'USDT', difference: '5' });
      expect(balances.status()[0]).toMatchObject({ tracked: true, differences: 1, lastError: null });
      const registry = new Registry();
      registerBalanceMetrics(registry, balances);
      expect(await registry.getSingleMetricAsString('switchyard_balance_difference')).toContain(`{venue="${name}",currency="USDT"} 5`);
      expect(await registry.getSingleMetricAsString('switchyard_balance_differences_total')).toContain(`{venue="${name}"} 1`);
      await balances.reconcile(0);
      expect(row('USDT')!.difference).toBe('0');
    });
  });
}

describe('venue balances: a venue that is down', () => {
  it('a failed reading is kept as the error and retried on the next tick; nothing else waits for it', async () => {
    const fake = await startFakeBinance();
    const ins = sharedInstruments();
    const adapter = makeAdapter(venueConfig('bal-down', 'binance-ws', 'binance', fake), ins.list, new RecordingSink());
    closers.push(async () => {
      await adapter.stop();
      await fake.close();
    });
    await adapter.start();
    const store = new OrderStore(ins, ['alpha'], ['bal-down'], 'tst');
    const positions = new PositionLedger(store, ['alpha'], () => 0);
    let fail = true;
    const balances = new VenueBalances(store, positions, [{
      name: 'bal-down',
      source: () => (fail ? Promise.reject(new Error('connect ECONNREFUSED')) : adapter.balances!()),
    }], new ManualClock(), { warn: () => {} });
    await balances.reconcile(0);
    expect(balances.status()[0]).toMatchObject({ tracked: false, lastError: 'connect ECONNREFUSED' });
    expect(balances.list()).toEqual([]);
    fail = false;
    await balances.start(20);
    closers.push(async () => balances.stop());
    expect(balances.status()[0]).toMatchObject({ tracked: true, lastError: null });
    expect(balances.list().find((r) => r.currency === 'BTC')!.total).toBe('10');
  });
});
