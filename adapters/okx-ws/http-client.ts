/**
 * Signed OKX REST (the native adapter's instruments, lookups, pending orders and fills). Demo trading adds
 * `x-simulated-trading: 1` to every request.
 */
import { retryAfterMs } from '../common/errors.js';
import { httpRequest } from '../common/http.js';
import { okxError, type OkxOp } from '../common/okx-codes.js';
import { okxIsoTimestamp, okxRestSign, queryString, type QueryValue } from '../common/signing.js';

export interface OkxRestOptions {
  /** Origin, e.g. https://www.okx.com. */
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly secret: string;
  readonly passphrase: string;
  readonly simulated: boolean;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  readonly now: () => number;
}

type Json = Record<string, unknown>;

export class OkxRest {
  constructor(private readonly o: OkxRestOptions) {}

  /** `data` of a code-0 answer; a VenueError otherwise. */
  async get(op: OkxOp, path: string, params: Record<string, QueryValue | undefined>, signed: boolean): Promise<Json[]> {
    const query = queryString(params);
    const requestPath = `${path}${query === '' ? '' : `?${query}`}`;
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (this.o.simulated) headers['x-simulated-trading'] = '1';
    if (signed) {
      const ts = okxIsoTimestamp(this.o.now());
      headers['OK-ACCESS-KEY'] = this.o.apiKey;
      headers['OK-ACCESS-PASSPHRASE'] = this.o.passphrase;
      headers['OK-ACCESS-TIMESTAMP'] = ts;
      headers['OK-ACCESS-SIGN'] = okxRestSign(this.o.secret, ts, 'GET', requestPath, '');
    }
    const answer = await httpRequest({ method: 'GET', url: this.o.baseUrl + requestPath, headers, timeoutMs: this.o.timeoutMs, signal: this.o.signal });
    const body = (answer.json ?? {}) as { code?: unknown; msg?: unknown; data?: unknown };
    const code = typeof body.code === 'string' ? body.code : undefined;
    if (answer.status >= 200 && answer.status < 300 && code === '0') return Array.isArray(body.data) ? (body.data as Json[]) : [];
    const msg = typeof body.msg === 'string' && body.msg !== '' ? body.msg : answer.text.slice(0, 200);
    throw okxError(op, answer.status, code, msg, retryAfterMs(answer.headers.get('retry-after'), this.o.now()));
  }

  instruments(): Promise<Json[]> {
    return this.get('query', '/api/v5/public/instruments', { instType: 'SPOT' }, false);
  }

  /** The order, or null (51603). */
  async order(instId: string, ref: { clientOrderId?: string | undefined; venueOrderId?: string | undefined }): Promise<Json | null> {
    const params = ref.venueOrderId !== undefined && ref.venueOrderId !== '' ? { instId, ordId: ref.venueOrderId } : { instId, clOrdId: ref.clientOrderId };
    try {
      const data = await this.get('query', '/api/v5/trade/order', params, true);
      return data[0] ?? null;
    } catch (err) {
      if (err instanceof Error && (err as { kind?: string }).kind === 'not-found') return null;
      throw err;
    }
  }

  pending(instId: string): Promise<Json[]> {
    return this.get('query', '/api/v5/trade/orders-pending', { instType: 'SPOT', instId, limit: 100 }, true);
  }

  /** Fills of an instrument since `begin` (all pages, newest first at the venue), or of one order. */
  async fills(instId: string, q: { begin?: number | undefined; ordId?: string | undefined }): Promise<Json[]> {
    const out: Json[] = [];
    let after: string | undefined;
    for (let page = 0; page < 5; page++) {
      const params: Record<string, QueryValue | undefined> = { instType: 'SPOT', instId, limit: 100, ordId: q.ordId, after };
      if (q.ordId === undefined && q.begin !== undefined) params['begin'] = Math.max(0, q.begin);
      const list = await this.get('query', '/api/v5/trade/fills', params, true);
      out.push(...list);
      if (list.length < 100) break;
      after = String(list[list.length - 1]!['billId']);
    }
    return out;
  }
}
