/**
 * npm run bench:history — what the trade history's thread spends per journal record, alone.
 *
 * In bench:load's worker row the history's thread is the largest cost after the dispatch thread (that row with
 * daemon.history.enabled false runs about 30 % faster); there it runs niced on what the other threads leave, so its
 * own cost cannot be read off the row. This measures it alone, on the thread's own code path
 * (src/history/history-worker.ts): the journal's durable batches fed to a TailFeed, applied to the JournalTail's
 * replica of the orders, made into history rows (every fill, every final state) by the HistoryWriter and written by the
 * local file store (JSON lines, one fdatasync per write), in process, on one thread.
 *
 * The journal is made first by the daemon's own recorder: `--orders` orders of BTC-USDT from 4 strategies, each
 * created, sent to one of two venues, acknowledged and filled in one fill (the worker row's mix: an ORDER record and
 * three UPDATE records per order), committed in batches of about `--batch-orders` orders (the worker row's batches
 * hold about a thousand), its durable batches kept as the journal hands them to the history thread
 * (Journal.setDurableBatchListener). Then `--runs` times: a fresh history store, every batch fed in journal order (4 per event-loop
 * turn, as postMessage delivers them), timed from the first batch to the store's watermark reaching the last record.
 *
 *   npm run bench:history [-- --orders N] [--runs R] [--batch-orders B]
 *
 * Prints each run and a final JSON line:
 * {"bench":"history","orders":…,"records":…,"rows":…,"runs":…,"records_per_s":…,"cpu_ns_per_record":…,"cpu_ns_per_order":…}
 * (medians of the runs; CPU is the process's, user + system, so the garbage collector's helper threads count too).
 */
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OrderStore } from '../src/core/order-store.js';
import { OrderTracker } from '../src/core/order-tracker.js';
import { HistoryWriter } from '../src/history/history-writer.js';
import { TailFeed } from '../src/history/tail-feed.js';
import { FileHistoryStore } from '../src/history/file-store.js';
import { JournalRecorder } from '../src/journal/journal-recorder.js';
import { JournalTail } from '../src/journal/journal-tail.js';
import { Journal } from '../src/journal/journal.js';
import { ManualClock, systemClock } from '../src/model/clock.js';
import { InstrumentRegistry } from '../src/model/instrument.js';
import { benchArgs, type Opt, whole } from './lib/args.js';
import { BTC, BTC_MARK_TICKS } from './lib/core.js';
import { median } from './lib/measure.js';

const USAGE = `Usage: npm run bench:history [-- --orders N] [--runs R] [--batch-orders B]
  --orders N         orders in the journal (default 300000)
  --runs R           timed runs over it (default 3)
  --batch-orders B   orders per journal commit, about (default 1000)
Each a positive whole number. Prints each run and a final JSON line:
  {"bench":"history","orders":…,"records":…,"rows":…,"runs":…,"records_per_s":…,"cpu_ns_per_record":…,"cpu_ns_per_order":…}
(medians of the runs; CPU is the process's, user + system, so the garbage collector's helper threads count too).`;

const positive = (fallback: number): Opt<number> => whole(1, Number.MAX_SAFE_INTEGER, { default: fallback });
const args = benchArgs({
  script: 'bench:history',
  usage: USAGE,
  options: { orders: positive(300_000), runs: positive(3), 'batch-orders': positive(1000) },
});
const ORDERS = args.orders;
const RUNS = args.runs;
const BATCH_ORDERS = args['batch-orders'];
const STRATEGIES = ['s1', 's2', 's3', 's4'];
const VENUES = ['sim-a', 'sim-b'];
/** The daemon's default (daemon.retainFinishedOrders). */
const RETAIN_FINISHED = 100_000;
const PREFIX = 'bnch';

const instruments = new InstrumentRegistry([BTC]);
const newStore = (): OrderStore => new OrderStore(instruments, STRATEGIES, VENUES, PREFIX, 1024);

interface FedBatch {
  readonly bytes: Uint8Array;
  readonly firstSeq: number;
  readonly lastSeq: number;
}

/**
 * The journal of ORDERS orders, each created, submitted, accepted and filled, as the daemon's recorder writes it; and
 * its durable batches as the journal hands them to the history thread (Journal.setDurableBatchListener; copied, as
 * postMessage copies them).
 */
async function makeJournal(dir: string): Promise<FedBatch[]> {
  const journal = await Journal.open(dir, { maxDelayMs: 0 });
  const batches: FedBatch[] = [];
  journal.setDurableBatchListener((bytes, firstSeq, lastSeq) => batches.push({ bytes: bytes.slice(), firstSeq, lastSeq }));
  const store = newStore();
  const clock = new ManualClock(1_780_000_000_000);
  const tracker = new OrderTracker(store, clock, { retainFinished: RETAIN_FINISHED, clientOrderIdIndex: false });
  const recorder = new JournalRecorder(store);
  tracker.listen(recorder, 'journal');
  recorder.attach(journal);
  recorder.writeNames();
  for (let id = 1; id <= ORDERS; id++) {
    const buy = (id & 1) === 1;
    const price = BTC_MARK_TICKS + (buy ? 1 : -1) * (id % 50);
    const venue = VENUES[id % VENUES.length]!;
    const slot = tracker.create(id, {
      strategy: id % STRATEGIES.length, symbol: 0, side: buy ? 0 : 1, type: 0, tif: 1, postOnly: false, priority: 1,
      priceTicks: price, stopTicks: 0, qtyLots: 10, venue: -1, clientOrderId: undefined, producerSeq: id, tag: 0, route: 0,
      parent: 0, algo: 0, paramA: 0, paramB: 0, arrivalMid: 0,
    });
    clock.advance(1);
    tracker.applySlot(slot, { kind: 'SUBMIT', venue });
    tracker.applySlot(slot, { kind: 'ACCEPT', venueOrderId: `v${id}` });
    tracker.applySlot(slot, {
      kind: 'FILL',
      fill: {
        orderId: id, tradeId: `t${id}`, venue, priceTicks: price, qtyLots: 10, fee: '0.06', feeCurrency: 'USDT', liquidity: 'TAKER',
        ts: clock.now(), venueTs: clock.now() - 1,
      },
    });
    if (id % BATCH_ORDERS === 0) await journal.flush();
  }
  await journal.flush();
  await journal.close();
  return batches;
}

interface RunResult {
  readonly ms: number;
  readonly cpuMs: number;
  readonly rows: number;
}

const noLog = {
  info: () => undefined,
  warn: (obj: object, msg: string) => console.error('bench:history warn:', msg, obj),
  error: (obj: object, msg: string) => console.error('bench:history error:', msg, obj),
};

/** One pass of the history thread's work over `batches`, into a fresh file store under `dir`. */
async function run(journalDir: string, batches: readonly FedBatch[], dir: string): Promise<RunResult> {
  const like = newStore();
  const store = new FileHistoryStore(dir);
  let rows = 0;
  const write = store.write.bind(store);
  store.write = (r, watermark) => {
    rows += r.length;
    return write(r, watermark);
  };
  // (the history writer gives the file store its rows as their lines: history-lines.ts)
  const writeLines = store.writeLines.bind(store);
  store.writeLines = (lines, watermark) => {
    rows += lines.length;
    return writeLines(lines, watermark);
  };
  let pumpScheduled = false;
  const pumpSoon = (): void => {
    if (pumpScheduled) return;
    pumpScheduled = true;
    setImmediate(() => {
      pumpScheduled = false;
      feed.pump();
    });
  };
  // the daemon's settings (daemon.history.bufferRows, batchRows defaults)
  const writer = new HistoryWriter({ store, orders: like, retainFinished: RETAIN_FINISHED, clock: systemClock, log: noLog, bufferRows: 65_536, batchRows: 5000, onRoom: pumpSoon });
  const tail = new JournalTail(journalDir, like, RETAIN_FINISHED, (seq, _t, order, update, t) => writer.onRecorded(seq, order, update, t));
  const feed = new TailFeed(tail, writer, noLog);
  const lastSeq = batches[batches.length - 1]!.lastSeq;
  feed.rebuild(batches[0]!.firstSeq - 1);
  writer.start({ dir: journalDir, lastSeq: () => Math.max(0, tail.seq), durableSeq: () => Math.max(0, tail.seq), whenDurable: () => Promise.resolve() });
  // the writer is live (its catch-up of nothing done) before the clock starts
  const deadline = performance.now() + 10_000;
  while (writer.status().mode !== 'live') {
    if (performance.now() > deadline) throw new Error(`bench:history: the history writer did not go live (${JSON.stringify(writer.status())})`);
    await new Promise((r) => setTimeout(r, 1));
  }
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    let i = 0;
    const step = (): void => {
      for (let k = 0; k < 4 && i < batches.length; k++, i++) feed.batch(batches[i]!.bytes, batches[i]!.firstSeq, batches[i]!.lastSeq);
      if (i < batches.length) setImmediate(step);
      else wait();
    };
    const wait = (): void => {
      if (writer.watermark >= lastSeq) resolve();
      else setTimeout(wait, 1);
    };
    step();
  });
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await writer.stop();
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, rows };
}

async function main(): Promise<void> {
  const root = fs.mkdtempSync(join(tmpdir(), 'switchyard-bench-history-'));
  try {
    const journalDir = join(root, 'journal');
    const batches = await makeJournal(journalDir);
    const records = batches[batches.length - 1]!.lastSeq - batches[0]!.firstSeq + 1;
    console.log(`bench:history: ${ORDERS} orders, ${records} journal records in ${batches.length} batches; ${RUNS} runs`);
    const results: RunResult[] = [];
    for (let r = 0; r < RUNS; r++) {
      const res = await run(journalDir, batches, join(root, `history-${r}`));
      if (res.rows < 2 * ORDERS) throw new Error(`bench:history: ${res.rows} rows stored, expected at least ${2 * ORDERS} (a fill and a final state per order)`);
      results.push(res);
      console.log(`run ${r + 1}: ${Math.round(records / res.ms * 1000)} records/s, ${Math.round(res.cpuMs * 1e6 / records)} ns of CPU per record, ${res.rows} rows`);
      fs.rmSync(join(root, `history-${r}`), { recursive: true, force: true });
    }
    const msMedian = median(results.map((x) => x.ms));
    const cpuMedian = median(results.map((x) => x.cpuMs));
    console.log(JSON.stringify({
      bench: 'history', orders: ORDERS, records, rows: results[0]!.rows, runs: RUNS,
      records_per_s: Math.round(records / msMedian * 1000), cpu_ns_per_record: Math.round(cpuMedian * 1e6 / records),
      cpu_ns_per_order: Math.round(cpuMedian * 1e6 / ORDERS),
    }));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

await main();
