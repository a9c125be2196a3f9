/**
 * TWAP and iceberg parents through the daemon's order path: slices on schedule (cumulative targets, one slice per
 * interval, catch-up), the end of the horizon, the iceberg's refills, cancels.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { setup } from './rig.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function algoRig() {
  const t = setup();
  t.book(0, [[6_000_100, 100_000]], [[5_999_900, 100_000]]);
  /** Moves the daemon's clock and its timers together. */
  const advance = (ms: number) => {
    t.clock.advance(ms);
    vi.advanceTimersByTime(ms);
    t.path.dispatcher.pump();
  };
  return { ...t, advance };
}

describe('TWAP', () => {
  it('slices on schedule to cumulative targets; an unfilled slice is caught up by the next; the rest is canceled at the end', () => {
    const t = algoRig();
    const a = t.venues[0]!;
    const twap = t.submit({ route: 'table', venue: undefined, type: 'MARKET', timeInForce: 'IOC', priceTicks: 0, qtyLots: 1000, algo: { kind: 'TWAP', horizonMs: 1000, intervalMs: 250 } });
    expect(twap).toMatchObject({ state: 'ACCEPTED', venue: 'smart' });
    const slices = () => t.children(twap.id);
    expect(slices().map((k) => [k.type, k.timeInForce, k.qtyLots])).toEqual([['MARKET', 'IOC', 250]]);
    const venueOf = (k: { venue: string | undefined }) => t.venues.find((v) => v.name === k.venue)!;
    venueOf(slices()[0]!).fill(slices()[0]!.id, 6_000_100, 250);
    t.advance(100);
    expect(slices()).toHaveLength(1); // not before its time
    t.advance(150); // 250 ms: the second slice
    expect(slices().map((k) => k.qtyLots)).toEqual([250, 250]);
    const s2 = slices()[1]!;
    venueOf(s2).fill(s2.id, 6_000_100, 100);
    venueOf(s2).canceled(s2.id, 'IOC rest');
    t.advance(10);
    expect(slices()).toHaveLength(2); // one slice per interval
    t.advance(240); // 500 ms: catches up to 750
    expect(slices().map((k) => k.qtyLots)).toEqual([250, 250, 400]);
    venueOf(slices()[2]!).fill(slices()[2]!.id, 6_000_100, 400);
    t.advance(250); // 750 ms: the last slice, 250
    expect(slices().map((k) => k.qtyLots)).toEqual([250, 250, 400, 250]);
    const last = slices()[3]!;
    venueOf(last).fill(last.id, 6_000_100, 200);
    venueOf(last).canceled(last.id, 'IOC rest');
    expect(t.path.tracker.get(twap.id)).toMatchObject({ state: 'CANCELED', filledLots: 950, reason: 'TWAP over: the rest was not filled' });
    t.advance(1000);
    expect(slices()).toHaveLength(4);
    expect(a.orders.length + t.venues[1]!.orders.length + t.venues[2]!.orders.length).toBe(4);
  });

  it('a cancel stops the schedule and cancels the open slice', () => {
    const t = algoRig();
    const twap = t.submit({ route: 'table', type: 'LIMIT', timeInForce: 'GTC', priceTicks: 6_000_100, qtyLots: 400, algo: { kind: 'TWAP', horizonMs: 400, intervalMs: 100 } });
    const [s1] = t.children(twap.id);
    expect(s1).toMatchObject({ type: 'LIMIT', timeInForce: 'IOC', priceTicks: 6_000_100, qtyLots: 100 });
    expect(t.path.intake.cancel(twap.id).ok).toBe(true);
    const v = t.venues.find((x) => x.name === s1!.venue)!;
    expect(v.cancels.map((c) => c.orderId)).toEqual([s1!.id]);
    v.canceled(s1!.id);
    expect(t.path.tracker.get(twap.id)!.state).toBe('CANCELED');
    t.advance(1000);
    expect(t.children(twap.id)).toHaveLength(1);
  });
});

describe('iceberg', () => {
  it('shows its display quantity, refilled as each shown part fills, until the whole order is filled', () => {
    const t = algoRig();
    const ice = t.submit({ route: 'table', type: 'LIMIT', timeInForce: 'GTC', priceTicks: 5_999_000, qtyLots: 1000, algo: { kind: 'ICEBERG', displayLots: 300 } });
    const shown = () => t.children(ice.id);
    for (const expected of [300, 300, 300, 100]) {
      const part = shown().at(-1)!;
      expect(part).toMatchObject({ type: 'LIMIT', timeInForce: 'GTC', priceTicks: 5_999_000, qtyLots: expected, state: 'SUBMITTED' });
      const v = t.venues.find((x) => x.name === part.venue)!;
      v.accept(part.id);
      v.fill(part.id, 5_999_000, expected);
      t.path.dispatcher.pump();
    }
    expect(shown()).toHaveLength(4);
    expect(t.path.tracker.get(ice.id)).toMatchObject({ state: 'FILLED', filledLots: 1000 });
  });

  it('a shown part canceled by its venue ends the parent; a cancel of the parent cancels the shown part', () => {
    const t = algoRig();
    const ice = t.submit({ route: 'table', type: 'LIMIT', timeInForce: 'GTC', priceTicks: 5_999_000, qtyLots: 1000, algo: { kind: 'ICEBERG', displayLots: 300 } });
    const part = t.children(ice.id)[0]!;
    const v = t.venues.find((x) => x.name === part.venue)!;
    v.fill(part.id, 5_999_000, 100);
    v.canceled(part.id, 'self-trade prevention');
    expect(t.path.tracker.get(ice.id)).toMatchObject({ state: 'CANCELED', filledLots: 100 });
    expect(t.path.tracker.get(ice.id)!.reason).toMatch(/shown part \d+ ended: self-trade prevention/);

    const ice2 = t.submit({ route: 'table', type: 'LIMIT', timeInForce: 'GTC', priceTicks: 5_999_000, qtyLots: 1000, algo: { kind: 'ICEBERG', displayLots: 300 } });
    const part2 = t.children(ice2.id)[0]!;
    expect(t.path.intake.cancel(ice2.id).ok).toBe(true);
    const v2 = t.venues.find((x) => x.name === part2.venue)!;
    expect(v2.cancels.map((c) => c.orderId)).toContain(part2.id);
    v2.canceled(part2.id);
    expect(t.path.tracker.get(ice2.id)!.state).toBe('CANCELED');
    expect(t.children(ice2.id)).toHaveLength(1);
  });
});
