/**
 * The order log (src/telemetry/order-log.ts) follows the logger's level as it is now: at info the decisions and
 * fills, at debug every event in full, at warn nothing per order — and a level changed at run time takes effect
 * at the next transition.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { OrderTracker } from '../../src/core/order-tracker.js';
import { ManualClock } from '../../src/model/clock.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { orderLogListener } from '../../src/telemetry/order-log.js';
import { newOrderFields, testStore } from '../helpers/model.js';

function rig(level: string, child = false) {
  const lines: { msg: string; level: number }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n')) if (l !== '') lines.push(JSON.parse(l) as { msg: string; level: number });
      done();
    },
  });
  const root = createLogger(level, 'test', sink);
  const log = child ? root.child({ part: 'orders' }) : root;
  const store = testStore();
  const tracker = new OrderTracker(store, new ManualClock(1_700_000_000_000), { retainFinished: 100 });
  tracker.listen(orderLogListener(log, tracker));
  let id = 0;
  const order = (): void => {
    const slot = tracker.create(++id, newOrderFields(store));
    tracker.applySlot(slot, { kind: 'SUBMIT', venue: 'v1' });
    tracker.applySlot(slot, { kind: 'ACCEPT', venueOrderId: `v1-${id}` });
    tracker.applySlot(slot, { kind: 'CANCELED', reason: 'test' });
  };
  const flushed = (): Promise<void> => new Promise((r) => setImmediate(r));
  return { root, log, lines, order, flushed };
}

describe('order log levels', () => {
  it('info: the decisions (routed, canceled), not the acknowledgement', async () => {
    const r = rig('info');
    r.order();
    await r.flushed();
    expect(r.lines.map((l) => l.msg)).toEqual(['order routed', 'order canceled']);
  });

  it('debug: every event in full', async () => {
    const r = rig('debug');
    r.order();
    await r.flushed();
    expect(r.lines.map((l) => l.msg)).toEqual(['order event', 'order event', 'order event']);
  });

  it('warn: nothing per order; a level changed at run time takes effect at once', async () => {
    const r = rig('warn');
    r.order();
    await r.flushed();
    expect(r.lines).toEqual([]);
    r.log.level = 'info';
    r.order();
    await r.flushed();
    expect(r.lines.map((l) => l.msg)).toEqual(['order routed', 'order canceled']);
    r.log.level = 'debug';
    r.order();
    await r.flushed();
    expect(r.lines.map((l) => l.msg).slice(2)).toEqual(['order event', 'order event', 'order event']);
  });

  it('on a child logger: follows the child\'s own level, not its parent\'s (pino does not pass a level change down)', async () => {
    const r = rig('warn', true);
    r.root.level = 'debug';
    r.order();
    await r.flushed();
    expect(r.lines).toEqual([]);
    r.log.level = 'info';
    r.order();
    await r.flushed();
    expect(r.lines.map((l) => l.msg)).toEqual(['order routed', 'order canceled']);
    r.root.level = 'warn';
    r.order();
    await r.flushed();
    expect(r.lines.map((l) => l.msg).slice(2)).toEqual(['order routed', 'order canceled']);
  });
});
