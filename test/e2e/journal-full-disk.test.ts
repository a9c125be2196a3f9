/**
 * A REAL full disk under the real daemon process: its journal on a small tmpfs, orders until the disk is full.
 * The process stays up, /health says the journal failed, new orders get JOURNAL_IO, SIGTERM still exits cleanly,
 * and every order acknowledged with an id is still there after a restart (once there is room again).
 *
 * Needs `mount -t tmpfs` (root; the CI runs as root). Where mount is refused the test is skipped and says why.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childEnv, DaemonProcess, ensureBuilt } from '../helpers/daemon-process.js';
import { ApiClient } from '../helpers/http.js';
import { pollUntil } from '../helpers/poll.js';
import { paperConfigText } from '../helpers/repo.js';

const TOKEN = 'full-disk-test-token-0123456789abcdef';
const TMPFS_BYTES = 2 * 1024 * 1024;
/** Room left for the journal: the rest of the tmpfs is taken by a filler file (the disk fills in seconds). */
const FREE_BYTES = 192 * 1024;
/** Orders in flight at a time while filling the disk. */
const CONCURRENCY = 8;
/** Upper bound on orders sent: far more than FREE_BYTES can hold (each order takes several records). */
const MAX_ORDERS = 20_000;

describe('journal on a full disk (real daemon process, real tmpfs)', () => {
  let dir = '';
  let mountPoint = '';
  let mounted = false;
  let skipReason: string | undefined;
  const running: DaemonProcess[] = [];

  beforeAll(() => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'switchyard-full-disk-'));
    mountPoint = join(dir, 'disk');
    mkdirSync(mountPoint);
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_BYTES}`, 'tmpfs', mountPoint], { encoding: 'utf8', timeout: 10_000 });
    if (r.status === 0) mounted = true;
    else {
      skipReason = `mount -t tmpfs refused (status ${r.status}${r.error ? `, ${r.error.message}` : ''}): ${(r.stderr ?? '').trim()}`;
      console.warn(`journal-full-disk: SKIPPED, ${skipReason}`);
    }
  });

  afterAll(async () => {
    for (const d of running.splice(0)) await d.kill();
    if (mounted) {
      const r = spawnSync('umount', [mountPoint], { encoding: 'utf8', timeout: 10_000 });
      if (r.status !== 0) console.warn(`journal-full-disk: umount ${mountPoint} failed: ${r.stderr}`);
    }
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  async function start(configFile: string): Promise<{ d: DaemonProcess; api: ApiClient }> {
    const d = DaemonProcess.start(configFile, { ...childEnv(), SWITCHYARD_API_TOKEN: TOKEN });
    running.push(d);
    const { host, port } = await d.listening(30_000);
    return { d, api: new ApiClient(`http://${host}:${port}`, TOKEN) };
  }

  it('stays up, reports the failure, refuses with JOURNAL_IO, stops cleanly and loses no acknowledged order', async (ctx) => {
    if (!mounted) {
      console.warn(`journal-full-disk: SKIPPED, ${skipReason ?? 'tmpfs not mounted'}`);
      ctx.skip();
      return;
    }
    const filler = join(mountPoint, 'filler');
    writeFileSync(filler, Buffer.alloc(TMPFS_BYTES - FREE_BYTES));
    const file = join(dir, 'switchyard.yaml');
    writeFileSync(file, paperConfigText([
      [['daemon', 'api', 'port'], 0],
      [['daemon', 'dataDir'], dir],
      [['daemon', 'api', 'tokenFile'], join(dir, 'token')],
      [['daemon', 'journal', 'dir'], join(mountPoint, 'journal')],
    ], { workers: false }));
    const { d, api } = await start(file);

    // Orders until the disk is full: market orders that fill (buy and sell, so no limit is reached).
    const acknowledged: number[] = [];
    const refusals = new Map<string, number>();
    let sent = 0;
    let refused = false;
    const sender = async (): Promise<void> => {
      while (!refused && sent < MAX_ORDERS) {
        const n = sent++;
        const r = await api.post('/v1/orders', {
          strategy: 'momentum', symbol: 'BTC-USDT', side: n % 2 === 0 ? 'BUY' : 'SELL', type: 'MARKET', timeInForce: 'IOC', quantity: '0.001',
          clientOrderId: `fill${n.toString().padStart(24, '0')}`,
        });
        if (r.status === 201) {
          acknowledged.push(r.body.orderId as number);
          continue;
        }
        // Only 201 acknowledges an order. The first refusal ends the run: it must be the full disk's JOURNAL_IO.
        const code = `${r.status} ${String(r.body?.error?.code)}`;
        refusals.set(code, (refusals.get(code) ?? 0) + 1);
        refused = true;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, sender));
    expect(acknowledged.length).toBeGreaterThan(0);
    expect([...refusals.keys()]).toEqual(['500 JOURNAL_IO']);

    // The process stays up and says why it takes no orders.
    const health = await pollUntil(() => api.get('/health'), (h) => h.status === 200 && h.body.status === 'halted', { timeoutMs: 10_000, what: '/health halted' });
    expect(health.body).toMatchObject({ accepting: false, journal: { ok: false, error: { code: 'JOURNAL_IO' } } });
    expect(health.body.journal.error.message).toContain('ENOSPC');
    expect(d.hasExited).toBe(false);
    const again = await api.post('/v1/orders', { strategy: 'momentum', symbol: 'BTC-USDT', side: 'BUY', type: 'MARKET', timeInForce: 'IOC', quantity: '0.001' });
    expect([again.status, again.body.error.code]).toEqual([500, 'JOURNAL_IO']);
    // Queries still answered, the acknowledged orders among them.
    for (const id of acknowledged.slice(-20)) expect((await api.get(`/v1/orders/${id}`)).status).toBe(200);
    expect(d.hasExited).toBe(false);

    // SIGTERM: a clean stop.
    d.signal('SIGTERM');
    expect(await d.waitForExit(30_000)).toEqual({ code: 0, signal: null });
    running.splice(running.indexOf(d), 1);

    // Room again, and a restart: every acknowledged order comes back from the journal.
    rmSync(filler);
    const second = await start(file);
    const missing: number[] = [];
    for (const id of acknowledged) if ((await second.api.get(`/v1/orders/${id}`)).status !== 200) missing.push(id);
    expect(missing).toEqual([]);
    second.d.signal('SIGTERM');
    expect(await second.d.waitForExit(30_000)).toEqual({ code: 0, signal: null });
    running.splice(running.indexOf(second.d), 1);
  }, 180_000);
});
