/**
 * JsonBytes: values written as JSON.stringify then UTF-8 would give them, and its two ways of making room — a writer
 * that grows by copying, and an arena whose messages are views that later writes never change.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonBytes, NUMBER_BOUND, stringBound } from '../../src/journal/json-bytes.js';

/** Any text: ASCII, quotes, backslashes, control characters, DEL, non-ASCII and lone surrogates. */
const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('', '"', '\\', '\x7f', '\u2028', '\ud800', 'é', 'a\nb', '\x00\x1f'));

const bytesOf = (w: JsonBytes): string => Buffer.from(w.view()).toString('utf8');

describe('JsonBytes', () => {
  it('num: any number as JSON.stringify writes it (integers either side of 1e9, negative, fractions, -0, not finite)', () => {
    const special = fc.constantFrom(0, -0, 9, 10, 999_999_999, 1e9, 1e9 + 1, 1_733_350_000_123, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 53, 1e21, 0.1, -1.5e-7, NaN, Infinity, -Infinity);
    fc.assert(fc.property(fc.oneof(special, fc.integer(), fc.maxSafeInteger(), fc.double()), (n) => {
      const w = new JsonBytes();
      w.reserve(NUMBER_BOUND);
      w.num(n);
      expect(bytesOf(w)).toBe(JSON.stringify(n) ?? 'null');
    }), { numRuns: 2000 });
  });

  it('digits: any non-negative safe integer in base 10 and 36 as toString writes it (either side of 2^31, every length)', () => {
    const special = fc.constantFrom(0, 9, 10, 35, 36, 1295, 1296, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 36 ** 10 - 1, 36 ** 10, 1e15 - 1, 1e15, Number.MAX_SAFE_INTEGER);
    fc.assert(fc.property(fc.oneof(special, fc.nat(), fc.maxSafeNat()), fc.constantFrom(10, 36), (n, base) => {
      const w = new JsonBytes();
      w.reserve(NUMBER_BOUND);
      w.digits(n, base);
      expect(bytesOf(w)).toBe(n.toString(base));
    }), { numRuns: 2000 });
  });

  it('str, plain and json: any text as JSON.stringify then UTF-8 give it, within stringBound', () => {
    fc.assert(fc.property(text, (s) => {
      for (const write of ['str', 'plain'] as const) {
        const w = new JsonBytes();
        w.reserve(stringBound(s));
        w[write](s);
        expect(w.pos).toBeLessThanOrEqual(stringBound(s));
        expect(Buffer.from(w.view())).toEqual(Buffer.from(JSON.stringify(s)));
      }
      const w = new JsonBytes();
      const json = JSON.stringify(s);
      w.reserve(3 * json.length);
      w.json(json);
      expect(Buffer.from(w.view())).toEqual(Buffer.from(json));
    }), { numRuns: 1000 });
  });

  it('an arena: each message is a view that stays as written, however the buffers are begun (room made in the middle of a message)', () => {
    fc.assert(fc.property(fc.array(fc.array(text, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 300 }), (messages, chunk) => {
      const arena = new JsonBytes(chunk);
      const views: Buffer[] = [];
      for (const parts of messages) {
        arena.begin();
        // each part makes its own room: a message may begin in one buffer and be moved on to the next
        for (const p of parts) {
          arena.reserve(stringBound(p));
          arena.str(p);
        }
        views.push(arena.view());
      }
      expect(views.map((v) => v.toString('utf8'))).toEqual(messages.map((parts) => parts.map((p) => JSON.stringify(p)).join('')));
    }), { numRuns: 300 });
  });

  it('a writer that grows keeps everything written since it began (one text, as the file store writes its lines)', () => {
    const w = new JsonBytes();
    const expected: string[] = [];
    for (let i = 0; i < 500; i++) {
      w.reserve(NUMBER_BOUND + 1);
      w.num(i * 1_000_003);
      w.byte(0x2c);
      expected.push(`${i * 1_000_003},`);
    }
    expect(w.text()).toBe(expected.join(''));
  });
});
