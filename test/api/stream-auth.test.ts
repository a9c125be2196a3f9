import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH_FAILED_CLOSE_CODE, AUTH_MESSAGE_WAIT_MS, MAX_AWAITING_AUTH } from '../../src/api/http-server.js';
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
function session(url: string, o: { first?: string; untilMessages?: number; timeoutMs?: number } = {}): Promise<Outcome> {
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
});
