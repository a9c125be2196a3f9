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
  /** One order through its lifecycle: the messages it logged. */
  const logged = async (): Promise<string[]> => {
    const before = lines.length;
    order();
    await flushed();
    return lines.slice(before).map((l) => l.msg);
  };
  return { root, log, logged };
}

const ROUTED_CANCELED = ['order routed', 'order canceled'];
const EVERY_EVENT = ['order event', 'order event', 'order event'];

describe('order log levels', () => {
  it('info: the decisions (routed, canceled), not the acknowledgement', async () => {
    expect(await rig('info').logged()).toEqual(ROUTED_CANCELED);
  });

  it('debug: every event in full', async () => {
    expect(await rig('debug').logged()).toEqual(EVERY_EVENT);
  });

  it('warn: nothing per order; a level changed at run time takes effect at once', async () => {
    const r = rig('warn');
    expect(await r.logged()).toEqual([]);
    r.log.level = 'info';
    expect(await r.logged()).toEqual(ROUTED_CANCELED);
    r.log.level = 'debug';
    expect(await r.logged()).toEqual(EVERY_EVENT);
  });

  it('on a child logger: follows the child\'s own level, not its parent\'s (pino does not pass a level change down)', async () => {
    const r = rig('warn', true);
    r.root.level = 'debug';
    expect(await r.logged()).toEqual([]);
    r.log.level = 'info';
    expect(await r.logged()).toEqual(ROUTED_CANCELED);
    r.root.level = 'warn';
    expect(await r.logged()).toEqual(ROUTED_CANCELED);
  });
});
