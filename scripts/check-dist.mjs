#!/usr/bin/env node
/**
 * `npm start` runs this first (prestart): it starts the daemon from dist/ without building (`npm ci` builds, through
 * the prepare script), so a dist/ that is missing or older than the sources would silently run old code. This says
 * so and exits 1 instead; `npm run build` fixes it. It only compares modification times (each source file named by
 * tsconfig.json's include with the .js tsc emits for it): a few hundred stat calls, milliseconds.
 *
 * Usage: node scripts/check-dist.mjs [ROOT]   (ROOT: the directory holding tsconfig.json; default this repository)
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** How many stale files the message names (the rest are counted). */
const NAMED = 3;

const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
const tsconfig = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8'));
const options = tsconfig.compilerOptions ?? {};
const outDir = resolve(root, options.outDir ?? '.');
const rootDir = resolve(root, options.rootDir ?? '.');
// "src/**/*.ts" -> src: the directory part of each include pattern, walked for .ts files.
const dirs = (tsconfig.include ?? []).map((p) => resolve(root, p.split('*')[0]));

/** Every .ts source (declaration files emit nothing) under `dir`. */
function* sources(dir) {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(path);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) yield path;
  }
}

if (!existsSync(outDir)) {
  process.stderr.write(`switchyard: ${relative(root, outDir) || '.'}/ is missing (no build yet): run npm run build\n`);
  process.exit(1);
}

const stale = [];
for (const dir of dirs) {
  for (const src of sources(dir)) {
    const out = join(outDir, relative(rootDir, src)).replace(/\.ts$/, '.js');
    const built = existsSync(out) ? statSync(out).mtimeMs : -1;
    if (built < statSync(src).mtimeMs) stale.push(`${relative(root, src)} ${built < 0 ? 'has no build' : 'changed after its build'}`);
  }
}

if (stale.length > 0) {
  const more = stale.length > NAMED ? ` and ${stale.length - NAMED} more` : '';
  const where = relative(root, outDir) || '.';
  process.stderr.write(`switchyard: ${where}/ does not hold a build of the current sources (${stale.slice(0, NAMED).join('; ')}${more}): run npm run build\n`);
  process.exit(1);
}
