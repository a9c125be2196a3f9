/**
 * The file store writes each history row with writeHistoryRows: byte for byte JSON.stringify (then UTF-8 and a line
 * break) of the rows historyRowsOf makes, for any order through any life (fills, final states, odd texts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TYPE_CODE } from '../../src/core/order-store.js';
import { OrderTracker } from '../../src/core/order-tracker.js';
import { historyRowsOf, PARENT_VENUE_NAME, writeHistoryRows, type FillRow, type HistoryRow, type OrderRow } from '../../src/history/history-record.js';
import { JsonBytes } from '../../src/journal/json-bytes.js';
import { ManualClock } from '../../src/model/clock.js';
import type { OrderUpdate } from '../../src/model/lifecycle.js';
import { fill, newOrderFields, testStore } from '../helpers/model.js';

const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('', '"', '\\', '\u2028', '\ud800', 'é', 'a\nb'));

const step = fc.oneof(
  fc.record({ kind: fc.constant('ACCEPT' as const), venueOrderId: text }),
  fc.record({
    kind: fc.constant('AMEND_REQUEST' as const), priceTicks: fc.integer({ min: 1, max: 9_000_000_000 }), qtyLots: fc.integer({ min: 1, max: 2000 }),
    clientOrderId: fc.option(text, { nil: undefined }),
  }),
  fc.record({
    kind: fc.constant('AMENDED' as const), priceTicks: fc.integer({ min: 1, max: 9_000_000_000 }), qtyLots: fc.integer({ min: 1, max: 2000 }),
    venueOrderId: fc.option(text, { nil: undefined }), clientOrderId: fc.option(text, { nil: undefined }),
  }),
  fc.record({ kind: fc.constant('REJECT' as const), reason: text }),
  fc.record({ kind: fc.constant('CANCELED' as const), reason: fc.option(text, { nil: undefined }) }),
  fc.record({ kind: fc.constant('EXPIRE' as const) }),
  fc.record({
    kind: fc.constant('FILL' as const),
    qty: fc.integer({ min: 1, max: 400 }), price: fc.integer({ min: 1, max: 9_000_000_000 }), tradeId: text,
    fee: fc.constantFrom('0', '-0.0001', '12.5'), feeCurrency: fc.constantFrom('', 'USDT', 'é'), feeEstimated: fc.option(fc.boolean(), { nil: undefined }),
    liquidity: fc.constantFrom('MAKER' as const, 'TAKER' as const), ts: fc.oneof(fc.integer({ min: 0, max: 2 ** 45 }), fc.double({ min: 0, max: 2e12, noNaN: true })),
    venueTs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2 ** 45 })),
  }),
);

/**
 * The rows written into one writer as its bytes: in one call, into a writer with room for them all (so a final state
 * after its fill is copied from the fill's line), and one call a row into a writer starting empty (it grows as they
 * go: nothing copied from an earlier call or an earlier buffer) — the same bytes either way.
 */
function written(rows: readonly HistoryRow[]): Buffer {
  const roomy = new JsonBytes();
  roomy.reserve(1 << 16);
  expect(writeHistoryRows(roomy, rows, -Infinity)).toBe(rows.length > 0 ? rows[rows.length - 1]!.seq : -Infinity);
  const growing = new JsonBytes();
  for (const r of rows) writeHistoryRows(growing, [r], -Infinity);
  const bytes = Buffer.from(roomy.buf.subarray(0, roomy.pos));
  expect(Buffer.from(growing.buf.subarray(0, growing.pos))).toEqual(bytes);
  return bytes;
}

const lines = (rows: readonly HistoryRow[]): Buffer => Buffer.from(rows.map((r) => `${JSON.stringify(r)}\n`).join(''));

describe('writeHistoryRows', () => {
  it('is, byte for byte, JSON.stringify of every row historyRowsOf makes', () => {
    fc.assert(fc.property(
      text, fc.constantFrom('LIMIT' as const, 'MARKET' as const, 'STOP_LIMIT' as const), fc.integer({ min: 0, max: 9_000_000_000 }), fc.integer({ min: 0, max: 9_000_000 }),
      fc.constantFrom(0, 3, 2 ** 40), fc.array(step, { maxLength: 6 }), fc.integer({ min: 1, max: 2 ** 50 }), fc.double({ min: 1e12, max: 2e12, noNaN: true }),
      fc.constantFrom('v1', PARENT_VENUE_NAME),
      (cid, type, price, stop, parent, steps, seq0, now, venue) => {
        const store = testStore({ venues: ['v1', PARENT_VENUE_NAME] });
        const clock = new ManualClock(now);
        const tracker = new OrderTracker(store, clock, { retainFinished: 10 });
        const rows: HistoryRow[] = [];
        let seq = seq0;
        tracker.listen({ onTransition: (order, update, t) => void historyRowsOf(seq++, store.instruments, order, update, t, rows) });
        const fields = newOrderFields(store, { clientOrderId: cid.length > 0 ? cid : undefined, qtyLots: 1000, priceTicks: price, stopTicks: stop });
        tracker.create(1, { ...fields, type: TYPE_CODE[type], parent });
        tracker.apply(1, { kind: 'SUBMIT', venue });
        for (const s of steps) {
          clock.advance(1.5);
          const u: OrderUpdate = s.kind === 'FILL'
            ? { kind: 'FILL', fill: fill(1, s.qty, s.price, { tradeId: s.tradeId, fee: s.fee, feeCurrency: s.feeCurrency, feeEstimated: s.feeEstimated, liquidity: s.liquidity, ts: s.ts, venueTs: s.venueTs }) }
            : s;
          tracker.apply(1, u);
        }
        expect(written(rows)).toEqual(lines(rows));
      }), { numRuns: 150 });
  });

  it('is JSON.stringify of rows with any values in their fields (every number, every text, null where a field may be null)', () => {
    // beyond what a tracker makes: negative and fractional numbers, numbers past 2^53, texts to escape, a liquidity
    // other than MAKER and TAKER, an estimated fee (each written by its own path: see writeHistoryRows), and a fill's
    // final state after it with the fill's text from seq to side, or all but one field of it
    const num = fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.double({ noNaN: true }), fc.constantFrom(0, -0, 999_999_999, 1e9, 1_780_000_000_001, 2 ** 53, 2 ** 60));
    const nullableNum = fc.option(num, { nil: null });
    const nullableText = fc.option(text, { nil: null });
    const common = {
      // (finite: the rows after seq -Infinity are written)
      seq: fc.oneof(fc.maxSafeInteger(), fc.double({ noNaN: true, noDefaultInfinity: true })), ts: num, orderId: num, parentOrderId: nullableNum, clientOrderId: text, strategy: text, symbol: text, side: text,
    };
    const fillRow: fc.Arbitrary<FillRow> = fc.record({
      kind: fc.constant('fill' as const), ...common, venue: text, tradeId: text, price: text, qty: text, fee: text, feeCurrency: text,
      feeEstimated: fc.boolean(), liquidity: fc.oneof(fc.constantFrom('MAKER', 'TAKER'), text), venueTs: nullableNum,
    });
    const orderRow: fc.Arbitrary<OrderRow> = fc.record({
      kind: fc.constant('order' as const), ...common, type: text, timeInForce: text, price: nullableText, stopPrice: nullableText, quantity: text,
      filledQty: text, avgPrice: nullableText, state: text, venue: nullableText, venueOrderId: nullableText, reason: nullableText, route: text, createdAt: num,
    });
    const commonFields = ['seq', 'ts', 'orderId', 'parentOrderId', 'clientOrderId', 'strategy', 'symbol', 'side'] as const;
    const fillThenOrder = fc.tuple(fillRow, orderRow, fc.option(fc.constantFrom(...commonFields), { nil: undefined })).map(([f, o, differing]): HistoryRow[] => {
      const same: OrderRow = {
        ...o, seq: f.seq, ts: f.ts, orderId: f.orderId, parentOrderId: f.parentOrderId, clientOrderId: f.clientOrderId, strategy: f.strategy,
        symbol: f.symbol, side: f.side,
      };
      return [f, differing === undefined ? same : { ...same, [differing]: o[differing] }];
    });
    const runs = fc.array(fc.oneof(fillRow.map((r): HistoryRow[] => [r]), orderRow.map((r): HistoryRow[] => [r]), fillThenOrder), { maxLength: 6 });
    fc.assert(fc.property(runs, (pieces) => {
      const rows = pieces.flat();
      expect(written(rows)).toEqual(lines(rows));
    }), { numRuns: 500 });
  });

  it('a fill that completes an order gives both rows (the property above sees both kinds)', () => {
    const store = testStore({ venues: ['v1'] });
    const tracker = new OrderTracker(store, new ManualClock(1.7e12), { retainFinished: 10 });
    const rows: HistoryRow[] = [];
    tracker.listen({ onTransition: (order, update, t) => void historyRowsOf(9, store.instruments, order, update, t, rows) });
    tracker.create(1, newOrderFields(store, { qtyLots: 10 }));
    tracker.apply(1, { kind: 'SUBMIT', venue: 'v1' });
    tracker.apply(1, { kind: 'ACCEPT', venueOrderId: 'V1' });
    tracker.apply(1, { kind: 'FILL', fill: fill(1, 10, 6_000_000) });
    expect(rows.map((r) => r.kind)).toEqual(['fill', 'order']);
    expect(written(rows)).toEqual(lines(rows));
  });
});
