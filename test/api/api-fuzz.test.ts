import { describe, expect, it } from 'vitest';
import { runApiFuzz } from '../../bench/lib/api-fuzz.js';
import { ensureBuilt } from '../helpers/daemon-process.js';

/*
 * The short version of `npm run fuzz:api`: the real paper daemon process (dist/src/cli.js, its worker strategies
 * running) and 20,000 generated requests over HTTP and WebSocket — valid and invalid orders, odd routes, headers and
 * credentials, malformed request lines, upgrades. No crash, no 5xx, nothing invalid accepted, healthy at the end, and
 * a clean exit on SIGTERM. The valid path was exercised too (some valid orders were accepted).
 */
describe('API fuzz (short)', () => {
  it('20,000 generated requests: no crash, no 5xx, nothing invalid accepted, the daemon healthy at the end', async () => {
    ensureBuilt();
    const r = await runApiFuzz({ requests: 20_000, concurrency: 32, wsClients: 2, seed: 7, stopOnCrash: true });
    expect({
      requests: r.requests, crashes: r.crashes, status_5xx: r.status_5xx, accepted_invalid: r.accepted_invalid, healthy: r.healthyAtEnd, exit: r.exit,
    }, r.samples.join('\n')).toEqual({
      requests: 20_000, crashes: 0, status_5xx: 0, accepted_invalid: 0, healthy: true, exit: { code: 0, signal: null },
    });
    expect(r.acceptedValid).toBeGreaterThan(0);
    expect(r.byKind.raw + r.byKind.upgrade + r.byKind.ws).toBeGreaterThan(0);
  }, 240_000);
});
