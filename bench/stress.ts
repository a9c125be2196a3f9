/**
 * bench:stress — the full-size stress test of the order path (see bench/lib/stress.ts for what is checked).
 *
 *   npm run bench:stress        (= npm run build && node --expose-gc dist/bench/stress.js)
 *   options: --workers N --http N --ws N --orders N --queue N --journal 0|1 --timeout-s N
 *
 * Default: 100 producers, 10,000 orders each, 1,000,000 in all, submitting concurrently: 50 worker-thread
 * strategies (through the SDK and their rings; a blocked one waits idle for ACK events, so 50 threads fit on
 * 2 cores) and 50 API clients — 48 HTTP, one request at a time each, and 2 WebSocket, pipelined — each producer
 * with its own strategy id; a WebSocket producer follows its own strategy's events (`?strategy=`), as an API client
 * would. Strategy queues hold 256 orders (--queue), so WebSocket producers, which pipeline
 * 512 submits, and worker producers, whose rings back up, get QUEUE_FULL answers and send those orders again.
 * The journal is on, as in the daemon's default configuration (batches reach the venue once durable).
 * Fails after 10 minutes (--timeout-s). Progress lines first; the last line is one JSON object. Exits 1 when
 * anything is lost, duplicated, out of order or unexplained.
 */
import { runStress } from './lib/stress.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`--${name} must be a non-negative integer`);
  return v;
}

const workers = arg('workers', 50);
const http = arg('http', 48);
const ws = arg('ws', 2);
const orders = arg('orders', 10_000);
const queueCapacity = arg('queue', 256);
const journal = arg('journal', 1) !== 0;
const timeoutMs = arg('timeout-s', 600) * 1000;

console.log(`bench:stress — node ${process.version}, ${process.platform}/${process.arch}`);
const r = await runStress({ workers, http, ws, ordersPerProducer: orders, queueCapacity, journal, timeoutMs, progress: (line) => console.log(line) });
const k = r.byKind;
console.log(
  `producers: ${k.worker.producers} worker threads (accepted ${k.worker.accepted}, QUEUE_FULL ${k.worker.queueFull}), ` +
  `${k.http.producers} HTTP (accepted ${k.http.accepted}, QUEUE_FULL ${k.http.queueFull}), ` +
  `${k.ws.producers} WebSocket (accepted ${k.ws.accepted}, QUEUE_FULL ${k.ws.queueFull})`,
);
console.log(
  `venue: ${r.accounted} distinct orders of ${r.believedAccepted} accepted; lost ${r.lost}, duplicated ${r.duplicated}, phantom ${r.phantom}, ` +
  `foreign ${r.foreign}; FIFO violations at the venue ${r.venueFifoViolations}, in the ring intake ${r.ringFifoViolations}; open at the end ${r.openLeft}`,
);
console.log(
  `worker strategies' events: ACK ${r.workerEvents.acks}, FILLED ${r.workerEvents.filled}, RESYNC ${r.workerEvents.resyncs} (events lost ${r.workerEvents.lost}); ` +
  `${r.ordersPerSecond.toLocaleString('en-US')} orders/s over ${r.seconds} s`,
);
for (const p of r.problems.slice(0, 20)) console.log(`PROBLEM: ${p}`);
console.log(JSON.stringify({
  bench: 'stress', producers: r.producers, orders: r.orders, accounted: r.accounted, lost: r.lost, duplicated: r.duplicated,
  fifo_violations: r.fifo_violations, queue_full: r.queue_full, seconds: r.seconds,
}));
process.exitCode = r.complete && r.problems.length === 0 ? 0 : 1;
