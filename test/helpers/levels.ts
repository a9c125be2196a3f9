import { LevelBuffer } from '../../src/market/feed.js';

/** A level buffer holding [price ticks, quantity lots] pairs, best first (what a feed hands the market data). */
export function levels(pairs: readonly (readonly [number, number])[]): LevelBuffer {
  const b = new LevelBuffer(Math.max(1, pairs.length));
  for (const [p, q] of pairs) b.push(p, q);
  return b;
}
