/**
 * Metric labels are bounded (issue 10, item 7): switchyard_rejects_total{code} carries a catalogue code, never a
 * venue's message, so the number of its series is bounded by the catalogue whatever the venues say.
 */
import { describe, expect, it } from 'vitest';
import { OrderTracker } from '../../src/core/order-tracker.js';
import { ManualClock } from '../../src/model/clock.js';
import { ERROR_CATALOGUE } from '../../src/model/errors.js';
import { Metrics } from '../../src/telemetry/metrics.js';
import { metricValue } from '../helpers/http.js';
import { newOrderFields, testStore } from '../helpers/model.js';

function rig() {
  const store = testStore();
  const clock = new ManualClock(1_700_000_000_000);
  const tracker = new OrderTracker(store, clock, { retainFinished: 10_000 });
  const metrics = new Metrics(clock, store.venueNames, store.strategyIds);
  tracker.listen(metrics);
  let id = 0;
  const reject = (reason: string): void => {
    const slot = tracker.create(++id, newOrderFields(store));
    tracker.applySlot(slot, { kind: 'SUBMIT', venue: 'v1' });
    tracker.applySlot(slot, { kind: 'REJECT', reason });
  };
  return { metrics, reject };
}

/** The values of one label of one metric in exposition text. */
function labelValues(text: string, name: string, label: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const m = new RegExp(`${label}="((?:[^"\\\\]|\\\\.)*)"`).exec(line);
    if (m !== null) out.push(m[1]!);
  }
  return out;
}

describe('switchyard_rejects_total labels', () => {
  it('a venue rejection with a long message is counted under its catalogue code only', async () => {
    const { metrics, reject } = rig();
    const message = `VENUE_REJECTED: binance -2010 Account has insufficient balance for requested action. ${'detail '.repeat(80)}`;
    reject(message);
    const text = await metrics.render();
    expect(labelValues(text, 'switchyard_rejects_total', 'code')).toEqual(['VENUE_REJECTED']);
    expect(metricValue(text, 'switchyard_rejects_total', { code: 'VENUE_REJECTED' })).toBe(1);
    expect(text).not.toContain('insufficient balance');
  });

  it('the number of distinct label values is bounded by the catalogue, however many distinct messages arrive', async () => {
    const { metrics, reject } = rig();
    const codes = Object.keys(ERROR_CATALOGUE);
    for (let i = 0; i < 2000; i++) {
      switch (i % 5) {
        case 0: reject(`VENUE_REJECTED: venue said ${i}`); break; // catalogue code before ':'
        case 1: reject(codes[i % codes.length]!); break; // a bare catalogue code
        case 2: reject(`refused by the venue (status ${i})`); break; // a message without a code
        case 3: reject(`NOT_A_CODE_${i}: something`); break; // a prefix that is not a catalogue code
        default: reject(`rejected at the venue: ${i}`);
      }
      metrics.edgeReject(`made-up code ${i}`);
    }
    const labels = labelValues(await metrics.render(), 'switchyard_rejects_total', 'code');
    const allowed = new Set([...codes, 'OTHER']);
    expect(labels.every((l) => allowed.has(l))).toBe(true);
    expect(new Set(labels).size).toBe(labels.length);
    expect(labels.length).toBeLessThanOrEqual(allowed.size);
    const text = await metrics.render();
    expect(metricValue(text, 'switchyard_rejects_total', { code: 'VENUE_REJECTED' })).toBe(400 + countOf(codes, 'VENUE_REJECTED'));
    // messages without a catalogue code (3 of 5 rejections, and every made-up edge code) are OTHER
    expect(metricValue(text, 'switchyard_rejects_total', { code: 'OTHER' })).toBe(1200 + 2000);
    // every rejection is counted once, under some label
    expect(metricValue(text, 'switchyard_rejects_total')).toBe(4000);
  });
});

/** How many of the bare-code rejections (i % 5 === 1, code codes[i % n]) named `code`. */
function countOf(codes: readonly string[], code: string): number {
  let n = 0;
  for (let i = 0; i < 2000; i++) if (i % 5 === 1 && codes[i % codes.length] === code) n++;
  return n;
}
