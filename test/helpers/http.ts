/** A small HTTP client for the control API (fetch against 127.0.0.1). */
export interface ApiResponse<T = any> {
  readonly status: number;
  readonly headers: Headers;
  /** Parsed JSON when the response is JSON, else undefined. */
  readonly body: T;
  readonly text: string;
}

export interface RequestOptions {
  /** Bearer token; null sends no Authorization header; a string overrides the client's token. */
  readonly token?: string | null;
  /** Raw Authorization header value (wins over token). */
  readonly authorization?: string;
  /** Body: sent as JSON.stringify(body) unless `raw` is given. */
  readonly body?: unknown;
  /** Body sent exactly as given. */
  readonly raw?: string | Buffer;
  readonly headers?: Record<string, string>;
}

export class ApiClient {
  constructor(
    readonly baseUrl: string,
    readonly token: string,
  ) {}

  async request<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    const token = options.token === undefined ? this.token : options.token;
    if (options.authorization !== undefined) headers.authorization = options.authorization;
    else if (token !== null) headers.authorization = `Bearer ${token}`;
    let body: string | Buffer | undefined;
    if (options.raw !== undefined) body = options.raw;
    else if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
    const res = await fetch(this.baseUrl + path, { method, headers, body, signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    let parsed: unknown;
    if ((res.headers.get('content-type') ?? '').includes('application/json') && text.length > 0) parsed = JSON.parse(text);
    return { status: res.status, headers: res.headers, body: parsed as T, text };
  }

  get<T = any>(path: string, options?: RequestOptions): Promise<ApiResponse<T>> {
    return this.request<T>('GET', path, options);
  }

  post<T = any>(path: string, body: unknown, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    return this.request<T>('POST', path, { ...options, body });
  }

  delete<T = any>(path: string, options?: RequestOptions): Promise<ApiResponse<T>> {
    return this.request<T>('DELETE', path, options);
  }

  /** GET /v1/orders/:id until the order is in one of `states` (deadline `timeoutMs`; a number is an order id: ?by=id). */
  async waitForState(id: number | string, states: string | readonly string[], timeoutMs = 5000): Promise<any> {
    const wanted = typeof states === 'string' ? [states] : states;
    const deadline = Date.now() + timeoutMs;
    let last: ApiResponse | undefined;
    for (;;) {
      last = await this.get(`/v1/orders/${encodeURIComponent(String(id))}${typeof id === 'number' ? '?by=id' : ''}`);
      if (last.status === 200 && wanted.includes(last.body.state)) return last.body;
      if (Date.now() >= deadline) {
        throw new Error(`order ${id} not in ${wanted.join('|')} after ${timeoutMs} ms; last: ${last.status} ${last.text}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Every order of GET /v1/orders?QUERY, page after page (1000 per page). */
  async allOrders<T = any>(query = ''): Promise<T[]> {
    const out: T[] = [];
    let cursor: string | null = null;
    do {
      const r: ApiResponse = await this.get(`/v1/orders?limit=1000${query === '' ? '' : `&${query}`}${cursor === null ? '' : `&cursor=${cursor}`}`);
      if (r.status !== 200) throw new Error(`GET /v1/orders?${query}: ${r.status} ${r.text}`);
      out.push(...(r.body.orders as T[]));
      cursor = r.body.nextCursor as string | null;
    } while (cursor !== null);
    return out;
  }

  /** GET /metrics as text. */
  async metrics(): Promise<string> {
    const r = await this.get('/metrics');
    if (r.status !== 200) throw new Error(`GET /metrics: ${r.status} ${r.text}`);
    return r.text;
  }
}

/**
 * The value of one Prometheus sample in exposition text, e.g. metricValue(text, 'switchyard_rejects_total',
 * { code: 'RISK_MAX_ORDER_QTY' }); 0 when the series is absent. Labels not named are not compared.
 */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const have: Record<string, string> = {};
    for (const lm of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) have[lm[1]!] = lm[2]!;
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) {
      sum += Number(m[3]);
      found = true;
    }
  }
  return found ? sum : 0;
}
