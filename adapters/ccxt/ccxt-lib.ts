/**
 * ccxt, loaded on first use. ccxt is large (about 0.5 s to load and 66 MB of memory, 38 MB of it live heap that every
 * major GC marks): a daemon without a ccxt venue (paper trading, the native websocket adapters) never loads it.
 *
 * This is the project's one way to ccxt at run time: its CommonJS build, required synchronously (the adapters are
 * built synchronously from the configuration). An ESM `import ccxt from 'ccxt'` anywhere else would load ccxt's
 * second, ESM copy, whose exception classes are not those `instanceof` checks here (errors.ts) — test/layout keeps
 * every other import of ccxt type-only.
 */
import { createRequire } from 'node:module';
import type Ccxt from 'ccxt';

export type CcxtLib = typeof Ccxt;

let loaded: CcxtLib | undefined;

/** The ccxt module (loaded by the first call; Node's module cache would hold it anyway). */
export function ccxtLib(): CcxtLib {
  loaded ??= createRequire(import.meta.url)('ccxt') as CcxtLib;
  return loaded;
}
