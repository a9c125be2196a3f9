import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SLOT_COUNT, apportion, buildSlots, slotCounts } from '../../src/routing/routing-table.js';

function counts(weights: number[]): number[] {
  return slotCounts(buildSlots(weights), weights.length);
}

/** Longest run of one venue, reading the table as a ring. */
function longestRun(table: Uint8Array, venue: number): number {
  let best = 0;
  let cur = 0;
  for (let i = 0; i < 2 * table.length; i++) {
    cur = table[i % table.length] === venue ? cur + 1 : 0;
    best = Math.max(best, cur);
  }
  return Math.min(best, table.length);
}

describe('buildSlots: largest-remainder apportionment of 256 slots', () => {
  it.each([
    [[3, 1], [192, 64]],
    [[1, 1, 1], [86, 85, 85]],
    [[1, 0], [256, 0]],
    [[0, 1], [0, 256]],
    [[2, 1, 1], [128, 64, 64]],
    [[1, 1], [128, 128]],
    [[5], [256]],
    [[1, 2], [85, 171]],
    [[0.1, 0.2], [85, 171]], // exact decimals: 0.1 : 0.2 is 1 : 2, whatever the binary floats say
    [[0.3, 0.3, 0.3], [86, 85, 85]], // equal quotas tie exactly, lower index first
    [[1, 1, 1, 1, 1, 1, 1], [37, 37, 37, 37, 36, 36, 36]],
    [[1000, 1], [256, 0]], // quota 0.26: a listed venue may end up with no slot
    [[1, 0, 1, 0, 1], [86, 0, 85, 0, 85]],
    [[50, 30, 20], [128, 77, 51]],
  ])('weights %j -> %j', (weights, expected) => {
    const table = buildSlots(weights);
    expect(table).toBeInstanceOf(Uint8Array);
    expect(table.length).toBe(SLOT_COUNT);
    expect(slotCounts(table, weights.length)).toEqual(expected);
    expect(apportion(weights)).toEqual(expected);
  });

  it('is deterministic', () => {
    expect(buildSlots([7, 3, 2, 9])).toEqual(buildSlots([7, 3, 2, 9]));
  });

  it('throws RangeError when no venue has a weight, a weight is negative or not finite, or there are > 256 venues', () => {
    expect(() => buildSlots([])).toThrow(RangeError);
    expect(() => buildSlots([0, 0, 0])).toThrow(RangeError);
    expect(() => buildSlots([1, -1])).toThrow(RangeError);
    expect(() => buildSlots([1, NaN])).toThrow(RangeError);
    expect(() => buildSlots([1, Infinity])).toThrow(RangeError);
    expect(() => buildSlots(new Array<number>(257).fill(1))).toThrow(RangeError);
    expect(slotCounts(buildSlots(new Array<number>(256).fill(1)), 256)).toEqual(new Array<number>(256).fill(1));
  });

  it('interleaves the slots instead of laying out contiguous blocks', () => {
    const half = buildSlots([1, 1]);
    for (let i = 0; i < SLOT_COUNT; i++) expect(half[i]).not.toBe(half[(i + 1) % SLOT_COUNT]);
    const threeToOne = buildSlots([3, 1]);
    expect(longestRun(threeToOne, 0)).toBe(3);
    expect(longestRun(threeToOne, 1)).toBe(1);
    const twoOneOne = buildSlots([2, 1, 1]);
    expect(longestRun(twoOneOne, 0)).toBeLessThanOrEqual(2);
    expect(longestRun(twoOneOne, 1)).toBe(1);
    expect(longestRun(twoOneOne, 2)).toBe(1);
  });

  it('slotCounts ignores indices at or beyond venueCount', () => {
    const t = new Uint8Array(SLOT_COUNT).fill(3);
    t[0] = 0;
    expect(slotCounts(t, 2)).toEqual([1, 0]);
  });
});

describe('buildSlots properties', () => {
  const weightsArb = fc
    .array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 10 }), fc.integer({ min: 0, max: 1_000_000 })), { minLength: 1, maxLength: 40 })
    .filter((w) => w.some((x) => x > 0));

  it('counts sum to 256, each is the floor or ceiling of its quota, zero weight gets zero slots', () => {
    fc.assert(
      fc.property(weightsArb, (weights) => {
        const c = counts(weights);
        expect(c.reduce((a, b) => a + b, 0)).toBe(SLOT_COUNT);
        const total = BigInt(weights.reduce((a, b) => a + b, 0));
        weights.forEach((w, v) => {
          const num = BigInt(SLOT_COUNT) * BigInt(w);
          const floor = Number(num / total);
          if (w === 0) expect(c[v]).toBe(0);
          else if (num % total === 0n) expect(c[v]).toBe(floor);
          else expect([floor, floor + 1]).toContain(c[v]);
        });
      }),
      { numRuns: 1000 },
    );
  });

  it('the extra slots go to the largest remainders, ties to the lower venue index', () => {
    fc.assert(
      fc.property(weightsArb, (weights) => {
        const c = counts(weights);
        const total = BigInt(weights.reduce((a, b) => a + b, 0));
        const rem = weights.map((w) => (BigInt(SLOT_COUNT) * BigInt(w)) % total);
        const up = weights.map((w, v) => BigInt(c[v]!) > (BigInt(SLOT_COUNT) * BigInt(w)) / total);
        for (let a = 0; a < weights.length; a++) {
          for (let b = 0; b < weights.length; b++) {
            // a was rounded up and b (with a remainder) was not: a's remainder is larger, or equal with a lower index
            if (up[a] && !up[b] && rem[b]! > 0n) expect(rem[a]! > rem[b]! || (rem[a] === rem[b] && a < b)).toBe(true);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('every prefix of the table holds each venue within 2 slots of its proportional share', () => {
    fc.assert(
      fc.property(weightsArb, (weights) => {
        const table = buildSlots(weights);
        const c = slotCounts(table, weights.length);
        const seen = new Array<number>(weights.length).fill(0);
        for (let k = 1; k <= SLOT_COUNT; k++) {
          seen[table[k - 1]!]! += 1;
          for (let v = 0; v < weights.length; v++) {
            expect(Math.abs(seen[v]! - (k * c[v]!) / SLOT_COUNT)).toBeLessThan(2);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('scaling all weights by the same factor does not change the table', () => {
    fc.assert(
      fc.property(weightsArb.filter((w) => w.every((x) => x <= 1000)), fc.integer({ min: 2, max: 1000 }), (weights, k) => {
        expect(buildSlots(weights.map((w) => w * k))).toEqual(buildSlots(weights));
      }),
      { numRuns: 300 },
    );
  });
});
