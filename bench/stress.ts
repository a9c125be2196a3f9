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
import { benchArgs, type Opt, whole } from './lib/args.js';
import { runStress } from './lib/stress.js';

const USAGE = `Usage: npm run bench:stress [-- --workers N --http N --ws N --orders N --queue N --journal 0|1 --timeout-s N]
                            (= npm run build && node --expose-gc dist/bench/stress.js)
  --workers N     worker-thread strategies (default 50)
  --http N        HTTP API clients, one request at a time each (default 48)
  --ws N          WebSocket API clients, pipelined (default 2)
  --orders N      orders per producer (default 10000)
  --queue N       strategy queue capacity (default 256)
  --journal 0|1   the journal off (0) or on (default 1)
  --timeout-s N   fails after this many seconds (default 600)
Every value is a non-negative whole number. Progress lines first; the last line is one JSON object. Exits 1 when
anything is lost, duplicated, out of order or unexplained.`;

const nonNegative = (fallback: number): Opt<number> => whole(0, Infinity, { default: fallback });
const args = benchArgs({
  script: 'bench:stress',
  usage: USAGE,
  options: {
    workers: nonNegative(50),
    http: nonNegative(48),
    ws: nonNegative(2),
    orders: nonNegative(10_000),
    queue: nonNegative(256),
    journal: nonNegative(1),
    'timeout-s': nonNegative(600),
  },
});
const workers = args.workers;
const http = args.http;
const ws = args.ws;
const orders = args.orders;
const queueCapacity = args.queue;
const journal = args.journal !== 0;
const timeoutMs = args['timeout-s'] * 1000;

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
  `foreign ${r.foreign}; answers duplicated ${r.duplicateAnswers}, stray ${r.strayAnswers}, stray events ${r.strayEvents}; FIFO violations at the venue ${r.venueFifoViolations}, in the ring intake ${r.ringFifoViolations}; open at the end ${r.openLeft}; ` +
  `ended FILLED ${r.endedFilled}, otherwise ${r.endedOtherwise}`,
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
