/**
 * HTTP/1.1 on a bare socket, for the API fuzzer (bench/lib/api-fuzz.ts) and the hostile-input tests: requests are
 * written as raw bytes — malformed ones included, which no HTTP client library would send — and answers are parsed
 * here. What the control API and Node's HTTP server send is understood: bodies by Content-Length (every API answer
 * has one) or chunked (Node's own 417), interim 1xx responses, a 101 (after which the socket carries WebSocket
 * frames) and a body read to the close.
 */
import { connect, type Socket } from 'node:net';

export interface RawResponse {
  readonly status: number;
  /** Header names in lower case; a repeated header keeps its last value. */
  readonly headers: ReadonlyMap<string, string>;
  readonly body: string;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');

/** Incremental response parser: push what the socket gives, take the complete responses. */
export class ResponseParser {
  private buf: Buffer = Buffer.alloc(0);
  /** A 101 was seen: the bytes after it are not HTTP. */
  upgraded = false;
  /** Set when the bytes are not an HTTP response (the parser then stops). */
  error: string | null = null;
  /** Per response still expected: true when it answers a HEAD (headers only, whatever Content-Length says). */
  private readonly heads: boolean[] = [];

  /** The next response answers a HEAD request (call once per request sent, in order, when it is one). */
  expect(head: boolean): void {
    this.heads.push(head);
  }

  push(chunk: Buffer): RawResponse[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: RawResponse[] = [];
    while (!this.upgraded && this.error === null && this.buf.length > 0) {
      const r = this.one(false);
      if (r === null) break;
      if (r.status >= 100 && r.status < 200 && r.status !== 101) continue; // interim (100 Continue)
      out.push(r);
    }
    return out;
  }

  /** The connection closed: a response without Content-Length ends here. */
  end(): RawResponse[] {
    if (this.upgraded || this.error !== null || this.buf.length === 0) return [];
    const r = this.one(true);
    if (r === null && this.error === null) this.error = `truncated response (${this.buf.length} bytes)`;
    return r === null ? [] : [r];
  }

  private one(atEnd: boolean): RawResponse | null {
    const headEnd = this.buf.indexOf(CRLFCRLF);
    if (headEnd < 0) return null;
    const lines = this.buf.subarray(0, headEnd).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(lines[0]!);
    if (m === null) {
      this.error = `not an HTTP status line: ${JSON.stringify(lines[0]!.slice(0, 80))}`;
      return null;
    }
    const status = Number(m[1]);
    const headers = new Map<string, string>();
    for (let i = 1; i < lines.length; i++) {
      const c = lines[i]!.indexOf(':');
      if (c > 0) headers.set(lines[i]!.slice(0, c).trim().toLowerCase(), lines[i]!.slice(c + 1).trim());
    }
    const start = headEnd + 4;
    const interim = status >= 100 && status < 200;
    const head = interim ? false : (this.heads.shift() ?? false);
    let length: number;
    if (interim || head || status === 204 || status === 304) length = 0;
    else if (/chunked/i.test(headers.get('transfer-encoding') ?? '')) return this.chunked(status, headers, start);
    else if (headers.has('content-length')) length = Number(headers.get('content-length'));
    else if (atEnd) length = this.buf.length - start;
    else return null;
    if (!Number.isSafeInteger(length) || length < 0) {
      this.error = `bad Content-Length ${headers.get('content-length')}`;
      return null;
    }
    if (this.buf.length < start + length) return null;
    const body = this.buf.subarray(start, start + length).toString('utf8');
    this.buf = this.buf.subarray(start + length);
    if (status === 101) this.upgraded = true;
    return { status, headers, body };
  }

  /** A chunked body from `start`: the response once its last chunk (and trailers) arrived, else null. */
  private chunked(status: number, headers: Map<string, string>, start: number): RawResponse | null {
    const parts: Buffer[] = [];
    let at = start;
    for (;;) {
      const eol = this.buf.indexOf('\r\n', at);
      if (eol < 0) return null;
      const size = parseInt(this.buf.subarray(at, eol).toString('latin1').split(';')[0]!, 16);
      if (!Number.isSafeInteger(size) || size < 0) {
        this.error = 'bad chunk size';
        return null;
      }
      if (size === 0) {
        const end = this.buf.indexOf(CRLFCRLF, eol);
        if (end < 0 && this.buf.length < eol + 4) return null;
        const stop = this.buf.subarray(eol, eol + 4).equals(CRLFCRLF) ? eol + 4 : end < 0 ? -1 : end + 4;
        if (stop < 0) return null;
        this.buf = this.buf.subarray(stop);
        return { status, headers, body: Buffer.concat(parts).toString('utf8') };
      }
      if (this.buf.length < eol + 2 + size + 2) return null;
      parts.push(this.buf.subarray(eol + 2, eol + 2 + size));
      at = eol + 2 + size + 2;
    }
  }
}

export interface ExchangeOptions {
  readonly timeoutMs: number;
  /** Half-close after writing (the server may still answer). Default false. */
  readonly end?: boolean;
  /** Reset the connection right after writing, without reading an answer. Default false. */
  readonly reset?: boolean;
  /** How many of the requests written are HEAD requests, in order (see ResponseParser.expect). */
  readonly heads?: readonly boolean[];
  /** Stop (and destroy the socket) once this many final responses arrived. Default: wait for the close. */
  readonly responses?: number;
}

export interface ExchangeResult {
  readonly responses: RawResponse[];
  /** The server closed the connection (or the socket errored) before the deadline. */
  readonly closed: boolean;
  readonly upgraded: boolean;
  readonly parseError: string | null;
  readonly socketError: string | null;
}

/** Connect to 127.0.0.1:port, write `data`, collect the answers until close, `responses` answers or the deadline. */
export function rawExchange(port: number, data: Buffer | string, o: ExchangeOptions): Promise<ExchangeResult> {
  return new Promise((resolve) => {
    const parser = new ResponseParser();
    for (const h of o.heads ?? []) parser.expect(h);
    const responses: RawResponse[] = [];
    let socketError: string | null = null;
    let done = false;
    const socket: Socket = connect({ host: '127.0.0.1', port });
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (closed) responses.push(...parser.end());
      socket.destroy();
      resolve({ responses, closed, upgraded: parser.upgraded, parseError: parser.error, socketError });
    };
    const timer = setTimeout(() => finish(false), o.timeoutMs);
    socket.on('connect', () => {
      socket.write(data);
      if (o.reset === true) {
        socket.resetAndDestroy();
        finish(true);
      } else if (o.end === true) socket.end();
    });
    socket.on('data', (chunk: Buffer) => {
      responses.push(...parser.push(chunk));
      if (o.responses !== undefined && responses.length >= o.responses) finish(false);
      else if (parser.upgraded || parser.error !== null) finish(false);
    });
    socket.on('error', (err) => {
      socketError = (err as NodeJS.ErrnoException).code ?? err.message;
    });
    socket.on('close', () => finish(true));
  });
}
