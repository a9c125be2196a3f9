/**
 * Positions and balances through the daemon's own order path (buildOrderPath with market data, test/parents/rig.ts):
 * a sweep's children counted once each, at their own venues (never again at the parent's `smart`); a paper venue's
 * configured balances moved by its fills and locked by its open orders; and the route planner never sending a child
 * to a venue without the balance for it (buy: quote for the notional; sell: the base), for sweeps and `best`.
 */
import { describe, expect, it } from 'vitest';
import { OrderStore } from '../../src/core/order-store.js';
import { ManualClock } from '../../src/model/clock.js';
import { PositionLedger } from '../../src/risk/position-ledger.js';
import { VenueBalances, type VenueBalanceReading } from '../../src/risk/venue-balances.js';
import { testInstruments } from '../helpers/model.js';
import { setup } from '../parents/rig.js';

describe('positions of sweep children', () => {
  it('each child fill counts once, at its venue; the parent at smart rolls up without a row of its own', () => {
    const t = setup();
    t.book(0, [[6_000_100, 1000], [6_000_200, 1000], [6_000_300, 5000]]);
    t.book(1, [[6_000_150, 500]]);
    const parent = t.submit({ qtyLots: 2000, priceTicks: 6_000_200, timeInForce: 'IOC' });
    const [ka, kb] = t.children(parent.id);
    t.venues[0]!.fill(ka!.id, 6_000_100, 1000);
    t.venues[0]!.fill(ka!.id, 6_000_200, 500);
    t.venues[1]!.fill(kb!.id, 6_000_150, 500);
    expect(t.path.tracker.get(parent.id)).toMatchObject({ state: 'FILLED', filledLots: 2000 });
    const rows = t.path.positions.list();
    expect(rows.map((r) => [r.strategy, r.symbol, r.venue, r.quantity, r.averageCost, r.fees, r.fills])).toEqual([
      // (60001 x 0.01 + 60002 x 0.005) / 0.015
      ['alpha', 'BTC-USDT', 'a', '0.015', '60001.3333333333', { USDT: '0.02' }, 2],
      ['alpha', 'BTC-USDT', 'b', '0.005', '60001.5', { USDT: '0.01' }, 1],
    ]);
    expect(t.path.positions.fillsAt('smart')).toBe(0);
    // the same total as risk's position of the parent
    expect(t.risk.snapshot().strategies[0]!.positions['BTC-USDT']).toBe('0.02000');
  });
});

describe('balances of a paper venue', () => {
  it('start from the configuration, are locked by open orders and moved by fills (quote, base, fee)', () => {
    const t = setup(['0', '0', '0'], (i) => (i === 0 ? { USDT: '10000', BTC: '1' } : undefined));
    const rows = () => t.path.balances.list().map((r) => [r.venue, r.currency, r.total, r.free]);
    expect(rows()).toEqual([['a', 'BTC', '1', '1'], ['a', 'USDT', '10000', '10000']]); // b and c are not tracked
    expect(t.path.balances.list()[0]).toMatchObject({ source: 'config', lastReconciledAt: null, difference: null });
    t.book(0, [[6_000_100, 1000]]);
    t.book(1, [[6_000_150, 500]]);
    const parent = t.submit({ qtyLots: 1500, priceTicks: 6_000_200, timeInForce: 'IOC' });
    const [ka] = t.children(parent.id);
    expect(ka).toMatchObject({ venue: 'a', qtyLots: 1000, priceTicks: 6_000_100 });
    // the child at a locks 0.01 x 60001 = 600.01 USDT
    expect(rows()).toEqual([['a', 'BTC', '1', '1'], ['a', 'USDT', '10000', '9399.99']]);
    t.venues[0]!.fill(ka!.id, 6_000_100, 600, '0.005');
    expect(rows()).toEqual([['a', 'BTC', '1.006', '1.006'], ['a', 'USDT', '9639.989', '9399.985']]); // the rest (0.004 BTC) still locks 240.004
    t.venues[0]!.fill(ka!.id, 6_000_100, 400, '0.004');
    // 10000 - 600.01 - 0.009 fees; the lock is gone with the filled child
    expect(rows()).toEqual([['a', 'BTC', '1.01', '1.01'], ['a', 'USDT', '9399.981', '9399.981']]);
  });

  it('a sell moves the other way; a fee in the base comes out of the base', () => {
    const t = setup(['0', '0', '0'], (i) => (i === 1 ? { USDT: '0', BTC: '1' } : undefined));
    t.book(1, [[6_100_000, 100]], [[6_000_000, 1000]]);
    const parent = t.submit({ side: 'SELL', qtyLots: 1000, priceTicks: 6_000_000, timeInForce: 'IOC' });
    const [kb] = t.children(parent.id);
    expect(kb).toMatchObject({ venue: 'b', qtyLots: 1000 });
    expect(t.path.balances.list().map((r) => [r.currency, r.free])).toEqual([['BTC', '0.99'], ['USDT', '0']]);
    t.venues[1]!.report({ kind: 'FILL', orderId: kb!.id, tradeId: 'x1', priceTicks: 6_000_000, qtyLots: 1000, fee: '0.00001', feeCurrency: 'BTC', liquidity: 'TAKER', venueTs: 1 });
    expect(t.path.balances.list().map((r) => [r.currency, r.total, r.free])).toEqual([['BTC', '0.98999', '0.98999'], ['USDT', '600', '600']]);
  });
});

describe('routing by balance', () => {
  const asks = (t: ReturnType<typeof setup>) => {
    t.book(0, [[6_000_100, 1000]]); // the best price, at a
    t.book(1, [[6_000_150, 1000]]);
  };

  it('the best venue without quote balance gets no buy child (control: without balances it does)', () => {
    const control = setup();
    asks(control);
    const p0 = control.submit({ qtyLots: 1000, priceTicks: 6_000_200, timeInForce: 'IOC' });
    expect(control.children(p0.id).map((k) => [k.venue, k.qtyLots])).toEqual([['a', 1000]]);

    const t = setup(['0', '0', '0'], (i) => (i === 0 ? { BTC: '5' } : undefined)); // a holds no USDT
    asks(t);
    const p = t.submit({ qtyLots: 1000, priceTicks: 6_000_200, timeInForce: 'IOC' });
    expect(t.children(p.id).map((k) => [k.venue, k.qtyLots])).toEqual([['b', 1000]]);
    // and `best` passes it over too
    expect(t.submit({ route: 'best', qtyLots: 100, priceTicks: 6_000_200 }).venue).toBe('b');
  });

  it('a buy child takes what the quote pays for: 300.005 USDT buys exactly 0.005 BTC at 60001', () => {
    for (const [usdt, lots] of [['300.005', 500], ['300.0049', 499]] as const) {
      const t = setup(['0', '0', '0'], (i) => (i === 0 ? { USDT: usdt } : undefined));
      asks(t);
      const p = t.submit({ qtyLots: 1000, priceTicks: 6_000_200, timeInForce: 'IOC' });
      expect(t.children(p.id).map((k) => [k.venue, k.qtyLots])).toEqual([['a', lots], ['b', 1000 - lots]]);
    }
  });

  it('a buy child pays the taker fee too: the quote must cover notional + fee', () => {
    // 10 bps at a: 1000 lots at 60001 cost 600.01 + 0.60001
    for (const [usdt, lots] of [['600.61001', 1000], ['600.61', 999]] as const) {
      const t = setup(['10', '10', '10'], (i) => (i === 0 ? { USDT: usdt } : undefined));
      t.book(0, [[6_000_100, 1000]]);
      t.book(1, [[6_000_300, 1000]]);
      const p = t.submit({ qtyLots: 1000, priceTicks: 6_000_300, timeInForce: 'IOC' });
      expect(t.children(p.id).map((k) => [k.venue, k.qtyLots])[0]).toEqual(['a', lots]);
    }
  });

  it('a sell child takes no more than the base there is', () => {
    const t = setup(['0', '0', '0'], (i) => (i === 0 ? { BTC: '0.003' } : undefined));
    t.book(0, [[6_100_000, 100]], [[6_000_100, 1000]]);
    t.book(1, [[6_100_000, 100]], [[6_000_000, 1000]]);
    const p = t.submit({ side: 'SELL', qtyLots: 1000, priceTicks: 6_000_000, timeInForce: 'IOC' });
    expect(t.children(p.id).map((k) => [k.venue, k.qtyLots])).toEqual([['a', 300], ['b', 700]]);
  });

  it('a GTC rest rests where the balance covers it (its child included), not merely at the lowest fee', () => {
    const run = (balances?: (i: number) => Readonly<Record<string, string>> | undefined): string => {
      const t = setup(['1', '5', '5'], balances);
      t.book(0, [[6_000_100, 1000]]);
      t.book(1, [[6_000_150, 500]]);
      const parent = t.submit({ qtyLots: 2000, priceTicks: 6_000_200 });
      const [k1, k2] = t.children(parent.id);
      expect([k1!.venue, k1!.qtyLots, k2!.venue, k2!.qtyLots]).toEqual(['a', 1000, 'b', 500]);
      t.venues[0]!.fill(k1!.id, 6_000_100, 1000, '0');
      t.venues[1]!.fill(k2!.id, 6_000_150, 500, '0');
      t.path.dispatcher.pump();
      const rest = t.children(parent.id)[2]!;
      expect(rest).toMatchObject({ qtyLots: 500, timeInForce: 'GTC' });
      return rest.venue!;
    };
    expect(run()).toBe('a'); // the lowest taker fee
    // a pays for its child (600.01 + 0.060001 fee) but not for 0.005 more BTC at 60002
    expect(run((i) => (i === 0 ? { USDT: '600.1' } : undefined))).toBe('b');
  });

  it('an open child holds its balance: the next sweep, before any fill, goes elsewhere', () => {
    const t = setup(['0', '0', '0'], (i) => (i === 0 ? { USDT: '600.01' } : undefined));
    t.book(0, [[6_000_100, 5000]]);
    t.book(1, [[6_000_100, 5000]]);
    const first = t.submit({ qtyLots: 1000, priceTicks: 6_000_100, timeInForce: 'IOC' });
    expect(t.children(first.id).map((k) => [k.venue, k.qtyLots])).toEqual([['a', 1000]]);
    const second = t.submit({ qtyLots: 1000, priceTicks: 6_000_100, timeInForce: 'IOC' });
    expect(t.children(second.id).map((k) => [k.venue, k.qtyLots])).toEqual([['b', 1000]]);
    // a's child canceled unfilled: its quote is free again
    t.venues[0]!.canceled(t.children(first.id)[0]!.id, 'IOC');
    const third = t.submit({ qtyLots: 1000, priceTicks: 6_000_100, timeInForce: 'IOC' });
    expect(t.children(third.id).map((k) => [k.venue, k.qtyLots])).toEqual([['a', 1000]]);
  });
});

describe('reconciling with a venue', () => {
  /** A venue whose readings the test hands out one by one. */
  function rig() {
    const ins = testInstruments();
    const store = new OrderStore(ins, ['alpha'], ['x'], 'tst');
    const positions = new PositionLedger(store, ['alpha'], () => 0);
    const pending: ((r: ReadonlyMap<string, VenueBalanceReading>) => void)[] = [];
    const warnings: object[] = [];
    const clock = new ManualClock(5_000);
    const balances = new VenueBalances(store, positions, [{ name: 'x', source: () => new Promise((resolve) => pending.push(resolve)) }], clock, {
      warn: (o) => warnings.push(o),
    });
    const answer = (usdt: string, btc: string) => pending.shift()!(new Map([['USDT', { free: usdt, total: usdt }], ['BTC', { free: btc, total: btc }]]));
    const buy = (lots: number, ticks: number, fee: string) => positions.apply(0, 0, 'x', 1, ticks, lots, fee, 'USDT');
    const total = (cur: string) => balances.list().find((r) => r.currency === cur)?.total;
    return { balances, positions, answer, buy, total, warnings, clock };
  }

  it('a reading during which one of our fills came is neither compared nor taken; the next one is', async () => {
    const t = rig();
    let done = t.balances.reconcile(0);
    t.answer('1000', '0');
    await done;
    expect(t.total('USDT')).toBe('1000');
    // a reading is in flight when our fill arrives: the venue may or may not have counted it
    done = t.balances.reconcile(0);
    t.buy(1000, 6_000_000, '0.06'); // 0.01 BTC at 60000 = 600 USDT, fee 0.06
    expect(t.total('USDT')).toBe('399.94');
    t.clock.advance(1000);
    t.answer('1000', '0'); // (the venue had not counted it yet)
    await done;
    expect(t.balances.status()[0]).toMatchObject({ inconclusive: 1, differences: 0, lastReconciledAt: 5_000 });
    expect(t.total('USDT')).toBe('399.94');
    expect(t.warnings).toEqual([]);
    // the next reading has it
    done = t.balances.reconcile(0);
    t.answer('399.94', '0.01');
    await done;
    expect(t.balances.status()[0]).toMatchObject({ inconclusive: 1, differences: 0, lastReconciledAt: 6_000 });
    expect(t.balances.list().map((r) => [r.currency, r.total, r.difference])).toEqual([['BTC', '0.01', '0'], ['USDT', '399.94', '0']]);
  });

  it('a call while a reading is in flight waits for that one (no second request)', async () => {
    const t = rig();
    const a = t.balances.reconcile(0);
    const b = t.balances.reconcile(0);
    t.answer('1', '2');
    await Promise.all([a, b]);
    expect(t.balances.list().map((r) => [r.currency, r.total])).toEqual([['BTC', '2'], ['USDT', '1']]);
  });
});
