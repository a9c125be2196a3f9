/**
 * The daemon's order path with a real journal (small segments, frequent snapshots: old segments are deleted as the
 * daemon deletes them), venues the test plays, and the trade history wired as the daemon wires it: the recorder's
 * hook feeds the writer, the writer's watermark is the journal's retention floor.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildOrderPath, type OrderPath } from '../../src/compose/order-path.js';
import { HistoryThread } from '../../src/compose/history-thread.js';
import { HistoryWriter } from '../../src/history/history-writer.js';
import type { FillRow } from '../../src/history/history-record.js';
import type { FillCursor, FillFilter, HistoryStore } from '../../src/history/history-store.js';
import type { HistoryRow } from '../../src/history/history-record.js';
import { Journal } from '../../src/journal/journal.js';
import { listDirectory } from '../../src/journal/directory.js';
import { SnapshotCapture } from '../../src/journal/snapshot-capture.js';
import { SnapshotSchedule } from '../../src/journal/snapshot-schedule.js';
import { MarketData } from '../../src/market/market-data.js';
import { ManualClock } from '../../src/model/clock.js';
import type { OrderIntent } from '../../src/model/order.js';
import { PreTradeRisk } from '../../src/risk/pre-trade-risk.js';
import { Router } from '../../src/routing/router.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { levels } from '../helpers/levels.js';
import { intent, TEST_INSTRUMENT_SPECS, testInstruments } from '../helpers/model.js';
import { waitFor } from '../helpers/poll.js';
import { expect } from 'vitest';
import { PlayedVenue } from '../parents/rig.js';

export const VENUES = ['a', 'b', 'c'] as const;

/** A fill the test made a venue report: what the history must hold. */
export interface MadeFill {
  readonly orderId: number;
  readonly venue: string;
  readonly tradeId: string;
  readonly priceTicks: number;
  readonly qtyLots: number;
  readonly ts: number;
  readonly strategy: string;
  readonly symbol: string;
  readonly parentOrderId: number | null;
}

export interface HistoryRig {
  readonly dir: string;
  readonly journal: Journal;
  readonly path: OrderPath;
  readonly clock: ManualClock;
  readonly venues: PlayedVenue[];
  /** The history writer, in this thread or (options.thread) on its own. */
  readonly writer: Pick<HistoryWriter, 'watermark' | 'status' | 'retentionFloor'>;
  /** With options.thread: the history thread. */
  readonly thread: HistoryThread | undefined;
  readonly market: MarketData;
  readonly made: MadeFill[];
  /** How many snapshots were seen in the journal directory so far (looked at after each trade and now). */
  snapshotsSeen(): number;
  /** Seq of the first record still in the journal (1 while no segment was deleted). */
  firstSeq(): number;
  /** Submit and dispatch; resolves once its batch reached the venue (the journal had it on disk). */
  submit(overrides: Partial<OrderIntent>): Promise<number>;
  /** A pinned order at `venue`, accepted and filled in two fills; one ms of clock per step. */
  tradeOne(venue: number, overrides?: Partial<OrderIntent>): Promise<number>;
  /** The venue's fill (recorded in `made`). */
  fill(venue: number, orderId: number, priceTicks: number, qtyLots: number): void;
  /** Waits until the history holds every record the journal has on disk now, and is live. */
  caughtUp(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface HistoryRigOptions {
  readonly store: HistoryStore;
  /** Journal records per snapshot (default 60). */
  readonly snapshotEvery?: number;
  readonly segmentBytes?: number;
  readonly bufferRows?: number;
  readonly batchRows?: number;
  /**
   * The history on its own thread as the daemon runs it (history-thread.ts), writing a file store at `path` (give
   * `store` a FileHistoryStore on the same path to read it); maxQueuedBytes as HistoryThreadOptions.
   */
  readonly thread?: {
    readonly path: string; readonly maxQueuedBytes?: number; readonly threadNice?: number;
    /** The silence watch's clock and bound (HistoryThreadOptions.clock, silentMs). */
    readonly clock?: { monoMs(): number }; readonly silentMs?: number;
  };
}

export async function historyRig(o: HistoryRigOptions): Promise<HistoryRig> {
  const dir = mkdtempSync(join(tmpdir(), 'history-rig-'));
  const instruments = testInstruments();
  const clock = new ManualClock();
  const market = new MarketData(instruments, [...VENUES], ['0', '0', '0'], clock, { depth: 20, staleMs: 3_600_000 });
  const router = new Router([...VENUES], instruments.list.map((i) => i.symbol), instruments.list.map(() => ({ a: 1, b: 1, c: 1 })));
  const risk = new PreTradeRisk(instruments, [{ id: 'alpha', symbols: ['BTC-USDT', 'ETH-USDT'] }, { id: 'beta', symbols: ['BTC-USDT', 'ETH-USDT'] }], {});
  risk.setMark(0, 6_000_000);
  risk.setMark(1, 60_000);
  const venues: PlayedVenue[] = [];
  const log = createLogger('silent', 'test', { write: () => {} });
  const path = buildOrderPath({
    instruments, risk, router, clock, log,
    strategies: [{ id: 'alpha', weight: 1 }, { id: 'beta', weight: 1 }],
    venues: [...VENUES],
    venue: (i, sink) => (venues[i] = new PlayedVenue(VENUES[i]!, sink)),
    batch: VENUES.map(() => ({ maxSize: 32, flushMs: 0 })),
    queueCapacity: 4096,
    retainFinished: 4096,
    clientIdPrefix: 'tst',
    journal: true,
    market,
  });
  const tuning = { flushMs: 5, retryMs: 20, maxRetryMs: 200, markEveryMs: 20 };
  const thread = o.thread === undefined ? undefined : new HistoryThread({
    journalDir: join(dir, 'journal'), baseDir: dir, instruments: TEST_INSTRUMENT_SPECS, strategyIds: path.store.strategyIds,
    venueNames: path.store.venueNames, clientIdPrefix: path.store.clientIdPrefix, retainFinished: 4096, log, cacheDir: join(dir, 'cache'),
    history: {
      enabled: true, store: 'file', file: { path: o.thread.path, segmentBytes: 64 * 1024 * 1024 }, pageSizeMax: 1000,
      bufferRows: o.bufferRows ?? 65536, batchRows: o.batchRows ?? 1000, threadNice: o.thread.threadNice ?? 0,
    },
    maxQueuedBytes: o.thread.maxQueuedBytes, statusEveryMs: 20, tuning, clock: o.thread.clock, silentMs: o.thread.silentMs,
  });
  const inProcess = thread !== undefined ? undefined : new HistoryWriter({
    store: o.store, orders: path.store, retainFinished: 4096, clock, log,
    bufferRows: o.bufferRows ?? 65536, batchRows: o.batchRows ?? 1000, ...tuning,
  });
  const writer = (thread ?? inProcess)!;
  const journal = await Journal.open(join(dir, 'journal'), { segmentBytes: o.segmentBytes ?? 4096, maxDelayMs: 1, retentionFloor: writer.retentionFloor });
  const recorder = path.recorder!;
  recorder.attach(journal);
  recorder.writeNames();
  const snapshotSeqs = new Set<number>();
  const lookAtSnapshots = (): void => {
    for (const s of listDirectory(journal.dir).snapshots) snapshotSeqs.add(s.seq);
  };
  const schedule = new SnapshotSchedule(journal, o.snapshotEvery ?? 60,
    new SnapshotCapture({ store: path.store, ids: path.ids, risk, fees: path.fees }), log, 0);
  recorder.onRecord = () => schedule.maybeSnapshot();
  if (inProcess !== undefined) {
    recorder.addRecordedListener(inProcess.onRecorded);
    inProcess.start({ dir: journal.dir, lastSeq: () => journal.lastSeq, durableSeq: () => journal.durableSeq, whenDurable: (s) => recorder.whenDurable(s) });
  } else await thread!.start(journal);
  path.intake.open();
  const made: MadeFill[] = [];
  let trades = 0;
  const sent = (v: number, id: number): boolean => venues[v]!.orders.some((x) => x.orderId === id);
  const rig: HistoryRig = {
    dir, journal, path, clock, venues, writer, thread, market, made,
    snapshotsSeen: () => {
      lookAtSnapshots();
      return snapshotSeqs.size;
    },
    firstSeq: () => journal.firstSeq,
    async submit(overrides) {
      const r = path.intake.submit(intent(overrides));
      if (!r.ok) throw new Error(`${r.code} ${r.message}`);
      path.dispatcher.pump();
      const id = r.order.id;
      await journal.flush();
      if (overrides.venue !== undefined) {
        const v = VENUES.indexOf(overrides.venue as (typeof VENUES)[number]);
        await waitFor(() => sent(v, id), { timeoutMs: 5000, what: `order ${id} at venue ${overrides.venue}` });
      }
      return id;
    },
    fill(v, orderId, priceTicks, qtyLots) {
      clock.advance(1);
      const order = path.tracker.get(orderId)!;
      const tradeId = `${VENUES[v]}-${++trades}`;
      venues[v]!.report({ kind: 'FILL', orderId, tradeId, priceTicks, qtyLots, fee: '0.01', feeCurrency: 'USDT', liquidity: 'TAKER', venueTs: clock.now() - 1 });
      const parent = order.parentId;
      made.push({
        orderId, venue: VENUES[v]!, tradeId, priceTicks, qtyLots, ts: clock.now(),
        strategy: order.strategy, symbol: order.symbol, parentOrderId: parent > 0 ? parent : null,
      });
    },
    async tradeOne(v, overrides = {}) {
      clock.advance(1);
      const id = await rig.submit({ venue: VENUES[v]!, ...overrides });
      venues[v]!.accept(id);
      const order = path.tracker.get(id)!;
      const q1 = Math.floor(order.qtyLots / 3);
      rig.fill(v, id, order.priceTicks, q1);
      rig.fill(v, id, order.priceTicks, order.qtyLots - q1);
      lookAtSnapshots();
      return id;
    },
    async caughtUp(timeoutMs = 10_000) {
      await journal.flush();
      const target = journal.durableSeq;
      await waitFor(() => writer.watermark >= target && writer.status().mode === 'live', { timeoutMs, what: `history watermark >= ${target} (status ${JSON.stringify(writer.status())})` });
    },
    async close() {
      schedule.cancel();
      await journal.close();
      await (thread ?? inProcess)!.stop(2000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return rig;
}

/** Sets the venues' books of BTC-USDT (asks) for a sweep. */
export function books(r: HistoryRig, asks: readonly (readonly (readonly [number, number])[])[]): void {
  asks.forEach((a, v) => r.market.snapshot(v, 0, levels([[5_999_000, 1000]]), levels(a), 0));
}

/** Every fill of a store matching `filter`, through its pages of `page` fills. */
export async function allFills(store: HistoryStore, filter: FillFilter = {}, page = 7): Promise<FillRow[]> {
  const out: FillRow[] = [];
  let after: FillCursor | null = null;
  for (;;) {
    const rows = await store.fills(filter, after, page);
    out.push(...rows);
    if (rows.length < page) return out;
    after = { ts: rows[rows.length - 1]!.ts, seq: rows[rows.length - 1]!.seq };
  }
}

/** A store that fails every call while `down` (the PostgreSQL server stopped, the disk gone). */
export class SwitchableStore implements HistoryStore {
  down = false;
  writes = 0;
  /** While set, writes wait for it (a slow store). */
  hold: Promise<void> | null = null;
  /** Writes waiting on `hold`. */
  holding = 0;
  constructor(readonly inner: HistoryStore) {}
  get kind(): string {
    return this.inner.kind;
  }
  get where(): string {
    return this.inner.where;
  }
  private check(): void {
    if (this.down) throw Object.assign(new Error('connect ECONNREFUSED (test: store down)'), { code: 'ECONNREFUSED' });
  }
  async open(readOnly?: boolean): Promise<void> {
    this.check();
    return this.inner.open(readOnly);
  }
  async watermark(): Promise<number> {
    this.check();
    return this.inner.watermark();
  }
  async write(rows: readonly HistoryRow[], watermark: number): Promise<void> {
    this.check();
    this.writes++;
    if (this.hold !== null) {
      this.holding++;
      await this.hold;
      this.holding--;
    }
    return this.inner.write(rows, watermark);
  }
  async fills(filter: FillFilter, after: FillCursor | null, limit: number): Promise<FillRow[]> {
    this.check();
    return this.inner.fills(filter, after, limit);
  }
  async close(): Promise<void> {
    return this.inner.close();
  }
}

/** The identity and terms of a fill, as the test made it and as the history shows it. */
export const key = (f: { orderId: number; venue: string; tradeId: string }): string => `${f.orderId}/${f.venue}/${f.tradeId}`;
function expected(made: readonly MadeFill[]): Map<string, MadeFill> {
  return new Map(made.map((m) => [key(m), m]));
}

/** Every made fill is in `rows` exactly once, with its terms (BTC-USDT: tick 0.01, lot 0.00001). */
export function expectExactlyOnce(rows: readonly FillRow[], made: readonly MadeFill[]): void {
  const want = expected(made);
  const seen = new Map<string, number>();
  for (const r of rows) seen.set(key(r), (seen.get(key(r)) ?? 0) + 1);
  expect([...seen.values()].filter((n) => n !== 1)).toEqual([]);
  expect([...seen.keys()].sort()).toEqual([...want.keys()].sort());
  for (const r of rows) {
    const m = want.get(key(r))!;
    expect({ ts: r.ts, strategy: r.strategy, symbol: r.symbol, parentOrderId: r.parentOrderId }).toEqual({ ts: m.ts, strategy: m.strategy, symbol: m.symbol, parentOrderId: m.parentOrderId });
    if (r.symbol === 'BTC-USDT') {
      expect(r.price).toBe((m.priceTicks / 100).toFixed(2));
      expect(r.qty).toBe((m.qtyLots / 100000).toFixed(5));
    }
  }
}

