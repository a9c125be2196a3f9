/** The balance keys of the configuration: a paper venue's `paper.balances` and `daemon.balances`. */
import { describe, expect, it } from 'vitest';
import { errors, ok, repoFile } from './helpers.js';
import { loadConfigFile } from '../../src/config/index.js';

const WITH_BALANCES = `
venues:
  - name: sim-a
    adapter: paper
    symbols: [BTC-USDT]
    paper:
      balances: { USDT: "100000", BTC: 2 }
  - name: sim-b
    adapter: paper
    symbols: [BTC-USDT]
instruments:
  - { symbol: BTC-USDT, tickSize: "0.01", lotSize: "0.00001", referencePrice: "60000" }
`;

describe('balance configuration', () => {
  it('paper.balances: decimals by currency (a YAML number keeps its text); absent = not tracked; the timer defaults to 60 s', () => {
    const c = ok(WITH_BALANCES);
    expect(c.venues[0]!.paper!.balances).toEqual({ USDT: '100000', BTC: '2' });
    expect(c.venues[1]!.paper!.balances).toBeUndefined();
    expect(c.daemon.balances.reconcileIntervalMs).toBe(60_000);
    expect(ok(`${WITH_BALANCES}daemon: { balances: { reconcileIntervalMs: 0 } }\n`).daemon.balances.reconcileIntervalMs).toBe(0);
  });

  it('refuses a negative or non-decimal balance, a bad currency name, and balances on an exchange venue', () => {
    expect(errors(WITH_BALANCES.replace('BTC: 2', 'BTC: "-1"')).map((e) => e.path)).toEqual(['venues[0].paper.balances.BTC']);
    expect(errors(WITH_BALANCES.replace('BTC: 2', 'BTC: "lots"')).map((e) => e.path)).toEqual(['venues[0].paper.balances.BTC']);
    expect(errors(WITH_BALANCES.replace('BTC: 2', 'btc: 2')).length).toBe(1);
    const exchange = WITH_BALANCES.replace('adapter: paper\n    symbols: [BTC-USDT]\n    paper:', 'adapter: ccxt\n    exchange: binance\n    symbols: [BTC-USDT]\n    credentials: { apiKey: "\${K}", secret: "\${S}" }\n    paper:');
    expect(errors(exchange, { K: 'k', S: 's' }).map((e) => e.message)).toContain('paper settings apply only to adapter paper');
    expect(errors(`${WITH_BALANCES}daemon: { balances: { reconcileIntervalMs: -5 } }\n`).map((e) => e.path)).toEqual(['daemon.balances.reconcileIntervalMs']);
  });

  it('config/paper.yaml gives both paper venues balances', () => {
    const r = loadConfigFile(repoFile('config/paper.yaml'));
    if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('\n'));
    expect(r.config.venues.map((v) => Object.keys(v.paper?.balances ?? {}).sort())).toEqual([['BTC', 'ETH', 'SOL', 'USDT'], ['BTC', 'ETH', 'USDT']]);
  });
});
