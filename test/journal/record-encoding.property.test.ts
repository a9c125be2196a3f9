/**
 * The recorder's UPDATE and ORDER records, byte for byte: the encoder (journal-recorder.ts, putString in
 * order-records.ts) against a reference copy of the encoder as it was before its fast paths (one string switch,
 * KIND_CODE lookup, a scan then a copy per string), on random updates with ASCII, non-ASCII (lone surrogates
 * too), empty, long and concatenated (cons) strings; and the decoders give the values back.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { NO_VENUE, OrderView, type OrderStore } from '../../src/core/order-store.js';
import { JournalRecorder } from '../../src/journal/journal-recorder.js';
import { Journal } from '../../src/journal/journal.js';
import {
  FILL_FEE_ESTIMATED, FILL_V2, KIND_CODE, K_ACCEPT, K_AMEND_REJECT, K_AMEND_REQUEST, K_AMENDED, K_CANCEL_REJECT,
  K_CANCEL_REQUEST, K_CANCELED, K_DENY, K_EXPIRE, K_FILL, K_REJECT, K_ROUTE, K_SUBMIT, K_TRIGGER, MAKER, REC_ORDER,
  REC_EVENT, REC_UPDATE, TAKER, UPDATE_FIXED, UPDATE_KINDS, decodeOrderRecord, decodeOrderRecordInto, decodeUpdateRecord, decodeUpdateRecordInto, newOrderRecordFields, putString, putUtf8, stringBound,
} from '../../src/journal/order-records.js';
import type { OrderUpdate, Transition } from '../../src/model/lifecycle.js';
import type { Fill } from '../../src/model/order.js';
import { newOrderFields, testStore } from '../helpers/model.js';
import { collect, tempDir } from './helpers.js';

const VENUES = ['v1', 'v2'];
const encoder = new TextEncoder();
const decoder = new TextDecoder();

// ---- the reference: the encoder before its fast paths, kept as it was ----

function refPutString(buf: Uint8Array, off: number, text: string | undefined): number {
  const s = text ?? '';
  let ascii = true;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) { ascii = false; break; }
  if (ascii) {
    buf[off] = s.length & 0xff;
    buf[off + 1] = s.length >>> 8;
    for (let i = 0; i < s.length; i++) buf[off + 2 + i] = s.charCodeAt(i);
    return off + 2 + s.length;
  }
  const r = encoder.encodeInto(s, buf.subarray(off + 2));
  buf[off] = r.written & 0xff;
  buf[off + 1] = r.written >>> 8;
  return off + 2 + r.written;
}

function refBound(update: OrderUpdate): number {
  let bound = UPDATE_FIXED;
  switch (update.kind) {
    case 'FILL': bound += stringBound(update.fill.tradeId) + stringBound(update.fill.fee) + stringBound(update.fill.feeCurrency) + 8; break;
    case 'ACCEPT': bound += stringBound(update.venueOrderId) + 2; break;
    case 'DENY': case 'REJECT': bound += stringBound(update.reason) + 2; break;
    case 'CANCELED': case 'CANCEL_REJECT': case 'EXPIRE': case 'AMEND_REJECT': bound += stringBound(update.reason) + 2; break;
    case 'AMENDED': bound += stringBound(update.venueOrderId) + stringBound(update.clientOrderId); break;
    case 'AMEND_REQUEST': bound += stringBound(update.clientOrderId) + 2; break;
    default: bound += 4;
  }
  return bound;
}

/** The UPDATE payload as the recorder wrote it before (its encodeUpdate, venue indexes from the store). */
function refEncodeUpdate(store: OrderStore, id: number, updatedAt: number, u: OrderUpdate): { bytes: Uint8Array; bound: number } {
  const bound = refBound(u);
  const buf = new Uint8Array(bound);
  const v = new DataView(buf.buffer);
  v.setFloat64(0, id, true);
  v.setFloat64(8, updatedAt, true);
  buf[16] = KIND_CODE[u.kind];
  buf[17] = NO_VENUE;
  let end = UPDATE_FIXED;
  switch (u.kind) {
    case 'SUBMIT':
    case 'ROUTE':
      buf[17] = store.venueIndex(u.venue);
      end = refPutString(buf, refPutString(buf, end, undefined), undefined);
      break;
    case 'FILL':
      buf[17] = store.venueIndex(u.fill.venue);
      buf[18] = u.fill.liquidity === 'MAKER' ? MAKER : TAKER;
      v.setFloat64(8, u.fill.ts, true);
      v.setFloat64(24, u.fill.priceTicks, true);
      v.setFloat64(32, u.fill.qtyLots, true);
      buf[19] = FILL_V2 | (u.fill.feeEstimated === true ? FILL_FEE_ESTIMATED : 0);
      end = refPutString(buf, refPutString(buf, refPutString(buf, end, u.fill.tradeId), u.fill.fee), u.fill.feeCurrency);
      v.setFloat64(end, u.fill.venueTs, true);
      end += 8;
      break;
    case 'ACCEPT':
      end = refPutString(buf, refPutString(buf, end, u.venueOrderId), undefined);
      break;
    case 'DENY':
    case 'REJECT':
    case 'CANCELED':
    case 'CANCEL_REJECT':
    case 'EXPIRE':
    case 'AMEND_REJECT':
      end = refPutString(buf, refPutString(buf, end, u.reason), undefined);
      break;
    case 'AMEND_REQUEST':
      v.setFloat64(24, u.priceTicks, true);
      v.setFloat64(32, u.qtyLots, true);
      end = refPutString(buf, refPutString(buf, end, u.clientOrderId), undefined);
      break;
    case 'AMENDED':
      v.setFloat64(24, u.priceTicks, true);
      v.setFloat64(32, u.qtyLots, true);
      end = refPutString(buf, refPutString(buf, end, u.venueOrderId), u.clientOrderId);
      break;
    default:
      end = refPutString(buf, refPutString(buf, end, undefined), undefined);
  }
  return { bytes: buf.slice(0, end), bound };
}

// ---- a journal that keeps what the recorder appends, over a buffer full of junk ----

interface Appended { type: number; maxLength: number; payload: Uint8Array }

/**
 * Just the part of Journal the recorder appends through. The write buffer is filled with junk before every
 * record, so an encoder that leaves a byte unwritten (relying on zeroed memory) shows.
 */
class CapturingJournal {
  readonly records: Appended[] = [];
  readonly closed = false;
  private readonly buf = new Uint8Array(1 << 20);
  private junk = 0x5a;

  get lastSeq(): number {
    return this.records.length;
  }

  appendWith(type: number, maxLength: number, encode: (buf: Uint8Array, offset: number) => number): number {
    this.junk = (this.junk * 31 + 7) & 0xff;
    this.buf.fill(this.junk);
    // an odd offset, as in the journal (13-byte record headers)
    const at = 13 + (this.records.length % 8);
    const len = encode(this.buf, at);
    this.records.push({ type, maxLength, payload: this.buf.slice(at, at + len) });
    return this.records.length;
  }

  append(type: number, payload: Uint8Array): number {
    this.records.push({ type, maxLength: payload.length, payload: payload.slice() });
    return this.records.length;
  }
}

// ---- random updates ----

/** UTF-16 code units of every kind: ASCII, Latin-1, the BMP, high and low surrogates (lone or paired). */
const codeUnit = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0x1f }) },
  { weight: 1, arbitrary: fc.integer({ min: 0x7f, max: 0xff }) },
  { weight: 1, arbitrary: fc.integer({ min: 0x100, max: 0xffff }) },
  { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }) },
).map((c) => String.fromCharCode(c));

/** Strings as they come: empty, short ASCII, anything, long, and made by concatenation (cons strings in V8). */
const text: fc.Arbitrary<string> = fc.oneof(
  fc.constant(''),
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 }),
  fc.string({ unit: codeUnit, maxLength: 40 }),
  fc.string({ unit: codeUnit, minLength: 200, maxLength: 1200 }),
  fc.tuple(fc.string({ maxLength: 12 }), fc.integer({ min: 0, max: 2 ** 40 })).map(([a, n]) => `${a}-venue-t${n}`),
  fc.constantFrom('USDT', 'user "quoted" é', 'emoji 🚀 and 中文', 'lone \ud800 surrogate', 'x\udc00', '\u00ff\u0080'),
);
const maybeText = fc.option(text, { nil: undefined });
const venue = fc.constantFrom('v1', 'v2', 'not-configured');
const num = fc.oneof(fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }), fc.double(), fc.constantFrom(0, -0, NaN, Infinity));

const fillArb: fc.Arbitrary<Fill> = fc.record({
  orderId: fc.integer({ min: 1, max: 2 ** 40 }),
  tradeId: text,
  venue,
  priceTicks: num,
  qtyLots: num,
  fee: text,
  feeCurrency: text,
  feeEstimated: fc.option(fc.boolean(), { nil: undefined }),
  liquidity: fc.constantFrom('MAKER' as const, 'TAKER' as const),
  ts: num,
  venueTs: num,
}, { requiredKeys: ['orderId', 'tradeId', 'venue', 'priceTicks', 'qtyLots', 'fee', 'feeCurrency', 'liquidity', 'ts', 'venueTs'] });

/** Every update kind the recorder writes. */
const updateArb: fc.Arbitrary<OrderUpdate> = fc.oneof(
  venue.map((v): OrderUpdate => ({ kind: 'SUBMIT', venue: v })),
  venue.map((v): OrderUpdate => ({ kind: 'ROUTE', venue: v })),
  fc.constantFrom('NO_ROUTE', 'RISK_LIMIT').map((r): OrderUpdate => ({ kind: 'DENY', reason: r as never })),
  maybeText.map((t): OrderUpdate => ({ kind: 'ACCEPT', venueOrderId: t })),
  text.map((t): OrderUpdate => ({ kind: 'REJECT', reason: t })),
  fillArb.map((f): OrderUpdate => ({ kind: 'FILL', fill: f })),
  fc.constant<OrderUpdate>({ kind: 'CANCEL_REQUEST' }),
  maybeText.map((t): OrderUpdate => ({ kind: 'CANCELED', reason: t })),
  maybeText.map((t): OrderUpdate => ({ kind: 'CANCEL_REJECT', reason: t })),
  maybeText.map((t): OrderUpdate => ({ kind: 'EXPIRE', reason: t })),
  fc.constant<OrderUpdate>({ kind: 'TRIGGER' }),
  fc.record({ p: num, q: num, c: maybeText }).map(({ p, q, c }): OrderUpdate => ({ kind: 'AMEND_REQUEST', priceTicks: p, qtyLots: q, clientOrderId: c })),
  fc.record({ p: num, q: num, v: maybeText, c: maybeText }).map(({ p, q, v, c }): OrderUpdate => (
    { kind: 'AMENDED', priceTicks: p, qtyLots: q, venueOrderId: v, clientOrderId: c })),
  maybeText.map((t): OrderUpdate => ({ kind: 'AMEND_REJECT', reason: t })),
);

/** A string as it reads back: the UTF-8 round trip (a lone surrogate becomes U+FFFD). */
function utf8(s: string | undefined): string {
  return decoder.decode(encoder.encode(s ?? ''));
}

/** What decodeUpdateRecord gives for `u` recorded for order `id` at `updatedAt`. */
function expectedDecode(id: number, updatedAt: number, u: OrderUpdate): { orderId: number; ts: number; update: OrderUpdate } {
  const venueName = (v: string): string => (VENUES.includes(v) ? v : `#${NO_VENUE}`);
  const opt = (s: string | undefined): string | undefined => (utf8(s) === '' ? undefined : utf8(s));
  let update: OrderUpdate;
  switch (u.kind) {
    case 'SUBMIT': case 'ROUTE': update = { kind: u.kind, venue: venueName(u.venue) }; break;
    case 'FILL': {
      const f = u.fill;
      return {
        orderId: id, ts: f.ts,
        update: {
          kind: 'FILL',
          fill: {
            orderId: id, tradeId: utf8(f.tradeId), venue: venueName(f.venue), priceTicks: f.priceTicks, qtyLots: f.qtyLots, fee: utf8(f.fee),
            feeCurrency: utf8(f.feeCurrency), feeEstimated: f.feeEstimated === true, liquidity: f.liquidity, ts: f.ts, venueTs: f.venueTs,
          },
        },
      };
    }
    case 'ACCEPT': update = { kind: u.kind, venueOrderId: opt(u.venueOrderId) }; break;
    case 'DENY': update = { kind: u.kind, reason: utf8(u.reason) as never }; break;
    case 'REJECT': update = { kind: u.kind, reason: utf8(u.reason) }; break;
    case 'CANCELED': case 'CANCEL_REJECT': case 'EXPIRE': case 'AMEND_REJECT': update = { kind: u.kind, reason: opt(u.reason) }; break;
    case 'AMEND_REQUEST': update = { kind: u.kind, priceTicks: u.priceTicks, qtyLots: u.qtyLots, clientOrderId: opt(u.clientOrderId) }; break;
    case 'AMENDED':
      update = { kind: u.kind, priceTicks: u.priceTicks, qtyLots: u.qtyLots, venueOrderId: opt(u.venueOrderId), clientOrderId: opt(u.clientOrderId) };
      break;
    default: update = u;
  }
  return { orderId: id, ts: updatedAt, update };
}

const APPLIED = { outcome: 'APPLIED' } as unknown as Transition;

/** A recorder over a test store with one order, writing into a CapturingJournal. */
function rig(): { store: OrderStore; view: OrderView; recorder: JournalRecorder; journal: CapturingJournal } {
  const store = testStore({ venues: VENUES, capacity: 4 });
  const slot = store.create(7, newOrderFields(store, { clientOrderId: 'given-7' }));
  const view = new OrderView(store).at(slot);
  const recorder = new JournalRecorder(store);
  const journal = new CapturingJournal();
  recorder.attach(journal as unknown as Journal);
  return { store, view, recorder, journal };
}

describe('UPDATE and ORDER record encoding', () => {
  it('the literal kind codes are KIND_CODE', () => {
    const literal = {
      SUBMIT: K_SUBMIT, DENY: K_DENY, ACCEPT: K_ACCEPT, REJECT: K_REJECT, FILL: K_FILL, CANCEL_REQUEST: K_CANCEL_REQUEST, CANCELED: K_CANCELED,
      CANCEL_REJECT: K_CANCEL_REJECT, EXPIRE: K_EXPIRE, TRIGGER: K_TRIGGER, ROUTE: K_ROUTE, AMEND_REQUEST: K_AMEND_REQUEST, AMENDED: K_AMENDED,
      AMEND_REJECT: K_AMEND_REJECT,
    };
    expect(Object.keys(literal)).toEqual([...UPDATE_KINDS]);
    expect(literal).toEqual(KIND_CODE);
  });

  it('putString writes the same bytes as the reference, within stringBound, on any string', () => {
    fc.assert(
      fc.property(maybeText, fc.integer({ min: 0, max: 9 }), (s, off) => {
        const bound = stringBound(s);
        const a = new Uint8Array(off + bound).fill(0xee);
        const b = new Uint8Array(off + bound).fill(0x11);
        const endA = putString(a, off, s);
        const endB = refPutString(b, off, s);
        expect(endA).toBe(endB);
        expect(endA - off).toBeLessThanOrEqual(bound);
        expect(a.subarray(off, endA)).toEqual(b.subarray(off, endB));
        // the general path writes the same bytes for any string, ASCII or not
        const c = new Uint8Array(off + bound);
        expect(c.subarray(off, putUtf8(c, off, s ?? ''))).toEqual(b.subarray(off, endB));
      }),
      { numRuns: 2000 },
    );
  });

  it('putString writes a null (a field an adapter filled from JSON) as the empty string, as before', () => {
    const a = new Uint8Array(4).fill(9);
    const b = new Uint8Array(4).fill(9);
    const nul = null as unknown as string;
    expect(putString(a, 1, nul)).toBe(refPutString(b, 1, nul));
    expect(a).toEqual(b);
    expect([...a]).toEqual([9, 0, 0, 9]);
  });

  it('every update kind: the recorder writes the reference bytes within its bound, and they decode to the update', () => {
    const { store, view, recorder, journal } = rig();
    fc.assert(
      fc.property(fc.array(fc.tuple(updateArb, num), { minLength: 1, maxLength: 20 }), (steps) => {
        for (const [u, updatedAt] of steps) {
          store.updatedAt[view.slot] = updatedAt;
          const before = journal.records.length;
          recorder.onTransition(view, u, APPLIED);
          expect(journal.records.length).toBe(before + 1);
          const rec = journal.records[before]!;
          const ref = refEncodeUpdate(store, view.id, store.updatedAt[view.slot]!, u);
          expect(rec.type).toBe(REC_UPDATE);
          expect(rec.maxLength).toBe(ref.bound);
          expect(rec.payload).toEqual(ref.bytes);
          expect(decodeUpdateRecord(rec.payload, 0, rec.payload.length, VENUES))
            .toEqual(expectedDecode(view.id, store.updatedAt[view.slot]!, u));
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('a record decodes the same inside a larger buffer, and one cut short throws a RangeError instead of reading on', () => {
    const { store, view, recorder, journal } = rig();
    const reusedUpdate = decodeUpdateRecord(new Uint8Array(UPDATE_FIXED + 4), 0, UPDATE_FIXED + 4, VENUES);
    const reusedOrder = newOrderRecordFields();
    fc.assert(
      fc.property(updateArb, num, fc.nat(16), fc.uint8Array({ minLength: 64, maxLength: 64 }), (u, updatedAt, lead, trailing) => {
        store.updatedAt[view.slot] = updatedAt;
        const before = journal.records.length;
        recorder.onTransition(view, u, APPLIED);
        const payload = journal.records[before]!.payload;
        // in a batch a record is followed by others: the decoder must stop at its own end
        const big = new Uint8Array(lead + payload.length + trailing.length);
        big.set(payload, lead);
        big.set(trailing, lead + payload.length);
        expect(decodeUpdateRecord(big, lead, payload.length, VENUES)).toEqual(expectedDecode(view.id, store.updatedAt[view.slot]!, u));
        // into one object for every record (as the replay decodes): the same, whatever the record before it held
        expect(decodeUpdateRecordInto(big, lead, payload.length, VENUES, reusedUpdate)).toEqual(expectedDecode(view.id, store.updatedAt[view.slot]!, u));
        for (let cut = 0; cut < payload.length; cut++) {
          expect(() => decodeUpdateRecord(big, lead, cut, VENUES)).toThrow(RangeError);
          expect(() => decodeUpdateRecordInto(big, lead, cut, VENUES, reusedUpdate)).toThrow(RangeError);
        }
        // a record that failed left the object as it was
        expect(reusedUpdate).toEqual(expectedDecode(view.id, store.updatedAt[view.slot]!, u));
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.option(fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/), { nil: undefined }), fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2 ** 40 })),
        fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1e9 })), fc.nat(16), fc.uint8Array({ minLength: 64, maxLength: 64 }), (cid, parent, paramA, lead, trailing) => {
          const s2 = testStore({ venues: VENUES, capacity: 2 });
          const r2 = new JournalRecorder(s2);
          const j2 = new CapturingJournal();
          r2.attach(j2 as unknown as Journal);
          const slot = s2.create(7, { ...newOrderFields(s2, { clientOrderId: cid, side: 'BUY', priceTicks: 5, qtyLots: 3 }), parent, paramA });
          r2.onCreate(new OrderView(s2).at(slot));
          const payload = j2.records[0]!.payload;
          const big = new Uint8Array(lead + payload.length + trailing.length);
          big.set(payload, lead);
          big.set(trailing, lead + payload.length);
          const want = decodeOrderRecord(payload, 0, payload.length);
          expect(decodeOrderRecord(big, lead, payload.length)).toEqual(want);
          // into one object for every record (as the replay decodes): the same, whatever the record before it held
          expect(decodeOrderRecordInto(big, lead, payload.length, reusedOrder)).toEqual(want);
          for (let cut = 0; cut < payload.length; cut++) {
            expect(() => decodeOrderRecord(big, lead, cut)).toThrow(RangeError);
            expect(() => decodeOrderRecordInto(big, lead, cut, reusedOrder)).toThrow(RangeError);
          }
          expect(reusedOrder).toEqual(want);
        }),
      { numRuns: 200 },
    );
  });

  it('a late ACK (onAnomaly) and a close-out (closeOut) write the reference bytes', () => {
    fc.assert(
      fc.property(text, text, num, (vid, reason, ts) => {
        const { store, view, recorder, journal } = rig();
        const ack: OrderUpdate = { kind: 'ACCEPT', venueOrderId: vid };
        recorder.onAnomaly(view, ack, { outcome: 'IGNORED' } as unknown as Transition);
        expect(journal.records[0]!.payload).toEqual(refEncodeUpdate(store, view.id, store.updatedAt[view.slot]!, ack).bytes);
        recorder.closeOut(99, ts, reason);
        const canceled: OrderUpdate = { kind: 'CANCELED', reason };
        expect(journal.records[1]!.payload).toEqual(refEncodeUpdate(store, 99, ts, canceled).bytes);
      }),
      { numRuns: 300 },
    );
  });

  it('EVENT records (event()) are the UTF-8 of the body\'s JSON, written into the journal\'s buffer within their bound, or encoded first when long', () => {
    fc.assert(
      fc.property(fc.dictionary(text, fc.oneof(text, num, fc.array(text, { maxLength: 3 }))), fc.boolean(), (body, long) => {
        const { recorder, journal } = rig();
        // long: a text whose bound passes the direct limit goes through append() (a copy of its encoding)
        const b: Record<string, unknown> = long ? { ...body, pad: 'x'.repeat(30_000) } : body;
        expect(recorder.event(b)).toBe(1);
        const r = journal.records[0]!;
        expect(r.type).toBe(REC_EVENT);
        // compared as bytes at once (toEqual walks a 30 KB array element by element: seconds per run under load)
        const want = encoder.encode(JSON.stringify(b));
        expect(Buffer.from(r.payload.buffer, r.payload.byteOffset, r.payload.length).equals(want), 'the UTF-8 of the JSON').toBe(true);
        expect(r.payload.length).toBeLessThanOrEqual(r.maxLength);
      }),
      { numRuns: 300 },
    );
  });

  it('ORDER records decode to the order (client order id given or derived, parent, extension block)', () => {
    fc.assert(
      fc.property(
        fc.record({
          id: fc.integer({ min: 1, max: 2 ** 53 - 1 }),
          cid: fc.option(fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/), { nil: undefined }),
          parent: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2 ** 53 - 1 })),
          paramA: fc.oneof(fc.constant(0), fc.integer({ min: -1e9, max: 1e9 })),
          arrivalMid: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2e9 }).map((n) => n / 2)),
          price: fc.integer({ min: 0, max: 2 ** 40 }),
          qty: fc.integer({ min: 1, max: 2 ** 40 }),
          producerSeq: fc.integer({ min: 0, max: 2 ** 53 - 1 }),
          tag: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
          sell: fc.boolean(),
        }),
        (o) => {
          const store = testStore({ venues: VENUES, capacity: 2 });
          const recorder = new JournalRecorder(store);
          const journal = new CapturingJournal();
          recorder.attach(journal as unknown as Journal);
          const fields = {
            ...newOrderFields(store, { clientOrderId: o.cid, side: o.sell ? 'SELL' : 'BUY', priceTicks: o.price, qtyLots: o.qty }),
            producerSeq: o.producerSeq, tag: o.tag, parent: o.parent, paramA: o.paramA, arrivalMid: o.arrivalMid,
          };
          const slot = store.create(o.id, fields);
          recorder.onCreate(new OrderView(store).at(slot));
          const rec = journal.records[0]!;
          expect(rec.type).toBe(REC_ORDER);
          expect(rec.payload.length).toBeLessThanOrEqual(rec.maxLength);
          const d = decodeOrderRecord(rec.payload, 0, rec.payload.length);
          expect(d.id).toBe(o.id);
          expect(d.clientOrderId).toBe(store.clientOrderId(slot));
          expect(d.parent).toBe(o.parent);
          expect(d.paramA).toBe(o.paramA);
          expect(d.arrivalMid).toBe(o.arrivalMid);
          expect(d.priceTicks).toBe(o.price);
          expect(d.qtyLots).toBe(o.qty);
          expect(d.producerSeq).toBe(o.producerSeq);
          expect(d.tag).toBe(o.tag);
          expect(d.side).toBe(fields.side);
        },
      ),
      { numRuns: 500 },
    );
  });

  const root = tempDir('record-encoding-', true);
  afterAll(() => root.cleanup());

  it('through a real journal: the records read back are the reference bytes', async () => {
    const updates = fc.sample(updateArb, { numRuns: 400, seed: 20261202 });
    const store = testStore({ venues: VENUES, capacity: 4 });
    const slot = store.create(11, newOrderFields(store));
    const view = new OrderView(store).at(slot);
    const recorder = new JournalRecorder(store);
    const journal = await Journal.open(root.dir, { maxDelayMs: 1 });
    recorder.attach(journal);
    const expected: Uint8Array[] = [];
    for (let i = 0; i < updates.length; i++) {
      store.updatedAt[slot] = 1_000 + i;
      recorder.onTransition(view, updates[i]!, APPLIED);
      expected.push(refEncodeUpdate(store, 11, 1_000 + i, updates[i]!).bytes);
    }
    await journal.close();
    const { records } = collect(root.dir);
    expect(records.map((r) => r.type)).toEqual(updates.map(() => REC_UPDATE));
    records.forEach((r, i) => expect(r.payload).toEqual(expected[i]));
  });
});
