/**
 * The API fuzzer: the real paper daemon (`node dist/src/cli.js start -c <copy of config/paper.yaml>`, its worker
 * strategies running, a temporary data directory, the token from SWITCHYARD_API_TOKEN) and a stream of generated
 * requests (bench/lib/api-fuzz-cases.ts) from `concurrency` lanes at once:
 *  - HTTP on keep-alive connections: order submissions (valid and known-invalid bodies, chunked or not, oversized),
 *    every route with odd methods, paths, percent-encoding, headers and credentials;
 *  - malformed request lines and headers, each on a connection of its own;
 *  - WebSocket upgrades with odd paths, credentials and handshakes (some reset by the client at once);
 *  - WebSocket messages on open /v1/stream connections: submits (valid and invalid), cancels, junk; one in ten a
 *    batch frame of 1 to 8 such ops, each op's result checked as a single op's.
 *
 * Counted: `crashes` (the daemon process exited; it is restarted on the same data directory and the run goes on),
 * `status_5xx` (an HTTP answer >= 500, or a WebSocket result whose catalogue code answers >= 500 over HTTP) and
 * `accepted_invalid` (something the generator knows must be refused was accepted: an invalid order answered 201 or
 * ok, a protected route answered 2xx without the token, an upgrade switched without the token or off /v1/stream).
 * At the end the daemon must still be alive and answer GET /health; then it is stopped with SIGTERM.
 *
 * Shared by `npm run fuzz:api` (bench/fuzz-api.ts, 1,000,000 requests) and test/api/api-fuzz.test.ts (20,000).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { parseDocument, YAMLMap, YAMLSeq } from 'yaml';
import { ERROR_CATALOGUE, isErrorCode } from '../../src/model/errors.js';
import { httpCase, malformedRequest, serializeRequest, upgradeCase, wsBatch, wsMessage, type OrderBody } from './api-fuzz-cases.js';
import { rawExchange, ResponseParser, type RawResponse } from './raw-http.js';
import { Prng } from '../../adapters/paper/prng.js';

export interface ApiFuzzOptions {
  /** Requests to send in all (HTTP requests, raw requests, upgrades and WebSocket messages). */
  readonly requests: number;
  /** Lanes sending at the same time (each one request at a time, on its own keep-alive connection). */
  readonly concurrency: number;
  /** WebSocket connections the lanes share for WebSocket messages. */
  readonly wsClients: number;
  readonly seed: number;
  /** One request's deadline (an answer that does not come counts as `no_answer`). */
  readonly requestTimeoutMs?: number;
  /** End the run at the first crash (tests) instead of restarting the daemon and going on (default false). */
  readonly stopOnCrash?: boolean;
  readonly progress?: (line: string) => void;
}

export interface ApiFuzzResult {
  requests: number;
  crashes: number;
  status_5xx: number;
  accepted_invalid: number;
  /** Answers by status class (HTTP) and WebSocket results. */
  byStatus: Record<string, number>;
  /** Requests by kind. */
  byKind: { http: number; raw: number; upgrade: number; ws: number };
  /** Valid orders the daemon accepted (HTTP 201 or WebSocket ok): the valid path was exercised. */
  acceptedValid: number;
  /** Requests that got no answer (connection closed or the deadline passed); malformed ones may be closed unanswered. */
  noAnswer: number;
  /** After the run: the process was alive and GET /health answered 200. */
  healthyAtEnd: boolean;
  /** Exit of the daemon after SIGTERM at the end. */
  exit: { code: number | null; signal: string | null } | null;
  seconds: number;
  /** A few examples of what was counted (for the report). */
  samples: string[];
}

/** The repository root, from sources (bench/lib) or from the build (dist/bench/lib). */
function repoRoot(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  return here.includes('/dist/bench/') ? join(here, '..', '..', '..') : join(here, '..', '..');
}

/** config/paper.yaml as shipped, with the API on a free loopback port and data and token file in `dir`. */
function fuzzConfig(root: string, dir: string): string {
  const doc = parseDocument(readFileSync(join(root, 'config', 'paper.yaml'), 'utf8'));
  const strategies = doc.get('strategies');
  if (strategies instanceof YAMLSeq) {
    for (const s of strategies.items) {
      const module = s instanceof YAMLMap ? s.get('module') : undefined;
      if (typeof module === 'string' && !isAbsolute(module)) (s as YAMLMap).set('module', join(root, 'config', module));
    }
  }
  doc.setIn(['daemon', 'api', 'host'], '127.0.0.1');
  doc.setIn(['daemon', 'api', 'port'], 0);
  doc.setIn(['daemon', 'dataDir'], join(dir, 'data'));
  doc.setIn(['daemon', 'api', 'tokenFile'], join(dir, 'api-token'));
  return doc.toString();
}

/** The daemon as a child process; `exited` is set when it ends. */
class DaemonChild {
  exited: { code: number | null; signal: string | null } | null = null;
  readonly tail: string[] = [];
  readonly ended: Promise<void>;

  private constructor(readonly child: ChildProcess) {
    const keep = (chunk: string): void => {
      for (const line of chunk.split('\n')) if (line.length > 0) this.tail.push(line.slice(0, 500));
      if (this.tail.length > 200) this.tail.splice(0, this.tail.length - 100);
    };
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.ended = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exited = { code, signal };
        resolve();
      });
    });
  }

  static start(root: string, configFile: string, token: string): DaemonChild {
    const env = { ...process.env, SWITCHYARD_API_TOKEN: token };
    const child = spawn(process.execPath, [join(root, 'dist', 'src', 'cli.js'), 'start', '-c', configFile], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    return new DaemonChild(child);
  }

  /** The port from the `listening on http://HOST:PORT` line. */
  async port(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const line of this.tail) {
        const m = /listening on http:\/\/[0-9.]+:(\d+)/.exec(line);
        if (m !== null) return Number(m[1]);
      }
      if (this.exited !== null) throw new Error(`the daemon exited (${JSON.stringify(this.exited)}) before listening:\n${this.tail.join('\n')}`);
      if (Date.now() > deadline) throw new Error(`the daemon is not listening after ${timeoutMs} ms:\n${this.tail.join('\n')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** SIGTERM, then SIGKILL if it has not exited within `timeoutMs`. */
  async stop(timeoutMs: number): Promise<void> {
    if (this.exited !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.ended;
    clearTimeout(timer);
  }
}

/** One keep-alive HTTP connection: a request at a time; reconnects after a close. */
class KeepAlive {
  private socket: Socket | null = null;
  private parser = new ResponseParser();
  private waiting: ((r: RawResponse | null) => void) | null = null;
  private closeAfter = false;

  constructor(private readonly port: () => number) {}

  private open(): Socket {
    const socket = connect({ host: '127.0.0.1', port: this.port() });
    socket.setNoDelay(true);
    this.parser = new ResponseParser();
    const parser = this.parser;
    socket.on('data', (chunk: Buffer) => {
      for (const r of parser.push(chunk)) this.settle(r);
      if (parser.error !== null || parser.upgraded) this.drop();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.socket === socket) {
        for (const r of parser.end()) this.settle(r);
        this.socket = null;
        this.settle(null);
      }
    });
    this.socket = socket;
    return socket;
  }

  private settle(r: RawResponse | null): void {
    const w = this.waiting;
    this.waiting = null;
    if (r !== null && /close/i.test(r.headers.get('connection') ?? '')) this.closeAfter = true;
    w?.(r);
  }

  private drop(): void {
    const s = this.socket;
    this.socket = null;
    s?.destroy();
    this.settle(null);
  }

  /** Send one request; the answer, or null when the connection closed or the deadline passed first. */
  send(bytes: Buffer, head: boolean, timeoutMs: number): Promise<RawResponse | null> {
    if (this.closeAfter) {
      this.closeAfter = false;
      this.drop();
    }
    const socket = this.socket ?? this.open();
    this.parser.expect(head);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting = null;
        this.drop();
        resolve(null);
      }, timeoutMs);
      this.waiting = (r) => {
        clearTimeout(timer);
        resolve(r);
      };
      socket.write(bytes);
    });
  }

  close(): void {
    this.drop();
  }
}

interface WsResult {
  ok?: boolean;
  error?: { code?: string };
}

/** A /v1/stream connection shared by the lanes: messages pipelined, results matched by id (or in order when null). */
class WsLink {
  private ws: WebSocket | null = null;
  private opening: Promise<WebSocket | null> | null = null;
  private readonly byId = new Map<number, (r: WsResult | null) => void>();
  private readonly anonymous: ((r: WsResult | null) => void)[] = [];

  constructor(
    private readonly port: () => number,
    private readonly token: string,
  ) {}

  private connectWs(): Promise<WebSocket | null> {
    if (this.ws !== null && this.ws.readyState === WebSocket.OPEN) return Promise.resolve(this.ws);
    if (this.opening !== null) return this.opening;
    this.opening = new Promise((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${this.port()}/v1/stream`, { headers: { authorization: `Bearer ${this.token}` }, handshakeTimeout: 5000, maxPayload: 64 * 1024 * 1024 });
      ws.on('open', () => {
        this.ws = ws;
        this.opening = null;
        resolve(ws);
      });
      ws.on('message', (data) => this.onMessage(data.toString()));
      ws.on('error', () => undefined);
      ws.on('close', () => {
        if (this.ws === ws) this.ws = null;
        if (this.opening !== null) {
          this.opening = null;
          resolve(null);
        }
        // What was in flight on this connection will not be answered.
        for (const cb of this.byId.values()) cb(null);
        this.byId.clear();
        for (const cb of this.anonymous.splice(0)) cb(null);
      });
    });
    return this.opening;
  }

  private onMessage(text: string): void {
    if (!text.includes('"type":"result"')) return; // order events and the hello: not answers (not parsed: cheaper)
    let msg: { type?: string; id?: unknown } & WsResult;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (msg.type !== 'result') return;
    if (typeof msg.id === 'number' && this.byId.has(msg.id)) {
      const cb = this.byId.get(msg.id)!;
      this.byId.delete(msg.id);
      cb(msg);
    } else this.anonymous.shift()?.(msg);
  }

  /** Send what is answered with nothing (not sent when there is no connection). */
  async fire(text: string | Buffer): Promise<void> {
    const ws = await this.connectWs();
    ws?.send(text);
  }

  /** Send; `id` is the numeric id the message carries (null when it carries none the daemon can echo). */
  async send(text: string | Buffer, id: number | null, timeoutMs: number): Promise<WsResult | null> {
    const ws = await this.connectWs();
    if (ws === null) return null;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        if (id !== null) this.byId.delete(id);
        else {
          const i = this.anonymous.indexOf(done);
          if (i >= 0) this.anonymous.splice(i, 1);
        }
        resolve(null);
      }, timeoutMs);
      const done = (r: WsResult | null): void => {
        clearTimeout(timer);
        resolve(r);
      };
      if (id !== null) this.byId.set(id, done);
      else this.anonymous.push(done);
      ws.send(text);
    });
  }

  /** Send a batch frame; each op's result by its id, in the order of `ids` (null: not answered). */
  async sendBatch(text: string, ids: readonly number[], timeoutMs: number): Promise<(WsResult | null)[]> {
    const ws = await this.connectWs();
    if (ws === null) return ids.map(() => null);
    const answers = ids.map((id) => new Promise<WsResult | null>((resolve) => {
      const timer = setTimeout(() => {
        this.byId.delete(id);
        resolve(null);
      }, timeoutMs);
      this.byId.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
    }));
    ws.send(text);
    return Promise.all(answers);
  }

  close(): void {
    this.ws?.terminate();
  }
}

/** An empty JSON array: a batch of no ops, which the daemon answers with nothing. */
function isEmptyBatch(text: string): boolean {
  try {
    const m: unknown = JSON.parse(text);
    return Array.isArray(m) && m.length === 0;
  } catch {
    return false;
  }
}

/** The numeric id a WebSocket message carries, as the daemon reads it (null: the daemon answers with id null). */
function messageId(text: string): number | null {
  try {
    const m: unknown = JSON.parse(text);
    if (typeof m === 'object' && m !== null && !Array.isArray(m) && typeof (m as { id?: unknown }).id === 'number') return (m as { id: number }).id;
  } catch {
    // not JSON
  }
  return null;
}

export async function runApiFuzz(o: ApiFuzzOptions): Promise<ApiFuzzResult> {
  if (!(o.requests >= 1 && o.concurrency >= 1 && o.wsClients >= 1)) throw new RangeError('requests, concurrency and wsClients must be at least 1');
  const log = o.progress ?? (() => {});
  const timeoutMs = o.requestTimeoutMs ?? 15_000;
  const root = repoRoot();
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-fuzz-'));
  const configFile = join(dir, 'paper.yaml');
  writeFileSync(configFile, fuzzConfig(root, dir));
  const token = randomBytes(24).toString('hex');
  const started = performance.now();

  const r: ApiFuzzResult = {
    requests: 0, crashes: 0, status_5xx: 0, accepted_invalid: 0, byStatus: {}, byKind: { http: 0, raw: 0, upgrade: 0, ws: 0 },
    acceptedValid: 0, noAnswer: 0, healthyAtEnd: false, exit: null, seconds: 0, samples: [],
  };
  const sample = (what: string): void => {
    if (r.samples.length < 20) r.samples.push(what.slice(0, 300));
  };
  /** A WebSocket op's result: a 5xx code is counted, so is an invalid order accepted. */
  const checkWsResult = (res: WsResult, submit: boolean, order: OrderBody | null, what: () => string): void => {
    const code = res.error?.code;
    const status = res.ok === true ? 200 : code !== undefined && isErrorCode(code) ? ERROR_CATALOGUE[code].http : 400;
    r.byStatus.ws = (r.byStatus.ws ?? 0) + 1;
    if (status >= 500) {
      r.status_5xx++;
      sample(`${what()} -> ${JSON.stringify(res).slice(0, 200)}`);
    }
    if (res.ok === true && submit) {
      if (order === null || !order.valid) {
        r.accepted_invalid++;
        sample(`ws accepted invalid (${order?.what}): ${what()}`);
      } else r.acceptedValid++;
    }
  };
  const countStatus = (status: number, what: () => string): void => {
    const key = `${Math.floor(status / 100)}xx`;
    r.byStatus[key] = (r.byStatus[key] ?? 0) + 1;
    if (status >= 500) {
      r.status_5xx++;
      sample(`${status}: ${what()}`);
    }
  };

  let daemon = DaemonChild.start(root, configFile, token);
  let port = await daemon.port(60_000);
  let restarting: Promise<void> | null = null;
  let stopped = false;
  let next = 0;
  /** The daemon died: count it, restart it on the same data directory (the lanes wait), go on. */
  const ensureAlive = async (): Promise<void> => {
    if (daemon.exited === null || stopped) return;
    if (restarting === null) {
      restarting = (async () => {
        r.crashes++;
        sample(`daemon exited ${JSON.stringify(daemon.exited)}; last output:\n${daemon.tail.slice(-15).join('\n')}`);
        if (o.stopOnCrash === true || r.crashes >= 20) {
          log(`daemon exited ${JSON.stringify(daemon.exited)} — stopping the run`);
          stopped = true;
          next = o.requests; // the lanes stop; the result tells
          return;
        }
        log(`daemon exited ${JSON.stringify(daemon.exited)} — restarting it`);
        daemon = DaemonChild.start(root, configFile, token);
        port = await daemon.port(60_000);
        restarting = null;
      })();
    }
    await restarting;
  };

  const links = Array.from({ length: o.wsClients }, () => new WsLink(() => port, token));
  let wsSeq = 0;
  let lastProgress = performance.now();

  const lane = async (laneNo: number): Promise<void> => {
    const rng = new Prng(o.seed * 1000 + laneNo + 1);
    const conn = new KeepAlive(() => port);
    try {
      for (;;) {
        const i = next++;
        if (i >= o.requests) return;
        await ensureAlive();
        r.requests++;
        const k = rng.next();
        if (k < 0.84) {
          r.byKind.http++;
          const c = httpCase(rng, token);
          const t0 = performance.now();
          const res = await conn.send(serializeRequest(c), c.method === 'HEAD', timeoutMs);
          if (res === null) {
            r.noAnswer++;
            if (process.env.FUZZ_DEBUG) sample(`no answer (${Math.round(performance.now() - t0)} ms): ${JSON.stringify(serializeRequest(c).subarray(0, 400).toString('latin1'))}`);
            continue;
          }
          countStatus(res.status, () => `${c.method} ${c.path} -> ${res.body.slice(0, 200)}`);
          if (res.status >= 200 && res.status < 300) {
            if (c.mustRefuse) {
              r.accepted_invalid++;
              sample(`accepted: ${c.method} ${c.path} (${c.credentials} credentials) ${c.body.slice(0, 200)} -> ${res.status}`);
            } else if (c.order !== null && res.status === 201) r.acceptedValid++;
          }
        } else if (k < 0.87) {
          r.byKind.raw++;
          const m = malformedRequest(rng, token);
          const ex = await rawExchange(port, m.bytes, { timeoutMs: Math.min(timeoutMs, 3000), end: rng.next() < 0.5 });
          if (ex.responses.length === 0) {
            r.noAnswer++;
            if (process.env.FUZZ_DEBUG) sample(`raw no answer ${ex.closed} ${ex.socketError}: ${JSON.stringify(m.bytes.subarray(0, 200).toString('latin1'))}`);
          }
          for (const res of ex.responses) countStatus(res.status, () => `raw ${JSON.stringify(m.bytes.subarray(0, 120).toString('latin1'))} -> ${res.body.slice(0, 200)}`);
        } else if (k < 0.9) {
          r.byKind.upgrade++;
          const u = upgradeCase(rng, token);
          const ex = await rawExchange(port, u.bytes, { timeoutMs, reset: u.reset, responses: 1 });
          if (u.reset) continue; // reset at once: nothing to read, the daemon must just survive it
          if (ex.responses.length === 0) {
            r.noAnswer++;
            continue;
          }
          const res = ex.responses[0]!;
          countStatus(res.status, () => `upgrade ${JSON.stringify(u.bytes.subarray(0, 200).toString('latin1'))} -> ${res.body.slice(0, 200)}`);
          if (res.status === 101 && !u.accept) {
            r.accepted_invalid++;
            sample(`upgrade switched: ${JSON.stringify(u.bytes.toString('latin1').slice(0, 300))}`);
          }
        } else {
          r.byKind.ws++;
          if (rng.next() < 0.1) {
            // a batch frame: each op answered by its own result, each checked as a single op's
            const b = wsBatch(rng, wsSeq + 1, 8);
            wsSeq = b.ops[b.ops.length - 1]!.id;
            const results = await links[wsSeq % links.length]!.sendBatch(b.text, b.ops.map((op) => op.id), timeoutMs);
            for (const [k, res] of results.entries()) {
              const op = b.ops[k]!;
              if (res === null) {
                r.noAnswer++;
                continue;
              }
              checkWsResult(res, op.submit, op.order, () => `ws batch op ${op.id} of ${b.text.slice(0, 300)}`);
            }
            continue;
          }
          const id = ++wsSeq;
          const m = wsMessage(rng, id);
          const link = links[id % links.length]!;
          const binary = rng.next() < 0.05;
          if (isEmptyBatch(m.text)) {
            // a batch of no ops is answered with nothing (README, Control API): nothing to wait for
            await link.fire(binary ? Buffer.from(m.text) : m.text);
            continue;
          }
          const res = await link.send(binary ? Buffer.from(m.text) : m.text, messageId(m.text), timeoutMs);
          if (res === null) {
            r.noAnswer++;
            if (process.env.FUZZ_DEBUG) sample(`ws no answer: ${m.text.slice(0, 200)}`);
            continue;
          }
          checkWsResult(res, m.submit, m.order, () => `ws ${m.text.slice(0, 200)}`);
        }
        if (laneNo === 0 && performance.now() - lastProgress > 10_000) {
          lastProgress = performance.now();
          const s = (performance.now() - started) / 1000;
          log(`${r.requests} requests in ${s.toFixed(0)} s (${Math.round(r.requests / s)}/s); 5xx ${r.status_5xx}, accepted invalid ${r.accepted_invalid}, crashes ${r.crashes}, valid orders accepted ${r.acceptedValid}, no answer ${r.noAnswer}`);
        }
      }
    } finally {
      conn.close();
    }
  };

  // A monitor: the daemon process is watched all along (a crash between two requests counts too).
  const monitor = setInterval(() => void ensureAlive().catch(() => undefined), 500);
  try {
    await Promise.all(Array.from({ length: o.concurrency }, (_, i) => lane(i)));
  } finally {
    clearInterval(monitor);
    for (const l of links) l.close();
  }
  await new Promise((res) => setTimeout(res, 200)); // let a crash caused by the last requests show
  if (daemon.exited !== null && stopped) {
    // counted when the run was stopped at it
  } else if (daemon.exited !== null) {
    r.crashes++;
    sample(`daemon exited ${JSON.stringify(daemon.exited)} at the end; last output:\n${daemon.tail.slice(-15).join('\n')}`);
  } else {
    const health = await rawExchange(port, 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', { timeoutMs: 10_000 });
    const h = health.responses[0];
    r.healthyAtEnd = h !== undefined && h.status === 200 && /"status":"ok"/.test(h.body) && daemon.exited === null;
  }
  await daemon.stop(15_000);
  r.exit = daemon.exited;
  r.seconds = Math.round((performance.now() - started) / 100) / 10;
  rmSync(dir, { recursive: true, force: true });
  return r;
}
