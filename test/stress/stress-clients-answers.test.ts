/**
 * bench:stress's API producers (bench/lib/stress-clients.ts, in their own thread as the bench runs them) against a
 * server on 127.0.0.1 that plays the daemon's answers wrongly on purpose: an acceptance naming an order already
 * accepted (HTTP: in answer to the next request; WebSocket: the same result twice). Each answer must be matched to the
 * order it names: the duplicate is counted as such, never as one more accepted order.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { CLIENTS_KIND, type ClientProducer, type ClientResult, type ClientsData, type ClientsMessage } from '../../bench/lib/stress-clients.js';
import { transpileModuleGraph } from '../../src/strategy/module-loader.js';

let dir: string;
let entry: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'switchyard-stress-clients-'));
  entry = await transpileModuleGraph(fileURLToPath(new URL('../../bench/lib/stress-clients.ts', import.meta.url)), dir);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const cid = (seq: number): string => `P000S${seq}`;

/** Runs one producer of `kind` with `orders` orders against the server on `port`; its result. */
async function runProducer(kind: 'http' | 'ws', port: number, orders: number): Promise<ClientResult> {
  const producer: ClientProducer = { producer: 0, strategy: 's000', kind };
  const gate = new Int32Array(new SharedArrayBuffer(4));
  const data: ClientsData = {
    kind: CLIENTS_KIND, port, token: 't', producers: [producer], orders, wsWindow: 8, gate: gate.buffer as SharedArrayBuffer,
    progress: new SharedArrayBuffer(4), wsUrl: pathToFileURL(createRequire(import.meta.url).resolve('ws')).href,
  };
  const w = new Worker(pathToFileURL(entry), { workerData: data });
  try {
    return await new Promise<ClientResult>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the producer did not finish in 15 s')), 15_000);
      w.on('message', (m: ClientsMessage) => {
        if (m.type === 'ready') {
          Atomics.store(gate, 0, 1);
          Atomics.notify(gate, 0);
        } else if (m.type === 'done') {
          clearTimeout(timer);
          resolve(m.results[0]!);
        } else {
          clearTimeout(timer);
          reject(new Error(m.message));
        }
      });
      w.on('error', reject);
    });
  } finally {
    await w.terminate();
  }
}

function listen(server: Server | WebSocketServer): Promise<number> {
  return new Promise((resolve) => {
    if (server instanceof WebSocketServer) server.on('listening', () => resolve((server.address() as { port: number }).port));
    else server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
  });
}

describe('stress API producers match each answer to the order it names', () => {
  it('HTTP: a 201 naming an order already accepted, in answer to the next one, is a duplicate answer, not an acceptance', async () => {
    // the k-th request is answered 201 with the order view of seq answers[k]: the second names the first again
    const answers = [1, 1, 3];
    let k = 0;
    const server = createServer((s: Socket) => {
      let buf = '';
      s.setEncoding('latin1');
      s.on('data', (chunk: string) => {
        buf += chunk;
        for (;;) {
          const end = buf.indexOf('\r\n\r\n');
          if (end < 0) return;
          const length = Number(/content-length:\s*(\d+)/i.exec(buf.slice(0, end))![1]);
          if (buf.length < end + 4 + length) return;
          buf = buf.slice(end + 4 + length);
          const body = JSON.stringify({ orderId: 100 + k, clientOrderId: cid(answers[k++]!), state: 'SUBMITTED' });
          s.write(`HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
        }
      });
      s.on('error', () => {});
    });
    const port = await listen(server);
    try {
      const r = await runProducer('http', port, 3);
      expect(k).toBe(3);
      expect(r).toMatchObject({ accepted: 2, duplicateAnswers: 1, strayAnswers: 0, errors: 1 });
      expect([...r.acceptedOrder]).toEqual([1, 3]);
      expect(r.errorSamples).toEqual(['seq 2: answered 201 for seq 1']);
    } finally {
      server.close();
    }
  });

  it('WebSocket: a result given twice for one submit is a duplicate answer; one for no submit sent is stray', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    wss.on('connection', (ws) => {
      ws.on('message', (data) => {
        const op = JSON.parse(data.toString()) as { id: number; order: { clientOrderId: string } };
        const result = JSON.stringify({ type: 'result', id: op.id, ok: true, order: { orderId: 100 + op.id, clientOrderId: op.order.clientOrderId } });
        ws.send(result);
        if (op.id === 0) {
          ws.send(result); // the same answer again
          ws.send(JSON.stringify({ type: 'result', id: 99, ok: false, error: { code: 'QUEUE_FULL' } })); // no submit 99 was sent
        }
      });
    });
    const port = await listen(wss);
    try {
      const r = await runProducer('ws', port, 2);
      expect(r).toMatchObject({ accepted: 2, duplicateAnswers: 1, strayAnswers: 1, errors: 0, queueFull: 0 });
      expect([...r.acceptedOrder]).toEqual([1, 2]);
    } finally {
      wss.close();
    }
  });
});
