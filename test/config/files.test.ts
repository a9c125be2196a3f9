import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkConfigFile, formatConfigErrors, loadConfigFile, parseConfigText, redactConfig } from '../../src/config/index.js';
import { repoFile } from './helpers.js';

const TESTNET_ENV = {
  BINANCE_API_KEY: 'fake-binance-key',
  BINANCE_API_SECRET: 'fake-binance-secret',
  OKX_API_KEY: 'fake-okx-key',
  OKX_API_SECRET: 'fake-okx-secret',
  OKX_PASSPHRASE: 'fake-okx-passphrase',
};

describe('shipped config files', () => {
  it('config/paper.yaml loads with an empty environment', () => {
    const r = loadConfigFile(repoFile('config/paper.yaml'), {});
    if (!r.ok) throw new Error(formatConfigErrors(r.errors));
    const c = r.config;
    expect(r.file).toMatch(/[/\\]config[/\\]paper\.yaml$/);
    expect(c.daemon.api).toEqual({ host: '127.0.0.1', port: 7480, tokenFile: '.switchyard/api-token', streamMaxBufferedBytes: 8 * 1024 * 1024, wsMaxBatch: 1000 });
    expect(c.venues.map((v) => [v.name, v.adapter, v.fees.makerBps, v.fees.takerBps, v.latencyMs])).toEqual([
      ['sim-a', 'paper', '1', '5', 2],
      ['sim-b', 'paper', '0', '7', 5],
    ]);
    expect(c.instruments.map((i) => i.symbol)).toEqual(['BTC-USDT', 'ETH-USDT', 'SOL-USDT']);
    expect(c.instruments.every((i) => i.referencePrice !== undefined)).toBe(true);
    // two worker strategies (modules relative to the file) and one API-only strategy for the README's curl examples
    expect(c.strategies.map((s) => [s.id, s.module])).toEqual([
      ['momentum', './strategies/momentum.ts'],
      ['market-maker', './strategies/market-maker.ts'],
      ['manual', undefined],
    ]);
    expect(c.routing).toEqual({
      'BTC-USDT': { 'sim-a': 3, 'sim-b': 1 },
      'ETH-USDT': { 'sim-a': 1, 'sim-b': 1 },
      'SOL-USDT': { 'sim-a': 1 },
    });
    expect(c.venues.some((v) => v.credentials !== undefined)).toBe(false);
  });

  it('config/testnet.yaml loads with fake credentials in the environment', () => {
    const r = loadConfigFile(repoFile('config/testnet.yaml'), TESTNET_ENV);
    if (!r.ok) throw new Error(formatConfigErrors(r.errors));
    expect(r.config.venues.map((v) => [v.name, v.adapter, v.exchange, v.sandbox])).toEqual([
      ['binance-testnet', 'ccxt', 'binance', true],
      ['okx-demo', 'ccxt', 'okx', true],
    ]);
    expect(r.config.venues[1].credentials).toEqual({
      apiKey: 'fake-okx-key',
      secret: 'fake-okx-secret',
      passphrase: 'fake-okx-passphrase',
    });
    expect(r.config.daemon.api.port).toBe(7480);
  });

  it('config/testnet.yaml names every missing credential', () => {
    const r = checkConfigFile(repoFile('config/testnet.yaml'), {});
    expect(r.ok).toBe(false);
    const missing = [...r.output.matchAll(/environment variable (\w+) is not set/g)].map((m) => m[1]);
    expect(missing).toEqual(['BINANCE_API_KEY', 'BINANCE_API_SECRET', 'OKX_API_KEY', 'OKX_API_SECRET', 'OKX_PASSPHRASE']);
  });

  it('config/local-venues.yaml (draft) loads with fake credentials', () => {
    const env = {
      LOCAL_BINANCE_API_KEY: 'k',
      LOCAL_BINANCE_API_SECRET: 's',
      LOCAL_OKX_API_KEY: 'k',
      LOCAL_OKX_API_SECRET: 's',
      LOCAL_OKX_PASSPHRASE: 'p',
      LOCAL_OKX_REST_PORT: '19201',
    };
    const r = loadConfigFile(repoFile('config/local-venues.yaml'), env);
    if (!r.ok) throw new Error(formatConfigErrors(r.errors));
    expect(r.config.daemon.api.port).toBe(0);
    expect(r.config.venues.map((v) => v.urls)).toEqual([
      { rest: 'http://127.0.0.1:9101', ws: 'ws://127.0.0.1:9102' },
      { rest: 'http://127.0.0.1:19201', ws: 'ws://127.0.0.1:9202' },
    ]);
  });

  it('redactConfig hides every secret', () => {
    const r = loadConfigFile(repoFile('config/testnet.yaml'), TESTNET_ENV);
    if (!r.ok) throw new Error(formatConfigErrors(r.errors));
    const text = JSON.stringify(redactConfig(r.config));
    for (const secret of Object.values(TESTNET_ENV)) expect(text).not.toContain(secret);
    expect(text).toContain('[redacted]');
  });
});

describe('checkConfigFile', () => {
  it('prints OK for a valid file', () => {
    expect(checkConfigFile(repoFile('test/fixtures/config/minimal.yaml'), {})).toEqual({ ok: true, output: 'OK' });
    expect(checkConfigFile(repoFile('config/paper.yaml'), {})).toEqual({ ok: true, output: 'OK' });
  });

  it('prints file:line:column path: message, one error per line', () => {
    const file = repoFile('test/fixtures/config/bad-several.yaml');
    const r = checkConfigFile(file, {});
    expect(r.ok).toBe(false);
    expect(r.output.split('\n')).toEqual([
      `${file}:4:5 daemon.api.prot: unknown key "prot" (did you mean "port"?)`,
      `${file}:11:17 venues[0].fees.takerBps: expected a decimal string`,
    ]);
  });

  it('reports a syntax error with its line', () => {
    const file = repoFile('test/fixtures/config/bad-syntax.yaml');
    const r = checkConfigFile(file, {});
    expect(r.ok).toBe(false);
    expect(r.output.startsWith(`${file}:`)).toBe(true);
    expect(r.output.slice(file.length)).toMatch(/^:[45]:\d+: YAML syntax: /);
    expect(r.output.split('\n')).toHaveLength(1);
  });

  it('reports a missing file without throwing', () => {
    const r = checkConfigFile('no/such/file.yaml', {});
    expect(r).toEqual({ ok: false, output: 'no/such/file.yaml: cannot read config: file not found' });
    const l = loadConfigFile('no/such/file.yaml', {});
    expect(l.ok).toBe(false);
    if (!l.ok) expect(l.errors[0]).toMatchObject({ file: 'no/such/file.yaml', path: '', line: 0, column: 0 });
  });
});

describe('robustness', () => {
  it('never throws on a damaged config, and every error has a line', () => {
    const text = readFileSync(repoFile('config/paper.yaml'), 'utf8');
    const lines = text.split('\n');
    const junk = ['', ' ', ':', '-', '[', '{', '}', '"', "'", '#', '&a', '*a', '!!', '${X}', '1e5', 'null', '\t', 'x: 1', '  '];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: lines.length - 1 }),
        fc.integer({ min: 0, max: 200 }),
        fc.constantFrom(...junk),
        fc.boolean(),
        (lineNo, col, insert, dropLine) => {
          const copy = [...lines];
          if (dropLine) copy.splice(lineNo, 1);
          else copy[lineNo] = copy[lineNo].slice(0, col) + insert + copy[lineNo].slice(col);
          const r = parseConfigText(copy.join('\n'), 'fuzz.yaml', {});
          if (!r.ok) {
            expect(r.errors.length).toBeGreaterThan(0);
            for (const e of r.errors) {
              expect(e.line).toBeGreaterThanOrEqual(1);
              expect(e.column).toBeGreaterThanOrEqual(1);
              expect(e.message.length).toBeGreaterThan(0);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
