/**
 * Loading strategy modules named in YAML. Node 20 cannot import TypeScript, so a .ts/.mts module is
 * transpiled at start with `ts.transpileModule` (ESM output, no type checking) into a cache directory,
 * together with every relative module it imports at run time; .js/.mjs modules are imported directly.
 *
 * Cache layout: <cacheDir>/<name>-<hash of the source path>/ holds the transpiled files laid out as in the
 * source tree (relative to the deepest common folder), plus a package.json {"type": "module"} so Node reads
 * them as ES modules wherever the cache lives. Files are rewritten only when their content changes, through
 * a temporary file and a rename (two daemons sharing a cache never see half a file).
 *
 * Run-time imports a transpiled module may have: node: builtins, relative modules (transpiled or copied
 * alongside), and packages resolvable from the cache directory (keep the cache inside the project, e.g. the
 * default <dataDir>/strategies-cache, for those). Type-only imports (the SDK) vanish in the output.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SwitchyardError } from '../model/errors.js';

type Ts = typeof import('typescript');

async function loadTypescript(): Promise<Ts> {
  try {
    const mod = (await import('typescript')) as unknown as { default?: Ts } & Ts;
    return mod.default ?? mod;
  } catch (e) {
    throw new SwitchyardError('CONFIG_INVALID', 'TypeScript strategy modules need the "typescript" package installed (or give a .js module)', {
      cause: e instanceof Error ? e.message : String(e),
    });
  }
}

const TS_EXT: Readonly<Record<string, string>> = { '.ts': '.js', '.mts': '.mjs' };
const JS_EXT = new Set(['.js', '.mjs']);

function isTypeScript(file: string): boolean {
  return Object.prototype.hasOwnProperty.call(TS_EXT, extname(file)) && !file.endsWith('.d.ts');
}

/** The source file a relative run-time specifier refers to (a .js specifier may name a .ts source). */
function sourceFor(target: string): string | undefined {
  const ext = extname(target);
  if (ext === '.js') {
    const ts = target.slice(0, -3) + '.ts';
    if (existsSync(ts)) return ts;
  } else if (ext === '.mjs') {
    const mts = target.slice(0, -4) + '.mts';
    if (existsSync(mts)) return mts;
  }
  return existsSync(target) ? target : undefined;
}

function commonDir(files: readonly string[]): string {
  let dir = dirname(files[0]!);
  for (const f of files) {
    while (!(f === dir || f.startsWith(dir.endsWith(sep) ? dir : dir + sep))) {
      const up = dirname(dir);
      if (up === dir) return dir;
      dir = up;
    }
  }
  return dir;
}

function writeIfChanged(file: string, content: string): void {
  if (existsSync(file) && readFileSync(file, 'utf8') === content) return;
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, file);
}

function formatDiagnostics(ts: Ts, file: string, diagnostics: readonly import('typescript').Diagnostic[]): string {
  return diagnostics
    .map((d) => {
      const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      if (d.file !== undefined && d.start !== undefined) {
        const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
        return `${file}:${line + 1}:${character + 1}: ${text}`;
      }
      return `${file}: ${text}`;
    })
    .join('\n');
}

/**
 * Transpiles `entry` (a .ts/.mts file) and the relative modules it imports at run time into
 * `outParent/<name>-<hash>/`. Returns the absolute path of the transpiled entry.
 */
export async function transpileModuleGraph(entry: string, outParent: string): Promise<string> {
  const ts = await loadTypescript();
  const start = resolve(entry);
  const outputs = new Map<string, string>(); // source file -> output text
  const pending = [start];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (outputs.has(file)) continue;
    const source = readFileSync(file, 'utf8');
    let text = source;
    if (isTypeScript(file)) {
      const out = ts.transpileModule(source, {
        fileName: file,
        reportDiagnostics: true,
        compilerOptions: {
          module: ts.ModuleKind.ESNext,
          target: ts.ScriptTarget.ES2022,
          esModuleInterop: true,
          isolatedModules: true,
          useDefineForClassFields: true,
          inlineSourceMap: true,
          inlineSources: true,
        },
      });
      const errors = (out.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
      if (errors.length > 0) throw new SwitchyardError('CONFIG_INVALID', `cannot transpile ${file}:\n${formatDiagnostics(ts, file, errors)}`);
      text = out.outputText;
    }
    outputs.set(file, text);
    if (!isTypeScript(file) && !JS_EXT.has(extname(file))) continue;
    for (const imp of ts.preProcessFile(text, true, true).importedFiles) {
      const spec = imp.fileName;
      if (!spec.startsWith('./') && !spec.startsWith('../')) continue;
      const target = sourceFor(resolve(dirname(file), spec));
      if (target !== undefined && !outputs.has(target)) pending.push(target);
    }
  }
  const files = [...outputs.keys()];
  const root = commonDir(files);
  const name = basename(start, extname(start)).replace(/[^A-Za-z0-9_-]/g, '_');
  const hash = createHash('sha256').update(start).digest('hex').slice(0, 12);
  const outDir = join(outParent, `${name}-${hash}`);
  writeIfChanged(join(outDir, 'package.json'), '{ "type": "module" }\n');
  let entryOut = '';
  for (const [file, text] of outputs) {
    const rel = relative(root, file);
    const ext = extname(rel);
    const outRel = isTypeScript(file) ? rel.slice(0, -ext.length) + TS_EXT[ext]! : rel;
    const outFile = join(outDir, outRel);
    writeIfChanged(outFile, text);
    if (file === start) entryOut = outFile;
  }
  return entryOut;
}

/**
 * The file: URL a worker imports for the strategy module at `modulePath` (absolute, or relative to
 * `baseDir`): TypeScript is transpiled into `cacheDir` first, JavaScript is used in place.
 */
export async function prepareStrategyModule(modulePath: string, cacheDir: string, baseDir = process.cwd()): Promise<string> {
  const file = isAbsolute(modulePath) ? modulePath : resolve(baseDir, modulePath);
  if (!existsSync(file)) throw new SwitchyardError('CONFIG_INVALID', `strategy module ${file} does not exist`);
  if (isTypeScript(file)) return pathToFileURL(await transpileModuleGraph(file, cacheDir)).href;
  if (JS_EXT.has(extname(file))) return pathToFileURL(file).href;
  throw new SwitchyardError('CONFIG_INVALID', `strategy module ${file}: expected a .ts, .mts, .js or .mjs file`);
}

/**
 * The worker bootstrap to start: the compiled worker-main.js next to this module (the normal case, running
 * from dist/), else worker-main.ts transpiled into `cacheDir` (running from sources, e.g. under vitest).
 */
export async function resolveWorkerEntry(cacheDir: string): Promise<URL> {
  const js = new URL('./worker-main.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return js;
  const ts = fileURLToPath(new URL('./worker-main.ts', import.meta.url));
  if (!existsSync(ts)) throw new Error(`strategy worker entry not found next to ${fileURLToPath(import.meta.url)}`);
  return pathToFileURL(await transpileModuleGraph(ts, join(cacheDir, 'runtime')));
}
