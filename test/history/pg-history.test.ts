/**
 * The trade history in PostgreSQL (the server on 127.0.0.1:5432; CI starts it, see .ci/run). The daemon side talks
 * to it through a TCP proxy on 127.0.0.1 that the test closes mid-run — connections cut, new ones refused — and
 * opens again: the shared server itself is never stopped. Every fill must be in the table exactly once afterwards.
 * Each run uses tables of its own (a unique prefix), dropped at the end.
 */
import net from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillsQuery } from '../../src/history/fills-query.js';
import { PgHistoryStore } from '../../src/history/pg-store.js';
import { waitFor } from '../helpers/poll.js';
import { allFills, expectExactlyOnce, historyRig, key } from './rig.js';

const PG = { host: '127.0.0.1', port: 5432, database: 'test', user: 'postgres' };

/** A TCP proxy in front of the PostgreSQL server: down() cuts every connection and refuses new ones. */
class TcpProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  async up(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(PG.port, PG.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const prefix = `hist_t${process.pid}_${Math.floor(Math.random() * 1e9).toString(36)}_`;
let admin: pg.Client;

beforeAll(async () => {
  admin = new pg.Client({ ...PG, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
    await admin.query('SELECT 1');
  } catch (err) {
    throw new Error(`PostgreSQL is not answering on ${PG.host}:${PG.port} (database ${PG.database}, user ${PG.user}): ${String(err)}. `
      + 'Start it (.ci/run does): pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start');
  }
}, 10_000);

afterAll(async () => {
  if (admin === undefined) return;
  for (const t of ['fills', 'orders', 'state']) await admin.query(`DROP TABLE IF EXISTS ${prefix}${t}`).catch(() => undefined);
  await admin.end().catch(() => undefined);
}, 10_000);

describe('trade history, PostgreSQL', () => {
  it('PostgreSQL unreachable mid-run (a proxy cut and refusing), then back: every fill in the table exactly once', async () => {
    const proxy = new TcpProxy();
    await proxy.up();
    const store = new PgHistoryStore({
      url: `postgres://${PG.user}@127.0.0.1:${proxy.port}/${PG.database}`, tablePrefix: prefix, connectTimeoutMs: 500, queryTimeoutMs: 3000,
    });
    const r = await historyRig({ store, snapshotEvery: 60, segmentBytes: 2048, batchRows: 50 });
    try {
      for (let i = 0; i < 30; i++) await r.tradeOne(i % 3, { priceTicks: 6_000_000 + i });
      await r.caughtUp();
      const stored = Number((await admin.query(`SELECT count(*) AS n FROM ${prefix}fills`)).rows[0].n);
      expect(stored).toBe(60);
      // the server becomes unreachable while fills go on
      await proxy.down();
      const held = r.writer.watermark;
      for (let i = 0; i < 90; i++) await r.tradeOne(i % 3, { priceTicks: 6_000_100 + i });
      await waitFor(() => !r.writer.status().up, { timeoutMs: 10_000, what: 'the writer sees PostgreSQL down' });
      await waitFor(() => r.snapshotsSeen() >= 4, { what: 'snapshots while PostgreSQL is down' });
      expect(r.firstSeq()).toBeLessThanOrEqual(held + 1); // the journal kept what the history has not stored
      expect(Number((await admin.query(`SELECT count(*) AS n FROM ${prefix}fills`)).rows[0].n)).toBeLessThan(240);
      // back: the history catches up from the journal, and goes on live
      await proxy.up();
      await r.caughtUp(20_000);
      for (let i = 0; i < 30; i++) await r.tradeOne(i % 3, { priceTicks: 6_000_200 + i });
      await r.caughtUp(20_000);
      expect(r.made).toHaveLength(300);
      const rows = (await admin.query<{ order_id: string; venue: string; trade_id: string; n: string }>(
        `SELECT order_id, venue, trade_id, count(*) AS n FROM ${prefix}fills GROUP BY 1, 2, 3`)).rows;
      expect(rows.filter((x) => x.n !== '1')).toEqual([]);
      expect(rows.map((x) => key({ orderId: Number(x.order_id), venue: x.venue, tradeId: x.trade_id })).sort()).toEqual(r.made.map(key).sort());
      // and as the API reads them: terms exact, pages by cursor
      expectExactlyOnce(await allFills(store, {}, 64), r.made);
      const page = await fillsQuery(store, new URLSearchParams(`venue=b&limit=5&from=${r.made[0]!.ts}`), { pageSizeMax: 5 });
      expect(page.status).toBe(200);
      const body = page.body as { fills: { venue: string; price: string }[]; nextCursor: string | null };
      expect(body.fills.map((f) => f.venue)).toEqual(['b', 'b', 'b', 'b', 'b']);
      expect(body.fills[0]!.price).toBe('60000.01');
      expect(body.nextCursor).not.toBeNull();
      // every order's final state, once
      const orders = (await admin.query<{ n: string; d: string }>(`SELECT count(*) AS n, count(DISTINCT order_id) AS d FROM ${prefix}orders WHERE state = 'FILLED'`)).rows[0]!;
      expect([orders.n, orders.d]).toEqual(['150', '150']);
      // the store down for a query: 503 HISTORY_UNAVAILABLE
      await proxy.down();
      const down = await fillsQuery(store, new URLSearchParams('limit=1'), { pageSizeMax: 5 });
      expect(down).toMatchObject({ status: 503, body: { error: { code: 'HISTORY_UNAVAILABLE', retryable: true } } });
    } finally {
      await proxy.down();
      await r.close();
    }
  }, 90_000);
});
