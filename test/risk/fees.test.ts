/**
 * Fees after the adapters: base-currency fees netted from positions in whole lots with the part lot kept exactly,
 * fee sums per strategy / venue / currency, both rebuilt by a journal replay (with and without a snapshot), and
 * FILL records journaled before fee currencies still readable.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { OrderView } from '../../src/core/order-store.js';
import { OrderTracker } from '../../src/core/order-tracker.js';
import { Journal } from '../../src/journal/index.js';
import { JournalRecorder } from '../../src/journal/journal-recorder.js';
import { REC_UPDATE, decodeUpdateRecord } from '../../src/journal/order-records.js';
import { encodeSnapshot } from '../../src/journal/order-snapshot.js';
import { replayOrders, takeSnapshot } from '../../src/journal/order-replay.js';
import { OrderIdCounter } from '../../src/model/ids.js';
import { ManualClock } from '../../src/model/clock.js';
import type { Fill } from '../../src/model/order.js';
import { FeeLedger } from '../../src/risk/fee-ledger.js';
import { PreTradeRisk } from '../../src/risk/pre-trade-risk.js';
import { RiskAccounting } from '../../src/risk/risk-accounting.js';
import { fill, newOrderFields, testInstruments, testStore } from '../helpers/model.js';
import { tempDir } from '../journal/helpers.js';

const instruments = testInstruments(); // BTC-USDT lot 0.00001
const BTC = instruments.get('BTC-USDT')!.index;
const P60K = 6_000_000;

interface Rig {
  tracker: OrderTracker;
  risk: PreTradeRisk;
  fees: FeeLedger;
  recorder: JournalRecorder;
  accounting: RiskAccounting;
}

function makeRig(): Rig {
  const store = testStore({ instruments, venues: ['binance', 'okx'] });
  const tracker = new OrderTracker(store, new ManualClock(), { retainFinished: 1000 });
  const recorder = new JournalRecorder(store);
  tracker.listen(recorder);
  const risk = new PreTradeRisk(instruments, [{ id: 'alpha', symbols: ['BTC-USDT'] }, { id: 'beta', symbols: ['BTC-USDT'] }], {});
  const accounting = new RiskAccounting(risk);
  tracker.listen(accounting);
  const fees = new FeeLedger(store, ['alpha', 'beta']);
  tracker.listen(fees);
  return { tracker, risk, fees, recorder, accounting };
}

let nextId = 1;
/** A submitted order of `qtyLots` BTC (reserved as the dispatcher does). */
function submitted(r: Rig, strategy: 'alpha' | 'beta', side: 'BUY' | 'SELL', qtyLots: number, venue: 'binance' | 'okx'): number {
  const id = nextId++;
  const store = r.tracker.store;
  const o = new OrderView(store).at(r.tracker.create(id, newOrderFields(store, { strategy, side, qtyLots, priceTicks: P60K, clientOrderId: `c${id}` })));
  o.riskPriceTicks = P60K;
  r.risk.reserve(r.risk.strategyIndex(strategy), BTC, 0, P60K, qtyLots);
  r.tracker.apply(id, { kind: 'SUBMIT', venue });
  r.tracker.apply(id, { kind: 'ACCEPT', venueOrderId: `v${id}` });
  return id;
}

function fillWith(r: Rig, id: number, qtyLots: number, venue: string, fee: string, feeCurrency: string, extra: Partial<Fill> = {}): void {
  r.tracker.apply(id, { kind: 'FILL', fill: fill(id, qtyLots, P60K, { venue, fee, feeCurrency, venueTs: 1_700_000_000_000 + id, ...extra }) });
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()!();
});

describe('base-currency fees and positions', () => {
  it('a buy of 1 BTC paying 0.001 BTC leaves a position of 0.999 BTC', () => {
    const r = makeRig();
    const id = submitted(r, 'alpha', 'BUY', 100_000, 'binance');
    fillWith(r, id, 100_000, 'binance', '0.001', 'BTC');
    expect(r.risk.positionOf(0, BTC)).toBe(99_900);
    expect(r.risk.snapshot().strategies[0]!.positions['BTC-USDT']).toBe('0.99900');
    expect(r.risk.feeRemainderOf(0, BTC)).toBe('0');
  });

  it('quote and third-currency fees leave the position alone', () => {
    const r = makeRig();
    const a = submitted(r, 'alpha', 'SELL', 1000, 'okx');
    fillWith(r, a, 1000, 'okx', '0.6', 'USDT');
    const b = submitted(r, 'alpha', 'BUY', 1000, 'binance');
    fillWith(r, b, 1000, 'binance', '0.0004', 'BNB');
    expect(r.risk.positionOf(0, BTC)).toBe(0);
  });

  it('a base fee below one lot is kept exactly (never rounded) and netted once the part lots make a whole lot', () => {
    const r = makeRig();
    // 0.001 BTC bought at 0.1 %: 0.000001 BTC = 0.1 lot, three times, then 0.0000075 (0.75 lot)
    const ids = [submitted(r, 'beta', 'BUY', 100, 'binance'), submitted(r, 'beta', 'BUY', 100, 'binance'), submitted(r, 'beta', 'BUY', 100, 'binance')];
    for (const id of ids) fillWith(r, id, 100, 'binance', '0.000001', 'BTC');
    expect(r.risk.positionOf(1, BTC)).toBe(300);
    expect(r.risk.feeRemainderOf(1, BTC)).toBe('0.000003');
    const last = submitted(r, 'beta', 'BUY', 750, 'binance');
    fillWith(r, last, 750, 'binance', '0.0000075', 'BTC');
    // 0.000003 + 0.0000075 = 0.0000105 = 1 lot + 0.0000005
    expect(r.risk.positionOf(1, BTC)).toBe(1050 - 1);
    expect(r.risk.feeRemainderOf(1, BTC)).toBe('0.0000005');
    expect(r.risk.feeRemainderFills).toBe(4);
    // a rebate in base gives back
    const reb = submitted(r, 'beta', 'BUY', 100, 'binance');
    fillWith(r, reb, 100, 'binance', '-0.0000105', 'BTC');
    expect(r.risk.positionOf(1, BTC)).toBe(1150);
    // 0.0000005 - 0.0000105 = -0.00001: one lot back, nothing left over
    expect(r.risk.feeRemainderOf(1, BTC)).toBe('0');
  });

  it('a duplicate fill (same trade id) is neither netted nor summed twice', () => {
    const r = makeRig();
    const id = submitted(r, 'alpha', 'BUY', 1000, 'okx');
    r.tracker.apply(id, { kind: 'FILL', fill: fill(id, 500, P60K, { tradeId: 'T1', venue: 'okx', fee: '0.0001', feeCurrency: 'BTC' }) });
    r.tracker.apply(id, { kind: 'FILL', fill: fill(id, 500, P60K, { tradeId: 'T1', venue: 'okx', fee: '0.0001', feeCurrency: 'BTC' }) });
    expect(r.risk.positionOf(0, BTC)).toBe(490);
    expect(r.fees.list()).toEqual([{ strategy: 'alpha', venue: 'okx', currency: 'BTC', amount: '0.0001', fills: 1, estimatedFills: 0 }]);
  });
});

describe('fee sums per strategy, venue and currency', () => {
  function trade(r: Rig): void {
    const a = submitted(r, 'alpha', 'BUY', 2000, 'binance');
    fillWith(r, a, 1000, 'binance', '0.00001', 'BTC');
    fillWith(r, a, 1000, 'binance', '0.000012', 'BTC');
    const b = submitted(r, 'alpha', 'SELL', 1000, 'binance');
    fillWith(r, b, 1000, 'binance', '0.6', 'USDT');
    const c = submitted(r, 'alpha', 'SELL', 1000, 'okx');
    fillWith(r, c, 1000, 'okx', '-0.06', 'USDT'); // maker rebate
    const d = submitted(r, 'beta', 'BUY', 1000, 'okx');
    fillWith(r, d, 1000, 'okx', '0.12', 'USDT', { feeEstimated: true });
    const e = submitted(r, 'beta', 'BUY', 1000, 'binance');
    fillWith(r, e, 1000, 'binance', '0.0001', 'BNB');
  }
  const expected = [
    { strategy: 'alpha', venue: 'binance', currency: 'BTC', amount: '0.000022', fills: 2, estimatedFills: 0 },
    { strategy: 'alpha', venue: 'binance', currency: 'USDT', amount: '0.6', fills: 1, estimatedFills: 0 },
    { strategy: 'alpha', venue: 'okx', currency: 'USDT', amount: '-0.06', fills: 1, estimatedFills: 0 },
    { strategy: 'beta', venue: 'binance', currency: 'BNB', amount: '0.0001', fills: 1, estimatedFills: 0 },
    { strategy: 'beta', venue: 'okx', currency: 'USDT', amount: '0.12', fills: 1, estimatedFills: 1 },
  ];

  it('fills alternating between strategies, venues and currencies each land in their own sum', () => {
    const r = makeRig();
    const plan: ['alpha' | 'beta', 'binance' | 'okx', string, string][] = [
      ['alpha', 'binance', '0.1', 'USDT'], ['beta', 'binance', '0.2', 'USDT'], ['alpha', 'okx', '0.3', 'USDT'], ['alpha', 'binance', '0.4', 'USDT'],
      ['alpha', 'binance', '0.00001', 'BTC'], ['alpha', 'binance', '0.5', 'USDT'], ['beta', 'binance', '0.6', 'USDT'], ['beta', 'binance', '0.7', 'USDT'],
    ];
    for (const [strategy, venue, fee, currency] of plan) fillWith(r, submitted(r, strategy, 'BUY', 1_000, venue), 1_000, venue, fee, currency);
    expect(r.fees.list().map((f) => [f.strategy, f.venue, f.currency, f.amount, f.fills])).toEqual([
      ['alpha', 'binance', 'BTC', '0.00001', 1],
      ['alpha', 'binance', 'USDT', '1', 3],
      ['alpha', 'okx', 'USDT', '0.3', 1],
      ['beta', 'binance', 'USDT', '1.5', 3],
    ]);
  });

  it('a fee with fewer decimals than its sum, or as many, is added at the sum\'s scale', () => {
    const r = makeRig();
    for (const fee of ['0.125', '0.5', '2', '0.001', '-0.25']) fillWith(r, submitted(r, 'alpha', 'BUY', 1_000, 'okx'), 1_000, 'okx', fee, 'USDT');
    expect(r.fees.list()).toEqual([{ strategy: 'alpha', venue: 'okx', currency: 'USDT', amount: '2.376', fills: 5, estimatedFills: 0 }]);
  });

  it('sums exactly, per strategy, venue and currency', () => {
    const r = makeRig();
    trade(r);
    expect(r.fees.list()).toEqual(expected);
  });

  for (const withSnapshot of [false, true]) {
    it(`a journal replay${withSnapshot ? ' from a snapshot' : ''} rebuilds the sums, positions, fee remainders, fee currencies and venue times`, async () => {
      const t = tempDir('fees-journal-');
      cleanups.push(t.cleanup);
      const r = makeRig();
      const journal = await Journal.open(t.dir, { commit: 'sync' });
      r.recorder.attach(journal);
      const a = submitted(r, 'alpha', 'BUY', 2000, 'binance');
      fillWith(r, a, 1000, 'binance', '0.0000105', 'BTC');
      if (withSnapshot) {
        await journal.writeSnapshot(journal.lastSeq, encodeSnapshot(takeSnapshot(r.tracker, nextId, r.risk, r.fees)));
      }
      trade(r);
      await journal.close();
      const live = { sums: r.fees.list(), positions: r.risk.exportPositions() };

      const again = makeRig();
      again.recorder.active = false;
      again.accounting.replaying = true;
      const report = replayOrders(t.dir, again.tracker, again.tracker.store, new OrderIdCounter(), again.risk, again.fees);
      again.accounting.replaying = false;
      expect(report.refused).toBe(0);
      expect(report.snapshotSeq !== null).toBe(withSnapshot);
      expect(again.fees.list()).toEqual(live.sums);
      expect(again.risk.exportPositions()).toEqual(live.positions);
      expect(again.risk.feeRemainderOf(0, BTC)).toBe(r.risk.feeRemainderOf(0, BTC));
      expect(again.risk.feeRemainderOf(0, BTC)).not.toBe('0');
    });
  }

  it('FILL records carry fee currency, estimate flag and venue time; a record written before them reads as quote, time unknown', async () => {
    const t = tempDir('fees-records-');
    cleanups.push(t.cleanup);
    const r = makeRig();
    const journal = await Journal.open(t.dir, { commit: 'sync' });
    r.recorder.attach(journal);
    const a = submitted(r, 'alpha', 'BUY', 1000, 'okx');
    fillWith(r, a, 1000, 'okx', '0.12', 'USDT', { feeEstimated: true, tradeId: 'X1', venueTs: 1_700_000_123_456 });
    await journal.close();
    const { readJournal } = await import('../../src/journal/index.js');
    const fills: Fill[] = [];
    let bytes: Uint8Array | undefined;
    readJournal(t.dir, {}, (rec) => {
      if (rec.type !== REC_UPDATE) return;
      const u = decodeUpdateRecord(rec.buffer, rec.offset, rec.length, ['binance', 'okx']);
      if (u.update.kind === 'FILL') {
        fills.push(u.update.fill);
        bytes = rec.buffer.slice(rec.offset, rec.offset + rec.length);
      }
    });
    expect(fills).toHaveLength(1);
    expect(fills[0]).toMatchObject({ tradeId: 'X1', fee: '0.12', feeCurrency: 'USDT', feeEstimated: true, venueTs: 1_700_000_123_456 });
    // The same record as the previous format wrote it: no flags, nothing after the fee.
    const old = bytes!.slice(0, 40 + 2 + 2 + 2 + 4);
    old[19] = 0;
    const u = decodeUpdateRecord(old, 0, old.length, ['binance', 'okx']);
    expect(u.update).toMatchObject({ kind: 'FILL', fill: { tradeId: 'X1', fee: '0.12', feeCurrency: '', venueTs: 0 } });
    expect(u.update.kind === 'FILL' && u.update.fill.feeEstimated).toBeFalsy();
  });
});
