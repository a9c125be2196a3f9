/**
 * The conformance suite every venue adapter passes (ccxt on Binance and OKX, binance-ws, okx-ws, the paper venue).
 * Given a harness (the adapter, its recording sink, and a way to fill a resting order on the venue side) it runs the
 * same behaviours:
 *   place -> ACCEPTED; a marketable order -> ACCEPTED + TAKER fills; partial fill then fill of a resting order ->
 *   MAKER fills; cancel -> CANCELED; cancel of a filled order -> CANCEL_REJECTED; lookup by client order id; open
 *   orders; duplicate venue reports tolerated (each trade once, one trade id per trade); fillsSince agrees with the
 *   reports; amend (quantity down, price change, a partially filled order's new total, an amend racing a fill, an
 *   unknown order, a 5xx whose outcome is resolved by lookup); and every order's report sequence is valid for the
 *   daemon's lifecycle table.
 * A behaviour a venue cannot be driven through is skipped with the harness's stated reason.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { reportUpdate } from '../../src/execution/report-handler.js';
import type { CancelRequest, ExecutionReport, VenueAdapter, VenueOrder } from '../../src/execution/venue.js';
import { ManualClock } from '../../src/model/clock.js';
import type { Instrument } from '../../src/model/instrument.js';
import { applyUpdate, type OrderUpdate } from '../../src/model/lifecycle.js';
import { type Order, newOrder } from '../../src/model/order.js';
import type { AmendRequest } from '../../src/execution/venue.js';
import { type RecordingSink, batch, cid, order, until } from './helpers.js';

export type Behaviour = 'partialFill' | 'lookup' | 'openOrders' | 'duplicateReports' | 'fillsSince' | 'amend' | 'amendFault';

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
  /**
   * Make the venue answer the next amend with a 5xx: after applying it (`executed`) or without applying it. The
   * adapter must resolve the outcome by looking the order up, never guess.
   */
  amendFault?(executed: boolean): void;
  /**
   * What a not-executed amendFault leaves: AMEND_REJECTED (default: the amend request itself failed, the order is
   * untouched) or CANCELED (a cancel-then-new-order amend whose replacement was not placed: the order is gone).
   */
  readonly amendFaultUnplaced?: 'AMEND_REJECTED' | 'CANCELED';
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
    const update: OrderUpdate = e.marker === 'AMEND_REQUEST' ? { kind: 'AMEND_REQUEST', priceTicks: e.terms!.priceTicks, qtyLots: e.terms!.qtyLots }
      : e.marker !== undefined ? { kind: 'CANCEL_REQUEST' } : toUpdate(venue, e.report!);
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

    type Amended = Extract<ExecutionReport, { kind: 'AMENDED' }>;
    /** The order as the venue now carries it: the terms and ids of its last AMENDED report (a cancel-replace rebinds). */
    const current = (o: VenueOrder): VenueOrder => {
      let cur = o;
      for (const r of h.sink.of(o.orderId)) {
        if (r.kind === 'AMENDED') cur = { ...cur, priceTicks: r.priceTicks, qtyLots: r.qtyLots, clientOrderId: r.clientOrderId ?? cur.clientOrderId };
      }
      return cur;
    };
    /** The venue order id the order is bound to now (its ack's, or its last AMENDED report's). */
    const boundVenueId = (o: VenueOrder): string | undefined => {
      let id: string | undefined;
      for (const r of h.sink.of(o.orderId)) {
        if (r.kind === 'ACCEPTED') id ??= r.venueOrderId;
        if (r.kind === 'AMENDED' && r.venueOrderId !== undefined) id = r.venueOrderId;
      }
      return id;
    };
    const amendCount = new Map<number, number>();
    /** Ask for an amend as the daemon does (the new total quantity; the replacement id a cancel-replace venue uses). */
    const amend = (o: VenueOrder, terms: { priceTicks?: number; qtyLots?: number }, filledLots = h.sink.filledLots(o.orderId)): void => {
      const cur = current(o);
      const priceTicks = terms.priceTicks ?? cur.priceTicks;
      const qtyLots = terms.qtyLots ?? cur.qtyLots;
      const n = (amendCount.get(o.orderId) ?? 0) + 1;
      amendCount.set(o.orderId, n);
      h.sink.mark(o.orderId, 'AMEND_REQUEST', { priceTicks, qtyLots });
      const req: AmendRequest = {
        orderId: o.orderId, clientOrderId: cur.clientOrderId, venueOrderId: boundVenueId(o), instrument: o.instrument,
        side: o.side, type: o.type, timeInForce: o.timeInForce, postOnly: o.postOnly,
        oldPriceTicks: cur.priceTicks, oldQtyLots: cur.qtyLots, priceTicks, qtyLots, filledLots,
        newClientOrderId: `${o.clientOrderId.slice(0, 28)}R${n}`,
      };
      h.adapter.amend!(req);
    };
    const answered = async (o: VenueOrder, n = 1): Promise<ExecutionReport> =>
      until(() => h.sink.of(o.orderId).filter((r) => r.kind === 'AMENDED' || r.kind === 'AMEND_REJECTED')[n - 1], `amend answer ${n} of ${o.clientOrderId}`);
    const amendSkip = (ctx: { skip: () => void }): void => {
      if (skipped('amend') || h.adapter.amend === undefined) ctx.skip();
    };

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

    test('amend: a quantity decrease is AMENDED with the new total; the rest fills up to it, never beyond', async (ctx) => {
      amendSkip(ctx);
      const o = place(h.restingBuyPrice);
      await accepted(o);
      const newQty = o.qtyLots - lots(h.partQty);
      amend(o, { qtyLots: newQty });
      expect(await answered(o)).toMatchObject({ kind: 'AMENDED', priceTicks: o.priceTicks, qtyLots: newQty });
      const cur = current(o);
      if (!skipped('lookup') && h.adapter.lookup !== undefined) {
        expect(await h.adapter.lookup(cur.clientOrderId, o.instrument, boundVenueId(o))).toMatchObject({ state: 'OPEN', priceTicks: o.priceTicks });
      }
      if (skipped('partialFill')) {
        cancel(cur, boundVenueId(o));
        await until(() => h.sink.has(o.orderId, 'CANCELED'), 'CANCELED');
        return;
      }
      await h.fill(cur);
      await until(() => h.sink.filledLots(o.orderId) === newQty, 'fills up to the new total');
      expect(h.sink.kinds(o.orderId).filter((k) => k !== 'FILL')).toEqual(['ACCEPTED', 'AMENDED']);
    });

    test('amend: a price change is AMENDED at the new price, the venue shows it, and a cancel then finds the order', async (ctx) => {
      amendSkip(ctx);
      const o = place(h.restingBuyPrice);
      await accepted(o);
      const newPrice = o.priceTicks - 10;
      amend(o, { priceTicks: newPrice });
      expect(await answered(o)).toMatchObject({ kind: 'AMENDED', priceTicks: newPrice, qtyLots: o.qtyLots });
      const cur = current(o);
      if (!skipped('lookup') && h.adapter.lookup !== undefined) {
        expect(await h.adapter.lookup(cur.clientOrderId, o.instrument, boundVenueId(o))).toMatchObject({ state: 'OPEN', priceTicks: newPrice });
      }
      cancel(cur, boundVenueId(o));
      await until(() => h.sink.has(o.orderId, 'CANCELED'), 'CANCELED');
      expect(h.sink.kinds(o.orderId)).toEqual(['ACCEPTED', 'AMENDED', 'CANCELED']);
    });

    test('amend of a partially filled order: the new quantity is the new total (fills included)', async (ctx) => {
      amendSkip(ctx);
      if (skipped('partialFill')) ctx.skip();
      const o = place(h.restingBuyPrice);
      await accepted(o);
      await h.fill(o, h.partQty);
      await until(() => h.sink.filledLots(o.orderId) === lots(h.partQty), 'the partial fill');
      const newTotal = o.qtyLots + lots(h.partQty);
      amend(o, { qtyLots: newTotal });
      expect(await answered(o)).toMatchObject({ kind: 'AMENDED', qtyLots: newTotal });
      await h.fill(current(o));
      await until(() => h.sink.filledLots(o.orderId) === newTotal, 'fills up to the new total');
      // a new total not above what filled is refused by the venue or the adapter, never sent as a smaller order
      expect(h.sink.filledLots(o.orderId)).toBe(newTotal);
    });

    test('amend racing a fill: the fill stands, the amend is AMEND_REJECTED, never AMENDED', async (ctx) => {
      amendSkip(ctx);
      const o = place(h.restingBuyPrice);
      await accepted(o);
      await h.fill(o); // the venue fills it first; the amend goes out before the fill's report is in
      amend(o, { priceTicks: o.priceTicks - 5 }, 0);
      expect(await answered(o)).toMatchObject({ kind: 'AMEND_REJECTED' });
      await until(() => h.sink.filledLots(o.orderId) === o.qtyLots, 'the fill');
      expect(h.sink.has(o.orderId, 'AMENDED')).toBe(false);
    });

    test('amend of an order the venue does not know: AMEND_REJECTED', async (ctx) => {
      amendSkip(ctx);
      const o = order({ instrument: h.instrument, price: h.restingBuyPrice, qty: h.qty });
      amend(o, { priceTicks: o.priceTicks - 3 }, 0);
      expect(await answered(o)).toMatchObject({ kind: 'AMEND_REJECTED' });
    });

    test('a 5xx on amend: the outcome is resolved by looking the order up (applied: AMENDED; not applied: AMEND_REJECTED)', { timeout: 60_000 }, async (ctx) => {
      amendSkip(ctx);
      if (skipped('amendFault') || h.amendFault === undefined) ctx.skip();
      for (const executed of [true, false]) {
        const o = place(h.restingBuyPrice);
        await accepted(o);
        h.amendFault!(executed);
        const newPrice = o.priceTicks - 7;
        amend(o, { priceTicks: newPrice });
        if (executed) {
          expect(await answered(o)).toMatchObject({ kind: 'AMENDED', priceTicks: newPrice });
        } else if (h.amendFaultUnplaced === 'CANCELED') {
          // conclusive only once the replacement's request can no longer execute (the validity window)
          await until(() => h.sink.has(o.orderId, 'CANCELED'), 'CANCELED (no replacement placed)', 20_000);
          expect(h.sink.has(o.orderId, 'AMENDED')).toBe(false);
          continue;
        } else {
          expect(await until(() => h.sink.of(o.orderId).find((r) => r.kind === 'AMENDED' || r.kind === 'AMEND_REJECTED'), 'the amend answer', 20_000))
            .toMatchObject({ kind: 'AMEND_REJECTED' });
        }
        const cur = current(o);
        cancel(cur, boundVenueId(o));
        await until(() => h.sink.has(o.orderId, 'CANCELED'), 'CANCELED');
      }
    });

    test("every order's reports, through the daemon's mapping, form a valid lifecycle that ends where the venue left the order", () => {
      expect(placed.length).toBeGreaterThan(0);
      for (const o of placed) {
        const ord = replayReports(name, h.sink, o);
        // Where the venue's reports leave the order, told from the reports alone (not through the mapping).
        const filled = h.sink.filledLots(o.orderId);
        const venueState = filled === current(o).qtyLots ? 'FILLED'
          : h.sink.has(o.orderId, 'CANCELED') ? 'CANCELED'
            : h.sink.has(o.orderId, 'REJECTED') ? 'REJECTED'
              : filled > 0 ? 'PARTIALLY_FILLED' : 'ACCEPTED';
        expect([ord.state, ord.filledLots], o.clientOrderId).toEqual([venueState, filled]);
      }
    });
  });
}
