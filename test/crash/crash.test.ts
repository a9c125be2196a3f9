/**
 * A short crash test in `npm test` (3 kills, and 2 kills in a 5xx storm); `npm run test:crash` runs 20 kills,
 * `npm run test:crash:5xx` 20 kills in a 5xx storm (CRASH_FAULTS=5xx: random 5xx answers to placements and cancels,
 * executed or not). Each run ends with the result line
 * {"crash":{"kills":N,"orders":N,"lost":N,"duplicated":N,"fill_mismatches":N}} (5xx mode: also "faults":"5xx" and
 * the 5xx answers injected).
 */
import { describe, expect, it } from 'vitest';
import { type CrashFaults, runCrashTest } from './crash-harness.js';

const KILLS = Number(process.env.CRASH_KILLS ?? 3);
const FAULTS = (process.env.CRASH_FAULTS ?? 'none') as CrashFaults;
if (FAULTS !== 'none' && FAULTS !== '5xx') throw new Error(`CRASH_FAULTS must be 5xx (or unset), not ${String(FAULTS)}`);
const SEED = Number(process.env.CRASH_SEED ?? 20261121);
/** Inside `npm test` (no CRASH_* settings): one short 5xx-storm run as well. */
const SHORT_STORM = process.env.CRASH_KILLS === undefined && process.env.CRASH_FAULTS === undefined;

async function crash(kills: number, faults: CrashFaults): Promise<void> {
  const r = await runCrashTest({ kills, faults, clients: 4, seed: SEED, log: (l) => console.log(l) });
  for (const p of r.problems.slice(0, 20)) console.log(`problem: ${p}`);
  console.log(`state mismatches: ${r.state_mismatches}`);
  const line: Record<string, unknown> = { kills: r.kills, orders: r.orders, lost: r.lost, duplicated: r.duplicated, fill_mismatches: r.fill_mismatches };
  if (faults === '5xx') Object.assign(line, { faults: '5xx', ...r.faults_injected });
  console.log(JSON.stringify({ crash: line }));
  expect(r.kills).toBe(kills);
  expect(r.orders).toBeGreaterThan(kills * 4);
  expect(r).toMatchObject({ lost: 0, duplicated: 0, fill_mismatches: 0, state_mismatches: 0 });
  if (faults === '5xx') {
    // the storm did hit: placements and cancels, executed and not
    const f = r.faults_injected!;
    expect(f.place_executed + f.place_not_executed).toBeGreaterThan(0);
  }
}

describe('crash test: SIGKILL at random moments against the fake venue', () => {
  const storm = FAULTS === '5xx' ? ' in a 5xx storm' : '';
  it(`${KILLS} kills${storm}: nothing lost, nothing duplicated at the venue, no fill counted twice`, async () => {
    await crash(KILLS, FAULTS);
  }, 60_000 + KILLS * 15_000);

  it.runIf(SHORT_STORM)('2 kills in a 5xx storm (placements and cancels, executed or not): the same verdict', async () => {
    await crash(2, '5xx');
  }, 60_000);
});
