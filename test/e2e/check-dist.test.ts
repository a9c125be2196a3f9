/**
 * `npm start` starts the daemon from dist/ without building (`npm ci` builds through the prepare script); its
 * prestart check (scripts/check-dist.mjs) refuses to start a dist/ that is missing or older than the sources.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { repoPath } from '../helpers/repo.js';

const CHECK = repoPath('scripts/check-dist.mjs');

describe('npm start: no build, and a stale dist/ is refused', () => {
  let root: string | undefined;
  afterEach(() => {
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
    root = undefined;
  });

  /** Write a file (and its directories) with a given modification time (seconds). */
  const at = (path: string): string => join(root!, path);
  const write = (path: string, mtime: number): void => {
    mkdirSync(dirname(at(path)), { recursive: true });
    writeFileSync(at(path), '');
    utimesSync(at(path), mtime, mtime);
  };
  const check = (): number | null => spawnSync(process.execPath, [CHECK, root!], { encoding: 'utf8', timeout: 15_000 }).status;

  it('exits 1 when dist/ is missing, older than a source, or lacks a source; 0 when every source has a newer build', () => {
    root = mkdtempSync(join(tmpdir(), 'switchyard-check-dist-'));
    writeFileSync(at('tsconfig.json'), JSON.stringify({ compilerOptions: { outDir: 'dist', rootDir: '.' }, include: ['src/**/*.ts', 'tools/**/*.ts'] }));
    write('src/a.ts', 1000);
    write('src/sub/b.ts', 1000);
    write('src/types.d.ts', 3000); // emits nothing
    write('tools/t.ts', 1000);
    expect(check()).toBe(1); // no dist/ at all

    write('dist/src/a.js', 2000);
    write('dist/src/sub/b.js', 2000);
    write('dist/tools/t.js', 2000);
    expect(check()).toBe(0);

    utimesSync(at('src/sub/b.ts'), 2500, 2500); // edited after the build
    expect(check()).toBe(1);
    utimesSync(at('dist/src/sub/b.js'), 2600, 2600); // rebuilt
    expect(check()).toBe(0);

    write('tools/new.ts', 1000); // a new source never built
    expect(check()).toBe(1);
  });

  it('package.json: npm ci builds (prepare), npm start only checks and starts, npm test still builds', () => {
    const scripts = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')).scripts as Record<string, string>;
    expect(scripts.prepare).toBe('npm run build');
    expect(scripts.prestart).toBe('node scripts/check-dist.mjs');
    expect(scripts.start).not.toMatch(/build|tsc/);
    expect(scripts.pretest).toMatch(/npm run build/);
  });
});
