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
