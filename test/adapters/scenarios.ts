/**
 * Fault scenarios run for every exchange adapter against the local fakes:
 *  - a timeout on submit whose order DID execute (answer withheld, its stream report dropped): resolved by looking
 *    the client order id up; the venue holds exactly one such order, and it trades normally afterwards;
 *  - a timeout on submit whose order did NOT execute: REJECTED VENUE_TIMEOUT only once the request's validity window
 *    has passed (never on a guess), and the venue has no such order;
 *  - a websocket drop during fills (with duplicated reports as well): after recovery every fill is known exactly once;
 *  - 5xx answers to new orders and cancels, executed or not, with every kind of body (server-errors.ts).
 */
import { afterEach, describe, expect, test } from 'vitest';
import type { BaseVenueAdapter } from '../../adapters/common/base-adapter.js';
import type { VenueAdapter, VenueOrder } from '../../src/execution/venue.js';
import type { Instrument } from '../../src/model/instrument.js';
import type { FaultRule } from '../venues/faults.js';
import { type FakeBinance, type FakeOkx, startFakeBinance, startFakeOkx } from '../venues/index.js';
import { type ExchangeAdapterKind, RecordingSink, batch, makeAdapter, order, sharedInstruments, until, venueConfig } from './helpers.js';
import { serverErrorScenarios } from './server-errors.js';

export interface Target {
  readonly label: string;
  readonly adapter: ExchangeAdapterKind;
  readonly exchange: 'binance' | 'okx';
}

export type Fake = FakeBinance | FakeOkx;

export function startFake(exchange: 'binance' | 'okx', options: Record<string, unknown> = {}): Promise<Fake> {
  return exchange === 'binance' ? startFakeBinance(options) : startFakeOkx(options);
}

/** The fault-rule match for the request that places one order. */
export function placeRequest(t: Target): Pick<FaultRule, 'method' | 'path' | 'transport'> {
  if (t.adapter === 'binance-ws') return { path: 'order.place', transport: 'ws' };
  if (t.adapter === 'okx-ws') return { path: 'order', transport: 'ws' };
  if (t.exchange === 'binance') return { method: 'POST', path: '/api/v3/order', transport: 'rest' };
  return { method: 'POST', path: '/api/v5/trade/order', transport: 'rest' };
}

/** Trade ids of an order at the venue, as the adapters report them. */
export function venueTradeIds(t: Target, fake: Fake, o: VenueOrder): string[] {
  const prefix = t.exchange === 'binance' ? 'BTCUSDT' : 'BTC-USDT';
  return (fake.order({ clientOrderId: o.clientOrderId })?.fills ?? []).map((f) => `${prefix}:${f.tradeId}`);
}

export interface Rig {
  fake: Fake;
  sink: RecordingSink;
  adapter: VenueAdapter & BaseVenueAdapter;
  btc: Instrument;
}

export async function rig(t: Target, venueExtra: Record<string, unknown> = {}, fakeOptions: Record<string, unknown> = {}): Promise<Rig> {
  const fake = await startFake(t.exchange, fakeOptions);
  const sink = new RecordingSink();
  const ins = sharedInstruments();
  const adapter = makeAdapter(venueConfig(t.label, t.adapter, t.exchange, fake, venueExtra), ins.list, sink) as VenueAdapter & BaseVenueAdapter;
  try {
    await adapter.start();
  } catch (err) {
    await fake.close();
    throw err;
  }
  return { fake, sink, adapter, btc: ins.get('BTC-USDT')! };
}

export function faultScenarios(t: Target): void {
  serverErrorScenarios(t);
  describe(`${t.label}: unknown outcomes and stream drops`, () => {
    let r: Rig | undefined;
    afterEach(async () => {
      await r?.adapter.stop();
      await r?.fake.close();
      r = undefined;
    });

    test('refused credentials: start() fails at once with VENUE_AUTH_FAILED', async () => {
      const fake = await startFake(t.exchange);
      const creds = { ...(fake.credentials as { apiKey: string; secret: string; passphrase?: string }), secret: 'A'.repeat(32) };
      const sink = new RecordingSink();
      const ins = sharedInstruments();
      const adapter = makeAdapter(venueConfig(t.label, t.adapter, t.exchange, fake, { credentials: creds }), ins.list, sink);
      const started = Date.now();
      try {
        const err = await adapter.start().then(() => undefined, (e: unknown) => e);
        expect(err).toMatchObject({ code: 'VENUE_AUTH_FAILED' });
        expect(Date.now() - started).toBeLessThan(5000);
      } finally {
        await adapter.stop();
        await fake.close();
      }
    });

    test('timeout on submit, order executed: resolved by client id, ACCEPTED, exactly one order at the venue', async () => {
      r = await rig(t, { requestTimeoutMs: 500 });
      const { fake, sink, adapter, btc } = r;
      fake.faults.add({ kind: 'hang', ...placeRequest(t), afterExecute: true, times: 1 });
      fake.faults.apply({ dropReports: 1 }); // its NEW report too: only the lookup can tell
      const o = order({ instrument: btc, price: '50000', qty: '0.002' });
      adapter.submit(batch(o));
      await until(() => sink.has(o.orderId, 'ACCEPTED'), 'ACCEPTED after the lookup');
      expect(sink.has(o.orderId, 'REJECTED')).toBe(false);
      const stats = adapter.stats();
      expect(stats.unknownOutcomes).toBe(1);
      expect(stats.resolvedByLookup).toBe(1);
      expect(fake.orders({ account: 'main' }).filter((x) => x.clientOrderId === o.clientOrderId)).toHaveLength(1);
      // and it is an ordinary order from then on
      fake.fill({ clientOrderId: o.clientOrderId });
      await until(() => sink.filledLots(o.orderId) === o.qtyLots, 'the fill');
      expect(fake.orders({ account: 'main' }).filter((x) => x.clientOrderId === o.clientOrderId)).toHaveLength(1);
    });

    test('timeout on submit, order never executed: REJECTED VENUE_TIMEOUT only after the validity window; nothing at the venue', async () => {
      r = await rig(t, { requestTimeoutMs: 500 });
      const { fake, sink, adapter, btc } = r;
      fake.faults.add({ kind: 'hang', ...placeRequest(t), times: 1 });
      const o = order({ instrument: btc, price: '50000', qty: '0.002' });
      const sent = Date.now();
      adapter.submit(batch(o));
      await until(() => sink.has(o.orderId, 'REJECTED'), 'REJECTED after the validity window', 10_000);
      const rej = sink.reports.find((x) => x.report.orderId === o.orderId && x.report.kind === 'REJECTED')!;
      expect(rej.report.kind === 'REJECTED' && rej.report.reason.startsWith('VENUE_TIMEOUT')).toBe(true);
      expect(rej.at - sent).toBeGreaterThanOrEqual(500);
      expect(adapter.stats().resolvedNotFound).toBe(1);
      expect(fake.orders({ account: 'main' }).filter((x) => x.clientOrderId === o.clientOrderId)).toHaveLength(0);
      expect(sink.kinds(o.orderId)).toEqual(['REJECTED']);
    });

    test('websocket drop during fills: after recovery every fill is known exactly once', async () => {
      r = await rig(t);
      const { fake, sink, adapter, btc } = r;
      fake.faults.apply({ duplicateReports: 4 });
      const orders = [0, 1, 2].map(() => order({ instrument: btc, price: '50000', qty: '0.004' }));
      adapter.submit(batch(...orders));
      await until(() => orders.every((o) => sink.has(o.orderId, 'ACCEPTED')), 'three ACCEPTED');
      const [a, b, c] = orders as [VenueOrder, VenueOrder, VenueOrder];
      fake.fill({ clientOrderId: a.clientOrderId }, '0.001');
      await until(() => sink.filledLots(a.orderId) === 100, 'the first fill, by stream');
      const drops = adapter.stats().streamDrops;
      fake.dropSockets();
      // while the stream is down
      fake.fill({ clientOrderId: a.clientOrderId }, '0.001');
      fake.fill({ clientOrderId: b.clientOrderId }, '0.002');
      await until(() => adapter.stats().streamDrops > drops, 'the adapter to notice the drop');
      await until(() => adapter.streamLive && fake.userStreams('main') >= 1, 'the stream to come back');
      // after recovery
      fake.fill({ clientOrderId: c.clientOrderId });
      fake.fill({ clientOrderId: a.clientOrderId });
      fake.fill({ clientOrderId: b.clientOrderId });
      await until(() => orders.every((o) => sink.filledLots(o.orderId) === o.qtyLots), 'every fill');
      for (const o of orders) {
        const ids = sink.fills(o.orderId).map((f) => f.tradeId);
        expect(ids.length, `${o.clientOrderId}: no fill twice`).toBe(new Set(ids).size);
        expect(new Set(ids)).toEqual(new Set(venueTradeIds(t, fake, o)));
      }
      // nothing more trickles in later (a poll or reconciliation repeating a fill)
      await adapter.reconcile('test');
      for (const o of orders) expect(sink.filledLots(o.orderId)).toBe(o.qtyLots);
    });

    test('restart: orders placed by the previous process are adopted; their missed and later fills are reported', async () => {
      r = await rig(t);
      const { fake, sink, btc } = r;
      const o = order({ instrument: btc, price: '50000', qty: '0.003' });
      r.adapter.submit(batch(o));
      await until(() => sink.has(o.orderId, 'ACCEPTED'), 'ACCEPTED');
      fake.fill({ clientOrderId: o.clientOrderId }, '0.001');
      await until(() => sink.filledLots(o.orderId) === 100, 'first fill');
      await r.adapter.stop();
      fake.fill({ clientOrderId: o.clientOrderId }, '0.001'); // while no process runs
      // the next process
      const sink2 = new RecordingSink();
      const ins = sharedInstruments();
      const next = makeAdapter(venueConfig(t.label, t.adapter, t.exchange, fake), ins.list, sink2) as VenueAdapter & BaseVenueAdapter;
      r.adapter = next;
      await next.start();
      const btc2 = ins.get('BTC-USDT')!;
      expect(await next.lookup(o.clientOrderId, btc2)).toMatchObject({ state: 'PARTIALLY_FILLED', filledLots: 200 });
      next.adopt({ orderId: o.orderId, clientOrderId: o.clientOrderId, instrument: btc2, qtyLots: o.qtyLots });
      await until(() => sink2.filledLots(o.orderId) === 200, 'the fills so far, reported again with their trade ids');
      fake.fill({ clientOrderId: o.clientOrderId });
      await until(() => sink2.filledLots(o.orderId) === o.qtyLots, 'the last fill, by stream');
      const all = [...sink.fills(o.orderId), ...sink2.fills(o.orderId)].map((f) => f.tradeId);
      expect(new Set(all)).toEqual(new Set(venueTradeIds(t, fake, o)));
      expect(sink2.fills(o.orderId)).toHaveLength(3);
    });

    test('a silent stream (every report lost): the periodic REST reconciliation still reports fills and cancels', async () => {
      r = await rig(t, { reconcileIntervalMs: 300 });
      const { fake, sink, adapter, btc } = r;
      const a = order({ instrument: btc, price: '50000', qty: '0.002' });
      const b = order({ instrument: btc, price: '50000', qty: '0.002' });
      adapter.submit(batch(a, b));
      await until(() => sink.has(a.orderId, 'ACCEPTED') && sink.has(b.orderId, 'ACCEPTED'), 'ACCEPTED');
      fake.faults.apply({ dropReports: true });
      fake.fill({ clientOrderId: a.clientOrderId }, '0.001');
      fake.fill({ clientOrderId: b.clientOrderId });
      await until(() => sink.filledLots(a.orderId) === 100 && sink.filledLots(b.orderId) === b.qtyLots, 'fills by reconciliation');
      expect(adapter.streamLive).toBe(true);
      expect(adapter.stats().reconciliations).toBeGreaterThan(0);
      expect(new Set(sink.fills(a.orderId).map((f) => f.tradeId))).toEqual(new Set(venueTradeIds(t, fake, a)));
    });
  });
}

/** Binance: the user-data subscription is refused for a while, so the stream stays down: REST polling carries on. */
export function streamDownPollingScenario(t: Target): void {
  describe(`${t.label}: stream down for a while`, () => {
    let r: Rig | undefined;
    afterEach(async () => {
      await r?.adapter.stop();
      await r?.fake.close();
      r = undefined;
    });

    test('while the stream cannot come back, fills and cancels arrive by REST polling; then the stream is restored', async () => {
      r = await rig(t, { pollIntervalMs: 150 });
      const { fake, sink, adapter, btc } = r;
      const a = order({ instrument: btc, price: '50000', qty: '0.002' });
      const b = order({ instrument: btc, price: '50000', qty: '0.002' });
      adapter.submit(batch(a, b));
      await until(() => sink.has(a.orderId, 'ACCEPTED') && sink.has(b.orderId, 'ACCEPTED'), 'ACCEPTED');
      fake.faults.add({ kind: 'error', status: 503, path: 'userDataStream.subscribe', transport: 'ws' });
      fake.dropSockets();
      await until(() => !adapter.streamLive, 'the stream down');
      fake.fill({ clientOrderId: a.clientOrderId });
      fake.fill({ clientOrderId: b.clientOrderId }, '0.001');
      await until(() => sink.filledLots(a.orderId) === a.qtyLots && sink.filledLots(b.orderId) === 100, 'fills by polling');
      expect(adapter.streamLive).toBe(false);
      expect(adapter.stats().reconciliations).toBeGreaterThan(0);
      fake.faults.clear();
      await until(() => adapter.streamLive, 'the stream back', 10_000);
      fake.fill({ clientOrderId: b.clientOrderId });
      await until(() => sink.filledLots(b.orderId) === b.qtyLots, 'the last fill');
      for (const o of [a, b]) expect(new Set(sink.fills(o.orderId).map((f) => f.tradeId))).toEqual(new Set(venueTradeIds(t, fake, o)));
      for (const o of [a, b]) expect(sink.fills(o.orderId)).toHaveLength(venueTradeIds(t, fake, o).length);
    });
  });
}

/** OKX: batches go through batch-orders (at most 20 per request) and every entry is answered on its own. */
export function okxBatchScenarios(t: Target): void {
  describe(`${t.label}: OKX batch orders`, () => {
    let r: Rig | undefined;
    afterEach(async () => {
      await r?.adapter.stop();
      await r?.fake.close();
      r = undefined;
    });

    /** A no-op fault rule that counts the batch-orders requests. */
    const counter = (): FaultRule =>
      t.adapter === 'okx-ws'
        ? { kind: 'delay', ms: 0, path: 'batch-orders', transport: 'ws', times: 1000 }
        : { kind: 'delay', ms: 0, method: 'POST', path: '/api/v5/trade/batch-orders', transport: 'rest', times: 1000 };
    const batchRequests = (fake: Fake): number => 1000 - (fake.faults.state().rules.find((x) => x.kind === 'delay')?.remaining ?? 1000);

    test('a batch with one bad entry: one batch-orders request; that entry REJECTED, the others ACCEPTED', async () => {
      r = await rig(t);
      const { fake, sink, adapter, btc } = r;
      fake.faults.add(counter());
      const good = [0, 1, 2, 3].map(() => order({ instrument: btc, price: '50000', qty: '0.001' }));
      const bad = order({ instrument: btc, side: 'SELL', price: '70000', qty: '100' }); // main holds 10 BTC
      const all = [good[0]!, good[1]!, bad, good[2]!, good[3]!];
      adapter.submit(batch(...all));
      await until(() => all.every((o) => sink.has(o.orderId, 'ACCEPTED') || sink.has(o.orderId, 'REJECTED')), 'every entry answered');
      for (const o of good) expect(sink.kinds(o.orderId)).toEqual(['ACCEPTED']);
      expect(sink.kinds(bad.orderId)).toEqual(['REJECTED']);
      const reason = sink.of(bad.orderId)[0];
      expect(reason?.kind === 'REJECTED' && reason.reason.startsWith('VENUE_REJECTED') && reason.reason.includes('51008')).toBe(true);
      expect(batchRequests(fake)).toBe(1);
      const atVenue = new Set(fake.orders({ account: 'main' }).map((x) => x.clientOrderId));
      expect(good.every((o) => atVenue.has(o.clientOrderId))).toBe(true);
      expect(atVenue.has(bad.clientOrderId)).toBe(false);
    });

    test('a batch whose every entry fails: each entry REJECTED on its own', async () => {
      r = await rig(t);
      const { fake, sink, adapter, btc } = r;
      fake.faults.add(counter());
      const bad = [0, 1].map(() => order({ instrument: btc, side: 'SELL', price: '70000', qty: '100' }));
      adapter.submit(batch(...bad));
      await until(() => bad.every((o) => sink.has(o.orderId, 'REJECTED')), 'both REJECTED');
      expect(batchRequests(fake)).toBe(1);
      for (const o of bad) expect(sink.kinds(o.orderId)).toEqual(['REJECTED']);
    });

    test('25 orders: two batch-orders requests (20 + 5), all ACCEPTED', async () => {
      r = await rig(t);
      const { fake, sink, adapter, btc } = r;
      fake.faults.add(counter());
      const orders = Array.from({ length: 25 }, () => order({ instrument: btc, price: '50000', qty: '0.001' }));
      adapter.submit(batch(...orders));
      await until(() => orders.every((o) => sink.has(o.orderId, 'ACCEPTED')), 'all ACCEPTED');
      expect(batchRequests(fake)).toBe(2);
      expect(fake.orders({ account: 'main', open: true }).length).toBe(25);
    });
  });
}
