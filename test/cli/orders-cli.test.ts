/**
 * `switchyard orders list|get|submit|cancel|cancel-all` against an in-process daemon (paper venues, API-only
 * strategies: the test's orders are the only ones), the CLI functions called with captured stdout and stderr. The
 * daemon's word is checked through the API itself, never through the CLI's own output alone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOrdersCli } from '../../src/cli/order-commands-cli.js';
import { pollUntil } from '../helpers/poll.js';
import { startTestDaemon, TEST_TOKEN, type TestDaemon } from '../helpers/daemon.js';
import { captureIo, writeCliConfig } from './cli-harness.js';

describe('switchyard orders (in-process daemon)', () => {
  let t: TestDaemon;
  let dir: string;
  let config: string;

  beforeAll(async () => {
    t = await startTestDaemon();
    dir = mkdtempSync(join(tmpdir(), 'switchyard-cli-orders-'));
    config = writeCliConfig(dir, 7480, join(dir, 'no-token-file'));
  }, 30_000);

  afterAll(async () => {
    await t?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Run `orders ARGS` with the daemon's URL and the token in the environment. */
  const orders = async (args: string[], extra = {}) => {
    const c = captureIo(config, { SWITCHYARD_API_TOKEN: TEST_TOKEN }, extra);
    const code = await runOrdersCli([...args, '--url', t.baseUrl], c.io);
    return { code, out: c.out, err: c.err, stdout: c.stdout() };
  };
  const restingBuy = ['submit', '--strategy', 'momentum', '--symbol', 'BTC-USDT', '--side', 'BUY', '--type', 'LIMIT', '--quantity', '0.001'];

  it('submit: the order and its state; --json is the API body, decimals exactly as typed', async () => {
    const r = await orders([...restingBuy, '--price', '50000.10', '--client-order-id', 'cliA1', '--tif', 'GTC']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^order \d+ \(cliA1\) (SUBMITTED|ACCEPTED): BUY 0\.00100 BTC-USDT LIMIT 50000\.10 GTC at sim-[ab]$/);
    const j = await orders([...restingBuy, '--price', '49999.90', '--client-order-id', 'cliA2', '--json']);
    expect(j.code).toBe(0);
    const body = JSON.parse(j.stdout);
    expect(body).toMatchObject({ clientOrderId: 'cliA2', price: '49999.90', quantity: '0.00100', side: 'BUY' });
    expect((await t.api.get(`/v1/orders/${body.orderId}`)).body.clientOrderId).toBe('cliA2');
  });

  it('submit refused: exit 1 with the code on stderr (and the error body with --json); 400s and missing flags exit 2', async () => {
    expect((await t.api.post('/v1/admin/state', { scope: 'strategy', name: 'momentum', state: 'HALTED' })).status).toBe(200);
    try {
      const r = await orders([...restingBuy, '--price', '50000']);
      expect(r.code).toBe(1);
      expect(r.err.join('\n')).toMatch(/^switchyard orders submit: TRADING_HALTED: /);
      const j = await orders([...restingBuy, '--price', '50000', '--json']);
      expect(j.code).toBe(1);
      expect(JSON.parse(j.stdout).error.code).toBe('TRADING_HALTED');
    } finally {
      await t.api.post('/v1/admin/state', { scope: 'strategy', name: 'momentum', state: 'ACTIVE' });
    }
    // denied by pre-trade risk: the order exists, DENIED; its code once, then the limit it broke
    const risky = await orders(['submit', '--strategy', 'manual', '--symbol', 'BTC-USDT', '--side', 'BUY', '--price', '59000.00', '--quantity', '100']);
    expect(risky.code).toBe(1);
    expect(risky.err[0]).toMatch(/^switchyard orders submit: RISK_MAX_(NOTIONAL|ORDER_QTY): (?!RISK_)\S/);
    const denied = /order (\d+) was created and refused/.exec(risky.err.join('\n'));
    expect(denied).not.toBeNull();
    expect((await t.api.get(`/v1/orders/${denied![1]}`)).body.state).toBe('DENIED');
    const offTick = await orders([...restingBuy, '--price', '50000.001']);
    expect(offTick.code).toBe(2);
    expect(offTick.err.join('\n')).toContain('PRICE_NOT_ON_TICK');
    const missing = await orders(['submit', '--strategy', 'momentum', '--symbol', 'BTC-USDT', '--side', 'BUY', '--price', '1']);
    expect(missing.code).toBe(2);
    expect(missing.err.join('\n')).toContain('--quantity is required');
  });

  it('get by client order id and by id; an unknown one exits 1 ORDER_NOT_FOUND', async () => {
    await orders([...restingBuy, '--price', '48000.00', '--client-order-id', 'getMe7']);
    const byClient = await orders(['get', 'getMe7']);
    expect(byClient.code).toBe(0);
    expect(byClient.stdout).toMatch(/^client order id\s+getMe7$/m);
    expect(byClient.stdout).toMatch(/^price\s+48000\.00$/m);
    const api = (await t.api.get('/v1/orders/getMe7')).body;
    const byId = await orders(['get', String(api.orderId), '--json']);
    expect(byId.code).toBe(0);
    expect(JSON.parse(byId.stdout)).toMatchObject({ orderId: api.orderId, clientOrderId: 'getMe7', price: '48000.00' });
    const none = await orders(['get', 'noSuchOrder99']);
    expect(none.code).toBe(1);
    expect(none.err.join('\n')).toContain('ORDER_NOT_FOUND');
  });

  it('--by says what the key is when digits are one order\'s id and another\'s client order id', async () => {
    const a = (await t.api.post('/v1/orders', { strategy: 'momentum', symbol: 'BTC-USDT', side: 'BUY', price: '47000.00', quantity: '0.001' })).body.orderId as number;
    const b = (await t.api.post('/v1/orders', { strategy: 'momentum', symbol: 'BTC-USDT', side: 'BUY', price: '47001.00', quantity: '0.001', clientOrderId: String(a) })).body.orderId as number;
    const guess = await orders(['get', String(a)]);
    expect(guess.code).toBe(2); // a 400, as any refused request
    expect(guess.err.join('\n')).toContain('INVALID_FIELD');
    expect(JSON.parse((await orders(['get', String(a), '--by', 'id', '--json'])).stdout).orderId).toBe(a);
    expect(JSON.parse((await orders(['get', String(a), '--by', 'clientOrderId', '--json'])).stdout).orderId).toBe(b);
    const badBy = await orders(['get', String(a), '--by', 'venue']);
    expect([badBy.code, badBy.err.join('\n')]).toEqual([2, expect.stringContaining('--by must be id or clientOrderId')]);
    const canceled = await orders(['cancel', String(a), '--by', 'clientOrderId', '--json']);
    expect([canceled.code, JSON.parse(canceled.stdout).orderId]).toEqual([0, b]);
    expect((await orders(['cancel', String(a), '--by', 'id'])).code).toBe(0);
  });

  it('list pages through nextCursor: every order once, in id order, across pages; --limit stops and says more follow', async () => {
    for (let i = 0; i < 5; i++) await orders(['submit', '--strategy', 'market-maker', '--symbol', 'ETH-USDT', '--side', 'SELL', '--price', `${3500 + i}.00`, '--quantity', '0.01']);
    const expected = ((await t.api.get('/v1/orders?strategy=market-maker&limit=1000')).body.orders as { orderId: number }[]).map((o) => o.orderId);
    expect(expected.length).toBe(5);

    const all = await orders(['list', '--strategy', 'market-maker', '--all', '--page-size', '2', '--json']);
    expect(all.code).toBe(0);
    const doc = JSON.parse(all.stdout);
    expect(doc.orders.map((o: { orderId: number }) => o.orderId)).toEqual(expected); // 3 pages: 2 + 2 + 1
    expect(doc.nextCursor).toBeNull();

    const table = await orders(['list', '--strategy', 'market-maker', '--all', '--page-size', '2']);
    expect(table.code).toBe(0);
    expect(table.out[0]).toMatch(/^\s*ID\s+CLIENT ID\s+STRATEGY\s+SYMBOL\s+SIDE\s+TYPE\s+PRICE\s+QTY\s+FILLED\s+AVG PRICE\s+STATE\s+VENUE\s+CREATED$/);
    expect(table.out.filter((l) => l.includes('ID')).length).toBe(1); // the header once, not once per page
    expect(table.out.slice(1).map((l) => Number(l.trim().split(/\s+/)[0]))).toEqual(expected);
    expect(table.stdout).toContain('3504.00'); // decimals as the API gives them

    const limited = await orders(['list', '--strategy', 'market-maker', '--limit', '3', '--page-size', '2', '--json']);
    const ld = JSON.parse(limited.stdout);
    expect(ld.orders.map((o: { orderId: number }) => o.orderId)).toEqual(expected.slice(0, 3));
    expect(ld.nextCursor).toBe(String(expected[2]));
    const next = await orders(['list', '--strategy', 'market-maker', '--cursor', ld.nextCursor, '--json']);
    expect(JSON.parse(next.stdout).orders.map((o: { orderId: number }) => o.orderId)).toEqual(expected.slice(3));
    const limitedTable = await orders(['list', '--strategy', 'market-maker', '--limit', '3']);
    expect(limitedTable.out.length).toBe(4);
    expect(limitedTable.err.join('\n')).toMatch(/more orders follow/);

    const sells = await orders(['list', '--side', 'sell', '--open', '--json']);
    expect(JSON.parse(sells.stdout).orders.every((o: { side: string }) => o.side === 'SELL')).toBe(true);
    expect((await orders(['list', '--state', 'bogus'])).code).toBe(2); // the daemon's 400
    expect((await orders(['list', '--limit', '5', '--all'])).code).toBe(2);
    expect((await orders(['list', '--colour'])).code).toBe(2);
  });

  it('cancel by client order id: PENDING_CANCEL then CANCELED at the daemon; a second cancel exits 1', async () => {
    await orders([...restingBuy, '--price', '47000.00', '--client-order-id', 'cancelMe1']);
    const id = (await t.api.get('/v1/orders/cancelMe1')).body.orderId as number;
    await t.api.waitForState(id, 'ACCEPTED');
    const r = await orders(['cancel', 'cancelMe1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^order ${id} \\(cancelMe1\\) (PENDING_CANCEL|CANCELED)`));
    await t.api.waitForState(id, 'CANCELED');
    const again = await orders(['cancel', String(id)]);
    expect(again.code).toBe(1);
    expect(again.err.join('\n')).toContain('ORDER_NOT_CANCELABLE');
  });

  it('cancel-all: refused without a filter (nothing canceled), asks on a terminal, cancels what matches', async () => {
    const open = async (strategy: string) => ((await t.api.get(`/v1/orders?strategy=${strategy}&state=open`)).body.orders as unknown[]).length;
    expect(await open('market-maker')).toBe(5);
    const none = await orders(['cancel-all']);
    expect(none.code).toBe(2);
    expect(none.err.join('\n')).toMatch(/name what to cancel/);
    expect((await orders(['cancel-all', '--all', '--strategy', 'momentum'])).code).toBe(2);
    expect(await open('market-maker')).toBe(5);

    const questions: string[] = [];
    const declined = await orders(['cancel-all', '--strategy', 'market-maker'], { tty: true, confirm: async (q: string) => (questions.push(q), false) });
    expect(declined.code).toBe(1);
    expect(questions[0]).toMatch(/cancel every open order with strategy market-maker/);
    expect(await open('market-maker')).toBe(5); // declined: nothing sent
    const cannotAsk = await orders(['cancel-all', '--strategy', 'market-maker'], { tty: true });
    expect(cannotAsk.code).toBe(2);
    expect(cannotAsk.err.join('\n')).toMatch(/give --yes/);
    expect(await open('market-maker')).toBe(5);

    const yes = await orders(['cancel-all', '--strategy', 'market-maker', '--yes', '--json'], { tty: true, confirm: async () => { throw new Error('asked despite --yes'); } });
    expect(yes.code).toBe(0);
    expect(JSON.parse(yes.stdout)).toMatchObject({ canceling: expect.any(Array), refused: [] });
    expect(JSON.parse(yes.stdout).canceling.length).toBe(5);
    expect(await pollUntil(() => open('market-maker'), (n) => n === 0, { timeoutMs: 5000 })).toBe(0);
    expect(await open('momentum')).toBeGreaterThan(0); // another strategy's orders left alone

    const nothing = await orders(['cancel-all', '--strategy', 'market-maker']); // not a terminal: no question
    expect(nothing.code).toBe(0);
    expect(nothing.stdout).toBe('asked to cancel 0 orders');
  });

  it('a token the daemon refuses: exit 1 UNAUTHORIZED, for a submit too (nothing submitted)', async () => {
    const before = ((await t.api.get('/v1/orders?limit=1000')).body.orders as unknown[]).length;
    const c = captureIo(config, { SWITCHYARD_API_TOKEN: 'not-the-token-0000' });
    expect(await runOrdersCli([...restingBuy, '--price', '50000', '--url', t.baseUrl], c.io)).toBe(1);
    expect(c.err.join('\n')).toMatch(/UNAUTHORIZED/);
    expect(((await t.api.get('/v1/orders?limit=1000')).body.orders as unknown[]).length).toBe(before);
  });

  it('orders without a command, or an unknown one, exit 2', async () => {
    expect((await orders([])).code).toBe(2);
    expect((await orders(['explode'])).code).toBe(2);
    expect((await orders(['get'])).code).toBe(2); // missing <id>
  });
});
