/**
 * Entry point of a strategy worker thread. Receives its rings, market channel, instruments and module through
 * workerData (see worker-protocol.ts), imports the strategy module, runs it, and pumps its event ring into onEvent
 * and its market data into onTrade / onMarket (strategy-runtime.ts). The port's message listener is also what keeps
 * the thread alive while the pump sleeps (a pending Atomics.waitAsync does not).
 *
 * A heartbeat (workerData.heartbeat) ticks on this thread's event loop, so the host sees when strategy code holds it.
 *
 * Host -> worker: { type: 'stop' } (run strategy.stop, then exit), { type: 'snapshot', ... }.
 * Worker -> host: ready | start-failed | log | snapshot-request | stopped.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { describeError, StrategyRuntime } from './strategy-runtime.js';
import type { StrategyModule } from './sdk.js';
import { DEFAULT_HEARTBEAT_MS, STRATEGY_WORKER_KIND, type HostToWorker, type StrategyWorkerData, type WorkerToHost } from './worker-protocol.js';

async function main(): Promise<void> {
  const port = parentPort;
  const data = workerData as StrategyWorkerData | undefined;
  if (port === null || data?.kind !== STRATEGY_WORKER_KIND) throw new Error('worker-main.ts must be started by the strategy host');
  const post = (m: WorkerToHost): void => port.postMessage(m);
  // the heartbeat runs on this thread's event loop: it stops while strategy code holds the thread (unref'ed: it never
  // keeps the worker alive)
  if (data.heartbeat !== undefined) {
    const beat = new Int32Array(data.heartbeat);
    setInterval(() => Atomics.add(beat, 0, 1), data.heartbeatMs ?? DEFAULT_HEARTBEAT_MS).unref();
  }
  const runtime = new StrategyRuntime(data, { post });

  let exiting = false;
  const exit = (): void => {
    if (exiting) return;
    exiting = true;
    post({ type: 'stopped' });
    port.close();
    // A strategy may have left handles of its own (sockets, raw timers): end the thread regardless.
    setImmediate(() => process.exit(0));
  };

  port.on('message', (m: HostToWorker) => {
    if (m.type === 'stop') void runtime.stop().then(exit, exit);
    else runtime.onMessage(m);
  });

  try {
    const mod = (await import(data.moduleUrl)) as { default?: StrategyModule };
    await runtime.start(mod.default);
  } catch (e) {
    const { message, stack } = describeError(e);
    post(stack === undefined ? { type: 'start-failed', message } : { type: 'start-failed', message, stack });
    port.close();
    setImmediate(() => process.exit(1));
    return;
  }
  post({ type: 'ready' });
}

void main();
