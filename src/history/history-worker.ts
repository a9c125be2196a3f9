/**
 * The trade history's thread (started by src/compose/history-thread.ts): the history writer (history-writer.ts: the
 * journal follower, its store) fed not by the daemon's tracker on the dispatch thread but by a tracker of its own, kept
 * current from the journal's durable batches (journal-tail.ts). Everything the history costs — its rows, their
 * encoding, the store's I/O — is spent here.
 *
 * Messages in: `start` (the journal's durable seq when the history starts: the tail is rebuilt from the files up to
 * it, then the writer starts: catch-up from its watermark, then live), `batch` (durable batches, in seq order, as
 * the journal wrote them: applied to the tail as the writer has room for their rows, tail-feed.ts), `durable`
 * (batches were dropped on the way: rebuild up to this seq), `stop`.
 * Messages out: `status` (the writer's status, the batch bytes taken — applied or passed over — so
 * far: the dispatch thread bounds what it has sent and not yet seen taken), `log`, `stopped`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { OrderStore } from '../core/order-store.js';
import { raiseThreadNice } from '../core/thread-priority.js';
import { JournalTail } from '../journal/journal-tail.js';
import { systemClock } from '../model/clock.js';
import { InstrumentRegistry } from '../model/instrument.js';
import { HistoryWriter } from './history-writer.js';
import { TailFeed } from './tail-feed.js';
import { historyStoreFromConfig } from './store-from-config.js';
import type { HistoryThreadMessage, HistoryWorkerData, HistoryWorkerMessage } from './history-protocol.js';

const d = workerData as HistoryWorkerData;
const port = parentPort!;
const post = (m: HistoryWorkerMessage): void => port.postMessage(m);

/** Log fields as plain data (an Error becomes its text). */
function plain(obj: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = v instanceof Error ? `${(v as NodeJS.ErrnoException).code ?? v.name}: ${v.message}` : typeof v === 'object' && v !== null ? JSON.parse(JSON.stringify(v)) as unknown : v;
  return out;
}

const log = {
  info: (obj: object, msg: string) => post({ type: 'log', level: 'info', obj: plain(obj), msg }),
  warn: (obj: object, msg: string) => post({ type: 'log', level: 'warn', obj: plain(obj), msg }),
  error: (obj: object, msg: string) => post({ type: 'log', level: 'error', obj: plain(obj), msg }),
};

// behind the dispatch thread when the cores are busy (it lags then, and catches up)
post({ type: 'priority', priority: raiseThreadNice(d.history.threadNice) });

const instruments = new InstrumentRegistry(d.instruments);
const like = new OrderStore(instruments, d.strategyIds, d.venueNames, d.clientIdPrefix, 1024);
const store = historyStoreFromConfig(d.history, d.baseDir);
// the dispatch thread hears of every write (its status, the journal's retention floor) once the writer took it in
const write = store.write.bind(store);
store.write = async (rows, watermark) => {
  await write(rows, watermark);
  setImmediate(status);
};
// (the file store takes the rows as their lines)
const writeLines = store.writeLines?.bind(store);
if (writeLines !== undefined) {
  store.writeLines = async (lines, watermark) => {
    await writeLines(lines, watermark);
    setImmediate(status);
  };
}
/** The feed waits for the writer's room (onRoom: on a later turn, once per turn). */
let pumpScheduled = false;
function pumpSoon(): void {
  if (pumpScheduled) return;
  pumpScheduled = true;
  setImmediate(() => {
    pumpScheduled = false;
    feed.pump();
  });
}
const writer = new HistoryWriter({
  store, orders: like, retainFinished: d.retainFinished, clock: systemClock, log,
  bufferRows: d.history.bufferRows, batchRows: d.history.batchRows, ...d.tuning, onRoom: pumpSoon,
});
const tail = new JournalTail(d.journalDir, like, d.retainFinished, (seq, _tracker, order, update, t) => writer.onRecorded(seq, order, update, t));
const feed = new TailFeed(tail, writer, log);

/** Batch bytes taken before the start (passed over: the start rebuilds from the files). */
let skipped = 0;
let started = false;

function status(): void {
  post({ type: 'status', status: writer.status(), consumed: skipped + feed.consumed });
}

const timer = setInterval(status, d.statusEveryMs);

port.on('message', (m: HistoryThreadMessage) => {
  if (m.type === 'batch') {
    if (started) feed.batch(m.bytes, m.firstSeq, m.lastSeq);
    else skipped += m.bytes.byteLength;
  } else if (m.type === 'durable') {
    if (started) feed.durable(m.seq);
  } else if (m.type === 'start') {
    started = true;
    feed.rebuild(m.durableSeq);
    writer.start({
      dir: d.journalDir,
      // what the tail holds is durable (it is fed durable batches only)
      lastSeq: () => Math.max(0, tail.seq),
      durableSeq: () => Math.max(0, tail.seq),
      whenDurable: () => Promise.resolve(),
    });
    status();
  } else if (m.type === 'stop') {
    clearInterval(timer);
    void writer.stop(m.timeoutMs).finally(() => {
      status();
      post({ type: 'stopped' });
    });
  }
});
