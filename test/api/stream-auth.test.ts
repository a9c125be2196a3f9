import { connect, type Socket } from 'node:net';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH_FAILED_CLOSE_CODE, AUTH_MESSAGE_WAIT_MS, MAX_AWAITING_AUTH, MAX_BODY_BYTES } from '../../src/api/http-server.js';
import { AUTH_CLOSE_GRACE_MS } from '../../src/api/stream-socket.js';
import { CLOSE_GRACE_MS } from '../../src/api/event-stream.js';
import { pollUntil } from '../helpers/poll.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

/*
 * How a /v1/stream client gives its token: the Authorization header, ?token=, or — asked for with ?auth=message —
 * the first message {"op":"auth","token":"..."} within AUTH_MESSAGE_WAIT_MS (else closed with 4001).
 */
let t: TestDaemon;

beforeAll(async () => {
  t = await startTestDaemon([], undefined, { workers: false });
}, 60_000);

afterAll(async () => {
  await t?.stop();
});

interface Outcome {
  readonly status?: number;
  readonly messages: string[];
  readonly closeCode?: number;
}

/** Connect to `url`, send `first` once open (if given), and collect until closed or `untilMessages` arrived. */
function session(url: string, o: { first?: string | Buffer; untilMessages?: number; timeoutMs?: number } = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { handshakeTimeout: 5000 });
    const messages: string[] = [];
    const timer = setTimeout(() => finish({ messages }), o.timeoutMs ?? 10_000);
    const finish = (r: Outcome): void => {
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      ws.terminate();
      resolve(r);
    };
    ws.on('unexpected-response', (_req, res) => finish({ status: res.statusCode, messages }));
    ws.on('open', () => {
      if (o.first !== undefined) ws.send(o.first);
    });
    ws.on('message', (data) => {
      messages.push(data.toString());
      if (o.untilMessages !== undefined && messages.length >= o.untilMessages) finish({ messages });
    });
    ws.on('close', (code) => finish({ messages, closeCode: code }));
    ws.on('error', () => undefined);
  });
}

describe('/v1/stream authentication', () => {
  it('?auth=message: the first message carries the token, then hello and order ops as usual', async () => {
    const r = await session(`${t.wsUrl}?auth=message`, { first: JSON.stringify({ op: 'auth', token: t.token }), untilMessages: 1 });
    expect(r.messages.map((m) => (JSON.parse(m) as { type: string }).type)).toEqual(['hello']);
  });

  it('?auth=message with a wrong token, another first message, or none in time: closed with 4001, no events', async () => {
    for (const first of [JSON.stringify({ op: 'auth', token: 'wrong-token-0123456789abcdef' }), JSON.stringify({ op: 'submit', order: {} }), 'not json']) {
      const r = await session(`${t.wsUrl}?auth=message`, { first });
      expect({ first, closeCode: r.closeCode, messages: r.messages }).toEqual({ first, closeCode: AUTH_FAILED_CLOSE_CODE, messages: [] });
    }
    const started = Date.now();
    const silent = await session(`${t.wsUrl}?auth=message`, { timeoutMs: AUTH_MESSAGE_WAIT_MS + 5000 });
    expect(silent.closeCode).toBe(AUTH_FAILED_CLOSE_CODE);
    expect(Date.now() - started).toBeGreaterThanOrEqual(AUTH_MESSAGE_WAIT_MS - 100);
  }, 30_000);

  it('?auth=message: the auth message may come as a binary frame of UTF-8 text; bytes that are not UTF-8 close the socket with 1007', async () => {
    const ok = await session(`${t.wsUrl}?auth=message`, { first: Buffer.from(JSON.stringify({ op: 'auth', token: t.token })), untilMessages: 1 });
    expect(ok.messages.map((m) => (JSON.parse(m) as { type: string }).type)).toEqual(['hello']);
    const bad = Buffer.concat([Buffer.from(`{"op":"auth","token":"${t.token}`), Buffer.from([0xff]), Buffer.from('"}')]);
    const r = await session(`${t.wsUrl}?auth=message`, { first: bad });
    expect({ closeCode: r.closeCode, messages: r.messages }).toEqual({ closeCode: 1007, messages: [] });
  });

  it('without ?auth=message, no token is still a 401 at the upgrade; ?token= and the header still work', async () => {
    expect((await session(t.wsUrl)).status).toBe(401);
    expect((await session(`${t.wsUrl}?token=wrong-token-0123456789abcdef&auth=message`)).status).toBe(401);
    const q = await session(`${t.wsUrl}?token=${t.token}`, { untilMessages: 1 });
    expect(JSON.parse(q.messages[0]!)).toMatchObject({ type: 'hello' });
  });

  it(`at most ${MAX_AWAITING_AUTH} sockets wait for their auth message: the next upgrade without a token is a 401, counted in /health`, async () => {
    const open = (): Promise<WebSocket> => new Promise((resolve, reject) => {
      const ws = new WebSocket(`${t.wsUrl}?auth=message`, { handshakeTimeout: 5000 });
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    });
    const waiting: WebSocket[] = [];
    try {
      for (let i = 0; i < MAX_AWAITING_AUTH; i++) waiting.push(await open()); // control: up to the bound they open
      const health = async (): Promise<{ awaitingAuth: number; awaitingAuthRefused: number }> => (await t.api.get('/health', { token: null })).body.streamAuth;
      expect(await health()).toEqual({ awaitingAuth: MAX_AWAITING_AUTH, awaitingAuthRefused: 0 });
      expect((await session(`${t.wsUrl}?auth=message`)).status).toBe(401);
      expect(await health()).toEqual({ awaitingAuth: MAX_AWAITING_AUTH, awaitingAuthRefused: 1 });
      // one authenticates: it no longer waits, and room is made for another
      const first = waiting[0]!;
      const hello = new Promise<string>((resolve) => first.once('message', (d) => resolve(d.toString())));
      first.send(JSON.stringify({ op: 'auth', token: t.token }));
      expect(JSON.parse(await hello)).toMatchObject({ type: 'hello' });
      await pollUntil(health, (h) => h.awaitingAuth === MAX_AWAITING_AUTH - 1, { timeoutMs: 5000, what: 'one fewer waiting' });
      waiting.push(await open());
    } finally {
      for (const ws of waiting) ws.terminate();
    }
    await pollUntil(async () => (await t.api.get('/health', { token: null })).body.streamAuth, (h) => h.awaitingAuth === 0, { timeoutMs: 5000, what: 'none waiting' });
  }, 30_000);
  it('a socket the daemon closes with 4001 gives its auth slot back at once, even if its client never answers the close frame', async () => {
    // Clients that open ?auth=message, send nothing, and never answer the close frame (ws would keep such a socket
    // CLOSING for its 30 s close timeout): as many as there are slots, all closed with 4001 after AUTH_MESSAGE_WAIT_MS.
    const silent: Socket[] = [];
    const health = async (): Promise<{ awaitingAuth: number; awaitingAuthRefused: number }> => (await t.api.get('/health', { token: null })).body.streamAuth;
    const refusedBefore = (await health()).awaitingAuthRefused;
    try {
      const closes = Array.from({ length: MAX_AWAITING_AUTH }, () => silentClient(silent));
      const codes = await Promise.all(closes);
      expect(codes).toEqual(Array.from({ length: MAX_AWAITING_AUTH }, () => AUTH_FAILED_CLOSE_CODE));
      // the daemon decided to close them: no slot is held any more, though none of them answered
      expect(await health()).toEqual({ awaitingAuth: 0, awaitingAuthRefused: refusedBefore });
      // and a good client is let in (not a 401 for want of a slot)
      const r = await session(`${t.wsUrl}?auth=message`, { first: JSON.stringify({ op: 'auth', token: t.token }), untilMessages: 1 });
      expect(r.status).toBeUndefined();
      expect(r.messages.map((m) => (JSON.parse(m) as { type: string }).type)).toEqual(['hello']);
    } finally {
      for (const s of silent) s.destroy();
    }
    await pollUntil(health, (h) => h.awaitingAuth === 0, { timeoutMs: 5000, what: 'none waiting' });
  }, 30_000);

  it(`a socket closed with 4001 whose client never answers the close frame is ended ${AUTH_CLOSE_GRACE_MS} ms later, not after ws's 30 s`, async () => {
    // silent clients (closed when AUTH_MESSAGE_WAIT_MS is over) and clients whose first message has a wrong token
    // (closed at once); none answers the close frame, none ends its side
    const sockets: Socket[] = [];
    const endWithinMs = AUTH_CLOSE_GRACE_MS + 10_000; // ws alone ends them 30 s after the close frame
    try {
      const wrong = clientFrame(1, Buffer.from(JSON.stringify({ op: 'auth', token: 'wrong-token-0123456789abcdef' })));
      const clients = [
        ...Array.from({ length: 8 }, () => rawStream(sockets, { auth: 'message', endWithinMs })),
        ...Array.from({ length: 8 }, () => rawStream(sockets, { auth: 'message', send: wrong, endWithinMs })),
      ];
      expect(await Promise.all(clients.map((c) => c.closeCode))).toEqual(clients.map(() => AUTH_FAILED_CLOSE_CODE));
      const after = await Promise.all(clients.map((c) => c.ended));
      for (const ms of after) expect(ms).toBeGreaterThanOrEqual(AUTH_CLOSE_GRACE_MS / 2); // given the grace (less what the close frame took to be read here), then ended
    } finally {
      for (const s of sockets) s.destroy();
    }
  }, 40_000);

  it(`a socket the daemon closes for what its client sent (1007, 1009) is ended ${CLOSE_GRACE_MS} ms later if its client never answers the close frame`, async () => {
    const sockets: Socket[] = [];
    const endWithinMs = CLOSE_GRACE_MS + 10_000;
    try {
      const notUtf8 = rawStream(sockets, { auth: 'header', send: clientFrame(2, Buffer.from([0x7b, 0xff, 0x7d])), endWithinMs });
      const tooBig = rawStream(sockets, { auth: 'header', send: clientFrame(1, Buffer.from(JSON.stringify({ op: 'cancel', id: 1, orderId: 'x'.repeat(MAX_BODY_BYTES) }))), endWithinMs });
      expect([await notUtf8.closeCode, await tooBig.closeCode]).toEqual([1007, 1009]);
      for (const ms of await Promise.all([notUtf8.ended, tooBig.ended])) expect(ms).toBeGreaterThanOrEqual(CLOSE_GRACE_MS / 2);
    } finally {
      for (const s of sockets) s.destroy();
    }
  }, 60_000);
});

/**
 * A raw ?auth=message client that upgrades, then sends nothing and never answers a close frame (pushed on `sockets`):
 * resolves with the close code of the first close frame it gets (rejects if the upgrade fails or no close frame comes).
 */
function silentClient(sockets: Socket[]): Promise<number> {
  return rawStream(sockets, { auth: 'message' }).closeCode;
}

interface RawStream {
  /** The code of the first close frame the daemon sends (rejects if the upgrade fails or none comes in time). */
  readonly closeCode: Promise<number>;
  /** Resolves when the daemon ends the TCP connection, with the ms from its close frame; rejects after `endWithinMs`. */
  readonly ended: Promise<number>;
}

/**
 * A raw /v1/stream client that never answers a close frame (pushed on `sockets`). `auth: 'header'` upgrades with the
 * token and sends `send` (frames) once hello has come; `auth: 'message'` upgrades with ?auth=message and sends `send`
 * at once (nothing: a silent client). `ended` waits at most `endWithinMs` after the close frame for the daemon to end
 * the connection.
 */
function rawStream(sockets: Socket[], o: { auth: 'header' | 'message'; send?: Buffer; endWithinMs?: number }): RawStream {
  const { hostname, port } = new URL(t.wsUrl);
  const s = connect(Number(port), hostname);
  sockets.push(s);
  let closedAt = -1;
  let gaveUp = '';
  const ended = new Promise<number>((resolve, reject) => {
    s.once('close', () => {
      if (closedAt < 0) reject(new Error('connection ended before a close frame'));
      else if (gaveUp !== '') reject(new Error(gaveUp));
      else resolve(Date.now() - closedAt);
    });
  });
  ended.catch(() => undefined); // awaited by the tests that want it
  const closeCode = new Promise<number>((resolve, reject) => {
    let buf = Buffer.alloc(0);
    let upgraded = false;
    let sent = false;
    const timer = setTimeout(() => reject(new Error('no close frame within AUTH_MESSAGE_WAIT_MS + 15 s')), AUTH_MESSAGE_WAIT_MS + 15_000);
    const sendOnce = (): void => {
      if (sent || o.send === undefined) return;
      sent = true;
      s.write(o.send);
    };
    s.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    s.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (!upgraded) {
        const headersEnd = buf.indexOf('\r\n\r\n');
        if (headersEnd < 0) return;
        const status = buf.subarray(0, buf.indexOf('\r\n')).toString();
        if (!status.startsWith('HTTP/1.1 101')) {
          clearTimeout(timer);
          reject(new Error(`upgrade refused: ${status}`));
          return;
        }
        upgraded = true;
        buf = buf.subarray(headersEnd + 4);
        if (o.auth === 'message') sendOnce();
      }
      // the daemon's frames (not masked): hello and events, then a close frame
      for (;;) {
        if (buf.length < 2) return;
        let length = buf[1]! & 0x7f;
        let at = 2;
        if (length === 126) {
          if (buf.length < 4) return;
          length = buf.readUInt16BE(2);
          at = 4;
        } else if (length === 127) {
          if (buf.length < 10) return;
          length = Number(buf.readBigUInt64BE(2));
          at = 10;
        }
        if (buf.length < at + length) return;
        const opcode = buf[0]! & 0x0f;
        const payload = buf.subarray(at, at + length);
        buf = buf.subarray(at + length);
        if (opcode === 0x8) {
          clearTimeout(timer);
          closedAt = Date.now();
          const endWithin = o.endWithinMs ?? 60_000;
          const limit = setTimeout(() => {
            gaveUp = `the daemon did not end the connection within ${endWithin} ms of its close frame`;
            s.destroy();
          }, endWithin);
          s.once('close', () => clearTimeout(limit));
          resolve(payload.readUInt16BE(0));
          return;
        }
        sendOnce(); // hello came (auth: 'header')
      }
    });
  });
  closeCode.catch(() => undefined);
  const headers = o.auth === 'header' ? `Authorization: Bearer ${t.token}\r\n` : '';
  s.write(`GET /v1/stream${o.auth === 'message' ? '?auth=message' : ''} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n${headers}`
    + 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
  return { closeCode, ended };
}

/** A client's frame (FIN, masked): opcode 1 text, 2 binary. */
function clientFrame(opcode: number, payload: Buffer): Buffer {
  const head = payload.length < 126 ? Buffer.from([0x80 | opcode, 0x80 | payload.length]) : Buffer.from([0x80 | opcode, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  return Buffer.concat([head, mask, payload.map((b, i) => b ^ mask[i & 3]!)]);
}
