import { fileURLToPath } from 'node:url';
import { relative } from 'node:path';
import { parseConfigText, type LoadResult } from '../../src/config/index.js';
import type { ConfigError } from '../../src/config/index.js';
import type { Config } from '../../src/config/index.js';

export const repoFile = (p: string): string => relative(process.cwd(), fileURLToPath(new URL(`../../${p}`, import.meta.url)));

/** A valid config; tests append or substitute sections. */
export const BASE = `
venues:
  - name: sim-a
    adapter: paper
    symbols: [BTC-USDT, ETH-USDT]
  - name: sim-b
    adapter: paper
    symbols: [BTC-USDT]
instruments:
  - { symbol: BTC-USDT, tickSize: "0.01", lotSize: "0.00001", referencePrice: "60000" }
  - { symbol: ETH-USDT, tickSize: "0.01", lotSize: "0.0001", referencePrice: "3000" }
`;

export function parse(text: string, env: Record<string, string | undefined> = {}): LoadResult {
  return parseConfigText(text, 'test.yaml', env);
}

export function ok(text: string, env: Record<string, string | undefined> = {}): Config {
  const r = parse(text, env);
  if (!r.ok) throw new Error(`expected OK, got:\n${r.errors.map((e) => `${e.line}:${e.column} ${e.path}: ${e.message}`).join('\n')}`);
  return r.config;
}

export function errors(text: string, env: Record<string, string | undefined> = {}): ConfigError[] {
  const r = parse(text, env);
  if (r.ok) throw new Error('expected errors, got OK');
  return r.errors;
}

/** 1-based line of the first line containing `needle`. */
export function lineOf(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`not found: ${needle}`);
  return i + 1;
}
