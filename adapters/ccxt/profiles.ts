/**
 * What the ccxt adapter needs to know per exchange id beyond ccxt's unified API: constructor options, URL overrides,
 * rate-limit pools and request costs, the batch endpoint, usage headers, how long a lost request may still execute,
 * and how to tell that the execution-report subscription is confirmed. Binance spot and OKX spot are proven against
 * the local fakes; any other ccxt exchange id gets the generic profile (one request pool from ccxt's own rateLimit,
 * no batch, a conservative 60 s validity window, no subscription signal: the stream counts as up a moment after its
 * socket connects).
 */
import type { Instrument } from '../../src/model/instrument.js';
import type { QueryKind } from '../common/base-adapter.js';
import type { TrackedOrder } from '../common/tracked-order.js';
import type { Cost, PoolSpec } from '../common/window-pool.js';
import type { AdapterSettings } from '../common/settings.js';
import { type UrlOverrides, binanceUrls, okxUrls } from '../common/urls.js';
import {
  BINANCE_WEIGHT,
  type RateLimitOverrides,
  binanceAdvertisedLimits,
  binanceHeaderPool,
  binancePlaceCosts,
  binancePools,
  binanceWeight,
  okxCancelCosts,
  okxPlaceCosts,
  okxPools,
} from '../common/venue-limits.js';

type Json = Record<string, unknown>;

/** The ccxt instance surface the adapter uses (ccxt's own typings are far wider). */
export interface CcxtExchange {
  id: string;
  rateLimit: number;
  timeout: number;
  precisionMode: number;
  urls: Record<string, unknown>;
  has: Record<string, unknown>;
  markets: Record<string, { id: string; active?: boolean; precision: { price?: number; amount?: number }; limits: { amount?: { min?: number }; cost?: { min?: number } } }>;
  setSandboxMode(on: boolean): void;
  loadHttpProxyAgent(): Promise<void>;
  loadMarkets(): Promise<unknown>;
  market(symbol: string): { id: string };
  createOrder(symbol: string, type: string, side: string, amount: number, price?: number, params?: Json): Promise<unknown>;
  createOrders(orders: Json[], params?: Json): Promise<unknown[]>;
  cancelOrder(id: string | undefined, symbol: string, params?: Json): Promise<unknown>;
  /** ccxt editOrder (has['editOrder']): Binance spot cancelReplace, OKX amend-order. */
  editOrder(id: string, symbol: string, type: string, side: string, amount?: number, price?: number, params?: Json): Promise<unknown>;
  fetchOrder(id: string | undefined, symbol: string, params?: Json): Promise<unknown>;
  fetchOpenOrders(symbol: string): Promise<unknown[]>;
  fetchMyTrades(symbol: string, since?: number, limit?: number): Promise<unknown[]>;
  fetchOrderTrades(id: string, symbol: string): Promise<unknown[]>;
  fetchBalance(params?: Json): Promise<unknown>;
  watchOrders(): Promise<unknown[]>;
  watchMyTrades(): Promise<unknown[]>;
  close(): Promise<void>;
  handleErrors(...args: unknown[]): unknown;
  handleHttpStatusCode(status: number, reason: string, url: string, method: string, body: string): void;
  handleMessage(client: unknown, message: unknown): unknown;
  onConnected(client: unknown, message?: unknown): unknown;
  sign(path: string, api?: unknown, method?: string, params?: Json, headers?: Json, body?: unknown): { url: string; method: string; body: unknown; headers: Json | undefined };
  [key: string]: unknown;
}

export interface ProfileContext {
  readonly settings: AdapterSettings;
  readonly rateLimits: RateLimitOverrides;
  readonly now: () => number;
}

export interface CcxtProfile {
  readonly id: string;
  /** Exchange-specific constructor options. */
  options(ctx: ProfileContext): Json;
  /** urls.api to set after sandbox mode, or undefined to keep ccxt's. */
  api(sandbox: boolean, overrides: UrlOverrides): Json | undefined;
  pools(ctx: ProfileContext, ex: CcxtExchange): PoolSpec[];
  marketsCosts(): Cost[];
  placeCosts(group: readonly TrackedOrder[]): Cost[];
  cancelCosts(t: TrackedOrder): Cost[];
  queryCosts(kind: QueryKind, instrument: Instrument): Cost[];
  /** Orders per createOrders request; undefined: no batch endpoint (parallel single requests). */
  readonly maxBatch: number | undefined;
  /** Extra createOrder params for an order. */
  orderParams(t: TrackedOrder): Json;
  /** Our client order id in a trade's raw info, when the venue puts it there. */
  tradeClientId(info: Json | undefined): string | undefined;
  /** Pool usage in a response's headers. */
  usage(headers: Record<string, string>): Array<[string, number]>;
  /** After loadMarkets: limits the venue advertised (pool -> limit). */
  advertisedLimits(ctx: ProfileContext): Record<string, number>;
  /** How long after sending a request that got no answer it may still execute. */
  validityMs(ctx: ProfileContext): number;
  /** true: this websocket message confirms the execution-report subscription; undefined: no such signal. */
  subscribed(message: unknown): boolean | undefined;
  /** Keep this answer from ccxt's error handling (a batch whose every entry failed: each is handled on its own). */
  keepAnswer(url: string, response: unknown): boolean;
  /** Instance hooks (wrapping ccxt methods); called once after construction. */
  instrument(ex: CcxtExchange, ctx: ProfileContext): void;
}

const recvWindow = (ctx: ProfileContext): number => Math.min(60_000, Math.max(1, ctx.settings.requestTimeoutMs));

function binanceProfile(): CcxtProfile {
  let advertised: unknown;
  return {
    id: 'binance',
    options: (ctx) => ({
      fetchMarkets: { types: ['spot'] },
      fetchCurrencies: false,
      fetchMargins: false,
      adjustForTimeDifference: false,
      defaultType: 'spot',
      warnOnFetchOpenOrdersWithoutSymbol: false,
      recvWindow: recvWindow(ctx),
    }),
    api: (sandbox, o) => {
      if (o.rest === undefined && o.ws === undefined) return undefined;
      const u = binanceUrls(sandbox, o);
      const origin = new URL(u.rest).origin;
      return {
        public: u.rest,
        private: u.rest,
        v1: u.rest.replace(/\/api\/v3$/, '/api/v1'),
        sapi: `${origin}/sapi/v1`,
        sapiV2: `${origin}/sapi/v2`,
        sapiV3: `${origin}/sapi/v3`,
        sapiV4: `${origin}/sapi/v4`,
        ws: { spot: u.wsStream, 'ws-api': { spot: u.wsApi } },
      };
    },
    pools: (ctx) => binancePools(ctx.rateLimits),
    marketsCosts: () => binanceWeight(BINANCE_WEIGHT.exchangeInfo),
    placeCosts: (group) => binancePlaceCosts(group.length),
    cancelCosts: () => binanceWeight(BINANCE_WEIGHT.cancel),
    queryCosts: (kind) =>
      binanceWeight(
        kind === 'order' ? BINANCE_WEIGHT.order : kind === 'open' ? BINANCE_WEIGHT.openOrders : kind === 'trades' ? BINANCE_WEIGHT.myTrades
          : kind === 'balance' ? BINANCE_WEIGHT.account : BINANCE_WEIGHT.myTradesByOrder,
      ),
    maxBatch: undefined,
    orderParams: () => ({ newOrderRespType: 'FULL' }),
    tradeClientId: (info) => {
      if (info === undefined) return undefined;
      const original = info['C'];
      if (typeof original === 'string' && original !== '') return original;
      return typeof info['c'] === 'string' ? info['c'] : undefined;
    },
    usage: (headers) => {
      const out: Array<[string, number]> = [];
      for (const [name, value] of Object.entries(headers)) {
        const pool = binanceHeaderPool(name);
        if (pool !== undefined) out.push([pool, Number(value)]);
      }
      return out;
    },
    advertisedLimits: (ctx) => binanceAdvertisedLimits(advertised, ctx.rateLimits),
    validityMs: recvWindow,
    subscribed: (m) => {
      if (m === null || typeof m !== 'object') return false;
      const r = (m as Json)['result'];
      return (m as Json)['status'] === 200 && r !== null && typeof r === 'object' && (r as Json)['subscriptionId'] !== undefined;
    },
    keepAnswer: () => false,
    instrument: (ex) => {
      // keep exchangeInfo.rateLimits from loadMarkets (ccxt drops them)
      const original = ex['publicGetExchangeInfo'] as (p?: Json) => Promise<Json>;
      ex['publicGetExchangeInfo'] = async (p?: Json): Promise<Json> => {
        const r = await original.call(ex, p);
        advertised = r['rateLimits'];
        return r;
      };
    },
  };
}

function okxProfile(): CcxtProfile {
  const TRADE_PATHS = new Set(['trade/order', 'trade/batch-orders', 'trade/cancel-order']);
  return {
    id: 'okx',
    options: () => ({
      fetchMarkets: { types: ['spot'] },
      createOrder: 'privatePostTradeOrder',
      adjustForTimeDifference: false,
      defaultType: 'spot',
    }),
    api: (sandbox, o) => {
      if (o.rest === undefined && o.ws === undefined) return undefined;
      const u = okxUrls(sandbox, o);
      return { rest: u.rest, ws: u.ws };
    },
    pools: (ctx) => okxPools(ctx.rateLimits),
    marketsCosts: () => [{ pool: 'readPublic', n: 1 }],
    placeCosts: (group) => okxPlaceCosts(group),
    cancelCosts: (t) => okxCancelCosts(t.instrument),
    queryCosts: (kind, inst) =>
      kind === 'order' ? [{ pool: `readOrder:${inst.symbol}`, n: 1 }] : kind === 'open' ? [{ pool: 'readPending', n: 1 }]
        : kind === 'balance' ? [{ pool: 'readBalance', n: 1 }] : [{ pool: 'readFills', n: 1 }],
    maxBatch: 20,
    orderParams: (t) => (t.type === 'MARKET' ? { tgtCcy: 'base_ccy' } : {}),
    tradeClientId: (info) => {
      const c = info?.['clOrdId'];
      return typeof c === 'string' && c !== '' ? c : undefined;
    },
    usage: () => [],
    advertisedLimits: () => ({}),
    validityMs: (ctx) => ctx.settings.requestTimeoutMs,
    subscribed: (m) => {
      if (m === null || typeof m !== 'object') return false;
      const arg = (m as Json)['arg'] as Json | undefined;
      return (m as Json)['event'] === 'subscribe' && arg?.['channel'] === 'orders';
    },
    keepAnswer: (url, response) =>
      url.includes('/trade/batch-orders') && response !== null && typeof response === 'object' && (response as Json)['code'] === '1',
    instrument: (ex, ctx) => {
      // expTime on order requests: OKX drops them when they arrive later, so a lost one provably never executes
      const sign = ex.sign.bind(ex);
      ex.sign = (path, api, method, params, headers, body) => {
        const r = sign(path, api, method, params, headers, body);
        if (TRADE_PATHS.has(path)) r.headers = { ...(r.headers ?? {}), expTime: String(ctx.now() + ctx.settings.requestTimeoutMs) };
        return r;
      };
    },
  };
}

function genericProfile(id: string): CcxtProfile {
  const one: Cost[] = [{ pool: 'requests', n: 1 }];
  return {
    id,
    options: () => ({ defaultType: 'spot' }),
    api: (_sandbox, o) => (o.rest === undefined && o.ws === undefined ? undefined : { rest: o.rest, ws: o.ws }),
    pools: (_ctx, ex) => [{ name: 'requests', limit: Math.max(1, Math.floor(1000 / Math.max(1, ex.rateLimit))), windowMs: 1000 }],
    marketsCosts: () => one,
    placeCosts: () => one,
    cancelCosts: () => one,
    queryCosts: () => one,
    maxBatch: undefined,
    orderParams: () => ({}),
    tradeClientId: () => undefined,
    usage: () => [],
    advertisedLimits: () => ({}),
    validityMs: () => 60_000,
    subscribed: () => undefined,
    keepAnswer: () => false,
    instrument: () => undefined,
  };
}

export function profileFor(exchangeId: string): CcxtProfile {
  if (exchangeId === 'binance') return binanceProfile();
  if (exchangeId === 'okx') return okxProfile();
  return genericProfile(exchangeId);
}
