/**
 * Fake Binance spot on 127.0.0.1: REST /api/v3, WebSocket API /ws-api/v3, the legacy listenKey user stream
 * /ws/<listenKey> and public market data (diff depth and trades on /ws and /stream, binance-market-data.ts), close
 * enough to the real protocol that unmodified ccxt (REST and ccxt pro) works against it.
 * Matching is done by the crossing engine through VenueCore.
 *
 *   const fake = await startFakeBinance({ rateLimits: { weightPerMinute: 50 } });
 *   fake.urls  -> { rest, v1, ws, wsApi, admin }     fake.credentials -> { apiKey, secret }
 *   fake.faults.add({ kind: 'hang', path: '/api/v3/order', method: 'POST', afterExecute: true, times: 1 })
 *   fake.fill({ clientOrderId: 'abc' }, '0.001')     fake.orders({ account: 'main' })    await fake.close()
 *
 * Protocol facts follow /work/shared/VENUES.md: HMAC-SHA256 hex signatures of the exact query+body string
 * (X-MBX-APIKEY), errors {code,msg} with the real codes, REQUEST_WEIGHT per minute and ORDERS per 10 s / per day
 * from exchangeInfo.rateLimits with X-MBX-USED-WEIGHT-1M / X-MBX-ORDER-COUNT-10S / -1D headers, 429 + Retry-After,
 * then 418 + Retry-After for clients that keep going. ccxt pro 4.5.84 `watchOrders` on spot uses the WebSocket API
 * (`userDataStream.subscribe.signature`) and receives `{subscriptionId, event}` frames; both are served here.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import type { WebSocket } from 'ws';
import { formatAmount, parseAmount } from './decimal.js';
import { BinanceMarketData, type MarketMakerOptions } from './binance-market-data.js';
import { type FaultRule, ReportPipe } from './faults.js';
import { FakeServer, type HttpReq, type HttpRes, htmlErrorPage, sendJson } from './fake-server.js';
import { FixedWindow } from './rate-limit.js';
import {
  type AccountSpec,
  type FeeRates,
  type Instrument,
  type InstrumentSpec,
  type LadderSpec,
  type OrderEvent,
  type OrderKind,
  type TimeInForce,
  type VenueEvent,
  type VenueOrder,
  VenueCore,
  isOpen,
} from './venue-core.js';

export interface BinanceRateLimits {
  /** REQUEST_WEIGHT per MINUTE (default 6000). */
  weightPerMinute?: number;
  /** ORDERS per 10 SECOND (default 100). */
  ordersPer10s?: number;
  /** ORDERS per DAY (default 200000). */
  ordersPerDay?: number;
  /** 429 answers tolerated within one weight window before the IP is banned with 418 (default 3). */
  banAfter429s?: number;
  /** Ban length in seconds (default 120). */
  banSeconds?: number;
}

/**
 * Binance's documented server-side errors (https://developers.binance.com/docs/binance-spot-api-docs/errors): the
 * bodies an `error` fault answers with. None of them says whether an order request executed (faults.ts).
 */
export const BINANCE_SERVER_ERROR_CODES = [-1000, -1001, -1006, -1007, -1008] as const;
const BINANCE_SERVER_ERROR_MSGS: Record<number, string> = {
  [-1000]: 'An unknown error occurred while processing the request.',
  [-1001]: 'Internal error; unable to process your request. Please try your request again.',
  [-1006]: 'An unexpected response was received from the message bus. Execution status unknown.',
  [-1007]: 'Timeout waiting for response from backend server. Send status unknown; execution status unknown.',
  [-1008]: 'Server is currently overloaded with other requests. Please try again in a few minutes.',
};

function binanceServerError(code: number): { code: number; msg: string } {
  return { code, msg: BINANCE_SERVER_ERROR_MSGS[code] ?? 'An unknown error occurred while processing the request.' };
}

export interface FakeBinanceOptions {
  /** Port to listen on (default: a free one). */
  port?: number;
  instruments?: InstrumentSpec[];
  /** Liquidity ladder per canonical symbol ('BTC-USDT'); null = empty book. Merged over the defaults. */
  ladders?: Record<string, LadderSpec | null>;
  /** Accounts; default 'main' and 'other' with random keys. The first one is `credentials`. */
  accounts?: AccountSpec[];
  rateLimits?: BinanceRateLimits;
  /** Fee rates of every account without its own (default zero): commission in the asset received. */
  fees?: FeeRates;
  now?: () => number;
  /** Start a market maker changing the books (and trading now and then) at once: a live public market. */
  marketMaker?: MarketMakerOptions;
}

export interface BinanceUrls {
  /** ccxt urls.api.public / private: http://127.0.0.1:P/api/v3 */
  rest: string;
  /** ccxt urls.api.v1: http://127.0.0.1:P/api/v1 (not served beyond 404s; ccxt wants the key). */
  v1: string;
  /** ccxt urls.api.ws.spot (stream base): ws://127.0.0.1:P/ws — user stream at ws/<listenKey>. */
  ws: string;
  /** ccxt urls.api.ws['ws-api'].spot: ws://127.0.0.1:P/ws-api/v3 */
  wsApi: string;
  /** http://127.0.0.1:P/__admin */
  admin: string;
}

export const BINANCE_DEFAULT_INSTRUMENTS: InstrumentSpec[] = [
  {
    symbol: 'BTC-USDT',
    base: 'BTC',
    quote: 'USDT',
    tickSize: '0.01',
    stepSize: '0.00001',
    minQty: '0.00001',
    maxQty: '9000',
    minPrice: '0.01',
    maxPrice: '1000000',
    minNotional: '5',
    maxNotional: '9000000',
  },
  {
    symbol: 'ETH-USDT',
    base: 'ETH',
    quote: 'USDT',
    tickSize: '0.01',
    stepSize: '0.0001',
    minQty: '0.0001',
    maxQty: '9000',
    minPrice: '0.01',
    maxPrice: '1000000',
    minNotional: '5',
    maxNotional: '9000000',
  },
  {
    symbol: 'SOL-USDT',
    base: 'SOL',
    quote: 'USDT',
    tickSize: '0.01',
    stepSize: '0.001',
    minQty: '0.001',
    maxQty: '90000',
    minPrice: '0.01',
    maxPrice: '100000',
    minNotional: '5',
    maxNotional: '9000000',
  },
];

export const DEFAULT_LADDERS: Record<string, LadderSpec> = {
  'BTC-USDT': { mid: '60000', levels: 10, spacing: '10', qty: '0.5' },
  'ETH-USDT': { mid: '3000', levels: 10, spacing: '1', qty: '5' },
  'SOL-USDT': { mid: '150', levels: 10, spacing: '0.1', qty: '50' },
};

export const DEFAULT_BALANCES: Record<string, string> = {
  USDT: '1000000',
  BTC: '10',
  ETH: '100',
  SOL: '1000',
};

const ORDER_TYPES = ['LIMIT', 'LIMIT_MAKER', 'MARKET'];
const CLIENT_ID_RE = /^[.A-Z:/a-z0-9_-]{1,36}$/;
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomAlnum(n: number): string {
  const bytes = randomBytes(n);
  let s = '';
  for (let i = 0; i < n; i++) s += ALNUM[bytes[i] % ALNUM.length];
  return s;
}

function hmacHex(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('hex');
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a.toLowerCase());
  const y = Buffer.from(b.toLowerCase());
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A Binance error: HTTP status + {code, msg} (+ extra headers for 429/418). */
class BinanceError {
  constructor(
    readonly status: number,
    readonly code: number,
    readonly msg: string,
    readonly headers: Record<string, string> = {},
    /** cancelReplace failures: the `data` block (cancelResult, newOrderResult, cancelResponse, newOrderResponse). */
    readonly data?: Record<string, unknown>,
  ) {}

  get body(): Record<string, unknown> {
    return this.data === undefined ? { code: this.code, msg: this.msg } : { code: this.code, msg: this.msg, data: this.data };
  }
}

const mandatory = (name: string): BinanceError =>
  new BinanceError(400, -1102, `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.`);

type Params = Map<string, string>;
type Security = 'NONE' | 'API_KEY' | 'SIGNED';

interface Route {
  weight: (p: Params) => number;
  security: Security;
  orderEndpoint?: boolean;
  handler: (p: Params, owner: number, req: HttpReq | null) => unknown;
}

interface UserStreamSub {
  owner: number;
  send: (event: Record<string, unknown>) => void;
}

export class FakeBinance extends FakeServer {
  readonly limits: Required<BinanceRateLimits>;
  private readonly weight: FixedWindow;
  private violations = 0;
  private violationWindow = -1;
  private bannedUntil = 0;
  private readonly orders10s = new Map<number, FixedWindow>();
  private readonly ordersDay = new Map<number, FixedWindow>();
  private readonly listenKeys = new Map<string, number>();
  private readonly userSubs = new Set<UserStreamSub>();
  private readonly routes: Map<string, Route>;
  private eventId = 1;
  private readonly unsubscribe: () => void;
  /** Public market data: diff depth and trades on /ws and /stream, depth snapshots, harness (binance-market-data.ts). */
  readonly market: BinanceMarketData;

  constructor(options: FakeBinanceOptions = {}) {
    const accounts = options.accounts ?? [
      { name: 'main', apiKey: randomAlnum(64), secret: randomAlnum(64), balances: DEFAULT_BALANCES },
      { name: 'other', apiKey: randomAlnum(64), secret: randomAlnum(64), unlimited: true },
    ];
    super(
      new VenueCore({
        instruments: options.instruments ?? BINANCE_DEFAULT_INSTRUMENTS,
        ladders: { ...DEFAULT_LADDERS, ...(options.ladders ?? {}) },
        accounts,
        fees: options.fees,
        now: options.now,
        firstOrderId: 1_000_001,
        firstTradeId: 500_001,
      }),
    );
    const rl = options.rateLimits ?? {};
    this.limits = {
      weightPerMinute: rl.weightPerMinute ?? 6000,
      ordersPer10s: rl.ordersPer10s ?? 100,
      ordersPerDay: rl.ordersPerDay ?? 200_000,
      banAfter429s: rl.banAfter429s ?? 3,
      banSeconds: rl.banSeconds ?? 120,
    };
    this.weight = new FixedWindow(60_000, this.limits.weightPerMinute);
    this.routes = this.buildRoutes();
    this.unsubscribe = this.core.onEvent((ev) => this.onVenueEvent(ev));
    this.market = new BinanceMarketData(this.core, this.faults, { ...DEFAULT_LADDERS, ...(options.ladders ?? {}) }, (s) => this.venueSymbol(s));
    if (options.marketMaker !== undefined) this.market.startMarketMaker(options.marketMaker);
  }

  get credentials(): { apiKey: string; secret: string } {
    const a = this.core.accounts[1];
    return { apiKey: a.apiKey, secret: a.secret };
  }

  /** Credentials of a named account ('main', 'other'). */
  account(name: string): { apiKey: string; secret: string } {
    const a = this.core.accountByName(name);
    if (a === undefined) throw new Error(`unknown account ${name}`);
    return { apiKey: a.apiKey, secret: a.secret };
  }

  get urls(): BinanceUrls {
    return {
      rest: `${this.origin}/api/v3`,
      v1: `${this.origin}/api/v1`,
      ws: `${this.wsOrigin}/ws`,
      wsApi: `${this.wsOrigin}/ws-api/v3`,
      admin: `${this.origin}/__admin`,
    };
  }

  /** URLs and credentials of the 'main' account: the `binance` object of main.ts's JSON line. */
  get endpoints(): BinanceUrls & { apiKey: string; secret: string } {
    return { ...this.urls, ...this.credentials };
  }

  /** User-data subscriptions (ws-api userDataStream.subscribe.* and /ws/<listenKey> sockets) open for an account. */
  userStreams(account = 'main'): number {
    const owner = this.core.accountByName(account)?.owner;
    let n = 0;
    for (const s of this.userSubs) if (s.owner === owner) n++;
    return n;
  }

  venueOrderId(o: VenueOrder): string {
    return String(o.id);
  }

  parseVenueOrderId(text: string): number | undefined {
    return /^\d+$/.test(text) ? Number(text) : undefined;
  }

  venueSymbol(symbol: string): string {
    return symbol.replace('-', '');
  }

  private bySymbolId(id: string | undefined): Instrument | undefined {
    if (id === undefined) return undefined;
    for (const inst of this.core.instruments.values()) if (this.venueSymbol(inst.spec.symbol) === id) return inst;
    return undefined;
  }

  protected resetVenue(): void {
    this.weight.reset();
    this.violations = 0;
    this.bannedUntil = 0;
    this.orders10s.clear();
    this.ordersDay.clear();
    this.listenKeys.clear();
    this.userSubs.clear();
  }

  protected override onClose(): void {
    this.market.close();
    this.unsubscribe();
  }

  // ------------------------------------------------------------------ rate limits

  /** Counts request weight; throws 429 / 418 as Binance does. Returns the weight used in this minute. */
  private chargeWeight(w: number): number {
    const now = this.core.now();
    this.weight.limit = this.limits.weightPerMinute;
    const used = this.weight.add(w, now);
    if (this.bannedUntil > now) {
      throw new BinanceError(
        418,
        -1003,
        `Way too much request weight used; IP banned until ${this.bannedUntil}. Please use WebSocket Streams for live updates to avoid bans.`,
        { 'Retry-After': String(Math.max(1, Math.ceil((this.bannedUntil - now) / 1000))) },
      );
    }
    if (used > this.limits.weightPerMinute) {
      const win = Math.floor(now / 60_000);
      if (win !== this.violationWindow) {
        this.violationWindow = win;
        this.violations = 0;
      }
      this.violations++;
      if (this.violations > this.limits.banAfter429s) {
        this.bannedUntil = now + this.limits.banSeconds * 1000;
        throw new BinanceError(
          418,
          -1003,
          `Way too much request weight used; IP banned until ${this.bannedUntil}. Please use WebSocket Streams for live updates to avoid bans.`,
          { 'Retry-After': String(this.limits.banSeconds) },
        );
      }
      throw new BinanceError(
        429,
        -1003,
        `Too much request weight used; current limit is ${this.limits.weightPerMinute} request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.`,
        { 'Retry-After': String(Math.max(1, Math.ceil(this.weight.msToReset(now) / 1000))) },
      );
    }
    return used;
  }

  private orderWindows(owner: number): [FixedWindow, FixedWindow] {
    let a = this.orders10s.get(owner);
    if (a === undefined) this.orders10s.set(owner, (a = new FixedWindow(10_000, this.limits.ordersPer10s)));
    let b = this.ordersDay.get(owner);
    if (b === undefined) this.ordersDay.set(owner, (b = new FixedWindow(86_400_000, this.limits.ordersPerDay)));
    return [a, b];
  }

  /** Counts one new order; throws -1015 (HTTP 429) when over ORDERS per 10 s or per day. */
  private chargeOrder(owner: number): void {
    const now = this.core.now();
    const [s10, day] = this.orderWindows(owner);
    if (s10.count(now) >= this.limits.ordersPer10s) {
      throw new BinanceError(429, -1015, `Too many new orders; current limit is ${this.limits.ordersPer10s} orders per 10 SECOND.`, {
        'Retry-After': String(Math.max(1, Math.ceil(s10.msToReset(now) / 1000))),
      });
    }
    if (day.count(now) >= this.limits.ordersPerDay) {
      throw new BinanceError(429, -1015, `Too many new orders; current limit is ${this.limits.ordersPerDay} orders per 1 DAY.`, {
        'Retry-After': String(Math.max(1, Math.ceil(day.msToReset(now) / 1000))),
      });
    }
    s10.add(1, now);
    day.add(1, now);
  }

  private orderCounts(owner: number): { s10: number; day: number } {
    const now = this.core.now();
    const [s10, day] = this.orderWindows(owner);
    return { s10: s10.count(now), day: day.count(now) };
  }

  rateLimitsJson(): Array<Record<string, unknown>> {
    return [
      { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: this.limits.weightPerMinute },
      { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: this.limits.ordersPer10s },
      { rateLimitType: 'ORDERS', interval: 'DAY', intervalNum: 1, limit: this.limits.ordersPerDay },
      { rateLimitType: 'RAW_REQUESTS', interval: 'MINUTE', intervalNum: 5, limit: 61000 },
    ];
  }

  // ------------------------------------------------------------------ auth

  private apiKeyOwner(key: string | undefined): number {
    if (key === undefined || key === '') throw new BinanceError(401, -2014, 'API-key format invalid.');
    const a = this.core.accountByKey(key);
    if (a === undefined) throw new BinanceError(401, -2015, 'Invalid API-key, IP, or permissions for action.');
    return a.owner;
  }

  private checkTimestamp(p: Params): void {
    const ts = p.get('timestamp');
    if (ts === undefined || !/^\d+$/.test(ts)) throw mandatory('timestamp');
    let recv = 5000;
    const rw = p.get('recvWindow');
    if (rw !== undefined) {
      if (!/^\d+$/.test(rw)) throw mandatory('recvWindow');
      recv = Number(rw);
      if (recv > 60000) throw new BinanceError(400, -1131, 'recvWindow must be less than 60000');
    }
    const now = this.core.now();
    const t = Number(ts);
    if (t > now + 1000) throw new BinanceError(400, -1021, "Timestamp for this request was 1000ms ahead of the server's time.");
    if (now - t > recv) throw new BinanceError(400, -1021, 'Timestamp for this request is outside of the recvWindow.');
  }

  /** REST: signature over query (minus signature) + body (minus signature), exactly as sent. */
  private verifyRest(req: HttpReq, p: Params, owner: number): void {
    const strip = (s: string): { rest: string; sig: string | undefined } => {
      if (s === '') return { rest: '', sig: undefined };
      let sig: string | undefined;
      const kept: string[] = [];
      for (const part of s.split('&')) {
        if (part.startsWith('signature=')) sig = decodeURIComponent(part.slice('signature='.length));
        else kept.push(part);
      }
      return { rest: kept.join('&'), sig };
    };
    const q = strip(req.rawQuery);
    const b = strip(req.body);
    const sig = q.sig ?? b.sig;
    if (sig === undefined || sig === '') throw mandatory('signature');
    this.checkTimestamp(p);
    const payload = q.rest + b.rest;
    const secret = this.core.accounts[owner].secret;
    if (!sameHex(hmacHex(secret, payload), sig)) throw new BinanceError(400, -1022, 'Signature for this request is not valid.');
  }

  /** WebSocket API: signature over the params except signature, sorted by key, `k=v` joined by '&'. */
  private verifyWs(params: Record<string, unknown>): number {
    const owner = this.apiKeyOwner(typeof params.apiKey === 'string' ? params.apiKey : undefined);
    const sig = params.signature;
    if (typeof sig !== 'string' || sig === '') throw mandatory('signature');
    const p = this.wsParams(params);
    this.checkTimestamp(p);
    const payload = Object.keys(params)
      .filter((k) => k !== 'signature')
      .sort()
      .map((k) => `${k}=${String(params[k])}`)
      .join('&');
    if (!sameHex(hmacHex(this.core.accounts[owner].secret, payload), sig)) {
      throw new BinanceError(400, -1022, 'Signature for this request is not valid.');
    }
    return owner;
  }

  private wsParams(params: Record<string, unknown>): Params {
    const m: Params = new Map();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) m.set(k, String(v));
    return m;
  }

  // ------------------------------------------------------------------ formatting

  private px(inst: Instrument, ticks: number): string {
    return inst.price.format(ticks, 8);
  }

  private qty(inst: Instrument, lots: number): string {
    return inst.lot.format(lots, 8);
  }

  private status(o: VenueOrder): string {
    return o.endReason === 'STP' ? 'EXPIRED_IN_MATCH' : o.status;
  }

  private orderJson(o: VenueOrder): Record<string, unknown> {
    const inst = this.core.instrument(o.symbol)!;
    return {
      symbol: this.venueSymbol(o.symbol),
      orderId: o.id,
      orderListId: -1,
      clientOrderId: o.clientOrderId,
      price: this.px(inst, o.price),
      origQty: this.qty(inst, o.quoteQty !== null ? o.filled : o.qty),
      executedQty: this.qty(inst, o.filled),
      cummulativeQuoteQty: formatAmount(o.cumQuote, 8),
      status: this.status(o),
      timeInForce: o.tif,
      type: o.kind,
      side: o.side,
      stopPrice: '0.00000000',
      icebergQty: '0.00000000',
      time: o.created,
      updateTime: o.updated,
      isWorking: true,
      workingTime: o.created,
      origQuoteOrderQty: formatAmount(o.quoteQty ?? 0n, 8),
      selfTradePreventionMode: 'NONE',
    };
  }

  private placeJson(o: VenueOrder, respType: string): Record<string, unknown> {
    const inst = this.core.instrument(o.symbol)!;
    const ack = {
      symbol: this.venueSymbol(o.symbol),
      orderId: o.id,
      orderListId: -1,
      clientOrderId: o.clientOrderId,
      transactTime: o.created,
    };
    if (respType === 'ACK') return ack;
    const result: Record<string, unknown> = {
      ...ack,
      price: this.px(inst, o.price),
      origQty: this.qty(inst, o.quoteQty !== null ? o.filled : o.qty),
      executedQty: this.qty(inst, o.filled),
      origQuoteOrderQty: formatAmount(o.quoteQty ?? 0n, 8),
      cummulativeQuoteQty: formatAmount(o.cumQuote, 8),
      status: this.status(o),
      timeInForce: o.tif,
      type: o.kind,
      side: o.side,
      workingTime: o.created,
      selfTradePreventionMode: 'NONE',
    };
    if (respType === 'FULL') {
      result.fills = o.fills.map((f) => ({
        price: this.px(inst, f.price),
        qty: this.qty(inst, f.qty),
        commission: formatAmount(f.fee, 8),
        commissionAsset: f.feeAsset,
        tradeId: f.tradeId,
      }));
    }
    return result;
  }

  private cancelJson(o: VenueOrder, cancelClientId: string): Record<string, unknown> {
    const inst = this.core.instrument(o.symbol)!;
    return {
      symbol: this.venueSymbol(o.symbol),
      origClientOrderId: o.clientOrderId,
      orderId: o.id,
      orderListId: -1,
      clientOrderId: cancelClientId,
      transactTime: this.core.now(),
      price: this.px(inst, o.price),
      origQty: this.qty(inst, o.qty),
      executedQty: this.qty(inst, o.filled),
      origQuoteOrderQty: formatAmount(o.quoteQty ?? 0n, 8),
      cummulativeQuoteQty: formatAmount(o.cumQuote, 8),
      status: this.status(o),
      timeInForce: o.tif,
      type: o.kind,
      side: o.side,
      selfTradePreventionMode: 'NONE',
    };
  }

  exchangeInfo(symbolFilter?: string[]): Record<string, unknown> {
    const symbols = [];
    for (const inst of this.core.instruments.values()) {
      const id = this.venueSymbol(inst.spec.symbol);
      if (symbolFilter !== undefined && !symbolFilter.includes(id)) continue;
      const s = inst.spec;
      const f8 = (t: string): string => formatAmount(parseAmount(t)!, 8);
      symbols.push({
        symbol: id,
        status: 'TRADING',
        baseAsset: s.base,
        baseAssetPrecision: 8,
        quoteAsset: s.quote,
        quotePrecision: 8,
        quoteAssetPrecision: 8,
        baseCommissionPrecision: 8,
        quoteCommissionPrecision: 8,
        orderTypes: ORDER_TYPES,
        icebergAllowed: false,
        ocoAllowed: false,
        otoAllowed: false,
        quoteOrderQtyMarketAllowed: true,
        allowTrailingStop: false,
        cancelReplaceAllowed: false,
        amendAllowed: false,
        isSpotTradingAllowed: true,
        isMarginTradingAllowed: false,
        filters: [
          { filterType: 'PRICE_FILTER', minPrice: f8(s.minPrice), maxPrice: f8(s.maxPrice), tickSize: f8(s.tickSize) },
          { filterType: 'LOT_SIZE', minQty: f8(s.minQty), maxQty: f8(s.maxQty), stepSize: f8(s.stepSize) },
          { filterType: 'MARKET_LOT_SIZE', minQty: '0.00000000', maxQty: f8(s.maxQty), stepSize: '0.00000000' },
          {
            filterType: 'NOTIONAL',
            minNotional: f8(s.minNotional),
            applyMinToMarket: true,
            maxNotional: f8(s.maxNotional),
            applyMaxToMarket: false,
            avgPriceMins: 5,
          },
          { filterType: 'MAX_NUM_ORDERS', maxNumOrders: 200 },
        ],
        permissions: [],
        permissionSets: [['SPOT']],
        defaultSelfTradePreventionMode: 'NONE',
        allowedSelfTradePreventionModes: ['NONE', 'EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH'],
      });
    }
    return {
      timezone: 'UTC',
      serverTime: this.core.now(),
      rateLimits: this.rateLimitsJson(),
      exchangeFilters: [],
      symbols,
    };
  }

  // ------------------------------------------------------------------ endpoints

  private buildRoutes(): Map<string, Route> {
    const r = new Map<string, Route>();
    const w = (n: number) => () => n;
    r.set('GET /api/v3/ping', { weight: w(1), security: 'NONE', handler: () => ({}) });
    r.set('GET /api/v3/time', { weight: w(1), security: 'NONE', handler: () => ({ serverTime: this.core.now() }) });
    r.set('GET /api/v3/exchangeInfo', {
      weight: w(20),
      security: 'NONE',
      handler: (p) => {
        const one = p.get('symbol');
        const many = p.get('symbols');
        let filter: string[] | undefined;
        if (one !== undefined) filter = [one];
        else if (many !== undefined) filter = JSON.parse(many) as string[];
        if (filter !== undefined && filter.some((s) => this.bySymbolId(s) === undefined)) {
          throw new BinanceError(400, -1121, 'Invalid symbol.');
        }
        return this.exchangeInfo(filter);
      },
    });
    r.set('GET /api/v3/depth', {
      weight: (p) => {
        const l = Number(p.get('limit') ?? 100);
        return l <= 100 ? 5 : l <= 500 ? 25 : l <= 1000 ? 50 : 250;
      },
      security: 'NONE',
      handler: (p) => {
        const inst = this.instrumentParam(p);
        const limit = Math.min(5000, Number(p.get('limit') ?? 100));
        return this.market.snapshot(inst.spec.symbol, limit);
      },
    });
    r.set('GET /api/v3/ticker/bookTicker', {
      weight: (p) => (p.has('symbol') ? 2 : 4),
      security: 'NONE',
      handler: (p) => {
        const one = (inst: Instrument): Record<string, string> => {
          const [bid] = this.core.levels(inst.spec.symbol, 'BUY', 1);
          const [ask] = this.core.levels(inst.spec.symbol, 'SELL', 1);
          return {
            symbol: this.venueSymbol(inst.spec.symbol),
            bidPrice: bid ? this.px(inst, bid[0]) : '0.00000000',
            bidQty: bid ? this.qty(inst, bid[1]) : '0.00000000',
            askPrice: ask ? this.px(inst, ask[0]) : '0.00000000',
            askQty: ask ? this.qty(inst, ask[1]) : '0.00000000',
          };
        };
        if (p.has('symbol')) return one(this.instrumentParam(p));
        return [...this.core.instruments.values()].map(one);
      },
    });
    const ticker24 = (inst: Instrument): Record<string, unknown> => {
      const [bid] = this.core.levels(inst.spec.symbol, 'BUY', 1);
      const [ask] = this.core.levels(inst.spec.symbol, 'SELL', 1);
      const lastTicks = inst.book.lastPrice();
      const last = Number.isNaN(lastTicks) ? (bid?.[0] ?? 0) : lastTicks;
      const now = this.core.now();
      return {
        symbol: this.venueSymbol(inst.spec.symbol),
        priceChange: '0.00000000',
        priceChangePercent: '0.000',
        weightedAvgPrice: this.px(inst, last),
        prevClosePrice: this.px(inst, last),
        lastPrice: this.px(inst, last),
        lastQty: '0.00000000',
        bidPrice: bid ? this.px(inst, bid[0]) : '0.00000000',
        bidQty: bid ? this.qty(inst, bid[1]) : '0.00000000',
        askPrice: ask ? this.px(inst, ask[0]) : '0.00000000',
        askQty: ask ? this.qty(inst, ask[1]) : '0.00000000',
        openPrice: this.px(inst, last),
        highPrice: this.px(inst, last),
        lowPrice: this.px(inst, last),
        volume: '0.00000000',
        quoteVolume: '0.00000000',
        openTime: now - 86_400_000,
        closeTime: now,
        firstId: -1,
        lastId: -1,
        count: 0,
      };
    };
    r.set('GET /api/v3/ticker/24hr', {
      weight: (p) => (p.has('symbol') ? 2 : 80),
      security: 'NONE',
      handler: (p) => (p.has('symbol') ? ticker24(this.instrumentParam(p)) : [...this.core.instruments.values()].map(ticker24)),
    });
    r.set('GET /api/v3/ticker/price', {
      weight: (p) => (p.has('symbol') ? 2 : 4),
      security: 'NONE',
      handler: (p) => {
        const one = (inst: Instrument): Record<string, string> => ({
          symbol: this.venueSymbol(inst.spec.symbol),
          price: ticker24(inst).lastPrice as string,
        });
        return p.has('symbol') ? one(this.instrumentParam(p)) : [...this.core.instruments.values()].map(one);
      },
    });
    r.set('GET /sapi/v1/system/status', { weight: w(1), security: 'NONE', handler: () => ({ status: 0, msg: 'normal' }) });
    r.set('GET /api/v3/account', {
      weight: w(20),
      security: 'SIGNED',
      handler: (p, owner) => {
        const omitZero = p.get('omitZeroBalances') === 'true';
        const balances = [];
        for (const asset of this.core.assets()) {
          const b = this.core.balance(owner, asset);
          if (omitZero && b.free === 0n && b.locked === 0n) continue;
          balances.push({ asset, free: formatAmount(b.free, 8), locked: formatAmount(b.locked, 8) });
        }
        return {
          makerCommission: 0,
          takerCommission: 0,
          buyerCommission: 0,
          sellerCommission: 0,
          commissionRates: { maker: '0.00000000', taker: '0.00000000', buyer: '0.00000000', seller: '0.00000000' },
          canTrade: true,
          canWithdraw: false,
          canDeposit: false,
          brokered: false,
          requireSelfTradePrevention: false,
          preventSor: false,
          updateTime: this.core.now(),
          accountType: 'SPOT',
          balances,
          permissions: ['SPOT'],
          uid: 100000 + owner,
        };
      },
    });
    r.set('POST /api/v3/order', {
      weight: w(1),
      security: 'SIGNED',
      orderEndpoint: true,
      handler: (p, owner) => this.placeOrder(p, owner, false),
    });
    r.set('POST /api/v3/order/test', {
      weight: w(1),
      security: 'SIGNED',
      handler: (p, owner) => this.placeOrder(p, owner, true),
    });
    r.set('GET /api/v3/order', {
      weight: w(4),
      security: 'SIGNED',
      handler: (p, owner) => this.orderJson(this.lookupOrder(p, owner, -2013, this.readView('rest', 'GET', '/api/v3/order'))),
    });
    r.set('DELETE /api/v3/order', { weight: w(1), security: 'SIGNED', handler: (p, owner) => this.cancelOrder(p, owner) });
    r.set('POST /api/v3/order/cancelReplace', { weight: w(1), security: 'SIGNED', orderEndpoint: true, handler: (p, owner) => this.cancelReplace(p, owner) });
    r.set('PUT /api/v3/order/amend/keepPriority', { weight: w(4), security: 'SIGNED', orderEndpoint: true, handler: (p, owner) => this.amendKeepPriority(p, owner) });
    r.set('GET /api/v3/openOrders', {
      weight: (p) => (p.has('symbol') ? 6 : 80),
      security: 'SIGNED',
      handler: (p, owner) => {
        const symbol = p.has('symbol') ? this.instrumentParam(p).spec.symbol : undefined;
        const visible = this.readView('rest', 'GET', '/api/v3/openOrders');
        return this.core.listOrders({ owner, symbol, open: true }).filter(visible).map((o) => this.orderJson(o));
      },
    });
    r.set('DELETE /api/v3/openOrders', {
      weight: w(1),
      security: 'SIGNED',
      handler: (p, owner) => {
        const inst = this.instrumentParam(p);
        const open = this.core.listOrders({ owner, symbol: inst.spec.symbol, open: true });
        if (open.length === 0) throw new BinanceError(400, -2011, 'Unknown order sent.');
        return open.map((o) => {
          this.core.cancel(owner, { id: o.id });
          return this.cancelJson(o, randomAlnum(22));
        });
      },
    });
    r.set('GET /api/v3/allOrders', {
      weight: w(20),
      security: 'SIGNED',
      handler: (p, owner) => {
        const inst = this.instrumentParam(p);
        const fromId = p.has('orderId') ? Number(p.get('orderId')) : undefined;
        const start = p.has('startTime') ? Number(p.get('startTime')) : undefined;
        const end = p.has('endTime') ? Number(p.get('endTime')) : undefined;
        const limit = Math.min(1000, Number(p.get('limit') ?? 500));
        let list = this.core.listOrders({ owner, symbol: inst.spec.symbol }).filter(this.readView('rest', 'GET', '/api/v3/allOrders')).sort((a, b) => a.id - b.id);
        if (fromId !== undefined) list = list.filter((o) => o.id >= fromId);
        if (start !== undefined) list = list.filter((o) => o.created >= start);
        if (end !== undefined) list = list.filter((o) => o.created <= end);
        if (fromId === undefined && start === undefined) list = list.slice(-limit);
        return list.slice(0, limit).map((o) => this.orderJson(o));
      },
    });
    r.set('GET /api/v3/myTrades', {
      weight: (p) => (p.has('orderId') ? 5 : 20),
      security: 'SIGNED',
      handler: (p, owner) => {
        const inst = this.instrumentParam(p);
        const orderId = p.has('orderId') ? Number(p.get('orderId')) : undefined;
        const fromId = p.has('fromId') ? Number(p.get('fromId')) : undefined;
        const start = p.has('startTime') ? Number(p.get('startTime')) : undefined;
        const end = p.has('endTime') ? Number(p.get('endTime')) : undefined;
        const limit = Math.min(1000, Number(p.get('limit') ?? 500));
        let list = this.core.listFills({ owner, symbol: inst.spec.symbol, orderId }).sort((a, b) => a.tradeId - b.tradeId);
        if (fromId !== undefined) list = list.filter((f) => f.tradeId >= fromId);
        if (start !== undefined) list = list.filter((f) => f.time >= start);
        if (end !== undefined) list = list.filter((f) => f.time <= end);
        if (fromId === undefined && start === undefined) list = list.slice(-limit);
        return list.slice(0, limit).map((f) => ({
          symbol: this.venueSymbol(f.symbol),
          id: f.tradeId,
          orderId: f.orderId,
          orderListId: -1,
          price: this.px(inst, f.price),
          qty: this.qty(inst, f.qty),
          quoteQty: formatAmount(f.quote, 8),
          commission: formatAmount(f.fee, 8),
          commissionAsset: f.feeAsset,
          time: f.time,
          isBuyer: f.side === 'BUY',
          isMaker: f.maker,
          isBestMatch: true,
        }));
      },
    });
    r.set('GET /api/v3/rateLimit/order', {
      weight: w(40),
      security: 'SIGNED',
      handler: (_p, owner) => {
        const c = this.orderCounts(owner);
        return [
          { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: this.limits.ordersPer10s, count: c.s10 },
          { rateLimitType: 'ORDERS', interval: 'DAY', intervalNum: 1, limit: this.limits.ordersPerDay, count: c.day },
        ];
      },
    });
    r.set('POST /api/v3/userDataStream', {
      weight: w(2),
      security: 'API_KEY',
      handler: (_p, owner) => {
        for (const [k, o] of this.listenKeys) if (o === owner) return { listenKey: k };
        const key = randomAlnum(60);
        this.listenKeys.set(key, owner);
        return { listenKey: key };
      },
    });
    const keyOp = (del: boolean) => (p: Params, owner: number) => {
      const key = p.get('listenKey');
      if (key === undefined) throw mandatory('listenKey');
      if (this.listenKeys.get(key) !== owner) throw new BinanceError(400, -1125, 'This listenKey does not exist.');
      if (del) this.listenKeys.delete(key);
      return {};
    };
    r.set('PUT /api/v3/userDataStream', { weight: w(2), security: 'API_KEY', handler: keyOp(false) });
    r.set('DELETE /api/v3/userDataStream', { weight: w(2), security: 'API_KEY', handler: keyOp(true) });
    return r;
  }

  private instrumentParam(p: Params): Instrument {
    const id = p.get('symbol');
    if (id === undefined || id === '') throw mandatory('symbol');
    const inst = this.bySymbolId(id);
    if (inst === undefined) throw new BinanceError(400, -1121, 'Invalid symbol.');
    return inst;
  }

  /** `visible`: what an order query may show (stale-read fault); a hidden order is answered as unknown. */
  private lookupOrder(p: Params, owner: number, notFoundCode: number, visible: (o: VenueOrder) => boolean = () => true): VenueOrder {
    const inst = this.instrumentParam(p);
    const idText = p.get('orderId');
    const cid = p.get('origClientOrderId');
    if (idText === undefined && cid === undefined) {
      throw new BinanceError(400, -1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!");
    }
    const o =
      idText !== undefined
        ? /^\d+$/.test(idText)
          ? this.core.find(owner, { id: Number(idText) })
          : undefined
        : this.core.find(owner, { clientOrderId: cid });
    if (o === undefined || o.symbol !== inst.spec.symbol || (idText !== undefined && cid !== undefined && o.clientOrderId !== cid) || !visible(o)) {
      throw notFoundCode === -2013
        ? new BinanceError(400, -2013, 'Order does not exist.')
        : new BinanceError(400, -2011, 'Unknown order sent.');
    }
    return o;
  }

  private cancelOrder(p: Params, owner: number): Record<string, unknown> {
    const o = this.lookupOrder(p, owner, -2011);
    if (!isOpen(o)) throw new BinanceError(400, -2011, 'Unknown order sent.');
    const cancelId = p.get('newClientOrderId') ?? randomAlnum(22);
    this.cancelClientIds.set(o.id, cancelId);
    const r = this.core.cancel(owner, { id: o.id });
    if (!r.ok) throw new BinanceError(400, -2011, 'Unknown order sent.');
    return this.cancelJson(r.order, cancelId);
  }

  /**
   * POST /api/v3/order/cancelReplace (ws order.cancelReplace): cancels an order (cancelOrderId or
   * cancelOrigClientOrderId; cancelNewClientOrderId names the cancel) and places a new one (the order.place
   * parameters) in one request. cancelReplaceMode STOP_ON_FAILURE: the new order only if the cancel succeeded;
   * ALLOW_FAILURE: either way. Answers: 200 {cancelResult: SUCCESS, newOrderResult: SUCCESS, cancelResponse,
   * newOrderResponse}; the cancel failed: 400 -2022 "Order cancel-replace failed." with data {cancelResult: FAILURE,
   * newOrderResult: NOT_ATTEMPTED (or its result under ALLOW_FAILURE), cancelResponse: {code, msg}, newOrderResponse};
   * the cancel succeeded and the new order failed: 409 -2021 "Order cancel-replace partially failed." with data
   * {cancelResult: SUCCESS, newOrderResult: FAILURE, cancelResponse, newOrderResponse: {code, msg}}. The new order is a
   * new order: its own order id and client order id, its own quantity (nothing of the old order's fills carries over).
   */
  private cancelReplace(p: Params, owner: number): Record<string, unknown> {
    const mode = p.get('cancelReplaceMode');
    if (mode === undefined) throw mandatory('cancelReplaceMode');
    if (mode !== 'STOP_ON_FAILURE' && mode !== 'ALLOW_FAILURE') throw new BinanceError(400, -1145, 'Invalid cancelRestrictions');
    const cancelP: Params = new Map([['symbol', p.get('symbol') ?? '']]);
    if (p.has('cancelOrderId')) cancelP.set('orderId', p.get('cancelOrderId')!);
    if (p.has('cancelOrigClientOrderId')) cancelP.set('origClientOrderId', p.get('cancelOrigClientOrderId')!);
    if (p.has('cancelNewClientOrderId')) cancelP.set('newClientOrderId', p.get('cancelNewClientOrderId')!);
    const placeP: Params = new Map([...p].filter(([k]) => !k.startsWith('cancel')));
    // parameters of the new order are checked before anything executes (a malformed request changes nothing)
    this.placeOrder(placeP, owner, true);
    let cancelResponse: Record<string, unknown>;
    let cancelOk = true;
    try {
      cancelResponse = this.cancelOrder(cancelP, owner);
    } catch (e) {
      if (!(e instanceof BinanceError)) throw e;
      cancelOk = false;
      cancelResponse = { code: e.code, msg: e.msg };
    }
    if (!cancelOk && mode === 'STOP_ON_FAILURE') {
      throw new BinanceError(400, -2022, 'Order cancel-replace failed.', {}, {
        cancelResult: 'FAILURE', newOrderResult: 'NOT_ATTEMPTED', cancelResponse, newOrderResponse: null,
      });
    }
    let newOrderResponse: unknown;
    try {
      newOrderResponse = this.placeOrder(placeP, owner, false);
    } catch (e) {
      if (!(e instanceof BinanceError)) throw e;
      const data = { cancelResult: cancelOk ? 'SUCCESS' : 'FAILURE', newOrderResult: 'FAILURE', cancelResponse, newOrderResponse: { code: e.code, msg: e.msg } };
      throw cancelOk ? new BinanceError(409, -2021, 'Order cancel-replace partially failed.', {}, data) : new BinanceError(400, -2022, 'Order cancel-replace failed.', {}, data);
    }
    if (!cancelOk) {
      throw new BinanceError(409, -2021, 'Order cancel-replace partially failed.', {}, {
        cancelResult: 'FAILURE', newOrderResult: 'SUCCESS', cancelResponse, newOrderResponse,
      });
    }
    return { cancelResult: 'SUCCESS', newOrderResult: 'SUCCESS', cancelResponse, newOrderResponse };
  }

  /**
   * PUT /api/v3/order/amend/keepPriority (ws order.amend.keepPriority): lowers an open order's quantity in place,
   * keeping its place in the queue. `newQty` is the order's new quantity (its origQty, what executed included): above
   * what executed, below the current quantity. Unknown or closed order: -2011; a newQty not below the quantity or not
   * above what executed: -2038. Answer {transactTime, executionId, amendedOrder}.
   */
  private amendKeepPriority(p: Params, owner: number): Record<string, unknown> {
    const qtyText = this.decimalParam(p, 'newQty');
    if (qtyText === undefined) throw mandatory('newQty');
    const o = this.lookupOrder(p, owner, -2011);
    if (!isOpen(o)) throw new BinanceError(400, -2011, 'Unknown order sent.');
    const inst = this.core.instrument(o.symbol)!;
    const lots = inst.lot.steps(qtyText);
    if (typeof lots !== 'number') throw new BinanceError(400, -1013, 'Filter failure: LOT_SIZE');
    if (lots >= o.qty || lots <= o.filled) throw new BinanceError(400, -2038, 'Order amend (quantity increase or send without quantity) rejected.');
    const r = this.core.amend(owner, { id: o.id }, undefined, lots);
    if (!r.ok) throw new BinanceError(400, -2011, 'Unknown order sent.');
    const a = this.orderJson(r.order);
    return {
      transactTime: this.core.now(),
      executionId: this.eventId++,
      amendedOrder: { ...a, origClientOrderId: o.clientOrderId, qty: a.origQty, preventedQty: '0.00000000', quoteOrderQty: '0.00000000', cumulativeQuoteQty: a.cummulativeQuoteQty },
    };
  }

  /** Client order id of the cancel request, per order (executionReport c on CANCELED). */
  private readonly cancelClientIds = new Map<number, string>();

  private decimalParam(p: Params, name: string): string | undefined {
    const v = p.get(name);
    if (v === undefined || v === '') return undefined;
    if (!/^([0-9]{1,20})(\.[0-9]{1,20})?$/.test(v)) {
      throw new BinanceError(400, -1100, `Illegal characters found in parameter '${name}'; legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'.`);
    }
    return v;
  }

  private placeOrder(p: Params, owner: number, test: boolean): unknown {
    const inst = this.instrumentParam(p);
    const spec = inst.spec;
    const side = p.get('side');
    if (side === undefined) throw mandatory('side');
    if (side !== 'BUY' && side !== 'SELL') throw new BinanceError(400, -1117, 'Invalid side.');
    const type = p.get('type');
    if (type === undefined) throw mandatory('type');
    if (!['LIMIT', 'MARKET', 'LIMIT_MAKER', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'].includes(type)) {
      throw new BinanceError(400, -1116, 'Invalid orderType.');
    }
    if (!ORDER_TYPES.includes(type)) throw new BinanceError(400, -1014, 'Unsupported order combination.');
    const kind = type as OrderKind;
    const tifText = p.get('timeInForce');
    let tif: TimeInForce = 'GTC';
    if (kind === 'LIMIT') {
      if (tifText === undefined) throw mandatory('timeInForce');
      if (tifText !== 'GTC' && tifText !== 'IOC' && tifText !== 'FOK') throw new BinanceError(400, -1115, 'Invalid timeInForce.');
      tif = tifText;
    } else if (tifText !== undefined) {
      throw new BinanceError(400, -1106, "Parameter 'timeInForce' sent when not required.");
    }
    const priceText = this.decimalParam(p, 'price');
    const qtyText = this.decimalParam(p, 'quantity');
    const quoteText = this.decimalParam(p, 'quoteOrderQty');
    let priceTicks: number | undefined;
    let lots: number | undefined;
    let quoteQty: bigint | undefined;
    if (kind === 'MARKET') {
      if (priceText !== undefined) throw new BinanceError(400, -1106, "Parameter 'price' sent when not required.");
      if (qtyText === undefined && quoteText === undefined) {
        throw new BinanceError(400, -1102, "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!");
      }
      if (qtyText !== undefined && quoteText !== undefined) {
        throw new BinanceError(400, -1106, "Parameter 'quoteOrderQty' sent when not required.");
      }
    } else {
      if (priceText === undefined) throw mandatory('price');
      if (qtyText === undefined) throw mandatory('quantity');
      if (quoteText !== undefined) throw new BinanceError(400, -1106, "Parameter 'quoteOrderQty' sent when not required.");
    }
    if (priceText !== undefined) {
      const t = inst.price.steps(priceText);
      const min = inst.price.steps(spec.minPrice) as number;
      const max = inst.price.steps(spec.maxPrice) as number;
      if (typeof t !== 'number' || t < min || t > max) throw new BinanceError(400, -1013, 'Filter failure: PRICE_FILTER');
      priceTicks = t;
    }
    if (qtyText !== undefined) {
      const l = inst.lot.steps(qtyText);
      const min = inst.lot.steps(spec.minQty) as number;
      const max = inst.lot.steps(spec.maxQty) as number;
      if (typeof l !== 'number' || l < min || l > max) {
        throw new BinanceError(400, -1013, kind === 'MARKET' ? 'Filter failure: MARKET_LOT_SIZE' : 'Filter failure: LOT_SIZE');
      }
      lots = l;
    }
    if (quoteText !== undefined) {
      quoteQty = parseAmount(quoteText)!;
      if (quoteQty <= 0n) throw new BinanceError(400, -1013, 'Filter failure: NOTIONAL');
    }
    // NOTIONAL filter (market orders are checked against the best opposite price)
    const minNotional = parseAmount(spec.minNotional)!;
    let refTicks = priceTicks;
    if (kind === 'MARKET') {
      const [best] = this.core.levels(spec.symbol, side === 'BUY' ? 'SELL' : 'BUY', 1);
      refTicks = best?.[0];
    }
    if (quoteQty !== undefined) {
      if (quoteQty < minNotional) throw new BinanceError(400, -1013, 'Filter failure: NOTIONAL');
    } else if (refTicks !== undefined && lots !== undefined) {
      const n = (BigInt(refTicks) * inst.price.increment * BigInt(lots) * inst.lot.increment) / 10n ** 18n;
      if (n < minNotional) throw new BinanceError(400, -1013, 'Filter failure: NOTIONAL');
    }
    let clientOrderId = p.get('newClientOrderId');
    if (clientOrderId !== undefined && !CLIENT_ID_RE.test(clientOrderId)) {
      throw new BinanceError(
        400,
        -1100,
        "Illegal characters found in parameter 'newClientOrderId'; legal range is '^[\\.A-Z\\:/a-z0-9_-]{1,36}$'.",
      );
    }
    if (clientOrderId === undefined || clientOrderId === '') clientOrderId = randomAlnum(22);
    const respType = p.get('newOrderRespType') ?? (kind === 'LIMIT' || kind === 'MARKET' ? 'FULL' : 'ACK');
    if (!['ACK', 'RESULT', 'FULL'].includes(respType)) throw new BinanceError(400, -1177, 'Invalid newOrderRespType.');
    if (test) return {};
    const existing = this.core.find(owner, { clientOrderId });
    if (existing !== undefined && isOpen(existing)) throw new BinanceError(400, -2010, 'Duplicate order sent.');
    if (kind === 'LIMIT_MAKER' && this.core.wouldTake(spec.symbol, side, priceTicks!)) {
      throw new BinanceError(400, -2010, 'Order would immediately match and take.');
    }
    this.chargeOrder(owner);
    const r = this.core.place(owner, { symbol: spec.symbol, side, kind, tif, priceTicks, qtyLots: lots, quoteQty, clientOrderId });
    if (!r.ok) {
      switch (r.reason) {
        case 'DUPLICATE_CLIENT_ID':
          throw new BinanceError(400, -2010, 'Duplicate order sent.');
        case 'INSUFFICIENT_BALANCE':
          throw new BinanceError(400, -2010, 'Account has insufficient balance for requested action.');
        default:
          throw new BinanceError(400, -1013, `Invalid order: ${r.detail ?? r.reason}`);
      }
    }
    return this.placeJson(r.order, respType);
  }

  // ------------------------------------------------------------------ REST dispatch

  private headersFor(owner: number | undefined, orderEndpoint: boolean): Record<string, string> {
    const used = String(this.weight.count(this.core.now()));
    const h: Record<string, string> = { 'X-MBX-USED-WEIGHT': used, 'X-MBX-USED-WEIGHT-1M': used };
    if (orderEndpoint && owner !== undefined) {
      const c = this.orderCounts(owner);
      h['X-MBX-ORDER-COUNT-10S'] = String(c.s10);
      h['X-MBX-ORDER-COUNT-1D'] = String(c.day);
    }
    return h;
  }

  private errorRes(e: BinanceError, owner: number | undefined, orderEndpoint: boolean): HttpRes {
    return { status: e.status, headers: { ...this.headersFor(owner, orderEndpoint), ...e.headers }, body: e.body };
  }

  protected handleRest(req: HttpReq): HttpRes {
    const route = this.routes.get(`${req.method} ${req.path}`);
    if (route === undefined) {
      const known = [...this.routes.keys()].some((k) => k.endsWith(` ${req.path}`));
      return known
        ? { status: 405, body: { code: -1000, msg: 'Method not allowed.' } }
        : { status: 404, body: { code: -1000, msg: `Unknown endpoint ${req.path}.` } };
    }
    const p: Params = new Map();
    for (const [k, v] of req.query) p.set(k, v);
    const ctype = String(req.headers['content-type'] ?? '');
    if (req.body !== '' && !ctype.includes('json')) for (const [k, v] of new URLSearchParams(req.body)) p.set(k, v);
    let owner: number | undefined;
    try {
      this.chargeWeight(route.weight(p));
      if (route.security !== 'NONE') {
        const key = req.headers['x-mbx-apikey'];
        owner = this.apiKeyOwner(Array.isArray(key) ? key[0] : key);
        if (route.security === 'SIGNED') this.verifyRest(req, p, owner);
      }
      const body = route.handler(p, owner ?? 0, req);
      return { status: 200, headers: this.headersFor(owner, route.orderEndpoint === true), body };
    } catch (e) {
      if (e instanceof BinanceError) return this.errorRes(e, owner, route.orderEndpoint === true);
      throw e;
    }
  }

  protected restFault(rule: FaultRule, _req: HttpReq): HttpRes {
    const h = this.headersFor(undefined, false);
    switch (rule.kind) {
      case 'rate-limit':
        return {
          status: 429,
          headers: { ...h, 'Retry-After': String(rule.retryAfter ?? 1) },
          body: { code: -1003, msg: `Too much request weight used; current limit is ${this.limits.weightPerMinute} request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.` },
        };
      case 'ban':
        return {
          status: 418,
          headers: { ...h, 'Retry-After': String(rule.retryAfter ?? 120) },
          body: { code: -1003, msg: 'Way too much request weight used; IP banned. Please use WebSocket Streams for live updates to avoid bans.' },
        };
      default: {
        const status = rule.status ?? 503;
        const body = this.faults.errorBody(rule, BINANCE_SERVER_ERROR_CODES);
        if (body.form === 'html') return { status, headers: { ...h, 'Content-Type': 'text/html' }, body: htmlErrorPage(status) };
        if (body.form === 'empty') return { status, headers: h, body: '' };
        return { status, headers: h, body: binanceServerError(body.code) };
      }
    }
  }


  // ------------------------------------------------------------------ websockets

  protected acceptsWebSocket(path: string): boolean {
    return path === '/ws-api/v3' || path === '/ws' || path.startsWith('/ws/') || path === '/stream';
  }

  protected onWebSocket(ws: WebSocket, url: URL, _req: http.IncomingMessage): void {
    if (url.pathname === '/ws-api/v3') {
      this.serveWsApi(ws);
      return;
    }
    // stream endpoint: /ws/<listenKey> is the user data stream; anything else is public market data
    const key = url.pathname.startsWith('/ws/') ? url.pathname.slice(4) : '';
    const owner = this.listenKeys.get(key);
    if (owner === undefined) {
      this.market.attach(ws, url);
      return;
    }
    const pipe = new ReportPipe(this.faults, (t) => sendJson(ws, t));
    const sub: UserStreamSub = { owner, send: (ev) => pipe.push(JSON.stringify(ev), ev.e === 'executionReport') };
    this.userSubs.add(sub);
    ws.on('close', () => {
      this.userSubs.delete(sub);
      pipe.close();
    });
    ws.on('message', (data) => {
      let msg: { id?: unknown; method?: string } = {};
      try {
        msg = JSON.parse(String(data)) as typeof msg;
      } catch {
        return;
      }
      if (msg.method === 'SUBSCRIBE' || msg.method === 'UNSUBSCRIBE') sendJson(ws, { result: null, id: msg.id ?? null });
      else if (msg.method === 'LIST_SUBSCRIPTIONS') sendJson(ws, { result: [], id: msg.id ?? null });
    });
  }

  private serveWsApi(ws: WebSocket): void {
    const pipe = new ReportPipe(this.faults, (t) => sendJson(ws, t));
    const subs = new Map<number, UserStreamSub>();
    let nextSubId = 0;
    ws.on('close', () => {
      for (const s of subs.values()) this.userSubs.delete(s);
      subs.clear();
      pipe.close();
    });
    ws.on('message', (data) => {
      let msg: { id?: unknown; method?: unknown; params?: unknown };
      try {
        msg = JSON.parse(String(data)) as typeof msg;
      } catch {
        sendJson(ws, { id: null, status: 400, error: { code: -1000, msg: 'Invalid JSON request' } });
        return;
      }
      const id = msg.id ?? null;
      const method = typeof msg.method === 'string' ? msg.method : '';
      const params = (msg.params !== null && typeof msg.params === 'object' ? msg.params : {}) as Record<string, unknown>;
      let owner: number | undefined;
      const reply = (status: number, payload: Record<string, unknown>): void => {
        sendJson(ws, { id, status, ...payload, rateLimits: this.wsRateLimits(owner, method === 'order.place') });
      };
      void this.withFaults(
        'ws',
        method,
        method,
        () => {
          try {
            const { result, who } = this.wsCall(method, params, {
              subscribe: (o) => {
                const subId = nextSubId++;
                const sub: UserStreamSub = {
                  owner: o,
                  send: (ev) => pipe.push(JSON.stringify({ subscriptionId: subId, event: ev }), ev.e === 'executionReport'),
                };
                subs.set(subId, sub);
                this.userSubs.add(sub);
                return subId;
              },
              unsubscribe: (subId) => {
                const list = subId === undefined ? [...subs.keys()] : [subId];
                for (const k of list) {
                  const s = subs.get(k);
                  if (s !== undefined) this.userSubs.delete(s);
                  subs.delete(k);
                }
              },
            });
            owner = who;
            return { status: 200, payload: { result } as Record<string, unknown> };
          } catch (e) {
            if (e instanceof BinanceError) {
              return { status: e.status, payload: { error: e.body } as Record<string, unknown> };
            }
            throw e;
          }
        },
        (r) => reply(r.status, r.payload),
        (rule) => {
          const res = this.restFault(rule, null as unknown as HttpReq);
          if (typeof res.body !== 'string') reply(res.status, { error: res.body });
          else if (res.body === '') reply(res.status, {}); // a status and nothing else
          else sendJson(ws, res.body); // not JSON: no reply the client can match to its request
        },
      );
    });
  }

  private wsRateLimits(owner: number | undefined, order: boolean): Array<Record<string, unknown>> {
    const out: Array<Record<string, unknown>> = [
      {
        rateLimitType: 'REQUEST_WEIGHT',
        interval: 'MINUTE',
        intervalNum: 1,
        limit: this.limits.weightPerMinute,
        count: this.weight.count(this.core.now()),
      },
    ];
    if (order && owner !== undefined) {
      const c = this.orderCounts(owner);
      out.push({ rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: this.limits.ordersPer10s, count: c.s10 });
      out.push({ rateLimitType: 'ORDERS', interval: 'DAY', intervalNum: 1, limit: this.limits.ordersPerDay, count: c.day });
    }
    return out;
  }

  private wsCall(
    method: string,
    params: Record<string, unknown>,
    session: { subscribe: (owner: number) => number; unsubscribe: (subId?: number) => void },
  ): { result: unknown; who: number | undefined } {
    const p = this.wsParams(params);
    switch (method) {
      case 'ping':
        this.chargeWeight(1);
        return { result: {}, who: undefined };
      case 'time':
        this.chargeWeight(1);
        return { result: { serverTime: this.core.now() }, who: undefined };
      case 'exchangeInfo':
        this.chargeWeight(20);
        return { result: this.exchangeInfo(p.has('symbol') ? [p.get('symbol')!] : undefined), who: undefined };
      case 'order.place': {
        this.chargeWeight(1);
        const owner = this.verifyWs(params);
        return { result: this.placeOrder(p, owner, false), who: owner };
      }
      case 'order.test': {
        this.chargeWeight(1);
        const owner = this.verifyWs(params);
        return { result: this.placeOrder(p, owner, true), who: owner };
      }
      case 'order.cancel': {
        this.chargeWeight(1);
        const owner = this.verifyWs(params);
        return { result: this.cancelOrder(p, owner), who: owner };
      }
      case 'order.cancelReplace': {
        this.chargeWeight(1);
        const owner = this.verifyWs(params);
        return { result: this.cancelReplace(p, owner), who: owner };
      }
      case 'order.amend.keepPriority': {
        this.chargeWeight(4);
        const owner = this.verifyWs(params);
        return { result: this.amendKeepPriority(p, owner), who: owner };
      }
      case 'order.status': {
        this.chargeWeight(4);
        const owner = this.verifyWs(params);
        return { result: this.orderJson(this.lookupOrder(p, owner, -2013, this.readView('ws', method, method))), who: owner };
      }
      case 'openOrders.status': {
        this.chargeWeight(p.has('symbol') ? 6 : 80);
        const owner = this.verifyWs(params);
        const symbol = p.has('symbol') ? this.instrumentParam(p).spec.symbol : undefined;
        const visible = this.readView('ws', method, method);
        return { result: this.core.listOrders({ owner, symbol, open: true }).filter(visible).map((o) => this.orderJson(o)), who: owner };
      }
      case 'account.status': {
        this.chargeWeight(20);
        const owner = this.verifyWs(params);
        const route = this.routes.get('GET /api/v3/account')!;
        return { result: route.handler(p, owner, null), who: owner };
      }
      case 'userDataStream.subscribe.signature': {
        this.chargeWeight(2);
        const owner = this.verifyWs(params);
        return { result: { subscriptionId: session.subscribe(owner) }, who: owner };
      }
      case 'userDataStream.unsubscribe': {
        this.chargeWeight(2);
        const subId = p.has('subscriptionId') ? Number(p.get('subscriptionId')) : undefined;
        session.unsubscribe(subId);
        return { result: {}, who: undefined };
      }
      case 'session.status':
        this.chargeWeight(2);
        return { result: { apiKey: null, authorizedSince: null, connectedSince: this.core.now(), returnRateLimits: true, serverTime: this.core.now(), userDataStream: false }, who: undefined };
      default:
        throw new BinanceError(400, -1000, `Unknown method '${method}'.`);
    }
  }

  // ------------------------------------------------------------------ user data events

  private onVenueEvent(ev: VenueEvent): void {
    if (this.userSubs.size === 0) return;
    const payload = ev.type === 'order' ? this.executionReport(ev) : this.accountPosition(ev.owner, ev.assets, ev.time);
    for (const sub of this.userSubs) if (sub.owner === ev.owner) sub.send(payload);
  }

  private executionReport(ev: OrderEvent): Record<string, unknown> {
    const o = ev.order;
    const inst = this.core.instrument(o.symbol)!;
    const f = ev.fill;
    const canceled = ev.exec === 'CANCELED';
    const cancelId = canceled ? (this.cancelClientIds.get(o.id) ?? randomAlnum(22)) : undefined;
    return {
      e: 'executionReport',
      E: ev.time,
      s: this.venueSymbol(o.symbol),
      c: cancelId ?? o.clientOrderId,
      S: o.side,
      o: o.kind,
      f: o.tif,
      q: this.qty(inst, o.quoteQty !== null ? Math.max(o.qty, o.filled) : o.qty),
      p: this.px(inst, o.price),
      P: '0.00000000',
      F: '0.00000000',
      g: -1,
      C: cancelId !== undefined ? o.clientOrderId : '',
      x: ev.exec === 'AMENDED' ? 'REPLACED' : ev.exec,
      X: o.endReason === 'STP' ? 'EXPIRED_IN_MATCH' : o.status,
      r: 'NONE',
      i: o.id,
      l: f ? this.qty(inst, f.qty) : '0.00000000',
      z: this.qty(inst, o.filled),
      L: f ? this.px(inst, f.price) : '0.00000000',
      n: f ? formatAmount(f.fee, 8) : '0',
      N: f ? f.feeAsset : null,
      T: f ? f.time : o.updated,
      t: f ? f.tradeId : -1,
      I: this.eventId++,
      w: isOpen(o) && o.rested,
      m: f ? f.maker : false,
      M: false,
      O: o.created,
      Z: formatAmount(o.cumQuote, 8),
      Y: f ? formatAmount(f.quote, 8) : '0.00000000',
      Q: formatAmount(o.quoteQty ?? 0n, 8),
      W: o.created,
      V: 'NONE',
    };
  }

  private accountPosition(owner: number, assets: string[], time: number): Record<string, unknown> {
    return {
      e: 'outboundAccountPosition',
      E: time,
      u: time,
      B: assets.map((a) => {
        const b = this.core.balance(owner, a);
        return { a, f: formatAmount(b.free, 8), l: formatAmount(b.locked, 8) };
      }),
    };
  }
}

/** Starts a fake Binance on 127.0.0.1 (port from options, else a free one). */
export async function startFakeBinance(options: FakeBinanceOptions = {}): Promise<FakeBinance> {
  const fake = new FakeBinance(options);
  await fake.listen(options.port ?? 0);
  return fake;
}
