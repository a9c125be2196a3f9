/**
 * The strategy host with real worker threads: TypeScript strategy modules are transpiled and run in workers;
 * their orders arrive on the main thread through the order ring; events written on the main thread reach
 * onEvent; a full queue answers QUEUE_FULL to the strategy; workers stop gracefully.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  EV_ACK, EV_CANCELED, EV_FILL, EV_TRIGGERED, EventRecord, errorCodeIndex, orderStateIndex,
} from '../../src/intake/ring/event-record.js';
import { NO_VENUE, OP_CANCEL, OP_SUBMIT, PRIORITY_HIGH, PRIORITY_NORMAL } from '../../src/intake/ring/order-record.js';
import { SwitchyardError } from '../../src/model/errors.js';
import { StrategyHost, type StrategyHostOptions, type StrategySpec } from '../../src/strategy/strategy-host.js';
import { drain, drainAll, INSTRUMENTS, until, VENUES, type Rec } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-strategy-test-'));
const cacheDir = join(dir, 'cache');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

function host(strategies: StrategySpec[], extra: Partial<StrategyHostOptions> = {}): StrategyHost {
  return new StrategyHost({ strategies, instruments: INSTRUMENTS, venues: VENUES, cacheDir, ...extra });
}

/** Collects records from a strategy's order ring until `n` have arrived. */
async function collect(h: StrategyHost, id: string, n: number, into: Rec[] = []): Promise<Rec[]> {
  const s = h.get(id)!;
  await until(() => into.length >= n, async () => {
    drainAll(s, into);
    if (into.length < n) await h.waitForOrders(50);
  });
  return into;
}

function event(kind: number, fields: Partial<EventRecord>): EventRecord {
  return Object.assign(new EventRecord(), { kind, ...fields });
}

describe('strategy host (worker threads)', () => {
  it('runs a TypeScript strategy: orders arrive in order, events reach onEvent, stop runs the stop hook', async () => {
    const exits: [string, Error | undefined][] = [];
    const h = host([{ id: 'echo', module: fixture('echo.ts'), symbols: ['BTC-USDT'], params: { initial: 5 } }], {
      onExit: (id, error) => exits.push([id, error]),
    });
    await h.start();
    const s = h.get('echo')!;
    expect(s.status).toBe('running');

    const recs = await collect(h, 'echo', 6);
    expect(recs.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(recs.slice(0, 5).map((r) => r.tag)).toEqual([1, 2, 3, 4, 5]);
    expect(recs[0]).toMatchObject({
      op: OP_SUBMIT, symbol: 0, side: 0, type: 0, priority: PRIORITY_NORMAL, venue: NO_VENUE, priceTicks: 6_000_000, qtyLots: 100, cid: undefined,
    });
    // the off-tick order was refused at the edge (took no seq); the probe names the code
    expect(recs[5]).toMatchObject({ tag: 9000, cid: 'rPRICENOTONTICK', type: 1, side: 1, priceTicks: 0 });

    // events written on the main thread reach onEvent, in order, with their fields
    expect(s.publishEvent(event(EV_ACK, { orderId: 101, seq: 1, tag: 1, state: orderStateIndex('CREATED'), qtyLots: 100 }))).toBe(true);
    expect(s.publishEvent(event(EV_FILL, { orderId: 101, seq: 1, state: orderStateIndex('FILLED'), filledLots: 100, qtyLots: 100, priceTicks: 6_000_000 }))).toBe(true);
    expect(s.publishEvent(event(EV_CANCELED, { orderId: 102, seq: 2, state: orderStateIndex('CANCELED'), code: errorCodeIndex('TRADING_HALTED') }))).toBe(true);
    const echoes = await collect(h, 'echo', 3, []);
    expect(echoes.map((r) => [r.cid, r.tag, r.seq])).toEqual([['eACK1', 101, 7], ['eFILL1', 101, 8], ['eCANCELED2', 102, 9]]);
    expect(echoes[0]).toMatchObject({ symbol: 1, priceTicks: 300_000, qtyLots: 100 });

    await h.stop(5000);
    expect(s.status).toBe('stopped');
    const last = drainAll(s);
    // submit refused while stopping (TRADING_HALTED), cancels still go out, at HIGH priority
    expect(last.map((r) => [r.op, r.cid, r.targetSeq, r.seq, r.priority])).toEqual([
      [OP_CANCEL, 'hTRADINGHALTED', 0, 10, PRIORITY_HIGH],
      [OP_CANCEL, undefined, 1, 11, PRIORITY_HIGH],
    ]);
    expect(exits).toEqual([['echo', undefined]]);
  });

  it('answers QUEUE_FULL to the strategy when the dispatcher does not drain: nothing dropped, nothing grows', async () => {
    const h = host([{ id: 'flood', module: fixture('flood.ts'), symbols: ['BTC-USDT'] }], { orderRingCapacity: 8 });
    await h.start(); // start() of the strategy has flooded the ring by now
    const s = h.get('flood')!;
    expect(s.queueFull).toBe(1);
    expect(s.orders.size()).toBe(8);
    expect(drainAll(s).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    s.publishEvent(event(EV_ACK, { orderId: 1, seq: 1 }));
    const [report] = await collect(h, 'flood', 1);
    expect(report).toMatchObject({ seq: 9, tag: 8, cid: 'rQUEUEFULL' }); // the refusal took no seq
    await h.stop();
  });

  it('several strategies, each with its own rings, ring one doorbell', async () => {
    const h = host([
      { id: 'a', module: fixture('echo.ts'), symbols: ['BTC-USDT'], params: { initial: 2 } },
      { id: 'b', module: fixture('echo.ts'), symbols: ['BTC-USDT'], params: { initial: 3 } },
    ]);
    await h.start();
    expect((await collect(h, 'a', 3)).map((r) => r.seq)).toEqual([1, 2, 3]);
    expect((await collect(h, 'b', 4)).map((r) => r.seq)).toEqual([1, 2, 3, 4]);
    expect(h.hasOrders()).toBe(false);
    await h.stop();
    expect(h.strategies.map((s) => s.status)).toEqual(['stopped', 'stopped']);
  });

  it('a worker that crashes after starting is reported through onExit', async () => {
    const exits: [string, Error | undefined][] = [];
    const h = host([{ id: 'crash', module: fixture('echo.ts'), symbols: ['BTC-USDT'] }], { onExit: (id, e) => exits.push([id, e]) });
    await h.start();
    const s = h.get('crash')!;
    s.publishEvent(event(EV_TRIGGERED, { orderId: 5, seq: 1 }));
    await until(() => exits.length === 1);
    expect(s.status).toBe('failed');
    expect(exits[0]![1]).toBeInstanceOf(Error);
    await h.stop();
  });

  it('reports a worker whose code holds its thread past hangMs as unresponsive, and again responsive after', async () => {
    const logs: [string, object, string][] = [];
    const log = {
      debug() {},
      info: (o: object, m: string) => void logs.push(['info', o, m]),
      warn: (o: object, m: string) => void logs.push(['warn', o, m]),
      error: (o: object, m: string) => void logs.push(['error', o, m]),
    };
    const h = host([{ id: 'holds', module: fixture('holds-thread.ts'), symbols: ['BTC-USDT'], params: { afterMs: 50, holdMs: 1500 } }], { hangMs: 300, log });
    await h.start();
    expect(h.status().holds).toMatchObject({ status: 'running', responsive: true, hangs: 0, queueFull: 0, eventsLost: 0, error: null });
    await until(() => h.status().holds!.responsive === false, undefined, 3000);
    const hung = h.status().holds!;
    expect(hung.status).toBe('running');
    expect(hung.hangs).toBeGreaterThanOrEqual(1);
    expect(hung.heartbeatAgeMs).toBeGreaterThanOrEqual(300);
    expect(logs.some(([level, o, m]) => level === 'error' && (o as { strategy?: string }).strategy === 'holds' && m.includes('unresponsive'))).toBe(true);
    // the loop ends: the heartbeat moves again
    await until(() => h.status().holds!.responsive, undefined, 5000);
    expect(logs.some(([level, , m]) => level === 'info' && m === 'strategy worker responsive again')).toBe(true);
    await h.stop();
    expect(h.status().holds).toMatchObject({ status: 'stopped', responsive: true, heartbeatAgeMs: null });
  });

  it('hangMs 0: no heartbeat is watched', async () => {
    const h = host([{ id: 'holds', module: fixture('holds-thread.ts'), symbols: ['BTC-USDT'], params: { afterMs: 0, holdMs: 400 } }], { hangMs: 0 });
    await h.start();
    await new Promise((r) => setTimeout(r, 600));
    expect(h.status().holds).toMatchObject({ status: 'running', responsive: true, heartbeatAgeMs: null, hangs: 0 });
    await h.stop();
  });

  it('refuses to start when a strategy module fails: its start throws, it does not compile, or it is missing', async () => {
    const bad = join(dir, 'syntax-error.ts');
    writeFileSync(bad, 'export default {\n  start() { const = 1; }\n};\n');
    for (const module of [fixture('fails-to-start.ts'), bad, join(dir, 'missing.ts'), join(dir, 'strategy.txt')]) {
      if (module.endsWith('.txt')) writeFileSync(module, 'not a module');
      const h = host([{ id: 'x', module, symbols: [] }]);
      const err = await h.start().then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(SwitchyardError);
      expect((err as SwitchyardError).code).toBe('CONFIG_INVALID');
      await h.stop();
    }
  });

  it('imports .mjs strategy modules directly, relative to baseDir; workers do not see the daemon environment', async () => {
    writeFileSync(join(dir, 'plain.mjs'), `
      export default (ctx) => ({
        start() {
          const tag = process.env.SWITCHYARD_TEST_SECRET === undefined ? 7 : 8;
          ctx.submit({ symbol: 'ETH-USDT', side: 'BUY', price: '2999.5', quantity: '0.01', tag, venue: 'sim-b' });
        },
      });
    `);
    process.env.SWITCHYARD_TEST_SECRET = 'hunter2';
    try {
      const h = host([{ id: 'plain', module: 'plain.mjs', symbols: ['ETH-USDT'] }], { baseDir: dir });
      await h.start();
      const [r] = await collect(h, 'plain', 1);
      expect(r).toMatchObject({ seq: 1, tag: 7, symbol: 1, venue: 1, priceTicks: 299_950, qtyLots: 100 });
      await h.stop();
    } finally {
      delete process.env.SWITCHYARD_TEST_SECRET;
    }
  });
});
