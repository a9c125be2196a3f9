/**
 * Issue acceptance: a market order is checked at the market data's mark. Without a referencePrice and before any fill,
 * a market sell used to be refused RISK_NO_REFERENCE_PRICE until a first fill; with a consolidated book the mark is its
 * mid, so the order is valued (and held to the minimum notional) at once.
 */
import { describe, expect, it } from 'vitest';
import { marksFromMarket } from '../../src/compose/market-marks.js';
import { MarketData } from '../../src/market/market-data.js';
import { ManualClock } from '../../src/model/clock.js';
import { PreTradeRisk } from '../../src/risk/pre-trade-risk.js';
import { levels } from '../helpers/levels.js';
import { testInstruments } from '../helpers/model.js';

const BTC = 0;
const SELL = 1;

describe('risk marks from the market', () => {
  it('a market sell with no reference price is valued at the consolidated mid once a book is there', () => {
    const clock = new ManualClock();
    const instruments = testInstruments();
    const risk = new PreTradeRisk(instruments, [{ id: 'a', symbols: ['BTC-USDT'] }], {});
    const md = new MarketData(instruments, ['x', 'y'], ['0', '0'], clock, { depth: 3, staleMs: 1000 });
    md.listen(marksFromMarket(risk));
    expect(risk.check(0, BTC, SELL, 0, 1000)).toBe('RISK_NO_REFERENCE_PRICE'); // no book, no fill, no referencePrice
    md.snapshot(0, BTC, levels([[5_999_000, 100]]), levels([[6_001_000, 100]]), 0);
    md.snapshot(1, BTC, levels([[6_000_000, 100]]), levels([[6_002_000, 100]]), 0);
    expect(risk.markOf(BTC)).toBe(6_000_500); // best bid 60000.00 (y), best ask 60010.00 (x)
    expect(risk.check(0, BTC, SELL, 0, 1000)).toBeNull(); // 0.01 BTC at the mark: 600.005 USDT
    // the mark also holds a market order to the minimum notional (5 USDT): 0.00008 BTC is 4.80 USDT
    expect(risk.check(0, BTC, SELL, 0, 8)).toBe('BELOW_MIN_NOTIONAL');
  });
});
