/**
 * Dependencies point one way (see the README's layout): model <- core <- the stages in the order flow <- composition.
 * Every .ts file under src/ and adapters/ belongs to a layer; each layer names what it may import. An import that
 * points the wrong way (core importing a stage, intake importing the strategy host, an adapter importing the order
 * store) fails this test with the file and the import.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/repo.js';

/** A layer: a folder (or one file) and what its files may import besides themselves: layers, folders or single files. */
const LAYERS: Readonly<Record<string, readonly string[]>> = {
  'src/model': [],
  'src/core': ['src/model'],
  'src/config': ['src/model'],
  'src/matching': ['src/model', 'src/core'],
  // smart routes and adaptive tables read the market data's books
  'src/routing': ['src/model', 'src/market'],
  'src/market': ['src/model'],
  'src/intake/ring': ['src/model'],
  // parent orders held by the daemon (sweeps, emulated stops, execution algorithms): children sent through the batcher
  'src/parents': ['src/model', 'src/core', 'src/market', 'src/routing', 'src/execution'],
  'src/telemetry': ['src/model', 'src/core', 'src/market'],
  'src/risk': ['src/model', 'src/core'],
  'src/execution': ['src/model', 'src/core', 'src/telemetry'],
  'src/crossing': ['src/model', 'src/core', 'src/matching', 'src/execution'],
  'src/journal': ['src/model', 'src/core', 'src/execution', 'src/risk', 'src/telemetry'],
  'src/intake': ['src/model', 'src/core', 'src/intake/ring', 'src/risk', 'src/routing', 'src/execution', 'src/telemetry'],
  // the strategy host plugs into the ring transport; the SDK validates at the edge with the intake's decoder
  'src/strategy': ['src/model', 'src/intake/ring', 'src/intake/order-decoder.ts'],
  // the trade history: rows from the tracker's views, catch-up from the journal, its stores and the export CLI
  'src/history': ['src/model', 'src/core', 'src/config', 'src/journal'],
  'src/api': ['src/model', 'src/core', 'src/config', 'src/market', 'src/execution', 'src/intake', 'src/journal', 'src/risk', 'src/routing', 'src/telemetry', 'src/history'],
  // Redis in and out: the order commands of the API, the journal's follower, the strategy SDK for remote strategies
  'src/bus': ['src/model', 'src/core', 'src/config', 'src/journal', 'src/history', 'src/api', 'src/strategy', 'src/intake', 'src/intake/ring', 'src/telemetry'],
  'src/compose': [
    'src/model', 'src/core', 'src/config', 'src/matching', 'src/market', 'src/routing', 'src/intake', 'src/intake/ring', 'src/telemetry', 'src/risk',
    'src/execution', 'src/crossing', 'src/journal', 'src/strategy', 'src/api', 'src/parents', 'src/history', 'src/bus', 'adapters',
  ],
  'src/daemon.ts': [
    'src/model', 'src/core', 'src/config', 'src/market', 'src/routing', 'src/intake', 'src/telemetry', 'src/risk', 'src/execution', 'src/crossing',
    'src/journal', 'src/strategy', 'src/api', 'src/compose', 'src/history', 'src/bus',
  ],
  // the operator's commands against a running daemon (its control API over HTTP)
  'src/cli': ['src/model', 'src/config'],
  'src/cli.ts': ['src/model', 'src/config', 'src/journal', 'src/daemon.ts', 'src/history', 'src/cli', 'src/telemetry'],
  // adapters see the model, the venue interface and the market-data feed interface; the paper venue also runs the
  // matching engine
  'adapters/common': ['src/model', 'src/execution/venue.ts', 'src/market/feed.ts'],
  'adapters/ccxt': ['src/model', 'adapters/common', 'src/market/feed.ts'],
  'adapters/binance-ws': ['src/model', 'adapters/common', 'src/market/feed.ts'],
  'adapters/okx-ws': ['src/model', 'adapters/common', 'src/market/feed.ts'],
  'adapters/paper': ['src/model', 'src/execution/venue.ts', 'src/matching', 'src/market/feed.ts'],
  'adapters/index.ts': ['src/model', 'src/execution/venue.ts', 'src/market/feed.ts', 'src/config/schema.ts', 'adapters/common', 'adapters/ccxt', 'adapters/binance-ws', 'adapters/okx-ws', 'adapters/paper'],
};

/** The layer of a repository path: the longest layer key that is the path or a folder holding it. */
export function layerOf(path: string, layers: Readonly<Record<string, readonly string[]>> = LAYERS): string | undefined {
  let best: string | undefined;
  for (const key of Object.keys(layers)) {
    if ((path === key || path.startsWith(key + '/')) && (best === undefined || key.length > best.length)) best = key;
  }
  return best;
}

function allowed(from: string, target: string, layers: Readonly<Record<string, readonly string[]>>): boolean {
  const a = layerOf(from, layers);
  const b = layerOf(target, layers);
  if (a === undefined || b === undefined) return false;
  if (a === b) return true;
  return layers[a]!.some((t) => t === b || t === target || target.startsWith(t + '/'));
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

/** Relative imports of one file's text, as repository paths of .ts files. */
export function importsOf(file: string, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) out.push(normalize(join(dirname(file), m[1] ?? m[2]!)).replace(/\.js$/, '.ts'));
  return out;
}

/** Every import that breaks the layering, as "file -> import". */
export function violations(files: ReadonlyMap<string, string>, layers: Readonly<Record<string, readonly string[]>> = LAYERS): string[] {
  const bad: string[] = [];
  for (const [file, text] of files) {
    if (layerOf(file, layers) === undefined) {
      bad.push(`${file}: in no layer (add its folder to the layering rules)`);
      continue;
    }
    for (const target of importsOf(file, text)) if (!allowed(file, target, layers)) bad.push(`${file} -> ${target}`);
  }
  return bad;
}

const CCXT_IMPORT = /(?:^|\n)\s*(import|export)\s+(type\s)?[^;]*?from\s+['"]ccxt['"]|import\(\s*['"]ccxt['"]\s*\)|require\(\s*['"]ccxt['"]\s*\)/g;

/**
 * Files that reach ccxt at run time other than through adapters/ccxt/ccxt-lib.ts (type-only imports are fine): a
 * second copy of ccxt (its ESM build) would throw exceptions the adapters' instanceof checks do not recognise, and a
 * static import loads ccxt into every daemon.
 */
export function ccxtImports(files: ReadonlyMap<string, string>): string[] {
  const bad: string[] = [];
  for (const [file, text] of files) {
    if (file === 'adapters/ccxt/ccxt-lib.ts') continue;
    for (const m of text.matchAll(CCXT_IMPORT)) if (m[2] === undefined) bad.push(`${file}: ${m[0].trim()}`);
  }
  return bad;
}

function sources(root: string, dirs: readonly string[] = ['src', 'adapters']): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) files.set(p, readFileSync(join(root, p), 'utf8'));
    }
  };
  for (const d of dirs) walk(d);
  return files;
}

describe('layering', () => {
  it('every import in src/ and adapters/ points the allowed way', () => {
    const files = sources(REPO_ROOT);
    expect(files.size).toBeGreaterThan(100);
    expect(violations(files)).toEqual([]);
  });

  it('ccxt is reached only through adapters/ccxt/ccxt-lib.ts (loaded when a ccxt venue is built), in code and tests', () => {
    const files = sources(REPO_ROOT, ['src', 'adapters', 'test', 'bench', 'examples']);
    files.delete('test/layout/layering.test.ts'); // its examples below
    expect(files.has('adapters/ccxt/ccxt-adapter.ts') && files.has('test/helpers/ccxt-local.ts')).toBe(true);
    expect(ccxtImports(files)).toEqual([]);
    expect(ccxtImports(new Map([
      ['adapters/ccxt/x.ts', "import ccxt from 'ccxt';\nimport type { Exchange } from 'ccxt';"],
      ['test/y.ts', "import { pro } from 'ccxt';\nconst c = await import('ccxt');"],
      ['adapters/ccxt/ccxt-lib.ts', "require('ccxt')"],
    ]))).toEqual(["adapters/ccxt/x.ts: import ccxt from 'ccxt'", "test/y.ts: import { pro } from 'ccxt'", "test/y.ts: import('ccxt')"]);
  });

  it('the rules themselves have no cycle between layers', () => {
    const seen = new Map<string, 'open' | 'done'>();
    const cycle: string[] = [];
    const visit = (l: string, path: string[]): void => {
      if (seen.get(l) === 'done') return;
      if (seen.get(l) === 'open') {
        cycle.push([...path, l].join(' -> '));
        return;
      }
      seen.set(l, 'open');
      for (const t of LAYERS[l]!) {
        const tl = layerOf(t);
        if (tl !== undefined && tl !== l) visit(tl, [...path, l]);
      }
      seen.set(l, 'done');
    };
    for (const l of Object.keys(LAYERS)) visit(l, []);
    expect(cycle).toEqual([]);
  });

  it('flags an import that points the wrong way, and a file in no layer', () => {
    const files = new Map([
      ['src/core/order-store.ts', "import { IdMap } from './id-map.js';\nimport { Router } from '../routing/router.js';\n"],
      ['src/intake/ring-intake.ts', "import type { HostedStrategy } from '../strategy/strategy-host.js';"],
      ['adapters/ccxt/x.ts', "export { OrderStore } from '../../src/core/order-store.js';"],
      ['src/strategy/sdk.ts', "import type { OrderSnapshot } from '../intake/ring/transport.js';\nimport { decode } from '../intake/order-decoder.js';"],
      ['src/newfolder/a.ts', ''],
    ]);
    expect(violations(files)).toEqual([
      'src/core/order-store.ts -> src/routing/router.ts',
      'src/intake/ring-intake.ts -> src/strategy/strategy-host.ts',
      'adapters/ccxt/x.ts -> src/core/order-store.ts',
      'src/newfolder/a.ts: in no layer (add its folder to the layering rules)',
    ]);
  });
});
