/**
 * Emulated stops through the daemon's order path: held at `smart`, released by public trades (market data), once,
 * as a market or limit child that the parent follows; cancels; venue-pinned stops; trailing stops.
 */
import { describe, expect, it } from 'vitest';
import { ASK, BID } from '../../src/market/feed.js';
import { BTC, setup } from './rig.js';

function stopRig() {
  const t = setup();
  t.book(0, [[6_000_100, 10_000]], [[5_999_900, 10_000]]);
  t.book(1, [[6_000_200, 10_000]], [[5_999_800, 10_000]]);
  const trade = (venue: number, price: number) => t.market.trade(venue, BTC, price, 1, BID, 0);
  return { ...t, trade };
}

describe('emulated stops', () => {
  it('a STOP is held at smart, released once when a trade crosses its stop, as a market child the parent follows', () => {
    const t = stopRig();
    const stop = t.submit({ route: 'table', side: 'SELL', type: 'STOP', timeInForce: 'IOC', priceTicks: 0, stopTicks: 5_990_000, qtyLots: 300 });
    expect(stop).toMatchObject({ state: 'ACCEPTED', venue: 'smart' });
    expect(t.venues.every((v) => v.orders.length === 0)).toBe(true);
    t.trade(0, 5_995_000);
    expect(t.path.tracker.get(stop.id)!.state).toBe('ACCEPTED');
    t.trade(1, 5_990_000); // at the stop: released
    t.trade(0, 5_980_000); // again through it: nothing more
    t.path.dispatcher.pump();
    const kids = t.children(stop.id);
    expect(kids).toHaveLength(1);
    expect(kids[0]).toMatchObject({ type: 'MARKET', timeInForce: 'IOC', side: 'SELL', qtyLots: 300, parentId: stop.id, state: 'SUBMITTED' });
    expect(t.path.tracker.get(stop.id)!.state).toBe('TRIGGERED');
    const venue = t.venues.find((v) => v.name === kids[0]!.venue)!;
    expect(venue.orders.map((o) => o.orderId)).toEqual([kids[0]!.id]);
    venue.fill(kids[0]!.id, 5_989_000, 300);
    expect(t.path.tracker.get(stop.id)).toMatchObject({ state: 'FILLED', filledLots: 300 });
    expect(t.risk.snapshot().openOrders).toBe(0);
  });

  it('a STOP_LIMIT is released as a limit child with its price and time in force; a partial fill then the end', () => {
    const t = stopRig();
    const stop = t.submit({ route: 'best', side: 'BUY', type: 'STOP_LIMIT', timeInForce: 'GTC', priceTicks: 6_011_000, stopTicks: 6_010_000, qtyLots: 500 });
    t.trade(0, 6_009_999);
    expect(t.children(stop.id)).toEqual([]);
    t.trade(0, 6_010_000);
    t.path.dispatcher.pump();
    const [kid] = t.children(stop.id);
    expect(kid).toMatchObject({ type: 'LIMIT', timeInForce: 'GTC', priceTicks: 6_011_000, qtyLots: 500, venue: 'a' }); // best: a's ask
    const a = t.venues[0]!;
    a.accept(kid!.id);
    a.fill(kid!.id, 6_010_500, 200);
    a.canceled(kid!.id, 'venue maintenance');
    const done = t.path.tracker.get(stop.id)!;
    expect(done).toMatchObject({ state: 'CANCELED', filledLots: 200 });
    expect(done.reason).toMatch(/released order \d+ ended: venue maintenance/);
  });

  it('a cancel before the trigger: CANCELED at once, and no trade releases it afterwards', () => {
    const t = stopRig();
    const stop = t.submit({ side: 'SELL', type: 'STOP', timeInForce: 'IOC', priceTicks: 0, stopTicks: 5_990_000, qtyLots: 300 });
    expect(t.path.intake.cancel(stop.id).ok).toBe(true);
    expect(t.path.tracker.get(stop.id)!.state).toBe('CANCELED');
    t.trade(0, 5_000_000);
    t.path.dispatcher.pump();
    expect(t.children(stop.id)).toEqual([]);
    expect(t.venues.every((v) => v.orders.length === 0)).toBe(true);
    expect(t.risk.snapshot().openOrders).toBe(0);
  });

  it('a stop pinned to a venue watches that venue\'s trades only', () => {
    const t = stopRig();
    const stop = t.submit({ route: undefined, venue: 'b', side: 'SELL', type: 'STOP', timeInForce: 'IOC', priceTicks: 0, stopTicks: 5_990_000, qtyLots: 300 });
    t.trade(0, 5_900_000);
    expect(t.children(stop.id)).toEqual([]);
    t.trade(1, 5_990_000);
    t.path.dispatcher.pump();
    expect(t.children(stop.id).map((k) => k.venue)).toEqual(['b']);
  });

  it('a TRAILING_STOP follows the best price since it was placed, and triggers when the price comes back by its offset', () => {
    const t = stopRig();
    // SELL, 1000 ticks (10.00) behind the highest trade; it starts from the mark (60000.00)
    const trail = t.submit({ route: 'table', side: 'SELL', type: 'TRAILING_STOP', timeInForce: 'IOC', priceTicks: 0, trailingOffsetTicks: 1000, qtyLots: 100 });
    expect(t.path.stops!.triggerOf(t.path.store.slotOf(trail.id))).toBe(5_999_000);
    t.trade(0, 6_005_000);
    expect(t.path.stops!.triggerOf(t.path.store.slotOf(trail.id))).toBe(6_004_000);
    t.trade(1, 6_004_500); // down, but not by the offset
    t.trade(0, 6_004_100); // the trigger never moves back down
    expect(t.path.stops!.triggerOf(t.path.store.slotOf(trail.id))).toBe(6_004_000);
    expect(t.children(trail.id)).toEqual([]);
    // the best price so far is kept in the order (what the journal records)
    t.path.stops!.persist();
    expect(t.path.tracker.get(trail.id)!.stopTicks).toBe(6_005_000);
    t.trade(0, 6_004_000);
    t.path.dispatcher.pump();
    expect(t.children(trail.id)).toHaveLength(1);
    expect(t.children(trail.id)[0]).toMatchObject({ type: 'MARKET', side: 'SELL', qtyLots: 100 });
  });

  it('a BUY TRAILING_STOP trails the lowest price', () => {
    const t = stopRig();
    const trail = t.submit({ route: 'table', side: 'BUY', type: 'TRAILING_STOP', timeInForce: 'IOC', priceTicks: 0, trailingOffsetTicks: 500, qtyLots: 100 });
    t.market.trade(0, BTC, 5_990_000, 1, ASK, 0);
    expect(t.path.stops!.triggerOf(t.path.store.slotOf(trail.id))).toBe(5_990_500);
    t.market.trade(0, BTC, 5_990_400, 1, ASK, 0);
    expect(t.children(trail.id)).toEqual([]);
    t.market.trade(0, BTC, 5_990_500, 1, ASK, 0);
    t.path.dispatcher.pump();
    expect(t.children(trail.id)).toHaveLength(1);
  });
});
