/**
 * Native Binance spot adapter on the WebSocket API (ws package): signed order.place / order.cancel, and the user
 * data stream on the same socket (userDataStream.subscribe.signature: executionReport events). REST (signed) for
 * exchangeInfo, lookups by client order id, open orders and fills — the reconciliation after every reconnect and
 * the polling while the socket is down.
 *
 * Binance spot has no batch endpoint: a batch goes out as parallel single order.place requests within the limits
 * (request weight per minute, orders per 10 s and per day: from exchangeInfo, lowered by YAML). Every answer's
 * `rateLimits` (and every REST answer's X-MBX-* headers) tells the limiter what the venue counted.
 *
 * A request without an answer within requestTimeoutMs, or in flight when the socket drops, has an unknown outcome and
 * is looked up by client order id. recvWindow is requestTimeoutMs, so a lost order.place can no longer execute once
 * requestTimeoutMs (+ clockSkewMs) has passed since it was signed: "not found" after that is conclusive.
 */
import type { Instrument } from '../../src/model/instrument.js';
import type { BaseAdapterOptions, OrderRef, QueryKind, TradeQuery } from '../common/base-adapter.js';
import { binanceError } from '../common/binance-codes.js';
import { VenueError, unknownOutcome } from '../common/errors.js';
import type { TrackedOrder } from '../common/tracked-order.js';
import type { Cost } from '../common/window-pool.js';
import { type QueryValue, signBinanceWsParams } from '../common/signing.js';
import type { CancelResult, OrderSnapshot, PlaceResult, TradeEvent, VenueMarket } from '../common/types.js';
import type { AmendAnswer, AmendSpec } from '../common/amends.js';
import type { BinanceUrlSet } from '../common/urls.js';
import {
  BINANCE_WEIGHT,
  type RateLimitOverrides,
  binanceAdvertisedLimits,
  binancePlaceCosts,
  binancePools,
  binanceUsagePool,
  binanceWeight,
} from '../common/venue-limits.js';
import { type Json, WsVenueAdapter } from '../common/ws-adapter.js';
import { BinanceRest } from './http-client.js';
import { executionReport, myTrade, orderSnapshot, placeFills } from './parse.js';
import { binanceBalances, type VenueBalance } from '../common/balances.js';

export interface BinanceWsAdapterOptions extends Omit<BaseAdapterOptions, 'pools'> {
  readonly credentials: { readonly apiKey: string; readonly secret: string };
  readonly urls: BinanceUrlSet;
  readonly rateLimits: RateLimitOverrides;
}

interface WsReply {
  id?: unknown;
  status?: number;
  result?: unknown;
  error?: { code?: number; msg?: string; data?: { retryAfter?: number; [k: string]: unknown } };
  rateLimits?: Array<{ rateLimitType?: string; interval?: string; intervalNum?: number; count?: number }>;
}

export class BinanceWsAdapter extends WsVenueAdapter {
  private readonly rest: BinanceRest;
  /** Binance symbol id (BTCUSDT) by our symbol (BTC-USDT), and our instrument by Binance symbol id. */
  private readonly symbolIds = new Map<string, string>();
  private readonly byId = new Map<string, Instrument>();
  private readonly credentials: { readonly apiKey: string; readonly secret: string };
  private readonly overrides: RateLimitOverrides;

  constructor(options: BinanceWsAdapterOptions) {
    super({ ...options, pools: binancePools(options.rateLimits), ws: { url: options.urls.wsApi, heartbeat: 'ping-frame', what: 'websocket API' } });
    this.credentials = options.credentials;
    this.overrides = options.rateLimits;
    for (const inst of options.instruments) {
      const id = `${inst.base}${inst.quote}`;
      this.symbolIds.set(inst.symbol, id);
      this.byId.set(id, inst);
    }
    this.rest = new BinanceRest({
      baseUrl: options.urls.rest,
      apiKey: options.credentials.apiKey,
      secret: options.credentials.secret,
      recvWindowMs: this.recvWindow(),
      timeoutMs: options.settings.requestTimeoutMs,
      signal: this.abort.signal,
      now: () => this.clock.now(),
      onUsage: (pool, count) => this.limiter.observeCount(pool, count),
    });
  }

  private recvWindow(): number {
    return Math.min(60_000, Math.max(1, this.settings.requestTimeoutMs));
  }

  protected requestValidityMs(): number {
    return this.recvWindow();
  }

  private sym(inst: Instrument): string {
    return this.symbolIds.get(inst.symbol) ?? `${inst.base}${inst.quote}`;
  }

  protected override venueSymbol(inst: Instrument): string {
    return this.sym(inst);
  }

  // ------------------------------------------------------------------------------------------ connect

  protected async connect(): Promise<VenueMarket[]> {
    const ids = this.instruments.map((i) => this.sym(i));
    const info = (await this.limiter.run(binanceWeight(BINANCE_WEIGHT.exchangeInfo), 'query', () => this.rest.exchangeInfo(ids))) as Json;
    const limits = binanceAdvertisedLimits(info['rateLimits'], this.overrides);
    for (const [pool, limit] of Object.entries(limits)) this.limiter.setLimit(pool, limit);
    const markets: VenueMarket[] = [];
    for (const s of (Array.isArray(info['symbols']) ? info['symbols'] : []) as Json[]) {
      const inst = this.byId.get(String(s['symbol']));
      if (inst === undefined) continue;
      const filters = (Array.isArray(s['filters']) ? s['filters'] : []) as Json[];
      const f = (type: string): Json | undefined => filters.find((x) => x['filterType'] === type);
      markets.push({
        symbol: inst.symbol,
        active: s['status'] === 'TRADING',
        tickSize: String(f('PRICE_FILTER')?.['tickSize'] ?? ''),
        lotSize: String(f('LOT_SIZE')?.['stepSize'] ?? ''),
        minQty: f('LOT_SIZE')?.['minQty'] as string | undefined,
        minNotional: (f('NOTIONAL')?.['minNotional'] ?? f('MIN_NOTIONAL')?.['minNotional']) as string | undefined,
      });
    }
    return markets;
  }

  /** Session set-up on every (re)connect: subscribe to the user data stream; then the stream is up. */
  protected async session(): Promise<void> {
    const id = this.nextId();
    const params = signBinanceWsParams({}, this.credentials.apiKey, this.credentials.secret, this.clock.now());
    const reply = await this.limiter.run(binanceWeight(BINANCE_WEIGHT.userDataSubscribe), 'cancel', () =>
      this.ws.request<WsReply>(id, { id, method: 'userDataStream.subscribe.signature', params }, this.settings.requestTimeoutMs, 'userDataStream.subscribe', true),
    );
    if (reply.status !== 200) {
      const e = this.replyError('query', reply);
      if (e.kind === 'auth') this.credentialsRefused(e);
      throw e;
    }
    this.breaker.success();
    this.streamUp();
  }

  // ------------------------------------------------------------------------------------------ messages

  protected onMessage(msg: Json): void {
    if (msg['id'] !== undefined && msg['id'] !== null) {
      this.observe(msg as WsReply);
      this.ws.resolve(String(msg['id']), msg);
      return;
    }
    const ev = msg['event'] as Json | undefined;
    if (ev !== undefined && ev['e'] === 'executionReport') {
      const inst = this.byId.get(String(ev['s']));
      if (inst === undefined) return;
      const { snapshot, trade } = executionReport(ev, inst);
      if (trade !== undefined) this.applyTrade(trade);
      this.applySnapshot(snapshot);
    }
  }

  private observe(reply: WsReply): void {
    for (const r of reply.rateLimits ?? []) {
      const pool = binanceUsagePool(String(r.rateLimitType), String(r.interval), Number(r.intervalNum));
      if (pool !== undefined && typeof r.count === 'number') this.limiter.observeCount(pool, r.count);
    }
  }

  private replyError(op: 'place' | 'cancel' | 'query', reply: WsReply): VenueError {
    // The reply's status decides first (binanceError: >= 500 is an unknown outcome whatever the error code says).
    // No status, or a success status without a result: an answer that tells nothing — unknown, looked up.
    const status = typeof reply.status === 'number' ? reply.status : 500;
    if (status < 400) return unknownOutcome(`binance ws-api: status ${status} without a result (execution status unknown)`, { httpStatus: status });
    const retry = reply.error?.data?.retryAfter;
    return binanceError(
      op,
      status,
      reply.error?.code,
      reply.error?.msg ?? 'no error message',
      typeof retry === 'number' ? Math.max(0, retry - this.clock.now()) : undefined,
    );
  }

  // ------------------------------------------------------------------------------------------ orders

  protected placeCosts(group: readonly TrackedOrder[]): Cost[] {
    return binancePlaceCosts(group.length);
  }

  protected cancelCosts(): Cost[] {
    return binanceWeight(BINANCE_WEIGHT.cancel);
  }

  protected queryCosts(kind: QueryKind): Cost[] {
    switch (kind) {
      case 'order':
        return binanceWeight(BINANCE_WEIGHT.order);
      case 'open':
        return binanceWeight(BINANCE_WEIGHT.openOrders);
      case 'trades':
        return binanceWeight(BINANCE_WEIGHT.myTrades);
      case 'orderTrades':
        return binanceWeight(BINANCE_WEIGHT.myTradesByOrder);
      case 'balance':
        return binanceWeight(BINANCE_WEIGHT.account);
    }
  }

  protected async place(group: readonly TrackedOrder[]): Promise<PlaceResult[]> {
    // one order per request (planGroups default): Binance spot has no batch endpoint
    const t = group[0]!;
    const inst = t.instrument;
    const p: Record<string, QueryValue | undefined> = {
      symbol: this.sym(inst),
      side: t.side,
      newClientOrderId: t.clientOrderId,
      newOrderRespType: 'FULL',
      recvWindow: this.recvWindow(),
      quantity: inst.lotsToQty(t.qtyLots),
    };
    if (t.type === 'MARKET') {
      p['type'] = 'MARKET';
    } else if (t.postOnly) {
      p['type'] = 'LIMIT_MAKER';
      p['price'] = inst.ticksToPrice(t.priceTicks);
    } else {
      p['type'] = 'LIMIT';
      p['timeInForce'] = t.timeInForce;
      p['price'] = inst.ticksToPrice(t.priceTicks);
    }
    const id = this.nextId();
    const params = signBinanceWsParams(p, this.credentials.apiKey, this.credentials.secret, t.sentAt);
    const reply = await this.ws.request<WsReply>(id, { id, method: 'order.place', params }, this.settings.requestTimeoutMs, `order.place ${t.clientOrderId}`);
    // a single-order request: its error is the request's (the limiter learns refusals, the breaker failures)
    if (reply.status !== 200 || typeof reply.result !== 'object' || reply.result === null) throw this.replyError('place', reply);
    const r = reply.result as Json;
    return [
      {
        kind: 'accepted',
        venueOrderId: String(r['orderId']),
        snapshot: orderSnapshot(r, inst),
        trades: placeFills(r, inst, this.sym(inst)),
      },
    ];
  }

  protected async sendCancel(t: TrackedOrder): Promise<CancelResult> {
    const id = this.nextId();
    // By the venue order id once ours is bound to one: our client order id may by now name another program's open
    // order (see common/cancels.ts). By client order id only while no venue id is known.
    const orderId = t.venueOrderId === undefined || t.venueOrderId === '' ? NaN : Number(t.venueOrderId);
    const ref = Number.isSafeInteger(orderId) ? { orderId } : { origClientOrderId: t.clientOrderId };
    const params = signBinanceWsParams(
      { symbol: this.sym(t.instrument), ...ref, recvWindow: this.recvWindow() },
      this.credentials.apiKey,
      this.credentials.secret,
      this.clock.now(),
    );
    const reply = await this.ws.request<WsReply>(id, { id, method: 'order.cancel', params }, this.settings.requestTimeoutMs, `order.cancel ${t.clientOrderId}`);
    if (reply.status !== 200 || typeof reply.result !== 'object' || reply.result === null) throw this.replyError('cancel', reply);
    return { kind: 'canceled', snapshot: orderSnapshot(reply.result as Json, t.instrument) };
  }

  /** A pure quantity decrease is amended in place (order.amend.keepPriority); anything else by order.cancelReplace. */
  private keepsPriority(t: TrackedOrder, spec: AmendSpec): boolean {
    return !spec.priceChanged && spec.totalLots < t.qtyLots;
  }

  protected override amendReplaces(t: TrackedOrder, spec: AmendSpec): boolean {
    return !this.keepsPriority(t, spec);
  }

  /** The order's reference for a request: its venue order id once bound, else its client order id (`prefix` names). */
  private orderRef(t: TrackedOrder, idKey: string, cidKey: string): Record<string, QueryValue> {
    const orderId = t.venueOrderId === undefined || t.venueOrderId === '' ? NaN : Number(t.venueOrderId);
    return Number.isSafeInteger(orderId) ? { [idKey]: orderId } : { [cidKey]: t.clientOrderId };
  }

  /**
   * Amend. A quantity decrease at the same price: order.amend.keepPriority (newQty = the order's new quantity, what
   * executed included; same ids, same place in the queue). Otherwise order.cancelReplace with STOP_ON_FAILURE: the old
   * order is canceled and a new one placed with the daemon's replacement client order id and the rest (new total -
   * filled) as its quantity; the order is rebound to the new ids. The cancel failed (-2022: filled or canceled
   * meanwhile): refused, nothing placed. The cancel succeeded and the new order failed (-2021): the order is gone
   * (CANCELED). A fill the old order made after our last report (the cancel answer's executedQty says so) makes the
   * new order too large by as much: it is lowered at once by keepPriority (or canceled when nothing would be left),
   * so the order never trades beyond its new total.
   */
  protected override async sendAmend(t: TrackedOrder, spec: AmendSpec): Promise<AmendAnswer> {
    const inst = t.instrument;
    const id = this.nextId();
    if (this.keepsPriority(t, spec)) {
      const params = signBinanceWsParams(
        { symbol: this.sym(inst), ...this.orderRef(t, 'orderId', 'origClientOrderId'), newQty: inst.lotsToQty(spec.totalLots), recvWindow: this.recvWindow() },
        this.credentials.apiKey, this.credentials.secret, this.clock.now(),
      );
      const reply = await this.ws.request<WsReply>(id, { id, method: 'order.amend.keepPriority', params }, this.settings.requestTimeoutMs, `order.amend.keepPriority ${t.clientOrderId}`);
      if (reply.status !== 200 || typeof reply.result !== 'object' || reply.result === null) throw this.replyError('cancel', reply);
      const amended = (reply.result as Json)['amendedOrder'];
      return { kind: 'amended', snapshot: amended !== null && typeof amended === 'object' ? orderSnapshot(amended as Json, inst) : undefined };
    }
    const p: Record<string, QueryValue | undefined> = {
      symbol: this.sym(inst),
      side: t.side,
      cancelReplaceMode: 'STOP_ON_FAILURE',
      ...this.orderRef(t, 'cancelOrderId', 'cancelOrigClientOrderId'),
      newClientOrderId: spec.newClientOrderId,
      newOrderRespType: 'FULL',
      recvWindow: this.recvWindow(),
      quantity: inst.lotsToQty(spec.restLots),
      price: inst.ticksToPrice(spec.priceTicks),
    };
    if (t.postOnly) p['type'] = 'LIMIT_MAKER';
    else {
      p['type'] = 'LIMIT';
      p['timeInForce'] = t.timeInForce;
    }
    const params = signBinanceWsParams(p, this.credentials.apiKey, this.credentials.secret, this.clock.now());
    const knownOld = t.filledLots - t.filledBase;
    const reply = await this.ws.request<WsReply>(id, { id, method: 'order.cancelReplace', params }, this.settings.requestTimeoutMs, `order.cancelReplace ${t.clientOrderId}`);
    if (reply.status === 200 && typeof reply.result === 'object' && reply.result !== null) {
      const r = reply.result as Json;
      const fresh = (r['newOrderResponse'] ?? {}) as Json;
      const canceled = (r['cancelResponse'] ?? {}) as Json;
      const executed = typeof canceled['executedQty'] === 'string' ? inst.qtyToLots(canceled['executedQty']) : undefined;
      const late = executed?.ok === true ? executed.value - knownOld : 0;
      const vid = String(fresh['orderId'] ?? '');
      const trades = placeFills(fresh, inst, this.sym(inst));
      if (late > 0) {
        // the old order's fills we have not heard of: fetched now (reported under the order like any fill), and the
        // replacement lowered by as much once the order is bound to it
        const oldVid = t.venueOrderId;
        try {
          const since = t.sentAt > 0 ? t.sentAt - this.settings.clockSkewMs : undefined;
          // directly, not through the limiter: the amend holds its slot (the REST answer's headers still count the weight)
          trades.unshift(...(await this.fetchTrades(inst, { venueOrderId: oldVid, sinceMs: since })));
        } catch (err) {
          this.log.warn({ venue: this.name, clientOrderId: t.clientOrderId, err: String(err) }, 'fetching the fills of the replaced order failed (reconciliation will find them)');
        }
      }
      return {
        kind: 'amended', venueOrderId: vid, clientOrderId: spec.newClientOrderId, snapshot: orderSnapshot(fresh, inst), trades,
        ...(late > 0 ? { afterBind: () => this.trimReplacement(t, vid, spec.restLots - late) } : {}),
      };
    }
    const data = reply.error?.data;
    const code = reply.error?.code;
    if (data !== undefined && data['cancelResult'] === 'SUCCESS' && data['newOrderResult'] === 'FAILURE') {
      const why = (data['newOrderResponse'] ?? {}) as Json;
      return { kind: 'canceled', reason: `VENUE_REJECTED: amend by cancel-replace: the order was canceled, its replacement refused (${String(why['code'] ?? code)} ${String(why['msg'] ?? '')})`.trim() };
    }
    if (data !== undefined && data['cancelResult'] === 'FAILURE') {
      const why = (data['cancelResponse'] ?? {}) as Json;
      throw new VenueError('rejected', 'VENUE_REJECTED', `binance ${String(why['code'] ?? code)} ${String(why['msg'] ?? 'cancel-replace failed')} (the order was not canceled; nothing placed)`);
    }
    throw this.replyError('place', reply);
  }

  /**
   * The old order filled more than we knew before the cancel-replace took it: the replacement is too large by that
   * much. Lowered in place to `lots` (keepPriority), or canceled when nothing would be left.
   */
  private trimReplacement(t: TrackedOrder, venueOrderId: string, lots: number): void {
    if (t.venueOrderId !== venueOrderId || t.done) return;
    this.log.warn({ venue: this.name, clientOrderId: t.clientOrderId, lots }, 'cancel-replace raced a fill: lowering the replacement so the order never trades beyond its new total');
    if (lots <= 0) {
      this.cancel({ orderId: t.orderId, clientOrderId: t.clientOrderId, venueOrderId, instrument: t.instrument });
      return;
    }
    const id = this.nextId();
    const params = signBinanceWsParams(
      { symbol: this.sym(t.instrument), orderId: Number(venueOrderId), newQty: t.instrument.lotsToQty(lots), recvWindow: this.recvWindow() },
      this.credentials.apiKey, this.credentials.secret, this.clock.now(),
    );
    t.setTerms(t.priceTicks, t.filledBase + lots);
    void this.ws.request<WsReply>(id, { id, method: 'order.amend.keepPriority', params }, this.settings.requestTimeoutMs, `order.amend.keepPriority ${t.clientOrderId}`)
      .catch((err: unknown) => this.log.error({ venue: this.name, clientOrderId: t.clientOrderId, err: String(err) }, 'lowering the replacement failed: reconcile by hand'));
  }

  // ------------------------------------------------------------------------------------------ queries (REST)

  protected async fetchOrder(ref: OrderRef): Promise<OrderSnapshot | null> {
    const j = await this.rest.order(this.sym(ref.instrument), ref);
    return j === null ? null : orderSnapshot(j, ref.instrument);
  }

  protected async fetchOpen(instrument: Instrument): Promise<OrderSnapshot[]> {
    return (await this.rest.openOrders(this.sym(instrument))).map((j) => orderSnapshot(j, instrument));
  }

  protected async fetchBalances(): Promise<Map<string, VenueBalance>> {
    return binanceBalances(await this.rest.call('query', 'GET', '/account', { omitZeroBalances: 'true' }, true));
  }

  protected async fetchTrades(instrument: Instrument, q: TradeQuery): Promise<TradeEvent[]> {
    const id = this.sym(instrument);
    const list = await this.rest.myTrades(id, { startTime: q.sinceMs, orderId: q.venueOrderId });
    return list.map((j) => myTrade(j, instrument, id));
  }
}
