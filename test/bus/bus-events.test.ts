/**
 * busEventRows (src/bus/event-publisher.ts): what the publisher puts in the streams for each applied transition. The
 * orders entry's json is the event exactly as GET /v1/stream sends it (JSON.stringify of streamEvent), and a venue
 * fill's trade entry holds that event's own values, the quote currency for a fee recorded without one included.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OrderTracker } from '../../src/core/order-tracker.js';
import { busEventRows, type BusEvent } from '../../src/bus/event-publisher.js';
import { JsonBytes } from '../../src/journal/json-bytes.js';
import { streamEvent } from '../../src/journal/event-replay.js';
import { ManualClock } from '../../src/model/clock.js';
import type { OrderEvent } from '../../src/model/events.js';
import type { OrderUpdate } from '../../src/model/lifecycle.js';
import { fill, newOrderFields, testStore } from '../helpers/model.js';

const fillStep = fc.record({
  qty: fc.integer({ min: 1, max: 400 }), price: fc.integer({ min: 1, max: 9_000_000_000 }), tradeId: fc.stringMatching(/^[A-Za-z0-9-]{0,24}$/),
  fee: fc.constantFrom('0', '-0.0001', '12.5'), feeCurrency: fc.constantFrom('', 'USDT', 'BNB'), liquidity: fc.constantFrom('MAKER' as const, 'TAKER' as const),
  ts: fc.integer({ min: 1, max: 2 ** 45 }), venueTs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2 ** 45 })),
});

describe('busEventRows', () => {
  it('gives each applied transition its stream event as JSON, and each venue fill the trade entry of that event\'s values', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 2 ** 40 }), fc.boolean(), fc.array(fillStep, { minLength: 1, maxLength: 4 }), fc.constantFrom('alpha', 'beta'),
      (seq0, sell, fills, strategy) => {
        const store = testStore({ strategies: ['alpha', 'beta'], venues: ['v1'] });
        const clock = new ManualClock(1.7e12);
        const tracker = new OrderTracker(store, clock, { retainFinished: 10 });
        const busEvents = busEventRows(new JsonBytes(64 * 1024));
        const rows: BusEvent[] = [];
        const events: OrderEvent[] = [];
        let seq = seq0;
        tracker.listen({
          onTransition: (order, update, t) => {
            seq++;
            busEvents(seq, tracker, order, update, t, rows);
            events.push(streamEvent(seq, tracker, order, update, t));
          },
        });
        const id = 1;
        tracker.create(id, newOrderFields(store, { strategy, side: sell ? 'SELL' : 'BUY', qtyLots: 1000 }));
        tracker.apply(id, { kind: 'SUBMIT', venue: 'v1' });
        tracker.apply(id, { kind: 'ACCEPT', venueOrderId: 'x-1' });
        for (const [k, s] of fills.entries()) {
          clock.advance(1);
          const u: OrderUpdate = { kind: 'FILL', fill: fill(id, s.qty, s.price, { tradeId: `${s.tradeId}-${k}`, fee: s.fee, feeCurrency: s.feeCurrency, liquidity: s.liquidity, ts: s.ts, venueTs: s.venueTs, venue: 'v1' }) };
          tracker.apply(id, u);
        }
        expect(rows.length).toBe(events.length);
        expect(rows.some((r) => r.trade !== null)).toBe(true);
        rows.forEach((r, i) => {
          const e = events[i]!;
          expect(r.json.toString('utf8')).toBe(JSON.stringify(e));
          expect([r.seq, r.symbol, r.strategy, r.orderId, r.clientOrderId, r.event, r.state]).toEqual([e.seq, e.symbol, e.strategy, e.orderId, e.clientOrderId, e.event, e.state]);
          if (e.fill === undefined) {
            expect(r.trade).toBeNull();
            return;
          }
          expect(Object.entries(r.trade!)).toEqual(Object.entries({
            seq: String(e.seq), strategy: e.strategy, symbol: e.symbol, orderId: String(e.orderId), clientOrderId: e.clientOrderId, side: e.side,
            venue: 'v1', price: e.fill.price, qty: e.fill.qty, fee: e.fill.fee, feeCurrency: e.fill.feeCurrency, liquidity: e.fill.liquidity,
            tradeId: e.fill.tradeId, ts: String(e.ts),
          }));
        });
      }), { numRuns: 150 });
  });
});
