/**
 * Issue 12: a market-data-only venue (`trading: false`) and a paper venue that mirrors another venue's market
 * (`paper.mirror`): the keys, their defaults and the cross-checks between them; and the shipped example
 * config/paper-mirror-binance.yaml.
 */
import { describe, expect, it } from 'vitest';
import { checkConfigFile, formatConfigErrors, loadConfigFile } from '../../src/config/index.js';
import { errors, lineOf, ok, repoFile } from './helpers.js';

const INSTRUMENTS = `
instruments:
  - { symbol: BTC-USDT, tickSize: "0.01", lotSize: "0.00001" }
  - { symbol: ETH-USDT, tickSize: "0.01", lotSize: "0.0001", referencePrice: "3000" }
`;

/** A binance venue (market data only unless `binanceExtra` says otherwise) and a paper venue mirroring it. */
function mirrorConfig(binanceExtra = '    trading: false\n', paperExtra = '', tail = ''): string {
  return `
venues:
  - name: binance
    adapter: binance-ws
    exchange: binance
    symbols: [BTC-USDT, ETH-USDT]
${binanceExtra}  - name: paper-binance
    adapter: paper
    symbols: [BTC-USDT, ETH-USDT]
    paper:
      mirror: binance
${paperExtra}${INSTRUMENTS}${tail}`;
}

const byPath = (text: string): Record<string, string> => Object.fromEntries(errors(text).map((e) => [e.path, e.message]));

describe('trading: false (a market-data-only venue)', () => {
  it('defaults to true; false needs no credentials and takes no flow: the default routing leaves it out', () => {
    const c = ok(mirrorConfig());
    expect(c.venues.map((v) => [v.name, v.trading])).toEqual([['binance', false], ['paper-binance', true]]);
    expect(c.venues[0]!.credentials).toBeUndefined();
    expect(c.routing).toEqual({ 'BTC-USDT': { 'paper-binance': 1 }, 'ETH-USDT': { 'paper-binance': 1 } });
  });

  it('refuses credentials on it', () => {
    const text = mirrorConfig('    trading: false\n    credentials: { apiKey: "${K}", secret: "${S}" }\n');
    const e = errors(text, { K: 'k', S: 's' });
    expect(e.map((x) => [x.path, x.message])).toEqual([
      ['venues[0].credentials', 'a venue with trading: false (public market data only) takes no credentials'],
    ]);
    expect(e[0]!.line).toBe(lineOf(text, 'credentials:'));
  });

  it('refuses a routing weight above 0 for it (0 is allowed)', () => {
    const refused = byPath(mirrorConfig(undefined, undefined, 'routing:\n  BTC-USDT: { binance: 1, paper-binance: 1 }\n'));
    expect(refused).toEqual({
      'routing.BTC-USDT.binance': 'venue binance has trading: false (public market data only): it takes no orders, so its weight must be 0',
    });
    const c = ok(mirrorConfig(undefined, undefined, 'routing:\n  BTC-USDT: { binance: 0, paper-binance: 1 }\n'));
    expect(c.routing['BTC-USDT']).toEqual({ binance: 0, 'paper-binance': 1 });
  });

  it('refuses an instrument only market-data-only venues list (no venue could trade it)', () => {
    const text = `
venues:
  - name: binance
    adapter: binance-ws
    exchange: binance
    trading: false
    symbols: [BTC-USDT, ETH-USDT]
  - name: sim
    adapter: paper
    symbols: [ETH-USDT]
${INSTRUMENTS}`;
    expect(byPath(text)).toEqual({
      'instruments[0].symbol': 'only venues with trading: false (market data only) list BTC-USDT: no venue could trade it',
    });
  });

  it('refuses it on a paper venue, and together with marketData.enabled false', () => {
    expect(byPath(mirrorConfig(undefined, '    trading: false\n'))).toMatchObject({
      'venues[1].trading': 'trading: false (public market data only) applies to exchange venues; a paper venue trades',
    });
    const text = mirrorConfig('    trading: false\n    marketData: { enabled: false }\n');
    const e = byPath(text);
    expect(e['venues[0].trading']).toBe('trading: false with marketData.enabled: false leaves the venue nothing to do');
    // and there is nothing to mirror either
    expect(e['venues[1].paper.mirror']).toBe('venue binance has marketData.enabled false: nothing to mirror');
  });

  it('is a boolean', () => {
    expect(errors(mirrorConfig('    trading: maybe\n')).map((e) => [e.path, e.message])).toEqual([['venues[0].trading', 'expected true or false']]);
  });
});

describe('paper.mirror', () => {
  it('mirrors an exchange venue (a trading one too); the paper venue needs no referencePrice then', () => {
    const c = ok(mirrorConfig(''.concat('    credentials: { apiKey: "${K}", secret: "${S}" }\n'), '', ''), { K: 'k', S: 's' });
    expect(c.venues[1]!.paper?.mirror).toBe('binance');
    expect(c.instruments[0]!.referencePrice).toBeUndefined();
    expect(c.routing['BTC-USDT']).toEqual({ binance: 1, 'paper-binance': 1 });
  });

  it('without mirror a paper venue still needs referencePrice', () => {
    const text = `
venues:
  - name: sim
    adapter: paper
    symbols: [BTC-USDT, ETH-USDT]
${INSTRUMENTS}`;
    expect(byPath(text)).toEqual({ 'venues[0].symbols[0]': 'paper venue sim needs a referencePrice for BTC-USDT (instruments[0])' });
  });

  it('must name a configured exchange venue with market data that trades every symbol of the paper venue', () => {
    const unknown = mirrorConfig().replace('mirror: binance', 'mirror: kraken');
    expect(byPath(unknown)['venues[1].paper.mirror']).toBe('unknown venue kraken (not in venues)');
    const paper = `
venues:
  - name: sim
    adapter: paper
    symbols: [ETH-USDT]
  - name: copy
    adapter: paper
    symbols: [ETH-USDT]
    paper: { mirror: sim }
${INSTRUMENTS}`;
    expect(byPath(paper)['venues[1].paper.mirror']).toBe('venue sim is a paper venue: mirror an exchange venue (its public market data)');
    const fewer = mirrorConfig().replace('symbols: [BTC-USDT, ETH-USDT]\n    trading: false', 'symbols: [ETH-USDT]\n    trading: false');
    expect(byPath(fewer)['venues[1].paper.mirror']).toBe('venue binance does not trade BTC-USDT, which paper-binance lists');
  });
});

describe('config/paper-mirror-binance.yaml', () => {
  it('passes switchyard check-config with an empty environment (no keys needed)', () => {
    expect(checkConfigFile(repoFile('config/paper-mirror-binance.yaml'), {})).toEqual({ ok: true, output: 'OK' });
  });

  it('is a paper venue mirroring a market-data-only binance-ws venue on the live public endpoints', () => {
    const r = loadConfigFile(repoFile('config/paper-mirror-binance.yaml'), {});
    if (!r.ok) throw new Error(formatConfigErrors(r.errors));
    const [binance, paper] = r.config.venues;
    expect([binance!.name, binance!.adapter, binance!.exchange, binance!.trading, binance!.sandbox, binance!.marketData.enabled])
      .toEqual(['binance', 'binance-ws', 'binance', false, false, true]);
    expect(binance!.urls).toBeUndefined(); // the live endpoints
    expect(binance!.credentials).toBeUndefined();
    expect([paper!.adapter, paper!.paper?.mirror]).toEqual(['paper', 'binance']);
    for (const routes of Object.values(r.config.routing)) expect(routes).toEqual({ 'paper-binance': 1 });
  });
});
