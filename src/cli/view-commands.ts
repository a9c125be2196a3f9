/**
 * What the daemon holds, for people and scripts:
 *
 *   switchyard positions [--strategy S] [--symbol X] [--venue V]   GET /v1/positions: quantity, cost, PnL per row
 *   switchyard balances                                             GET /v1/balances: expected balances per venue
 *   switchyard status                                               GET /health: a compact summary (no token needed)
 *
 * Each takes -c FILE, --url URL and --json (the API's body as it is). `status` exits 0 when the daemon says "ok"
 * and 4 when it says otherwise ("degraded": a venue not available; "halted": the journal failed), so a script or a
 * monitor can act on it; the reasons are in the summary.
 */
import { runCommand, type CommandContext } from './command.js';
import { EXIT, type CliIo } from './daemon-client.js';
import { durationText, paint, renderTable, stateColour, timeText, type Column } from './tables.js';

export const VIEW_USAGE = `  switchyard positions [--strategy S] [--symbol X] [--venue V]
                                    positions and PnL per strategy, symbol and venue
  switchyard balances               expected balances per venue and currency (and the last venue reading's difference)
  switchyard status                 the daemon at a glance: trading states, venues, journal, history, Redis
                                    (exit 4 when the daemon is degraded or halted)`;

interface PositionRow {
  strategy: string;
  symbol: string;
  venue: string;
  quantity: string;
  averageCost: string | null;
  realisedPnl: string;
  unrealisedPnl: string | null;
  netPnl: string | null;
  fees: Record<string, string>;
  mark: string | null;
  quote: string;
  fills: number;
}

const POSITION_COLUMNS: readonly Column<PositionRow>[] = [
  { header: 'STRATEGY', value: (p) => p.strategy, shrink: true },
  { header: 'SYMBOL', value: (p) => p.symbol },
  { header: 'VENUE', value: (p) => p.venue, shrink: true },
  { header: 'QTY', value: (p) => p.quantity, right: true },
  { header: 'AVG COST', value: (p) => p.averageCost, right: true },
  { header: 'MARK', value: (p) => p.mark, right: true },
  { header: 'REALISED', value: (p) => p.realisedPnl, right: true },
  { header: 'UNREALISED', value: (p) => p.unrealisedPnl, right: true },
  { header: 'NET PNL', value: (p) => p.netPnl, right: true },
  { header: 'QUOTE', value: (p) => p.quote },
  { header: 'FILLS', value: (p) => p.fills, right: true },
  { header: 'FEES', value: (p) => Object.entries(p.fees ?? {}).map(([c, a]) => `${a} ${c}`).join(', '), shrink: true },
];

interface BalanceRow {
  venue: string;
  currency: string;
  total: string;
  free: string;
  source: string;
  lastReconciledAt: number | null;
  difference: string | null;
}

const BALANCE_COLUMNS: readonly Column<BalanceRow>[] = [
  { header: 'VENUE', value: (b) => b.venue, shrink: true },
  { header: 'CURRENCY', value: (b) => b.currency },
  { header: 'TOTAL', value: (b) => b.total, right: true },
  { header: 'FREE', value: (b) => b.free, right: true },
  { header: 'SOURCE', value: (b) => b.source },
  { header: 'RECONCILED', value: (b) => timeText(b.lastReconciledAt) },
  { header: 'DIFFERENCE', value: (b) => b.difference, right: true, colour: (t) => (t === '-' || /^0(\.0*)?$/.test(t) ? undefined : 'yellow') },
];

async function positions(ctx: CommandContext): Promise<number> {
  const q = new URLSearchParams();
  for (const k of ['strategy', 'symbol', 'venue']) {
    const v = ctx.args.values.get(k);
    if (v !== undefined) q.set(k, v);
  }
  const r = await ctx.client.request('GET', `/v1/positions${q.size > 0 ? `?${q.toString()}` : ''}`);
  if (r.status !== 200) return ctx.fail(r);
  if (ctx.args.json) ctx.io.out(JSON.stringify(r.body));
  else {
    const rows = (r.body.positions ?? []) as PositionRow[];
    if (rows.length === 0) ctx.io.out('(no positions)');
    else for (const l of renderTable(POSITION_COLUMNS, rows, ctx.style)) ctx.io.out(l);
  }
  return EXIT.OK;
}

async function balances(ctx: CommandContext): Promise<number> {
  const r = await ctx.client.request('GET', '/v1/balances');
  if (r.status !== 200) return ctx.fail(r);
  if (ctx.args.json) ctx.io.out(JSON.stringify(r.body));
  else {
    const rows = (r.body.balances ?? []) as BalanceRow[];
    if (rows.length === 0) ctx.io.out('(no balances tracked)');
    else for (const l of renderTable(BALANCE_COLUMNS, rows, ctx.style)) ctx.io.out(l);
  }
  return EXIT.OK;
}

interface Health {
  status: string;
  accepting?: boolean;
  name?: string;
  uptimeMs?: number;
  openOrders?: number;
  trading?: { scope: string; name?: string; state: string; reason?: string; since: number }[];
  venues?: { name: string; available: boolean; trading?: boolean; state?: string; reason?: string; lastError?: { code?: string; message?: string } | string; nextAttemptInMs?: number }[];
  journal?: { ok: boolean; lastSeq?: number; durableSeq?: number; [k: string]: unknown } | null;
  stream?: { clients?: number; slowConsumerDisconnects?: number; events?: number };
  history?: Record<string, unknown>;
  redis?: Record<string, unknown>;
  strategies?: {
    id: string; source: string; status?: string; responsive?: boolean; heartbeatAgeMs?: number | null; queueFull?: number; eventsLost?: number; error?: string | null; restarts?: number;
  }[];
}

/** The scalar fields of a part of /health as `key value` pairs (nested parts summarised by their own `ok`/`up`). */
function scalars(part: Record<string, unknown>, skip: readonly string[] = []): string {
  const out: string[] = [];
  for (const [k, v] of Object.entries(part)) {
    if (skip.includes(k) || v === null || v === undefined) continue;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out.push(`${k} ${String(v)}`);
  }
  return out.join(', ');
}

function statusLines(h: Health, ctx: CommandContext): string[] {
  const s = ctx.style;
  const lines: string[] = [];
  const verdict = paint(h.status, h.status === 'ok' ? 'green' : 'red', s);
  const parts = [
    `daemon ${h.name ?? '?'}: ${verdict}`,
    h.accepting === false ? paint('not accepting orders', 'red', s) : 'accepting orders',
    ...(typeof h.uptimeMs === 'number' ? [`up ${durationText(h.uptimeMs)}`] : []),
    ...(typeof h.openOrders === 'number' ? [`${h.openOrders} open order${h.openOrders === 1 ? '' : 's'}`] : []),
  ];
  lines.push(parts.join(', '));
  const states = h.trading ?? [];
  const restricted = states.filter((t) => t.state !== 'ACTIVE');
  lines.push(`trading: ${restricted.length === 0 ? 'all ACTIVE' : restricted.map((t) => {
    const who = t.scope === 'daemon' ? 'daemon' : `${t.scope} ${t.name ?? ''}`;
    return `${who} ${paint(t.state, stateColour(t.state), s)}${t.reason !== undefined ? ` (${t.reason})` : ''}${t.since > 0 ? ` since ${timeText(t.since)}` : ''}`;
  }).join('; ')}`);
  const venues = h.venues ?? [];
  if (venues.length > 0) {
    type V = (typeof venues)[number];
    const columns: Column<V>[] = [
      { header: 'VENUE', value: (v) => v.name },
      { header: 'UP', value: (v) => (v.trading === false ? 'market data' : v.available ? 'yes' : 'no'), colour: (t) => (t === 'no' ? 'red' : t === 'yes' ? 'green' : undefined) },
      { header: 'STATE', value: (v) => v.state },
      {
        header: 'REASON',
        shrink: true,
        value: (v) => {
          const last = typeof v.lastError === 'string' ? v.lastError : v.lastError !== undefined ? `${v.lastError.code ?? ''} ${v.lastError.message ?? ''}`.trim() : '';
          const next = v.nextAttemptInMs !== undefined && !v.available ? ` (retry in ${durationText(v.nextAttemptInMs)})` : '';
          return [v.reason, last].filter((x) => x !== undefined && x !== '').join(': ') + next;
        },
      },
    ];
    lines.push(...renderTable(columns, venues, s).map((l) => `  ${l}`));
  }
  const strategies = h.strategies ?? [];
  if (strategies.length > 0) {
    lines.push(`strategies: ${strategies.map((st) => {
      if (st.source !== 'worker' || st.status === undefined) return `${st.id} (${st.source})`;
      const bad = st.status === 'failed' || (st.status === 'running' && st.responsive === false);
      const state = st.status === 'running' && st.responsive === false
        ? `UNRESPONSIVE${typeof st.heartbeatAgeMs === 'number' ? ` (no heartbeat for ${durationText(st.heartbeatAgeMs)})` : ''}`
        : st.status;
      const facts = [
        (st.status === 'failed' || st.status === 'restarting') && typeof st.error === 'string' ? st.error : undefined,
        (st.restarts ?? 0) > 0 ? `restarted ${st.restarts} time${st.restarts === 1 ? '' : 's'}` : undefined,
        (st.queueFull ?? 0) > 0 ? `${st.queueFull} refused QUEUE_FULL` : undefined,
        (st.eventsLost ?? 0) > 0 ? `${st.eventsLost} events lost` : undefined,
      ].filter((f) => f !== undefined);
      return `${st.id} ${paint(state, bad ? 'red' : st.status === 'running' ? 'green' : 'yellow', s)}${facts.length > 0 ? ` (${facts.join(', ')})` : ''}`;
    }).join(', ')}`);
  }
  if (h.journal === null || h.journal === undefined) lines.push('journal: off');
  else lines.push(`journal: ${h.journal.ok ? paint('ok', 'green', s) : paint('FAILED', 'red', s)}${h.journal.lastSeq !== undefined ? ` (seq ${h.journal.lastSeq}, durable ${h.journal.durableSeq ?? '?'})` : ''}${h.journal.ok ? '' : ` ${scalars(h.journal, ['ok', 'lastSeq', 'durableSeq'])}`}`);
  if (h.history !== undefined) {
    const x = h.history;
    const facts = [
      typeof x.store === 'string' ? String(x.store) : undefined,
      typeof x.mode === 'string' ? String(x.mode) : undefined,
      typeof x.lagRecords === 'number' ? `lag ${x.lagRecords} records${typeof x.lagSeconds === 'number' ? ` / ${x.lagSeconds} s` : ''}` : undefined,
      typeof x.writeErrors === 'number' && x.writeErrors > 0 ? `${x.writeErrors} write errors` : undefined,
      typeof x.lostRecords === 'number' && x.lostRecords > 0 ? paint(`${x.lostRecords} records lost`, 'red', s) : undefined,
      typeof x.lastError === 'string' ? `last error: ${x.lastError}` : undefined,
    ].filter((f) => f !== undefined);
    lines.push(`history: ${x.up === false ? paint('down', 'red', s) : paint('up', 'green', s)}${facts.length > 0 ? ` (${facts.join(', ')})` : ''}`);
  }
  if (h.redis !== undefined) {
    const nested = Object.entries(h.redis)
      .filter(([, v]) => typeof v === 'object' && v !== null && !Array.isArray(v))
      .map(([k, v]) => `${k} (${scalars(v as Record<string, unknown>)})`);
    lines.push(`redis: ${[scalars(h.redis), ...nested].filter((x) => x !== '').join('; ') || 'on'}`);
  }
  if (h.stream !== undefined) lines.push(`event stream: ${h.stream.clients ?? 0} client${h.stream.clients === 1 ? '' : 's'}, ${h.stream.slowConsumerDisconnects ?? 0} slow consumers disconnected, ${h.stream.events ?? 0} events published`);
  return lines;
}

async function status(ctx: CommandContext): Promise<number> {
  const r = await ctx.client.request('GET', '/health', { auth: false });
  if (r.status !== 200) return ctx.fail(r);
  const h = r.body as Health;
  if (ctx.args.json) ctx.io.out(JSON.stringify(h));
  else for (const l of statusLines(h, ctx)) ctx.io.out(l);
  return h.status === 'ok' ? EXIT.OK : EXIT.INCOMPLETE;
}

export const VIEW_COMMANDS = ['positions', 'balances', 'status'] as const;

const SPECS = {
  positions: { values: ['strategy', 'symbol', 'venue'] },
  balances: {},
  status: {},
} as const;

const RUN: Record<(typeof VIEW_COMMANDS)[number], (ctx: CommandContext) => Promise<number>> = { positions, balances, status };

/** `switchyard positions|balances|status ARGS...`; returns the exit code. */
export function runViewCli(command: (typeof VIEW_COMMANDS)[number], args: readonly string[], io: CliIo): Promise<number> {
  return runCommand(command, args, SPECS[command], io, RUN[command]);
}
