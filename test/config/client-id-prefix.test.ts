/**
 * daemon.clientIdPrefix: the stable start of every client order id the daemon makes (per-daemon, from config), then
 * 6 characters of the start time (per run), then the order id — letters and digits, at most 32 characters.
 */
import { describe, expect, it } from 'vitest';
import { clientIdPrefix } from '../../src/daemon.js';
import { isValidClientOrderId, makeClientOrderId } from '../../src/model/ids.js';
import { startTestDaemon } from '../helpers/daemon.js';
import { BASE, errors, lineOf, ok } from './helpers.js';

describe('daemon.clientIdPrefix', () => {
  it('defaults to the first 4 letters and digits of the daemon name (padded with x)', () => {
    expect(ok(BASE).daemon.clientIdPrefix).toBe('swit');
    expect(ok(`${BASE}daemon:\n  name: desk-7.eu\n`).daemon.clientIdPrefix).toBe('desk');
    expect(ok(`${BASE}daemon:\n  name: a_b\n`).daemon.clientIdPrefix).toBe('abxx');
  });

  it('is taken from the config: 1 to 8 letters and digits', () => {
    expect(ok(`${BASE}daemon:\n  name: paper\n  clientIdPrefix: mm2\n`).daemon.clientIdPrefix).toBe('mm2');
    expect(ok(`${BASE}daemon:\n  clientIdPrefix: Desk0042\n`).daemon.clientIdPrefix).toBe('Desk0042');
  });

  it.each([
    ['a dash', 'ab-c'],
    ['more than 8 characters', 'abcdefghi'],
    ['an empty string', '""'],
    ['an underscore', 'a_b'],
  ])('refuses %s, naming file, key path and line', (_what, value) => {
    const text = `${BASE}daemon:\n  name: paper\n  clientIdPrefix: ${value}\n`;
    const errs = errors(text);
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ file: 'test.yaml', path: 'daemon.clientIdPrefix', line: lineOf(text, 'clientIdPrefix:') });
    expect(errs[0]!.message).toMatch(/1 to 8 letters and digits/);
  });

  it('generated ids carry the configured prefix, then the start time (per run), and stay within 32 alphanumerics', () => {
    const now = Date.UTC(2031, 0, 1);
    const run1 = clientIdPrefix('Desk0042', now);
    const run2 = clientIdPrefix('Desk0042', now + 1);
    expect(run1.startsWith('Desk0042')).toBe(true);
    expect(run1).toHaveLength(14);
    expect(run2).not.toBe(run1);
    const longest = makeClientOrderId(run1, Number.MAX_SAFE_INTEGER);
    expect(longest.length).toBeLessThanOrEqual(32);
    expect(isValidClientOrderId(longest)).toBe(true);
    expect(clientIdPrefix(ok(BASE).daemon.clientIdPrefix, now).startsWith('swit')).toBe(true);
  });

  it('the daemon makes its client order ids with the configured prefix', async () => {
    const t = await startTestDaemon([[['daemon', 'clientIdPrefix'], 'desk7']]);
    try {
      const r = await t.api.post('/v1/orders', { strategy: 'momentum', symbol: 'BTC-USDT', side: 'BUY', price: '30000', quantity: '0.001' });
      expect(r.status).toBe(201);
      const view = t.daemon.path.tracker.list(false).find((o) => o.id === r.body.orderId)!;
      expect(view.clientOrderId).toMatch(/^desk7[0-9a-z]{6}[0-9a-z]+$/);
      expect(view.clientOrderId.length).toBeLessThanOrEqual(32);
    } finally {
      await t.stop();
    }
  });
});
