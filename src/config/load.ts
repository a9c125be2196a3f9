/**
 * Loading a config file: YAML -> env references -> schema -> cross-field rules.
 * User errors never throw: they come back as ConfigError[] naming the file, the key path and the line.
 */
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { dirname, resolve as resolvePath } from 'node:path';
import { crossCheck } from './cross-check.js';
import type { Env } from './env.js';
import { formatConfigErrors, formatPath, sortConfigErrors, type ConfigError, type ConfigPath } from './errors.js';
import { ConfigSchema, type Config } from './schema.js';
import { startChecks } from './start-checks.js';
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
  return result.ok ? { ...result, file: resolvePath(path) } : result;
}

/** More problems to report with the schema's (e.g. startChecks: what `start` would refuse on disk). */
export interface ParseOptions {
  /** Runs on the document as read (env references resolved), whether or not the schema accepts it. */
  readonly extraChecks?: (doc: unknown) => ReadonlyArray<{ path: ConfigPath; message: string }>;
}

/**
 * Validate config text. `fileName` is only used in error messages (and returned as `file`). Every error is reported
 * in one pass: env references and literal secrets, the schema's, the extra checks', and the cross-field rules' —
 * also when the schema found errors, as long as leaving out the keys it refused gives a config the schema accepts
 * (their defaults stand in; rules about a refused key or the entry holding it are left out, as its default may be
 * what they dislike). Only a YAML syntax error stops early: the rest of the file cannot be read reliably after one.
 */
export function parseConfigText(text: string, fileName: string, env: Env = process.env, options: ParseOptions = {}): LoadResult {
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

  for (const x of options.extraChecks?.(source.value) ?? []) {
    const pos = locate(x.path);
    errors.push({ file: fileName, path: formatPath(x.path), line: pos.line, column: pos.column, message: x.message });
  }

  const parsed = ConfigSchema.safeParse(source.value, { error: defaultMessage, reportInput: true });
  if (!parsed.success) {
    const refused: ConfigPath[] = [];
    for (const iss of parsed.error.issues) {
      const path = iss.path.filter((p): p is string | number => typeof p !== 'symbol');
      if (iss.code === 'unrecognized_keys') {
        for (const key of iss.keys) {
          const keyPath = [...path, key];
          const pos = locate(keyPath, true);
          const hint = suggest(key, knownKeysAt(ConfigSchema, path));
          refused.push(keyPath);
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
      refused.push(path);
      const p = formatPath(path);
      if (alreadyReported(p)) continue;
      const pos = locate(path);
      errors.push({ file: fileName, path: p, line: pos.line, column: pos.column, message: iss.message });
    }
    // the cross-field rules over the rest of the file: without the refused keys, if the schema then accepts it
    const rest = ConfigSchema.safeParse(withoutPaths(source.value, refused), { error: defaultMessage });
    if (rest.success) {
      const refusedText = refused.map((p) => formatPath(p));
      // a rule about a refused key, or about the entry that holds it (its default may be what the rule dislikes)
      const nearRefused = (p: string) => refusedText.some((r) =>
        r === '' || p === r || p.startsWith(`${r}.`) || p.startsWith(`${r}[`) || (p !== '' && (r.startsWith(`${p}.`) || r.startsWith(`${p}[`))));
      for (const iss of crossCheck(rest.data).issues) {
        const p = formatPath(iss.path);
        if (nearRefused(p) || alreadyReported(p)) continue;
        const pos = locate(iss.path, iss.atKey);
        errors.push({ file: fileName, path: p, line: pos.line, column: pos.column, message: iss.message });
      }
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

/**
 * For the `switchyard check-config FILE` verb: everything `start` checks before trading — the file (YAML, env
 * references, schema, cross-field rules) and what it names on disk (start-checks.ts: strategy and enhancer modules
 * relative to the file, the token file, data and journal directories relative to `baseDir`, the working directory
 * `start` runs in). Output is "OK" or every error, one formatted line each (file:line:column key.path: message).
 */
export function checkConfigFile(path: string, env: Env = process.env, baseDir = process.cwd()): { ok: boolean; output: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    const r = loadConfigFile(path, env); // the same "cannot read" error as start
    return r.ok ? { ok: true, output: 'OK' } : { ok: false, output: formatConfigErrors(r.errors) };
  }
  const configDir = dirname(resolvePath(path));
  const r = parseConfigText(text, path, env, { extraChecks: (doc) => startChecks(doc, { configDir, baseDir, env }) });
  return r.ok ? { ok: true, output: 'OK' } : { ok: false, output: formatConfigErrors(r.errors) };
}

/** A deep copy of `value` without the keys at `paths` (list items are never removed: indexes must stay). */
function withoutPaths(value: unknown, paths: readonly ConfigPath[]): unknown {
  const copy = structuredCloneYaml(value);
  for (const path of paths) {
    if (path.length === 0) return copy;
    let node: unknown = copy;
    for (const seg of path.slice(0, -1)) {
      node = typeof node === 'object' && node !== null ? (node as Record<string | number, unknown>)[seg] : undefined;
    }
    const last = path[path.length - 1]!;
    if (typeof node === 'object' && node !== null && !Array.isArray(node)) delete (node as Record<string, unknown>)[String(last)];
  }
  return copy;
}

/** A copy of a converted YAML document (plain objects, lists, scalars and YamlNumber, which is immutable). */
function structuredCloneYaml(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(structuredCloneYaml);
  if (value instanceof YamlNumber || value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    Object.defineProperty(out, k, { value: structuredCloneYaml(v), enumerable: true, writable: true, configurable: true });
  }
  return out;
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
