/**
 * The history in PostgreSQL (node-postgres, `pg`). Three tables, created when missing (`<prefix>` is the configured
 * table prefix, `switchyard_` by default):
 *
 *   <prefix>fills   one row per venue fill: seq (journal seq, primary key), ts, order id, parent order id, client
 *                   order id, strategy, symbol, side, venue, trade id, price, qty, fee (numeric: exact decimals; null
 *                   when the venue gave none),
 *                   fee currency, fee estimated, liquidity, venue ts; unique (venue, trade id, order id) too;
 *                   index (ts, seq) for time ranges and the (ts, seq) keyset pages of GET /v1/fills
 *   <prefix>orders  one row per final state: seq (primary key), ts, order id, ... (see OrderRow); index (order id)
 *   <prefix>state   one row: the watermark
 *
 * A write is one transaction: multi-row INSERT ... ON CONFLICT DO NOTHING per table, then the watermark raised
 * (GREATEST: never lowered). Credentials never appear in the configuration: the password comes from an env
 * reference (`password: ${NAME}`, redacted) or libpq's PGPASSWORD; a url with a password in it is refused by the
 * configuration check. Every connection has a connect timeout and a query timeout, so a server that stops
 * answering fails a write (the writer then catches up later) instead of hanging it.
 */
import pg from 'pg';
import type { FillRow, HistoryRow, OrderRow } from './history-record.js';
import type { FillCursor, FillFilter, HistoryStore } from './history-store.js';

export interface PgStoreOptions {
  /** A connection url (without a password), or the parts. */
  readonly url?: string;
  readonly host?: string;
  readonly port?: number;
  readonly database?: string;
  readonly user?: string;
  readonly password?: string;
  /** Table name prefix: letters, digits and _, starting with a letter or _. */
  readonly tablePrefix: string;
  readonly connectTimeoutMs?: number;
  readonly queryTimeoutMs?: number;
}

/** A fee that is not a plain decimal (a venue's odd text) is stored as null rather than failing the batch. */
const DECIMAL_RE = /^-?\d+(\.\d+)?$/;
const PREFIX_RE = /^[A-Za-z_][A-Za-z0-9_]{0,40}$/;
const FILL_COLS = [
  'seq', 'ts', 'order_id', 'parent_order_id', 'client_order_id', 'strategy', 'symbol', 'side', 'venue', 'trade_id', 'price', 'qty', 'fee',
  'fee_currency', 'fee_estimated', 'liquidity', 'venue_ts',
] as const;
const ORDER_COLS = [
  'seq', 'ts', 'order_id', 'parent_order_id', 'client_order_id', 'strategy', 'symbol', 'side', 'type', 'time_in_force', 'price', 'stop_price',
  'quantity', 'filled_qty', 'avg_price', 'state', 'venue', 'venue_order_id', 'reason', 'route', 'created_at',
] as const;
/** Rows per INSERT statement (parameters stay far below PostgreSQL's 65535). */
const ROWS_PER_INSERT = 500;

export class PgHistoryStore implements HistoryStore {
  readonly kind = 'postgres';
  private pool: pg.Pool | null = null;
  private readonly t: { fills: string; orders: string; state: string };
  /** The last error an idle connection reported (the pool must not throw it). */
  lastIdleError: Error | null = null;

  constructor(private readonly o: PgStoreOptions) {
    if (!PREFIX_RE.test(o.tablePrefix)) throw new RangeError(`history table prefix "${o.tablePrefix}": letters, digits and _ only`);
    const p = o.tablePrefix.toLowerCase();
    this.t = { fills: `${p}fills`, orders: `${p}orders`, state: `${p}state` };
  }

  get where(): string {
    if (this.o.url !== undefined) {
      try {
        const u = new URL(this.o.url);
        return `postgres://${u.host}${u.pathname}`;
      } catch {
        return 'postgres (url)';
      }
    }
    return `postgres://${this.o.host ?? 'localhost'}:${this.o.port ?? 5432}/${this.o.database ?? ''}`;
  }

  /** The tables' names (tests drop them). */
  get tables(): { readonly fills: string; readonly orders: string; readonly state: string } {
    return this.t;
  }

  private getPool(): pg.Pool {
    if (this.pool === null) {
      const o = this.o;
      const pool = new pg.Pool({
        ...(o.url !== undefined ? { connectionString: o.url } : {}),
        ...(o.host !== undefined ? { host: o.host } : {}),
        ...(o.port !== undefined ? { port: o.port } : {}),
        ...(o.database !== undefined ? { database: o.database } : {}),
        ...(o.user !== undefined ? { user: o.user } : {}),
        ...(o.password !== undefined ? { password: o.password } : {}),
        max: 2,
        connectionTimeoutMillis: o.connectTimeoutMs ?? 3000,
        query_timeout: o.queryTimeoutMs ?? 15000,
        idleTimeoutMillis: 10000,
        // idle connections do not keep a stopping process (or the export CLI) alive
        allowExitOnIdle: true,
      });
      // a connection that breaks while idle: the next query gets a fresh one (must be handled, or it throws)
      pool.on('error', (err) => {
        this.lastIdleError = err;
      });
      this.pool = pool;
    }
    return this.pool;
  }

  async open(readOnly = false): Promise<void> {
    const { fills, orders, state } = this.t;
    const c = await this.getPool().connect();
    if (readOnly) {
      c.release();
      return;
    }
    try {
      await c.query('BEGIN');
      // one creator at a time (two daemons, or the CLI, starting on an empty database)
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [fills]);
      await c.query(`CREATE TABLE IF NOT EXISTS ${fills} (
        seq bigint PRIMARY KEY, ts bigint NOT NULL, order_id bigint NOT NULL, parent_order_id bigint, client_order_id text NOT NULL,
        strategy text NOT NULL, symbol text NOT NULL, side text NOT NULL, venue text NOT NULL, trade_id text NOT NULL,
        price numeric NOT NULL, qty numeric NOT NULL, fee numeric, fee_currency text NOT NULL, fee_estimated boolean NOT NULL,
        liquidity text NOT NULL, venue_ts bigint, UNIQUE (venue, trade_id, order_id))`);
      await c.query(`CREATE INDEX IF NOT EXISTS ${fills}_ts ON ${fills} (ts, seq)`);
      await c.query(`CREATE TABLE IF NOT EXISTS ${orders} (
        seq bigint PRIMARY KEY, ts bigint NOT NULL, order_id bigint NOT NULL, parent_order_id bigint, client_order_id text NOT NULL,
        strategy text NOT NULL, symbol text NOT NULL, side text NOT NULL, type text NOT NULL, time_in_force text NOT NULL, price numeric,
        stop_price numeric, quantity numeric NOT NULL, filled_qty numeric NOT NULL, avg_price numeric, state text NOT NULL, venue text,
        venue_order_id text, reason text, route text NOT NULL, created_at bigint NOT NULL)`);
      await c.query(`CREATE INDEX IF NOT EXISTS ${orders}_order ON ${orders} (order_id)`);
      await c.query(`CREATE TABLE IF NOT EXISTS ${state} (id smallint PRIMARY KEY CHECK (id = 1), watermark bigint NOT NULL)`);
      await c.query(`INSERT INTO ${state} (id, watermark) VALUES (1, 0) ON CONFLICT DO NOTHING`);
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      c.release(true);
      throw err;
    }
    c.release();
  }

  async watermark(): Promise<number> {
    const r = await this.getPool().query<{ watermark: string }>(`SELECT watermark FROM ${this.t.state} WHERE id = 1`);
    return r.rows.length === 0 ? 0 : Number(r.rows[0]!.watermark);
  }

  async write(rows: readonly HistoryRow[], watermark: number): Promise<void> {
    const fillRows: unknown[][] = [];
    const orderRows: unknown[][] = [];
    for (const r of rows) {
      if (r.kind === 'fill') fillRows.push(fillValues(r));
      else orderRows.push(orderValues(r));
    }
    const c = await this.getPool().connect();
    let broken = false;
    try {
      await c.query('BEGIN');
      await insertMany(c, this.t.fills, FILL_COLS, fillRows);
      await insertMany(c, this.t.orders, ORDER_COLS, orderRows);
      await c.query(`UPDATE ${this.t.state} SET watermark = GREATEST(watermark, $1) WHERE id = 1`, [watermark]);
      await c.query('COMMIT');
    } catch (err) {
      broken = true;
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release(broken);
    }
  }

  async fills(filter: FillFilter, after: FillCursor | null, limit: number): Promise<FillRow[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const arg = (v: unknown): string => {
      args.push(v);
      return `$${args.length}`;
    };
    if (filter.from !== undefined) where.push(`ts >= ${arg(filter.from)}`);
    if (filter.to !== undefined) where.push(`ts < ${arg(filter.to)}`);
    if (after !== null) where.push(`(ts, seq) > (${arg(after.ts)}, ${arg(after.seq)})`);
    if (filter.strategies !== undefined && filter.strategies.length > 0) where.push(`strategy = ANY(${arg(filter.strategies)})`);
    if (filter.symbols !== undefined && filter.symbols.length > 0) where.push(`symbol = ANY(${arg(filter.symbols)})`);
    if (filter.venues !== undefined && filter.venues.length > 0) where.push(`venue = ANY(${arg(filter.venues)})`);
    const sql = `SELECT ${FILL_COLS.map((c) => `${c}::text AS ${c}`).join(', ')} FROM ${this.t.fills}`
      + (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') + ` ORDER BY ts, seq LIMIT ${arg(limit)}`;
    const r = await this.getPool().query<Record<(typeof FILL_COLS)[number], string | null>>(sql, args);
    return r.rows.map((x) => ({
      kind: 'fill', seq: Number(x.seq), ts: Number(x.ts), orderId: Number(x.order_id), parentOrderId: x.parent_order_id === null ? null : Number(x.parent_order_id),
      clientOrderId: x.client_order_id!, strategy: x.strategy!, symbol: x.symbol!, side: x.side!, venue: x.venue!, tradeId: x.trade_id!,
      price: x.price!, qty: x.qty!, fee: x.fee ?? '', feeCurrency: x.fee_currency!, feeEstimated: x.fee_estimated === 'true', liquidity: x.liquidity!,
      venueTs: x.venue_ts === null ? null : Number(x.venue_ts),
    }));
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    await pool?.end();
  }
}

function fillValues(f: FillRow): unknown[] {
  return [f.seq, f.ts, f.orderId, f.parentOrderId, f.clientOrderId, f.strategy, f.symbol, f.side, f.venue, f.tradeId, f.price, f.qty,
    DECIMAL_RE.test(f.fee) ? f.fee : null, f.feeCurrency, f.feeEstimated, f.liquidity, f.venueTs];
}

function orderValues(o: OrderRow): unknown[] {
  return [o.seq, o.ts, o.orderId, o.parentOrderId, o.clientOrderId, o.strategy, o.symbol, o.side, o.type, o.timeInForce, o.price, o.stopPrice,
    o.quantity, o.filledQty, o.avgPrice, o.state, o.venue, o.venueOrderId, o.reason, o.route, o.createdAt];
}

async function insertMany(c: pg.PoolClient, table: string, cols: readonly string[], rows: readonly unknown[][]): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    const chunk = rows.slice(i, i + ROWS_PER_INSERT);
    const args: unknown[] = [];
    const tuples = chunk.map((row) => `(${row.map((v) => {
      args.push(v);
      return `$${args.length}`;
    }).join(', ')})`);
    await c.query(`INSERT INTO ${table} (${cols.join(', ')}) VALUES ${tuples.join(', ')} ON CONFLICT DO NOTHING`, args);
  }
}
