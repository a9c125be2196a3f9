/**
 * Real ccxt instances (REST and ccxt pro) pointed at the local fake venues (test/venues), set up as
 * /work/shared/VENUES.md describes: sandbox mode first, then urls.api overridden; options that keep loadMarkets to
 * one public call; OKX single orders through privatePostTradeOrder; the proxy agent loaded for plain ws://.
 *
 * The endpoint objects are what test/venues/main.ts prints (one JSON line) and what `fake.endpoints` returns.
 */
import type Ccxt from 'ccxt';
import { ccxtLib } from '../../adapters/ccxt/ccxt-lib.js';

/** The adapters' ccxt (ccxt-lib.ts: one copy of ccxt, so its exceptions are the classes the adapters classify). */
const ccxt = ccxtLib();
const pro = ccxt.pro;
type Pro = typeof Ccxt.pro;

export interface BinanceEndpoints {
  /** http://127.0.0.1:P/api/v3 */
  rest: string;
  /** http://127.0.0.1:P/api/v1 (optional; derived from rest) */
  v1?: string;
  /** ws://127.0.0.1:P/ws */
  ws: string;
  /** ws://127.0.0.1:P/ws-api/v3 */
  wsApi: string;
  apiKey: string;
  secret: string;
}

export interface OkxEndpoints {
  /** http://127.0.0.1:Q (ccxt appends /api/v5/...) */
  rest: string;
  /** ws://127.0.0.1:Q/ws/v5 (ccxt appends /private, /public, /business) */
  ws: string;
  apiKey: string;
  secret: string;
  passphrase: string;
}

type Options = Record<string, unknown>;

function binanceConfig(ep: BinanceEndpoints, extra: Options): Options {
  const { options, ...rest } = extra as { options?: Options };
  return {
    apiKey: ep.apiKey,
    secret: ep.secret,
    timeout: 10_000,
    ...rest,
    options: {
      fetchMarkets: { types: ['spot'] },
      fetchCurrencies: false,
      fetchMargins: false,
      adjustForTimeDifference: false,
      defaultType: 'spot',
      warnOnFetchOpenOrdersWithoutSymbol: false,
      ...(options ?? {}),
    },
  };
}

function binanceUrls(ep: BinanceEndpoints): Options {
  const v1 = ep.v1 ?? ep.rest.replace(/\/api\/v3$/, '/api/v1');
  const origin = new URL(ep.rest).origin;
  return {
    public: ep.rest,
    private: ep.rest,
    v1,
    sapi: `${origin}/sapi/v1`,
    sapiV2: `${origin}/sapi/v2`,
    sapiV3: `${origin}/sapi/v3`,
    sapiV4: `${origin}/sapi/v4`,
    ws: { spot: ep.ws, 'ws-api': { spot: ep.wsApi } },
  };
}

function okxConfig(ep: OkxEndpoints, extra: Options): Options {
  const { options, ...rest } = extra as { options?: Options };
  return {
    apiKey: ep.apiKey,
    secret: ep.secret,
    password: ep.passphrase,
    timeout: 10_000,
    ...rest,
    options: {
      fetchMarkets: { types: ['spot'] },
      createOrder: 'privatePostTradeOrder',
      adjustForTimeDifference: false,
      defaultType: 'spot',
      ...(options ?? {}),
    },
  };
}

function okxUrls(ep: OkxEndpoints): Options {
  return { rest: ep.rest, ws: ep.ws };
}

/** ccxt.binance (REST) against a fake Binance. `extra` is merged into the constructor config (options deep-merged one level). */
export function localBinance(ep: BinanceEndpoints, extra: Options = {}): InstanceType<typeof Ccxt.binance> {
  const ex = new ccxt.binance(binanceConfig(ep, extra));
  ex.setSandboxMode(true);
  ex.urls['api'] = binanceUrls(ep) as never;
  return ex;
}

/** ccxt.pro.binance against a fake Binance (proxy agent loaded so plain ws:// works). */
export async function localBinancePro(ep: BinanceEndpoints, extra: Options = {}): Promise<InstanceType<Pro['binance']>> {
  const ex = new pro.binance(binanceConfig(ep, extra));
  ex.setSandboxMode(true);
  ex.urls['api'] = binanceUrls(ep) as never;
  await ex.loadHttpProxyAgent();
  return ex;
}

/** ccxt.okx (REST) against a fake OKX. */
export function localOkx(ep: OkxEndpoints, extra: Options = {}): InstanceType<typeof Ccxt.okx> {
  const ex = new ccxt.okx(okxConfig(ep, extra));
  ex.setSandboxMode(true);
  ex.urls['api'] = okxUrls(ep) as never;
  return ex;
}

/** ccxt.pro.okx against a fake OKX. */
export async function localOkxPro(ep: OkxEndpoints, extra: Options = {}): Promise<InstanceType<Pro['okx']>> {
  const ex = new pro.okx(okxConfig(ep, extra));
  ex.setSandboxMode(true);
  ex.urls['api'] = okxUrls(ep) as never;
  await ex.loadHttpProxyAgent();
  return ex;
}

/** Polls `fn` until it returns a value other than undefined/false, or throws after `timeoutMs`. */
export async function waitFor<T>(fn: () => T | Promise<T>, timeoutMs = 5_000, what = 'condition'): Promise<Exclude<T, undefined | false>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as Exclude<T, undefined | false>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Resolves like `p`, or rejects after `timeoutMs` (so a missed push fails fast instead of at the test timeout). */
export function within<T>(p: Promise<T>, timeoutMs = 5_000, what = 'promise'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
