/**
 * The paper venue (adapters/paper, the simulated exchange on the crossing engine) through the same conformance
 * suite. Resting orders sit inside the market maker's spread, so a simulated other trader's market order
 * (`PaperVenue.trade`) reaches them first: that is how partial fills and fills are driven. The simulation's own
 * random walk and flow are turned off (volatility 0, no trades) so that nothing else fills them.
 */
import { describe, expect, it } from 'vitest';
import { PaperVenue } from '../../adapters/paper/paper-venue.js';
import type { VenueOrder } from '../../src/execution/venue.js';
import { runConformance } from './conformance.js';
import { RecordingSink, batch, order, sharedInstruments, until } from './helpers.js';

runConformance('paper', async () => {
  const sink = new RecordingSink();
  const ins = sharedInstruments();
  const btc = ins.get('BTC-USDT')!;
  const mid = btc.priceToTicks('60000');
  if (!mid.ok) throw new Error('mid');
  const venue = new PaperVenue(
    {
      name: 'paper',
      markets: [{ instrument: btc, startMidTicks: mid.value }],
      makerBps: '1',
      takerBps: '2',
      latencyMs: 1,
      seed: 7,
      spreadTicks: 20,
      volatilityTicks: 0,
      depthLevels: 5,
      levelNotional: 10_000,
      tradesPerSecond: 0,
      stepMs: 3_600_000,
    },
    sink,
  );
  await venue.start();
  const q = venue.quote('BTC-USDT')!;
  return {
    adapter: venue,
    sink,
    instrument: btc,
    // inside the spread: first in line for a simulated seller
    restingBuyPrice: btc.ticksToPrice(q.bid + 1),
    marketableBuyPrice: btc.ticksToPrice(q.ask + 10),
    qty: '0.002',
    partQty: '0.0005',
    fill: async (o, qty) => {
      let lots: number;
      if (qty !== undefined) {
        const r = btc.qtyToLots(qty);
        if (!r.ok) throw new Error(`qty ${qty}`);
        lots = r.value;
      } else {
        lots = o.qtyLots - ((await venue.lookup(o.clientOrderId))?.filledLots ?? 0);
      }
      venue.trade('BTC-USDT', 'SELL', lots);
    },
    skip: {
      duplicateReports: 'the paper venue runs in process: there is no transport that could repeat a report',
      fillsSince: 'the paper venue keeps no fill history (fillsSince is not implemented)',
    },
    close: () => venue.stop(),
  };
});

describe('paper venue amend: time priority', () => {
  const setupPaper = async () => {
    const sink = new RecordingSink();
    const btc = sharedInstruments().get('BTC-USDT')!;
    const mid = btc.priceToTicks('60000');
    if (!mid.ok) throw new Error('mid');
    const venue = new PaperVenue(
      { name: 'paper', markets: [{ instrument: btc, startMidTicks: mid.value }], makerBps: '1', takerBps: '2', latencyMs: 1, seed: 7,
        spreadTicks: 20, volatilityTicks: 0, depthLevels: 5, levelNotional: 10_000, tradesPerSecond: 0, stepMs: 3_600_000 },
      sink,
    );
    await venue.start();
    const price = venue.quote('BTC-USDT')!.bid + 1; // alone at its level: our orders only
    const place = (qtyLots: number): VenueOrder => {
      const o = { ...order({ instrument: btc, price: btc.ticksToPrice(price), qty: btc.lotsToQty(qtyLots) }) };
      venue.submit(batch(o));
      return o;
    };
    const amend = (o: VenueOrder, priceTicks: number, qtyLots: number): void => venue.amend({
      orderId: o.orderId, clientOrderId: o.clientOrderId, venueOrderId: undefined, instrument: btc, side: 'BUY', type: 'LIMIT',
      timeInForce: 'GTC', postOnly: false, oldPriceTicks: o.priceTicks, oldQtyLots: o.qtyLots, priceTicks, qtyLots, filledLots: 0,
      newClientOrderId: `${o.clientOrderId}R0`,
    });
    return { sink, venue, price, place, amend };
  };

  it('a quantity decrease at the same price keeps the order first in its queue', async () => {
    const { sink, venue, price, place, amend } = await setupPaper();
    const a = place(100);
    const b = place(100);
    await until(() => sink.has(a.orderId, 'ACCEPTED') && sink.has(b.orderId, 'ACCEPTED'), 'acks');
    amend(a, price, 60);
    await until(() => sink.has(a.orderId, 'AMENDED'), 'AMENDED');
    expect(venue.depthAt('BTC-USDT', 'BUY', price)).toBe(160);
    venue.trade('BTC-USDT', 'SELL', 60);
    expect([sink.filledLots(a.orderId), sink.filledLots(b.orderId)]).toEqual([60, 0]);
    await venue.stop();
  });

  it('a quantity increase or a price change sends it to the back of its level', async () => {
    const { sink, venue, price, place, amend } = await setupPaper();
    const a = place(100);
    const b = place(100);
    await until(() => sink.has(a.orderId, 'ACCEPTED') && sink.has(b.orderId, 'ACCEPTED'), 'acks');
    amend(a, price, 150);
    await until(() => sink.has(a.orderId, 'AMENDED'), 'AMENDED');
    venue.trade('BTC-USDT', 'SELL', 100);
    expect([sink.filledLots(a.orderId), sink.filledLots(b.orderId)]).toEqual([0, 100]);
    // a price change (away and back) loses the place too
    const c = place(100);
    await until(() => sink.has(c.orderId, 'ACCEPTED'), 'ack');
    amend({ ...a, qtyLots: 150 }, price - 1, 150);
    await until(() => sink.kinds(a.orderId).filter((k) => k === 'AMENDED').length === 2, 'second AMENDED');
    amend({ ...a, priceTicks: price - 1, qtyLots: 150 }, price, 150);
    await until(() => sink.kinds(a.orderId).filter((k) => k === 'AMENDED').length === 3, 'third AMENDED');
    venue.trade('BTC-USDT', 'SELL', 100);
    expect([sink.filledLots(a.orderId), sink.filledLots(c.orderId)]).toEqual([0, 100]);
    // one live order per intent: the engine holds a once, under its own id, with the new terms
    expect(venue.depthAt('BTC-USDT', 'BUY', price)).toBe(150);
    expect(sink.kinds(a.orderId).filter((k) => k === 'ACCEPTED' || k === 'CANCELED')).toEqual(['ACCEPTED']);
    await venue.stop();
  });
});
