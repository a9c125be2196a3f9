/**
 * The journal stores strategies, instruments and venues by name: a restart on the same data directory with the
 * configuration reordered or extended puts every order, fill and position back on its own entry; a removed entry
 * that still has an open order refuses the start (JOURNAL_CONFIG_MISMATCH) unless accepted; a changed tick size
 * refuses. In-process daemons, one after the other, on one data directory.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDocument, YAMLMap, YAMLSeq } from 'yaml';
import { createDaemon, type Daemon } from '../../src/daemon.js';
import { SwitchyardError } from '../../src/model/errors.js';
import { inspectJournal, runJournalCli } from '../../src/journal/tools.js';
import { recordDescriber } from '../../src/journal/describe-record.js';
import { discardLogs, TEST_TOKEN } from '../helpers/daemon.js';
import { ApiClient } from '../helpers/http.js';
import { configFromText, paperConfigText } from '../helpers/repo.js';
import { pollUntil } from '../helpers/poll.js';

interface Risky {
  risk: { positionOf(strategy: number, instrument: number): number };
}

type Edit = (doc: ReturnType<typeof parseDocument>) => void;

/** Strategies without crossing (the `internal` venue appears when an edit turns it on). */
const noCrossing: Edit = (doc) => {
  for (const s of (doc.get('strategies') as YAMLSeq<YAMLMap>).items) s.delete('crossing');
};
const reorderStrategies: Edit = (doc) => {
  (doc.get('strategies') as YAMLSeq).items.reverse();
};
const insertInstrument: Edit = (doc) => {
  const list = doc.get('instruments') as YAMLSeq;
  list.items.unshift(doc.createNode({ symbol: 'XRP-USDT', base: 'XRP', quote: 'USDT', tickSize: '0.0001', lotSize: '0.1', minQty: '0.1', minNotional: '5', referencePrice: '0.5' }));
  const simA = (doc.get('venues') as YAMLSeq<YAMLMap>).items.find((v) => v.get('name') === 'sim-a')!;
  (simA.get('symbols') as YAMLSeq).items.unshift(doc.createNode('XRP-USDT'));
};
const insertVenue: Edit = (doc) => {
  const list = doc.get('venues') as YAMLSeq<YAMLMap>;
  const copy = doc.createNode(list.items[0]!.toJSON()) as YAMLMap;
  copy.set('name', 'sim-0');
  list.items.unshift(copy);
};
const crossingOn: Edit = (doc) => {
  for (const s of (doc.get('strategies') as YAMLSeq<YAMLMap>).items) s.set('crossing', doc.createNode({ enabled: true, windowMs: 0 }));
};

describe('the journal records names', () => {
  let dir: string;
  const running: Daemon[] = [];

  afterEach(async () => {
    for (const d of running.splice(0)) await d.stop('test finished').catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  function configText(edits: readonly Edit[]): string {
    const text = paperConfigText([
      [['daemon', 'api', 'host'], '127.0.0.1'],
      [['daemon', 'api', 'port'], 0],
      [['daemon', 'dataDir'], dir],
      [['daemon', 'api', 'tokenFile'], join(dir, 'api-token')],
      // open orders stay open across the stop: the restart has to put them back
      [['daemon', 'shutdown', 'policy'], 'leave'],
    ], { workers: false });
    const doc = parseDocument(text);
    for (const e of edits) e(doc);
    return doc.toString();
  }

  async function start(edits: readonly Edit[], acceptRemoved = false): Promise<{ d: Daemon; api: ApiClient }> {
    const d = createDaemon(configFromText(configText(edits)), { env: { SWITCHYARD_API_TOKEN: TEST_TOKEN }, logDestination: discardLogs(), baseDir: dir, acceptRemoved });
    running.push(d);
    const { port } = await d.start();
    return { d, api: new ApiClient(`http://127.0.0.1:${port}`, TEST_TOKEN) };
  }

  async function stop(d: Daemon): Promise<void> {
    await d.stop('restart');
    running.splice(running.indexOf(d), 1);
  }

  /** The start fails; returns its error. */
  async function refusedStart(edits: readonly Edit[]): Promise<SwitchyardError> {
    const d = createDaemon(configFromText(configText(edits)), { env: { SWITCHYARD_API_TOKEN: TEST_TOKEN }, logDestination: discardLogs(), baseDir: dir });
    const err = await d.start().then(() => {
      running.push(d);
      return undefined;
    }, (e: unknown) => e);
    expect(err).toBeInstanceOf(SwitchyardError);
    return err as SwitchyardError;
  }

  const journalDir = (): string => join(dir, 'journal');

  function position(d: Daemon, strategy: string, symbol: string): number {
    const s = d.path.tracker.store.strategyIds.indexOf(strategy);
    const i = d.instruments.list.findIndex((x) => x.symbol === symbol);
    return (d as unknown as Risky).risk.positionOf(s, i);
  }

  /** Orders on three strategies, two instruments and a venue, some filled, one resting; then the daemon stops. */
  async function trade(takeSnapshot: boolean): Promise<{ orders: Record<string, unknown>[]; positions: [string, string, number][] }> {
    const { d, api } = await start([noCrossing]);
    const a = await api.post('/v1/orders', { strategy: 'momentum', symbol: 'BTC-USDT', side: 'BUY', type: 'MARKET', quantity: '0.01' });
    const b = await api.post('/v1/orders', { strategy: 'market-maker', symbol: 'ETH-USDT', side: 'SELL', type: 'MARKET', quantity: '0.2', venue: 'sim-b' });
    const c = await api.post('/v1/orders', { strategy: 'manual', symbol: 'SOL-USDT', side: 'BUY', price: '100', quantity: '2', venue: 'sim-a' });
    expect([a.status, b.status, c.status]).toEqual([201, 201, 201]);
    await api.waitForState(a.body.orderId, 'FILLED');
    await api.waitForState(b.body.orderId, 'FILLED');
    await api.waitForState(c.body.orderId, 'ACCEPTED');
    const orders: Record<string, unknown>[] = [];
    for (const o of [a, b, c]) orders.push((await api.get(`/v1/orders/${o.body.orderId}`)).body);
    const positions: [string, string, number][] = [
      ['momentum', 'BTC-USDT', position(d, 'momentum', 'BTC-USDT')],
      ['market-maker', 'ETH-USDT', position(d, 'market-maker', 'ETH-USDT')],
    ];
    expect(positions.map((p) => p[2])).toEqual([1000, -2000]);
    if (takeSnapshot) {
      // the snapshot path: the restart reads the snapshot (its own name table), not the ORDER records
      // (the daemon's startup recovery holds the snapshot schedule)
      const internals = (d as unknown as { recovery_: { snapshots: { lastSnapshotSeq: number; maybeSnapshot(): void } } }).recovery_.snapshots;
      internals.lastSnapshotSeq = -1e9;
      internals.maybeSnapshot();
      await pollUntil(() => readdirSync(journalDir()).some((f) => f.endsWith('.snap')), (x) => x, { what: 'a snapshot' });
    }
    await stop(d);
    return { orders, positions };
  }

  const KEEP = ['orderId', 'strategy', 'symbol', 'side', 'venue', 'filledQty', 'avgPrice', 'price', 'quantity'];
  const pick = (o: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(KEEP.map((k) => [k, o[k]]));

  for (const takeSnapshot of [false, true]) {
    it(`reordered strategies, an inserted instrument and venue, crossing on: everything on its own entry (${takeSnapshot ? 'from a snapshot' : 'from the records'})`, async () => {
      dir = mkdtempSync(join(tmpdir(), 'switchyard-names-'));
      const before = await trade(takeSnapshot);
      const { d, api } = await start([reorderStrategies, insertInstrument, insertVenue, crossingOn]);
      expect(d.path.tracker.store.strategyIds[0]).toBe('manual');
      expect(d.path.tracker.store.venueNames[0]).toBe('sim-0');
      for (const o of before.orders) {
        const now = (await api.get(`/v1/orders/${o.orderId as number}`)).body as Record<string, unknown>;
        expect(pick(now)).toEqual(pick(o));
      }
      for (const [s, sym, lots] of before.positions) expect(position(d, s, sym)).toBe(lots);
      // the resting order was reconciled against its own venue (sim-a), which the restart recreated empty
      const resting = before.orders[2]!;
      expect((await api.get(`/v1/orders/${resting.orderId as number}`)).body).toMatchObject({ strategy: 'manual', venue: 'sim-a', state: 'CANCELED' });
      await stop(d);
      // a second restart reads the names written by the first one (and the records after them)
      const again = await start([reorderStrategies, insertInstrument, insertVenue, crossingOn]);
      for (const o of before.orders.slice(0, 2)) expect(pick((await again.api.get(`/v1/orders/${o.orderId as number}`)).body)).toEqual(pick(o));
      for (const [s, sym, lots] of before.positions) expect(position(again.d, s, sym)).toBe(lots);
    });
  }

  it('a removed strategy with an open order refuses the start, naming it; --accept-removed cancels it and drops its position', async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-names-'));
    const { d, api } = await start([noCrossing]);
    const fill = await api.post('/v1/orders', { strategy: 'manual', symbol: 'BTC-USDT', side: 'BUY', type: 'MARKET', quantity: '0.01' });
    await api.waitForState(fill.body.orderId, 'FILLED');
    const open = await api.post('/v1/orders', { strategy: 'manual', symbol: 'SOL-USDT', side: 'BUY', price: '100', quantity: '2', venue: 'sim-a' });
    await api.waitForState(open.body.orderId, 'ACCEPTED');
    const kept = await api.post('/v1/orders', { strategy: 'momentum', symbol: 'BTC-USDT', side: 'BUY', type: 'MARKET', quantity: '0.02' });
    await api.waitForState(kept.body.orderId, 'FILLED');
    await stop(d);

    const removeManual: Edit = (doc) => {
      const list = doc.get('strategies') as YAMLSeq<YAMLMap>;
      list.items = list.items.filter((s) => s.get('id') !== 'manual');
    };
    const err = await refusedStart([noCrossing, removeManual]);
    expect(err.code).toBe('JOURNAL_CONFIG_MISMATCH');
    expect(err.details).toMatchObject({ removed: [{ kind: 'strategy', name: 'manual', openOrders: [open.body.orderId], positionLots: 1000 }] });

    const accepted = await start([noCrossing, removeManual], true);
    expect(position(accepted.d, 'momentum', 'BTC-USDT')).toBe(2000);
    expect((await accepted.api.get(`/v1/orders/${kept.body.orderId}`)).body).toMatchObject({ strategy: 'momentum', state: 'FILLED' });
    // orders of a removed strategy are no longer held
    expect((await accepted.api.get(`/v1/orders/${open.body.orderId}`)).status).toBe(404);
    await stop(accepted.d);

    // closed out in the journal: the order CANCELED with its reason, the position dropped with an event
    const lines: string[] = [];
    inspectJournal(journalDir(), (l) => lines.push(l), { decode: recordDescriber() });
    const cancel = lines.find((l) => l.includes(`UPDATE order ${open.body.orderId} `) && l.includes('"kind":"CANCELED"'));
    expect(cancel).toContain('JOURNAL_CONFIG_MISMATCH');
    expect(lines.some((l) => l.includes('"event":"removed-positions-dropped"') && l.includes('"strategy":"manual"'))).toBe(true);
    expect(lines.some((l) => l.includes('ORDER ') && l.includes('"strategyName":"manual"') && l.includes('"symbolName":"SOL-USDT"'))).toBe(true);

    // and a later start without the override goes through: nothing of `manual` is open any more
    const later = await start([noCrossing, removeManual]);
    expect(position(later.d, 'momentum', 'BTC-USDT')).toBe(2000);
  });

  it('a changed tick size refuses the start, naming the instrument', async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-names-'));
    const { d, api } = await start([noCrossing]);
    const o = await api.post('/v1/orders', { strategy: 'manual', symbol: 'ETH-USDT', side: 'BUY', type: 'MARKET', quantity: '0.1' });
    await api.waitForState(o.body.orderId, 'FILLED');
    await stop(d);
    const coarser: Edit = (doc) => {
      const eth = (doc.get('instruments') as YAMLSeq<YAMLMap>).items.find((i) => i.get('symbol') === 'ETH-USDT')!;
      eth.set('tickSize', '0.1');
    };
    const err = await refusedStart([noCrossing, coarser]);
    expect(err.code).toBe('JOURNAL_CONFIG_MISMATCH');
    expect(err.details).toEqual({ resizedSymbols: ['ETH-USDT'] });
    expect(existsSync(journalDir())).toBe(true);
    // `switchyard journal replay` names what the records refer to (the sizes they were counted in included)
    const lines: string[] = [];
    expect(runJournalCli(['replay', journalDir()], (l) => lines.push(l))).toBe(0);
    expect(lines.find((l) => l.startsWith('names: '))).toContain('ETH-USDT (tick 0.01, lot 0.0001)');
  });
});
