/**
 * What the API fuzzer sends (bench/lib/api-fuzz.ts; test/api/hostile-requests.test.ts draws from it too): order
 * bodies that it KNOWS to be valid or invalid, and requests of every shape — odd methods, paths, percent-encoding,
 * headers and credentials, WebSocket upgrades, and request lines and headers no HTTP client would send.
 *
 * Everything comes from a seeded Prng (each lane's sequence repeats; how lanes interleave does not). The instruments
 * and strategies are those of config/paper.yaml (the daemon the fuzzer starts): a "valid" order is one that config
 * accepts at the edge — strategy `manual`, a configured symbol, price on the tick grid far from the paper market (it
 * never fills, so no position builds up; all are IOC or FOK, so they end at once), quantity on the lot grid with a
 * notional above the minimum. Each invalid body breaks exactly one rule of the README's order schema, so it must be
 * refused however the rest is judged.
 */
import type { Prng } from '../../adapters/paper/prng.js';

/** A configured instrument of config/paper.yaml, with prices far below/above the paper market and fitting sizes. */
interface FuzzInstrument {
  readonly symbol: string;
  /** Ticks of 0.01: [lo, hi] for buys (far below the reference price) and sells (far above). */
  readonly buyTicks: readonly [number, number];
  readonly sellTicks: readonly [number, number];
  /** Quantity in lots: [lo, hi], and the number of decimals of one lot. */
  readonly lots: readonly [number, number];
  readonly lotDecimals: number;
}

const INSTRUMENTS: readonly FuzzInstrument[] = [
  { symbol: 'BTC-USDT', buyTicks: [3_000_000, 4_000_000], sellTicks: [9_000_000, 12_000_000], lots: [100, 200], lotDecimals: 5 },
  { symbol: 'ETH-USDT', buyTicks: [150_000, 200_000], sellTicks: [450_000, 600_000], lots: [100, 500], lotDecimals: 4 },
  { symbol: 'SOL-USDT', buyTicks: [7_500, 10_000], sellTicks: [22_500, 30_000], lots: [100, 1_000], lotDecimals: 3 },
];

export const FUZZ_STRATEGY = 'manual';

function pick<T>(rng: Prng, items: readonly T[]): T {
  return items[rng.int(0, items.length - 1)]!;
}

function chance(rng: Prng, p: number): boolean {
  return rng.next() < p;
}

/** An integer count of units as decimal text with `decimals` places, e.g. (12345, 2) -> "123.45". */
function unitsText(units: number, decimals: number): string {
  const s = String(units).padStart(decimals + 1, '0');
  return decimals === 0 ? s : `${s.slice(0, s.length - decimals)}.${s.slice(s.length - decimals)}`;
}

function letters(rng: Prng, n: number, alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[rng.int(0, alphabet.length - 1)];
  return s;
}

/** Visible ASCII (0x21-0x7e), minus what `exclude` lists. */
function visible(rng: Prng, n: number, exclude = ''): string {
  let s = '';
  while (s.length < n) {
    const ch = String.fromCharCode(rng.int(0x21, 0x7e));
    if (!exclude.includes(ch)) s += ch;
  }
  return s;
}

export interface OrderBody {
  /** The request body, exactly as sent. */
  readonly text: string;
  /** True when config/paper.yaml's edge accepts it (it may still be refused later, e.g. by risk limits). */
  readonly valid: boolean;
  /** For an invalid body: the rule it breaks. */
  readonly what: string;
}

/** A valid order as a plain object (values as JSON-ready strings and numbers). */
function validOrder(rng: Prng): Record<string, unknown> {
  const ins = pick(rng, INSTRUMENTS);
  const buy = chance(rng, 0.5);
  const ticks = buy ? rng.int(ins.buyTicks[0], ins.buyTicks[1]) : rng.int(ins.sellTicks[0], ins.sellTicks[1]);
  const lots = rng.int(ins.lots[0], ins.lots[1]);
  const price = unitsText(ticks, 2);
  const quantity = unitsText(lots, ins.lotDecimals);
  const o: Record<string, unknown> = {
    strategy: FUZZ_STRATEGY,
    symbol: ins.symbol,
    side: pick(rng, buy ? ['BUY', 'buy', 'Buy'] : ['SELL', 'sell', 'Sell']),
    // Numbers as JSON numbers sometimes: these decimals are exact shortest round-trip texts of a double.
    price: chance(rng, 0.2) ? Number(price) : price,
    quantity: chance(rng, 0.2) ? Number(quantity) : quantity,
  };
  // IOC or FOK, never resting: the order ends at once, so the strategy's open-order limit (100) is not reached and
  // valid orders keep going all the way to a venue.
  o.timeInForce = pick(rng, ['IOC', 'ioc', 'Ioc', 'FOK', 'fok']);
  if (chance(rng, 0.3)) o.type = pick(rng, ['LIMIT', 'limit']);
  if (chance(rng, 0.2)) o.priority = pick(rng, ['HIGH', 'NORMAL', 'LOW', 'low']);
  if (chance(rng, 0.1)) o.venue = ins.symbol === 'SOL-USDT' ? 'sim-a' : pick(rng, ['sim-a', 'sim-b']);
  if (chance(rng, 0.2)) o.clientOrderId = `fz${letters(rng, 20)}`;
  return o;
}

/** One rule of the schema broken: [what, mutate]. The mutation gets the valid order (a fresh copy) and the rng. */
const MUTATIONS: readonly [string, (o: Record<string, unknown>, rng: Prng) => void][] = [
  ['price off the tick grid', (o) => (o.price = `${String(o.price).split('.')[0]}.${'001'}`)],
  ['price zero', (o, r) => (o.price = pick(r, ['0', '0.00', 0]))],
  ['price negative', (o, r) => (o.price = pick(r, ['-30000', '-0.01', -1]))],
  ['price not a decimal', (o, r) => (o.price = pick(r, ['', 'abc', 'NaN', 'Infinity', '1,000.00', '0x10', '30 000', '∞']))],
  ['price of a wrong type', (o, r) => (o.price = pick<unknown>(r, [true, false, null, {}, [], ['30000'], { value: '30000' }]))],
  ['price too large', (o, r) => (o.price = pick(r, ['1' + '0'.repeat(40), '99999999999999999999999.99']))],
  ['price missing on a limit order', (o) => delete o.price],
  ['price on a market order', (o) => (o.type = 'MARKET')],
  ['stop order without stopPrice', (o) => (o.type = 'STOP_LIMIT')],
  ['quantity zero', (o, r) => (o.quantity = pick(r, ['0', '0.0', 0, '0.00000']))],
  ['quantity negative', (o, r) => (o.quantity = pick(r, ['-0.01', '-1', -0.5]))],
  ['quantity off the lot grid', (o) => (o.quantity = '0.0000001')],
  ['quantity not a decimal', (o, r) => (o.quantity = pick(r, ['', 'lots', 'NaN', '1e', '--1', '.']))],
  ['quantity of a wrong type', (o, r) => (o.quantity = pick<unknown>(r, [true, null, {}, [], [1]]))],
  ['quantity missing', (o) => delete o.quantity],
  ['quantity too large', (o) => (o.quantity = '1' + '0'.repeat(30))],
  ['below the minimum notional', (o) => {
    o.price = '1.00';
    o.quantity = o.symbol === 'BTC-USDT' ? '0.00001' : o.symbol === 'ETH-USDT' ? '0.0001' : '0.001';
  }],
  ['unknown symbol', (o, r) => (o.symbol = pick(r, ['NOPE-USDT', 'BTCUSDT', 'BTC_USDT', 'DOGE-USDT', '', 'BTC-USDT\u0000']))],
  ['symbol of a wrong type', (o, r) => (o.symbol = pick<unknown>(r, [1, null, true, ['BTC-USDT'], {}]))],
  ['symbol missing', (o) => delete o.symbol],
  ['unknown strategy', (o, r) => (o.strategy = pick(r, ['no-such-strategy', 'MANUAL', 'manual ', 'momentum2', 'x'.repeat(40)]))],
  ['strategy empty or of a wrong type', (o, r) => (o.strategy = pick<unknown>(r, ['', 7, null, false, ['manual']]))],
  ['strategy missing', (o) => delete o.strategy],
  ['side not BUY or SELL', (o, r) => (o.side = pick<unknown>(r, ['BUYY', 'HOLD', 'buy ', ' sell', 'B', '', 'ſell', 'ſELL', 'BUY\u0000', 1, null, true]))],
  ['side missing', (o) => delete o.side],
  ['type not a known type', (o, r) => (o.type = pick<unknown>(r, ['LIMITT', 'lımıt', 'LİMIT', 'ICEBERG', '', 3, null]))],
  ['timeInForce not a known one', (o, r) => (o.timeInForce = pick<unknown>(r, ['ıoc', 'GTX', 'GTD', 'DAY', '', 0, null]))],
  ['postOnly of a wrong type', (o, r) => (o.postOnly = pick<unknown>(r, ['true', 1, 'yes', null]))],
  ['postOnly on an IOC order', (o) => (o.postOnly = true)],
  ['priority not a known one', (o, r) => (o.priority = pick<unknown>(r, ['URGENT', 'hıgh', '', 2, null]))],
  ['clientOrderId not 1 to 32 letters and digits', (o, r) => (o.clientOrderId = pick<unknown>(r, ['', 'has space', 'x'.repeat(33), 'dash-ed', 'ünï', 12, null]))],
  ['venue empty or of a wrong type', (o, r) => (o.venue = pick<unknown>(r, ['', 5, null, ['sim-a']]))],
  ['unknown field', (o, r) => (o[pick(r, ['foo', 'Price', 'qty', 'stop_price', 'leverage'])] = '1')],
];

/** Bodies that are not an order object at all (the exact text sent). */
const NOT_AN_ORDER: readonly string[] = [
  '', ' ', '{', '}', '[]', '[{}]', '"order"', '1', '-0', 'null', 'true', '{}', '{"strategy":', '{"a":1}{"b":2}',
  '{"__proto__":{"strategy":"manual"}}', '{"constructor":{"prototype":{}}}', 'NaN', '\u0000', '{"price":1e400}',
];

/** A body that must be refused, and why. */
export function invalidOrderBody(rng: Prng): OrderBody {
  const r = rng.next();
  if (r < 0.1) return { text: pick(rng, NOT_AN_ORDER), valid: false, what: 'not an order object' };
  if (r < 0.13) {
    // More significant digits than a double holds: refused, never rounded (README).
    const o = validOrder(rng);
    const text = JSON.stringify({ ...o, price: 0 }).replace('"price":0', `"price":${String(o.price)}000000000001`);
    return { text, valid: false, what: 'price with more digits than a double holds' };
  }
  if (r < 0.15) {
    const o = validOrder(rng);
    const text = JSON.stringify(o);
    return { text: text.slice(0, rng.int(1, text.length - 1)), valid: false, what: 'truncated JSON' };
  }
  const [what, mutate] = pick(rng, MUTATIONS);
  const o = validOrder(rng);
  mutate(o, rng);
  return { text: JSON.stringify(o), valid: false, what };
}

export function validOrderBody(rng: Prng): OrderBody {
  const o = validOrder(rng);
  // Layout varies: key order and whitespace mean nothing.
  const keys = Object.keys(o);
  if (chance(rng, 0.3)) keys.reverse();
  const text = JSON.stringify(o, keys, chance(rng, 0.2) ? 1 : undefined);
  return { text, valid: true, what: 'valid' };
}

export function orderBody(rng: Prng, validShare = 0.5): OrderBody {
  return chance(rng, validShare) ? validOrderBody(rng) : invalidOrderBody(rng);
}

/** Too large for the API (MAX_BODY_BYTES is 16 KiB): a valid order padded with whitespace. */
export function oversizeBody(rng: Prng): OrderBody {
  const o = JSON.stringify(validOrder(rng));
  return { text: o.slice(0, -1) + ' '.repeat(rng.int(17 * 1024, 40 * 1024)) + '}', valid: false, what: 'body too large' };
}

// ---------------------------------------------------------------------------------------------------------------
// Requests

export type Credentials = 'valid' | 'none' | 'wrong' | 'malformed';

export interface HttpCase {
  readonly method: string;
  readonly path: string;
  /** Header lines (without CRLF), in order; Host and Content-Length are added by serializeRequest unless present. */
  readonly headers: readonly string[];
  readonly body: string;
  readonly credentials: Credentials;
  /** An order submission the server must not accept (its body is invalid, or its credentials are). */
  readonly mustRefuse: boolean;
  /** POST /v1/orders with a body the generator knows to be valid and good credentials: may be a 201. */
  readonly order: OrderBody | null;
  /** Chunked transfer encoding instead of Content-Length. */
  readonly chunked: boolean;
}

/** Paths the API has (and what a route parameter may look like). */
const PATHS: readonly string[] = [
  '/health', '/metrics', '/v1/orders', '/v1/orders?state=open', '/v1/orders?state=bogus',
  '/v1/orders?state=%', '/v1/orders?state=op%65n', '/v1/orders?state=open&state=CANCELED', '/v1/orders/1', '/v1/orders/999999999999', '/v1/orders/abc',
  '/v1/orders/%ZZ', '/v1/orders/%00', '/v1/orders/%F0%9F%98%80', '/v1/orders/' + '9'.repeat(40), '/v1/routes/BTC-USDT',
  '/v1/routes/btc-usdt', '/v1/routes/%E2%82%AC', '/v1/routes/', '/v1/fees', '/v1/stream', '/v1/admin/reload',
  '/v1/books/BTC-USDT', '/v1/books/ETH-USDT', '/v1/books/nope', '/v1/books/%00', '/v1/books/',
];

/** Paths no route has, or that are not paths: 404 or 400, never a 5xx and never a crash. */
const ODD_PATHS: readonly string[] = [
  '//', '/\\', '//:99999/', '///', '//localhost/health', '//[::1]/', '//a:b@c/', '/\\\\evil.com', '/..', '/../health',
  '/v1/../health', '/%2e%2e/health', '/v1//orders', '/v1/orders/', '/v1/orders//1', '/v1/orders/1/2', '/health/',
  '/HEALTH', '/health?', '/health?x=%', '/health#frag', '/;/', '/%', '/%%', '/%zz', '/%u0041', '/%C0%AF', '/%00',
  '/?', '/?&&&', '*', '?', 'health', 'http://localhost/health', 'http://localhost', 'https://x:1/v1/orders',
  'http://[::1]:99999//', 'http:/health', 'ftp://x/health', 'localhost:7480', '/' + 'a'.repeat(6000),
  '/v1/orders?' + 'state=open&'.repeat(300),
];

const METHODS: readonly string[] = ['GET', 'GET', 'GET', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'];
/** Methods Node's parser knows but the API does not use. */
const RARE_METHODS: readonly string[] = ['TRACE', 'PROPFIND', 'PURGE', 'LINK', 'MKCOL', 'SEARCH', 'REPORT', 'NOTIFY', 'QUERY'];

function percentJunk(rng: Prng): string {
  let s = '/';
  const n = rng.int(1, 12);
  for (let i = 0; i < n; i++) {
    const k = rng.next();
    if (k < 0.4) s += '%' + rng.int(0, 255).toString(16).padStart(2, '0').toUpperCase();
    else if (k < 0.5) s += '%' + visible(rng, rng.int(0, 2), '#?');
    else if (k < 0.6) s += '/';
    else s += visible(rng, 1, '#?%');
  }
  return s;
}

export function fuzzPath(rng: Prng): string {
  const k = rng.next();
  if (k < 0.45) return pick(rng, PATHS);
  if (k < 0.75) return pick(rng, ODD_PATHS);
  if (k < 0.85) return percentJunk(rng);
  if (k < 0.95) return '/' + visible(rng, rng.int(0, 40), '#');
  return pick(rng, PATHS) + pick(rng, ['/', '//', '?', '%', '/..', '?token=x', '/%2F', '\\']);
}

function authHeaders(rng: Prng, token: string, credentials: Credentials): string[] {
  switch (credentials) {
    case 'valid':
      return [`${pick(rng, ['Authorization', 'authorization', 'AUTHORIZATION'])}: ${pick(rng, ['Bearer', 'bearer', 'BEARER'])} ${token}${pick(rng, ['', ' ', '  '])}`];
    case 'none':
      return [];
    case 'wrong':
      return [pick(rng, [
        `Authorization: Bearer ${token.slice(0, -1)}`,
        `Authorization: Bearer ${token}x`,
        `Authorization: Bearer ${token.toUpperCase() === token ? token.toLowerCase() : token.toUpperCase()}`,
        `Authorization: Bearer ${letters(rng, token.length)}`,
        `Authorization: Basic ${Buffer.from(`user:${token}`).toString('base64')}`,
        `Authorization: ${token}`,
        `X-Authorization: Bearer ${token}`,
        `Authorization: Bearer`,
        `Authorization: Bearer `,
        `Authorization: Bearer\t${token}`,
        `Authorization: Bearerx ${token}`,
      ])];
    case 'malformed':
      return [pick(rng, [
        `Authorization: Bearer ${visible(rng, rng.int(1, 200))}`,
        `Authorization: ${visible(rng, rng.int(1, 60))}`,
        `Authorization: Bearer ${'A'.repeat(rng.int(1000, 8000))}`,
        `Authorization: Bearer %${token}`,
      ])];
  }
}

/** Harmless-looking or odd headers, none of which may make the API fail. */
function junkHeaders(rng: Prng): string[] {
  const out: string[] = [];
  const n = rng.int(0, 4);
  for (let i = 0; i < n; i++) {
    out.push(pick(rng, [
      `X-Junk: ${visible(rng, rng.int(0, 100))}`,
      `X-${letters(rng, rng.int(1, 20))}: ${visible(rng, rng.int(0, 30))}`,
      `Content-Type: ${pick(rng, ['application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', visible(rng, 20)])}`,
      `Accept: ${pick(rng, ['*/*', 'application/json', 'text/html', visible(rng, 10)])}`,
      `Accept-Encoding: ${pick(rng, ['gzip', 'br', 'identity', '*'])}`,
      `User-Agent: ${visible(rng, rng.int(1, 300))}`,
      `Cookie: ${letters(rng, 8)}=${visible(rng, 20, ';')}`,
      `X-Forwarded-For: ${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(0, 255)}`,
      `Origin: http://${letters(rng, 6)}.example`,
      `Range: bytes=${rng.int(0, 100)}-${rng.int(0, 100)}`,
      `If-None-Match: "${letters(rng, 8)}"`,
      `Expect: 100-continue`,
      `Expect: ${letters(rng, 6)}`,
      `Connection: ${pick(rng, ['keep-alive', 'Keep-Alive', 'TE'])}`,
      `Upgrade: ${pick(rng, ['h2c', 'websocket', 'TLS/1.2'])}`,
      `Host: ${pick(rng, ['', 'x', 'localhost:99999', '[::1]', visible(rng, 30)])}`,
      `Sec-WebSocket-Key: ${visible(rng, 24)}`,
      `X-Long: ${'v'.repeat(rng.int(1000, 6000))}`,
    ]));
  }
  return out;
}

/** A well-formed HTTP/1.1 request (Node's parser takes it) of any method, path, credentials and body. */
export function httpCase(rng: Prng, token: string): HttpCase {
  const k = rng.next();
  const credentials: Credentials = k < 0.7 ? 'valid' : k < 0.8 ? 'none' : k < 0.93 ? 'wrong' : 'malformed';
  const headers = [...authHeaders(rng, token, credentials), ...junkHeaders(rng)];
  const chunked = chance(rng, 0.05);
  // Most requests are order submissions: the path every strategy and client uses.
  if (chance(rng, 0.55)) {
    const order = chance(rng, 0.01) ? oversizeBody(rng) : orderBody(rng);
    // Not GET: listing every order (see below) is not what this branch is about.
    const method = chance(rng, 0.97) ? 'POST' : pick(rng, ['PUT', 'PATCH', 'DELETE']);
    const path = chance(rng, 0.95) ? '/v1/orders' : pick(rng, ['/v1/orders?x=1', '/v1/orders/', '//v1/orders', '/v1/orders#']);
    const submit = method === 'POST' && (path === '/v1/orders' || path === '/v1/orders?x=1');
    return {
      method, path, headers, body: order.text, credentials, chunked,
      mustRefuse: submit && (!order.valid || credentials !== 'valid'),
      order: submit && order.valid && credentials === 'valid' ? order : null,
    };
  }
  const method = chance(rng, 0.95) ? pick(rng, METHODS) : pick(rng, RARE_METHODS);
  let path = fuzzPath(rng);
  // A reload re-reads the configuration: the fuzzer leaves it to the unauthenticated (they must get a 401).
  if (path === '/v1/admin/reload' && method === 'POST' && credentials === 'valid') path = '/v1/admin/reload/';
  // Listing every order (or every CANCELED one: most fuzzed orders end so) answers with all of them, tens of MB late
  // in a run — a cost the API has by design, not a robustness question: the fuzzer lists the open orders only.
  if ((method === 'GET' || method === 'HEAD') && credentials === 'valid' && /^(https?:\/\/[^/?#]*)?\/v1\/orders(\?|$)/i.test(path) && !/[?&]state=(open|bogus|%)(&|$)/.test(path)) {
    path = '/v1/orders?state=open';
  }
  const order = method === 'GET' || method === 'HEAD' ? null : chance(rng, 0.5) ? orderBody(rng) : null;
  const body = order !== null ? order.text : method === 'GET' && chance(rng, 0.1) ? visible(rng, rng.int(1, 50)) : '';
  // POST to /v1/orders however spelt (a query, the absolute form): an order submission like any other.
  const submit = method === 'POST' && /^(https?:\/\/[^/?#]*)?\/v1\/orders(\?[^#]*)?$/i.test(path) && !/^https?:\/\/[^/?#]*\?/i.test(path);
  const validSubmit = submit && order !== null && order.valid && credentials === 'valid';
  return {
    method, path, headers, body, credentials, chunked,
    mustRefuse: submit ? !validSubmit : credentials !== 'valid' && protectedRoute(path),
    order: validSubmit ? order : null,
  };
}

/**
 * Whether the path is a route that needs the token: everything but /health and the status page (/ and /web/*)
 * (routes match exactly, so a path that is not a route at all is a 404 or a 401, never a 2xx — counted as protected too).
 */
export function protectedRoute(path: string): boolean {
  const p = path.replace(/^https?:\/\/[^/?#]*/i, '').split('?')[0] || '/'; // an empty absolute-form path is /
  return p !== '/health' && p !== '/' && !p.startsWith('/web/');
}

/** The bytes of a request; Content-Length or chunked framing is added to match the body. */
export function serializeRequest(c: HttpCase): Buffer {
  const body = Buffer.from(c.body, 'utf8');
  const lines = [`${c.method} ${c.path} HTTP/1.1`];
  if (!c.headers.some((h) => /^host:/i.test(h))) lines.push('Host: 127.0.0.1');
  lines.push(...c.headers);
  if (c.chunked) lines.push('Transfer-Encoding: chunked');
  else if (body.length > 0 || c.method === 'POST' || c.method === 'PUT') lines.push(`Content-Length: ${body.length}`);
  const head = Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
  if (!c.chunked) return Buffer.concat([head, body]);
  const parts: Buffer[] = [head];
  for (let off = 0; off < body.length; off += 4096) {
    const part = body.subarray(off, off + 4096);
    parts.push(Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------------------------------------------
// Malformed requests and upgrades (each on a connection of its own: the server closes it)

/**
 * Bytes Node's HTTP parser refuses (answered 400/431/413 and closed, or closed), or that are odd enough to be
 * worth a connection of their own: bad request lines, bad header syntax, conflicting framing, bare LFs, NULs,
 * oversized heads, CONNECT, HTTP/0.9 and 2.0 prefaces.
 */
export function malformedRequest(rng: Prng, token: string): { bytes: Buffer; head: boolean } {
  const auth = chance(rng, 0.5) ? `Authorization: Bearer ${token}\r\n` : '';
  const path = fuzzPath(rng);
  const templates: (() => string | Buffer)[] = [
    () => `GET  / HTTP/1.1\r\nHost: x\r\n\r\n`,
    () => `GET ${path} HTTP/1.1 extra\r\nHost: x\r\n\r\n`,
    () => `GET ${path}\r\n\r\n`,
    () => `GET ${path} HTTP/9.9\r\nHost: x\r\n\r\n`,
    () => `GET ${path} HTTP/1.1\nHost: x\n\n`,
    () => `GET ${path} FOO/1.1\r\n\r\n`,
    () => `get ${path} HTTP/1.1\r\nHost: x\r\n\r\n`,
    () => `${letters(rng, rng.int(1, 12), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ')} ${path} HTTP/1.1\r\nHost: x\r\n${auth}\r\n`,
    () => `${visible(rng, rng.int(1, 10))} ${path} HTTP/1.1\r\n\r\n`,
    () => `GET /a\u0000b HTTP/1.1\r\nHost: x\r\n\r\n`,
    () => Buffer.concat([Buffer.from('GET /'), Buffer.from([rng.int(0x80, 0xff), rng.int(0, 0x1f)]), Buffer.from(' HTTP/1.1\r\nHost: x\r\n\r\n')]),
    () => Buffer.concat([Buffer.from('GET /caf'), Buffer.from('é', 'utf8'), Buffer.from(' HTTP/1.1\r\nHost: x\r\n\r\n')]),
    () => `GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n`,
    () => `GET / HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n`,
    () => `GET / HTTP/1.1\r\nHost: x\r\nX-A : v\r\n\r\n`,
    () => `GET / HTTP/1.1\r\nHost: x\r\nX-Fold: a\r\n b\r\n\r\n`,
    () => `GET / HTTP/1.1\r\nHost: x\r\nX-Nul: a\u0000b\r\n\r\n`,
    () => `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(rng.int(17_000, 70_000))}\r\n\r\n`,
    () => `GET / HTTP/1.1\r\nHost: x\r\n${'X-H: v\r\n'.repeat(rng.int(2100, 3000))}\r\n`,
    () => `POST /v1/orders HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 5\r\nContent-Length: 6\r\n\r\n{}{}{}`,
    () => `POST /v1/orders HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: -1\r\n\r\n`,
    () => `POST /v1/orders HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 1e3\r\n\r\n`,
    () => `POST /v1/orders HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 99999999999999999999\r\n\r\n{}`,
    () => `POST /v1/orders HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    () => `POST /v1/orders HTTP/1.1\r\nHost: x\r\n${auth}Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
    () => `POST /v1/orders HTTP/1.1\r\nHost: x\r\n${auth}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`,
    () => `POST /v1/orders HTTP/1.1\r\nHost: x\r\n${auth}Transfer-Encoding: chunked\r\n\r\n2;${'e'.repeat(20_000)}\r\n{}\r\n0\r\n\r\n`,
    () => `POST /v1/orders HTTP/1.1\r\nHost: x\r\n${auth}Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFF\r\n`,
    () => `CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n`,
    () => `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`,
    () => `\r\n\r\n\r\n`,
    () => `${visible(rng, rng.int(1, 200))}\r\n\r\n`,
    () => Buffer.from(Array.from({ length: rng.int(1, 200) }, () => rng.int(0, 255))),
    () => `GET / HTTP/1.1\r\nHost: x\r\n\r\nGET // HTTP/1.1\r\nHost: x\r\n${auth}\r\nPOST /\\ HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\nJUNK\r\n\r\n`,
    () => `GET / HTTP/1.0\r\n\r\n`,
    () => `OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n`,
  ];
  const t = templates[rng.int(0, templates.length - 1)]!();
  return { bytes: typeof t === 'string' ? Buffer.from(t, 'latin1') : t, head: false };
}

/**
 * A WebSocket upgrade request. `accept` is true when the server may switch protocols (101): the path is /v1/stream
 * and the token is there (header or query). Whether the handshake headers please the WebSocket library (ws takes
 * versions 8 and 13, for one) is its business, not a security question: only a 101 without `accept` is counted.
 */
export function upgradeCase(rng: Prng, token: string): { bytes: Buffer; accept: boolean; reset: boolean } {
  const k = rng.next();
  let path = '/v1/stream';
  let pathOk = true;
  if (k < 0.35) {
    path = fuzzPath(rng);
    pathOk = /^(https?:\/\/[^/?#]*)?\/v1\/stream(\?[^#]*)?$/i.test(path) && !/^https?:\/\/[^/?#]*\?/.test(path);
  } else if (k < 0.45) path = pick(rng, [`/v1/stream?token=${token}`, `/v1/stream?x=1&token=${encodeURIComponent(token)}`]);
  const queryToken = path.includes(`token=${token}`) || path.includes(`token=${encodeURIComponent(token)}`);
  const cr = rng.next();
  const credentials: Credentials = cr < 0.6 ? 'valid' : cr < 0.75 ? 'none' : cr < 0.9 ? 'wrong' : 'malformed';
  const lines = [`${chance(rng, 0.95) ? 'GET' : pick(rng, ['POST', 'PUT', 'DELETE'])} ${path} HTTP/1.1`, 'Host: 127.0.0.1'];
  lines.push(...authHeaders(rng, token, credentials));
  const upgrade = rng.next();
  if (upgrade < 0.9) lines.push(`Upgrade: ${pick(rng, ['websocket', 'WebSocket'])}`, `Connection: ${pick(rng, ['Upgrade', 'upgrade', 'keep-alive, Upgrade'])}`);
  else lines.push(pick(rng, ['Upgrade: h2c', 'Upgrade: websocket2', 'Upgrade:']), 'Connection: Upgrade');
  const key = rng.next();
  if (key < 0.85) lines.push(`Sec-WebSocket-Key: ${Buffer.from(letters(rng, 16)).toString('base64')}`);
  else if (key < 0.95) lines.push(`Sec-WebSocket-Key: ${pick(rng, ['', 'short', visible(rng, 30)])}`);
  lines.push(`Sec-WebSocket-Version: ${chance(rng, 0.9) ? '13' : pick(rng, ['8', '', 'x', '14'])}`);
  if (chance(rng, 0.1)) lines.push(`Sec-WebSocket-Extensions: ${pick(rng, ['permessage-deflate', 'bogus', visible(rng, 20)])}`);
  if (chance(rng, 0.1)) lines.push(`Sec-WebSocket-Protocol: ${pick(rng, ['chat', '', ','])}`);
  lines.push(...junkHeaders(rng).filter((h) => !/^(upgrade|connection|sec-websocket|host):/i.test(h)));
  const bytes = Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
  const authed = credentials === 'valid' || queryToken;
  return { bytes, accept: pathOk && authed, reset: chance(rng, 0.15) };
}

/** A WebSocket message to /v1/stream: an order submission (valid or not), a cancel, or junk. */
export function wsMessage(rng: Prng, id: number): { text: string; order: OrderBody | null; submit: boolean } {
  const k = rng.next();
  if (k < 0.7) {
    const order = orderBody(rng);
    let parsed: unknown;
    try {
      parsed = JSON.parse(order.text);
    } catch {
      parsed = undefined;
    }
    // A body that is not JSON cannot be embedded as an object: it goes as a string (an invalid order either way).
    const text = parsed === undefined ? JSON.stringify({ op: 'submit', id, order: order.text })
      : order.text.includes('000000000001') ? `{"op":"submit","id":${id},"order":${order.text}}` : JSON.stringify({ op: 'submit', id, order: parsed });
    return { text, order, submit: true };
  }
  if (k < 0.85) return { text: JSON.stringify({ op: 'cancel', id, orderId: pick<unknown>(rng, [rng.int(1, 1_000_000), 'abc', '', null, {}, '%00', 'x'.repeat(100)]) }), order: null, submit: false };
  return {
    text: pick(rng, [
      '', 'not json', '{', '[]', 'null', '1', `{"op":"submit","id":${id}}`, `{"op":"SUBMIT","id":${id},"order":{}}`,
      `{"op":"nope","id":${id}}`, `{"id":${id}}`, `{"op":"submit","id":{"x":1},"order":null}`, visible(rng, rng.int(1, 200)),
    ]),
    order: null,
    submit: false,
  };
}

/**
 * A batch frame for /v1/stream: a JSON array of 1 to `max` ops made as wsMessage makes them, each with its own numeric
 * id (from `firstId` on; ops the daemon would answer with id null are left out, so that every result names its op).
 */
export function wsBatch(rng: Prng, firstId: number, max: number): { text: string; ops: { id: number; order: OrderBody | null; submit: boolean }[] } {
  const n = rng.int(1, max);
  const texts: string[] = [];
  const ops: { id: number; order: OrderBody | null; submit: boolean }[] = [];
  for (let id = firstId; ops.length < n; id++) {
    const m = wsMessage(rng, id);
    let parsed: unknown;
    try {
      parsed = JSON.parse(m.text);
    } catch {
      continue;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || (parsed as { id?: unknown }).id !== id) continue;
    texts.push(m.text); // as sent alone: numbers a double cannot hold stay as written
    ops.push({ id, order: m.order, submit: m.submit });
  }
  return { text: `[${texts.join(',')}]`, ops };
}
