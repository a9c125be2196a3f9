/**
 * The conformance suite every venue adapter passes (ccxt on Binance and OKX, binance-ws, okx-ws, the paper venue).
 * Given a harness (the adapter, its recording sink, and a way to fill a resting order on the venue side) it runs the
 * same behaviours:
 *   place -> ACCEPTED; a marketable order -> ACCEPTED + TAKER fills; partial fill then fill of a resting order ->
 *   MAKER fills; cancel -> CANCELED; cancel of a filled order -> CANCEL_REJECTED; lookup by client order id; open
 *   orders; duplicate venue reports tolerated (each trade once, one trade id per trade); fillsSince agrees with the
 *   reports; and every order's report sequence is valid for the daemon's lifecycle table.
 * A behaviour a venue cannot be driven through is skipped with the harness's stated reason.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { reportUpdate } from '../../src/execution/report-handler.js';
import type { CancelRequest, ExecutionReport, VenueAdapter, VenueOrder } from '../../src/execution/venue.js';
import { ManualClock } from '../../src/model/clock.js';
import type { Instrument } from '../../src/model/instrument.js';
import { applyUpdate, type OrderUpdate } from '../../src/model/lifecycle.js';
import { type Order, newOrder } from '../../src/model/order.js';
import { type RecordingSink, batch, cid, order, until } from './helpers.js';

export type Behaviour = 'partialFill' | 'lookup' | 'openOrders' | 'duplicateReports' | 'fillsSince';

export interface ConformanceHarness {
  readonly adapter: VenueAdapter;
  readonly sink: RecordingSink;
  readonly instrument: Instrument;
  /** A buy limit price that rests (well below the market). */
  readonly restingBuyPrice: string;
  /** A buy limit price that takes liquidity at once. */
  readonly marketableBuyPrice: string;
  /** Quantity of one test order and a part of it (decimal text). */
  readonly qty: string;
  readonly partQty: string;
  /** Fill a resting order on the venue side at its price: `qty` of it, or all that is left. */
  fill(o: VenueOrder, qty?: string): Promise<void>;
  /** The venue's own trade ids (as the adapter reports them) for an order, when the venue can tell. */
  venueTradeIds?(o: VenueOrder): string[];
  /** Make the venue send each of the next execution reports twice. */
  duplicateReports?(): void;
  /** Behaviours this venue cannot be driven through, with the reason. */
  readonly skip?: Partial<Record<Behaviour, string>>;
  close(): Promise<void>;
}

/** The clock the lifecycle checks stamp fills with: their time does not matter to a transition. */
const CLOCK = new ManualClock(0);

/**
 * A venue report as the lifecycle update the daemon makes of it: the daemon's own mapping (ReportHandler's), so
 * these checks follow any change to it.
 */
function toUpdate(venue: string, r: ExecutionReport): OrderUpdate {
  return reportUpdate(venue, r, CLOCK);
}

/**
 * Replays every report (and cancel request) the sink recorded for `o`, in arrival order, through the daemon's
 * mapping and the lifecycle: no refused transition (a cancel asked when the order was already final would have been
 * refused by the daemon, never sent). Returns the order as the daemon would hold it (also used by late-report.ts).
 */
export function replayReports(venue: string, sink: RecordingSink, o: VenueOrder): Order {
  const ord = newOrder(o.orderId, o.clientOrderId, {
    strategy: 'replay',
    symbol: o.instrument.symbol,
    side: o.side,
    type: o.type,
    timeInForce: o.timeInForce,
    postOnly: o.postOnly,
    priceTicks: o.priceTicks,
    stopTicks: o.stopTicks,
    qtyLots: o.qtyLots,
    priority: 'NORMAL',
    clientOrderId: o.clientOrderId,
    venue,
  }, 0);
  applyUpdate(ord, { kind: 'SUBMIT', venue }, 0);
  for (const e of sink.order.filter((x) => x.orderId === o.orderId)) {
    const update: OrderUpdate = e.marker !== undefined ? { kind: 'CANCEL_REQUEST' } : toUpdate(venue, e.report!);
    const r = applyUpdate(ord, update, 0);
    if (e.marker !== undefined && r.outcome === 'ERROR') continue;
    expect(r.outcome, `${o.clientOrderId}: ${update.kind} in ${r.from} -> ${JSON.stringify(r)}`).not.toBe('ERROR');
  }
  return ord;
}

export function runConformance(name: string, setup: () => Promise<ConformanceHarness>): void {
  describe(`venue adapter conformance: ${name}`, () => {
    let h: ConformanceHarness;
    const placed: VenueOrder[] = [];
    const suiteStart = Date.now();
    const lots = (text: string): number => {
      const r = h.instrument.qtyToLots(text);
      if (!r.ok) throw new Error(`bad qty ${text}`);
      return r.value;
    };

    beforeAll(async () => {
      h = await setup();
    });

    afterAll(async () => {
      await h?.close();
    });

    const place = (price: string, qty = h.qty): VenueOrder => {
      const o = order({ instrument: h.instrument, price, qty });
      placed.push(o);
      h.adapter.submit(batch(o));
      return o;
    };

    const accepted = async (o: VenueOrder): Promise<Extract<ExecutionReport, { kind: 'ACCEPTED' }>> =>
      until(() => h.sink.of(o.orderId).find((r): r is Extract<ExecutionReport, { kind: 'ACCEPTED' }> => r.kind === 'ACCEPTED'), `ACCEPTED of ${o.clientOrderId}`);

    const cancel = (o: VenueOrder, venueOrderId?: string): void => {
      h.sink.mark(o.orderId, 'CANCEL_REQUEST');
      const req: CancelRequest = { orderId: o.orderId, clientOrderId: o.clientOrderId, venueOrderId, instrument: o.instrument };
      h.adapter.cancel(req);
    };

    const skipped = (b: Behaviour): boolean => h.skip?.[b] !== undefined;

    test('place: a resting order is ACCEPTED with a venue order id, and nothing else happens', async () => {
      const o = place(h.restingBuyPrice);
      const ack = await accepted(o);
      expect(ack.venueOrderId).not.toBe('');
      expect(h.sink.kinds(o.orderId)).toEqual(['ACCEPTED']);
      cancel(o, ack.venueOrderId);
      await until(() => h.sink.has(o.orderId, 'CANCELED'), 'CANCELED');
    });

    test('a marketable order: ACCEPTED, then TAKER fills for the whole quantity with distinct trade ids', async () => {
      const o = place(h.marketableBuyPrice);
      await until(() => h.sink.filledLots(o.orderId) === o.qtyLots, `fills of ${o.clientOrderId}`);
      const reports = h.sink.of(o.orderId);
      expect(reports[0]?.kind).toBe('ACCEPTED');
      const fills = h.sink.fills(o.orderId);
      expect(fills.every((f) => f.liquidity === 'TAKER')).toBe(true);
      expect(fills.every((f) => f.priceTicks <= o.priceTicks && f.qtyLots > 0)).toBe(true);
      expect(new Set(fills.map((f) => f.tradeId)).size).toBe(fills.length);
      expect(reports.some((r) => r.kind === 'REJECTED' || r.kind === 'CANCELED')).toBe(false);
    });

    test('partial fill then fill of a resting order: MAKER fills at its price, distinct trade ids, the venue agrees', async (ctx) => {
      if (skipped('partialFill')) ctx.skip();
      const o = place(h.restingBuyPrice);
      await accepted(o);
      await h.fill(o, h.partQty);
      await until(() => h.sink.filledLots(o.orderId) === lots(h.partQty), 'the partial fill');
      await h.fill(o);
      await until(() => h.sink.filledLots(o.orderId) === o.qtyLots, 'the rest of the fill');
      const fills = h.sink.fills(o.orderId);
      expect(fills.length).toBeGreaterThanOrEqual(2);
      expect(fills.every((f) => f.liquidity === 'MAKER' && f.priceTicks === o.priceTicks)).toBe(true);
      expect(new Set(fills.map((f) => f.tradeId)).size).toBe(fills.length);
      if (h.venueTradeIds !== undefined) expect(new Set(fills.map((f) => f.tradeId))).toEqual(new Set(h.venueTradeIds(o)));
      expect(h.sink.kinds(o.orderId).filter((k) => k !== 'FILL')).toEqual(['ACCEPTED']);
    });

    test('cancel of a resting order: CANCELED', async () => {
      const o = place(h.restingBuyPrice);
      const ack = await accepted(o);
      cancel(o, ack.venueOrderId);
      await until(() => h.sink.has(o.orderId, 'CANCELED'), 'CANCELED');
      expect(h.sink.kinds(o.orderId)).toEqual(['ACCEPTED', 'CANCELED']);
    });

    test('cancel of an order already filled at the venue: CANCEL_REJECTED and the fill, never CANCELED', async () => {
      const o = place(h.restingBuyPrice);
      const ack = await accepted(o);
      // the fill happens at the venue first; the cancel goes out before its report is in (the real race)
      await h.fill(o);
      cancel(o, ack.venueOrderId);
      await until(() => h.sink.has(o.orderId, 'CANCEL_REJECTED'), 'CANCEL_REJECTED');
      await until(() => h.sink.filledLots(o.orderId) === o.qtyLots, 'the fill');
      expect(h.sink.has(o.orderId, 'CANCELED')).toBe(false);
    });

    test('lookup by client order id: state and filled lots; null for an id the venue never saw', async (ctx) => {
      if (skipped('lookup') || h.adapter.lookup === undefined) ctx.skip();
      const o = place(h.restingBuyPrice);
      const ack = await accepted(o);
      const open = await h.adapter.lookup!(o.clientOrderId, o.instrument);
      expect(open).toMatchObject({ clientOrderId: o.clientOrderId, venueOrderId: ack.venueOrderId, state: 'OPEN', filledLots: 0 });
      if (!skipped('partialFill')) {
        await h.fill(o, h.partQty);
        await until(() => h.sink.filledLots(o.orderId) === lots(h.partQty), 'the partial fill');
        const part = await h.adapter.lookup!(o.clientOrderId, o.instrument);
        expect(part).toMatchObject({ state: 'PARTIALLY_FILLED', filledLots: lots(h.partQty) });
      }
      expect(await h.adapter.lookup!(cid(), o.instrument)).toBeNull();
      cancel(o, ack.venueOrderId);
      await until(() => h.sink.has(o.orderId, 'CANCELED'), 'CANCELED');
      expect((await h.adapter.lookup!(o.clientOrderId, o.instrument))?.state).toBe('CANCELED');
    });

    test('open orders: a resting order is listed, a filled one is not', async (ctx) => {
      if (skipped('openOrders') || h.adapter.openOrders === undefined) ctx.skip();
      const resting = place(h.restingBuyPrice);
      const filled = place(h.marketableBuyPrice);
      const ack = await accepted(resting);
      await until(() => h.sink.filledLots(filled.orderId) === filled.qtyLots, 'the marketable fill');
      const open = await h.adapter.openOrders!([h.instrument]);
      const ids = open.map((s) => s.clientOrderId);
      expect(ids).toContain(resting.clientOrderId);
      expect(ids).not.toContain(filled.clientOrderId);
      expect(open.find((s) => s.clientOrderId === resting.clientOrderId)).toMatchObject({ venueOrderId: ack.venueOrderId, state: 'OPEN' });
      cancel(resting, ack.venueOrderId);
      await until(() => h.sink.has(resting.orderId, 'CANCELED'), 'CANCELED');
    });

    test('duplicate venue reports: every trade is reported once, under one trade id', async (ctx) => {
      if (skipped('duplicateReports') || h.duplicateReports === undefined) ctx.skip();
      h.duplicateReports!();
      const o = place(h.restingBuyPrice);
      await accepted(o);
      await h.fill(o, h.partQty);
      await h.fill(o);
      await until(() => h.sink.filledLots(o.orderId) >= o.qtyLots, 'the fills');
      const fills = h.sink.fills(o.orderId);
      expect(new Set(fills.map((f) => f.tradeId)).size).toBe(fills.length);
      expect(h.sink.filledLots(o.orderId)).toBe(o.qtyLots);
      expect(h.sink.kinds(o.orderId).filter((k) => k === 'ACCEPTED')).toHaveLength(1);
      if (h.venueTradeIds !== undefined) expect(new Set(fills.map((f) => f.tradeId))).toEqual(new Set(h.venueTradeIds(o)));
    });

    test('fillsSince: the venue fills carry the trade ids, prices and quantities that were reported', async (ctx) => {
      if (skipped('fillsSince') || h.adapter.fillsSince === undefined) ctx.skip();
      const reported = new Map(h.sink.allFills().map((f) => [f.tradeId, f]));
      const clientIds = new Map(placed.map((o) => [o.orderId, o.clientOrderId]));
      const venue = await h.adapter.fillsSince!(suiteStart - 5000, [h.instrument]);
      const ours = venue.filter((f) => [...clientIds.values()].includes(f.clientOrderId));
      expect(ours.length).toBe(reported.size);
      for (const f of ours) {
        const r = reported.get(f.tradeId);
        expect(r, `trade ${f.tradeId} was reported`).toBeDefined();
        expect([f.priceTicks, f.qtyLots, f.liquidity, f.clientOrderId]).toEqual([r!.priceTicks, r!.qtyLots, r!.liquidity, clientIds.get(r!.orderId)]);
        // the venue order id that binds the fill to its order: the one the order was ACCEPTED with
        const acc = h.sink.of(r!.orderId).find((x) => x.kind === 'ACCEPTED');
        expect(f.venueOrderId).toBe(acc?.kind === 'ACCEPTED' ? acc.venueOrderId : undefined);
      }
      for (let i = 1; i < venue.length; i++) expect(venue[i]!.ts).toBeGreaterThanOrEqual(venue[i - 1]!.ts);
    });

    test("every order's reports, through the daemon's mapping, form a valid lifecycle that ends where the venue left the order", () => {
      expect(placed.length).toBeGreaterThan(0);
      for (const o of placed) {
        const ord = replayReports(name, h.sink, o);
        // Where the venue's reports leave the order, told from the reports alone (not through the mapping).
        const filled = h.sink.filledLots(o.orderId);
        const venueState = filled === o.qtyLots ? 'FILLED'
          : h.sink.has(o.orderId, 'CANCELED') ? 'CANCELED'
            : h.sink.has(o.orderId, 'REJECTED') ? 'REJECTED'
              : filled > 0 ? 'PARTIALLY_FILLED' : 'ACCEPTED';
        expect([ord.state, ord.filledLots], o.clientOrderId).toEqual([venueState, filled]);
      }
    });
  });
}
