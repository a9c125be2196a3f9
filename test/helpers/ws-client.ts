import WebSocket from 'ws';
import { nextMatching } from './poll.js';

/** A WebSocket client for /v1/stream that records every message it receives. */
export class StreamClient {
  readonly messages: any[] = [];
  private readonly listeners = new Set<(msg: any) => void>();
  private closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString());
      this.messages.push(msg);
      for (const l of [...this.listeners]) l(msg);
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  /** Connect with `Authorization: Bearer token`; resolves once open. */
  static connect(url: string, token: string, timeoutMs = 5000): Promise<StreamClient> {
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` }, handshakeTimeout: timeoutMs });
    const client = new StreamClient(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
    });
  }

  /** The first message (already received or still to come) that satisfies `match`. */
  next(match: (msg: any) => boolean, timeoutMs = 5000, what = 'a stream message'): Promise<any> {
    const seen = this.messages.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return nextMatching<any>((cb) => {
      this.listeners.add(cb);
      return () => this.listeners.delete(cb);
    }, match, { timeoutMs, what });
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  /** Send a request with an id and wait for its result. */
  async request(msg: Record<string, unknown> & { id: string | number }, timeoutMs = 5000): Promise<any> {
    this.send(msg);
    return this.next((m) => m.type === 'result' && m.id === msg.id, timeoutMs, `result ${msg.id}`);
  }

  events(): any[] {
    return this.messages.filter((m) => m.type === 'event');
  }

  whenClosed(): Promise<{ code: number; reason: string }> {
    return this.closed;
  }

  close(): Promise<{ code: number; reason: string }> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
    return this.closed;
  }
}

/**
 * Try an upgrade and report how it ended: 'open' or the HTTP status of the refusal.
 * `headers` may carry an Authorization header or not.
 */
export function tryUpgrade(url: string, headers: Record<string, string> = {}, timeoutMs = 5000): Promise<'open' | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, handshakeTimeout: timeoutMs });
    ws.once('open', () => {
      ws.close();
      resolve('open');
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.once('error', (err) => reject(err));
  });
}
