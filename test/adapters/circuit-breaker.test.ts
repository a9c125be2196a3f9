import { afterEach, describe, expect, test } from 'vitest';
import { CircuitBreaker } from '../../adapters/common/circuit-breaker.js';
import { until } from './helpers.js';

const breakers: CircuitBreaker[] = [];
afterEach(() => {
  for (const b of breakers.splice(0)) b.stop();
});

function breaker(probe: () => Promise<void>, events: string[]): CircuitBreaker {
  const b = new CircuitBreaker({ failureThreshold: 3, openMs: 30, maxOpenMs: 100 }, {
    onOpen: (reason) => events.push(`DOWN ${reason}`),
    onClose: () => events.push('UP'),
    probe,
  });
  breakers.push(b);
  return b;
}

describe('CircuitBreaker', () => {
  test('closed -> open after failures in a row; a success in between resets the count', () => {
    const events: string[] = [];
    const b = breaker(() => Promise.reject(new Error('still down')), events);
    b.failure('a');
    b.failure('b');
    b.success();
    b.failure('c');
    b.failure('d');
    expect(b.state).toBe('closed');
    expect(b.allowsOrders()).toBe(true);
    b.failure('e');
    expect(b.state).toBe('open');
    expect(b.allowsOrders()).toBe(false);
    expect(events).toEqual(['DOWN 3 failures in a row, last: e']);
  });

  test('open -> half-open probe; a failed probe stays open (longer), a good one closes it (UP once)', async () => {
    const events: string[] = [];
    let healthy = false;
    let probes = 0;
    const b = breaker(async () => {
      probes++;
      if (!healthy) throw new Error('no');
    }, events);
    for (let i = 0; i < 3; i++) b.failure('x');
    await until(() => probes >= 2, 'two probes');
    expect(b.state).toBe('open');
    healthy = true;
    await until(() => b.state === 'closed', 'closed');
    expect(events.filter((e) => e === 'UP')).toHaveLength(1);
    expect(events.filter((e) => e.startsWith('DOWN'))).toHaveLength(1);
    expect(b.allowsOrders()).toBe(true);
  });

  test('forceOpen (ban) opens whatever the count, and the probe waits for the ban time', async () => {
    const events: string[] = [];
    let probes = 0;
    const b = breaker(async () => void probes++, events);
    b.forceOpen('banned', 150);
    expect(b.state).toBe('open');
    await new Promise((r) => setTimeout(r, 80));
    expect(probes).toBe(0);
    await until(() => b.state === 'closed', 'closed after the ban');
    expect(events).toEqual(['DOWN banned', 'UP']);
  });
});
