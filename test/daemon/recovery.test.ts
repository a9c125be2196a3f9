/**
 * Durability against the real daemon process: kill -9 at a chosen moment, restart on the same journal, and check
 * what came back. (The randomised 20-kill crash test against the fake venues is test/crash.)
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { childEnv, DaemonProcess, ensureBuilt, runCli } from '../helpers/daemon-process.js';
import { ApiClient } from '../helpers/http.js';
import { StreamClient } from '../helpers/ws-client.js';
import { paperConfigText, type YamlEdit } from '../helpers/repo.js';

const TOKEN = 'recovery-test-token-0123456789abcdef';

/** A decimal text as an exact fraction [numerator, denominator]. */
function fraction(text: string): [bigint, bigint] {
  const [whole, frac = ''] = text.split('.');
  return [BigInt(whole + frac), 10n ** BigInt(frac.length)];
}

/** The exact volume-weighted average price of fills, as a fraction (computed here, not by the daemon). */
function averagePrice(fills: readonly { price: string; qty: string }[]): [bigint, bigint] {
  let [notional, notionalDen] = [0n, 1n];
  let [qty, qtyDen] = [0n, 1n];
  for (const f of fills) {
    const [p, pd] = fraction(f.price);
    const [q, qd] = fraction(f.qty);
    [notional, notionalDen] = [notional * pd * qd + p * q * notionalDen, notionalDen * pd * qd];
    [qty, qtyDen] = [qty * qd + q * qtyDen, qtyDen * qd];
  }
  return [notional * qtyDen, notionalDen * qty];
}

describe('recovery after kill -9 (real daemon process)', () => {
  let dir: string;
  let file: string;
  const running: DaemonProcess[] = [];

  beforeAll(() => ensureBuilt());

  afterEach(async () => {
    for (const d of running.splice(0)) await d.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  function setup(edits: readonly YamlEdit[] = []): void {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-recovery-'));
    file = join(dir, 'switchyard.yaml');
    writeFileSync(file, paperConfigText([
      [['daemon', 'api', 'port'], 0],
      [['daemon', 'dataDir'], dir],
      [['daemon', 'api', 'tokenFile'], join(dir, 'token')],
      ...edits,
    ], { workers: false }));
  }

  async function start(): Promise<{ d: DaemonProcess; api: ApiClient; stream: string }> {
    const d = DaemonProcess.start(file, { ...childEnv(), SWITCHYARD_API_TOKEN: TOKEN });
    running.push(d);
    const { host, port } = await d.listening();
    return { d, api: new ApiClient(`http://${host}:${port}`, TOKEN), stream: `ws://${host}:${port}/v1/stream` };
  }

  async function crash(d: DaemonProcess): Promise<void> {
    d.signal('SIGKILL');
    await d.waitForExit(10_000);
  }

  it('every order a client got an id for survives; filled stays filled; what the paper venue lost is reconciled', async () => {
    // A long crossing window for `manual`, so its order is still in the crossing book when the daemon dies.
    setup([[['strategies', 2, 'crossing', 'windowMs'], 60_000]]);
    let { d, api, stream } = await start();
    // The fills as the venue made them, from the event stream: the average price the recovered order must show.
    const events = await StreamClient.connect(stream, TOKEN);
    const quantity = '0.01';
    const filled = await api.post('/v1/orders', { strategy: 'momentum', symbol: 'BTC-USDT', side: 'BUY', type: 'MARKET', quantity });
    expect(filled.status).toBe(201);
    await api.waitForState(filled.body.orderId, 'FILLED');
    await events.next((m) => m.type === 'event' && m.orderId === filled.body.orderId && m.state === 'FILLED', 10_000, 'the FILLED event');
    const fills = events.events().filter((m) => m.orderId === filled.body.orderId && m.fill !== undefined).map((m) => m.fill);
    await events.close();
    expect(fills.length).toBeGreaterThan(0);
    const [fillsQty, fillsQtyDen] = fills.reduce(([n, den]: [bigint, bigint], f: { qty: string }) => {
      const [q, qd] = fraction(f.qty);
      return [n * qd + q * den, den * qd];
    }, [0n, 1n]);
    const [orderQty, orderQtyDen] = fraction(quantity);
    expect(fillsQty * orderQtyDen).toBe(orderQty * fillsQtyDen); // the fills make up the whole order
    const [avgNum, avgDen] = averagePrice(fills);
    const resting = await api.post('/v1/orders', { strategy: 'momentum', symbol: 'BTC-USDT', side: 'BUY', price: '40000', quantity: '0.01' });
    expect(resting.status).toBe(201);
    await api.waitForState(resting.body.orderId, 'ACCEPTED');
    const crossing = await api.post('/v1/orders', { strategy: 'manual', symbol: 'SOL-USDT', side: 'BUY', price: '140', quantity: '2' });
    expect(crossing.body).toMatchObject({ venue: 'internal', state: 'SUBMITTED' });
    await crash(d);

    ({ d, api } = await start());
    const f = await api.get(`/v1/orders/${filled.body.orderId}`);
    expect(f.body).toMatchObject({ state: 'FILLED', filledQty: '0.01000' });
    // Exact: the filled quantity is a power of ten, so the average has few decimals, fewer than the API shows.
    expect(typeof f.body.avgPrice).toBe('string');
    const [shownNum, shownDen] = fraction(f.body.avgPrice);
    expect(shownNum * avgDen, `avgPrice ${f.body.avgPrice} from fills ${JSON.stringify(fills)}`).toBe(avgNum * shownDen);
    // The paper venue is simulated in the daemon's process: its book died with it. Reconciliation finds the resting
    // order gone there and says so, instead of believing it is still working.
    const r = await api.get(`/v1/orders/${resting.body.orderId}`);
    expect(r.body).toMatchObject({ state: 'CANCELED', reason: 'not found at the venue on reconciliation' });
    // The order that was resting in the crossing book is back in it, and crosses with a new opposite order.
    expect((await api.get(`/v1/orders/${crossing.body.orderId}`)).body).toMatchObject({ venue: 'internal', state: 'SUBMITTED' });
    const sell = await api.post('/v1/orders', { strategy: 'market-maker', symbol: 'SOL-USDT', side: 'SELL', price: '139', quantity: '2' });
    expect(sell.body).toMatchObject({ state: 'FILLED', venue: 'internal' });
    expect((await api.get(`/v1/orders/${crossing.body.orderId}`)).body).toMatchObject({ state: 'FILLED', avgPrice: '140' });
    // New ids continue after the recovered ones.
    expect(sell.body.orderId).toBeGreaterThan(crossing.body.orderId);
    const replayed = await d.waitForLog((l) => l.msg === 'journal replayed') as { replay: { orders: number; refused: number } };
    expect(replayed.replay).toMatchObject({ orders: 3, refused: 0 });
  });

  it('snapshots bound what a restart reads: older segments go, the state comes back whole', async () => {
    setup([[['daemon', 'journal', 'snapshotEvery'], 1000]]);
    let { d, api } = await start();
    const ids: number[] = [];
    for (let i = 0; i < 300; i++) {
      const r = await api.post('/v1/orders', { strategy: 'manual', symbol: 'ETH-USDT', side: i % 2 === 0 ? 'BUY' : 'SELL', type: 'MARKET', quantity: '0.002' }); // about 6 USDT: above minNotional 5 at the mark
      expect(r.status).toBe(201);
      ids.push(r.body.orderId);
    }
    for (const id of ids.slice(-5)) await api.waitForState(id, 'FILLED');
    const journalDir = join(dir, 'journal');
    await new Promise((r) => setTimeout(r, 200));
    expect(readdirSync(journalDir).some((f) => f.endsWith('.snap'))).toBe(true);
    await crash(d);

    ({ d, api } = await start());
    const all = await api.get('/v1/orders?state=all&limit=1000'); // one page: the 300 orders (the default page is 100)
    expect(all.body.orders.map((o: { orderId: number }) => o.orderId)).toEqual(expect.arrayContaining(ids));
    const states = new Set(all.body.orders.filter((o: { orderId: number }) => ids.includes(o.orderId)).map((o: { state: string }) => o.state));
    expect([...states]).toEqual(['FILLED']);
    const replayed = await d.waitForLog((l) => l.msg === 'journal replayed') as { replay: { snapshotSeq: number | null; records: number } };
    expect(replayed.replay.snapshotSeq).toBeGreaterThan(0);
    expect(replayed.replay.records).toBeLessThan(ids.length * 4);
    // The CLI agrees the journal is sound.
    const v = runCli(['journal', 'verify', journalDir]);
    expect(v.status).toBe(0);
  });

  it('startup policy cancel-older-than: orders older than maxAgeMs are canceled after recovery instead of resumed', async () => {
    setup([
      [['strategies', 2, 'crossing', 'windowMs'], 60_000],
      [['daemon', 'startup', 'policy'], 'cancel-older-than'],
      [['daemon', 'startup', 'maxAgeMs'], 1],
    ]);
    let { d, api } = await start();
    const resting = await api.post('/v1/orders', { strategy: 'manual', symbol: 'SOL-USDT', side: 'BUY', price: '140', quantity: '2' });
    expect(resting.body).toMatchObject({ venue: 'internal', state: 'SUBMITTED' });
    await crash(d);
    ({ d, api } = await start());
    const o = await api.get(`/v1/orders/${resting.body.orderId}`);
    expect(o.body).toMatchObject({ state: 'CANCELED', venue: 'internal' });
  });
});
