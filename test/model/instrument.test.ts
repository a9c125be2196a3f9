import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Instrument, InstrumentRegistry, type InstrumentSpec } from '../../src/model/instrument.js';
import { notionalUnits } from '../../src/model/decimal.js';

const BTC: InstrumentSpec = {
  symbol: 'BTCUSDT',
  base: 'BTC',
  quote: 'USDT',
  tickSize: '0.01',
  lotSize: '0.00001',
  minQty: '0.0001',
  minNotional: '5',
};
const ETH: InstrumentSpec = { symbol: 'ETHUSDT', base: 'ETH', quote: 'USDT', tickSize: '0.01', lotSize: '0.0001' };
const DOGE: InstrumentSpec = { symbol: 'DOGEUSDT', base: 'DOGE', quote: 'USDT', tickSize: '0.00001', lotSize: '1', minNotional: '1.000005' };

describe('Instrument', () => {
  it('converts prices and quantities exactly', () => {
    const ins = new Instrument(BTC, 0);
    expect(ins.priceToTicks('65000.12')).toEqual({ ok: true, value: 6_500_012 });
    expect(ins.qtyToLots('0.5')).toEqual({ ok: true, value: 50_000 });
    expect(ins.ticksToPrice(6_500_012)).toBe('65000.12');
    expect(ins.lotsToQty(50_000)).toBe('0.50000');
    expect(ins.priceToTicks('65000.123')).toEqual({ ok: false, error: 'OFF_GRID' });
    expect(ins.qtyToLots('0.000001')).toEqual({ ok: false, error: 'OFF_GRID' });
    expect(ins.qtyToLots('-1')).toEqual({ ok: false, error: 'NOT_A_DECIMAL' });
    expect(ins.priceToTicks('1e3')).toEqual({ ok: false, error: 'NOT_A_DECIMAL' });
  });

  it('keeps identity fields and the index', () => {
    const ins = new Instrument(BTC, 3);
    expect(ins).toMatchObject({ symbol: 'BTCUSDT', base: 'BTC', quote: 'USDT', index: 3 });
    expect(ins.tick.text).toBe('0.01');
    expect(ins.lot.text).toBe('0.00001');
  });

  it('minQty is in lots; it defaults to one lot', () => {
    expect(new Instrument(BTC, 0).minQtyLots).toBe(10);
    expect(new Instrument(ETH, 0).minQtyLots).toBe(1);
  });

  it('rejects a minQty that is zero, off the lot grid or not a decimal', () => {
    for (const minQty of ['0', '0.000001', 'abc', '-1']) {
      expect(() => new Instrument({ ...BTC, minQty }, 0), minQty).toThrow(RangeError);
    }
  });

  it('minNotional is in tick x lot units, rounded up; it defaults to 0', () => {
    // 5 USDT / (0.01 x 0.00001) = 5e7 units
    expect(new Instrument(BTC, 0).minNotionalUnits).toBe(50_000_000);
    expect(new Instrument(ETH, 0).minNotionalUnits).toBe(0);
    // 1.000005 / 0.00001 = 100000.5 -> 100001 units: an order at exactly 1.00000 is below the minimum
    expect(new Instrument(DOGE, 0).minNotionalUnits).toBe(100_001);
  });

  it('a notional compares against minNotionalUnits exactly', () => {
    const ins = new Instrument(BTC, 0);
    const at = (price: string, qty: string): number => {
      const p = ins.priceToTicks(price);
      const q = ins.qtyToLots(qty);
      if (!p.ok || !q.ok) throw new Error('off grid');
      return notionalUnits(p.value, q.value);
    };
    expect(at('50000', '0.0001')).toBeGreaterThanOrEqual(ins.minNotionalUnits); // 5.00 USDT
    expect(at('49999.99', '0.0001')).toBeLessThan(ins.minNotionalUnits); // 4.999999 USDT
    expect(ins.notional.toText(ins.minNotionalUnits)).toBe('5.0000000');
  });

  it('rejects a minNotional that is not a decimal', () => {
    expect(() => new Instrument({ ...BTC, minNotional: '-5' }, 0)).toThrow(RangeError);
    expect(() => new Instrument({ ...BTC, minNotional: 'five' }, 0)).toThrow(RangeError);
  });

  it('rejects tick and lot sizes that are not positive decimals', () => {
    expect(() => new Instrument({ ...BTC, tickSize: '0' }, 0)).toThrow(RangeError);
    expect(() => new Instrument({ ...BTC, lotSize: '1e-5' }, 0)).toThrow(RangeError);
  });
});

/** The average price as defined: notional / lots in ticks, times the tick, truncated to its decimals + 8, no trailing zeros. */
function referenceAverage(tickSize: string, notional: number, lots: number): string {
  const [intPart, frac = ''] = tickSize.split('.');
  const tickUnits = BigInt(intPart + frac);
  const scale = frac.length + 8;
  const units = (BigInt(notional) * 10n ** 8n * tickUnits) / BigInt(lots);
  const digits = units.toString().padStart(scale + 1, '0');
  const text = `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  return text.replace(/\.?0+$/, '');
}

describe('Instrument.averagePrice', () => {
  const ticks = ['0.01', '0.5', '0.00001', '1', '25', '0.1'];

  it('is the exact average, truncated, for fills at one price and at several (the same text again from its cache)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ticks),
        fc.array(fc.record({ price: fc.integer({ min: 1, max: 10_000_000 }), lots: fc.integer({ min: 1, max: 100_000 }) }), { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        (tickSize, fills, samePrice) => {
          const ins = new Instrument({ symbol: 'X', base: 'X', quote: 'Y', tickSize, lotSize: '1' }, 0);
          let notional = 0;
          let lots = 0;
          for (const f of fills) {
            notional += (samePrice ? fills[0]!.price : f.price) * f.lots;
            lots += f.lots;
          }
          const want = referenceAverage(tickSize, notional, lots);
          expect(ins.averagePrice(notional, lots)).toBe(want);
          expect(ins.averagePrice(notional, lots)).toBe(want);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('drops the point with the zeros, keeps significant ones, and gives null for nothing filled', () => {
    const ins = new Instrument(BTC, 0);
    expect(ins.averagePrice(6_000_000 * 3, 3)).toBe('60000');
    expect(ins.averagePrice(6_000_010 * 2, 2)).toBe('60000.1');
    expect(ins.averagePrice(6_000_012, 1)).toBe('60000.12');
    // 60000.12 and 60000.13, one lot each: 60000.125
    expect(ins.averagePrice(6_000_012 + 6_000_013, 2)).toBe('60000.125');
    // a third: truncated at 10 decimals
    expect(ins.averagePrice(6_000_012 * 2 + 6_000_013, 3)).toBe('60000.1233333333');
    // 33 apart: the same cache entry, each its own text
    expect(ins.averagePrice(33, 1)).toBe('0.33');
    expect(ins.averagePrice(1, 1)).toBe('0.01');
    expect(ins.averagePrice(33, 1)).toBe('0.33');
    expect(ins.averagePrice(0, 0)).toBeNull();
  });
});

describe('InstrumentRegistry', () => {
  it('looks instruments up by symbol and by index, in configuration order', () => {
    const reg = new InstrumentRegistry([BTC, ETH, DOGE]);
    expect(reg.list.map((i) => i.symbol)).toEqual(['BTCUSDT', 'ETHUSDT', 'DOGEUSDT']);
    expect(reg.list.map((i) => i.index)).toEqual([0, 1, 2]);
    expect(reg.get('ETHUSDT')?.index).toBe(1);
    expect(reg.at(2).symbol).toBe('DOGEUSDT');
    expect(reg.get('XRPUSDT')).toBeUndefined();
    expect(reg.get('btcusdt')).toBeUndefined();
    expect(() => reg.at(3)).toThrow(RangeError);
    expect(() => reg.at(-1)).toThrow(RangeError);
  });

  it('rejects a duplicate symbol', () => {
    expect(() => new InstrumentRegistry([BTC, ETH, { ...BTC, tickSize: '0.1' }])).toThrow(/duplicate instrument BTCUSDT/);
  });

  it('an empty registry is valid', () => {
    const reg = new InstrumentRegistry([]);
    expect(reg.list).toEqual([]);
    expect(reg.get('BTCUSDT')).toBeUndefined();
  });
});
