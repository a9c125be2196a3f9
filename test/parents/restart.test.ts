/**
 * Parents held by the daemon survive a restart (the real daemon in process, paper venues, the journal on, shutdown
 * policy leave): an emulated STOP and a TRAILING_STOP are held again with their triggers (the trailing one with its
 * best price as recorded), a TWAP goes on with its schedule, an iceberg keeps exactly one shown part.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { configFromText } from '../helpers/repo.js';
import { createDaemon, type Daemon } from '../../src/daemon.js';
import { ApiClient } from '../helpers/http.js';

const TOKEN = 'restart-test-token-0123456789abcdef';
const silent = new Writable({ write: (_c, _e, cb) => cb() });

function paperText(dir: string): string {
  const doc = parseDocument(readFileSync('config/paper.yaml', 'utf8'));
  doc.setIn(['daemon', 'api', 'port'], 0);
  doc.setIn(['daemon', 'dataDir'], dir);
  doc.deleteIn(['daemon', 'api', 'tokenFile']);
  doc.setIn(['daemon', 'shutdown', 'policy'], 'leave');
  const strategies = doc.get('strategies') as { items: { delete(k: string): void }[] };
  for (const s of strategies.items) {
    s.delete('module');
    s.delete('params');
  }
  return doc.toString();
}

async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('parents across a restart', () => {
  let dir: string;
  let daemon: Daemon | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-parents-'));
  });
  afterEach(async () => {
    await daemon?.stop('test finished');
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async (): Promise<ApiClient> => {
    daemon = createDaemon(configFromText(paperText(dir)), { env: { SWITCHYARD_API_TOKEN: TOKEN }, logDestination: silent as never, baseDir: dir });
    const { port } = await daemon.start();
    return new ApiClient(`http://127.0.0.1:${port}`, TOKEN);
  };

  it('stops keep their triggers, a TWAP its schedule, an iceberg its one shown part', async () => {
    let api = await start();
    // a books on both paper venues (they publish their own)
    await until('books', async () => ((await api.get('/v1/books/BTC-USDT')).body.venues as { usable: boolean }[]).every((v) => v.usable) || undefined);
    const post = async (order: Record<string, unknown>): Promise<number> => {
      const r = await api.post('/v1/orders', { strategy: 'manual', symbol: 'BTC-USDT', ...order });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body.orderId as number;
    };
    const stop = await post({ side: 'SELL', type: 'STOP', stopPrice: '30000', quantity: '0.001' });
    const trail = await post({ side: 'SELL', type: 'TRAILING_STOP', trailingOffset: '20000', quantity: '0.001' });
    const twap = await post({ side: 'BUY', type: 'MARKET', quantity: '0.004', algo: { type: 'TWAP', horizonMs: 4000, intervalMs: 1000 } });
    const ice = await post({ side: 'BUY', type: 'LIMIT', price: '50000', quantity: '0.003', algo: { type: 'ICEBERG', displayQuantity: '0.001' } });
    const held = (id: number) => daemon!.path.store.slotOf(id);
    const triggerOf = (id: number) => daemon!.path.stops!.triggerOf(held(id));
    expect(triggerOf(stop)).toBe(3_000_000);
    const trailBefore = triggerOf(trail);
    expect(trailBefore).toBeGreaterThan(3_000_000);
    // the TWAP's first slices
    await until('two TWAP slices', () => (daemon!.path.parents!.children(held(twap)).length >= 2 ? true : undefined));
    const first = daemon!;
    const slicesBefore = first.path.parents!.children(held(twap)).length;
    expect(first.path.parents!.children(held(ice))).toHaveLength(1);
    // let the trailing stop's best price be recorded, then restart on the same journal
    await new Promise((r) => setTimeout(r, 400));
    first.path.stops!.persist();
    const bestBefore = first.path.store.stopTicks[held(trail)]!; // the trailing stop's best price, as recorded
    expect(bestBefore).toBeGreaterThan(0);
    await first.stop('restart');
    daemon = undefined;
    api = await start();

    // stops: held again, same triggers (trailing: at least where it was; it only moves up for a SELL)
    expect(await api.get(`/v1/orders/${stop}`)).toMatchObject({ body: { state: 'ACCEPTED', venue: 'smart', type: 'STOP' } });
    expect(triggerOf(stop)).toBe(3_000_000);
    expect(triggerOf(trail)).toBeGreaterThanOrEqual(trailBefore);
    expect(daemon!.path.store.stopTicks[held(trail)]).toBeGreaterThanOrEqual(bestBefore);
    expect(triggerOf(trail)).toBeGreaterThanOrEqual(bestBefore - 2_000_000);
    // the iceberg: still exactly one shown part, the same one
    const iceParts = daemon!.path.parents!.children(held(ice));
    expect(iceParts).toHaveLength(1);
    // the TWAP goes on with its schedule and ends by its horizon
    const done = await until('the TWAP to end', async () => {
      const o = (await api.get(`/v1/orders/${twap}`)).body;
      return o.state === 'FILLED' || o.state === 'CANCELED' ? o : undefined;
    });
    expect(done.state).toBe('FILLED');
    expect(daemon!.path.parents!.children(held(twap)).length).toBeGreaterThan(slicesBefore);
    expect(done.children.every((c: { parentOrderId: number }) => c.parentOrderId === twap)).toBe(true);
  }, 60_000);
});
