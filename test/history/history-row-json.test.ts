/**
 * The file store writes each history row with writeHistoryRows: byte for byte JSON.stringify (then UTF-8 and a line
 * break) of the rows historyRowsOf makes, for any order through any life (fills, final states, odd texts) — and the
 * history writer's lines (HistoryLineMaker: each row's line made as the row is, from reused row objects, in an arena
 * of chunks) are those same bytes. The rows' values are what the order and the update say (a reference below).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TYPE_CODE } from '../../src/core/order-store.js';
import { OrderTracker } from '../../src/core/order-tracker.js';
import { historyRowsOf, PARENT_VENUE_NAME, type FillRow, type HistoryRow, type OrderRow } from '../../src/history/history-record.js';
import { HistoryLine, HistoryLineMaker, writeHistoryRows } from '../../src/history/history-lines.js';
import type { OrderView } from '../../src/core/order-store.js';
import type { InstrumentRegistry } from '../../src/model/instrument.js';
import type { Transition } from '../../src/model/lifecycle.js';
import { isOpen } from '../../src/model/order.js';
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
    // 0: the rest of the order (a fill that completes it: a fill row and a final state from one record)
    qty: fc.oneof(fc.integer({ min: 1, max: 400 }), fc.constant(0)), price: fc.integer({ min: 1, max: 9_000_000_000 }), tradeId: text,
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

/** An order's life as the properties below make it: created, sent, then `steps` (fills with odd texts, amends...). */
const life = fc.record({
  cid: text, type: fc.constantFrom('LIMIT' as const, 'MARKET' as const, 'STOP_LIMIT' as const), price: fc.integer({ min: 0, max: 9_000_000_000 }),
  stop: fc.integer({ min: 0, max: 9_000_000 }), parent: fc.constantFrom(0, 3, 2 ** 40), steps: fc.array(step, { maxLength: 6 }),
  seq0: fc.integer({ min: 1, max: 2 ** 50 }), now: fc.double({ min: 1e12, max: 2e12, noNaN: true }), venue: fc.constantFrom('v1', PARENT_VENUE_NAME),
});

type Life = typeof life extends fc.Arbitrary<infer L> ? L : never;

/** Runs `l`, calling `onTransition` with each transition's seq (one a transition, from l.seq0). */
function runLife(l: Life, onTransition: (seq: number, instruments: InstrumentRegistry, order: OrderView, update: OrderUpdate, t: Transition) => void): void {
  const store = testStore({ venues: ['v1', PARENT_VENUE_NAME] });
  const clock = new ManualClock(l.now);
  const tracker = new OrderTracker(store, clock, { retainFinished: 10 });
  let seq = l.seq0;
  tracker.listen({ onTransition: (order, update, t) => onTransition(seq++, store.instruments, order, update, t) });
  const fields = newOrderFields(store, { clientOrderId: l.cid.length > 0 ? l.cid : undefined, qtyLots: 1000, priceTicks: l.price, stopTicks: l.stop });
  tracker.create(1, { ...fields, type: TYPE_CODE[l.type], parent: l.parent });
  tracker.apply(1, { kind: 'SUBMIT', venue: l.venue });
  for (const s of l.steps) {
    clock.advance(1.5);
    const u: OrderUpdate = s.kind === 'FILL'
      ? { kind: 'FILL', fill: fill(1, s.qty > 0 ? s.qty : Math.max(1, tracker.get(1)!.qtyLots - tracker.get(1)!.filledLots), s.price, { tradeId: s.tradeId, fee: s.fee, feeCurrency: s.feeCurrency, feeEstimated: s.feeEstimated, liquidity: s.liquidity, ts: s.ts, venueTs: s.venueTs }) }
      : s;
    tracker.apply(1, u);
  }
}

/**
 * The rows of a transition as the order and the update say, each value read and made on its own (the reference
 * historyRowsOf's rows are held to: it shares texts between the two rows of one record).
 */
function referenceRows(seq: number, instruments: InstrumentRegistry, order: OrderView, update: OrderUpdate, t: Transition): HistoryRow[] {
  if (t.outcome !== 'APPLIED') return [];
  const rows: HistoryRow[] = [];
  const ins = instruments.at(order.symbolIndex);
  const parentOrderId = order.parentId > 0 ? order.parentId : null;
  if (update.kind === 'FILL' && order.venue !== PARENT_VENUE_NAME) {
    const f = update.fill;
    rows.push({
      kind: 'fill', seq, ts: f.ts, orderId: order.id, parentOrderId, clientOrderId: order.clientOrderId, strategy: order.strategy, symbol: ins.symbol,
      side: order.side, venue: f.venue, tradeId: f.tradeId, price: ins.ticksToPrice(f.priceTicks), qty: ins.lotsToQty(f.qtyLots), fee: f.fee,
      feeCurrency: f.feeCurrency === '' ? ins.quote : f.feeCurrency, feeEstimated: f.feeEstimated === true, liquidity: f.liquidity,
      venueTs: f.venueTs > 0 ? f.venueTs : null,
    });
  }
  if (!isOpen(t.to) && t.from !== t.to) {
    rows.push({
      kind: 'order', seq, ts: update.kind === 'FILL' ? update.fill.ts : order.updatedAt, orderId: order.id, parentOrderId, clientOrderId: order.clientOrderId,
      strategy: order.strategy, symbol: ins.symbol, side: order.side, type: order.type, timeInForce: order.timeInForce,
      price: order.priceTicks > 0 ? ins.ticksToPrice(order.priceTicks) : null, stopPrice: order.stopTicks > 0 ? ins.ticksToPrice(order.stopTicks) : null,
      quantity: ins.lotsToQty(order.qtyLots), filledQty: ins.lotsToQty(order.filledLots), avgPrice: ins.averagePrice(order.filledNotional, order.filledLots),
      state: t.to, venue: order.venue ?? null, venueOrderId: order.venueOrderId ?? null, reason: order.reason ?? null, route: order.route, createdAt: order.createdAt,
    });
  }
  return rows;
}

/** The bytes of `lines` as they were made (each line's own bytes, one after the other). */
const lineBytes = (made: readonly HistoryLine[]): Buffer => Buffer.concat(made.map((l) => l.chunk.bytes.subarray(l.start, l.end)));

describe('historyRowsOf', () => {
  it('makes the rows the order and the update say, field for field and in the keys\' order', () => {
    fc.assert(fc.property(life, (l) => {
      const rows: HistoryRow[] = [];
      const expected: HistoryRow[] = [];
      runLife(l, (seq, instruments, order, update, t) => {
        expect(historyRowsOf(seq, instruments, order, update, t, rows)).toBe(referenceRows(seq, instruments, order, update, t).length);
        expected.push(...referenceRows(seq, instruments, order, update, t));
      });
      expect(rows).toEqual(expected);
      expect(rows.map((r) => JSON.stringify(r))).toEqual(expected.map((r) => JSON.stringify(r)));
    }), { numRuns: 150 });
  });
});

describe('writeHistoryRows', () => {
  it('is, byte for byte, JSON.stringify of every row historyRowsOf makes', () => {
    fc.assert(fc.property(life, (l) => {
      const rows: HistoryRow[] = [];
      runLife(l, (seq, instruments, order, update, t) => void historyRowsOf(seq, instruments, order, update, t, rows));
      expect(written(rows)).toEqual(lines(rows));
    }), { numRuns: 150 });
  });

  it('writes the lines a HistoryLineMaker made as the rows historyRowsOf makes, alone, in runs and among rows, after a seq', () => {
    // chunks of 64 bytes to 64 KiB: lines cross from one chunk to the next (a final state's fill text then not copied)
    fc.assert(fc.property(fc.array(life, { minLength: 1, maxLength: 4 }), fc.integer({ min: 6, max: 16 }), fc.array(fc.boolean(), { maxLength: 40 }), fc.nat(12), (lives, chunkLog, asRow, skip) => {
      const maker = new HistoryLineMaker(2 ** chunkLog);
      const rows: HistoryRow[] = [];
      const made: HistoryLine[] = [];
      for (const l of lives) {
        runLife(l, (seq, instruments, order, update, t) => {
          const n = historyRowsOf(seq, instruments, order, update, t, rows);
          expect(maker.linesOf(seq, instruments, order, update, t, made)).toBe(n);
        });
      }
      expect(made.map((x) => x.seq)).toEqual(rows.map((r) => r.seq));
      // each line is its row's line
      expect(lineBytes(made)).toEqual(lines(rows));
      // written: lines (copied in runs), with some rows given as rows instead, and those up to a seq passed over
      const mixed = rows.map((r, i) => (asRow[i] === true ? r : made[i]!));
      const after = skip < rows.length ? rows[skip]!.seq : -Infinity;
      const kept = rows.filter((r) => r.seq > after);
      const w = new JsonBytes();
      expect(writeHistoryRows(w, mixed, after)).toBe(kept.length > 0 ? kept[kept.length - 1]!.seq : after);
      expect(Buffer.from(w.buf.subarray(0, w.pos))).toEqual(lines(kept));
    }), { numRuns: 150 });
  });

  it('writes lines made in chunks taken again once their lines were stored (as the history writer does), and refuses a stale one', () => {
    fc.assert(fc.property(fc.array(life, { minLength: 1, maxLength: 6 }), fc.integer({ min: 9, max: 13 }), (lives, chunkLog) => {
      const maker = new HistoryLineMaker(2 ** chunkLog);
      const rows: HistoryRow[] = [];
      const w = new JsonBytes();
      let seq0 = 1;
      let stored = 0;
      for (const l of lives) {
        // each life a write: its lines written, then stored up to its last seq (their chunks taken again)
        const made: HistoryLine[] = [];
        runLife({ ...l, seq0 }, (seq, instruments, order, update, t) => {
          historyRowsOf(seq, instruments, order, update, t, rows);
          maker.linesOf(seq, instruments, order, update, t, made);
          seq0 = seq + 1;
        });
        writeHistoryRows(w, made, stored);
        stored = seq0 - 1;
        maker.stored(stored);
      }
      expect(Buffer.from(w.buf.subarray(0, w.pos))).toEqual(lines(rows));
    }), { numRuns: 100 });

    // 300 one-fill orders (two lines each), stored ten orders at a time, into chunks of 4 KiB: the same few chunks
    const store = testStore({ venues: ['v1'] });
    const tracker = new OrderTracker(store, new ManualClock(1.7e12), { retainFinished: 10 });
    const maker = new HistoryLineMaker(4096);
    let seq = 0;
    let made: HistoryLine[] = [];
    const rows: HistoryRow[] = [];
    tracker.listen({
      onTransition: (order, update, t) => {
        seq++;
        historyRowsOf(seq, store.instruments, order, update, t, rows);
        maker.linesOf(seq, store.instruments, order, update, t, made);
      },
    });
    const w = new JsonBytes();
    let previous: HistoryLine[] = [];
    for (let id = 1; id <= 300; id++) {
      tracker.create(id, newOrderFields(store, { qtyLots: 10 }));
      tracker.apply(id, { kind: 'SUBMIT', venue: 'v1' });
      tracker.apply(id, { kind: 'FILL', fill: fill(id, 10, 6_000_000 + id) });
      if (id % 10 === 0) {
        writeHistoryRows(w, made, -Infinity);
        maker.stored(seq);
        previous = made;
        made = [];
      }
    }
    expect(Buffer.from(w.buf.subarray(0, w.pos))).toEqual(lines(rows));
    expect(maker.chunksMade).toBeLessThanOrEqual(3);
    // the lines stored last, given again once their chunk holds others: refused, nothing written
    tracker.create(301, newOrderFields(store, { qtyLots: 10 }));
    tracker.apply(301, { kind: 'SUBMIT', venue: 'v1' });
    tracker.apply(301, { kind: 'FILL', fill: fill(301, 10, 6_000_000) });
    const again = new JsonBytes();
    expect(() => writeHistoryRows(again, previous, -Infinity)).toThrow(expect.objectContaining({ code: 'HISTORY_LINE_STALE' }));
  });

  it('makes the lines of orders of any names, mixed (the runs of names a maker keeps are used only for the same names)', () => {
    // many strategies, symbols, sides, venues, types and times in force (names to escape among them), one maker: its
    // runs of names (kept by the names' indexes, in 1 to 256 slots: more combinations than slots) are taken for other
    // names' rows only if a defect lets them
    const strategies = ['alpha', 'beta', 'q"x', 'é', 's', 'a\\b'];
    const venues = ['v1', 'v-2', 'w"3', 'ü', PARENT_VENUE_NAME];
    const order = fc.record({
      strategy: fc.constantFrom(...strategies), symbol: fc.constantFrom('BTC-USDT', 'ETH-USDT', 'SOL-USDT'), side: fc.constantFrom('BUY' as const, 'SELL' as const),
      venue: fc.constantFrom(...venues), type: fc.constantFrom('LIMIT' as const, 'MARKET' as const, 'STOP_LIMIT' as const),
      tif: fc.constantFrom('GTC' as const, 'IOC' as const, 'FOK' as const), end: fc.constantFrom('fill', 'fills', 'cancel', 'reject', 'deny'),
      feeCurrency: fc.constantFrom('USDT', '', 'é', 'B"'), liquidity: fc.constantFrom('MAKER' as const, 'TAKER' as const),
      feeEstimated: fc.option(fc.boolean(), { nil: undefined }), reason: fc.option(fc.constantFrom('gone', 'no "way"'), { nil: undefined }),
      route: fc.constantFrom(0, 1, 2),
    });
    fc.assert(fc.property(fc.array(order, { minLength: 1, maxLength: 300 }), fc.constantFrom(1, 2, 8, 256), (orders, runSlots) => {
      const store = testStore({ strategies, venues });
      const tracker = new OrderTracker(store, new ManualClock(1.7e12), { retainFinished: 10 });
      const maker = new HistoryLineMaker(1 << 16, runSlots);
      const rows: HistoryRow[] = [];
      const made: HistoryLine[] = [];
      let seq = 0;
      tracker.listen({
        onTransition: (o, update, t) => {
          seq++;
          historyRowsOf(seq, store.instruments, o, update, t, rows);
          maker.linesOf(seq, store.instruments, o, update, t, made);
        },
      });
      orders.forEach((o, i) => {
        const id = i + 1;
        tracker.create(id, { ...newOrderFields(store, { strategy: o.strategy, symbol: o.symbol, side: o.side, type: o.type, timeInForce: o.tif, qtyLots: 10, stopTicks: o.type === 'STOP_LIMIT' ? 5_000_000 : 0 }), route: o.route });
        if (o.end === 'deny') {
          // (no venue)
          tracker.apply(id, { kind: 'DENY', reason: 'RISK_MAX_NOTIONAL' });
          return;
        }
        tracker.apply(id, { kind: 'SUBMIT', venue: o.venue });
        tracker.apply(id, { kind: 'ACCEPT', venueOrderId: `V${id}` });
        const fees = { venue: o.venue, feeCurrency: o.feeCurrency, liquidity: o.liquidity, feeEstimated: o.feeEstimated };
        if (o.end === 'fill') tracker.apply(id, { kind: 'FILL', fill: fill(id, 10, 6_000_000 + id, fees) });
        else if (o.end === 'fills') {
          tracker.apply(id, { kind: 'FILL', fill: fill(id, 4, 6_000_000, { ...fees, tradeId: `a${id}` }) });
          tracker.apply(id, { kind: 'FILL', fill: fill(id, 6, 6_000_001, { ...fees, tradeId: `b${id}` }) });
        } else if (o.end === 'cancel') tracker.apply(id, { kind: 'CANCELED', reason: o.reason });
        else tracker.apply(id, { kind: 'REJECT', reason: o.reason ?? 'no "way"' });
      });
      expect(made.map((x) => x.seq)).toEqual(rows.map((r) => r.seq));
      expect(lineBytes(made)).toEqual(lines(rows));
    }), { numRuns: 60 });
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
