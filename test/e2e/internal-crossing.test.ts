/**
 * Issue acceptance: two strategies send opposite orders inside the crossing window and cross internally with no
 * venue traffic; the residual goes to a paper venue after the window. Against the real daemon process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';

const TOKEN = 'crossing-e2e-token-0123456789abcdef';

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    last = await fn();
    if (last !== undefined) return last as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('internal crossing (real daemon process)', () => {
  let dir: string;
  let child: ChildProcess;
  let base = '';
  let stderr = '';

  async function call(method: string, path: string, body?: unknown): Promise<any> {
    const res = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return path === '/metrics' ? res.text() : res.json();
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-crossing-'));
    const doc = parseDocument(readFileSync('config/paper.yaml', 'utf8'));
    doc.setIn(['daemon', 'api', 'port'], 0);
    doc.setIn(['daemon', 'dataDir'], dir);
    doc.deleteIn(['daemon', 'api', 'tokenFile']);
    // API-only strategies: the orders in this test are the only ones.
    const strategies = doc.get('strategies') as { items: { delete(k: string): void; setIn(p: unknown[], v: unknown): void }[] };
    for (const s of strategies.items) {
      s.delete('module');
      s.delete('params');
      s.setIn(['crossing', 'enabled'], true);
      s.setIn(['crossing', 'windowMs'], 3000); // long enough that a loaded machine's answers come inside it
    }
    const file = join(dir, 'crossing.yaml');
    writeFileSync(file, doc.toString());
    child = spawn(process.execPath, ['dist/src/cli.js', 'start', '-c', file], {
      env: { ...process.env, SWITCHYARD_API_TOKEN: TOKEN },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    base = await until('the daemon to listen', async () => {
      const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(stderr);
      return m?.[1];
    });
  });

  afterAll(async () => {
    if (child.exitCode === null) {
      child.kill('SIGINT');
      await new Promise((r) => child.once('exit', r));
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('opposite orders of two strategies cross internally; the rest goes to a paper venue after the window', async () => {
    const buy = await call('POST', '/v1/orders', { strategy: 'manual', symbol: 'ETH-USDT', side: 'BUY', price: '2990', quantity: '0.5' });
    expect(buy.venue).toBe('internal');
    expect(buy.state).toBe('SUBMITTED');
    const sell = await call('POST', '/v1/orders', { strategy: 'momentum', symbol: 'ETH-USDT', side: 'SELL', price: '2980', quantity: '0.2' });

    // The sell crossed the resting buy at the buy's price, inside the window, with no venue involved.
    expect(sell).toMatchObject({ state: 'FILLED', venue: 'internal', filledQty: '0.2000', avgPrice: '2990' });
    const buyNow = await call('GET', `/v1/orders/${buy.orderId}`);
    expect(buyNow).toMatchObject({ state: 'PARTIALLY_FILLED', venue: 'internal', filledQty: '0.2000' });
    let metrics: string = await call('GET', '/metrics');
    expect(metrics).not.toMatch(/switchyard_orders_total\{state="SUBMITTED",venue="sim-/);
    expect(metrics).toMatch(/switchyard_crossed_volume_total\{symbol="ETH-USDT"\} 0\.2/);
    expect(metrics).toMatch(/switchyard_crossing_fees_saved_total\{symbol="ETH-USDT"\} [0-9.]+/);
    expect(metrics).toMatch(/switchyard_fills_total\{venue="internal",liquidity="MAKER"\} 1/);
    expect(metrics).toMatch(/switchyard_fills_total\{venue="internal",liquidity="TAKER"\} 1/);

    // After the 3 s window the rest (0.3) leaves the crossing book for a paper venue and rests there.
    const routed = await until('the residual to reach a venue', async () => {
      const o = await call('GET', `/v1/orders/${buy.orderId}`);
      return o.venue !== 'internal' && o.venueOrderId !== null ? o : undefined;
    });
    expect(['sim-a', 'sim-b']).toContain(routed.venue);
    expect(routed).toMatchObject({ state: 'PARTIALLY_FILLED', filledQty: '0.2000' });
    metrics = await call('GET', '/metrics');
    expect(metrics).toMatch(new RegExp(`switchyard_orders_total\\{state="PARTIALLY_FILLED",venue="${routed.venue}",strategy="manual"\\} 1`));

    // Canceling it now goes to the venue that holds it.
    const canceled = await call('DELETE', `/v1/orders/${buy.orderId}`);
    expect(canceled.state).toBe('PENDING_CANCEL');
    await until('the cancel', async () => ((await call('GET', `/v1/orders/${buy.orderId}`)).state === 'CANCELED' ? true : undefined));
  });

  it('an order canceled while in the crossing book never reaches a venue', async () => {
    const o = await call('POST', '/v1/orders', { strategy: 'manual', symbol: 'SOL-USDT', side: 'BUY', price: '100', quantity: '1' });
    expect(o.venue).toBe('internal');
    const c = await call('DELETE', `/v1/orders/${o.orderId}`);
    expect(c).toMatchObject({ state: 'CANCELED', venue: 'internal' });
    const metrics: string = await call('GET', '/metrics');
    expect(metrics).not.toMatch(/switchyard_orders_total\{state="[A-Z_]+",venue="sim-a",strategy="manual"\} 2/);
  });
});
