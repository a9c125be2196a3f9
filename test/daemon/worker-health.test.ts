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

interface StrategyHealth { id: string; source: string; status?: string; responsive?: boolean; heartbeatAgeMs?: number | null; hangs?: number }

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
});
