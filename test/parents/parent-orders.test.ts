/**
 * Sweep parents and their children through the daemon's own order path (buildOrderPath with market data): the
 * children the planner gives, their roll-up into the parent, the rest by time in force, cancels, and what risk and
 * the fee ledger see. The venues here only record what they are handed; the test plays the venue's answers.
 */
import { describe, expect, it } from 'vitest';
import { intent } from '../helpers/model.js';
import { setup } from './rig.js';

describe('sweep parents', () => {
  it('split across venues in fee-adjusted price order, never past the limit; children roll up into a FILLED parent', () => {
    const t = setup();
    t.book(0, [[6_000_100, 1000], [6_000_200, 1000], [6_000_300, 5000]]);
    t.book(1, [[6_000_150, 500]]);
    const parent = t.submit({ qtyLots: 2000, priceTicks: 6_000_200, timeInForce: 'IOC' });
    expect(parent).toMatchObject({ state: 'ACCEPTED', venue: 'smart', route: 'sweep' });
    const kids = t.children(parent.id);
    expect(kids.map((k) => [k.venue, k.qtyLots, k.priceTicks, k.type, k.timeInForce, k.parentId])).toEqual([
      ['a', 1500, 6_000_200, 'LIMIT', 'IOC', parent.id],
      ['b', 500, 6_000_150, 'LIMIT', 'IOC', parent.id],
    ]);
    expect(t.venues[0]!.orders.map((o) => o.orderId)).toEqual([kids[0]!.id]);
    expect(t.venues[1]!.orders.map((o) => o.orderId)).toEqual([kids[1]!.id]);
    // the venues answer
    t.venues[0]!.accept(kids[0]!.id);
    t.venues[0]!.fill(kids[0]!.id, 6_000_100, 1000);
    expect(t.path.tracker.get(parent.id)).toMatchObject({ state: 'PARTIALLY_FILLED', filledLots: 1000 });
    t.venues[0]!.fill(kids[0]!.id, 6_000_200, 500);
    t.venues[1]!.fill(kids[1]!.id, 6_000_150, 500);
    const done = t.path.tracker.get(parent.id)!;
    expect(done).toMatchObject({ state: 'FILLED', filledLots: 2000, filledNotional: 6_000_100 * 1000 + 6_000_200 * 500 + 6_000_150 * 500 });
    expect([...done.tradeIds].map((id) => id.replace('\u0000', ':')).sort()).toEqual(['a:t1', 'a:t2', 'b:t1']);
    // risk and fees see the parent once: nothing open, the position is the parent's, three fees counted once each
    expect(t.risk.snapshot().openOrders).toBe(0);
    expect(t.risk.snapshot().strategies[0]!.positions['BTC-USDT']).toBe('0.02000');
    expect(t.path.fees.list().map((f) => [f.venue, f.amount])).toEqual([['a', '0.02'], ['b', '0.01']]);
  });

  it('an IOC parent: what the children did not fill is canceled with the parent', () => {
    const t = setup();
    t.book(0, [[6_000_100, 1000]]);
    t.book(1, [[6_000_150, 500]]);
    const parent = t.submit({ qtyLots: 3000, priceTicks: 6_000_200, timeInForce: 'IOC' });
    const [ka, kb] = t.children(parent.id);
    expect([ka!.qtyLots, kb!.qtyLots]).toEqual([1000, 500]); // 1500 more than the books hold: the rest
    t.venues[0]!.fill(ka!.id, 6_000_100, 600);
    t.venues[0]!.canceled(ka!.id, 'IOC rest');
    expect(t.path.tracker.get(parent.id)!.state).toBe('PARTIALLY_FILLED'); // b's child still out
    t.venues[1]!.canceled(kb!.id, 'IOC rest');
    expect(t.path.tracker.get(parent.id)).toMatchObject({ state: 'CANCELED', filledLots: 600, reason: 'rest of the sweep not filled at once (IOC)' });
    expect(t.risk.snapshot().openOrders).toBe(0);
  });

  it('a MARKET parent: its children are MARKET IOC (no limit to honour: a moved book does not leave them empty)', () => {
    const t = setup();
    t.book(0, [[6_000_100, 1000]]);
    t.book(1, [[6_000_150, 500]]);
    const parent = t.submit({ type: 'MARKET', timeInForce: 'IOC', priceTicks: 0, qtyLots: 1200 });
    expect(t.children(parent.id).map((k) => [k.type, k.timeInForce, k.priceTicks, k.qtyLots])).toEqual([['MARKET', 'IOC', 0, 1000], ['MARKET', 'IOC', 0, 200]]);
  });

  it('a GTC parent: the rest rests as one more child at the lowest-fee venue, and the parent ends with it', () => {
    const t = setup(['5', '1', '3']);
    t.book(0, [[6_000_100, 1000]]);
    t.book(1, [[6_000_150, 500]]);
    const parent = t.submit({ qtyLots: 2000, priceTicks: 6_000_200 });
    const [k1, k2] = t.children(parent.id);
    // b has the lower fee: its level ranks first (6_000_150 x 1.0001 < 6_000_100 x 1.0005)
    expect([k1!.venue, k2!.venue]).toEqual(['b', 'a']);
    t.venues[1]!.fill(k1!.id, 6_000_150, 500);
    t.venues[0]!.fill(k2!.id, 6_000_100, 1000);
    t.path.dispatcher.pump();
    const kids = t.children(parent.id);
    expect(kids).toHaveLength(3);
    expect(kids[2]).toMatchObject({ venue: 'b', qtyLots: 500, priceTicks: 6_000_200, timeInForce: 'GTC', state: 'SUBMITTED' });
    expect(t.venues[1]!.orders.at(-1)!.orderId).toBe(kids[2]!.id);
    expect(t.path.tracker.get(parent.id)!.state).toBe('PARTIALLY_FILLED');
    t.venues[1]!.accept(kids[2]!.id);
    t.venues[1]!.canceled(kids[2]!.id, 'venue maintenance');
    expect(t.path.tracker.get(parent.id)).toMatchObject({ state: 'CANCELED', filledLots: 1500 });
    expect(t.path.tracker.get(parent.id)!.reason).toMatch(/resting child \d+ ended: venue maintenance/);
  });

  it('a cancel of the parent cancels every open child; the parent is CANCELED once they are', () => {
    const t = setup();
    t.book(0, [[6_000_100, 1000]]);
    t.book(2, [[6_000_100, 1000]]);
    const parent = t.submit({ qtyLots: 1500, priceTicks: 6_000_100, timeInForce: 'IOC' });
    const kids = t.children(parent.id);
    expect(kids.map((k) => [k.venue, k.qtyLots])).toEqual([['a', 1000], ['c', 500]]);
    expect(t.path.intake.cancel(parent.id).ok).toBe(true);
    expect(t.path.tracker.get(parent.id)!.state).toBe('PENDING_CANCEL');
    expect(t.venues[0]!.cancels.map((c) => c.orderId)).toEqual([kids[0]!.id]);
    expect(t.venues[2]!.cancels.map((c) => c.orderId)).toEqual([kids[1]!.id]);
    t.venues[0]!.canceled(kids[0]!.id);
    expect(t.path.tracker.get(parent.id)!.state).toBe('PENDING_CANCEL');
    t.venues[2]!.fill(kids[1]!.id, 6_000_100, 500); // the cancel raced a fill
    t.venues[2]!.canceled(kids[1]!.id);
    expect(t.path.tracker.get(parent.id)).toMatchObject({ state: 'CANCELED', filledLots: 500 });
  });

  it('skips a venue whose breaker is open; without any book the order goes whole by the table', () => {
    const t = setup();
    t.book(0, [[6_000_100, 1000]]);
    t.book(1, [[6_000_100, 1000]]);
    t.path.dispatcher.available[0] = 0;
    const parent = t.submit({ qtyLots: 800, priceTicks: 6_000_100, timeInForce: 'IOC' });
    expect(t.children(parent.id).map((k) => k.venue)).toEqual(['b']);
    t.path.dispatcher.available[0] = 1;
    const eth = t.submit({ symbol: 'ETH-USDT', qtyLots: 10, priceTicks: 60_000 });
    expect(eth).toMatchObject({ state: 'SUBMITTED', route: 'sweep' });
    expect(['a', 'b', 'c']).toContain(eth.venue);
    expect(t.path.parents!.children(t.path.store.slotOf(eth.id))).toEqual([]);
  });

  it('skips a venue at its rate limit (no headroom), for sweeps and for best', () => {
    const t = setup();
    t.book(0, [[6_000_100, 1000]]);
    t.book(1, [[6_000_200, 1000]]);
    t.venues[0]!.room = 0;
    const parent = t.submit({ qtyLots: 800, priceTicks: 6_000_300, timeInForce: 'IOC' });
    expect(t.children(parent.id).map((k) => [k.venue, k.priceTicks])).toEqual([['b', 6_000_200]]);
    const best = t.submit({ route: 'best', qtyLots: 100, priceTicks: 6_000_300 });
    expect(best.venue).toBe('b'); // a has the better price, but no room
    t.venues[0]!.room = 1;
    expect(t.submit({ route: 'best', qtyLots: 100, priceTicks: 6_000_300 }).venue).toBe('a');
  });

  it('FOK, post-only and not marketable sweep orders go whole to the best venue', () => {
    const t = setup(['10', '0', '3']);
    t.book(0, [[6_000_100, 1000]]);
    t.book(1, [[6_000_100, 1000]]);
    t.book(2, [[6_000_100, 1000]]);
    const fok = t.submit({ qtyLots: 500, priceTicks: 6_000_100, timeInForce: 'FOK' });
    expect(fok).toMatchObject({ state: 'SUBMITTED', venue: 'b' }); // same price, b has no fee
    const post = t.submit({ qtyLots: 500, priceTicks: 5_000_000, postOnly: true });
    expect(post).toMatchObject({ state: 'SUBMITTED', venue: 'b' });
    const passive = t.submit({ qtyLots: 500, priceTicks: 5_000_000 });
    expect(passive).toMatchObject({ state: 'SUBMITTED', venue: 'b', route: 'sweep' });
    expect(t.children(passive.id)).toEqual([]);
  });
});

describe('best route', () => {
  it('the whole order to the venue with the best fee-adjusted average price for its size', () => {
    const t = setup(['0', '20', '0']);
    t.book(0, [[6_000_300, 10_000]]);
    t.book(1, [[6_000_000, 10_000]]); // cheapest price, but 20 bps of fee
    t.book(2, [[6_000_200, 100], [6_001_000, 10_000]]);
    const small = t.submit({ route: 'best', qtyLots: 100, priceTicks: 6_010_000 });
    expect(small.venue).toBe('c');
    const large = t.submit({ route: 'best', qtyLots: 5000, priceTicks: 6_010_000 });
    expect(large.venue).toBe('a'); // c's depth runs out at its best price
  });

  it('the strategy route applies to orders that name none', () => {
    const t = setup(['0', '20', '0']);
    t.book(0, [[6_000_300, 10_000]]);
    t.book(1, [[6_000_000, 10_000]]);
    t.path.intake.setRoutes(Uint8Array.from([1, 0, 0])); // alpha: BTC best, others table
    const r = t.path.intake.submit(intent({ qtyLots: 100, priceTicks: 6_010_000 }));
    t.path.dispatcher.pump();
    expect(r.ok && t.path.tracker.get(r.order.id)!).toMatchObject({ route: 'best', venue: 'a' });
  });
});
