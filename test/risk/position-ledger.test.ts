/**
 * Positions and PnL per strategy x symbol x venue: hand-computed average cost, realised PnL (partial close, flip),
 * unrealised at mark, fees in the quote, the base and a third currency, the allocation-free numbers, per-venue rows,
 * and a restart: journal replay of the fills, and a snapshot section (journal state part) plus the fills after it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { OrderTracker } from '../../src/core/order-tracker.js';
import { Journal } from '../../src/journal/index.js';
import { JournalRecorder } from '../../src/journal/journal-recorder.js';
import { encodeSnapshot } from '../../src/journal/order-snapshot.js';
import { replayOrders, takeSnapshot } from '../../src/journal/order-replay.js';
import { NameMapper } from '../../src/journal/name-table.js';
import { ManualClock } from '../../src/model/clock.js';
import { OrderIdCounter } from '../../src/model/ids.js';
import { signedDecimalText } from '../../src/model/decimal.js';
import { PositionLedger } from '../../src/risk/position-ledger.js';
import { fill, newOrderFields, testInstruments, testStore } from '../helpers/model.js';
import { tempDir } from '../journal/helpers.js';

const instruments = testInstruments(); // BTC-USDT: tick 0.01, lot 0.00001 (1 BTC = 100,000 lots; 1 USDT = 100 ticks)
const BTC = instruments.get('BTC-USDT')!.index;
const LOTS = 100_000;
const TICKS = 100;

function makeRig() {
  const store = testStore({ instruments, venues: ['binance', 'okx'] });
  const tracker = new OrderTracker(store, new ManualClock(), { retainFinished: 1000 });
  const recorder = new JournalRecorder(store);
  tracker.listen(recorder);
  const marks = new Float64Array(instruments.list.length);
  const positions = new PositionLedger(store, ['alpha', 'beta'], (i) => marks[i]!);
  tracker.listen(positions);
  let nextId = 1;
  let trade = 1;
  /** One order of `qty` lots at `price` ticks, filled at once at `venue`. */
  const filled = (strategy: 'alpha' | 'beta', side: 'BUY' | 'SELL', qtyLots: number, priceTicks: number, venue: string, fee = '0', feeCurrency = 'USDT'): number => {
    const id = nextId++;
    tracker.create(id, newOrderFields(store, { strategy, side, qtyLots, priceTicks, clientOrderId: `c${id}` }));
    tracker.apply(id, { kind: 'SUBMIT', venue });
    tracker.apply(id, { kind: 'ACCEPT', venueOrderId: `v${id}` });
    tracker.apply(id, { kind: 'FILL', fill: fill(id, qtyLots, priceTicks, { venue, fee, feeCurrency, tradeId: `T${trade++}` }) });
    return id;
  };
  return { store, tracker, recorder, marks, positions, filled, nextId: () => nextId };
}

/** The hand-computed sequence (quantities in BTC, prices in USDT). */
function handSequence(r: ReturnType<typeof makeRig>): void {
  r.filled('alpha', 'BUY', 1 * LOTS, 100 * TICKS, 'binance', '0.1', 'USDT'); // long 1 @ 100
  r.filled('alpha', 'BUY', 1 * LOTS, 110 * TICKS, 'binance', '0.001', 'BTC'); // long 2, avg 105
  r.filled('alpha', 'SELL', 1.5 * LOTS, 120 * TICKS, 'binance', '0.05', 'BNB'); // realises 1.5 x 15 = 22.5; long 0.5 @ 105
  r.filled('alpha', 'SELL', 1 * LOTS, 130 * TICKS, 'binance', '0.13', 'USDT'); // closes 0.5 (+12.5), opens short 0.5 @ 130
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()!();
});

describe('positions and PnL', () => {
  it('average cost, realised PnL through a partial close and a flip, unrealised at mark, fees in three currencies', () => {
    const r = makeRig();
    r.filled('alpha', 'BUY', 1 * LOTS, 100 * TICKS, 'binance');
    r.filled('alpha', 'BUY', 1 * LOTS, 110 * TICKS, 'binance');
    expect(r.positions.list()[0]).toMatchObject({ quantity: '2', averageCost: '105', realisedPnl: '0', unrealisedPnl: null, mark: null });
    r.filled('alpha', 'SELL', 1.5 * LOTS, 120 * TICKS, 'binance');
    expect(r.positions.list()[0]).toMatchObject({ quantity: '0.5', averageCost: '105', realisedPnl: '22.5' });

    const h = makeRig();
    handSequence(h);
    h.marks[BTC] = 125 * TICKS;
    const [row] = h.positions.list();
    // realised 22.5 + 12.5 = 35; short 0.5 @ 130 at mark 125: +2.5; fees 0.23 USDT and 0.001 BTC (= 0.125 USDT at 125)
    expect(row).toEqual({
      strategy: 'alpha', symbol: 'BTC-USDT', venue: 'binance', quantity: '-0.5', averageCost: '130',
      realisedPnl: '35', unrealisedPnl: '2.5', netPnl: '37.145',
      fees: { BNB: '0.05', BTC: '0.001', USDT: '0.23' }, feesNotInNet: ['BNB'], mark: '125.00', quote: 'USDT', fills: 4,
    });
    // the cheap numbers: units of 10^-7 USDT (notional scale of the test instruments: 2 + 5 decimals), exact here
    expect(h.positions.unitScale).toBe(7);
    expect(h.positions.strategyNetPnlUnits(0)).toBe(371_450_000);
    expect(h.positions.totalNetPnlUnits()).toBe(371_450_000);
    expect(h.positions.strategyNetPnlUnits(1)).toBe(0);
    // the mark moves: unrealised and net follow (0.5 short, mark 140: -5)
    h.marks[BTC] = 140 * TICKS;
    expect(h.positions.list()[0]).toMatchObject({ unrealisedPnl: '-5', netPnl: '29.63' }); // 35 - 5 - 0.23 - 0.14
    expect(h.positions.strategyNetPnlUnits(0)).toBe(296_300_000);
    // no mark: unrealised unknown, net unknown (it needs the mark); the cheap number counts realised - quote fees
    h.marks[BTC] = 0;
    expect(h.positions.list()[0]).toMatchObject({ unrealisedPnl: null, netPnl: null, mark: null });
    expect(h.positions.strategyNetPnlUnits(0)).toBe(347_700_000);
  });

  it('a short covered at a profit, and a buy that flips it long', () => {
    const r = makeRig();
    r.filled('beta', 'SELL', 2 * LOTS, 110 * TICKS, 'okx'); // short 2 @ 110
    r.filled('beta', 'BUY', 1 * LOTS, 100 * TICKS, 'okx'); // covers 1: +10
    r.filled('beta', 'BUY', 3 * LOTS, 90 * TICKS, 'okx'); // covers 1 (+20), long 2 @ 90
    expect(r.positions.list()[0]).toMatchObject({ strategy: 'beta', quantity: '2', averageCost: '90', realisedPnl: '30' });
  });

  it('an average cost that does not terminate: the round trip still realises exactly the cash it moved', () => {
    const r = makeRig();
    r.filled('alpha', 'BUY', 1, 10_000, 'okx'); // 0.00001 @ 100.00
    r.filled('alpha', 'BUY', 2, 10_001, 'okx'); // 0.00002 @ 100.01: avg 100.00666...
    expect(r.positions.list()[0]!.averageCost).toBe('100.0066666667');
    r.filled('alpha', 'SELL', 1, 10_100, 'okx');
    r.filled('alpha', 'SELL', 2, 10_100, 'okx');
    // paid 0.001 + 0.0020002, received 0.00303: 0.0000298
    expect(r.positions.list()[0]).toMatchObject({ quantity: '0', averageCost: null, realisedPnl: '0.0000298', unrealisedPnl: '0', netPnl: '0.0000298' });
    // and the venue's cash moved by exactly that
    expect(Object.fromEntries([...r.positions.venueFlows('okx')].map(([c, s]) => [c, s.units * 10n ** BigInt(20 - s.scale)]))).toEqual({
      BTC: 0n, USDT: 2_980_000_000_000_000n, // 0.0000298 x 10^20
    });
  });

  it('rows per strategy, symbol and venue; filter; a duplicate fill is not counted twice', () => {
    const r = makeRig();
    r.filled('alpha', 'BUY', LOTS, 100 * TICKS, 'binance');
    r.filled('alpha', 'BUY', 2 * LOTS, 101 * TICKS, 'okx');
    const id = r.filled('beta', 'SELL', LOTS, 102 * TICKS, 'okx');
    // the same trade again (same trade id): ignored by the lifecycle, so by the ledger
    r.tracker.apply(id, { kind: 'FILL', fill: fill(id, LOTS, 102 * TICKS, { venue: 'okx', fee: '0', feeCurrency: 'USDT', tradeId: 'T3' }) });
    const rows = r.positions.list().map((x) => [x.strategy, x.venue, x.quantity, x.averageCost]);
    expect(rows).toEqual([['alpha', 'binance', '1', '100'], ['alpha', 'okx', '2', '101'], ['beta', 'okx', '-1', '102']]);
    expect(r.positions.list({ venue: 'okx', strategy: 'alpha' }).map((x) => x.quantity)).toEqual(['2']);
    expect(r.positions.fillsAt('okx')).toBe(2);
  });
});

describe('positions survive a restart', () => {
  for (const withSnapshot of [false, true]) {
    it(`journal replay${withSnapshot ? ' from a snapshot (the positions section) and the fills after it' : ' of the fills'} rebuilds every row`, async () => {
      const t = tempDir('positions-journal-');
      cleanups.push(t.cleanup);
      const r = makeRig();
      const journal = await Journal.open(t.dir, { commit: 'sync' });
      r.recorder.attach(journal);
      r.filled('alpha', 'BUY', 1, 10_000, 'okx');
      r.filled('alpha', 'BUY', 2, 10_001, 'okx');
      r.filled('beta', 'SELL', LOTS, 100 * TICKS, 'binance', '0.0001', 'BTC');
      if (withSnapshot) {
        await journal.writeSnapshot(journal.lastSeq, encodeSnapshot(takeSnapshot(r.tracker, r.nextId(), { exportPositions: () => ({ positions: [], marks: [] }) }, undefined, [r.positions])));
      }
      handSequence(r);
      r.filled('alpha', 'SELL', 1, 10_100, 'okx');
      await journal.close();
      r.marks[BTC] = 125 * TICKS;
      const live = r.positions.list();

      const again = makeRig();
      again.recorder.active = false;
      const report = replayOrders(t.dir, again.tracker, again.tracker.store, new OrderIdCounter(), {
        importPositions: () => {}, reserve: () => {},
      }, undefined, new NameMapper(again.tracker.store), [again.positions]);
      expect(report.refused).toBe(0);
      expect(report.snapshotSeq !== null).toBe(withSnapshot);
      if (withSnapshot) expect(report.updates).toBeLessThan(4 * 5); // the first three orders came from the snapshot
      again.marks[BTC] = 125 * TICKS;
      expect(again.positions.list()).toEqual(live);
      expect(again.positions.strategyNetPnlUnits(0)).toBe(r.positions.strategyNetPnlUnits(0));
      expect(again.positions.export()).toEqual(r.positions.export());
    });
  }

  it('import keeps the exact state (the export of an import is the same) and drops rows it cannot use', () => {
    const r = makeRig();
    handSequence(r);
    const section = r.positions.export();
    const other = makeRig();
    other.positions.import([...section, { strategy: 'gone', symbol: 'BTC-USDT', venue: 'x', qtyLots: '1', cost: '1', realised: '0', fineExtra: 8, fees: {}, fills: 1 }, { nonsense: true }]);
    expect(other.positions.export()).toEqual(section);
    // the venue's flows, kept fill by fill, are what the imported rows give (quote: realised - cost)
    const text = (m: ReadonlyMap<string, { units: bigint; scale: number }>) => Object.fromEntries([...m].map(([c, s]) => [c, signedDecimalText(s.units, s.scale)]));
    expect(text(other.positions.venueFlows('binance'))).toEqual(text(r.positions.venueFlows('binance')));
    // 100 + 110 paid, 180 + 130 received, 0.23 USDT fees; +2 -2.5 BTC, 0.001 BTC fee; 0.05 BNB
    expect(text(r.positions.venueFlows('binance'))).toEqual({ BTC: '-0.501', USDT: '99.77', BNB: '-0.05' });
  });

  it('the cheap numbers follow every fill read between fills, and alternating fee texts sum exactly (per-fill caches)', () => {
    const r = makeRig();
    const seen: number[] = [];
    const fees = ['0.1', '0.2', '0.1', '0', '-0.05'];
    let price = 100;
    for (const fee of fees) {
      r.filled('alpha', 'BUY', 1 * LOTS, price * TICKS, 'binance', fee, 'USDT');
      seen.push(r.positions.strategyNetPnlUnits(0)); // read after each fill: never a stale figure
      price += 10;
    }
    // no mark: net = realised (0, nothing closed) - quote fees so far
    const paid = [0.1, 0.3, 0.4, 0.4, 0.35];
    const scale = 10 ** r.positions.unitScale;
    expect(seen).toEqual(paid.map((x) => -Math.round(x * scale)));
    expect(r.positions.list()[0]!.fees).toEqual({ USDT: '0.35' });
    // the same fills at the other venue, read only at the end, give the same fee sum
    for (const fee of fees) r.filled('beta', 'BUY', 1 * LOTS, 100 * TICKS, 'okx', fee, 'USDT');
    expect(r.positions.strategyNetPnlUnits(1)).toBe(seen[seen.length - 1]);
  });
});
