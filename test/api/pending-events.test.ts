import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PendingEvents } from '../../src/api/pending-events.js';

/*
 * The stream's queue of events waiting for durability (a ring of parallel arrays that grows): whatever the pushes and
 * shifts, it gives back what was pushed, oldest first, as a plain array queue would.
 */
describe('PendingEvents', () => {
  it('is a FIFO of (seq, strategy, symbol, event, message as a buffer and its span) through wrap-arounds and growth', () => {
    // each op: push k events, or shift up to k
    fc.assert(fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 700 })), { maxLength: 30 }), (ops) => {
      const ring = new PendingEvents();
      const model: [number, number, number, number, Buffer, number, number][] = [];
      let seq = 0;
      for (const [push, k] of ops) {
        for (let i = 0; i < k; i++) {
          if (push) {
            seq += 1 + (i % 3);
            const e: [number, number, number, number, Buffer, number, number] = [seq, seq % 5, seq % 7, seq % 15, Buffer.from(`m${seq}`), seq % 11, seq % 11 + seq % 13];
            model.push(e);
            ring.push(...e);
          } else if (model.length > 0) {
            const [s, strategy, symbol, event, chunk, start, end] = model.shift()!;
            expect([ring.firstSeq, ring.strategy, ring.symbol, ring.event, ring.chunk, ring.start, ring.end]).toEqual([s, strategy, symbol, event, chunk, start, end]);
            expect(ring.chunk).toBe(chunk);
            ring.shift();
          }
        }
        expect(ring.length).toBe(model.length);
        if (model.length > 0) {
          expect(ring.firstSeq).toBe(model[0]![0]);
          expect(ring.lastSeq).toBe(model[model.length - 1]![0]);
        }
      }
      ring.clear();
      expect(ring.length).toBe(0);
      ring.push(1, 0, 0, 0, Buffer.from('x'), 0, 1);
      expect([ring.firstSeq, ring.lastSeq, ring.length]).toEqual([1, 1, 1]);
    }), { numRuns: 200 });
  });
});
