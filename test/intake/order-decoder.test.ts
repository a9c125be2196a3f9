import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeOrder, type DecodeResult } from '../../src/intake/order-decoder.js';
import { DuplicateKeyError, ImpreciseNumber, isExactNumber, parseJsonExact, scanJson } from '../../src/intake/json-exact.js';
import { ERROR_CATALOGUE } from '../../src/model/errors.js';
import { InstrumentRegistry } from '../../src/model/instrument.js';
import { MAX_PRICE_TICKS, MAX_QTY_LOTS } from '../../src/model/order.js';
import { MAX_PRICE, MAX_QTY } from '../../src/matching/index.js';
import { testInstruments } from '../helpers/model.js';

/*
 * Instruments (test/helpers/model.ts): BTC-USDT tick 0.01, lot 0.00001, minQty 0.0001, minNotional 5;
 * ETH-USDT tick 0.05, lot 0.001, no minimum notional.
 */
const instruments = testInstruments();

const BASE = { strategy: 'alpha', symbol: 'BTC-USDT', side: 'BUY', price: '60000', quantity: '0.01' } as const;

function decode(body: unknown): DecodeResult {
  return decodeOrder(body, instruments);
}

/** Decode a JSON text the way the API does (its parser: numbers a double cannot hold exactly are marked, not rounded). */
function decodeJson(text: string): DecodeResult {
  return decode(parseJsonExact(text));
}

function refusal(r: DecodeResult): { code: string; field: string | undefined } {
  if (r.ok) throw new Error(`expected a refusal, got ${JSON.stringify(r.intent)}`);
  return { code: r.error.code, field: r.error.field };
}

function accepted(r: DecodeResult) {
  if (!r.ok) throw new Error(`expected the order to pass, got ${r.error.code} (${r.error.field}): ${r.error.message}`);
  return r.intent;
}

type Case = readonly [name: string, body: unknown, code: keyof typeof ERROR_CATALOGUE, field: string | undefined];

const with_ = (o: Record<string, unknown>) => ({ ...BASE, ...o });
const without = (...keys: string[]) => Object.fromEntries(Object.entries(BASE).filter(([k]) => !keys.includes(k)));

const REFUSALS: readonly Case[] = [
  // shape
  ['body is an array', [BASE], 'BAD_REQUEST', undefined],
  ['body is null', null, 'BAD_REQUEST', undefined],
  ['body is a string', 'BUY 1 BTC', 'BAD_REQUEST', undefined],
  ['unknown field', with_({ leverage: 10 }), 'UNKNOWN_FIELD', 'leverage'],
  ['misspelt field', with_({ quantitty: '1' }), 'UNKNOWN_FIELD', 'quantitty'],
  ['__proto__ key', JSON.parse('{"strategy":"alpha","symbol":"BTC-USDT","side":"BUY","price":"1","quantity":"1","__proto__":{"x":1}}'), 'UNKNOWN_FIELD', '__proto__'],
  // strategy, symbol, side, enums
  ['strategy missing', without('strategy'), 'INVALID_FIELD', 'strategy'],
  ['strategy empty', with_({ strategy: '' }), 'INVALID_FIELD', 'strategy'],
  ['strategy a number', with_({ strategy: 7 }), 'INVALID_FIELD', 'strategy'],
  ['symbol missing', without('symbol'), 'INVALID_FIELD', 'symbol'],
  ['symbol a number', with_({ symbol: 1 }), 'INVALID_FIELD', 'symbol'],
  ['unknown symbol', with_({ symbol: 'DOGE-USDT' }), 'UNKNOWN_SYMBOL', 'symbol'],
  ['symbol in the wrong case', with_({ symbol: 'btc-usdt' }), 'UNKNOWN_SYMBOL', 'symbol'],
  ['side a number', with_({ side: 5 }), 'INVALID_FIELD', 'side'],
  ['side missing', without('side'), 'INVALID_FIELD', 'side'],
  ['side unknown', with_({ side: 'HOLD' }), 'INVALID_FIELD', 'side'],
  ['type unknown', with_({ type: 'ICEBERG' }), 'INVALID_FIELD', 'type'],
  ['type a number', with_({ type: 1 }), 'INVALID_FIELD', 'type'],
  ['timeInForce unknown', with_({ timeInForce: 'GTD' }), 'INVALID_FIELD', 'timeInForce'],
  ['timeInForce a boolean', with_({ timeInForce: true }), 'INVALID_FIELD', 'timeInForce'],
  ['priority unknown', with_({ priority: 'URGENT' }), 'INVALID_FIELD', 'priority'],
  ['priority a number', with_({ priority: 1 }), 'INVALID_FIELD', 'priority'],
  ['postOnly a string', with_({ postOnly: 'true' }), 'INVALID_FIELD', 'postOnly'],
  ['venue empty', with_({ venue: '' }), 'INVALID_FIELD', 'venue'],
  ['venue a number', with_({ venue: 3 }), 'INVALID_FIELD', 'venue'],
  // client order id
  ['clientOrderId with a dash', with_({ clientOrderId: 'my-order-1' }), 'INVALID_CLIENT_ORDER_ID', 'clientOrderId'],
  ['clientOrderId empty', with_({ clientOrderId: '' }), 'INVALID_CLIENT_ORDER_ID', 'clientOrderId'],
  ['clientOrderId of 33 characters', with_({ clientOrderId: 'a'.repeat(33) }), 'INVALID_CLIENT_ORDER_ID', 'clientOrderId'],
  ['clientOrderId a number', with_({ clientOrderId: 12345 }), 'INVALID_CLIENT_ORDER_ID', 'clientOrderId'],
  ['clientOrderId not ASCII', with_({ clientOrderId: 'ordré1' }), 'INVALID_CLIENT_ORDER_ID', 'clientOrderId'],
  // quantity
  ['quantity missing', without('quantity'), 'INVALID_QUANTITY', 'quantity'],
  ['quantity a boolean', with_({ quantity: true }), 'INVALID_QUANTITY', 'quantity'],
  ['quantity an object', with_({ quantity: {} }), 'INVALID_QUANTITY', 'quantity'],
  ['quantity null', with_({ quantity: null }), 'INVALID_QUANTITY', 'quantity'],
  ['quantity negative number', with_({ quantity: -1 }), 'INVALID_QUANTITY', 'quantity'],
  ['quantity negative string', with_({ quantity: '-0.01' }), 'INVALID_QUANTITY', 'quantity'],
  ['quantity zero number', with_({ quantity: 0 }), 'INVALID_QUANTITY', 'quantity'],
  ['quantity zero string', with_({ quantity: '0.00000' }), 'INVALID_QUANTITY', 'quantity'],
  ['quantity "NaN"', with_({ quantity: 'NaN' }), 'INVALID_QUANTITY', 'quantity'],
  ['quantity "Infinity"', with_({ quantity: 'Infinity' }), 'INVALID_QUANTITY', 'quantity'],
  ['quantity NaN (not JSON, but a JS caller)', with_({ quantity: Number.NaN }), 'INVALID_QUANTITY', 'quantity'],
  ['quantity empty string', with_({ quantity: '' }), 'INVALID_QUANTITY', 'quantity'],
  ['quantity with spaces', with_({ quantity: ' 0.01' }), 'INVALID_QUANTITY', 'quantity'],
  ['quantity in exponent text', with_({ quantity: '1e-2' }), 'INVALID_QUANTITY', 'quantity'],
  ['quantity with a plus sign', with_({ quantity: '+0.01' }), 'INVALID_QUANTITY', 'quantity'],
  ['quantity ".5"', with_({ quantity: '.5' }), 'INVALID_QUANTITY', 'quantity'],
  ['quantity huge string', with_({ quantity: '99999999999999999999999' }), 'INVALID_QUANTITY', 'quantity'],
  ['quantity huge number', with_({ quantity: 99999999999999999999999 }), 'INVALID_QUANTITY', 'quantity'],
  ['quantity off the lot', with_({ quantity: '0.000015' }), 'QUANTITY_NOT_ON_LOT', 'quantity'],
  ['quantity off the lot (number)', with_({ quantity: 0.123456 }), 'QUANTITY_NOT_ON_LOT', 'quantity'],
  ['quantity below minQty', with_({ quantity: '0.00009' }), 'INVALID_QUANTITY', 'quantity'],
  // price
  ['price missing on a limit', without('price'), 'INVALID_PRICE', 'price'],
  ['price an object', with_({ price: {} }), 'INVALID_PRICE', 'price'],
  ['price a boolean', with_({ price: false }), 'INVALID_PRICE', 'price'],
  ['price null', with_({ price: null }), 'INVALID_PRICE', 'price'],
  ['price negative number', with_({ price: -1 }), 'INVALID_PRICE', 'price'],
  ['price negative string', with_({ price: '-60000' }), 'INVALID_PRICE', 'price'],
  ['price zero', with_({ price: 0 }), 'INVALID_PRICE', 'price'],
  ['price zero string', with_({ price: '0.00' }), 'INVALID_PRICE', 'price'],
  ['price "NaN"', with_({ price: 'NaN' }), 'INVALID_PRICE', 'price'],
  ['price huge string', with_({ price: '99999999999999999999999' }), 'INVALID_PRICE', 'price'],
  ['price off the tick', with_({ price: '60000.005' }), 'PRICE_NOT_ON_TICK', 'price'],
  ['price off the tick (number)', with_({ price: 60000.001 }), 'PRICE_NOT_ON_TICK', 'price'],
  ['price off a coarse tick', { ...BASE, symbol: 'ETH-USDT', price: '3000.02', quantity: '1' }, 'PRICE_NOT_ON_TICK', 'price'],
  // order types
  ['market order with a price', with_({ type: 'MARKET' }), 'INVALID_PRICE', 'price'],
  ['market order that would rest (GTC)', { ...without('price'), type: 'MARKET', timeInForce: 'GTC' }, 'INVALID_FIELD', 'timeInForce'],
  ['stop order without stopPrice', { ...without('price'), type: 'STOP' }, 'INVALID_PRICE', 'stopPrice'],
  ['stop order with a limit price', { ...BASE, type: 'STOP', stopPrice: '61000' }, 'INVALID_PRICE', 'price'],
  ['stop order with GTC', { ...without('price'), type: 'STOP', stopPrice: '61000', timeInForce: 'GTC' }, 'INVALID_FIELD', 'timeInForce'],
  ['stop-limit without stopPrice', with_({ type: 'STOP_LIMIT' }), 'INVALID_PRICE', 'stopPrice'],
  ['stop-limit without price', { ...without('price'), type: 'STOP_LIMIT', stopPrice: '61000' }, 'INVALID_PRICE', 'price'],
  ['stop-limit with an off-tick stopPrice', with_({ type: 'STOP_LIMIT', stopPrice: '61000.001' }), 'PRICE_NOT_ON_TICK', 'stopPrice'],
  ['stop-limit with a zero stopPrice', with_({ type: 'STOP_LIMIT', stopPrice: '0' }), 'INVALID_PRICE', 'stopPrice'],
  ['limit order with a stopPrice', with_({ stopPrice: '61000' }), 'INVALID_PRICE', 'stopPrice'],
  ['postOnly on an IOC limit', with_({ postOnly: true, timeInForce: 'IOC' }), 'INVALID_FIELD', 'postOnly'],
  ['postOnly on a FOK limit', with_({ postOnly: true, timeInForce: 'FOK' }), 'INVALID_FIELD', 'postOnly'],
  ['postOnly on a market order', { ...without('price'), type: 'MARKET', postOnly: true }, 'INVALID_FIELD', 'postOnly'],
  ['postOnly on a stop-limit', with_({ type: 'STOP_LIMIT', stopPrice: '61000', postOnly: true }), 'INVALID_FIELD', 'postOnly'],
  // routes, trailing stops, algorithms
  ['an unknown route', with_({ route: 'fastest' }), 'INVALID_FIELD', 'route'],
  ['a route with a pinned venue', with_({ route: 'best', venue: 'v1' }), 'INVALID_FIELD', 'route'],
  ['a TRAILING_STOP without an offset', { ...without('price'), type: 'TRAILING_STOP' }, 'INVALID_PRICE', 'trailingOffset'],
  ['a TRAILING_STOP offset off the tick grid', { ...without('price'), type: 'TRAILING_STOP', trailingOffset: '10.001' }, 'PRICE_NOT_ON_TICK', 'trailingOffset'],
  ['a trailingOffset on a LIMIT', with_({ trailingOffset: '10' }), 'INVALID_PRICE', 'trailingOffset'],
  ['an algo that is not an object', with_({ algo: 'TWAP' }), 'INVALID_FIELD', 'algo'],
  ['an unknown algo', with_({ algo: { type: 'VWAP' } }), 'INVALID_FIELD', 'algo'],
  ['a TWAP interval above its horizon', with_({ algo: { type: 'TWAP', horizonMs: 1000, intervalMs: 2000 } }), 'INVALID_FIELD', 'algo'],
  ['a TWAP interval below 100 ms', with_({ algo: { type: 'TWAP', horizonMs: 1000, intervalMs: 10 } }), 'INVALID_FIELD', 'algo'],
  ['a TWAP of more than 10000 slices', with_({ algo: { type: 'TWAP', horizonMs: 2_000_000, intervalMs: 100 } }), 'INVALID_FIELD', 'algo'],
  ['a TWAP with an unknown field', with_({ algo: { type: 'TWAP', horizonMs: 1000, intervalMs: 100, x: 1 } }), 'INVALID_FIELD', 'algo'],
  ['an algo on a FOK order', with_({ timeInForce: 'FOK', algo: { type: 'TWAP', horizonMs: 1000, intervalMs: 100 } }), 'INVALID_FIELD', 'algo'],
  ['an ICEBERG on an IOC order', with_({ timeInForce: 'IOC', algo: { type: 'ICEBERG', displayQuantity: '0.001' } }), 'INVALID_FIELD', 'algo'],
  ['an ICEBERG showing the whole order', with_({ algo: { type: 'ICEBERG', displayQuantity: '0.01' } }), 'INVALID_FIELD', 'algo'],
  ['an ICEBERG display off the lot grid', with_({ algo: { type: 'ICEBERG', displayQuantity: '0.000001' } }), 'QUANTITY_NOT_ON_LOT', 'algo'],
];

describe('decodeOrder refusals', () => {
  it.each(REFUSALS)('%s -> %s (%s)', (_name, body, code, field) => {
    const r = refusal(decode(body));
    expect(r).toEqual({ code, field });
  });

  it('an unknown field: the first of the body\'s own keys in Object.keys order (integer-like keys first), whatever else is wrong (property)', () => {
    const known = ['strategy', 'symbol', 'side', 'type', 'price', 'quantity', 'clientOrderId', 'venue'];
    const key = fc.oneof(fc.constantFrom(...known), fc.constantFrom('0', '7', '42', '__proto__', 'x', 'leverage', 'constructor', 'toString'), fc.string({ maxLength: 4 }));
    fc.assert(fc.property(fc.uniqueArray(fc.tuple(key, fc.oneof(fc.string({ maxLength: 3 }), fc.integer())), { selector: ([k]) => k, maxLength: 10 }), (entries) => {
      const text = `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`;
      const body = JSON.parse(text) as Record<string, unknown>;
      const unknown = Object.keys(body).find((k) => !['strategy', 'symbol', 'side', 'type', 'timeInForce', 'postOnly', 'price', 'stopPrice', 'quantity',
        'clientOrderId', 'priority', 'venue', 'route', 'trailingOffset', 'algo'].includes(k));
      const r = decode(body);
      if (unknown !== undefined) expect(r).toEqual({ ok: false, error: { code: 'UNKNOWN_FIELD', message: `unknown field "${unknown}"`, field: unknown } });
      else expect(!r.ok && r.error.code === 'UNKNOWN_FIELD').toBe(false);
    }), { numRuns: 500 });
  });

  it('every refusal carries a message and a code from the catalogue', () => {
    for (const [, body] of REFUSALS) {
      const r = decode(body);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(ERROR_CATALOGUE[r.error.code]).toBeDefined();
        expect(r.error.message.length).toBeGreaterThan(0);
      }
    }
  });

  it('numbers JSON cannot carry exactly: 1e400 parses to Infinity and is refused', () => {
    expect(refusal(decodeJson('{"strategy":"a","symbol":"BTC-USDT","side":"BUY","price":"60000","quantity":1e400}'))).toEqual({
      code: 'INVALID_QUANTITY',
      field: 'quantity',
    });
    expect(refusal(decodeJson('{"strategy":"a","symbol":"BTC-USDT","side":"BUY","price":1e400,"quantity":"0.01"}'))).toEqual({
      code: 'INVALID_PRICE',
      field: 'price',
    });
    expect(refusal(decodeJson('{"strategy":"a","symbol":"BTC-USDT","side":"BUY","price":"60000","quantity":-1e400}'))).toEqual({
      code: 'INVALID_QUANTITY',
      field: 'quantity',
    });
  });

  it('refuses below the minimum notional (price x quantity), and accepts exactly at it', () => {
    // 0.0001 BTC (minQty) at 49999.99 = 4.999999 < 5
    const below = decode(with_({ price: '49999.99', quantity: '0.0001' }));
    expect(below.ok).toBe(false);
    if (!below.ok) expect(below.error.code).toBe('BELOW_MIN_NOTIONAL');
    accepted(decode(with_({ price: '50000', quantity: '0.0001' }))); // exactly 5
    // stop orders are valued at their stop price
    const stop = decode({ ...without('price'), type: 'STOP', stopPrice: '100', quantity: '0.0001' });
    expect(stop.ok).toBe(false);
    if (!stop.ok) expect(stop.error.code).toBe('BELOW_MIN_NOTIONAL');
  });

  it('a below-minQty quantity is refused even when on the lot grid', () => {
    // 0.00001 is one lot of BTC-USDT, but minQty is 0.0001
    expect(refusal(decode(with_({ quantity: '0.00001' })))).toEqual({ code: 'INVALID_QUANTITY', field: 'quantity' });
    accepted(decode(with_({ quantity: '0.0001' })));
  });
});

describe('decodeOrder accepted orders', () => {
  it('routes, trailing stops and algorithms', () => {
    expect(accepted(decode(with_({ route: 'SWEEP'.toLowerCase() }))).route).toBe('sweep');
    expect(accepted(decode(BASE)).route).toBeUndefined();
    const trail = accepted(decode({ ...without('price'), type: 'TRAILING_STOP', trailingOffset: '12.5' }));
    expect(trail).toMatchObject({ type: 'TRAILING_STOP', timeInForce: 'IOC', priceTicks: 0, trailingOffsetTicks: 1250 });
    expect(accepted(decode(with_({ algo: { type: 'twap', horizonMs: 60000, intervalMs: 5000 } }))).algo).toEqual({ kind: 'TWAP', horizonMs: 60000, intervalMs: 5000 });
    expect(accepted(decode(with_({ algo: { type: 'ICEBERG', displayQuantity: '0.002' } }))).algo).toEqual({ kind: 'ICEBERG', displayLots: 200 });
  });

  it('fills defaults: type LIMIT, timeInForce GTC, priority NORMAL, postOnly false', () => {
    const i = accepted(decode(BASE));
    expect(i).toMatchObject({
      strategy: 'alpha',
      symbol: 'BTC-USDT',
      side: 'BUY',
      type: 'LIMIT',
      timeInForce: 'GTC',
      priority: 'NORMAL',
      postOnly: false,
      priceTicks: 6_000_000,
      stopTicks: 0,
      qtyLots: 1000,
      clientOrderId: undefined,
      venue: undefined,
    });
  });

  it('market and stop orders default to IOC and carry no price', () => {
    const m = accepted(decode({ ...without('price'), type: 'MARKET' }));
    expect(m).toMatchObject({ type: 'MARKET', timeInForce: 'IOC', priceTicks: 0, stopTicks: 0 });
    const s = accepted(decode({ ...without('price'), type: 'STOP', stopPrice: '61000.5' }));
    expect(s).toMatchObject({ type: 'STOP', timeInForce: 'IOC', priceTicks: 0, stopTicks: 6_100_050 });
    const fok = accepted(decode({ ...without('price'), type: 'market', timeInForce: 'fok' }));
    expect(fok).toMatchObject({ type: 'MARKET', timeInForce: 'FOK' });
  });

  it('stop-limit orders rest by default (GTC) with both prices', () => {
    const sl = accepted(decode(with_({ type: 'STOP_LIMIT', stopPrice: '59000' })));
    expect(sl).toMatchObject({ type: 'STOP_LIMIT', timeInForce: 'GTC', priceTicks: 6_000_000, stopTicks: 5_900_000 });
  });

  it('postOnly is accepted on a GTC limit order', () => {
    expect(accepted(decode(with_({ postOnly: true }))).postOnly).toBe(true);
    expect(accepted(decode(with_({ postOnly: false, timeInForce: 'IOC' }))).postOnly).toBe(false);
  });

  it('enum values are case-insensitive; symbols are not', () => {
    const i = accepted(decode(with_({ side: 'sell', type: 'limit', timeInForce: 'ioc', priority: 'high' })));
    expect(i).toMatchObject({ side: 'SELL', type: 'LIMIT', timeInForce: 'IOC', priority: 'HIGH' });
  });

  it('keeps the client order id and the pinned venue', () => {
    const i = accepted(decode(with_({ clientOrderId: 'Abc123', venue: 'sim-b' })));
    expect(i.clientOrderId).toBe('Abc123');
    expect(i.venue).toBe('sim-b');
    accepted(decode(with_({ clientOrderId: 'x'.repeat(32) })));
  });

  it('takes JSON numbers at the text the sender wrote: 0.1 stays 0.1', () => {
    // 0.1 BTC = 10,000 lots of 0.00001; 0.1 + 0.2 would be 0.30000000000000004 in binary, and off the lot.
    const a = accepted(decodeJson('{"strategy":"a","symbol":"BTC-USDT","side":"BUY","price":60000.07,"quantity":0.1}'));
    expect(a.qtyLots).toBe(10_000);
    expect(a.priceTicks).toBe(6_000_007);
    const b = accepted(decodeJson('{"strategy":"a","symbol":"BTC-USDT","side":"BUY","price":0.3,"quantity":100}'));
    expect(b.priceTicks).toBe(30);
    expect(b.qtyLots).toBe(10_000_000);
    // exponents in JSON numbers are fine: 1e-4 is 0.0001, 6e4 is 60000
    const c = accepted(decodeJson('{"strategy":"a","symbol":"BTC-USDT","side":"BUY","price":6e4,"quantity":1e-4}'));
    expect(c.priceTicks).toBe(6_000_000);
    expect(c.qtyLots).toBe(10);
    expect(refusal(decode(with_({ quantity: 0.1 + 0.2 })))).toEqual({ code: 'QUANTITY_NOT_ON_LOT', field: 'quantity' });
  });

  it('a string and the same JSON number decode to the same integers (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 99_999_999 }), fc.integer({ min: 10, max: 10_000_000 }), (ticks, lots) => {
        const price = (ticks / 100).toFixed(2);
        const qty = (lots / 100_000).toFixed(5);
        const fromStrings = decode(with_({ price, quantity: qty }));
        const fromNumbers = decodeJson(`{"strategy":"a","symbol":"BTC-USDT","side":"BUY","price":${price},"quantity":${qty}}`);
        expect(fromNumbers.ok).toBe(fromStrings.ok);
        if (fromStrings.ok && fromNumbers.ok) {
          expect(fromStrings.intent.priceTicks).toBe(ticks);
          expect(fromStrings.intent.qtyLots).toBe(lots);
          expect(fromNumbers.intent.priceTicks).toBe(ticks);
          expect(fromNumbers.intent.qtyLots).toBe(lots);
        } else if (!fromStrings.ok && !fromNumbers.ok) {
          expect(fromNumbers.error.code).toBe(fromStrings.error.code);
          expect(fromStrings.error.code).toBe('BELOW_MIN_NOTIONAL');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('accepts the largest quantity that fits a safe integer of lots and refuses one more lot', () => {
    // 2^53 - 1 lots of 0.00001 BTC at one tick: BTC's tick x lot is the common notional unit (factor 1), so this is
    // also the largest notional
    const max = accepted(decode({ strategy: 'a', symbol: 'BTC-USDT', side: 'BUY', price: '0.01', quantity: '90071992547.40991' }));
    expect(max.qtyLots).toBe(Number.MAX_SAFE_INTEGER);
    expect(refusal(decode({ strategy: 'a', symbol: 'BTC-USDT', side: 'BUY', price: '0.01', quantity: '90071992547.40992' }))).toEqual({
      code: 'INVALID_QUANTITY',
      field: 'quantity',
    });
  });

  it('never throws, whatever the body (property)', () => {
    const value = fc.oneof(
      fc.string(),
      fc.double(),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.constant(undefined),
      fc.constantFrom('BUY', 'SELL', 'LIMIT', 'MARKET', 'STOP', 'STOP_LIMIT', 'GTC', 'IOC', 'FOK', 'BTC-USDT', '0.01', '60000'),
      fc.dictionary(fc.string(), fc.string()),
    );
    const key = fc.constantFrom(
      'strategy', 'symbol', 'side', 'type', 'timeInForce', 'postOnly', 'price', 'stopPrice', 'quantity', 'clientOrderId', 'priority', 'venue',
    );
    fc.assert(
      fc.property(fc.dictionary(key, value), (body) => {
        const r = decode({ ...BASE, ...body });
        if (!r.ok) expect(ERROR_CATALOGUE[r.error.code]).toBeDefined();
        else {
          expect(Number.isSafeInteger(r.intent.qtyLots) && r.intent.qtyLots > 0).toBe(true);
          expect(Number.isSafeInteger(r.intent.priceTicks) && r.intent.priceTicks >= 0).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('decodeOrder: enum values on ASCII letters only', () => {
  // String.prototype.toUpperCase maps ſ (U+017F) to S and ı (U+0131) to I: these passed as SELL, IOC, LIMIT
  const CASES = [
    ['side', 'ſell'], ['side', 'buy\u0130'], ['timeInForce', 'ıoc'], ['timeInForce', 'gtc\u0307'], ['type', 'lımıt'],
    ['type', 'ſtop'], ['priority', 'hıgh'], ['side', 'ＳＥＬＬ'], ['side', 'bux'], ['side', 'BU'], ['type', 'LIMITS'], ['timeInForce', 'GT'],
  ] as const;
  for (const [field, value] of CASES) {
    it(`${field} ${JSON.stringify(value)} is refused with INVALID_FIELD`, () => {
      expect(refusal(decode(with_({ [field]: value })))).toEqual({ code: 'INVALID_FIELD', field });
    });
  }

  it('ASCII case is still free: every documented spelling in any ASCII case passes', () => {
    fc.assert(
      fc.property(fc.constantFrom('SELL', 'BUY'), fc.constantFrom('IOC', 'FOK'), fc.constantFrom('HIGH', 'NORMAL', 'LOW'), fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }), (side, tif, priority, flips) => {
        const mix = (v: string) => [...v].map((c, i) => (flips[i % flips.length] ? c.toLowerCase() : c)).join('');
        const i = accepted(decode(with_({ side: mix(side), timeInForce: mix(tif), priority: mix(priority), type: mix('LIMIT') })));
        expect(i).toMatchObject({ side, timeInForce: tif, priority, type: 'LIMIT' });
      }),
      { numRuns: 100 },
    );
  });
});

describe('decodeOrder: JSON numbers are never rounded', () => {
  // the order with `field` written as the number text `num` (each key once: a key given twice is refused)
  const order = (field: string, num: string) =>
    `{${Object.entries({ strategy: 'a', symbol: 'BTC-USDT', side: 'BUY', price: '60000', quantity: '0.01', type: 'STOP_LIMIT', stopPrice: '59000', [field]: num })
      .map(([k, v]) => `${JSON.stringify(k)}:${k === field ? v : JSON.stringify(v)}`)
      .join(',')}}`;

  it('30000.000000000001 (a double reads it as 30000) is refused with INVALID_PRICE naming the field', () => {
    expect(refusal(decodeJson(order('price', '30000.000000000001')))).toEqual({ code: 'INVALID_PRICE', field: 'price' });
    expect(refusal(decodeJson(order('stopPrice', '29999.999999999999')))).toEqual({ code: 'INVALID_PRICE', field: 'stopPrice' });
    expect(refusal(decodeJson(order('quantity', '0.010000000000000000001')))).toEqual({ code: 'INVALID_QUANTITY', field: 'quantity' });
    expect(refusal(decodeJson(order('quantity', '12345678901234567891')))).toEqual({ code: 'INVALID_QUANTITY', field: 'quantity' });
    // a number is refused wherever it is, even where only a string fits
    expect(refusal(decodeJson(order('strategy', '1.00000000000000000001')))).toEqual({ code: 'INVALID_FIELD', field: 'strategy' });
  });

  it('numbers a double holds stay numbers, whatever their spelling', () => {
    for (const n of ['0.1', '1.50', '60000.070', '6e4', '6E+4', '1e-4', '0.0001000', '123456789012345', '-0', '0e10', '5e-324']) {
      expect({ n, exact: isExactNumber(n) }).toEqual({ n, exact: true });
    }
    const a = accepted(decodeJson('{"strategy":"a","symbol":"BTC-USDT","side":"BUY","price":60000.070,"quantity":0.0100}'));
    expect(a).toMatchObject({ priceTicks: 6_000_007, qtyLots: 1000 });
  });

  it('parseJsonExact marks only the inexact numbers, at their place (nested, in arrays)', () => {
    const v = parseJsonExact('{"a":[1, 0.30000000000000001, {"b":2.5, "c":9007199254740993}], "d":1e400, "e":"1.00000000000000000001"}') as any;
    expect(v.a[0]).toBe(1);
    expect(v.a[1]).toBeInstanceOf(ImpreciseNumber);
    expect(v.a[1].text).toBe('0.30000000000000001');
    expect(v.a[2].b).toBe(2.5);
    expect(v.a[2].c).toBeInstanceOf(ImpreciseNumber);
    expect(v.d).toBeInstanceOf(ImpreciseNumber);
    expect(v.e).toBe('1.00000000000000000001'); // a string is a decimal text, taken exactly by the decoder
    expect(parseJsonExact('3.0000000000000000001')).toBeInstanceOf(ImpreciseNumber);
    expect(parseJsonExact('{"k":[{"k":1.5,"j":[1e400]}],"j":2}')).toEqual({ k: [{ k: 1.5, j: [expect.any(ImpreciseNumber)] }], j: 2 });
    expect(() => parseJsonExact('{"k":')).toThrow(SyntaxError);
  });

  it('parseJsonExact: a key given twice in one object is refused (DuplicateKeyError naming it and its path), at any depth, whatever its values; escaped spellings are the same key', () => {
    const INEXACT = '1.00000000000000000001';
    const ORDER = '"strategy":"a","symbol":"BTC-USDT","side":"BUY","price":"60000","quantity":"0.01"';
    const cases: [string, string, string][] = [
      [`{${ORDER},"side":"SELL"}`, 'side', 'side'], // JSON.parse would read SELL
      ['{"k":1,"k":1}', 'k', 'k'], // the same value twice too: a sender that repeats a key is not read
      ['{"k":{"a":1},"k":null}', 'k', 'k'],
      ['{"":1,"":2}', '', ''],
      [`{"k":${INEXACT},"k":2}`, 'k', 'k'],
      [`{"k":2,"k":${INEXACT}}`, 'k', 'k'],
      [`{"a":{"b":{"c":{"d":${INEXACT}}}},"a":null}`, 'a', 'a'],
      [`{"x":1,"a":{"b":[1,{"c":"1","c":"3"}]}}`, 'c', 'a.b.1.c'],
      [`{"op":"submit","id":"d1","order":{${ORDER},"side":"SELL"}}`, 'side', 'order.side'],
      [`[{"op":"submit","id":"d1","order":{${ORDER}}},{"op":"submit","id":"d2","order":{${ORDER},"side":"SELL"}}]`, 'side', '1.order.side'],
      [`[{"op":"submit","op":"cancel","id":"d1"}]`, 'op', '0.op'],
      [`{"\\u0061":{"b":1},"a":7}`, 'a', 'a'], // the same key, spelt with an escape
      ['{"a":7,"\\u0061":{"b":1}}', 'a', 'a'],
      ['{"s\\u0069de":"BUY","\\u0073ide":"SELL"}', 'side', 'side'], // two different spellings of one key
      ['{"a\\"b":1,"a\\u0022b":2}', 'a"b', 'a"b'],
      ['{"x" : 1 , "y":2,\n "x"\t:\n3}', 'x', 'x'], // whitespace around the colon
      [`{${Array.from({ length: 40 }, (_, i) => `"k${i}":${i}`).join(',')},"k7":1}`, 'k7', 'k7'], // an object of many keys
      [`{"o":{${Array.from({ length: 40 }, (_, i) => `"k${i}":{"k${i}":1}`).join(',')},"\\u006b39":1}}`, 'k39', 'o.k39'],
    ];
    for (const [text, key, path] of cases) {
      expect(() => JSON.parse(text), text).not.toThrow();
      let err: unknown;
      try {
        parseJsonExact(text);
      } catch (e) {
        err = e;
      }
      expect(err, text).toBeInstanceOf(DuplicateKeyError);
      expect(err).toBeInstanceOf(SyntaxError); // as JSON.parse's refusals, for callers that only know those
      const d = err as DuplicateKeyError;
      expect({ text, key: d.key, path: d.path }).toEqual({ text, key, path });
      expect(d.message).toContain(`duplicate key ${JSON.stringify(key)}`);
    }
    // distinct keys pass: the same key in other objects (siblings, nested, in arrays), keys alike but not equal
    const distinct = [
      `{${ORDER}}`,
      '{"a":{"a":{"a":1}},"b":{"a":2},"c":[{"a":1},{"a":2}]}',
      '{"ab":1,"ba":2,"a":3,"b":4,"abc":5,"abd":6,"":7," ":8}',
      '{"\\u0061":1,"\\u0062":2,"a\\\\":3,"a\\"":4,"\\\\a":5}',
      '{"a\\\\":1,"a\\\\\\\\":2}',
      '[{"k":1},{"k":2},{"k":{"k":{"k":3}}}]',
      '{"k":"\\"k\\":","\\"k\\"":1}', // a key inside a string is no key
      `{${Array.from({ length: 60 }, (_, i) => `"k${i}":{"k${i}":${i}}`).join(',')}}`,
      `{"e\\u0073c":1,${Array.from({ length: 30 }, (_, i) => `"k${i}":${i}`).join(',')}}`,
    ];
    for (const text of distinct) expect(parseJsonExact(text), text).toEqual(JSON.parse(text));
    // one scan's state does not leak into the next (a refused text, then a text with the same keys in other objects)
    expect(() => parseJsonExact(`{"a":{${Array.from({ length: 40 }, (_, i) => `"k${i}":1`).join(',')},"k0":2}}`)).toThrow(DuplicateKeyError);
    expect(parseJsonExact(`{"a":{"k0":1},"b":{${Array.from({ length: 40 }, (_, i) => `"k${i}":1`).join(',')}}}`)).toMatchObject({ a: { k0: 1 } });
    // kept values are still marked in place
    expect(parseJsonExact(`{"a":{"b":1},"c":{"b":${INEXACT}}}`)).toEqual({ a: { b: 1 }, c: { b: expect.any(ImpreciseNumber) } });
  });

  it('property: the short-integer fast path never skips a number the full scan would mark; a key given twice in an object, at any depth, is refused', () => {
    // JSON texts with strings (escapes, digits and quotes inside), integers of 1-20 digits, decimals and exponents,
    // in objects and arrays nested a few deep; keys from a small set too (spelt with and without escapes), so that
    // some are given twice, in one object or in different ones
    const str = fc.string({ maxLength: 12 }).map((x) => JSON.stringify(x));
    const int = fc.stringMatching(/^-?[1-9][0-9]{0,19}$/);
    const dec = fc.tuple(int, fc.stringMatching(/^[0-9]{1,20}$/)).map(([a, b]) => `${a}.${b}`);
    const exp = fc.tuple(int, fc.integer({ min: -400, max: 400 })).map(([a, e]) => `${a}e${e}`);
    const scalar = fc.oneof(str, int, dec, exp, fc.constantFrom('true', 'null', '0', '-0'));
    const key = fc.oneof(str, fc.constantFrom('"k"', '"\\u006b"', '""', '"kk"', '"k\\u006b"', '"j"', ' "k" '));
    type Node = { kind: 'scalar'; text: string } | { kind: 'array'; items: Node[] } | { kind: 'object'; pairs: [string, Node][] };
    const { node } = fc.letrec<{ node: Node }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        scalar.map((text): Node => ({ kind: 'scalar', text })),
        fc.array(tie('node'), { maxLength: 4 }).map((items): Node => ({ kind: 'array', items })),
        fc.array(fc.tuple(key, tie('node')), { maxLength: 6 }).map((pairs): Node => ({ kind: 'object', pairs })),
      ),
    }));
    const write = (v: Node): string =>
      v.kind === 'scalar' ? v.text : v.kind === 'array' ? `[${v.items.map(write).join(',')}]` : `{${v.pairs.map(([k, x]) => `${k}:${write(x)}`).join(',')}}`;
    // the model: the first key, in text order, given before in its object (decoded), with its path
    const firstDuplicate = (v: Node, path: (string | number)[]): { key: string; path: string } | undefined => {
      if (v.kind === 'array') {
        for (let i = 0; i < v.items.length; i++) {
          const d = firstDuplicate(v.items[i]!, [...path, i]);
          if (d !== undefined) return d;
        }
      } else if (v.kind === 'object') {
        const seen = new Set<string>();
        for (const [k, x] of v.pairs) {
          const name = JSON.parse(k) as string;
          if (seen.has(name)) return { key: name, path: [...path, name].join('.') };
          seen.add(name);
          const d = firstDuplicate(x, [...path, name]);
          if (d !== undefined) return d;
        }
      }
      return undefined;
    };
    fc.assert(
      fc.property(node, (tree) => {
        const text = write(tree);
        const want = firstDuplicate(tree, []);
        let fast: boolean | undefined;
        let fastErr: unknown;
        try {
          fast = scanJson(text);
        } catch (err) {
          fastErr = err;
        }
        let full: string;
        try {
          full = JSON.stringify(parseJsonExact(text), (_k, v: unknown) => (v instanceof ImpreciseNumber ? `imprecise:${v.text}` : v));
        } catch (err) {
          expect(err, text).toBeInstanceOf(DuplicateKeyError);
          expect({ key: (err as DuplicateKeyError).key, path: (err as DuplicateKeyError).path }, text).toEqual(want);
          expect(fastErr, text).toBeInstanceOf(DuplicateKeyError);
          return;
        }
        expect(want, text).toBeUndefined();
        expect(fastErr, text).toBeUndefined();
        if (fast === true) expect(full).not.toContain('imprecise:'); // the fast path only answers for texts with nothing to mark
      }),
      { numRuns: 1000 },
    );
    // it does answer for plain order bodies (decimals as strings, an escaped quote in a string)
    expect(scanJson('{"symbol":"BTC-USDT","price":"60000.01","quantity":"0.001","priority":1,"tag":"a\\"1.5e3"}')).toBe(true);
    expect(scanJson('{"p":9007199254740993}')).toBe(false);
    expect(parseJsonExact('{"p":9007199254740993}')).toEqual({ p: expect.any(ImpreciseNumber) });
    expect(scanJson('{"p":1.5}')).toBe(false);
    expect(scanJson('{"p":123456789012345}')).toBe(true);
  });

  it('property: a JSON number is accepted exactly as written or refused, never rounded', () => {
    // decimals of up to 22 significant digits on the BTC grid (price: 2 decimals, quantity: 5)
    const digits = fc.stringMatching(/^[1-9][0-9]{0,21}$/);
    fc.assert(
      fc.property(digits, fc.integer({ min: 0, max: 8 }), (d, decimals) => {
        const text = decimals === 0 || decimals >= d.length ? d : `${d.slice(0, d.length - decimals)}.${d.slice(d.length - decimals)}`;
        const r = decodeJson(`{"strategy":"a","symbol":"BTC-USDT","side":"BUY","price":"60000","quantity":${text}}`);
        const fromString = decode(with_({ quantity: text }));
        if (r.ok) {
          // accepted: exactly the lots of the text as written
          expect(fromString.ok).toBe(true);
          if (fromString.ok) expect(r.intent.qtyLots).toBe(fromString.intent.qtyLots);
        } else if (!isExactNumber(text)) {
          expect(r.error).toMatchObject({ code: 'INVALID_QUANTITY', field: 'quantity' });
        } else {
          expect(fromString.ok).toBe(false); // refused for what the value is, as the same text in a string
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('decodeOrder: notionals the core can count exactly (NOTIONAL_TOO_LARGE)', () => {
  // The common notional unit is 10^-7 USDT (BTC: 2 + 5 decimals); ETH's tick x lot = 0.05 x 0.001 = 500 of them.
  const ETH_FACTOR = 500n;
  const SAFE = BigInt(Number.MAX_SAFE_INTEGER);
  const eth = (price: string, quantity: string) => decode({ strategy: 'a', symbol: 'ETH-USDT', side: 'BUY', price, quantity });

  it('the largest acceptable order is accepted with exact integers; one lot more is refused', () => {
    const priceTicks = 2_000_000n; // 100000 USDT
    const lots = SAFE / (priceTicks * ETH_FACTOR); // the most lots whose notional is <= 2^53 - 1
    const qty = (n: bigint) => `${n / 1000n}.${String(n % 1000n).padStart(3, '0')}`;
    const max = accepted(eth('100000', qty(lots)));
    expect(max).toMatchObject({ priceTicks: Number(priceTicks), qtyLots: Number(lots) });
    expect(Number.isSafeInteger(max.priceTicks * max.qtyLots * Number(ETH_FACTOR))).toBe(true);
    expect(BigInt(max.priceTicks * max.qtyLots * Number(ETH_FACTOR))).toBe(priceTicks * lots * ETH_FACTOR);
    expect(refusal(eth('100000', qty(lots + 1n)))).toEqual({ code: 'NOTIONAL_TOO_LARGE', field: 'quantity' });
  });

  it('one tick more is refused too (the bound is on price x quantity)', () => {
    const lots = 1_000_000n;
    const maxTicks = SAFE / (lots * ETH_FACTOR);
    const price = (t: bigint) => { const c = t * 5n; return `${c / 100n}.${String(c % 100n).padStart(2, '0')}`; };
    expect(accepted(eth(price(maxTicks), '1000')).priceTicks).toBe(Number(maxTicks));
    expect(refusal(eth(price(maxTicks + 1n), '1000'))).toEqual({ code: 'NOTIONAL_TOO_LARGE', field: 'quantity' });
    // a stop price is a notional too
    expect(refusal(decode({ strategy: 'a', symbol: 'ETH-USDT', side: 'BUY', type: 'STOP', stopPrice: price(maxTicks + 1n), quantity: '1000' }))).toEqual({ code: 'NOTIONAL_TOO_LARGE', field: 'quantity' });
  });

  it('property: every accepted order has a notional (ticks x lots x factor) that is a safe integer', () => {
    const big = fc.stringMatching(/^[1-9][0-9]{0,13}$/);
    fc.assert(
      fc.property(fc.constantFrom('BTC-USDT', 'ETH-USDT', 'SOL-USDT'), big, big, (symbol, p, q) => {
        const r = decode({ strategy: 'a', symbol, side: 'SELL', price: p, quantity: q });
        if (!r.ok) return;
        const ins = instruments.get(symbol)!;
        const exact = BigInt(r.intent.priceTicks) * BigInt(r.intent.qtyLots) * BigInt(instruments.notionalFactor[ins.index]!);
        expect(exact <= SAFE).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('decodeOrder: prices and quantities past what the core holds exactly', () => {
  // One instrument alone: its tick x lot is the common notional unit (factor 1), so one lot at a price past 2^52 ticks
  // has a notional that fits (below 2^53 - 1): only the price bound can refuse it. 2^52 ticks = 45035996.27370496 USDT.
  const pepe = new InstrumentRegistry([{ symbol: 'PEPE-USDT', base: 'PEPE', quote: 'USDT', tickSize: '0.00000001', lotSize: '1' }]);
  const at = (o: Record<string, unknown>) => decodeOrder({ strategy: 'a', symbol: 'PEPE-USDT', side: 'BUY', quantity: '1', ...o }, pepe);
  const MAX = '45035996.27370496'; // 2^52 ticks
  const PAST = '45035996.27370497'; // one tick more

  it('a price, a stop price or a trailing offset one tick past 2^52 ticks is refused INVALID_PRICE, naming the field and the bound', () => {
    // defect: any safe integer whose notional fitted went on, to be refused only by the paper venue (whose engine, like
    // the crossing book's, holds prices up to 2^52 ticks) or sent to a real venue
    for (const [order, field] of [
      [{ price: PAST }, 'price'],
      [{ type: 'STOP_LIMIT', price: '1', stopPrice: PAST }, 'stopPrice'],
      [{ type: 'STOP', stopPrice: PAST }, 'stopPrice'],
      [{ type: 'TRAILING_STOP', trailingOffset: PAST }, 'trailingOffset'],
    ] as const) {
      const r = at(order);
      expect(refusal(r), field).toEqual({ code: 'INVALID_PRICE', field });
      if (!r.ok) expect(r.error.message).toBe(`${field} is above the largest price the core holds exactly, 2^52 ticks (${MAX} USDT)`);
    }
    // far past it, beyond the safe integers: the same answer
    expect(at({ price: '90071992547409.93' })).toMatchObject({ ok: false, error: { code: 'INVALID_PRICE', field: 'price', message: expect.stringContaining('2^52 ticks') } });
  });

  it('the bounds are the matching engine\'s (the crossing book and the paper venues run on it)', () => {
    expect(MAX_PRICE_TICKS).toBe(MAX_PRICE);
    expect(MAX_QTY_LOTS).toBe(MAX_QTY);
  });

  it('2^52 ticks itself is accepted', () => {
    expect(accepted(at({ price: MAX })).priceTicks).toBe(2 ** 52);
    expect(accepted(at({ type: 'STOP_LIMIT', price: '1', stopPrice: MAX })).stopTicks).toBe(2 ** 52);
  });

  it('a quantity past 2^53 - 1 lots is refused INVALID_QUANTITY naming the bound (a market order has no notional to refuse it)', () => {
    const r = at({ type: 'MARKET', quantity: '9007199254740992' });
    expect(refusal(r)).toEqual({ code: 'INVALID_QUANTITY', field: 'quantity' });
    if (!r.ok) expect(r.error.message).toBe('quantity is above the largest quantity the core holds exactly, 2^53 - 1 lots (9007199254740991 PEPE)');
    expect(accepted(at({ type: 'MARKET', quantity: '9007199254740991' })).qtyLots).toBe(Number.MAX_SAFE_INTEGER);
  });
});
