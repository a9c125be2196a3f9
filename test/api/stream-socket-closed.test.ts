import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { describe, expect, it, vi } from 'vitest';
import { CLOSE_GRACE_MS, EventStream, SLOW_CONSUMER_CLOSE_CODE } from '../../src/api/event-stream.js';
import { acceptStreamSocket, RESULT_ARENA_BYTES, type StreamSocketDeps } from '../../src/api/stream-socket.js';
import { JsonBytes } from '../../src/journal/json-bytes.js';
import { InstrumentRegistry } from '../../src/model/instrument.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { discardLogs, startTestDaemon } from '../helpers/daemon.js';
import { testStore } from '../helpers/model.js';

/*
 * A /v1/stream socket the daemon has closed itself — a slow consumer (4000) or a one-op frame over the bound (1009) —
 * is answered no more: nothing is queued for it, so no result can reach it. ws still emits the frames the client
 * sent until the client's close frame arrives (ws/lib/websocket.js receiverOnMessage emits whatever the state; a slow
 * consumer reads its close frame only after everything queued before it, up to the send-buffer bound and the kernel
 * buffers, or is destroyed CLOSE_GRACE_MS later). An op read then must not be executed: the order would go to a
 * venue and its client would never get its result (nor learn whether it ran), so it would send it again.
 */

/** A ws WebSocket as the stream and the socket handler use it; `reading` false: what is sent piles up unread. */
class SocketDouble extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  reading = true;
  readonly sent: string[] = [];
  closedWith: [number, string] | undefined;
  readonly _socket = { cork: (): void => undefined, uncork: (): void => undefined };

  send(data: string | Buffer): void {
    const text = data.toString();
    this.sent.push(text);
    if (!this.reading) this.bufferedAmount += Buffer.byteLength(text);
  }

  /** As ws: CLOSING until the client answers; frames the client sent meanwhile are still emitted. */
  close(code: number, reason: string): void {
    if (this.closedWith !== undefined) return;
    this.closedWith = [code, reason];
    this.readyState = 2;
  }

  /** As ws: the connection destroyed at once (CLOSED, 'close' emitted). */
  terminate(): void {
    if (this.readyState === 3) return;
    this.terminated = true;
    this.readyState = 3;
    this.emit('close', 1006, Buffer.alloc(0));
  }
  terminated = false;

  /** A frame from the client, as ws emits it (one Buffer, isBinary false). */
  frame(value: unknown): void {
    this.emit('message', Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)), false);
  }
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const order = { strategy: 'manual', symbol: 'BTC-USDT', side: 'BUY', price: '30000', quantity: '0.001' };

function rig(maxBufferedBytes: number) {
  const log = createLogger('silent', 'test', discardLogs());
  // a tracker that makes no events (the messages here are results): an empty store's names
  const tracker = { listen: () => undefined, lastSeq: 0, store: testStore({ instruments: new InstrumentRegistry([]), strategies: [], venues: [] }) };
  const stream = new EventStream({ tracker: tracker as never, instruments: new InstrumentRegistry([]), strategies: [], log, maxBufferedBytes });
  /** Every order the socket handler asked the daemon to decode and queue. */
  const enqueued: unknown[] = [];
  const cancels: string[] = [];
  const deps: StreamSocketDeps = {
    stream,
    commands: {
      findOrError: (key: string) => {
        cancels.push(key);
        return { ok: false, code: 'ORDER_NOT_FOUND', message: `no order ${key}` };
      },
      waitDecision: () => undefined,
    } as never,
    auth: { check: () => true } as never,
    metrics: { edgeReject: () => undefined } as never,
    log,
    results: new JsonBytes(RESULT_ARENA_BYTES),
    enqueue: (body) => {
      enqueued.push(body);
      return { ok: false, code: 'RISK_MAX_NOTIONAL', message: 'refused by the test' };
    },
    maxBatch: 1000,
  };
  const ws = new SocketDouble();
  acceptStreamSocket(deps, ws as unknown as WebSocket, new URLSearchParams(), true);
  return { ws, enqueued, cancels };
}

describe('ops on a socket the daemon closed', () => {
  it('a dropped slow consumer: the ops it sent after the drop are not executed, and it is destroyed CLOSE_GRACE_MS later', async () => {
    // the grace timer under the test's control: a real one fired in whatever test ran 10 s later (under load, this
    // file's end-to-end test), against a double that could not terminate
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      await droppedSlowConsumer();
    } finally {
      vi.useRealTimers();
    }
  });

  async function droppedSlowConsumer(): Promise<void> {
    const max = 4096;
    const { ws, enqueued, cancels } = rig(max);
    ws.reading = false; // stops reading: its results pile up
    // frames of ops that are not valid (each answered with an error result) until the client is dropped
    for (let i = 0; i < 50 && ws.closedWith === undefined; i++) {
      ws.frame(Array.from({ length: 20 }, (_, k) => ({ op: 'dance', id: `fill-${i}-${k}` })));
      await turn();
    }
    expect(ws.closedWith).toEqual([SLOW_CONSUMER_CLOSE_CODE, `slow consumer: send buffer over ${max} bytes`]);
    const sentAtDrop = ws.sent.length;
    // the client, not having read its close frame yet, sends on: a submit and a cancel
    ws.frame({ op: 'submit', id: 'late', order: { ...order, clientOrderId: 'afterDrop' } });
    ws.frame([{ op: 'submit', id: 'late2', order }, { op: 'cancel', id: 'late3', orderId: 7 }]);
    await turn();
    expect(enqueued, 'a submit from a dropped client was queued').toEqual([]);
    expect(cancels, 'a cancel from a dropped client was executed').toEqual([]);
    expect(ws.sent.length).toBe(sentAtDrop); // and nothing was sent to it
    // it never reads its close frame: destroyed once the grace is over, not before
    vi.advanceTimersByTime(CLOSE_GRACE_MS - 1);
    expect(ws.terminated).toBe(false);
    vi.advanceTimersByTime(1);
    expect(ws.terminated).toBe(true);
  }

  it('a one-op frame over the bound (closed 1009): the ops after it are not executed', async () => {
    const { ws, enqueued } = rig(1 << 20);
    ws.frame({ op: 'submit', id: 'big', order: { ...order, clientOrderId: 'x'.repeat(20_000) } });
    expect(ws.closedWith?.[0]).toBe(1009);
    ws.frame({ op: 'submit', id: 'after', order });
    await turn();
    expect(enqueued).toEqual([]);
  });

  it('end to end: a submit sent right behind an oversized op is not executed once the daemon closed the socket', async () => {
    const t = await startTestDaemon();
    try {
      const ws = new WebSocket(t.wsUrl, { headers: { authorization: `Bearer ${t.token}` } });
      const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      // both frames leave before the client can have read the close: ws on the daemon's side emits the second one
      ws.send(JSON.stringify({ op: 'submit', id: 'big', order: { ...order, clientOrderId: 'x'.repeat(20_000) } }));
      ws.send(JSON.stringify({ op: 'submit', id: 'after', order: { ...order, clientOrderId: 'after1009' } }));
      expect(await closed).toBe(1009);
      // the daemon read the second frame before the client's close frame (TCP order): decided by now
      expect(t.daemon.path.tracker.getByClientOrderId('after1009'), 'an order from a closed socket was created').toBeUndefined();
    } finally {
      await t.stop();
    }
  }, 60_000);
});
