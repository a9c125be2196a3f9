import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { parseDocument, YAMLMap, YAMLSeq } from 'yaml';
import { parseConfigText, type Config } from '../../src/config/index.js';

/** Absolute path of the repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Absolute path of a file in the repository. */
export const repoPath = (relative: string): string => fileURLToPath(new URL(`../../${relative}`, import.meta.url));

/** A key path in a YAML document and the value to put there. */
export type YamlEdit = readonly [path: readonly (string | number)[], value: unknown];

export interface PaperConfigOptions {
  /**
   * Keep the worker strategies (`module:`) of paper.yaml (default true). false makes every strategy an API-only
   * one (module and params removed; ids, weights, symbols, crossing and limits kept), so the orders a test sends
   * are the only orders the daemon has and their ids are 1, 2, 3 ...
   */
  readonly workers?: boolean;
}

/**
 * The text of config/paper.yaml (the embedded default) with some keys replaced; comments and layout are kept.
 * Tests use it so that they exercise the configuration users actually start with. Strategy module paths are
 * made absolute (they are relative to config/, and the text is written elsewhere).
 */
export function paperConfigText(edits: readonly YamlEdit[] = [], options: PaperConfigOptions = {}): string {
  const doc = parseDocument(readFileSync(repoPath('config/paper.yaml'), 'utf8'));
  const strategies = doc.get('strategies');
  if (strategies instanceof YAMLSeq) {
    for (const s of strategies.items) {
      if (!(s instanceof YAMLMap)) continue;
      if (options.workers === false) {
        s.delete('module');
        s.delete('params');
        continue;
      }
      const module = s.get('module');
      if (typeof module === 'string' && !isAbsolute(module)) s.set('module', fileURLToPath(new URL(module, new URL('../../config/', import.meta.url))));
    }
  }
  for (const [path, value] of edits) doc.setIn(path, value);
  return doc.toString();
}

/** Parse config text through the real loader; throws with every error when it is not valid. */
export function configFromText(text: string, env: Record<string, string | undefined> = {}): Config {
  const r = parseConfigText(text, 'test-paper.yaml', env);
  if (!r.ok) throw new Error(`test config is not valid:\n${r.errors.map((e) => `${e.line}:${e.column} ${e.path}: ${e.message}`).join('\n')}`);
  return r.config;
}
