import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import type { CommandIntake, CommandIntakeOptions } from '../../src/bus/command-intake.js';
import { ManualClock } from '../../src/model/clock.js';
import { pollUntil } from '../helpers/poll.js';
import { redisProxy } from '../helpers/redis-proxy.js';
import {
  command, connectThrough, GROUP, intakes, keys, ordersWithClientId, pendingCount, quiet, redis, repliesOf, replyTo, resting, roundTrip, send,
  startIntake, startIntakeUp, startRig, stopIntake, stopRig, useCommandRig, type Rig,
} from './command-rig.js';

/*
 * A command consumer group destroyed and made again while the daemon was down (group-mark.ts, command-intake.ts):
 * commands through Redis into a real daemon in process (the rig: command-rig.ts; the file's keys emptied before each
 * test).
 */

useCommandRig({ emptyEachTest: true });

type Warning = { obj: Record<string, unknown>; msg: string };

/** An intake of `rig` whose warnings are kept, its metrics on a registry of its own. */
function watched(rig: Rig, over: Partial<CommandIntakeOptions> = {}): { intake: CommandIntake; warnings: Warning[]; registry: Registry } {
  const warnings: Warning[] = [];
  const log = { ...quiet, warn: (obj: object, msg: string) => void warnings.push({ obj: obj as Record<string, unknown>, msg }) };
  const registry = new Registry();
  const intake = startIntake(rig, { log, ...over });
  intake.registerMetrics(registry);
  return { intake, warnings, registry };
}

async function madeAgainMetric(registry: Registry): Promise<number | undefined> {
  return (await registry.getSingleMetric('switchyard_redis_command_groups_made_again_total')?.get())?.values[0]?.value;
}

/** The daemon and its intake stopped (as killed: nothing is done at the stop that a kill would not leave done). */
async function down(rig: Rig, intake: CommandIntake): Promise<string> {
  if (intakes.includes(intake)) await stopIntake(intake);
  await stopRig(rig, false);
  return rig.dir;
}

/** Delivered to the daemon's consumer and never executed: the daemon killed right after its read. */
async function deliveredToDaemon(key: string, count: number): Promise<void> {
  const got = await redis.xReadGroup(GROUP, 'd1', { key, id: '>' }, { COUNT: 100 }) as { messages: unknown[] }[] | null;
  expect(got?.[0]?.messages).toHaveLength(count);
}

async function expectAnsweredOnce(requestIds: readonly string[], client = 'c1'): Promise<void> {
  const replies = await repliesOf(client);
  for (const id of requestIds) expect(replies.filter((r) => r.requestId === id), id).toHaveLength(1);
}

const groupWarning = (warnings: readonly Warning[]): Warning | undefined => warnings.find((w) => w.msg.includes('made again while the daemon was down'));

describe('a command consumer group made again while the daemon was down', () => {
  it('at its stream\'s end: the commands the daemon was delivered and never executed, and those written before the new group, are executed once and answered once; counted and told', async () => {
    // defect: at the start the group found was taken for the one read before: the commands pending at the daemon in the
    // old group, and those written after its last read and before the new group was made, were never read — lost
    // without a word
    let rig = await startRig();
    const key = keys.commands('momentum');
    const first = await startIntakeUp(rig);
    expect((await roundTrip('momentum', 'submit', resting({ clientOrderId: 'dr1' }), { requestId: 'dr-1' })).ok).toBe('1');
    expect((await roundTrip('momentum', 'submit', resting({ clientOrderId: 'dr2' }), { requestId: 'dr-2' })).ok).toBe('1');
    await stopIntake(first);
    const pending = [command('momentum', 'submit', resting({ clientOrderId: 'dr3' }), { requestId: 'dr-3' }),
      command('momentum', 'submit', resting({ clientOrderId: 'dr4' }), { requestId: 'dr-4' })];
    for (const f of pending) await send('momentum', f);
    await deliveredToDaemon(key, 2);
    const dir = await down(rig, first);
    // while it is down: more commands, then the group destroyed and made at the stream's end, then one more
    const between = command('momentum', 'submit', resting({ clientOrderId: 'dr5' }), { requestId: 'dr-5' });
    await send('momentum', between);
    await redis.xGroupDestroy(key, GROUP);
    await redis.xGroupCreate(key, GROUP, '$');
    const after = command('momentum', 'submit', resting({ clientOrderId: 'dr6' }), { requestId: 'dr-6' });
    await send('momentum', after);

    rig = await startRig(dir);
    const { intake, warnings, registry } = watched(rig);
    for (const id of ['dr-3', 'dr-4', 'dr-5', 'dr-6']) expect((await replyTo(id))[0], id).toMatchObject({ ok: '1', replayed: '0' });
    await pollUntil(() => pendingCount('momentum'), (n) => n === 0, { what: 'nothing pending' });
    for (const cid of ['dr1', 'dr2', 'dr3', 'dr4', 'dr5', 'dr6']) expect(ordersWithClientId(rig, cid), cid).toBe(1);
    await expectAnsweredOnce(['dr-1', 'dr-2', 'dr-3', 'dr-4', 'dr-5', 'dr-6']);
    expect(intake.status()).toMatchObject({ processed: 4, replayed: 0, refused: 0, malformed: 0, lost: 0, lostUnknown: 0, groupsMadeAgain: 1 });
    expect(await madeAgainMetric(registry)).toBe(1);
    expect(groupWarning(warnings)?.obj).toMatchObject({ stream: key, sameStream: true, recovered: 3 });
    // what comes next is read once, as usual
    expect((await roundTrip('momentum', 'submit', resting({ clientOrderId: 'dr7' }), { requestId: 'dr-7' })).ok).toBe('1');
    await expectAnsweredOnce(['dr-3', 'dr-5', 'dr-6', 'dr-7']);
    expect(intake.status()).toMatchObject({ processed: 5, replayed: 0, groupsMadeAgain: 1 });
  }, 90_000);

  it('a command executed and journaled whose reply had not gone out when the daemon stopped: answered at the start from the ledger (replayed), executed once; those answered before not again', async () => {
    // defect: its entry is in the ledger, and the range read at the start passed it over as answered: its client waited
    // for a reply that never came (it timed out)
    let rig = await startRig();
    const key = keys.commands('momentum');
    const proxy = await redisProxy();
    let cutting = false;
    let intake!: CommandIntake;
    // the journal durable, then the connection that writes replies gone before the reply is written (the daemon dies
    // between the two)
    const durable = async (): Promise<void> => {
      await (rig.daemon.path.recorder?.durable() ?? Promise.resolve());
      if (!cutting) return;
      cutting = false;
      await proxy.close();
      await pollUntil(() => intake.status().up, (up) => !up, { what: 'the reply connection down' });
    };
    intake = await startIntakeUp(rig, {
      durable,
      connect: connectThrough(proxy.url, 'commands'),
    });
    expect((await roundTrip('momentum', 'submit', resting({ clientOrderId: 'ns1' }), { requestId: 'ns-1' })).ok).toBe('1');
    cutting = true;
    await send('momentum', command('momentum', 'submit', resting({ clientOrderId: 'ns2' }), { requestId: 'ns-2', result: 'ids' }));
    await pollUntil(() => intake.status().replyFailures, (n) => n > 0, { what: 'the reply not written' });
    expect(rig.ledger.get('momentum', 'ns-2')).toMatchObject({ op: 'submit', ok: true });
    const dir = await down(rig, intake);
    expect((await repliesOf('c1')).filter((r) => r.requestId === 'ns-2'), 'no reply went out').toHaveLength(0);
    await redis.xGroupDestroy(key, GROUP);
    await redis.xGroupCreate(key, GROUP, '$');

    rig = await startRig(dir);
    const w = watched(rig);
    const [reply] = await replyTo('ns-2');
    const recorded = rig.ledger.get('momentum', 'ns-2')!;
    expect(reply).toMatchObject({ ok: '1', replayed: '1' });
    expect(reply!.body).toEqual({ ok: true, orderId: recorded.orderId, clientOrderId: 'ns2' });
    await pollUntil(() => w.intake.status().groupsMadeAgain, (n) => n === 1, { what: 'the group found made again' });
    expect(groupWarning(w.warnings)?.obj).toMatchObject({ stream: key, sameStream: true, recovered: 0, answeredAgain: 1 });
    for (const cid of ['ns1', 'ns2']) expect(ordersWithClientId(rig, cid), cid).toBe(1);
    expect(w.intake.status()).toMatchObject({ processed: 0, replayed: 1, refused: 0, malformed: 0, lost: 0 });
    // the one answered before (its reply in the client's reply stream) is not answered again; what comes next is read once
    expect((await roundTrip('momentum', 'submit', resting({ clientOrderId: 'ns3' }), { requestId: 'ns-3' })).ok).toBe('1');
    await expectAnsweredOnce(['ns-1', 'ns-2', 'ns-3']);
    expect(w.intake.status()).toMatchObject({ processed: 1, replayed: 1, groupsMadeAgain: 1 });
  }, 90_000);

  it('with more commands executed than the ledger remembers, and some of the range trimmed (MAXLEN): the rest executed once, the trim counted and told', async () => {
    // a ledger remembering 2 request ids: the range read starts above the newest entry it forgot
    let rig = await startRig(undefined, { window: 2 });
    const key = keys.commands('momentum');
    const first = await startIntakeUp(rig);
    expect((await roundTrip('momentum', 'submit', resting({ clientOrderId: 'tw1' }), { requestId: 'tw-1' })).ok).toBe('1');
    expect((await roundTrip('momentum', 'cancel-all', {}, { requestId: 'tw-all' })).body.canceling).toHaveLength(1);
    for (const cid of ['tw2', 'tw3']) expect((await roundTrip('momentum', 'submit', resting({ clientOrderId: cid }), { requestId: `tw-${cid}` })).ok).toBe('1');
    expect(rig.ledger.get('momentum', 'tw-all')).toBeUndefined(); // forgotten
    await stopIntake(first);
    const pending = command('momentum', 'submit', resting({ clientOrderId: 'tw4' }), { requestId: 'tw-4' });
    await send('momentum', pending);
    await deliveredToDaemon(key, 1);
    let dir = await down(rig, first);
    await redis.xGroupDestroy(key, GROUP);
    await redis.xGroupCreate(key, GROUP, '$');
    rig = await startRig(dir, { window: 2 });
    let w = watched(rig);
    expect((await replyTo('tw-4'))[0]).toMatchObject({ ok: '1', replayed: '0' });
    await pollUntil(() => pendingCount('momentum'), (n) => n === 0, { what: 'nothing pending' });
    // the commands read before are neither executed nor answered again (the cancel-all the ledger forgot is below the
    // range read: not refused COMMAND_OUTCOME_FORGOTTEN a second time either)
    for (const cid of ['tw1', 'tw2', 'tw3', 'tw4']) expect(ordersWithClientId(rig, cid), cid).toBe(1);
    await expectAnsweredOnce(['tw-1', 'tw-all', 'tw-tw2', 'tw-tw3', 'tw-4']);
    expect(w.intake.status()).toMatchObject({ processed: 1, replayed: 0, refused: 0, groupsMadeAgain: 1, lostUnknown: 0 });

    // down again: 4 commands written with MAXLEN 2 (the first 2 trimmed, never read), the group made again at the end
    dir = await down(rig, w.intake);
    const sent: string[] = [];
    for (let i = 1; i <= 4; i++) {
      const f = command('momentum', 'cancel-all', {}, { requestId: `tm-${i}` });
      await redis.sendCommand(['XADD', key, 'MAXLEN', '2', '*', ...Object.entries(f).flat()]);
      sent.push(f.requestId!);
    }
    await redis.xGroupDestroy(key, GROUP);
    await redis.xGroupCreate(key, GROUP, '$');
    rig = await startRig(dir, { window: 2 });
    w = watched(rig);
    for (const id of sent.slice(2)) expect((await replyTo(id))[0], id).toMatchObject({ ok: '1', replayed: '0' });
    await pollUntil(() => w.intake.status().lostUnknown, (n) => n === 1, { what: 'the trim counted' });
    expect(w.intake.status()).toMatchObject({ processed: 2, groupsMadeAgain: 1 });
    expect(w.warnings.find((x) => x.msg.includes('may have been lost'))?.obj).toMatchObject({ stream: key });
    expect(await madeAgainMetric(w.registry)).toBe(1);
    await expectAnsweredOnce(sent.slice(2));
  }, 90_000);

  it('with its stream deleted and made again with ids below those read: its commands are new, executed once, and what the group delivers next too', async () => {
    let rig = await startRig(undefined, { window: 2 });
    const key = keys.commands('momentum');
    const first = await startIntakeUp(rig);
    for (const cid of ['lw1', 'lw2', 'lw3']) expect((await roundTrip('momentum', 'submit', resting({ clientOrderId: cid }), { requestId: `lw-${cid}` })).ok).toBe('1');
    const dir = await down(rig, first);
    await redis.del(key);
    // ids far below the ones read (as XADD * on a Redis whose clock is behind)
    await redis.xAdd(key, '1-1', command('momentum', 'submit', resting({ clientOrderId: 'lw4' }), { requestId: 'lw-4' }));
    await redis.xAdd(key, '1-2', command('momentum', 'submit', resting({ clientOrderId: 'lw5' }), { requestId: 'lw-5' }));
    await redis.xGroupCreate(key, GROUP, '$');
    await redis.xAdd(key, '1-3', command('momentum', 'submit', resting({ clientOrderId: 'lw6' }), { requestId: 'lw-6' }));
    rig = await startRig(dir, { window: 2 });
    const { intake, warnings, registry } = watched(rig);
    for (const id of ['lw-4', 'lw-5', 'lw-6']) expect((await replyTo(id))[0], id).toMatchObject({ ok: '1', replayed: '0' });
    for (const cid of ['lw4', 'lw5', 'lw6']) expect(ordersWithClientId(rig, cid), cid).toBe(1);
    await pollUntil(() => pendingCount('momentum'), (n) => n === 0, { what: 'nothing pending' });
    expect(intake.status()).toMatchObject({ processed: 3, replayed: 0, refused: 0, groupsMadeAgain: 1 });
    expect(await madeAgainMetric(registry)).toBe(1);
    expect(groupWarning(warnings)?.obj).toMatchObject({ stream: key, sameStream: false, recovered: 2 });
    await redis.xAdd(key, '1-4', command('momentum', 'submit', resting({ clientOrderId: 'lw7' }), { requestId: 'lw-7' }));
    expect((await replyTo('lw-7'))[0]).toMatchObject({ ok: '1', replayed: '0' });
    await expectAnsweredOnce(['lw-4', 'lw-5', 'lw-6', 'lw-7']);
  }, 90_000);

  it('no false alarm: a first start on a group made by someone else ahead of the daemon, nor a restart with the group as it was', async () => {
    const key = keys.commands('momentum');
    await redis.xAdd(key, '*', command('momentum', 'submit', resting({ clientOrderId: 'fs0' }), { requestId: 'fs-0' }));
    await redis.xGroupCreate(key, GROUP, '$'); // made ahead of the daemon: what came before is not the daemon's
    let rig = await startRig();
    let w = watched(rig);
    expect((await roundTrip('momentum', 'submit', resting({ clientOrderId: 'fs1' }), { requestId: 'fs-1' })).ok).toBe('1');
    expect(w.intake.status()).toMatchObject({ processed: 1, groupsMadeAgain: 0, lostUnknown: 0 });
    expect(await madeAgainMetric(w.registry)).toBe(0);
    expect(ordersWithClientId(rig, 'fs0')).toBe(0);
    const dir = await down(rig, w.intake);
    await send('momentum', command('momentum', 'submit', resting({ clientOrderId: 'fs2' }), { requestId: 'fs-2' }));
    rig = await startRig(dir);
    w = watched(rig);
    expect((await replyTo('fs-2'))[0]).toMatchObject({ ok: '1', replayed: '0' });
    await pollUntil(() => pendingCount('momentum'), (n) => n === 0, { what: 'nothing pending' });
    expect(w.intake.status()).toMatchObject({ processed: 1, replayed: 0, groupsMadeAgain: 0, lostUnknown: 0 });
    expect(await madeAgainMetric(w.registry)).toBe(0);
    expect(groupWarning(w.warnings)).toBeUndefined();
    await expectAnsweredOnce(['fs-1', 'fs-2']);
  }, 90_000);

  it('an upgrade from a version without marks (the group unmarked, the ledger full): the same group, its pending command executed once; with its consumer deleted too, taken for made again, harmlessly', async () => {
    let rig = await startRig();
    const key = keys.commands('momentum');
    let w = watched(rig);
    expect((await roundTrip('momentum', 'submit', resting({ clientOrderId: 'up1' }), { requestId: 'up-1' })).ok).toBe('1');
    expect((await roundTrip('momentum', 'cancel', { clientOrderId: 'up1' }, { requestId: 'up-2' })).ok).toBe('1');
    await stopIntake(w.intake);
    await send('momentum', command('momentum', 'submit', resting({ clientOrderId: 'up3' }), { requestId: 'up-3' }));
    await deliveredToDaemon(key, 1);
    let dir = await down(rig, w.intake);
    // as a version without marks left it
    await redis.sendCommand(['XGROUP', 'DELCONSUMER', key, GROUP, 'd1:group-mark']);
    await redis.sendCommand(['XGROUP', 'DELCONSUMER', keys.commands('market-maker'), GROUP, 'd1:group-mark']);
    rig = await startRig(dir);
    w = watched(rig);
    expect((await replyTo('up-3'))[0]).toMatchObject({ ok: '1', replayed: '0' });
    await pollUntil(() => pendingCount('momentum'), (n) => n === 0, { what: 'nothing pending' });
    expect(w.intake.status()).toMatchObject({ processed: 1, replayed: 0, groupsMadeAgain: 0 });
    expect(groupWarning(w.warnings)).toBeUndefined();
    await expectAnsweredOnce(['up-1', 'up-2', 'up-3']);

    // the mark and the daemon's consumer deleted (a clean-up of idle consumers; its pending entries go with it)
    await stopIntake(w.intake);
    await send('momentum', command('momentum', 'submit', resting({ clientOrderId: 'up4' }), { requestId: 'up-4' }));
    await deliveredToDaemon(key, 1);
    dir = await down(rig, w.intake);
    for (const c of ['d1:group-mark', 'd1']) await redis.sendCommand(['XGROUP', 'DELCONSUMER', key, GROUP, c]);
    rig = await startRig(dir);
    w = watched(rig);
    expect((await replyTo('up-4'))[0]).toMatchObject({ ok: '1', replayed: '0' });
    await pollUntil(() => w.intake.status().groupsMadeAgain, (n) => n === 1, { what: 'taken for made again' });
    await pollUntil(() => pendingCount('momentum'), (n) => n === 0, { what: 'nothing pending' });
    // nothing executed twice, nothing answered twice: what the ledger holds was passed over
    expect(w.intake.status()).toMatchObject({ processed: 1, replayed: 0, refused: 0, groupsMadeAgain: 1 });
    expect(rig.daemon.path.tracker.getByClientOrderId('up1')?.state).toBe('CANCELED');
    for (const cid of ['up1', 'up3', 'up4']) expect(ordersWithClientId(rig, cid), cid).toBe(1);
    await expectAnsweredOnce(['up-1', 'up-2', 'up-3', 'up-4']);
  }, 90_000);
});

describe('a command consumer group made again by someone else while the daemon runs', () => {
  it('a refused and a malformed entry answered since the check before are neither answered nor counted again (refused, malformed, rejects)', async () => {
    // defect: the range read from the stream held them (above the old group's last delivered id at the check before),
    // and once acknowledged nothing remembered them: each was answered a second time and counted a second time in
    // refused / malformed and switchyard_rejects_total
    const rig = await startRig();
    const key = keys.commands('momentum');
    const clock = new ManualClock();
    const rejects: string[] = [];
    const w = watched(rig, { clock, pendingWatchMs: 1000, onSubmitRefused: (code) => void rejects.push(code) });
    await pollUntil(() => w.intake.status().up, (up) => up, { what: 'intake up' });
    // the marks checked once (at the start), the group's last delivered id noted
    expect((await roundTrip('momentum', 'submit', resting({ clientOrderId: 'lr1' }), { requestId: 'lr-1' })).ok).toBe('1');
    expect((await roundTrip('momentum', 'submit', resting(), { requestId: 'lr-2' })).body.error.code).toBe('INVALID_FIELD');
    const bad = command('momentum', 'submit', resting({ clientOrderId: 'lr3' }), { requestId: 'lr-3' });
    bad.op = 'sell';
    await send('momentum', bad);
    expect((await replyTo('lr-3'))[0]!.body.error.field).toBe('op');
    expect(w.intake.status()).toMatchObject({ processed: 1, refused: 1, malformed: 1 });
    expect(rejects).toEqual(['INVALID_FIELD']);
    const r = await redis.multi().xGroupDestroy(key, GROUP).xGroupCreate(key, GROUP, '$').exec();
    expect(r[1]).toBe('OK');
    clock.advance(1000); // the next check of the marks: the group found made again, the range since the check before read
    await pollUntil(() => w.intake.status().groupsMadeAgain, (n) => n === 1, { what: 'the group found made again' });
    expect((await roundTrip('momentum', 'submit', resting({ clientOrderId: 'lr4' }), { requestId: 'lr-4' })).ok).toBe('1');
    await expectAnsweredOnce(['lr-1', 'lr-2', 'lr-3', 'lr-4']);
    expect(w.intake.status()).toMatchObject({ processed: 2, refused: 1, malformed: 1, replayed: 0, groupsMadeAgain: 1 });
    expect(rejects).toEqual(['INVALID_FIELD']);
    expect(ordersWithClientId(rig, 'lr1')).toBe(1);
  }, 60_000);
});
