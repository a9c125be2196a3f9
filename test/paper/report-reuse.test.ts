/**
 * The paper venue allocates no report object per FILL or ACCEPTED for a sink that reads each report during its call
 * only (ReportSink.readsReportsOnce), and reuses the objects of orders it has forgotten: what any sink sees, and what
 * the venue answers, stay exactly what a sink that keeps its reports gets (same seeded market, same requests).
 */
import { describe, expect, it } from 'vitest';
import { PaperVenue, type PaperVenueOptions } from '../../adapters/paper/paper-venue.js';
import { ArrayOrderBatch, type ExecutionReport, type VenueOrder } from '../../src/execution/venue.js';
import { Instrument } from '../../src/model/instrument.js';

const BTC = new Instrument({ symbol: 'BTC-USDT', base: 'BTC', quote: 'USDT', tickSize: '0.01', lotSize: '0.00001' }, 0);
const MID = 6_000_000;

function options(retainFinished: number): PaperVenueOptions {
  return {
    name: 'sim', markets: [{ instrument: BTC, startMidTicks: MID }], makerBps: '1', takerBps: '5', latencyMs: 0,
    seed: 11, spreadTicks: 4, volatilityTicks: 2, depthLevels: 5, levelNotional: 600, tradesPerSecond: 40, stepMs: 1000,
    retainFinished, now: () => 1_700_000_000_000,
  };
}

/** A small deterministic generator (the test's own: the same requests for both venues). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** `readsReportsOnce` false: the reference (see below). */
async function scenario(retainFinished: number, readsReportsOnce: boolean) {
  const seen: ExecutionReport[] = [];
  const objects = new Set<ExecutionReport>();
  const venue = new PaperVenue(options(retainFinished), {
    ...(readsReportsOnce ? { readsReportsOnce: true } : {}),
    report: (_v, r) => {
      seen.push({ ...r }); // its contents at the call
      objects.add(r);
    },
  });
  if (!readsReportsOnce) {
    // the reference: the same venue with its reuse of forgotten orders' objects switched off (none given back, no
    // room for spare OurOrders), and a sink that keeps reports (a new object per report)
    const orders = (venue as unknown as { orders: { giveBack: () => void; spareOurs: unknown[] } }).orders;
    orders.giveBack = () => {};
    orders.spareOurs = [];
  }
  const rnd = lcg(5);
  const answers: unknown[] = [];
  let id = 0;
  const ask = async (from: number): Promise<void> => {
    for (let c = Math.max(1, from); c <= id; c++) answers.push(await venue.lookup(`c${c}`));
    answers.push(await venue.openOrders([BTC]));
  };
  for (let round = 0; round < 120; round++) {
    const batch: VenueOrder[] = [];
    const n = 1 + Math.floor(rnd() * 4);
    for (let k = 0; k < n; k++) {
      id++;
      const r = rnd();
      const side = rnd() < 0.5 ? 'BUY' : 'SELL';
      const away = Math.floor(rnd() * 8) - 3; // some cross, some rest
      const priceTicks = side === 'BUY' ? MID + away : MID - away;
      batch.push({
        orderId: id, clientOrderId: `c${rnd() < 0.1 ? id - 1 : id}`, instrument: BTC, side,
        type: r < 0.25 ? 'MARKET' : 'LIMIT', timeInForce: r < 0.25 ? 'IOC' : r < 0.35 ? 'FOK' : 'GTC', postOnly: r > 0.9,
        priceTicks: r < 0.25 ? 0 : priceTicks, stopTicks: 0, qtyLots: 100 + Math.floor(rnd() * 2000),
      });
    }
    venue.submit(new ArrayOrderBatch(batch));
    if (rnd() < 0.3) venue.cancel({ orderId: Math.max(1, id - Math.floor(rnd() * 6)), clientOrderId: '', venueOrderId: undefined, instrument: BTC });
    if (rnd() < 0.2) {
      const target = Math.max(1, id - Math.floor(rnd() * 4));
      venue.amend({
        orderId: target, clientOrderId: `c${target}`, venueOrderId: undefined, instrument: BTC, side: 'BUY', type: 'LIMIT', timeInForce: 'GTC',
        postOnly: false, oldPriceTicks: MID, oldQtyLots: 3000, priceTicks: MID - 5, qtyLots: 3000, filledLots: 0, newClientOrderId: '',
      });
    }
    // what the venue answers with requests on their way, and once they arrived: the newest orders each time, every
    // order every tenth round (live, retained finished, forgotten)
    await ask(round % 10 === 9 ? 1 : id - 8);
    if (rnd() < 0.5) venue.advance(1);
    await turn();
    await ask(round % 10 === 4 ? 1 : id - 8);
  }
  answers.push(await venue.openOrders([BTC]), venue.structureSizes());
  await venue.stop();
  return { seen, objects, answers };
}

describe('paper venue: reused report and order objects', () => {
  for (const retain of [0, 1, 3, 4096]) {
    it(`reports and answers are the reference's: a new object per report, no object reused (retainFinished ${retain})`, async () => {
      const keeping = await scenario(retain, false);
      const once = await scenario(retain, true);
      expect(keeping.seen.filter((r) => r.kind === 'FILL').length).toBeGreaterThan(50);
      expect(once.seen).toEqual(keeping.seen);
      expect(once.answers).toEqual(keeping.answers);
      // a keeping sink gets a new object per report; the other one the same FILL and ACCEPTED objects again
      expect(keeping.objects.size).toBe(keeping.seen.length);
      const kinds = (s: Set<ExecutionReport>, kind: string) => [...s].filter((r) => r.kind === kind).length;
      expect(kinds(once.objects, 'FILL')).toBe(1);
      expect(kinds(once.objects, 'ACCEPTED')).toBeLessThanOrEqual(2); // (mirror-mode and amend accepts are new objects)
    });
  }
});
