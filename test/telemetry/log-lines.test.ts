/**
 * The log stream of a paper daemon driven through orders, fills, a cancel, a venue state change and two reloads
 * (accepted and refused): every line is one JSON object with no key twice, the events carry their ids, and a token
 * the daemon generated appears neither in the log stream nor in what `switchyard start` prints. The pretty format
 * goes through pino-pretty with the same redaction.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { DestinationStream } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { loadConfigFile } from '../../src/config/index.js';
import { createDaemon, type Daemon } from '../../src/daemon.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { childEnv, DaemonProcess, ensureBuilt } from '../helpers/daemon-process.js';
import { ApiClient } from '../helpers/http.js';
import { pollUntil } from '../helpers/poll.js';
import { paperConfigText } from '../helpers/repo.js';

/**
 * The keys found twice in one object anywhere in a JSON text (JSON.parse keeps the last one silently). A small
 * recursive-descent reader over the text; throws on text that is not JSON.
 */
export function duplicateKeys(text: string): string[] {
  let i = 0;
  const dups: string[] = [];
  const ws = (): void => {
    while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++;
  };
  const str = (): string => {
    if (text[i] !== '"') throw new Error(`string expected at ${i}`);
    const start = i++;
    while (text[i] !== '"') {
      if (i >= text.length) throw new Error('unterminated string');
      i += text[i] === '\\' ? 2 : 1;
    }
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (path: string): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const seen = new Set<string>();
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        const k = str();
        if (seen.has(k)) dups.push(path === '' ? k : `${path}.${k}`);
        seen.add(k);
        ws();
        if (text[i++] !== ':') throw new Error(`':' expected at ${i - 1}`);
        value(path === '' ? k : `${path}.${k}`);
        ws();
        const d = text[i++];
        if (d === '}') return;
        if (d !== ',') throw new Error(`',' or '}' expected at ${i - 1}`);
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value(`${path}[]`);
        ws();
        const d = text[i++];
        if (d === ']') return;
        if (d !== ',') throw new Error(`',' or ']' expected at ${i - 1}`);
      }
    }
    if (c === '"') {
      str();
      return;
    }
    const m = /^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 40));
    if (m === null) throw new Error(`value expected at ${i}`);
    i += m[0].length;
  };
  value('');
  ws();
  if (i !== text.length) throw new Error(`trailing text at ${i}`);
  return dups;
}

/** A log destination that keeps every line (bounded: the test makes a few hundred). */
function capture(): { dest: DestinationStream; lines: string[] } {
  const lines: string[] = [];
  let rest = '';
  const dest = new Writable({
    write(chunk: Buffer, _e, cb) {
      const parts = (rest + chunk.toString('utf8')).split('\n');
      rest = parts.pop()!;
      for (const p of parts) if (lines.length < 100_000) lines.push(p);
      cb();
    },
  }) as unknown as DestinationStream;
  return { dest, lines };
}

describe('the duplicate key reader', () => {
  it('finds a key given twice, at any depth, and nothing in clean JSON (control)', () => {
    expect(duplicateKeys('{"a":1,"b":{"c":[1,{"d":2,"d":3}]},"a":"x"}')).toEqual(['b.c[].d', 'a']);
    expect(duplicateKeys('{"a":"\\"a\\"","b":[true,false,null,-1.5e3],"c":{}}')).toEqual([]);
    expect(() => duplicateKeys('{"a":1')).toThrow();
  });

  it('a log call with a field named like one of pino\'s own keys gives a line without a duplicate', async () => {
    const { dest, lines } = capture();
    createLogger('info', 'dup-test', dest).warn({ name: 'sim-b', msg: 'x', time: 1, venue: 'v' }, 'state changed');
    await pollUntil(() => lines.length, (n) => n > 0, { timeoutMs: 2000 });
    expect(duplicateKeys(lines[0]!)).toEqual([]);
    expect(JSON.parse(lines[0]!)).toMatchObject({ name: 'dup-test', name_: 'sim-b', msg_: 'x', time_: 1, venue: 'v' });
  });

  it('a child logger\'s binding repeated in a call is written once (a different value is kept as <key>_)', async () => {
    const { dest, lines } = capture();
    const child = createLogger('info', 'dup-test', dest).child({ venue: 'local-binance' });
    child.warn({ venue: 'local-binance', pool: 'weight' }, 'same value');
    child.warn({ venue: 'other', pool: 'weight' }, 'another value');
    child.child({ symbol: 'BTC-USDT' }).info({ venue: 'local-binance', symbol: 'BTC-USDT', n: 1 }, 'grandchild');
    await pollUntil(() => lines.length, (n) => n >= 3, { timeoutMs: 2000 });
    for (const l of lines) expect(duplicateKeys(l), l).toEqual([]);
    expect(JSON.parse(lines[0]!)).toMatchObject({ venue: 'local-binance', pool: 'weight' });
    expect(JSON.parse(lines[1]!)).toMatchObject({ venue: 'local-binance', venue_: 'other' });
    expect(JSON.parse(lines[2]!)).toMatchObject({ venue: 'local-binance', symbol: 'BTC-USDT', n: 1 });
  });
});

describe('log lines of a paper daemon', () => {
  let dir: string;
  let file: string;
  let daemon: Daemon;
  let api: ApiClient;
  let token: string;
  let generatedCalls = 0;
  const { dest, lines } = capture();

  /** paper.yaml without worker strategies, on a free port, data and token file in `dir`. */
  const text = (edit?: (doc: ReturnType<typeof parseDocument>) => void): string => {
    const doc = parseDocument(paperConfigText([
      [['daemon', 'api', 'port'], 0],
      [['daemon', 'dataDir'], dir],
      [['daemon', 'api', 'tokenFile'], join(dir, 'api-token')],
    ], { workers: false }));
    edit?.(doc);
    return doc.toString();
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-loglines-'));
    file = join(dir, 'switchyard.yaml');
    writeFileSync(file, text());
    const loaded = loadConfigFile(file);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    // no SWITCHYARD_API_TOKEN and no token file: the daemon generates one
    daemon = createDaemon(loaded.config, {
      env: {}, configFile: file, configDir: dir, baseDir: dir, logDestination: dest,
      onTokenGenerated: () => void generatedCalls++,
    });
    token = readFileSync(join(dir, 'api-token'), 'utf8').trim();
    const { port } = await daemon.start();
    api = new ApiClient(`http://127.0.0.1:${port}`, token);

    // orders: one that rests (then canceled), one that fills, one refused by risk
    const resting = await api.post('/v1/orders', { strategy: 'momentum', symbol: 'BTC-USDT', side: 'BUY', price: '30000', quantity: '0.001' });
    expect(resting.status).toBe(201);
    await api.waitForState(resting.body.orderId, 'ACCEPTED');
    const fill = await api.post('/v1/orders', { strategy: 'momentum', symbol: 'BTC-USDT', side: 'BUY', price: '70000', quantity: '0.001' });
    expect(fill.status).toBe(201);
    await api.waitForState(fill.body.orderId, 'FILLED');
    expect((await api.delete(`/v1/orders/${resting.body.orderId}`)).status).toBeLessThan(300);
    await api.waitForState(resting.body.orderId, 'CANCELED');
    await api.post('/v1/orders', { strategy: 'momentum', symbol: 'BTC-USDT', side: 'BUY', price: '70000', quantity: '1000' });
    // a venue state change, and back
    expect((await api.post('/v1/admin/state', { scope: 'venue', name: 'sim-b', state: 'HALTED', reason: 'log test' })).status).toBe(200);
    expect((await api.post('/v1/admin/state', { scope: 'venue', name: 'sim-b', state: 'ACTIVE' })).status).toBe(200);
    // reload accepted (routing weights), then refused (a restart-only change)
    writeFileSync(file, text((doc) => doc.setIn(['routing', 'BTC-USDT', 'sim-b'], 2)));
    expect(daemon.reload().ok).toBe(true);
    writeFileSync(file, text((doc) => doc.setIn(['daemon', 'name'], 'renamed')));
    expect(daemon.reload().ok).toBe(false);
    await daemon.stop('test finished');
  }, 60_000);

  afterAll(async () => {
    await daemon?.stop('test finished');
    rmSync(dir, { recursive: true, force: true });
  });

  const records = (): Record<string, any>[] => lines.map((l) => JSON.parse(l) as Record<string, any>);

  it('every line is one JSON object without a duplicated key', () => {
    expect(lines.length).toBeGreaterThan(10);
    const bad = lines.flatMap((l) => duplicateKeys(l).map((k) => `${k} in ${l}`));
    expect(bad).toEqual([]);
    for (const r of records()) expect(typeof r).toBe('object');
  });

  it('order decisions and fills are at info with their ids', () => {
    const rs = records().filter((r) => r.level >= 30);
    expect(rs.some((r) => typeof r.orderId === 'number' && typeof r.venue === 'string' && r.state !== undefined && r.tradeId === undefined)).toBe(true);
    expect(rs.some((r) => typeof r.orderId === 'number' && typeof r.tradeId === 'string' && typeof r.qty === 'string')).toBe(true);
    expect(rs.some((r) => typeof r.orderId === 'number' && r.state === 'CANCELED')).toBe(true);
    expect(rs.some((r) => typeof r.orderId === 'number' && r.code === 'RISK_MAX_ORDER_QTY' || typeof r.code === 'string' && r.orderId !== undefined)).toBe(true);
  });

  it('reloads are logged with what changed (accepted) or why not (refused)', () => {
    const rs = records();
    const accepted = rs.find((r) => r.reload === 'accepted');
    expect(accepted?.level).toBe(30);
    expect(accepted?.changed).toEqual(['routing']);
    expect(accepted?.changes).toEqual([{ path: 'routing.BTC-USDT.sim-b', from: 1, to: 2 }]);
    const refused = rs.find((r) => r.reload === 'refused');
    expect(refused?.level).toBe(40);
    expect(refused?.errors.length).toBeGreaterThan(0);
  });

  it('the generated token is in its file and nowhere in the log stream', () => {
    expect(generatedCalls).toBe(1);
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect(lines.filter((l) => l.includes(token))).toEqual([]);
    // control: the capture sees what the daemon logs (a line that held the token would be found)
    expect(lines.some((l) => l.includes(String(daemon.config.daemon.name)))).toBe(true);
  });
});

describe('switchyard start with a generated token', () => {
  it('prints where the token is, never the token (stdout and stderr)', async () => {
    ensureBuilt();
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-token-print-'));
    const file = join(dir, 'switchyard.yaml');
    writeFileSync(file, paperConfigText([
      [['daemon', 'api', 'port'], 0],
      [['daemon', 'dataDir'], dir],
      [['daemon', 'api', 'tokenFile'], join(dir, 'api-token')],
    ], { workers: false }));
    const p = DaemonProcess.start(file, childEnv());
    try {
      await p.listening(30_000);
      const token = readFileSync(join(dir, 'api-token'), 'utf8').trim();
      expect(token.length).toBeGreaterThanOrEqual(32);
      // the path is printed (where to find it)
      expect(p.stderrLines.some((l) => l.includes(join(dir, 'api-token')))).toBe(true);
      p.signal('SIGTERM');
      await p.waitForExit(15_000);
      const all = [...p.stdoutLines, ...p.stderrLines];
      expect(all.filter((l) => l.includes(token))).toEqual([]);
      expect(p.stdoutLines.length).toBeGreaterThan(0);
    } finally {
      await p.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});

describe('pretty logs', () => {
  it('format pretty writes human lines to the given destination, secrets still redacted', async () => {
    const { dest, lines } = capture();
    const log = createLogger('info', 'pretty-test', dest, 'pretty');
    log.info({ venue: 'sim-a', credentials: { secret: 'do-not-print-me' }, token: 'nor-me' }, 'hello');
    await pollUntil(() => lines.length, (n) => n > 0, { timeoutMs: 2000 });
    expect(lines.join('\n')).not.toContain('do-not-print-me');
    expect(lines.join('\n')).not.toContain('nor-me');
    expect(lines.join('\n')).toContain('sim-a');
    expect(() => JSON.parse(lines[0]!)).toThrow();
    // control: the json format on the same fields is JSON, and redacts too
    const json = capture();
    createLogger('info', 'json-test', json.dest, 'json').info({ venue: 'sim-a', token: 'nor-me' }, 'hello');
    await pollUntil(() => json.lines.length, (n) => n > 0, { timeoutMs: 2000 });
    expect(JSON.parse(json.lines[0]!).token).toBe('[redacted]');
  });

  it('a daemon with daemon.log.format: pretty starts and logs human lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-pretty-'));
    const { dest, lines } = capture();
    try {
      const loadedText = paperConfigText([
        [['daemon', 'api', 'port'], 0],
        [['daemon', 'dataDir'], dir],
        [['daemon', 'api', 'tokenFile'], join(dir, 'api-token')],
        [['daemon', 'log', 'format'], 'pretty'],
      ], { workers: false });
      const file = join(dir, 'switchyard.yaml');
      writeFileSync(file, loadedText);
      const loaded = loadConfigFile(file);
      if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
      const d = createDaemon(loaded.config, { env: { SWITCHYARD_API_TOKEN: 'pretty-token-0123456789abcdef0123' }, baseDir: dir, logDestination: dest });
      await d.start();
      await d.stop('test finished');
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.filter((l) => l.trim().startsWith('{'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
