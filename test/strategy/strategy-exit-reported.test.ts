/**
 * A worker strategy that ends while the daemon runs — it throws, or its code ends the thread itself (process.exit,
 * even with code 0) — has stopped trading unasked: it is reported as failed (status and onExit's error), never as a
 * clean stop. Only a stop the host asked for is one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { StrategyHost } from '../../src/strategy/strategy-host.js';
import { INSTRUMENTS, until, VENUES } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-strategy-exit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a worker that ends on its own', () => {
  it('process.exit(0) from strategy code while running is reported as a failure', { timeout: 30_000 }, async () => {
    const exits: [string, Error | undefined][] = [];
    const h = new StrategyHost({
      strategies: [{ id: 'quitter', module: fileURLToPath(new URL('./fixtures/exits.ts', import.meta.url)), symbols: ['BTC-USDT'] }],
      instruments: INSTRUMENTS, venues: VENUES, cacheDir: join(dir, 'cache'), onExit: (id, e) => exits.push([id, e]),
    });
    await h.start();
    await until(() => exits.length === 1);
    expect(h.get('quitter')!.status).toBe('failed');
    expect(exits[0]![1]).toBeInstanceOf(Error);
    await h.stop();
  });
});
