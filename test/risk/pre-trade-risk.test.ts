import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { OrderView } from '../../src/core/order-store.js';
import { OrderTracker } from '../../src/core/order-tracker.js';
import { ManualClock } from '../../src/model/clock.js';
import type { OrderUpdate } from '../../src/model/lifecycle.js';
import { isOpen } from '../../src/model/order.js';
import { PreTradeRisk, type DaemonRiskSpec, type StrategyRiskSpec } from '../../src/risk/pre-trade-risk.js';
import { RiskAccounting } from '../../src/risk/risk-accounting.js';
import { fill, newOrderFields, testInstruments, testStore } from '../helpers/model.js';

/*
 * Instruments: BTC-USDT (index 0) tick 0.01, lot 0.00001; ETH-USDT (1) tick 0.05, lot 0.001; SOL-USDT (2).
 * Common notional unit: 10^-7 USDT (BTC: 2 + 5 decimals). 0.01 BTC at 60000 = 1,000 lots x 6,000,000 ticks = 600 USDT.
 */
const instruments = testInstruments();
const BTC = 0;
const ETH = 1;
const SOL = 2;
const P60K = 6_000_000; // 60000.00 in BTC ticks
const LOTS_001 = 1000; // 0.01 BTC

function makeRisk(strategies: StrategyRiskSpec[], daemon: DaemonRiskSpec = {}): PreTradeRisk {
  return new PreTradeRisk(instruments, strategies, daemon);
}

const alpha = (limits: Partial<StrategyRiskSpec> = {}): StrategyRiskSpec => ({ id: 'alpha', symbols: ['BTC-USDT', 'ETH-USDT'], ...limits });
const beta = (limits: Partial<StrategyRiskSpec> = {}): StrategyRiskSpec => ({ id: 'beta', symbols: ['BTC-USDT', 'ETH-USDT', 'SOL-USDT'], ...limits });

const ZERO = '0.0000000';

describe('PreTradeRisk limits', () => {
  it('passes an order within every limit and reserves it', () => {
    const risk = makeRisk([alpha({ maxOrderNotional: '1000', maxOpenOrders: 5, maxGrossExposure: '10000' })], { maxOpenOrders: 10 });
    expect(risk.check(0, BTC, 0, P60K, LOTS_001)).toBeNull();
    const snap = risk.snapshot();
    expect(snap.openOrders).toBe(1);
    expect(snap.strategies[0]).toMatchObject({ id: 'alpha', openOrders: 1, openNotional: '600.0000000' });
  });

  it('RISK_SYMBOL_NOT_ALLOWED for a symbol the strategy does not list', () => {
    const risk = makeRisk([alpha(), beta()]);
    expect(risk.check(0, SOL, 0, 1000, 100)).toBe('RISK_SYMBOL_NOT_ALLOWED');
    expect(risk.check(1, SOL, 0, 1000, 100)).toBeNull();
    expect(risk.snapshot().openOrders).toBe(1);
  });

  it('RISK_MAX_ORDER_QTY per symbol, inclusive at the limit', () => {
    const risk = makeRisk([alpha({ maxOrderQty: { 'BTC-USDT': '0.5' } })]);
    expect(risk.check(0, BTC, 0, 100, 50_001)).toBe('RISK_MAX_ORDER_QTY');
    expect(risk.check(0, BTC, 0, 100, 50_000)).toBeNull();
    // no limit for ETH-USDT
    expect(risk.check(0, ETH, 0, 1, 1_000_000_000)).toBeNull();
  });

  it('RISK_MAX_NOTIONAL from the strategy limit, inclusive at the limit', () => {
    const risk = makeRisk([alpha({ maxOrderNotional: '600' }), beta()]);
    expect(risk.check(0, BTC, 0, P60K + 1, LOTS_001)).toBe('RISK_MAX_NOTIONAL'); // 600.01
    expect(risk.check(0, BTC, 0, P60K, LOTS_001)).toBeNull(); // exactly 600
    expect(risk.check(1, BTC, 0, P60K + 1, LOTS_001)).toBeNull(); // beta has no strategy limit
  });

  it('RISK_MAX_NOTIONAL from the daemon-wide limit, for every strategy', () => {
    const risk = makeRisk([alpha(), beta({ maxOrderNotional: '100000' })], { maxOrderNotional: '599.99' });
    expect(risk.check(0, BTC, 0, P60K, LOTS_001)).toBe('RISK_MAX_NOTIONAL');
    expect(risk.check(1, BTC, 0, P60K, LOTS_001)).toBe('RISK_MAX_NOTIONAL');
    expect(risk.check(1, BTC, 0, 5_999_999, LOTS_001)).toBe('RISK_MAX_NOTIONAL'); // 59999.99 x 0.01 = 599.9999
    expect(risk.check(1, BTC, 0, 5_999_000, LOTS_001)).toBeNull(); // 59990.00 x 0.01 = 599.90
  });

  it('a notional limit with more decimals than the instruments is rounded down, never more permissive', () => {
    // common scale is 7 decimals; a limit of 600.00000009 can only mean 600.0000000
    const risk = makeRisk([alpha({ maxOrderNotional: '600.00000009' })]);
    expect(risk.check(0, BTC, 0, P60K, LOTS_001)).toBeNull();
    expect(risk.check(0, BTC, 0, P60K, LOTS_001 + 1)).toBe('RISK_MAX_NOTIONAL');
  });

  it('RISK_MAX_OPEN_ORDERS per strategy', () => {
    const risk = makeRisk([alpha({ maxOpenOrders: 2 }), beta()]);
    expect(risk.check(0, BTC, 0, 100, 10)).toBeNull();
    expect(risk.check(0, ETH, 0, 100, 10)).toBeNull();
    expect(risk.check(0, BTC, 0, 100, 10)).toBe('RISK_MAX_OPEN_ORDERS');
    expect(risk.check(1, BTC, 0, 100, 10)).toBeNull(); // another strategy is not affected
  });

  it('RISK_MAX_OPEN_ORDERS daemon-wide, across strategies', () => {
    const risk = makeRisk([alpha(), beta()], { maxOpenOrders: 3 });
    expect(risk.check(0, BTC, 0, 100, 10)).toBeNull();
    expect(risk.check(1, BTC, 0, 100, 10)).toBeNull();
    expect(risk.check(1, ETH, 0, 100, 10)).toBeNull();
    expect(risk.check(0, BTC, 0, 100, 10)).toBe('RISK_MAX_OPEN_ORDERS');
    expect(risk.check(1, BTC, 0, 100, 10)).toBe('RISK_MAX_OPEN_ORDERS');
  });

  it('a denied order reserves nothing', () => {
    const risk = makeRisk([alpha({ maxOpenOrders: 1, maxOrderNotional: '100' })]);
    expect(risk.check(0, BTC, 0, P60K, LOTS_001)).toBe('RISK_MAX_NOTIONAL');
    expect(risk.snapshot().strategies[0]).toMatchObject({ openOrders: 0, openNotional: ZERO });
    expect(risk.check(0, BTC, 0, 100, 10)).toBeNull();
  });

  it('RISK_MAX_GROSS_EXPOSURE counts open orders of the strategy', () => {
    const risk = makeRisk([alpha({ maxGrossExposure: '1000' }), beta()]);
    expect(risk.check(0, BTC, 0, P60K, LOTS_001)).toBeNull(); // 600 open
    expect(risk.check(0, BTC, 0, P60K, LOTS_001)).toBe('RISK_MAX_GROSS_EXPOSURE'); // 1200 > 1000
    expect(risk.check(0, BTC, 0, P60K, 666)).toBeNull(); // 600 + 399.6 = 999.6
    expect(risk.check(1, BTC, 0, P60K, LOTS_001 * 100)).toBeNull(); // beta: no limit
  });

  it('RISK_MAX_GROSS_EXPOSURE daemon-wide counts every strategy', () => {
    const risk = makeRisk([alpha(), beta()], { maxGrossExposure: '1000' });
    expect(risk.check(0, BTC, 0, P60K, LOTS_001)).toBeNull();
    expect(risk.check(1, BTC, 0, P60K, LOTS_001)).toBe('RISK_MAX_GROSS_EXPOSURE');
    expect(risk.check(1, BTC, 0, P60K, 666)).toBeNull();
  });

  it('gross exposure includes positions after fills, valued at the last fill price (the mark)', () => {
    const risk = makeRisk([alpha({ maxGrossExposure: '1000' })]);
    expect(risk.check(0, BTC, 0, P60K, LOTS_001)).toBeNull();
    // the order fills completely and closes: no open notional, but a 0.01 BTC position at 60000 = 600
    risk.onFill(0, BTC, 'BUY', P60K, P60K, LOTS_001, true);
    risk.onClose(0, BTC, 0, P60K, 0);
    expect(risk.snapshot().strategies[0]).toMatchObject({ openOrders: 0, openNotional: ZERO, positions: { 'BTC-USDT': '0.01000' } });
    expect(risk.check(0, BTC, 0, P60K, LOTS_001)).toBe('RISK_MAX_GROSS_EXPOSURE'); // 600 position + 600 order
    expect(risk.check(0, BTC, 0, P60K, 666)).toBeNull(); // 600 + 399.6
    risk.onClose(0, BTC, 0, P60K, 666);
    // a sell is exposure too (gross, not net): it would be +600 on top of the long position
    expect(risk.check(0, BTC, 0, P60K, LOTS_001)).toBe('RISK_MAX_GROSS_EXPOSURE');
    // the mark follows fills: a trade at 30000 halves the position's value
    expect(risk.check(0, BTC, 0, 3_000_000, 10)).toBeNull(); // 600 + 3 = 603
    risk.onFill(0, BTC, 'BUY', 3_000_000, 3_000_000, 10, true);
    risk.onClose(0, BTC, 0, 3_000_000, 0);
    // position 0.0101 BTC at 30000 = 303; an order of 0.02 at 30000 = 600 -> 903 <= 1000
    expect(risk.check(0, BTC, 0, 3_000_000, 2000)).toBeNull();
  });

  it('a short position counts at its absolute value, daemon-wide too', () => {
    const risk = makeRisk([alpha(), beta()], { maxGrossExposure: '1000' });
    expect(risk.check(0, BTC, 1, P60K, LOTS_001)).toBeNull();
    risk.onFill(0, BTC, 'SELL', P60K, P60K, LOTS_001, true);
    risk.onClose(0, BTC, 1, P60K, 0);
    expect(risk.snapshot().strategies[0]!.positions).toEqual({ 'BTC-USDT': '-0.01000' });
    expect(risk.check(1, BTC, 0, P60K, LOTS_001)).toBe('RISK_MAX_GROSS_EXPOSURE');
    expect(risk.check(1, BTC, 0, P60K, 666)).toBeNull();
  });

  it('market orders (price 0) are valued at the mark; without a mark RISK_NO_REFERENCE_PRICE', () => {
    const risk = makeRisk([alpha({ maxOrderNotional: '600' })]);
    expect(risk.check(0, BTC, 0, 0, LOTS_001)).toBe('RISK_NO_REFERENCE_PRICE');
    expect(risk.snapshot().openOrders).toBe(0);
    risk.setMark(BTC, P60K);
    expect(risk.markOf(BTC)).toBe(P60K);
    expect(risk.check(0, BTC, 0, 0, LOTS_001)).toBeNull(); // 600 at the mark
    expect(risk.check(0, BTC, 0, 0, LOTS_001 + 1)).toBe('RISK_MAX_NOTIONAL');
    risk.setMark(BTC, P60K / 2);
    expect(risk.check(0, BTC, 0, 0, LOTS_001 * 2)).toBeNull(); // 600 at the new mark
    // limit orders ignore the mark
    expect(risk.check(0, ETH, 0, 20, 1)).toBeNull();
  });

  it('releases the open-order slot and the notional when an order closes', () => {
    const risk = makeRisk([alpha({ maxOpenOrders: 1, maxGrossExposure: '700' })]);
    expect(risk.check(0, BTC, 0, P60K, LOTS_001)).toBeNull();
    expect(risk.check(0, ETH, 0, 20, 1)).toBe('RISK_MAX_OPEN_ORDERS');
    risk.onClose(0, BTC, 0, P60K, LOTS_001); // canceled, nothing filled
    expect(risk.snapshot().strategies[0]).toMatchObject({ openOrders: 0, openNotional: ZERO });
    expect(risk.check(0, BTC, 0, P60K, LOTS_001)).toBeNull();
  });

  it('partial fills release their part of the reservation; close releases the rest', () => {
    const risk = makeRisk([alpha()]);
    expect(risk.check(0, BTC, 0, P60K, LOTS_001)).toBeNull();
    risk.onFill(0, BTC, 'BUY', P60K, 5_900_000, 400, true); // filled below the limit price
    expect(risk.snapshot().strategies[0]!.openNotional).toBe('360.0000000'); // 600 x 0.6 at the reserved price
    risk.onClose(0, BTC, 0, P60K, 600);
    expect(risk.snapshot().strategies[0]).toMatchObject({ openOrders: 0, openNotional: ZERO, positions: { 'BTC-USDT': '0.00400' } });
  });

  it('a late fill after close moves the position but does not release again', () => {
    const risk = makeRisk([alpha()], { maxOpenOrders: 10 });
    expect(risk.check(0, BTC, 0, P60K, LOTS_001)).toBeNull();
    risk.onClose(0, BTC, 0, P60K, LOTS_001); // canceled with everything open
    risk.onFill(0, BTC, 'BUY', P60K, P60K, 300, false); // then a fill that raced the cancel
    const s = risk.snapshot();
    expect(s.openOrders).toBe(0);
    expect(s.strategies[0]).toMatchObject({ openOrders: 0, openNotional: ZERO, positions: { 'BTC-USDT': '0.00300' } });
  });

  it('throws at construction for a limit too large for the instruments precision', () => {
    // 10^-7 USDT units: 10^9 USDT is 10^16 units > 2^53
    expect(() => makeRisk([alpha({ maxGrossExposure: '1000000000' })])).toThrow(RangeError);
    expect(() => makeRisk([alpha()], { maxOrderNotional: '1000000000' })).toThrow(/too large/);
    expect(() => makeRisk([alpha()], { maxGrossExposure: '99999999999999999999' })).toThrow(/too large/);
    // 10^8 USDT (10^15 units) fits
    expect(() => makeRisk([alpha({ maxGrossExposure: '100000000' })], { maxGrossExposure: '100000000' })).not.toThrow();
  });

  it('refuses bad construction input', () => {
    expect(() => makeRisk([{ id: 'x', symbols: ['DOGE-USDT'] }])).toThrow(RangeError);
    expect(() => makeRisk([alpha({ maxOrderQty: { 'BTC-USDT': '0.000001' } })])).toThrow(RangeError);
    expect(() => makeRisk([alpha({ maxOrderNotional: 'lots' })])).toThrow(RangeError);
  });

  it('looks strategies up by id', () => {
    const risk = makeRisk([alpha(), beta()]);
    expect(risk.strategyIndex('beta')).toBe(1);
    expect(risk.strategyIndex('nobody')).toBe(-1);
    expect(risk.strategyId(0)).toBe('alpha');
  });
});

describe('PreTradeRisk accounting returns to zero (property)', () => {
  type Op =
    | { kind: 'check'; strategy: number; instrument: number; price: number; qty: number; side: 'BUY' | 'SELL' }
    | { kind: 'fill'; pick: number; fraction: number; priceDelta: number }
    | { kind: 'close'; pick: number }
    | { kind: 'lateFill'; pick: number; qty: number };

  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({
      kind: fc.constant('check' as const),
      strategy: fc.integer({ min: 0, max: 1 }),
      instrument: fc.integer({ min: 0, max: 2 }),
      price: fc.integer({ min: 0, max: 10_000_000 }),
      qty: fc.integer({ min: 1, max: 5_000 }),
      side: fc.constantFrom('BUY' as const, 'SELL' as const),
    }),
    fc.record({
      kind: fc.constant('fill' as const),
      pick: fc.nat(),
      fraction: fc.double({ min: 0, max: 1, noNaN: true }),
      priceDelta: fc.integer({ min: -1000, max: 1000 }),
    }),
    fc.record({ kind: fc.constant('close' as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant('lateFill' as const), pick: fc.nat(), qty: fc.integer({ min: 1, max: 100 }) }),
  );

  it('open-order counts and open notional are zero once every order has closed, whatever happened in between', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), fc.boolean(), (ops, withLimits) => {
        const risk = makeRisk(
          withLimits
            ? [alpha({ maxOpenOrders: 5, maxOrderNotional: '5000', maxGrossExposure: '20000' }), beta({ maxOpenOrders: 8 })]
            : [alpha(), beta()],
          withLimits ? { maxOpenOrders: 10, maxGrossExposure: '50000' } : {},
        );
        risk.setMark(BTC, P60K);
        type Open = { s: number; i: number; reserved: number; qty: number; filled: number; side: 'BUY' | 'SELL' };
        const open: Open[] = [];
        const closed: Open[] = [];
        for (const o of ops) {
          if (o.kind === 'check') {
            const code = risk.check(o.strategy, o.instrument, o.side === 'BUY' ? 0 : 1, o.price, o.qty);
            const reserved = o.price > 0 ? o.price : risk.markOf(o.instrument);
            if (code === null) open.push({ s: o.strategy, i: o.instrument, reserved, qty: o.qty, filled: 0, side: o.side });
          } else if (o.kind === 'fill' && open.length > 0) {
            const x = open[o.pick % open.length]!;
            const q = Math.max(1, Math.floor((x.qty - x.filled) * o.fraction));
            risk.onFill(x.s, x.i, x.side, x.reserved, Math.max(1, x.reserved + o.priceDelta), q, true);
            x.filled += q;
            if (x.filled === x.qty) {
              risk.onClose(x.s, x.i, x.side === 'BUY' ? 0 : 1, x.reserved, 0);
              closed.push(...open.splice(open.indexOf(x), 1));
            }
          } else if (o.kind === 'close' && open.length > 0) {
            const x = open.splice(o.pick % open.length, 1)[0]!;
            risk.onClose(x.s, x.i, x.side === 'BUY' ? 0 : 1, x.reserved, x.qty - x.filled);
            closed.push(x);
          } else if (o.kind === 'lateFill' && closed.length > 0) {
            const x = closed[o.pick % closed.length]!;
            risk.onFill(x.s, x.i, x.side, x.reserved, Math.max(1, x.reserved), o.qty, false);
          }
          const snap = risk.snapshot();
          expect(snap.openOrders).toBe(open.length);
          for (const s of [0, 1]) expect(snap.strategies[s]!.openOrders).toBe(open.filter((x) => x.s === s).length);
        }
        for (const x of open.splice(0)) risk.onClose(x.s, x.i, x.side === 'BUY' ? 0 : 1, x.reserved, x.qty - x.filled);
        const snap = risk.snapshot();
        expect(snap.openOrders).toBe(0);
        for (const s of snap.strategies) {
          expect(s.openOrders).toBe(0);
          expect(s.openNotional).toBe(ZERO);
        }
        // the open quantity per side (maxPosition, REDUCING) returns to zero too
        for (const s of [0, 1]) for (const i of [BTC, ETH, SOL]) for (const side of [0, 1]) expect(risk.openLotsOf(s, i, side)).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('through the order tracker and RiskAccounting: any sequence of lifecycle updates releases everything', () => {
    const update = fc.oneof(
      fc.constant<OrderUpdate['kind']>('ACCEPT'),
      fc.constant<OrderUpdate['kind']>('FILL'),
      fc.constant<OrderUpdate['kind']>('CANCEL_REQUEST'),
      fc.constant<OrderUpdate['kind']>('CANCELED'),
      fc.constant<OrderUpdate['kind']>('CANCEL_REJECT'),
      fc.constant<OrderUpdate['kind']>('REJECT'),
      fc.constant<OrderUpdate['kind']>('EXPIRE'),
      fc.constant<OrderUpdate['kind']>('TRIGGER'),
    );
    const step = fc.record({ order: fc.nat(), kind: update, fraction: fc.double({ min: 0, max: 1, noNaN: true }), dup: fc.boolean() });
    fc.assert(
      fc.property(
        fc.array(fc.record({ strategy: fc.constantFrom('alpha', 'beta'), market: fc.boolean(), qty: fc.integer({ min: 1, max: 3000 }) }), {
          minLength: 1,
          maxLength: 12,
        }),
        fc.array(step, { maxLength: 80 }),
        (orders, steps) => {
          const clock = new ManualClock();
          const risk = makeRisk([alpha({ maxOpenOrders: 6 }), beta()], { maxOpenOrders: 9 });
          risk.setMark(BTC, P60K);
          const store = testStore({ instruments, venues: ['v1'] });
          const tracker = new OrderTracker(store, clock, { retainFinished: 1000 });
          tracker.listen(new RiskAccounting(risk));
          let lastTrade: { id: number; tradeId: string; qty: number } | undefined;
          orders.forEach((o, k) => {
            const fields = newOrderFields(store, {
              strategy: o.strategy, qtyLots: o.qty, priceTicks: o.market ? 0 : P60K, type: o.market ? 'MARKET' : 'LIMIT', clientOrderId: `c${k + 1}`,
            });
            const order = new OrderView(store).at(tracker.create(k + 1, fields));
            // what the dispatcher does
            const code = risk.check(risk.strategyIndex(order.strategy), BTC, order.side === 'BUY' ? 0 : 1, order.priceTicks, order.qtyLots);
            if (code !== null) {
              tracker.apply(order.id, { kind: 'DENY', reason: code });
              return;
            }
            order.riskPriceTicks = order.priceTicks > 0 ? order.priceTicks : risk.markOf(BTC);
            tracker.apply(order.id, { kind: 'SUBMIT', venue: 'v1' });
          });
          for (const st of steps) {
            const id = (st.order % orders.length) + 1;
            const order = tracker.get(id)!;
            let u: OrderUpdate;
            if (st.kind === 'FILL') {
              if (st.dup && lastTrade !== undefined && lastTrade.id === id) {
                u = { kind: 'FILL', fill: fill(id, lastTrade.qty, P60K, { tradeId: lastTrade.tradeId }) };
              } else {
                const left = order.qtyLots - order.filledLots;
                const q = Math.max(1, Math.ceil(left * st.fraction));
                const f = fill(id, q, P60K - 500 + Math.floor(st.fraction * 1000));
                lastTrade = { id, tradeId: f.tradeId, qty: q };
                u = { kind: 'FILL', fill: f };
              }
            } else if (st.kind === 'REJECT') u = { kind: 'REJECT', reason: 'venue says no' };
            else u = { kind: st.kind } as OrderUpdate;
            expect(() => tracker.apply(id, u)).not.toThrow();
            const snap = risk.snapshot();
            expect(snap.openOrders).toBe(tracker.list(true).filter((o) => o.riskPriceTicks > 0).length);
          }
          for (const o of tracker.list(true)) tracker.apply(o.id, { kind: 'CANCELED' });
          expect(tracker.list(true)).toEqual([]);
          expect(tracker.open).toBe(0);
          const snap = risk.snapshot();
          expect(snap.openOrders).toBe(0);
          for (const s of snap.strategies) {
            expect(s.openOrders).toBe(0);
            expect(s.openNotional).toBe(ZERO);
          }
          for (const side of [0, 1]) for (const s of [0, 1]) expect(risk.openLotsOf(s, BTC, side)).toBe(0);
          // positions are the sum of the fills applied (fills never vanish)
          const filled = tracker.list(false).reduce((sum, o) => sum + o.filledLots, 0);
          const pos = snap.strategies.reduce((sum, s) => sum + Number(s.positions['BTC-USDT'] ?? '0') * 100_000, 0);
          expect(Math.round(pos)).toBe(filled);
          for (const o of tracker.list(false)) expect(isOpen(o.state)).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('PreTradeRisk: no silent saturation', () => {
  // ETH: 500 common units per tick x lot; the largest ticks x lots that count exactly is floor((2^53 - 1) / 500)
  const maxUnits = Math.floor(Number.MAX_SAFE_INTEGER / 500);

  it('a market order valued at its mark beyond 2^53 - 1 units is refused with NOTIONAL_TOO_LARGE, nothing reserved', () => {
    const risk = makeRisk([alpha()]);
    risk.setMark(ETH, maxUnits);
    // one lot at the mark: exactly at the bound, reserved exactly
    expect(risk.check(0, ETH, 0, 0, 1)).toBeNull();
    expect(BigInt(risk.snapshot().strategies[0]!.openNotional.replace('.', ''))).toBe(BigInt(maxUnits) * 500n);
    // two lots: used to reserve 2^53 - 1 (saturated) and release the exact 2 x mark x 500 later
    expect(risk.check(0, ETH, 0, 0, 2)).toBe('NOTIONAL_TOO_LARGE');
    expect(risk.snapshot().strategies[0]!.openOrders).toBe(1);
    risk.onClose(0, ETH, 0, maxUnits, 1);
    expect(risk.snapshot()).toMatchObject({ openOrders: 0, strategies: [{ openNotional: ZERO }] });
    expect(risk.saturated).toBe(0);
  });

  it('a release beyond the bound (never reserved by check) is counted', () => {
    const risk = makeRisk([alpha()]);
    risk.reserve(0, ETH, 0, maxUnits + 1, 1);
    expect(risk.saturated).toBe(1);
    risk.onClose(0, ETH, 0, maxUnits + 1, 1);
    expect(risk.saturated).toBe(2);
  });
});
