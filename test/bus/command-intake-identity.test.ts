/*
 * Which command and which order a Redis command is: a cancel or amend names its order exactly (a client order id of
 * digits is not an order id), a new submit reusing a client order id is refused, and a request id used again for
 * another command is refused — each against a real daemon in process and the
 * shared Redis (127.0.0.1:6379, keys under a unique prefix, deleted afterwards). Setup as command-intake.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from 'redis';
import { createDaemon, type Daemon } from '../../src/daemon.js';
import { OrderCommands } from '../../src/api/order-commands.js';
import { CommandIntake } from '../../src/bus/command-intake.js';
import { CommandLedger } from '../../src/bus/command-ledger.js';
import { BusKeys } from '../../src/bus/protocol.js';
import { redisConnection, redisSettings } from '../../src/bus/redis-connection.js';
import { systemClock } from '../../src/model/clock.js';
import { discardLogs, TEST_TOKEN } from '../helpers/daemon.js';
import { pollUntil } from '../helpers/poll.js';
import { deletePrefix, SHARED_REDIS_URL, uniquePrefix } from '../helpers/redis-server.js';
import { configFromText, paperConfigText } from '../helpers/repo.js';

const prefix = uniquePrefix('cmd-identity');
const keys = new BusKeys(prefix);
const GROUP = 'switchyard';
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
let redis: ReturnType<typeof createClient>;

interface Rig { daemon: Daemon; ledger: CommandLedger; commands: OrderCommands; dir: string }
const rigs: Rig[] = [];
const intakes: CommandIntake[] = [];

async function startRig(): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-cmd-identity-'));
  const text = paperConfigText([
    [['daemon', 'api', 'host'], '127.0.0.1'],
    [['daemon', 'api', 'port'], 0],
    [['daemon', 'dataDir'], dir],
    [['daemon', 'api', 'tokenFile'], join(dir, 'api-token')],
    [['daemon', 'redis', 'keyPrefix'], prefix],
    [['daemon', 'shutdown', 'policy'], 'leave'],
  ], { workers: false });
  const daemon = createDaemon(configFromText(text), { env: { SWITCHYARD_API_TOKEN: TEST_TOKEN }, logDestination: discardLogs(), baseDir: dir });
  const ledger = new CommandLedger(1000, (e) => daemon.path.recorder?.event(e));
  daemon.path.stateParts.push(ledger);
  await daemon.start();
  const commands = new OrderCommands({ intake: daemon.path.intake, tracker: daemon.path.tracker, instruments: daemon.instruments });
  const rig = { daemon, ledger, commands, dir };
  rigs.push(rig);
  return rig;
}

function startIntake(rig: Rig): CommandIntake {
  const settings = redisSettings(SHARED_REDIS_URL, {});
  const intake = new CommandIntake({
    connect: (role) => redisConnection(settings, { role, log: quiet }),
    keys, group: GROUP, consumer: 'd1', strategies: ['momentum', 'market-maker'],
    commands: rig.commands, ledger: rig.ledger, durable: () => rig.daemon.path.recorder?.durable() ?? Promise.resolve(),
    clock: systemClock, log: quiet, batch: 64, claimIdleMs: 60_000, replyMaxLen: 1000, blockMs: 200,
  });
  intakes.push(intake);
  intake.start();
  return intake;
}

let seq = 0;
interface Reply { requestId: string; ok: string; replayed: string; body: any }

async function roundTrip(strategy: string, op: string, body: unknown, requestId = `pr${++seq}`, client = 'c1'): Promise<Reply> {
  await redis.xAdd(keys.commands(strategy), '*', { requestId, client, op, strategy, body: JSON.stringify(body) });
  const rs = await pollUntil(async () => {
    const entries = await redis.xRange(keys.replies(client), '-', '+');
    return entries.filter((e) => e.message.requestId === requestId)
      .map((e) => ({ requestId, ok: e.message.ok!, replayed: e.message.replayed!, body: JSON.parse(e.message.body!) }));
  }, (r) => r.length > 0, { timeoutMs: 10_000, what: `reply to ${requestId}` });
  return rs[0]!;
}

const resting = (o: Record<string, unknown> = {}) => ({ strategy: 'momentum', symbol: 'BTC-USDT', side: 'BUY', price: '30000', quantity: '0.001', ...o });

beforeAll(async () => {
  redis = createClient({ url: SHARED_REDIS_URL });
  redis.on('error', () => undefined);
  await redis.connect();
});

afterEach(async () => {
  for (const i of intakes.splice(0)) await i.stop();
  for (const r of rigs.splice(0)) {
    await r.daemon.stop('test finished');
    rmSync(r.dir, { recursive: true, force: true });
  }
});

afterAll(async () => {
  await redis?.close();
  await deletePrefix(SHARED_REDIS_URL, prefix);
});

describe('the order a cancel or amend names', () => {
  it('{ clientOrderId } made of digits names the order with that client order id, not the order whose id is those digits', async () => {
    const rig = await startRig();
    const intake = startIntake(rig);
    await pollUntil(() => intake.status().up, (up) => up, { what: 'intake up' });
    const tracker = rig.daemon.path.tracker;

    // order P (some id p), then order Q whose client order id is String(p): a strategy numbering its own orders
    const p = await roundTrip('momentum', 'submit', resting({ clientOrderId: 'probeP' }));
    expect(p.ok).toBe('1');
    const pId = p.body.order.orderId as number;
    const q = await roundTrip('momentum', 'submit', resting({ clientOrderId: String(pId), price: '29000' }));
    expect(q.ok).toBe('1');
    const qId = q.body.order.orderId as number;
    expect(qId).not.toBe(pId);
    await pollUntil(() => [tracker.get(pId)?.state, tracker.get(qId)?.state], (s) => s.every((x) => x === 'ACCEPTED'), { what: 'both accepted' });

    // amend Q by its client order id: Q's price changes, P is untouched
    const pPrice = tracker.get(pId)!.priceTicks;
    const am = await roundTrip('momentum', 'amend', { clientOrderId: String(pId), price: '28000' });
    expect(am.body.order?.orderId, `amend { clientOrderId: '${pId}' } answered about order ${am.body.order?.orderId}`).toBe(qId);
    expect(tracker.get(pId)!.priceTicks).toBe(pPrice);

    // cancel Q by its client order id: Q is canceled, P keeps resting
    const ca = await roundTrip('momentum', 'cancel', { clientOrderId: String(pId) });
    expect(ca.body.order?.orderId, `cancel { clientOrderId: '${pId}' } canceled order ${ca.body.order?.orderId}`).toBe(qId);
    await pollUntil(() => tracker.get(qId)?.state, (s) => s === 'CANCELED', { what: 'Q canceled' });
    expect(tracker.get(pId)!.state).toBe('ACCEPTED');
  }, 60_000);
});

describe('a new submit that reuses a client order id', () => {
  it('is refused DUPLICATE_CLIENT_ORDER_ID, not answered ok with the other order as if it had been executed', async () => {
    const rig = await startRig();
    const intake = startIntake(rig);
    await pollUntil(() => intake.status().up, (up) => up, { what: 'intake up' });
    const tracker = rig.daemon.path.tracker;

    const first = await roundTrip('momentum', 'submit', resting({ clientOrderId: 'reuse1' }), 'reuse-req-1');
    expect(first.ok).toBe('1');
    // another command (new request id, new entry) with the same client order id and other terms: a SELL of ETH
    const second = await roundTrip('momentum', 'submit', resting({ clientOrderId: 'reuse1', symbol: 'ETH-USDT', side: 'SELL', price: '9000', quantity: '0.1' }), 'reuse-req-2');
    expect(tracker.list(false).filter((o) => o.clientOrderId === 'reuse1')).toHaveLength(1); // nothing executed
    expect({ ok: second.ok, replayed: second.replayed, code: second.body.error?.code },
      'a new command answered ok with an order it did not make').toEqual({ ok: '0', replayed: '0', code: 'DUPLICATE_CLIENT_ORDER_ID' });
    expect(intake.status().replayed).toBe(0);
  }, 60_000);
});

describe('a request id used again for another command', () => {
  it('a cancel that reuses a submit\'s request id is refused (clearly), not answered with the submit\'s recorded outcome', async () => {
    const rig = await startRig();
    const intake = startIntake(rig);
    await pollUntil(() => intake.status().up, (up) => up, { what: 'intake up' });
    const tracker = rig.daemon.path.tracker;

    const sub = await roundTrip('momentum', 'submit', resting({ clientOrderId: 'rid1' }), 'same-rid', 'c1');
    expect(sub.ok).toBe('1');
    const id = sub.body.order.orderId as number;
    await pollUntil(() => tracker.get(id)?.state, (s) => s === 'ACCEPTED', { what: 'accepted' });
    // a client that restarted its request counter: its cancel carries a request id its submit had (reply stream c2)
    const ca = await roundTrip('momentum', 'cancel', { orderId: id }, 'same-rid', 'c2');
    expect({ ok: ca.ok, replayed: ca.replayed, code: ca.body.error?.code, field: ca.body.error?.field },
      'the cancel was answered ok with the submit\'s outcome and never executed').toEqual({ ok: '0', replayed: '0', code: 'INVALID_FIELD', field: 'requestId' });
    expect(tracker.get(id)!.state).toBe('ACCEPTED'); // nothing executed under a reused request id
    // a submit of another order under the same request id: refused too
    const sub2 = await roundTrip('momentum', 'submit', resting({ clientOrderId: 'rid2' }), 'same-rid', 'c3');
    expect({ ok: sub2.ok, replayed: sub2.replayed, code: sub2.body.error?.code }).toEqual({ ok: '0', replayed: '0', code: 'INVALID_FIELD' });
    // the same submit again is still a replay (a genuine redelivery)
    const again = await roundTrip('momentum', 'submit', resting({ clientOrderId: 'rid1' }), 'same-rid', 'c4');
    expect({ ok: again.ok, replayed: again.replayed, orderId: again.body.order?.orderId }).toEqual({ ok: '1', replayed: '1', orderId: id });
  }, 60_000);

  it('a cancel of another order under a request id a cancel had is refused, not answered with the first cancel\'s outcome', async () => {
    const rig = await startRig();
    const intake = startIntake(rig);
    await pollUntil(() => intake.status().up, (up) => up, { what: 'intake up' });
    const tracker = rig.daemon.path.tracker;
    const a = (await roundTrip('momentum', 'submit', resting({ clientOrderId: 'twoA' }))).body.order.orderId as number;
    const b = (await roundTrip('momentum', 'submit', resting({ clientOrderId: 'twoB', price: '29000' }))).body.order.orderId as number;
    await pollUntil(() => [tracker.get(a)?.state, tracker.get(b)?.state], (s) => s.every((x) => x === 'ACCEPTED'), { what: 'both accepted' });
    const first = await roundTrip('momentum', 'cancel', { orderId: a }, 'cancel-rid', 'c1');
    expect(first.ok).toBe('1');
    const second = await roundTrip('momentum', 'cancel', { clientOrderId: 'twoB' }, 'cancel-rid', 'c2');
    expect({ ok: second.ok, replayed: second.replayed, code: second.body.error?.code, field: second.body.error?.field },
      'a cancel of order B answered with the cancel of order A').toEqual({ ok: '0', replayed: '0', code: 'INVALID_FIELD', field: 'requestId' });
    expect(second.body.error.message).toContain(`the cancel of order ${a}`);
    expect(tracker.get(b)!.state).toBe('ACCEPTED');
    // the same cancel again (by the other name of the same order) is a delivery again: replayed
    const again = await roundTrip('momentum', 'cancel', { clientOrderId: 'twoA' }, 'cancel-rid', 'c3');
    expect({ ok: again.ok, replayed: again.replayed }).toEqual({ ok: '1', replayed: '1' });
  }, 60_000);
});
