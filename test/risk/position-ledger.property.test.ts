/**
 * Properties of the position ledger over random fill sequences (both sides, partial closes, flips, prices and sizes
 * up to far past 2^53 in their products, fees of any scale and sign in three currencies, several strategies,
 * instruments and venues), each checked against sums kept here independently:
 *  - a row's quantity is the signed sum of its fills' lots;
 *  - realised - cost is exactly the quote cash its fills moved (fine units), and a flat row holds no cost;
 *  - while a row only grows from flat, its cost is exactly the sum of its fills' lots x price;
 *  - a venue's flows are what its fills moved per currency (+ base bought, - quote paid, - fees), exactly;
 *  - export then import (a journal snapshot) gives the same rows, flows and fill counts.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FINE_EXTRA, PositionLedger } from '../../src/risk/position-ledger.js';
import { parseSignedDecimal, signedDecimalText } from '../../src/model/decimal.js';
import { testInstruments, testStore } from '../helpers/model.js';

const instruments = testInstruments();
const VENUES = ['binance', 'okx'] as const;
const STRATEGIES = ['alpha', 'beta'] as const;
const FINE = 10n ** BigInt(FINE_EXTRA);

interface Fill {
  readonly strategy: number;
  readonly instrument: number;
  readonly venue: number;
  readonly sign: 1 | -1;
  readonly priceTicks: number;
  readonly qtyLots: number;
  readonly fee: string;
  readonly feeCurrency: string;
}

const decimalText = fc.tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 20n }), fc.nat(12)).map(([neg, u, scale]) => signedDecimalText(neg ? -u : u, scale));

const fillArb = (instrumentCount: number): fc.Arbitrary<Fill> => fc.record({
  strategy: fc.nat(STRATEGIES.length - 1),
  instrument: fc.nat(instrumentCount - 1),
  venue: fc.nat(VENUES.length - 1),
  sign: fc.constantFrom<1 | -1>(1, -1),
  priceTicks: fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })),
  qtyLots: fc.oneof(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })),
  fee: fc.oneof(fc.constant('0'), decimalText),
  // '' = the instrument's quote (fills journaled before fee currencies were recorded)
  feeCurrency: fc.constantFrom('', 'USDT', 'BTC', 'BNB'),
});

/** An exact signed decimal sum per currency (units at the largest scale seen). */
class Sums {
  readonly map = new Map<string, { units: bigint; scale: number }>();
  add(currency: string, units: bigint, scale: number): void {
    const s = this.map.get(currency) ?? { units: 0n, scale: 0 };
    const k = Math.max(s.scale, scale);
    this.map.set(currency, { units: s.units * 10n ** BigInt(k - s.scale) + units * 10n ** BigInt(k - scale), scale: k });
  }
}

/** units / 10^scale as one normalised text (so sums kept at different scales compare). */
const valueText = (units: bigint, scale: number): string => {
  let u = units;
  let s = scale;
  while (s > 0 && u % 10n === 0n) {
    u /= 10n;
    s--;
  }
  return signedDecimalText(u, s);
};

const flowTexts = (flows: ReadonlyMap<string, { units: bigint; scale: number }>): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [c, s] of flows) if (s.units !== 0n) out[c] = valueText(s.units, s.scale);
  return out;
};

function ledger(): PositionLedger {
  const store = testStore({ instruments, strategies: [...STRATEGIES], venues: [...VENUES] });
  return new PositionLedger(store, [...STRATEGIES], () => 0);
}

/** Average cost in bigints, as the ledger's header defines it: the closed part's cost rounded half away from zero to a fine unit. */
class ReferenceRow {
  qty = 0n;
  cost = 0n;
  realised = 0n;
  fill(lots: bigint, priceTicks: number): void {
    const p = BigInt(priceTicks) * FINE;
    let d = lots;
    if (this.qty !== 0n && (this.qty > 0n) !== (d > 0n)) {
      const abs = this.qty < 0n ? -this.qty : this.qty;
      const close = (d < 0n ? -d : d) < abs ? (d < 0n ? -d : d) : abs;
      const num = this.cost * close;
      const q = num / abs;
      const r = num % abs;
      const closedCost = 2n * (r < 0n ? -r : r) >= abs ? (num < 0n ? q - 1n : q + 1n) : q;
      const qsign = this.qty > 0n ? 1n : -1n;
      this.realised += qsign * close * p - closedCost;
      this.cost -= closedCost;
      this.qty -= qsign * close;
      d += qsign * close;
    }
    if (d !== 0n) {
      this.cost += d * p;
      this.qty += d;
    }
  }
}

describe('PositionLedger (properties)', () => {
  it('every row is exactly the average-cost reference after every fill (partial closes, flips, values past 2^53)', () => {
    const fills = fc.array(fc.record({
      row: fc.nat(2),
      sign: fc.constantFrom<1 | -1>(1, -1),
      priceTicks: fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 10_000_000 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })),
      qtyLots: fc.oneof(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })),
    }), { minLength: 1, maxLength: 60 });
    fc.assert(fc.property(fills, (list) => {
      const positions = ledger();
      const refs = [new ReferenceRow(), new ReferenceRow(), new ReferenceRow()];
      for (const f of list) {
        positions.apply(0, f.row, 'binance', f.sign, f.priceTicks, f.qtyLots, '0', '');
        refs[f.row]!.fill(BigInt(f.sign * f.qtyLots), f.priceTicks);
        const row = positions.export().find((r) => r.symbol === instruments.at(f.row).symbol)!;
        expect([row.qtyLots, row.cost, row.realised]).toEqual([refs[f.row]!.qty.toString(), refs[f.row]!.cost.toString(), refs[f.row]!.realised.toString()]);
      }
    }), { numRuns: 400 });
  });

  it('every row is exactly the reference when fills come in few sizes and prices (whole closes, flips, reused bigints)', () => {
    const fills = fc.array(fc.record({
      row: fc.nat(1),
      sign: fc.constantFrom<1 | -1>(1, -1),
      priceTicks: fc.constantFrom(100, 101, 6_000_000, Number.MAX_SAFE_INTEGER),
      qtyLots: fc.constantFrom(1, 2, 3, 1000),
    }), { minLength: 1, maxLength: 80 });
    fc.assert(fc.property(fills, (list) => {
      const positions = ledger();
      const refs = [new ReferenceRow(), new ReferenceRow()];
      for (const f of list) {
        positions.apply(0, f.row, 'binance', f.sign, f.priceTicks, f.qtyLots, '0', '');
        refs[f.row]!.fill(BigInt(f.sign * f.qtyLots), f.priceTicks);
        const row = positions.export().find((r) => r.symbol === instruments.at(f.row).symbol)!;
        expect([row.qtyLots, row.cost, row.realised]).toEqual([refs[f.row]!.qty.toString(), refs[f.row]!.cost.toString(), refs[f.row]!.realised.toString()]);
      }
    }), { numRuns: 400 });
  });

  it('rows, cash, costs and venue flows are exactly what the fills moved, and survive a snapshot', () => {
    fc.assert(fc.property(fc.array(fillArb(instruments.list.length), { minLength: 1, maxLength: 40 }), (fills) => {
      const positions = ledger();
      const qty = new Map<string, bigint>();
      const cash = new Map<string, bigint>();
      /** The cost of rows that only grew since they were last flat (undefined: a row that closed part of itself). */
      const growing = new Map<string, bigint | undefined>();
      const flows = new Map<string, Sums>();
      for (const f of fills) {
        const ins = instruments.at(f.instrument);
        const venue = VENUES[f.venue]!;
        const key = `${STRATEGIES[f.strategy]}|${ins.symbol}|${venue}`;
        positions.apply(f.strategy, f.instrument, venue, f.sign, f.priceTicks, f.qtyLots, f.fee, f.feeCurrency);
        const lots = BigInt(f.sign * f.qtyLots);
        const before = qty.get(key) ?? 0n;
        const after = before + lots;
        qty.set(key, after);
        cash.set(key, (cash.get(key) ?? 0n) - lots * BigInt(f.priceTicks));
        const wasGrowing = before === 0n ? 0n : growing.get(key);
        const grows = before === 0n || (before > 0n) === (lots > 0n);
        growing.set(key, grows && wasGrowing !== undefined ? wasGrowing + lots * BigInt(f.priceTicks) * FINE : undefined);
        let sums = flows.get(venue);
        if (sums === undefined) flows.set(venue, (sums = new Sums()));
        const lot = parseSignedDecimal(ins.lot.text)!;
        const tick = parseSignedDecimal(ins.tick.text)!;
        sums.add(ins.base, lots * lot.units, lot.scale);
        sums.add(ins.quote, -lots * BigInt(f.priceTicks) * tick.units * lot.units, tick.scale + lot.scale);
        const fee = parseSignedDecimal(f.fee)!;
        sums.add(f.feeCurrency === '' ? ins.quote : f.feeCurrency, -fee.units, fee.scale);
      }
      const exported = positions.export();
      for (const row of exported) {
        const key = `${row.strategy}|${row.symbol}|${row.venue}`;
        expect(BigInt(row.qtyLots)).toBe(qty.get(key));
        // realised - cost = the quote cash moved, in fine units; flat rows hold no cost
        expect(BigInt(row.realised) - BigInt(row.cost)).toBe(cash.get(key)! * FINE);
        if (qty.get(key) === 0n) expect(row.cost).toBe('0');
        const g = growing.get(key);
        if (g !== undefined) expect(BigInt(row.cost)).toBe(g);
      }
      expect(exported.reduce((n, r) => n + r.fills, 0)).toBe(fills.length);
      for (const venue of VENUES) expect(flowTexts(positions.venueFlows(venue))).toEqual(flowTexts(flows.get(venue)?.map ?? new Map()));
      // a snapshot restores the same
      const restored = ledger();
      restored.import(JSON.parse(JSON.stringify(exported)));
      expect(restored.list()).toEqual(positions.list());
      expect(restored.export()).toEqual(exported);
      for (const venue of VENUES) expect(flowTexts(restored.venueFlows(venue))).toEqual(flowTexts(positions.venueFlows(venue)));
      // and goes on from there like the original
      const more = fills.slice(0, 5);
      for (const f of more) {
        positions.apply(f.strategy, f.instrument, VENUES[f.venue]!, f.sign, f.priceTicks, f.qtyLots, f.fee, f.feeCurrency);
        restored.apply(f.strategy, f.instrument, VENUES[f.venue]!, f.sign, f.priceTicks, f.qtyLots, f.fee, f.feeCurrency);
      }
      expect(restored.export()).toEqual(positions.export());
      for (const venue of VENUES) expect(flowTexts(restored.venueFlows(venue))).toEqual(flowTexts(positions.venueFlows(venue)));
    }), { numRuns: 120 });
  });
});
