/**
 * The stress test of the order path (the product's own correctness bar), shared by `npm run bench:stress`
 * (full size) and test/stress/stress.test.ts (scaled down).
 *
 * A daemon-equivalent composition (bench/lib/core.ts: store, tracker, risk, router, strategy queues,
 * dispatcher, batcher, StrategyHost with worker strategies, ring intake, the HTTP/WebSocket API and, as in the
 * daemon's default configuration, the journal: batches reach the venue only once durable), one venue
 * that records every order it is handed and fills it at once (bench/lib/recording-venue.ts), and producers, each
 * with its own strategy id, all submitting at the same time:
 *   - worker producers: worker-thread strategies submitting through the SDK and their ring
 *     (bench/lib/stress-strategy.ts);
 *   - API producers in one client thread (bench/lib/stress-clients.ts): HTTP clients one request at a time, and
 *     WebSocket clients pipelining their submits.
 * Each producer submits `ordersPerProducer` orders named P<producer>S<seq>; a QUEUE_FULL answer is counted by
 * the producer, which sends the same order again later.
 *
 * Accounting at the end, order by order (stress-accounting.ts): each answer a producer got is matched to the order it
 * names (an answer for no order waiting, or for one already accepted, is a problem, never an acceptance); every order
 * a producer believes accepted was handed to the venue exactly once
 * (lost, duplicated; an order handed over that its producer believes refused is a phantom), in the order the
 * daemon accepted it from that producer (FIFO, checked at the venue handoff, plus the ring intake's own
 * sequence check), every order ended FILLED (counted on the daemon's own transitions: an order closed any other way
 * is a problem, not only one left open), each worker producer heard of each of its orders once — one ACK event and
 * one FILL event ending it FILLED per accepted order, matched by the order's tag (at most that many when events were
 * lost and covered by a RESYNC; none for an order it did not submit or heard of already) —, and the QUEUE_FULL answers each worker producer counted match the refusals its ring recorded. The run is
 * bounded by `timeoutMs` and stops by itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { randomBytes } from 'node:crypto';
import { transpileModuleGraph } from '../../src/strategy/module-loader.js';
import { buildCore, type Core, type CoreStrategy } from './core.js';
import { RecordingVenue } from './recording-venue.js';
import { accountProducer } from './stress-accounting.js';
import { CLIENTS_KIND, type ClientProducer, type ClientResult, type ClientsData, type ClientsMessage } from './stress-clients.js';
import {
  R_ACCEPTED, R_ACKS, R_DONE, R_ERRORS, R_EVENTS_LOST, R_FILLED, R_QUEUE_FULL, R_RESYNCS, R_SEQ_MISMATCH, R_SLOTS, R_STRAY_EVENTS,
} from './stress-strategy.js';

export interface StressOptions {
  /** Worker-thread strategy producers. */
  readonly workers: number;
  /** HTTP API producers (one request at a time each). */
  readonly http: number;
  /** WebSocket API producers (pipelined). */
  readonly ws: number;
  readonly ordersPerProducer: number;
  /** Bound of each strategy queue (daemon.queue.capacity). Default 256. */
  readonly queueCapacity?: number;
  /** Records per worker order ring. Default 4096 (the host's default). */
  readonly orderRingCapacity?: number;
  /** Submits in flight per WebSocket producer. Default 512 (more than a small queue holds: QUEUE_FULL happens). */
  readonly wsWindow?: number;
  /** Journal every order and update (the daemon's default; batches wait for durability). Default true. */
  readonly journal?: boolean;
  /** The run fails (and stops) after this long. */
  readonly timeoutMs: number;
  /** Progress lines (every few seconds), e.g. console.log. */
  readonly progress?: (line: string) => void;
}

export interface ProducerKindSummary {
  producers: number;
  accepted: number;
  queueFull: number;
  errors: number;
}

export interface StressResult {
  producers: number;
  /** Orders the producers were to submit (producers x ordersPerProducer). */
  orders: number;
  /** Distinct orders of this run handed to the venue. */
  accounted: number;
  lost: number;
  duplicated: number;
  fifo_violations: number;
  queue_full: number;
  seconds: number;
  /** The producers finished and the daemon settled before the deadline. */
  complete: boolean;
  /** Orders producers believe accepted. */
  believedAccepted: number;
  /** Handed over although their producer believes them refused. */
  phantom: number;
  /** Handed over with a client order id of no producer of this run. */
  foreign: number;
  /** API answers accepting an order already accepted, and answers for no order waiting (or naming another). */
  duplicateAnswers: number;
  strayAnswers: number;
  /** Worker producers' events about an order they did not submit, or one they had heard of already. */
  strayEvents: number;
  venueFifoViolations: number;
  ringFifoViolations: number;
  /** Orders still open at the end (every order should be FILLED). */
  openLeft: number;
  /** Orders the daemon moved to FILLED, and orders it closed any other way (CANCELED, REJECTED, EXPIRED, DENIED). */
  endedFilled: number;
  endedOtherwise: number;
  /** Worker producers whose ACK or FILLED events do not match their accepted orders. */
  workerEventMismatches: number;
  /** Worker producers whose QUEUE_FULL count differs from their ring's refusal count. */
  queueFullMismatches: number;
  /** Worker producers: ACK events seen, FILLED events seen, RESYNCs, events lost (covered by RESYNC). */
  workerEvents: { acks: number; filled: number; resyncs: number; lost: number };
  unknownReports: number;
  lifecycleAnomalies: number;
  byKind: { worker: ProducerKindSummary; http: ProducerKindSummary; ws: ProducerKindSummary };
  /** What went wrong (empty when the run is clean). */
  problems: string[];
  ordersPerSecond: number;
}

type Kind = 'worker' | 'http' | 'ws';

function siblingUrl(name: string): { url: URL; ts: boolean } {
  const self = fileURLToPath(import.meta.url);
  const ts = self.endsWith('.ts');
  return { url: new URL(`./${name}${ts ? '.ts' : '.js'}`, import.meta.url), ts };
}

export async function runStress(o: StressOptions): Promise<StressResult> {
  const P = o.workers + o.http + o.ws;
  const N = o.ordersPerProducer;
  if (P < 1 || P > 999 || !(N >= 1)) throw new RangeError('1 to 999 producers, at least 1 order each');
  const log = o.progress ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-stress-'));
  const kinds: Kind[] = [];
  for (let i = 0; i < o.workers; i++) kinds.push('worker');
  for (let i = 0; i < o.http; i++) kinds.push('http');
  for (let i = 0; i < o.ws; i++) kinds.push('ws');
  const ids = kinds.map((k, p) => `${k === 'worker' ? 'w' : k === 'http' ? 'h' : 's'}${String(p).padStart(3, '0')}`);
  const gateBuf = new SharedArrayBuffer(4);
  const gate = new Int32Array(gateBuf);
  const workerResults = kinds.map((k) => (k === 'worker' ? new Int32Array(new SharedArrayBuffer(4 * R_SLOTS)) : null));
  const workerAccepted = kinds.map((k) => (k === 'worker' ? new Int32Array(new SharedArrayBuffer(4 * N)) : null));
  const strategyModule = fileURLToPath(siblingUrl('stress-strategy').url);
  const strategies: CoreStrategy[] = kinds.map((k, p) => (k === 'worker'
    ? { id: ids[p]!, module: strategyModule, params: { producer: p, orders: N, gate: gateBuf, results: workerResults[p]!.buffer, accepted: workerAccepted[p]!.buffer } }
    : { id: ids[p]! }));
  const token = randomBytes(24).toString('hex');
  let venue: RecordingVenue | undefined;
  const core: Core = buildCore({
    strategies,
    venues: ['rec'],
    makeVenue: (name, _i, sink) => {
      venue = new RecordingVenue(name, sink, P, N);
      return venue;
    },
    queueCapacity: o.queueCapacity ?? 256,
    orderRingCapacity: o.orderRingCapacity,
    cacheDir: join(dir, 'strategies-cache'),
    apiToken: token,
    journalDir: o.journal === false ? undefined : join(dir, 'journal'),
  });
  const rec = venue!;
  // how each order ended, from the daemon's own transitions (not open is not the same as FILLED)
  let endedFilled = 0;
  let endedOtherwise = 0;
  core.tracker.listen({
    onTransition(_order, _update, t) {
      if (t.outcome !== 'APPLIED' || t.from === t.to) return; // no change of state (refused, a duplicate, a partial fill)
      if (t.to === 'FILLED') endedFilled++;
      else if (t.to === 'CANCELED' || t.to === 'REJECTED' || t.to === 'EXPIRED' || t.to === 'DENIED') endedOtherwise++;
    },
  }, 'stress-accounting');
  const problems: string[] = [];
  let clients: Worker | undefined;
  let clientResults: ClientResult[] | undefined;
  let clientsFailed: string | undefined;
  const t0 = performance.now();
  try {
    const { port } = await core.start();
    log(`stress: ${P} producers (${o.workers} worker threads, ${o.http} HTTP, ${o.ws} WebSocket) x ${N.toLocaleString('en-US')} orders, ` +
      `journal ${o.journal === false ? 'off' : 'on'}; ` +
      `daemon up in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    // API producers: one client thread
    const apiProducers: ClientProducer[] = [];
    kinds.forEach((k, p) => {
      if (k !== 'worker') apiProducers.push({ producer: p, strategy: ids[p]!, kind: k });
    });
    const progress = new Int32Array(new SharedArrayBuffer(4 * P));
    if (apiProducers.length > 0) {
      const entry = siblingUrl('stress-clients');
      const url = entry.ts ? pathToFileURL(await transpileModuleGraph(fileURLToPath(entry.url), join(dir, 'clients'))) : entry.url;
      const data: ClientsData = {
        kind: CLIENTS_KIND, port, token, producers: apiProducers, orders: N, wsWindow: o.wsWindow ?? 512, gate: gateBuf,
        progress: progress.buffer as SharedArrayBuffer, wsUrl: pathToFileURL(createRequire(import.meta.url).resolve('ws')).href,
      };
      const w = new Worker(url, { workerData: data });
      clients = w;
      const ready = new Promise<void>((resolve, reject) => {
        w.on('message', (m: ClientsMessage) => {
          if (m.type === 'ready') resolve();
          else if (m.type === 'done') clientResults = m.results;
          else if (m.type === 'failed') {
            clientsFailed = m.message;
            reject(new Error(`stress clients failed: ${m.message}`));
          }
        });
        w.on('error', (e) => {
          clientsFailed = e.message;
          reject(e);
        });
      });
      await ready;
    }

    // go
    const venueTotal = (): number => rec.total;
    const start = performance.now();
    Atomics.store(gate, 0, 1);
    Atomics.notify(gate, 0);
    const deadline = start + o.timeoutMs;
    let nextReport = start + 5000;
    let idleSince = 0;
    let complete = false;
    // every worker producer has heard of each of its orders (an ACK and the FILL ending it), unless events were lost:
    // its event ring may still hold the last events when the daemon has settled
    const workersHeard = (): boolean => workerResults.every((r) => {
      if (r === null || Atomics.load(r, R_RESYNCS) > 0) return true;
      const accepted = Atomics.load(r, R_ACCEPTED);
      return Atomics.load(r, R_ACKS) >= accepted && Atomics.load(r, R_FILLED) >= accepted;
    });
    const eventsHeard = (): number => {
      let n = 0;
      for (const r of workerResults) if (r !== null) n += Atomics.load(r, R_ACKS) + Atomics.load(r, R_FILLED) + Atomics.load(r, R_RESYNCS);
      return n;
    };
    let heardBefore = -1;
    const acceptedSoFar = (): number => {
      let n = 0;
      for (let p = 0; p < P; p++) n += workerResults[p] !== null ? Atomics.load(workerResults[p]!, R_ACCEPTED) : Atomics.load(progress, p);
      return n;
    };
    for (;;) {
      await new Promise((r) => setTimeout(r, 20));
      const now = performance.now();
      const workersDone = workerResults.every((r) => r === null || Atomics.load(r, R_DONE) === 1);
      const clientsDone = clients === undefined || clientResults !== undefined;
      if (clientsFailed !== undefined) {
        problems.push(`client thread failed: ${clientsFailed}`);
        break;
      }
      if (workersDone && clientsDone) {
        const accepted = acceptedSoFar();
        const settled = core.queues.size === 0 && !(core.ringIntake?.pending() ?? false) && core.tracker.open === 0;
        if (settled && rec.distinct >= accepted && workersHeard()) {
          complete = true;
          break;
        }
        // nothing moves any more (the daemon settled, the worker producers hear nothing new) but orders or events
        // are missing: stop waiting after a grace period
        const heard = eventsHeard();
        const moved = heard !== heardBefore;
        heardBefore = heard;
        if (settled) {
          if (idleSince === 0 || moved) idleSince = now;
          else if (now - idleSince > 2000) {
            complete = true;
            break;
          }
        } else idleSince = 0;
      }
      if (now > deadline) {
        problems.push(`timed out after ${(o.timeoutMs / 1000).toFixed(0)} s (handed over ${venueTotal()} of ${P * N})`);
        break;
      }
      if (now > nextReport) {
        nextReport += 5000;
        log(`stress: ${((now - start) / 1000).toFixed(0)} s: accepted ${acceptedSoFar().toLocaleString('en-US')}, handed to the venue ${venueTotal().toLocaleString('en-US')}, open ${core.tracker.open}`);
      }
    }
    const seconds = ((rec.lastHandoffAt > start ? rec.lastHandoffAt : performance.now()) - start) / 1000;

    // ---- accounting -------------------------------------------------------------------------------------
    const byKind = {
      worker: { producers: 0, accepted: 0, queueFull: 0, errors: 0 },
      http: { producers: 0, accepted: 0, queueFull: 0, errors: 0 },
      ws: { producers: 0, accepted: 0, queueFull: 0, errors: 0 },
    };
    const clientByProducer = new Map<number, ClientResult>();
    for (const r of clientResults ?? []) clientByProducer.set(r.producer, r);
    let lost = 0;
    let duplicated = 0;
    let phantom = 0;
    let venueFifo = 0;
    let queueFull = 0;
    let believed = 0;
    let queueFullMismatches = 0;
    let workerEventMismatches = 0;
    let duplicateAnswers = 0;
    let strayAnswers = 0;
    let strayEvents = 0;
    const workerEvents = { acks: 0, filled: 0, resyncs: 0, lost: 0 };
    for (let p = 0; p < P; p++) {
      const kind = kinds[p]!;
      let accepted: number;
      let acceptedOrder: Int32Array;
      let qf: number;
      let errors: number;
      if (kind === 'worker') {
        const r = workerResults[p]!;
        accepted = Atomics.load(r, R_ACCEPTED);
        qf = Atomics.load(r, R_QUEUE_FULL);
        errors = Atomics.load(r, R_ERRORS) + Atomics.load(r, R_SEQ_MISMATCH);
        if (Atomics.load(r, R_SEQ_MISMATCH) > 0) problems.push(`producer ${p}: the SDK's seq differed from the producer's own sequence ${Atomics.load(r, R_SEQ_MISMATCH)} times`);
        const acks = Atomics.load(r, R_ACKS);
        const filled = Atomics.load(r, R_FILLED);
        const resyncs = Atomics.load(r, R_RESYNCS);
        workerEvents.acks += acks;
        workerEvents.filled += filled;
        workerEvents.resyncs += resyncs;
        workerEvents.lost += Atomics.load(r, R_EVENTS_LOST);
        // one ACK and one FILL ending it FILLED per accepted order; with events lost (RESYNC) fewer, never more
        const eventsOff = resyncs === 0 ? acks !== accepted || filled !== accepted : acks > accepted || filled > accepted;
        if (eventsOff) {
          workerEventMismatches++;
          problems.push(`producer ${p}: ${acks} ACK and ${filled} FILLED events for ${accepted} accepted orders` +
            (resyncs === 0 ? '' : ` (${resyncs} RESYNCs: at most that many)`));
        }
        const stray = Atomics.load(r, R_STRAY_EVENTS);
        strayEvents += stray;
        if (stray > 0) problems.push(`producer ${p}: ${stray} ACK or FILLED events about an order it did not submit or had heard of already`);
        const hosted = core.host!.get(ids[p]!)!;
        if (hosted.queueFull !== qf) {
          queueFullMismatches++;
          problems.push(`producer ${p}: counted ${qf} QUEUE_FULL answers, its ring recorded ${hosted.queueFull} refusals`);
        }
        acceptedOrder = workerAccepted[p]!.subarray(0, accepted);
      } else {
        const r = clientByProducer.get(p);
        if (r === undefined) {
          problems.push(`producer ${p} (${kind}): no result from the client thread`);
          accepted = 0;
          acceptedOrder = new Int32Array(0);
          qf = 0;
          errors = 0;
        } else {
          accepted = r.accepted;
          acceptedOrder = r.acceptedOrder;
          qf = r.queueFull;
          errors = r.errors;
          for (const e of r.errorSamples) problems.push(`producer ${p} (${kind}): ${e}`);
          duplicateAnswers += r.duplicateAnswers;
          strayAnswers += r.strayAnswers;
          if (r.duplicateAnswers > 0) problems.push(`producer ${p} (${kind}): ${r.duplicateAnswers} answers accepting an order already accepted`);
          if (r.strayAnswers > 0) problems.push(`producer ${p} (${kind}): ${r.strayAnswers} answers for no order waiting, or naming another than the one asked`);
        }
      }
      const k = byKind[kind];
      k.producers++;
      k.accepted += accepted;
      k.queueFull += qf;
      k.errors += errors;
      queueFull += qf;
      believed += accepted;
      if (errors > 0) problems.push(`producer ${p} (${kind}): ${errors} unexpected refusals`);
      if (accepted + errors < N) problems.push(`producer ${p} (${kind}): submitted only ${accepted + errors} of ${N} orders`);
      // each accepted order handed over exactly once, no other, in the order accepted
      const a = accountProducer(p, N, acceptedOrder, rec);
      lost += a.lost;
      duplicated += a.duplicated;
      phantom += a.phantom;
      venueFifo += a.fifoViolations;
    }
    const ringFifo = core.ringIntake?.fifoViolations ?? 0;
    const openLeft = core.tracker.open;
    if (rec.foreign > 0) problems.push(`${rec.foreign} orders handed over with a client order id of no producer`);
    if (lost > 0) problems.push(`${lost} accepted orders never reached the venue`);
    if (duplicated > 0) problems.push(`${duplicated} orders reached the venue more than once`);
    if (phantom > 0) problems.push(`${phantom} orders reached the venue although their producer believes them refused`);
    if (venueFifo > 0) problems.push(`${venueFifo} orders reached the venue before an order their producer had accepted earlier`);
    if (ringFifo > 0) problems.push(`${ringFifo} ring records out of sequence (ring intake's check)`);
    if (openLeft > 0) problems.push(`${openLeft} orders still open at the end (all should be FILLED)`);
    if (endedOtherwise > 0) problems.push(`${endedOtherwise} orders ended CANCELED, REJECTED, EXPIRED or DENIED (all should be FILLED)`);
    else if (endedFilled < rec.distinct) problems.push(`${rec.distinct - endedFilled} orders handed to the venue never ended FILLED`);
    if (core.unknownReports() > 0) problems.push(`${core.unknownReports()} execution reports for unknown orders`);
    if (core.anomalies() > 0) problems.push(`${core.anomalies()} updates refused or ignored by the lifecycle`);
    if (rec.distinct !== believed && lost === 0 && phantom === 0) problems.push(`venue has ${rec.distinct} orders, producers believe ${believed} accepted`);
    return {
      producers: P,
      orders: P * N,
      accounted: rec.distinct,
      lost,
      duplicated,
      fifo_violations: venueFifo + ringFifo,
      queue_full: queueFull,
      seconds: Math.round(seconds * 1000) / 1000,
      complete,
      believedAccepted: believed,
      phantom,
      foreign: rec.foreign,
      duplicateAnswers,
      strayAnswers,
      strayEvents,
      venueFifoViolations: venueFifo,
      ringFifoViolations: ringFifo,
      openLeft,
      endedFilled,
      endedOtherwise,
      workerEventMismatches,
      queueFullMismatches,
      workerEvents,
      unknownReports: core.unknownReports(),
      lifecycleAnomalies: core.anomalies(),
      byKind,
      problems,
      ordersPerSecond: Math.round(rec.distinct / seconds),
    };
  } finally {
    Atomics.store(gate, 0, 1);
    Atomics.notify(gate, 0);
    if (clients !== undefined) {
      clients.postMessage({ type: 'close' });
      await clients.terminate();
    }
    await core.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
