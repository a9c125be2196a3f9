import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/model/clock.js';
import { PreTradeRisk, type DaemonRiskSpec, type StrategyRiskSpec } from '../../src/risk/pre-trade-risk.js';
import { testInstruments } from '../helpers/model.js';

/*
 * The checks added to the original limits: price collar, order and cancel rates, maximum position, a market order's
 * minimum notional at the mark, the REDUCING test, and the messages that name each limit.
 * BTC-USDT: tick 0.01, lot 0.00001, minNotional 5. 60000.00 = 6,000,000 ticks.
 */
const instruments = testInstruments();
const BTC = 0;
const BUY = 0;
const SELL = 1;
const P60K = 6_000_000;
const LOTS_001 = 1000; // 0.01 BTC = 600 USDT at 60000

function makeRisk(strategy: Partial<StrategyRiskSpec> = {}, daemon: DaemonRiskSpec = {}, clock?: ManualClock): PreTradeRisk {
  const risk = new PreTradeRisk(instruments, [{ id: 'alpha', symbols: ['BTC-USDT', 'ETH-USDT'], ...strategy }], daemon);
  if (clock !== undefined) risk.setClock(clock);
  return risk;
}

describe('price collar', () => {
  it('denies a limit price more than N bps through the mark, on each side, and names the collar', () => {
    const risk = makeRisk({}, { priceCollarBps: { 'BTC-USDT': 100 } }); // 1 %: 600.00 around 60000
    risk.setMark(BTC, P60K);
    expect(risk.check(0, BTC, BUY, P60K + 60_000, 1)).toBeNull(); // 60600: exactly at the collar
    expect(risk.check(0, BTC, BUY, P60K + 60_001, 1)).toBe('RISK_PRICE_COLLAR');
    expect(risk.check(0, BTC, SELL, P60K - 60_000, 1)).toBeNull();
    expect(risk.check(0, BTC, SELL, P60K - 60_001, 1)).toBe('RISK_PRICE_COLLAR');
    // a price on the passive side is not "through" the mark, however far
    expect(risk.check(0, BTC, BUY, 1, 1000)).toBeNull();
    expect(risk.check(0, BTC, SELL, P60K * 3, 1)).toBeNull();
    const why = risk.explain('RISK_PRICE_COLLAR', 0, BTC, BUY, P60K + 60_001, 1);
    expect(why).toContain('priceCollarBps BTC-USDT 100');
    expect(why).toContain('60600.01');
    expect(why).toContain('mark 60000');
  });

  it('a symbol without a collar and an instrument without a mark are not collared', () => {
    const risk = makeRisk({}, { priceCollarBps: { 'ETH-USDT': 10 } });
    risk.setMark(BTC, P60K);
    expect(risk.check(0, BTC, BUY, P60K * 2, 1)).toBeNull();
    expect(risk.check(0, 1, BUY, 1_000_000, 1)).toBeNull(); // ETH has no mark yet
  });

  it('follows the mark as it moves', () => {
    const risk = makeRisk({}, { priceCollarBps: { 'BTC-USDT': 100 } });
    risk.setMark(BTC, P60K);
    expect(risk.check(0, BTC, BUY, 6_100_000, 1)).toBe('RISK_PRICE_COLLAR');
    risk.setMark(BTC, 6_050_000);
    expect(risk.check(0, BTC, BUY, 6_100_000, 1)).toBeNull();
  });
});

describe('order rate (token bucket)', () => {
  it('takes a burst, then one order per 1/rate, denied not queued, and refills with the clock', () => {
    const clock = new ManualClock();
    const risk = makeRisk({ maxOrdersPerSecond: 10, orderBurst: 3 }, {}, clock);
    risk.setMark(BTC, P60K);
    for (let i = 0; i < 3; i++) expect(risk.check(0, BTC, BUY, P60K, 1)).toBeNull();
    expect(risk.check(0, BTC, BUY, P60K, 1)).toBe('RISK_ORDER_RATE');
    clock.advance(99);
    expect(risk.check(0, BTC, BUY, P60K, 1)).toBe('RISK_ORDER_RATE');
    clock.advance(1); // 100 ms: one token
    expect(risk.check(0, BTC, BUY, P60K, 1)).toBeNull();
    expect(risk.check(0, BTC, BUY, P60K, 1)).toBe('RISK_ORDER_RATE');
    clock.advance(10_000); // never more than the burst
    for (let i = 0; i < 3; i++) expect(risk.check(0, BTC, BUY, P60K, 1)).toBeNull();
    expect(risk.check(0, BTC, BUY, P60K, 1)).toBe('RISK_ORDER_RATE');
    expect(risk.explain('RISK_ORDER_RATE', 0, BTC, BUY, P60K, 1)).toContain('maxOrdersPerSecond 10 (burst 3)');
  });

  it('an order denied by another limit takes no token', () => {
    const clock = new ManualClock();
    const risk = makeRisk({ maxOrdersPerSecond: 1, maxOrderNotional: '100' }, {}, clock);
    risk.setMark(BTC, P60K);
    expect(risk.check(0, BTC, BUY, P60K, LOTS_001)).toBe('RISK_MAX_NOTIONAL');
    expect(risk.check(0, BTC, BUY, P60K, 1)).toBeNull();
    expect(risk.check(0, BTC, BUY, P60K, 1)).toBe('RISK_ORDER_RATE');
  });

  it('cancels have their own bucket', () => {
    const clock = new ManualClock();
    const risk = makeRisk({ maxCancelsPerSecond: 2 }, {}, clock);
    expect(risk.takeCancel(0)).toBe(true);
    expect(risk.takeCancel(0)).toBe(true);
    expect(risk.takeCancel(0)).toBe(false);
    clock.advance(500);
    expect(risk.takeCancel(0)).toBe(true);
    expect(risk.takeCancel(0)).toBe(false);
    // no order limit: orders are not affected
    risk.setMark(BTC, P60K);
    for (let i = 0; i < 100; i++) expect(risk.check(0, BTC, BUY, P60K, 1)).toBeNull();
  });

  it('a reload keeps the tokens in hand (at most the new burst); a bucket that had no limit starts full', () => {
    const clock = new ManualClock();
    const risk = makeRisk({ maxOrdersPerSecond: 5 }, {}, clock);
    risk.setMark(BTC, P60K);
    for (let i = 0; i < 5; i++) expect(risk.check(0, BTC, BUY, P60K, 1)).toBeNull();
    risk.adoptLimits(makeRisk({ maxOrdersPerSecond: 50, maxCancelsPerSecond: 1 }));
    expect(risk.check(0, BTC, BUY, P60K, 1)).toBe('RISK_ORDER_RATE'); // still empty
    expect(risk.takeCancel(0)).toBe(true);
    expect(risk.takeCancel(0)).toBe(false);
  });
});

describe('maximum position', () => {
  it('counts the position, the open orders on the same side and the order, per side', () => {
    const risk = makeRisk({ maxPosition: { 'BTC-USDT': '0.02' } }); // 2000 lots
    risk.setMark(BTC, P60K);
    expect(risk.check(0, BTC, BUY, P60K, 1500)).toBeNull(); // open buys 1500
    expect(risk.check(0, BTC, BUY, P60K, 501)).toBe('RISK_MAX_POSITION');
    expect(risk.check(0, BTC, BUY, P60K, 500)).toBeNull(); // open buys 2000
    // sells are counted against the short side: flat position, open sells 2000 at most
    expect(risk.check(0, BTC, SELL, P60K, 2000)).toBeNull();
    expect(risk.check(0, BTC, SELL, P60K, 1)).toBe('RISK_MAX_POSITION');
    expect(risk.explain('RISK_MAX_POSITION', 0, BTC, SELL, P60K, 1)).toContain('maxPosition BTC-USDT 0.02');
    // the first buy fills: position 1500, open buys 500; a cancel of the 500 frees room again
    risk.onFill(0, BTC, 'BUY', P60K, P60K, 1500, true);
    risk.onClose(0, BTC, BUY, P60K, 0);
    expect(risk.check(0, BTC, BUY, P60K, 1)).toBe('RISK_MAX_POSITION');
    risk.onClose(0, BTC, BUY, P60K, 500);
    expect(risk.check(0, BTC, BUY, P60K, 500)).toBeNull();
    // long 1500: a sell may go to 2000 short of the open sells... open sells 2000 already: 1500 - 2000 - 1501 < -2000
    expect(risk.check(0, BTC, SELL, P60K, 1501)).toBe('RISK_MAX_POSITION');
    expect(risk.check(0, BTC, SELL, P60K, 1500)).toBeNull();
  });
});

describe('market orders at the mark', () => {
  it('a market order below the minimum notional at the mark is refused like a limit order', () => {
    const risk = makeRisk();
    risk.setMark(BTC, 300_000); // 3000.00
    expect(risk.check(0, BTC, BUY, 0, 100)).toBe('BELOW_MIN_NOTIONAL'); // 0.001 x 3000 = 3 < 5
    expect(risk.check(0, BTC, BUY, 0, 167)).toBeNull(); // 5.01
    expect(risk.explain('BELOW_MIN_NOTIONAL', 0, BTC, BUY, 0, 100)).toBe(
      'market order worth 3 USDT at the mark 3000.00, below BTC-USDT minNotional 5 USDT',
    );
  });

  it('without a mark a market order has no reference price', () => {
    const risk = makeRisk();
    expect(risk.check(0, BTC, SELL, 0, 100)).toBe('RISK_NO_REFERENCE_PRICE');
  });
});

describe('REDUCING: which orders reduce', () => {
  it('only the side against the position, and not past flat with the open orders on that side', () => {
    const risk = makeRisk();
    risk.setMark(BTC, P60K);
    expect(risk.reduces(0, BTC, BUY, 1)).toBe(false); // flat: nothing reduces
    expect(risk.reduces(0, BTC, SELL, 1)).toBe(false);
    expect(risk.check(0, BTC, BUY, P60K, 1000)).toBeNull();
    risk.onFill(0, BTC, 'BUY', P60K, P60K, 1000, true);
    risk.onClose(0, BTC, BUY, P60K, 0);
    expect(risk.reduces(0, BTC, BUY, 1)).toBe(false);
    expect(risk.reduces(0, BTC, SELL, 1000)).toBe(true);
    expect(risk.reduces(0, BTC, SELL, 1001)).toBe(false);
    expect(risk.check(0, BTC, SELL, P60K, 600)).toBeNull(); // open sells 600
    expect(risk.reduces(0, BTC, SELL, 400)).toBe(true);
    expect(risk.reduces(0, BTC, SELL, 401)).toBe(false);
  });
});

describe('messages name the limit and its value', () => {
  it('strategy and daemon notional limits are told apart', () => {
    const risk = makeRisk({ maxOrderNotional: '500' }, { maxOrderNotional: '550' });
    const s = risk.explain('RISK_MAX_NOTIONAL', 0, BTC, BUY, P60K, LOTS_001);
    expect(s).toBe('order notional 600 USDT above strategy alpha maxOrderNotional 500 USDT');
    const d = makeRisk({}, { maxOrderNotional: '550' }).explain('RISK_MAX_NOTIONAL', 0, BTC, BUY, P60K, LOTS_001);
    expect(d).toBe('order notional 600 USDT above risk.maxOrderNotional 550 USDT');
  });
});
