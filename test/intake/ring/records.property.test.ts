import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ERROR_CODES, EVENT_KINDS, EVENT_RECORD_BYTES, EventRecord, NO_CODE, NO_STATE, errorCodeAt, errorCodeIndex,
  eventKindOfLifecycle, isTerminalEvent, orderStateAt, orderStateIndex, readEventRecord, writeEventRecord, EV_FILL,
} from '../../../src/intake/ring/event-record.js';
import {
  CLIENT_ORDER_ID_MAX, NO_VENUE, OP_CANCEL, OP_SUBMIT, OP_WITHDRAWN, ORDER_RECORD_BYTES, OrderRecord, clientOrderIdEquals, clientOrderIdText,
  intentFromRecord, markWithdrawn, readOrderRecord, recordClientOrderIdIs, recordOp, recordSeq, recordTag, setClientOrderId,
  submitRecordFromIntent, validateOrderRecord, writeOrderRecord,
} from '../../../src/intake/ring/order-record.js';
import { RingConsumer, RingProducer, createRingBuffer } from '../../../src/intake/ring/spsc-ring.js';
import { ERROR_CATALOGUE } from '../../../src/model/errors.js';
import { LIFECYCLE_EVENTS } from '../../../src/model/lifecycle.js';
import { ORDER_STATES, ORDER_TYPES, PRIORITIES, TIME_IN_FORCES, type OrderIntent } from '../../../src/model/order.js';

const safeCount = fc.maxSafeInteger().filter((n) => n >= 0);
const cidChar = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'.split(''));
const cidArb = fc.option(fc.array(cidChar, { minLength: 1, maxLength: CLIENT_ORDER_ID_MAX }).map((a) => a.join('')), { nil: undefined });

interface PlainOrder {
  op: number; seq: number; tag: number; symbol: number; side: number; type: number; timeInForce: number; postOnly: boolean;
  priority: number; venue: number; priceTicks: number; stopTicks: number; qtyLots: number; orderId: number; targetSeq: number;
  clientOrderId: string | undefined;
}

const orderArb: fc.Arbitrary<PlainOrder> = fc.record({
  op: fc.constantFrom(OP_SUBMIT, OP_CANCEL),
  seq: safeCount.filter((n) => n > 0),
  tag: fc.nat({ max: 0xffffffff }),
  symbol: fc.nat({ max: 0xffff }),
  side: fc.nat({ max: 1 }),
  type: fc.nat({ max: ORDER_TYPES.length - 1 }),
  timeInForce: fc.nat({ max: TIME_IN_FORCES.length - 1 }),
  postOnly: fc.boolean(),
  priority: fc.nat({ max: PRIORITIES.length - 1 }),
  venue: fc.oneof(fc.constant(NO_VENUE), fc.nat({ max: 254 })),
  priceTicks: safeCount,
  stopTicks: safeCount,
  qtyLots: safeCount.filter((n) => n > 0),
  orderId: safeCount,
  targetSeq: safeCount,
  clientOrderId: cidArb,
});

function fill(rec: OrderRecord, o: PlainOrder): OrderRecord {
  rec.op = o.op; rec.seq = o.seq; rec.tag = o.tag; rec.symbol = o.symbol; rec.side = o.side; rec.type = o.type;
  rec.timeInForce = o.timeInForce; rec.postOnly = o.postOnly; rec.priority = o.priority; rec.venue = o.venue;
  rec.priceTicks = o.priceTicks; rec.stopTicks = o.stopTicks; rec.qtyLots = o.qtyLots; rec.orderId = o.orderId;
  rec.targetSeq = o.targetSeq;
  expect(setClientOrderId(rec, o.clientOrderId)).toBe(true);
  return rec;
}

function plain(rec: OrderRecord): PlainOrder {
  return {
    op: rec.op, seq: rec.seq, tag: rec.tag, symbol: rec.symbol, side: rec.side, type: rec.type, timeInForce: rec.timeInForce,
    postOnly: rec.postOnly, priority: rec.priority, venue: rec.venue, priceTicks: rec.priceTicks, stopTicks: rec.stopTicks,
    qtyLots: rec.qtyLots, orderId: rec.orderId, targetSeq: rec.targetSeq, clientOrderId: clientOrderIdText(rec),
  };
}

describe('order record codec', () => {
  it('is 96 bytes (a multiple of 8, so f64 fields stay aligned)', () => {
    expect(ORDER_RECORD_BYTES).toBe(96);
    expect(EVENT_RECORD_BYTES).toBe(64);
  });

  it('round-trips any valid record through a ring slot, whatever the slot and the reader held before', () => {
    const buf = createRingBuffer(8, ORDER_RECORD_BYTES);
    const p = new RingProducer(buf);
    const c = new RingConsumer(buf);
    const w = new OrderRecord();
    const r = new OrderRecord();
    fc.assert(
      fc.property(orderArb, orderArb, (a, previous) => {
        // leave garbage in the slot and in the reader's scratch
        let off = p.tryClaim();
        writeOrderRecord(p, off, fill(w, previous));
        p.publish();
        c.poll(1, (o) => readOrderRecord(c, o, r));
        off = p.tryClaim();
        writeOrderRecord(p, off, fill(w, a));
        p.publish();
        let got: PlainOrder | undefined;
        c.poll(1, (o) => (got = plain(readOrderRecord(c, o, r))));
        expect(got).toEqual(a);
        if (a.clientOrderId !== undefined) expect(clientOrderIdEquals(r, a.clientOrderId)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('reads seq, op, tag and client order id in place as readOrderRecord does; markWithdrawn changes the op only', () => {
    // the ring intake reads records it has not released in place (a cancel looking for its submit) and marks them
    const buf = createRingBuffer(8, ORDER_RECORD_BYTES);
    const p = new RingProducer(buf);
    const c = new RingConsumer(buf);
    const w = new OrderRecord();
    const probe = new OrderRecord();
    const r = new OrderRecord();
    fc.assert(
      fc.property(orderArb, cidArb, (a, other) => {
        const off = p.tryClaim();
        writeOrderRecord(p, off, fill(w, a));
        p.publish();
        const at = c.offsetAt(0);
        expect(at).toBe(off);
        expect([recordSeq(c, at), recordOp(c, at), recordTag(c, at)]).toEqual([a.seq, a.op, a.tag]);
        // a cancel's client order id against the record's: equal exactly when the texts are (none never matches)
        expect(setClientOrderId(probe.reset(), a.clientOrderId)).toBe(true);
        expect(recordClientOrderIdIs(c, at, probe)).toBe(a.clientOrderId !== undefined);
        expect(setClientOrderId(probe.reset(), other)).toBe(true);
        expect(recordClientOrderIdIs(c, at, probe)).toBe(other !== undefined && other === a.clientOrderId);
        markWithdrawn(c, at);
        c.poll(1, (o) => readOrderRecord(c, o, r));
        expect(plain(r)).toEqual({ ...a, op: OP_WITHDRAWN });
        // a producer's record marked so is not a valid record
        expect(validateOrderRecord(r, 0xffff + 1, 255)).toBe('BAD_REQUEST');
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips decoded intents through submit records', () => {
    const symbols = ['BTC-USDT', 'ETH-USDT', 'SOL-USDT'];
    const venues = ['sim-a', 'sim-b'];
    const intentArb = fc.record({
      symbol: fc.nat({ max: 2 }),
      side: fc.constantFrom('BUY' as const, 'SELL' as const),
      type: fc.constantFrom(...ORDER_TYPES.filter((t) => t !== 'TRAILING_STOP')), // (API only: a ring record has no trailing offset)
      timeInForce: fc.constantFrom(...TIME_IN_FORCES),
      postOnly: fc.boolean(),
      priceTicks: safeCount,
      stopTicks: safeCount,
      qtyLots: safeCount.filter((n) => n > 0),
      priority: fc.constantFrom(...PRIORITIES),
      clientOrderId: cidArb,
      venue: fc.option(fc.nat({ max: 1 }), { nil: undefined }),
      seq: safeCount.filter((n) => n > 0),
      tag: fc.nat({ max: 0xffffffff }),
    });
    const buf = createRingBuffer(4, ORDER_RECORD_BYTES);
    const p = new RingProducer(buf);
    const c = new RingConsumer(buf);
    const w = new OrderRecord();
    const r = new OrderRecord();
    fc.assert(
      fc.property(intentArb, (x) => {
        // the terms decodeOrder gives each type: a price for LIMIT and STOP_LIMIT, a stop price for STOP and STOP_LIMIT,
        // MARKET and STOP never GTC, post-only on GTC LIMIT orders only
        const limitPriced = x.type === 'LIMIT' || x.type === 'STOP_LIMIT';
        const stopPriced = x.type === 'STOP' || x.type === 'STOP_LIMIT';
        const timeInForce = (x.type === 'MARKET' || x.type === 'STOP') && x.timeInForce === 'GTC' ? 'IOC' : x.timeInForce;
        const intent: OrderIntent = {
          strategy: 'mm', symbol: symbols[x.symbol]!, side: x.side, type: x.type, timeInForce,
          postOnly: x.postOnly && x.type === 'LIMIT' && timeInForce === 'GTC',
          priceTicks: limitPriced ? Math.max(1, x.priceTicks) : 0, stopTicks: stopPriced ? Math.max(1, x.stopTicks) : 0,
          qtyLots: x.qtyLots, priority: x.priority, clientOrderId: x.clientOrderId,
          venue: x.venue === undefined ? undefined : venues[x.venue],
        };
        expect(submitRecordFromIntent(intent, x.symbol, x.venue ?? NO_VENUE, x.seq, x.tag, w)).toBe(true);
        writeOrderRecord(p, p.tryClaim(), w);
        p.publish();
        c.poll(1, (o) => readOrderRecord(c, o, r));
        expect(validateOrderRecord(r, symbols.length, venues.length)).toBeNull();
        expect(r.seq).toBe(x.seq);
        expect(r.tag).toBe(x.tag);
        expect(intentFromRecord(r, 'mm', symbols, venues)).toEqual(intent);
      }),
      { numRuns: 1000 },
    );
  });

  it('setClientOrderId accepts 1..32 letters and digits only', () => {
    const rec = new OrderRecord();
    expect(setClientOrderId(rec, 'abc123')).toBe(true);
    expect(clientOrderIdText(rec)).toBe('abc123');
    for (const bad of ['a-b', 'é', 'x'.repeat(33), 'a b']) {
      expect(setClientOrderId(rec, bad)).toBe(false);
      expect(rec.clientOrderIdLength).toBe(0);
    }
    expect(setClientOrderId(rec, undefined)).toBe(true);
    expect(clientOrderIdText(rec)).toBeUndefined();
  });

  it('validateOrderRecord refuses malformed records', () => {
    const rec = new OrderRecord();
    const good = (): OrderRecord => {
      rec.reset();
      rec.seq = 1;
      rec.qtyLots = 5;
      rec.priceTicks = 100;
      return rec;
    };
    expect(validateOrderRecord(good(), 2, 2)).toBeNull();
    expect(validateOrderRecord(Object.assign(good(), { seq: 0 }), 2, 2)).toBe('BAD_REQUEST');
    expect(validateOrderRecord(Object.assign(good(), { op: 9 }), 2, 2)).toBe('BAD_REQUEST');
    expect(validateOrderRecord(Object.assign(good(), { symbol: 2 }), 2, 2)).toBe('UNKNOWN_SYMBOL');
    expect(validateOrderRecord(Object.assign(good(), { venue: 2 }), 2, 2)).toBe('UNKNOWN_VENUE');
    expect(validateOrderRecord(Object.assign(good(), { side: 2 }), 2, 2)).toBe('INVALID_FIELD');
    expect(validateOrderRecord(Object.assign(good(), { type: 9 }), 2, 2)).toBe('INVALID_FIELD');
    expect(validateOrderRecord(Object.assign(good(), { priority: 3 }), 2, 2)).toBe('INVALID_FIELD');
    expect(validateOrderRecord(Object.assign(good(), { qtyLots: 0 }), 2, 2)).toBe('INVALID_QUANTITY');
    expect(validateOrderRecord(Object.assign(good(), { qtyLots: 1.5 }), 2, 2)).toBe('INVALID_QUANTITY');
    expect(validateOrderRecord(Object.assign(good(), { priceTicks: -1 }), 2, 2)).toBe('INVALID_PRICE');
    // the terms of the order type: a price on LIMIT and STOP_LIMIT only, a stop price on STOP and STOP_LIMIT only
    expect(validateOrderRecord(Object.assign(good(), { priceTicks: 0 }), 2, 2)).toBe('INVALID_PRICE');
    expect(validateOrderRecord(Object.assign(good(), { stopTicks: 5 }), 2, 2)).toBe('INVALID_PRICE');
    expect(validateOrderRecord(Object.assign(good(), { type: 1, timeInForce: 1 }), 2, 2)).toBe('INVALID_PRICE');
    expect(validateOrderRecord(Object.assign(good(), { type: 1, timeInForce: 1, priceTicks: 0 }), 2, 2)).toBeNull();
    expect(validateOrderRecord(Object.assign(good(), { type: 2, timeInForce: 1, priceTicks: 0 }), 2, 2)).toBe('INVALID_PRICE');
    expect(validateOrderRecord(Object.assign(good(), { type: 2, timeInForce: 2, priceTicks: 0, stopTicks: 7 }), 2, 2)).toBeNull();
    expect(validateOrderRecord(Object.assign(good(), { type: 3, stopTicks: 7 }), 2, 2)).toBeNull();
    expect(validateOrderRecord(Object.assign(good(), { type: 3 }), 2, 2)).toBe('INVALID_PRICE');
    // no resting MARKET or STOP; post-only on GTC LIMIT orders only
    expect(validateOrderRecord(Object.assign(good(), { type: 1, priceTicks: 0 }), 2, 2)).toBe('INVALID_FIELD');
    expect(validateOrderRecord(Object.assign(good(), { type: 2, priceTicks: 0, stopTicks: 7 }), 2, 2)).toBe('INVALID_FIELD');
    expect(validateOrderRecord(Object.assign(good(), { postOnly: true }), 2, 2)).toBeNull();
    expect(validateOrderRecord(Object.assign(good(), { postOnly: true, timeInForce: 1 }), 2, 2)).toBe('INVALID_FIELD');
    expect(validateOrderRecord(Object.assign(good(), { postOnly: true, type: 3, stopTicks: 7 }), 2, 2)).toBe('INVALID_FIELD');
    expect(validateOrderRecord(Object.assign(good(), { op: OP_CANCEL }), 2, 2)).toBe('ORDER_NOT_FOUND');
    expect(validateOrderRecord(Object.assign(good(), { op: OP_CANCEL, targetSeq: 4 }), 2, 2)).toBeNull();
    const bad = good();
    bad.clientOrderIdLength = 2;
    bad.clientOrderId[0] = 65;
    bad.clientOrderId[1] = 45; // '-'
    expect(validateOrderRecord(bad, 2, 2)).toBe('INVALID_CLIENT_ORDER_ID');
    // a corrupt length byte in the ring is refused, not trusted
    const buf = createRingBuffer(2, ORDER_RECORD_BYTES);
    const p = new RingProducer(buf);
    const off = p.tryClaim();
    writeOrderRecord(p, off, good());
    p.bytes[off + 61] = 200;
    expect(validateOrderRecord(readOrderRecord(p, off, new OrderRecord()), 2, 2)).toBe('INVALID_CLIENT_ORDER_ID');
  });
});

interface PlainEvent {
  kind: number; orderId: number; seq: number; tag: number; symbol: number; side: number; state: number; code: number;
  filledLots: number; priceTicks: number; qtyLots: number; liquidity: number; ts: number; count: number;
}

const eventArb: fc.Arbitrary<PlainEvent> = fc.record({
  kind: fc.integer({ min: 1, max: EVENT_KINDS.length - 1 }),
  orderId: safeCount,
  seq: safeCount,
  tag: fc.nat({ max: 0xffffffff }),
  symbol: fc.nat({ max: 0xffff }),
  side: fc.nat({ max: 1 }),
  state: fc.oneof(fc.constant(NO_STATE), fc.nat({ max: ORDER_STATES.length - 1 })),
  code: fc.oneof(fc.constant(NO_CODE), fc.nat({ max: ERROR_CODES.length - 1 })),
  filledLots: safeCount,
  priceTicks: safeCount,
  qtyLots: safeCount,
  liquidity: fc.nat({ max: 2 }),
  ts: safeCount,
  count: fc.nat({ max: 0xffffffff }),
});

describe('event record codec', () => {
  it('round-trips any event through a ring slot', () => {
    const buf = createRingBuffer(4, EVENT_RECORD_BYTES);
    const p = new RingProducer(buf);
    const c = new RingConsumer(buf);
    const w = new EventRecord();
    const r = new EventRecord();
    fc.assert(
      fc.property(eventArb, (e) => {
        Object.assign(w, e);
        writeEventRecord(p, p.tryClaim(), w);
        p.publish();
        c.poll(1, (o) => readEventRecord(c, o, r));
        expect({ ...r }).toEqual(e);
      }),
      { numRuns: 2000 },
    );
  });

  it('maps error codes by ERROR_CATALOGUE key order and states by ORDER_STATES order', () => {
    const keys = Object.keys(ERROR_CATALOGUE);
    keys.forEach((k, i) => {
      expect(errorCodeIndex(k)).toBe(i);
      expect(errorCodeAt(i)).toBe(k);
    });
    expect(errorCodeIndex(undefined)).toBe(NO_CODE);
    expect(errorCodeIndex('not a code')).toBe(NO_CODE);
    expect(errorCodeAt(NO_CODE)).toBeUndefined();
    ORDER_STATES.forEach((s, i) => {
      expect(orderStateIndex(s)).toBe(i);
      expect(orderStateAt(i)).toBe(s);
    });
  });

  it('every lifecycle event maps to an event kind (ROUTE is internal) and terminal events are flagged', () => {
    for (const ev of LIFECYCLE_EVENTS) {
      const k = eventKindOfLifecycle(ev, 'ACCEPTED');
      // not reported to strategies: ROUTE; amends (API only: worker strategies have no amend yet)
      if (ev === 'ROUTE' || ev === 'AMEND_REQUEST' || ev === 'AMENDED' || ev === 'AMEND_REJECT') expect(k).toBe(0);
      else expect(EVENT_KINDS[k]).toBeDefined();
    }
    expect(isTerminalEvent(EV_FILL, orderStateIndex('FILLED'))).toBe(true);
    expect(isTerminalEvent(EV_FILL, orderStateIndex('PARTIALLY_FILLED'))).toBe(false);
    expect(EVENT_KINDS[eventKindOfLifecycle('CANCEL_REQUEST', 'CANCELED')]).toBe('CANCELED');
    expect(EVENT_KINDS[eventKindOfLifecycle('CANCEL_REQUEST', 'PENDING_CANCEL')]).toBe('PENDING_CANCEL');
  });
});
