/**
 * A graceful stop runs the worker strategies' stop hooks first, and a stop hook may still cancel (sdk.ts): what it
 * writes into its ring must be read and acted on before the dispatcher stops — also when the daemon's thread was
 * busy (a loaded 2-core machine, GC, a long I/O callback) while the worker ran its hook and exited, and in either
 * dispatch mode. Policy `leave`: only the strategy's own cancel takes its order off the book.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { pollUntil } from '../helpers/poll.js';

const FIXTURE = new URL('./fixtures/quote-puller.ts', import.meta.url).pathname;

/** The daemon's thread busy for `ms` (what a descheduled or busy main thread looks like to the worker). */
function busy(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

let running: TestDaemon | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function stopWhileBusy(dispatch: Record<string, unknown>): Promise<{ state: string }> {
  const d = (running = await startTestDaemon([
    [['daemon', 'shutdown', 'policy'], 'leave'],
    [['daemon', 'dispatch'], dispatch],
    [['strategies', 0, 'module'], FIXTURE],
  ], undefined, { workers: false }));
  const tracker = d.daemon.path.tracker;
  const resting = await pollUntil(
    () => tracker.list(true).filter((o) => o.strategy === 'momentum' && o.state === 'ACCEPTED'),
    (l) => l.length === 1,
    { what: 'the strategy\'s order resting at sim-a', timeoutMs: 15_000 },
  );
  const id = resting[0]!.id;
  // the stop posts `stop` to the worker at once; the worker cancels in its hook and exits while this thread is busy
  const stopping = d.daemon.stop('test');
  busy(2000);
  await stopping;
  return { state: tracker.get(id)!.state };
}

describe('graceful stop: what a worker strategy\'s stop hook cancels is acted on', () => {
  it('busy-poll dispatcher', { timeout: 40_000 }, async () => {
    const { state } = await stopWhileBusy({ busyPoll: true });
    expect(['PENDING_CANCEL', 'CANCELED']).toContain(state);
  });

  it('default dispatcher', { timeout: 40_000 }, async () => {
    const { state } = await stopWhileBusy({ busyPoll: false });
    expect(['PENDING_CANCEL', 'CANCELED']).toContain(state);
  });
});
