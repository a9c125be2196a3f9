/**
 * What `switchyard start` would refuse that the schema and the cross-field rules do not check: a trading exchange
 * venue without credentials (the schema allows it for tests and tools that never start the venue); and what is on
 * disk: the strategy and enhancer modules (they exist, are files with a .ts/.mts/.js/.mjs name, and a TypeScript module
 * transpiles: the same checks as src/strategy/module-loader.ts at start), and the places the daemon writes (the API
 * token file, the data directory and the journal directory: an existing path must be of the right kind, and the
 * nearest existing folder must be writable so the daemon can create what is missing).
 *
 * Runs on the document as read (env references resolved), not on the validated config, so that `check-config`
 * reports these together with the schema's errors in one run; a key whose value is not a string is left to the
 * schema. Nothing is written, no module is imported (importing runs its top-level code).
 */
import { accessSync, constants, readFileSync, statSync, type Stats } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, isAbsolute, resolve } from 'node:path';
import type { Env } from './env.js';
import type { ConfigPath } from './errors.js';
import { DEFAULT_DATA_DIR } from './schema.js';

export interface StartCheckIssue {
  path: ConfigPath;
  message: string;
}

export interface StartCheckOptions {
  /** Module paths are relative to this (the YAML file's folder). */
  readonly configDir: string;
  /** dataDir, journal.dir and tokenFile are relative to this (the daemon's working directory). */
  readonly baseDir: string;
  readonly env: Env;
}

const MODULE_EXTENSIONS = ['.ts', '.mts', '.js', '.mjs'];
const EXCHANGE_ADAPTERS = ['ccxt', 'binance-ws', 'okx-ws'];

type Transpile = (file: string, source: string) => string[];

/** Every problem `start` would meet on disk, each with the key path it comes from. */
export function startChecks(doc: unknown, o: StartCheckOptions): StartCheckIssue[] {
  const issues: StartCheckIssue[] = [];
  let transpile: Transpile | null | undefined; // loaded on the first TypeScript module; null: not installed
  const checkModule = (path: ConfigPath, value: unknown, what: string): void => {
    if (typeof value !== 'string' || value === '') return;
    const file = isAbsolute(value) ? value : resolve(o.configDir, value);
    const st = statOf(file);
    if (st === undefined) return void issues.push({ path, message: `${what} ${file} does not exist` });
    if (!st.isFile()) return void issues.push({ path, message: `${what} ${file} is not a file` });
    const ext = extname(file);
    if (!MODULE_EXTENSIONS.includes(ext) || file.endsWith('.d.ts')) {
      return void issues.push({ path, message: `${what} ${file}: expected a .ts, .mts, .js or .mjs file` });
    }
    let source: string;
    try {
      source = readFileSync(file, 'utf8');
    } catch (err) {
      return void issues.push({ path, message: `${what} ${file} cannot be read: ${(err as Error).message}` });
    }
    if (ext !== '.ts' && ext !== '.mts') return;
    if (transpile === undefined) transpile = loadTranspiler();
    if (transpile === null) {
      return void issues.push({ path, message: `${what} ${file}: TypeScript modules need the "typescript" package installed (or give a .js module)` });
    }
    const errors = transpile(file, source);
    if (errors.length > 0) issues.push({ path, message: `${what} ${file} does not transpile: ${errors.join('; ')}` });
  };

  const root = asRecord(doc);
  const strategies = root?.['strategies'];
  if (Array.isArray(strategies)) {
    strategies.forEach((raw, i) => {
      const st = asRecord(raw);
      if (st === undefined) return;
      checkModule(['strategies', i, 'module'], st['module'], 'strategy module');
      checkModule(['strategies', i, 'enhancer', 'module'], asRecord(st['enhancer'])?.['module'], 'enhancer module');
    });
  }

  // start refuses a trading exchange venue without keys (adapters/index.ts credentialsOf: CONFIG_INVALID); the
  // schema lets it through (tests and tools build such venues), so it is checked here, for check-config
  const venues = root?.['venues'];
  if (Array.isArray(venues)) {
    venues.forEach((raw, i) => {
      const v = asRecord(raw);
      const adapter = v?.['adapter'];
      if (v === undefined || typeof adapter !== 'string' || !EXCHANGE_ADAPTERS.includes(adapter)) return;
      if (v['trading'] === false || v['credentials'] !== undefined) return;
      const keys = v['exchange'] === 'okx' ? 'apiKey, secret, passphrase' : 'apiKey, secret';
      issues.push({ path: ['venues', i, 'adapter'], message: `adapter ${adapter} needs credentials to trade (${keys}, as env references); trading: false follows its public market data only` });
    });
  }

  const daemon = asRecord(root?.['daemon']);
  const dataDirValue = daemon?.['dataDir'];
  const dataDir = typeof dataDirValue === 'string' && dataDirValue !== '' ? dataDirValue : DEFAULT_DATA_DIR;
  const dataDirPath: ConfigPath = dataDirValue === undefined ? ['daemon'] : ['daemon', 'dataDir'];
  checkWritableDir(issues, dataDirPath, resolve(o.baseDir, dataDir), 'dataDir');
  const journal = asRecord(daemon?.['journal']);
  if (journal?.['enabled'] !== false) {
    const dir = journal?.['dir'];
    if (typeof dir === 'string' && dir !== '') checkWritableDir(issues, ['daemon', 'journal', 'dir'], resolve(o.baseDir, dir), 'journal.dir');
  }
  const api = asRecord(daemon?.['api']);
  const tokenFromEnv = (o.env['SWITCHYARD_API_TOKEN'] ?? '') !== '';
  if (!tokenFromEnv && api?.['token'] === undefined) {
    const given = api?.['tokenFile'];
    if (typeof given === 'string' && given !== '') checkTokenFile(issues, ['daemon', 'api', 'tokenFile'], resolve(o.baseDir, given));
    else if (given === undefined) checkTokenFile(issues, dataDirPath, resolve(o.baseDir, dataDir, 'api-token'));
  }
  return issues;
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function statOf(file: string): Stats | undefined {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** `dir` is a writable directory, or does not exist and its nearest existing ancestor is a writable directory. */
function checkWritableDir(issues: StartCheckIssue[], path: ConfigPath, dir: string, what: string): void {
  let at = dir;
  for (;;) {
    const st = statOf(at);
    if (st !== undefined) {
      if (!st.isDirectory()) issues.push({ path, message: `${what} ${dir}: ${at} is not a directory` });
      else if (!writable(at)) issues.push({ path, message: `${what} ${dir}: ${at} is not writable by this user` });
      return;
    }
    const up = dirname(at);
    if (up === at) return;
    at = up;
  }
}

/** An existing token file must be a readable file; a missing one is created, so its folder must be creatable. */
function checkTokenFile(issues: StartCheckIssue[], path: ConfigPath, file: string): void {
  const st = statOf(file);
  if (st === undefined) return checkWritableDir(issues, path, dirname(file), 'the API token file\'s folder');
  if (!st.isFile()) return void issues.push({ path, message: `API token file ${file} is not a file` });
  try {
    accessSync(file, constants.R_OK);
  } catch {
    issues.push({ path, message: `API token file ${file} is not readable by this user` });
  }
}

/** ts.transpileModule's errors for one file (syntax: what fails a start), or null when typescript is missing. */
function loadTranspiler(): Transpile | null {
  let ts: typeof import('typescript');
  try {
    ts = createRequire(import.meta.url)('typescript') as typeof import('typescript');
  } catch {
    return null;
  }
  return (file, source) => {
    const out = ts.transpileModule(source, {
      fileName: file,
      reportDiagnostics: true,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, isolatedModules: true },
    });
    return (out.diagnostics ?? [])
      .filter((d) => d.category === ts.DiagnosticCategory.Error)
      .slice(0, 5)
      .map((d) => {
        const text = ts.flattenDiagnosticMessageText(d.messageText, ' ');
        if (d.file === undefined || d.start === undefined) return text;
        const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
        return `${line + 1}:${character + 1} ${text}`;
      });
  };
}
