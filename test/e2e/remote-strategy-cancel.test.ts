/**
 * ctx.cancel of a remote strategy (src/bus/remote-strategy.ts) for an order that has finished, against the real daemon
 * (dist/src/cli.js on config/remote.yaml, the shared Redis under a unique prefix). A worker strategy's cancel of its
 * finished order — by the seq submit() returned or by its clientOrderId — is answered by the daemon with
 * CANCEL_REJECTED ORDER_NOT_CANCELABLE naming the order (ring-intake.ts cancel: the order is still held, and
 * strategyCancel refuses a final order); the remote runner must answer the same, not ORDER_NOT_FOUND nor orderId 0.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRemoteStrategy, type RemoteStrategyHandle } from '../../src/bus/remote-strategy.js';
import type { StrategyContext, StrategyEvent } from '../../src/strategy/sdk.js';
import { ensureBuilt, type DaemonProcess } from '../helpers/daemon-process.js';
import { pollUntil } from '../helpers/poll.js';
import { deletePrefix, SHARED_REDIS_URL, uniquePrefix } from '../helpers/redis-server.js';
import { remoteConfigText, startRemoteDaemon } from '../helpers/remote-daemon.js';

const STRATEGY = 'remote-demo';
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

describe('remote strategy: cancel of a finished order, against the real daemon', () => {
  const prefix = uniquePrefix('remote-cancel');
  let dir: string;
  let daemon: DaemonProcess | undefined;
  let run: RemoteStrategyHandle | undefined;

  beforeAll(async () => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'switchyard-remote-cancel-'));
    const file = join(dir, 'remote.yaml');
    writeFileSync(file, remoteConfigText(dir, prefix));
    ({ daemon } = await startRemoteDaemon(file, dir));
  }, 180_000);

  afterAll(async () => {
    if (run !== undefined) await Promise.race([run.stop(), new Promise((resolve) => setTimeout(resolve, 3000))]);
    await daemon?.kill();
    await deletePrefix(SHARED_REDIS_URL, prefix);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('by seq and by clientOrderId: CANCEL_REJECTED ORDER_NOT_CANCELABLE naming the order, with the cancel\'s seq', async () => {
    const events: StrategyEvent[] = [];
    let ctx!: StrategyContext;
    run = await runRemoteStrategy((c: StrategyContext) => {
      ctx = c;
      return { onEvent: (e) => void events.push(e) };
    }, { url: SHARED_REDIS_URL, keyPrefix: prefix, strategy: STRATEGY, handleSignals: false, log: quiet });

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
