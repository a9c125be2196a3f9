import type { WebSocket } from 'ws';
import { describe, expect, it } from 'vitest';
import { EventStream, type StreamJournal } from '../../src/api/event-stream.js';
import { OrderTracker } from '../../src/core/order-tracker.js';
import { ManualClock } from '../../src/model/clock.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { discardLogs } from '../helpers/daemon.js';
import { FrameSocket } from '../helpers/frame-socket.js';
import { newOrderFields, testStore } from '../helpers/model.js';

/*
 * README (Control API): "A submit's result always follows its SUBMITTED (or DENIED) event." A client that resumes
 * with ?since= gets the missed events replayed first, and the live events that come meanwhile wait in its backlog
 * (event-stream.ts). A result the client asks for during the replay (it may submit as soon as the socket is open) must
 * wait behind them too: else it reaches the client before the order's own SUBMITTED event (held in the backlog), and
 * even before the replayed history.
 */


const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('a result asked for while the client is being replayed to', () => {
  it('comes after the live events recorded before it (its order\'s SUBMITTED), which wait behind the replay', async () => {
    const store = testStore();
    const tracker = new OrderTracker(store, new ManualClock(1.7e12), { retainFinished: 10 });
    // a journal double: every transition is record seq+1, durable at once; the replay waits for `openReplay`
    let seq = 0;
    let publish: Parameters<StreamJournal['subscribe']>[0] = () => undefined;
    let openReplay: () => void = () => undefined;
    const replayGate = new Promise<void>((resolve) => {
      openReplay = resolve;
    });
    const replayed = [{ seq: 2, orderId: 1, strategy: 'alpha', symbol: 'BTC-USDT', event: 'ACCEPT', state: 'ACCEPTED' }];
    const journal: StreamJournal = {
      lastSeq: () => seq,
      durableSeq: () => seq,
      whenDurable: (s) => (s <= 2 ? replayGate : Promise.resolve()), // the replay's wait (upTo = 2) is held
      subscribe: (p) => {
        publish = p;
      },
      replay: () => {
        const events = [...replayed];
        return { ok: true, cursor: { next: () => events.shift() ?? null, close: () => undefined } } as never;
      },
    };
    tracker.listen({ onTransition: (order, update, t) => publish(++seq, order, update, t) });
    const stream = new EventStream({
      tracker, instruments: store.instruments, strategies: store.strategyIds, journal,
      log: createLogger('silent', 'test', discardLogs()), maxBufferedBytes: 1 << 20,
    });
    // history: order 1 submitted (seq 1) and accepted (seq 2)
    tracker.create(1, newOrderFields(store, { clientOrderId: 'old' }));
    tracker.apply(1, { kind: 'SUBMIT', venue: 'v1' });
    tracker.apply(1, { kind: 'ACCEPT' });
    expect(seq).toBe(2);

    // the client comes back with since=1: seq 2 is to be replayed
    const ws = new FrameSocket();
    stream.add(ws as unknown as WebSocket, new URLSearchParams('since=1'));
    // it submits at once: the order is SUBMITTED (seq 3, durable) and its result is sent (stream-socket.ts: catchUp, then send)
    tracker.create(2, newOrderFields(store, { clientOrderId: 'new' }));
    tracker.apply(2, { kind: 'SUBMIT', venue: 'v1' });
    stream.catchUp();
    stream.send(ws as unknown as WebSocket, JSON.stringify({ type: 'result', id: 'n', ok: true, order: { orderId: 2, state: 'SUBMITTED' } }));
    await turn();
    openReplay();
    for (let i = 0; i < 5; i++) await turn();

    const messages = ws.frames.map((f) => JSON.parse(f) as { type: string; seq?: number; orderId?: number; event?: string });
    const kinds = messages.map((m) => (m.type === 'event' ? `event ${m.seq} ${m.event}` : m.type));
    expect(kinds).toContain('event 3 SUBMIT');
    // hello, the replayed event, the live SUBMITTED of order 2, then its result
    expect(kinds).toEqual(['hello', 'event 2 ACCEPT', 'event 3 SUBMIT', 'result']);
  });
});
