import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { createClient } from 'redis';
import { createDaemon, type Daemon } from '../../src/daemon.js';
import { OrderCommands } from '../../src/api/order-commands.js';
import { CommandIntake, type CommandIntakeOptions } from '../../src/bus/command-intake.js';
import { CommandLedger } from '../../src/bus/command-ledger.js';
import { BusKeys } from '../../src/bus/protocol.js';
import { redisConnection, redisSettings } from '../../src/bus/redis-connection.js';
import { systemClock } from '../../src/model/clock.js';
import { discardLogs, TEST_TOKEN } from '../helpers/daemon.js';
import { pollUntil } from '../helpers/poll.js';
import { deletePrefix, SHARED_REDIS_URL, uniquePrefix } from '../helpers/redis-server.js';
import { configFromText, paperConfigText } from '../helpers/repo.js';

/*
 * The rig of the Redis command intake's tests (command-intake.test.ts, command-group-restart.test.ts): commands over
 * the shared Redis (127.0.0.1:6379, keys under a prefix of their own per test file: vitest gives each file its own
 * copy of this module) into a real daemon in process — config/paper.yaml without modules, momentum and market-maker
 * with source: redis, the journal on, paper venues (the BTC-USDT quote starts at 60000: a buy at 30000 rests). A test
 * file calls useCommandRig() once, at its top.
 */

export const prefix = uniquePrefix('command');
export const keys = new BusKeys(prefix);
export const GROUP = 'switchyard';
export const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
export let redis: ReturnType<typeof createClient>;

export interface Rig {
  daemon: Daemon;
  ledger: CommandLedger;
  commands: OrderCommands;
  dir: string;
}

export const rigs: Rig[] = [];
export const intakes: CommandIntake[] = [];

/** A daemon on `dir` (a fresh one when absent) with the ledger among its journal state parts (before recovery). */
export async function startRig(dir = mkdtempSync(join(tmpdir(), 'switchyard-cmd-')), options: { ledgerInJournal?: boolean; window?: number } = {}): Promise<Rig> {
  const text = paperConfigText([
    [['daemon', 'api', 'host'], '127.0.0.1'],
    [['daemon', 'api', 'port'], 0],
    [['daemon', 'dataDir'], dir],
    [['daemon', 'api', 'tokenFile'], join(dir, 'api-token')],
    [['daemon', 'redis', 'keyPrefix'], prefix],
    [['daemon', 'shutdown', 'policy'], 'leave'],
  ], { workers: false }); // API strategies: the daemon builds no command intake of its own, the test's is the one reading
  const daemon = createDaemon(configFromText(text), { env: { SWITCHYARD_API_TOKEN: TEST_TOKEN }, logDestination: discardLogs(), baseDir: dir });
  const ledger = new CommandLedger(options.window ?? 1000, (e) => daemon.path.recorder?.event(e));
  if (options.ledgerInJournal !== false) daemon.path.stateParts.push(ledger);
  await daemon.start();
  const durable = (): Promise<void> => daemon.path.recorder?.durable() ?? Promise.resolve();
  const commands = new OrderCommands({ intake: daemon.path.intake, tracker: daemon.path.tracker, instruments: daemon.instruments, durable });
  const rig = { daemon, ledger, commands, dir };
  rigs.push(rig);
  return rig;
}

export async function stopRig(rig: Rig, removeDir = true): Promise<void> {
  rigs.splice(rigs.indexOf(rig), 1);
  await rig.daemon.stop('test finished');
  if (removeDir) rmSync(rig.dir, { recursive: true, force: true });
}

export function startIntake(rig: Rig, over: Partial<CommandIntakeOptions> = {}, url = SHARED_REDIS_URL): CommandIntake {
  const settings = redisSettings(url, {});
  const intake = new CommandIntake({
    connect: (role) => redisConnection(settings, { role, log: quiet }),
    keys, group: GROUP, consumer: 'd1', strategies: ['momentum', 'market-maker'],
    commands: rig.commands, ledger: rig.ledger, durable: () => rig.daemon.path.recorder?.durable() ?? Promise.resolve(),
    clock: systemClock, log: quiet, batch: 64, claimIdleMs: 60_000, replyMaxLen: 1000, blockMs: 200,
    ...over,
  });
  intakes.push(intake);
  intake.start();
  return intake;
}

/** startIntake, once the intake reads (its consumer group made, its pending entries read). */
export async function startIntakeUp(rig: Rig, over: Partial<CommandIntakeOptions> = {}, url = SHARED_REDIS_URL): Promise<CommandIntake> {
  const intake = startIntake(rig, over, url);
  await pollUntil(() => intake.status().up, (up) => up, { what: 'intake up' });
  return intake;
}

export async function stopIntake(intake: CommandIntake): Promise<void> {
  intakes.splice(intakes.indexOf(intake), 1);
  await intake.stop();
}

let seq = 0;
/** A command entry (fields as given: a test may leave some out). */
export async function send(strategy: string, fields: Record<string, string>): Promise<string> {
  return redis.xAdd(keys.commands(strategy), '*', fields);
}

export function command(strategy: string, op: string, body: unknown, o: { client?: string; requestId?: string; field?: string; result?: string } = {}): Record<string, string> {
  const fields: Record<string, string> = { requestId: o.requestId ?? `r${++seq}`, client: o.client ?? 'c1', op, strategy: o.field ?? strategy, body: JSON.stringify(body) };
  if (o.result !== undefined) fields.result = o.result;
  return fields;
}

export interface Reply {
  requestId: string;
  ok: string;
  replayed: string;
  body: any;
}

export async function repliesOf(client: string): Promise<Reply[]> {
  const entries = await redis.xRange(keys.replies(client), '-', '+');
  return entries.map((e) => ({ requestId: e.message.requestId!, ok: e.message.ok!, replayed: e.message.replayed!, body: JSON.parse(e.message.body!) }));
}

/** The replies to a request id, once there are at least `count`. */
export async function replyTo(requestId: string, client = 'c1', count = 1): Promise<Reply[]> {
  return pollUntil(async () => (await repliesOf(client)).filter((r) => r.requestId === requestId), (rs) => rs.length >= count,
    { timeoutMs: 10_000, what: `reply to ${requestId}` });
}

export async function roundTrip(strategy: string, op: string, body: unknown, o: { client?: string; requestId?: string; field?: string; result?: string } = {}): Promise<Reply> {
  const fields = command(strategy, op, body, o);
  await send(strategy, fields);
  return (await replyTo(fields.requestId!, o.client ?? 'c1'))[0]!;
}

export async function pendingCount(strategy: string): Promise<number> {
  const p = await redis.xPending(keys.commands(strategy), GROUP);
  return Number(p.pending);
}

export const resting = (o: Record<string, unknown> = {}) => ({ strategy: 'momentum', symbol: 'BTC-USDT', side: 'BUY', price: '30000', quantity: '0.001', ...o });

export function ordersWithClientId(rig: Rig, cid: string): number {
  return rig.daemon.path.tracker.list(false).filter((o) => o.clientOrderId === cid).length;
}

export async function stopAllIntakes(): Promise<void> {
  for (const i of intakes.splice(0)) await i.stop();
}

/** The intake's connection of `role` through `url` (a proxy: test/helpers/redis-proxy.ts), the other one straight to Redis. */
export function connectThrough(url: string, role: 'commands' | 'command-reads'): CommandIntakeOptions['connect'] {
  const through = redisSettings(url, {});
  const direct = redisSettings(SHARED_REDIS_URL, {});
  return (r) => redisConnection(r === role ? through : direct, { role: r, log: quiet });
}

/**
 * The rig's hooks: a client of the shared Redis (`redis`) for the whole file; after each test, the intakes and daemons
 * it started stopped; at the end, the file's keys deleted — before each test too when `emptyEachTest`.
 */
export function useCommandRig(o: { emptyEachTest?: boolean } = {}): void {
  beforeAll(async () => {
    redis = createClient({ url: SHARED_REDIS_URL });
    redis.on('error', () => undefined);
    await redis.connect();
  });
  if (o.emptyEachTest === true) {
    beforeEach(async () => {
      await deletePrefix(SHARED_REDIS_URL, prefix);
    });
  }
  afterEach(async () => {
    await stopAllIntakes();
    for (const r of rigs.splice(0)) {
      await r.daemon.stop('test finished');
      rmSync(r.dir, { recursive: true, force: true });
    }
  });
  afterAll(async () => {
    await redis?.close();
    await deletePrefix(SHARED_REDIS_URL, prefix);
  });
}
