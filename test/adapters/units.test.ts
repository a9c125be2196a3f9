/**
 * Small shared pieces: venue error mapping (Binance, OKX, ccxt exceptions), signing, URLs, the market check,
 * decimal text, backoff.
 */
import { describe, expect, test } from 'vitest';
import { ccxtLib } from '../../adapters/ccxt/ccxt-lib.js';
import { classifyCcxtError, tagHttpAnswer, unusableAnswer } from '../../adapters/ccxt/errors.js';
import { Backoff } from '../../adapters/common/backoff.js';
import { binanceError } from '../../adapters/common/binance-codes.js';
import { decimalText, mulDecimal, negDecimal } from '../../src/model/decimal.js';
import { retryAfterMs } from '../../adapters/common/errors.js';
import { checkMarkets } from '../../adapters/common/market-check.js';
import { okxError } from '../../adapters/common/okx-codes.js';
import { hmacSha256Hex, okxLoginArgs, signBinanceWsParams, sortedParamsPayload } from '../../adapters/common/signing.js';
import { binanceUrls, okxUrls } from '../../adapters/common/urls.js';
import { binanceAdvertisedLimits } from '../../adapters/common/venue-limits.js';
import { sharedInstruments } from './helpers.js';

/** The ccxt the adapters use (its CommonJS build, ccxt-lib.ts): its exception classes are the ones classified. */
const ccxt = ccxtLib();

describe('venue errors', () => {
  test('Binance: outcome per answer', () => {
    const k = (status: number, code: number, msg = '') => binanceError('place', status, code, msg).kind;
    expect(k(400, -2010, 'Account has insufficient balance for requested action.')).toBe('rejected');
    expect(k(400, -2010, 'Duplicate order sent.')).toBe('duplicate'); // placed nothing: looked up, adopted only if ours
    expect(k(400, -1013, 'Filter failure: LOT_SIZE')).toBe('rejected');
    expect(binanceError('cancel', 400, -2011, 'Unknown order sent.').kind).toBe('rejected');
    expect(k(400, -2013, 'Order does not exist.')).toBe('not-found');
    expect(k(429, -1003)).toBe('rate-limited');
    expect(binanceError('place', 429, -1015, '').details.pools).toEqual(['orders10s', 'ordersDay']);
    expect(k(418, -1003)).toBe('banned');
    expect(k(503, -1008)).toBe('unknown');
    expect(k(503, -1007)).toBe('unknown');
    expect(k(401, -2015)).toBe('auth');
    expect(binanceError('place', 400, -1013, 'x').code).toBe('VENUE_REJECTED');
    expect(binanceError('place', 503, -1007, 'x').code).toBe('VENUE_TIMEOUT');
  });

  test('OKX: outcome per answer', () => {
    const k = (code: string, status = 200) => okxError('place', status, code, '').kind;
    expect(k('51008')).toBe('rejected');
    expect(k('51016')).toBe('duplicate');
    expect(k('50011')).toBe('rate-limited');
    expect(k('50011', 429)).toBe('rate-limited');
    expect(k('50004')).toBe('unknown');
    expect(k('50001', 503)).toBe('unknown');
    expect(k('50113', 401)).toBe('auth');
    expect(k('51603')).toBe('not-found');
    expect(okxError('cancel', 200, '51400', '').kind).toBe('rejected');
  });

  test('ccxt exceptions: the venue body decides, else the exception class', () => {
    const c = (e: Error, id = 'binance', op: 'place' | 'cancel' | 'query' = 'place') => classifyCcxtError(e, id, op).kind;
    expect(c(new ccxt.InvalidOrder('binance {"code":-2010,"msg":"Duplicate order sent."}'))).toBe('duplicate');
    expect(c(new ccxt.DuplicateOrderId('okx clOrdId already exists'), 'okx')).toBe('duplicate');
    expect(c(new ccxt.InsufficientFunds('binance {"code":-2010,"msg":"Account has insufficient balance for requested action."}'))).toBe('rejected');
    expect(c(new ccxt.ExchangeError('binance {"code":-1008,"msg":"Service Unavailable."}'))).toBe('unknown');
    // the status comes from the answer (tagged by the adapter's response hook), not from the message text
    const banned = { code: -1003, msg: 'banned' };
    expect(c(tagHttpAnswer(new ccxt.DDoSProtection(`binance ${JSON.stringify(banned)}`), { status: 418, body: banned, text: '' }))).toBe('banned');
    expect(c(tagHttpAnswer(new ccxt.DDoSProtection('binance {"code":-1003,"msg":"x"}'), { status: 429, body: { code: -1003, msg: 'x' }, text: '' }))).toBe('rate-limited');
    expect(c(new ccxt.RequestTimeout('binance POST http://127.0.0.1/api/v3/order request timed out (500 ms)'))).toBe('unknown');
    expect(c(new ccxt.NetworkError('fetch failed ECONNREFUSED'))).toBe('not-sent');
    expect(c(new ccxt.OrderNotFound('okx {"code":"1","msg":"","data":[{"sCode":"51400","sMsg":"filled"}]}'), 'okx', 'cancel')).toBe('rejected');
    expect(c(new ccxt.OrderNotFound('okx {"code":"51603","msg":"Order does not exist","data":[]}'), 'okx', 'query')).toBe('not-found');
    expect(c(new ccxt.ExchangeError('something odd'), 'kraken', 'place')).toBe('unknown');
    expect(c(new ccxt.ExchangeError('something odd'), 'kraken', 'cancel')).toBe('rejected');
    expect(c(new ccxt.AuthenticationError('nope'), 'kraken')).toBe('auth');
  });

  test('Binance: a 5xx is an unknown outcome for a new order or a cancel, whatever its body says; a failed read for a query', () => {
    for (const op of ['place', 'cancel'] as const) {
      for (const status of [500, 502, 503, 504]) {
        for (const code of [-1000, -1001, -1006, -1007, -1008, -2010, -1013, undefined]) {
          const e = binanceError(op, status, code, 'x');
          expect(e.kind, `${op} ${status} ${code}`).toBe('unknown');
          expect(e.code).toBe('VENUE_TIMEOUT');
          expect(e.venueFailure).toBe(true);
        }
      }
      // the server-side codes say nothing about execution on any status (the ws-api may carry them with another)
      for (const code of [-1000, -1001, -1006, -1007, -1008]) expect(binanceError(op, 400, code, 'x').kind).toBe('unknown');
    }
    const read = binanceError('query', 503, -1008, 'Server is busy');
    expect(read.kind).toBe('unknown'); // the reader retries
    expect(read.message).toContain('read failed');
    expect(binanceError('place', 429, -1003, '').kind).toBe('rate-limited');
    expect(binanceError('place', 418, -1003, '').kind).toBe('banned');
  });

  test('OKX: a 5xx or a server-side code is an unknown outcome for a new order or a cancel, whatever the body says', () => {
    for (const op of ['place', 'cancel'] as const) {
      for (const status of [500, 502, 503, 504]) {
        for (const code of ['50000', '50001', '50004', '50013', '50026', '51008', '', undefined]) {
          expect(okxError(op, status, code, 'x').kind, `${op} ${status} ${code}`).toBe('unknown');
        }
      }
      // websocket op replies have no HTTP status (the adapter passes 200): the code alone decides
      for (const code of ['50000', '50001', '50004', '50013', '50026']) expect(okxError(op, 200, code, 'x').kind).toBe('unknown');
    }
    expect(okxError('query', 503, '50001', 'x').message).toContain('read failed');
    expect(okxError('place', 429, '50011', '').kind).toBe('rate-limited');
  });

  test('ccxt: the HTTP status of the answer (tagged by the response hook) decides first, not the message text', () => {
    const tagged = (e: Error, status: number, body: unknown): Error => tagHttpAnswer(e, { status, body, text: '' });
    const c = (e: Error, id: string, op: 'place' | 'cancel' | 'query') => classifyCcxtError(e, id, op);
    const busy = { code: -1008, msg: 'Server is currently overloaded with other requests. Please try again in a few minutes.' };
    for (const op of ['place', 'cancel'] as const) {
      // what ccxt raises for Binance bodies, with the real status
      expect(c(tagged(new ccxt.ExchangeNotAvailable(`binance ${JSON.stringify(busy)}`), 503, busy), 'binance', op).kind).toBe('unknown');
      expect(c(tagged(new ccxt.ExchangeError('binance {"code":-1000,"msg":"An unknown error occurred"}'), 500, { code: -1000, msg: 'x' }), 'binance', op).kind).toBe('unknown');
      // even a body code that alone would mean "refused": the 5xx says the outcome is unknown
      const funds = { code: -2010, msg: 'Account has insufficient balance for requested action.' };
      expect(c(tagged(new ccxt.InsufficientFunds(`binance ${JSON.stringify(funds)}`), 503, funds), 'binance', op).kind).toBe('unknown');
      // HTML error page / empty body (ccxt raises from its status table, or the hook's UnusableAnswer)
      expect(c(tagged(new ccxt.ExchangeNotAvailable('binance POST http://x/api/v3/order 502 Bad Gateway <html>'), 502, undefined), 'binance', op).kind).toBe('unknown');
      expect(c(tagged(unusableAnswer('binance', 'POST', 'http://x/api/v3/order', 503, ''), 503, undefined), 'binance', op).kind).toBe('unknown');
      expect(c(tagged(unusableAnswer('okx', 'POST', 'http://x/api/v5/trade/order', 200, '<html>'), 200, undefined), 'okx', op).kind).toBe('unknown');
      for (const code of ['50000', '50001', '50004', '50013', '50026']) {
        const body = { code, msg: 'x', data: [] };
        expect(c(tagged(new ccxt.ExchangeNotAvailable(`okx ${JSON.stringify(body)}`), 503, body), 'okx', op).kind).toBe('unknown');
      }
      expect(c(tagged(new ccxt.ExchangeNotAvailable('kraken 503'), 503, undefined), 'kraken', op).kind).toBe('unknown');
    }
    // a read: failed, retried by the caller
    expect(c(tagged(new ccxt.ExchangeNotAvailable(`binance ${JSON.stringify(busy)}`), 503, busy), 'binance', 'query').kind).toBe('unknown');
    // below 500 the venue's code with the real status: refusals stay refusals
    const funds = { code: -2010, msg: 'Account has insufficient balance for requested action.' };
    expect(c(tagged(new ccxt.InsufficientFunds(`binance ${JSON.stringify(funds)}`), 400, funds), 'binance', 'place').kind).toBe('rejected');
    expect(c(tagged(new ccxt.DDoSProtection('binance 429'), 429, undefined), 'binance', 'place').kind).toBe('rate-limited');
    expect(c(tagged(new ccxt.DDoSProtection('binance 418'), 418, { code: -1003, msg: 'banned' }), 'binance', 'place').kind).toBe('banned');
    const okxFunds = { code: '1', msg: '', data: [{ sCode: '51008', sMsg: 'insufficient' }] };
    expect(c(tagged(new ccxt.InsufficientFunds(`okx ${JSON.stringify(okxFunds)}`), 200, okxFunds), 'okx', 'place').kind).toBe('rejected');
    // a status in the message text is not trusted (ccxt's messages carry none for venue codes)
    expect(c(new ccxt.ExchangeError('binance 400 Bad Request {"code":-1013,"msg":"Filter failure: LOT_SIZE"}'), 'binance', 'place').kind).toBe('rejected');
  });

  test('Retry-After in seconds or as a date', () => {
    expect(retryAfterMs('3', 0)).toBe(3000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(retryAfterMs(undefined, 0)).toBeUndefined();
  });
});

describe('signing', () => {
  test('Binance HMAC-SHA256 (the documented example)', () => {
    const secret = 'NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j';
    const query = 'symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559';
    expect(hmacSha256Hex(secret, query)).toBe('c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71');
  });

  test('Binance ws-api params: sorted by key, signature over all but itself', () => {
    const p = signBinanceWsParams({ symbol: 'BTCUSDT', side: 'BUY', price: undefined }, 'KEY', 's', 42);
    expect(Object.keys(p)).toEqual(['symbol', 'side', 'apiKey', 'timestamp', 'signature']);
    expect(p['signature']).toBe(hmacSha256Hex('s', sortedParamsPayload({ apiKey: 'KEY', side: 'BUY', symbol: 'BTCUSDT', timestamp: 42 })));
    expect(sortedParamsPayload({ b: 1, a: 'x', signature: 'zz' })).toBe('a=x&b=1');
  });

  test('OKX login args: timestamp in seconds', () => {
    const a = okxLoginArgs('k', 's', 'p', 1_700_000_000_123);
    expect(a['timestamp']).toBe('1700000000.123');
    expect(a['sign']).toMatch(/^[A-Za-z0-9+/]+=*$/);
  });
});

describe('URLs', () => {
  test('Binance: production, testnet, origin-only and full overrides', () => {
    expect(binanceUrls(false).rest).toBe('https://api.binance.com/api/v3');
    expect(binanceUrls(true)).toMatchObject({ rest: 'https://testnet.binance.vision/api/v3', wsApi: 'wss://ws-api.testnet.binance.vision/ws-api/v3' });
    expect(binanceUrls(true, { rest: 'http://127.0.0.1:9101', ws: 'ws://127.0.0.1:9102' })).toEqual({
      rest: 'http://127.0.0.1:9101/api/v3',
      wsApi: 'ws://127.0.0.1:9102/ws-api/v3',
      wsStream: 'ws://127.0.0.1:9102/ws',
    });
    expect(binanceUrls(false, { rest: 'https://x.test/api/v3/', ws: 'wss://y.test/ws-api/v3' })).toMatchObject({ rest: 'https://x.test/api/v3', wsApi: 'wss://y.test/ws-api/v3' });
  });

  test('OKX: demo websocket, overrides', () => {
    expect(okxUrls(true)).toEqual({ rest: 'https://www.okx.com', ws: 'wss://wspap.okx.com:8443/ws/v5' });
    expect(okxUrls(false, { rest: 'http://127.0.0.1:9201', ws: 'ws://127.0.0.1:9202' })).toEqual({ rest: 'http://127.0.0.1:9201', ws: 'ws://127.0.0.1:9202/ws/v5' });
    expect(okxUrls(false, { ws: 'wss://ws.okx.com:8443/ws/v5/private' }).ws).toBe('wss://ws.okx.com:8443/ws/v5');
  });
});

describe('market check at start', () => {
  const ins = sharedInstruments().list;
  const market = (symbol: string, tickSize: string, lotSize: string, minQty = '0.00001', minNotional = '5') => ({ symbol, active: true, tickSize, lotSize, minQty, minNotional });

  test('compatible grids pass; a finer venue tick is a warning', () => {
    const r = checkMarkets('v', ins, [market('BTC-USDT', '0.01', '0.00001'), market('ETH-USDT', '0.01', '0.0001', '0.0001')]);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toContain('finer');
  });

  test('refused: missing instrument, tick or lot not a multiple of the venue grid; warned: minimums below the venue', () => {
    const r = checkMarkets('v', ins, [market('BTC-USDT', '0.3', '0.000003', '0.001', '10')]);
    expect(r.errors.some((e) => e.includes('ETH-USDT') && e.includes('does not list'))).toBe(true);
    expect(r.errors.some((e) => e.includes('tickSize 0.1'))).toBe(true);
    expect(r.errors.some((e) => e.includes('lotSize 0.00001'))).toBe(true);
    expect(r.warnings.some((w) => w.includes('minQty'))).toBe(true);
    expect(r.warnings.some((w) => w.includes('minNotional'))).toBe(true);
  });
});

describe('decimal text and limits', () => {
  test('venue values as exact decimal text', () => {
    expect(decimalText('60010.00000000')).toBe('60010');
    expect(decimalText(0.00001)).toBe('0.00001');
    expect(decimalText(-0.5)).toBe('-0.5');
    expect(decimalText('+1.50')).toBe('1.5');
    expect(decimalText('abc')).toBeUndefined();
    expect(mulDecimal('0.000001', '60010.5')).toBe('0.0600105');
    expect(negDecimal('-0.02')).toBe('0.02');
  });

  test('Binance advertised limits: the lower of the venue and YAML', () => {
    const rl = [
      { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 },
      { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 100 },
      { rateLimitType: 'ORDERS', interval: 'DAY', intervalNum: 1, limit: 200000 },
      { rateLimitType: 'RAW_REQUESTS', interval: 'MINUTE', intervalNum: 5, limit: 61000 },
    ];
    expect(binanceAdvertisedLimits(rl, { ordersPer10s: 50, requestWeightPerMinute: 9000 })).toEqual({ weight: 6000, orders10s: 50, ordersDay: 200000 });
  });

  test('backoff: exponential, capped, jittered', () => {
    const b = new Backoff({ minMs: 100, maxMs: 1000, random: () => 1 });
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([100, 200, 400, 800, 1000]);
    const c = new Backoff({ minMs: 100, maxMs: 1000, random: () => 0 });
    expect(c.next()).toBe(50);
  });
});
