import { EventEmitter } from 'node:events';

/**
 * A stand-in for a `ws` WebSocket that the event stream writes to (src/api/event-stream.ts): open, always reading,
 * keeping every frame it is sent as text, in order.
 */
export class FrameSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  readonly frames: string[] = [];
  readonly _socket = { cork: (): void => undefined, uncork: (): void => undefined };

  send(data: string | Uint8Array): void {
    this.frames.push(typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString());
  }

  close(): void {
    this.readyState = 2;
  }
}
