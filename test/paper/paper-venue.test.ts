import { describe, expect, it, vi } from 'vitest';
import { PaperVenue, type PaperVenueOptions } from '../../adapters/paper/paper-venue.js';
import { ArrayOrderBatch, type ExecutionReport, type VenueOrder } from '../../src/execution/venue.js';
import { Instrument } from '../../src/model/instrument.js';

const BTC = new Instrument({ symbol: 'BTC-USDT', base: 'BTC', quote: 'USDT', tickSize: '0.01', lotSize: '0.00001' }, 0);
const MID = 6_000_000; // 60000.00

function options(overrides: Partial<PaperVenueOptions> = {}): PaperVenueOptions {
  return {
    name: 'sim', markets: [{ instrument: BTC, startMidTicks: MID }], makerBps: '1', takerBps: '5', latencyMs: 0,
    seed: 7, spreadTicks: 4, volatilityTicks: 0, depthLevels: 5, levelNotional: 600, tradesPerSecond: 0, stepMs: 1000,
    ...overrides,
  };
}

function venue(overrides: Partial<PaperVenueOptions> = {}): { v: PaperVenue; reports: ExecutionReport[] } {
  const reports: ExecutionReport[] = [];
  const v = new PaperVenue(options(overrides), { report: (_name, r) => reports.push(r) });
  return { v, reports };
}

function order(id: number, fields: Partial<VenueOrder>): VenueOrder {
  return {
    orderId: id, clientOrderId: `c${id}`, instrument: BTC, side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', postOnly: false,
    priceTicks: 0, stopTicks: 0, qtyLots: 1000, ...fields,
  };
}

async function until(fn: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 2));
  }
}

const fills = (reports: ExecutionReport[], id: number) =>
  reports.filter((r): r is Extract<ExecutionReport, { kind: 'FILL' }> => r.kind === 'FILL' && r.orderId === id);

describe('paper venue on the matching engine', () => {
  it('quotes a ladder around the mid: spread and depth as configured', () => {
    const { v } = venue();
    expect(v.quote('BTC-USDT')).toEqual({ bid: MID - 2, ask: MID + 2 });
    // levelNotional 600 USDT at 0.6 USDT per lot -> about 1000 lots per level (0.5x to 1.5x).
    for (let k = 0; k < 5; k++) {
      expect(v.depthAt('BTC-USDT', 'BUY', MID - 2 - k)).toBeGreaterThanOrEqual(500);
      expect(v.depthAt('BTC-USDT', 'SELL', MID + 2 + k)).toBeLessThanOrEqual(1500);
    }
    expect(v.depthAt('BTC-USDT', 'BUY', MID - 7)).toBe(0);
  });

  it('a marketable order fills at the quotes across levels, taker fee, partial reports', async () => {
    const { v, reports } = venue();
    const atBest = v.depthAt('BTC-USDT', 'SELL', MID + 2);
    v.submit(new ArrayOrderBatch([order(1, { type: 'MARKET', timeInForce: 'IOC', qtyLots: atBest + 10 })]));
    await until(() => fills(reports, 1).length === 2);
    const f = fills(reports, 1);
    expect(reports[0]).toMatchObject({ kind: 'ACCEPTED', orderId: 1 });
    expect(f[0]).toMatchObject({ priceTicks: MID + 2, qtyLots: atBest, liquidity: 'TAKER' });
    expect(f[1]).toMatchObject({ priceTicks: MID + 3, qtyLots: 10, liquidity: 'TAKER' });
    // 10 lots x 0.00001 x 60000.03 x 5 bps = 0.0030000015
    expect(f[1]!.fee).toBe('0.0030000015');
  });

  it('a resting order waits behind the liquidity already at its price, and fills partially as others trade', async () => {
    const { v, reports } = venue();
    const ahead = v.depthAt('BTC-USDT', 'BUY', MID - 2);
    v.submit(new ArrayOrderBatch([order(2, { priceTicks: MID - 2, qtyLots: 400 })]));
    await until(() => reports.some((r) => r.kind === 'ACCEPTED'));
    // Other traders sell exactly what was there before us: nothing for us yet (queue position).
    v.trade('BTC-USDT', 'SELL', ahead);
    expect(fills(reports, 2)).toHaveLength(0);
    // The next 150 lots are ours: a partial fill as maker, at our price, maker fee.
    v.trade('BTC-USDT', 'SELL', 150);
    expect(fills(reports, 2)).toEqual([expect.objectContaining({ qtyLots: 150, priceTicks: MID - 2, liquidity: 'MAKER' })]);
    v.trade('BTC-USDT', 'SELL', 1000);
    expect(fills(reports, 2).map((r) => r.qtyLots)).toEqual([150, 250]);
  });

  it('post-only that would cross is rejected (never acknowledged); IOC without liquidity at its price expires', async () => {
    const { v, reports } = venue();
    v.submit(new ArrayOrderBatch([
      order(3, { postOnly: true, priceTicks: MID + 5 }),
      order(4, { timeInForce: 'IOC', priceTicks: MID - 50 }),
    ]));
    await until(() => reports.length >= 3);
    expect(reports.filter((r) => r.orderId === 3)).toEqual([{ kind: 'REJECTED', orderId: 3, reason: 'post-only order would cross' }]);
    expect(reports.filter((r) => r.orderId === 4).map((r) => r.kind)).toEqual(['ACCEPTED', 'EXPIRED']);
  });

  it('cancel of a resting order, and of one already filled', async () => {
    const { v, reports } = venue();
    v.submit(new ArrayOrderBatch([order(5, { priceTicks: MID - 100 }), order(6, { type: 'MARKET', timeInForce: 'IOC', qtyLots: 10 })]));
    await until(() => fills(reports, 6).length === 1);
    v.cancel({ orderId: 5, clientOrderId: 'c5', venueOrderId: undefined, instrument: BTC });
    v.cancel({ orderId: 6, clientOrderId: 'c6', venueOrderId: undefined, instrument: BTC });
    await until(() => reports.filter((r) => r.kind.startsWith('CANCEL')).length === 2);
    expect(reports.find((r) => r.orderId === 5 && r.kind === 'CANCELED')).toBeDefined();
    expect(reports.find((r) => r.orderId === 6 && r.kind === 'CANCEL_REJECTED')).toBeDefined();
    expect(await v.lookup('c5')).toMatchObject({ state: 'CANCELED', filledLots: 0 });
    expect(await v.lookup('c6')).toMatchObject({ state: 'FILLED', filledLots: 10 });
    expect(await v.lookup('nope')).toBeNull();
  });

  it('a stop triggers on the last trade price and then trades', async () => {
    const { v, reports } = venue();
    v.submit(new ArrayOrderBatch([order(7, { type: 'STOP', timeInForce: 'IOC', side: 'SELL', stopTicks: MID - 3, qtyLots: 10 })]));
    await until(() => reports.some((r) => r.orderId === 7 && r.kind === 'ACCEPTED'));
    v.trade('BTC-USDT', 'SELL', 10); // last trade at MID - 2: not yet
    expect(reports.some((r) => r.kind === 'TRIGGERED')).toBe(false);
    v.trade('BTC-USDT', 'SELL', v.depthAt('BTC-USDT', 'BUY', MID - 2) + 5); // trades through to MID - 3
    expect(reports.filter((r) => r.orderId === 7).map((r) => r.kind)).toEqual(['ACCEPTED', 'TRIGGERED', 'FILL']);
  });

  it('latency: nothing is answered before the configured delay', async () => {
    const { v, reports } = venue({ latencyMs: 30 });
    const t0 = performance.now();
    v.submit(new ArrayOrderBatch([order(8, { priceTicks: MID - 100 })]));
    expect(reports).toHaveLength(0);
    await until(() => reports.length === 1);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(29);
  });

  it('latency 0: the request arrives in the next event-loop turn, not after a timer (Node holds a 0 ms timer 1 ms)', async () => {
    // Timers are faked and never advanced: a venue that waited on setTimeout(0) would never answer here.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const { v, reports } = venue({ latencyMs: 0 });
      v.submit(new ArrayOrderBatch([order(11, { priceTicks: MID - 100 })]));
      v.cancel({ orderId: 11, clientOrderId: 'c11', venueOrderId: undefined, instrument: BTC });
      expect(reports).toHaveLength(0); // not synchronously: the request is on its way
      expect(v.structureSizes().timers).toBe(2);
      await new Promise((r) => setImmediate(r));
      expect(reports.map((r) => r.kind)).toEqual(['ACCEPTED', 'CANCELED']); // in the order they were sent
      expect(v.structureSizes().timers).toBe(0);
      // stopped: what is on its way is dropped
      v.submit(new ArrayOrderBatch([order(12, { priceTicks: MID - 100 })]));
      await v.stop();
      await new Promise((r) => setImmediate(r));
      expect(reports).toHaveLength(2);
      expect(v.structureSizes().timers).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('stopped: orders and cancels handed over afterwards are dropped, no callback reports later (issue 10, item 11)', async () => {
    // A batch that waited for the journal can reach a venue the daemon already stopped; its answer would arrive
    // after the journal closed. Positive control: a running venue with the same latency, handed its order after
    // the stopped one — equal delays fire in order, so once it has answered the stopped venue would have too.
    const stopped = venue({ latencyMs: 5 });
    const running = venue({ latencyMs: 5 });
    await stopped.v.start();
    await running.v.start();
    await stopped.v.stop();
    stopped.v.submit(new ArrayOrderBatch([order(9, { priceTicks: MID - 100 })]));
    stopped.v.cancel({ orderId: 9, clientOrderId: 'c9', venueOrderId: undefined, instrument: BTC });
    running.v.submit(new ArrayOrderBatch([order(10, { priceTicks: MID - 100 })]));
    await until(() => running.reports.length === 1);
    expect(stopped.reports).toEqual([]);
    await running.v.stop();
  });

  it('the same seed gives the same market; another seed another one', () => {
    const a = venue({ volatilityTicks: 3, tradesPerSecond: 8 }).v;
    const b = venue({ volatilityTicks: 3, tradesPerSecond: 8 }).v;
    const c = venue({ volatilityTicks: 3, tradesPerSecond: 8, seed: 8 }).v;
    a.advance(200);
    b.advance(200);
    c.advance(200);
    expect(a.quote('BTC-USDT')).toEqual(b.quote('BTC-USDT'));
    expect(a.quote('BTC-USDT')).not.toEqual(c.quote('BTC-USDT'));
    const bid = a.quote('BTC-USDT')!.bid;
    expect(a.depthAt('BTC-USDT', 'BUY', bid)).toBe(b.depthAt('BTC-USDT', 'BUY', bid));
  });
});
