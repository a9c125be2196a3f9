/**
 * acceptStreamSocket (src/api/stream-socket.ts) with a socket that sends its auth message only after the daemon's wait
 * ended: closed with 4001, a message ws still hands over before the client's close frame arrives must not start the
 * stream on the closing socket. A stand-in socket (the ws fields the function uses) and fake timers: the real network
 * cannot place a message in that instant on purpose.
 */
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { acceptStreamSocket, AUTH_MESSAGE_WAIT_MS, type StreamSocketDeps } from '../../src/api/stream-socket.js';
import type { WebSocket } from 'ws';

class StandInSocket extends EventEmitter {
  readonly OPEN = 1;
  readonly CLOSING = 2;
  readonly CLOSED = 3;
  readyState = 1;
  readonly closes: number[] = [];
  close(code: number): void {
    this.closes.push(code);
    this.readyState = this.CLOSING;
  }
  terminate(): void {
    this.readyState = this.CLOSED;
    this.emit('close');
  }
}

afterEach(() => {
  vi.useRealTimers();
});

describe('?auth=message: an auth message after the wait ended', () => {
  it('is not read: the socket closed with 4001 is never added to the event stream', () => {
    vi.useFakeTimers();
    const added: unknown[] = [];
    const deps = {
      stream: { add: (ws: unknown) => void added.push(ws) },
      auth: { check: (t: string) => t === 'good-token' },
    } as unknown as StreamSocketDeps;
    let over = 0;
    const ws = new StandInSocket();
    acceptStreamSocket(deps, ws as unknown as WebSocket, new URLSearchParams(), false, () => over++);
    vi.advanceTimersByTime(AUTH_MESSAGE_WAIT_MS + 1);
    expect(ws.closes).toEqual([4001]);
    expect(over).toBe(1);
    // the client's auth message, sent before it read the close frame
    ws.emit('message', Buffer.from(JSON.stringify({ op: 'auth', token: 'good-token' })), false);
    expect(added).toEqual([]);
    expect(over).toBe(1);
    // (and in time it is read: the same socket, the message before the wait ended, is added)
    const ok = new StandInSocket();
    acceptStreamSocket(deps, ok as unknown as WebSocket, new URLSearchParams(), false, () => over++);
    ok.emit('message', Buffer.from(JSON.stringify({ op: 'auth', token: 'good-token' })), false);
    expect(added).toEqual([ok]);
  });
});
