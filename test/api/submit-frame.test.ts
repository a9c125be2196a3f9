import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../src/api/api-replies.js';
import { elementsOver } from '../../src/api/stream-socket.js';
import { SubmitFrameReader } from '../../src/api/submit-frame.js';
import { DuplicateKeyError, parseJsonExact } from '../../src/intake/json-exact.js';
import { decodeOrder } from '../../src/intake/order-decoder.js';
import { OrderFields } from '../../src/intake/order-fields.js';
import { testInstruments } from '../helpers/model.js';

/*
 * The /v1/stream frames read from their bytes (submit-frame.ts) against the general path (parseJsonExact, then each
 * op's fields as runOps reads them, then decodeOrder): wherever the reader does not decline a frame, every op must be
 * the same — its op, its id, its order's fields (same keys, same values, Object.is) and the decoder's answer — and the
 * general path must have executed it (JSON, no duplicate key, not a refused batch, no op over the bound).
 */
const instruments = testInstruments();

type Outcome =
  | { kind: 'error'; message: string }
  | { kind: 'refused' } // a batch over maxOps, or an empty one
  | { kind: 'oversized' } // an op over the bound (refused or the socket closed)
  | { kind: 'ops'; ops: { op: unknown; id: unknown; order: unknown; decoded: unknown }[] };

function general(bytes: Buffer, maxOps: number): Outcome {
  let msg: unknown;
  try {
    msg = parseJsonExact(bytes.toString());
  } catch (err) {
    return { kind: 'error', message: err instanceof DuplicateKeyError ? err.message : 'not JSON' };
  }
  let ops: unknown[];
  if (Array.isArray(msg)) {
    if (msg.length > maxOps || msg.length === 0) return { kind: 'refused' };
    if (bytes.length > MAX_BODY_BYTES && elementsOver(bytes, MAX_BODY_BYTES) !== undefined) return { kind: 'oversized' };
    ops = msg;
  } else {
    if (bytes.length > MAX_BODY_BYTES) return { kind: 'oversized' }; // (this test's frames carry no outer whitespace that large)
    ops = [msg];
  }
  return {
    kind: 'ops',
    ops: ops.map((raw) => {
      const m = (typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? raw : {}) as { op?: unknown; id?: unknown; order?: unknown };
      return { op: m.op, id: typeof m.id === 'string' || typeof m.id === 'number' ? m.id : null, order: m.order, decoded: m.op === 'submit' ? decodeOrder(m.order, instruments) : undefined };
    }),
  };
}

const reader = new SubmitFrameReader();

function fast(bytes: Buffer, maxOps: number): Outcome | undefined {
  const n = reader.read(bytes, maxOps, MAX_BODY_BYTES);
  if (n === 0) return undefined;
  const ops: { op: unknown; id: unknown; order: unknown; decoded: unknown }[] = [];
  for (let i = 0; i < n; i++) {
    const m = reader.op(i);
    expect(m.order).toBeInstanceOf(OrderFields);
    const order: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(m.order)) if (v !== undefined) order[k] = v;
    ops.push({ op: m.op, id: m.id, order, decoded: decodeOrder(m.order, instruments) });
  }
  reader.done();
  return { kind: 'ops', ops };
}

let taken = 0;
let declined = 0;

function same(text: string | Buffer, maxOps = 1000): void {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const f = fast(bytes, maxOps);
  if (f === undefined) {
    declined++;
    return;
  }
  taken++;
  const g = general(bytes, maxOps);
  expect(f).toEqual(g);
  // Object.is on every id and field value (toEqual is, but say it: -0 and 0 differ)
  if (g.kind === 'ops' && f.kind === 'ops') {
    g.ops.forEach((op, i) => {
      expect(Object.is(op.id, f.ops[i]!.id)).toBe(true);
      for (const [k, v] of Object.entries((op.order ?? {}) as Record<string, unknown>)) {
        expect(Object.is(v, (f.ops[i]!.order as Record<string, unknown>)[k])).toBe(true);
      }
    });
  }
}

// --- a generator of frames near the common shape: JSON written token by token, so whitespace and number texts vary

/** Whitespace: JSON's mostly, now and then a character JSON does not take as whitespace. */
const WS = fc.oneof({ weight: 600, arbitrary: fc.constantFrom('', '', '', '', '', '', ' ', '\n', '\t', '\r\n', '  ') }, { weight: 1, arbitrary: fc.constantFrom('\u00a0', '\f', '\u2028') });
const tok = (t: string) => fc.tuple(WS, fc.constant(t), WS).map(([a, b, c]) => a + b + c);

const numberText = fc.oneof(
  fc.integer({ min: 0, max: 1_000_000 }).map(String),
  fc.constantFrom('0', '-0', '00', '01', '1', '7', '123456789012345', '1234567890123456', '9007199254740993', '99999999999999999999',
    '1e5', '1E5', '1.5', '1.50', '0.0001', '30000.000000000001', '60600', '-1', '-60600', '1e400', '0.1e1', '5e-7', '-0.0'),
  fc.bigInt({ min: 0n, max: 10n ** 20n }).map(String),
);

const stringText = fc.oneof(
  fc.constantFrom('BUY', 'SELL', 'buy', 'Sell', 'LIMIT', 'MARKET', 'IOC', 'GTC', 'FOK', 'BTC-USDT', 'ETH-USDT', 'momentum', 's1', '60000',
    '60600', '0.0001', '0.01', '30000', '0.00001', '', 'abc123', 'HIGH', 'NORMAL', 'BEST', 'paper-a', 'submit'),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
  fc.stringMatching(/^[A-Za-z0-9]{1,40}$/),
).map((s) => JSON.stringify(s));

/** JSON.stringify's text with some characters written as escapes (the same string, another text). */
const escapedText = fc.tuple(stringText, fc.nat()).map(([t, k]) => {
  const s = JSON.parse(t) as string;
  if (s.length === 0) return '"\\u0000"';
  const i = k % s.length;
  return `"${JSON.stringify(s.slice(0, i)).slice(1, -1)}\\u${s.charCodeAt(i).toString(16).padStart(4, '0')}${JSON.stringify(s.slice(i + 1)).slice(1, -1)}"`;
});

const leafText: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: stringText },
  { weight: 2, arbitrary: escapedText },
  { weight: 3, arbitrary: numberText },
  { weight: 1, arbitrary: fc.constantFrom('true', 'false', 'null') },
);

const { valueText } = fc.letrec<{ valueText: string }>((tie) => ({
  valueText: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 6, arbitrary: leafText },
    { weight: 1, arbitrary: fc.array(tie('valueText'), { maxLength: 3 }).map((a) => `[${a.join(',')}]`) },
    { weight: 1, arbitrary: fc.array(fc.tuple(fc.constantFrom('"a"', '"type"', '"b"', '"a"'), tie('valueText')), { maxLength: 3 }).map((kv) => `{${kv.map(([k, v]) => `${k}:${v}`).join(',')}}`) },
  ),
}));

const ORDER_KEYS = ['strategy', 'symbol', 'side', 'type', 'timeInForce', 'postOnly', 'price', 'stopPrice', 'quantity', 'clientOrderId',
  'priority', 'venue', 'route', 'trailingOffset', 'algo'];
const keyText = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...ORDER_KEYS).map((k) => JSON.stringify(k)) },
  { weight: 1, arbitrary: fc.constantFrom('"__proto__"', '"constructor"', '"Side"', '"sid\\u0065"', '"extra"', '"op"', '"id"', '""', '"s"', '"st"', '"pr"') },
  // a field's name and more: "sidex", "side ", "side:", "price\"", "priorit"
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...ORDER_KEYS), fc.constantFrom('x', ' ', ':', '\\"', '"', '\\u0000', ' :', ': ', '-1'), fc.boolean())
    .map(([k, more, cut]) => `"${cut ? k.slice(0, -1) : k + more}"`) },
);

/** An order: a plausible one (valid values, any key order), sometimes with keys and values from anywhere. */
const orderText = fc.oneof(
  { weight: 6, arbitrary: fc.record({
    strategy: fc.constantFrom('"momentum"', '"s1"', '"alpha"', '""'),
    symbol: fc.constantFrom('"BTC-USDT"', '"ETH-USDT"', '"NOPE"'),
    side: fc.constantFrom('"BUY"', '"SELL"', '"buy"', '"HOLD"'),
    type: fc.constantFrom('"LIMIT"', '"MARKET"', '"STOP"'),
    timeInForce: fc.constantFrom('"IOC"', '"GTC"', '"FOK"'),
    price: fc.oneof({ weight: 3, arbitrary: fc.constantFrom('"60600"', '"59400"', '"30000.01"', '"30000.001"', '"0"', '"-1"') }, { weight: 1, arbitrary: numberText }),
    quantity: fc.oneof({ weight: 3, arbitrary: fc.constantFrom('"0.0001"', '"0.001"', '"0.000011"', '"1e3"') }, { weight: 1, arbitrary: numberText }),
    clientOrderId: fc.oneof({ weight: 6, arbitrary: fc.stringMatching(/^[A-Za-z0-9]{1,34}$/).map((s) => JSON.stringify(s)) }, { weight: 1, arbitrary: escapedText }),
    postOnly: fc.constantFrom('true', 'false', '"true"', 'null'),
  }, { requiredKeys: ['symbol', 'side', 'price', 'quantity'] }).chain((o) =>
    fc.shuffledSubarray(Object.entries(o), { minLength: Object.keys(o).length }).map((kv) => kv.map(([k, v]) => [JSON.stringify(k), v] as const))) },
  { weight: 1, arbitrary: fc.array(fc.tuple(keyText, valueText), { maxLength: 8 }) },
  { weight: 2, arbitrary: fc.array(fc.tuple(keyText, leafText), { maxLength: 8 }) },
).chain((kv) => fc.tuple(fc.array(WS, { minLength: kv.length * 4 + 2, maxLength: kv.length * 4 + 2 })).map(([w]) =>
  `${w[0]}{${kv.map(([k, v], i) => `${w[4 * i + 1]}${k}${w[4 * i + 2]}:${w[4 * i + 3]}${v}${w[4 * i + 4]}`).join(',')}}${w[w.length - 1]}`));

/** An op: mostly a submit with an order (any key order), now and then anything. */
const opText = fc.oneof(
  { weight: 30, arbitrary: fc.record({
    op: fc.constant('"submit"'),
    id: fc.oneof({ weight: 4, arbitrary: fc.nat().map(String) }, { weight: 1, arbitrary: fc.oneof(numberText, stringText, escapedText, fc.constantFrom('null', 'true', '{}', '[]')) }),
    order: orderText,
  }, { requiredKeys: ['op', 'order'] }) },
  { weight: 1, arbitrary: fc.record({
    op: fc.oneof({ weight: 3, arbitrary: fc.constant('"submit"') }, { weight: 1, arbitrary: fc.constantFrom('"cancel"', '"Submit"', '"sub\\u006dit"', '1', 'null', '"submit "') }),
    id: fc.oneof(numberText, stringText, escapedText, fc.constantFrom('null', 'true', '{}', '[]')),
    order: fc.oneof({ weight: 3, arbitrary: orderText }, { weight: 1, arbitrary: valueText }),
    extra: valueText,
  }, { requiredKeys: [] }) },
).chain((o) => fc.tuple(
  fc.shuffledSubarray(Object.entries(o), { minLength: Object.keys(o).length }),
  fc.oneof({ weight: 40, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom('op', 'id', 'order') }),
)).chain(([kv, dup]) => {
  const entries: [string, string][] = kv.map(([k, v]) => [k, v]);
  if (dup !== null) entries.push([dup, dup === 'op' ? '"submit"' : dup === 'id' ? '1' : '{}']);
  return fc.array(WS, { minLength: entries.length * 2 + 1, maxLength: entries.length * 2 + 1 }).map((w) =>
    `{${w[0]}${entries.map(([k, v], i) => `${JSON.stringify(k)}${w[2 * i + 1]}:${v}${w[2 * i + 2]}`).join(',')}}`);
});

const frameText = fc.oneof(
  { weight: 1, arbitrary: opText },
  { weight: 3, arbitrary: fc.array(opText, { maxLength: 6 }).chain((ops) => fc.tuple(tok('['), fc.array(WS, { minLength: ops.length, maxLength: ops.length }), tok(']')).map(([a, w, b]) => `${a}${ops.map((o, i) => o + w[i]).join(',')}${b}`)) },
);

/** Mutations: cut, an inserted character, trailing bytes, a BOM, a nested frame. */
const mutated = fc.tuple(frameText, fc.nat(), fc.constantFrom('none', 'none', 'none', 'cut', 'insert', 'trail', 'bom', 'wrap'), fc.constantFrom(',', '}', ']', '"', '\\', ':', 'x', '0', '{', '[', '\u00e9', ' '))
  .map(([text, at, how, ch]) => {
    const i = text.length === 0 ? 0 : at % text.length;
    switch (how) {
      case 'cut': return text.slice(0, i);
      case 'insert': return text.slice(0, i) + ch + text.slice(i);
      case 'trail': return text + ch;
      case 'bom': return `\ufeff${text}`;
      case 'wrap': return `[${text}]`;
      default: return text;
    }
  });

describe('a /v1/stream frame read from its bytes is what the general path reads', () => {
  it('on generated frames (the plausible and the hostile), with batch bounds from 1 to 6', () => {
    fc.assert(fc.property(mutated, fc.integer({ min: 1, max: 6 }), (text, maxOps) => same(text, maxOps)), { numRuns: 10000, seed: 17 });
    // the generator reaches both sides (deterministic: a fixed seed)
    expect(taken).toBeGreaterThan(600);
    expect(declined).toBeGreaterThan(1000);
  });

  it('on the frames the bench and the SDK send, and their near misses', () => {
    const order = '{"strategy":"s1","symbol":"BTC-USDT","side":"BUY","type":"LIMIT","timeInForce":"IOC","price":"60600","quantity":"0.0001","clientOrderId":"t00a1"}';
    const op = (id: string, o = order) => `{"op":"submit","id":${id},"order":${o}}`;
    const cases: [string, boolean][] = [
      [op('1'), true],
      [`[${op('1')},${op('2')}]`, true],
      [` [ ${op('"x"')} ,\n${op('null')} ] `, true],
      [`{"order":${order},"id":3,"op":"submit"}`, true],
      [`{"op":"submit","order":${order}}`, true],
      [op('1', '{}'), true],
      [op('1', '{"strategy":"s1","symbol":"BTC-USDT","side":"SELL","price":59400,"quantity":1,"postOnly":false,"venue":null}'), true],
      [op('-0'), false],
      [op('1.0'), false],
      [op('1e0'), false],
      [op('01'), false],
      [op('1234567890123456'), false],
      [op('"\\u0031"'), false],
      [op('1', order.replace('"BUY"', '"\\u0042UY"')), false],
      [op('1', order.replace('"t00a1"', '"t00\u00e9"')), false],
      [op('1', order.replace('"60600"', '60600.5')), false],
      [op('1', order.replace('"60600"', '6.06e4')), false],
      [op('1', order.replace('}', ',"side":"SELL"}')), false], // a duplicate key
      [op('1', order.replace('}', ',"algo":{"type":"TWAP"}}')), false],
      [op('1', order.replace('}', ',"extra":1}')), false],
      [`{"op":"submit","op":"submit","id":1,"order":${order}}`, false],
      [`{"op":"submit","id":1,"order":${order},"x":[]}`, false],
      [`{"op":"cancel","id":1,"orderId":"a"}`, false],
      [`[${op('1')},{"op":"cancel","id":1,"orderId":"a"}]`, false],
      ['[]', false],
      [`[${op('1')}`, false],
      [`${op('1')}]`, false],
      [`\ufeff${op('1')}`, false],
      [`[${op('1')},]`, false],
      [`[[${op('1')}]]`, false],
    ];
    for (const [text, expected] of cases) {
      const bytes = Buffer.from(text);
      expect({ text, read: reader.read(bytes, 1000, MAX_BODY_BYTES) > 0 }).toEqual({ text, read: expected });
      reader.done();
      same(text);
    }
  });

  it('declines a batch over its bound and an op over the byte bound, which have refusals of their own', () => {
    const op = (id: number) => `{"op":"submit","id":${id},"order":{"strategy":"s1","symbol":"BTC-USDT","side":"BUY","price":"1","quantity":"1"}}`;
    const three = `[${op(1)},${op(2)},${op(3)}]`;
    expect(reader.read(Buffer.from(three), 3, MAX_BODY_BYTES)).toBe(3);
    expect(reader.read(Buffer.from(three), 2, MAX_BODY_BYTES)).toBe(0);
    const big = `{"op":"submit","id":1,"order":{"strategy":"${'s'.repeat(MAX_BODY_BYTES)}","symbol":"BTC-USDT"}}`;
    expect(reader.read(Buffer.from(big), 10, MAX_BODY_BYTES)).toBe(0);
    expect(reader.read(Buffer.from(`[${op(1)},${big}]`), 10, MAX_BODY_BYTES)).toBe(0);
    // exactly at the bound: read
    const pad = MAX_BODY_BYTES - Buffer.byteLength(op(1));
    const atBound = `{"op":"submit","id":1,"order":{"strategy":"${'s'.repeat(2 + pad)}","symbol":"BTC-USDT","side":"BUY","price":"1","quantity":"1"}}`;
    expect(Buffer.byteLength(atBound)).toBe(MAX_BODY_BYTES);
    expect(reader.read(Buffer.from(`[${atBound}, ${atBound}]`), 10, MAX_BODY_BYTES)).toBe(2);
    reader.done();
    same(`[${atBound}, ${atBound}]`);
    same(`[${atBound}, ${atBound}x]`);
  });

  it('hands out each op\'s own strings while the values it keeps from op to op change: one byte apart, short and long, two and three in turn', () => {
    const long = 'x'.repeat(40);
    const values = ['abc', 'abd', 'abcd', 'ab', '', `${long}a`, `${long}b`, 'x'.repeat(32), `${'x'.repeat(31)}y`, 'x'.repeat(33)];
    // each field's value from the list in a pattern of its own: repeats, two alternating, three in turn
    const pick = (i: number, f: number): string => values[[i % 2, (i >> 1) % 3 + 2, i % values.length, (i * 7) % 5 + 5][f]!]!;
    const ops = Array.from({ length: 120 }, (_, i) => `{"op":"submit","id":${i},"order":{"strategy":"${pick(i, 0)}","symbol":"${pick(i, 1)}","side":"${pick(i, 2)}","price":"${pick(i, 3)}"}}`);
    same(`[${ops.join(',')}]`, 1000);
    expect(reader.read(Buffer.from(`[${ops.join(',')}]`), 1000, MAX_BODY_BYTES)).toBe(120);
    for (let i = 0; i < 120; i++) {
      const m = reader.op(i);
      expect([m.order.strategy, m.order.symbol, m.order.side, m.order.price]).toEqual([pick(i, 0), pick(i, 1), pick(i, 2), pick(i, 3)]);
    }
    reader.done();
  });

  it('hands out batches larger than its first capacity, and strings repeated across ops are the same values', () => {
    const ops = Array.from({ length: 300 }, (_, i) => `{"op":"submit","id":${i},"order":{"strategy":"s${i % 3}","symbol":"BTC-USDT","side":"${i & 1 ? 'BUY' : 'SELL'}","price":"${60000 + (i % 5)}","quantity":"0.0001","clientOrderId":"c${i}"}}`);
    same(`[${ops.join(',')}]`, 1000);
    expect(reader.read(Buffer.from(`[${ops.join(',')}]`), 1000, MAX_BODY_BYTES)).toBe(300);
    for (let i = 0; i < 300; i++) {
      const m = reader.op(i);
      expect([m.id, m.order.strategy, m.order.side, m.order.price, m.order.clientOrderId]).toEqual([i, `s${i % 3}`, i & 1 ? 'BUY' : 'SELL', `${60000 + (i % 5)}`, `c${i}`]);
    }
    reader.done();
  });
});
