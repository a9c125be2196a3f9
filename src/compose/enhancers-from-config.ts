/**
 * The order enhancers of the configured strategies (`strategies[].enhancer`), loaded at start: each module is
 * prepared like a strategy module (TypeScript transpiled into the strategies cache) but runs on the main thread — its
 * decisions are synchronous, within a time budget (src/intake/order-enhancer.ts).
 */
import type { Registry } from 'prom-client';
import type { Clock } from '../model/clock.js';
import { SwitchyardError } from '../model/errors.js';
import type { InstrumentRegistry } from '../model/instrument.js';
import { errText, OrderEnhancers, type EnhancerLog } from '../intake/order-enhancer.js';
import type { EnhancerContext, EnhancerFactory, OrderEnhancer, StrategyLog } from '../intake/enhancer-sdk.js';
import { prepareStrategyModule } from '../strategy/module-loader.js';

/** A strategy as loadEnhancers needs it (a config StrategyConfig fits). */
export interface EnhancedStrategySpec {
  readonly id: string;
  readonly symbols: readonly string[];
  readonly enhancer?: {
    readonly module: string;
    readonly budgetUs: number;
    readonly suspendMs: number;
    readonly signals: boolean;
    readonly params: Readonly<Record<string, unknown>>;
  } | undefined;
}

export interface LoadEnhancersOptions {
  /** The configured strategies (those without `enhancer` get none). */
  readonly strategies: readonly EnhancedStrategySpec[];
  /** Strategy ids in the order path's order (strategy index = position); default the order of `strategies`. */
  readonly strategyIds?: readonly string[];
  /** Enhancer modules are relative to this (the YAML file's folder). */
  readonly baseDir: string;
  /** Where TypeScript modules are transpiled (e.g. <dataDir>/strategies-cache). */
  readonly cacheDir: string;
  readonly instruments: InstrumentRegistry;
  readonly clock: Clock;
  readonly log: EnhancerLog;
  readonly registry?: Registry;
}

/**
 * Loads every configured enhancer module (TypeScript transpiled like strategy modules) on the main thread and calls
 * its factory. A module that is missing, does not transpile, throws, or does not default-export a factory returning
 * an object with `enhance` fails with CONFIG_INVALID naming the strategy and the module.
 */
export async function loadEnhancers(o: LoadEnhancersOptions): Promise<OrderEnhancers> {
  const ids = o.strategyIds ?? o.strategies.map((s) => s.id);
  const enhancers = new OrderEnhancers(ids, o.instruments, o.clock, o.log, o.registry);
  for (const s of o.strategies) {
    const spec = s.enhancer;
    if (spec === undefined) continue;
    const index = ids.indexOf(s.id);
    if (index < 0) throw new SwitchyardError('CONFIG_INVALID', `strategy ${s.id} has an enhancer but is not on the order path`);
    let enhancer: OrderEnhancer;
    try {
      const url = await prepareStrategyModule(spec.module, o.cacheDir, o.baseDir);
      const mod = (await import(url)) as { default?: unknown };
      if (typeof mod.default !== 'function') throw new Error('it must default-export a factory (ctx) => OrderEnhancer');
      const ctx: EnhancerContext = {
        strategy: s.id,
        symbols: [...s.symbols],
        params: spec.params,
        instruments: o.instruments,
        clock: o.clock,
        log: enhancerLog(o.log, s.id),
      };
      const made = (mod.default as EnhancerFactory)(ctx) as unknown;
      if (typeof made !== 'object' || made === null || typeof (made as OrderEnhancer).enhance !== 'function') {
        throw new Error('its factory must return an object with an enhance(order, change) method');
      }
      enhancer = made as OrderEnhancer;
    } catch (err) {
      throw new SwitchyardError('CONFIG_INVALID', `strategy ${s.id}: enhancer module ${spec.module} could not be loaded: ${errText(err)}`);
    }
    enhancers.add(index, enhancer, { budgetUs: spec.budgetUs, suspendMs: spec.suspendMs, symbols: s.symbols, signals: spec.signals });
    o.log.info({ strategy: s.id, module: spec.module, budgetUs: spec.budgetUs, signals: spec.signals }, 'order enhancer loaded');
  }
  return enhancers;
}

function enhancerLog(log: EnhancerLog, strategy: string): StrategyLog {
  return {
    debug: (msg, fields) => log.debug({ strategy, enhancer: true, ...fields }, msg),
    info: (msg, fields) => log.info({ strategy, enhancer: true, ...fields }, msg),
    warn: (msg, fields) => log.warn({ strategy, enhancer: true, ...fields }, msg),
    error: (msg, fields) => log.error({ strategy, enhancer: true, ...fields }, msg),
  };
}
