/**
 * bench:history at a tiny size (the full run is `npm run bench:history`): 2,000 orders, one run. What is checked is
 * its JSON line's shape and that its figures are the ratios they are said to be, never a speed: every order's four
 * records (and the journal's names record) replayed, a fill row and a final-state row stored per order, the per-order
 * CPU figure the per-record one times the records per order, and the run's temporary folder gone.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/daemon-process.js';
import { REPO_ROOT, repoPath } from '../helpers/repo.js';

/** dist/bench/history.js must be a build of the current bench/history.ts. */
function ensureBenchBuilt(): void {
  ensureBuilt();
  const out = repoPath('dist/bench/history.js');
  if (existsSync(out) && statSync(out).mtimeMs >= statSync(repoPath('bench/history.ts')).mtimeMs) return;
  spawnSync(process.execPath, [repoPath('node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: REPO_ROOT, timeout: 120_000 });
}

const leftovers = (): string[] => readdirSync(tmpdir()).filter((n) => n.startsWith('switchyard-bench-history-'));

describe('bench:history (tiny size)', () => {
  it('prints one JSON line: every record replayed, two rows per order, CPU per order = per record x records per order', () => {
    ensureBenchBuilt();
    const before = leftovers().length;
    const r = spawnSync(process.execPath, [repoPath('dist/bench/history.js'), '--orders', '2000', '--runs', '1'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const j = JSON.parse(lines[lines.length - 1]!) as Record<string, number | string>;
    expect(Object.keys(j)).toEqual(['bench', 'orders', 'records', 'rows', 'runs', 'records_per_s', 'cpu_ns_per_record', 'cpu_ns_per_order']);
    expect(j.bench).toBe('history');
    expect(j.orders).toBe(2000);
    // the names record, then per order: ORDER, SUBMIT, ACCEPT, FILL
    expect(j.records).toBe(4 * 2000 + 1);
    expect(j.rows).toBe(2 * 2000);
    expect(j.runs).toBe(1);
    expect(j.records_per_s).toBeGreaterThan(0);
    expect(j.cpu_ns_per_record).toBeGreaterThan(0);
    const perOrder = (j.cpu_ns_per_record as number) * (j.records as number) / 2000;
    expect(Math.abs((j.cpu_ns_per_order as number) - perOrder)).toBeLessThanOrEqual(0.5 * (j.records as number) / 2000 + 1);
    expect(leftovers().length).toBe(before);
  }, 150_000);
});
