/**
 * A remote strategy (src/bus/remote-strategy.ts) answered as a worker strategy is, against the real daemon
 * (dist/src/cli.js on config/remote.yaml, the shared Redis under a unique prefix):
 *  - an order pre-trade risk denies: a worker sees ACK (the order was created) then DENIED with the risk code
 *    (ring-intake.ts), whatever shape of reply the client asks for (`results: 'ids'` is the option the README
 *    recommends to a strategy that follows its orders on the events, and runRemoteStrategy takes the client's options);
 *  - a cancel of a finished order, by the seq submit() returned or by its clientOrderId: a worker's is answered by the
 *    daemon with CANCEL_REJECTED ORDER_NOT_CANCELABLE naming the order, not ORDER_NOT_FOUND nor order id 0.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRemoteStrategy, type RemoteStrategyHandle } from '../../src/bus/remote-strategy.js';
import type { StrategyContext, StrategyEvent } from '../../src/strategy/sdk.js';
import { ensureBuilt, type DaemonProcess } from '../helpers/daemon-process.js';
import type { ApiClient } from '../helpers/http.js';
import { pollUntil } from '../helpers/poll.js';
import { deletePrefix, SHARED_REDIS_URL, uniquePrefix } from '../helpers/redis-server.js';
import { remoteConfigText, startRemoteDaemon } from '../helpers/remote-daemon.js';

const STRATEGY = 'remote-demo';
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

describe('remote strategy answered as a worker is, against the real daemon', () => {
  const prefix = uniquePrefix('remote-answers');
  let dir: string;
  let daemon: DaemonProcess | undefined;
  let api: ApiClient;
  const runs: RemoteStrategyHandle[] = [];

  beforeAll(async () => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'switchyard-remote-answers-'));
    const file = join(dir, 'remote.yaml');
    writeFileSync(file, remoteConfigText(dir, prefix));
    ({ daemon, api } = await startRemoteDaemon(file, dir));
  }, 180_000);

  afterAll(async () => {
    for (const r of runs) await Promise.race([r.stop(), new Promise((resolve) => setTimeout(resolve, 3000))]);
    await daemon?.kill();
    await deletePrefix(SHARED_REDIS_URL, prefix);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  for (const results of ['order', 'ids'] as const) {
    it(`results '${results}': ACK then DENIED with the risk code, as a worker sees it`, async () => {
      const events: StrategyEvent[] = [];
      let ctx!: StrategyContext;
      const run = await runRemoteStrategy((c: StrategyContext) => {
        ctx = c;
        return { onEvent: (e) => void events.push(e) };
      }, { url: SHARED_REDIS_URL, keyPrefix: prefix, strategy: STRATEGY, handleSignals: false, log: quiet, results });
      runs.push(run);

      // remote-demo: maxOrderQty BTC-USDT 0.5 (config/remote.yaml): 1 BTC is created, then denied
      const r = ctx.submit({ symbol: 'BTC-USDT', side: 'BUY', type: 'LIMIT', price: '30000', quantity: '1', tag: 5 });
      expect(r).toEqual({ ok: true, seq: 1 });
      const end = await pollUntil(() => events.find((e) => e.seq === 1 && e.terminal), (e) => e !== undefined,
        { timeoutMs: 15_000, what: 'the terminal event of seq 1' });
      // the order exists at the daemon, DENIED
      const orders = (await api.get(`/v1/orders?strategy=${STRATEGY}&state=all&limit=1000`)).body.orders as { orderId: number; state: string; reason: string; quantity: string }[];
      const denied = orders.filter((o) => o.state === 'DENIED' && o.quantity === '1.00000');
      expect(denied.length).toBeGreaterThan(0);
      const order = denied.at(-1)!;
      expect(order.reason).toBe('RISK_MAX_ORDER_QTY');

      // no further event about seq 1 comes (the order's DENY on the stream is the same denial)
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const about = events.filter((e) => e.seq === 1);
      expect(about.map((e) => e.kind)).toEqual(['ACK', 'DENIED']);
      expect(about[0]).toMatchObject({ orderId: order.orderId, tag: 5, state: 'CREATED' });
      expect(end).toMatchObject({ kind: 'DENIED', orderId: order.orderId, tag: 5, code: 'RISK_MAX_ORDER_QTY', state: 'DENIED', terminal: true });
    }, 40_000);
  }

  it('by seq and by clientOrderId: CANCEL_REJECTED ORDER_NOT_CANCELABLE naming the order, with the cancel\'s seq', async () => {
    const events: StrategyEvent[] = [];
    let ctx!: StrategyContext;
    const run = await runRemoteStrategy((c: StrategyContext) => {
      ctx = c;
      return { onEvent: (e) => void events.push(e) };
    }, { url: SHARED_REDIS_URL, keyPrefix: prefix, strategy: STRATEGY, handleSignals: false, log: quiet });
    runs.push(run);

    const cid = `x${Date.now().toString(36)}`;
    expect(ctx.submit({ symbol: 'BTC-USDT', side: 'BUY', type: 'MARKET', quantity: '0.001', clientOrderId: cid })).toEqual({ ok: true, seq: 1 });
    const filled = await pollUntil(() => events.find((e) => e.seq === 1 && e.terminal), (e) => e !== undefined,
      { timeoutMs: 15_000, what: 'the MARKET order filled' });
    expect(filled).toMatchObject({ kind: 'FILL', state: 'FILLED' });
    const orderId = filled!.orderId;
    expect(orderId).toBeGreaterThan(0);

    expect(ctx.cancel({ seq: 1 })).toEqual({ ok: true, seq: 2 });
    const bySeq = await pollUntil(() => events.find((e) => e.seq === 2), (e) => e !== undefined, { timeoutMs: 10_000, what: 'the answer to cancel seq 1' });
    expect(bySeq).toMatchObject({ kind: 'CANCEL_REJECTED', orderId, code: 'ORDER_NOT_CANCELABLE', terminal: false });

    expect(ctx.cancel({ clientOrderId: cid })).toEqual({ ok: true, seq: 3 });
    const byCid = await pollUntil(() => events.find((e) => e.seq === 3), (e) => e !== undefined, { timeoutMs: 10_000, what: 'the answer to cancel by clientOrderId' });
    expect(byCid).toMatchObject({ kind: 'CANCEL_REJECTED', orderId, code: 'ORDER_NOT_CANCELABLE', terminal: false });
  }, 60_000);
});
