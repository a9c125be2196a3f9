import { describe, expect, it } from 'vitest';
import { BASE, errors, lineOf, ok, parse } from './helpers.js';

describe('YAML syntax errors', () => {
  it('reports one error with its line and no path', () => {
    const text = `${BASE}strategies:\n  - id: a\n    symbols: [BTC-USDT\nrisk: {}\n`;
    const errs = errors(text);
    expect(errs).toHaveLength(1);
    expect(errs[0].file).toBe('test.yaml');
    expect(errs[0].path).toBe('');
    expect(errs[0].message).toMatch(/^YAML syntax: /);
    expect(errs[0].line).toBeGreaterThanOrEqual(lineOf(text, 'symbols: [BTC-USDT\n'.trim()));
    expect(errs[0].line).toBeLessThanOrEqual(lineOf(text, 'risk: {}'));
  });

  it('points at a tab-indentation error on its own line', () => {
    const text = 'venues:\n\t- name: x\n';
    const [e] = errors(text);
    expect(e.line).toBe(2);
  });

  it('reports duplicate keys', () => {
    const text = `${BASE}risk:\n  maxOpenOrders: 5\n  maxOpenOrders: 6\n`;
    const [e] = errors(text);
    expect(e.message).toMatch(/unique/);
    expect(e.line).toBe(lineOf(text, 'maxOpenOrders: 6'));
  });

  it('hints that env references in flow collections need quotes', () => {
    const text = `${BASE}daemon:\n  api: { token: \${TOKEN} }\n`;
    const [e] = errors(text, { TOKEN: 't' });
    expect(e.line).toBe(lineOf(text, 'api: {'));
    expect(e.message).toContain('quote env references');
  });

  it('rejects an empty file and a non-mapping root without throwing', () => {
    expect(errors('')[0].message).toMatch(/empty/);
    expect(errors('# only a comment\n')[0].message).toMatch(/empty/);
    expect(errors('- a\n- b\n')[0].message).toBe('expected a mapping, got a list');
    expect(errors('42\n')[0].message).toBe('expected a mapping, got a number');
  });
});

describe('YAML features', () => {
  it('anchors and aliases work, and plain numbers behind an alias keep their source text', () => {
    const text = `venues:
  - { name: a, adapter: paper, symbols: [BTC-USDT], fees: &fees { makerBps: 1e-1, takerBps: 5 } }
  - { name: b, adapter: paper, symbols: [BTC-USDT], fees: *fees }
instruments:
  - { symbol: BTC-USDT, tickSize: "0.01", lotSize: "0.00001", referencePrice: "60000" }
`;
    expect(ok(text).venues.map((v) => v.fees)).toEqual([
      { makerBps: '0.1', takerBps: '5' },
      { makerBps: '0.1', takerBps: '5' },
    ]);
  });

  it('stops an alias bomb early with one error', () => {
    let text = 'a: &a ["x","x","x","x","x","x","x","x","x","x"]\n';
    for (let i = 1; i < 8; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      text += `${name}: &${name} [${Array(10).fill(`*${prev}`).join(',')}]\n`;
    }
    const errs = errors(text);
    expect(errs).toHaveLength(1);
    expect(errs[0].message).toMatch(/expands to more than/);
  });
});

describe('unknown keys', () => {
  it('names the key path and its line, with a suggestion', () => {
    const text = `${BASE}daemon:\n  api:\n    host: 127.0.0.1\n    prot: 7480\n`;
    const errs = errors(text);
    expect(errs).toEqual([
      {
        file: 'test.yaml',
        path: 'daemon.api.prot',
        line: lineOf(text, 'prot: 7480'),
        column: 5,
        message: 'unknown key "prot" (did you mean "port"?)',
      },
    ]);
  });

  it('reports each unknown key inside list items', () => {
    const text = BASE.replace('    symbols: [BTC-USDT]\n', '    symbols: [BTC-USDT]\n    colour: red\n    fees: { makerBps: "1", takrBps: "2" }\n');
    const errs = errors(text);
    expect(errs.map((e) => [e.path, e.line])).toEqual([
      ['venues[1].colour', lineOf(text, 'colour: red')],
      ['venues[1].fees.takrBps', lineOf(text, 'takrBps')],
    ]);
    expect(errs[1].message).toContain('did you mean "takerBps"');
  });

  it('treats a __proto__ key as an unknown key, not as a prototype', () => {
    const text = `${BASE}risk:\n  __proto__: { polluted: true }\n`;
    const errs = errors(text);
    expect(errs.map((e) => e.path)).toEqual(['risk.__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('value errors carry path and line', () => {
  it('points at the offending value', () => {
    const text = BASE.replace('symbols: [BTC-USDT]\n', 'symbols: [BTC-USDT]\n    fees:\n      makerBps: "1"\n      takerBps: five\n');
    const [e] = errors(text);
    expect(e.path).toBe('venues[1].fees.takerBps');
    expect(e.line).toBe(lineOf(text, 'takerBps: five'));
    expect(e.column).toBe('      takerBps: '.length + 1);
    expect(e.message).toBe('expected a decimal string');
  });

  it('a Redis command dedupe window that could not hold what a crash leaves unacknowledged (4 x batch) is refused', () => {
    const text = `${BASE}daemon:\n  redis:\n    commands:\n      batch: 1000\n      dedupeWindow: 3999\n`;
    const [e] = errors(text);
    expect(e.path).toBe('daemon.redis.commands.dedupeWindow');
    expect(e.message).toContain('at least 4 x commands.batch (4000)');
    expect(ok(text.replace('dedupeWindow: 3999', 'dedupeWindow: 4000')).daemon.redis.commands.dedupeWindow).toBe(4000);
  });

  it('points a missing required key at its parent', () => {
    const text = `${BASE}strategies:\n  - id: a\n    weight: 2\n`;
    const [e] = errors(text);
    expect(e.path).toBe('strategies[0].symbols');
    expect(e.message).toBe('required key is missing');
    expect(e.line).toBe(lineOf(text, '- id: a'));
  });

  it('reports type and range errors in words', () => {
    const text = `${BASE}daemon:\n  api: { port: 70000 }\n  log: { level: loud }\n  queue: { capacity: 1.5 }\n  shutdown: { timeoutMs: "soon" }\n`;
    const byPath = Object.fromEntries(errors(text).map((e) => [e.path, e.message]));
    expect(byPath).toEqual({
      'daemon.api.port': 'must be <= 65535',
      'daemon.log.level': 'expected one of: fatal, error, warn, info, debug, trace, silent',
      'daemon.queue.capacity': 'expected an integer',
      'daemon.shutdown.timeoutMs': 'expected an integer',
    });
  });

  it('daemon.workers.restart: the backoff bound, terminateHungMs and the budget\'s window are checked against their peers', () => {
    const at = (workers: string): Record<string, string> =>
      Object.fromEntries(errors(`${BASE}daemon:\n  workers: ${workers}\n`).map((e) => [e.path, e.message]));
    expect(at('{ restart: { backoffMs: 5000, maxBackoffMs: 1000 } }')).toEqual({ 'daemon.workers.restart.maxBackoffMs': 'maxBackoffMs must be at least backoffMs (5000)' });
    expect(at('{ hangMs: 0, restart: { terminateHungMs: 1000 } }')).toEqual({ 'daemon.workers.restart.terminateHungMs': 'terminateHungMs needs the heartbeat watched (hangMs above 0)' });
    expect(at('{ hangMs: 2000, restart: { terminateHungMs: 1000 } }')).toEqual({ 'daemon.workers.restart.terminateHungMs': 'terminateHungMs must be at least hangMs (2000)' });
    expect(at('{ restart: { maxRestarts: 3, windowMs: 60000 } }')).toEqual({
      'daemon.workers.restart.windowMs': 'windowMs must be above maxBackoffMs (60000): restarts further apart than the window never count against maxRestarts; 0 counts the whole run',
    });
    expect(at('{ restart: { maxWaitMs: 0 } }')).toEqual({ 'daemon.workers.restart.maxWaitMs': 'must be >= 1' });
    expect(ok(`${BASE}daemon:\n  workers: { restart: { maxRestarts: 3, backoffMs: 10, terminateHungMs: 10000 } }\n`).daemon.workers)
      .toEqual({ hangMs: 5000, restart: { maxRestarts: 3, backoffMs: 10, maxBackoffMs: 60_000, terminateHungMs: 10_000, windowMs: 3_600_000, maxWaitMs: 60_000 } });
    expect(ok(`${BASE}daemon:\n  workers: { restart: { maxRestarts: 3, windowMs: 0, maxWaitMs: 5000 } }\n`).daemon.workers.restart)
      .toMatchObject({ windowMs: 0, maxWaitMs: 5000 });
  });

  it('requires tick and lot sizes and minQty to be > 0', () => {
    const text = BASE.replace('tickSize: "0.01", lotSize: "0.00001"', 'tickSize: 0, lotSize: "-0.1", minQty: "0"');
    const byPath = Object.fromEntries(errors(text).map((e) => [e.path, e.message]));
    expect(byPath).toEqual({
      'instruments[0].tickSize': 'must be > 0',
      'instruments[0].lotSize': 'must be > 0',
      'instruments[0].minQty': 'must be > 0',
    });
  });

  it('sorts errors by line', () => {
    const text = `daemon:\n  bogus: 1\nvenues: []\ninstruments: 7\n`;
    const lines = errors(text).map((e) => e.line);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
    expect(lines).toEqual([2, 3, 4]);
  });
});

describe('env references', () => {
  it('resolves ${NAME} and ${NAME:-default} in any string', () => {
    const text = `${BASE}daemon:\n  name: \${NAME}\n  dataDir: \${DATA_DIR:-/var/lib/switchyard}\n  api:\n    host: "\${HOST:-127.0.0.1}"\n    port: \${PORT:-7481}\n`;
    const c = ok(text, { NAME: 'desk-1', PORT: '9000' });
    expect(c.daemon.name).toBe('desk-1');
    expect(c.daemon.dataDir).toBe('/var/lib/switchyard');
    expect(c.daemon.api.host).toBe('127.0.0.1');
    expect(c.daemon.api.port).toBe(9000);
  });

  it('reports a missing variable at its line', () => {
    const text = `${BASE}daemon:\n  name: paper\n  dataDir: \${SWITCHYARD_DATA}/x\n`;
    const errs = errors(text);
    expect(errs).toEqual([
      {
        file: 'test.yaml',
        path: 'daemon.dataDir',
        line: lineOf(text, 'dataDir:'),
        column: 12,
        message: 'environment variable SWITCHYARD_DATA is not set',
      },
    ]);
  });

  it('reports a malformed reference', () => {
    const text = `${BASE}daemon:\n  name: "\${bad name}"\n`;
    const [e] = errors(text);
    expect(e.path).toBe('daemon.name');
    expect(e.message).toMatch(/malformed env reference/);
  });

  it('keeps $$ { as a literal', () => {
    const c = ok(`${BASE}daemon:\n  dataDir: "/tmp/$\${HOME}"\n`, { HOME: '/root' });
    expect(c.daemon.dataDir).toBe('/tmp/${HOME}');
  });
});

describe('secrets', () => {
  const venue = (creds: string) =>
    BASE.replace(
      '  - name: sim-b\n',
      `  - name: bin\n    adapter: ccxt\n    exchange: binance\n    symbols: [BTC-USDT]\n    credentials:\n${creds}  - name: sim-b\n`,
    );

  it('accepts env references and resolves them', () => {
    const c = ok(venue('      apiKey: ${BINANCE_API_KEY}\n      secret: ${BINANCE_API_SECRET}\n'), {
      BINANCE_API_KEY: 'key-1',
      BINANCE_API_SECRET: 'secret-1',
    });
    expect(c.venues[1].credentials).toEqual({ apiKey: 'key-1', secret: 'secret-1' });
  });

  it('rejects a literal secret without echoing it', () => {
    const text = venue('      apiKey: ${BINANCE_API_KEY}\n      secret: hunter2-very-secret\n');
    const errs = errors(text, { BINANCE_API_KEY: 'k' });
    expect(errs).toHaveLength(1);
    expect(errs[0].path).toBe('venues[1].credentials.secret');
    expect(errs[0].line).toBe(lineOf(text, 'hunter2'));
    expect(errs[0].message).toMatch(/^literal secret/);
    expect(JSON.stringify(errs)).not.toContain('hunter2');
  });

  it('rejects numbers, defaults and partial references as secrets', () => {
    const text = venue('      apiKey: 12345\n      secret: ${S:-fallback}\n      passphrase: pre${P}\n');
    const errs = errors(text, { S: 's', P: 'p' }).filter((e) => e.message.startsWith('literal secret'));
    expect(errs.map((e) => e.path)).toEqual([
      'venues[1].credentials.apiKey',
      'venues[1].credentials.secret',
      'venues[1].credentials.passphrase',
    ]);
  });

  it('checks secret-named keys anywhere, even under unknown keys', () => {
    const text = `${BASE}daemon:\n  api:\n    token: plain-token\nnotes:\n  password: abc\n`;
    const errs = errors(text);
    expect(errs.map((e) => [e.path, e.message.slice(0, 14)])).toEqual([
      ['daemon.api.token', 'literal secret'],
      ['notes', 'unknown key "n'],
      ['notes.password', 'literal secret'],
    ]);
    expect(JSON.stringify(errs)).not.toMatch(/plain-token|abc/);
  });

  it('the api token may come from the environment', () => {
    const c = ok(`${BASE}daemon:\n  api:\n    token: \${SWITCHYARD_API_TOKEN}\n`, { SWITCHYARD_API_TOKEN: 'tkn' });
    expect(c.daemon.api.token).toBe('tkn');
  });
});

describe('decimals keep their source text', () => {
  const instrument = (fields: string) =>
    `venues:\n  - { name: sim, adapter: paper, symbols: [X-USDT] }\ninstruments:\n  - { symbol: X-USDT, ${fields} }\n`;

  it('plain numbers are read from the source, never through a float', () => {
    const c = ok(instrument('tickSize: 0.1, lotSize: 1e-8, minQty: 0.00000010, minNotional: 0.30000000000000001, referencePrice: 60000'));
    const ins = c.instruments[0];
    expect(ins.tickSize).toBe('0.1');
    expect(ins.lotSize).toBe('0.00000001');
    expect(ins.minQty).toBe('0.00000010');
    expect(ins.minNotional).toBe('0.30000000000000001'); // a float would have made it 0.3
    expect(ins.referencePrice).toBe('60000');
    expect(ok(`${BASE}risk: { maxGrossExposure: 12345678901234567890.12345 }\n`).risk.maxGrossExposure).toBe(
      '12345678901234567890.12345',
    );
  });

  it('a price must be a safe integer number of ticks', () => {
    const errs = errors(instrument('tickSize: 0.00000001, lotSize: 1, referencePrice: 123456789012345678'));
    expect(errs.map((e) => [e.path, e.message])).toEqual([
      ['instruments[0].referencePrice', '123456789012345678 is too many tickSize steps for a safe integer'],
    ]);
  });

  it('quoted strings are validated and exponents normalised the same way', () => {
    const c = ok(instrument('tickSize: "2.5E-2", lotSize: "1e-3", referencePrice: "1.5e3"'));
    expect(c.instruments[0].tickSize).toBe('0.025');
    expect(c.instruments[0].lotSize).toBe('0.001');
    expect(c.instruments[0].referencePrice).toBe('1500');
  });

  it('rejects what is not a strict decimal', () => {
    for (const bad of ['0x10', '.5', '5.', '1_000', '+1', '01', '.inf', '"1,5"', '" 1"', 'true', '1e-999']) {
      const errs = errors(instrument(`tickSize: ${bad}, lotSize: "1"`));
      expect(errs.map((e) => [e.path, e.message]), bad).toEqual([['instruments[0].tickSize', 'expected a decimal string']]);
    }
  });

  it('fees may be negative (maker rebates)', () => {
    const c = ok(BASE.replace('symbols: [BTC-USDT]\n', 'symbols: [BTC-USDT]\n    fees: { makerBps: -0.5, takerBps: 4 }\n'));
    expect(c.venues[1].fees).toEqual({ makerBps: '-0.5', takerBps: '4' });
  });

  it('prices must sit on the tick grid and minQty on the lot grid', () => {
    const text = instrument('tickSize: 0.01, lotSize: 0.001, minQty: 0.0015, referencePrice: 100.005');
    expect(errors(text).map((e) => [e.path, e.message])).toEqual([
      ['instruments[0].minQty', '0.0015 is not a multiple of lotSize 0.001'],
      ['instruments[0].referencePrice', '100.005 is not a multiple of tickSize 0.01'],
    ]);
  });
});

describe('defaults', () => {
  it('fills every default', () => {
    const c = ok(BASE);
    expect(c.daemon).toEqual({
      name: 'switchyard',
      clientIdPrefix: 'swit',
      api: { host: '127.0.0.1', port: 7480, tokenFile: '.switchyard/api-token', streamMaxBufferedBytes: 8 * 1024 * 1024, wsMaxBatch: 1000 },
      log: { level: 'info', format: 'json' },
      dataDir: '.switchyard',
      shutdown: { policy: 'cancel-all', timeoutMs: 5000 },
      kill: { timeoutMs: 10000 },
      balances: { reconcileIntervalMs: 60000 },
      redis: {
        url: 'redis://127.0.0.1:6379',
        keyPrefix: 'switchyard:',
        events: { enabled: false, maxLen: 1_000_000, bufferEvents: 65_536, batchEvents: 500 },
        commands: { group: 'switchyard', batch: 256, claimIdleMs: 30_000, dedupeWindow: 100_000, replyMaxLen: 100_000 },
        leases: { enabled: false, ttlMs: 15_000, renewMs: 5_000 },
      },
      queue: { capacity: 65536 },
      dispatch: { busyPoll: false },
      workers: { hangMs: 5000, restart: { maxRestarts: 0, backoffMs: 1000, maxBackoffMs: 60_000, terminateHungMs: 0, windowMs: 3_600_000, maxWaitMs: 60_000 } },
      journal: { enabled: true, dir: '.switchyard/journal', maxDelayMs: 0, snapshotEvery: 200_000 },
      history: { enabled: true, store: 'file', file: { path: '.switchyard/history', segmentBytes: 67_108_864 }, pageSizeMax: 1000, bufferRows: 65_536, batchRows: 5000, threadNice: 15 },
      marketData: { depth: 20, staleMs: 5000 },
      routing: { mode: 'table', adaptiveIntervalMs: 1000, adaptiveBandBps: 10 },
      startup: { policy: 'resume', maxAgeMs: 3_600_000 },
      retainFinishedOrders: 100_000,
    });
    expect(c.venues[0]).toEqual({
      name: 'sim-a',
      adapter: 'paper',
      sandbox: false,
      symbols: ['BTC-USDT', 'ETH-USDT'],
      trading: true,
      fees: { makerBps: '0', takerBps: '0' },
      latencyMs: 0,
      batch: { maxSize: 32, flushMs: 0 },
      marketData: { enabled: true, stallMs: 10_000 },
      paper: { seed: 1, spreadTicks: 2, volatilityTicks: 1, depthLevels: 10, levelNotional: '20000', stepMs: 250, tradesPerSecond: 4 },
    });
    expect(c.instruments[0]).toEqual({
      symbol: 'BTC-USDT',
      base: 'BTC',
      quote: 'USDT',
      tickSize: '0.01',
      lotSize: '0.00001',
      minQty: '0.00001',
      minNotional: '0',
      referencePrice: '60000',
    });
    expect(c.strategies).toEqual([]);
    expect(c.risk).toEqual({ maxOpenOrders: 10000, priceCollarBps: {}, dailyLossAction: 'reducing', selfTrade: 'deny' });
  });

  it('fills strategy defaults', () => {
    const c = ok(`${BASE}strategies:\n  - { id: s1, symbols: [BTC-USDT] }\n`);
    expect(c.strategies[0]).toEqual({
      id: 's1',
      weight: 1,
      symbols: ['BTC-USDT'],
      params: {},
      crossing: { enabled: false, windowMs: 0 },
      limits: { maxOrderQty: {}, maxPosition: {} },
      route: 'table',
      routes: {},
    });
  });

  it('tokenFile follows dataDir', () => {
    expect(ok(`${BASE}daemon: { dataDir: /srv/sy }\n`).daemon.api.tokenFile).toBe('/srv/sy/api-token');
  });

  it('an instrument without a routing entry gets equal weights over the venues listing it', () => {
    const c = ok(`${BASE}routing:\n  BTC-USDT: { sim-a: 3, sim-b: 1 }\n`);
    expect(c.routing).toEqual({ 'BTC-USDT': { 'sim-a': 3, 'sim-b': 1 }, 'ETH-USDT': { 'sim-a': 1 } });
    expect(ok(BASE).routing).toEqual({ 'BTC-USDT': { 'sim-a': 1, 'sim-b': 1 }, 'ETH-USDT': { 'sim-a': 1 } });
  });
});

describe('routing', () => {
  it('weights of a symbol must not sum to zero', () => {
    const text = `${BASE}routing:\n  BTC-USDT: { sim-a: 0, sim-b: 0 }\n`;
    const errs = errors(text);
    expect(errs.map((e) => [e.path, e.line])).toEqual([['routing.BTC-USDT', lineOf(text, 'BTC-USDT: {')]]);
    expect(errs[0].message).toMatch(/sum to zero/);
  });

  it('a routed venue must list the symbol', () => {
    const text = `${BASE}routing:\n  ETH-USDT:\n    sim-a: 1\n    sim-b: 1\n`;
    const errs = errors(text);
    expect(errs).toEqual([
      {
        file: 'test.yaml',
        path: 'routing.ETH-USDT.sim-b',
        line: lineOf(text, 'sim-b: 1'),
        column: 5,
        message: 'venue sim-b does not list ETH-USDT',
      },
    ]);
  });

  it('routing keys must be known instruments and venues; weights integers >= 0', () => {
    const text = `${BASE}routing:\n  DOGE-USDT: { sim-a: 1 }\n  BTC-USDT: { sim-c: 1, sim-a: 1 }\n`;
    expect(errors(text).map((e) => [e.path, e.message])).toEqual([
      ['routing.DOGE-USDT', 'unknown instrument DOGE-USDT (not in instruments)'],
      ['routing.BTC-USDT.sim-c', 'unknown venue sim-c'],
    ]);
    expect(errors(`${BASE}routing:\n  BTC-USDT: { sim-a: -1, sim-b: 0.5 }\n`).map((e) => e.message)).toEqual([
      'must be >= 0',
      'expected an integer',
    ]);
  });

  it('an instrument no venue lists is an error', () => {
    const text = `${BASE}  - { symbol: SOL-USDT, tickSize: "0.01", lotSize: "0.001" }\n`;
    const errs = errors(text);
    expect(errs.map((e) => [e.path, e.line])).toEqual([['instruments[2].symbol', lineOf(text, 'SOL-USDT')]]);
  });
});

describe('cross-field rules', () => {
  it('venue and strategy symbols must be known instruments', () => {
    const text = BASE.replace('symbols: [BTC-USDT]\n', 'symbols: [BTC-USDT, XRP-USDT]\n') + 'strategies:\n  - { id: s, symbols: [ADA-USDT] }\n';
    expect(errors(text).map((e) => [e.path, e.message])).toEqual([
      ['venues[1].symbols[1]', 'unknown instrument XRP-USDT (not in instruments)'],
      ['strategies[0].symbols[0]', 'unknown instrument ADA-USDT (not in instruments)'],
    ]);
  });

  it('names, symbols and ids are unique', () => {
    const text = `${BASE}  - { symbol: BTC-USDT, tickSize: "0.1", lotSize: "0.1" }\nstrategies:\n  - { id: s, symbols: [BTC-USDT] }\n  - { id: s, symbols: [BTC-USDT] }\n`;
    const t2 = text.replace('name: sim-b', 'name: sim-a');
    expect(errors(t2).map((e) => e.path)).toEqual(['venues[1].name', 'instruments[2].symbol', 'strategies[1].id']);
  });

  it('exchange is required for exchange adapters and forbidden for paper', () => {
    const text = BASE.replace('adapter: paper\n    symbols: [BTC-USDT]', 'adapter: ccxt\n    symbols: [BTC-USDT]').replace(
      'adapter: paper\n    symbols: [BTC-USDT, ETH-USDT]',
      'adapter: paper\n    exchange: okx\n    symbols: [BTC-USDT, ETH-USDT]',
    );
    expect(errors(text).map((e) => [e.path, e.message])).toEqual([
      ['venues[0].exchange', 'exchange is not allowed for adapter paper (a simulated venue)'],
      ['venues[1].exchange', 'exchange is required for adapter ccxt (binance or okx)'],
    ]);
  });

  it('paper settings, latency and credentials go with the right adapters', () => {
    const text = `venues:
  - name: okx
    adapter: okx-ws
    exchange: binance
    symbols: [BTC-USDT]
    latencyMs: 3
    paper: { seed: 3 }
    credentials: { apiKey: "\${K}", secret: "\${S}" }
instruments:
  - { symbol: BTC-USDT, tickSize: "0.1", lotSize: "0.00001" }
`;
    expect(errors(text, { K: 'k', S: 's' }).map((e) => [e.path, e.message])).toEqual([
      ['venues[0].exchange', 'adapter okx-ws needs exchange okx'],
      ['venues[0].latencyMs', 'latencyMs simulates latency and applies only to adapter paper'],
      ['venues[0].paper', 'paper settings apply only to adapter paper'],
    ]);
    const fixed = text.replace('exchange: binance', 'exchange: okx').replace('    latencyMs: 3\n    paper: { seed: 3 }\n', '');
    expect(errors(fixed, { K: 'k', S: 's' }).map((e) => [e.path, e.message])).toEqual([
      ['venues[0].credentials.passphrase', 'OKX credentials need a passphrase'],
    ]);
    const okx = ok(fixed.replace('secret: "${S}"', 'secret: "${S}", passphrase: "${P}"'), { K: 'k', S: 's', P: 'p' });
    expect(okx.venues[0].paper).toBeUndefined();
    expect(okx.venues[0].credentials).toEqual({ apiKey: 'k', secret: 's', passphrase: 'p' });
  });

  it('a paper venue needs a referencePrice for its symbols', () => {
    const text = BASE.replace(', referencePrice: "3000"', '');
    expect(errors(text).map((e) => e.path)).toEqual(['venues[0].symbols[1]']);
  });

  it('shutdown strategies only with cancel-strategies, and known', () => {
    const strategies = 'strategies:\n  - { id: mm, symbols: [BTC-USDT] }\n';
    expect(ok(`${BASE}${strategies}daemon:\n  shutdown: { policy: cancel-strategies, strategies: [mm] }\n`).daemon.shutdown).toEqual({
      policy: 'cancel-strategies',
      strategies: ['mm'],
      timeoutMs: 5000,
    });
    expect(errors(`${BASE}${strategies}daemon:\n  shutdown: { policy: leave, strategies: [mm] }\n`).map((e) => e.path)).toEqual([
      'daemon.shutdown.strategies',
    ]);
    expect(errors(`${BASE}${strategies}daemon:\n  shutdown: { policy: cancel-strategies, strategies: [xx] }\n`).map((e) => e.path)).toEqual([
      'daemon.shutdown.strategies[0]',
    ]);
    expect(errors(`${BASE}${strategies}daemon:\n  shutdown: { policy: cancel-strategies }\n`).map((e) => e.path)).toEqual([
      'daemon.shutdown.strategies',
    ]);
  });

  it('strategy maxOrderQty keys must be the strategy symbols', () => {
    const text = `${BASE}strategies:\n  - id: s\n    symbols: [BTC-USDT]\n    limits:\n      maxOrderQty: { BTC-USDT: 1, ETH-USDT: 2 }\n`;
    expect(errors(text).map((e) => [e.path, e.message])).toEqual([
      ['strategies[0].limits.maxOrderQty.ETH-USDT', "ETH-USDT is not one of this strategy's symbols"],
    ]);
  });

  it('strategy routes: table, best or sweep, per symbol only for the strategy symbols', () => {
    const text = `${BASE}strategies:\n  - id: s\n    symbols: [BTC-USDT]\n    route: best\n    routes: { BTC-USDT: sweep, ETH-USDT: table }\n`;
    expect(errors(text).map((e) => [e.path, e.message])).toEqual([
      ['strategies[0].routes.ETH-USDT', "ETH-USDT is not one of this strategy's symbols"],
    ]);
    const good = ok(`${BASE}strategies:\n  - id: s\n    symbols: [BTC-USDT]\n    route: best\n    routes: { BTC-USDT: sweep }\n`);
    expect([good.strategies[0]!.route, good.strategies[0]!.routes]).toEqual(['best', { 'BTC-USDT': 'sweep' }]);
    expect(errors(`${BASE}strategies:\n  - { id: s, symbols: [BTC-USDT], route: fastest }\n`).map((e) => e.path)).toEqual(['strategies[0].route']);
    expect(errors(`${BASE}daemon:\n  routing: { mode: smart }\n`).map((e) => e.path)).toEqual(['daemon.routing.mode']);
  });

  it('notional limits need a single quote currency', () => {
    const mixed = BASE.replace('symbols: [BTC-USDT, ETH-USDT]', 'symbols: [BTC-USDT, ETH-USDT, ETH-BTC]') +
      '  - { symbol: ETH-BTC, tickSize: "0.00001", lotSize: "0.0001", referencePrice: "0.05" }\n';
    expect(ok(mixed).instruments.map((i) => i.quote)).toEqual(['USDT', 'USDT', 'BTC']);
    const withLimits = `${mixed}risk: { maxOrderNotional: "100000" }\nstrategies:\n  - { id: s, symbols: [BTC-USDT], limits: { maxGrossExposure: "5" } }\n`;
    expect(errors(withLimits).map((e) => e.path)).toEqual(['risk.maxOrderNotional', 'strategies[0].limits.maxGrossExposure']);
    expect(errors(withLimits)[0].message).toMatch(/one common quote currency.*USDT, BTC/);
  });

  it('base and quote must match the symbol', () => {
    const text = BASE.replace('symbol: BTC-USDT, tickSize', 'symbol: BTC-USDT, base: BTC, quote: USDC, tickSize');
    expect(errors(text).map((e) => [e.path, e.message])).toEqual([
      ['instruments[0].symbol', 'symbol BTC-USDT does not match base BTC and quote USDC'],
    ]);
  });

  it('a file with characters beyond Latin-1 in its comments gives the same config as without them', () => {
    // the loader hands out its strings in one-byte form (oneByteText): the values must not change with it
    const plain = `${BASE}daemon:\n  name: papr\nstrategies:\n  - { id: s1, symbols: [BTC-USDT] }\n`;
    const dashed = `# Switchyard — paper\n${plain.replace('name: papr', 'name: papr   # its name — four letters')}`;
    expect(ok(dashed)).toEqual(ok(plain));
    expect(ok(dashed).venues.map((v) => v.name)).toEqual(['sim-a', 'sim-b']);
  });
});
