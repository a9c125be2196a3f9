/**
 * The WebSocket clients of bench:load, on /v1/stream (the `ws` package): submits pipelined up to `window` orders
 * waiting for their acknowledgement, flat out or at a rate; with `batch`, each turn's submits go as one frame holding
 * a JSON array of ops (at most `frameMax`), and the connection asks for `?batch=1` (the daemon then sends each turn's
 * messages as one frame holding an array). Incoming frames are read either way: an array of messages or one message.
 * Whether the daemon takes array frames is probed first (one array frame with a cancel of an unknown order: its
 * result comes back with the probe's id when arrays are understood, with id null when the array was taken for one
 * malformed op); when it does not, the client falls back to one frame per op and says so (`batchFrames` false).
 *
 * Messages: `result` ok false is an error counted by its code; an order event is applied by applyEvent (ACCEPT is
 * the acknowledgement, fills counted); an echoed op (`op: submit`, the bare echo server of the transport run) is its
 * own acknowledgement. A WsEventReader is the same socket reading events only (the HTTP clients' acknowledgements).
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { ACK_EVENTS, applyEvent, clientOrderId, orderJson, type StreamEvent } from './orders.js';
import { allowedByNow, msUntilNext } from './pacer.js';
import type { LoadTally } from './tally.js';

interface Message extends StreamEvent {
  readonly type?: string;
  readonly op?: string;
  readonly id?: number | string | null;
  readonly ok?: boolean;
  readonly error?: { readonly code?: string };
}

const PROBE_ID = 'load-probe';

/** One socket to /v1/stream (or the bare echo server) and the messages it reads. */
class StreamSocket {
  ws: WebSocket | undefined;
  /** true/false once the probe was answered (batch mode only). */
  batchFrames: boolean | undefined;
  private hello: (() => void) | undefined;
  private probed: ((ok: boolean) => void) | undefined;
  frames = 0;
  messages = 0;

  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly tag: string,
    private readonly tallies: readonly LoadTally[],
    private readonly own: LoadTally | undefined,
    /** Called after each frame was handled. */
    private readonly after: () => void,
    /** The bare echo server sends no hello. */
    private readonly expectHello: boolean,
  ) {}

  async open(): Promise<void> {
    const ws = new WebSocket(this.url, { headers: { authorization: `Bearer ${this.token}` }, perMessageDeflate: false });
    this.ws = ws;
    const hello = new Promise<void>((resolve, reject) => {
      this.hello = resolve;
      ws.once('error', reject);
      ws.once('close', (code, reason) => reject(new Error(`stream closed before hello: ${code} ${reason.toString()}`)));
      if (!this.expectHello) ws.once('open', () => resolve());
    });
    ws.on('message', (data) => this.onFrame(data.toString()));
    await hello;
    ws.removeAllListeners('error');
    ws.removeAllListeners('close');
    ws.on('error', () => undefined);
  }

  /** Sends one array frame with an op the daemon answers at once; resolves whether arrays are understood. */
  probe(timeoutMs = 5000): Promise<boolean> {
    return new Promise((resolve) => {
      const t = setTimeout(() => done(false), timeoutMs);
      const done = (ok: boolean): void => {
        clearTimeout(t);
        this.probed = undefined;
        this.batchFrames = ok;
        resolve(ok);
      };
      this.probed = done;
      this.ws!.send(`[{"op":"cancel","id":"${PROBE_ID}","orderId":"${this.tag}probe"}]`);
    });
  }

  private onFrame(text: string): void {
    this.frames++;
    const now = performance.now();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return;
    }
    if (Array.isArray(parsed)) for (const m of parsed as Message[]) this.onMessage(m, now);
    else this.onMessage(parsed as Message, now);
    this.after();
  }

  private onMessage(m: Message, now: number): void {
    this.messages++;
    if (m.type === 'event') {
      applyEvent(m, this.tag, this.tallies, now);
      return;
    }
    if (m.type === 'result') {
      if (m.id === PROBE_ID) this.probed?.(true);
      else if (m.id === null) this.probed?.(false);
      else if (m.ok === false && typeof m.id === 'number') this.own?.error(m.id, m.error?.code ?? 'UNKNOWN', now);
      return;
    }
    if (m.type === 'hello') {
      this.hello?.();
      this.hello = undefined;
      return;
    }
    if (m.op === 'submit' && typeof m.id === 'number') this.own?.ack(m.id, now); // the bare echo
    else if (m.id === PROBE_ID) this.probed?.(true); // the echo of the probe's array frame
  }

  close(): void {
    this.ws?.terminate();
  }
}

export interface WsClientOptions {
  /** ws://127.0.0.1:PORT/v1/stream (the query is added here). */
  readonly base: string;
  readonly token: string;
  readonly strategy: string;
  readonly client: number;
  readonly tag: string;
  readonly tallies: readonly LoadTally[];
  readonly ratePerS: number;
  /** Array frames of up to frameMax ops (and ?batch=1). */
  readonly batch: boolean;
  readonly frameMax: number;
  /** The bare echo server (no hello, no query). */
  readonly echo: boolean;
  /** Every event of the strategy and results with the whole order (default: LEAN_STREAM). */
  readonly fullStream?: boolean;
}

/**
 * What a lean load client asks of the stream: only the events it acts on (`event=`: ACK_EVENTS), and results that name
 * the order by its ids (`result=ids`: the client reads only a result's ok and error). `--full-stream`: neither.
 */
export function streamQuery(fullStream: boolean | undefined): string {
  return fullStream === true ? '' : `&event=${ACK_EVENTS.join(',')}&result=ids`;
}

/** The HTTP clients' POST target: a lean client asks for the order's ids only in the 201 answer (`?result=ids`). */
export function submitTarget(fullStream: boolean | undefined): string {
  return fullStream === true ? '/v1/orders' : '/v1/orders?result=ids';
}

export class WsLoadClient {
  private readonly socket: StreamSocket;
  private readonly tally: LoadTally;
  private stopping = false;
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  /** Set by start(): nothing is sent before (a frame or reply read while connecting must not start the clock). */
  private t0 = -1;
  private useBatch: boolean;
  private readonly parts: string[] = [];

  constructor(private readonly o: WsClientOptions) {
    this.tally = o.tallies[o.client]!;
    const query = o.echo ? '' : `?strategy=${o.strategy}${o.batch ? '&batch=1' : ''}${streamQuery(o.fullStream)}`;
    this.socket = new StreamSocket(o.base + query, o.token, o.tag, o.tallies, this.tally, () => this.schedule(), !o.echo);
    this.useBatch = o.batch;
  }

  /** Connects; with batch, probes whether array frames are understood (false: one frame per op from now on). */
  async connect(): Promise<boolean | undefined> {
    await this.socket.open();
    if (this.o.batch) this.useBatch = await this.socket.probe();
    return this.o.batch ? this.useBatch : undefined;
  }

  get frames(): { in: number; messages: number } {
    return { in: this.socket.frames, messages: this.socket.messages };
  }

  start(t0: number): void {
    this.t0 = t0;
    this.pump();
  }

  stop(): void {
    this.stopping = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  close(): void {
    this.stop();
    this.socket.close();
  }

  private schedule(): void {
    if (this.scheduled || this.stopping || this.timer !== undefined) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.stopping || this.t0 < 0) return;
    const ws = this.socket.ws!;
    if (ws.readyState !== WebSocket.OPEN) return;
    const t = this.tally;
    const now = performance.now();
    const allowed = allowedByNow(this.o.ratePerS, this.t0, now);
    let k = 0;
    while (k < this.o.frameMax && t.canSend() && t.counter < allowed) {
      const n = t.sent(now);
      const op = `{"op":"submit","id":${n},"order":${orderJson(this.o.strategy, n, clientOrderId(this.o.tag, this.o.client, n))}}`;
      if (this.useBatch) this.parts.push(op);
      else ws.send(op);
      k++;
    }
    if (this.parts.length > 0) {
      ws.send(`[${this.parts.join(',')}]`);
      this.parts.length = 0;
    }
    if (this.o.ratePerS > 0 && t.counter >= allowed && t.canSend()) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.pump();
      }, msUntilNext(this.o.ratePerS, this.t0, performance.now(), t.counter));
    } else if (k === this.o.frameMax && t.canSend()) {
      this.schedule(); // the frame was full: more next turn
    }
    // else: the window is full; the next frame read schedules a pump
  }
}

/** A socket reading events only: the acknowledgements of the HTTP clients' orders. */
export class WsEventReader {
  private readonly socket: StreamSocket;

  constructor(base: string, token: string, strategies: readonly string[], tag: string, tallies: readonly LoadTally[], after: () => void, fullStream?: boolean) {
    this.socket = new StreamSocket(`${base}?strategy=${strategies.join(',')}&batch=1${streamQuery(fullStream)}`, token, tag, tallies, undefined, after, true);
  }

  open(): Promise<void> {
    return this.socket.open();
  }

  close(): void {
    this.socket.close();
  }
}
