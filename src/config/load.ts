/**
 * Loading a config file: YAML -> env references -> schema -> cross-field rules.
 * User errors never throw: they come back as ConfigError[] naming the file, the key path and the line.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { z } from 'zod';
import { crossCheck } from './cross-check.js';
import type { Env } from './env.js';
import { formatConfigErrors, formatPath, sortConfigErrors, type ConfigError, type ConfigPath } from './errors.js';
import { ConfigSchema, type Config } from './schema.js';
import { readYamlSource, YamlNumber, type PathLocation, type SourcePos } from './yaml-source.js';

export type LoadResult = { ok: true; config: Config; file: string } | { ok: false; errors: ConfigError[] };

/**
 * Read and validate a config file. `file` in the result is the absolute path (module paths in the file are
 * relative to its folder); errors name the file as given.
 */
export function loadConfigFile(path: string, env: Env = process.env): LoadResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory' : String((err as Error).message);
    return { ok: false, errors: [{ file: path, path: '', line: 0, column: 0, message: `cannot read config: ${reason}` }] };
  }
  const result = parseConfigText(text, path, env);
  return result.ok ? { ...result, file: resolve(path) } : result;
}

/** Validate config text. `fileName` is only used in error messages (and returned as `file`). */
export function parseConfigText(text: string, fileName: string, env: Env = process.env): LoadResult {
  const source = readYamlSource(text, env);
  const errors: ConfigError[] = source.issues.map((i) => ({
    file: fileName,
    path: formatPath(i.path),
    line: i.pos.line,
    column: i.pos.column,
    message: i.message,
  }));
  if (source.syntaxErrors) return { ok: false, errors: sortConfigErrors(errors) };

  const locate = (path: ConfigPath, atKey = false): SourcePos => locatePath(source.locations, path, atKey);
  // A path the YAML stage already complained about (missing env var, literal secret) gets no second error.
  const reported = source.issues.map((i) => formatPath(i.path));
  const alreadyReported = (p: string) => reported.some((r) => p === r || p.startsWith(`${r}.`) || p.startsWith(`${r}[`));

  const parsed = ConfigSchema.safeParse(source.value, { error: defaultMessage, reportInput: true });
  if (!parsed.success) {
    for (const iss of parsed.error.issues) {
      const path = iss.path.filter((p): p is string | number => typeof p !== 'symbol');
      if (iss.code === 'unrecognized_keys') {
        for (const key of iss.keys) {
          const keyPath = [...path, key];
          const pos = locate(keyPath, true);
          const hint = suggest(key, knownKeysAt(ConfigSchema, path));
          errors.push({
            file: fileName,
            path: formatPath(keyPath),
            line: pos.line,
            column: pos.column,
            message: `unknown key "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}`,
          });
        }
        continue;
      }
      const p = formatPath(path);
      if (alreadyReported(p)) continue;
      const pos = locate(path);
      errors.push({ file: fileName, path: p, line: pos.line, column: pos.column, message: iss.message });
    }
    return { ok: false, errors: sortConfigErrors(errors) };
  }

  const checked = crossCheck(parsed.data);
  for (const iss of checked.issues) {
    const pos = locate(iss.path, iss.atKey);
    errors.push({ file: fileName, path: formatPath(iss.path), line: pos.line, column: pos.column, message: iss.message });
  }
  if (errors.length > 0) return { ok: false, errors: sortConfigErrors(errors) };
  return { ok: true, config: checked.config, file: fileName };
}

/** For the `switchyard check-config FILE` verb: output is "OK" or one formatted error per line. */
export function checkConfigFile(path: string, env: Env = process.env): { ok: boolean; output: string } {
  const r = loadConfigFile(path, env);
  return r.ok ? { ok: true, output: 'OK' } : { ok: false, output: formatConfigErrors(r.errors) };
}

// ---------------------------------------------------------------------------------------------------------------

/** The node at `path`; for a path that is not in the file (a missing key), the key of the nearest existing parent. */
function locatePath(locations: Map<string, PathLocation>, path: ConfigPath, atKey: boolean): SourcePos {
  const exact = locations.get(formatPath(path));
  if (exact) return (atKey ? exact.key : undefined) ?? exact.value;
  for (let n = path.length - 1; n >= 0; n--) {
    const loc = locations.get(formatPath(path.slice(0, n)));
    if (loc) return loc.key ?? loc.value;
  }
  return { line: 1, column: 1 };
}

type Issue = z.core.$ZodRawIssue;

function describe(v: unknown): string {
  if (v === null) return 'an empty value';
  if (v instanceof YamlNumber || typeof v === 'number') return 'a number';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'boolean') return 'a boolean';
  return typeof v;
}

const EXPECTED: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  record: 'a mapping',
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
};

/** Messages for issues whose schema gives none. Never echo the input: it could be a secret. */
function defaultMessage(iss: Issue): string | undefined {
  switch (iss.code) {
    case 'invalid_type': {
      if (iss.input === undefined) return 'required key is missing';
      const expected = EXPECTED[iss.expected] ?? iss.expected;
      return `expected ${expected}, got ${describe(iss.input)}`;
    }
    case 'too_small': {
      const min = String(iss.minimum);
      if (iss.origin === 'array' || iss.origin === 'set') return `must have at least ${min} item${min === '1' ? '' : 's'}`;
      if (iss.origin === 'string') return min === '1' ? 'must not be empty' : `must be at least ${min} characters`;
      return `must be ${iss.inclusive ? '>=' : '>'} ${min}`;
    }
    case 'too_big': {
      const max = String(iss.maximum);
      if (iss.origin === 'array' || iss.origin === 'set') return `must have at most ${max} items`;
      if (iss.origin === 'string') return `must be at most ${max} characters`;
      return `must be ${iss.inclusive ? '<=' : '<'} ${max}`;
    }
    case 'invalid_value':
      if (iss.input === undefined) return 'required key is missing';
      return `expected one of: ${iss.values.map((v) => String(v)).join(', ')}`;
    case 'invalid_format':
      return 'has an invalid format';
    default:
      return undefined;
  }
}

/** The keys a strict object at `path` accepts, by walking the schema (for "did you mean" hints). */
function knownKeysAt(schema: unknown, path: ConfigPath): string[] {
  let node: unknown = schema;
  for (let i = 0; i <= path.length; i++) {
    node = unwrap(node);
    if (i === path.length) break;
    const def = defOf(node);
    if (!def) return [];
    if (def.type === 'object') node = (def.shape as Record<string, unknown>)[String(path[i])];
    else if (def.type === 'array') node = def.element;
    else if (def.type === 'record') node = def.valueType;
    else return [];
  }
  const def = defOf(node);
  return def?.type === 'object' ? Object.keys(def.shape as object) : [];
}

type AnyDef = { type: string; [k: string]: unknown };

function defOf(node: unknown): AnyDef | undefined {
  return (node as { _zod?: { def?: AnyDef } } | undefined)?._zod?.def;
}

/** Strip optional/default/prefault/pipe wrappers down to the object/array/record underneath. */
function unwrap(node: unknown): unknown {
  for (let guard = 0; guard < 20; guard++) {
    const def = defOf(node);
    if (!def) return node;
    if (def.type === 'optional' || def.type === 'default' || def.type === 'prefault' || def.type === 'nullable') {
      node = def.innerType;
    } else if (def.type === 'pipe') {
      node = defOf(def.in)?.type === 'transform' ? def.out : def.in;
    } else {
      return node;
    }
  }
  return node;
}

/** The closest known key within edit distance 2 (or a case-insensitive match). */
function suggest(key: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDist = Infinity;
  for (const k of known) {
    const d = k.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key, k);
    if (d < bestDist) {
      best = k;
      bestDist = d;
    }
  }
  return bestDist <= 2 ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}
