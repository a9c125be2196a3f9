/**
 * A remote strategy (src/bus/remote-strategy.ts) whose orders an order enhancer changes (strategies[].enhancer: here
 * one that halves every order's quantity), against the real daemon (dist/src/cli.js on config/remote.yaml, the shared
 * Redis under a unique prefix). A worker's ACK and later events carry the order's terms as the daemon holds them —
 * "the order's, which the strategy's enhancer may have changed from the record's" (ring-intake.ts) — and so does its
 * openOrders(); the remote runner must report the same, not the quantity the strategy asked for.
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

describe('remote strategy: an order its enhancer changed, against the real daemon', () => {
  const prefix = uniquePrefix('remote-enhancer');
  let dir: string;
  let daemon: DaemonProcess | undefined;
  let api: ApiClient;
  let run: RemoteStrategyHandle | undefined;

  beforeAll(async () => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'switchyard-remote-enhancer-'));
    writeFileSync(join(dir, 'halve.ts'), [
      'export default function create() {',
      '  return { enhance(order: { qtyLots: number }, change: { qtyLots: number | undefined }) { change.qtyLots = Math.floor(order.qtyLots / 2); } };',
      '}',
      '',
    ].join('\n'));
    const file = join(dir, 'remote.yaml');
    // remote-demo is strategies[0] of config/remote.yaml
    writeFileSync(file, remoteConfigText(dir, prefix, [[['strategies', 0, 'enhancer'], { module: join(dir, 'halve.ts'), budgetUs: 1_000_000 }]]));
    ({ daemon, api } = await startRemoteDaemon(file, dir));
  }, 180_000);

  afterAll(async () => {
    if (run !== undefined) await Promise.race([run.stop(), new Promise((resolve) => setTimeout(resolve, 3000))]);
    await daemon?.kill();
    await deletePrefix(SHARED_REDIS_URL, prefix);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('ACK, later events and openOrders() carry the quantity the daemon holds (halved), as for a worker', async () => {
    const events: StrategyEvent[] = [];
    let ctx!: StrategyContext;
    run = await runRemoteStrategy((c: StrategyContext) => {
      ctx = c;
      return { onEvent: (e) => void events.push(e) };
    }, { url: SHARED_REDIS_URL, keyPrefix: prefix, strategy: STRATEGY, handleSignals: false, log: quiet });

    // BTC-USDT lot 0.00001: 0.002 is 200 lots, halved to 100; far below the market, it rests
    expect(ctx.submit({ symbol: 'BTC-USDT', side: 'BUY', type: 'LIMIT', price: '30000', quantity: '0.002' })).toEqual({ ok: true, seq: 1 });
    const accepted = await pollUntil(() => events.find((e) => e.seq === 1 && e.kind === 'ACCEPTED'), (e) => e !== undefined,
      { timeoutMs: 15_000, what: 'the ACCEPTED event of seq 1' });
    const held = (await api.get(`/v1/orders/${accepted!.orderId}`)).body as { quantity: string };
    expect(held.quantity).toBe('0.00100'); // the enhancer halved it at the daemon

    const ack = events.find((e) => e.seq === 1 && e.kind === 'ACK');
    expect(ack).toMatchObject({ orderId: accepted!.orderId, qtyLots: 100, priceTicks: 3_000_000 });
    expect(accepted).toMatchObject({ qtyLots: 100 });
    expect(await ctx.openOrders()).toMatchObject([{ seq: 1, orderId: accepted!.orderId, qtyLots: 100 }]);
  }, 60_000);
});
