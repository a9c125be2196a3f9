import { describe, expect, it } from 'vitest';
import { isOpen, OPEN_STATES, ORDER_STATES } from '../../src/model/order.js';

describe('isOpen', () => {
  it('is OPEN_STATES.has for every state (its comparisons are written out for speed)', () => {
    for (const s of ORDER_STATES) expect(isOpen(s)).toBe(OPEN_STATES.has(s));
  });
});
