import { describe, expect, it } from 'vitest';
import { ACTIVE, HALTED, REDUCING, TradingStates, type StateChange, type TradingStateRow } from '../../src/risk/trading-states.js';

function states(): { t: TradingStates; events: Record<string, unknown>[]; venues: [number, number][] } {
  let now = 1000;
  const t = new TradingStates(['alpha', 'beta'], ['sim-a', 'sim-b'], ['BTC-USDT', 'ETH-USDT'], () => now++);
  const events: Record<string, unknown>[] = [];
  const venues: [number, number][] = [];
  t.onChange((c: StateChange, r: TradingStateRow) => events.push(TradingStates.event(c, r)));
  t.onVenueState((v, s) => venues.push([v, s]));
  return { t, events, venues };
}

describe('TradingStates', () => {
  it('an order is under the strictest of the daemon, its strategy, its symbol and its venue', () => {
    const { t } = states();
    expect(t.effective(0, 0, 0)).toBe(ACTIVE);
    t.set({ scope: 'symbol', name: 'ETH-USDT', state: 'REDUCING' });
    expect(t.effective(0, 0, 0)).toBe(ACTIVE);
    expect(t.effective(0, 1, 0)).toBe(REDUCING);
    t.set({ scope: 'venue', name: 'sim-b', state: 'HALTED' });
    expect(t.effective(0, 1, 1)).toBe(HALTED);
    expect(t.effective(1, 0, 0)).toBe(ACTIVE);
    // the crossing book and the parents' pseudo venue are beyond the configured venues: not counted
    expect(t.effective(1, 0, 2)).toBe(ACTIVE);
    expect(t.effective(1, 0, -1)).toBe(ACTIVE);
    t.set({ scope: 'strategy', name: 'beta', state: 'REDUCING' });
    expect(t.effective(1, 0, 0)).toBe(REDUCING);
    t.set({ scope: 'daemon', state: 'HALTED', reason: 'kill switch' });
    for (const s of [0, 1]) for (const i of [0, 1]) for (const v of [0, 1]) expect(t.effective(s, i, v)).toBe(HALTED);
    t.set({ scope: 'daemon', state: 'ACTIVE' });
    expect(t.effective(0, 0, 0)).toBe(ACTIVE);
  });

  it('refuses unknown scopes, names and states with a message', () => {
    const { t, events } = states();
    expect(t.set({ scope: 'strategy', name: 'gamma', state: 'HALTED' })).toEqual({ ok: false, message: 'no strategy gamma' });
    expect(t.set({ scope: 'venue', state: 'HALTED' })).toEqual({ ok: false, message: 'scope venue needs a name' });
    expect(t.set({ scope: 'daemon', name: 'x', state: 'HALTED' })).toEqual({ ok: false, message: 'the daemon scope takes no name' });
    expect(t.set({ scope: 'daemon', state: 'STOPPED' as never }).ok).toBe(false);
    expect(t.set({ scope: 'everything' as never, name: 'x', state: 'HALTED' }).ok).toBe(false);
    expect(events).toEqual([]);
  });

  it('journals each change once (not a repeat), and the venue listener follows', () => {
    const { t, events, venues } = states();
    expect(t.set({ scope: 'venue', name: 'sim-a', state: 'HALTED', reason: 'maintenance' })).toMatchObject({ ok: true, changed: true });
    expect(t.set({ scope: 'venue', name: 'sim-a', state: 'HALTED', reason: 'maintenance' })).toMatchObject({ ok: true, changed: false });
    expect(events).toEqual([{ event: 'trading-state', scope: 'venue', name: 'sim-a', state: 'HALTED', reason: 'maintenance', since: 1000 }]);
    expect(venues).toEqual([[0, HALTED]]);
    expect(t.list()).toEqual([
      { scope: 'daemon', state: 'ACTIVE', since: 0 },
      { scope: 'venue', name: 'sim-a', state: 'HALTED', reason: 'maintenance', since: 1000 },
    ]);
  });

  it('a replay (snapshot section, then events) rebuilds the same states, venue gate included', () => {
    const { t, events } = states();
    t.set({ scope: 'strategy', name: 'alpha', state: 'REDUCING', reason: 'daily loss' });
    const section = JSON.parse(JSON.stringify(t.export())) as unknown;
    t.set({ scope: 'venue', name: 'sim-b', state: 'HALTED' });
    t.set({ scope: 'strategy', name: 'alpha', state: 'ACTIVE' });
    t.set({ scope: 'daemon', state: 'REDUCING', reason: 'operator' });
    const after = events.slice(1).map((e) => JSON.parse(JSON.stringify(e)) as Record<string, unknown>);

    const r = states();
    r.t.set({ scope: 'symbol', name: 'BTC-USDT', state: 'HALTED' }); // whatever was there is replaced by the snapshot
    r.t.import(section);
    expect(r.t.list()).toEqual([
      { scope: 'daemon', state: 'ACTIVE', since: 0 },
      { scope: 'strategy', name: 'alpha', state: 'REDUCING', reason: 'daily loss', since: 1000 },
    ]);
    for (const e of after) r.t.onEvent(e);
    expect(r.t.list()).toEqual(t.list());
    expect(r.venues.at(-1)).toEqual([1, HALTED]);
  });

  it('a journal event of something no longer configured is skipped', () => {
    const { t } = states();
    t.onEvent({ event: 'trading-state', scope: 'venue', name: 'gone', state: 'HALTED', since: 5 });
    expect(t.list()).toEqual([{ scope: 'daemon', state: 'ACTIVE', since: 0 }]);
  });
});

describe('TradingStates.restricted (the dispatcher skips the check while it is 0)', () => {
  it('counts the states that are not ACTIVE through changes, repeats, events and imports', () => {
    let now = 0;
    const t = new TradingStates(['a'], ['v'], ['S'], () => now++);
    expect(t.restricted).toBe(0);
    t.set({ scope: 'daemon', state: 'HALTED' });
    t.set({ scope: 'daemon', state: 'REDUCING' });
    t.set({ scope: 'venue', name: 'v', state: 'HALTED' });
    expect(t.restricted).toBe(2);
    const section = JSON.parse(JSON.stringify(t.export())) as unknown;
    t.set({ scope: 'daemon', state: 'ACTIVE' });
    expect(t.restricted).toBe(1);
    t.import(section);
    expect(t.restricted).toBe(2);
    t.import([]);
    expect(t.restricted).toBe(0);
    expect(t.effective(0, 0, 0)).toBe(ACTIVE);
  });
});
