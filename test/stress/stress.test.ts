/**
 * The stress test, scaled down (the full size is `npm run bench:stress`): 10 producers submitting 2,000 orders
 * each at the same time — 5 worker-thread strategies through their rings, 3 HTTP clients and 2 WebSocket clients
 * through the API — into a daemon-equivalent composition with a venue that records and fills everything
 * (bench/lib/stress.ts). Every order must be accounted for exactly once, in each producer's order, and the
 * QUEUE_FULL refusals must be counted by the producers that got them. Speed is not asserted.
 */
import { describe, expect, it } from 'vitest';
import { runStress } from '../../bench/lib/stress.js';

describe('stress: many producers at once (scaled down)', () => {
  it('accounts for every order exactly once and in FIFO order per producer; QUEUE_FULL answers reach their producers', async () => {
    const r = await runStress({
      workers: 5,
      http: 3,
      ws: 2,
      ordersPerProducer: 2000,
      // small strategy queues and WebSocket clients pipelining far more than that: some submits are refused
      // with QUEUE_FULL and sent again, and the FIFO check must hold across those retries
      queueCapacity: 16,
      wsWindow: 512,
      timeoutMs: 45_000,
    });
    expect(r.problems).toEqual([]);
    expect(r.complete).toBe(true);
    expect(r).toMatchObject({
      producers: 10, orders: 20_000, accounted: 20_000, believedAccepted: 20_000,
      lost: 0, duplicated: 0, phantom: 0, foreign: 0, fifo_violations: 0, openLeft: 0,
      queueFullMismatches: 0, unknownReports: 0, lifecycleAnomalies: 0,
    });
    expect(r.byKind.worker).toMatchObject({ producers: 5, accepted: 10_000, errors: 0 });
    expect(r.byKind.http).toMatchObject({ producers: 3, accepted: 6_000, errors: 0 });
    expect(r.byKind.ws).toMatchObject({ producers: 2, accepted: 4_000, errors: 0 });
    expect(r.byKind.ws.queueFull).toBeGreaterThan(0);
    expect(r.queue_full).toBe(r.byKind.worker.queueFull + r.byKind.http.queueFull + r.byKind.ws.queueFull);
    // unless events were lost (and covered by RESYNC), every worker strategy saw an ACK and a final FILL per order
    if (r.workerEvents.resyncs === 0) expect(r.workerEvents).toMatchObject({ acks: 10_000, filled: 10_000 });
  }, 60_000);
});
