/**
 * Issue 15 acceptance: a remote strategy against the real daemon (dist/src/cli.js on config/remote.yaml, the shared
 * Redis under a unique prefix). The shipped example process (dist/examples/remote-strategy/main.js, running
 * config/strategies/market-maker.ts unchanged) trades through the daemon: its probe fills and its quotes are placed,
 * which needs the probe's FILL event from the daemon's event streams, and SIGTERM's stop() cancels its open quotes —
 * judged by the daemon's records (GET /v1/orders), never by log text. Then the client library directly: submit ->
 * ACCEPT event -> cancel -> CANCELED event; a command naming another strategy on the stream is refused
 * STRATEGY_MISMATCH; an HTTP submit as the redis strategy is refused STRATEGY_NOT_API.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwitchyardRedisClient, type BusOrderEvent } from '../../src/bus/client.js';
import { BusKeys } from '../../src/bus/protocol.js';
import { childEnv, ensureBuilt, type DaemonProcess } from '../helpers/daemon-process.js';
import type { ApiClient } from '../helpers/http.js';
import { pollUntil } from '../helpers/poll.js';
import { deletePrefix, SHARED_REDIS_URL, uniquePrefix } from '../helpers/redis-server.js';
import { listOrders, remoteConfigText, startRemoteDaemon } from '../helpers/remote-daemon.js';
import { REPO_ROOT, repoPath } from '../helpers/repo.js';

const STRATEGY = 'remote-demo';

describe('remote strategy over Redis against the real daemon', () => {
  const prefix = uniquePrefix('remote');
  const keys = new BusKeys(prefix);
  let dir: string;
  let daemon: DaemonProcess | undefined;
  let api: ApiClient;
  let remote: ChildProcess | undefined;
  const redis = createClient({ url: SHARED_REDIS_URL });
  redis.on('error', () => undefined);

  beforeAll(async () => {
    ensureBuilt();
    await redis.connect();
    dir = mkdtempSync(join(tmpdir(), 'switchyard-remote-'));
    const file = join(dir, 'remote.yaml');
    writeFileSync(file, remoteConfigText(dir, prefix));
    ({ daemon, api } = await startRemoteDaemon(file, dir));
  }, 180_000);

  afterAll(async () => {
    if (remote !== undefined && remote.exitCode === null && remote.signalCode === null) {
      remote.kill('SIGKILL');
      await new Promise((resolve) => remote!.once('exit', resolve));
    }
    await daemon?.kill();
    await redis.close().catch(() => undefined);
    await deletePrefix(SHARED_REDIS_URL, prefix);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('the example process trades through the daemon; SIGTERM cancels its open quotes', async () => {
    remote = spawn(process.execPath, [
      repoPath('dist/examples/remote-strategy/main.js'), '--strategy', STRATEGY, '--prefix', prefix,
      '--module', repoPath('config/strategies/market-maker.ts'), '--cache', join(dir, 'cache'),
    ], { cwd: REPO_ROOT, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    const output: string[] = [];
    remote.stdout!.on('data', (c: Buffer) => output.push(c.toString()));
    remote.stderr!.on('data', (c: Buffer) => output.push(c.toString()));
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => remote!.once('exit', (code, signal) => resolve({ code, signal })));

    // its MARKET probe filled (FILL event back over Redis), then its post-only quotes rest at the venues
    const open = await pollUntil(() => listOrders(api, `strategy=${STRATEGY}&state=open`),
      (os) => os.some((o) => o.type === 'LIMIT' && o.state === 'ACCEPTED'),
      { timeoutMs: 30_000, intervalMs: 100, what: 'an ACCEPTED quote of the remote market maker' }).catch((e: unknown) => {
      throw new Error(`${String(e)}\nremote process output:\n${output.join('')}`);
    });
    expect(open.every((o) => o.symbol === 'ETH-USDT' && o.postOnly === true)).toBe(true);
    const all = await listOrders(api, `strategy=${STRATEGY}`);
    expect(all.some((o) => o.type === 'MARKET' && o.side === 'BUY' && o.state === 'FILLED')).toBe(true);
    // every order the daemon holds for the strategy carries a client order id of the remote client ('r' + ...)
    expect(all.every((o) => /^r[a-z0-9]{9}[a-z0-9]+$/.test(o.clientOrderId))).toBe(true);

    remote.kill('SIGTERM');
    const exit = await Promise.race([exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('remote process still running 15 s after SIGTERM')), 15_000))]);
    expect(exit, output.join('')).toEqual({ code: 0, signal: null });
    // its stop() canceled its quotes: nothing of the strategy stays open at the daemon
    await pollUntil(() => listOrders(api, `strategy=${STRATEGY}&state=open`), (os) => os.length === 0,
      { timeoutMs: 10_000, intervalMs: 100, what: 'no open order of the remote strategy after its SIGTERM' });
    const after = await listOrders(api, `strategy=${STRATEGY}`);
    for (const o of open) expect(after.find((a) => a.orderId === o.orderId)?.state).toMatch(/^(CANCELED|FILLED)$/);
    expect(after.some((o) => open.some((q) => q.orderId === o.orderId) && o.state === 'CANCELED')).toBe(true);
  }, 60_000);

  it('client library: submit -> ACCEPT event, cancel -> CANCELED event; STRATEGY_MISMATCH and STRATEGY_NOT_API', async () => {
    const c = await SwitchyardRedisClient.connect({ url: SHARED_REDIS_URL, keyPrefix: prefix, strategy: STRATEGY, timeoutMs: 10_000 });
    const ac = new AbortController();
    const events: BusOrderEvent[] = [];
    try {
      let ready!: () => void;
      const isReady = new Promise<void>((resolve) => (ready = resolve));
      const following = (async () => {
        for await (const e of c.events(['BTC-USDT'], { signal: ac.signal, onReady: ready })) events.push(e);
      })();
      await isReady;

      const r = await c.submit({ symbol: 'BTC-USDT', side: 'BUY', type: 'LIMIT', price: '30000', quantity: '0.001' });
      if (!r.ok || !('order' in r)) throw new Error(`submit refused: ${JSON.stringify(r)}`);
      expect(r.replayed).toBe(false);
      expect(r.order.strategy).toBe(STRATEGY);
      const id = r.order.orderId;
      const accepted = await pollUntil(() => events.find((e) => e.event.orderId === id && e.event.event === 'ACCEPT'), (e) => e !== undefined,
        { timeoutMs: 10_000, what: `the ACCEPT event of order ${id}` });
      expect(accepted!.event).toMatchObject({ strategy: STRATEGY, clientOrderId: r.order.clientOrderId, state: 'ACCEPTED', symbol: 'BTC-USDT' });
      expect((await api.get(`/v1/orders/${id}`)).body.state).toBe('ACCEPTED');

      const x = await c.cancel({ orderId: id });
      expect(x.ok).toBe(true);
      const canceled = await pollUntil(() => events.find((e) => e.event.orderId === id && e.event.event === 'CANCELED'), (e) => e !== undefined,
        { timeoutMs: 10_000, what: `the CANCELED event of order ${id}` });
      expect(canceled!.event.state).toBe('CANCELED');
      expect(canceled!.seq).toBeGreaterThan(accepted!.seq);
      expect((await api.get(`/v1/orders/${id}`)).body.state).toBe('CANCELED');
      ac.abort();
      await following;
    } finally {
      ac.abort();
      await c.close();
    }

    // raw entries on remote-demo's stream: naming another strategy (field or order) is refused; the control is served
    const client = 'raw-e2e';
    const order = (strategy: string, cid: string) => JSON.stringify({ strategy, clientOrderId: cid, symbol: 'BTC-USDT', side: 'BUY', type: 'LIMIT', price: '30001', quantity: '0.001' });
    const sent = [
      { requestId: 'mm.field', client, op: 'submit', strategy: 'manual', body: order('manual', 'mmfield1') },
      { requestId: 'mm.body', client, op: 'submit', strategy: STRATEGY, body: order('manual', 'mmbody1') },
      { requestId: 'mm.control', client, op: 'submit', strategy: STRATEGY, body: order(STRATEGY, 'mmcontrol1') },
    ];
    for (const f of sent) await redis.xAdd(keys.commands(STRATEGY), '*', f);
    const replies = await pollUntil(async () => (await redis.xRange(keys.replies(client), '-', '+')).map((e) => e.message),
      (rs) => sent.every((s) => rs.some((m) => m.requestId === s.requestId)), { timeoutMs: 10_000, what: 'replies to the raw commands' });
    const answer = (requestId: string) => JSON.parse(replies.find((m) => m.requestId === requestId)!.body!);
    expect(answer('mm.field')).toMatchObject({ ok: false, error: { code: 'STRATEGY_MISMATCH' } });
    expect(answer('mm.body')).toMatchObject({ ok: false, error: { code: 'STRATEGY_MISMATCH' } });
    expect(answer('mm.control')).toMatchObject({ ok: true, order: { clientOrderId: 'mmcontrol1', strategy: STRATEGY } });
    const cids = (await listOrders(api, 'state=all')).map((o) => o.clientOrderId);
    expect(cids).toContain('mmcontrol1');
    expect(cids).not.toContain('mmfield1');
    expect(cids).not.toContain('mmbody1');

    // HTTP: the redis strategy takes no orders from the API; an API strategy does (the control)
    const http = { symbol: 'BTC-USDT', side: 'BUY', type: 'LIMIT', price: '30002', quantity: '0.001' };
    const refused = await api.post('/v1/orders', { ...http, strategy: STRATEGY });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('STRATEGY_NOT_API');
    const served = await api.post('/v1/orders', { ...http, strategy: 'manual' });
    expect(served.status).toBe(201);
  }, 60_000);
});
