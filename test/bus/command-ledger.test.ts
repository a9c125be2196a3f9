import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CommandLedger, MAX_AGAIN } from '../../src/bus/command-ledger.js';
import { compareEntryIds } from '../../src/bus/protocol.js';

/** Stream entry ids compared the slow sure way (BigInt), as Redis orders them. */
function referenceCompare(a: string, b: string): number {
  const [am, as = '0'] = a.split('-');
  const [bm, bs = '0'] = b.split('-');
  const d = BigInt(am!) - BigInt(bm!) || BigInt(as) - BigInt(bs);
  return d === 0n ? 0 : d < 0n ? -1 : 1;
}

describe('stream entry ids', () => {
  it('compare as Redis orders them, at any size (20-digit parts included), without BigInt', () => {
    const part = fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 0n, max: 20n }), fc.constant(0n));
    // as Redis writes them, and with leading zeros (the same numbers: compared digit by digit, not as text)
    const digits = fc.tuple(part, fc.nat({ max: 3 })).map(([n, zeros]) => `${'0'.repeat(zeros)}${n}`);
    const id = fc.oneof(fc.tuple(part, part).map(([ms, seq]) => `${ms}-${seq}`), fc.tuple(digits, digits).map(([ms, seq]) => `${ms}-${seq}`));
    fc.assert(fc.property(id, id, (a, b) => {
      expect(compareEntryIds(a, b)).toBe(referenceCompare(a, b));
      expect(compareEntryIds(b, a)).toBe(referenceCompare(b, a));
      expect(compareEntryIds(a, a)).toBe(0);
    }), { numRuns: 2000 });
    expect(compareEntryIds('9-0', '10-0')).toBe(-1);
    expect(compareEntryIds('1700000000000-9', '1700000000000-10')).toBe(-1);
    expect(compareEntryIds('18446744073709551615-0', '18446744073709551614-5')).toBe(1);
    expect(compareEntryIds('5', '5-0')).toBe(0);
    expect(compareEntryIds('05-1', '10-0')).toBe(-1);
    expect(compareEntryIds('10-01', '10-1')).toBe(0);
    expect(compareEntryIds('10-0', '09-9')).toBe(1);
  });
});

describe('command ledger', () => {
  it('lists its entries each with what byEntry() finds for it (the delivery\'s own client and answer shape)', () => {
    const ledger = new CommandLedger(2);
    expect(ledger.entryRecords('s1').size).toBe(0);
    ledger.add('s1', 'r1', { op: 'submit', ok: true, orderId: 1 }, '5-0', 'c1');
    ledger.add('s1', 'r2', { op: 'submit', ok: true, orderId: 2 }, '6-0', 'c1', 'ids');
    ledger.delivered('s1', 'r2', '8-0', 'c2', undefined);
    ledger.add('s1', 'r3', { op: 'cancel-all', ok: true }, '9-0', 'c1');
    const records = ledger.entryRecords('s1');
    expect([...records.keys()].sort()).toEqual(['6-0', '8-0', '9-0']);
    for (const [entry, rec] of records) expect(rec, entry).toEqual(ledger.byEntry('s1', entry));
    expect(records.get('6-0')).toMatchObject({ requestId: 'r2', client: 'c1', result: 'ids' });
    expect(records.get('8-0')).toMatchObject({ requestId: 'r2', client: 'c2', result: undefined });
  });

  it('keeps a command recorded again (sent again under a new entry) as its newest: the oldest other one is forgotten first', () => {
    const ledger = new CommandLedger(2);
    ledger.add('s1', 'r1', { op: 'submit', ok: true, orderId: 1 }, '5-0', 'c1');
    ledger.add('s1', 'r2', { op: 'submit', ok: true, orderId: 2 }, '6-0', 'c1');
    ledger.delivered('s1', 'r1', '8-0', 'c1', undefined);
    ledger.add('s1', 'r3', { op: 'submit', ok: true, orderId: 3 }, '9-0', 'c1');
    expect(ledger.get('s1', 'r2')).toBeUndefined();
    expect(ledger.get('s1', 'r1')?.again).toEqual([{ entry: '8-0', client: 'c1' }]);
    expect(ledger.size('s1')).toBe(2);
    expect(ledger.forgottenEntry('s1')).toBe('6-0');
  });

  it('lists the entries it remembers (first and sent again) and the newest it forgot, across a replay', () => {
    const events: Record<string, unknown>[] = [];
    const ledger = new CommandLedger(2, (e) => events.push(e));
    expect(ledger.entries('s1').size).toBe(0);
    expect(ledger.forgottenEntry('s1')).toBeUndefined();
    ledger.add('s1', 'r1', { op: 'submit', ok: true, orderId: 1 }, '5-0', 'c1');
    ledger.add('s1', 'r2', { op: 'submit', ok: true, orderId: 2 }, '6-0', 'c1');
    ledger.delivered('s1', 'r2', '8-0', 'c1', undefined);
    ledger.add('s2', 'r1', { op: 'cancel-all', ok: true }, '7-0', 'c1');
    expect([...ledger.entries('s1')].sort()).toEqual(['5-0', '6-0', '8-0']);
    ledger.add('s1', 'r3', { op: 'submit', ok: true, orderId: 3 }, '9-0', 'c1');
    expect([...ledger.entries('s1')].sort()).toEqual(['6-0', '8-0', '9-0']);
    expect(ledger.forgottenEntry('s1')).toBe('5-0');
    expect(ledger.forgottenEntry('s2')).toBeUndefined();
    const again = new CommandLedger(2);
    again.import(ledger.export());
    expect([...again.entries('s1')].sort()).toEqual(['6-0', '8-0', '9-0']);
    expect(again.forgottenEntry('s1')).toBe('5-0');
  });

  it('remembers outcomes per strategy, journals each one, and forgets the oldest beyond the window', () => {
    const events: Record<string, unknown>[] = [];
    const ledger = new CommandLedger(3, (e) => events.push(e));
    for (let i = 1; i <= 5; i++) ledger.add('s1', `r${i}`, { op: 'submit', ok: true, orderId: i });
    ledger.add('s2', 'r1', { op: 'cancel', ok: false, code: 'ORDER_NOT_FOUND', message: 'no order 9' });
    expect(events).toHaveLength(6);
    expect(events[0]).toEqual({ event: 'redis-command', strategy: 's1', requestId: 'r1', op: 'submit', ok: true, orderId: 1 });
    expect(ledger.size('s1')).toBe(3);
    expect(ledger.forgottenCount).toBe(2);
    expect(ledger.get('s1', 'r1')).toBeUndefined();
    expect(ledger.get('s1', 'r5')).toEqual({ op: 'submit', ok: true, orderId: 5 });
    // per strategy: the same request id of another strategy is another command
    expect(ledger.get('s2', 'r1')).toEqual({ op: 'cancel', ok: false, code: 'ORDER_NOT_FOUND', message: 'no order 9' });
    expect(ledger.get('s2', 'r5')).toBeUndefined();
  });

  it('is rebuilt by replay: snapshot section, then the events written after it', () => {
    const events: Record<string, unknown>[] = [];
    const a = new CommandLedger(100, (e) => events.push(e));
    a.add('s1', 'r1', { op: 'submit', ok: true, orderId: 1 });
    a.add('s1', 'r2', { op: 'cancel-all', ok: true, canceling: [4, 5], refused: [{ orderId: 6, code: 'ORDER_NOT_CANCELABLE', message: 'x'.repeat(600) }] });
    expect(a.get('s1', 'r2')?.refused?.[0]?.message).toHaveLength(500);
    const section = JSON.parse(JSON.stringify(a.export())) as unknown;
    a.add('s1', 'r3', { op: 'amend', ok: false, orderId: 1, code: 'VENUE_REJECTED', message: 'no' });
    const b = new CommandLedger(100);
    b.import(section);
    b.onEvent(JSON.parse(JSON.stringify(events[2])) as Record<string, unknown>);
    expect(b.export()).toEqual(a.export());
    // a cancel-all's orders come back from its event as well (what a replay answers)
    const d = new CommandLedger(100);
    d.onEvent(JSON.parse(JSON.stringify(events[1])) as Record<string, unknown>);
    expect(d.get('s1', 'r2')).toEqual(a.get('s1', 'r2'));
    expect(d.get('s1', 'r2')?.canceling).toEqual([4, 5]);
    // a smaller window after a restart keeps the newest
    const c = new CommandLedger(2);
    c.import(a.export());
    expect(c.get('s1', 'r1')).toBeUndefined();
    expect(c.get('s1', 'r3')?.code).toBe('VENUE_REJECTED');
    // import replaces what was there
    c.import({});
    expect(c.size()).toBe(0);
  });

  it('knows which stream entries may have had their outcome forgotten, across a snapshot and replay', () => {
    const events: Record<string, unknown>[] = [];
    const a = new CommandLedger(2, (e) => events.push(e));
    a.add('s1', 'r1', { op: 'cancel-all', ok: true, canceling: [] }, '100-0');
    a.add('s1', 'r2', { op: 'cancel', ok: true, orderId: 1 }, '100-1');
    a.add('s2', 'r9', { op: 'cancel', ok: true, orderId: 2 }, '50-0');
    expect(a.forgotten('s1', '99-5')).toBe(false); // nothing dropped yet
    a.add('s1', 'r3', { op: 'amend', ok: true, orderId: 1 }, '200-0'); // r1 dropped
    expect(events[3]).toMatchObject({ requestId: 'r3', entry: '200-0' });
    expect([a.forgotten('s1', '99-5'), a.forgotten('s1', '100-0'), a.forgotten('s1', '100-1'), a.forgotten('s2', '1-0')]).toEqual([true, true, false, false]);
    // the snapshot keeps the bound; the events after it move it on
    const b = new CommandLedger(2);
    b.import(JSON.parse(JSON.stringify(a.export())) as unknown);
    expect(b.forgotten('s1', '100-0')).toBe(true);
    expect(b.forgotten('s1', '100-1')).toBe(false);
    b.onEvent({ event: 'redis-command', strategy: 's1', requestId: 'r4', op: 'cancel', ok: false, code: 'ORDER_NOT_FOUND', message: 'no', entry: '300-0' });
    expect(b.forgotten('s1', '100-1')).toBe(true);
    expect(b.get('s1', 'r4')?.entry).toBe('300-0');
    expect([b.newestEntry('s1'), b.newestEntry('s2'), b.newestEntry('s3')]).toEqual(['300-0', '50-0', undefined]);
    // the entry recorded last, by the order recorded (a stream made again with lower ids), rebuilt by import and replay
    b.onEvent({ event: 'redis-command', strategy: 's1', requestId: 'r5', op: 'cancel', ok: true, orderId: 1, entry: '1-1' });
    expect([b.latestEntry('s1'), b.newestEntry('s1'), b.latestEntry('s3')]).toEqual(['1-1', '300-0', undefined]);
    const d = new CommandLedger(2);
    d.import(JSON.parse(JSON.stringify(b.export())) as unknown);
    expect(d.latestEntry('s1')).toBe('1-1');
    // records without an entry (written before it was kept) move nothing
    const c = new CommandLedger(1);
    c.add('s1', 'x1', { op: 'cancel', ok: true });
    c.add('s1', 'x2', { op: 'cancel', ok: true });
    expect(c.forgotten('s1', '0-1')).toBe(false);
  });

  it('finds a command by any entry it was delivered under (bounded), with that delivery\'s client and answer shape, across a snapshot and replay; older records load as they were', () => {
    const events: Record<string, unknown>[] = [];
    const a = new CommandLedger(10, (e) => events.push(e));
    a.add('s1', 'r1', { op: 'submit', ok: true, orderId: 7 }, '100-0', 'c1', 'ids');
    expect(events[0]).toMatchObject({ requestId: 'r1', entry: '100-0', client: 'c1', result: 'ids' });
    expect(events[0]!.again).toBeUndefined();
    a.delivered('s1', 'r1', '100-0', 'c1', 'ids'); // the first entry again (read again while pending): nothing new
    expect(events).toHaveLength(1);
    a.delivered('s1', 'r1', '150-0', 'c2', undefined); // sent again under a new entry
    expect(events).toHaveLength(2);
    expect(events[1]).toMatchObject({ requestId: 'r1', entry: '100-0', client: 'c1', result: 'ids', again: [{ entry: '150-0', client: 'c2' }] });
    a.delivered('s1', 'r1', '150-0', 'c2', undefined);
    a.delivered('s1', 'nobody', '160-0', 'c2', undefined); // not remembered: nothing
    expect(events).toHaveLength(2);
    expect(a.byEntry('s1', '100-0')).toMatchObject({ requestId: 'r1', client: 'c1', result: 'ids' });
    expect(a.byEntry('s1', '150-0')).toMatchObject({ requestId: 'r1', client: 'c2', result: undefined });
    expect([a.latestEntry('s1'), a.newestEntry('s1')]).toEqual(['150-0', '150-0']);
    // bounded: the first entry and the newest MAX_AGAIN deliveries again
    for (let i = 1; i <= MAX_AGAIN + 2; i++) a.delivered('s1', 'r1', `${200 + i}-0`, 'c1', 'ids');
    expect(a.get('s1', 'r1')?.again).toHaveLength(MAX_AGAIN);
    expect(a.byEntry('s1', '100-0')?.requestId).toBe('r1');
    expect(a.byEntry('s1', '150-0')).toBeUndefined();
    expect(a.byEntry('s1', `${200 + MAX_AGAIN + 2}-0`)).toMatchObject({ requestId: 'r1', client: 'c1', result: 'ids' });
    // rebuilt by a snapshot, and by the events alone
    const b = new CommandLedger(10);
    b.import(JSON.parse(JSON.stringify(a.export())) as unknown);
    expect(b.export()).toEqual(a.export());
    const c = new CommandLedger(10);
    for (const e of events) c.onEvent(JSON.parse(JSON.stringify(e)) as Record<string, unknown>);
    expect(c.export()).toEqual(a.export());
    // dropped past the window: the newest entry it was delivered under bounds forgotten()
    const d = new CommandLedger(1);
    d.add('s1', 'x1', { op: 'cancel', ok: true }, '10-0', 'c1');
    d.delivered('s1', 'x1', '30-0', 'c1', undefined);
    d.add('s1', 'x2', { op: 'cancel', ok: true }, '20-0', 'c1');
    expect([d.forgotten('s1', '30-0'), d.forgotten('s1', '30-1')]).toEqual([true, false]);
    // a record written before result and again were kept (and one with a delivery that is not one) loads as it was
    const old = new CommandLedger(10);
    old.onEvent({ event: 'redis-command', strategy: 's1', requestId: 'o1', op: 'submit', ok: true, orderId: 3, entry: '5-0', client: 'c1' });
    old.onEvent({ event: 'redis-command', strategy: 's1', requestId: 'o2', op: 'cancel', ok: true, entry: '6-0', client: 'c1', result: 'bogus', again: [{ entry: 'x' }, 7] });
    expect(old.get('s1', 'o1')).toEqual({ op: 'submit', ok: true, orderId: 3, entry: '5-0', client: 'c1' });
    expect(old.get('s1', 'o2')).toEqual({ op: 'cancel', ok: true, entry: '6-0', client: 'c1' });
    expect(old.byEntry('s1', '5-0')).toMatchObject({ requestId: 'o1', client: 'c1', result: undefined });
  });

  it('ignores records that are not outcomes', () => {
    const l = new CommandLedger(10);
    l.onEvent({ event: 'redis-command', strategy: 's1', requestId: 'r1', op: 'explode', ok: true });
    l.onEvent({ event: 'redis-command', strategy: 's1', op: 'submit', ok: true });
    l.import({ s1: [['r1', { op: 'submit' }], 'junk'] });
    expect(l.size()).toBe(0);
  });
});
