/**
 * VenueCore on its own: balances and reservations stay consistent through fills, cancels and on-demand fills;
 * stream fault pipe; rate-limit windows.
 */
import { describe, expect, test } from 'vitest';
import { formatAmount, Grid, parseAmount } from './decimal.js';
import { FaultInjector, ReportPipe } from './faults.js';
import { FixedWindow, SlidingWindow } from './rate-limit.js';
import { type VenueEvent, VenueCore } from './venue-core.js';
import { BINANCE_DEFAULT_INSTRUMENTS } from './fake-binance.js';

function core(): VenueCore {
  return new VenueCore({
    instruments: BINANCE_DEFAULT_INSTRUMENTS,
    ladders: { 'BTC-USDT': { mid: '100', levels: 2, spacing: '1', qty: '1' } },
    accounts: [
      { name: 'main', apiKey: 'k1', secret: 's1', balances: { USDT: '1000', BTC: '2' } },
      { name: 'other', apiKey: 'k2', secret: 's2', unlimited: true },
    ],
    now: () => 1_000,
  });
}

const total = (c: VenueCore, asset: string): string => {
  const b = c.balance(1, asset);
  return formatAmount(b.free + b.locked);
};

describe('VenueCore', () => {
  test('reservation, partial fills at better prices, cancel: balances are conserved', () => {
    const c = core();
    const btc = c.instrument('BTC-USDT')!;
    const events: VenueEvent[] = [];
    c.onEvent((e) => events.push(e));
    // buy 3 @ 102: takes 1 @ 101 and 1 @ 102 from the ladder, rests 1
    const r = c.place(1, { symbol: 'BTC-USDT', side: 'BUY', kind: 'LIMIT', tif: 'GTC', priceTicks: btc.price.steps('102') as number, qtyLots: btc.lot.steps('3') as number, clientOrderId: 'a' });
    expect(r.ok).toBe(true);
    const o = r.ok ? r.order : undefined!;
    expect(o.status).toBe('PARTIALLY_FILLED');
    expect(events.filter((e) => e.type === 'order').map((e) => (e.type === 'order' ? e.exec : ''))).toEqual(['NEW', 'TRADE', 'TRADE']);
    expect(formatAmount(c.balance(1, 'USDT').locked)).toBe('102');
    expect(formatAmount(c.balance(1, 'USDT').free)).toBe(String(1000 - 101 - 102 - 102));
    expect(total(c, 'BTC')).toBe('4');
    // on-demand fill of the rest at 102
    const f = c.fillOrder({ id: o.id });
    expect(f.ok).toBe(true);
    expect(o.status).toBe('FILLED');
    expect(formatAmount(c.balance(1, 'USDT').locked)).toBe('0');
    expect(total(c, 'USDT')).toBe(String(1000 - 101 - 102 - 102));
    expect(total(c, 'BTC')).toBe('5');
    // sell 1 resting, then cancel: base unlocked
    const s = c.place(1, { symbol: 'BTC-USDT', side: 'SELL', kind: 'LIMIT', tif: 'GTC', priceTicks: btc.price.steps('150') as number, qtyLots: btc.lot.steps('1') as number, clientOrderId: 'b' });
    expect(formatAmount(c.balance(1, 'BTC').locked)).toBe('1');
    expect(c.cancel(1, { clientOrderId: 'b' }).ok).toBe(true);
    expect(s.ok && s.order.status).toBe('CANCELED');
    expect(formatAmount(c.balance(1, 'BTC').locked)).toBe('0');
    expect(c.cancel(1, { clientOrderId: 'b' })).toMatchObject({ ok: false, reason: 'NOT_OPEN' });
  });

  test('duplicate client ids only among open orders; insufficient balance refused; quote-sized market buy', () => {
    const c = core();
    const btc = c.instrument('BTC-USDT')!;
    const lim = { symbol: 'BTC-USDT', side: 'BUY' as const, kind: 'LIMIT' as const, tif: 'GTC' as const, priceTicks: btc.price.steps('50') as number, qtyLots: btc.lot.steps('1') as number };
    expect(c.place(1, { ...lim, clientOrderId: 'x' }).ok).toBe(true);
    expect(c.place(1, { ...lim, clientOrderId: 'x' })).toMatchObject({ ok: false, reason: 'DUPLICATE_CLIENT_ID' });
    expect(c.place(1, { ...lim, qtyLots: btc.lot.steps('100') as number, clientOrderId: 'y' })).toMatchObject({ ok: false, reason: 'INSUFFICIENT_BALANCE' });
    c.cancel(1, { clientOrderId: 'x' });
    expect(c.place(1, { ...lim, clientOrderId: 'x' }).ok).toBe(true);
    const m = c.place(1, { symbol: 'BTC-USDT', side: 'BUY', kind: 'MARKET', tif: 'GTC', quoteQty: parseAmount('151.5')!, clientOrderId: 'm' });
    // 1 @ 101, then 50.5 USDT buys 0.49509 @ 102 (whole lots only)
    expect(m.ok && [m.order.status, formatAmount(btc.lot.amount(m.order.filled)), formatAmount(m.order.cumQuote)]).toEqual(['FILLED', '1.49509', '151.49918']);
  });

  test('reset restores balances and the ladder', () => {
    const c = core();
    c.place(2, { symbol: 'BTC-USDT', side: 'BUY', kind: 'MARKET', tif: 'GTC', qtyLots: 100_000, clientOrderId: 't' });
    expect(c.listOrders({ owner: 0, open: true, symbol: 'BTC-USDT' })).toHaveLength(3);
    c.reset();
    expect(c.listOrders({ owner: 0, open: true, symbol: 'BTC-USDT' })).toHaveLength(4);
    expect(c.listOrders({ owner: 2 })).toEqual([]);
  });
});

describe('helpers', () => {
  test('Grid parses exactly and refuses off-grid values', () => {
    const g = new Grid('0.00001');
    expect(g.steps('0.001')).toBe(100);
    expect(g.steps('0.0010000')).toBe(100);
    expect(g.steps('0.000015')).toBe('off-grid');
    expect(g.steps('1e-5')).toBe('malformed');
    expect(g.format(150, 8)).toBe('0.00150000');
  });

  test('amounts: the venue forms the fakes read and write', () => {
    // read: plain non-negative decimals, white space around them tolerated, up to 18 decimals (more only as zeros)
    expect(parseAmount(' 1.5 ')).toBe(15n * 10n ** 17n);
    expect(parseAmount('007')).toBe(7n * 10n ** 18n);
    expect(parseAmount('0.000000000000000001')).toBe(1n);
    expect(parseAmount('0.0000000000000000010')).toBe(1n);
    expect(parseAmount('0.0000000000000000011')).toBeUndefined();
    for (const bad of ['-1', '+1', '1e-5', '.5', '5.', '', 'abc', undefined, null]) expect(parseAmount(bad), String(bad)).toBeUndefined();
    // write: shortest form, or a fixed number of decimals truncated toward zero (never "-0.00")
    expect(formatAmount(parseAmount('60010.50')!)).toBe('60010.5');
    expect(formatAmount(0n)).toBe('0');
    expect(formatAmount(parseAmount('1.239')!, 2)).toBe('1.23');
    expect(formatAmount(-parseAmount('1.239')!, 2)).toBe('-1.23');
    expect(formatAmount(-parseAmount('0.001')!, 2)).toBe('0.00');
    expect(formatAmount(parseAmount('2')!, 8)).toBe('2.00000000');
    expect(formatAmount(parseAmount('2')!, 0)).toBe('2');
  });

  test('ReportPipe duplicates, swaps and drops reports; other messages pass', () => {
    const f = new FaultInjector();
    const out: string[] = [];
    const pipe = new ReportPipe(f, (t) => out.push(t));
    f.apply({ duplicateReports: 1 });
    pipe.push('a');
    pipe.push('b');
    f.apply({ reorderReports: 1, reorderFlushMs: 10_000 });
    pipe.push('c');
    pipe.push('bal', false);
    pipe.push('d');
    f.apply({ dropReports: 1 });
    pipe.push('e');
    pipe.push('f');
    pipe.close();
    expect(out).toEqual(['a', 'a', 'b', 'bal', 'd', 'c', 'f']);
  });

  test('rate-limit windows', () => {
    const fixed = new FixedWindow(60_000, 10);
    expect(fixed.add(6, 60_000)).toBe(6);
    expect(fixed.add(6, 119_999)).toBe(12);
    expect(fixed.count(120_000)).toBe(0);
    expect(fixed.msToReset(119_000)).toBe(1_000);
    const sliding = new SlidingWindow(2_000, 2);
    expect(sliding.tryTake(1, 0)).toBe(true);
    expect(sliding.tryTake(1, 1_000)).toBe(true);
    expect(sliding.tryTake(1, 1_999)).toBe(false);
    expect(sliding.tryTake(1, 2_000)).toBe(true);
  });
});
