import { describe, expect, it } from 'vitest';
import { StartStop, type StartStopSteps } from '../../src/compose/start-stop.js';

/** Steps that record what ran; the start waits on `release` between its two steps and checks for a stop there. */
function recording(opts: { fail?: boolean } = {}) {
  const calls: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const steps: StartStopSteps<string> = {
    async start(stopRequested) {
      calls.push('start:1');
      await gate;
      if (opts.fail === true) throw new Error('port in use');
      if (stopRequested()) {
        calls.push('start:skipped');
        return 'interrupted';
      }
      calls.push('start:2');
      return 'started';
    },
    async abandon() {
      calls.push('abandon');
    },
    beforeStop(reason) {
      calls.push(`beforeStop:${reason}`);
    },
    async stop(reason) {
      calls.push(`stop:${reason}`);
    },
    async finally(startFailed) {
      calls.push(`finally:${startFailed ? 'failed' : 'ok'}`);
    },
  };
  return { calls, release, steps };
}

describe('start and stop sequencing', () => {
  it('starts once, however often start() is called, then stops once', async () => {
    const r = recording();
    const lc = new StartStop(r.steps);
    const a = lc.start();
    expect(lc.start()).toBe(a);
    r.release();
    expect(await a).toBe('started');
    const s = lc.stop('SIGTERM');
    expect(lc.stop('again')).toBe(s);
    await s;
    expect(r.calls).toEqual(['start:1', 'start:2', 'beforeStop:SIGTERM', 'stop:SIGTERM', 'finally:ok']);
  });

  it('a stop during the start lets the step in progress finish, skips the rest, then stops', async () => {
    const r = recording();
    const lc = new StartStop(r.steps);
    const started = lc.start();
    const stopped = lc.stop('SIGINT');
    expect(lc.stopRequested).toBe(true);
    // the stop has closed intake at once but waits for the start before its stop steps
    await Promise.resolve();
    expect(r.calls).toEqual(['start:1', 'beforeStop:SIGINT']);
    r.release();
    expect(await started).toBe('interrupted');
    await stopped;
    expect(r.calls).toEqual(['start:1', 'beforeStop:SIGINT', 'start:skipped', 'stop:SIGINT', 'finally:ok']);
  });

  it('a failed start releases what it opened and rejects; the stop after it only finishes', async () => {
    const r = recording({ fail: true });
    const lc = new StartStop(r.steps);
    const started = lc.start();
    r.release();
    await expect(started).rejects.toThrow('port in use');
    await lc.stop('exit');
    expect(r.calls).toEqual(['start:1', 'abandon', 'beforeStop:exit', 'finally:failed']);
  });

  it('a stop that waits on a start that then fails does not run the stop steps', async () => {
    const r = recording({ fail: true });
    const lc = new StartStop(r.steps);
    const started = lc.start().catch((e: unknown) => e);
    const stopped = lc.stop('SIGTERM');
    r.release();
    await stopped;
    expect(await started).toBeInstanceOf(Error);
    expect(r.calls).toEqual(['start:1', 'beforeStop:SIGTERM', 'abandon', 'finally:failed']);
  });

  it('a stop without a start runs the stop steps (nothing to wait for)', async () => {
    const r = recording();
    await new StartStop(r.steps).stop('never started');
    expect(r.calls).toEqual(['beforeStop:never started', 'stop:never started', 'finally:ok']);
  });
});
