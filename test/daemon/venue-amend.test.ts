/**
 * Amends reach an exchange venue through the daemon: an in-process daemon on config/local-venues.yaml against the
 * local fake Binance and OKX (ccxt adapters, journal on). Every exchange venue is wrapped in a RestartingVenue (its
 * start is retried); the wrapper must pass amends on to an adapter that amends, or every PATCH /v1/orders/:id of an
 * order on an exchange is refused ORDER_NOT_AMENDABLE ("which has no amend"), as it was.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseConfigText } from '../../src/config/index.js';
import { createDaemon, type Daemon } from '../../src/daemon.js';
import { discardLogs, TEST_TOKEN } from '../helpers/daemon.js';
import { ApiClient } from '../helpers/http.js';
import { repoPath } from '../helpers/repo.js';
import { localVenuesEnv, startFakeVenues, type FakeVenues } from '../venues/index.js';

let fakes: FakeVenues;
let daemon: Daemon;
let api: ApiClient;
let dir: string;

beforeAll(async () => {
  fakes = await startFakeVenues();
  dir = mkdtempSync(join(tmpdir(), 'switchyard-venue-amend-'));
  const env = { SWITCHYARD_API_TOKEN: TEST_TOKEN, SWITCHYARD_DATA_DIR: dir, ...localVenuesEnv(fakes) };
  const doc = parseDocument(readFileSync(repoPath('config/local-venues.yaml'), 'utf8'));
  const r = parseConfigText(doc.toString(), 'local-venues.yaml', env);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  daemon = createDaemon(r.config, { env, logDestination: discardLogs(), baseDir: dir });
  const { port } = await daemon.start();
  api = new ApiClient(`http://127.0.0.1:${port}`, TEST_TOKEN);
}, 60_000);

afterAll(async () => {
  await daemon?.stop('test finished');
  await fakes?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

/** An ETH-USDT buy well below the fakes' ladder (around 3000): it rests. */
const resting = (venue: string) => ({ strategy: 'itest', symbol: 'ETH-USDT', side: 'BUY', price: '2500', quantity: '0.01', venue });

describe('amend on an exchange venue (through its RestartingVenue)', () => {
  test.each(['local-okx', 'local-binance'])('%s: a resting order is amended at the exchange, new price and quantity', async (venue) => {
    const r = await api.post('/v1/orders', resting(venue));
    expect(r.status).toBe(201);
    const id = r.body.orderId as number;
    await api.waitForState(id, 'ACCEPTED', 10_000);
    const a = await api.request('PATCH', `/v1/orders/${id}?by=id`, { body: { price: '2501', quantity: '0.02' } });
    expect([200, 202], JSON.stringify(a.body)).toContain(a.status);
    const amended = await api.waitForState(id, 'ACCEPTED', 10_000);
    expect(amended).toMatchObject({ price: '2501.00', quantity: '0.0200', venue });
    // the exchange holds one live order for it, in the new terms (OKX amends in place; Binance cancel-replaces)
    const live = (venue === 'local-okx' ? fakes.okx.orders() : fakes.binance.orders())
      .filter((o) => o.symbol === 'ETH-USDT' && (o.status === 'NEW' || o.status === 'PARTIALLY_FILLED'));
    expect(live.map((o) => [String(o.price), String(o.qty)])).toEqual([['2501', '0.02']]);
    expect((await api.delete(`/v1/orders/${id}?by=id`)).status).toBe(202);
    await api.waitForState(id, 'CANCELED', 10_000);
  });
});
