/**
 * bench:stress's accounting order by order (bench/lib/stress-accounting.ts), without a run: the answers a producer got
 * matched to the orders they name (AnswerLedger), and one producer's orders against what the venue was handed
 * (accountProducer). Counting acceptances is not enough: which orders were accepted decides what is lost, phantom or
 * out of order.
 */
import { describe, expect, it } from 'vitest';
import { AnswerLedger, accountProducer, type VenueRecord } from '../../bench/lib/stress-accounting.js';

/** What a RecordingVenue of `producers` x `orders` holds after the given handoffs (per producer, seqs in order). */
function venueOf(producers: number, orders: number, handed: readonly (readonly number[])[]): VenueRecord {
  const counts = new Uint16Array(producers * (orders + 1));
  const handoffs = Array.from({ length: producers }, (_, p) => Int32Array.from(handed[p] ?? []));
  handed.forEach((seqs, p) => seqs.forEach((s) => counts[p * (orders + 1) + s]!++));
  return { counts, handoffs, handoffCount: Int32Array.from(handoffs, (h) => h.length) };
}

describe('AnswerLedger: each answer matched to the order it names', () => {
  it('an acceptance of the order asked is counted once, in the order answered', () => {
    const l = new AnswerLedger(5);
    expect(l.accept(1, 1)).toBe(true);
    expect(l.accept(3, 3)).toBe(true);
    expect(l.accept(2, 2)).toBe(true);
    expect([...l.acceptedOrder()]).toEqual([1, 3, 2]);
    expect({ count: l.count, duplicates: l.duplicates, stray: l.stray }).toEqual({ count: 3, duplicates: 0, stray: 0 });
  });

  it('a second acceptance of an order is a duplicate, never a second acceptance (asked again or with no request waiting)', () => {
    const l = new AnswerLedger(5);
    l.accept(1, 1);
    expect(l.accept(2, 1)).toBe(false); // the answer to the request for 2 names 1 again
    expect(l.accept(-1, 1)).toBe(false); // an extra answer, nothing asked
    expect([...l.acceptedOrder()]).toEqual([1]);
    expect({ count: l.count, duplicates: l.duplicates, stray: l.stray }).toEqual({ count: 1, duplicates: 2, stray: 0 });
  });

  it('an answer naming another order than the one asked, no order of the producer, or answering no request is stray', () => {
    const l = new AnswerLedger(5);
    expect(l.accept(2, 3)).toBe(false); // another order of this producer, not accepted before
    expect(l.accept(2, -1)).toBe(false); // no order of this producer (another producer's client order id, or none)
    expect(l.accept(-1, 4)).toBe(false); // nothing was asked
    expect(l.accept(6, 6)).toBe(false); // beyond the producer's orders
    l.unmatched(); // a refusal nothing was waiting for
    expect(l.count).toBe(0);
    expect(l.stray).toBe(5);
    // the order asked is still accepted once its own answer comes
    expect(l.accept(3, 3)).toBe(true);
    expect([...l.acceptedOrder()]).toEqual([3]);
  });
});

describe('accountProducer: one producer\'s orders against the venue, order by order', () => {
  it('clean: every accepted order handed over once, in the order accepted', () => {
    const v = venueOf(2, 4, [[], [2, 1, 4]]);
    expect(accountProducer(1, 4, Int32Array.of(2, 1, 4), v)).toEqual({ lost: 0, duplicated: 0, phantom: 0, fifoViolations: 0 });
  });

  it('as many handed over as accepted, but not the same orders: one lost and one phantom (a count would see nothing)', () => {
    // seqs 1, 2 and 4 accepted (3 was refused), the venue got 1, 2 and 3
    const v = venueOf(1, 4, [[1, 2, 3]]);
    expect(accountProducer(0, 4, Int32Array.of(1, 2, 4), v)).toEqual({ lost: 1, duplicated: 0, phantom: 1, fifoViolations: 0 });
  });

  it('an order handed over twice is duplicated; one handed over before an order accepted earlier is a FIFO violation', () => {
    const v = venueOf(1, 4, [[1, 3, 2, 3]]);
    expect(accountProducer(0, 4, Int32Array.of(1, 2, 3), v)).toEqual({ lost: 0, duplicated: 1, phantom: 0, fifoViolations: 1 });
  });

  it('only the producer\'s own orders are counted (another producer\'s handoffs are theirs)', () => {
    const v = venueOf(2, 3, [[1, 2, 3], [3]]);
    expect(accountProducer(0, 3, Int32Array.of(1, 2, 3), v)).toEqual({ lost: 0, duplicated: 0, phantom: 0, fifoViolations: 0 });
    expect(accountProducer(1, 3, Int32Array.of(1, 3), v)).toEqual({ lost: 1, duplicated: 0, phantom: 0, fifoViolations: 0 });
  });
});
