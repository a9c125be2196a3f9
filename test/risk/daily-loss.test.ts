import { describe, expect, it } from 'vitest';
import { DailyLossGuard, type PnlSource } from '../../src/risk/daily-loss.js';
import { TradingStates } from '../../src/risk/trading-states.js';

const DAY = 86_400_000;

/** PnL in units of 10^-2 USDT, set by the test. */
class Pnl implements PnlSource {
  readonly s = [0, 0];
  strategyNetPnlUnits(i: number): number {
    return this.s[i]!;
  }
  totalNetPnlUnits(): number {
    return this.s[0]! + this.s[1]!;
  }
}

function rig(limits: { a?: string; b?: string; daemon?: string; action?: 'reducing' | 'halted' } = {}) {
  let now = 10 * DAY + 3_600_000; // 01:00 UTC
  const pnl = new Pnl();
  const states = new TradingStates(['a', 'b'], ['v'], ['BTC-USDT'], () => now);
  const events: Record<string, unknown>[] = [];
  const guard = new DailyLossGuard(pnl, states, ['a', 'b'], 2, 'USDT',
    { strategies: [limits.a, limits.b], daemon: limits.daemon, action: limits.action ?? 'reducing' }, () => now, (e) => events.push(JSON.parse(JSON.stringify(e)) as Record<string, unknown>));
  return { pnl, states, guard, events, advance: (ms: number) => (now += ms) };
}

describe('DailyLossGuard', () => {
  it('moves a strategy to REDUCING when its PnL since the day started falls to minus its limit, once', () => {
    const { pnl, states, guard } = rig({ a: '100' });
    pnl.s[0] = 5000; // +50 USDT before the day's first check: the day starts there
    guard.check();
    pnl.s[0] = -4999; // -99.99 since the start
    guard.check();
    expect(states.effective(0, 0, 0)).toBe(0);
    pnl.s[0] = -5000; // -100.00
    guard.check();
    expect(states.list()[1]).toMatchObject({
      scope: 'strategy', name: 'a', state: 'REDUCING',
      reason: 'daily loss limit: -100 USDT since 00:00 UTC reached strategies.a.limits.maxDailyLoss 100 USDT',
    });
    expect(states.effective(1, 0, 0)).toBe(0); // b is not touched
    // the operator resumes: not tripped again the same day
    states.set({ scope: 'strategy', name: 'a', state: 'ACTIVE' });
    pnl.s[0] = -90_000;
    guard.check();
    expect(states.effective(0, 0, 0)).toBe(0);
    expect(guard.trips).toBe(1);
  });

  it('the daemon limit sums every strategy and HALTS by config', () => {
    const { pnl, states, guard } = rig({ daemon: '10', action: 'halted' });
    guard.check();
    pnl.s[0] = -600;
    pnl.s[1] = -399;
    guard.check();
    expect(states.daemon).toBe('ACTIVE');
    pnl.s[1] = -400;
    guard.check();
    expect(states.daemon).toBe('HALTED');
  });

  it('a new UTC day starts from the PnL then', () => {
    const { pnl, states, guard, advance } = rig({ a: '100' });
    guard.check();
    pnl.s[0] = -9000;
    advance(DAY); // next day, before any check: the start is -90
    guard.check();
    pnl.s[0] = -18_000; // -90 since the day's start
    guard.check();
    expect(states.effective(0, 0, 0)).toBe(0);
    pnl.s[0] = -19_000;
    guard.check();
    expect(states.effective(0, 0, 0)).toBe(1);
  });

  it('a restart in the same day measures from the same start (journal events, or a snapshot section)', () => {
    const first = rig({ a: '100' });
    first.pnl.s[0] = 2000;
    first.guard.check(); // day start +20
    first.pnl.s[0] = -7000; // -90 since
    first.guard.check();
    const section = JSON.parse(JSON.stringify(first.guard.export())) as unknown;
    for (const restore of ['events', 'snapshot'] as const) {
      const r = rig({ a: '100' });
      if (restore === 'events') for (const e of first.events) r.guard.onEvent(e);
      else r.guard.import(section);
      r.pnl.s[0] = -8000; // -100 since the journaled start (a fresh start would see 0)
      r.guard.check();
      expect(r.states.effective(0, 0, 0)).toBe(1);
    }
  });

  it('a limit that cannot be compared exactly is refused and changes nothing', () => {
    const { guard, pnl, states } = rig({ a: '100' });
    expect(() => guard.setLimits({ strategies: ['1', undefined], daemon: '1e400'.replace('e400', '0'.repeat(20)), action: 'halted' })).toThrow(RangeError);
    guard.check();
    pnl.s[0] = -150; // -1.5: would trip a limit of 1
    guard.check();
    expect(states.effective(0, 0, 0)).toBe(0);
  });
});
