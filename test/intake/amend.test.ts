/**
 * OrderIntake.amend through the daemon's own order path (buildOrderPath): what it refuses and with which code, what
 * an accepted amend asks of the venue (the new total, the fills, the replacement client order id), how the venue's
 * answer ends it (AMENDED: the new terms and ids in force, risk follows; AMEND_REJECTED: the old terms hold; a fill
 * that wins the race), a cancel asked while the amend is pending (sent only after the answer, with the ids then in
 * force), pre-trade risk's re-check, and the lookup that settles an amend left pending by a restart.
 */
import { describe, expect, it } from 'vitest';
import { buildOrderPath } from '../../src/compose/order-path.js';
import {
  toVenueOrders, type AmendRequest, type CancelRequest, type ExecutionReport, type OrderBatch, type ReportSink,
  type VenueAdapter, type VenueOrder, type VenueOrderStatus,
} from '../../src/execution/venue.js';
import { replacementClientOrderId, type AmendOutcome } from '../../src/intake/order-intake.js';
import { ManualClock } from '../../src/model/clock.js';
import { InstrumentRegistry, type Instrument, type InstrumentSpec } from '../../src/model/instrument.js';
import type { OrderIntent } from '../../src/model/order.js';
import { PreTradeRisk } from '../../src/risk/pre-trade-risk.js';
import { Router } from '../../src/routing/router.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { intent, TEST_INSTRUMENT_SPECS, testInstruments } from '../helpers/model.js';

/** A venue the test plays; `amends` false: an adapter without amend. */
class PlayedVenue implements VenueAdapter {
  readonly orders: VenueOrder[] = [];
  readonly cancels: CancelRequest[] = [];
  readonly amendRequests: AmendRequest[] = [];
  /** What lookup() answers, by client order id. */
  readonly statuses = new Map<string, VenueOrderStatus>();
  private seq = 0;
  amend?: (r: AmendRequest) => void;
  constructor(readonly name: string, private readonly sink: ReportSink, amends: boolean) {
    if (amends) this.amend = (r) => this.amendRequests.push(r);
  }
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  submit(batch: OrderBatch): void {
    this.orders.push(...toVenueOrders(batch));
  }
  cancel(request: CancelRequest): void {
    this.cancels.push(request);
  }
  async lookup(clientOrderId: string): Promise<VenueOrderStatus | null> {
    return this.statuses.get(clientOrderId) ?? null;
  }
  report(r: ExecutionReport): void {
    this.sink.report(this.name, r);
  }
  fill(orderId: number, qtyLots: number, priceTicks = 6_000_000): void {
    this.report({ kind: 'FILL', orderId, tradeId: `t${++this.seq}`, priceTicks, qtyLots, fee: '0', feeCurrency: 'USDT', liquidity: 'MAKER', venueTs: 1 });
  }
}

function setup(limits: { maxOrderQty?: Record<string, string> } = {}, extra: readonly InstrumentSpec[] = []) {
  const instruments = new InstrumentRegistry([...TEST_INSTRUMENT_SPECS, ...extra]);
  const clock = new ManualClock();
  const names = ['a', 'b'];
  const router = new Router(names, instruments.list.map((i) => i.symbol), instruments.list.map(() => ({ a: 1, b: 1 })));
  const risk = new PreTradeRisk(instruments, [{ id: 'alpha', symbols: ['BTC-USDT', 'ETH-USDT', ...extra.map((x) => x.symbol)], ...limits }, { id: 'beta', symbols: ['BTC-USDT'] }], {});
  risk.setMark(0, 6_000_000);
  const venues: PlayedVenue[] = [];
  const path = buildOrderPath({
    instruments, risk, router, clock,
    log: createLogger('warn', 'test', { write: () => {} }),
    strategies: [{ id: 'alpha', weight: 1 }, { id: 'beta', weight: 1 }],
    venues: names,
    venue: (i, sink) => (venues[i] = new PlayedVenue(names[i]!, sink, i === 0)),
    batch: names.map(() => ({ maxSize: 32, flushMs: 0 })),
    queueCapacity: 1024,
    retainFinished: 4096,
    clientIdPrefix: 'tst',
    journal: false,
  });
  path.intake.setAmendRisk(risk);
  path.intake.open();
  /** An order at venue `v` (a or b), acknowledged unless `ack` is false. */
  const place = (overrides: Partial<OrderIntent> = {}, ack = true) => {
    const r = path.intake.submit(intent({ venue: 'a', ...overrides }));
    if (!r.ok) throw new Error(`${r.code} ${r.message}`);
    path.dispatcher.pump();
    const o = path.tracker.get(r.order.id)!;
    const v = venues[names.indexOf(o.venue!)]!;
    if (ack) v.report({ kind: 'ACCEPTED', orderId: o.id, venueOrderId: `V${o.id}` });
    return { o, v };
  };
  const ins = instruments.get('BTC-USDT')!;
  return { path, venues, risk, place, ins };
}

const openNotional = (risk: PreTradeRisk): string => risk.snapshot().strategies[0]!.openNotional;

describe('OrderIntake.amend: refusals (nothing sent)', () => {
  it('says why with a code', () => {
    const { path, place, venues } = setup();
    const intake = path.intake;
    const { o } = place();
    expect(intake.amend(999_999, { priceTicks: 5_990_000 })).toMatchObject({ ok: false, code: 'ORDER_NOT_FOUND' });
    // another strategy's order is not found for it
    expect(intake.amend(o.id, { priceTicks: 5_990_000 }, 'beta')).toMatchObject({ ok: false, code: 'ORDER_NOT_FOUND' });
    expect(intake.amend(o.id, {})).toMatchObject({ ok: false, code: 'AMEND_NO_CHANGE' });
    expect(intake.amend(o.id, { priceTicks: o.priceTicks, qtyLots: o.qtyLots })).toMatchObject({ ok: false, code: 'AMEND_NO_CHANGE' });
    expect(intake.amend(o.id, { priceTicks: 0 })).toMatchObject({ ok: false, code: 'INVALID_PRICE', field: 'price' });
    expect(intake.amend(o.id, { qtyLots: 5 })).toMatchObject({ ok: false, code: 'INVALID_QUANTITY' }); // below minQty 0.0001
    expect(intake.amend(o.id, { qtyLots: 1.5 })).toMatchObject({ ok: false, code: 'INVALID_QUANTITY' });
    // not yet acknowledged; a venue without amend; a market order
    const unacked = place({}, false).o;
    expect(intake.amend(unacked.id, { priceTicks: 5_990_000 })).toMatchObject({ ok: false, code: 'ORDER_NOT_AMENDABLE' });
    const atB = place({ venue: 'b' }).o;
    expect(intake.amend(atB.id, { priceTicks: 5_990_000 })).toMatchObject({ ok: false, code: 'ORDER_NOT_AMENDABLE' });
    const market = place({ type: 'MARKET', priceTicks: 0, timeInForce: 'IOC' }).o;
    expect(intake.amend(market.id, { qtyLots: 500 })).toMatchObject({ ok: false, code: 'ORDER_NOT_AMENDABLE' });
    // a cancel pending; a finished order
    const c = place().o;
    expect(intake.cancel(c.id).ok).toBe(true);
    expect(intake.amend(c.id, { priceTicks: 5_990_000 })).toMatchObject({ ok: false, code: 'ORDER_NOT_AMENDABLE' });
    const f = place();
    f.v.fill(f.o.id, 1000);
    expect(intake.amend(f.o.id, { qtyLots: 2000 })).toMatchObject({ ok: false, code: 'ORDER_NOT_AMENDABLE' });
    expect(venues[0]!.amendRequests).toHaveLength(0);
    expect(venues[1]!.amendRequests).toHaveLength(0);
  });

  it('the new quantity is the new total: not above what filled is refused', () => {
    const { path, place } = setup();
    const { o, v } = place();
    v.fill(o.id, 400);
    expect(path.intake.amend(o.id, { qtyLots: 400 })).toMatchObject({ ok: false, code: 'INVALID_QUANTITY', field: 'quantity' });
    expect(path.intake.amend(o.id, { qtyLots: 401 }).ok).toBe(true);
  });

  it('decimals are decoded through the instrument; off the grid is refused, never rounded', () => {
    const { path, place } = setup();
    const { o } = place();
    const intake = path.intake;
    expect(intake.amendDecimal(o.id, { price: '59999.995' })).toMatchObject({ ok: false, code: 'PRICE_NOT_ON_TICK', field: 'price' });
    expect(intake.amendDecimal(o.id, { quantity: '0.000015' })).toMatchObject({ ok: false, code: 'QUANTITY_NOT_ON_LOT', field: 'quantity' });
    expect(intake.amendDecimal(o.id, { price: 'abc' })).toMatchObject({ ok: false, code: 'INVALID_PRICE' });
    expect(intake.amendDecimal(o.id, { quantity: true })).toMatchObject({ ok: false, code: 'INVALID_QUANTITY' });
    const r = intake.amendDecimal(o.id, { price: '59900.5', quantity: 0.005 });
    expect(r.ok).toBe(true);
    expect(path.tracker.get(o.id)).toMatchObject({ state: 'PENDING_UPDATE', amendPriceTicks: 5_990_050, amendQtyLots: 500 });
  });

  it('pre-trade risk re-checks the amended order: above maxOrderQty is refused', () => {
    const { path, place } = setup({ maxOrderQty: { 'BTC-USDT': '0.015' } });
    const { o } = place();
    expect(path.intake.amend(o.id, { qtyLots: 1600 })).toMatchObject({ ok: false, code: 'RISK_MAX_ORDER_QTY' });
    expect(path.intake.amend(o.id, { qtyLots: 1500 }).ok).toBe(true);
  });
});

describe('OrderIntake.amend: a new price past what the core holds exactly', () => {
  // tick x lot is the common notional unit (factor 1): one lot at 2^52 + 1 ticks has a notional that fits
  const PEPE: InstrumentSpec = { symbol: 'PEPE-USDT', base: 'PEPE', quote: 'USDT', tickSize: '0.0000001', lotSize: '1' };
  const MESSAGE = 'price is above the largest price the core holds exactly, 2^52 ticks (450359962.7370496 USDT)';

  it('is refused INVALID_PRICE naming the field and the bound, nothing sent (as ticks and as a decimal)', () => {
    // defect: an amend to any safe-integer price whose notional fitted was sent to the venue
    const { path, place, venues } = setup({}, [PEPE]);
    const { o } = place({ symbol: 'PEPE-USDT', priceTicks: 100, qtyLots: 1 });
    expect(path.intake.amend(o.id, { priceTicks: 2 ** 52 + 1 })).toEqual({ ok: false, code: 'INVALID_PRICE', message: MESSAGE, field: 'price' });
    expect(path.intake.amendDecimal(o.id, { price: '450359962.7370497' })).toEqual({ ok: false, code: 'INVALID_PRICE', message: MESSAGE, field: 'price' });
    expect(path.intake.amendDecimal(o.id, { price: '900719925.4740993' })).toEqual({ ok: false, code: 'INVALID_PRICE', message: MESSAGE, field: 'price' });
    expect(venues[0]!.amendRequests).toHaveLength(0);
    expect(path.tracker.get(o.id)!.state).toBe('ACCEPTED');
    // the bound itself is taken
    expect(path.intake.amendDecimal(o.id, { price: '450359962.7370496' }).ok).toBe(true);
    expect(venues[0]!.amendRequests.map((r) => r.priceTicks)).toEqual([2 ** 52]);
  });
});

describe('OrderIntake.amend: accepted', () => {
  it('asks the venue for the new total with the fills and a replacement id; AMENDED puts the terms and ids in force', async () => {
    const { path, place, risk } = setup();
    const { o, v } = place();
    v.fill(o.id, 300);
    const before = openNotional(risk);
    const r = path.intake.amend(o.id, { priceTicks: 5_990_000, qtyLots: 1500 });
    if (!r.ok) throw new Error(r.code);
    expect(r.order.state).toBe('PENDING_UPDATE');
    const req = v.amendRequests[0]!;
    expect(req).toMatchObject({
      orderId: o.id, clientOrderId: o.clientOrderId, venueOrderId: `V${o.id}`, oldPriceTicks: 6_000_000, oldQtyLots: 1000,
      priceTicks: 5_990_000, qtyLots: 1500, filledLots: 300, newClientOrderId: replacementClientOrderId('tst', o.id, o.clientOrderId),
    });
    // the old terms hold (and stay reserved) until the venue confirms
    expect(path.tracker.get(o.id)).toMatchObject({ priceTicks: 6_000_000, qtyLots: 1000 });
    expect(openNotional(risk)).toBe(before);
    v.report({ kind: 'AMENDED', orderId: o.id, priceTicks: 5_990_000, qtyLots: 1500, venueOrderId: 'V2', clientOrderId: req.newClientOrderId });
    const out: AmendOutcome = await r.outcome;
    expect(out.result).toBe('AMENDED');
    expect(path.tracker.get(o.id)).toMatchObject({ state: 'PARTIALLY_FILLED', priceTicks: 5_990_000, qtyLots: 1500, venueOrderId: 'V2', clientOrderId: req.newClientOrderId });
    expect(path.tracker.getByClientOrderId(req.newClientOrderId)?.id).toBe(o.id);
    // reserved: 1200 lots at 59900 (was 700 at 60000)
    const fresh = new PreTradeRisk(testInstruments(), [{ id: 'alpha', symbols: ['BTC-USDT'] }], {});
    fresh.reserve(0, 0, 0, 5_990_000, 1200);
    expect(openNotional(risk)).toBe(fresh.snapshot().strategies[0]!.openNotional);
    // a second amend gets the next replacement id
    const again = path.intake.amend(o.id, { priceTicks: 5_980_000 });
    expect(again.ok).toBe(true);
    expect(v.amendRequests[1]!.newClientOrderId).toBe(`${req.newClientOrderId.slice(0, -1)}1`);
  });

  it('AMEND_REJECTED: the old terms hold', async () => {
    const { path, place } = setup();
    const { o, v } = place();
    const r = path.intake.amend(o.id, { priceTicks: 5_990_000 });
    if (!r.ok) throw new Error(r.code);
    v.report({ kind: 'AMEND_REJECTED', orderId: o.id, reason: 'VENUE_REJECTED: would cross' });
    expect(await r.outcome).toMatchObject({ result: 'REJECTED', reason: 'VENUE_REJECTED: would cross' });
    expect(path.tracker.get(o.id)).toMatchObject({ state: 'ACCEPTED', priceTicks: 6_000_000, qtyLots: 1000 });
  });

  it('the last fill wins the race: FINISHED, the fill kept', async () => {
    const { path, place } = setup();
    const { o, v } = place();
    const r = path.intake.amend(o.id, { qtyLots: 600 });
    if (!r.ok) throw new Error(r.code);
    v.fill(o.id, 1000);
    expect(await r.outcome).toMatchObject({ result: 'FINISHED' });
    expect(path.tracker.get(o.id)).toMatchObject({ state: 'FILLED', filledLots: 1000, qtyLots: 1000 });
    v.report({ kind: 'AMEND_REJECTED', orderId: o.id, reason: 'filled' }); // the late answer changes nothing
    expect(path.tracker.get(o.id)!.state).toBe('FILLED');
  });

  it('a cancel while the amend is pending waits for the answer, then goes out with the ids in force', async () => {
    const { path, place } = setup();
    const { o, v } = place();
    const r = path.intake.amend(o.id, { priceTicks: 5_990_000 });
    if (!r.ok) throw new Error(r.code);
    const c = path.intake.cancel(o.id);
    expect(c).toMatchObject({ ok: true });
    expect(path.tracker.get(o.id)!.state).toBe('PENDING_CANCEL');
    expect(v.cancels).toHaveLength(0); // never crossed with the amend in flight
    v.report({ kind: 'AMENDED', orderId: o.id, priceTicks: 5_990_000, qtyLots: 1000, venueOrderId: 'V9', clientOrderId: 'tstNEW' });
    expect((await r.outcome).result).toBe('AMENDED');
    expect(v.cancels).toEqual([expect.objectContaining({ orderId: o.id, clientOrderId: 'tstNEW', venueOrderId: 'V9' })]);
    v.report({ kind: 'CANCELED', orderId: o.id });
    expect(path.tracker.get(o.id)!.state).toBe('CANCELED');
  });
});

describe('an amend left pending by a restart is settled by a lookup, never guessed', () => {
  const status = (ins: Instrument, cid: string, priceTicks: number, qtyLots: number, state: VenueOrderStatus['state'] = 'OPEN'): VenueOrderStatus =>
    ({ clientOrderId: cid, venueOrderId: 'VX', instrument: ins, state, filledLots: 0, priceTicks, qtyLots });

  it('the venue shows the asked terms: AMENDED; the old ones: AMEND_REJECT; nothing: still pending', async () => {
    const { path, place, ins } = setup();
    const a = place();
    const b = place();
    const c = place();
    for (const x of [a, b, c]) path.intake.amend(x.o.id, { priceTicks: 5_990_000 });
    a.v.statuses.set(a.o.clientOrderId, status(ins, a.o.clientOrderId, 5_990_000, 1000));
    b.v.statuses.set(b.o.clientOrderId, status(ins, b.o.clientOrderId, 6_000_000, 1000));
    const slot = (id: number) => path.store.slotOf(id);
    expect(await path.intake.resolvePendingAmend(slot(a.o.id))).toBe(true);
    expect(await path.intake.resolvePendingAmend(slot(b.o.id))).toBe(true);
    expect(await path.intake.resolvePendingAmend(slot(c.o.id))).toBe(false);
    expect(path.tracker.get(a.o.id)).toMatchObject({ state: 'ACCEPTED', priceTicks: 5_990_000 });
    expect(path.tracker.get(b.o.id)).toMatchObject({ state: 'ACCEPTED', priceTicks: 6_000_000 });
    expect(path.tracker.get(c.o.id)).toMatchObject({ state: 'PENDING_UPDATE', priceTicks: 6_000_000 });
  });

  it('a cancel-replace venue: the replacement found under its client order id binds the order to it', async () => {
    const { path, place, ins } = setup();
    const { o, v } = place();
    path.intake.amend(o.id, { priceTicks: 5_990_000 });
    const replacement = path.tracker.get(o.id)!.amendClientOrderId;
    v.statuses.set(replacement, status(ins, replacement, 5_990_000, 1000));
    expect(await path.intake.resolvePendingAmend(path.store.slotOf(o.id))).toBe(true);
    expect(path.tracker.get(o.id)).toMatchObject({ state: 'ACCEPTED', priceTicks: 5_990_000, clientOrderId: replacement, venueOrderId: 'VX' });
  });
});

describe('replacementClientOrderId', () => {
  it('is the prefix, the order id and R<n>: letters and digits, never a daemon-made id, counting on', () => {
    const first = replacementClientOrderId('abcd12345x', 123456, 'abcd12345x2n9c');
    expect(first).toBe('abcd12345x2n9cR0');
    expect(replacementClientOrderId('abcd12345x', 123456, first)).toBe('abcd12345x2n9cR1');
    expect(first).toMatch(/^[A-Za-z0-9]{1,32}$/);
    // a client-given id is replaced by one of the daemon's form
    expect(replacementClientOrderId('p', 7, 'MyOwnId')).toBe('p7R0');
  });
});
