/**
 * writeOrderView writes an order's API view as JSON bytes directly (every submit's answer holds one), and
 * orderViewJson gives them as text: both must be, byte for byte, JSON.stringify(orderView(...)) of any order the store
 * can hold, through any life; in a writer of one text reused for every view, and in an arena whose chunks run out
 * part way through a view.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { orderView, orderViewJson, writeOrderView } from '../../src/api/order-view.js';
import { JsonBytes } from '../../src/journal/json-bytes.js';
import { ALGO_ICEBERG, ALGO_NONE, ALGO_TWAP, ROUTE_BEST, ROUTE_SWEEP, ROUTE_TABLE, TYPE_CODE } from '../../src/core/order-store.js';
import { OrderTracker } from '../../src/core/order-tracker.js';
import { ManualClock } from '../../src/model/clock.js';
import type { OrderUpdate } from '../../src/model/lifecycle.js';
import type { Order } from '../../src/model/order.js';
import { ExecutionQuality } from '../../src/telemetry/execution-quality.js';
import { InstrumentRegistry } from '../../src/model/instrument.js';
import { fill, newOrderFields, TEST_INSTRUMENT_SPECS, testStore } from '../helpers/model.js';

/** Any text: ASCII, quotes, backslashes, control characters, non-ASCII and lone surrogates. */
const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('', '"', '\\', '\u2028', '\ud800', 'é', 'a\nb', '\x7f'));

/**
 * Strategy, venue and symbol names: the config allows plain ones only, but the writers escape whatever the store was
 * made with (its names' JSON texts are made once).
 */
const names = fc.record({ strategy: fc.oneof(fc.constant('alpha'), text.filter((t) => t.length > 0)), venue: fc.oneof(fc.constant('v1'), text.filter((t) => t.length > 0)), symbol: fc.constantFrom('BTC-USDT', 'B"T\\C-é\n') });

/** A store whose strategy, venue and first instrument have these names. */
function namedStore(n: { strategy: string; venue: string; symbol: string }): ReturnType<typeof testStore> {
  const instruments = new InstrumentRegistry(TEST_INSTRUMENT_SPECS.map((spec, i) => (i === 0 ? { ...spec, symbol: n.symbol } : spec)));
  return testStore({ instruments, strategies: [n.strategy, n.strategy === 'beta' ? 'gamma' : 'beta'], venues: [n.venue] });
}

/** What orderView reads of an Order. */
const ORDER_KEYS = [
  'id', 'clientOrderId', 'strategy', 'symbol', 'side', 'type', 'timeInForce', 'postOnly', 'priority', 'priceTicks', 'stopTicks', 'qtyLots',
  'state', 'venue', 'venueOrderId', 'filledLots', 'filledNotional', 'reason', 'createdAt', 'updatedAt', 'route', 'parentId',
] as const satisfies readonly (keyof Order)[];

const step = fc.oneof(
  fc.record({ kind: fc.constant('ACCEPT' as const), venueOrderId: text }),
  fc.record({ kind: fc.constant('REJECT' as const), reason: text }),
  fc.record({ kind: fc.constant('CANCELED' as const), reason: fc.option(text, { nil: undefined }) }),
  fc.record({
    kind: fc.constant('FILL' as const),
    qty: fc.integer({ min: 1, max: 300 }), price: fc.integer({ min: 1, max: 9_000_000_000 }),
    fee: fc.constantFrom('0', '-0.0001', '12.5', '0.00000012', 'x'), feeCurrency: fc.constantFrom('', 'USDT', 'BNB', 'B;N:B', 'é'),
  }),
);

describe('orderViewJson and writeOrderView', () => {
  it('are, byte for byte, JSON.stringify(orderView) of any order through any life', () => {
    const writer = new JsonBytes();
    const arena = new JsonBytes(700); // a view takes about 600 bytes: chunks run out mid-view
    fc.assert(fc.property(
      fc.record({
        cid: text, side: fc.constantFrom('BUY' as const, 'SELL' as const),
        type: fc.constantFrom('LIMIT' as const, 'MARKET' as const, 'STOP_LIMIT' as const, 'TRAILING_STOP' as const),
        postOnly: fc.boolean(), price: fc.integer({ min: 0, max: 9_000_000_000 }), stop: fc.integer({ min: 0, max: 9_000_000 }),
        qty: fc.integer({ min: 1, max: 1000 }), route: fc.constantFrom(ROUTE_TABLE, ROUTE_BEST, ROUTE_SWEEP), parent: fc.constantFrom(0, 7, 2 ** 40),
        algo: fc.constantFrom(ALGO_NONE, ALGO_TWAP, ALGO_ICEBERG), paramA: fc.integer({ min: 0, max: 2 ** 40 }), paramB: fc.integer({ min: 0, max: 2 ** 40 }),
        mid: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 9_000_000_000 }), fc.integer({ min: 1, max: 9_000_000_000 }).map((m) => m + 0.5)),
      }),
      fc.array(step, { maxLength: 6 }), fc.double({ min: 1e12, max: 2e12, noNaN: true }), names,
      (o, steps, now, n) => {
        const store = namedStore(n);
        const clock = new ManualClock(now);
        const tracker = new OrderTracker(store, clock, { retainFinished: 10 });
        tracker.listen(new ExecutionQuality(store), 'execution-quality');
        const fields = newOrderFields(store, { strategy: n.strategy, symbol: n.symbol, clientOrderId: o.cid.length > 0 ? o.cid : undefined, qtyLots: o.qty, side: o.side, priceTicks: o.price, stopTicks: o.stop });
        const slot = tracker.create(1, {
          ...fields, type: TYPE_CODE[o.type], postOnly: o.postOnly, route: o.route, parent: o.parent, algo: o.algo, paramA: o.paramA, paramB: o.paramB, arrivalMid: o.mid,
        });
        const views: string[] = [];
        const texts: string[] = [];
        const bytes: Buffer[] = [];
        const compare = (): void => {
          const order = tracker.get(1)!;
          // a plain Order (not the store's view) and no store: no fees, no extras
          const plain = Object.fromEntries(ORDER_KEYS.map((k) => [k, order[k]])) as unknown as Order;
          for (const [o, s] of [[order, store], [plain, undefined]] as const) {
            views.push(JSON.stringify(orderView(o, store.instruments, s)));
            texts.push(orderViewJson(o, store.instruments, s, writer));
            arena.begin();
            writeOrderView(arena, o, store.instruments, s);
            bytes.push(arena.view());
          }
        };
        compare();
        tracker.applySlot(slot, { kind: 'SUBMIT', venue: n.venue });
        compare();
        for (const s of steps) {
          clock.advance(1.5);
          const u: OrderUpdate = s.kind === 'FILL'
            ? { kind: 'FILL', fill: fill(1, s.qty, s.price, { fee: s.fee, feeCurrency: s.feeCurrency }) }
            : s;
          tracker.apply(1, u);
          compare();
        }
        expect(texts).toEqual(views);
        // every view still holds its bytes: the arena never writes over a view it gave
        expect(bytes.map((b) => b.toString('utf8'))).toEqual(views);
      }), { numRuns: 120 });
  });
});
