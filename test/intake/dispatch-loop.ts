/**
 * A dispatcher with one strategy and one venue, fed by a test producer standing in for the worker rings: records
 * are a count (`put`), each drained one becomes an order (OrderIntake.submitFields, as the ring intake does), and
 * the producer rings the doorbell the loop sleeps on. Counts how often the loop looks at the producer, so a test can
 * tell whether it polls. Shared by dispatch-policy.test.ts and its worker fixture.
 */
import { OrderStore } from '../../src/core/order-store.js';
import { OrderTracker } from '../../src/core/order-tracker.js';
import { VenueBatcher } from '../../src/execution/batcher.js';
import type { CancelRequest, OrderBatch, VenueAdapter } from '../../src/execution/venue.js';
import { Dispatcher, type IntakeSource } from '../../src/intake/dispatcher.js';
import { OrderIntake } from '../../src/intake/order-intake.js';
import { Doorbell } from '../../src/intake/ring/doorbell.js';
import { StrategyQueues } from '../../src/intake/strategy-queues.js';
import { ManualClock } from '../../src/model/clock.js';
import { OrderIdCounter } from '../../src/model/ids.js';
import { InstrumentRegistry } from '../../src/model/instrument.js';
import { PreTradeRisk } from '../../src/risk/pre-trade-risk.js';
import { RiskAccounting } from '../../src/risk/risk-accounting.js';
import { Router } from '../../src/routing/router.js';
import { newOrderFields } from '../helpers/model.js';

class CountingVenue implements VenueAdapter {
  readonly name = 'v1';
  handed = 0;
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  submit(batch: OrderBatch): void {
    this.handed += batch.count;
  }
  cancel(request: CancelRequest): void {
    void request;
  }
}

export interface LoopRig {
  readonly dispatcher: Dispatcher;
  readonly store: OrderStore;
  readonly venue: CountingVenue;
  readonly bell: Doorbell;
  /** The producer publishes n records and rings the doorbell. */
  put(n: number): void;
  /** n orders the way the API submits them (straight into the queues; the intake wakes the loop): no ring record. */
  submitApi(n: number): void;
  /** Times the loop asked the producer whether it has records (it polls while this grows). */
  readonly looks: () => number;
  /** Wires the loop to sleep on the doorbell (the daemon does it with the strategy host's) and starts it. */
  start(): void;
}

export function loopRig(): LoopRig {
  const instruments = new InstrumentRegistry([
    { symbol: 'BTC-USDT', base: 'BTC', quote: 'USDT', tickSize: '0.01', lotSize: '0.00001', minQty: '0.00001', minNotional: '5' },
  ]);
  const clock = new ManualClock();
  const store = new OrderStore(instruments, ['alpha'], ['v1'], 'tst', 4096);
  const tracker = new OrderTracker(store, clock, { retainFinished: 100 });
  const risk = new PreTradeRisk(instruments, [{ id: 'alpha', symbols: ['BTC-USDT'] }], {});
  tracker.listen(new RiskAccounting(risk));
  const venue = new CountingVenue();
  const router = new Router(['v1'], ['BTC-USDT'], [{ v1: 1 }]);
  const queues = new StrategyQueues(1, [1], 1 << 16);
  const batcher = new VenueBatcher(store, [venue], [{ maxSize: 1000, flushMs: 0 }]);
  const dispatcher = new Dispatcher(store, queues, tracker, risk, router, batcher);
  const intake = new OrderIntake(tracker, new OrderIdCounter(0), queues, dispatcher, router, [venue], instruments, ['alpha'], batcher);
  intake.open();
  const bell = Doorbell.create();
  let waiting = 0;
  let looks = 0;
  const fields = newOrderFields(store, { priceTicks: 6_000_000, qtyLots: 100 });
  const source: IntakeSource = {
    pending: () => {
      looks++;
      return waiting > 0;
    },
    drain: (budget) => {
      looks++;
      const n = Math.min(waiting, budget);
      for (let i = 0; i < n; i++) if (intake.submitFields(fields) < 0) throw new Error(`refused: ${intake.refusal.code}`);
      waiting -= n;
      return n;
    },
  };
  dispatcher.addSource(source);
  return {
    dispatcher, store, venue, bell,
    put: (n) => {
      waiting += n;
      bell.ring();
    },
    submitApi: (n) => {
      for (let i = 0; i < n; i++) if (intake.submitFields(fields) < 0) throw new Error(`refused: ${intake.refusal.code}`);
    },
    looks: () => looks,
    start: () => dispatcher.setSleeper(() => bell.wait(() => waiting > 0)),
  };
}
