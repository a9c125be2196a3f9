/**
 * The HTTP clients of bench:load: one keep-alive connection each on a bare socket, POST /v1/orders one request at a
 * time (the next goes when the answer came, as autocannon drives a server), at most `window` orders per client
 * waiting for their acknowledgement, flat out or at a rate. Written on a raw socket so that the client side costs
 * little; requests and answers are ordinary HTTP/1.1 with Content-Length. The same code drives the daemon and the
 * bare node:http server of the transport run: there the 201 answer is the acknowledgement (`ackOnResponse`);
 * against the daemon the acknowledgement is the order's ACCEPT event on the event stream (ws-load.ts), and an
 * answer other than 201 is an error counted by its code.
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { clientOrderId, orderJson } from './orders.js';
import { allowedByNow, msUntilNext } from './pacer.js';
import type { LoadTally } from './tally.js';

export interface HttpClientOptions {
  readonly port: number;
  readonly token: string;
  readonly strategy: string;
  readonly client: number;
  readonly tag: string;
  readonly tally: LoadTally;
  /** Orders per second for this client (0: flat out). */
  readonly ratePerS: number;
  /** The 201 answer acknowledges the order (the bare server); otherwise the event stream does. */
  readonly ackOnResponse: boolean;
  /** The request's target: `/v1/orders?result=ids` for a lean client (ws-load.ts streamQuery), `/v1/orders` for a full one. */
  readonly target: string;
}

const HEAD_END = '\r\n\r\n';

export class HttpLoadClient {
  private socket: Socket | undefined;
  private buf = '';
  private busy = false;
  private current = -1;
  private stopping = false;
  private dead = false;
  /** Set by start(): nothing is sent before (a frame or reply read while connecting must not start the clock). */
  private t0 = -1;
  private timer: NodeJS.Timeout | undefined;
  private readonly head: string;
  /** Bytes of the answer bodies (to size the bare server's answers like the daemon's). */
  bodyBytes = 0;
  answers = 0;

  constructor(private readonly o: HttpClientOptions) {
    this.head = `POST ${o.target} HTTP/1.1\r\nHost: 127.0.0.1:${o.port}\r\nAuthorization: Bearer ${o.token}\r\nContent-Type: application/json\r\nContent-Length: `;
  }

  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = connect(this.o.port, '127.0.0.1');
      s.setNoDelay(true);
      s.setEncoding('latin1');
      s.once('connect', () => {
        s.removeListener('error', reject);
        s.on('error', () => this.fail('CONNECTION_ERROR'));
        s.on('close', () => this.fail('CONNECTION_CLOSED'));
        resolve();
      });
      s.once('error', reject);
      s.on('data', (d: string) => this.onData(d));
      this.socket = s;
    });
  }

  start(t0: number): void {
    this.t0 = t0;
    this.next();
  }

  /** Sends the next order if the connection is idle, the window has room and the rate allows. */
  next(): void {
    if (this.busy || this.stopping || this.dead || this.timer !== undefined || this.t0 < 0) return;
    const t = this.o.tally;
    if (!t.canSend()) return; // kicked again when an acknowledgement frees room
    const now = performance.now();
    if (this.o.ratePerS > 0 && t.counter >= allowedByNow(this.o.ratePerS, this.t0, now)) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.next();
      }, msUntilNext(this.o.ratePerS, this.t0, now, t.counter));
      return;
    }
    const n = t.sent(now);
    const body = orderJson(this.o.strategy, n, clientOrderId(this.o.tag, this.o.client, n));
    this.current = n;
    this.busy = true;
    this.socket!.write(this.head + body.length + HEAD_END + body, 'latin1');
  }

  /** No new orders from now on (the answer of the one in flight is still read). */
  stop(): void {
    this.stopping = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  close(): void {
    this.stop();
    this.dead = true;
    this.socket?.destroy();
  }

  private onData(d: string): void {
    this.buf = this.buf.length === 0 ? d : this.buf + d;
    for (;;) {
      const end = this.buf.indexOf(HEAD_END);
      if (end < 0) return;
      const headText = this.buf.slice(0, end);
      const m = /\r\ncontent-length: *(\d+)/i.exec(headText);
      if (m === null) {
        this.fail('BAD_ANSWER');
        this.socket?.destroy();
        return;
      }
      const len = Number(m[1]);
      if (this.buf.length < end + 4 + len) return;
      const status = Number(headText.slice(9, 12));
      const body = this.buf.slice(end + 4, end + 4 + len);
      this.buf = this.buf.slice(end + 4 + len);
      this.onAnswer(status, body);
    }
  }

  private onAnswer(status: number, body: string): void {
    const n = this.current;
    this.busy = false;
    this.current = -1;
    this.answers++;
    this.bodyBytes += body.length;
    const now = performance.now();
    if (status === 201) {
      if (this.o.ackOnResponse) this.o.tally.ack(n, now);
    } else {
      let code = `HTTP_${status}`;
      try {
        const e = (JSON.parse(body) as { error?: { code?: unknown } }).error;
        if (typeof e?.code === 'string') code = e.code;
      } catch {
        // not JSON: the status is the code
      }
      this.o.tally.error(n, code, now);
    }
    this.next();
  }

  private fail(code: string): void {
    if (this.dead) return;
    this.dead = true;
    if (this.busy && this.current >= 0) this.o.tally.error(this.current, code, performance.now());
    this.busy = false;
  }
}
