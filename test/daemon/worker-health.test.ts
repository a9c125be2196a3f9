/**
 * The daemon shows its worker strategies: GET /health lists every configured strategy with its source, and a worker
 * strategy with its thread's status; a worker whose code holds its thread past daemon.workers.hangMs is reported
 * unresponsive there and in switchyard_strategy_up, and responsive again once its code returns.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/model/clock.js';
import type { StrategyHost } from '../../src/strategy/strategy-host.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { metricValue } from '../helpers/http.js';
import { pollUntil } from '../helpers/poll.js';

const HOLDS_THREAD = new URL('../strategy/fixtures/holds-thread.ts', import.meta.url).pathname;
const RESTARTS = new URL('../strategy/fixtures/restarts.ts', import.meta.url).pathname;

interface StrategyHealth {
  id: string; source: string; status?: string; responsive?: boolean; heartbeatAgeMs?: number | null; hangs?: number; restarts?: number; resyncs?: number; error?: string | null;
}

let running: TestDaemon | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

describe('worker strategies in /health and /metrics', () => {
  it('a worker that holds its thread is unresponsive, then responsive again', { timeout: 40_000 }, async () => {
    const d = (running = await startTestDaemon([
      [['daemon', 'workers', 'hangMs'], 400],
      [['strategies', 0, 'module'], HOLDS_THREAD],
      [['strategies', 0, 'params'], { afterMs: 200, holdMs: 3000 }],
    ], undefined, { workers: false }));
    const strategies = async (): Promise<StrategyHealth[]> => ((await d.api.get('/health')).body as { strategies: StrategyHealth[] }).strategies;
    const first = await strategies();
    const worker = first.find((s) => s.source === 'worker')!;
    expect(worker).toMatchObject({ status: 'running', queueFull: 0, eventsLost: 0, error: null });
    // every configured strategy is listed, the others with their source alone
    expect(first.map((s) => s.id)).toEqual(d.daemon.config.strategies.map((s) => s.id));
    for (const s of first.filter((x) => x.source !== 'worker')) expect(s.status).toBeUndefined();

    const health = async (): Promise<{ status: string; strategies: StrategyHealth[] }> => (await d.api.get('/health')).body as { status: string; strategies: StrategyHealth[] };
    const hungHealth = await pollUntil(health, (b) => b.strategies.find((s) => s.id === worker.id)!.responsive === false, { timeoutMs: 10_000, what: 'the worker reported unresponsive' });
    expect(hungHealth.status).toBe('degraded');
    const hung = hungHealth.strategies;
    const h = hung.find((s) => s.id === worker.id)!;
    expect(h.status).toBe('running');
    expect(h.hangs).toBeGreaterThanOrEqual(1);
    expect(h.heartbeatAgeMs).toBeGreaterThanOrEqual(400);
    const metrics = (await d.api.get('/metrics')).text;
    expect(metricValue(metrics, 'switchyard_strategy_up', { strategy: worker.id })).toBe(0);
    expect(metricValue(metrics, 'switchyard_strategy_hangs_total', { strategy: worker.id })).toBeGreaterThanOrEqual(1);

    const back = await pollUntil(health, (b) => b.strategies.find((s) => s.id === worker.id)!.responsive === true, { timeoutMs: 15_000, what: 'the worker responsive again' });
    expect(back.status).toBe('ok');
    expect(metricValue((await d.api.get('/metrics')).text, 'switchyard_strategy_up', { strategy: worker.id })).toBe(1);
  });
  it('a daemon on a manual clock: moving its time does not make a live worker unresponsive (the watch runs on real time)', { timeout: 20_000 }, async () => {
    const clock = new ManualClock();
    const d = (running = await startTestDaemon([
      [['daemon', 'workers', 'hangMs'], 400],
      [['strategies', 0, 'module'], HOLDS_THREAD],
      [['strategies', 0, 'params'], { afterMs: 600_000, holdMs: 0 }], // never holds its thread
    ], undefined, { workers: false, clock }));
    const host = (d.daemon as unknown as { host: StrategyHost }).host;
    // a test (or a replay) moves the daemon's time a minute at a time, faster than the worker's heartbeat ticks
    for (let i = 0; i < 3; i++) {
      clock.advance(60_000);
      host.checkHeartbeats();
    }
    const body = (await d.api.get('/health')).body as { status: string; strategies: StrategyHealth[] };
    const worker = body.strategies.find((s) => s.source === 'worker')!;
    expect(worker).toMatchObject({ status: 'running', responsive: true, hangs: 0 });
    expect(worker.heartbeatAgeMs).toBeLessThan(400);
    expect(body.status).toBe('ok');
  });

  it('daemon.workers.restart: a worker that throws is restarted, its new incarnation cancels the orders it left; after maxRestarts it stays failed', { timeout: 40_000 }, async () => {
    const d = (running = await startTestDaemon([
      [['daemon', 'workers', 'restart'], { maxRestarts: 1, backoffMs: 50 }],
      [['strategies', 0, 'module'], RESTARTS],
      // it throws when one of its orders is canceled (after it placed one more order, "p" + ctx.restarts)
      [['strategies', 0, 'params'], { crashOn: 'CANCELED', exitOn: 'none' }],
    ], undefined, { workers: false }));
    const id = d.daemon.config.strategies[0]!.id;
    const worker = async (): Promise<{ status: string; strategy: StrategyHealth }> => {
      const body = (await d.api.get('/health')).body as { status: string; strategies: StrategyHealth[] };
      return { status: body.status, strategy: body.strategies.find((s) => s.id === id)! };
    };
    expect((await worker()).strategy).toMatchObject({ status: 'running', restarts: 0 });
    await d.api.waitForState('a1', 'ACCEPTED');
    await d.api.waitForState('a2', 'ACCEPTED');

    // the operator cancels a1: the strategy places p0 and throws; restarted, the new incarnation's RESYNC lists a2 and
    // p0 (orders of the dead one) and it cancels them by their seqs; their CANCELED make it throw again: it stays failed
    expect((await d.api.delete(`/v1/orders/a1`)).status).toBeLessThan(300);
    const failed = await pollUntil(worker, (w) => w.strategy.status === 'failed', { timeoutMs: 20_000, what: 'the worker failed for good' });
    // the RESYNC its restarted worker started with is counted (its ring never filled: no other)
    expect(failed.strategy).toMatchObject({ restarts: 1, resyncs: 1, error: expect.stringContaining('crashed on purpose') });
    expect(failed.status).toBe('degraded');
    for (const cid of ['a1', 'a2', 'p0']) await d.api.waitForState(cid, 'CANCELED', 10_000);
    // the new incarnation's own reports (IOC, never resting): its start, and its RESYNC with the two open orders
    await d.api.waitForState('s1', 'EXPIRED', 10_000);
    // p1 was published before the worker died, so the daemon reads it: but on a loaded machine perhaps only now
    await d.api.waitForState('p1', 'ACCEPTED', 10_000);
    const orders = await d.api.allOrders<{ clientOrderId: string; state: string }>(`strategy=${id}&state=all`);
    expect(orders.map((o) => o.clientOrderId).sort()).toEqual(expect.arrayContaining(['a1', 'a2', 'p0', 's1']));
    expect(orders.some((o) => /^o2l\d+$/.test(o.clientOrderId))).toBe(true);
    // still open: only p1, which the second incarnation placed as it threw (published before it died: not lost)
    expect(orders.filter((o) => o.state === 'ACCEPTED' || o.state === 'PENDING_CANCEL').map((o) => o.clientOrderId)).toEqual(['p1']);
    const metrics = await d.api.metrics();
    expect(metricValue(metrics, 'switchyard_strategy_restarts_total', { strategy: id })).toBe(1);
    expect(metricValue(metrics, 'switchyard_strategy_up', { strategy: id })).toBe(0);
  });
});
