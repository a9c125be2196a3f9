/**
 * scripts/cpuprofile-summary.mjs, the profile tables of a profiling session: self time by function and by file, time
 * including callees, a window of the samples, and the call paths to a function — from a made-up profile whose sums are
 * known.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoPath } from '../helpers/repo.js';

const SCRIPT = repoPath('scripts/cpuprofile-summary.mjs');

const frame = (functionName: string, url: string, lineNumber: number): Record<string, unknown> => ({ functionName, scriptId: '0', url, lineNumber, columnNumber: 0 });

// (root) -> handle (dist/src/api/a.js:10) -> parse (dist/src/api/a.js:20)
//                                         -> write (native)
//        -> (idle)
const PROFILE = {
  nodes: [
    { id: 1, callFrame: frame('(root)', '', -1), children: [2, 5] },
    { id: 2, callFrame: frame('handle', 'file:///work/x/dist/src/api/a.js', 9), children: [3, 4] },
    { id: 3, callFrame: frame('parse', 'file:///work/x/dist/src/api/a.js', 19), children: [] },
    { id: 4, callFrame: frame('write', '', -1), children: [] },
    { id: 5, callFrame: frame('(idle)', '', -1), children: [] },
  ],
  startTime: 0,
  endTime: 10_000_000,
  // 1 s each: parse, parse, write, handle, idle, then (after 5 s) parse, write, write, idle, idle
  samples: [3, 3, 4, 2, 5, 3, 4, 4, 5, 5],
  timeDeltas: Array.from({ length: 10 }, () => 1_000_000),
};

describe('scripts/cpuprofile-summary.mjs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-cpuprofile-'));
  const file = join(dir, 'x.cpuprofile');
  writeFileSync(file, JSON.stringify(PROFILE));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = (...args: string[]): { status: number | null; out: string; err: string } => {
    const r = spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8', timeout: 15_000 });
    return { status: r.status, out: r.stdout, err: r.stderr };
  };
  /** The table's rows as name -> ms. */
  const rows = (out: string, title: string): Map<string, number> => {
    const section = out.split('\n\n').find((s) => s.startsWith(`== ${title} `));
    expect(section, title).toBeDefined();
    const m = new Map<string, number>();
    for (const line of section!.trimEnd().split('\n').slice(1)) {
      const match = /^\s*([\d.]+) ms\s+[\d.]+ %\s+(.*)$/.exec(line);
      expect(match, line).not.toBeNull();
      m.set(match![2]!, Number(match![1]));
    }
    return m;
  };

  it('sums self time by function and by file, and time including callees', () => {
    const r = run(file);
    expect(r.status).toBe(0);
    expect(r.out).toContain('(10000.0 ms sampled)');
    expect(rows(r.out, 'self by function')).toEqual(new Map([
      ['parse dist/src/api/a.js:20', 3000], ['write (native):0', 3000], ['(idle) (native):0', 3000], ['handle dist/src/api/a.js:10', 1000],
    ]));
    expect(rows(r.out, 'self by file')).toEqual(new Map([['(native)', 6000], ['dist/src/api/a.js', 4000]]));
    const inclusive = rows(r.out, 'including callees, by function');
    expect(inclusive.get('(root) (native):0')).toBe(10000);
    expect(inclusive.get('handle dist/src/api/a.js:10')).toBe(7000);
  });

  it('keeps only the window --from .. --to, and lists the call paths to a function with --callers', () => {
    const late = run(file, '--from', '5.5', '--top', '2');
    expect(late.status).toBe(0);
    expect(rows(late.out, 'self by function')).toEqual(new Map([['write (native):0', 2000], ['(idle) (native):0', 2000]]));
    const callers = run(file, '--to', '4', '--callers', 'write');
    expect(callers.status).toBe(0);
    expect(rows(callers.out, 'callers of write')).toEqual(new Map([['handle dist/src/api/a.js:10 < (root) (native):0', 1000]]));
  });

  it('refuses a missing file argument or an unknown option, with its usage', () => {
    for (const args of [[], [file, '--nope'], [file, '--top', 'x']]) {
      const r = run(...args);
      expect(r.status).toBe(2);
      expect(r.err).toContain('usage: node scripts/cpuprofile-summary.mjs');
    }
  });
});
