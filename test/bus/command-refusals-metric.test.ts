/**
 * switchyard_rejects_total counts the submits a Redis strategy had refused (the order never made), as it counts those
 * refused at the HTTP and WebSocket edges and at a worker's ring: an operator reading it must see a remote strategy
 * whose every order is refused. A real daemon in process (config/paper.yaml, momentum with source: redis, its own
 * command intake) over the shared Redis (127.0.0.1:6379) under a unique key prefix.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemon, type Daemon } from '../../src/daemon.js';
import { BusKeys } from '../../src/bus/protocol.js';
import { discardLogs, TEST_TOKEN } from '../helpers/daemon.js';
import { ApiClient, metricValue } from '../helpers/http.js';
import { pollUntil } from '../helpers/poll.js';
import { deletePrefix, SHARED_REDIS_URL, uniquePrefix } from '../helpers/redis-server.js';
import { configFromText, paperConfigText } from '../helpers/repo.js';

const prefix = uniquePrefix('command-refusals');
const keys = new BusKeys(prefix);
let redis: ReturnType<typeof createClient>;
let daemon: Daemon;
let api: ApiClient;
let dir: string;

beforeAll(async () => {
  redis = createClient({ url: SHARED_REDIS_URL });
  redis.on('error', () => undefined);
  await redis.connect();
  dir = mkdtempSync(join(tmpdir(), 'switchyard-cmd-refusals-'));
  const config = configFromText(paperConfigText([
    [['daemon', 'api', 'host'], '127.0.0.1'],
    [['daemon', 'api', 'port'], 0],
    [['daemon', 'dataDir'], dir],
    [['daemon', 'api', 'tokenFile'], join(dir, 'api-token')],
    [['daemon', 'redis', 'url'], SHARED_REDIS_URL],
    [['daemon', 'redis', 'keyPrefix'], prefix],
    [['strategies', 0, 'source'], 'redis'],
  ], { workers: false }));
  expect(config.strategies[0]!.id).toBe('momentum');
  daemon = createDaemon(config, { env: { SWITCHYARD_API_TOKEN: TEST_TOKEN }, logDestination: discardLogs(), baseDir: dir });
  const { port } = await daemon.start();
  api = new ApiClient(`http://127.0.0.1:${port}`, TEST_TOKEN);
  await pollUntil(async () => (await api.get('/health')).body.redis?.commands?.up, (up) => up === true, { timeoutMs: 10_000, what: 'command intake up' });
}, 30_000);

afterAll(async () => {
  await daemon?.stop('test finished');
  await deletePrefix(SHARED_REDIS_URL, prefix);
  await redis?.quit();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

let seq = 0;
/** Sends a submit command on momentum's stream and returns its reply's body. */
async function submit(order: Record<string, unknown>): Promise<{ ok: string; body: any }> {
  const requestId = `r${++seq}`;
  await redis.xAdd(keys.commands('momentum'), '*', { requestId, client: 'c1', op: 'submit', strategy: 'momentum', body: JSON.stringify({ strategy: 'momentum', ...order }) });
  const replies = await pollUntil(async () => (await redis.xRange(keys.replies('c1'), '-', '+')).filter((e) => e.message.requestId === requestId),
    (rs) => rs.length >= 1, { timeoutMs: 10_000, what: `reply to ${requestId}` });
  return { ok: replies[0]!.message.ok!, body: JSON.parse(replies[0]!.message.body!) };
}

const ORDER = { symbol: 'BTC-USDT', side: 'BUY', type: 'LIMIT', price: '30000.00', quantity: '0.01' };

describe('switchyard_rejects_total: submits refused over the Redis command streams', () => {
  it('counts each submit refused before it made an order, once, by its code', async () => {
    // defect: the command intake answered the refusal on the reply stream and counted nothing in rejects_total (the
    // command counts as `processed`), so a remote strategy whose every order was refused showed no rejects
    const offTick = await submit({ ...ORDER, price: '30000.001', clientOrderId: 'offtick1' });
    expect(offTick.ok).toBe('0');
    const code = offTick.body.error.code as string;
    const noCid = await submit({ ...ORDER });
    expect(noCid.body.error).toMatchObject({ code: 'INVALID_FIELD', field: 'clientOrderId' });
    const placed = await submit({ ...ORDER, clientOrderId: 'placed1' });
    expect(placed.ok).toBe('1');
    const again = await submit({ ...ORDER, clientOrderId: 'placed1' });
    expect(again.body.error.code).toBe('DUPLICATE_CLIENT_ORDER_ID');
    const metrics = await api.metrics();
    expect(metricValue(metrics, 'switchyard_rejects_total', { code })).toBe(1);
    expect(metricValue(metrics, 'switchyard_rejects_total', { code: 'INVALID_FIELD' })).toBe(1);
    expect(metricValue(metrics, 'switchyard_rejects_total', { code: 'DUPLICATE_CLIENT_ORDER_ID' })).toBe(1);
    expect(metricValue(metrics, 'switchyard_rejects_total')).toBe(3);
  }, 30_000);

  it('counts a malformed submit entry by its code, once however often it is read again (its reply failing), never holding up the entries behind it', async () => {
    // defect: an entry that is not a command (here a submit whose body is not JSON) was refused and counted in
    // switchyard_redis_commands_total{result="malformed"} only, never in rejects_total; and an entry refused, its reply
    // failing, was counted again at every read of the pending entries
    const before = await api.metrics();
    const rejects = (text: string, code?: string): number => metricValue(text, 'switchyard_rejects_total', code === undefined ? {} : { code });
    const entries = (text: string, result: string): number => metricValue(text, 'switchyard_redis_commands_total', { result });
    await redis.set(keys.replies('c9'), 'not a stream'); // c9's replies fail: its entries stay pending and are read again
    const key = keys.commands('momentum');
    await redis.xAdd(key, '*', { requestId: 'bad-json', client: 'c9', op: 'submit', strategy: 'momentum', body: '{"symbol": ' });
    await redis.xAdd(key, '*', { requestId: 'no-cid', client: 'c9', op: 'submit', strategy: 'momentum', body: JSON.stringify({ strategy: 'momentum', ...ORDER }) });
    // not a submit (no op): not an order refused, counted as malformed only
    await redis.xAdd(key, '*', { requestId: 'no-op', client: 'c1', strategy: 'momentum', body: '{}' });
    // behind them, answered while they wait
    const placed = await submit({ ...ORDER, clientOrderId: 'behind1' });
    expect(placed.ok).toBe('1');
    const health = async (): Promise<any> => (await api.get('/health')).body.redis.commands;
    const failures0 = (await health()).replyFailures as number;
    await pollUntil(health, (c) => c.replyFailures >= failures0 + 4, { timeoutMs: 15_000, what: 'c9\'s entries read again, their replies failing again' });
    await redis.del(keys.replies('c9'));
    const answered = await pollUntil(async () => (await redis.xRange(keys.replies('c9'), '-', '+')).map((e) => e.message), (m) => m.length >= 2,
      { timeoutMs: 10_000, what: 'c9 answered' });
    expect(answered.map((m) => [m.requestId, JSON.parse(m.body!).error.code])).toEqual([['bad-json', 'BAD_REQUEST'], ['no-cid', 'INVALID_FIELD']]);
    await pollUntil(async () => Number((await redis.xPending(key, 'switchyard')).pending), (n) => n === 0, { timeoutMs: 10_000, what: 'all acknowledged' });
    const after = await api.metrics();
    expect(rejects(after, 'BAD_REQUEST') - rejects(before, 'BAD_REQUEST')).toBe(1);
    expect(rejects(after, 'INVALID_FIELD') - rejects(before, 'INVALID_FIELD')).toBe(1);
    expect(rejects(after) - rejects(before)).toBe(2);
    expect(entries(after, 'malformed') - entries(before, 'malformed')).toBe(2);
    expect(entries(after, 'refused') - entries(before, 'refused')).toBe(1);
  }, 60_000);
});
