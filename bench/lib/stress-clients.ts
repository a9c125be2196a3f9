/**
 * The API producers of the stress test, all in one worker thread (their own event loop and heap, apart from
 * the daemon's main thread), talking to the daemon's API on 127.0.0.1 like external clients:
 *
 *  - HTTP producers: one keep-alive connection each, POST /v1/orders one request at a time (a plain HTTP/1.1
 *    client: the next order goes when the answer to the previous one came). Written on a raw socket to keep
 *    the client side cheap; requests and answers are ordinary HTTP/1.1 with Content-Length.
 *  - WebSocket producers: one connection each to /v1/stream, `{op: 'submit'}` messages pipelined up to
 *    `wsWindow` in flight. The daemon handles a connection's messages in arrival order, so the order in which
 *    a producer sent its accepted submits is the order the daemon accepted them in: that is the FIFO order the
 *    venue must see (a refused submit is sent again later and takes its place in the order then).
 *
 * QUEUE_FULL answers are counted per producer, and the order is sent again after a short wait. Every order is
 * named by its client order id P<producer>S<seq>. Each answer is matched to the order it answers: an acceptance
 * (HTTP 201, a WebSocket result ok) by the client order id of the order it returns, which must be the one the request
 * sent; an answer for no request waiting, for another order or for an order already accepted is counted against the
 * run (AnswerLedger, stress-accounting.ts), never as an acceptance. When all are done the thread posts one 'done'
 * message with each producer's counts and its accepted seqs in the order the daemon accepted them.
 *
 * This file is the worker's entry (the harness starts it with its own URL; from sources it is transpiled first).
 */
import { connect, type Socket } from 'node:net';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { stressClientOrderId, stressProducerOf, stressSeqOf } from './recording-venue.js';
import { AnswerLedger } from './stress-accounting.js';

export const CLIENTS_KIND = 'switchyard-stress-clients';

export interface ClientProducer {
  readonly producer: number;
  readonly strategy: string;
  readonly kind: 'http' | 'ws';
}

export interface ClientsData {
  readonly kind: typeof CLIENTS_KIND;
  readonly port: number;
  readonly token: string;
  readonly producers: readonly ClientProducer[];
  readonly orders: number;
  readonly wsWindow: number;
  /** Int32 [0]: 1 = go. */
  readonly gate: SharedArrayBuffer;
  /** Int32 per producer: orders accepted so far (progress). */
  readonly progress: SharedArrayBuffer;
  /** file: URL of the `ws` package (resolved by the harness, so this file needs no package resolution). */
  readonly wsUrl: string;
}

export interface ClientResult {
  readonly producer: number;
  readonly kind: 'http' | 'ws';
  readonly accepted: number;
  readonly queueFull: number;
  readonly errors: number;
  readonly errorSamples: readonly string[];
  /** The seqs the daemon accepted, each once, in the order it accepted them (its answers matched to the orders). */
  readonly acceptedOrder: Int32Array;
  /** Answers accepting an order already accepted. */
  readonly duplicateAnswers: number;
  /** Answers for no request waiting, or naming another order than the one asked about. */
  readonly strayAnswers: number;
}

export type ClientsMessage = { type: 'ready' } | { type: 'done'; results: ClientResult[] } | { type: 'failed'; message: string };

const RETRY_MS = 1;

function orderBody(strategy: string, producer: number, seq: number): Record<string, unknown> {
  return {
    // sells a tick above the buys: a producer's orders never cross each other (self-trade prevention passes them)
    strategy, symbol: 'BTC-USDT', side: (seq & 1) === 1 ? 'BUY' : 'SELL', price: (seq & 1) === 1 ? '60000' : '60000.01', quantity: '0.001', clientOrderId: stressClientOrderId(producer, seq),
  };
}

/** The seq of this producer's order an answer's order view names (its clientOrderId), or -1. */
function answeredSeq(producer: number, cid: string | undefined): number {
  return cid !== undefined && stressProducerOf(cid) === producer ? stressSeqOf(cid) : -1;
}

const CLIENT_ORDER_ID_KEY = '"clientOrderId":"';

/** The client order id in an order view's JSON text (letters and digits: no escapes), or undefined. */
function clientOrderIdIn(json: string): string | undefined {
  const at = json.indexOf(CLIENT_ORDER_ID_KEY);
  if (at < 0) return undefined;
  const from = at + CLIENT_ORDER_ID_KEY.length;
  const to = json.indexOf('"', from);
  return to < 0 ? undefined : json.slice(from, to);
}

abstract class Producer {
  readonly ledger: AnswerLedger;
  queueFull = 0;
  errors = 0;
  readonly errorSamples: string[] = [];
  done = false;

  constructor(
    readonly p: ClientProducer,
    readonly orders: number,
    readonly progress: Int32Array,
    readonly onDone: () => void,
  ) {
    this.ledger = new AnswerLedger(orders);
  }

  get accepted(): number {
    return this.ledger.count;
  }

  protected error(text: string): void {
    this.errors++;
    if (this.errorSamples.length < 5) this.errorSamples.push(text);
  }

  protected finish(): void {
    if (this.done) return;
    this.done = true;
    this.onDone();
  }

  abstract open(): Promise<void>;
  abstract start(): void;
  abstract close(): void;

  /** The accepted seqs in the order the daemon accepted them: here, the order the answers came in. */
  protected acceptedOrder(): Int32Array {
    return this.ledger.acceptedOrder();
  }

  result(): ClientResult {
    const l = this.ledger;
    return {
      producer: this.p.producer, kind: this.p.kind, accepted: l.count, queueFull: this.queueFull, errors: this.errors, errorSamples: this.errorSamples,
      acceptedOrder: this.acceptedOrder(), duplicateAnswers: l.duplicates, strayAnswers: l.stray,
    };
  }
}

/** One keep-alive HTTP/1.1 connection, one request at a time. */
class HttpProducer extends Producer {
  private socket: Socket | undefined;
  private buffer = '';
  private seq = 1;
  /** The seq of the request waiting for its answer; -1 none. */
  private asked = -1;
  private readonly head: string;

  constructor(p: ClientProducer, orders: number, progress: Int32Array, onDone: () => void, readonly port: number, token: string) {
    super(p, orders, progress, onDone);
    this.head = `POST /v1/orders HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\n`;
  }

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = connect(this.port, '127.0.0.1', () => resolve());
      s.setNoDelay(true);
      s.setEncoding('latin1');
      s.once('error', reject);
      s.on('error', (e) => this.error(`connection error: ${e.message}`));
      s.on('data', (chunk: string) => this.onData(chunk));
      s.on('close', () => {
        if (!this.done) this.error('connection closed by the daemon');
        this.finish();
      });
      this.socket = s;
    });
  }

  start(): void {
    this.send();
  }

  close(): void {
    this.socket?.destroy();
  }

  private send(): void {
    if (this.seq > this.orders) {
      this.finish();
      this.socket?.end();
      return;
    }
    const body = JSON.stringify(orderBody(this.p.strategy, this.p.producer, this.seq));
    this.asked = this.seq;
    this.socket!.write(`${this.head}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const header = this.buffer.slice(0, end);
      const m = /\r\ncontent-length:\s*(\d+)/i.exec(header);
      const length = m === null ? 0 : Number(m[1]);
      if (this.buffer.length < end + 4 + length) return;
      const status = Number(header.slice(9, 12));
      const body = this.buffer.slice(end + 4, end + 4 + length);
      this.buffer = this.buffer.slice(end + 4 + length);
      this.onAnswer(status, body);
    }
  }

  private onAnswer(status: number, body: string): void {
    const asked = this.asked;
    this.asked = -1;
    if (status === 201) {
      const named = answeredSeq(this.p.producer, clientOrderIdIn(body));
      if (this.ledger.accept(asked, named)) this.progress[this.p.producer] = this.accepted;
      else if (asked < 0) return; // an answer no request was waiting for: counted, nothing to go on with
      else this.error(`seq ${asked}: answered 201 for ${named < 0 ? 'no order of this producer' : `seq ${named}`}`);
      this.seq++;
      this.send();
      return;
    }
    if (asked < 0) {
      this.ledger.unmatched();
      return;
    }
    let code = `HTTP ${status}`;
    try {
      code = (JSON.parse(body) as { error?: { code?: string } }).error?.code ?? code;
    } catch {
      // not JSON: keep the status
    }
    if (code === 'QUEUE_FULL') {
      this.queueFull++;
      setTimeout(() => this.send(), RETRY_MS); // the same order again
      return;
    }
    this.error(`seq ${this.seq}: ${code}`);
    this.seq++;
    this.send();
  }

}

interface WsLike {
  readonly readyState: number;
  send(data: string): void;
  close(): void;
  terminate(): void;
  on(event: 'open', cb: () => void): void;
  on(event: 'message', cb: (data: Buffer) => void): void;
  on(event: 'error', cb: (e: Error) => void): void;
  on(event: 'close', cb: () => void): void;
}
type WsCtor = new (url: string) => WsLike;

const QUOTE = 0x22;
const E = 0x65;

/** One WebSocket connection, submits pipelined up to `window` in flight. */
class WsProducer extends Producer {
  private ws: WsLike | undefined;
  private next = 1;
  private readonly retry: number[] = [];
  private inflight = 0;
  /** Per submit sent (its op id): the seq it sent, and its answer (0 none yet, 1 accepted, 2 QUEUE_FULL, 3 error). */
  private attempts: Int32Array;
  private status: Uint8Array;
  private attemptCount = 0;
  private retryArmed = false;
  private finished = 0;

  constructor(p: ClientProducer, orders: number, progress: Int32Array, onDone: () => void, private readonly url: string, private readonly window: number, private readonly Ws: WsCtor) {
    super(p, orders, progress, onDone);
    this.attempts = new Int32Array(orders * 2);
    this.status = new Uint8Array(orders * 2);
  }

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new this.Ws(this.url);
      ws.on('open', () => resolve());
      ws.on('error', (e) => {
        this.error(`websocket error: ${e.message}`);
        reject(e);
      });
      ws.on('close', () => {
        if (!this.done) this.error('websocket closed by the daemon');
        this.finish();
      });
      ws.on('message', (data) => this.onMessage(data));
      this.ws = ws;
    });
  }

  start(): void {
    this.pump();
  }

  close(): void {
    this.ws?.terminate();
  }

  private pump(): void {
    while (this.inflight < this.window) {
      let seq: number;
      if (this.retry.length > 0) seq = this.retry.shift()!;
      else if (this.next <= this.orders) seq = this.next++;
      else break;
      const attempt = this.attemptCount++;
      if (attempt === this.attempts.length) this.growAttempts();
      this.attempts[attempt] = seq;
      this.inflight++;
      this.ws!.send(JSON.stringify({ op: 'submit', id: attempt, order: orderBody(this.p.strategy, this.p.producer, seq) }));
    }
    if (this.finished === this.orders && this.inflight === 0) {
      this.finish();
      this.ws!.close();
    }
  }

  private onMessage(data: Buffer): void {
    // {"type":"event",...} are the daemon's order events (every client gets them all): skip without parsing
    if (data.length > 9 && data[8] === QUOTE && data[9] === E) return;
    const m = JSON.parse(data.toString('utf8')) as { type?: string; id?: unknown; ok?: boolean; error?: { code?: string }; order?: { clientOrderId?: string } };
    if (m.type !== 'result') return;
    const id = m.id;
    // the submit this result answers: one sent and not answered yet
    const waiting = typeof id === 'number' && Number.isInteger(id) && id >= 0 && id < this.attemptCount && this.status[id] === 0;
    if (!waiting) {
      if (m.ok === true) this.ledger.accept(-1, answeredSeq(this.p.producer, m.order?.clientOrderId));
      else this.ledger.unmatched();
      return;
    }
    this.inflight--;
    const seq = this.attempts[id]!;
    if (m.ok === true) {
      this.status[id] = 1;
      this.finished++;
      const named = answeredSeq(this.p.producer, m.order?.clientOrderId);
      if (this.ledger.accept(seq, named)) this.progress[this.p.producer] = this.accepted;
      else {
        this.status[id] = 3;
        this.error(`seq ${seq}: result ok for ${named < 0 ? 'no order of this producer' : `seq ${named}`}`);
      }
    } else if (m.error?.code === 'QUEUE_FULL') {
      this.status[id] = 2;
      this.queueFull++;
      this.retry.push(seq);
      if (!this.retryArmed) {
        // back off a little before sending refused orders (and new ones) again
        this.retryArmed = true;
        setTimeout(() => {
          this.retryArmed = false;
          this.pump();
        }, RETRY_MS);
      }
      return;
    } else {
      this.status[id] = 3;
      this.finished++;
      this.error(`seq ${seq}: ${m.error?.code ?? 'unknown error'}`);
    }
    if (!this.retryArmed) this.pump();
    else if (this.finished === this.orders && this.inflight === 0) this.pump();
  }

  /** The order the submits were sent in (the daemon takes a connection's messages in that order), not their results'. */
  protected override acceptedOrder(): Int32Array {
    const order = new Int32Array(this.accepted);
    let k = 0;
    for (let i = 0; i < this.attemptCount; i++) if (this.status[i] === 1) order[k++] = this.attempts[i]!;
    return order;
  }

  private growAttempts(): void {
    const a = new Int32Array(this.attempts.length * 2);
    a.set(this.attempts);
    this.attempts = a;
    const s = new Uint8Array(this.status.length * 2);
    s.set(this.status);
    this.status = s;
  }

}

type WaitAsync = (a: Int32Array, i: number, v: number, t?: number) => { async: boolean; value: Promise<string> | string };

async function runClients(d: ClientsData): Promise<void> {
  const port = parentPort!;
  const progress = new Int32Array(d.progress);
  const gate = new Int32Array(d.gate);
  const wsMod = (await import(d.wsUrl)) as { default?: WsCtor; WebSocket?: WsCtor };
  const Ws = (wsMod.WebSocket ?? wsMod.default) as WsCtor;
  let left = d.producers.length;
  const producers: Producer[] = [];
  const onDone = (): void => {
    if (--left === 0) port.postMessage({ type: 'done', results: producers.map((x) => x.result()) } satisfies ClientsMessage);
  };
  for (const p of d.producers) {
    producers.push(p.kind === 'http'
      ? new HttpProducer(p, d.orders, progress, onDone, d.port, d.token)
      // each WebSocket producer follows its own strategy's events only, as a client of the API would
      : new WsProducer(p, d.orders, progress, onDone, `ws://127.0.0.1:${d.port}/v1/stream?token=${encodeURIComponent(d.token)}&strategy=${encodeURIComponent(p.strategy)}`, d.wsWindow, Ws));
  }
  await Promise.all(producers.map((x) => x.open()));
  port.postMessage({ type: 'ready' } satisfies ClientsMessage);
  const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;
  while (Atomics.load(gate, 0) === 0) {
    const w = waitAsync(gate, 0, 0, 1000);
    if (w.async) await w.value;
  }
  for (const x of producers) x.start();
  port.on('message', (m: { type?: string }) => {
    if (m.type === 'close') for (const x of producers) x.close();
  });
}

if (!isMainThread && (workerData as { kind?: string } | undefined)?.kind === CLIENTS_KIND) {
  runClients(workerData as ClientsData).catch((e: unknown) => {
    parentPort!.postMessage({ type: 'failed', message: e instanceof Error ? e.stack ?? e.message : String(e) } satisfies ClientsMessage);
  });
}
