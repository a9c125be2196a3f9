/**
 * The Redis wire format (src/bus): key names and entry fields that the daemon and remote clients share. Everything a
 * client on another machine needs to talk to the daemon over Redis is here; the typed client (client.ts) uses it.
 *
 * Every name starts with the configured prefix P (`daemon.redis.keyPrefix`, default `switchyard:`).
 *
 * Events out (event-publisher.ts), one entry per order event or fill, in journal order:
 *   P orders:{symbol}     stream  seq, strategy, orderId, clientOrderId, event (lifecycle event name), state,
 *                                 json (the event exactly as GET /v1/stream sends it)
 *   P trades:{symbol}     stream  seq, strategy, symbol, orderId, clientOrderId, side, venue, price, qty, fee,
 *   P trades:all          stream    feeCurrency, liquidity, tradeId, ts (the fill's time, epoch ms)
 *   P live_trades         pub/sub one JSON message per fill (the trades fields)
 *   P events:published    string  the journal seq up to which every event is in the streams (the publisher's watermark)
 * `seq` is the journal seq of the record that made the event durable: it increases across restarts; a consumer that
 * keeps the last seq it handled can drop any entry at or below it (delivery is at least once, duplicates are
 * detectable by seq).
 *
 * Commands in (command-intake.ts), for a strategy configured with `source: redis`:
 *   P commands:{strategy} stream  requestId, client, op, strategy, body, and optionally result ('order', the
 *                                 default, or 'ids') — read through the consumer group `daemon.redis.commands.group`,
 *                                 the consumer being the daemon's name
 *   P replies:{client}    stream  requestId, ok ('1' | '0'), body (JSON: the answer), replayed ('1' when the command
 *                                 had been executed before and its recorded answer is sent again)
 * op and body:
 *   submit      body: the order, as the body of POST /v1/orders (its `strategy` must be the stream's strategy)
 *   cancel      body: { orderId } or { clientOrderId }
 *   amend       body: { orderId } or { clientOrderId }, and price and/or quantity (as PATCH /v1/orders/:id)
 *   cancel-all  body: {} or { symbol?, side? }: the strategy's open orders that match
 * The answer (reply body): { ok: true, order } | { ok: true, canceling: [ids], refused: [...] } (cancel-all) |
 * { ok: false, error: { code, message, field? }, order? } — the same shapes as the HTTP API. With result 'ids' an
 * answer names its order by { orderId, clientOrderId } instead of `order` (as the HTTP API's ?result=ids): less for
 * the daemon, Redis and the client to carry, for a client that follows its orders on the events.
 *
 * What a remote strategy needs to know (written by the daemon at start when a strategy has source: redis):
 *   P config              string  JSON { daemon, instruments: [the configured instruments: symbol, tickSize,
 *                                 lotSize, minQty, minNotional, base, quote... as decimal strings], venues: [names],
 *                                 strategies: { id: { symbols, params } } } (redis strategies only)
 *
 * Account leases (account-lease.ts):
 *   P lease:{account}         string  holder JSON { daemon, host, pid, token, since } with a TTL
 *   P lease-fence:{account}   counter the fencing token: INCR on every acquisition
 *
 * Signals for order enhancers (src/intake/order-enhancer.ts):
 *   P signals:{symbol}    stream  fields chosen by the publisher (the example: confidence, direction, risk)
 */

import type { ResultShape } from '../model/result-shape.js';

export const COMMAND_OPS = ['submit', 'cancel', 'amend', 'cancel-all'] as const;
export type CommandOp = (typeof COMMAND_OPS)[number];

/** A request id or client name: 1 to 64 of A-Z a-z 0-9 _ . : - */
export const WIRE_ID_RE = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * Stream entry ids ('ms-seq', each part a decimal integer of up to 20 digits) compared: negative, 0 or positive as `a`
 * is before, equal to or after `b`. Exact for any size (digit by digit: no BigInt, nothing allocated; once or twice per
 * command). An id without a '-' is 'ms-0'.
 */
export function compareEntryIds(a: string, b: string): number {
  let ia = a.indexOf('-');
  let ib = b.indexOf('-');
  // the common pair (ids as Redis writes them: no leading zeros, parts of the same lengths): compared as text, which
  // orders equal-length decimals as numbers (one native comparison, not a loop of charCodeAt per digit)
  if (ia > 0 && ia === ib && a.length === b.length && canonicalParts(a, ia) && canonicalParts(b, ib)) return a === b ? 0 : a < b ? -1 : 1;
  if (ia < 0) ia = a.length;
  if (ib < 0) ib = b.length;
  const ms = compareDecimal(a, 0, ia, b, 0, ib);
  return ms !== 0 ? ms : compareDecimal(a, Math.min(ia + 1, a.length), a.length, b, Math.min(ib + 1, b.length), b.length);
}

/** Whether neither part of id `s` (its '-' at `dash`, both parts not empty) has a leading zero. */
function canonicalParts(s: string, dash: number): boolean {
  return (dash === 1 || s.charCodeAt(0) !== 0x30) && dash + 1 < s.length && (dash + 2 === s.length || s.charCodeAt(dash + 1) !== 0x30);
}

/** The decimal integers a[sa, ea) and b[sb, eb) compared (leading zeros ignored; an empty one is 0). */
function compareDecimal(a: string, sa: number, ea: number, b: string, sb: number, eb: number): number {
  while (sa < ea && a.charCodeAt(sa) === 0x30) sa++;
  while (sb < eb && b.charCodeAt(sb) === 0x30) sb++;
  const la = ea - sa;
  const lb = eb - sb;
  if (la !== lb) return la < lb ? -1 : 1;
  for (let i = 0; i < la; i++) {
    const d = a.charCodeAt(sa + i) - b.charCodeAt(sb + i);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** The fields of a command entry (all strings, as Redis stores them). */
export interface CommandFields {
  readonly requestId: string;
  readonly client: string;
  readonly op: CommandOp;
  readonly strategy: string;
  /** JSON text. */
  readonly body: string;
  /** What the answer names the order with: 'order' (absent: the default) its view, 'ids' its orderId and clientOrderId. */
  readonly result?: ResultShape;
}

/** The fields of a reply entry. */
export interface ReplyFields {
  readonly requestId: string;
  readonly ok: '1' | '0';
  /** JSON text of the answer. */
  readonly body: string;
  readonly replayed: '1' | '0';
}

/** Every key name, made from the prefix. */
export class BusKeys {
  constructor(readonly prefix: string) {}
  orders(symbol: string): string {
    return `${this.prefix}orders:${symbol}`;
  }
  trades(symbol: string): string {
    return `${this.prefix}trades:${symbol}`;
  }
  get allTrades(): string {
    return `${this.prefix}trades:all`;
  }
  get liveTrades(): string {
    return `${this.prefix}live_trades`;
  }
  get published(): string {
    return `${this.prefix}events:published`;
  }
  commands(strategy: string): string {
    return `${this.prefix}commands:${strategy}`;
  }
  replies(client: string): string {
    return `${this.prefix}replies:${client}`;
  }
  lease(account: string): string {
    return `${this.prefix}lease:${account}`;
  }
  leaseFence(account: string): string {
    return `${this.prefix}lease-fence:${account}`;
  }
  get config(): string {
    return `${this.prefix}config`;
  }
  signals(symbol: string): string {
    return `${this.prefix}signals:${symbol}`;
  }
}
