/**
 * The strategies' cancel rate (`maxCancelsPerSecond` / `cancelBurst`) and the parent orders the daemon holds (venue
 * `smart`: sweeps, emulated stops, algorithms): the rate counts the cancels that go to a venue, so a cancel of a parent
 * counts one per child it cancels at a venue (children of children included) and nothing for the parent itself. A
 * parent with no child at a venue is canceled without a token and never refused.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { setup } from './rig.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** Alpha may cancel `burst` times at once, then once a second (the daemon's clock moves only when the test says). */
function rateRig(burst: number) {
  const t = setup(undefined, undefined, { maxCancelsPerSecond: 1, cancelBurst: burst });
  /** A plain order resting at venue a (no parent): its cancel goes to the venue. */
  const resting = () => t.submit({ route: 'table', venue: 'a', priceTicks: 5_990_000, qtyLots: 10 });
  const cancelsAt = () => t.venues.map((v) => v.cancels.map((c) => c.orderId));
  return { ...t, resting, cancelsAt };
}

describe('cancel rate: a parent counts the cancels its children send to venues', () => {
  it('an emulated stop (no child yet) is canceled without a token, even when the strategy is over its rate', () => {
    // defect: the stop's cancel took a token (refused RISK_CANCEL_RATE over the rate) though no venue was asked
    const t = rateRig(1);
    t.book(0, [[6_000_100, 10_000]], [[5_999_900, 10_000]]);
    const stop = t.submit({ side: 'SELL', type: 'STOP', timeInForce: 'IOC', priceTicks: 0, stopTicks: 5_990_000, qtyLots: 300 });
    const first = t.resting();
    expect(t.path.intake.cancel(first.id)).toMatchObject({ ok: true, order: { state: 'PENDING_CANCEL' } }); // the one token
    expect(t.path.intake.cancel(stop.id)).toMatchObject({ ok: true, order: { state: 'CANCELED' } });
    expect(t.cancelsAt()).toEqual([[first.id], [], []]);
  });

  it('a stop\'s cancel leaves the token for a cancel at a venue', () => {
    const t = rateRig(1);
    t.book(0, [[6_000_100, 10_000]], [[5_999_900, 10_000]]);
    const stop = t.submit({ side: 'SELL', type: 'STOP', timeInForce: 'IOC', priceTicks: 0, stopTicks: 5_990_000, qtyLots: 300 });
    const first = t.resting();
    expect(t.path.intake.cancel(stop.id)).toMatchObject({ ok: true, order: { state: 'CANCELED' } });
    expect(t.path.intake.cancel(first.id)).toMatchObject({ ok: true, order: { state: 'PENDING_CANCEL' } });
    // the rate still holds for cancels that go to a venue
    const second = t.resting();
    expect(t.path.intake.cancel(second.id)).toMatchObject({ ok: false, code: 'RISK_CANCEL_RATE' });
    expect(t.cancelsAt()).toEqual([[first.id], [], []]);
  });

  it('a TWAP between slices (no slice open) is canceled without a token, even over the rate', () => {
    const t = rateRig(1);
    t.book(0, [[6_000_100, 100_000]], [[5_999_900, 100_000]]);
    const twap = t.submit({ route: 'table', type: 'MARKET', timeInForce: 'IOC', priceTicks: 0, qtyLots: 1000, algo: { kind: 'TWAP', horizonMs: 1000, intervalMs: 250 } });
    const [slice] = t.children(twap.id);
    const at = t.venues.find((v) => v.name === slice!.venue)!;
    at.fill(slice!.id, 6_000_100, 250);
    expect(t.path.parents!.openChildren(t.path.store.slotOf(twap.id))).toBe(0);
    const first = t.resting();
    expect(t.path.intake.cancel(first.id)).toMatchObject({ ok: true, order: { state: 'PENDING_CANCEL' } });
    expect(t.path.intake.cancel(twap.id)).toMatchObject({ ok: true, order: { state: 'CANCELED' } });
    expect(t.cancelsAt()).toEqual([[first.id], [], []]);
  });

  it('a sweep with two children at venues takes two tokens (one per child cancel), not one for the parent', () => {
    const t = rateRig(3);
    t.book(0, [[6_000_100, 1000]]);
    t.book(2, [[6_000_100, 1000]]);
    const parent = t.submit({ qtyLots: 1500, priceTicks: 6_000_100, timeInForce: 'IOC' });
    const kids = t.children(parent.id);
    expect(kids.map((k) => k.venue)).toEqual(['a', 'c']);
    const other = t.resting();
    const last = t.resting();
    expect(t.path.intake.cancel(parent.id)).toMatchObject({ ok: true, order: { state: 'PENDING_CANCEL' } });
    expect(t.path.intake.cancel(other.id)).toMatchObject({ ok: true, order: { state: 'PENDING_CANCEL' } }); // the third token
    expect(t.path.intake.cancel(last.id)).toMatchObject({ ok: false, code: 'RISK_CANCEL_RATE' });
    expect(t.cancelsAt()).toEqual([[kids[0]!.id, other.id], [], [kids[1]!.id]]);
  });

  it('a parent whose children need more tokens than are left is canceled whole; the bucket owes the rest', () => {
    const t = rateRig(1);
    t.book(0, [[6_000_100, 1000]]);
    t.book(2, [[6_000_100, 1000]]);
    const parent = t.submit({ qtyLots: 1500, priceTicks: 6_000_100, timeInForce: 'IOC' });
    const kids = t.children(parent.id);
    expect(t.path.intake.cancel(parent.id)).toMatchObject({ ok: true, order: { state: 'PENDING_CANCEL' } });
    expect(t.cancelsAt()).toEqual([[kids[0]!.id], [], [kids[1]!.id]]);
    const other = t.resting();
    t.clock.advance(1000); // one token back: pays what the parent's second child cancel took
    expect(t.path.intake.cancel(other.id)).toMatchObject({ ok: false, code: 'RISK_CANCEL_RATE' });
    t.clock.advance(1000);
    expect(t.path.intake.cancel(other.id)).toMatchObject({ ok: true, order: { state: 'PENDING_CANCEL' } });
  });

  it('an algorithm whose slice is a sweep counts the sweep\'s children at venues (the right depth), nothing for either parent', () => {
    const t = rateRig(2);
    t.book(0, [[6_000_100, 60]]);
    t.book(2, [[6_000_100, 60]]);
    const twap = t.submit({ route: 'sweep', type: 'LIMIT', timeInForce: 'GTC', priceTicks: 6_000_100, qtyLots: 400, algo: { kind: 'TWAP', horizonMs: 400, intervalMs: 100 } });
    const [slice] = t.children(twap.id);
    expect(slice).toMatchObject({ venue: 'smart', qtyLots: 100 });
    const swept = t.children(slice!.id);
    expect(swept.map((k) => [k.venue, k.qtyLots])).toEqual([['a', 60], ['c', 40]]);
    const other = t.resting();
    expect(t.path.intake.cancel(twap.id)).toMatchObject({ ok: true, order: { state: 'PENDING_CANCEL' } });
    expect(t.path.intake.cancel(other.id)).toMatchObject({ ok: false, code: 'RISK_CANCEL_RATE' });
    expect(t.cancelsAt()).toEqual([[swept[0]!.id], [], [swept[1]!.id]]);
    t.venues[0]!.canceled(swept[0]!.id);
    t.venues[2]!.canceled(swept[1]!.id);
    expect(t.path.tracker.get(twap.id)!.state).toBe('CANCELED');
  });
});
