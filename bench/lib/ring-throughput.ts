/**
 * Ring throughput, worker -> main thread: a worker thread writes full 96-byte order records (every field,
 * a 20-character client order id) into an SPSC ring as fast as it can, publishing each record (as the
 * strategy SDK does); the main thread polls, decodes each record into one reused OrderRecord and checks the
 * sequence (none lost, none duplicated, FIFO). Timing starts when both sides are ready and ends when the
 * last record is decoded. Either side spins a little when it cannot proceed (ring empty or full) and then
 * gives its core away — the consumer sleeps on the doorbell as a dispatcher would, the producer waits
 * 50 µs — which matters on a small shared machine where both threads rarely run at the same time. Also reported: garbage collections and heap growth on both threads during the run
 * (nothing is allocated per record, so there should be none to speak of).
 *
 * This file is also the producer's worker entry (it starts itself with its own URL). Run from dist/ it is
 * plain JavaScript; run from sources (vitest) it is transpiled into a temporary folder first.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import {
  ORDER_RECORD_BYTES, OrderRecord, OP_SUBMIT, PRIORITY_NORMAL, NO_VENUE, readOrderRecord, setClientOrderId, writeOrderRecord,
} from '../../src/intake/ring/order-record.js';
import { Doorbell } from '../../src/intake/ring/doorbell.js';
import { createRingBuffer, RingConsumer, RingProducer } from '../../src/intake/ring/spsc-ring.js';
import { transpileModuleGraph } from '../../src/strategy/module-loader.js';

export interface RingThroughputOptions {
  /** Ring capacity in records (power of two). Default 4096 (the strategy host's default). */
  readonly capacity?: number;
  /** Records per publish (1 = publish every record, like the SDK). Default 1. */
  readonly publishEvery?: number;
}

export interface RingThroughputResult {
  readonly recordsPerSecond: number;
  readonly records: number;
  readonly elapsedMs: number;
  readonly capacity: number;
  readonly publishEvery: number;
  /** Times the consumer found the ring empty, slept on the doorbell and was woken (each allocates a promise). */
  readonly consumerSleeps: number;
  /** Garbage collections on the consumer (main) thread during the timed run. */
  readonly consumerGcs: number;
  /** Heap growth on the consumer thread during the timed run, bytes (GCs make it approximate). */
  readonly consumerHeapDeltaBytes: number;
  /** Heap growth on the producer thread during the timed run, bytes. */
  readonly producerHeapDeltaBytes: number;
}

const KIND = 'switchyard-bench-ring-producer';
const CLIENT_ORDER_ID = 'bench0123456789abcde';

interface ProducerData {
  readonly kind: typeof KIND;
  readonly ring: SharedArrayBuffer;
  readonly control: SharedArrayBuffer;
  readonly doorbell: SharedArrayBuffer;
  readonly records: number;
  readonly publishEvery: number;
}

// control words
const READY = 0;
const GO = 1;
const YIELD = 2;
/** Empty (consumer) or full (producer) polls before yielding the core. */
const SPINS_BEFORE_YIELD = 256;

function runProducer(d: ProducerData): void {
  const p = new RingProducer(d.ring, new Doorbell(d.doorbell));
  const ctl = new Int32Array(d.control);
  const rec = new OrderRecord();
  rec.op = OP_SUBMIT;
  rec.symbol = 1;
  rec.side = 1;
  rec.type = 0;
  rec.timeInForce = 0;
  rec.postOnly = true;
  rec.priority = PRIORITY_NORMAL;
  rec.venue = NO_VENUE;
  rec.stopTicks = 0;
  rec.orderId = 0;
  rec.targetSeq = 0;
  setClientOrderId(rec, CLIENT_ORDER_ID);
  const n = d.records;
  const every = d.publishEvery;
  Atomics.store(ctl, READY, 1);
  Atomics.notify(ctl, READY);
  Atomics.wait(ctl, GO, 0);
  const heap0 = process.memoryUsage().heapUsed;
  let pending = 0;
  let spins = 0;
  for (let i = 1; i <= n; i++) {
    let off = p.tryClaim();
    while (off < 0) {
      p.publish();
      pending = 0;
      // full: spin a little, then give the core away (on a busy machine the consumer may need it)
      if (++spins > SPINS_BEFORE_YIELD) Atomics.wait(ctl, YIELD, 0, 0.05);
      off = p.tryClaim();
    }
    spins = 0;
    rec.seq = i;
    rec.tag = i;
    rec.priceTicks = 6_000_000 + (i & 1023);
    rec.qtyLots = 1 + (i & 15);
    writeOrderRecord(p, off, rec);
    if (++pending >= every) {
      p.publish();
      pending = 0;
    }
  }
  p.publish();
  parentPort!.postMessage({ heapDelta: process.memoryUsage().heapUsed - heap0 });
}

const PEER_KIND = 'switchyard-bench-postmessage-producer';

interface PeerData {
  readonly kind: typeof PEER_KIND;
  readonly control: SharedArrayBuffer;
  readonly records: number;
}

/** The peer: one postMessage per order (what the rings replace), same fields as a plain object. */
function runPeerProducer(d: PeerData): void {
  const ctl = new Int32Array(d.control);
  const port = parentPort!;
  Atomics.store(ctl, READY, 1);
  Atomics.notify(ctl, READY);
  Atomics.wait(ctl, GO, 0);
  for (let i = 1; i <= d.records; i++) {
    port.postMessage({
      op: OP_SUBMIT, seq: i, tag: i, symbol: 1, side: 1, type: 0, timeInForce: 0, postOnly: true, priority: PRIORITY_NORMAL,
      venue: NO_VENUE, priceTicks: 6_000_000 + (i & 1023), stopTicks: 0, qtyLots: 1 + (i & 15), clientOrderId: CLIENT_ORDER_ID,
    });
  }
}

if (!isMainThread) {
  const kind = (workerData as { kind?: string } | undefined)?.kind;
  if (kind === KIND) runProducer(workerData as ProducerData);
  else if (kind === PEER_KIND) runPeerProducer(workerData as PeerData);
}

async function producerEntry(): Promise<{ url: URL; dispose: () => void }> {
  const self = fileURLToPath(import.meta.url);
  if (self.endsWith('.js')) return { url: new URL(import.meta.url), dispose: () => {} };
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  const js = await transpileModuleGraph(self, dir);
  return { url: pathToFileURL(js), dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** One timed run (see the file comment). */
export async function measureRingThroughput(records: number, options: RingThroughputOptions = {}): Promise<RingThroughputResult> {
  if (!Number.isSafeInteger(records) || records < 1) throw new RangeError('records must be a positive integer');
  const capacity = options.capacity ?? 4096;
  const publishEvery = options.publishEvery ?? 1;
  const ring = createRingBuffer(capacity, ORDER_RECORD_BYTES);
  const control = new SharedArrayBuffer(16);
  const ctl = new Int32Array(control);
  const entry = await producerEntry();
  try {
    const bell = Doorbell.create();
    const data: ProducerData = { kind: KIND, ring, control, doorbell: bell.buffer, records, publishEvery };
    const worker = new Worker(entry.url, { workerData: data });
    const failed = new Promise<never>((_, reject) => worker.once('error', reject));
    const producerReport = new Promise<{ heapDelta: number }>((resolve) => worker.once('message', resolve));
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    failed.catch(() => {});
    // wait (without blocking the event loop) until the producer is ready
    const w = (Atomics as unknown as { waitAsync: (a: Int32Array, i: number, v: number, t?: number) => { async: boolean; value: Promise<string> | string } }).waitAsync(ctl, READY, 0, 30_000);
    if (w.async) await Promise.race([w.value, failed]);
    if (Atomics.load(ctl, READY) !== 1) throw new Error('ring throughput: the producer did not start');

    const c = new RingConsumer(ring);
    const hasRecords = (): boolean => c.hasRecords();
    const rec = new OrderRecord();
    let expected = 1;
    let bad = 0;
    let qty = 0;
    const handle = (off: number): void => {
      readOrderRecord(c, off, rec);
      if (rec.seq !== expected) bad++;
      expected++;
      qty += rec.qtyLots;
    };
    let gcs = 0;
    const obs = new PerformanceObserver((list) => (gcs += list.getEntries().length));
    obs.observe({ entryTypes: ['gc'] });
    const heap0 = process.memoryUsage().heapUsed;
    let idle = 0;
    Atomics.store(ctl, GO, 1);
    Atomics.notify(ctl, GO);
    const t0 = performance.now();
    let got = 0;
    while (got < records) {
      const n = c.poll(4096, handle);
      if (n > 0) {
        got += n;
        idle = 0;
        continue;
      }
      if (++idle > SPINS_BEFORE_YIELD) {
        // empty: sleep on the doorbell like the dispatcher does (the producer rings it)
        idle = 0;
        if (!(await bell.wait(hasRecords, 60_000))) throw new Error(`ring throughput: stalled after ${got} records`);
      }
    }
    const elapsedMs = performance.now() - t0;
    const consumerHeapDeltaBytes = process.memoryUsage().heapUsed - heap0;
    const { heapDelta } = await Promise.race([producerReport, failed]);
    await exited;
    await new Promise((resolve) => setImmediate(resolve)); // let the gc observer report
    obs.disconnect();
    if (bad !== 0 || expected !== records + 1 || qty <= 0) throw new Error(`ring throughput: ${bad} records out of sequence`);
    return {
      recordsPerSecond: Math.round(records / (elapsedMs / 1000)),
      records,
      elapsedMs: Math.round(elapsedMs * 100) / 100,
      capacity,
      publishEvery,
      consumerSleeps: bell.wakeups,
      consumerGcs: gcs,
      consumerHeapDeltaBytes,
      producerHeapDeltaBytes: heapDelta,
    };
  } finally {
    entry.dispose();
  }
}

/**
 * The peer of measureRingThroughput: the same records sent as one postMessage each (structured clone per
 * order), consumed by a 'message' listener on the main thread. Bench scripts print ring / peer as a ratio.
 */
export async function measurePostMessageThroughput(records: number): Promise<{ recordsPerSecond: number; records: number; elapsedMs: number }> {
  if (!Number.isSafeInteger(records) || records < 1) throw new RangeError('records must be a positive integer');
  const control = new SharedArrayBuffer(16);
  const ctl = new Int32Array(control);
  const entry = await producerEntry();
  try {
    const data: PeerData = { kind: PEER_KIND, control, records };
    const worker = new Worker(entry.url, { workerData: data });
    const failed = new Promise<never>((_, reject) => worker.once('error', reject));
    failed.catch(() => {});
    const w = (Atomics as unknown as { waitAsync: (a: Int32Array, i: number, v: number, t?: number) => { async: boolean; value: Promise<string> | string } }).waitAsync(ctl, READY, 0, 30_000);
    if (w.async) await Promise.race([w.value, failed]);
    if (Atomics.load(ctl, READY) !== 1) throw new Error('postMessage throughput: the producer did not start');
    let expected = 1;
    let bad = 0;
    let t0 = 0;
    const done = new Promise<number>((resolve) => {
      worker.on('message', (m: { seq: number }) => {
        if (m.seq !== expected) bad++;
        if (expected++ === records) resolve(performance.now());
      });
    });
    t0 = performance.now();
    Atomics.store(ctl, GO, 1);
    Atomics.notify(ctl, GO);
    const t1 = await Promise.race([done, failed]);
    await worker.terminate();
    if (bad !== 0) throw new Error(`postMessage throughput: ${bad} messages out of sequence`);
    const elapsedMs = t1 - t0;
    return { recordsPerSecond: Math.round(records / (elapsedMs / 1000)), records, elapsedMs: Math.round(elapsedMs * 100) / 100 };
  } finally {
    entry.dispose();
  }
}
