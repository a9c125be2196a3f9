/**
 * Venue URLs: production, sandbox (Binance spot testnet, OKX demo trading) and YAML overrides (`urls.rest`,
 * `urls.ws`). An override that is just an origin (`http://127.0.0.1:9101`) gets the venue's standard paths; one
 * with a path is taken as the base itself (Binance REST `.../api/v3`, ws-api `.../ws-api/v3`; OKX ws `.../ws/v5`).
 */
export interface UrlOverrides {
  readonly rest?: string | undefined;
  readonly ws?: string | undefined;
}

export interface BinanceUrlSet {
  /** REST base ending in /api/v3. */
  readonly rest: string;
  /** WebSocket API endpoint (/ws-api/v3). */
  readonly wsApi: string;
  /** Market/user stream base (/ws), for ccxt. */
  readonly wsStream: string;
}

export interface OkxUrlSet {
  /** REST origin (paths /api/v5/... are appended). */
  readonly rest: string;
  /** Websocket base ending in /ws/v5 (/private, /public, /business are appended). */
  readonly ws: string;
}

export const BINANCE_ENDPOINTS = {
  live: { rest: 'https://api.binance.com/api/v3', wsApi: 'wss://ws-api.binance.com:443/ws-api/v3', wsStream: 'wss://stream.binance.com:9443/ws' },
  sandbox: { rest: 'https://testnet.binance.vision/api/v3', wsApi: 'wss://ws-api.testnet.binance.vision/ws-api/v3', wsStream: 'wss://stream.testnet.binance.vision/ws' },
} as const;

export const OKX_ENDPOINTS = {
  live: { rest: 'https://www.okx.com', ws: 'wss://ws.okx.com:8443/ws/v5' },
  sandbox: { rest: 'https://www.okx.com', ws: 'wss://wspap.okx.com:8443/ws/v5' },
} as const;

function parts(url: string): { origin: string; path: string } {
  const u = new URL(url);
  return { origin: `${u.protocol}//${u.host}`, path: u.pathname.replace(/\/+$/, '') };
}

export function binanceUrls(sandbox: boolean, o: UrlOverrides = {}): BinanceUrlSet {
  const base = sandbox ? BINANCE_ENDPOINTS.sandbox : BINANCE_ENDPOINTS.live;
  let rest: string = base.rest;
  let wsApi: string = base.wsApi;
  let wsStream: string = base.wsStream;
  if (o.rest !== undefined) {
    const p = parts(o.rest);
    rest = p.path === '' ? `${p.origin}/api/v3` : p.origin + p.path;
  }
  if (o.ws !== undefined) {
    const p = parts(o.ws);
    if (p.path === '') {
      wsApi = `${p.origin}/ws-api/v3`;
      wsStream = `${p.origin}/ws`;
    } else {
      wsApi = p.origin + p.path;
      wsStream = `${p.origin}/ws`;
    }
  }
  return { rest, wsApi, wsStream };
}

export function okxUrls(sandbox: boolean, o: UrlOverrides = {}): OkxUrlSet {
  const base = sandbox ? OKX_ENDPOINTS.sandbox : OKX_ENDPOINTS.live;
  let rest: string = base.rest;
  let ws: string = base.ws;
  if (o.rest !== undefined) rest = parts(o.rest).origin;
  if (o.ws !== undefined) {
    const p = parts(o.ws);
    ws = p.path === '' ? `${p.origin}/ws/v5` : p.origin + p.path.replace(/\/(private|public|business)$/, '');
  }
  return { rest, ws };
}
