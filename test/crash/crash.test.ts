/**
 * A short crash test in `npm test` (3 kills); `npm run test:crash` runs 20. Ends with the result line
 * {"crash":{"kills":N,"orders":N,"lost":N,"duplicated":N,"fill_mismatches":N}}.
 */
import { describe, expect, it } from 'vitest';
import { runCrashTest } from './crash-harness.js';

const KILLS = Number(process.env.CRASH_KILLS ?? 3);

describe('crash test: SIGKILL at random moments against the fake venue', () => {
  it(`${KILLS} kills: nothing lost, nothing duplicated at the venue, no fill counted twice`, async () => {
    const r = await runCrashTest({ kills: KILLS, clients: 4, seed: Number(process.env.CRASH_SEED ?? 20261121), log: (l) => console.log(l) });
    for (const p of r.problems.slice(0, 20)) console.log(`problem: ${p}`);
    console.log(`state mismatches: ${r.state_mismatches}`);
    console.log(JSON.stringify({ crash: { kills: r.kills, orders: r.orders, lost: r.lost, duplicated: r.duplicated, fill_mismatches: r.fill_mismatches } }));
    expect(r.kills).toBe(KILLS);
    expect(r.orders).toBeGreaterThan(KILLS * 4);
    expect(r).toMatchObject({ lost: 0, duplicated: 0, fill_mismatches: 0, state_mismatches: 0 });
  }, 60_000 + KILLS * 15_000);
});
