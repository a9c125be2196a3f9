/**
 * Fake OKX spot on 127.0.0.1: REST /api/v5 and WebSockets /ws/v5/{private,public,business}, close enough that
 * unmodified ccxt (REST and ccxt pro) works against it. Matching is done by the crossing engine through VenueCore.
 *
 *   const fake = await startFakeOkx({ rateLimits: { placeOrder: 5 } });
 *   fake.urls -> { rest, ws, wsPrivate, wsPublic, admin }   fake.credentials -> { apiKey, secret, passphrase }
 *
 * Facts follow /work/shared/VENUES.md: OK-ACCESS-* headers with sign = base64 HMAC-SHA256(ts + METHOD + path(+query)
 * + body); answers {code, msg, data} where trade endpoints report each entry's own sCode/sMsg (code '1' = all failed,
 * '2' = some failed); 51016 duplicate clOrdId, 51400 cancel failed, 51603 no such order, 50011 rate limited (HTTP 429);
 * place order 60 requests / 2 s per instrument, batch 300 orders / 2 s per instrument (REST and WS share the limits).
 * WS: login (sign = base64 HMAC(ts + 'GET' + '/users/self/verify')), subscribe orders/account, ops order,
 * batch-orders, cancel-order, batch-cancel-orders, text ping -> pong. Public market data on /ws/v5/public (channels
 * `books` and `trades`, with a test harness and a market maker): okx-market-data.ts, `fake.market`.
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import type { WebSocket } from 'ws';
import { type Grid, averagePrice, formatAmount, parseAmount } from './decimal.js';
import { type FaultRule, ReportPipe } from './faults.js';
import { FakeServer, type HttpReq, type HttpRes, htmlErrorPage, sendJson } from './fake-server.js';
import { DEFAULT_BALANCES, DEFAULT_LADDERS } from './fake-binance.js';
import { OkxMarketData, type OkxMarketDataOptions } from './okx-market-data.js';
import { SlidingWindows } from './rate-limit.js';
import {
  type AccountSpec,
  type EndReason,
  type FeeRates,
  type Instrument,
  type InstrumentSpec,
  type LadderSpec,
  type OrderEvent,
  type OrderKind,
  type TimeInForce,
  type VenueEvent,
  type VenueFill,
  type VenueOrder,
  VenueCore,
  isOpen,
} from './venue-core.js';

export interface OkxInstrumentSpec extends InstrumentSpec {
  instIdCode: number;
}

export interface OkxRateLimits {
  /** Window of every limit below, ms (default 2000). */
  windowMs?: number;
  /** trade/order + ws 'order': requests per window per account and instrument (default 60). */
  placeOrder?: number;
  /** trade/batch-orders + ws 'batch-orders': orders per window per account and instrument (default 300). */
  batchOrders?: number;
  /** trade/cancel-order + ws 'cancel-order': requests per window per account and instrument (default 60). */
  cancelOrder?: number;
  /** Every other endpoint: requests per window (default 60 per account, or per IP for public ones). */
  other?: number;
}

/**
 * OKX's documented server-side errors (https://www.okx.com/docs-v5/en/#error-code): the bodies an `error` fault
 * answers with. None of them says whether an order request executed (faults.ts).
 */
export const OKX_SERVER_ERROR_CODES = ['50000', '50001', '50004', '50013', '50026'] as const;
const OKX_SERVER_ERROR_MSGS: Record<string, string> = {
  '50000': 'Body for POST request cannot be empty.',
  '50001': 'Service temporarily unavailable. Please try again later.',
  '50004': 'API endpoint request timeout (does not mean that the request was successful or failed, please check the request result).',
  '50013': 'Systems are busy. Please try again later.',
  '50026': 'System error. Try again later.',
};

function okxServerError(code: string): { code: string; msg: string } {
  return { code, msg: OKX_SERVER_ERROR_MSGS[code] ?? 'System error. Try again later.' };
}

export interface FakeOkxOptions {
  port?: number;
  instruments?: OkxInstrumentSpec[];
  ladders?: Record<string, LadderSpec | null>;
  /** Default: 'main' and 'other' with random keys (UUID key, hex secret, passphrase). */
  accounts?: AccountSpec[];
  rateLimits?: OkxRateLimits;
  /** Refuse private requests without `x-simulated-trading: 1` (50101), as demo-trading keys do. Default false. */
  requireSimulatedTrading?: boolean;
  /** Fee rates of every account without its own (default zero): reported OKX-style, negative = charged. */
  fees?: FeeRates;
  /** Public market data (/ws/v5/public): publishing interval, no-change interval (okx-market-data.ts). */
  marketData?: OkxMarketDataOptions;
  now?: () => number;
}

export interface OkxUrls {
  /** Origin for ccxt urls.api.rest: http://127.0.0.1:Q (ccxt appends /api/v5/...). */
  rest: string;
  /** ccxt urls.api.ws: ws://127.0.0.1:Q/ws/v5 */
  ws: string;
  wsPrivate: string;
  wsPublic: string;
  admin: string;
}

const spec = (
  symbol: string,
  tickSize: string,
  stepSize: string,
  minQty: string,
  instIdCode: number,
): OkxInstrumentSpec => {
  const [base, quote] = symbol.split('-');
  return {
    symbol,
    base,
    quote,
    tickSize,
    stepSize,
    minQty,
    maxQty: '9999999999',
    minPrice: tickSize,
    maxPrice: '10000000',
    minNotional: '0',
    maxNotional: '1000000',
    instIdCode,
  };
};

export const OKX_DEFAULT_INSTRUMENTS: OkxInstrumentSpec[] = [
  spec('BTC-USDT', '0.1', '0.00000001', '0.00001', 1001),
  spec('ETH-USDT', '0.01', '0.000001', '0.001', 1002),
  spec('SOL-USDT', '0.01', '0.000001', '0.01', 1003),
];

const ORD_ID_BASE = 600_000_000_000_000_000n;
const CL_ORD_ID_RE = /^[A-Za-z0-9]{1,32}$/;

const CANCEL_SOURCE: Record<EndReason, string> = {
  USER: '1',
  ADMIN: '1',
  IOC: '14',
  FOK: '15',
  MARKET: '0',
  POST_ONLY: '31',
  STP: '20',
};

/** OKX prints decimals in their shortest form ('120', '0.001'). */
function fmt(grid: Grid, steps: number): string {
  return formatAmount(grid.amount(steps));
}

function hmacB64(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64');
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A whole-request OKX error: HTTP status + {code, msg, data: []}. */
class OkxError {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly msg: string,
  ) {}
}

/** One entry's failure inside a trade answer. */
class EntryError {
  constructor(
    readonly sCode: string,
    readonly sMsg: string,
  ) {}
}

type Json = Record<string, unknown>;

interface WsSession {
  ws: WebSocket;
  owner: number | undefined;
  subs: Array<{ channel: string; instType?: string; instId?: string }>;
  pipe: ReportPipe;
  connId: string;
}

export class FakeOkx extends FakeServer {
  readonly limits: Required<OkxRateLimits>;
  private readonly place: SlidingWindows;
  private readonly batch: SlidingWindows;
  private readonly cancelW: SlidingWindows;
  private readonly other: SlidingWindows;
  private readonly sessions = new Set<WsSession>();
  private readonly requireSimulated: boolean;
  private readonly unsubscribe: () => void;
  /** Public market data: `books` and `trades` on /ws/v5/public, harness and market maker (okx-market-data.ts). */
  readonly market: OkxMarketData;

  constructor(options: FakeOkxOptions = {}) {
    const accounts = options.accounts ?? [
      {
        name: 'main',
        apiKey: randomUUID(),
        secret: randomBytes(16).toString('hex').toUpperCase(),
        passphrase: `Pass${randomBytes(6).toString('hex')}`,
        balances: DEFAULT_BALANCES,
      },
      {
        name: 'other',
        apiKey: randomUUID(),
        secret: randomBytes(16).toString('hex').toUpperCase(),
        passphrase: `Pass${randomBytes(6).toString('hex')}`,
        unlimited: true,
      },
    ];
    const instruments = options.instruments ?? OKX_DEFAULT_INSTRUMENTS;
    super(
      new VenueCore({
        instruments,
        ladders: { ...DEFAULT_LADDERS, ...(options.ladders ?? {}) },
        accounts,
        fees: options.fees,
        now: options.now,
        firstOrderId: 1,
        firstTradeId: 300_000_001,
      }),
    );
    this.instIdCodes = new Map(instruments.map((i) => [i.instIdCode, i.symbol]));
    const rl = options.rateLimits ?? {};
    this.limits = {
      windowMs: rl.windowMs ?? 2000,
      placeOrder: rl.placeOrder ?? 60,
      batchOrders: rl.batchOrders ?? 300,
      cancelOrder: rl.cancelOrder ?? 60,
      other: rl.other ?? 60,
    };
    this.place = new SlidingWindows(this.limits.windowMs, this.limits.placeOrder);
    this.batch = new SlidingWindows(this.limits.windowMs, this.limits.batchOrders);
    this.cancelW = new SlidingWindows(this.limits.windowMs, this.limits.cancelOrder);
    this.other = new SlidingWindows(this.limits.windowMs, this.limits.other);
    this.requireSimulated = options.requireSimulatedTrading === true;
    this.unsubscribe = this.core.onEvent((ev) => this.onVenueEvent(ev));
    this.market = new OkxMarketData(this.core, this.faults, { ...DEFAULT_LADDERS, ...(options.ladders ?? {}) }, options.marketData);
  }

  private readonly instIdCodes: Map<number, string>;

  get credentials(): { apiKey: string; secret: string; passphrase: string } {
    const a = this.core.accounts[1];
    return { apiKey: a.apiKey, secret: a.secret, passphrase: a.passphrase };
  }

  account(name: string): { apiKey: string; secret: string; passphrase: string } {
    const a = this.core.accountByName(name);
    if (a === undefined) throw new Error(`unknown account ${name}`);
    return { apiKey: a.apiKey, secret: a.secret, passphrase: a.passphrase };
  }

  get urls(): OkxUrls {
    return {
      rest: this.origin,
      ws: `${this.wsOrigin}/ws/v5`,
      wsPrivate: `${this.wsOrigin}/ws/v5/private`,
      wsPublic: `${this.wsOrigin}/ws/v5/public`,
      admin: `${this.origin}/__admin`,
    };
  }

  /** URLs and 'main' credentials: the `okx` object of main.ts's JSON line. */
  get endpoints(): OkxUrls & { apiKey: string; secret: string; passphrase: string } {
    return { ...this.urls, ...this.credentials };
  }

  /** Private-channel subscriptions ('orders' by default) open for an account on logged-in websockets. */
  userStreams(account = 'main', channel = 'orders'): number {
    const owner = this.core.accountByName(account)?.owner;
    let n = 0;
    for (const s of this.sessions) if (s.owner === owner) n += s.subs.filter((x) => x.channel === channel).length;
    return n;
  }

  /** Logged-in private websockets of an account. */
  loggedIn(account = 'main'): number {
    const owner = this.core.accountByName(account)?.owner;
    let n = 0;
    for (const s of this.sessions) if (s.owner === owner) n++;
    return n;
  }

  venueOrderId(o: VenueOrder): string {
    return (ORD_ID_BASE + BigInt(o.id)).toString();
  }

  parseVenueOrderId(text: string): number | undefined {
    if (!/^\d{1,30}$/.test(text)) return undefined;
    const n = BigInt(text) - ORD_ID_BASE;
    return n > 0n && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : undefined;
  }

  venueSymbol(symbol: string): string {
    return symbol;
  }

  protected resetVenue(): void {
    this.place.reset();
    this.batch.reset();
    this.cancelW.reset();
    this.other.reset();
    this.sessions.clear();
  }

  protected override onClose(): void {
    this.market.close();
    this.unsubscribe();
  }

  // ------------------------------------------------------------------ helpers

  private ts(): string {
    return String(this.core.now());
  }

  private uid(owner: number): string {
    return String(100000 + owner);
  }

  private instrumentOf(instId: unknown, instIdCode?: unknown): Instrument | undefined {
    if (typeof instId === 'string' && instId !== '') return this.core.instrument(instId);
    const code = typeof instIdCode === 'number' ? instIdCode : typeof instIdCode === 'string' ? Number(instIdCode) : NaN;
    const sym = this.instIdCodes.get(code);
    return sym === undefined ? undefined : this.core.instrument(sym);
  }

  private rateLimited(): OkxError {
    return new OkxError(429, '50011', 'Too Many Requests');
  }

  private state(o: VenueOrder): string {
    switch (o.status) {
      case 'NEW':
        return 'live';
      case 'PARTIALLY_FILLED':
        return 'partially_filled';
      case 'FILLED':
        return 'filled';
      default:
        return 'canceled';
    }
  }

  private ordType(o: VenueOrder): string {
    return (o.extra.ordType as string | undefined) ?? (o.kind === 'MARKET' ? 'market' : 'limit');
  }

  orderJson(o: VenueOrder, fill?: VenueFill): Json {
    const inst = this.core.instrument(o.symbol)!;
    const last = fill ?? o.fills[o.fills.length - 1];
    const feeCcy = o.side === 'BUY' ? inst.spec.base : inst.spec.quote;
    const tgtCcy = (o.extra.tgtCcy as string | undefined) ?? '';
    const sz = o.quoteQty !== null ? formatAmount(o.quoteQty) : fmt(inst.lot, o.qty);
    const ended = o.endReason !== null && !isOpen(o) && o.status !== 'FILLED';
    return {
      instType: 'SPOT',
      instId: o.symbol,
      tgtCcy,
      ccy: '',
      ordId: this.venueOrderId(o),
      clOrdId: o.clientOrderId,
      tag: (o.extra.tag as string | undefined) ?? '',
      px: o.kind === 'MARKET' ? '' : fmt(inst.price, o.price),
      pxUsd: '',
      pxVol: '',
      pxType: '',
      sz,
      pnl: '0',
      ordType: this.ordType(o),
      side: o.side === 'BUY' ? 'buy' : 'sell',
      posSide: 'net',
      tdMode: 'cash',
      accFillSz: fmt(inst.lot, o.filled),
      fillPx: last ? fmt(inst.price, last.price) : '',
      tradeId: last ? String(last.tradeId) : '',
      fillSz: last ? fmt(inst.lot, last.qty) : '0',
      fillTime: last ? String(last.time) : '',
      avgPx: o.filled > 0 ? formatAmount(parseAmount(averagePrice(o.cumQuote, inst.lot.amount(o.filled), 16))!) : '',
      state: this.state(o),
      stpId: '',
      stpMode: '',
      lever: '',
      attachAlgoClOrdId: '',
      tpTriggerPx: '',
      tpTriggerPxType: '',
      tpOrdPx: '',
      slTriggerPx: '',
      slTriggerPxType: '',
      slOrdPx: '',
      attachAlgoOrds: [],
      linkedAlgoOrd: { algoId: '' },
      feeCcy,
      fee: okxFeeText(o.fills.reduce((sum, x) => sum + x.fee, 0n)),
      rebateCcy: o.side === 'BUY' ? inst.spec.quote : inst.spec.base,
      rebate: '0',
      source: '',
      category: 'normal',
      reduceOnly: 'false',
      isTpLimit: 'false',
      cancelSource: ended ? CANCEL_SOURCE[o.endReason!] : '',
      cancelSourceReason: '',
      quickMgnType: '',
      algoClOrdId: '',
      algoId: '',
      uTime: String(o.updated),
      cTime: String(o.created),
    };
  }

  private fillJson(f: VenueFill): Json {
    const inst = this.core.instrument(f.symbol)!;
    const o = this.core.order(f.orderId)!;
    return {
      instType: 'SPOT',
      instId: f.symbol,
      tradeId: String(f.tradeId),
      ordId: this.venueOrderId(o),
      clOrdId: o.clientOrderId,
      billId: String(f.tradeId * 10 + (f.maker ? 1 : 2)),
      subType: f.side === 'BUY' ? '1' : '2',
      tag: (o.extra.tag as string | undefined) ?? '',
      fillPx: fmt(inst.price, f.price),
      fillSz: fmt(inst.lot, f.qty),
      fillIdxPx: '',
      fillPnl: '0',
      fillPxVol: '',
      fillPxUsd: '',
      fillMarkVol: '',
      fillFwdPx: '',
      fillMarkPx: '',
      side: f.side === 'BUY' ? 'buy' : 'sell',
      posSide: 'net',
      execType: f.maker ? 'M' : 'T',
      feeCcy: f.feeAsset,
      fee: okxFeeText(f.fee),
      feeRate: '0',
      ts: String(f.time),
      fillTime: String(f.time),
    };
  }

  private balanceDetails(owner: number, only?: string[]): Json[] {
    const out: Json[] = [];
    for (const ccy of this.core.assets()) {
      if (only !== undefined && !only.includes(ccy)) continue;
      const b = this.core.balance(owner, ccy);
      const eq = formatAmount(b.free + b.locked);
      out.push({
        ccy,
        eq,
        cashBal: eq,
        availBal: formatAmount(b.free),
        availEq: formatAmount(b.free),
        frozenBal: formatAmount(b.locked),
        ordFrozen: formatAmount(b.locked),
        disEq: eq,
        eqUsd: '',
        upl: '0',
        uTime: this.ts(),
      });
    }
    return out;
  }

  // ------------------------------------------------------------------ trading (shared by REST and WS)

  private take(windows: SlidingWindows, key: string, n = 1): boolean {
    return windows.get(key).tryTake(n, this.core.now());
  }

  /** Places one order; returns its ack entry or throws EntryError. `limitKind` selects the rate-limit family. */
  private placeOne(owner: number, a: Json, limitKind: 'place' | 'batch'): Json {
    const clOrdIdIn = typeof a.clOrdId === 'string' ? a.clOrdId : '';
    const tag = typeof a.tag === 'string' ? a.tag : '';
    const inst = this.instrumentOf(a.instId, a.instIdCode);
    if (inst === undefined) throw new EntryError('51001', "Instrument ID, Instrument ID code, or Spread ID doesn't exist.");
    const windows = limitKind === 'place' ? this.place : this.batch;
    if (!this.take(windows, `${owner}:${inst.spec.symbol}`)) throw new EntryError('50011', 'Too Many Requests');
    if (clOrdIdIn !== '' && !CL_ORD_ID_RE.test(clOrdIdIn)) throw new EntryError('51000', 'Parameter clOrdId error');
    const tdMode = a.tdMode;
    if (tdMode !== 'cash') throw new EntryError('51000', 'Parameter tdMode error');
    const side = a.side === 'buy' ? 'BUY' : a.side === 'sell' ? 'SELL' : undefined;
    if (side === undefined) throw new EntryError('51000', 'Parameter side error');
    const ordType = String(a.ordType ?? '');
    let kind: OrderKind;
    let tif: TimeInForce = 'GTC';
    switch (ordType) {
      case 'market':
        kind = 'MARKET';
        break;
      case 'limit':
        kind = 'LIMIT';
        break;
      case 'post_only':
        kind = 'LIMIT_MAKER';
        break;
      case 'ioc':
        kind = 'LIMIT';
        tif = 'IOC';
        break;
      case 'fok':
        kind = 'LIMIT';
        tif = 'FOK';
        break;
      default:
        throw new EntryError('51000', 'Parameter ordType error');
    }
    const szText = typeof a.sz === 'string' ? a.sz : typeof a.sz === 'number' ? String(a.sz) : '';
    if (parseAmount(szText) === undefined || parseAmount(szText)! <= 0n) throw new EntryError('51000', 'Parameter sz error');
    let tgtCcy = typeof a.tgtCcy === 'string' && a.tgtCcy !== '' ? a.tgtCcy : '';
    if (tgtCcy !== '' && tgtCcy !== 'base_ccy' && tgtCcy !== 'quote_ccy') throw new EntryError('51000', 'Parameter tgtCcy error');
    if (kind === 'MARKET' && tgtCcy === '') tgtCcy = side === 'BUY' ? 'quote_ccy' : 'base_ccy';
    let lots: number | undefined;
    let quoteQty: bigint | undefined;
    if (kind === 'MARKET' && tgtCcy === 'quote_ccy') {
      quoteQty = parseAmount(szText)!;
    } else {
      const l = inst.lot.steps(szText);
      if (typeof l !== 'number') throw new EntryError('51121', 'Order quantity must be a multiple of the lot size.');
      if (l < (inst.lot.steps(inst.spec.minQty) as number)) {
        throw new EntryError('51020', 'Your order should meet or exceed the minimum order amount.');
      }
      lots = l;
    }
    let priceTicks: number | undefined;
    if (kind !== 'MARKET') {
      const pxText = typeof a.px === 'string' ? a.px : typeof a.px === 'number' ? String(a.px) : '';
      const t = inst.price.steps(pxText);
      if (typeof t !== 'number' || t <= 0) throw new EntryError('51000', 'Parameter px error');
      priceTicks = t;
    }
    const clOrdId = clOrdIdIn;
    if (clOrdId !== '') {
      const existing = this.core.find(owner, { clientOrderId: clOrdId });
      if (existing !== undefined && isOpen(existing)) throw new EntryError('51016', 'Duplicated client order ID');
    }
    const r = this.core.place(owner, {
      symbol: inst.spec.symbol,
      side,
      kind,
      tif,
      priceTicks,
      qtyLots: lots,
      quoteQty,
      clientOrderId: clOrdId,
      extra: { ordType, tag, tgtCcy, sz: szText },
    });
    if (!r.ok) {
      switch (r.reason) {
        case 'DUPLICATE_CLIENT_ID':
          throw new EntryError('51016', 'Duplicated client order ID');
        case 'INSUFFICIENT_BALANCE': {
          const ccy = side === 'BUY' ? inst.spec.quote : inst.spec.base;
          throw new EntryError('51008', `Order failed. Insufficient ${ccy} balance in account.`);
        }
        default:
          throw new EntryError('51000', `Parameter error (${r.detail ?? r.reason})`);
      }
    }
    return { clOrdId, ordId: this.venueOrderId(r.order), tag, ts: this.ts(), sCode: '0', sMsg: 'Order placed' };
  }

  private cancelOne(owner: number, a: Json, limitKind: 'cancel' | 'batch'): Json {
    const clOrdId = typeof a.clOrdId === 'string' ? a.clOrdId : '';
    const ordIdText = typeof a.ordId === 'string' ? a.ordId : typeof a.ordId === 'number' ? String(a.ordId) : '';
    const inst = this.instrumentOf(a.instId, a.instIdCode);
    if (inst === undefined) throw new EntryError('51001', "Instrument ID, Instrument ID code, or Spread ID doesn't exist.");
    const windows = limitKind === 'cancel' ? this.cancelW : this.batch;
    if (!this.take(windows, `${owner}:cancel:${inst.spec.symbol}`)) throw new EntryError('50011', 'Too Many Requests');
    if (ordIdText === '' && clOrdId === '') throw new EntryError('51000', 'Parameter ordId or clOrdId error');
    const id = ordIdText !== '' ? this.parseVenueOrderId(ordIdText) : undefined;
    const o =
      ordIdText !== ''
        ? id === undefined
          ? undefined
          : this.core.find(owner, { id })
        : this.core.find(owner, { clientOrderId: clOrdId });
    const fail = new EntryError('51400', 'Order cancellation failed as the order has been filled, canceled or does not exist.');
    if (o === undefined || o.symbol !== inst.spec.symbol || !isOpen(o)) throw fail;
    const r = this.core.cancel(owner, { id: o.id });
    if (!r.ok) throw fail;
    return { clOrdId: o.clientOrderId, ordId: this.venueOrderId(o), ts: this.ts(), sCode: '0', sMsg: '' };
  }

  /**
   * Amends one order (POST trade/amend-order, ws op amend-order): by ordId or clOrdId, `newSz` the new TOTAL size
   * (what filled included; it must be above the filled size) and/or `newPx`. In place, under the same ids: a smaller
   * size at the same price keeps the queue position. An order filled, canceled or unknown is answered 51503; the
   * answer is an acknowledgement, the orders channel pushes the amended order (amendResult "0", the reqId).
   */
  private amendOne(owner: number, a: Json): Json {
    const clOrdId = typeof a.clOrdId === 'string' ? a.clOrdId : '';
    const ordIdText = typeof a.ordId === 'string' ? a.ordId : typeof a.ordId === 'number' ? String(a.ordId) : '';
    const reqId = typeof a.reqId === 'string' ? a.reqId : '';
    const inst = this.instrumentOf(a.instId, a.instIdCode);
    if (inst === undefined) throw new EntryError('51001', "Instrument ID, Instrument ID code, or Spread ID doesn't exist.");
    if (!this.take(this.cancelW, `${owner}:amend:${inst.spec.symbol}`)) throw new EntryError('50011', 'Too Many Requests');
    if (ordIdText === '' && clOrdId === '') throw new EntryError('51000', 'Parameter ordId or clOrdId error');
    const szText = typeof a.newSz === 'string' ? a.newSz : typeof a.newSz === 'number' ? String(a.newSz) : '';
    const pxText = typeof a.newPx === 'string' ? a.newPx : typeof a.newPx === 'number' ? String(a.newPx) : '';
    if (szText === '' && pxText === '') throw new EntryError('51000', 'Parameter newSz or newPx error');
    let lots: number | undefined;
    if (szText !== '') {
      const l = inst.lot.steps(szText);
      if (typeof l !== 'number' || l <= 0) throw new EntryError('51121', 'Order quantity must be a multiple of the lot size.');
      lots = l;
    }
    let ticks: number | undefined;
    if (pxText !== '') {
      const t = inst.price.steps(pxText);
      if (typeof t !== 'number' || t <= 0) throw new EntryError('51000', 'Parameter newPx error');
      ticks = t;
    }
    const id = ordIdText !== '' ? this.parseVenueOrderId(ordIdText) : undefined;
    const found = ordIdText !== '' ? (id === undefined ? undefined : this.core.find(owner, { id })) : this.core.find(owner, { clientOrderId: clOrdId });
    const gone = new EntryError('51503', 'Order modification failed as the order has been filled, canceled or does not exist.');
    if (found === undefined || found.symbol !== inst.spec.symbol || !isOpen(found)) throw gone;
    found.extra.reqId = reqId;
    const r = this.core.amend(owner, { id: found.id }, ticks, lots);
    if (!r.ok) {
      switch (r.reason) {
        case 'QTY': throw new EntryError('51000', 'Parameter newSz error: the new size must be greater than the filled size');
        case 'WOULD_CROSS': throw new EntryError('51000', 'Parameter newPx error: a post-only order would take liquidity');
        case 'INSUFFICIENT_BALANCE': throw new EntryError('51008', 'Order failed. Insufficient balance in account.');
        default: throw gone;
      }
    }
    return { clOrdId: found.clientOrderId, ordId: this.venueOrderId(found), reqId, ts: this.ts(), sCode: '0', sMsg: '' };
  }

  /** Runs entries independently; returns the OKX envelope code/msg and the per-entry data. */
  private runEntries(args: Json[], fn: (a: Json) => Json): { code: string; msg: string; data: Json[] } {
    const data: Json[] = [];
    let failed = 0;
    for (const a of args) {
      try {
        data.push(fn(a));
      } catch (e) {
        if (!(e instanceof EntryError)) throw e;
        failed++;
        data.push({
          clOrdId: typeof a.clOrdId === 'string' ? a.clOrdId : '',
          ordId: typeof a.ordId === 'string' ? a.ordId : '',
          tag: typeof a.tag === 'string' ? a.tag : '',
          ts: this.ts(),
          sCode: e.sCode,
          sMsg: e.sMsg,
        });
      }
    }
    if (failed === 0) return { code: '0', msg: '', data };
    if (failed === args.length) return { code: '1', msg: 'All operations failed', data };
    return { code: '2', msg: 'Batch operation partially succeeded', data };
  }

  // ------------------------------------------------------------------ REST

  private authenticate(req: HttpReq): number {
    const h = (name: string): string | undefined => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const key = h('ok-access-key');
    const sign = h('ok-access-sign');
    const ts = h('ok-access-timestamp');
    const pass = h('ok-access-passphrase');
    if (!key) throw new OkxError(401, '50103', 'Request header "OK-ACCESS-KEY" cannot be empty.');
    if (!sign) throw new OkxError(401, '50106', 'Request header "OK-ACCESS-SIGN" cannot be empty.');
    if (!ts) throw new OkxError(401, '50107', 'Request header "OK-ACCESS-TIMESTAMP" cannot be empty.');
    if (!pass) throw new OkxError(401, '50104', 'Request header "OK-ACCESS-PASSPHRASE" cannot be empty.');
    const account = this.core.accountByKey(key);
    if (account === undefined) throw new OkxError(401, '50111', 'Invalid OK-ACCESS-KEY.');
    if (this.requireSimulated && h('x-simulated-trading') !== '1') {
      throw new OkxError(401, '50101', 'APIKey does not match current environment.');
    }
    const t = Date.parse(ts);
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z$/.test(ts) || Number.isNaN(t)) {
      throw new OkxError(401, '50112', 'Invalid OK-ACCESS-TIMESTAMP.');
    }
    if (Math.abs(this.core.now() - t) > 30_000) throw new OkxError(401, '50102', 'Timestamp request expired.');
    if (pass !== account.passphrase) throw new OkxError(401, '50105', 'Invalid OK-ACCESS-PASSPHRASE.');
    const expected = hmacB64(account.secret, ts + req.method + req.url + (req.method === 'GET' ? '' : req.body));
    if (!same(expected, sign)) throw new OkxError(401, '50113', 'Invalid Sign.');
    return account.owner;
  }

  private jsonBody(req: HttpReq): unknown {
    if (req.body.trim() === '') return {};
    try {
      return JSON.parse(req.body) as unknown;
    } catch {
      throw new OkxError(400, '50002', 'JSON syntax error.');
    }
  }

  private limitOther(key: string): void {
    if (!this.take(this.other, key)) throw this.rateLimited();
  }

  protected handleRest(req: HttpReq): HttpRes {
    const inTime = String(this.core.now() * 1000);
    const ok = (data: unknown[], extra: Json = {}): HttpRes => ({ status: 200, body: { code: '0', msg: '', data, ...extra } });
    const q = (k: string): string | undefined => req.query.get(k) ?? undefined;
    const route = `${req.method} ${req.path}`;
    try {
      // public
      switch (route) {
        case 'GET /api/v5/public/time':
          this.limitOther('ip:time');
          return ok([{ ts: this.ts() }]);
        case 'GET /api/v5/public/instruments': {
          this.limitOther('ip:instruments');
          const instType = q('instType');
          if (instType === undefined) throw new OkxError(400, '50014', 'Parameter instType can not be empty.');
          if (instType !== 'SPOT') return ok([]);
          const instId = q('instId');
          return ok([...this.core.instruments.values()].filter((i) => instId === undefined || i.spec.symbol === instId).map((i) => this.instrumentJson(i)));
        }
        case 'GET /api/v5/market/books':
        case 'GET /api/v5/market/books-full': {
          this.limitOther('ip:books');
          const inst = this.instrumentOf(q('instId'));
          if (inst === undefined) throw new OkxError(400, '51001', "Instrument ID doesn't exist.");
          const sz = Math.min(400, Number(q('sz') ?? 1));
          const lv = (s: 'BUY' | 'SELL'): string[][] =>
            this.core.levels(inst.spec.symbol, s, sz).map(([p, n]) => [fmt(inst.price, p), fmt(inst.lot, n), '0', '1']);
          return ok([{ asks: lv('SELL'), bids: lv('BUY'), ts: this.ts(), seqId: 1 }]);
        }
        case 'GET /api/v5/market/ticker': {
          this.limitOther('ip:ticker');
          const inst = this.instrumentOf(q('instId'));
          if (inst === undefined) throw new OkxError(400, '51001', "Instrument ID doesn't exist.");
          return ok([this.tickerJson(inst)]);
        }
        case 'GET /api/v5/system/status':
          return ok([]);
        case 'GET /api/v5/market/tickers': {
          this.limitOther('ip:ticker');
          return ok(q('instType') === 'SPOT' ? [...this.core.instruments.values()].map((i) => this.tickerJson(i)) : []);
        }
        default:
          break;
      }
      if (!req.path.startsWith('/api/v5/')) return { status: 404, body: { code: '404', msg: 'Not Found', data: [] } };
      const owner = this.authenticate(req);
      const trade = { inTime, outTime: String(this.core.now() * 1000) };
      switch (route) {
        case 'GET /api/v5/account/balance': {
          this.limitOther(`${owner}:balance`);
          const ccy = q('ccy');
          const details = this.balanceDetails(owner, ccy === undefined ? undefined : ccy.split(','));
          return ok([{ adjEq: '', availEq: '', borrowFroz: '', imr: '', isoEq: '', mgnRatio: '', mmr: '', notionalUsd: '', ordFroz: '', totalEq: '', uTime: this.ts(), upl: '', details }]);
        }
        case 'GET /api/v5/account/config':
          this.limitOther(`${owner}:config`);
          return ok([{ uid: this.uid(owner), mainUid: this.uid(owner), acctLv: '1', posMode: 'net_mode', autoLoan: false, greeksType: 'PA', level: 'Lv1', levelTmp: '', ctIsoMode: 'automatic', mgnIsoMode: 'automatic', spotOffsetType: '', roleType: '0', traderInsts: [], spotRoleType: '0', spotTraderInsts: [], opAuth: '0', kycLv: '1', label: 'fake', ip: '', perm: 'read_only,trade' }]);
        case 'GET /api/v5/asset/currencies':
          this.limitOther(`${owner}:currencies`);
          return ok(this.core.assets().map((ccy) => ({ ccy, name: ccy, chain: `${ccy}-${ccy}`, canDep: false, canWd: false, canInternal: false, minWd: '0', maxWd: '0', wdTickSz: '8', minFee: '0', maxFee: '0', mainNet: true, logoLink: '' })));
        case 'POST /api/v5/trade/order': {
          const body = this.jsonBody(req);
          if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new OkxError(400, '50014', 'Parameter instId can not be empty.');
          const a = body as Json;
          for (const k of ['instId', 'tdMode', 'side', 'ordType', 'sz']) {
            if (k === 'instId' && a.instIdCode !== undefined) continue;
            if (a[k] === undefined || a[k] === '') throw new OkxError(400, '50014', `Parameter ${k} can not be empty.`);
          }
          const r = this.runEntries([a], (x) => this.placeOne(owner, x, 'place'));
          if (r.data[0]?.sCode === '50011') return { status: 429, body: { code: '50011', msg: 'Too Many Requests', data: [] } };
          return { status: 200, body: { ...r, ...trade } };
        }
        case 'POST /api/v5/trade/batch-orders': {
          const body = this.jsonBody(req);
          if (!Array.isArray(body)) throw new OkxError(400, '50014', 'Parameter request body must be an array.');
          if (body.length === 0) throw new OkxError(400, '50014', 'Parameter request body can not be empty.');
          if (body.length > 20) throw new OkxError(400, '51000', 'Parameter error: at most 20 orders per batch.');
          const r = this.runEntries(body as Json[], (x) => this.placeOne(owner, x, 'batch'));
          return { status: 200, body: { ...r, ...trade } };
        }
        case 'POST /api/v5/trade/cancel-order': {
          const a = this.jsonBody(req) as Json;
          if (a.instId === undefined && a.instIdCode === undefined) throw new OkxError(400, '50014', 'Parameter instId can not be empty.');
          const r = this.runEntries([a], (x) => this.cancelOne(owner, x, 'cancel'));
          if (r.data[0]?.sCode === '50011') return { status: 429, body: { code: '50011', msg: 'Too Many Requests', data: [] } };
          return { status: 200, body: { ...r, ...trade } };
        }
        case 'POST /api/v5/trade/amend-order': {
          const a = this.jsonBody(req) as Json;
          if (a.instId === undefined && a.instIdCode === undefined) throw new OkxError(400, '50014', 'Parameter instId can not be empty.');
          const r = this.runEntries([a], (x) => this.amendOne(owner, x));
          if (r.data[0]?.sCode === '50011') return { status: 429, body: { code: '50011', msg: 'Too Many Requests', data: [] } };
          return { status: 200, body: { ...r, ...trade } };
        }
        case 'POST /api/v5/trade/cancel-batch-orders': {
          const body = this.jsonBody(req);
          if (!Array.isArray(body) || body.length === 0) throw new OkxError(400, '50014', 'Parameter request body can not be empty.');
          if (body.length > 20) throw new OkxError(400, '51000', 'Parameter error: at most 20 orders per batch.');
          const r = this.runEntries(body as Json[], (x) => this.cancelOne(owner, x, 'batch'));
          return { status: 200, body: { ...r, ...trade } };
        }
        case 'GET /api/v5/trade/order': {
          const inst = this.instrumentOf(q('instId'));
          if (q('instId') === undefined) throw new OkxError(400, '50014', 'Parameter instId can not be empty.');
          if (inst === undefined) throw new OkxError(200, '51001', "Instrument ID doesn't exist.");
          this.limitOther(`${owner}:order:${inst.spec.symbol}`);
          const ordId = q('ordId');
          const clOrdId = q('clOrdId');
          if (ordId === undefined && clOrdId === undefined) throw new OkxError(400, '51000', 'Parameter ordId or clOrdId error');
          const id = ordId !== undefined ? this.parseVenueOrderId(ordId) : undefined;
          const o =
            ordId !== undefined ? (id === undefined ? undefined : this.core.find(owner, { id })) : this.core.find(owner, { clientOrderId: clOrdId });
          const visible = this.readView('rest', req.method, req.path); // stale-read: a hidden order is unknown
          if (o === undefined || o.symbol !== inst.spec.symbol || !visible(o)) throw new OkxError(200, '51603', 'Order does not exist');
          return ok([this.orderJson(o)]);
        }
        case 'GET /api/v5/trade/orders-pending':
        case 'GET /api/v5/trade/orders-history':
        case 'GET /api/v5/trade/orders-history-archive': {
          this.limitOther(`${owner}:${route}`);
          const pending = route.endsWith('pending');
          if (!pending && q('instType') === undefined) throw new OkxError(400, '50014', 'Parameter instType can not be empty.');
          const instType = q('instType');
          if (instType !== undefined && instType !== 'SPOT') return ok([]);
          const instId = q('instId');
          const ordType = q('ordType');
          const state = q('state');
          let list = this.core
            .listOrders({ owner, symbol: instId, open: pending })
            .filter((o) => ordType === undefined || ordType.split(',').includes(this.ordType(o)))
            .filter((o) => state === undefined || this.state(o) === state)
            .filter(this.readView('rest', req.method, req.path))
            .sort((a, b) => b.id - a.id);
          list = this.page(list, (o) => o.id, q('after') !== undefined ? this.parseVenueOrderId(q('after')!) : undefined, q('before') !== undefined ? this.parseVenueOrderId(q('before')!) : undefined);
          const limit = Math.min(100, Number(q('limit') ?? 100));
          return ok(list.slice(0, limit).map((o) => this.orderJson(o)));
        }
        case 'GET /api/v5/trade/fills':
        case 'GET /api/v5/trade/fills-history': {
          this.limitOther(`${owner}:${route}`);
          if (route.endsWith('history') && q('instType') === undefined) throw new OkxError(400, '50014', 'Parameter instType can not be empty.');
          const instType = q('instType');
          if (instType !== undefined && instType !== 'SPOT') return ok([]);
          const ordId = q('ordId');
          const orderId = ordId !== undefined ? this.parseVenueOrderId(ordId) : undefined;
          if (ordId !== undefined && orderId === undefined) return ok([]);
          let list = this.core.listFills({ owner, symbol: q('instId'), orderId }).sort((a, b) => b.tradeId - a.tradeId);
          const begin = q('begin');
          const end = q('end');
          if (begin !== undefined) list = list.filter((f) => f.time >= Number(begin));
          if (end !== undefined) list = list.filter((f) => f.time <= Number(end));
          const billOf = (f: VenueFill): number => f.tradeId * 10 + (f.maker ? 1 : 2);
          list = this.page(list, billOf, q('after') !== undefined ? Number(q('after')) : undefined, q('before') !== undefined ? Number(q('before')) : undefined);
          const limit = Math.min(100, Number(q('limit') ?? 100));
          return ok(list.slice(0, limit).map((f) => this.fillJson(f)));
        }
        case 'GET /api/v5/trade/orders-algo-pending':
        case 'GET /api/v5/trade/orders-algo-history':
          return ok([]);
        default:
          return { status: 404, body: { code: '404', msg: 'Not Found', data: [] } };
      }
    } catch (e) {
      if (e instanceof OkxError) return { status: e.status, body: { code: e.code, msg: e.msg, data: [] } };
      throw e;
    }
  }

  /** OKX pagination on a newest-first list: after = older than, before = newer than. */
  private page<T>(list: T[], key: (t: T) => number, after: number | undefined, before: number | undefined): T[] {
    let out = list;
    if (after !== undefined) out = out.filter((t) => key(t) < after);
    if (before !== undefined) out = out.filter((t) => key(t) > before);
    return out;
  }

  private instrumentJson(i: Instrument): Json {
    const s = i.spec as OkxInstrumentSpec;
    return {
      alias: '',
      auctionEndTime: '',
      baseCcy: s.base,
      category: '1',
      contTdSwTime: '',
      ctMult: '',
      ctType: '',
      ctVal: '',
      ctValCcy: '',
      expTime: '',
      futureSettlement: false,
      instFamily: '',
      instId: s.symbol,
      instIdCode: s.instIdCode,
      instType: 'SPOT',
      lever: '',
      listTime: '1606468572000',
      lotSz: i.lot.text,
      maxIcebergSz: '9999999999.0000000000000000',
      maxLmtAmt: '20000000',
      maxLmtSz: s.maxQty,
      maxMktAmt: '1000000',
      maxMktSz: s.maxNotional,
      maxStopSz: s.maxNotional,
      maxTriggerSz: '9999999999.0000000000000000',
      maxTwapSz: '9999999999.0000000000000000',
      minSz: s.minQty,
      openType: '',
      optType: '',
      quoteCcy: s.quote,
      ruleType: 'normal',
      settleCcy: '',
      state: 'live',
      stk: '',
      tickSz: i.price.text,
      tradeQuoteCcyList: [s.quote],
      uly: '',
    };
  }

  private tickerJson(i: Instrument): Json {
    const [bid] = this.core.levels(i.spec.symbol, 'BUY', 1);
    const [ask] = this.core.levels(i.spec.symbol, 'SELL', 1);
    const last = i.book.lastPrice();
    const lastPx = Number.isNaN(last) ? (bid ? fmt(i.price, bid[0]) : '') : fmt(i.price, last);
    return {
      instType: 'SPOT',
      instId: i.spec.symbol,
      last: lastPx,
      lastSz: '0',
      askPx: ask ? fmt(i.price, ask[0]) : '',
      askSz: ask ? fmt(i.lot, ask[1]) : '',
      bidPx: bid ? fmt(i.price, bid[0]) : '',
      bidSz: bid ? fmt(i.lot, bid[1]) : '',
      open24h: lastPx,
      high24h: lastPx,
      low24h: lastPx,
      volCcy24h: '0',
      vol24h: '0',
      sodUtc0: lastPx,
      sodUtc8: lastPx,
      ts: this.ts(),
    };
  }

  protected restFault(rule: FaultRule, _req: HttpReq): HttpRes {
    switch (rule.kind) {
      case 'rate-limit':
      case 'ban':
        return {
          status: 429,
          headers: { 'Retry-After': String(rule.retryAfter ?? (rule.kind === 'ban' ? 120 : 1)) },
          body: { code: '50011', msg: 'Too Many Requests', data: [] },
        };
      default: {
        const status = rule.status ?? 503;
        const body = this.faults.errorBody(rule, OKX_SERVER_ERROR_CODES);
        if (body.form === 'html') return { status, headers: { 'Content-Type': 'text/html' }, body: htmlErrorPage(status) };
        if (body.form === 'empty') return { status, body: '' };
        return { status, body: { ...okxServerError(body.code), data: [] } };
      }
    }
  }


  // ------------------------------------------------------------------ websockets

  protected acceptsWebSocket(path: string): boolean {
    return path === '/ws/v5/private' || path === '/ws/v5/public' || path === '/ws/v5/business';
  }

  protected onWebSocket(ws: WebSocket, url: URL, _req: http.IncomingMessage): void {
    if (url.pathname === '/ws/v5/public') {
      this.market.attach(ws);
      return;
    }
    const isPrivate = url.pathname !== '/ws/v5/public';
    const session: WsSession = {
      ws,
      owner: undefined,
      subs: [],
      pipe: new ReportPipe(this.faults, (t) => sendJson(ws, t)),
      connId: randomBytes(4).toString('hex'),
    };
    this.sessions.add(session);
    ws.on('close', () => {
      this.sessions.delete(session);
      session.pipe.close();
    });
    ws.on('message', (data) => {
      const text = String(data);
      if (text === 'ping') {
        if (ws.readyState === ws.OPEN) ws.send('pong');
        return;
      }
      let msg: Json;
      try {
        msg = JSON.parse(text) as Json;
      } catch {
        sendJson(ws, { event: 'error', code: '60012', msg: `Illegal request: ${text}`, connId: session.connId });
        return;
      }
      const op = typeof msg.op === 'string' ? msg.op : '';
      const args = Array.isArray(msg.args) ? (msg.args as Json[]) : [];
      switch (op) {
        case 'login':
          this.wsLogin(session, args[0] ?? {});
          return;
        case 'subscribe':
        case 'unsubscribe':
          this.wsSubscribe(session, op, args, isPrivate);
          return;
        case 'order':
        case 'batch-orders':
        case 'cancel-order':
        case 'batch-cancel-orders':
        case 'amend-order':
          this.wsTrade(session, msg, op, args, isPrivate);
          return;
        default:
          sendJson(ws, { event: 'error', code: '60012', msg: `Illegal request: ${text}`, connId: session.connId });
      }
    });
  }

  private wsLogin(s: WsSession, a: Json): void {
    const err = (code: string, msg: string): void => sendJson(s.ws, { event: 'error', code, msg, connId: s.connId });
    const account = this.core.accountByKey(typeof a.apiKey === 'string' ? a.apiKey : undefined);
    if (account === undefined) return err('60005', 'Invalid OK-ACCESS-KEY');
    const ts = typeof a.timestamp === 'string' || typeof a.timestamp === 'number' ? String(a.timestamp) : '';
    if (!/^\d+(\.\d+)?$/.test(ts)) return err('60004', 'Invalid timestamp');
    if (Math.abs(this.core.now() / 1000 - Number(ts)) > 30) return err('60006', 'Timestamp request expired');
    if (a.passphrase !== account.passphrase) return err('60024', 'Wrong passphrase');
    const expected = hmacB64(account.secret, `${ts}GET/users/self/verify`);
    if (typeof a.sign !== 'string' || !same(expected, a.sign)) return err('60007', 'Invalid sign');
    s.owner = account.owner;
    sendJson(s.ws, { event: 'login', code: '0', msg: '', connId: s.connId });
  }

  private wsSubscribe(s: WsSession, op: 'subscribe' | 'unsubscribe', args: Json[], isPrivate: boolean): void {
    for (const a of args) {
      const channel = typeof a.channel === 'string' ? a.channel : '';
      const arg: { channel: string; instType?: string; instId?: string } = { channel };
      if (typeof a.instType === 'string') arg.instType = a.instType;
      if (typeof a.instId === 'string') arg.instId = a.instId;
      if (channel !== 'orders' && channel !== 'account') {
        sendJson(s.ws, { event: 'error', code: '60018', msg: `Wrong URL or channel:${channel},instId:${arg.instId ?? ''} doesn't exist. Please use the correct URL, channel and parameters referring to API document.`, connId: s.connId });
        continue;
      }
      if (!isPrivate || s.owner === undefined) {
        sendJson(s.ws, { event: 'error', code: '60011', msg: 'Please log in', connId: s.connId });
        continue;
      }
      if (channel === 'orders' && arg.instType !== 'SPOT' && arg.instType !== 'ANY') {
        sendJson(s.ws, { event: 'error', code: '60018', msg: `Wrong URL or channel:${channel},instType:${arg.instType ?? ''} doesn't exist.`, connId: s.connId });
        continue;
      }
      const same = (x: typeof arg): boolean => x.channel === arg.channel && x.instType === arg.instType && x.instId === arg.instId;
      if (op === 'subscribe') {
        if (!s.subs.some(same)) s.subs.push(arg);
      } else {
        s.subs = s.subs.filter((x) => !same(x));
      }
      sendJson(s.ws, { event: op, arg, connId: s.connId });
    }
  }

  private wsTrade(s: WsSession, msg: Json, op: string, args: Json[], isPrivate: boolean): void {
    const id = typeof msg.id === 'string' ? msg.id : msg.id === undefined ? '' : String(msg.id);
    const inTime = String(this.core.now() * 1000);
    const reply = (body: Json): void => sendJson(s.ws, { id, op, ...body, inTime, outTime: String(this.core.now() * 1000) });
    if (!isPrivate || s.owner === undefined) {
      reply({ code: '60011', msg: 'Please log in', data: [] });
      return;
    }
    const owner = s.owner;
    void this.withFaults(
      'ws',
      op,
      op,
      () => {
        if (args.length === 0) return { code: '60013', msg: 'Invalid args', data: [] };
        if (op === 'order' || op === 'cancel-order' || op === 'amend-order') {
          if (args.length !== 1) return { code: '60013', msg: 'Invalid args', data: [] };
        } else if (args.length > 20) {
          return { code: '60013', msg: 'Invalid args: at most 20 orders per batch', data: [] };
        }
        if (op === 'amend-order') return this.runEntries(args, (a) => this.amendOne(owner, a));
        const isCancel = op === 'cancel-order' || op === 'batch-cancel-orders';
        const kind = op === 'order' ? 'place' : op === 'cancel-order' ? 'cancel' : 'batch';
        const r = this.runEntries(args, (a) =>
          isCancel ? this.cancelOne(owner, a, kind as 'cancel' | 'batch') : this.placeOne(owner, a, kind as 'place' | 'batch'),
        );
        return r;
      },
      (r) => reply(r as Json),
      (rule) => {
        if (rule.kind === 'rate-limit' || rule.kind === 'ban') {
          reply({ code: '1', msg: '', data: args.map((a) => ({ clOrdId: a.clOrdId ?? '', ordId: '', tag: a.tag ?? '', ts: this.ts(), sCode: '50011', sMsg: 'Too Many Requests' })) });
          return;
        }
        const body = this.faults.errorBody(rule, OKX_SERVER_ERROR_CODES);
        if (body.form === 'json') reply({ ...okxServerError(body.code), data: [] });
        else if (body.form === 'empty') reply({}); // the op's id and nothing else
        else sendJson(s.ws, htmlErrorPage(rule.status ?? 503)); // not JSON: no reply the client can match
      },
    );
  }

  // ------------------------------------------------------------------ pushes

  private onVenueEvent(ev: VenueEvent): void {
    for (const s of this.sessions) {
      if (s.owner !== ev.owner) continue;
      for (const sub of s.subs) {
        if (ev.type === 'order' && sub.channel === 'orders') {
          if (sub.instId !== undefined && sub.instId !== ev.order.symbol) continue;
          s.pipe.push(JSON.stringify({ arg: { ...sub, uid: this.uid(ev.owner) }, data: [this.orderPush(ev)] }));
        } else if (ev.type === 'balance' && sub.channel === 'account') {
          s.pipe.push(
            JSON.stringify({
              arg: { channel: 'account', uid: this.uid(ev.owner) },
              eventType: 'event_update',
              curPage: 1,
              lastPage: true,
              data: [{ uTime: String(ev.time), totalEq: '', details: this.balanceDetails(ev.owner, ev.assets) }],
            }),
            false,
          );
        }
      }
    }
  }

  private orderPush(ev: OrderEvent): Json {
    const o = ev.order;
    const inst = this.core.instrument(o.symbol)!;
    const f = ev.fill;
    const base = this.orderJson(o, f);
    return {
      ...base,
      notionalUsd: '',
      fillSz: f ? fmt(inst.lot, f.qty) : '0',
      fillPx: f ? fmt(inst.price, f.price) : '',
      tradeId: f ? String(f.tradeId) : '',
      fillTime: f ? String(f.time) : '',
      fillNotionalUsd: '',
      fillFee: f ? okxFeeText(f.fee) : '0',
      fillFeeCcy: f ? f.feeAsset : '',
      fillPnl: '0',
      execType: f ? (f.maker ? 'M' : 'T') : '',
      // an amend's push: amendResult "0" (success) and the request's reqId
      amendResult: ev.exec === 'AMENDED' ? '0' : '',
      amendSource: ev.exec === 'AMENDED' ? '1' : '',
      reqId: ev.exec === 'AMENDED' ? ((o.extra.reqId as string | undefined) ?? '') : '',
      code: '0',
      msg: '',
    };
  }
}

/** Starts a fake OKX on 127.0.0.1 (port from options, else a free one). */
export async function startFakeOkx(options: FakeOkxOptions = {}): Promise<FakeOkx> {
  const fake = new FakeOkx(options);
  await fake.listen(options.port ?? 0);
  return fake;
}

/** OKX's sign convention: a fee charged is negative, a rebate positive. */
function okxFeeText(charged: bigint): string {
  return charged === 0n ? '0' : formatAmount(-charged);
}
