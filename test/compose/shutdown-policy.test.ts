import { describe, expect, it } from 'vitest';
import { INTERNAL_VENUE } from '../../src/crossing/internal-crossing.js';
import { cancelAndWait, ordersToCancelAtShutdown, type ShutdownOrder } from '../../src/compose/shutdown-policy.js';
import type { OrderState } from '../../src/model/order.js';

interface Order extends ShutdownOrder {
  state: OrderState;
}

function orders(): Order[] {
  return [
    { id: 1, state: 'CREATED', venue: undefined, strategy: 'a' },
    { id: 2, state: 'ACCEPTED', venue: INTERNAL_VENUE, strategy: 'b' },
    { id: 3, state: 'ACCEPTED', venue: 'sim-a', strategy: 'a' },
    { id: 4, state: 'PARTIALLY_FILLED', venue: 'sim-b', strategy: 'b' },
    { id: 5, state: 'PENDING_CANCEL', venue: 'sim-a', strategy: 'c' },
  ];
}

const ids = (list: readonly ShutdownOrder[]): number[] => list.map((o) => o.id);

describe('the shutdown policy', () => {
  it('always cancels queued orders and crossing-book rests; leave cancels nothing else', () => {
    expect(ids(ordersToCancelAtShutdown(orders(), { policy: 'leave', strategies: undefined }))).toEqual([1, 2]);
  });

  it('cancel-all cancels every open order', () => {
    expect(ids(ordersToCancelAtShutdown(orders(), { policy: 'cancel-all', strategies: undefined }))).toEqual([1, 2, 3, 4, 5]);
  });

  it('cancel-strategies cancels the listed strategies\' orders (and the ones that never left)', () => {
    expect(ids(ordersToCancelAtShutdown(orders(), { policy: 'cancel-strategies', strategies: ['b'] }))).toEqual([1, 2, 4]);
    expect(ids(ordersToCancelAtShutdown(orders(), { policy: 'cancel-strategies', strategies: undefined }))).toEqual([1, 2]);
  });

  it('asks once per order not already being canceled and reports the ones never confirmed', async () => {
    const list = orders().slice(2); // 3 ACCEPTED, 4 PARTIALLY_FILLED, 5 PENDING_CANCEL
    const asked: number[] = [];
    // the venue confirms 3 and 5 at once; 4's cancel is never confirmed
    const r = await cancelAndWait(list, (id) => {
      asked.push(id);
      if (id !== 4) list.find((o) => o.id === id)!.state = 'CANCELED';
    }, 50);
    expect(asked).toEqual([3, 4]);
    // 5 was PENDING_CANCEL: not asked again, and still open
    expect(r).toEqual({ settled: false, stillOpen: [4, 5] });
  });

  it('settles once every cancel is confirmed', async () => {
    const list = orders().slice(2, 4);
    const r = await cancelAndWait(list, (id) => {
      setImmediate(() => (list.find((o) => o.id === id)!.state = 'CANCELED'));
    }, 60_000);
    expect(r).toEqual({ settled: true, stillOpen: [] });
  });
});
