/**
 * ccxt (about 0.5 s to load, 66 MB of memory) is loaded when a ccxt venue is built, not with the daemon's code: a
 * paper daemon starts, trades and stops without it (adapters/ccxt/ccxt-lib.ts; test/layout keeps every other import
 * of ccxt type-only). The check reads Node's module cache, where the one way to ccxt (its CommonJS build) lands.
 */
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { describe, expect, test } from 'vitest';
import { formatConfigErrors, loadConfigFile } from '../../src/config/index.js';
import { createDaemon } from '../../src/daemon.js';
import { discardLogs, startTestDaemon } from '../helpers/daemon.js';

const ccxtLoaded = (): boolean => Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes(`${sep}node_modules${sep}ccxt${sep}`));

describe('ccxt on demand', () => {
  test('a paper daemon starts, takes an order and stops without loading ccxt; a daemon with ccxt venues loads it when it builds them', async () => {
    expect(ccxtLoaded()).toBe(false);
    const t = await startTestDaemon();
    try {
      const r = await t.api.post('/v1/orders', { strategy: 'momentum', symbol: 'BTC-USDT', side: 'BUY', price: '30000', quantity: '0.001' });
      expect(r.status).toBe(201);
    } finally {
      await t.stop();
    }
    expect(ccxtLoaded()).toBe(false);

    const env = {
      LOCAL_BINANCE_API_KEY: 'k', LOCAL_BINANCE_API_SECRET: 's', LOCAL_OKX_API_KEY: 'k', LOCAL_OKX_API_SECRET: 's', LOCAL_OKX_PASSPHRASE: 'p',
      SWITCHYARD_API_TOKEN: 'test-token-0123456789abcdef',
    };
    const r = loadConfigFile('config/local-venues.yaml', env);
    if (!r.ok) throw new Error(formatConfigErrors(r.errors));
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-ccxt-on-demand-'));
    try {
      const daemon = createDaemon(r.config, { env, logDestination: discardLogs(), baseDir: dir });
      expect(ccxtLoaded()).toBe(true);
      await daemon.stop('test finished');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
