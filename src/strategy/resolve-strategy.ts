/**
 * A strategy module's default export made into a Strategy (the worker runtime and the remote-strategy runner alike):
 * a factory is called with the context, an object is taken as it is; anything else, or hooks that are not functions,
 * is refused with a TypeError naming what is wrong.
 */
import type { Strategy, StrategyContext, StrategyModule } from './sdk.js';

export async function resolveStrategy(mod: StrategyModule | undefined, ctx: StrategyContext): Promise<Strategy> {
  let strategy: Strategy;
  if (typeof mod === 'function') strategy = await mod(ctx);
  else if (typeof mod === 'object' && mod !== null) strategy = mod;
  else throw new TypeError('a strategy module must default-export a strategy object or a factory function');
  if (typeof strategy !== 'object' || strategy === null) throw new TypeError('the strategy factory must return a strategy object');
  for (const hook of ['start', 'onEvent', 'onMarket', 'onTrade', 'stop'] as const) {
    const h = strategy[hook];
    if (h !== undefined && typeof h !== 'function') throw new TypeError(`strategy.${hook} must be a function`);
  }
  return strategy;
}
