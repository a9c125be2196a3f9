/**
 * The strategy queues (src/intake/strategy-queues.ts) on their own: HIGH before NORMAL before LOW, FIFO per
 * (strategy, priority), deficit round robin by weight within a priority, idle strategies never picked, bounded
 * queues. Issue acceptance: "priority order, weighted fairness within 2% of the weights over a long run, FIFO per
 * strategy" (the same through OrderIntake and the Dispatcher is in dispatcher.test.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PRIORITY_LEVELS, StrategyQueues } from '../../src/intake/strategy-queues.js';

const HIGH = 0;
const NORMAL = 1;
const LOW = 2;

/** Slots that say where they came from: strategy * 1e6 + priority * 1e5 + sequence number. */
const slotOf = (strategy: number, priority: number, n: number): number => strategy * 1_000_000 + priority * 100_000 + n;
const strategyOfSlot = (slot: number): number => Math.floor(slot / 1_000_000);
const priorityOfSlot = (slot: number): number => Math.floor((slot % 1_000_000) / 100_000);

function drainAll(q: StrategyQueues): number[] {
  const out: number[] = [];
  for (let slot = q.shift(); slot >= 0; slot = q.shift()) out.push(slot);
  return out;
}

describe('StrategyQueues', () => {
  it('an empty queue set shifts -1', () => {
    const q = new StrategyQueues(3, [1, 1, 1], 4);
    expect(q.shift()).toBe(-1);
    expect(q.size).toBe(0);
    q.push(1, NORMAL, 7);
    expect([q.shift(), q.shift()]).toEqual([7, -1]);
  });

  it('every HIGH order before any NORMAL one, NORMAL before LOW, whatever the push order', () => {
    const q = new StrategyQueues(2, [1, 1], 16);
    q.push(0, LOW, slotOf(0, LOW, 1));
    q.push(1, NORMAL, slotOf(1, NORMAL, 1));
    q.push(0, NORMAL, slotOf(0, NORMAL, 1));
    q.push(1, LOW, slotOf(1, LOW, 1));
    q.push(1, HIGH, slotOf(1, HIGH, 1));
    q.push(0, HIGH, slotOf(0, HIGH, 1));
    const out = drainAll(q);
    expect(out.map(priorityOfSlot)).toEqual([HIGH, HIGH, NORMAL, NORMAL, LOW, LOW]);
  });

  it('a HIGH order pushed while NORMAL ones wait goes next', () => {
    const q = new StrategyQueues(1, [1], 16);
    for (let i = 1; i <= 3; i++) q.push(0, NORMAL, slotOf(0, NORMAL, i));
    expect(q.shift()).toBe(slotOf(0, NORMAL, 1));
    q.push(0, HIGH, slotOf(0, HIGH, 1));
    expect(drainAll(q)).toEqual([slotOf(0, HIGH, 1), slotOf(0, NORMAL, 2), slotOf(0, NORMAL, 3)]);
  });

  it('FIFO within a strategy and priority, across wrap-around of its ring', () => {
    const q = new StrategyQueues(1, [1], 4);
    const out: number[] = [];
    let next = 1;
    for (let round = 0; round < 10; round++) {
      while (q.push(0, NORMAL, next)) next++;
      out.push(q.shift(), q.shift(), q.shift());
    }
    out.push(...drainAll(q));
    expect(out).toEqual(Array.from({ length: next - 1 }, (_, i) => i + 1));
  });

  it('weights 1:2:5 with every strategy backlogged: served in rounds of 1, 2 and 5', () => {
    const q = new StrategyQueues(3, [1, 2, 5], 100);
    for (let s = 0; s < 3; s++) for (let i = 0; i < 40; i++) q.push(s, NORMAL, slotOf(s, NORMAL, i));
    const first = Array.from({ length: 16 }, () => strategyOfSlot(q.shift()));
    expect(first).toEqual([0, 1, 1, 2, 2, 2, 2, 2, 0, 1, 1, 2, 2, 2, 2, 2]);
  });

  it('idle strategies are never picked and cost no turns: a lone backlogged strategy gets everything', () => {
    const q = new StrategyQueues(5, [1, 1, 9, 1, 1], 64);
    for (let i = 0; i < 50; i++) q.push(3, NORMAL, slotOf(3, NORMAL, i));
    const out = drainAll(q);
    expect(out).toEqual(Array.from({ length: 50 }, (_, i) => slotOf(3, NORMAL, i)));
  });

  it('a strategy that runs dry leaves the round and joins at its end when it has orders again', () => {
    const q = new StrategyQueues(3, [2, 2, 2], 64);
    for (let i = 0; i < 6; i++) {
      q.push(0, NORMAL, slotOf(0, NORMAL, i));
      q.push(1, NORMAL, slotOf(1, NORMAL, i));
    }
    q.push(2, NORMAL, slotOf(2, NORMAL, 0));
    // round 1: 0,0 1,1 2 (strategy 2 runs dry after one)
    expect(Array.from({ length: 5 }, () => strategyOfSlot(q.shift()))).toEqual([0, 0, 1, 1, 2]);
    // strategy 2 comes back while 0 has its turn: it waits for the end of the round
    expect(strategyOfSlot(q.shift())).toBe(0);
    q.push(2, NORMAL, slotOf(2, NORMAL, 1));
    q.push(2, NORMAL, slotOf(2, NORMAL, 2));
    expect(Array.from({ length: 5 }, () => strategyOfSlot(q.shift()))).toEqual([0, 1, 1, 2, 2]);
  });

  it('each priority keeps its own round: a HIGH burst does not disturb the NORMAL round', () => {
    const q = new StrategyQueues(2, [1, 3], 64);
    for (let i = 0; i < 20; i++) {
      q.push(0, NORMAL, slotOf(0, NORMAL, i));
      q.push(1, NORMAL, slotOf(1, NORMAL, i));
    }
    expect([q.shift(), q.shift()].map(strategyOfSlot)).toEqual([0, 1]); // strategy 1 is one into its turn of 3
    q.push(0, HIGH, slotOf(0, HIGH, 0));
    expect(q.shift()).toBe(slotOf(0, HIGH, 0));
    expect([q.shift(), q.shift(), q.shift()].map(strategyOfSlot)).toEqual([1, 1, 0]);
  });

  it('bounded per (strategy, priority): push answers false when that queue is full, the others keep room', () => {
    const q = new StrategyQueues(2, [1, 1], 3);
    for (let i = 0; i < 3; i++) expect(q.push(0, NORMAL, i)).toBe(true);
    expect(q.push(0, NORMAL, 99)).toBe(false);
    expect(q.length(0, NORMAL)).toBe(3);
    expect([q.length(0, HIGH), q.length(0, LOW), q.length(1, NORMAL)]).toEqual([0, 0, 0]);
    expect(q.push(0, HIGH, 10)).toBe(true);
    expect(q.push(1, NORMAL, 20)).toBe(true);
    expect(q.size).toBe(5);
    expect(drainAll(q)).toEqual([10, 0, 20, 1, 2]); // 99 was never queued
  });

  it('refuses a capacity or weights that cannot work', () => {
    expect(() => new StrategyQueues(1, [1], 0)).toThrow(RangeError);
    expect(() => new StrategyQueues(1, [1], 1.5)).toThrow(RangeError);
    expect(() => new StrategyQueues(2, [1, 0], 4)).toThrow(RangeError);
    expect(() => new StrategyQueues(2, [1], 4)).toThrow(RangeError);
    expect(() => new StrategyQueues(1, [Number.NaN], 4)).toThrow(RangeError);
  });

  it('new weights (reload) apply from each strategy\'s next turn', () => {
    const q = new StrategyQueues(2, [1, 1], 64);
    for (let i = 0; i < 30; i++) {
      q.push(0, NORMAL, slotOf(0, NORMAL, i));
      q.push(1, NORMAL, slotOf(1, NORMAL, i));
    }
    expect([q.shift(), q.shift()].map(strategyOfSlot)).toEqual([0, 1]);
    q.setWeights([1, 4]);
    expect(Array.from({ length: 10 }, () => strategyOfSlot(q.shift()))).toEqual([0, 1, 1, 1, 1, 0, 1, 1, 1, 1]);
  });

  it('weighted fairness over a long run: weights 1:2:5, all backlogged, 100,000 orders, shares within 2%', () => {
    const weights = [1, 2, 5];
    const q = new StrategyQueues(3, weights, 1024);
    const served = [0, 0, 0];
    const pushed = [0, 0, 0];
    const total = 100_000;
    for (let n = 0; n < total; n++) {
      // keep every strategy backlogged (topped up to 512 queued NORMAL orders)
      for (let s = 0; s < 3; s++) {
        while (q.length(s, NORMAL) < 512) q.push(s, NORMAL, slotOf(s, NORMAL, pushed[s]++ % 100_000));
      }
      served[strategyOfSlot(q.shift())]!++;
    }
    const sum = weights.reduce((a, b) => a + b, 0);
    for (let s = 0; s < 3; s++) {
      const share = served[s]! / total;
      const target = weights[s]! / sum;
      expect({ strategy: s, deviation: Math.abs(share - target) / target < 0.02 }).toEqual({ strategy: s, deviation: true });
    }
  });

  it('weighted fairness also holds on the HIGH level, with idle strategies configured (pushes on every level)', () => {
    const weights = [3, 1, 1, 7, 2];
    const q = new StrategyQueues(5, weights, 256);
    const active = [0, 2, 3]; // 1 and 4 stay idle
    const served = new Map<number, number>(active.map((s) => [s, 0]));
    const seq = [0, 0, 0, 0, 0];
    for (let n = 0; n < 60_000; n++) {
      const p = n % PRIORITY_LEVELS;
      for (const s of active) while (q.length(s, p) < 64) q.push(s, p, slotOf(s, p, seq[s]++ % 100_000));
      const slot = q.shift();
      expect(priorityOfSlot(slot)).toBe(HIGH); // HIGH is always backlogged here
      served.set(strategyOfSlot(slot), served.get(strategyOfSlot(slot))! + 1);
    }
    const sum = active.reduce((a, s) => a + weights[s]!, 0);
    for (const s of active) {
      const share = served.get(s)! / 60_000;
      expect(Math.abs(share - weights[s]! / sum) / (weights[s]! / sum)).toBeLessThan(0.02);
    }
    expect([...served.keys()].sort()).toEqual(active);
  });
});

describe('StrategyQueues (property)', () => {
  type Op = { kind: 'push'; strategy: number; priority: number } | { kind: 'shift' };
  const op = (strategies: number): fc.Arbitrary<Op> =>
    fc.oneof(
      { weight: 3, arbitrary: fc.record({ kind: fc.constant('push' as const), strategy: fc.nat(strategies - 1), priority: fc.nat(PRIORITY_LEVELS - 1) }) },
      { weight: 2, arbitrary: fc.constant<Op>({ kind: 'shift' }) },
    );

  it('random pushes and shifts: FIFO per (strategy, priority), highest priority first, only queued orders served, bounds kept', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }).chain((n) =>
          fc.tuple(
            fc.constant(n),
            fc.array(fc.integer({ min: 1, max: 5 }), { minLength: n, maxLength: n }),
            fc.integer({ min: 1, max: 8 }),
            fc.array(op(n), { maxLength: 400 }),
          ),
        ),
        ([n, weights, capacity, ops]) => {
          const q = new StrategyQueues(n, weights, capacity);
          // the model: one FIFO per (strategy, priority)
          const model: number[][] = Array.from({ length: n * PRIORITY_LEVELS }, () => []);
          let next = 0;
          for (const o of ops) {
            if (o.kind === 'push') {
              const fifo = model[o.strategy * PRIORITY_LEVELS + o.priority]!;
              const slot = slotOf(o.strategy, o.priority, next++);
              const ok = q.push(o.strategy, o.priority, slot);
              expect(ok).toBe(fifo.length < capacity);
              if (ok) fifo.push(slot);
            } else {
              const slot = q.shift();
              const waiting = model.reduce((a, f) => a + f.length, 0);
              if (waiting === 0) {
                expect(slot).toBe(-1);
                continue;
              }
              expect(slot).toBeGreaterThanOrEqual(0);
              const s = strategyOfSlot(slot);
              const p = priorityOfSlot(slot);
              // never a strategy with nothing queued at that priority, always the oldest of its queue
              const fifo = model[s * PRIORITY_LEVELS + p]!;
              expect(fifo[0]).toBe(slot);
              fifo.shift();
              // nothing of a higher priority was waiting
              for (let hp = 0; hp < p; hp++) {
                for (let os = 0; os < n; os++) expect(model[os * PRIORITY_LEVELS + hp]!.length).toBe(0);
              }
            }
            expect(q.size).toBe(model.reduce((a, f) => a + f.length, 0));
            for (let s = 0; s < n; s++) for (let p = 0; p < PRIORITY_LEVELS; p++) expect(q.length(s, p)).toBe(model[s * PRIORITY_LEVELS + p]!.length);
          }
          // what is left comes out too, in the same order rules
          for (const slot of drainAll(q)) {
            const fifo = model[strategyOfSlot(slot) * PRIORITY_LEVELS + priorityOfSlot(slot)]!;
            expect(fifo.shift()).toBe(slot);
          }
          expect(model.every((f) => f.length === 0)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('while strategies stay backlogged, no strategy gets more than its weight ahead of its fair share', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 2, maxLength: 6 }),
        fc.integer({ min: 1, max: 2_000 }),
        (weights, steps) => {
          const n = weights.length;
          const q = new StrategyQueues(n, weights, 16);
          const served = new Array<number>(n).fill(0);
          const sum = weights.reduce((a, b) => a + b, 0);
          let seq = 0;
          for (let k = 1; k <= steps; k++) {
            for (let s = 0; s < n; s++) while (q.length(s, NORMAL) < 16) q.push(s, NORMAL, slotOf(s, NORMAL, seq++ % 100_000));
            served[strategyOfSlot(q.shift())]!++;
            // deficit round robin: after k orders, each strategy is within one round's quantum of its share
            for (let s = 0; s < n; s++) {
              expect(Math.abs(served[s]! - (k * weights[s]!) / sum)).toBeLessThanOrEqual(weights[s]! + 1e-9);
            }
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
