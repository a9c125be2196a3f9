import fc from 'fast-check';
import type { WebSocket } from 'ws';
import { describe, expect, it } from 'vitest';
import { EventStream, type StreamJournal } from '../../src/api/event-stream.js';
import { OrderTracker } from '../../src/core/order-tracker.js';
import { streamEvent } from '../../src/journal/event-replay.js';
import { ManualClock } from '../../src/model/clock.js';
import { LIFECYCLE_EVENTS, type OrderUpdate } from '../../src/model/lifecycle.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { discardLogs } from '../helpers/daemon.js';
import { FrameSocket } from '../helpers/frame-socket.js';
import { fill, newOrderFields, TEST_INSTRUMENT_SPECS, testStore } from '../helpers/model.js';

/*
 * The live events each stream client gets, under every kind of filter (strategy, symbol, event, each absent or any
 * subset; array frames or not): exactly the events whose strategy, symbol and lifecycle event its query names, each
 * the event's own JSON (streamEvent), in seq order — and, with the journal on, none before its record is durable.
 * The stream matches live events by the store's indexes (a filter made once per client); the expectation here is
 * computed from the events' names against the query's lists.
 */

/** Every message `ws` received, in order, joined by commas (an array frame's elements as they are in it: its bytes). */
function received(ws: FrameSocket): string {
  return ws.frames.map((f) => (f.startsWith('[') ? f.slice(1, -1) : f)).join(',');
}

/** Creates each order of `lives` (ids 1, 2, …) and applies its steps. */
function live(tracker: OrderTracker, store: ReturnType<typeof testStore>, lives: readonly OrderLife[]): void {
  let n = 0;
  lives.forEach((life, i) => {
    const id = i + 1;
    tracker.create(id, newOrderFields(store, { strategy: life.strategy, symbol: life.symbol, side: life.side, qtyLots: 1000 }));
    for (const step of life.steps) tracker.apply(id, update(id, step, n++));
  });
}

const HELLO = JSON.stringify({ type: 'hello', seq: 0 });
/** What a client whose query is `q` was sent: hello, then the events its filters let through. */
const sent = (q: Query, events: readonly { strategy: string; symbol: string; event: string; json: string }[]): string =>
  [HELLO, ...events.filter((e) => lets(q, e)).map((e) => e.json)].join(',');

const STRATEGIES = ['alpha', 'beta'];
const SYMBOLS = TEST_INSTRUMENT_SPECS.map((spec) => spec.symbol);
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const subset = <T>(values: readonly T[]): fc.Arbitrary<T[] | null> => fc.option(fc.subarray([...values], { minLength: 1 }), { nil: null });

const query = fc.record({
  strategies: subset(STRATEGIES),
  symbols: subset(SYMBOLS),
  events: subset(LIFECYCLE_EVENTS),
  batch: fc.boolean(),
});
type Query = typeof query extends fc.Arbitrary<infer Q> ? Q : never;

const orderLife = fc.record({
  strategy: fc.constantFrom(...STRATEGIES),
  symbol: fc.constantFrom(...SYMBOLS),
  side: fc.constantFrom('BUY' as const, 'SELL' as const),
  steps: fc.array(fc.constantFrom('SUBMIT', 'DENY', 'ACCEPT', 'REJECT', 'PARTIAL', 'FILL', 'CANCEL_REQUEST', 'CANCELED', 'EXPIRE'), { minLength: 1, maxLength: 5 }),
});
type OrderLife = typeof orderLife extends fc.Arbitrary<infer L> ? L : never;

function params(q: Query): URLSearchParams {
  const p = new URLSearchParams();
  if (q.strategies !== null) p.set('strategy', q.strategies.join(','));
  if (q.symbols !== null) p.set('symbol', q.symbols.join(','));
  if (q.events !== null) p.set('event', q.events.join(','));
  if (q.batch) p.set('batch', '1');
  return p;
}

function update(id: number, step: string, n: number): OrderUpdate {
  switch (step) {
    case 'SUBMIT': return { kind: 'SUBMIT', venue: n % 2 === 0 ? 'v1' : 'v2' };
    case 'DENY': return { kind: 'DENY', reason: 'RISK_MAX_NOTIONAL' };
    case 'ACCEPT': return { kind: 'ACCEPT', venueOrderId: `x${id}` };
    case 'REJECT': return { kind: 'REJECT', reason: 'no "such" market' };
    case 'PARTIAL': return { kind: 'FILL', fill: fill(id, 100, 6_000_000 + n, { tradeId: `t${id}-${n}`, liquidity: n % 2 === 0 ? 'MAKER' : 'TAKER' }) };
    case 'FILL': return { kind: 'FILL', fill: fill(id, 1000, 6_000_000, { tradeId: `t${id}-${n}`, feeEstimated: n % 3 === 0 }) };
    case 'CANCEL_REQUEST': return { kind: 'CANCEL_REQUEST' };
    case 'CANCELED': return { kind: 'CANCELED', reason: n % 2 === 0 ? undefined : 'user' };
    default: return { kind: 'EXPIRE' };
  }
}

/** An event through a query by its names (the stream's filters as documented: ?strategy=, ?symbol=, ?event=). */
function lets(q: Query, e: { strategy: string; symbol: string; event: string }): boolean {
  return (q.strategies === null || q.strategies.includes(e.strategy)) && (q.symbols === null || q.symbols.includes(e.symbol))
    && (q.events === null || q.events.includes(e.event as never));
}

describe('live events through the stream\'s filters', () => {
  it('with the journal: each client gets the events its query names, byte for byte, in seq order, none before it is durable', async () => {
    await fc.assert(fc.asyncProperty(fc.array(query, { minLength: 1, maxLength: 4 }), fc.array(orderLife, { minLength: 1, maxLength: 8 }), async (queries, lives) => {
      const store = testStore();
      const tracker = new OrderTracker(store, new ManualClock(1.7e12), { retainFinished: 100 });
      // a journal double: every transition is record seq+1; records become durable when the test says
      let seq = 0;
      let durable = 0;
      let publish: Parameters<StreamJournal['subscribe']>[0] = () => undefined;
      let release: () => void = () => undefined;
      let gate = Promise.resolve();
      const journal: StreamJournal = {
        lastSeq: () => seq,
        durableSeq: () => durable,
        whenDurable: (s) => (s <= durable ? Promise.resolve() : gate),
        subscribe: (p) => {
          publish = p;
        },
        replay: () => {
          throw new Error('no replay here');
        },
      };
      const all: { seq: number; strategy: string; symbol: string; event: string; json: string }[] = [];
      tracker.listen({
        onTransition: (order, u, t) => {
          seq++;
          const e = streamEvent(seq, tracker, order, u, t);
          all.push({ seq, strategy: e.strategy, symbol: e.symbol, event: e.event, json: `{"type":"event",${JSON.stringify(e).slice(1)}` });
          publish(seq, order, u, t);
        },
      });
      const stream = new EventStream({ tracker, instruments: store.instruments, strategies: STRATEGIES, journal, log: createLogger('silent', 'test', discardLogs()), maxBufferedBytes: 64 << 20 });
      const sockets = queries.map((q) => {
        const ws = new FrameSocket();
        expect(stream.add(ws as unknown as WebSocket, params(q))).toBeDefined();
        return ws;
      });
      gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      live(tracker, store, lives);
      await turn();
      // nothing is durable yet: nothing was sent
      for (const ws of sockets) expect(received(ws)).toBe(HELLO);
      durable = seq;
      release();
      for (let i = 0; i < 3; i++) await turn();
      queries.forEach((q, i) => {
        expect(received(sockets[i]!)).toBe(sent(q, all));
      });
    }), { numRuns: 150 });
  });

  it('without the journal: each client gets the events its query names at once, with the tracker\'s seq', async () => {
    await fc.assert(fc.asyncProperty(fc.array(query, { minLength: 1, maxLength: 4 }), fc.array(orderLife, { minLength: 1, maxLength: 8 }), async (queries, lives) => {
      const store = testStore();
      const tracker = new OrderTracker(store, new ManualClock(1.7e12), { retainFinished: 100 });
      const all: { strategy: string; symbol: string; event: string; json: string }[] = [];
      tracker.listen({
        onTransition: (order, u, t) => {
          const e = streamEvent(undefined, tracker, order, u, t);
          all.push({ strategy: e.strategy, symbol: e.symbol, event: e.event, json: `{"type":"event",${JSON.stringify(e).slice(1)}` });
        },
      });
      const stream = new EventStream({ tracker, instruments: store.instruments, strategies: STRATEGIES, log: createLogger('silent', 'test', discardLogs()), maxBufferedBytes: 64 << 20 });
      const sockets = queries.map((q) => {
        const ws = new FrameSocket();
        stream.add(ws as unknown as WebSocket, params(q));
        return ws;
      });
      live(tracker, store, lives);
      await turn();
      queries.forEach((q, i) => {
        expect(received(sockets[i]!)).toBe(sent(q, all));
      });
    }), { numRuns: 150 });
  });
});
