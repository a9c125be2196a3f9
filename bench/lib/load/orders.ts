/**
 * The orders bench:load sends, on every entry point alike: IOC limit orders of BTC-USDT on the paper venues, buys
 * and sells alternating, priced 1 % through the reference price so they take the simulated market maker's
 * liquidity at once (a fill) or, when the levels in reach are taken, expire — either way they end on arrival, so
 * the daemon's open orders stay bounded however long the run is (resting orders far from the market would pile
 * up). Each order is named by its client order id: a run tag, the client index (two base-36 digits) and the
 * order's number in that client (base 36), so an event is matched to its client and order without a map.
 */
import type { LoadTally } from './tally.js';

export const SYMBOL = 'BTC-USDT';
export const BUY_PRICE = '60600';
export const SELL_PRICE = '59400';
/** 0.0001 BTC: above the instrument's minimum notional (5 USDT) at either price. */
export const QUANTITY = '0.0001';

export function clientOrderId(tag: string, client: number, n: number): string {
  return tag + (client < 36 ? '0' : '') + client.toString(36) + n.toString(36);
}

/** The order as the body of POST /v1/orders (and the `order` of a WebSocket submit). */
export function orderJson(strategy: string, n: number, coid: string): string {
  return (n & 1) === 1
    ? `{"strategy":"${strategy}","symbol":"${SYMBOL}","side":"BUY","type":"LIMIT","timeInForce":"IOC","price":"${BUY_PRICE}","quantity":"${QUANTITY}","clientOrderId":"${coid}"}`
    : `{"strategy":"${strategy}","symbol":"${SYMBOL}","side":"SELL","type":"LIMIT","timeInForce":"IOC","price":"${SELL_PRICE}","quantity":"${QUANTITY}","clientOrderId":"${coid}"}`;
}

/** The strategy ids of a via's clients: a letter for the via and two digits. */
export function strategyIds(prefix: string, clients: number): string[] {
  return Array.from({ length: clients }, (_, i) => `${prefix}${String(i).padStart(2, '0')}`);
}

/** An order event as GET /v1/stream and the Redis orders stream carry it (the fields bench:load reads). */
export interface StreamEvent {
  readonly clientOrderId?: string;
  readonly event?: string;
  readonly reason?: string | null;
}

/**
 * The lifecycle events applyEvent acts on. The WebSocket clients and the HTTP row's event reader ask the stream for
 * these only (`?event=`), as a client that follows its acknowledgements would; bench:load --full-stream asks for every
 * event instead (SUBMIT too: one more event per order for the daemon to make and the clients to read).
 */
export const ACK_EVENTS = ['ACCEPT', 'PARTIAL_FILL', 'FILL', 'DENY', 'REJECT', 'CANCELED', 'EXPIRE'] as const;

/**
 * Applies one order event to the tally of the client that sent the order: ACCEPT (or a first fill) is the ack,
 * fills are counted, DENY and REJECT (and an order that ends without an ack) are errors by event name.
 */
export function applyEvent(e: StreamEvent, tag: string, tallies: readonly LoadTally[], nowMs: number): void {
  const coid = e.clientOrderId;
  if (typeof coid !== 'string' || !coid.startsWith(tag)) return;
  const t = tallies[parseInt(coid.substr(tag.length, 2), 36)];
  if (t === undefined) return;
  const n = parseInt(coid.slice(tag.length + 2), 36);
  switch (e.event) {
    case 'ACCEPT':
      t.ack(n, nowMs);
      return;
    case 'FILL':
    case 'PARTIAL_FILL':
      t.fills++;
      if (t.waiting(n)) t.ack(n, nowMs);
      return;
    case 'DENY':
    case 'REJECT':
    case 'CANCELED':
    case 'EXPIRE':
      if (t.waiting(n)) t.error(n, e.event, nowMs);
      return;
    default:
  }
}
