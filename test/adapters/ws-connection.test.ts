/**
 * The reconnecting websocket of the native adapters, against a bare local ws server: heartbeats detect a silent
 * peer, reconnects re-run the session set-up, replies are matched by id, a request lost with the connection has an
 * unknown outcome, and a request that could not be sent says so.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { VenueError } from '../../adapters/common/errors.js';
import { WsConnection } from '../../adapters/common/ws-connection.js';
import { log, until } from './helpers.js';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function server(options: { autoPong?: boolean; onMessage?: (ws: WebSocket, text: string) => void } = {}): Promise<{ wss: WebSocketServer; url: string; sockets: Set<WebSocket> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, autoPong: options.autoPong ?? true });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const sockets = new Set<WebSocket>();
  wss.on('connection', (ws) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    ws.on('message', (d) => options.onMessage?.(ws, String(d)));
  });
  cleanup.push(() => new Promise<void>((resolve) => {
    for (const s of sockets) s.terminate();
    wss.close(() => resolve());
  }));
  return { wss, url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, sockets };
}

function connection(url: string, over: Partial<ConstructorParameters<typeof WsConnection>[0]> = {}): WsConnection {
  const c = new WsConnection({
    name: 'test',
    url,
    log,
    heartbeatMs: 100,
    heartbeat: 'ping-frame',
    reconnect: { minMs: 20, maxMs: 100 },
    connectTimeoutMs: 1000,
    onOpen: async () => undefined,
    onMessage: () => undefined,
    ...over,
  });
  cleanup.push(() => c.stop());
  return c;
}

describe('WsConnection', () => {
  test('a peer that stops answering pings is dropped and the session set up again', async () => {
    const s = await server({ autoPong: false });
    let sessions = 0;
    const c = connection(s.url, { onOpen: async () => void sessions++ });
    c.start();
    await until(() => c.ready, 'ready');
    await until(() => sessions >= 2 && c.connects >= 2, 'reconnected after missing pongs', 3000);
  });

  test('a peer answering pings keeps the connection; text pings get text pongs', async () => {
    const s = await server({ onMessage: (ws, t) => t === 'ping' && ws.send('pong') });
    const c = connection(s.url, { heartbeat: 'text-ping' });
    c.start();
    await until(() => c.ready, 'ready');
    await new Promise((r) => setTimeout(r, 500));
    expect(c.connects).toBe(1);
  });

  test('replies by id; a request lost with the connection is unknown; one never sent is not-sent', async () => {
    let conn: WsConnection | undefined;
    const s = await server({
      onMessage: (ws, t) => {
        const m = JSON.parse(t) as { id: string; op: string };
        if (m.op === 'echo') ws.send(JSON.stringify({ id: m.id, ok: true }));
        if (m.op === 'drop') ws.terminate();
      },
    });
    const c = (conn = connection(s.url, {
      heartbeatMs: 10_000,
      reconnect: { minMs: 5000, maxMs: 5000 },
      onMessage: (text) => {
        const m = JSON.parse(text) as { id: string };
        conn?.resolve(m.id, m);
      },
    }));
    c.start();
    await until(() => c.ready, 'ready');
    expect(await c.request('1', { id: '1', op: 'echo' }, 1000, 'echo')).toEqual({ id: '1', ok: true });
    const lost = await c.request('2', { id: '2', op: 'drop' }, 1000, 'drop').catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(VenueError);
    expect((lost as VenueError).kind).toBe('unknown');
    const unsent = await c.request('3', { id: '3', op: 'echo' }, 200, 'echo').catch((e: unknown) => e);
    expect(unsent).toBeInstanceOf(VenueError);
    expect((unsent as VenueError).kind).toBe('not-sent');
  });
});
