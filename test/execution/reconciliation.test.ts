/**
 * reconcileVenue's ownership rule: after a restart only orders in the journal are claimed, and an order the venue
 * shows under one of their client order ids is adopted only when it is the order sent (symbol, side, type,
 * quantity, price). Another program's order there is a finding, left alone (never adopted, so never canceled), and
 * ours counts as not found. Open orders the daemon does not know are reported and left alone.
 */
import { describe, expect, it } from 'vitest';
import { OrderView } from '../../src/core/order-store.js';
import { OrderTracker } from '../../src/core/order-tracker.js';
import { type Finding, type PreviousRun, reconcileVenue, statusMismatches } from '../../src/execution/reconciliation.js';
import type { CancelRequest, OrderBatch, VenueAdapter, VenueFill, VenueOrderStatus } from '../../src/execution/venue.js';
import { ManualClock } from '../../src/model/clock.js';
import type { Instrument } from '../../src/model/instrument.js';
import type { OrderIntent } from '../../src/model/order.js';
import { newOrderFields, testStore } from '../helpers/model.js';

/** A venue that answers lookups from a table and records what the daemon asks of it. */
class TableVenue implements VenueAdapter {
  readonly name = 'v1';
  readonly adopted: string[] = [];
  readonly canceled: string[] = [];
  /** Every lookup: [client order id, venue order id asked for]. */
  readonly lookups: Array<[string, string | undefined]> = [];
  constructor(
    private readonly byClientId: Map<string, VenueOrderStatus>,
    private readonly open: VenueOrderStatus[] = [],
    private readonly fills: VenueFill[] = [],
  ) {}
  async start(): Promise<void> {}
  submit(_batch: OrderBatch): void {}
  cancel(request: CancelRequest): void {
    this.canceled.push(request.clientOrderId);
  }
  async stop(): Promise<void> {}
  adopt(order: { readonly clientOrderId: string }): void {
    this.adopted.push(order.clientOrderId);
  }
  async lookup(clientOrderId: string, _instrument: Instrument, venueOrderId?: string): Promise<VenueOrderStatus | null> {
    this.lookups.push([clientOrderId, venueOrderId]);
    return this.byClientId.get(clientOrderId) ?? null;
  }
  async openOrders(): Promise<VenueOrderStatus[]> {
    return this.open;
  }
  async fillsSince(): Promise<VenueFill[]> {
    return this.fills;
  }
}

function setup() {
  const store = testStore({ venues: ['v1'] });
  const clock = new ManualClock(1_700_000_000_000);
  const tracker = new OrderTracker(store, clock, { retainFinished: 100 });
  const btc = store.instruments.get('BTC-USDT')!;
  /** An order sent to v1 (a GTC limit buy of 1000 lots at 6,000,000 ticks unless told), accepted unless `submitted`. */
  const sent = (id: number, cid: string, overrides: Partial<OrderIntent> = {}, submitted = false): OrderView => {
    const slot = tracker.create(id, newOrderFields(store, { ...overrides, clientOrderId: cid }));
    tracker.applySlot(slot, { kind: 'SUBMIT', venue: 'v1' });
    if (!submitted) tracker.applySlot(slot, { kind: 'ACCEPT', venueOrderId: `V${id}` });
    return new OrderView(store).at(slot);
  };
  return { store, tracker, btc, sent };
}

/** What the venue says about an order: by default exactly the order `sent` makes. */
function status(inst: Instrument, cid: string, venueOrderId: string, overrides: Partial<VenueOrderStatus> = {}): VenueOrderStatus {
  return {
    clientOrderId: cid, venueOrderId, instrument: inst, state: 'OPEN', filledLots: 0,
    side: 'BUY', type: 'LIMIT', priceTicks: 6_000_000, qtyLots: 1000, symbolMatches: true,
    ...overrides,
  };
}

/** A venue trade of `lots` lots under client order id `cid`, of venue order `venueOrderId`. */
function venueFill(inst: Instrument, cid: string, venueOrderId: string, tradeId: string, lots: number): VenueFill {
  return {
    clientOrderId: cid, venueOrderId, tradeId, instrument: inst, priceTicks: 6_000_000, qtyLots: lots,
    fee: '0', feeCurrency: 'USDT', liquidity: 'MAKER', ts: 1_699_999_999_000,
  };
}

/** Reconciles v1; the run that ended is the one that sent every order, as of the clock's time, unless `previous` says otherwise. */
async function run(s: ReturnType<typeof setup>, venue: TableVenue, previous: Partial<PreviousRun> = {}) {
  const resubmitted: number[] = [];
  const findings: Finding[] = [];
  const r = await reconcileVenue(0, venue, s.tracker, s.store, s.store.instruments, [s.btc], {
    resubmit: (slot) => resubmitted.push(slot),
    recancel: () => undefined,
    finding: (f) => findings.push(f),
  }, { validityMs: 0, sentBefore: 1_700_000_000_000, sent: () => true, now: () => 1_700_000_000_000, ...previous });
  return { r, resubmitted, findings };
}

describe('reconcileVenue: an order found under our client order id is ours only if it is what we sent', () => {
  it('the order we sent is adopted', async () => {
    const s = setup();
    const a = s.sent(1, 'syA1');
    const venue = new TableVenue(new Map([['syA1', status(s.btc, 'syA1', 'V1', { state: 'PARTIALLY_FILLED', filledLots: 0 })]]));
    const { r, findings } = await run(s, venue);
    expect(r.ok).toBe(true);
    expect(venue.adopted).toEqual(['syA1']);
    expect(findings).toEqual([]);
    expect(a.state).toBe('ACCEPTED');
  });

  it.each([
    ['side differs', { side: 'SELL' as const }],
    ['type differs', { type: 'MARKET' }],
    ['price differs', { priceTicks: 6_000_100 }],
    ['quantity differs', { qtyLots: 1001 }],
    ['symbol differs', { symbolMatches: false }],
    ['side not stated', { side: undefined }],
    ['quantity not stated', { qtyLots: undefined }],
  ])("another program's order under our id (%s): not adopted, left alone; ours is not found", async (_what, overrides) => {
    const s = setup();
    const a = s.sent(1, 'syA1');
    const venue = new TableVenue(new Map([['syA1', status(s.btc, 'syA1', 'X9', overrides)]]));
    const { r, findings } = await run(s, venue);
    expect(r.ok).toBe(true);
    expect(venue.adopted).toEqual([]);
    expect(venue.canceled).toEqual([]);
    expect(findings[0]).toMatchObject({ clientOrderId: 'syA1', action: 'left alone; not adopted (DUPLICATE_CLIENT_ORDER_ID)' });
    expect(findings[0]!.found).toContain('X9');
    // ours is treated as not found at the venue (today's rule for an accepted order the venue does not know)
    expect(a.state).toBe('CANCELED');
  });

  it("a submission whose id another program's order holds is not adopted: sent again (the adapter then sees the duplicate)", async () => {
    const s = setup();
    const a = s.sent(1, 'syA1', {}, true);
    const venue = new TableVenue(new Map([['syA1', status(s.btc, 'syA1', 'X9', { side: 'SELL' })]]));
    const { findings, resubmitted } = await run(s, venue);
    expect(venue.adopted).toEqual([]);
    expect(resubmitted).toEqual([a.slot]);
    expect(findings.map((f) => f.action)).toEqual(['left alone; not adopted (DUPLICATE_CLIENT_ORDER_ID)', 'sent now']);
  });

  it('orders open at the venue that the journal does not hold are reported and left alone, whatever their prefix', async () => {
    const s = setup();
    s.sent(1, 'syA1');
    const venue = new TableVenue(new Map([['syA1', status(s.btc, 'syA1', 'V1')]]), [
      status(s.btc, 'syA1', 'V1'),
      status(s.btc, `${s.store.clientIdPrefix}zz`, 'V7'), // our daemon's prefix, not in the journal
      status(s.btc, 'otherProgram1', 'V8'),
    ]);
    const { findings } = await run(s, venue);
    expect(venue.adopted).toEqual(['syA1']);
    expect(venue.canceled).toEqual([]);
    expect(findings.map((f) => [f.clientOrderId, f.action])).toEqual([
      [`${s.store.clientIdPrefix}zz`, 'left alone'],
      ['otherProgram1', 'left alone'],
    ]);
  });

  it('statusMismatches: the quantity sent is the unfilled rest at the time, so anything from the rest now to the whole order matches', () => {
    const s = setup();
    const a = s.sent(1, 'syA1');
    s.tracker.applySlot(a.slot, { kind: 'FILL', fill: { orderId: 1, tradeId: 'internal1', venue: 'internal', priceTicks: 6_000_000, qtyLots: 300, fee: '0', feeCurrency: 'USDT', liquidity: 'MAKER', ts: 0, venueTs: 0 } });
    expect(statusMismatches(a, status(s.btc, 'syA1', 'V1', { qtyLots: 700 }))).toEqual([]);
    expect(statusMismatches(a, status(s.btc, 'syA1', 'V1', { qtyLots: 1000 }))).toEqual([]);
    expect(statusMismatches(a, status(s.btc, 'syA1', 'V1', { qtyLots: 699 }))).toHaveLength(1);
    expect(statusMismatches(a, status(s.btc, 'syA1', 'V1', { qtyLots: 1001 }))).toHaveLength(1);
    // a market order has no price to compare
    const m = s.sent(2, 'syA2', { type: 'MARKET', priceTicks: 0 });
    expect(statusMismatches(m, status(s.btc, 'syA2', 'V2', { type: 'MARKET', priceTicks: undefined }))).toEqual([]);
  });
});

describe('reconcileVenue: a fill is applied only to the venue order the lookup bound ours to', () => {
  it("fills under our client order id from another venue order (another program's, at another time) are a finding, left alone; ours are applied", async () => {
    const s = setup();
    const a = s.sent(1, 'syA1'); // ACCEPTED as V1
    const venue = new TableVenue(new Map([['syA1', status(s.btc, 'syA1', 'V1', { state: 'PARTIALLY_FILLED', filledLots: 300 })]]), [], [
      venueFill(s.btc, 'syA1', 'V1', 't1', 200),
      venueFill(s.btc, 'syA1', 'X9', 't2', 500), // another program's order under the same client order id
      venueFill(s.btc, 'syA1', 'X9', 't3', 250),
      venueFill(s.btc, '', 'V1', 't4', 100), // ours, its client order id not stated: the venue order id binds it
    ]);
    const { r, findings } = await run(s, venue);
    expect(r.ok).toBe(true);
    expect(venue.adopted).toEqual(['syA1']);
    expect(a.filledLots).toBe(300);
    expect(a.state).toBe('PARTIALLY_FILLED');
    const foreign = findings.filter((f) => f.action === 'left alone; not applied');
    expect(foreign).toHaveLength(1);
    expect(foreign[0]).toMatchObject({ orderId: a.id, clientOrderId: 'syA1' });
    expect(foreign[0]!.found).toContain('X9');
    expect(foreign[0]!.found).toContain('t2, t3');
    expect(findings.filter((f) => f.action === 'applied').map((f) => f.found)).toEqual(['fill t1 missed while down', 'fill t4 missed while down']);
  });

  it('a submission found by client order id: the fills of the venue order found are applied, none of another', async () => {
    const s = setup();
    const a = s.sent(1, 'syA1', {}, true); // SUBMITTED: no venue order id known before the lookup
    const venue = new TableVenue(new Map([['syA1', status(s.btc, 'syA1', 'V7', { state: 'FILLED', filledLots: 1000 })]]), [], [
      venueFill(s.btc, 'syA1', 'X9', 't1', 400),
      venueFill(s.btc, 'syA1', 'V7', 't2', 1000),
    ]);
    const { findings } = await run(s, venue);
    expect(venue.lookups).toEqual([['syA1', undefined]]);
    expect(a.venueOrderId).toBe('V7');
    expect(a.filledLots).toBe(1000);
    expect(a.state).toBe('FILLED');
    expect(findings.filter((f) => f.action === 'left alone; not applied').map((f) => f.found.includes('X9'))).toEqual([true]);
  });

  it('an order the journal binds to a venue order id is looked up by it; another venue order under our client order id is not ours, however alike', async () => {
    const s = setup();
    const a = s.sent(1, 'syA1'); // ACCEPTED as V1
    // an adapter that could only look up by client order id finds another program's identical order there
    const venue = new TableVenue(new Map([['syA1', status(s.btc, 'syA1', 'X9')]]), [], [venueFill(s.btc, 'syA1', 'X9', 't1', 400)]);
    const { findings } = await run(s, venue);
    expect(venue.lookups).toEqual([['syA1', 'V1']]);
    expect(venue.adopted).toEqual([]);
    expect(a.filledLots).toBe(0);
    expect(findings[0]).toMatchObject({ clientOrderId: 'syA1', action: 'left alone; not adopted (DUPLICATE_CLIENT_ORDER_ID)' });
    expect(findings[0]!.found).toContain('venue order id X9 (ours is V1)');
  });
});

describe('reconcileVenue: a submission not found is sent again only once no request of the run that ended can still execute', () => {
  /** A venue where the order's request arrives late: it is not there at the first lookup, there at the next. */
  class LateArrival extends TableVenue {
    constructor(private readonly late: VenueOrderStatus) {
      super(new Map());
    }
    override async lookup(clientOrderId: string, instrument: Instrument, venueOrderId?: string): Promise<VenueOrderStatus | null> {
      await super.lookup(clientOrderId, instrument, venueOrderId);
      return this.lookups.length >= 2 ? this.late : null;
    }
  }

  it("the window counts from this run's start, not from the SUBMIT: a request can leave long after (rate limit, retry)", async () => {
    const s = setup();
    // SUBMITTED at the clock's time; the daemon restarts a minute later. Its request may have waited that minute in
    // the venue's rate limiter and left just before the crash: the window from the SUBMIT is long over, not the request's.
    const a = s.sent(1, 'syA1', {}, true);
    const restart = 1_700_000_060_000;
    const started = Date.now();
    const venue = new LateArrival(status(s.btc, 'syA1', 'V1'));
    const { r, resubmitted } = await run(s, venue, { validityMs: 200, sentBefore: restart, now: () => restart + (Date.now() - started) });
    expect(r.ok).toBe(true);
    expect(resubmitted).toEqual([]);
    expect(venue.lookups).toHaveLength(2);
    expect(venue.adopted).toEqual(['syA1']);
    expect(a.state).toBe('ACCEPTED');
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('not found after the window: sent again, after a second lookup', async () => {
    const s = setup();
    const a = s.sent(1, 'syA1', {}, true);
    const venue = new TableVenue(new Map());
    const restart = 1_700_000_060_000;
    const started = Date.now();
    const { resubmitted } = await run(s, venue, { validityMs: 50, sentBefore: restart, now: () => restart + (Date.now() - started) });
    expect(venue.lookups).toHaveLength(2);
    expect(resubmitted).toEqual([a.slot]);
  });

  it("an order this run sent (not one the replay left past CREATED) is its adapter's: neither looked up nor sent again", async () => {
    const s = setup();
    const old = s.sent(1, 'syA1', {}, true);
    const mine = s.sent(2, 'syA2', {}, true);
    const venue = new TableVenue(new Map());
    const { r, resubmitted } = await run(s, venue, { sent: (slot) => slot === old.slot });
    expect(r.checked).toBe(1);
    expect(venue.lookups.map(([cid]) => cid)).toEqual(['syA1']);
    expect(resubmitted).toEqual([old.slot]);
    expect(mine.state).toBe('SUBMITTED');
  });
});
