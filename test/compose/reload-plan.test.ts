import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { parseConfigText, type Config } from '../../src/config/index.js';
import { planReload, restartOnlyChanges } from '../../src/compose/reload-plan.js';
import { InstrumentRegistry } from '../../src/model/instrument.js';

/** config/paper.yaml, edited. */
function paper(edit?: (doc: ReturnType<typeof parseDocument>) => void): Config {
  const doc = parseDocument(readFileSync('config/paper.yaml', 'utf8'));
  edit?.(doc);
  const r = parseConfigText(doc.toString(), 'paper.yaml', {});
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config;
}

describe('the reload plan', () => {
  const current = paper();
  const instruments = new InstrumentRegistry(current.instruments);

  it('swaps routing weights, limits and fair-share weights', () => {
    const next = paper((d) => {
      d.setIn(['routing', 'BTC-USDT', 'sim-a'], 1);
      d.setIn(['strategies', 0, 'weight'], 5);
      d.setIn(['strategies', 0, 'limits', 'maxOpenOrders'], 7);
    });
    expect(restartOnlyChanges(current, next)).toEqual([]);
    const plan = planReload(current, next, instruments);
    expect(plan.ok).toBe(true);
    if (!plan.ok) return;
    expect(plan.weights).toEqual(next.strategies.map((s) => s.weight));
    expect(plan.weights[0]).toBe(5);
    expect(plan.next).toBe(next);
  });

  it('names every section that needs a restart and builds nothing', () => {
    const next = paper((d) => {
      d.setIn(['venues', 0, 'latencyMs'], 77);
      d.setIn(['strategies', 0, 'params', 'intervalMs'], 5);
      d.setIn(['daemon', 'queue', 'capacity'], 1024);
    });
    expect(restartOnlyChanges(current, next).sort()).toEqual(['daemon', 'strategies', 'venues']);
    const plan = planReload(current, next, instruments);
    expect(plan).toEqual({
      ok: false,
      errors: ['daemon', 'venues', 'strategies'].map((what) => `${what} changed: this needs a restart, not a reload`),
    });
  });

  it('the same configuration is a valid reload that changes nothing', () => {
    const plan = planReload(current, paper(), instruments);
    expect(plan.ok).toBe(true);
  });
});
