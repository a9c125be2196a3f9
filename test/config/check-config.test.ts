/**
 * `switchyard check-config` checks what `start` checks: the strategy and enhancer modules on disk (relative to the
 * YAML file), the folders the daemon writes (token file, dataDir, journal.dir), every error in one run (schema and
 * cross-field rules together), and YAML syntax errors at the right line and column (1-based).
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkConfigFile, parseConfigText } from '../../src/config/index.js';
import { BASE } from './helpers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'switchyard-check-config-'));
  dirs.push(d);
  return d;
}

/** Writes `text` as <dir>/conf/switchyard.yaml (modules are relative to conf/) and checks it with `dir` as the working directory. */
function check(dir: string, text: string, env: Record<string, string> = {}): { ok: boolean; lines: string[]; file: string } {
  mkdirSync(join(dir, 'conf'), { recursive: true });
  const file = join(dir, 'conf', 'switchyard.yaml');
  writeFileSync(file, text);
  const r = checkConfigFile(file, env, dir);
  return { ok: r.ok, lines: r.ok ? [] : r.output.split('\n').map((l) => l.slice(file.length)), file };
}

const lineOf = (text: string, needle: string): number => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('check-config: modules and folders, as start', () => {
  it('a valid file with existing modules is OK (control)', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'conf', 'strategies'), { recursive: true });
    writeFileSync(join(dir, 'conf', 'strategies', 'ok.ts'), 'export default function make(): { start(): void } { return { start() {} }; }\n');
    writeFileSync(join(dir, 'conf', 'strategies', 'enh.mjs'), 'export default () => ({ enhance() {} });\n');
    const text = `${BASE}strategies:\n  - id: s1\n    symbols: [BTC-USDT]\n    module: ./strategies/ok.ts\n    enhancer: { module: ./strategies/enh.mjs }\n`;
    expect(check(dir, text)).toMatchObject({ ok: true });
  });

  it('missing, wrongly named and untranspilable modules, each at its key, in one run', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'conf', 'strategies'), { recursive: true });
    writeFileSync(join(dir, 'conf', 'strategies', 'broken.ts'), 'export default function (: number {\n');
    writeFileSync(join(dir, 'conf', 'strategies', 'notes.txt'), 'hello\n');
    const text =
      `${BASE}strategies:\n` +
      '  - id: s1\n    symbols: [BTC-USDT]\n    module: ./strategies/missing.ts\n' +
      '  - id: s2\n    symbols: [BTC-USDT]\n    module: ./strategies/broken.ts\n' +
      '  - id: s3\n    symbols: [BTC-USDT]\n    module: ./strategies/notes.txt\n' +
      '  - id: s4\n    symbols: [BTC-USDT]\n    enhancer:\n      module: ./strategies/no-enhancer.ts\n';
    const r = check(dir, text);
    expect(r.ok).toBe(false);
    expect(r.lines).toHaveLength(4);
    const conf = join(dir, 'conf', 'strategies');
    expect(r.lines[0]).toBe(`:${lineOf(text, 'missing.ts')}:13 strategies[0].module: strategy module ${join(conf, 'missing.ts')} does not exist`);
    expect(r.lines[1]).toMatch(new RegExp(`^:${lineOf(text, 'broken.ts')}:13 strategies\\[1\\]\\.module: strategy module .*broken\\.ts does not transpile: 1:\\d+ `));
    expect(r.lines[2]).toBe(`:${lineOf(text, 'notes.txt')}:13 strategies[2].module: strategy module ${join(conf, 'notes.txt')}: expected a .ts, .mts, .js or .mjs file`);
    expect(r.lines[3]).toBe(`:${lineOf(text, 'no-enhancer.ts')}:15 strategies[3].enhancer.module: enhancer module ${join(conf, 'no-enhancer.ts')} does not exist`);
  });

  it('module errors come together with schema and cross-field errors', () => {
    const dir = tempDir();
    const text =
      BASE.replace('adapter: paper\n    symbols: [BTC-USDT]\n', 'adapter: paper\n    latencyMs: -1\n    symbols: [BTC-USDT]\n') +
      'strategies:\n  - id: s1\n    symbols: [DOGE-USDT]\n    module: ./nowhere.js\n';
    const r = check(dir, text);
    expect(r.lines.map((l) => l.replace(/^:\d+:\d+ /, ''))).toEqual([
      'venues[1].latencyMs: must be >= 0',
      'strategies[0].symbols[0]: unknown instrument DOGE-USDT (not in instruments)',
      `strategies[0].module: strategy module ${join(dir, 'conf', 'nowhere.js')} does not exist`,
    ]);
  });

  it('a trading exchange venue without credentials (start refuses it); trading: false needs none', () => {
    const dir = tempDir();
    const venue = '  - name: okx\n    adapter: okx-ws\n    exchange: okx\n    symbols: [BTC-USDT]\n';
    const text = BASE.replace('venues:\n', `venues:\n${venue}`);
    const r = check(dir, text);
    expect(r.lines).toEqual([`:${lineOf(text, 'adapter: okx-ws')}:14 venues[0].adapter: adapter okx-ws needs credentials to trade (apiKey, secret, passphrase, as env references); trading: false follows its public market data only`]);
    expect(check(dir, text.replace('exchange: okx\n', 'exchange: okx\n    trading: false\n'))).toMatchObject({ ok: true });
  });

  it('a data directory that is a file, an unwritable token folder', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'data-file'), 'x');
    mkdirSync(join(dir, 'locked'));
    chmodSync(join(dir, 'locked'), 0o500);
    try {
      const text = `daemon:\n  dataDir: data-file\n  api:\n    tokenFile: locked/sub/token\n${BASE}`;
      const r = check(dir, text);
      expect(r.lines[0]).toBe(`:${lineOf(text, 'dataDir')}:12 daemon.dataDir: dataDir ${join(dir, 'data-file')}: ${join(dir, 'data-file')} is not a directory`);
      if (process.getuid?.() !== 0) {
        // root may write anywhere: then only the data directory is wrong
        expect(r.lines[1]).toBe(`:${lineOf(text, 'tokenFile')}:16 daemon.api.tokenFile: the API token file's folder ${join(dir, 'locked', 'sub')}: ${join(dir, 'locked')} is not writable by this user`);
      }
      // a token from the environment: the token file is not used, so not checked
      expect(check(dir, text, { SWITCHYARD_API_TOKEN: 't' }).lines).toHaveLength(1);
    } finally {
      chmodSync(join(dir, 'locked'), 0o700);
    }
  });
});

describe('every error in one run', () => {
  it('cross-field rules still run when the schema refused some keys (their defaults stand in)', () => {
    // latencyMs refused by the schema; the unknown routing venue is a cross-field error; both reported
    const text = BASE.replace('adapter: paper\n', 'adapter: paper\n    latencyMs: many\n') + 'routing:\n  BTC-USDT: { sim-a: 1, sim-x: 1 }\n';
    const r = parseConfigText(text, 't.yaml', {});
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => [e.path, e.message])).toEqual([
      ['venues[0].latencyMs', 'expected an integer'],
      ['routing.BTC-USDT.sim-x', 'unknown venue sim-x'],
    ]);
  });

  it('a rule about the entry holding a refused key is not reported (its default is not what was written)', () => {
    // both weights refused: the sum-to-zero rule on BTC-USDT would only be about the defaults
    const r = parseConfigText(`${BASE}routing:\n  BTC-USDT: { sim-a: -1, sim-b: 0.5 }\n`, 't.yaml', {});
    expect(r.ok ? [] : r.errors.map((e) => e.path)).toEqual(['routing.BTC-USDT.sim-a', 'routing.BTC-USDT.sim-b']);
  });
});

describe('YAML syntax errors at the right line and column (1-based)', () => {
  const at = (text: string): string => {
    const r = parseConfigText(text, 't.yaml', {});
    if (r.ok) throw new Error('expected a syntax error');
    expect(r.errors).toHaveLength(1);
    return `${r.errors[0]!.line}:${r.errors[0]!.column}`;
  };

  it('a tab as indentation, a duplicate key, a bad indent', () => {
    expect(at('daemon:\n\tname: x\n')).toBe('2:1');
    expect(at('daemon:\n  name: x\n  name: y\n')).toBe('3:3');
    expect(at('daemon:\r\n  name: x\r\n  name: y\r\n')).toBe('3:3'); // CRLF line ends count once
    expect(at('daemon:\n  - x\n  y: 1\n')).toBe('3:1');
  });

  it('an unclosed quote or bracket points where it was opened', () => {
    expect(at('daemon:\n  name: "abc\n')).toBe('2:9');
    expect(at("daemon:\n  name: 'it''s\n  other: 1\n")).toBe('2:9');
    expect(at('venues: [a, b\ninstruments: []\n')).toBe('1:9');
    expect(at('daemon:\n  api: {host: x, port: [1, 2]\nvenues: []\n')).toBe('2:8');
    const r = parseConfigText('daemon:\n  name: "abc\n', 't.yaml', {});
    expect(r.ok ? '' : r.errors[0]!.message).toMatch(/Missing closing "quote \(opened here; noticed at line 3, column 1\)/);
  });
});
