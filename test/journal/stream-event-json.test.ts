import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OrderView } from '../../src/core/order-store.js';
import { OrderTracker } from '../../src/core/order-tracker.js';
import { BareEventWriter, EventFragments, streamEvent, writeStreamEvent } from '../../src/journal/event-replay.js';
import { JsonBytes } from '../../src/journal/json-bytes.js';
import { ManualClock } from '../../src/model/clock.js';
import type { OrderUpdate } from '../../src/model/lifecycle.js';
import { InstrumentRegistry } from '../../src/model/instrument.js';
import { fill, newOrderFields, TEST_INSTRUMENT_SPECS, testStore } from '../helpers/model.js';

/** Any text: ASCII, quotes, backslashes, control characters, non-ASCII and lone surrogates. */
const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('', '"', '\\', '\u2028', '\ud800', 'é', 'a\nb'));

/**
 * Strategy, venue and symbol names: the config allows plain ones only, but the writer escapes whatever the store was
 * made with (its names' JSON texts are made once).
 */
const names = fc.record({ strategy: fc.oneof(fc.constant('alpha'), text.filter((t) => t.length > 0)), venue: fc.oneof(fc.constant('v1'), text.filter((t) => t.length > 0)), symbol: fc.constantFrom('BTC-USDT', 'B"T\\C-é\n') });

/** One step of an order's life (some are refused by the lifecycle: those publish nothing and are skipped). */
const step = fc.oneof(
  fc.record({ kind: fc.constant('ACCEPT' as const) }),
  fc.record({ kind: fc.constant('REJECT' as const), reason: text }),
  fc.record({ kind: fc.constant('CANCELED' as const), reason: fc.option(text, { nil: undefined }) }),
  fc.record({
    kind: fc.constant('FILL' as const),
    qty: fc.integer({ min: 1, max: 500 }), price: fc.integer({ min: 1, max: 9_000_000_000 }), tradeId: text, fee: fc.constantFrom('0', '-0.0001', '12.5'),
    feeCurrency: fc.constantFrom('', 'USDT', 'BNB'), feeEstimated: fc.option(fc.boolean(), { nil: undefined }),
    liquidity: fc.constantFrom('MAKER' as const, 'TAKER' as const), ts: fc.oneof(fc.integer({ min: 0, max: 2 ** 45 }), fc.double({ min: 0, max: 2e12, noNaN: true })),
    venueTs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2 ** 45 })),
  }),
);

describe('writeStreamEvent and BareEventWriter', () => {
  it('are, byte for byte, JSON.stringify of the event streamEvent describes (with and without a journal seq, with a head)', () => {
    fc.assert(fc.property(text, fc.option(fc.integer({ min: 1, max: 2 ** 50 }), { nil: undefined }), fc.array(step, { maxLength: 6 }), fc.double({ min: 1e12, max: 2e12, noNaN: true }), names,
      (cid, seq, steps, now, n) => {
        const instruments = new InstrumentRegistry(TEST_INSTRUMENT_SPECS.map((spec, i) => (i === 0 ? { ...spec, symbol: n.symbol } : spec)));
        const store = testStore({ instruments, strategies: [n.strategy, n.strategy === 'beta' ? 'gamma' : 'beta'], venues: [n.venue] });
        const clock = new ManualClock(now);
        const tracker = new OrderTracker(store, clock, { retainFinished: 10 });
        // compared after the updates: the tracker catches what a listener throws
        const expected: string[] = [];
        const got: Buffer[] = [];
        const expectedBytes: Buffer[] = [];
        const gotBytes: Buffer[] = [];
        // one writer for every event, starting empty: each event is written after the last, growing the buffer
        const w = new JsonBytes();
        // an arena whose chunks run out part way through events: every view it gave keeps its bytes
        const arena = new JsonBytes(300);
        // with the names kept whole per strategy, symbol, side and venue (the default), and in pieces (placesMax 0)
        const heads = [new EventFragments(store, ''), new EventFragments(store, '"type":"event",'), new EventFragments(store, '"type":"event",', 0)];
        const bare = new BareEventWriter();
        tracker.listen({
          onTransition: (order, update, t) => {
            const e = JSON.stringify(streamEvent(seq, tracker, order, update, t));
            got.push(bare.bytes(arena, seq, tracker, order, update, t));
            expected.push(e);
            for (const head of heads) {
              w.begin();
              writeStreamEvent(w, head, seq, tracker, order, update, t);
              gotBytes.push(Buffer.from(w.view()));
            }
            expectedBytes.push(Buffer.from(e), Buffer.from(`{"type":"event",${e.slice(1)}`), Buffer.from(`{"type":"event",${e.slice(1)}`));
          },
        });
        const id = 1;
        new OrderView(store).at(tracker.create(id, newOrderFields(store, { strategy: n.strategy, symbol: n.symbol, clientOrderId: cid.length > 0 ? cid : undefined, qtyLots: 1000 })));
        tracker.apply(id, { kind: 'SUBMIT', venue: n.venue });
        for (const s of steps) {
          clock.advance(1.5);
          const u: OrderUpdate = s.kind === 'FILL'
            ? { kind: 'FILL', fill: fill(id, s.qty, s.price, { tradeId: s.tradeId, fee: s.fee, feeCurrency: s.feeCurrency, feeEstimated: s.feeEstimated, liquidity: s.liquidity, ts: s.ts, venueTs: s.venueTs }) }
            : s;
          tracker.apply(id, u);
        }
        expect(expected.length).toBeGreaterThan(0);
        expect(got.map((b) => b.toString('utf8'))).toEqual(expected);
        expect(gotBytes).toEqual(expectedBytes);
      }), { numRuns: 300 });
  });
  it('write the client order ids the store derives (any prefix and order id, up to the 32 characters one may have) as the order names them, of either side, any symbol, with and without a venue', () => {
    const outcome = (write: () => string): string => {
      try {
        return write();
      } catch (err) {
        return `throws ${(err as Error).message}`;
      }
    };
    fc.assert(fc.property(
      fc.constantFrom('', 'tst', 'Ab9', 'x'.repeat(31)), fc.oneof(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })),
      fc.constantFrom('BUY' as const, 'SELL' as const), fc.constantFrom(...TEST_INSTRUMENT_SPECS.map((spec) => spec.symbol)), fc.constantFrom('alpha', 'beta'),
      fc.constantFrom('SUBMIT' as const, 'DENY' as const), fc.array(step, { maxLength: 4 }),
      (prefix, id, side, symbol, strategy, first, steps) => {
        const store = testStore({ prefix });
        const tracker = new OrderTracker(store, new ManualClock(1.7e12), { retainFinished: 10 });
        const expected: string[] = [];
        const got: string[] = [];
        const w = new JsonBytes();
        // kept whole per strategy, symbol, side and venue (the default), and in pieces (placesMax 0)
        const heads = [new EventFragments(store, '"type":"event",'), new EventFragments(store, '"type":"event",', 0)];
        tracker.listen({
          onTransition: (order, update, t) => {
            const e = outcome(() => `{"type":"event",${JSON.stringify(streamEvent(7, tracker, order, update, t)).slice(1)}`);
            for (const head of heads) {
              expected.push(e);
              got.push(outcome(() => {
                w.begin();
                writeStreamEvent(w, head, 7, tracker, order, update, t);
                return w.text();
              }));
            }
          },
        });
        tracker.create(id, newOrderFields(store, { strategy, symbol, side, qtyLots: 1000 }));
        tracker.apply(id, first === 'SUBMIT' ? { kind: 'SUBMIT', venue: 'v2' } : { kind: 'DENY', reason: 'RISK_MAX_NOTIONAL' as const });
        for (const s of steps) {
          tracker.apply(id, s.kind === 'FILL' ? { kind: 'FILL', fill: fill(id, s.qty, s.price, { tradeId: s.tradeId, liquidity: s.liquidity, feeEstimated: s.feeEstimated }) } : s);
        }
        expect(expected.length).toBeGreaterThan(0);
        expect(got).toEqual(expected);
      }), { numRuns: 300 });
  });
});
