/**
 * The paper venue's requests on their way (its one-way latency): every batch, cancel and amend arrives after the
 * latency, in the order it was sent, and interleaved with the rest of the process's callbacks of the same delay as a
 * timer per request would be (latency 0: an immediate, the next event-loop turn). On random streams of batches, cancels
 * and amends sent in waves (the requests on their way wrap around and outgrow the venue's ring), mixed with the test's
 * own callbacks (markers) set between them, the log of reports and markers is the one the rule gives: the requests'
 * reports and the markers in the order they were sent, each request's reports as a model of its resting orders says.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PaperVenue } from '../../adapters/paper/paper-venue.js';
import { ArrayOrderBatch, type VenueOrder } from '../../src/execution/venue.js';
import { Instrument } from '../../src/model/instrument.js';

const BTC = new Instrument({ symbol: 'BTC-USDT', base: 'BTC', quote: 'USDT', tickSize: '0.01', lotSize: '0.00001' }, 0);
const MID = 6_000_000;

type Op =
  | { readonly kind: 'batch'; readonly n: number }
  | { readonly kind: 'cancel'; readonly pick: number }
  | { readonly kind: 'amend'; readonly pick: number }
  | { readonly kind: 'marker' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('batch' as const), n: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('amend' as const), pick: fc.nat() }),
  fc.constant({ kind: 'marker' as const }),
);

async function until(fn: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function check(latencyMs: number, waves: Op[][]): Promise<void> {
  const log: string[] = [];
  const v = new PaperVenue(
    {
      name: 'sim', markets: [{ instrument: BTC, startMidTicks: MID }], makerBps: '1', takerBps: '5', latencyMs,
      seed: 3, spreadTicks: 4, volatilityTicks: 0, depthLevels: 3, levelNotional: 600, tradesPerSecond: 0, stepMs: 1000,
    },
    { report: (_name, r) => log.push(`${r.kind}:${r.orderId}`) },
  );
  // The model: which orders rest (bids far below the market: nothing trades) and their quantities.
  const resting = new Map<number, number>();
  const expected: string[] = [];
  let nextId = 0;
  let markers = 0;
  for (const wave of waves) {
    let sent = 0;
    for (const op of wave) {
      if (op.kind === 'batch') {
        const orders: VenueOrder[] = [];
        for (let i = 0; i < op.n; i++) {
          const id = ++nextId;
          orders.push({
            orderId: id, clientOrderId: `c${id}`, instrument: BTC, side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', postOnly: false,
            priceTicks: MID - 1000 - (id % 7), stopTicks: 0, qtyLots: 1000,
          });
          resting.set(id, 1000);
          expected.push(`ACCEPTED:${id}`);
        }
        v.submit(new ArrayOrderBatch(orders));
        sent++;
      } else if (op.kind === 'cancel') {
        const id = 1 + (op.pick % (nextId + 2)); // now and then one never sent
        v.cancel({ orderId: id, clientOrderId: `c${id}`, venueOrderId: undefined, instrument: BTC });
        expected.push(`${resting.delete(id) ? 'CANCELED' : 'CANCEL_REJECTED'}:${id}`);
        sent++;
      } else if (op.kind === 'amend') {
        const id = 1 + (op.pick % (nextId + 2));
        const qty = resting.get(id) ?? 1000;
        const price = MID - 1000 - (id % 7);
        v.amend({
          orderId: id, clientOrderId: `c${id}`, venueOrderId: undefined, instrument: BTC, side: 'BUY', type: 'LIMIT', timeInForce: 'GTC',
          postOnly: false, oldPriceTicks: price, oldQtyLots: qty, priceTicks: price, qtyLots: qty - 1, filledLots: 0, newClientOrderId: `c${id}R`,
        });
        if (resting.has(id)) resting.set(id, qty - 1);
        expected.push(`${resting.has(id) ? 'AMENDED' : 'AMEND_REJECTED'}:${id}`);
        sent++;
      } else {
        const m = `M${++markers}`;
        if (latencyMs === 0) setImmediate(() => log.push(m));
        else setTimeout(() => log.push(m), latencyMs);
        expected.push(m);
      }
    }
    expect(v.structureSizes().timers).toBe(sent); // every request is on its way: none answered synchronously
    const n = expected.length;
    await until(() => log.length >= n);
  }
  await new Promise((r) => setImmediate(r));
  expect(log).toEqual(expected);
  expect(v.structureSizes().timers).toBe(0);
  await v.stop();
}

describe('paper venue: requests arrive in the order sent, interleaved with other callbacks of the same delay', () => {
  const wavesArb = fc.array(fc.array(opArb, { minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 3 });

  it('latency 0 (the next event-loop turn)', async () => {
    await fc.assert(fc.asyncProperty(wavesArb, (waves) => check(0, waves)), { numRuns: 60 });
  });

  it('latency 2 ms (timers of equal delay fire in the order set)', async () => {
    await fc.assert(fc.asyncProperty(wavesArb, (waves) => check(2, waves)), { numRuns: 15 });
  });

  it('stopped with requests on their way: none arrives, and a request sent after a new start arrives alone', async () => {
    for (const latencyMs of [0, 2]) {
      const log: string[] = [];
      const v = new PaperVenue(
        {
          name: 'sim', markets: [{ instrument: BTC, startMidTicks: MID }], makerBps: '1', takerBps: '5', latencyMs,
          seed: 3, spreadTicks: 4, volatilityTicks: 0, depthLevels: 3, levelNotional: 600, tradesPerSecond: 0, stepMs: 1000,
        },
        { report: (_name, r) => log.push(`${r.kind}:${r.orderId}`) },
      );
      await v.start();
      for (let id = 1; id <= 20; id++) v.cancel({ orderId: id, clientOrderId: `c${id}`, venueOrderId: undefined, instrument: BTC });
      await v.stop();
      expect(v.structureSizes().timers).toBe(0);
      await v.start();
      v.cancel({ orderId: 99, clientOrderId: 'c99', venueOrderId: undefined, instrument: BTC });
      let marker = false;
      setTimeout(() => { marker = true; }, latencyMs + 5);
      await until(() => marker && log.length > 0);
      expect(log).toEqual(['CANCEL_REJECTED:99']);
      await v.stop();
    }
  });
});
