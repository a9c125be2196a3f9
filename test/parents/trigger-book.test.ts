import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUY, SELL } from '../../src/core/order-store.js';
import { TriggerBatch, TriggerBook } from '../../src/parents/trigger-book.js';

interface Hit {
  slot: number;
  id: number;
  trigger: number;
}

function trade(book: TriggerBook, symbol: number, price: number, out = new TriggerBatch(2)): Hit[] {
  const n = book.onTrade(symbol, price, out);
  expect(n).toBe(out.count);
  const hits: Hit[] = [];
  for (let i = 0; i < n; i++) hits.push({ slot: out.slots[i]!, id: out.ids[i]!, trigger: out.triggers[i]! });
  return hits;
}

const slots = (hits: Hit[]): number[] => hits.map((h) => h.slot);

describe('TriggerBook: fixed stops', () => {
  it('BUY triggers at and above the stop, not below', () => {
    const b = new TriggerBook(1);
    b.add(1, 101, 0, BUY, 100);
    expect(trade(b, 0, 99)).toEqual([]);
    expect(b.size).toBe(1);
    expect(trade(b, 0, 100)).toEqual([{ slot: 1, id: 101, trigger: 100 }]);
    expect(b.size).toBe(0);
    b.add(2, 102, 0, BUY, 100);
    expect(trade(b, 0, 105)).toEqual([{ slot: 2, id: 102, trigger: 100 }]);
    expect(trade(b, 0, 105)).toEqual([]);
  });

  it('SELL triggers at and below the stop, not above', () => {
    const b = new TriggerBook(1);
    b.add(1, 101, 0, SELL, 100);
    expect(trade(b, 0, 101)).toEqual([]);
    expect(trade(b, 0, 100)).toEqual([{ slot: 1, id: 101, trigger: 100 }]);
    b.add(2, 102, 0, SELL, 100);
    expect(trade(b, 0, 90)).toEqual([{ slot: 2, id: 102, trigger: 100 }]);
    expect(b.size).toBe(0);
  });

  it('one trade triggers several orders once each, in crossing order then insertion order', () => {
    const b = new TriggerBook(1);
    b.add(0, 10, 0, BUY, 103);
    b.add(1, 11, 0, BUY, 101);
    b.add(2, 12, 0, BUY, 102);
    b.add(3, 13, 0, BUY, 101);
    b.add(4, 14, 0, BUY, 110);
    b.add(5, 15, 0, SELL, 104);
    b.add(6, 16, 0, SELL, 106);
    b.add(7, 17, 0, SELL, 104);
    b.add(8, 18, 0, SELL, 90);
    expect(slots(trade(b, 0, 104))).toEqual([1, 3, 2, 0, 6, 5, 7]);
    expect(b.size).toBe(2);
    expect(trade(b, 0, 104)).toEqual([]);
    expect(slots(trade(b, 0, 90))).toEqual([8]);
    expect(slots(trade(b, 0, 200))).toEqual([4]);
  });

  it('remove cancels and checks the order id; a reused slot is not confused', () => {
    const b = new TriggerBook(1);
    b.add(5, 1, 0, BUY, 100);
    expect(b.remove(5, 2)).toBe(false);
    expect(b.remove(6, 1)).toBe(false);
    expect(b.remove(1 << 20, 1)).toBe(false);
    expect(b.remove(5, 1)).toBe(true);
    expect(b.remove(5, 1)).toBe(false);
    expect(trade(b, 0, 100)).toEqual([]);
    b.add(5, 2, 0, SELL, 100); // slot reused by another order
    expect(b.remove(5, 1)).toBe(false);
    expect(b.triggerOf(5, 1)).toBeNaN();
    expect(b.triggerOf(5, 2)).toBe(100);
    expect(trade(b, 0, 100)).toEqual([{ slot: 5, id: 2, trigger: 100 }]);
    expect(b.has(5, 2)).toBe(false);
  });

  it('refuses an add into a slot it already holds, and bad input', () => {
    const b = new TriggerBook(2);
    b.add(3, 1, 0, BUY, 100);
    expect(() => b.add(3, 2, 1, BUY, 100)).toThrow(/slot 3/);
    expect(() => b.add(4, 2, 2, BUY, 100)).toThrow(RangeError);
    expect(() => b.add(4, 2, 0, 2, 100)).toThrow(RangeError);
    expect(() => b.add(4, 2, 0, BUY, 100.5)).toThrow(RangeError);
    expect(() => b.add(-1, 2, 0, BUY, 100)).toThrow(RangeError);
    expect(() => b.addTrailing(4, 2, 0, BUY, 0, 100)).toThrow(RangeError);
    expect(() => b.addTrailing(4, 2, 0, BUY, 1.5, 100)).toThrow(RangeError);
    expect(() => b.onTrade(0, 1.5, new TriggerBatch())).toThrow(RangeError);
    expect(() => b.onTrade(2, 1, new TriggerBatch())).toThrow(RangeError);
    expect(b.size).toBe(1);
  });

  it('keeps symbols apart and counts per symbol and side', () => {
    const b = new TriggerBook(3);
    b.add(0, 1, 0, BUY, 100);
    b.add(1, 2, 1, BUY, 100);
    b.addTrailing(2, 3, 1, SELL, 5, 100);
    b.add(3, 4, 2, SELL, 100);
    expect(b.size).toBe(4);
    expect([b.count(0), b.count(1), b.count(2)]).toEqual([1, 2, 1]);
    expect([b.count(1, BUY), b.count(1, SELL)]).toEqual([1, 1]);
    expect(slots(trade(b, 1, 100))).toEqual([1]);
    expect(b.count(0)).toBe(1);
    expect(slots(trade(b, 1, 95))).toEqual([2]);
    expect(slots(trade(b, 0, 100))).toEqual([0]);
    expect(b.count(2)).toBe(1);
    expect(slots(trade(b, 2, 50))).toEqual([3]);
    expect(b.size).toBe(0);
  });

  it('grows past its initial capacity and output capacity', () => {
    const b = new TriggerBook(1, 4);
    for (let i = 0; i < 1000; i++) b.add(i * 3, i + 1, 0, BUY, 1000 - i);
    const out = new TriggerBatch(1);
    expect(b.onTrade(0, 500, out)).toBe(500);
    for (let i = 0; i < 500; i++) expect(out.triggers[i]).toBe(1 + i);
    expect(b.size).toBe(500);
  });
});

describe('TriggerBook: trailing stops', () => {
  it('SELL: trigger follows the high and fires once the price comes back by the offset', () => {
    const b = new TriggerBook(1);
    b.addTrailing(0, 7, 0, SELL, 10, 100);
    expect(b.triggerOf(0, 7)).toBe(90);
    expect(b.extremeOf(0, 7)).toBe(100);
    expect(b.offsetOf(0, 7)).toBe(10);
    expect(trade(b, 0, 95)).toEqual([]);
    expect(trade(b, 0, 120)).toEqual([]);
    expect(b.triggerOf(0, 7)).toBe(110);
    expect(trade(b, 0, 111)).toEqual([]);
    expect(trade(b, 0, 115)).toEqual([]); // the trigger never moves against the order
    expect(b.triggerOf(0, 7)).toBe(110);
    expect(trade(b, 0, 110)).toEqual([{ slot: 0, id: 7, trigger: 110 }]);
    expect(b.size).toBe(0);
  });

  it('BUY: trigger follows the low and fires once the price comes back up by the offset', () => {
    const b = new TriggerBook(1);
    b.addTrailing(0, 7, 0, BUY, 10, 100);
    expect(b.triggerOf(0, 7)).toBe(110);
    expect(trade(b, 0, 109)).toEqual([]);
    expect(trade(b, 0, 80)).toEqual([]);
    expect(b.extremeOf(0, 7)).toBe(80);
    expect(b.triggerOf(0, 7)).toBe(90);
    expect(trade(b, 0, 89)).toEqual([]);
    expect(trade(b, 0, 95)).toEqual([{ slot: 0, id: 7, trigger: 90 }]);
  });

  it('a trailing stop only sees the prices traded after it was placed', () => {
    const b = new TriggerBook(1);
    b.addTrailing(0, 1, 0, SELL, 5, 100);
    expect(trade(b, 0, 130)).toEqual([]);
    b.addTrailing(1, 2, 0, SELL, 5, 110);
    expect(b.triggerOf(0, 1)).toBe(125);
    expect(b.triggerOf(1, 2)).toBe(105);
    expect(slots(trade(b, 0, 120))).toEqual([0]); // 120 <= 125; raises order 2 to 120
    expect(b.triggerOf(1, 2)).toBe(115);
    expect(trade(b, 0, 116)).toEqual([]);
    expect(slots(trade(b, 0, 115))).toEqual([1]);
  });

  it('interleaves fixed and trailing stops by trigger then insertion order', () => {
    const b = new TriggerBook(1);
    b.addTrailing(0, 1, 0, SELL, 3, 100); // 97
    b.add(1, 2, 0, SELL, 97);
    b.addTrailing(2, 3, 0, SELL, 1, 100); // 99
    b.add(3, 4, 0, SELL, 98);
    b.addTrailing(4, 5, 0, SELL, 3, 100); // 97
    b.addTrailing(5, 6, 0, SELL, 2, 90); // 88
    expect(trade(b, 0, 97)).toEqual([
      { slot: 2, id: 3, trigger: 99 },
      { slot: 3, id: 4, trigger: 98 },
      { slot: 0, id: 1, trigger: 97 },
      { slot: 1, id: 2, trigger: 97 },
      { slot: 4, id: 5, trigger: 97 },
    ]);
    expect(b.triggerOf(5, 6)).toBe(95); // raised by the 97 trade
    expect(b.size).toBe(1);
  });

  it('removes a trailing stop, including after its group was merged', () => {
    const b = new TriggerBook(1);
    b.addTrailing(0, 1, 0, SELL, 5, 100);
    b.addTrailing(1, 2, 0, SELL, 6, 101);
    b.addTrailing(2, 3, 0, SELL, 7, 102);
    expect(trade(b, 0, 110)).toEqual([]);
    expect([b.triggerOf(0, 1), b.triggerOf(1, 2), b.triggerOf(2, 3)]).toEqual([105, 104, 103]);
    expect(b.remove(1, 3)).toBe(false);
    expect(b.remove(1, 2)).toBe(true);
    expect(b.count(0, SELL)).toBe(2);
    expect(slots(trade(b, 0, 103))).toEqual([0, 2]);
    expect(b.size).toBe(0);
  });

  it('restoreTrailing resumes with the same trigger', () => {
    const a = new TriggerBook(1);
    a.addTrailing(4, 9, 0, SELL, 10, 100);
    a.addTrailing(5, 10, 0, BUY, 10, 100);
    for (const p of [104, 97, 103]) expect(trade(a, 0, p)).toEqual([]);
    const [e1, e2] = [a.extremeOf(4, 9), a.extremeOf(5, 10)];
    expect([e1, a.triggerOf(4, 9), e2, a.triggerOf(5, 10)]).toEqual([104, 94, 97, 107]);
    const b = new TriggerBook(1);
    b.restoreTrailing(4, 9, 0, SELL, a.offsetOf(4, 9), e1);
    b.restoreTrailing(5, 10, 0, BUY, a.offsetOf(5, 10), e2);
    expect([b.triggerOf(4, 9), b.triggerOf(5, 10)]).toEqual([94, 107]);
    const seen: Hit[][] = [];
    for (const p of [106, 96, 106]) {
      const hits = trade(b, 0, p);
      expect(hits).toEqual(trade(a, 0, p));
      seen.push(hits);
    }
    expect(seen).toEqual([[], [{ slot: 4, id: 9, trigger: 96 }], [{ slot: 5, id: 10, trigger: 106 }]]);
    expect(a.size + b.size).toBe(0);
  });

  it('extremeOf is NaN for fixed stops and unknown orders', () => {
    const b = new TriggerBook(1);
    b.add(0, 1, 0, BUY, 100);
    expect(b.extremeOf(0, 1)).toBeNaN();
    expect(b.offsetOf(0, 1)).toBeNaN();
    expect(b.extremeOf(1, 1)).toBeNaN();
    expect(b.triggerOf(0, 1)).toBe(100);
  });

  it('many trailing stops under rising prices share one extreme; a drop releases exactly those it crosses', () => {
    const b = new TriggerBook(1, 1 << 12);
    for (let i = 0; i < 2000; i++) b.addTrailing(i, i + 1, 0, SELL, 1000 + i, 10_000);
    const out = new TriggerBatch(4096);
    // Rising prices: every trade raises every extreme, nothing triggers; cost per trade is not O(n).
    for (let p = 10_001; p < 60_000; p++) expect(b.onTrade(0, p, out)).toBe(0);
    expect(b.triggerOf(0, 1)).toBe(59_999 - 1000);
    expect(b.onTrade(0, 58_000, out)).toBe(1000); // triggers 58_999 - i >= 58_000: i < 1000
    expect(b.size).toBe(1000);
  });
});

// ---- property test against a naive reference model ----

interface RefOrder {
  slot: number;
  id: number;
  symbol: number;
  side: number;
  trailing: boolean;
  stop: number;
  offset: number;
  extreme: number;
  seq: number;
}

class RefBook {
  orders: RefOrder[] = [];
  private seq = 0;

  add(o: Omit<RefOrder, 'seq'>): void {
    this.orders.push({ ...o, seq: this.seq++ });
  }

  find(slot: number, id: number): RefOrder | undefined {
    return this.orders.find((o) => o.slot === slot && o.id === id);
  }

  remove(slot: number, id: number): boolean {
    const i = this.orders.findIndex((o) => o.slot === slot && o.id === id);
    if (i < 0) return false;
    this.orders.splice(i, 1);
    return true;
  }

  trigger(o: RefOrder): number {
    if (!o.trailing) return o.stop;
    return o.side === SELL ? o.extreme - o.offset : o.extreme + o.offset;
  }

  trade(symbol: number, price: number): Hit[] {
    const hits: Hit[] = [];
    for (const side of [BUY, SELL]) {
      const mine = this.orders.filter((o) => o.symbol === symbol && o.side === side);
      for (const o of mine) if (o.trailing) o.extreme = side === SELL ? Math.max(o.extreme, price) : Math.min(o.extreme, price);
      const fired = mine.filter((o) => (side === SELL ? price <= this.trigger(o) : price >= this.trigger(o)));
      fired.sort((a, b) => (side === SELL ? this.trigger(b) - this.trigger(a) : this.trigger(a) - this.trigger(b)) || a.seq - b.seq);
      for (const o of fired) {
        hits.push({ slot: o.slot, id: o.id, trigger: this.trigger(o) });
        this.remove(o.slot, o.id);
      }
    }
    return hits;
  }
}

type Op =
  | { k: 'add'; slot: number; symbol: number; side: number; price: number }
  | { k: 'trail'; slot: number; symbol: number; side: number; offset: number; price: number }
  | { k: 'remove'; pick: number; stale: boolean }
  | { k: 'restore'; pick: number }
  | { k: 'trade'; symbol: number; price: number };

const SLOTS = 12;
const SYMBOLS = 2;

describe('TriggerBook: property test against a reference model', () => {
  it('matches the naive model over random add / addTrailing / remove / restore / trade sequences', () => {
    const price = fc.integer({ min: 90, max: 110 });
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 3, arbitrary: fc.record({ k: fc.constant('add' as const), slot: fc.nat(SLOTS - 1), symbol: fc.nat(SYMBOLS - 1), side: fc.nat(1), price }) },
      {
        weight: 3,
        arbitrary: fc.record({ k: fc.constant('trail' as const), slot: fc.nat(SLOTS - 1), symbol: fc.nat(SYMBOLS - 1), side: fc.nat(1), offset: fc.integer({ min: 1, max: 6 }), price }),
      },
      { weight: 2, arbitrary: fc.record({ k: fc.constant('remove' as const), pick: fc.nat(100), stale: fc.boolean() }) },
      { weight: 1, arbitrary: fc.record({ k: fc.constant('restore' as const), pick: fc.nat(100) }) },
      { weight: 6, arbitrary: fc.record({ k: fc.constant('trade' as const), symbol: fc.nat(SYMBOLS - 1), price }) },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), fc.nat(3), (ops, capLog) => {
        const book = new TriggerBook(SYMBOLS, 1 << capLog);
        const ref = new RefBook();
        const out = new TriggerBatch(1);
        let nextId = 1;
        for (const o of ops) {
          switch (o.k) {
            case 'add':
            case 'trail': {
              const id = nextId++;
              const held = ref.orders.some((r) => r.slot === o.slot);
              const call = (): void =>
                o.k === 'add' ? book.add(o.slot, id, o.symbol, o.side, o.price) : book.addTrailing(o.slot, id, o.symbol, o.side, o.offset, o.price);
              if (held) {
                expect(call).toThrow();
                break;
              }
              call();
              ref.add({
                slot: o.slot, id, symbol: o.symbol, side: o.side, trailing: o.k === 'trail',
                stop: o.k === 'add' ? o.price : 0, offset: o.k === 'trail' ? o.offset : 0, extreme: o.price,
              });
              break;
            }
            case 'remove': {
              if (ref.orders.length === 0) {
                expect(book.remove(o.pick % SLOTS, nextId)).toBe(false);
                break;
              }
              const r = ref.orders[o.pick % ref.orders.length]!;
              const id = o.stale ? r.id + 1000 : r.id;
              expect(book.remove(r.slot, id)).toBe(ref.remove(r.slot, id));
              break;
            }
            case 'restore': {
              // Simulated restart of one trailing order: journal (offset, extreme), remove, restore.
              const trailing = ref.orders.filter((r) => r.trailing);
              if (trailing.length === 0) break;
              const r = trailing[o.pick % trailing.length]!;
              const extreme = book.extremeOf(r.slot, r.id);
              const offset = book.offsetOf(r.slot, r.id);
              expect(book.remove(r.slot, r.id)).toBe(true);
              book.restoreTrailing(r.slot, r.id, r.symbol, r.side, offset, extreme);
              ref.remove(r.slot, r.id);
              ref.add({ ...r });
              break;
            }
            case 'trade': {
              const got = trade(book, o.symbol, o.price, out);
              expect(got).toEqual(ref.trade(o.symbol, o.price));
              break;
            }
          }
          expect(book.size).toBe(ref.orders.length);
          for (let s = 0; s < SYMBOLS; s++) {
            for (const side of [BUY, SELL]) expect(book.count(s, side)).toBe(ref.orders.filter((r) => r.symbol === s && r.side === side).length);
          }
          for (const r of ref.orders) {
            expect(book.triggerOf(r.slot, r.id)).toBe(ref.trigger(r));
            if (r.trailing) expect(book.extremeOf(r.slot, r.id)).toBe(r.extreme);
            else expect(book.extremeOf(r.slot, r.id)).toBeNaN();
          }
          // Each trailing order keeps its live group and at most a union-by-rank chain of forwarding records
          // (depth <= log2 of the groups created, < 7 here).
          expect(book.groupRecords).toBeLessThanOrEqual(8 * ref.orders.filter((r) => r.trailing).length);
        }
        for (const r of ref.orders) expect(book.remove(r.slot, r.id)).toBe(true);
        expect(book.size).toBe(0);
        expect(book.groupRecords).toBe(0);
      }),
      { numRuns: 500 },
    );
  });

  it('matches the model with many trailing stops and long runs (group merging, union-find)', () => {
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 4, arbitrary: fc.record({ k: fc.constant('trail' as const), slot: fc.nat(63), symbol: fc.constant(0), side: fc.nat(1), offset: fc.integer({ min: 1, max: 20 }), price: fc.integer({ min: 50, max: 150 }) }) },
      { weight: 2, arbitrary: fc.record({ k: fc.constant('remove' as const), pick: fc.nat(1000), stale: fc.constant(false) }) },
      { weight: 5, arbitrary: fc.record({ k: fc.constant('trade' as const), symbol: fc.constant(0), price: fc.integer({ min: 50, max: 150 }) }) },
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 100, maxLength: 600 }), (ops) => {
        const book = new TriggerBook(1, 16);
        const ref = new RefBook();
        const out = new TriggerBatch(1);
        let nextId = 1;
        for (const o of ops) {
          if (o.k === 'trail') {
            if (ref.orders.some((r) => r.slot === o.slot)) continue;
            const id = nextId++;
            book.addTrailing(o.slot, id, 0, o.side, o.offset, o.price);
            ref.add({ slot: o.slot, id, symbol: 0, side: o.side, trailing: true, stop: 0, offset: o.offset, extreme: o.price });
          } else if (o.k === 'remove') {
            if (ref.orders.length === 0) continue;
            const r = ref.orders[o.pick % ref.orders.length]!;
            expect(book.remove(r.slot, r.id)).toBe(ref.remove(r.slot, r.id));
          } else if (o.k === 'trade') {
            expect(trade(book, 0, o.price, out)).toEqual(ref.trade(0, o.price));
          }
        }
        for (const r of ref.orders) expect(book.triggerOf(r.slot, r.id)).toBe(ref.trigger(r));
        expect(book.size).toBe(ref.orders.length);
        for (const r of ref.orders) expect(book.remove(r.slot, r.id)).toBe(true);
        expect(book.groupRecords).toBe(0);
      }),
      { numRuns: 200 },
    );
  });
});
