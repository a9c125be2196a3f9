/**
 * Restarts of worker strategies that fail (StrategyHost `restart`, daemon.workers.restart), with real worker threads.
 * The test plays the daemon's side of the rings honestly: it reads every record the host's rings hold (as the
 * dispatcher does), takes a GTC submit as an open order (id 100 + seq), a cancel (by order id or seq) as its end, and
 * answers the host's snapshot with the orders it holds. IOC submits (the fixture's reports) never rest.
 *
 * What must hold: a worker that throws (or ends its thread) is restarted after its backoff; the new incarnation learns
 * its open orders (a RESYNC right after its start()) and can cancel them; everything the dead incarnation published is
 * read exactly once and the seqs go on from it (no seq twice, none reused); nothing the dead incarnation left in its
 * event ring, read or not, reaches the new one; after maxRestarts the strategy stays failed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { EV_EXPIRED, EV_FILL, EV_TRIGGERED, EventRecord, orderStateIndex } from '../../src/intake/ring/event-record.js';
import { OP_CANCEL, OP_SUBMIT } from '../../src/intake/ring/order-record.js';
import { TradeRecord } from '../../src/intake/ring/trade-record.js';
import type { OrderSnapshot, StrategySnapshot } from '../../src/intake/ring/transport.js';
import { TIME_IN_FORCES } from '../../src/model/order.js';
import { ManualClock } from '../../src/model/clock.js';
import {
  DEFAULT_RESTART_MAX_WAIT_MS, DEFAULT_RESTART_WINDOW_MS, RESTART_WAIT_REPORT_MS, StrategyHost, type HostedStrategy, type StrategyHostOptions,
} from '../../src/strategy/strategy-host.js';
import { drainAll, INSTRUMENTS, until, VENUES, type Rec } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-strategy-restart-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function event(kind: number, fields: Partial<EventRecord>): EventRecord {
  return Object.assign(new EventRecord(), { kind, ...fields });
}

/** The daemon's side of one strategy's rings: what it read, and the orders it holds open. */
class FakeDaemon {
  readonly records: Rec[] = [];
  readonly open = new Map<number, OrderSnapshot>();
  /** The seq of the last record read from the order ring (submits: the SDK writes cancels into the cancel ring). */
  readSeq = 0;

  /** Reads every record in the strategy's rings now (as the dispatcher does each cycle). */
  read(s: HostedStrategy): void {
    for (const r of drainAll(s)) {
      this.records.push(r);
      if (r.op === OP_SUBMIT) this.readSeq = Math.max(this.readSeq, r.seq);
      if (r.op === OP_SUBMIT && TIME_IN_FORCES[r.timeInForce] === 'GTC') {
        this.open.set(100 + r.seq, {
          orderId: 100 + r.seq, seq: r.seq, tag: r.tag, clientOrderId: r.cid ?? '', symbol: 'BTC-USDT', side: 'BUY', type: 'LIMIT',
          state: 'ACCEPTED', priceTicks: r.priceTicks, qtyLots: r.qtyLots, filledLots: 0,
        });
      } else if (r.op === OP_CANCEL) {
        this.open.delete(r.orderId > 0 ? r.orderId : 100 + r.targetSeq);
      }
    }
  }

  readonly snapshot = (): StrategySnapshot => ({ orders: [...this.open.values()], readSeq: this.readSeq, withdrawn: [] });

  /** [op, client order id or cancel target, seq] of the records read from `from` on. */
  view(from = 0): [string, string | number | undefined, number][] {
    return this.records.slice(from).map((r) => (r.op === OP_CANCEL ? ['cancel', r.targetSeq || r.orderId, r.seq] : ['submit', r.cid, r.seq]));
  }
}

function host(extra: Partial<StrategyHostOptions>): StrategyHost {
  return new StrategyHost({
    strategies: [{ id: 'r', module: fixture('restarts.ts'), symbols: ['BTC-USDT'] }],
    instruments: INSTRUMENTS, venues: VENUES, cacheDir: join(dir, 'cache'), ...extra,
  });
}

describe('restarting worker strategies that fail', () => {
  it('a worker that fails and will be restarted is restarting from its failure on, never failed in between; the last failure is failed', { timeout: 60_000 }, async () => {
    const daemon = new FakeDaemon();
    const h = host({ snapshot: daemon.snapshot, restart: { maxRestarts: 1, backoffMs: 20 } });
    await h.start();
    const s = h.get('r')!;
    // every status the host sets, in order (its error and its thread's exit are two events: /health reads in between)
    const seen: string[] = [];
    let status = s.status;
    Object.defineProperty(s, 'status', { get: () => status, set: (v: typeof status) => void seen.push((status = v)), configurable: true });
    const readUntil = (done: () => boolean): Promise<void> => until(done, () => daemon.read(s));
    await readUntil(() => daemon.records.length >= 2);
    s.publishEvent(event(EV_TRIGGERED, { orderId: 101, seq: 1 }));
    await readUntil(() => s.restarts === 1 && s.status === 'running');
    expect(seen).toEqual(['restarting', 'restarting', 'restarting', 'restarting', 'running']);
    // the second failure is the last one allowed: failed from its failure on
    seen.length = 0;
    s.publishEvent(event(EV_TRIGGERED, { orderId: 101, seq: 1 }));
    await readUntil(() => s.alive === false && s.status === 'failed');
    expect(seen).toEqual(['failed', 'failed']);
    await h.stop(2000);
  });

  it('a worker that throws, then one that exits mid-batch, is restarted: the new incarnation sees its open orders and cancels them; nothing read twice or lost; the bound holds', { timeout: 60_000 }, async () => {
    const daemon = new FakeDaemon();
    const exits: (Error | undefined)[] = [];
    const h = host({ snapshot: daemon.snapshot, restart: { maxRestarts: 2, backoffMs: 20 }, onExit: (_id, e) => exits.push(e) });
    await h.start();
    const s = h.get('r')!;
    const readUntil = (done: () => boolean): Promise<void> => until(done, () => daemon.read(s));
    await readUntil(() => daemon.records.length >= 2);
    expect(daemon.view()).toEqual([['submit', 'a1', 1], ['submit', 'a2', 2]]);
    expect(h.status().r).toMatchObject({ status: 'running', restarts: 0, error: null });

    // 1. it throws (from a timer: uncaught), right after it submitted one more order
    expect(s.publishEvent(event(EV_TRIGGERED, { orderId: 101, seq: 1 }))).toBe(true);
    // (the rings are not read meanwhile: a restart waits until the daemon has read everything the dead worker published)
    await until(() => s.status === 'restarting');
    expect(h.status().r).toMatchObject({ status: 'restarting', restarts: 0, error: expect.stringContaining('crashed on purpose') });
    // no worker reads events now: not written, counted for the successor's RESYNC
    expect(s.publishEvent(event(EV_FILL, { orderId: 102, seq: 2, state: orderStateIndex('FILLED') }))).toBe(false);
    // counted at once where an operator looks (/health eventsLost), not only in the successor's RESYNC `lost`
    expect(h.status().r).toMatchObject({ eventsLost: 1, resyncs: 0 });
    await readUntil(() => daemon.records.length >= 8);
    expect(daemon.view(2)).toEqual([
      ['submit', 'p0', 3], // published by the dead incarnation: read once
      ['submit', 's1', 4], // the new one goes on from its seqs
      ['submit', 'o3l1', 5], // its RESYNC: the three open orders, one event lost (the FILL written while it was down)
      ['cancel', 1, 6], ['cancel', 2, 7], ['cancel', 3, 8], // it cancels them, by their seqs
    ]);
    expect(daemon.open.size).toBe(0);
    await until(() => s.status === 'running');
    // the RESYNC it started with counts (its `lost`, 1, is the eventsLost above)
    expect(h.status().r).toMatchObject({ status: 'running', restarts: 1, error: null, eventsLost: 1, resyncs: 1 });

    // 2. it ends its thread inside onEvent, with two more events behind in its ring (read with it, or not yet read)
    s.publishEvent(event(EV_EXPIRED, { orderId: 999, seq: 4 }));
    s.publishEvent(event(EV_FILL, { orderId: 109, seq: 9 }));
    s.publishEvent(event(EV_FILL, { orderId: 109, seq: 9 }));
    await until(() => s.status === 'restarting');
    await readUntil(() => daemon.records.length >= 12);
    expect(daemon.view(8)).toEqual([
      ['submit', 'q1', 9],
      ['submit', 's2', 10],
      // none of the three events it left reaches the new incarnation (the EXPIRED would make it exit again): lost
      ['submit', 'o1l3', 11],
      ['cancel', 9, 12],
    ]);
    await until(() => s.status === 'running');
    // eventsLost is the sum of the RESYNCs' `lost` (1, then 3: the events the dead one left in its ring), one per restart
    expect(h.status().r).toMatchObject({ status: 'running', restarts: 2, error: null, eventsLost: 4, resyncs: 2 });

    // 3. it throws again: maxRestarts (2) used up, it stays failed
    s.publishEvent(event(EV_TRIGGERED, { orderId: 103, seq: 3 }));
    await readUntil(() => s.status === 'failed' && daemon.records.length >= 13);
    // longer than the next backoff (80 ms) would be: nothing starts again
    const deadline = Date.now() + 500;
    await until(() => Date.now() > deadline, () => daemon.read(s), 5000);
    expect(daemon.view(12)).toEqual([['submit', 'p2', 13]]);
    expect(h.status().r).toMatchObject({ status: 'failed', restarts: 2, error: expect.stringContaining('crashed on purpose') });
    expect(exits).toHaveLength(3);
    expect(exits.every((e) => e instanceof Error)).toBe(true);

    // every record once, in one sequence across the three incarnations
    expect(daemon.records.map((r) => r.seq)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
    await h.stop();
    expect(s.status).toBe('failed');
  });

  it('the restarted worker gets the market from its start on: trades its predecessor left unread are dropped', { timeout: 30_000 }, async () => {
    const daemon = new FakeDaemon();
    const h = new StrategyHost({
      strategies: [{ id: 'r', module: fixture('restarts.ts'), symbols: ['BTC-USDT'], params: { trades: true } }],
      instruments: INSTRUMENTS, venues: VENUES, cacheDir: join(dir, 'cache'), snapshot: daemon.snapshot, restart: { maxRestarts: 1, backoffMs: 10 },
    });
    await h.start();
    const s = h.get('r')!;
    // (as the daemon's MarketPublisher does: write, then wake a sleeping worker; flushWake if that wake was deferred)
    const trade = (qtyLots: number): boolean => {
      const written = s.market.writeTrade(Object.assign(new TradeRecord(), { priceTicks: 6_000_000, qtyLots, symbol: 0, venue: 0 }));
      if (s.market.wake(Float64Array.of(Date.now()))) setTimeout(() => s.market.flushWake(Float64Array.of(Date.now())), s.market.wakeMs);
      return written;
    };
    const readUntil = (done: () => boolean): Promise<void> => until(done, () => daemon.read(s));
    await readUntil(() => daemon.records.length >= 2);
    expect(trade(1)).toBe(true);
    await readUntil(() => daemon.records.length >= 3);
    s.publishEvent(event(EV_TRIGGERED, { orderId: 101, seq: 1 }));
    await until(() => s.status === 'restarting');
    expect(trade(2)).toBe(true); // written (the dead worker had asked for trades), never read by it
    await readUntil(() => s.status === 'running' && daemon.records.length >= 9);
    expect(trade(3)).toBe(true);
    await readUntil(() => daemon.records.length >= 10);
    expect(daemon.records.map((r) => [r.cid, r.tag])).toEqual([
      ['a1', 1], ['a2', 2], ['t0', 1], ['p0', 3], ['s1', 1], ['o3l0', 0], [undefined, 0], [undefined, 0], [undefined, 0], ['t1', 3],
    ]);
    await h.stop();
  });

  it('firstSeq (the daemon\'s, above the orders its journal gave back): the first worker starts there, and a restart after it published nothing does not go below it', { timeout: 30_000 }, async () => {
    const daemon = new FakeDaemon();
    const asked: string[] = [];
    const h = new StrategyHost({
      strategies: [{ id: 'x', module: fixture('exits.ts'), symbols: ['BTC-USDT'], params: { staysAfterRestart: true } }],
      instruments: INSTRUMENTS, venues: VENUES, cacheDir: join(dir, 'cache'), snapshot: daemon.snapshot,
      firstSeq: (id) => {
        asked.push(id);
        return 40;
      },
      restart: { maxRestarts: 1, backoffMs: 10 },
    });
    await h.start();
    const s = h.get('x')!;
    // its first worker exits having published nothing; the restarted one submits once
    await until(() => daemon.records.length >= 1, () => daemon.read(s));
    expect(daemon.view()).toEqual([['submit', 'r1', 40]]);
    expect(asked).toEqual(['x']); // asked once, at the start (a restart goes on from the rings)
    await h.stop();
  });

  it('a firstSeq that is not a whole number from 1 fails the start before any worker runs', async () => {
    const h = host({ firstSeq: () => 0 });
    await expect(h.start()).rejects.toThrow(/first seq must be a whole number from 1, got 0/);
    expect(h.get('r')!.alive).toBe(false);
  });

  it('without a restart policy (the default) a failed worker stays failed', { timeout: 30_000 }, async () => {
    const daemon = new FakeDaemon();
    const h = host({ snapshot: daemon.snapshot });
    await h.start();
    const s = h.get('r')!;
    s.publishEvent(event(EV_TRIGGERED, { orderId: 101, seq: 1 }));
    await until(() => s.status === 'failed', () => daemon.read(s));
    const deadline = Date.now() + 300;
    await until(() => Date.now() > deadline, () => daemon.read(s), 5000);
    expect(h.status().r).toMatchObject({ status: 'failed', restarts: 0 });
    expect(daemon.view().map(([, cid]) => cid)).toEqual(['a1', 'a2', 'p0']);
    await h.stop();
  });

  it('a restart whose failed worker\'s records stay unread (its queues full): said once in the log and in /health, and no worker starts until they are read', { timeout: 30_000 }, async () => {
    const daemon = new FakeDaemon();
    const clock = new ManualClock();
    const logged: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
    const log = (level: string) => (obj: object, msg: string): void => {
      logged.push({ level, obj: obj as Record<string, unknown>, msg });
    };
    const waitLogs = (): typeof logged => logged.filter((l) => /restart waits/.test(l.msg));
    const h = host({
      snapshot: daemon.snapshot, restart: { maxRestarts: 1, backoffMs: 10 }, clock, hangMs: 0,
      log: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    });
    await h.start();
    const s = h.get('r')!;
    await until(() => daemon.records.length >= 2, () => daemon.read(s));
    // it crashes after it published p0, which the daemon does not read (as when the strategy's queues stay full)
    s.publishEvent(event(EV_TRIGGERED, { orderId: 101, seq: 1 }));
    // past the backoff (a real timer: waited for, not slept on — a loaded machine runs it late), the restart polls the
    // rings: no word yet (a wait of a few ms is the normal case)
    await until(() => s.restartWaitSince !== undefined);
    expect(waitLogs()).toEqual([]);
    expect(h.status().r!.error).not.toMatch(/waits/);
    clock.advance(RESTART_WAIT_REPORT_MS);
    await until(() => waitLogs().length > 0);
    expect(waitLogs()).toMatchObject([{ level: 'warn', obj: { strategy: 'r', unread: 1 } }]);
    expect(h.status().r).toMatchObject({ status: 'restarting', restarts: 0, error: expect.stringMatching(/crashed on purpose.*restart waits for the daemon to read 1 record/) });
    // once: more time, more polls, no more warnings; and no worker until the records are read
    clock.advance(RESTART_WAIT_REPORT_MS * 10);
    await sleep(100);
    expect(waitLogs()).toHaveLength(1);
    expect(s.alive).toBe(false);
    expect(daemon.records).toHaveLength(2);
    // read: the restart goes on (p0 read once, before anything of the new worker's)
    await until(() => s.status === 'running' && daemon.records.length >= 4, () => daemon.read(s));
    expect(daemon.view(2).slice(0, 2)).toEqual([['submit', 'p0', 3], ['submit', 's1', 4]]);
    expect(h.status().r).toMatchObject({ status: 'running', restarts: 1, error: null });
    expect(logged.some((l) => l.level === 'info' && /records? read: restarting/.test(l.msg))).toBe(true);
    await h.stop();
  });

  it('maxRestarts counts the restarts of the last windowMs: a failure after the window is restarted, one inside it is final', { timeout: 60_000 }, async () => {
    // defect: the budget was per run, so a strategy that failed once a day was given up on at its (maxRestarts+1)-th
    // failure of the week, exactly like one crash-looping in a second
    const daemon = new FakeDaemon();
    const clock = new ManualClock();
    const windowMs = 100_000;
    const h = host({ snapshot: daemon.snapshot, restart: { maxRestarts: 1, backoffMs: 10, maxBackoffMs: 10, windowMs }, clock, hangMs: 0 });
    await h.start();
    const s = h.get('r')!;
    const readUntil = (done: () => boolean): Promise<void> => until(done, () => daemon.read(s));
    await readUntil(() => daemon.records.length >= 2);
    const crash = async (restarts: number): Promise<void> => {
      s.publishEvent(event(EV_TRIGGERED, { orderId: 101, seq: 1 }));
      await readUntil(() => s.alive === false || s.restarts > restarts);
    };
    await crash(0);
    await readUntil(() => s.restarts === 1 && s.status === 'running');
    // a window later the first restart no longer counts: the next failure is restarted (the backoff restarts too)
    clock.advance(windowMs);
    await crash(1);
    await readUntil(() => s.restarts === 2 && s.status === 'running');
    // within the window of that restart: this failure is final
    clock.advance(windowMs - 1);
    await crash(2);
    await readUntil(() => s.alive === false && s.status === 'failed');
    await sleep(100);
    expect(h.status().r).toMatchObject({ status: 'failed', restarts: 2, error: 'strategy crashed on purpose' });
    await h.stop();

    // the default window; 0 (the whole run) is allowed; a window not above maxBackoffMs is refused
    expect(DEFAULT_RESTART_WINDOW_MS).toBeGreaterThan(60_000);
    const policy = (restart: StrategyHostOptions['restart']) => (): StrategyHost => host({ restart });
    expect(policy({ maxRestarts: 1, backoffMs: 10, windowMs: 0 })).not.toThrow();
    expect(policy({ maxRestarts: 1, backoffMs: 10, maxBackoffMs: 5000, windowMs: 5000 })).toThrow(/restart.windowMs \(5000\) must be above restart.maxBackoffMs \(5000\)/);
  });

  it('a restart whose failed worker\'s records stay unread past maxWaitMs gives up: failed with STRATEGY_RESTART_TIMEOUT in /health and the log', { timeout: 30_000 }, async () => {
    // defect: the restart waited for the records without a limit: restarting (and the daemon degraded) for ever, the
    // operator never told that no worker would come
    const daemon = new FakeDaemon();
    const clock = new ManualClock();
    const logged: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
    const log = (level: string) => (obj: object, msg: string): void => {
      logged.push({ level, obj: obj as Record<string, unknown>, msg });
    };
    const maxWaitMs = 30_000;
    const h = host({
      snapshot: daemon.snapshot, restart: { maxRestarts: 3, backoffMs: 10, maxWaitMs }, clock, hangMs: 0,
      log: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    });
    await h.start();
    const s = h.get('r')!;
    await until(() => daemon.records.length >= 2, () => daemon.read(s));
    // it crashes after it published p0, which the daemon does not read (its strategy queues full)
    s.publishEvent(event(EV_TRIGGERED, { orderId: 101, seq: 1 }));
    await until(() => s.restartWaitSince !== undefined); // past the backoff (a real timer): the restart polls the rings
    clock.advance(maxWaitMs - 1);
    await sleep(50);
    expect(h.status().r!.status).toBe('restarting');
    clock.advance(1);
    await until(() => s.status === 'failed');
    expect(h.status().r).toMatchObject({ status: 'failed', restarts: 0, error: expect.stringMatching(/^STRATEGY_RESTART_TIMEOUT: .*read 1 record .*crashed on purpose/) });
    expect(logged.filter((l) => l.level === 'error' && l.obj.code === 'STRATEGY_RESTART_TIMEOUT')).toMatchObject([{ obj: { strategy: 'r', unread: 1 } }]);
    // once read, its records are answered as any; no worker starts
    daemon.read(s);
    expect(daemon.view(2)).toEqual([['submit', 'p0', 3]]);
    await sleep(100);
    expect(s.alive).toBe(false);
    expect(h.status().r).toMatchObject({ status: 'failed', restarts: 0 });
    expect(DEFAULT_RESTART_MAX_WAIT_MS).toBeGreaterThan(RESTART_WAIT_REPORT_MS);
    await h.stop();
  });

  it('a stop while a restart waits for its backoff: it stays failed, no worker starts', { timeout: 30_000 }, async () => {
    const daemon = new FakeDaemon();
    const h = host({ snapshot: daemon.snapshot, restart: { maxRestarts: 3, backoffMs: 60_000 } });
    await h.start();
    const s = h.get('r')!;
    s.publishEvent(event(EV_TRIGGERED, { orderId: 101, seq: 1 }));
    await until(() => s.status === 'restarting', () => daemon.read(s));
    await h.stop();
    expect(h.status().r).toMatchObject({ status: 'failed', restarts: 0 });
  });

  it('with terminateHungMs a hung worker is terminated and restarted, within maxRestarts (without it, only reported: strategy-host.test.ts)', { timeout: 60_000 }, async () => {
    const h = new StrategyHost({
      strategies: [{ id: 'holds', module: fixture('holds-thread.ts'), symbols: ['BTC-USDT'], params: { afterMs: 20, holdMs: 120_000 } }],
      instruments: INSTRUMENTS, venues: VENUES, cacheDir: join(dir, 'cache'), hangMs: 200,
      restart: { maxRestarts: 1, backoffMs: 10, terminateHungMs: 400 },
    });
    await h.start();
    // terminated, restarted (the new incarnation holds its thread too), terminated again: then it stays failed
    await until(() => h.status().holds!.status === 'failed' && h.status().holds!.restarts === 1, undefined, 30_000);
    expect(h.status().holds!.error).toMatch(/unresponsive for \d+ ms: terminated/);
    expect(h.status().holds!.hangs).toBe(2);
    await h.stop();

    expect(() => new StrategyHost({
      strategies: [], instruments: INSTRUMENTS, venues: VENUES, cacheDir: join(dir, 'cache'), hangMs: 0, restart: { maxRestarts: 1, backoffMs: 0, terminateHungMs: 100 },
    })).toThrow(RangeError);
  });
});
