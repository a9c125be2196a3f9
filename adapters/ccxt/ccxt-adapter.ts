/**
 * One adapter for a ccxt exchange id, proven for Binance spot and OKX spot (profiles.ts).
 *
 *  - Set-up: ccxt pro instance (REST and websockets), sandbox mode from YAML, keys from the config (env
 *    references), URL overrides from YAML applied after sandbox mode, ccxt's own throttle off (enableRateLimit:
 *    false: the adapter's limiters take over), ccxt's timeout = requestTimeoutMs.
 *  - loadMarkets -> instruments checked against the venue's tick, lot, minimum quantity and notional.
 *  - Orders: createOrder with our client order id; OKX batches through createOrders (batch-orders, at most 20, each
 *    entry's answer on its own, even when all fail); Binance spot has no batch endpoint: parallel single requests.
 *  - cancelOrder / fetchOrder / fetchOrderTrades by the venue order id once known (by client order id before),
 *    fetchOpenOrders, fetchMyTrades.
 *  - Execution reports from ccxt pro watchOrders and watchMyTrades; while they are down, REST polling (base-adapter).
 *  - Rate-limit headers and Retry-After are read from every response (a handleErrors hook).
 */
import type { Instrument } from '../../src/model/instrument.js';
import { Backoff, sleep } from '../common/backoff.js';
import { BaseVenueAdapter, type BaseAdapterOptions, type OrderRef, type QueryKind, type TradeQuery } from '../common/base-adapter.js';
import { decimalText } from '../../src/model/decimal.js';
import { VenueError, unknownOutcome } from '../common/errors.js';
import { okxError } from '../common/okx-codes.js';
import type { TrackedOrder } from '../common/tracked-order.js';
import type { Cost } from '../common/window-pool.js';
import type { CancelResult, OrderSnapshot, PlaceResult, TradeEvent, VenueMarket } from '../common/types.js';
import type { AmendAnswer, AmendSpec } from '../common/amends.js';
import type { UrlOverrides } from '../common/urls.js';
import type { RateLimitOverrides } from '../common/venue-limits.js';
import { ccxtLib } from './ccxt-lib.js';
import { type CcxtOp, classifyCcxtError, tagHttpAnswer, unusableAnswer, unusableBody } from './errors.js';
import { type CcxtOrder, type CcxtTrade, orderSnapshot, tradeEvent } from './parse.js';
import { type CcxtExchange, type CcxtProfile, type ProfileContext, profileFor } from './profiles.js';
import { binanceBalances, okxBalances, type VenueBalance } from '../common/balances.js';

export interface CcxtAdapterOptions extends Omit<BaseAdapterOptions, 'pools'> {
  /** ccxt exchange id: 'binance', 'okx' (others run on a generic profile). */
  readonly exchangeId: string;
  readonly sandbox: boolean;
  readonly urls: UrlOverrides;
  readonly credentials: { readonly apiKey: string; readonly secret: string; readonly passphrase?: string | undefined };
  readonly rateLimits: RateLimitOverrides;
}

type Json = Record<string, unknown>;

function safeJson(text: unknown): unknown {
  if (typeof text !== 'string') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** When the venue gives no subscription signal: the stream counts as up this long after its socket connected. */
const SUBSCRIBE_GRACE_MS = 500;

function makeExchange(o: CcxtAdapterOptions, profile: CcxtProfile, ctx: ProfileContext): CcxtExchange {
  const ccxt = ccxtLib();
  const pro = ccxt.pro as unknown as Record<string, new (config: Json) => CcxtExchange>;
  const rest = ccxt as unknown as Record<string, new (config: Json) => CcxtExchange>;
  const Ctor = pro[o.exchangeId] ?? rest[o.exchangeId];
  if (typeof Ctor !== 'function') throw new RangeError(`ccxt has no exchange "${o.exchangeId}"`);
  const ex = new Ctor({
    apiKey: o.credentials.apiKey,
    secret: o.credentials.secret,
    password: o.credentials.passphrase,
    enableRateLimit: false,
    timeout: o.settings.requestTimeoutMs,
    options: profile.options(ctx),
  });
  if (o.sandbox) ex.setSandboxMode(true);
  const api = profile.api(o.sandbox, o.urls);
  if (api !== undefined) ex.urls['api'] = api;
  return ex;
}

export class CcxtAdapter extends BaseVenueAdapter {
  readonly exchange: CcxtExchange;
  private readonly profile: CcxtProfile;
  private readonly ctx: ProfileContext;
  private readonly plainWs: boolean;
  /** By our symbol (BTC-USDT): ccxt's unified symbol (BTC/USDT) and the venue's market id (BTCUSDT, BTC-USDT). */
  private readonly ccxtSymbols = new Map<string, string>();
  private readonly marketIds = new Map<string, string>();
  private readonly byCcxtSymbol = new Map<string, Instrument>();
  private lastRetryAfter: { at: number; ms: number } | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  private readonly hasStreams: boolean;

  constructor(options: CcxtAdapterOptions) {
    const profile = profileFor(options.exchangeId);
    const ctx: ProfileContext = { settings: options.settings, rateLimits: options.rateLimits, now: () => options.clock.now() };
    const ex = makeExchange(options, profile, ctx);
    super({ ...options, pools: profile.pools(ctx, ex) });
    this.exchange = ex;
    this.profile = profile;
    this.ctx = ctx;
    this.plainWs = /"ws:\/\//.test(JSON.stringify(ex.urls['api'] ?? {}));
    this.hasStreams = typeof ex.watchOrders === 'function' && ex.has['watchOrders'] === true;
    for (const inst of options.instruments) {
      const sym = `${inst.base}/${inst.quote}`;
      this.ccxtSymbols.set(inst.symbol, sym);
      this.byCcxtSymbol.set(sym, inst);
    }
    this.hook();
  }

  private hook(): void {
    const ex = this.exchange;
    const handleErrors = ex.handleErrors.bind(ex);
    // ccxt's exceptions carry the body but not the HTTP status: every exception raised while handling an answer is
    // tagged with that answer (errors.ts decides on the status first). ccxt raises nothing for some 5xx statuses
    // and for a body that is not JSON (it hands the text on as the result): those become an UnusableAnswer here.
    const handleHttpStatusCode = ex.handleHttpStatusCode.bind(ex);
    ex.handleErrors = (...args: unknown[]) => {
      const [status, reason, url, method, headers, body, response] = args as [number, string, string, string, Record<string, string> | undefined, string, unknown];
      this.onResponse(status, headers ?? {});
      const text = typeof body === 'string' ? body.slice(0, 200) : '';
      const answer = { status, body: response, text };
      try {
        if (status >= 500 || unusableBody(status, response)) {
          // ccxt's own exception when it raises one (its class and message), else ours; the tag decides either way
          if (handleErrors(...args) === undefined) handleHttpStatusCode(status, reason, url, method, text);
          throw unusableAnswer(this.profile.id, method, url, status, text);
        }
        if (this.profile.keepAnswer(url, response)) return undefined;
        return handleErrors(...args);
      } catch (err) {
        throw tagHttpAnswer(err, answer);
      }
    };
    // ccxt's own status table (called when handleErrors lets an answer through): its exceptions get the tag too
    ex.handleHttpStatusCode = (status: number, reason: string, url: string, method: string, body: string) => {
      try {
        return handleHttpStatusCode(status, reason, url, method, body);
      } catch (err) {
        throw tagHttpAnswer(err, { status, body: safeJson(body), text: typeof body === 'string' ? body.slice(0, 200) : '' });
      }
    };
    const handleMessage = ex.handleMessage.bind(ex);
    ex.handleMessage = (client: unknown, message: unknown) => {
      try {
        if (this.profile.subscribed(message) === true) this.streamUp();
      } catch {
        // a tap only
      }
      return handleMessage(client, message);
    };
    // ccxt creates some futures nobody may await (e.g. binance's 'authenticate:signature:spot', made ahead for
    // concurrent subscribers): when a subscription is refused it rejects them, and an unawaited rejection would take
    // the process down. Every future gets a no-op handler; whoever awaits one still sees its rejection.
    const client = (ex['client'] as (url: string) => Record<string, unknown>).bind(ex);
    ex['client'] = (url: string): Record<string, unknown> => {
      const c = client(url);
      if (c['__switchyard'] !== true) {
        c['__switchyard'] = true;
        const future = (c['future'] as (hash: string) => Promise<unknown>).bind(c);
        c['future'] = (hash: string): Promise<unknown> => {
          const f = future(hash);
          f.catch(() => undefined);
          return f;
        };
      }
      return c;
    };
    const onConnected = ex.onConnected.bind(ex);
    ex.onConnected = (client: unknown, message?: unknown) => {
      if (this.profile.subscribed(undefined) === undefined) {
        if (this.graceTimer !== undefined) clearTimeout(this.graceTimer);
        this.graceTimer = setTimeout(() => this.streamUp(), SUBSCRIBE_GRACE_MS);
      }
      return onConnected(client, message);
    };
    this.profile.instrument(ex, this.ctx);
  }

  /** Every REST answer: usage headers, Retry-After, bans. */
  private onResponse(status: number, headers: Record<string, string>): void {
    for (const [pool, count] of this.profile.usage(headers)) this.limiter.observeCount(pool, count);
    if (status === 429 || status === 418) {
      const raw = Object.entries(headers).find(([k]) => k.toLowerCase() === 'retry-after')?.[1];
      const seconds = raw === undefined ? NaN : Number(raw);
      const ms = Number.isFinite(seconds) ? seconds * 1000 : status === 418 ? 120_000 : 1000;
      this.lastRetryAfter = { at: this.clock.now(), ms };
      if (status === 418) this.limiter.pauseAll(ms, `${this.name}: banned (418)`, true);
    }
  }

  private retryAfter(): number | undefined {
    const r = this.lastRetryAfter;
    return r !== undefined && this.clock.now() - r.at < 1000 ? r.ms : undefined;
  }

  private async call<T>(op: CcxtOp, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw classifyCcxtError(err, this.profile.id, op, this.retryAfter());
    }
  }

  private sym(inst: Instrument): string {
    return this.ccxtSymbols.get(inst.symbol) ?? `${inst.base}/${inst.quote}`;
  }

  /** Snapshots carry ccxt's unified symbol (BTC/USDT). */
  protected override venueSymbol(inst: Instrument): string {
    return this.sym(inst);
  }

  private marketId(inst: Instrument): string {
    return this.marketIds.get(inst.symbol) ?? this.sym(inst);
  }

  protected requestValidityMs(): number {
    return this.profile.validityMs(this.ctx);
  }

  // ------------------------------------------------------------------------------------------ connect

  protected async connect(): Promise<VenueMarket[]> {
    const ex = this.exchange;
    if (this.plainWs) await ex.loadHttpProxyAgent();
    await this.limiter.run(this.profile.marketsCosts(), 'query', () => this.call('query', () => ex.loadMarkets()));
    for (const [pool, limit] of Object.entries(this.profile.advertisedLimits(this.ctx))) this.limiter.setLimit(pool, limit);
    const markets: VenueMarket[] = [];
    for (const inst of this.instruments) {
      const m = ex.markets[this.sym(inst)];
      if (m === undefined) continue;
      this.marketIds.set(inst.symbol, m.id);
      markets.push({
        symbol: inst.symbol,
        active: m.active !== false,
        tickSize: this.precision(m.precision.price),
        lotSize: this.precision(m.precision.amount),
        minQty: decimalText(m.limits.amount?.min),
        minNotional: decimalText(m.limits.cost?.min),
      });
    }
    return markets;
  }

  /** A ccxt precision as an increment (TICK_SIZE mode: the increment itself; DECIMAL_PLACES: 10^-n). */
  private precision(p: number | undefined): string {
    if (p === undefined) return '';
    if (this.exchange.precisionMode === ccxtLib().TICK_SIZE) return decimalText(p) ?? '';
    return p <= 0 ? '1' : `0.${'0'.repeat(p - 1)}1`;
  }

  protected async openStream(): Promise<void> {
    if (!this.hasStreams) return; // REST polling only
    void this.watchLoop('orders');
    void this.watchLoop('trades');
    await this.waitStream(this.settings.streamStartTimeoutMs);
  }

  protected async closeTransport(): Promise<void> {
    if (this.graceTimer !== undefined) clearTimeout(this.graceTimer);
    await this.exchange.close();
  }

  private async watchLoop(kind: 'orders' | 'trades'): Promise<void> {
    const backoff = new Backoff(this.settings.reconnect);
    while (!this.stopped) {
      try {
        if (kind === 'orders') {
          const list = (await this.exchange.watchOrders()) as CcxtOrder[];
          backoff.reset();
          this.streamUp();
          for (const o of list) this.onStreamOrder(o);
        } else {
          const list = (await this.exchange.watchMyTrades()) as CcxtTrade[];
          backoff.reset();
          this.streamUp();
          for (const t of list) this.onStreamTrade(t);
        }
      } catch (err) {
        if (this.stopped) return;
        const e = classifyCcxtError(err, this.profile.id, 'query');
        if (e.kind === 'auth') this.credentialsRefused(e);
        this.streamDown(`ccxt watch ${kind}: ${e.message}`);
        await sleep(backoff.next(), this.abort.signal);
      }
    }
  }

  private instrumentOf(symbol: unknown): Instrument | undefined {
    return typeof symbol === 'string' ? this.byCcxtSymbol.get(symbol) : undefined;
  }

  private onStreamOrder(o: CcxtOrder & { symbol?: string }): void {
    const inst = this.instrumentOf(o.symbol);
    if (inst === undefined) return;
    const snap = orderSnapshot(o, inst);
    if (snap !== undefined) this.applySnapshot(snap);
  }

  private onStreamTrade(t: CcxtTrade): void {
    const inst = this.instrumentOf(t.symbol);
    if (inst === undefined) return;
    this.applyTrade(tradeEvent(t, inst, this.marketId(inst), this.profile.tradeClientId(t.info), this.profile.id));
  }

  // ------------------------------------------------------------------------------------------ orders

  protected override planGroups(orders: readonly TrackedOrder[]): TrackedOrder[][] {
    const max = this.profile.maxBatch;
    if (max === undefined) return orders.map((t) => [t]);
    const out: TrackedOrder[][] = [];
    for (let i = 0; i < orders.length; i += max) out.push(orders.slice(i, i + max));
    return out;
  }

  protected placeCosts(group: readonly TrackedOrder[]): Cost[] {
    return this.profile.placeCosts(group);
  }

  protected cancelCosts(t: TrackedOrder): Cost[] {
    return this.profile.cancelCosts(t);
  }

  protected queryCosts(kind: QueryKind, instrument: Instrument): Cost[] {
    return this.profile.queryCosts(kind, instrument);
  }

  private orderRequest(t: TrackedOrder): { symbol: string; type: string; side: string; amount: number; price: number | undefined; params: Json } {
    const inst = t.instrument;
    const params: Json = { ...this.profile.orderParams(t), clientOrderId: t.clientOrderId };
    const market = t.type === 'MARKET';
    if (!market) {
      if (t.postOnly) params['postOnly'] = true;
      else params['timeInForce'] = t.timeInForce;
    }
    return {
      symbol: this.sym(inst),
      type: market ? 'market' : 'limit',
      side: t.side === 'BUY' ? 'buy' : 'sell',
      amount: Number(inst.lotsToQty(t.qtyLots)),
      price: market ? undefined : Number(inst.ticksToPrice(t.priceTicks)),
      params,
    };
  }

  private accepted(o: CcxtOrder, t: TrackedOrder): PlaceResult {
    const inst = t.instrument;
    const trades = (o.trades ?? [])
      .filter((x) => x.id !== undefined)
      .map((x) => tradeEvent({ ...x, order: x.order ?? o.id }, inst, this.marketId(inst), t.clientOrderId, this.profile.id));
    const snapshot = orderSnapshot({ ...o, clientOrderId: o.clientOrderId ?? t.clientOrderId }, inst);
    return { kind: 'accepted', venueOrderId: String(o.id ?? ''), ...(snapshot !== undefined ? { snapshot } : {}), trades };
  }

  protected async place(group: readonly TrackedOrder[]): Promise<PlaceResult[]> {
    const ex = this.exchange;
    if (group.length === 1) {
      const t = group[0]!;
      const r = this.orderRequest(t);
      const o = (await this.call('place', () => ex.createOrder(r.symbol, r.type, r.side, r.amount, r.price, r.params))) as CcxtOrder;
      return [this.accepted(o, t)];
    }
    const list = (await this.call('place', () => ex.createOrders(group.map((t) => this.orderRequest(t) as unknown as Json)))) as CcxtOrder[];
    return group.map((t, i): PlaceResult => {
      const o = list.find((x) => x.clientOrderId === t.clientOrderId) ?? list[i];
      if (o === undefined) return { kind: 'failed', error: unknownOutcome(`${this.name}: no entry for ${t.clientOrderId} in the batch answer`) };
      if (o.status === 'rejected') return { kind: 'failed', error: this.entryError(o) };
      return this.accepted(o, t);
    });
  }

  /** A refused batch entry (ccxt keeps the venue's entry in `info`). */
  private entryError(o: CcxtOrder): VenueError {
    const info = o.info ?? {};
    if (this.profile.id === 'okx') return okxError('place', 200, String(info['sCode'] ?? ''), String(info['sMsg'] ?? ''));
    return new VenueError('rejected', 'VENUE_REJECTED', `${this.name}: ${JSON.stringify(info).slice(0, 200)}`);
  }

  protected async sendCancel(t: TrackedOrder): Promise<CancelResult> {
    // By the venue order id once ours is bound to one: our client order id may by now name another program's open
    // order (see common/cancels.ts). By client order id only while no venue id is known.
    const vid = t.venueOrderId;
    const byId = vid !== undefined && vid !== '';
    const o = (await this.call('cancel', () =>
      this.exchange.cancelOrder(byId ? vid : undefined, this.sym(t.instrument), byId ? {} : { clientOrderId: t.clientOrderId }),
    )) as CcxtOrder;
    const snapshot = orderSnapshot({ ...o, clientOrderId: o.clientOrderId ?? t.clientOrderId }, t.instrument);
    return snapshot !== undefined && snapshot.state === 'CANCELED' ? { kind: 'canceled', snapshot } : { kind: 'canceled' };
  }

  /** Binance's editOrder is a cancel-replace (new ids); OKX's amends in place; without editOrder: cancel then new order. */
  protected override amendReplaces(): boolean {
    return this.profile.id === 'binance' || this.exchange.has['editOrder'] !== true;
  }

  /**
   * ccxt editOrder where the exchange has it (has['editOrder']). Binance spot: POST /api/v3/order/cancelReplace
   * (STOP_ON_FAILURE) with the daemon's replacement client order id and the rest as the new order's quantity; a
   * refused cancel (-2022, cancelResult FAILURE) is a refusal, a refused replacement after a done cancel (-2021,
   * cancelResult SUCCESS / newOrderResult FAILURE) leaves the order CANCELED. OKX: POST /api/v5/trade/amend-order,
   * newSz = the venue order's new total, newPx; in place. See amends.ts for unknown outcomes.
   */
  protected override async sendAmend(t: TrackedOrder, spec: AmendSpec): Promise<AmendAnswer> {
    const ex = this.exchange;
    // no editOrder at this exchange: cancel, confirmed, then a new order (base-adapter.ts)
    if (ex.has['editOrder'] !== true) return super.sendAmend(t, spec);
    const inst = t.instrument;
    const vid = t.venueOrderId !== undefined && t.venueOrderId !== '' ? t.venueOrderId : undefined;
    const side = t.side === 'BUY' ? 'buy' : 'sell';
    const price = Number(inst.ticksToPrice(spec.priceTicks));
    if (this.profile.id === 'binance') {
      const params: Json = { newClientOrderId: spec.newClientOrderId, newOrderRespType: 'FULL' };
      if (t.postOnly) params['postOnly'] = true;
      else params['timeInForce'] = t.timeInForce;
      if (vid === undefined) params['cancelOrigClientOrderId'] = t.clientOrderId;
      let o: CcxtOrder;
      try {
        o = (await this.call('place', () => ex.editOrder(vid ?? '', this.sym(inst), 'limit', side, Number(inst.lotsToQty(spec.restLots)), price, params))) as CcxtOrder;
      } catch (err) {
        const text = err instanceof Error ? err.message : String(err);
        if (text.includes('"cancelResult":"SUCCESS"') && text.includes('"newOrderResult":"FAILURE"')) {
          return { kind: 'canceled', reason: `VENUE_REJECTED: amend by cancel-replace: the order was canceled, its replacement refused (${text.slice(0, 200)})` };
        }
        if (text.includes('"cancelResult":"FAILURE"')) throw new VenueError('rejected', 'VENUE_REJECTED', `${text.slice(0, 300)} (the order was not canceled; nothing placed)`);
        throw err;
      }
      const cid = o.clientOrderId ?? spec.newClientOrderId;
      const trades = (o.trades ?? [])
        .filter((x) => x.id !== undefined)
        .map((x) => tradeEvent({ ...x, order: x.order ?? o.id }, inst, this.marketId(inst), cid, this.profile.id));
      return {
        kind: 'amended', venueOrderId: String(o.id ?? ''), clientOrderId: cid,
        snapshot: orderSnapshot({ ...o, clientOrderId: cid }, inst), trades,
      };
    }
    const amount = spec.qtyChanged ? Number(inst.lotsToQty(spec.totalLots)) : undefined;
    const newPrice = spec.priceChanged || !spec.qtyChanged ? price : undefined;
    await this.call('place', () => ex.editOrder(vid ?? '', this.sym(inst), 'limit', side, amount, newPrice, vid === undefined ? { clientOrderId: t.clientOrderId } : {}));
    return { kind: 'amended' };
  }

  // ------------------------------------------------------------------------------------------ queries

  protected async fetchOrder(ref: OrderRef): Promise<OrderSnapshot | null> {
    const byId = ref.venueOrderId !== undefined && ref.venueOrderId !== '';
    try {
      const o = (await this.call('query', () =>
        this.exchange.fetchOrder(byId ? ref.venueOrderId : undefined, this.sym(ref.instrument), byId ? {} : { clientOrderId: ref.clientOrderId }),
      )) as CcxtOrder;
      return orderSnapshot(o, ref.instrument) ?? null;
    } catch (err) {
      if (err instanceof VenueError && err.kind === 'not-found') return null;
      throw err;
    }
  }

  protected async fetchOpen(instrument: Instrument): Promise<OrderSnapshot[]> {
    const list = (await this.call('query', () => this.exchange.fetchOpenOrders(this.sym(instrument)))) as CcxtOrder[];
    const out: OrderSnapshot[] = [];
    for (const o of list) {
      const s = orderSnapshot(o, instrument);
      if (s !== undefined) out.push(s);
    }
    return out;
  }

  /** ccxt's fetchBalance, read from its raw answer (`info`: the venue's own decimal strings, never ccxt's floats). */
  protected async fetchBalances(): Promise<Map<string, VenueBalance>> {
    const b = (await this.call('query', () => this.exchange.fetchBalance())) as { info?: unknown };
    return this.profile.id === 'okx' ? okxBalances(b.info) : binanceBalances(b.info);
  }

  protected async fetchTrades(instrument: Instrument, q: TradeQuery): Promise<TradeEvent[]> {
    const ex = this.exchange;
    const sym = this.sym(instrument);
    const list = (await this.call('query', () =>
      q.venueOrderId !== undefined && q.venueOrderId !== '' && ex.has['fetchOrderTrades'] === true
        ? ex.fetchOrderTrades(q.venueOrderId, sym)
        : ex.fetchMyTrades(sym, q.sinceMs === undefined ? undefined : Math.max(0, q.sinceMs)),
    )) as CcxtTrade[];
    return list.map((t) => tradeEvent(t, instrument, this.marketId(instrument), this.profile.tradeClientId(t.info), this.profile.id));
  }
}
