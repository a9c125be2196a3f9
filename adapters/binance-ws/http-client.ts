/**
 * Signed Binance spot REST (the native adapter's lookups, open orders, fills and exchangeInfo). Every answer's
 * usage headers (X-MBX-USED-WEIGHT-1M, X-MBX-ORDER-COUNT-10S / -1D) are reported to `onUsage`.
 */
import { binanceError, type BinanceOp } from '../common/binance-codes.js';
import { retryAfterMs } from '../common/errors.js';
import { httpRequest } from '../common/http.js';
import { type QueryValue, hmacSha256Hex, queryString } from '../common/signing.js';
import { binanceHeaderPool } from '../common/venue-limits.js';

export interface BinanceRestOptions {
  /** REST base ending in /api/v3. */
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly secret: string;
  readonly recvWindowMs: number;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  readonly now: () => number;
  readonly onUsage: (pool: string, count: number) => void;
}

export class BinanceRest {
  constructor(private readonly o: BinanceRestOptions) {}

  async call(op: BinanceOp, method: 'GET' | 'POST' | 'DELETE', path: string, params: Record<string, QueryValue | undefined>, signed: boolean): Promise<unknown> {
    let query = queryString(params);
    if (signed) {
      query = queryString({ ...params, recvWindow: Math.min(60_000, Math.max(1, this.o.recvWindowMs)), timestamp: this.o.now() });
      query += `&signature=${hmacSha256Hex(this.o.secret, query)}`;
    }
    const url = `${this.o.baseUrl}${path}${query === '' ? '' : `?${query}`}`;
    const answer = await httpRequest({
      method,
      url,
      headers: signed ? { 'X-MBX-APIKEY': this.o.apiKey } : {},
      timeoutMs: this.o.timeoutMs,
      signal: this.o.signal,
    });
    answer.headers.forEach((value, name) => {
      const pool = binanceHeaderPool(name);
      if (pool !== undefined) this.o.onUsage(pool, Number(value));
    });
    if (answer.status >= 200 && answer.status < 300 && answer.json !== undefined) return answer.json;
    const body = (answer.json ?? {}) as { code?: unknown; msg?: unknown };
    const code = typeof body.code === 'number' ? body.code : undefined;
    const msg = typeof body.msg === 'string' ? body.msg : answer.text.slice(0, 200);
    throw binanceError(op, answer.status, code, msg, retryAfterMs(answer.headers.get('retry-after'), this.o.now()));
  }

  exchangeInfo(symbolIds: readonly string[]): Promise<unknown> {
    return this.call('query', 'GET', '/exchangeInfo', { symbols: JSON.stringify(symbolIds) }, false);
  }

  /** The order, or null (-2013). */
  async order(symbolId: string, ref: { clientOrderId?: string | undefined; venueOrderId?: string | undefined }): Promise<Record<string, unknown> | null> {
    const params = ref.venueOrderId !== undefined && ref.venueOrderId !== ''
      ? { symbol: symbolId, orderId: ref.venueOrderId }
      : { symbol: symbolId, origClientOrderId: ref.clientOrderId };
    try {
      return (await this.call('query', 'GET', '/order', params, true)) as Record<string, unknown>;
    } catch (err) {
      if (err instanceof Error && 'kind' in err && (err as { kind: string }).kind === 'not-found') return null;
      throw err;
    }
  }

  async openOrders(symbolId: string): Promise<Array<Record<string, unknown>>> {
    return (await this.call('query', 'GET', '/openOrders', { symbol: symbolId }, true)) as Array<Record<string, unknown>>;
  }

  /**
   * Trades of one order, or of a symbol from `startTime` (Binance answers at most 24 hours per request: the span is
   * asked for day by day; a full page continues by trade id, at most 5 pages).
   */
  async myTrades(symbolId: string, q: { startTime?: number | undefined; orderId?: string | undefined }): Promise<Array<Record<string, unknown>>> {
    if (q.orderId !== undefined || q.startTime === undefined) return this.tradePages({ symbol: symbolId, orderId: q.orderId });
    const DAY = 86_400_000;
    const out: Array<Record<string, unknown>> = [];
    const now = this.o.now();
    for (let from = Math.max(0, q.startTime); from <= now; from += DAY) {
      out.push(...(await this.tradePages({ symbol: symbolId, startTime: from, endTime: Math.min(now, from + DAY - 1) })));
    }
    // a page continued by trade id may run into the next day's request
    return [...new Map(out.map((t) => [String(t['id']), t])).values()];
  }

  private async tradePages(base: Record<string, QueryValue | undefined>): Promise<Array<Record<string, unknown>>> {
    const out: Array<Record<string, unknown>> = [];
    let params: Record<string, QueryValue | undefined> = { ...base, limit: 1000 };
    for (let page = 0; page < 5; page++) {
      const list = (await this.call('query', 'GET', '/myTrades', params, true)) as Array<Record<string, unknown>>;
      out.push(...list);
      if (list.length < 1000) break;
      // next page by trade id (fromId cannot be combined with a time range)
      params = { symbol: base['symbol'], orderId: base['orderId'], limit: 1000, fromId: Number(list[list.length - 1]!['id']) + 1 };
    }
    return out;
  }
}
