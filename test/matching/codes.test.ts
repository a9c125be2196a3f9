/**
 * The engine's hot paths (order-book.ts submit / cancel, matching.ts execute, book-state.ts fits / rest / unlink)
 * write codes, flag bits and limits as literals, named in comments, because an imported constant costs a module
 * cell load and a TDZ check per use in optimised code. This pins the values those literals stand for: renumbering
 * a code or a flag bit must fail here and send the change to those lines too.
 */
import { describe, expect, it } from 'vitest';
import { NO_LIMIT } from '../../src/matching/matching.js';
import { F_POST_ONLY, F_SELL, F_STOP, F_STP_SHIFT } from '../../src/matching/order-pool.js';
import { CancelReason, MAX_PRICE, MAX_QTY, OrderType, Status } from '../../src/matching/types.js';

describe('codes written as literals on the hot paths', () => {
  it('order types', () => {
    expect([OrderType.LIMIT, OrderType.MARKET, OrderType.IOC, OrderType.FOK, OrderType.POST_ONLY, OrderType.STOP]).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('statuses', () => {
    expect([Status.OK, Status.UNKNOWN_ID, Status.DUPLICATE_ID, Status.INVALID_ID, Status.INVALID_QTY, Status.INVALID_PRICE]).toEqual([0, 1, 2, 3, 4, 5]);
    expect([Status.INVALID_SIDE, Status.INVALID_TYPE, Status.INVALID_STP, Status.INVALID_OWNER, Status.LEVEL_TOTAL_OVERFLOW]).toEqual([6, 7, 8, 9, 13]);
  });

  it('cancel reasons', () => {
    expect([CancelReason.USER, CancelReason.IOC_REMAINDER, CancelReason.FOK_KILL, CancelReason.POST_ONLY_REJECT]).toEqual([1, 4, 5, 6]);
    expect([CancelReason.MARKET_REMAINDER, CancelReason.LEVEL_TOTAL_OVERFLOW]).toEqual([7, 8]);
  });

  it('flag bits', () => {
    expect([F_SELL, F_STP_SHIFT, F_POST_ONLY, F_STOP]).toEqual([1, 1, 16, 32]);
  });

  it('limits', () => {
    expect(MAX_QTY).toBe(9007199254740991);
    expect(MAX_PRICE).toBe(4503599627370496);
    expect(NO_LIMIT).toBe(-Number.MAX_VALUE);
  });
});
