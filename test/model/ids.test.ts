import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { OrderIdCounter, derivedClientOrderId, isClientIdPrefix, isValidClientOrderId, makeClientOrderId, writeDigits } from '../../src/model/ids.js';
import { OrderTracker } from '../../src/core/order-tracker.js';
import { ManualClock } from '../../src/model/clock.js';
import { newOrderFields, testStore } from '../helpers/model.js';

describe('OrderIdCounter', () => {
  it('starts above its seed and is strictly increasing', () => {
    const c = new OrderIdCounter();
    expect(c.current()).toBe(0);
    expect(c.next()).toBe(1);
    expect(c.next()).toBe(2);
    expect(c.current()).toBe(2);
    const seeded = new OrderIdCounter(1000);
    expect(seeded.next()).toBe(1001);
  });

  it('rejects a seed that is negative or not a safe integer', () => {
    for (const bad of [-1, 1.5, NaN, Infinity, Number.MAX_SAFE_INTEGER + 1]) {
      expect(() => new OrderIdCounter(bad)).toThrow(RangeError);
    }
  });

  it('advancePast moves past a replayed id and never goes back', () => {
    const c = new OrderIdCounter();
    c.next();
    c.advancePast(500);
    expect(c.next()).toBe(501);
    c.advancePast(10);
    expect(c.next()).toBe(502);
    c.advancePast(502);
    expect(c.next()).toBe(503);
  });

  it('property: ids are strictly increasing under any mix of next and advancePast', () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.nat({ max: 10_000 }), { nil: undefined }), { maxLength: 100 }), (ops) => {
        const c = new OrderIdCounter();
        let last = 0;
        let maxSeen = 0;
        for (const op of ops) {
          if (op === undefined) {
            const id = c.next();
            expect(id).toBeGreaterThan(last);
            expect(id).toBeGreaterThan(maxSeen);
            last = id;
          } else {
            c.advancePast(op);
            maxSeen = Math.max(maxSeen, op);
          }
          expect(c.current()).toBeGreaterThanOrEqual(maxSeen);
        }
      }),
    );
  });
});

describe('client order ids', () => {
  it.each(['a', 'Z', '0', 'abcDEF123', 'x'.repeat(32), 'sy1a2b3c'])('accepts %j', (id) => {
    expect(isValidClientOrderId(id)).toBe(true);
  });

  it.each(['', 'a-b', 'a_b', 'x'.repeat(33), 'a b', 'a.b', 'a:b', 'a/b', 'é', 'ab\n', ' ab'])('rejects %j', (id) => {
    expect(isValidClientOrderId(id)).toBe(false);
  });

  it('rejects values that are not strings', () => {
    for (const v of [undefined, null, 1, {}, ['a']]) expect(isValidClientOrderId(v)).toBe(false);
  });

  it('property: valid exactly when 1..32 ASCII letters and digits', () => {
    const alnum = fc.constantFrom(...'abcxyzABCXYZ0189');
    const other = fc.constantFrom('-', '_', '.', ' ', ':', 'é', '\u0000');
    fc.assert(
      fc.property(fc.array(fc.oneof({ weight: 9, arbitrary: alnum }, { weight: 1, arbitrary: other }), { maxLength: 40 }), (chars) => {
        const s = chars.join('');
        const want = s.length >= 1 && s.length <= 32 && /^[A-Za-z0-9]*$/.test(s);
        expect(isValidClientOrderId(s)).toBe(want);
      }),
    );
  });

  it('makeClientOrderId is the prefix followed by the id in base 36', () => {
    expect(makeClientOrderId('sy1', 1)).toBe('sy11');
    expect(makeClientOrderId('sy', 35)).toBe('syz');
    expect(makeClientOrderId('sy', 36)).toBe('sy10');
    expect(makeClientOrderId('SY', Number.MAX_SAFE_INTEGER)).toBe('SY' + Number.MAX_SAFE_INTEGER.toString(36));
    expect(isValidClientOrderId(makeClientOrderId('SY', Number.MAX_SAFE_INTEGER))).toBe(true);
  });

  it('makeClientOrderId refuses prefixes that make an invalid id', () => {
    expect(() => makeClientOrderId('sy-', 1)).toThrow(RangeError);
    expect(() => makeClientOrderId('x'.repeat(32), 1)).toThrow(RangeError);
  });

  it('derivedClientOrderId, for a prefix isClientIdPrefix accepts: the prefix and the id in base 36 when that is a valid client order id, else refused (as are ids that are not non-negative safe integers)', () => {
    expect(isClientIdPrefix('')).toBe(true);
    expect(isClientIdPrefix('sy-')).toBe(false);
    expect(isClientIdPrefix('x'.repeat(32))).toBe(false);
    // a prefix that leaves too little room for the id: past 32 characters
    expect(derivedClientOrderId('x'.repeat(31), 35)).toBe(`${'x'.repeat(31)}z`);
    expect(() => derivedClientOrderId('x'.repeat(31), 36)).toThrow(RangeError);
    expect(() => makeClientOrderId('x'.repeat(25), Number.MAX_SAFE_INTEGER)).toThrow(RangeError);
    fc.assert(fc.property(fc.stringMatching(/^[A-Za-z0-9]{0,31}$/), fc.oneof(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), fc.constantFrom(0, -1, 1.5, 2 ** 53)), (prefix, id) => {
      expect(isClientIdPrefix(prefix)).toBe(true);
      const text = prefix + id.toString(36);
      if (Number.isSafeInteger(id) && id >= 0 && isValidClientOrderId(text)) expect(derivedClientOrderId(prefix, id)).toBe(text);
      else expect(() => derivedClientOrderId(prefix, id)).toThrow(RangeError);
    }), { numRuns: 500 });
  });

  it('property: distinct order ids give distinct client order ids for one prefix', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), (a, b) => {
        fc.pre(a !== b);
        expect(makeClientOrderId('sy1', a)).not.toBe(makeClientOrderId('sy1', b));
      }),
    );
  });

  it('writeDigits: a non-negative safe integer in base 10 and 36 as toString writes it, where it ends (either side of 2^31)', () => {
    const special = fc.constantFrom(0, 9, 10, 35, 36, 1295, 1296, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 36 ** 10 - 1, 36 ** 10, 1e15 - 1, 1e15, Number.MAX_SAFE_INTEGER);
    fc.assert(fc.property(fc.oneof(special, fc.nat(), fc.maxSafeNat()), fc.constantFrom(10, 36), fc.nat({ max: 8 }), (n, base, at) => {
      const buf = new Uint8Array(32).fill(1);
      const end = writeDigits(buf, at, n, base);
      expect(Buffer.from(buf.subarray(at, end)).toString('latin1')).toBe(n.toString(base));
      // nothing written outside
      expect([...buf.subarray(0, at), ...buf.subarray(end)].every((b) => b === 1)).toBe(true);
    }), { numRuns: 2000 });
  });

  it('the order store writes an order\'s client order id (given, or derived from any prefix and id) as the order names it', () => {
    fc.assert(fc.property(fc.constantFrom('', 'tst', 'Ab9', 'x'.repeat(20)), fc.oneof(fc.nat(), fc.integer({ min: 0, max: 36 ** 8 })), fc.option(fc.constantFrom('mine1', 'x'.repeat(32)), { nil: undefined }), (prefix, id, given) => {
      const store = testStore({ prefix });
      const slot = new OrderTracker(store, new ManualClock(0), { retainFinished: 1 }).create(id, newOrderFields(store, { clientOrderId: given }));
      const buf = new Uint8Array(48);
      const n = store.writeClientOrderId(slot, buf, 3);
      expect(Buffer.from(buf.subarray(3, 3 + n)).toString('latin1')).toBe(store.clientOrderId(slot));
    }), { numRuns: 500 });
  });
});
