/**
 * A websocket that stays connected: connect, session set-up (log in, subscribe) through `onOpen`, heartbeats,
 * reconnect with exponential backoff and jitter, request/reply correlation by id with timeouts.
 *
 *  - Heartbeat: every `heartbeatMs` a ping (a ping frame, or the text 'ping' for OKX); a connection that has been
 *    silent (no message, no pong) for two intervals is dropped and reconnected.
 *  - Reconnect: after any close, unless stopped; the backoff resets once a session is ready again.
 *  - Requests: `request()` waits for a ready session (up to its timeout; if none, the request was never sent:
 *    not-sent), sends, and resolves with the reply the owner hands to `resolve(id, reply)`. No reply in time, or the
 *    connection lost meanwhile, is an unknown outcome: the request may have executed.
 */
import type { Logger } from 'pino';
import WebSocket from 'ws';
import { Backoff } from './backoff.js';
import { notSent, timeoutError, unknownOutcome } from './errors.js';

export type WsState = 'idle' | 'connecting' | 'session' | 'ready' | 'stopped';

export interface WsConnectionOptions {
  readonly name: string;
  readonly url: string;
  readonly log: Logger;
  readonly heartbeatMs: number;
  readonly heartbeat: 'ping-frame' | 'text-ping';
  readonly reconnect: { readonly minMs: number; readonly maxMs: number };
  /** Connect timeout, ms. */
  readonly connectTimeoutMs: number;
  /** Session set-up on a fresh socket (log in, subscribe). Throw to drop the socket and reconnect. */
  readonly onOpen: (conn: WsConnection) => Promise<void>;
  /** Every text message but heartbeat replies. */
  readonly onMessage: (text: string) => void;
  /** A heartbeat reply arrived (the text 'pong', or a pong frame): the peer is alive. */
  readonly onHeartbeat?: () => void;
  /** The socket closed (after `ready` or not). */
  readonly onClose?: (reason: string, wasReady: boolean) => void;
  /** A connection attempt or session set-up failed. */
  readonly onConnectFailure?: (reason: string) => void;
}

interface Pending {
  resolve: (reply: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
  what: string;
}

export class WsConnection {
  private ws: WebSocket | undefined;
  private current: WsState = 'idle';
  private readonly backoff: Backoff;
  private readonly pending = new Map<string, Pending>();
  private readyWaiters: Array<() => void> = [];
  private heartbeat: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private lastHeard = 0;
  /** Connections made (the first one included). */
  connects = 0;

  constructor(private readonly options: WsConnectionOptions) {
    this.backoff = new Backoff({ minMs: options.reconnect.minMs, maxMs: options.reconnect.maxMs });
  }

  get state(): WsState {
    return this.current;
  }

  get ready(): boolean {
    return this.current === 'ready';
  }

  start(): void {
    if (this.current !== 'idle') return;
    this.connect();
  }

  async stop(): Promise<void> {
    this.current = 'stopped';
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    this.stopHeartbeat();
    this.failPending('connection closed (adapter stopping)');
    for (const w of this.readyWaiters) w();
    this.readyWaiters = [];
    const ws = this.ws;
    this.ws = undefined;
    if (ws !== undefined && ws.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          ws.terminate();
          resolve();
        }, 1000);
        ws.once('close', () => {
          clearTimeout(t);
          resolve();
        });
        ws.close();
      });
    }
  }

  /** Resolves true once a session is ready, false after `ms` (or when stopped). */
  waitReady(ms: number): Promise<boolean> {
    if (this.current === 'ready') return Promise.resolve(true);
    if (this.current === 'stopped') return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.readyWaiters = this.readyWaiters.filter((w) => w !== done);
        resolve(false);
      }, ms);
      const done = (): void => {
        clearTimeout(timer);
        resolve(this.current === 'ready');
      };
      this.readyWaiters.push(done);
    });
  }

  /** Sends on the open socket (false when it is not open). */
  send(data: string | object): boolean {
    const ws = this.ws;
    if (ws === undefined || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(typeof data === 'string' ? data : JSON.stringify(data));
    return true;
  }

  /**
   * Sends `payload` and resolves with the reply for `id`. `session`: allowed before the session is ready (log in,
   * subscribe); otherwise waits for a ready session within the timeout.
   */
  async request<T>(id: string, payload: object, timeoutMs: number, what: string, session = false): Promise<T> {
    const started = Date.now();
    if (!session && this.current !== 'ready') {
      const ok = await this.waitReady(timeoutMs);
      if (!ok) throw notSent(`${this.options.name}: not connected (${what} not sent)`, 'VENUE_UNAVAILABLE', true);
    }
    const left = Math.max(1, timeoutMs - (Date.now() - started));
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(timeoutError(`${this.options.name} ${what}`, timeoutMs));
      }, left);
      this.pending.set(id, { resolve: resolve as (r: unknown) => void, reject, timer, what });
      if (!this.send(payload)) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(notSent(`${this.options.name}: not connected (${what} not sent)`, 'VENUE_UNAVAILABLE', true));
      }
    });
  }

  /** Hands a reply to the request waiting for `id`; false when none waits (late reply after a timeout). */
  resolve(id: string, reply: unknown): boolean {
    const p = this.pending.get(id);
    if (p === undefined) return false;
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.resolve(reply);
    return true;
  }

  /** Drops the socket (reconnects unless stopped). */
  drop(reason: string): void {
    this.options.log.warn({ venue: this.options.name, reason }, 'dropping websocket');
    this.ws?.terminate();
  }

  private connect(): void {
    if (this.current === 'stopped') return;
    this.current = 'connecting';
    this.connects++;
    const ws = new WebSocket(this.options.url, { handshakeTimeout: this.options.connectTimeoutMs });
    this.ws = ws;
    let wasReady = false;
    let failed = false;
    const fail = (reason: string): void => {
      if (failed) return;
      failed = true;
      this.options.onConnectFailure?.(reason);
    };
    ws.on('open', () => {
      if (this.current === 'stopped') return;
      this.current = 'session';
      this.lastHeard = Date.now();
      this.startHeartbeat(ws);
      this.options
        .onOpen(this)
        .then(() => {
          if (this.ws !== ws || this.current !== 'session') return;
          this.current = 'ready';
          wasReady = true;
          this.backoff.reset();
          for (const w of this.readyWaiters) w();
          this.readyWaiters = [];
        })
        .catch((err: unknown) => {
          const reason = err instanceof Error ? err.message : String(err);
          this.options.log.warn({ venue: this.options.name, reason }, 'websocket session set-up failed');
          fail(reason);
          ws.terminate();
        });
    });
    ws.on('message', (data, isBinary) => {
      this.lastHeard = Date.now();
      if (isBinary) return;
      const text = data.toString();
      if (text === 'pong') {
        this.options.onHeartbeat?.();
        return;
      }
      try {
        this.options.onMessage(text);
      } catch (err) {
        this.options.log.error({ venue: this.options.name, err: err instanceof Error ? err.message : String(err) }, 'websocket message handler threw');
      }
    });
    ws.on('pong', () => {
      this.lastHeard = Date.now();
      this.options.onHeartbeat?.();
    });
    ws.on('error', (err) => {
      if (!wasReady) fail(err.message);
    });
    ws.on('close', (code, reasonBuf) => {
      if (this.ws === ws) this.ws = undefined;
      this.stopHeartbeat();
      const reason = `closed (${code}${reasonBuf.length > 0 ? ` ${reasonBuf.toString()}` : ''})`;
      if (!wasReady) fail(reason);
      this.failPending(`connection lost: ${reason}`);
      if (this.current === 'stopped') return;
      this.current = 'connecting';
      this.options.onClose?.(reason, wasReady);
      const delay = this.backoff.next();
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = undefined;
        this.connect();
      }, delay);
    });
  }

  private failPending(reason: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(unknownOutcome(`${this.options.name} ${p.what}: ${reason}`));
    }
  }

  private startHeartbeat(ws: WebSocket): void {
    this.stopHeartbeat();
    this.heartbeat = setInterval(() => {
      if (Date.now() - this.lastHeard > 2 * this.options.heartbeatMs) {
        this.options.log.warn({ venue: this.options.name }, 'websocket silent for two heartbeats: reconnecting');
        ws.terminate();
        return;
      }
      if (ws.readyState !== WebSocket.OPEN) return;
      if (this.options.heartbeat === 'ping-frame') ws.ping();
      else ws.send('ping');
    }, this.options.heartbeatMs);
  }

  private stopHeartbeat(): void {
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}
