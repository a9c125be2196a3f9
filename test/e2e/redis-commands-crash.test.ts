/**
 * Issue 15 acceptance: Redis commands are executed exactly once across a kill -9 of the real daemon (dist/src/cli.js
 * on config/remote.yaml, journal on, strategy remote-demo with source: redis, the shared Redis under a unique
 * prefix). A producer XADDs bursts of submits (resting BUY limits far below the market: nothing fills) and cancels of
 * earlier ones to P commands:remote-demo; the daemon is SIGKILLed at the first reply of a burst (the rest of what it
 * read is unanswered) or as soon as it has read some of a burst (the producer may still be writing), with XPENDING > 0
 * at the kill, and restarted on the same data directory until every command has a reply and nothing is pending.
 * The verdict comes from the daemon's own records (GET /v1/orders),
 * not from the replies alone: every clientOrderId submitted exists exactly once, there is no other order, every
 * request has a reply, every ok reply names the right order. Replayed answers are allowed (and counted).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusKeys } from '../../src/bus/protocol.js';
import { ensureBuilt, type DaemonProcess } from '../helpers/daemon-process.js';
import type { ApiClient } from '../helpers/http.js';
import { pollUntil } from '../helpers/poll.js';
import { deletePrefix, SHARED_REDIS_URL, uniquePrefix } from '../helpers/redis-server.js';
import { listOrders, remoteConfigText, startRemoteDaemon } from '../helpers/remote-daemon.js';

const STRATEGY = 'remote-demo';
const GROUP = 'switchyard'; // config/remote.yaml daemon.redis.commands.group
const CLIENT = 'crash-producer';
/** Commands per burst: every 6th a cancel of a submit made earlier. */
const BURST = 300;
/** Where each kill falls: at the first reply of the burst, or as soon as the daemon has read some of it (no reply yet). */
const KILL_AT = ['first-reply', 'first-read', 'first-reply'] as const;
const KILLS = KILL_AT.length;
/** Bursts at most (a burst whose kill found nothing pending does not count as a kill). */
const MAX_BURSTS = KILLS + 2;

interface Command {
  readonly requestId: string;
  readonly op: 'submit' | 'cancel';
  /** The order it submits or cancels. */
  readonly clientOrderId: string;
}

interface Reply {
  readonly requestId: string;
  readonly ok: boolean;
  readonly replayed: boolean;
  readonly body: any;
}

/** Every way the daemon's records and the replies can disagree with "each command exactly once". */
function judge(commands: readonly Command[], replies: readonly Reply[], orders: readonly { clientOrderId: string; strategy: string }[]): string[] {
  const problems: string[] = [];
  const submitted = new Set(commands.filter((c) => c.op === 'submit').map((c) => c.clientOrderId));
  const seen = new Map<string, number>();
  for (const o of orders) {
    if (o.strategy !== STRATEGY) problems.push(`order ${o.clientOrderId} of strategy ${o.strategy}`);
    seen.set(o.clientOrderId, (seen.get(o.clientOrderId) ?? 0) + 1);
  }
  for (const [cid, n] of seen) {
    if (!submitted.has(cid)) problems.push(`order ${cid} was never submitted`);
    else if (n > 1) problems.push(`order ${cid} exists ${n} times`);
  }
  for (const cid of submitted) if (!seen.has(cid)) problems.push(`submitted ${cid} has no order`);
  const byRequest = new Map<string, Reply[]>();
  for (const r of replies) {
    const list = byRequest.get(r.requestId) ?? [];
    list.push(r);
    byRequest.set(r.requestId, list);
  }
  for (const c of commands) {
    const rs = byRequest.get(c.requestId);
    if (rs === undefined) {
      problems.push(`${c.op} ${c.requestId} has no reply`);
      continue;
    }
    // a reply goes out only once the outcome is durable in the ledger: every later delivery is answered from it
    if (rs.some((r) => r.ok !== rs[0]!.ok)) problems.push(`${c.op} ${c.requestId} answered both ok and not ok`);
    if (rs.slice(1).some((r) => !r.replayed)) problems.push(`${c.op} ${c.requestId} executed again after its answer`);
    for (const r of rs) {
      // a submit of a fresh clientOrderId, far from the market, within every limit: its answer is the order
      if (c.op === 'submit' && !r.ok) problems.push(`submit ${c.requestId} answered ${JSON.stringify(r.body.error)}`);
      if (r.ok && r.body.order?.clientOrderId !== c.clientOrderId) {
        problems.push(`${c.op} ${c.requestId} answered about ${String(r.body.order?.clientOrderId)} instead of ${c.clientOrderId}`);
      }
    }
  }
  for (const id of byRequest.keys()) if (!commands.some((c) => c.requestId === id)) problems.push(`a reply to unknown request ${id}`);
  return problems;
}

function burstCommands(burst: number, submittedBefore: readonly string[]): Command[] {
  const out: Command[] = [];
  const mine: string[] = [];
  for (let i = 0; out.length < BURST; i++) {
    if (i % 6 === 5) {
      // cancel one made a while ago: in this burst (same batch) or an earlier one (before a crash)
      const pool = i % 12 === 11 && submittedBefore.length > 0 ? submittedBefore : mine;
      const cid = pool[(i * 7) % pool.length]!;
      out.push({ requestId: `b${burst}.c${i}`, op: 'cancel', clientOrderId: cid });
    } else {
      const cid = `k${burst}x${i}`;
      mine.push(cid);
      out.push({ requestId: `b${burst}.s${i}`, op: 'submit', clientOrderId: cid });
    }
  }
  return out;
}

function fields(c: Command, i: number): Record<string, string> {
  const body = c.op === 'submit'
    ? { strategy: STRATEGY, clientOrderId: c.clientOrderId, symbol: 'BTC-USDT', side: 'BUY', type: 'LIMIT', quantity: '0.001', price: `${30000 + (i % 100)}.${String(i % 97).padStart(2, '0')}` }
    : { clientOrderId: c.clientOrderId };
  return { requestId: c.requestId, client: CLIENT, op: c.op, strategy: STRATEGY, body: JSON.stringify(body) };
}

describe('Redis commands across kill -9 of the real daemon', () => {
  const prefix = uniquePrefix('cmdcrash');
  const keys = new BusKeys(prefix);
  let dir: string;
  let daemon: DaemonProcess | undefined;
  const redis = createClient({ url: SHARED_REDIS_URL });
  redis.on('error', () => undefined);

  beforeAll(async () => {
    ensureBuilt();
    await redis.connect();
  }, 180_000);

  afterAll(async () => {
    await daemon?.kill();
    await redis.close().catch(() => undefined);
    await deletePrefix(SHARED_REDIS_URL, prefix);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const allReplies = async (): Promise<Reply[]> => {
    const out: Reply[] = [];
    let from = '-';
    for (;;) {
      const page = await redis.xRange(keys.replies(CLIENT), from, '+', { COUNT: 1000 });
      for (const e of page) {
        const m = e.message;
        out.push({ requestId: m.requestId!, ok: m.ok === '1', replayed: m.replayed === '1', body: JSON.parse(m.body!) });
      }
      if (page.length < 1000) return out;
      from = `(${page[page.length - 1]!.id}`;
    }
  };
  const pendingCount = async (): Promise<number> => (await redis.xPending(keys.commands(STRATEGY), GROUP)).pending;
  const replyCount = async (): Promise<number> => redis.xLen(keys.replies(CLIENT));

  it('every command exactly once across kill -9 with pending entries; judged by GET /v1/orders', async () => {
    const started = Date.now();
    dir = mkdtempSync(join(tmpdir(), 'switchyard-redis-crash-'));
    const file = join(dir, 'remote.yaml');
    writeFileSync(file, remoteConfigText(dir, prefix, [
      // the burst goes faster than the shipped 20 orders per second: no rate limit (every submit must be accepted)
      [['strategies', 0, 'limits', 'maxOrdersPerSecond'], undefined],
    ]));
    let api: ApiClient;
    ({ daemon, api } = await startRemoteDaemon(file, dir));
    const commands: Command[] = [];
    const kills: { burst: number; at: string; pendingAtKill: number; repliesAtKill: number; commandsSoFar: number }[] = [];

    for (let burst = 0; kills.length < KILLS && burst < MAX_BURSTS; burst++) {
      const before = await replyCount();
      const cmds = burstCommands(burst, commands.filter((c) => c.op === 'submit').map((c) => c.clientOrderId));
      const offset = commands.length;
      commands.push(...cmds);
      // the producer writes while the daemon reads: chunks of 25 entries, one pipeline each
      const producing = (async () => {
        for (let i = 0; i < cmds.length; i += 25) {
          await Promise.all(cmds.slice(i, i + 25).map((c, j) => redis.xAdd(keys.commands(STRATEGY), '*', fields(c, offset + i + j))));
        }
      })();
      // kill -9 at the first reply of this burst (the rest of what the daemon read is unanswered), or at its first read
      const at = KILL_AT[kills.length]!;
      if (at === 'first-reply') await pollUntil(replyCount, (n) => n > before, { timeoutMs: 15_000, intervalMs: 2, what: `a first reply to burst ${burst}` });
      else {
        // (a daemon that answered the whole burst between two polls is killed with nothing pending: the burst does not count)
        await pollUntil(async () => ({ pending: await pendingCount(), replies: await replyCount() }), (n) => n.pending > 0 || n.replies >= before + cmds.length,
          { timeoutMs: 15_000, intervalMs: 1, what: `burst ${burst} read` });
      }
      daemon.child.kill('SIGKILL');
      await daemon.waitForExit(10_000);
      await producing;
      const pendingAtKill = await pendingCount();
      const repliesAtKill = (await replyCount()) - before;
      if (pendingAtKill > 0) kills.push({ burst, at, pendingAtKill, repliesAtKill, commandsSoFar: commands.length });

      // restart on the same data directory: every command answered, nothing pending
      ({ daemon, api } = await startRemoteDaemon(file, dir));
      await pollUntil(async () => {
        const answered = new Set((await allReplies()).map((r) => r.requestId));
        return { missing: commands.filter((c) => !answered.has(c.requestId)).length, pending: await pendingCount() };
      }, (s) => s.missing === 0 && s.pending === 0, { timeoutMs: 20_000, intervalMs: 50, what: `every command of burst ${burst} answered, none pending` });
    }
    expect(kills.length, `kills with entries pending: ${JSON.stringify(kills)}`).toBe(KILLS);

    // a producer that sends old commands again (same requestIds, from before the first kill): answered from the
    // ledger the journal restored, replayed '1', nothing executed
    const firstAnswers = await allReplies();
    const okCancels = commands.filter((c) => c.op === 'cancel' && firstAnswers.find((r) => r.requestId === c.requestId)?.ok === true);
    expect(okCancels.length).toBeGreaterThan(0);
    const again = [...commands.filter((c) => c.op === 'submit').slice(0, 5), ...okCancels.slice(0, 5)];
    const repliedBefore = await replyCount();
    for (const c of again) await redis.xAdd(keys.commands(STRATEGY), '*', fields(c, commands.indexOf(c)));
    await pollUntil(replyCount, (n) => n >= repliedBefore + again.length, { timeoutMs: 10_000, what: 'the answers to the repeated commands' });
    const repeatedAnswers = (await allReplies()).slice(repliedBefore);
    expect(repeatedAnswers.map((r) => r.requestId)).toEqual(again.map((c) => c.requestId));
    // (a cancel executed again would now be refused ORDER_NOT_CANCELABLE: the order is CANCELED)
    for (const [i, r] of repeatedAnswers.entries()) expect(r).toMatchObject({ ok: true, replayed: true, body: { order: { clientOrderId: again[i]!.clientOrderId } } });

    const replies = await allReplies();
    const orders = await listOrders(api, `strategy=${STRATEGY}`);
    const problems = judge(commands, replies, orders);
    expect(problems.slice(0, 20)).toEqual([]);
    const submits = commands.filter((c) => c.op === 'submit').length;
    expect(orders).toHaveLength(submits);
    // nothing in the daemon but these orders (no other strategy sent any)
    expect(await listOrders(api, 'state=all')).toHaveLength(submits);

    // controls: the judge sees a duplicate order, a stray order, a lost order, a missing reply, a wrong answer
    const some = orders.slice(0, 3);
    expect(judge(commands, replies, [...orders, some[0]])).toEqual([`order ${some[0].clientOrderId} exists 2 times`]);
    expect(judge(commands, replies, [...orders, { clientOrderId: 'stray1', strategy: STRATEGY }])).toEqual(['order stray1 was never submitted']);
    expect(judge(commands, replies, orders.slice(1))).toEqual([`submitted ${orders[0].clientOrderId} has no order`]);
    const firstSubmit = commands.find((c) => c.op === 'submit')!;
    expect(judge(commands, replies.filter((r) => r.requestId !== firstSubmit.requestId), orders)).toEqual([`submit ${firstSubmit.requestId} has no reply`]);
    const twice = replies.find((r) => r.requestId === firstSubmit.requestId)!;
    expect(judge(commands, [...replies, { ...twice, replayed: false }], orders)).toEqual([`submit ${firstSubmit.requestId} executed again after its answer`]);
    const wrong = replies.map((r) => (r.requestId === firstSubmit.requestId ? { ...r, body: { ok: true, order: { clientOrderId: 'other' } } } : r));
    expect(judge(commands, wrong, orders)).toContain(`submit ${firstSubmit.requestId} answered about other instead of ${firstSubmit.clientOrderId}`);

    // every order a cancel named ends CANCELED (a cancel is never lost across the kills; nothing here can fill)
    const targets = new Set(commands.filter((c) => c.op === 'cancel').map((c) => c.clientOrderId));
    const finalOrders = await pollUntil(() => listOrders(api, `strategy=${STRATEGY}`),
      (os) => os.every((o) => !targets.has(o.clientOrderId) || o.state === 'CANCELED'), { timeoutMs: 10_000, intervalMs: 100, what: 'every canceled order CANCELED' });
    const states: Record<string, number> = {};
    for (const o of finalOrders) states[o.state] = (states[o.state] ?? 0) + 1;
    const replayed = replies.filter((r) => r.replayed).length;
    const cancelErrors: Record<string, number> = {};
    for (const r of replies) if (!r.ok) cancelErrors[r.body.error.code] = (cancelErrors[r.body.error.code] ?? 0) + 1;
    console.log(`redis-commands-crash: ${commands.length} commands (${submits} submits), kills ${JSON.stringify(kills)}, `
      + `${replies.length} replies (${replayed} replayed), ${targets.size} orders canceled by command, refused cancels ${JSON.stringify(cancelErrors)}, final states ${JSON.stringify(states)}, ${Date.now() - started} ms`);
    // and it still stops cleanly (shutdown policy cancel-all over the open orders, the bus closed)
    daemon.signal('SIGTERM');
    expect(await daemon.waitForExit(15_000)).toEqual({ code: 0, signal: null });
  }, 90_000);
});
