/**
 * The operator's routes against the real daemon on the paper venues: trading states, the kill switch, cancel-all,
 * paged and filtered order lists, denials that name their limit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDaemon, type Daemon } from '../../src/daemon.js';
import { discardLogs, startTestDaemon, TEST_TOKEN, type TestDaemon } from '../helpers/daemon.js';
import { ApiClient, metricValue } from '../helpers/http.js';
import { StreamClient } from '../helpers/ws-client.js';
import { configFromText, paperConfigText, type YamlEdit } from '../helpers/repo.js';

let d: TestDaemon | undefined;
afterEach(async () => {
  await d?.stop();
  d = undefined;
});

/** A limit buy far below the market (rests at its venue). */
const resting = (venue: string, over: Record<string, unknown> = {}) => ({
  strategy: 'manual', symbol: 'BTC-USDT', side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '50000', venue, ...over,
});

describe('trading states over the API', () => {
  it('GET lists the daemon state; a HALTED strategy is denied TRADING_HALTED, the others go on; ACTIVE again takes orders', async () => {
    d = await startTestDaemon();
    const { api } = d;
    expect((await api.get('/v1/admin/state')).body).toEqual({ states: [{ scope: 'daemon', state: 'ACTIVE', since: 0 }] });
    const set = await api.post('/v1/admin/state', { scope: 'strategy', name: 'manual', state: 'HALTED', reason: 'desk review' });
    expect(set.status).toBe(200);
    expect(set.body.state).toMatchObject({ scope: 'strategy', name: 'manual', state: 'HALTED', reason: 'desk review' });
    const denied = await api.post('/v1/orders', resting('sim-a'));
    expect(denied.status).toBe(503);
    expect(denied.body.error.code).toBe('TRADING_HALTED');
    const other = await api.post('/v1/orders', resting('sim-a', { strategy: 'momentum' }));
    expect(other.status).toBe(201);
    const health = await api.get('/health');
    expect(health.body.trading).toEqual(expect.arrayContaining([expect.objectContaining({ scope: 'strategy', name: 'manual', state: 'HALTED' })]));
    expect(metricValue(await api.metrics(), 'switchyard_trading_state', { scope: 'strategy', name: 'manual' })).toBe(2);
    await api.post('/v1/admin/state', { scope: 'strategy', name: 'manual', state: 'ACTIVE' });
    expect((await api.post('/v1/orders', resting('sim-a'))).status).toBe(201);
  });

  it('a HALTED venue is passed over by routing; an order pinned to it is denied', async () => {
    d = await startTestDaemon();
    const { api } = d;
    await api.post('/v1/admin/state', { scope: 'venue', name: 'sim-b', state: 'HALTED' });
    const pinned = await api.post('/v1/orders', resting('sim-b'));
    expect(pinned.body.error.code).toBe('TRADING_HALTED');
    for (let i = 0; i < 6; i++) {
      // momentum: no internal crossing, straight to a venue by the table (BTC-USDT sim-a 3 : sim-b 1)
      const r = await api.post('/v1/orders', resting(undefined as never, { venue: undefined, strategy: 'momentum' }));
      expect(r.status).toBe(201);
      expect(r.body.venue).toBe('sim-a');
    }
    expect((await api.get('/health')).body.venues.find((v: { name: string }) => v.name === 'sim-b')).toMatchObject({ available: false, reason: 'TRADING_HALTED' });
  });

  it('refuses a bad state change with a coded error and changes nothing', async () => {
    d = await startTestDaemon();
    const { api } = d;
    for (const body of [
      { scope: 'strategy', name: 'nobody', state: 'HALTED' },
      { scope: 'venue', state: 'HALTED' },
      { scope: 'daemon', state: 'PAUSED' },
      { scope: 'strategy', name: 'manual', state: 'REDUC\u0131NG' }, // dotless i: only Unicode upper-cases it to I
      { scope: 'daemon', state: 'HALTED', extra: 1 },
      [1],
    ]) {
      const r = await api.post('/v1/admin/state', body);
      expect(r.status).toBe(400);
    }
    expect((await api.get('/v1/admin/state')).body.states).toEqual([{ scope: 'daemon', state: 'ACTIVE', since: 0 }]);
  });
});

describe('trading states survive a restart', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const x of dirs.splice(0)) rmSync(x, { recursive: true, force: true });
  });

  async function start(dir: string, edits: readonly YamlEdit[] = []): Promise<{ daemon: Daemon; api: ApiClient }> {
    const config = configFromText(paperConfigText([
      [['daemon', 'api', 'host'], '127.0.0.1'], [['daemon', 'api', 'port'], 0], [['daemon', 'dataDir'], dir],
      [['daemon', 'api', 'tokenFile'], join(dir, 'api-token')], ...edits,
    ], { workers: false }));
    const daemon = createDaemon(config, { env: { SWITCHYARD_API_TOKEN: TEST_TOKEN }, logDestination: discardLogs(), baseDir: dir });
    const { port } = await daemon.start();
    return { daemon, api: new ApiClient(`http://127.0.0.1:${port}`, TEST_TOKEN) };
  }

  it.each([
    ['from the journal events', 200_000],
    ['from a snapshot (old segments gone)', 1000],
  ])('%s', async (_name, snapshotEvery) => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-states-'));
    dirs.push(dir);
    const edits: YamlEdit[] = [[['daemon', 'journal', 'snapshotEvery'], snapshotEvery]];
    let { daemon, api } = await start(dir, edits);
    await api.post('/v1/admin/state', { scope: 'symbol', name: 'ETH-USDT', state: 'REDUCING', reason: 'vol' });
    await api.post('/v1/admin/state', { scope: 'venue', name: 'sim-b', state: 'HALTED' });
    // enough records for two snapshots when snapshotEvery is small: denied orders (ORDER + DENY records each)
    for (let k = 0; k < 24; k++) {
      const batch = await Promise.all(Array.from({ length: 50 }, () => api.post('/v1/orders', resting('sim-a', { quantity: '10', price: '60000' }))));
      for (const r of batch) expect(r.body.error.code).toBe('RISK_MAX_NOTIONAL');
    }
    const before = (await api.get('/v1/admin/state')).body.states;
    await daemon.stop('test restart');
    ({ daemon, api } = await start(dir, edits));
    try {
      if (snapshotEvery === 1000) expect(daemon.recovery?.replay.snapshotSeq).toBeGreaterThan(0);
      expect((await api.get('/v1/admin/state')).body.states).toEqual(before);
      expect((await api.post('/v1/orders', resting('sim-b'))).body.error.code).toBe('TRADING_HALTED');
      const eth = await api.post('/v1/orders', { strategy: 'manual', symbol: 'ETH-USDT', side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '2000', venue: 'sim-a' });
      expect(eth.body.error.code).toBe('TRADING_REDUCING');
    } finally {
      await daemon.stop('test finished');
    }
  });
});

describe('kill switch', () => {
  it('halts, cancels every open order at every venue and in the queue, reports the confirmations; resume takes orders again', async () => {
    d = await startTestDaemon();
    const { api } = d;
    const ids: number[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await api.post('/v1/orders', resting(i % 2 === 0 ? 'sim-a' : 'sim-b', { price: String(50000 + i) }));
      expect(r.status).toBe(201);
      ids.push(r.body.orderId);
    }
    for (const id of ids) await api.waitForState(id, 'ACCEPTED');
    const kill = await api.post('/v1/admin/kill', {});
    expect(kill.status).toBe(200);
    expect(kill.body).toMatchObject({ state: 'HALTED', orders: 20, cancelRequests: 20, confirmed: 20, unconfirmed: [], timedOut: false });
    expect(kill.body.elapsedMs).toBeGreaterThanOrEqual(0);
    for (const id of ids) expect((await api.get(`/v1/orders/${id}`)).body.state).toBe('CANCELED');
    expect((await api.get('/v1/orders?state=open')).body.orders).toEqual([]);
    // nothing left open at the venues either: their own books hold none of our orders
    expect(d.daemon.path.tracker.open).toBe(0);
    const after = await api.post('/v1/orders', resting('sim-a'));
    expect(after.body.error.code).toBe('TRADING_HALTED');
    await api.post('/v1/admin/state', { scope: 'daemon', state: 'ACTIVE' });
    expect((await api.post('/v1/orders', resting('sim-a'))).status).toBe(201);
  });

  it('an unknown field or a bad timeout is refused, nothing is halted', async () => {
    d = await startTestDaemon();
    expect((await d.api.post('/v1/admin/kill', { timeoutMs: 0 })).status).toBe(400);
    expect((await d.api.post('/v1/admin/kill', { force: true })).status).toBe(400);
    expect((await d.api.get('/v1/admin/state')).body.states[0].state).toBe('ACTIVE');
  });
});

describe('cancel-all', () => {
  it('cancels by strategy, side, venue or symbol; needs a filter; not counted against cancel rates', async () => {
    d = await startTestDaemon([[['strategies', 2, 'limits', 'maxCancelsPerSecond'], 1]]);
    const { api } = d;
    const place = async (over: Record<string, unknown>): Promise<number> => {
      const r = await api.post('/v1/orders', resting('sim-a', over));
      expect(r.status).toBe(201);
      return r.body.orderId as number;
    };
    const mBuyA = await place({});
    const mBuyB = await place({ venue: 'sim-b' });
    const mSell = await place({ side: 'SELL', price: '70000' });
    const other = await place({ strategy: 'momentum' });
    const eth = await place({ symbol: 'ETH-USDT', quantity: '0.01', price: '2000' });
    expect((await api.delete('/v1/orders')).status).toBe(400);
    expect((await api.delete('/v1/orders?strategy=manual&colour=red')).body.error.code).toBe('UNKNOWN_FIELD');
    expect((await api.delete('/v1/orders?strategy=nobody')).body.error.code).toBe('UNKNOWN_STRATEGY');
    const bySide = await api.delete('/v1/orders?strategy=manual&side=SELL');
    expect(bySide.status).toBe(202);
    expect(bySide.body).toEqual({ canceling: [mSell], refused: [] });
    const byVenue = await api.delete('/v1/orders?venue=sim-b');
    expect(byVenue.body.canceling).toEqual([mBuyB]);
    const bySymbol = await api.delete('/v1/orders?symbol=ETH-USDT');
    expect(bySymbol.body.canceling).toEqual([eth]);
    const byStrategy = await api.delete('/v1/orders?strategy=manual');
    expect(byStrategy.body.canceling).toEqual([mBuyA]);
    for (const id of [mSell, mBuyB, eth, mBuyA]) await api.waitForState(id, 'CANCELED');
    expect((await api.get(`/v1/orders/${other}`)).body.state).not.toBe('CANCELED');
    // a parameter given twice is refused, all included (its first value is not taken on a guess): nothing canceled
    for (const q of ['all=true&all=false', 'all=false&all=true', 'all=true&all=true', 'strategy=manual&strategy=manual']) {
      const twice = await api.delete(`/v1/orders?${q}`);
      expect([twice.status, twice.body.error?.code], q).toEqual([400, 'INVALID_FIELD']);
    }
    expect((await api.get(`/v1/orders/${other}`)).body.state).not.toMatch(/CANCEL/);
    const all = await api.delete('/v1/orders?all=true');
    expect(all.body.canceling).toEqual([other]);
  });

  it('a strategy over its maxCancelsPerSecond is refused RISK_CANCEL_RATE', async () => {
    d = await startTestDaemon([[['strategies', 2, 'limits', 'maxCancelsPerSecond'], 1], [['strategies', 2, 'limits', 'cancelBurst'], 1]]);
    const { api } = d;
    const a = (await api.post('/v1/orders', resting('sim-a'))).body.orderId;
    const b = (await api.post('/v1/orders', resting('sim-a'))).body.orderId;
    expect((await api.delete(`/v1/orders/${a}`)).status).toBe(202);
    const second = await api.delete(`/v1/orders/${b}`);
    expect(second.status).toBe(429);
    expect(second.body.error.code).toBe('RISK_CANCEL_RATE');
  });
});

describe('GET /v1/orders: filters and pages', () => {
  it('pages with a cursor, filters, refuses unknown parameters', async () => {
    d = await startTestDaemon();
    const { api } = d;
    const ids: number[] = [];
    for (let i = 0; i < 7; i++) ids.push((await api.post('/v1/orders', resting(i < 4 ? 'sim-a' : 'sim-b'))).body.orderId);
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r: { status: number; body: any } = await api.get(`/v1/orders?limit=3${cursor === null ? '' : `&cursor=${cursor}`}`);
      expect(r.status).toBe(200);
      expect(r.body.orders.length).toBeLessThanOrEqual(3);
      seen.push(...r.body.orders.map((o: { orderId: number }) => o.orderId));
      cursor = r.body.nextCursor;
      pages++;
    } while (cursor !== null);
    expect(seen).toEqual(ids);
    expect(pages).toBe(3);
    const b = await api.get('/v1/orders?venue=sim-b&strategy=manual&side=BUY&state=open');
    expect(b.body.orders.map((o: { orderId: number }) => o.orderId)).toEqual(ids.slice(4));
    expect((await api.get('/v1/orders?from=2999-01-01T00:00:00Z')).body.orders).toEqual([]);
    for (const bad of ['?colour=red', '?limit=0', '?limit=1001', '?cursor=x', '?side=UP', '?from=yesterday', '?state=open&state=all']) {
      expect((await api.get(`/v1/orders${bad}`)).status).toBe(400);
    }
  });
});

describe('denials name the limit and its value', () => {
  it('RISK_MAX_NOTIONAL names the strategy limit', async () => {
    d = await startTestDaemon();
    const r = await d.api.post('/v1/orders', resting('sim-a', { quantity: '10', price: '60000' }));
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe('RISK_MAX_NOTIONAL');
    expect(r.body.error.message).toBe('RISK_MAX_NOTIONAL: order notional 600000 USDT above strategy manual maxOrderNotional 500000 USDT');
  });

  it('a price collar from the config', async () => {
    d = await startTestDaemon([[['risk', 'priceCollarBps'], { 'BTC-USDT': 100 }]]);
    const r = await d.api.post('/v1/orders', resting('sim-a', { price: '70000' }));
    expect(r.body.error.code).toBe('RISK_PRICE_COLLAR');
    expect(r.body.error.message).toContain('risk.priceCollarBps BTC-USDT 100');
  });

  it('a market order for 0.0001 ETH (about 0.30 USDT) is refused BELOW_MIN_NOTIONAL like the same limit order', async () => {
    d = await startTestDaemon();
    const market = await d.api.post('/v1/orders', { strategy: 'manual', symbol: 'ETH-USDT', side: 'BUY', type: 'MARKET', quantity: '0.0001' });
    expect(market.body.error.code).toBe('BELOW_MIN_NOTIONAL');
    expect(market.body.error.message).toContain('minNotional 5 USDT');
  });
});

describe('API clients and worker strategies', () => {
  it('an API client may not submit as a worker strategy', async () => {
    d = await startTestDaemon([], TEST_TOKEN, { workers: true });
    const r = await d.api.post('/v1/orders', resting('sim-a', { strategy: 'momentum' }));
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('STRATEGY_NOT_API');
    expect((await d.api.post('/v1/orders', resting('sim-a'))).status).toBe(201);
  });
});

describe('PATCH /v1/orders/:id (amend) on the paper venue', () => {
  it('amends price and quantity with the venue\'s confirmation; refuses what cannot be amended', async () => {
    d = await startTestDaemon();
    const { api } = d;
    const placed = await api.post('/v1/orders', resting('sim-a', { strategy: 'momentum' }));
    await api.waitForState(placed.body.orderId, 'ACCEPTED');
    const id = placed.body.orderId as number;
    const price = await api.request('PATCH', `/v1/orders/${id}`, { body: { price: '50100' } });
    expect(price.status).toBe(200);
    expect(price.body).toMatchObject({ orderId: id, state: 'ACCEPTED', price: '50100.00', quantity: '0.00100' });
    const qty = await api.request('PATCH', `/v1/orders/${id}`, { body: { quantity: '0.002', price: '50050' } });
    expect(qty.status).toBe(200);
    expect(qty.body).toMatchObject({ price: '50050.00', quantity: '0.00200' });
    expect((await api.request('PATCH', `/v1/orders/${id}`, { body: { price: '50050' } })).body.error.code).toBe('AMEND_NO_CHANGE');
    expect((await api.request('PATCH', `/v1/orders/${id}`, { body: { colour: 'red' } })).body.error.code).toBe('UNKNOWN_FIELD');
    expect((await api.request('PATCH', `/v1/orders/${id}`, { body: { price: '50050.001' } })).body.error.code).toBe('PRICE_NOT_ON_TICK');
    expect((await api.request('PATCH', '/v1/orders/999999', { body: { price: '1' } })).status).toBe(404);
    await api.delete(`/v1/orders/${id}`);
    await api.waitForState(id, 'CANCELED');
    expect((await api.request('PATCH', `/v1/orders/${id}`, { body: { price: '50000' } })).body.error.code).toBe('ORDER_NOT_AMENDABLE');
  });
});

describe('?result=ids on POST /v1/orders, PATCH and DELETE /v1/orders/:id', () => {
  it('answers with the order\'s orderId and clientOrderId only; a bad value is refused before anything is done', async () => {
    d = await startTestDaemon();
    const { api } = d;
    const placed = await api.post('/v1/orders?result=ids', resting('sim-a', { strategy: 'momentum', clientOrderId: 'idsHttp1' }));
    expect(placed.status).toBe(201);
    const id = placed.body.orderId as number;
    expect(placed.text).toBe(JSON.stringify({ orderId: id, clientOrderId: 'idsHttp1' }));
    expect(d.daemon.path.tracker.getByClientOrderId('idsHttp1')!.id).toBe(id);
    await api.waitForState(id, 'ACCEPTED');
    const amended = await api.request('PATCH', `/v1/orders/${id}?result=ids`, { body: { price: '50100' } });
    expect(amended.status).toBe(200);
    expect(amended.text).toBe(JSON.stringify({ orderId: id, clientOrderId: 'idsHttp1' }));
    expect((await api.get(`/v1/orders/${id}`)).body).toMatchObject({ price: '50100.00' });
    const canceled = await api.request('DELETE', `/v1/orders/${id}?result=ids`);
    expect(canceled.status).toBe(202);
    expect(canceled.text).toBe(JSON.stringify({ orderId: id, clientOrderId: 'idsHttp1' }));
    // result=order is the default: the whole view
    const full = await api.post('/v1/orders?result=order', resting('sim-a', { strategy: 'momentum', clientOrderId: 'idsHttp2' }));
    expect(full.status).toBe(201);
    expect(full.body).toMatchObject({ orderId: expect.any(Number), clientOrderId: 'idsHttp2', symbol: 'BTC-USDT', price: expect.any(String) });
    // a bad value: 400, and no order was made
    const bad = await api.post('/v1/orders?result=all', resting('sim-a', { strategy: 'momentum', clientOrderId: 'idsHttp3' }));
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('INVALID_FIELD');
    expect(d.daemon.path.tracker.getByClientOrderId('idsHttp3')).toBeUndefined();
    expect((await api.post('/v1/orders?result=ids&result=ids', resting('sim-a', { strategy: 'momentum' }))).status).toBe(400);
  });
});

describe('amend over the WebSocket', () => {
  it('op amend: the venue\'s answer as the result; a refusal with its code', async () => {
    d = await startTestDaemon();
    const placed = await d.api.post('/v1/orders', resting('sim-a', { strategy: 'momentum' }));
    await d.api.waitForState(placed.body.orderId, 'ACCEPTED');
    const ws = await StreamClient.connect(d.wsUrl, d.token);
    try {
      const ok = await ws.request({ op: 'amend', id: 'a1', orderId: placed.body.orderId, amend: { price: '50200' } });
      expect(ok).toMatchObject({ ok: true, pending: false, order: { orderId: placed.body.orderId, price: '50200.00' } });
      const same = await ws.request({ op: 'amend', id: 'a2', orderId: placed.body.orderId, amend: { price: '50200' } });
      expect(same).toMatchObject({ ok: false, error: { code: 'AMEND_NO_CHANGE' } });
      const bad = await ws.request({ op: 'amend', id: 'a3', orderId: placed.body.orderId, amend: { size: '1' } });
      expect(bad).toMatchObject({ ok: false, error: { code: 'UNKNOWN_FIELD' } });
    } finally {
      await ws.close();
    }
  });
});
