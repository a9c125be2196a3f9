/**
 * Corrupted journals, as the daemon meets them at start: a torn tail (crash in the middle of a write) is cut and
 * the daemon starts with everything before it; a damaged record in the middle is corruption: the daemon refuses to
 * start with JOURNAL_CORRUPT, and `switchyard journal verify` says where.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { childEnv, DaemonProcess, ensureBuilt, runCli } from '../helpers/daemon-process.js';
import { ApiClient } from '../helpers/http.js';
import { paperConfigText } from '../helpers/repo.js';

const TOKEN = 'corruption-test-token-0123456789abcdef';

describe('journal corruption at start (real daemon process)', () => {
  let dir: string;
  let file: string;
  const running: DaemonProcess[] = [];

  beforeAll(() => ensureBuilt());

  afterEach(async () => {
    for (const d of running.splice(0)) await d.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(): Promise<{ d: DaemonProcess; api: ApiClient }> {
    const d = DaemonProcess.start(file, { ...childEnv(), SWITCHYARD_API_TOKEN: TOKEN });
    running.push(d);
    const { host, port } = await d.listening();
    return { d, api: new ApiClient(`http://${host}:${port}`, TOKEN) };
  }

  /** A journal with `n` filled orders, left by a daemon killed with SIGKILL. */
  async function journalWithOrders(n: number): Promise<{ ids: number[]; segment: string }> {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-corrupt-'));
    file = join(dir, 'switchyard.yaml');
    writeFileSync(file, paperConfigText([
      [['daemon', 'api', 'port'], 0],
      [['daemon', 'dataDir'], dir],
      [['daemon', 'api', 'tokenFile'], join(dir, 'token')],
    ], { workers: false }));
    const { d, api } = await start();
    const ids: number[] = [];
    for (let i = 0; i < n; i++) {
      const r = await api.post('/v1/orders', { strategy: 'momentum', symbol: 'ETH-USDT', side: 'BUY', type: 'MARKET', quantity: '0.002' }); // about 6 USDT: above minNotional 5
      ids.push(r.body.orderId);
      await api.waitForState(r.body.orderId, 'FILLED');
    }
    d.signal('SIGKILL');
    await d.waitForExit(10_000);
    running.splice(running.indexOf(d), 1);
    const journal = join(dir, 'journal');
    const segment = join(journal, readdirSync(journal).filter((f) => f.endsWith('.log')).sort().at(-1)!);
    return { ids, segment };
  }

  it('a torn tail is cut and reported; every order before it comes back', async () => {
    const { ids, segment } = await journalWithOrders(5);
    // Append half a record: what a crash in the middle of a write leaves.
    writeFileSync(segment, Buffer.concat([readFileSync(segment), Buffer.from([0x2a, 0, 0, 0x80, 2, 9, 9])]));
    expect(runCli(['journal', 'verify', join(dir, 'journal')]).status).toBe(1);
    const { d, api } = await start();
    for (const id of ids) expect((await api.get(`/v1/orders/${id}`)).body.state).toBe('FILLED');
    const replayed = await d.waitForLog((l) => l.msg === 'journal replayed') as { cut: { kind: string; bytes: number } | null };
    expect(replayed.cut).toMatchObject({ kind: 'torn_tail', bytes: 7 });
  });

  it('a truncated last record is cut: the orders before it stay, nothing after it is invented', async () => {
    const { ids, segment } = await journalWithOrders(3);
    truncateSync(segment, statSync(segment).size - 3);
    const { api } = await start();
    const states = await Promise.all(ids.map(async (id) => (await api.get(`/v1/orders/${id}`)).body.state));
    // The last record was the last order's final update (its fill or the ack before it): that order is still known.
    expect(states.slice(0, 2)).toEqual(['FILLED', 'FILLED']);
    expect(states[2]).toBeDefined();
  });

  it('a flipped bit in the middle is corruption: the daemon does not start, verify names it', async () => {
    const { segment } = await journalWithOrders(4);
    const bytes = readFileSync(segment);
    bytes[Math.floor(bytes.length / 3)]! ^= 0x10;
    writeFileSync(segment, bytes);
    const v = runCli(['journal', 'verify', join(dir, 'journal')]);
    expect(v.status).toBe(2);
    const d = DaemonProcess.start(file, { ...childEnv(), SWITCHYARD_API_TOKEN: TOKEN });
    running.push(d);
    const exit = await d.waitForExit(20_000);
    expect(exit.code).toBe(1);
    expect(d.stderrLines.join('\n')).toContain('JOURNAL_CORRUPT');
  });
});
