/**
 * kill -9 mid-sweep (sweep-crash-harness.ts): the real daemon sweeping across the fake Binance and the fake OKX,
 * SIGKILLed a seeded 0-50 ms after each sweep's POST returned and restarted on the same journal. Recovery must end
 * with the right parent state and no child sent twice, judged from the venues' own records.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/daemon-process.js';
import { runSweepCrash } from './sweep-crash-harness.js';

const SEED = Number(process.env.SWEEP_CRASH_SEED ?? 7);

describe('kill -9 mid-sweep (real daemon, fake Binance + fake OKX)', () => {
  // dist/ current before the clock of the test starts (a compile when sources changed since the last build)
  beforeAll(() => ensureBuilt(), 180_000);

  it('recovery ends with the right parent state and no child sent twice', async () => {
    const lines: string[] = [];
    const r = await runSweepCrash({ seed: SEED, rounds: 3, log: (l) => lines.push(l) });
    if (r.problems.length > 0 || process.env.SWEEP_CRASH_VERBOSE) console.log([...lines, ...r.daemonErrors.map((e) => `daemon error: ${e}`)].join('\n'));
    expect(r.problems).toEqual([]);
    expect(r.rounds).toHaveLength(3);
    // round 0: an IOC parent larger than the books up to its limit ends CANCELED with what it could take
    expect(r.rounds[0]).toMatchObject({ tif: 'IOC', parentState: 'CANCELED' });
    // round 1: a GTC parent larger than the books rested its rest at a venue, and the cancel ended it
    expect(r.rounds[1]!.tif).toBe('GTC');
    expect(r.rounds[1]!.restCanceled || r.rounds[1]!.routedWhole === true).toBe(true);
  }, 120_000);
});
