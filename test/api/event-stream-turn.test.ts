import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import { describe, expect, it } from 'vitest';
import { EventStream, SLOW_CONSUMER_CLOSE_CODE } from '../../src/api/event-stream.js';
import { OrderTracker } from '../../src/core/order-tracker.js';
import { streamEvent } from '../../src/journal/event-replay.js';
import { ManualClock } from '../../src/model/clock.js';
import { fill, newOrderFields, testStore } from '../helpers/model.js';
import { InstrumentRegistry } from '../../src/model/instrument.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { discardLogs } from '../helpers/daemon.js';

/*
 * The sending side of /v1/stream, turn by turn (issue 17, item 2), on a WebSocket double that records what reaches
 * its socket: every write (frames written while the socket is corked make one write), and a send buffer that keeps
 * what it was given (a client that does not read).
 */

class SocketDouble extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  /** What the client has not read: grows with every frame while `reading` is false. */
  bufferedAmount = 0;
  reading = true;
  /** Each write to the socket: the frames in it. */
  readonly writes: string[][] = [];
  closedWith: [number, string] | undefined;
  private corked = 0;
  private corkedFrames: string[] = [];
  readonly _socket = {
    cork: (): void => {
      this.corked++;
    },
    uncork: (): void => {
      if (--this.corked === 0 && this.corkedFrames.length > 0) {
        this.writes.push(this.corkedFrames);
        this.corkedFrames = [];
      }
    },
  };

  /** Frames sent as binary (none should be: every message is a text frame). */
  binaryFrames = 0;
  /** What each send was given, as given (ws keeps a Buffer it is given until it is written). */
  readonly given: (string | Buffer)[] = [];

  send(data: string | Buffer, options?: { binary?: boolean }): void {
    if (typeof data !== 'string' && options?.binary !== false) this.binaryFrames++;
    this.given.push(data);
    const text = data.toString();
    if (!this.reading) this.bufferedAmount += Buffer.byteLength(text);
    if (this.corked > 0) this.corkedFrames.push(text);
    else this.writes.push([text]);
  }

  close(code: number, reason: string): void {
    this.closedWith = [code, reason];
    this.readyState = 2;
  }

  /** As ws (the slow-consumer close's grace timer may fire while a later test runs): destroyed at once. */
  terminate(): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.emit('close', 1006, Buffer.alloc(0));
  }

  frames(): string[] {
    return this.writes.flat();
  }
}

function stream(maxBufferedBytes = 1 << 20): EventStream {
  // a tracker that makes no events (the messages here are results): an empty store's names
  const tracker = { listen: () => undefined, lastSeq: 0, store: testStore({ instruments: new InstrumentRegistry([]), strategies: [], venues: [] }) };
  return new EventStream({ tracker: tracker as never, instruments: new InstrumentRegistry([]), strategies: [], log: createLogger('silent', 'test', discardLogs()), maxBufferedBytes });
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const asWs = (s: SocketDouble): WebSocket => s as unknown as WebSocket;

describe('per-turn coalescing', () => {
  it('without ?batch=1: one frame per message, all of a turn in one write, in order', async () => {
    const s = stream();
    const ws = new SocketDouble();
    expect(s.add(asWs(ws), new URLSearchParams())).toMatchObject({ batch: false, result: 'order', events: null });
    s.send(asWs(ws), '{"n":1}');
    s.send(asWs(ws), '{"n":2}');
    expect(ws.writes).toEqual([]); // nothing written before the end of the turn
    await turn();
    expect(ws.writes).toEqual([['{"type":"hello","seq":0}', '{"n":1}', '{"n":2}']]);
    s.send(asWs(ws), '{"n":3}');
    await turn();
    expect(ws.writes[1]).toEqual(['{"n":3}']);
    expect(ws.binaryFrames).toBe(0);
  });

  it('with ?batch=1: each turn is one frame holding a JSON array of its messages', async () => {
    const s = stream();
    const ws = new SocketDouble();
    s.add(asWs(ws), new URLSearchParams('batch=1'));
    s.send(asWs(ws), '{"n":1}');
    s.send(asWs(ws), '{"n":2}');
    await turn();
    s.send(asWs(ws), '{"n":3}');
    await turn();
    expect(ws.writes).toEqual([['[{"type":"hello","seq":0},{"n":1},{"n":2}]'], ['[{"n":3}]']]);
    expect(ws.frames().map((f) => JSON.parse(f))).toEqual([[{ type: 'hello', seq: 0 }, { n: 1 }, { n: 2 }], [{ n: 3 }]]);
    expect(ws.binaryFrames).toBe(0);
  });

  it('non-ASCII messages: an array frame holds their exact UTF-8, and the bound counts bytes, not characters', async () => {
    const s = stream(4096);
    const ws = new SocketDouble();
    s.add(asWs(ws), new URLSearchParams('batch=1'));
    const texts = ['{"r":"rejeté"}', '{"r":"注文"}', '{"r":"\ud83d\ude00 ok"}', JSON.stringify({ r: 'lone \ud800' })];
    for (const t of texts) s.send(asWs(ws), t);
    await turn();
    expect(ws.frames()).toEqual([`[{"type":"hello","seq":0},${texts.join(',')}]`]);
    expect(JSON.parse(ws.frames()[0]!)).toEqual([{ type: 'hello', seq: 0 }, ...texts.map((t) => JSON.parse(t))]);
    // 700 three-byte characters: 700 characters, 2100 bytes; two of them pass the 4096-byte bound
    ws.reading = false;
    const wide = `{"r":"${'注'.repeat(700)}"}`;
    s.send(asWs(ws), wide);
    expect(ws.closedWith).toBeUndefined();
    s.send(asWs(ws), wide);
    expect(ws.closedWith?.[0]).toBe(SLOW_CONSUMER_CLOSE_CODE);
  });

  it('the send-buffer bound counts the socket\'s unread bytes and the turn\'s queue; what was queued goes out before the close', async () => {
    const max = 4096;
    const s = stream(max);
    const ws = new SocketDouble();
    s.add(asWs(ws), new URLSearchParams('batch=1'));
    await turn();
    ws.reading = false;
    ws.bufferedAmount = max - 1500; // the client stopped reading a while ago
    const msg = `{"pad":"${'x'.repeat(490)}"}`; // 500 bytes
    s.send(asWs(ws), msg);
    s.send(asWs(ws), msg); // 1000 queued in this turn, the socket holds max - 1500: within the bound
    expect(ws.closedWith).toBeUndefined();
    s.send(asWs(ws), msg); // max - 1500 + 1000 + 500: at the bound, still within
    expect(ws.closedWith).toBeUndefined();
    s.send(asWs(ws), msg); // past it: dropped
    expect(ws.closedWith).toEqual([SLOW_CONSUMER_CLOSE_CODE, `slow consumer: send buffer over ${max} bytes`]);
    expect(s.stats.slowConsumerDisconnects).toBe(1);
    expect(s.stats.clients).toBe(0);
    // the three messages queued within the bound were written (one array frame) before the close; not the fourth
    expect(ws.writes.slice(1)).toEqual([[`[${msg},${msg},${msg}]`]]);
    s.send(asWs(ws), msg);
    await turn();
    expect(ws.writes).toHaveLength(2);
  });

  it('a turn\'s queue that reaches half the bound is written at once: a reading client is not dropped', async () => {
    const max = 4096;
    const s = stream(max);
    const ws = new SocketDouble();
    s.add(asWs(ws), new URLSearchParams());
    const msg = `{"pad":"${'x'.repeat(490)}"}`;
    for (let i = 0; i < 40; i++) s.send(asWs(ws), msg); // 20 KB in one turn, 5x the bound
    await turn();
    expect(ws.closedWith).toBeUndefined();
    expect(ws.frames()).toHaveLength(41);
    // written in several corked writes of at most half the bound each
    for (const w of ws.writes) expect(w.reduce((n, f) => n + f.length, 0)).toBeLessThanOrEqual(max / 2);
  });

  it('live events: each one\'s bytes are the event\'s JSON, to every client, and stay so while later events are written', async () => {
    const store = testStore();
    const clock = new ManualClock(1.7e12);
    const tracker = new OrderTracker(store, clock, { retainFinished: 10 });
    const expected: string[] = [];
    tracker.listen({ onTransition: (order, update, t) => void expected.push(`{"type":"event",${JSON.stringify(streamEvent(undefined, tracker, order, update, t)).slice(1)}`) });
    const s = new EventStream({ tracker, instruments: store.instruments, strategies: store.strategyIds, log: createLogger('silent', 'test', discardLogs()), maxBufferedBytes: 64 << 20 });
    const single = new SocketDouble();
    const batch = new SocketDouble();
    s.add(asWs(single), new URLSearchParams());
    s.add(asWs(batch), new URLSearchParams('batch=1'));
    // 3 turns of 150 orders, 4 events each with long client order ids and reasons: several arena buffers (64 KB)
    let id = 0;
    for (let round = 0; round < 3; round++) {
      for (let k = 0; k < 150; k++) {
        id++;
        tracker.create(id, newOrderFields(store, { clientOrderId: `c${id}-${'é'.repeat(60)}`, qtyLots: 1000 }));
        tracker.apply(id, { kind: 'SUBMIT', venue: 'v1' });
        tracker.apply(id, { kind: 'ACCEPT' });
        tracker.apply(id, { kind: 'FILL', fill: fill(id, 400, 123_456, { tradeId: `t${id}` }) });
        tracker.apply(id, { kind: 'CANCELED', reason: `done ${'"x"'.repeat(id % 40)}` });
      }
      await turn();
    }
    expect(expected).toHaveLength(450 * 4);
    // checked after every turn was written: a message the stream handed over is never written again
    const given = single.given.slice(1).map((d) => d.toString());
    expect(given).toEqual(expected);
    expect(single.given.slice(1).every((d) => Buffer.isBuffer(d))).toBe(true);
    const arrays = batch.given.map((d) => JSON.parse(d.toString()) as unknown[]).flat();
    expect(arrays.slice(1)).toEqual(expected.map((e) => JSON.parse(e)));
    // byte for byte: each array frame is `[`, its messages joined by commas, `]` (runs of events copied whole from
    // the buffers they were written in, across the buffers' ends)
    expect(batch.given.every((d) => Buffer.isBuffer(d) && d[0] === 0x5b && d[d.length - 1] === 0x5d)).toBe(true);
    expect(batch.given.map((d) => d.toString().slice(1, -1)).join(',')).toBe([single.given[0]!.toString(), ...expected].join(','));
    expect(single.binaryFrames + batch.binaryFrames).toBe(0);
  });

  it('a client that gets one event in many holds only its own bytes: what it is given never keeps a shared buffer alive', async () => {
    const store = testStore();
    const tracker = new OrderTracker(store, new ManualClock(1.7e12), { retainFinished: 10 });
    const s = new EventStream({ tracker, instruments: store.instruments, strategies: store.strategyIds, log: createLogger('silent', 'test', discardLogs()), maxBufferedBytes: 64 << 20 });
    const all = new SocketDouble();
    const few = new SocketDouble();
    s.add(asWs(all), new URLSearchParams());
    s.add(asWs(few), new URLSearchParams('strategy=beta'));
    for (let id = 1; id <= 600; id++) {
      tracker.create(id, newOrderFields(store, { strategy: id % 50 === 0 ? 'beta' : 'alpha', qtyLots: 1000 }));
      tracker.apply(id, { kind: 'SUBMIT', venue: 'v1' });
      if (id % 100 === 0) await turn();
    }
    await turn();
    const given = few.given.slice(1) as Buffer[];
    expect(given).toHaveLength(12);
    // its own bytes (in Node's small-buffer pool at most), not a view of the buffers the events were written in
    for (const b of given) expect(b.buffer.byteLength).toBeLessThanOrEqual(Buffer.poolSize);
    expect(all.given.slice(1)).toHaveLength(600);
  });
});
