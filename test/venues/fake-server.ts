/**
 * HTTP + WebSocket shell shared by the fake venues: listening on 127.0.0.1, request bodies, the fault pipeline,
 * websocket tracking, and the admin API (`/__admin/...`) with its programmatic twin.
 *
 * Admin routes (JSON in and out, never rate limited nor faulted):
 *   GET  /__admin/orders?symbol=BTC-USDT&account=main&open=true   venue records of orders (account 'liquidity' for the ladder)
 *   GET  /__admin/fills?symbol=&account=&orderId=                  venue records of fills
 *   GET  /__admin/balances?account=main
 *   GET  /__admin/faults                                           current FaultState
 *   POST /__admin/faults      FaultPatch                           see faults.ts
 *   POST /__admin/fill        {orderId|clientOrderId, account?, qty?}  trade a resting order (qty default: all left)
 *   POST /__admin/taker       {symbol, side, qty, price?, account?}    a taker order from another account (default 'other')
 *   POST /__admin/reseed      {symbol?}                            re-create the liquidity ladder
 *   POST /__admin/reset       {}                                   books, records, balances, faults, rate limits back to start
 *   POST /__admin/drop-sockets {}                                  close every websocket abruptly
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { formatAmount } from './decimal.js';
import { type FaultPatch, type FaultRule, FaultInjector, sleep } from './faults.js';
import { type OrderSide, type VenueCore, type VenueFill, type VenueOrder, isOpen } from './venue-core.js';

export interface HttpReq {
  method: string;
  /** Path without query. */
  path: string;
  /** Raw query string without '?', exactly as sent. */
  rawQuery: string;
  /** Path plus '?' + raw query when there is one, exactly as sent. */
  url: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface HttpRes {
  status: number;
  headers?: Record<string, string>;
  /** Serialised as JSON unless already a string. */
  body: unknown;
}

export interface OrderView {
  /** Internal id (engine id). */
  id: number;
  /** The venue's order id as the venue prints it. */
  orderId: string;
  account: string;
  symbol: string;
  venueSymbol: string;
  clientOrderId: string;
  side: OrderSide;
  type: string;
  timeInForce: string;
  price: string;
  qty: string;
  filled: string;
  cumQuote: string;
  status: string;
  open: boolean;
  endReason: string | null;
  created: number;
  updated: number;
  fills: FillView[];
  extra: Record<string, unknown>;
}

export interface FillView {
  tradeId: number;
  orderId: string;
  account: string;
  symbol: string;
  side: OrderSide;
  price: string;
  qty: string;
  quote: string;
  maker: boolean;
  time: number;
  /** Fee charged (negative: rebate) in feeAsset, minimal decimal text: the venue's own record. */
  fee: string;
  feeAsset: string;
}

export interface OrderFilter {
  symbol?: string;
  account?: string;
  open?: boolean;
}

export interface TakerRequest {
  symbol: string;
  side: OrderSide | 'buy' | 'sell';
  /** Base quantity, decimal string. */
  qty: string;
  /** Limit price (IOC); omitted = market. */
  price?: string;
  /** Account name, default 'other'. */
  account?: string;
}

export class AdminError extends Error {}

function listenOn(server: http.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export abstract class FakeServer {
  readonly faults = new FaultInjector();
  readonly server: http.Server;
  protected readonly wss: WebSocketServer;
  protected readonly sockets = new Set<WebSocket>();
  private closing = false;
  private takerCounter = 0;
  port = 0;

  constructor(readonly core: VenueCore) {
    this.server = http.createServer((req, res) => {
      void this.onRequest(req, res);
    });
    this.server.keepAliveTimeout = 5_000;
    this.wss = new WebSocketServer({ noServer: true });
    this.server.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (this.closing || !this.acceptsWebSocket(url.pathname)) {
        socket.write('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
        socket.destroy();
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        this.sockets.add(ws);
        ws.on('close', () => this.sockets.delete(ws));
        ws.on('error', () => {});
        this.onWebSocket(ws, url, req);
      });
    });
    this.faults.onDropSockets = () => this.dropSockets();
  }

  // ------------------------------------------------------------------ venue hooks

  protected abstract acceptsWebSocket(path: string): boolean;
  protected abstract onWebSocket(ws: WebSocket, url: URL, req: http.IncomingMessage): void;
  protected abstract handleRest(req: HttpReq): Promise<HttpRes> | HttpRes;
  /**
   * The venue's answer for a rate-limit / ban / error fault on a REST request. It is not told whether the request
   * executed: a real venue's error answer gives no such hint (faults.ts).
   */
  protected abstract restFault(rule: FaultRule, req: HttpReq): HttpRes;
  /** Venue order id text of an order. */
  abstract venueOrderId(o: VenueOrder): string;
  /** Internal id of a venue order id text, or undefined. */
  abstract parseVenueOrderId(text: string): number | undefined;
  abstract venueSymbol(symbol: string): string;
  /** Venue-specific state cleared by reset (rate limits, listen keys …). */
  protected abstract resetVenue(): void;

  /**
   * What one order query may show under the stale-read fault (faults.ts): called by the venue's order-query
   * handlers, once per query. An order it hides is answered exactly as one the venue does not have.
   */
  protected readView(transport: 'rest' | 'ws', method: string, path: string): (o: VenueOrder) => boolean {
    const stale = this.faults.staleRead(transport, method, path);
    if (stale === undefined) return () => true;
    const now = this.core.now();
    return (o) => !stale.hides(o.created, now);
  }

  // ------------------------------------------------------------------ lifecycle

  async listen(port = 0): Promise<number> {
    this.port = await listenOn(this.server, port);
    return this.port;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get wsOrigin(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    for (const ws of this.sockets) ws.terminate();
    this.sockets.clear();
    this.onClose();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    this.wss.close();
  }

  protected onClose(): void {}

  /** Closes every websocket abruptly (no close frame), as a network drop would. */
  dropSockets(): void {
    for (const ws of this.sockets) ws.terminate();
    this.sockets.clear();
  }

  // ------------------------------------------------------------------ request pipeline

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const path = q < 0 ? raw : raw.slice(0, q);
    const rawQuery = q < 0 ? '' : raw.slice(q + 1);
    const hreq: HttpReq = {
      method: (req.method ?? 'GET').toUpperCase(),
      path,
      rawQuery,
      url: raw,
      query: new URLSearchParams(rawQuery),
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    };
    if (path.startsWith('/__admin')) {
      this.write(res, this.admin(hreq));
      return;
    }
    await this.withFaults(
      'rest',
      hreq.method,
      path,
      () => this.handleRest(hreq),
      (r) => this.write(res, r),
      (rule) => this.write(res, this.restFault(rule, hreq)),
    );
  }

  /**
   * Runs one request through the fault rules: `exec` performs it, `deliver` sends its answer, `deliverFault`
   * sends the venue's fault answer (blind to whether the request executed). Used for REST and for websocket API
   * requests.
   */
  protected async withFaults<T>(
    transport: 'rest' | 'ws',
    method: string,
    path: string,
    exec: () => T | Promise<T>,
    deliver: (r: T) => void,
    deliverFault: (rule: FaultRule) => void,
  ): Promise<void> {
    try {
      if (this.faults.latency > 0) await sleep(this.faults.latency);
      const rule = this.faults.match(transport, method, path);
      if (rule !== undefined && rule.afterExecute !== true) {
        switch (rule.kind) {
          case 'delay':
            await sleep(rule.ms ?? 0);
            break;
          case 'hang':
            return;
          default:
            deliverFault(rule);
            return;
        }
      }
      if (rule?.kind === 'rate-limit' || rule?.kind === 'ban') {
        deliverFault(rule);
        return;
      }
      const result = await exec();
      if (rule !== undefined && rule.afterExecute === true) {
        if (rule.kind === 'hang') return;
        if (rule.kind === 'error') {
          deliverFault(rule);
          return;
        }
        if (rule.kind === 'delay') await sleep(rule.ms ?? 0);
      }
      deliver(result);
    } catch (err) {
      deliverFault({ kind: 'error', status: 500 });
      if (process.env.FAKE_VENUE_DEBUG) console.error(err);
    }
  }

  protected write(res: http.ServerResponse, r: HttpRes): void {
    if (res.destroyed || res.writableEnded) return;
    const body = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
    res.writeHead(r.status, { 'Content-Type': 'application/json;charset=UTF-8', ...(r.headers ?? {}) });
    res.end(body);
  }

  // ------------------------------------------------------------------ admin (programmatic)

  accountName(owner: number): string {
    return this.core.accounts[owner]?.name ?? String(owner);
  }

  private ownerOf(account: string | undefined): number | undefined {
    if (account === undefined) return undefined;
    const a = this.core.accountByName(account);
    if (a === undefined) throw new AdminError(`unknown account ${account}`);
    return a.owner;
  }

  /** Neutral view of an order (decimal strings, venue order id). */
  orderView(o: VenueOrder): OrderView {
    const inst = this.core.instrument(o.symbol)!;
    return {
      id: o.id,
      orderId: this.venueOrderId(o),
      account: this.accountName(o.owner),
      symbol: o.symbol,
      venueSymbol: this.venueSymbol(o.symbol),
      clientOrderId: o.clientOrderId,
      side: o.side,
      type: o.kind,
      timeInForce: o.tif,
      price: formatAmount(inst.price.amount(o.price)),
      qty: formatAmount(inst.lot.amount(o.qty)),
      filled: formatAmount(inst.lot.amount(o.filled)),
      cumQuote: formatAmount(o.cumQuote),
      status: o.status,
      open: isOpen(o),
      endReason: o.endReason,
      created: o.created,
      updated: o.updated,
      fills: o.fills.map((f) => this.fillView(f)),
      extra: o.extra,
    };
  }

  fillView(f: VenueFill): FillView {
    const inst = this.core.instrument(f.symbol)!;
    const o = this.core.order(f.orderId);
    return {
      tradeId: f.tradeId,
      orderId: o !== undefined ? this.venueOrderId(o) : String(f.orderId),
      account: this.accountName(f.owner),
      symbol: f.symbol,
      side: f.side,
      price: formatAmount(inst.price.amount(f.price)),
      qty: formatAmount(inst.lot.amount(f.qty)),
      quote: formatAmount(f.quote),
      maker: f.maker,
      time: f.time,
      fee: formatAmount(f.fee),
      feeAsset: f.feeAsset,
    };
  }

  /** The venue's own order records (default: every account but the liquidity ladder). */
  orders(filter: OrderFilter = {}): OrderView[] {
    const owner = this.ownerOf(filter.account);
    return this.core.listOrders({ owner, symbol: filter.symbol, open: filter.open }).map((o) => this.orderView(o));
  }

  /** One order by venue order id, internal id or client order id. */
  order(ref: { orderId?: string | number; clientOrderId?: string; account?: string }): OrderView | undefined {
    const o = this.findOrder(ref);
    return o === undefined ? undefined : this.orderView(o);
  }

  private findOrder(ref: { orderId?: string | number; clientOrderId?: string; account?: string }): VenueOrder | undefined {
    const owner = this.ownerOf(ref.account);
    if (ref.orderId !== undefined) {
      const id = typeof ref.orderId === 'number' ? ref.orderId : this.parseVenueOrderId(ref.orderId);
      return id === undefined ? undefined : this.core.find(owner, { id });
    }
    if (ref.clientOrderId !== undefined) return this.core.find(owner, { clientOrderId: ref.clientOrderId });
    return undefined;
  }

  fills(filter: { symbol?: string; account?: string; orderId?: string | number } = {}): FillView[] {
    const owner = this.ownerOf(filter.account);
    let orderId: number | undefined;
    if (filter.orderId !== undefined) {
      orderId = typeof filter.orderId === 'number' ? filter.orderId : this.parseVenueOrderId(filter.orderId);
      if (orderId === undefined) return [];
    }
    return this.core.listFills({ owner, symbol: filter.symbol, orderId }).map((f) => this.fillView(f));
  }

  balances(account = 'main'): Record<string, { free: string; locked: string }> {
    const owner = this.ownerOf(account)!;
    const out: Record<string, { free: string; locked: string }> = {};
    for (const asset of this.core.assets()) {
      const b = this.core.balance(owner, asset);
      out[asset] = { free: formatAmount(b.free), locked: formatAmount(b.locked) };
    }
    return out;
  }

  /** A deposit (positive `amount`, decimal text) or withdrawal (negative) on an account's free balance of `asset`. */
  transfer(asset: string, amount: string, account = 'main'): void {
    const owner = this.ownerOf(account);
    if (owner === undefined) throw new Error(`unknown account ${account}`);
    this.core.transfer(owner, asset, amount);
  }

  /**
   * Trades a resting order on demand against a simulated counterparty at the order's price.
   * `qty` is a base quantity (decimal string); omitted = everything left. Execution reports follow as usual.
   */
  fill(ref: { orderId?: string | number; clientOrderId?: string; account?: string }, qty?: string): OrderView {
    const o = this.findOrder(ref);
    if (o === undefined) throw new AdminError('unknown order');
    const inst = this.core.instrument(o.symbol)!;
    let lots: number | undefined;
    if (qty !== undefined) {
      const s = inst.lot.steps(qty);
      if (typeof s !== 'number') throw new AdminError(`bad qty ${qty}: ${s}`);
      lots = s;
    }
    const r = this.core.fillOrder({ id: o.id }, lots);
    if (!r.ok) throw new AdminError(r.reason);
    return this.orderView(r.order);
  }

  /** A taker order from another account (default 'other'): market, or IOC at `price`. */
  taker(req: TakerRequest): OrderView {
    const inst = this.core.instrument(req.symbol);
    if (inst === undefined) throw new AdminError(`unknown symbol ${req.symbol}`);
    const owner = this.ownerOf(req.account ?? 'other')!;
    const lots = inst.lot.steps(req.qty);
    if (typeof lots !== 'number' || lots <= 0) throw new AdminError(`bad qty ${req.qty}`);
    let price: number | undefined;
    if (req.price !== undefined) {
      const p = inst.price.steps(req.price);
      if (typeof p !== 'number' || p <= 0) throw new AdminError(`bad price ${req.price}`);
      price = p;
    }
    const side = String(req.side).toUpperCase() as OrderSide;
    if (side !== 'BUY' && side !== 'SELL') throw new AdminError(`bad side ${req.side}`);
    const r = this.core.place(owner, {
      symbol: req.symbol,
      side,
      kind: price === undefined ? 'MARKET' : 'LIMIT',
      tif: price === undefined ? 'GTC' : 'IOC',
      priceTicks: price,
      qtyLots: lots,
      clientOrderId: `taker${++this.takerCounter}`,
    });
    if (!r.ok) throw new AdminError(r.reason);
    return this.orderView(r.order);
  }

  reseed(symbol?: string): void {
    this.core.reseed(symbol);
  }

  /** Everything back to the start: books and ladders, records, balances, faults, rate limits; sockets dropped. */
  reset(): void {
    this.faults.clear();
    this.dropSockets();
    this.core.reset();
    this.resetVenue();
  }

  private admin(req: HttpReq): HttpRes {
    const route = `${req.method} ${req.path.replace(/\/+$/, '')}`;
    let body: Record<string, unknown> = {};
    try {
      if (req.body.trim() !== '') body = JSON.parse(req.body) as Record<string, unknown>;
    } catch {
      return { status: 400, body: { error: 'body is not JSON' } };
    }
    const qs = (k: string): string | undefined => req.query.get(k) ?? undefined;
    try {
      switch (route) {
        case 'GET /__admin/orders': {
          const open = qs('open');
          return {
            status: 200,
            body: this.orders({ symbol: qs('symbol'), account: qs('account'), open: open === undefined ? undefined : open === 'true' }),
          };
        }
        case 'GET /__admin/order': {
          const v = this.order({ orderId: qs('orderId'), clientOrderId: qs('clientOrderId'), account: qs('account') });
          return v === undefined ? { status: 404, body: { error: 'unknown order' } } : { status: 200, body: v };
        }
        case 'GET /__admin/fills':
          return { status: 200, body: this.fills({ symbol: qs('symbol'), account: qs('account'), orderId: qs('orderId') }) };
        case 'GET /__admin/balances':
          return { status: 200, body: this.balances(qs('account') ?? 'main') };
        case 'GET /__admin/faults':
          return { status: 200, body: this.faults.state() };
        case 'POST /__admin/faults':
          return { status: 200, body: this.faults.apply(body as FaultPatch) };
        case 'POST /__admin/fill':
          return {
            status: 200,
            body: this.fill(
              {
                orderId: body.orderId as string | number | undefined,
                clientOrderId: body.clientOrderId as string | undefined,
                account: body.account as string | undefined,
              },
              body.qty as string | undefined,
            ),
          };
        case 'POST /__admin/taker':
          return { status: 200, body: this.taker(body as unknown as TakerRequest) };
        case 'POST /__admin/reseed':
          this.reseed(body.symbol as string | undefined);
          return { status: 200, body: {} };
        case 'POST /__admin/reset':
          this.reset();
          return { status: 200, body: {} };
        case 'POST /__admin/drop-sockets':
          this.dropSockets();
          return { status: 200, body: {} };
        default:
          return { status: 404, body: { error: `no admin route ${route}` } };
      }
    } catch (err) {
      return { status: 400, body: { error: err instanceof Error ? err.message : String(err) } };
    }
  }
}

/** The HTML page a proxy or load balancer in front of a venue answers a 5xx with. */
export function htmlErrorPage(status: number): string {
  const title = `${status} ${status === 502 ? 'Bad Gateway' : status === 504 ? 'Gateway Time-out' : status === 500 ? 'Internal Server Error' : 'Service Temporarily Unavailable'}`;
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n</body>\r\n</html>\r\n`;
}

/** Sends JSON on an open websocket; ignores closed sockets. */
export function sendJson(ws: WebSocket, value: unknown): void {
  if (ws.readyState === WebSocket.OPEN) ws.send(typeof value === 'string' ? value : JSON.stringify(value));
}
