/**
 * A strategy's market channel: the trade ring (FIFO, bounded, losses counted by the writer and learnt by the reader,
 * never silently) and the wake-up policy (no notify to an awake worker, at most one per wakeMs to a sleeping one,
 * none to a worker that does not listen).
 */
import { describe, expect, it } from 'vitest';
import { Doorbell } from '../../../src/intake/ring/doorbell.js';
import { INTEREST_TOPS, INTEREST_TRADES } from '../../../src/intake/ring/market-cells.js';
import { createMarketChannel, MarketChannelReader, MarketChannelWriter } from '../../../src/intake/ring/market-channel.js';
import { readTradeRecord, TAKER_SELL, TRADE_RECORD_BYTES, TradeRecord } from '../../../src/intake/ring/trade-record.js';

function trade(price: number): TradeRecord {
  return Object.assign(new TradeRecord(), { priceTicks: price, qtyLots: price % 7 + 1, venueTs: 1_700_000_000_000 + price, ts: 1_700_000_000_500, symbol: 3, venue: 1, takerSide: TAKER_SELL });
}

function readAll(r: MarketChannelReader): TradeRecord[] {
  const out: TradeRecord[] = [];
  r.trades.poll(1 << 20, (off) => out.push(readTradeRecord(r.trades, off, new TradeRecord())));
  return out;
}

describe('market channel: trade ring', () => {
  it('carries fixed 40-byte records in order, every field', () => {
    const buffers = createMarketChannel({ symbols: [3], venues: 2, tradeCapacity: 8 });
    expect(buffers.trades.byteLength).toBe(384 + 8 * TRADE_RECORD_BYTES);
    const w = new MarketChannelWriter(buffers, null);
    const r = new MarketChannelReader(buffers);
    r.cells.setInterest(INTEREST_TRADES);
    for (const p of [100, 101, 99]) expect(w.writeTrade(trade(p))).toBe(true);
    const got = readAll(r);
    expect(got).toEqual([trade(100), trade(101), trade(99)].map((t) => Object.assign(t, { lost: 0 })));
    expect(w.tradesWritten).toBe(3);
  });

  it('a full ring keeps the oldest and counts what it could not write; the reader learns the total and where the gap is', () => {
    const buffers = createMarketChannel({ symbols: [3], venues: 1, tradeCapacity: 4 });
    const w = new MarketChannelWriter(buffers, null);
    const r = new MarketChannelReader(buffers);
    r.cells.setInterest(INTEREST_TRADES);
    const results = [1, 2, 3, 4, 5, 6, 7].map((p) => w.writeTrade(trade(p)));
    expect(results).toEqual([true, true, true, true, false, false, false]);
    expect(w.tradesLost).toBe(3);
    expect(r.tradesLost()).toBe(3); // the reader sees the count before it reads anything
    expect(readAll(r).map((t) => [t.priceTicks, t.lost])).toEqual([[1, 0], [2, 0], [3, 0], [4, 0]]); // oldest kept, not overwritten
    expect(w.writeTrade(trade(8))).toBe(true);
    expect(w.writeTrade(trade(9))).toBe(true);
    expect(readAll(r).map((t) => [t.priceTicks, t.lost])).toEqual([[8, 3], [9, 0]]); // the gap is right before 8
    expect(r.tradesLost()).toBe(3);
  });

  it('writes no trade for a strategy that does not listen to trades (and counts none lost)', () => {
    const buffers = createMarketChannel({ symbols: [3], venues: 1, tradeCapacity: 4 });
    const w = new MarketChannelWriter(buffers, null);
    const r = new MarketChannelReader(buffers);
    r.cells.setInterest(INTEREST_TOPS);
    expect(w.writeTrade(trade(1))).toBe(false);
    expect([w.tradesWritten, w.tradesLost, r.tradesLost(), r.trades.available()]).toEqual([0, 0, 0, 0]);
  });

  it('maps instrument indices to cell slots', () => {
    const w = new MarketChannelWriter(createMarketChannel({ symbols: [4, 1], venues: 1 }), null);
    expect([0, 1, 2, 3, 4, 5, 1000].map((s) => w.slotOf(s))).toEqual([-1, 1, -1, -1, 0, -1, -1]);
  });
});

describe('market channel: wake-ups', () => {
  const now = Float64Array.of(1_000);
  const values = (w: MarketChannelWriter): Float64Array => new Float64Array(w.cells.values).fill(1);

  function rig(interest: number): { w: MarketChannelWriter; r: MarketChannelReader; bell: Doorbell; sleep: () => Promise<boolean> } {
    const buffers = createMarketChannel({ symbols: [0], venues: 1, tradeCapacity: 16 });
    const bell = Doorbell.create();
    const w = new MarketChannelWriter(buffers, bell, 2);
    const r = new MarketChannelReader(buffers);
    r.cells.setInterest(interest);
    // the worker's side: arm and sleep (nothing to do when it checks)
    return { w, r, bell, sleep: () => bell.wait(() => false, 5_000) };
  }

  it('an awake worker is not notified (it reads the channel before it sleeps)', () => {
    const { w, bell } = rig(INTEREST_TOPS | INTEREST_TRADES);
    w.writeTop(0, values(w));
    w.writeTrade(trade(1));
    expect(w.wake(now)).toBe(false);
    expect([w.wakeups, bell.wakeups]).toEqual([0, 0]);
  });

  it('a sleeping worker is woken by the first update at once, then at most once per wakeMs (deferred wakes go to flushWake)', async () => {
    const { w, bell, sleep } = rig(INTEREST_TOPS);
    now[0] = 1_000;
    let woken = sleep();
    w.writeTop(0, values(w));
    expect(w.wake(now)).toBe(false); // rung at once
    expect(await woken).toBe(true);
    woken = sleep();
    now[0] = 1_001; // 1 ms later: within the bound
    w.writeTop(0, values(w));
    expect(w.wake(now)).toBe(true); // deferred
    w.writeTop(0, values(w));
    expect(w.wake(now)).toBe(true); // still one deferred wake, not two
    expect(bell.sleeping).toBe(true);
    w.flushWake(now); // the publisher's timer, wakeMs later
    expect(await woken).toBe(true);
    expect(w.wakeups).toBe(2);
    woken = sleep();
    now[0] = 1_010; // quiet for longer than wakeMs: at once again
    w.writeTop(0, values(w));
    expect(w.wake(now)).toBe(false);
    expect(await woken).toBe(true);
    expect([w.wakeups, bell.wakeups]).toEqual([3, 3]);
  });

  it('a worker that does not listen to tops is not woken by them; nothing written, nothing to wake for', async () => {
    const { w, bell, sleep } = rig(INTEREST_TRADES);
    const woken = sleep();
    w.writeTop(0, values(w));
    expect(w.wake(now)).toBe(false);
    expect(w.wake(now)).toBe(false);
    expect(bell.sleeping).toBe(true);
    // a trade is something it listens to
    now[0] += 100;
    w.writeTrade(trade(5));
    expect(w.wake(now)).toBe(false);
    expect(await woken).toBe(true);
    expect(w.wakeups).toBe(1);
  });
});
