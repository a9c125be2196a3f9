import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VenueBatcher, type BatchPolicy } from '../../src/execution/batcher.js';
import { OrderStore, type OrderView } from '../../src/core/order-store.js';
import { OrderTracker } from '../../src/core/order-tracker.js';
import { toVenueOrders, type CancelRequest, type OrderBatch, type VenueAdapter, type VenueOrder } from '../../src/execution/venue.js';
import { Dispatcher } from '../../src/intake/dispatcher.js';
import { OrderIntake } from '../../src/intake/order-intake.js';
import { StrategyQueues } from '../../src/intake/strategy-queues.js';
import { ManualClock } from '../../src/model/clock.js';
import { OrderIdCounter } from '../../src/model/ids.js';
import type { OrderIntent, Priority } from '../../src/model/order.js';
import { PreTradeRisk, type StrategyRiskSpec } from '../../src/risk/pre-trade-risk.js';
import { RiskAccounting } from '../../src/risk/risk-accounting.js';
import { SelfTradePrevention, type SelfTradeMode } from '../../src/risk/self-trade.js';
import { TradingStates } from '../../src/risk/trading-states.js';
import { Router } from '../../src/routing/router.js';
import { fill, intent, testInstruments } from '../helpers/model.js';
import { waitFor } from '../helpers/poll.js';

/** A venue that records what it is given (copied: the batch view is reused) and answers nothing. */
class RecordingVenue implements VenueAdapter {
  readonly batches: VenueOrder[][] = [];
  readonly cancels: CancelRequest[] = [];
  /** false: keep nothing (long runs). */
  record = true;
  /** Answers the batch (synchronously, as an in-process venue may). */
  answer: ((batch: OrderBatch) => void) | undefined;
  constructor(readonly name: string) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  submit(batch: OrderBatch): void {
    if (this.record) this.batches.push(toVenueOrders(batch));
    this.answer?.(batch);
  }
  cancel(request: CancelRequest): void {
    this.cancels.push(request);
  }
  get orders(): VenueOrder[] {
    return this.batches.flat();
  }
}

const BTC = 0;

interface SetupOptions {
  /** Bound of each (strategy, priority) queue. */
  capacity?: number;
  maxPerCycle?: number;
  /** Extra strategies after alpha and beta: [id, weight]. */
  more?: readonly (readonly [string, number])[];
  weights?: readonly number[];
  batch?: BatchPolicy;
  /** Finished orders kept before their slots are reused (1000). */
  retainFinished?: number;
  /** Self-trade prevention mode (trading states and self-trade prevention are always wired, as the order path does). */
  selfTrade?: SelfTradeMode;
}

/**
 * Two venues: v1 and v2. Routing BTC-USDT 3:1, ETH-USDT 1:1, SOL-USDT none (NO_ROUTE).
 * Strategies: alpha (all symbols, no limits), beta (BTC-USDT only, at most 2 open orders), then `more` (BTC-USDT
 * only, no limits). One batch per venue per cycle unless `batch` says otherwise.
 */
function setup(options: SetupOptions = {}) {
  const instruments = testInstruments();
  const clock = new ManualClock();
  const more = options.more ?? [];
  const strategyIds = ['alpha', 'beta', ...more.map(([id]) => id)];
  const store = new OrderStore(instruments, strategyIds, ['v1', 'v2'], 'tst', 1024);
  const tracker = new OrderTracker(store, clock, { retainFinished: options.retainFinished ?? 1000 });
  const specs: StrategyRiskSpec[] = [
    { id: 'alpha', symbols: ['BTC-USDT', 'ETH-USDT', 'SOL-USDT'] },
    { id: 'beta', symbols: ['BTC-USDT'], maxOpenOrders: 2 },
    ...more.map(([id]) => ({ id, symbols: ['BTC-USDT'] })),
  ];
  const risk = new PreTradeRisk(instruments, specs, {});
  risk.setMark(BTC, 6_000_000);
  tracker.listen(new RiskAccounting(risk));
  const venues = [new RecordingVenue('v1'), new RecordingVenue('v2')];
  const router = new Router(['v1', 'v2'], ['BTC-USDT', 'ETH-USDT', 'SOL-USDT'], [{ v1: 3, v2: 1 }, { v1: 1, v2: 1 }, {}]);
  const weights = options.weights ?? [1, 1, ...more.map(([, w]) => w)];
  const queues = new StrategyQueues(strategyIds.length, weights, options.capacity ?? 1024);
  const batch = options.batch ?? { maxSize: 1000, flushMs: 0 };
  const batcher = new VenueBatcher(store, venues, [batch, batch]);
  const dispatcher = new Dispatcher(store, queues, tracker, risk, router, batcher, options.maxPerCycle);
  const intake = new OrderIntake(tracker, new OrderIdCounter(0), queues, dispatcher, router, venues, instruments, strategyIds, batcher);
  intake.open();
  const states = new TradingStates(strategyIds, ['v1', 'v2'], instruments.list.map((i) => i.symbol), () => clock.now());
  const selfTrade = new SelfTradePrevention(store, strategyIds.length, instruments.list.length, 2, options.selfTrade ?? 'deny');
  selfTrade.setCanceller((slot) => intake.cancelSlot(slot));
  tracker.listen(selfTrade);
  dispatcher.setGuards(states, selfTrade);
  /** Order ids in the order the dispatcher decided about them (SUBMITTED or DENIED). */
  const dispatchOrder: number[] = [];
  tracker.listen({
    onTransition: (o, _u, t) => {
      if (t.from === 'CREATED' && (t.event === 'SUBMIT' || t.event === 'DENY')) dispatchOrder.push(o.id);
    },
  });
  const submit = (overrides: Partial<OrderIntent> = {}): OrderView => {
    const r = intake.submit(intent(overrides));
    if (!r.ok) throw new Error(`submit refused: ${r.code} ${r.message}`);
    return r.order;
  };
  return { instruments, store, tracker, risk, venues, router, queues, batcher, dispatcher, intake, submit, dispatchOrder, states, selfTrade };
}

describe('Dispatcher routing', () => {
  it('sends each order to the venue of its routing slot, with the order as the venue sees it', () => {
    const { submit, dispatcher, venues, router } = setup();
    const table = router.table256(BTC);
    const orders = [1, 2, 3, 17, 255, 256, 1000, 12345].map((q) => submit({ qtyLots: q }));
    dispatcher.pump();
    for (const [i, o] of orders.entries()) {
      const expected = router.venueName(table[i]!); // the symbol's orders walk its table in sequence
      expect(o.state).toBe('SUBMITTED');
      expect(o.venue).toBe(expected);
      const sent = venues.find((v) => v.name === expected)!.orders.find((x) => x.orderId === o.id)!;
      expect(sent).toMatchObject({
        orderId: o.id,
        clientOrderId: o.clientOrderId,
        side: 'BUY',
        type: 'LIMIT',
        timeInForce: 'GTC',
        postOnly: false,
        priceTicks: 6_000_000,
        stopTicks: 0,
        qtyLots: o.qtyLots,
      });
      expect(sent.instrument.symbol).toBe('BTC-USDT');
    }
    expect(venues[0]!.orders.length + venues[1]!.orders.length).toBe(orders.length);
  });

  it('256 orders of a symbol split exactly as the weights say (3:1 -> 192/64, 1:1 -> 128/128), fixed sizes too', () => {
    const { submit, dispatcher, venues } = setup();
    for (let q = 1; q <= 256; q++) submit({ qtyLots: 5 });
    for (let q = 1000; q < 1256; q++) submit({ symbol: 'ETH-USDT', qtyLots: q, priceTicks: 60_000 });
    dispatcher.pump();
    const count = (v: RecordingVenue, symbol: string) => v.orders.filter((o) => o.instrument.symbol === symbol).length;
    expect([count(venues[0]!, 'BTC-USDT'), count(venues[1]!, 'BTC-USDT')]).toEqual([192, 64]);
    expect([count(venues[0]!, 'ETH-USDT'), count(venues[1]!, 'ETH-USDT')]).toEqual([128, 128]);
  });

  it('skips an unavailable venue and denies NO_ROUTE when none is left', () => {
    const { submit, dispatcher, venues, tracker } = setup();
    dispatcher.available[0] = 0;
    const a = [1, 2, 3, 4, 5, 6, 7, 8].map((q) => submit({ qtyLots: q }));
    dispatcher.pump();
    expect(a.every((o) => o.venue === 'v2' && o.state === 'SUBMITTED')).toBe(true);
    expect(venues[0]!.batches).toEqual([]);
    dispatcher.available[1] = 0;
    const b = submit({ qtyLots: 9 });
    dispatcher.pump();
    expect(tracker.get(b.id)).toMatchObject({ state: 'DENIED', reason: 'NO_ROUTE' });
  });

  it('denies NO_ROUTE for a symbol no venue has a weight for', () => {
    const { submit, dispatcher, venues, risk } = setup();
    const o = submit({ symbol: 'SOL-USDT', priceTicks: 150_000, qtyLots: 100 });
    dispatcher.pump();
    expect(o).toMatchObject({ state: 'DENIED', reason: 'NO_ROUTE', riskPriceTicks: 0 });
    expect(venues.flatMap((v) => v.batches)).toEqual([]);
    expect(risk.snapshot().openOrders).toBe(0);
  });

  it('a pinned venue bypasses the table; an unavailable pinned venue is VENUE_UNAVAILABLE', () => {
    const { submit, dispatcher, venues } = setup();
    const pinned = [1, 2, 3, 4, 5, 6].map((q) => submit({ qtyLots: q, venue: 'v2' }));
    dispatcher.pump();
    expect(pinned.every((o) => o.state === 'SUBMITTED' && o.venue === 'v2')).toBe(true);
    expect(venues[1]!.orders).toHaveLength(6);
    dispatcher.available[1] = 0;
    const o = submit({ venue: 'v2' });
    dispatcher.pump();
    expect(o).toMatchObject({ state: 'DENIED', reason: 'VENUE_UNAVAILABLE' });
    expect(venues[1]!.orders).toHaveLength(6);
  });

  it('denies with the risk code and sends nothing', () => {
    const { submit, dispatcher, venues, risk } = setup();
    const notAllowed = submit({ strategy: 'beta', symbol: 'ETH-USDT', priceTicks: 60_000 });
    const b1 = submit({ strategy: 'beta' });
    const b2 = submit({ strategy: 'beta' });
    const b3 = submit({ strategy: 'beta' });
    dispatcher.pump();
    expect(notAllowed).toMatchObject({ state: 'DENIED', reason: 'RISK_SYMBOL_NOT_ALLOWED' });
    expect([b1.state, b2.state, b3.state]).toEqual(['SUBMITTED', 'SUBMITTED', 'DENIED']);
    expect(b3.reason).toBe('RISK_MAX_OPEN_ORDERS');
    expect(venues.flatMap((v) => v.orders).map((o) => o.orderId).sort()).toEqual([b1.id, b2.id].sort());
    expect(risk.snapshot().openOrders).toBe(2);
  });

  it('market orders reserve at the mark; without a mark they are denied RISK_NO_REFERENCE_PRICE', () => {
    const { submit, dispatcher } = setup();
    const m = submit({ type: 'MARKET', timeInForce: 'IOC', priceTicks: 0 });
    const noMark = submit({ symbol: 'ETH-USDT', type: 'MARKET', timeInForce: 'IOC', priceTicks: 0 });
    dispatcher.pump();
    expect(m).toMatchObject({ state: 'SUBMITTED', riskPriceTicks: 6_000_000 });
    expect(noMark).toMatchObject({ state: 'DENIED', reason: 'RISK_NO_REFERENCE_PRICE' });
  });

  it('skips orders canceled while queued: no venue sees them and no risk is reserved', () => {
    const { submit, dispatcher, venues, intake, risk } = setup();
    const a = submit({ qtyLots: 1 });
    const b = submit({ qtyLots: 2 });
    const c = submit({ qtyLots: 3 });
    const r = intake.cancel(b.id);
    expect(r.ok).toBe(true);
    expect(b.state).toBe('CANCELED');
    expect(dispatcher.pump()).toBe(2);
    expect(venues.flatMap((v) => v.orders).map((o) => o.orderId).sort()).toEqual([a.id, c.id].sort());
    expect(venues.flatMap((v) => v.cancels)).toEqual([]); // nothing to ask a venue
    expect(risk.snapshot().openOrders).toBe(2);
    expect(b.riskPriceTicks).toBe(0);
  });

  it('hands each venue one batch per cycle (flushMs 0, batch size not reached)', () => {
    const { submit, dispatcher, venues } = setup();
    for (let q = 1; q <= 40; q++) submit({ qtyLots: q });
    dispatcher.pump();
    expect(venues.map((v) => v.batches.length)).toEqual([1, 1]);
    expect(venues[0]!.batches[0]!.length + venues[1]!.batches[0]!.length).toBe(40);
    for (let q = 41; q <= 60; q++) submit({ qtyLots: q });
    dispatcher.pump();
    expect(venues.map((v) => v.batches.length)).toEqual([2, 2]);
    // a cycle with nothing for a venue sends it nothing (no empty batches)
    submit({ qtyLots: 1, venue: 'v1' });
    dispatcher.pump();
    expect(venues.map((v) => v.batches.length)).toEqual([3, 2]);
    expect(venues.flatMap((v) => v.batches).every((b) => b.length > 0)).toBe(true);
  });

  it('splits a cycle\'s orders for a venue into batches of at most maxSize, in dispatch order', () => {
    const { submit, dispatcher, venues } = setup({ batch: { maxSize: 4, flushMs: 0 } });
    const orders = Array.from({ length: 10 }, (_, i) => submit({ qtyLots: i + 1, venue: 'v1' }));
    dispatcher.pump();
    expect(venues[0]!.batches.map((b) => b.length)).toEqual([4, 4, 2]);
    expect(venues[0]!.orders.map((o) => o.orderId)).toEqual(orders.map((o) => o.id));
  });

  it('dispatches at most maxPerCycle orders per cycle and reschedules itself for the rest', async () => {
    const { submit, dispatcher, venues, queues, intake } = setup({ maxPerCycle: 4 });
    const orders = Array.from({ length: 10 }, (_, i) => submit({ qtyLots: i + 1 }));
    expect(dispatcher.pump()).toBe(4);
    expect(queues.size).toBe(6);
    expect(venues.flatMap((v) => v.orders)).toHaveLength(4);
    const settled = await Promise.all(orders.map((o) => intake.dispatched(o)));
    expect(settled.every((o) => o.state === 'SUBMITTED')).toBe(true);
    expect(queues.size).toBe(0);
  });

  it('wakes itself: submitted orders are dispatched without an explicit pump', async () => {
    const { intake, venues } = setup();
    const r = intake.submit(intent());
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.order.state).toBe('CREATED');
    const o = await intake.dispatched(r.order);
    expect(o.state).toBe('SUBMITTED');
    await waitFor(() => venues.flatMap((v) => v.orders).length === 1, { what: 'the batch' });
  });
});

describe('Dispatcher order of service (issue acceptance: priority, weighted fairness, FIFO per strategy)', () => {
  it('HIGH before NORMAL before LOW, whatever the strategy and the submission order', () => {
    const { submit, dispatcher, dispatchOrder, venues } = setup();
    const plan: [string, Priority][] = [
      ['alpha', 'LOW'], ['beta', 'NORMAL'], ['alpha', 'NORMAL'], ['alpha', 'HIGH'], ['beta', 'LOW'], ['beta', 'HIGH'],
      ['alpha', 'LOW'], ['alpha', 'HIGH'], ['beta', 'NORMAL'],
    ];
    const orders = plan.map(([strategy, priority]) => submit({ strategy, priority, qtyLots: 10, venue: 'v1' }));
    dispatcher.pump();
    const priorityOf = new Map(orders.map((o) => [o.id, o.priority]));
    expect(dispatchOrder.map((id) => priorityOf.get(id))).toEqual(['HIGH', 'HIGH', 'HIGH', 'NORMAL', 'NORMAL', 'NORMAL', 'LOW', 'LOW', 'LOW']);
    // the venue gets the submitted ones in that order too
    const submitted = new Set(orders.filter((o) => o.state === 'SUBMITTED').map((o) => o.id));
    expect(venues[0]!.orders.map((o) => o.orderId)).toEqual(dispatchOrder.filter((id) => submitted.has(id)));
    // beta's 3rd order (LOW) is denied by its open-order limit: risk runs in service order
    expect(orders.filter((o) => o.strategy === 'beta').map((o) => [o.priority, o.state])).toEqual([
      ['NORMAL', 'SUBMITTED'], ['LOW', 'DENIED'], ['HIGH', 'SUBMITTED'], ['NORMAL', 'DENIED'],
    ]);
  });

  it('a HIGH order submitted while a backlog of NORMAL orders waits is dispatched in the next cycle, first', () => {
    const { submit, dispatcher, dispatchOrder } = setup({ maxPerCycle: 5 });
    for (let i = 0; i < 20; i++) submit({ qtyLots: 10 + i });
    dispatcher.pump();
    const urgent = submit({ strategy: 'beta', priority: 'HIGH', qtyLots: 1 });
    dispatcher.pump();
    expect(dispatchOrder[5]).toBe(urgent.id);
  });

  it('FIFO per strategy and priority for any interleaving of submissions (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ strategy: fc.constantFrom('alpha', 'gamma', 'delta'), priority: fc.constantFrom<Priority>('HIGH', 'NORMAL', 'LOW') }), { maxLength: 120 }),
        fc.integer({ min: 1, max: 50 }),
        (plan, maxPerCycle) => {
          const { submit, dispatcher, dispatchOrder } = setup({ maxPerCycle, more: [['gamma', 2], ['delta', 3]] });
          const key = new Map<number, string>();
          const submitted = new Map<string, number[]>();
          for (const { strategy, priority } of plan) {
            const o = submit({ strategy, priority, qtyLots: 10 + key.size });
            const k = `${strategy}/${priority}`;
            key.set(o.id, k);
            submitted.set(k, [...(submitted.get(k) ?? []), o.id]);
          }
          while (dispatcher.pump() > 0);
          expect(dispatchOrder).toHaveLength(plan.length);
          for (const [k, ids] of submitted) expect({ k, ids: dispatchOrder.filter((id) => key.get(id) === k) }).toEqual({ k, ids });
          // and across priorities: nothing of a lower priority before a higher one of the same cycle... all queued
          // before the first pump, so globally
          const rank = { HIGH: 0, NORMAL: 1, LOW: 2 } as const;
          const ranks = dispatchOrder.map((id) => rank[key.get(id)!.split('/')[1] as Priority]);
          expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('weighted fairness over a long run: weights 1:2:5, all backlogged, 100,000 orders, shares within 2%', () => {
    // alpha 1, gamma 2, delta 5 (beta, weight 1, stays idle); the venues expire each order as they get it
    const { intake, tracker, dispatcher, store, venues } = setup({ more: [['gamma', 2], ['delta', 5]], capacity: 128, maxPerCycle: 64 });
    const expire = { kind: 'EXPIRE' } as const;
    for (const v of venues) {
      v.record = false;
      v.answer = (batch) => {
        for (let i = 0; i < batch.count; i++) tracker.apply(batch.orderId(i), expire);
      };
    }
    const served = [0, 0, 0, 0];
    tracker.listen({
      onTransition: (o, u) => {
        if (u.kind === 'SUBMIT') served[o.strategyIndex]!++;
      },
    });
    const active = [0, 2, 3];
    const fields = active.map((s) => ({
      strategy: s, symbol: BTC, side: 0, type: 0, tif: 0, postOnly: false, priority: 1,
      priceTicks: 6_000_000, stopTicks: 0, qtyLots: 10, venue: 255, clientOrderId: undefined, producerSeq: 0, tag: 0, route: 0, parent: 0, algo: 0, paramA: 0, paramB: 0, arrivalMid: 0,
    }));
    let total = 0;
    while (total < 100_000) {
      // every active strategy keeps a backlog: its queue is topped up to full before each cycle
      for (const f of fields) {
        while (intake.submitFields(f) >= 0);
        expect(intake.refusal.code).toBe('QUEUE_FULL');
      }
      total += dispatcher.pump();
    }
    expect(served[0]! + served[2]! + served[3]!).toBe(total);
    expect(served[1]).toBe(0);
    const weights = [1, 0, 2, 5];
    for (const s of active) {
      const share = served[s]! / total;
      const target = weights[s]! / 8;
      expect({ strategy: s, withinTwoPercent: Math.abs(share - target) / target < 0.02 }).toEqual({ strategy: s, withinTwoPercent: true });
    }
    // finished orders were forgotten and their slots reused: the store did not grow with the run
    expect(store.capacity).toBeLessThanOrEqual(4096);
  });

  it('an idle strategy is never picked and a lone busy one is not slowed by the others\' weights', () => {
    const { submit, dispatcher, dispatchOrder } = setup({ more: [['gamma', 50]], maxPerCycle: 10 });
    const orders = Array.from({ length: 30 }, (_, i) => submit({ strategy: 'alpha', qtyLots: 100 + i }));
    expect(dispatcher.pump()).toBe(10);
    expect(dispatchOrder).toEqual(orders.slice(0, 10).map((o) => o.id));
  });
});

describe('OrderIntake refusals', () => {
  it('QUEUE_FULL when the strategy\'s queue for that priority is full: refused, never created, nothing queued dropped', () => {
    const { intake, dispatcher, tracker, queues, venues } = setup({ capacity: 3 });
    const ok = [1, 2, 3].map((q) => intake.submit(intent({ qtyLots: q })));
    expect(ok.every((r) => r.ok)).toBe(true);
    const full = intake.submit(intent({ qtyLots: 4, clientOrderId: 'wouldbe4' }));
    expect(full).toMatchObject({ ok: false, code: 'QUEUE_FULL' });
    expect(tracker.list(false)).toHaveLength(3);
    expect(tracker.hasClientOrderId('wouldbe4')).toBe(false);
    expect(queues.size).toBe(3);
    // other priorities and other strategies have their own bound
    expect(intake.submit(intent({ qtyLots: 5, priority: 'HIGH' })).ok).toBe(true);
    expect(intake.submit(intent({ qtyLots: 6, strategy: 'beta' })).ok).toBe(true);
    dispatcher.pump();
    expect(tracker.list(false).every((o) => o.state === 'SUBMITTED')).toBe(true);
    expect(venues.flatMap((v) => v.orders)).toHaveLength(5);
    // room again
    expect(intake.submit(intent({ qtyLots: 4, clientOrderId: 'wouldbe4' })).ok).toBe(true);
  });

  it('TRADING_HALTED while intake is closed; cancels are still allowed', () => {
    const { intake, tracker, dispatcher, venues } = setup();
    const o = intake.submit(intent());
    dispatcher.pump();
    intake.close();
    expect(intake.isAccepting).toBe(false);
    expect(intake.submit(intent())).toMatchObject({ ok: false, code: 'TRADING_HALTED' });
    expect(tracker.list(false)).toHaveLength(1);
    if (!o.ok) throw new Error('first submit refused');
    const c = intake.cancel(o.order.id);
    expect(c.ok).toBe(true);
    expect(o.order.state).toBe('PENDING_CANCEL');
    expect(venues.flatMap((v) => v.cancels).map((x) => x.orderId)).toEqual([o.order.id]);
    intake.open();
    expect(intake.submit(intent()).ok).toBe(true);
  });

  it('a new intake refuses everything until opened', () => {
    const instruments = testInstruments();
    const store = new OrderStore(instruments, ['alpha'], ['v1'], 'p', 16);
    const tracker = new OrderTracker(store, new ManualClock(), { retainFinished: 10 });
    const router = new Router(['v1'], ['BTC-USDT', 'ETH-USDT', 'SOL-USDT'], [{ v1: 1 }, { v1: 1 }, { v1: 1 }]);
    const queues = new StrategyQueues(1, [1], 4);
    const risk = new PreTradeRisk(instruments, [{ id: 'alpha', symbols: ['BTC-USDT'] }], {});
    const venues = [new RecordingVenue('v1')];
    const batcher = new VenueBatcher(store, venues, [{ maxSize: 8, flushMs: 0 }]);
    const d = new Dispatcher(store, queues, tracker, risk, router, batcher);
    const intake = new OrderIntake(tracker, new OrderIdCounter(0), queues, d, router, venues, instruments, ['alpha'], batcher);
    expect(intake.submit(intent())).toMatchObject({ ok: false, code: 'TRADING_HALTED' });
    expect(store.size).toBe(0);
  });

  it('DUPLICATE_CLIENT_ORDER_ID for a client order id in use, open or finished', () => {
    const { intake, dispatcher, tracker } = setup();
    const first = intake.submit(intent({ clientOrderId: 'dup1' }));
    expect(first.ok).toBe(true);
    expect(intake.submit(intent({ clientOrderId: 'dup1' }))).toMatchObject({ ok: false, code: 'DUPLICATE_CLIENT_ORDER_ID' });
    dispatcher.pump();
    if (first.ok) tracker.apply(first.order.id, { kind: 'REJECT', reason: 'x' });
    expect(intake.submit(intent({ clientOrderId: 'dup1' }))).toMatchObject({ ok: false, code: 'DUPLICATE_CLIENT_ORDER_ID' });
    expect(tracker.list(false)).toHaveLength(1);
    // a client id that looks like a generated one is caught too
    const gen = intake.submit(intent());
    if (!gen.ok) throw new Error('refused');
    expect(intake.submit(intent({ clientOrderId: gen.order.clientOrderId }))).toMatchObject({ ok: false, code: 'DUPLICATE_CLIENT_ORDER_ID' });
  });

  it('UNKNOWN_STRATEGY and UNKNOWN_VENUE (not configured, or no weight for the symbol)', () => {
    const { intake, tracker } = setup();
    expect(intake.submit(intent({ strategy: 'gamma' }))).toMatchObject({ ok: false, code: 'UNKNOWN_STRATEGY' });
    expect(intake.submit(intent({ venue: 'v9' }))).toMatchObject({ ok: false, code: 'UNKNOWN_VENUE' });
    expect(intake.submit(intent({ symbol: 'SOL-USDT', venue: 'v1' }))).toMatchObject({ ok: false, code: 'UNKNOWN_VENUE' });
    expect(tracker.list(false)).toEqual([]);
  });

  it('generates distinct valid client order ids from the prefix and the order id', () => {
    const { submit } = setup();
    const ids = Array.from({ length: 50 }, () => submit().clientOrderId);
    expect(new Set(ids).size).toBe(50);
    for (const id of ids) expect(id).toMatch(/^tst[0-9a-z]+$/);
    expect(ids[0]).toBe('tst1');
    expect(ids[35]).toBe('tst10'); // id 36 in base 36
  });

  it('cancel: ORDER_NOT_FOUND, then ORDER_NOT_CANCELABLE for a final order or a pending cancel', () => {
    const { intake, submit, dispatcher, venues } = setup();
    expect(intake.cancel(999)).toMatchObject({ ok: false, code: 'ORDER_NOT_FOUND' });
    const denied = submit({ symbol: 'SOL-USDT', priceTicks: 150_000, qtyLots: 100 });
    const live = submit();
    dispatcher.pump();
    expect(denied.state).toBe('DENIED');
    expect(intake.cancel(denied.id)).toMatchObject({ ok: false, code: 'ORDER_NOT_CANCELABLE' });
    expect(intake.cancel(live.id)).toMatchObject({ ok: true });
    expect(intake.cancel(live.id)).toMatchObject({ ok: false, code: 'ORDER_NOT_CANCELABLE' });
    const sent = venues.flatMap((v) => v.cancels);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ orderId: live.id, clientOrderId: live.clientOrderId });
    expect(venues.find((v) => v.name === live.venue)!.cancels).toHaveLength(1);
  });

  it('cancel of an order still in its venue\'s waiting batch: taken out, CANCELED, the venue never sees it', () => {
    const { intake, submit, dispatcher, venues, batcher, risk } = setup({ batch: { maxSize: 100, flushMs: 60_000 } });
    const a = submit({ venue: 'v1', qtyLots: 1 });
    const b = submit({ venue: 'v1', qtyLots: 2 });
    dispatcher.pump();
    expect([a.state, b.state]).toEqual(['SUBMITTED', 'SUBMITTED']);
    expect(batcher.pending(0)).toBe(2);
    expect(intake.cancel(a.id)).toMatchObject({ ok: true });
    expect(a.state).toBe('CANCELED');
    expect(batcher.pending(0)).toBe(1);
    batcher.flushAll();
    expect(venues[0]!.orders.map((o) => o.orderId)).toEqual([b.id]);
    expect(venues[0]!.cancels).toEqual([]);
    expect(risk.snapshot().openOrders).toBe(1);
  });

  it('dispatched() resolves with the decision: SUBMITTED, DENIED, or CANCELED in the queue', async () => {
    const { intake, submit } = setup();
    const a = submit();
    const b = submit({ symbol: 'SOL-USDT', priceTicks: 150_000, qtyLots: 100 });
    const c = submit();
    intake.cancel(c.id);
    const [ra, rb, rc] = await Promise.all([intake.dispatched(a), intake.dispatched(b), intake.dispatched(c)]);
    expect([ra.state, rb.state, rc.state]).toEqual(['SUBMITTED', 'DENIED', 'CANCELED']);
  });

  it('waitDecision() tells its sink the same decisions once each, with each token; at once for an order decided already', async () => {
    const { intake, submit } = setup();
    const told: string[] = [];
    const sink = { decided: (o: { id: number; state: string }, token: number) => void told.push(`${token} ${o.id} ${o.state}`) };
    const a = submit();
    const b = submit({ symbol: 'SOL-USDT', priceTicks: 150_000, qtyLots: 100 });
    const c = submit();
    const [aId, bId, cId] = [a.id, b.id, c.id];
    intake.cancel(cId);
    intake.waitDecision(a, sink, 7);
    intake.waitDecision(b, sink, 8);
    expect(told).toEqual([]);
    intake.waitDecision(c, sink, 9); // canceled in the queue already: told before this returns
    expect(told).toEqual([`9 ${cId} CANCELED`]);
    await Promise.all([intake.dispatched(a), intake.dispatched(b)]); // (the dispatcher has run)
    expect(told.slice(1).sort()).toEqual([`7 ${aId} SUBMITTED`, `8 ${bId} DENIED`]);
    const d = submit();
    const dId = d.id;
    intake.waitDecision(d, sink, 10);
    await intake.dispatched(d);
    expect(told.slice(3)).toEqual([`10 ${dId} SUBMITTED`]); // told once: a's and b's sinks were not kept
  });
});

describe('Dispatcher: recycled slots', () => {
  /*
   * X is canceled while queued and forgotten (retention 1: the next finished order evicts it); its slot goes to the
   * next new order, Y. X's queue entry is still there, ahead of Z: with bare slot numbers it dispatched Y before Z
   * (out of turn). Queue entries carry the slot's generation, so X's entry is dropped and Y goes in its own turn.
   */
  it('a queue entry of a forgotten order never dispatches the new order in its slot', () => {
    const { submit, intake, dispatcher, store, dispatchOrder, venues } = setup({ retainFinished: 1 });
    const x = submit({ qtyLots: 1 });
    const w = submit({ qtyLots: 2 });
    const z = submit({ qtyLots: 3 });
    const xSlot = x.slot;
    const xId = x.id;
    const zId = z.id;
    expect(intake.cancel(xId).ok).toBe(true);
    expect(intake.cancel(w.id).ok).toBe(true); // evicts X: its slot is free
    expect(store.slotOf(xId)).toBe(-1);
    const y = submit({ qtyLots: 4 });
    expect(y.slot).toBe(xSlot); // the recycled slot
    const yId = y.id;
    dispatcher.pump();
    expect(dispatchOrder).toEqual([zId, yId]);
    // each order reached its venue once
    const sent = venues.flatMap((v) => v.orders.map((o) => o.orderId));
    expect(sent.sort()).toEqual([zId, yId].sort());
    expect(dispatcher.staleEntries).toBe(1);
  });

  it('property: with any cancels and slot reuse, orders are dispatched once each, in FIFO order', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant('submit' as const), fc.nat(20), fc.constant('pump' as const)), { minLength: 1, maxLength: 60 }), (ops) => {
        const { submit, intake, dispatcher, dispatchOrder, venues } = setup({ retainFinished: 1 });
        const queued: number[] = [];
        const expected: number[] = [];
        for (const op of ops) {
          if (op === 'submit') queued.push(submit({ qtyLots: 1 + queued.length }).id);
          else if (op === 'pump') {
            dispatcher.pump();
            expected.push(...queued.splice(0));
          } else if (queued.length > 0) {
            const id = queued.splice(op % queued.length, 1)[0]!;
            expect(intake.cancel(id).ok).toBe(true);
          }
        }
        dispatcher.pump();
        expected.push(...queued.splice(0));
        expect(dispatchOrder).toEqual(expected);
        const sent = venues.flatMap((v) => v.orders.map((o) => o.orderId));
        expect(new Set(sent).size).toBe(sent.length);
        expect(sent.length).toBe(expected.length);
      }),
      { numRuns: 200 },
    );
  });
});

describe('OrderIntake: notionals the core cannot count exactly', () => {
  it('submitFields (the ring path) refuses price x quantity beyond the bound with NOTIONAL_TOO_LARGE; the largest passes', () => {
    const { intake, instruments, store, dispatcher, risk } = setup();
    const max = instruments.maxNotionalUnits[BTC]!; // BTC: factor 1, so 2^53 - 1
    expect(max).toBe(Number.MAX_SAFE_INTEGER);
    const lots = 1_000_000;
    const fields = (priceTicks: number) => ({
      strategy: 0, symbol: BTC, side: 0, type: 0, tif: 0, postOnly: false, priority: 1,
      priceTicks, stopTicks: 0, qtyLots: lots, venue: 255, clientOrderId: undefined, producerSeq: 0, tag: 0, route: 0, parent: 0, algo: 0, paramA: 0, paramB: 0, arrivalMid: 0,
    });
    const maxTicks = Math.floor(max / lots);
    expect(intake.submitFields(fields(maxTicks + 1))).toBe(-1);
    expect(intake.refusal.code).toBe('NOTIONAL_TOO_LARGE');
    const slot = intake.submitFields(fields(maxTicks));
    expect(slot).toBeGreaterThanOrEqual(0);
    dispatcher.pump();
    expect(store.state[slot]).not.toBe(0); // dispatched
    expect(risk.saturated).toBe(0);
  });
});

describe('Dispatcher: trading states', () => {
  it('HALTED denies everything under it; the other scopes go on', () => {
    const { submit, dispatcher, states } = setup();
    states.set({ scope: 'strategy', name: 'alpha', state: 'HALTED' });
    const a = submit({ strategy: 'alpha' });
    const b = submit({ strategy: 'beta' });
    dispatcher.pump();
    expect(a.state).toBe('DENIED');
    expect(a.reason).toBe('TRADING_HALTED');
    expect(b.state).toBe('SUBMITTED');
    states.set({ scope: 'strategy', name: 'alpha', state: 'ACTIVE' });
    states.set({ scope: 'symbol', name: 'BTC-USDT', state: 'HALTED' });
    const c = submit({ strategy: 'alpha' });
    const d = submit({ strategy: 'alpha', symbol: 'ETH-USDT', priceTicks: 60_000, qtyLots: 10 });
    dispatcher.pump();
    expect(c.reason).toBe('TRADING_HALTED');
    expect(d.state).toBe('SUBMITTED');
  });

  it('REDUCING takes only orders that reduce the position (not past flat)', () => {
    const { submit, dispatcher, states, tracker, venues } = setup();
    venues[1]!.answer = undefined;
    // alpha buys 0.01 BTC and it fills: long 1000 lots
    const buy = submit({ strategy: 'alpha', venue: 'v1' });
    dispatcher.pump();
    tracker.apply(buy.id, { kind: 'FILL', fill: fill(buy.id, 1000, 6_000_000) });
    states.set({ scope: 'daemon', state: 'REDUCING' });
    const more = submit({ strategy: 'alpha', side: 'BUY' });
    const tooMuch = submit({ strategy: 'alpha', side: 'SELL', qtyLots: 1001 });
    const half = submit({ strategy: 'alpha', side: 'SELL', qtyLots: 500 });
    const rest = submit({ strategy: 'alpha', side: 'SELL', qtyLots: 501 }); // 500 open + 501 > 1000
    const rest2 = submit({ strategy: 'alpha', side: 'SELL', qtyLots: 500 });
    const flat = submit({ strategy: 'beta', side: 'SELL', qtyLots: 1 }); // beta holds nothing: nothing reduces
    dispatcher.pump();
    expect([more, tooMuch, half, rest, rest2, flat].map((o) => o.reason ?? o.state)).toEqual([
      'TRADING_REDUCING', 'TRADING_REDUCING', 'SUBMITTED', 'TRADING_REDUCING', 'SUBMITTED', 'TRADING_REDUCING',
    ]);
  });

  it('a HALTED venue: an order pinned to it is denied TRADING_HALTED', () => {
    const { submit, dispatcher, states } = setup();
    states.set({ scope: 'venue', name: 'v2', state: 'HALTED' });
    const pinned = submit({ venue: 'v2' });
    const other = submit({ venue: 'v1' });
    dispatcher.pump();
    expect(pinned.reason).toBe('TRADING_HALTED');
    expect(other.state).toBe('SUBMITTED');
  });
});

describe('Dispatcher: self-trade prevention', () => {
  /** alpha rests a sell at 60100 on v1 (accepted). */
  function resting(mode: SelfTradeMode) {
    const r = setup({ selfTrade: mode });
    const sell = r.submit({ strategy: 'alpha', side: 'SELL', priceTicks: 6_010_000, venue: 'v1' });
    r.dispatcher.pump();
    r.tracker.apply(sell.id, { kind: 'ACCEPT', venueOrderId: 'x1' });
    return { ...r, sell };
  }

  it('deny: a buy of the same strategy at the same venue that would cross is denied; elsewhere, below, or another strategy is not', () => {
    const { submit, dispatcher } = resting('deny');
    const cross = submit({ strategy: 'alpha', side: 'BUY', priceTicks: 6_010_000, venue: 'v1' });
    const market = submit({ strategy: 'alpha', side: 'BUY', type: 'MARKET', priceTicks: 0, venue: 'v1' });
    const below = submit({ strategy: 'alpha', side: 'BUY', priceTicks: 6_009_999, venue: 'v1' });
    const otherVenue = submit({ strategy: 'alpha', side: 'BUY', priceTicks: 6_010_000, venue: 'v2' });
    const otherStrategy = submit({ strategy: 'beta', side: 'BUY', priceTicks: 6_010_000, venue: 'v1' });
    dispatcher.pump();
    expect([cross, market, below, otherVenue, otherStrategy].map((o) => o.reason ?? o.state)).toEqual([
      'RISK_SELF_TRADE', 'RISK_SELF_TRADE', 'SUBMITTED', 'SUBMITTED', 'SUBMITTED',
    ]);
  });

  it('the best resting price follows the orders as they close', () => {
    const { submit, dispatcher, tracker, sell } = resting('deny');
    const lower = submit({ strategy: 'alpha', side: 'SELL', priceTicks: 6_005_000, venue: 'v1' });
    dispatcher.pump();
    const a = submit({ strategy: 'alpha', side: 'BUY', priceTicks: 6_006_000, venue: 'v1' });
    dispatcher.pump();
    expect(a.reason).toBe('RISK_SELF_TRADE');
    tracker.apply(lower.id, { kind: 'CANCELED' });
    const b = submit({ strategy: 'alpha', side: 'BUY', priceTicks: 6_006_000, venue: 'v1' });
    dispatcher.pump();
    expect(b.state).toBe('SUBMITTED');
    tracker.apply(sell.id, { kind: 'CANCELED' });
    const c = submit({ strategy: 'alpha', side: 'BUY', priceTicks: 9_000_000, venue: 'v1' });
    dispatcher.pump();
    expect(c.state).toBe('SUBMITTED');
  });

  it('cancel-older: the crossed resting order is asked to cancel and the new one goes out', () => {
    const { submit, dispatcher, sell, venues, selfTrade } = resting('cancel-older');
    const cross = submit({ strategy: 'alpha', side: 'BUY', priceTicks: 6_020_000, venue: 'v1' });
    dispatcher.pump();
    expect(cross.state).toBe('SUBMITTED');
    expect(sell.state).toBe('PENDING_CANCEL');
    expect(venues[0]!.cancels.map((c) => c.orderId)).toEqual([sell.id]);
    expect(selfTrade.canceledOlder).toBe(1);
  });

  it('off: nothing is checked', () => {
    const { submit, dispatcher } = resting('off');
    const cross = submit({ strategy: 'alpha', side: 'BUY', priceTicks: 6_020_000, venue: 'v1' });
    dispatcher.pump();
    expect(cross.state).toBe('SUBMITTED');
  });
});
