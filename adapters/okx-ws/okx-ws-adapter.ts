/**
 * Native OKX spot adapter on the private websocket (ws package): login, then the `orders` channel (execution
 * reports) and the `order`, `batch-orders` (at most 20 per request, each entry answered on its own) and
 * `cancel-order` ops on the same socket; text ping/pong heartbeats. REST (signed) for instruments, lookups by client
 * order id, pending orders and fills — the reconciliation after every reconnect and the polling while down.
 *
 * Every op carries `expTime` (sent + requestTimeoutMs): OKX drops a request that arrives later, so an op lost with
 * the connection can no longer execute after requestTimeoutMs (+ clockSkewMs), and "not found" then is conclusive.
 * Rate limits per instrument: place-order requests, batch orders and cancels per 2 s (YAML `rateLimits` overrides).
 */
import type { Instrument } from '../../src/model/instrument.js';
import type { BaseAdapterOptions, OrderRef, QueryKind, TradeQuery } from '../common/base-adapter.js';
import { unknownOutcome } from '../common/errors.js';
import { okxError } from '../common/okx-codes.js';
import type { TrackedOrder } from '../common/tracked-order.js';
import type { Cost } from '../common/window-pool.js';
import { okxLoginArgs } from '../common/signing.js';
import type { CancelResult, OrderSnapshot, PlaceResult, TradeEvent, VenueMarket } from '../common/types.js';
import type { AmendAnswer, AmendSpec } from '../common/amends.js';
import type { OkxUrlSet } from '../common/urls.js';
import { type RateLimitOverrides, okxCancelCosts, okxPlaceCosts, okxPools } from '../common/venue-limits.js';
import { type Json, WsVenueAdapter } from '../common/ws-adapter.js';
import { OkxRest } from './http-client.js';
import { orderSnapshot, pushTrade, restFill } from './parse.js';
import { okxBalances, type VenueBalance } from '../common/balances.js';

export interface OkxWsAdapterOptions extends Omit<BaseAdapterOptions, 'pools'> {
  readonly credentials: { readonly apiKey: string; readonly secret: string; readonly passphrase: string };
  readonly urls: OkxUrlSet;
  /** Demo trading: x-simulated-trading on REST (the demo websocket host is in `urls`). */
  readonly simulated: boolean;
  readonly rateLimits: RateLimitOverrides;
}

/** The reply's code; a reply without one tells nothing about the request: an unknown outcome. */
function replyCode(reply: Json, what: string): string {
  const code = reply['code'];
  if (typeof code !== 'string' || code === '') throw unknownOutcome(`okx ${what}: a reply without a code (execution status unknown)`);
  return code;
}

/** OKX batch-orders takes at most 20 orders. */
export const OKX_MAX_BATCH = 20;

export class OkxWsAdapter extends WsVenueAdapter {
  private readonly rest: OkxRest;
  private readonly credentials: OkxWsAdapterOptions['credentials'];
  private sessionStep: 'login' | 'subscribe' | undefined;

  constructor(options: OkxWsAdapterOptions) {
    super({ ...options, pools: okxPools(options.rateLimits), ws: { url: `${options.urls.ws}/private`, heartbeat: 'text-ping', what: 'private websocket' } });
    this.credentials = options.credentials;
    this.rest = new OkxRest({
      baseUrl: options.urls.rest,
      apiKey: options.credentials.apiKey,
      secret: options.credentials.secret,
      passphrase: options.credentials.passphrase,
      simulated: options.simulated,
      timeoutMs: options.settings.requestTimeoutMs,
      signal: this.abort.signal,
      now: () => this.clock.now(),
    });
  }

  protected requestValidityMs(): number {
    return this.settings.requestTimeoutMs;
  }

  /** OKX's instId is our symbol (BTC-USDT). */
  protected override venueSymbol(inst: Instrument): string {
    return inst.symbol;
  }

  // ------------------------------------------------------------------------------------------ connect

  protected async connect(): Promise<VenueMarket[]> {
    const first = this.instruments[0];
    const costs: Cost[] = first === undefined ? [] : [{ pool: 'readPublic', n: 1 }];
    const list = await this.limiter.run(costs, 'query', () => this.rest.instruments());
    const wanted = new Set(this.instruments.map((i) => i.symbol));
    const markets: VenueMarket[] = [];
    for (const j of list) {
      const id = String(j['instId']);
      if (!wanted.has(id)) continue;
      markets.push({
        symbol: id,
        active: j['state'] === 'live',
        tickSize: String(j['tickSz'] ?? ''),
        lotSize: String(j['lotSz'] ?? ''),
        minQty: typeof j['minSz'] === 'string' ? j['minSz'] : undefined,
        minNotional: undefined,
      });
    }
    return markets;
  }

  /** On every (re)connect: log in, subscribe to the orders channel; then the stream is up. */
  protected async session(): Promise<void> {
    const timeout = this.settings.requestTimeoutMs;
    this.sessionStep = 'login';
    const login = await this.ws.request<Json>(
      'login',
      { op: 'login', args: [okxLoginArgs(this.credentials.apiKey, this.credentials.secret, this.credentials.passphrase, this.clock.now())] },
      timeout,
      'login',
      true,
    );
    if (login['event'] !== 'login' || login['code'] !== '0') {
      const e = okxError('query', 401, String(login['code'] ?? ''), String(login['msg'] ?? 'login refused'));
      if (e.kind === 'auth') this.credentialsRefused(e);
      throw e;
    }
    this.sessionStep = 'subscribe';
    const sub = await this.ws.request<Json>('subscribe', { op: 'subscribe', args: [{ channel: 'orders', instType: 'SPOT' }] }, timeout, 'subscribe orders', true);
    this.sessionStep = undefined;
    if (sub['event'] !== 'subscribe') throw okxError('query', 400, String(sub['code'] ?? ''), String(sub['msg'] ?? 'subscribe refused'));
    this.breaker.success();
    this.streamUp();
  }

  // ------------------------------------------------------------------------------------------ messages

  protected onMessage(msg: Json): void {
    const event = msg['event'];
    if (typeof event === 'string') {
      if (event === 'login' || event === 'subscribe') this.ws.resolve(event, msg);
      else if (event === 'error') {
        if (this.sessionStep !== undefined) this.ws.resolve(this.sessionStep, msg);
        else this.log.warn({ venue: this.name, code: msg['code'], msg: msg['msg'] }, 'okx websocket error event');
      }
      return;
    }
    if (typeof msg['op'] === 'string' && msg['id'] !== undefined) {
      this.ws.resolve(String(msg['id']), msg);
      return;
    }
    const arg = msg['arg'] as Json | undefined;
    if (arg?.['channel'] === 'orders' && Array.isArray(msg['data'])) {
      for (const d of msg['data'] as Json[]) {
        const inst = this.bySymbol.get(String(d['instId']));
        if (inst === undefined) continue;
        const trade = pushTrade(d, inst);
        if (trade !== undefined) this.applyTrade(trade);
        this.applySnapshot(orderSnapshot(d, inst));
      }
    }
  }

  // ------------------------------------------------------------------------------------------ orders

  protected override planGroups(orders: readonly TrackedOrder[]): TrackedOrder[][] {
    const out: TrackedOrder[][] = [];
    for (let i = 0; i < orders.length; i += OKX_MAX_BATCH) out.push(orders.slice(i, i + OKX_MAX_BATCH));
    return out;
  }

  protected placeCosts(group: readonly TrackedOrder[]): Cost[] {
    return okxPlaceCosts(group);
  }

  protected cancelCosts(t: TrackedOrder): Cost[] {
    return okxCancelCosts(t.instrument);
  }

  protected queryCosts(kind: QueryKind, instrument: Instrument): Cost[] {
    switch (kind) {
      case 'order':
        return [{ pool: `readOrder:${instrument.symbol}`, n: 1 }];
      case 'open':
        return [{ pool: 'readPending', n: 1 }];
      case 'trades':
      case 'orderTrades':
        return [{ pool: 'readFills', n: 1 }];
      case 'balance':
        return [{ pool: 'readBalance', n: 1 }];
    }
  }

  private orderArgs(t: TrackedOrder): Json {
    const inst = t.instrument;
    const a: Json = {
      instId: inst.symbol,
      tdMode: 'cash',
      clOrdId: t.clientOrderId,
      side: t.side === 'BUY' ? 'buy' : 'sell',
      sz: inst.lotsToQty(t.qtyLots),
    };
    if (t.type === 'MARKET') {
      a['ordType'] = 'market';
      a['tgtCcy'] = 'base_ccy';
    } else {
      a['px'] = inst.ticksToPrice(t.priceTicks);
      a['ordType'] = t.postOnly ? 'post_only' : t.timeInForce === 'IOC' ? 'ioc' : t.timeInForce === 'FOK' ? 'fok' : 'limit';
    }
    return a;
  }

  protected async place(group: readonly TrackedOrder[]): Promise<PlaceResult[]> {
    const id = this.nextId();
    const op = group.length === 1 ? 'order' : 'batch-orders';
    const expTime = String(group[0]!.sentAt + this.settings.requestTimeoutMs);
    const reply = await this.ws.request<Json>(
      id,
      { id, op, expTime, args: group.map((t) => this.orderArgs(t)) },
      this.settings.requestTimeoutMs,
      `${op} ${group.length === 1 ? group[0]!.clientOrderId : `(${group.length} orders)`}`,
    );
    const code = replyCode(reply, `${op} ${group[0]!.clientOrderId}`);
    // a server-side code (50001, 50013, 50026 …) is an unknown outcome whatever it says (okx-codes.ts)
    if (code !== '0' && code !== '1' && code !== '2') throw okxError('place', 200, code, String(reply['msg'] ?? ''));
    const data = (Array.isArray(reply['data']) ? reply['data'] : []) as Json[];
    const results = group.map((t, i): PlaceResult => {
      const entry = data.find((d) => d['clOrdId'] === t.clientOrderId) ?? data[i];
      if (entry === undefined) return { kind: 'failed', error: unknownOutcome(`okx ${op}: no entry for ${t.clientOrderId} in the answer`) };
      const sCode = String(entry['sCode'] ?? '');
      if (sCode === '0') return { kind: 'accepted', venueOrderId: String(entry['ordId'] ?? '') };
      return { kind: 'failed', error: okxError('place', 200, sCode, String(entry['sMsg'] ?? '')) };
    });
    // a single-order request: its error is the request's (the limiter learns refusals, the breaker failures)
    const only = results[0];
    if (group.length === 1 && only !== undefined && only.kind === 'failed') throw only.error;
    return results;
  }

  protected async sendCancel(t: TrackedOrder): Promise<CancelResult> {
    const id = this.nextId();
    // By the venue order id once ours is bound to one: our client order id may by now name another program's open
    // order (see common/cancels.ts). By client order id only while no venue id is known.
    const ref = t.venueOrderId !== undefined && t.venueOrderId !== '' ? { ordId: t.venueOrderId } : { clOrdId: t.clientOrderId };
    const reply = await this.ws.request<Json>(
      id,
      { id, op: 'cancel-order', expTime: String(this.clock.now() + this.settings.requestTimeoutMs), args: [{ instId: t.instrument.symbol, ...ref }] },
      this.settings.requestTimeoutMs,
      `cancel-order ${t.clientOrderId}`,
    );
    const code = replyCode(reply, `cancel-order ${t.clientOrderId}`);
    const entry = (Array.isArray(reply['data']) ? reply['data'] : [])[0] as Json | undefined;
    if (code === '0' && entry !== undefined && String(entry['sCode'] ?? '0') === '0') return { kind: 'canceled' };
    if ((code === '0' || code === '1' || code === '2') && entry !== undefined) {
      throw okxError('cancel', 200, String(entry['sCode'] ?? ''), String(entry['sMsg'] ?? ''));
    }
    if (code === '0' || code === '1' || code === '2') throw unknownOutcome(`okx cancel-order ${t.clientOrderId}: code ${code} without an entry (outcome unknown)`);
    throw okxError('cancel', 200, code, String(reply['msg'] ?? ''));
  }

  /**
   * OKX amend-order on the private websocket: in place (the order keeps its ids), by ordId once bound (clOrdId only
   * before), newSz = the venue order's new TOTAL (filled included), newPx. sCode 0 = amended; 51503 = filled, canceled
   * or unknown (the amend lost a race): refused; a server code or no reply = unknown outcome (amends.ts looks it up).
   */
  protected override async sendAmend(t: TrackedOrder, spec: AmendSpec): Promise<AmendAnswer> {
    const id = this.nextId();
    const inst = t.instrument;
    const ref = t.venueOrderId !== undefined && t.venueOrderId !== '' ? { ordId: t.venueOrderId } : { clOrdId: t.clientOrderId };
    const args: Json = { instId: inst.symbol, ...ref };
    if (spec.qtyChanged) args['newSz'] = inst.lotsToQty(spec.totalLots);
    if (spec.priceChanged || !spec.qtyChanged) args['newPx'] = inst.ticksToPrice(spec.priceTicks);
    const reply = await this.ws.request<Json>(
      id,
      { id, op: 'amend-order', expTime: String(this.clock.now() + this.settings.requestTimeoutMs), args: [args] },
      this.settings.requestTimeoutMs,
      `amend-order ${t.clientOrderId}`,
    );
    const code = replyCode(reply, `amend-order ${t.clientOrderId}`);
    const entry = (Array.isArray(reply['data']) ? reply['data'] : [])[0] as Json | undefined;
    if (code === '0' && entry !== undefined && String(entry['sCode'] ?? '0') === '0') return { kind: 'amended' };
    if ((code === '0' || code === '1' || code === '2') && entry !== undefined) {
      throw okxError('place', 200, String(entry['sCode'] ?? ''), String(entry['sMsg'] ?? ''));
    }
    if (code === '0' || code === '1' || code === '2') throw unknownOutcome(`okx amend-order ${t.clientOrderId}: code ${code} without an entry (outcome unknown)`);
    throw okxError('place', 200, code, String(reply['msg'] ?? ''));
  }

  // ------------------------------------------------------------------------------------------ queries (REST)

  protected async fetchOrder(ref: OrderRef): Promise<OrderSnapshot | null> {
    const j = await this.rest.order(ref.instrument.symbol, ref);
    return j === null ? null : orderSnapshot(j, ref.instrument);
  }

  protected async fetchOpen(instrument: Instrument): Promise<OrderSnapshot[]> {
    return (await this.rest.pending(instrument.symbol)).map((j) => orderSnapshot(j, instrument));
  }

  protected async fetchBalances(): Promise<Map<string, VenueBalance>> {
    return okxBalances(await this.rest.get('query', '/api/v5/account/balance', {}, true));
  }

  protected async fetchTrades(instrument: Instrument, q: TradeQuery): Promise<TradeEvent[]> {
    const list = await this.rest.fills(instrument.symbol, { begin: q.sinceMs, ordId: q.venueOrderId });
    return list.map((j) => restFill(j, instrument));
  }
}

