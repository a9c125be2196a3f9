/**
 * Order enhancers in the daemon (issue 15): an in-process paper daemon whose strategy `momentum` has an enhancer.
 *  - The design's example (config/enhancers/prediction.ts) fed from Redis (`signals: true`, P signals:{symbol} on the
 *    shared Redis under a prefix of this run): a confident agreeing signal makes an order sent over the API
 *    marketable (MARKET IOC: it fills on the paper venue), a high risk score halves it; the change is journaled (the
 *    'enhanced' EVENT record with the terms before and after), counted in switchyard_enhancer_decisions_total, and
 *    pre-trade risk still judges the enhanced order. A control without a signal shows the same order unchanged.
 *  - A module that throws: every order goes on with its own terms, none lost; 3 errors in a row suspend it.
 *  - A module that busy-waits past budgetUs: the order goes on unchanged and the enhancer is suspended (its calls,
 *    counted through globalThis, stop).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { startBusDaemon, journalEvents, type BusTestDaemon } from '../helpers/bus-daemon.js';
import { metricValue, type ApiClient } from '../helpers/http.js';
import { pollUntil } from '../helpers/poll.js';
import { deletePrefix, SHARED_REDIS_URL, uniquePrefix } from '../helpers/redis-server.js';
import { repoPath } from '../helpers/repo.js';

const prefix = uniquePrefix('daemon-enhancer');
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});
let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'sy-enhancer-modules-'));
});
afterAll(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await deletePrefix(SHARED_REDIS_URL, prefix);
});

async function daemonWithEnhancer(enhancer: Record<string, unknown>): Promise<BusTestDaemon> {
  const d = await startBusDaemon([
    [['daemon', 'redis', 'url'], SHARED_REDIS_URL],
    [['daemon', 'redis', 'keyPrefix'], prefix],
    [['strategies', 0, 'enhancer'], enhancer],
  ]);
  cleanup.push(() => d.remove());
  return d;
}

const decisions = (m: string, outcome: string): number => metricValue(m, 'switchyard_enhancer_decisions_total', { strategy: 'momentum', outcome });

/** POST /v1/orders; the order as the API shows it once it left the intake (a DENIED one included). */
async function submit(api: ApiClient, order: Record<string, unknown>): Promise<any> {
  const r = await api.post('/v1/orders', { strategy: 'momentum', symbol: 'BTC-USDT', ...order });
  if (r.status !== 201) return { httpStatus: r.status, ...r.body };
  return r.body;
}

async function publishSignal(fields: Record<string, string>): Promise<void> {
  const c = createClient({ url: SHARED_REDIS_URL });
  c.on('error', () => undefined);
  await c.connect();
  try {
    await c.xAdd(`${prefix}signals:BTC-USDT`, '*', { ts: String(Date.now()), ...fields });
  } finally {
    await c.close();
  }
}

describe('the example prediction enhancer, fed from Redis', () => {
  test('a confident agreeing signal makes the order MARKET IOC, a high risk halves it: journaled, counted, and risk still applies', { timeout: 30_000 }, async () => {
    const d = await daemonWithEnhancer({ module: repoPath('config/enhancers/prediction.ts'), signals: true, budgetUs: 1_000_000, params: { maxAgeMs: 60_000 } });
    const { api } = d;

    // control: no signal yet, the enhancer runs and changes nothing (the order rests at its limit, below the market)
    const plain = await submit(api, { side: 'BUY', price: '59000', quantity: '0.01' });
    const plainOrder = await api.waitForState(plain.orderId, 'ACCEPTED', 10_000);
    expect(plainOrder).toMatchObject({ type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01000', price: '59000.00' });
    expect(decisions(await api.metrics(), 'unchanged')).toBe(1);

    await publishSignal({ confidence: '0.95', direction: 'up', risk: '0.9' });
    await pollUntil(() => api.metrics(), (m) => metricValue(m, 'switchyard_signal_entries_total') >= 1, { timeoutMs: 10_000, what: 'the signal read by the daemon' });

    // BUY agrees with "up" at 0.95 > 0.8: marketable; risk 0.9 > 0.7: halved. It fills on the paper venue.
    const buy = await submit(api, { side: 'BUY', price: '59000', quantity: '0.01', clientOrderId: 'enhbuy1' });
    const filled = await api.waitForState(buy.orderId, 'FILLED', 10_000);
    expect(filled).toMatchObject({ type: 'MARKET', timeInForce: 'IOC', quantity: '0.00500', filledQty: '0.00500' });

    // SELL disagrees: not made marketable, only halved (it keeps its limit above the market and rests)
    const sell = await submit(api, { side: 'SELL', price: '61000', quantity: '0.02' });
    expect(await api.waitForState(sell.orderId, 'ACCEPTED', 10_000)).toMatchObject({ type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01000', price: '61000.00' });

    // risk judges the enhanced order: 5 BTC halved is 2.5, over momentum's maxOrderQty of 2 -> DENIED
    const big = await submit(api, { side: 'SELL', price: '61000', quantity: '5' });
    const bigOrder = big.orderId === undefined ? big : await api.waitForState(big.orderId, 'DENIED', 10_000);
    expect(JSON.stringify(bigOrder)).toContain('RISK_MAX_ORDER_QTY');
    // and risk does not judge the original: 3 BTC (over 2) halved to 1.5 is accepted
    const three = await submit(api, { side: 'SELL', price: '61000', quantity: '3' });
    expect(await api.waitForState(three.orderId, 'ACCEPTED', 10_000)).toMatchObject({ quantity: '1.50000' });

    const m = await api.metrics();
    expect(decisions(m, 'changed')).toBe(4);
    expect(decisions(m, 'unchanged')).toBe(1);
    expect(decisions(m, 'error') + decisions(m, 'over_budget') + decisions(m, 'invalid') + decisions(m, 'suspended')).toBe(0);

    // the journal: one 'enhanced' record per change, naming the order, with the terms before and after
    await d.stop();
    const events = journalEvents(d.journalDir, 'enhanced');
    expect(events.map((e) => e.orderId)).toEqual([buy.orderId, sell.orderId, big.orderId ?? expect.any(Number), three.orderId]);
    expect(events[0]).toMatchObject({
      outcome: 'changed', clientOrderId: 'enhbuy1', strategy: 'momentum', symbol: 'BTC-USDT',
      before: { type: 'LIMIT', timeInForce: 'GTC', price: '59000.00', quantity: '0.01000' },
      after: { type: 'MARKET', timeInForce: 'IOC', price: null, quantity: '0.00500' },
    });
    expect(events[1]).toMatchObject({ outcome: 'changed', before: { type: 'LIMIT', quantity: '0.02000' }, after: { type: 'LIMIT', price: '61000.00', quantity: '0.01000' } });
    expect(events.some((e) => e.orderId === plain.orderId)).toBe(false);
  });
});

describe('enhancers that fail', () => {
  test('a module that throws: every order goes on with its own terms, none lost; three errors in a row suspend it', { timeout: 30_000 }, async () => {
    const module = join(tmp, 'throws.mjs');
    writeFileSync(module, `export default () => ({ enhance(order, change) { change.qtyLots = 1; throw new Error('enhancer boom'); } });\n`);
    // a budget no throw can pass on a loaded machine (the default 200 µs can: the first throw builds a stack trace
    // in cold code, and a decision over budget is counted over_budget, not error)
    const d = await daemonWithEnhancer({ module, budgetUs: 1_000_000, suspendMs: 600_000 });
    const { api } = d;
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push((await submit(api, { side: 'BUY', price: String(58000 + i), quantity: '0.01' })).orderId);
    for (const [i, id] of ids.entries()) {
      expect(await api.waitForState(id, 'ACCEPTED', 10_000)).toMatchObject({ type: 'LIMIT', quantity: '0.01000', price: `${58000 + i}.00` });
    }
    expect((await api.allOrders('strategy=momentum')).length).toBe(5);
    const m = await api.metrics();
    expect(decisions(m, 'error')).toBe(3);
    expect(decisions(m, 'suspended')).toBe(2);
    expect(decisions(m, 'changed')).toBe(0);
    await d.stop();
    const events = journalEvents(d.journalDir, 'enhanced');
    expect(events.map((e) => [e.orderId, e.outcome])).toEqual(ids.slice(0, 3).map((id) => [id, 'error']));
    expect(events[2]!.reason).toMatch(/enhancer boom.*suspended/);
  });

  test('a module over its time budget: the order goes on unchanged and the enhancer is suspended (not called again)', { timeout: 30_000 }, async () => {
    const module = join(tmp, 'slow.mjs');
    // counts its calls where the test can read them (the enhancer runs on the daemon's main thread: this process)
    writeFileSync(module, [
      'export default () => ({',
      '  enhance(order, change) {',
      '    globalThis.__syestSlowEnhancerCalls = (globalThis.__syestSlowEnhancerCalls ?? 0) + 1;',
      '    const until = performance.now() + 20;',
      '    while (performance.now() < until) { /* busy */ }',
      '    change.marketable = true;',
      '  },',
      '});',
    ].join('\n'));
    const g = globalThis as { __syestSlowEnhancerCalls?: number };
    g.__syestSlowEnhancerCalls = 0;
    const d = await daemonWithEnhancer({ module, budgetUs: 1000, suspendMs: 600_000 });
    const { api } = d;
    const ids: number[] = [];
    for (let i = 0; i < 4; i++) ids.push((await submit(api, { side: 'BUY', price: String(58000 + i), quantity: '0.01' })).orderId);
    for (const id of ids) expect(await api.waitForState(id, 'ACCEPTED', 10_000)).toMatchObject({ type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01000' });
    expect(g.__syestSlowEnhancerCalls).toBe(1);
    const m = await api.metrics();
    expect(decisions(m, 'over_budget')).toBe(1);
    expect(decisions(m, 'suspended')).toBe(3);
    await d.stop();
    const events = journalEvents(d.journalDir, 'enhanced');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ orderId: ids[0], outcome: 'over_budget', reason: expect.stringMatching(/over the budget/) });
    expect(events[0]!.elapsedUs as number).toBeGreaterThanOrEqual(20_000);
  });
});
