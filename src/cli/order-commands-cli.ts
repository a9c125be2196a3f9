/**
 * The order verbs for people and scripts, over the control API:
 *
 *   switchyard orders list   [--strategy S] [--symbol X] [--venue V] [--side BUY|SELL] [--state STATE | --open]
 *                            [--from T] [--to T] [--limit N | --all] [--cursor C] [--page-size N]
 *                                                                                           GET /v1/orders, page by page
 *   switchyard orders get    <id|clientOrderId> [--by id|clientOrderId]                     GET /v1/orders/:id
 *   switchyard orders submit --strategy S --symbol X --side BUY|SELL --quantity Q [--type LIMIT] [--price P] [--tif GTC]
 *                            [--client-order-id C] [--venue V] [--route table|best|sweep] [--stop-price P]
 *                            [--trailing-offset D] [--post-only] [--priority P]             POST /v1/orders
 *   switchyard orders cancel <id|clientOrderId> [--by id|clientOrderId]                     DELETE /v1/orders/:id
 *   switchyard orders cancel-all (--strategy S | --symbol X | --venue V | --side SIDE ... | --all) [--yes]
 *                                                                                           DELETE /v1/orders?...
 *
 * Every verb takes -c FILE, --url URL and --json. Decimals are passed and printed as the texts they are (a price typed
 * as 50000.10 reaches the daemon as "50000.10"). A list holds at most one page (at most 1000 orders) in memory: pages
 * are printed as they come, --json included (one JSON document written order by order).
 */
import { wholeNumber } from './args.js';
import { runCommand, type CommandContext } from './command.js';
import { EXIT, UsageError, type CliIo } from './daemon-client.js';
import { columnWidths, headerLine, paint, renderPairs, renderTable, rowLines, stateColour, tableCells, timeText, type Column } from './tables.js';

export const ORDERS_USAGE = `  switchyard orders list [--strategy S] [--symbol X] [--venue V] [--side BUY|SELL] [--state STATE | --open]
                         [--from T] [--to T] [--limit N | --all] [--cursor C] [--page-size N]
                                    list orders in id order (default the first 100; --all: every page; --page-size:
                                    orders per request, default 1000)
  switchyard orders get <id|clientOrderId> [--by id|clientOrderId]
                                    one order in full (a sweep's children too); --by says what the key is (needed
                                    when digits are one order's id and another's client order id)
  switchyard orders submit --strategy S --symbol X --side BUY|SELL --quantity Q [--type LIMIT] [--price P]
                         [--tif GTC|IOC|FOK] [--client-order-id C] [--venue V] [--route table|best|sweep]
                         [--stop-price P] [--trailing-offset D] [--post-only] [--priority P]
                                    submit an order; prints the daemon's decision (exit 1 with its code if refused)
  switchyard orders cancel <id|clientOrderId> [--by id|clientOrderId]
                                    cancel one order (--by as for get)
  switchyard orders cancel-all (--strategy S | --symbol X | --venue V | --side SIDE ... | --all) [--yes]
                                    cancel every open order that matches (asks first on a terminal unless --yes)`;

/** The largest page the API serves (src/api/order-query.ts MAX_PAGE). */
const API_MAX_PAGE = 1000;
const DEFAULT_LIMIT = 100;

/** An order as GET /v1/orders shows it (the fields printed here). */
interface OrderRow {
  orderId: number;
  clientOrderId: string;
  strategy: string;
  symbol: string;
  side: string;
  type: string;
  timeInForce: string;
  price: string | null;
  stopPrice: string | null;
  quantity: string;
  filledQty: string;
  avgPrice: string | null;
  state: string;
  venue: string | null;
  reason: string | null;
  createdAt: number;
  [key: string]: unknown;
}

/** A time in a list: month-day and time of day, UTC. */
const shortTime = (ms: number): string => timeText(ms).slice(5);

const ORDER_COLUMNS: readonly Column<OrderRow>[] = [
  { header: 'ID', value: (o) => o.orderId, right: true },
  { header: 'CLIENT ID', value: (o) => o.clientOrderId, shrink: true, minWidth: 12 },
  { header: 'STRATEGY', value: (o) => o.strategy, shrink: true, minWidth: 10 },
  { header: 'SYMBOL', value: (o) => o.symbol },
  { header: 'SIDE', value: (o) => o.side },
  { header: 'TYPE', value: (o) => o.type, shrink: true, minWidth: 6 },
  { header: 'PRICE', value: (o) => o.price, right: true },
  { header: 'QTY', value: (o) => o.quantity, right: true },
  { header: 'FILLED', value: (o) => o.filledQty, right: true },
  { header: 'AVG PRICE', value: (o) => o.avgPrice, right: true },
  { header: 'STATE', value: (o) => o.state, colour: stateColour },
  { header: 'VENUE', value: (o) => o.venue, shrink: true },
  { header: 'CREATED', value: (o) => shortTime(o.createdAt), optional: true },
];

const FILTER_FLAGS = ['strategy', 'symbol', 'venue', 'side'] as const;

/** The query string of the filter flags given (side upper-cased), in a fixed order. */
function filterQuery(ctx: CommandContext, keys: readonly string[]): URLSearchParams {
  const q = new URLSearchParams();
  for (const k of keys) {
    const v = ctx.args.values.get(k);
    if (v !== undefined) q.set(k, k === 'side' ? v.toUpperCase() : v);
  }
  return q;
}

async function list(ctx: CommandContext): Promise<number> {
  const { args, io } = ctx;
  const all = args.switches.has('all');
  if (all && args.values.has('limit')) throw new UsageError('give --limit or --all, not both');
  if (args.switches.has('open') && args.values.has('state')) throw new UsageError('give --state or --open, not both');
  const limit = all ? Infinity : args.values.has('limit') ? wholeNumber(args.values.get('limit')!, 'limit', 1, 100_000_000) : DEFAULT_LIMIT;
  const pageSize = args.values.has('page-size') ? wholeNumber(args.values.get('page-size')!, 'page-size', 1, API_MAX_PAGE) : API_MAX_PAGE;
  const base = filterQuery(ctx, [...FILTER_FLAGS, 'state', 'from', 'to']);
  if (args.switches.has('open')) base.set('state', 'open');
  let cursor: string | null = args.values.get('cursor') ?? null;
  let printed = 0;
  let widths: number[] = [];
  let started = false;
  for (;;) {
    const q = new URLSearchParams(base);
    q.set('limit', String(Math.min(pageSize, limit - printed)));
    if (cursor !== null) q.set('cursor', cursor);
    const r = await ctx.client.request('GET', `/v1/orders?${q.toString()}`);
    if (r.status !== 200) {
      if (started && args.json) io.out(']}'); // close the document begun: what was printed stays valid JSON
      return ctx.fail(r);
    }
    const orders = (r.body.orders ?? []) as OrderRow[];
    const previous = cursor;
    cursor = (r.body.nextCursor ?? null) as string | null;
    if (cursor !== null && (cursor === previous || orders.length === 0)) throw new Error(`the daemon's nextCursor ${cursor} does not advance`);
    if (args.json) {
      if (!started) io.out('{"orders":[');
      orders.forEach((o, k) => io.out((printed + k === 0 ? '' : ',') + JSON.stringify(o)));
    } else {
      // columns keep their widths from page to page (they only widen), the header printed once
      const cells = tableCells(ORDER_COLUMNS, orders);
      widths = columnWidths(ORDER_COLUMNS, cells, ctx.style, widths);
      if (!started) io.out(headerLine(ORDER_COLUMNS, widths, ctx.style));
      for (const l of rowLines(ORDER_COLUMNS, orders, cells, widths, ctx.style)) io.out(l);
    }
    started = true;
    printed += orders.length;
    if (cursor === null || printed >= limit) break;
  }
  if (args.json) io.out(`],"nextCursor":${JSON.stringify(cursor)}}`);
  else {
    if (printed === 0) io.out('(no orders)');
    if (cursor !== null) io.err(`more orders follow: --all for every page, --limit N, or --cursor ${cursor} for the next ones`);
  }
  return EXIT.OK;
}

/** One order as label: value lines, then its children (a sweep) as a table. */
function orderLines(o: OrderRow, ctx: CommandContext): string[] {
  const fees = Array.isArray(o.fees) ? (o.fees as { currency: string; amount: string }[]).map((f) => `${f.amount} ${f.currency}`).join(', ') : '';
  const algo = o.algo as { type: string; horizonMs?: number; intervalMs?: number; displayQuantity?: string } | undefined;
  const lines = renderPairs([
    ['order', o.orderId],
    ['client order id', o.clientOrderId],
    ['strategy', o.strategy],
    ['symbol', o.symbol],
    ['side', o.side],
    ['type', `${o.type} ${o.timeInForce}${o.postOnly === true ? ' post-only' : ''}`],
    ['price', o.price],
    ...(o.stopPrice !== null ? [['stop price', o.stopPrice] as const] : []),
    ...(typeof o.trailingOffset === 'string' ? [['trailing offset', o.trailingOffset] as const] : []),
    ...(algo !== undefined ? [['algo', algo.type === 'TWAP' ? `TWAP over ${algo.horizonMs} ms every ${algo.intervalMs} ms` : `ICEBERG showing ${algo.displayQuantity}`] as const] : []),
    ['quantity', o.quantity],
    ['filled', `${o.filledQty}${typeof o.filledNotional === 'string' ? ` (notional ${o.filledNotional})` : ''}`],
    ['avg price', o.avgPrice],
    ['state', paint(o.state, stateColour(o.state), ctx.style)],
    ['reason', o.reason],
    ['venue', `${o.venue ?? '-'}${typeof o.venueOrderId === 'string' ? ` (venue order id ${o.venueOrderId})` : ''}`],
    ['route', o.route as string | undefined],
    ...(typeof o.parentOrderId === 'number' ? [['parent order', o.parentOrderId] as const] : []),
    ['arrival mid', o.arrivalMid as string | null],
    ['slippage (bps)', o.slippageBps as number | null],
    ['fees', fees],
    ['created', timeText(o.createdAt)],
    ['updated', timeText(o.updatedAt as number)],
  ], ctx.style);
  const children = o.children as OrderRow[] | undefined;
  if (children !== undefined) {
    lines.push('', `children (${children.length}):`);
    if (children.length > 0) lines.push(...renderTable(ORDER_COLUMNS, children, ctx.style));
  }
  return lines;
}

/** The path of the order the positional names (`--by id|clientOrderId`: what it is; absent, either: see the API). */
function orderPath(ctx: CommandContext): string {
  const by = ctx.args.values.get('by');
  if (by !== undefined && by !== 'id' && by !== 'clientOrderId') throw new UsageError('--by must be id or clientOrderId');
  return `/v1/orders/${encodeURIComponent(ctx.args.positionals[0]!)}${by === undefined ? '' : `?by=${by}`}`;
}

async function get(ctx: CommandContext): Promise<number> {
  const r = await ctx.client.request('GET', orderPath(ctx));
  if (r.status !== 200) return ctx.fail(r);
  if (ctx.args.json) ctx.io.out(JSON.stringify(r.body));
  else for (const l of orderLines(r.body as OrderRow, ctx)) ctx.io.out(l);
  return EXIT.OK;
}

/** A one-line summary of an order: `order 7 (abc1) ACCEPTED: BUY 0.010 BTC-USDT LIMIT 60000.00 GTC at sim-a`. */
function orderSummary(o: OrderRow, ctx: CommandContext): string {
  const price = o.price !== null ? ` ${o.price}` : '';
  const stop = o.stopPrice !== null ? ` stop ${o.stopPrice}` : '';
  const venue = o.venue !== null ? ` at ${o.venue}` : '';
  const filled = o.filledQty !== undefined && !/^0(\.0*)?$/.test(o.filledQty) ? `, filled ${o.filledQty}${o.avgPrice !== null ? ` at ${o.avgPrice}` : ''}` : '';
  const reason = o.reason !== null ? ` (${o.reason})` : '';
  return `order ${o.orderId} (${o.clientOrderId}) ${paint(o.state, stateColour(o.state), ctx.style)}: ${o.side} ${o.quantity} ${o.symbol} ${o.type}${price}${stop} ${o.timeInForce}${venue}${filled}${reason}`;
}

const SUBMIT_FIELDS: readonly (readonly [flag: string, field: string])[] = [
  ['strategy', 'strategy'], ['symbol', 'symbol'], ['side', 'side'], ['type', 'type'], ['price', 'price'], ['stop-price', 'stopPrice'],
  ['quantity', 'quantity'], ['tif', 'timeInForce'], ['client-order-id', 'clientOrderId'], ['venue', 'venue'], ['route', 'route'],
  ['priority', 'priority'], ['trailing-offset', 'trailingOffset'],
];

async function submit(ctx: CommandContext): Promise<number> {
  const { args, io } = ctx;
  for (const required of ['strategy', 'symbol', 'side', 'quantity']) if (!args.values.has(required)) throw new UsageError(`--${required} is required`);
  const body: Record<string, unknown> = {};
  for (const [flag, field] of SUBMIT_FIELDS) {
    const v = args.values.get(flag);
    if (v !== undefined) body[field] = v; // as typed: the daemon reads enums in any case, decimals stay texts
  }
  if (args.switches.has('post-only')) body.postOnly = true;
  const r = await ctx.client.request('POST', '/v1/orders', { body });
  if (r.status !== 201 && r.status !== 200) {
    const code = ctx.fail(r);
    if (!args.json && typeof r.body?.orderId === 'number') io.err(`switchyard orders submit: order ${r.body.orderId} was created and refused (orders get ${r.body.orderId})`);
    return code;
  }
  if (args.json) io.out(JSON.stringify(r.body));
  else io.out(orderSummary(r.body as OrderRow, ctx));
  return EXIT.OK;
}

async function cancel(ctx: CommandContext): Promise<number> {
  const r = await ctx.client.request('DELETE', orderPath(ctx));
  if (r.status >= 300) return ctx.fail(r);
  if (ctx.args.json) ctx.io.out(JSON.stringify(r.body));
  else ctx.io.out(orderSummary(r.body as OrderRow, ctx));
  return EXIT.OK;
}

async function cancelAll(ctx: CommandContext): Promise<number> {
  const { args, io } = ctx;
  const q = filterQuery(ctx, FILTER_FLAGS);
  const all = args.switches.has('all');
  if (all && [...q.keys()].length > 0) throw new UsageError('give filters or --all, not both');
  if (!all && [...q.keys()].length === 0) throw new UsageError('name what to cancel: --strategy, --symbol, --venue or --side (--all cancels every open order)');
  if (all) q.set('all', 'true');
  const what = all ? 'every open order' : `every open order with ${[...q.entries()].map(([k, v]) => `${k} ${v}`).join(', ')}`;
  if (!args.switches.has('yes') && io.tty === true) {
    // a person at a terminal: ask; when the answer cannot be read (stdin is not a terminal), ask for --yes instead
    if (io.confirm === undefined) throw new UsageError(`cannot ask for confirmation (stdin is not a terminal): give --yes to cancel ${what}`);
    if (!(await io.confirm(`cancel ${what} at ${ctx.client.target.base}? [y/N] `))) {
      io.err(`switchyard ${ctx.name}: not confirmed, nothing canceled`);
      return EXIT.REFUSED;
    }
  }
  const r = await ctx.client.request('DELETE', `/v1/orders?${q.toString()}`);
  if (r.status >= 300) return ctx.fail(r);
  const body = r.body as { canceling: number[]; refused: { orderId: number; code: string; message: string }[] };
  if (args.json) io.out(JSON.stringify(body));
  else {
    io.out(`asked to cancel ${body.canceling.length} order${body.canceling.length === 1 ? '' : 's'}${body.canceling.length > 0 ? `: ${body.canceling.join(' ')}` : ''}`);
    for (const f of body.refused) io.out(`  not canceled: order ${f.orderId}: ${f.code}: ${f.message}`);
  }
  return body.refused.length === 0 ? EXIT.OK : EXIT.INCOMPLETE;
}

const SPECS = {
  list: { values: [...FILTER_FLAGS, 'state', 'from', 'to', 'limit', 'cursor', 'page-size'], switches: ['open', 'all'] },
  get: { positionals: ['id|clientOrderId'], values: ['by'] },
  submit: { values: SUBMIT_FIELDS.map(([flag]) => flag), switches: ['post-only'] },
  cancel: { positionals: ['id|clientOrderId'], values: ['by'] },
  'cancel-all': { values: [...FILTER_FLAGS], switches: ['all', 'yes'] },
} as const;

const RUN: Record<keyof typeof SPECS, (ctx: CommandContext) => Promise<number>> = { list, get, submit, cancel, 'cancel-all': cancelAll };

/** `switchyard orders SUB ARGS...`; returns the exit code. */
export async function runOrdersCli(args: readonly string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || !(sub in SPECS)) {
    io.err(`switchyard orders: ${sub === undefined ? 'name a command' : `unknown command ${sub}`}: list, get, submit, cancel or cancel-all\n${ORDERS_USAGE}`);
    return EXIT.USAGE;
  }
  const name = sub as keyof typeof SPECS;
  return runCommand(`orders ${name}`, rest, SPECS[name], io, RUN[name]);
}
