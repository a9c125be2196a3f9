/**
 * ReportHandler writes FILL and ACCEPTED updates into objects it reuses (no allocation per report): the tracker's
 * listeners must see exactly the updates reportUpdate makes, also when a listener makes another report during its
 * call (re-entered, the handler makes new objects), and an unknown order's report reaches onUnknown as it was.
 */
import { describe, expect, it } from 'vitest';
import { OrderTracker } from '../../src/core/order-tracker.js';
import { ReportHandler, reportUpdate } from '../../src/execution/report-handler.js';
import type { ExecutionReport } from '../../src/execution/venue.js';
import { ManualClock } from '../../src/model/clock.js';
import type { OrderUpdate } from '../../src/model/lifecycle.js';
import { newOrderFields, testInstruments, testStore } from '../helpers/model.js';

function rig() {
  const clock = new ManualClock(1_700_000_000_000);
  const store = testStore({ instruments: testInstruments(), venues: ['v'] });
  const tracker = new OrderTracker(store, clock, { retainFinished: 100 });
  const unknown: ExecutionReport[] = [];
  const handler = new ReportHandler(tracker, clock, (_v, r) => unknown.push(r));
  for (const id of [1, 2]) {
    tracker.create(id, newOrderFields(store, { strategy: 'alpha', qtyLots: 1000, priceTicks: 6_000_000, clientOrderId: `c${id}` }));
    tracker.apply(id, { kind: 'SUBMIT', venue: 'v' });
  }
  return { clock, tracker, handler, unknown };
}

const fillReport = (orderId: number, tradeId: string, qtyLots: number, venueTs: number): ExecutionReport => ({
  kind: 'FILL', orderId, tradeId, priceTicks: 6_000_000 + orderId, qtyLots, fee: `0.${orderId}`, feeCurrency: 'USDT', liquidity: orderId === 1 ? 'MAKER' : 'TAKER', venueTs,
});

describe('ReportHandler: reused updates', () => {
  it('listeners see what reportUpdate makes, re-entered too; the handler does not keep reports', () => {
    const { clock, tracker, handler, unknown } = rig();
    const seen: string[] = [];
    let nested = true;
    tracker.listen({
      onTransition: (o, u) => {
        seen.push(`${o.id} ${JSON.stringify(u)}`);
        // a listener that makes another report at once (order 1's fill makes one for order 2): re-entered
        if (nested && o.id === 1 && u.kind === 'FILL') {
          nested = false;
          handler.report('v', fillReport(2, 't2', 300, 5));
          seen.push(`after nested: ${JSON.stringify(u)}`); // the outer update is still order 1's
        }
      },
    });
    const reports: ExecutionReport[] = [
      { kind: 'ACCEPTED', orderId: 1, venueOrderId: 'V1' },
      { kind: 'ACCEPTED', orderId: 2, venueOrderId: 'V2' },
      fillReport(1, 't1', 400, 7),
      fillReport(1, 't3', 600, 8),
      fillReport(2, 't4', 700, 0),
    ];
    for (const r of reports) {
      const frozen = JSON.stringify(r);
      handler.report('v', r);
      expect(JSON.stringify(r)).toBe(frozen);
    }
    const expected = (id: number, u: OrderUpdate) => `${id} ${JSON.stringify(u)}`;
    const at = clock.now();
    expect(seen).toEqual([
      expected(1, reportUpdate('v', reports[0]!, clock)),
      expected(2, reportUpdate('v', reports[1]!, clock)),
      expected(1, reportUpdate('v', reports[2]!, clock)),
      expected(2, reportUpdate('v', fillReport(2, 't2', 300, 5), clock)),
      `after nested: ${JSON.stringify(reportUpdate('v', reports[2]!, clock))}`,
      expected(1, reportUpdate('v', reports[3]!, clock)),
      expected(2, reportUpdate('v', reports[4]!, clock)),
    ]);
    expect(at).toBe(1_700_000_000_000);
    expect(tracker.get(1)!.state).toBe('FILLED');
    expect(tracker.get(2)!.state).toBe('FILLED');
    // an unknown order's fill: onUnknown gets the report's fields (a copy it may keep)
    const lost = fillReport(9, 't9', 1, 3);
    handler.report('v', lost);
    expect(unknown).toEqual([lost]);
  });
});
