/**
 * The skeleton the native websocket adapters (binance-ws, okx-ws) share: one reconnecting websocket
 * (ws-connection.ts) carries order entry and the execution-report stream. The venue's session set-up (log in,
 * subscribe) runs on every (re)connect and calls streamUp() once the subscription is confirmed; a closed socket is
 * streamDown() (REST polling until it is back) and a failed connect counts for the circuit breaker. Orders go only
 * while the socket is up (transportReady), and the breaker's half-open probe checks it before its REST read. Each
 * text message that is JSON goes to the venue's onMessage; anything else is dropped.
 */
import { BaseVenueAdapter, type BaseAdapterOptions } from './base-adapter.js';
import { WsConnection } from './ws-connection.js';

export type Json = Record<string, unknown>;

export interface WsAdapterOptions extends BaseAdapterOptions {
  readonly ws: {
    readonly url: string;
    /** A ping frame (Binance) or the text 'ping' (OKX). */
    readonly heartbeat: 'ping-frame' | 'text-ping';
    /** What the socket is, for the probe's error ('websocket API', 'private websocket'). */
    readonly what: string;
  };
}

export abstract class WsVenueAdapter extends BaseVenueAdapter {
  protected readonly ws: WsConnection;
  private readonly what: string;
  private seq = 0;

  constructor(options: WsAdapterOptions) {
    super(options);
    this.what = options.ws.what;
    this.ws = new WsConnection({
      name: options.name,
      url: options.ws.url,
      log: options.log,
      heartbeatMs: options.settings.heartbeatMs,
      heartbeat: options.ws.heartbeat,
      reconnect: options.settings.reconnect,
      connectTimeoutMs: options.settings.requestTimeoutMs,
      onOpen: () => this.session(),
      onMessage: (text) => this.onText(text),
      onClose: (reason) => this.streamDown(`websocket ${reason}`),
      onConnectFailure: (reason) => this.breaker.failure(`websocket: ${reason}`),
    });
  }

  /** Session set-up on every (re)connect; calls streamUp() once the execution-report subscription is confirmed. */
  protected abstract session(): Promise<void>;

  /** One message from the socket (replies by id, stream events). */
  protected abstract onMessage(msg: Json): void;

  protected async openStream(): Promise<void> {
    this.ws.start();
    await this.waitStream(this.settings.streamStartTimeoutMs);
  }

  protected async closeTransport(): Promise<void> {
    await this.ws.stop();
  }

  protected override transportReady(): boolean {
    return this.ws.ready;
  }

  protected override async probe(): Promise<void> {
    if (!this.ws.ready) throw new Error(`${this.what} not connected`);
    await super.probe();
  }

  /** A request id unique on this adapter's socket. */
  protected nextId(): string {
    return `sy${(++this.seq).toString(36)}`;
  }

  private onText(text: string): void {
    let msg: Json;
    try {
      msg = JSON.parse(text) as Json;
    } catch {
      return;
    }
    this.onMessage(msg);
  }
}
