/**
 * The trade history on the local-file store, fed as the daemon feeds it (the journal recorder's hook, a real
 * journal with small segments and frequent snapshots): GET /v1/fills' filters and cursor pages, fills from before
 * many snapshots (their journal segments deleted) still listed and exported, parent orders' fills kept once, and a
 * store that is down or too slow: the journal keeps its records (the retention floor) and the history catches up,
 * no fill missing, none twice.
 */
import { appendFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileHistoryStore } from '../../src/history/file-store.js';
import { fillsQuery } from '../../src/history/fills-query.js';
import { runExportCli } from '../../src/history/export-cli.js';
import type { FillRow } from '../../src/history/history-record.js';
import { waitFor } from '../helpers/poll.js';
import { paperConfigText } from '../helpers/repo.js';
import { allFills, books, expectExactlyOnce, historyRig, key, SwitchableStore, type HistoryRig } from './rig.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'history-test-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function rigWith(store: FileHistoryStore | SwitchableStore, options: Parameters<typeof historyRig>[0] extends infer O ? Omit<O & object, 'store'> : never = {}): Promise<HistoryRig> {
  const r = await historyRig({ store, ...options });
  cleanups.push(() => r.close());
  return r;
}

describe('trade history, file store', () => {
  it('GET /v1/fills: strategy, symbol, venue and time filters, cursor pages, bounded page size, 400s', async () => {
    const store = new FileHistoryStore(join(tempDir(), 'history'));
    const r = await rigWith(store, { snapshotEvery: 1_000_000 });
    for (let i = 0; i < 12; i++) await r.tradeOne(i % 3, { priceTicks: 6_000_000 + i, qtyLots: 900 + i });
    for (let i = 0; i < 4; i++) await r.tradeOne(1, { strategy: 'beta', symbol: 'ETH-USDT', priceTicks: 60_000 + i, qtyLots: 3000 });
    await r.caughtUp();
    const q = async (query: string, pageSizeMax = 1000) => fillsQuery(store, new URLSearchParams(query), { pageSizeMax });
    // every fill, page by page (3 at a time): (ts, seq) order, no overlap, no gap
    const paged: FillRow[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const reply = await q(`limit=3${cursor === null ? '' : `&cursor=${cursor}`}`);
      expect(reply.status).toBe(200);
      const body = reply.body as { fills: FillRow[]; nextCursor: string | null };
      expect(body.fills.length).toBeLessThanOrEqual(3);
      paged.push(...body.fills);
      cursor = body.nextCursor;
      pages++;
    } while (cursor !== null && pages < 100);
    expect(paged).toHaveLength(32);
    expectExactlyOnce(paged, r.made);
    const order = paged.map((f) => [f.ts, f.seq]);
    expect(order).toEqual([...order].sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!));
    // filters
    const only = async (query: string) => ((await q(query)).body as { fills: FillRow[] }).fills;
    const alphaA = await only('strategy=alpha&symbol=BTC-USDT&venue=a');
    expect(alphaA.map(key).sort()).toEqual(r.made.filter((m) => m.strategy === 'alpha' && m.venue === 'a').map(key).sort());
    expect(alphaA).toHaveLength(8);
    const eth = await only('symbol=ETH-USDT');
    expect(eth.map((f) => [f.strategy, f.venue, f.price, f.qty])).toEqual([0, 1, 2, 3].flatMap((i) => [
      ['beta', 'b', (3000 + i * 0.05).toFixed(2), '1.000'], ['beta', 'b', (3000 + i * 0.05).toFixed(2), '2.000'],
    ]));
    expect((await only('venue=a,c')).length).toBe(16);
    expect((await only('venue=a&venue=c')).length).toBe(16);
    const from = r.made[6]!.ts;
    const to = r.made[20]!.ts;
    const ranged = await only(`from=${from}&to=${new Date(to).toISOString()}`);
    expect(ranged.map(key).sort()).toEqual(r.made.filter((m) => m.ts >= from && m.ts < to).map(key).sort());
    expect(ranged).toHaveLength(14);
    // the page bound and bad queries; no store (the journal off): 503
    expect((await q('limit=5', 4)).status).toBe(400);
    expect(await fillsQuery(undefined, new URLSearchParams('limit=5'), { pageSizeMax: 10 })).toMatchObject({ status: 503, body: { error: { code: 'HISTORY_UNAVAILABLE', retryable: true } } });
    for (const [query, code, field] of [
      ['bogus=1', 'UNKNOWN_FIELD', 'bogus'], ['limit=0', 'INVALID_FIELD', 'limit'], ['limit=abc', 'INVALID_FIELD', 'limit'],
      ['from=yesterday', 'INVALID_FIELD', 'from'], ['cursor=zzz', 'INVALID_FIELD', 'cursor'], ['from=2000&to=1000', 'INVALID_FIELD', 'to'],
      ['strategy=a%20b', 'INVALID_FIELD', 'strategy'], ['limit=1&limit=2', 'INVALID_FIELD', 'limit'],
    ] as const) {
      const reply = await q(query);
      expect({ query, status: reply.status, body: reply.body }).toMatchObject({ query, status: 400, body: { error: { code, field, retryable: false } } });
    }
  }, 30_000);

  it('fills from before several snapshots (their journal segments deleted) are still listed and exported as CSV', async () => {
    const dir = tempDir();
    const store = new FileHistoryStore(join(dir, 'history'), { segmentBytes: 8192 });
    const r = await rigWith(store, { snapshotEvery: 60, segmentBytes: 2048 });
    for (let i = 0; i < 120; i++) await r.tradeOne(i % 3, { priceTicks: 6_000_000 + i });
    await r.caughtUp();
    // several snapshots written, the segments before them deleted: the first fills' records are gone from the journal
    await waitFor(() => r.snapshotsSeen() >= 3 && r.firstSeq() > 1, { what: 'snapshots and deleted segments' });
    const rows = await allFills(store);
    expect(rows).toHaveLength(240);
    expectExactlyOnce(rows, r.made);
    const olderThanJournal = rows.filter((f) => f.seq < r.firstSeq());
    expect(olderThanJournal.length).toBeGreaterThan(20);
    // the history files rotated too, and every query streamed them
    expect(readdirSync(join(dir, 'history')).length).toBeGreaterThan(1);
    // the export, from the configuration (no daemon): csv with a header
    const config = join(dir, 'switchyard.yaml');
    writeFileSync(config, paperConfigText([[['daemon', 'dataDir'], dir], [['daemon', 'history', 'file', 'path'], join(dir, 'history')]]));
    let out = '';
    const errors: string[] = [];
    const from = new Date(r.made[0]!.ts).toISOString();
    const code = await runExportCli(['fills', '--from', from, '--to', String(r.made[r.made.length - 1]!.ts + 1), '--format', 'csv', '-c', config], {
      write: (t) => ((out += t), true), error: (l) => errors.push(l), cwd: dir, env: {},
    });
    expect({ code, errors }).toEqual({ code: 0, errors: [] });
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toBe('seq,ts,time,orderId,parentOrderId,clientOrderId,strategy,symbol,side,venue,tradeId,price,qty,fee,feeCurrency,feeEstimated,liquidity,venueTs');
    expect(lines).toHaveLength(241);
    const cols = lines[0]!.split(',');
    const csvRows = lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v])));
    expect(new Set(csvRows.map((c) => `${c.orderId}/${c.venue}/${c.tradeId}`))).toEqual(new Set(r.made.map(key)));
    const first = csvRows.find((c) => c.tradeId === r.made[0]!.tradeId)!;
    expect(first).toMatchObject({ time: from, price: '60000.00', strategy: 'alpha', symbol: 'BTC-USDT', side: 'BUY', fee: '0.01', feeCurrency: 'USDT', liquidity: 'TAKER', parentOrderId: '' });
    // json, a narrower range, and the exit codes for bad arguments
    out = '';
    expect(await runExportCli(['fills', '--from', String(r.made[10]!.ts), '--to', String(r.made[20]!.ts), '--format', 'json', '-c', config], {
      write: (t) => ((out += t), true), error: (l) => errors.push(l), cwd: dir, env: {},
    })).toBe(0);
    expect((JSON.parse(out) as { tradeId: string }[]).map((f) => f.tradeId)).toEqual(r.made.slice(10, 20).map((m) => m.tradeId));
    const silent = { write: () => true, error: () => undefined, cwd: dir, env: {} };
    expect(await runExportCli(['fills', '--from', '1', '-c', config], silent)).toBe(2);
    expect(await runExportCli(['fills', '--from', 'x', '--to', '2', '-c', config], silent)).toBe(2);
    expect(await runExportCli(['orders', '--from', '1', '--to', '2', '-c', config], silent)).toBe(2);
    expect(await runExportCli(['fills', '--from', '1', '--to', '2', '--format', 'xml', '-c', config], silent)).toBe(2);
    // a store that cannot be read: 1
    writeFileSync(join(dir, 'not-a-dir'), '');
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, paperConfigText([[['daemon', 'dataDir'], dir], [['daemon', 'history', 'file', 'path'], join(dir, 'not-a-dir', 'history')]]));
    expect(await runExportCli(['fills', '--from', '1', '--to', '2', '-c', broken], silent)).toBe(1);
  }, 60_000);

  it('a sweep: each venue fill is kept once, at its venue, with the parent order id; final states of parent and children', async () => {
    const dir = tempDir();
    const store = new FileHistoryStore(join(dir, 'history'));
    const r = await rigWith(store, { snapshotEvery: 1_000_000 });
    books(r, [[[6_000_100, 1000]], [[6_000_150, 500]], []]);
    const parent = await r.submit({ route: 'sweep', qtyLots: 1500, priceTicks: 6_000_200, timeInForce: 'IOC' });
    const kids = r.path.parents!.children(r.path.store.slotOf(parent));
    expect(kids).toHaveLength(2);
    await waitFor(() => r.venues[0]!.orders.length === 1 && r.venues[1]!.orders.length === 1, { what: 'children sent' });
    r.fill(0, kids[0]!, 6_000_100, 1000);
    r.fill(1, kids[1]!, 6_000_150, 500);
    expect(r.path.tracker.get(parent)!.state).toBe('FILLED');
    await r.caughtUp();
    const rows = await allFills(store);
    expectExactlyOnce(rows, r.made);
    expect(rows.map((f) => [f.venue, f.orderId, f.parentOrderId])).toEqual([['a', kids[0], parent], ['b', kids[1], parent]]);
    expect(((await fillsQuery(store, new URLSearchParams('venue=smart'), { pageSizeMax: 10 })).body as { fills: unknown[] }).fills).toEqual([]);
    const orders = readdirSync(join(dir, 'history')).flatMap((f) => readFileSync(join(dir, 'history', f), 'utf8').split('\n'))
      .filter((l) => l.startsWith('{"kind":"order"')).map((l) => JSON.parse(l) as { orderId: number; state: string; venue: string; filledQty: string; avgPrice: string; parentOrderId: number | null });
    expect(orders.map((o) => [o.orderId, o.state, o.venue, o.filledQty, o.parentOrderId]).sort()).toEqual([
      [kids[0], 'FILLED', 'a', '0.01000', parent], [kids[1], 'FILLED', 'b', '0.00500', parent], [parent, 'FILLED', 'smart', '0.01500', null],
    ].sort());
    expect(orders.find((o) => o.orderId === parent)!.avgPrice).toBe('60001.1666666666'); // tick decimals + 8, truncated, as GET /v1/orders shows it
  }, 30_000);

  it('a store down mid-run: the journal keeps every record after the watermark, and the history catches up, none lost, none twice', async () => {
    const dir = tempDir();
    const store = new SwitchableStore(new FileHistoryStore(join(dir, 'history')));
    const r = await rigWith(store, { snapshotEvery: 60, segmentBytes: 2048 });
    for (let i = 0; i < 20; i++) await r.tradeOne(i % 3);
    await r.caughtUp();
    store.down = true;
    const held = r.writer.watermark;
    for (let i = 0; i < 100; i++) await r.tradeOne(i % 3);
    await waitFor(() => !r.writer.status().up, { what: 'the writer sees the store down' });
    expect(r.writer.watermark).toBe(held);
    await waitFor(() => r.snapshotsSeen() >= 4, { what: 'snapshots while the store is down' });
    // snapshots were written, but no segment holding a record after the watermark was deleted
    expect(r.firstSeq()).toBeLessThanOrEqual(held + 1);
    expect(r.writer.status()).toMatchObject({ up: false, mode: 'down' });
    expect(r.writer.status().lagRecords).toBeGreaterThan(300);
    store.down = false;
    await r.caughtUp();
    for (let i = 0; i < 30; i++) await r.tradeOne(i % 3);
    await r.caughtUp();
    // caught up: the floor moved on and retention deletes again
    await waitFor(() => r.firstSeq() > held + 1, { what: 'segments deleted again once the history caught up' });
    expectExactlyOnce(await allFills(store.inner), r.made);
    expect(r.made).toHaveLength(300);
  }, 60_000);

  it('a buffer that overflows (the store slower than the fills) drops nothing: the writer reads the journal instead', async () => {
    const dir = tempDir();
    const store = new SwitchableStore(new FileHistoryStore(join(dir, 'history')));
    const r = await rigWith(store, { snapshotEvery: 1_000_000, bufferRows: 4, batchRows: 2 });
    await r.caughtUp();
    // a write that takes long: the rows made meanwhile pass the buffer's bound
    let release = (): void => undefined;
    store.hold = new Promise<void>((resolve) => (release = resolve));
    await r.tradeOne(0);
    await waitFor(() => store.holding > 0, { what: 'a write waiting' });
    for (let i = 0; i < 10; i++) await r.tradeOne(i % 3);
    expect(r.writer.status().overflows).toBeGreaterThan(0);
    release();
    store.hold = null;
    for (let i = 0; i < 10; i++) await r.tradeOne(i % 3);
    await r.caughtUp();
    expect(r.writer.status().overflows).toBeGreaterThan(0);
    expectExactlyOnce(await allFills(store.inner), r.made);
  }, 60_000);

  it('opening a history file cuts a torn last line; the watermark is the last whole line', async () => {
    const dir = tempDir();
    const a = new FileHistoryStore(dir);
    await a.open();
    const row = (seq: number): FillRow => ({
      kind: 'fill', seq, ts: 1000 + seq, orderId: seq, parentOrderId: null, clientOrderId: `c${seq}`, strategy: 's', symbol: 'BTC-USDT', side: 'BUY',
      venue: 'a', tradeId: `t${seq}`, price: '1.00', qty: '2', fee: '', feeCurrency: 'USDT', feeEstimated: false, liquidity: 'MAKER', venueTs: null,
    });
    await a.write([row(3), row(5)], 9);
    expect(await a.watermark()).toBe(9);
    await a.write([row(4), row(5), row(10)], 12); // 4 and 5 are at or below the watermark: stored already
    await a.close();
    const [file] = readdirSync(dir);
    appendFileSync(join(dir, file!), '{"kind":"fill","seq":13,"ts":10');
    const b = new FileHistoryStore(dir);
    await b.open();
    expect(await b.watermark()).toBe(12);
    expect((await b.fills({}, null, 10)).map((f) => f.seq)).toEqual([3, 5, 10]);
    await b.write([row(13)], 13);
    expect((await b.fills({ from: 1005 }, null, 10)).map((f) => f.seq)).toEqual([5, 10, 13]);
    expect((await b.fills({}, { ts: 1005, seq: 5 }, 1)).map((f) => f.seq)).toEqual([10]);
    expect(readFileSync(join(dir, file!), 'utf8').endsWith('\n')).toBe(true);
    await b.close();
  });

  it('each write appends its own lines only, after a larger write and after one with nothing to store (the store keeps its line buffer)', async () => {
    const dir = tempDir();
    const store = new FileHistoryStore(dir);
    await store.open();
    const row = (seq: number): FillRow => ({
      kind: 'fill', seq, ts: 1_780_000_000_000 + seq, orderId: seq, parentOrderId: seq % 2 === 0 ? null : 7, clientOrderId: `c${seq}`, strategy: 's',
      symbol: 'BTC-USDT', side: 'SELL', venue: 'a', tradeId: `t${seq}`, price: '60000.5', qty: '0.25', fee: '0.01', feeCurrency: 'USDT', feeEstimated: seq % 3 === 0,
      liquidity: 'TAKER', venueTs: seq % 5 === 0 ? null : 1_780_000_000_000,
    });
    const big = Array.from({ length: 40 }, (_, i) => row(i + 1));
    await store.write(big, 40);
    await store.write([row(41)], 41);
    await store.write([row(41)], 41); // stored already: nothing written
    await store.write([], 44); // a watermark line alone
    await store.write([row(45), row(46)], 46);
    await store.close();
    const text = store.files().map((f) => readFileSync(join(dir, f), 'utf8')).join('');
    const want = [...big, row(41)].map((r) => `${JSON.stringify(r)}\n`).join('') + '{"kind":"mark","seq":44}\n'
      + [row(45), row(46)].map((r) => `${JSON.stringify(r)}\n`).join('');
    expect(text).toBe(want);
  });
});
