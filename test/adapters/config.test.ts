/**
 * The venue keys the adapters add to the configuration (rateLimits, circuitBreaker, maxInFlight, requestTimeoutMs,
 * pollIntervalMs, reconcileIntervalMs, reconnect, heartbeatMs), their cross-checks, the factory, and the two YAML
 * files with exchange venues: config/testnet.yaml (built, not started: no internet here) and
 * config/local-venues.yaml (built and run against the local fakes).
 */
import { describe, expect, test } from 'vitest';
import { BinanceWsAdapter, CcxtAdapter, OkxWsAdapter, createVenueAdapter, settingsFor } from '../../adapters/index.js';
import { DEFAULT_ADAPTER_SETTINGS } from '../../adapters/common/settings.js';
import { formatConfigErrors, loadConfigFile, parseConfigText } from '../../src/config/index.js';
import { VenueSchema } from '../../src/config/schema.js';
import { systemClock } from '../../src/model/clock.js';
import { InstrumentRegistry } from '../../src/model/instrument.js';
import { localVenuesEnv, startFakeVenues } from '../venues/index.js';
import { RecordingSink, batch, log, order, until } from './helpers.js';

const INSTRUMENTS = `
instruments:
  - { symbol: BTC-USDT, tickSize: "0.1", lotSize: "0.00001", referencePrice: "60000" }
`;

function venueYaml(venue: string): string {
  return `venues:\n${venue}\n${INSTRUMENTS}`;
}

const ENV = { K: 'key', S: 'secret', P: 'pass' };

describe('venue keys for exchange adapters', () => {
  test('all keys are accepted on an exchange venue', () => {
    const r = parseConfigText(
      venueYaml(`  - name: b
    adapter: binance-ws
    exchange: binance
    symbols: [BTC-USDT]
    credentials: { apiKey: "\${K}", secret: "\${S}" }
    rateLimits: { requestWeightPerMinute: 1200, ordersPer10s: 50, ordersPerDay: 100000 }
    circuitBreaker: { failureThreshold: 3, openMs: 500, maxOpenMs: 8000 }
    maxInFlight: 4
    requestTimeoutMs: 3000
    pollIntervalMs: 500
    reconcileIntervalMs: 0
    reconnect: { minMs: 100, maxMs: 5000 }
    heartbeatMs: 15000`),
      'x.yaml',
      ENV,
    );
    if (!r.ok) throw new Error(formatConfigErrors(r.errors));
    const v = r.config.venues[0]!;
    expect(settingsFor(v)).toMatchObject({
      maxInFlight: 4,
      requestTimeoutMs: 3000,
      pollIntervalMs: 500,
      reconcileIntervalMs: 0,
      heartbeatMs: 15000,
      circuitBreaker: { failureThreshold: 3, openMs: 500, maxOpenMs: 8000 },
      reconnect: { minMs: 100, maxMs: 5000 },
    });
  });

  test('defaults when absent', () => {
    const v = VenueSchema.parse({ name: 'o', adapter: 'okx-ws', exchange: 'okx', symbols: ['BTC-USDT'] });
    expect(settingsFor(v)).toEqual(DEFAULT_ADAPTER_SETTINGS);
    expect(DEFAULT_ADAPTER_SETTINGS).toMatchObject({
      maxInFlight: 8,
      requestTimeoutMs: 5000,
      pollIntervalMs: 1000,
      reconcileIntervalMs: 30000,
      heartbeatMs: 10000,
      circuitBreaker: { failureThreshold: 5, openMs: 2000, maxOpenMs: 30000 },
      reconnect: { minMs: 250, maxMs: 10000 },
    });
  });

  test('cross-checks: paper takes none of them; exchange-specific rate limits; ordered bounds; heartbeat not for ccxt', () => {
    const errors = (venue: string): string[] => {
      const r = parseConfigText(venueYaml(venue), 'x.yaml', ENV);
      return r.ok ? [] : r.errors.map((e) => `${e.path}: ${e.message}`).sort();
    };
    expect(errors(`  - { name: p, adapter: paper, symbols: [BTC-USDT], maxInFlight: 2, rateLimits: { ordersPer10s: 5 } }`)).toEqual([
      'venues[0].rateLimits: rateLimits applies to exchange adapters (ccxt, binance-ws, okx-ws), not to adapter paper',
      'venues[0].maxInFlight: maxInFlight applies to exchange adapters (ccxt, binance-ws, okx-ws), not to adapter paper',
    ].sort());
    expect(errors(`  - { name: b, adapter: ccxt, exchange: binance, symbols: [BTC-USDT], rateLimits: { placeOrderPerWindow: 5 } }`)).toEqual([
      'venues[0].rateLimits.placeOrderPerWindow: placeOrderPerWindow is not a binance rate limit',
    ]);
    expect(errors(`  - { name: o, adapter: okx-ws, exchange: okx, symbols: [BTC-USDT], rateLimits: { ordersPer10s: 5 } }`)).toEqual([
      'venues[0].rateLimits.ordersPer10s: ordersPer10s is not a okx rate limit',
    ]);
    expect(errors(`  - { name: o, adapter: ccxt, exchange: okx, symbols: [BTC-USDT], circuitBreaker: { openMs: 500, maxOpenMs: 100 }, reconnect: { minMs: 50, maxMs: 10 }, heartbeatMs: 1000 }`)).toEqual([
      'venues[0].circuitBreaker.maxOpenMs: maxOpenMs must be >= openMs (500)',
      'venues[0].heartbeatMs: heartbeatMs applies to binance-ws and okx-ws (ccxt keeps its own websocket alive)',
      'venues[0].reconnect.maxMs: maxMs must be >= minMs (50)',
    ].sort());
    expect(errors(`  - { name: o, adapter: okx-ws, exchange: okx, symbols: [BTC-USDT], rateLimits: { orders: 5 } }`)[0]).toContain('unknown key "orders"');
    expect(errors(`  - { name: o, adapter: okx-ws, exchange: okx, symbols: [BTC-USDT], maxInFlight: 0 }`)[0]).toContain('venues[0].maxInFlight');
  });
});

describe('createVenueAdapter', () => {
  const ins = new InstrumentRegistry([{ symbol: 'BTC-USDT', base: 'BTC', quote: 'USDT', tickSize: '0.1', lotSize: '0.00001' }]).list;
  const deps = { log, env: {}, clock: systemClock };
  const sink = new RecordingSink();
  const creds = { apiKey: 'k', secret: 's', passphrase: 'p' };

  test('one adapter class per adapter kind', () => {
    expect(createVenueAdapter(VenueSchema.parse({ name: 'a', adapter: 'ccxt', exchange: 'binance', symbols: ['BTC-USDT'], credentials: { apiKey: 'k', secret: 's' } }), ins, sink, deps)).toBeInstanceOf(CcxtAdapter);
    expect(createVenueAdapter(VenueSchema.parse({ name: 'b', adapter: 'ccxt', exchange: 'okx', symbols: ['BTC-USDT'], credentials: creds }), ins, sink, deps)).toBeInstanceOf(CcxtAdapter);
    expect(createVenueAdapter(VenueSchema.parse({ name: 'c', adapter: 'binance-ws', exchange: 'binance', symbols: ['BTC-USDT'], credentials: { apiKey: 'k', secret: 's' } }), ins, sink, deps)).toBeInstanceOf(BinanceWsAdapter);
    expect(createVenueAdapter(VenueSchema.parse({ name: 'd', adapter: 'okx-ws', exchange: 'okx', symbols: ['BTC-USDT'], credentials: creds }), ins, sink, deps)).toBeInstanceOf(OkxWsAdapter);
  });

  test('refuses paper venues and exchange venues without credentials', () => {
    expect(() => createVenueAdapter(VenueSchema.parse({ name: 'p', adapter: 'paper', symbols: ['BTC-USDT'] }), ins, sink, deps)).toThrow(/built by the daemon/);
    expect(() => createVenueAdapter(VenueSchema.parse({ name: 'o', adapter: 'okx-ws', exchange: 'okx', symbols: ['BTC-USDT'] }), ins, sink, deps)).toThrow(/needs credentials/);
  });

  test('config/testnet.yaml: both venues build (sandbox URLs, keys from env)', () => {
    const r = loadConfigFile('config/testnet.yaml', { BINANCE_API_KEY: 'a', BINANCE_API_SECRET: 'b', OKX_API_KEY: 'c', OKX_API_SECRET: 'd', OKX_PASSPHRASE: 'e' });
    if (!r.ok) throw new Error(formatConfigErrors(r.errors));
    const reg = new InstrumentRegistry(r.config.instruments);
    for (const v of r.config.venues) {
      const a = createVenueAdapter(v, v.symbols.map((s) => reg.get(s)!), sink, deps) as CcxtAdapter;
      expect(a).toBeInstanceOf(CcxtAdapter);
      const api = JSON.stringify(a.exchange.urls['api']);
      expect(api).toContain(v.exchange === 'binance' ? 'testnet.binance.vision' : 'wspap.okx.com');
    }
  });

  test('config/local-venues.yaml against the fakes: both venues start and trade', async () => {
    const fakes = await startFakeVenues();
    const env = localVenuesEnv(fakes);
    const r = loadConfigFile('config/local-venues.yaml', env);
    if (!r.ok) throw new Error(formatConfigErrors(r.errors));
    const reg = new InstrumentRegistry(r.config.instruments);
    const local = new RecordingSink();
    const adapters = r.config.venues.map((v) => createVenueAdapter(v, v.symbols.map((s) => reg.get(s)!), local, deps));
    try {
      await Promise.all(adapters.map((a) => a.start()));
      const orders = adapters.map(() => order({ instrument: reg.get('ETH-USDT')!, price: '3100', qty: '0.01' }));
      adapters.forEach((a, i) => a.submit(batch(orders[i]!)));
      await until(() => orders.every((o) => local.filledLots(o.orderId) === o.qtyLots), 'both venues fill');
    } finally {
      await Promise.all(adapters.map((a) => a.stop()));
      await fakes.close();
    }
  });
});
