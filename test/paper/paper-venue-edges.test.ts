/**
 * The paper venue at its edges: the market maker's ladder after a mid move larger than half the spread, a post-only
 * order the engine refuses, and an amend the engine refuses (level total past 2^53 - 1).
 */
import { describe, expect, it } from 'vitest';
import { PaperVenue, type PaperVenueOptions } from '../../adapters/paper/paper-venue.js';
import { ArrayOrderBatch, type ExecutionReport, type VenueOrder } from '../../src/execution/venue.js';
import { Instrument } from '../../src/model/instrument.js';

const BTC = new Instrument({ symbol: 'BTC-USDT', base: 'BTC', quote: 'USDT', tickSize: '0.01', lotSize: '0.00001' }, 0);
const MID = 6_000_000;

function venue(overrides: Partial<PaperVenueOptions> = {}): { v: PaperVenue; reports: ExecutionReport[] } {
  const reports: ExecutionReport[] = [];
  const v = new PaperVenue({
    name: 'sim', markets: [{ instrument: BTC, startMidTicks: MID }], makerBps: '1', takerBps: '5', latencyMs: 0,
    seed: 7, spreadTicks: 4, volatilityTicks: 0, depthLevels: 5, levelNotional: 600, tradesPerSecond: 0, stepMs: 1000,
    ...overrides,
  }, { report: (_name, r) => reports.push(r) });
  return { v, reports };
}

function order(id: number, fields: Partial<VenueOrder>): VenueOrder {
  return {
    orderId: id, clientOrderId: `c${id}`, instrument: BTC, side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', postOnly: false,
    priceTicks: 0, stopTicks: 0, qtyLots: 1000, ...fields,
  };
}

async function until(fn: () => boolean): Promise<void> {
  for (let i = 0; i < 5000 && !fn(); i++) await new Promise((r) => setTimeout(r, 2));
  if (!fn()) throw new Error('timed out');
}

const kinds = (reports: ExecutionReport[], id: number) => reports.filter((r) => r.orderId === id).map((r) => r.kind);

describe('simulated market maker', () => {
  // spreadTicks 1 is a one-tick market; a step of the mid larger than half the spread happens with any volatility >= 1
  for (const [spreadTicks, volatilityTicks] of [[1, 1], [2, 3], [4, 10]] as const) {
    it(`keeps its ladder around the mid when the mid moves more than half the spread (spread ${spreadTicks}, volatility ${volatilityTicks})`, () => {
      const { v } = venue({ spreadTicks, volatilityTicks, depthLevels: 5 });
      for (let step = 0; step < 40; step++) {
        v.advance(1);
        const q = v.quote('BTC-USDT')!;
        // no other traders (tradesPerSecond 0): every step leaves the configured ladder — both sides quoted, the
        // configured spread, depthLevels levels each
        expect({ step, spread: q.ask - q.bid }).toEqual({ step, spread: spreadTicks });
        expect({ step, bids: v.bookLevels('BTC-USDT', 'BUY').length, asks: v.bookLevels('BTC-USDT', 'SELL').length })
          .toEqual({ step, bids: 5, asks: 5 });
      }
    });
  }
});

describe('refusals by the engine are reported once, as what they are', () => {
  it('a post-only order the engine refuses (its level would pass 2^53 - 1 lots) is REJECTED, never ACCEPTED first', async () => {
    const { v, reports } = venue();
    const far = MID - 100; // below the market maker's ladder: our orders only
    v.submit(new ArrayOrderBatch([order(1, { priceTicks: far, qtyLots: 2 ** 52 })]));
    await until(() => kinds(reports, 1).includes('ACCEPTED'));
    v.submit(new ArrayOrderBatch([order(2, { priceTicks: far, qtyLots: 2 ** 52, postOnly: true })]));
    await until(() => kinds(reports, 2).length > 0 && kinds(reports, 2).at(-1) === 'REJECTED');
    expect(kinds(reports, 2)).toEqual(['REJECTED']);
    expect(v.depthAt('BTC-USDT', 'BUY', far)).toBe(2 ** 52);
  });

  it('an amend the engine cannot apply (the new level total would pass 2^53 - 1 lots) is AMEND_REJECTED; the order stays as it was', async () => {
    const { v, reports } = venue();
    const far = MID - 100;
    v.submit(new ArrayOrderBatch([order(1, { priceTicks: far, qtyLots: 2 ** 52 }), order(2, { priceTicks: far - 1, qtyLots: 1000 })]));
    await until(() => kinds(reports, 1).includes('ACCEPTED') && kinds(reports, 2).includes('ACCEPTED'));
    // move order 2 onto order 1's level with a quantity that does not fit there
    v.amend({
      orderId: 2, clientOrderId: 'c2', venueOrderId: undefined, instrument: BTC, side: 'BUY', type: 'LIMIT', timeInForce: 'GTC',
      postOnly: false, oldPriceTicks: far - 1, oldQtyLots: 1000, priceTicks: far, qtyLots: 2 ** 52, filledLots: 0, newClientOrderId: 'c2R0',
    });
    await until(() => kinds(reports, 2).length > 1);
    await new Promise((r) => setTimeout(r, 10)); // anything reported right after
    expect(kinds(reports, 2)).toEqual(['ACCEPTED', 'AMEND_REJECTED']);
    // still live, unchanged: resting at its old price with its old quantity, and the venue says so
    expect(v.depthAt('BTC-USDT', 'BUY', far - 1)).toBe(1000);
    expect(v.depthAt('BTC-USDT', 'BUY', far)).toBe(2 ** 52);
    expect(await v.lookup('c2')).toMatchObject({ state: 'OPEN', priceTicks: far - 1, qtyLots: 1000 });
  });

  it('an amend up at the same price that does not fit is AMEND_REJECTED; the order keeps its place', async () => {
    const { v, reports } = venue();
    const far = MID - 100;
    v.submit(new ArrayOrderBatch([order(1, { priceTicks: far, qtyLots: 2 ** 52 }), order(2, { priceTicks: far, qtyLots: 1000 })]));
    await until(() => kinds(reports, 1).includes('ACCEPTED') && kinds(reports, 2).includes('ACCEPTED'));
    v.amend({
      orderId: 2, clientOrderId: 'c2', venueOrderId: undefined, instrument: BTC, side: 'BUY', type: 'LIMIT', timeInForce: 'GTC',
      postOnly: false, oldPriceTicks: far, oldQtyLots: 1000, priceTicks: far, qtyLots: 2 ** 52, filledLots: 0, newClientOrderId: 'c2R0',
    });
    await until(() => kinds(reports, 2).length > 1);
    await new Promise((r) => setTimeout(r, 10));
    expect(kinds(reports, 2)).toEqual(['ACCEPTED', 'AMEND_REJECTED']);
    expect(v.depthAt('BTC-USDT', 'BUY', far)).toBe(2 ** 52 + 1000);
    expect(await v.lookup('c2')).toMatchObject({ state: 'OPEN', qtyLots: 1000 });
  });
});

describe('an amend the engine would refuse is refused before anything changes', () => {
  it('a new price above the engine\'s largest (2^52 ticks) is AMEND_REJECTED; the order stays as it was', async () => {
    const { v, reports } = venue();
    const far = MID - 100;
    v.submit(new ArrayOrderBatch([order(1, { priceTicks: far, qtyLots: 1 })]));
    await until(() => kinds(reports, 1).includes('ACCEPTED'));
    // a safe integer the daemon lets through (price x quantity fits), but past MAX_PRICE: the engine refuses the entry
    v.amend({
      orderId: 1, clientOrderId: 'c1', venueOrderId: undefined, instrument: BTC, side: 'BUY', type: 'LIMIT', timeInForce: 'GTC',
      postOnly: false, oldPriceTicks: far, oldQtyLots: 1, priceTicks: 2 ** 52 + 1, qtyLots: 1, filledLots: 0, newClientOrderId: 'c1R0',
    });
    await until(() => kinds(reports, 1).length > 1);
    await new Promise((r) => setTimeout(r, 10)); // anything reported right after
    expect(kinds(reports, 1)).toEqual(['ACCEPTED', 'AMEND_REJECTED']);
    expect(v.depthAt('BTC-USDT', 'BUY', far)).toBe(1);
    expect(await v.lookup('c1')).toMatchObject({ state: 'OPEN', priceTicks: far, qtyLots: 1 });
  });
});
