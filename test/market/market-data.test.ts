import { describe, expect, it } from 'vitest';
import { bookView } from '../../src/market/book-view.js';
import { ASK, BID } from '../../src/market/feed.js';
import { MarketData, type MarketListener } from '../../src/market/market-data.js';
import { ManualClock } from '../../src/model/clock.js';
import { Increment } from '../../src/model/decimal.js';
import { testInstruments } from '../helpers/model.js';
import { levels } from '../helpers/levels.js';


function setup() {
  const clock = new ManualClock();
  const instruments = testInstruments();
  const md = new MarketData(instruments, ['a', 'b'], ['10', '0'], clock, { depth: 3, staleMs: 1000 });
  const seen: string[] = [];
  const listener: MarketListener = {
    onBook: (v, s, _b, usable) => seen.push(`book ${v}/${s} ${usable ? 'usable' : 'unusable'}`),
    onTrade: (v, s, p, q, side) => seen.push(`trade ${v}/${s} ${p}x${q} ${side === BID ? 'buy' : 'sell'}`),
  };
  md.listen(listener);
  return { clock, instruments, md, seen };
}

describe('market data', () => {
  it('a snapshot then level changes make a usable book; the consolidated book ranks the venues net of fees', () => {
    const { md, seen } = setup();
    md.snapshot(0, 0, levels([[6_000_000, 100], [5_999_900, 200]]), levels([[6_000_100, 100]]), 0);
    md.snapshot(1, 0, levels([[6_000_000, 50]]), levels([[6_000_200, 70]]), 0);
    md.level(1, 0, ASK, 6_000_150, 10);
    md.commit(1, 0, 0);
    expect(md.isUsable(0, 0) && md.isUsable(1, 0)).toBe(true);
    const c = md.consolidated[0]!;
    // bids: b's 60000.00 at 0 bps beats a's 60000.00 at 10 bps
    expect([c.bids.venue[0], c.bids.price[0]]).toEqual([1, 6_000_000]);
    // asks: a 60001.00 x 1.001 = 60061.001 vs b 60001.50 -> b first
    expect([c.asks.venue[0], c.asks.price[0], c.asks.venue[1]]).toEqual([1, 6_000_150, 1]);
    expect(seen).toEqual(['book 0/0 usable', 'book 1/0 usable', 'book 1/0 usable']);
  });

  it('level changes before the first snapshot, or during a resync, are not applied', () => {
    const { md } = setup();
    md.level(0, 0, BID, 5, 5);
    md.commit(0, 0, 0);
    expect(md.book(0, 0).bids.count).toBe(0);
    expect(md.isUsable(0, 0)).toBe(false);
    md.snapshot(0, 0, levels([[10, 1]]), levels([[12, 1]]), 0);
    md.invalidate(0, 0, 'gap');
    md.level(0, 0, BID, 11, 1);
    md.commit(0, 0, 0);
    expect(md.isUsable(0, 0)).toBe(false);
    expect(md.book(0, 0).bids.count).toBe(0);
    expect(md.stats[0]!.resyncs[0]).toBe(1);
    expect(md.consolidated[0]!.bids.count).toBe(0);
    md.snapshot(0, 0, levels([[10, 1]]), levels([[12, 1]]), 0);
    expect(md.isUsable(0, 0)).toBe(true);
  });

  it('a crossed book is not usable until a commit uncrosses it', () => {
    const { md } = setup();
    md.snapshot(0, 0, levels([[10, 1]]), levels([[12, 1]]), 0);
    md.level(0, 0, BID, 13, 1);
    md.commit(0, 0, 0);
    expect(md.isUsable(0, 0)).toBe(false);
    expect(md.consolidated[0]!.bids.count).toBe(0);
    md.level(0, 0, BID, 13, 0);
    md.commit(0, 0, 0);
    expect(md.isUsable(0, 0)).toBe(true);
  });

  it('a book with no news from its venue for staleMs goes stale and comes back when the venue speaks', () => {
    const { md, clock, instruments } = setup();
    md.snapshot(0, 0, levels([[10, 1]]), levels([[12, 1]]), 0);
    expect(md.ageMs(0, 0)).toBe(0); // heard since the last sweep
    md.sweep(); // seen at 0
    clock.advance(900);
    md.alive(0); // a heartbeat keeps it fresh
    md.sweep(); // seen at 900
    clock.advance(1000);
    md.sweep();
    expect(md.isUsable(0, 0)).toBe(true);
    clock.advance(100);
    md.sweep();
    expect(md.isUsable(0, 0)).toBe(false);
    expect(md.consolidated[0]!.asks.count).toBe(0);
    const view = bookView(md, instruments.at(0), (v) => v === 0);
    expect(view.venues[0]).toMatchObject({ venue: 'a', status: 'STALE', usable: false, ageMs: 1100 });
    md.trade(0, 0, 11, 1, ASK, 0);
    expect(md.isUsable(0, 0)).toBe(false); // the consolidated book changes at the sweep
    md.sweep();
    expect(md.isUsable(0, 0)).toBe(true);
    expect(md.consolidated[0]!.asks.count).toBe(1);
  });

  it('the view shows decimals per venue and consolidated, with the fee-adjusted price', () => {
    const { md, instruments } = setup();
    md.snapshot(0, 0, levels([[6_000_000, 150]]), levels([[6_000_100, 100]]), 0);
    const v = bookView(md, instruments.at(0), () => true);
    expect(v.venues.map((x) => x.status)).toEqual(['SYNCED', 'NONE']);
    expect(v.venues[0]!.bids).toEqual([['60000.00', '0.00150']]);
    expect(v.venues[1]!.ageMs).toBeNull();
    expect(v.consolidated.asks).toEqual([{ price: '60001.00', qty: '0.00100', venue: 'a', feeAdjustedPrice: '60061.001' }]);
    expect(v.consolidated.bids).toEqual([{ price: '60000.00', qty: '0.00150', venue: 'a', feeAdjustedPrice: '59940' }]);
  });

  it('latency is the venue time to the local time of each update with one', () => {
    const { md, clock } = setup();
    md.snapshot(0, 0, levels([[10, 1]]), levels([[12, 1]]), clock.now() - 7);
    md.commit(0, 0, 0);
    expect(md.stats[0]).toMatchObject({ updates: 2, latencyMsSum: 7, latencyCount: 1 });
  });
});

describe('counting increments in a venue text without allocating (Increment.floorCount)', () => {
  it('counts exactly, floors off-grid values and says so, and refuses what is not a plain decimal', () => {
    const lot = new Increment('0.00001');
    expect([lot.floorCount('0.00150'), lot.lastExact]).toEqual([150, true]);
    expect([lot.floorCount('0.0015'), lot.lastExact]).toEqual([150, true]);
    expect([lot.floorCount('0.000155'), lot.lastExact]).toEqual([15, false]);
    expect([lot.floorCount('2'), lot.lastExact]).toEqual([200_000, true]);
    const tick = new Increment('0.05');
    expect([tick.floorCount('1.15'), tick.lastExact]).toEqual([23, true]);
    expect([tick.floorCount('1.17'), tick.lastExact]).toEqual([23, false]);
    for (const bad of ['', '.5', '5.', '1e-5', '-1', '1.2.3', 'abc', '99999999999999999999']) expect(lot.floorCount(bad)).toBe(-1);
    // agrees with the exact (allocating) conversion on the grid
    for (const t of ['0', '0.00001', '123.45678', '0.1']) expect(lot.floorCount(t)).toBe((lot.toCount(t) as { value: number }).value);
  });
});
