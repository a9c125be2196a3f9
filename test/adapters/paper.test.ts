/**
 * The paper venue (adapters/paper, the simulated exchange on the crossing engine) through the same conformance
 * suite. Resting orders sit inside the market maker's spread, so a simulated other trader's market order
 * (`PaperVenue.trade`) reaches them first: that is how partial fills and fills are driven. The simulation's own
 * random walk and flow are turned off (volatility 0, no trades) so that nothing else fills them.
 */
import { PaperVenue } from '../../adapters/paper/paper-venue.js';
import { runConformance } from './conformance.js';
import { RecordingSink, sharedInstruments } from './helpers.js';

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
