import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  LIFECYCLE_EVENTS,
  LIFECYCLE_TABLE,
  amendPending,
  applyUpdate,
  applyUpdateInto,
  eventIndex,
  lookup,
  Transition,
  type LifecycleEvent,
  type Outcome,
  type OrderUpdate,
  type TransitionResult,
} from '../../src/model/lifecycle.js';
import { ORDER_STATES, newOrder, stateIndex, type Fill, type Order, type OrderIntent, type OrderState } from '../../src/model/order.js';

/*
 * The expected lifecycle, written independently of src/model/lifecycle.ts. One row per state, one column per event.
 *   .  INVALID (ERROR INVALID_TRANSITION)      ~  IGNORE      R  RESTORE (a refused cancel)
 *   U  RESUME (an amend answered: back to ACCEPTED / PARTIALLY_FILLED / FILLED by the fills under the terms in force)
 *   otherwise the target state: CR CREATED, DN DENIED, SB SUBMITTED, AC ACCEPTED, PF PARTIALLY_FILLED,
 *   FL FILLED, PC PENDING_CANCEL, CX CANCELED, RJ REJECTED, EX EXPIRED, TG TRIGGERED, PU PENDING_UPDATE
 *
 * Amend columns (AMEND_REQUEST, AMENDED, AMEND_REJECT), why:
 *   - only an acknowledged order with something left may be amended (ACCEPTED, PARTIALLY_FILLED); anything else,
 *     a second amend while one is pending or an amend while a cancel is pending is refused by the intake first;
 *   - an amend's answer after the order finished (filled: the amend lost the race; canceled, expired, rejected) or
 *     after it was already resolved (ACCEPTED/PARTIALLY_FILLED: a duplicate) changes nothing;
 *   - a cancel asked while the amend is pending wins: the amend's answer still sets the terms (and a cancel-replace
 *     venue's new ids, which the cancel needs) but the order stays PENDING_CANCEL;
 *   - states with no amend possible before them (CREATED, DENIED, SUBMITTED, TRIGGERED) cannot get an answer.
 * PENDING_UPDATE row: like ACCEPTED/PARTIALLY_FILLED with a request in flight — a fill racing the amend is applied and
 * the amend stays pending; the last fill finishes it; a cancel request goes PENDING_CANCEL; the venue's unsolicited
 * cancel or expiry ends it; a repeated ack or a late cancel reject is nothing new.
 */
const EXPECTED = `
                    SUBMIT  DENY  ACCEPT  REJECT  PARTIAL_FILL  FILL  CANCEL_REQUEST  CANCELED  CANCEL_REJECT  EXPIRE  TRIGGER  ROUTE  AMEND_REQUEST  AMENDED  AMEND_REJECT
  CREATED           SB      DN    .       .       .             .     CX              CX        .              .       .       .      .              .        .
  DENIED            .       .     .       .       .             .     .               .         .              .       .       .      .              .        .
  SUBMITTED         .       .     AC      RJ      PF            FL    PC              CX        .              EX      TG       SB     .              .        .
  ACCEPTED          .       .     ~       .       PF            FL    PC              CX        ~              EX      TG       .      PU             ~        ~
  PARTIALLY_FILLED  .       .     ~       .       PF            FL    PC              CX        ~              EX      ~       PF     PU             ~        ~
  FILLED            .       .     ~       .       .             .     .               ~         ~              ~       ~       .      .              ~        ~
  PENDING_CANCEL    .       .     ~       RJ      PC            FL    ~               CX        R              EX      ~       .      .              PC       PC
  CANCELED          .       .     ~       .       CX            FL    .               ~         ~              ~       ~       .      .              ~        ~
  REJECTED          .       .     AC      ~       PF            FL    .               ~         ~              ~       .       .      .              ~        ~
  EXPIRED           .       .     ~       .       EX            FL    .               ~         ~              ~       ~       .      .              ~        ~
  TRIGGERED         .       .     ~       RJ      PF            FL    PC              CX        ~              EX      ~       .      .              .        .
  PENDING_UPDATE    .       .     ~       .       PU            FL    PC              CX        ~              EX      ~       .      .              U        U
`;

const ABBREVIATIONS: Record<string, Outcome> = {
  '.': 'INVALID',
  '~': 'IGNORE',
  R: 'RESTORE',
  U: 'RESUME',
  CR: 'CREATED',
  DN: 'DENIED',
  SB: 'SUBMITTED',
  AC: 'ACCEPTED',
  PF: 'PARTIALLY_FILLED',
  FL: 'FILLED',
  PC: 'PENDING_CANCEL',
  CX: 'CANCELED',
  RJ: 'REJECTED',
  EX: 'EXPIRED',
  TG: 'TRIGGERED',
  PU: 'PENDING_UPDATE',
};

function parseGrid(text: string): { events: string[]; rows: Map<string, Outcome[]> } {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  const events = lines[0]!.split(/\s+/);
  const rows = new Map<string, Outcome[]>();
  for (const line of lines.slice(1)) {
    const [state, ...cells] = line.split(/\s+/);
    rows.set(
      state!,
      cells.map((c) => {
        const o = ABBREVIATIONS[c];
        if (o === undefined) throw new Error(`unknown cell ${c} in row ${state}`);
        return o;
      }),
    );
  }
  return { events, rows };
}

const GRID = parseGrid(EXPECTED);

function expectedCell(state: OrderState, event: LifecycleEvent): Outcome {
  return GRID.rows.get(state)![GRID.events.indexOf(event)]!;
}

// ---------------------------------------------------------------------------------------------------------------

const QTY = 10;

function intent(overrides: Partial<OrderIntent> = {}): OrderIntent {
  return {
    strategy: 'mm1',
    symbol: 'BTCUSDT',
    side: 'BUY',
    type: 'LIMIT',
    timeInForce: 'GTC',
    postOnly: false,
    priceTicks: 100,
    stopTicks: 0,
    qtyLots: QTY,
    priority: 'NORMAL',
    clientOrderId: undefined,
    venue: undefined,
    ...overrides,
  };
}

let clock = 1_000;
let tradeSeq = 0;

function makeOrder(overrides: Partial<OrderIntent> = {}): Order {
  return newOrder(1, 'sy1', intent(overrides), clock);
}

function fill(qtyLots: number, priceTicks = 100, tradeId = `t${++tradeSeq}`, venue = 'binance'): OrderUpdate {
  const f: Fill = { orderId: 1, tradeId, venue, priceTicks, qtyLots, fee: '0.01', feeCurrency: 'USDT', liquidity: 'TAKER', ts: clock, venueTs: 0 };
  return { kind: 'FILL', fill: f };
}

function apply(order: Order, update: OrderUpdate): TransitionResult {
  return applyUpdate(order, update, ++clock);
}

function applyAll(order: Order, updates: OrderUpdate[]): Order {
  for (const u of updates) {
    const r = apply(order, u);
    if (r.outcome !== 'APPLIED') throw new Error(`setup step ${u.kind} from ${r.from} was ${r.outcome}`);
  }
  return order;
}

const SUBMIT: OrderUpdate = { kind: 'SUBMIT', venue: 'binance' };
const ACCEPT: OrderUpdate = { kind: 'ACCEPT', venueOrderId: 'V1' };

/** An order brought to `state` by real events (so its fields are what the lifecycle makes them). */
function reach(state: OrderState): Order {
  const o = makeOrder();
  switch (state) {
    case 'CREATED': return o;
    case 'DENIED': return applyAll(o, [{ kind: 'DENY', reason: 'RISK_MAX_NOTIONAL' }]);
    case 'SUBMITTED': return applyAll(o, [SUBMIT]);
    case 'ACCEPTED': return applyAll(o, [SUBMIT, ACCEPT]);
    case 'PARTIALLY_FILLED': return applyAll(o, [SUBMIT, ACCEPT, fill(3)]);
    case 'FILLED': return applyAll(o, [SUBMIT, ACCEPT, fill(QTY)]);
    case 'PENDING_CANCEL': return applyAll(o, [SUBMIT, ACCEPT, { kind: 'CANCEL_REQUEST' }]);
    case 'CANCELED': return applyAll(o, [SUBMIT, ACCEPT, { kind: 'CANCELED', reason: 'user' }]);
    case 'REJECTED': return applyAll(o, [SUBMIT, { kind: 'REJECT', reason: 'insufficient balance' }]);
    case 'EXPIRED': return applyAll(o, [SUBMIT, ACCEPT, { kind: 'EXPIRE' }]);
    case 'TRIGGERED': {
      const stop = makeOrder({ type: 'STOP_LIMIT', stopTicks: 95 });
      return applyAll(stop, [SUBMIT, ACCEPT, { kind: 'TRIGGER' }]);
    }
    // a decrease (10 -> 8 at 101): the order's last fill is still at its old quantity
    case 'PENDING_UPDATE': return applyAll(o, [SUBMIT, ACCEPT, { kind: 'AMEND_REQUEST', priceTicks: 101, qtyLots: 8 }]);
  }
}

/** The update that produces `event` for this order (fills are classified by the quantity they leave). */
function updateFor(event: LifecycleEvent, order: Order): OrderUpdate {
  const remaining = order.qtyLots - order.filledLots;
  switch (event) {
    case 'SUBMIT': return { kind: 'SUBMIT', venue: 'okx' };
    case 'DENY': return { kind: 'DENY', reason: 'RISK_MAX_ORDER_QTY' };
    case 'ACCEPT': return { kind: 'ACCEPT', venueOrderId: 'V-late' };
    case 'REJECT': return { kind: 'REJECT', reason: 'venue says no' };
    case 'PARTIAL_FILL': return fill(1);
    case 'FILL': return fill(Math.max(remaining, 1));
    case 'CANCEL_REQUEST': return { kind: 'CANCEL_REQUEST' };
    case 'CANCELED': return { kind: 'CANCELED', reason: 'canceled at venue' };
    case 'CANCEL_REJECT': return { kind: 'CANCEL_REJECT', reason: 'unknown order' };
    case 'EXPIRE': return { kind: 'EXPIRE', reason: 'IOC remainder' };
    case 'TRIGGER': return { kind: 'TRIGGER' };
    case 'ROUTE': return { kind: 'ROUTE', venue: 'okx' };
    case 'AMEND_REQUEST': return { kind: 'AMEND_REQUEST', priceTicks: 102, qtyLots: QTY + 2 };
    case 'AMENDED': return { kind: 'AMENDED', priceTicks: 101, qtyLots: 8 };
    case 'AMEND_REJECT': return { kind: 'AMEND_REJECT', reason: 'venue refused the amend' };
  }
}

function snapshot(o: Order) {
  return { state: o.state, filledLots: o.filledLots, filledNotional: o.filledNotional, tradeIds: [...o.tradeIds], priceTicks: o.priceTicks, qtyLots: o.qtyLots };
}

describe('LIFECYCLE_TABLE', () => {
  it('the expected grid lists every state and every event, in the model order', () => {
    expect(GRID.events).toEqual([...LIFECYCLE_EVENTS]);
    expect([...GRID.rows.keys()]).toEqual([...ORDER_STATES]);
    for (const row of GRID.rows.values()) expect(row).toHaveLength(LIFECYCLE_EVENTS.length);
    expect(Object.keys(LIFECYCLE_TABLE).sort()).toEqual([...ORDER_STATES].sort());
    for (const s of ORDER_STATES) expect(Object.keys(LIFECYCLE_TABLE[s]).sort()).toEqual([...LIFECYCLE_EVENTS].sort());
  });

  it('stateIndex and eventIndex give each name its index in ORDER_STATES and LIFECYCLE_EVENTS (the flat table and the state codes rely on it)', () => {
    ORDER_STATES.forEach((s, i) => expect(stateIndex(s)).toBe(i));
    LIFECYCLE_EVENTS.forEach((e, i) => expect(eventIndex(e)).toBe(i));
  });

  it("a Transition's fromIndex and toIndex are the codes of its from and to states", () => {
    const order = makeOrder();
    const t = new Transition();
    for (const update of [{ kind: 'SUBMIT', venue: 'v' }, { kind: 'ACCEPT' }, { kind: 'ACCEPT' }, { kind: 'SUBMIT', venue: 'v' }, { kind: 'CANCEL_REQUEST' }, { kind: 'CANCELED' }] as OrderUpdate[]) {
      applyUpdateInto(order, update, t);
      expect([t.fromIndex, t.toIndex]).toEqual([stateIndex(t.from), stateIndex(t.to)]);
    }
  });

  it('matches the expected grid in every cell (12 states x 15 events)', () => {
    const mismatches: string[] = [];
    let cells = 0;
    for (const state of ORDER_STATES) {
      for (const event of LIFECYCLE_EVENTS) {
        cells++;
        const want = expectedCell(state, event);
        if (LIFECYCLE_TABLE[state][event] !== want) mismatches.push(`${state} x ${event}: table ${LIFECYCLE_TABLE[state][event]}, expected ${want}`);
        if (lookup(state, event) !== LIFECYCLE_TABLE[state][event]) mismatches.push(`lookup(${state}, ${event}) differs from the table`);
      }
    }
    expect(cells).toBe(ORDER_STATES.length * LIFECYCLE_EVENTS.length); // 12 states x 15 events
    expect(cells).toBe(180);
    expect(mismatches).toEqual([]);
  });

  describe.each(ORDER_STATES.map((s) => [s]))('applyUpdate from an order in %s', (state) => {
    it.each(LIFECYCLE_EVENTS.map((e) => [e]))('%s', (event) => {
      const order = reach(state);
      expect(order.state).toBe(state);
      const before = snapshot(order);
      const update = updateFor(event, order);
      const r = apply(order, update);
      expect(r.from).toBe(state);
      const want = expectedCell(state, event);

      if (want === 'INVALID') {
        expect(r.outcome).toBe('ERROR');
        if (state === 'FILLED' && (event === 'FILL' || event === 'PARTIAL_FILL')) {
          // Unreachable cell: on a filled order every fill is caught first by the overfill check.
          expect(r).toMatchObject({ outcome: 'ERROR', event: 'FILL', code: 'OVERFILL' });
        } else {
          expect(r).toMatchObject({ outcome: 'ERROR', event, code: 'INVALID_TRANSITION' });
        }
        expect(snapshot(order)).toEqual(before);
      } else if (want === 'IGNORE') {
        expect(r).toMatchObject({ outcome: 'IGNORED', event });
        expect(snapshot(order)).toEqual(before);
      } else if (want === 'RESTORE') {
        // reach('PENDING_CANCEL') cancels an ACCEPTED order with nothing filled
        expect(r).toEqual({ outcome: 'APPLIED', event, from: state, to: 'ACCEPTED' });
        expect(order.state).toBe('ACCEPTED');
      } else if (want === 'RESUME') {
        // reach('PENDING_UPDATE') amends an ACCEPTED order with nothing filled: back to ACCEPTED, under the terms
        // the venue confirmed (AMENDED) or the old ones (AMEND_REJECT)
        expect(r).toEqual({ outcome: 'APPLIED', event, from: state, to: 'ACCEPTED' });
        expect([order.priceTicks, order.qtyLots]).toEqual(event === 'AMENDED' ? [101, 8] : [100, QTY]);
      } else {
        expect(r).toEqual({ outcome: 'APPLIED', event, from: state, to: want });
        expect(order.state).toBe(want);
      }
    });
  });

  it('the FILLED x fill cells are INVALID_TRANSITION when the overfill check does not catch them first', () => {
    for (const event of ['PARTIAL_FILL', 'FILL'] as const) {
      const order = reach('ACCEPTED');
      order.state = 'FILLED'; // artificial: a filled order with quantity left, to reach the table cell itself
      const r = apply(order, updateFor(event, order));
      expect(r).toMatchObject({ outcome: 'ERROR', event, code: 'INVALID_TRANSITION' });
      expect(order.filledLots).toBe(0);
    }
  });
});

describe('applyUpdate behaviours', () => {
  it('cancel/fill race: a fill after CANCELED is applied and the state stays CANCELED', () => {
    const o = reach('PENDING_CANCEL');
    expect(apply(o, { kind: 'CANCELED' })).toMatchObject({ outcome: 'APPLIED', to: 'CANCELED' });
    const r = apply(o, fill(4, 101));
    expect(r).toEqual({ outcome: 'APPLIED', event: 'PARTIAL_FILL', from: 'CANCELED', to: 'CANCELED' });
    expect(o.state).toBe('CANCELED');
    expect(o.filledLots).toBe(4);
    expect(o.filledNotional).toBe(404);
  });

  it('cancel/fill race: a fill after CANCELED that completes the order makes it FILLED', () => {
    const o = applyAll(reach('PARTIALLY_FILLED'), [{ kind: 'CANCELED' }]);
    expect(o.state).toBe('CANCELED');
    const r = apply(o, fill(7));
    expect(r).toEqual({ outcome: 'APPLIED', event: 'FILL', from: 'CANCELED', to: 'FILLED' });
    expect(o.filledLots).toBe(QTY);
  });

  it('cancel/fill race: fills while PENDING_CANCEL are applied, the cancel stays pending; the last fill wins', () => {
    const o = reach('PENDING_CANCEL');
    expect(apply(o, fill(6))).toEqual({ outcome: 'APPLIED', event: 'PARTIAL_FILL', from: 'PENDING_CANCEL', to: 'PENDING_CANCEL' });
    expect(apply(o, fill(4))).toEqual({ outcome: 'APPLIED', event: 'FILL', from: 'PENDING_CANCEL', to: 'FILLED' });
    expect(o.stateBeforeCancel).toBeUndefined();
    // the venue then refuses the cancel (too late) or confirms it for zero quantity: both ignored
    expect(apply(o, { kind: 'CANCEL_REJECT' }).outcome).toBe('IGNORED');
    expect(apply(o, { kind: 'CANCELED' }).outcome).toBe('IGNORED');
    expect(o.state).toBe('FILLED');
  });

  it('a duplicate trade id is ignored (DUPLICATE_FILL) and quantities do not change', () => {
    const o = reach('ACCEPTED');
    expect(apply(o, fill(2, 100, 'T1')).outcome).toBe('APPLIED');
    const before = snapshot(o);
    const r = apply(o, fill(2, 100, 'T1'));
    expect(r).toEqual({ outcome: 'IGNORED', event: 'FILL', from: 'PARTIALLY_FILLED', code: 'DUPLICATE_FILL' });
    expect(snapshot(o)).toEqual(before);
    // even with a different quantity: the trade id decides
    expect(apply(o, fill(8, 100, 'T1'))).toMatchObject({ outcome: 'IGNORED', code: 'DUPLICATE_FILL' });
    expect(o.filledLots).toBe(2);
    // the same trade id from another venue is another trade
    expect(apply(o, fill(3, 100, 'T1', 'okx'))).toMatchObject({ outcome: 'APPLIED' });
    expect(o.filledLots).toBe(5);
  });

  it('trade keys are venue + NUL + trade id with one Transition reused across venues (its key prefix follows the venue)', () => {
    const o = reach('ACCEPTED');
    const t = new Transition();
    const out = (u: OrderUpdate) => { const r = applyUpdateInto(o, u, t); return `${r.outcome} ${r.code ?? ''}`.trim(); };
    expect(out(fill(1, 100, 'T1', 'binance'))).toBe('APPLIED');
    expect(out(fill(1, 100, 'T1', 'okx'))).toBe('APPLIED');
    expect(out(fill(1, 100, 'T1', 'binance'))).toBe('IGNORED DUPLICATE_FILL');
    expect(out(fill(1, 100, 'T1', 'okx'))).toBe('IGNORED DUPLICATE_FILL');
    expect(out(fill(1, 100, 'T2', ''))).toBe('APPLIED');
    expect(out(fill(1, 100, 'T2', ''))).toBe('IGNORED DUPLICATE_FILL');
    expect([...o.tradeIds].sort()).toEqual(['\u0000T2', 'binance\u0000T1', 'okx\u0000T1']);
    expect(o.filledLots).toBe(3);
  });

  it('an overfill is an ERROR OVERFILL and is not applied', () => {
    const o = reach('PARTIALLY_FILLED');
    const before = snapshot(o);
    const r = apply(o, fill(8, 100, 'BIG'));
    expect(r).toEqual({ outcome: 'ERROR', event: 'FILL', from: 'PARTIALLY_FILLED', code: 'OVERFILL' });
    expect(snapshot(o)).toEqual(before);
    // not recorded as seen: the trade id is not burnt
    expect(o.tradeIds.size).toBe(1);
    // exactly the remainder is fine
    expect(apply(o, fill(7))).toMatchObject({ outcome: 'APPLIED', to: 'FILLED' });
    expect(apply(o, fill(1))).toMatchObject({ outcome: 'ERROR', code: 'OVERFILL' });
    expect(o.filledLots).toBe(QTY);
  });

  it('a fill of zero or a negative quantity is an error and not applied', () => {
    const o = reach('ACCEPTED');
    for (const q of [0, -1, NaN]) {
      expect(apply(o, fill(q)).outcome).toBe('ERROR');
    }
    expect(snapshot(o)).toEqual(snapshot(reach('ACCEPTED')));
  });

  describe('CANCEL_REJECT restores the state before the cancel', () => {
    it('ACCEPTED -> PENDING_CANCEL -> ACCEPTED', () => {
      const o = reach('ACCEPTED');
      applyAll(o, [{ kind: 'CANCEL_REQUEST' }]);
      expect(o.stateBeforeCancel).toBe('ACCEPTED');
      expect(apply(o, { kind: 'CANCEL_REJECT' })).toEqual({ outcome: 'APPLIED', event: 'CANCEL_REJECT', from: 'PENDING_CANCEL', to: 'ACCEPTED' });
      expect(o.stateBeforeCancel).toBeUndefined();
    });

    it('PARTIALLY_FILLED -> PENDING_CANCEL -> PARTIALLY_FILLED', () => {
      const o = applyAll(reach('PARTIALLY_FILLED'), [{ kind: 'CANCEL_REQUEST' }]);
      expect(apply(o, { kind: 'CANCEL_REJECT' })).toMatchObject({ outcome: 'APPLIED', to: 'PARTIALLY_FILLED' });
      expect(o.filledLots).toBe(3);
    });

    it('ACCEPTED with a fill while the cancel was pending -> PARTIALLY_FILLED', () => {
      const o = applyAll(reach('ACCEPTED'), [{ kind: 'CANCEL_REQUEST' }, fill(2)]);
      expect(o.state).toBe('PENDING_CANCEL');
      expect(apply(o, { kind: 'CANCEL_REJECT' })).toMatchObject({ outcome: 'APPLIED', to: 'PARTIALLY_FILLED' });
    });

    it('SUBMITTED -> PENDING_CANCEL -> SUBMITTED (no ack yet)', () => {
      const o = applyAll(reach('SUBMITTED'), [{ kind: 'CANCEL_REQUEST' }]);
      expect(o.stateBeforeCancel).toBe('SUBMITTED');
      expect(apply(o, { kind: 'CANCEL_REJECT' })).toMatchObject({ outcome: 'APPLIED', to: 'SUBMITTED' });
    });

    it('SUBMITTED -> PENDING_CANCEL, late ACCEPT, then CANCEL_REJECT -> ACCEPTED', () => {
      const o = applyAll(reach('SUBMITTED'), [{ kind: 'CANCEL_REQUEST' }]);
      expect(apply(o, { kind: 'ACCEPT', venueOrderId: 'V9' })).toMatchObject({ outcome: 'IGNORED' });
      expect(o.state).toBe('PENDING_CANCEL');
      expect(o.venueOrderId).toBe('V9');
      expect(apply(o, { kind: 'CANCEL_REJECT' })).toMatchObject({ outcome: 'APPLIED', to: 'ACCEPTED' });
    });

    it('TRIGGERED -> PENDING_CANCEL -> TRIGGERED', () => {
      const o = applyAll(reach('TRIGGERED'), [{ kind: 'CANCEL_REQUEST' }]);
      expect(apply(o, { kind: 'CANCEL_REJECT' })).toMatchObject({ outcome: 'APPLIED', to: 'TRIGGERED' });
      expect(o.triggered).toBe(true);
    });

    it('a stop released while the cancel is pending is restored to TRIGGERED', () => {
      for (const start of ['SUBMITTED', 'ACCEPTED'] as const) {
        const o = makeOrder({ type: 'STOP', stopTicks: 95, priceTicks: 0 });
        applyAll(o, start === 'SUBMITTED' ? [SUBMIT] : [SUBMIT, ACCEPT]);
        applyAll(o, [{ kind: 'CANCEL_REQUEST' }]);
        expect(apply(o, { kind: 'TRIGGER' }).outcome).toBe('IGNORED');
        expect(o.triggered).toBe(true);
        // a late ack must not undo it
        expect(apply(o, { kind: 'ACCEPT' }).outcome).toBe('IGNORED');
        expect(apply(o, { kind: 'CANCEL_REJECT' })).toMatchObject({ outcome: 'APPLIED', to: 'TRIGGERED' });
      }
    });

    it('a second cancel request while pending is ignored and keeps the state to restore', () => {
      const o = applyAll(reach('PARTIALLY_FILLED'), [{ kind: 'CANCEL_REQUEST' }]);
      expect(apply(o, { kind: 'CANCEL_REQUEST' }).outcome).toBe('IGNORED');
      expect(o.stateBeforeCancel).toBe('PARTIALLY_FILLED');
    });

    it('a cancel request on an order still in our queue cancels it locally', () => {
      const o = makeOrder();
      expect(apply(o, { kind: 'CANCEL_REQUEST' })).toMatchObject({ outcome: 'APPLIED', to: 'CANCELED' });
      expect(o.stateBeforeCancel).toBeUndefined();
    });
  });

  describe('late ACCEPT keeps venueOrderId', () => {
    it('an ack overtaken by the first fill is ignored but records the venue order id', () => {
      const o = applyAll(reach('SUBMITTED'), [fill(2)]);
      expect(o.state).toBe('PARTIALLY_FILLED');
      expect(o.venueOrderId).toBeUndefined();
      expect(apply(o, { kind: 'ACCEPT', venueOrderId: 'V42' })).toMatchObject({ outcome: 'IGNORED', event: 'ACCEPT' });
      expect(o.state).toBe('PARTIALLY_FILLED');
      expect(o.venueOrderId).toBe('V42');
    });

    it('an ack after CANCELED or FILLED records the venue order id and leaves the state', () => {
      for (const path of [[{ kind: 'CANCELED' }], [fill(QTY)]] as OrderUpdate[][]) {
        const o = applyAll(reach('SUBMITTED'), path);
        const state = o.state;
        expect(apply(o, { kind: 'ACCEPT', venueOrderId: 'V7' }).outcome).toBe('IGNORED');
        expect(o.state).toBe(state);
        expect(o.venueOrderId).toBe('V7');
      }
    });

    it('an ack without a venue order id does not erase the one already known', () => {
      const o = reach('ACCEPTED');
      expect(o.venueOrderId).toBe('V1');
      expect(apply(o, { kind: 'ACCEPT' }).outcome).toBe('IGNORED');
      expect(o.venueOrderId).toBe('V1');
    });
  });

  it('filledNotional accumulates price x quantity over fills', () => {
    const o = reach('ACCEPTED');
    applyAll(o, [fill(3, 100), fill(2, 101), fill(5, 99)]);
    expect(o.state).toBe('FILLED');
    expect(o.filledLots).toBe(10);
    expect(o.filledNotional).toBe(300 + 202 + 495);
  });

  it('keeps the reasons and the venue', () => {
    const denied = reach('DENIED');
    expect(denied.reason).toBe('RISK_MAX_NOTIONAL');
    const rejected = reach('REJECTED');
    expect(rejected.reason).toBe('insufficient balance');
    expect(rejected.venue).toBe('binance');
    const canceled = reach('CANCELED');
    expect(canceled.reason).toBe('user');
  });

  it('a rejection the venue contradicts later is corrected: its ack reopens the order, its fills count', () => {
    // REJECTED VENUE_TIMEOUT (no answer, not found within the validity window), then the venue reports the order
    const o = applyAll(makeOrder(), [SUBMIT, { kind: 'REJECT', reason: 'VENUE_TIMEOUT: not found' }]);
    expect(apply(o, { kind: 'ACCEPT', venueOrderId: 'V9' })).toMatchObject({ outcome: 'APPLIED', from: 'REJECTED', to: 'ACCEPTED' });
    expect(o.venueOrderId).toBe('V9');
    expect(o.reason).toContain('VENUE_TIMEOUT');
    expect(apply(o, fill(4))).toMatchObject({ outcome: 'APPLIED', to: 'PARTIALLY_FILLED' });
    expect(o.filledLots).toBe(4);
    // a fill that overtook the ack corrects it as well, and a fill that completes it leaves it FILLED
    const p = applyAll(makeOrder(), [SUBMIT, { kind: 'REJECT', reason: 'VENUE_TIMEOUT: not found' }]);
    expect(apply(p, fill(QTY))).toMatchObject({ outcome: 'APPLIED', from: 'REJECTED', to: 'FILLED' });
    expect(p.filledLots).toBe(QTY);
    // a late cancel or expiry report of a rejected order changes nothing
    const q = applyAll(makeOrder(), [SUBMIT, { kind: 'REJECT', reason: 'VENUE_TIMEOUT: not found' }]);
    expect(apply(q, { kind: 'CANCELED' })).toMatchObject({ outcome: 'IGNORED' });
    expect(q.state).toBe('REJECTED');
  });

  it('updatedAt follows the clock for applied and ignored updates', () => {
    const o = reach('ACCEPTED');
    applyUpdate(o, { kind: 'ACCEPT' }, 5_000_000);
    expect(o.updatedAt).toBe(5_000_000);
    applyUpdate(o, { kind: 'CANCEL_REQUEST' }, 5_000_001);
    expect(o.updatedAt).toBe(5_000_001);
  });
});

describe('amend (PENDING_UPDATE)', () => {
  const amend = (priceTicks: number, qtyLots: number): OrderUpdate => ({ kind: 'AMEND_REQUEST', priceTicks, qtyLots });

  it('the terms change only when the venue confirms; the asked terms wait meanwhile', () => {
    const o = applyAll(reach('ACCEPTED'), [amend(105, 6)]);
    expect(o.state).toBe('PENDING_UPDATE');
    expect([o.priceTicks, o.qtyLots, o.amendPriceTicks, o.amendQtyLots]).toEqual([100, QTY, 105, 6]);
    expect(apply(o, { kind: 'AMENDED', priceTicks: 105, qtyLots: 6 })).toEqual({ outcome: 'APPLIED', event: 'AMENDED', from: 'PENDING_UPDATE', to: 'ACCEPTED' });
    expect([o.priceTicks, o.qtyLots]).toEqual([105, 6]);
    // the replaced terms are kept (risk accounting moves the reservation from them)
    expect([o.amendPriceTicks, o.amendQtyLots]).toEqual([100, QTY]);
  });

  it('a refused amend leaves the old terms; a partially filled order goes back to PARTIALLY_FILLED', () => {
    const o = applyAll(reach('PARTIALLY_FILLED'), [amend(99, 5)]);
    expect(apply(o, { kind: 'AMEND_REJECT', reason: 'VENUE_REJECTED: 51503' })).toMatchObject({ outcome: 'APPLIED', to: 'PARTIALLY_FILLED' });
    expect([o.priceTicks, o.qtyLots, o.filledLots]).toEqual([100, QTY, 3]);
  });

  it('the new quantity is the new total: it must stay above what filled', () => {
    const o = reach('PARTIALLY_FILLED'); // 3 filled
    for (const q of [3, 2, 0, 4.5]) expect(apply(o, amend(100, q))).toMatchObject({ outcome: 'ERROR', code: 'INVALID_QUANTITY' });
    expect(o.state).toBe('PARTIALLY_FILLED');
    expect(apply(o, amend(100, 4))).toMatchObject({ outcome: 'APPLIED', to: 'PENDING_UPDATE' });
  });

  it('a decrease racing fills: fills count up to the old quantity; confirmed for what filled, the order is FILLED', () => {
    const o = applyAll(reach('ACCEPTED'), [amend(100, 6)]);
    expect(apply(o, fill(6))).toMatchObject({ outcome: 'APPLIED', event: 'PARTIAL_FILL', to: 'PENDING_UPDATE' });
    expect(apply(o, { kind: 'AMENDED', priceTicks: 100, qtyLots: 6 })).toMatchObject({ outcome: 'APPLIED', to: 'FILLED' });
    expect(o.qtyLots).toBe(6);
  });

  it('a decrease that lost the race to the whole old quantity: FILLED, the late answer ignored', () => {
    const o = applyAll(reach('ACCEPTED'), [amend(100, 6)]);
    expect(apply(o, fill(QTY))).toMatchObject({ outcome: 'APPLIED', event: 'FILL', to: 'FILLED' });
    expect(apply(o, { kind: 'AMEND_REJECT', reason: 'already filled' }).outcome).toBe('IGNORED');
    expect(apply(o, { kind: 'AMENDED', priceTicks: 100, qtyLots: 6 }).outcome).toBe('IGNORED');
    expect([o.state, o.qtyLots, o.filledLots]).toEqual(['FILLED', QTY, QTY]);
  });

  it('an increase: a fill beyond the old quantity proves the amend (never an overfill); the answer then changes nothing', () => {
    const o = applyAll(reach('ACCEPTED'), [amend(101, 15)]);
    // reaching the old quantity does not finish it: the venue may run the new one
    expect(apply(o, fill(QTY))).toMatchObject({ outcome: 'APPLIED', event: 'PARTIAL_FILL', to: 'PENDING_UPDATE' });
    expect(apply(o, fill(2))).toMatchObject({ outcome: 'APPLIED', to: 'PENDING_UPDATE' });
    expect([o.priceTicks, o.qtyLots, o.filledLots]).toEqual([101, 15, 12]);
    expect(apply(o, fill(4))).toMatchObject({ outcome: 'ERROR', code: 'OVERFILL' });
    expect(apply(o, { kind: 'AMENDED', priceTicks: 101, qtyLots: 15 })).toMatchObject({ outcome: 'APPLIED', to: 'PARTIALLY_FILLED' });
    expect(apply(o, fill(3))).toMatchObject({ outcome: 'APPLIED', to: 'FILLED' });
  });

  it('an increase refused after the old quantity filled: FILLED', () => {
    const o = applyAll(reach('ACCEPTED'), [amend(100, 15), fill(QTY)]);
    expect(apply(o, { kind: 'AMEND_REJECT', reason: 'order filled' })).toMatchObject({ outcome: 'APPLIED', to: 'FILLED' });
  });

  it('a cancel while the amend is pending: PENDING_CANCEL; the amend answer still sets terms and ids', () => {
    const o = applyAll(reach('ACCEPTED'), [amend(102, 7), { kind: 'CANCEL_REQUEST' }]);
    expect([o.state, o.stateBeforeCancel]).toEqual(['PENDING_CANCEL', 'PENDING_UPDATE']);
    expect(amendPending(o)).toBe(true);
    expect(apply(o, { kind: 'AMENDED', priceTicks: 102, qtyLots: 7, clientOrderId: 'sy1b', venueOrderId: 'V2' }))
      .toMatchObject({ outcome: 'APPLIED', from: 'PENDING_CANCEL', to: 'PENDING_CANCEL' });
    expect([o.priceTicks, o.qtyLots, o.clientOrderId, o.venueOrderId, o.stateBeforeCancel]).toEqual([102, 7, 'sy1b', 'V2', 'ACCEPTED']);
    expect(amendPending(o)).toBe(false);
    expect(apply(o, { kind: 'CANCEL_REJECT' })).toMatchObject({ outcome: 'APPLIED', to: 'ACCEPTED' });
  });

  it('a refused cancel while the amend is still pending goes back to PENDING_UPDATE', () => {
    const o = applyAll(reach('PARTIALLY_FILLED'), [amend(102, 7), { kind: 'CANCEL_REQUEST' }]);
    expect(apply(o, { kind: 'CANCEL_REJECT' })).toMatchObject({ outcome: 'APPLIED', to: 'PENDING_UPDATE' });
    expect(apply(o, { kind: 'AMEND_REJECT' })).toMatchObject({ outcome: 'APPLIED', to: 'PARTIALLY_FILLED' });
  });

  it('a refused amend while the cancel is pending: the cancel goes on, a refused cancel then restores the old terms', () => {
    const o = applyAll(reach('ACCEPTED'), [amend(102, 7), { kind: 'CANCEL_REQUEST' }]);
    expect(apply(o, { kind: 'AMEND_REJECT' })).toMatchObject({ outcome: 'APPLIED', to: 'PENDING_CANCEL' });
    expect(o.stateBeforeCancel).toBe('ACCEPTED');
    expect(apply(o, { kind: 'CANCELED' })).toMatchObject({ outcome: 'APPLIED', to: 'CANCELED' });
    expect([o.priceTicks, o.qtyLots]).toEqual([100, QTY]);
  });

  it('one amend at a time; none before the ack, none of a finished order', () => {
    const o = applyAll(reach('ACCEPTED'), [amend(101, 9)]);
    expect(apply(o, amend(102, 9))).toMatchObject({ outcome: 'ERROR', code: 'INVALID_TRANSITION' });
    expect(o.amendPriceTicks).toBe(101);
    for (const state of ['SUBMITTED', 'FILLED', 'CANCELED', 'PENDING_CANCEL'] as const) {
      expect(apply(reach(state), amend(101, QTY + 1))).toMatchObject({ outcome: 'ERROR', code: 'INVALID_TRANSITION' });
    }
  });

  it('an unsolicited cancel while pending ends the order; the late answer is ignored', () => {
    const o = applyAll(reach('ACCEPTED'), [amend(101, 9), { kind: 'CANCELED', reason: 'self-trade prevention' }]);
    expect(apply(o, { kind: 'AMENDED', priceTicks: 101, qtyLots: 9 }).outcome).toBe('IGNORED');
    expect([o.state, o.priceTicks, o.qtyLots]).toEqual(['CANCELED', 100, QTY]);
  });
});

// ---------------------------------------------------------------------------------------------------------------

const updateArb: fc.Arbitrary<OrderUpdate> = fc.oneof(
  fc.constant<OrderUpdate>({ kind: 'SUBMIT', venue: 'binance' }),
  fc.constant<OrderUpdate>({ kind: 'DENY', reason: 'RISK_MAX_NOTIONAL' }),
  fc.option(fc.constantFrom('V1', 'V2'), { nil: undefined }).map<OrderUpdate>((id) => ({ kind: 'ACCEPT', venueOrderId: id })),
  fc.constant<OrderUpdate>({ kind: 'REJECT', reason: 'no' }),
  fc.record({
    tradeId: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'),
    venue: fc.constantFrom('binance', 'okx'),
    qtyLots: fc.integer({ min: -1, max: 12 }),
    priceTicks: fc.integer({ min: 1, max: 1000 }),
  }).map<OrderUpdate>((f) => ({
    kind: 'FILL',
    fill: { orderId: 1, fee: '0', feeCurrency: 'USDT', liquidity: 'MAKER', ts: 0, venueTs: 0, ...f },
  })),
  fc.constant<OrderUpdate>({ kind: 'CANCEL_REQUEST' }),
  fc.constant<OrderUpdate>({ kind: 'CANCELED' }),
  fc.constant<OrderUpdate>({ kind: 'CANCEL_REJECT' }),
  fc.constant<OrderUpdate>({ kind: 'EXPIRE' }),
  fc.constant<OrderUpdate>({ kind: 'TRIGGER' }),
  fc.record({ priceTicks: fc.integer({ min: 98, max: 102 }), qtyLots: fc.integer({ min: 0, max: 14 }) })
    .map<OrderUpdate>((t) => ({ kind: 'AMEND_REQUEST', ...t })),
  fc.record({ priceTicks: fc.integer({ min: 98, max: 102 }), qtyLots: fc.integer({ min: 1, max: 14 }), id: fc.constantFrom(undefined, 'N1') })
    .map<OrderUpdate>((t) => ({ kind: 'AMENDED', priceTicks: t.priceTicks, qtyLots: t.qtyLots, clientOrderId: t.id, venueOrderId: t.id })),
  fc.constant<OrderUpdate>({ kind: 'AMEND_REJECT', reason: 'no' }),
);

describe('lifecycle properties', () => {
  it('random event sequences never throw, never overfill, DENIED/FILLED are final, REJECTED only yields to the venue', () => {
    const FINAL = new Set<OrderState>(['DENIED', 'FILLED']);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.array(updateArb, { maxLength: 40 }), (qtyLots, updates) => {
        const o = makeOrder({ qtyLots });
        let notional = 0;
        let lots = 0;
        let final: OrderState | undefined;
        let t = 0;
        for (const u of updates) {
          const before = snapshot(o);
          const r = applyUpdate(o, u, ++t);
          expect(r.from).toBe(before.state);
          if (r.outcome === 'APPLIED') {
            expect(o.state).toBe(r.to);
            const cell = lookup(r.from, r.event);
            if (cell === 'RESTORE') expect(r.from).toBe('PENDING_CANCEL');
            else if (cell === 'RESUME') expect(['ACCEPTED', 'PARTIALLY_FILLED', 'FILLED']).toContain(r.to);
            // an amend confirmed for what already filled finishes the order
            else if (r.event === 'AMENDED' && r.to === 'FILLED') expect(o.filledLots).toBe(o.qtyLots);
            else expect(cell).toBe(r.to);
            if (u.kind === 'FILL') {
              lots += u.fill.qtyLots;
              notional += u.fill.qtyLots * u.fill.priceTicks;
            }
          } else {
            // an ignored or refused update never moves the state or the quantities
            expect(snapshot(o)).toEqual(before);
          }
          // while an amend is pending, fills count up to the larger of the old and the asked quantity
          expect(o.filledLots).toBeLessThanOrEqual(amendPending(o) ? Math.max(o.qtyLots, o.amendQtyLots) : o.qtyLots);
          expect(o.filledLots).toBeGreaterThanOrEqual(0);
          expect(o.filledLots).toBe(lots);
          expect(o.filledNotional).toBe(notional);
          if (o.state === 'FILLED') expect(o.filledLots).toBe(o.qtyLots);
          if (final !== undefined) expect(o.state).toBe(final);
          else if (FINAL.has(o.state)) final = o.state;
          // a rejection is corrected only by the venue's word that the order exists: its ack or a fill
          if (before.state === 'REJECTED' && o.state !== 'REJECTED') expect(u.kind === 'ACCEPT' || u.kind === 'FILL').toBe(true);
          // the terms in force change only by an amend the venue confirmed, or by a fill beyond the old quantity
          if (u.kind !== 'AMENDED' && u.kind !== 'FILL') expect([o.priceTicks, o.qtyLots]).toEqual([before.priceTicks, before.qtyLots]);
          if (o.state === 'PENDING_CANCEL') expect(o.stateBeforeCancel).toBeDefined();
          else expect(o.stateBeforeCancel).toBeUndefined();
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('fill validation', () => {
  it('a fill that is not a positive whole number of lots or ticks is an ERROR INVALID_FILL and is not applied', () => {
    for (const bad of [0, -1, 0.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      const o = reach('ACCEPTED');
      const r = apply(o, fill(bad));
      expect(r).toMatchObject({ outcome: 'ERROR', event: 'FILL', code: 'INVALID_FILL' });
      expect(o.filledLots).toBe(0);
      expect(o.state).toBe('ACCEPTED');
    }
    const o = reach('ACCEPTED');
    expect(apply(o, fill(1, 1.5))).toMatchObject({ outcome: 'ERROR', code: 'INVALID_FILL' });
  });
});
