/**
 * Enhancers that misbehave in ways the stage must contain (src/intake/order-enhancer.ts).
 *  - an `async` enhance / onSignal (returns a promise): its rejection must not become an unhandled rejection (Node 20
 *    ends the daemon on one), and a decision that is not synchronous is discarded (counted and journaled as error);
 *  - an enhancer that writes through the order view to the intake's own fields: quantity raised, side flipped, client
 *    order id changed, with no validation, no journal record, counted as `unchanged`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { buildOrderPath } from '../../src/compose/order-path.js';
import { ALGO_NONE, BUY, NO_VENUE, ROUTE_DEFAULT, TIF_CODE, TYPE_CODE, type NewOrderFields } from '../../src/core/order-store.js';
import { toVenueOrders, type OrderBatch, type ReportSink, type VenueAdapter, type VenueOrder } from '../../src/execution/venue.js';
import { OrderEnhancers, type EnhancerSettings } from '../../src/intake/order-enhancer.js';
import { ManualClock } from '../../src/model/clock.js';
import type { OrderIntent } from '../../src/model/order.js';
import { PreTradeRisk } from '../../src/risk/pre-trade-risk.js';
import { Router } from '../../src/routing/router.js';
import type { EnhancerChange, EnhancerOrder, OrderEnhancer } from '../../src/intake/enhancer-sdk.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { intent, testInstruments } from '../helpers/model.js';

class CollectingVenue implements VenueAdapter {
  readonly orders: VenueOrder[] = [];
  constructor(readonly name: string, readonly sink: ReportSink) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  submit(batch: OrderBatch): void {
    this.orders.push(...toVenueOrders(batch));
  }
  cancel(): void {}
}

const quiet = createLogger('warn', 'test', { write: () => {} });
const SETTINGS: EnhancerSettings = { budgetUs: 200_000, suspendMs: 60_000, symbols: ['BTC-USDT', 'ETH-USDT'], signals: true };

function setup() {
  const instruments = testInstruments();
  const clock = new ManualClock();
  const router = new Router(['a'], instruments.list.map((i) => i.symbol), instruments.list.map(() => ({ a: 1 })));
  const risk = new PreTradeRisk(instruments, [{ id: 'alpha', symbols: ['BTC-USDT', 'ETH-USDT'] }, { id: 'beta', symbols: ['BTC-USDT'] }], {});
  risk.setMark(0, 6_000_000);
  let venue: CollectingVenue | undefined;
  const path = buildOrderPath({
    instruments, risk, router, clock, log: quiet,
    strategies: [{ id: 'alpha', weight: 1 }, { id: 'beta', weight: 1 }],
    venues: ['a'],
    venue: (_i, sink) => (venue = new CollectingVenue('a', sink)),
    batch: [{ maxSize: 1024, flushMs: 0 }],
    queueCapacity: 4096,
    retainFinished: 4096,
    clientIdPrefix: 'tst',
    journal: false,
  });
  const enhancers = new OrderEnhancers(['alpha', 'beta'], instruments, clock, quiet, new Registry());
  // a journal sink that keeps the bodies (the recorder's event() contract)
  const journaled: Record<string, unknown>[] = [];
  enhancers.setJournal({ event: (body) => { journaled.push(JSON.parse(JSON.stringify(body)) as Record<string, unknown>); return journaled.length; } });
  path.intake.setEnhancers(enhancers);
  path.intake.open();
  const submit = (overrides: Partial<OrderIntent> = {}) => {
    const r = path.intake.submit(intent({ venue: 'a', ...overrides }));
    if (!r.ok) throw new Error(`${r.code} ${r.message}`);
    return r.order.id;
  };
  const order = (id: number) => path.tracker.get(id)!;
  return { path, enhancers, journaled, submit, order, venue: () => venue! };
}

/** Collects unhandled rejections while a test runs. */
function watchRejections(): { seen: unknown[]; done: () => void } {
  const seen: unknown[] = [];
  const h = (reason: unknown): void => {
    seen.push(reason);
  };
  process.on('unhandledRejection', h);
  return { seen, done: () => process.off('unhandledRejection', h) };
}

const turns = (n: number) => new Promise<void>((resolve) => {
  let k = 0;
  const step = () => (++k >= n ? resolve() : setImmediate(step));
  setImmediate(step);
});

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe('an enhancer that returns a promise', () => {
  it('an async enhance that throws: no unhandled rejection (it would end the daemon), counted and journaled as an error, the original goes on', async () => {
    const w = watchRejections();
    cleanups.push(w.done);
    const s = setup();
    const enhancer: OrderEnhancer = {
      // a strategy author's natural mistake: `async` (e.g. to await a model), and the model is not ready
      enhance: (async (_o: EnhancerOrder, c: EnhancerChange) => {
        c.qtyLots = 500; // set before the first await: runs synchronously
        await Promise.resolve();
        throw new Error('model not ready');
      }) as unknown as OrderEnhancer['enhance'],
    };
    s.enhancers.add(0, enhancer, SETTINGS);
    const id = s.submit();
    await turns(5);
    expect(w.seen.map(String), 'unhandled rejections (Node 20 exits on them)').toEqual([]);
    // the decision did not finish synchronously: it must not be applied
    expect(s.order(id).qtyLots).toBe(1000);
    expect(s.enhancers.count('alpha', 'error')).toBe(1);
    expect(s.enhancers.count('alpha', 'changed')).toBe(0);
    expect(s.journaled.map((e) => e.outcome)).toEqual(['error']);
  });

  it('an async onSignal that throws: no unhandled rejection, counted in signalErrors', async () => {
    const w = watchRejections();
    cleanups.push(w.done);
    const s = setup();
    s.enhancers.add(0, {
      enhance() {},
      onSignal: (async () => {
        await Promise.resolve();
        throw new Error('bad signal');
      }) as unknown as OrderEnhancer['onSignal'],
    }, SETTINGS);
    expect(s.enhancers.feedSignal('BTC-USDT', { confidence: 'x' })).toBe(1);
    await turns(5);
    expect(w.seen.map(String), 'unhandled rejections (Node 20 exits on them)').toEqual([]);
    expect(s.enhancers.signalErrors(0)).toBe(1);
  });
});

describe('an enhancer that writes through the order view', () => {
  it('cannot reach the intake\'s fields: quantity, side and client order id stay the strategy\'s unless validated', () => {
    const s = setup();
    s.enhancers.add(0, {
      enhance(o) {
        // the view is sealed but its own properties are plain: the intake's NewOrderFields under `f`
        const f = (o as unknown as { f?: { qtyLots: number; side: number; clientOrderId: string | undefined } }).f;
        if (f !== undefined) {
          f.qtyLots = f.qtyLots * 10; // quantity raised
          f.side = 1 - f.side; // BUY <-> SELL
          f.clientOrderId = 'hijacked';
        }
      },
    }, SETTINGS);
    const id = s.submit({ clientOrderId: 'mine1' });
    const o = s.order(id);
    expect({ qty: o.qtyLots, side: o.side, coid: o.clientOrderId }).toEqual({ qty: 1000, side: 'BUY', coid: 'mine1' });
    s.path.dispatcher.pump();
    expect(s.venue().orders.map((v) => ({ qty: v.qtyLots, side: v.side }))).toEqual([{ qty: 1000, side: 'BUY' }]);
  });
});

describe('the example enhancer (config/enhancers/prediction.ts) and a signal stamped in the future', () => {
  it('a signal whose ts is ahead of the daemon\'s clock (a producer in µs, or a skewed clock) does not stay fresh forever', async () => {
    const { default: create } = await import('../../config/enhancers/prediction.js');
    const instruments = testInstruments();
    const clock = new ManualClock();
    const enh = create({ strategy: 'alpha', symbols: ['BTC-USDT'], params: { maxAgeMs: 5000 }, instruments, clock, log: { debug() {}, info() {}, warn() {}, error() {} } });
    const enhancers = new OrderEnhancers(['alpha'], instruments, clock, quiet);
    enhancers.add(0, enh, SETTINGS);
    const f = (): NewOrderFields => ({
      strategy: 0, symbol: 0, side: BUY, type: TYPE_CODE.LIMIT, tif: TIF_CODE.GTC, postOnly: false, priority: 1, priceTicks: 6_000_000, stopTicks: 0,
      qtyLots: 1000, venue: NO_VENUE, clientOrderId: undefined, producerSeq: 0, tag: 0, route: ROUTE_DEFAULT, parent: 0, algo: ALGO_NONE,
      paramA: 0, paramB: 0, arrivalMid: 0,
    });
    const marketable = () => {
      const o = f();
      enhancers.enhance(o);
      return o.type === TYPE_CODE.MARKET;
    };
    // control: a confident "up" stamped now makes a BUY marketable, and is ignored once older than maxAgeMs
    enhancers.feedSignal('BTC-USDT', { confidence: '0.95', direction: 'up', ts: String(clock.now()) });
    expect(marketable()).toBe(true);
    clock.advance(6000);
    expect(marketable()).toBe(false);
    // the same signal stamped in microseconds (a common producer mistake): an hour later it still drives orders
    enhancers.feedSignal('BTC-USDT', { confidence: '0.95', direction: 'up', ts: String(clock.now() * 1000) });
    clock.advance(3_600_000);
    expect(marketable(), 'a signal read an hour ago, with maxAgeMs 5000, still makes orders marketable').toBe(false);
    // and one from a clock a minute ahead lives maxAgeMs + 1 minute
    enhancers.feedSignal('BTC-USDT', { confidence: '0.95', direction: 'up', ts: String(clock.now() + 60_000) });
    clock.advance(30_000);
    expect(marketable(), 'a signal read 30 s ago, with maxAgeMs 5000').toBe(false);
  });
});
