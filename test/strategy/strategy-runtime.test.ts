/**
 * The SDK context and the event overflow rules, driven on one thread (the runtime and the host side share
 * the rings in-process), so every interleaving is decided by the test.
 */
import { describe, expect, it } from 'vitest';
import { Doorbell } from '../../src/intake/ring/doorbell.js';
import { EV_ACK, EV_FILL, EV_RESYNC, EventRecord, orderStateIndex, readEventRecord } from '../../src/intake/ring/event-record.js';
import { OP_CANCEL, OP_SUBMIT, PRIORITY_HIGH } from '../../src/intake/ring/order-record.js';
import { RingConsumer } from '../../src/intake/ring/spsc-ring.js';
import { ManualClock } from '../../src/model/clock.js';
import type { OrderSnapshot, StrategyEvent } from '../../src/strategy/sdk.js';
import type { StrategySnapshot } from '../../src/intake/ring/transport.js';
import { HostedStrategy, type HostLogger } from '../../src/strategy/strategy-host.js';
import { StrategyRuntime } from '../../src/strategy/strategy-runtime.js';
import type { HostToWorker, WorkerToHost } from '../../src/strategy/worker-protocol.js';
import { drain, drainAll, INSTRUMENTS, until, VENUES } from './helpers.js';

const silent: HostLogger = { debug() {}, info() {}, warn() {}, error() {} };

const SNAPSHOT: OrderSnapshot[] = [{
  orderId: 7, seq: 3, tag: 0, clientOrderId: 'abc', symbol: 'BTC-USDT', side: 'BUY', type: 'LIMIT', state: 'ACCEPTED',
  priceTicks: 6_000_000, qtyLots: 100, filledLots: 0,
}];

interface Rig {
  hosted: HostedStrategy;
  runtime: StrategyRuntime;
  /** Messages the runtime sent that the test has not handed to the host yet (when `hold` is set). */
  held: WorkerToHost[];
  deliver(): void;
  clock: ManualClock;
}

function rig(opts: { orderCapacity?: number; eventCapacity?: number; snapshot?: boolean; hold?: boolean; params?: Record<string, unknown> } = {}): Rig {
  const hosted = new HostedStrategy({ id: 'mm', module: 'unused', symbols: ['BTC-USDT'], params: opts.params ?? {} }, 0, opts.orderCapacity ?? 64, opts.eventCapacity ?? 64);
  const held: WorkerToHost[] = [];
  // (nothing in these tests is read from the order ring: readSeq 0)
  const snapshot = opts.snapshot === false ? undefined : (): StrategySnapshot => ({ orders: SNAPSHOT, readSeq: 0, withdrawn: [] });
  const clock = new ManualClock();
  const runtime: StrategyRuntime = new StrategyRuntime(
    hosted.workerData('unused', INSTRUMENTS, VENUES, Doorbell.create()),
    {
      post: (m) => {
        if (opts.hold === true) held.push(m);
        else hosted.handleMessage(m, snapshot, silent);
      },
    },
    clock,
  );
  hosted.attachChannel((m: HostToWorker) => queueMicrotask(() => runtime.onMessage(m)));
  return {
    hosted, runtime, held, clock,
    deliver: () => {
      for (const m of held.splice(0)) hosted.handleMessage(m, snapshot, silent);
    },
  };
}

function ack(seq: number): EventRecord {
  return Object.assign(new EventRecord(), { kind: EV_ACK, orderId: 100 + seq, seq, state: orderStateIndex('CREATED') });
}

describe('strategy context: submit and cancel at the edge', () => {
  it('validates orders with the API decoder and writes one record per accepted order', async () => {
    const { runtime, hosted } = rig();
    await runtime.start({});
    const { ctx } = runtime;
    const refused = [
      ctx.submit({ symbol: 'DOGE-USDT', side: 'BUY', price: '1', quantity: '1' }),
      ctx.submit({ symbol: 'BTC-USDT', side: 'BUY', price: '60000', quantity: '0.000015' }),
      ctx.submit({ symbol: 'BTC-USDT', side: 'BUY', price: '60000.001', quantity: '0.001' }),
      ctx.submit({ symbol: 'BTC-USDT', side: 'BUY', type: 'MARKET', price: '60000', quantity: '0.001' }),
      ctx.submit({ symbol: 'BTC-USDT', side: 'BUY', price: '60000', quantity: '0.00001' }), // below min notional
      ctx.submit({ symbol: 'BTC-USDT', side: 'BUY', price: '60000', quantity: '0.001', clientOrderId: 'not-valid' }),
      ctx.submit({ symbol: 'BTC-USDT', side: 'BUY', price: '60000', quantity: '0.001', venue: 'nowhere' }),
      ctx.submit({ symbol: 'BTC-USDT', side: 'BUY', price: '60000', quantity: '0.001', tag: -1 }),
      ctx.submit({ symbol: 'BTC-USDT', side: 'BUY', price: '60000', quantity: '0.001', colour: 'red' } as never),
      ctx.submit(null as never),
    ];
    expect(refused.map((r) => (r.ok ? 'OK' : r.code))).toEqual([
      'UNKNOWN_SYMBOL', 'QUANTITY_NOT_ON_LOT', 'PRICE_NOT_ON_TICK', 'INVALID_PRICE', 'BELOW_MIN_NOTIONAL',
      'INVALID_CLIENT_ORDER_ID', 'UNKNOWN_VENUE', 'INVALID_FIELD', 'UNKNOWN_FIELD', 'BAD_REQUEST',
    ]);
    expect(hosted.orders.available()).toBe(0);

    expect(ctx.submit({ symbol: 'ETH-USDT', side: 'SELL', price: 3000.5, quantity: 0.25, postOnly: true, clientOrderId: 'mm1', venue: 'sim-b', tag: 42, priority: 'LOW' }))
      .toEqual({ ok: true, seq: 1 });
    expect(ctx.submit({ symbol: 'BTC-USDT', side: 'BUY', type: 'STOP_LIMIT', price: '61000', stopPrice: '60500', quantity: '0.001' })).toEqual({ ok: true, seq: 2 });
    const recs = drainAll(hosted);
    expect(recs[0]).toEqual({
      op: OP_SUBMIT, seq: 1, tag: 42, symbol: 1, side: 1, type: 0, timeInForce: 0, priority: 2, venue: 1, priceTicks: 300_050, qtyLots: 2500,
      orderId: 0, targetSeq: 0, cid: 'mm1',
    });
    expect(recs[1]).toMatchObject({ seq: 2, type: 3, priceTicks: 6_100_000, qtyLots: 100 });
    await runtime.stop();
  });

  it('cancels by order id, by seq or by client order id, at HIGH priority', async () => {
    const { runtime, hosted } = rig();
    await runtime.start({});
    const { ctx } = runtime;
    expect(ctx.submit({ symbol: 'BTC-USDT', side: 'BUY', price: '60000', quantity: '0.001' })).toEqual({ ok: true, seq: 1 });
    expect(ctx.cancel({ orderId: 77 })).toEqual({ ok: true, seq: 2 });
    expect(ctx.cancel({ seq: 1 })).toEqual({ ok: true, seq: 3 });
    expect(ctx.cancel({ clientOrderId: 'abc9' })).toEqual({ ok: true, seq: 4 });
    const refused = [ctx.cancel({ seq: 9 }), ctx.cancel({ orderId: 0 }), ctx.cancel({ clientOrderId: 'a_b' }), ctx.cancel({} as never)];
    expect(refused.map((r) => (r.ok ? 'OK' : r.code))).toEqual(['ORDER_NOT_FOUND', 'INVALID_FIELD', 'INVALID_CLIENT_ORDER_ID', 'BAD_REQUEST']);
    // cancels go into the cancel ring (one sequence with the submits)
    expect([hosted.orders.available(), hosted.cancels.available()]).toEqual([1, 3]);
    const recs = drainAll(hosted).slice(1);
    expect(recs.map((r) => [r.op, r.seq, r.orderId, r.targetSeq, r.cid, r.priority])).toEqual([
      [OP_CANCEL, 2, 77, 0, undefined, PRIORITY_HIGH],
      [OP_CANCEL, 3, 0, 1, undefined, PRIORITY_HIGH],
      [OP_CANCEL, 4, 0, 0, 'abc9', PRIORITY_HIGH],
    ]);
    await runtime.stop();
  });

  it('answers QUEUE_FULL when the ring is full and accepts again once it is drained', async () => {
    const { runtime, hosted } = rig({ orderCapacity: 4 });
    await runtime.start({});
    const order = { symbol: 'BTC-USDT', side: 'BUY', price: '60000', quantity: '0.001' } as const;
    const results = Array.from({ length: 6 }, () => runtime.ctx.submit(order));
    expect(results.map((r) => (r.ok ? r.seq : r.code))).toEqual([1, 2, 3, 4, 'QUEUE_FULL', 'QUEUE_FULL']);
    expect(hosted.queueFull).toBe(2);
    expect(drain(hosted.orders)).toHaveLength(4);
    expect(runtime.ctx.submit(order)).toEqual({ ok: true, seq: 5 });
    await runtime.stop();
  });

  it('a ring full of submits does not refuse a cancel: cancels have their own ring, full only of cancels', async () => {
    // defect: cancels shared the ring with submits, so a strategy that had flooded its ring with submits got
    // QUEUE_FULL for the cancel of its orders
    const { runtime, hosted } = rig({ orderCapacity: 4 });
    await runtime.start({});
    const { ctx } = runtime;
    const order = { symbol: 'BTC-USDT', side: 'BUY', price: '60000', quantity: '0.001' } as const;
    expect(Array.from({ length: 5 }, () => ctx.submit(order)).map((r) => (r.ok ? r.seq : r.code))).toEqual([1, 2, 3, 4, 'QUEUE_FULL']);
    expect(ctx.cancel({ seq: 1 })).toEqual({ ok: true, seq: 5 });
    expect(ctx.cancel({ orderId: 7 })).toEqual({ ok: true, seq: 6 });
    expect(ctx.submit(order)).toMatchObject({ ok: false, code: 'QUEUE_FULL' });
    // the cancel ring (as large as the order ring here) refuses only when the daemon has not read that many cancels
    expect(ctx.cancel({ seq: 2 })).toEqual({ ok: true, seq: 7 });
    expect(ctx.cancel({ seq: 3 })).toEqual({ ok: true, seq: 8 });
    expect(ctx.cancel({ seq: 4 })).toMatchObject({ ok: false, code: 'QUEUE_FULL' });
    expect(hosted.queueFull).toBe(3);
    expect(drain(hosted.cancels).map((r) => [r.op, r.seq, r.targetSeq, r.orderId])).toEqual([
      [OP_CANCEL, 5, 1, 0], [OP_CANCEL, 6, 0, 7], [OP_CANCEL, 7, 2, 0], [OP_CANCEL, 8, 3, 0],
    ]);
    expect(ctx.cancel({ seq: 4 })).toEqual({ ok: true, seq: 9 });
    expect(drain(hosted.orders).map((r) => r.seq)).toEqual([1, 2, 3, 4]);
    await runtime.stop();
  });

  it('batch: records become visible together when the batch ends; a full ring publishes what is pending first', async () => {
    const { runtime, hosted } = rig({ orderCapacity: 4 });
    await runtime.start({});
    const { ctx } = runtime;
    const order = { symbol: 'BTC-USDT', side: 'BUY', price: '60000', quantity: '0.001' } as const;
    const inside: number[] = [];
    const seqs = ctx.batch(() => {
      const a = ctx.submit(order);
      const b = ctx.batch(() => ctx.cancel({ seq: 1 }));
      inside.push(hosted.orders.available() + hosted.cancels.available());
      return [a, b].map((r) => (r.ok ? r.seq : r.code));
    });
    expect(inside).toEqual([0]);
    expect(seqs).toEqual([1, 2]);
    expect([hosted.orders.available(), hosted.cancels.available()]).toEqual([1, 1]);
    const results = ctx.batch(() => Array.from({ length: 4 }, () => ctx.submit(order)));
    expect(results.map((r) => (r.ok ? r.seq : r.code))).toEqual([3, 4, 5, 'QUEUE_FULL']);
    expect(hosted.orders.available()).toBe(4);
    expect(drainAll(hosted).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    // a full cancel ring inside a batch publishes what is pending, the order ring first: a cancel is never visible
    // before a submit written ahead of it
    const seen: number[][] = [];
    ctx.batch(() => {
      for (let i = 0; i < 3; i++) ctx.cancel({ orderId: 100 + i });
      const s = ctx.submit(order);
      ctx.cancel({ orderId: 103 });
      seen.push([hosted.orders.available(), hosted.cancels.available()]);
      // full (nothing read meanwhile): what is pending is published, then QUEUE_FULL
      expect(ctx.cancel(s.ok ? { seq: s.seq } : { orderId: 1 })).toMatchObject({ ok: false, code: 'QUEUE_FULL' });
      seen.push([hosted.orders.available(), hosted.cancels.available()]);
    });
    // (the three cancels were published as the submit after them was written: the daemon reads them before it)
    expect(seen).toEqual([[0, 3], [1, 4]]);
    await runtime.stop();
  });

  it('gives the strategy its id, symbols, params, instruments, venues and the injected clock', async () => {
    const { runtime, clock } = rig({ params: { spread: 3 } });
    await runtime.start({});
    const { ctx } = runtime;
    expect(ctx.id).toBe('mm');
    expect(ctx.symbols).toEqual(['BTC-USDT']);
    expect(ctx.params).toEqual({ spread: 3 });
    expect(ctx.venues).toEqual(VENUES);
    expect(ctx.instrument('ETH-USDT')?.ticksToPrice(300_050)).toBe('3000.50');
    expect(ctx.instruments.at(0).symbol).toBe('BTC-USDT');
    expect(ctx.clock.now()).toBe(clock.now());
    await runtime.stop();
  });

  it('stop: timers are cleared, stop() may still cancel, submit answers TRADING_HALTED', async () => {
    const { runtime, hosted } = rig();
    let ticks = 0;
    let sawStopping = false;
    await runtime.start((ctx) => ({
      start() {
        ctx.every(1, () => ticks++);
      },
      stop() {
        sawStopping = ctx.stopping;
        expect(ctx.submit({ symbol: 'BTC-USDT', side: 'BUY', price: '60000', quantity: '0.001' })).toMatchObject({ ok: false, code: 'TRADING_HALTED' });
        expect(ctx.cancel({ orderId: 5 })).toEqual({ ok: true, seq: 1 });
      },
    }));
    await until(() => ticks >= 3);
    expect(runtime.timerCount).toBe(1);
    await runtime.stop();
    expect(sawStopping).toBe(true);
    expect(runtime.timerCount).toBe(0);
    expect(runtime.ctx.every(1, () => ticks++)).toBeDefined(); // a no-op once stopping
    expect(runtime.timerCount).toBe(0);
    expect(runtime.ctx.cancel({ orderId: 5 })).toMatchObject({ ok: false, code: 'TRADING_HALTED' });
    expect(drainAll(hosted).map((r) => r.op)).toEqual([OP_CANCEL]);
  });

  it('refuses a module whose default export is not a strategy', async () => {
    await expect(rig().runtime.start(undefined)).rejects.toThrow(TypeError);
    await expect(rig().runtime.start({ onEvent: 3 } as never)).rejects.toThrow(TypeError);
  });
});

describe('events to the strategy', () => {
  it('delivers events in order; an onEvent that throws is counted and the next events still come', async () => {
    const { runtime, hosted } = rig();
    const seen: StrategyEvent[] = [];
    await runtime.start({
      onEvent(e) {
        seen.push(e);
        if (e.seq === 2) throw new Error('strategy bug');
      },
    });
    for (let i = 1; i <= 3; i++) hosted.publishEvent(ack(i));
    hosted.publishEvent(Object.assign(new EventRecord(), { kind: EV_FILL, orderId: 101, seq: 1, state: orderStateIndex('FILLED'), filledLots: 100, qtyLots: 100, priceTicks: 5, liquidity: 2 }));
    await until(() => seen.length === 4);
    expect(seen.map((e) => [e.kind, e.seq, e.state, e.terminal])).toEqual([
      ['ACK', 1, 'CREATED', false], ['ACK', 2, 'CREATED', false], ['ACK', 3, 'CREATED', false], ['FILL', 1, 'FILLED', true],
    ]);
    expect(seen[3]).toMatchObject({ symbol: 'BTC-USDT', side: 'BUY', liquidity: 'TAKER', filledLots: 100, code: undefined });
    expect(runtime.errors).toBe(1);
    await runtime.stop();
  });

  it('a steady stream of events (a few at a time) still lets the worker\'s event loop turn: at most EVENT_BATCH (256) per turn', async () => {
    // events keep coming while onEvent runs (another thread writes them: here onEvent writes the next one), never a
    // full batch at once. Timers, the host's messages (stop, snapshots) run between turns: they must not wait for the
    // stream to pause
    const { runtime, hosted } = rig({ eventCapacity: 64 });
    const STREAM = 5000;
    let delivered = 0;
    /** Events delivered from the 10th (when the next turn is asked for) until the event loop turned. */
    let beforeTurn = -1;
    await runtime.start({
      onEvent() {
        if (++delivered === 10) setImmediate(() => { beforeTurn = delivered - 10; });
        if (delivered < STREAM) hosted.publishEvent(ack(delivered + 1));
      },
    });
    hosted.publishEvent(ack(1));
    await until(() => delivered === STREAM);
    expect(beforeTurn).toBeGreaterThanOrEqual(0);
    expect(beforeTurn).toBeLessThanOrEqual(256);
    await runtime.stop();
  });

  it('event ring full: events are counted, then a RESYNC comes first, before any later event', () => {
    const hosted = new HostedStrategy({ id: 'x', module: 'unused', symbols: [] }, 0, 4, 4);
    const ring = new RingConsumer(hosted.eventBuffer);
    const written = Array.from({ length: 6 }, (_, i) => hosted.publishEvent(ack(i + 1)));
    expect(written).toEqual([true, true, true, true, false, false]);
    expect(hosted.eventsLost).toBe(2);
    const r = new EventRecord();
    const kinds: [number, number, number][] = [];
    const read = (): void => void ring.poll(100, (off) => kinds.push([readEventRecord(ring, off, r).kind, r.seq, r.count]));
    read();
    expect(hosted.publishEvent(ack(7))).toBe(true);
    read();
    expect(kinds).toEqual([[EV_ACK, 1, 0], [EV_ACK, 2, 0], [EV_ACK, 3, 0], [EV_ACK, 4, 0], [EV_RESYNC, 0, 2], [EV_ACK, 7, 0]]);
    expect(hosted.resyncs).toBe(1);
  });

  it('RESYNC carries the lost count and a snapshot; events the snapshot already reflects are skipped', async () => {
    const { runtime, hosted, held, deliver } = rig({ eventCapacity: 4, hold: true });
    const seen: StrategyEvent[] = [];
    await runtime.start({ onEvent: (e) => void seen.push(e) });
    const written = Array.from({ length: 10 }, (_, i) => hosted.publishEvent(ack(i + 1)));
    expect(written.filter(Boolean)).toHaveLength(4);
    expect(hosted.eventsLost).toBe(6);
    // the runtime drains the 4, the host's retry timer writes the RESYNC, the runtime asks for a snapshot
    await until(() => held.some((m) => m.type === 'snapshot-request'));
    expect(seen.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    // two events happen before the host takes the snapshot: the snapshot covers them
    expect(hosted.publishEvent(ack(11))).toBe(true);
    expect(hosted.publishEvent(ack(12))).toBe(true);
    deliver();
    await until(() => seen.length === 5);
    expect(seen[4]).toMatchObject({ kind: 'RESYNC', lost: 6, orders: SNAPSHOT, state: undefined, symbol: undefined });
    hosted.publishEvent(ack(13));
    await until(() => seen.length === 6);
    expect(seen.map((e) => [e.kind, e.seq])).toEqual([['ACK', 1], ['ACK', 2], ['ACK', 3], ['ACK', 4], ['RESYNC', 0], ['ACK', 13]]);
    await runtime.stop();
  });

  it('without a snapshot provider RESYNC carries orders: null and nothing is skipped', async () => {
    const { runtime, hosted } = rig({ eventCapacity: 2, snapshot: false });
    const seen: StrategyEvent[] = [];
    await runtime.start({ onEvent: (e) => void seen.push(e) });
    for (let i = 1; i <= 5; i++) hosted.publishEvent(ack(i));
    await until(() => seen.some((e) => e.kind === 'RESYNC'));
    hosted.publishEvent(ack(6));
    await until(() => seen.length === 4);
    expect(seen.map((e) => [e.kind, e.seq, e.lost, e.orders])).toEqual([
      ['ACK', 1, 0, null], ['ACK', 2, 0, null], ['RESYNC', 0, 3, null], ['ACK', 6, 0, null],
    ]);
    await runtime.stop();
  });

  it('openOrders() asks the host for a snapshot', async () => {
    const { runtime } = rig();
    await runtime.start({});
    await expect(runtime.ctx.openOrders()).resolves.toEqual(SNAPSHOT);
    await runtime.stop();
  });
});
